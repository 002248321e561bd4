/* libFuzzer target: OpenRC scripts and conf.d files through the
 * assignment reader of inspect/openrc.c. */
#include <stdint.h>
#include <stdlib.h>

#include "openrc-internal.h"
#include "strv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char **vars = NULL;
        v2c_strv_push(&vars, "RC_SVCNAME=svc");
        (void) v2c_openrc_assignments((const char *) data, size, &vars);
        /* A second file on top of the first, as conf.d then init.d. */
        (void) v2c_openrc_assignments((const char *) data, size / 2, &vars);
        v2c_strv_free(vars);
        return 0;
}
