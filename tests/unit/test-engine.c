/* Unit tests for the pure parts of rollout/engine.c: the pull's JSON-lines
 * progress stream, the demultiplexer of framed logs, the inspect reply,
 * the pinned-reference check, and the argument checks that refuse a
 * request before it is sent (against a socket that does not exist, so a
 * request that went out anyway would fail differently).  Buffers handed
 * to (data, len) parsers are exact-size heap copies without a NUL, so
 * AddressSanitizer catches any read past their end. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "unit-main.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "engine.h"
#include "error.h"

#define HEX_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define HEX_C "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define NO_SOCKET "/nonexistent-v2c-test/podman.sock"

/* An exact-size copy of the N bytes at S (new). */
static char *exact(const char *s, size_t n)
{
        char *p = malloc(n ? n : 1);
        assert_non_null(p);
        memcpy(p, s, n);
        return p;
}

/* ------------------------------------------------------------------------
 * The pull's progress stream
 */

/* Parses S (N bytes); returns the error line's message (new) or NULL. */
static char *pull_ok(const char *s, size_t n)
{
        char *data = exact(s, n);
        char *msg = NULL;
        struct v2c_error *err = NULL;
        int r = v2c_engine_parse_pull_stream(data, n, &msg, &err);
        if (r < 0)
                fail_msg("stream refused: %s", err ? err->msg : "(no message)");
        assert_null(err);
        free(data);
        return msg;
}

static void pull_bad(const char *s, const char *why)
{
        char *data = exact(s, strlen(s));
        char *msg = (char *) "untouched";
        struct v2c_error *err = NULL;
        int r = v2c_engine_parse_pull_stream(data, strlen(s), &msg, &err);
        free(data);
        if (r != -EBADMSG)
                fail_msg("`%s` accepted (or not -EBADMSG: %d)", s, r);
        assert_non_null(err);
        assert_int_equal(err->kind, V2C_ERR_INPUT);
        if (why && strstr(err->msg, why) == NULL)
                fail_msg("message `%s` lacks `%s`", err->msg, why);
        assert_string_equal(msg, "untouched");
        v2c_error_free(err);
}

static void test_pull_progress(void **state)
{
        (void) state;
        /* What podman 4.3 sends for a pull that works. */
        static const char podman[] =
                "{\"status\":\"Already exists\",\"progressDetail\":{},\"id\":\"1ab8acee22bd\"}\n"
                "{\"status\":\"Pulling fs layer\",\"progressDetail\":{},\"id\":\"6ac35a40be7c\"}\n"
                "{\"status\":\"Download complete\",\"progressDetail\":{},\"id\":\"6ac35a40be7c\"}\n";
        assert_null(pull_ok(podman, strlen(podman)));
        /* Docker's, with progress bars, CRLF and blank lines. */
        static const char docker[] =
                "{\"status\":\"Pulling from test/hello\",\"id\":\"sha256:" HEX_A "\"}\r\n"
                "\r\n"
                "{\"status\":\"Downloading\",\"progressDetail\":{\"current\":100,\"total\":200},"
                "\"progress\":\"[=====>     ]\",\"id\":\"abc\"}\r\n"
                "   \n"
                "{\"status\":\"Digest: sha256:" HEX_A "\"}\n"
                "{\"status\":\"Status: Downloaded newer image for x\"}";  /* no final newline */
        assert_null(pull_ok(docker, strlen(docker)));
        assert_null(pull_ok("", 0));
        assert_null(pull_ok("\n\n", 2));
}

