/* Tar archives as guests, and the tar index the disk backend reuses for
 * the trees it prefetches.
 *
 * The archive is read once: member metadata goes into a sorted in-memory
 * index, contents into one unlinked spill file, so later reads are a pread.
 * Hostile members are dropped: paths that climb out with "..", devices,
 * FIFOs and sockets (kept in the index as metadata only).
 */
#include "guest-internal.h"
#include "cleanup.h"
#include "path.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Limits against hostile archives (a few MB of gzip can hold GBs of
 * zeros): members above MEMBER_MAX, or past the total budget, are indexed
 * without their content, and reading them fails with EFBIG. */
#define MAX_ENTRIES 4000000u
#define MEMBER_MAX (512ull << 20)
#define SPILL_MAX (8ull << 30)
#define NO_CONTENT UINT64_MAX

struct entry {
        char *path;           /* canonical guest path */
        char *link;           /* symlink target, or NULL */
        struct v2c_stat st;
        uint64_t off;         /* content offset in the spill file */
        unsigned char *cap;   /* security.capability value, or NULL */
        size_t cap_len;
        size_t seq;           /* insertion order: later members win */
};

struct v2c_tarindex {
        struct entry *e;
        size_t n, cap;
        int spill_fd;
        uint64_t spill_len;
        uint64_t next_ino;
        bool sealed;
};

