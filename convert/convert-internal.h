/* What the parts of convert share; not part of the API.
 *
 * collect.c gathers the files of an image into one tree per layer: each
 * node is what one tar entry will be (guest metadata, and where its bytes
 * come from: a guest path or generated data).  Symlinks on the way to a
 * file are kept as symlinks and their targets followed inside the guest,
 * so a merged-/usr guest stays merged in the image.  A regular file or
 * symlink lands in the lowest layer that asks for it; directories repeat
 * in every layer that has something below them. */
#ifndef V2C_CONVERT_INTERNAL_H
#define V2C_CONVERT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "convert.h"
#include "layer.h"

enum { LAYER_BASE, LAYER_PACKAGES, LAYER_CONFIG, LAYER_APP, N_LAYERS };

/* Caps on what a guest can make one conversion hold. */
#define CONVERT_MAX_NODES 4000000u
#define CONVERT_MAX_DEPTH 40

/* A set of strings with optional values; keys and values are owned. */
struct strmap {
        char **keys;
        char **vals;
        size_t n, cap;    /* cap is a power of two, or 0 */
};
int strmap_put(struct strmap *m, const char *key, const char *val);  /* 1 added, 0 already there, <0 */
const char *strmap_get(const struct strmap *m, const char *key, bool *found);
void strmap_release(struct strmap *m);

struct cnode {
        char *path;             /* image path, relative: "usr/bin/env" */
        enum v2c_layer_type type;
        uint32_t mode, uid, gid;
        int64_t mtime;
        uint64_t size;
        uint64_t ino;           /* hardlink identity in the guest, 0 when single */
        char *link;             /* symlink target as stored */
        char *guest;            /* regular file read from the guest */
        char *data;             /* or generated content */
        bool excluded;          /* a secret: left out when the layer is written */
};

struct ctree {
        struct cnode *v;
        size_t n, cap;
        struct strmap index;    /* path -> present */
};

/* Flags of col_add. */
enum {
        COL_RECURSIVE = 1 << 0,   /* a directory's whole tree */
        COL_FILTER = 1 << 1,      /* apply the service-image filters (docs, man pages, init, ...) */
};

struct col {
        struct v2c_guest *g;
        enum v2c_convert_mode mode;
        struct ctree trees[N_LAYERS];
        struct strmap claimed;     /* image paths of files and links already placed */
        struct strmap visited;     /* "LAYER:FLAGS:path" already walked */
        char **secrets;            /* canonical guest paths left out */
        /* A secret is a file, not a path (col_guard_init, col_screen). */
        struct strmap secret_ids;  /* "dev:ino" of secret files -> the path that made them secret */
        struct strmap shadow_ids;  /* "dev:ino" of /etc/shadow, /etc/gshadow and backups -> that path */
        char **check_paths;        /* looked at whatever their name: the services' config and env files */
        char *const *keep;         /* --include-secret paths (borrowed) */
        char **excluded;           /* "PATH: why" for what this image's screening left out or cleaned */
        char **excluded_base;      /* the same for the shared base layer */
        char **warnings;
        size_t nodes;
        /* System mode: which layer an unclaimed path belongs to. */
        int (*classify)(void *ctx, const char *path);
        void *classify_ctx;
};

void col_init(struct col *c, struct v2c_guest *g, enum v2c_convert_mode mode);
void col_release(struct col *c);
/* Empties the per-service layers (everything but base) for the next image. */
void col_reset_service(struct col *c);
/* Adds guest PATH (any spelling: symlinks are resolved inside the guest,
 * and kept) to LAYER.  A missing path is not an error.  Returns 0 or a
 * negative errno with ERR set. */
int col_add(struct col *c, int layer, const char *path, unsigned flags, struct v2c_error **err);
/* Adds a directory PATH (canonical) that the service needs at run time;
 * taken from the guest when it has it, else made with MODE/UID/GID. */
int col_add_dir(struct col *c, int layer, const char *path, uint32_t mode, uint32_t uid, uint32_t gid,
                struct v2c_error **err);
/* Adds generated content at PATH (canonical); DATA is copied. */
int col_add_data(struct col *c, int layer, const char *path, const void *data, size_t len, uint32_t mode,
                 int64_t mtime, struct v2c_error **err);
/* Adds a symlink PATH -> TARGET (canonical PATH). */
int col_add_symlink(struct col *c, int layer, const char *path, const char *target, struct v2c_error **err);
/* Records the files of the secrets PATHS (guest paths, any spelling) by
 * identity, and those of /etc/shadow and /etc/gshadow.  Returns 0 or a
 * negative errno with ERR set. */