static void test_pull_error(void **state)
{
        (void) state;
        /* podman 4.3: HTTP 200, then this line. */
        static const char podman[] =
                "{\"progressDetail\":{},\"errorDetail\":{\"message\":\"initializing source docker://127.0.0.1:5000/"
                "x@sha256:" HEX_A ": manifest unknown\"},\"error\":\"short\"}\n";
        _cleanup_free_ char *m = pull_ok(podman, strlen(podman));
        assert_non_null(m);
        assert_non_null(strstr(m, "manifest unknown"));
        assert_non_null(strstr(m, "initializing source")); /* errorDetail wins over error */

        static const char only_error[] = "{\"status\":\"Pulling\"}\n{\"error\":\"no space left on device\"}\n";
        _cleanup_free_ char *m2 = pull_ok(only_error, strlen(only_error));
        assert_string_equal(m2, "no space left on device");

        /* The first error is the one kept. */
        static const char two[] = "{\"error\":\"first\"}\n{\"error\":\"second\"}\n";
        _cleanup_free_ char *m3 = pull_ok(two, strlen(two));
        assert_string_equal(m3, "first");

        /* An error without a usable message still counts. */
        static const char empty[] = "{\"error\":\"\",\"errorDetail\":{}}\n";
        _cleanup_free_ char *m4 = pull_ok(empty, strlen(empty));
        assert_non_null(m4);
        assert_true(strlen(m4) > 0);
        static const char nonstring[] = "{\"error\":{\"code\":1}}";
        _cleanup_free_ char *m5 = pull_ok(nonstring, strlen(nonstring));
        assert_non_null(m5);

        /* Control characters (an escape sequence for the terminal) go. */
        static const char ctl[] = "{\"error\":\"bad\\u001b[2Jthing\\nhere\\u0007\"}\n";
        _cleanup_free_ char *m6 = pull_ok(ctl, strlen(ctl));
        for (const char *p = m6; *p; p++)
                assert_true((unsigned char) *p >= 0x20 && *p != 0x7f);
        assert_non_null(strstr(m6, "bad [2Jthing here"));

        /* A long message is cut to 1 KiB, on a character boundary. */
        char big[4000];
        strcpy(big, "{\"error\":\"");
        for (int i = 0; i < 1000; i++)
                strcat(big, "\xc3\xa9");  /* é: two bytes */
        strcat(big, "\"}");
        _cleanup_free_ char *m7 = pull_ok(big, strlen(big));
        assert_true(strlen(m7) <= 1024 + 3);
        assert_string_equal(m7 + strlen(m7) - 3, "...");
        assert_true(((strlen(m7) - 3) % 2) == 0);
}

static void test_pull_garbage(void **state)
{
        (void) state;
        pull_bad("garbage\n", "line 1");
        pull_bad("{\"status\":\"ok\"}\nnot json\n", "line 2");
        pull_bad("{\"status\":\"ok\"}\n[1,2]\n", "line 2 is not a JSON object");
        pull_bad("\"a string\"", "not a JSON object");
        pull_bad("{\"status\":\"ok\"} {\"status\":\"two on a line\"}\n", NULL);
        pull_bad("{\"status\":\"cut", NULL);
        pull_bad("{\"a\":1,\"a\":2}\n", NULL);
        /* Garbage after an error line still fails: the stream is broken. */
        pull_bad("{\"error\":\"x\"}\n<html>\n", "line 2");
        /* A NUL inside a line. */
        static const char nul[] = "{\"status\":\"a\"}\0{}\n";
        char *data = exact(nul, sizeof nul - 1);
        char *msg = NULL;
        struct v2c_error *err = NULL;
        assert_int_equal(v2c_engine_parse_pull_stream(data, sizeof nul - 1, &msg, &err), -EBADMSG);
        assert_null(msg);
        v2c_error_free(err);
        free(data);
}

/* ------------------------------------------------------------------------
 * Logs
 */

static void demux_ok(const char *s, size_t n, const char *want, size_t want_len)
{
        char *data = exact(s, n);
        char *out = NULL;
        size_t len = 12345;
        struct v2c_error *err = NULL;
        int r = v2c_engine_demux_logs(data, n, &out, &len, &err);
        free(data);
        if (r < 0)
                fail_msg("refused: %s", err ? err->msg : "(no message)");
        assert_int_equal(len, want_len);
        assert_memory_equal(out, want, want_len);
        assert_int_equal(out[len], '\0');
        free(out);
}

