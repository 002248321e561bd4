/* libFuzzer target: ELF headers and "#!" lines (elf.c).  The input is
 * copied into a buffer of exactly its size so that ASan sees any read
 * past the end. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "elf.h"
#include "error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        unsigned char *copy = malloc(size ? size : 1);
        if (copy == NULL)
                return 0;
        memcpy(copy, data, size);
        struct v2c_error *err = NULL;

        (void) v2c_is_elf(copy, size);
        struct v2c_elf_info *info = NULL;
        if (v2c_elf_parse(copy, size, &info, &err) == 0) {
                (void) v2c_elf_machine_arch(info->machine, info->elf_class, info->big_endian);
                v2c_elf_info_free(info);
        }
        err = v2c_error_free(err);

        struct v2c_shebang *sb = NULL;
        if (v2c_shebang_parse(copy, size, &sb, &err) == 1)
                v2c_shebang_free(sb);
        v2c_error_free(err);
        free(copy);
        return 0;
}
