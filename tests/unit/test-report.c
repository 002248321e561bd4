/* Unit tests for the report's JSON round trip and its validation of
 * untrusted report files. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "unit-main.h"

#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inspect.h"
#include "json.h"
#include "strv.h"

static struct v2c_report *sample(void)
{
        struct v2c_report *r = calloc(1, sizeof *r);
        r->source_kind = strdup("directory");
        r->os.distro = strdup("debian");
        r->os.version = strdup("12.7");
        r->os.arch = strdup("x86_64");
        r->nservices = 1;
        r->services = calloc(1, sizeof *r->services);
        struct v2c_service *s = &r->services[0];
        s->name = strdup("nginx");
        s->kind = strdup("systemd");
        s->enabled = true;
        s->exec_path = strdup("/usr/sbin/nginx");
        v2c_strv_push(&s->argv, "/usr/sbin/nginx");
        v2c_strv_push(&s->argv, "-g");
        v2c_strv_push(&s->argv, "daemon on;");
        s->nports = 1;
        s->ports = calloc(1, sizeof *s->ports);
        s->ports[0].port = 8080;
        strcpy(s->ports[0].proto, "tcp");
        s->ports[0].source = strdup("config:/etc/nginx/sites-enabled/default");
        s->klass = V2C_CLASS_STATELESS;
        v2c_strv_push(&s->reasons, "no database package");
        r->nsecrets = 1;
        r->secrets = calloc(1, sizeof *r->secrets);
        r->secrets[0].path = strdup("/etc/nginx/.htpasswd");
        r->secrets[0].kind = strdup("htpasswd");
        v2c_strv_push(&r->secrets[0].services, "nginx");
        return r;
}

static void test_round_trip(void **state)
{
        (void) state;
        struct v2c_report *r = sample();
        json_t *j = v2c_report_to_json(r);
        char *a = v2c_json_dump(j);
        struct v2c_report *back = NULL;
        assert_int_equal(v2c_report_from_json(j, &back, NULL), 0);
        json_t *j2 = v2c_report_to_json(back);
        char *b = v2c_json_dump(j2);
        assert_string_equal(a, b);
        assert_int_equal(back->services[0].ports[0].port, 8080);
        assert_string_equal(back->services[0].argv[2], "daemon on;");
        char *text = v2c_report_to_text(r);
        assert_non_null(strstr(text, "nginx"));
        assert_non_null(strstr(text, "stateless"));
        assert_non_null(strstr(text, "8080"));
        free(text);
        free(a);
        free(b);
        json_decref(j);
        json_decref(j2);
        v2c_report_free(r);
        v2c_report_free(back);
}

static void expect_rejected(const char *doc)
{
        json_t *j = NULL;
        struct v2c_error *e = NULL;
        assert_int_equal(v2c_json_load(doc, strlen(doc), "t", &j, NULL), 0);
        struct v2c_report *r = NULL;
        assert_true(v2c_report_from_json(j, &r, &e) < 0);
        assert_null(r);
        assert_non_null(e);
        assert_int_equal(e->kind, V2C_ERR_INPUT);
        v2c_error_free(e);
        json_decref(j);
}

static void test_rejects(void **state)
{
        (void) state;
        expect_rejected("{}");
        expect_rejected("{\"schema\":\"v2c.inspect/2\",\"services\":[]}");
        expect_rejected("{\"schema\":\"v2c.inspect/1\",\"services\":{}}");
        expect_rejected("{\"schema\":\"v2c.inspect/1\",\"services\":[{\"name\":\"x\",\"kind\":\"systemd\",\"class\":\"odd\"}]}");
        expect_rejected("{\"schema\":\"v2c.inspect/1\",\"services\":[{\"name\":\"x\",\"kind\":\"systemd\",\"class\":\"system\","
                        "\"ports\":[{\"port\":70000,\"proto\":\"tcp\"}]}]}");
        expect_rejected("{\"schema\":\"v2c.inspect/1\",\"services\":[{\"name\":7,\"kind\":\"systemd\",\"class\":\"system\"}]}");
}

/* The files a disk guest was read from (--allow-backing) go out and come
 * back as they were; a role or format the schema does not know is refused. */
