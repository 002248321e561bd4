/* The error object every layer of v2c passes up; see error.h. */
#include "error.h"
#include "text.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct v2c_error oom_error = { (char *) "out of memory", ENOMEM, V2C_ERR_FAILURE };

/* Messages name guest files, and a file name is any bytes but '/' and NUL:
 * a terminal escape or a Latin-1 byte must not reach the operator's
 * terminal or a UTF-8 log as is.  Our own formats are printable ASCII, so
 * escaping the whole message is the same as escaping each guest string,
 * and doing it again (when context is added) changes nothing.  Newlines
 * stay: some messages list one problem a line (playbook checks), so a
 * newline in a guest name can still start a line, but not a terminal
 * control sequence. */
static void make_printable(char **msg)
{
        char *p = v2c_text_printable(*msg, true);
        if (p) {
                free(*msg);
                *msg = p;
        }
}

int v2c_error_setv(struct v2c_error **err, int code, const char *fmt, va_list ap)
{
        if (code < 0)
                code = -code;
        if (code == 0)
                code = EIO;
        if (err == NULL || *err != NULL)
                return -code;

        struct v2c_error *e = calloc(1, sizeof *e);
        if (e == NULL) {
                *err = &oom_error;
                return -code;
        }
        if (vasprintf(&e->msg, fmt, ap) < 0) {
                free(e);
                *err = &oom_error;
                return -code;
        }
        make_printable(&e->msg);
        e->code = code;
        e->kind = V2C_ERR_FAILURE;
        *err = e;
        return -code;
}

int v2c_error_set(struct v2c_error **err, int code, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        int r = v2c_error_setv(err, code, fmt, ap);
        va_end(ap);
        return r;
}

int v2c_error_set_kind(struct v2c_error **err, enum v2c_error_kind kind, int code,
                       const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        bool fresh = err != NULL && *err == NULL;
        int r = v2c_error_setv(err, code, fmt, ap);
        va_end(ap);
        if (fresh && *err != &oom_error)
                (*err)->kind = kind;
        return r;
}

int v2c_error_prefix(struct v2c_error **err, int ret, const char *fmt, ...)
{
        if (err == NULL || *err == NULL || *err == &oom_error)
                return ret;

        char *ctx = NULL, *msg = NULL;
        va_list ap;
        va_start(ap, fmt);
        int n = vasprintf(&ctx, fmt, ap);
        va_end(ap);
        if (n < 0)
                return ret;
        if (asprintf(&msg, "%s: %s", ctx, (*err)->msg) < 0) {
                free(ctx);
                return ret;
        }
        free(ctx);
        make_printable(&msg);
        free((*err)->msg);
        (*err)->msg = msg;
        return ret;
}

struct v2c_error *v2c_error_free(struct v2c_error *e)
{
        if (e == NULL || e == &oom_error)
                return NULL;
        free(e->msg);
        free(e);
        return NULL;
}
