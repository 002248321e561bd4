/* The rollout playbook: what `v2c rollout` moves from VMs to containers,
 * in which order, how (canary steps or a blue-green switch), what it
 * measures on the way and what it leaves behind.  Read from YAML (libyaml;
 * JSON is accepted too) into the structures below, checked in full before
 * anything runs: docs/playbook.md is the reference for every key, and
 * docs/playbook.schema.json describes the same format.
 *
 * A playbook is hostile input like any other: every size is bounded (the
 * V2C_PLAYBOOK_MAX_* limits), and each problem is reported as
 * "FILE:LINE:COL: what is wrong", all of them at once (up to
 * V2C_PLAYBOOK_MAX_ERRORS), so a user fixes a playbook in one go.
 *
 * Ownership: a struct v2c_playbook owns everything it points to; the
 * `const` pointers to analyses and gates inside strategies and waves are
 * borrowed from the playbook's own arrays.  Durations are milliseconds.
 * Internal to rollout/. */
#ifndef V2C_ROLLOUT_PLAYBOOK_H
#define V2C_ROLLOUT_PLAYBOOK_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define V2C_PLAYBOOK_VERSION 1
#define V2C_PLAYBOOK_MAX_SIZE (1u << 20)        /* bytes of a playbook file */
#define V2C_PLAYBOOK_MAX_DEPTH 32               /* nested mappings and lists */
#define V2C_PLAYBOOK_MAX_NODES 200000           /* YAML nodes in the file */
#define V2C_PLAYBOOK_MAX_ERRORS 20              /* problems reported at once */
#define V2C_PLAYBOOK_MAX_SERVICES 1000          /* in all waves together */
#define V2C_PLAYBOOK_MAX_STEPS 1000             /* of one canary strategy */
#define V2C_PLAYBOOK_MAX_ANALYSES 100           /* analysis templates */
#define V2C_PLAYBOOK_MAX_METRICS 32             /* metrics of one template */
#define V2C_PLAYBOOK_MAX_GATES 100
#define V2C_PLAYBOOK_MAX_LIST 64                /* ports, volumes, headers, references */
#define V2C_PLAYBOOK_MAX_ENV 256                /* environment variables of one container */
#define V2C_PLAYBOOK_MAX_STRING 4096            /* bytes of any string (a query, a value) */
#define V2C_PLAYBOOK_MAX_NAME 63                /* service, wave, analysis, gate, metric names */

/* One "NAME: value" pair: an environment variable, an HTTP header. */
struct v2c_pb_kv {
        char *key;
        char *value;
};

/* ---- analysis ---- */

enum v2c_pb_provider {
        V2C_PB_PROVIDER_HAPROXY,        /* the container server's counters in `show stat` */
        V2C_PB_PROVIDER_HTTP,           /* a GET whose status is compared */
        V2C_PB_PROVIDER_PROMETHEUS,     /* an instant query */
};

/* What the haproxy provider measures; the names are those of
 * rollout/probe.h (v2c_pb_haproxy_metric_name gives them). */
enum v2c_pb_haproxy_metric {
        V2C_PB_HAPROXY_HTTP_5XX_RATE,   /* "http_5xx_rate": 5xx answers / answers, 0..1 */
        V2C_PB_HAPROXY_ERRORS_RATE,     /* "errors_rate": (econ + eresp) / (sessions + econ), 0..1 */
        V2C_PB_HAPROXY_RESPONSE_TIME_MS,/* "response_time_ms": rtime, milliseconds */
};

enum v2c_pb_op { V2C_PB_LT, V2C_PB_LE, V2C_PB_GT, V2C_PB_GE, V2C_PB_EQ, V2C_PB_NE };

/* "result OP THRESHOLD". */
struct v2c_pb_condition {
        bool set;                       /* false: the metric has no such condition */
        enum v2c_pb_op op;
        double threshold;               /* finite */
};

