/* Unit tests for inspect/unit.c: unit files and drop-ins, ExecStart=
 * parsing, %-specifiers, $VARIABLE expansion and environment files.
 *
 * Inputs are copied into buffers of their exact size (no terminating NUL),
 * as the inspector hands them over, so that AddressSanitizer catches any
 * read past the end.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "unit-main.h"

#include "cleanup.h"
#include "error.h"
#include "strv.h"
#include "unit-internal.h"

/* An exact-size copy of s, without the NUL. */
static char *raw(const char *s, size_t *len)
{
        *len = strlen(s);
        char *b = malloc(*len ? *len : 1);
        assert_non_null(b);
        memcpy(b, s, *len);
        return b;
}

static struct v2c_unit *parse_ok(const char *text)
{
        size_t len;
        char *b = raw(text, &len);
        struct v2c_unit *u = v2c_unit_new();
        struct v2c_error *err = NULL;
        assert_non_null(u);
        assert_int_equal(v2c_unit_parse(u, b, len, "test.service", &err), 0);
        assert_null(err);
        free(b);
        return u;
}

static void assert_strv(char *const *v, const char *const *expected)
{
        size_t n = 0;
        while (expected[n])
                n++;
        assert_int_equal(v2c_strv_len(v), n);
        for (size_t i = 0; i < n; i++)
                assert_string_equal(v[i], expected[i]);
}

static void assert_list(const struct v2c_unit *u, const char *section, const char *key,
                        const char *const *expected)
{
        char **v = NULL;
        struct v2c_error *err = NULL;
        assert_int_equal(v2c_unit_get_list(u, section, key, &v, &err), 0);
        assert_non_null(v);
        assert_strv(v, expected);
        v2c_strv_free(v);
}

#define STRV(...) ((const char *const[]) { __VA_ARGS__, NULL })
#define EMPTY_STRV ((const char *const[]) { NULL })

/* ----------------------------------------------------------------------
 * Unit files
 */

static void test_unit_basic(void **state)
{
        (void) state;
        struct v2c_unit *u = parse_ok(
                "# comment\n"
                "; another comment\n"
                "[Unit]\n"
                "  Description = My service  \n"
                "After=network.target remote-fs.target\n"
                "After=syslog.target\n"
                "\n"
                "[Service]\n"
                "Type=simple\n"
                "ExecStart=/usr/bin/foo \\\n"
                "    --bar \\\n"
                "# a comment inside the continuation\n"
                "  ; and another\n"
                "    --baz\n"
                "Environment=\"A=1 2\" B=3\n"
                "[X-Custom]\n"
                "Foo=bar\n"
                "[Install]\n"
                "WantedBy=multi-user.target\n");

        assert_int_equal(u->n_sections, 4);
        assert_string_equal(u->sections[2].name, "X-Custom");
        assert_int_equal(u->n_invalid, 0);
        assert_int_equal(u->n_assignments, 8);
        assert_string_equal(v2c_unit_get(u, "Unit", "Description"), "My service");
        assert_string_equal(v2c_unit_get(u, "Service", "Type"), "simple");
        assert_string_equal(v2c_unit_get(u, "X-Custom", "Foo"), "bar");
        assert_null(v2c_unit_get(u, "Service", "User"));
        assert_null(v2c_unit_get(u, "Nope", "Type"));
        /* keys are case-sensitive, as in systemd */
        assert_null(v2c_unit_get(u, "Service", "type"));

        /* the backslash became a space, the comment lines vanished */
        assert_string_equal(v2c_unit_get(u, "Service", "ExecStart"),
                            "/usr/bin/foo      --bar      --baz");
        assert_list(u, "Unit", "After", STRV("network.target", "remote-fs.target", "syslog.target"));
        assert_list(u, "Service", "Environment", STRV("A=1 2", "B=3"));
        assert_list(u, "Install", "WantedBy", STRV("multi-user.target"));
        /* a single-valued key gives its last value only */
        assert_list(u, "Service", "Type", STRV("simple"));
        assert_list(u, "Service", "User", EMPTY_STRV);

        char *const *after = v2c_unit_get_values(u, "Unit", "After");
        assert_strv(after, STRV("network.target remote-fs.target", "syslog.target"));

        struct v2c_exec **ex = NULL;
        size_t bad = 99;
        struct v2c_error *err = NULL;
        assert_int_equal(v2c_unit_get_exec(u, "Service", "ExecStart", NULL, &ex, &bad, &err), 0);
        assert_int_equal(bad, 0);
        assert_non_null(ex[0]);
        assert_null(ex[1]);
        assert_strv(ex[0]->argv, STRV("/usr/bin/foo", "--bar", "--baz"));
        v2c_exec_list_free(ex);
        v2c_unit_free(u);
}

