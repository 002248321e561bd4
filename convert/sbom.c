/* SPDX 2.3 SBOM of an image; see artifacts.h.
 *
 * The image is one CONTAINER package and every guest package hangs under it
 * with a package URL (purl), which is what scanners such as grype and trivy
 * match against advisories: the purl has to follow the purl spec exactly
 * (lowercase deb/apk names, percent-encoded versions) or nothing matches. */
#include "artifacts.h"
#include "buf.h"
#include "cleanup.h"
#include "json.h"
#include "ref.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SPDX_NOASSERTION "NOASSERTION"
/* A URI that can never resolve: SPDX only needs the namespace to be unique. */
#define NAMESPACE_BASE "https://v2c.invalid/spdx/"
#define MAX_TEXT (64u << 20)   /* any one string built here */

/* SPDX 2.3 clause 6.9: "YYYY-MM-DDThh:mm:ssZ", nothing else. */
static bool is_spdx_time(const char *s)
{
        static const char form[] = "dddd-dd-ddTdd:dd:ddZ";
        if (s == NULL || strlen(s) != sizeof form - 1)
                return false;
        for (size_t i = 0; form[i]; i++)
                if (form[i] == 'd' ? !(s[i] >= '0' && s[i] <= '9') : s[i] != form[i])
                        return false;
        return true;
}

static bool is_unreserved(unsigned char c)
{
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
               c == '_' || c == '~';
}

/* Percent-encodes every byte but RFC 3986's unreserved ones, as the purl
 * spec asks for each component ("1:2.3+b1" -> "1%3A2.3%2Bb1"); LOWER also
 * lowercases, for the parts the deb and apk types say are case-insensitive. */
static int append_encoded(struct v2c_buf *b, const char *s, bool lower)
{
        int r = 0;
        for (const unsigned char *p = (const unsigned char *) s; *p && r == 0; p++) {
                unsigned char c = lower && *p >= 'A' && *p <= 'Z' ? (unsigned char) (*p - 'A' + 'a') : *p;
                if (is_unreserved(c))
                        r = v2c_buf_append(b, &c, 1);
                else
                        r = v2c_buf_appendf(b, "%%%02X", c);
        }
        return r;
}

/* pkg:TYPE/NAMESPACE/NAME@VERSION?arch=ARCH&epoch=EPOCH (qualifiers in
 * key order, as the purl spec wants them); new string, NULL on ENOMEM. */
static char *purl(const struct v2c_sbom_package *p)
{
        _cleanup_buf_ struct v2c_buf b;
        v2c_buf_init(&b, MAX_TEXT);
        if (v2c_buf_appendf(&b, "pkg:%s/", p->purl_type) < 0 ||
            (p->distro && (append_encoded(&b, p->distro, true) < 0 || v2c_buf_appends(&b, "/") < 0)) ||
            /* rpm names are case-sensitive (the purl spec's rpm type). */
            append_encoded(&b, p->name, strcmp(p->purl_type, "rpm") != 0) < 0 ||
            (p->version && (v2c_buf_appends(&b, "@") < 0 || append_encoded(&b, p->version, false) < 0)) ||
            (p->arch && (v2c_buf_appends(&b, "?arch=") < 0 || append_encoded(&b, p->arch, false) < 0)) ||
            (p->epoch && (v2c_buf_appends(&b, p->arch ? "&epoch=" : "?epoch=") < 0 ||
                          append_encoded(&b, p->epoch, false) < 0)))
                return NULL;
        return v2c_buf_steal(&b);
}

/* "Organization: NAME (EMAIL)" from a dpkg/apk maintainer "NAME <EMAIL>"
 * (SPDX 2.3 clause 7.5 puts the address in parentheses), or NOASSERTION.
 * Control characters become spaces: the field is one line. */
