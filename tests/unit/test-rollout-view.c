/* The live view of a rollout (rollout/view.c): status documents in, text
 * out.  First documents made here, one per thing a person must read off
 * the view (a pause's time left counting down, the exact approve command,
 * an analysis value against its condition, a rollback's reason, the
 * folding of a view taller than the terminal); then the status of real
 * journals (tests/fixtures/journal/canary.jsonl, written by the canary of
 * test-rollout-canary.sh's test bed, cut after record N as a watcher
 * finds it while the rollout runs): step, weights and analysis as the
 * journal and its playbook say. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "unit-main.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "cleanup.h"
#include "journal.h"
#include "json.h"
#include "rollout.h"

/* 2026-12-07 01:40:00 UTC, in ms. */
#define NOW 1796607600000LL

static json_t *doc(const char *text)
{
        json_error_t e;
        json_t *d = json_loads(text, 0, &e);
        if (d == NULL)
                fail_msg("bad test document: %s", e.text);
        return d;
}

static void assert_has(const char *text, const char *needle)
{
        if (strstr(text, needle) == NULL)
                fail_msg("`%s` not in the view:\n%s", needle, text);
}

static void assert_lacks(const char *text, const char *needle)
{
        if (strstr(text, needle) != NULL)
                fail_msg("`%s` in the view:\n%s", needle, text);
}

static size_t count_lines(const char *text)
{
        size_t n = 1;
        for (const char *p = text; *p; p++)
                n += *p == '\n';
        return n;
}

static const char pause_doc[] =
        "{\"name\": \"rt\", \"finished\": false, \"services\": [{\"name\": \"hello\", \"phase\": \"in-progress\","
        " \"step\": 3, \"step_done\": 2, \"strategy\": \"canary\", \"steps\": 7,"
        " \"current_step\": {\"index\": 3, \"kind\": \"pause\", \"duration_ms\": 20000},"
        " \"weights\": {\"vm\": 50, \"container\": 50},"
        " \"live\": {\"vm_weight\": 50, \"container_weight\": 50},"
        " \"analysis\": [{\"analysis\": \"health\", \"metric\": \"error-rate\", \"phase\": \"step\","
        " \"taken\": 2, \"count\": 2, \"failure_condition\": \"result >= 0.05\", \"value\": 0.0125,"
        " \"verdict\": \"successful\"}],"
        " \"waiting\": \"pause\", \"waiting_until_ms\": 1796607614000}]}";

static void test_pause_counts_down(void **state)
{
        (void) state;
        _cleanup_json_ json_t *d = doc(pause_doc);
        _cleanup_free_ char *a = v2c_rollout_view(d, NOW, 0);
        _cleanup_free_ char *b = v2c_rollout_view(d, NOW + 2500, 0);
        _cleanup_free_ char *c = v2c_rollout_view(d, NOW + 100000, 0);
        assert_non_null(a);
        assert_has(a, "rollout rt: in progress  (01:40:00 UTC)");
        assert_has(a, "hello    in-progress  canary step 4 of 7: pause 20s");
        assert_has(a, "  weights   VM 50  container 50\n");
        assert_has(a, "  waiting   pause: 14s left");
        /* Rounded up: 11.5 s left is 12s, never 0 while time is left. */
        assert_has(b, "pause: 12s left");
        assert_has(c, "pause: 0s left");
        assert_has(a, "  analysis  health/error-rate = 0.0125  fail if result >= 0.05  pass (2 of 2)");
        assert_lacks(a, "approve");
        assert_int_equal(v2c_rollout_status_end(d), V2C_ROLLOUT_GOING);
}

static void test_approval_command(void **state)
{
        (void) state;
        _cleanup_json_ json_t *d = doc(
                "{\"name\": \"rt\", \"finished\": false, \"services\": [{\"name\": \"hello\", \"phase\": \"in-progress\","
                " \"step\": 2, \"step_done\": 1, \"strategy\": \"canary\", \"steps\": 3,"
                " \"current_step\": {\"index\": 2, \"kind\": \"gate\", \"gate\": \"go\"},"
                " \"weights\": {\"vm\": 90, \"container\": 10}, \"waiting\": \"go\","
                " \"approve\": \"v2c rollout approve --state '/var/lib/my rollout' hello\"}]}");
        _cleanup_free_ char *v = v2c_rollout_view(d, NOW, 0);
        assert_has(v, "canary step 3 of 3: gate go");
        /* HAProxy did not answer: the journal's split, said so. */
        assert_has(v, "VM 90  container 10  (the journal's: HAProxy did not answer)");
        assert_has(v, "  waiting   approval: gate go\n  approve   v2c rollout approve --state '/var/lib/my rollout' hello");
}

