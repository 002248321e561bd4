/* Image references and digests: the one grammar every module checks them
 * with (registry's push and pull, convert's --base, rollout's playbook and
 * engine).
 *
 * A reference is HOST[:PORT]/REPO[:TAG][@sha256:HEX]: distribution's
 * grammar (reference/regexp.go) with the host required.  Without it,
 * "app:1" would silently mean Docker Hub, and v2c pushes what it builds
 * from a VM, which must never land on a public registry by accident.
 * A digest is "sha256:" and 64 lowercase hex digits, nothing else: v2c
 * writes and checks sha256 only, and a digest names a file under
 * blobs/sha256/, so a looser check would let "../" through.
 *
 * v2c_ref_check() is the grammar: pure, it allocates nothing and says
 * which rule a string breaks first.  Callers that word their own messages
 * (the playbook's diagnostics, the engine client) map its answer;
 * v2c_ref_parse() words the registry's. */
#ifndef V2C_REF_H
#define V2C_REF_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

#define V2C_DIGEST_PREFIX "sha256:"
#define V2C_DIGEST_HEX_LEN 64
#define V2C_DIGEST_LEN (7 + V2C_DIGEST_HEX_LEN)     /* "sha256:" + 64 hex */
#define V2C_REF_MAX 1024        /* the whole string, checked before anything else */
#define V2C_REF_NAME_MAX 255    /* distribution's NameTotalLengthMax: host and repository */
#define V2C_REF_TAG_MAX 128

/* S[0..N) is "sha256:" and 64 lowercase hex digits. */
bool v2c_digest_valid_n(const char *s, size_t n);
/* The NUL-terminated S is a valid digest; false for NULL. */
bool v2c_digest_valid(const char *s);

/* What v2c_ref_check found wrong first, in this order. */
enum v2c_ref_problem {
        V2C_REF_OK = 0,
        V2C_REF_EMPTY,                  /* NULL or "" */
        V2C_REF_TOO_LONG,               /* over V2C_REF_MAX bytes */
        V2C_REF_BAD_BYTE,               /* a space, a control character or not ASCII (at ->bad_byte);
                                         * not with V2C_REF_BYTE_IN_PART */
        V2C_REF_NOT_PINNED,             /* V2C_REF_PINNED and no digest (->tag_len says if a tag stands instead) */
        V2C_REF_DIGEST_NOT_SHA256,      /* the digest does not start with "sha256:" */
        V2C_REF_DIGEST_HEX,             /* "sha256:" but not 64 lowercase hex after it */
        V2C_REF_BAD_TAG,                /* not [A-Za-z0-9_][A-Za-z0-9_.-]{0,127} */
        V2C_REF_NO_HOST,                /* no '/': a bare name */
        V2C_REF_NOT_A_HOST,             /* the first component holds no '.' nor ':' and is not localhost */
        V2C_REF_BAD_HOST,               /* a malformed host or port (0, over 65535, not digits) */
        V2C_REF_HAS_TAG,                /* V2C_REF_PINNED and a tag as well as the digest */
        V2C_REF_NAME_TOO_LONG,          /* host and repository over V2C_REF_NAME_MAX */
        V2C_REF_NO_REPO,                /* "HOST/" */
        V2C_REF_REPO_UPPER,             /* an uppercase letter in the repository */
        V2C_REF_BAD_REPO,               /* a component not [a-z0-9] joined by '.', '_', "__" or dashes */
        V2C_REF_REPO_SLASH,             /* the repository ends with '/' */
};

enum {
        /* A digest required, a tag refused: what a rollout pulls must not
         * change under it, and an engine given a tag would pull every tag
         * of the repository or resolve short names its own way. */
        V2C_REF_PINNED = 1 << 0,
        /* No V2C_REF_BAD_BYTE: a space, a control character or a byte
         * that is not ASCII is reported as a problem of the part it stands
         * in (every part's own grammar refuses them), for callers whose
         * messages name the part. */
        V2C_REF_BYTE_IN_PART = 1 << 1,
};

/* Where the parts of a checked reference lie in it: offsets and lengths
 * into the string given (a length of 0: absent).  Filled as far as the
 * check went, also when it fails. */
struct v2c_ref_spans {
        size_t name_len;                /* "HOST/REPO" from offset 0 */
        size_t host_len;                /* "HOST[:PORT]" from offset 0 */
        size_t repo_off, repo_len;
        size_t tag_off, tag_len;
        size_t digest_off, digest_len;  /* after the first '@' */
        bool has_digest;                /* an '@' (digest_len may still be 0) */
        size_t bad_byte;                /* with V2C_REF_BAD_BYTE */
};

/* Checks S against the grammar (FLAGS: V2C_REF_PINNED, V2C_REF_BYTE_IN_PART).  Pure; SP may be
 * NULL. */
enum v2c_ref_problem v2c_ref_check(const char *s, unsigned flags, struct v2c_ref_spans *sp);

/* A parsed reference (all strings owned). */
struct v2c_ref {
        char *host;     /* "127.0.0.1:5000", "registry.example.com"; required (no implicit docker.io) */
        char *repo;     /* "team/app": lowercase [a-z0-9] components joined by . _ __ - and / */
        char *tag;      /* NULL when absent; [A-Za-z0-9_][A-Za-z0-9._-]{0,127} */
        char *digest;   /* NULL when absent; "sha256:" + 64 lowercase hex */
};

/* Parses S (v2c_ref_check with FLAGS 0).  Kind V2C_ERR_USAGE on a
 * malformed reference, with a message saying what is wrong ("invalid
 * reference `S`: ...").  *out is filled only on success (release with
 * v2c_ref_release). */
int v2c_ref_parse(const char *s, struct v2c_ref *out, struct v2c_error **err);
void v2c_ref_release(struct v2c_ref *r);
/* Builds "HOST/REPO@DIGEST" (new), the tag dropped; DIGEST NULL means R's
 * own.  NULL on ENOMEM, or with errno EINVAL when there is no digest at
 * all.  (It builds a pinned reference; V2C_REF_PINNED checks one.) */
char *v2c_ref_format_pinned(const struct v2c_ref *r, const char *digest);

/* NAME (an image's name in a layout: a service's, any bytes) as one
 * repository path component: lowercase, bytes outside [a-z0-9._-] made
 * '-', a run of separators other than ".", "_", "__" or dashes made one
 * '-', none at either end, "image" when nothing is left.  New string, or
 * NULL when out of memory. */
char *v2c_ref_repo_component(const char *name);

#endif
