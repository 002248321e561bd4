/* The Docker Engine API over a unix socket (see engine.h): one libcurl
 * easy handle per request, URLs http://d/v1.40/..., replies bounded, the
 * engine's "message" turned into our error.  The parsers of what comes
 * back (the pull's JSON-lines stream, multiplexed logs, inspect) are pure
 * and fuzzed; the streaming pull feeds its lines to the same line parser.
 *
 * Podman's compat API differs from Docker's in ways that matter here:
 *   - a failed pull is still HTTP 200: the error is a line of the stream;
 *   - most failures are HTTP 500 with a "cause" (a taken name, removing a
 *     running container), where Docker says 409: we look at the cause;
 *   - tlsVerify is ignored on /images/create: insecure registries are the
 *     service's configuration (registries.conf), never the request's;
 *   - a tmpfs is given to the container's user with podman's own `U`
 *     (its compat API refuses the kernel's uid=/gid=, which Docker wants
 *     and where it refuses `U`): create asks GET /version which it is. */
#include "engine.h"

#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "cleanup.h"
#include "curl-errno.h"
#include "json.h"
#include "ref.h"

#define API_BASE "http://d/v1.40"
#define DEFAULT_TIMEOUT_MS 30000
#define DEFAULT_PULL_TIMEOUT_MS (10 * 60 * 1000)
#define CONNECT_TIMEOUT_MS 10000
#define PULL_LINE_MAX (1u << 20)
/* A pull's stream is read line by line, so its size costs no memory; this
 * only stops an engine that never ends it. */
#define PULL_STREAM_MAX (256ull << 20)
#define MSG_MAX 1024            /* bytes of an engine's message we keep */
#define NAME_MAX_LEN 128
#define REF_MAX_LEN 512         /* an image given to create: a pinned reference (at most 456 bytes) or an id */

/* ---- small pure helpers ---- */

/* S (at most N bytes, or up to its NUL) with control characters turned
 * into spaces, outer blanks trimmed, and cut at MAX bytes on a character
 * boundary with "..." (new string, or NULL on ENOMEM). */
static char *clean_text(const char *s, size_t n, size_t max)
{
        size_t len = strnlen(s, n);
        while (len && (unsigned char) s[len - 1] <= ' ')
                len--;
        while (len && (unsigned char) *s <= ' ') {
                s++;
                len--;
        }
        bool cut = len > max;
        if (cut) {
                len = max;
                /* Not inside a UTF-8 sequence: back up over continuation bytes. */
                while (len && ((unsigned char) s[len] & 0xc0) == 0x80)
                        len--;
        }
        char *out = malloc(len + 4);
        if (out == NULL)
                return NULL;
        for (size_t i = 0; i < len; i++) {
                unsigned char c = (unsigned char) s[i];
                out[i] = c < 0x20 || c == 0x7f ? ' ' : (char) c;
        }
        strcpy(out + len, cut ? "..." : "");
        return out;
}

/* Names and ids go into URL paths: Docker's name syntax, nothing else. */
static bool valid_name(const char *s)
{
        size_t n = s ? strlen(s) : 0;
        if (n == 0 || n > NAME_MAX_LEN)
                return false;
        if (strchr("_.-", s[0]))
                return false;
        return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n;
}

/* ---- references ---- */

/* The engine's wording of common/ref.h's problems with a pinned
 * reference. */
static int ref_error(enum v2c_ref_problem p, const char *ref, struct v2c_error **err)
{
        switch (p) {
        case V2C_REF_OK:
                break;
        case V2C_REF_EMPTY:
                return v2c_error_set_kind(err, V2C_ERR_USAGE, EINVAL, "no image reference");
        case V2C_REF_TOO_LONG:
                return v2c_error_set_kind(err, V2C_ERR_USAGE, EINVAL, "image reference longer than %d bytes",
                                          V2C_REF_MAX);
        case V2C_REF_NOT_PINNED:
                return v2c_error_set_kind(err, V2C_ERR_USAGE, EINVAL,
                                          "`%s` is not pinned: give REPO@sha256:<64 hex digits>", ref);
        case V2C_REF_DIGEST_NOT_SHA256:
        case V2C_REF_DIGEST_HEX:
                return v2c_error_set_kind(err, V2C_ERR_USAGE, EINVAL,
                                          "`%s`: the digest must be sha256: and 64 lowercase hex digits", ref);
        case V2C_REF_NO_HOST:
        case V2C_REF_NOT_A_HOST:
        case V2C_REF_BAD_HOST:
                return v2c_error_set_kind(err, V2C_ERR_USAGE, EINVAL,
                                          "`%s` names no registry: give HOST[:PORT]/PATH@sha256:...", ref);
        case V2C_REF_BAD_TAG:
        case V2C_REF_HAS_TAG:
                return v2c_error_set_kind(err, V2C_ERR_USAGE, EINVAL,
                                          "`%s` has a tag: pin it by digest alone (REPO@sha256:...)", ref);
        case V2C_REF_NAME_TOO_LONG:
                return v2c_error_set_kind(err, V2C_ERR_USAGE, EINVAL, "`%s`: the name is longer than %d bytes", ref,
                                          V2C_REF_NAME_MAX);
        case V2C_REF_BAD_BYTE:  /* not with V2C_REF_BYTE_IN_PART */
        case V2C_REF_NO_REPO:
        case V2C_REF_REPO_UPPER:
        case V2C_REF_BAD_REPO:
        case V2C_REF_REPO_SLASH:
                break;
        }
        return v2c_error_set_kind(err, V2C_ERR_USAGE, EINVAL, "`%s`: not a valid repository name", ref);
}

