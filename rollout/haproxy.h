/* HAProxy's runtime API over its stats socket, the traffic side of
 * `v2c rollout`: the VM and the container are two servers of one backend,
 * and a cutover step is a change of their weights or states, checked with
 * the counters of `show stat`.
 *
 * HAProxy must be configured with `stats socket PATH mode 600 level admin`
 * (`set server` needs level admin).  Each command uses its own connection
 * in non-interactive mode: connect, send "COMMAND\n", read until HAProxy
 * closes.  Runtime changes are lost when HAProxy reloads: the caller
 * re-applies them.
 *
 * Internal to rollout/.  Errors follow common/error.h: 0 or a negative
 * errno, *err set with context, output parameters untouched on failure. */
#ifndef V2C_ROLLOUT_HAPROXY_H
#define V2C_ROLLOUT_HAPROXY_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define V2C_HAPROXY_TIMEOUT_MS 5000                  /* when timeout_ms <= 0 */
#define V2C_HAPROXY_MAX_REPLY (4u * 1024 * 1024)     /* bytes of one answer */
#define V2C_HAPROXY_MAX_COMMAND 4096                 /* HAProxy's buffer is 16 KiB */
#define V2C_HAPROXY_MAX_ROWS 100000                  /* rows of `show stat` */
#define V2C_HAPROXY_MAX_LINE (1024u * 1024)          /* bytes of one CSV line */
#define V2C_HAPROXY_MAX_WEIGHT 256                   /* HAProxy's own limit */

/* Where HAProxy listens.  Both fields are borrowed by every call. */
struct v2c_haproxy {
        char *socket_path;      /* the `stats socket` path */
        int timeout_ms;         /* for a whole exchange; <= 0: V2C_HAPROXY_TIMEOUT_MS */
};

/* Sends one command and returns HAProxy's whole answer in *reply (new,
 * caller frees; NUL-terminated).  The answer is not interpreted: HAProxy
 * reports errors as text, and ends most answers with an empty line.  CMD
 * must be one line (no '\n', '\r'); a ';' in it separates commands, as
 * HAProxy reads it.  -ENOENT/-ECONNREFUSED when nothing listens at the
 * path, -ETIMEDOUT after timeout_ms, -E2BIG past V2C_HAPROXY_MAX_REPLY. */
int v2c_haproxy_command(const struct v2c_haproxy *h, const char *cmd, char **reply,
                        struct v2c_error **err);

/* `set server BACKEND/SERVER weight WEIGHT` (0..V2C_HAPROXY_MAX_WEIGHT).
 * An answer other than an empty line is HAProxy refusing: the error
 * carries its message (-ENOENT for an unknown backend or server, -EACCES
 * below level admin, -EINVAL otherwise).  Names must be HAProxy
 * identifiers (letters, digits, '-', '_', '.', ':'). */
int v2c_haproxy_set_weight(const struct v2c_haproxy *h, const char *backend, const char *server,
                           unsigned weight, struct v2c_error **err);

/* `set server BACKEND/SERVER state STATE`, STATE one of "ready", "drain"
 * (no new traffic, current connections finish) and "maint".  Errors as
 * v2c_haproxy_set_weight.  A drained server stays drained whatever its
 * weight until it is set "ready" again. */
int v2c_haproxy_set_state(const struct v2c_haproxy *h, const char *backend, const char *server,
                          const char *state, struct v2c_error **err);

/* Columns of `show stat` that a row may lack: bit set in
 * v2c_haproxy_stats.columns when the header named the column, so that a
 * missing counter reads as "unknown" instead of as 0. */
enum v2c_haproxy_column {
        V2C_HAPROXY_COL_QCUR = 1u << 0,
        V2C_HAPROXY_COL_LBTOT = 1u << 1,
        V2C_HAPROXY_COL_HRSP = 1u << 2,       /* all of hrsp_1xx..hrsp_5xx */
        V2C_HAPROXY_COL_ECON = 1u << 3,
        V2C_HAPROXY_COL_ERESP = 1u << 4,
        V2C_HAPROXY_COL_ABRT = 1u << 5,       /* both srv_abrt and cli_abrt */
        V2C_HAPROXY_COL_RTIME = 1u << 6,
        V2C_HAPROXY_COL_UWEIGHT = 1u << 7,
        V2C_HAPROXY_COL_RETRIES = 1u << 8,    /* both wretr and wredis */
};

