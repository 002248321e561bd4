/* Guest backend for a host directory holding an unpacked root file system.
 * Paths arrive with their parents already resolved inside the guest, so the
 * host kernel is only asked about one component at a time below root_fd;
 * the last component is opened with O_NOFOLLOW. */
#include "guest-internal.h"
#include "cleanup.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>

struct dir_impl {
        int root_fd;
};

static const char *rel(const char *path)
{
        while (*path == '/')
                path++;
        return *path ? path : ".";
}

static void fill_stat(const struct stat *s, struct v2c_stat *st)
{
        memset(st, 0, sizeof *st);
        st->type = v2c_file_type_from_mode(s->st_mode);
        st->mode = s->st_mode & 07777;
        st->uid = s->st_uid;
        st->gid = s->st_gid;
        st->size = (uint64_t) s->st_size;
        st->mtime = s->st_mtim.tv_sec;
        st->ino = s->st_ino;
        st->nlink = (uint32_t) s->st_nlink;
}

static int dir_lstat(struct v2c_guest *g, const char *path, struct v2c_stat *st, struct v2c_error **err)
{
        struct dir_impl *d = g->impl;
        struct stat s;
        if (fstatat(d->root_fd, rel(path), &s, AT_SYMLINK_NOFOLLOW) < 0) {
                if (errno == ENOENT || errno == ENOTDIR)
                        return -ENOENT;
                return v2c_error_set(err, errno, "cannot stat `%s`: %m", path);
        }
        fill_stat(&s, st);
        return 0;
}

static int dir_readlink(struct v2c_guest *g, const char *path, char **target, struct v2c_error **err)
{
        struct dir_impl *d = g->impl;
        char buf[4096];
        ssize_t n = readlinkat(d->root_fd, rel(path), buf, sizeof buf);
        if (n < 0)
                return v2c_error_set(err, errno, "cannot read link `%s`: %m", path);
        if ((size_t) n >= sizeof buf)
                return v2c_error_set(err, ENAMETOOLONG, "link `%s` is too long", path);
        *target = strndup(buf, (size_t) n);
        return *target ? 0 : v2c_error_set(err, ENOMEM, "out of memory");
}

static int dir_open(struct v2c_guest *g, const char *path, int *fd, uint64_t *offset, uint64_t *len,
                    struct v2c_error **err)
{
        struct dir_impl *d = g->impl;
        int f = openat(d->root_fd, rel(path), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK);
        if (f < 0)
                return v2c_error_set(err, errno, "cannot open `%s`: %m", path);
        struct stat s;
        if (fstat(f, &s) < 0 || !S_ISREG(s.st_mode)) {
                close(f);
                return v2c_error_set(err, EINVAL, "`%s` is not a regular file", path);
        }
        *fd = f;
        *offset = 0;
        *len = (uint64_t) s.st_size;
        return 0;
}

