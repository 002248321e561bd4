/* Unit tests for what convert reads of a service's scripts and packages
 * (convert/scripts.c): the commands a shell script runs and the files it
 * sources, and the run-time directories of tmpfiles.d lines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "unit-main.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "convert-internal.h"
#include "error.h"
#include "strv.h"

static void scan(const char *text, size_t max, char ***cmds, char ***srcs)
{
        struct v2c_error *err = NULL;
        assert_int_equal(convert_sh_scan(text, strlen(text), max, cmds, srcs, &err), 0);
        assert_null(err);
}

/* The shape of Debian's apache2ctl: functions, case patterns, command
 * substitutions, backquotes, assignments before a command. */
static void test_sh_scan_apachectl(void **state)
{
        (void) state;
        static const char text[] =
                "#!/bin/sh\n"
                "# id and chmod in a comment are not commands\n"
                "ARGV=\"$@\"\n"
                ". /etc/apache2/envvars\n"
                "source $APACHE_ENVVARS\n"
                "HTTPD=${APACHE_HTTPD:-/usr/sbin/apache2}\n"
                "if [ \"x$ULIMIT\" != \"x\" ] && [ `id -u` -eq 0 ] ; then\n"
                "    $APACHE_ULIMIT_MAX_FILES\n"
                "fi\n"
                "mkdir_chown () {\n"
                "    local STAT=\"$(LC_ALL=C stat -c %F:%U $DIR 2> /dev/null || true)\"\n"
                "    local TMPNAME=$(mktemp -d $DIR.XXXXXXXXXX) || exit 1\n"
                "    chmod 755 $TMPNAME || exit 1\n"
                "    x=$((1 + 2))\n"
                "}\n"
                "[ ! -d /run/a ] && mkdir -p /run/a\n"
                "case \"$ARGV\" in\n"
                "start)\n"
                "    mkdir_chown www-data /run/a\n"
                "    exec /usr/sbin/apache2 -k start ;;\n"
                "stop|graceful-stop)\n"
                "    echo \"rm -rf /\" | logger -t apache\n"
                "    ;;\n"
                "esac\n";
        _cleanup_strv_ char **cmds = NULL, **srcs = NULL;
        scan(text, 100, &cmds, &srcs);
        static const char *const want[] = { "id", "stat", "mktemp", "chmod", "mkdir", "/usr/sbin/apache2", "logger" };
        for (size_t i = 0; i < V2C_ARRAY_SIZE(want); i++)
                assert_true(v2c_strv_contains(cmds, want[i]));
        assert_int_equal(v2c_strv_len(cmds), V2C_ARRAY_SIZE(want));
        assert_int_equal(v2c_strv_len(srcs), 1);
        assert_string_equal(srcs[0], "/etc/apache2/envvars");
}

static void test_sh_scan_bounds(void **state)
{
        (void) state;
        _cleanup_strv_ char **cmds = NULL, **srcs = NULL;
        scan("a1; a2; a3 | a4 && a5\n../x; ./y; /a/../b; -x; \"q\"; $v\n", 3, &cmds, &srcs);
        assert_int_equal(v2c_strv_len(cmds), 3);
        assert_null(srcs);
        v2c_strv_free(cmds);
        cmds = NULL;
        scan("", 3, &cmds, &srcs);
        assert_null(cmds);
        /* A word longer than any name, unterminated quotes, a lone backslash. */
        char big[600];
        memset(big, 'x', sizeof big - 1);
        big[sizeof big - 1] = '\0';
        scan(big, 3, &cmds, &srcs);
        assert_null(cmds);
        scan("'abc\n\"def\\", 3, &cmds, &srcs);
        assert_null(cmds);
}

static void test_tmpfiles(void **state)
{
        (void) state;
        static const char text[] =
                "# comment\n"
                "d /run/haproxy 2775 haproxy haproxy -\n"
                "D! /var/lib/app/../app2 0700 app - 10d\n"
                "d /var/run/legacy\n"
                "d /run/haproxy 0700 root root -\n"   /* the first one wins */
                "f /run/file 0644 root root -\n"      /* not a directory */
                "d /etc/x 0755 - - -\n"               /* not a run-time root */
                "d /run 0755 - - -\n"                 /* the root itself */
                "d /run/%u 0700 - - -\n"              /* a specifier */
                "d /run/bad 9999 - - -\n"             /* a bad mode */
                "dx /run/bad2 0755 - - -\n"           /* an unknown modifier */
                "d /var/log/../../etc/evil 0755 - - -\n"
                "d /var/cache/c ~0750 :cacheuser - -";
        struct convert_tmpdir *d = NULL;
        size_t n = 0;
        struct v2c_error *err = NULL;
        assert_int_equal(convert_tmpfiles_parse(text, strlen(text), 16, &d, &n, &err), 0);
        assert_int_equal(n, 4);
        assert_string_equal(d[0].path, "/run/haproxy");
        assert_int_equal(d[0].mode, 02775);
        assert_string_equal(d[0].user, "haproxy");
        assert_string_equal(d[0].group, "haproxy");
        assert_string_equal(d[1].path, "/var/lib/app2");
        assert_int_equal(d[1].mode, 0700);
        assert_string_equal(d[1].user, "app");
        assert_string_equal(d[1].group, "");
        assert_string_equal(d[2].path, "/var/run/legacy");
        assert_int_equal(d[2].mode, 0755);
        assert_string_equal(d[2].user, "");
        assert_string_equal(d[3].path, "/var/cache/c");
        assert_int_equal(d[3].mode, 0750);
        assert_string_equal(d[3].user, "");
        convert_tmpfiles_free(d, n);
        /* The cap. */
        assert_int_equal(convert_tmpfiles_parse(text, strlen(text), 2, &d, &n, &err), 0);
        assert_int_equal(n, 2);
        convert_tmpfiles_free(d, n);
}

int main(int argc, char **argv)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_sh_scan_apachectl),
                cmocka_unit_test(test_sh_scan_bounds),
                cmocka_unit_test(test_tmpfiles),
        };
        return v2c_run_group_tests(argc, argv, tests, NULL, NULL);
}
