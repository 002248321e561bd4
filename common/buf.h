/* Bounded growable buffers (like curl's dynbuf): every buffer gets its
 * maximum size when it is created, so input can never make it grow without
 * limit.  The content is always NUL-terminated. */
#ifndef V2C_BUF_H
#define V2C_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct v2c_buf {
        char *data;      /* owned; NUL-terminated, NULL until first append */
        size_t len;
        size_t cap;
        size_t max;      /* hard limit on len */
};

void v2c_buf_init(struct v2c_buf *b, size_t max);
/* Returns 0, or -E2BIG when the limit would be passed, or -ENOMEM. */
int v2c_buf_append(struct v2c_buf *b, const void *data, size_t len);
int v2c_buf_appends(struct v2c_buf *b, const char *s);
int v2c_buf_appendf(struct v2c_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void v2c_buf_reset(struct v2c_buf *b);
/* Frees the content; the buffer can be reused after v2c_buf_init. */
void v2c_buf_release(struct v2c_buf *b);
/* Returns the content (new, caller frees; "" if empty) and resets the buffer. */
char *v2c_buf_steal(struct v2c_buf *b);

#define _cleanup_buf_ __attribute__((cleanup(v2c_buf_release)))

#endif