static int dir_read(struct v2c_guest *g, const char *path, size_t max, char **data, size_t *len,
                    struct v2c_error **err)
{
        _cleanup_close_ int fd = -1;
        uint64_t off, size;
        int r = dir_open(g, path, &fd, &off, &size, err);
        if (r < 0)
                return r;
        if (size > max)
                return v2c_error_set(err, EFBIG, "`%s` is larger than %zu bytes", path, max);
        size_t cap = (size_t) size, n = 0;
        _cleanup_free_ char *buf = malloc(cap + 1);
        if (buf == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        while (n < cap) {
                ssize_t k = read(fd, buf + n, cap - n);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return v2c_error_set(err, errno, "cannot read `%s`: %m", path);
                if (k == 0)
                        break;
                n += (size_t) k;
        }
        buf[n] = '\0';
        *data = TAKE_PTR(buf);
        *len = n;
        return 0;
}


static int dir_capability(struct v2c_guest *g, const char *path, void **value, size_t *len,
                          struct v2c_error **err)
{
        struct dir_impl *d = g->impl;
        _cleanup_close_ int fd = openat(d->root_fd, rel(path), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return v2c_error_set(err, errno, "cannot open `%s`: %m", path);
        unsigned char buf[V2C_CAPABILITY_MAX];
        ssize_t n = fgetxattr(fd, V2C_CAPABILITY_XATTR, buf, sizeof buf);
        if (n < 0) {
                /* None, xattrs unsupported here, or a malformed (too long) value. */
                if (errno == ENODATA || errno == ENOTSUP || errno == ERANGE)
                        return 0;
                return v2c_error_set(err, errno, "cannot read the capabilities of `%s`: %m", path);
        }
        if (n == 0)
                return 0;
        void *v = malloc((size_t) n);
        if (v == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        memcpy(v, buf, (size_t) n);
        *value = v;
        *len = (size_t) n;
        return 0;
}

static int cmp_dirent(const void *a, const void *b)
{
        return strcmp(((const struct v2c_dirent *) a)->name, ((const struct v2c_dirent *) b)->name);
}

static int dir_list(struct v2c_guest *g, const char *path, struct v2c_dirent **out, size_t *n,
                    struct v2c_error **err)
{
        struct dir_impl *d = g->impl;
        int fd = openat(d->root_fd, rel(path), O_RDONLY | O_CLOEXEC | O_DIRECTORY | O_NOFOLLOW);
        if (fd < 0)
                return v2c_error_set(err, errno, "cannot open directory `%s`: %m", path);
        _cleanup_closedir_ DIR *dir = fdopendir(fd);
        if (dir == NULL) {
                close(fd);
                return v2c_error_set(err, errno, "cannot open directory `%s`: %m", path);
        }
        struct v2c_dirent *v = NULL;
        size_t cnt = 0, cap = 0;
        struct dirent *de;
        while ((de = readdir(dir)) != NULL) {
                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                struct stat s;
                if (fstatat(dirfd(dir), de->d_name, &s, AT_SYMLINK_NOFOLLOW) < 0)
                        continue;
                struct v2c_stat vs;
                fill_stat(&s, &vs);
                if (v2c_dirents_push(&v, &cnt, &cap, de->d_name, &vs) < 0) {
                        v2c_dirents_free(v, cnt);
                        return v2c_error_set(err, ENOMEM, "out of memory");
                }
        }
        if (cnt)
                qsort(v, cnt, sizeof *v, cmp_dirent);
        *out = v;
        *n = cnt;
        return 0;
}

static int dir_identify(struct v2c_guest *g, char *const *paths, size_t n, struct v2c_file_id *ids,
                        struct v2c_error **err)
{
        struct dir_impl *d = g->impl;
        for (size_t i = 0; i < n; i++) {
                struct stat s;
                if (fstatat(d->root_fd, rel(paths[i]), &s, AT_SYMLINK_NOFOLLOW) < 0) {
                        if (errno != ENOENT && errno != ENOTDIR)
                                return v2c_error_set(err, errno, "stat of `%s`: %m", paths[i]);
                        ids[i] = (struct v2c_file_id) { 0 };
                        continue;
                }
                ids[i] = (struct v2c_file_id) { .dev = s.st_dev, .ino = s.st_ino, .nlink = (uint32_t) s.st_nlink };
        }
        return 0;
}

static void dir_close(struct v2c_guest *g)
{
        struct dir_impl *d = g->impl;
        if (d) {
                if (d->root_fd >= 0)
                        close(d->root_fd);
                free(d);
        }
}

static const struct v2c_guest_backend dir_backend = {
        .kind = "directory",
        .lstat = dir_lstat,
        .readlink = dir_readlink,
        .read = dir_read,
        .open = dir_open,
        .list = dir_list,
        .capability = dir_capability,
        .identify = dir_identify,
        .close = dir_close,
};

int v2c_guest_dir_open(const char *path, struct v2c_guest *g, struct v2c_error **err)
{
        struct dir_impl *d = calloc(1, sizeof *d);
        if (d == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        d->root_fd = open(path, O_RDONLY | O_CLOEXEC | O_DIRECTORY);
        if (d->root_fd < 0) {
                int e = errno;
                free(d);
                errno = e;
                return v2c_error_set_kind(err, V2C_ERR_INPUT, e, "cannot open directory `%s`: %m", path);
        }
        g->ops = &dir_backend;
        g->impl = d;
        return 0;
}
