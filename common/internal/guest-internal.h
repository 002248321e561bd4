/* Shared between the guest backends (guest-*.c); not part of the API. */
#ifndef V2C_GUEST_INTERNAL_H
#define V2C_GUEST_INTERNAL_H

#include "guest.h"

/* Each callback receives a canonical guest path whose parent components are
 * not symlinks (the generic layer resolves them first). */
struct v2c_guest_backend {
        const char *kind;
        int (*lstat)(struct v2c_guest *g, const char *path, struct v2c_stat *st, struct v2c_error **err);
        int (*readlink)(struct v2c_guest *g, const char *path, char **target, struct v2c_error **err);
        /* PATH is a regular file. */
        int (*read)(struct v2c_guest *g, const char *path, size_t max, char **data, size_t *len,
                    struct v2c_error **err);
        /* PATH is a directory; entries sorted by name. */
        int (*list)(struct v2c_guest *g, const char *path, struct v2c_dirent **out, size_t *n,
                    struct v2c_error **err);
        /* PATH is a regular file: an fd to read it from, at *offset, for *len
         * bytes (the fd is new: the caller closes it). */
        int (*open)(struct v2c_guest *g, const char *path, int *fd, uint64_t *offset, uint64_t *len,
                    struct v2c_error **err);
        /* Optional: PATH is a regular file; its security.capability value
         * (new), or *value NULL when it has none. */
        int (*capability)(struct v2c_guest *g, const char *path, void **value, size_t *len,
                          struct v2c_error **err);
        /* Optional: TREES are resolved directories, sorted, none inside
         * another. */
        int (*prefetch)(struct v2c_guest *g, const struct v2c_prefetch_tree *trees, size_t n,
                        struct v2c_error **err);
        /* Optional: see v2c_guest_fetch; FILES and TREES are sorted and
         * canonical. */
        int (*fetch)(struct v2c_guest *g, char *const *files, size_t n, char *const *trees, size_t nt,
                     struct v2c_error **err);
        /* Optional (else lstat's ino, device 0): see v2c_guest_identify;
         * PATHS canonical, their parents not symlinks. */
        int (*identify)(struct v2c_guest *g, char *const *paths, size_t n, struct v2c_file_id *ids,
                        struct v2c_error **err);
        /* Optional: see v2c_guest_hint; PATHS canonical and sorted, their
         * parents not symlinks. */
        void (*hint)(struct v2c_guest *g, char *const *paths, size_t n);
        void (*close)(struct v2c_guest *g);
};

/* Longest security.capability value kept (v3, the longest format, is 24
 * bytes); a longer one is malformed and dropped. */
#define V2C_CAPABILITY_MAX 64
#define V2C_CAPABILITY_XATTR "security.capability"

struct v2c_guest {
        const struct v2c_guest_backend *ops;
        void *impl;
        size_t max_read;
        uint64_t prefetch_max_kib;
        bool allow_backing;
        unsigned launch_timeout_s;
        char **warnings;
        bool defer_reads;        /* see v2c_guest_defer_reads */
        char **deferred;
        struct v2c_guest_source *sources;
        size_t n_sources;
};

/* A backend's read of PATH, not local, while reads are deferred: records
 * PATH and fails with -EAGAIN. */
int v2c_guest_defer(struct v2c_guest *g, const char *path, struct v2c_error **err);

/* Records a file the disk backend will read (copies of PATH and FORMAT;
 * ROLE is a string literal). */
int v2c_guest_add_source(struct v2c_guest *g, const char *path, const char *format, const char *role,
                         struct v2c_error **err);

/* What a qcow2 header names outside the image. */
struct v2c_disk_refs {
        bool has_backing;
        char *backing;          /* as stored (any bytes), when has_backing */
        char *backing_format;   /* the backing format extension, or NULL */
        bool external_data;     /* its data lives in another file */
        char *data_file;        /* that file's name as stored, or NULL */
};
/* Parses the first bytes of a qcow2 image (HEAD, LEN bytes; its first
 * cluster holds everything qemu reads here).  Fails with kind
 * V2C_ERR_INPUT on a header qemu would refuse.  *out's strings are new. */
int v2c_qcow2_refs(const unsigned char *head, size_t len, struct v2c_disk_refs *out, struct v2c_error **err);
void v2c_disk_refs_release(struct v2c_disk_refs *r);
/* The file name of the first extent line of a VMDK descriptor (TEXT, LEN
 * bytes, not NUL-terminated): *out new, or NULL when none.  -ENOMEM. */
int v2c_vmdk_first_extent(const char *text, size_t len, char **out);