static void test_source_files(void **state)
{
        (void) state;
        struct v2c_report *r = sample();
        free(r->source_kind);
        r->source_kind = strdup("disk");
        r->source_files = calloc(2, sizeof *r->source_files);
        r->n_source_files = 2;
        r->source_files[0] = (struct v2c_report_source) { strdup("top.qcow2"), strdup("qcow2"), strdup("image") };
        r->source_files[1] = (struct v2c_report_source) { strdup("/srv/base.raw"), strdup("raw"), strdup("backing") };
        json_t *j = v2c_report_to_json(r);
        struct v2c_report *back = NULL;
        assert_int_equal(v2c_report_from_json(j, &back, NULL), 0);
        assert_int_equal(back->n_source_files, 2);
        assert_string_equal(back->source_files[1].path, "/srv/base.raw");
        assert_string_equal(back->source_files[1].role, "backing");
        char *text = v2c_report_to_text(back);
        assert_non_null(strstr(text, "/srv/base.raw (raw, backing)"));
        free(text);
        json_decref(j);
        v2c_report_free(back);
        v2c_report_free(r);
        expect_rejected("{\"schema\":\"v2c.inspect/1\",\"source\":\"disk\",\"source_files\":"
                        "[{\"path\":\"a\",\"format\":\"qcow2\",\"role\":\"sneaky\"}],\"services\":[]}");
        expect_rejected("{\"schema\":\"v2c.inspect/1\",\"source\":\"disk\",\"source_files\":"
                        "[{\"path\":\"a\",\"format\":\"nbd\",\"role\":\"image\"}],\"services\":[]}");
        expect_rejected("{\"schema\":\"v2c.inspect/1\",\"source\":\"disk\",\"source_files\":{},\"services\":[]}");
}

static void test_bad_json(void **state)
{
        (void) state;
        json_t *j = NULL;
        struct v2c_error *e = NULL;
        assert_true(v2c_json_load("{\"a\":", 5, "report.json", &j, &e) < 0);
        assert_non_null(strstr(e->msg, "report.json:"));
        v2c_error_free(e);
}

/* Each malformed report is refused with an error naming the JSON path of
 * the value at fault, not just "malformed report". */
static void expect_error(const char *doc, const char *msg)
{
        json_t *j = NULL;
        struct v2c_error *e = NULL;
        if (v2c_json_load(doc, strlen(doc), "t", &j, NULL) < 0)
                fail_msg("not JSON: %s", doc);
        struct v2c_report *r = NULL;
        assert_int_equal(v2c_report_from_json(j, &r, &e), -EINVAL);
        assert_null(r);
        assert_non_null(e);
        assert_int_equal(e->kind, V2C_ERR_INPUT);
        assert_string_equal(e->msg, msg);
        v2c_error_free(e);
        json_decref(j);
}

#define DOC(rest) "{\"schema\":\"v2c.inspect/1\"," rest "}"
#define SVC(rest) DOC("\"services\":[{\"name\":\"a\",\"kind\":\"systemd\",\"class\":\"system\"}," \
                      "{\"name\":\"b\",\"kind\":\"systemd\",\"class\":\"system\"," rest "}]")

