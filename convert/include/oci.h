/* OCI image layouts (image-spec v1.1 "oci-layout" 1.0.0), written so that
 * a failure never leaves a half-written layout: everything goes to a
 * sibling temporary directory that replaces DIR only at commit.
 *
 * Manifests and configs are serialised deterministically (jansson with
 * keys in insertion order, no whitespace), so the same inputs give the same
 * digests on any machine. */
#ifndef V2C_OCI_H
#define V2C_OCI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "layer.h"

#define V2C_MEDIA_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define V2C_MEDIA_CONFIG "application/vnd.oci.image.config.v1+json"

struct v2c_descriptor {
        const char *media_type;                   /* static */
        char digest[7 + V2C_SHA256_HEX_LEN + 1];
        uint64_t size;
};

struct v2c_oci_layout;

/* Whether DIR may become a layout: it does not exist, or is empty, or
 * holds an OCI layout as v2c writes it (index.json, oci-layout, blobs/ of
 * digest-named files, v2c/ of v2c's side files; nothing else, no symlink)
 * and FORCE is set.  Anything else is refused (kind V2C_ERR_REFUSED, the
 * message names the first foreign entry); an empty DIR is V2C_ERR_USAGE. */
int v2c_oci_layout_check_target(const char *dir, bool force, struct v2c_error **err);
/* Starts a layout that will become DIR, which v2c_oci_layout_check_target
 * must accept.  *out is new: end with commit or abort. */
int v2c_oci_layout_create(const char *dir, bool force, struct v2c_oci_layout **out, struct v2c_error **err);
/* Where layer blobs go (borrowed; for v2c_layer_open). */
const char *v2c_oci_layout_blobs(const struct v2c_oci_layout *l);

/* The directory being built (borrowed): files written under it before the
 * commit move into DIR with the layout (v2c writes its lock file, SBOMs
 * and manifests in DIR/v2c/). */
const char *v2c_oci_layout_tmpdir(const struct v2c_oci_layout *l);

struct v2c_image_spec {
        const char *ref_name;              /* org.opencontainers.image.ref.name in index.json */
        const char *architecture, *os;     /* "amd64", "linux" */
        int64_t created;                   /* seconds since the epoch (SOURCE_DATE_EPOCH) */
        char *const *entrypoint, *const *cmd, *const *env;   /* NULL-terminated, may be NULL */
        const char *working_dir, *user, *stop_signal;        /* may be NULL */
        const unsigned *ports;             /* TCP ports, n_ports of them */
        size_t n_ports;
        char *const *volumes;              /* may be NULL */
        char *const *labels;               /* "key=value", also manifest annotations */
        const struct v2c_layer_result *layers;
        size_t n_layers;
};

/* Writes the config and manifest blobs of an image and lists it in the
 * index; *manifest (may be NULL) describes the manifest. */
int v2c_oci_add_image(struct v2c_oci_layout *l, const struct v2c_image_spec *spec, struct v2c_descriptor *manifest,
                      struct v2c_descriptor *config, struct v2c_error **err);
/* Writes index.json and oci-layout, syncs, and moves the layout into place. */
int v2c_oci_layout_commit(struct v2c_oci_layout *l, struct v2c_error **err);
/* Removes the temporary layout; accepts NULL. */
void v2c_oci_layout_abort(struct v2c_oci_layout *l);

/* RFC 3339 UTC time of T, e.g. "2000-01-01T00:00:00Z", into buf[21]. */
void v2c_rfc3339(int64_t t, char buf[21]);

#endif
