/* The rollout journal: records survive a reopen, a torn tail is cut, a
 * sequence gap ends the journal, and the lock keeps a second writer out. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "journal.h"

static char dir[] = "/tmp/v2c-journal-XXXXXX";

static void append(struct v2c_journal *j, const char *service, const char *event, int step)
{
        json_t *r = json_pack("{s:s, s:s, s:i}", "service", service, "event", event, "step", step);
        struct v2c_error *err = NULL;
        assert_int_equal(v2c_journal_append(j, r, &err), 0);
        json_decref(r);
}

static void test_reopen(void **state)
{
        (void) state;
        struct v2c_journal *j = NULL;
        struct v2c_error *err = NULL;
        assert_int_equal(v2c_journal_open(dir, &j, &err), 0);
        append(j, "web", "step-start", 1);
        append(j, "web", "weights", 1);
        append(j, "db", "step-start", 1);
        assert_int_equal(v2c_journal_count(j), 3);
        /* A second writer is refused while the first holds the lock. */
        struct v2c_journal *k = NULL;
        assert_int_equal(v2c_journal_open(dir, &k, &err), -EBUSY);
        assert_int_equal(err->kind, V2C_ERR_REFUSED);
        err = v2c_error_free(err);
        j = v2c_journal_close(j);

        assert_int_equal(v2c_journal_open(dir, &j, &err), 0);
        assert_int_equal(v2c_journal_count(j), 3);
        const json_t *last = v2c_journal_last(j, "web", "step-start");
        assert_non_null(last);
        assert_int_equal(json_integer_value(json_object_get(last, "seq")), 1);
        assert_null(v2c_journal_last(j, "web", "nothing"));
        append(j, "web", "step-done", 1);
        assert_int_equal(json_integer_value(json_object_get(v2c_journal_get(j, 3), "seq")), 4);
        j = v2c_journal_close(j);
}

static void test_torn_tail(void **state)
{
        (void) state;
        char path[256];
        snprintf(path, sizeof path, "%s/journal.jsonl", dir);
        int fd = open(path, O_WRONLY | O_APPEND);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, "{\"seq\":5,\"event\":\"to", 21), 21);
        close(fd);
        struct v2c_journal *j = NULL;
        struct v2c_error *err = NULL;
        /* Read-only: the torn record is not there, the file is untouched. */
        assert_int_equal(v2c_journal_open_ro(dir, &j, &err), 0);
        assert_int_equal(v2c_journal_count(j), 4);
        json_t *r = json_object();
        assert_int_equal(v2c_journal_append(j, r, &err), -EBADF);
        err = v2c_error_free(err);
        json_decref(r);
        j = v2c_journal_close(j);
        /* For writing: cut, then appended after the last good record. */
        assert_int_equal(v2c_journal_open(dir, &j, &err), 0);
        assert_int_equal(v2c_journal_count(j), 4);
        append(j, "web", "step-start", 2);
        j = v2c_journal_close(j);
        assert_int_equal(v2c_journal_open_ro(dir, &j, &err), 0);
        assert_int_equal(v2c_journal_count(j), 5);
        assert_int_equal(json_integer_value(json_object_get(v2c_journal_get(j, 4), "step")), 2);
        j = v2c_journal_close(j);
}

static void test_parse(void **state)
{
        (void) state;
        json_t *recs = NULL;
        size_t valid = 0;
        struct v2c_error *err = NULL;
        static const char ok[] = "{\"seq\":1,\"e\":\"a\"}\n{\"seq\":2}\n";
        assert_int_equal(v2c_journal_parse(ok, strlen(ok), &recs, &valid, &err), 0);
        assert_int_equal(json_array_size(recs), 2);
        assert_int_equal(valid, strlen(ok));
        json_decref(recs);
        /* A gap, a non-object, a missing seq: the journal ends before it. */
        static const char gap[] = "{\"seq\":1}\n{\"seq\":3}\n{\"seq\":4}\n";
        assert_int_equal(v2c_journal_parse(gap, strlen(gap), &recs, &valid, &err), 0);
        assert_int_equal(json_array_size(recs), 1);
        assert_int_equal(valid, 10);
        json_decref(recs);
        static const char bad[] = "[1]\n";
        assert_int_equal(v2c_journal_parse(bad, strlen(bad), &recs, &valid, &err), 0);
        assert_int_equal(json_array_size(recs), 0);
        assert_int_equal(valid, 0);
        json_decref(recs);
        static const char empty[] = "";
        assert_int_equal(v2c_journal_parse(empty, 0, &recs, &valid, &err), 0);
        assert_int_equal(json_array_size(recs), 0);
        json_decref(recs);
}

static int setup(void **state)
{
        (void) state;
        return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
        (void) state;
        char cmd[300];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_reopen),
                cmocka_unit_test(test_torn_tail),
                cmocka_unit_test(test_parse),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