#define H64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void test_error_paths(void **state)
{
        (void) state;
        expect_error("{\"services\":[]}", "not a v2c.inspect/1 report (schema is missing)");
        /* wrong types */
        expect_error(DOC("\"services\":{}"), "services: not a list");
        expect_error(DOC("\"services\":[7]"), "services[0]: not an object");
        expect_error(DOC("\"os\":[],\"services\":[]"), "os: not an object");
        expect_error(DOC("\"os\":{\"hostname\":1},\"services\":[]"), "os.hostname: not a string");
        expect_error(DOC("\"os\":{\"packages\":-1},\"services\":[]"), "os.packages: not a non-negative integer");
        expect_error(DOC("\"services\":[{\"name\":7,\"kind\":\"systemd\",\"class\":\"system\"}]"),
                     "services[0].name: not a string");
        expect_error(SVC("\"enabled\":\"yes\""), "services[1].enabled: not true or false");
        expect_error(SVC("\"exec\":{\"argv\":[\"/bin/x\",3]}"), "services[1].exec.argv[1]: not a string");
        expect_error(SVC("\"directories\":{\"state\":\"/var/lib/x\"}"),
                     "services[1].directories.state: not a list of strings");
        expect_error(DOC("\"services\":[{\"name\":\"b\",\"kind\":\"systemd\",\"class\":\"odd\"}]"),
                     "services[0].class: not \"stateless\", \"stateful\", \"system\" or \"review\"");
        expect_error(DOC("\"services\":[],\"secrets\":[{\"path\":\"/k\",\"services\":[false]}]"),
                     "secrets[0].services[0]: not a string");
        expect_error(DOC("\"services\":[],\"warnings\":\"w\""), "warnings: not a list of strings");
        /* missing required fields */
        expect_error(DOC("\"os\":{}"), "services: missing");
        expect_error(DOC("\"services\":[{\"kind\":\"systemd\",\"class\":\"system\"}]"), "services[0].name: missing");
        expect_error(DOC("\"services\":[{\"name\":\"a\",\"kind\":\"systemd\"}]"), "services[0].class: missing");
        expect_error(SVC("\"ports\":[{\"port\":80}]"), "services[1].ports[0].proto: missing");
        expect_error(SVC("\"connects_to\":[{\"service\":\"a\"}]"),
                     "services[1].connects_to[0].port: missing (a connection has a port or a socket)");
        expect_error(SVC("\"secret_files\":[{\"path\":\"/k\",\"uid\":0,\"gid\":0}]"),
                     "services[1].secret_files[0].mode: missing");
        expect_error(DOC("\"services\":[],\"secrets\":[{\"kind\":\"x\"}]"), "secrets[0].path: missing");
        /* out of range */
        expect_error(SVC("\"ports\":[{\"port\":80,\"proto\":\"tcp\"},{\"port\":70000,\"proto\":\"tcp\"}]"),
                     "services[1].ports[1].port: not an integer from 1 to 65535");
        expect_error(SVC("\"ports\":[{\"port\":0,\"proto\":\"tcp\"}]"),
                     "services[1].ports[0].port: not an integer from 1 to 65535");
        expect_error(SVC("\"ports\":[{\"port\":\"80\",\"proto\":\"tcp\"}]"),
                     "services[1].ports[0].port: not an integer from 1 to 65535");
        expect_error(SVC("\"ports\":[{\"port\":80,\"proto\":\"sctp\"}]"),
                     "services[1].ports[0].proto: not \"tcp\" or \"udp\"");
        expect_error(SVC("\"connects_to\":[{\"service\":\"a\",\"port\":65536}]"),
                     "services[1].connects_to[0].port: not an integer from 1 to 65535");
        expect_error(SVC("\"secret_files\":[{\"path\":\"/k\",\"uid\":4294967296,\"gid\":0,\"mode\":\"0600\"}]"),
                     "services[1].secret_files[0].uid: not an integer from 0 to 4294967295");
        expect_error(SVC("\"secret_files\":[{\"path\":\"/k\",\"uid\":0,\"gid\":0,\"mode\":\"10000\"}]"),
                     "services[1].secret_files[0].mode: not an octal mode from 0000 to 7777");
        expect_error(SVC("\"secret_files\":[{\"path\":\"/k\",\"uid\":0,\"gid\":0,\"mode\":\"-1\"}]"),
                     "services[1].secret_files[0].mode: not an octal mode from 0000 to 7777");
        expect_error(SVC("\"secret_files\":[{\"path\":\"k\",\"uid\":0,\"gid\":0,\"mode\":\"0600\"}]"),
                     "services[1].secret_files[0].path: not an absolute path");
        /* versions and digests: an object of strings, a digest as v2c writes one */
        expect_error(SVC("\"package_versions\":[\"nginx\"]"), "services[1].package_versions: not an object");
        expect_error(SVC("\"package_versions\":{\"nginx\":1}"),
                     "services[1].package_versions[\"nginx\"]: not a version (a non-empty string)");
        expect_error(SVC("\"package_versions\":{\"\":\"1.0\"}"), "services[1].package_versions[\"\"]: not a package name");
        expect_error(SVC("\"config_digests\":{\"etc/x\":\"sha256:" H64 "\"}"),
                     "services[1].config_digests[\"etc/x\"]: not an absolute path");
        expect_error(SVC("\"config_digests\":{\"/etc/x\":\"sha256:" H64 "0\"}"),
                     "services[1].config_digests[\"/etc/x\"]: not a digest (sha256: and 64 lowercase hex digits)");
        expect_error(SVC("\"config_digests\":{\"/etc/x\":\"sha256:../../../../../../../../../../../../../../../../"
                         "../../../../../x\"}"),
                     "services[1].config_digests[\"/etc/x\"]: not a digest (sha256: and 64 lowercase hex digits)");
        expect_error(SVC("\"config_digests\":{\"/etc/x\":\"sha256:0123456789ABCDEF0123456789abcdef0123456789abcdef"
                         "0123456789abcdef\"}"),
                     "services[1].config_digests[\"/etc/x\"]: not a digest (sha256: and 64 lowercase hex digits)");
        expect_error(SVC("\"config_digests\":{\"/etc/\\nx\":\"md5:0\"}"),
                     "services[1].config_digests[\"/etc/?x\"]: not a digest (sha256: and 64 lowercase hex digits)");
        expect_error(DOC("\"source\":\"disk\",\"source_files\":[{\"path\":\"a\",\"format\":\"nbd\",\"role\":\"image\"}],"
                         "\"services\":[]"),
                     "source_files[0].format: not a known value");
}

