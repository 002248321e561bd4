/* The parsers of authentication and redirection: WWW-Authenticate
 * challenges, Location headers, the credential files people already have
 * (containers auth.json, Docker config.json) and token replies.
 *
 * All of it is untrusted and most of it is secret.  Error messages name
 * the host, the file and the position of a problem, never a credential
 * or a token: jansson's own messages quote the text near a syntax error,
 * so the credential and token documents are loaded here without them.
 * Every size is bounded before anything is copied. */
#include "registry-internal.h"
#include "text.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "buf.h"
#include "cleanup.h"
#include "fsutil.h"
#include "json.h"

#define MAX_HEADER (16u << 10)
#define MAX_PARAM_VALUE 4096
#define MAX_URL (16u << 10)
#define MAX_CREDS_FILE (1u << 20)
#define MAX_AUTH_B64 (64u << 10)
#define MAX_TOKEN_REPLY (1u << 20)
#define MAX_TOKEN (64u << 10)
#define DEFAULT_EXPIRES_IN 60
#define MAX_EXPIRES_IN 86400

static bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static bool is_digit(char c) { return c >= '0' && c <= '9'; }
static bool is_alnum(char c) { return is_alpha(c) || is_digit(c); }
static char to_lower(char c) { return c >= 'A' && c <= 'Z' ? (char) (c - 'A' + 'a') : c; }

/* ------------------------------------------------------------------------
 * WWW-Authenticate (RFC 7235 section 4.1, RFC 7230 section 3.2.6)
 */