static void test_inconclusive_and_bluegreen(void **state)
{
        (void) state;
        _cleanup_json_ json_t *d = doc(
                "{\"name\": \"bg\", \"finished\": false, \"services\": ["
                "{\"name\": \"web\", \"phase\": \"in-progress\", \"step\": -1, \"step_done\": -1,"
                " \"strategy\": \"blue-green\", \"weights\": {\"vm\": 100, \"container\": 0},"
                " \"analysis\": [{\"analysis\": \"smoke\", \"metric\": \"direct\", \"taken\": 1, \"count\": 2,"
                " \"success_condition\": \"result == 1\", \"value\": null, \"verdict\": \"inconclusive\"},"
                " {\"analysis\": \"smoke\", \"metric\": \"p99\", \"taken\": 2, \"count\": 2,"
                " \"success_condition\": \"result < 250\", \"failure_condition\": \"result >= 500\","
                " \"value\": 612, \"verdict\": \"failed\"}],"
                " \"waiting\": \"inconclusive\", \"inconclusive_reason\": \"analysis smoke: metric direct had no "
                "conclusive result\", \"approve\": \"v2c rollout approve --state st web\"},"
                "{\"name\": \"database-long-name\", \"phase\": \"pending\", \"step\": -1, \"step_done\": -1,"
                " \"strategy\": \"blue-green\"}]}");
        _cleanup_free_ char *v = v2c_rollout_view(d, NOW, 0);
        assert_has(v, "web                 in-progress  blue-green, before promotion");
        assert_has(v, "  analysis  smoke/direct = no value  pass if result == 1  inconclusive (1 of 2)\n"
                      "            smoke/p99 = 612  pass if result < 250, fail if result >= 500  FAIL (2 of 2)");
        assert_has(v, "waiting   approval: inconclusive, analysis smoke: metric direct had no conclusive result");
        assert_has(v, "approve   v2c rollout approve --state st web");
        /* A pending service is one line: nothing has happened to it. */
        assert_has(v, "\ndatabase-long-name  pending");
        assert_lacks(strstr(v, "database-long-name"), "weights");
        /* Promoted: the bake's time left, then the drain. */
        json_t *web = json_array_get(json_object_get(d, "services"), 0);
        json_object_set_new(web, "phase", json_string("promoted"));
        json_object_set_new(web, "waiting", json_string("bake"));
        json_object_set_new(web, "waiting_until_ms", json_integer(NOW + 90000));
        json_object_del(web, "approve");
        _cleanup_free_ char *baking = v2c_rollout_view(d, NOW, 0);
        assert_has(baking, "web                 promoted     blue-green, promoted");
        assert_has(baking, "  waiting   bake: 1m30s left (the VM stays ready)");
        assert_lacks(baking, "approve");
        json_object_set_new(web, "waiting", json_string("vm-drain"));
        json_object_del(web, "waiting_until_ms");
        _cleanup_free_ char *draining = v2c_rollout_view(d, NOW, 0);
        assert_has(draining, "  waiting   the VM's sessions to end (drain)");
}

static void test_rolled_back_stops(void **state)
{
        (void) state;
        _cleanup_json_ json_t *d = doc(
                "{\"name\": \"rt\", \"finished\": false, \"services\": [{\"name\": \"hello\", \"phase\": \"rolled-back\","
                " \"step\": 1, \"step_done\": 0, \"strategy\": \"canary\", \"steps\": 5,"
                " \"live\": {\"vm_weight\": 100, \"container_weight\": 0},"
                " \"rollback_reason\": \"analysis health: metric error-rate failed 1 time (limit 0), last value 1\"},"
                " {\"name\": \"other\", \"phase\": \"pending\", \"step\": -1, \"step_done\": -1}]}");
        _cleanup_free_ char *v = v2c_rollout_view(d, NOW, 0);
        assert_has(v, "rollout rt: stopped, rolled back");
        assert_has(v, "hello    rolled-back  canary, stopped at step 2 of 5");
        assert_has(v, "  reason    analysis health: metric error-rate failed 1 time (limit 0), last value 1");
        assert_int_equal(v2c_rollout_status_end(d), V2C_ROLLOUT_STOPPED);
        /* Still moving: not the end yet. */
        json_object_set_new(json_array_get(json_object_get(d, "services"), 1), "phase", json_string("in-progress"));
        assert_int_equal(v2c_rollout_status_end(d), V2C_ROLLOUT_GOING);
        json_object_set_new(d, "finished", json_true());
        assert_int_equal(v2c_rollout_status_end(d), V2C_ROLLOUT_FINISHED);
}

/* Taller than the terminal: one line a service, then the first ones and a
 * count of the rest; never more lines than allowed. */
