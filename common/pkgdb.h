/* Package databases of a guest, parsed from buffers the caller has read.
 *
 * dpkg.c parses /var/lib/dpkg/status and /var/lib/dpkg/info/<pkg>.list,
 * apk.c parses Alpine's /lib/apk/db/installed, rpmhdr.c the package
 * headers rpmdb.c finds in rpm's database files; all fill a struct
 * v2c_pkgdb (pkgdb.c), which answers the questions the inspector asks:
 * which package is this, who owns this path, what does this set of
 * packages pull in.  Nothing here touches a file: the data comes from a
 * guest disk and is hostile, so every count and length is capped and the
 * input is taken as (data, len), never as a C string.
 *
 * Ownership: every pointer inside the structs below belongs to the struct
 * that holds it; a struct v2c_pkg belongs to its database once added.
 */
#ifndef V2C_PKG_INTERNAL_H
#define V2C_PKG_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

struct v2c_pkgdb;

/* Caps on what one database may hold: a large Debian desktop has ~5,000
 * packages and ~500,000 paths, so these leave room while keeping a hostile
 * status file from eating the host's memory. */
#define V2C_PKG_MAX_PACKAGES      200000
#define V2C_PKG_MAX_FILES_TOTAL   4000000
#define V2C_PKG_MAX_FILES_PER_PKG 1000000
/* apk writes a directory once and its files by name: a long directory
 * with many one-letter files would multiply the input, so the bytes of
 * stored paths are capped too. */
#define V2C_PKG_MAX_PATH_BYTES    (256 * 1024 * 1024)
#define V2C_PKG_MAX_PATH          4096
#define V2C_PKG_MAX_FIELD         (1024 * 1024)
#define V2C_PKG_MAX_DEPS          4096   /* comma-separated items in one field */
#define V2C_PKG_MAX_ALTS          64     /* `|` alternatives in one item */
#define V2C_PKG_MAX_PROVIDES      4096
#define V2C_PKG_MAX_CONFFILES     65536

enum v2c_pkg_format {
        V2C_PKG_FORMAT_DPKG,
        V2C_PKG_FORMAT_APK,
        V2C_PKG_FORMAT_RPM,
};

/* The third word of dpkg's Status field.  apk has no such states: what is
 * in its database is installed. */
enum v2c_pkg_state {
        V2C_PKG_STATE_UNKNOWN = 0,
        V2C_PKG_STATE_NOT_INSTALLED,
        V2C_PKG_STATE_CONFIG_FILES,
        V2C_PKG_STATE_HALF_INSTALLED,
        V2C_PKG_STATE_UNPACKED,
        V2C_PKG_STATE_HALF_CONFIGURED,
        V2C_PKG_STATE_TRIGGERS_AWAITED,
        V2C_PKG_STATE_TRIGGERS_PENDING,
        V2C_PKG_STATE_INSTALLED,
};

/* One alternative of a dependency: `name (>= 1.0)` or apk's `name>=1.0`. */
struct v2c_dep_alt {
        char *name;        /* arch qualifier (`:any`) stripped */
        char *constraint;  /* e.g. ">= 1.0"; NULL when unversioned */
};

/* One comma-separated dependency: satisfied by any of its alternatives. */
struct v2c_dep {
        struct v2c_dep_alt *alts;
        size_t n_alts;     /* >= 1 */
};

struct v2c_provide {
        char *name;
        char *version;     /* NULL when unversioned */
};

struct v2c_conffile {
        char *path;        /* normalised */
        char *md5;         /* as dpkg wrote it; may be "newconffile".  rpm: the
                            * file's digest (algorithm: the package's
                            * digest_algo), NULL when it has none */
        bool obsolete;
};

struct v2c_pkg {
        char *name;
        char *arch;        /* NULL when the database did not say */
        char *version;     /* NULL when absent */
        char *status;      /* dpkg's raw Status; NULL for apk */
        enum v2c_pkg_state state;
        /* Fully installed: dpkg's flag is "ok" and the state is installed
         * (or only waiting for triggers, whose files are all in place);
         * half-installed, unpacked, config-files and the like are not. */
        bool installed;
        bool essential;
        char *priority, *section, *source;
        char *origin;      /* apk `o:` (the source package); NULL for dpkg */
        /* rpm only (NULL elsewhere): the epoch in decimal (NULL when the
         * header has none), the release, the vendor.  version is rpm's
         * VERSION alone; the EVR is [epoch:]version-release. */
        char *epoch, *release, *vendor;
        /* rpm only: each owned file's digest in lowercase hex, parallel to
         * files (an entry NULL for a directory, a link or a %ghost), and
         * the algorithm's name ("md5", "sha256", ...); NULL when the header
         * carries none. */
        char **file_digests;
        char *digest_algo;
        char *description; /* first line only */
        uint64_t installed_size_kib;
        struct v2c_dep *depends;      size_t n_depends;
        struct v2c_dep *pre_depends;  size_t n_pre_depends;
        struct v2c_provide *provides; size_t n_provides;
        struct v2c_conffile *conffiles; size_t n_conffiles;
        /* Owned paths, normalised (directories included, as dpkg lists
         * them), in the order the database gave them; not NULL-terminated. */
        char **files;      size_t n_files, cap_files;
        size_t id;         /* position in the finished database; internal */
};