static char *supplier(const char *s)
{
        if (s == NULL)
                return strdup(SPDX_NOASSERTION);
        _cleanup_free_ char *t = strdup(s);
        if (t == NULL)
                return NULL;
        for (char *p = t; *p; p++)
                if ((unsigned char) *p < 0x20 || *p == 0x7f)
                        *p = ' ';
        char *start = t + strspn(t, " "), *end = start + strlen(start);
        while (end > start && end[-1] == ' ')
                end--;
        *end = '\0';
        if (*start == '\0')
                return strdup(SPDX_NOASSERTION);
        char *lt = strrchr(start, '<');
        char *out = NULL;
        if (lt && lt > start && end[-1] == '>') {
                char *name_end = lt;
                while (name_end > start && name_end[-1] == ' ')
                        name_end--;
                if (asprintf(&out, "Organization: %.*s (%.*s)", (int) (name_end - start), start,
                             (int) (end - 1 - (lt + 1)), lt + 1) < 0)
                        return NULL;
                return out;
        }
        return asprintf(&out, "Organization: %s", start) < 0 ? NULL : out;
}

/* SPDX ids allow [A-Za-z0-9.-] only (clause 7.2). */
static char *id_text(const char *name)
{
        char *s = strdup(name);
        for (char *p = s; p && *p; p++)
                if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '.' ||
                      *p == '-'))
                        *p = '-';
        return s;
}

static int cmp_opt(const char *a, const char *b)
{
        if (a == NULL || b == NULL)
                return (a != NULL) - (b != NULL);
        return strcmp(a, b);
}

/* A total order over every field, so equal packages are interchangeable and
 * the output does not depend on the order the guest listed them in. */
static int cmp_package(const void *x, const void *y)
{
        const struct v2c_sbom_package *a = *(const struct v2c_sbom_package *const *) x;
        const struct v2c_sbom_package *b = *(const struct v2c_sbom_package *const *) y;
        int c;
        if ((c = strcmp(a->name, b->name)) || (c = cmp_opt(a->arch, b->arch)) || (c = cmp_opt(a->version, b->version)) ||
            (c = cmp_opt(a->purl_type, b->purl_type)) || (c = cmp_opt(a->distro, b->distro)))
                return c;
        return cmp_opt(a->supplier, b->supplier);
}

struct id_slot {
        const char *text;
        size_t index, count;
};

static int cmp_slot(const void *x, const void *y)
{
        const struct id_slot *a = x, *b = y;
        int c = strcmp(a->text, b->text);
        return c ? c : (a->index > b->index) - (a->index < b->index);
}

/* ids[i] = "SPDXRef-Package-TEXT-N" where N counts, in sorted order, the
 * packages whose TEXT is the same ("libstdc++6" and "libstdc--6" both give
 * "libstdc--6").  N has no '-', so TEXT-N never equals another TEXT'-N'. */
static int assign_ids(const struct v2c_sbom_package *const *sorted, size_t n, char **ids)
{
        _cleanup_free_ struct id_slot *slots = calloc(n ? n : 1, sizeof *slots);
        if (slots == NULL)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                slots[i].text = ids[i] = id_text(sorted[i]->name);
                slots[i].index = i;
                if (ids[i] == NULL)
                        return -ENOMEM;
        }
        qsort(slots, n, sizeof *slots, cmp_slot);
        for (size_t i = 0; i < n; i++)
                slots[i].count = i > 0 && strcmp(slots[i].text, slots[i - 1].text) == 0 ? slots[i - 1].count + 1 : 1;
        for (size_t i = 0; i < n; i++) {
                char *id = NULL;
                if (asprintf(&id, "SPDXRef-Package-%s-%zu", slots[i].text, slots[i].count) < 0)
                        return -ENOMEM;
                /* slots[i].text is ids[slots[i].index]: its last use was above. */
                free(ids[slots[i].index]);
                ids[slots[i].index] = id;
        }
        return 0;
}

static int check_field(const char *what, const char *s, bool required, struct v2c_error **err)
{
        if (s == NULL ? required : (s[0] == '\0' || strlen(s) > V2C_ARTIFACT_MAX_FIELD))
                return v2c_error_set_kind(err, V2C_ERR_INPUT, EINVAL, "%s is %s", what,
                                          s == NULL ? "missing" : s[0] == '\0' ? "empty" : "too long");
        return 0;
}

