/* Talking to a registry: one connection description (base URL, TLS,
 * credentials, the current Authorization), requests over libcurl, the
 * authentication dance (a 401 names Basic or a Bearer token endpoint; the
 * token is fetched with the scopes we need, push first, and fetched again
 * when a later 401 says it expired), and retries with backoff on 408, 429,
 * 5xx and broken connections.  Requests run one at a time
 * (reg_perform) or several at once on a curl multi handle (push.c and
 * pull.c drive it); both share the setup and the reply handling here. */
#include "client-internal.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "curl-errno.h"
#include "log.h"
#include "strv.h"

#define REPLY_MAX (4u << 20)      /* manifests, errors, tokens */
#define HEADER_MAX 16384
#define MAX_REDIRECTS 5
#define DEADLINE_RATE (16u << 10)   /* bytes per second a deadline allows for */

static bool is_loopback(const char *host)
{
        return strncmp(host, "127.", 4) == 0 || strncmp(host, "localhost", 9) == 0 || strncmp(host, "[::1]", 5) == 0;
}

/* Parts of an absolute URL, through curl's own parser (the one that
 * decides where a request goes).  *out new. */
static int url_part(const char *url, CURLUPart what, unsigned flags, char **out)
{
        CURLU *u = curl_url();
        char *v = NULL;
        int r = u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
                                curl_url_get(u, what, &v, flags) == CURLUE_OK
                        ? 0
                        : -EINVAL;
        curl_url_cleanup(u);
        if (r == 0) {
                *out = strdup(v);
                curl_free(v);
                r = *out ? 0 : -ENOMEM;
        }
        return r;
}

/* "scheme://host:port", lowercased, the port made explicit; new or NULL. */
static char *url_origin(const char *url)
{
        _cleanup_free_ char *scheme = NULL, *host = NULL, *port = NULL;
        char *o = NULL;
        if (url_part(url, CURLUPART_SCHEME, 0, &scheme) < 0 || url_part(url, CURLUPART_HOST, 0, &host) < 0 ||
            url_part(url, CURLUPART_PORT, CURLU_DEFAULT_PORT, &port) < 0 ||
            asprintf(&o, "%s://%s:%s", scheme, host, port) < 0)
                return NULL;
        for (char *p = o; *p; p++)
                *p = (char) tolower((unsigned char) *p);
        return o;
}

static bool reg_same_origin(const char *a, const char *b)
{
        _cleanup_free_ char *oa = url_origin(a), *ob = url_origin(b);
        return oa && ob && strcmp(oa, ob) == 0;
}

char *reg_url_host(const char *url)
{
        _cleanup_free_ char *host = NULL, *port = NULL;
        char *h = NULL;
        if (url_part(url, CURLUPART_HOST, 0, &host) < 0)
                return NULL;
        if (url_part(url, CURLUPART_PORT, 0, &port) < 0)
                return TAKE_PTR(host);
        return asprintf(&h, "%s:%s", host, port) < 0 ? NULL : h;
}

static bool is_https(const char *url)
{
        return strncasecmp(url, "https://", 8) == 0;
}

