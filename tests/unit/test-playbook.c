/* Unit tests for the rollout playbook (rollout/playbook.c): both samples
 * parsed into the values they say, the canonical form read back to the
 * same structures, and invalid playbooks, each compared with the exact
 * "FILE:LINE:COL: problem" lines a user would see.  Invalid playbooks are
 * variants of one small valid playbook (BASE) with one line changed, so
 * each case shows only what it breaks.  Every buffer handed to the parser
 * is an exact-size heap copy without a NUL, so AddressSanitizer catches
 * any read past it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "unit-main.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cleanup.h"
#include "error.h"
#include "json.h"
#include "playbook.h"

/* ------------------------------------------------------------------------
 * Helpers
 */

#define HEX_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define HEX_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

/* A valid playbook; line numbers matter to the cases below. */
static const char BASE[] =
        "version: 1\n"                                                          /*  1 */
        "name: t\n"                                                             /*  2 */
        "analyses:\n"                                                           /*  3 */
        "  errors:\n"                                                           /*  4 */
        "    metrics:\n"                                                        /*  5 */
        "      - name: rate\n"                                                  /*  6 */
        "        provider: {haproxy: {metric: http_5xx_rate}}\n"                /*  7 */
        "        success_condition: result < 0.01\n"                           /*  8 */
        "        interval: 10s\n"                                               /*  9 */
        "        count: 3\n"                                                    /* 10 */
        "        failure_limit: 1\n"                                            /* 11 */
        "gates:\n"                                                              /* 12 */
        "  hook:\n"                                                             /* 13 */
        "    webhook: {url: \"http://127.0.0.1:9000/gate\"}\n"                  /* 14 */
        "waves:\n"                                                              /* 15 */
        "  - name: one\n"                                                       /* 16 */
        "    services:\n"                                                       /* 17 */
        "      - name: web\n"                                                   /* 18 */
        "        vm: {qmp: /run/web.qmp, endpoint: \"127.0.0.1:8080\"}\n"       /* 19 */
        "        container:\n"                                                  /* 20 */
        "          engine: /run/podman.sock\n"                                  /* 21 */
        "          image: reg.example/web@sha256:" HEX_A "\n"                   /* 22 */
        "          ports: [\"9080:80\"]\n"                                      /* 23 */
        "        router: {socket: /run/haproxy.sock, backend: web, vm_server: vm, container_server: ct}\n" /* 24 */
        "        strategy:\n"                                                   /* 25 */
        "          canary:\n"                                                   /* 26 */
        "            steps:\n"                                                  /* 27 */
        "              - gate: hook\n"                                          /* 28 */
        "              - setWeight: 10\n"                                       /* 29 */
        "              - pause: 30s\n"                                          /* 30 */
        "              - analysis: errors\n"                                    /* 31 */
        "              - setWeight: 100\n"                                      /* 32 */
        "      - name: api\n"                                                   /* 33 */
        "        depends_on: [web]\n"                                           /* 34 */
        "        vm: {qmp: /run/api.qmp, endpoint: \"127.0.0.1:8081\"}\n"       /* 35 */
        "        container: {engine: /run/podman.sock, image: \"reg.example/api@sha256:" HEX_B
        "\", ports: [\"9081:80\"]}\n"                                           /* 36 */
        "        router: {socket: /run/haproxy.sock, backend: api, vm_server: vm, container_server: ct}\n" /* 37 */
        "        strategy: {blueGreen: {promotion: manual}}\n";                 /* 38 */

/* An exact-size copy of s without its NUL (new). */
static char *exact(const char *s, size_t len)
{
        char *p = malloc(len ? len : 1);
        assert_non_null(p);
        memcpy(p, s, len);
        return p;
}

static int parse_len(const char *text, size_t len, struct v2c_playbook **pb, struct v2c_error **err)
{
        _cleanup_free_ char *data = exact(text, len);
        return v2c_playbook_parse(data, len, "pb.yaml", pb, err);
}

static struct v2c_playbook *parse_ok(const char *text)
{
        struct v2c_playbook *pb = NULL;
        struct v2c_error *err = NULL;
        int r = parse_len(text, strlen(text), &pb, &err);
        if (r < 0)
                fail_msg("parse failed:\n%s", err ? err->msg : "(no message)");
        assert_null(err);
        assert_non_null(pb);
        return pb;
}

/* Parses TEXT, which must fail with exactly the message WANT. */
static void assert_problems(const char *text, const char *want)
{
        struct v2c_playbook *pb = NULL;
        struct v2c_error *err = NULL;
        int r = parse_len(text, strlen(text), &pb, &err);
        if (r == 0)
                fail_msg("parsed, but should have failed with:\n%s", want);
        assert_int_equal(r, -EINVAL);
        assert_null(pb);            /* untouched on failure */
        assert_non_null(err);
        assert_int_equal(err->kind, V2C_ERR_INPUT);
        if (strcmp(err->msg, want) != 0)
                fail_msg("got:\n%s\nwant:\n%s", err->msg, want);
        v2c_error_free(err);
}

/* TEXT with the first FROM replaced by TO (new); FROM must be there. */
static char *replace(const char *text, const char *from, const char *to)
{
        const char *at = strstr(text, from);
        if (at == NULL)
                fail_msg("`%s` is not in the text", from);
        char *out = NULL;
        assert_true(asprintf(&out, "%.*s%s%s", (int) (at - text), text, to, at + strlen(from)) >= 0);
        return out;
}

/* BASE with one change, which must fail with WANT. */
static void assert_variant(const char *from, const char *to, const char *want)
{
        _cleanup_free_ char *text = replace(BASE, from, to);
        assert_problems(text, want);
}

static struct v2c_playbook *load_ok(const char *path)
{
        struct v2c_playbook *pb = NULL;
        struct v2c_error *err = NULL;
        if (v2c_playbook_load(path, &pb, &err) < 0)
                fail_msg("loading %s failed:\n%s", path, err ? err->msg : "(no message)");
        return pb;
}

static char *canonical(const struct v2c_playbook *pb)
{
        _cleanup_json_ json_t *j = v2c_playbook_to_json(pb);
        assert_non_null(j);
        char *s = v2c_json_dump(j);
        assert_non_null(s);
        return s;
}

/* The canonical form is a playbook that reads back to itself. */
static void assert_round_trip(const struct v2c_playbook *pb)
{
        _cleanup_free_ char *a = canonical(pb);
        struct v2c_playbook *again = parse_ok(a);
        _cleanup_free_ char *b = canonical(again);
        assert_string_equal(a, b);
        v2c_playbook_free(again);
}

