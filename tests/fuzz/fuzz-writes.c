/* libFuzzer target: a script through v2c_script_accesses() in the
 * language its first byte picks (shell, Python, Perl), with a few known
 * variables, every access through v2c_path_place() and
 * v2c_is_database_file(), and the same bytes as a compiled program
 * through v2c_binary_data_paths(). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "strv.h"
#include "writes-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static const enum v2c_script_lang langs[] = { V2C_SCRIPT_SHELL, V2C_SCRIPT_PYTHON, V2C_SCRIPT_PERL };
        char *vars[] = { "NAME=ledger", "DATA=/var/lib/ledger", "DAEMON_OPTS=--listen 0.0.0.0:1", NULL };
        char *names[] = { "ledger", "ledger-pkg", NULL };
        if (size == 0)
                return 0;
        enum v2c_script_lang lang = langs[data[0] % 3];
        const char *text = (const char *) data + 1;
        size_t len = size - 1;

        struct v2c_accesses a = { 0 };
        struct v2c_error *err = NULL;
        if (v2c_script_accesses(lang, text, len, vars, &a, &err) == 0) {
                for (size_t i = 0; i < a.n; i++) {
                        (void) v2c_path_place(a.items[i].path, names);
                        (void) v2c_is_database_file(a.items[i].path);
                        if (a.items[i].known_len > strlen(a.items[i].path))
                                abort();
                }
                v2c_accesses_release(&a);
        }
        v2c_error_free(err);

        char **paths = NULL;
        if (v2c_binary_data_paths(text, len, names, &paths) == 0)
                v2c_strv_free(paths);
        return 0;
}