static void test_unit_reset_and_repeat(void **state)
{
        (void) state;
        struct v2c_unit *u = parse_ok("[Service]\n"
                                      "ExecStartPre=/bin/a\n"
                                      "ExecStartPre=/bin/b\n"
                                      "ExecStartPre=\n"
                                      "ExecStartPre=/bin/c\n"
                                      "ReadWritePaths=/var/a \"/var/with space\"\n"
                                      "ReadWritePaths=\n"
                                      "ReadWritePaths=/srv\n"
                                      "StateDirectory=foo foo/bar\n"
                                      "User=alice\n"
                                      "User=bob\n"
                                      "Group=staff\n"
                                      "Group=\n");
        assert_list(u, "Service", "ExecStartPre", STRV("/bin/c"));
        assert_list(u, "Service", "ReadWritePaths", STRV("/srv"));
        assert_list(u, "Service", "StateDirectory", STRV("foo", "foo/bar"));
        assert_string_equal(v2c_unit_get(u, "Service", "User"), "bob");
        assert_strv(v2c_unit_get_values(u, "Service", "User"), STRV("alice", "bob"));
        /* "Group=" puts it back to its default: unset */
        assert_null(v2c_unit_get(u, "Service", "Group"));
        assert_null(v2c_unit_get_values(u, "Service", "Group"));
        assert_true(v2c_unit_key_is_list("ExecStartPre"));
        assert_true(v2c_unit_key_is_list("ConditionPathExists"));
        assert_false(v2c_unit_key_is_list("User"));
        v2c_unit_free(u);

        u = parse_ok("[Service]\nReadWritePaths=/var/a \"/var/with space\" '/x y'\n");
        assert_list(u, "Service", "ReadWritePaths", STRV("/var/a", "/var/with space", "/x y"));
        v2c_unit_free(u);
}

static void test_unit_dropins(void **state)
{
        (void) state;
        static const char main_text[] = "[Unit]\nWants=a.service b.service\n"
                                        "[Service]\nExecStart=/usr/bin/old\nUser=main\n"
                                        "Environment=X=1\n";
        static const char d10[] = "[Service]\nUser=ten\nEnvironment=Y=2\n";
        static const char d20[] = "[Service]\nExecStart=\nExecStart=/usr/bin/new --flag\n"
                                  "User=twenty\n[Unit]\nWants=\nWants=c.service\n";
        const struct v2c_unit_file main_file = { "/lib/systemd/system/x.service", main_text,
                                                 sizeof(main_text) - 1 };
        /* given out of order and from two directories: sorted by file name */
        const struct v2c_unit_file dropins[] = {
                { "/etc/systemd/system/x.service.d/20-override.conf", d20, sizeof(d20) - 1 },
                { "/run/systemd/system/x.service.d/10-env.conf", d10, sizeof(d10) - 1 },
        };
        struct v2c_unit *u = NULL;
        struct v2c_error *err = NULL;
        assert_int_equal(v2c_unit_load(&main_file, dropins, 2, &u, &err), 0);
        assert_null(err);
        assert_string_equal(v2c_unit_get(u, "Service", "User"), "twenty");
        assert_list(u, "Service", "ExecStart", STRV("/usr/bin/new --flag"));
        assert_list(u, "Unit", "Wants", STRV("c.service"));
        assert_list(u, "Service", "Environment", STRV("X=1", "Y=2"));
        v2c_unit_free(u);

        /* a unit made of drop-ins only */
        assert_int_equal(v2c_unit_load(NULL, dropins, 2, &u, &err), 0);
        assert_string_equal(v2c_unit_get(u, "Service", "User"), "twenty");
        v2c_unit_free(u);
}

