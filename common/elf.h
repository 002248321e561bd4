/* What the inspector learns from executables: ELF headers (elf.c), script
 * interpreters (elf.c), and how the guest's dynamic linker would find
 * their libraries (ldconf.c).
 *
 * Everything here is pure: buffers in, structures out, and any access to
 * the guest's files goes through callbacks the caller provides.  The
 * bytes come from an untrusted disk: every offset and size is checked
 * against the buffer with overflow-safe arithmetic, counts are capped,
 * strings must end within the buffer.
 *
 * Ownership: every pointer inside a struct below belongs to that struct.
 */
#ifndef V2C_ELF_INTERNAL_H
#define V2C_ELF_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define V2C_ELF_MAX_PHDRS    4096
#define V2C_ELF_MAX_NEEDED   1024
#define V2C_ELF_MAX_DYN      65536    /* dynamic entries scanned */
#define V2C_ELF_MAX_STRING   65536    /* NEEDED, SONAME, RPATH, RUNPATH */
#define V2C_ELF_MAX_INTERP   4096

/* ---- ELF (elf.c) ---- */

struct v2c_elf_info {
        unsigned elf_class;   /* 32 or 64 */
        bool big_endian;
        uint16_t machine;     /* e_machine */
        const char *arch;     /* borrowed static name ("x86_64"), NULL if unknown */
        uint16_t type;        /* e_type: 2 ET_EXEC, 3 ET_DYN, ... */
        char *interp;         /* PT_INTERP, NULL when none (static, or a library) */
        bool dynamic;         /* has PT_DYNAMIC */
        char **needed;        /* DT_NEEDED in file order (strv), NULL when none */
        char *soname;         /* NULL when absent */
        char *rpath;          /* DT_RPATH as written, NULL when absent */
        char *runpath;        /* DT_RUNPATH as written, NULL when absent */
};

/* True when buf starts with the ELF magic and a known class and data
 * encoding.  Reads at most 6 bytes. */
bool v2c_is_elf(const void *buf, size_t len);

/* The arch name of an e_machine ("x86_64", "aarch64", "i386", "arm",
 * "ppc64le", "s390x", "riscv64", ...); borrowed static string, NULL when
 * unknown.  Class and byte order pick between variants (ppc64/ppc64le). */
const char *v2c_elf_machine_arch(uint16_t machine, unsigned elf_class, bool big_endian);

/* Parses the ELF file in (buf, len) (32/64-bit, either byte order).  The
 * buffer must hold the whole file, or at least everything up to the
 * dynamic string table.  On success *info is new (free with
 * v2c_elf_info_free).  -EINVAL (not ELF), -EBADMSG (corrupt: offsets
 * outside the buffer, unterminated strings), -E2BIG (past the caps). */
int v2c_elf_parse(const void *buf, size_t len, struct v2c_elf_info **info,
                  struct v2c_error **err);

/* Accepts NULL; returns NULL. */
struct v2c_elf_info *v2c_elf_info_free(struct v2c_elf_info *info);

/* ---- Scripts (elf.c) ---- */

#define V2C_SHEBANG_MAX 256   /* the kernel's BINPRM_BUF_SIZE */

struct v2c_shebang {
        char *interpreter;    /* "/usr/bin/env" */
        char **args;          /* ["python3", "-u"] (strv), NULL when none */
        /* The program that runs the script: the basename of the
         * interpreter, or for env the command env runs ("python3"); NULL
         * when env is given no command. */
        char *name;
};

/* Parses the "#!" line at the start of (buf, len).  Returns 1 and sets
 * *out (new) for a script, 0 when buf does not start with "#!" (*out
 * untouched), -ENOEXEC when the line is longer than V2C_SHEBANG_MAX bytes,
 * holds a NUL, or names no interpreter.  Arguments are split at blanks
 * (the kernel passes them as one; a reader means them as several), and a
 * trailing CR is dropped. */