/* ------------------------------------------------------------------------
 * The samples
 */

static void test_sample_canary(void **state)
{
        (void) state;
        _cleanup_playbook_ struct v2c_playbook *pb = load_ok("samples/rollout-canary.yaml");
        assert_string_equal(pb->file, "samples/rollout-canary.yaml");
        assert_string_equal(pb->name, "web01-canary");

        assert_int_equal(pb->n_analyses, 1);
        const struct v2c_pb_analysis *a = &pb->analyses[0];
        assert_string_equal(a->name, "web-health");
        assert_int_equal(a->n_metrics, 2);
        const struct v2c_pb_metric *m = &a->metrics[0];
        assert_string_equal(m->name, "error-rate");
        assert_int_equal(m->provider, V2C_PB_PROVIDER_HAPROXY);
        assert_int_equal(m->haproxy_metric, V2C_PB_HAPROXY_HTTP_5XX_RATE);
        assert_true(m->success.set);
        assert_int_equal(m->success.op, V2C_PB_LT);
        assert_true(m->success.threshold == 0.01);
        assert_true(m->failure.set);
        assert_int_equal(m->failure.op, V2C_PB_GE);
        assert_true(m->failure.threshold == 0.05);
        assert_int_equal(m->interval_ms, 10000);
        assert_int_equal(m->count, 6);
        assert_int_equal(m->failure_limit, 1);
        m = &a->metrics[1];
        assert_int_equal(m->haproxy_metric, V2C_PB_HAPROXY_RESPONSE_TIME_MS);
        assert_int_equal(m->success.op, V2C_PB_LE);
        assert_true(m->success.threshold == 250);
        assert_false(m->failure.set);
        assert_int_equal(m->failure_limit, 2);

        assert_int_equal(pb->n_gates, 1);
        const struct v2c_pb_gate *g = &pb->gates[0];
        assert_string_equal(g->name, "change-window");
        assert_int_equal(g->kind, V2C_PB_GATE_WEBHOOK);
        assert_string_equal(g->url, "http://127.0.0.1:9000/v2c/change-window");
        assert_int_equal(g->timeout_ms, 5000);
        assert_int_equal(g->n_headers, 1);
        assert_string_equal(g->headers[0].key, "X-V2C-Team");
        assert_string_equal(g->headers[0].value, "web");

        assert_int_equal(pb->n_waves, 2);
        assert_string_equal(pb->waves[0].name, "apps");
        assert_string_equal(pb->waves[1].name, "front");
        assert_int_equal(pb->waves[0].n_gates, 0);
        assert_int_equal(pb->waves[0].n_services, 1);
        assert_int_equal(pb->waves[1].n_services, 1);

        const struct v2c_pb_service *s = v2c_playbook_service(pb, "webapp");
        assert_ptr_equal(s, &pb->waves[0].services[0]);
        assert_int_equal(s->wave, 0);
        assert_null(s->depends_on);
        assert_int_equal(s->vm.kind, V2C_PB_VM_QMP);
        assert_string_equal(s->vm.qmp, "/run/v2c/web01.qmp");
        assert_string_equal(s->vm.endpoint, "127.0.0.1:18001");
        assert_string_equal(s->vm.endpoint_host, "127.0.0.1");
        assert_int_equal(s->vm.endpoint_port, 18001);
        assert_int_equal(s->vm.shutdown_timeout_ms, 60000);
        const struct v2c_pb_container *ct = &s->container;
        assert_string_equal(ct->engine, "/run/v2c/podman.sock");
        assert_string_equal(ct->image, "127.0.0.1:5000/web01/webapp@sha256:"
                                       "28fa823b0979266637d2a2caccc26a6981e6ffc747b451c7c50251dea337b5ab");
        assert_string_equal(ct->name, "v2c-webapp");
        assert_int_equal(ct->n_ports, 1);
        assert_int_equal(ct->ports[0].host_port, 18101);
        assert_int_equal(ct->ports[0].container_port, 8000);
        assert_int_equal(ct->n_env, 2);
        assert_string_equal(ct->env[0].key, "WEBAPP_WORKERS");
        assert_string_equal(ct->env[0].value, "2");
        assert_string_equal(ct->env[1].key, "WEBAPP_LOG_LEVEL");
        assert_string_equal(ct->env[1].value, "info");
        assert_int_equal(ct->n_volumes, 1);
        assert_string_equal(ct->volumes[0].source, "/srv/v2c/webapp/uploads");
        assert_string_equal(ct->volumes[0].target, "/var/lib/webapp/uploads");
        assert_false(ct->volumes[0].read_only);
        assert_int_equal(ct->ready_port, 18101);
        assert_string_equal(ct->ready_path, "/healthz");
        assert_int_equal(ct->ready_timeout_ms, 60000);
        assert_string_equal(s->router.socket, "/run/v2c/haproxy.sock");
        assert_string_equal(s->router.backend, "webapp");
        assert_string_equal(s->router.vm_server, "vm");
        assert_string_equal(s->router.container_server, "container");

        /* The playbook's default strategy, read into each service. */
        const struct v2c_pb_strategy *st = &s->strategy;
        assert_int_equal(st->kind, V2C_PB_CANARY);
        assert_int_equal(st->n_steps, 9);
        assert_int_equal(st->steps[0].kind, V2C_PB_STEP_GATE);
        assert_ptr_equal(st->steps[0].gate, &pb->gates[0]);
        static const unsigned weights[] = { 10, 50, 100 };
        static const size_t at[] = { 1, 4, 7 };
        for (size_t i = 0; i < 3; i++) {
                assert_int_equal(st->steps[at[i]].kind, V2C_PB_STEP_SET_WEIGHT);
                assert_int_equal(st->steps[at[i]].weight, weights[i]);
                assert_int_equal(st->steps[at[i] + 2 - (i == 2)].kind, V2C_PB_STEP_ANALYSIS);
        }
        assert_int_equal(st->steps[2].kind, V2C_PB_STEP_PAUSE);
        assert_int_equal(st->steps[2].pause_ms, 60000);
        assert_int_equal(st->steps[5].pause_ms, 120000);
        assert_int_equal(st->steps[3].n_analyses, 1);
        assert_ptr_equal(st->steps[3].analyses[0], &pb->analyses[0]);

        assert_int_equal(s->after.vm, V2C_PB_VM_DRAINED);
        assert_int_equal(s->after.drain_timeout_ms, 5 * 60000);
        assert_int_equal(s->after.rollback_window_ms, 24 * 3600000ull);
        assert_int_equal(s->after.finalize_vm, V2C_PB_FINALIZE_STOP);

        s = v2c_playbook_service(pb, "nginx");
        assert_non_null(s);
        assert_int_equal(s->wave, 1);
        assert_non_null(s->depends_on);
        assert_string_equal(s->depends_on[0], "webapp");
        assert_null(s->depends_on[1]);
        assert_int_equal(s->strategy.n_steps, 9);
        assert_true(s->container.volumes[0].read_only);
        assert_null(s->container.ready_path);
        assert_int_equal(s->container.ready_port, 18100);
        assert_null(v2c_playbook_service(pb, "nope"));

        assert_round_trip(pb);
}

