/* The guest reader's generic layer: backend choice, in-guest path
 * resolution, and the calls every backend shares.  See guest.h. */
#include "guest-internal.h"
#include "cleanup.h"
#include "guest-list.h"
#include "path.h"
#include "strv.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#define DEFAULT_PREFETCH_MAX_KIB (256 * 1024)

#define DEFAULT_MAX_READ (16u << 20)
/* A launch takes ~3 s under KVM, 15-35 s under TCG, a minute more when
 * supermin first builds the appliance: ten minutes means a hang. */
#define DEFAULT_LAUNCH_TIMEOUT_S 600

int v2c_guest_add_warning(struct v2c_guest *g, const char *fmt, ...)
{
        char *s = NULL;
        va_list ap;
        va_start(ap, fmt);
        int n = vasprintf(&s, fmt, ap);
        va_end(ap);
        if (n < 0)
                return -ENOMEM;
        return v2c_strv_consume(&g->warnings, s);
}

int v2c_guest_add_source(struct v2c_guest *g, const char *path, const char *format, const char *role,
                         struct v2c_error **err)
{
        struct v2c_guest_source *v = realloc(g->sources, (g->n_sources + 1) * sizeof *v);
        if (v == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        g->sources = v;
        struct v2c_guest_source *s = &v[g->n_sources];
        s->path = strdup(path);
        s->format = strdup(format);
        s->role = role;
        if (s->path == NULL || s->format == NULL) {
                free(s->path);
                free(s->format);
                return v2c_error_set(err, ENOMEM, "out of memory");
        }
        g->n_sources++;
        return 0;
}

const struct v2c_guest_source *v2c_guest_sources(const struct v2c_guest *g, size_t *n)
{
        *n = g->n_sources;
        return g->sources;
}

enum v2c_file_type v2c_file_type_from_mode(uint32_t mode)
{
        switch (mode & S_IFMT) {
        case S_IFREG: return V2C_FT_REG;
        case S_IFDIR: return V2C_FT_DIR;
        case S_IFLNK: return V2C_FT_LNK;
        case S_IFCHR: return V2C_FT_CHR;
        case S_IFBLK: return V2C_FT_BLK;
        case S_IFIFO: return V2C_FT_FIFO;
        default: return V2C_FT_SOCK;
        }
}

int v2c_dirents_push(struct v2c_dirent **v, size_t *n, size_t *cap, const char *name, const struct v2c_stat *st)
{
        if (*n == *cap) {
                size_t ncap = *cap ? *cap * 2 : 32;
                struct v2c_dirent *nv = realloc(*v, ncap * sizeof *nv);
                if (nv == NULL)
                        return -ENOMEM;
                *v = nv;
                *cap = ncap;
        }
        char *copy = strdup(name);
        if (copy == NULL)
                return -ENOMEM;
        (*v)[*n].name = copy;
        (*v)[*n].st = *st;
        (*n)++;
        return 0;
}

enum source_kind { SRC_DISK, SRC_TAR };

static uint32_t be32(const unsigned char *p)
{
        return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8 | p[3];
}
static uint64_t be64(const unsigned char *p)
{
        return (uint64_t) be32(p) << 32 | be32(p + 4);
}

/* Looks at the first bytes of a file to tell a tar archive from a disk
 * image, and to refuse what is neither before paying for an appliance launch. */
static int sniff(const char *path, enum source_kind *kind, const char **format, struct v2c_error **err)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return v2c_error_set_kind(err, V2C_ERR_INPUT, errno, "cannot open `%s`: %m", path);
        struct stat st;
        if (fstat(fd, &st) < 0)
                return v2c_error_set_kind(err, V2C_ERR_INPUT, errno, "cannot stat `%s`: %m", path);
        if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
                return v2c_error_set_kind(err, V2C_ERR_INPUT, EINVAL,
                                          "`%s` is not a disk image, a tar archive or a directory", path);
        if (S_ISREG(st.st_mode) && st.st_size == 0)
                return v2c_error_set_kind(err, V2C_ERR_INPUT, EINVAL, "`%s` is empty", path);

