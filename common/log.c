/* stderr logging with a level; see log.h. */
#include "log.h"
#include "progress.h"
#include "text.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

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
        char *msg = NULL;
        int n = vasprintf(&msg, fmt, ap);
        va_end(ap);
        /* Messages name guest files: no terminal escape, no stray byte
         * (see v2c_text_printable). */
        char *shown = n >= 0 ? v2c_text_printable(msg, false) : NULL;
        char *line = NULL;
        if (asprintf(&line, "v2c: %s: %s\n", prefix[level], shown ? shown : n >= 0 ? msg : "(out of memory)") >= 0) {
                /* Erases the progress region and prints in one step. */
                v2c_progress_message(line);
                free(line);
        }
        free(shown);
        free(msg);
}
