/* Unit tests for common/ref.c (image references and digests: every form
 * the grammar accepts, with its parts, and every rule it refuses by, in
 * both modes: plain, and pinned with stray bytes reported by part) and for
 * the small helpers of common/text.h and common/clock.h. */
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
#include <time.h>

#include "cleanup.h"
#include "clock.h"
#include "error.h"
#include "ref.h"
#include "text.h"

#define HEX_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define HEX_C "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define DIG_A "sha256:" HEX_A
#define DIG_C "sha256:" HEX_C
#define PINNED (V2C_REF_PINNED | V2C_REF_BYTE_IN_PART)

/* ------------------------------------------------------------------------
 * Digests
 */

static void test_digest(void **state)
{
        (void) state;
        assert_true(v2c_digest_valid(DIG_A));
        assert_true(v2c_digest_valid(DIG_C));
        assert_true(v2c_digest_valid_n(DIG_C "trailing", V2C_DIGEST_LEN));

        static const char *const bad[] = {
                "",
                "sha256:",
                "sha256:" HEX_A "a",                    /* 65 digits */
                "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", /* 63 */
                "sha256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", /* uppercase */
                "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaag", /* not hex */
                "sha256:../../../../../../../../../../../../../../../../../etc/passwd",   /* 64 bytes */
                "sha512:" HEX_A,
                "SHA256:" HEX_A,
                "sha256-" HEX_A,
                HEX_A,
                " sha256:" HEX_A,
                "sha256:" HEX_A " ",
                "sha256:" HEX_A "\n",
        };
        for (size_t i = 0; i < V2C_ARRAY_SIZE(bad); i++)
                if (v2c_digest_valid(bad[i]))
                        fail_msg("`%s` accepted as a digest", bad[i]);
        assert_false(v2c_digest_valid(NULL));
        /* The length counts: a digest cut short or running on is refused. */
        assert_false(v2c_digest_valid_n(DIG_A, V2C_DIGEST_LEN - 1));
        assert_false(v2c_digest_valid_n(DIG_A "a", V2C_DIGEST_LEN + 1));
        /* A NUL inside the span is not a hex digit. */
        char nul[V2C_DIGEST_LEN + 1];
        memcpy(nul, DIG_A, sizeof nul);
        nul[40] = '\0';
        assert_false(v2c_digest_valid_n(nul, V2C_DIGEST_LEN));
}

/* ------------------------------------------------------------------------
 * References accepted
 */

static void span_is(const char *s, size_t off, size_t len, const char *want)
{
        if (want == NULL) {
                assert_int_equal(len, 0);
                return;
        }
        if (len != strlen(want) || memcmp(s + off, want, len) != 0)
                fail_msg("`%s`: part `%.*s`, want `%s`", s, (int) len, s + off, want);
}

/* S passes in MODE with those parts; v2c_ref_parse agrees (when MODE is
 * plain), and the parts put back together give S again. */
static void ok_in(const char *s, unsigned mode, const char *host, const char *repo, const char *tag,
                  const char *digest)
{
        struct v2c_ref_spans sp;
        enum v2c_ref_problem p = v2c_ref_check(s, mode, &sp);
        if (p != V2C_REF_OK)
                fail_msg("`%s` refused (mode %u, problem %d)", s, mode, (int) p);
        span_is(s, 0, sp.host_len, host);
        span_is(s, sp.repo_off, sp.repo_len, repo);
        span_is(s, sp.tag_off, sp.tag_len, tag);
        span_is(s, sp.digest_off, sp.digest_len, digest);
        assert_int_equal(sp.name_len, strlen(host) + 1 + strlen(repo));
        assert_int_equal(sp.has_digest, digest != NULL);

        struct v2c_ref r = { 0 };
        struct v2c_error *err = NULL;
        if (v2c_ref_parse(s, &r, &err) < 0)
                fail_msg("`%s`: %s", s, err->msg);
        _cleanup_free_ char *back = NULL;
        assert_true(asprintf(&back, "%s/%s%s%s%s%s", r.host, r.repo, r.tag ? ":" : "", r.tag ? r.tag : "",
                             r.digest ? "@" : "", r.digest ? r.digest : "") > 0);
        assert_string_equal(back, s);

        /* The pinned form built from it passes the pinned check, and
         * names the same repository. */
        _cleanup_free_ char *pinned = v2c_ref_format_pinned(&r, DIG_C);
        assert_non_null(pinned);
        assert_int_equal(v2c_ref_check(pinned, PINNED, &sp), V2C_REF_OK);
        assert_int_equal(sp.name_len, strlen(r.host) + 1 + strlen(r.repo));
        assert_memory_equal(pinned, s, sp.name_len);
        v2c_ref_release(&r);
}

