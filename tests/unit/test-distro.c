/* Unit tests for the release files of guests without os-release
 * (inspect/distro.c): the RHEL family's one line and SUSE's key = value
 * file, as the distributions wrote them, and hostile variants. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "unit-main.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "distro-internal.h"
#include "strv.h"

static void check_redhat(const char *text, const char *id, const char *version, const char *like0)
{
        struct v2c_distro d = { 0 };
        assert_int_equal(v2c_distro_parse_redhat(text, strlen(text), &d), 0);
        assert_string_equal(d.id, id);
        if (version)
                assert_string_equal(d.version, version);
        else
                assert_null(d.version);
        if (like0)
                assert_string_equal(d.id_like[0], like0);
        else
                assert_null(d.id_like);
        assert_non_null(d.pretty_name);
        assert_null(strchr(d.pretty_name, '\n'));
        v2c_distro_release(&d);
}

static void test_redhat_family(void **state)
{
        (void) state;
        check_redhat("CentOS release 6.10 (Final)\n", "centos", "6.10", "rhel");
        check_redhat("CentOS Linux release 7.9.2009 (Core)\n", "centos", "7.9.2009", "rhel");
        check_redhat("CentOS Stream release 9\n", "centos", "9", "rhel");
        check_redhat("Red Hat Enterprise Linux Server release 6.9 (Santiago)\n", "rhel", "6.9", "fedora");
        check_redhat("Rocky Linux release 9.3 (Blue Onyx)\n", "rocky", "9.3", "rhel");
        check_redhat("AlmaLinux release 8.9 (Midnight Oncilla)\n", "almalinux", "8.9", "rhel");
        check_redhat("Amazon Linux AMI release 2018.03\n", "amzn", "2018.03", "centos");
        check_redhat("Amazon Linux release 2 (Karoo)\n", "amzn", "2", "centos");
        check_redhat("Fedora release 20 (Heisenbug)\n", "fedora", "20", NULL);
        check_redhat("\n  Oracle Linux Server release 7.9\r\n", "ol", "7.9", "fedora");
        /* "release" inside another word is not the version's keyword. */
        check_redhat("CentOS prerelease 5 release 6.1\n", "centos", "6.1", "rhel");
        check_redhat("CentOS\n", "centos", NULL, "rhel");
}

static void test_redhat_unknown_and_hostile(void **state)
{
        (void) state;
        static const char *const bad[] = {
                "", "\n\n", "Debian GNU/Linux 12\n", "CentOSfoo release 7\n", "Cent\001OS release 7\n",
                "CentOS release 7\033[2J\n",
        };
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
                struct v2c_distro d = { .id = NULL };
                assert_int_equal(v2c_distro_parse_redhat(bad[i], strlen(bad[i]), &d), 1);
                assert_null(d.id);
        }
        /* Not NUL-terminated, and a line longer than what is looked at. */
        char big[8192];
        memset(big, 'x', sizeof big);
        memcpy(big, "CentOS release 7.1 ", 19);
        struct v2c_distro d = { 0 };
        assert_int_equal(v2c_distro_parse_redhat(big, sizeof big, &d), 0);
        assert_string_equal(d.version, "7.1");
        assert_true(strlen(d.pretty_name) <= 4096);
        v2c_distro_release(&d);
        /* A NUL inside the line stops nothing past len, and is refused. */
        assert_int_equal(v2c_distro_parse_redhat("CentOS release 7\0x", 18, &d), 1);
}

static void test_suse(void **state)
{
        (void) state;
        const char *sles = "SUSE Linux Enterprise Server 11 (x86_64)\nVERSION = 11\nPATCHLEVEL = 4\n";
        struct v2c_distro d = { 0 };
        assert_int_equal(v2c_distro_parse_suse(sles, strlen(sles), &d), 0);
        assert_string_equal(d.id, "sles");
        assert_string_equal(d.version, "11.4");
        assert_string_equal(d.pretty_name, "SUSE Linux Enterprise Server 11");
        assert_string_equal(d.id_like[0], "suse");
        v2c_distro_release(&d);

        const char *os = "openSUSE 13.1 (x86_64)\nVERSION = 13.1\nCODENAME = Bottle\n";
        assert_int_equal(v2c_distro_parse_suse(os, strlen(os), &d), 0);
        assert_string_equal(d.id, "opensuse");
        assert_string_equal(d.version, "13");
        v2c_distro_release(&d);

        const char *p0 = "SUSE Linux Enterprise Server 12 (x86_64)\nVERSION = 12\nPATCHLEVEL = 0\n";
        assert_int_equal(v2c_distro_parse_suse(p0, strlen(p0), &d), 0);
        assert_string_equal(d.version, "12");
        v2c_distro_release(&d);

        const char *other = "Slackware 14.2\nVERSION = 14\n";
        assert_int_equal(v2c_distro_parse_suse(other, strlen(other), &d), 1);
        const char *novalue = "openSUSE 42.3\nVERSION =\nPATCHLEVEL\n";
        assert_int_equal(v2c_distro_parse_suse(novalue, strlen(novalue), &d), 0);
        assert_null(d.version);
        v2c_distro_release(&d);
}

static void test_split_like(void **state)
{
        (void) state;
        char **v = NULL;
        assert_int_equal(v2c_distro_split_like("  rhel\tcentos  fedora ", &v), 0);
        assert_int_equal(v2c_strv_len(v), 3);
        assert_string_equal(v[0], "rhel");
        assert_string_equal(v[2], "fedora");
        assert_int_equal(v2c_distro_split_like("", &v), 0);
        assert_null(v);
        char many[200] = "";
        for (int i = 0; i < 40; i++)
                strcat(many, "a ");
        assert_int_equal(v2c_distro_split_like(many, &v), 0);
        assert_int_equal(v2c_strv_len(v), 16);
        v2c_strv_free(v);
}

int main(int argc, char **argv)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_redhat_family),
                cmocka_unit_test(test_redhat_unknown_and_hostile),
                cmocka_unit_test(test_suse),
                cmocka_unit_test(test_split_like),
        };
        return v2c_run_group_tests(argc, argv, tests, NULL, NULL);
}