static void test_unit_malformed(void **state)
{
        (void) state;
        /* BOM, CRLF, assignment before any section, missing '=', empty key,
         * a bad header whose assignments are dropped, a NUL byte, invalid
         * UTF-8, an escaped backslash at the end (no continuation) and a
         * continuation still open at the end of the file. */
        static const char text[] = "\xEF\xBB\xBF"
                                   "Orphan=1\r\n"
                                   "[Service]\r\n"
                                   "NoEquals\r\n"
                                   "=value\n"
                                   "Type=forking\n"
                                   "[Broken\n"
                                   "User=lost\n"
                                   "[Service]\n"
                                   "Nul=a\0b\n"
                                   "Bad=\xff\xfe\n"
                                   "Path=C:\\\\\n"
                                   "Next=1\n"
                                   "Last=x \\";
        struct v2c_unit *u = v2c_unit_new();
        struct v2c_error *err = NULL;
        size_t len = sizeof(text) - 1;
        char *b = malloc(len);
        memcpy(b, text, len);
        assert_int_equal(v2c_unit_parse(u, b, len, NULL, &err), 0);
        free(b);
        assert_string_equal(v2c_unit_get(u, "Service", "Type"), "forking");
        assert_null(v2c_unit_get(u, "Service", "User"));
        assert_null(v2c_unit_get(u, "Service", "Nul"));
        assert_null(v2c_unit_get(u, "Service", "Bad"));
        assert_string_equal(v2c_unit_get(u, "Service", "Path"), "C:\\\\");
        assert_string_equal(v2c_unit_get(u, "Service", "Next"), "1");
        assert_string_equal(v2c_unit_get(u, "Service", "Last"), "x");
        /* Orphan, NoEquals, =value, [Broken, User=lost, Nul, Bad */
        assert_int_equal(u->n_invalid, 7);
        assert_int_equal(u->n_sections, 1);
        v2c_unit_free(u);
}

static void test_unit_limits(void **state)
{
        (void) state;
        struct v2c_error *err = NULL;
        struct v2c_unit *u = v2c_unit_new();

        /* more than 1 MiB */
        size_t big = V2C_PARSE_MAX_INPUT + 1;
        char *b = malloc(big);
        memset(b, '#', big);
        assert_int_equal(v2c_unit_parse(u, b, big, "big.service", &err), -E2BIG);
        assert_int_equal(err->code, E2BIG);
        assert_non_null(strstr(err->msg, "big.service"));
        err = v2c_error_free(err);

        /* a line over 64 KiB */
        size_t ll = V2C_PARSE_MAX_LINE + 20;
        memcpy(b, "[A]\nK=", 6);
        memset(b + 6, 'x', ll);
        assert_int_equal(v2c_unit_parse(u, b, 6 + ll, NULL, &err), -E2BIG);
        assert_non_null(strstr(err->msg, "line 2"));
        err = v2c_error_free(err);

        /* short lines joined by backslashes past 64 KiB */
        size_t n = 0;
        n += (size_t) sprintf(b, "[A]\nK=");
        while (n < V2C_PARSE_MAX_LINE + V2C_PARSE_MAX_LINE / 4)
                n += (size_t) sprintf(b + n, "xxxxxxxxxx\\\n");
        assert_int_equal(v2c_unit_parse(u, b, n, NULL, &err), -E2BIG);
        err = v2c_error_free(err);
        assert_int_equal(u->n_sections, 0);

        /* exactly 10,000 assignments pass, one more fails */
        n = (size_t) sprintf(b, "[S]\n");
        for (int i = 0; i < V2C_UNIT_MAX_ASSIGNMENTS; i++)
                n += (size_t) sprintf(b + n, "K%d=v\n", i % 7);
        assert_int_equal(v2c_unit_parse(u, b, n, NULL, &err), 0);
        assert_int_equal(u->n_assignments, V2C_UNIT_MAX_ASSIGNMENTS);
        assert_int_equal(v2c_unit_parse(u, "[S]\nK0=w\n", 9, "dropin.conf", &err), -E2BIG);
        assert_non_null(strstr(err->msg, "dropin.conf"));
        err = v2c_error_free(err);
        /* the refused drop-in left the unit as it was */
        assert_string_equal(v2c_unit_get(u, "S", "K0"), "v");
        assert_int_equal(u->n_assignments, V2C_UNIT_MAX_ASSIGNMENTS);
        /* an empty drop-in is still fine */
        assert_int_equal(v2c_unit_parse(u, NULL, 0, NULL, &err), 0);
        v2c_unit_free(u);

        /* split over two files */
        u = v2c_unit_new();
        n = (size_t) sprintf(b, "[S]\n");
        for (int i = 0; i < 6000; i++)
                n += (size_t) sprintf(b + n, "K=v\n");
        assert_int_equal(v2c_unit_parse(u, b, n, NULL, &err), 0);
        n = (size_t) sprintf(b, "[S]\n");
        for (int i = 0; i < 5000; i++)
                n += (size_t) sprintf(b + n, "K=w\n");
        assert_int_equal(v2c_unit_parse(u, b, n, NULL, &err), -E2BIG);
        err = v2c_error_free(err);
        assert_int_equal(u->n_assignments, 6000);
        assert_string_equal(v2c_unit_get(u, "S", "K"), "v");
        v2c_unit_free(u);
        free(b);
}

