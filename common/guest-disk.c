/* Guest backend for disk images, through libguestfs.
 *
 * Drives are always added read-only.  v2c does not call libguestfs's own OS
 * inspection (it costs as much as the appliance launch itself under TCG):
 * it finds the root file system by looking for /etc on each Linux file
 * system, then mounts the others where the guest's /etc/fstab puts them.
 *
 * Every libguestfs call is a round trip to the appliance (~250 ms for a
 * small download under TCG), so: trees the caller prefetches come down in
 * one tar-out each and are served from a local v2c_tarindex; other lookups
 * go to the appliance once and are cached.
 */
#include "guest-internal.h"
#include "cleanup.h"
#include "dynlib.h"
#include "log.h"
#include "path.h"
#include "progress.h"
#include "strv.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <guestfs.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Largest file read with guestfs_pread calls (a message holds 4 MB at most;
 * a call is a round trip, where guestfs_read_file and guestfs_download are
 * a file transfer, a quarter of a second under TCG); larger ones are
 * downloaded to a temporary file. */
#define READ_FILE_MAX (2u << 20)
#define CACHE_BITS 14
/* Contents kept for files read again (a library several services need). */
#define DATA_CACHE_FILE_MAX (4u << 20)
#define DATA_CACHE_TOTAL_MAX (128u << 20)
/* Largest listing kept for a directory listed again. */
#define LIST_CACHE_MAX 4096u

/* libguestfs brings twenty libraries v2c does not otherwise need (libvirt,
 * glib, libtirpc...) whose loading would cost every v2c command ~10 ms,
 * though most commands never open a disk.  So it is dlopen'ed when the
 * first disk is opened and called through `gfs`, typed from <guestfs.h>'s
 * own prototypes; the variadic *_opts calls go through their *_argv forms.
 * (ASan builds load libtirpc at start-up: see common/meson.build.) */
#define GUESTFS_FUNCTIONS(X)                                                   \
        X(add_drive_opts_argv) X(canonical_device_name) X(close) X(create)    \
        X(download) X(du) X(find0) X(findfs_label) X(findfs_uuid) X(free_statns)        \
        X(free_statns_list) X(get_backend_settings) X(is_dir) X(is_file)       \
        X(is_file_opts_argv) X(last_errno) X(last_error) X(launch) X(lgetxattr) \
        X(list_devices) X(list_partitions) X(ls) X(lstatns) X(lstatnslist)     \
        X(lxattrlist) X(free_xattr_list) X(readlinklist)                       \
        X(lvm_set_filter) X(lvs) X(mount_ro) X(pread) X(pvs) X(readlink)     \
        X(set_autosync) X(set_backend_settings) X(set_error_handler)           \
        X(tar_out_opts_argv) X(umount_all) X(vfs_label) X(vfs_type) X(vfs_uuid)

static struct {
#define GFS_FIELD(name) __typeof__(guestfs_##name) *name;
        GUESTFS_FUNCTIONS(GFS_FIELD)
#undef GFS_FIELD
} gfs;

/* Fills `gfs` once (v2c is single-threaded).  The library is never
 * unloaded: it registers an atexit hook that closes leftover handles. */
static int load_guestfs(struct v2c_error **err)
{
        static bool loaded;
        if (loaded)
                return 0;
        static const struct v2c_dynlib lib = {
                .soname = "libguestfs.so.0",
                .name = "libguestfs",
                .package = "libguestfs0",
                .purpose = "cannot open disk images",
        };
#define GFS_NAME(name) "guestfs_" #name,
        static const char *const names[] = { GUESTFS_FUNCTIONS(GFS_NAME) };
#undef GFS_NAME
        void *addrs[V2C_ARRAY_SIZE(names)];
        int r = v2c_dynlib_open(&lib, names, addrs, V2C_ARRAY_SIZE(names), err);
        if (r < 0)
                return r;
        size_t i = 0;
#define GFS_SET(name) gfs.name = (__typeof__(gfs.name)) addrs[i++];
        GUESTFS_FUNCTIONS(GFS_SET)
#undef GFS_SET
        loaded = true;
        return 0;
}

struct cache_slot {
        char *path;
        bool has_stat;           /* `result` and `st` hold its lstat */
        int result;              /* 0 or negative errno */
        struct v2c_stat st;
        char *link;              /* symlink target, once read */
        char *data;              /* content of a small file, once read */
        size_t len;
        /* Its capability xattr, once asked: CAP_NONE when it has none. */
        enum { CAP_UNKNOWN, CAP_NONE, CAP_SET } cap_state;
        void *cap;
        size_t cap_len;
        /* A directory's entries, once listed (the names and stats the
         * caller gets a copy of). */
        struct v2c_dirent *ents;
        size_t nents;
        bool listed;
};

/* What find0 listed under TOP (NUL-separated names): the disk is
 * read-only, so every v2c_guest_fetch can plan with it. */
struct listing {
        char *top;
        char *names;
        size_t len;
};

struct v2c_disk_session;

struct disk_impl {
        guestfs_h *h;
        /* Set for a guest of a session: the handle is the session's, and
         * closing the guest only unmounts its file systems. */
        struct v2c_disk_session *session;
        struct v2c_tarindex *prefetched;
        char **prefixes;         /* trees served by `prefetched` */
        char **partial;          /* those of them fetched with excludes */
        char **noxattr;          /* those of them fetched without xattrs */
        struct v2c_tarindex *batch; /* the files v2c_guest_fetch asked for */
        char **batch_trees;         /* trees the batch holds whole */
        struct listing *listings;   /* find0 of top-level trees, kept for later fetches */
        size_t n_listings;
        struct cache_slot *cache;
        size_t cache_used;
        size_t data_cached;      /* bytes held in cache_slot.data */
};

static void session_release_guest(struct v2c_disk_session *s);

static void strv_free_guestfs(char **v)
{
        for (size_t i = 0; v && v[i]; i++)
                free(v[i]);
        free(v);
}

static void guestfs_strvp(char ***v) { strv_free_guestfs(*v); }
#define _cleanup_gstrv_ __attribute__((cleanup(guestfs_strvp)))

