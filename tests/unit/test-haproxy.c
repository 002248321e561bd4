/* Unit tests for rollout/haproxy.c's `show stat` parser (pure) and the
 * argument checks that run before any connection.  The real answer is the
 * fuzz seed tests/fuzz/corpus/haproxy-stat/haproxy-2.6-show-stat.csv,
 * captured from Debian's haproxy 2.6 (backend `be`: vm, ct, a DOWN server,
 * a disabled one, a backup; backend `be_tcp` in TCP mode with one held
 * connection and a server that refuses, redispatched).  The socket side is
 * tested against a real haproxy by tests/integration/test-haproxy.sh. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "unit-main.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cleanup.h"
#include "error.h"
#include "haproxy.h"

#define REAL_CAPTURE "tests/fuzz/corpus/haproxy-stat/haproxy-2.6-show-stat.csv"

static char *read_file(const char *path, size_t *len)
{
        FILE *f = fopen(path, "rb");
        assert_non_null(f);
        char *s = malloc(1 << 20);
        assert_non_null(s);
        *len = fread(s, 1, (1 << 20) - 1, f);
        s[*len] = '\0';
        fclose(f);
        return s;
}

/* Parses TEXT and expects success. */
static void parse_ok(const char *text, size_t len, struct v2c_haproxy_stats *st)
{
        struct v2c_error *err = NULL;
        int r = v2c_haproxy_parse_stat(text, len, st, &err);
        if (r < 0)
                fail_msg("parse failed: %s", err->msg);
        assert_null(err);
}

/* Parses TEXT, expects error CODE with WANT in its message, and *out untouched. */
static void parse_fails(const char *text, size_t len, int code, const char *want)
{
        struct v2c_haproxy_server sentinel;
        struct v2c_haproxy_stats st = { &sentinel, 42, 7 };
        struct v2c_error *err = NULL;
        int r = v2c_haproxy_parse_stat(text, len, &st, &err);
        assert_int_equal(r, -code);
        assert_non_null(err);
        assert_int_equal(err->code, code);
        if (strstr(err->msg, want) == NULL)
                fail_msg("error `%s` lacks `%s`", err->msg, want);
        assert_ptr_equal(st.servers, &sentinel);
        assert_int_equal(st.n, 42);
        assert_int_equal(st.columns, 7);
        v2c_error_free(err);
}

static void parse_str_fails(const char *text, int code, const char *want)
{
        parse_fails(text, strlen(text), code, want);
}

struct expect {
        const char *backend, *server, *status;
        unsigned weight, uweight;
        uint64_t scur, stot, lbtot, hrsp_2xx, hrsp_4xx, hrsp_5xx, wredis;
        int64_t rtime;
};

/* What python's csv module reads in the capture, rows of type 2. */
static const struct expect real[] = {
        { "be", "vm", "UP", 100, 100, 0, 30, 30, 10, 10, 10, 0, 2 },
        { "be", "ct", "no check", 100, 100, 0, 30, 30, 10, 10, 10, 0, 1 },
        { "be", "dead", "DOWN", 10, 10, 0, 0, 0, 0, 0, 0, 0, 0 },
        { "be", "off", "MAINT", 1, 1, 0, 0, 0, 0, 0, 0, 0, 0 },
        { "be", "spare", "no check", 1, 1, 0, 0, 0, 0, 0, 0, 0, 0 },
        { "be_tcp", "one", "no check", 1, 1, 1, 6, 6, 0, 0, 0, 0, 0 },
        { "be_tcp", "gone", "no check", 1, 1, 0, 5, 5, 0, 0, 0, 5, 0 },
};

static void check_real(const struct v2c_haproxy_stats *st)
{
        assert_int_equal(st->n, V2C_ARRAY_SIZE(real));
        for (size_t i = 0; i < st->n; i++) {
                const struct v2c_haproxy_server *s = &st->servers[i];
                const struct expect *e = &real[i];
                assert_string_equal(s->backend, e->backend);
                assert_string_equal(s->server, e->server);
                assert_string_equal(s->status, e->status);
                assert_int_equal(s->weight, e->weight);
                assert_int_equal(s->uweight, e->uweight);
                assert_int_equal(s->qcur, 0);
                assert_int_equal(s->scur, e->scur);
                assert_int_equal(s->stot, e->stot);
                assert_int_equal(s->lbtot, e->lbtot);
                assert_int_equal(s->hrsp_1xx, 0);
                assert_int_equal(s->hrsp_2xx, e->hrsp_2xx);
                assert_int_equal(s->hrsp_3xx, 0);
                assert_int_equal(s->hrsp_4xx, e->hrsp_4xx);
                assert_int_equal(s->hrsp_5xx, e->hrsp_5xx);
                assert_int_equal(s->econ, 0);
                assert_int_equal(s->eresp, 0);
                assert_int_equal(s->srv_abrt, 0);
                assert_int_equal(s->cli_abrt, 0);
                assert_int_equal(s->wretr, 0);
                assert_int_equal(s->wredis, e->wredis);
                assert_int_equal(s->rtime, e->rtime);
        }
}

