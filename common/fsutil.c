/* Host file helpers; see fsutil.h. */
#include "fsutil.h"
#include "cleanup.h"
#include "path.h"

#include <errno.h>
#include <ftw.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

int v2c_write_file_atomic(const char *path, const void *data, size_t len, unsigned mode, struct v2c_error **err)
{
        _cleanup_free_ char *tmp = NULL;
        if (asprintf(&tmp, "%s.v2c-tmp-XXXXXX", path) < 0)
                return v2c_error_set(err, ENOMEM, "out of memory");
        _cleanup_close_ int fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0)
                return v2c_error_set(err, errno, "creating `%s`: %m", tmp);
        size_t done = 0;
        while (done < len) {
                ssize_t w = write(fd, (const char *) data + done, len - done);
                if (w < 0 && errno == EINTR)
                        continue;
                if (w < 0) {
                        int e = errno;
                        unlink(tmp);
                        errno = e;
                        return v2c_error_set(err, e, "writing `%s`: %m", path);
                }
                done += (size_t) w;
        }
        if (fchmod(fd, mode) < 0 || fsync(fd) < 0) {
                int e = errno;
                unlink(tmp);
                errno = e;
                return v2c_error_set(err, e, "writing `%s`: %m", path);
        }
        if (rename(tmp, path) < 0) {
                int e = errno;
                unlink(tmp);
                errno = e;
                return v2c_error_set(err, e, "renaming into `%s`: %m", path);
        }
        return 0;
}

int v2c_read_host_file(const char *path, size_t max, char **data, size_t *len, struct v2c_error **err)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return v2c_error_set_kind(err, V2C_ERR_INPUT, errno, "cannot open `%s`: %m", path);
        struct stat st;
        if (fstat(fd, &st) < 0)
                return v2c_error_set(err, errno, "cannot stat `%s`: %m", path);
        if (!S_ISREG(st.st_mode))
                return v2c_error_set_kind(err, V2C_ERR_INPUT, EINVAL, "`%s` is not a regular file", path);
        if ((uint64_t) st.st_size > max)
                return v2c_error_set_kind(err, V2C_ERR_INPUT, EFBIG, "`%s` is larger than %zu bytes", path, max);
        size_t n = (size_t) st.st_size, got = 0;
        _cleanup_free_ char *buf = malloc(n + 1);
        if (buf == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        while (got < n) {
                ssize_t k = read(fd, buf + got, n - got);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return v2c_error_set(err, errno, "reading `%s`: %m", path);
                if (k == 0)
                        break;
                got += (size_t) k;
        }
        buf[got] = '\0';
        *data = TAKE_PTR(buf);
        *len = got;
        return 0;
}

static int remove_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
        (void) st;
        (void) ftw;
        int r = type == FTW_DP ? rmdir(path) : unlink(path);
        return r < 0 && errno != ENOENT ? -errno : 0;
}

int v2c_remove_tree(const char *path)
{
        struct stat st;
        if (lstat(path, &st) < 0)
                return errno == ENOENT ? 0 : -errno;
        int r = nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS);
        return r < 0 ? -errno : r;
}
