/* What the parts of registry/ share; not part of the API.
 *
 * The pure parsers of what registries and users hand us (references,
 * WWW-Authenticate challenges, Location headers, credential files, token
 * replies, manifests and indexes) live in ref.c, auth.c and manifest.c;
 * everything that talks to the network lives in client.c, push.c and
 * pull.c.  Every parser here takes bounded, untrusted bytes and has a
 * libFuzzer target in tests/fuzz/. */
#ifndef V2C_REGISTRY_INTERNAL_H
#define V2C_REGISTRY_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "registry.h"

/* ---- WWW-Authenticate (auth.c) ---- */

struct v2c_challenge {
        char *scheme;    /* "basic" or "bearer", lowercased */
        char *realm;     /* may be NULL */
        char *service;   /* may be NULL */
        char *scope;     /* may be NULL */
        char *error;     /* bearer error="insufficient_scope" etc.; may be NULL */
};

/* Parses one WWW-Authenticate header value (RFC 7235: schemes with
 * auth-params, quoted strings with backslash escapes, several challenges
 * separated by commas) and keeps the first Bearer challenge, else the
 * first Basic one.  -EINVAL (ERR set) when there is neither.  *out is
 * filled (release with v2c_challenge_release) only on success.  Values
 * longer than 4096 bytes or headers over 16 KiB are refused (-E2BIG). */
int v2c_challenge_parse(const char *value, size_t len, struct v2c_challenge *out, struct v2c_error **err);
void v2c_challenge_release(struct v2c_challenge *c);

/* Resolves LOCATION (a Location header: absolute URL, "//host/path",
 * "/path?query", "path", "?query") against BASE (the absolute URL of the
 * request that got it), RFC 3986 section 5.  *out is a new absolute URL.
 * The fragment is dropped (the client appends "&digest=" to upload
 * locations).  -EINVAL for a base that is not absolute http(s), a
 * location with spaces, control characters or non-ASCII bytes, a scheme
 * other than http/https or no valid host, either longer than 16 KiB.
 * Errors never quote a URL: upload locations can be pre-signed. */
int v2c_url_resolve(const char *base, const char *location, char **out, struct v2c_error **err);

/* Credentials for HOST from a containers auth.json or a Docker
 * config.json document (DATA, LEN): "auths": {KEY: {"auth": base64
 * "user:password"}} or {"username","password"}, KEY being "host",
 * "host/...", "https://host", "http://host" or "https://host/v1/"
 * (whole-registry keys first; docker.io, index.docker.io and
 * registry-1.docker.io are one registry).  Entries left empty for a
 * credential helper count as not found.  Documents over 1 MiB: -E2BIG.
 * Returns 1 and sets *user and *pass (new) when found, 0 when not, or a
 * negative errno (malformed document, bad base64: ERR says so without
 * quoting any secret). */
int v2c_creds_parse(const char *data, size_t len, const char *host, char **user, char **pass,
                    struct v2c_error **err);
/* Looks HOST up in the files people already have, in order:
 * $REGISTRY_AUTH_FILE, $XDG_RUNTIME_DIR/containers/auth.json,
 * /run/containers/<uid>/auth.json, $HOME/.config/containers/auth.json,
 * $HOME/.docker/config.json (or AUTH_FILE alone when it is not NULL).
 * Same returns as v2c_creds_parse, the error naming the file; missing or
 * unreadable files among the defaults are skipped, but an AUTH_FILE the
 * user named must be readable. */
int v2c_creds_lookup(const char *host, const char *auth_file, char **user, char **pass, struct v2c_error **err);

/* A token endpoint's JSON reply: "token" or else "access_token" (new;
 * visible ASCII only, as it goes into a header), and "expires_in" seconds
 * (60 when absent or not positive, at most a day). */
int v2c_token_parse(const char *data, size_t len, char **token, long *expires_in, struct v2c_error **err);

/* ---- manifests and indexes (manifest.c) ---- */

#define V2C_MEDIA_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define V2C_MEDIA_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define V2C_MEDIA_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define V2C_MEDIA_OCI_INDEX "application/vnd.oci.image.index.v1+json"

struct v2c_mdesc {
        char *media_type;
        char *digest;      /* "sha256:" + 64 lowercase hex, checked */
        uint64_t size;
        char *os, *architecture, *variant;   /* index entries' platform; NULL otherwise */
};

enum v2c_manifest_kind { V2C_MANIFEST_IMAGE, V2C_MANIFEST_INDEX };

struct v2c_manifest {
        enum v2c_manifest_kind kind;
        char *media_type;            /* from the document, else from the Content-Type */
        struct v2c_mdesc config;     /* images */
        struct v2c_mdesc *layers;    /* images */
        size_t n_layers;
        struct v2c_mdesc *manifests; /* indexes */
        size_t n_manifests;
};

/* Parses an OCI or Docker schema 2 image manifest or index / manifest
 * list.  CONTENT_TYPE (may be NULL) is the reply's media type, used when
 * the document has no mediaType (and by its shape, as OCI, when neither
 * says; a known Content-Type that contradicts mediaType is -EINVAL).
 * Documents over 4 MiB: -E2BIG.  Schema 1 and unknown types: -ENOTSUP.
 * Digests must be sha256 with 64 lowercase hex digits; sizes must fit in
 * 2^53; at most 4096 layers or manifests.  *out is new (free with
 * v2c_manifest_free). */
int v2c_manifest_parse(const char *data, size_t len, const char *content_type, struct v2c_manifest **out,
                       struct v2c_error **err);
struct v2c_manifest *v2c_manifest_free(struct v2c_manifest *m);
/* The first entry of an index for OS/ARCH[/VARIANT] (e.g. "linux/amd64",
 * "linux/arm64/v8"); NULL when none.  Borrowed.  x86_64 and aarch64 are
 * read as amd64 and arm64, and a missing variant as the architecture's
 * default (arm64: v8, arm: v7, amd64: v1), as containerd does. */
const struct v2c_mdesc *v2c_manifest_pick(const struct v2c_manifest *index, const char *platform);

#endif
