/* Image references and digests: see ref.h.
 *
 * A reference comes from the user (command line, playbook, config), so the
 * checks say which rule is broken, in a fixed order, and v2c_ref_parse's
 * errors are usage errors that say what is wrong. */
#include "ref.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "text.h"

static bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
static bool is_alnum(char c) { return is_lower_alnum(c) || (c >= 'A' && c <= 'Z'); }
static bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool v2c_digest_valid_n(const char *s, size_t n)
{
        return n == V2C_DIGEST_LEN && memcmp(s, V2C_DIGEST_PREFIX, 7) == 0 &&
               v2c_is_lower_hex(s + 7, V2C_DIGEST_HEX_LEN);
}

bool v2c_digest_valid(const char *s)
{
        return s != NULL && v2c_digest_valid_n(s, strnlen(s, V2C_DIGEST_LEN + 1));
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
                if (!v2c_is_hex_digit(s[i]) && s[i] != ':' && s[i] != '.')
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
        if (n == 0 || n > V2C_REF_TAG_MAX || !(is_alnum(s[0]) || s[0] == '_'))
                return false;
        for (size_t i = 1; i < n; i++)
                if (!is_alnum(s[i]) && s[i] != '_' && s[i] != '.' && s[i] != '-')
                        return false;
        return true;
}

static enum v2c_ref_problem check(const char *s, unsigned flags, struct v2c_ref_spans *sp)
{
        if (s == NULL || *s == '\0')
                return V2C_REF_EMPTY;
        size_t len = strnlen(s, V2C_REF_MAX + 1);
        if (len > V2C_REF_MAX)
                return V2C_REF_TOO_LONG;

        /* NAME[:TAG][@DIGEST]: the digest after the first '@', the tag
         * after a ':' that follows the last '/' (a ':' before it is a
         * port). */
        const char *at = memchr(s, '@', len);
        size_t name_tag_len = at ? (size_t) (at - s) : len;
        sp->has_digest = at != NULL;
        sp->digest_off = at ? name_tag_len + 1 : 0;
        sp->digest_len = at ? len - name_tag_len - 1 : 0;
        const char *last_slash = NULL;
        for (const char *p = s; p < s + name_tag_len; p++)
                if (*p == '/')
                        last_slash = p;
        const char *colon = memchr(last_slash ? last_slash : s, ':',
                                   name_tag_len - (size_t) (last_slash ? last_slash - s : 0));
        sp->name_len = colon ? (size_t) (colon - s) : name_tag_len;
        sp->tag_off = colon ? sp->name_len + 1 : 0;
        sp->tag_len = colon ? name_tag_len - sp->name_len - 1 : 0;
        bool has_tag = colon != NULL;

        if ((flags & V2C_REF_PINNED) && at == NULL)
                return V2C_REF_NOT_PINNED;
        for (size_t i = 0; i < len && !(flags & V2C_REF_BYTE_IN_PART); i++)
                if ((unsigned char) s[i] <= ' ' || (unsigned char) s[i] >= 0x7f) {
                        sp->bad_byte = i;
                        return V2C_REF_BAD_BYTE;
                }
        if (at && !v2c_digest_valid_n(s + sp->digest_off, sp->digest_len))
                return strncmp(s + sp->digest_off, V2C_DIGEST_PREFIX, 7) != 0 ? V2C_REF_DIGEST_NOT_SHA256
                                                                                : V2C_REF_DIGEST_HEX;
        if (!(flags & V2C_REF_PINNED) && has_tag && !tag_ok(s + sp->tag_off, sp->tag_len))
                return V2C_REF_BAD_TAG;

        const char *slash = memchr(s, '/', sp->name_len);
        if (slash == NULL)
                return V2C_REF_NO_HOST;
        size_t host_len = (size_t) (slash - s);
        sp->host_len = host_len;
        bool looks_like_host = memchr(s, '.', host_len) || memchr(s, ':', host_len) ||
                               (host_len == 9 && memcmp(s, "localhost", 9) == 0);
        if (!looks_like_host)
                return V2C_REF_NOT_A_HOST;
        if (!host_ok(s, host_len))
                return V2C_REF_BAD_HOST;
        if ((flags & V2C_REF_PINNED) && has_tag)
                return V2C_REF_HAS_TAG;
        if (sp->name_len > V2C_REF_NAME_MAX)
                return V2C_REF_NAME_TOO_LONG;

        const char *repo = slash + 1;
        size_t repo_len = sp->name_len - host_len - 1;
        sp->repo_off = host_len + 1;
        sp->repo_len = repo_len;
        if (repo_len == 0)
                return V2C_REF_NO_REPO;
        if (has_upper(repo, repo_len))
                return V2C_REF_REPO_UPPER;
        for (size_t i = 0; i < repo_len;) {
                const char *sl = memchr(repo + i, '/', repo_len - i);
                size_t cn = sl ? (size_t) (sl - (repo + i)) : repo_len - i;
                if (!path_component_ok(repo + i, cn))
                        return V2C_REF_BAD_REPO;
                i += cn + 1;
                if (sl && i == repo_len)
                        return V2C_REF_REPO_SLASH;
        }
        return V2C_REF_OK;
}

enum v2c_ref_problem v2c_ref_check(const char *s, unsigned flags, struct v2c_ref_spans *sp)
{
        struct v2c_ref_spans ignored;
        if (sp == NULL)
                sp = &ignored;
        *sp = (struct v2c_ref_spans) { 0 };
        return check(s, flags, sp);
}

