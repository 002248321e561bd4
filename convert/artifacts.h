/* What `v2c convert` writes beside each image: an SPDX 2.3 SBOM of the
 * guest packages that went into it (sbom.c), and Kubernetes manifests that
 * run it (k8s.c).
 *
 * Both are pure functions of their spec: no I/O, no clock, no environment,
 * so the same spec always gives the same bytes and the outputs can be kept
 * as expected files.  Names, versions and paths come from the guest and are
 * treated as hostile: bounded, escaped, and never trusted to be UTF-8. */
#ifndef V2C_ARTIFACTS_H
#define V2C_ARTIFACTS_H

#include <jansson.h>
#include <stddef.h>

#include "error.h"
#include "report.h"

#define V2C_SBOM_MAX_PACKAGES 100000
#define V2C_ARTIFACT_MAX_FIELD 4096   /* bytes in one name, version, path... */
#define V2C_K8S_MAX_PORTS 1000
#define V2C_K8S_MAX_VOLUMES 1000
#define V2C_K8S_MAX_ENV 1000
#define V2C_K8S_MAX_POD 64           /* containers of one pod */

/* One guest package.  All strings are borrowed. */
struct v2c_sbom_package {
        const char *name;                         /* required */
        const char *version, *arch, *supplier;    /* may be NULL */
        const char *purl_type;                    /* "deb", "apk" or "rpm"; NULL: no package URL */
        const char *distro;                       /* purl namespace ("debian", "alpine", "rocky"); may be NULL */
        /* rpm's epoch (decimal), the purl's `epoch` qualifier; NULL when
         * none.  version is then VERSION-RELEASE, as the purl spec's rpm
         * type has it. */
        const char *epoch;
};

struct v2c_sbom_spec {
        const char *image_name;                   /* document and image package name */
        const char *manifest_digest;              /* "sha256:<64 lowercase hex>" */
        const char *created;                      /* "YYYY-MM-DDThh:mm:ssZ" (SPDX's form of RFC 3339) */
        const char *tool_version;                 /* creators: "Tool: v2c-<tool_version>" */
        const struct v2c_sbom_package *packages;  /* n_packages of them, any order */
        size_t n_packages;
};

/* Builds the SPDX 2.3 JSON document of an image: SPDXRef-Image (purpose
 * CONTAINER, checksum = the manifest digest) DESCRIBED by the document and
 * CONTAINing one package per guest package, sorted by name, arch, version.
 * Guest package ids are "SPDXRef-Package-<name with bytes outside
 * [A-Za-z0-9.-] as '-'>-<n>", n counting the packages whose names give the
 * same text, so ids are unique.  Serialise with v2c_json_dump for stable
 * bytes.  *out is a new reference, untouched on failure (-EINVAL for a bad
 * spec, -E2BIG past the limits above, -ENOMEM). */
int v2c_sbom_spdx(const struct v2c_sbom_spec *spec, json_t **out, struct v2c_error **err);

/* A secret file the container needs, mounted from the Secret
 * "<name>-files".  Strings are borrowed. */
struct v2c_k8s_secret_file {
        const char *path;              /* absolute container path of the file */
        const char *key;               /* its key in the Secret: [-._A-Za-z0-9]+ */
        unsigned mode;                 /* permission bits, 0 to 0777 */
};

