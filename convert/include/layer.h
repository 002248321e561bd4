/* Deterministic OCI image layers, built in one streaming pass.
 *
 * Entries go in as a tar stream (libarchive, POSIX pax with extended
 * headers only where needed); the stream is hashed for the diff_id,
 * compressed (zstd or gzip), hashed again for the digest, and written to a
 * temporary file in the layout's blobs/sha256/ directory, renamed to its
 * digest when the layer is closed.  No layer is ever held in memory.
 *
 * Reproducibility is the writer's job, not the caller's: mtimes are clamped
 * to SOURCE_DATE_EPOCH, atime/ctime are never written, user and group names
 * are empty (numeric ids kept), only allow-listed xattrs are kept, device
 * nodes, FIFOs and sockets are refused, the gzip header carries no time,
 * and zstd always runs in its multi-threaded mode (whose output does not
 * depend on the number of threads).  Callers add entries in
 * v2c_layer_path_cmp order; the writer refuses anything else.
 */
#ifndef V2C_LAYER_H
#define V2C_LAYER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "sha256.h"

#define V2C_MEDIA_LAYER_ZSTD "application/vnd.oci.image.layer.v1.tar+zstd"
#define V2C_MEDIA_LAYER_GZIP "application/vnd.oci.image.layer.v1.tar+gzip"
#define V2C_MEDIA_LAYER_TAR "application/vnd.oci.image.layer.v1.tar"

/* The documented default for SOURCE_DATE_EPOCH: 2000-01-01T00:00:00Z. */
#define V2C_DEFAULT_SOURCE_DATE_EPOCH 946684800

enum v2c_compression {
        V2C_COMPRESS_ZSTD,
        V2C_COMPRESS_GZIP,
        V2C_COMPRESS_NONE,
};

struct v2c_layer_options {
        enum v2c_compression compression;
        int level;            /* 0: the default (zstd 3, gzip 6) */
        int threads;          /* zstd workers; 0: 2 */
        int64_t epoch;        /* mtimes are clamped to it */
        const char *label;    /* what the layer is, for progress on a terminal
                               * (common/progress decides whether it is drawn);
                               * NULL: none shown */
};

enum v2c_layer_type {
        V2C_LAYER_REG,
        V2C_LAYER_DIR,
        V2C_LAYER_SYMLINK,
        V2C_LAYER_HARDLINK,
};

struct v2c_layer_entry {
        const char *path;       /* relative, canonical: "usr/bin/env" (no "/" at either end) */
        enum v2c_layer_type type;
        uint32_t mode;          /* permission bits incl. setuid/setgid/sticky */
        uint32_t uid, gid;
        uint64_t size;          /* regular files */
        int64_t mtime;
        const char *link;       /* symlink target, or the path a hardlink points to */
        const void *capability; /* security.capability xattr value, or NULL */
        size_t capability_len;
};

/* Supplies a regular file's content: fill BUF with up to N bytes, set *GOT
 * (0 at the end).  Returns 0 or a negative errno with ERR set. */
struct v2c_layer_source {
        int (*read)(void *ctx, void *buf, size_t n, size_t *got, struct v2c_error **err);
        void *ctx;
};

struct v2c_layer_result {
        char digest[7 + V2C_SHA256_HEX_LEN + 1];   /* "sha256:..." of the blob */
        char diff_id[7 + V2C_SHA256_HEX_LEN + 1];  /* "sha256:..." of the tar */
        uint64_t size;                              /* blob size */
        uint64_t tar_size;
        const char *media_type;                     /* static */
};

struct v2c_layer_writer;

/* Starts a layer whose blob lands in BLOBS_DIR (".../blobs/sha256").
 * *out is new: finish with v2c_layer_close, or v2c_layer_abort. */
int v2c_layer_open(const char *blobs_dir, const struct v2c_layer_options *opt, struct v2c_layer_writer **out,
                   struct v2c_error **err);
/* Adds one entry; SRC supplies regular files' content (exactly E->size
 * bytes, or the call fails).  Entries must come in v2c_layer_path_cmp
 * order, each path once. */
int v2c_layer_add(struct v2c_layer_writer *w, const struct v2c_layer_entry *e, const struct v2c_layer_source *src,
                  struct v2c_error **err);
/* Ends the stream, renames the blob to its digest, frees W. */
int v2c_layer_close(struct v2c_layer_writer *w, struct v2c_layer_result *res, struct v2c_error **err);
/* Drops an unfinished layer and its temporary file; accepts NULL. */
void v2c_layer_abort(struct v2c_layer_writer *w);

/* The order of entries in a layer: byte order with '/' lowest, so a
 * directory's contents follow it directly. */
int v2c_layer_path_cmp(const char *a, const char *b);

#endif