struct v2c_tarindex *v2c_tarindex_new(struct v2c_error **err)
{
        struct v2c_tarindex *ti = calloc(1, sizeof *ti);
        if (ti == NULL) {
                v2c_error_set(err, ENOMEM, "out of memory");
                return NULL;
        }
        const char *tmp = getenv("TMPDIR");
        if (tmp == NULL || *tmp == '\0')
                tmp = "/var/tmp";
        ti->spill_fd = open(tmp, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
        if (ti->spill_fd < 0) {
                char templ[4096];
                snprintf(templ, sizeof templ, "%s/v2c-spill-XXXXXX", tmp);
                ti->spill_fd = mkostemp(templ, O_CLOEXEC);
                if (ti->spill_fd >= 0)
                        unlink(templ);
        }
        if (ti->spill_fd < 0) {
                v2c_error_set(err, errno, "cannot create a temporary file in `%s`: %m", tmp);
                free(ti);
                return NULL;
        }
        /* Inode numbers of their own, apart from the disk's and from
         * other indexes': hardlinks are told by them. */
        static uint64_t next_base = 1ull << 62;
        ti->next_ino = next_base;
        next_base += 1ull << 40;
        return ti;
}

struct v2c_tarindex *v2c_tarindex_free(struct v2c_tarindex *ti)
{
        if (ti == NULL)
                return NULL;
        for (size_t i = 0; i < ti->n; i++) {
                free(ti->e[i].path);
                free(ti->e[i].link);
                free(ti->e[i].cap);
        }
        free(ti->e);
        if (ti->spill_fd >= 0)
                close(ti->spill_fd);
        free(ti);
        return NULL;
}

size_t v2c_tarindex_count(const struct v2c_tarindex *ti)
{
        return ti->n;
}

static struct entry *push_entry(struct v2c_tarindex *ti)
{
        if (ti->n == ti->cap) {
                size_t ncap = ti->cap ? ti->cap * 2 : 1024;
                struct entry *ne = realloc(ti->e, ncap * sizeof *ne);
                if (ne == NULL)
                        return NULL;
                ti->e = ne;
                ti->cap = ncap;
        }
        struct entry *e = &ti->e[ti->n];
        memset(e, 0, sizeof *e);
        e->seq = ti->n;
        ti->n++;
        return e;
}

static int cmp_entry(const void *a, const void *b)
{
        const struct entry *x = a, *y = b;
        int c = v2c_path_cmp(x->path, y->path);
        if (c)
                return c;
        return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Member names are taken relative to the archive root; a name that climbs
 * out of it is hostile (normalising it would silently land it elsewhere). */
static bool climbs_out(const char *name)
{
        int depth = 0;
        const char *p = name;
        while (*p) {
                while (*p == '/')
                        p++;
                if (!*p)
                        break;
                const char *end = strchrnul(p, '/');
                size_t n = (size_t) (end - p);
                if (n == 2 && p[0] == '.' && p[1] == '.') {
                        if (--depth < 0)
                                return true;
                } else if (!(n == 1 && p[0] == '.'))
                        depth++;
                p = end;
        }
        return false;
}

/* Keeps the member's security.capability (a pax SCHILY.xattr record), the
 * one extended attribute images carry; others (SELinux labels, ACLs, user
 * attributes) are the guest's business. */
static int keep_capability(struct archive_entry *ae, struct entry *e)
{
        if (archive_entry_xattr_reset(ae) == 0)
                return 0;
        const char *name;
        const void *value;
        size_t size;
        while (archive_entry_xattr_next(ae, &name, &value, &size) == ARCHIVE_OK) {
                if (strcmp(name, V2C_CAPABILITY_XATTR) != 0 || size == 0 || size > V2C_CAPABILITY_MAX)
                        continue;
                free(e->cap);
                e->cap = malloc(size);
                if (e->cap == NULL)
                        return -ENOMEM;
                memcpy(e->cap, value, size);
                e->cap_len = size;
        }
        return 0;
}

static int spill(struct v2c_tarindex *ti, struct archive *a, struct entry *e, struct v2c_error **err)
{
        static __thread char block[1 << 16];
        e->off = ti->spill_len;
        uint64_t total = 0;
        for (;;) {
                la_ssize_t n = archive_read_data(a, block, sizeof block);
                if (n < 0)
                        return v2c_error_set_kind(err, V2C_ERR_INPUT, EIO, "reading `%s` from the archive: %s",
                                                  e->path, archive_error_string(a));
                if (n == 0)
                        break;
                size_t done = 0;
                while (done < (size_t) n) {
                        ssize_t w = pwrite(ti->spill_fd, block + done, (size_t) n - done,
                                           (off_t) (ti->spill_len + done));
                        if (w < 0 && errno == EINTR)
                                continue;
                        if (w < 0)
                                return v2c_error_set(err, errno, "writing the spill file: %m");
                        done += (size_t) w;
                }
                ti->spill_len += (uint64_t) n;
                total += (uint64_t) n;
                if (total > MEMBER_MAX || ti->spill_len > SPILL_MAX)
                        return v2c_error_set_kind(err, V2C_ERR_INPUT, EFBIG,
                                                  "`%s` in the archive is larger than it says", e->path);
        }
        e->st.size = total;
        return 0;
}

int v2c_tarindex_add(struct v2c_tarindex *ti, int fd, const char *prefix, size_t *skipped,
                     struct v2c_error **err)
{
        struct archive *a = archive_read_new();
        if (a == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        archive_read_support_filter_all(a);
        archive_read_support_format_tar(a);
        archive_read_support_format_gnutar(a);
        int r = 0;
        if (archive_read_open_fd(a, fd, 1 << 16) != ARCHIVE_OK) {
                r = v2c_error_set_kind(err, V2C_ERR_INPUT, EINVAL, "not a tar archive: %s",
                                       archive_error_string(a));
                goto out;
        }

        struct archive_entry *ae;
        bool first = true;
        for (;;) {
                int ar = archive_read_next_header(a, &ae);
                if (ar == ARCHIVE_EOF)
                        break;
                if (ar == ARCHIVE_WARN && first == false)
                        ar = ARCHIVE_OK;
                if (ar != ARCHIVE_OK && ar != ARCHIVE_WARN) {
                        r = v2c_error_set_kind(err, V2C_ERR_INPUT, EINVAL, "%s: %s",
                                               first ? "not a tar archive" : "corrupt tar archive",
                                               archive_error_string(a));
                        goto out;
                }
                first = false;
                if (ti->n >= MAX_ENTRIES) {
                        r = v2c_error_set_kind(err, V2C_ERR_INPUT, E2BIG, "archive has more than %u members",
                                               MAX_ENTRIES);
                        goto out;
                }
                const char *name = archive_entry_pathname(ae);
                if (name == NULL || climbs_out(name) || strlen(name) >= V2C_PATH_MAX) {
                        (*skipped)++;
                        continue;
                }
                char *path = NULL;
                if (v2c_path_normalize(prefix, name[0] == '/' ? name + 1 : name, &path) < 0) {
                        (*skipped)++;
                        continue;
                }
                struct entry *e = push_entry(ti);
                if (e == NULL) {
                        free(path);
                        r = v2c_error_set(err, ENOMEM, "out of memory");
                        goto out;
                }
                e->path = path;
                e->st.mode = archive_entry_perm(ae) & 07777;
                e->st.uid = (uint32_t) archive_entry_uid(ae);
                e->st.gid = (uint32_t) archive_entry_gid(ae);
                e->st.mtime = archive_entry_mtime(ae);
                e->st.nlink = 1;

                if (keep_capability(ae, e) < 0) {
                        r = v2c_error_set(err, ENOMEM, "out of memory");
                        goto out;
                }
                const char *hard = archive_entry_hardlink(ae);
                if (hard) {
                        /* Resolved at seal time, when the target is known. */
                        char *target = NULL;
                        if (climbs_out(hard) || v2c_path_normalize(prefix, hard[0] == '/' ? hard + 1 : hard, &target) < 0) {
                                free(e->path);
                                free(e->cap);
                                ti->n--;
                                (*skipped)++;
                                continue;
                        }
                        e->st.type = V2C_FT_REG;
                        e->link = target;
                        e->st.ino = 0; /* marks "hardlink, not yet resolved" */
                        continue;
                }
                switch (archive_entry_filetype(ae)) {
                case AE_IFREG: {
                        e->st.type = V2C_FT_REG;
                        e->st.ino = ti->next_ino++;
                        la_int64_t announced = archive_entry_size_is_set(ae) ? archive_entry_size(ae) : 0;
                        if (announced < 0 || (uint64_t) announced > MEMBER_MAX ||
                            ti->spill_len + (uint64_t) announced > SPILL_MAX) {
                                e->st.size = announced > 0 ? (uint64_t) announced : 0;
                                e->off = NO_CONTENT;
                                (*skipped)++;
                                break;
                        }
                        r = spill(ti, a, e, err);
                        if (r < 0)
                                goto out;
                        break;
                }
                case AE_IFDIR:
                        e->st.type = V2C_FT_DIR;
                        break;
                case AE_IFLNK: {
                        const char *t = archive_entry_symlink(ae);
                        e->st.type = V2C_FT_LNK;
                        e->link = strdup(t ? t : "");
                        if (e->link == NULL) {
                                r = v2c_error_set(err, ENOMEM, "out of memory");
                                goto out;
                        }
                        e->st.size = strlen(e->link);
                        break;
                }
                case AE_IFCHR: e->st.type = V2C_FT_CHR; break;
                case AE_IFBLK: e->st.type = V2C_FT_BLK; break;
                case AE_IFIFO: e->st.type = V2C_FT_FIFO; break;
                default: e->st.type = V2C_FT_SOCK; break;
                }
        }
        if (first) {
                r = v2c_error_set_kind(err, V2C_ERR_INPUT, EINVAL, "not a tar archive (no member)");
                goto out;
        }
out:
        archive_read_free(a);
        return r;
}

static struct entry *find_in(struct v2c_tarindex *ti, size_t n, const char *path)
{
        size_t lo = 0, hi = n;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (v2c_path_cmp(ti->e[mid].path, path) < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return lo < n && strcmp(ti->e[lo].path, path) == 0 ? &ti->e[lo] : NULL;
}

static struct entry *find(struct v2c_tarindex *ti, const char *path)
{
        return find_in(ti, ti->n, path);
}

static bool recently_added(struct v2c_tarindex *ti, size_t first, const char *path)
{
        size_t lo = ti->n > first + 64 ? ti->n - 64 : first;
        for (size_t j = ti->n; j > lo; j--)
                if (strcmp(ti->e[j - 1].path, path) == 0)
                        return true;
        return false;
}

/* Adds a directory entry for every parent that the archive did not list.
 * Entries [0, n) are sorted, so siblings share parents and checking the
 * last few additions avoids most duplicates; seal drops the rest. */
static int add_implicit_dirs(struct v2c_tarindex *ti)
{
        size_t n = ti->n;
        for (size_t i = 0; i < n; i++) {
                if (strcmp(ti->e[i].path, "/") == 0)
                        continue;
                char *d = v2c_path_dirname(ti->e[i].path);
                for (;;) {
                        if (d == NULL)
                                return -ENOMEM;
                        if (find_in(ti, n, d) != NULL || recently_added(ti, n, d)) {
                                free(d);
                                break;
                        }
                        struct entry *e = push_entry(ti);
                        if (e == NULL) {
                                free(d);
                                return -ENOMEM;
                        }
                        e->path = d;
                        e->st.type = V2C_FT_DIR;
                        e->st.mode = 0755;
                        e->st.nlink = 1;
                        if (strcmp(d, "/") == 0)
                                break;
                        d = v2c_path_dirname(d);
                }
        }
        return 0;
}

/* Sorts and keeps, for each path, only the member that came last. */
static void sort_dedupe(struct v2c_tarindex *ti)
{
        if (ti->n == 0)
                return;   /* (qsort of a NULL array is undefined, even of 0 items) */
        qsort(ti->e, ti->n, sizeof *ti->e, cmp_entry);
        size_t w = 0;
        for (size_t i = 0; i < ti->n; i++) {
                if (i + 1 < ti->n && strcmp(ti->e[i].path, ti->e[i + 1].path) == 0) {
                        free(ti->e[i].path);
                        free(ti->e[i].link);
                        free(ti->e[i].cap);
                        continue;
                }
                ti->e[w++] = ti->e[i];
        }
        ti->n = w;
}

int v2c_tarindex_seal(struct v2c_tarindex *ti, struct v2c_error **err)
{
        /* Tar semantics: a later member with the same name replaces. */
        sort_dedupe(ti);
        if (add_implicit_dirs(ti) < 0)
                return v2c_error_set(err, ENOMEM, "out of memory");
        sort_dedupe(ti);

        /* Hardlinks share the content and inode of their target. */
        for (size_t i = 0; i < ti->n; i++) {
                struct entry *e = &ti->e[i];
                if (e->st.type != V2C_FT_REG || e->link == NULL)
                        continue;
                struct entry *t = find(ti, e->link);
                /* A link to a link (a -> b -> z) ends at z, a few steps at most. */
                for (int steps = 0; t && t != e && t->st.type == V2C_FT_REG && t->link && steps < 16; steps++)
                        t = find(ti, t->link);
                if (t == e)
                        t = NULL;
                free(e->link);
                e->link = NULL;
                if (t == NULL || t->st.type != V2C_FT_REG || t->link != NULL) {
                        /* Dangling hardlink: keep it as an empty file. */
                        e->st.ino = ti->next_ino++;
                        e->st.size = 0;
                        e->off = 0;
                        continue;
                }
                e->st.ino = t->st.ino;
                e->st.size = t->st.size;
                e->off = t->off;
                /* One inode, one set of attributes: the target's, whatever
                 * the link member said (else the image would keep or lose
                 * a capability depending on which name sorts first). */
                free(e->cap);
                e->cap = NULL;
                e->cap_len = 0;
                if (t->cap) {
                        e->cap = malloc(t->cap_len);
                        if (e->cap == NULL)
                                return v2c_error_set(err, ENOMEM, "out of memory");
                        memcpy(e->cap, t->cap, t->cap_len);
                        e->cap_len = t->cap_len;
                }
                t->st.nlink++;
                e->st.nlink = t->st.nlink;
        }
        ti->sealed = true;
        return 0;
}

int v2c_tarindex_lstat(struct v2c_tarindex *ti, const char *path, struct v2c_stat *st)
{
        struct entry *e = find(ti, path);
        if (e == NULL)
                return -ENOENT;
        *st = e->st;
        return 0;
}

int v2c_tarindex_readlink(struct v2c_tarindex *ti, const char *path, char **target)
{
        struct entry *e = find(ti, path);
        if (e == NULL)
                return -ENOENT;
        if (e->st.type != V2C_FT_LNK)
                return -EINVAL;
        *target = strdup(e->link);
        return *target ? 0 : -ENOMEM;
}

/* The entry of a regular file whose content was kept. */
static int content_entry(struct v2c_tarindex *ti, const char *path, struct entry **out, struct v2c_error **err)
{
        struct entry *e = find(ti, path);
        if (e == NULL)
                return v2c_error_set(err, ENOENT, "`%s` does not exist", path);
        if (e->st.type != V2C_FT_REG)
                return v2c_error_set(err, EINVAL, "`%s` is not a regular file", path);
        if (e->off == NO_CONTENT)
                return v2c_error_set(err, EFBIG, "`%s` is too large: its content was not kept", path);
        *out = e;
        return 0;
}

bool v2c_tarindex_has_content(struct v2c_tarindex *ti, const char *path)
{
        struct entry *e = find(ti, path);
        return e && e->st.type == V2C_FT_REG && e->off != NO_CONTENT;
}

int v2c_tarindex_read(struct v2c_tarindex *ti, const char *path, size_t max, char **data, size_t *len,
                      struct v2c_error **err)
{
        struct entry *e;
        int r = content_entry(ti, path, &e, err);
        if (r < 0)
                return r;
        if (e->st.size > max)
                return v2c_error_set(err, EFBIG, "`%s` is larger than %zu bytes", path, max);
        size_t n = (size_t) e->st.size, got = 0;
        _cleanup_free_ char *buf = malloc(n + 1);
        if (buf == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        while (got < n) {
                ssize_t k = pread(ti->spill_fd, buf + got, n - got, (off_t) (e->off + got));
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        return v2c_error_set(err, k < 0 ? errno : EIO, "reading `%s` back: %m", path);
                got += (size_t) k;
        }
        buf[n] = '\0';
        *data = TAKE_PTR(buf);
        *len = n;
        return 0;
}

int v2c_tarindex_open(struct v2c_tarindex *ti, const char *path, int *fd, uint64_t *offset, uint64_t *len,
                      struct v2c_error **err)
{
        struct entry *e;
        int r = content_entry(ti, path, &e, err);
        if (r < 0)
                return r;
        int f = fcntl(ti->spill_fd, F_DUPFD_CLOEXEC, 0);
        if (f < 0)
                return v2c_error_set(err, errno, "dup: %m");
        *fd = f;
        *offset = e->off;
        *len = e->st.size;
        return 0;
}

int v2c_tarindex_list(struct v2c_tarindex *ti, const char *path, struct v2c_dirent **out, size_t *n,
                      struct v2c_error **err)
{
        struct entry *dir = find(ti, path);
        if (dir == NULL)
                return v2c_error_set(err, ENOENT, "`%s` does not exist", path);
        size_t plen = strcmp(path, "/") == 0 ? 0 : strlen(path);
        struct v2c_dirent *v = NULL;
        size_t cnt = 0, cap = 0;
        /* Children sort right after the directory, all sharing "PATH/". */
        for (size_t i = (size_t) (dir - ti->e) + 1; i < ti->n; i++) {
                const char *p = ti->e[i].path;
                if (strncmp(p, path, plen) != 0 || p[plen] != '/')
                        break;
                const char *name = p + plen + 1;
                if (strchr(name, '/'))
                        continue;
                if (v2c_dirents_push(&v, &cnt, &cap, name, &ti->e[i].st) < 0) {
                        v2c_dirents_free(v, cnt);
                        return v2c_error_set(err, ENOMEM, "out of memory");
                }
        }
        *out = v;
        *n = cnt;
        return 0;
}

/* The tar backend proper. */

static int tar_lstat(struct v2c_guest *g, const char *path, struct v2c_stat *st, struct v2c_error **err)
{
        (void) err;
        return v2c_tarindex_lstat(g->impl, path, st);
}

static int tar_readlink(struct v2c_guest *g, const char *path, char **target, struct v2c_error **err)
{
        int r = v2c_tarindex_readlink(g->impl, path, target);
        return r < 0 ? v2c_error_set(err, -r, "cannot read link `%s`", path) : 0;
}

static int tar_read(struct v2c_guest *g, const char *path, size_t max, char **data, size_t *len,
                    struct v2c_error **err)
{
        return v2c_tarindex_read(g->impl, path, max, data, len, err);
}

static int tar_open(struct v2c_guest *g, const char *path, int *fd, uint64_t *offset, uint64_t *len,
                    struct v2c_error **err)
{
        return v2c_tarindex_open(g->impl, path, fd, offset, len, err);
}

int v2c_tarindex_capability(struct v2c_tarindex *ti, const char *path, void **value, size_t *len,
                            struct v2c_error **err)
{
        struct entry *e = find(ti, path);
        *value = NULL;
        *len = 0;
        if (e == NULL || e->cap == NULL)
                return 0;
        void *v = malloc(e->cap_len);
        if (v == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        memcpy(v, e->cap, e->cap_len);
        *value = v;
        *len = e->cap_len;
        return 0;
}

static int tar_capability(struct v2c_guest *g, const char *path, void **value, size_t *len,
                          struct v2c_error **err)
{
        return v2c_tarindex_capability(g->impl, path, value, len, err);
}

static int tar_list(struct v2c_guest *g, const char *path, struct v2c_dirent **out, size_t *n,
                    struct v2c_error **err)
{
        return v2c_tarindex_list(g->impl, path, out, n, err);
}

static void tar_close(struct v2c_guest *g)
{
        v2c_tarindex_free(g->impl);
}

static const struct v2c_guest_backend tar_backend = {
        .kind = "tar",
        .lstat = tar_lstat,
        .readlink = tar_readlink,
        .read = tar_read,
        .open = tar_open,
        .list = tar_list,
        .capability = tar_capability,
        .close = tar_close,
};

int v2c_guest_tar_open(const char *path, struct v2c_guest *g, struct v2c_error **err)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return v2c_error_set_kind(err, V2C_ERR_INPUT, errno, "cannot open `%s`: %m", path);
        struct v2c_tarindex *ti = v2c_tarindex_new(err);
        if (ti == NULL)
                return -ENOMEM;
        size_t skipped = 0;
        int r = v2c_tarindex_add(ti, fd, "/", &skipped, err);
        if (r == 0)
                r = v2c_tarindex_seal(ti, err);
        if (r < 0) {
                v2c_tarindex_free(ti);
                return v2c_error_prefix(err, r, "`%s`", path);
        }
        g->ops = &tar_backend;
        g->impl = ti;
        if (skipped)
                v2c_guest_add_warning(g, "%zu archive members were skipped or kept without content "
                                         "(unsafe names, or larger than the limits)", skipped);
        return 0;
}