int v2c_shebang_parse(const void *buf, size_t len, struct v2c_shebang **out,
                      struct v2c_error **err);

/* Accepts NULL; returns NULL. */
struct v2c_shebang *v2c_shebang_free(struct v2c_shebang *s);

/* ---- ld.so.conf (ldconf.c) ---- */

#define V2C_LDCONF_MAX_DEPTH 8        /* nested includes */
#define V2C_LDCONF_MAX_FILES 256      /* files read in all */
#define V2C_LDCONF_MAX_DIRS  1024
#define V2C_LDCONF_MAX_SIZE  (1024 * 1024)

/* How the parser reaches the guest's files.  Both return 0 or a negative
 * errno (setting err); on success the out-parameters are new and the
 * parser frees them. */
struct v2c_ldconf_ops {
        /* Expands a glob pattern (absolute) into the matching paths, a strv
         * (NULL when none match; order does not matter, the parser sorts
         * them as glob(3) would). */
        int (*glob)(void *ctx, const char *pattern, char ***paths, struct v2c_error **err);
        /* Reads a whole file.  -ENOENT for a missing one (skipped, as
         * ldconfig does); a file past V2C_LDCONF_MAX_SIZE is refused. */
        int (*read)(void *ctx, const char *path, char **data, size_t *len,
                    struct v2c_error **err);
};

/* Parses ld.so.conf content (data, len) read from path (used to resolve
 * relative include patterns and in messages), following `include` lines
 * through ops (NULL: includes are skipped).  A file included twice is
 * read once.  *dirs: new strv of the directories in order, duplicates
 * and relative paths dropped, normalised as v2c_ld_expand_path does,
 * "=TYPE" suffixes removed; NULL when none.  -ELOOP past V2C_LDCONF_MAX_DEPTH nested
 * includes, -E2BIG past the other caps. */
int v2c_ldconf_parse(const char *path, const char *data, size_t len,
                     const struct v2c_ldconf_ops *ops, void *ctx, char ***dirs,
                     struct v2c_error **err);

/* Reads path through ops->read and parses it as above. */
int v2c_ldconf_load(const char *path, const struct v2c_ldconf_ops *ops, void *ctx,
                    char ***dirs, struct v2c_error **err);

/* ---- Library search (ldconf.c) ---- */

/* The dynamic linker's built-in directories for an arch (as named by
 * v2c_elf_machine_arch), after the ld.so.conf ones: Debian's multiarch
 * directory first, then lib64 (where the arch uses it), then lib.  When
 * interp names musl's loader (ld-musl-*), musl's /lib:/usr/local/lib:
 * /usr/lib.  Borrowed static NULL-terminated array; never NULL. */
const char *const *v2c_ld_default_dirs(const char *arch, const char *interp);

struct v2c_ld_search {
        const char *arch;                 /* for $PLATFORM and $LIB; may be NULL */
        char *const *conf_dirs;           /* from v2c_ldconf_parse; borrowed, may be NULL */
        const char *const *default_dirs;  /* NULL: v2c_ld_default_dirs(arch, NULL) */
};

/* An object in the chain of loaders: the one whose DT_NEEDED is being
 * resolved first, then the object that loaded it, up to the executable. */
struct v2c_ld_object {
        const char *path;      /* for $ORIGIN; may be NULL (then $ORIGIN entries drop) */
        const char *rpath;     /* ignored when runpath is set, as glibc does */
        const char *runpath;
};

/* Expands a DT_RPATH/DT_RUNPATH value into directories: ':'-separated,
 * $ORIGIN (the directory of origin_path), $LIB (every candidate of the
 * arch, "lib/<triplet>" then "lib64"/"lib") and $PLATFORM substituted,
 * in ${X} form too, then normalised ("." and ".." resolved lexically, so
 * that "$ORIGIN/../lib" gives one spelling of a path).  Empty and relative
 * entries (relative to the process' working directory, unknowable here)
 * are dropped, as are $ORIGIN ones without an origin_path.  *dirs: new
 * strv, duplicates dropped, NULL when none. */