static void test_sample_bluegreen(void **state)
{
        (void) state;
        _cleanup_playbook_ struct v2c_playbook *pb = load_ok("samples/rollout-bluegreen.yaml");
        assert_string_equal(pb->name, "web01-worker-bluegreen");
        assert_int_equal(pb->n_analyses, 2);
        const struct v2c_pb_metric *m = &pb->analyses[0].metrics[0];
        assert_int_equal(m->provider, V2C_PB_PROVIDER_HTTP);
        assert_string_equal(m->url, "http://127.0.0.1:18102/healthz");
        assert_int_equal(m->expect_status, 200);
        assert_int_equal(m->timeout_ms, 2000);
        assert_int_equal(m->success.op, V2C_PB_EQ);
        assert_true(m->success.threshold == 1);
        m = &pb->analyses[1].metrics[1];
        assert_int_equal(m->haproxy_metric, V2C_PB_HAPROXY_ERRORS_RATE);
        assert_false(m->success.set);
        assert_int_equal(m->failure.op, V2C_PB_GT);

        assert_int_equal(pb->n_gates, 1);
        assert_int_equal(pb->gates[0].kind, V2C_PB_GATE_APPROVAL);
        assert_string_equal(pb->gates[0].message, "start only inside the maintenance window");
        assert_int_equal(pb->waves[0].n_gates, 1);
        assert_ptr_equal(pb->waves[0].gates[0], &pb->gates[0]);

        const struct v2c_pb_service *s = v2c_playbook_service(pb, "worker");
        assert_non_null(s);
        assert_int_equal(s->vm.kind, V2C_PB_VM_LIBVIRT);
        assert_string_equal(s->vm.domain, "web01");
        assert_string_equal(s->vm.uri, "qemu:///system");
        assert_int_equal(s->vm.shutdown_timeout_ms, 90000);
        assert_string_equal(s->container.name, "web01-worker");
        assert_int_equal(s->container.ready_port, 18102);
        assert_int_equal(s->container.ready_timeout_ms, 120000);
        /* A number as an environment value is kept as written. */
        assert_string_equal(s->container.env[1].key, "WORKER_CONCURRENCY");
        assert_string_equal(s->container.env[1].value, "4");

        const struct v2c_pb_strategy *st = &s->strategy;
        assert_int_equal(st->kind, V2C_PB_BLUE_GREEN);
        assert_int_equal(st->n_steps, 0);
        assert_int_equal(st->n_pre_promotion, 1);
        assert_ptr_equal(st->pre_promotion[0], &pb->analyses[0]);
        assert_int_equal(st->promotion, V2C_PB_PROMOTION_MANUAL);
        assert_int_equal(st->bake_ms, 5 * 60000);
        assert_int_equal(st->n_post_promotion, 1);
        assert_ptr_equal(st->post_promotion[0], &pb->analyses[1]);
        assert_int_equal(st->n_gates, 0);

        assert_int_equal(s->after.vm, V2C_PB_VM_STOPPED);
        assert_int_equal(s->after.drain_timeout_ms, 2 * 60000);
        assert_int_equal(s->after.rollback_window_ms, 7 * 24 * 3600000ull);
        assert_int_equal(s->after.finalize_vm, V2C_PB_FINALIZE_KEEP);

        assert_round_trip(pb);
}

/* ------------------------------------------------------------------------
 * Reading
 */

static void test_base_and_defaults(void **state)
{
        (void) state;
        _cleanup_playbook_ struct v2c_playbook *pb = parse_ok(BASE);
        const struct v2c_pb_service *api = v2c_playbook_service(pb, "api");
        assert_non_null(api);
        const struct v2c_pb_strategy *st = &api->strategy;
        assert_int_equal(st->kind, V2C_PB_BLUE_GREEN);
        assert_int_equal(st->bake_ms, 30000);          /* Argo's 30 s */
        assert_int_equal(st->n_pre_promotion, 0);
        assert_int_equal(api->after.vm, V2C_PB_VM_DRAINED);
        assert_int_equal(api->after.rollback_window_ms, 24 * 3600000ull);
        assert_int_equal(api->container.ready_port, 9081);
        assert_int_equal(api->container.ready_timeout_ms, 60000);
        assert_int_equal(api->vm.shutdown_timeout_ms, 60000);
        const struct v2c_pb_metric *m = &pb->analyses[0].metrics[0];
        assert_int_equal(m->timeout_ms, 5000);
        assert_int_equal(m->expect_status, 200);
        assert_int_equal(pb->gates[0].timeout_ms, 10000);
        assert_round_trip(pb);
}

/* waves[0].services[0].container.harden of the canonical form of PB,
 * compact JSON (new). */
static char *canonical_harden(const struct v2c_playbook *pb)
{
        _cleanup_json_ json_t *j = v2c_playbook_to_json(pb);
        assert_non_null(j);
        json_t *svc = json_array_get(json_object_get(json_array_get(json_object_get(j, "waves"), 0), "services"), 0);
        json_t *h = json_object_get(json_object_get(svc, "container"), "harden");
        assert_non_null(h);
        char *s = json_dumps(h, JSON_COMPACT | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER);
        assert_non_null(s);
        return s;
}

/* container.harden: all kept by default, `false` for none of it, or a
 * map loosening parts; the canonical form keeps what was asked. */
