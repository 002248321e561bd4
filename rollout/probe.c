/* Probes and metrics for analysis and gates: see probe.h. */
#include "probe.h"

#include <curl/curl.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "cleanup.h"
#include "json.h"
#include "playbook.h"
#include "clock.h"

const char *v2c_verdict_name(enum v2c_verdict v)
{
        return v == V2C_VERDICT_SUCCESS ? "successful" : v == V2C_VERDICT_FAILURE ? "failed" : "inconclusive";
}

enum v2c_verdict v2c_verdict_of_value(const struct v2c_pb_condition *success, const struct v2c_pb_condition *failure,
                                      double value)
{
        if (isnan(value))
                return V2C_VERDICT_INCONCLUSIVE;
        if (v2c_pb_condition_holds(failure, value))
                return V2C_VERDICT_FAILURE;
        if (success->set)
                return v2c_pb_condition_holds(success, value) ? V2C_VERDICT_SUCCESS
                       : failure->set                           ? V2C_VERDICT_INCONCLUSIVE
                                                                : V2C_VERDICT_FAILURE;
        return V2C_VERDICT_SUCCESS;
}

enum v2c_verdict v2c_verdict_of_metric(unsigned count, unsigned failures, unsigned inconclusive, unsigned limit)
{
        if (failures > limit)
                return V2C_VERDICT_FAILURE;
        if (inconclusive > 0 && inconclusive + failures >= count)
                return V2C_VERDICT_INCONCLUSIVE;
        return V2C_VERDICT_SUCCESS;
}

static uint64_t delta(uint64_t a, uint64_t b)
{
        /* Counters reset by a reload: count from zero. */
        return b >= a ? b - a : b;
}

int v2c_probe_haproxy_metric(const struct v2c_haproxy_server *a, const struct v2c_haproxy_server *b,
                             const char *metric, double *value, struct v2c_error **err)
{
        if (strcmp(metric, "http_5xx_rate") == 0) {
                uint64_t x5 = delta(a->hrsp_5xx, b->hrsp_5xx);
                uint64_t all = delta(a->hrsp_1xx, b->hrsp_1xx) + delta(a->hrsp_2xx, b->hrsp_2xx) +
                               delta(a->hrsp_3xx, b->hrsp_3xx) + delta(a->hrsp_4xx, b->hrsp_4xx) + x5;
                *value = all ? (double) x5 / (double) all : NAN;
                return 0;
        }
        if (strcmp(metric, "errors_rate") == 0) {
                uint64_t e = delta(a->econ, b->econ) + delta(a->eresp, b->eresp);
                uint64_t tries = delta(a->stot, b->stot) + delta(a->econ, b->econ);
                *value = tries ? (double) e / (double) tries : NAN;
                return 0;
        }
        if (strcmp(metric, "response_time_ms") == 0) {
                *value = b->rtime >= 0 && delta(a->stot, b->stot) > 0 ? (double) b->rtime : NAN;
                return 0;
        }
        return v2c_error_set_kind(err, V2C_ERR_USAGE, EINVAL, "unknown HAProxy metric `%s`", metric);
}

static size_t sink(char *p, size_t s, size_t n, void *ctx)
{
        struct v2c_buf *b = ctx;
        return v2c_buf_append(b, p, s * n) < 0 ? 0 : s * n;
}

static int request(const char *url, const char *body, int timeout_ms, long *status, struct v2c_buf *reply,
                   struct v2c_error **err)
{
        CURL *e = curl_easy_init();
        if (e == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        struct curl_slist *h = NULL;
        struct v2c_buf junk;
        v2c_buf_init(&junk, 1u << 20);
        curl_easy_setopt(e, CURLOPT_URL, url);
        curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long) timeout_ms);
        curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long) timeout_ms);
        curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, sink);
        curl_easy_setopt(e, CURLOPT_WRITEDATA, reply ? reply : &junk);
        curl_easy_setopt(e, CURLOPT_USERAGENT, "v2c-rollout/" V2C_VERSION);
        if (body) {
                h = curl_slist_append(h, "Content-Type: application/json");
                curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
                curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
                curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long) strlen(body));
        }
        CURLcode r = curl_easy_perform(e);
        *status = 0;
        if (r == CURLE_OK)
                curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, status);
        curl_slist_free_all(h);
        curl_easy_cleanup(e);
        v2c_buf_release(&junk);
        return 0;
}