static void demux_bad(const char *s, size_t n, const char *why)
{
        char *data = exact(s, n);
        char *out = (char *) "untouched";
        size_t len = 12345;
        struct v2c_error *err = NULL;
        int r = v2c_engine_demux_logs(data, n, &out, &len, &err);
        free(data);
        assert_int_equal(r, -EBADMSG);
        assert_non_null(err);
        assert_int_equal(err->kind, V2C_ERR_INPUT);
        if (why && strstr(err->msg, why) == NULL)
                fail_msg("message `%s` lacks `%s`", err->msg, why);
        assert_string_equal(out, "untouched");
        assert_int_equal(len, 12345);
        v2c_error_free(err);
}

static void test_demux_frames(void **state)
{
        (void) state;
        /* What podman sent for hello-server: its stderr, two frames. */
        static const char two[] = "\x02\0\0\0\0\0\0\x06" "hello\n"
                                  "\x01\0\0\0\0\0\0\x03" "ok\n";
        demux_ok(two, sizeof two - 1, "hello\nok\n", 9);
        demux_ok("", 0, "", 0);
        /* An empty frame, a stdin frame, NUL bytes in a payload. */
        static const char odd[] = "\x01\0\0\0\0\0\0\0"
                                  "\x00\0\0\0\0\0\0\x02" "a\0"
                                  "\x02\0\0\0\0\0\0\x01" "b";
        demux_ok(odd, sizeof odd - 1, "a\0b", 3);
        /* A frame longer than 255 bytes: the length is big-endian. */
        char big[8 + 300];
        memcpy(big, "\x01\0\0\0\0\0\x01\x2c", 8);
        memset(big + 8, 'x', 300);
        char want[300];
        memset(want, 'x', 300);
        demux_ok(big, sizeof big, want, 300);
}

static void test_demux_truncated(void **state)
{
        (void) state;
        /* A header cut short, after a good frame. */
        static const char cut_header[] = "\x01\0\0\0\0\0\0\x02" "ok" "\x01\0\0";
        demux_bad(cut_header, sizeof cut_header - 1, "offset 10 cut short");
        /* A payload shorter than its header says. */
        static const char cut_payload[] = "\x01\0\0\0\0\0\0\x10" "short";
        demux_bad(cut_payload, sizeof cut_payload - 1, "claims 16 bytes, 5 left");
        /* A length that would wrap around a 32-bit size_t. */
        static const char huge[] = "\x01\0\0\0\xff\xff\xff\xff" "x";
        demux_bad(huge, sizeof huge - 1, "claims 4294967295");
        /* A bad stream number, and junk in the padding. */
        demux_bad("\x03\0\0\0\0\0\0\x01" "x", 9, "not a multiplexed");
        demux_bad("\x01\0\x01\0\0\0\0\x01" "x", 9, "not a multiplexed");
}

/* A container with a terminal has a raw log: the demultiplexer must not
 * take its text for frames, and inspect says which it is. */
static void test_logs_tty_raw(void **state)
{
        (void) state;
        static const char raw[] = "hello-server: listening on 0.0.0.0:8081\r\n";
        demux_bad(raw, sizeof raw - 1, "not a multiplexed");
        /* Even text starting with a byte that looks like a stream number. */
        static const char raw2[] = "\x01 not a frame\r\n";
        demux_bad(raw2, sizeof raw2 - 1, "not a multiplexed");

        static const char tty[] = "{\"State\":{\"Status\":\"running\",\"Running\":true,\"ExitCode\":0,\"Pid\":42},"
                                  "\"Config\":{\"Tty\":true}}";
        char *data = exact(tty, sizeof tty - 1);
        struct v2c_engine_state st = { 0 };
        assert_int_equal(v2c_engine_parse_state(data, sizeof tty - 1, &st, NULL), 0);
        assert_true(st.tty);
        v2c_engine_state_release(&st);
        free(data);
}