/* Returns a new empty package, or NULL on ENOMEM. */
struct v2c_pkg *v2c_pkg_new(void);
/* Frees a package and all it holds; accepts NULL; returns NULL. */
struct v2c_pkg *v2c_pkg_free(struct v2c_pkg *p);

/* Frees an array of n dependencies; accepts NULL. */
void v2c_deps_free(struct v2c_dep *deps, size_t n);

/* Normalises a path from a package database: leading '/', no repeated
 * slashes, no "." segments, ".." resolved lexically (never above "/"), no
 * trailing slash ("/." becomes "/").  The input is (s, len), not
 * NUL-terminated.  On success *out is new.  -EINVAL for an empty path or
 * one containing NUL, -ENAMETOOLONG past V2C_PKG_MAX_PATH, -ENOMEM. */
int v2c_pkg_path_normalize(const char *s, size_t len, char **out);

/* Adds a copy of the normalised path to p->files; same errors as above,
 * plus -E2BIG past V2C_PKG_MAX_FILES_PER_PKG. */
int v2c_pkg_add_file(struct v2c_pkg *p, const char *path, size_t len);

/* ---- dpkg (dpkg.c) ---- */

/* Parses one dpkg relationship field (Depends, Pre-Depends: "a (>= 1) |
 * b:any, c") from (s, len).  Version constraints are kept as text, arch
 * qualifiers and [arch]/<profile> restrictions dropped.  On success
 * *deps (new; free with v2c_deps_free) holds *n items, NULL when empty. */
int v2c_dpkg_parse_depends(const char *s, size_t len, struct v2c_dep **deps, size_t *n,
                           struct v2c_error **err);

/* Parses /var/lib/dpkg/status from (data, len) and adds every stanza that
 * names a Package to db, whatever its state.  Lines may end in CRLF;
 * malformed lines are skipped, stanzas without Package ignored; a field
 * past V2C_PKG_MAX_FIELD or a database past its caps fails with -E2BIG.
 * On failure the packages added so far stay in db. */
int v2c_dpkg_parse_status(struct v2c_pkgdb *db, const char *data, size_t len,
                          struct v2c_error **err);

/* Splits the file name of a /var/lib/dpkg/info list, "bash.list" or
 * "libc6:amd64.list" (a directory part is ignored), into *name (new) and
 * *arch (new, NULL when the name carries none).  -EINVAL when the name
 * does not end in ".list" or has an empty package name. */
int v2c_dpkg_list_filename_parse(const char *filename, char **name, char **arch,
                                 struct v2c_error **err);

/* Adds the paths of a .list file (one per line) to the package the file
 * name designates (see above).  Returns 0 when attached, 1 when db has no
 * such package (the list is ignored: dpkg leaves stale lists behind), or
 * a negative errno. */
int v2c_dpkg_parse_list(struct v2c_pkgdb *db, const char *list_filename, const char *data,
                        size_t len, struct v2c_error **err);

/* ---- apk (apk.c) ---- */

/* Parses one apk dependency word ("so:libc.musl-x86_64.so.1",
 * "busybox>=1.36", "!conflict") into *alt (members new).  Returns 0, or 1
 * for a conflict ("!name") or a word without a name, which callers skip
 * (and *alt is untouched). */
int v2c_apk_parse_dep_word(const char *s, size_t len, struct v2c_dep_alt *alt,
                           struct v2c_error **err);

/* Parses /lib/apk/db/installed from (data, len) and adds every package to
 * db (all installed).  Files come from `F:` directory and `R:` file lines. */
int v2c_apk_parse_installed(struct v2c_pkgdb *db, const char *data, size_t len,
                            struct v2c_error **err);

/* ---- rpm (rpmhdr.c: header blobs; rpmdb.c: the database files) ---- */