static void test_unit_many_names(void **state)
{
        (void) state;
        /* 100 sections of 90 keys, then a drop-in touching some of them:
         * the lookups must find the right entries among many. */
        char *b = malloc(400 * 1024);
        size_t n = 0;
        for (int s = 0; s < 100; s++) {
                n += (size_t) sprintf(b + n, "[Sec%d]\n", s);
                for (int k = 0; k < 90; k++)
                        n += (size_t) sprintf(b + n, "Key%d=%d.%d\n", k, s, k);
        }
        struct v2c_unit *u = v2c_unit_new();
        struct v2c_error *err = NULL;
        assert_int_equal(v2c_unit_parse(u, b, n, NULL, &err), 0);
        n = (size_t) sprintf(b, "[Sec42]\nKey7=new\nKey100=added\n[Sec0]\nKey0=\n[Sec100]\nKey0=x\n");
        assert_int_equal(v2c_unit_parse(u, b, n, NULL, &err), 0);
        free(b);
        assert_int_equal(u->n_sections, 101);
        assert_int_equal(u->sections[42].n_keys, 91);
        assert_int_equal(u->n_assignments, 9004);
        assert_string_equal(v2c_unit_get(u, "Sec99", "Key89"), "99.89");
        assert_string_equal(v2c_unit_get(u, "Sec42", "Key6"), "42.6");
        assert_string_equal(v2c_unit_get(u, "Sec42", "Key7"), "new");
        assert_strv(v2c_unit_get_values(u, "Sec42", "Key7"), STRV("42.7", "new"));
        assert_string_equal(v2c_unit_get(u, "Sec42", "Key100"), "added");
        assert_null(v2c_unit_get(u, "Sec0", "Key0"));
        assert_string_equal(v2c_unit_get(u, "Sec100", "Key0"), "x");
        assert_null(v2c_unit_get(u, "Sec1", "Key100"));
        v2c_unit_free(u);
}

/* ----------------------------------------------------------------------
 * ExecStart=
 */

static struct v2c_exec *exec_ok(const char *cmd, const struct v2c_unit_context *ctx)
{
        struct v2c_exec *e = NULL;
        struct v2c_error *err = NULL;
        int r = v2c_exec_parse(cmd, ctx, &e, &err);
        if (r != 0)
                fail_msg("`%s`: %s", cmd, err ? err->msg : "?");
        return e;
}

static void exec_fails(const char *cmd, int code)
{
        struct v2c_exec *e = NULL;
        struct v2c_error *err = NULL;
        assert_int_equal(v2c_exec_parse(cmd, NULL, &e, &err), -code);
        assert_null(e);
        assert_non_null(err);
        assert_int_equal(err->code, code);
        v2c_error_free(err);
}

static void test_exec_prefixes(void **state)
{
        (void) state;
        struct v2c_exec *e = exec_ok("-@/usr/bin/x x-name arg", NULL);
        assert_int_equal(e->flags, V2C_EXEC_IGNORE_FAILURE | V2C_EXEC_ARGV0);
        assert_string_equal(e->path, "/usr/bin/x");
        assert_strv(e->argv, STRV("x-name", "arg"));
        v2c_exec_free(e);

        e = exec_ok("+/bin/true", NULL);
        assert_int_equal(e->flags, V2C_EXEC_PRIVILEGED);
        assert_strv(e->argv, STRV("/bin/true"));
        v2c_exec_free(e);

        e = exec_ok("!/bin/x", NULL);
        assert_int_equal(e->flags, V2C_EXEC_NO_SETUID);
        v2c_exec_free(e);

        e = exec_ok("!!/bin/x", NULL);
        assert_int_equal(e->flags, V2C_EXEC_AMBIENT);
        v2c_exec_free(e);

        e = exec_ok("@:-|/bin/sh sh -c 'echo $HOME'", NULL);
        assert_int_equal(e->flags, V2C_EXEC_ARGV0 | V2C_EXEC_NO_ENV_EXPAND |
                                           V2C_EXEC_IGNORE_FAILURE | V2C_EXEC_VIA_SHELL);
        assert_strv(e->argv, STRV("sh", "-c", "echo $HOME"));
        v2c_exec_free(e);

        /* a bare name is searched in PATH by systemd */
        e = exec_ok("  sleep   10  ", NULL);
        assert_string_equal(e->path, "sleep");
        assert_strv(e->argv, STRV("sleep", "10"));
        v2c_exec_free(e);

        /* quoting the first word does not hide the prefixes */
        e = exec_ok("\"-/opt/my app/run\" x", NULL);
        assert_int_equal(e->flags, V2C_EXEC_IGNORE_FAILURE);
        assert_string_equal(e->path, "/opt/my app/run");
        v2c_exec_free(e);

        /* each prefix once: the second '-' is part of the path, which is
         * then relative; '+' and '!' exclude each other */
        exec_fails("--/bin/x", EINVAL);
        exec_fails("+!/bin/x", EINVAL);
        exec_fails("!!!/bin/x", EINVAL);
        exec_fails("-", EINVAL);
        exec_fails("", EINVAL);
        exec_fails("   ", EINVAL);
        exec_fails("@/bin/x", EINVAL);
        exec_fails("bin/x", EINVAL);
}