static void ok(const char *s, const char *host, const char *repo, const char *tag, const char *digest)
{
        ok_in(s, 0, host, repo, tag, digest);
        ok_in(s, V2C_REF_BYTE_IN_PART, host, repo, tag, digest);
        /* Pinned: only with a digest and without a tag. */
        enum v2c_ref_problem p = v2c_ref_check(s, PINNED, NULL);
        if (digest && !tag)
                assert_int_equal(p, V2C_REF_OK);
        else
                assert_int_equal(p, digest ? V2C_REF_HAS_TAG : V2C_REF_NOT_PINNED);
}

static void test_ref_accepted(void **state)
{
        (void) state;
        ok("localhost/app", "localhost", "app", NULL, NULL);
        ok("localhost:5000/app", "localhost:5000", "app", NULL, NULL);
        ok("127.0.0.1:5000/team/app:1.0", "127.0.0.1:5000", "team/app", "1.0", NULL);
        ok("Registry.Example.COM/a/b/c", "Registry.Example.COM", "a/b/c", NULL, NULL);
        ok("my-registry.example.com:443/app", "my-registry.example.com:443", "app", NULL, NULL);
        ok("[::1]:5000/app:v2", "[::1]:5000", "app", "v2", NULL);
        ok("[fe80::1]/app", "[fe80::1]", "app", NULL, NULL);
        ok("[FE80::1]:1/app", "[FE80::1]:1", "app", NULL, NULL);
        ok("host:65535/app", "host:65535", "app", NULL, NULL);
        ok("host:1/app", "host:1", "app", NULL, NULL);
        ok("x.y/a.b_c__d-e---f/g0", "x.y", "a.b_c__d-e---f/g0", NULL, NULL);
        ok("x.y/app:_x.Y-1", "x.y", "app", "_x.Y-1", NULL);
        ok("x.y/app@" DIG_C, "x.y", "app", NULL, DIG_C);
        ok("localhost/app@" DIG_A, "localhost", "app", NULL, DIG_A);
        ok("127.0.0.1:5000/web01/webapp@" DIG_C, "127.0.0.1:5000", "web01/webapp", NULL, DIG_C);
        ok("x.y:5000/team/app:1.2@" DIG_A, "x.y:5000", "team/app", "1.2", DIG_A);

        /* The limits themselves: a 128-byte tag, a 255-byte name, 1024 bytes. */
        char tag[300] = "h.io/app:";
        memset(tag + 9, 'x', V2C_REF_TAG_MAX);
        tag[9 + V2C_REF_TAG_MAX] = '\0';
        ok(tag, "h.io", "app", tag + 9, NULL);
        char name[V2C_REF_NAME_MAX + 1] = "h.io/";
        memset(name + 5, 'a', V2C_REF_NAME_MAX - 5);
        name[V2C_REF_NAME_MAX] = '\0';
        ok(name, "h.io", name + 5, NULL, NULL);
}

/* ------------------------------------------------------------------------
 * References refused
 */

/* S is refused for PLAIN in the plain mode and for PIN in the pinned one. */
static void bad(const char *s, enum v2c_ref_problem plain, enum v2c_ref_problem pin)
{
        enum v2c_ref_problem p = v2c_ref_check(s, 0, NULL);
        if (p != plain)
                fail_msg("`%s`: problem %d, want %d", s ? s : "(null)", (int) p, (int) plain);
        p = v2c_ref_check(s, PINNED, NULL);
        if (p != pin)
                fail_msg("`%s` pinned: problem %d, want %d", s ? s : "(null)", (int) p, (int) pin);
        /* v2c_ref_parse refuses it too, as a usage error, leaving *out alone. */
        struct v2c_ref r = { .host = (char *) "untouched" };
        struct v2c_error *err = NULL;
        assert_int_equal(v2c_ref_parse(s, &r, &err), -EINVAL);
        assert_non_null(err);
        assert_int_equal(err->kind, V2C_ERR_USAGE);
        assert_string_equal(r.host, "untouched");
        v2c_error_free(err);
}

