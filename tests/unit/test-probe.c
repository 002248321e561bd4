/* Unit tests for rollout/probe.c against listeners of their own on
 * loopback (IPv4 and IPv6): readiness by TCP connect and by HTTP GET, the
 * timeout when nothing listens, and Prometheus replies. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "unit-main.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "playbook.h"
#include "probe.h"

/* A listening socket on ADDR (AF_INET or AF_INET6 loopback), port chosen
 * by the kernel and returned in *port. */
static int listen_on(int family, unsigned *port)
{
        int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        assert_true(fd >= 0);
        struct sockaddr_storage ss = { 0 };
        socklen_t len;
        if (family == AF_INET6) {
                struct sockaddr_in6 *a = (struct sockaddr_in6 *) &ss;
                a->sin6_family = AF_INET6;
                a->sin6_addr = in6addr_loopback;
                len = sizeof *a;
        } else {
                struct sockaddr_in *a = (struct sockaddr_in *) &ss;
                a->sin_family = AF_INET;
                a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
                len = sizeof *a;
        }
        assert_int_equal(bind(fd, (struct sockaddr *) &ss, len), 0);
        assert_int_equal(listen(fd, 8), 0);
        assert_int_equal(getsockname(fd, (struct sockaddr *) &ss, &len), 0);
        *port = family == AF_INET6 ? ntohs(((struct sockaddr_in6 *) &ss)->sin6_port)
                                   : ntohs(((struct sockaddr_in *) &ss)->sin_port);
        return fd;
}

/* Answers up to three HTTP requests on the listening socket, then stops. */
static void *http_server(void *arg)
{
        int lfd = *(int *) arg;
        for (int i = 0; i < 3; i++) {
                int c = accept(lfd, NULL, NULL);
                if (c < 0)
                        break;
                char buf[2048];
                (void) read(c, buf, sizeof buf);
                static const char reply[] = "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok";
                (void) write(c, reply, sizeof reply - 1);
                close(c);
        }
        return NULL;
}

static void test_ready_tcp(void **state)
{
        (void) state;
        unsigned port;
        int fd = listen_on(AF_INET, &port);
        assert_int_equal(v2c_probe_ready("127.0.0.1", port, NULL, 2000, NULL), 0);
        close(fd);
        /* A bare IPv6 address, as the playbook keeps "[::1]:PORT". */
        fd = listen_on(AF_INET6, &port);
        assert_int_equal(v2c_probe_ready("::1", port, NULL, 2000, NULL), 0);
        close(fd);
}

static void test_ready_http_v6(void **state)
{
        (void) state;
        unsigned port;
        int fd = listen_on(AF_INET6, &port);
        pthread_t t;
        assert_int_equal(pthread_create(&t, NULL, http_server, &fd), 0);
        assert_int_equal(v2c_probe_ready("::1", port, "/healthz", 2000, NULL), 0);
        char url[64];
        snprintf(url, sizeof url, "http://[::1]:%u/", port);
        long status = 0;
        assert_int_equal(v2c_probe_http(url, 2000, &status, NULL), 0);
        assert_int_equal(status, 200);
        /* The third request ends the server. */
        assert_int_equal(v2c_probe_http(url, 2000, &status, NULL), 0);
        pthread_join(t, NULL);
        close(fd);
}

static void test_ready_timeout(void **state)
{
        (void) state;
        unsigned port;
        int fd = listen_on(AF_INET6, &port);
        close(fd);   /* nothing listens there now */
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        struct v2c_error *err = NULL;
        assert_int_equal(v2c_probe_ready("::1", port, NULL, 600, &err), -ETIMEDOUT);
        clock_gettime(CLOCK_MONOTONIC, &b);
        assert_non_null(strstr(err->msg, "did not become ready within 600 ms"));
        v2c_error_free(err);
        double took = (double) (b.tv_sec - a.tv_sec) + (double) (b.tv_nsec - a.tv_nsec) / 1e9;
        assert_true(took >= 0.6 && took < 3.0);
        long status = -1;
        char url[64];
        snprintf(url, sizeof url, "http://[::1]:%u/", port);
        assert_int_equal(v2c_probe_http(url, 500, &status, NULL), 0);
        assert_int_equal(status, 0);   /* refused: a measurement, not an error */
}

