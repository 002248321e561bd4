/* Guest paths.  Every path v2c uses inside a guest is absolute and canonical
 * ("/etc/nginx/nginx.conf": no "//", ".", ".." or trailing "/"), and is
 * resolved *inside* the guest root: ".." stops at the root, absolute symlink
 * targets restart at the guest root, and symlink loops end with -ELOOP.
 * Nothing here touches the host file system. */
#ifndef V2C_PATH_H
#define V2C_PATH_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

/* Maximum length of a guest path v2c accepts, and the number of symlinks it
 * follows while resolving one path (the kernel's limit). */
#define V2C_PATH_MAX 4096
#define V2C_SYMLINK_MAX 40

/* Lexically normalises PATH, taken relative to BASE (itself canonical; NULL
 * means "/") when PATH is relative.  ".." never climbs above "/".
 * Returns 0 and a new string in *out, -ENAMETOOLONG or -ENOMEM. */
int v2c_path_normalize(const char *base, const char *path, char **out);

/* Path order: strcmp with '/' as the smallest byte, so that everything
 * below a directory sorts right after it ("a/x" < "a-b").  Tar indexes
 * and image layers both keep their entries in this order. */
int v2c_path_cmp(const char *a, const char *b);

/* True when PATH equals PREFIX or lies below it, comparing whole components. */
bool v2c_path_is_under(const char *path, const char *prefix);

/* The last component ("" for "/"); borrowed from PATH. */
const char *v2c_path_basename(const char *path);
/* The parent directory (new string; "/" for "/" and top-level names). */
char *v2c_path_dirname(const char *path);

/* How the resolver looks at the guest: each callback receives a canonical
 * path whose parent components are known not to be symlinks. */
struct v2c_path_ops {
        /* 1 if PATH is a symlink, 0 if it exists and is not, -ENOENT if it
         * does not exist, another negative errno on failure. */
        int (*is_symlink)(void *ctx, const char *path, struct v2c_error **err);
        /* New string with the link's target. */
        int (*readlink)(void *ctx, const char *path, char **target, struct v2c_error **err);
};

/* Resolves PATH inside the guest.  With follow_last false the last
 * component is kept as is (lstat semantics).  A missing component ends the
 * walk with -ENOENT unless allow_missing, in which case the rest is appended
 * lexically.  *out is a new canonical path. */
int v2c_path_resolve(const struct v2c_path_ops *ops, void *ctx, const char *path,
                     bool follow_last, bool allow_missing, char **out, struct v2c_error **err);

#endif
