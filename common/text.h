/* Walking text that came from a guest: never NUL-terminated, always
 * bounded by an end pointer. */
#ifndef V2C_TEXT_H
#define V2C_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

/* A line iterator over [p, end); lineno counts the lines returned. */
struct v2c_lines {
        const char *p, *end;
        size_t lineno;
};

/* The next line, without its '\n' nor the '\r' of a CRLF; *line points
 * into the text (borrowed).  False at the end. */
bool v2c_lines_next(struct v2c_lines *l, const char **line, size_t *len);

/* Character classes of the parsers, by hand rather than <ctype.h>: guest
 * bytes are often above 0x7f, and the answer must not depend on a locale. */
#define V2C_BLANKS " \t"
#define V2C_SPACES " \t\n\v\f\r"  /* isspace() in the C locale */
static inline bool v2c_is_blank(char c)
{
        return c == ' ' || c == '\t';
}
static inline bool v2c_is_space(char c)
{
        return v2c_is_blank(c) || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}
/* C is one of the bytes of SET (never the NUL: guest text may hold one). */
static inline bool v2c_char_in(char c, const char *set)
{
        return c != '\0' && strchr(set, c) != NULL;
}
static inline bool v2c_is_hex_digit(char c)
{
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
/* The value of the hex digit C (either case), or -1. */
static inline int v2c_hex_value(char c)
{
        return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}
/* [s, s+n) is n bytes of [0-9a-f] (digests and ids are written lowercase). */
bool v2c_is_lower_hex(const char *s, size_t n);
/* Narrows the span [*s, *s + *n) past the bytes of SET at both ends
 * (V2C_BLANKS, V2C_SPACES, or a parser's own set). */
void v2c_span_trim(const char **s, size_t *n, const char *set);

/* Spans [s, s+n) against NUL-terminated literals: equal, or starting with
 * them; _ci ignores ASCII case. */
static inline bool v2c_span_eq(const char *s, size_t n, const char *lit)
{
        return strlen(lit) == n && memcmp(s, lit, n) == 0;
}
static inline bool v2c_span_eq_ci(const char *s, size_t n, const char *lit)
{
        return strlen(lit) == n && strncasecmp(s, lit, n) == 0;
}
static inline bool v2c_span_starts(const char *s, size_t n, const char *lit)
{
        size_t l = strlen(lit);
        return n >= l && memcmp(s, lit, l) == 0;
}
static inline bool v2c_span_starts_ci(const char *s, size_t n, const char *lit)
{
        size_t l = strlen(lit);
        return n >= l && strncasecmp(s, lit, l) == 0;
}

/* Length of the valid UTF-8 character at P (1 to 4 bytes; 1 for ASCII and
 * for the NUL at the end), or 0 when the bytes there are not one (a stray
 * continuation byte, Latin-1, an overlong form, a surrogate). */
size_t v2c_utf8_seq(const char *p);
/* True when the NUL-terminated S is valid UTF-8. */
bool v2c_text_is_utf8(const char *s);
/* S made safe to show on a terminal or in a log: control bytes (a
 * terminal escape in a guest file name) and bytes that are not UTF-8 are
 * written "\\xNN"; the rest is kept, and '\\n' too with KEEP_NEWLINES (for
 * messages of several lines).  New string, or NULL without memory. */
char *v2c_text_printable(const char *s, bool keep_newlines);
/* S (several lines of a program's output) as one line of a message:
 * trailing line ends dropped, each other '\n' written " | ", then
 * printable as above.  New string, or NULL without memory. */
char *v2c_text_one_line(const char *s);

enum {
        V2C_ESCAPE_CONTROL = 1 << 0,   /* control bytes and DEL too */
        V2C_ESCAPE_KEEP_NEWLINE = 1 << 1,
        V2C_ESCAPE_BACKSLASH = 1 << 2, /* '\\' too, so that the result decodes back */
};
/* S with every byte that is not part of a UTF-8 sequence, and those FLAGS
 * name, written "\\xNN".  New string, or NULL without memory. */
char *v2c_text_escape(const char *s, unsigned flags);

#endif