static void test_exec_quoting(void **state)
{
        (void) state;
        struct v2c_exec *e = exec_ok("/bin/echo \"a b\" 'c d' x\"y z\"w \"q\\\"q\" \\x41\\s \"\\t\" "
                                     "'\\u00e9' \\101 \"\" ;",
                                     NULL);
        assert_strv(e->argv, STRV("/bin/echo", "a b", "c d", "xy zw", "q\"q", "A ", "\t",
                                  "\xc3\xa9", "A", "", ";"));
        assert_int_equal(e->warnings, 0);
        assert_null(e->unresolved);
        v2c_exec_free(e);

        exec_fails("/bin/echo \"unterminated", EINVAL);
        exec_fails("/bin/echo 'unterminated", EINVAL);
        exec_fails("/bin/echo \\q", EINVAL);
        exec_fails("/bin/echo \\x00", EINVAL);
        exec_fails("/bin/echo \\000", EINVAL);
        exec_fails("/bin/echo \\u0000", EINVAL);
        exec_fails("/bin/echo \\ud800", EINVAL);
        exec_fails("/bin/echo \\x4", EINVAL);
        exec_fails("/bin/echo trailing\\", EINVAL);
}

static void test_exec_specifiers(void **state)
{
        (void) state;
        const struct v2c_unit_context ctx = {
                .unit_name = "web-app-api@site\\x2dA-prod.service",
                .hostname = "host.example.com",
                .machine_id = "0123456789abcdef0123456789abcdef",
                .user = "www",
        };
        struct v2c_exec *e = exec_ok("/usr/bin/x %n %N %p %P %i %I %j %J %f %H %l %m "
                                     "%t/%S/%C/%L/%E/%T/%V %% 100%% %u",
                                     &ctx);
        assert_strv(e->argv,
                    STRV("/usr/bin/x", "web-app-api@site\\x2dA-prod.service", "web-app-api@site\\x2dA-prod",
                         "web-app-api", "web/app/api", "site\\x2dA-prod", "site-A/prod", "api", "api",
                         "/site-A/prod", "host.example.com", "host", "0123456789abcdef0123456789abcdef",
                         "/run//var/lib//var/cache//var/log//etc//tmp//var/tmp", "%", "100%", "www"));
        assert_int_equal(e->warnings, 0);
        v2c_exec_free(e);

        /* unknown: boot id; home and uid of a user nobody looked up; an
         * unknown letter; a lone '%' at the end.  They stay as written. */
        e = exec_ok("/usr/bin/x %b %h-%U %Z end%", &ctx);
        assert_strv(e->argv, STRV("/usr/bin/x", "%b", "%h-%U", "%Z", "end%"));
        assert_int_equal(e->warnings, V2C_EXEC_WARN_SPECIFIER);
        assert_strv(e->unresolved, STRV("%b", "%h", "%U", "%Z", "%"));
        v2c_exec_free(e);

        /* no User=: root; User= with what the caller looked up */
        e = exec_ok("/bin/x %u %U %h", NULL);
        assert_strv(e->argv, STRV("/bin/x", "root", "0", "/root"));
        v2c_exec_free(e);
        const struct v2c_unit_context known = { .user = "app", .uid = "998", .home = "/srv/app" };
        e = exec_ok("%h/bin/run %u %U", &known);
        assert_string_equal(e->path, "/srv/app/bin/run");
        assert_strv(e->argv, STRV("/srv/app/bin/run", "app", "998"));
        v2c_exec_free(e);

        /* without a unit name, %n cannot be known; a plain unit has an
         * empty instance and %f comes from the prefix */
        e = exec_ok("/bin/x %n", NULL);
        assert_strv(e->argv, STRV("/bin/x", "%n"));
        assert_int_equal(e->warnings, V2C_EXEC_WARN_SPECIFIER);
        v2c_exec_free(e);
        const struct v2c_unit_context plain = { .unit_name = "foo.service" };
        e = exec_ok("/bin/x %N %p [%i] %f", &plain);
        assert_strv(e->argv, STRV("/bin/x", "foo", "foo", "[]", "/foo"));
        v2c_exec_free(e);

        /* a bad escape in the instance makes %I unresolvable, not fatal */
        const struct v2c_unit_context bad = { .unit_name = "a@b\\x0.service" };
        e = exec_ok("/bin/x %I %i", &bad);
        assert_strv(e->argv, STRV("/bin/x", "%I", "b\\x0"));
        v2c_exec_free(e);

        char *out = NULL;
        unsigned w = 0;
        char **unres = NULL;
        struct v2c_error *err = NULL;
        assert_int_equal(v2c_specifiers_expand("%S/%p/%b", &plain, &out, &w, &unres, &err), 0);
        assert_string_equal(out, "/var/lib/foo/%b");
        assert_int_equal(w, V2C_EXEC_WARN_SPECIFIER);
        assert_strv(unres, STRV("%b"));
        free(out);
        v2c_strv_free(unres);
}