static void test_harden(void **state)
{
        (void) state;
        _cleanup_playbook_ struct v2c_playbook *pb = parse_ok(BASE);
        const struct v2c_pb_harden *h = &v2c_playbook_service(pb, "web")->container.harden;
        assert_true(h->enabled && h->read_only_root && h->no_new_privileges && h->limits);
        _cleanup_free_ char *c = canonical_harden(pb);
        assert_string_equal(c, "{\"read_only_root\":true,\"no_new_privileges\":true,\"limits\":true}");

        _cleanup_free_ char *off = replace(BASE, "          ports: [\"9080:80\"]\n",
                                           "          ports: [\"9080:80\"]\n          harden: false\n");
        _cleanup_playbook_ struct v2c_playbook *pb_off = parse_ok(off);
        h = &v2c_playbook_service(pb_off, "web")->container.harden;
        assert_false(h->enabled || h->read_only_root || h->no_new_privileges || h->limits);
        assert_true(v2c_playbook_service(pb_off, "api")->container.harden.enabled);
        _cleanup_free_ char *c_off = canonical_harden(pb_off);
        assert_string_equal(c_off, "false");
        assert_round_trip(pb_off);

        _cleanup_free_ char *ro = replace(BASE, "          ports: [\"9080:80\"]\n",
                                          "          ports: [\"9080:80\"]\n          harden: {read_only_root: false}\n");
        _cleanup_playbook_ struct v2c_playbook *pb_ro = parse_ok(ro);
        h = &v2c_playbook_service(pb_ro, "web")->container.harden;
        assert_true(h->enabled && !h->read_only_root && h->no_new_privileges && h->limits);
        _cleanup_free_ char *c_ro = canonical_harden(pb_ro);
        assert_string_equal(c_ro, "{\"read_only_root\":false,\"no_new_privileges\":true,\"limits\":true}");
        assert_round_trip(pb_ro);

        /* Only true and false: yes, 1 and "false" read differently in
         * YAML 1.1 and 1.2, or not as booleans at all. */
        assert_variant("          ports: [\"9080:80\"]\n", "          ports: [\"9080:80\"]\n          harden: no\n",
                       "pb.yaml:24:19: `harden` must be true or false, not `no`");
        assert_variant("          ports: [\"9080:80\"]\n",
                       "          ports: [\"9080:80\"]\n          harden: {limits: \"false\"}\n",
                       "pb.yaml:24:28: `limits` must be true or false, not `false`");
        assert_variant("          ports: [\"9080:80\"]\n",
                       "          ports: [\"9080:80\"]\n          harden: {no_new_privilege: false}\n",
                       "pb.yaml:24:20: unknown key `no_new_privilege` (did you mean `no_new_privileges`?)");
        assert_variant("          ports: [\"9080:80\"]\n", "          ports: [\"9080:80\"]\n          harden: [false]\n",
                       "pb.yaml:24:19: `harden` (true, false, or a map) must be a mapping, not a list");
}

static void test_durations(void **state)
{
        (void) state;
        static const struct {
                const char *text;
                uint64_t ms;
        } ok[] = {
                { "30s", 30000 }, { "2m", 120000 }, { "1h30m", 5400000 }, { "90m", 5400000 },
                { "45", 45000 },  { "\"45\"", 45000 }, { "1d", 86400000 }, { "1m500ms", 60500 },
                { "30d", 30 * 86400000ull },
        };
        for (size_t i = 0; i < V2C_ARRAY_SIZE(ok); i++) {
                _cleanup_free_ char *p = NULL;
                assert_true(asprintf(&p, "- pause: %s\n", ok[i].text) > 0);
                _cleanup_free_ char *text = replace(BASE, "- pause: 30s\n", p);
                _cleanup_playbook_ struct v2c_playbook *pb = parse_ok(text);
                assert_int_equal(pb->waves[0].services[0].strategy.steps[2].pause_ms, ok[i].ms);
        }
        /* The canonical spelling. */
        _cleanup_free_ char *text = replace(BASE, "- pause: 30s\n", "- pause: 5400\n");
        _cleanup_playbook_ struct v2c_playbook *pb = parse_ok(text);
        _cleanup_free_ char *json = canonical(pb);
        assert_non_null(strstr(json, "\"duration\": \"1h30m\""));

        static const char *const bad[] = { "30m1h", "1.5h", "-5", "5 s", "1h1h", "s", "10x", "\"\"", "1000000000" };
        for (size_t i = 0; i < V2C_ARRAY_SIZE(bad); i++) {
                _cleanup_free_ char *p = NULL;
                assert_true(asprintf(&p, "- pause: %s\n", bad[i]) > 0);
                _cleanup_free_ char *t = replace(BASE, "- pause: 30s\n", p);
                struct v2c_playbook *none = NULL;
                struct v2c_error *err = NULL;
                assert_int_equal(parse_len(t, strlen(t), &none, &err), -EINVAL);
                assert_non_null(strstr(err->msg, "pb.yaml:30:24: `pause`"));
                v2c_error_free(err);
        }
}

static void test_conditions(void **state)
{
        (void) state;
        static const struct {
                const char *text;
                enum v2c_pb_op op;
                double threshold;
        } ok[] = {
                { "result < 0.01", V2C_PB_LT, 0.01 }, { "result <= 250", V2C_PB_LE, 250 },
                { "result > -1", V2C_PB_GT, -1 },     { "result >= 1e-3", V2C_PB_GE, 1e-3 },
                { "result == 0", V2C_PB_EQ, 0 },      { "result != 1", V2C_PB_NE, 1 },
                { "result<5", V2C_PB_LT, 5 },          { "\"  result   ==   2.5  \"", V2C_PB_EQ, 2.5 },
        };
        for (size_t i = 0; i < V2C_ARRAY_SIZE(ok); i++) {
                _cleanup_free_ char *c = NULL;
                assert_true(asprintf(&c, "success_condition: %s\n", ok[i].text) > 0);
                _cleanup_free_ char *text = replace(BASE, "success_condition: result < 0.01\n", c);
                _cleanup_playbook_ struct v2c_playbook *pb = parse_ok(text);
                const struct v2c_pb_condition *cond = &pb->analyses[0].metrics[0].success;
                assert_true(cond->set);
                assert_int_equal(cond->op, ok[i].op);
                assert_true(cond->threshold == ok[i].threshold);
                assert_round_trip(pb);
        }
        assert_variant("result < 0.01", "result = 0",
                       "pb.yaml:8:28: `success_condition`: `result = 0` is not a condition (write `result OP NUMBER`, "
                       "OP one of < <= > >= == !=)");
        assert_variant("result < 0.01", "value < 1",
                       "pb.yaml:8:28: `success_condition`: `value < 1` is not a condition (write `result OP NUMBER`, "
                       "OP one of < <= > >= == !=)");
        assert_variant("result < 0.01", "result < nan",
                       "pb.yaml:8:28: `success_condition`: `result < nan` is not a condition (write `result OP "
                       "NUMBER`, OP one of < <= > >= == !=)");
        assert_variant("        success_condition: result < 0.01\n", "",
                       "pb.yaml:6:9: a metric needs `success_condition`, `failure_condition` or both");

        /* NaN (no traffic) satisfies nothing: the measurement is inconclusive. */
        struct v2c_pb_condition lt = { true, V2C_PB_LT, 0.01 }, ne = { true, V2C_PB_NE, 1 };
        assert_true(v2c_pb_condition_holds(&lt, 0.005));
        assert_false(v2c_pb_condition_holds(&lt, 0.01));
        assert_false(v2c_pb_condition_holds(&lt, NAN));
        assert_false(v2c_pb_condition_holds(&ne, NAN));
        assert_true(v2c_pb_condition_holds(&ne, 0));
        struct v2c_pb_condition unset = { 0 };
        assert_false(v2c_pb_condition_holds(&unset, 0));
}