/* One server row.  Counters are cumulative since HAProxy started (or since
 * `clear counters`): compare two snapshots to measure a step.  An empty
 * field reads as 0, except rtime. */
struct v2c_haproxy_server {
        char *backend;          /* pxname */
        char *server;           /* svname */
        char *status;           /* "UP", "DOWN", "DRAIN", "MAINT", "no check", "UP 1/3", ... */
        unsigned weight;        /* effective weight */
        unsigned uweight;       /* weight set by configuration or `set server` */
        uint64_t qcur;          /* requests queued for this server */
        uint64_t scur;          /* current sessions */
        uint64_t stot;          /* sessions in total */
        uint64_t lbtot;         /* times the load balancer chose this server */
        uint64_t hrsp_1xx, hrsp_2xx, hrsp_3xx, hrsp_4xx, hrsp_5xx;   /* HTTP mode only */
        uint64_t econ;          /* failed connections to the server */
        uint64_t eresp;         /* failed or aborted responses */
        uint64_t srv_abrt;      /* transfers aborted by the server */
        uint64_t cli_abrt;      /* transfers aborted by the client */
        uint64_t wretr;         /* connections retried (retries), invisible to clients */
        uint64_t wredis;        /* ... and redispatched to another server (option redispatch) */
        int64_t rtime;          /* mean response time (ms, last 1024 requests); -1 when empty */
};

struct v2c_haproxy_stats {
        struct v2c_haproxy_server *servers;     /* owned */
        size_t n;
        unsigned columns;                       /* enum v2c_haproxy_column bits */
};

/* Parses the CSV of `show stat` (CSV, LEN bytes, not NUL-terminated) into
 * *out (the caller releases it with v2c_haproxy_stats_release).  Pure.
 *
 * The first line is the header "# pxname,svname,...": columns are found
 * by name, since their order and number change between versions.  pxname,
 * svname, status, weight and scur are required; the other columns read
 * here are optional (a missing one reads as an empty field, and
 * out->columns tells which of enum v2c_haproxy_column were there); the
 * rest are ignored.  Rows are kept
 * when they are servers: rows whose `type` is 2 when the header has that
 * column (not frontends, backends nor listeners), else rows whose svname
 * is neither FRONTEND nor BACKEND.  Fields may be quoted as in RFC 4180.
 *
 * Empty lines are skipped (HAProxy ends its answer with one).  Any other
 * line that cannot be read refuses the whole answer (-EBADMSG, saying
 * which line and column): a short row, a number that is not one, an
 * empty name, broken quoting, a NUL byte.  A guessed 0 in a counter could
 * hide errors from the rollout's analysis.  Rows may carry more fields
 * than the header.  Limits: V2C_HAPROXY_MAX_ROWS rows and
 * V2C_HAPROXY_MAX_LINE bytes a line (-E2BIG). */
int v2c_haproxy_parse_stat(const char *csv, size_t len, struct v2c_haproxy_stats *out,
                           struct v2c_error **err);

/* `show stat`, parsed as v2c_haproxy_parse_stat does. */
int v2c_haproxy_show_stat(const struct v2c_haproxy *h, struct v2c_haproxy_stats *out,
                          struct v2c_error **err);

/* The row of BACKEND/SERVER in S (borrowed from S), or NULL. */
const struct v2c_haproxy_server *v2c_haproxy_find(const struct v2c_haproxy_stats *s,
                                                  const char *backend, const char *server);

/* Frees the rows and empties *s; accepts an empty or released *s. */
void v2c_haproxy_stats_release(struct v2c_haproxy_stats *s);
#define _cleanup_haproxy_stats_ __attribute__((cleanup(v2c_haproxy_stats_release)))

/* Polls `show stat` every 100 ms until BACKEND/SERVER has no current
 * session and nothing queued (scur and qcur 0): what "drained" means
 * before its VM or container can stop.  Returns 0, -ETIMEDOUT after
 * TIMEOUT_MS (0: look once; the last look may take h->timeout_ms more),
 * -ENOENT when there is no such backend or server. */
int v2c_haproxy_wait_drained(const struct v2c_haproxy *h, const char *backend, const char *server,
                             int timeout_ms, struct v2c_error **err);

#endif