static void test_ref_refused(void **state)
{
        (void) state;
        bad(NULL, V2C_REF_EMPTY, V2C_REF_EMPTY);
        bad("", V2C_REF_EMPTY, V2C_REF_EMPTY);
        /* Bytes: first in the plain mode, by part in the pinned one. */
        bad("exa mple.com/app@" DIG_A, V2C_REF_BAD_BYTE, V2C_REF_BAD_HOST);
        bad("exa mple/app@" DIG_A, V2C_REF_BAD_BYTE, V2C_REF_NOT_A_HOST);
        bad("h.io/a pp@" DIG_A, V2C_REF_BAD_BYTE, V2C_REF_BAD_REPO);
        bad("h.io/app\n@" DIG_A, V2C_REF_BAD_BYTE, V2C_REF_BAD_REPO);
        bad("h.io/app@sha256:" HEX_A "\x7f", V2C_REF_BAD_BYTE, V2C_REF_DIGEST_HEX);
        bad("h.io/caf\xc3\xa9@" DIG_A, V2C_REF_BAD_BYTE, V2C_REF_BAD_REPO);
        bad("h\xc3\xa9.io/app@" DIG_A, V2C_REF_BAD_BYTE, V2C_REF_BAD_HOST);
        /* Digests. */
        bad("h.io/app@sha512:" HEX_A HEX_A, V2C_REF_DIGEST_NOT_SHA256, V2C_REF_DIGEST_NOT_SHA256);
        bad("h.io/app@" HEX_A, V2C_REF_DIGEST_NOT_SHA256, V2C_REF_DIGEST_NOT_SHA256);
        bad("h.io/app@", V2C_REF_DIGEST_NOT_SHA256, V2C_REF_DIGEST_NOT_SHA256);
        bad("h.io/app@sha256:" HEX_A "a", V2C_REF_DIGEST_HEX, V2C_REF_DIGEST_HEX);
        bad("h.io/app@sha256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", V2C_REF_DIGEST_HEX,
            V2C_REF_DIGEST_HEX);
        bad("h.io/app@" DIG_A "@" DIG_A, V2C_REF_DIGEST_HEX, V2C_REF_DIGEST_HEX);
        /* Tags: checked in the plain mode, refused whole when pinned. */
        bad("h.io/app:", V2C_REF_BAD_TAG, V2C_REF_NOT_PINNED);
        bad("h.io/app:-x", V2C_REF_BAD_TAG, V2C_REF_NOT_PINNED);
        bad("h.io/app:a+b@" DIG_A, V2C_REF_BAD_TAG, V2C_REF_HAS_TAG);
        bad("h.io/app:1.0@" DIG_A "x", V2C_REF_DIGEST_HEX, V2C_REF_DIGEST_HEX);
        /* Hosts. */
        bad("app", V2C_REF_NO_HOST, V2C_REF_NOT_PINNED);
        bad("app@" DIG_A, V2C_REF_NO_HOST, V2C_REF_NO_HOST);
        bad("library/nginx@" DIG_A, V2C_REF_NOT_A_HOST, V2C_REF_NOT_A_HOST);
        bad("localhost:5000", V2C_REF_NO_HOST, V2C_REF_NOT_PINNED);
        bad("example.com:0/app@" DIG_A, V2C_REF_BAD_HOST, V2C_REF_BAD_HOST);
        bad("example.com:65536/app@" DIG_A, V2C_REF_BAD_HOST, V2C_REF_BAD_HOST);
        bad("example.com:/app@" DIG_A, V2C_REF_BAD_HOST, V2C_REF_BAD_HOST);
        bad("example.com:50a/app@" DIG_A, V2C_REF_BAD_HOST, V2C_REF_BAD_HOST);
        bad("-example.com/app@" DIG_A, V2C_REF_BAD_HOST, V2C_REF_BAD_HOST);
        bad("example..com/app@" DIG_A, V2C_REF_BAD_HOST, V2C_REF_BAD_HOST);
        bad("example.com./app@" DIG_A, V2C_REF_BAD_HOST, V2C_REF_BAD_HOST);
        bad("ex_ample.com/app@" DIG_A, V2C_REF_BAD_HOST, V2C_REF_BAD_HOST);
        bad("[::1/app@" DIG_A, V2C_REF_BAD_HOST, V2C_REF_BAD_HOST);
        bad("[::1]x/app@" DIG_A, V2C_REF_BAD_HOST, V2C_REF_BAD_HOST);
        bad("[::g]/app@" DIG_A, V2C_REF_BAD_HOST, V2C_REF_BAD_HOST);
        /* A tag with a bad host: the host is named first when pinned. */
        bad("h io/app:1@" DIG_A, V2C_REF_BAD_BYTE, V2C_REF_NOT_A_HOST);
        /* Repositories. */
        bad("example.com/@" DIG_A, V2C_REF_NO_REPO, V2C_REF_NO_REPO);
        bad("example.com/Team/app@" DIG_A, V2C_REF_REPO_UPPER, V2C_REF_REPO_UPPER);
        bad("example.com//app@" DIG_A, V2C_REF_BAD_REPO, V2C_REF_BAD_REPO);
        bad("example.com/a..b@" DIG_A, V2C_REF_BAD_REPO, V2C_REF_BAD_REPO);
        bad("example.com/a___b@" DIG_A, V2C_REF_BAD_REPO, V2C_REF_BAD_REPO);
        bad("example.com/-a@" DIG_A, V2C_REF_BAD_REPO, V2C_REF_BAD_REPO);
        bad("example.com/a-@" DIG_A, V2C_REF_BAD_REPO, V2C_REF_BAD_REPO);
        bad("example.com/a._b@" DIG_A, V2C_REF_BAD_REPO, V2C_REF_BAD_REPO);
        bad("example.com/app/@" DIG_A, V2C_REF_REPO_SLASH, V2C_REF_REPO_SLASH);
        bad("h.io/a:b/c@" DIG_A, V2C_REF_BAD_REPO, V2C_REF_BAD_REPO);

        /* Lengths: a 129-byte tag, a 256-byte name, 1025 bytes. */
        char tag[300] = "h.io/app:";
        memset(tag + 9, 'x', V2C_REF_TAG_MAX + 1);
        tag[9 + V2C_REF_TAG_MAX + 1] = '\0';
        bad(tag, V2C_REF_BAD_TAG, V2C_REF_NOT_PINNED);
        char name[V2C_REF_NAME_MAX + 2 + V2C_DIGEST_LEN + 1] = "h.io/";
        memset(name + 5, 'a', V2C_REF_NAME_MAX - 4);
        strcpy(name + V2C_REF_NAME_MAX + 1, "@" DIG_A);
        bad(name, V2C_REF_NAME_TOO_LONG, V2C_REF_NAME_TOO_LONG);
        char huge[V2C_REF_MAX + 2];
        memset(huge, 'a', sizeof huge - 1);
        huge[sizeof huge - 1] = '\0';
        memcpy(huge, "h.io/", 5);
        bad(huge, V2C_REF_TOO_LONG, V2C_REF_TOO_LONG);
}