/* A list longer than the reader's bound is refused before it is walked. */
static void test_huge_arrays(void **state)
{
        (void) state;
        json_t *big = json_array();
        for (int i = 0; i < 100001; i++)
                json_array_append_new(big, json_string("x"));
        json_t *svc = json_pack("{s:s, s:s, s:s, s:O}", "name", "a", "kind", "systemd", "class", "system", "packages", big);
        json_t *doc = json_pack("{s:s, s:[o]}", "schema", "v2c.inspect/1", "services", svc);
        struct v2c_report *r = NULL;
        struct v2c_error *e = NULL;
        assert_int_equal(v2c_report_from_json(doc, &r, &e), -EINVAL);
        assert_string_equal(e->msg, "services[0].packages: more than 100000 entries");
        e = v2c_error_free(e);
        json_decref(doc);

        json_t *ports = json_array();
        for (int i = 0; i < 65537; i++)
                json_array_append_new(ports, json_pack("{s:i, s:s}", "port", 80, "proto", "tcp"));
        svc = json_pack("{s:s, s:s, s:s, s:o}", "name", "a", "kind", "systemd", "class", "system", "ports", ports);
        doc = json_pack("{s:s, s:[o]}", "schema", "v2c.inspect/1", "services", svc);
        assert_int_equal(v2c_report_from_json(doc, &r, &e), -EINVAL);
        assert_string_equal(e->msg, "services[0].ports: more than 65536 entries");
        v2c_error_free(e);
        json_decref(doc);
        json_decref(big);
}

/* Every expected report of the tests reads back and writes out as the
 * same bytes: the writer and the reader agree on every field.  (The
 * hostile guests' expected files hold differences, not reports: no
 * "schema".) */
/* The image label io.v2c.hardening: the report's "hardening" plus
 * "run_as", the numbers convert resolved.  An image from a registry wrote
 * it, and the numbers become the container's User and tmpfs mount
 * options: only integers 0..V2C_ID_MAX that agree with run_as_root. */
#define LABEL_HEAD "{\"run_as_root\":false,\"seccomp\":\"RuntimeDefault\",\"read_only_root\":true"

static void label_refused(const char *doc, const char *why)
{
        json_t *j = NULL;
        assert_int_equal(v2c_json_load(doc, strlen(doc), "t", &j, NULL), 0);
        struct v2c_hardening h = { .run_as_uid = 12345 };
        struct v2c_error *e = NULL;
        assert_int_equal(v2c_hardening_from_json(j, &h, &e), -EINVAL);
        assert_int_equal(e->kind, V2C_ERR_INPUT);
        if (strstr(e->msg, why) == NULL)
                fail_msg("%s: said `%s`, want `%s`", doc, e->msg, why);
        assert_int_equal(h.run_as_uid, 12345);   /* untouched */
        assert_null(h.seccomp);
        v2c_error_free(e);
        json_decref(j);
}

