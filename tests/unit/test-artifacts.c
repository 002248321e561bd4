/* Unit tests for convert/sbom.c and convert/k8s.c: the SPDX document has
 * the fields scanners read, package URLs follow the purl spec, ids stay
 * unique and valid, the Kubernetes YAML names things the way the API server
 * accepts, and both outputs are the same bytes for the same input. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "unit-main.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "artifacts.h"
#include "json.h"

#define HEX "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define DIGEST "sha256:" HEX

static const struct v2c_sbom_package guest_packages[] = {
        { .name = "zlib1g", .version = "1:1.2.13.dfsg-1", .arch = "amd64",
          .supplier = "Mark Brown <broonie@debian.org>", .purl_type = "deb", .distro = "debian" },
        { .name = "libstdc--6", .version = "1.0", .arch = "amd64", .purl_type = "deb", .distro = "debian" },
        { .name = "libstdc++6", .version = "12.2.0-14+deb12u1", .arch = "amd64",
          .supplier = "Debian GCC Maintainers <debian-gcc@lists.debian.org>", .purl_type = "deb", .distro = "debian" },
        { .name = "libc6", .version = "2.36-9", .arch = "i386", .purl_type = "deb", .distro = "debian" },
        { .name = "libc6", .version = "2.36-9", .arch = "amd64", .purl_type = "deb", .distro = "debian" },
        { .name = "BusyBox", .supplier = "  ", .purl_type = "apk", .distro = "alpine" },
        { .name = "local-tool" },
        { .name = "nginx", .version = "1.20.1-14.el9", .arch = "x86_64", .epoch = "1", .purl_type = "rpm",
          .distro = "rocky" },
        { .name = "NetworkManager", .version = "1.44.0-3.el9", .purl_type = "rpm", .distro = "Rocky", .epoch = "1" },
};
#define N_GUEST (sizeof guest_packages / sizeof guest_packages[0])

static json_t *sbom_of(const struct v2c_sbom_package *pkgs, size_t n)
{
        struct v2c_sbom_spec spec = {
                .image_name = "registry.example/web:1",
                .manifest_digest = DIGEST,
                .created = "2024-01-02T03:04:05Z",
                .tool_version = "0.1.0",
                .packages = pkgs,
                .n_packages = n,
        };
        json_t *doc = NULL;
        struct v2c_error *e = NULL;
        assert_int_equal(v2c_sbom_spdx(&spec, &doc, &e), 0);
        assert_null(e);
        assert_non_null(doc);
        return doc;
}

static const char *str_at(const json_t *o, const char *key)
{
        const char *s = json_string_value(json_object_get(o, key));
        assert_non_null(s);
        return s;
}

static bool valid_spdx_id(const char *s)
{
        if (strncmp(s, "SPDXRef-", 8) != 0 || s[8] == '\0')
                return false;
        return strspn(s + 8, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.-") == strlen(s + 8);
}

static void test_sbom_document(void **state)
{
        (void) state;
        json_t *doc = sbom_of(guest_packages, N_GUEST);
        assert_string_equal(str_at(doc, "spdxVersion"), "SPDX-2.3");
        assert_string_equal(str_at(doc, "dataLicense"), "CC0-1.0");
        assert_string_equal(str_at(doc, "SPDXID"), "SPDXRef-DOCUMENT");
        assert_string_equal(str_at(doc, "name"), "registry.example/web:1");
        assert_string_equal(str_at(doc, "documentNamespace"),
                            "https://v2c.invalid/spdx/registry.example%2Fweb%3A1-" HEX);
        json_t *ci = json_object_get(doc, "creationInfo");
        assert_string_equal(str_at(ci, "created"), "2024-01-02T03:04:05Z");
        assert_int_equal(json_array_size(json_object_get(ci, "creators")), 1);
        assert_string_equal(json_string_value(json_array_get(json_object_get(ci, "creators"), 0)), "Tool: v2c-0.1.0");

        json_t *pkgs = json_object_get(doc, "packages");
        assert_int_equal(json_array_size(pkgs), N_GUEST + 1);
        json_t *image = json_array_get(pkgs, 0);
        assert_string_equal(str_at(image, "SPDXID"), "SPDXRef-Image");
        assert_string_equal(str_at(image, "versionInfo"), DIGEST);
        assert_string_equal(str_at(image, "primaryPackagePurpose"), "CONTAINER");
        assert_string_equal(str_at(image, "downloadLocation"), "NOASSERTION");
        json_t *sum = json_array_get(json_object_get(image, "checksums"), 0);
        assert_string_equal(str_at(sum, "algorithm"), "SHA256");
        assert_string_equal(str_at(sum, "checksumValue"), HEX);

        /* Sorted by name (strcmp: '+' < '-' < 'l' < 'z'), then arch. */
        static const struct {
                const char *name, *arch, *id, *purl, *supplier;
        } want[] = {
                { "BusyBox", NULL, "SPDXRef-Package-BusyBox-1", "pkg:apk/alpine/busybox", "NOASSERTION" },
                /* rpm: the name keeps its case, the namespace does not;
                 * epoch a qualifier after arch, or the only one. */
                { "NetworkManager", NULL, "SPDXRef-Package-NetworkManager-1",
                  "pkg:rpm/rocky/NetworkManager@1.44.0-3.el9?epoch=1", "NOASSERTION" },
                { "libc6", "amd64", "SPDXRef-Package-libc6-1", "pkg:deb/debian/libc6@2.36-9?arch=amd64", "NOASSERTION" },
                { "libc6", "i386", "SPDXRef-Package-libc6-2", "pkg:deb/debian/libc6@2.36-9?arch=i386", "NOASSERTION" },
                { "libstdc++6", "amd64", "SPDXRef-Package-libstdc--6-1",
                  "pkg:deb/debian/libstdc%2B%2B6@12.2.0-14%2Bdeb12u1?arch=amd64",
                  "Organization: Debian GCC Maintainers (debian-gcc@lists.debian.org)" },
                { "libstdc--6", "amd64", "SPDXRef-Package-libstdc--6-2", "pkg:deb/debian/libstdc--6@1.0?arch=amd64",
                  "NOASSERTION" },
                { "local-tool", NULL, "SPDXRef-Package-local-tool-1", NULL, "NOASSERTION" },
                { "nginx", "x86_64", "SPDXRef-Package-nginx-1", "pkg:rpm/rocky/nginx@1.20.1-14.el9?arch=x86_64&epoch=1",
                  "NOASSERTION" },
                { "zlib1g", "amd64", "SPDXRef-Package-zlib1g-1", "pkg:deb/debian/zlib1g@1%3A1.2.13.dfsg-1?arch=amd64",
                  "Organization: Mark Brown (broonie@debian.org)" },
        };
        for (size_t i = 0; i < N_GUEST; i++) {
                json_t *p = json_array_get(pkgs, i + 1);
                assert_string_equal(str_at(p, "name"), want[i].name);
                assert_string_equal(str_at(p, "SPDXID"), want[i].id);
                assert_true(valid_spdx_id(want[i].id));
                assert_string_equal(str_at(p, "supplier"), want[i].supplier);
                assert_string_equal(str_at(p, "downloadLocation"), "NOASSERTION");
                assert_string_equal(str_at(p, "licenseConcluded"), "NOASSERTION");
                assert_string_equal(str_at(p, "licenseDeclared"), "NOASSERTION");
                assert_string_equal(str_at(p, "copyrightText"), "NOASSERTION");
                assert_true(json_is_false(json_object_get(p, "filesAnalyzed")));
                json_t *refs = json_object_get(p, "externalRefs");
                if (want[i].purl == NULL) {
                        assert_null(refs);
                        continue;
                }
                assert_int_equal(json_array_size(refs), 1);
                json_t *ref = json_array_get(refs, 0);
                assert_string_equal(str_at(ref, "referenceCategory"), "PACKAGE-MANAGER");
                assert_string_equal(str_at(ref, "referenceType"), "purl");
                assert_string_equal(str_at(ref, "referenceLocator"), want[i].purl);
        }
        assert_string_equal(str_at(json_array_get(pkgs, 9), "versionInfo"), "1:1.2.13.dfsg-1");
        assert_null(json_object_get(json_array_get(pkgs, 1), "versionInfo"));

        json_t *rels = json_object_get(doc, "relationships");
        assert_int_equal(json_array_size(rels), N_GUEST + 1);
        json_t *r0 = json_array_get(rels, 0);
        assert_string_equal(str_at(r0, "spdxElementId"), "SPDXRef-DOCUMENT");
        assert_string_equal(str_at(r0, "relationshipType"), "DESCRIBES");
        assert_string_equal(str_at(r0, "relatedSpdxElement"), "SPDXRef-Image");
        for (size_t i = 0; i < N_GUEST; i++) {
                json_t *r = json_array_get(rels, i + 1);
                assert_string_equal(str_at(r, "spdxElementId"), "SPDXRef-Image");
                assert_string_equal(str_at(r, "relationshipType"), "CONTAINS");
                assert_string_equal(str_at(r, "relatedSpdxElement"), want[i].id);
        }
        json_decref(doc);
}

