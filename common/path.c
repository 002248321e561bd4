/* Guest path normalisation and in-guest symlink resolution; see path.h. */
#include "path.h"
#include "buf.h"
#include "cleanup.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Appends the components of PATH to the canonical path in *cur, applying
 * "." and ".." lexically. */
static int push_components(struct v2c_buf *cur, const char *path)
{
        const char *p = path;
        while (*p) {
                while (*p == '/')
                        p++;
                if (!*p)
                        break;
                const char *end = strchrnul(p, '/');
                size_t n = (size_t) (end - p);
                if (n == 1 && p[0] == '.') {
                        /* nothing */
                } else if (n == 2 && p[0] == '.' && p[1] == '.') {
                        char *slash = cur->len ? strrchr(cur->data, '/') : NULL;
                        if (slash) {
                                cur->len = (size_t) (slash - cur->data);
                                cur->data[cur->len] = '\0';
                        }
                } else {
                        int r = v2c_buf_append(cur, "/", 1);
                        if (r == 0)
                                r = v2c_buf_append(cur, p, n);
                        if (r < 0)
                                return r == -E2BIG ? -ENAMETOOLONG : r;
                }
                p = end;
        }
        return 0;
}

int v2c_path_normalize(const char *base, const char *path, char **out)
{
        struct v2c_buf cur;
        v2c_buf_init(&cur, V2C_PATH_MAX);
        int r = 0;
        if (path[0] != '/' && base)
                r = push_components(&cur, base);
        if (r == 0)
                r = push_components(&cur, path);
        if (r == 0 && cur.len == 0)
                r = v2c_buf_append(&cur, "/", 1);
        if (r < 0) {
                v2c_buf_release(&cur);
                return r;
        }
        *out = v2c_buf_steal(&cur);
        return *out ? 0 : -ENOMEM;
}

int v2c_path_cmp(const char *a, const char *b)
{
        const unsigned char *x = (const unsigned char *) a, *y = (const unsigned char *) b;
        while (*x && *x == *y) {
                x++;
                y++;
        }
        unsigned cx = *x == '/' ? 1u : *x ? *x + 1u : 0u;
        unsigned cy = *y == '/' ? 1u : *y ? *y + 1u : 0u;
        return cx < cy ? -1 : cx > cy;
}

bool v2c_path_is_under(const char *path, const char *prefix)
{
        if (strcmp(prefix, "/") == 0)
                return path[0] == '/';
        size_t n = strlen(prefix);
        return strncmp(path, prefix, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

const char *v2c_path_basename(const char *path)
{
        const char *s = strrchr(path, '/');
        return s ? s + 1 : path;
}

char *v2c_path_dirname(const char *path)
{
        const char *s = strrchr(path, '/');
        if (s == NULL || s == path)
                return strdup("/");
        return strndup(path, (size_t) (s - path));
}

int v2c_path_resolve(const struct v2c_path_ops *ops, void *ctx, const char *path,
                     bool follow_last, bool allow_missing, char **out, struct v2c_error **err)
{
        /* `todo` holds what is left to walk; `done` is the resolved prefix,
         * canonical and free of symlinks. */
        _cleanup_free_ char *todo = NULL;
        struct v2c_buf done;
        v2c_buf_init(&done, V2C_PATH_MAX);
        unsigned links = 0;
        int r;

        if (strlen(path) >= V2C_PATH_MAX)
                return v2c_error_set(err, ENAMETOOLONG, "path too long");
        todo = strdup(path);
        if (todo == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");

        char *p = todo;
        bool missing = false;
        for (;;) {
                while (*p == '/')
                        p++;
                if (!*p)
                        break;
                char *end = strchrnul(p, '/');
                size_t n = (size_t) (end - p);
                bool last = true;
                for (char *q = end; *q; q++)
                        if (*q != '/') {
                                last = false;
                                break;
                        }

                if (n == 1 && p[0] == '.') {
                        p = end;
                        continue;
                }
                if (n == 2 && p[0] == '.' && p[1] == '.') {
                        char *slash = done.len ? strrchr(done.data, '/') : NULL;
                        if (slash) {
                                done.len = (size_t) (slash - done.data);
                                done.data[done.len] = '\0';
                        }
                        p = end;
                        continue;
                }

                size_t saved = done.len;
                r = v2c_buf_append(&done, "/", 1);
                if (r == 0)
                        r = v2c_buf_append(&done, p, n);
                if (r < 0) {
                        v2c_buf_release(&done);
                        return v2c_error_set(err, ENAMETOOLONG, "path too long");
                }
                p = end;
                if (missing || (last && !follow_last))
                        continue;

                r = ops->is_symlink(ctx, done.data, err);
                if (r == -ENOENT && allow_missing) {
                        missing = true;
                        continue;
                }
                if (r < 0) {
                        if (r == -ENOENT)
                                v2c_error_set(err, ENOENT, "`%s` does not exist", done.data);
                        v2c_buf_release(&done);
                        return r;
                }
                if (r == 0)
                        continue;

                if (++links > V2C_SYMLINK_MAX) {
                        v2c_buf_release(&done);
                        return v2c_error_set(err, ELOOP, "too many levels of symbolic links in `%s`", path);
                }
                _cleanup_free_ char *target = NULL;
                r = ops->readlink(ctx, done.data, &target, err);
                if (r < 0) {
                        v2c_buf_release(&done);
                        return r;
                }
                /* Continue with TARGET followed by what was still to do. */
                _cleanup_free_ char *next = NULL;
                if (asprintf(&next, "%s/%s", target, p) < 0) {
                        v2c_buf_release(&done);
                        return v2c_error_set(err, ENOMEM, "out of memory");
                }
                if (strlen(next) >= V2C_PATH_MAX) {
                        v2c_buf_release(&done);
                        return v2c_error_set(err, ENAMETOOLONG, "path too long while resolving `%s`", path);
                }
                if (target[0] == '/')
                        done.len = 0;
                else
                        done.len = saved;
                if (done.data)
                        done.data[done.len] = '\0';
                free(todo);
                todo = TAKE_PTR(next);
                p = todo;
        }
        if (done.len == 0 && v2c_buf_append(&done, "/", 1) < 0) {
                v2c_buf_release(&done);
                return v2c_error_set(err, ENOMEM, "out of memory");
        }
        *out = v2c_buf_steal(&done);
        return 0;
}
