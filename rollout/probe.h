/* What analysis measures and what gates ask, outside the router: HTTP
 * probes, webhooks, a Prometheus query, TCP readiness, and the arithmetic
 * over two HAProxy snapshots.  A measurement is a number or NaN: NaN
 * (no traffic, an empty or non-numeric answer) is inconclusive, never a
 * failure.  Internal to rollout/. */
#ifndef V2C_ROLLOUT_PROBE_H
#define V2C_ROLLOUT_PROBE_H

#include <stdbool.h>

#include "error.h"
#include "haproxy.h"

enum v2c_verdict { V2C_VERDICT_SUCCESS, V2C_VERDICT_FAILURE, V2C_VERDICT_INCONCLUSIVE };
const char *v2c_verdict_name(enum v2c_verdict v);

struct v2c_pb_condition;
/* PURE: the verdict on one measurement VALUE of a metric whose conditions
 * are SUCCESS and FAILURE (either may be unset).  NaN (no data) is
 * inconclusive whatever the conditions; FAILURE holding fails; SUCCESS
 * holding succeeds, and not holding fails when FAILURE is unset, else is
 * inconclusive (neither condition holds); with neither set, success. */
enum v2c_verdict v2c_verdict_of_value(const struct v2c_pb_condition *success, const struct v2c_pb_condition *failure,
                                      double value);
/* PURE: the verdict on a metric measured COUNT times, FAILURES of them
 * failed and INCONCLUSIVE inconclusive, LIMIT failures allowed: failed
 * past the limit; inconclusive when no measurement succeeded (no data is
 * not a success: the rollout pauses); else successful. */
enum v2c_verdict v2c_verdict_of_metric(unsigned count, unsigned failures, unsigned inconclusive, unsigned limit);

/* The HAProxy metrics of one server between snapshots A (earlier) and B:
 *   "http_5xx_rate"    5xx answers / answers
 *   "errors_rate"      (econ + eresp) / (sessions + econ)
 *   "response_time_ms" B's rtime
 * NaN when the server saw no traffic in between (or no rtime yet); -EINVAL
 * for an unknown metric. */
int v2c_probe_haproxy_metric(const struct v2c_haproxy_server *a, const struct v2c_haproxy_server *b,
                             const char *metric, double *value, struct v2c_error **err);

/* GET URL (timeout_ms): *status gets the HTTP status, 0 when nothing
 * answered (connection refused, timeout): that is a measurement, not an
 * error.  Only loopback and the URLs the playbook names are asked. */
int v2c_probe_http(const char *url, int timeout_ms, long *status, struct v2c_error **err);
/* POST BODY (JSON) to URL: *status as above. */
int v2c_probe_webhook(const char *url, const char *body, int timeout_ms, long *status, struct v2c_error **err);
/* A Prometheus instant query: the first sample's value, NaN for an empty
 * vector or a non-numeric value; -EPROTO for a reply that is not
 * Prometheus'. */
int v2c_probe_prometheus(const char *address, const char *query, int timeout_ms, double *value,
                         struct v2c_error **err);
/* PURE: the value of a Prometheus /api/v1/query JSON reply (see above). */
int v2c_probe_parse_prometheus(const char *data, size_t len, double *value, struct v2c_error **err);
/* Waits until HOST:PORT (HOST a name, an IPv4 or a bare IPv6 address)
 * accepts a TCP connection, or, with PATH, answers
 * an HTTP GET of PATH with a 2xx/3xx, up to timeout_ms.  -ETIMEDOUT. */
int v2c_probe_ready(const char *host, unsigned port, const char *path, int timeout_ms, struct v2c_error **err);

#endif
