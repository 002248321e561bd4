/* The guests of `v2c inspect --each`: a name and the disks of each, from
 * the command line (one guest per disk) or from a manifest file, one guest
 * per line:
 *
 *     # comment
 *     NAME DISK [DISK...]   # comment
 *
 * Fields are separated by blanks; a disk path cannot hold blanks nor
 * start with '#' (a field that does starts a comment).  Guest
 * names become file names (DIR/NAME.json), so every name is sanitised:
 * letters, digits, '.', '_' and '-' only, no leading '.', at most
 * V2C_GUEST_NAME_MAX bytes, never empty; two guests never share a name.
 * Pure functions: the manifest is fuzzed (tests/fuzz/fuzz-guest-list.c). */
#ifndef V2C_GUEST_LIST_H
#define V2C_GUEST_LIST_H

#include <stddef.h>

#include "error.h"

#define V2C_GUEST_NAME_MAX 64
/* Bounds of one manifest: guests, disks per guest (v2c_guest_open's), and
 * the size of the file. */
#define V2C_GUEST_LIST_MAX 4096
#define V2C_GUEST_DISKS_MAX 16
#define V2C_GUEST_LIST_BYTES (4u << 20)

struct v2c_guest_spec {
        char *name;     /* sanitised, unique in its list */
        char **disks;   /* NULL-terminated, at least one */
};

/* A copy of the LEN bytes of NAME fit to be a file name (see above): other
 * bytes become '_', a leading '.' too; an empty name becomes "guest".  New
 * string, NULL when out of memory. */
char *v2c_guest_name_sanitize(const char *name, size_t len);
/* The name of a guest given as disk PATH: its file name without the last
 * extension ("/vms/web-1.qcow2": "web-1"), sanitised.  New string or NULL. */
char *v2c_guest_name_from_path(const char *path);

/* One guest per path of PATHS (N), named after it, names made unique.
 * *out is a new array of *n; free with v2c_guest_specs_free. */
int v2c_guest_specs_from_paths(char *const *paths, size_t n, struct v2c_guest_spec **out, size_t *nout,
                               struct v2c_error **err);
/* Parses a manifest of LEN bytes (any bytes: a NUL or a bad line fails
 * with kind V2C_ERR_INPUT and the line number).  Names sanitised and made
 * unique.  *out is a new array of *n (at least one guest). */
int v2c_guest_list_parse(const char *text, size_t len, struct v2c_guest_spec **out, size_t *n,
                         struct v2c_error **err);
/* Accepts NULL; returns NULL. */
struct v2c_guest_spec *v2c_guest_specs_free(struct v2c_guest_spec *v, size_t n);

#endif