/* Names that sanitise to the same text, in every order, still give unique
 * valid ids, and "a" and "a-1" cannot meet as "a-1-1". */
static void test_sbom_ids_unique(void **state)
{
        (void) state;
        const struct v2c_sbom_package pkgs[] = {
                { .name = "a_1" }, { .name = "a-1" }, { .name = "a+1" }, { .name = "a" }, { .name = "a" },
                { .name = "\xff\xfe" }, { .name = "--" }, { .name = "a.1" },
        };
        size_t n = sizeof pkgs / sizeof pkgs[0];
        json_t *doc = sbom_of(pkgs, n);
        json_t *list = json_object_get(doc, "packages");
        for (size_t i = 1; i <= n; i++) {
                const char *id = str_at(json_array_get(list, i), "SPDXID");
                assert_true(valid_spdx_id(id));
                for (size_t j = 0; j < i; j++)
                        assert_string_not_equal(id, str_at(json_array_get(list, j), "SPDXID"));
        }
        json_decref(doc);
}

static void test_sbom_deterministic(void **state)
{
        (void) state;
        struct v2c_sbom_package reversed[N_GUEST];
        for (size_t i = 0; i < N_GUEST; i++)
                reversed[i] = guest_packages[N_GUEST - 1 - i];
        json_t *a = sbom_of(guest_packages, N_GUEST), *b = sbom_of(reversed, N_GUEST), *c = sbom_of(guest_packages, N_GUEST);
        char *sa = v2c_json_dump(a), *sb = v2c_json_dump(b), *sc = v2c_json_dump(c);
        assert_string_equal(sa, sb);
        assert_string_equal(sa, sc);
        free(sa);
        free(sb);
        free(sc);
        json_decref(a);
        json_decref(b);
        json_decref(c);
}