/* One measured quantity.  A measurement is Failed when failure holds,
 * Successful when success holds (or, with no success condition, when
 * failure does not), Failed when only success is given and does not hold,
 * and Inconclusive otherwise; an empty or NaN result is always
 * Inconclusive (it pauses the rollout, it never counts as a failure).
 * The metric fails once more than failure_limit of its count
 * measurements, taken interval_ms apart, have failed. */
struct v2c_pb_metric {
        char *name;                     /* unique within its template */
        enum v2c_pb_provider provider;
        enum v2c_pb_haproxy_metric haproxy_metric;      /* HAPROXY */
        char *url;                      /* HTTP: http(s) URL */
        unsigned expect_status;         /* HTTP: the status that gives result 1 (default 200) */
        char *address;                  /* PROMETHEUS: server base URL */
        char *query;                    /* PROMETHEUS: PromQL, an instant query */
        uint64_t timeout_ms;            /* HTTP, PROMETHEUS: per request (default 5 s) */
        struct v2c_pb_condition success;
        struct v2c_pb_condition failure; /* at least one of the two is set */
        uint64_t interval_ms;           /* between measurements (default 10 s) */
        unsigned count;                 /* measurements (default 1) */
        unsigned failure_limit;         /* failed measurements tolerated, < count (default 0) */
};

/* A named set of metrics, run together by an analysis step or a
 * blue-green promotion; it fails as soon as one metric fails. */
struct v2c_pb_analysis {
        char *name;
        struct v2c_pb_metric *metrics;  /* at least one */
        size_t n_metrics;
};

/* ---- gates ---- */

enum v2c_pb_gate_kind {
        V2C_PB_GATE_WEBHOOK,            /* POST a JSON event; a 2xx answer goes on */
        V2C_PB_GATE_APPROVAL,           /* wait for `v2c rollout approve` */
};

struct v2c_pb_gate {
        char *name;
        enum v2c_pb_gate_kind kind;
        char *url;                      /* WEBHOOK: http(s) URL */
        uint64_t timeout_ms;            /* WEBHOOK: per request (default 10 s) */
        struct v2c_pb_kv *headers;      /* WEBHOOK: extra request headers */
        size_t n_headers;
        char *message;                  /* APPROVAL: shown by `status`; may be NULL */
};

/* ---- strategies ---- */

enum v2c_pb_step_kind {
        V2C_PB_STEP_SET_WEIGHT,         /* container's share of traffic, in percent */
        V2C_PB_STEP_PAUSE,              /* for a duration, or until approved */
        V2C_PB_STEP_ANALYSIS,           /* run templates, go on when all succeed */
        V2C_PB_STEP_GATE,               /* ask a gate */
};

struct v2c_pb_step {
        enum v2c_pb_step_kind kind;
        unsigned weight;                /* SET_WEIGHT: 1..100, each above the previous */
        uint64_t pause_ms;              /* PAUSE: 0 means until approved */
        const struct v2c_pb_analysis **analyses;        /* ANALYSIS (array owned, templates borrowed) */
        size_t n_analyses;
        const struct v2c_pb_gate *gate; /* GATE (borrowed) */
};

enum v2c_pb_strategy_kind { V2C_PB_CANARY, V2C_PB_BLUE_GREEN };
enum v2c_pb_promotion { V2C_PB_PROMOTION_AUTO, V2C_PB_PROMOTION_MANUAL };

struct v2c_pb_strategy {
        enum v2c_pb_strategy_kind kind;
        /* CANARY: the steps in order; the setWeight ones increase and the
         * last of them is 100. */
        struct v2c_pb_step *steps;
        size_t n_steps;
        /* BLUE_GREEN: the container comes up beside the VM (weight 0),
         * pre-promotion analysis and gates run, promotion (automatic, or
         * on `approve`) moves all traffic at once, the VM stays ready for
         * bake_ms while post-promotion analysis runs. */
        const struct v2c_pb_analysis **pre_promotion;   /* array owned, templates borrowed */
        size_t n_pre_promotion;
        const struct v2c_pb_gate **gates;               /* asked before promotion */
        size_t n_gates;
        enum v2c_pb_promotion promotion;                /* default AUTO */
        uint64_t bake_ms;                               /* default 30 s */
        const struct v2c_pb_analysis **post_promotion;
        size_t n_post_promotion;
};