static int ref_error(struct v2c_error **err, const char *s, const char *why)
{
        return v2c_error_set_kind(err, V2C_ERR_USAGE, EINVAL, "invalid reference `%s`: %s", s, why);
}

/* The registry's wording of each problem (what `v2c push` and `v2c pull`
 * have always said). */
static int parse_error(enum v2c_ref_problem p, const char *s, const struct v2c_ref_spans *sp,
                       struct v2c_error **err)
{
        switch (p) {
        case V2C_REF_OK:
                break;
        case V2C_REF_EMPTY:
                return v2c_error_set_kind(err, V2C_ERR_USAGE, EINVAL, "empty image reference");
        case V2C_REF_TOO_LONG:
                return v2c_error_set_kind(err, V2C_ERR_USAGE, EINVAL, "image reference longer than %d bytes",
                                          V2C_REF_MAX);
        case V2C_REF_BAD_BYTE:
                return v2c_error_set_kind(err, V2C_ERR_USAGE, EINVAL,
                                          "invalid reference: byte %zu is a space, a control "
                                          "character or not ASCII", sp->bad_byte);
        case V2C_REF_DIGEST_NOT_SHA256:
                if (memchr(s + sp->digest_off, ':', sp->digest_len))
                        return ref_error(err, s, "only sha256 digests are supported");
                /* fall through */
        case V2C_REF_DIGEST_HEX:
                return ref_error(err, s, "a digest is sha256: and 64 lowercase hex digits");
        case V2C_REF_BAD_TAG:
                return ref_error(err, s, "a tag is [A-Za-z0-9_] then up to 127 of [A-Za-z0-9_.-]");
        case V2C_REF_NO_HOST:
                return ref_error(err, s, "no registry host (write HOST/REPOSITORY, e.g. localhost:5000/app)");
        case V2C_REF_NOT_A_HOST:
                return ref_error(err, s, "no registry host: the first component must hold a '.' or a ':' "
                                         "or be localhost");
        case V2C_REF_BAD_HOST:
                return ref_error(err, s, "malformed registry host");
        case V2C_REF_NAME_TOO_LONG:
                return ref_error(err, s, "name longer than 255 characters");
        case V2C_REF_NO_REPO:
                return ref_error(err, s, "no repository");
        case V2C_REF_REPO_UPPER:
                return ref_error(err, s, "repository names must be lowercase");
        case V2C_REF_BAD_REPO:
                return ref_error(err, s, "repository components are [a-z0-9] joined by '.', '_', "
                                         "'__' or dashes, separated by '/'");
        case V2C_REF_REPO_SLASH:
                return ref_error(err, s, "repository ends with '/'");
        case V2C_REF_NOT_PINNED:
        case V2C_REF_HAS_TAG:
                break;  /* only with V2C_REF_PINNED, which v2c_ref_parse does not ask */
        }
        return ref_error(err, s, "not a valid reference");
}

int v2c_ref_parse(const char *s, struct v2c_ref *out, struct v2c_error **err)
{
        struct v2c_ref_spans sp;
        enum v2c_ref_problem p = v2c_ref_check(s, 0, &sp);
        if (p != V2C_REF_OK)
                return parse_error(p, s, &sp, err);

        _cleanup_free_ char *host_s = strndup(s, sp.host_len);
        _cleanup_free_ char *repo_s = strndup(s + sp.repo_off, sp.repo_len);
        _cleanup_free_ char *tag_s = sp.tag_off ? strndup(s + sp.tag_off, sp.tag_len) : NULL;
        _cleanup_free_ char *digest_s = sp.has_digest ? strndup(s + sp.digest_off, sp.digest_len) : NULL;
        if (!host_s || !repo_s || (sp.tag_off && !tag_s) || (sp.has_digest && !digest_s))
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

char *v2c_ref_format_pinned(const struct v2c_ref *r, const char *digest)
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

static bool repo_sep(char c)
{
        return c == '.' || c == '_' || c == '-';
}

char *v2c_ref_repo_component(const char *name)
{
        size_t n = strlen(name);
        char *out = malloc(n + sizeof "image");
        if (out == NULL)
                return NULL;
        size_t w = 0;
        for (size_t i = 0; i < n;) {
                char c = name[i];
                if (c >= 'A' && c <= 'Z')
                        c = (char) (c - 'A' + 'a');
                if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
                        out[w++] = c;
                        i++;
                        continue;
                }
                /* A run of separators (any other byte counts as '-'). */
                size_t j = i, dashes = 0, others = 0;
                for (; j < n; j++) {
                        char d = name[j];
                        bool alnum = (d >= 'a' && d <= 'z') || (d >= 'A' && d <= 'Z') || (d >= '0' && d <= '9');
                        if (alnum)
                                break;
                        if (repo_sep(d) && d != '-')
                                others++;
                        else
                                dashes++;
                }
                size_t len = j - i;
                /* Kept when the grammar allows it: ".", "_", "__", "-+". */
                bool keep = (others == 0) || (dashes == 0 && (len == 1 || (len == 2 && name[i] == '_' &&
                                                                           name[i + 1] == '_')));
                if (w > 0 && j < n) {
                        if (others == 0)
                                for (size_t k = 0; k < len; k++)
                                        out[w++] = '-';
                        else if (keep)
                                for (size_t k = 0; k < len; k++)
                                        out[w++] = name[i + k];
                        else
                                out[w++] = '-';
                }
                i = j;
        }
        if (w == 0)
                memcpy(out, "image", sizeof "image");
        else
                out[w] = '\0';
        return out;
}