static void expect_sbom_error(const struct v2c_sbom_spec *spec, int code)
{
        json_t *sentinel = json_true(), *out = sentinel;
        struct v2c_error *e = NULL;
        assert_int_equal(v2c_sbom_spdx(spec, &out, &e), -code);
        assert_ptr_equal(out, sentinel);
        assert_non_null(e);
        assert_int_equal(e->code, code);
        assert_non_null(e->msg);
        v2c_error_free(e);
}

static void test_sbom_refuses(void **state)
{
        (void) state;
        const struct v2c_sbom_package one = { .name = "x" }, unnamed = { .version = "1" },
                                      odd_type = { .name = "x", .purl_type = "npm" };
        const struct v2c_sbom_spec good = { .image_name = "web", .manifest_digest = DIGEST,
                                            .created = "2024-01-02T03:04:05Z", .tool_version = "0.1.0",
                                            .packages = &one, .n_packages = 1 };
        struct v2c_sbom_spec s = good;
        s.manifest_digest = "sha256:0123";
        expect_sbom_error(&s, EINVAL);
        s = good;
        s.manifest_digest = "sha256:0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef";
        expect_sbom_error(&s, EINVAL);
        s = good;
        s.created = "2024-01-02 03:04:05";
        expect_sbom_error(&s, EINVAL);
        s = good;
        s.image_name = NULL;
        expect_sbom_error(&s, EINVAL);
        s = good;
        s.packages = &unnamed;
        expect_sbom_error(&s, EINVAL);
        s = good;
        s.packages = &odd_type;
        expect_sbom_error(&s, EINVAL);
        /* The limit is checked before the array is read. */
        s = good;
        s.n_packages = V2C_SBOM_MAX_PACKAGES + 1;
        expect_sbom_error(&s, E2BIG);

        /* No packages at all is a valid (if small) SBOM. */
        s = good;
        s.packages = NULL;
        s.n_packages = 0;
        json_t *doc = NULL;
        assert_int_equal(v2c_sbom_spdx(&s, &doc, NULL), 0);
        assert_int_equal(json_array_size(json_object_get(doc, "packages")), 1);
        json_decref(doc);
}