/* Checks what disk image PATH of FORMAT names outside itself (backing file,
 * external data file, extents): without ALLOW_BACKING any such file is
 * refused (kind V2C_ERR_REFUSED, the file named); with it the chain is
 * walked, each file checked (exists, plain file or block device, no loop,
 * a known format).  Every file admitted, PATH first, is added to G's
 * sources.  See disk-chain.c. */
int v2c_disk_chain_check(struct v2c_guest *g, const char *path, const char *format, bool allow_backing,
                         struct v2c_error **err);

int v2c_guest_dir_open(const char *path, struct v2c_guest *g, struct v2c_error **err);
int v2c_guest_tar_open(const char *path, struct v2c_guest *g, struct v2c_error **err);
/* FORMATS[i] is the qemu format name of PATHS[i] ("qcow2", "raw"...). */
int v2c_guest_disk_open(const char *const *paths, const char *const *formats, size_t n, struct v2c_guest *g,
                        struct v2c_error **err);

/* One appliance for the disks of many guests (v2c_guest_session).
 * Launches with the drives PATHS (N, FORMATS theirs), in that order, within
 * TIMEOUT_S seconds; WHAT names them in errors.  *out is new. */
struct v2c_disk_session;
int v2c_disk_session_launch(const char *const *paths, const char *const *formats, size_t n, unsigned timeout_s,
                            const char *what, struct v2c_disk_session **out, struct v2c_error **err);
/* Makes G (its sources recorded, no backend yet) a disk guest read from
 * drives FIRST to FIRST + N - 1 of S, its file systems mounted from those
 * drives only; fails with -EBUSY while another guest of S is open.  G holds
 * a reference to S until closed (then its file systems are unmounted).
 * On failure G has a backend all the same: close it. */
int v2c_disk_session_mount(struct v2c_disk_session *s, size_t first, size_t n, struct v2c_guest *g,
                           struct v2c_error **err);
/* Drops the caller's reference (the appliance stops with the last one);
 * accepts NULL; returns NULL. */
struct v2c_disk_session *v2c_disk_session_unref(struct v2c_disk_session *s);

/* An in-memory index of tar archives, with file contents spilled to an
 * unlinked temporary file.  The tar backend is one index; the disk backend
 * keeps one for the trees it prefetched. */
struct v2c_tarindex;

struct v2c_tarindex *v2c_tarindex_new(struct v2c_error **err);
struct v2c_tarindex *v2c_tarindex_free(struct v2c_tarindex *ti);
/* Adds the members of the archive read from FD (any compression) under guest
 * directory PREFIX ("/" for a whole root).  Hostile members (paths climbing
 * out with "..", devices) are skipped and counted in *skipped.  Fails with
 * kind V2C_ERR_INPUT when FD is not a tar archive. */
int v2c_tarindex_add(struct v2c_tarindex *ti, int fd, const char *prefix, size_t *skipped,
                     struct v2c_error **err);
/* Must be called after the last add and before lookups. */
int v2c_tarindex_seal(struct v2c_tarindex *ti, struct v2c_error **err);
int v2c_tarindex_lstat(struct v2c_tarindex *ti, const char *path, struct v2c_stat *st);
int v2c_tarindex_readlink(struct v2c_tarindex *ti, const char *path, char **target);
/* PATH is a regular file whose content the index holds. */
bool v2c_tarindex_has_content(struct v2c_tarindex *ti, const char *path);
int v2c_tarindex_read(struct v2c_tarindex *ti, const char *path, size_t max, char **data, size_t *len,
                      struct v2c_error **err);
/* An fd (new, a dup of the spill file) and the range of PATH's content. */
int v2c_tarindex_open(struct v2c_tarindex *ti, const char *path, int *fd, uint64_t *offset, uint64_t *len,
                      struct v2c_error **err);
int v2c_tarindex_list(struct v2c_tarindex *ti, const char *path, struct v2c_dirent **out, size_t *n,
                      struct v2c_error **err);
/* PATH's security.capability as the archive recorded it (a copy). */
int v2c_tarindex_capability(struct v2c_tarindex *ti, const char *path, void **value, size_t *len,
                            struct v2c_error **err);
size_t v2c_tarindex_count(const struct v2c_tarindex *ti);

/* The file type of a st_mode value (S_IFREG...). */
enum v2c_file_type v2c_file_type_from_mode(uint32_t mode);
/* Appends a copy of NAME with ST to a growing dirent array; -ENOMEM. */
int v2c_dirents_push(struct v2c_dirent **v, size_t *n, size_t *cap, const char *name, const struct v2c_stat *st);

int v2c_guest_add_warning(struct v2c_guest *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