/* Caps for rpm: a header blob is at most 256 MiB in rpm itself (its
 * headerImport limit); the database files are read whole. */
#define V2C_RPM_MAX_HEADER  (256u << 20)
/* Requires or Provides of one rpm package: far more than dpkg's, since a
 * kernel package provides every exported symbol, "kernel(sym) = hash",
 * tens of thousands of them; bounded by the header's size anyway. */
#define V2C_RPM_MAX_RELATIONS (256u << 10)
#define V2C_RPMDB_MAX_FILE  (1024u << 20)

/* The three database files rpm has written over the years. */
enum v2c_rpmdb_kind {
        V2C_RPMDB_SQLITE,  /* rpmdb.sqlite: table Packages(hnum, blob) */
        V2C_RPMDB_BDB,     /* Packages: a Berkeley DB hash, key hnum, value the blob */
        V2C_RPMDB_NDB,     /* Packages.db: rpm's own "ndb" slots and blobs */
};

/* Parses one header blob as rpm's database stores it (no lead, no
 * header magic: the index count, the data length, the index entries, the
 * data store) into a new package added to db (installed: what is in the
 * database is installed).  Read: name, epoch, version, release, arch,
 * vendor, the summary (as description), the installed size, the source
 * package's name (from SOURCERPM), the owned files (compressed names, or
 * the OLDFILENAMES of old headers; %ghost files included) with their
 * digests, the %config files as conffiles, Requires (rpmlib() and config()
 * ones left out; of the boolean ones only "(a or b ...)", as alternatives)
 * and Provides.  Every entry is checked against LEN as rpm's own header
 * check does (type, alignment, bounds, NUL-terminated strings, no
 * overlap); -EBADMSG (with a one-line message) for a malformed header,
 * -E2BIG past the caps above.  Nothing is added on failure. */
int v2c_rpm_parse_header(struct v2c_pkgdb *db, const unsigned char *blob, size_t len, struct v2c_error **err);

/* Calls FN for every header blob of a database file of KIND held whole in
 * (data, len), in the order of the file; FN's negative return stops the
 * walk and is returned.  -EBADMSG (with a message) for a file that is not
 * of KIND or is malformed past what the walk can skip.
 * The blob is borrowed for the call only.  Only the main file is read:
 * pages still in an SQLite write-ahead log (rpmdb.sqlite-wal) are not
 * seen, so a loader finding a non-empty WAL must say so.  The order is
 * SQLite's hnum, ndb's package index (both the install order) and
 * Berkeley DB's hash order.  -EFBIG past V2C_RPMDB_MAX_FILE. */
typedef int (*v2c_rpmdb_blob_fn)(void *ctx, const unsigned char *blob, size_t len);
int v2c_rpmdb_foreach(enum v2c_rpmdb_kind kind, const unsigned char *data, size_t len, v2c_rpmdb_blob_fn fn,
                      void *ctx, struct v2c_error **err);

/* ---- the database (pkgdb.c) ---- */

/* Returns a new empty database, or NULL on ENOMEM. */
struct v2c_pkgdb *v2c_pkgdb_new(enum v2c_pkg_format format);
/* Frees the database and its packages; accepts NULL; returns NULL. */
struct v2c_pkgdb *v2c_pkgdb_free(struct v2c_pkgdb *db);

enum v2c_pkg_format v2c_pkgdb_format(const struct v2c_pkgdb *db);

/* The format the report's os.package_format names ("dpkg", "apk",
 * "rpm"), or -1 for NULL or a name v2c has no reader for. */
int v2c_pkg_format_from_name(const char *name);

/* Adds p; p is stolen, even on failure (where it is freed).  -E2BIG past
 * V2C_PKG_MAX_PACKAGES.  Its files must have been accounted for with
 * v2c_pkgdb_account_files.  Adding un-finishes the database. */
int v2c_pkgdb_add(struct v2c_pkgdb *db, struct v2c_pkg *p, struct v2c_error **err);

/* Notes that n_files paths of n_bytes in all were added to a package of
 * db (in it already or about to be: the parsers call this for every path
 * they add); -E2BIG past V2C_PKG_MAX_FILES_TOTAL or
 * V2C_PKG_MAX_PATH_BYTES.  Un-finishes the database. */
int v2c_pkgdb_account_files(struct v2c_pkgdb *db, size_t n_files, size_t n_bytes,
                            struct v2c_error **err);

/* Looks a package up by name and optional arch for the parsers, before
 * the database is finished (linear).  Prefers installed packages.
 * Returns a borrowed pointer or NULL. */