static void test_json(void **state)
{
        (void) state;
        /* JSON through libyaml (it is YAML), with positions. */
        assert_problems("{\"version\": 1, \"name\": \"j\",\n \"waves\": [], \"wavez\": 1}",
                        "pb.yaml:2:11: `waves` is empty: a playbook moves at least one service\n"
                        "pb.yaml:2:15: unknown key `wavez` (did you mean `waves`?)");
        /* A surrogate pair is JSON that YAML 1.1 refuses: jansson reads it,
         * and the positions still count characters. */
        assert_problems("{\"version\": 1,\n \"name\": \"\\ud83d\\ude00\",\n \"waves\": []}",
                        "pb.yaml:2:10: `name`: `\xf0\x9f\x98\x80` is not a valid name (letters, digits, `.`, `_`, "
                        "`-`, starting with a letter or digit, at most 63)\n"
                        "pb.yaml:3:11: `waves` is empty: a playbook moves at least one service");
        /* Broken JSON: the parser that got further speaks. */
        assert_problems("{\"version\": 1,\n \"name\": \"\\ud83d\\ude00\",\n \"waves\": [}",
                        "pb.yaml:3:12: unexpected token near '}'");

        /* The canonical form of BASE, as JSON, reads back the same. */
        _cleanup_playbook_ struct v2c_playbook *pb = parse_ok(BASE);
        _cleanup_free_ char *json = canonical(pb);
        _cleanup_playbook_ struct v2c_playbook *again = parse_ok(json);
        _cleanup_free_ char *json2 = canonical(again);
        assert_string_equal(json, json2);
}

/* ------------------------------------------------------------------------
 * Invalid playbooks
 */

static void test_image(void **state)
{
        (void) state;
        assert_variant("reg.example/web@sha256:" HEX_A, "reg.example/web:1.25",
                       "pb.yaml:22:18: `image`: `reg.example/web:1.25` is a tag, and a tag is refused: give "
                       "HOST[:PORT]/PATH@sha256:<64 lowercase hex digits>");
        assert_variant("reg.example/web@sha256:" HEX_A, "reg.example/web",
                       "pb.yaml:22:18: `image`: `reg.example/web` has no digest (a tag is refused): give "
                       "HOST[:PORT]/PATH@sha256:<64 lowercase hex digits>");
        assert_variant("reg.example/web@sha256:" HEX_A, "reg.example/web:1.25@sha256:" HEX_A,
                       "pb.yaml:22:18: `image`: `reg.example/web:1.25@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...` "
                       "has a tag, and a tag is refused: pin it by digest alone "
                       "(HOST[:PORT]/PATH@sha256:<64 lowercase hex digits>)");
        assert_variant("reg.example/web@sha256:" HEX_A, "web@sha256:" HEX_A,
                       "pb.yaml:22:18: `image`: `web@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...` "
                       "names no registry: give HOST[:PORT]/PATH@sha256:...");
        assert_variant("reg.example/web@sha256:" HEX_A, "reg.example/web@sha256:" HEX_A "a",
                       "pb.yaml:22:18: `image`: `reg.example/web@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...` "
                       "has a digest that is not sha256: and 64 lowercase hex digits");
        assert_variant("reg.example/web@sha256:" HEX_A,
                       "reg.example/web@sha256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                       "pb.yaml:22:18: `image`: `reg.example/web@sha256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA...` "
                       "has a digest that is not sha256: and 64 lowercase hex digits");
        assert_variant("reg.example/web@sha256:" HEX_A, "reg.example/web@sha512:" HEX_A,
                       "pb.yaml:22:18: `image`: `reg.example/web@sha512:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...` "
                       "has a digest that is not sha256:");
        assert_variant("reg.example/web@sha256:" HEX_A, "reg.example/Web@sha256:" HEX_A,
                       "pb.yaml:22:18: `image`: `reg.example/Web@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...` "
                       "is not a valid repository name (lowercase letters, digits, `.`, `_`, `-`)");
}

static void test_unknown_keys(void **state)
{
        (void) state;
        assert_variant("        interval: 10s", "        intervall: 10s",
                       "pb.yaml:9:9: unknown key `intervall` (did you mean `interval`?)");
        assert_variant("- setWeight: 10", "- setweight: 10",
                       "pb.yaml:29:17: unknown key `setweight` (did you mean `setWeight`?)");
        assert_variant("        depends_on: [web]", "        dependson: [web]",
                       "pb.yaml:34:9: unknown key `dependson` (did you mean `depends_on`?)");
        /* Nothing close: no guess. */
        assert_variant("        interval: 10s", "        colour: 10s", "pb.yaml:9:9: unknown key `colour`");
        assert_variant("        interval: 10s", "        <<: {}",
                       "pb.yaml:9:9: merge keys (`<<`) are not supported: use an alias (`*name`) for the whole "
                       "value");
        assert_variant("        count: 3\n", "        count: 3\n        interval: 5s\n",
                       "pb.yaml:11:9: duplicate key `interval` (first at 9:9)");
        /* x- keys at the top level hold anchors. */
        _cleanup_free_ char *text = replace(BASE, "name: t\n",
                                            "name: t\nx-router: &r {socket: /run/haproxy.sock, backend: web, "
                                            "vm_server: vm, container_server: ct}\n");
        _cleanup_free_ char *text2 = replace(text, "        router: {socket: /run/haproxy.sock, backend: web, "
                                                   "vm_server: vm, container_server: ct}\n",
                                             "        router: *r\n");
        _cleanup_playbook_ struct v2c_playbook *pb = parse_ok(text2);
        assert_string_equal(pb->waves[0].services[0].router.backend, "web");
}

