/* v2c inspect's driver: fetch what the analysis needs in a few bulk
 * transfers, find the OS and the package database, enumerate services, then
 * analyse each and look for secrets.  The order of everything in the report
 * is fixed (sorted), so the same guest always gives the same bytes. */
#include "inspect-internal.h"
#include "harden-internal.h"
#include "distro-internal.h"
#include "cleanup.h"
#include "log.h"
#include "path.h"
#include "progress.h"
#include "strv.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Trees the analysis reads from; the disk backend downloads them in one
 * tar-out instead of a round trip per file.  Without their xattrs: the
 * capabilities of the few executables among them are asked for one at a
 * time (a second tar-out with --xattrs cost more than those calls). */
static const char *const prefetch_dirs[] = {
        "/etc", "/usr/lib/systemd/system", "/lib/systemd/system", "/usr/local/lib/systemd/system", "/lib/apk/db",
        "/var/spool/cron", "/root", "/home", "/opt", "/srv", "/var/www", "/usr/local",
};

/* dpkg's database as it is read: status and the .list files, without the
 * checksums, maintainer scripts and the rest, most of /var/lib/dpkg by file
 * count (each file costs the tar-out under TCG, whatever its size).  The
 * patterns apply to this tree only (in any of its directories). */
static const char dpkg_dir[] = "/var/lib/dpkg";
static const char *const dpkg_excludes[] = {
        "*.md5sums", "*.postinst", "*.preinst", "*.postrm", "*.prerm", "*.triggers", "*.shlibs",
        "*.symbols", "*.templates", "*.config", "*.sha256sums", "*.conffiles", "status-old", "available",
        "available-old", "*.dpkg-old", "*.dpkg-dist", "alternatives", "triggers", "updates", "parts",
        "diversions*", "statoverride*", NULL,
};

int inspect_warn(struct inspect_ctx *c, const char *fmt, ...)
{
        /* Deduplicated once at the end; bounded, since a hostile guest can
         * make every unit warn. */
        if (c->nwarnings >= INSPECT_MAX_WARNINGS) {
                c->dropped_warnings++;
                return 0;
        }
        char *s = NULL;
        va_list ap;
        va_start(ap, fmt);
        int n = vasprintf(&s, fmt, ap);
        va_end(ap);
        if (n < 0)
                return -ENOMEM;
        c->nwarnings++;
        return v2c_strv_consume(&c->rep->warnings, s);
}

void inspect_progress(struct inspect_ctx *c, bool force)
{
        /* Services move to the report once analysed. */
        size_t services = c->svc ? c->nsvc : c->rep->nservices;
        if (c->phase[0])
                v2c_progress_show(force, "inspecting: %s\n  %zu services found, %zu files read", c->phase, services,
                                  c->files_read);
}

/* A new phase: shown at once, unless it is one of many (FORCE false:
 * one a service), which must not flood the terminal. */
static void phase(struct inspect_ctx *c, const char *what, bool force)
{
        snprintf(c->phase, sizeof c->phase, "%s", what);
        inspect_progress(c, force);
}

int inspect_read(struct inspect_ctx *c, const char *path, size_t max, char **data, size_t *len)
{
        struct v2c_error *e = NULL;
        *data = NULL;
        *len = 0;
        int r = v2c_guest_read_file(c->g, path, max, data, len, &e);
        if (r >= 0) {
                c->files_read++;
                inspect_progress(c, false);
        }
        if (r == -EFBIG)
                inspect_warn(c, "%s is larger than %zu bytes: not read", path, max);
        else if (r < 0 && r != -ENOENT && r != -EINVAL && e)
                inspect_warn(c, "%s", e->msg);
        v2c_error_free(e);
        return r;
}

const char *inspect_user_home(struct inspect_ctx *c, const char *user, char *buf, size_t size)
{
        if (user == NULL || c->passwd == NULL)
                return NULL;
        size_t n = strlen(user);
        for (const char *l = c->passwd; *l; l = strchrnul(l, '\n'), l += *l == '\n') {
                if (strncmp(l, user, n) != 0 || l[n] != ':')
                        continue;
                /* name:x:uid:gid:gecos:home:shell */
                const char *f = l;
                for (int k = 0; k < 5 && f; k++)
                        if ((f = strpbrk(f, ":\n")) != NULL && *f == ':')
                                f++;
                        else
                                f = NULL;
                if (f == NULL)
                        return NULL;
                size_t m = strcspn(f, ":\n");
                if (m == 0 || m >= size)
                        return NULL;
                memcpy(buf, f, m);
                buf[m] = '\0';
                return strcmp(buf, "/") == 0 ? NULL : buf;
        }
        return NULL;
}

