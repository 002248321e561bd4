/* libFuzzer target: one ExecStart= value through v2c_exec_parse() (with
 * specifiers and $VARIABLES to resolve) and v2c_specifiers_expand().
 * Values reach these functions NUL-terminated, out of a parsed unit, so
 * the input is copied and terminated first. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "strv.h"
#include "unit-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size > V2C_PARSE_MAX_LINE + 16)
                return 0;
        char *value = malloc(size + 1);
        if (value == NULL)
                return 0;
        memcpy(value, data, size);
        value[size] = '\0';

        char *env[] = { "FOO=a b \"c d\"", "BAR=$FOO ${FOO}", "Q='unbalanced", "EMPTY=", NULL };
        const struct v2c_unit_context ctx = {
                .unit_name = "web-app@inst\\x2dx-y.service",
                .hostname = "host.example.com",
                .machine_id = "0123456789abcdef0123456789abcdef",
                .user = "www",
                .home = "/var/www",
                .environment = env,
        };

        struct v2c_error *err = NULL;
        struct v2c_exec *e = NULL;
        if (v2c_exec_parse(value, &ctx, &e, &err) == 0) {
                /* what a caller does with the result */
                for (size_t i = 0; e->argv[i]; i++)
                        (void) strlen(e->argv[i]);
                (void) strlen(e->path);
                v2c_exec_free(e);
        }
        err = v2c_error_free(err);
        if (v2c_exec_parse(value, NULL, &e, &err) == 0)
                v2c_exec_free(e);
        err = v2c_error_free(err);

        char *out = NULL;
        char **unresolved = NULL;
        unsigned warnings = 0;
        if (v2c_specifiers_expand(value, &ctx, &out, &warnings, &unresolved, &err) == 0)
                free(out);
        v2c_strv_free(unresolved);
        v2c_error_free(err);
        free(value);
        return 0;
}
