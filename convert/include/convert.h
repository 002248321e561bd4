/* v2c convert: services of a guest lifted into layered OCI images.
 *
 * v2c_convert() takes an open guest and the inspection report of that
 * guest (struct v2c_report of common/report.h, the "v2c.inspect/1"
 * document of docs/inspect-report.md: how convert learns what inspect
 * found without depending on inspect's code), picks the files each chosen service needs from the
 * guest, and writes one image per service into an OCI image layout, with a
 * lock file, an SPDX SBOM, Kubernetes manifests and an env template beside
 * them (see docs/convert.md).  Everything is built aside and renamed into
 * place: a failure leaves no half-written layout.
 *
 * Layers (lowest first), each present only when it holds something:
 *   base     the loader, libc and the packages every service of the guest
 *            needs, CA certificates, time zone data, nsswitch/hosts:
 *            the same bytes for every service of one guest
 *   packages the files of the service's other packages (outside /etc)
 *            and the ELF closure of its executable
 *   config   /etc: its packages' configuration, its config files, passwd
 *            and group
 *   app      its own files (unowned executables, /opt/APP, content),
 *            the directories it needs at run time, log links, v2c-init
 */
#ifndef V2C_CONVERT_H
#define V2C_CONVERT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "guest.h"
#include "layer.h"
#include "oci.h"
#include "report.h"

#define V2C_LOCK_SCHEMA "v2c.lock/1"

/* Where v2c-init lands in images that need it. */
#define V2C_INIT_PATH "/usr/libexec/v2c-init"

enum v2c_convert_mode {
        V2C_CONVERT_SERVICE,   /* only what the service needs */
        V2C_CONVERT_SYSTEM,    /* the whole OS tree, the service in the foreground */
};

struct v2c_convert_options {
        enum v2c_convert_mode mode;
        char *const *services;         /* names from the report; may be NULL with all_stateless */
        bool all_stateless;            /* every stateless long-running service */
        bool allow_stateful;           /* data paths become volumes instead of a refusal */
        bool keep_setid;               /* service images keep setuid/setgid bits (system images always do) */
        char *const *include_secrets;  /* guest paths of secrets to keep anyway */
        struct v2c_layer_options layer;
        const char *output;            /* the layout directory */
        bool force;                    /* replace an existing layout */
        const char *source;            /* org.opencontainers.image.source (e.g. the disk's name) */
        const char *image_repo;        /* repository the k8s manifests name, e.g. "registry.local/v2c" */
        /* A base image to build on: its layers go below the lifted ones
         * (an OCI layout holding it, e.g. from v2c pull; NAME may be NULL
         * when it holds one image), and its pinned reference for the
         * org.opencontainers.image.base.* annotations. */
        const char *base_layout, *base_name, *base_ref;
        /* The hardened spec of each service (its report's "hardening") is
         * applied to the manifests and kept in the result for --verify;
         * no_harden leaves the runtime's defaults (said loudly by the CLI). */
        bool no_harden;
        const char *runtime_class;     /* runtimeClassName of the manifests (Kata, gVisor), or NULL */
};

/* Whether S can name a RuntimeClass: a DNS subdomain (RFC 1123), at most
 * 253 bytes.  The CLI checks --runtime-class with it before any work; the
 * manifests' writer checks it again. */
bool v2c_convert_runtime_class_valid(const char *s);

#define V2C_CONVERT_MAX_LAYERS 64

struct v2c_converted_layer {
        const char *role;              /* "base-image", "base", "packages", "config", "app" (static) */
        struct v2c_layer_result result;
        size_t files;                  /* entries written */
};

/* A secret file an image needs at run time and does not hold: what
 * inspect saw on the guest (path, owner, mode). */
struct v2c_secret_mount {
        char *path;                    /* guest path, and the path in the container */
        char *key;                     /* its key in the Kubernetes Secret "<name>-files" */
        unsigned uid, gid, mode;
};

struct v2c_converted {
        char *service;
        char *ref_name;
        struct v2c_descriptor manifest, config;
        struct v2c_converted_layer layers[V2C_CONVERT_MAX_LAYERS];   /* the base image's first, if any */
        size_t n_layers;
        char **env_required;           /* variables left out as secrets */
        char **volumes;
        unsigned *ports;
        size_t n_ports;
        char **notes;                  /* what the conversion decided (foreground switch, init, ...) */
        struct v2c_secret_mount *secret_files;   /* its entrypoint checks for them */
        size_t n_secret_files;
        char *user_uid;                /* the uid it runs as (digits), or NULL */
        struct v2c_hardening harden;   /* as applied; not known (seccomp NULL) with --no-harden */
};

/* Services converted together that reach each other over localhost on the
 * VM: they run in one pod (docs/convert.md). */
struct v2c_convert_pod {
        char *name;                    /* "nginx-webapp": its members' names joined by '-' */
        size_t *images;                /* indexes of its members in v2c_convert_result.images */
        size_t n_images;
};

