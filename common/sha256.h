/* sha256 through OpenSSL's EVP interface (the fast one: ~1.5 GB/s here). */
#ifndef V2C_SHA256_H
#define V2C_SHA256_H

#include <stddef.h>
#include <stdint.h>

#include "cleanup.h"
#include "error.h"

#define V2C_SHA256_HEX_LEN 64

struct v2c_sha256;  /* opaque streaming context */

/* Returns a new context (free with v2c_sha256_free), or NULL on ENOMEM. */
struct v2c_sha256 *v2c_sha256_new(void);
int v2c_sha256_update(struct v2c_sha256 *s, const void *data, size_t len);
/* Writes 64 lowercase hex digits and a NUL into hex[65]; the context can
 * then only be freed. */
int v2c_sha256_final_hex(struct v2c_sha256 *s, char hex[V2C_SHA256_HEX_LEN + 1]);
struct v2c_sha256 *v2c_sha256_free(struct v2c_sha256 *s);

/* One-shot helpers. */
int v2c_sha256_hex(const void *data, size_t len, char hex[V2C_SHA256_HEX_LEN + 1]);
int v2c_sha256_file_hex(const char *path, char hex[V2C_SHA256_HEX_LEN + 1], struct v2c_error **err);

static inline void v2c_sha256_freep(struct v2c_sha256 **s) { v2c_sha256_free(*s); }
#endif