struct v2c_pkg *v2c_pkgdb_find_mutable(struct v2c_pkgdb *db, const char *name, const char *arch);

/* Sorts the packages (name, installed first, arch) and builds the path and
 * provides indexes.  The queries below need a finished database: on one
 * that is not, they find nothing (and the int ones return -EINVAL). */
int v2c_pkgdb_finish(struct v2c_pkgdb *db, struct v2c_error **err);

size_t v2c_pkgdb_count(const struct v2c_pkgdb *db);
/* Returns the i-th package in sorted order (borrowed), NULL past the end. */
const struct v2c_pkg *v2c_pkgdb_get(const struct v2c_pkgdb *db, size_t i);

/* Finds "name" or, in a dpkg database, "name:arch" (":any" means any
 * arch; apk names may hold colons, "so:libc.musl-x86_64.so.1"; rpm has no
 * name:arch form, its names hold colons too: "perl(File::Temp)").  Several
 * arches of one name: installed first, then in arch order.  Returns
 * borrowed or NULL. */
const struct v2c_pkg *v2c_pkgdb_find(const struct v2c_pkgdb *db, const char *name);

/* The package owning a path (normalised first), installed owners first;
 * borrowed or NULL.  Directories have many owners: see v2c_pkgdb_owners. */
const struct v2c_pkg *v2c_pkgdb_owner(const struct v2c_pkgdb *db, const char *path);

/* Like v2c_pkgdb_owner, and when the path is not owned also tries its
 * merged-/usr alias (/bin <-> /usr/bin, /sbin, /lib, /lib32, /lib64,
 * /libx32, /libo32): dpkg lists /bin/ls where a merged-/usr disk has
 * /usr/bin/ls.  *matched (if not NULL) is set to a new copy of the path
 * that matched, or NULL. */
const struct v2c_pkg *v2c_pkgdb_owner_usrmerge(const struct v2c_pkgdb *db, const char *path,
                                               char **matched);

/* Every owner of path, installed first then by name: *owners is a new
 * NULL-terminated array of borrowed packages (NULL when none).  Returns
 * the count, or a negative errno. */
int v2c_pkgdb_owners(const struct v2c_pkgdb *db, const char *path,
                     const struct v2c_pkg ***owners, struct v2c_error **err);

/* Dependency closure of roots ("name" or "name:arch") over Depends and
 * Pre-Depends, among installed packages: of a dependency's alternatives the
 * first one installed wins, a real package before a provider of the name,
 * a package of the requester's arch (or "all", rpm's "noarch") before
 * others.  In an rpm database a requirement is a package name, anything a
 * package Provides (sonames like "libssl.so.3()(64bit)", virtual names) or,
 * for a path, the package providing or owning that file (then its
 * merged-/usr alias: /bin/sh is owned as /usr/bin/sh).  Version
 * constraints are not evaluated, in any format: the guest's package
 * manager checked them when it installed what is there.  Cycles are
 * fine.  *pkgs: new NULL-terminated array of borrowed packages, roots
 * included, sorted by name then arch.  *missing (may be NULL to ignore):
 * new sorted strv of roots not installed and dependencies nobody
 * satisfies, written as in the database ("a | b"), or NULL.  Returns the
 * number of packages, or a negative errno. */
int v2c_pkgdb_closure(const struct v2c_pkgdb *db, char *const *roots,
                      const struct v2c_pkg ***pkgs, char ***missing, struct v2c_error **err);

/* New sorted strv of the paths of a package's conffiles (or all its
 * files), NULL when it has none; -ENOENT with a message when there is no
 * such package. */
int v2c_pkgdb_conffiles(const struct v2c_pkgdb *db, const char *name, char ***paths,
                        struct v2c_error **err);
int v2c_pkgdb_files(const struct v2c_pkgdb *db, const char *name, char ***paths,
                    struct v2c_error **err);

/* ---- Loading from a guest (pkgdb-guest.c) ---- */

struct v2c_guest;
typedef void (*v2c_pkgdb_warn_fn)(void *ctx, const char *msg);
/* Reads the guest's package database of FORMAT (dpkg's status and info
 * lists, or apk's installed file).  *out is new, or NULL when the guest has
 * none or it is unusable; what could not be read is told to WARN (may be
 * NULL), never fatal.  Returns 0 (or a negative errno with ERR set). */
int v2c_guest_pkgdb_load(struct v2c_guest *g, enum v2c_pkg_format format, v2c_pkgdb_warn_fn warn, void *ctx,
                         struct v2c_pkgdb **out, struct v2c_error **err);

#endif
