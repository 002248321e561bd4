/* Reading a guest's files, whatever holds them.
 *
 * One interface, three backends:
 *   - "disk": one or more disk images opened read-only with libguestfs; the
 *     guest's file systems are mounted where its /etc/fstab mounts them;
 *   - "directory": a host directory holding an unpacked root file system;
 *   - "tar": a tar archive of a root file system (as virt-tar-out makes).
 *
 * All paths are guest paths.  Symlinks are always resolved inside the guest
 * (see path.h): nothing a guest holds can make v2c read a host file.
 *
 * libguestfs round trips are costly (~250 ms each under TCG), so callers
 * first v2c_guest_prefetch() the trees they will read, which the disk
 * backend downloads in one tar-out each; later reads under them are local.
 */
#ifndef V2C_GUEST_H
#define V2C_GUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

enum v2c_file_type {
        V2C_FT_REG = 1,
        V2C_FT_DIR,
        V2C_FT_LNK,
        V2C_FT_CHR,
        V2C_FT_BLK,
        V2C_FT_FIFO,
        V2C_FT_SOCK,
};

struct v2c_stat {
        enum v2c_file_type type;
        uint32_t mode;      /* permission bits, including setuid/setgid/sticky */
        uint32_t uid, gid;
        uint64_t size;
        int64_t mtime;
        uint64_t ino;       /* equal for hardlinks of one file (0 when unknown) */
        uint32_t nlink;
};

struct v2c_dirent {
        char *name;
        struct v2c_stat st;
};

struct v2c_guest_options {
        /* Largest file v2c_guest_read_file accepts unless told otherwise. */
        size_t max_read;
        /* Largest tree (KiB, as du counts) the disk backend prefetches in
         * one download; 0: 256 MiB, enough for what inspect reads.  Convert
         * raises it: it reads every file of what it packs anyway. */
        uint64_t prefetch_max_kib;
        /* Disk images: follow the backing files, external data files and
         * extents an image names (each checked, all opened read-only).
         * Without it such an image is refused (V2C_ERR_REFUSED). */
        bool allow_backing;
        /* Seconds the libguestfs appliance may take to start; 0: 600. */
        unsigned launch_timeout_s;
};

/* A file a disk guest is read from: a disk given, or (--allow-backing) a
 * file one names. */
struct v2c_guest_source {
        char *path;
        char *format;           /* qemu format name */
        const char *role;       /* "image", "backing", "data-file", "extent" */
};

struct v2c_guest;

/* Opens SOURCES (n >= 1): a directory, a tar archive, or disk images of one
 * guest.  Unusable input fails with kind V2C_ERR_INPUT.  *out is new: close
 * it with v2c_guest_close(). */
int v2c_guest_open(const char *const *sources, size_t n, const struct v2c_guest_options *opt,
                   struct v2c_guest **out, struct v2c_error **err);
/* Closes and frees; accepts NULL; returns NULL. */
struct v2c_guest *v2c_guest_close(struct v2c_guest *g);

/* Many guests, one appliance (`v2c inspect --each`): the appliance launch
 * is most of what inspecting a disk costs, so a session attaches the disks
 * of every guest (all read-only) to one appliance and hands the guests out
 * in turn, each mounted from its own disks only (clones that share file
 * system UUIDs and LVM names included), with caches of its own.  A
 * directory or tar guest among them is opened as v2c_guest_open does. */
struct v2c_guest_session;
/* Disks one session attaches at most (libguestfs's direct backend limit). */
#define V2C_GUEST_SESSION_DISKS_MAX 255

/* Opens a session for N guests, DISKS[i] the NULL-terminated sources of
 * guest i.  What one guest's sources hold (not a disk image, a backing file
 * refused...) is that guest's failure, kept for v2c_guest_session_guest;
 * the session fails only when it cannot launch the appliance (then every
 * guest with disks fails alike).  *out is new: close it with
 * v2c_guest_session_close(). */
int v2c_guest_session_open(char *const *const *disks, size_t n, const struct v2c_guest_options *opt,
                           struct v2c_guest_session **out, struct v2c_error **err);
