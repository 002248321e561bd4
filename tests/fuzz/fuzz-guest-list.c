/* libFuzzer target: the manifest of `v2c inspect --manifest`
 * (v2c_guest_list_parse): every guest named safely and uniquely, with
 * one to V2C_GUEST_DISKS_MAX disks. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "guest-list.h"
#include "strv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct v2c_guest_spec *v = NULL;
        size_t n = 0;
        struct v2c_error *err = NULL;
        if (v2c_guest_list_parse((const char *) data, size, &v, &n, &err) < 0) {
                if (err == NULL || v != NULL)
                        abort();
                v2c_error_free(err);
                return 0;
        }
        if (n == 0 || n > V2C_GUEST_LIST_MAX)
                abort();
        for (size_t i = 0; i < n; i++) {
                const char *name = v[i].name;
                size_t len = strlen(name), nd = v2c_strv_len(v[i].disks);
                if (len == 0 || len > V2C_GUEST_NAME_MAX || name[0] == '.' || strspn(name,
                    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != len)
                        abort();
                if (nd == 0 || nd > V2C_GUEST_DISKS_MAX)
                        abort();
                for (size_t k = 0; k < i; k++)
                        if (strcmp(v[k].name, name) == 0)
                                abort();
        }
        v2c_guest_specs_free(v, n);
        return 0;
}