/* libguestfs's error adapter: its last error becomes ours, with context. */
static int gerr(guestfs_h *h, struct v2c_error **err, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
static int gerr(guestfs_h *h, struct v2c_error **err, const char *fmt, ...)
{
        int code = gfs.last_errno(h);
        const char *msg = gfs.last_error(h);
        char *ctx = NULL;
        va_list ap;
        va_start(ap, fmt);
        if (vasprintf(&ctx, fmt, ap) < 0)
                ctx = NULL;
        va_end(ap);
        int r = v2c_error_set(err, code ? code : EIO, "%s: %s", ctx ? ctx : "libguestfs",
                              msg ? msg : "unknown libguestfs error");
        free(ctx);
        return r;
}

static uint64_t hash_str(const char *s)
{
        uint64_t h = 1469598103934665603ull;
        while (*s)
                h = (h ^ (unsigned char) *s++) * 1099511628211ull;
        return h;
}

static struct cache_slot *cache_slot(struct disk_impl *d, const char *path)
{
        size_t mask = (1u << CACHE_BITS) - 1;
        for (size_t i = hash_str(path) & mask, probes = 0; probes <= mask; i = (i + 1) & mask, probes++) {
                if (d->cache[i].path == NULL || strcmp(d->cache[i].path, path) == 0)
                        return &d->cache[i];
        }
        return NULL;
}

/* The slot of PATH, made when missing; NULL when the cache is full. */
static struct cache_slot *cache_add(struct disk_impl *d, const char *path)
{
        struct cache_slot *s = cache_slot(d, path);
        if (s == NULL || s->path)
                return s;
        /* A full cache just stops caching: correctness never depends on it. */
        if (d->cache_used * 4 >= (3u << CACHE_BITS))
                return NULL;
        s->path = strdup(path);
        if (s->path == NULL)
                return NULL;
        d->cache_used++;
        return s;
}

static void cache_put(struct disk_impl *d, const char *path, int result, const struct v2c_stat *st)
{
        struct cache_slot *s = cache_add(d, path);
        if (s == NULL || s->has_stat)
                return;
        s->has_stat = true;
        s->result = result;
        if (st)
                s->st = *st;
}

static bool under_any(char *const *prefixes, const char *path)
{
        for (size_t i = 0; prefixes && prefixes[i]; i++)
                if (v2c_path_is_under(path, prefixes[i]))
                        return true;
        return false;
}

/* Served locally: under a fetched tree, and present there unless the tree
 * was fetched with excludes (then a missing path may just be excluded, and
 * the appliance is asked). */
static bool is_prefetched(struct disk_impl *d, const char *path)
{
        if (!under_any(d->prefixes, path))
                return false;
        if (!under_any(d->partial, path))
                return true;
        struct v2c_stat st;
        return v2c_tarindex_lstat(d->prefetched, path, &st) == 0;
}

/* Fetched by v2c_guest_fetch.  The batch holds the files asked for and
 * the directories above them, not their siblings: it answers for what it
 * holds, and the appliance for the rest (listings included). */
static bool in_batch(struct disk_impl *d, const char *path)
{
        struct v2c_stat st;
        return d->batch && v2c_tarindex_lstat(d->batch, path, &st) == 0;
}

static void from_statns(const struct guestfs_statns *s, struct v2c_stat *st)
{
        memset(st, 0, sizeof *st);
        st->type = v2c_file_type_from_mode((uint32_t) s->st_mode);
        st->mode = (uint32_t) s->st_mode & 07777;
        st->uid = (uint32_t) s->st_uid;
        st->gid = (uint32_t) s->st_gid;
        st->size = (uint64_t) s->st_size;
        st->mtime = s->st_mtime_sec;
        st->ino = (uint64_t) s->st_ino;
        st->nlink = (uint32_t) s->st_nlink;
}

static int disk_lstat(struct v2c_guest *g, const char *path, struct v2c_stat *st, struct v2c_error **err)
{
        struct disk_impl *d = g->impl;
        if (is_prefetched(d, path))
                return v2c_tarindex_lstat(d->prefetched, path, st);
        if (in_batch(d, path))
                return v2c_tarindex_lstat(d->batch, path, st);
        struct cache_slot *s = cache_slot(d, path);
        if (s && s->path && s->has_stat) {
                if (s->result == 0)
                        *st = s->st;
                return s->result;
        }
        struct guestfs_statns *ns = gfs.lstatns(d->h, path);
        if (ns == NULL) {
                int e = gfs.last_errno(d->h);
                if (e == ENOENT || e == ENOTDIR) {
                        cache_put(d, path, -ENOENT, NULL);
                        return -ENOENT;
                }
                return gerr(d->h, err, "stat of `%s`", path);
        }
        from_statns(ns, st);
        gfs.free_statns(ns);
        cache_put(d, path, 0, st);
        return 0;
}

static int disk_readlink(struct v2c_guest *g, const char *path, char **target, struct v2c_error **err)
{
        struct disk_impl *d = g->impl;
        if (is_prefetched(d, path)) {
                int r = v2c_tarindex_readlink(d->prefetched, path, target);
                return r < 0 ? v2c_error_set(err, -r, "cannot read link `%s`", path) : 0;
        }
        if (in_batch(d, path)) {
                int r = v2c_tarindex_readlink(d->batch, path, target);
                return r < 0 ? v2c_error_set(err, -r, "cannot read link `%s`", path) : 0;
        }
        struct cache_slot *s = cache_slot(d, path);
        if (s && s->path && s->link) {
                *target = strdup(s->link);
                return *target ? 0 : v2c_error_set(err, ENOMEM, "out of memory");
        }
        char *t = gfs.readlink(d->h, path);
        if (t == NULL)
                return gerr(d->h, err, "reading link `%s`", path);
        if (s && s->path && s->link == NULL)
                s->link = strdup(t);
        *target = t;
        return 0;
}

static int read_small(struct disk_impl *d, const char *path, size_t size, size_t max, char **data, size_t *len,
                      struct v2c_error **err);
static int download(struct disk_impl *d, const char *path, size_t max, char **data, size_t *len,
                    struct v2c_error **err);

static int disk_read(struct v2c_guest *g, const char *path, size_t max, char **data, size_t *len,
                     struct v2c_error **err)
{
        struct disk_impl *d = g->impl;
        if (is_prefetched(d, path))
                return v2c_tarindex_read(d->prefetched, path, max, data, len, err);
        if (in_batch(d, path) && v2c_tarindex_has_content(d->batch, path))
                return v2c_tarindex_read(d->batch, path, max, data, len, err);

        struct v2c_stat st;
        int r = disk_lstat(g, path, &st, err);
        if (r < 0)
                return r;
        if (st.size > max)
                return v2c_error_set(err, EFBIG, "`%s` is larger than %zu bytes", path, max);
        struct cache_slot *slot = cache_slot(d, path);
        if (slot && slot->path && slot->data) {
                char *copy = malloc(slot->len + 1);
                if (copy == NULL)
                        return v2c_error_set(err, ENOMEM, "out of memory");
                memcpy(copy, slot->data, slot->len);
                copy[slot->len] = '\0';
                *data = copy;
                *len = slot->len;
                return 0;
        }
        if (g->defer_reads)
                return v2c_guest_defer(g, path, err);
        r = st.size <= READ_FILE_MAX ? read_small(d, path, (size_t) st.size, max, data, len, err)
                                      : download(d, path, max, data, len, err);
        if (r == 0 && slot && slot->path && *len <= DATA_CACHE_FILE_MAX && d->data_cached + *len <= DATA_CACHE_TOTAL_MAX) {
                slot->data = malloc(*len + 1);
                if (slot->data) {
                        memcpy(slot->data, *data, *len + 1);
                        slot->len = *len;
                        d->data_cached += *len;
                }
        }
        return r;
}

/* PATH's content, at most MAX bytes (NULL with the handle's error, or
 * errno EFBIG when longer), in guestfs_pread calls: one for a file of
 * HINT bytes, since a read shorter than asked for is the end. */
static char *gread(guestfs_h *h, const char *path, size_t hint, size_t max, size_t *len)
{
        size_t n = 0, cap = 0;
        char *buf = NULL;
        for (;;) {
                size_t want = hint + 1 > n ? hint + 1 - n : 65536;
                if (want > READ_FILE_MAX)
                        want = READ_FILE_MAX;
                size_t got = 0;
                _cleanup_free_ char *c = gfs.pread(h, path, (int) want, (int64_t) n, &got);
                if (c == NULL) {
                        free(buf);
                        return NULL;
                }
                if (got > want || n + got > max) {
                        free(buf);
                        errno = EFBIG;
                        return NULL;
                }
                if (n + got + 1 > cap) {
                        size_t ncap = n + got + 1 > 2 * cap ? n + got + 1 : 2 * cap;
                        char *nb = realloc(buf, ncap);
                        if (nb == NULL) {
                                free(buf);
                                errno = ENOMEM;
                                return NULL;
                        }
                        buf = nb;
                        cap = ncap;
                }
                memcpy(buf + n, c, got);
                n += got;
                buf[n] = '\0';
                if (got < want)
                        break;
        }
        *len = n;
        return buf;
}

static int read_small(struct disk_impl *d, const char *path, size_t size, size_t max, char **data, size_t *len,
                      struct v2c_error **err)
{
        errno = 0;
        char *c = gread(d->h, path, size, max, len);
        if (c == NULL && errno == EFBIG)
                return v2c_error_set(err, EFBIG, "`%s` is larger than %zu bytes", path, max);
        if (c == NULL && errno == ENOMEM)
                return v2c_error_set(err, ENOMEM, "out of memory");
        if (c == NULL)
                return gerr(d->h, err, "reading `%s`", path);
        *data = c;
        return 0;
}

/* Downloads PATH into an unlinked temporary file; *fd is new. */
static int download_fd(struct disk_impl *d, const char *path, int *fd, struct v2c_error **err)
{
        const char *tmp = getenv("TMPDIR");
        char templ[4096];
        snprintf(templ, sizeof templ, "%s/v2c-dl-XXXXXX", tmp && *tmp ? tmp : "/var/tmp");
        int f = mkostemp(templ, O_CLOEXEC);
        if (f < 0)
                return v2c_error_set(err, errno, "creating a temporary file: %m");
        int r = gfs.download(d->h, path, templ);
        unlink(templ);
        if (r < 0) {
                close(f);
                return gerr(d->h, err, "downloading `%s`", path);
        }
        *fd = f;
        return 0;
}

/* Large files go through a temporary file (guestfs_read_file is limited
 * by the protocol's message size). */
static int download(struct disk_impl *d, const char *path, size_t max, char **data, size_t *len,
                    struct v2c_error **err)
{
        _cleanup_close_ int fd = -1;
        int r = download_fd(d, path, &fd, err);
        if (r < 0)
                return r;
        struct stat hs;
        if (fstat(fd, &hs) < 0 || (uint64_t) hs.st_size > max)
                return v2c_error_set(err, EFBIG, "`%s` is larger than %zu bytes", path, max);
        size_t n = (size_t) hs.st_size, got = 0;
        _cleanup_free_ char *buf = malloc(n + 1);
        if (buf == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        while (got < n) {
                ssize_t k = pread(fd, buf + got, n - got, (off_t) got);
                if (k <= 0)
                        return v2c_error_set(err, k < 0 ? errno : EIO, "reading the download of `%s`", path);
                got += (size_t) k;
        }
        buf[n] = '\0';
        *data = TAKE_PTR(buf);
        *len = n;
        return 0;
}

static int disk_open(struct v2c_guest *g, const char *path, int *fd, uint64_t *offset, uint64_t *len,
                     struct v2c_error **err)
{
        struct disk_impl *d = g->impl;
        if (is_prefetched(d, path))
                return v2c_tarindex_open(d->prefetched, path, fd, offset, len, err);
        if (in_batch(d, path) && v2c_tarindex_has_content(d->batch, path))
                return v2c_tarindex_open(d->batch, path, fd, offset, len, err);
        if (g->defer_reads)
                return v2c_guest_defer(g, path, err);
        int f = -1;
        int r = download_fd(d, path, &f, err);
        if (r < 0)
                return r;
        struct stat hs;
        if (fstat(f, &hs) < 0) {
                r = v2c_error_set(err, errno, "fstat: %m");
                close(f);
                return r;
        }
        *fd = f;
        *offset = 0;
        *len = (uint64_t) hs.st_size;
        return 0;
}

static int cmp_dirent(const void *a, const void *b)
{
        return strcmp(((const struct v2c_dirent *) a)->name, ((const struct v2c_dirent *) b)->name);
}

static int copy_dirents(const struct v2c_dirent *v, size_t cnt, struct v2c_dirent **out, size_t *n,
                        struct v2c_error **err)
{
        struct v2c_dirent *c = calloc(cnt ? cnt : 1, sizeof *c);
        if (c == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        for (size_t i = 0; i < cnt; i++) {
                c[i].st = v[i].st;
                c[i].name = strdup(v[i].name);
                if (c[i].name == NULL) {
                        v2c_dirents_free(c, i);
                        return v2c_error_set(err, ENOMEM, "out of memory");
                }
        }
        *out = c;
        *n = cnt;
        return 0;
}

static int list_remote(struct disk_impl *d, const char *path, struct v2c_dirent **out, size_t *n,
                       struct v2c_error **err);

static int disk_list(struct v2c_guest *g, const char *path, struct v2c_dirent **out, size_t *n,
                     struct v2c_error **err)
{
        struct disk_impl *d = g->impl;
        if (is_prefetched(d, path))
                return v2c_tarindex_list(d->prefetched, path, out, n, err);
        if (under_any(d->batch_trees, path) && in_batch(d, path))
                return v2c_tarindex_list(d->batch, path, out, n, err);
        /* Listed again by several services' analyses (a conf.d). */
        struct cache_slot *slot = cache_add(d, path);
        if (slot && slot->listed)
                return copy_dirents(slot->ents, slot->nents, out, n, err);
        int r = list_remote(d, path, out, n, err);
        if (r == 0 && slot && *n <= LIST_CACHE_MAX && copy_dirents(*out, *n, &slot->ents, &slot->nents, NULL) == 0)
                slot->listed = true;
        return r;
}

static int list_remote(struct disk_impl *d, const char *path, struct v2c_dirent **out, size_t *n,
                       struct v2c_error **err)
{
        _cleanup_gstrv_ char **names = gfs.ls(d->h, path);
        if (names == NULL)
                return gerr(d->h, err, "listing `%s`", path);
        size_t cnt = 0;
        while (names[cnt])
                cnt++;
        struct v2c_dirent *v = calloc(cnt ? cnt : 1, sizeof *v);
        if (v == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        if (cnt == 0) {
                *out = v;
                *n = 0;
                return 0;
        }
        /* One round trip for all the stats of the directory. */
        struct guestfs_statns_list *sl = gfs.lstatnslist(d->h, path, names);
        if (sl == NULL || sl->len != cnt) {
                if (sl)
                        gfs.free_statns_list(sl);
                free(v);
                return gerr(d->h, err, "stat of the entries of `%s`", path);
        }
        size_t w = 0;
        for (size_t i = 0; i < cnt; i++) {
                if (sl->val[i].st_ino == -1) /* vanished meanwhile */
                        continue;
                v[w].name = strdup(names[i]);
                if (v[w].name == NULL) {
                        gfs.free_statns_list(sl);
                        v2c_dirents_free(v, w);
                        return v2c_error_set(err, ENOMEM, "out of memory");
                }
                from_statns(&sl->val[i], &v[w].st);
                _cleanup_free_ char *child = NULL;
                if (asprintf(&child, "%s/%s", strcmp(path, "/") == 0 ? "" : path, names[i]) >= 0)
                        cache_put(d, child, 0, &v[w].st);
                w++;
        }
        gfs.free_statns_list(sl);
        qsort(v, w, sizeof *v, cmp_dirent);
        *out = v;
        *n = w;
        return 0;
}

static int disk_capability(struct v2c_guest *g, const char *path, void **value, size_t *len,
                           struct v2c_error **err)
{
        struct disk_impl *d = g->impl;
        if (is_prefetched(d, path) && !under_any(d->noxattr, path))
                return v2c_tarindex_capability(d->prefetched, path, value, len, err);
        if (in_batch(d, path))
                return v2c_tarindex_capability(d->batch, path, value, len, err);
        /* Asked again for the executables several services run. */
        struct cache_slot *s = cache_add(d, path);
        if (s && s->cap_state != CAP_UNKNOWN) {
                if (s->cap_state == CAP_NONE)
                        return 0;
                *value = malloc(s->cap_len);
                if (*value == NULL)
                        return v2c_error_set(err, ENOMEM, "out of memory");
                memcpy(*value, s->cap, s->cap_len);
                *len = s->cap_len;
                return 0;
        }
        size_t n = 0;
        char *v = gfs.lgetxattr(d->h, path, V2C_CAPABILITY_XATTR, &n);
        if (v == NULL) {
                int e = gfs.last_errno(d->h);
                if (e != ENODATA && e != ENOTSUP && e != 0)
                        return gerr(d->h, err, "reading the capabilities of `%s`", path);
                if (s)
                        s->cap_state = CAP_NONE;
                return 0;
        }
        if (n == 0 || n > V2C_CAPABILITY_MAX) {
                free(v);
                if (s)
                        s->cap_state = CAP_NONE;
                return 0;
        }
        if (s && (s->cap = malloc(n)) != NULL) {
                memcpy(s->cap, v, n);
                s->cap_len = n;
                s->cap_state = CAP_SET;
        }
        *value = v;
        *len = n;
        return 0;
}

/* The lstat, link target and capability of PATHS (canonical, sorted),
 * asked for a directory at a time: three calls for the executables of a
 * dozen services in /usr/sbin instead of three each.  Best effort: a call
 * that fails leaves its paths to be asked one by one. */
static void hint_dir(struct disk_impl *d, const char *dir, char **names, size_t cnt)
{
        struct guestfs_statns_list *sl = gfs.lstatnslist(d->h, dir, names);
        if (sl == NULL || sl->len != cnt) {
                if (sl)
                        gfs.free_statns_list(sl);
                return;
        }
        _cleanup_free_ char **regs = calloc(cnt + 1, sizeof *regs);
        _cleanup_free_ char **links = calloc(cnt + 1, sizeof *links);
        size_t nr = 0, nl = 0;
        for (size_t i = 0; i < cnt; i++) {
                _cleanup_free_ char *child = NULL;
                if (asprintf(&child, "%s/%s", strcmp(dir, "/") == 0 ? "" : dir, names[i]) < 0)
                        continue;
                if (sl->val[i].st_ino == -1) {  /* lstat failed: ENOENT, as disk_lstat caches it */
                        cache_put(d, child, -ENOENT, NULL);
                        continue;
                }
                struct v2c_stat st;
                from_statns(&sl->val[i], &st);
                cache_put(d, child, 0, &st);
                if (st.type == V2C_FT_REG && regs)
                        regs[nr++] = names[i];
                else if (st.type == V2C_FT_LNK && links)
                        links[nl++] = names[i];
        }
        gfs.free_statns_list(sl);
        if (nl) {
                _cleanup_gstrv_ char **t = gfs.readlinklist(d->h, dir, links);
                for (size_t i = 0; t && i < nl && t[i]; i++) {
                        _cleanup_free_ char *child = NULL;
                        if (t[i][0] == '\0' || asprintf(&child, "%s/%s", strcmp(dir, "/") == 0 ? "" : dir, links[i]) < 0)
                                continue;   /* "": readlink failed */
                        struct cache_slot *c = cache_add(d, child);
                        if (c && c->link == NULL)
                                c->link = strdup(t[i]);
                }
        }
        if (nr == 0)
                return;
        /* For each file: an entry named "" whose value is the count of
         * the entries that follow, its xattrs. */
        struct guestfs_xattr_list *xl = gfs.lxattrlist(d->h, dir, regs);
        if (xl == NULL)
                return;
        size_t at = 0;
        for (size_t f = 0; f < nr && at < xl->len; f++) {
                const struct guestfs_xattr *head = &xl->val[at++];
                char num[16];
                if (head->attrname[0] != '\0' || head->attrval_len == 0 || head->attrval_len >= sizeof num)
                        break;  /* not the layout documented: trust none of it */
                memcpy(num, head->attrval, head->attrval_len);
                num[head->attrval_len] = '\0';
                char *end;
                unsigned long k = strtoul(num, &end, 10);
                if (*end || k > xl->len - at)
                        break;
                _cleanup_free_ char *child = NULL;
                if (asprintf(&child, "%s/%s", strcmp(dir, "/") == 0 ? "" : dir, regs[f]) < 0)
                        break;
                struct cache_slot *c = cache_add(d, child);
                const struct guestfs_xattr *cap = NULL;
                for (unsigned long j = 0; j < k; j++)
                        if (strcmp(xl->val[at + j].attrname, V2C_CAPABILITY_XATTR) == 0)
                                cap = &xl->val[at + j];
                at += k;
                if (c == NULL || c->cap_state != CAP_UNKNOWN)
                        continue;
                /* As disk_capability keeps it: empty or oversized is none. */
                if (cap == NULL || cap->attrval_len == 0 || cap->attrval_len > V2C_CAPABILITY_MAX)
                        c->cap_state = CAP_NONE;
                else if ((c->cap = malloc(cap->attrval_len)) != NULL) {
                        memcpy(c->cap, cap->attrval, cap->attrval_len);
                        c->cap_len = cap->attrval_len;
                        c->cap_state = CAP_SET;
                }
        }
        gfs.free_xattr_list(xl);
}

static void disk_hint(struct v2c_guest *g, char *const *paths, size_t n)
{
        struct disk_impl *d = g->impl;
        _cleanup_free_ char **names = calloc(n + 1, sizeof *names);
        if (names == NULL)
                return;
        for (size_t i = 0; i < n;) {
                _cleanup_free_ char *dir = v2c_path_dirname(paths[i]);
                if (dir == NULL)
                        return;
                size_t cnt = 0, j = i;
                for (; j < n; j++) {
                        _cleanup_free_ char *dj = v2c_path_dirname(paths[j]);
                        if (dj == NULL || strcmp(dj, dir) != 0)
                                break;
                        struct cache_slot *c = cache_slot(d, paths[j]);
                        if (is_prefetched(d, paths[j]) || in_batch(d, paths[j]) || (c && c->path && c->has_stat))
                                continue;
                        names[cnt++] = (char *) v2c_path_basename(paths[j]);
                }
                names[cnt] = NULL;
                if (cnt > 1)    /* one name: the call it would have been */
                        hint_dir(d, dir, names, cnt);
                i = j;
        }
}

/* Trees that are small on every real system: no need to measure them first. */
static bool always_small(const char *dir)
{
        static const char *const small[] = { "/etc", "/lib/systemd/system", "/usr/lib/systemd/system",
                                             "/usr/local/lib/systemd/system", "/var/spool/cron", "/lib/apk/db",
                                             "/var/lib/dpkg" };
        for (size_t i = 0; i < V2C_ARRAY_SIZE(small); i++)
                if (strcmp(dir, small[i]) == 0)
                        return true;
        return false;
}

/* The excludes travel in one protocol message (4 MB at most). */
#define EXCLUDES_MAX (3u << 20)
/* Largest find0 listing kept for the next fetch (half a million names). */
#define LISTING_CACHE_MAX (32u << 20)

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *) a, *(char *const *) b);
}

static bool sorted_has(char *const *v, size_t n, const char *s)
{
        return n && bsearch(&s, v, n, sizeof *v, cmp_str) != NULL;
}

static bool plain_name(const char *name);
static int fetch_root(struct disk_impl *d, struct v2c_tarindex *ti, char **excludes, bool xattrs, const char *what,
                      struct v2c_error **err);

/* One tree in one tar-out of its own. */
static int prefetch_one(struct disk_impl *d, const struct v2c_prefetch_tree *t, struct v2c_error **err)
{
        const char *tmp = getenv("TMPDIR");
        char templ[4096];
        snprintf(templ, sizeof templ, "%s/v2c-tar-XXXXXX", tmp && *tmp ? tmp : "/var/tmp");
        _cleanup_close_ int fd = mkostemp(templ, O_CLOEXEC);
        if (fd < 0)
                return v2c_error_set(err, errno, "creating a temporary file: %m");
        /* xattrs: for file capabilities (the appliance's GNU tar stores
         * them all as pax records; the index keeps one). */
        struct guestfs_tar_out_opts_argv opts = {
                .bitmask = GUESTFS_TAR_OUT_OPTS_NUMERICOWNER_BITMASK | GUESTFS_TAR_OUT_OPTS_XATTRS_BITMASK,
                .numericowner = 1,
                .xattrs = !t->no_xattrs,
        };
        if (t->excludes && t->excludes[0]) {
                opts.bitmask |= GUESTFS_TAR_OUT_OPTS_EXCLUDES_BITMASK;
                opts.excludes = (char *const *) t->excludes;
        }
        int r = gfs.tar_out_opts_argv(d->h, t->dir, templ, &opts);
        unlink(templ);
        if (r < 0)
                return gerr(d->h, err, "fetching `%s`", t->dir);
        size_t skipped = 0;
        r = v2c_tarindex_add(d->prefetched, fd, t->dir, &skipped, err);
        return r < 0 ? v2c_error_prefix(err, r, "fetching `%s`", t->dir) : 0;
}

/* The excludes of one tar-out of "/" that brings exactly TREES: every
 * child of "/" and of the directories on the way to them that is neither
 * on the way nor a tree, and each tree's own patterns, scoped to it (GNU
 * tar's exclusion wildcards match "/": ".TREE/PAT" and ".TREE/STAR/PAT"
 * match PAT in any directory of TREE, as a tar-out of TREE does).  *ok
 * false when that cannot be said exactly: a name with pattern bytes, or
 * more than one message holds. */
static int plan_prefetch(struct disk_impl *d, const struct v2c_prefetch_tree *t, size_t n, char ***excludes,
                         bool *ok, struct v2c_error **err)
{
        *ok = false;
        _cleanup_strv_ char **way = NULL;
        int r = v2c_strv_push(&way, "/");
        size_t bytes = 0;
        for (size_t i = 0; i < n && r == 0; i++) {
                _cleanup_free_ char *up = v2c_path_dirname(t[i].dir);
                while (up && r == 0) {
                        r = v2c_strv_push(&way, up);
                        if (strcmp(up, "/") == 0)
                                break;
                        char *next = v2c_path_dirname(up);
                        free(up);
                        up = next;
                }
                if (up == NULL)
                        r = -ENOMEM;
                for (const char *const *x = t[i].excludes; x && *x && r == 0; x++) {
                        /* The tree's own path goes into a pattern. */
                        for (const char *c = t[i].dir; *c; c++)
                                if (*c == '*' || *c == '?' || *c == '[' || *c == '\\' || (unsigned char) *c < 0x20)
                                        return 0;
                        char *a = NULL, *b = NULL;
                        if (asprintf(&a, ".%s/%s", t[i].dir, *x) < 0)
                                a = NULL;
                        if (asprintf(&b, ".%s/*/%s", t[i].dir, *x) < 0)
                                b = NULL;
                        r = v2c_strv_consume(excludes, a);
                        if (r == 0)
                                r = v2c_strv_consume(excludes, b);
                        else
                                free(b);
                        bytes += 2 * (strlen(t[i].dir) + strlen(*x) + 16);
                }
        }
        if (r < 0)
                return v2c_error_set(err, ENOMEM, "out of memory");
        v2c_strv_sort_uniq(way);
        size_t nway = v2c_strv_len(way);
        for (size_t i = 0; i < nway; i++) {
                _cleanup_gstrv_ char **kids = gfs.ls(d->h, way[i]);
                if (kids == NULL)
                        return gerr(d->h, err, "listing `%s`", way[i]);
                for (size_t k = 0; kids[k]; k++) {
                        _cleanup_free_ char *path = NULL;
                        if (asprintf(&path, "%s/%s", strcmp(way[i], "/") == 0 ? "" : way[i], kids[k]) < 0)
                                return v2c_error_set(err, ENOMEM, "out of memory");
                        bool keep = sorted_has(way, nway, path);
                        for (size_t j = 0; j < n && !keep; j++)
                                keep = strcmp(t[j].dir, path) == 0;
                        if (keep)
                                continue;
                        if (!plain_name(kids[k]))
                                return 0;
                        /* tar-out archives "." of "/": members are "./PATH". */
                        char *pat = NULL;
                        if (asprintf(&pat, ".%s", path) < 0 || v2c_strv_consume(excludes, pat) < 0)
                                return v2c_error_set(err, ENOMEM, "out of memory");
                        bytes += strlen(path) + 9;      /* XDR: a length word and padding */
                }
        }
        *ok = bytes <= EXCLUDES_MAX;
        return 0;
}

static int disk_prefetch(struct v2c_guest *g, const struct v2c_prefetch_tree *trees, size_t n,
                         struct v2c_error **err)
{
        struct disk_impl *d = g->impl;
        _cleanup_free_ struct v2c_prefetch_tree *t = calloc(n ? n : 1, sizeof *t);
        if (t == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        size_t m = 0;
        for (size_t i = 0; i < n; i++) {
                if (is_prefetched(d, trees[i].dir))
                        continue;
                /* A tree too large to download whole stays remote; its
                 * files are then read one round trip at a time. */
                int64_t kib = always_small(trees[i].dir) ? 0 : gfs.du(d->h, trees[i].dir);
                if (kib < 0 || (uint64_t) kib > g->prefetch_max_kib) {
                        v2c_debug("not prefetching %s (%lld KiB)", trees[i].dir, (long long) kib);
                        continue;
                }
                t[m++] = trees[i];
        }
        if (m == 0)
                return v2c_tarindex_seal(d->prefetched, err);
        /* Each tar-out is a process in the appliance and a transfer, a
         * tenth of a second or more under TCG: the trees come in one, or
         * two when some go without xattrs. */
        int r = 0;
        for (int pass = 0; pass < 2 && r == 0; pass++) {
                bool no_xattrs = pass == 1;
                _cleanup_free_ struct v2c_prefetch_tree *g1 = calloc(m, sizeof *g1);
                if (g1 == NULL)
                        return v2c_error_set(err, ENOMEM, "out of memory");
                size_t k = 0;
                for (size_t i = 0; i < m; i++)
                        if (t[i].no_xattrs == no_xattrs)
                                g1[k++] = t[i];
                if (k == 0)
                        continue;
                bool one = false;
                if (k > 1) {
                        _cleanup_strv_ char **excludes = NULL;
                        r = plan_prefetch(d, g1, k, &excludes, &one, err);
                        if (r == 0 && one) {
                                v2c_progress_tick("fetching %zu trees from the disk image", k);
                                r = fetch_root(d, d->prefetched, excludes, !no_xattrs,
                                               "one tar-out of its trees", err);
                        }
                }
                for (size_t i = 0; i < k && r == 0; i++) {
                        if (!one) {
                                v2c_progress_tick("fetching %s from the disk image (%zu of %zu)", g1[i].dir, i + 1, k);
                                r = prefetch_one(d, &g1[i], err);
                        }
                        if (r == 0)
                                r = v2c_strv_push(&d->prefixes, g1[i].dir) < 0 ? -ENOMEM : 0;
                        if (r == 0 && g1[i].excludes && g1[i].excludes[0])
                                r = v2c_strv_push(&d->partial, g1[i].dir) < 0 ? -ENOMEM : 0;
                        if (r == 0 && no_xattrs)
                                r = v2c_strv_push(&d->noxattr, g1[i].dir) < 0 ? -ENOMEM : 0;
                        if (r == -ENOMEM)
                                return v2c_error_set(err, ENOMEM, "out of memory");
                }
        }
        return r < 0 ? r : v2c_tarindex_seal(d->prefetched, err);
}

/* ---- v2c_guest_fetch: exactly the files the images hold ----
 *
 * Every transfer of a file out of the appliance costs a fixed 0.3-0.7 s
 * under TCG (a plain call costs a few ms), so the files come out in one
 * tar-out of "/" whose excludes leave out everything else: the siblings of
 * the directories on the way to the files asked for.  Those siblings are
 * named by one find0 per top-level tree on the way (one transfer each,
 * read as a stream) rather than a listing per directory. */

struct fetch_plan {
        char *const *files;
        size_t n;
        char *const *trees;
        size_t nt;
        char **dirs;         /* the directories leading to them, sorted */
        size_t nd;
        char **excludes;
        size_t bytes;
};

static bool in_tree(const struct fetch_plan *p, const char *path)
{
        for (size_t i = 0; i < p->nt; i++)
                if (v2c_path_is_under(path, p->trees[i]))
                        return true;
        return false;
}

/* The tar-out goes through DIR and looks at each of its children. */
static bool descended(const struct fetch_plan *p, const char *dir)
{
        return (strcmp(dir, "/") == 0 || sorted_has(p->dirs, p->nd, dir) || sorted_has(p->files, p->n, dir)) &&
               !in_tree(p, dir);
}

/* tar --exclude patterns are patterns (*?[ and backslashes), and GNU tar
 * unquotes backslashes and trims trailing blanks when it reads them: a name
 * with such bytes cannot be excluded exactly, and comes along unread. */
static bool plain_name(const char *name)
{
        size_t n = strlen(name);
        if (n == 0 || name[n - 1] == ' ' || name[n - 1] == '\t')
                return false;
        for (const unsigned char *c = (const unsigned char *) name; *c; c++)
                if (*c < 0x20 || *c == 0x7f || *c == '*' || *c == '?' || *c == '[' || *c == '\\')
                        return false;
        return true;
}

/* PATH is a child of a directory the tar-out goes through. */
static int plan_child(struct fetch_plan *p, const char *path, struct v2c_error **err)
{
        if (sorted_has(p->files, p->n, path) || sorted_has(p->dirs, p->nd, path) ||
            sorted_has(p->trees, p->nt, path) || !plain_name(v2c_path_basename(path)))
                return 0;
        /* tar-out archives "." of "/": members are named "./PATH". */
        char *pat = NULL;
        if (asprintf(&pat, ".%s", path) < 0 || v2c_strv_consume(&p->excludes, pat) < 0)
                return v2c_error_set(err, ENOMEM, "out of memory");
        p->bytes += strlen(path) + 9;   /* XDR: a length word and padding */
        return 0;
}

/* The listing of TOP, from the cache or from one find0 (then cached when
 * no larger than LISTING_CACHE_MAX): *f reads it, or stays NULL when TOP
 * holds nothing. */
static int listing_open(struct disk_impl *d, const char *top, FILE **f, struct v2c_error **err)
{
        *f = NULL;
        for (size_t i = 0; i < d->n_listings; i++)
                if (strcmp(d->listings[i].top, top) == 0) {
                        if (d->listings[i].len == 0)
                                return 0;
                        *f = fmemopen(d->listings[i].names, d->listings[i].len, "r");
                        return *f ? 0 : v2c_error_set(err, errno, "fmemopen: %m");
                }
        const char *tmp = getenv("TMPDIR");
        char templ[4096];
        snprintf(templ, sizeof templ, "%s/v2c-find-XXXXXX", tmp && *tmp ? tmp : "/var/tmp");
        _cleanup_close_ int fd = mkostemp(templ, O_CLOEXEC);
        if (fd < 0)
                return v2c_error_set(err, errno, "creating a temporary file: %m");
        int r = gfs.find0(d->h, top, templ);
        unlink(templ);
        if (r < 0)
                return gerr(d->h, err, "listing `%s`", top);
        struct stat st;
        if (fstat(fd, &st) < 0)
                return v2c_error_set(err, errno, "fstat: %m");
        if ((uint64_t) st.st_size > LISTING_CACHE_MAX) {
                /* Too large to keep: read from the file, listed again
                 * by the next fetch. */
                *f = fdopen(fd, "r");
                if (*f == NULL)
                        return v2c_error_set(err, errno, "fdopen: %m");
                fd = -1;
                return 0;
        }
        struct listing l = { .top = strdup(top), .names = malloc((size_t) st.st_size + 1), .len = (size_t) st.st_size };
        struct listing *nl = l.top && l.names ? realloc(d->listings, (d->n_listings + 1) * sizeof *nl) : NULL;
        if (nl == NULL) {
                free(l.top);
                free(l.names);
                return v2c_error_set(err, ENOMEM, "out of memory");
        }
        d->listings = nl;
        for (size_t got = 0; got < l.len;) {
                ssize_t k = pread(fd, l.names + got, l.len - got, (off_t) got);
                if (k <= 0) {
                        free(l.top);
                        free(l.names);
                        return v2c_error_set(err, k < 0 ? errno : EIO, "reading the listing of `%s`", top);
                }
                got += (size_t) k;
        }
        d->listings[d->n_listings++] = l;
        if (l.len == 0)
                return 0;
        *f = fmemopen(l.names, l.len, "r");
        return *f ? 0 : v2c_error_set(err, errno, "fmemopen: %m");
}

/* The children of the directories under TOP the tar-out goes through. */
static int plan_tree(struct disk_impl *d, struct fetch_plan *p, const char *top, struct v2c_error **err)
{
        FILE *f = NULL;
        int r = listing_open(d, top, &f, err);
        if (r < 0 || f == NULL)
                return r;
        char *name = NULL;
        size_t cap = 0;
        ssize_t len;
        /* find0 names are relative to TOP, each with a leading slash. */
        while (r == 0 && (len = getdelim(&name, &cap, '\0', f)) > 0) {
                if (strnlen(name, (size_t) len) + strlen(top) >= V2C_PATH_MAX)
                        continue;
                _cleanup_free_ char *path = NULL, *parent = NULL;
                if (v2c_path_normalize(top, name + strspn(name, "/"), &path) < 0 ||
                    (parent = v2c_path_dirname(path)) == NULL) {
                        r = v2c_error_set(err, ENOMEM, "out of memory");
                        break;
                }
                if (strcmp(path, top) != 0 && v2c_path_is_under(path, top) && descended(p, parent))
                        r = plan_child(p, path, err);
        }
        free(name);
        fclose(f);
        return r;
}

struct tar_reader {
        struct v2c_tarindex *ti;
        int fd;
        size_t skipped;
        struct v2c_error *err;
        int r;
};

/* Indexes the tar-out as it arrives; after an error it reads on to the
 * end, so that libguestfs never blocks writing into the pipe. */
static void *tar_reader_run(void *arg)
{
        struct tar_reader *t = arg;
        t->r = v2c_tarindex_add(t->ti, t->fd, "/", &t->skipped, &t->err);
        static __thread char sink[1 << 16];
        while (read(t->fd, sink, sizeof sink) > 0)
                ;
        return NULL;
}

/* One tar-out of "/" with EXCLUDES, streamed through a pipe into the index
 * TI: only the files' content lands on disk (its spill file).  WHAT names
 * the transfer in errors. */
static int fetch_root(struct disk_impl *d, struct v2c_tarindex *ti, char **excludes, bool xattrs, const char *what,
                      struct v2c_error **err)
{
        int p[2];
        if (pipe2(p, O_CLOEXEC) < 0)
                return v2c_error_set(err, errno, "pipe: %m");
        struct tar_reader t = { .ti = ti, .fd = p[0] };
        pthread_t th;
        int e = pthread_create(&th, NULL, tar_reader_run, &t);
        if (e) {
                close(p[0]);
                close(p[1]);
                return v2c_error_set(err, e, "starting a thread: %s", strerror(e));
        }
        char dev[64];
        snprintf(dev, sizeof dev, "/dev/fd/%d", p[1]);
        struct guestfs_tar_out_opts_argv opts = {
                .bitmask = GUESTFS_TAR_OUT_OPTS_NUMERICOWNER_BITMASK | GUESTFS_TAR_OUT_OPTS_XATTRS_BITMASK |
                           (excludes && excludes[0] ? GUESTFS_TAR_OUT_OPTS_EXCLUDES_BITMASK : 0),
                .numericowner = 1,
                .xattrs = xattrs,
                .excludes = excludes,
        };
        int r = gfs.tar_out_opts_argv(d->h, "/", dev, &opts);
        close(p[1]);
        pthread_join(th, NULL);
        close(p[0]);
        if (r < 0) {
                v2c_error_free(t.err);
                return gerr(d->h, err, "%s", what);
        }
        if (t.r < 0) {
                if (err && *err == NULL)
                        *err = t.err;
                else
                        v2c_error_free(t.err);
                return v2c_error_prefix(err, t.r, "%s", what);
        }
        v2c_error_free(t.err);
        if (t.skipped)
                v2c_debug("%zu members of the tar-out skipped", t.skipped);
        return 0;
}

static void fetch_plan_release(struct fetch_plan *p)
{
        v2c_strv_free(p->dirs);
        v2c_strv_free(p->excludes);
}

static int disk_fetch(struct v2c_guest *g, char *const *files, size_t n, char *const *trees, size_t nt,
                      struct v2c_error **err)
{
        struct disk_impl *d = g->impl;
        /* What the prefetched trees or an earlier batch hold is here
         * already. */
        _cleanup_free_ char **fv = calloc(n + 1, sizeof *fv), **tv = calloc(nt + 1, sizeof *tv);
        if (fv == NULL || tv == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        struct fetch_plan p = { .files = fv, .trees = tv };
        for (size_t i = 0; i < n; i++)
                if (strcmp(files[i], "/") != 0 && !under_any(d->prefixes, files[i]) &&
                    !(d->batch && v2c_tarindex_lstat(d->batch, files[i], &(struct v2c_stat) { 0 }) == 0))
                        fv[p.n++] = files[i];
        for (size_t i = 0; i < nt; i++)
                if (strcmp(trees[i], "/") != 0 && !under_any(d->prefixes, trees[i]))
                        tv[p.nt++] = trees[i];
        if (p.n + p.nt == 0)
                return 0;
        int r = 0;
        for (size_t k = 0; k < 2 && r == 0; k++)
                for (size_t i = 0; i < (k ? p.nt : p.n) && r == 0; i++) {
                        _cleanup_free_ char *up = v2c_path_dirname(k ? tv[i] : fv[i]);
                        while (up && strcmp(up, "/") != 0 && r == 0) {
                                r = v2c_strv_push(&p.dirs, up);
                                char *next = v2c_path_dirname(up);
                                free(up);
                                up = next;
                        }
                        if (up == NULL)
                                r = -ENOMEM;
                }
        if (r < 0) {
                fetch_plan_release(&p);
                return v2c_error_set(err, ENOMEM, "out of memory");
        }
        v2c_strv_sort_uniq(p.dirs);
        p.nd = v2c_strv_len(p.dirs);

        /* The top level: one listing and one stat call; then the trees the
         * files are in, one find0 each. */
        _cleanup_gstrv_ char **top = gfs.ls(d->h, "/");
        if (top == NULL) {
                fetch_plan_release(&p);
                return gerr(d->h, err, "listing `/`");
        }
        struct guestfs_statns_list *sl = gfs.lstatnslist(d->h, "/", top);
        for (size_t i = 0; top[i] && r == 0; i++) {
                _cleanup_free_ char *path = NULL;
                if (asprintf(&path, "/%s", top[i]) < 0) {
                        r = v2c_error_set(err, ENOMEM, "out of memory");
                        break;
                }
                r = plan_child(&p, path, err);
                if (r == 0 && sl && i < sl->len && S_ISDIR(sl->val[i].st_mode) && sl->val[i].st_ino != -1 &&
                    descended(&p, path))
                        r = plan_tree(d, &p, path, err);
        }
        if (sl)
                gfs.free_statns_list(sl);
        if (r == 0 && p.bytes > EXCLUDES_MAX) {
                /* Too scattered to say in one message: read one by one. */
                v2c_debug("not fetching %zu files in bulk: %zu bytes of excludes", p.n, p.bytes);
                fetch_plan_release(&p);
                return 0;
        }
        if (r == 0) {
                v2c_debug("fetching %zu files and %zu trees (%zu excludes)", p.n, p.nt, v2c_strv_len(p.excludes));
                v2c_progress_tick("fetching %zu files%s from the disk image", p.n, p.nt ? " and trees" : "");
                if (d->batch == NULL && (d->batch = v2c_tarindex_new(err)) == NULL)
                        r = -ENOMEM;
                if (r == 0)
                        r = fetch_root(d, d->batch, p.excludes, true, "fetching the images' files", err);
                /* Sealed again after each addition (a later member of a
                 * path replaces the earlier one: the same file). */
                if (r == 0)
                        r = v2c_tarindex_seal(d->batch, err);
                /* A tree came whole (no exclude names anything in it):
                 * its listings are the batch's. */
                for (size_t i = 0; r == 0 && i < p.nt; i++) {
                        struct v2c_stat st;
                        if (v2c_tarindex_lstat(d->batch, tv[i], &st) == 0 && st.type == V2C_FT_DIR &&
                            v2c_strv_push(&d->batch_trees, tv[i]) < 0)
                                r = v2c_error_set(err, ENOMEM, "out of memory");
                }
                if (r < 0) {
                        d->batch = v2c_tarindex_free(d->batch);
                        v2c_strv_free(d->batch_trees);
                        d->batch_trees = NULL;
                }
        }
        fetch_plan_release(&p);
        return r;
}

static void disk_close(struct v2c_guest *g)
{
        struct disk_impl *d = g->impl;
        if (d == NULL)
                return;
        if (d->session)
                session_release_guest(d->session);
        else if (d->h)
                gfs.close(d->h);
        v2c_tarindex_free(d->prefetched);
        v2c_strv_free(d->prefixes);
        v2c_strv_free(d->partial);
        v2c_strv_free(d->noxattr);
        v2c_tarindex_free(d->batch);
        v2c_strv_free(d->batch_trees);
        for (size_t i = 0; i < d->n_listings; i++) {
                free(d->listings[i].top);
                free(d->listings[i].names);
        }
        free(d->listings);
        for (size_t i = 0; d->cache && i < (1u << CACHE_BITS); i++) {
                free(d->cache[i].path);
                free(d->cache[i].link);
                free(d->cache[i].data);
                free(d->cache[i].cap);
                v2c_dirents_free(d->cache[i].ents, d->cache[i].nents);
        }
        free(d->cache);
        free(d);
}

struct id_query {
        char *dir;
        const char *base;
        size_t idx;
};

static int cmp_id_query(const void *a, const void *b)
{
        return strcmp(((const struct id_query *) a)->dir, ((const struct id_query *) b)->dir);
}

/* From the appliance, never from a tar index: a tar-out links two names of
 * a file only when it carries both. */
static int disk_identify(struct v2c_guest *g, char *const *paths, size_t n, struct v2c_file_id *ids,
                         struct v2c_error **err)
{
        struct disk_impl *d = g->impl;
        struct id_query *q = calloc(n + 1, sizeof *q);
        if (q == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        int r = 0;
        size_t nq = 0;
        for (size_t i = 0; i < n; i++) {
                ids[i] = (struct v2c_file_id) { 0 };
                if (strcmp(paths[i], "/") == 0)
                        continue;
                q[nq] = (struct id_query) { v2c_path_dirname(paths[i]), v2c_path_basename(paths[i]), i };
                if (q[nq].dir == NULL) {
                        r = v2c_error_set(err, ENOMEM, "out of memory");
                        break;
                }
                nq++;
        }
        if (r == 0)
                qsort(q, nq, sizeof *q, cmp_id_query);
        /* One lstatnslist per directory. */
        for (size_t i = 0; i < nq && r == 0;) {
                size_t end = i;
                while (end < nq && strcmp(q[end].dir, q[i].dir) == 0)
                        end++;
                char **names = calloc(end - i + 1, sizeof *names);
                if (names == NULL) {
                        r = v2c_error_set(err, ENOMEM, "out of memory");
                        break;
                }
                for (size_t k = i; k < end; k++)
                        names[k - i] = (char *) q[k].base;
                struct guestfs_statns_list *sl = gfs.lstatnslist(d->h, q[i].dir, names);
                free(names);
                if (sl == NULL) {
                        r = gerr(d->h, err, "stat of the entries of `%s`", q[i].dir);
                        break;
                }
                for (size_t k = i; k < end && k - i < sl->len; k++) {
                        const struct guestfs_statns *s = &sl->val[k - i];
                        if (s->st_ino != -1)
                                ids[q[k].idx] = (struct v2c_file_id) {
                                        .dev = (uint64_t) s->st_dev, .ino = (uint64_t) s->st_ino,
                                        .nlink = (uint32_t) s->st_nlink,
                                };
                }
                gfs.free_statns_list(sl);
                i = end;
        }
        for (size_t i = 0; i < nq; i++)
                free(q[i].dir);
        free(q);
        return r;
}

static const struct v2c_guest_backend disk_backend = {
        .kind = "disk",
        .lstat = disk_lstat,
        .readlink = disk_readlink,
        .read = disk_read,
        .open = disk_open,
        .list = disk_list,
        .capability = disk_capability,
        .hint = disk_hint,
        .prefetch = disk_prefetch,
        .fetch = disk_fetch,
        .identify = disk_identify,
        .close = disk_close,
};

static bool tcg_forced(guestfs_h *h)
{
        _cleanup_gstrv_ char **s = gfs.get_backend_settings(h);
        for (size_t i = 0; s && s[i]; i++)
                if (strcmp(s[i], "force_tcg") == 0)
                        return true;
        return false;
}

static guestfs_h *new_handle(const char *const *paths, const char *const *formats, size_t n, bool force_tcg,
                             struct v2c_error **err)
{
        guestfs_h *h = gfs.create();
        if (h == NULL) {
                v2c_error_set(err, ENOMEM, "cannot create a libguestfs handle");
                return NULL;
        }
        gfs.set_error_handler(h, NULL, NULL);
        if (force_tcg) {
                /* Keep the user's other settings; "force_tcg" must be a bare
                 * word (libguestfs reads "force_tcg=" as an invalid boolean). */
                _cleanup_gstrv_ char **cur = gfs.get_backend_settings(h);
                size_t count = 0;
                while (cur && cur[count])
                        count++;
                const char **settings = calloc(count + 2, sizeof *settings);
                if (settings == NULL) {
                        v2c_error_set(err, ENOMEM, "out of memory");
                        gfs.close(h);
                        return NULL;
                }
                for (size_t i = 0; i < count; i++)
                        settings[i] = cur[i];
                settings[count] = "force_tcg";
                int r = gfs.set_backend_settings(h, (char *const *) settings);
                free(settings);
                if (r < 0) {
                        gerr(h, err, "setting force_tcg");
                        gfs.close(h);
                        return NULL;
                }
        }
        for (size_t i = 0; i < n; i++) {
                const struct guestfs_add_drive_opts_argv opts = {
                        .bitmask = GUESTFS_ADD_DRIVE_OPTS_READONLY_BITMASK | GUESTFS_ADD_DRIVE_OPTS_FORMAT_BITMASK,
                        .readonly = 1,
                        .format = formats[i],
                };
                if (gfs.add_drive_opts_argv(h, paths[i], &opts) < 0) {
                        gerr(h, err, "adding `%s`", paths[i]);
                        if (*err)
                                (*err)->kind = V2C_ERR_INPUT;
                        gfs.close(h);
                        return NULL;
                }
        }
        return h;
}

/* The devices of one guest of a session: its disks (drives first to
 * first + n of the appliance), their partitions, and (under the session's
 * LVM filter) its logical volumes.  A guest opened alone has every device:
 * a NULL scope. */
struct mount_scope {
        char *const *disks;     /* /dev/sdX of its drives, in drive order */
        size_t n;
        bool lvm;               /* the appliance holds physical volumes */
        char *const *all_devices;       /* a session's: the appliance's disks and */
        char *const *all_partitions;    /* partitions, listed once (NULL: ask) */
};

/* PART is a partition of DISK: DISK's name and digits ("/dev/sda" holds
 * "/dev/sda1", not "/dev/sdaa1"). */
static bool partition_of(const char *part, const char *disk)
{
        size_t n = strlen(disk);
        if (strncmp(part, disk, n) != 0 || part[n] == '\0')
                return false;
        return part[n + strspn(part + n, "0123456789")] == '\0';
}

/* DEV belongs to SCOPE's guest: one of its disks or their partitions;
 * anything else (a logical volume, a mapper device) only exists in the
 * appliance for this guest, through the session's LVM filter. */
static bool in_scope(const struct mount_scope *scope, const char *dev)
{
        if (scope == NULL || strncmp(dev, "/dev/sd", 7) != 0)
                return true;
        for (size_t i = 0; i < scope->n; i++)
                if (strcmp(dev, scope->disks[i]) == 0 || partition_of(dev, scope->disks[i]))
                        return true;
        return false;
}

/* Disk letters as the kernel names them: a..z, then aa..zz. */
static bool disk_index(const char *letters, size_t n, size_t *index)
{
        if (n == 1)
                *index = (size_t) (letters[0] - 'a');
        else if (n == 2)
                *index = 26 + (size_t) (letters[0] - 'a') * 26 + (size_t) (letters[1] - 'a');
        else
                return false;
        return true;
}

/* Clones share UUIDs and labels: a findfs that lands on another guest's
 * device is asked again of this guest's own devices, one at a time. */
static char *find_in_scope(guestfs_h *h, const struct mount_scope *scope, char *const *cands, bool uuid,
                           const char *want)
{
        for (size_t i = 0; cands && cands[i]; i++) {
                _cleanup_free_ char *v = uuid ? gfs.vfs_uuid(h, cands[i]) : gfs.vfs_label(h, cands[i]);
                if (v && strcmp(v, want) == 0 && in_scope(scope, cands[i]))
                        return strdup(cands[i]);
        }
        return NULL;
}

/* Maps an fstab device spec to an appliance device, or NULL.  CANDS are
 * the devices of SCOPE's guest that may hold a file system. */
static char *map_fstab_spec(guestfs_h *h, const char *spec, const struct mount_scope *scope, char *const *cands)
{
        char *dev = NULL;
        if (strncmp(spec, "UUID=", 5) == 0)
                dev = gfs.findfs_uuid(h, spec + 5);
        else if (strncmp(spec, "LABEL=", 6) == 0)
                dev = gfs.findfs_label(h, spec + 6);
        else if (strncmp(spec, "/dev/disk/by-uuid/", 18) == 0)
                dev = gfs.findfs_uuid(h, spec + 18);
        else if (strncmp(spec, "/dev/disk/by-label/", 19) == 0)
                dev = gfs.findfs_label(h, spec + 19);
        else if ((strncmp(spec, "/dev/vd", 7) == 0 || strncmp(spec, "/dev/hd", 7) == 0 ||
                  strncmp(spec, "/dev/xvd", 8) == 0 || strncmp(spec, "/dev/sd", 7) == 0)) {
                /* The appliance names every disk sdX, in the order they were added. */
                const char *rest = spec + (spec[5] == 'x' ? 8 : 7);
                size_t letters = strspn(rest, "abcdefghijklmnopqrstuvwxyz"), k;
                if (scope == NULL) {
                        if (asprintf(&dev, "/dev/sd%s", rest) < 0)
                                dev = NULL;
                } else if (disk_index(rest, letters, &k) && k < scope->n) {
                        /* The guest's own disk K, wherever the session put it. */
                        if (asprintf(&dev, "%s%s", scope->disks[k], rest + letters) < 0)
                                dev = NULL;
                }
        } else if (strncmp(spec, "/dev/", 5) == 0)
                dev = strdup(spec);
        if (dev && !in_scope(scope, dev)) {
                free(dev);
                dev = NULL;
                if (strncmp(spec, "UUID=", 5) == 0 || strncmp(spec, "/dev/disk/by-uuid/", 18) == 0)
                        dev = find_in_scope(h, scope, cands, true, spec + (spec[0] == 'U' ? 5 : 18));
                else if (strncmp(spec, "LABEL=", 6) == 0 || strncmp(spec, "/dev/disk/by-label/", 19) == 0)
                        dev = find_in_scope(h, scope, cands, false, spec + (spec[0] == 'L' ? 6 : 19));
        }
        if (dev == NULL)
                return NULL;
        /* LVM names: /dev/VG/LV and /dev/mapper/VG-LV both name one device. */
        char *canon = gfs.canonical_device_name(h, dev);
        if (canon) {
                free(dev);
                dev = canon;
        }
        /* A device that does not exist fails at mount time, with a warning. */
        return dev;
}

struct mount_entry {
        char *dev;
        char *dir;
};

static int cmp_mount(const void *a, const void *b)
{
        return strcmp(((const struct mount_entry *) a)->dir, ((const struct mount_entry *) b)->dir);
}

static bool fstab_skips(const char *type, const char *opts)
{
        static const char *const skip[] = { "swap", "proc", "sysfs", "tmpfs", "devpts", "devtmpfs", "nfs", "nfs4",
                                            "cifs", "smbfs", "none", "auto", "iso9660", "udf", "vfat", "fuse",
                                            "cgroup", "cgroup2", "securityfs", "debugfs", "efivarfs" };
        for (size_t i = 0; i < V2C_ARRAY_SIZE(skip); i++)
                if (strcmp(type, skip[i]) == 0)
                        return true;
        return strstr(opts, "bind") != NULL || strstr(opts, "noauto") != NULL;
}

/* Mounts, read-only, the file systems the guest's fstab lists below "/". */
static void mount_fstab(struct v2c_guest *g, guestfs_h *h, const char *root_dev, const struct mount_scope *scope,
                        char *const *cands)
{
        size_t len = 0;
        _cleanup_free_ char *fstab = gread(h, "/etc/fstab", 4096, 1u << 20, &len);
        if (fstab == NULL)
                return;
        struct mount_entry *m = NULL;
        size_t nm = 0;
        char *save = NULL;
        for (char *line = strtok_r(fstab, "\n", &save); line && nm < 64; line = strtok_r(NULL, "\n", &save)) {
                char spec[512], dir[512], type[64], opts[512];
                if (line[strspn(line, " \t")] == '#')
                        continue;
                opts[0] = '\0';
                if (sscanf(line, "%511s %511s %63s %511s", spec, dir, type, opts) < 3)
                        continue;
                _cleanup_free_ char *canon_dir = NULL;
                if (dir[0] != '/' || fstab_skips(type, opts) || v2c_path_normalize(NULL, dir, &canon_dir) < 0 ||
                    strcmp(canon_dir, "/") == 0)
                        continue;
                char *dev = map_fstab_spec(h, spec, scope, cands);
                if (dev == NULL) {
                        v2c_guest_add_warning(g, "cannot find the device `%s` that fstab mounts on %s", spec, dir);
                        continue;
                }
                if (strcmp(dev, root_dev) == 0) {
                        free(dev);
                        continue;
                }
                struct mount_entry *nmv = realloc(m, (nm + 1) * sizeof *m);
                char *ndir = NULL;
                if (nmv == NULL || v2c_path_normalize(NULL, dir, &ndir) < 0) {
                        free(dev);
                        if (nmv)
                                m = nmv;
                        break;
                }
                m = nmv;
                m[nm].dev = dev;
                m[nm].dir = ndir;
                nm++;
        }
        if (nm)
                qsort(m, nm, sizeof *m, cmp_mount);
        for (size_t i = 0; i < nm; i++) {
                if (gfs.mount_ro(h, m[i].dev, m[i].dir) < 0)
                        v2c_guest_add_warning(g, "cannot mount %s on %s: %s", m[i].dev, m[i].dir,
                                              gfs.last_error(h) ? gfs.last_error(h) : "unknown error");
                else
                        v2c_debug("mounted %s on %s", m[i].dev, m[i].dir);
                free(m[i].dev);
                free(m[i].dir);
        }
        free(m);
}

/* Why no root was found, for the error message.  Only on this failure
 * path is probing each device's type worth its round trips. */
static int no_root_error(guestfs_h *h, char *const *cands, struct v2c_error **err)
{
        bool encrypted = false, windows = false, other = false;
        for (size_t i = 0; cands && cands[i]; i++) {
                _cleanup_free_ char *type = gfs.vfs_type(h, cands[i]);
                if (type == NULL)
                        continue;
                if (strcmp(type, "crypto_LUKS") == 0)
                        encrypted = true;
                else if (strcmp(type, "ntfs") == 0)
                        windows = true;
                else if (*type)
                        other = true;
        }
        if (encrypted)
                return v2c_error_set_kind(err, V2C_ERR_INPUT, ENOTSUP,
                                          "the disk holds an encrypted (LUKS) volume and no readable root: "
                                          "v2c does not open encrypted disks");
        if (windows)
                return v2c_error_set_kind(err, V2C_ERR_INPUT, ENOTSUP,
                                          "this looks like a Windows guest (NTFS, no Linux root): v2c inspects Linux guests only");
        if (other)
                return v2c_error_set_kind(err, V2C_ERR_INPUT, ENOENT,
                                          "no operating system found: no file system holds /etc");
        return v2c_error_set_kind(err, V2C_ERR_INPUT, ENOENT, "no operating system found: the disk holds no file system");
}

/* Devices that may hold a file system: logical volumes, partitions, and
 * whole disks without a partition table.  Cheaper than
 * guestfs_list_filesystems, which probes every device's type. */
static char **fs_candidates(guestfs_h *h, const struct mount_scope *scope)
{
        char **out = NULL;
        /* A session lists them once: with many disks attached each listing
         * waits for udev and probes every disk, about a second under TCG. */
        _cleanup_gstrv_ char **own_parts = NULL, **own_devs = NULL;
        char *const *parts = scope ? scope->all_partitions : NULL;
        char *const *devs = scope ? scope->all_devices : NULL;
        if (devs == NULL) {
                parts = own_parts = gfs.list_partitions(h);
                devs = own_devs = gfs.list_devices(h);
        }
        for (size_t i = 0; parts && parts[i]; i++)
                if (in_scope(scope, parts[i]))
                        v2c_strv_push(&out, parts[i]);
        for (size_t i = 0; devs && devs[i]; i++) {
                if (!in_scope(scope, devs[i]))
                        continue;
                bool partitioned = false;
                for (size_t k = 0; parts && parts[k]; k++)
                        if (partition_of(parts[k], devs[i]))
                                partitioned = true;
                if (!partitioned)
                        v2c_strv_push(&out, devs[i]);
        }
        return out;
}

/* Limits what LVM sees to SCOPE's guest: clones hold the same volume
 * group (same names, same UUIDs), and a guest's fstab must reach its own
 * volumes only.  The filter names devices exactly: partitions too. */
static int scope_lvm(guestfs_h *h, const struct mount_scope *scope, char *const *cands, struct v2c_error **err)
{
        char **devs = NULL;
        int r = 0;
        for (size_t i = 0; i < scope->n && r == 0; i++)
                r = v2c_strv_push_unique(&devs, scope->disks[i]);
        for (size_t i = 0; cands && cands[i] && r == 0; i++)
                r = v2c_strv_push_unique(&devs, cands[i]);
        if (r < 0) {
                v2c_strv_free(devs);
                return v2c_error_set(err, ENOMEM, "out of memory");
        }
        r = gfs.lvm_set_filter(h, devs ? devs : (char *[]) { NULL });
        v2c_strv_free(devs);
        return r < 0 ? gerr(h, err, "limiting LVM to the guest's disks") : 0;
}

/* Finds and mounts the root file system, then the rest. */
static int mount_guest(struct v2c_guest *g, guestfs_h *h, const struct mount_scope *scope, struct v2c_error **err)
{
        static const struct guestfs_is_file_opts_argv follow_symlinks = {
                .bitmask = GUESTFS_IS_FILE_OPTS_FOLLOWSYMLINKS_BITMASK,
                .followsymlinks = 1,
        };
        _cleanup_strv_ char **cands = fs_candidates(h, scope);
        if (scope && scope->lvm) {
                int r = scope_lvm(h, scope, cands, err);
                if (r < 0)
                        return r;
        }
        /* Kept whole for fstab's UUID= and LABEL= (LVs appended below are
         * this guest's own under the filter). */
        const char *root = NULL;
        bool lvs_added = false;
        for (size_t i = 0;; i++) {
                if (cands == NULL || cands[i] == NULL) {
                        /* Logical volumes only once no partition held the
                         * root: the LVM scan is a costly round trip. */
                        if (lvs_added)
                                break;
                        lvs_added = true;
                        _cleanup_gstrv_ char **lvs = gfs.lvs(h);
                        size_t before = v2c_strv_len(cands);
                        for (size_t k = 0; lvs && lvs[k]; k++)
                                v2c_strv_push(&cands, lvs[k]);
                        if (v2c_strv_len(cands) == before)
                                break;
                        i = before;
                }
                if (gfs.mount_ro(h, cands[i], "/") < 0)
                        continue;
                if (gfs.is_dir(h, "/etc") == 1 &&
                    (gfs.is_file_opts_argv(h, "/etc/os-release", &follow_symlinks) == 1 ||
                     gfs.is_file(h, "/etc/fstab") == 1)) {
                        root = cands[i];
                        break;
                }
                gfs.umount_all(h);
        }
        if (root == NULL)
                return no_root_error(h, cands, err);
        v2c_debug("root file system on %s", root);
        mount_fstab(g, h, root, scope, cands);
        return 0;
}

/* The appliance launch's time limit.  libguestfs has none a caller can
 * set (it waits 20 minutes for the appliance), and a handle's calls are
 * serialised by its lock, so no other thread can ask it for qemu's pid
 * while guestfs_launch runs.  So a watchdog thread, at the deadline, kills
 * the processes the launch started: this process's children named qemu*
 * (the appliance, qemu-img making the overlay) or supermin* (building the
 * appliance).  guestfs_launch then fails, and the failure is reported as
 * the timeout it is.  (With the libvirt backend qemu is libvirtd's child:
 * nothing is killed and the limit does not hold.) */
struct launch_watchdog {
        pthread_mutex_t lock;
        pthread_cond_t cond;
        struct timespec deadline;
        pid_t self;
        bool done;
        bool fired;
};

/* SIGKILLs the children of WD->self whose name starts with qemu or supermin. */
static void kill_launch_children(const struct launch_watchdog *wd)
{
        _cleanup_closedir_ DIR *proc = opendir("/proc");
        struct dirent *e;
        while (proc && (e = readdir(proc)) != NULL) {
                if (!isdigit((unsigned char) e->d_name[0]))
                        continue;
                char path[300], line[512];
                snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
                _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
                ssize_t n = fd < 0 ? -1 : read(fd, line, sizeof line - 1);
                if (n <= 0)
                        continue;
                line[n] = '\0';
                /* "PID (COMM) STATE PPID ...": COMM may hold spaces and ')'. */
                char *open_paren = strchr(line, '('), *close_paren = strrchr(line, ')');
                if (open_paren == NULL || close_paren == NULL || close_paren < open_paren)
                        continue;
                char state;
                int ppid;
                if (sscanf(close_paren + 1, " %c %d", &state, &ppid) != 2 || ppid != (int) wd->self)
                        continue;
                const char *comm = open_paren + 1;
                if (strncmp(comm, "qemu", 4) == 0 || strncmp(comm, "supermin", 8) == 0) {
                        pid_t pid = (pid_t) strtol(e->d_name, NULL, 10);
                        v2c_debug("launch time limit: killing %d (%.*s)", (int) pid, (int) (close_paren - comm), comm);
                        kill(pid, SIGKILL);
                }
        }
}

static void *launch_watchdog_run(void *arg)
{
        struct launch_watchdog *wd = arg;
        pthread_mutex_lock(&wd->lock);
        struct timespec next = wd->deadline;
        while (!wd->done) {
                if (pthread_cond_timedwait(&wd->cond, &wd->lock, &next) != ETIMEDOUT || wd->done)
                        continue;
                /* Past the deadline the launch may be between two children
                 * (supermin done, qemu not yet forked): keep killing what
                 * it starts until it gives up. */
                wd->fired = true;
                kill_launch_children(wd);
                clock_gettime(CLOCK_MONOTONIC, &next);
                next.tv_nsec += 200 * 1000000L;
                if (next.tv_nsec >= 1000000000L) {
                        next.tv_sec++;
                        next.tv_nsec -= 1000000000L;
                }
        }
        pthread_mutex_unlock(&wd->lock);
        return NULL;
}

/* guestfs_launch, killed at DEADLINE (CLOCK_MONOTONIC): *timed_out says so
 * (then the handle is unusable, whatever launch returned). */
static int launch_bounded(guestfs_h *h, const struct timespec *deadline, bool *timed_out)
{
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec > deadline->tv_sec || (now.tv_sec == deadline->tv_sec && now.tv_nsec >= deadline->tv_nsec)) {
                *timed_out = true;
                return -1;
        }
        struct launch_watchdog wd = { .deadline = *deadline, .self = getpid() };
        pthread_condattr_t attr;
        pthread_t thread;
        bool watched = false;
        if (pthread_condattr_init(&attr) == 0) {
                if (pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) == 0 && pthread_mutex_init(&wd.lock, NULL) == 0) {
                        if (pthread_cond_init(&wd.cond, &attr) == 0) {
                                watched = pthread_create(&thread, NULL, launch_watchdog_run, &wd) == 0;
                                if (!watched)
                                        pthread_cond_destroy(&wd.cond);
                        }
                        if (!watched)
                                pthread_mutex_destroy(&wd.lock);
                }
                pthread_condattr_destroy(&attr);
        }
        if (!watched)
                v2c_warn("cannot start the appliance launch's watchdog: the launch has no time limit");
        int r = gfs.launch(h);
        if (watched) {
                pthread_mutex_lock(&wd.lock);
                wd.done = true;
                pthread_cond_signal(&wd.cond);
                pthread_mutex_unlock(&wd.lock);
                pthread_join(thread, NULL);
                pthread_cond_destroy(&wd.cond);
                pthread_mutex_destroy(&wd.lock);
        }
        *timed_out = wd.fired;
        return r;
}

static int launch_timeout_error(const char *path, unsigned seconds, struct v2c_error **err)
{
        return v2c_error_set(err, ETIMEDOUT,
                             "`%s`: the libguestfs appliance did not start within %u s (--launch-timeout)", path,
                             seconds);
}

/* A handle for the drives PATHS (N, FORMATS theirs), launched within
 * TIMEOUT_S seconds, once more under TCG when a launch without it fails
 * (nested KVM can abort qemu at start: see the ENVIRONMENT notes).  WHAT
 * names the disks in errors.  *out is new. */
static int launch(const char *const *paths, const char *const *formats, size_t n, unsigned timeout_s,
                  const char *what, guestfs_h **out, struct v2c_error **err)
{
        struct timespec deadline;
        clock_gettime(CLOCK_MONOTONIC, &deadline);
        deadline.tv_sec += timeout_s;
        guestfs_h *h = new_handle(paths, formats, n, false, err);
        if (h == NULL)
                return -EIO;
        bool timed_out = false;
        int r = 0;
        /* The launch blocks for its whole length: the seconds tick (see
         * progress.c on why a ticker thread). */
        v2c_progress_tick("starting the libguestfs appliance%s", tcg_forced(h) ? " (TCG: 20-200 s)" : "");
        if (launch_bounded(h, &deadline, &timed_out) < 0 || timed_out) {
                if (timed_out) {
                        r = launch_timeout_error(what, timeout_s, err);
                        goto fail;
                }
                if (tcg_forced(h)) {
                        r = v2c_error_prefix(err, gerr(h, err, "launching the libguestfs appliance"), "`%s`", what);
                        goto fail;
                }
                const char *why = gfs.last_error(h);
                v2c_warn("launching the appliance with KVM failed (%.*s); retrying once under TCG",
                         why ? (int) strcspn(why, "\n") : 13, why ? why : "unknown error");
                gfs.close(h);
                h = new_handle(paths, formats, n, true, err);
                if (h == NULL)
                        return -EIO;
                v2c_progress_tick("starting the libguestfs appliance (TCG: 20-200 s)");
                if (launch_bounded(h, &deadline, &timed_out) < 0 || timed_out) {
                        if (timed_out)
                                r = launch_timeout_error(what, timeout_s, err);
                        else
                                r = v2c_error_prefix(err, gerr(h, err, "launching the libguestfs appliance under TCG"),
                                                     "`%s`", what);
                        goto fail;
                }
        }
        /* Nothing is written: skip the sync libguestfs does on close. */
        gfs.set_autosync(h, 0);
        *out = h;
        return 0;
fail:
        gfs.close(h);
        return r;
}

/* A guest's backend state, with fresh caches; the handle is set after. */
static int disk_impl_new(struct v2c_guest *g, struct v2c_error **err)
{
        struct disk_impl *d = calloc(1, sizeof *d);
        if (d == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        g->ops = &disk_backend;
        g->impl = d;
        d->cache = calloc(1u << CACHE_BITS, sizeof *d->cache);
        d->prefetched = v2c_tarindex_new(err);
        if (d->cache == NULL || d->prefetched == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        if (v2c_tarindex_seal(d->prefetched, err) < 0)
                return -ENOMEM;
        return 0;
}

int v2c_guest_disk_open(const char *const *paths, const char *const *formats, size_t n, struct v2c_guest *g,
                        struct v2c_error **err)
{
        int r = load_guestfs(err);
        if (r < 0)
                return r;
        r = disk_impl_new(g, err);
        if (r < 0)
                return r;
        struct disk_impl *d = g->impl;
        r = launch(paths, formats, n, g->launch_timeout_s, paths[0], &d->h, err);
        if (r < 0)
                return r;
        v2c_progress_tick("mounting the guest's file systems");
        r = mount_guest(g, d->h, NULL, err);
        if (r < 0)
                return v2c_error_prefix(err, r, "`%s`", paths[0]);
        return 0;
}

/* ---- Sessions: the disks of many guests in one appliance ----
 *
 * The launch is most of what a guest costs (20 s under TCG, seconds under
 * KVM), so `v2c inspect --each` attaches every guest's disks to one
 * appliance and mounts the guests one after the other, each confined to
 * its own drives (struct mount_scope).  A guest's caches (prefetched
 * trees, stat cache, fetched batches) live in its own disk_impl and go
 * with it; the handle is shared, counted. */
struct v2c_disk_session {
        guestfs_h *h;
        char **devices;         /* the appliance's disks, in drive order */
        size_t n_devices;
        char **partitions;      /* their partitions, listed at launch */
        bool lvm;               /* any physical volume: filter per guest */
        bool guest_open;        /* one guest mounted at a time */
        unsigned refs;
};

static void session_unref(struct v2c_disk_session *s)
{
        if (s == NULL || --s->refs > 0)
                return;
        if (s->h)
                gfs.close(s->h);
        v2c_strv_free(s->devices);
        v2c_strv_free(s->partitions);
        free(s);
}

/* A guest of the session is closed: its file systems come off. */
static void session_release_guest(struct v2c_disk_session *s)
{
        gfs.umount_all(s->h);
        s->guest_open = false;
        session_unref(s);
}

int v2c_disk_session_launch(const char *const *paths, const char *const *formats, size_t n, unsigned timeout_s,
                            const char *what, struct v2c_disk_session **out, struct v2c_error **err)
{
        int r = load_guestfs(err);
        if (r < 0)
                return r;
        struct v2c_disk_session *s = calloc(1, sizeof *s);
        if (s == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        s->refs = 1;
        _cleanup_gstrv_ char **pvs = NULL;
        r = launch(paths, formats, n, timeout_s, what, &s->h, err);
        if (r < 0)
                goto fail;
        /* libguestfs's lists are malloc'd strings: the session keeps them. */
        s->devices = gfs.list_devices(s->h);
        if (s->devices == NULL) {
                r = gerr(s->h, err, "listing the appliance's disks");
                goto fail;
        }
        s->n_devices = v2c_strv_len(s->devices);
        if (s->n_devices != n) {
                r = v2c_error_set(err, EIO, "the appliance shows %zu disks for %zu drives", s->n_devices, n);
                goto fail;
        }
        s->partitions = gfs.list_partitions(s->h);
        if (s->partitions == NULL) {
                r = gerr(s->h, err, "listing the appliance's partitions");
                goto fail;
        }
        /* One round trip: without physical volumes no guest needs the
         * LVM filter (and its rescan). */
        pvs = gfs.pvs(s->h);
        s->lvm = pvs && pvs[0];
        *out = s;
        return 0;
fail:
        session_unref(s);
        return r;
}

int v2c_disk_session_mount(struct v2c_disk_session *s, size_t first, size_t n, struct v2c_guest *g,
                           struct v2c_error **err)
{
        if (s->guest_open)
                return v2c_error_set(err, EBUSY, "another guest of the session is still open");
        if (n == 0 || first > s->n_devices || n > s->n_devices - first)
                return v2c_error_set(err, EINVAL, "drives %zu to %zu are not in the session", first, first + n);
        int r = disk_impl_new(g, err);
        if (r < 0)
                return r;
        struct disk_impl *d = g->impl;
        d->h = s->h;
        d->session = s;
        s->refs++;
        s->guest_open = true;
        /* What an earlier guest left mounted (a failed mount) comes off. */
        gfs.umount_all(s->h);
        const struct mount_scope scope = { s->devices + first, n, s->lvm, s->devices, s->partitions };
        v2c_progress_tick("mounting the guest's file systems");
        return mount_guest(g, d->h, &scope, err);
}

struct v2c_disk_session *v2c_disk_session_unref(struct v2c_disk_session *s)
{
        session_unref(s);
        return NULL;
}