static void test_folds_to_fit(void **state)
{
        (void) state;
        _cleanup_json_ json_t *d = doc(pause_doc);
        json_t *svcs = json_object_get(d, "services");
        for (int i = 0; i < 9; i++) {
                json_t *c = json_deep_copy(json_array_get(svcs, 0));
                char name[16];
                snprintf(name, sizeof name, "svc%d", i);
                json_object_set_new(c, "name", json_string(name));
                json_array_append_new(svcs, c);
        }
        _cleanup_free_ char *full = v2c_rollout_view(d, NOW, 0);
        assert_int_equal(count_lines(full), 1 + 10 * 4);
        _cleanup_free_ char *rows = v2c_rollout_view(d, NOW, 20);
        assert_int_equal(count_lines(rows), 11);
        assert_has(rows, "\nhello    in-progress  50/50      canary step 4 of 7: pause 20s; waiting: pause: 14s left\n");
        _cleanup_free_ char *cut = v2c_rollout_view(d, NOW, 6);
        assert_int_equal(count_lines(cut), 6);
        assert_has(cut, "\n... and 6 more services");
}

/* The status of a real journal cut after its first N records (a watcher
 * reads a journal the runner is writing), rendered. */
static char *view_of_prefix(size_t n, enum v2c_rollout_end *end)
{
        char dir[] = "/tmp/v2c-view-XXXXXX";
        assert_non_null(mkdtemp(dir));
        char path[128];
        snprintf(path, sizeof path, "%s/journal.jsonl", dir);
        FILE *in = fopen("tests/fixtures/journal/canary.jsonl", "r");
        FILE *out = fopen(path, "w");
        assert_non_null(in);
        assert_non_null(out);
        char *l = NULL;
        size_t cap = 0;
        for (size_t i = 0; i < n && getline(&l, &cap, in) > 0; i++)
                fputs(l, out);
        free(l);
        fclose(in);
        fclose(out);
        json_t *d = NULL;
        struct v2c_error *err = NULL;
        assert_int_equal(v2c_rollout_status(dir, &d, &err), 0);
        *end = v2c_rollout_status_end(d);
        char *v = v2c_rollout_view(d, NOW, 0);
        json_decref(d);
        unlink(path);
        rmdir(dir);
        return v;
}

static void test_real_journal(void **state)
{
        (void) state;
        enum v2c_rollout_end end;
        /* Record 9: step 2 (analysis health) begun, weights 90/10. */
        _cleanup_free_ char *a = view_of_prefix(9, &end);
        assert_has(a, "hello    in-progress  canary step 2 of 5: analysis health");
        assert_has(a, "VM 90  container 10");
        assert_lacks(a, "analysis  ");
        assert_int_equal(end, V2C_ROLLOUT_GOING);
        /* Record 10: its first measurement, against the playbook's condition. */
        _cleanup_free_ char *b = view_of_prefix(10, &end);
        assert_has(b, "  analysis  health/error-rate = 0  fail if result >= 0.05  pass (1 of 2)");
        /* Record 14: step 3 (setWeight 50) set; the last analysis still shown. */
        _cleanup_free_ char *c = view_of_prefix(14, &end);
        assert_has(c, "canary step 3 of 5: setWeight 50");
        assert_has(c, "VM 50  container 50");
        assert_has(c, "health/error-rate = 0  fail if result >= 0.05  pass (2 of 2)");
        /* Record 16: the pause of 1s begun (long over by the clock: no wait shown). */
        _cleanup_free_ char *d = view_of_prefix(16, &end);
        assert_has(d, "canary step 4 of 5: pause 1s");
        assert_lacks(d, "waiting");
        /* All of it: finished, the VM drained. */
        _cleanup_free_ char *e = view_of_prefix(100, &end);
        assert_has(e, "rollout rt: finished");
        assert_has(e, "hello    done         canary, 5 of 5 steps done");
        assert_has(e, "VM 0  container 100");
        assert_has(e, "  VM        drained");
        assert_int_equal(end, V2C_ROLLOUT_FINISHED);
}

static void add(struct v2c_journal *j, json_t *rec)
{
        struct v2c_error *err = NULL;
        assert_non_null(rec);
        assert_int_equal(v2c_journal_append(j, rec, &err), 0);
        json_decref(rec);
}

/* An inconclusive analysis, approved (the runner records no "approved"
 * for it), then the next steps: status no longer says it waits for an
 * approval, and the view shows the pause that came since, counting down.
 * Before the fix, status said "inconclusive" until the service ended. */