struct v2c_service *inspect_new_service(struct inspect_ctx *c, const char *name, const char *kind)
{
        if (c->nsvc >= INSPECT_MAX_SERVICES)
                return NULL;
        if (c->nsvc == c->capsvc) {
                size_t ncap = c->capsvc ? c->capsvc * 2 : 32;
                struct v2c_service *n = realloc(c->svc, ncap * sizeof *n);
                if (n == NULL)
                        return NULL;
                c->svc = n;
                c->capsvc = ncap;
        }
        struct v2c_service *s = &c->svc[c->nsvc];
        memset(s, 0, sizeof *s);
        s->name = strdup(name);
        s->kind = strdup(kind);
        inspect_progress(c, false);
        if (s->name == NULL || s->kind == NULL) {
                free(s->name);
                free(s->kind);
                return NULL;
        }
        c->nsvc++;
        return s;
}

/* os-release style KEY=value, with optional quotes; new string or NULL. */
static char *osrel_get(const char *data, const char *key)
{
        size_t klen = strlen(key);
        const char *p = data;
        while (p && *p) {
                const char *eol = strchrnul(p, '\n');
                if ((size_t) (eol - p) > klen && strncmp(p, key, klen) == 0 && p[klen] == '=') {
                        const char *v = p + klen + 1;
                        size_t n = (size_t) (eol - v);
                        if (n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0]) {
                                v++;
                                n -= 2;
                        }
                        return strndup(v, n);
                }
                p = *eol ? eol + 1 : eol;
        }
        return NULL;
}

static char *first_line(const char *data)
{
        const char *p = data + strspn(data, " \t\n");
        size_t n = strcspn(p, "\n");
        while (n && (p[n - 1] == ' ' || p[n - 1] == '\t' || p[n - 1] == '\r'))
                n--;
        return n ? strndup(p, n) : NULL;
}

/* The release files of the RHEL family and of old SUSE: the whole
 * identity of a guest without os-release (CentOS 6, SLES 11), and the
 * point release os-release lacks ("7" where centos-release says
 * "7.9.2009"). */
static void release_files(struct inspect_ctx *c)
{
        static const struct {
                const char *path;
                int (*parse)(const char *, size_t, struct v2c_distro *);
        } files[] = {
                { "/etc/centos-release", v2c_distro_parse_redhat },
                { "/etc/redhat-release", v2c_distro_parse_redhat },
                { "/etc/system-release", v2c_distro_parse_redhat },
                { "/etc/SuSE-release", v2c_distro_parse_suse },
        };
        struct v2c_os *os = &c->rep->os;
        for (size_t i = 0; i < V2C_ARRAY_SIZE(files); i++) {
                _cleanup_free_ char *data = NULL;
                size_t len;
                if (inspect_read(c, files[i].path, 4096, &data, &len) < 0 || data == NULL)
                        continue;
                _cleanup_(v2c_distro_release) struct v2c_distro d = { 0 };
                if (files[i].parse(data, len, &d) != 0)
                        continue;
                if (os->distro == NULL) {
                        os->distro = TAKE_PTR(d.id);
                        os->version = TAKE_PTR(d.version);
                        os->pretty_name = TAKE_PTR(d.pretty_name);
                        v2c_strv_free(os->id_like);
                        os->id_like = TAKE_PTR(d.id_like);
                } else if (d.id && strcmp(os->distro, d.id) == 0 && os->version && d.version &&
                           strchr(os->version, '.') == NULL && strncmp(d.version, os->version, strlen(os->version)) == 0 &&
                           d.version[strlen(os->version)] == '.') {
                        free(os->version);
                        os->version = TAKE_PTR(d.version);
                }
                return;
        }
}

/* SELinux's mode and policy as the guest boots with them: its files carry
 * labels (security.selinux) that mean something only under that policy. */
