/* NULL-terminated string vectors (`char **`), owned element by element.
 * Functions returning int follow the error convention of error.h minus the
 * error object: 0 or -ENOMEM. */
#ifndef V2C_STRV_H
#define V2C_STRV_H

#include <stdbool.h>
#include <stddef.h>

/* Appends a copy of s to *v (which may be NULL). */
int v2c_strv_push(char ***v, const char *s);
/* Appends s itself (stolen, even on failure, where it is freed). */
int v2c_strv_consume(char ***v, char *s);
/* Appends s unless an equal string is already there. */
int v2c_strv_push_unique(char ***v, const char *s);
size_t v2c_strv_len(char *const *v);
bool v2c_strv_contains(char *const *v, const char *s);
/* Sorts in strcmp order and drops duplicates. */
void v2c_strv_sort_uniq(char **v);
/* Returns a deep copy (new); NULL stays NULL; NULL on ENOMEM sets *ok=false. */
char **v2c_strv_copy(char *const *v);
/* Frees every element and the vector; returns NULL. */
char **v2c_strv_free(char **v);

/* A strv that knows its length, for vectors built by many appends
 * (v2c_strv_consume counts them each time): `v` stays NULL-terminated and
 * is a plain strv to v2c_strv_free or to hand out.  Zero-initialised is
 * empty. */
struct v2c_strvec {
        char **v;
        size_t n, cap;
};
/* Appends s itself (stolen, even on failure, where it is freed). */
int v2c_strvec_consume(struct v2c_strvec *sv, char *s);
/* Frees the strings and the vector, leaving it empty. */
void v2c_strvec_release(struct v2c_strvec *sv);

static inline void v2c_strv_freep(char ***v) { v2c_strv_free(*v); }
#define _cleanup_strv_ __attribute__((cleanup(v2c_strv_freep)))

#endif
