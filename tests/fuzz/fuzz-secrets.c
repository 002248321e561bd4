/* libFuzzer target for the secret detectors (inspect/secrets.c).  The
 * first byte picks the path the content is classified under (each named
 * format has its own rules); the rest goes to the classifier, the env-name
 * extractor, the variable-name check and, as a path, to the path filter. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "error.h"
#include "secrets.h"
#include "strv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static const char *const paths[] = {
                NULL, "/root/.pgpass", "/root/.netrc", "/etc/nginx/.htpasswd",
                "/etc/ssh/ssh_host_rsa_key", "/srv/app/.env", "/root/.aws/credentials",
                "/srv/sa.json", "/srv/x",
        };
        if (size == 0)
                return 0;
        const char *path = paths[data[0] % V2C_ARRAY_SIZE(paths)];
        const char *rest = (const char *) data + 1;
        size_t rest_size = size - 1;

        unsigned kinds = 0;
        struct v2c_error *err = NULL;
        if (v2c_secret_classify(path, rest, rest_size, &kinds, &err) < 0)
                abort();   /* input is far below the size limit */
        if (kinds >> V2C_SECRET_KIND_COUNT)
                abort();
        char **kind_names = NULL;
        if (v2c_secret_kind_names(kinds, &kind_names, NULL) == 0)
                v2c_strv_free(kind_names);

        char **names = NULL;
        if (v2c_secret_env_names(rest, rest_size, &names, &err) == 0) {
                /* Every name returned must itself be a secret name, or carry
                 * a URL password; and never be longer than the cap. */
                for (size_t i = 0; names && names[i]; i++)
                        if (strlen(names[i]) > V2C_SECRET_MAX_NAME)
                                abort();
                v2c_strv_free(names);
        }
        err = v2c_error_free(err);

        (void) v2c_secret_var_is_secret(rest, rest_size < 300 ? rest_size : 300);

        _cleanup_free_ char *as_path = malloc(rest_size + 1);
        if (as_path) {
                memcpy(as_path, rest, rest_size);
                as_path[rest_size] = '\0';
                (void) v2c_secret_name_is_candidate(as_path);
        }
        return 0;
}