static void test_steps(void **state)
{
        (void) state;
        assert_variant("- setWeight: 100", "- setWeight: 10",
                       "pb.yaml:32:28: `setWeight` 10 does not increase the weight (the step at 29:28 set 10)\n"
                       "pb.yaml:32:28: the last `setWeight` is 10: a canary must end at `setWeight` 100");
        assert_variant("- setWeight: 100", "- setWeight: 90",
                       "pb.yaml:32:28: the last `setWeight` is 90: a canary must end at `setWeight` 100");
        assert_variant("- setWeight: 100", "- setWeight: 150", "pb.yaml:32:28: `setWeight` must be from 0 to 100, not 150");
        assert_variant("- setWeight: 10\n", "- setWeight: 0\n",
                       "pb.yaml:29:28: `setWeight` 0 sends nothing to the container (it starts at 0)");
        assert_variant("              - setWeight: 10\n              - pause: 30s\n              - analysis: errors\n"
                       "              - setWeight: 100\n",
                       "              - pause: 30s\n",
                       "pb.yaml:28:15: a canary needs `setWeight` steps that end at 100");
        /* HAProxy counters see no container traffic before the first weight. */
        assert_variant("              - gate: hook\n", "              - analysis: [errors]\n",
                       "pb.yaml:28:28: `analysis`: analysis `errors` reads HAProxy counters, but no traffic reaches "
                       "the container before the first `setWeight`; use an http or prometheus metric there");
        assert_variant("{blueGreen: {promotion: manual}}", "{blueGreen: {pre_promotion_analysis: errors}}",
                       "pb.yaml:38:56: `pre_promotion_analysis`: analysis `errors` reads HAProxy counters, but no "
                       "traffic reaches the container before promotion; use an http or prometheus metric there");
        assert_variant("- analysis: errors", "- analysis: error",
                       "pb.yaml:31:27: `analysis`: unknown analysis `error` (did you mean `errors`?)");
        assert_variant("- analysis: errors", "- analysis: []", "pb.yaml:31:27: `analysis` must name 1 to 64 analyses");
        assert_variant("- gate: hook", "- gate: hooks", "pb.yaml:28:23: `gate`: unknown gate `hooks` (did you mean `hook`?)");
        assert_variant("- gate: hook", "- {gate: hook, setWeight: 5}",
                       "pb.yaml:28:17: a step holds exactly one of `setWeight`, `pause`, `analysis` or `gate`");
        assert_variant("- pause: 30s", "- pause: {duration: 1m, until: approved}",
                       "pb.yaml:30:24: `pause` takes `duration` or `until`, not both");
        assert_variant("- pause: 30s", "- pause: {until: approve}",
                       "pb.yaml:30:32: `until` must be `approved`, not `approve` (did you mean `approved`?)");
        assert_variant("{blueGreen: {promotion: manual}}", "{blueGreen: {promotion: manuel}}",
                       "pb.yaml:38:43: `promotion` must be `auto` or `manual`, not `manuel` (did you mean "
                       "`manual`?)");
        assert_variant("{blueGreen: {promotion: manual}}", "{canary: {}, blueGreen: {}}",
                       "pb.yaml:38:19: `strategy` must hold exactly one of `canary` or `blueGreen`");

        /* Until approved, three ways. */
        static const char *const until[] = { "- pause: {}\n", "- pause:\n", "- pause: {until: approved}\n" };
        for (size_t i = 0; i < V2C_ARRAY_SIZE(until); i++) {
                _cleanup_free_ char *text = replace(BASE, "- pause: 30s\n", until[i]);
                _cleanup_playbook_ struct v2c_playbook *pb = parse_ok(text);
                assert_int_equal(pb->waves[0].services[0].strategy.steps[2].kind, V2C_PB_STEP_PAUSE);
                assert_int_equal(pb->waves[0].services[0].strategy.steps[2].pause_ms, 0);
        }
}

static void test_services(void **state)
{
        (void) state;
        assert_variant("      - name: api\n", "      - name: web\n",
                       "pb.yaml:33:15: duplicate service name `web` (first at 18:15)");
        assert_variant("depends_on: [web]", "depends_on: [wbe]",
                       "pb.yaml:34:22: `depends_on`: no service is named `wbe` (did you mean `web`?)");
        assert_variant("depends_on: [web]", "depends_on: [web, web]", "pb.yaml:34:27: `depends_on`: `web` is named twice");
        assert_variant("\"9081:80\"", "\"9080:80\"",
                       "pb.yaml:36:153: host port 9080 is also published by service `web` on the same engine");
        assert_variant("backend: api", "backend: web", "pb.yaml:37:17: backend `web` is also cut over by service `web`");
        assert_variant("container_server: ct}\n        strategy: {blue", "container_server: vm}\n        strategy: {blue",
                       "pb.yaml:37:92: `container_server` must differ from `vm_server`");
        assert_variant("endpoint: \"127.0.0.1:8080\"", "endpoint: \"127.0.0.1:80800\"",
                       "pb.yaml:19:43: `endpoint`: `127.0.0.1:80800` is not HOST:PORT (a host name, an IPv4 address "
                       "or [IPv6], and a port from 1 to 65535)");
        assert_variant("endpoint: \"127.0.0.1:8080\"", "endpoint: \"::1:8080\"",
                       "pb.yaml:19:43: `endpoint`: `::1:8080` is not HOST:PORT (a host name, an IPv4 address or "
                       "[IPv6], and a port from 1 to 65535)");
        assert_variant("qmp: /run/web.qmp", "qmp: run/web.qmp", "pb.yaml:19:19: `qmp`: `run/web.qmp` is not an absolute path");
        assert_variant("engine: /run/podman.sock\n", "engine: /run/" "0123456789012345678901234567890123456789"
                                                     "0123456789012345678901234567890123456789012345678901234567890.sock\n",
                       "pb.yaml:21:19: `engine`: a unix socket path has at most 107 bytes");
        assert_variant("ports: [\"9080:80\"]", "ports: [\"127.0.0.1:9080:80\"]",
                       "pb.yaml:23:19: a port: `127.0.0.1:9080:80`: ports are published on 127.0.0.1 only; write "
                       "HOST_PORT:CONTAINER_PORT");
        assert_variant("ports: [\"9080:80\"]", "ports: []", "pb.yaml:23:18: `ports` must list 1 to 64 ports");
        assert_variant("          ports: [\"9080:80\"]\n",
                       "          ports: [\"9080:80\"]\n          volumes: [/a:b]\n",
                       "pb.yaml:24:21: a volume: `/a:b` is not /HOST_PATH:/CONTAINER_PATH[:ro|:rw] (both absolute)");
        assert_variant("          ports: [\"9080:80\"]\n",
                       "          ports: [\"9080:80\"]\n          env: {9X: 1, OK: }\n",
                       "pb.yaml:24:17: `9X` is not an environment variable name ([A-Za-z_][A-Za-z0-9_]*)\n"
                       "pb.yaml:24:28: the value of `OK` must be a string, not null (write \"\" for an empty one)");
        assert_variant("          ports: [\"9080:80\"]\n",
                       "          ports: [\"9080:80\"]\n          readiness: {port: 9999}\n",
                       "pb.yaml:24:29: `port`: 9999 is none of the container's host ports");
        assert_variant("vm: {qmp: /run/web.qmp, ", "vm: {libvirt: {domain: web}, qmp: /run/web.qmp, ",
                       "pb.yaml:19:13: `vm` must hold exactly one of `qmp` (a socket path) or `libvirt` (a domain)");
        assert_variant("        strategy: {blueGreen: {promotion: manual}}\n", "",
                       "pb.yaml:33:9: a service needs a `strategy` when the playbook has no default `strategy`");
        assert_variant("        router: {socket: /run/haproxy.sock, backend: api, vm_server: vm, container_server: ct}\n",
                       "", "pb.yaml:33:9: missing `router` in a service");
}