        unsigned char h[0x10048];
        memset(h, 0, sizeof h);
        ssize_t n = pread(fd, h, sizeof h, 0);
        if (n < 0)
                return v2c_error_set_kind(err, V2C_ERR_INPUT, errno, "cannot read `%s`: %m", path);

        if (n >= 104 && memcmp(h, "QFI\xfb", 4) == 0) {
                uint64_t l1 = be64(h + 40), refcount = be64(h + 48);
                if (S_ISREG(st.st_mode) && ((uint64_t) st.st_size <= l1 || (uint64_t) st.st_size <= refcount))
                        return v2c_error_set_kind(err, V2C_ERR_INPUT, EINVAL,
                                                  "`%s` is a truncated qcow2 image (its tables lie past the end of the file)",
                                                  path);
                *kind = SRC_DISK;
                *format = "qcow2";
                return 0;
        }
        static const struct { size_t off; const char *magic; size_t len; const char *format; } images[] = {
                { 0, "KDMV", 4, "vmdk" },
                { 0, "# Disk DescriptorFile", 21, "vmdk" },
                { 0, "vhdxfile", 8, "vhdx" },
                { 0, "conectix", 8, "vpc" },
                { 0x40, "\x7f\x10\xda\xbe", 4, "vdi" },
        };
        for (size_t i = 0; i < V2C_ARRAY_SIZE(images); i++)
                if ((size_t) n >= images[i].off + images[i].len &&
                    memcmp(h + images[i].off, images[i].magic, images[i].len) == 0) {
                        *kind = SRC_DISK;
                        *format = images[i].format;
                        return 0;
                }
        /* Archives, possibly compressed: gzip, zstd, xz, bzip2, or plain ustar/GNU. */
        if ((n >= 2 && h[0] == 0x1f && h[1] == 0x8b) || (n >= 4 && memcmp(h, "\x28\xb5\x2f\xfd", 4) == 0) ||
            (n >= 6 && memcmp(h, "\xfd" "7zXZ\0", 6) == 0) || (n >= 3 && memcmp(h, "BZh", 3) == 0) ||
            (n >= 262 && memcmp(h + 257, "ustar", 5) == 0)) {
                *kind = SRC_TAR;
                return 0;
        }
        /* Raw disks: a partition table, or a file system starting at 0. */
        if ((n >= 512 && h[510] == 0x55 && h[511] == 0xaa) || (n >= 520 && memcmp(h + 512, "EFI PART", 8) == 0) ||
            (n >= 1082 && h[1080] == 0x53 && h[1081] == 0xef) || (n >= 4 && memcmp(h, "XFSB", 4) == 0) ||
            (n >= 0x10048 && memcmp(h + 0x10040, "_BHRfS_M", 8) == 0) || (n >= 6 && memcmp(h, "LUKS\xba\xbe", 6) == 0) ||
            (n >= 520 && memcmp(h + 512, "LABELONE", 8) == 0)) {
                *kind = SRC_DISK;
                *format = "raw";
                return 0;
        }
        const char *dot = strrchr(path, '.');
        if (dot && (strcmp(dot, ".tar") == 0 || strstr(path, ".tar.") != NULL)) {
                *kind = SRC_TAR;
                return 0;
        }
        return v2c_error_set_kind(err, V2C_ERR_INPUT, EINVAL,
                                  "`%s` is not a disk image, a tar archive or a directory", path);
}

/* A root file system has at least /etc or /usr. */
static int check_root(struct v2c_guest *g, const char *what, struct v2c_error **err)
{
        if (v2c_guest_exists(g, "/etc", V2C_FT_DIR) || v2c_guest_exists(g, "/usr", V2C_FT_DIR))
                return 0;
        return v2c_error_set_kind(err, V2C_ERR_INPUT, ENOENT,
                                  "`%s` does not hold a root file system (no /etc, no /usr)", what);
}

/* A guest with OPT's settings and no backend yet (new, or NULL). */
static struct v2c_guest *guest_new(const struct v2c_guest_options *opt)
{
        struct v2c_guest *g = calloc(1, sizeof *g);
        if (g == NULL)
                return NULL;
        g->max_read = opt && opt->max_read ? opt->max_read : DEFAULT_MAX_READ;
        g->prefetch_max_kib = opt && opt->prefetch_max_kib ? opt->prefetch_max_kib : DEFAULT_PREFETCH_MAX_KIB;
        g->allow_backing = opt && opt->allow_backing;
        g->launch_timeout_s = opt && opt->launch_timeout_s ? opt->launch_timeout_s : DEFAULT_LAUNCH_TIMEOUT_S;
        return g;
}

