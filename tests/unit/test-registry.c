/* Unit tests for the pure parsers of registry/: references (common/ref.c, as registry words them),
 * WWW-Authenticate challenges, Location resolution, credential files and
 * token replies (auth.c), manifests and indexes (manifest.c).  Buffers
 * handed to (data, len) parsers are exact-size heap copies without a NUL,
 * so AddressSanitizer catches any read past their end.  Failures are
 * checked to leave the outputs alone, to set an error and, for secrets,
 * to keep the secret out of the message. */
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
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "cleanup.h"
#include "error.h"
#include "client-internal.h"
#include "registry-internal.h"
#include "registry.h"

#define HEX_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define HEX_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define HEX_C "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define DIG_A "sha256:" HEX_A
#define DIG_B "sha256:" HEX_B
#define DIG_C "sha256:" HEX_C

/* ------------------------------------------------------------------------
 * Helpers
 */

/* An exact-size copy of s without its NUL (new). */
static char *exact(const char *s, size_t *len)
{
        *len = strlen(s);
        char *p = malloc(*len ? *len : 1);
        assert_non_null(p);
        memcpy(p, s, *len);
        return p;
}

static void assert_str_or_null(const char *got, const char *want)
{
        if (want == NULL)
                assert_null(got);
        else
                assert_non_null(got), assert_string_equal(got, want);
}

/* ------------------------------------------------------------------------
 * References
 */

static void ref_ok(const char *s, const char *host, const char *repo, const char *tag, const char *digest)
{
        struct v2c_ref r = { 0 };
        struct v2c_error *err = NULL;
        int ret = v2c_ref_parse(s, &r, &err);
        if (ret < 0)
                fail_msg("`%s`: %s", s, err ? err->msg : "(no message)");
        assert_null(err);
        assert_string_equal(r.host, host);
        assert_string_equal(r.repo, repo);
        assert_str_or_null(r.tag, tag);
        assert_str_or_null(r.digest, digest);
        v2c_ref_release(&r);
        assert_null(r.host);
}

/* Refused with a usage error whose message holds WHY. */
static void ref_bad(const char *s, const char *why)
{
        struct v2c_ref r = { (char *) "untouched", NULL, NULL, NULL };
        struct v2c_error *err = NULL;
        int ret = v2c_ref_parse(s, &r, &err);
        if (ret != -EINVAL)
                fail_msg("`%s` accepted (or not -EINVAL: %d)", s ? s : "(null)", ret);
        assert_non_null(err);
        assert_int_equal(err->kind, V2C_ERR_USAGE);
        if (why && strstr(err->msg, why) == NULL)
                fail_msg("`%s`: message `%s` lacks `%s`", s, err->msg, why);
        assert_string_equal(r.host, "untouched");
        v2c_error_free(err);
}

static void test_ref_hosts(void **state)
{
        (void) state;
        ref_ok("localhost/app", "localhost", "app", NULL, NULL);
        ref_ok("localhost:5000/app", "localhost:5000", "app", NULL, NULL);
        ref_ok("127.0.0.1:5000/team/app:1.0", "127.0.0.1:5000", "team/app", "1.0", NULL);
        ref_ok("registry.example.com/a/b/c", "registry.example.com", "a/b/c", NULL, NULL);
        ref_ok("Registry.Example.COM/app", "Registry.Example.COM", "app", NULL, NULL);
        ref_ok("my-registry.example.com:443/app", "my-registry.example.com:443", "app", NULL, NULL);
        ref_ok("[::1]:5000/app:v2", "[::1]:5000", "app", "v2", NULL);
        ref_ok("[fe80::1]/app", "[fe80::1]", "app", NULL, NULL);
        ref_ok("host:65535/app", "host:65535", "app", NULL, NULL);
        /* Separators of distribution's grammar. */
        ref_ok("example.com/a.b_c__d-e---f/g0", "example.com", "a.b_c__d-e---f/g0", NULL, NULL);
}

