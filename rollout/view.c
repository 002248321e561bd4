/* The live view of a rollout (`rollout run` on a terminal, `rollout status
 * --watch`): a status document (v2c_rollout_status, which reads the journal
 * and the playbook in it) turned into lines of text for a person, in the
 * spirit of `kubectl argo rollouts get rollout --watch`.  Pure: the same
 * document and clock give the same text, so the unit test checks it
 * without a rollout; drawing it (in place, on stderr or stdout) is
 * common/progress's business.
 *
 * One block per service: its phase and step, the weights, the last
 * analysis' values against their conditions, what it waits for (the time
 * a pause or a bake has left, the command that gives an approval).  When
 * the blocks do not fit, one line a service; when those do not either, the
 * first ones and a count of the rest. */
#include "rollout.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "cleanup.h"
#include "strv.h"

#define VIEW_MAX_BYTES (4u << 20)
#define LABEL_WIDTH 10

static const char *str(const json_t *o, const char *key)
{
        const char *s = json_string_value(json_object_get(o, key));
        return s ? s : "";
}

static long long num(const json_t *o, const char *key)
{
        return (long long) json_integer_value(json_object_get(o, key));
}

enum v2c_rollout_end v2c_rollout_status_end(const json_t *status)
{
        if (json_is_true(json_object_get(status, "finished")))
                return V2C_ROLLOUT_FINISHED;
        bool rolled_back = false, moving = false;
        size_t i;
        const json_t *s;
        json_array_foreach(json_object_get(status, "services"), i, s) {
                const char *phase = str(s, "phase");
                rolled_back |= strcmp(phase, "rolled-back") == 0;
                moving |= strcmp(phase, "in-progress") == 0 || strcmp(phase, "promoted") == 0;
        }
        /* The runner stops at a rollback: nothing moves after it. */
        return rolled_back && !moving ? V2C_ROLLOUT_STOPPED : V2C_ROLLOUT_GOING;
}

/* "14s", "2m05s", "1h02m": what is left of a wait, rounded up. */
static void left_text(long long ms, char *buf, size_t size)
{
        long long s = ms <= 0 ? 0 : (ms + 999) / 1000;
        if (s < 60)
                snprintf(buf, size, "%llds", s);
        else if (s < 3600)
                snprintf(buf, size, "%lldm%02llds", s / 60, s % 60);
        else
                snprintf(buf, size, "%lldh%02lldm", s / 3600, s % 3600 / 60);
}

/* What the step in progress does: "setWeight 50", "pause 20s". */
static void step_text(const json_t *step, char *buf, size_t size)
{
        const char *kind = str(step, "kind");
        if (strcmp(kind, "setWeight") == 0)
                snprintf(buf, size, "setWeight %lld", num(step, "weight"));
        else if (strcmp(kind, "pause") == 0 && num(step, "duration_ms") > 0) {
                char d[32];
                left_text(num(step, "duration_ms"), d, sizeof d);
                snprintf(buf, size, "pause %s", d);
        } else if (strcmp(kind, "pause") == 0)
                snprintf(buf, size, "pause until approved");
        else if (strcmp(kind, "analysis") == 0) {
                size_t len = (size_t) snprintf(buf, size, "analysis");
                size_t i;
                const json_t *a;
                json_array_foreach(json_object_get(step, "analyses"), i, a)
                        if (len < size)
                                len += (size_t) snprintf(buf + len, size - len, "%s%s", i ? ", " : " ",
                                                         json_string_value(a) ? json_string_value(a) : "?");
        } else if (strcmp(kind, "gate") == 0)
                snprintf(buf, size, "gate %s", str(step, "gate"));
        else
                snprintf(buf, size, "%s", kind);
}

/* Where the service is in its strategy: "canary step 4 of 7: pause 20s". */
static void where_text(const json_t *s, char *buf, size_t size)
{
        const char *phase = str(s, "phase");
        if (strcmp(phase, "pending") == 0) {
                buf[0] = '\0';
                return;
        }
        if (strcmp(str(s, "strategy"), "blue-green") == 0) {
                bool promoted = strcmp(phase, "promoted") == 0 || strcmp(phase, "done") == 0 ||
                                strcmp(phase, "finalized") == 0;
                snprintf(buf, size, "blue-green, %s", strcmp(phase, "rolled-back") == 0 ? "rolled back"
                                                      : promoted                           ? "promoted"
                                                                                           : "before promotion");
                return;
        }
        long long n = num(s, "steps"), step = num(s, "step"), done = num(s, "step_done");
        const json_t *cur = json_object_get(s, "current_step");
        char what[160];
        if (cur) {
                step_text(cur, what, sizeof what);
                snprintf(buf, size, "canary step %lld of %lld: %s", num(cur, "index") + 1, n, what);
        } else if (strcmp(phase, "rolled-back") == 0 && step > done)
                snprintf(buf, size, "canary, stopped at step %lld of %lld", step + 1, n);
        else
                snprintf(buf, size, "canary, %lld of %lld steps done", done + 1, n);
}

