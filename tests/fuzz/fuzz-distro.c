/* libFuzzer target: the release files of guests without os-release
 * (v2c_distro_parse_redhat, v2c_distro_parse_suse) and ID_LIKE splitting. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "distro-internal.h"
#include "strv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct v2c_distro d = { 0 };
        if (v2c_distro_parse_redhat((const char *) data, size, &d) == 0) {
                if (d.id == NULL || (d.pretty_name && strlen(d.pretty_name) > 4096))
                        abort();
                v2c_distro_release(&d);
        }
        if (v2c_distro_parse_suse((const char *) data, size, &d) == 0) {
                if (d.id == NULL)
                        abort();
                v2c_distro_release(&d);
        }
        char *s = strndup((const char *) data, size);
        char **like = NULL;
        if (s && v2c_distro_split_like(s, &like) == 0 && v2c_strv_len(like) > 16)
                abort();
        v2c_strv_free(like);
        free(s);
        return 0;
}