static void test_waves(void **state)
{
        (void) state;
        /* A dependency in a later wave can never be met. */
        _cleanup_free_ char *later = replace(BASE, "      - name: api\n", "  - name: two\n    services:\n      - name: api\n");
        _cleanup_free_ char *later2 = replace(later, "depends_on: [web]", "depends_on: []");
        _cleanup_free_ char *later3 = replace(later2, "      - name: web\n", "      - name: web\n        depends_on: [api]\n");
        assert_problems(later3, "pb.yaml:19:22: `depends_on`: `api` is in a later wave (`two`), and a wave starts only "
                                "when the one before has finished");

        /* A cycle, reported once where it closes. */
        _cleanup_free_ char *cycle = replace(BASE, "      - name: web\n", "      - name: web\n        depends_on: [api]\n");
        assert_problems(cycle, "pb.yaml:35:22: `depends_on` makes a cycle: web -> api -> web");

        assert_variant("    services:\n", "    services: []\n    x:\n",
                       "pb.yaml:17:15: a wave needs at least one service\n"
                       "pb.yaml:18:5: unknown key `x`");
        _cleanup_free_ char *empty = replace(BASE, "waves:\n", "waves: []\nx-rest:\n");
        assert_problems(empty, "pb.yaml:15:8: `waves` is empty: a playbook moves at least one service");
        _cleanup_free_ char *nosvc = replace(BASE, "  - name: one\n", "  - name: zero\n    services: []\n  - name: one\n");
        assert_problems(nosvc, "pb.yaml:17:15: a wave needs at least one service");
        _cleanup_free_ char *dupw = replace(BASE, "  - name: one\n", "  - name: one\n    services: [*x]\n  - name: one\n");
        assert_problems(dupw, "pb.yaml:17:16: alias `*x` names no complete anchor before it");
}

static void test_types(void **state)
{
        (void) state;
        assert_variant("count: 3", "count: \"3\"", "pb.yaml:10:16: `count` must be a number, not a string");
        assert_variant("count: 3", "count: 2.5", "pb.yaml:10:16: `count` must be a whole number from 1 to 1000, not 2.5");
        assert_variant("count: 3", "count: [3]", "pb.yaml:10:16: `count` must be a number, not a list");
        assert_variant("failure_limit: 1", "failure_limit: 3",
                       "pb.yaml:11:24: `failure_limit` (3) must be less than `count` (3), or the metric could never "
                       "fail");
        assert_variant("name: t\n", "name: {t: 1}\n", "pb.yaml:2:7: `name` must be a string, not a mapping");
        assert_variant("  - name: one\n", "  - name: [one]\n", "pb.yaml:16:11: `name` must be a string, not a list");
        assert_variant("ports: [\"9080:80\"]", "ports: \"9080:80\"", "pb.yaml:23:18: `ports` must be a list, not a string");
        assert_variant("        vm: {qmp", "        vm: true\n        x: {qmp",
                       "pb.yaml:19:13: `vm` must be a mapping, not a boolean\n"
                       "pb.yaml:20:9: unknown key `x`");
        assert_variant("version: 1", "version: 2", "pb.yaml:1:10: unsupported `version` 2: this v2c reads version 1");
        assert_variant("version: 1\n", "",
                       "pb.yaml:1:1: missing `version` in the playbook (this v2c reads version 1)");
        assert_variant("interval: 10s", "interval: 0s", "pb.yaml:9:19: `interval` must be from 1s to 1h, not 0s");
        assert_variant("webhook: {url: \"http://127.0.0.1:9000/gate\"}", "webhook: {url: \"ftp://x/\"}",
                       "pb.yaml:14:20: `url`: `ftp://x/` is not an http:// or https:// URL");
        assert_variant("metric: http_5xx_rate", "metric: http_5xx",
                       "pb.yaml:7:38: `metric` must be `http_5xx_rate`, `errors_rate` or `response_time_ms`, not "
                       "`http_5xx`");
        assert_variant("provider: {haproxy: {metric: http_5xx_rate}}",
                       "provider: {haproxy: {metric: http_5xx_rate}, http: {url: \"http://x/\"}}",
                       "pb.yaml:7:19: `provider` must hold exactly one of `haproxy`, `http` or `prometheus`");
        assert_problems("[1, 2]", "pb.yaml:1:1: a playbook must be a mapping, not a list");
        assert_problems("", "pb.yaml:1:1: the playbook is empty");
        assert_problems("# nothing\n", "pb.yaml:1:1: the playbook is empty");
}

