/* Host file helpers.  Outputs are written aside and renamed into place, so
 * a failure (a full disk, a signal) never leaves a half-written file. */
#ifndef V2C_FSUTIL_H
#define V2C_FSUTIL_H

#include <stddef.h>

#include "error.h"

/* Writes DATA to PATH atomically (temporary file in the same directory,
 * fsync, rename).  MODE for the new file, e.g. 0644. */
int v2c_write_file_atomic(const char *path, const void *data, size_t len, unsigned mode, struct v2c_error **err);
/* Reads a whole host file of at most MAX bytes; *data is new, NUL-terminated. */
int v2c_read_host_file(const char *path, size_t max, char **data, size_t *len, struct v2c_error **err);
/* Removes the host tree PATH (a file, or a directory and all below it),
 * never following symlinks; for trees v2c made itself (temporary layouts).
 * A missing PATH is fine.  Returns 0 or a negative errno. */
int v2c_remove_tree(const char *path);

#endif
