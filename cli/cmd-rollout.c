/* v2c rollout: run|resume|status|approve|abort|rollback|finalize.
 *
 * The live view (rollout/view.c) is drawn from the status document, read
 * as `status` reads it (the journal and its playbook, HAProxy's weights):
 * by `run` and `resume` in a thread of their own while the runner works,
 * at the bottom of stderr when progress is drawn there (common/progress.h);
 * by `status --watch` on stdout, the command's output, from another
 * process. */
#include "cli.h"
#include "cleanup.h"
#include "clock.h"
#include "json.h"
#include "log.h"
#include "progress.h"
#include "rollout.h"
#include "text.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char help[] =
        "Move live traffic from VMs to containers as PLAYBOOK says (docs/playbook.md):\n"
        "canary steps or a blue-green switch behind HAProxy, with analysis, gates and\n"
        "automatic rollback.  The state directory keeps an fsync'd journal: after a\n"
        "crash, `resume` continues at the step the rollout was in.\n"
        "\n"
        "  v2c rollout run PLAYBOOK --state DIR [--json]\n"
        "                                           start, and run to the end\n"
        "  v2c rollout resume --state DIR [--json]  continue where the journal ends\n"
        "  v2c rollout status --state DIR [--json|--watch]\n"
        "                                           where each service stands (--watch:\n"
        "                                           live, until the rollout ends)\n"
        "  v2c rollout approve --state DIR SERVICE  let a waiting service go on\n"
        "  v2c rollout abort --state DIR            every service back to its VM\n"
        "  v2c rollout rollback --state DIR [SERVICE]\n"
        "                                           after promotion: back to the VM\n"
        "  v2c rollout finalize --state DIR         close it (the VM is stopped)\n"
        "\n"
        "  --poll-ms MS   how often a wait (pause, approval, drain) looks for\n"
        "                 approve/abort requests (10-60000, default 200)\n"
        "  --watch        with status: the live view (each service's phase, step,\n"
        "                 weights, last analysis, what it waits for), redrawn in\n"
        "                 place on a terminal, until the rollout finishes or stops\n"
        "  --interval S   with --watch: seconds between two looks (1-3600, default 1)\n"
        "  --json         run, resume: print how the rollout ended as JSON (schema\n"
        "                 v2c.rollout-result/1), also when it rolled back; status:\n"
        "                 v2c.rollout-status/1\n"
        "\n"
        "On a terminal, run and resume show the same live view at the bottom of\n"
        "stderr, and the final state when they end.\n"
        "\n"
        "Exit status: 1 when the rollout failed and rolled back (the reason on stderr),\n"
        "and from status --watch when the rollout it watched stopped so;\n"
        "3 when the journal is corrupt (\"journal corrupt at record N\"): nothing acts\n"
        "on it and it is left as it is.\n";

static int run(int argc, char **argv);

const struct v2c_command v2c_command_rollout = {
        .name = "rollout", .run = run, .synopsis = "rollout ACTION [ARGS] --state DIR [options]",
        .summary = "cut traffic over from VMs to containers (canary, blue-green, rollback)", .help = help,
};