int reg_conn_init(struct reg_conn *c, const struct v2c_ref *ref, const struct v2c_registry_options *opt,
                  struct v2c_error **err)
{
        *c = (struct reg_conn) { .opt = opt };
        /* Loopback registries usually speak plain http: reg_ping tries
         * that first (unless a CA file says TLS) and moves to https when
         * the server turns out to speak TLS. */
        c->loopback = is_loopback(ref->host);
        bool plain = opt->plain_http || (c->loopback && opt->plain_http_loopback && opt->ca_file == NULL);
        if (asprintf(&c->base, "%s://%s", plain ? "http" : "https", ref->host) < 0 ||
            (c->host = strdup(ref->host)) == NULL || (c->repo = strdup(ref->repo)) == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        if (opt->creds) {
                const char *colon = strchr(opt->creds, ':');
                if (colon == NULL)
                        return v2c_error_set_kind(err, V2C_ERR_USAGE, EINVAL, "credentials must be USER:PASSWORD");
                c->user = strndup(opt->creds, (size_t) (colon - opt->creds));
                c->pass = strdup(colon + 1);
                if (c->user == NULL || c->pass == NULL)
                        return v2c_error_set(err, ENOMEM, "out of memory");
        } else {
                int r = v2c_creds_lookup(ref->host, opt->auth_file, &c->user, &c->pass, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

void reg_conn_release(struct reg_conn *c)
{
        free(c->base);
        free(c->host);
        free(c->repo);
        free(c->user);
        if (c->pass) {
                explicit_bzero(c->pass, strlen(c->pass));
                free(c->pass);
        }
        if (c->auth) {
                explicit_bzero(c->auth, strlen(c->auth));
                free(c->auth);
        }
        v2c_strv_free(c->extra_scopes);
        *c = (struct reg_conn) { 0 };
}

int reg_conn_add_scope(struct reg_conn *c, const char *scope)
{
        return v2c_strv_push_unique(&c->extra_scopes, scope);
}

/* ---- one request ---- */

static size_t on_header(char *buf, size_t size, size_t n, void *ctx)
{
        struct reg_req *q = ctx;
        size_t len = size * n;
        if (len > HEADER_MAX)
                return len;
        /* A new status line (after a redirect or a 100): forget the old headers. */
        if (len > 5 && strncmp(buf, "HTTP/", 5) == 0) {
                reg_req_reset_reply(q);
                return len;
        }
        const char *colon = memchr(buf, ':', len);
        if (colon == NULL)
                return len;
        size_t nlen = (size_t) (colon - buf);
        const char *v = colon + 1;
        size_t vlen = len - nlen - 1;
        while (vlen && (*v == ' ' || *v == '\t')) {
                v++;
                vlen--;
        }
        while (vlen && (v[vlen - 1] == '\r' || v[vlen - 1] == '\n' || v[vlen - 1] == ' '))
                vlen--;
        static const struct { const char *name; size_t off; } keep[] = {
                { "location", offsetof(struct reg_req, location) },
                { "docker-content-digest", offsetof(struct reg_req, content_digest) },
                { "www-authenticate", offsetof(struct reg_req, www_auth) },
                { "range", offsetof(struct reg_req, range) },
                { "oci-chunk-min-length", offsetof(struct reg_req, chunk_min) },
                { "retry-after", offsetof(struct reg_req, retry_after) },
                { "content-type", offsetof(struct reg_req, content_type) },
        };
        for (size_t i = 0; i < V2C_ARRAY_SIZE(keep); i++)
                if (strlen(keep[i].name) == nlen && strncasecmp(buf, keep[i].name, nlen) == 0) {
                        char **slot = (char **) ((char *) q + keep[i].off);
                        /* Only the first WWW-Authenticate; the newest of the others. */
                        if (*slot && strcmp(keep[i].name, "www-authenticate") == 0)
                                break;
                        free(*slot);
                        *slot = strndup(v, vlen);
                        break;
                }
        return len;
}

static size_t on_body(char *buf, size_t size, size_t n, void *ctx)
{
        struct reg_req *q = ctx;
        size_t len = size * n;
        q->received += len;
        if (q->status_seen == 0 && q->easy) {
                long st = 0;
                curl_easy_getinfo(q->easy, CURLINFO_RESPONSE_CODE, &st);
                q->status_seen = st;
        }
        bool ok = q->status_seen >= 200 && q->status_seen < 300;
        if (q->sink_fd >= 0 && ok) {
                /* Never a byte past the declared size: a registry that
                 * sends more (or an endless body) is cut off there. */
                uint64_t room = q->sink_limit - q->sink_written;
                size_t take = len > room ? (size_t) room : len;
                for (size_t off = 0; off < take;) {
                        ssize_t w = write(q->sink_fd, buf + off, take - off);
                        if (w < 0 && errno == EINTR)
                                continue;
                        if (w < 0) {
                                q->sink_errno = errno;
                                return 0;
                        }
                        off += (size_t) w;
                }
                if (q->sink_hash)
                        v2c_sha256_update(q->sink_hash, buf, take);
                q->sink_written += take;
                if (q->sink_progress)
                        q->sink_progress(q->sink_progress_ctx, q->sink_written);
                if (take < len) {
                        q->sink_over = true;
                        return 0;
                }
                return len;
        }
        int r = v2c_buf_append(&q->reply, buf, len);
        if (r == -E2BIG && !ok) {
                /* An error document: its beginning says enough. */
                size_t room = q->reply.max - q->reply.len;
                return v2c_buf_append(&q->reply, buf, len < room ? len : room) < 0 ? 0 : len;
        }
        if (r < 0) {
                q->reply_over = r == -E2BIG;
                return 0;
        }
        return len;
}

static size_t on_read(char *buf, size_t size, size_t n, void *ctx)
{
        struct reg_req *q = ctx;
        size_t want = size * n;
        uint64_t left = q->body_len - q->body_sent;
        if (want > left)
                want = (size_t) left;
        if (want == 0)
                return 0;
        if (q->body_mem) {
                memcpy(buf, q->body_mem + q->body_sent, want);
                q->body_sent += want;
                return want;
        }
        ssize_t r;
        do
                r = pread(q->body_fd, buf, want, (off_t) (q->body_off + q->body_sent));
        while (r < 0 && errno == EINTR);
        if (r <= 0)
                return CURL_READFUNC_ABORT;
        q->body_sent += (uint64_t) r;
        return (size_t) r;
}

/* Follows the status of the reply as it comes, so on_body knows whether
 * the body is data or an error document. */
static int on_progress(void *ctx, curl_off_t dlt, curl_off_t dln, curl_off_t ult, curl_off_t uln)
{
        struct reg_req *q = ctx;
        (void) dlt; (void) dln; (void) ult; (void) uln;
        if (q->status_seen == 0 && q->easy) {
                long st = 0;
                curl_easy_getinfo(q->easy, CURLINFO_RESPONSE_CODE, &st);
                if (st >= 200)
                        q->status_seen = st;
        }
        return q->cancel ? 1 : 0;
}

void reg_req_reset_reply(struct reg_req *q)
{
        free(q->location);
        free(q->content_digest);
        free(q->www_auth);
        free(q->range);
        free(q->chunk_min);
        free(q->retry_after);
        free(q->content_type);
        q->location = q->content_digest = q->www_auth = q->range = q->chunk_min = q->retry_after =
                q->content_type = NULL;
        q->status_seen = 0;
}

const char *reg_req_where(const struct reg_req *q)
{
        return q->hop_url ? q->hop_url : q->url;
}

void reg_req_release(struct reg_req *q)
{
        if (q->easy)
                curl_easy_cleanup(q->easy);
        if (q->hdrs)
                curl_slist_free_all(q->hdrs);
        reg_req_reset_reply(q);
        v2c_buf_release(&q->reply);
        free(q->url);
        free(q->method);
        free(q->content_type_out);
        free(q->accept);
        free(q->content_range);
        free(q->hop_url);
        if (q->auth_once) {
                explicit_bzero(q->auth_once, strlen(q->auth_once));
                free(q->auth_once);
        }
        q->easy = NULL;
        q->hdrs = NULL;
        q->url = q->method = q->content_type_out = q->accept = q->content_range = q->hop_url = q->auth_once = NULL;
}

int reg_req_init(struct reg_req *q, const char *method, const char *url)
{
        *q = (struct reg_req) { .body_fd = -1, .sink_fd = -1 };
        v2c_buf_init(&q->reply, REPLY_MAX);
        q->method = strdup(method);
        q->url = strdup(url);
        q->follow = strcmp(method, "GET") == 0;
        return q->method && q->url ? 0 : -ENOMEM;
}

/* (Re)builds the easy handle of Q for one attempt. */
int reg_req_prepare(struct reg_conn *c, struct reg_req *q, struct v2c_error **err)
{
        if (q->easy)
                curl_easy_cleanup(q->easy);
        if (q->hdrs)
                curl_slist_free_all(q->hdrs);
        q->hdrs = NULL;
        reg_req_reset_reply(q);
        v2c_buf_reset(&q->reply);
        q->body_sent = 0;
        q->received = 0;
        q->sink_written = 0;
        q->sink_over = q->reply_over = false;
        q->errbuf[0] = '\0';
        q->easy = curl_easy_init();
        if (q->easy == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        CURL *e = q->easy;
        curl_easy_setopt(e, CURLOPT_URL, reg_req_where(q));
        curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, 30L);
        /* A stalled transfer (no byte for a minute) is a broken one, and
         * a trickle has a deadline. */
        curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
        curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, 60L);
        uint64_t expected = q->sink_fd >= 0 ? q->sink_limit : q->body_len > 0 ? q->body_len : q->reply.max;
        curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, reg_deadline_ms(c->opt, expected));
        curl_easy_setopt(e, CURLOPT_ERRORBUFFER, q->errbuf);
        curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
        curl_easy_setopt(e, CURLOPT_HEADERDATA, q);
        curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(e, CURLOPT_WRITEDATA, q);
        curl_easy_setopt(e, CURLOPT_XFERINFOFUNCTION, on_progress);
        curl_easy_setopt(e, CURLOPT_XFERINFODATA, q);
        curl_easy_setopt(e, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(e, CURLOPT_USERAGENT, "v2c/" V2C_VERSION);
        if (c->opt->ca_file)
                curl_easy_setopt(e, CURLOPT_CAINFO, c->opt->ca_file);
        if (c->opt->tls_no_verify) {
                curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
                curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
        }
        /* Redirects (blob GETs sent to storage) are followed by
         * reg_send, which decides what each hop gets: curl on its own
         * would carry a header we add to any host a libcurl of another
         * version thinks is the same. */
        curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
        curl_easy_setopt(e, CURLOPT_UNRESTRICTED_AUTH, 0L);
        if (strcmp(q->method, "HEAD") == 0)
                curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
        else if (strcmp(q->method, "GET") != 0) {
                bool has_body = q->body_len > 0 || q->body_mem;
                if (strcmp(q->method, "POST") == 0 && !has_body) {
                        curl_easy_setopt(e, CURLOPT_POST, 1L);
                        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, 0L);
                        curl_easy_setopt(e, CURLOPT_POSTFIELDS, "");
                } else {
                        curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
                        curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, q->method);
                        curl_easy_setopt(e, CURLOPT_READFUNCTION, on_read);
                        curl_easy_setopt(e, CURLOPT_READDATA, q);
                        curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE, (curl_off_t) q->body_len);
                }
        }
        char line[HEADER_MAX];
        int ok = 1;
        /* Credentials go to the registry the user named and nowhere else:
         * not to a host a redirect or an upload Location names.  A token
         * request carries its own, to the realm the registry named. */
        const char *auth = NULL;
        if (q->auth_once && q->hops == 0)
                auth = q->auth_once;
        else if (c->auth && !q->no_conn_auth && reg_same_origin(reg_req_where(q), c->base))
                auth = c->auth;
        if (auth) {
                snprintf(line, sizeof line, "Authorization: %s", auth);
                ok &= (q->hdrs = curl_slist_append(q->hdrs, line)) != NULL;
                explicit_bzero(line, sizeof line);
        }
        if (q->accept) {
                snprintf(line, sizeof line, "Accept: %s", q->accept);
                ok &= (q->hdrs = curl_slist_append(q->hdrs, line)) != NULL;
        }
        if (q->content_type_out) {
                snprintf(line, sizeof line, "Content-Type: %s", q->content_type_out);
                ok &= (q->hdrs = curl_slist_append(q->hdrs, line)) != NULL;
        }
        if (q->content_range) {
                snprintf(line, sizeof line, "Content-Range: %s", q->content_range);
                ok &= (q->hdrs = curl_slist_append(q->hdrs, line)) != NULL;
        }
        /* No "Expect: 100-continue" round trip before each upload. */
        ok &= (q->hdrs = curl_slist_append(q->hdrs, "Expect:")) != NULL;
        if (!ok)
                return v2c_error_set(err, ENOMEM, "out of memory");
        curl_easy_setopt(e, CURLOPT_HTTPHEADER, q->hdrs);
        curl_easy_setopt(e, CURLOPT_PRIVATE, q);
        return 0;
}