int v2c_probe_http(const char *url, int timeout_ms, long *status, struct v2c_error **err)
{
        return request(url, NULL, timeout_ms, status, NULL, err);
}

int v2c_probe_webhook(const char *url, const char *body, int timeout_ms, long *status, struct v2c_error **err)
{
        return request(url, body ? body : "{}", timeout_ms, status, NULL, err);
}

int v2c_probe_parse_prometheus(const char *data, size_t len, double *value, struct v2c_error **err)
{
        _cleanup_json_ json_t *j = NULL;
        if (v2c_json_load(data, len, "Prometheus reply", &j, err) < 0)
                return -EPROTO;
        const char *st = json_string_value(json_object_get(j, "status"));
        const json_t *d = json_object_get(j, "data");
        if (st == NULL || strcmp(st, "success") != 0 || !json_is_object(d))
                return v2c_error_set(err, EPROTO, "Prometheus answered status `%s`", st ? st : "(none)");
        const char *type = json_string_value(json_object_get(d, "resultType"));
        const json_t *res = json_object_get(d, "result");
        const json_t *v = NULL;
        if (type && strcmp(type, "vector") == 0 && json_is_array(res)) {
                if (json_array_size(res) == 0) {
                        *value = NAN;
                        return 0;
                }
                v = json_object_get(json_array_get(res, 0), "value");
        } else if (type && strcmp(type, "scalar") == 0)
                v = res;
        else
                return v2c_error_set(err, EPROTO, "Prometheus answered a `%s`, not a vector or scalar",
                                     type ? type : "(none)");
        const char *s = json_string_value(json_array_get(v, 1));
        char *end = NULL;
        double x = s ? strtod(s, &end) : NAN;
        *value = s && end != s && *end == '\0' ? x : NAN;
        return 0;
}

int v2c_probe_prometheus(const char *address, const char *query, int timeout_ms, double *value,
                         struct v2c_error **err)
{
        CURL *e = curl_easy_init();
        char *q = e ? curl_easy_escape(e, query, 0) : NULL;
        if (e)
                curl_easy_cleanup(e);
        _cleanup_free_ char *url = NULL;
        if (q == NULL || asprintf(&url, "%s/api/v1/query?query=%s", address, q) < 0) {
                curl_free(q);
                return v2c_error_set(err, ENOMEM, "out of memory");
        }
        curl_free(q);
        struct v2c_buf b;
        v2c_buf_init(&b, 4u << 20);
        long status = 0;
        int r = request(url, NULL, timeout_ms, &status, &b, err);
        if (r == 0 && status != 200) {
                *value = NAN;   /* nothing to say: inconclusive */
        } else if (r == 0)
                r = v2c_probe_parse_prometheus(b.data ? b.data : "", b.len, value, err);
        v2c_buf_release(&b);
        return r;
}

int v2c_probe_ready(const char *host, unsigned port, const char *path, int timeout_ms, struct v2c_error **err)
{
        _cleanup_free_ char *url = NULL;
        /* An IPv6 literal goes in brackets in a URL ("[::1]:8080"). */
        bool v6 = strchr(host, ':') != NULL && host[0] != '[';
        if (asprintf(&url, "http://%s%s%s:%u%s", v6 ? "[" : "", host, v6 ? "]" : "", port, path ? path : "/") < 0)
                return v2c_error_set(err, ENOMEM, "out of memory");
        int64_t end = v2c_monotonic_ms() + timeout_ms;
        for (;;) {
                long status = 0;
                CURL *e = curl_easy_init();
                if (e == NULL)
                        return v2c_error_set(err, ENOMEM, "out of memory");
                struct v2c_buf b;
                v2c_buf_init(&b, 1u << 20);
                curl_easy_setopt(e, CURLOPT_URL, url);
                curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
                curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 2000L);
                curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, sink);
                curl_easy_setopt(e, CURLOPT_WRITEDATA, &b);
                if (path == NULL)
                        curl_easy_setopt(e, CURLOPT_CONNECT_ONLY, 1L);
                CURLcode r = curl_easy_perform(e);
                if (r == CURLE_OK && path)
                        curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
                curl_easy_cleanup(e);
                v2c_buf_release(&b);
                if (r == CURLE_OK && (path == NULL || (status >= 200 && status < 400)))
                        return 0;
                if (v2c_monotonic_ms() >= end)
                        return v2c_error_set(err, ETIMEDOUT, "%s:%u did not become ready within %d ms", host, port,
                                             timeout_ms);
                usleep(200 * 1000);
        }
}
