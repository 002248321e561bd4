/* libFuzzer target for manifest and index parsing (registry/manifest.c).
 * The first byte picks the Content-Type the reply came with; the rest is
 * the document.  What parses must hold only checked digests and sizes
 * within their limits, and what v2c_manifest_pick returns must be an entry
 * of the index for the platform asked. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "error.h"
#include "registry-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const content_types[] = {
        NULL,
        V2C_MEDIA_OCI_MANIFEST,
        V2C_MEDIA_OCI_INDEX,
        V2C_MEDIA_DOCKER_MANIFEST,
        V2C_MEDIA_DOCKER_LIST,
        "application/json; charset=utf-8",
        "application/vnd.docker.distribution.manifest.v1+prettyjws",
        "text/html",
};

static const char *const platforms[] = {
        "linux/amd64", "linux/arm64/v8", "linux/arm64", "linux/arm/v7", "linux/x86_64", "windows/amd64", "linux//",
};

static void check_desc(const struct v2c_mdesc *d, bool index_entry)
{
        if (d->media_type == NULL || strchr(d->media_type, '/') == NULL || strlen(d->media_type) > 255)
                abort();
        if (d->digest == NULL || strlen(d->digest) != 71 || strncmp(d->digest, "sha256:", 7) != 0 ||
            strspn(d->digest + 7, "0123456789abcdef") != 64)
                abort();
        if (d->size > (UINT64_C(1) << 53))
                abort();
        if (!index_entry && (d->os || d->architecture || d->variant))
                abort();
        if ((d->os == NULL) != (d->architecture == NULL) || (d->variant && d->os == NULL))
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size == 0)
                return 0;
        const char *ct = content_types[data[0] % V2C_ARRAY_SIZE(content_types)];
        struct v2c_manifest *sentinel = (struct v2c_manifest *) &sentinel;
        struct v2c_manifest *m = sentinel;
        struct v2c_error *err = NULL;
        int r = v2c_manifest_parse((const char *) data + 1, size - 1, ct, &m, &err);
        if (r < 0) {
                if (err == NULL || m != sentinel)
                        abort();
                v2c_error_free(err);
                return 0;
        }
        if (r != 0 || err != NULL || m == NULL || m == sentinel || m->media_type == NULL)
                abort();
        if (m->n_layers > 4096 || m->n_manifests > 4096)
                abort();
        if (m->kind == V2C_MANIFEST_IMAGE) {
                if (m->n_manifests != 0)
                        abort();
                check_desc(&m->config, false);
                for (size_t i = 0; i < m->n_layers; i++)
                        check_desc(&m->layers[i], false);
        } else {
                if (m->n_layers != 0 || m->config.digest)
                        abort();
                for (size_t i = 0; i < m->n_manifests; i++)
                        check_desc(&m->manifests[i], true);
        }
        for (size_t i = 0; i < V2C_ARRAY_SIZE(platforms); i++) {
                const struct v2c_mdesc *d = v2c_manifest_pick(m, platforms[i]);
                if (d == NULL)
                        continue;
                if (m->kind != V2C_MANIFEST_INDEX || d < m->manifests || d >= m->manifests + m->n_manifests)
                        abort();
                size_t os_len = strcspn(platforms[i], "/");
                if (strlen(d->os) != os_len || strncmp(d->os, platforms[i], os_len) != 0)
                        abort();
        }
        v2c_manifest_free(m);
        return 0;
}