static int check_spec(const struct v2c_sbom_spec *spec, struct v2c_error **err)
{
        int r;
        if ((r = check_field("the image name", spec->image_name, true, err)) < 0 ||
            (r = check_field("the tool version", spec->tool_version, true, err)) < 0)
                return r;
        if (!v2c_digest_valid(spec->manifest_digest))
                return v2c_error_set(err, EINVAL, "manifest digest `%s` is not sha256:<64 lowercase hex>",
                                     spec->manifest_digest ? spec->manifest_digest : "(null)");
        if (!is_spdx_time(spec->created))
                return v2c_error_set(err, EINVAL, "creation time `%s` is not YYYY-MM-DDThh:mm:ssZ",
                                     spec->created ? spec->created : "(null)");
        if (spec->n_packages > V2C_SBOM_MAX_PACKAGES)
                return v2c_error_set_kind(err, V2C_ERR_INPUT, E2BIG, "more than %d packages", V2C_SBOM_MAX_PACKAGES);
        if (spec->n_packages > 0 && spec->packages == NULL)
                return v2c_error_set(err, EINVAL, "no package array for %zu packages", spec->n_packages);
        for (size_t i = 0; i < spec->n_packages; i++) {
                const struct v2c_sbom_package *p = &spec->packages[i];
                if ((r = check_field("the name", p->name, true, err)) < 0 ||
                    (r = check_field("the version", p->version, false, err)) < 0 ||
                    (r = check_field("the architecture", p->arch, false, err)) < 0 ||
                    (r = check_field("the supplier", p->supplier, false, err)) < 0 ||
                    (r = check_field("the distribution", p->distro, false, err)) < 0 ||
                    (r = check_field("the epoch", p->epoch, false, err)) < 0)
                        return v2c_error_prefix(err, r, "package %zu", i);
                if (p->purl_type && strcmp(p->purl_type, "deb") != 0 && strcmp(p->purl_type, "apk") != 0 &&
                    strcmp(p->purl_type, "rpm") != 0)
                        return v2c_error_set(err, EINVAL, "package `%s`: unknown package URL type `%s`", p->name,
                                             p->purl_type);
        }
        return 0;
}

static json_t *image_package(const struct v2c_sbom_spec *spec)
{
        return json_pack("{s:s, s:o, s:o, s:s, s:b, s:s, s:s, s:s, s:s, s:[{s:s, s:s}]}",
                         "SPDXID", "SPDXRef-Image",
                         "name", v2c_json_str(spec->image_name),
                         "versionInfo", v2c_json_str(spec->manifest_digest),
                         "downloadLocation", SPDX_NOASSERTION,
                         "filesAnalyzed", 0,
                         "licenseConcluded", SPDX_NOASSERTION,
                         "licenseDeclared", SPDX_NOASSERTION,
                         "copyrightText", SPDX_NOASSERTION,
                         "primaryPackagePurpose", "CONTAINER",
                         "checksums", "algorithm", "SHA256", "checksumValue", spec->manifest_digest + 7);
}

static json_t *guest_package(const struct v2c_sbom_package *p, const char *id)
{
        _cleanup_free_ char *sup = supplier(p->supplier);
        _cleanup_free_ char *url = p->purl_type ? purl(p) : NULL;
        if (sup == NULL || (p->purl_type && url == NULL))
                return NULL;
        _cleanup_json_ json_t *o = json_pack("{s:s, s:o}", "SPDXID", id, "name", v2c_json_str(p->name));
        if (o == NULL)
                return NULL;
        if (p->version && json_object_set_new(o, "versionInfo", v2c_json_str(p->version)) < 0)
                return NULL;
        _cleanup_json_ json_t *rest = json_pack("{s:o, s:s, s:b, s:s, s:s, s:s}",
                                                "supplier", v2c_json_str(sup),
                                                "downloadLocation", SPDX_NOASSERTION,
                                                "filesAnalyzed", 0,
                                                "licenseConcluded", SPDX_NOASSERTION,
                                                "licenseDeclared", SPDX_NOASSERTION,
                                                "copyrightText", SPDX_NOASSERTION);
        if (rest == NULL || json_object_update(o, rest) < 0)
                return NULL;
        if (url && json_object_set_new(o, "externalRefs",
                                       json_pack("[{s:s, s:s, s:s}]", "referenceCategory", "PACKAGE-MANAGER",
                                                 "referenceType", "purl", "referenceLocator", url)) < 0)
                return NULL;
        return TAKE_PTR(o);
}