/* ---- Kubernetes ---- */

#define IMAGE "registry.example/web@" DIGEST

static char *k8s_of(const struct v2c_k8s_spec *spec)
{
        char *out = NULL;
        struct v2c_error *e = NULL;
        int r = v2c_k8s_manifests(spec, &out, &e);
        if (r < 0)
                fail_msg("%s", e->msg);
        assert_non_null(out);
        return out;
}

static size_t count(const char *hay, const char *needle)
{
        size_t n = 0;
        for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
                n++;
        return n;
}

static void test_k8s_full(void **state)
{
        (void) state;
        const unsigned ports[] = { 8080, 9090, 8080 };
        char *volumes[] = { (char *) "/var/lib/app", (char *) "/var/lib/app/", (char *) "/", NULL };
        char *env[] = { (char *) "DB_PASSWORD", NULL };
        const struct v2c_k8s_spec spec = { .name = "Web.Service", .image = IMAGE, .ports = ports, .n_ports = 3,
                                           .volumes = volumes, .env_required = env, .user_uid = "33" };
        char *y = k8s_of(&spec);
        static const char want[] =
                "apiVersion: \"apps/v1\"\n"
                "kind: \"Deployment\"\n"
                "metadata:\n"
                "  name: \"web-service\"\n"
                "  labels:\n"
                "    app.kubernetes.io/name: \"web-service\"\n"
                "    app.kubernetes.io/managed-by: \"v2c\"\n"
                "spec:\n"
                "  replicas: 1\n"
                "  selector:\n"
                "    matchLabels:\n"
                "      app.kubernetes.io/name: \"web-service\"\n"
                "  strategy:\n"
                "    type: \"Recreate\"\n"
                "  template:\n"
                "    metadata:\n"
                "      labels:\n"
                "        app.kubernetes.io/name: \"web-service\"\n"
                "        app.kubernetes.io/managed-by: \"v2c\"\n"
                "    spec:\n"
                "      containers:\n"
                "        - name: \"web-service\"\n"
                "          image: \"" IMAGE "\"\n"
                "          imagePullPolicy: \"IfNotPresent\"\n"
                "          ports:\n"
                "            - name: \"tcp-8080\"\n"
                "              containerPort: 8080\n"
                "              protocol: \"TCP\"\n"
                "            - name: \"tcp-9090\"\n"
                "              containerPort: 9090\n"
                "              protocol: \"TCP\"\n"
                "          readinessProbe:\n"
                "            tcpSocket:\n"
                "              port: 8080\n"
                "          env:\n"
                "            - name: \"DB_PASSWORD\"\n"
                "              valueFrom:\n"
                "                secretKeyRef:\n"
                "                  name: \"web-service-env\"\n"
                "                  key: \"DB_PASSWORD\"\n"
                "          volumeMounts:\n"
                "            - name: \"web-service-var-lib-app\"\n"
                "              mountPath: \"/var/lib/app\"\n"
                "            - name: \"web-service-root\"\n"
                "              mountPath: \"/\"\n"
                "          securityContext:\n"
                "            runAsUser: 33\n"
                "      volumes:\n"
                "        - name: \"web-service-var-lib-app\"\n"
                "          persistentVolumeClaim:\n"
                "            claimName: \"web-service-var-lib-app\"\n"
                "        - name: \"web-service-root\"\n"
                "          persistentVolumeClaim:\n"
                "            claimName: \"web-service-root\"\n"
                "---\n"
                "apiVersion: \"v1\"\n"
                "kind: \"Service\"\n"
                "metadata:\n"
                "  name: \"web-service\"\n"
                "  labels:\n"
                "    app.kubernetes.io/name: \"web-service\"\n"
                "    app.kubernetes.io/managed-by: \"v2c\"\n"
                "spec:\n"
                "  type: \"ClusterIP\"\n"
                "  selector:\n"
                "    app.kubernetes.io/name: \"web-service\"\n"
                "  ports:\n"
                "    - name: \"tcp-8080\"\n"
                "      protocol: \"TCP\"\n"
                "      port: 8080\n"
                "      targetPort: 8080\n"
                "    - name: \"tcp-9090\"\n"
                "      protocol: \"TCP\"\n"
                "      port: 9090\n"
                "      targetPort: 9090\n"
                "---\n"
                "apiVersion: \"v1\"\n"
                "kind: \"PersistentVolumeClaim\"\n"
                "metadata:\n"
                "  name: \"web-service-var-lib-app\"\n"
                "  labels:\n"
                "    app.kubernetes.io/name: \"web-service\"\n"
                "    app.kubernetes.io/managed-by: \"v2c\"\n"
                "spec:\n"
                "  accessModes:\n"
                "    - \"ReadWriteOnce\"\n"
                "  resources:\n"
                "    requests:\n"
                "      storage: \"1Gi\"\n"
                "---\n"
                "apiVersion: \"v1\"\n"
                "kind: \"PersistentVolumeClaim\"\n"
                "metadata:\n"
                "  name: \"web-service-root\"\n"
                "  labels:\n"
                "    app.kubernetes.io/name: \"web-service\"\n"
                "    app.kubernetes.io/managed-by: \"v2c\"\n"
                "spec:\n"
                "  accessModes:\n"
                "    - \"ReadWriteOnce\"\n"
                "  resources:\n"
                "    requests:\n"
                "      storage: \"1Gi\"\n";
        assert_string_equal(y, want);

        char *again = k8s_of(&spec);
        assert_string_equal(y, again);
        free(again);
        free(y);
}