/* The weights now: HAProxy's own when it answered, else the journal's. */
static bool weights_text(const json_t *s, char *buf, size_t size, bool compact)
{
        const json_t *live = json_object_get(s, "live"), *w = json_object_get(s, "weights");
        long long vm, ct;
        if (live) {
                vm = num(live, "vm_weight");
                ct = num(live, "container_weight");
        } else if (w) {
                vm = num(w, "vm");
                ct = num(w, "container");
        } else
                return false;
        const char *note = live ? "" : compact ? "?" : "  (the journal's: HAProxy did not answer)";
        if (compact)
                snprintf(buf, size, "%lld/%lld%s", vm, ct, note);
        else
                snprintf(buf, size, "VM %lld  container %lld%s", vm, ct, note);
        return true;
}

/* "health/error-rate = 0.012  fail if result >= 0.05  pass (2 of 2)". */
static void measurement_text(const json_t *m, char *buf, size_t size)
{
        const json_t *v = json_object_get(m, "value");
        char value[48];
        if (json_is_number(v))
                snprintf(value, sizeof value, "%g", json_number_value(v));
        else
                snprintf(value, sizeof value, "no value");
        const char *sc = json_string_value(json_object_get(m, "success_condition"));
        const char *fc = json_string_value(json_object_get(m, "failure_condition"));
        char cond[256];
        snprintf(cond, sizeof cond, "%s%s%s%s%s", sc ? "pass if " : "", sc ? sc : "", sc && fc ? ", " : "",
                 fc ? "fail if " : "", fc ? fc : "");
        const char *verdict = str(m, "verdict");
        const char *shown = strcmp(verdict, "successful") == 0 ? "pass"
                            : strcmp(verdict, "failed") == 0   ? "FAIL"
                                                               : verdict;
        char of[48] = "";
        if (json_integer_value(json_object_get(m, "count")) > 0)
                snprintf(of, sizeof of, " (%lld of %lld)", num(m, "taken"), num(m, "count"));
        snprintf(buf, size, "%s/%s = %s  %s  %s%s", str(m, "analysis"), str(m, "metric"), value, cond, shown, of);
}

/* What it waits for, on one line (the approval's command on the next). */
static bool waiting_text(const json_t *s, int64_t now_ms, char *buf, size_t size)
{
        const char *w = json_string_value(json_object_get(s, "waiting"));
        if (w == NULL)
                return false;
        const json_t *until = json_object_get(s, "waiting_until_ms");
        char left[32];
        left_text(until ? (long long) json_integer_value(until) - now_ms : 0, left, sizeof left);
        bool approval = json_object_get(s, "approve") != NULL;
        if (strcmp(w, "pause") == 0 && until)
                snprintf(buf, size, "pause: %s left", left);
        else if (strcmp(w, "bake") == 0 && until)
                snprintf(buf, size, "bake: %s left (the VM stays ready)", left);
        else if (strcmp(w, "vm-drain") == 0)
                snprintf(buf, size, "the VM's sessions to end (drain)");
        else if (strcmp(w, "inconclusive") == 0)
                snprintf(buf, size, "approval: inconclusive, %s", str(s, "inconclusive_reason"));
        else if (strcmp(w, "pause") == 0)
                snprintf(buf, size, "approval: pause until approved");
        else if (approval)
                snprintf(buf, size, "approval: gate %s", w);
        else
                snprintf(buf, size, "%s", w);
        return true;
}

