/* stderr logging with a level; see log.h. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>

static enum v2c_log_level current = V2C_LOG_WARNING;

void v2c_log_set_level(enum v2c_log_level level) { current = level; }
enum v2c_log_level v2c_log_get_level(void) { return current; }

void v2c_log(enum v2c_log_level level, const char *fmt, ...)
{
        static const char *const prefix[] = { "error", "warning", "info", "debug" };
        if (level > current)
                return;
        va_list ap;
        va_start(ap, fmt);
        flockfile(stderr);
        fprintf(stderr, "v2c: %s: ", prefix[level]);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
        funlockfile(stderr);
        va_end(ap);
}