static void test_real_capture(void **state)
{
        (void) state;
        size_t len;
        _cleanup_free_ char *csv = read_file(REAL_CAPTURE, &len);
        _cleanup_haproxy_stats_ struct v2c_haproxy_stats st = { 0 };
        parse_ok(csv, len, &st);
        check_real(&st);
        unsigned all = V2C_HAPROXY_COL_QCUR | V2C_HAPROXY_COL_LBTOT | V2C_HAPROXY_COL_HRSP |
                       V2C_HAPROXY_COL_ECON | V2C_HAPROXY_COL_ERESP | V2C_HAPROXY_COL_ABRT |
                       V2C_HAPROXY_COL_RTIME | V2C_HAPROXY_COL_UWEIGHT | V2C_HAPROXY_COL_RETRIES;
        assert_int_equal(st.columns, all);

        const struct v2c_haproxy_server *s = v2c_haproxy_find(&st, "be_tcp", "one");
        assert_non_null(s);
        assert_ptr_equal(s, &st.servers[5]);
        assert_null(v2c_haproxy_find(&st, "be", "one"));
        assert_null(v2c_haproxy_find(&st, "be", "BACKEND"));
        assert_null(v2c_haproxy_find(&st, "fe", "FRONTEND"));

        v2c_haproxy_stats_release(&st);
        assert_null(st.servers);
        assert_int_equal(st.n, 0);
        v2c_haproxy_stats_release(&st);   /* twice is fine */
}

/* Splits one CSV line (no quoting in HAProxy's numeric output) into fields. */
static size_t split(char *line, char **f, size_t max)
{
        size_t n = 0;
        for (;;) {
                f[n++] = line;
                char *comma = strchr(line, ',');
                if (comma == NULL || n == max)
                        return n;
                *comma = '\0';
                line = comma + 1;
        }
}