static int line(char ***lines, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int line(char ***lines, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        char *l = NULL;
        int n = vasprintf(&l, fmt, ap);
        va_end(ap);
        return n < 0 ? -1 : v2c_strv_consume(lines, l);
}

static int service_block(char ***lines, const json_t *s, int width, int64_t now_ms)
{
        char where[256], buf[1024];
        where_text(s, where, sizeof where);
        int rc = line(lines, "%-*s  %-11s  %s", width, str(s, "name"), str(s, "phase"), where);
        if (strcmp(str(s, "phase"), "pending") == 0)
                return rc;
        int label = LABEL_WIDTH;
        if (rc >= 0 && weights_text(s, buf, sizeof buf, false))
                rc = line(lines, "  %-*s%s", label, "weights", buf);
        size_t i;
        const json_t *m;
        json_array_foreach(json_object_get(s, "analysis"), i, m) {
                measurement_text(m, buf, sizeof buf);
                if (rc >= 0)
                        rc = line(lines, "  %-*s%s", label, i ? "" : "analysis", buf);
        }
        if (rc >= 0 && waiting_text(s, now_ms, buf, sizeof buf)) {
                rc = line(lines, "  %-*s%s", label, "waiting", buf);
                const char *cmd = json_string_value(json_object_get(s, "approve"));
                if (rc >= 0 && cmd)
                        rc = line(lines, "  %-*s%s", label, "approve", cmd);
        }
        const char *why = json_string_value(json_object_get(s, "rollback_reason"));
        if (rc >= 0 && why)
                rc = line(lines, "  %-*s%s", label, "reason", why);
        const json_t *vm = json_object_get(s, "vm");
        if (rc >= 0 && vm) {
                const char *kept = json_string_value(json_object_get(vm, "kept_by"));
                const char *by = json_string_value(json_object_get(vm, "by"));
                if (kept)
                        rc = line(lines, "  %-*skept running: %s %s", label, "VM", kept, str(vm, "why"));
                else
                        rc = line(lines, "  %-*s%s%s%s", label, "VM", str(vm, "state"), by ? " by " : "",
                                  by ? by : "");
        }
        return rc;
}

static int service_row(char ***lines, const json_t *s, int width, int64_t now_ms)
{
        char where[256], w[64] = "-", wait[512];
        where_text(s, where, sizeof where);
        weights_text(s, w, sizeof w, true);
        bool waits = waiting_text(s, now_ms, wait, sizeof wait);
        return line(lines, "%-*s  %-11s  %-9s  %s%s%s", width, str(s, "name"), str(s, "phase"), w, where,
                    waits ? "; waiting: " : "", waits ? wait : "");
}

/* All lines of the view, blocks (COMPACT false) or one line a service. */
static char **render(const json_t *status, int64_t now_ms, bool compact)
{
        const json_t *svcs = json_object_get(status, "services");
        enum v2c_rollout_end end = v2c_rollout_status_end(status);
        bool started = false;
        int width = 7;
        size_t i;
        const json_t *s;
        json_array_foreach(svcs, i, s) {
                int n = (int) strlen(str(s, "name"));
                width = n > width ? n : width;
                started |= strcmp(str(s, "phase"), "pending") != 0;
        }
        width = width > 63 ? 63 : width;
        time_t sec = (time_t) (now_ms / 1000);
        struct tm tm;
        gmtime_r(&sec, &tm);
        char **lines = NULL;
        const char *state = end == V2C_ROLLOUT_FINISHED ? "finished"
                            : end == V2C_ROLLOUT_STOPPED ? "stopped, rolled back"
                            : started                    ? "in progress"
                                                         : "starting";
        const char *name = str(status, "name");
        int rc = line(&lines, "rollout%s%s: %s  (%02d:%02d:%02d UTC)", *name ? " " : "", name, state, tm.tm_hour,
                      tm.tm_min, tm.tm_sec);
        json_array_foreach(svcs, i, s) {
                if (rc < 0)
                        break;
                rc = compact ? service_row(&lines, s, width, now_ms) : service_block(&lines, s, width, now_ms);
        }
        if (rc < 0)
                return v2c_strv_free(lines);
        return lines;
}

char *v2c_rollout_view(const json_t *status, int64_t now_ms, unsigned max_lines)
{
        _cleanup_strv_ char **lines = render(status, now_ms, false);
        if (lines && max_lines && v2c_strv_len(lines) > max_lines) {
                v2c_strv_free(lines);
                lines = render(status, now_ms, true);
        }
        if (lines == NULL)
                return NULL;
        size_t n = v2c_strv_len(lines), shown = n;
        if (max_lines && n > max_lines)
                shown = max_lines > 1 ? max_lines - 1 : 1;
        struct v2c_buf b;
        v2c_buf_init(&b, VIEW_MAX_BYTES);
        int rc = 0;
        for (size_t i = 0; i < shown && rc >= 0; i++)
                rc = v2c_buf_appendf(&b, "%s%s", i ? "\n" : "", lines[i]);
        if (rc >= 0 && shown < n)
                rc = v2c_buf_appendf(&b, "\n... and %zu more service%s", n - shown, n - shown == 1 ? "" : "s");
        if (rc < 0) {
                v2c_buf_release(&b);
                return NULL;
        }
        return v2c_buf_steal(&b);
}
