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
        struct v2c_buf reply;           /* small replies (errors, manifests, tokens) */
        int sink_fd;                    /* 2xx bodies go here instead, when >= 0 */
        struct v2c_sha256 *sink_hash;   /* ... and are hashed */
        uint64_t sink_limit;            /* 0: none */
        int sink_errno;
        uint64_t received;
        bool cancel;
        char errbuf[CURL_ERROR_SIZE];
        void *owner;                    /* the job a multi transfer belongs to */
};

int reg_req_init(struct reg_req *q, const char *method, const char *url);
void reg_req_release(struct reg_req *q);
void reg_req_reset_reply(struct reg_req *q);
/* Builds the easy handle for one attempt (headers, body, TLS, auth). */
int reg_req_prepare(struct reg_conn *c, struct reg_req *q, struct v2c_error **err);
/* The status after a transfer, or a negative errno (ERR set) when the
 * connection broke. */
int reg_req_finish(struct reg_req *q, CURLcode res, struct v2c_error **err);
/* One request with authentication and retries, blocking.  Returns the
 * final HTTP status or a negative errno. */
int reg_perform(struct reg_conn *c, struct reg_req *q, struct v2c_error **err);

bool reg_status_retriable(long status);
bool reg_error_retriable(int r);
long reg_backoff_ms(const struct reg_req *q, int attempt);
void reg_sleep_ms(long ms);
/* The registry's error document as one line (new). */
char *reg_reply_error(const struct reg_req *q);

#endif
