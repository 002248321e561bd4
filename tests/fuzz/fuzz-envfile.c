/* libFuzzer target: an environment file through v2c_envfile_parse(), then
 * the same bytes through v2c_shell_split() with the variables it gave, so
 * that $NAME and ${NAME:-word} expansion runs on hostile values too. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "strv.h"
#include "unit-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct v2c_error *err = NULL;
        char **env = NULL;
        size_t invalid = 0;
        if (v2c_envfile_parse((const char *) data, size, &env, &invalid, &err) < 0) {
                v2c_error_free(err);
                return 0;
        }
        for (size_t i = 0; env[i]; i++)
                if (strchr(env[i], '=') == NULL)
                        abort();  /* every entry must be KEY=VALUE */

        struct v2c_shell_words w = { 0 };
        if (v2c_shell_split((const char *) data, size, env, &w, &err) == 0)
                v2c_shell_words_release(&w);
        v2c_error_free(err);
        v2c_strv_free(env);
        return 0;
}