static void detect_selinux(struct inspect_ctx *c)
{
        _cleanup_free_ char *data = NULL;
        size_t len;
        if (inspect_read(c, "/etc/selinux/config", INSPECT_MAX_FILE, &data, &len) < 0 || data == NULL)
                return;
        struct v2c_os *os = &c->rep->os;
        os->selinux = osrel_get(data, "SELINUX");
        os->selinux_policy = osrel_get(data, "SELINUXTYPE");
        static const char *const modes[] = { "enforcing", "permissive", "disabled" };
        bool known = false;
        for (size_t i = 0; os->selinux && i < V2C_ARRAY_SIZE(modes); i++)
                known |= strcmp(os->selinux, modes[i]) == 0;
        if (os->selinux && !known) {
                inspect_warn(c, "/etc/selinux/config: SELINUX=%s is not a mode SELinux knows", os->selinux);
                free(os->selinux);
                os->selinux = NULL;
        }
}

static void detect_os(struct inspect_ctx *c)
{
        struct v2c_os *os = &c->rep->os;
        _cleanup_free_ char *rel = NULL;
        size_t len;
        if (inspect_read(c, "/etc/os-release", INSPECT_MAX_FILE, &rel, &len) < 0)
                inspect_read(c, "/usr/lib/os-release", INSPECT_MAX_FILE, &rel, &len);
        if (rel) {
                os->distro = osrel_get(rel, "ID");
                os->version = osrel_get(rel, "VERSION_ID");
                os->codename = osrel_get(rel, "VERSION_CODENAME");
                os->pretty_name = osrel_get(rel, "PRETTY_NAME");
                _cleanup_free_ char *like = osrel_get(rel, "ID_LIKE");
                if (like)
                        v2c_distro_split_like(like, &os->id_like);
        }
        release_files(c);
        _cleanup_free_ char *dv = NULL;
        if (inspect_read(c, "/etc/debian_version", 4096, &dv, &len) == 0 && dv) {
                if (os->distro == NULL)
                        os->distro = strdup("debian");
                /* debian_version carries the point release os-release lacks. */
                if (os->distro && strcmp(os->distro, "debian") == 0) {
                        char *v = first_line(dv);
                        if (v && v[0] >= '0' && v[0] <= '9') {
                                free(os->version);
                                os->version = v;
                        } else
                                free(v);
                }
        }
        _cleanup_free_ char *host = NULL;
        if (inspect_read(c, "/etc/hostname", 4096, &host, &len) == 0 ||
            inspect_read(c, "/etc/HOSTNAME", 4096, &host, &len) == 0)
                os->hostname = host ? first_line(host) : NULL;

        /* Any file at the database's path, even one that cannot be read
         * (a dangling link, a directory), says which packager the guest
         * uses: the loader then says why it could not read it. */
        struct v2c_stat st;
        if (v2c_guest_lstat(c->g, "/var/lib/dpkg/status", &st, NULL) == 0)
                os->package_format = strdup("dpkg");
        else if (v2c_guest_lstat(c->g, "/lib/apk/db/installed", &st, NULL) == 0)
                os->package_format = strdup("apk");
        else if (v2c_guest_exists(c->g, "/var/lib/rpm", V2C_FT_DIR) ||
                 v2c_guest_exists(c->g, "/usr/lib/sysimage/rpm", V2C_FT_DIR))
                os->package_format = strdup("rpm");

        detect_selinux(c);
        if (v2c_guest_exists(c->g, "/lib/systemd/systemd", V2C_FT_REG) ||
            v2c_guest_exists(c->g, "/usr/lib/systemd/systemd", V2C_FT_REG) ||
            v2c_guest_exists(c->g, "/etc/systemd/system", V2C_FT_DIR))
                os->init = strdup("systemd");
        else if (v2c_guest_exists(c->g, "/sbin/openrc", 0) || v2c_guest_exists(c->g, "/etc/runlevels", V2C_FT_DIR))
                os->init = strdup("openrc");
        else if (v2c_guest_exists(c->g, "/etc/inittab", V2C_FT_REG))
                os->init = strdup("sysvinit");
}

static void pkgdb_warn(void *ctx, const char *msg)
{
        inspect_warn(ctx, "%s", msg);
}

