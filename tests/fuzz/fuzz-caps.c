/* libFuzzer target: file capability values (caps.c), copied into a buffer
 * of exactly their size so that ASan sees any read past the end. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "caps.h"
#include "strv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        unsigned char *copy = malloc(size ? size : 1);
        if (copy == NULL)
                return 0;
        memcpy(copy, data, size);
        char **names = NULL;
        bool effective;
        if (v2c_caps_decode(copy, size, &names, &effective) == 0)
                v2c_strv_free(names);
        free(copy);
        return 0;
}