static void print_status(const json_t *doc)
{
        printf("rollout %s%s\n", json_string_value(json_object_get(doc, "name")) ? json_string_value(json_object_get(doc, "name")) : "",
               json_is_true(json_object_get(doc, "finished")) ? " (finished)" : "");
        printf("%-20s %-12s %6s %10s  %s\n", "SERVICE", "PHASE", "STEP", "VM/CT", "NOTE");
        /* VM/CT: HAProxy's weights now ("?": the journal's, HAProxy did not answer). */
        size_t i;
        const json_t *s;
        json_array_foreach(json_object_get(doc, "services"), i, s) {
                const json_t *w = json_object_get(s, "weights");
                const json_t *live = json_object_get(s, "live");
                char split[32] = "-";
                if (live)
                        snprintf(split, sizeof split, "%lld/%lld",
                                 json_integer_value(json_object_get(live, "vm_weight")),
                                 json_integer_value(json_object_get(live, "container_weight")));
                else if (w)
                        snprintf(split, sizeof split, "%lld/%lld?", json_integer_value(json_object_get(w, "vm")),
                                 json_integer_value(json_object_get(w, "container")));
                char note[512] = "";
                const json_t *m = json_object_get(s, "last_measurement");
                if (json_object_get(s, "rollback_reason"))
                        snprintf(note, sizeof note, "rolled back: %s",
                                 json_string_value(json_object_get(s, "rollback_reason")));
                else if (json_object_get(s, "inconclusive_reason"))
                        snprintf(note, sizeof note, "waiting: approval (inconclusive: %s)",
                                 json_string_value(json_object_get(s, "inconclusive_reason")));
                else if (json_object_get(s, "waiting"))
                        snprintf(note, sizeof note, "waiting: %s", json_string_value(json_object_get(s, "waiting")));
                else if (json_object_get(s, "vm")) {
                        const json_t *vm = json_object_get(s, "vm");
                        const char *state = json_string_value(json_object_get(vm, "state"));
                        const char *who = json_string_value(json_object_get(vm, "by"));
                        const char *kept = json_string_value(json_object_get(vm, "kept_by"));
                        const char *why = json_string_value(json_object_get(vm, "why"));
                        if (kept)
                                snprintf(note, sizeof note, "VM kept: %s %s", kept, why ? why : "");
                        else
                                snprintf(note, sizeof note, "VM %s%s%s", state ? state : "?", who ? " by " : "",
                                         who ? who : "");
                } else if (m)
                        snprintf(note, sizeof note, "%s/%s: %s", json_string_value(json_object_get(m, "analysis")),
                                 json_string_value(json_object_get(m, "metric")),
                                 json_string_value(json_object_get(m, "verdict")));
                printf("%-20s %-12s %6lld %10s  %s\n", json_string_value(json_object_get(s, "name")),
                       json_string_value(json_object_get(s, "phase")), json_integer_value(json_object_get(s, "step")),
                       split, note);
        }
}

/* ---- the live view ---- */

/* The view of STATE_DIR's rollout now, at most MAX_LINES (new; NULL when
 * there is no status to show yet: the runner has not written its first
 * record). */
static char *view_now(const char *state_dir, unsigned max_lines)
{
        _cleanup_json_ json_t *doc = NULL;
        struct v2c_error *err = NULL;
        if (v2c_rollout_status(state_dir, &doc, &err) < 0) {
                v2c_error_free(err);
                return NULL;
        }
        return v2c_rollout_view(doc, v2c_wall_ms(), max_lines);
}

/* The view at the bottom of stderr while the runner works in the main
 * thread. */
struct live_view {
        const char *state_dir;
        pthread_t thread;
        pthread_mutex_t lock;
        pthread_cond_t cond;
        bool stop, running;
};

#define LIVE_VIEW_MS 500

static void *live_view_loop(void *arg)
{
        struct live_view *v = arg;
        pthread_mutex_lock(&v->lock);
        while (!v->stop) {
                pthread_mutex_unlock(&v->lock);
                _cleanup_free_ char *text = view_now(v->state_dir, v2c_progress_max_lines(false));
                if (text)
                        v2c_progress_show(true, "%s", text);
                pthread_mutex_lock(&v->lock);
                struct timespec ts;
                clock_gettime(CLOCK_MONOTONIC, &ts);
                ts.tv_nsec += LIVE_VIEW_MS * 1000000L;
                ts.tv_sec += ts.tv_nsec / 1000000000L;
                ts.tv_nsec %= 1000000000L;
                while (!v->stop && pthread_cond_timedwait(&v->cond, &v->lock, &ts) == 0)
                        ;
        }
        pthread_mutex_unlock(&v->lock);
        return NULL;
}

/* Starts the view when progress is drawn on stderr; without it (not a
 * terminal, -q, --progress never) nothing is shown and nothing runs. */
