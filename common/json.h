/* JSON helpers over jansson: the adapter from its errors to ours, and
 * deterministic output (insertion order kept, two-space indent, final
 * newline) so the same data always gives the same bytes. */
#ifndef V2C_JSON_H
#define V2C_JSON_H

#include <jansson.h>
#include <stddef.h>

#include "error.h"

/* S with every byte that is not part of a valid UTF-8 character written
 * as "\xNN" (new string). */
char *v2c_utf8_escape(const char *s);
/* New reference: a JSON string (see v2c_utf8_escape for bytes that are
 * not UTF-8), or null when S is NULL. */
json_t *v2c_json_str(const char *s);
/* New reference: an array of the strings of V (NULL gives []). */
json_t *v2c_json_strv(char *const *v);
/* Serialises J (borrowed) deterministically; new string. */
char *v2c_json_dump(const json_t *j);
/* Writes J to PATH atomically, or to stdout when PATH is "-" or NULL. */
int v2c_json_write(const json_t *j, const char *path, struct v2c_error **err);
/* Parses a host file of at most MAX bytes; *out is a new reference. */
int v2c_json_load_file(const char *path, size_t max, json_t **out, struct v2c_error **err);
/* Parses a buffer; *out is a new reference.  WHAT names it in errors. */
int v2c_json_load(const char *data, size_t len, const char *what, json_t **out, struct v2c_error **err);

static inline void v2c_json_decrefp(json_t **j) { json_decref(*j); }
#define _cleanup_json_ __attribute__((cleanup(v2c_json_decrefp)))

#endif
