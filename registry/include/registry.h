/* Pushing images to OCI registries and pulling them, by digest
 * (distribution-spec v1.1): references, authentication (anonymous, Basic,
 * Bearer tokens; credentials from auth.json/config.json or given), TLS
 * verified by default, blobs in parallel on one curl multi handle with
 * retries, chunked uploads resumed where the registry says, the manifest
 * last and only once every blob is confirmed, tags after digests. */
#ifndef V2C_REGISTRY_H
#define V2C_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "ref.h"   /* struct v2c_ref, v2c_ref_parse: references live in common/ */

struct v2c_registry_options {
        const char *creds;          /* "USER:PASSWORD" (--creds); NULL: look in auth files */
        const char *auth_file;      /* one auth.json/config.json instead of the usual search */
        const char *ca_file;        /* CA bundle for TLS (default: the system's) */
        bool tls_no_verify;         /* do not check certificates (never by default) */
        bool plain_http;            /* http:// instead of https:// */
        bool plain_http_loopback;   /* http:// for 127.0.0.0/8, localhost and ::1 */
        uint64_t chunk_size;        /* blobs above it go up in PATCH chunks of it; 0: 32 MiB */
        int parallel;               /* blobs in flight; 0: 4 */
        int retries;                /* per request on 408/429/5xx/broken connections; 0: 5 */
        uint64_t max_image_size;    /* pull: the most bytes an image's blobs may declare; 0: 16 GiB */
        long timeout;               /* seconds one request may take; 0: by its size (reg_deadline_ms) */
};

/* What happened to one blob of a push. */
enum v2c_push_action {
        V2C_PUSH_SKIPPED,           /* the registry had it in the repository */
        V2C_PUSH_MOUNTED,           /* mounted from another repository of the registry */
        V2C_PUSH_UPLOADED,
};
struct v2c_push_blob {
        char digest[7 + 64 + 1];
        char *media_type;           /* new */
        uint64_t size;
        enum v2c_push_action action;
        char *mounted_from;         /* the repository it was mounted from (new), or NULL */
        uint64_t bytes_sent;        /* its bytes put on the wire, retries included */
};
struct v2c_push_result {
        char *pinned;               /* "HOST/REPO@sha256:..." (new) */
        char manifest_digest[7 + 64 + 1];
        char *manifest_media_type;  /* new */
        uint64_t manifest_size;
        bool manifest_put;          /* false: the registry had it under its digest */
        unsigned blobs, uploaded, mounted, skipped;
        struct v2c_push_blob *blob; /* blobs of them, config first, then the layers in order (a digest once) */
        uint64_t bytes_sent;        /* blob bytes put on the wire */
        unsigned token_fetches;
};
void v2c_push_result_release(struct v2c_push_result *r);

/* Pushes the image NAME of the OCI layout LAYOUT (NAME may be NULL when
 * the layout holds one image) to DEST ("HOST/REPO" or "HOST/REPO:TAG"; a
 * digest in DEST must match the image's).  Blobs first (HEAD, mount from
 * MOUNT_FROM repositories of the same registry, upload), then the manifest
 * by digest, then the tag.  *res gets what happened. */
int v2c_push(const char *layout, const char *name, const char *dest, char *const *mount_from,
             const struct v2c_registry_options *opt, struct v2c_push_result *res, struct v2c_error **err);

/* One blob of a pull: the config, then each layer in the manifest's order. */
struct v2c_pull_blob {
        char digest[7 + 64 + 1];
        char *media_type;           /* new */
        uint64_t size;
        bool fetched;               /* false: the manifest named it before, one copy came */
};
struct v2c_pull_result {
        char *pinned;               /* "HOST/REPO@sha256:..." of the image manifest (new) */
        char *name;                 /* its name in the layout's index.json (new) */
        char manifest_digest[7 + 64 + 1];
        char *manifest_media_type;  /* new */
        uint64_t manifest_size;
        char *index_digest;         /* the index or manifest list resolved for the platform (new), or NULL */
        unsigned blobs, fetched;
        struct v2c_pull_blob *blob; /* blobs of them */
        uint64_t bytes;
};
void v2c_pull_result_release(struct v2c_pull_result *r);

/* Pulls SRC (HOST/REPO:TAG or @DIGEST) into a new OCI layout at LAYOUT,
 * the image named NAME in its index (NULL: the repository's last
 * component).  An index / manifest list is resolved for PLATFORM ("os/arch
 * [/variant]", NULL: linux/amd64).  Every blob is checked against its
 * digest while it streams; the layout appears only when complete. */
int v2c_pull(const char *src, const char *layout, const char *name, const char *platform,
             const struct v2c_registry_options *opt, struct v2c_pull_result *res, struct v2c_error **err);

#endif
