/* Image manifests and indexes as registries serve them: OCI image-spec
 * v1 and Docker's schema 2 (the same structure under other media types).
 *
 * A manifest is the root of trust of a pull: everything fetched after it
 * is checked against the digests it lists, so those digests and sizes are
 * validated here once and the rest of registry/ can trust them.  Media
 * types end up in Accept and Content-Type headers, so they are held to
 * RFC 6838's characters. */
#include "registry-internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cleanup.h"
#include "json.h"
#include "oci-layout.h"

#define MAX_ENTRIES 4096
#define MAX_MEDIA_TYPE 255
#define MAX_PLATFORM_FIELD 64
#define MAX_SIZE (UINT64_C(1) << 53)   /* what a JSON number holds exactly everywhere */
#define MAX_PLATFORM 256

static bool is_alnum(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* type "/" subtype, each of RFC 6838's restricted-name characters. */
static bool media_type_ok(const char *s, size_t n)
{
        if (n == 0 || n > MAX_MEDIA_TYPE)
                return false;
        size_t slashes = 0;
        for (size_t i = 0; i < n; i++) {
                if (s[i] == '/')
                        slashes++;
                else if (!is_alnum(s[i]) && strchr("!#$&-^_.+", s[i]) == NULL)
                        return false;
        }
        return slashes == 1 && s[0] != '/' && s[n - 1] != '/';
}

/* Platform fields (os, architecture, variant): short printable words. */
static bool platform_field_ok(const char *s, size_t n)
{
        if (n == 0 || n > MAX_PLATFORM_FIELD)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!is_alnum(s[i]) && strchr("._-", s[i]) == NULL)
                        return false;
        return true;
}

static const char *const known_types[] = {
        V2C_MEDIA_OCI_MANIFEST,
        V2C_MEDIA_OCI_INDEX,
        V2C_MEDIA_DOCKER_MANIFEST,
        V2C_MEDIA_DOCKER_LIST,
};

static const char *known_type(const char *s, size_t n)
{
        for (size_t i = 0; i < V2C_ARRAY_SIZE(known_types); i++)
                if (strlen(known_types[i]) == n && strncasecmp(s, known_types[i], n) == 0)
                        return known_types[i];
        return NULL;
}

static bool is_schema1_type(const char *s, size_t n)
{
        static const char prefix[] = "application/vnd.docker.distribution.manifest.v1+";
        return n >= sizeof prefix - 1 && strncasecmp(s, prefix, sizeof prefix - 1) == 0;
}

/* What a reply's Content-Type names: the media type without parameters
 * (" ; charset=utf-8") and surrounding spaces. */
static void content_type_span(const char *ct, const char **s, size_t *n)
{
        *s = ct ? ct : "";
        while (**s == ' ' || **s == '\t')
                (*s)++;
        *n = strcspn(*s, "; \t");
}

/* Content types that say nothing about which manifest this is. */
static bool is_generic_type(const char *s, size_t n)
{
        return n == 0 || (n == 16 && strncasecmp(s, "application/json", n) == 0) ||
               (n == 24 && strncasecmp(s, "application/octet-stream", n) == 0) ||
               (n == 10 && strncasecmp(s, "text/plain", n) == 0);
}

