/* Unit tests for the Kubernetes Indexed Job of a fleet (cli/kube-job.c):
 * RFC 1123 names, guest names made labels, the options' checks (the image
 * pinned by digest above all), what the builder refuses, and the index to
 * guest mapping of the ConfigMap.  test-kube-job.sh checks the whole
 * document against the API's types and runs each pod's work. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "unit-main.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "guest-list.h"
#include "kube-job.h"

#define HEX64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define PINNED "registry.example:5000/v2c/v2c@sha256:" HEX64

static struct v2c_kube_job_options good_options(void)
{
        return (struct v2c_kube_job_options) {
                .job_name = "v2c-fleet", .image = PINNED, .disks_claim = "vm-disks", .results_claim = "v2c-results",
                .parallelism = 2,
        };
}

static void check_label_from(const char *in, const char *want)
{
        char *s = v2c_kube_label_from(in);
        assert_non_null(s);
        assert_string_equal(s, want);
        if (want[0])
                assert_true(v2c_kube_label_valid(s));
        free(s);
}

static void test_names(void **state)
{
        (void) state;
        assert_true(v2c_kube_label_valid("web-01"));
        assert_true(v2c_kube_label_valid("0"));
        assert_false(v2c_kube_label_valid(""));
        assert_false(v2c_kube_label_valid("Web"));
        assert_false(v2c_kube_label_valid("wEb"));
        assert_false(v2c_kube_label_valid("web_1"));
        assert_false(v2c_kube_label_valid("-web"));
        assert_false(v2c_kube_label_valid("web-"));
        assert_false(v2c_kube_label_valid("a.b"));
        assert_true(v2c_kube_subdomain_valid("a.b-c.d"));
        assert_false(v2c_kube_subdomain_valid("a..b"));
        assert_false(v2c_kube_subdomain_valid(".a"));
        assert_false(v2c_kube_subdomain_valid("a."));
        assert_false(v2c_kube_subdomain_valid("a\"b"));
        char s64[65];
        memset(s64, 'a', 64);
        s64[64] = '\0';
        assert_false(v2c_kube_label_valid(s64));
        assert_true(v2c_kube_label_valid(s64 + 1));

        check_label_from("web01", "web01");
        check_label_from("Alp_01.Prod", "alp-01-prod");
        check_label_from("__x__y__", "x-y");
        check_label_from("x__n", "x-n");
        check_label_from("___", "");
        check_label_from("caf\xc3\xa9-1", "caf-1");
        /* Cut to 63 bytes, never ending in '-'. */
        char longname[80];
        memset(longname, 'b', sizeof longname - 1);
        longname[sizeof longname - 1] = '\0';
        longname[62] = '_';
        check_label_from(longname, "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
}

static void check_options_bad(struct v2c_kube_job_options o, size_t n, const char *want)
{
        struct v2c_error *err = NULL;
        assert_true(v2c_kube_job_check_options(&o, n, &err) < 0);
        assert_non_null(err);
        assert_int_equal(err->kind, V2C_ERR_USAGE);
        if (strstr(err->msg, want) == NULL)
                fail_msg("`%s` does not say `%s`", err->msg, want);
        v2c_error_free(err);
}

static void test_options(void **state)
{
        (void) state;
        struct v2c_kube_job_options o = good_options();
        struct v2c_error *err = NULL;
        assert_int_equal(v2c_kube_job_check_options(&o, 4, &err), 0);
        o.push = "127.0.0.1:5000/fleet";
        o.registry_secret = "regcred";
        assert_int_equal(v2c_kube_job_check_options(&o, 4, &err), 0);

        /* Every pod must run the same v2c: a digest, nothing else. */
        o = good_options();
        o.image = "registry.example:5000/v2c/v2c:1.0";
        check_options_bad(o, 1, "is not pinned");
        o.image = "registry.example:5000/v2c/v2c:1.0@sha256:" HEX64;
        check_options_bad(o, 1, "is not pinned");
        o.image = "registry.example:5000/v2c/v2c@sha256:" HEX64 "0";
        check_options_bad(o, 1, "--image");
        o.image = "registry.example:5000/v2c/v2c@sha512:" HEX64;
        check_options_bad(o, 1, "--image");
        o.image = "v2c@sha256:" HEX64;
        check_options_bad(o, 1, "--image");

        o = good_options();
        o.job_name = "Fleet";
        check_options_bad(o, 1, "--job-name `Fleet` is not a Kubernetes name");
        /* JOB-INDEX is a pod's hostname: 58 bytes leave room for 10000 guests' "-9999", not 10001's "-10000". */
        char name[59];
        memset(name, 'j', 58);
        name[58] = '\0';
        o.job_name = name;
        struct v2c_error *none = NULL;
        assert_int_equal(v2c_kube_job_check_options(&o, 10000, &none), 0);
        check_options_bad(o, 10001, "too long for 10001 guests");
        o = good_options();
        o.disks_claim = "Vm_Disks";
        check_options_bad(o, 1, "--disks-claim `Vm_Disks`");
        o = good_options();
        o.results_claim = "r\"x";
        check_options_bad(o, 1, "--results-claim");
        o = good_options();
        o.push = "127.0.0.1:5000/fleet:tag";
        check_options_bad(o, 1, "--push");
        o.push = "127.0.0.1:5000/Fleet";
        check_options_bad(o, 1, "--push");
        o.push = "127.0.0.1:5000";
        check_options_bad(o, 1, "--push `127.0.0.1:5000` is not HOST/PREFIX");
        o.push = "127.0.0.1:5000/fleet@sha256:" HEX64;
        check_options_bad(o, 1, "--push");
        o = good_options();
        o.registry_secret = "regcred";
        check_options_bad(o, 1, "goes with --push");
}

