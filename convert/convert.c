/* v2c convert: from an inspection report and the guest's files to OCI
 * images.  This file decides what each image holds and how it starts;
 * collect.c gathers the files, layer.c and oci.c write them. */
#include "convert-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "artifacts.h"
#include "buf.h"
#include "cleanup.h"
#include "elf.h"
#include "fsutil.h"
#include "init.h"
#include "json.h"
#include "ref.h"
#include "oci-layout.h"
#include "text.h"
#include "log.h"
#include "progress.h"
#include "path.h"
#include "pkgdb.h"
#include "pods-internal.h"
#include "strv.h"

static const char *const role_names[N_LAYERS] = { "base", "packages", "config", "app" };

#define CONVERT_MAX_BINARY (256u << 20)
#define DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* ---- JSON of OCI layouts ---- */

static const char *jstr(const json_t *o, const char *key)
{
        const json_t *v = json_object_get(o, key);
        return json_is_string(v) ? json_string_value(v) : NULL;
}

/* A new strv of the strings of array o[key] (NULL when none). */
static char **jstrv(const json_t *o, const char *key)
{
        const json_t *a = json_object_get(o, key);
        char **v = NULL;
        size_t i;
        const json_t *x;
        json_array_foreach(a, i, x)
                if (json_is_string(x))
                        v2c_strv_push(&v, json_string_value(x));
        return v;
}

/* ---- the report (common/report.h; convert never includes inspect.h) ---- */

/* A new copy of V, or NULL when it holds nothing. */
static char **strv_dup(char *const *v)
{
        return v && v[0] ? v2c_strv_copy(v) : NULL;
}

static bool long_running(const struct v2c_service *s)
{
        const char *kind = s->kind;
        return kind && (strcmp(kind, "systemd") == 0 || strcmp(kind, "sysv") == 0 || strcmp(kind, "openrc") == 0);
}

/* ---- starting in the foreground ---- */

struct start {
        char **entrypoint, **cmd;
        bool needs_init;
        char **notes;
};

static void start_release(struct start *s)
{
        v2c_strv_free(s->entrypoint);
        v2c_strv_free(s->cmd);
        v2c_strv_free(s->notes);
}

static bool argv_has(char *const *argv, const char *w)
{
        for (size_t i = 1; argv && argv[i]; i++)
                if (strcmp(argv[i], w) == 0)
                        return true;
        return false;
}

/* Applies the known foreground switch of well-known daemons to ARGV (in
 * place); returns true when ARGV now stays in the foreground. */
static bool foreground_switch(char ***argv, char ***notes)
{
        const char *b = v2c_path_basename((*argv)[0]);
        if (strcmp(b, "nginx") == 0) {
                /* "-g 'daemon on; ...'" becomes "daemon off", else add it:
                 * what the official nginx image runs. */
                for (size_t i = 1; (*argv)[i]; i++)
                        if (strcmp((*argv)[i - 1], "-g") == 0 && strstr((*argv)[i], "daemon on")) {
                                const char *d = (*argv)[i];
                                const char *at = strstr(d, "daemon on");
                                _cleanup_free_ char *n = NULL;
                                if (asprintf(&n, "%.*sdaemon off%s", (int) (at - d), d, at + 9) < 0)
                                        return false;
                                free((*argv)[i]);
                                (*argv)[i] = TAKE_PTR(n);
                                v2c_strv_push(notes, "nginx runs with \"daemon off\" (foreground)");
                                return true;
                        }
                v2c_strv_push(argv, "-g");
                v2c_strv_push(argv, "daemon off;");
                v2c_strv_push(notes, "nginx runs with -g \"daemon off;\" (foreground)");
                return true;
        }
        if (strcmp(b, "redis-server") == 0) {
                /* redis takes the last value of a repeated option. */
                v2c_strv_push(argv, "--daemonize");
                v2c_strv_push(argv, "no");
                v2c_strv_push(notes, "redis-server runs with --daemonize no (foreground)");
                return true;
        }
        if (strcmp(b, "memcached") == 0 || strcmp(b, "haproxy") == 0) {
                size_t w = 1;
                for (size_t i = 1; (*argv)[i]; i++) {
                        if (strcmp((*argv)[i], strcmp(b, "haproxy") == 0 ? "-D" : "-d") == 0) {
                                free((*argv)[i]);
                                continue;
                        }
                        (*argv)[w++] = (*argv)[i];
                }
                (*argv)[w] = NULL;
                v2c_strv_push(notes, strcmp(b, "haproxy") == 0 ? "haproxy runs without -D (foreground)"
                                                                  : "memcached runs without -d (foreground)");
                return true;
        }
        static const struct { const char *prog, *flag; } flags[] = {
                { "sshd", "-D" }, { "apache2", "-DFOREGROUND" }, { "httpd", "-DFOREGROUND" },
                { "rsyslogd", "-n" }, { "cron", "-f" }, { "crond", "-f" }, { "php-fpm", "-F" },
                { "dnsmasq", "-k" }, { "vsftpd", NULL }, { "squid", "-N" }, { "named", "-f" },
                { "postfix", NULL }, { "dockerd", NULL },
        };
        for (size_t i = 0; i < V2C_ARRAY_SIZE(flags); i++) {
                bool match = strcmp(b, flags[i].prog) == 0 ||
                             (strcmp(flags[i].prog, "php-fpm") == 0 && strncmp(b, "php-fpm", 7) == 0);
                if (!match || flags[i].flag == NULL)
                        continue;
                if (!argv_has(*argv, flags[i].flag))
                        v2c_strv_push(argv, flags[i].flag);
                _cleanup_free_ char *note = NULL;
                if (asprintf(&note, "%s runs with %s (foreground)", b, flags[i].flag) >= 0)
                        v2c_strv_push(notes, note);
                return true;
        }
        return false;
}

/* v2c-init's check of the secret files, before the options that follow:
 * "--require PATH"... "--secret NAME". */
static void push_require(struct start *st, const struct v2c_secret_mount *req, size_t n_req, const char *secret)
{
        for (size_t i = 0; i < n_req; i++) {
                v2c_strv_push(&st->entrypoint, "--require");
                v2c_strv_push(&st->entrypoint, req[i].path);
        }
        v2c_strv_push(&st->entrypoint, "--secret");
        v2c_strv_push(&st->entrypoint, secret);
}

/* How the image starts S.  REQ (N_REQ of them) are the secret files it
 * needs, held by the Kubernetes Secret SECRET: v2c-init checks them first,
 * then execs a foreground service (which stays PID 1) or supervises a
 * detaching one. */