int v2c_engine_ref_pinned(const char *ref, char **repo, char **digest, struct v2c_error **err)
{
        struct v2c_ref_spans sp;
        enum v2c_ref_problem p = v2c_ref_check(ref, V2C_REF_PINNED | V2C_REF_BYTE_IN_PART, &sp);
        if (p != V2C_REF_OK)
                return ref_error(p, ref, err);
        _cleanup_free_ char *r = repo ? strndup(ref, sp.name_len) : NULL;
        _cleanup_free_ char *g = digest ? strdup(ref + sp.digest_off) : NULL;
        if ((repo && r == NULL) || (digest && g == NULL))
                return v2c_error_set(err, ENOMEM, "out of memory");
        if (repo)
                *repo = TAKE_PTR(r);
        if (digest)
                *digest = TAKE_PTR(g);
        return 0;
}

/* ---- the pull's progress stream ---- */

/* One line of the stream.  Keeps the first error's message in
 * *error_msg. */
static int pull_line(const char *line, size_t n, size_t lineno, char **error_msg, struct v2c_error **err)
{
        while (n && (line[n - 1] == '\r' || line[n - 1] == ' ' || line[n - 1] == '\t'))
                n--;
        size_t skip = 0;
        while (skip < n && (line[skip] == ' ' || line[skip] == '\t' || line[skip] == '\r'))
                skip++;
        if (skip == n)
                return 0;
        if (n > PULL_LINE_MAX)
                return v2c_error_set_kind(err, V2C_ERR_INPUT, EBADMSG, "line %zu is longer than %u bytes", lineno,
                                          PULL_LINE_MAX);
        json_error_t je;
        _cleanup_json_ json_t *j = json_loadb(line + skip, n - skip, JSON_REJECT_DUPLICATES, &je);
        if (j == NULL || !json_is_object(j))
                return v2c_error_set_kind(err, V2C_ERR_INPUT, EBADMSG, "line %zu is not a JSON object%s%s", lineno,
                                          j ? "" : ": ", j ? "" : je.text);
        json_t *e = json_object_get(j, "error");
        json_t *detail = json_object_get(j, "errorDetail");
        if ((e == NULL && detail == NULL) || *error_msg)
                return 0;
        /* Docker fills both; errorDetail.message is the fuller one. */
        const char *m = json_string_value(json_object_get(detail, "message"));
        if (m == NULL || *m == '\0')
                m = json_string_value(e);
        if (m == NULL || *m == '\0')
                m = "the engine reported an error without a message";
        char *c = clean_text(m, SIZE_MAX, MSG_MAX);
        if (c == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        *error_msg = c;
        return 0;
}

int v2c_engine_parse_pull_stream(const char *data, size_t len, char **error_msg, struct v2c_error **err)
{
        _cleanup_free_ char *msg = NULL;
        size_t lineno = 0;
        for (size_t off = 0; off < len;) {
                const char *nl = memchr(data + off, '\n', len - off);
                size_t n = nl ? (size_t) (nl - (data + off)) : len - off;
                int r = pull_line(data + off, n, ++lineno, &msg, err);
                if (r < 0)
                        return v2c_error_prefix(err, r, "the pull's progress stream");
                off += n + (nl != NULL);
        }
        *error_msg = TAKE_PTR(msg);
        return 0;
}

/* ---- multiplexed logs ---- */

int v2c_engine_demux_logs(const char *data, size_t len, char **out, size_t *out_len, struct v2c_error **err)
{
        _cleanup_free_ char *o = malloc(len + 1);
        if (o == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        size_t w = 0;
        for (size_t off = 0; off < len;) {
                const unsigned char *h = (const unsigned char *) data + off;
                if (len - off < 8)
                        return v2c_error_set_kind(err, V2C_ERR_INPUT, EBADMSG,
                                                  "log frame header at offset %zu cut short (%zu of 8 bytes)", off,
                                                  len - off);
                if (h[0] > 2 || h[1] || h[2] || h[3])
                        return v2c_error_set_kind(err, V2C_ERR_INPUT, EBADMSG,
                                                  "not a multiplexed log stream (bad frame header at offset %zu)",
                                                  off);
                uint32_t size = (uint32_t) h[4] << 24 | (uint32_t) h[5] << 16 | (uint32_t) h[6] << 8 | h[7];
                if (size > len - off - 8)
                        return v2c_error_set_kind(err, V2C_ERR_INPUT, EBADMSG,
                                                  "log frame at offset %zu claims %" PRIu32 " bytes, %zu left", off,
                                                  size, len - off - 8);
                memcpy(o + w, data + off + 8, size);
                w += size;
                off += 8 + (size_t) size;
        }
        o[w] = '\0';
        *out = TAKE_PTR(o);
        if (out_len)
                *out_len = w;
        return 0;
}

/* ---- inspect ---- */

void v2c_engine_state_release(struct v2c_engine_state *st)
{
        if (st == NULL)
                return;
        free(st->status);
        *st = (struct v2c_engine_state) { 0 };
}

static int json_int_in(json_t *j, const char *key, long long lo, long long hi, bool required, int *out)
{
        json_t *v = json_object_get(j, key);
        if (v == NULL && !required)
                return 0;
        if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
                return -EBADMSG;
        *out = (int) json_integer_value(v);
        return 0;
}

int v2c_engine_parse_state(const char *data, size_t len, struct v2c_engine_state *st, struct v2c_error **err)
{
        _cleanup_json_ json_t *j = NULL;
        int r = v2c_json_load(data, len, "the container's inspect reply", &j, err);
        if (r < 0)
                return r;
        json_t *s = json_object_get(j, "State");
        json_t *running = json_object_get(s, "Running");
        const char *status = json_string_value(json_object_get(s, "Status"));
        if (!json_is_object(j) || !json_is_object(s) || !json_is_boolean(running) || status == NULL)
                return v2c_error_set_kind(err, V2C_ERR_INPUT, EBADMSG,
                                          "the container's inspect reply has no State (Running, Status)");
        struct v2c_engine_state n = { .running = json_is_true(running) };
        if (json_int_in(s, "ExitCode", INT_MIN, INT_MAX, true, &n.exit_code) < 0 ||
            json_int_in(s, "Pid", 0, INT_MAX, false, &n.pid) < 0)
                return v2c_error_set_kind(err, V2C_ERR_INPUT, EBADMSG,
                                          "the container's inspect reply: State.ExitCode or State.Pid is not an int");
        json_t *tty = json_object_get(json_object_get(j, "Config"), "Tty");
        if (tty && !json_is_boolean(tty))
                return v2c_error_set_kind(err, V2C_ERR_INPUT, EBADMSG,
                                          "the container's inspect reply: Config.Tty is not a boolean");
        n.tty = json_is_true(tty);
        n.status = clean_text(status, SIZE_MAX, 64);
        if (n.status == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        *st = n;
        return 0;
}

/* ---- requests ---- */

struct reply {
        CURL *easy;
        long status;
        struct v2c_buf body;
        /* The pull: a 2xx body is parsed line by line instead of kept. */
        bool lines;
        struct v2c_buf line;
        size_t lineno;
        uint64_t streamed;
        char *stream_error;             /* the first error line's message */
        struct v2c_error *stream_err;   /* why the stream could not be read */
        bool too_big;
};

static void reply_release(struct reply *q)
{
        v2c_buf_release(&q->body);
        v2c_buf_release(&q->line);
        free(q->stream_error);
        v2c_error_free(q->stream_err);
        *q = (struct reply) { 0 };
}

static int reply_flush_line(struct reply *q)
{
        int r = pull_line(q->line.data ? q->line.data : "", q->line.len, ++q->lineno, &q->stream_error,
                          &q->stream_err);
        v2c_buf_reset(&q->line);
        return r;
}

static size_t on_body(char *buf, size_t size, size_t nmemb, void *ctx)
{
        struct reply *q = ctx;
        size_t len = size * nmemb;
        if (q->status == 0)
                curl_easy_getinfo(q->easy, CURLINFO_RESPONSE_CODE, &q->status);
        if (!q->lines || q->status < 200 || q->status > 299) {
                if (v2c_buf_append(&q->body, buf, len) < 0) {
                        q->too_big = true;
                        return 0;
                }
                return len;
        }
        q->streamed += len;
        if (q->streamed > PULL_STREAM_MAX) {
                v2c_error_set_kind(&q->stream_err, V2C_ERR_INPUT, EFBIG, "longer than %llu MiB",
                                   PULL_STREAM_MAX >> 20);
                return 0;
        }
        for (size_t off = 0; off < len;) {
                const char *nl = memchr(buf + off, '\n', len - off);
                size_t n = nl ? (size_t) (nl - (buf + off)) : len - off;
                if (v2c_buf_append(&q->line, buf + off, n) < 0) {
                        v2c_error_set_kind(&q->stream_err, V2C_ERR_INPUT, EBADMSG,
                                           "line %zu is longer than %u bytes", q->lineno + 1, PULL_LINE_MAX);
                        return 0;
                }
                if (nl && reply_flush_line(q) < 0)
                        return 0;
                off += n + (nl != NULL);
        }
        return len;
}

/* Hands the stream's parse error over to ERR, with context. */
static int stream_failure(struct reply *q, const char *method, const char *path, struct v2c_error **err)
{
        int code = q->stream_err->code;
        if (err && *err == NULL)
                *err = v2c_error_take(&q->stream_err);
        return v2c_error_prefix(err, -code, "%s %s: the progress stream", method, path);
}

/* Why connecting failed, said about the socket. */
static int socket_error(const struct v2c_engine *e, struct v2c_error **err)
{
        struct stat st;
        if (stat(e->socket_path, &st) < 0)
                return v2c_error_set(err, errno, "no engine socket at `%s` (is `podman system service` running?): %m",
                                     e->socket_path);
        if (!S_ISSOCK(st.st_mode))
                return v2c_error_set(err, ENOTSOCK, "`%s` is not a socket", e->socket_path);
        return v2c_error_set(err, ECONNREFUSED, "nothing listens on `%s` (is the engine running?)", e->socket_path);
}

/* One request.  PATH starts with '/' and is already escaped; BODY (may be
 * NULL) is sent as JSON.  Returns the HTTP status, or a negative errno for
 * a failed transfer.  Q is initialised here and must be released. */
static int request(const struct v2c_engine *e, const char *method, const char *path, const char *body,
                   long timeout_ms, bool lines, struct reply *q, struct v2c_error **err)
{
        _cleanup_(v2c_curl_easy_cleanupp) CURL *c = NULL;
        _cleanup_(v2c_curl_slist_free_allp) struct curl_slist *hdrs = NULL;
        _cleanup_free_ char *url = NULL;
        *q = (struct reply) { .lines = lines };
        v2c_buf_init(&q->body, V2C_ENGINE_REPLY_MAX);
        v2c_buf_init(&q->line, PULL_LINE_MAX);
        if (asprintf(&url, "%s%s", API_BASE, path) < 0) {
                url = NULL;
                return v2c_error_set(err, ENOMEM, "out of memory");
        }
        c = curl_easy_init();
        if (c == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        q->easy = c;
        char errbuf[CURL_ERROR_SIZE] = "";
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, e->socket_path);
        curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http");
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
        curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms < CONNECT_TIMEOUT_MS ? timeout_ms
                                                                                       : (long) CONNECT_TIMEOUT_MS);
        curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, q);
        curl_easy_setopt(c, CURLOPT_USERAGENT, "v2c/" V2C_VERSION);
        int ok = (hdrs = curl_slist_append(hdrs, "Expect:")) != NULL;
        if (strcmp(method, "POST") == 0) {
                curl_easy_setopt(c, CURLOPT_POST, 1L);
                curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "");
                curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) (body ? strlen(body) : 0));
                if (body)
                        ok &= (hdrs = curl_slist_append(hdrs, "Content-Type: application/json")) != NULL;
        } else if (strcmp(method, "GET") != 0)
                curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
        if (!ok)
                return v2c_error_set(err, ENOMEM, "out of memory");
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);

        CURLcode res = curl_easy_perform(c);
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &q->status);
        q->easy = NULL;
        if (q->too_big)
                return v2c_error_set_kind(err, V2C_ERR_INPUT, E2BIG, "%s %s: the reply is larger than %u MiB", method,
                                          path, V2C_ENGINE_REPLY_MAX >> 20);
        if (q->stream_err)
                return stream_failure(q, method, path, err);
        switch (v2c_curl_errno(res)) {
        case 0:
                break;
        case -ECONNREFUSED:
                return socket_error(e, err);
        case -ETIMEDOUT:
                return v2c_error_set(err, ETIMEDOUT, "%s %s: no complete answer within %ld ms", method, path,
                                     timeout_ms);
        default:
                return v2c_error_set(err, -v2c_curl_errno(res), "%s %s: %s", method, path,
                                     errbuf[0] ? errbuf : curl_easy_strerror(res));
        }
        /* The stream's last line may come without its newline. */
        if (lines && q->line.len && reply_flush_line(q) < 0)
                return stream_failure(q, method, path, err);
        return (int) q->status;
}