static void test_prometheus_replies(void **state)
{
        (void) state;
        double v = 0;
        const char *vec = "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":"
                          "[{\"metric\":{},\"value\":[1700000000.1,\"0.25\"]}]}}";
        assert_int_equal(v2c_probe_parse_prometheus(vec, strlen(vec), &v, NULL), 0);
        assert_true(v == 0.25);
        const char *empty = "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[]}}";
        assert_int_equal(v2c_probe_parse_prometheus(empty, strlen(empty), &v, NULL), 0);
        assert_true(isnan(v));
        const char *nan = "{\"status\":\"success\",\"data\":{\"resultType\":\"scalar\",\"result\":[1,\"NaN\"]}}";
        assert_int_equal(v2c_probe_parse_prometheus(nan, strlen(nan), &v, NULL), 0);
        assert_true(isnan(v));
        struct v2c_error *err = NULL;
        const char *bad = "{\"status\":\"error\",\"errorType\":\"bad_data\"}";
        assert_int_equal(v2c_probe_parse_prometheus(bad, strlen(bad), &v, &err), -EPROTO);
        v2c_error_free(err);
}

/* Each rule of a measurement's verdict, and no data (NaN) is never a
 * success nor a failure, whatever the conditions. */
static void test_verdict_of_value(void **state)
{
        (void) state;
        static const struct v2c_pb_condition unset = { 0 }, lt = { true, V2C_PB_LT, 0.01 }, ge = { true, V2C_PB_GE, 0.5 };
        static const struct {
                const struct v2c_pb_condition *success, *failure;
                double value;
                enum v2c_verdict want;
        } cases[] = {
                { &lt, &unset, 0.001, V2C_VERDICT_SUCCESS },
                { &lt, &unset, 0.2, V2C_VERDICT_FAILURE },
                { &lt, &ge, 0.001, V2C_VERDICT_SUCCESS },
                { &lt, &ge, 0.7, V2C_VERDICT_FAILURE },
                { &lt, &ge, 0.2, V2C_VERDICT_INCONCLUSIVE },   /* neither holds */
                { &unset, &ge, 0.2, V2C_VERDICT_SUCCESS },
                { &unset, &ge, 0.7, V2C_VERDICT_FAILURE },
                { &lt, &unset, NAN, V2C_VERDICT_INCONCLUSIVE },
                { &unset, &ge, NAN, V2C_VERDICT_INCONCLUSIVE },
                { &lt, &ge, NAN, V2C_VERDICT_INCONCLUSIVE },
        };
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
                if (v2c_verdict_of_value(cases[i].success, cases[i].failure, cases[i].value) != cases[i].want)
                        fail_msg("case %zu (%g): %s, expected %s", i, cases[i].value,
                                 v2c_verdict_name(v2c_verdict_of_value(cases[i].success, cases[i].failure,
                                                                       cases[i].value)),
                                 v2c_verdict_name(cases[i].want));
}

/* A metric measured 3 times: no data at all, or no data but failures within
 * the limit, pauses (inconclusive); one success is enough to go on. */
static void test_verdict_of_metric(void **state)
{
        (void) state;
        assert_int_equal(v2c_verdict_of_metric(3, 0, 3, 0), V2C_VERDICT_INCONCLUSIVE);
        assert_int_equal(v2c_verdict_of_metric(3, 1, 2, 1), V2C_VERDICT_INCONCLUSIVE);
        assert_int_equal(v2c_verdict_of_metric(3, 0, 2, 0), V2C_VERDICT_SUCCESS);
        assert_int_equal(v2c_verdict_of_metric(3, 0, 0, 0), V2C_VERDICT_SUCCESS);
        assert_int_equal(v2c_verdict_of_metric(3, 1, 0, 1), V2C_VERDICT_SUCCESS);
        assert_int_equal(v2c_verdict_of_metric(3, 2, 1, 1), V2C_VERDICT_FAILURE);
        assert_int_equal(v2c_verdict_of_metric(3, 1, 0, 0), V2C_VERDICT_FAILURE);
}

int main(int argc, char **argv)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_ready_tcp),
                cmocka_unit_test(test_ready_http_v6),
                cmocka_unit_test(test_ready_timeout),
                cmocka_unit_test(test_prometheus_replies),
                cmocka_unit_test(test_verdict_of_value),
                cmocka_unit_test(test_verdict_of_metric),
        };
        return v2c_run_group_tests(argc, argv, tests, NULL, NULL);
}