static void test_k8s_no_service_without_ports(void **state)
{
        (void) state;
        const struct v2c_k8s_spec spec = { .name = "batch", .image = IMAGE, .user_uid = "www-data" };
        char *y = k8s_of(&spec);
        assert_int_equal(count(y, "---\n"), 0);
        assert_int_equal(count(y, "kind: "), 1);
        assert_non_null(strstr(y, "kind: \"Deployment\"\n"));
        assert_null(strstr(y, "Service"));
        assert_null(strstr(y, "readinessProbe"));
        assert_null(strstr(y, "ports:"));
        assert_null(strstr(y, "securityContext"));
        assert_null(strstr(y, "strategy"));
        free(y);

        /* Printed as a decimal number, never "010" (octal to YAML 1.1). */
        const struct v2c_k8s_spec zero_padded = { .name = "batch", .image = IMAGE, .user_uid = "010" };
        y = k8s_of(&zero_padded);
        assert_non_null(strstr(y, "\n            runAsUser: 10\n"));
        free(y);
        const struct v2c_k8s_spec too_big = { .name = "batch", .image = IMAGE, .user_uid = "4294967296" };
        y = k8s_of(&too_big);
        assert_null(strstr(y, "runAsUser"));
        free(y);

        /* File capabilities of the executable are added, without "CAP_",
         * with or without a user. */
        char *caps[] = { (char *) "CAP_NET_BIND_SERVICE", (char *) "CAP_NET_RAW", NULL };
        const struct v2c_k8s_spec with_caps = { .name = "ping", .image = IMAGE, .user_uid = "65534",
                                                .capabilities = caps };
        y = k8s_of(&with_caps);
        assert_non_null(strstr(y, "          securityContext:\n"
                                  "            runAsUser: 65534\n"
                                  "            capabilities:\n"
                                  "              add:\n"
                                  "                - \"NET_BIND_SERVICE\"\n"
                                  "                - \"NET_RAW\"\n"));
        free(y);
        const struct v2c_k8s_spec caps_only = { .name = "ping", .image = IMAGE, .capabilities = caps };
        y = k8s_of(&caps_only);
        assert_non_null(strstr(y, "          securityContext:\n"
                                  "            capabilities:\n"));
        assert_null(strstr(y, "runAsUser"));
        free(y);
}

