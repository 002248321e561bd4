/* The rollout runner: see rollout.h.  One service at a time inside a wave
 * (in dependency order), waves in order; every step journaled before it
 * acts, so resume repeats at most the step it was in. */
#include "rollout.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "engine.h"
#include "fsutil.h"
#include "haproxy.h"
#include "journal.h"
#include "json.h"
#include "libvirt.h"
#include "log.h"
#include "playbook.h"
#include "probe.h"
#include "qmp.h"
#include "strv.h"
#include "text.h"
#include "clock.h"

#define DEFAULT_POLL_MS 200
#define SOCKET_TIMEOUT_MS 5000
#define CONTAINER_DRAIN_MS 30000
#define VM_RESTART_MS 120000

struct run {
        const struct v2c_rollout_options *opt;
        struct v2c_journal *j;
        struct v2c_playbook *pb;
        int poll_ms;
};

static void sleep_ms(int64_t ms)
{
        if (ms <= 0)
                return;
        struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

/* ---- the journal ---- */

static int record(struct run *r, const char *service, const char *event, struct v2c_error **err, const char *fmt,
                  ...)
{
        /* FMT: json_pack format of extra members, or NULL. */
        json_t *rec = json_pack("{s:s}", "event", event);
        if (rec == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        if (service)
                json_object_set_new(rec, "service", json_string(service));
        if (fmt) {
                va_list ap;
                va_start(ap, fmt);
                json_t *extra = json_vpack_ex(NULL, 0, fmt, ap);
                va_end(ap);
                if (extra == NULL || json_object_update(rec, extra) < 0) {
                        json_decref(extra);
                        json_decref(rec);
                        return v2c_error_set(err, ENOMEM, "out of memory");
                }
                json_decref(extra);
        }
        int rc = v2c_journal_append(r->j, rec, err);
        json_decref(rec);
        return rc;
}

/* Where a service stands, from the journal. */
struct svc_state {
        bool prepared, promoted, drained, done, rolled_back, finalized;
        long step;              /* the step in progress (-1: none yet) */
        long step_done;         /* the last step finished (-1: none) */
        int64_t step_started;   /* wall-clock ms of the step in progress */
        char *container_id;
        unsigned vm_weight, ct_weight;
        bool weights_known;
        unsigned approvals;     /* approvals consumed so far */
};

static void svc_state_release(struct svc_state *s)
{
        free(s->container_id);
}

static void replay(const struct v2c_journal *j, const char *service, struct svc_state *s)
{
        *s = (struct svc_state) { .step = -1, .step_done = -1 };
        for (size_t i = 0; i < v2c_journal_count(j); i++) {
                const json_t *rec = v2c_journal_get(j, i);
                const char *sv = json_string_value(json_object_get(rec, "service"));
                const char *ev = json_string_value(json_object_get(rec, "event"));
                if (sv == NULL || ev == NULL || strcmp(sv, service) != 0)
                        continue;
                if (strcmp(ev, "prepared") == 0) {
                        s->prepared = true;
                        free(s->container_id);
                        const char *id = json_string_value(json_object_get(rec, "container"));
                        s->container_id = strdup(id ? id : "");
                } else if (strcmp(ev, "step") == 0) {
                        s->step = (long) json_integer_value(json_object_get(rec, "index"));
                        s->step_started = (int64_t) json_integer_value(json_object_get(rec, "started_ms"));
                } else if (strcmp(ev, "step-done") == 0)
                        s->step_done = (long) json_integer_value(json_object_get(rec, "index"));
                else if (strcmp(ev, "weights") == 0) {
                        s->vm_weight = (unsigned) json_integer_value(json_object_get(rec, "vm"));
                        s->ct_weight = (unsigned) json_integer_value(json_object_get(rec, "container"));
                        s->weights_known = true;
                } else if (strcmp(ev, "approved") == 0)
                        s->approvals++;
                else if (strcmp(ev, "promoted") == 0)
                        s->promoted = true;
                else if (strcmp(ev, "vm-drained") == 0)
                        s->drained = true;
                else if (strcmp(ev, "done") == 0)
                        s->done = true;
                else if (strcmp(ev, "rolled-back") == 0 || strcmp(ev, "aborted") == 0)
                        s->rolled_back = true;
                else if (strcmp(ev, "finalized") == 0)
                        s->finalized = true;
        }
}

/* ---- what the journal may say ---- */

/* The journal itself checks its lines (a JSON object each, "seq" in
 * order, the chain); these are the rollout's own invariants, which also
 * catch what a chain cannot: a change in a journal written before it. */
enum scope { SCOPE_RUN, SCOPE_WAVE, SCOPE_SERVICE, SCOPE_ANY_NAME };

struct event_rule {
        const char *event;
        enum scope scope;          /* what its "service" names */
        const char *members;       /* "NAME:T ...", T: s string, i integer, b boolean, a array, n number or null */
        bool after_finished;       /* abort, rollback or finalize of a finished rollout may record it */
};

static const struct event_rule event_rules[] = {
        { "resumed", SCOPE_RUN, "", false },
        { "finished", SCOPE_RUN, "", false },
        { "wave-open", SCOPE_WAVE, "", false },
        { "waiting", SCOPE_ANY_NAME, "gate:s", false },
        { "approved", SCOPE_ANY_NAME, "", false },
        { "gate", SCOPE_ANY_NAME, "gate:s status:i go:b", false },
        { "preparing", SCOPE_SERVICE, "", false },
        { "weights", SCOPE_SERVICE, "vm:i container:i", true },
        { "needs-unmoved", SCOPE_SERVICE, "needs:s moved_separately:a on_vm:a", false },
        { "hardening-loosened", SCOPE_SERVICE, "loosened:a", false },
        { "prepared", SCOPE_SERVICE, "container:s", false },
        { "step", SCOPE_SERVICE, "index:i started_ms:i", false },
        { "step-done", SCOPE_SERVICE, "index:i", false },
        { "measurement", SCOPE_SERVICE, "phase:s analysis:s metric:s value:n verdict:s", false },
        { "inconclusive", SCOPE_SERVICE, "reason:s", false },
        { "promoted", SCOPE_SERVICE, "", false },
        { "rolling-back", SCOPE_SERVICE, "reason:s", true },
        { "rolled-back", SCOPE_SERVICE, "reason:s", true },
        { "aborted", SCOPE_SERVICE, "reason:s", true },
        { "vm-drained", SCOPE_SERVICE, "", false },
        { "vm-stopped", SCOPE_SERVICE, "", true },
        { "vm-kept", SCOPE_SERVICE, "by:s why:s", true },
        { "vm-started", SCOPE_SERVICE, "", true },
        { "done", SCOPE_SERVICE, "rollback_until_ms:i", false },
        { "finalized", SCOPE_SERVICE, "", true },
};

/* The member of REC that MEMBERS lacks or has of the wrong type, or NULL. */
static const char *bad_member(const json_t *rec, const char *members, char *name, size_t size)
{
        for (const char *p = members; *p;) {
                size_t n = strcspn(p, ":");
                char t = p[n + 1];
                snprintf(name, size, "%.*s", (int) n, p);
                const json_t *v = json_object_get(rec, name);
                bool ok = t == 's'   ? json_is_string(v)
                          : t == 'i' ? json_is_integer(v)
                          : t == 'b' ? json_is_boolean(v)
                          : t == 'a' ? json_is_array(v)
                                     : json_is_number(v) || json_is_null(v);
                if (!ok)
                        return name;
                p += n + 2;
                p += *p == ' ';
        }
        return NULL;
}

/* Where a service stands while the journal is checked. */
struct svc_check {
        const struct v2c_pb_service *svc;
        size_t wave;
        bool preparing, prepared;
        long step, step_done;
};

/* Checks RECORDS (a journal's, at least one; PATH names it in errors, or
 * NULL) against the rollout's invariants, from the first (the start, with
 * the playbook, parsed into *pb: new, when PB is not NULL) to the last.
 * A record that breaks one: "journal corrupt at record N", kind INPUT. */
static int check_history(const json_t *records, const char *path, struct v2c_playbook **pb, struct v2c_error **err)
{
        const json_t *first = json_array_get(records, 0);
        const char *ev = json_string_value(json_object_get(first, "event"));
        if (ev == NULL || strcmp(ev, "start") != 0 || !json_is_object(json_object_get(first, "playbook")) ||
            json_object_get(first, "service"))
                return v2c_journal_corrupt(path, 1, err, "it is not the start of a rollout (event \"start\", with "
                                                      "the playbook)");
        _cleanup_playbook_ struct v2c_playbook *p = NULL;
        _cleanup_free_ char *text = json_dumps(json_object_get(first, "playbook"), JSON_COMPACT);
        if (text == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        struct v2c_error *pe = NULL;
        if (v2c_playbook_parse(text, strlen(text), "journal", &p, &pe) < 0) {
                const char *msg = pe && pe->msg ? pe->msg : "?";
                int rc = v2c_journal_corrupt(path, 1, err, "its playbook: %.*s", (int) strcspn(msg, "\n"), msg);
                v2c_error_free(pe);
                return rc;
        }
        size_t n_svc = 0;
        for (size_t w = 0; w < p->n_waves; w++)
                n_svc += p->waves[w].n_services;
        _cleanup_free_ struct svc_check *svc = calloc(n_svc ? n_svc : 1, sizeof *svc);
        _cleanup_free_ bool *wave_open = calloc(p->n_waves ? p->n_waves : 1, sizeof *wave_open);
        if (svc == NULL || wave_open == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        for (size_t w = 0, k = 0; w < p->n_waves; w++)
                for (size_t i = 0; i < p->waves[w].n_services; i++, k++)
                        svc[k] = (struct svc_check) { &p->waves[w].services[i], w, .step = -1, .step_done = -1 };
        bool finished = false;
        for (size_t k = 1; k < json_array_size(records); k++) {
                const json_t *rec = json_array_get(records, k);
                size_t n = k + 1;
                ev = json_string_value(json_object_get(rec, "event"));
                if (ev == NULL)
                        return v2c_journal_corrupt(path, n, err, "no \"event\"");
                const struct event_rule *rule = NULL;
                for (size_t i = 0; i < sizeof event_rules / sizeof event_rules[0] && !rule; i++)
                        if (strcmp(ev, event_rules[i].event) == 0)
                                rule = &event_rules[i];
                if (rule == NULL && strcmp(ev, "start") == 0)
                        return v2c_journal_corrupt(path, n, err, "a second start");
                if (rule == NULL)
                        return v2c_journal_corrupt(path, n, err, "unknown event `%s`", ev);
                char name[64];
                const char *bad = bad_member(rec, rule->members, name, sizeof name);
                if (bad)
                        return v2c_journal_corrupt(path, n, err, "event `%s` without a valid \"%s\"", ev, bad);
                if (finished && !rule->after_finished)
                        return v2c_journal_corrupt(path, n, err, "event `%s` after the rollout finished", ev);
                const json_t *who = json_object_get(rec, "service");
                const char *sv = json_string_value(who);
                if (rule->scope == SCOPE_RUN) {
                        if (who)
                                return v2c_journal_corrupt(path, n, err, "event `%s` names a service", ev);
                        finished |= strcmp(ev, "finished") == 0;
                        continue;
                }
                size_t wave = p->n_waves;
                for (size_t w = 0; sv && w < p->n_waves && wave == p->n_waves; w++)
                        if (strcmp(p->waves[w].name, sv) == 0)
                                wave = w;
                struct svc_check *c = NULL;
                for (size_t i = 0; sv && i < n_svc && !c; i++)
                        if (strcmp(svc[i].svc->name, sv) == 0)
                                c = &svc[i];
                if (rule->scope == SCOPE_WAVE && wave == p->n_waves)
                        return v2c_journal_corrupt(path, n, err, "event `%s` names no wave of the playbook", ev);
                if (rule->scope == SCOPE_SERVICE && c == NULL)
                        return v2c_journal_corrupt(path, n, err, "event `%s` names no service of the playbook", ev);
                if (rule->scope == SCOPE_ANY_NAME && c == NULL && wave == p->n_waves)
                        return v2c_journal_corrupt(path, n, err, "event `%s` names no wave or service of the playbook",
                                                   ev);
                if (strcmp(ev, "wave-open") == 0) {
                        if (wave_open[wave] || (wave > 0 && !wave_open[wave - 1]))
                                return v2c_journal_corrupt(path, n, err, "wave `%s` opened %s", sv,
                                                           wave_open[wave] ? "twice" : "before the one before it");
                        wave_open[wave] = true;
                        continue;
                }
                if (c == NULL || rule->scope == SCOPE_ANY_NAME)
                        continue;   /* a wave's gate, or a service's (a wave may have its name) */
                if (!wave_open[c->wave])
                        return v2c_journal_corrupt(path, n, err, "event `%s` of `%s` before its wave opened", ev, sv);
                long index = (long) json_integer_value(json_object_get(rec, "index"));
                if (strcmp(ev, "preparing") == 0)
                        c->preparing = true;
                else if (strcmp(ev, "prepared") == 0 && !c->preparing)
                        return v2c_journal_corrupt(path, n, err, "`%s` prepared without preparing", sv);
                else if (strcmp(ev, "prepared") == 0)
                        c->prepared = true;
                else if (strcmp(ev, "step") == 0) {
                        const struct v2c_pb_strategy *sg = &c->svc->strategy;
                        if (!c->prepared || sg->kind != V2C_PB_CANARY || index < 0 || index >= (long) sg->n_steps ||
                            index != c->step_done + 1 || index == c->step)
                                return v2c_journal_corrupt(path, n, err, "step %ld of `%s` out of order", index, sv);
                        c->step = index;
                } else if (strcmp(ev, "step-done") == 0) {
                        if (index != c->step || index != c->step_done + 1)
                                return v2c_journal_corrupt(path, n, err, "step %ld of `%s` done out of order", index, sv);
                        c->step_done = index;
                } else if (strcmp(ev, "promoted") == 0 && c->svc->strategy.kind == V2C_PB_BLUE_GREEN &&
                           !json_is_integer(json_object_get(rec, "at_ms")))
                        return v2c_journal_corrupt(path, n, err, "event `promoted` without a valid \"at_ms\"");
        }
        if (pb)
                *pb = TAKE_PTR(p);
        return 0;
}

static int check_journal(const struct v2c_journal *j, struct v2c_playbook **pb, struct v2c_error **err)
{
        return check_history(v2c_journal_records(j), v2c_journal_path(j), pb, err);
}

int v2c_rollout_check_journal(const char *data, size_t len, struct v2c_error **err)
{
        _cleanup_json_ json_t *records = NULL;
        size_t valid = 0;
        int rc = v2c_journal_parse(data, len, &records, &valid, err);
        if (rc < 0 || json_array_size(records) == 0)
                return rc;
        return check_history(records, NULL, NULL, err);
}

/* ---- requests from other processes ---- */

static char *request_path(const char *state_dir, const char *what, const char *service)
{
        char *p = NULL;
        if (asprintf(&p, "%s/request-%s%s%s", state_dir, what, service ? "-" : "", service ? service : "") < 0)
                return NULL;
        return p;
}

/* SERVICE is one of the rollout's (its playbook, as the journal holds it),
 * and not finished for WHAT. */
static int check_service(const char *state_dir, const char *what, const char *service, struct v2c_error **err)
{
        struct v2c_journal *j = NULL;
        int rc = v2c_journal_open_ro(state_dir, &j, err);
        if (rc < 0)
                return rc;
        _cleanup_playbook_ struct v2c_playbook *pb = NULL;
        if (v2c_journal_count(j) == 0 || (rc = check_journal(j, &pb, err)) < 0) {
                v2c_journal_close(j);
                return rc < 0 ? rc : v2c_error_set_kind(err, V2C_ERR_INPUT, ENOENT, "`%s` holds no rollout", state_dir);
        }
        _cleanup_free_ char *names = NULL;
        bool found = false;
        for (size_t w = 0; w < pb->n_waves && !found; w++)
                for (size_t i = 0; i < pb->waves[w].n_services; i++) {
                        const char *name = pb->waves[w].services[i].name;
                        if (strcmp(name, service) == 0) {
                                found = true;
                                break;
                        }
                        char *more = NULL;
                        if (asprintf(&more, "%s%s%s", names ? names : "", names ? ", " : "", name) >= 0) {
                                free(names);
                                names = more;
                        }
                }
        if (!found) {
                v2c_journal_close(j);
                return v2c_error_set_kind(err, V2C_ERR_USAGE, ENOENT, "no service `%s` in this rollout (it has: %s)",
                                          service, names ? names : "none");
        }
        struct svc_state st;
        replay(j, service, &st);
        bool over = st.finalized || st.rolled_back || st.done;
        const char *phase = st.finalized ? "finalized" : st.rolled_back ? "rolled back" : "done";
        svc_state_release(&st);
        v2c_journal_close(j);
        if (over && strcmp(what, "approve") == 0)
                return v2c_error_set_kind(err, V2C_ERR_REFUSED, EALREADY, "`%s` is %s: nothing waits for approval",
                                          service, phase);
        return 0;
}

int v2c_rollout_request(const char *state_dir, const char *what, const char *service, struct v2c_error **err)
{
        struct stat st;
        _cleanup_free_ char *journal = NULL;
        if (asprintf(&journal, "%s/journal.jsonl", state_dir) < 0)
                return v2c_error_set(err, ENOMEM, "out of memory");
        if (stat(journal, &st) < 0)
                return v2c_error_set_kind(err, V2C_ERR_INPUT, ENOENT, "`%s` holds no rollout", state_dir);
        if (service) {
                /* A mistyped name must not pass for an approval the runner
                 * never sees (nor make a path of its own: "../x"). */
                int rc = check_service(state_dir, what, service, err);
                if (rc < 0)
                        return rc;
        }
        _cleanup_free_ char *p = request_path(state_dir, what, service);
        if (p == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        return v2c_write_file_atomic(p, what, strlen(what), 0600, err);
}

/* Consumes a request file; true when it was there. */
static bool take_request(struct run *r, const char *what, const char *service)
{
        _cleanup_free_ char *p = request_path(r->opt->state_dir, what, service);
        return p && unlink(p) == 0;
}

/* ---- the parts: router, container, VM ---- */

static int router_weights(struct run *r, const struct v2c_pb_service *s, unsigned vm, unsigned ct,
                          struct v2c_error **err)
{
        struct v2c_haproxy h = { .socket_path = s->router.socket, .timeout_ms = SOCKET_TIMEOUT_MS };
        unsigned cur_vm = 100, cur_ct = 0;
        struct svc_state st;
        replay(r->j, s->name, &st);
        if (st.weights_known) {
                cur_vm = st.vm_weight;
                cur_ct = st.ct_weight;
        }
        svc_state_release(&st);
        int rc = record(r, s->name, "weights", err, "{s:i, s:i}", "vm", (int) vm, "container", (int) ct);
        if (rc < 0)
                return rc;
        /* The side gaining traffic first: never both at zero. */
        bool ct_first = ct >= cur_ct;
        (void) cur_vm;
        for (int pass = 0; pass < 2; pass++) {
                bool doing_ct = (pass == 0) == ct_first;
                const char *server = doing_ct ? s->router.container_server : s->router.vm_server;
                unsigned w = doing_ct ? ct : vm;
                if (w > 0) {
                        rc = v2c_haproxy_set_state(&h, s->router.backend, server, "ready", err);
                        if (rc < 0)
                                return v2c_error_prefix(err, rc, "%s: router", s->name);
                }
                rc = v2c_haproxy_set_weight(&h, s->router.backend, server, w, err);
                if (rc < 0)
                        return v2c_error_prefix(err, rc, "%s: router", s->name);
        }
        v2c_info("%s: traffic %u%% VM, %u%% container", s->name, vm * 100 / (vm + ct ? vm + ct : 1),
                 ct * 100 / (vm + ct ? vm + ct : 1));
        return 0;
}

/* Every socket the service needs answers, before any weight moves. */
static int check_reachable(const struct v2c_pb_service *s, bool need_vm, struct v2c_error **err)
{
        struct v2c_haproxy h = { .socket_path = s->router.socket, .timeout_ms = SOCKET_TIMEOUT_MS };
        struct v2c_haproxy_stats stats = { 0 };
        int rc = v2c_haproxy_show_stat(&h, &stats, err);
        if (rc < 0)
                return v2c_error_prefix(err, rc, "%s: HAProxy runtime API `%s`", s->name, s->router.socket);
        bool vm = v2c_haproxy_find(&stats, s->router.backend, s->router.vm_server) != NULL;
        bool ct = v2c_haproxy_find(&stats, s->router.backend, s->router.container_server) != NULL;
        v2c_haproxy_stats_release(&stats);
        if (!vm || !ct)
                return v2c_error_set_kind(err, V2C_ERR_INPUT, ENOENT, "%s: HAProxy backend `%s` has no server `%s`",
                                          s->name, s->router.backend,
                                          !vm ? s->router.vm_server : s->router.container_server);
        struct v2c_engine e = { 0 };
        rc = v2c_engine_init(&e, s->container.engine, SOCKET_TIMEOUT_MS, err);
        if (rc >= 0)
                rc = v2c_engine_ping(&e, err);
        v2c_engine_release(&e);
        if (rc < 0)
                return v2c_error_prefix(err, rc, "%s: container engine `%s`", s->name, s->container.engine);
        if (need_vm && s->vm.kind == V2C_PB_VM_QMP) {
                struct v2c_qmp *q = NULL;
                rc = v2c_qmp_connect(s->vm.qmp, SOCKET_TIMEOUT_MS, &q, err);
                v2c_qmp_close(q);
                if (rc < 0)
                        return v2c_error_prefix(err, rc, "%s: VM QMP socket `%s`", s->name, s->vm.qmp);
        }
        if (need_vm && s->vm.kind == V2C_PB_VM_LIBVIRT) {
                _cleanup_free_ char *state = NULL;
                bool running = false;
                rc = v2c_libvirt_state(s->vm.uri, s->vm.domain, &state, &running, err);
                if (rc < 0)
                        return v2c_error_prefix(err, rc, "%s: VM", s->name);
                v2c_debug("%s: libvirt domain `%s` is %s", s->name, s->vm.domain, state);
                /* The VM is where the traffic is until the cutover. */
                if (!running)
                        return v2c_error_set_kind(err, V2C_ERR_REFUSED, EHOSTDOWN,
                                                  "%s: libvirt domain `%s` on `%s` is %s, not running: the VM "
                                                  "must be serving traffic",
                                                  s->name, s->vm.domain, s->vm.uri, state);
        }
        return 0;
}

/* Stops the VM: ACPI power-off, then a hard stop after its timeout. */
static int stop_vm(const struct v2c_pb_service *s, struct v2c_error **err)
{
        if (s->vm.kind == V2C_PB_VM_LIBVIRT)
                return v2c_libvirt_shutdown(s->vm.uri, s->vm.domain, (int) s->vm.shutdown_timeout_ms, err);
        return v2c_qmp_shutdown(s->vm.qmp, (int) s->vm.shutdown_timeout_ms, err);
}

/* "a, b, c" of V (new; "" when empty). */
static char *join_names(char *const *v)
{
        char *out = strdup("");
        for (size_t i = 0; out && v && v[i]; i++) {
                char *next = NULL;
                if (asprintf(&next, "%s%s%s", out, i ? ", " : "", v[i]) < 0)
                        next = NULL;
                free(out);
                out = next;
        }
        return out;
}

/* Whether the playbook moves a service of that name. */
static bool playbook_moves(const struct v2c_playbook *pb, const char *name, size_t len)
{
        for (size_t w = 0; w < pb->n_waves; w++)
                for (size_t k = 0; k < pb->waves[w].n_services; k++)
                        if (strlen(pb->waves[w].services[k].name) == len &&
                            strncmp(pb->waves[w].services[k].name, name, len) == 0)
                                return true;
        return false;
}

/* A converted image names, in its label io.v2c.needs ("SERVICE:PORT,..."),
 * the services it reached over localhost on the VM that were not
 * converted into its pod (docs/convert.md): in its container those
 * addresses are empty.  Said, and journaled, before any traffic moves; not
 * a refusal, since the container's env or config may already point
 * elsewhere (convert's advice). */
static int report_needs(struct run *r, const struct v2c_pb_service *s, const struct v2c_engine *e,
                        struct v2c_error **err)
{
        _cleanup_free_ char *needs = NULL;
        struct v2c_error *le = NULL;
        if (v2c_engine_image_label(e, s->container.image, "io.v2c.needs", &needs, &le) < 0) {
                v2c_warn("%s: %s: its localhost dependencies are unknown", s->name, le ? le->msg : "?");
                v2c_error_free(le);
                return 0;
        }
        if (needs == NULL || *needs == '\0')
                return 0;
        _cleanup_strv_ char **moved = NULL, **left = NULL;
        for (const char *p = needs; *p;) {
                size_t n = strcspn(p, ","), name = strcspn(p, ":");
                if (name > n)
                        name = n;
                _cleanup_free_ char *item = strndup(p, n);
                if (item == NULL)
                        return v2c_error_set(err, ENOMEM, "out of memory");
                v2c_strv_push(playbook_moves(r->pb, p, name) ? &moved : &left, item);
                p += n + (p[n] == ',');
        }
        _cleanup_free_ char *m = join_names(moved), *l = join_names(left);
        if (moved)
                v2c_warn("%s: on the VM it reached %s over localhost; this rollout moves them into containers "
                         "of their own, where localhost does not reach them: convert them into one pod, or point %s "
                         "at their new addresses",
                         s->name, m ? m : "?", s->name);
        if (left)
                v2c_warn("%s: on the VM it reached %s over localhost, which stay%s on the VM: unless its "
                         "container's env or configuration points at the VM's address, those connections fail once "
                         "traffic moves",
                         s->name, l ? l : "?", left[1] ? "" : "s");
        return record(r, s->name, "needs-unmoved", err, "{s:s, s:o, s:o}", "needs", needs, "moved_separately",
                      v2c_json_strv(moved), "on_vm", v2c_json_strv(left));
}

/* The image's hardened spec, from its label io.v2c.hardening (written by
 * v2c convert): the container runs as its manifest and `convert --verify`
 * ran it.  An image without the label runs with the engine's defaults,
 * said; a label that does not read is an error (the image is not what
 * convert wrote). */
static int image_hardening(const struct v2c_pb_service *s, const struct v2c_engine *e, struct v2c_hardening *h,
                           struct v2c_error **err)
{
        _cleanup_free_ char *label = NULL;
        int rc = v2c_engine_image_label(e, s->container.image, "io.v2c.hardening", &label, err);
        if (rc < 0)
                return rc;
        if (label == NULL) {
                v2c_warn("%s: its image carries no hardened spec (io.v2c.hardening): the container runs with the "
                         "engine's defaults",
                         s->name);
                return 0;
        }
        json_error_t je;
        _cleanup_json_ json_t *j = json_loads(label, 0, &je);
        if (j == NULL)
                return v2c_error_set_kind(err, V2C_ERR_INPUT, EINVAL, "%s: its image's io.v2c.hardening is not JSON: %s",
                                          s->name, je.text);
        rc = v2c_hardening_from_json(j, h, err);
        if (rc < 0)
                return v2c_error_prefix(err, rc, "%s: its image's io.v2c.hardening", s->name);
        char user[40] = "its image's user";
        if (h->dynamic_uid)
                snprintf(user, sizeof user, "uid %u", h->dynamic_uid);
        else if (h->run_as_known)
                snprintf(user, sizeof user, "uid %u, gid %u", h->run_as_uid, h->run_as_gid);
        v2c_info("%s: the container runs hardened (as %s, read-only root: %s, %zu capabilities, no new privileges: %s)",
                 s->name, user, h->read_only_root ? "yes" : "no", h->ncapabilities,
                 h->allow_privilege_escalation ? "no" : "yes");
        if (!h->run_as_known && !h->dynamic_uid && !h->run_as_root && h->read_only_root && h->nwritable)
                v2c_warn("%s: its image's io.v2c.hardening names no uid and gid (an older v2c convert wrote it): "
                         "a Docker engine leaves the tmpfs over its writable paths to root, where it cannot write "
                         "(podman gives them to its user); convert it again",
                         s->name);
        return 0;
}

/* What the playbook's `harden` loosens of the image's spec H (known),
 * done to H, said loudly and journaled: the container then runs less
 * confined than its manifest and `convert --verify` ran it, which whoever
 * reads the run's log or its journal must not miss. */
static int loosen_hardening(struct run *r, const struct v2c_pb_service *s, struct v2c_hardening *h,
                            struct v2c_error **err)
{
        const struct v2c_pb_harden *want = &s->container.harden;
        _cleanup_strv_ char **what = NULL;
        int rc = 0;
        if (!want->enabled) {
                v2c_hardening_release(h);       /* not known: the engine's defaults */
                rc = v2c_strv_push(&what, "all of it: the engine's defaults (writable root, its default "
                                          "capabilities, new privileges allowed, no limits)");
        } else {
                if (!want->read_only_root && h->read_only_root) {
                        h->read_only_root = false;
                        rc = v2c_strv_push(&what, "read-only root: the root is writable");
                }
                if (rc == 0 && !want->no_new_privileges && !h->allow_privilege_escalation) {
                        h->allow_privilege_escalation = true;
                        rc = v2c_strv_push(&what, "no new privileges: setuid programs and file capabilities "
                                                  "may raise privileges");
                }
                if (rc == 0 && !want->limits && (h->memory_max || h->cpu_millis)) {
                        h->memory_max = 0;
                        h->cpu_millis = 0;
                        rc = v2c_strv_push(&what, "limits: no memory or CPU limit");
                }
        }
        if (rc < 0)
                return v2c_error_set(err, ENOMEM, "out of memory");
        if (what == NULL)
                return 0;
        _cleanup_free_ char *list = NULL;
        for (size_t i = 0; what[i]; i++) {
                char *next = NULL;
                if (asprintf(&next, "%s%s%s", list ? list : "", list ? "; " : "", what[i]) < 0)
                        return v2c_error_set(err, ENOMEM, "out of memory");
                free(list);
                list = next;
        }
        v2c_warn("%s: the playbook loosens its container's hardening (container.harden): %s; it runs less "
                 "confined than its manifest and `v2c convert --verify` ran it",
                 s->name, list);
        return record(r, s->name, "hardening-loosened", err, "{s:o}", "loosened", v2c_json_strv(what));
}

static int container_up(struct run *r, const struct v2c_pb_service *s, struct v2c_error **err)
{
        const struct v2c_pb_container *c = &s->container;
        struct v2c_engine e = { 0 };
        _cleanup_strv_ char **env = NULL, **binds = NULL;
        _cleanup_free_ struct v2c_engine_port *ports = calloc(c->n_ports ? c->n_ports : 1, sizeof *ports);
        _cleanup_free_ char *id = NULL, *name = NULL;
        int rc = v2c_engine_init(&e, c->engine, 0, err);
        if (rc < 0)
                return rc;
        if (ports == NULL || (name = strdup(c->name)) == NULL) {
                v2c_engine_release(&e);
                return v2c_error_set(err, ENOMEM, "out of memory");
        }
        for (size_t i = 0; i < c->n_env; i++) {
                char *kv = NULL;
                if (asprintf(&kv, "%s=%s", c->env[i].key, c->env[i].value) >= 0)
                        v2c_strv_consume(&env, kv);
        }
        for (size_t i = 0; i < c->n_volumes; i++) {
                char *b = NULL;
                if (asprintf(&b, "%s:%s%s", c->volumes[i].source, c->volumes[i].target,
                             c->volumes[i].read_only ? ":ro" : "") >= 0)
                        v2c_strv_consume(&binds, b);
        }
        for (size_t i = 0; i < c->n_ports; i++)
                ports[i] = (struct v2c_engine_port) { c->ports[i].container_port, c->ports[i].host_port };
        v2c_info("%s: pulling %s", s->name, c->image);
        rc = v2c_engine_pull(&e, c->image, err);
        if (rc >= 0)
                rc = report_needs(r, s, &e, err);
        struct v2c_hardening harden = { 0 };
        if (rc >= 0)
                rc = image_hardening(s, &e, &harden, err);
        if (rc >= 0 && v2c_hardening_known(&harden))
                rc = loosen_hardening(r, s, &harden, err);
        if (rc >= 0) {
                /* A container left by a run that died before journaling it. */
                (void) v2c_engine_remove(&e, name, true, NULL);
                struct v2c_engine_container_spec spec = {
                        .name = name, .image = c->image, .env = env, .ports = ports, .n_ports = c->n_ports,
                        .binds = binds, .harden = v2c_hardening_known(&harden) ? &harden : NULL,
                };
                rc = v2c_engine_create(&e, &spec, &id, err);
        }
        v2c_hardening_release(&harden);
        if (rc >= 0)
                rc = v2c_engine_start(&e, id, err);
        if (rc < 0) {
                v2c_engine_release(&e);
                return v2c_error_prefix(err, rc, "%s: starting the container", s->name);
        }
        rc = v2c_probe_ready("127.0.0.1", c->ready_port, c->ready_path, (int) c->ready_timeout_ms, err);
        if (rc < 0) {
                _cleanup_free_ char *log = NULL, *shown = NULL;
                v2c_engine_logs_tail(&e, id, 10, &log, NULL);
                (void) v2c_engine_remove(&e, id, true, NULL);
                v2c_engine_release(&e);
                /* The service's own words, untrusted: one line, no
                 * terminal escapes. */
                if (log)
                        shown = v2c_text_one_line(log);
                return v2c_error_prefix(err, rc, "%s: the container is not ready%s%s", s->name,
                                        shown && *shown ? "; its log: " : "", shown && *shown ? shown : "");
        }
        v2c_engine_release(&e);
        return record(r, s->name, "prepared", err, "{s:s}", "container", id);
}

static void container_down(const struct v2c_pb_service *s, const char *id)
{
        struct v2c_engine e = { 0 };
        if (v2c_engine_init(&e, s->container.engine, 0, NULL) < 0)
                return;
        const char *which = id && *id ? id : s->container.name;
        (void) v2c_engine_stop(&e, which, 10, NULL);
        (void) v2c_engine_remove(&e, which, true, NULL);
        v2c_engine_release(&e);
}

/* ---- rollback ---- */

static int rollback(struct run *r, const struct v2c_pb_service *s, const char *event, const char *reason,
                    struct v2c_error **err)
{
        v2c_warn("%s: rolling back: %s", s->name, reason);
        int rc = record(r, s->name, "rolling-back", err, "{s:s}", "reason", reason);
        if (rc < 0)
                return rc;
        rc = router_weights(r, s, 100, 0, err);
        if (rc < 0)
                return rc;
        struct v2c_haproxy h = { .socket_path = s->router.socket, .timeout_ms = SOCKET_TIMEOUT_MS };
        (void) v2c_haproxy_set_state(&h, s->router.backend, s->router.container_server, "drain", NULL);
        (void) v2c_haproxy_wait_drained(&h, s->router.backend, s->router.container_server, CONTAINER_DRAIN_MS, NULL);
        struct svc_state st;
        replay(r->j, s->name, &st);
        container_down(s, st.container_id);
        svc_state_release(&st);
        return record(r, s->name, event, err, "{s:s}", "reason", reason);
}

/* ---- waiting, with requests ---- */

enum wait_end { WAIT_DONE, WAIT_APPROVED, WAIT_ABORTED };

/* Waits until DEADLINE (wall-clock ms; 0: for an approval only). */
static enum wait_end wait_for(struct run *r, const char *who, int64_t deadline, bool approval)
{
        for (;;) {
                if (take_request(r, "abort", NULL))
                        return WAIT_ABORTED;
                if (approval && take_request(r, "approve", who))
                        return WAIT_APPROVED;
                if (deadline && v2c_wall_ms() >= deadline)
                        return WAIT_DONE;
                sleep_ms(r->poll_ms);
        }
}

/* ---- analysis ---- */

struct verdicts {
        bool failed, inconclusive;
        char reason[512];
};

static int measure(const struct v2c_pb_service *s, const struct v2c_pb_metric *m, double *value,
                   struct v2c_error **err)
{
        switch (m->provider) {
        case V2C_PB_PROVIDER_HAPROXY: {
                struct v2c_haproxy h = { .socket_path = s->router.socket, .timeout_ms = SOCKET_TIMEOUT_MS };
                struct v2c_haproxy_stats a = { 0 }, b = { 0 };
                int rc = v2c_haproxy_show_stat(&h, &a, err);
                if (rc < 0)
                        return rc;
                sleep_ms((int64_t) m->interval_ms);
                rc = v2c_haproxy_show_stat(&h, &b, err);
                if (rc >= 0) {
                        const struct v2c_haproxy_server *x =
                                v2c_haproxy_find(&a, s->router.backend, s->router.container_server);
                        const struct v2c_haproxy_server *y =
                                v2c_haproxy_find(&b, s->router.backend, s->router.container_server);
                        if (x && y)
                                rc = v2c_probe_haproxy_metric(x, y, v2c_pb_haproxy_metric_name(m->haproxy_metric),
                                                              value, err);
                        else
                                *value = NAN;
                }
                v2c_haproxy_stats_release(&a);
                v2c_haproxy_stats_release(&b);
                return rc;
        }
        case V2C_PB_PROVIDER_HTTP: {
                long status = 0;
                sleep_ms((int64_t) m->interval_ms);
                int rc = v2c_probe_http(m->url, (int) m->timeout_ms, &status, err);
                *value = status == 0 ? NAN : status == (long) m->expect_status ? 1.0 : 0.0;
                return rc;
        }
        case V2C_PB_PROVIDER_PROMETHEUS:
                sleep_ms((int64_t) m->interval_ms);
                return v2c_probe_prometheus(m->address, m->query, (int) m->timeout_ms, value, err);
        }
        return 0;
}

/* Runs templates; a metric fails as soon as its failures pass the limit
 * (no need to wait for the rest: the rollback is due now). */
static int analyse(struct run *r, const struct v2c_pb_service *s, const struct v2c_pb_analysis *const *an, size_t n,
                   const char *phase, struct verdicts *out, struct v2c_error **err)
{
        *out = (struct verdicts) { 0 };
        for (size_t t = 0; t < n && !out->failed; t++) {
                for (size_t k = 0; k < an[t]->n_metrics && !out->failed; k++) {
                        const struct v2c_pb_metric *m = &an[t]->metrics[k];
                        unsigned failures = 0, inconclusive = 0;
                        for (unsigned i = 0; i < m->count; i++) {
                                if (take_request(r, "abort", NULL)) {
                                        out->failed = true;
                                        snprintf(out->reason, sizeof out->reason, "aborted by request");
                                        return 0;
                                }
                                double v = NAN;
                                struct v2c_error *e = NULL;
                                if (measure(s, m, &v, &e) < 0) {
                                        v2c_warn("%s: %s/%s: %s (inconclusive)", s->name, an[t]->name, m->name,
                                                 e ? e->msg : "no value");
                                        v = NAN;
                                }
                                v2c_error_free(e);
                                enum v2c_verdict vd = v2c_verdict_of_value(&m->success, &m->failure, v);
                                failures += vd == V2C_VERDICT_FAILURE;
                                inconclusive += vd == V2C_VERDICT_INCONCLUSIVE;
                                int rc = record(r, s->name, "measurement", err, "{s:s, s:s, s:s, s:o, s:s}", "phase",
                                                phase, "analysis", an[t]->name, "metric", m->name, "value",
                                                isnan(v) ? json_null() : json_real(v), "verdict", v2c_verdict_name(vd));
                                if (rc < 0)
                                        return rc;
                                v2c_info("%s: %s/%s = %g: %s", s->name, an[t]->name, m->name, v, v2c_verdict_name(vd));
                                if (v2c_verdict_of_metric(m->count, failures, inconclusive, m->failure_limit) ==
                                    V2C_VERDICT_FAILURE) {
                                        out->failed = true;
                                        snprintf(out->reason, sizeof out->reason,
                                                 "analysis %s: metric %s failed %u time%s (limit %u), last value %g",
                                                 an[t]->name, m->name, failures, failures > 1 ? "s" : "",
                                                 m->failure_limit, v);
                                        break;
                                }
                        }
                        if (!out->failed && v2c_verdict_of_metric(m->count, failures, inconclusive, m->failure_limit) ==
                                                    V2C_VERDICT_INCONCLUSIVE) {
                                out->inconclusive = true;
                                snprintf(out->reason, sizeof out->reason,
                                         "analysis %s: metric %s had no conclusive result", an[t]->name, m->name);
                        }
                }
        }
        return 0;
}

/* ---- gates ---- */

static int ask_gate(struct run *r, const char *who, const char *image, const struct v2c_pb_gate *g, bool *go,
                    char *why, size_t whylen, struct v2c_error **err)
{
        *go = false;
        if (g->kind == V2C_PB_GATE_APPROVAL) {
                v2c_info("%s: waiting for approval (%s)%s%s: v2c rollout approve --state %s %s", who, g->name,
                         g->message ? ": " : "", g->message ? g->message : "", r->opt->state_dir, who);
                int rc = record(r, who, "waiting", err, "{s:s}", "gate", g->name);
                if (rc < 0)
                        return rc;
                enum wait_end w = wait_for(r, who, 0, true);
                if (w == WAIT_ABORTED) {
                        snprintf(why, whylen, "aborted by request at gate %s", g->name);
                        return 0;
                }
                *go = true;
                return record(r, who, "approved", err, "{s:s}", "gate", g->name);
        }
        _cleanup_free_ char *body = NULL;
        json_auto_t *ev = json_pack("{s:s, s:s, s:s, s:s}", "rollout", r->pb->name ? r->pb->name : "", "service",
                                    who, "gate", g->name, "image", image);
        body = ev ? json_dumps(ev, JSON_COMPACT) : NULL;
        long status = 0;
        int rc = v2c_probe_webhook(g->url, body, (int) g->timeout_ms, &status, err);
        if (rc < 0)
                return rc;
        *go = status >= 200 && status < 300;
        if (!*go)
                snprintf(why, whylen, "gate %s answered %ld", g->name, status);
        return record(r, who, "gate", err, "{s:s, s:i, s:b}", "gate", g->name, "status", (int) status, "go", *go);
}

/* ---- VMs shared by several services ---- */

/* Services name one VM when they name the same control channel. */
static bool same_vm(const struct v2c_pb_service *a, const struct v2c_pb_service *b)
{
        if (a->vm.kind != b->vm.kind)
                return false;
        if (a->vm.kind == V2C_PB_VM_LIBVIRT)
                return a->vm.domain && b->vm.domain && a->vm.uri && b->vm.uri &&
                       strcmp(a->vm.domain, b->vm.domain) == 0 && strcmp(a->vm.uri, b->vm.uri) == 0;
        return a->vm.qmp && b->vm.qmp && strcmp(a->vm.qmp, b->vm.qmp) == 0;
}

/* Another service on S's VM that keeps it running: one that still sends
 * traffic to it (not cut over yet, or rolled back), or one that asks for
 * it running: after a cutover, with `after_cutover: {vm: drained}` (for
 * its rollback window); at FINALIZE, with `finalize: {vm: keep}`.  NULL
 * when none. */
static const struct v2c_pb_service *vm_kept_by(struct run *r, const struct v2c_pb_service *s, bool finalize,
                                               const char **why)
{
        for (size_t w = 0; w < r->pb->n_waves; w++)
                for (size_t i = 0; i < r->pb->waves[w].n_services; i++) {
                        const struct v2c_pb_service *t = &r->pb->waves[w].services[i];
                        if (t == s || !same_vm(s, t))
                                continue;
                        struct svc_state st;
                        replay(r->j, t->name, &st);
                        bool serving = !st.done || st.rolled_back;
                        svc_state_release(&st);
                        bool wants = finalize ? t->after.finalize_vm == V2C_PB_FINALIZE_KEEP
                                              : t->after.vm != V2C_PB_VM_STOPPED;
                        if (serving || wants) {
                                *why = serving ? "still serves from it"
                                       : finalize ? "asks to keep it (finalize: {vm: keep})"
                                                  : "asks for it drained, not stopped";
                                return t;
                        }
                }
        return NULL;
}

/* Whether S's VM is stopped: the last "vm-stopped" or "vm-started" record
 * of any service on it says so. */
static bool vm_is_stopped(struct run *r, const struct v2c_pb_service *s)
{
        bool stopped = false;
        for (size_t k = 0; k < v2c_journal_count(r->j); k++) {
                const json_t *rec = v2c_journal_get(r->j, k);
                const char *sv = json_string_value(json_object_get(rec, "service"));
                const char *ev = json_string_value(json_object_get(rec, "event"));
                if (sv == NULL || ev == NULL || (strcmp(ev, "vm-stopped") != 0 && strcmp(ev, "vm-started") != 0))
                        continue;
                const struct v2c_pb_service *t = v2c_playbook_service(r->pb, sv);
                if (t && (t == s || same_vm(s, t)))
                        stopped = strcmp(ev, "vm-stopped") == 0;
        }
        return stopped;
}

/* Stops S's VM unless it is already stopped or another service keeps it
 * running; says which in the journal. */
static int stop_shared_vm(struct run *r, const struct v2c_pb_service *s, bool finalize, struct v2c_error **err)
{
        if (vm_is_stopped(r, s))
                return 0;
        const char *why = NULL;
        const struct v2c_pb_service *t = vm_kept_by(r, s, finalize, &why);
        if (t) {
                v2c_info("%s: its VM keeps running: %s %s", s->name, t->name, why);
                return record(r, s->name, "vm-kept", err, "{s:s, s:s}", "by", t->name, "why", why);
        }
        struct v2c_error *e = NULL;
        int rc = stop_vm(s, &e);
        /* No qemu behind the QMP socket and nothing on the VM's address:
         * stopped already (v2c died between the stop and its record). */
        if ((rc == -ENOENT || rc == -ECONNREFUSED) && s->vm.kind == V2C_PB_VM_QMP &&
            v2c_probe_ready(s->vm.endpoint_host, s->vm.endpoint_port, NULL, 1000, NULL) < 0) {
                v2c_info("%s: its VM is stopped already (%s)", s->name, e ? e->msg : "no QMP socket");
                rc = 0;
        }
        if (rc < 0) {
                if (err && *err == NULL)
                        *err = TAKE_PTR(e);
                v2c_error_free(e);
                return v2c_error_prefix(err, rc, "%s: stopping the VM", s->name);
        }
        v2c_error_free(e);
        return record(r, s->name, "vm-stopped", err, NULL);
}

/* ---- one service ---- */

static int after_cutover(struct run *r, const struct v2c_pb_service *s, struct v2c_error **err)
{
        struct svc_state st;
        replay(r->j, s->name, &st);
        bool drained = st.drained;
        svc_state_release(&st);
        if (!drained) {
                struct v2c_haproxy h = { .socket_path = s->router.socket, .timeout_ms = SOCKET_TIMEOUT_MS };
                int rc = v2c_haproxy_set_state(&h, s->router.backend, s->router.vm_server, "drain", err);
                if (rc >= 0)
                        rc = v2c_haproxy_wait_drained(&h, s->router.backend, s->router.vm_server,
                                                      (int) s->after.drain_timeout_ms, err);
                if (rc < 0)
                        return v2c_error_prefix(err, rc, "%s: draining the VM", s->name);
                rc = record(r, s->name, "vm-drained", err, NULL);
                if (rc < 0)
                        return rc;
        }
        /* A VM that serves other services too stops with the last of them. */
        if (s->after.vm == V2C_PB_VM_STOPPED) {
                int rc = stop_shared_vm(r, s, false, err);
                if (rc < 0)
                        return rc;
        }
        return record(r, s->name, "done", err, "{s:I}", "rollback_until_ms",
                      (json_int_t) (v2c_wall_ms() + (int64_t) s->after.rollback_window_ms));
}

static int run_service(struct run *r, const struct v2c_pb_service *s, struct v2c_error **err)
{
        struct svc_state st;
        replay(r->j, s->name, &st);
        bool skip = st.done || st.rolled_back;
        bool prepared = st.prepared, promoted = st.promoted;
        long step_done = st.step_done, step = st.step;
        int64_t step_started = st.step_started;
        /* Drained, the VM takes no traffic: what is left is stopping it,
         * which copes with a VM that is gone already. */
        bool need_vm = !st.drained;
        svc_state_release(&st);
        if (skip)
                return 0;
        int rc = check_reachable(s, need_vm, err);
        if (rc < 0)
                return rc;
        if (!prepared) {
                rc = record(r, s->name, "preparing", err, NULL);
                if (rc >= 0)
                        rc = router_weights(r, s, 100, 0, err);
                if (rc >= 0)
                        rc = container_up(r, s, err);
                if (rc < 0)
                        return rc;
        }
        const struct v2c_pb_strategy *sg = &s->strategy;
        char why[512] = "";
        if (sg->kind == V2C_PB_CANARY) {
                for (long i = step_done + 1; i < (long) sg->n_steps; i++) {
                        const struct v2c_pb_step *p = &sg->steps[i];
                        int64_t started = i == step ? step_started : v2c_wall_ms();
                        if (i != step) {
                                rc = record(r, s->name, "step", err, "{s:i, s:I}", "index", (int) i, "started_ms",
                                            (json_int_t) started);
                                if (rc < 0)
                                        return rc;
                        }
                        bool go = true;
                        switch (p->kind) {
                        case V2C_PB_STEP_SET_WEIGHT:
                                rc = router_weights(r, s, 100 - p->weight, p->weight, err);
                                break;
                        case V2C_PB_STEP_PAUSE: {
                                enum wait_end w = p->pause_ms ? wait_for(r, s->name, started + (int64_t) p->pause_ms, false)
                                                              : wait_for(r, s->name, 0, true);
                                if (w == WAIT_ABORTED) {
                                        go = false;
                                        snprintf(why, sizeof why, "aborted by request");
                                } else if (w == WAIT_APPROVED)
                                        rc = record(r, s->name, "approved", err, "{s:i}", "step", (int) i);
                                break;
                        }
                        case V2C_PB_STEP_ANALYSIS: {
                                struct verdicts v;
                                rc = analyse(r, s, p->analyses, p->n_analyses, "step", &v, err);
                                if (rc >= 0 && v.failed) {
                                        go = false;
                                        snprintf(why, sizeof why, "%s", v.reason);
                                } else if (rc >= 0 && v.inconclusive) {
                                        /* Inconclusive pauses: a person decides. */
                                        v2c_warn("%s: %s: paused until approved (v2c rollout approve --state %s %s)",
                                                 s->name, v.reason, r->opt->state_dir, s->name);
                                        rc = record(r, s->name, "inconclusive", err, "{s:s}", "reason", v.reason);
                                        if (rc >= 0 && wait_for(r, s->name, 0, true) == WAIT_ABORTED) {
                                                go = false;
                                                snprintf(why, sizeof why, "aborted by request");
                                        }
                                }
                                break;
                        }
                        case V2C_PB_STEP_GATE:
                                rc = ask_gate(r, s->name, s->container.image, p->gate, &go, why, sizeof why, err);
                                break;
                        }
                        if (rc < 0)
                                return rc;
                        if (!go) {
                                rc = rollback(r, s, strstr(why, "aborted") ? "aborted" : "rolled-back", why, err);
                                return rc < 0 ? rc
                                              : v2c_error_set(err, ECANCELED, "%s: rolled back: %s", s->name, why);
                        }
                        rc = record(r, s->name, "step-done", err, "{s:i}", "index", (int) i);
                        if (rc < 0)
                                return rc;
                }
                if (!promoted) {
                        rc = record(r, s->name, "promoted", err, NULL);
                        if (rc < 0)
                                return rc;
                }
        } else {
                if (!promoted) {
                        struct verdicts v = { 0 };
                        rc = analyse(r, s, sg->pre_promotion, sg->n_pre_promotion, "pre-promotion", &v, err);
                        bool go = rc >= 0 && !v.failed && !v.inconclusive;
                        if (rc >= 0 && !go)
                                snprintf(why, sizeof why, "%s", v.reason);
                        for (size_t g = 0; rc >= 0 && go && g < sg->n_gates; g++)
                                rc = ask_gate(r, s->name, s->container.image, sg->gates[g], &go, why, sizeof why, err);
                        if (rc >= 0 && go && sg->promotion == V2C_PB_PROMOTION_MANUAL) {
                                v2c_info("%s: ready to switch: v2c rollout approve --state %s %s", s->name,
                                         r->opt->state_dir, s->name);
                                rc = record(r, s->name, "waiting", err, "{s:s}", "gate", "promotion");
                                if (rc >= 0 && wait_for(r, s->name, 0, true) == WAIT_ABORTED) {
                                        go = false;
                                        snprintf(why, sizeof why, "aborted by request");
                                }
                        }
                        if (rc < 0)
                                return rc;
                        if (!go) {
                                rc = rollback(r, s, strstr(why, "aborted") ? "aborted" : "rolled-back", why, err);
                                return rc < 0 ? rc
                                              : v2c_error_set(err, ECANCELED, "%s: rolled back: %s", s->name, why);
                        }
                        rc = router_weights(r, s, 0, 100, err);
                        if (rc >= 0)
                                rc = record(r, s->name, "promoted", err, "{s:I}", "at_ms", (json_int_t) v2c_wall_ms());
                        if (rc < 0)
                                return rc;
                }
                /* Bake: the VM stays ready while post-promotion analysis runs. */
                int64_t bake_end = 0;
                const json_t *pr = v2c_journal_last(r->j, s->name, "promoted");
                bake_end = (int64_t) json_integer_value(json_object_get(pr, "at_ms")) + (int64_t) sg->bake_ms;
                struct verdicts v = { 0 };
                rc = analyse(r, s, sg->post_promotion, sg->n_post_promotion, "post-promotion", &v, err);
                if (rc < 0)
                        return rc;
                if (v.failed) {
                        rc = rollback(r, s, "rolled-back", v.reason, err);
                        return rc < 0 ? rc : v2c_error_set(err, ECANCELED, "%s: rolled back: %s", s->name, v.reason);
                }
                if (wait_for(r, s->name, bake_end, false) == WAIT_ABORTED) {
                        rc = rollback(r, s, "aborted", "aborted by request", err);
                        return rc < 0 ? rc : v2c_error_set(err, ECANCELED, "%s: aborted", s->name);
                }
        }
        return after_cutover(r, s, err);
}

static bool service_finished(const struct v2c_journal *j, const char *name)
{
        struct svc_state st;
        replay(j, name, &st);
        bool f = st.done;
        svc_state_release(&st);
        return f;
}

static int run_all(struct run *r, struct v2c_error **err)
{
        for (size_t w = 0; w < r->pb->n_waves; w++) {
                const struct v2c_pb_wave *wave = &r->pb->waves[w];
                v2c_info("wave %s", wave->name);
                if (!v2c_journal_last(r->j, wave->name, "wave-open")) {
                        for (size_t g = 0; g < wave->n_gates; g++) {
                                bool go = false;
                                char why[512] = "";
                                int rc = ask_gate(r, wave->name, "", wave->gates[g], &go, why, sizeof why, err);
                                if (rc < 0)
                                        return rc;
                                if (!go)
                                        return v2c_error_set(err, ECANCELED, "wave %s did not start: %s", wave->name,
                                                             why);
                        }
                        int rc = record(r, wave->name, "wave-open", err, NULL);
                        if (rc < 0)
                                return rc;
                }
                /* In dependency order: each pass runs what has its dependencies done. */
                size_t left = wave->n_services;
                bool *ran = calloc(wave->n_services, sizeof *ran);
                if (ran == NULL)
                        return v2c_error_set(err, ENOMEM, "out of memory");
                int rc = 0;
                while (left && rc >= 0) {
                        bool progress = false;
                        for (size_t i = 0; i < wave->n_services && rc >= 0; i++) {
                                const struct v2c_pb_service *s = &wave->services[i];
                                if (ran[i])
                                        continue;
                                bool ready = true;
                                for (size_t d = 0; s->depends_on && s->depends_on[d]; d++)
                                        ready &= service_finished(r->j, s->depends_on[d]);
                                if (!ready)
                                        continue;
                                rc = run_service(r, s, err);
                                ran[i] = true;
                                left--;
                                progress = true;
                        }
                        if (!progress && rc >= 0)
                                rc = v2c_error_set(err, EDEADLK, "wave %s: services wait on each other", wave->name);
                }
                free(ran);
                if (rc < 0)
                        return rc;
        }
        return record(r, NULL, "finished", err, NULL);
}

static int open_run(const struct v2c_rollout_options *opt, struct run *r, struct v2c_error **err)
{
        *r = (struct run) { .opt = opt, .poll_ms = opt->poll_ms > 0 ? opt->poll_ms : DEFAULT_POLL_MS };
        int rc = v2c_journal_open(opt->state_dir, &r->j, err);
        if (rc < 0)
                return rc;
        if (v2c_journal_count(r->j) == 0)
                return 0;
        /* The playbook as the rollout started with it, and a history that
         * holds together: nothing acts on a journal that does not. */
        return check_journal(r->j, &r->pb, err);
}

static void close_run(struct run *r)
{
        v2c_journal_close(r->j);
        v2c_playbook_free(r->pb);
}

int v2c_rollout_run(const char *playbook, const struct v2c_rollout_options *opt, struct v2c_error **err)
{
        struct v2c_playbook *pb = NULL;
        int rc = v2c_playbook_load(playbook, &pb, err);
        if (rc < 0)
                return rc;
        struct run r;
        rc = open_run(opt, &r, err);
        if (rc >= 0 && v2c_journal_count(r.j) > 0)
                rc = v2c_error_set_kind(err, V2C_ERR_REFUSED, EEXIST,
                                        "`%s` already holds a rollout: `v2c rollout resume --state %s`", opt->state_dir,
                                        opt->state_dir);
        if (rc < 0) {
                v2c_playbook_free(pb);
                close_run(&r);
                return rc;
        }
        r.pb = pb;
        /* Every socket answers before anything moves. */
        for (size_t w = 0; w < pb->n_waves && rc >= 0; w++)
                for (size_t i = 0; i < pb->waves[w].n_services && rc >= 0; i++)
                        rc = check_reachable(&pb->waves[w].services[i], true, err);
        if (rc >= 0) {
                json_t *canon = v2c_playbook_to_json(pb);
                rc = canon ? record(&r, NULL, "start", err, "{s:o, s:s}", "playbook", canon, "file", playbook)
                           : v2c_error_set(err, ENOMEM, "out of memory");
        }
        if (rc >= 0)
                rc = run_all(&r, err);
        close_run(&r);
        return rc;
}

int v2c_rollout_resume(const struct v2c_rollout_options *opt, struct v2c_error **err)
{
        struct run r;
        int rc = open_run(opt, &r, err);
        if (rc >= 0 && r.pb == NULL)
                rc = v2c_error_set_kind(err, V2C_ERR_INPUT, ENOENT, "`%s` holds no rollout to resume", opt->state_dir);
        if (rc >= 0 && v2c_journal_last(r.j, NULL, "finished")) {
                v2c_info("the rollout is finished");
        } else if (rc >= 0) {
                v2c_info("resuming at journal record %zu", v2c_journal_count(r.j));
                rc = record(&r, NULL, "resumed", err, NULL);
                if (rc >= 0)
                        rc = run_all(&r, err);
        }
        close_run(&r);
        return rc;
}

int v2c_rollout_abort(const struct v2c_rollout_options *opt, struct v2c_error **err)
{
        struct run r;
        int rc = open_run(opt, &r, err);
        if (rc == -EBUSY) {
                /* A rollout is running: it takes the request at its next wait. */
                *err = v2c_error_free(*err);
                close_run(&r);
                return v2c_rollout_request(opt->state_dir, "abort", NULL, err);
        }
        for (size_t w = 0; rc >= 0 && r.pb && w < r.pb->n_waves; w++)
                for (size_t i = 0; rc >= 0 && i < r.pb->waves[w].n_services; i++) {
                        const struct v2c_pb_service *s = &r.pb->waves[w].services[i];
                        struct svc_state st;
                        replay(r.j, s->name, &st);
                        bool act = (st.prepared || st.weights_known) && !st.rolled_back && !st.done;
                        svc_state_release(&st);
                        if (act)
                                rc = rollback(&r, s, "aborted", "aborted by request", err);
                }
        close_run(&r);
        return rc;
}

int v2c_rollout_rollback(const struct v2c_rollout_options *opt, const char *service, struct v2c_error **err)
{
        struct run r;
        int rc = open_run(opt, &r, err);
        bool any = false;
        for (size_t w = 0; rc >= 0 && r.pb && w < r.pb->n_waves; w++)
                for (size_t i = 0; rc >= 0 && i < r.pb->waves[w].n_services; i++) {
                        const struct v2c_pb_service *s = &r.pb->waves[w].services[i];
                        if (service && strcmp(service, s->name) != 0)
                                continue;
                        struct svc_state st;
                        replay(r.j, s->name, &st);
                        bool act = st.prepared && !st.rolled_back && !st.finalized;
                        bool stopped = vm_is_stopped(&r, s);
                        svc_state_release(&st);
                        if (!act)
                                continue;
                        any = true;
                        if (stopped && s->vm.kind == V2C_PB_VM_LIBVIRT) {
                                /* libvirt can start it again: traffic moves back only once it serves. */
                                v2c_info("%s: starting libvirt domain `%s` again", s->name, s->vm.domain);
                                rc = v2c_libvirt_start(s->vm.uri, s->vm.domain, err);
                                if (rc >= 0)
                                        rc = v2c_probe_ready(s->vm.endpoint_host, s->vm.endpoint_port, NULL,
                                                             VM_RESTART_MS, err);
                                if (rc >= 0)
                                        rc = record(&r, s->name, "vm-started", err, NULL);
                                if (rc < 0) {
                                        rc = v2c_error_prefix(err, rc, "%s: restarting its VM", s->name);
                                        break;
                                }
                        } else if (stopped) {
                                /* v2c cannot start a QMP VM; whoever did, it serves again. */
                                if (v2c_probe_ready(s->vm.endpoint_host, s->vm.endpoint_port, NULL, 2000, NULL) < 0) {
                                        rc = v2c_error_set_kind(err, V2C_ERR_REFUSED, EHOSTDOWN,
                                                                "%s: its VM was stopped after the cutover and %s does "
                                                                "not answer: start it, then roll back",
                                                                s->name, s->vm.endpoint);
                                        break;
                                }
                                rc = record(&r, s->name, "vm-started", err, NULL);
                                if (rc < 0)
                                        break;
                        }
                        struct v2c_haproxy h = { .socket_path = s->router.socket, .timeout_ms = SOCKET_TIMEOUT_MS };
                        rc = v2c_haproxy_set_state(&h, s->router.backend, s->router.vm_server, "ready", err);
                        if (rc >= 0)
                                rc = rollback(&r, s, "rolled-back", "rolled back by request", err);
                }
        if (rc >= 0 && !any)
                rc = v2c_error_set_kind(err, V2C_ERR_REFUSED, ENOENT, "nothing to roll back%s%s",
                                        service ? " for " : "", service ? service : "");
        close_run(&r);
        return rc;
}

int v2c_rollout_finalize(const struct v2c_rollout_options *opt, struct v2c_error **err)
{
        struct run r;
        int rc = open_run(opt, &r, err);
        for (size_t w = 0; rc >= 0 && r.pb && w < r.pb->n_waves; w++)
                for (size_t i = 0; rc >= 0 && i < r.pb->waves[w].n_services; i++) {
                        const struct v2c_pb_service *s = &r.pb->waves[w].services[i];
                        struct svc_state st;
                        replay(r.j, s->name, &st);
                        bool done = st.done && !st.finalized;
                        svc_state_release(&st);
                        if (!done)
                                continue;
                        if (s->after.finalize_vm == V2C_PB_FINALIZE_STOP)
                                rc = stop_shared_vm(&r, s, true, err);
                        if (rc >= 0)
                                rc = record(&r, s->name, "finalized", err, NULL);
                }
        close_run(&r);
        return rc;
}

/* What status says of SVC's VM: the last of its own "vm-*" records and of
 * the stops and starts that the other services of that VM recorded (one
 * of them may have stopped it after SVC's "vm-kept"). */
static const json_t *last_vm_record(const struct v2c_journal *j, const struct v2c_playbook *pb,
                                    const struct v2c_pb_service *svc)
{
        const char *name = svc->name;
        const json_t *last = NULL;
        for (size_t k = 0; k < v2c_journal_count(j); k++) {
                const json_t *rec = v2c_journal_get(j, k);
                const char *sv = json_string_value(json_object_get(rec, "service"));
                const char *ev = json_string_value(json_object_get(rec, "event"));
                if (sv == NULL || ev == NULL || strncmp(ev, "vm-", 3) != 0)
                        continue;
                if (strcmp(sv, name) == 0)
                        last = rec;
                else if (strcmp(ev, "vm-stopped") == 0 || strcmp(ev, "vm-started") == 0) {
                        const struct v2c_pb_service *other = v2c_playbook_service(pb, sv);
                        if (other && same_vm(svc, other))
                                last = rec;
                }
        }
        return last;
}

/* "v2c rollout approve --state DIR WHO", DIR quoted for a POSIX shell
 * when it holds anything but the characters of a plain path (new). */
static char *approve_command(const char *state_dir, const char *who)
{
        static const char plain[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./-:@%+=,";
        _cleanup_free_ char *dir = NULL;
        if (*state_dir && strspn(state_dir, plain) == strlen(state_dir))
                dir = strdup(state_dir);
        else {
                size_t n = 2;
                for (const char *p = state_dir; *p; p++)
                        n += *p == '\'' ? 4 : 1;
                dir = malloc(n + 1);
                if (dir) {
                        char *q = dir;
                        *q++ = '\'';
                        for (const char *p = state_dir; *p; p++)
                                q = *p == '\'' ? stpcpy(q, "'\\''") : (*q = *p, q + 1);
                        *q++ = '\'';
                        *q = '\0';
                }
        }
        char *cmd = NULL;
        if (dir == NULL || asprintf(&cmd, "v2c rollout approve --state %s %s", dir, who) < 0)
                return NULL;
        return cmd;
}

/* The step in progress of a canary, for status: its index and kind, with
 * what it sets, waits or asks (new). */
static json_t *step_json(const struct v2c_pb_step *p, long index)
{
        json_t *o = json_pack("{s:i}", "index", (int) index);
        if (o == NULL)
                return NULL;
        switch (p->kind) {
        case V2C_PB_STEP_SET_WEIGHT:
                json_object_set_new(o, "kind", json_string("setWeight"));
                json_object_set_new(o, "weight", json_integer(p->weight));
                break;
        case V2C_PB_STEP_PAUSE:
                json_object_set_new(o, "kind", json_string("pause"));
                json_object_set_new(o, "duration_ms", json_integer((json_int_t) p->pause_ms));
                break;
        case V2C_PB_STEP_ANALYSIS: {
                json_t *a = json_array();
                for (size_t i = 0; a && i < p->n_analyses; i++)
                        json_array_append_new(a, json_string(p->analyses[i]->name));
                json_object_set_new(o, "kind", json_string("analysis"));
                json_object_set_new(o, "analyses", a ? a : json_null());
                break;
        }
        case V2C_PB_STEP_GATE:
                json_object_set_new(o, "kind", json_string("gate"));
                json_object_set_new(o, "gate", json_string(p->gate->name));
                break;
        }
        return o;
}

/* The metric ANALYSIS/METRIC of the canonical playbook PB_JSON (borrowed),
 * or NULL. */
static const json_t *canonical_metric(const json_t *pb_json, const char *analysis, const char *metric)
{
        const json_t *ms = json_object_get(json_object_get(json_object_get(pb_json, "analyses"), analysis), "metrics");
        size_t i;
        const json_t *m;
        json_array_foreach(ms, i, m) {
                const char *n = json_string_value(json_object_get(m, "name"));
                if (n && metric && strcmp(n, metric) == 0)
                        return m;
        }
        return NULL;
}

/* The last analysis of service NAME: for each of its metrics, the last
 * value and verdict, how many were taken and of how many, and the
 * conditions as the playbook wrote them.  An analysis is the measurements
 * of one step (or one blue-green phase): a "step", "prepared" or
 * "promoted" record ends it, the next measurement starts another.  A new
 * array, or NULL when the service was never measured. */
static json_t *last_analysis(const struct v2c_journal *j, const char *name)
{
        const json_t *pb_json = json_object_get(v2c_journal_get(j, 0), "playbook");
        json_t *set = NULL;
        bool closed = true;
        for (size_t k = 0; k < v2c_journal_count(j); k++) {
                const json_t *rec = v2c_journal_get(j, k);
                const char *sv = json_string_value(json_object_get(rec, "service"));
                const char *ev = json_string_value(json_object_get(rec, "event"));
                if (sv == NULL || ev == NULL || strcmp(sv, name) != 0)
                        continue;
                if (strcmp(ev, "step") == 0 || strcmp(ev, "prepared") == 0 || strcmp(ev, "promoted") == 0) {
                        closed = true;
                        continue;
                }
                if (strcmp(ev, "measurement") != 0)
                        continue;
                if (closed) {
                        json_decref(set);
                        set = json_array();
                        if (set == NULL)
                                return NULL;
                        closed = false;
                }
                const char *an = json_string_value(json_object_get(rec, "analysis"));
                const char *me = json_string_value(json_object_get(rec, "metric"));
                json_t *entry = NULL;
                size_t i;
                json_t *e;
                json_array_foreach(set, i, e)
                        if (strcmp(json_string_value(json_object_get(e, "analysis")), an) == 0 &&
                            strcmp(json_string_value(json_object_get(e, "metric")), me) == 0)
                                entry = e;
                if (entry == NULL) {
                        const json_t *m = canonical_metric(pb_json, an, me);
                        entry = json_pack("{s:s, s:s, s:O, s:i, s:O*, s:O*, s:O*}", "analysis", an, "metric", me,
                                          "phase", json_object_get(rec, "phase"), "taken", 0, "count",
                                          json_object_get(m, "count"), "success_condition",
                                          json_object_get(m, "success_condition"), "failure_condition",
                                          json_object_get(m, "failure_condition"));
                        if (entry == NULL || json_array_append_new(set, entry) < 0) {
                                json_decref(set);
                                return NULL;
                        }
                }
                json_object_set(entry, "value", json_object_get(rec, "value"));
                json_object_set(entry, "verdict", json_object_get(rec, "verdict"));
                json_object_set_new(entry, "taken", json_integer(json_integer_value(json_object_get(entry, "taken")) + 1));
        }
        return set;
}

/* What SVC waits for now (a pause's or a bake's end, an approval, the VM's
 * drain), added to its status O.  ST: its replayed state; PAUSE_EV: the
 * last of its waiting/inconclusive/approved records. */
static void waiting_json(json_t *o, const struct v2c_journal *j, const char *state_dir,
                         const struct v2c_pb_service *svc, const struct svc_state *st, const char *pause_ev,
                         const json_t *pause)
{
        if (st->done || st->rolled_back || !st->prepared)
                return;
        /* A wait for approval ends with "approved", or with any later step
         * of the service: an approved inconclusive analysis records none. */
        static const char *const moved_events[] = { "step", "step-done", "promoted", "rolling-back" };
        const json_t *moved = v2c_journal_last_of(j, svc->name, moved_events, 4);
        if (pause && moved &&
            json_integer_value(json_object_get(moved, "seq")) > json_integer_value(json_object_get(pause, "seq")))
                pause_ev = NULL;
        const struct v2c_pb_strategy *sg = &svc->strategy;
        const char *what = NULL;
        int64_t until = 0;
        bool approval = false;
        if (pause_ev && strcmp(pause_ev, "approved") != 0) {
                /* A gate, a manual promotion, an inconclusive analysis. */
                approval = true;
                if (strcmp(pause_ev, "inconclusive") == 0) {
                        json_object_set_new(o, "waiting", json_string("inconclusive"));
                        json_object_set(o, "inconclusive_reason", json_object_get(pause, "reason"));
                } else
                        json_object_set(o, "waiting", json_object_get(pause, "gate"));
        } else if (sg->kind == V2C_PB_CANARY && st->step > st->step_done && st->step < (long) sg->n_steps &&
                   sg->steps[st->step].kind == V2C_PB_STEP_PAUSE) {
                const struct v2c_pb_step *p = &sg->steps[st->step];
                what = "pause";
                approval = p->pause_ms == 0;
                until = p->pause_ms ? st->step_started + (int64_t) p->pause_ms : 0;
        } else if (sg->kind == V2C_PB_BLUE_GREEN && st->promoted && !st->drained) {
                const json_t *pr = v2c_journal_last(j, svc->name, "promoted");
                int64_t end = (int64_t) json_integer_value(json_object_get(pr, "at_ms")) + (int64_t) sg->bake_ms;
                what = end > v2c_wall_ms() ? "bake" : "vm-drain";
                until = end > v2c_wall_ms() ? end : 0;
        } else if (st->promoted && !st->drained)
                what = "vm-drain";
        /* A timed wait already over: the runner is about to record its end. */
        if (until && until <= v2c_wall_ms())
                return;
        if (what)
                json_object_set_new(o, "waiting", json_string(what));
        if (until)
                json_object_set_new(o, "waiting_until_ms", json_integer((json_int_t) until));
        if (approval) {
                _cleanup_free_ char *cmd = approve_command(state_dir, svc->name);
                if (cmd)
                        json_object_set_new(o, "approve", json_string(cmd));
        }
}

int v2c_rollout_status(const char *state_dir, json_t **out, struct v2c_error **err)
{
        struct v2c_journal *j = NULL;
        int rc = v2c_journal_open_ro(state_dir, &j, err);
        if (rc < 0)
                return rc;
        /* The playbook as the runner reads it (parsed, checked with the
         * whole journal), so that status and the runner share every rule. */
        _cleanup_playbook_ struct v2c_playbook *pb = NULL;
        if (v2c_journal_count(j) > 0 && (rc = check_journal(j, &pb, err)) < 0) {
                v2c_journal_close(j);
                return rc;
        }
        json_t *svcs = json_array();
        for (size_t w = 0; pb && w < pb->n_waves; w++) {
                for (size_t i = 0; i < pb->waves[w].n_services; i++) {
                        const struct v2c_pb_service *svc = &pb->waves[w].services[i];
                        const char *name = svc->name;
                        struct svc_state st;
                        replay(j, name, &st);
                        const char *phase = st.finalized     ? "finalized"
                                            : st.rolled_back ? "rolled-back"
                                            : st.done        ? "done"
                                            : st.promoted    ? "promoted"
                                            : st.prepared    ? "in-progress"
                                                             : "pending";
                        const json_t *last_m = v2c_journal_last(j, name, "measurement");
                        /* Waiting: for a gate ("waiting" until "approved"), or
                         * paused by an inconclusive analysis until approved. */
                        static const char *const pause_events[] = { "waiting", "inconclusive", "approved" };
                        const json_t *pause = v2c_journal_last_of(j, name, pause_events, 3);
                        const char *pause_ev = pause ? json_string_value(json_object_get(pause, "event")) : NULL;
                        const json_t *rb = v2c_journal_last(j, name, "rolling-back");
                        json_t *o = json_pack("{s:s, s:s, s:i, s:i}", "name", name, "phase", phase, "step",
                                              (int) st.step, "step_done", (int) st.step_done);
                        if (st.weights_known)
                                json_object_set_new(o, "weights", json_pack("{s:i, s:i}", "vm", (int) st.vm_weight,
                                                                            "container", (int) st.ct_weight));
                        /* The live split, from HAProxy itself when it answers. */
                        const char *sock = svc->router.socket, *be = svc->router.backend;
                        const char *vs = svc->router.vm_server, *cs = svc->router.container_server;
                        struct v2c_haproxy_stats stats = { 0 };
                        if (sock && be && vs && cs) {
                                struct v2c_haproxy h = { .socket_path = (char *) sock, .timeout_ms = 2000 };
                                if (v2c_haproxy_show_stat(&h, &stats, NULL) == 0) {
                                        const struct v2c_haproxy_server *a = v2c_haproxy_find(&stats, be, vs);
                                        const struct v2c_haproxy_server *b = v2c_haproxy_find(&stats, be, cs);
                                        if (a && b)
                                                json_object_set_new(
                                                        o, "live",
                                                        json_pack("{s:i, s:i, s:s, s:s}", "vm_weight", (int) a->weight,
                                                                  "container_weight", (int) b->weight, "vm_status",
                                                                  a->status ? a->status : "", "container_status",
                                                                  b->status ? b->status : ""));
                                        v2c_haproxy_stats_release(&stats);
                                }
                        }
                        if (last_m)
                                json_object_set(o, "last_measurement", (json_t *) last_m);
                        json_t *an = last_analysis(j, name);
                        if (an)
                                json_object_set_new(o, "analysis", an);
                        json_object_set_new(o, "strategy", json_string(svc->strategy.kind == V2C_PB_CANARY
                                                                               ? "canary"
                                                                               : "blue-green"));
                        if (svc->strategy.kind == V2C_PB_CANARY) {
                                json_object_set_new(o, "steps", json_integer((json_int_t) svc->strategy.n_steps));
                                if (st.step > st.step_done && st.step < (long) svc->strategy.n_steps && !st.done &&
                                    !st.rolled_back)
                                        json_object_set_new(o, "current_step",
                                                            step_json(&svc->strategy.steps[st.step], st.step));
                        }
                        waiting_json(o, j, state_dir, svc, &st, pause_ev, pause);
                        if (rb)
                                json_object_set(o, "rollback_reason", json_object_get(rb, "reason"));
                        const json_t *vmrec = last_vm_record(j, pb, svc);
                        if (vmrec) {
                                const char *by = json_string_value(json_object_get(vmrec, "service"));
                                json_object_set_new(o, "vm", json_pack("{s:s, s:s?, s:O?, s:O?}", "state",
                                                                       json_string_value(json_object_get(vmrec, "event")) + 3,
                                                                       "by", by && strcmp(by, name) != 0 ? by : NULL,
                                                                       "kept_by", json_object_get(vmrec, "by"),
                                                                       "why", json_object_get(vmrec, "why")));
                        }
                        json_array_append_new(svcs, o);
                        svc_state_release(&st);
                }
        }
        const json_t *last = v2c_journal_get(j, v2c_journal_count(j) - 1);
        json_t *doc = json_pack("{s:s, s:s?, s:b, s:O?, s:o}", "schema", "v2c.rollout-status/1", "name",
                                pb ? pb->name : NULL, "finished",
                                v2c_journal_last(j, NULL, "finished") != NULL, "last_record", last, "services", svcs);
        v2c_journal_close(j);
        if (doc == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        *out = doc;
        return 0;
}