/* ---- one service ---- */

enum v2c_pb_vm_kind { V2C_PB_VM_QMP, V2C_PB_VM_LIBVIRT };

struct v2c_pb_vm {
        enum v2c_pb_vm_kind kind;
        char *qmp;                      /* QMP: absolute path of the QMP unix socket */
        char *domain;                   /* LIBVIRT: domain name */
        char *uri;                      /* LIBVIRT: connection URI (default "qemu:///system") */
        char *endpoint;                 /* "HOST:PORT" serving traffic today, as written */
        char *endpoint_host;            /* HOST without brackets ("::1" for "[::1]:80") */
        unsigned endpoint_port;         /* 1..65535 */
        uint64_t shutdown_timeout_ms;   /* ACPI power-off, then a hard stop (default 60 s) */
};

struct v2c_pb_port {
        unsigned host_port;             /* bound on 127.0.0.1 */
        unsigned container_port;        /* TCP */
};

struct v2c_pb_volume {
        char *source;                   /* absolute host path */
        char *target;                   /* absolute path in the container */
        bool read_only;
};

/* How much of the image's hardened spec (its label io.v2c.hardening, as
 * its manifest and `convert --verify` run it) the container keeps: all of
 * it by default.  `harden: false` turns it all off (the engine's
 * defaults); the others loosen one part each.  The rollout says so
 * loudly and journals it (event "hardening-loosened"). */
struct v2c_pb_harden {
        bool enabled;                   /* false: no hardened spec at all */
        bool read_only_root;            /* false: a writable root */
        bool no_new_privileges;         /* false: setuid and file capabilities may raise privileges */
        bool limits;                    /* false: no memory or CPU limit */
};

struct v2c_pb_container {
        char *engine;                   /* absolute path of the Docker Engine API socket */
        char *image;                    /* HOST[:PORT]/PATH@sha256:<64 lowercase hex>; never a tag */
        char *name;                     /* container name (default "v2c-" SERVICE) */
        struct v2c_pb_port *ports;      /* at least one; host ports unique per engine */
        size_t n_ports;
        struct v2c_pb_kv *env;          /* in the playbook's order, names unique */
        size_t n_env;
        struct v2c_pb_volume *volumes;
        size_t n_volumes;
        /* Readiness, checked by v2c on 127.0.0.1 before any traffic moves:
         * an HTTP GET of ready_path answering 2xx/3xx, or a TCP connect when
         * ready_path is NULL, within ready_timeout_ms. */
        unsigned ready_port;            /* one of the host ports (default the first) */
        char *ready_path;               /* "/..." or NULL */
        uint64_t ready_timeout_ms;      /* default 60 s */
        struct v2c_pb_harden harden;    /* default: all true */
};

/* The HAProxy backend both sides are servers of. */
struct v2c_pb_router {
        char *socket;                   /* absolute path of the runtime API (stats) socket */
        char *backend;
        char *vm_server;                /* server names, distinct */
        char *container_server;
};

enum v2c_pb_vm_end { V2C_PB_VM_DRAINED, V2C_PB_VM_STOPPED };
enum v2c_pb_finalize_vm { V2C_PB_FINALIZE_STOP, V2C_PB_FINALIZE_KEEP };

/* What happens once all traffic is on the container.  Nothing is removed
 * before an explicit `v2c rollout finalize`. */
