/* The command line of every cmocka binary in tests/unit/:
 *
 *   test-NAME              runs every case
 *   test-NAME PATTERN      runs the cases whose name matches PATTERN
 *                          (cmocka's filter: '*' any run of characters, '?'
 *                          one), e.g. `build/tests/test-layer test_path_order`
 *   test-NAME --list       prints the case names, one a line
 *
 * A pattern that matches no case is a usage error (exit 2): a misspelt name
 * must not pass as a green run of nothing.  Included after <cmocka.h> by
 * the one source file of each binary; main() ends with
 *   return v2c_run_group_tests(argc, argv, tests, setup, teardown);
 */
#ifndef V2C_TESTS_UNIT_MAIN_H
#define V2C_TESTS_UNIT_MAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* cmocka's own matching rule (c_strmatch in cmocka.c), so that the check
 * below agrees with the cases cmocka then runs. */
static bool v2c_unit_match(const char *s, const char *p)
{
        for (; *p != '\0'; p++, s++) {
                if (*p == '*') {
                        while (p[1] == '*')
                                p++;
                        if (p[1] == '\0')
                                return true;
                        for (; *s != '\0'; s++)
                                if (v2c_unit_match(s, p + 1))
                                        return true;
                        return false;
                }
                if (*s == '\0' || (*p != '?' && *p != *s))
                        return false;
        }
        return *s == '\0';
}

static int v2c_unit_status;

/* true when main must return v2c_unit_status without running anything;
 * false to run the group (filtered if a pattern was given). */
static bool v2c_unit_args(int argc, char **argv, const struct CMUnitTest *tests, size_t n)
{
        if (argc < 2)
                return false;
        if (argc > 2 || argv[1][0] == '\0' ||
            (argv[1][0] == '-' && strcmp(argv[1], "--list") != 0)) {
                fprintf(stderr, "usage: %s [--list | PATTERN]  (PATTERN: a case name, '*' and '?' allowed)\n",
                        argv[0]);
                v2c_unit_status = 2;
                return true;
        }
        if (strcmp(argv[1], "--list") == 0) {
                for (size_t i = 0; i < n; i++)
                        printf("%s\n", tests[i].name);
                v2c_unit_status = 0;
                return true;
        }
        for (size_t i = 0; i < n; i++) {
                if (v2c_unit_match(tests[i].name, argv[1])) {
                        cmocka_set_test_filter(argv[1]);
                        return false;
                }
        }
        fprintf(stderr, "%s: no test case matches '%s' (--list shows them)\n", argv[0], argv[1]);
        v2c_unit_status = 2;
        return true;
}

#define v2c_run_group_tests(argc, argv, tests, group_setup, group_teardown)                 \
        (v2c_unit_args((argc), (argv), (tests), sizeof(tests) / sizeof((tests)[0]))          \
                 ? v2c_unit_status                                                           \
                 : cmocka_run_group_tests(tests, group_setup, group_teardown))

#endif
