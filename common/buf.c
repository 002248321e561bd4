/* Bounded buffers; see buf.h. */
#include "buf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void v2c_buf_init(struct v2c_buf *b, size_t max)
{
        b->data = NULL;
        b->len = 0;
        b->cap = 0;
        b->max = max;
}

int v2c_buf_append(struct v2c_buf *b, const void *data, size_t len)
{
        if (len > b->max || b->len > b->max - len)
                return -E2BIG;
        if (b->len + len + 1 > b->cap) {
                size_t ncap = b->cap ? b->cap : 64;
                while (ncap < b->len + len + 1)
                        ncap *= 2;
                if (ncap > b->max + 1)
                        ncap = b->max + 1;
                char *n = realloc(b->data, ncap);
                if (n == NULL)
                        return -ENOMEM;
                b->data = n;
                b->cap = ncap;
        }
        if (len)
                memcpy(b->data + b->len, data, len);
        b->len += len;
        b->data[b->len] = '\0';
        return 0;
}

int v2c_buf_appends(struct v2c_buf *b, const char *s)
{
        return v2c_buf_append(b, s, strlen(s));
}

int v2c_buf_appendf(struct v2c_buf *b, const char *fmt, ...)
{
        char *s = NULL;
        va_list ap;
        va_start(ap, fmt);
        int n = vasprintf(&s, fmt, ap);
        va_end(ap);
        if (n < 0)
                return -ENOMEM;
        int r = v2c_buf_append(b, s, (size_t) n);
        free(s);
        return r;
}

void v2c_buf_reset(struct v2c_buf *b)
{
        b->len = 0;
        if (b->data)
                b->data[0] = '\0';
}

void v2c_buf_release(struct v2c_buf *b)
{
        free(b->data);
        b->data = NULL;
        b->len = b->cap = 0;
}

char *v2c_buf_steal(struct v2c_buf *b)
{
        char *s = b->data ? b->data : strdup("");
        b->data = NULL;
        b->len = b->cap = 0;
        return s;
}
