/* Unit tests for QMP message parsing (rollout/qmp.c): the four kinds of
 * message qemu sends (greeting, return, error, event) with the fields each
 * promises, the line ends qemu uses, and what is refused.  Buffers are
 * exact-size heap copies without a NUL, so AddressSanitizer catches any read
 * past their end.  Failures are checked to set an error and leave the
 * output alone.  The client itself is tested against a real qemu in
 * tests/integration/test-vm.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "unit-main.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "qmp.h"

/* An exact-size copy of s without its NUL (new). */
static char *exact(const char *s, size_t *len)
{
        *len = strlen(s);
        char *p = malloc(*len ? *len : 1);
        assert_non_null(p);
        memcpy(p, s, *len);
        return p;
}

/* Parses S, which must succeed as KIND; *m is for the caller to release. */
static void parse_ok(const char *s, enum v2c_qmp_msg_kind kind, struct v2c_qmp_msg *m)
{
        size_t len;
        char *p = exact(s, &len);
        struct v2c_error *err = NULL;
        int r = v2c_qmp_parse_message(p, len, m, &err);
        free(p);
        if (r < 0)
                fail_msg("`%s`: %s", s, err ? err->msg : "(no message)");
        assert_int_equal(r, 0);
        assert_null(err);
        assert_non_null(m->root);
        assert_int_equal(m->kind, kind);
}

/* Parses S, which must fail with CODE and a message holding WHY. */
static void parse_bad(const char *s, size_t len, int code, const char *why)
{
        char *p = malloc(len ? len : 1);
        assert_non_null(p);
        memcpy(p, s, len);
        struct v2c_qmp_msg m = { .kind = V2C_QMP_MSG_EVENT, .event = "untouched" };
        struct v2c_error *err = NULL;
        int r = v2c_qmp_parse_message(p, len, &m, &err);
        free(p);
        assert_int_equal(r, -code);
        assert_non_null(err);
        if (strstr(err->msg, why) == NULL)
                fail_msg("`%.60s`: message `%s` lacks `%s`", s, err->msg, why);
        assert_int_equal(err->kind, V2C_ERR_INPUT);
        assert_null(m.root);
        assert_string_equal(m.event, "untouched");
        v2c_error_free(err);
}

#define BAD(s, code, why) parse_bad(s, strlen(s), code, why)

static void test_greeting(void **state)
{
        struct v2c_qmp_msg m;
        parse_ok("{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 22, \"minor\": 2, \"major\": 7}, "
                 "\"package\": \"Debian 1:7.2+dfsg-7+deb12u18+b3\"}, \"capabilities\": [\"oob\"]}}\r\n",
                 V2C_QMP_MSG_GREETING, &m);
        assert_int_equal(m.version[0], 7);
        assert_int_equal(m.version[1], 2);
        assert_int_equal(m.version[2], 22);
        assert_true(json_is_object(m.value));
        assert_null(m.id);
        v2c_qmp_msg_release(&m);
        assert_null(m.root);

        /* A greeting without a usable version is still a greeting. */
        parse_ok("{\"QMP\": {\"version\": {\"qemu\": {\"major\": -1, \"minor\": \"2\"}}}}", V2C_QMP_MSG_GREETING, &m);
        assert_int_equal(m.version[0], -1);
        assert_int_equal(m.version[1], -1);
        assert_int_equal(m.version[2], -1);
        v2c_qmp_msg_release(&m);
        parse_ok("{\"QMP\": {}}", V2C_QMP_MSG_GREETING, &m);
        v2c_qmp_msg_release(&m);

        BAD("{\"QMP\": []}", EINVAL, "not an object");
        BAD("{\"QMP\": {\"capabilities\": \"oob\"}}", EINVAL, "capabilities");
}

static void test_return(void **state)
{
        struct v2c_qmp_msg m;
        parse_ok("{\"return\": {\"status\": \"running\", \"singlestep\": false, \"running\": true}, \"id\": 2}",
                 V2C_QMP_MSG_RETURN, &m);
        assert_string_equal(json_string_value(json_object_get(m.value, "status")), "running");
        assert_true(json_is_true(json_object_get(m.value, "running")));
        assert_true(json_is_integer(m.id));
        assert_int_equal(json_integer_value(m.id), 2);
        assert_null(m.event);
        assert_null(m.error_class);
        v2c_qmp_msg_release(&m);

        /* Any JSON value may be returned; the id is optional and any type. */
        parse_ok("{\"return\": [1, 2]}", V2C_QMP_MSG_RETURN, &m);
        assert_true(json_is_array(m.value));
        assert_null(m.id);
        v2c_qmp_msg_release(&m);
        parse_ok("  {\"return\": null, \"id\": \"x\"}  \n", V2C_QMP_MSG_RETURN, &m);
        assert_true(json_is_null(m.value));
        assert_true(json_is_string(m.id));
        v2c_qmp_msg_release(&m);
}