struct v2c_convert_result {
        struct v2c_converted *images;
        size_t n_images;
        char **warnings;
        struct v2c_convert_pod *pods;  /* n_pods of them; every image belongs to at most one */
        size_t n_pods;
};

/* Converts the chosen services of G (described by REPORT) into
 * opt->output.  *out (may be NULL) is new: free with
 * v2c_convert_result_free().  Errors: V2C_ERR_USAGE for an unknown service
 * (the message lists the known ones), V2C_ERR_REFUSED for a stateful
 * service without allow_stateful or an output directory holding something
 * else.  REPORT is borrowed. */
int v2c_convert(struct v2c_guest *g, const struct v2c_report *report, const struct v2c_convert_options *opt,
                struct v2c_convert_result **out, struct v2c_error **err);
struct v2c_convert_result *v2c_convert_result_free(struct v2c_convert_result *r);
static inline void v2c_convert_result_freep(struct v2c_convert_result **r) { v2c_convert_result_free(*r); }

/* Trees the conversion reads, for v2c_guest_prefetch before v2c_convert
 * (NULL-terminated, static). */
const char *const *v2c_convert_prefetch_dirs(enum v2c_convert_mode mode);

struct v2c_verify_options {
        const char *layout;        /* OCI layout directory */
        const char *ref_name;      /* image name in its index.json */
        const unsigned *ports;     /* TCP ports the service listens on, n_ports of them (>= 1) */
        size_t n_ports;
        char *const *env;          /* extra KEY=VALUE for the container (may be NULL) */
        int timeout;               /* seconds to wait for an answer; 0: 90 */
        /* Secret files to mount read-only, copied from GUEST (which must
         * be given when n_secret_files > 0). */
        struct v2c_guest *guest;
        const struct v2c_secret_mount *secret_files;
        size_t n_secret_files;
        /* When not NULL, a sentence (new string) is appended for each port
         * that answered on 127.0.0.1 inside the container only. */
        char ***notes;
        /* The hardened spec to run it with (NULL or not known: podman's
         * defaults), as its Kubernetes manifest runs it. */
        const struct v2c_hardening *harden;
};
/* Starts the image with podman (the `podman` on PATH, with the caller's
 * environment, e.g. CONTAINERS_CONF), publishes each port on a free
 * 127.0.0.1 port, and waits until every port answers: a TCP connection
 * that yields at least one byte, either sent by the service on its own
 * or in reply to a probe ("HEAD / HTTP/1.0\r\n\r\n", or a DNS query on 53, memcached's "version" on 11211, "PING" on 6379).  A port
 * whose published address does not answer is also tried on 127.0.0.1
 * inside the container's network namespace (setns from a thread of its
 * own; needs root, else the error says it could not be tried): a service
 * bound to the loopback address only, as many apps behind a proxy of the
 * same VM are, answers there alone, and passes with a note.  The
 * container and the image are removed afterwards whatever happened.
 * Secret files are copied from the guest, with their owner and mode, into
 * a private temporary directory (0700) and mounted read-only at their
 * paths, so the image runs as the VM did; the directory is removed
 * afterwards whatever happened, and no secret byte enters the image.
 * Returns 0 when every port answered; otherwise a negative errno with
 * ERR saying which port did not answer, plus the last lines of the
 * container's log (podman logs --tail 20), in one message. */
int v2c_convert_verify(const struct v2c_verify_options *opt, struct v2c_error **err);

/* One container of a pod to verify: its image, and its TCP ports (none:
 * it only has to keep running), and its secret files as in struct
 * v2c_verify_options. */
struct v2c_verify_member {
        const char *ref_name;
        const unsigned *ports;
        size_t n_ports;
        char *const *env;
        struct v2c_guest *guest;
        const struct v2c_secret_mount *secret_files;
        size_t n_secret_files;
        const struct v2c_hardening *harden;    /* as in struct v2c_verify_options */
};
struct v2c_verify_pod_options {
        const char *layout;
        const char *pod;                       /* for messages */
        const struct v2c_verify_member *members;
        size_t n_members;                      /* 1..64 */
        int timeout;                           /* seconds; 0: 90 */
        char ***notes;                         /* as in struct v2c_verify_options */
};
/* Like v2c_convert_verify for services that share a pod: `podman pod
 * create` publishing every member's ports on free 127.0.0.1 ports, each
 * image run in it (so 127.0.0.1:PORT inside reaches the member listening
 * there, as on the VM) with its own secret files mounted read-only (all
 * members' staged in one private directory, removed afterwards), every
 * port polled until it answers and every
 * member still running at the end.  The pod, its containers and the images
 * pulled are removed afterwards.  ERR names the member and port that
 * failed, with the member's log. */
int v2c_convert_verify_pod(const struct v2c_verify_pod_options *opt, struct v2c_error **err);

#endif
