/* Text helpers; see text.h. */
#include "text.h"

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
