/* libcurl's errors as ours: a failed transfer's CURLcode as a negative
 * errno (STYLE.md: one small adapter per library), and cleanup helpers for
 * curl's handles.
 *
 * Header only, on purpose: common/ itself does not link libcurl.  inspect/
 * and convert/ never talk HTTP, and every tool and fuzzer that links
 * common/ would otherwise load libcurl and its TLS stack.  The two modules
 * that do talk HTTP, registry/ and rollout/, include this header and link
 * libcurl themselves; both sit above common/, so neither has to reach
 * into the other (rollout/ does not depend on registry/). */
#ifndef V2C_CURL_ERRNO_H
#define V2C_CURL_ERRNO_H

#include <curl/curl.h>
#include <errno.h>

/* -ETIMEDOUT for a transfer over its time, -ECONNREFUSED when nothing
 * listens, -EHOSTUNREACH for a name that does not resolve, -EPROTO for a
 * TLS handshake or certificate that fails, -ECONNRESET for any other
 * broken transfer (what retries treat as transient); 0 for CURLE_OK. */
static inline int v2c_curl_errno(CURLcode res)
{
        switch (res) {
        case CURLE_OK:
                return 0;
        case CURLE_OPERATION_TIMEDOUT:
                return -ETIMEDOUT;
        case CURLE_COULDNT_CONNECT:
                return -ECONNREFUSED;
        case CURLE_COULDNT_RESOLVE_HOST:
                return -EHOSTUNREACH;
        case CURLE_PEER_FAILED_VERIFICATION:
        case CURLE_SSL_CONNECT_ERROR:
        case CURLE_SSL_CACERT_BADFILE:
                return -EPROTO;
        default:
                return -ECONNRESET;
        }
}

static inline void v2c_curl_easy_cleanupp(CURL **c)
{
        if (*c)
                curl_easy_cleanup(*c);
}
static inline void v2c_curl_slist_free_allp(struct curl_slist **l)
{
        if (*l)
                curl_slist_free_all(*l);
}

#endif