/* Guest I of S mounted, ready to read: *out is new, close it with
 * v2c_guest_close() before asking for the next one (one guest of a session
 * is mounted at a time: -EBUSY otherwise).  Fails with guest I's own error
 * (kind V2C_ERR_INPUT for "not a disk image" or "no operating system
 * found", V2C_ERR_REFUSED for a backing file without allow_backing); each
 * guest is handed out once (-EALREADY). */
int v2c_guest_session_guest(struct v2c_guest_session *s, size_t i, struct v2c_guest **out, struct v2c_error **err);
/* Accepts NULL; returns NULL.  The appliance stops once the guests handed
 * out are closed too. */
struct v2c_guest_session *v2c_guest_session_close(struct v2c_guest_session *s);

static inline void v2c_guest_session_closep(struct v2c_guest_session **s) { v2c_guest_session_close(*s); }

static inline void v2c_guest_closep(struct v2c_guest **g) { v2c_guest_close(*g); }

/* "disk", "directory" or "tar"; borrowed. */
const char *v2c_guest_kind(const struct v2c_guest *g);
/* Warnings gathered while opening (e.g. a file system that could not be
 * mounted); borrowed NULL-terminated vector, may be NULL. */
char *const *v2c_guest_warnings(const struct v2c_guest *g);

/* The files a disk guest is read from, each disk given followed by the
 * files it names (its backing chain...), in the order qemu reaches them;
 * borrowed, *n entries (0 for directory and tar guests). */
const struct v2c_guest_source *v2c_guest_sources(const struct v2c_guest *g, size_t *n);

/* Downloads the trees under DIRS (guest paths, resolved) in bulk where that
 * matters.  Missing directories are skipped.  EXCLUDES (NULL-terminated,
 * may be NULL) are tar --exclude patterns (matched against every path
 * component) left out of the download: such files stay readable by path,
 * one round trip each, but are missing from listings of those trees. */
int v2c_guest_prefetch(struct v2c_guest *g, const char *const *dirs, size_t n, const char *const *excludes,
                       struct v2c_error **err);

/* A tree for v2c_guest_prefetch_trees and the tar --exclude patterns left
 * out of it (NULL-terminated, may be NULL): they apply inside DIR only. */
struct v2c_prefetch_tree {
        const char *dir;
        const char *const *excludes;
        /* Without extended attributes (a tree of no executables, such as
         * /etc or a package database: the tar-out is then plain ustar, a
         * third smaller); a capability asked for under it costs a round
         * trip. */
        bool no_xattrs;
};
/* As v2c_guest_prefetch, each tree with its own excludes: the disk backend
 * brings them all out in one transfer.  A tree inside another comes with
 * it, under the outer tree's excludes. */
int v2c_guest_prefetch_trees(struct v2c_guest *g, const struct v2c_prefetch_tree *trees, size_t n,
                             struct v2c_error **err);

/* Says that PATHS (absolute guest paths) will soon be looked at (stat,
 * link, capability): the disk backend asks for those of one directory in
 * one call each instead of one call per path.  Only a speed-up: nothing
 * fails, and nothing read differs. */
void v2c_guest_hint(struct v2c_guest *g, char *const *paths, size_t n);

/* Brings out in one transfer the files an image will hold: FILES (canonical
 * guest paths; a directory among them comes with no more than the FILES
 * below it) and TREES (directories that come whole), with the directories
 * leading to them, added to what earlier calls fetched (kept until the
 * guest is closed).  Paths the guest lacks are ignored; so are, with the
 * disk backend, files already fetched or in trees v2c_guest_prefetch
 * holds.  Other paths stay readable one by one. */
int v2c_guest_fetch(struct v2c_guest *g, char *const *files, size_t n, char *const *trees, size_t nt,
                    struct v2c_error **err);

/* Deferred reads, for a caller that learns which files it needs by
 * reading some (ELF headers, scripts) and would rather fetch them in one
 * transfer than one round trip each: while ON, a read or open of a file
 * of a disk guest that is not already out of the appliance fails with
 * -EAGAIN (ERR set) without a round trip, and its canonical path is
 * recorded.  Metadata calls (stat, readlink, list) are not deferred.
 * Other backends read everything locally and defer nothing. */
void v2c_guest_defer_reads(struct v2c_guest *g, bool on);
/* The paths deferred since the last call, sorted, each once (new vector,
 * NULL when none). */
char **v2c_guest_take_deferred(struct v2c_guest *g);