/* The guests of manifest TEXT, made into a job with the good options. */
static int job_of(const char *text, json_t **out, struct v2c_error **err)
{
        struct v2c_guest_spec *g = NULL;
        size_t n = 0;
        assert_int_equal(v2c_guest_list_parse(text, strlen(text), &g, &n, err), 0);
        struct v2c_kube_job_options o = good_options();
        int r = v2c_kube_job(g, n, &o, out, err);
        v2c_guest_specs_free(g, n);
        return r;
}

static void check_job_bad(const char *text, const char *want)
{
        json_t *doc = NULL;
        struct v2c_error *err = NULL;
        assert_true(job_of(text, &doc, &err) < 0);
        assert_null(doc);
        assert_int_equal(err->kind, V2C_ERR_INPUT);
        if (strstr(err->msg, want) == NULL)
                fail_msg("`%s` does not say `%s`", err->msg, want);
        v2c_error_free(err);
}

static void test_job(void **state)
{
        (void) state;
        json_t *doc = NULL;
        struct v2c_error *err = NULL;
        assert_int_equal(job_of("web01 vms/web01.qcow2\nDB_1 db/root.qcow2 db/data.qcow2\n"
                                "q\"x vms/a\"b\\c$(d)*.qcow2\n",
                                &doc, &err),
                         0);
        json_t *cm = json_array_get(json_object_get(doc, "items"), 0);
        json_t *job = json_array_get(json_object_get(doc, "items"), 1);
        json_t *data = json_object_get(cm, "data");
        assert_int_equal(json_object_size(data), 3);
        assert_string_equal(json_string_value(json_object_get(data, "0")), "web01 vms/web01.qcow2\n");
        assert_string_equal(json_string_value(json_object_get(data, "1")), "db-1 db/root.qcow2 db/data.qcow2\n");
        /* The path is data, byte for byte; the name a label. */
        assert_string_equal(json_string_value(json_object_get(data, "2")), "q-x vms/a\"b\\c$(d)*.qcow2\n");
        json_t *spec = json_object_get(job, "spec");
        assert_int_equal(json_integer_value(json_object_get(spec, "completions")), 3);
        assert_int_equal(json_integer_value(json_object_get(spec, "parallelism")), 2);
        assert_string_equal(json_string_value(json_object_get(spec, "completionMode")), "Indexed");
        json_t *c = json_array_get(json_object_get(json_object_get(json_object_get(spec, "template"), "spec"),
                                                   "containers"), 0);
        assert_string_equal(json_string_value(json_object_get(c, "image")), PINNED);
        json_decref(doc);

        check_job_bad("web01 /vms/web01.qcow2\n", "is absolute");
        check_job_bad("web01 vms/../../x.qcow2\n", "holds `..`");
        check_job_bad("web01 ..\n", "holds `..`");
        check_job_bad("web01 vms/caf\xe9.qcow2\n", "is not UTF-8");
        check_job_bad("Web_1 a\nweb-1 b\n", "are both `web-1`");
        check_job_bad("___ a\n", "no letter or digit");
        /* "..x" and "x.." are names, not the parent. */
        assert_int_equal(job_of("web01 ..x/x..\n", &doc, &err), 0);
        json_decref(doc);
}

/* The kubelet expands "$(VAR)" and "$$" in a container's command: the
 * script must hold neither, or its text would change. */
static void test_script(void **state)
{
        (void) state;
        assert_null(strstr(v2c_kube_job_script, "$("));
        assert_null(strstr(v2c_kube_job_script, "$$"));
        /* Globbing off: a path holding '*' stays one argument. */
        assert_non_null(strstr(v2c_kube_job_script, "set -euf\n"));
}

int main(int argc, char **argv)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_names),
                cmocka_unit_test(test_options),
                cmocka_unit_test(test_job),
                cmocka_unit_test(test_script),
        };
        return v2c_run_group_tests(argc, argv, tests, NULL, NULL);
}