/* The capture with its columns in reverse order reads the same. */
static void test_columns_by_name(void **state)
{
        (void) state;
        size_t len;
        _cleanup_free_ char *csv = read_file(REAL_CAPTURE, &len);
        struct v2c_buf out;
        v2c_buf_init(&out, 1 << 20);
        char *save = NULL;
        bool header = true;
        for (char *line = strtok_r(csv, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char *f[400];
                if (header)
                        line += 2;   /* "# " */
                size_t n = split(line, f, V2C_ARRAY_SIZE(f));
                assert_true(n > 100);
                assert_int_equal(v2c_buf_appends(&out, header ? "# " : ""), 0);
                for (size_t i = n; i-- > 0;)
                        assert_int_equal(v2c_buf_appendf(&out, "%s%s", f[i], i ? "," : "\n"), 0);
                header = false;
        }
        _cleanup_haproxy_stats_ struct v2c_haproxy_stats st = { 0 };
        parse_ok(out.data, out.len, &st);
        check_real(&st);
        v2c_buf_release(&out);
}

static void test_rows_kept(void **state)
{
        (void) state;
        /* With `type`: only servers (2), not a listener (3) nor a row that
         * only calls itself FRONTEND. */
        const char *typed = "# pxname,svname,status,weight,scur,type\n"
                            "fe,FRONTEND,OPEN,,0,0\n"
                            "fe,sock-1,OPEN,,0,3\n"
                            "be,vm,UP,5,2,2\n"
                            "be,BACKEND,UP,5,2,1\n"
                            "odd,FRONTEND,UP,1,0,2\n";
        _cleanup_haproxy_stats_ struct v2c_haproxy_stats st = { 0 };
        parse_ok(typed, strlen(typed), &st);
        assert_int_equal(st.n, 2);
        assert_string_equal(st.servers[0].server, "vm");
        assert_int_equal(st.servers[0].weight, 5);
        assert_int_equal(st.servers[0].scur, 2);
        assert_string_equal(st.servers[1].backend, "odd");
        v2c_haproxy_stats_release(&st);

        /* Without `type`: by svname. */
        const char *untyped = "# pxname,svname,status,weight,scur\n"
                              "fe,FRONTEND,OPEN,,0\n"
                              "be,vm,UP,5,2\n"
                              "be,BACKEND,UP,5,2\n"
                              "be,ct,DRAIN,0,0\n";
        parse_ok(untyped, strlen(untyped), &st);
        assert_int_equal(st.n, 2);
        assert_string_equal(st.servers[0].server, "vm");
        assert_string_equal(st.servers[1].server, "ct");
        assert_string_equal(st.servers[1].status, "DRAIN");
        assert_int_equal(st.columns, 0);   /* no optional column at all */
        v2c_haproxy_stats_release(&st);

        /* A header only: no servers, which is no error. */
        parse_ok(untyped, strlen("# pxname,svname,status,weight,scur\n"), &st);
        assert_int_equal(st.n, 0);
}

static void test_empty_fields(void **state)
{
        (void) state;
        const char *csv = "# pxname,svname,status,weight,scur,stot,lbtot,hrsp_2xx,hrsp_5xx,rtime,econ\n"
                          "be,vm,,,,,,,,,\n"
                          "be,ct,UP,3,1,2,3,4,5,0,6\n"
                          "be,tcp,UP,1,0,7,7,,,12,\n";
        _cleanup_haproxy_stats_ struct v2c_haproxy_stats st = { 0 };
        parse_ok(csv, strlen(csv), &st);
        assert_int_equal(st.n, 3);
        const struct v2c_haproxy_server *s = &st.servers[0];
        assert_string_equal(s->status, "");
        assert_int_equal(s->weight, 0);
        assert_int_equal(s->scur + s->stot + s->lbtot + s->hrsp_2xx + s->hrsp_5xx + s->econ, 0);
        assert_int_equal(s->rtime, -1);
        s = &st.servers[1];
        assert_int_equal(s->rtime, 0);   /* "0" is a time, "" is none */
        assert_int_equal(s->hrsp_5xx, 5);
        assert_int_equal(s->econ, 6);
        assert_int_equal(st.servers[2].rtime, 12);
        assert_int_equal(st.servers[2].hrsp_2xx, 0);
        /* Only hrsp_2xx and hrsp_5xx: the HRSP bit wants all five. */
        assert_int_equal(st.columns, V2C_HAPROXY_COL_LBTOT | V2C_HAPROXY_COL_RTIME | V2C_HAPROXY_COL_ECON);
}

static void test_quoting_and_line_ends(void **state)
{
        (void) state;
        const char *csv = "#pxname,svname,status,weight,scur,\r\n"
                          "be,\"a,b\",\"DOWN, \"\"really\"\"\",\"7\",0,\r\n"
                          "\r\n"
                          "\n"
                          "be,\"\",UP,1,0"; /* no final newline; a quoted empty name */
        struct v2c_haproxy_stats st = { 0 };
        struct v2c_error *err = NULL;
        assert_int_equal(v2c_haproxy_parse_stat(csv, strlen(csv), &st, &err), -EBADMSG);
        assert_non_null(strstr(err->msg, "line 5: an empty svname"));
        v2c_error_free(err);

        size_t good = strstr(csv, "be,\"\"") - csv;
        parse_ok(csv, good, &st);
        assert_int_equal(st.n, 1);
        assert_string_equal(st.servers[0].server, "a,b");
        assert_string_equal(st.servers[0].status, "DOWN, \"really\"");
        assert_int_equal(st.servers[0].weight, 7);
        v2c_haproxy_stats_release(&st);

        /* The last row without a final newline is read. */
        const char *last = "# pxname,svname,status,weight,scur\nbe,vm,UP,1,4";
        parse_ok(last, strlen(last), &st);
        assert_int_equal(st.n, 1);
        assert_int_equal(st.servers[0].scur, 4);
        v2c_haproxy_stats_release(&st);

        /* More fields than the header: extra ones ignored. */
        const char *wide = "# pxname,svname,status,weight,scur\nbe,vm,UP,1,4,9,9,9,\n";
        parse_ok(wide, strlen(wide), &st);
        assert_int_equal(st.n, 1);
        v2c_haproxy_stats_release(&st);

        /* Two columns of one name: the first counts. */
        const char *dup = "# pxname,svname,status,weight,scur,scur\nbe,vm,UP,1,4,x\n";
        parse_ok(dup, strlen(dup), &st);
        assert_int_equal(st.servers[0].scur, 4);
        v2c_haproxy_stats_release(&st);
}

static void test_malformed(void **state)
{
        (void) state;
        /* What HAProxy says instead of a CSV. */
        parse_str_fails("Permission denied\n\n", EBADMSG, "`Permission denied` is no");
        parse_str_fails("", EBADMSG, "empty");
        parse_str_fails("\n# pxname,svname,status,weight,scur\n", EBADMSG, "first line");
        parse_str_fails("# pxname,svname,status,weight\nbe,vm,UP,1\n", EBADMSG, "no column `scur`");
        parse_str_fails("# pxname,svname,status,scur\n", EBADMSG, "no column `weight`");
        parse_str_fails("# \"pxname,svname\n", EBADMSG, "line 1 (header): broken quoting");
        /* Rows: refused whole, naming line and column. */
        parse_str_fails("# pxname,svname,status,weight,scur\nbe,vm,UP,1\n", EBADMSG,
                        "line 2: the row ends before column `scur`");
        parse_str_fails("# pxname,svname,status,weight,scur\nbe,vm,UP,1,0\nbe,ct,UP,1,abc\n", EBADMSG,
                        "line 3: column `scur`: `abc` is not a number");
        parse_str_fails("# pxname,svname,status,weight,scur\nbe,vm,UP,1,-1\n", EBADMSG, "`-1` is not a number");
        parse_str_fails("# pxname,svname,status,weight,scur\nbe,vm,UP,1, 1\n", EBADMSG, "is not a number");
        parse_str_fails("# pxname,svname,status,weight,scur\nbe,vm,UP,1,18446744073709551616\n", EBADMSG,
                        "is not a number");
        parse_str_fails("# pxname,svname,status,weight,scur\nbe,vm,UP,4294967296,0\n", EBADMSG,
                        "column `weight`");
        parse_str_fails("# pxname,svname,status,weight,scur,rtime\nbe,vm,UP,1,0,9223372036854775808\n", EBADMSG,
                        "column `rtime`");
        parse_str_fails("# pxname,svname,status,weight,scur\n,vm,UP,1,0\n", EBADMSG, "an empty pxname");
        parse_str_fails("# pxname,svname,status,weight,scur\nbe,\"vm,UP,1,0\n", EBADMSG, "line 2: broken quoting");
        parse_str_fails("# pxname,svname,status,weight,scur\nbe,\"vm\"x,UP,1,0\n", EBADMSG, "broken quoting");
        parse_str_fails("# pxname,svname,status,weight,scur,type\nbe,vm,UP,1,0,\n", EBADMSG, "column `type`");
        /* A short FRONTEND row is as broken as a server's. */
        parse_str_fails("# pxname,svname,status,weight,scur\nfe,FRONTEND\n", EBADMSG, "line 2");
        static const char nul[] = "# pxname,svname,status,weight,scur\nbe,v\0m,UP,1,0\n";
        parse_fails(nul, sizeof nul - 1, EBADMSG, "line 2: a NUL byte");

        /* The largest values that fit. */
        const char *max = "# pxname,svname,status,weight,scur,rtime\nbe,vm,UP,4294967295,18446744073709551615,"
                          "9223372036854775807\n";
        _cleanup_haproxy_stats_ struct v2c_haproxy_stats st = { 0 };
        parse_ok(max, strlen(max), &st);
        assert_int_equal(st.servers[0].weight, 4294967295u);
        assert_true(st.servers[0].scur == UINT64_MAX);
        assert_true(st.servers[0].rtime == INT64_MAX);
}

static void test_limits(void **state)
{
        (void) state;
        struct v2c_buf b;
        v2c_buf_init(&b, 8 << 20);
        assert_int_equal(v2c_buf_appends(&b, "# pxname,svname,status,weight,scur\n"), 0);
        for (unsigned i = 0; i < V2C_HAPROXY_MAX_ROWS; i++)
                assert_int_equal(v2c_buf_appendf(&b, "be,s%u,UP,1,%u\n", i, i % 7), 0);
        _cleanup_haproxy_stats_ struct v2c_haproxy_stats st = { 0 };
        parse_ok(b.data, b.len, &st);
        assert_int_equal(st.n, V2C_HAPROXY_MAX_ROWS);
        assert_int_equal(st.servers[99999].scur, 99999 % 7);
        v2c_haproxy_stats_release(&st);
        /* Rows count whether kept or not, and empty lines do not. */
        assert_int_equal(v2c_buf_appends(&b, "\n\nfe,FRONTEND,OPEN,,0\n"), 0);
        parse_fails(b.data, b.len, E2BIG, "more than 100000 rows");
        v2c_buf_release(&b);

        /* A line of exactly the limit, then one byte more. */
        v2c_buf_init(&b, 4 << 20);
        assert_int_equal(v2c_buf_appends(&b, "# pxname,svname,status,weight,scur\nbe,vm,UP,1,0,"), 0);
        size_t start = strlen("# pxname,svname,status,weight,scur\n");
        while (b.len - start < V2C_HAPROXY_MAX_LINE)
                assert_int_equal(v2c_buf_append(&b, "x", 1), 0);
        assert_int_equal(v2c_buf_appends(&b, "\n"), 0);
        parse_ok(b.data, b.len, &st);
        assert_int_equal(st.n, 1);
        v2c_haproxy_stats_release(&st);
        b.len--;   /* the newline */
        assert_int_equal(v2c_buf_appends(&b, "x\n"), 0);
        parse_fails(b.data, b.len, E2BIG, "line 2 is longer than 1048576 bytes");
        v2c_buf_release(&b);
}

/* Bad arguments are refused before anything is sent: no socket needed. */
static void test_arguments(void **state)
{
        (void) state;
        struct v2c_haproxy h = { (char *) "/nonexistent/haproxy.sock", 0 };
        struct v2c_error *err = NULL;
        char *reply = NULL;

        assert_int_equal(v2c_haproxy_set_weight(&h, "be", "vm;shutdown sessions", 1, &err), -EINVAL);
        assert_non_null(strstr(err->msg, "is not a haproxy server name"));
        err = v2c_error_free(err);
        assert_int_equal(v2c_haproxy_set_weight(&h, "b e", "vm", 1, &err), -EINVAL);
        err = v2c_error_free(err);
        assert_int_equal(v2c_haproxy_set_weight(&h, "be", "", 1, &err), -EINVAL);
        err = v2c_error_free(err);
        assert_int_equal(v2c_haproxy_set_weight(&h, "be", "vm", 257, &err), -ERANGE);
        assert_non_null(strstr(err->msg, "above haproxy's limit 256"));
        err = v2c_error_free(err);
        assert_int_equal(v2c_haproxy_set_state(&h, "be", "vm", "up", &err), -EINVAL);
        assert_non_null(strstr(err->msg, "`up` is none of ready, drain, maint"));
        err = v2c_error_free(err);
        assert_int_equal(v2c_haproxy_command(&h, "show stat\nshow info", &reply, &err), -EINVAL);
        err = v2c_error_free(err);
        assert_int_equal(v2c_haproxy_command(&h, "", &reply, &err), -EINVAL);
        err = v2c_error_free(err);
        assert_int_equal(v2c_haproxy_wait_drained(&h, "be/x", "vm", 10, &err), -EINVAL);
        err = v2c_error_free(err);
        assert_null(reply);

        /* A valid request reaches the connection, which fails clearly. */
        assert_int_equal(v2c_haproxy_set_weight(&h, "be-1.x:y", "vm_2", 256, &err), -ENOENT);
        assert_non_null(strstr(err->msg, "`/nonexistent/haproxy.sock`"));
        err = v2c_error_free(err);
        char longpath[200];
        memset(longpath, 'a', sizeof longpath - 1);
        longpath[sizeof longpath - 1] = '\0';
        h.socket_path = longpath;
        assert_int_equal(v2c_haproxy_command(&h, "show info", &reply, &err), -ENAMETOOLONG);
        err = v2c_error_free(err);
        assert_null(reply);
}

int main(int argc, char **argv)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_real_capture),
                cmocka_unit_test(test_columns_by_name),
                cmocka_unit_test(test_rows_kept),
                cmocka_unit_test(test_empty_fields),
                cmocka_unit_test(test_quoting_and_line_ends),
                cmocka_unit_test(test_malformed),
                cmocka_unit_test(test_limits),
                cmocka_unit_test(test_arguments),
        };
        return v2c_run_group_tests(argc, argv, tests, NULL, NULL);
}