static void detect_arch(struct inspect_ctx *c)
{
        /* The package database knows the native architecture best. */
        /* rpm: single-arch packages first, since a multilib guest has
         * glibc twice (i686 and x86_64). */
        const char *probe[] = { "libc6", "base-files", "dpkg", "musl", "alpine-baselayout", "filesystem", "bash",
                                "rpm", "glibc", NULL };
        for (size_t i = 0; c->pkgdb && probe[i]; i++) {
                const struct v2c_pkg *p = v2c_pkgdb_find(c->pkgdb, probe[i]);
                if (p && p->arch && strcmp(p->arch, "all") != 0 && strcmp(p->arch, "noarch") != 0) {
                        const char *a = p->arch;
                        /* Report kernel-style names, whatever the package format says. */
                        if (strcmp(a, "amd64") == 0)
                                a = "x86_64";
                        else if (strcmp(a, "arm64") == 0)
                                a = "aarch64";
                        else if (strcmp(a, "i386") == 0 || strcmp(a, "x86") == 0 || strcmp(a, "i686") == 0)
                                a = "i386";
                        else if (strcmp(a, "ppc64el") == 0)
                                a = "ppc64le";
                        else if (strcmp(a, "armhf") == 0 || strcmp(a, "armv7") == 0)
                                a = "arm";
                        c->rep->os.arch = strdup(a);
                        return;
                }
        }
        c->rep->os.arch = inspect_elf_arch(c, "/bin/sh");
}

static int cmp_service(const void *a, const void *b)
{
        const struct v2c_service *x = a, *y = b;
        int r = strcmp(x->name, y->name);
        return r ? r : strcmp(x->kind, y->kind);
}

static int cmp_secret(const void *a, const void *b)
{
        const struct v2c_secret *x = a, *y = b;
        int r = strcmp(x->path, y->path);
        return r ? r : strcmp(x->kind, y->kind);
}

/* The files the guest was read from go into the report when a disk image
 * named some (--allow-backing): the operator sees what was read. */
