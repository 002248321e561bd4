/* v2c's single error convention.
 *
 * Every fallible function returns an int: 0 (or a non-negative count) on
 * success, a negative errno on failure, and takes `struct v2c_error **err`
 * as its last argument.  On failure *err holds a message; each layer that
 * passes the failure up adds its context in front ("reading `/etc/fstab`:
 * ..."), so the CLI prints one line that tells the whole story.
 *
 * Library code never prints and never exits; only the CLI reports errors.
 */
#ifndef V2C_ERROR_H
#define V2C_ERROR_H

#include <stdarg.h>
#include <stddef.h>

/* Why an operation failed, beyond the errno: the CLI maps these to its
 * documented exit statuses. */
enum v2c_error_kind {
        V2C_ERR_FAILURE = 0,   /* generic runtime failure */
        V2C_ERR_USAGE,         /* bad command line */
        V2C_ERR_INPUT,         /* unusable input: corrupt disk, no OS, bad file */
        V2C_ERR_REFUSED,       /* refused by policy (e.g. stateful service) */
};

struct v2c_error {
        char *msg;
        int code;                /* positive errno */
        enum v2c_error_kind kind;
};

/* Sets *err (if err is not NULL and *err is still NULL) to a new error built
 * from the format; returns -code so callers can `return v2c_error_set(...)`. */
int v2c_error_set(struct v2c_error **err, int code, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
int v2c_error_setv(struct v2c_error **err, int code, const char *fmt, va_list ap)
        __attribute__((format(printf, 3, 0)));

/* Same as v2c_error_set, and marks the error's kind. */
int v2c_error_set_kind(struct v2c_error **err, enum v2c_error_kind kind, int code,
                       const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Adds "CONTEXT: " in front of the message of *err (no-op if none);
 * returns ret unchanged so it can be used as `return v2c_error_prefix(err, ret, ...)`. */
int v2c_error_prefix(struct v2c_error **err, int ret, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* Frees an error and returns NULL; accepts NULL. */
struct v2c_error *v2c_error_free(struct v2c_error *e);

/* Moves the error: returns *err and sets *err to NULL. */
static inline struct v2c_error *v2c_error_take(struct v2c_error **err)
{
        struct v2c_error *e = *err;
        *err = NULL;
        return e;
}

#endif