/* tchar of RFC 7230. */
static bool is_tchar(char c)
{
        return is_alnum(c) || (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* token68 of RFC 7235, without its trailing '='s. */
static bool is_token68_char(char c)
{
        return is_alnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/';
}

struct cursor {
        const char *start, *p, *end;
};

static void skip_ws(struct cursor *c)
{
        while (c->p < c->end && v2c_is_blank(*c->p))
                c->p++;
}

static size_t take_token(struct cursor *c, const char **tok)
{
        *tok = c->p;
        while (c->p < c->end && is_tchar(*c->p))
                c->p++;
        return (size_t) (c->p - *tok);
}

/* A quoted-string at c->p (on its opening quote), unescaped; *out new. */
static int take_quoted(struct cursor *c, char **out)
{
        _cleanup_buf_ struct v2c_buf b;
        v2c_buf_init(&b, MAX_PARAM_VALUE);
        for (c->p++; c->p < c->end;) {
                char ch = *c->p++;
                if (ch == '"') {
                        *out = v2c_buf_steal(&b);
                        return *out ? 0 : -ENOMEM;
                }
                if (ch == '\\') {
                        if (c->p == c->end)
                                break;
                        ch = *c->p++;
                }
                int r = v2c_buf_append(&b, &ch, 1);
                if (r < 0)
                        return r;
        }
        return -EINVAL;   /* no closing quote */
}

/* An auth-param value: a quoted-string, or else a token.  RFC 7235 says
 * token, but registries send unquoted URLs (realm=https://host/token), so
 * any run of visible bytes up to a ',' or a space is taken. */
static int take_value(struct cursor *c, char **out)
{
        if (c->p < c->end && *c->p == '"')
                return take_quoted(c, out);
        const char *v = c->p;
        while (c->p < c->end && !v2c_is_blank(*c->p) && *c->p != ',' && *c->p != '"')
                c->p++;
        size_t n = (size_t) (c->p - v);
        if (n == 0)
                return -EINVAL;
        if (n > MAX_PARAM_VALUE)
                return -E2BIG;
        *out = strndup(v, n);
        return *out ? 0 : -ENOMEM;
}

/* After a scheme and its spaces: a token68 ("Negotiate abc==") ends the
 * challenge's data.  True (and c moved past it) when one is there. */
static bool skip_token68(struct cursor *c)
{
        const char *p = c->p;
        while (p < c->end && is_token68_char(*p))
                p++;
        if (p == c->p)
                return false;
        while (p < c->end && *p == '=')
                p++;
        while (p < c->end && v2c_is_blank(*p))
                p++;
        if (p < c->end && *p != ',')
                return false;   /* "realm=..." and the like: an auth-param */
        c->p = p;
        return true;
}

static bool kept_scheme(const char *scheme)
{
        return scheme && (strcmp(scheme, "bearer") == 0 || strcmp(scheme, "basic") == 0);
}

/* Stores parameter NAME = VALUE (stolen) in C when C is a challenge we
 * keep and NAME one of the parameters we use. */
static int store_param(struct v2c_challenge *c, const char *name, size_t n, char *value)
{
        _cleanup_free_ char *v = value;
        if (!kept_scheme(c->scheme))
                return 0;
        char **slot = v2c_span_eq_ci(name, n, "realm")     ? &c->realm
                      : v2c_span_eq_ci(name, n, "service") ? &c->service
                      : v2c_span_eq_ci(name, n, "scope")   ? &c->scope
                      : v2c_span_eq_ci(name, n, "error")   ? &c->error
                                                       : NULL;
        if (slot == NULL)
                return 0;
        /* RFC 7235: each parameter name only once per challenge.  Taking
         * the first or the last realm would both be guesses. */
        if (*slot)
                return -EINVAL;
        *slot = TAKE_PTR(v);
        return 0;
}

/* Moves CUR into the first free slot it fits (first Bearer, first Basic),
 * or drops it. */
static void finish_challenge(struct v2c_challenge *cur, struct v2c_challenge *bearer, struct v2c_challenge *basic)
{
        if (cur->scheme && strcmp(cur->scheme, "bearer") == 0 && bearer->scheme == NULL) {
                *bearer = *cur;
        } else if (cur->scheme && strcmp(cur->scheme, "basic") == 0 && basic->scheme == NULL) {
                *basic = *cur;
        } else {
                v2c_challenge_release(cur);
        }
        *cur = (struct v2c_challenge) { 0 };
}

static int challenge_error(struct v2c_error **err, int r, const struct cursor *c)
{
        if (r == -ENOMEM)
                return v2c_error_set(err, ENOMEM, "out of memory");
        if (r == -E2BIG)
                return v2c_error_set_kind(err, V2C_ERR_INPUT, E2BIG,
                                          "WWW-Authenticate header: value longer than %d bytes at byte %zu",
                                          MAX_PARAM_VALUE, (size_t) (c->p - c->start));
        return v2c_error_set_kind(err, V2C_ERR_INPUT, EINVAL, "malformed WWW-Authenticate header at byte %zu",
                                  (size_t) (c->p - c->start));
}

int v2c_challenge_parse(const char *value, size_t len, struct v2c_challenge *out, struct v2c_error **err)
{
        _cleanup_(v2c_challenge_release) struct v2c_challenge bearer = { 0 };
        _cleanup_(v2c_challenge_release) struct v2c_challenge basic = { 0 };
        _cleanup_(v2c_challenge_release) struct v2c_challenge cur = { 0 };

        if (len > MAX_HEADER)
                return v2c_error_set_kind(err, V2C_ERR_INPUT, E2BIG, "WWW-Authenticate header longer than %u bytes",
                                          MAX_HEADER);
        for (size_t i = 0; i < len; i++)
                if (((unsigned char) value[i] < ' ' && value[i] != '\t') || value[i] == 0x7f)
                        return v2c_error_set_kind(err, V2C_ERR_INPUT, EINVAL,
                                                  "WWW-Authenticate header: control character at byte %zu", i);

        struct cursor c = { value, value, value + len };
        for (;;) {
                /* Empty list elements are allowed (RFC 7230 section 7). */
                while (c.p < c.end && (v2c_is_blank(*c.p) || *c.p == ','))
                        c.p++;
                if (c.p == c.end)
                        break;
                const char *tok;
                size_t n = take_token(&c, &tok);
                if (n == 0)
                        return challenge_error(err, -EINVAL, &c);
                const char *after_token = c.p;
                skip_ws(&c);

                /* "name = value" belongs to the challenge being read;
                 * any other token starts a new challenge (its scheme). */
                if (c.p < c.end && *c.p == '=') {
                        if (cur.scheme == NULL)
                                return challenge_error(err, -EINVAL, &c);   /* a parameter before any scheme */
                        c.p++;
                        skip_ws(&c);
                        char *v = NULL;
                        int r = take_value(&c, &v);
                        if (r == 0)
                                r = store_param(&cur, tok, n, v);
                        if (r < 0)
                                return challenge_error(err, r, &c);
                        skip_ws(&c);
                        if (c.p < c.end && *c.p != ',')
                                return challenge_error(err, -EINVAL, &c);
                        continue;
                }

                finish_challenge(&cur, &bearer, &basic);
                cur.scheme = strndup(tok, n);
                if (cur.scheme == NULL)
                        return challenge_error(err, -ENOMEM, &c);
                for (char *s = cur.scheme; *s; s++)
                        *s = to_lower(*s);
                if (c.p == c.end || *c.p == ',')
                        continue;
                if (c.p == after_token)   /* "Bearer\"x\"": no space after the scheme */
                        return challenge_error(err, -EINVAL, &c);
                skip_token68(&c);
        }
        finish_challenge(&cur, &bearer, &basic);

        if (bearer.scheme) {
                *out = bearer;
                bearer = (struct v2c_challenge) { 0 };
        } else if (basic.scheme) {
                *out = basic;
                basic = (struct v2c_challenge) { 0 };
        } else {
                return v2c_error_set_kind(err, V2C_ERR_INPUT, EINVAL,
                                          "WWW-Authenticate header has no Bearer or Basic challenge");
        }
        return 0;
}

void v2c_challenge_release(struct v2c_challenge *c)
{
        if (c == NULL)
                return;
        free(c->scheme);
        free(c->realm);
        free(c->service);
        free(c->scope);
        free(c->error);
        *c = (struct v2c_challenge) { 0 };
}

/* ------------------------------------------------------------------------
 * Location (RFC 3986 section 5)
 */

struct url_parts {
        const char *scheme, *authority, *path, *query;
        size_t scheme_len, authority_len, path_len, query_len;
        bool has_scheme, has_authority, has_query;
};

/* RFC 3986 appendix B, over a string already checked to hold only
 * visible ASCII.  The fragment is dropped: it is never sent, and the
 * client appends "&digest=..." to upload locations, which would land
 * inside a fragment. */
static void url_split(const char *s, size_t n, struct url_parts *u)
{
        *u = (struct url_parts) { 0 };
        const char *hash = memchr(s, '#', n);
        if (hash)
                n = (size_t) (hash - s);
        size_t i = 0;
        if (n > 0 && is_alpha(s[0])) {
                size_t j = 1;
                while (j < n && (is_alnum(s[j]) || s[j] == '+' || s[j] == '-' || s[j] == '.'))
                        j++;
                if (j < n && s[j] == ':') {
                        u->has_scheme = true;
                        u->scheme = s;
                        u->scheme_len = j;
                        i = j + 1;
                }
        }
        if (n - i >= 2 && s[i] == '/' && s[i + 1] == '/') {
                size_t j = i += 2;
                while (j < n && s[j] != '/' && s[j] != '?')
                        j++;
                u->has_authority = true;
                u->authority = s + i;
                u->authority_len = j - i;
                i = j;
        }
        size_t j = i;
        while (j < n && s[j] != '?')
                j++;
        u->path = s + i;
        u->path_len = j - i;
        if (j < n) {
                u->has_query = true;
                u->query = s + j + 1;
                u->query_len = n - j - 1;
        }
}

static bool is_http_scheme(const struct url_parts *u)
{
        return u->has_scheme &&
               (v2c_span_eq_ci(u->scheme, u->scheme_len, "http") || v2c_span_eq_ci(u->scheme, u->scheme_len, "https"));
}

/* A non-empty authority of RFC 3986's characters (unreserved, pct-encoded,
 * sub-delims, ':', '@', '[', ']'): a backslash or a quote in a host is
 * where URL parsers start to disagree. */
static bool authority_ok(const char *s, size_t n)
{
        if (n == 0)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!is_alnum(s[i]) && strchr("-._~%!$&'()*+,;=:@[]", s[i]) == NULL)
                        return false;
        return true;
}

/* Only visible ASCII: no spaces, controls, DEL or 8-bit bytes. */
static bool url_chars_ok(const char *s, size_t *len)
{
        size_t n = strnlen(s, MAX_URL + 1);
        *len = n;
        if (n > MAX_URL)
                return false;
        for (size_t i = 0; i < n; i++)
                if ((unsigned char) s[i] <= ' ' || (unsigned char) s[i] >= 0x7f)
                        return false;
        return true;
}

/* "Removing the last segment and its preceding '/' (if any)". */
static void pop_segment(const char *out, size_t *o)
{
        while (*o > 0 && out[*o - 1] != '/')
                (*o)--;
        if (*o > 0)
                (*o)--;
}

/* RFC 3986 section 5.2.4 over IN (N bytes), appended to B.  The rules
 * that rewrite the input ("/." -> "/") do it in a copy. */
static int append_without_dots(struct v2c_buf *b, const char *in, size_t n)
{
        _cleanup_free_ char *buf = malloc(n + 1);
        _cleanup_free_ char *out = malloc(n + 1);
        if (buf == NULL || out == NULL)
                return -ENOMEM;
        memcpy(buf, in, n);
        size_t i = 0, o = 0;
        while (i < n) {
                const char *p = buf + i;
                size_t rest = n - i;
                if (rest >= 3 && memcmp(p, "../", 3) == 0) {
                        i += 3;
                } else if (rest >= 2 && memcmp(p, "./", 2) == 0) {
                        i += 2;
                } else if (rest >= 3 && memcmp(p, "/./", 3) == 0) {
                        i += 2;
                } else if (rest == 2 && memcmp(p, "/.", 2) == 0) {
                        i += 1;
                        buf[i] = '/';
                } else if (rest >= 4 && memcmp(p, "/../", 4) == 0) {
                        i += 3;
                        pop_segment(out, &o);
                } else if (rest == 3 && memcmp(p, "/..", 3) == 0) {
                        i += 2;
                        buf[i] = '/';
                        pop_segment(out, &o);
                } else if ((rest == 1 && p[0] == '.') || (rest == 2 && memcmp(p, "..", 2) == 0)) {
                        i = n;
                } else {
                        size_t j = p[0] == '/' ? 1 : 0;
                        while (j < rest && p[j] != '/')
                                j++;
                        memcpy(out + o, p, j);
                        o += j;
                        i += j;
                }
        }
        return v2c_buf_append(b, out, o);
}

/* Upload locations can be pre-signed storage URLs, which are as good as
 * a password for a while: errors here never quote a URL. */
int v2c_url_resolve(const char *base, const char *location, char **out, struct v2c_error **err)
{
        _cleanup_buf_ struct v2c_buf t;
        _cleanup_buf_ struct v2c_buf merged;
        v2c_buf_init(&t, 2 * MAX_URL + 16);
        v2c_buf_init(&merged, 2 * MAX_URL + 16);

        size_t base_len, loc_len;
        if (base == NULL || !url_chars_ok(base, &base_len))
                return v2c_error_set_kind(err, V2C_ERR_INPUT, EINVAL,
                                          "base URL is missing, too long or holds spaces or control characters");
        if (location == NULL || !url_chars_ok(location, &loc_len))
                return v2c_error_set_kind(err, V2C_ERR_INPUT, EINVAL,
                                          "Location is missing, longer than %u bytes or holds spaces, control "
                                          "characters or non-ASCII bytes",
                                          MAX_URL);
        struct url_parts b, r;
        url_split(base, base_len, &b);
        url_split(location, loc_len, &r);
        if (!is_http_scheme(&b) || !b.has_authority || !authority_ok(b.authority, b.authority_len))
                return v2c_error_set_kind(err, V2C_ERR_INPUT, EINVAL, "base URL is not an absolute http(s) URL");
        if (r.has_scheme && !is_http_scheme(&r))
                return v2c_error_set_kind(err, V2C_ERR_INPUT, EINVAL, "Location is not an http(s) URL");
        if ((r.has_scheme && !r.has_authority) || (r.has_authority && !authority_ok(r.authority, r.authority_len)))
                return v2c_error_set_kind(err, V2C_ERR_INPUT, EINVAL, "Location has no valid host");

        /* Section 5.2.2, with T's scheme lowercased.  A Location with a
         * scheme always has an authority here (checked above). */
        const struct url_parts *scheme_from = r.has_scheme ? &r : &b;
        const struct url_parts *auth_from = r.has_authority ? &r : &b;
        int ret = 0;
        for (size_t i = 0; i < scheme_from->scheme_len && ret == 0; i++) {
                char ch = to_lower(scheme_from->scheme[i]);
                ret = v2c_buf_append(&t, &ch, 1);
        }
        if (ret == 0)
                ret = v2c_buf_appends(&t, "://");
        if (ret == 0)
                ret = v2c_buf_append(&t, auth_from->authority, auth_from->authority_len);

        const struct url_parts *query_from = &r;
        if (ret < 0) {
                /* reported below */
        } else if (r.has_authority) {
                ret = append_without_dots(&t, r.path, r.path_len);
        } else if (r.path_len == 0) {
                /* Section 5.2.1 allows normalising the base: without it
                 * the result would keep the base's dot segments, the one
                 * case where resolving a result again would change it. */
                ret = append_without_dots(&t, b.path, b.path_len);
                if (!r.has_query)
                        query_from = &b;
        } else if (r.path[0] == '/') {
                ret = append_without_dots(&t, r.path, r.path_len);
        } else {
                /* Section 5.2.3: the base's path up to its last '/'. */
                if (b.path_len == 0) {
                        ret = v2c_buf_appends(&merged, "/");
                } else {
                        const char *slash = memrchr(b.path, '/', b.path_len);
                        size_t keep = slash ? (size_t) (slash - b.path) + 1 : 0;
                        ret = v2c_buf_append(&merged, b.path, keep);
                }
                if (ret == 0)
                        ret = v2c_buf_append(&merged, r.path, r.path_len);
                if (ret == 0)
                        ret = append_without_dots(&t, merged.data, merged.len);
        }
        if (ret == 0 && query_from->has_query) {
                ret = v2c_buf_appends(&t, "?");
                if (ret == 0)
                        ret = v2c_buf_append(&t, query_from->query, query_from->query_len);
        }
        if (ret < 0)
                return v2c_error_set(err, -ret, "cannot resolve Location");
        char *s = v2c_buf_steal(&t);
        if (s == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        *out = s;
        return 0;
}

/* ------------------------------------------------------------------------
 * Credential files
 */

static int b64_value(char c)
{
        if (c >= 'A' && c <= 'Z')
                return c - 'A';
        if (c >= 'a' && c <= 'z')
                return c - 'a' + 26;
        if (c >= '0' && c <= '9')
                return c - '0' + 52;
        if (c == '+')
                return 62;
        if (c == '/')
                return 63;
        return -1;
}

/* Strict RFC 4648 base64 (standard alphabet, padding required, nothing
 * else), what Go's base64.StdEncoding writes into both kinds of file.
 * *out is new, NUL-terminated; its length is in *out_len. */
static int base64_decode(const char *s, size_t n, char **out, size_t *out_len)
{
        if (n % 4 != 0)
                return -EINVAL;
        _cleanup_free_ char *buf = malloc(n / 4 * 3 + 1);
        if (buf == NULL)
                return -ENOMEM;
        size_t o = 0;
        for (size_t i = 0; i < n; i += 4) {
                int v[4];
                size_t pad = 0;
                for (size_t k = 0; k < 4; k++) {
                        if (s[i + k] == '=' && i + 4 == n && k >= 2) {
                                v[k] = 0;
                                pad++;
                                continue;
                        }
                        v[k] = b64_value(s[i + k]);
                        if (v[k] < 0 || pad > 0)   /* "=" only at the end */
                                return -EINVAL;
                }
                uint32_t w = (uint32_t) v[0] << 18 | (uint32_t) v[1] << 12 | (uint32_t) v[2] << 6 | (uint32_t) v[3];
                buf[o++] = (char) (w >> 16);
                if (pad < 2)
                        buf[o++] = (char) (w >> 8 & 0xff);
                if (pad < 1)
                        buf[o++] = (char) (w & 0xff);
        }
        buf[o] = '\0';
        *out = TAKE_PTR(buf);
        *out_len = o;
        return 0;
}

/* Docker Hub answers as registry-1.docker.io, is referred to as docker.io,
 * and Docker keeps its credentials under "https://index.docker.io/v1/". */
static bool is_docker_hub(const char *s, size_t n)
{
        return v2c_span_eq_ci(s, n, "docker.io") || v2c_span_eq_ci(s, n, "index.docker.io") ||
               v2c_span_eq_ci(s, n, "registry-1.docker.io");
}

/* Whether auths key KEY names HOST; *whole says that it names the whole
 * registry ("host", "https://host", "https://host/v1/") rather than a
 * namespace in it ("host/team"), which is looked at only second. */
static bool key_matches(const char *key, const char *host, bool *whole)
{
        const char *k = key;
        if (strncasecmp(k, "https://", 8) == 0)
                k += 8;
        else if (strncasecmp(k, "http://", 7) == 0)
                k += 7;
        size_t kn = strcspn(k, "/");
        size_t hn = strlen(host);
        if (!v2c_span_eq_ci(k, kn, host) && !(is_docker_hub(k, kn) && is_docker_hub(host, hn)))
                return false;
        const char *rest = k + kn;
        *whole = strcmp(rest, "") == 0 || strcmp(rest, "/") == 0 || strcmp(rest, "/v1/") == 0 ||
                 strcmp(rest, "/v1") == 0 || strcmp(rest, "/v2/") == 0 || strcmp(rest, "/v2") == 0;
        return true;
}

static bool json_plain_string(const json_t *j)
{
        /* jansson keeps "\u0000" inside strings; C strings would cut there. */
        return json_is_string(j) && strlen(json_string_value(j)) == json_string_length(j);
}

/* Credentials of one auths entry: 1 (found), 0 (nothing usable: Docker
 * leaves {} behind when a credential helper holds the secret) or an
 * error. */
static int entry_creds(const json_t *entry, const char *host, char **user, char **pass, struct v2c_error **err)
{
        if (!json_is_object(entry))
                return v2c_error_set_kind(err, V2C_ERR_INPUT, EINVAL, "the entry for `%s` is not an object", host);
        const json_t *auth = json_object_get(entry, "auth");
        if (auth && !json_is_string(auth))
                return v2c_error_set_kind(err, V2C_ERR_INPUT, EINVAL, "\"auth\" of `%s` is not a string", host);
        if (auth && json_string_length(auth) > 0) {
                if (json_string_length(auth) > MAX_AUTH_B64)
                        return v2c_error_set_kind(err, V2C_ERR_INPUT, E2BIG, "\"auth\" of `%s` is longer than %u bytes",
                                                  host, MAX_AUTH_B64);
                _cleanup_free_ char *plain = NULL;
                size_t n = 0;
                int r = base64_decode(json_string_value(auth), json_string_length(auth), &plain, &n);
                if (r == -ENOMEM)
                        return v2c_error_set(err, ENOMEM, "out of memory");
                if (r < 0)
                        return v2c_error_set_kind(err, V2C_ERR_INPUT, EINVAL, "\"auth\" of `%s` is not valid base64",
                                                  host);
                const char *colon = memchr(plain, ':', n);
                if (colon == NULL || colon == plain || memchr(plain, '\0', n))
                        r = v2c_error_set_kind(err, V2C_ERR_INPUT, EINVAL,
                                               "\"auth\" of `%s` does not decode to USER:PASSWORD", host);
                _cleanup_free_ char *u = r < 0 ? NULL : strndup(plain, (size_t) (colon - plain));
                _cleanup_free_ char *p = r < 0 ? NULL : strdup(colon + 1);
                explicit_bzero(plain, n);
                if (r < 0)
                        return r;
                if (u == NULL || p == NULL)
                        return v2c_error_set(err, ENOMEM, "out of memory");
                *user = TAKE_PTR(u);
                *pass = TAKE_PTR(p);
                return 1;
        }

        const json_t *uj = json_object_get(entry, "username"), *pj = json_object_get(entry, "password");
        if (uj == NULL && pj == NULL)
                return 0;
        if (!json_plain_string(uj) || !json_plain_string(pj) || json_string_length(uj) == 0)
                return v2c_error_set_kind(err, V2C_ERR_INPUT, EINVAL,
                                          "\"username\" and \"password\" of `%s` must be strings", host);
        _cleanup_free_ char *u = strdup(json_string_value(uj));
        _cleanup_free_ char *p = strdup(json_string_value(pj));
        if (u == NULL || p == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        *user = TAKE_PTR(u);
        *pass = TAKE_PTR(p);
        return 1;
}

/* json_loadb, reporting only where the syntax error is: see the top. */
static int load_secret_json(const char *data, size_t len, const char *what, json_t **out, struct v2c_error **err)
{
        json_error_t je;
        json_t *j = json_loadb(data, len, JSON_REJECT_DUPLICATES, &je);
        if (j == NULL)
                return v2c_error_set_kind(err, V2C_ERR_INPUT, EINVAL, "%s: malformed JSON at line %d, column %d",
                                          what, je.line, je.column);
        if (!json_is_object(j)) {
                json_decref(j);
                return v2c_error_set_kind(err, V2C_ERR_INPUT, EINVAL, "%s: not a JSON object", what);
        }
        *out = j;
        return 0;
}

int v2c_creds_parse(const char *data, size_t len, const char *host, char **user, char **pass,
                    struct v2c_error **err)
{
        _cleanup_json_ json_t *doc = NULL;
        if (host == NULL || *host == '\0')
                return v2c_error_set(err, EINVAL, "no registry host to look credentials up for");
        if (len > MAX_CREDS_FILE)
                return v2c_error_set_kind(err, V2C_ERR_INPUT, E2BIG, "credentials file larger than %u bytes",
                                          MAX_CREDS_FILE);
        int r = load_secret_json(data, len, "credentials file", &doc, err);
        if (r < 0)
                return r;
        const json_t *auths = json_object_get(doc, "auths");
        if (auths == NULL)
                return 0;
        if (!json_is_object(auths))
                return v2c_error_set_kind(err, V2C_ERR_INPUT, EINVAL, "\"auths\" is not an object");

        for (int pass_no = 0; pass_no < 2; pass_no++) {
                const char *key;
                json_t *entry;
                json_object_foreach((json_t *) auths, key, entry) {
                        bool whole;
                        if (!key_matches(key, host, &whole) || whole != (pass_no == 0))
                                continue;
                        r = entry_creds(entry, host, user, pass, err);
                        if (r != 0)
                                return r;
                }
        }
        return 0;
}

/* 1, 0 or an error, as v2c_creds_parse.  Missing and unreadable files are
 * skipped unless the user named this one. */
static int creds_from_file(const char *path, bool named, const char *host, char **user, char **pass,
                           struct v2c_error **err)
{
        _cleanup_free_ char *data = NULL;
        struct v2c_error *read_err = NULL;
        size_t len = 0;
        int r = v2c_read_host_file(path, MAX_CREDS_FILE, &data, &len, &read_err);
        if (r < 0) {
                if (!named && (r == -ENOENT || r == -ENOTDIR || r == -EACCES || r == -EPERM)) {
                        v2c_error_free(read_err);
                        return 0;
                }
                if (err && *err == NULL)
                        *err = read_err;
                else
                        v2c_error_free(read_err);
                return r;
        }
        r = v2c_creds_parse(data, len, host, user, pass, err);
        explicit_bzero(data, len);
        if (r < 0)
                return v2c_error_prefix(err, r, "`%s`", path);
        return r;
}

static char *path_join(const char *dir, const char *rel)
{
        char *s = NULL;
        return asprintf(&s, "%s/%s", dir, rel) < 0 ? NULL : s;
}

int v2c_creds_lookup(const char *host, const char *auth_file, char **user, char **pass, struct v2c_error **err)
{
        if (auth_file)
                return creds_from_file(auth_file, true, host, user, pass, err);

        const char *env_file = getenv("REGISTRY_AUTH_FILE");
        const char *runtime = getenv("XDG_RUNTIME_DIR");
        const char *home = getenv("HOME");
        char *paths[5] = { NULL };
        size_t n = 0;
        bool oom = false;
        if (env_file && *env_file)
                oom |= (paths[n++] = strdup(env_file)) == NULL;
        if (runtime && *runtime)
                oom |= (paths[n++] = path_join(runtime, "containers/auth.json")) == NULL;
        if (asprintf(&paths[n++], "/run/containers/%u/auth.json", (unsigned) getuid()) < 0) {
                paths[n - 1] = NULL;   /* asprintf leaves it undefined */
                oom = true;
        }
        if (home && *home) {
                oom |= (paths[n++] = path_join(home, ".config/containers/auth.json")) == NULL;
                oom |= (paths[n++] = path_join(home, ".docker/config.json")) == NULL;
        }

        int r = oom ? v2c_error_set(err, ENOMEM, "out of memory") : 0;
        for (size_t i = 0; i < n && r == 0; i++)
                r = creds_from_file(paths[i], false, host, user, pass, err);
        for (size_t i = 0; i < n; i++)
                free(paths[i]);
        return r;
}

/* ------------------------------------------------------------------------
 * Token replies (distribution's token authentication specification)
 */

int v2c_token_parse(const char *data, size_t len, char **token, long *expires_in, struct v2c_error **err)
{
        _cleanup_json_ json_t *doc = NULL;
        if (len > MAX_TOKEN_REPLY)
                return v2c_error_set_kind(err, V2C_ERR_INPUT, E2BIG, "token reply larger than %u bytes",
                                          MAX_TOKEN_REPLY);
        int r = load_secret_json(data, len, "token reply", &doc, err);
        if (r < 0)
                return r;

        /* "token" is the spec's; "access_token" is the OAuth2 name, which
         * some servers send instead (or as well, with the same value). */
        const json_t *t = json_object_get(doc, "token");
        if (!json_is_string(t) || json_string_length(t) == 0)
                t = json_object_get(doc, "access_token");
        if (!json_is_string(t) || json_string_length(t) == 0)
                return v2c_error_set_kind(err, V2C_ERR_INPUT, EINVAL,
                                          "token reply has neither \"token\" nor \"access_token\"");
        size_t n = json_string_length(t);
        const char *v = json_string_value(t);
        if (n > MAX_TOKEN)
                return v2c_error_set_kind(err, V2C_ERR_INPUT, E2BIG, "token longer than %u bytes", MAX_TOKEN);
        /* It goes into an Authorization header: a CR or LF there would
         * let the token server write our request headers. */
        for (size_t i = 0; i < n; i++)
                if ((unsigned char) v[i] <= ' ' || (unsigned char) v[i] >= 0x7f)
                        return v2c_error_set_kind(err, V2C_ERR_INPUT, EINVAL,
                                                  "token holds a byte that cannot go in an HTTP header");

        long expires = DEFAULT_EXPIRES_IN;
        const json_t *e = json_object_get(doc, "expires_in");
        if (json_is_integer(e) && json_integer_value(e) > 0)
                expires = json_integer_value(e) > MAX_EXPIRES_IN ? MAX_EXPIRES_IN : (long) json_integer_value(e);
        else if (json_is_real(e) && json_real_value(e) >= 1)
                expires = json_real_value(e) > MAX_EXPIRES_IN ? MAX_EXPIRES_IN : (long) json_real_value(e);

        char *copy = strndup(v, n);
        if (copy == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        *token = copy;
        *expires_in = expires;
        return 0;
}
