/* libFuzzer target: the qcow2 header reader (disk-chain.c) that decides,
 * before qemu opens an image, which files it names; the input is copied
 * into a buffer of exactly its size so that ASan sees any read past it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "guest-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        unsigned char *copy = malloc(size ? size : 1);
        if (copy == NULL)
                return 0;
        memcpy(copy, data, size);
        struct v2c_disk_refs refs;
        struct v2c_error *err = NULL;
        if (v2c_qcow2_refs(copy, size, &refs, &err) == 0)
                v2c_disk_refs_release(&refs);
        v2c_error_free(err);
        free(copy);
        return 0;
}