static void test_exec_env(void **state)
{
        (void) state;
        char *env[] = { "FOO=a b 'c d'", "BAR=x", "BAR=y", "EMPTY=", "SP=  ", NULL };
        const struct v2c_unit_context ctx = { .environment = env };
        struct v2c_exec *e = exec_ok("/bin/x $FOO ${BAR} pre${BAR}post $UNSET ${UNSET}z $$HOME "
                                     "$BAR \"$FOO\" ${FOO $EMPTY x$BAR $SP ${EMPTY}",
                                     &ctx);
        assert_strv(e->argv, STRV("/bin/x", "a", "b", "c d", "y", "preypost", "z", "$HOME", "y",
                                  "a", "b", "c d", "${FOO", "x$BAR", ""));
        assert_int_equal(e->warnings, V2C_EXEC_WARN_UNSET_VAR);
        assert_strv(e->unresolved, STRV("$UNSET", "${UNSET}"));
        v2c_exec_free(e);

        /* ':' turns expansion off */
        e = exec_ok(":/bin/x $FOO ${BAR}", &ctx);
        assert_strv(e->argv, STRV("/bin/x", "$FOO", "${BAR}"));
        v2c_exec_free(e);

        /* argv[0] vanishing leaves the path in its place */
        e = exec_ok("@/bin/x $UNSET", &ctx);
        assert_strv(e->argv, STRV("/bin/x"));
        v2c_exec_free(e);

        /* specifiers are resolved before variables, as in systemd */
        char *env2[] = { "u=nope", "root=yes", NULL };
        const struct v2c_unit_context ctx2 = { .environment = env2 };
        e = exec_ok("/bin/x ${%u}", &ctx2);
        assert_strv(e->argv, STRV("/bin/x", "yes"));
        v2c_exec_free(e);
}

static void test_exec_limits(void **state)
{
        (void) state;
        struct v2c_error *err = NULL;
        struct v2c_exec *e = NULL;

        /* 4097 words */
        size_t cap = 5 * (V2C_EXEC_MAX_ARGS + 2);
        char *cmd = malloc(cap);
        size_t n = (size_t) sprintf(cmd, "/bin/x");
        for (int i = 0; i < V2C_EXEC_MAX_ARGS; i++)
                n += (size_t) sprintf(cmd + n, " a");
        assert_int_equal(v2c_exec_parse(cmd, NULL, &e, &err), -E2BIG);
        err = v2c_error_free(err);
        /* 4096 words are fine */
        cmd[n - 2] = '\0';
        assert_int_equal(v2c_exec_parse(cmd, NULL, &e, &err), 0);
        assert_int_equal(v2c_strv_len(e->argv), V2C_EXEC_MAX_ARGS);
        e = v2c_exec_free(e);
        free(cmd);

        /* a value over 64 KiB */
        cmd = malloc(V2C_PARSE_MAX_LINE + 2);
        memset(cmd, 'a', V2C_PARSE_MAX_LINE + 1);
        cmd[0] = '/';
        cmd[V2C_PARSE_MAX_LINE + 1] = '\0';
        assert_int_equal(v2c_exec_parse(cmd, NULL, &e, &err), -E2BIG);
        err = v2c_error_free(err);
        free(cmd);

        /* ${A} repeated: each word is fine, the whole argv is not */
        size_t alen = 60 * 1024;
        char *a = malloc(alen + 3);
        memcpy(a, "A=", 2);
        memset(a + 2, 'z', alen);
        a[alen + 2] = '\0';
        char *env[] = { a, NULL };
        const struct v2c_unit_context ctx = { .environment = env };
        cmd = malloc(8 * 40 + 16);
        n = (size_t) sprintf(cmd, "/bin/x");
        for (int i = 0; i < 40; i++)
                n += (size_t) sprintf(cmd + n, " ${A}");
        assert_int_equal(v2c_exec_parse(cmd, &ctx, &e, &err), -E2BIG);
        assert_null(e);
        err = v2c_error_free(err);
        /* and within one word */
        n = (size_t) sprintf(cmd, "/bin/x ");
        for (int i = 0; i < 40; i++)
                n += (size_t) sprintf(cmd + n, "${A}");
        assert_int_equal(v2c_exec_parse(cmd, &ctx, &e, &err), -E2BIG);
        err = v2c_error_free(err);
        free(cmd);
        free(a);
}