int v2c_guest_open(const char *const *sources, size_t n, const struct v2c_guest_options *opt,
                   struct v2c_guest **out, struct v2c_error **err)
{
        if (n == 0)
                return v2c_error_set_kind(err, V2C_ERR_USAGE, EINVAL, "no guest given");

        struct v2c_guest *g = guest_new(opt);
        if (g == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");

        struct stat st;
        int r;
        if (stat(sources[0], &st) == 0 && S_ISDIR(st.st_mode)) {
                if (n > 1) {
                        r = v2c_error_set_kind(err, V2C_ERR_USAGE, EINVAL,
                                               "a directory guest takes no other source");
                        goto fail;
                }
                r = v2c_guest_dir_open(sources[0], g, err);
                if (r == 0)
                        r = check_root(g, sources[0], err);
        } else {
                enum source_kind kind = SRC_DISK;
                const char *formats[16];
                if (n > V2C_ARRAY_SIZE(formats)) {
                        r = v2c_error_set_kind(err, V2C_ERR_USAGE, E2BIG, "at most %zu disks for one guest",
                                               V2C_ARRAY_SIZE(formats));
                        goto fail;
                }
                for (size_t i = 0; i < n; i++) {
                        enum source_kind k;
                        formats[i] = NULL;
                        r = sniff(sources[i], &k, &formats[i], err);
                        if (r < 0)
                                goto fail;
                        if (k == SRC_TAR && n > 1) {
                                r = v2c_error_set_kind(err, V2C_ERR_USAGE, EINVAL,
                                                       "a tar archive guest takes no other source");
                                goto fail;
                        }
                        kind = k;
                }
                if (kind == SRC_TAR) {
                        r = v2c_guest_tar_open(sources[0], g, err);
                        if (r == 0)
                                r = check_root(g, sources[0], err);
                } else {
                        /* Before qemu sees them: what the images name. */
                        for (size_t i = 0; i < n; i++) {
                                r = v2c_disk_chain_check(g, sources[i], formats[i], g->allow_backing, err);
                                if (r < 0)
                                        goto fail;
                        }
                        r = v2c_guest_disk_open(sources, formats, n, g, err);
                }
        }
        if (r < 0)
                goto fail;
        *out = g;
        return 0;
fail:
        v2c_guest_close(g);
        return r;
}

/* ---- Sessions (see guest.h) ---- */


struct session_guest {
        struct v2c_guest *g;    /* options and sources, until handed out */
        struct v2c_error *err;  /* its failure found before the launch */
        char **standalone;      /* a directory or tar guest: its sources */
        size_t first, n;        /* its drives in the appliance */
        bool taken;
};

struct v2c_guest_session {
        struct session_guest *guests;
        size_t n;
        struct v2c_guest_options opt;
        struct v2c_disk_session *disk;
};

/* What guest G of DISKS (N sources) is, before any launch: its drives'
 * formats into FORMATS (a disk guest, its sources recorded in G's), or
 * *standalone for a directory or a tar archive.  Fails as v2c_guest_open
 * would. */
static int session_prepare(struct v2c_guest *g, char *const *disks, size_t n, const char **formats,
                           bool *standalone, struct v2c_error **err)
{
        if (n == 0)
                return v2c_error_set_kind(err, V2C_ERR_USAGE, EINVAL, "no disk given");
        if (n > V2C_GUEST_DISKS_MAX)
                return v2c_error_set_kind(err, V2C_ERR_USAGE, E2BIG, "at most %d disks for one guest",
                                          V2C_GUEST_DISKS_MAX);
        struct stat st;
        *standalone = stat(disks[0], &st) == 0 && S_ISDIR(st.st_mode);
        for (size_t i = 0; i < n && !*standalone; i++) {
                enum source_kind k;
                int r = sniff(disks[i], &k, &formats[i], err);
                if (r < 0)
                        return r;
                *standalone = k == SRC_TAR;
        }
        if (*standalone)
                return 0;
        for (size_t i = 0; i < n; i++) {
                int r = v2c_disk_chain_check(g, disks[i], formats[i], g->allow_backing, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

int v2c_guest_session_open(char *const *const *disks, size_t n, const struct v2c_guest_options *opt,
                           struct v2c_guest_session **out, struct v2c_error **err)
{
        _cleanup_(v2c_guest_session_closep) struct v2c_guest_session *s = calloc(1, sizeof *s);
        _cleanup_free_ const char **paths = NULL, **formats = NULL;
        if (s == NULL || (s->guests = calloc(n ? n : 1, sizeof *s->guests)) == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        s->n = n;
        if (opt)
                s->opt = *opt;
        size_t drives = 0;
        for (size_t i = 0; i < n; i++) {
                struct session_guest *sg = &s->guests[i];
                size_t nd = v2c_strv_len(disks[i]);
                const char *fmts[V2C_GUEST_DISKS_MAX];
                bool standalone = false;
                sg->g = guest_new(opt);
                if (sg->g == NULL)
                        return v2c_error_set(err, ENOMEM, "out of memory");
                if (session_prepare(sg->g, disks[i], nd, fmts, &standalone, &sg->err) < 0) {
                        sg->g = v2c_guest_close(sg->g);
                        continue;
                }
                if (standalone) {
                        sg->g = v2c_guest_close(sg->g);
                        if ((sg->standalone = v2c_strv_copy(disks[i])) == NULL)
                                return v2c_error_set(err, ENOMEM, "out of memory");
                        continue;
                }
                if (drives + nd > V2C_GUEST_SESSION_DISKS_MAX)
                        return v2c_error_set_kind(err, V2C_ERR_USAGE, E2BIG,
                                                  "at most %d disks in one appliance", V2C_GUEST_SESSION_DISKS_MAX);
                const char **np = realloc(paths, (drives + nd) * sizeof *np);
                if (np)
                        paths = np;
                const char **nf = np ? realloc(formats, (drives + nd) * sizeof *nf) : NULL;
                if (nf == NULL)
                        return v2c_error_set(err, ENOMEM, "out of memory");
                formats = nf;
                sg->first = drives;
                sg->n = nd;
                for (size_t k = 0; k < nd; k++) {
                        paths[drives + k] = disks[i][k];
                        formats[drives + k] = fmts[k];
                }
                drives += nd;
        }
        if (drives > 0) {
                _cleanup_free_ char *what = NULL;
                if (drives > 1 && asprintf(&what, "%s (and %zu more disks)", paths[0], drives - 1) < 0)
                        return v2c_error_set(err, ENOMEM, "out of memory");
                unsigned timeout = s->opt.launch_timeout_s ? s->opt.launch_timeout_s : DEFAULT_LAUNCH_TIMEOUT_S;
                int r = v2c_disk_session_launch(paths, formats, drives, timeout, what ? what : paths[0], &s->disk, err);
                if (r < 0)
                        return r;
        }
        *out = TAKE_PTR(s);
        return 0;
}

int v2c_guest_session_guest(struct v2c_guest_session *s, size_t i, struct v2c_guest **out, struct v2c_error **err)
{
        if (i >= s->n)
                return v2c_error_set(err, EINVAL, "no guest %zu in the session", i);
        struct session_guest *sg = &s->guests[i];
        if (sg->taken)
                return v2c_error_set(err, EALREADY, "guest %zu of the session was handed out already", i);
        if (sg->err) {
                sg->taken = true;
                int code = sg->err->code;
                if (err && *err == NULL)
                        *err = TAKE_PTR(sg->err);
                return code > 0 ? -code : -EIO;
        }
        if (sg->standalone) {
                sg->taken = true;
                return v2c_guest_open((const char *const *) sg->standalone, v2c_strv_len(sg->standalone), &s->opt,
                                      out, err);
        }
        struct v2c_guest *g = sg->g;
        int r = v2c_disk_session_mount(s->disk, sg->first, sg->n, g, err);
        if (r == -EBUSY)
                return r;
        sg->taken = true;
        sg->g = NULL;
        if (r < 0) {
                const char *first = g->n_sources ? g->sources[0].path : "guest";
                r = v2c_error_prefix(err, r, "`%s`", first);
                v2c_guest_close(g);
                return r;
        }
        *out = g;
        return 0;
}

struct v2c_guest_session *v2c_guest_session_close(struct v2c_guest_session *s)
{
        if (s == NULL)
                return NULL;
        for (size_t i = 0; s->guests && i < s->n; i++) {
                v2c_guest_close(s->guests[i].g);
                v2c_error_free(s->guests[i].err);
                v2c_strv_free(s->guests[i].standalone);
        }
        free(s->guests);
        v2c_disk_session_unref(s->disk);
        free(s);
        return NULL;
}

struct v2c_guest *v2c_guest_close(struct v2c_guest *g)
{
        if (g == NULL)
                return NULL;
        if (g->ops && g->ops->close)
                g->ops->close(g);
        v2c_strv_free(g->warnings);
        v2c_strv_free(g->deferred);
        for (size_t i = 0; i < g->n_sources; i++) {
                free(g->sources[i].path);
                free(g->sources[i].format);
        }
        free(g->sources);
        free(g);
        return NULL;
}

const char *v2c_guest_kind(const struct v2c_guest *g)
{
        return g->ops->kind;
}

char *const *v2c_guest_warnings(const struct v2c_guest *g)
{
        return g->warnings;
}

static int resolver_is_symlink(void *ctx, const char *path, struct v2c_error **err)
{
        struct v2c_guest *g = ctx;
        struct v2c_stat st;
        int r = g->ops->lstat(g, path, &st, err);
        if (r < 0)
                return r;
        return st.type == V2C_FT_LNK;
}

static int resolver_readlink(void *ctx, const char *path, char **target, struct v2c_error **err)
{
        struct v2c_guest *g = ctx;
        return g->ops->readlink(g, path, target, err);
}

static const struct v2c_path_ops resolver_ops = {
        .is_symlink = resolver_is_symlink,
        .readlink = resolver_readlink,
};

static int resolve(struct v2c_guest *g, const char *path, bool follow, char **out, struct v2c_error **err)
{
        if (path[0] != '/')
                return v2c_error_set(err, EINVAL, "guest path `%s` is not absolute", path);
        /* ENOENT is the answer callers probe for: keep it quiet. */
        struct v2c_error *e = NULL;
        int r = v2c_path_resolve(&resolver_ops, g, path, follow, false, out, &e);
        if (r == -ENOENT)
                v2c_error_free(e);
        else if (r < 0 && err && *err == NULL)
                *err = e;
        else
                v2c_error_free(e);
        return r;
}

/* Resolves PATH and stats what it names: the first step of most calls. */
static int resolve_stat(struct v2c_guest *g, const char *path, bool follow, char **resolved, struct v2c_stat *st,
                        struct v2c_error **err)
{
        char *p = NULL;
        int r = resolve(g, path, follow, &p, err);
        if (r < 0)
                return r;
        r = g->ops->lstat(g, p, st, err);
        if (r < 0) {
                free(p);
                return r;
        }
        if (resolved)
                *resolved = p;
        else
                free(p);
        return 0;
}

/* resolve_stat for the calls that need the file: a missing one is an
 * error like any other (only stat and lstat keep -ENOENT quiet, as the
 * probe most callers make), so that no caller passes on a failure that
 * says nothing. */
static int resolve_existing(struct v2c_guest *g, const char *path, bool follow, char **resolved, struct v2c_stat *st,
                            struct v2c_error **err)
{
        int r = resolve_stat(g, path, follow, resolved, st, err);
        if (r == -ENOENT && err && *err == NULL)
                return v2c_error_set_kind(err, V2C_ERR_INPUT, ENOENT, "`%s` is not in the guest", path);
        return r;
}

int v2c_guest_identify(struct v2c_guest *g, char *const *paths, size_t n, struct v2c_file_id *ids,
                       struct v2c_error **err)
{
        /* Backends see canonical paths whose parents are not symlinks:
         * resolve the parents here (the last component stays as it is). */
        char **canon = calloc(n + 1, sizeof *canon);
        if (canon == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        int r = 0;
        for (size_t i = 0; i < n && r == 0; i++) {
                ids[i] = (struct v2c_file_id) { 0 };
                r = resolve(g, paths[i], false, &canon[i], err);
                if (r == -ENOENT) {
                        canon[i] = NULL;
                        r = 0;
                }
        }
        /* Missing paths are asked for as "/" and zeroed after. */
        char **ask = calloc(n + 1, sizeof *ask);
        if (r == 0 && ask == NULL)
                r = v2c_error_set(err, ENOMEM, "out of memory");
        for (size_t i = 0; r == 0 && i < n; i++)
                ask[i] = canon[i] ? canon[i] : (char *) "/";
        if (r == 0 && g->ops->identify)
                r = g->ops->identify(g, ask, n, ids, err);
        for (size_t i = 0; r == 0 && !g->ops->identify && i < n; i++) {
                struct v2c_stat st;
                int k = g->ops->lstat(g, ask[i], &st, err);
                if (k == 0)
                        ids[i] = (struct v2c_file_id) { .ino = st.ino, .nlink = st.nlink };
                else if (k != -ENOENT)
                        r = k;
        }
        for (size_t i = 0; i < n; i++) {
                if (canon[i] == NULL)
                        ids[i] = (struct v2c_file_id) { 0 };
                free(canon[i]);
        }
        free(canon);
        free(ask);
        return r;
}

int v2c_guest_realpath(struct v2c_guest *g, const char *path, char **out, struct v2c_error **err)
{
        return resolve(g, path, true, out, err);
}

int v2c_guest_lstat(struct v2c_guest *g, const char *path, struct v2c_stat *st, struct v2c_error **err)
{
        return resolve_stat(g, path, false, NULL, st, err);
}

int v2c_guest_stat(struct v2c_guest *g, const char *path, struct v2c_stat *st, struct v2c_error **err)
{
        return resolve_stat(g, path, true, NULL, st, err);
}

int v2c_guest_readlink(struct v2c_guest *g, const char *path, char **target, struct v2c_error **err)
{
        _cleanup_free_ char *p = NULL;
        struct v2c_stat st;
        int r = resolve_existing(g, path, false, &p, &st, err);
        if (r < 0)
                return r;
        if (st.type != V2C_FT_LNK)
                return v2c_error_set(err, EINVAL, "`%s` is not a symbolic link", path);
        return g->ops->readlink(g, p, target, err);
}

int v2c_guest_read_file(struct v2c_guest *g, const char *path, size_t max, char **data, size_t *len,
                        struct v2c_error **err)
{
        _cleanup_free_ char *p = NULL;
        struct v2c_stat st;
        int r = resolve_existing(g, path, true, &p, &st, err);
        if (r < 0)
                return r;
        if (st.type != V2C_FT_REG)
                return v2c_error_set(err, EINVAL, "`%s` is not a regular file", path);
        if (max == 0)
                max = g->max_read;
        if (st.size > max)
                return v2c_error_set(err, EFBIG, "`%s` is larger than %zu bytes", path, max);
        return g->ops->read(g, p, max, data, len, err);
}

int v2c_guest_list(struct v2c_guest *g, const char *path, struct v2c_dirent **out, size_t *n,
                   struct v2c_error **err)
{
        _cleanup_free_ char *p = NULL;
        struct v2c_stat st;
        int r = resolve_existing(g, path, true, &p, &st, err);
        if (r < 0)
                return r;
        if (st.type != V2C_FT_DIR)
                return v2c_error_set(err, ENOTDIR, "`%s` is not a directory", path);
        return g->ops->list(g, p, out, n, err);
}

struct v2c_guest_file {
        int fd;
        uint64_t pos, end;
        char *path;
};

int v2c_guest_open_file(struct v2c_guest *g, const char *path, struct v2c_guest_file **out, struct v2c_stat *st,
                        struct v2c_error **err)
{
        _cleanup_free_ char *p = NULL;
        struct v2c_stat s;
        int r = resolve_existing(g, path, true, &p, &s, err);
        if (r < 0)
                return r;
        if (s.type != V2C_FT_REG)
                return v2c_error_set(err, EINVAL, "`%s` is not a regular file", path);
        struct v2c_guest_file *f = calloc(1, sizeof *f);
        if (f == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        uint64_t off = 0, len = 0;
        r = g->ops->open(g, p, &f->fd, &off, &len, err);
        if (r < 0) {
                free(f);
                return r;
        }
        f->pos = off;
        f->end = off + len;
        f->path = TAKE_PTR(p);
        if (st)
                *st = s;
        *out = f;
        return 0;
}

void v2c_guest_hint(struct v2c_guest *g, char *const *paths, size_t n)
{
        if (g->ops->hint == NULL || n == 0)
                return;
        _cleanup_strv_ char **ask = NULL;
        for (size_t i = 0; i < n; i++) {
                if (paths[i] == NULL || paths[i][0] != '/')
                        continue;
                _cleanup_free_ char *norm = NULL, *dir = NULL, *real = NULL, *p = NULL;
                if (v2c_path_normalize("/", paths[i], &norm) < 0 || strcmp(norm, "/") == 0)
                        continue;
                dir = v2c_path_dirname(norm);
                /* The directory as the backend sees it: its links resolved. */
                if (dir == NULL || v2c_guest_realpath(g, dir, &real, NULL) < 0)
                        continue;
                if (asprintf(&p, "%s/%s", strcmp(real, "/") == 0 ? "" : real, v2c_path_basename(norm)) < 0 ||
                    v2c_strv_consume(&ask, TAKE_PTR(p)) < 0)
                        return;
        }
        v2c_strv_sort_uniq(ask);
        g->ops->hint(g, ask, v2c_strv_len(ask));
}

int v2c_guest_capability(struct v2c_guest *g, const char *path, void **value, size_t *len, struct v2c_error **err)
{
        *value = NULL;
        *len = 0;
        _cleanup_free_ char *p = NULL;
        struct v2c_stat s;
        int r = resolve_existing(g, path, true, &p, &s, err);
        if (r < 0)
                return r;
        if (s.type != V2C_FT_REG || g->ops->capability == NULL)
                return 0;
        return g->ops->capability(g, p, value, len, err);
}

int v2c_guest_file_read(struct v2c_guest_file *f, void *buf, size_t n, size_t *got, struct v2c_error **err)
{
        if (f->pos >= f->end || n == 0) {
                *got = 0;
                return 0;
        }
        if ((uint64_t) n > f->end - f->pos)
                n = (size_t) (f->end - f->pos);
        for (;;) {
                ssize_t k = pread(f->fd, buf, n, (off_t) f->pos);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return v2c_error_set(err, errno, "reading `%s`: %m", f->path);
                f->pos += (uint64_t) k;
                /* A file that shrank since it was opened ends early. */
                if (k == 0)
                        f->end = f->pos;
                *got = (size_t) k;
                return 0;
        }
}

struct v2c_guest_file *v2c_guest_file_close(struct v2c_guest_file *f)
{
        if (f) {
                if (f->fd >= 0)
                        close(f->fd);
                free(f->path);
                free(f);
        }
        return NULL;
}

void v2c_dirents_free(struct v2c_dirent *d, size_t n)
{
        for (size_t i = 0; d && i < n; i++)
                free(d[i].name);
        free(d);
}

bool v2c_guest_exists(struct v2c_guest *g, const char *path, enum v2c_file_type type)
{
        struct v2c_stat st;
        if (v2c_guest_stat(g, path, &st, NULL) < 0)
                return false;
        return type == 0 || st.type == type;
}

struct resolved_tree {
        char *dir;
        const char *const *excludes;
        bool no_xattrs;
};

static int cmp_resolved_tree(const void *a, const void *b)
{
        return strcmp(((const struct resolved_tree *) a)->dir, ((const struct resolved_tree *) b)->dir);
}

int v2c_guest_prefetch_trees(struct v2c_guest *g, const struct v2c_prefetch_tree *trees, size_t n,
                             struct v2c_error **err)
{
        if (g->ops->prefetch == NULL || n == 0)
                return 0;
        /* The trees resolved in the guest, the missing and non-directories
         * dropped, sorted, and those inside another one left out (they
         * come with it, under its excludes). */
        _cleanup_free_ struct resolved_tree *res = calloc(n, sizeof *res);
        _cleanup_free_ struct v2c_prefetch_tree *out = calloc(n, sizeof *out);
        if (res == NULL || out == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        size_t m = 0;
        for (size_t i = 0; i < n; i++) {
                char *p = NULL;
                struct v2c_stat st;
                if (resolve(g, trees[i].dir, true, &p, NULL) < 0)
                        continue;
                if (g->ops->lstat(g, p, &st, NULL) < 0 || st.type != V2C_FT_DIR) {
                        free(p);
                        continue;
                }
                res[m++] = (struct resolved_tree) { p, trees[i].excludes, trees[i].no_xattrs };
        }
        if (m)
                qsort(res, m, sizeof *res, cmp_resolved_tree);
        size_t w = 0;
        for (size_t i = 0; i < m; i++)
                if (w == 0 || !v2c_path_is_under(res[i].dir, out[w - 1].dir))
                        out[w++] = (struct v2c_prefetch_tree) { res[i].dir, res[i].excludes, res[i].no_xattrs };
        int r = w ? g->ops->prefetch(g, out, w, err) : 0;
        for (size_t i = 0; i < m; i++)
                free(res[i].dir);
        return r;
}

int v2c_guest_prefetch(struct v2c_guest *g, const char *const *dirs, size_t n, const char *const *excludes,
                       struct v2c_error **err)
{
        _cleanup_free_ struct v2c_prefetch_tree *t = calloc(n ? n : 1, sizeof *t);
        if (t == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        for (size_t i = 0; i < n; i++)
                t[i] = (struct v2c_prefetch_tree) { dirs[i], excludes, false };
        return v2c_guest_prefetch_trees(g, t, n, err);
}

int v2c_guest_fetch(struct v2c_guest *g, char *const *files, size_t n, char *const *trees, size_t nt,
                    struct v2c_error **err)
{
        if (g->ops->fetch == NULL)
                return 0;
        _cleanup_strv_ char **f = NULL, **t = NULL;
        for (size_t i = 0; i < n; i++)
                if (files[i] && files[i][0] == '/' && v2c_strv_push(&f, files[i]) < 0)
                        return v2c_error_set(err, ENOMEM, "out of memory");
        for (size_t i = 0; i < nt; i++)
                if (trees[i] && trees[i][0] == '/' && v2c_strv_push(&t, trees[i]) < 0)
                        return v2c_error_set(err, ENOMEM, "out of memory");
        v2c_strv_sort_uniq(f);
        v2c_strv_sort_uniq(t);
        return g->ops->fetch(g, f, v2c_strv_len(f), t, v2c_strv_len(t), err);
}

void v2c_guest_defer_reads(struct v2c_guest *g, bool on)
{
        g->defer_reads = on;
}

char **v2c_guest_take_deferred(struct v2c_guest *g)
{
        char **v = TAKE_PTR(g->deferred);
        v2c_strv_sort_uniq(v);
        return v;
}

int v2c_guest_defer(struct v2c_guest *g, const char *path, struct v2c_error **err)
{
        if (v2c_strv_push(&g->deferred, path) < 0)
                return v2c_error_set(err, ENOMEM, "out of memory");
        return v2c_error_set(err, EAGAIN, "`%s` is not read yet (deferred)", path);
}

int v2c_guest_glob(struct v2c_guest *g, const char *pattern, char ***paths)
{
        _cleanup_free_ char *dir = v2c_path_dirname(pattern);
        const char *base = v2c_path_basename(pattern);
        struct v2c_dirent *ents = NULL;
        size_t n = 0;
        int r = 0;
        if (dir == NULL || v2c_guest_list(g, dir, &ents, &n, NULL) < 0)
                return 0;
        for (size_t i = 0; i < n; i++)
                if (fnmatch(base, ents[i].name, FNM_PERIOD) == 0) {
                        char *p = NULL;
                        if (asprintf(&p, "%s/%s", strcmp(dir, "/") ? dir : "", ents[i].name) >= 0)
                                if (v2c_strv_consume(paths, p) < 0)
                                        r = -ENOMEM;
                }
        v2c_dirents_free(ents, n);
        return r;
}