static void test_inconclusive_approved(void **state)
{
        (void) state;
        char dir[] = "/tmp/v2c-view-XXXXXX";
        assert_non_null(mkdtemp(dir));
        /* The playbook of the real journal (steps: setWeight 10, analysis
         * health, setWeight 50, pause 1s, setWeight 100). */
        FILE *in = fopen("tests/fixtures/journal/canary.jsonl", "r");
        assert_non_null(in);
        char *l = NULL;
        size_t cap = 0;
        assert_true(getline(&l, &cap, in) > 0);
        fclose(in);
        json_t *first = json_loads(l, 0, NULL);
        free(l);
        assert_non_null(first);
        struct v2c_journal *j = NULL;
        struct v2c_error *err = NULL;
        assert_int_equal(v2c_journal_open(dir, &j, &err), 0);
        add(j, json_pack("{s:s, s:O}", "event", "start", "playbook", json_object_get(first, "playbook")));
        json_decref(first);
        json_int_t now = (json_int_t) v2c_wall_ms();
        add(j, json_pack("{s:s, s:s}", "event", "wave-open", "service", "wave-1"));
        add(j, json_pack("{s:s, s:s}", "event", "preparing", "service", "hello"));
        add(j, json_pack("{s:s, s:s, s:s}", "event", "prepared", "service", "hello", "container", "c0ffee"));
        add(j, json_pack("{s:s, s:s, s:i, s:I}", "event", "step", "service", "hello", "index", 0, "started_ms", now));
        add(j, json_pack("{s:s, s:s, s:i, s:i}", "event", "weights", "service", "hello", "vm", 90, "container", 10));
        add(j, json_pack("{s:s, s:s, s:i}", "event", "step-done", "service", "hello", "index", 0));
        add(j, json_pack("{s:s, s:s, s:i, s:I}", "event", "step", "service", "hello", "index", 1, "started_ms", now));
        add(j, json_pack("{s:s, s:s, s:s, s:s, s:s, s:n, s:s}", "event", "measurement", "service", "hello", "phase",
                         "step", "analysis", "health", "metric", "error-rate", "value", "verdict", "inconclusive"));
        add(j, json_pack("{s:s, s:s, s:s}", "event", "inconclusive", "service", "hello", "reason",
                         "analysis health: metric error-rate had no conclusive result"));
        enum v2c_rollout_end end;
        json_t *d = NULL;
        assert_int_equal(v2c_rollout_status(dir, &d, &err), 0);
        const json_t *s = json_array_get(json_object_get(d, "services"), 0);
        assert_string_equal(json_string_value(json_object_get(s, "waiting")), "inconclusive");
        assert_non_null(strstr(json_string_value(json_object_get(s, "approve")), "v2c rollout approve --state /tmp/v2c-view-"));
        json_decref(d);
        /* Approved: the runner goes on (the pause's start a minute ahead,
         * so that it has not ended when status reads it). */
        add(j, json_pack("{s:s, s:s, s:i}", "event", "step-done", "service", "hello", "index", 1));
        add(j, json_pack("{s:s, s:s, s:i, s:I}", "event", "step", "service", "hello", "index", 2, "started_ms", now));
        add(j, json_pack("{s:s, s:s, s:i, s:i}", "event", "weights", "service", "hello", "vm", 50, "container", 50));
        add(j, json_pack("{s:s, s:s, s:i}", "event", "step-done", "service", "hello", "index", 2));
        add(j, json_pack("{s:s, s:s, s:i, s:I}", "event", "step", "service", "hello", "index", 3, "started_ms",
                         now + 60000));
        v2c_journal_close(j);
        assert_int_equal(v2c_rollout_status(dir, &d, &err), 0);
        s = json_array_get(json_object_get(d, "services"), 0);
        assert_string_equal(json_string_value(json_object_get(s, "waiting")), "pause");
        assert_null(json_object_get(s, "inconclusive_reason"));
        assert_null(json_object_get(s, "approve"));
        assert_int_equal(json_integer_value(json_object_get(s, "waiting_until_ms")), now + 61000);
        end = v2c_rollout_status_end(d);
        assert_int_equal(end, V2C_ROLLOUT_GOING);
        _cleanup_free_ char *v = v2c_rollout_view(d, now, 0);
        assert_has(v, "canary step 4 of 5: pause 1s");
        assert_has(v, "  waiting   pause: 1m01s left");
        assert_has(v, "  analysis  health/error-rate = no value  fail if result >= 0.05  inconclusive (1 of 2)");
        assert_lacks(v, "approve");
        json_decref(d);
        char path[128];
        snprintf(path, sizeof path, "%s/journal.jsonl", dir);
        unlink(path);
        snprintf(path, sizeof path, "%s/lock", dir);
        unlink(path);
        rmdir(dir);
}

int main(int argc, char **argv)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_pause_counts_down),
                cmocka_unit_test(test_approval_command),
                cmocka_unit_test(test_inconclusive_and_bluegreen),
                cmocka_unit_test(test_rolled_back_stops),
                cmocka_unit_test(test_folds_to_fit),
                cmocka_unit_test(test_real_journal),
                cmocka_unit_test(test_inconclusive_approved),
        };
        return v2c_run_group_tests(argc, argv, tests, NULL, NULL);
}