struct v2c_k8s_spec {
        const char *name;              /* any text: made a DNS-1035 label (see below) */
        const char *image;             /* "repo@sha256:<64 lowercase hex>": by digest only */
        const unsigned *ports;         /* TCP ports 1-65535, n_ports of them; duplicates dropped */
        size_t n_ports;
        char *const *volumes;          /* NULL-terminated absolute container paths, may be NULL */
        char *const *env_required;     /* NULL-terminated names of variables kept out of the image
                                        * as secrets ([-._A-Za-z0-9]+), may be NULL */
        const char *user_uid;          /* runAsUser when all digits; may be NULL */
        char *const *capabilities;     /* NULL-terminated "CAP_NET_BIND_SERVICE"... the
                                        * service's executable holds as file capabilities:
                                        * added to the container's set; may be NULL */
        const struct v2c_k8s_secret_file *secret_files;   /* n_secret_files of them, may be NULL */
        size_t n_secret_files;
        /* The hardened spec (see report.h), or NULL (--no-harden, or a
         * report without one): then only runAsUser and the capabilities
         * above are set.  With it: runAsNonRoot when the uid is known and
         * not 0, allowPrivilegeEscalation, readOnlyRootFilesystem with an
         * emptyDir for each writable path (but those a claim holds),
         * capabilities drop ALL then add its own (CAPABILITIES is then
         * unused), seccompProfile RuntimeDefault, resource limits, a
         * sysctl net.ipv4.ip_unprivileged_port_start for a non-root
         * service on a port below 1024 (Kubernetes gives a non-root
         * process no ambient capability), runAsUser from DynamicUser='s
         * uid when USER_UID is not given, and every decision with what it
         * came from in the annotation hardening.v2c.io/<name> of the pod. */
        const struct v2c_hardening *harden;
        const char *runtime_class;     /* runtimeClassName (a DNS subdomain), or NULL */
};

/* The hardened spec as text, one decision a line with what it came from,
 * for the convert log and the manifests' annotation (new string, NULL
 * without memory). */
char *v2c_hardening_text(const struct v2c_hardening *h);

/* Writes Kubernetes manifests as multi-document YAML ("---\n" between
 * documents): a Deployment of one replica running IMAGE, a ClusterIP
 * Service when there are ports (port names "tcp-<port>"), and one
 * ReadWriteOnce PersistentVolumeClaim of 1Gi per volume, named
 * "<name>-<path as a label>" and made unique.  Variables of ENV_REQUIRED
 * come from the Secret "<name>-env", one key per variable, which the user
 * creates.  CAPABILITIES ([A-Z0-9_]+ after "CAP_") go to the container's
 * securityContext.capabilities.add, without the prefix: a binary whose file
 * capabilities the runtime's bounding set lacks fails to start (EPERM).
 * SECRET_FILES come from the Secret "<name>-files", which the user creates
 * too: one volume "v2c-secret-files" with one item per file (its key, its
 * mode), each mounted read-only at its path with subPath, so the rest of
 * the file's directory in the image stays visible.
 *
 * NAME is lowercased, runs of characters outside [a-z0-9] become one '-',
 * the ends are trimmed of '-', "v2c-" goes in front when it starts with a
 * digit (Service names must start with a letter), and it is cut to 63.
 * Every string is written double-quoted with escapes (valid YAML and JSON
 * string syntax), so guest text cannot change the structure.
 *
 * *out is a new NUL-terminated string, untouched on failure (-EINVAL for a
 * bad spec, -E2BIG past the limits above, -ENOMEM). */
int v2c_k8s_manifests(const struct v2c_k8s_spec *spec, char **out, struct v2c_error **err);

/* NAME as the manifests spell it (the rules above) into APP; -EINVAL when
 * nothing of it is left.  The Secrets are "<APP>-env" and "<APP>-files". */
int v2c_k8s_app_name(const char *name, char app[64], struct v2c_error **err);

/* The same for services that reach each other over localhost on the VM and
 * so must share a network namespace: ONE Deployment NAME (made a DNS label
 * as above) whose pod runs one container per spec (each named after its
 * spec, its own image by digest, ports, env from "<spec name>-env",
 * claims, capabilities and user as v2c_k8s_manifests writes them; its
 * secret files from its own Secret "<spec name>-files" through a volume of
 * its own, "<spec name>-secret-files", made unique in the pod), one
 * ClusterIP Service per spec with ports, named after the spec and
 * selecting the pod (so other workloads reach each service by its own
 * name), and the specs' PersistentVolumeClaims.  COUNT is 1 to
 * V2C_K8S_MAX_POD; two specs (or NAME and the first spec) giving the same
 * label are refused (-EEXIST).  *out as above. */
int v2c_k8s_pod_manifests(const char *name, const struct v2c_k8s_spec *specs, size_t count, char **out,
                          struct v2c_error **err);

#endif