static void test_label_run_as(void **state)
{
        (void) state;
        const char *doc = LABEL_HEAD ",\"run_as\":{\"uid\":33,\"gid\":4}}";
        json_t *j = NULL;
        assert_int_equal(v2c_json_load(doc, strlen(doc), "t", &j, NULL), 0);
        struct v2c_hardening h = { 0 };
        assert_int_equal(v2c_hardening_from_json(j, &h, NULL), 0);
        json_decref(j);
        assert_true(h.run_as_known);
        assert_int_equal(h.run_as_uid, 33);
        assert_int_equal(h.run_as_gid, 4);
        /* ... written back the same; and a copy keeps it */
        struct v2c_hardening c = { 0 };
        assert_int_equal(v2c_hardening_copy(&h, &c), 0);
        j = v2c_hardening_to_json(&c);
        assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "run_as"), "uid")), 33);
        assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "run_as"), "gid")), 4);
        json_decref(j);
        v2c_hardening_release(&c);
        /* Unknown: left out of what is written, and of the report. */
        h.run_as_known = false;
        j = v2c_hardening_to_json(&h);
        assert_null(json_object_get(j, "run_as"));
        json_decref(j);
        v2c_hardening_release(&h);

        /* The largest id there is, and an absent run_as, are fine. */
        const char *ok[] = { LABEL_HEAD ",\"run_as\":{\"uid\":4294967294,\"gid\":4294967294}}",
                             LABEL_HEAD "}", LABEL_HEAD ",\"run_as\":null}",
                             "{\"run_as_root\":true,\"seccomp\":\"RuntimeDefault\",\"run_as\":{\"uid\":0,\"gid\":0}}" };
        for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
                assert_int_equal(v2c_json_load(ok[i], strlen(ok[i]), "t", &j, NULL), 0);
                assert_int_equal(v2c_hardening_from_json(j, &h, NULL), 0);
                assert_int_equal(h.run_as_known, i == 0 || i == 3);
                v2c_hardening_release(&h);
                json_decref(j);
        }

        const char *want = "each an integer from 0 to 4294967294";
        /* Text would be mount options of its own. */
        label_refused(LABEL_HEAD ",\"run_as\":{\"uid\":\"0,exec\",\"gid\":33}}", want);
        label_refused(LABEL_HEAD ",\"run_as\":{\"uid\":33,\"gid\":\"33,suid\"}}", want);
        label_refused(LABEL_HEAD ",\"run_as\":{\"uid\":\"33\",\"gid\":33}}", want);
        /* 2^32 would wrap to root; (uid_t) -1 is no id; none are negative. */
        label_refused(LABEL_HEAD ",\"run_as\":{\"uid\":4294967296,\"gid\":33}}", want);
        label_refused(LABEL_HEAD ",\"run_as\":{\"uid\":33,\"gid\":4294967295}}", want);
        label_refused(LABEL_HEAD ",\"run_as\":{\"uid\":-1,\"gid\":33}}", want);
        label_refused(LABEL_HEAD ",\"run_as\":{\"uid\":33.5,\"gid\":33}}", want);
        label_refused(LABEL_HEAD ",\"run_as\":{\"uid\":33}}", want);
        label_refused(LABEL_HEAD ",\"run_as\":{\"uid\":33,\"gid\":33,\"groups\":[0]}}", want);
        label_refused(LABEL_HEAD ",\"run_as\":\"33:33\"}", want);
        label_refused(LABEL_HEAD ",\"run_as\":[33,33]}", want);
        /* Root where the spec says it is not, and the other way round. */
        label_refused(LABEL_HEAD ",\"run_as\":{\"uid\":0,\"gid\":0}}", "uid 0 contradicts run_as_root: false");
        label_refused("{\"run_as_root\":true,\"seccomp\":\"RuntimeDefault\",\"run_as\":{\"uid\":33,\"gid\":0}}",
                      "uid 33 contradicts run_as_root: true");
}

static void test_expected_round_trip(void **state)
{
        (void) state;
        glob_t g;
        assert_int_equal(glob("tests/expected/*.json", 0, NULL, &g), 0);
        assert_true(g.gl_pathc > 0);
        size_t reports = 0;
        for (size_t i = 0; i < g.gl_pathc; i++) {
                json_t *j = NULL;
                struct v2c_error *e = NULL;
                assert_int_equal(v2c_json_load_file(g.gl_pathv[i], 64u << 20, &j, &e), 0);
                if (!json_is_string(json_object_get(j, "schema"))) {
                        json_decref(j);
                        continue;
                }
                reports++;
                struct v2c_report *r = NULL;
                assert_int_equal(v2c_report_from_json(j, &r, &e), 0);
                assert_true(r->nservices > 0);
                json_t *back = v2c_report_to_json(r);
                char *a = v2c_json_dump(back);
                FILE *f = fopen(g.gl_pathv[i], "r");
                assert_non_null(f);
                char *want = calloc(1, 64u << 20);
                size_t n = fread(want, 1, (64u << 20) - 1, f);
                fclose(f);
                assert_true(n > 0);
                if (strcmp(a, want) != 0)
                        fail_msg("%s: written back differently", g.gl_pathv[i]);
                free(want);
                free(a);
                json_decref(back);
                json_decref(j);
                v2c_report_free(r);
        }
        globfree(&g);
        assert_true(reports >= 2);   /* debian.json, alpine.json */
}

int main(int argc, char **argv)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_round_trip),
                cmocka_unit_test(test_rejects),
                cmocka_unit_test(test_bad_json),
                cmocka_unit_test(test_source_files),
                cmocka_unit_test(test_error_paths),
                cmocka_unit_test(test_huge_arrays),
                cmocka_unit_test(test_label_run_as),
                cmocka_unit_test(test_expected_round_trip),
        };
        return v2c_run_group_tests(argc, argv, tests, NULL, NULL);
}
