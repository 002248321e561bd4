/* Text helpers; see text.h. */
#include "text.h"
#include "cleanup.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool v2c_lines_next(struct v2c_lines *l, const char **line, size_t *len)
{
        if (l->p >= l->end)
                return false;
        const char *s = l->p;
        const char *nl = memchr(s, '\n', (size_t) (l->end - s));
        const char *e = nl ? nl : l->end;
        l->p = nl ? nl + 1 : l->end;
        if (e > s && e[-1] == '\r')
                e--;
        *line = s;
        *len = (size_t) (e - s);
        l->lineno++;
        return true;
}

bool v2c_is_lower_hex(const char *s, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
                        return false;
        return true;
}

void v2c_span_trim(const char **s, size_t *n, const char *set)
{
        while (*n > 0 && v2c_char_in(**s, set)) {
                (*s)++;
                (*n)--;
        }
        while (*n > 0 && v2c_char_in((*s)[*n - 1], set))
                (*n)--;
}

size_t v2c_utf8_seq(const char *s)
{
        const unsigned char *p = (const unsigned char *) s;
        /* Each test stops at the first byte that is not a continuation, so
         * a NUL is never read past. */
        if (p[0] < 0x80)
                return 1;
        if (p[0] >= 0xc2 && p[0] <= 0xdf)
                return (p[1] & 0xc0) == 0x80 ? 2 : 0;
        if (p[0] >= 0xe0 && p[0] <= 0xef) {
                if ((p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80)
                        return 0;
                if ((p[0] == 0xe0 && p[1] < 0xa0) || (p[0] == 0xed && p[1] >= 0xa0))
                        return 0; /* overlong, surrogate */
                return 3;
        }
        if (p[0] >= 0xf0 && p[0] <= 0xf4) {
                if ((p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80 || (p[3] & 0xc0) != 0x80)
                        return 0;
                if ((p[0] == 0xf0 && p[1] < 0x90) || (p[0] == 0xf4 && p[1] >= 0x90))
                        return 0;
                return 4;
        }
        return 0;
}

bool v2c_text_is_utf8(const char *s)
{
        while (*s) {
                size_t k = v2c_utf8_seq(s);
                if (k == 0)
                        return false;
                s += k;
        }
        return true;
}

char *v2c_text_escape(const char *s, unsigned flags)
{
        size_t n = strlen(s);
        char *out = malloc(4 * n + 1);
        if (out == NULL)
                return NULL;
        size_t w = 0;
        while (*s) {
                unsigned char c = (unsigned char) *s;
                size_t k = v2c_utf8_seq(s);
                bool control = (c < 0x20 && !(c == '\n' && (flags & V2C_ESCAPE_KEEP_NEWLINE))) || c == 0x7f;
                if (k == 0 || (control && (flags & V2C_ESCAPE_CONTROL)) ||
                    (c == '\\' && (flags & V2C_ESCAPE_BACKSLASH))) {
                        w += (size_t) sprintf(out + w, "\\x%02x", c);
                        s++;
                        continue;
                }
                memcpy(out + w, s, k);
                w += k;
                s += k;
        }
        out[w] = '\0';
        return out;
}

char *v2c_text_printable(const char *s, bool keep_newlines)
{
        return v2c_text_escape(s, V2C_ESCAPE_CONTROL | (keep_newlines ? V2C_ESCAPE_KEEP_NEWLINE : 0));
}

char *v2c_text_one_line(const char *s)
{
        size_t n = strlen(s);
        while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
                n--;
        _cleanup_free_ char *joined = malloc(3 * n + 1);
        if (joined == NULL)
                return NULL;
        size_t w = 0;
        for (size_t i = 0; i < n; i++) {
                if (s[i] == '\n') {
                        memcpy(joined + w, " | ", 3);
                        w += 3;
                } else
                        joined[w++] = s[i];
        }
        joined[w] = '\0';
        return v2c_text_printable(joined, false);
}
