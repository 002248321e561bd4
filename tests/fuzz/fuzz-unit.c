/* libFuzzer target: a unit file and one drop-in (the input cut in two at
 * a point its first byte picks), then every getter over what was parsed,
 * ExecStart=-style keys through v2c_unit_get_exec(). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "strv.h"
#include "unit-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size == 0)
                return 0;
        size_t cut = (size_t) data[0] * (size - 1) / 255;
        const char *d = (const char *) data + 1;
        const struct v2c_unit_file main_file = { "x.service", d, cut };
        const struct v2c_unit_file dropin = { "10-y.conf", d + cut, size - 1 - cut };

        struct v2c_unit *u = NULL;
        struct v2c_error *err = NULL;
        if (v2c_unit_load(&main_file, &dropin, 1, &u, &err) < 0) {
                v2c_error_free(err);
                return 0;
        }

        char *env[] = { "FOO=a b", "BAR='x y' z", "EMPTY=", NULL };
        const struct v2c_unit_context ctx = {
                .unit_name = "a-b@c\\x2dd.service",
                .hostname = "h.example",
                .user = "u",
                .environment = env,
        };
        for (size_t i = 0; i < u->n_sections; i++) {
                const struct v2c_unit_section *s = &u->sections[i];
                for (size_t j = 0; j < s->n_keys; j++) {
                        const char *k = s->keys[j].name;
                        (void) v2c_unit_get(u, s->name, k);
                        (void) v2c_unit_get_values(u, s->name, k);
                        (void) v2c_unit_key_is_list(k);
                        char **list = NULL;
                        if (v2c_unit_get_list(u, s->name, k, &list, &err) == 0)
                                v2c_strv_free(list);
                        err = v2c_error_free(err);
                        if (strncmp(k, "Exec", 4) == 0) {
                                struct v2c_exec **ex = NULL;
                                size_t bad = 0;
                                if (v2c_unit_get_exec(u, s->name, k, &ctx, &ex, &bad, &err) == 0)
                                        v2c_exec_list_free(ex);
                                err = v2c_error_free(err);
                        }
                }
        }
        v2c_unit_free(u);
        return 0;
}