static json_t *relationship(const char *from, const char *type, const char *to)
{
        return json_pack("{s:s, s:s, s:s}", "spdxElementId", from, "relationshipType", type, "relatedSpdxElement",
                         to);
}

static void free_ids(char **ids, size_t n)
{
        for (size_t i = 0; ids && i < n; i++)
                free(ids[i]);
        free(ids);
}

static int build(const struct v2c_sbom_spec *spec, const struct v2c_sbom_package *const *sorted, char **ids,
                 json_t **out)
{
        _cleanup_buf_ struct v2c_buf ns;
        v2c_buf_init(&ns, MAX_TEXT);
        if (v2c_buf_appends(&ns, NAMESPACE_BASE) < 0 || append_encoded(&ns, spec->image_name, false) < 0 ||
            v2c_buf_appendf(&ns, "-%s", spec->manifest_digest + 7) < 0)
                return -ENOMEM;
        _cleanup_free_ char *creator = NULL;
        if (asprintf(&creator, "Tool: v2c-%s", spec->tool_version) < 0)
                return -ENOMEM;

        _cleanup_json_ json_t *packages = json_array(), *relationships = json_array();
        if (packages == NULL || relationships == NULL || json_array_append_new(packages, image_package(spec)) < 0 ||
            json_array_append_new(relationships, relationship("SPDXRef-DOCUMENT", "DESCRIBES", "SPDXRef-Image")) < 0)
                return -ENOMEM;
        for (size_t i = 0; i < spec->n_packages; i++)
                if (json_array_append_new(packages, guest_package(sorted[i], ids[i])) < 0 ||
                    json_array_append_new(relationships, relationship("SPDXRef-Image", "CONTAINS", ids[i])) < 0)
                        return -ENOMEM;

        json_t *doc = json_pack("{s:s, s:s, s:s, s:o, s:s, s:{s:s, s:[o]}, s:O, s:O}",
                                "spdxVersion", "SPDX-2.3",
                                "dataLicense", "CC0-1.0",
                                "SPDXID", "SPDXRef-DOCUMENT",
                                "name", v2c_json_str(spec->image_name),
                                "documentNamespace", ns.data,
                                "creationInfo", "created", spec->created, "creators", v2c_json_str(creator),
                                "packages", packages,
                                "relationships", relationships);
        if (doc == NULL)
                return -ENOMEM;
        *out = doc;
        return 0;
}

int v2c_sbom_spdx(const struct v2c_sbom_spec *spec, json_t **out, struct v2c_error **err)
{
        int r = check_spec(spec, err);
        if (r < 0)
                return v2c_error_prefix(err, r, "SBOM of `%s`", spec->image_name ? spec->image_name : "(null)");

        size_t n = spec->n_packages;
        _cleanup_free_ const struct v2c_sbom_package **sorted = calloc(n ? n : 1, sizeof *sorted);
        char **ids = calloc(n ? n : 1, sizeof *ids);
        if (sorted == NULL || ids == NULL) {
                free(ids);
                return v2c_error_set(err, ENOMEM, "out of memory");
        }
        for (size_t i = 0; i < n; i++)
                sorted[i] = &spec->packages[i];
        qsort(sorted, n, sizeof *sorted, cmp_package);

        r = assign_ids(sorted, n, ids);
        if (r == 0)
                r = build(spec, sorted, ids, out);
        free_ids(ids, n);
        if (r < 0)
                return v2c_error_set(err, r, "building the SBOM of `%s`: out of memory", spec->image_name);
        return 0;
}