static int plan_start(const struct v2c_service *s, const struct v2c_secret_mount *req, size_t n_req, const char *secret,
                      const char *starter_pid_file, struct start *st, struct v2c_error **err)
{
        *st = (struct start) { 0 };
        const char *name = s->name;
        _cleanup_strv_ char **argv = strv_dup(s->argv);
        if (argv == NULL || argv[0] == NULL)
                return v2c_error_set_kind(err, V2C_ERR_INPUT, EINVAL,
                                          "service `%s` has no command line in the report: nothing to start", name);
        const char *type = s->type;
        const char *pid_file = s->pid_file;
        if (pid_file == NULL)
                pid_file = starter_pid_file;
        bool forking = type && strcmp(type, "forking") == 0;
        bool fg = foreground_switch(&argv, &st->notes);
        if (forking && !fg) {
                /* Detaches and we know no switch: v2c-init starts it,
                 * follows its PID file, forwards signals, reaps. */
                st->needs_init = true;
                v2c_strv_push(&st->entrypoint, V2C_INIT_PATH);
                if (n_req)
                        push_require(st, req, n_req, secret);
                if (pid_file) {
                        v2c_strv_push(&st->entrypoint, "--pidfile");
                        v2c_strv_push(&st->entrypoint, pid_file);
                        v2c_strv_push(&st->notes, "detaches: started by v2c-init, which follows its PID file");
                } else
                        v2c_strv_push(&st->notes, "detaches and names no PID file: v2c-init stops with its starter");
                v2c_strv_push(&st->entrypoint, "--");
                st->cmd = TAKE_PTR(argv);
        } else {
                if (n_req) {
                        st->needs_init = true;
                        v2c_strv_push(&st->entrypoint, V2C_INIT_PATH);
                        push_require(st, req, n_req, secret);
                        v2c_strv_push(&st->entrypoint, "--exec");
                        v2c_strv_push(&st->entrypoint, "--");
                        v2c_strv_push(&st->notes, "v2c-init checks its secret files are mounted, then execs it");
                }
                v2c_strv_push(&st->entrypoint, argv[0]);
                for (size_t i = 1; argv[i]; i++)
                        v2c_strv_push(&st->cmd, argv[i]);
        }
        if (n_req && forking && !fg)
                v2c_strv_push(&st->notes, "v2c-init checks its secret files are mounted before it starts it");
        if (st->entrypoint == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        return 0;
}

/* ---- the conversion ---- */

struct conv {
        struct v2c_guest *g;
        const struct v2c_report *report;  /* guest strings escaped (v2c_report_escaped) */
        const struct v2c_convert_options *opt;
        struct v2c_pkgdb *db;
        struct col col;
        char **base_pkgs;
        char *passwd, *group;
        int64_t passwd_mtime, group_mtime;
        char **ld_dirs;
        char **warnings;
        const char *arch;      /* OCI architecture name */
        struct pod_plan pods;  /* who shares a pod with whom (pods.c) */
        size_t image_no, n_images;   /* for progress: the image being written (from 1) */
        bool quiet;            /* a walk done only to learn its files (foresee) */
};

static void conv_warn(struct conv *cv, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void conv_warn(struct conv *cv, const char *fmt, ...)
{
        if (cv->quiet)
                return;
        va_list ap;
        va_start(ap, fmt);
        char *m = NULL;
        if (vasprintf(&m, fmt, ap) >= 0)
                v2c_strv_consume(&cv->warnings, m);
        va_end(ap);
}

/* The first MAX strings of V joined by ", ", shown safely (guest bytes:
 * control bytes and bytes that are not UTF-8 as \xNN).  New string, or
 * NULL without memory. */
static char *join_first(char *const *v, size_t max)
{
        _cleanup_buf_ struct v2c_buf b;
        v2c_buf_init(&b, 1u << 20);
        int r = v2c_buf_appends(&b, "");
        for (size_t i = 0; r == 0 && v && v[i] && i < max; i++)
                r = v2c_buf_appends(&b, i ? ", " : "") ?: v2c_buf_appends(&b, v[i]);
        _cleanup_free_ char *joined = r == 0 ? v2c_buf_steal(&b) : NULL;
        return joined ? v2c_text_printable(joined, false) : NULL;
}

static void pkgdb_warn(void *ctx, const char *msg)
{
        conv_warn(ctx, "%s", msg);
}

static const char *oci_arch(const char *a)
{
        if (a == NULL)
                return "amd64";
        static const struct { const char *k, *o; } map[] = {
                { "x86_64", "amd64" }, { "aarch64", "arm64" }, { "i386", "386" }, { "i686", "386" },
                { "ppc64le", "ppc64le" }, { "s390x", "s390x" }, { "arm", "arm" }, { "riscv64", "riscv64" },
        };
        for (size_t i = 0; i < V2C_ARRAY_SIZE(map); i++)
                if (strcmp(a, map[i].k) == 0)
                        return map[i].o;
        return a;
}

/* Packages every long-running, non-system service of the guest needs:
 * the base layer, identical for every image of this guest whichever
 * services one run converts. */
static int compute_base(struct conv *cv)
{
        char **common = NULL;
        bool first = true;
        for (size_t i = 0; i < cv->report->nservices; i++) {
                const struct v2c_service *s = &cv->report->services[i];
                if (!long_running(s) || s->klass == V2C_CLASS_SYSTEM)
                        continue;
                _cleanup_strv_ char **pk = strv_dup(s->packages);
                if (first) {
                        common = TAKE_PTR(pk);
                        first = false;
                        continue;
                }
                size_t w = 0;
                for (size_t k = 0; common && common[k]; k++) {
                        if (v2c_strv_contains(pk, common[k]))
                                common[w++] = common[k];
                        else
                                free(common[k]);
                }
                if (common)
                        common[w] = NULL;
        }
        /* libc is the floor, even when no two services agree. */
        static const char *const floor_pkgs[] = { "libc6", "musl", "glibc" };
        for (size_t k = 0; k < V2C_ARRAY_SIZE(floor_pkgs); k++)
                if (cv->db && v2c_pkgdb_find(cv->db, floor_pkgs[k]))
                        v2c_strv_push_unique(&common, floor_pkgs[k]);
        v2c_strv_sort_uniq(common);
        cv->base_pkgs = common;
        return 0;
}

/* Files of package NAME; those under /etc go to CONFIG_LAYER when it is
 * not -1. */
static int add_package(struct conv *cv, const char *name, int layer, int config_layer, struct v2c_error **err)
{
        const struct v2c_pkg *p = cv->db ? v2c_pkgdb_find(cv->db, name) : NULL;
        if (p == NULL)
                return 0;
        for (size_t i = 0; i < p->n_files; i++) {
                const char *f = p->files[i];
                int l = config_layer >= 0 && v2c_path_is_under(f, "/etc") ? config_layer : layer;
                /* Left out by col_add anyway: not worth a look in the
                 * guest (a round trip on a disk image). */
                if (col_filtered(f))
                        continue;
                /* Directories come with the files below them. */
                if (v2c_guest_exists(cv->g, f, V2C_FT_DIR))
                        continue;
                int r = col_add(&cv->col, l, f, COL_FILTER, err);
                if (r < 0)
                        return v2c_error_prefix(err, r, "package %s", name);
        }
        return 0;
}

/* What the base layer holds besides its packages (fetch_images brings
 * them out with the rest).  Nothing of it may name or identify the
 * machine: the base layer is the OS's, the same for every VM of one
 * template (docs/convert.md, "Host identity"). */
static const char *const base_trees[] = {
        "/usr/share/ca-certificates", "/usr/share/zoneinfo", "/etc/ld.so.conf.d",
};
static const char *const base_files[] = {
        "/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/nsswitch.conf", "/etc/host.conf",
        "/etc/localtime", "/etc/timezone", "/etc/os-release", "/usr/lib/os-release", "/etc/debian_version",
        "/etc/alpine-release", "/etc/ssl/cert.pem", "/bin", "/sbin", "/lib", "/lib64", "/var/run",
        "/var/lock",
};
/* The trust store, taken by add_trust_store; and /etc/hosts, read for
 * add_hosts but never taken. */
#define TRUST_DIR "/etc/ssl/certs"
#define HOSTS_FILE "/etc/hosts"

/* The directories where the trust store's bundle and links share room
 * with certificates of the machine itself (Debian and Alpine; RHEL's
 * /etc/ssl/certs is a link to the second).  Elsewhere (SUSE's
 * /var/lib/ca-certificates/pem) the directory is the tools' output alone. */
static const char *const shared_cert_dirs[] = { "/etc/ssl/certs", "/etc/pki/tls/certs" };

/* Whether PATH, a regular file of a shared certificates directory, is the
 * machine's own (ssl-cert's snakeoil certificate made for its hostname, a
 * server's certificate put there by hand, mod_ssl's localhost.crt): no
 * package's, and not the bundle update-ca-certificates writes. */
static bool own_certificate(const struct conv *cv, const char *path)
{
        if (strcmp(v2c_path_basename(path), "ca-certificates.crt") == 0)
                return false;
        return !(cv->db && v2c_pkgdb_owner_usrmerge(cv->db, path, NULL));
}

/* Whether a service of the report names PATH among its configuration:
 * then its image carries it, in its config layer. */
static bool named_by_a_service(const struct conv *cv, const char *path)
{
        for (size_t i = 0; i < cv->report->nservices; i++)
                if (v2c_strv_contains(cv->report->services[i].config_files, path))
                        return true;
        return false;
}

/* The trust store of TRUST_DIR into the base layer: the bundle, the
 * package's files and the links to CA certificates, but not the machine's
 * own certificates nor the links to them (their hash links): with them,
 * no two VMs would share a base layer.  A service that names one in its
 * configuration still has it, in its config layer. */
static int add_trust_store(struct conv *cv, struct v2c_error **err)
{
        _cleanup_free_ char *dir = NULL;
        if (v2c_guest_realpath(cv->g, TRUST_DIR, &dir, NULL) < 0)
                return 0;
        bool shared = false;
        for (size_t i = 0; i < V2C_ARRAY_SIZE(shared_cert_dirs); i++)
                shared |= strcmp(dir, shared_cert_dirs[i]) == 0;
        if (!shared)
                return col_add(&cv->col, LAYER_BASE, TRUST_DIR, COL_RECURSIVE | COL_FILTER, err);
        int r = col_add(&cv->col, LAYER_BASE, TRUST_DIR, COL_FILTER, err);
        struct v2c_dirent *ents = NULL;
        size_t n = 0;
        if (r < 0 || v2c_guest_list(cv->g, dir, &ents, &n, NULL) < 0)
                return r;
        _cleanup_strv_ char **left_out = NULL;
        for (size_t i = 0; i < n && r >= 0; i++) {
                _cleanup_free_ char *path = NULL, *real = NULL;
                struct v2c_stat st, rst;
                if (asprintf(&path, "%s/%s", dir, ents[i].name) < 0) {
                        r = v2c_error_set(err, ENOMEM, "out of memory");
                        break;
                }
                if (v2c_guest_lstat(cv->g, path, &st, NULL) < 0)
                        continue;
                if (st.type == V2C_FT_REG && own_certificate(cv, path)) {
                        if (!named_by_a_service(cv, path) && v2c_strv_push(&left_out, path) < 0)
                                r = v2c_error_set(err, ENOMEM, "out of memory");
                        continue;
                }
                /* A link to one of those (its hash link) goes with it. */
                if (st.type == V2C_FT_LNK && v2c_guest_realpath(cv->g, path, &real, NULL) == 0 &&
                    v2c_guest_lstat(cv->g, real, &rst, NULL) == 0 && rst.type == V2C_FT_REG) {
                        _cleanup_free_ char *parent = v2c_path_dirname(real);
                        if (parent == NULL) {
                                r = v2c_error_set(err, ENOMEM, "out of memory");
                                break;
                        }
                        if (strcmp(parent, dir) == 0 && own_certificate(cv, real))
                                continue;
                }
                r = col_add(&cv->col, LAYER_BASE, path, (st.type == V2C_FT_DIR ? COL_RECURSIVE : 0) | COL_FILTER, err);
        }
        v2c_dirents_free(ents, n);
        size_t nl = v2c_strv_len(left_out);
        if (r >= 0 && nl > 0) {
                _cleanup_free_ char *list = join_first(left_out, 10);
                if (list == NULL)
                        return v2c_error_set(err, ENOMEM, "out of memory");
                conv_warn(cv, "not in the base layer, as this machine's own (no package's, not the trust store's "
                              "bundle): %s%s; a service whose configuration names one has it in its config layer, "
                              "and a CA to trust belongs in /usr/local/share/ca-certificates",
                          list, nl > 10 ? ", ..." : "");
        }
        return r;
}

/* The guest's /etc/hosts names the VM: every image holds the neutral one
 * instead (hosts.c), and the names of other machines it held are told. */
static int add_hosts(struct conv *cv, struct v2c_error **err)
{
        _cleanup_free_ char *data = NULL;
        size_t len = 0;
        struct v2c_stat st;
        /* The file itself, never what a link named /etc/hosts points to,
         * nor a file the report says holds a secret: its lines go to a
         * warning. */
        if (!cv->quiet && v2c_guest_lstat(cv->g, HOSTS_FILE, &st, NULL) == 0 && st.type == V2C_FT_REG &&
            !v2c_strv_contains(cv->col.secrets, HOSTS_FILE) &&
            v2c_guest_read_file(cv->g, HOSTS_FILE, 1u << 20, &data, &len, NULL) == 0) {
                _cleanup_strv_ char **foreign = NULL;
                size_t total = 0;
                int r = convert_hosts_foreign(data, len, cv->report->os.hostname, 5, &foreign, &total, err);
                if (r < 0)
                        return r;
                _cleanup_free_ char *shown = total ? join_first(foreign, 5) : NULL;
                if (total && shown == NULL)
                        return v2c_error_set(err, ENOMEM, "out of memory");
                if (total)
                        conv_warn(cv, "/etc/hosts of the guest names other machines, which no image holds (a "
                                      "container runtime writes its own /etc/hosts): %s%s; give them at run time "
                                      "(podman run --add-host NAME:ADDRESS, a pod's hostAliases) or in DNS",
                                  shown, total > 5 ? ", ..." : "");
        }
        int64_t t = cv->opt->layer.epoch ? cv->opt->layer.epoch : V2C_DEFAULT_SOURCE_DATE_EPOCH;
        return col_add_data(&cv->col, LAYER_BASE, HOSTS_FILE, convert_neutral_hosts, strlen(convert_neutral_hosts),
                            0644, t, err);
}

static int add_base(struct conv *cv, struct v2c_error **err)
{
        /* First, so that no package's copy (alpine-baselayout's, the
         * setup package's) takes its place. */
        int r = add_hosts(cv, err);
        if (r < 0)
                return r;
        for (size_t i = 0; cv->base_pkgs && cv->base_pkgs[i]; i++) {
                r = add_package(cv, cv->base_pkgs[i], LAYER_BASE, -1, err);
                if (r < 0)
                        return r;
        }
        r = add_trust_store(cv, err);
        if (r < 0)
                return r;
        const char *const *trees = base_trees, *const *files = base_files;
        for (size_t i = 0; i < V2C_ARRAY_SIZE(base_trees); i++) {
                r = col_add(&cv->col, LAYER_BASE, trees[i], COL_RECURSIVE | COL_FILTER, err);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < V2C_ARRAY_SIZE(base_files); i++) {
                r = col_add(&cv->col, LAYER_BASE, files[i], 0, err);
                if (r < 0)
                        return r;
        }
        /* The directories every program assumes. */
        static const struct { const char *path; uint32_t mode; } dirs[] = {
                { "/tmp", 01777 }, { "/var/tmp", 01777 }, { "/run", 0755 }, { "/run/lock", 01777 },
                { "/var/log", 0755 }, { "/var/cache", 0755 }, { "/var/lib", 0755 }, { "/root", 0700 },
        };
        for (size_t i = 0; i < V2C_ARRAY_SIZE(dirs); i++) {
                r = col_add_dir(&cv->col, LAYER_BASE, dirs[i].path, dirs[i].mode, 0, 0, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* ---- ELF closure ---- */

static int ld_load(void *ctx, const char *path, struct v2c_elf_info **info, struct v2c_error **err)
{
        struct conv *cv = ctx;
        _cleanup_free_ char *data = NULL;
        size_t len;
        (void) err;
        if (v2c_guest_read_file(cv->g, path, CONVERT_MAX_BINARY, &data, &len, NULL) < 0)
                return V2C_LD_LOAD_ABSENT;
        if (v2c_elf_parse(data, len, info, NULL) < 0)
                return V2C_LD_LOAD_ABSENT;
        return V2C_LD_LOAD_FOLLOW;
}

/* Adds the libraries PATH needs (when it is ELF) and its loader. */
static int add_elf_closure(struct conv *cv, const char *path, int layer, struct v2c_error **err)
{
        _cleanup_free_ char *data = NULL, *real = NULL;
        size_t len;
        if (v2c_guest_realpath(cv->g, path, &real, NULL) < 0 ||
            v2c_guest_read_file(cv->g, real, CONVERT_MAX_BINARY, &data, &len, NULL) < 0 || !v2c_is_elf(data, len))
                return 0;
        struct v2c_elf_info *info = NULL;
        if (v2c_elf_parse(data, len, &info, NULL) < 0)
                return 0;
        if (cv->ld_dirs == NULL)
                v2c_guest_ld_dirs(cv->g, &cv->ld_dirs);
        struct v2c_ld_search search = { .arch = info->arch, .conf_dirs = cv->ld_dirs };
        struct v2c_ld_closure *cl = NULL;
        int r = 0;
        if (v2c_ld_closure(&search, real, info, ld_load, cv, 0, &cl, NULL) == 0) {
                for (size_t i = 0; r >= 0 && cl->paths && cl->paths[i]; i++)
                        r = col_add(&cv->col, layer, cl->paths[i], 0, err);
                for (size_t i = 0; cl->missing && cl->missing[i]; i++)
                        conv_warn(cv, "%s needs %s, which the guest does not have", path, cl->missing[i]);
                v2c_ld_closure_free(cl);
        }
        if (r >= 0 && info->interp)
                r = col_add(&cv->col, layer, info->interp, 0, err);
        v2c_elf_info_free(info);
        return r;
}

/* A script runs through the path its "#!" line names, symlinks and all
 * (/usr/bin/python3 -> python3.11): that path comes along, and for
 * "#!/usr/bin/env NAME" the NAME on the default PATH too. */
static int add_shebang(struct conv *cv, const char *path, int layer, struct v2c_error **err)
{
        _cleanup_free_ char *data = NULL;
        size_t len;
        if (v2c_guest_read_file(cv->g, path, CONVERT_MAX_BINARY, &data, &len, NULL) < 0)
                return 0;
        struct v2c_shebang *sb = NULL;
        if (v2c_shebang_parse(data, len, &sb, NULL) != 1)
                return 0;
        int r = col_add(&cv->col, layer, sb->interpreter, 0, err);
        if (r >= 0)
                r = add_elf_closure(cv, sb->interpreter, layer, err);
        const char *base = v2c_path_basename(sb->interpreter);
        if (r >= 0 && sb->name && strcmp(sb->name, base) != 0 && strchr(sb->name, '/') == NULL) {
                static const char *const dirs[] = { "/usr/local/bin", "/usr/bin", "/bin" };
                for (size_t i = 0; r >= 0 && i < V2C_ARRAY_SIZE(dirs); i++) {
                        _cleanup_free_ char *cand = NULL;
                        if (asprintf(&cand, "%s/%s", dirs[i], sb->name) < 0) {
                                r = v2c_error_set(err, ENOMEM, "out of memory");
                                break;
                        }
                        if (v2c_guest_exists(cv->g, cand, V2C_FT_REG)) {
                                r = col_add(&cv->col, layer, cand, 0, err);
                                if (r >= 0)
                                        r = add_elf_closure(cv, cand, layer, err);
                                break;
                        }
                }
        }
        v2c_shebang_free(sb);
        return r;
}

/* The packages of a shell's basic userland (and what they depend on),
 * with the libraries of their programs: what a service's shell script
 * calls (sleep, cat, sed, grep). */
static const char *const userland_roots[] = { "coreutils", "sed", "grep", "busybox", "mawk", "gawk", "findutils" };

static int add_userland(struct conv *cv, char *const *have, struct v2c_error **err)
{
        const char *const *roots = userland_roots;
        _cleanup_strv_ char **present = NULL;
        for (size_t i = 0; i < V2C_ARRAY_SIZE(userland_roots); i++)
                if (v2c_pkgdb_find(cv->db, roots[i]))
                        v2c_strv_push(&present, roots[i]);
        if (present == NULL)
                return 0;
        const struct v2c_pkg **pkgs = NULL;
        int n = v2c_pkgdb_closure(cv->db, present, &pkgs, NULL, NULL);
        int r = 0;
        for (int i = 0; i < n && r >= 0; i++) {
                const struct v2c_pkg *p = pkgs[i];
                if (v2c_strv_contains(cv->base_pkgs, p->name) || v2c_strv_contains(have, p->name))
                        continue;
                r = add_package(cv, p->name, LAYER_PACKAGES, LAYER_CONFIG, err);
                for (size_t k = 0; r >= 0 && k < p->n_files; k++)
                        if (v2c_path_is_under(p->files[k], "/usr/bin") || v2c_path_is_under(p->files[k], "/bin"))
                                r = add_elf_closure(cv, p->files[k], LAYER_PACKAGES, err);
        }
        free(pkgs);
        return r;
}

/* Caps on what the scripts of one service make us look at. */
#define SCRIPT_MAX_BYTES (1u << 20)
#define SCRIPT_MAX_COMMANDS 128u
#define SCRIPT_MAX_FILES 32u
#define SCRIPT_MAX_DEPTH 3u

static bool is_shell(const char *interpreter);

/* Where a shell finds NAME: the usual PATH, as a service's starts with. */
static char *find_program(struct conv *cv, const char *name)
{
        if (name[0] == '/')
                return v2c_guest_exists(cv->g, name, V2C_FT_REG) ? strdup(name) : NULL;
        static const char *const dirs[] = { "/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin" };
        for (size_t i = 0; i < V2C_ARRAY_SIZE(dirs); i++) {
                char *cand = NULL;
                if (asprintf(&cand, "%s/%s", dirs[i], name) < 0)
                        return NULL;
                if (v2c_guest_exists(cv->g, cand, V2C_FT_REG))
                        return cand;
                free(cand);
        }
        return NULL;
}

/* The programs shell script PATH runs (id, mktemp, chmod...) and the
 * files it sources come along, with their libraries; the scripts among
 * them are read in turn, up to SCRIPT_MAX_DEPTH deep and SCRIPT_MAX_FILES
 * in all (*SEEN).  SOURCED: PATH is read by a shell, whatever its first
 * line says.  Names the shell would find nowhere are left to fail as
 * they would on the VM. */
static int add_script_needs(struct conv *cv, const char *path, bool sourced, unsigned depth, char ***seen,
                            struct v2c_error **err)
{
        if (depth > SCRIPT_MAX_DEPTH || v2c_strv_len(*seen) >= SCRIPT_MAX_FILES || v2c_strv_contains(*seen, path))
                return 0;
        if (v2c_strv_push(seen, path) < 0)
                return v2c_error_set(err, ENOMEM, "out of memory");
        _cleanup_free_ char *data = NULL;
        size_t len;
        if (v2c_guest_read_file(cv->g, path, SCRIPT_MAX_BYTES, &data, &len, NULL) < 0)
                return 0;
        if (!sourced) {
                struct v2c_shebang *sb = NULL;
                bool shell = v2c_shebang_parse(data, len, &sb, NULL) == 1 && is_shell(sb->interpreter);
                v2c_shebang_free(sb);
                if (!shell)
                        return 0;
        }
        _cleanup_strv_ char **cmds = NULL, **srcs = NULL;
        int r = convert_sh_scan(data, len, SCRIPT_MAX_COMMANDS, &cmds, &srcs, err);
        for (size_t i = 0; r >= 0 && cmds && cmds[i]; i++) {
                _cleanup_free_ char *prog = find_program(cv, cmds[i]);
                if (prog == NULL)
                        continue;
                r = col_add(&cv->col, LAYER_PACKAGES, prog, 0, err);
                if (r >= 0)
                        r = add_elf_closure(cv, prog, LAYER_PACKAGES, err);
                if (r >= 0)
                        r = add_shebang(cv, prog, LAYER_PACKAGES, err);
                if (r >= 0)
                        r = add_script_needs(cv, prog, false, depth + 1, seen, err);
        }
        for (size_t i = 0; r >= 0 && srcs && srcs[i]; i++) {
                if (!v2c_guest_exists(cv->g, srcs[i], V2C_FT_REG))
                        continue;
                r = col_add(&cv->col, LAYER_CONFIG, srcs[i], COL_FILTER, err);
                if (r >= 0)
                        r = add_script_needs(cv, srcs[i], true, depth + 1, seen, err);
        }
        return r;
}

/* Caps on the tmpfiles.d of one package. */
#define TMPFILES_MAX_BYTES (64u << 10)
#define TMPFILES_MAX_DIRS 64u

/* The run-time directories package P declares in tmpfiles.d (what
 * systemd-tmpfiles makes at boot on the VM: /run/haproxy, 2775
 * haproxy:haproxy), made in the image with that mode and owner.  A file
 * of the same name in /etc/tmpfiles.d replaces the package's, as it does
 * for systemd-tmpfiles. */
static int add_tmpfiles_dirs(struct conv *cv, const struct v2c_pkg *p, struct v2c_error **err)
{
        int r = 0;
        _cleanup_free_ char *var_run = NULL;
        bool run_link = v2c_guest_realpath(cv->g, "/var/run", &var_run, NULL) == 0 && strcmp(var_run, "/run") == 0;
        for (size_t k = 0; r >= 0 && k < p->n_files; k++) {
                const char *f = p->files[k];
                size_t fl = strlen(f);
                if (fl < 6 || strcmp(f + fl - 5, ".conf") != 0 ||
                    !(v2c_path_is_under(f, "/usr/lib/tmpfiles.d") || v2c_path_is_under(f, "/lib/tmpfiles.d")))
                        continue;
                _cleanup_free_ char *over = NULL, *data = NULL;
                if (asprintf(&over, "/etc/tmpfiles.d/%s", v2c_path_basename(f)) < 0)
                        return v2c_error_set(err, ENOMEM, "out of memory");
                const char *src = v2c_guest_exists(cv->g, over, V2C_FT_REG) ? over : f;
                size_t len;
                if (v2c_guest_read_file(cv->g, src, TMPFILES_MAX_BYTES, &data, &len, NULL) < 0)
                        continue;
                struct convert_tmpdir *dirs = NULL;
                size_t n = 0;
                r = convert_tmpfiles_parse(data, len, TMPFILES_MAX_DIRS, &dirs, &n, err);
                for (size_t i = 0; r >= 0 && i < n; i++) {
                        /* No group: the user's (systemd-tmpfiles does
                         * the same); a group line's id is its third field. */
                        struct account u = { 0 }, g = { 0 };
                        if (dirs[i].user[0] && !convert_lookup_account(cv->passwd, dirs[i].user, &u))
                                conv_warn(cv, "%s: %s's owner %s is not in the guest's /etc/passwd: root owns it",
                                          src, dirs[i].path, dirs[i].user);
                        uint32_t gid = u.gid;
                        if (dirs[i].group[0]) {
                                if (convert_lookup_account(cv->group, dirs[i].group, &g))
                                        gid = g.uid;
                                else
                                        conv_warn(cv, "%s: %s's group %s is not in the guest's /etc/group: %s's",
                                                  src, dirs[i].path, dirs[i].group, u.found ? u.name : "root");
                        }
                        /* /var/run/X where /var/run is the guest's link to
                         * /run: made as /run/X, under the link the image has. */
                        const char *path = dirs[i].path;
                        _cleanup_free_ char *moved = NULL;
                        if (v2c_path_is_under(path, "/var/run") && run_link) {
                                if (asprintf(&moved, "/run%s", path + strlen("/var/run")) < 0)
                                        r = v2c_error_set(err, ENOMEM, "out of memory");
                                path = moved;
                        }
                        if (r >= 0)
                                r = col_add_dir(&cv->col, LAYER_APP, path, dirs[i].mode, u.uid, gid, err);
                }
                convert_tmpfiles_free(dirs, n);
        }
        return r;
}

/* At most this many packages come in for the configuration that names them. */
#define CONFIG_MAX_OWNERS 16u

/* A configuration file that is another package's (an enabled module's
 * /etc/apache2/mods-enabled/php8.2.load, a link into
 * libapache2-mod-php8.2) brings that package's files along, and the
 * libraries of its shared objects and programs: the daemon loads what
 * its configuration enables.  HAVE: the packages the image has already;
 * *ADDED: those added here. */
static int add_config_owners(struct conv *cv, char *const *conf, char *const *have, char ***added,
                             struct v2c_error **err)
{
        int r = 0;
        for (size_t i = 0; r >= 0 && conf && conf[i] && v2c_strv_len(*added) < CONFIG_MAX_OWNERS; i++) {
                _cleanup_free_ char *real = NULL;
                if (v2c_guest_realpath(cv->g, conf[i], &real, NULL) < 0)
                        continue;
                const struct v2c_pkg *p = v2c_pkgdb_owner_usrmerge(cv->db, real, NULL);
                if (p == NULL || v2c_strv_contains(have, p->name) || v2c_strv_contains(cv->base_pkgs, p->name) ||
                    v2c_strv_contains(*added, p->name))
                        continue;
                if (v2c_strv_push(added, p->name) < 0)
                        return v2c_error_set(err, ENOMEM, "out of memory");
                r = add_package(cv, p->name, LAYER_PACKAGES, LAYER_CONFIG, err);
                for (size_t k = 0; r >= 0 && k < p->n_files; k++) {
                        const char *f = p->files[k];
                        size_t fl = strlen(f);
                        if ((fl > 3 && strcmp(f + fl - 3, ".so") == 0) || strstr(f, ".so.") ||
                            v2c_path_is_under(f, "/usr/bin") || v2c_path_is_under(f, "/usr/sbin"))
                                r = add_elf_closure(cv, f, LAYER_PACKAGES, err);
                }
        }
        return r;
}

/* ---- one image ---- */

struct image {
        const struct v2c_service *svc;
        const char *name;
        char *ref;
        struct start start;
        struct account user;
        uint32_t user_gid;      /* the group user_spec names (its own when none), when user.found */
        char *user_spec;
        char **env, **env_required, **volumes;
        unsigned *ports;
        size_t n_ports;
        char *stop_signal;
        /* Secret files it needs (mounted at run time), and what the
         * report says of each (borrowed from it). */
        struct v2c_secret_mount *secret_files;
        size_t n_secret_files;
        const struct v2c_secret_file **secret_src;
        char app[64];                  /* its name in the Kubernetes manifests */
        char *secret_name;             /* "<app>-files" */
};

static void secret_mounts_free(struct v2c_secret_mount *m, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(m[i].path);
                free(m[i].key);
        }
        free(m);
}

static void image_release(struct image *im)
{
        secret_mounts_free(im->secret_files, im->n_secret_files);
        free(im->secret_src);
        free(im->secret_name);
        free(im->ref);
        start_release(&im->start);
        free(im->user_spec);
        v2c_strv_free(im->env);
        v2c_strv_free(im->env_required);
        v2c_strv_free(im->volumes);
        free(im->ports);
        free(im->stop_signal);
}

/* A reference name the OCI grammar and skopeo's oci:DIR:NAME accept. */
static char *ref_name_of(const char *service)
{
        char *r = strdup(service);
        for (char *p = r; p && *p; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '.' ||
                      *p == '_' || *p == '-'))
                        *p = '-';
        return r;
}

/* A Secret key for PATH: its name with bytes Kubernetes refuses made '-',
 * unique among the N keys before it. */
static char *secret_key_of(const char *path, const struct v2c_secret_mount *prev, size_t n)
{
        char base[201];
        snprintf(base, sizeof base, "%s", v2c_path_basename(path));
        for (char *p = base; *p; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '.' ||
                      *p == '_' || *p == '-'))
                        *p = '-';
        if (base[0] == '\0' || strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
                snprintf(base, sizeof base, "file");
        for (unsigned k = 1;; k++) {
                char *key = NULL;
                if ((k == 1 ? asprintf(&key, "%s", base) : asprintf(&key, "%s-%u", base, k)) < 0)
                        return NULL;
                bool taken = false;
                for (size_t i = 0; i < n && !taken; i++)
                        taken = strcmp(prev[i].key, key) == 0;
                if (!taken)
                        return key;
                free(key);
        }
}

/* The report's secret_files of S, but those the user keeps in the image
 * (--include-secret). */
static int plan_secret_files(struct conv *cv, const struct v2c_service *s, struct image *im, struct v2c_error **err)
{
        size_t n = s->nsecret_files;
        if (n > V2C_K8S_MAX_VOLUMES)
                return v2c_error_set_kind(err, V2C_ERR_INPUT, E2BIG, "service `%s` needs more than %d secret files",
                                          im->name, V2C_K8S_MAX_VOLUMES);
        if (n == 0)
                return 0;
        im->secret_files = calloc(n, sizeof *im->secret_files);
        im->secret_src = calloc(n, sizeof *im->secret_src);
        if (im->secret_files == NULL || im->secret_src == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        for (size_t i = 0; i < n; i++) {
                const struct v2c_secret_file *f = &s->secret_files[i];
                /* The reader checked the path is absolute, the mode and owner. */
                const char *path = f->path;
                if (strlen(path) > PATH_MAX)
                        return v2c_error_set_kind(err, V2C_ERR_INPUT, ENAMETOOLONG,
                                                  "service `%s`: a secret file's path is longer than %d bytes",
                                                  im->name, PATH_MAX);
                /* The report holds a name that is not UTF-8 escaped; the
                 * check at start and --verify need the guest's bytes, and
                 * a Kubernetes manifest can only name UTF-8 paths. */
                _cleanup_free_ char *raw = v2c_utf8_unescape(path);
                if (raw == NULL)
                        return v2c_error_set(err, ENOMEM, "out of memory");
                if (v2c_strv_contains(cv->opt->include_secrets, raw) || v2c_strv_contains(cv->opt->include_secrets, path))
                        continue;
                /* A name that is not UTF-8 cannot be named by the image's
                 * config (JSON) for v2c-init to check, nor by a Kubernetes
                 * mountPath.  It stays out of the image all the same; the
                 * user mounts it if the service needs it. */
                if (!v2c_text_is_utf8(raw)) {
                        conv_warn(cv, "%s: secret file %s (its name is not UTF-8) is left out of the image and "
                                      "not required at run time: mount it yourself if the service needs it",
                                  im->name, path);
                        continue;
                }
                path = raw;
                bool dup = false;
                for (size_t k = 0; k < im->n_secret_files && !dup; k++)
                        dup = strcmp(im->secret_files[k].path, path) == 0;
                if (dup)
                        continue;
                struct v2c_secret_mount *sm = &im->secret_files[im->n_secret_files];
                sm->key = secret_key_of(path, im->secret_files, im->n_secret_files);
                sm->path = strdup(path);
                sm->uid = f->uid;
                sm->gid = f->gid;
                sm->mode = f->mode & 0777;
                im->secret_src[im->n_secret_files++] = f;
                if (sm->key == NULL || sm->path == NULL)
                        return v2c_error_set(err, ENOMEM, "out of memory");
        }
        return 0;
}

/* The PID file of the daemon a known starter script leaves behind when
 * the unit names none: Debian's "apachectl start" (Type=forking, no
 * PIDFile=) detaches apache2, which writes APACHE_PID_FILE of
 * /etc/apache2/envvars.  The starter stays what runs (it makes the run
 * and lock directories and sources envvars), and v2c-init follows the PID
 * file: "apachectl -DFOREGROUND" would not exec apache2, so the shell
 * would be PID 1 and the stop signal would never reach apache2.  New
 * string, or NULL. */
static char *starter_pid_file(struct conv *cv, const struct v2c_service *s)
{
        char *const *argv = s->argv;
        if (argv == NULL || argv[0] == NULL || argv[1] == NULL || strcmp(argv[1], "start") != 0 || argv[2] ||
            s->pid_file)
                return NULL;
        const char *b = v2c_path_basename(argv[0]);
        if (strcmp(b, "apachectl") != 0 && strcmp(b, "apache2ctl") != 0)
                return NULL;
        _cleanup_free_ char *data = NULL;
        size_t len;
        char value[256] = "/var/run/apache2/apache2.pid";
        if (v2c_guest_read_file(cv->g, "/etc/apache2/envvars", 64u << 10, &data, &len, NULL) == 0) {
                /* "export APACHE_PID_FILE=/var/run/apache2$SUFFIX/apache2.pid":
                 * SUFFIX is empty for /etc/apache2, the only instance a unit
                 * without an instance name starts. */
                for (char *l = data; l && *l;) {
                        char *e = strchr(l, '\n');
                        if (e)
                                *e = '\0';
                        l += strspn(l, " \t");
                        if (strncmp(l, "export ", 7) == 0)
                                l += 7 + strspn(l + 7, " \t");
                        if (strncmp(l, "APACHE_PID_FILE=", 16) == 0) {
                                char v[256];
                                size_t w = 0;
                                bool literal = true;
                                for (const char *p = l + 16; *p && *p != ' ' && *p != '\t' && *p != '#'; p++) {
                                        if (strncmp(p, "$SUFFIX", 7) == 0 || strncmp(p, "${SUFFIX}", 9) == 0) {
                                                p += p[1] == '{' ? 8 : 6;
                                                continue;
                                        }
                                        if (*p == '"' || *p == '\'')
                                                continue;
                                        if (*p == '$' || *p == '`' || *p == '\\' || w + 1 >= sizeof v) {
                                                literal = false;
                                                break;
                                        }
                                        v[w++] = *p;
                                }
                                v[w] = '\0';
                                if (literal && v[0] == '/')
                                        snprintf(value, sizeof value, "%s", v);
                        }
                        l = e ? e + 1 : NULL;
                }
        }
        return strdup(value);
}

static int plan_image(struct conv *cv, const struct v2c_service *s, struct image *im, struct v2c_error **err)
{
        im->svc = s;
        im->name = s->name;
        im->ref = ref_name_of(im->name);
        int r = v2c_k8s_app_name(im->ref, im->app, err);
        if (r < 0)
                return r;
        if (asprintf(&im->secret_name, "%s-files", im->app) < 0) {
                im->secret_name = NULL;
                return v2c_error_set(err, ENOMEM, "out of memory");
        }
        r = plan_secret_files(cv, s, im, err);
        if (r < 0)
                return r;
        _cleanup_free_ char *starter_pid = starter_pid_file(cv, s);
        r = plan_start(s, im->secret_files, im->n_secret_files, im->secret_name, starter_pid, &im->start, err);
        if (r < 0)
                return r;

        /* The user: as the unit says; DynamicUser= without User= is an
         * anonymous id, which nobody stands for in an image. */
        const char *user = s->user, *group = s->group;
        if (user == NULL && s->dynamic_user)
                user = "nobody";
        if (user && !convert_lookup_account(cv->passwd, user, &im->user)) {
                conv_warn(cv, "%s: user %s is not in the guest's /etc/passwd: the image runs it as root", im->name, user);
                user = NULL;
        }
        if (user) {
                struct account g;
                im->user_gid = im->user.gid;
                if (group && convert_lookup_account(cv->group, group, &g)) {
                        im->user_gid = g.uid;   /* a group line's id is its third field */
                        r = asprintf(&im->user_spec, "%s:%s", im->user.name, g.name);
                } else
                        r = asprintf(&im->user_spec, "%s", im->user.name);
                if (r < 0)
                        return v2c_error_set(err, ENOMEM, "out of memory");
        }

        /* Environment: secrets stay out and become required at run time. */
        char *const *env = s->environment;
        bool has_path = false;
        for (size_t i = 0; env && env[i]; i++) {
                const char *eq = strchr(env[i], '=');
                if (eq == NULL)
                        continue;
                if (strcmp(eq + 1, "<redacted>") == 0) {
                        _cleanup_free_ char *n = strndup(env[i], (size_t) (eq - env[i]));
                        v2c_strv_push_unique(&im->env_required, n);
                        continue;
                }
                has_path |= strncmp(env[i], "PATH=", 5) == 0;
                v2c_strv_push(&im->env, env[i]);
        }
        if (!has_path)
                v2c_strv_push(&im->env, DEFAULT_PATH);
        v2c_strv_sort_uniq(im->env_required);

        for (size_t i = 0; i < s->nports; i++) {
                unsigned port = s->ports[i].port;
                if (strcmp(s->ports[i].proto, "tcp") != 0)
                        continue;
                bool dup = false;
                for (size_t k = 0; k < im->n_ports; k++)
                        dup |= im->ports[k] == (unsigned) port;
                if (dup)
                        continue;
                unsigned *np = realloc(im->ports, (im->n_ports + 1) * sizeof *np);
                if (np == NULL)
                        return v2c_error_set(err, ENOMEM, "out of memory");
                im->ports = np;
                im->ports[im->n_ports++] = (unsigned) port;
        }
        const char *ks = s->kill_signal;
        if (ks) {
                if (strncmp(ks, "SIG", 3) == 0)
                        im->stop_signal = strdup(ks);
                else if (asprintf(&im->stop_signal, "SIG%s", ks) < 0)
                        im->stop_signal = NULL;
        }

        /* Stateful services (and those to review, converted on purpose)
         * keep their data outside the image. */
        if (s->klass == V2C_CLASS_STATEFUL || s->klass == V2C_CLASS_REVIEW) {
                char *const *data = s->data_paths;
                char *const *state = s->state_dirs;
                for (size_t k = 0; data && data[k]; k++)
                        v2c_strv_push_unique(&im->volumes, data[k]);
                for (size_t k = 0; state && state[k]; k++)
                        v2c_strv_push_unique(&im->volumes, state[k]);
                v2c_strv_sort_uniq(im->volumes);
        }
        return 0;
}

/* What both kinds of image get last: log files as links to the
 * container's output (as the official images of nginx and httpd do it),
 * and v2c-init when the service needs it. */
static int add_run_time_links(struct conv *cv, struct image *im, struct v2c_error **err)
{
        struct col *c = &cv->col;
        char *const *logs = im->svc->log_files;
        bool logs_linked = false;
        int r = 0;
        for (size_t i = 0; r >= 0 && logs && logs[i]; i++) {
                _cleanup_free_ char *norm = NULL;
                if (v2c_path_normalize("/", logs[i], &norm) < 0)
                        return v2c_error_set(err, ENOMEM, "out of memory");
                _cleanup_free_ char *dir = v2c_path_dirname(norm), *real = NULL;
                if (dir == NULL)
                        return v2c_error_set(err, ENOMEM, "out of memory");
                if (v2c_guest_realpath(cv->g, dir, &real, NULL) < 0)
                        continue;
                const char *b = v2c_path_basename(norm);
                _cleanup_free_ char *link = NULL;
                if (asprintf(&link, "%s/%s", strcmp(real, "/") ? real : "", b) < 0)
                        return v2c_error_set(err, ENOMEM, "out of memory");
                r = col_add_symlink(c, LAYER_APP, link, strstr(b, "err") ? "/dev/stderr" : "/dev/stdout", err);
                logs_linked = true;
        }
        if (r >= 0 && logs_linked)
                v2c_strv_push(&im->start.notes, "log files are links to the container's stdout/stderr");
        if (r >= 0 && im->start.needs_init)
                r = col_add_data(c, LAYER_APP, V2C_INIT_PATH, v2c_init_binary, v2c_init_binary_size, 0755,
                                 cv->opt->layer.epoch, err);
        return r;
}

/* A shell script calls the basic userland: it comes along. */
static bool is_shell(const char *interpreter)
{
        const char *b = v2c_path_basename(interpreter);
        return strcmp(b, "sh") == 0 || strcmp(b, "dash") == 0 || strcmp(b, "bash") == 0 || strcmp(b, "ash") == 0 ||
               strcmp(b, "busybox") == 0;
}

/* A working directory of / or /usr is not the app's own. */
static bool shared_dir(const char *path)
{
        static const char *const shared_dirs[] = {
                "/", "/usr", "/usr/lib", "/usr/bin", "/usr/sbin", "/usr/share", "/usr/local", "/etc",
                "/var", "/var/lib", "/bin", "/sbin", "/lib", "/home", "/root", "/tmp", "/srv", "/opt",
                "/run", "/var/log", "/var/cache", "/var/tmp", "/lib64", "/usr/lib64",
        };
        for (size_t k = 0; k < V2C_ARRAY_SIZE(shared_dirs); k++)
                if (strcmp(path, shared_dirs[k]) == 0)
                        return true;
        return false;
}

static int add_service_files(struct conv *cv, struct image *im, struct v2c_error **err)
{
        const struct v2c_service *s = im->svc;
        struct col *c = &cv->col;
        int r = 0;
        uint32_t uid = im->user.found ? im->user.uid : 0, gid = im->user.found ? im->user.gid : 0;

        /* The application's own files (and any ELF among them). */
        char *const *app = s->app_files;
        for (size_t i = 0; r >= 0 && app && app[i]; i++) {
                r = col_add(c, LAYER_APP, app[i], shared_dir(app[i]) ? 0 : COL_RECURSIVE, err);
                if (r >= 0 && v2c_guest_exists(cv->g, app[i], V2C_FT_REG))
                        r = add_elf_closure(cv, app[i], LAYER_PACKAGES, err);
                if (r >= 0 && v2c_guest_exists(cv->g, app[i], V2C_FT_REG))
                        r = add_shebang(cv, app[i], LAYER_PACKAGES, err);
        }
        const char *wd = s->working_dir;
        if (r >= 0 && wd)
                r = col_add_dir(c, LAYER_APP, wd, 0755, uid, gid, err);
        if (r < 0)
                return r;

        /* Packages (their /etc files are configuration). */
        char **pkgs = s->packages;
        for (size_t i = 0; r >= 0 && pkgs && pkgs[i]; i++)
                if (!v2c_strv_contains(cv->base_pkgs, pkgs[i]))
                        r = add_package(cv, pkgs[i], LAYER_PACKAGES, LAYER_CONFIG, err);
        /* A shell script calls the basic userland: it comes along. */
        const char *sh = s->interpreter;
        if (r >= 0 && sh && cv->db && is_shell(sh))
                r = add_userland(cv, pkgs, err);
        /* The executable, its interpreter, and their libraries. */
        const char *exec_path = s->exec_path, *interp = s->interpreter;
        const char *progs[] = { exec_path, interp };
        for (size_t i = 0; r >= 0 && i < V2C_ARRAY_SIZE(progs); i++)
                if (progs[i]) {
                        r = col_add(c, LAYER_PACKAGES, progs[i], 0, err);
                        if (r >= 0)
                                r = add_elf_closure(cv, progs[i], LAYER_PACKAGES, err);
                        if (r >= 0)
                                r = add_shebang(cv, progs[i], LAYER_PACKAGES, err);
                }
        /* A shell script as the executable: what it runs. */
        _cleanup_strv_ char **seen = NULL;
        if (r >= 0 && exec_path)
                r = add_script_needs(cv, exec_path, false, 0, &seen, err);
        char *const *libs = s->libraries;
        for (size_t i = 0; r >= 0 && libs && libs[i]; i++)
                r = col_add(c, LAYER_PACKAGES, libs[i], 0, err);
        if (r < 0)
                return r;

        /* Configuration. */
        char **conf = s->config_files;
        char *const *envf = s->environment_files;
        for (size_t i = 0; r >= 0 && conf && conf[i]; i++)
                r = col_add(c, LAYER_CONFIG, conf[i], COL_RECURSIVE | COL_FILTER, err);
        for (size_t i = 0; r >= 0 && envf && envf[i]; i++)
                r = col_add(c, LAYER_CONFIG, envf[i], COL_FILTER, err);
        /* A secret file its configuration names is mounted at run time
         * (plan_secret_files), unless the user keeps it (--include-secret):
         * then it goes in with the configuration, or the service would
         * start without it. */
        for (size_t si = 0; si < s->nsecret_files; si++) {
                const char *p = s->secret_files[si].path;
                _cleanup_free_ char *raw = p ? v2c_utf8_unescape(p) : NULL;
                if (r >= 0 && raw && (v2c_strv_contains(cv->opt->include_secrets, raw) ||
                                      v2c_strv_contains(cv->opt->include_secrets, p)))
                        r = col_add(c, LAYER_CONFIG, raw, 0, err);
        }
        _cleanup_strv_ char **owners = NULL;
        if (r >= 0 && cv->db)
                r = add_config_owners(cv, conf, pkgs, &owners, err);
        if (r < 0)
                return r;
        _cleanup_free_ char *pw = convert_filter_accounts(cv->passwd, im->user.found ? im->user.name : NULL,
                                                  im->user.found ? (long) im->user.uid : -1);
        _cleanup_free_ char *gr = convert_filter_accounts(cv->group, NULL, im->user.found ? (long) im->user.gid : -1);
        if (pw == NULL || gr == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        r = col_add_data(c, LAYER_CONFIG, "/etc/passwd", pw, strlen(pw), 0644, cv->passwd_mtime, err);
        if (r >= 0)
                r = col_add_data(c, LAYER_CONFIG, "/etc/group", gr, strlen(gr), 0644, cv->group_mtime, err);
        if (r < 0)
                return r;

        /* Directories it needs at run time: systemd's, its packages',
         * and its PID file's. */
        char *const *const kinds[] = { s->runtime_dirs, s->logs_dirs, s->cache_dirs, s->state_dirs, s->rw_paths };
        for (size_t k = 0; r >= 0 && k < V2C_ARRAY_SIZE(kinds); k++) {
                char *const *d = kinds[k];
                /* One the guest has keeps its owner and mode there
                 * (/var/cache/bind is root:bind 0775 for named -u bind);
                 * the others are made for the service's user. */
                for (size_t i = 0; r >= 0 && d && d[i]; i++)
                        r = v2c_guest_exists(cv->g, d[i], V2C_FT_DIR) ? col_add(c, LAYER_APP, d[i], 0, err)
                                                                     : col_add_dir(c, LAYER_APP, d[i], 0755, uid, gid, err);
        }
        for (size_t i = 0; r >= 0 && pkgs && pkgs[i]; i++) {
                static const char *const roots[] = { "/var/lib", "/var/log", "/var/cache", "/run" };
                for (size_t k = 0; r >= 0 && k < V2C_ARRAY_SIZE(roots); k++) {
                        _cleanup_free_ char *d = NULL;
                        if (asprintf(&d, "%s/%s", roots[k], pkgs[i]) < 0)
                                return v2c_error_set(err, ENOMEM, "out of memory");
                        if (v2c_guest_exists(cv->g, d, V2C_FT_DIR))
                                r = col_add(c, LAYER_APP, d, 0, err);
                }
        }
        for (size_t i = 0; r >= 0 && cv->db && pkgs && pkgs[i]; i++) {
                const struct v2c_pkg *p = v2c_pkgdb_find(cv->db, pkgs[i]);
                if (p)
                        r = add_tmpfiles_dirs(cv, p, err);
        }
        const char *pid_file = s->pid_file;
        if (r >= 0 && pid_file) {
                _cleanup_free_ char *d = v2c_path_dirname(pid_file);
                if (d && strcmp(d, "/") != 0)
                        r = col_add_dir(c, LAYER_APP, d, 0755, uid, gid, err);
        }
        for (size_t i = 0; r >= 0 && im->volumes && im->volumes[i]; i++)
                r = col_add_dir(c, LAYER_APP, im->volumes[i], 0755, uid, gid, err);
        if (r < 0)
                return r;

        if (r >= 0)
                r = add_run_time_links(cv, im, err);
        return r;
}

/* System mode: which layer a path of the whole tree goes to. */
static int classify_system(void *ctx, const char *path)
{
        struct conv *cv = ctx;
        if (v2c_path_is_under(path, "/etc"))
                return LAYER_CONFIG;
        if (cv->db && v2c_pkgdb_owner_usrmerge(cv->db, path, NULL))
                return LAYER_PACKAGES;
        return LAYER_APP;
}

/* What names or identifies the machine in a system image goes in empty:
 * the runtime mounts its own hostname and resolv.conf over them, and
 * systemd makes a machine ID of its own for an empty /etc/machine-id (the
 * state systemd asks of an image: a copy of the VM's ID would be shared by
 * every container and by the VM still running beside them).  Empty files
 * rather than none: each is a mount point, and /etc may be read-only. */
static const char *const system_identity_files[] = { "/etc/machine-id", "/etc/hostname", "/etc/resolv.conf" };

static int add_system_files(struct conv *cv, struct image *im, struct v2c_error **err)
{
        struct col *c = &cv->col;
        int64_t epoch = cv->opt->layer.epoch ? cv->opt->layer.epoch : V2C_DEFAULT_SOURCE_DATE_EPOCH;
        for (size_t i = 0; i < V2C_ARRAY_SIZE(system_identity_files); i++) {
                struct v2c_stat st;
                if (v2c_guest_lstat(cv->g, system_identity_files[i], &st, NULL) < 0 || st.type != V2C_FT_REG)
                        continue;       /* a link (resolv.conf into /run) stays the guest's */
                int r = col_add_data(c, LAYER_CONFIG, system_identity_files[i], "", 0, st.mode & 07777, epoch, err);
                if (r < 0)
                        return r;
        }
        c->classify = classify_system;
        c->classify_ctx = cv;
        int r = col_add(c, LAYER_APP, "/", COL_RECURSIVE, err);
        c->classify = NULL;
        if (r < 0)
                return r;
        static const char *const shadows[] = { "/etc/shadow", "/etc/gshadow" };
        for (size_t i = 0; i < V2C_ARRAY_SIZE(shadows); i++) {
                _cleanup_free_ char *data = NULL;
                size_t len;
                struct v2c_stat st;
                if (v2c_guest_stat(cv->g, shadows[i], &st, NULL) < 0 ||
                    v2c_guest_read_file(cv->g, shadows[i], 16u << 20, &data, &len, NULL) < 0)
                        continue;
                _cleanup_free_ char *clean = convert_sanitize_shadow(data);
                if (clean == NULL)
                        return v2c_error_set(err, ENOMEM, "out of memory");
                r = col_add_data(c, LAYER_CONFIG, shadows[i], clean, strlen(clean), st.mode & 07777, st.mtime, err);
                if (r < 0)
                        return r;
        }
        return add_run_time_links(cv, im, err);
        return r;
}

/* ---- a base image to build on ---- */

struct base_image {
        struct v2c_converted_layer layers[V2C_CONVERT_MAX_LAYERS - N_LAYERS];
        size_t n;
        char **env;
        char *digest;
};

static void base_image_release(struct base_image *b)
{
        v2c_strv_free(b->env);
        free(b->digest);
}

static const char *layer_media_type(const char *mt)
{
        /* Docker's layer types hold the same bytes as OCI's. */
        if (mt == NULL)
                return NULL;
        if (strcmp(mt, V2C_MEDIA_LAYER_GZIP) == 0 || strcmp(mt, "application/vnd.docker.image.rootfs.diff.tar.gzip") == 0)
                return V2C_MEDIA_LAYER_GZIP;
        if (strcmp(mt, V2C_MEDIA_LAYER_ZSTD) == 0 || strcmp(mt, "application/vnd.docker.image.rootfs.diff.tar.zstd") == 0)
                return V2C_MEDIA_LAYER_ZSTD;
        if (strcmp(mt, V2C_MEDIA_LAYER_TAR) == 0 || strcmp(mt, "application/vnd.docker.image.rootfs.diff.tar") == 0)
                return V2C_MEDIA_LAYER_TAR;
        return NULL;
}

/* Links (or copies) layer D of the base layout SRC into BLOBS, after
 * hashing it: a base layout is input, and a layer that does not match its
 * digest would give the image a diff_id it does not have. */
static int copy_blob(const struct v2c_oci_dir *src, const char *blobs, const struct v2c_oci_desc *d,
                     struct v2c_error **err)
{
        _cleanup_close_ int in = -1;
        int r = v2c_oci_dir_open_blob(src, d, &in, err);
        if (r >= 0)
                r = v2c_oci_check_blob_fd(in, d, v2c_oci_dir_path(src), err);
        if (r < 0)
                return v2c_error_prefix(err, r, "base image layer %s", d->digest);
        _cleanup_free_ char *to = NULL;
        char from[64];
        if (asprintf(&to, "%s/%s", blobs, d->digest + 7) < 0)
                return v2c_error_set(err, ENOMEM, "out of memory");
        /* The file just hashed, by its descriptor: not a name that may
         * have been swapped since. */
        snprintf(from, sizeof from, "/proc/self/fd/%d", in);
        if (linkat(AT_FDCWD, from, AT_FDCWD, to, AT_SYMLINK_FOLLOW) == 0 || errno == EEXIST)
                return 0;
        _cleanup_close_ int out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        char buf[1 << 16];
        uint64_t off = 0;
        r = out < 0 ? -errno : 0;
        while (r == 0 && off < d->size) {
                ssize_t n = pread(in, buf, sizeof buf, (off_t) off);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0) {
                        r = n < 0 ? -errno : -EIO;
                        break;
                }
                for (ssize_t done = 0; r == 0 && done < n;) {
                        ssize_t w = write(out, buf + done, (size_t) (n - done));
                        if (w < 0 && errno != EINTR)
                                r = -errno;
                        else if (w > 0)
                                done += w;
                }
                off += (uint64_t) n;
        }
        if (out >= 0 && close(TAKE_FD(out)) < 0 && r == 0)
                r = -errno;
        if (r < 0) {
                unlink(to);
                return v2c_error_set(err, -r, "copying base image layer %s: %s", d->digest, strerror(-r));
        }
        return 0;
}

static int load_base(const struct v2c_convert_options *opt, const char *blobs, struct base_image *b,
                     struct v2c_error **err)
{
        _cleanup_(v2c_oci_dir_closep) struct v2c_oci_dir *src = NULL;
        struct v2c_oci_desc md;
        int r = v2c_oci_dir_open(opt->base_layout, &src, err);
        if (r >= 0)
                r = v2c_oci_index_pick(v2c_oci_dir_index(src), opt->base_name, &md, err);
        _cleanup_json_ json_t *man = NULL, *cfg = NULL;
        if (r >= 0)
                r = v2c_oci_dir_read_json(src, &md, &man, err);
        if (r < 0)
                return v2c_error_prefix(err, r, "base image");
        const json_t *cd = json_object_get(man, "config");
        json_int_t csize = json_integer_value(json_object_get(cd, "size"));
        struct v2c_oci_desc cdesc = { .size = (uint64_t) csize };
        const char *cdigest = jstr(cd, "digest");
        if (!v2c_digest_valid(cdigest) || !json_is_integer(json_object_get(cd, "size")) || csize < 0)
                return v2c_error_set_kind(err, V2C_ERR_INPUT, EINVAL, "base image: the manifest %s names no config",
                                          md.digest);
        memcpy(cdesc.digest, cdigest, sizeof cdesc.digest);
        r = v2c_oci_dir_read_json(src, &cdesc, &cfg, err);
        if (r < 0)
                return v2c_error_prefix(err, r, "base image");
        const json_t *layers = json_object_get(man, "layers");
        const json_t *ids = json_object_get(json_object_get(cfg, "rootfs"), "diff_ids");
        if (json_array_size(layers) != json_array_size(ids) || json_array_size(layers) > V2C_ARRAY_SIZE(b->layers))
                return v2c_error_set_kind(err, V2C_ERR_INPUT, EINVAL,
                                          "base image: %zu layers for %zu diff_ids (at most %zu layers)",
                                          json_array_size(layers), json_array_size(ids), V2C_ARRAY_SIZE(b->layers));
        size_t i;
        const json_t *m;
        json_array_foreach(layers, i, m) {
                const char *d = jstr(m, "digest"), *id = json_string_value(json_array_get(ids, i));
                const char *mt = layer_media_type(jstr(m, "mediaType"));
                json_int_t size = json_integer_value(json_object_get(m, "size"));
                if (!v2c_digest_valid(d) || !v2c_digest_valid(id) || mt == NULL || size < 0)
                        return v2c_error_set_kind(err, V2C_ERR_INPUT, EINVAL, "base image: layer %zu is not one v2c "
                                                  "can build on", i);
                struct v2c_converted_layer *l = &b->layers[b->n++];
                l->role = "base-image";
                memcpy(l->result.digest, d, 72);
                memcpy(l->result.diff_id, id, 72);
                l->result.size = (uint64_t) size;
                l->result.media_type = mt;
                struct v2c_oci_desc ld = { .media_type = mt, .size = (uint64_t) size };
                memcpy(ld.digest, d, sizeof ld.digest);
                r = copy_blob(src, blobs, &ld, err);
                if (r < 0)
                        return r;
        }
        b->env = jstrv(json_object_get(cfg, "config"), "Env");
        b->digest = strdup(md.digest);
        return b->digest ? 0 : v2c_error_set(err, ENOMEM, "out of memory");
}

/* ---- side files ---- */

static int write_side_file(const char *dir, const char *name, const char *data, struct v2c_error **err)
{
        _cleanup_free_ char *path = NULL;
        if (asprintf(&path, "%s/%s", dir, name) < 0)
                return v2c_error_set(err, ENOMEM, "out of memory");
        return v2c_write_file_atomic(path, data, strlen(data), 0644, err);
}

/* The image's hardened spec, from the report's (unless --no-harden):
 * --keep-setid keeps setuid programs on purpose, so escalation stays
 * allowed.  Each decision goes to the log. */
static int harden_image(struct conv *cv, const struct v2c_service *s, const struct image *im,
                        struct v2c_converted *out, struct v2c_error **err)
{
        if (cv->opt->no_harden)
                return 0;
        if (!v2c_hardening_known(&s->hardening)) {
                v2c_warn("%s: the report has no hardened spec (made by an older v2c?): the image runs as the "
                         "runtime's defaults; inspect the guest again to harden it",
                         s->name);
                return 0;
        }
        if (v2c_hardening_copy(&s->hardening, &out->harden) < 0)
                return v2c_error_set(err, ENOMEM, "out of memory");
        if (cv->opt->keep_setid && !out->harden.allow_privilege_escalation) {
                free(out->harden.escalation_from);
                out->harden.allow_privilege_escalation = true;
                out->harden.escalation_from = strdup("--keep-setid keeps its setuid and setgid programs");
                if (out->harden.escalation_from == NULL)
                        return v2c_error_set(err, ENOMEM, "out of memory");
        }
        /* The image's user as numbers, from the guest's passwd and group:
         * v2c rollout runs the container as them and gives them the tmpfs
         * over each writable path (a Docker engine takes uid=/gid= there,
         * not names).  A uid 0 the report does not call root (an alias of
         * root under another name) goes into the label as it is: the
         * rollout refuses the contradiction rather than run it as root. */
        out->harden.run_as_known = im->user.found;
        out->harden.run_as_uid = im->user.uid;
        out->harden.run_as_gid = im->user_gid;
        _cleanup_free_ char *text = v2c_hardening_text(&out->harden);
        if (text == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        for (char *line = text, *nl; line && *line; line = nl ? nl + 1 : NULL) {
                nl = strchr(line, '\n');
                if (nl)
                        *nl = '\0';
                v2c_info("%s: hardened: %s", s->name, line);
        }
        return 0;
}

static int write_artifacts(struct conv *cv, const char *side, struct image *im, const struct v2c_converted *out,
                           struct v2c_error **err)
{
        /* SBOM: the packages whose files the image holds. */
        _cleanup_strv_ char **names = NULL;
        if (cv->opt->mode == V2C_CONVERT_SYSTEM) {
                for (size_t i = 0; cv->db && i < v2c_pkgdb_count(cv->db); i++)
                        if (v2c_pkgdb_get(cv->db, i)->installed)
                                v2c_strv_push_unique(&names, v2c_pkgdb_get(cv->db, i)->name);
        } else {
                names = strv_dup(im->svc->packages);
                for (size_t i = 0; cv->base_pkgs && cv->base_pkgs[i]; i++)
                        v2c_strv_push_unique(&names, cv->base_pkgs[i]);
        }
        v2c_strv_sort_uniq(names);
        size_t n = v2c_strv_len(names), k = 0;
        _cleanup_free_ struct v2c_sbom_package *pk = calloc(n ? n : 1, sizeof *pk);
        if (pk == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        const struct v2c_os *os = &cv->report->os;
        const char *format = os->package_format;
        bool rpm = format && strcmp(format, "rpm") == 0;
        _cleanup_strv_ char **vr = NULL;  /* rpm's VERSION-RELEASE texts, owned here */
        for (size_t i = 0; i < n; i++) {
                const struct v2c_pkg *p = cv->db ? v2c_pkgdb_find(cv->db, names[i]) : NULL;
                const char *version = p ? p->version : NULL;
                if (rpm && p && p->version && p->release) {
                        char *t = NULL;
                        if (asprintf(&t, "%s-%s", p->version, p->release) < 0 || v2c_strv_consume(&vr, t) < 0)
                                return v2c_error_set(err, ENOMEM, "out of memory");
                        version = t;
                }
                pk[k++] = (struct v2c_sbom_package) {
                        .name = names[i], .version = version, .arch = p ? p->arch : NULL,
                        .purl_type = rpm ? "rpm" : format && strcmp(format, "apk") == 0 ? "apk" : "deb",
                        .distro = os->distro, .epoch = rpm && p ? p->epoch : NULL,
                };
        }
        char created[21];
        v2c_rfc3339(cv->opt->layer.epoch, created);
        struct v2c_sbom_spec spec = {
                .image_name = im->ref, .manifest_digest = out->manifest.digest, .created = created,
                .tool_version = V2C_VERSION, .packages = pk, .n_packages = k,
        };
        json_auto_t *sbom = NULL;
        /* Its errors name the SBOM and the image; the caller, the service. */
        int r = v2c_sbom_spdx(&spec, &sbom, err);
        if (r < 0)
                return r;
        _cleanup_free_ char *path = NULL;
        if (asprintf(&path, "%s/%s.spdx.json", side, im->ref) < 0)
                return v2c_error_set(err, ENOMEM, "out of memory");
        r = v2c_json_write(sbom, path, err);
        if (r < 0)
                return r;

        /* Kubernetes: by digest, never by tag. */
        _cleanup_free_ char *image = NULL, *yaml = NULL, *uid = NULL, *fname = NULL;
        _cleanup_free_ char *repo = v2c_ref_repo_component(im->ref);
        if (repo == NULL ||
            asprintf(&image, "%s/%s@%s", cv->opt->image_repo ? cv->opt->image_repo : "localhost/v2c", repo,
                     out->manifest.digest) < 0 ||
            (im->user.found && asprintf(&uid, "%u", im->user.uid) < 0))
                return v2c_error_set(err, ENOMEM, "out of memory");
        /* The executable's file capabilities, as inspect decoded them. */
        _cleanup_strv_ char **caps = NULL;
        for (size_t ci = 0; im->svc->capabilities && im->svc->capabilities[ci]; ci++)
                if (v2c_strv_push_unique(&caps, im->svc->capabilities[ci]) < 0)
                        return v2c_error_set(err, ENOMEM, "out of memory");
        struct v2c_k8s_spec ks = {
                .name = im->ref, .image = image, .ports = im->ports, .n_ports = im->n_ports,
                .volumes = im->volumes, .env_required = im->env_required, .user_uid = uid,
                .capabilities = caps, .harden = v2c_hardening_known(&out->harden) ? &out->harden : NULL,
                .runtime_class = cv->opt->runtime_class,
        };
        _cleanup_free_ struct v2c_k8s_secret_file *kf = calloc(im->n_secret_files + 1, sizeof *kf);
        if (kf == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        for (size_t i = 0; i < im->n_secret_files; i++)
                kf[i] = (struct v2c_k8s_secret_file) { .path = im->secret_files[i].path, .key = im->secret_files[i].key,
                                                       .mode = im->secret_files[i].mode };
        ks.secret_files = kf;
        ks.n_secret_files = im->n_secret_files;
        r = v2c_k8s_manifests(&ks, &yaml, err);
        if (r < 0)
                return r;
        if (asprintf(&fname, "%s.k8s.yaml", im->ref) < 0)
                return v2c_error_set(err, ENOMEM, "out of memory");
        r = write_side_file(side, fname, yaml, err);
        if (r < 0)
                return r;

        /* The env template: what the operator must supply. */
        struct v2c_buf b;
        v2c_buf_init(&b, 1u << 20);
        v2c_buf_appendf(&b, "# Environment of %s left out of the image: its values are secrets on the VM.\n"
                            "# Supply them at run time (podman run --env-file, a Kubernetes Secret named %s-env).\n",
                        im->name, im->ref);
        for (size_t i = 0; im->env_required && im->env_required[i]; i++)
                v2c_buf_appendf(&b, "%s=\n", im->env_required[i]);
        /* Secret files it needs were left out too: they are to be mounted,
         * and the entrypoint refuses to start without them. */
        if (im->n_secret_files)
                v2c_buf_appendf(&b, "#\n# Secret files %s needs, left out of the image: mount each read-only at its path\n"
                                    "# with the owner and mode it had (podman run -v FILE:PATH:ro), or create the\n"
                                    "# Kubernetes Secret %s with one key per file (kubectl create secret generic %s\n"
                                    "# --from-file=KEY=FILE ...).  Without them the container exits 78.\n",
                                im->name, im->secret_name, im->secret_name);
        for (size_t i = 0; i < im->n_secret_files; i++) {
                const struct v2c_secret_file *src = im->secret_src[i];
                const struct v2c_secret_mount *m = &im->secret_files[i];
                const char *owner = src->owner, *group = src->group, *kind = src->kind;
                _cleanup_free_ char *shown = v2c_utf8_escape(m->path);
                v2c_buf_appendf(&b, "# secret file %s owner %s:%s (%u:%u) mode %04o kind %s key %s\n",
                                shown ? shown : "?", owner ? owner : "?", group ? group : "?", m->uid, m->gid, m->mode,
                                kind ? kind : "secret", m->key);
        }
        /* Other secrets it uses (its EnvironmentFile=s): their variables are above. */
        for (size_t si = 0; si < cv->report->nsecrets; si++) {
                const struct v2c_secret *sec = &cv->report->secrets[si];
                char *const *users = sec->services;
                const char *p = sec->path;
                _cleanup_free_ char *raw = p ? v2c_utf8_unescape(p) : NULL;
                /* A newline in a guest file name must not start a line of
                 * the env file: control bytes are shown escaped. */
                _cleanup_free_ char *shown = p ? v2c_text_printable(p, false) : NULL;
                bool mounted = false;
                for (size_t j = 0; p && j < im->n_secret_files && !mounted; j++)
                        mounted = strcmp(im->secret_files[j].path, p) == 0;
                if (raw && shown && !mounted && v2c_strv_contains(users, im->name) &&
                    !v2c_strv_contains(cv->opt->include_secrets, raw))
                        v2c_buf_appendf(&b, "# secret file left out (%s), mount it at run time: %s\n",
                                        sec->kind ? sec->kind : "secret", shown);
        }
        /* What convert's own check (col_screen) left out or cleaned. */
        for (int side_of = 0; side_of < 2; side_of++) {
                char *const *v = side_of ? cv->col.excluded : cv->col.excluded_base;
                for (size_t i = 0; v && v[i]; i++)
                        v2c_buf_appendf(&b, "# left out of the image as a secret, or cleaned: %s\n", v[i]);
        }
        _cleanup_free_ char *tmpl = v2c_buf_steal(&b);
        free(fname);
        fname = NULL;
        if (tmpl == NULL || asprintf(&fname, "%s.env.template", im->ref) < 0)
                return v2c_error_set(err, ENOMEM, "out of memory");
        return write_side_file(side, fname, tmpl, err);
}

static json_t *lock_entry(const struct v2c_converted *o)
{
        json_t *layers = json_array();
        for (size_t i = 0; i < o->n_layers; i++)
                json_array_append_new(layers, json_pack("{s:s, s:s, s:s, s:s, s:I}", "role", o->layers[i].role,
                                                        "mediaType", o->layers[i].result.media_type, "digest",
                                                        o->layers[i].result.digest, "diff_id",
                                                        o->layers[i].result.diff_id, "size",
                                                        (json_int_t) o->layers[i].result.size));
        return json_pack("{s:s, s:s, s:{s:s, s:s, s:I}, s:{s:s, s:s, s:I}, s:o}", "service", o->service, "ref_name",
                         o->ref_name, "manifest", "mediaType", V2C_MEDIA_MANIFEST, "digest", o->manifest.digest,
                         "size", (json_int_t) o->manifest.size, "config", "mediaType", V2C_MEDIA_CONFIG, "digest",
                         o->config.digest, "size", (json_int_t) o->config.size, "layers", layers);
}

static void converted_release(struct v2c_converted *o)
{
        free(o->service);
        free(o->ref_name);
        v2c_strv_free(o->env_required);
        v2c_strv_free(o->volumes);
        free(o->ports);
        v2c_strv_free(o->notes);
        secret_mounts_free(o->secret_files, o->n_secret_files);
        free(o->user_uid);
        v2c_hardening_release(&o->harden);
}

struct v2c_convert_result *v2c_convert_result_free(struct v2c_convert_result *r)
{
        if (r == NULL)
                return NULL;
        for (size_t i = 0; i < r->n_images; i++)
                converted_release(&r->images[i]);
        free(r->images);
        for (size_t i = 0; i < r->n_pods; i++) {
                free(r->pods[i].name);
                free(r->pods[i].images);
        }
        free(r->pods);
        v2c_strv_free(r->warnings);
        free(r);
        return NULL;
}

const char *const *v2c_convert_prefetch_dirs(enum v2c_convert_mode mode)
{
        /* A service image's files are fetched by v2c_convert itself, those
         * alone (see fetch_images). */
        static const char *const service[] = { NULL };
        static const char *const system[] = { "/", NULL };
        return mode == V2C_CONVERT_SYSTEM ? system : service;
}

static int read_accounts(struct conv *cv)
{
        size_t len;
        struct v2c_stat st;
        if (v2c_guest_read_file(cv->g, "/etc/passwd", 16u << 20, &cv->passwd, &len, NULL) == 0 &&
            v2c_guest_stat(cv->g, "/etc/passwd", &st, NULL) == 0)
                cv->passwd_mtime = st.mtime;
        if (v2c_guest_read_file(cv->g, "/etc/group", 16u << 20, &cv->group, &len, NULL) == 0 &&
            v2c_guest_stat(cv->g, "/etc/group", &st, NULL) == 0)
                cv->group_mtime = st.mtime;
        if (cv->passwd == NULL)
                cv->passwd = strdup("root:x:0:0:root:/root:/bin/sh\n");
        if (cv->group == NULL)
                cv->group = strdup("root:x:0:\n");
        return cv->passwd && cv->group ? 0 : -ENOMEM;
}

/* Largest unit file inspect reads (inspect's INSPECT_MAX_FILE). */
#define UNIT_MAX_FILE (1u << 20)

static const char *const exec_search_path[] = { "/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin",
                                                 "/sbin", "/bin" };

/* Why the executable EXEC (absolute, or a name the PATH finds) of a
 * service cannot run: missing, a dangling symlink, a symlink loop, not a
 * regular file.  A new string, or NULL when it is fine. */
static char *exec_problem(struct conv *cv, const char *exec)
{
        char *why = NULL;
        if (exec[0] != '/') {
                for (size_t i = 0; i < V2C_ARRAY_SIZE(exec_search_path); i++) {
                        _cleanup_free_ char *p = NULL;
                        if (asprintf(&p, "%s/%s", exec_search_path[i], exec) < 0)
                                return NULL;
                        struct v2c_stat st;
                        if (v2c_guest_lstat(cv->g, p, &st, NULL) == 0)
                                return exec_problem(cv, p);
                }
                return asprintf(&why, "its executable `%s` is in none of the guest's %s...%s", exec,
                                exec_search_path[0], exec_search_path[V2C_ARRAY_SIZE(exec_search_path) - 1]) < 0
                               ? NULL : why;
        }
        struct v2c_stat lst, st;
        _cleanup_free_ char *real = NULL, *target = NULL;
        int r = v2c_guest_realpath(cv->g, exec, &real, NULL);
        if (r == -ELOOP)
                return asprintf(&why, "its executable %s is a symlink loop", exec) < 0 ? NULL : why;
        if (v2c_guest_lstat(cv->g, exec, &lst, NULL) < 0)
                return asprintf(&why, "its executable %s is missing", exec) < 0 ? NULL : why;
        if (r < 0 || v2c_guest_stat(cv->g, real, &st, NULL) < 0) {
                if (lst.type == V2C_FT_LNK && v2c_guest_readlink(cv->g, exec, &target, NULL) == 0) {
                        _cleanup_free_ char *shown = v2c_utf8_escape(target);
                        return asprintf(&why, "its executable %s is a dangling symlink (to %s)", exec,
                                        shown ? shown : "?") < 0 ? NULL : why;
                }
                return asprintf(&why, "its executable %s cannot be resolved in the guest", exec) < 0 ? NULL : why;
        }
        if (st.type != V2C_FT_REG)
                return asprintf(&why, "its executable %s is not a regular file", exec) < 0 ? NULL : why;
        return NULL;
}

/* Why S is not a long-running service convert can start, or NULL.  A new
 * string; *broken says the service is broken (its executable), rather than
 * not a daemon at all (a oneshot, a unit without ExecStart=). */
static char *not_a_service(struct conv *cv, const struct v2c_service *s, bool *broken)
{
        char *why = NULL;
        *broken = false;
        char *const *argv = s->argv;
        const char *type = s->type, *unit = s->unit_path, *kind = s->kind;
        if (argv == NULL || argv[0] == NULL) {
                /* Inspect could not read the unit, or it has no command. */
                struct v2c_stat st;
                _cleanup_free_ char *data = NULL;
                size_t len;
                if (unit && v2c_guest_stat(cv->g, unit, &st, NULL) == 0 && st.size > UNIT_MAX_FILE)
                        return asprintf(&why, "its unit %s is larger than %u KiB (not read)", unit,
                                        UNIT_MAX_FILE >> 10) < 0 ? NULL : why;
                if (unit && v2c_guest_read_file(cv->g, unit, UNIT_MAX_FILE, &data, &len, NULL) < 0)
                        return asprintf(&why, "its unit %s cannot be read", unit) < 0 ? NULL : why;
                return asprintf(&why, "%s", kind && strcmp(kind, "systemd") == 0
                                                   ? "its unit has no ExecStart=: nothing to run"
                                                   : "no command line in the report: nothing to run") < 0 ? NULL : why;
        }
        if (type && strcmp(type, "oneshot") == 0)
                return asprintf(&why, "a oneshot unit runs once and exits: not a long-running service") < 0 ? NULL
                                                                                                               : why;
        const char *exec = s->exec_path ? s->exec_path : argv[0];
        why = exec_problem(cv, exec);
        *broken = why != NULL;
        return why;
}

/* The services to convert, checked: a new array of borrowed objects. */
static int choose(struct conv *cv, const struct v2c_service ***out, size_t *n_out, struct v2c_error **err)
{
        const struct v2c_convert_options *opt = cv->opt;
        const struct v2c_report *rep = cv->report;
        size_t n = 0, cap = rep->nservices + v2c_strv_len(opt->services) + 1;
        _cleanup_free_ const struct v2c_service **v = calloc(cap, sizeof *v);
        if (v == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        for (size_t i = 0; opt->services && opt->services[i]; i++) {
                const struct v2c_service *s = v2c_report_service(rep, opt->services[i]);
                if (s == NULL) {
                        struct v2c_buf b;
                        v2c_buf_init(&b, 64u << 10);
                        for (size_t k = 0; k < rep->nservices; k++)
                                if (long_running(&rep->services[k]))
                                        v2c_buf_appendf(&b, "%s%s", b.len ? ", " : "", rep->services[k].name);
                        _cleanup_free_ char *known = v2c_buf_steal(&b);
                        return v2c_error_set_kind(err, V2C_ERR_USAGE, ENOENT,
                                                  "no service `%s` in this guest; its services: %s", opt->services[i],
                                                  known && *known ? known : "none");
                }
                bool dup = false;
                for (size_t k = 0; k < n; k++)
                        dup |= v[k] == s;
                bool broken;
                _cleanup_free_ char *why = long_running(s) ? not_a_service(cv, s, &broken) : NULL;
                /* A service that cannot start is never converted silently. */
                if (why && broken)
                        return v2c_error_set_kind(err, V2C_ERR_REFUSED, ENOENT, "service `%s`: %s: not converted",
                                                  opt->services[i], why);
                if (!dup)
                        v[n++] = s;
        }
        if (opt->all_stateless) {
                for (size_t k = 0; k < rep->nservices; k++) {
                        const struct v2c_service *x = &rep->services[k];
                        bool dup = false;
                        for (size_t j = 0; j < n; j++)
                                dup |= v[j] == x;
                        if (dup || !long_running(x) || (x->klass != V2C_CLASS_STATELESS && x->klass != V2C_CLASS_REVIEW))
                                continue;
                        /* Ordinary guests have oneshots, units without a
                         * command and broken ones: each is a note, not the
                         * end of the run. */
                        bool broken;
                        _cleanup_free_ char *why = not_a_service(cv, x, &broken);
                        if (why) {
                                conv_warn(cv, "skipped %s: %s", x->name, why);
                                continue;
                        }
                        /* Evidence was missing either way: a person decides. */
                        if (x->klass == V2C_CLASS_REVIEW) {
                                conv_warn(cv, "skipped %s: inspect could not tell whether it keeps data (class "
                                              "review); convert it with --service %s --allow-stateful once checked",
                                          x->name, x->name);
                                continue;
                        }
                        v[n++] = x;
                }
                if (n == 0)
                        return v2c_error_set_kind(err, V2C_ERR_REFUSED, ENOENT,
                                                  "the guest runs no stateless service: nothing to convert");
        }
        if (n == 0)
                return v2c_error_set_kind(err, V2C_ERR_USAGE, EINVAL, "no service chosen");
        for (size_t i = 0; i < n; i++) {
                bool review = v[i]->klass == V2C_CLASS_REVIEW;
                if ((v[i]->klass == V2C_CLASS_STATEFUL || review) && !opt->allow_stateful) {
                        char *const *why = v[i]->reasons;
                        struct v2c_buf b;
                        v2c_buf_init(&b, 64u << 10);
                        for (size_t k = 0; why && why[k]; k++)
                                v2c_buf_appendf(&b, "%s%s", k ? "; " : "", why[k]);
                        _cleanup_free_ char *reasons = v2c_buf_steal(&b);
                        return v2c_error_set_kind(err, V2C_ERR_REFUSED, EPERM,
                                                  "service `%s` %s (%s): convert it with --allow-stateful to "
                                                  "make its data paths volumes, or keep it on the VM",
                                                  v[i]->name,
                                                  review ? "may keep data (inspect could not tell: class review)"
                                                         : "is stateful",
                                                  reasons && *reasons ? reasons : "see inspect");
                }
        }
        for (size_t i = 0; i < n; i++) {
                if (v[i]->klass == V2C_CLASS_SYSTEM)
                        conv_warn(cv, "%s is part of the operating system: its image runs it alone, without the "
                                      "rest of the system", v[i]->name);
        }
        /* One order whatever the command line said: by name. */
        for (size_t i = 1; i < n; i++)
                for (size_t j = i; j > 0 && strcmp(v[j - 1]->name, v[j]->name) > 0; j--) {
                        const struct v2c_service *t = v[j];
                        v[j] = v[j - 1];
                        v[j - 1] = t;
                }
        *out = TAKE_PTR(v);
        *n_out = n;
        return 0;
}

/* PATH with its first component resolved when that is a symlink ("/lib"
 * -> "/usr/lib" on a merged-/usr guest, whose package lists still say
 * /lib): package paths made canonical without a round trip per directory.
 * TOPS caches the resolutions ("NAME=REAL"). */
static char *canonical_top(struct conv *cv, const char *path, char ***tops)
{
        size_t n = strcspn(path + 1, "/") + 1;
        if (path[0] != '/' || n < 2)
                return strdup(path);
        const char *real = NULL;
        for (size_t i = 0; *tops && (*tops)[i] && real == NULL; i++)
                if (strncmp((*tops)[i], path, n) == 0 && (*tops)[i][n] == '=')
                        real = (*tops)[i] + n + 1;
        if (real == NULL) {
                _cleanup_free_ char *top = strndup(path, n), *r = NULL;
                char *kv = NULL;
                if (top == NULL || v2c_guest_realpath(cv->g, top, &r, NULL) < 0)
                        return strdup(path);
                if (asprintf(&kv, "%s=%s", top, r) < 0 || v2c_strv_consume(tops, kv) < 0)
                        return NULL;
                real = kv + n + 1;
        }
        char *out = NULL;
        if (asprintf(&out, "%s%s", strcmp(real, "/") ? real : "", path + n) < 0)
                return NULL;
        return out;
}

/* Disk images: every file the chosen images will hold (their packages'
 * files, executables, libraries, configuration and application trees) comes
 * out of the appliance in one transfer before they are gathered, instead
 * of whole trees or a round trip per file.  A system image holds the whole
 * tree, which the caller prefetched. */
static int fetch_images(struct conv *cv, const struct v2c_service *const *chosen, size_t n, struct v2c_error **err)
{
        if (cv->opt->mode == V2C_CONVERT_SYSTEM)
                return 0;
        _cleanup_strv_ char **pkgs = v2c_strv_copy(cv->base_pkgs), **files = NULL, **trees = NULL, **tops = NULL;
        int r = 0;
        bool script = false;
        for (size_t i = 0; i < V2C_ARRAY_SIZE(base_trees) && r >= 0; i++)
                r = v2c_strv_push(&trees, base_trees[i]);
        for (size_t i = 0; i < V2C_ARRAY_SIZE(base_files) && r >= 0; i++)
                r = v2c_strv_push(&files, base_files[i]);
        if (r >= 0)
                r = v2c_strv_push(&trees, TRUST_DIR);
        if (r >= 0)
                r = v2c_strv_push(&files, HOSTS_FILE);
        for (size_t i = 0; i < n && r >= 0; i++) {
                const struct v2c_service *s = chosen[i];
                const char *sh = s->interpreter;
                script |= sh && is_shell(sh);
                char *const *const single[] = { s->libraries, s->environment_files };
                char *const *const recursive[] = { s->config_files };
                char *const *pk = s->packages, *const *app = s->app_files;
                for (size_t k = 0; pk && pk[k] && r >= 0; k++)
                        r = v2c_strv_push_unique(&pkgs, pk[k]);
                for (size_t k = 0; app && app[k] && r >= 0; k++)
                        r = v2c_strv_push(shared_dir(app[k]) ? &files : &trees, app[k]);
                for (size_t k = 0; k < V2C_ARRAY_SIZE(single) && r >= 0; k++) {
                        char *const *v = single[k];
                        for (size_t j = 0; v && v[j] && r >= 0; j++)
                                r = v2c_strv_push(&files, v[j]);
                }
                for (size_t k = 0; k < V2C_ARRAY_SIZE(recursive) && r >= 0; k++) {
                        char *const *v = recursive[k];
                        for (size_t j = 0; v && v[j] && r >= 0; j++)
                                r = v2c_strv_push(&trees, v[j]);
                }
                const char *progs[] = { s->exec_path, s->interpreter };
                for (size_t k = 0; k < V2C_ARRAY_SIZE(progs) && r >= 0; k++)
                        if (progs[k])
                                r = v2c_strv_push(&files, progs[k]);
        }
        /* The basic userland a shell script may call (add_userland). */
        if (r >= 0 && cv->db && script) {
                _cleanup_strv_ char **roots = NULL;
                for (size_t i = 0; i < V2C_ARRAY_SIZE(userland_roots) && r >= 0; i++)
                        if (v2c_pkgdb_find(cv->db, userland_roots[i]))
                                r = v2c_strv_push(&roots, userland_roots[i]);
                const struct v2c_pkg **cl = NULL;
                int k = roots ? v2c_pkgdb_closure(cv->db, roots, &cl, NULL, NULL) : 0;
                for (int i = 0; i < k && r >= 0; i++)
                        r = v2c_strv_push_unique(&pkgs, cl[i]->name);
                free(cl);
        }
        for (size_t i = 0; cv->db && pkgs && pkgs[i] && r >= 0; i++) {
                const struct v2c_pkg *p = v2c_pkgdb_find(cv->db, pkgs[i]);
                for (size_t k = 0; p && k < p->n_files && r >= 0; k++)
                        if (!col_filtered(p->files[k]))
                                r = v2c_strv_push(&files, p->files[k]);
        }
        if (r < 0)
                return v2c_error_set(err, ENOMEM, "out of memory");
        for (int pass = 0; pass < 2; pass++) {
                char **v = pass ? trees : files;
                for (size_t i = 0; v && v[i]; i++) {
                        _cleanup_free_ char *norm = NULL;
                        if (v[i][0] != '/' || v2c_path_normalize("/", v[i], &norm) < 0)
                                continue;
                        char *c = canonical_top(cv, norm, &tops);
                        if (c == NULL)
                                return v2c_error_set(err, ENOMEM, "out of memory");
                        /* Secrets stay in the guest (an empty path is
                         * skipped). */
                        if (v2c_strv_contains(cv->col.secrets, c))
                                c[0] = '\0';
                        free(v[i]);
                        v[i] = c;
                }
        }
        return v2c_guest_fetch(cv->g, files, v2c_strv_len(files), trees, v2c_strv_len(trees), err);
}

static int cmp_strp(const void *a, const void *b)
{
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* How many times foresee() walks the images at most. */
#define FORESEE_ROUNDS 8

/* Disk images: what fetch_images could not foresee (the libraries an ELF
 * closure reads its way to, the programs a script runs, the targets of
 * links in configuration trees) would come out of the appliance one file
 * or one layer at a time, each transfer costing 0.3-0.7 s under TCG.  So
 * every image is walked first as it will be, base layer included, with
 * reads of files not yet out deferred (v2c_guest_defer_reads): the files
 * the walks reach and those they wanted to read come out together, in one
 * transfer per round, and the walks run again while reading revealed more
 * (a library's own libraries), FORESEE_ROUNDS times at most.  Nothing of
 * these walks is kept: the real ones that follow decide the images, and
 * read what was fetched locally (whatever foresight missed is still read
 * from the appliance then). */
static int foresee(struct conv *cv, const struct v2c_service *const *chosen, size_t n)
{
        if (cv->opt->mode == V2C_CONVERT_SYSTEM || strcmp(v2c_guest_kind(cv->g), "disk") != 0)
                return 0;
        _cleanup_strv_ char **asked = NULL;
        int r = 0;
        for (int round = 0; round < FORESEE_ROUNDS && r >= 0; round++) {
                _cleanup_strv_ char **want = NULL, **fresh = NULL;
                struct col real = cv->col;
                col_init(&cv->col, cv->g, cv->opt->mode);
                cv->col.secrets = real.secrets;
                cv->col.keep = real.keep;
                cv->quiet = true;
                v2c_guest_defer_reads(cv->g, true);
                /* A walk that fails fails again for real, and says why
                 * then: here it only ends the foresight. */
                r = add_base(cv, NULL);
                if (r >= 0)
                        r = col_guest_files(&cv->col, LAYER_BASE, LAYER_BASE, &want);
                for (size_t k = 0; k < n && r >= 0; k++) {
                        struct image im = { 0 };
                        col_reset_service(&cv->col);
                        r = plan_image(cv, chosen[k], &im, NULL);
                        if (r >= 0)
                                r = add_service_files(cv, &im, NULL);
                        if (r >= 0)
                                r = col_guest_files(&cv->col, LAYER_PACKAGES, N_LAYERS - 1, &want);
                        image_release(&im);
                }
                v2c_guest_defer_reads(cv->g, false);
                _cleanup_strv_ char **deferred = v2c_guest_take_deferred(cv->g);
                cv->quiet = false;
                cv->col.secrets = NULL;
                cv->col.keep = NULL;
                col_release(&cv->col);
                cv->col = real;
                /* Cached from the walks' reads, some deferred. */
                v2c_strv_free(cv->ld_dirs);
                cv->ld_dirs = NULL;
                if (r < 0)
                        break;
                for (size_t i = 0; deferred && deferred[i] && r >= 0; i++)
                        r = v2c_strv_push(&want, deferred[i]);
                v2c_strv_sort_uniq(want);
                /* Each round asks only for what no round asked for: a file
                 * the tar-out cannot bring ends it. */
                for (size_t i = 0; want && want[i] && r >= 0; i++)
                        if (!(asked && bsearch(&want[i], asked, v2c_strv_len(asked), sizeof *asked, cmp_strp)))
                                r = v2c_strv_push(&fresh, want[i]);
                if (r < 0 || fresh == NULL)
                        break;
                v2c_debug("foresight, round %d: %zu files asked for (%zu reads deferred)", round + 1, v2c_strv_len(fresh),
                          v2c_strv_len(deferred));
                for (size_t i = 0; fresh[i] && r >= 0; i++)
                        r = v2c_strv_push(&asked, fresh[i]);
                v2c_strv_sort_uniq(asked);
                if (r >= 0)
                        r = v2c_guest_fetch(cv->g, fresh, v2c_strv_len(fresh), NULL, 0, NULL);
                if (deferred == NULL)
                        break;
        }
        /* Foresight is an optimisation: its failures cost time, not images. */
        return r == -ENOMEM ? r : 0;
}

/* ---- modes ---- */

/* How many files one log line names. */
#define MODES_LISTED 10

/* Files of an image whose mode the log reports, as "/path (MODE)". */
struct mode_report {
        char **setid, **writable;
        size_t n_setid, n_writable;
};

static void mode_report_release(struct mode_report *m)
{
        v2c_strv_free(m->setid);
        v2c_strv_free(m->writable);
        *m = (struct mode_report) { 0 };
}

static void mode_note(char ***v, size_t *n, const struct cnode *node, uint32_t mode)
{
        char *e = NULL;
        if ((*n)++ < MODES_LISTED && asprintf(&e, "/%s (%04o)", node->path, mode) >= 0)
                v2c_strv_consume(v, e);
}

/* Setuid and setgid bits leave service images unless the user keeps them:
 * a container runs one service as one user, and such a file would let
 * whatever runs in it become another (root); dropped in tree LAYER, and
 * noted in M for the log.  System images keep them (the whole OS, whose
 * su, passwd and mount need them): noted too.  Only regular files: a
 * setgid directory (haproxy's /run/haproxy 2775) just hands its group
 * down.  World-writable files, and directories without the sticky bit,
 * are noted and kept. */
static void review_modes(struct conv *cv, int layer, struct mode_report *m)
{
        bool drop = cv->opt->mode != V2C_CONVERT_SYSTEM && !cv->opt->keep_setid;
        struct ctree *t = &cv->col.trees[layer];
        for (size_t i = 0; i < t->n; i++) {
                struct cnode *n = &t->v[i];
                if (n->type == V2C_LAYER_REG && (n->mode & 06000)) {
                        mode_note(&m->setid, &m->n_setid, n, n->mode);
                        if (drop)
                                n->mode &= ~06000u;
                }
                if ((n->type == V2C_LAYER_REG || n->type == V2C_LAYER_DIR) && (n->mode & 0002) &&
                    !(n->type == V2C_LAYER_DIR && (n->mode & 01000)))
                        mode_note(&m->writable, &m->n_writable, n, n->mode);
        }
}

static void mode_list(struct v2c_buf *b, char *const *v, size_t n)
{
        for (size_t i = 0; v && v[i]; i++)
                v2c_buf_appendf(b, "%s%s", i ? ", " : "", v[i]);
        if (n > MODES_LISTED)
                v2c_buf_appendf(b, " and %zu more", n - MODES_LISTED);
}

/* The log's lines on M, for WHAT ("nginx", "the base layer"). */
static void log_modes(struct conv *cv, const char *what, const struct mode_report *m)
{
        _cleanup_buf_ struct v2c_buf b;
        v2c_buf_init(&b, (MODES_LISTED + 1) * (PATH_MAX + 16));
        if (m->n_setid) {
                bool dropped = cv->opt->mode != V2C_CONVERT_SYSTEM && !cv->opt->keep_setid;
                v2c_buf_appendf(&b, "%s: setuid/setgid bits %s ", what, dropped ? "dropped from" : "kept on");
                mode_list(&b, m->setid, m->n_setid);
                v2c_buf_appendf(&b, "%s", dropped ? " (--keep-setuid keeps them)"
                                                  : cv->opt->mode == V2C_CONVERT_SYSTEM ? " (a system image keeps them)"
                                                                                        : " (--keep-setuid)");
                if (b.data)
                        conv_warn(cv, "%s", b.data);
                v2c_buf_reset(&b);
        }
        if (m->n_writable) {
                v2c_buf_appendf(&b, "%s: world-writable in the image: ", what);
                mode_list(&b, m->writable, m->n_writable);
                if (b.data)
                        conv_warn(cv, "%s", b.data);
        }
}

static int convert_one(struct conv *cv, struct v2c_oci_layout *l, const char *side, const struct v2c_service *s,
                       const struct v2c_converted_layer *base, bool have_base, const struct base_image *bi,
                       struct v2c_converted *out, struct v2c_error **err)
{
        const struct v2c_convert_options *opt = cv->opt;
        struct image im = { 0 };
        _cleanup_strv_ char **labels = NULL;
        _cleanup_free_ char *harden_label = NULL;
        int r = plan_image(cv, s, &im, err);
        if (r >= 0)
                r = opt->mode == V2C_CONVERT_SYSTEM ? add_system_files(cv, &im, err) : add_service_files(cv, &im, err);
        if (r >= 0)
                r = col_screen(&cv->col, LAYER_PACKAGES, N_LAYERS - 1, err);
        if (r < 0)
                goto out;
        out->service = strdup(im.name);
        out->ref_name = strdup(im.ref);
        for (size_t k = 0; bi && k < bi->n; k++)
                out->layers[out->n_layers++] = bi->layers[k];
        /* The base image's environment, where the service does not set it. */
        for (size_t k = 0; bi && bi->env && bi->env[k]; k++) {
                size_t nl = strcspn(bi->env[k], "=");
                bool set = false;
                for (size_t e = 0; im.env && im.env[e]; e++)
                        set |= strncmp(im.env[e], bi->env[k], nl + 1) == 0;
                if (!set)
                        v2c_strv_push(&im.env, bi->env[k]);
        }
        if (have_base)
                out->layers[out->n_layers++] = *base;
        struct mode_report modes = { 0 };
        for (int k = LAYER_PACKAGES; k < N_LAYERS; k++)
                review_modes(cv, k, &modes);
        log_modes(cv, im.name, &modes);
        mode_report_release(&modes);
        for (int k = LAYER_PACKAGES; k < N_LAYERS; k++) {
                struct v2c_converted_layer *cl = &out->layers[out->n_layers];
                char label[200];
                snprintf(label, sizeof label, "[%zu/%zu] %s: %s layer", cv->image_no, cv->n_images, im.name,
                         role_names[k]);
                struct v2c_layer_options lopt = opt->layer;
                lopt.label = label;
                r = col_write(&cv->col, k, v2c_oci_layout_blobs(l), &lopt, &cl->result, &cl->files, err);
                if (r < 0) {
                        v2c_error_prefix(err, r, "%s layer", role_names[k]);
                        goto out;
                }
                if (r == 0) {
                        cl->role = role_names[k];
                        out->n_layers++;
                }
        }
        struct v2c_layer_result results[V2C_CONVERT_MAX_LAYERS];
        for (size_t k = 0; k < out->n_layers; k++)
                results[k] = out->layers[k].result;
        char created[21];
        v2c_rfc3339(opt->layer.epoch, created);
        const struct v2c_os *os = &cv->report->os;
        /* The hardened spec goes into the image too (io.v2c.hardening), so
         * that whatever runs it later (v2c rollout) runs it the same way. */
        r = harden_image(cv, s, &im, out, err);
        if (r < 0)
                goto out;
        if (v2c_hardening_known(&out->harden)) {
                _cleanup_json_ json_t *hj = v2c_hardening_to_json(&out->harden);
                if (hj == NULL || (harden_label = json_dumps(hj, JSON_COMPACT | JSON_PRESERVE_ORDER)) == NULL) {
                        r = v2c_error_set(err, ENOMEM, "out of memory");
                        goto out;
                }
        }
        struct { const char *k, *v; } lab[] = {
                { "org.opencontainers.image.created", created },
                { "org.opencontainers.image.title", im.name },
                { "org.opencontainers.image.source", opt->source },
                { "io.v2c.service", im.name },
                { "io.v2c.guest.hostname", os->hostname },
                { "io.v2c.guest.os", os->pretty_name },
                { "io.v2c.class", v2c_service_class_name(s->klass) },
                { "io.v2c.mode", opt->mode == V2C_CONVERT_SYSTEM ? "system" : "service" },
                { "io.v2c.pod", convert_pod_of(&cv->pods, s) },
                { "io.v2c.needs", convert_needs_of(&cv->pods, s) },
                { "io.v2c.hardening", harden_label },
                { "org.opencontainers.image.base.name", bi ? opt->base_ref : NULL },
                { "org.opencontainers.image.base.digest", bi ? bi->digest : NULL },
        };
        for (size_t k = 0; k < V2C_ARRAY_SIZE(lab); k++) {
                if (lab[k].v == NULL)
                        continue;
                char *kv = NULL;
                if (asprintf(&kv, "%s=%s", lab[k].k, lab[k].v) < 0 || v2c_strv_consume(&labels, kv) < 0) {
                        r = v2c_error_set(err, ENOMEM, "out of memory");
                        goto out;
                }
        }
        struct v2c_image_spec spec = {
                .ref_name = im.ref, .architecture = cv->arch, .os = "linux", .created = opt->layer.epoch,
                .entrypoint = im.start.entrypoint, .cmd = im.start.cmd, .env = im.env,
                .working_dir = s->working_dir, .user = im.user_spec, .stop_signal = im.stop_signal,
                .ports = im.ports, .n_ports = im.n_ports, .volumes = im.volumes, .labels = labels,
                .layers = results, .n_layers = out->n_layers,
        };
        r = v2c_oci_add_image(l, &spec, &out->manifest, &out->config, err);
        if (r < 0)
                goto out;
        r = write_artifacts(cv, side, &im, out, err);
        if (r < 0)
                goto out;
        out->env_required = TAKE_PTR(im.env_required);
        out->volumes = TAKE_PTR(im.volumes);
        out->ports = TAKE_PTR(im.ports);
        out->n_ports = im.n_ports;
        out->notes = TAKE_PTR(im.start.notes);
        out->secret_files = TAKE_PTR(im.secret_files);
        out->n_secret_files = im.n_secret_files;
        im.n_secret_files = 0;
        if (im.user.found && asprintf(&out->user_uid, "%u", im.user.uid) < 0)
                r = v2c_error_set(err, ENOMEM, "out of memory");
out:
        image_release(&im);
        return r;
}

int v2c_convert(struct v2c_guest *g, const struct v2c_report *report, const struct v2c_convert_options *opt,
                struct v2c_convert_result **out, struct v2c_error **err)
{
        struct conv cv = { .g = g, .opt = opt };
        struct v2c_oci_layout *l = NULL;
        __attribute__((cleanup(v2c_report_freep))) struct v2c_report *text = NULL;
        _cleanup_free_ const struct v2c_service **chosen = NULL;
        _cleanup_free_ char *side = NULL;
        size_t n = 0;
        struct v2c_convert_result *res = calloc(1, sizeof *res);
        struct base_image bimg = { 0 };
        json_t *lock = NULL;
        int r;
        if (res == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        /* Convert names guest files as the report's JSON does (v2c_utf8_escape)
         * and goes back to their bytes where it reads the guest. */
        r = v2c_report_escaped(report, &text, err);
        if (r < 0)
                goto out;
        cv.report = text;
        const struct v2c_os *os = &text->os;
        cv.arch = oci_arch(os->arch);
        col_init(&cv.col, g, opt->mode);
        r = choose(&cv, &chosen, &n, err);
        if (r >= 0)
                r = convert_plan_pods(text, chosen, n, &cv.pods, err);
        if (r < 0)
                goto out;
        for (size_t k = 0; cv.pods.warnings && cv.pods.warnings[k]; k++)
                conv_warn(&cv, "%s", cv.pods.warnings[k]);

        /* Secrets: left out of every layer, unless the user names one. */
        for (size_t i = 0; i < text->nsecrets; i++) {
                /* The report holds a name that is not UTF-8 escaped (see
                 * json.h); the layers see the guest's bytes.  Where the
                 * text could also be a UTF-8 name, both stay out. */
                const char *escaped = text->secrets[i].path;
                _cleanup_free_ char *p = escaped ? v2c_utf8_unescape(escaped) : NULL, *real = NULL;
                if (escaped && p == NULL) {
                        r = v2c_error_set(err, ENOMEM, "out of memory");
                        goto out;
                }
                if (p == NULL || v2c_strv_contains(opt->include_secrets, p))
                        continue;
                if (strcmp(p, escaped) != 0)
                        v2c_strv_push(&cv.col.secrets, escaped);
                v2c_strv_push(&cv.col.secrets, p);
                if (v2c_guest_realpath(g, p, &real, NULL) == 0)
                        v2c_strv_push(&cv.col.secrets, real);
        }
        for (size_t k = 0; opt->include_secrets && opt->include_secrets[k]; k++)
                v2c_log(V2C_LOG_WARNING, "including secret %s in the image, as asked", opt->include_secrets[k]);
        /* The report's list is a start, not the rule: every file packed is
         * checked again (col_screen), the services' configuration and
         * environment files whatever their name, as inspect does. */
        cv.col.keep = opt->include_secrets;
        for (size_t i = 0; i < text->nservices; i++) {
                const struct v2c_service *svc = &text->services[i];
                char *const *const lists[] = { svc->config_files, svc->environment_files };
                for (size_t li = 0; li < V2C_ARRAY_SIZE(lists); li++) {
                        for (size_t k = 0; lists[li] && lists[li][k]; k++) {
                                char *real = NULL;
                                _cleanup_free_ char *raw = v2c_utf8_unescape(lists[li][k]);
                                if (raw && raw[0] == '/' && v2c_guest_realpath(g, raw, &real, NULL) == 0 &&
                                    v2c_strv_consume(&cv.col.check_paths, real) < 0) {
                                        r = v2c_error_set(err, ENOMEM, "out of memory");
                                        goto out;
                                }
                        }
                }
        }
        r = col_guard_init(&cv.col, cv.col.secrets, err);
        if (r < 0)
                goto out;

        int format = v2c_pkg_format_from_name(os->package_format);
        if (format >= 0) {
                v2c_progress_show(true, "reading the package database");
                r = v2c_guest_pkgdb_load(g, (enum v2c_pkg_format) format, pkgdb_warn, &cv, &cv.db, err);
                if (r < 0)
                        goto out;
        }
        if (read_accounts(&cv) < 0 || compute_base(&cv) < 0) {
                r = v2c_error_set(err, ENOMEM, "out of memory");
                goto out;
        }
        v2c_progress_show(true, "planning %zu image%s", n, n == 1 ? "" : "s");
        r = fetch_images(&cv, chosen, n, err);
        if (r >= 0 && foresee(&cv, chosen, n) < 0)
                r = v2c_error_set(err, ENOMEM, "out of memory");
        if (r < 0)
                goto out;

        r = v2c_oci_layout_create(opt->output, opt->force, &l, err);
        if (r < 0)
                goto out;
        if (asprintf(&side, "%s/v2c", v2c_oci_layout_tmpdir(l)) < 0 || mkdir(side, 0755) < 0) {
                r = v2c_error_set(err, errno ? errno : ENOMEM, "creating `%s`: %m", side ? side : "v2c/");
                goto out;
        }

        if (opt->base_layout) {
                r = load_base(opt, v2c_oci_layout_blobs(l), &bimg, err);
                if (r < 0)
                        goto out;
        }
        /* The base layer, written once and shared. */
        struct v2c_converted_layer base = { .role = "base" };
        r = add_base(&cv, err);
        if (r >= 0) {
                struct mode_report modes = { 0 };
                review_modes(&cv, LAYER_BASE, &modes);
                log_modes(&cv, "the base layer (every image)", &modes);
                mode_report_release(&modes);
        }
        if (r >= 0)
                r = col_screen(&cv.col, LAYER_BASE, LAYER_BASE, err);
        struct v2c_layer_options base_opt = opt->layer;
        base_opt.label = "base layer (every image)";
        if (r >= 0)
                r = col_write(&cv.col, LAYER_BASE, v2c_oci_layout_blobs(l), &base_opt, &base.result, &base.files,
                              err);
        if (r < 0) {
                v2c_error_prefix(err, r, "base layer");
                goto out;
        }
        bool have_base = r == 0;
        cv.col.excluded_base = TAKE_PTR(cv.col.excluded);

        res->images = calloc(n, sizeof *res->images);
        lock = json_array();
        if (res->images == NULL || lock == NULL) {
                r = v2c_error_set(err, ENOMEM, "out of memory");
                goto out;
        }
        cv.n_images = n;
        for (size_t k = 0; k < n; k++) {
                col_reset_service(&cv.col);
                v2c_log(V2C_LOG_INFO, "converting %s", chosen[k]->name);
                cv.image_no = k + 1;
                v2c_progress_show(true, "[%zu/%zu] %s: choosing its files", k + 1, n, chosen[k]->name);
                r = convert_one(&cv, l, side, chosen[k], &base, have_base, opt->base_layout ? &bimg : NULL,
                                &res->images[k], err);
                res->n_images++;
                if (r < 0) {
                        v2c_error_prefix(err, r, "converting %s", chosen[k]->name);
                        goto out;
                }
                json_array_append_new(lock, lock_entry(&res->images[k]));
        }
        /* After every image: a pod's manifest names its members by digest. */
        r = convert_write_pods(&cv.pods, side, opt->image_repo, opt->runtime_class, res, err);
        if (r < 0)
                goto out;
        {
                json_auto_t *doc = json_pack("{s:s, s:s, s:O}", "schema", V2C_LOCK_SCHEMA, "tool", "v2c " V2C_VERSION,
                                             "images", lock);
                _cleanup_free_ char *path = NULL;
                if (doc == NULL || asprintf(&path, "%s/lock.json", side) < 0) {
                        r = v2c_error_set(err, ENOMEM, "out of memory");
                        goto out;
                }
                r = v2c_json_write(doc, path, err);
                if (r < 0)
                        goto out;
        }
        struct v2c_oci_layout *committing = l;
        l = NULL;
        r = v2c_oci_layout_commit(committing, err);
        if (r < 0)
                goto out;
        for (size_t k = 0; cv.col.warnings && cv.col.warnings[k]; k++)
                v2c_strv_push(&cv.warnings, cv.col.warnings[k]);
        res->warnings = TAKE_PTR(cv.warnings);
        if (out)
                *out = TAKE_PTR(res);
out:
        json_decref(lock);
        base_image_release(&bimg);
        v2c_oci_layout_abort(l);
        v2c_convert_result_free(res);
        col_release(&cv.col);
        convert_pod_plan_release(&cv.pods);
        v2c_pkgdb_free(cv.db);
        v2c_strv_free(cv.base_pkgs);
        v2c_strv_free(cv.ld_dirs);
        v2c_strv_free(cv.warnings);
        free(cv.passwd);
        free(cv.group);
        return r;
}