static int manifest_error(struct v2c_error **err, int code, const char *ctx, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
static int manifest_error(struct v2c_error **err, int code, const char *ctx, const char *fmt, ...)
{
        char msg[256];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        if (ctx)
                return v2c_error_set_kind(err, V2C_ERR_INPUT, code, "manifest: %s: %s", ctx, msg);
        return v2c_error_set_kind(err, V2C_ERR_INPUT, code, "manifest: %s", msg);
}

static void mdesc_release(struct v2c_mdesc *d)
{
        free(d->media_type);
        free(d->digest);
        free(d->os);
        free(d->architecture);
        free(d->variant);
        *d = (struct v2c_mdesc) { 0 };
}

/* A string member KEY of OBJ: NULL when absent; -EINVAL when not a string
 * or not to CHECK's liking. */
static int get_string(const json_t *obj, const char *key, bool (*check)(const char *, size_t), char **out)
{
        const json_t *j = json_object_get(obj, key);
        *out = NULL;
        if (j == NULL)
                return 0;
        if (!json_is_string(j) || !check(json_string_value(j), json_string_length(j)))
                return -EINVAL;
        *out = strndup(json_string_value(j), json_string_length(j));
        return *out ? 0 : -ENOMEM;
}

static int platform_parse(const json_t *p, struct v2c_mdesc *d, const char *ctx, struct v2c_error **err)
{
        if (!json_is_object(p))
                return manifest_error(err, EINVAL, ctx, "\"platform\" is not an object");
        int r = get_string(p, "os", platform_field_ok, &d->os);
        if (r == 0)
                r = get_string(p, "architecture", platform_field_ok, &d->architecture);
        if (r == 0)
                r = get_string(p, "variant", platform_field_ok, &d->variant);
        if (r == -ENOMEM)
                return v2c_error_set(err, ENOMEM, "out of memory");
        if (r < 0 || d->os == NULL || d->architecture == NULL)
                return manifest_error(err, EINVAL, ctx,
                                      "\"platform\" needs \"os\" and \"architecture\" (and an optional \"variant\") "
                                      "of at most %d of [A-Za-z0-9._-]",
                                      MAX_PLATFORM_FIELD);
        return 0;
}

/* A descriptor: mediaType, digest, size, and for index entries the
 * platform.  *out is filled only on success. */
static int desc_parse(const json_t *j, bool index_entry, const char *ctx, struct v2c_mdesc *out,
                      struct v2c_error **err)
{
        _cleanup_(mdesc_release) struct v2c_mdesc d = { 0 };
        if (!json_is_object(j))
                return manifest_error(err, EINVAL, ctx, "not an object");

        int r = get_string(j, "mediaType", media_type_ok, &d.media_type);
        if (r == -ENOMEM)
                return v2c_error_set(err, ENOMEM, "out of memory");
        if (r < 0 || d.media_type == NULL)
                return manifest_error(err, EINVAL, ctx, "\"mediaType\" missing or not a type/subtype");
        r = get_string(j, "digest", v2c_digest_valid_n, &d.digest);
        if (r == -ENOMEM)
                return v2c_error_set(err, ENOMEM, "out of memory");
        if (r < 0 || d.digest == NULL)
                return manifest_error(err, EINVAL, ctx,
                                      "\"digest\" missing or not sha256: and 64 lowercase hex digits");
        const json_t *size = json_object_get(j, "size");
        if (!json_is_integer(size) || json_integer_value(size) < 0 ||
            (uint64_t) json_integer_value(size) > MAX_SIZE)
                return manifest_error(err, EINVAL, ctx, "\"size\" missing or not an integer from 0 to 2^53");
        d.size = (uint64_t) json_integer_value(size);

        const json_t *platform = json_object_get(j, "platform");
        if (index_entry && platform) {
                r = platform_parse(platform, &d, ctx, err);
                if (r < 0)
                        return r;
        }
        *out = d;
        d = (struct v2c_mdesc) { 0 };
        return 0;
}

/* The array KEY of DOC as descriptors in *items (new) and *n. */
static int desc_array_parse(const json_t *doc, const char *key, bool index_entries, struct v2c_mdesc **items,
                            size_t *n, struct v2c_error **err)
{
        const json_t *a = json_object_get(doc, key);
        if (!json_is_array(a))
                return manifest_error(err, EINVAL, NULL, "\"%s\" missing or not an array", key);
        size_t count = json_array_size(a);
        if (count > MAX_ENTRIES)
                return manifest_error(err, E2BIG, NULL, "more than %d entries in \"%s\"", MAX_ENTRIES, key);
        /* The caller owns *items as soon as it is set, so that what was
         * parsed before a failure is freed with the manifest. */
        *items = calloc(count ? count : 1, sizeof **items);
        if (*items == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        for (size_t i = 0; i < count; i++) {
                char ctx[64];
                snprintf(ctx, sizeof ctx, "%s[%zu]", key, i);
                int r = desc_parse(json_array_get(a, i), index_entries, ctx, &(*items)[i], err);
                if (r < 0)
                        return r;
                (*n)++;
        }
        return 0;
}

/* Which of the four types DOC is: its mediaType, else the Content-Type,
 * else (old OCI documents leave mediaType out and some registries then
 * answer application/json) its shape. */
static int resolve_type(const json_t *doc, const char *content_type, const char **type, struct v2c_error **err)
{
        const char *ct;
        size_t ct_len;
        content_type_span(content_type, &ct, &ct_len);
        const char *from_ct = known_type(ct, ct_len);

        const json_t *mt = json_object_get(doc, "mediaType");
        if (mt && !json_is_string(mt))
                return manifest_error(err, EINVAL, NULL, "\"mediaType\" is not a string");
        if (mt) {
                const char *s = json_string_value(mt);
                size_t n = json_string_length(mt);
                if (is_schema1_type(s, n))
                        return manifest_error(err, ENOTSUP, NULL, "schema 1 manifests are not supported");
                *type = known_type(s, n);
                if (*type == NULL && media_type_ok(s, n))
                        return manifest_error(err, ENOTSUP, NULL, "unsupported media type `%s`", s);
                if (*type == NULL)
                        return manifest_error(err, ENOTSUP, NULL, "unsupported media type");
                /* A registry that says one type and serves another is
                 * either broken or lying about what it serves. */
                if (from_ct && from_ct != *type)
                        return manifest_error(err, EINVAL, NULL, "mediaType `%s` but Content-Type `%s`", *type,
                                              from_ct);
                return 0;
        }
        if (from_ct) {
                *type = from_ct;
                return 0;
        }
        if (is_schema1_type(ct, ct_len))
                return manifest_error(err, ENOTSUP, NULL, "schema 1 manifests are not supported");
        if (!is_generic_type(ct, ct_len) && media_type_ok(ct, ct_len))
                return manifest_error(err, ENOTSUP, NULL, "unsupported Content-Type `%.*s`", (int) ct_len, ct);
        if (!is_generic_type(ct, ct_len))
                return manifest_error(err, ENOTSUP, NULL, "unsupported Content-Type");
        bool has_manifests = json_object_get(doc, "manifests") != NULL;
        bool has_image = json_object_get(doc, "config") != NULL || json_object_get(doc, "layers") != NULL;
        if (has_manifests == has_image)
                return manifest_error(err, EINVAL, NULL, "no mediaType, and neither an image manifest nor an index");
        *type = has_manifests ? V2C_MEDIA_OCI_INDEX : V2C_MEDIA_OCI_MANIFEST;
        return 0;
}

static void v2c_manifest_freep(struct v2c_manifest **m) { v2c_manifest_free(*m); }

int v2c_manifest_parse(const char *data, size_t len, const char *content_type, struct v2c_manifest **out,
                       struct v2c_error **err)
{
        _cleanup_json_ json_t *doc = NULL;
        _cleanup_(v2c_manifest_freep) struct v2c_manifest *m = NULL;
        if (len > V2C_OCI_JSON_MAX)
                return manifest_error(err, E2BIG, NULL, "larger than %u bytes", V2C_OCI_JSON_MAX);
        int r = v2c_json_load(data, len, "manifest", &doc, err);
        if (r < 0)
                return r;
        if (!json_is_object(doc))
                return manifest_error(err, EINVAL, NULL, "not a JSON object");

        const json_t *version = json_object_get(doc, "schemaVersion");
        if (json_is_integer(version) && json_integer_value(version) == 1)
                return manifest_error(err, ENOTSUP, NULL, "schema 1 manifests are not supported");
        const char *type = NULL;
        r = resolve_type(doc, content_type, &type, err);
        if (r < 0)
                return r;
        if (!json_is_integer(version) || json_integer_value(version) != 2)
                return manifest_error(err, EINVAL, NULL, "\"schemaVersion\" is not 2");

        m = calloc(1, sizeof *m);
        if (m == NULL || (m->media_type = strdup(type)) == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        bool index = strcmp(type, V2C_MEDIA_OCI_INDEX) == 0 || strcmp(type, V2C_MEDIA_DOCKER_LIST) == 0;
        if (index) {
                m->kind = V2C_MANIFEST_INDEX;
                r = desc_array_parse(doc, "manifests", true, &m->manifests, &m->n_manifests, err);
        } else {
                m->kind = V2C_MANIFEST_IMAGE;
                r = desc_parse(json_object_get(doc, "config"), false, "config", &m->config, err);
                if (r == 0)
                        r = desc_array_parse(doc, "layers", false, &m->layers, &m->n_layers, err);
        }
        if (r < 0)
                return r;
        *out = TAKE_PTR(m);
        return 0;
}

struct v2c_manifest *v2c_manifest_free(struct v2c_manifest *m)
{
        if (m == NULL)
                return NULL;
        free(m->media_type);
        mdesc_release(&m->config);
        for (size_t i = 0; i < m->n_layers; i++)
                mdesc_release(&m->layers[i]);
        free(m->layers);
        for (size_t i = 0; i < m->n_manifests; i++)
                mdesc_release(&m->manifests[i]);
        free(m->manifests);
        free(m);
        return NULL;
}

/* ------------------------------------------------------------------------
 * Picking a platform
 */

/* What uname and distributions call them, in the image-spec's words. */
static const char *normalize_arch(const char *a)
{
        if (strcmp(a, "x86_64") == 0 || strcmp(a, "x86-64") == 0)
                return "amd64";
        if (strcmp(a, "aarch64") == 0)
                return "arm64";
        if (strcmp(a, "i386") == 0 || strcmp(a, "i686") == 0)
                return "386";
        return a;
}

/* The variant an entry without one means, as containerd reads them:
 * "linux/arm64" and "linux/arm64/v8" are the same platform. */
static const char *normalize_variant(const char *arch, const char *variant)
{
        if (variant)
                return variant;
        if (strcmp(arch, "arm64") == 0)
                return "v8";
        if (strcmp(arch, "arm") == 0)
                return "v7";
        if (strcmp(arch, "amd64") == 0)
                return "v1";
        return "";
}

const struct v2c_mdesc *v2c_manifest_pick(const struct v2c_manifest *index, const char *platform)
{
        if (index == NULL || index->kind != V2C_MANIFEST_INDEX || platform == NULL ||
            strnlen(platform, MAX_PLATFORM + 1) > MAX_PLATFORM)
                return NULL;
        char buf[MAX_PLATFORM + 1];
        strcpy(buf, platform);
        char *os = buf, *arch = strchr(os, '/'), *variant = NULL;
        if (arch == NULL)
                return NULL;
        *arch++ = '\0';
        variant = strchr(arch, '/');
        if (variant) {
                *variant++ = '\0';
                if (*variant == '\0' || strchr(variant, '/'))
                        return NULL;
        }
        if (*os == '\0' || *arch == '\0')
                return NULL;
        const char *want_arch = normalize_arch(arch);
        const char *want_variant = normalize_variant(want_arch, variant);

        for (size_t i = 0; i < index->n_manifests; i++) {
                const struct v2c_mdesc *d = &index->manifests[i];
                if (d->os == NULL || d->architecture == NULL || strcmp(d->os, os) != 0)
                        continue;
                const char *have_arch = normalize_arch(d->architecture);
                if (strcmp(have_arch, want_arch) == 0 &&
                    strcmp(normalize_variant(have_arch, d->variant), want_variant) == 0)
                        return d;
        }
        return NULL;
}