/* What makes a file one file, whatever names reach it: equal for the
 * hardlinks of one file, different for different files of one guest (all
 * zero: missing). */
struct v2c_file_id {
        uint64_t dev, ino;
        uint32_t nlink;
};

/* The identity of each of PATHS (N guest paths, not followed: a symlink is
 * itself) into IDS[N]; a missing path gets all zeros.  The directory
 * backend gives the host's st_dev and st_ino, the tar backend its hardlink
 * groups (a hardlink member is its target), the disk backend the inode
 * libguestfs reports (lstatnslist, one round trip per directory), never the
 * numbers of a tar-out, which knows a hardlink only when both names are in
 * one transfer.  Returns 0 or a negative errno with ERR set. */
int v2c_guest_identify(struct v2c_guest *g, char *const *paths, size_t n, struct v2c_file_id *ids,
                       struct v2c_error **err);

/* Canonical guest path of PATH with every symlink resolved (new string). */
int v2c_guest_realpath(struct v2c_guest *g, const char *path, char **out, struct v2c_error **err);
/* stat/lstat of a guest path.  -ENOENT when missing: then, and only then,
 * *err is left unset, since "does it exist?" is the question most callers
 * ask (every other failure sets it).  The calls below that need the file
 * (readlink, read_file, list, open_file, capability) set *err for a missing
 * one too ("`PATH` is not in the guest", -ENOENT). */
int v2c_guest_stat(struct v2c_guest *g, const char *path, struct v2c_stat *st, struct v2c_error **err);
int v2c_guest_lstat(struct v2c_guest *g, const char *path, struct v2c_stat *st, struct v2c_error **err);
/* Target of a symlink, as stored (new string). */
int v2c_guest_readlink(struct v2c_guest *g, const char *path, char **target, struct v2c_error **err);
/* Whole content of a regular file (symlinks followed), at most MAX bytes
 * (0: the open-time default); larger files fail with -EFBIG.  *data is new
 * and NUL-terminated; *len excludes the NUL. */
int v2c_guest_read_file(struct v2c_guest *g, const char *path, size_t max, char **data,
                        size_t *len, struct v2c_error **err);
/* Entries of a directory (symlinks followed for PATH itself), sorted by
 * name, without "." and "..".  *out is a new array of *n entries, free with
 * v2c_dirents_free. */
int v2c_guest_list(struct v2c_guest *g, const char *path, struct v2c_dirent **out, size_t *n,
                   struct v2c_error **err);
void v2c_dirents_free(struct v2c_dirent *d, size_t n);

/* Streaming reads, for files too large to hold in memory (image layers). */
struct v2c_guest_file;
/* Opens a regular file (symlinks followed inside the guest); *st (may be
 * NULL) gets its metadata.  *out is new: close with v2c_guest_file_close. */
int v2c_guest_open_file(struct v2c_guest *g, const char *path, struct v2c_guest_file **out, struct v2c_stat *st,
                        struct v2c_error **err);
/* Up to N bytes into BUF; *got is 0 at the end. */
int v2c_guest_file_read(struct v2c_guest_file *f, void *buf, size_t n, size_t *got, struct v2c_error **err);
/* Accepts NULL; returns NULL. */
struct v2c_guest_file *v2c_guest_file_close(struct v2c_guest_file *f);

/* The file capabilities of a regular file (symlinks followed): the raw
 * value of its `security.capability` extended attribute, the one xattr a
 * container image keeps.  *value is new (free it), or NULL with *len 0 when
 * the file has none.  The disk backend reads xattrs from prefetched trees
 * for free, elsewhere in one round trip. */
int v2c_guest_capability(struct v2c_guest *g, const char *path, void **value, size_t *len, struct v2c_error **err);

/* Guest paths matching PATTERN, whose last component only may hold
 * fnmatch(3) wildcards (leading dots match only explicitly), appended to
 * *paths in listing order.  A missing directory matches nothing.  Returns
 * 0 or -ENOMEM. */
int v2c_guest_glob(struct v2c_guest *g, const char *pattern, char ***paths);

/* True when PATH exists (following symlinks) and has type TYPE (0: any). */
bool v2c_guest_exists(struct v2c_guest *g, const char *path, enum v2c_file_type type);

#endif