/* After a transfer: the status, or a negative errno for a broken
 * connection (ERR set). */
int reg_req_finish(struct reg_req *q, CURLcode res, struct v2c_error **err)
{
        q->cres = res;
        curl_easy_getinfo(q->easy, CURLINFO_RESPONSE_CODE, &q->status);
        _cleanup_free_ char *host = reg_url_host(reg_req_where(q));
        const char *who = host ? host : "the registry";
        if (q->sink_over)
                return v2c_error_set_kind(err, V2C_ERR_INPUT, EFBIG,
                                          "%s %s: %s sent more than the %llu bytes declared", q->method, q->url, who,
                                          (unsigned long long) q->sink_limit);
        if (q->reply_over)
                return v2c_error_set_kind(err, V2C_ERR_INPUT, E2BIG, "%s %s: %s sent a reply over %zu bytes",
                                          q->method, q->url, who, q->reply.max);
        if (q->sink_errno)
                return v2c_error_set(err, q->sink_errno, "%s %s: writing what came: %s", q->method, q->url,
                                     strerror(q->sink_errno));
        if (res != CURLE_OK) {
                int e = -v2c_curl_errno(res);
                if (q->hops)
                        return v2c_error_set(err, e, "%s %s (redirected to %s): %s", q->method, q->url, who,
                                             q->errbuf[0] ? q->errbuf : curl_easy_strerror(res));
                return v2c_error_set(err, e, "%s %s: %s", q->method, q->url,
                                     q->errbuf[0] ? q->errbuf : curl_easy_strerror(res));
        }
        return (int) q->status;
}