struct v2c_pb_after {
        enum v2c_pb_vm_end vm;          /* DRAINED: running with no traffic (default); STOPPED: shut down */
        uint64_t drain_timeout_ms;      /* wait for its sessions to end (default 5 min) */
        uint64_t rollback_window_ms;    /* VM kept restartable; `status` says finalize is due after it (default 24 h) */
        enum v2c_pb_finalize_vm finalize_vm;    /* what finalize does to the VM (default STOP) */
};

struct v2c_pb_service {
        char *name;                     /* unique in the playbook */
        char **depends_on;              /* names of services in this wave or an earlier one (strv, may be NULL) */
        size_t wave;                    /* index of its wave */
        struct v2c_pb_vm vm;
        struct v2c_pb_container container;
        struct v2c_pb_router router;
        struct v2c_pb_strategy strategy;        /* its own, or the playbook's default */
        struct v2c_pb_after after;              /* its own, or the playbook's default, or the defaults */
};

/* A wave starts when the one before has finished; its services run one
 * after another, each once those it depends on have finished. */
struct v2c_pb_wave {
        char *name;                     /* default "wave-N", N from 1 */
        const struct v2c_pb_gate **gates;       /* asked before the wave starts (array owned) */
        size_t n_gates;
        struct v2c_pb_service *services;        /* at least one */
        size_t n_services;
};

struct v2c_playbook {
        char *file;                     /* the file name it was read from */
        char *name;                     /* the rollout's name */
        struct v2c_pb_analysis *analyses;
        size_t n_analyses;
        struct v2c_pb_gate *gates;
        size_t n_gates;
        struct v2c_pb_wave *waves;      /* at least one */
        size_t n_waves;
};

/* Reads PATH (at most V2C_PLAYBOOK_MAX_SIZE bytes) and parses it as below.
 * *out: new, release with v2c_playbook_free; untouched on failure. */
int v2c_playbook_load(const char *path, struct v2c_playbook **out, struct v2c_error **err);

/* Parses LEN bytes of DATA (no NUL needed), named FILENAME in messages.
 * A document that starts with '{' and is JSON is read as JSON, anything
 * else as YAML.  On an invalid playbook: -EINVAL, kind V2C_ERR_INPUT, and
 * a message of one "FILENAME:LINE:COL: problem" line per problem (line
 * and column 1-based, the column in characters), in file order, joined by
 * '\n': the first V2C_PLAYBOOK_MAX_ERRORS, then a line saying more were
 * left out.  -EFBIG (V2C_ERR_INPUT) above V2C_PLAYBOOK_MAX_SIZE, -ENOMEM.
 * *out: new; untouched on failure. */
int v2c_playbook_parse(const char *data, size_t len, const char *filename, struct v2c_playbook **out,
                       struct v2c_error **err);

/* Frees PB and everything it owns; accepts NULL, returns NULL. */
struct v2c_playbook *v2c_playbook_free(struct v2c_playbook *pb);

/* The canonical form (new reference; NULL on ENOMEM): every default
 * written out, each service with its own strategy and after_cutover,
 * durations as "1h30m", conditions as "result < 0.01".  It is itself a
 * valid playbook that parses back to the same structures, unless writing
 * the defaults into every service made it pass a V2C_PLAYBOOK_MAX_* limit. */
json_t *v2c_playbook_to_json(const struct v2c_playbook *pb);

/* The service named NAME, or NULL (borrowed). */
const struct v2c_pb_service *v2c_playbook_service(const struct v2c_playbook *pb, const char *name);

/* The names used in the playbook (static strings). */
const char *v2c_pb_haproxy_metric_name(enum v2c_pb_haproxy_metric m);
const char *v2c_pb_op_name(enum v2c_pb_op op);

/* Whether VALUE satisfies C (false for NaN: see struct v2c_pb_metric). */
bool v2c_pb_condition_holds(const struct v2c_pb_condition *c, double value);

static inline void v2c_playbook_freep(struct v2c_playbook **pb) { v2c_playbook_free(*pb); }
#define _cleanup_playbook_ __attribute__((cleanup(v2c_playbook_freep)))

#endif
