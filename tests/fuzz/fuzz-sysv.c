/* libFuzzer target: an init script through v2c_sysv_parse() (with some
 * /etc/default values to merge), and its lines as /etc/rcN.d entry names
 * through v2c_sysv_enabled(). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "strv.h"
#include "text.h"
#include "unit-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *defaults[] = { "DAEMON_OPTS=-v", "NAME=x", "DAEMON=/opt/x", NULL };
        struct v2c_sysv_script *s = NULL;
        struct v2c_error *err = NULL;
        if (v2c_sysv_parse((const char *) data, size, defaults, &s, &err) == 0)
                v2c_sysv_script_free(s);
        err = v2c_error_free(err);

        /* Entry names come NUL-terminated from a directory listing. */
        char **names[7] = { NULL };
        struct v2c_lines lines = { (const char *) data, (const char *) data + size, 0 };
        const char *l;
        size_t n, i = 0;
        while (v2c_lines_next(&lines, &l, &n) && i < 1000) {
                char *name = strndup(l, n);
                if (name == NULL || v2c_strv_consume(&names[2 + i++ % 4], name) < 0)
                        break;
        }
        char *const *const rc[7] = { names[0], names[1], names[2], names[3],
                                     names[4], names[5], names[6] };
        char **enabled = NULL;
        if (v2c_sysv_enabled(rc, &enabled, &err) == 0)
                v2c_strv_free(enabled);
        v2c_error_free(err);
        for (int k = 0; k < 7; k++)
                v2c_strv_free(names[k]);
        return 0;
}
