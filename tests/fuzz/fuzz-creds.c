/* libFuzzer target for credential files and token replies
 * (registry/auth.c): the input is looked up as an auth.json / config.json
 * for a few hosts, and parsed as a token reply.  Found credentials have a
 * user; tokens are non-empty visible ASCII with a lifetime within bounds;
 * failures leave the outputs alone and say why. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "error.h"
#include "registry-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const hosts[] = { "quay.io", "docker.io", "localhost:5000", "registry.example.com" };

static void creds(const char *data, size_t size, const char *host)
{
        static char untouched[] = "untouched";
        char *user = untouched, *pass = untouched;
        struct v2c_error *err = NULL;
        int r = v2c_creds_parse(data, size, host, &user, &pass, &err);
        if (r < 0) {
                if (err == NULL || user != untouched || pass != untouched)
                        abort();
                v2c_error_free(err);
        } else if (r == 0) {
                if (err != NULL || user != untouched || pass != untouched)
                        abort();
        } else {
                if (r != 1 || err != NULL || user == NULL || pass == NULL || user == untouched || *user == '\0')
                        abort();
                free(user);
                free(pass);
        }
}

static void token(const char *data, size_t size)
{
        static char untouched[] = "untouched";
        char *t = untouched;
        long expires = -1;
        struct v2c_error *err = NULL;
        int r = v2c_token_parse(data, size, &t, &expires, &err);
        if (r < 0) {
                if (err == NULL || t != untouched || expires != -1)
                        abort();
                v2c_error_free(err);
                return;
        }
        if (r != 0 || err != NULL || t == NULL || *t == '\0' || expires < 1 || expires > 86400)
                abort();
        for (const char *p = t; *p; p++)
                if ((unsigned char) *p <= ' ' || (unsigned char) *p >= 0x7f)
                        abort();
        free(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        for (size_t i = 0; i < V2C_ARRAY_SIZE(hosts); i++)
                creds((const char *) data, size, hosts[i]);
        token((const char *) data, size);
        return 0;
}
