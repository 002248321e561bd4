/* Unit tests for the guests of `v2c inspect --each` (common/guest-list.c):
 * names made safe to be file names in the report directory, made unique,
 * and the manifest's lines. */
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
#include "strv.h"

static void check_sanitize(const char *in, const char *want)
{
        char *s = v2c_guest_name_sanitize(in, strlen(in));
        assert_non_null(s);
        assert_string_equal(s, want);
        free(s);
}

static void check_from_path(const char *in, const char *want)
{
        char *s = v2c_guest_name_from_path(in);
        assert_non_null(s);
        assert_string_equal(s, want);
        free(s);
}

static void test_sanitize(void **state)
{
        (void) state;
        check_sanitize("web-1.example_2", "web-1.example_2");
        /* Nothing can name a parent, a hidden file or another directory. */
        check_sanitize("..", "_.");
        check_sanitize(".", "_");
        check_sanitize("../../etc/passwd", "_._.._etc_passwd");
        check_sanitize("/abs", "_abs");
        check_sanitize(".hidden", "_hidden");
        check_sanitize("a b\tc\n", "a_b_c_");
        check_sanitize("caf\xc3\xa9", "caf__");
        check_sanitize("", "guest");
        char nul[] = { 'a', '\0', 'b' };
        char *s = v2c_guest_name_sanitize(nul, sizeof nul);
        assert_string_equal(s, "a_b");
        free(s);
        /* Bounded: a file name with room for ".json". */
        char longname[300];
        memset(longname, 'x', sizeof longname - 1);
        longname[sizeof longname - 1] = '\0';
        s = v2c_guest_name_sanitize(longname, strlen(longname));
        assert_int_equal(strlen(s), V2C_GUEST_NAME_MAX);
        free(s);
}

static void test_from_path(void **state)
{
        (void) state;
        check_from_path("/vms/web-1.qcow2", "web-1");
        check_from_path("web.tar.gz", "web.tar");
        check_from_path("disk", "disk");
        check_from_path("/vms/db/", "db");
        check_from_path(".qcow2", "_qcow2");
        check_from_path("..qcow2", "_");
        check_from_path("/x/../..", "_");
        check_from_path("/", "_");
}

static void test_unique(void **state)
{
        (void) state;
        char *paths[] = { "/a/web.qcow2", "/b/web.qcow2", "/c/web-2.raw", "/d/web.img", "/e/db.qcow2" };
        struct v2c_guest_spec *v = NULL;
        size_t n = 0;
        struct v2c_error *err = NULL;
        assert_int_equal(v2c_guest_specs_from_paths(paths, 5, &v, &n, &err), 0);
        assert_int_equal(n, 5);
        /* The second web is web-2; the real web-2 then moves on to web-3, the
         * fourth guest's own number, 4, being free. */
        assert_string_equal(v[0].name, "web");
        assert_string_equal(v[1].name, "web-2");
        assert_string_equal(v[2].name, "web-2-3");
        assert_string_equal(v[3].name, "web-4");
        assert_string_equal(v[4].name, "db");
        assert_string_equal(v[1].disks[0], "/b/web.qcow2");
        assert_null(v[1].disks[1]);
        v2c_guest_specs_free(v, n);

        /* Thousands of equal names stay unique and bounded. */
        enum { MANY = 3000 };
        char **many = calloc(MANY, sizeof *many);
        for (size_t i = 0; i < MANY; i++)
                many[i] = "/x/yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy.img";
        assert_int_equal(v2c_guest_specs_from_paths(many, MANY, &v, &n, &err), 0);
        char **seen = NULL;
        for (size_t i = 0; i < n; i++) {
                assert_true(strlen(v[i].name) <= V2C_GUEST_NAME_MAX);
                assert_int_equal(v2c_strv_push_unique(&seen, v[i].name), 0);
        }
        assert_int_equal(v2c_strv_len(seen), MANY);
        v2c_strv_free(seen);
        v2c_guest_specs_free(v, n);
        free(many);
}

static void test_manifest(void **state)
{
        (void) state;
        const char *text = "# fleet, wave 1\n"
                           "\n"
                           "web   /vms/web.qcow2\r\n"
                           "  db\t/vms/db-a.qcow2  /vms/db-b.qcow2   # the database\n"
                           "../../x /vms/x.raw\n"
                           "web /vms/web2.qcow2";
        struct v2c_guest_spec *v = NULL;
        size_t n = 0;
        struct v2c_error *err = NULL;
        assert_int_equal(v2c_guest_list_parse(text, strlen(text), &v, &n, &err), 0);
        assert_null(err);
        assert_int_equal(n, 4);
        assert_string_equal(v[0].name, "web");
        assert_string_equal(v[0].disks[0], "/vms/web.qcow2");
        assert_null(v[0].disks[1]);
        assert_string_equal(v[1].name, "db");
        assert_int_equal(v2c_strv_len(v[1].disks), 2);
        assert_string_equal(v[1].disks[1], "/vms/db-b.qcow2");
        assert_string_equal(v[2].name, "_._.._x");
        assert_string_equal(v[3].name, "web-4");
        v2c_guest_specs_free(v, n);
}

static void check_bad(const char *text, size_t len, const char *msg)
{
        struct v2c_guest_spec *v = NULL;
        size_t n = 0;
        struct v2c_error *err = NULL;
        assert_true(v2c_guest_list_parse(text, len, &v, &n, &err) < 0);
        assert_null(v);
        assert_non_null(err);
        assert_int_equal(err->kind, V2C_ERR_INPUT);
        if (strstr(err->msg, msg) == NULL)
                fail_msg("`%s` does not say `%s`", err->msg, msg);
        v2c_error_free(err);
}

static void test_manifest_bad(void **state)
{
        (void) state;
        check_bad("", 0, "lists no guest");
        check_bad("# only\n\n   \n", 12, "lists no guest");
        check_bad("a /d\nlonely\n", 12, "line 2: guest `lonely` names no disk");
        check_bad("lonely # /d\n", 12, "line 1: guest `lonely` names no disk");
        check_bad("a /d\0b /e\n", 10, "NUL byte");
        char line[1024] = "g";
        for (int i = 0; i <= V2C_GUEST_DISKS_MAX; i++)
                strcat(line, " /d");
        check_bad(line, strlen(line), "line 1: more than 16 disks");
        size_t big = (size_t) (V2C_GUEST_LIST_MAX + 1) * 4;
        char *many = malloc(big + 1);
        for (size_t i = 0; i < big; i += 4)
                memcpy(many + i, "g d\n", 4);
        check_bad(many, big, "more than 4096 guests");
        free(many);
}

int main(int argc, char **argv)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_sanitize),
                cmocka_unit_test(test_from_path),
                cmocka_unit_test(test_unique),
                cmocka_unit_test(test_manifest),
                cmocka_unit_test(test_manifest_bad),
        };
        return v2c_run_group_tests(argc, argv, tests, NULL, NULL);
}
