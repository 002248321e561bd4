/* libFuzzer target: a Prometheus /api/v1/query reply through
 * v2c_probe_parse_prometheus(): a number, NaN, or an error; never a crash. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "probe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct v2c_error *err = NULL;
        double v = 0;
        if (v2c_probe_parse_prometheus((const char *) data, size, &v, &err) < 0 && err == NULL)
                abort();   /* a failure always says why */
        v2c_error_free(err);
        return 0;
}
