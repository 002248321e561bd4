/* Linux file capabilities: the value of a file's `security.capability`
 * extended attribute (struct vfs_cap_data, see capabilities(7)).
 *
 * Value layout, little-endian 32-bit words: magic_etc (revision in the top
 * byte, bit 0 the "effective" flag), then {permitted, inheritable} for
 * capabilities 0-31, and for revisions 2 and 3 the same for 32-63;
 * revision 3 adds the namespace root uid. */
#ifndef V2C_CAPS_H
#define V2C_CAPS_H

#include <stdbool.h>
#include <stddef.h>

/* Decodes VALUE (LEN bytes, untrusted).  *names gets a new NULL-terminated
 * vector of the permitted capabilities in bit order, by their kernel names
 * ("CAP_NET_BIND_SERVICE"; a bit past the last known one as "CAP_41"), or
 * NULL when none is permitted;
 * *effective (may be NULL) whether they are raised at exec.  Returns 0,
 * -EINVAL when VALUE is no known revision or has the wrong length for it,
 * or -ENOMEM. */
int v2c_caps_decode(const void *value, size_t len, char ***names, bool *effective);

/* The bit of capability NAME ("CAP_NET_BIND_SERVICE", "net_bind_service":
 * with or without the prefix, any case, as systemd reads them), or
 * -EINVAL for a name the table does not know. */
int v2c_caps_bit(const char *name);
/* "CAP_NET_BIND_SERVICE" for its bit (static), NULL past the table. */
const char *v2c_caps_name(int bit);
/* How many capabilities the table knows (bits 0 .. count-1). */
int v2c_caps_count(void);

#endif