/* ------------------------------------------------------------------------
 * Inspect
 */

static void test_image_label(void **state)
{
        (void) state;
        /* Trimmed from podman 4.3's GET /images/REF/json. */
        static const char reply[] =
                "{\"Id\":\"sha256:59bd\",\"Config\":{\"Env\":[\"PATH=/usr/bin\"],\"Labels\":"
                "{\"io.v2c.service\":\"webapp\",\"io.v2c.needs\":\"redis-server:6380\"}}}";
        char *v = NULL;
        struct v2c_error *err = NULL;
        assert_int_equal(v2c_engine_parse_image_label(reply, strlen(reply), "io.v2c.needs", &v, &err), 0);
        assert_string_equal(v, "redis-server:6380");
        free(v);
        v = (char *) "untouched";
        assert_int_equal(v2c_engine_parse_image_label(reply, strlen(reply), "io.v2c.pod", &v, &err), 0);
        assert_null(v);
        static const char none[] = "{\"Config\":{\"Labels\":null}}";
        assert_int_equal(v2c_engine_parse_image_label(none, strlen(none), "io.v2c.needs", &v, &err), 0);
        assert_null(v);
        static const char bad[] = "{\"Config\":{\"Labels\":{\"io.v2c.needs\":7}}}";
        v = (char *) "untouched";
        assert_int_equal(v2c_engine_parse_image_label(bad, strlen(bad), "io.v2c.needs", &v, &err), -EINVAL);
        assert_string_equal(v, "untouched");
        err = v2c_error_free(err);
        assert_int_equal(v2c_engine_parse_image_label("[1", 2, "io.v2c.needs", &v, &err), -EINVAL);
        v2c_error_free(err);
}

/* Which engine answers (GET /version): podman's compat API and Docker
 * take different tmpfs options for the container's user. */
static void test_version(void **state)
{
        (void) state;
        /* Trimmed from podman 4.3's reply. */
        static const char podman[] =
                "{\"Platform\":{\"Name\":\"linux/amd64/debian-12\"},\"Components\":[{\"Name\":\"Podman Engine\","
                "\"Version\":\"4.3.1\"},{\"Name\":\"Conmon\",\"Version\":\"conmon version 2.1.6\"}],"
                "\"Version\":\"4.3.1\",\"ApiVersion\":\"1.41\"}";
        /* As Docker's documentation shows it. */
        static const char docker[] =
                "{\"Platform\":{\"Name\":\"Docker Engine - Community\"},\"Components\":[{\"Name\":\"Engine\","
                "\"Version\":\"24.0.7\"},{\"Name\":\"containerd\"},{\"Name\":\"runc\"}],\"Version\":\"24.0.7\"}";
        enum v2c_engine_kind k = V2C_ENGINE_DOCKER;
        struct v2c_error *err = NULL;
        assert_int_equal(v2c_engine_parse_version(podman, strlen(podman), &k, &err), 0);
        assert_int_equal(k, V2C_ENGINE_PODMAN);
        assert_int_equal(v2c_engine_parse_version(docker, strlen(docker), &k, &err), 0);
        assert_int_equal(k, V2C_ENGINE_DOCKER);
        /* No components, or odd ones: the API's own (Docker's) options. */
        const char *other[] = { "{}", "{\"Components\":7}", "{\"Components\":[1,{\"Name\":2},{\"Name\":\"Podman\"}]}" };
        for (size_t i = 0; i < sizeof other / sizeof *other; i++) {
                k = V2C_ENGINE_PODMAN;
                assert_int_equal(v2c_engine_parse_version(other[i], strlen(other[i]), &k, &err), 0);
                assert_int_equal(k, V2C_ENGINE_DOCKER);
        }
        k = V2C_ENGINE_PODMAN;
        const char *bad[] = { "", "[1]", "{\"Components\":[", "\"Podman Engine\"" };
        for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
                assert_int_equal(v2c_engine_parse_version(bad[i], strlen(bad[i]), &k, &err), -EINVAL);
                assert_int_equal(err->kind, V2C_ERR_INPUT);
                err = v2c_error_free(err);
                assert_int_equal(k, V2C_ENGINE_PODMAN);
        }
}