static void test_syntax(void **state)
{
        (void) state;
        /* A plain scalar cannot be a key across two lines. */
        assert_variant("        count: 3\n", "        count: 3\n      bad\n",
                       "pb.yaml:12:22: could not find expected ':' (while scanning a simple key at 11:7)");
        assert_variant("        count: 3\n", "        count: 3\n       - x\n",
                       "pb.yaml:11:8: did not find expected '-' indicator (while parsing a block collection at 6:7)");
        assert_variant("name: t\n", "name: 't\n",
                       "pb.yaml:39:1: found unexpected end of stream (while scanning a quoted scalar at 2:7)");
        assert_variant("name: t\n", "name: t\n\t- x\n",
                       "pb.yaml:3:1: found a tab character that violates indentation (while scanning a plain scalar "
                       "at 2:7)");
        assert_problems("a: 1\n---\nb: 2\n", "pb.yaml:2:1: a playbook is one YAML document, this is a second one");
        assert_problems("a: !!binary aGk=\n", "pb.yaml:1:4: YAML tags are not supported here (`tag:yaml.org,2002:binary`)");
        /* Invalid UTF-8: the position is counted from the byte offset. */
        assert_problems("version: 1\nname: \xff\n", "pb.yaml:2:7: invalid leading UTF-8 octet");

        char deep[200];
        size_t n = (size_t) snprintf(deep, sizeof deep, "a: ");
        for (int i = 0; i < 40; i++)
                deep[n++] = '[';
        deep[n] = '\0';
        assert_problems(deep, "pb.yaml:1:35: nested deeper than 32 levels");
}

static void test_limits(void **state)
{
        (void) state;
        /* Too big, before anything is read. */
        size_t len = V2C_PLAYBOOK_MAX_SIZE + 1;
        char *big = malloc(len);
        assert_non_null(big);
        memset(big, '#', len);
        struct v2c_playbook *pb = NULL;
        struct v2c_error *err = NULL;
        assert_int_equal(v2c_playbook_parse(big, len, "big.yaml", &pb, &err), -EFBIG);
        assert_null(pb);
        assert_string_equal(err->msg, "big.yaml: larger than 1048576 bytes");
        err = v2c_error_free(err);
        free(big);

        /* A default strategy of 1000 steps read into 1000 services (aliases
         * keep the file small) passes the budget of nodes to check. */
        struct v2c_buf b;
        v2c_buf_init(&b, 1 << 20);
        assert_int_equal(v2c_buf_appends(&b, "version: 1\nname: t\nx-p: &p {pause: 1s}\n"
                                             "x-s: &s {name: s, vm: {qmp: /q, endpoint: \"h:1\"}, "
                                             "container: {engine: /e, image: \"r.example/a@sha256:" HEX_A "\", "
                                             "ports: [\"1:1\"]}, router: {socket: /h, backend: b, vm_server: v, "
                                             "container_server: c}}\n"
                                             "strategy: {canary: {steps: [{setWeight: 100}"),
                         0);
        for (int i = 0; i < 999; i++)
                assert_int_equal(v2c_buf_appends(&b, ", *p"), 0);
        assert_int_equal(v2c_buf_appends(&b, "]}}\nwaves: [{services: [*s"), 0);
        for (int i = 0; i < 999; i++)
                assert_int_equal(v2c_buf_appends(&b, ", *s"), 0);
        assert_int_equal(v2c_buf_appends(&b, "]}]\n"), 0);
        _cleanup_free_ char *bomb = v2c_buf_steal(&b);
        assert_true(strlen(bomb) < 20000);
        assert_int_equal(parse_len(bomb, strlen(bomb), &pb, &err), -EINVAL);
        assert_non_null(strstr(err->msg, "too large once aliases and defaults are expanded"));
        err = v2c_error_free(err);

        /* 25 problems: 20 are shown, then a line says more were left out. */
        v2c_buf_init(&b, 1 << 20);
        assert_int_equal(v2c_buf_appends(&b, "version: 1\nname: t\nwaves: [{services: [{name: s}]}]\n"), 0);
        for (int i = 0; i < 25; i++)
                assert_int_equal(v2c_buf_appendf(&b, "bad%d: 1\n", i), 0);
        _cleanup_free_ char *many = v2c_buf_steal(&b);
        assert_int_equal(parse_len(many, strlen(many), &pb, &err), -EINVAL);
        size_t lines = 1;
        for (const char *p = err->msg; *p; p++)
                lines += *p == '\n';
        assert_int_equal(lines, V2C_PLAYBOOK_MAX_ERRORS + 1);
        assert_non_null(strstr(err->msg, "\npb.yaml: more problems not shown (20 at most are)"));
        assert_true(strncmp(err->msg, "pb.yaml:3:21: missing `vm` in a service\n", 40) == 0);
        err = v2c_error_free(err);

        /* More than 1000 steps. */
        v2c_buf_init(&b, 1 << 20);
        assert_int_equal(v2c_buf_appends(&b, "steps: ["), 0);
        for (int i = 0; i < 1001; i++)
                assert_int_equal(v2c_buf_appends(&b, "{setWeight: 100},"), 0);
        assert_int_equal(v2c_buf_appends(&b, "]\n"), 0);
        _cleanup_free_ char *steps = v2c_buf_steal(&b);
        _cleanup_free_ char *text = replace(BASE, "steps:\n              - gate: hook\n              - setWeight: 10\n"
                                                  "              - pause: 30s\n              - analysis: errors\n"
                                                  "              - setWeight: 100\n",
                                            steps);
        assert_int_equal(parse_len(text, strlen(text), &pb, &err), -EINVAL);
        if (strcmp(err->msg, "pb.yaml:27:20: more than 1000 steps") != 0)
                fail_msg("got: %s", err->msg);
        err = v2c_error_free(err);
}

static void test_load_errors(void **state)
{
        (void) state;
        struct v2c_playbook *pb = NULL;
        struct v2c_error *err = NULL;
        assert_int_equal(v2c_playbook_load("/nonexistent/pb.yaml", &pb, &err), -ENOENT);
        assert_null(pb);
        assert_non_null(strstr(err->msg, "reading the playbook: cannot open `/nonexistent/pb.yaml`"));
        v2c_error_free(err);
        assert_null(v2c_playbook_free(NULL));
}

int main(int argc, char **argv)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_sample_canary),
                cmocka_unit_test(test_sample_bluegreen),
                cmocka_unit_test(test_base_and_defaults),
                cmocka_unit_test(test_harden),
                cmocka_unit_test(test_durations),
                cmocka_unit_test(test_conditions),
                cmocka_unit_test(test_json),
                cmocka_unit_test(test_image),
                cmocka_unit_test(test_unknown_keys),
                cmocka_unit_test(test_steps),
                cmocka_unit_test(test_services),
                cmocka_unit_test(test_waves),
                cmocka_unit_test(test_types),
                cmocka_unit_test(test_syntax),
                cmocka_unit_test(test_limits),
                cmocka_unit_test(test_load_errors),
        };
        return v2c_run_group_tests(argc, argv, tests, NULL, NULL);
}