static void live_view_start(struct live_view *v, const char *state_dir)
{
        *v = (struct live_view) { .state_dir = state_dir };
        if (!v2c_progress_enabled())
                return;
        pthread_condattr_t ca;
        pthread_condattr_init(&ca);
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        pthread_mutex_init(&v->lock, NULL);
        pthread_cond_init(&v->cond, &ca);
        pthread_condattr_destroy(&ca);
        /* Signals go to the main thread, which removes and erases
         * (common/signal-cleanup.h): the view's thread never takes one. */
        sigset_t all, old;
        sigemptyset(&all);
        sigaddset(&all, SIGINT);
        sigaddset(&all, SIGTERM);
        sigaddset(&all, SIGHUP);
        pthread_sigmask(SIG_BLOCK, &all, &old);
        v->running = pthread_create(&v->thread, NULL, live_view_loop, v) == 0;
        pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* Stops the view and leaves the rollout's final state on stderr, above
 * whatever the command prints next (its error). */
static void live_view_stop(struct live_view *v)
{
        if (!v->running)
                return;
        pthread_mutex_lock(&v->lock);
        v->stop = true;
        pthread_cond_signal(&v->cond);
        pthread_mutex_unlock(&v->lock);
        pthread_join(v->thread, NULL);
        pthread_cond_destroy(&v->cond);
        pthread_mutex_destroy(&v->lock);
        v->running = false;
        _cleanup_free_ char *text = view_now(v->state_dir, 0);
        _cleanup_free_ char *shown = text ? v2c_text_printable(text, true) : NULL;
        v2c_progress_clear();
        if (shown)
                fprintf(stderr, "%s\n", shown);
}

/* status --watch: the view on stdout every INTERVAL_S seconds until the
 * rollout finishes (0) or stops after a rollback (1).  Not live (stdout
 * not a terminal, --progress never): a view each time the status changes,
 * one after the other. */
static int watch(const char *state_dir, int interval_s)
{
        _cleanup_free_ char *last = NULL;
        for (;;) {
                _cleanup_json_ json_t *doc = NULL;
                struct v2c_error *err = NULL;
                if (v2c_rollout_status(state_dir, &doc, &err) < 0)
                        return v2c_cli_report(err);
                bool live = v2c_progress_frame_live();
                enum v2c_rollout_end end = v2c_rollout_status_end(doc);
                _cleanup_free_ char *dump = live ? NULL : v2c_json_dump(doc);
                if (live || dump == NULL || last == NULL || strcmp(dump, last) != 0) {
                        _cleanup_free_ char *text =
                                v2c_rollout_view(doc, v2c_wall_ms(), live ? v2c_progress_max_lines(true) : 0);
                        if (text == NULL)
                                return v2c_cli_out_of_memory();
                        int rc = v2c_progress_frame(text);
                        if (rc < 0) {
                                v2c_log(V2C_LOG_ERROR, "writing the view to stdout: %s", strerror(-rc));
                                return V2C_EXIT_FAILURE;
                        }
                        free(last);
                        last = TAKE_PTR(dump);
                }
                if (end != V2C_ROLLOUT_GOING)
                        return end == V2C_ROLLOUT_FINISHED ? V2C_EXIT_OK : V2C_EXIT_FAILURE;
                struct timespec ts = { interval_s, 0 };
                while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                        ;
        }
}

/* How a rollout that ran (RC: what run or resume returned, ERR its error)
 * ended, as v2c.rollout-result/1 (docs/playbook.md, keys in this order):
 * the outcome, then each service as `status --json` shows it.  A rollout
 * that rolled back or was aborted ended (exit 1), and says so; one that
 * could not go on did not: NULL, and *status_err, when status fails. */
static json_t *result_json(const char *state_dir, int rc, const struct v2c_error *err, struct v2c_error **status_err)
{
        _cleanup_json_ json_t *st = NULL;
        if (v2c_rollout_status(state_dir, &st, status_err) < 0)
                return NULL;
        /* The journal's last record tells a rollback, an abort (each the
         * last record of its service) and a wave its gate kept from
         * starting apart. */
        const char *last = json_string_value(json_object_get(json_object_get(st, "last_record"), "event"));
        const char *outcome = rc >= 0                                 ? "done"
                              : last && strcmp(last, "aborted") == 0     ? "aborted"
                              : last && strcmp(last, "rolled-back") == 0 ? "rolled-back"
                                                                         : "stopped";
        json_t *doc = json_pack("{s:s, s:O?, s:s, s:s, s:i, s:o, s:O}", "schema", "v2c.rollout-result/1", "name",
                                json_object_get(st, "name"), "state_dir", state_dir, "outcome", outcome, "exit_status",
                                rc >= 0 ? V2C_EXIT_OK : V2C_EXIT_FAILURE, "reason",
                                v2c_json_str(rc >= 0 || err == NULL ? NULL : err->msg), "services",
                                json_object_get(st, "services"));
        if (doc == NULL)
                v2c_error_set(status_err, ENOMEM, "out of memory");
        return doc;
}

static const char *const actions[] = { "run", "resume", "status", "approve", "abort", "rollback", "finalize" };
#define N_ACTIONS (sizeof actions / sizeof actions[0])

static bool is_action(const char *word)
{
        for (size_t i = 0; i < N_ACTIONS; i++)
                if (strcmp(word, actions[i]) == 0)
                        return true;
        return false;
}

/* "run, resume, ...": the actions, for usage errors. */
static void list_actions(char *buf, size_t size)
{
        size_t len = 0;
        buf[0] = '\0';
        for (size_t i = 0; i < N_ACTIONS && len < size; i++)
                len += (size_t) snprintf(buf + len, size - len, "%s%s", i ? ", " : "", actions[i]);
}

static int run(int argc, char **argv)
{
        enum { OPT_JSON = V2C_OPT_COMMAND_FIRST, OPT_POLL_MS, OPT_WATCH, OPT_INTERVAL };
        static const struct option opts[] = {
                { "state", required_argument, NULL, 's' },
                { "json", no_argument, NULL, OPT_JSON },
                { "poll-ms", required_argument, NULL, OPT_POLL_MS },
                { "watch", no_argument, NULL, OPT_WATCH },
                { "interval", required_argument, NULL, OPT_INTERVAL },
                {},
        };
        const struct v2c_command *self = &v2c_command_rollout;
        struct v2c_rollout_options ro = { 0 };
        bool json = false, watching = false;
        int interval = 0;
        _cleanup_(v2c_cli_parser_release) struct v2c_cli_parser p = {
                .cmd = self, .argc = argc, .argv = argv, .shortopts = "s:", .options = opts,
        };
        int c;
        while ((c = v2c_cli_getopt(&p)) > 0) {
                switch (c) {
                case 's': ro.state_dir = optarg; break;
                case OPT_JSON: json = true; break;
                case OPT_POLL_MS: {
                        char *end;
                        errno = 0;
                        long v = strtol(optarg, &end, 10);
                        if (end == optarg || *end || errno || v < 10 || v > 60000)
                                return v2c_cli_usage_error(self, "--poll-ms `%s` is not between 10 and 60000", optarg);
                        ro.poll_ms = (int) v;
                        break;
                }
                case OPT_WATCH: watching = true; break;
                case OPT_INTERVAL: {
                        char *end;
                        errno = 0;
                        long v = strtol(optarg, &end, 10);
                        if (end == optarg || *end || errno || v < 1 || v > 3600)
                                return v2c_cli_usage_error(self, "--interval `%s` is not between 1 and 3600 seconds",
                                                           optarg);
                        interval = (int) v;
                        break;
                }
                }
        }
        if (c < 0)
                return p.exit;
        char known[128];
        list_actions(known, sizeof known);
        /* The action is the first argument: options may come before or after it. */
        if (p.n_args == 0)
                return v2c_cli_usage_error(self, "name an action: %s", known);
        const char *action = p.args[0];
        char **args = p.args + 1;
        if (!is_action(action))
                return v2c_cli_usage_error(self, "unknown action `%s` (%s)", action, known);
        if (ro.state_dir == NULL)
                return v2c_cli_usage_error(self, "no state directory given (--state DIR)");
        if (*ro.state_dir == '\0')
                return v2c_cli_usage_error(self, "--state needs a directory name, not an empty one");
        int nargs = (int) p.n_args - 1;
        if (watching && strcmp(action, "status") != 0)
                return v2c_cli_usage_error(self, "--watch is an option of status, not of %s", action);
        if (interval && !watching)
                return v2c_cli_usage_error(self, "--interval goes with --watch");
        if (watching && json)
                return v2c_cli_usage_error(self, "--watch draws for people: leave out --json");
        struct v2c_error *err = NULL;
        int r;
        struct live_view view;
        bool runs = strcmp(action, "run") == 0 || strcmp(action, "resume") == 0;
        if (json && !runs && strcmp(action, "status") != 0)
                return v2c_cli_usage_error(self, "--json goes with run, resume and status, not %s", action);
        if (strcmp(action, "run") == 0) {
                if (nargs != 1)
                        return v2c_cli_usage_error(self, "run takes one PLAYBOOK");
                live_view_start(&view, ro.state_dir);
                r = v2c_rollout_run(args[0], &ro, &err);
                live_view_stop(&view);
        } else if (strcmp(action, "resume") == 0 && nargs == 0) {
                live_view_start(&view, ro.state_dir);
                r = v2c_rollout_resume(&ro, &err);
                live_view_stop(&view);
        } else if (strcmp(action, "status") == 0 && nargs == 0 && watching)
                return watch(ro.state_dir, interval ? interval : 1);
        else if (strcmp(action, "status") == 0 && nargs == 0) {
                _cleanup_json_ json_t *doc = NULL;
                r = v2c_rollout_status(ro.state_dir, &doc, &err);
                if (r >= 0) {
                        if (json) {
                                _cleanup_free_ char *t = v2c_json_dump(doc);
                                fputs(t ? t : "", stdout);
                        } else
                                print_status(doc);
                }
        } else if (strcmp(action, "approve") == 0 && nargs == 1)
                r = v2c_rollout_request(ro.state_dir, "approve", args[0], &err);
        else if (strcmp(action, "abort") == 0 && nargs == 0)
                r = v2c_rollout_abort(&ro, &err);
        else if (strcmp(action, "rollback") == 0 && nargs <= 1)
                r = v2c_rollout_rollback(&ro, nargs ? args[0] : NULL, &err);
        else if (strcmp(action, "finalize") == 0 && nargs == 0)
                r = v2c_rollout_finalize(&ro, &err);
        else
                return v2c_cli_usage_error(self, "`%s` with %d argument%s", action, nargs, nargs == 1 ? "" : "s");
        /* --json: how it ended, when it ended: done, or rolled back or
         * aborted (-ECANCELED, still exit 1 with the reason on stderr).
         * An error that stopped it midway prints nothing on stdout. */
        if (json && runs && (r >= 0 || r == -ECANCELED)) {
                struct v2c_error *serr = NULL;
                _cleanup_json_ json_t *doc = result_json(ro.state_dir, r, err, &serr);
                if (doc == NULL) {
                        v2c_error_free(err);
                        return v2c_cli_report(serr);
                }
                int rc = v2c_cli_print_json(doc, "the rollout ended (%s)",
                                            json_string_value(json_object_get(doc, "outcome")));
                if (r >= 0)
                        return rc;
                /* Rolled back or aborted: its reason on stderr too, exit 1. */
        }
        if (r < 0)
                return v2c_cli_report(err);
        return V2C_EXIT_OK;
}