bool reg_status_retriable(long status)
{
        return status == 408 || status == 429 || (status >= 500 && status <= 599);
}

bool reg_error_retriable(int r)
{
        return r == -ECONNRESET || r == -ETIMEDOUT || r == -ECONNREFUSED;
}

long reg_backoff_ms(const struct reg_req *q, int attempt)
{
        if (q && q->retry_after) {
                long s = strtol(q->retry_after, NULL, 10);
                if (s > 0 && s <= 60)
                        return s * 1000;
        }
        long ms = 200L << (attempt < 6 ? attempt : 6);
        return ms > 10000 ? 10000 : ms;
}

void reg_sleep_ms(long ms)
{
        struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

long reg_deadline_ms(const struct v2c_registry_options *opt, uint64_t expected)
{
        if (opt->timeout > 0)
                return opt->timeout * 1000;
        uint64_t s = 60 + expected / DEADLINE_RATE;
        return s > LONG_MAX / 1000 ? LONG_MAX : (long) s * 1000;
}

/* A registry's error document in one line: {"errors":[{"code","message"}]}. */
char *reg_reply_error(const struct reg_req *q)
{
        const char *d = q->reply.data ? q->reply.data : "";
        const char *code = strstr(d, "\"code\"");
        const char *msg = strstr(d, "\"message\"");
        char c[64] = "", m[256] = "";
        if (code && sscanf(code, "\"code\" : \"%63[^\"]\"", c) != 1)
                (void) sscanf(code, "\"code\":\"%63[^\"]\"", c);
        if (msg && sscanf(msg, "\"message\" : \"%255[^\"]\"", m) != 1)
                (void) sscanf(msg, "\"message\":\"%255[^\"]\"", m);
        char *out = NULL;
        if (*c || *m) {
                if (asprintf(&out, "%s%s%s", c, *c && *m ? ": " : "", m) < 0)
                        out = NULL;
        } else if (asprintf(&out, "HTTP %ld", q->status) < 0)
                out = NULL;
        return out;
}

/* ---- authentication ---- */

static char *base64(const char *s)
{
        static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        size_t n = strlen(s);
        char *out = malloc(4 * ((n + 2) / 3) + 1), *o = out;
        if (out == NULL)
                return NULL;
        for (size_t i = 0; i < n; i += 3) {
                uint32_t v = (uint32_t) (unsigned char) s[i] << 16;
                if (i + 1 < n)
                        v |= (uint32_t) (unsigned char) s[i + 1] << 8;
                if (i + 2 < n)
                        v |= (unsigned char) s[i + 2];
                *o++ = tbl[v >> 18 & 63];
                *o++ = tbl[v >> 12 & 63];
                *o++ = i + 1 < n ? tbl[v >> 6 & 63] : '=';
                *o++ = i + 2 < n ? tbl[v & 63] : '=';
        }
        *o = '\0';
        return out;
}

static char *escape_query(CURL *e, const char *s)
{
        char *x = curl_easy_escape(e, s, 0);
        char *r = x ? strdup(x) : NULL;
        curl_free(x);
        return r;
}

/* "Basic base64(user:pass)" (new), or NULL. */
static char *basic_auth(const struct reg_conn *c)
{
        _cleanup_free_ char *up = NULL, *b = NULL;
        char *h = NULL;
        if (asprintf(&up, "%s:%s", c->user, c->pass) < 0)
                return NULL;
        b = base64(up);
        explicit_bzero(up, strlen(up));
        if (b && asprintf(&h, "Basic %s", b) < 0)
                h = NULL;
        if (b)
                explicit_bzero(b, strlen(b));
        return h;
}

/* Answers a 401 of the registry itself (reg_from_registry): Basic with
 * our credentials, or a Bearer token fetched from the challenge's realm
 * for the scopes we need.  The realm may be on another host (Docker
 * Hub's is auth.docker.io): the registry says where its tokens come
 * from, as Docker takes it.  But an https registry's credentials never
 * go to a plain-http realm. */
int reg_authenticate(struct reg_conn *c, const char *www_auth, struct v2c_error **err)
{
        if (www_auth == NULL)
                return v2c_error_set_kind(err, V2C_ERR_REFUSED, EACCES,
                                          "%s refused access (401) and names no way to authenticate", c->host);
        _cleanup_(v2c_challenge_release) struct v2c_challenge ch = { 0 };
        int r = v2c_challenge_parse(www_auth, strlen(www_auth), &ch, err);
        if (r < 0)
                return v2c_error_prefix(err, r, "%s's WWW-Authenticate", c->host);
        if (c->auth) {
                explicit_bzero(c->auth, strlen(c->auth));
                free(c->auth);
                c->auth = NULL;
        }
        if (strcmp(ch.scheme, "basic") == 0) {
                if (c->user == NULL)
                        return v2c_error_set_kind(err, V2C_ERR_REFUSED, EACCES,
                                                  "%s wants a user and password (--creds, --password-stdin, or "
                                                  "an auth.json entry)", c->host);
                c->auth = basic_auth(c);
                if (c->auth == NULL)
                        return v2c_error_set(err, ENOMEM, "out of memory");
                c->basic = true;
                return 0;
        }
        if (ch.realm == NULL)
                return v2c_error_set(err, EPROTO, "%s's Bearer challenge names no realm", c->host);
        _cleanup_free_ char *realm = NULL, *realm_host = NULL;
        r = v2c_url_resolve(c->base, ch.realm, &realm, err);
        if (r < 0)
                return v2c_error_prefix(err, r, "%s's token realm", c->host);
        realm_host = reg_url_host(realm);
        if (realm_host == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        if (c->user && is_https(c->base) && !is_https(realm))
                return v2c_error_set_kind(err, V2C_ERR_REFUSED, EACCES,
                                          "%s names a plain-http token service (%s): credentials for an https "
                                          "registry are not sent in clear", c->host, realm_host);

        /* The token request: push scope first, then what mounts read. */
        struct v2c_buf u;
        v2c_buf_init(&u, 64u << 10);
        CURL *tmp = curl_easy_init();
        _cleanup_free_ char *svc = ch.service && tmp ? escape_query(tmp, ch.service) : NULL;
        v2c_buf_appendf(&u, "%s%s", realm, strchr(realm, '?') ? "&" : "?");
        if (svc)
                v2c_buf_appendf(&u, "service=%s&", svc);
        char scope[1024];
        snprintf(scope, sizeof scope, "repository:%s:%s", c->repo, c->pull_only ? "pull" : "push,pull");
        _cleanup_free_ char *s1 = tmp ? escape_query(tmp, scope) : NULL;
        v2c_buf_appendf(&u, "scope=%s", s1 ? s1 : "");
        for (size_t i = 0; c->extra_scopes && c->extra_scopes[i]; i++) {
                _cleanup_free_ char *sx = tmp ? escape_query(tmp, c->extra_scopes[i]) : NULL;
                v2c_buf_appendf(&u, "&scope=%s", sx ? sx : "");
        }
        if (tmp)
                curl_easy_cleanup(tmp);
        _cleanup_free_ char *url = v2c_buf_steal(&u);
        if (url == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");

        struct reg_req q;
        if (reg_req_init(&q, "GET", url) < 0)
                return v2c_error_set(err, ENOMEM, "out of memory");
        /* The realm gets our credentials (Basic), or nothing; a redirect
         * from there gets nothing. */
        q.follow = true;
        q.no_conn_auth = true;
        if (c->user && (q.auth_once = basic_auth(c)) == NULL) {
                reg_req_release(&q);
                return v2c_error_set(err, ENOMEM, "out of memory");
        }
        int status = 0;
        for (int attempt = 0;; attempt++) {
                status = reg_send(c, &q, err);
                if ((status < 0 && reg_error_retriable(status)) || (status > 0 && reg_status_retriable(status))) {
                        if (attempt < c->opt->retries) {
                                if (status < 0)
                                        *err = v2c_error_free(*err);
                                reg_sleep_ms(reg_backoff_ms(&q, attempt));
                                continue;
                        }
                }
                break;
        }
        if (status < 0) {
                reg_req_release(&q);
                return v2c_error_prefix(err, status, "fetching a token for %s from %s", c->host, realm_host);
        }
        if (status == 401 || status == 403) {
                reg_req_release(&q);
                return v2c_error_set_kind(err, V2C_ERR_REFUSED, EACCES,
                                          "%s's token service (%s) refused %s (HTTP %d): check the credentials",
                                          c->host, realm_host, c->user ? "our credentials" : "an anonymous request",
                                          status);
        }
        if (status != 200) {
                reg_req_release(&q);
                return v2c_error_set(err, EPROTO, "%s's token service (%s) answered HTTP %d", c->host, realm_host,
                                     status);
        }
        _cleanup_free_ char *token = NULL;
        long expires = 0;
        r = v2c_token_parse(q.reply.data ? q.reply.data : "", q.reply.len, &token, &expires, err);
        reg_req_release(&q);
        if (r < 0)
                return v2c_error_prefix(err, r, "%s's token reply (%s)", c->host, realm_host);
        if (asprintf(&c->auth, "Bearer %s", token) < 0) {
                c->auth = NULL;
                return v2c_error_set(err, ENOMEM, "out of memory");
        }
        explicit_bzero(token, strlen(token));
        c->basic = false;
        c->token_fetches++;
        return 0;
}

static bool is_redirect(int status)
{
        return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

int reg_send(struct reg_conn *c, struct reg_req *q, struct v2c_error **err)
{
        free(q->hop_url);
        q->hop_url = NULL;
        q->hops = 0;
        for (;;) {
                int r = reg_req_prepare(c, q, err);
                if (r < 0)
                        return r;
                int status = reg_req_finish(q, curl_easy_perform(q->easy), err);
                if (status < 0 || !q->follow || !is_redirect(status) || q->location == NULL)
                        return status;
                _cleanup_free_ char *host = reg_url_host(reg_req_where(q));
                if (q->hops >= MAX_REDIRECTS)
                        return v2c_error_set(err, EPROTO, "%s %s: more than %d redirects (the last from %s)",
                                             q->method, q->url, MAX_REDIRECTS, host ? host : "?");
                char *next = NULL;
                r = v2c_url_resolve(reg_req_where(q), q->location, &next, err);
                if (r < 0)
                        return v2c_error_prefix(err, r, "%s %s: redirect from %s", q->method, q->url,
                                                host ? host : "?");
                if (is_https(reg_req_where(q)) && !is_https(next)) {
                        free(next);
                        return v2c_error_set_kind(err, V2C_ERR_REFUSED, EPROTO,
                                                  "%s %s: %s redirected it from https to plain http", q->method,
                                                  q->url, host ? host : "?");
                }
                free(q->hop_url);
                q->hop_url = next;
                q->hops++;
        }
}

bool reg_from_registry(const struct reg_conn *c, const struct reg_req *q)
{
        return reg_same_origin(reg_req_where(q), c->base);
}

int reg_foreign_401(const struct reg_conn *c, const struct reg_req *q, struct v2c_error **err)
{
        _cleanup_free_ char *host = reg_url_host(reg_req_where(q));
        return v2c_error_set_kind(err, V2C_ERR_REFUSED, EACCES,
                                  "%s %s: %s%s asked for credentials (401): they go only to %s", q->method, q->url,
                                  host ? host : "another host", q->hops ? ", where a redirect led," : "", c->host);
}

int reg_perform(struct reg_conn *c, struct reg_req *q, struct v2c_error **err)
{
        bool reauthed = false;
        for (int attempt = 0;; attempt++) {
                int status = reg_send(c, q, err);
                if (status < 0) {
                        if (reg_error_retriable(status) && attempt < c->opt->retries && !q->no_retry) {
                                v2c_debug("%s %s: %s; retrying", q->method, q->url, (*err)->msg);
                                *err = v2c_error_free(*err);
                                reg_sleep_ms(reg_backoff_ms(NULL, attempt));
                                continue;
                        }
                        return status;
                }
                if (status == 401 && !reauthed) {
                        /* Only the registry's own 401 says how to authenticate
                         * to it; a host a redirect led to gets nothing. */
                        if (!reg_from_registry(c, q))
                                return reg_foreign_401(c, q, err);
                        reauthed = true;
                        int r = reg_authenticate(c, q->www_auth, err);
                        if (r < 0)
                                return r;
                        attempt--;
                        continue;
                }
                if (reg_status_retriable(status) && attempt < c->opt->retries && !q->no_retry) {
                        v2c_debug("%s %s: HTTP %d; retrying", q->method, q->url, status);
                        reg_sleep_ms(reg_backoff_ms(q, attempt));
                        continue;
                }
                return status;
        }
}

char *reg_url(const struct reg_conn *c, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        char *tail = NULL, *url = NULL;
        if (vasprintf(&tail, fmt, ap) < 0)
                tail = NULL;
        va_end(ap);
        if (tail && asprintf(&url, "%s%s", c->base, tail) < 0)
                url = NULL;
        free(tail);
        return url;
}

int reg_ping(struct reg_conn *c, struct v2c_error **err)
{
        _cleanup_free_ char *url = reg_url(c, "/v2/");
        struct reg_req q;
        if (url == NULL || reg_req_init(&q, "GET", url) < 0)
                return v2c_error_set(err, ENOMEM, "out of memory");
        int status = reg_perform(c, &q, err);
        if (c->loopback && !c->opt->plain_http && strncmp(c->base, "http://", 7) == 0 &&
            (status == 400 || status == -ECONNRESET)) {
                /* A loopback registry that speaks TLS: Go answers plain
                 * http with a 400 ("client sent an HTTP request to an HTTPS
                 * server").  From then on it is https, certificates checked. */
                v2c_debug("%s speaks TLS: https", c->host);
                if (status < 0)
                        *err = v2c_error_free(*err);
                char *b = NULL;
                if (asprintf(&b, "https://%s", c->host) < 0) {
                        reg_req_release(&q);
                        return v2c_error_set(err, ENOMEM, "out of memory");
                }
                free(c->base);
                c->base = b;
                free(q.url);
                q.url = reg_url(c, "/v2/");
                status = q.url ? reg_perform(c, &q, err) : v2c_error_set(err, ENOMEM, "out of memory");
        }
        int r = 0;
        if (status < 0)
                r = v2c_error_prefix(err, status, "reaching %s", c->host);
        else if (status == 401 || status == 403)
                r = v2c_error_set_kind(err, V2C_ERR_REFUSED, EACCES, "%s refused our credentials (HTTP %d)", c->host,
                                       status);
        else if (status != 200)
                r = v2c_error_set(err, EPROTO, "%s/v2/ answered HTTP %d: not a registry?", c->base, status);
        reg_req_release(&q);
        return r;
}