static void test_ref_tags_digests(void **state)
{
        (void) state;
        ref_ok("localhost:5000/app:latest", "localhost:5000", "app", "latest", NULL);
        ref_ok("localhost:5000/app:_x.Y-1", "localhost:5000", "app", "_x.Y-1", NULL);
        ref_ok("localhost:5000/app@" DIG_C, "localhost:5000", "app", NULL, DIG_C);
        ref_ok("localhost:5000/team/app:1.2@" DIG_A, "localhost:5000", "team/app", "1.2", DIG_A);

        /* Tags: 128 characters at most. */
        char tag[200] = "h.io/app:";
        memset(tag + 9, 'x', 128);
        tag[9 + 128] = '\0';
        struct v2c_ref r = { 0 };
        assert_int_equal(v2c_ref_parse(tag, &r, NULL), 0);
        assert_int_equal(strlen(r.tag), 128);
        v2c_ref_release(&r);
        strcat(tag, "x");
        ref_bad(tag, "tag");

        ref_bad("h.io/app:", "tag");
        ref_bad("h.io/app:-x", "tag");
        ref_bad("h.io/app:a+b", "tag");
        ref_bad("h.io/app@sha256:" HEX_A "a", "64 lowercase hex");
        ref_bad("h.io/app@sha256:" "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "64 lowercase hex");
        ref_bad("h.io/app@sha512:" HEX_A HEX_A, "only sha256");
        ref_bad("h.io/app@" HEX_A, "sha256");
        ref_bad("h.io/app@" DIG_A "@" DIG_A, NULL);
        ref_bad("h.io/app@", NULL);
}

static void test_ref_refused(void **state)
{
        (void) state;
        ref_bad("app", "no registry host");
        ref_bad("app:1", "no registry host");
        ref_bad("library/nginx", "no registry host");
        ref_bad("team/app:latest", "no registry host");
        ref_bad("localhost:5000", "no registry host");
        ref_bad("example.com/Team/app", "lowercase");
        ref_bad("example.com/APP", "lowercase");
        ref_bad("example.com/", "no repository");
        ref_bad("example.com//app", "repository components");
        ref_bad("example.com/app/", NULL);
        ref_bad("example.com/a..b", "repository components");
        ref_bad("example.com/a___b", "repository components");
        ref_bad("example.com/-a", "repository components");
        ref_bad("example.com/a-", "repository components");
        ref_bad("example.com:0/app", "host");
        ref_bad("example.com:65536/app", "host");
        ref_bad("example.com:/app", "host");
        ref_bad("example.com:50a/app", "host");
        ref_bad("-example.com/app", "host");
        ref_bad("example..com/app", "host");
        ref_bad("example.com./app", "host");
        ref_bad("ex_ample.com/app", "host");
        ref_bad("[::1/app", "host");
        ref_bad("[::1]x/app", "host");
        ref_bad("exa mple.com/app", "space");
        ref_bad("example.com/app\n", "control");
        ref_bad("", "empty");
        ref_bad(NULL, "empty");

        char long_name[300];
        memset(long_name, 'a', sizeof long_name - 1);
        long_name[sizeof long_name - 1] = '\0';
        memcpy(long_name, "h.io/", 5);
        ref_bad(long_name, "255");
        char huge[2000];
        memset(huge, 'a', sizeof huge - 1);
        huge[sizeof huge - 1] = '\0';
        ref_bad(huge, "longer than");
}

static void test_ref_pinned(void **state)
{
        (void) state;
        struct v2c_ref r = { 0 };
        assert_int_equal(v2c_ref_parse("localhost:5000/team/app:1", &r, NULL), 0);
        _cleanup_free_ char *p = v2c_ref_format_pinned(&r, DIG_B);
        assert_string_equal(p, "localhost:5000/team/app@" DIG_B);
        errno = 0;
        assert_null(v2c_ref_format_pinned(&r, NULL));
        assert_int_equal(errno, EINVAL);
        v2c_ref_release(&r);

        assert_int_equal(v2c_ref_parse("localhost:5000/app:1@" DIG_A, &r, NULL), 0);
        _cleanup_free_ char *own = v2c_ref_format_pinned(&r, NULL);
        assert_string_equal(own, "localhost:5000/app@" DIG_A);
        v2c_ref_release(&r);
        v2c_ref_release(NULL);
}

/* ------------------------------------------------------------------------
 * WWW-Authenticate
 */

static void challenge_ok(const char *header, const char *scheme, const char *realm, const char *service,
                         const char *scope, const char *error)
{
        size_t len;
        _cleanup_free_ char *data = exact(header, &len);
        struct v2c_challenge c = { 0 };
        struct v2c_error *err = NULL;
        if (v2c_challenge_parse(data, len, &c, &err) < 0)
                fail_msg("`%s`: %s", header, err ? err->msg : "(no message)");
        assert_null(err);
        assert_string_equal(c.scheme, scheme);
        assert_str_or_null(c.realm, realm);
        assert_str_or_null(c.service, service);
        assert_str_or_null(c.scope, scope);
        assert_str_or_null(c.error, error);
        v2c_challenge_release(&c);
}

static void challenge_bad_len(const char *data, size_t len, int code)
{
        _cleanup_free_ char *copy = malloc(len ? len : 1);
        assert_non_null(copy);
        memcpy(copy, data, len);
        struct v2c_challenge c = { .scheme = (char *) "untouched" };
        struct v2c_error *err = NULL;
        int r = v2c_challenge_parse(copy, len, &c, &err);
        if (r != code)
                fail_msg("`%.*s`: got %d, want %d", (int) len, data, r, code);
        assert_non_null(err);
        assert_string_equal(c.scheme, "untouched");
        assert_null(c.realm);
        v2c_error_free(err);
}

static void challenge_bad(const char *header, int code)
{
        challenge_bad_len(header, strlen(header), code);
}

static void test_challenge_bearer(void **state)
{
        (void) state;
        challenge_ok("Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\","
                     "scope=\"repository:samalba/my-app:pull,push\"",
                     "bearer", "https://auth.docker.io/token", "registry.docker.io",
                     "repository:samalba/my-app:pull,push", NULL);
        /* Spaces around '=' and after commas, names and scheme in any case. */
        challenge_ok("  BEARER  Realm = \"http://127.0.0.1:5001/auth\" ,  Service=\"reg\"  ", "bearer",
                     "http://127.0.0.1:5001/auth", "reg", NULL, NULL);
        /* Unquoted values: tokens by the RFC, whole URLs in practice. */
        challenge_ok("Bearer realm=https://ghcr.io/token,service=ghcr.io,scope=repository:a/b:pull", "bearer",
                     "https://ghcr.io/token", "ghcr.io", "repository:a/b:pull", NULL);
        challenge_ok("Bearer realm=\"https://r/token\",service=\"r\",scope=\"repository:a:pull,push\","
                     "error=\"insufficient_scope\"",
                     "bearer", "https://r/token", "r", "repository:a:pull,push", "insufficient_scope");
        /* Parameters we do not use are skipped. */
        challenge_ok("Bearer charset=\"UTF-8\",realm=\"https://r/t\",error_description=\"x, y\"", "bearer",
                     "https://r/t", NULL, NULL, NULL);
        /* A Bearer challenge with no parameter at all still is one; right
         * after the scheme, "realm=" is a token68, not an empty realm. */
        challenge_ok("Bearer", "bearer", NULL, NULL, NULL, NULL);
        challenge_ok("Bearer realm=", "bearer", NULL, NULL, NULL, NULL);
}

static void test_challenge_basic_and_several(void **state)
{
        (void) state;
        challenge_ok("Basic realm=\"Registry Realm\"", "basic", "Registry Realm", NULL, NULL, NULL);
        challenge_ok("Basic", "basic", NULL, NULL, NULL, NULL);
        challenge_ok("basic realm=registry", "basic", "registry", NULL, NULL, NULL);
        /* Bearer wins over Basic wherever it is. */
        challenge_ok("Basic realm=\"b\", Bearer realm=\"https://t/token\",service=\"s\"", "bearer", "https://t/token",
                     "s", NULL, NULL);
        challenge_ok("Bearer realm=\"https://t/1\", Bearer realm=\"https://t/2\", Basic realm=\"b\"", "bearer",
                     "https://t/1", NULL, NULL, NULL);
        challenge_ok("Basic realm=\"first\", Basic realm=\"second\"", "basic", "first", NULL, NULL, NULL);
        /* Unknown schemes, with parameters or a token68, are skipped. */
        challenge_ok("Negotiate, NTLM TlRMTVNTUAABAAAAB4IIAAAAAAAAAAAAAAAAAAAAAAA=, "
                     "Digest realm=\"d\", nonce=\"n,\\\"\", qop=\"auth\", Bearer realm=\"https://t\"",
                     "bearer", "https://t", NULL, NULL, NULL);
        challenge_ok("Newauth realm=\"apps\", type=1, title=\"Login to \\\"apps\\\"\", Basic realm=\"simple\"",
                     "basic", "simple", NULL, NULL, NULL);
        challenge_ok(",, Basic realm=\"x\" ,,", "basic", "x", NULL, NULL, NULL);
}

static void test_challenge_quoting(void **state)
{
        (void) state;
        /* Escaped quotes and backslashes, commas and '=' inside quotes. */
        challenge_ok("Bearer realm=\"https://t/token?a=b,c\",scope=\"say \\\"hi\\\", then \\\\ go\"", "bearer",
                     "https://t/token?a=b,c", NULL, "say \"hi\", then \\ go", NULL);
        /* A quoted-pair may escape any character. */
        challenge_ok("Bearer realm=\"\\a\\b\\c\"", "bearer", "abc", NULL, NULL, NULL);
        challenge_ok("Bearer realm=\"\"", "bearer", "", NULL, NULL, NULL);
        challenge_ok("Bearer realm=\"tab\there\"", "bearer", "tab\there", NULL, NULL, NULL);
        /* Non-ASCII bytes are obs-text: kept as they are. */
        challenge_ok("Basic realm=\"r\xc3\xa9gistre\"", "basic", "r\xc3\xa9gistre", NULL, NULL, NULL);
}

static void test_challenge_garbage(void **state)
{
        (void) state;
        challenge_bad("", -EINVAL);
        challenge_bad("   ", -EINVAL);
        challenge_bad(",,,", -EINVAL);
        challenge_bad("Digest realm=\"x\", nonce=\"y\"", -EINVAL);   /* nothing we speak */
        challenge_bad("realm=\"x\"", -EINVAL);                        /* parameter before any scheme */
        challenge_bad("=x", -EINVAL);
        challenge_bad("Bearer realm=\"unterminated", -EINVAL);
        challenge_bad("Bearer realm=\"ends in backslash\\", -EINVAL);
        challenge_bad("Bearer service=x, realm=", -EINVAL);
        challenge_bad("Bearer service=x,realm=,scope=y", -EINVAL);
        challenge_bad("Bearer realm=a service=b", -EINVAL);
        challenge_bad("Bearer realm=\"a\"service=\"b\"", -EINVAL);
        challenge_bad("Bearer\"x\"", -EINVAL);
        challenge_bad("Bearer realm=a\"b\"", -EINVAL);
        challenge_bad("Bearer realm=\"a\", realm=\"b\"", -EINVAL);   /* which one? */
        challenge_bad("Bearer realm=\"a\r\nX-Injected: 1\"", -EINVAL);
        challenge_bad("Bearer realm=\"a\x7f\"", -EINVAL);
        challenge_bad_len("Bearer realm=\"a\0b\"", 17, -EINVAL);
        challenge_bad("Bearer (realm)", -EINVAL);
        challenge_bad("@@@", -EINVAL);

        /* Bounds: a value over 4096 bytes (quoted or not), a header over
         * 16 KiB. */
        char value[4098], header[4200];
        memset(value, 'r', sizeof value - 1);
        value[sizeof value - 1] = '\0';
        snprintf(header, sizeof header, "Bearer realm=\"%s\"", value);
        challenge_bad(header, -E2BIG);
        snprintf(header, sizeof header, "Bearer realm=%s", value);
        challenge_bad(header, -E2BIG);
        value[4096] = '\0';
        snprintf(header, sizeof header, "Bearer realm=\"%s\"", value);
        challenge_ok(header, "bearer", value, NULL, NULL, NULL);   /* exactly 4096: fine */
        snprintf(header, sizeof header, "Bearer realm=%s", value);
        challenge_ok(header, "bearer", value, NULL, NULL, NULL);

        size_t hlen = (16 << 10) + 1;
        _cleanup_free_ char *huge = malloc(hlen + 1);
        assert_non_null(huge);
        memset(huge, ',', hlen);
        memcpy(huge, "Basic", 5);
        huge[hlen] = '\0';
        challenge_bad(huge, -E2BIG);
        huge[hlen - 1] = '\0';
        challenge_ok(huge, "basic", NULL, NULL, NULL, NULL);
}

/* ------------------------------------------------------------------------
 * Location
 */

static void resolve_ok(const char *base, const char *loc, const char *want)
{
        _cleanup_free_ char *got = NULL;
        struct v2c_error *err = NULL;
        if (v2c_url_resolve(base, loc, &got, &err) < 0)
                fail_msg("`%s` against `%s`: %s", loc, base, err ? err->msg : "(no message)");
        assert_null(err);
        if (strcmp(got, want) != 0)
                fail_msg("`%s` against `%s`: got `%s`, want `%s`", loc, base, got, want);
}

static void resolve_bad(const char *base, const char *loc)
{
        char *got = (char *) "untouched";
        struct v2c_error *err = NULL;
        int r = v2c_url_resolve(base, loc, &got, &err);
        if (r != -EINVAL)
                fail_msg("`%s` against `%s`: got %d, want -EINVAL", loc ? loc : "(null)", base ? base : "(null)", r);
        assert_non_null(err);
        assert_string_equal(got, "untouched");
        v2c_error_free(err);
}

static void test_location_forms(void **state)
{
        (void) state;
        const char *up = "http://127.0.0.1:5000/v2/team/app/blobs/uploads/";
        /* Absolute, the scheme lowercased. */
        resolve_ok(up, "https://storage.example.com/upload/x?sig=1", "https://storage.example.com/upload/x?sig=1");
        resolve_ok(up, "HTTP://Other:8080/p", "http://Other:8080/p");
        resolve_ok(up, "https://h", "https://h");
        /* Network-path reference: the base's scheme, a new host. */
        resolve_ok("https://r.example/v2/", "//cdn.example/blob/1", "https://cdn.example/blob/1");
        /* Absolute path with the registry's upload state kept byte for byte. */
        resolve_ok(up, "/v2/team/app/blobs/uploads/5f1c?_state=AbC%2Bd%3D%3D&x=1",
                   "http://127.0.0.1:5000/v2/team/app/blobs/uploads/5f1c?_state=AbC%2Bd%3D%3D&x=1");
        /* Relative paths merge with the base's directory. */
        resolve_ok(up, "5f1c?_state=s", "http://127.0.0.1:5000/v2/team/app/blobs/uploads/5f1c?_state=s");
        resolve_ok("http://h/v2/a/blobs/uploads/old?_state=1", "new?_state=2", "http://h/v2/a/blobs/uploads/new?_state=2");
        resolve_ok("http://h", "x", "http://h/x");
        resolve_ok("http://h?q", "x", "http://h/x");
        /* Dot segments (RFC 3986 section 5.4's examples among them). */
        resolve_ok("http://a/b/c/d;p?q", "../../g", "http://a/g");
        resolve_ok("http://a/b/c/d;p?q", "../../../../g", "http://a/g");
        resolve_ok("http://a/b/c/d;p?q", "./g/.", "http://a/b/c/g/");
        resolve_ok("http://a/b/c/d;p?q", "g/./h/../i", "http://a/b/c/g/i");
        resolve_ok("http://a/b/c/d;p?q", ".", "http://a/b/c/");
        resolve_ok("http://a/b/c/d;p?q", "..", "http://a/b/");
        resolve_ok("http://a/b/c/d;p?q", "../..", "http://a/");
        resolve_ok("http://a/b/c/d;p?q", "/./g", "http://a/g");
        resolve_ok("http://a/b/c/d;p?q", "/../g", "http://a/g");
        resolve_ok("http://a/b/c/d;p?q", "g.", "http://a/b/c/g.");
        resolve_ok("http://a/b/c/d;p?q", "..g", "http://a/b/c/..g");
        resolve_ok("http://a/b/c/d;p?q", "g;x=1/../y", "http://a/b/c/y");
        resolve_ok("http://a/b/c/d;p?q", "//g/./x/../y", "http://g/y");
        resolve_ok("http://a/b/c/d;p?q", "g?y/./x", "http://a/b/c/g?y/./x");
        /* Query only: the base's path, the new query; empty: the base. */
        resolve_ok("http://a/b/c/d;p?q", "?y", "http://a/b/c/d;p?y");
        resolve_ok("http://a/b/c/d;p?q", "?", "http://a/b/c/d;p?");
        resolve_ok("http://a/b/c/d;p?q", "", "http://a/b/c/d;p?q");
        resolve_ok("http://a/b/./c/../d?q", "?y", "http://a/b/d?y");
        /* Fragments are dropped: the client appends "&digest=" after this. */
        resolve_ok("http://a/b/c/d;p?q", "g#s", "http://a/b/c/g");
        resolve_ok("http://a/b/c/d;p?q#f", "#s", "http://a/b/c/d;p?q");
        resolve_ok("https://[::1]:5000/v2/", "x/y", "https://[::1]:5000/v2/x/y");
}

static void test_location_refused(void **state)
{
        (void) state;
        const char *base = "https://r.example/v2/app/blobs/uploads/";
        resolve_bad(base, "ftp://r.example/x");
        resolve_bad(base, "file:///etc/passwd");
        resolve_bad(base, "javascript:alert(1)");
        resolve_bad(base, "mailto:a@b");
        resolve_bad(base, "http:/no-host");
        resolve_bad(base, "http:");
        resolve_bad(base, "https://");
        resolve_bad(base, "///path");
        resolve_bad(base, "/a b");
        resolve_bad(base, " /a");
        resolve_bad(base, "/a\r\nX-Injected: 1");
        resolve_bad(base, "/a\tb");
        resolve_bad(base, "/a\x7f");
        resolve_bad(base, "/caf\xc3\xa9");
        resolve_bad(base, "//h\\evil.example/");
        resolve_bad(base, "//h\"x/");
        resolve_bad(base, NULL);
        resolve_bad("/relative/base", "x");
        resolve_bad("ftp://r.example/", "x");
        resolve_bad("https:///nohost", "x");
        resolve_bad("https://r.example /", "x");
        resolve_bad(NULL, "x");

        /* Bounded: 16 KiB of Location. */
        size_t n = (16 << 10) + 1;
        _cleanup_free_ char *huge = malloc(n + 1);
        assert_non_null(huge);
        memset(huge, 'a', n);
        huge[n] = '\0';
        resolve_bad(base, huge);
        huge[n - 1] = '\0';
        _cleanup_free_ char *got = NULL;
        assert_int_equal(v2c_url_resolve(base, huge, &got, NULL), 0);
        assert_int_equal(strlen(got), strlen(base) + n - 1);
}

/* ------------------------------------------------------------------------
 * Credentials and tokens
 */

/* Base64 of "alice:s3cr3t:with:colons" and of "bob:hunter2". */
#define AUTH_ALICE "YWxpY2U6czNjcjN0OndpdGg6Y29sb25z"
#define AUTH_BOB "Ym9iOmh1bnRlcjI="

static int creds(const char *doc, const char *host, char **user, char **pass, struct v2c_error **err)
{
        size_t len;
        _cleanup_free_ char *data = exact(doc, &len);
        return v2c_creds_parse(data, len, host, user, pass, err);
}

static void creds_ok(const char *doc, const char *host, const char *want_user, const char *want_pass)
{
        _cleanup_free_ char *user = NULL, *pass = NULL;
        struct v2c_error *err = NULL;
        int r = creds(doc, host, &user, &pass, &err);
        if (r != 1)
                fail_msg("`%s` in `%s`: %d %s", host, doc, r, err ? err->msg : "");
        assert_null(err);
        assert_string_equal(user, want_user);
        assert_string_equal(pass, want_pass);
}

static void creds_none(const char *doc, const char *host)
{
        char *user = (char *) "untouched", *pass = (char *) "untouched";
        struct v2c_error *err = NULL;
        assert_int_equal(creds(doc, host, &user, &pass, &err), 0);
        assert_null(err);
        assert_string_equal(user, "untouched");
        assert_string_equal(pass, "untouched");
}

/* Refused; the message must not hold SECRET (when not NULL). */
static void creds_bad(const char *doc, const char *host, int code, const char *secret)
{
        char *user = (char *) "untouched", *pass = (char *) "untouched";
        struct v2c_error *err = NULL;
        int r = creds(doc, host, &user, &pass, &err);
        if (r != code)
                fail_msg("`%s`: got %d, want %d", doc, r, code);
        assert_non_null(err);
        if (secret && strstr(err->msg, secret))
                fail_msg("message `%s` quotes the secret", err->msg);
        assert_string_equal(user, "untouched");
        assert_string_equal(pass, "untouched");
        v2c_error_free(err);
}

static void test_creds_forms(void **state)
{
        (void) state;
        /* containers auth.json: plain host keys, and host/namespace ones. */
        const char *authjson = "{\"auths\": {"
                               "\"quay.io/team\": {\"auth\": \"" AUTH_BOB "\"},"
                               "\"quay.io\": {\"auth\": \"" AUTH_ALICE "\"},"
                               "\"localhost:5000\": {\"auth\": \"" AUTH_BOB "\"}}}";
        creds_ok(authjson, "quay.io", "alice", "s3cr3t:with:colons");
        creds_ok(authjson, "QUAY.IO", "alice", "s3cr3t:with:colons");
        creds_ok(authjson, "localhost:5000", "bob", "hunter2");
        creds_none(authjson, "localhost:5001");
        creds_none(authjson, "localhost");
        creds_none(authjson, "quay.io.evil.example");
        /* Only a namespace key: used for the host, second choice. */
        creds_ok("{\"auths\": {\"ghcr.io/team/app\": {\"auth\": \"" AUTH_BOB "\"}}}", "ghcr.io", "bob", "hunter2");

        /* Docker config.json: URL keys, the Hub's legacy v1 key. */
        const char *docker = "{\"auths\": {"
                             "\"https://index.docker.io/v1/\": {\"auth\": \"" AUTH_ALICE "\"},"
                             "\"http://registry.local:5000\": {\"auth\": \"" AUTH_BOB "\"},"
                             "\"https://creds-store.example\": {}},"
                             "\"credsStore\": \"desktop\", \"HttpHeaders\": {\"User-Agent\": \"x\"}}";
        creds_ok(docker, "docker.io", "alice", "s3cr3t:with:colons");
        creds_ok(docker, "registry-1.docker.io", "alice", "s3cr3t:with:colons");
        creds_ok(docker, "index.docker.io", "alice", "s3cr3t:with:colons");
        creds_ok(docker, "registry.local:5000", "bob", "hunter2");
        /* A helper holds that one: nothing here. */
        creds_none(docker, "creds-store.example");
        creds_none("{\"auths\": {\"h.example\": {\"auth\": \"\"}}}", "h.example");

        /* username/password form, and it is second to nothing. */
        creds_ok("{\"auths\": {\"h.example\": {\"username\": \"carol\", \"password\": \"p@ss w0rd\"}}}", "h.example",
                 "carol", "p@ss w0rd");
        creds_ok("{\"auths\": {\"h.example\": {\"username\": \"carol\", \"password\": \"\"}}}", "h.example", "carol",
                 "");
        /* An empty password inside auth too. */
        creds_ok("{\"auths\": {\"h.example\": {\"auth\": \"ZGF2ZTo=\"}}}", "h.example", "dave", "");

        /* No auths at all, no match. */
        creds_none("{}", "h.example");
        creds_none("{\"credHelpers\": {\"h.example\": \"ecr-login\"}}", "h.example");
        creds_none("{\"auths\": {}}", "h.example");
}

static void test_creds_refused(void **state)
{
        (void) state;
        /* "c2VjcmV0" is base64 of "secret": none of it may show. */
        creds_bad("{\"auths\": {\"h.example\": {\"auth\": \"c2VjcmV0\"}}}", "h.example", -EINVAL, "c2VjcmV0");
        creds_bad("{\"auths\": {\"h.example\": {\"auth\": \"c2VjcmV0OnB3!!\"}}}", "h.example", -EINVAL, "c2VjcmV0");
        creds_bad("{\"auths\": {\"h.example\": {\"auth\": \"Ym9iOmh1bnRlcjI\"}}}", "h.example", -EINVAL, "Ym9i");
        creds_bad("{\"auths\": {\"h.example\": {\"auth\": \"Ym9i=mh1bnRlcjI=\"}}}", "h.example", -EINVAL, "Ym9i");
        creds_bad("{\"auths\": {\"h.example\": {\"auth\": \"Ym9iOmh1bnRlcjI= \"}}}", "h.example", -EINVAL, "Ym9i");
        creds_bad("{\"auths\": {\"h.example\": {\"auth\": \"Ym9iOmh1\\nbnRlcjI=\"}}}", "h.example", -EINVAL, "Ym9i");
        creds_bad("{\"auths\": {\"h.example\": {\"auth\": \"OnB3\"}}}", "h.example", -EINVAL, "OnB3");   /* ":pw" */
        creds_bad("{\"auths\": {\"h.example\": {\"auth\": \"YQBiOmM=\"}}}", "h.example", -EINVAL, NULL); /* "a\0b:c" */
        creds_bad("{\"auths\": {\"h.example\": {\"auth\": 42}}}", "h.example", -EINVAL, NULL);
        creds_bad("{\"auths\": {\"h.example\": \"Ym9iOmh1bnRlcjI=\"}}", "h.example", -EINVAL, "Ym9i");
        creds_bad("{\"auths\": {\"h.example\": {\"username\": \"u\"}}}", "h.example", -EINVAL, NULL);
        creds_bad("{\"auths\": {\"h.example\": {\"username\": \"u\", \"password\": \"a\\u0000b\"}}}", "h.example",
                  -EINVAL, NULL);
        creds_bad("{\"auths\": []}", "h.example", -EINVAL, NULL);
        creds_bad("[]", "h.example", -EINVAL, NULL);
        /* jansson's own message would quote the token near the error. */
        creds_bad("{\"auths\": {\"h.example\": {\"auth\": \"c2VjcmV0OnNlY3JldA==\" \"x\"}}}", "h.example", -EINVAL,
                  "c2VjcmV0");
        creds_bad("{\"auths\": {\"h.example\": {\"password\": hunter2}}}", "h.example", -EINVAL, "hunter2");
        creds_bad("{\"auths\": {\"h\": {}, \"h\": {}}}", "h", -EINVAL, NULL);
        creds_bad("{}", "", -EINVAL, NULL);

        /* A bad entry for another host does not matter. */
        creds_none("{\"auths\": {\"other.example\": {\"auth\": \"!!\"}}}", "h.example");
}

static void test_creds_lookup(void **state)
{
        (void) state;
        char dir[] = "/tmp/v2c-test-creds-XXXXXX";
        assert_non_null(mkdtemp(dir));
        char path[256], docker_dir[256], docker_path[256];
        snprintf(path, sizeof path, "%s/auth.json", dir);
        snprintf(docker_dir, sizeof docker_dir, "%s/.docker", dir);
        snprintf(docker_path, sizeof docker_path, "%s/.docker/config.json", dir);
        assert_int_equal(mkdir(docker_dir, 0700), 0);
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        fputs("{\"auths\": {\"one.example\": {\"auth\": \"" AUTH_BOB "\"}}}", f);
        fclose(f);
        f = fopen(docker_path, "w");
        assert_non_null(f);
        fputs("{\"auths\": {\"https://one.example\": {\"auth\": \"" AUTH_ALICE "\"},"
              " \"two.example\": {\"auth\": \"" AUTH_ALICE "\"}}}",
              f);
        fclose(f);

        setenv("HOME", dir, 1);
        setenv("XDG_RUNTIME_DIR", "/nonexistent-v2c", 1);
        setenv("REGISTRY_AUTH_FILE", path, 1);
        char *user = NULL, *pass = NULL;
        struct v2c_error *err = NULL;
        /* $REGISTRY_AUTH_FILE first, then on down to ~/.docker/config.json. */
        assert_int_equal(v2c_creds_lookup("one.example", NULL, &user, &pass, &err), 1);
        assert_string_equal(user, "bob");
        free(user), free(pass);
        assert_int_equal(v2c_creds_lookup("two.example", NULL, &user, &pass, &err), 1);
        assert_string_equal(user, "alice");
        free(user), free(pass);
        user = pass = NULL;
        assert_int_equal(v2c_creds_lookup("three.example", NULL, &user, &pass, &err), 0);
        assert_null(user);
        /* Only the file named, when one is. */
        assert_int_equal(v2c_creds_lookup("two.example", path, &user, &pass, &err), 0);
        assert_null(err);
        /* Missing default files are skipped; a missing named one is not. */
        setenv("REGISTRY_AUTH_FILE", "/nonexistent-v2c/auth.json", 1);
        assert_int_equal(v2c_creds_lookup("two.example", NULL, &user, &pass, &err), 1);
        free(user), free(pass);
        assert_int_equal(v2c_creds_lookup("two.example", "/nonexistent-v2c/auth.json", &user, &pass, &err),
                         -ENOENT);
        assert_non_null(err);
        err = v2c_error_free(err);
        /* A broken file is an error naming the file. */
        f = fopen(path, "w");
        assert_non_null(f);
        fputs("{\"auths\": ", f);
        fclose(f);
        setenv("REGISTRY_AUTH_FILE", path, 1);
        assert_int_equal(v2c_creds_lookup("two.example", NULL, &user, &pass, &err), -EINVAL);
        assert_non_null(strstr(err->msg, path));
        err = v2c_error_free(err);

        unsetenv("REGISTRY_AUTH_FILE");
        unlink(path);
        unlink(docker_path);
        rmdir(docker_dir);
        rmdir(dir);
}

static void token_ok(const char *doc, const char *want, long want_expires)
{
        size_t len;
        _cleanup_free_ char *data = exact(doc, &len);
        _cleanup_free_ char *token = NULL;
        long expires = -1;
        struct v2c_error *err = NULL;
        if (v2c_token_parse(data, len, &token, &expires, &err) < 0)
                fail_msg("`%s`: %s", doc, err->msg);
        assert_string_equal(token, want);
        assert_int_equal(expires, want_expires);
}

static void token_bad(const char *doc, int code, const char *secret)
{
        size_t len;
        _cleanup_free_ char *data = exact(doc, &len);
        char *token = (char *) "untouched";
        long expires = -1;
        struct v2c_error *err = NULL;
        assert_int_equal(v2c_token_parse(data, len, &token, &expires, &err), code);
        assert_non_null(err);
        if (secret && strstr(err->msg, secret))
                fail_msg("message `%s` quotes the token", err->msg);
        assert_string_equal(token, "untouched");
        assert_int_equal(expires, -1);
        v2c_error_free(err);
}

static void test_token(void **state)
{
        (void) state;
        token_ok("{\"token\": \"eyJhbGciOi.x.y\", \"expires_in\": 300, \"issued_at\": \"2024-01-01T00:00:00Z\"}",
                 "eyJhbGciOi.x.y", 300);
        token_ok("{\"access_token\": \"ya29.abc\", \"expires_in\": 3599, \"token_type\": \"Bearer\"}", "ya29.abc",
                 3599);
        token_ok("{\"token\": \"t1\", \"access_token\": \"t2\"}", "t1", 60);
        token_ok("{\"token\": \"\", \"access_token\": \"t2\"}", "t2", 60);
        token_ok("{\"token\": null, \"access_token\": \"t2\"}", "t2", 60);
        token_ok("{\"token\": \"t\", \"expires_in\": 0}", "t", 60);
        token_ok("{\"token\": \"t\", \"expires_in\": -5}", "t", 60);
        token_ok("{\"token\": \"t\", \"expires_in\": \"300\"}", "t", 60);
        token_ok("{\"token\": \"t\", \"expires_in\": 120.5}", "t", 120);
        token_ok("{\"token\": \"t\", \"expires_in\": 9223372036854775807}", "t", 86400);
        token_ok("{\"token\": \"t\", \"expires_in\": 1e300}", "t", 86400);

        token_bad("{}", -EINVAL, NULL);
        token_bad("{\"token\": 5}", -EINVAL, NULL);
        token_bad("{\"token\": \"\"}", -EINVAL, NULL);
        token_bad("[\"token\"]", -EINVAL, NULL);
        token_bad("not json at all", -EINVAL, NULL);
        token_bad("{\"token\": \"sekrit-token\" garbage}", -EINVAL, "sekrit");
        token_bad("{\"token\": \"sekrit\\r\\nX-Evil: 1\"}", -EINVAL, "sekrit");
        token_bad("{\"token\": \"sek rit\"}", -EINVAL, "sek");
        token_bad("{\"token\": \"sek\\u0000rit\"}", -EINVAL, "sek");
        token_bad("{\"token\": \"t\", \"token\": \"u\"}", -EINVAL, NULL);
}

/* ------------------------------------------------------------------------
 * Manifests
 */

static int manifest(const char *doc, const char *content_type, struct v2c_manifest **m, struct v2c_error **err)
{
        size_t len;
        _cleanup_free_ char *data = exact(doc, &len);
        return v2c_manifest_parse(data, len, content_type, m, err);
}

static struct v2c_manifest *manifest_ok(const char *doc, const char *content_type)
{
        struct v2c_manifest *m = NULL;
        struct v2c_error *err = NULL;
        if (manifest(doc, content_type, &m, &err) < 0)
                fail_msg("%s", err->msg);
        assert_null(err);
        assert_non_null(m);
        return m;
}

static void manifest_bad(const char *doc, const char *content_type, int code, const char *why)
{
        struct v2c_manifest *m = (struct v2c_manifest *) 0x1;
        struct v2c_error *err = NULL;
        int r = manifest(doc, content_type, &m, &err);
        if (r != code)
                fail_msg("got %d, want %d for `%.200s`", r, code, doc);
        assert_non_null(err);
        assert_int_equal(err->kind, V2C_ERR_INPUT);
        if (why && strstr(err->msg, why) == NULL)
                fail_msg("message `%s` lacks `%s`", err->msg, why);
        assert_ptr_equal(m, (struct v2c_manifest *) 0x1);
        v2c_error_free(err);
}

#define OCI_MANIFEST                                                                                    \
        "{\"schemaVersion\": 2, \"mediaType\": \"" V2C_MEDIA_OCI_MANIFEST "\","                         \
        " \"config\": {\"mediaType\": \"application/vnd.oci.image.config.v1+json\", \"digest\": \"" DIG_A \
        "\", \"size\": 1469},"                                                                          \
        " \"layers\": ["                                                                                \
        "  {\"mediaType\": \"application/vnd.oci.image.layer.v1.tar+gzip\", \"digest\": \"" DIG_B        \
        "\", \"size\": 3370706},"                                                                       \
        "  {\"mediaType\": \"application/vnd.oci.image.layer.v1.tar+zstd\", \"digest\": \"" DIG_C        \
        "\", \"size\": 9007199254740992, \"annotations\": {\"a\": \"b\"}}],"                            \
        " \"annotations\": {\"org.opencontainers.image.created\": \"2024-01-01T00:00:00Z\"}}"

#define DOCKER_MANIFEST                                                                                 \
        "{\"schemaVersion\": 2, \"mediaType\": \"" V2C_MEDIA_DOCKER_MANIFEST "\","                      \
        " \"config\": {\"mediaType\": \"application/vnd.docker.container.image.v1+json\", \"size\": 7023," \
        " \"digest\": \"" DIG_A "\"},"                                                                  \
        " \"layers\": [{\"mediaType\": \"application/vnd.docker.image.rootfs.diff.tar.gzip\","          \
        " \"size\": 32654, \"digest\": \"" DIG_B "\"}]}"

#define PLATFORM_ENTRY(type, digest, platform)                                                          \
        "{\"mediaType\": \"" type "\", \"digest\": \"" digest "\", \"size\": 525, \"platform\": " platform "}"

static void test_manifest_image(void **state)
{
        (void) state;
        struct v2c_manifest *m = manifest_ok(OCI_MANIFEST, V2C_MEDIA_OCI_MANIFEST "; charset=utf-8");
        assert_int_equal(m->kind, V2C_MANIFEST_IMAGE);
        assert_string_equal(m->media_type, V2C_MEDIA_OCI_MANIFEST);
        assert_string_equal(m->config.media_type, "application/vnd.oci.image.config.v1+json");
        assert_string_equal(m->config.digest, DIG_A);
        assert_int_equal(m->config.size, 1469);
        assert_null(m->config.os);
        assert_int_equal(m->n_layers, 2);
        assert_string_equal(m->layers[0].digest, DIG_B);
        assert_int_equal(m->layers[0].size, 3370706);
        assert_string_equal(m->layers[1].media_type, "application/vnd.oci.image.layer.v1.tar+zstd");
        assert_int_equal(m->layers[1].size, UINT64_C(1) << 53);
        assert_int_equal(m->n_manifests, 0);
        assert_null(v2c_manifest_pick(m, "linux/amd64"));
        assert_null(v2c_manifest_free(m));

        m = manifest_ok(DOCKER_MANIFEST, NULL);
        assert_string_equal(m->media_type, V2C_MEDIA_DOCKER_MANIFEST);
        assert_int_equal(m->kind, V2C_MANIFEST_IMAGE);
        assert_int_equal(m->n_layers, 1);
        assert_string_equal(m->layers[0].media_type, "application/vnd.docker.image.rootfs.diff.tar.gzip");
        v2c_manifest_free(m);

        /* No mediaType in the document: the Content-Type says, else the shape. */
        const char *bare = "{\"schemaVersion\": 2, \"config\": {\"mediaType\": \"a/b\", \"digest\": \"" DIG_A
                           "\", \"size\": 1}, \"layers\": []}";
        m = manifest_ok(bare, V2C_MEDIA_DOCKER_MANIFEST);
        assert_string_equal(m->media_type, V2C_MEDIA_DOCKER_MANIFEST);
        assert_int_equal(m->n_layers, 0);
        v2c_manifest_free(m);
        m = manifest_ok(bare, "application/json");
        assert_string_equal(m->media_type, V2C_MEDIA_OCI_MANIFEST);
        v2c_manifest_free(m);
        m = manifest_ok(bare, NULL);
        assert_string_equal(m->media_type, V2C_MEDIA_OCI_MANIFEST);
        v2c_manifest_free(m);
        v2c_manifest_free(NULL);
}

#define INDEX_ENTRIES                                                                                   \
        "[" PLATFORM_ENTRY("application/vnd.oci.image.manifest.v1+json", DIG_A,                         \
                           "{\"architecture\": \"amd64\", \"os\": \"linux\"}") ","                      \
        PLATFORM_ENTRY("application/vnd.oci.image.manifest.v1+json", DIG_B,                             \
                       "{\"architecture\": \"arm\", \"os\": \"linux\", \"variant\": \"v6\"}") ","       \
        PLATFORM_ENTRY("application/vnd.oci.image.manifest.v1+json", DIG_C,                             \
                       "{\"architecture\": \"arm64\", \"os\": \"linux\", \"variant\": \"v8\"}") ","     \
        "{\"mediaType\": \"application/vnd.oci.image.manifest.v1+json\", \"digest\": \"" DIG_A "\","    \
        " \"size\": 840, \"annotations\": {\"vnd.docker.reference.type\": \"attestation-manifest\"},"    \
        " \"platform\": {\"architecture\": \"unknown\", \"os\": \"unknown\"}}]"

static void test_manifest_index(void **state)
{
        (void) state;
        struct v2c_manifest *m =
                manifest_ok("{\"schemaVersion\": 2, \"mediaType\": \"" V2C_MEDIA_OCI_INDEX "\", \"manifests\": " INDEX_ENTRIES "}",
                            V2C_MEDIA_OCI_INDEX);
        assert_int_equal(m->kind, V2C_MANIFEST_INDEX);
        assert_string_equal(m->media_type, V2C_MEDIA_OCI_INDEX);
        assert_int_equal(m->n_manifests, 4);
        assert_int_equal(m->n_layers, 0);
        assert_string_equal(m->manifests[1].architecture, "arm");
        assert_string_equal(m->manifests[1].variant, "v6");
        assert_null(m->manifests[0].variant);
        assert_string_equal(m->manifests[3].os, "unknown");

        const struct v2c_mdesc *d = v2c_manifest_pick(m, "linux/amd64");
        assert_non_null(d);
        assert_string_equal(d->digest, DIG_A);
        assert_ptr_equal(v2c_manifest_pick(m, "linux/x86_64"), d);
        assert_ptr_equal(v2c_manifest_pick(m, "linux/amd64/v1"), d);
        d = v2c_manifest_pick(m, "linux/arm64/v8");
        assert_non_null(d);
        assert_string_equal(d->digest, DIG_C);
        assert_ptr_equal(v2c_manifest_pick(m, "linux/arm64"), d);
        assert_ptr_equal(v2c_manifest_pick(m, "linux/aarch64"), d);
        assert_string_equal(v2c_manifest_pick(m, "linux/arm/v6")->digest, DIG_B);
        assert_null(v2c_manifest_pick(m, "linux/arm/v7"));
        assert_null(v2c_manifest_pick(m, "linux/arm"));   /* means v7 */
        assert_null(v2c_manifest_pick(m, "linux/arm64/v9"));
        assert_null(v2c_manifest_pick(m, "linux/amd64/v3"));
        assert_null(v2c_manifest_pick(m, "windows/amd64"));
        assert_null(v2c_manifest_pick(m, "linux/s390x"));
        assert_null(v2c_manifest_pick(m, "linux"));
        assert_null(v2c_manifest_pick(m, "linux/"));
        assert_null(v2c_manifest_pick(m, "/amd64"));
        assert_null(v2c_manifest_pick(m, "linux/arm64/v8/x"));
        assert_null(v2c_manifest_pick(m, "linux/arm64/"));
        assert_null(v2c_manifest_pick(m, ""));
        assert_null(v2c_manifest_pick(m, NULL));
        v2c_manifest_free(m);

        /* Docker manifest list: entries without variant for arm64 count as v8. */
        m = manifest_ok("{\"schemaVersion\": 2, \"mediaType\": \"" V2C_MEDIA_DOCKER_LIST "\", \"manifests\": ["
                        PLATFORM_ENTRY(V2C_MEDIA_DOCKER_MANIFEST, DIG_A, "{\"architecture\": \"ppc64le\", \"os\": \"linux\"}") ","
                        PLATFORM_ENTRY(V2C_MEDIA_DOCKER_MANIFEST, DIG_B, "{\"architecture\": \"arm64\", \"os\": \"linux\"}") ","
                        PLATFORM_ENTRY(V2C_MEDIA_DOCKER_MANIFEST, DIG_C, "{\"architecture\": \"amd64\", \"os\": \"linux\","
                                                                         " \"os.version\": \"x\", \"features\": [\"sse4\"]}")
                        "]}",
                        "application/json");
        assert_string_equal(m->media_type, V2C_MEDIA_DOCKER_LIST);
        assert_int_equal(m->n_manifests, 3);
        assert_string_equal(m->manifests[0].media_type, V2C_MEDIA_DOCKER_MANIFEST);
        assert_string_equal(v2c_manifest_pick(m, "linux/arm64/v8")->digest, DIG_B);
        assert_string_equal(v2c_manifest_pick(m, "linux/amd64")->digest, DIG_C);
        v2c_manifest_free(m);

        /* An index without mediaType: by Content-Type, else by shape. */
        const char *bare = "{\"schemaVersion\": 2, \"manifests\": []}";
        m = manifest_ok(bare, NULL);
        assert_string_equal(m->media_type, V2C_MEDIA_OCI_INDEX);
        assert_int_equal(m->n_manifests, 0);
        assert_null(v2c_manifest_pick(m, "linux/amd64"));
        v2c_manifest_free(m);
        m = manifest_ok(bare, V2C_MEDIA_DOCKER_LIST);
        assert_string_equal(m->media_type, V2C_MEDIA_DOCKER_LIST);
        v2c_manifest_free(m);
        /* An entry without platform is kept and never picked. */
        m = manifest_ok("{\"schemaVersion\": 2, \"manifests\": [{\"mediaType\": \"a/b\", \"digest\": \"" DIG_A
                        "\", \"size\": 3}]}",
                        NULL);
        assert_null(m->manifests[0].os);
        assert_null(v2c_manifest_pick(m, "linux/amd64"));
        v2c_manifest_free(m);
}

static void test_manifest_refused(void **state)
{
        (void) state;
        /* Schema 1, by schemaVersion, mediaType or Content-Type. */
        manifest_bad("{\"schemaVersion\": 1, \"name\": \"a\", \"tag\": \"1\", \"fsLayers\": []}", NULL, -ENOTSUP,
                     "schema 1");
        manifest_bad("{\"schemaVersion\": 1, \"fsLayers\": []}", "application/vnd.docker.distribution.manifest.v1+prettyjws",
                     -ENOTSUP, "schema 1");
        manifest_bad("{\"schemaVersion\": 2, \"mediaType\": \"application/vnd.docker.distribution.manifest.v1+json\"}",
                     NULL, -ENOTSUP, "schema 1");
        manifest_bad("{\"schemaVersion\": 2, \"manifests\": []}", "application/vnd.docker.distribution.manifest.v1+json",
                     -ENOTSUP, "schema 1");
        /* Unknown types. */
        manifest_bad("{\"schemaVersion\": 2, \"mediaType\": \"application/vnd.cncf.helm.config.v1+json\"}", NULL,
                     -ENOTSUP, "helm");
        manifest_bad("{\"schemaVersion\": 2, \"mediaType\": \"bad type\\n\"}", NULL, -ENOTSUP, "unsupported");
        manifest_bad("{\"schemaVersion\": 2, \"manifests\": []}", "application/vnd.example+json", -ENOTSUP,
                     "Content-Type");
        /* Type disagreements and shapes. */
        manifest_bad(OCI_MANIFEST, V2C_MEDIA_DOCKER_MANIFEST, -EINVAL, "Content-Type");
        manifest_bad("{\"schemaVersion\": 2}", NULL, -EINVAL, "neither");
        manifest_bad("{\"schemaVersion\": 2, \"manifests\": [], \"layers\": []}", NULL, -EINVAL, "neither");
        manifest_bad("{\"schemaVersion\": 3, \"manifests\": []}", NULL, -EINVAL, "schemaVersion");
        manifest_bad("{\"manifests\": []}", NULL, -EINVAL, "schemaVersion");
        manifest_bad("{\"schemaVersion\": \"2\", \"manifests\": []}", NULL, -EINVAL, "schemaVersion");
        manifest_bad("{\"schemaVersion\": 2, \"mediaType\": 7}", NULL, -EINVAL, "mediaType");
        manifest_bad("[]", NULL, -EINVAL, "object");
        manifest_bad("{\"schemaVersion\": 2,", NULL, -EINVAL, NULL);
        manifest_bad("{\"schemaVersion\": 2, \"schemaVersion\": 2, \"manifests\": []}", NULL, -EINVAL, NULL);
        manifest_bad("{\"schemaVersion\": 2, \"mediaType\": \"" V2C_MEDIA_OCI_INDEX "\"}", NULL, -EINVAL,
                     "manifests");
        manifest_bad("{\"schemaVersion\": 2, \"mediaType\": \"" V2C_MEDIA_OCI_MANIFEST "\", \"layers\": []}", NULL,
                     -EINVAL, "config");

        /* Descriptors: digests, sizes, media types, platforms. */
#define IMG(layer) "{\"schemaVersion\": 2, \"config\": {\"mediaType\": \"a/b\", \"digest\": \"" DIG_A "\", \"size\": 1}," \
                   " \"layers\": [" layer "]}"
        manifest_bad(IMG("{\"mediaType\": \"a/b\", \"digest\": \"sha256:" HEX_A "0\", \"size\": 1}"), NULL, -EINVAL,
                     "layers[0]: \"digest\"");
        manifest_bad(IMG("{\"mediaType\": \"a/b\", \"digest\": \"sha256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\", \"size\": 1}"),
                     NULL, -EINVAL, "digest");
        manifest_bad(IMG("{\"mediaType\": \"a/b\", \"digest\": \"sha512:" HEX_A HEX_A "\", \"size\": 1}"), NULL,
                     -EINVAL, "digest");
        manifest_bad(IMG("{\"mediaType\": \"a/b\", \"digest\": \"" HEX_A "\", \"size\": 1}"), NULL, -EINVAL,
                     "digest");
        manifest_bad(IMG("{\"mediaType\": \"a/b\", \"size\": 1}"), NULL, -EINVAL, "digest");
        manifest_bad(IMG("{\"mediaType\": \"a/b\", \"digest\": \"" DIG_B "\", \"size\": -1}"), NULL, -EINVAL, "size");
        manifest_bad(IMG("{\"mediaType\": \"a/b\", \"digest\": \"" DIG_B "\", \"size\": 9007199254740993}"), NULL,
                     -EINVAL, "size");
        manifest_bad(IMG("{\"mediaType\": \"a/b\", \"digest\": \"" DIG_B "\", \"size\": 1.5}"), NULL, -EINVAL,
                     "size");
        manifest_bad(IMG("{\"mediaType\": \"a/b\", \"digest\": \"" DIG_B "\"}"), NULL, -EINVAL, "size");
        manifest_bad(IMG("{\"mediaType\": \"a/b\\r\\nX: y\", \"digest\": \"" DIG_B "\", \"size\": 1}"), NULL,
                     -EINVAL, "mediaType");
        manifest_bad(IMG("{\"mediaType\": \"ab\", \"digest\": \"" DIG_B "\", \"size\": 1}"), NULL, -EINVAL,
                     "mediaType");
        manifest_bad(IMG("{\"digest\": \"" DIG_B "\", \"size\": 1}"), NULL, -EINVAL, "mediaType");
        manifest_bad(IMG("\"" DIG_B "\""), NULL, -EINVAL, "layers[0]");
        manifest_bad("{\"schemaVersion\": 2, \"config\": {}, \"layers\": []}", NULL, -EINVAL, "config");
        manifest_bad("{\"schemaVersion\": 2, \"config\": {\"mediaType\": \"a/b\", \"digest\": \"" DIG_A
                     "\", \"size\": 1}, \"layers\": {}}",
                     NULL, -EINVAL, "layers");
#define IDX(platform) "{\"schemaVersion\": 2, \"manifests\": [" PLATFORM_ENTRY("a/b", DIG_A, platform) "]}"
        manifest_bad(IDX("\"linux/amd64\""), NULL, -EINVAL, "platform");
        manifest_bad(IDX("{\"os\": \"linux\"}"), NULL, -EINVAL, "platform");
        manifest_bad(IDX("{\"os\": \"linux\", \"architecture\": 64}"), NULL, -EINVAL, "platform");
        manifest_bad(IDX("{\"os\": \"linux\", \"architecture\": \"amd 64\"}"), NULL, -EINVAL, "platform");
        manifest_bad(IDX("{\"os\": \"linux\", \"architecture\": \"arm\", \"variant\": \"\"}"), NULL, -EINVAL,
                     "platform");

        /* Bounds: 4096 layers is fine, 4097 is not; 4 MiB at most. */
        struct v2c_buf b;
        v2c_buf_init(&b, 8 << 20);
        assert_int_equal(v2c_buf_appends(&b, "{\"schemaVersion\": 2, \"config\": {\"mediaType\": \"a/b\", \"digest\": \"" DIG_A
                                              "\", \"size\": 1}, \"layers\": ["),
                         0);
        for (int i = 0; i < 4096; i++)
                assert_int_equal(v2c_buf_appendf(&b, "%s{\"mediaType\": \"a/b\", \"digest\": \"%s\", \"size\": %d}",
                                                 i ? "," : "", DIG_B, i),
                                 0);
        size_t at = b.len;
        assert_int_equal(v2c_buf_appends(&b, "]}"), 0);
        struct v2c_manifest *m = manifest_ok(b.data, NULL);
        assert_int_equal(m->n_layers, 4096);
        assert_int_equal(m->layers[4095].size, 4095);
        v2c_manifest_free(m);
        b.len = at;
        assert_int_equal(v2c_buf_appendf(&b, ",{\"mediaType\": \"a/b\", \"digest\": \"%s\", \"size\": 1}]}", DIG_B), 0);
        manifest_bad(b.data, NULL, -E2BIG, "4096");
        v2c_buf_release(&b);

        size_t n = (4u << 20) + 1;
        _cleanup_free_ char *huge = malloc(n + 1);
        assert_non_null(huge);
        memset(huge, ' ', n);
        huge[n] = '\0';
        manifest_bad(huge, NULL, -E2BIG, NULL);
}

/* Every request has a deadline, even one whose reply comes a byte a
 * second (the low-speed limit alone lets that run for ever). */
static void test_deadline(void **state)
{
        (void) state;
        struct v2c_registry_options opt = { 0 };
        assert_int_equal(reg_deadline_ms(&opt, 0), 60000);
        assert_int_equal(reg_deadline_ms(&opt, 4u << 20), (60 + 256) * 1000);        /* a manifest */
        assert_int_equal(reg_deadline_ms(&opt, 1ull << 30), (60 + 65536) * 1000L);   /* a 1 GiB blob */
        assert_true(reg_deadline_ms(&opt, UINT64_C(1) << 53) > 0);                    /* no overflow */
        opt.timeout = 3;
        assert_int_equal(reg_deadline_ms(&opt, 1ull << 30), 3000);
}

/* The host errors name: the one a request reached. */
static void test_url_host(void **state)
{
        (void) state;
        char *h = reg_url_host("http://127.0.0.2:5000/v2/x/blobs/sha256:ab?x=1");
        assert_string_equal(h, "127.0.0.2:5000");
        free(h);
        h = reg_url_host("https://storage.example.com/b");
        assert_string_equal(h, "storage.example.com");
        free(h);
        assert_null(reg_url_host("not a url"));
}

int main(int argc, char **argv)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_ref_hosts),
                cmocka_unit_test(test_ref_tags_digests),
                cmocka_unit_test(test_ref_refused),
                cmocka_unit_test(test_ref_pinned),
                cmocka_unit_test(test_challenge_bearer),
                cmocka_unit_test(test_challenge_basic_and_several),
                cmocka_unit_test(test_challenge_quoting),
                cmocka_unit_test(test_challenge_garbage),
                cmocka_unit_test(test_location_forms),
                cmocka_unit_test(test_location_refused),
                cmocka_unit_test(test_creds_forms),
                cmocka_unit_test(test_creds_refused),
                cmocka_unit_test(test_creds_lookup),
                cmocka_unit_test(test_token),
                cmocka_unit_test(test_manifest_image),
                cmocka_unit_test(test_manifest_index),
                cmocka_unit_test(test_manifest_refused),
                cmocka_unit_test(test_deadline),
                cmocka_unit_test(test_url_host),
        };
        return v2c_run_group_tests(argc, argv, tests, NULL, NULL);
}
