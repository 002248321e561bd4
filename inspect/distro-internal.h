/* The distribution of a guest without os-release: the release files of
 * the RHEL family (/etc/redhat-release, /etc/centos-release,
 * /etc/system-release: "CentOS release 6.10 (Final)") and of SUSE before
 * os-release (/etc/SuSE-release: a product line, then "VERSION = 11" and
 * "PATCHLEVEL = 4").  Pure: the caller reads the file and passes (data,
 * len), not NUL-terminated, from an untrusted disk; only the first 4 KiB
 * are looked at.
 */
#ifndef V2C_INSPECT_DISTRO_INTERNAL_H
#define V2C_INSPECT_DISTRO_INTERNAL_H

#include <stddef.h>

/* What a release file says.  Members new (free with v2c_distro_release),
 * each NULL when the file does not say it. */
struct v2c_distro {
        char *id;          /* os-release's ID for it: "centos", "rhel", "sles"... */
        char *version;     /* "6.10", "7.9.2009", "11.4" */
        char *pretty_name; /* the product line as written */
        char **id_like;    /* os-release's ID_LIKE for it: {"rhel", "fedora"} */
};

void v2c_distro_release(struct v2c_distro *d);

/* Parses a RHEL-family release line.  Returns 0, 1 when the text names no
 * distribution this knows (D untouched), or -ENOMEM. */
int v2c_distro_parse_redhat(const char *data, size_t len, struct v2c_distro *d);

/* Parses /etc/SuSE-release.  Same returns. */
int v2c_distro_parse_suse(const char *data, size_t len, struct v2c_distro *d);

/* Splits os-release's ID_LIKE value ("rhel centos fedora") into a new
 * strv of at most 16 words (NULL when empty), or returns -ENOMEM. */
int v2c_distro_split_like(const char *value, char ***out);

#endif
