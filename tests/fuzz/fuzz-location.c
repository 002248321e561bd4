/* libFuzzer target for Location resolution (registry/auth.c): the input
 * is resolved as a Location against a fixed upload URL, and, when it holds
 * a newline, split there into a base URL and a Location.  A result must be
 * an absolute http(s) URL of visible ASCII without a fragment, and
 * resolving it again must give it back unchanged. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "error.h"
#include "registry-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char fixed_base[] = "https://registry.example:5000/v2/team/app/blobs/uploads/1f2e?_state=abc%3D";

static void check_url(const char *url)
{
        if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
                abort();
        for (const char *p = url; *p; p++)
                if ((unsigned char) *p <= ' ' || (unsigned char) *p >= 0x7f || *p == '#')
                        abort();
}

static void resolve(const char *base, const char *location)
{
        static char untouched[] = "untouched";
        char *out = untouched;
        struct v2c_error *err = NULL;
        int r = v2c_url_resolve(base, location, &out, &err);
        if (r < 0) {
                if (err == NULL || out != untouched)
                        abort();
                v2c_error_free(err);
                return;
        }
        if (err != NULL || out == NULL || out == untouched)
                abort();
        check_url(out);
        if (strlen(out) > strlen(base) + strlen(location) + 1)
                abort();
        /* An absolute URL without dot segments resolves to itself. */
        _cleanup_free_ char *again = NULL;
        if (v2c_url_resolve(fixed_base, out, &again, NULL) != 0 || strcmp(again, out) != 0)
                abort();
        free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        _cleanup_free_ char *s = malloc(size + 1);
        if (s == NULL)
                return 0;
        memcpy(s, data, size);
        s[size] = '\0';   /* a NUL inside ends the string early, like C headers */
        resolve(fixed_base, s);
        char *nl = strchr(s, '\n');
        if (nl) {
                *nl = '\0';
                resolve(s, nl + 1);
        }
        return 0;
}