int col_guard_init(struct col *c, char *const *paths, struct v2c_error **err);
/* Checks every regular file of layers FIRST..LAST read from the guest,
 * before they are written: a name of a known secret's file, or a file the
 * secret rules (common/secrets.h) find a secret in, is left out; a name of
 * /etc/shadow or /etc/gshadow goes in with its password fields blanked.
 * Each case gets a line in c->excluded and a warning.  Returns 0 or a
 * negative errno with ERR set. */
int col_screen(struct col *c, int first, int last, struct v2c_error **err);
/* Appends to *paths the guest paths of the regular files of layers
 * FIRST..LAST read from the guest.  Returns 0 or -ENOMEM. */
int col_guest_files(const struct col *c, int first, int last, char ***paths);
/* True when guest PATH is left out of service images by the filters. */
bool col_filtered(const char *path);
/* Writes tree LAYER as a layer blob into BLOBS_DIR; *files gets the
 * number of entries.  An empty tree writes nothing and returns 1. */
int col_write(struct col *c, int layer, const char *blobs_dir, const struct v2c_layer_options *opt,
              struct v2c_layer_result *res, size_t *files, struct v2c_error **err);

/* accounts.c: the guest's account files, parsed from untrusted bytes. */
struct account {
        char name[256];
        uint32_t uid, gid;
        bool found;
};
/* Looks NAME (or a numeric id) up in passwd- or group-format DATA
 * (NUL-terminated; may be NULL). */
bool convert_lookup_account(const char *data, const char *name, struct account *a);
/* The lines of passwd/group DATA an image keeps: ids below 1000, nobody
 * (65534), and KEEP_NAME or KEEP_ID (-1: none).  New string, NULL on ENOMEM. */
char *convert_filter_accounts(const char *data, const char *keep_name, long keep_id);
/* /etc/shadow or gshadow DATA with every password field made "*".  New
 * string, NULL on ENOMEM. */
char *convert_sanitize_shadow(const char *data);

/* scripts.c: what a service's scripts need, from untrusted guest bytes. */
/* The programs shell script DATA (LEN bytes) runs, as literal names or
 * absolute paths (no builtins, keywords, its own functions or words with
 * expansions), in *COMMANDS, and the absolute files it sources ('.',
 * "source") in *SOURCED; at most MAX of each.  Either may be NULL when
 * empty.  Returns 0 or -ENOMEM with ERR set. */
int convert_sh_scan(const char *data, size_t len, size_t max, char ***commands, char ***sourced,
                    struct v2c_error **err);

/* A directory that a tmpfiles.d 'd' or 'D' line declares under /run,
 * /var/run, /var/lib, /var/log or /var/cache: normalized path, mode, and
 * owner names as written ("" for root). */
struct convert_tmpdir {
        char *path;
        unsigned mode;
        char user[256], group[256];
};
/* The directories tmpfiles.d DATA (LEN bytes) declares, at most MAX, the
 * first line for a path winning; other types, specifiers ("%"), lines
 * longer than 4 KiB and bad modes are skipped.  Returns 0 or -ENOMEM. */
int convert_tmpfiles_parse(const char *data, size_t len, size_t max, struct convert_tmpdir **out, size_t *n_out,
                           struct v2c_error **err);
void convert_tmpfiles_free(struct convert_tmpdir *d, size_t n);

/* hosts.c: the guest's /etc/hosts, left out of every image. */
/* What every image holds as /etc/hosts instead: the loopback names. */
extern const char convert_neutral_hosts[];
/* The lines of hosts-format DATA (LEN bytes) that name other machines: an
 * address (hex digits, '.', ':', '%' only) that is not loopback
 * (127.0.0.0/8, ::1), IPv6 multicast (ff00::/8) nor fe00::, then names
 * ([A-Za-z0-9._-] only; a line of other bytes is no entry), none of them
 * the guest's own (HOSTNAME, or its first label either way round;
 * HOSTNAME may be NULL).  Each as
 * "ADDRESS NAME..." (one space between fields, the comment cut), in the
 * file's order; the first MAX in *lines (new; NULL when none), all of them
 * counted in *total.  Lines longer than 4 KiB are skipped.  Returns 0 or
 * -ENOMEM with ERR set. */
int convert_hosts_foreign(const char *data, size_t len, const char *hostname, size_t max, char ***lines,
                          size_t *total, struct v2c_error **err);

/* verify.c: the hex digest of the config of image REF in the layout at
 * LAYOUT (podman's ID of the image it pulls from there), as a new string;
 * NULL when the layout does not tell it: no such image, or a manifest that
 * does not match its digest. */
char *convert_layout_config_id(const char *layout, const char *ref);

#endif
