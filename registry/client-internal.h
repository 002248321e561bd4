/* The HTTP side of registry/: one connection description and requests
 * over libcurl (client.c), shared by push.c and pull.c.  Not part of the
 * API. */
#ifndef V2C_REGISTRY_CLIENT_INTERNAL_H
#define V2C_REGISTRY_CLIENT_INTERNAL_H

#include <curl/curl.h>
#include <stdbool.h>
#include <stdint.h>

#include "buf.h"
#include "registry-internal.h"
#include "sha256.h"

struct reg_conn {
        const struct v2c_registry_options *opt;
        char *base;             /* "https://host:port" */
        char *host, *repo;
        char *user, *pass;      /* credentials; never logged */
        char *auth;             /* the Authorization header's value, or NULL */
        bool basic;
        bool loopback;
        bool pull_only;         /* token scope: pull */
        char **extra_scopes;    /* e.g. "repository:OTHER:pull" for mounts */
        unsigned token_fetches;
};

int reg_conn_init(struct reg_conn *c, const struct v2c_ref *ref, const struct v2c_registry_options *opt,
                  struct v2c_error **err);
void reg_conn_release(struct reg_conn *c);
int reg_conn_add_scope(struct reg_conn *c, const char *scope);
/* c->base + the formatted tail; new or NULL. */
char *reg_url(const struct reg_conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* GET /v2/: reachability and authentication up front. */
int reg_ping(struct reg_conn *c, struct v2c_error **err);
/* Answers a 401 whose WWW-Authenticate is WWW_AUTH (Basic or a token). */
int reg_authenticate(struct reg_conn *c, const char *www_auth, struct v2c_error **err);

struct reg_req {
        CURL *easy;
        struct curl_slist *hdrs;
        char *method, *url;
        char *hop_url;                  /* where a redirect took the request (NULL: url) */
        unsigned hops;                  /* redirects followed so far */
        bool follow;                    /* GET: follow redirects (reg_send), never with credentials */
        char *auth_once;                /* an Authorization for the first hop only (a token
                                         * request's Basic); owned, wiped */
        bool no_conn_auth;              /* never c->auth (token requests) */
        /* what we send */
        char *accept, *content_type_out, *content_range;
        const char *body_mem;           /* a body in memory (borrowed), or */
        int body_fd;                    /* a range of a file (borrowed fd) */
        uint64_t body_off, body_len, body_sent;
        bool no_retry;
        /* what came back */
        long status, status_seen;
        CURLcode cres;
        char *location, *content_digest, *www_auth, *range, *chunk_min, *retry_after, *content_type;
        struct v2c_buf reply;           /* small replies (errors, manifests, tokens); a 2xx
                                         * body over its maximum fails the request */
        bool reply_over;
        int sink_fd;                    /* 2xx bodies go here instead, when >= 0 */
        struct v2c_sha256 *sink_hash;   /* ... and are hashed */
        uint64_t sink_limit;            /* ... up to this many bytes (the declared size, 0
                                         * included); one more fails the request */
        uint64_t sink_written;
        void (*sink_progress)(void *ctx, uint64_t written);   /* after each write to sink_fd, or NULL */
        void *sink_progress_ctx;
        bool sink_over;
        int sink_errno;
        uint64_t received;
        bool cancel;
        char errbuf[CURL_ERROR_SIZE];
        void *owner;                    /* the job a multi transfer belongs to */
};

int reg_req_init(struct reg_req *q, const char *method, const char *url);
/* The URL Q went to last (after redirects); borrowed. */
const char *reg_req_where(const struct reg_req *q);
void reg_req_release(struct reg_req *q);
void reg_req_reset_reply(struct reg_req *q);
/* Builds the easy handle for one attempt (headers, body, TLS, auth). */
int reg_req_prepare(struct reg_conn *c, struct reg_req *q, struct v2c_error **err);
/* The status after a transfer, or a negative errno (ERR set) when the
 * connection broke. */
int reg_req_finish(struct reg_req *q, CURLcode res, struct v2c_error **err);
/* One request, blocking, following up to 5 redirects when Q->follow
 * (each hop gets the registry's Authorization only when it goes to the
 * registry's own scheme, host and port).  The final HTTP status or a
 * negative errno. */
int reg_send(struct reg_conn *c, struct reg_req *q, struct v2c_error **err);
/* reg_send with authentication and retries.  Returns the final HTTP
 * status or a negative errno. */
int reg_perform(struct reg_conn *c, struct reg_req *q, struct v2c_error **err);
/* Whether Q's reply came from the registry the user named (its scheme,
 * host and port): only such a 401 may lead to credentials being sent. */
bool reg_from_registry(const struct reg_conn *c, const struct reg_req *q);
/* The error for a 401 that came from elsewhere (after a redirect, or from
 * an upload location on another host): credentials are not sent. */
int reg_foreign_401(const struct reg_conn *c, const struct reg_req *q, struct v2c_error **err);
/* "HOST[:PORT]" of URL (new), or NULL. */
char *reg_url_host(const char *url);
/* The most one request may take: --timeout, else 60 s plus 1 s per 16 KiB
 * it moves (EXPECTED bytes), so a reply sent a byte at a time cannot keep
 * v2c waiting forever while a large blob on a slow link still fits. */
long reg_deadline_ms(const struct v2c_registry_options *opt, uint64_t expected);

bool reg_status_retriable(long status);
bool reg_error_retriable(int r);
long reg_backoff_ms(const struct reg_req *q, int attempt);
void reg_sleep_ms(long ms);
/* The registry's error document as one line (new). */
char *reg_reply_error(const struct reg_req *q);

#endif