static void test_error(void **state)
{
        struct v2c_qmp_msg m;
        parse_ok("{\"error\": {\"class\": \"CommandNotFound\", \"desc\": \"The command x has not been found\"}, "
                 "\"id\": 3}",
                 V2C_QMP_MSG_ERROR, &m);
        assert_string_equal(m.error_class, "CommandNotFound");
        assert_string_equal(m.error_desc, "The command x has not been found");
        assert_int_equal(json_integer_value(m.id), 3);
        v2c_qmp_msg_release(&m);

        BAD("{\"error\": {\"class\": \"GenericError\"}}", EINVAL, "\"desc\"");
        BAD("{\"error\": {\"class\": 1, \"desc\": \"x\"}}", EINVAL, "\"class\"");
        BAD("{\"error\": \"bad\"}", EINVAL, "\"class\"");
}

static void test_event(void **state)
{
        struct v2c_qmp_msg m;
        parse_ok("{\"timestamp\": {\"seconds\": 1795416766, \"microseconds\": 671878}, \"event\": \"SHUTDOWN\", "
                 "\"data\": {\"guest\": true, \"reason\": \"guest-shutdown\"}}\r\n",
                 V2C_QMP_MSG_EVENT, &m);
        assert_string_equal(m.event, "SHUTDOWN");
        assert_true(json_is_true(json_object_get(m.value, "guest")));
        v2c_qmp_msg_release(&m);

        parse_ok("{\"timestamp\": {\"seconds\": 1, \"microseconds\": 2}, \"event\": \"POWERDOWN\"}",
                 V2C_QMP_MSG_EVENT, &m);
        assert_string_equal(m.event, "POWERDOWN");
        assert_null(m.value);
        v2c_qmp_msg_release(&m);

        BAD("{\"event\": 5}", EINVAL, "event name");
        BAD("{\"event\": \"X\", \"data\": [1]}", EINVAL, "event data");
}

static void test_refused(void **state)
{
        BAD("", EINVAL, "malformed");
        BAD("\r\n", EINVAL, "malformed");
        BAD("{\"return\": {}", EINVAL, "malformed");
        BAD("[]", EINVAL, "not a JSON object");
        BAD("{}", EINVAL, "none of");
        BAD("{\"id\": 1}", EINVAL, "none of");
        BAD("{\"return\": {}, \"event\": \"X\"}", EINVAL, "both \"return\" and \"event\"");
        BAD("{\"QMP\": {}, \"error\": {\"class\": \"a\", \"desc\": \"b\"}}", EINVAL, "both \"QMP\" and \"error\"");
        BAD("{\"return\": {}, \"return\": {}}", EINVAL, "duplicate");
        /* One message per line: a second object is not skipped over. */
        BAD("{\"return\": {}} {\"return\": {}}", EINVAL, "malformed");
        /* An embedded NUL ends nothing: the whole length is parsed. */
        parse_bad("{\"return\": {}}\0{", 16, EINVAL, "malformed");
        /* Control characters from the input stay out of the message. */
        struct v2c_qmp_msg m = { 0 };
        struct v2c_error *err = NULL;
        assert_int_equal(v2c_qmp_parse_message("{\"a\x01\": 1", 9, &m, &err), -EINVAL);
        assert_non_null(err);
        for (const char *c = err->msg; *c; c++)
                assert_true((unsigned char) *c >= 0x20);
        v2c_error_free(err);
}

static void test_limit(void **state)
{
        /* {"return": "xxx...x"} of exactly the limit passes; one more byte
         * fails before anything is parsed. */
        size_t len = V2C_QMP_MAX_MESSAGE;
        char *p = malloc(len + 1);
        assert_non_null(p);
        const char *head = "{\"return\": \"";
        memcpy(p, head, strlen(head));
        memset(p + strlen(head), 'x', len - strlen(head) - 2);
        memcpy(p + len - 2, "\"}", 2);
        struct v2c_qmp_msg m = { 0 };
        struct v2c_error *err = NULL;
        assert_int_equal(v2c_qmp_parse_message(p, len, &m, &err), 0);
        assert_int_equal(m.kind, V2C_QMP_MSG_RETURN);
        assert_int_equal(json_string_length(m.value), len - strlen(head) - 2);
        v2c_qmp_msg_release(&m);

        p[len] = ' ';
        assert_int_equal(v2c_qmp_parse_message(p, len + 1, &m, &err), -E2BIG);
        assert_non_null(err);
        assert_non_null(strstr(err->msg, "limit"));
        assert_null(m.root);
        v2c_error_free(err);
        free(p);
}

static void test_release_cleared(void **state)
{
        struct v2c_qmp_msg m = { 0 };
        v2c_qmp_msg_release(&m);
        v2c_qmp_msg_release(&m);
        assert_null(m.root);
}

int main(int argc, char **argv)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_greeting),
                cmocka_unit_test(test_return),
                cmocka_unit_test(test_error),
                cmocka_unit_test(test_event),
                cmocka_unit_test(test_refused),
                cmocka_unit_test(test_limit),
                cmocka_unit_test(test_release_cleared),
        };
        return v2c_run_group_tests(argc, argv, tests, NULL, NULL);
}