/* The engine's error reply as our error: its "message" (Docker) and its
 * "cause" (podman, which says 500 where Docker says 409).  CONFLICT is
 * the errno a 409 means for this request. */
static int api_error(const struct reply *q, int conflict, struct v2c_error **err)
{
        const char *d = q->body.data ? q->body.data : "";
        _cleanup_json_ json_t *j = json_loadb(d, q->body.len, 0, NULL);
        const char *msg = json_string_value(json_object_get(j, "message"));
        const char *cause = json_string_value(json_object_get(j, "cause"));
        _cleanup_free_ char *m = NULL;
        if (msg && *msg)
                m = clean_text(msg, SIZE_MAX, MSG_MAX);
        else if (j == NULL && q->body.len)
                m = clean_text(d, strcspn(d, "\n"), 256); /* a plain-text error */
        int code = q->status == 404   ? ENOENT
                   : q->status == 409 ? conflict
                   : q->status == 400 ? EINVAL
                   : q->status == 401 || q->status == 403 ? EACCES
                                                           : EIO;
        if (cause && code == EIO) {
                if (strstr(cause, "already in use"))
                        code = EEXIST;
                else if (strstr(cause, "state improper"))
                        code = EBUSY;
                else if (strstr(cause, "no such") || strstr(cause, "not known"))
                        code = ENOENT;
        }
        if (m && *m)
                return v2c_error_set(err, code, "%s (HTTP %ld)", m, q->status);
        return v2c_error_set(err, code, "the engine answered HTTP %ld", q->status);
}