/* The spans say where a refused reference's parts were, for callers that
 * word their own messages (the playbook tells a tag from nothing). */
static void test_ref_spans_on_failure(void **state)
{
        (void) state;
        struct v2c_ref_spans sp;
        assert_int_equal(v2c_ref_check("reg.example/web:1.25", PINNED, &sp), V2C_REF_NOT_PINNED);
        span_is("reg.example/web:1.25", sp.tag_off, sp.tag_len, "1.25");
        assert_int_equal(v2c_ref_check("reg.example/web", PINNED, &sp), V2C_REF_NOT_PINNED);
        assert_int_equal(sp.tag_off, 0);
        assert_int_equal(v2c_ref_check("a.b/c d", 0, &sp), V2C_REF_BAD_BYTE);
        assert_int_equal(sp.bad_byte, 5);
        assert_int_equal(v2c_ref_check("h.io/app@sha512:x", 0, &sp), V2C_REF_DIGEST_NOT_SHA256);
        span_is("h.io/app@sha512:x", sp.digest_off, sp.digest_len, "sha512:x");
}

static void test_ref_messages(void **state)
{
        (void) state;
        struct v2c_ref r;
        struct v2c_error *err = NULL;
        assert_int_equal(v2c_ref_parse("app:1", &r, &err), -EINVAL);
        assert_string_equal(err->msg, "invalid reference `app:1`: no registry host (write HOST/REPOSITORY, e.g. "
                                      "localhost:5000/app)");
        v2c_error_free(TAKE_PTR(err));
        assert_int_equal(v2c_ref_parse("h.io/app@sha512:" HEX_A, &r, &err), -EINVAL);
        assert_string_equal(err->msg, "invalid reference `h.io/app@sha512:" HEX_A "`: only sha256 digests are "
                                      "supported");
        v2c_error_free(TAKE_PTR(err));
        assert_int_equal(v2c_ref_parse("h.io/app@" HEX_A, &r, &err), -EINVAL);
        assert_string_equal(err->msg, "invalid reference `h.io/app@" HEX_A "`: a digest is sha256: and 64 "
                                      "lowercase hex digits");
        v2c_error_free(TAKE_PTR(err));
        assert_int_equal(v2c_ref_parse("a.b/c d", &r, &err), -EINVAL);
        assert_string_equal(err->msg, "invalid reference: byte 5 is a space, a control character or not ASCII");
        v2c_error_free(TAKE_PTR(err));
}

