/* libFuzzer target for the files a server's configuration names
 * (inspect/config-refs.c).  The first byte picks the server, the rest is
 * the main file; every include the parser asks for "matches" one file
 * holding the same input, so include loops and the depth, file and byte
 * limits are all reached from small inputs. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config-refs-internal.h"
#include "error.h"
#include "strv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fuzz_input {
        const char *data;
        size_t size;
};

static int fuzz_read_include(void *ctx, const char *pattern, v2c_include_file_cb cb, void *state,
                             struct v2c_error **err)
{
        const struct fuzz_input *in = ctx;
        return cb(state, pattern, in->data, in->size, err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size == 0)
                return 0;
        enum v2c_refs_server server = (enum v2c_refs_server) (data[0] % V2C_REFS_COUNT_);
        /* An exact-size copy, so a read past the end is caught. */
        char *copy = malloc(size - 1 ? size - 1 : 1);
        if (copy == NULL)
                return 0;
        memcpy(copy, data + 1, size - 1);
        struct fuzz_input in = { copy, size - 1 };
        struct v2c_include_reader inc = { fuzz_read_include, &in };
        char **refs = NULL;
        struct v2c_error *err = NULL;
        if (v2c_config_refs(server, "/etc/fuzz/main.conf", copy, size - 1, &inc, &refs, &err) == 0)
                for (size_t i = 0; refs && refs[i]; i++)
                        if (refs[i][0] != '/')
                                abort();
        v2c_strv_free(refs);
        v2c_error_free(err);
        free(copy);
        return 0;
}