static void test_exec_list(void **state)
{
        (void) state;
        struct v2c_unit *u = parse_ok("[Service]\n"
                                      "Type=oneshot\n"
                                      "ExecStart=/bin/one\n"
                                      "ExecStart=/bin/two \"unbalanced\n"
                                      "ExecStart=-/bin/three %i\n");
        const struct v2c_unit_context ctx = { .unit_name = "job@7.service" };
        struct v2c_exec **ex = NULL;
        size_t bad = 0;
        struct v2c_error *err = NULL;
        assert_int_equal(v2c_unit_get_exec(u, "Service", "ExecStart", &ctx, &ex, &bad, &err), 0);
        assert_int_equal(bad, 1);
        assert_non_null(ex[0]);
        assert_non_null(ex[1]);
        assert_null(ex[2]);
        assert_strv(ex[0]->argv, STRV("/bin/one"));
        assert_strv(ex[1]->argv, STRV("/bin/three", "7"));
        assert_int_equal(ex[1]->flags, V2C_EXEC_IGNORE_FAILURE);
        v2c_exec_list_free(ex);

        /* an unset key gives an empty list */
        assert_int_equal(v2c_unit_get_exec(u, "Service", "ExecStop", NULL, &ex, NULL, &err), 0);
        assert_null(ex[0]);
        v2c_exec_list_free(ex);
        v2c_unit_free(u);
        assert_null(v2c_exec_list_free(NULL));
        assert_null(v2c_exec_free(NULL));
        assert_null(v2c_unit_free(NULL));
}

static void test_unit_environment_words(void **state)
{
        (void) state;
        struct v2c_unit *u = parse_ok("[Service]\n"
                                      "Environment=\"A=1 2\" B=3 'C=x y' D=\"q\\\"q\" E\\x3d5\n"
                                      "Environment=notanassignment 1X=bad =novalue OK=\n"
                                      "Environment=\"BROKEN=x\n"
                                      "Environment=LAST=1\n");
        assert_list(u, "Service", "Environment",
                    STRV("A=1 2", "B=3", "C=x y", "D=q\"q", "E=5", "OK=", "LAST=1"));
        v2c_unit_free(u);
}

/* ----------------------------------------------------------------------
 * Environment files
 */

static char **envfile_ok(const char *text, size_t *invalid)
{
        size_t len;
        char *b = raw(text, &len);
        char **v = NULL;
        struct v2c_error *err = NULL;
        assert_int_equal(v2c_envfile_parse(b, len, &v, invalid, &err), 0);
        assert_null(err);
        assert_non_null(v);
        free(b);
        return v;
}

