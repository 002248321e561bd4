/* libFuzzer target: a package's tmpfiles.d bytes through
 * convert_tmpfiles_parse().  Every directory it gives must be normalized,
 * strictly under one of the run-time roots, with a mode of at most 07777,
 * no specifier, no two alike, and no more than the cap. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "convert-internal.h"
#include "error.h"
#include "path.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct v2c_error *err = NULL;
        struct convert_tmpdir *d = NULL;
        size_t n = 0;
        if (convert_tmpfiles_parse((const char *) data, size, 8, &d, &n, &err) < 0) {
                v2c_error_free(err);
                return 0;
        }
        static const char *const roots[] = { "/run", "/var/run", "/var/lib", "/var/log", "/var/cache" };
        if (n > 8)
                abort();
        for (size_t i = 0; i < n; i++) {
                bool under = false;
                for (size_t k = 0; k < sizeof roots / sizeof roots[0]; k++)
                        under |= strcmp(d[i].path, roots[k]) != 0 && v2c_path_is_under(d[i].path, roots[k]);
                if (!under || strstr(d[i].path, "/../") || strstr(d[i].path, "/./") || strstr(d[i].path, "//") ||
                    strchr(d[i].path, '%') || d[i].mode > 07777 || strlen(d[i].user) >= sizeof d[i].user)
                        abort();
                for (size_t k = 0; k < i; k++)
                        if (strcmp(d[i].path, d[k].path) == 0)
                                abort();
        }
        convert_tmpfiles_free(d, n);
        return 0;
}
