/* Walking text that came from a guest: never NUL-terminated, always
 * bounded by an end pointer. */
#ifndef V2C_TEXT_H
#define V2C_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/* A line iterator over [p, end); lineno counts the lines returned. */
struct v2c_lines {
        const char *p, *end;
        size_t lineno;
};

/* The next line, without its '\n' nor the '\r' of a CRLF; *line points
 * into the text (borrowed).  False at the end. */
bool v2c_lines_next(struct v2c_lines *l, const char **line, size_t *len);

#endif
