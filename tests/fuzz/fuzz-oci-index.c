/* libFuzzer target for a layout's index.json (common/oci-layout.c): a
 * layout handed to push or convert --base is input.  The first byte picks
 * the ref name asked for, the rest is the document.  What pick returns
 * must be a checked sha256 digest, and only when exactly one entry carries
 * the name (or, without one, the index lists exactly one image). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cleanup.h"
#include "error.h"
#include "oci-layout.h"
#include "ref.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const names[] = { NULL, "web", "", "latest", "a:b", "\xc3\xa9" };

/* The entries of INDEX (the parsed document) that NAME would pick, counted
 * here without the module's code. */
static size_t matches(const json_t *ms, const char *name)
{
        if (name == NULL)
                return json_array_size(ms);
        size_t i, n = 0;
        const json_t *m;
        json_array_foreach(ms, i, m) {
                const char *ref = json_string_value(json_object_get(json_object_get(m, "annotations"), V2C_OCI_REF_NAME));
                n += ref && strcmp(ref, name) == 0;
        }
        return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size == 0)
                return 0;
        const char *name = names[data[0] % V2C_ARRAY_SIZE(names)];
        struct v2c_oci_index *sentinel = (struct v2c_oci_index *) &sentinel;
        struct v2c_oci_index *idx = sentinel;
        struct v2c_error *err = NULL;
        int r = v2c_oci_index_parse((const char *) data + 1, size - 1, "fuzz", &idx, &err);
        if (r < 0) {
                if (err == NULL || idx != sentinel)
                        abort();
                v2c_error_free(err);
                return 0;
        }
        if (r != 0 || err != NULL || idx == NULL || idx == sentinel)
                abort();
        struct v2c_oci_desc d;
        memset(&d, 0xAA, sizeof d);
        r = v2c_oci_index_pick(idx, name, &d, &err);
        json_t *doc = json_loadb((const char *) data + 1, size - 1, JSON_REJECT_DUPLICATES, NULL);
        size_t n = matches(json_object_get(doc, "manifests"), name);
        if (r == 0) {
                if (err != NULL || n != 1 || !v2c_digest_valid(d.digest) || d.size > INT64_MAX)
                        abort();
        } else {
                if (err == NULL || err->msg == NULL)
                        abort();
                v2c_error_free(err);
        }
        json_decref(doc);
        v2c_oci_index_free(idx);
        return 0;
}