static void test_state(void **state)
{
        (void) state;
        /* Trimmed from podman 4.3's reply. */
        static const char running[] =
                "{\"Id\":\"fadc8b04\",\"State\":{\"Status\":\"running\",\"Running\":true,\"Paused\":false,"
                "\"OOMKilled\":false,\"Dead\":false,\"Pid\":25805,\"ExitCode\":0,\"Error\":\"\","
                "\"Health\":{\"Status\":\"\",\"FailingStreak\":0,\"Log\":null}},\"Config\":{\"Tty\":false}}";
        char *data = exact(running, sizeof running - 1);
        struct v2c_engine_state st = { 0 };
        assert_int_equal(v2c_engine_parse_state(data, sizeof running - 1, &st, NULL), 0);
        assert_true(st.running);
        assert_string_equal(st.status, "running");
        assert_int_equal(st.pid, 25805);
        assert_int_equal(st.exit_code, 0);
        assert_false(st.tty);
        v2c_engine_state_release(&st);
        assert_null(st.status);
        v2c_engine_state_release(&st); /* twice: a zeroed state is fine */
        free(data);

        static const char exited[] = "{\"State\":{\"Status\":\"exited\",\"Running\":false,\"ExitCode\":137}}";
        data = exact(exited, sizeof exited - 1);
        assert_int_equal(v2c_engine_parse_state(data, sizeof exited - 1, &st, NULL), 0);
        assert_false(st.running);
        assert_int_equal(st.exit_code, 137);
        assert_int_equal(st.pid, 0);
        v2c_engine_state_release(&st);
        free(data);

        static const char *const bad[] = {
                "",
                "[]",
                "{}",
                "{\"State\":{}}",
                "{\"State\":{\"Status\":\"running\",\"Running\":\"yes\",\"ExitCode\":0}}",
                "{\"State\":{\"Status\":\"running\",\"Running\":true}}",
                "{\"State\":{\"Status\":\"running\",\"Running\":true,\"ExitCode\":1e3}}",
                "{\"State\":{\"Status\":\"running\",\"Running\":true,\"ExitCode\":99999999999}}",
                "{\"State\":{\"Status\":\"running\",\"Running\":true,\"ExitCode\":0,\"Pid\":-1}}",
                "{\"State\":{\"Status\":\"running\",\"Running\":true,\"ExitCode\":0},\"Config\":{\"Tty\":1}}",
                "{\"State\":{\"Status\":7,\"Running\":true,\"ExitCode\":0}}",
        };
        for (size_t i = 0; i < V2C_ARRAY_SIZE(bad); i++) {
                data = exact(bad[i], strlen(bad[i]));
                struct v2c_engine_state u = { .status = (char *) "untouched" };
                struct v2c_error *err = NULL;
                if (v2c_engine_parse_state(data, strlen(bad[i]), &u, &err) >= 0)
                        fail_msg("`%s` accepted", bad[i]);
                assert_non_null(err);
                assert_int_equal(err->kind, V2C_ERR_INPUT);
                assert_string_equal(u.status, "untouched");
                v2c_error_free(err);
                free(data);
        }
}

/* ------------------------------------------------------------------------
 * Pinned references
 */

static void pinned_ok(const char *ref, const char *repo, const char *digest)
{
        char *r = NULL, *d = NULL;
        struct v2c_error *err = NULL;
        if (v2c_engine_ref_pinned(ref, &r, &d, &err) < 0)
                fail_msg("`%s` refused: %s", ref, err ? err->msg : "(no message)");
        assert_string_equal(r, repo);
        assert_string_equal(d, digest);
        free(r);
        free(d);
        assert_int_equal(v2c_engine_ref_pinned(ref, NULL, NULL, NULL), 0);
}

