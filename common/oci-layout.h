/* OCI image layouts on the host (image-spec v1.1, "oci-layout" 1.0.0):
 * the one place that knows where a layout keeps its index and blobs, how
 * an image is picked by its org.opencontainers.image.ref.name, and how a
 * blob named by a descriptor is read back with its digest and size checked.
 * convert (its output and a --base layout), verify, push and pull use it;
 * what a manifest or config means is left to them.
 *
 * A layout handed to v2c is input like any other: index.json and every
 * blob are opened without following a symlink, sizes are bounded before a
 * byte is read, and a blob whose bytes do not hash to its name is refused
 * (kind V2C_ERR_INPUT). */
#ifndef V2C_OCI_LAYOUT_H
#define V2C_OCI_LAYOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "error.h"
#include "sha256.h"

/* The one cap on a layout's document read into memory: index.json, a
 * manifest or a config.  4 MiB is what distribution registries accept for
 * a manifest, a config with thousands of history and Env entries stays far
 * below it, and it is all the memory a hostile layout can make v2c take per
 * document.  The registry code holds a manifest it fetches or parses to
 * the same cap, so what pull writes, push and convert --base can read.
 * Layers are never read into memory (v2c_oci_dir_open_blob gives a
 * descriptor to stream), so they have no cap here. */
#define V2C_OCI_JSON_MAX (4u << 20)

#define V2C_OCI_REF_NAME "org.opencontainers.image.ref.name"
#define V2C_OCI_MEDIA_INDEX "application/vnd.oci.image.index.v1+json"

/* "sha256:" + 64 lowercase hex + NUL. */
#define V2C_OCI_DIGEST_SIZE (7 + V2C_SHA256_HEX_LEN + 1)

/* What a layout's index says of one blob. */
struct v2c_oci_desc {
        const char *media_type;                  /* borrowed from the layout; may be NULL */
        char digest[V2C_OCI_DIGEST_SIZE];        /* checked: "sha256:" + 64 lowercase hex */
        uint64_t size;
};


/* ---- reading ---- */

struct v2c_oci_index;

/* Parses index.json (DATA, LEN bytes; WHAT names it in errors).  *out is
 * new (free with v2c_oci_index_free).  Entries are only checked when
 * picked: an index listing a foreign image still gives v2c its own. */
int v2c_oci_index_parse(const char *data, size_t len, const char *what, struct v2c_oci_index **out,
                        struct v2c_error **err);
/* Accepts NULL; returns NULL. */
struct v2c_oci_index *v2c_oci_index_free(struct v2c_oci_index *idx);
/* How many manifests the index lists. */
size_t v2c_oci_index_count(const struct v2c_oci_index *idx);
/* The manifest the index lists under ref name NAME, or its only manifest
 * when NAME is NULL, into *out (its media_type borrowed from IDX).  No such
 * image, or several without a NAME: V2C_ERR_USAGE, ENOENT.  Two entries
 * under NAME (which one would be a guess), or an entry without a sha256
 * digest or size: V2C_ERR_INPUT. */
int v2c_oci_index_pick(const struct v2c_oci_index *idx, const char *name, struct v2c_oci_desc *out,
                       struct v2c_error **err);

struct v2c_oci_dir;

/* Opens the layout at PATH: its oci-layout file (imageLayoutVersion
 * 1.0.0) and index.json, both regular files of at most V2C_OCI_JSON_MAX
 * bytes.  *out is new (free with v2c_oci_dir_close).  Not a layout:
 * V2C_ERR_INPUT. */
int v2c_oci_dir_open(const char *path, struct v2c_oci_dir **out, struct v2c_error **err);
/* Accepts NULL; returns NULL. */
struct v2c_oci_dir *v2c_oci_dir_close(struct v2c_oci_dir *l);
static inline void v2c_oci_dir_closep(struct v2c_oci_dir **l)
{
        v2c_oci_dir_close(*l);
}
/* Borrowed from L. */
const char *v2c_oci_dir_path(const struct v2c_oci_dir *l);
const struct v2c_oci_index *v2c_oci_dir_index(const struct v2c_oci_dir *l);

/* Reads blob D whole: D->size at most V2C_OCI_JSON_MAX (else E2BIG), the
 * file a regular file (not a symlink) of exactly D->size bytes hashing to
 * D->digest.  *data is new and NUL-terminated.  Failures are
 * V2C_ERR_INPUT and name the blob. */
int v2c_oci_dir_read_blob(const struct v2c_oci_dir *l, const struct v2c_oci_desc *d, char **data,
                             size_t *len, struct v2c_error **err);
/* Blob D read and parsed as JSON, as v2c_oci_dir_read_blob checks it;
 * *out is new. */
int v2c_oci_dir_read_json(const struct v2c_oci_dir *l, const struct v2c_oci_desc *d, json_t **out,
                             struct v2c_error **err);
/* Opens blob D (of any size) for reading: a regular file, not a symlink,
 * of exactly D->size bytes.  *fd is new.  Its bytes are not hashed here:
 * a layer is hashed as it is streamed, or by v2c_oci_check_blob_fd. */
int v2c_oci_dir_open_blob(const struct v2c_oci_dir *l, const struct v2c_oci_desc *d, int *fd,
                             struct v2c_error **err);
/* Hashes the D->size bytes of FD (read with pread: the offset is kept) and
 * compares them with D->digest; a mismatch is V2C_ERR_INPUT, EINVAL,
 * naming WHERE. */
int v2c_oci_check_blob_fd(int fd, const struct v2c_oci_desc *d, const char *where, struct v2c_error **err);

/* ---- writing ---- */

/* DIR/blobs/sha256/HEX of DIGEST, as a new string; NULL when DIGEST is not
 * a valid sha256 digest or on ENOMEM. */
char *v2c_oci_blob_path(const char *dir, const char *digest);
/* Creates DIR/blobs/sha256 below an existing DIR. */
int v2c_oci_layout_mkdirs(const char *dir, struct v2c_error **err);
/* Writes DATA as a blob of the layout at DIR, atomically, and fills
 * digest[V2C_OCI_DIGEST_SIZE] (may be NULL) with its digest. */
int v2c_oci_write_blob(const char *dir, const void *data, size_t len, char *digest, struct v2c_error **err);
/* Writes DIR/index.json listing MANIFESTS (a JSON array of descriptors,
 * borrowed) and DIR/oci-layout, each atomically.  index.json is indented
 * JSON with keys as built: the same manifests give the same bytes. */
int v2c_oci_write_index(const char *dir, json_t *manifests, struct v2c_error **err);

#endif
