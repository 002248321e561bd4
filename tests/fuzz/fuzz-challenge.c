/* libFuzzer target for WWW-Authenticate parsing (registry/auth.c): the
 * whole input is one header value.  A success must hold a Bearer or Basic
 * challenge with values inside the limits; a failure must say why and
 * leave the output alone. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "registry-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_value(const char *v)
{
        if (v && strlen(v) > 4096)
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static char untouched[] = "untouched";
        struct v2c_challenge c = { .scheme = untouched };
        struct v2c_error *err = NULL;
        int r = v2c_challenge_parse((const char *) data, size, &c, &err);
        if (r < 0) {
                if (err == NULL || c.scheme != untouched || c.realm || c.service || c.scope || c.error)
                        abort();
                v2c_error_free(err);
                return 0;
        }
        if (r != 0 || err != NULL || c.scheme == NULL)
                abort();
        if (strcmp(c.scheme, "bearer") != 0 && strcmp(c.scheme, "basic") != 0)
                abort();
        check_value(c.realm);
        check_value(c.service);
        check_value(c.scope);
        check_value(c.error);
        v2c_challenge_release(&c);
        return 0;
}