static void pinned_bad(const char *ref, const char *why)
{
        char *r = (char *) "untouched", *d = (char *) "untouched";
        struct v2c_error *err = NULL;
        if (v2c_engine_ref_pinned(ref, &r, &d, &err) != -EINVAL)
                fail_msg("`%s` accepted", ref ? ref : "(null)");
        assert_non_null(err);
        assert_int_equal(err->kind, V2C_ERR_USAGE);
        if (why && strstr(err->msg, why) == NULL)
                fail_msg("`%s`: message `%s` lacks `%s`", ref, err->msg, why);
        assert_string_equal(r, "untouched");
        assert_string_equal(d, "untouched");
        v2c_error_free(err);
}

static void test_ref_pinned(void **state)
{
        (void) state;
        pinned_ok("127.0.0.1:5000/test/hello@sha256:" HEX_C, "127.0.0.1:5000/test/hello", "sha256:" HEX_C);
        pinned_ok("localhost/app@sha256:" HEX_A, "localhost/app", "sha256:" HEX_A);
        pinned_ok("registry.example.com/a.b_c__d-e/g0@sha256:" HEX_A, "registry.example.com/a.b_c__d-e/g0",
                  "sha256:" HEX_A);
        pinned_ok("[::1]:5000/app@sha256:" HEX_A, "[::1]:5000/app", "sha256:" HEX_A);

        pinned_bad("127.0.0.1:5000/test/hello:latest", "not pinned");
        pinned_bad("127.0.0.1:5000/test/hello", "not pinned");
        pinned_bad("127.0.0.1:5000/test/hello:1.0@sha256:" HEX_A, "has a tag");
        pinned_bad("hello@sha256:" HEX_A, "names no registry");
        pinned_bad("library/hello@sha256:" HEX_A, "names no registry");
        pinned_bad("h.io/app@sha256:" HEX_A "a", "64 lowercase hex");
        pinned_bad("h.io/app@sha256:" "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "64 lowercase hex");
        pinned_bad("h.io/app@sha512:" HEX_A HEX_A, "sha256");
        pinned_bad("h.io/app@" HEX_A, "sha256");
        pinned_bad("h.io/app@sha256:" HEX_A "@sha256:" HEX_A, NULL);
        pinned_bad("h.io/App@sha256:" HEX_A, "not a valid repository");
        pinned_bad("h.io//app@sha256:" HEX_A, "not a valid repository");
        pinned_bad("h.io/app/@sha256:" HEX_A, "not a valid repository");
        pinned_bad("h.io/-app@sha256:" HEX_A, "not a valid repository");
        pinned_bad("h.io/a pp@sha256:" HEX_A, "not a valid repository");
        pinned_bad("h io/app@sha256:" HEX_A, "names no registry");
        pinned_bad("", "no image");
        pinned_bad(NULL, "no image");
        char long_ref[700] = "h.io/";
        memset(long_ref + 5, 'a', 600);
        strcpy(long_ref + 605, "@sha256:" HEX_A);
        pinned_bad(long_ref, "longer than");
}

/* ------------------------------------------------------------------------
 * Refused before any request
 */

static void usage_refused(int r, struct v2c_error *err, const char *why)
{
        assert_true(r < 0);
        assert_non_null(err);
        if (err->kind != V2C_ERR_USAGE || strstr(err->msg, why) == NULL)
                fail_msg("kind %d, message `%s` (want usage, `%s`)", err->kind, err->msg, why);
        v2c_error_free(err);
}

static void test_refused_before_request(void **state)
{
        (void) state;
        struct v2c_engine e = { 0 };
        assert_int_equal(v2c_engine_init(&e, NO_SOCKET, 1000, NULL), 0);
        struct v2c_error *err = NULL;
        int r;

        /* The call first: an argument list may read err before the call. */
        r = v2c_engine_pull(&e, "127.0.0.1:5000/test/hello:latest", &err);
        usage_refused(r, err, "not pinned");
        err = NULL;
        r = v2c_engine_start(&e, "../images/x", &err);
        usage_refused(r, err, "not a container name");
        err = NULL;
        r = v2c_engine_stop(&e, "ok-name", -1, &err);
        usage_refused(r, err, "stop timeout");
        err = NULL;
        r = v2c_engine_remove(&e, "a?force=1", true, &err);
        usage_refused(r, err, "not a container name");
        err = NULL;
        char *out = NULL;
        r = v2c_engine_logs_tail(&e, "x", 0, &out, &err);
        usage_refused(r, err, "log lines");
        assert_null(out);

        struct v2c_engine_port bad_port = { 8081, 0 };
        struct v2c_engine_container_spec spec = { .name = "web", .image = "h.io/x@sha256:" HEX_A,
                                                   .ports = &bad_port, .n_ports = 1 };
        char *id = NULL;
        err = NULL;
        r = v2c_engine_create(&e, &spec, &id, &err);
        usage_refused(r, err, "1..65535");
        spec.n_ports = 0;
        char *env[] = { (char *) "=x", NULL };
        spec.env = env;
        err = NULL;
        r = v2c_engine_create(&e, &spec, &id, &err);
        usage_refused(r, err, "environment entry");
        spec.env = NULL;
        char *binds[] = { (char *) "relative:/data", NULL };
        spec.binds = binds;
        err = NULL;
        r = v2c_engine_create(&e, &spec, &id, &err);
        usage_refused(r, err, "bind");
        spec.binds = NULL;
        spec.name = "has/slash";
        err = NULL;
        r = v2c_engine_create(&e, &spec, &id, &err);
        usage_refused(r, err, "container name");
        assert_null(id);

        /* What passes the checks reaches for the socket, and says so. */
        err = NULL;
        assert_int_equal(v2c_engine_ping(&e, &err), -ENOENT);
        assert_non_null(strstr(err->msg, NO_SOCKET));
        v2c_error_free(err);
        struct v2c_engine_port ports[] = { { 8081, 18081 }, { 8081, 18082 }, { 9090, 19090 } };
        char *good_env[] = { (char *) "A=1", (char *) "B=", NULL };
        char *good_binds[] = { (char *) "/srv/data:/data:ro", NULL };
        char *cmd[] = { (char *) "/usr/local/bin/hello-server", (char *) "--port", (char *) "8081", NULL };
        struct v2c_engine_container_spec good = { .name = "web-1.green_a", .image = "h.io/x@sha256:" HEX_A,
                                                  .env = good_env, .cmd = cmd, .ports = ports, .n_ports = 3,
                                                  .binds = good_binds };
        err = NULL;
        assert_int_equal(v2c_engine_create(&e, &good, &id, &err), -ENOENT);
        assert_non_null(strstr(err->msg, "creating `web-1.green_a`: no engine socket"));
        assert_null(id);
        v2c_error_free(err);

        v2c_engine_release(&e);
        assert_null(e.socket_path);
        v2c_engine_release(&e);
}

int main(int argc, char **argv)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_pull_progress),
                cmocka_unit_test(test_pull_error),
                cmocka_unit_test(test_pull_garbage),
                cmocka_unit_test(test_demux_frames),
                cmocka_unit_test(test_demux_truncated),
                cmocka_unit_test(test_logs_tty_raw),
                cmocka_unit_test(test_state),
                cmocka_unit_test(test_image_label),
                cmocka_unit_test(test_version),
                cmocka_unit_test(test_ref_pinned),
                cmocka_unit_test(test_refused_before_request),
        };
        return v2c_run_group_tests(argc, argv, tests, NULL, NULL);
}
