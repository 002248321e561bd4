/* libFuzzer target: a guest's shell script through convert_sh_scan().
 * Every command it gives must be a literal name or an absolute path
 * without "..", every sourced file absolute, none longer than a name can
 * be, and no more of each than the cap. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "convert-internal.h"
#include "error.h"
#include "strv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(char **v, bool absolute)
{
        if (v2c_strv_len(v) > 16)
                abort();
        for (size_t i = 0; v && v[i]; i++) {
                size_t l = strlen(v[i]);
                if (l == 0 || l > 255 || (absolute && v[i][0] != '/') || strstr(v[i], "/../") ||
                    strspn(v[i], "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.+/") != l)
                        abort();
                if (strchr(v[i], '/') && v[i][0] != '/')
                        abort();
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct v2c_error *err = NULL;
        char **cmds = NULL, **srcs = NULL;
        if (convert_sh_scan((const char *) data, size, 16, &cmds, &srcs, &err) < 0) {
                v2c_error_free(err);
                return 0;
        }
        check(cmds, false);
        check(srcs, true);
        v2c_strv_free(cmds);
        v2c_strv_free(srcs);
        return 0;
}
