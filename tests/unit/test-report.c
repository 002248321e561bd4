/* Unit tests for the report's JSON round trip and its validation of
 * untrusted report files. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "unit-main.h"

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

int main(int argc, char **argv)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_round_trip),
                cmocka_unit_test(test_rejects),
                cmocka_unit_test(test_bad_json),
                cmocka_unit_test(test_source_files),
        };
        return v2c_run_group_tests(argc, argv, tests, NULL, NULL);
}