static void test_envfile(void **state)
{
        (void) state;
        size_t invalid = 0;
        char **v = envfile_ok("# comment\n"
                              "; also a comment \\\n"
                              "export FOO=bar\n"
                              "\n"
                              "   BAZ=\"quoted \\\"value\\\" \\$HOME \\n\"\n"
                              "SINGLE='it'\"'\"'s \\n'\n"
                              "SPACES =   value with trailing   \n"
                              "CONT=line1\\\n"
                              "line2\n"
                              "DQ=\"multi\n"
                              "line\"\n"
                              "DQCONT=\"a\\\n"
                              "b\"\n"
                              "EMPTY=\n"
                              "ESC=a\\ \\ \n"
                              "HASH=value # not a comment\n"
                              "bad-name=1\n"
                              "noequals\n"
                              "export\n"
                              "UTF=caf\xc3\xa9\n"
                              "INVALID=\xff\n"
                              "CRLF=dos\r\n"
                              "FOO=override\n"
                              "TAIL=no newline",
                              &invalid);
        assert_strv(v, STRV("FOO=override", "BAZ=quoted \"value\" $HOME \\n", "SINGLE=it's \\n",
                            "SPACES=value with trailing", "CONT=line1line2", "DQ=multi\nline",
                            "DQCONT=ab", "EMPTY=", "ESC=a  ", "HASH=value # not a comment",
                            "UTF=caf\xc3\xa9", "CRLF=dos", "TAIL=no newline"));
        /* bad-name, noequals, export, INVALID */
        assert_int_equal(invalid, 4);
        v2c_strv_free(v);

        /* empty input; an unterminated quote; a NUL in a value */
        v = envfile_ok("", &invalid);
        assert_null(v[0]);
        assert_int_equal(invalid, 0);
        v2c_strv_free(v);
        v = envfile_ok("A=1\nB=\"never closed\nC=3\n", &invalid);
        assert_strv(v, STRV("A=1"));
        assert_int_equal(invalid, 1);
        v2c_strv_free(v);

        static const char nul[] = "A=x\0y\nB=2";
        struct v2c_error *err = NULL;
        char *b = malloc(sizeof(nul) - 1);
        memcpy(b, nul, sizeof(nul) - 1);
        assert_int_equal(v2c_envfile_parse(b, sizeof(nul) - 1, &v, NULL, &err), 0);
        assert_strv(v, STRV("B=2"));
        v2c_strv_free(v);
        free(b);
}

static void test_envfile_limits(void **state)
{
        (void) state;
        struct v2c_error *err = NULL;
        char **v = NULL;
        size_t big = V2C_PARSE_MAX_INPUT + 1;
        char *b = malloc(big);
        memset(b, '#', big);
        assert_int_equal(v2c_envfile_parse(b, big, &v, NULL, &err), -E2BIG);
        assert_null(v);
        err = v2c_error_free(err);

        size_t n = 0;
        for (int i = 0; i <= V2C_ENV_MAX_ENTRIES; i++)
                n += (size_t) sprintf(b + n, "K%d=v\n", i);
        assert_int_equal(v2c_envfile_parse(b, n, &v, NULL, &err), -E2BIG);
        assert_int_equal(err->code, E2BIG);
        err = v2c_error_free(err);

        /* 10,000 distinct keys are fine, a repeated one keeps its place */
        n = 0;
        for (int i = 0; i < V2C_ENV_MAX_ENTRIES; i++)
                n += (size_t) sprintf(b + n, "K%d=v\n", i);
        n += (size_t) sprintf(b + n, "K5000=again\n");
        assert_int_equal(v2c_envfile_parse(b, n, &v, NULL, &err), 0);
        assert_int_equal(v2c_strv_len(v), V2C_ENV_MAX_ENTRIES);
        assert_string_equal(v[5000], "K5000=again");
        assert_string_equal(v[9999], "K9999=v");
        v2c_strv_free(v);

        /* the same key over and over is one entry */
        n = 0;
        for (int i = 0; i <= V2C_ENV_MAX_ENTRIES; i++)
                n += (size_t) sprintf(b + n, "K=%d\n", i);
        assert_int_equal(v2c_envfile_parse(b, n, &v, NULL, &err), 0);
        assert_strv(v, STRV("K=10000"));
        v2c_strv_free(v);
        free(b);
}

int main(int argc, char **argv)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_unit_basic),
                cmocka_unit_test(test_unit_reset_and_repeat),
                cmocka_unit_test(test_unit_dropins),
                cmocka_unit_test(test_unit_malformed),
                cmocka_unit_test(test_unit_limits),
                cmocka_unit_test(test_unit_many_names),
                cmocka_unit_test(test_unit_environment_words),
                cmocka_unit_test(test_exec_prefixes),
                cmocka_unit_test(test_exec_quoting),
                cmocka_unit_test(test_exec_specifiers),
                cmocka_unit_test(test_exec_env),
                cmocka_unit_test(test_exec_limits),
                cmocka_unit_test(test_exec_list),
                cmocka_unit_test(test_envfile),
                cmocka_unit_test(test_envfile_limits),
        };
        return v2c_run_group_tests(argc, argv, tests, NULL, NULL);
}
