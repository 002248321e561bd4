/* The fleet as a Kubernetes Indexed Job (`v2c kube-job`, docs/FLEET.md):
 * the guests of an `inspect --manifest` file in, a `v1` List of two
 * objects out, as JSON:
 *
 *   - a ConfigMap JOB-guests whose key "I" holds guest I's line,
 *     "NAME DISK...", NAME an RFC 1123 label and each DISK relative to the
 *     disks claim;
 *   - a batch/v1 Job JOB, completionMode Indexed, one completion per
 *     guest: the pod of index I reads key I (JOB_COMPLETION_INDEX) and
 *     runs `v2c inspect` (and `v2c convert --push`) on that guest's disks,
 *     read-only from the claim, the results to another claim.
 *
 * A pod cannot pick its volume by index (its spec is the same for every
 * index), so the disks of every guest live on one claim and the index
 * picks paths, never volumes.
 *
 * JSON, not YAML: jansson quotes every string, so no guest name or path
 * can become a key, a number or a comment (kubectl reads JSON manifests as
 * they are).  Only fields of batch/v1 and v1 as Kubernetes 1.22 has them.
 *
 * Pure: guests and options in, a document out; the command
 * (cmd-kube-job.c) reads the manifest and writes the result. */
#ifndef V2C_CLI_KUBE_JOB_H
#define V2C_CLI_KUBE_JOB_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "guest-list.h"

#define V2C_KUBE_LABEL_MAX 63           /* RFC 1123 label: a Job's name, a guest's name */
#define V2C_KUBE_SUBDOMAIN_MAX 253      /* RFC 1123 subdomain: claim, Secret and ConfigMap names */
/* A ConfigMap's data may hold at most 1 MiB (the API server refuses more). */
#define V2C_KUBE_CONFIGMAP_MAX (1u << 20)
#define V2C_KUBE_JOB_NAME_DEFAULT "v2c-fleet"

/* Where the pod sees what it works on (the environment of its script
 * says the same, so the script names none of them itself). */
#define V2C_KUBE_GUESTS_DIR "/v2c/guests"       /* the ConfigMap, read-only */
#define V2C_KUBE_DISKS_DIR "/v2c/disks"         /* the disks claim, read-only */
#define V2C_KUBE_RESULTS_DIR "/v2c/results"     /* the results claim */
#define V2C_KUBE_WORK_DIR "/v2c/work"           /* an emptyDir: TMPDIR, HOME, images before the push */
#define V2C_KUBE_AUTH_DIR "/v2c/registry-auth"  /* the registry Secret, read-only */
/* The uid and gid the pod runs as: not root, and numeric, so that
 * runAsNonRoot can be checked by the kubelet whatever the image says. */
#define V2C_KUBE_UID 65532

struct v2c_kube_job_options {
        const char *job_name;           /* an RFC 1123 label */
        const char *image;              /* v2c's image, pinned: HOST/REPO@sha256:HEX */
        const char *disks_claim;        /* PVC holding every disk image, mounted read-only */
        const char *results_claim;      /* PVC the reports go to (ReadWriteMany for parallelism > 1) */
        const char *push;               /* HOST/PREFIX: also convert --all-stateless --push; or NULL */
        const char *registry_secret;    /* a kubernetes.io/dockerconfigjson Secret for the push; or NULL */
        unsigned parallelism;           /* pods at once, 1 or more (the CLI's check; at most the number of guests is written) */
        bool tcg;                       /* no /dev/kvm asked for: the appliance runs under TCG */
};

/* S is an RFC 1123 label: 1 to 63 lowercase letters, digits and '-',
 * starting and ending with a letter or digit. */
bool v2c_kube_label_valid(const char *s);
/* S is an RFC 1123 subdomain: labels joined by '.', at most 253 bytes. */
bool v2c_kube_subdomain_valid(const char *s);
/* The guest name NAME as a label: lowercased, each run of other bytes
 * one '-', no '-' at either end, cut to 63 bytes.  New string, "" when
 * NAME holds no letter nor digit; NULL without memory. */
char *v2c_kube_label_from(const char *name);

/* Checks OPT as the command line gave it (names, the image pinned by
 * digest, the push target) for N guests (0: not known
 * yet, the Job's name is not checked against the largest index); 0, or
 * an error of kind V2C_ERR_USAGE saying which option is wrong and why. */
int v2c_kube_job_check_options(const struct v2c_kube_job_options *opt, size_t n, struct v2c_error **err);

/* The List of the ConfigMap and the Job for the N guests of GUESTS (as
 * v2c_guest_list_parse gives them), OPT checked by
 * v2c_kube_job_check_options.  A guest that cannot be run so is refused
 * with kind V2C_ERR_INPUT: a disk path that is absolute, holds a ".."
 * component or is not UTF-8; a name with no letter nor digit, or two
 * guests whose names give one label; a guest list over the ConfigMap's
 * 1 MiB.  *out is a new reference. */
int v2c_kube_job(const struct v2c_guest_spec *guests, size_t n, const struct v2c_kube_job_options *opt, json_t **out,
                 struct v2c_error **err);

/* The script every pod runs with /bin/sh -c (constant: what differs by
 * index comes from the ConfigMap file it reads, never from its text). */
extern const char v2c_kube_job_script[];

#endif
