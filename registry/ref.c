/* Image references: HOST[:PORT]/REPO[:TAG][@sha256:HEX].
 *
 * The grammar is distribution's (reference/regexp.go) with one change: the
 * host is required.  Without it, "app:1" would silently mean Docker Hub,
 * and v2c pushes what it builds from a VM, which must never land on a
 * public registry by accident.  A reference comes from the user (command
 * line, config), so errors are usage errors that say what is wrong. */
#include "registry.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"

/* distribution: NameTotalLengthMax covers host and repository together. */
#define MAX_NAME 255
#define MAX_TAG 128
#define MAX_REF 1024   /* the whole string, before any other check */
#define DIGEST_HEX 64

static bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
static bool is_alnum(char c) { return is_lower_alnum(c) || (c >= 'A' && c <= 'Z'); }
static bool is_digit(char c) { return c >= '0' && c <= '9'; }
static bool is_hex_lower(char c) { return is_digit(c) || (c >= 'a' && c <= 'f'); }

static int ref_error(struct v2c_error **err, const char *s, const char *why)
{
        return v2c_error_set_kind(err, V2C_ERR_USAGE, EINVAL, "invalid reference `%s`: %s", s, why);
}

/* domain-component: [A-Za-z0-9] or [A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9]. */
static bool domain_component_ok(const char *s, size_t n)
{
        if (n == 0 || !is_alnum(s[0]) || !is_alnum(s[n - 1]))
                return false;
        for (size_t i = 0; i < n; i++)
                if (!is_alnum(s[i]) && s[i] != '-')
                        return false;
        return true;
}

/* Ports are digits in the grammar; a registry on port 0 or 99999 is a
 * typo, so say so here rather than as a connection error later. */
static bool port_ok(const char *s, size_t n)
{
        if (n == 0 || n > 5)
                return false;
        unsigned v = 0;
        for (size_t i = 0; i < n; i++) {
                if (!is_digit(s[i]))
                        return false;
                v = v * 10 + (unsigned) (s[i] - '0');
        }
        return v >= 1 && v <= 65535;
}

static bool ipv6_chars_ok(const char *s, size_t n)
{
        if (n < 2)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!is_hex_lower(s[i]) && !(s[i] >= 'A' && s[i] <= 'F') && s[i] != ':' && s[i] != '.')
                        return false;
        return true;
}

/* HOST[:PORT], HOST being dotted domain components or "[IPv6]". */
static bool host_ok(const char *s, size_t n)
{
        const char *colon = NULL;
        size_t hn = n;
        if (n > 0 && s[0] == '[') {
                const char *close = memchr(s, ']', n);
                if (close == NULL || !ipv6_chars_ok(s + 1, (size_t) (close - s) - 1))
                        return false;
                hn = (size_t) (close - s) + 1;
                if (hn < n) {
                        if (s[hn] != ':')
                                return false;
                        colon = s + hn;
                }
        } else {
                colon = memchr(s, ':', n);
                if (colon)
                        hn = (size_t) (colon - s);
                for (size_t i = 0; i < hn;) {
                        const char *dot = memchr(s + i, '.', hn - i);
                        size_t cn = dot ? (size_t) (dot - (s + i)) : hn - i;
                        if (!domain_component_ok(s + i, cn))
                                return false;
                        i += cn + (dot ? 1 : 0);
                        if (dot && i == hn)
                                return false;   /* trailing dot */
                }
                if (hn == 0)
                        return false;
        }
        return colon == NULL || port_ok(colon + 1, n - (size_t) (colon - s) - 1);
}

/* path-component: [a-z0-9]+ joined by separators ".", "_", "__" or "-"+. */
static bool path_component_ok(const char *s, size_t n)
{
        if (n == 0 || !is_lower_alnum(s[0]) || !is_lower_alnum(s[n - 1]))
                return false;
        for (size_t i = 0; i < n;) {
                if (is_lower_alnum(s[i])) {
                        i++;
                        continue;
                }
                size_t j = i;
                while (j < n && !is_lower_alnum(s[j]))
                        j++;
                size_t sep = j - i;
                bool ok = (sep == 1 && (s[i] == '.' || s[i] == '_')) || (sep == 2 && s[i] == '_' && s[i + 1] == '_');
                if (!ok) {
                        ok = true;
                        for (size_t k = i; k < j; k++)
                                if (s[k] != '-')
                                        ok = false;
                }
                if (!ok)
                        return false;
                i = j;
        }
        return true;
}

static bool has_upper(const char *s, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (s[i] >= 'A' && s[i] <= 'Z')
                        return true;
        return false;
}

static bool tag_ok(const char *s, size_t n)
{
        if (n == 0 || n > MAX_TAG || !(is_alnum(s[0]) || s[0] == '_'))
                return false;
        for (size_t i = 1; i < n; i++)
                if (!is_alnum(s[i]) && s[i] != '_' && s[i] != '.' && s[i] != '-')
                        return false;
        return true;
}

static bool digest_ok(const char *s, size_t n)
{
        if (n != 7 + DIGEST_HEX || memcmp(s, "sha256:", 7) != 0)
                return false;
        for (size_t i = 7; i < n; i++)
                if (!is_hex_lower(s[i]))
                        return false;
        return true;
}

