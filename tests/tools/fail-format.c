/* Fault injection for the integration tests, loaded with LD_PRELOAD:
 * asprintf and vasprintf fail as glibc's do when memory runs out (-1,
 * errno ENOMEM) for the one format string $V2C_FAIL_FORMAT names, and
 * work as usual for every other.  A test reaches this way a failure path
 * that only an allocation failure takes, and checks that v2c says what
 * went wrong there (one line on stderr) instead of exiting silently. */
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool chosen(const char *fmt)
{
        const char *f = getenv("V2C_FAIL_FORMAT");
        return f && fmt && strcmp(f, fmt) == 0;
}

int vasprintf(char **out, const char *fmt, va_list ap)
{
        static int (*next)(char **, const char *, va_list);
        if (chosen(fmt)) {
                errno = ENOMEM;
                return -1;
        }
        if (next == NULL)
                next = (int (*)(char **, const char *, va_list)) dlsym(RTLD_NEXT, "vasprintf");
        if (next == NULL) {
                errno = ENOSYS;
                return -1;
        }
        return next(out, fmt, ap);
}

int asprintf(char **out, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        int r = vasprintf(out, fmt, ap);
        va_end(ap);
        return r;
}
