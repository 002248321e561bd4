/* libFuzzer target: the readers (disk-chain.c) that decide, before qemu
 * opens a disk image, which other files it names: the qcow2 header and a
 * VMDK descriptor's extent lines.  The input is copied into a buffer of
 * exactly its size so that ASan sees any read past it. */
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
        char *extent = NULL;
        if (v2c_vmdk_first_extent((const char *) copy, size, &extent) == 0)
                free(extent);
        free(copy);
        return 0;
}
