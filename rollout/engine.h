/* A client of the Docker Engine API (v1.40) over a unix socket: what the
 * rollout needs to run the container side of a cutover (pull by digest,
 * create with ports on 127.0.0.1, start, inspect, stop, remove, read the
 * log's tail).  Written against podman's compatible service
 * (`podman system service unix:///PATH`); a Docker engine speaks the same.
 *
 * Every reply is hostile input: replies are bounded (4 MiB; the pull's
 * progress stream is read line by line instead), every request has a
 * timeout, and what the engine says in an error ("message") is cleaned of
 * control characters and shortened before it goes into ours.
 *
 * Readiness (does the service answer on its port?) is the rollout's
 * business, not this client's: podman's own healthchecks need systemd.
 *
 * Error convention of common/error.h.  Arguments that are not what the API
 * allows (an unpinned image, a name with a '/') fail with kind
 * V2C_ERR_USAGE before any request.  errno values callers may act on:
 * ENOENT (no such container or image), EEXIST (the name is taken), EBUSY
 * (removing a running container without force), ETIMEDOUT, and for the
 * socket itself ENOENT/ENOTSOCK/ECONNREFUSED with a message naming it. */
#ifndef V2C_ROLLOUT_ENGINE_H
#define V2C_ROLLOUT_ENGINE_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "report.h"

/* Replies (inspect, errors, logs) larger than this are refused. */
#define V2C_ENGINE_REPLY_MAX (4u << 20)
/* Lines a logs tail may ask for. */
#define V2C_ENGINE_LOG_LINES_MAX 10000

struct v2c_engine {
        char *socket_path;      /* owned (v2c_engine_init copies it) */
        int timeout_ms;         /* per request; <= 0: 30 s */
        int pull_timeout_ms;    /* a whole pull; <= 0: 10 min */
};

/* Fills E with a copy of SOCKET_PATH; nothing is contacted yet. */
int v2c_engine_init(struct v2c_engine *e, const char *socket_path, int timeout_ms, struct v2c_error **err);
/* Frees what E owns; E can be initialised again. Accepts a zeroed E. */
void v2c_engine_release(struct v2c_engine *e);

/* GET /_ping: the engine answers "OK". */
int v2c_engine_ping(const struct v2c_engine *e, struct v2c_error **err);

/* Which engine answers.  They differ where v2c_engine_create gives a
 * tmpfs to the container's user: podman's compat service takes its own
 * option `U` (chown to the user the container runs as) and refuses the
 * kernel's `uid=`/`gid=` ("unknown mount option"); Docker takes `uid=`
 * and `gid=` and refuses `U` ("invalid tmpfs option"). */
enum v2c_engine_kind {
        V2C_ENGINE_DOCKER,      /* Docker, or any other engine of the same API */
        V2C_ENGINE_PODMAN,
};

/* GET /version: podman's names a component "Podman Engine". */
int v2c_engine_identify(const struct v2c_engine *e, enum v2c_engine_kind *kind, struct v2c_error **err);

/* Pulls IMAGE_REF, which must be pinned and fully qualified:
 * HOST[:PORT]/PATH@sha256:<64 hex>, no tag (the API pulls every tag of a
 * repository when none is given, and podman resolves short names its own
 * way).  Fails if the progress stream carries an error, or if the image is
 * not in the engine's store afterwards.
 *
 * Registries on loopback usually speak plain http: the Docker API has no
 * per-request TLS switch (podman's compat endpoint ignores tlsVerify), so
 * the engine's own configuration must allow it: registries.conf
 * `[[registry]] location="127.0.0.1:PORT" insecure=true` for podman,
 * which (unlike Docker) does not treat 127.0.0.0/8 as insecure. */
int v2c_engine_pull(const struct v2c_engine *e, const char *image_ref, struct v2c_error **err);

/* Checks that REF is pinned as v2c_engine_pull wants it.  *repo and
 * *digest (new strings; either pointer may be NULL) receive
 * "HOST[:PORT]/PATH" and "sha256:<hex>"; untouched on failure (kind
 * V2C_ERR_USAGE).  Pure. */
int v2c_engine_ref_pinned(const char *ref, char **repo, char **digest, struct v2c_error **err);

struct v2c_engine_port {
        unsigned container_port;        /* TCP, 1..65535 */
        unsigned host_port;             /* 1..65535, bound on 127.0.0.1 only */
};