static void expect_name(const char *name, const char *want)
{
        const struct v2c_k8s_spec spec = { .name = name, .image = IMAGE };
        char *y = k8s_of(&spec);
        char line[128];
        snprintf(line, sizeof line, "\n  name: \"%s\"\n", want);
        assert_non_null(strstr(y, line));
        assert_true(strlen(want) <= 63);
        free(y);
}

static void test_k8s_names(void **state)
{
        (void) state;
        expect_name("My_App.Service", "my-app-service");
        expect_name("--nginx--", "nginx");
        expect_name("a  ..  b", "a-b");
        expect_name("9lives", "v2c-9lives");
        expect_name("caf\xc3\xa9-bar", "caf-bar");
        /* Cut to 63 without a trailing '-'. */
        expect_name("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-b",
                    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
        expect_name("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-bcd",
                    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
}

/* Paths that sanitise alike, or only differ past 63 bytes, get distinct
 * claims; a hostile path stays one quoted scalar. */
static void test_k8s_claims_unique(void **state)
{
        (void) state;
        char *volumes[] = {
                (char *) "/var/lib/a_b",
                (char *) "/var/lib/a.b",
                (char *) "/var/lib/a-b-2",
                (char *) "/srv/xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx/one",
                (char *) "/srv/xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx/two",
                (char *) "/x\"\n  evil: true\t\xe2\x80\xa8\x01\\",
                NULL,
        };
        const struct v2c_k8s_spec spec = { .name = "db", .image = IMAGE, .volumes = volumes };
        char *y = k8s_of(&spec);
        assert_int_equal(count(y, "kind: \"PersistentVolumeClaim\"\n"), 6);
        assert_int_equal(count(y, "---\n"), 6);
        assert_int_equal(count(y, "\n  name: \"db-var-lib-a-b\"\n"), 1);
        /* The third path's natural name was already given to the second. */
        assert_int_equal(count(y, "\n  name: \"db-var-lib-a-b-2\"\n"), 1);
        assert_int_equal(count(y, "\n  name: \"db-var-lib-a-b-2-2\"\n"), 1);
        assert_int_equal(count(y, "\n  name: \"db-srv-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"\n"), 1);
        assert_int_equal(count(y, "\n  name: \"db-srv-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx-2\"\n"), 1);
        assert_int_equal(count(y, "mountPath: \"/x\\\"\\x0A  evil: true\\x09\\u2028\\x01\\\\\"\n"), 1);
        assert_null(strstr(y, "\n  evil"));
        /* Every claim is mounted and listed as a pod volume under its own name. */
        assert_int_equal(count(y, "claimName: "), 6);
        free(y);
}

/* Secret files: one Secret volume with an item per file (its mode), each
 * mounted read-only at its own path with subPath. */
static void test_k8s_secret_files(void **state)
{
        (void) state;
        const struct v2c_k8s_secret_file files[] = {
                { "/etc/ssl/private/web01.key", "web01.key", 0600 },
                { "/etc/nginx/.htpasswd", ".htpasswd", 0640 },
        };
        const struct v2c_k8s_spec spec = { .name = "nginx", .image = IMAGE, .secret_files = files,
                                           .n_secret_files = 2 };
        char *y = k8s_of(&spec);
        assert_int_equal(count(y, "- name: \"v2c-secret-files\"\n"), 3);
        assert_non_null(strstr(y, "            - name: \"v2c-secret-files\"\n"
                                  "              mountPath: \"/etc/ssl/private/web01.key\"\n"
                                  "              subPath: \"web01.key\"\n"
                                  "              readOnly: true\n"));
        assert_non_null(strstr(y, "        - name: \"v2c-secret-files\"\n"
                                  "          secret:\n"
                                  "            secretName: \"nginx-files\"\n"
                                  "            optional: false\n"
                                  "            items:\n"
                                  "              - key: \"web01.key\"\n"
                                  "                path: \"web01.key\"\n"
                                  "                mode: 384   # 0600\n"
                                  "              - key: \".htpasswd\"\n"
                                  "                path: \".htpasswd\"\n"
                                  "                mode: 416   # 0640\n"));
        free(y);
        char app[64];
        assert_int_equal(v2c_k8s_app_name("Web_01", app, NULL), 0);
        assert_string_equal(app, "web-01");
}

static void expect_k8s_error(const struct v2c_k8s_spec *spec, int code)
{
        char sentinel[] = "untouched", *out = sentinel;
        struct v2c_error *e = NULL;
        assert_int_equal(v2c_k8s_manifests(spec, &out, &e), -code);
        assert_ptr_equal(out, sentinel);
        assert_non_null(e);
        assert_int_equal(e->code, code);
        v2c_error_free(e);
}

static void test_k8s_refuses(void **state)
{
        (void) state;
        const struct v2c_k8s_spec good = { .name = "web", .image = IMAGE };
        struct v2c_k8s_spec s = good;
        static const char *const bad_images[] = {
                "registry.example/web:1",
                "registry.example/web@sha256:0123",
                "registry.example/web@sha256:0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef",
                "registry.example/web@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0",
                "@" DIGEST,
                "registry.example/we b@" DIGEST,
                "registry.example/web@sha512:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
                NULL,
        };
        for (size_t i = 0; i < sizeof bad_images / sizeof bad_images[0]; i++) {
                s.image = bad_images[i];
                expect_k8s_error(&s, EINVAL);
        }
        /* Secret files: a relative path, a key Kubernetes refuses, a mode
         * beyond 0777, the same path twice. */
        const struct v2c_k8s_secret_file bad_files[][2] = {
                { { "etc/k.key", "k.key", 0600 }, { "/b", "b", 0600 } },
                { { "/etc/k.key", "k/key", 0600 }, { "/b", "b", 0600 } },
                { { "/etc/k.key", "k.key", 04755 }, { "/b", "b", 0600 } },
                { { "/etc/k.key", "k.key", 0600 }, { "/etc/k.key", "k2.key", 0600 } },
        };
        for (size_t i = 0; i < sizeof bad_files / sizeof bad_files[0]; i++) {
                s = good;
                s.secret_files = bad_files[i];
                s.n_secret_files = 2;
                expect_k8s_error(&s, EINVAL);
        }
        s = good;
        s.name = "...";
        expect_k8s_error(&s, EINVAL);

        s = good;
        const unsigned zero = 0, big = 65536;
        s.ports = &zero;
        s.n_ports = 1;
        expect_k8s_error(&s, EINVAL);
        s.ports = &big;
        expect_k8s_error(&s, EINVAL);
        s.n_ports = V2C_K8S_MAX_PORTS + 1;   /* checked before the array is read */
        expect_k8s_error(&s, E2BIG);

        s = good;
        char *relative[] = { (char *) "data", NULL };
        s.volumes = relative;
        expect_k8s_error(&s, EINVAL);

        s = good;
        char *bad_env[] = { (char *) "A=B", NULL };
        s.env_required = bad_env;
        expect_k8s_error(&s, EINVAL);

        /* Capability names come from a report file: only CAP_[A-Z0-9_]+. */
        static const char *const bad_caps[] = { "NET_RAW", "CAP_", "CAP_net_raw", "CAP_X\"\n  hostNetwork: true" };
        for (size_t i = 0; i < sizeof bad_caps / sizeof bad_caps[0]; i++) {
                char *one[] = { (char *) bad_caps[i], NULL };
                s = good;
                s.capabilities = one;
                expect_k8s_error(&s, EINVAL);
        }

        char **many = calloc(V2C_K8S_MAX_VOLUMES + 2, sizeof *many);
        for (size_t i = 0; i <= V2C_K8S_MAX_VOLUMES; i++)
                many[i] = (char *) "/v";
        s = good;
        s.volumes = many;
        expect_k8s_error(&s, E2BIG);
        s = good;
        s.env_required = many;
        expect_k8s_error(&s, E2BIG);
        free(many);
}

int main(int argc, char **argv)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_sbom_document),
                cmocka_unit_test(test_sbom_ids_unique),
                cmocka_unit_test(test_sbom_deterministic),
                cmocka_unit_test(test_sbom_refuses),
                cmocka_unit_test(test_k8s_full),
                cmocka_unit_test(test_k8s_secret_files),
                cmocka_unit_test(test_k8s_no_service_without_ports),
                cmocka_unit_test(test_k8s_names),
                cmocka_unit_test(test_k8s_claims_unique),
                cmocka_unit_test(test_k8s_refuses),
        };
        return v2c_run_group_tests(argc, argv, tests, NULL, NULL);
}