static void test_ref_format_pinned(void **state)
{
        (void) state;
        struct v2c_ref r = { 0 };
        assert_int_equal(v2c_ref_parse("localhost:5000/team/app:1", &r, NULL), 0);
        _cleanup_free_ char *p = v2c_ref_format_pinned(&r, DIG_C);
        assert_string_equal(p, "localhost:5000/team/app@" DIG_C);
        errno = 0;
        assert_null(v2c_ref_format_pinned(&r, NULL));
        assert_int_equal(errno, EINVAL);
        v2c_ref_release(&r);
        assert_null(r.host);
        v2c_ref_release(NULL);
}

/* ------------------------------------------------------------------------
 * Text helpers
 */

static void trimmed(const char *s, const char *set, const char *want)
{
        const char *p = s;
        size_t n = strlen(s);
        v2c_span_trim(&p, &n, set);
        if (n != strlen(want) || memcmp(p, want, n) != 0)
                fail_msg("`%s` trimmed to `%.*s`, want `%s`", s, (int) n, p, want);
}

static void test_text_classes(void **state)
{
        (void) state;
        for (int c = -128; c < 128; c++) {
                char ch = (char) c;
                assert_int_equal(v2c_is_blank(ch), ch == ' ' || ch == '\t');
                assert_int_equal(v2c_is_space(ch), c > 0 && strchr(" \t\n\v\f\r", c) != NULL);
                bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
                assert_int_equal(v2c_is_hex_digit(ch), hex);
                assert_int_equal(v2c_hex_value(ch), !hex ? -1 : c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
                assert_int_equal(v2c_is_lower_hex(&ch, 1), hex && !(c >= 'A' && c <= 'F'));
        }
        /* Never the NUL, though strchr finds it in every set. */
        assert_false(v2c_char_in('\0', V2C_SPACES));
        assert_true(v2c_char_in('\v', V2C_SPACES));
        assert_false(v2c_char_in('\v', V2C_BLANKS));
        assert_true(v2c_is_lower_hex(HEX_C, 64));
        assert_true(v2c_is_lower_hex("", 0));
        assert_false(v2c_is_lower_hex(HEX_C "G", 65));
        assert_false(v2c_is_lower_hex("0123456789ABCDEF", 16));
}

static void test_text_trim(void **state)
{
        (void) state;
        trimmed("  a b \t", V2C_BLANKS, "a b");
        trimmed("\r\n a b \v\f\r\n", V2C_SPACES, "a b");
        trimmed("\r\n a b \r\n", V2C_BLANKS, "\r\n a b \r\n");
        trimmed(" \t ", V2C_SPACES, "");
        trimmed("", V2C_SPACES, "");
        trimmed("x", V2C_SPACES, "x");
        trimmed("\v a \v", " \t\n\r", "\v a \v");     /* systemd's WHITESPACE leaves \v */
        /* Bytes above 0x7f are never space, whatever the locale says. */
        trimmed("\xa0" "a\xa0", V2C_SPACES, "\xa0" "a\xa0");
        /* A span is not NUL-terminated: only N bytes are looked at. */
        const char buf[] = { ' ', 'a', ' ', ' ' };
        const char *p = buf;
        size_t n = 3;
        v2c_span_trim(&p, &n, V2C_BLANKS);
        assert_ptr_equal(p, buf + 1);
        assert_int_equal(n, 1);
}

/* ------------------------------------------------------------------------
 * Clocks
 */

static void test_clocks(void **state)
{
        (void) state;
        int64_t a = v2c_monotonic_ms();
        struct timespec nap = { 0, 20 * 1000 * 1000 };
        nanosleep(&nap, NULL);
        int64_t b = v2c_monotonic_ms();
        assert_true(b - a >= 20);
        assert_true(b - a < 10000);
        /* The wall clock is the one time(2) reads. */
        int64_t w = v2c_wall_ms();
        time_t t = time(NULL);
        assert_true(w / 1000 >= (int64_t) t - 1 && w / 1000 <= (int64_t) t + 1);
}

/* ------------------------------------------------------------------------
 * Repository components from image names
 */

static void test_repo_component(void **state)
{
        (void) state;
        static const char *const cases[][2] = {
                { "nginx", "nginx" },
                { "postfix@-", "postfix" },         /* a separator at the end is not allowed */
                { "getty@tty1", "getty-tty1" },
                { "NetworkManager", "networkmanager" },
                { "php8.2-fpm", "php8.2-fpm" },
                { "a__b", "a__b" },
                { "a___b", "a-b" },
                { "a._b", "a-b" },
                { "a..b", "a-b" },
                { "a--b", "a--b" },
                { "-.x_", "x" },
                { "@", "image" },
                { "", "image" },
                { "caf\xc3\xa9", "caf" },
        };
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
                char *c = v2c_ref_repo_component(cases[i][0]);
                assert_non_null(c);
                assert_string_equal(c, cases[i][1]);
                free(c);
        }
        /* Whatever the bytes, the result is a repository the grammar takes. */
        char name[24];
        unsigned seed = 12345;
        for (int k = 0; k < 20000; k++) {
                size_t n = 1 + (seed = seed * 1103515245 + 12345) % (sizeof name - 1);
                for (size_t i = 0; i < n; i++) {
                        static const char alphabet[] = "aZ9._-@:/ \x80";
                        name[i] = alphabet[(seed = seed * 1103515245 + 12345) / 65536 % (sizeof alphabet - 1)];
                }
                name[n] = '\0';
                char *c = v2c_ref_repo_component(name);
                assert_non_null(c);
                char ref[64];
                snprintf(ref, sizeof ref, "localhost:5000/v2c/%s", c);
                struct v2c_ref_spans sp;
                if (v2c_ref_check(ref, 0, &sp) != V2C_REF_OK)
                        fail_msg("`%s` gave `%s`, not a repository", name, c);
                free(c);
        }
}

int main(int argc, char **argv)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_digest),
                cmocka_unit_test(test_ref_accepted),
                cmocka_unit_test(test_ref_refused),
                cmocka_unit_test(test_ref_spans_on_failure),
                cmocka_unit_test(test_ref_messages),
                cmocka_unit_test(test_ref_format_pinned),
                cmocka_unit_test(test_repo_component),
                cmocka_unit_test(test_text_classes),
                cmocka_unit_test(test_text_trim),
                cmocka_unit_test(test_clocks),
        };
        return v2c_run_group_tests(argc, argv, tests, NULL, NULL);
}