static int copy_sources(struct v2c_guest *g, struct v2c_report *rep, struct v2c_error **err)
{
        size_t n;
        const struct v2c_guest_source *src = v2c_guest_sources(g, &n);
        bool named = false;
        for (size_t i = 0; i < n; i++)
                if (strcmp(src[i].role, "image") != 0)
                        named = true;
        if (!named)
                return 0;
        rep->source_files = calloc(n, sizeof *rep->source_files);
        if (rep->source_files == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        for (size_t i = 0; i < n; i++) {
                struct v2c_report_source *x = &rep->source_files[rep->n_source_files++];
                x->path = strdup(src[i].path);
                x->format = strdup(src[i].format);
                x->role = strdup(src[i].role);
                if (x->path == NULL || x->format == NULL || x->role == NULL)
                        return v2c_error_set(err, ENOMEM, "out of memory");
        }
        return 0;
}

int v2c_inspect(struct v2c_guest *g, const struct v2c_inspect_options *opt, struct v2c_report **out,
                struct v2c_error **err)
{
        struct inspect_ctx c = { .g = g };
        size_t len;
        c.rep = calloc(1, sizeof *c.rep);
        if (c.rep == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        int r = 0;
        c.rep->source_kind = strdup(v2c_guest_kind(g));
        r = copy_sources(g, c.rep, err);
        if (r < 0)
                goto out;
        for (char *const *w = v2c_guest_warnings(g); w && *w; w++)
                inspect_warn(&c, "%s", *w);

        phase(&c, "fetching the guest's configuration", true);
        struct v2c_prefetch_tree trees[V2C_ARRAY_SIZE(prefetch_dirs) + 1];
        for (size_t i = 0; i < V2C_ARRAY_SIZE(prefetch_dirs); i++)
                trees[i] = (struct v2c_prefetch_tree) { prefetch_dirs[i], NULL, true };
        trees[V2C_ARRAY_SIZE(prefetch_dirs)] = (struct v2c_prefetch_tree) { dpkg_dir, dpkg_excludes, true };
        r = v2c_guest_prefetch_trees(g, trees, V2C_ARRAY_SIZE(trees), err);
        if (r < 0) {
                v2c_error_prefix(err, r, "fetching the guest's configuration");
                goto out;
        }
        phase(&c, "reading the OS and its package database", true);
        detect_os(&c);
        int format = v2c_pkg_format_from_name(c.rep->os.package_format);
        if (format >= 0)
                r = v2c_guest_pkgdb_load(g, (enum v2c_pkg_format) format, pkgdb_warn, &c, &c.pkgdb, err);
        else if (c.rep->os.package_format)
                inspect_warn(&c, "the %s package database is not read: packages are not reported for this guest",
                             c.rep->os.package_format);
        else
                inspect_warn(&c, "no package database found");
        if (r < 0)
                goto out;
        if (c.pkgdb) {
                size_t installed = 0;
                for (size_t i = 0; i < v2c_pkgdb_count(c.pkgdb); i++)
                        if (v2c_pkgdb_get(c.pkgdb, i)->installed)
                                installed++;
                c.rep->os.packages = installed;
        }
        detect_arch(&c);

        /* Looked up in place: splitting a hostile 1 MiB passwd into lines
         * costs more than scanning it for the few users asked about. */
        if (inspect_read(&c, "/etc/passwd", INSPECT_MAX_FILE, &c.passwd, &len) < 0)
                c.passwd = NULL;

        phase(&c, "finding services (systemd, SysV, OpenRC, cron)", true);
        r = inspect_systemd(&c, opt && opt->include_disabled, err);
        if (r == 0)
                r = inspect_sysv(&c, err);
        if (r == 0)
                r = inspect_openrc(&c, err);
        if (r == 0)
                r = inspect_cron(&c, err);
        if (r < 0)
                goto out;
        /* Their executables' stats, links and capabilities, asked for a
         * directory at a time rather than one by one as each is analysed. */
        char **execs = calloc(c.nsvc + 1, sizeof *execs);
        size_t nexec = 0;
        for (size_t i = 0; execs && i < c.nsvc; i++)
                if (c.svc[i].exec_path)
                        execs[nexec++] = c.svc[i].exec_path;
        if (execs)
                v2c_guest_hint(g, execs, nexec);
        free(execs);
        for (size_t i = 0; i < c.nsvc; i++) {
                char what[160];
                snprintf(what, sizeof what, "analysing service %zu of %zu: %s", i + 1, c.nsvc, c.svc[i].name);
                phase(&c, what, false);
                r = inspect_analyze(&c, &c.svc[i], err);
                if (r < 0) {
                        v2c_error_prefix(err, r, "analysing %s", c.svc[i].name);
                        goto out;
                }
        }
        qsort(c.svc, c.nsvc, sizeof *c.svc, cmp_service);
        c.rep->services = c.svc;
        c.rep->nservices = c.nsvc;
        c.svc = NULL;
        c.nsvc = 0;

        phase(&c, "links between services", true);
        r = inspect_links(&c, err);
        if (r < 0)
                goto out;
        for (size_t i = 0; i < c.rep->nservices; i++)
                if (inspect_harden(&c.rep->services[i]) < 0) {
                        r = v2c_error_set(err, ENOMEM, "out of memory");
                        goto out;
                }
        phase(&c, "looking for secrets", true);
        r = inspect_secrets(&c, err);
        if (r < 0)
                goto out;
        if (c.rep->nsecrets)
                qsort(c.rep->secrets, c.rep->nsecrets, sizeof *c.rep->secrets, cmp_secret);
        phase(&c, "package versions and configuration digests", true);
        r = inspect_digests(&c, err);
        if (r < 0)
                goto out;
        if (c.dropped_warnings) {
                c.nwarnings = 0;
                inspect_warn(&c, "%zu more warnings not shown", c.dropped_warnings);
        }
        v2c_strv_sort_uniq(c.rep->warnings);
        c.phase[0] = '\0';
        *out = TAKE_PTR(c.rep);
out:
        if (c.rep && c.svc) {
                /* Let the report's destructor free the services built so far. */
                c.rep->services = c.svc;
                c.rep->nservices = c.nsvc;
        } else
                free(c.svc);
        v2c_report_free(c.rep);
        v2c_pkgdb_free(c.pkgdb);
        free(c.passwd);
        v2c_strv_free(c.ld_dirs);
        v2c_strv_free(c.env_secret_units);
        return r;
}