static long req_timeout(const struct v2c_engine *e)
{
        return e->timeout_ms > 0 ? e->timeout_ms : DEFAULT_TIMEOUT_MS;
}

static int check_engine(const struct v2c_engine *e, struct v2c_error **err)
{
        if (e == NULL || e->socket_path == NULL || *e->socket_path == '\0')
                return v2c_error_set_kind(err, V2C_ERR_USAGE, EINVAL, "no engine socket given");
        return 0;
}

static int check_id(const char *id, struct v2c_error **err)
{
        if (!valid_name(id))
                return v2c_error_set_kind(err, V2C_ERR_USAGE, EINVAL,
                                          "`%s` is not a container name or id ([A-Za-z0-9][A-Za-z0-9_.-]*, at most %d)",
                                          id ? id : "", NAME_MAX_LEN);
        return 0;
}

/* ---- the API ---- */

int v2c_engine_init(struct v2c_engine *e, const char *socket_path, int timeout_ms, struct v2c_error **err)
{
        if (socket_path == NULL || *socket_path == '\0')
                return v2c_error_set_kind(err, V2C_ERR_USAGE, EINVAL, "no engine socket given");
        char *p = strdup(socket_path);
        if (p == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        *e = (struct v2c_engine) { .socket_path = p, .timeout_ms = timeout_ms };
        return 0;
}

void v2c_engine_release(struct v2c_engine *e)
{
        if (e == NULL)
                return;
        free(e->socket_path);
        *e = (struct v2c_engine) { 0 };
}

int v2c_engine_ping(const struct v2c_engine *e, struct v2c_error **err)
{
        int r = check_engine(e, err);
        if (r < 0)
                return r;
        struct reply q;
        int status = request(e, "GET", "/_ping", NULL, req_timeout(e), false, &q, err);
        if (status >= 0 && status != 200)
                status = api_error(&q, EIO, err);
        else if (status == 200 && (q.body.len < 2 || strncmp(q.body.data, "OK", 2) != 0))
                status = v2c_error_set(err, EPROTO, "the engine answered the ping with something else than OK");
        reply_release(&q);
        return status < 0 ? v2c_error_prefix(err, status, "pinging the engine") : 0;
}

int v2c_engine_parse_version(const char *data, size_t len, enum v2c_engine_kind *kind, struct v2c_error **err)
{
        _cleanup_json_ json_t *j = json_loadb(data, len, JSON_REJECT_DUPLICATES, NULL);
        if (!json_is_object(j))
                return v2c_error_set_kind(err, V2C_ERR_INPUT, EINVAL, "the engine's version is not a JSON object");
        /* Docker names its components "Engine", "containerd", "runc"... */
        size_t i;
        const json_t *c;
        enum v2c_engine_kind k = V2C_ENGINE_DOCKER;
        json_array_foreach(json_object_get(j, "Components"), i, c) {
                const char *name = json_string_value(json_object_get(c, "Name"));
                if (name && strcmp(name, "Podman Engine") == 0)
                        k = V2C_ENGINE_PODMAN;
        }
        *kind = k;
        return 0;
}

int v2c_engine_identify(const struct v2c_engine *e, enum v2c_engine_kind *kind, struct v2c_error **err)
{
        int r = check_engine(e, err);
        if (r < 0)
                return r;
        struct reply q;
        int status = request(e, "GET", "/version", NULL, req_timeout(e), false, &q, err);
        if (status >= 0 && status != 200)
                status = api_error(&q, EIO, err);
        if (status >= 0)
                status = v2c_engine_parse_version(q.body.data ? q.body.data : "", q.body.len, kind, err);
        reply_release(&q);
        return status < 0 ? v2c_error_prefix(err, status, "asking the engine what it is") : 0;
}

int v2c_engine_pull(const struct v2c_engine *e, const char *image_ref, struct v2c_error **err)
{
        _cleanup_free_ char *repo = NULL, *digest = NULL, *path = NULL, *erepo = NULL, *edigest = NULL;
        int r = check_engine(e, err);
        if (r < 0)
                return r;
        r = v2c_engine_ref_pinned(image_ref, &repo, &digest, err);
        if (r < 0)
                return v2c_error_prefix(err, r, "pulling");
        /* The digest goes in `tag`, as the docker CLI sends it: podman and
         * Docker both join fromImage and a sha256: tag with an '@'. */
        char *x = curl_easy_escape(NULL, repo, 0), *y = curl_easy_escape(NULL, digest, 0);
        erepo = x ? strdup(x) : NULL;
        edigest = y ? strdup(y) : NULL;
        curl_free(x);
        curl_free(y);
        if (erepo == NULL || edigest == NULL ||
            asprintf(&path, "/images/create?fromImage=%s&tag=%s", erepo, edigest) < 0)
                return v2c_error_set(err, ENOMEM, "out of memory");
        struct reply q;
        long timeout = e->pull_timeout_ms > 0 ? e->pull_timeout_ms : DEFAULT_PULL_TIMEOUT_MS;
        int status = request(e, "POST", path, NULL, timeout, true, &q, err);
        if (status >= 0 && status != 200)
                status = api_error(&q, EIO, err);
        else if (status == 200 && q.stream_error)
                status = v2c_error_set(err, EIO, "%s", q.stream_error);
        reply_release(&q);
        if (status < 0)
                return v2c_error_prefix(err, status, "pulling `%s`", image_ref);

        /* The stream said nothing wrong; the store must say the same (a
         * stream cut between lines looks like a successful one). */
        free(path);
        if (asprintf(&path, "/images/%s/json", image_ref) < 0) {
                path = NULL;
                return v2c_error_set(err, ENOMEM, "out of memory");
        }
        status = request(e, "GET", path, NULL, req_timeout(e), false, &q, err);
        if (status == 404)
                status = v2c_error_set(err, ENOENT, "the pull reported no error, but the engine does not have it");
        else if (status >= 0 && status != 200)
                status = api_error(&q, EIO, err);
        reply_release(&q);
        return status < 0 ? v2c_error_prefix(err, status, "pulling `%s`", image_ref) : 0;
}

/* Appends "PORT/tcp" -> [{"HostIp":"127.0.0.1","HostPort":"HP"}] to
 * BINDINGS and the port to EXPOSED. */
static int add_port(json_t *exposed, json_t *bindings, const struct v2c_engine_port *p)
{
        char key[16], hp[8];
        snprintf(key, sizeof key, "%u/tcp", p->container_port);
        snprintf(hp, sizeof hp, "%u", p->host_port);
        if (json_object_set_new(exposed, key, json_object()) < 0)
                return -ENOMEM;
        json_t *list = json_object_get(bindings, key);
        if (list == NULL) {
                if (json_object_set_new(bindings, key, json_array()) < 0)
                        return -ENOMEM;
                list = json_object_get(bindings, key);
        }
        json_t *b = json_pack("{s:s, s:s}", "HostIp", "127.0.0.1", "HostPort", hp);
        return b && json_array_append_new(list, b) == 0 ? 0 : -ENOMEM;
}

/* A vector of strings as a JSON array; each must pass OK (may be NULL). */
static int strv_json(char *const *v, bool (*ok)(const char *), const char *what, json_t **out,
                     struct v2c_error **err)
{
        _cleanup_json_ json_t *a = json_array();
        if (a == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        for (size_t i = 0; v && v[i]; i++) {
                if (ok && !ok(v[i]))
                        return v2c_error_set_kind(err, V2C_ERR_USAGE, EINVAL, "%s `%s`: not valid", what, v[i]);
                json_t *s = json_string(v[i]);
                if (s == NULL)
                        return v2c_error_set_kind(err, V2C_ERR_USAGE, EINVAL, "%s %zu is not UTF-8", what, i + 1);
                if (json_array_append_new(a, s) < 0)
                        return v2c_error_set(err, ENOMEM, "out of memory");
        }
        *out = TAKE_PTR(a);
        return 0;
}

static bool valid_env(const char *s)
{
        const char *eq = strchr(s, '=');
        return eq && eq != s;
}

/* Absolute on both sides: Docker reads a relative source as a volume name. */
static bool valid_bind(const char *s)
{
        const char *colon = strchr(s, ':');
        return s[0] == '/' && colon && colon[1] == '/';
}

/* Whether the hardened spec H mounts a tmpfs, which someone must own. */
static bool has_tmpfs(const struct v2c_hardening *h)
{
        return h && v2c_hardening_known(h) && h->read_only_root && h->nwritable > 0;
}

/* The hardened spec into BODY (Config) and HOST (HostConfig), for an
 * engine of KIND. */
static int harden_body(const struct v2c_hardening *h, enum v2c_engine_kind kind, json_t *body, json_t *host)
{
        if (h == NULL || !v2c_hardening_known(h))
                return 0;
        /* Who it runs as: DynamicUser='s uid, else the numbers convert
         * read in the guest's passwd and group for the image's User (the
         * same user, not looked up again in the container), else the
         * image's User as it is. */
        char user[32] = "", owner[48] = "";
        if (h->dynamic_uid)
                snprintf(user, sizeof user, "%u", h->dynamic_uid);
        else if (h->run_as_known)
                snprintf(user, sizeof user, "%u:%u", h->run_as_uid, h->run_as_gid);
        /* ... who owns the tmpfs over each writable path, as --verify's
         * `--tmpfs=PATH:...,U`: a tmpfs is root's, and over a directory
         * of the image runc gives it that directory's mode (0755: only
         * root may write).  Numbers only (%u): the label is untrusted,
         * and text here would be mount options of its own. */
        if (kind == V2C_ENGINE_PODMAN)
                snprintf(owner, sizeof owner, ",U");
        else if (h->dynamic_uid)
                snprintf(owner, sizeof owner, ",uid=%u", h->dynamic_uid);
        else if (h->run_as_known)
                snprintf(owner, sizeof owner, ",uid=%u,gid=%u", h->run_as_uid, h->run_as_gid);
        int r = 0;
        if (h->read_only_root) {
                char opts[96];
                snprintf(opts, sizeof opts, "rw,nosuid,nodev,exec,mode=0777%s", owner);
                json_t *tmpfs = json_object();
                r |= json_object_set_new(host, "ReadonlyRootfs", json_true());
                for (size_t i = 0; tmpfs && i < h->nwritable; i++)
                        r |= json_object_set_new(tmpfs, h->writable[i].what, json_string(opts));
                r |= json_object_set_new(host, "Tmpfs", tmpfs);
        }
        json_t *add = json_array();
        for (size_t i = 0; add && i < h->ncapabilities; i++)
                r |= json_array_append_new(add, json_string(h->capabilities[i].what));
        r |= json_object_set_new(host, "CapDrop", json_pack("[s]", "ALL"));
        r |= json_object_set_new(host, "CapAdd", add);
        if (!h->allow_privilege_escalation)
                r |= json_object_set_new(host, "SecurityOpt", json_pack("[s]", "no-new-privileges"));
        if (h->memory_max)
                r |= json_object_set_new(host, "Memory", json_integer((json_int_t) h->memory_max));
        if (h->cpu_millis)
                r |= json_object_set_new(host, "NanoCpus", json_integer((json_int_t) h->cpu_millis * 1000000));
        if (user[0])
                r |= json_object_set_new(body, "User", json_string(user));
        return r ? -ENOMEM : 0;
}

static int create_body(const struct v2c_engine_container_spec *spec, enum v2c_engine_kind kind, char **out,
                       struct v2c_error **err)
{
        _cleanup_json_ json_t *env = NULL, *cmd = NULL, *binds = NULL;
        int r = strv_json(spec->env, valid_env, "environment entry", &env, err);
        if (r >= 0 && spec->cmd)
                r = strv_json(spec->cmd, NULL, "command word", &cmd, err);
        if (r >= 0)
                r = strv_json(spec->binds, valid_bind, "bind (want /HOST:/CONTAINER[:OPTIONS])", &binds, err);
        if (r < 0)
                return r;
        if (spec->cmd && json_array_size(cmd) == 0)
                return v2c_error_set_kind(err, V2C_ERR_USAGE, EINVAL, "an empty command (NULL means the image's)");
        _cleanup_json_ json_t *exposed = json_object(), *bindings = json_object();
        if (exposed == NULL || bindings == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        for (size_t i = 0; i < spec->n_ports; i++) {
                const struct v2c_engine_port *p = &spec->ports[i];
                if (p->container_port < 1 || p->container_port > 65535 || p->host_port < 1 || p->host_port > 65535)
                        return v2c_error_set_kind(err, V2C_ERR_USAGE, EINVAL, "port %u:%u: both must be 1..65535",
                                                  p->host_port, p->container_port);
                if (add_port(exposed, bindings, p) < 0)
                        return v2c_error_set(err, ENOMEM, "out of memory");
        }
        json_t *image = json_string(spec->image);
        if (image == NULL)
                return v2c_error_set_kind(err, V2C_ERR_USAGE, EINVAL, "the image name is not UTF-8");
        /* json_pack's "o" steals: hand over new references. */
        _cleanup_json_ json_t *body = json_pack(
                "{s:o, s:O, s:O, s:{s:O, s:O}}", "Image", image, "Env", env, "ExposedPorts", exposed, "HostConfig",
                "PortBindings", bindings, "Binds", binds);
        if (body == NULL || (cmd && json_object_set(body, "Cmd", cmd) < 0) ||
            harden_body(spec->harden, kind, body, json_object_get(body, "HostConfig")) < 0)
                return v2c_error_set(err, ENOMEM, "out of memory");
        char *s = json_dumps(body, JSON_COMPACT);
        if (s == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        *out = s;
        return 0;
}

int v2c_engine_create(const struct v2c_engine *e, const struct v2c_engine_container_spec *spec, char **id,
                      struct v2c_error **err)
{
        _cleanup_free_ char *body = NULL, *path = NULL, *new_id = NULL;
        int r = check_engine(e, err);
        if (r < 0)
                return r;
        if (spec == NULL)
                return v2c_error_set_kind(err, V2C_ERR_USAGE, EINVAL, "creating a container: no description");
        if (!valid_name(spec->name))
                return v2c_error_set_kind(err, V2C_ERR_USAGE, EINVAL,
                                          "container name `%s`: want [A-Za-z0-9][A-Za-z0-9_.-]*, at most %d bytes",
                                          spec->name ? spec->name : "", NAME_MAX_LEN);
        if (spec->image == NULL || *spec->image == '\0' || strlen(spec->image) > REF_MAX_LEN)
                return v2c_error_set_kind(err, V2C_ERR_USAGE, EINVAL, "creating `%s`: no image, or a name too long",
                                          spec->name);
        enum v2c_engine_kind kind = V2C_ENGINE_DOCKER;
        if (has_tmpfs(spec->harden))
                r = v2c_engine_identify(e, &kind, err);
        if (r >= 0)
                r = create_body(spec, kind, &body, err);
        if (r < 0)
                return v2c_error_prefix(err, r, "creating `%s`", spec->name);
        if (asprintf(&path, "/containers/create?name=%s", spec->name) < 0) {
                path = NULL;
                return v2c_error_set(err, ENOMEM, "out of memory");
        }
        struct reply q;
        int status = request(e, "POST", path, body, req_timeout(e), false, &q, err);
        if (status >= 0 && status != 201 && status != 200)
                status = api_error(&q, EEXIST, err);
        else if (status >= 0) {
                _cleanup_json_ json_t *j = json_loadb(q.body.data ? q.body.data : "", q.body.len, 0, NULL);
                const char *got = json_string_value(json_object_get(j, "Id"));
                if (!valid_name(got))
                        status = v2c_error_set(err, EPROTO, "the engine's reply names no valid container id");
                else if ((new_id = strdup(got)) == NULL)
                        status = v2c_error_set(err, ENOMEM, "out of memory");
        }
        reply_release(&q);
        if (status < 0)
                return v2c_error_prefix(err, status, "creating `%s`", spec->name);
        *id = TAKE_PTR(new_id);
        return 0;
}

/* POST /containers/ID/VERB[QUERY]: 204, or 304 when it already was so. */
static int container_post(const struct v2c_engine *e, const char *id, const char *verb, const char *query,
                          long timeout_ms, struct v2c_error **err)
{
        _cleanup_free_ char *path = NULL;
        if (asprintf(&path, "/containers/%s/%s%s", id, verb, query) < 0) {
                path = NULL;
                return v2c_error_set(err, ENOMEM, "out of memory");
        }
        struct reply q;
        int status = request(e, "POST", path, NULL, timeout_ms, false, &q, err);
        if (status >= 0 && status != 204 && status != 304 && status != 200)
                status = api_error(&q, EBUSY, err);
        reply_release(&q);
        return status < 0 ? status : 0;
}

int v2c_engine_start(const struct v2c_engine *e, const char *id, struct v2c_error **err)
{
        int r = check_engine(e, err);
        if (r >= 0)
                r = check_id(id, err);
        if (r >= 0)
                r = container_post(e, id, "start", "", req_timeout(e), err);
        return r < 0 ? v2c_error_prefix(err, r, "starting `%s`", id ? id : "") : 0;
}

int v2c_engine_stop(const struct v2c_engine *e, const char *id, int timeout_s, struct v2c_error **err)
{
        int r = check_engine(e, err);
        if (r >= 0)
                r = check_id(id, err);
        if (r >= 0 && (timeout_s < 0 || timeout_s > 3600))
                r = v2c_error_set_kind(err, V2C_ERR_USAGE, EINVAL, "stop timeout %d s: want 0..3600", timeout_s);
        if (r >= 0) {
                char query[32];
                snprintf(query, sizeof query, "?t=%d", timeout_s);
                r = container_post(e, id, "stop", query, req_timeout(e) + 1000L * timeout_s, err);
        }
        return r < 0 ? v2c_error_prefix(err, r, "stopping `%s`", id ? id : "") : 0;
}

int v2c_engine_remove(const struct v2c_engine *e, const char *id, bool force, struct v2c_error **err)
{
        _cleanup_free_ char *path = NULL;
        int r = check_engine(e, err);
        if (r >= 0)
                r = check_id(id, err);
        if (r < 0)
                return v2c_error_prefix(err, r, "removing `%s`", id ? id : "");
        if (asprintf(&path, "/containers/%s?force=%s&v=true", id, force ? "true" : "false") < 0) {
                path = NULL;
                return v2c_error_set(err, ENOMEM, "out of memory");
        }
        struct reply q;
        /* A forced removal stops the container first: give it the time a
         * stop gets (podman's default, 10 s) on top. */
        int status = request(e, "DELETE", path, NULL, req_timeout(e) + (force ? 10000 : 0), false, &q, err);
        if (status >= 0 && status != 204 && status != 200)
                status = api_error(&q, EBUSY, err);
        reply_release(&q);
        return status < 0 ? v2c_error_prefix(err, status, "removing `%s`", id) : 0;
}

int v2c_engine_inspect(const struct v2c_engine *e, const char *id, struct v2c_engine_state *st,
                       struct v2c_error **err)
{
        _cleanup_free_ char *path = NULL;
        int r = check_engine(e, err);
        if (r >= 0)
                r = check_id(id, err);
        if (r < 0)
                return v2c_error_prefix(err, r, "inspecting `%s`", id ? id : "");
        if (asprintf(&path, "/containers/%s/json", id) < 0) {
                path = NULL;
                return v2c_error_set(err, ENOMEM, "out of memory");
        }
        struct reply q;
        int status = request(e, "GET", path, NULL, req_timeout(e), false, &q, err);
        if (status >= 0 && status != 200)
                status = api_error(&q, EIO, err);
        else if (status >= 0)
                status = v2c_engine_parse_state(q.body.data ? q.body.data : "", q.body.len, st, err);
        reply_release(&q);
        return status < 0 ? v2c_error_prefix(err, status, "inspecting `%s`", id) : 0;
}

int v2c_engine_logs_tail(const struct v2c_engine *e, const char *id, int lines, char **out,
                         struct v2c_error **err)
{
        _cleanup_free_ char *path = NULL, *text = NULL;
        int r = check_engine(e, err);
        if (r >= 0)
                r = check_id(id, err);
        if (r >= 0 && (lines < 1 || lines > V2C_ENGINE_LOG_LINES_MAX))
                r = v2c_error_set_kind(err, V2C_ERR_USAGE, EINVAL, "%d log lines: want 1..%d", lines,
                                       V2C_ENGINE_LOG_LINES_MAX);
        if (r < 0)
                return v2c_error_prefix(err, r, "reading the log of `%s`", id ? id : "");
        /* Only the container knows whether its log is framed: with a
         * terminal it is one raw stream. */
        struct v2c_engine_state st = { 0 };
        r = v2c_engine_inspect(e, id, &st, err);
        if (r < 0)
                return v2c_error_prefix(err, r, "reading the log of `%s`", id);
        bool tty = st.tty;
        v2c_engine_state_release(&st);
        if (asprintf(&path, "/containers/%s/logs?stdout=1&stderr=1&tail=%d", id, lines) < 0) {
                path = NULL;
                return v2c_error_set(err, ENOMEM, "out of memory");
        }
        struct reply q;
        int status = request(e, "GET", path, NULL, req_timeout(e), false, &q, err);
        size_t len = 0;
        if (status >= 0 && status != 200)
                status = api_error(&q, EIO, err);
        else if (status >= 0 && tty) {
                len = q.body.len;
                text = v2c_buf_steal(&q.body);
                if (text == NULL)
                        status = v2c_error_set(err, ENOMEM, "out of memory");
        } else if (status >= 0)
                status = v2c_engine_demux_logs(q.body.data ? q.body.data : "", q.body.len, &text, &len, err);
        reply_release(&q);
        if (status < 0)
                return v2c_error_prefix(err, status, "reading the log of `%s`", id);
        size_t w = 0;
        for (size_t i = 0; i < len; i++)
                if (text[i] != '\0')
                        text[w++] = text[i];
        text[w] = '\0';
        *out = TAKE_PTR(text);
        return 0;
}

/* ---- image labels ---- */

int v2c_engine_parse_image_label(const char *data, size_t len, const char *key, char **value, struct v2c_error **err)
{
        json_error_t je;
        _cleanup_json_ json_t *j = json_loadb(data, len, JSON_REJECT_DUPLICATES, &je);
        if (j == NULL || !json_is_object(j))
                return v2c_error_set_kind(err, V2C_ERR_INPUT, EINVAL, "the engine's image description is not a JSON object");
        /* Docker and podman's compat API: Config.Labels (null when none). */
        const json_t *labels = json_object_get(json_object_get(j, "Config"), "Labels");
        const json_t *v = json_is_object(labels) ? json_object_get(labels, key) : NULL;
        if (v != NULL && !json_is_string(v))
                return v2c_error_set_kind(err, V2C_ERR_INPUT, EINVAL, "label `%s` of the image is not a string", key);
        char *s = v ? strdup(json_string_value(v)) : NULL;
        if (v && s == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        *value = s;
        return 0;
}

int v2c_engine_image_label(const struct v2c_engine *e, const char *image_ref, const char *key, char **value,
                           struct v2c_error **err)
{
        int r = check_engine(e, err);
        if (r < 0)
                return r;
        _cleanup_free_ char *path = NULL;
        if (asprintf(&path, "/images/%s/json", image_ref) < 0)
                return v2c_error_set(err, ENOMEM, "out of memory");
        struct reply q;
        int status = request(e, "GET", path, NULL, req_timeout(e), false, &q, err);
        if (status >= 0 && status != 200)
                status = api_error(&q, EIO, err);
        if (status >= 0)
                status = v2c_engine_parse_image_label(q.body.data ? q.body.data : "", q.body.len, key, value, err);
        reply_release(&q);
        return status < 0 ? v2c_error_prefix(err, status, "reading the labels of `%s`", image_ref) : 0;
}
