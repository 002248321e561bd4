/* JSON helpers over jansson: the adapter from its errors to ours, and
 * deterministic output (insertion order kept, two-space indent, final
 * newline) so the same data always gives the same bytes. */
#ifndef V2C_JSON_H
#define V2C_JSON_H

#include <jansson.h>
#include <stddef.h>

#include "error.h"

/* Guest strings (file names above all) are bytes, JSON strings are UTF-8.
 * A valid UTF-8 string is kept as it is; in one that is not, every byte
 * that is not part of a UTF-8 character, and every backslash, is written
 * "\xNN" (lowercase hex): Latin-1 "caf<e9>" reads "caf\xe9".  New string,
 * or NULL without memory. */
char *v2c_utf8_escape(const char *s);
/* The inverse, for strings read back: every "\xNN" to its byte when the
 * result is not UTF-8 (so S was an escaped string), else S unchanged (a
 * systemd unit name's "\x2d" stays).  One string cannot be told apart: a
 * UTF-8 name that really holds text such as "\xe9"; callers that exclude
 * by name (secrets) exclude both readings.  New string. */
char *v2c_utf8_unescape(const char *s);
/* New reference: a JSON string (S through v2c_utf8_escape), or null when
 * S is NULL; NULL only without memory. */
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