int v2c_ref_parse(const char *s, struct v2c_ref *out, struct v2c_error **err)
{
        if (s == NULL || *s == '\0')
                return v2c_error_set_kind(err, V2C_ERR_USAGE, EINVAL, "empty image reference");
        size_t len = strlen(s);
        if (len > MAX_REF)
                return v2c_error_set_kind(err, V2C_ERR_USAGE, EINVAL, "image reference longer than %d bytes",
                                          MAX_REF);
        for (size_t i = 0; i < len; i++)
                if ((unsigned char) s[i] <= ' ' || (unsigned char) s[i] >= 0x7f)
                        return v2c_error_set_kind(err, V2C_ERR_USAGE, EINVAL,
                                                  "invalid reference: byte %zu is a space, a control "
                                                  "character or not ASCII", i);

        /* NAME[:TAG][@DIGEST]: the digest after the only '@', the tag after
         * a ':' that follows the last '/' (a ':' before it is a port). */
        const char *at = strchr(s, '@');
        size_t name_tag_len = at ? (size_t) (at - s) : len;
        const char *digest = at ? at + 1 : NULL;
        size_t digest_len = at ? len - name_tag_len - 1 : 0;
        if (digest && !digest_ok(digest, digest_len))
                return ref_error(err, s, strchr(digest, ':') && strncmp(digest, "sha256:", 7) != 0
                                                 ? "only sha256 digests are supported"
                                                 : "a digest is sha256: and 64 lowercase hex digits");

        const char *last_slash = NULL;
        for (const char *p = s; p < s + name_tag_len; p++)
                if (*p == '/')
                        last_slash = p;
        const char *colon = memchr(last_slash ? last_slash : s, ':',
                                   name_tag_len - (size_t) (last_slash ? last_slash - s : 0));
        size_t name_len = colon ? (size_t) (colon - s) : name_tag_len;
        const char *tag = colon ? colon + 1 : NULL;
        size_t tag_len = colon ? name_tag_len - name_len - 1 : 0;
        if (tag && !tag_ok(tag, tag_len))
                return ref_error(err, s, "a tag is [A-Za-z0-9_] then up to 127 of [A-Za-z0-9_.-]");

        const char *slash = memchr(s, '/', name_len);
        if (slash == NULL)
                return ref_error(err, s, "no registry host (write HOST/REPOSITORY, e.g. localhost:5000/app)");
        size_t host_len = (size_t) (slash - s);
        bool looks_like_host = memchr(s, '.', host_len) || memchr(s, ':', host_len) ||
                               (host_len == 9 && memcmp(s, "localhost", 9) == 0);
        if (!looks_like_host)
                return ref_error(err, s, "no registry host: the first component must hold a '.' or a ':' "
                                         "or be localhost");
        if (!host_ok(s, host_len))
                return ref_error(err, s, "malformed registry host");
        if (name_len > MAX_NAME)
                return ref_error(err, s, "name longer than 255 characters");

        const char *repo = slash + 1;
        size_t repo_len = name_len - host_len - 1;
        if (repo_len == 0)
                return ref_error(err, s, "no repository");
        if (has_upper(repo, repo_len))
                return ref_error(err, s, "repository names must be lowercase");
        for (size_t i = 0; i < repo_len;) {
                const char *sl = memchr(repo + i, '/', repo_len - i);
                size_t cn = sl ? (size_t) (sl - (repo + i)) : repo_len - i;
                if (!path_component_ok(repo + i, cn))
                        return ref_error(err, s, "repository components are [a-z0-9] joined by '.', '_', "
                                                 "'__' or dashes, separated by '/'");
                i += cn + 1;
                if (sl && i == repo_len)
                        return ref_error(err, s, "repository ends with '/'");
        }

        _cleanup_free_ char *host_s = strndup(s, host_len);
        _cleanup_free_ char *repo_s = strndup(repo, repo_len);
        _cleanup_free_ char *tag_s = tag ? strndup(tag, tag_len) : NULL;
        _cleanup_free_ char *digest_s = digest ? strndup(digest, digest_len) : NULL;
        if (!host_s || !repo_s || (tag && !tag_s) || (digest && !digest_s))
                return v2c_error_set(err, ENOMEM, "out of memory");
        *out = (struct v2c_ref) {
                .host = TAKE_PTR(host_s),
                .repo = TAKE_PTR(repo_s),
                .tag = TAKE_PTR(tag_s),
                .digest = TAKE_PTR(digest_s),
        };
        return 0;
}

void v2c_ref_release(struct v2c_ref *r)
{
        if (r == NULL)
                return;
        free(r->host);
        free(r->repo);
        free(r->tag);
        free(r->digest);
        *r = (struct v2c_ref) { 0 };
}

char *v2c_ref_pinned(const struct v2c_ref *r, const char *digest)
{
        if (digest == NULL)
                digest = r->digest;
        if (digest == NULL) {
                errno = EINVAL;
                return NULL;
        }
        char *s = NULL;
        if (asprintf(&s, "%s/%s@%s", r->host, r->repo, digest) < 0)
                return NULL;
        return s;
}