/* Everything borrowed; vectors are NULL-terminated and may be NULL. */
struct v2c_engine_container_spec {
        const char *name;               /* [A-Za-z0-9][A-Za-z0-9_.-]*, at most 128 */
        const char *image;              /* a pinned reference, or an image id */
        char *const *env;               /* "KEY=VALUE" */
        char *const *cmd;               /* replaces the image's Cmd, the arguments
                                         * of its Entrypoint; NULL: the image's */
        const struct v2c_engine_port *ports;
        size_t n_ports;
        char *const *binds;             /* "HOST_PATH:CONTAINER_PATH[:OPTIONS]" */
        /* The image's hardened spec (its label io.v2c.hardening), or NULL:
         * ReadonlyRootfs with a Tmpfs per writable path, owned by the user
         * the container runs as (create asks the engine which it is, see
         * enum v2c_engine_kind), CapDrop ALL and its CapAdd,
         * no-new-privileges, as User the DynamicUser uid or else the
         * label's "UID:GID", Memory and NanoCpus, as its manifest and
         * `convert --verify`. */
        const struct v2c_hardening *harden;
};

/* POST /containers/create?name=NAME.  *id: new string, the container's id. */
int v2c_engine_create(const struct v2c_engine *e, const struct v2c_engine_container_spec *spec, char **id,
                      struct v2c_error **err);
/* Starting a running container is not an error (the API says 304). */
int v2c_engine_start(const struct v2c_engine *e, const char *id, struct v2c_error **err);
/* SIGTERM (or the image's StopSignal), SIGKILL after TIMEOUT_S seconds;
 * stopping a stopped container is not an error.  The request's own timeout
 * is E's plus TIMEOUT_S. */
int v2c_engine_stop(const struct v2c_engine *e, const char *id, int timeout_s, struct v2c_error **err);
/* Removes the container and its anonymous volumes; a running one only
 * with FORCE (else -EBUSY).  A container that is not there: -ENOENT. */
int v2c_engine_remove(const struct v2c_engine *e, const char *id, bool force, struct v2c_error **err);

struct v2c_engine_state {
        bool running;
        int exit_code;
        char *status;           /* owned: "created", "running", "exited", ... */
        int pid;                /* 0 when not running */
        bool tty;               /* the container has a terminal: its log is raw */
};

/* GET /containers/ID/json.  *st is filled only on success and must then be
 * released. */
int v2c_engine_inspect(const struct v2c_engine *e, const char *id, struct v2c_engine_state *st,
                       struct v2c_error **err);
/* Frees what ST owns and zeroes it; accepts a zeroed ST. */
void v2c_engine_state_release(struct v2c_engine_state *st);

/* The last LINES (1..V2C_ENGINE_LOG_LINES_MAX) lines of the container's
 * stdout and stderr, interleaved as written.  *out: new string; NUL bytes
 * of the log are dropped. */
int v2c_engine_logs_tail(const struct v2c_engine *e, const char *id, int lines, char **out,
                         struct v2c_error **err);

/* ---- pure parsers (fuzzed: tests/fuzz/fuzz-engine.c) ---- */

/* Checks a pull's progress stream (JSON objects, one a line).  Returns 0
 * with *error_msg NULL when no line reports an error, or with *error_msg
 * set (new string: the first error's message, without control
 * characters, at most 1 KiB) when one does.  A line that is not a JSON
 * object, or longer than 1 MiB, fails (kind V2C_ERR_INPUT, EBADMSG) and
 * leaves *error_msg alone. */
int v2c_engine_parse_pull_stream(const char *data, size_t len, char **error_msg, struct v2c_error **err);

/* Turns a multiplexed log stream (frames of an 8-byte header: stream 0, 1
 * or 2, three zero bytes, a big-endian payload length, then the payload)
 * into its payloads, in order.  *out: new, NUL-terminated (the payloads
 * may hold NUL bytes themselves); *out_len (may be NULL) its length.  A
 * bad header or a frame cut short fails (V2C_ERR_INPUT, EBADMSG) and
 * leaves the outputs alone. */
int v2c_engine_demux_logs(const char *data, size_t len, char **out, size_t *out_len, struct v2c_error **err);

/* Parses a GET /version reply into *kind (untouched on failure: a reply
 * that is not a JSON object fails, V2C_ERR_INPUT). */
int v2c_engine_parse_version(const char *data, size_t len, enum v2c_engine_kind *kind, struct v2c_error **err);

/* Parses a GET /containers/ID/json reply into *st (see v2c_engine_inspect). */
int v2c_engine_parse_state(const char *data, size_t len, struct v2c_engine_state *st, struct v2c_error **err);

/* The label KEY of a pulled image (GET /images/REF/json, Config.Labels):
 * *value is new, or NULL when the image has no such label. */
int v2c_engine_image_label(const struct v2c_engine *e, const char *image_ref, const char *key, char **value,
                           struct v2c_error **err);
/* The same from the engine's reply (untrusted JSON). */
int v2c_engine_parse_image_label(const char *data, size_t len, const char *key, char **value, struct v2c_error **err);

#endif
