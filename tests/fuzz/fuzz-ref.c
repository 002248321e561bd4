/* libFuzzer target: image references and digests (common/ref.c).  The
 * input, up to its first NUL, is the reference.  Beyond not crashing, the
 * grammar must agree with itself:
 *   - reporting stray bytes by part (V2C_REF_BYTE_IN_PART) never accepts
 *     what the byte check refuses: every part's grammar refuses them too;
 *   - what passes pinned passes plain, with a digest and without a tag;
 *   - what passes, v2c_ref_parse accepts, its parts put back together give
 *     the input, and the pinned form built from it passes pinned;
 *   - a digest it accepts is one v2c_digest_valid accepts. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "ref.h"

#define DIG_C "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_parsed(const char *s)
{
        struct v2c_ref r = { 0 };
        struct v2c_error *err = NULL;
        if (v2c_ref_parse(s, &r, &err) < 0) {
                v2c_error_free(err);
                abort();
        }
        char *back = NULL;
        if (asprintf(&back, "%s/%s%s%s%s%s", r.host, r.repo, r.tag ? ":" : "", r.tag ? r.tag : "",
                     r.digest ? "@" : "", r.digest ? r.digest : "") < 0)
                abort();
        if (strcmp(back, s) != 0 || (r.digest && !v2c_digest_valid(r.digest)))
                abort();
        char *pinned = v2c_ref_format_pinned(&r, DIG_C);
        if (pinned == NULL || v2c_ref_check(pinned, V2C_REF_PINNED, NULL) != V2C_REF_OK)
                abort();
        free(pinned);
        free(back);
        v2c_ref_release(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *s = malloc(size + 1);
        if (s == NULL)
                return 0;
        memcpy(s, data, size);
        s[size] = '\0';

        struct v2c_ref_spans sp;
        enum v2c_ref_problem plain = v2c_ref_check(s, 0, &sp);
        enum v2c_ref_problem by_part = v2c_ref_check(s, V2C_REF_BYTE_IN_PART, NULL);
        enum v2c_ref_problem pinned = v2c_ref_check(s, V2C_REF_PINNED, NULL);
        enum v2c_ref_problem pinned_by_part = v2c_ref_check(s, V2C_REF_PINNED | V2C_REF_BYTE_IN_PART, NULL);
        if ((plain == V2C_REF_OK) != (by_part == V2C_REF_OK) ||
            (pinned == V2C_REF_OK) != (pinned_by_part == V2C_REF_OK))
                abort();
        if (by_part == V2C_REF_BAD_BYTE || pinned_by_part == V2C_REF_BAD_BYTE)
                abort();
        if (pinned == V2C_REF_OK && (plain != V2C_REF_OK || !sp.has_digest || sp.tag_off != 0))
                abort();
        if (plain == V2C_REF_OK)
                check_parsed(s);
        else {
                struct v2c_ref r = { .host = (char *) "untouched" };
                struct v2c_error *err = NULL;
                if (v2c_ref_parse(s, &r, &err) != -EINVAL || err == NULL || strcmp(r.host, "untouched") != 0)
                        abort();
                v2c_error_free(err);
        }
        free(s);
        return 0;
}