int v2c_ld_expand_path(const char *list, const char *origin_path, const char *arch,
                       char ***dirs, struct v2c_error **err);

/* Returns >0 when path exists (and is usable), 0 when not, <0 on error. */
typedef int (*v2c_ld_exists_fn)(void *ctx, const char *path);

/* Finds needed as glibc's ld.so would: a name with a '/' is a path (an
 * absolute one is checked, a relative one never found); otherwise the
 * DT_RPATH of each object of chain (chain[0] the requester; only when
 * chain[0] has no DT_RUNPATH), then chain[0]'s DT_RUNPATH, then
 * search->conf_dirs, then the default dirs; LD_LIBRARY_PATH does not
 * apply.  The first candidate exists() accepts wins.  Returns 1 and sets
 * *path (new), 0 when nothing was found, or a negative errno. */
int v2c_ld_resolve(const struct v2c_ld_search *search, const char *needed,
                   const struct v2c_ld_object *chain, size_t n_chain,
                   v2c_ld_exists_fn exists, void *ctx, char **path, struct v2c_error **err);

/* What a closure's load callback says about a candidate path. */
enum {
        V2C_LD_LOAD_ABSENT = 0,   /* no such file (or unusable): keep searching */
        V2C_LD_LOAD_FOLLOW = 1,   /* found; *info set: walk its DT_NEEDED too */
        V2C_LD_LOAD_STOP = 2,     /* found; do not recurse (e.g. a packaged library
                                   * whose dependencies come from the package
                                   * metadata); *info may be left NULL */
};

/* Reads the object at path.  Returns one of the V2C_LD_LOAD_* values or a
 * negative errno (setting err).  *info, when set, is new and the walker
 * frees it.  A candidate whose class or machine differs from the root's
 * is skipped, as ld.so skips it. */
typedef int (*v2c_ld_load_fn)(void *ctx, const char *path, struct v2c_elf_info **info,
                              struct v2c_error **err);

#define V2C_LD_MAX_OBJECTS 512
#define V2C_LD_MAX_PROBES  100000   /* load calls per closure */

struct v2c_ld_closure {
        char **paths;      /* resolved libraries, sorted, unique (strv); NULL when none */
        char **missing;    /* NEEDED names never found, sorted, unique; NULL when none */
        bool truncated;    /* a cap (objects, probes) cut the walk short */
};

/* Walks the libraries root needs, breadth first as ld.so loads them; a
 * name already loaded (by SONAME or by the name it was found as) is not
 * searched again.  root_path is the executable's path in the guest with
 * symlinks resolved (the kernel's idea of it, which $ORIGIN uses); may be
 * NULL.  root is borrowed.  max_objects: 0 means V2C_LD_MAX_OBJECTS
 * (which is also the ceiling).  The interpreter counts as loaded, under
 * the basename of PT_INTERP, and is not reported.  *out is new.  Errors
 * of load abort the walk. */
int v2c_ld_closure(const struct v2c_ld_search *search, const char *root_path,
                   const struct v2c_elf_info *root, v2c_ld_load_fn load, void *ctx,
                   size_t max_objects, struct v2c_ld_closure **out, struct v2c_error **err);

/* Accepts NULL; returns NULL. */
struct v2c_ld_closure *v2c_ld_closure_free(struct v2c_ld_closure *c);

/* ---- The guest's configuration (guest-ld.c) ---- */

struct v2c_guest;
/* The library directories of the guest's /etc/ld.so.conf (with its
 * includes), or just /usr/local/lib when it has none.  *dirs is a new
 * strv.  Returns 0 or -ENOMEM. */
int v2c_guest_ld_dirs(struct v2c_guest *g, char ***dirs);

#endif
