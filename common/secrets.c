/* Secret detectors; see secrets-internal.h.
 *
 * Each detector is a linear scan of (data, len) that answers yes or no and
 * keeps nothing of what it read, so a secret's value cannot leak through
 * the results, the error messages or a later use-after-free.  The only
 * strings that leave this file are variable names.
 */
#include "secrets.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cleanup.h"
#include "text.h"
#include "strv.h"

/* ASCII classes of our own: <ctype.h> depends on the locale and is
 * undefined for negative chars. */
static bool is_digit(char c) { return c >= '0' && c <= '9'; }
static bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
static bool is_lower(char c) { return c >= 'a' && c <= 'z'; }
static bool is_alnum(char c) { return is_digit(c) || is_upper(c) || is_lower(c); }
static char to_upper(char c) { return is_lower(c) ? (char) (c - 'a' + 'A') : c; }

static bool ends_with(const char *s, size_t n, const char *lit)
{
        size_t l = strlen(lit);
        return n >= l && memcmp(s + n - l, lit, l) == 0;
}

static bool ends_with_ci(const char *s, size_t n, const char *lit)
{
        size_t l = strlen(lit);
        return n >= l && strncasecmp(s + n - l, lit, l) == 0;
}

/* memmem for a literal, without case. */
static const char *find_ci(const char *s, size_t n, const char *lit)
{
        size_t l = strlen(lit);
        for (size_t i = 0; l <= n && i <= n - l; i++)
                if (strncasecmp(s + i, lit, l) == 0)
                        return s + i;
        return NULL;
}

/* The last word of a config key: after the last '_', '.', '-' or
 * lower-to-upper change ("masterPassword" -> "Password"). */
static void last_word(const char *k, size_t n, const char **w, size_t *wl)
{
        size_t start = 0;
        for (size_t i = 1; i < n; i++)
                if (k[i - 1] == '_' || k[i - 1] == '.' || k[i - 1] == '-' ||
                    (k[i - 1] >= 'a' && k[i - 1] <= 'z' && k[i] >= 'A' && k[i] <= 'Z'))
                        start = i;
        *w = k + start;
        *wl = n - start;
}

/* "passwd: files systemd" in nsswitch.conf names the passwd database and
 * the services that answer for it: every word is a service or an action. */
static bool is_nss_sources(const char *v, size_t n)
{
        static const char *const sources[] = {
                "files", "compat", "systemd", "db", "nis", "nisplus", "ldap", "sss", "winbind",
                "extrausers", "cache", "hesiod", "altfiles", "mymachines", "resolve", "myhostname",
                "dns", "usrfiles", "oslogin",
        };
        bool any = false;
        for (size_t i = 0; i < n;) {
                while (i < n && v2c_is_blank(v[i]))
                        i++;
                if (i >= n)
                        break;
                size_t start = i;
                if (v[i] == '[') {
                        const char *close = memchr(v + i, ']', n - i);
                        if (close == NULL)
                                return false;
                        i = (size_t) (close - v) + 1;
                        continue;
                }
                while (i < n && !v2c_is_blank(v[i]))
                        i++;
                bool known = false;
                for (size_t k = 0; k < V2C_ARRAY_SIZE(sources); k++)
                        known |= v2c_span_eq(v + start, i - start, sources[k]);
                if (!known)
                        return false;
                any = true;
        }
        return any;
}

/* A line "KEY VALUE" (no '=' or ':') gives a setting one value: one word,
 * or one quoted string.  More words after the key are another grammar:
 * a PAM rule ("password  required  pam_unix.so", "password include su"),
 * a command ("passwd -d root") or prose in a comment block. */
static bool one_word(const char *v, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (v2c_is_blank(v[i]))
                        return false;
        return true;
}

static bool config_password_line(const char *s, size_t n)
{
        size_t i = 0;
        while (i < n && (s[i] == ' ' || s[i] == '\t'))
                i++;
        size_t k0 = i;
        while (i < n && (isalnum((unsigned char) s[i]) || s[i] == '_' || s[i] == '.' || s[i] == '-'))
                i++;
        size_t kl = i - k0;
        if (kl == 0 || kl > 128)
                return false;
        const char *key = s + k0;
        while (i < n && (s[i] == ' ' || s[i] == '\t'))
                i++;
        bool separator = i < n && (s[i] == '=' || s[i] == ':');
        if (separator)
                i++;
        else if (i == k0 + kl)
                return false;   /* "KEY" glued to something else */
        while (i < n && (s[i] == ' ' || s[i] == '\t'))
                i++;
        const char *v = s + i;
        size_t vl = n - i;
        while (vl > 0 && (v[vl - 1] == ' ' || v[vl - 1] == '\t' || v[vl - 1] == '\r' || v[vl - 1] == ';'))
                vl--;
        bool quoted = vl >= 2 && (v[0] == '"' || v[0] == '\'') && v[vl - 1] == v[0];
        if (quoted) {
                v++;
                vl -= 2;
        }
        if (vl == 0 || v[0] == '#' || v[0] == '$' || v2c_span_eq_ci(v, vl, "yes") || v2c_span_eq_ci(v, vl, "no") ||
            v2c_span_eq_ci(v, vl, "true") || v2c_span_eq_ci(v, vl, "false") || v2c_span_eq_ci(v, vl, "on") || v2c_span_eq_ci(v, vl, "off"))
                return false;
        if (!separator && !quoted && !one_word(v, vl))
                return false;
        if (is_nss_sources(v, vl))
                return false;
        if (v2c_span_eq_ci(key, kl, "requirepass") || v2c_span_eq_ci(key, kl, "masterauth"))
                return true;
        const char *w;
        size_t wl;
        last_word(key, kl, &w, &wl);
        return v2c_span_eq_ci(w, wl, "password") || v2c_span_eq_ci(w, wl, "passwd") || v2c_span_eq_ci(w, wl, "passphrase") ||
               v2c_span_eq_ci(w, wl, "secret");
}

static bool has_config_password(const char *s, size_t len)
{
        for (size_t i = 0; i < len;) {
                const char *e = memchr(s + i, '\n', len - i);
                size_t n = e ? (size_t) (e - (s + i)) : len - i;
                if (n > 0 && s[i] != '#' && s[i] != ';' && config_password_line(s + i, n))
                        return true;
                i += n + 1;
        }
        return false;
}

/* ------------------------------------------------------------------------
 * Kinds
 */

static const char *const kind_names[V2C_SECRET_KIND_COUNT] = {
        "private-key", "ssh-host-key", "aws-credentials", "aws-access-key-id",
        "gcp-service-account", "env-secret", "pgpass", "netrc", "htpasswd", "config-password",
};

const char *v2c_secret_kind_name(unsigned kind)
{
        for (unsigned i = 0; i < V2C_SECRET_KIND_COUNT; i++)
                if (kind == 1u << i)
                        return kind_names[i];
        return NULL;
}

unsigned v2c_secret_kinds_reported(unsigned mask)
{
        static const unsigned specific = V2C_SECRET_SSH_HOST_KEY | V2C_SECRET_AWS_CREDENTIALS |
                                         V2C_SECRET_GCP_SERVICE_ACCOUNT | V2C_SECRET_PGPASS | V2C_SECRET_NETRC |
                                         V2C_SECRET_HTPASSWD;
        if (mask & specific)
                mask &= specific;
        if (mask & V2C_SECRET_ENV)
                mask &= ~(unsigned) V2C_SECRET_CONFIG_PASSWORD;
        return mask;
}

int v2c_secret_kind_names(unsigned kinds, char ***ret, struct v2c_error **err)
{
        _cleanup_strv_ char **names = NULL;
        for (unsigned i = 0; i < V2C_SECRET_KIND_COUNT; i++)
                if ((kinds & (1u << i)) && v2c_strv_push(&names, kind_names[i]) < 0)
                        return v2c_error_set(err, ENOMEM, "out of memory");
        *ret = TAKE_PTR(names);
        return 0;
}

/* ------------------------------------------------------------------------
 * Paths
 */

/* Last component of path[0..n), and the directory before it. */
static void split_path(const char *path, size_t n, const char **base, size_t *base_len,
                       size_t *dir_len)
{
        const char *slash = NULL;
        for (size_t i = n; i > 0; i--)
                if (path[i - 1] == '/') {
                        slash = path + i - 1;
                        break;
                }
        *base = slash ? slash + 1 : path;
        *base_len = n - (size_t) (*base - path);
        *dir_len = slash ? (size_t) (slash - path) : 0;
}

/* Whether dir[0..n) ends with the components of want ("etc/ssh" matches
 * "/etc/ssh" and "/sysroot/etc/ssh", not "/etc/openssh"). */
static bool dir_ends_with(const char *dir, size_t n, const char *want)
{
        size_t l = strlen(want);
        if (n < l || memcmp(dir + n - l, want, l) != 0)
                return false;
        return n == l || dir[n - l - 1] == '/';
}

static bool has_dir_component(const char *dir, size_t n, const char *want)
{
        size_t l = strlen(want);
        for (size_t i = 0; i + l <= n; i++)
                if ((i == 0 || dir[i - 1] == '/') && memcmp(dir + i, want, l) == 0 &&
                    (i + l == n || dir[i + l] == '/'))
                        return true;
        return false;
}

static bool is_ssh_host_key_path(const char *path)
{
        const char *base;
        size_t n = strlen(path), bl, dl;
        split_path(path, n, &base, &bl, &dl);
        /* "ssh_host_" + at least one character + "_key" */
        return dir_ends_with(path, dl, "etc/ssh") && v2c_span_starts(base, bl, "ssh_host_") &&
               bl > strlen("ssh_host__key") && ends_with(base, bl, "_key");
}

bool v2c_secret_name_is_candidate(const char *path)
{
        if (path == NULL)
                return false;
        size_t n = strlen(path), bl, dl;
        const char *base;
        split_path(path, n, &base, &bl, &dl);
        if (bl == 0)
                return false;

        static const char *const names[] = {
                "id_rsa", "id_dsa", "id_ecdsa", "id_ed25519", "id_ecdsa_sk", "id_ed25519_sk",
                ".pgpass", ".netrc", "_netrc", ".htpasswd", "htpasswd", ".env",
        };
        for (size_t i = 0; i < V2C_ARRAY_SIZE(names); i++)
                if (v2c_span_eq(base, bl, names[i]))
                        return true;

        bool pub = ends_with(base, bl, ".pub");
        if (dir_ends_with(path, dl, ".ssh") && !pub && !v2c_span_starts(base, bl, "known_hosts") &&
            !v2c_span_starts(base, bl, "authorized_keys") && !v2c_span_eq(base, bl, "config"))
                return true;
        if (ends_with_ci(base, bl, ".pem") || ends_with_ci(base, bl, ".key") ||
            ends_with_ci(base, bl, ".env") || ends_with_ci(base, bl, ".htpasswd") ||
            v2c_span_starts(base, bl, ".env."))
                return true;
        if (v2c_span_eq(base, bl, "credentials") && dir_ends_with(path, dl, ".aws"))
                return true;
        if (dir_ends_with(path, dl, "etc/ssh") && v2c_span_starts(base, bl, "ssh_host_") && !pub)
                return true;
        if (ends_with_ci(base, bl, ".json") &&
            (find_ci(base, bl, "service-account") || find_ci(base, bl, "service_account") ||
             find_ci(base, bl, "credentials")))
                return true;
        if (dir_ends_with(path, dl, "etc/default"))
                return true;
        return has_dir_component(path, dl, "secrets");
}

/* ------------------------------------------------------------------------
 * Variable names
 */

/* Words of a name, upper-cased, in a caller's buffer. */
#define NAME_MAX_WORDS 32
struct name_words {
        char buf[V2C_SECRET_MAX_NAME * 2 + 2];
        const char *w[NAME_MAX_WORDS];
        size_t n;
        char glued[V2C_SECRET_MAX_NAME + 1];   /* every word run together */
};

static void name_split(const char *s, size_t n, struct name_words *nw)
{
        char *o = nw->buf;
        size_t g = 0;
        bool in_word = false;
        nw->n = 0;
        for (size_t i = 0; i < n; i++) {
                char c = s[i];
                bool sep = c == '_' || c == '.' || c == '-';
                bool boundary = i > 0 && is_upper(c) && is_lower(s[i - 1]);
                if (sep || boundary) {
                        if (in_word) {
                                *o++ = '\0';
                                in_word = false;
                        }
                        if (sep)
                                continue;
                }
                if (!in_word) {
                        if (nw->n < NAME_MAX_WORDS)
                                nw->w[nw->n++] = o;
                        in_word = true;
                }
                *o++ = to_upper(c);
                nw->glued[g++] = to_upper(c);
        }
        if (in_word)
                *o++ = '\0';
        nw->glued[g] = '\0';
        /* Words past NAME_MAX_WORDS still reach glued; their text in buf is
         * just not pointed to. */
}

static bool word_in(const char *w, const char *const *list)
{
        for (size_t i = 0; list[i]; i++)
                if (strcmp(w, list[i]) == 0)
                        return true;
        return false;
}

bool v2c_secret_var_is_secret(const char *name, size_t len)
{
        if (name == NULL || len == 0 || len > V2C_SECRET_MAX_NAME)
                return false;
        for (size_t i = 0; i < len; i++)
                if (!is_alnum(name[i]) && name[i] != '_' && name[i] != '.' && name[i] != '-')
                        return false;
        /* The shell's working directories, which every env dump holds. */
        if ((len == 3 && strncasecmp(name, "PWD", 3) == 0) ||
            (len == 6 && strncasecmp(name, "OLDPWD", 6) == 0))
                return false;

        struct name_words nw;
        name_split(name, len, &nw);

        static const char *const anywhere[] = {
                "PASSWORD", "PASSWD", "PASSPHRASE", "SECRET", "APIKEY", "ACCESSKEY",
                "PRIVATEKEY", "AUTHKEY", "CREDENTIAL", NULL,
        };
        for (size_t i = 0; anywhere[i]; i++)
                if (strstr(nw.glued, anywhere[i]))
                        return true;

        static const char *const words[] = { "PWD", "PASS", "PW", "CREDS", "TOKEN", "TOKENS", NULL };
        static const char *const after_auth[] = { "KEY", "SALT", "STRING", "HEADER", "CODE", NULL };
        for (size_t i = 0; i < nw.n; i++) {
                const char *w = nw.w[i];
                size_t wl = strlen(w);
                if (word_in(w, words) || ends_with(w, wl, "TOKEN"))
                        return true;
                if (strcmp(w, "AUTH") == 0 &&
                    (i + 1 == nw.n || word_in(nw.w[i + 1], after_auth)))
                        return true;
        }
        return false;
}

/* "scheme://user:password@host": a URL carrying its password. */
static bool value_is_url_with_password(const char *v, size_t n)
{
        const char *sep = NULL;
        for (size_t i = 0; i + 3 <= n; i++)
                if (memcmp(v + i, "://", 3) == 0) {
                        sep = v + i + 3;
                        break;
                }
        if (sep == NULL)
                return false;
        size_t rest = n - (size_t) (sep - v);
        size_t auth_len = rest;
        for (size_t i = 0; i < rest; i++)
                if (sep[i] == '/' || sep[i] == '?' || sep[i] == '#') {
                        auth_len = i;
                        break;
                }
        /* The last '@' of the authority ends the userinfo. */
        const char *at = NULL;
        for (size_t i = auth_len; i > 0; i--)
                if (sep[i - 1] == '@') {
                        at = sep + i - 1;
                        break;
                }
        if (at == NULL)
                return false;
        const char *colon = memchr(sep, ':', (size_t) (at - sep));
        return colon != NULL && colon + 1 < at;
}

/* ------------------------------------------------------------------------
 * Env-style assignments
 */

struct assignment {
        const char *name;
        size_t name_len;
        const char *value;   /* borrowed from the input, quotes removed, escapes not */
        size_t value_len;
};

/* Only blanks, or blanks and a '#' comment, up to the end of the line. */
static bool quote_ends_line(const char *p, const char *end)
{
        while (p < end && (v2c_is_blank(*p) || *p == '\r'))
                p++;
        return p == end || *p == '\n' || *p == '#';
}

/* Reads the assignment starting at *pp (a line start), if any, and moves
 * *pp to the next line.  Returns true when one was found. */
static bool next_assignment(const char **pp, const char *end, struct assignment *a)
{
        const char *p = *pp;
        const char *eol = memchr(p, '\n', (size_t) (end - p));
        const char *line_end = eol ? eol : end;
        *pp = eol ? eol + 1 : end;

        while (p < line_end && v2c_is_blank(*p))
                p++;
        if (line_end - p > 7 && memcmp(p, "export", 6) == 0 && v2c_is_blank(p[6])) {
                p += 7;
                while (p < line_end && v2c_is_blank(*p))
                        p++;
        }
        const char *name = p;
        if (p >= line_end || !(is_upper(*p) || is_lower(*p) || *p == '_'))
                return false;
        while (p < line_end && (is_alnum(*p) || *p == '_' || *p == '.' || *p == '-'))
                p++;
        size_t name_len = (size_t) (p - name);
        if (name_len > V2C_SECRET_MAX_NAME)
                return false;
        while (p < line_end && v2c_is_blank(*p))
                p++;
        if (p >= line_end || *p != '=')
                return false;
        p++;
        while (p < line_end && v2c_is_blank(*p))
                p++;

        a->name = name;
        a->name_len = name_len;
        if (p < line_end && (*p == '"' || *p == '\'')) {
                /* A quoted value may run over several lines (PEM keys
                 * pasted into .env files), but only if its closing quote
                 * ends a line: otherwise an unbalanced quote would hide
                 * every assignment up to the next quote in the file. */
                char q = *p++;
                const char *v = p;
                while (p < end && *p != q) {
                        if (q == '"' && *p == '\\' && p + 1 < end)
                                p++;
                        p++;
                }
                if (p < end && (p < line_end || quote_ends_line(p + 1, end))) {
                        a->value = v;
                        a->value_len = (size_t) (p - v);
                        const char *nl = memchr(p, '\n', (size_t) (end - p));
                        *pp = nl ? nl + 1 : end;
                        return true;
                }
                /* Unterminated: the rest of the line is the value. */
                a->value = v;
                a->value_len = (size_t) (line_end - v);
                return true;
        }
        const char *v = p;
        const char *ve = line_end;
        for (const char *q = v; q < line_end; q++)
                if (*q == '#' && (q == v || v2c_is_blank(q[-1]))) {
                        ve = q;
                        break;
                }
        while (ve > v && v2c_is_space(ve[-1]))
                ve--;
        a->value = v;
        a->value_len = (size_t) (ve - v);
        return true;
}

static bool assignment_is_secret(const struct assignment *a)
{
        if (a->value_len == 0)
                return false;
        return v2c_secret_var_is_secret(a->name, a->name_len) ||
               value_is_url_with_password(a->value, a->value_len);
}

static int check_input(const void *data, size_t len, struct v2c_error **err)
{
        if (len > V2C_SECRET_MAX_INPUT)
                return v2c_error_set(err, EFBIG, "%zu bytes is more than the %d a secret scan reads",
                                     len, V2C_SECRET_MAX_INPUT);
        if (data == NULL && len > 0)
                return v2c_error_set(err, EINVAL, "no data");
        return 0;
}

int v2c_secret_env_names(const void *data, size_t len, char ***ret, struct v2c_error **err)
{
        int r = check_input(data, len, err);
        if (r < 0)
                return r;
        const char *p = data ? data : "", *end = p + len;
        _cleanup_strv_ char **names = NULL;
        size_t n = 0;
        struct assignment a;

        while (p < end) {
                if (!next_assignment(&p, end, &a) || !assignment_is_secret(&a))
                        continue;
                if (n >= V2C_SECRET_MAX_NAMES) {
                        /* Most repeats are the same few names: compact first. */
                        v2c_strv_sort_uniq(names);
                        n = v2c_strv_len(names);
                        if (n >= V2C_SECRET_MAX_NAMES)
                                return v2c_error_set(err, E2BIG, "more than %d secret names",
                                                     V2C_SECRET_MAX_NAMES);
                }
                /* Appending by hand: v2c_strv_push is linear per call. */
                char *copy = strndup(a.name, a.name_len);
                char **nv = copy ? realloc(names, (n + 2) * sizeof(char *)) : NULL;
                if (nv == NULL) {
                        free(copy);
                        return v2c_error_set(err, ENOMEM, "out of memory");
                }
                names = nv;
                names[n++] = copy;
                names[n] = NULL;
        }
        v2c_strv_sort_uniq(names);
        *ret = TAKE_PTR(names);
        return 0;
}

static bool has_env_secret(const char *s, size_t n)
{
        const char *p = s, *end = s + n;
        struct assignment a;
        while (p < end)
                if (next_assignment(&p, end, &a) && assignment_is_secret(&a))
                        return true;
        return false;
}

/* ------------------------------------------------------------------------
 * Content detectors
 */

static bool has_pem_private_key(const char *s, size_t n)
{
        static const char begin[] = "-----BEGIN ";
        const size_t bl = sizeof(begin) - 1;
        const char *p = s, *end = s + n;
        while ((size_t) (end - p) >= bl) {
                const char *m = memmem(p, (size_t) (end - p), begin, bl);
                if (m == NULL)
                        return false;
                const char *label = m + bl, *q = label;
                /* Labels are short upper-case words: stop early on others. */
                while (q < end && q - label < 64 && (is_upper(*q) || is_digit(*q) || *q == ' '))
                        q++;
                size_t ll = (size_t) (q - label);
                if ((size_t) (end - q) >= 5 && memcmp(q, "-----", 5) == 0 &&
                    (ends_with(label, ll, "PRIVATE KEY") ||
                     v2c_span_eq(label, ll, "PGP PRIVATE KEY BLOCK")))
                        return true;
                p = m + 1;
        }
        return false;
}

static bool has_aws_access_key_id(const char *s, size_t n)
{
        for (size_t i = 0; i + 20 <= n; i++) {
                if (s[i] != 'A' || !(memcmp(s + i, "AKIA", 4) == 0 || memcmp(s + i, "ASIA", 4) == 0))
                        continue;
                if (i > 0 && is_alnum(s[i - 1]))
                        continue;
                bool ok = true;
                for (size_t j = 4; ok && j < 20; j++)
                        ok = is_upper(s[i + j]) || is_digit(s[i + j]);
                if (ok && (i + 20 == n || !is_alnum(s[i + 20])))
                        return true;
        }
        return false;
}

static bool has_aws_secret_key(const char *s, size_t n)
{
        struct v2c_lines l = { s, s + n, 0 };
        const char *line;
        size_t ln;
        while (v2c_lines_next(&l, &line, &ln)) {
                v2c_span_trim(&line, &ln, V2C_SPACES);
                if (!v2c_span_starts_ci(line, ln, "aws_secret_access_key"))
                        continue;
                const char *p = line + 21, *end = line + ln;
                while (p < end && v2c_is_blank(*p))
                        p++;
                if (p < end && (*p == '=' || *p == ':')) {
                        p++;
                        while (p < end && v2c_is_blank(*p))
                                p++;
                        if (p < end)
                                return true;
                }
        }
        return false;
}

/* "key" followed by blanks and ':' (a JSON member name); returns what
 * follows the colon, or NULL. */
static const char *json_member(const char *s, size_t n, const char *key, const char *from)
{
        size_t kl = strlen(key);
        const char *end = s + n, *p = from;
        while (p < end) {
                const char *m = memmem(p, (size_t) (end - p), key, kl);
                if (m == NULL)
                        return NULL;
                const char *q = m + kl;
                while (q < end && v2c_is_space(*q))
                        q++;
                if (q < end && *q == ':')
                        return q + 1;
                p = m + 1;
        }
        return NULL;
}

static bool has_gcp_service_account(const char *s, size_t n)
{
        const char *end = s + n, *p = s;
        if (json_member(s, n, "\"private_key\"", s) == NULL)
                return false;
        while ((p = json_member(s, n, "\"type\"", p)) != NULL) {
                while (p < end && v2c_is_space(*p))
                        p++;
                if ((size_t) (end - p) >= 17 && memcmp(p, "\"service_account\"", 17) == 0)
                        return true;
        }
        return false;
}

static bool is_comment_or_blank(const char *s, size_t n)
{
        v2c_span_trim(&s, &n, V2C_SPACES);
        return n == 0 || s[0] == '#';
}

/* One .pgpass line; fields is how many ':'-separated fields it has, with
 * "\:" and "\\" escaped as libpq reads them. */
static bool pgpass_line(const char *s, size_t n, bool exact)
{
        size_t fields = 1, port_start = 0, port_end = 0, pw_start = 0;
        for (size_t i = 0; i < n; i++) {
                if (s[i] == '\\' && i + 1 < n) {
                        i++;
                        continue;
                }
                if (s[i] != ':')
                        continue;
                if (fields == 1)
                        port_start = i + 1;
                else if (fields == 2)
                        port_end = i;
                else if (fields == 4)
                        pw_start = i + 1;
                fields++;
        }
        if (fields < 5 || (exact && fields != 5))
                return false;
        const char *port = s + port_start;
        size_t pl = port_end - port_start;
        bool port_ok = v2c_span_eq(port, pl, "*") || (pl > 0 && pl <= 5);
        for (size_t i = 0; port_ok && !v2c_span_eq(port, pl, "*") && i < pl; i++)
                port_ok = is_digit(port[i]);
        return port_ok && pw_start < n;
}

static bool is_htpasswd_hash(const char *h, size_t n)
{
        static const char crypt_chars[] =
                "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
        if (v2c_span_starts(h, n, "$2y$") || v2c_span_starts(h, n, "$2a$") || v2c_span_starts(h, n, "$2b$"))
                return n == 60;
        if (v2c_span_starts(h, n, "{SHA}")) {
                if (n != 33)
                        return false;
                for (size_t i = 5; i < n; i++)
                        if (!is_alnum(h[i]) && h[i] != '+' && h[i] != '/' && h[i] != '=')
                                return false;
                return true;
        }
        if (v2c_span_starts(h, n, "$apr1$") || v2c_span_starts(h, n, "$1$") || v2c_span_starts(h, n, "$5$") ||
            v2c_span_starts(h, n, "$6$")) {
                /* "$id$[rounds=N$]salt$hash": a third '$' and a hash after it. */
                size_t dollars = 0;
                for (size_t i = 0; i < n; i++) {
                        if (h[i] == '\0' || (!strchr(crypt_chars, h[i]) && h[i] != '$' && h[i] != '='))
                                return false;
                        dollars += h[i] == '$';
                }
                return dollars >= 3 && h[n - 1] != '$';
        }
        if (n == 13) {
                for (size_t i = 0; i < n; i++)
                        if (h[i] == '\0' || !strchr(crypt_chars, h[i]))
                                return false;
                return true;
        }
        return false;
}

static bool htpasswd_line(const char *s, size_t n)
{
        v2c_span_trim(&s, &n, V2C_SPACES);
        const char *colon = memchr(s, ':', n);
        if (colon == NULL || colon == s)
                return false;
        for (const char *p = s; p < colon; p++)
                if (v2c_is_space(*p))
                        return false;
        const char *h = colon + 1;
        size_t hl = n - (size_t) (h - s);
        if (memchr(h, ':', hl))
                return false;
        return is_htpasswd_hash(h, hl);
}

/* Every non-comment line passes check (at least one line), or, when
 * one_is_enough, any line does. */
static bool lines_match(const char *s, size_t n, bool one_is_enough,
                        bool (*check)(const char *line, size_t len, bool exact))
{
        struct v2c_lines l = { s, s + n, 0 };
        const char *line;
        size_t ln, good = 0;
        while (v2c_lines_next(&l, &line, &ln)) {
                if (is_comment_or_blank(line, ln))
                        continue;
                if (check(line, ln, !one_is_enough)) {
                        if (one_is_enough)
                                return true;
                        good++;
                } else if (!one_is_enough)
                        return false;
        }
        return good > 0;
}

static bool htpasswd_check(const char *s, size_t n, bool exact)
{
        (void) exact;
        return htpasswd_line(s, n);
}

/* netrc tokens: "machine NAME login USER password SECRET", or "default"
 * instead of "machine NAME".  A file with another name must have all three
 * keywords, each followed by a token: "the default password is" in a
 * comment is prose, not a netrc. */
static bool is_netrc(const char *s, size_t n, bool named)
{
        bool machine = false, login = false, password = false;
        enum { NONE, MACHINE, LOGIN, PASSWORD } prev = NONE;
        struct v2c_lines lines = { s, s + n, 0 };
        const char *line;
        size_t ll;
        while (v2c_lines_next(&lines, &line, &ll)) {
                const char *p = line, *end = line + ll;
                while (p < end && v2c_is_space(*p))
                        p++;
                /* Comment lines (as most netrc readers allow) are prose:
                 * "# the default login shell ... password expires". */
                if (p < end && *p == '#')
                        continue;
                while (p < end) {
                        while (p < end && v2c_is_space(*p))
                                p++;
                        const char *t = p;
                        while (p < end && !v2c_is_space(*p))
                                p++;
                        size_t tl = (size_t) (p - t);
                        if (tl == 0)
                                break;
                        machine |= prev == MACHINE || v2c_span_eq(t, tl, "default");
                        login |= prev == LOGIN;
                        password |= prev == PASSWORD;
                        prev = v2c_span_eq(t, tl, "machine")  ? MACHINE :
                               v2c_span_eq(t, tl, "login")    ? LOGIN :
                               v2c_span_eq(t, tl, "password") ? PASSWORD : NONE;
                        if (password && (named || (machine && login)))
                                return true;
                }
        }
        return false;
}

/* ------------------------------------------------------------------------
 * Classification
 */

int v2c_secret_classify(const char *path, const void *data, size_t len, unsigned *kinds,
                        struct v2c_error **err)
{
        int r = check_input(data, len, err);
        if (r < 0)
                return r;
        const char *s = data ? data : "";
        unsigned k = 0;

        const char *base = "";
        size_t bl = 0, dl = 0;
        if (path)
                split_path(path, strlen(path), &base, &bl, &dl);

        if (has_pem_private_key(s, len))
                k |= V2C_SECRET_PRIVATE_KEY;
        if (path && len > 0 && is_ssh_host_key_path(path))
                k |= V2C_SECRET_SSH_HOST_KEY;

        /* Binary files (a NUL anywhere) only get the PEM check: the text
         * detectors would find "KEY=VALUE" and "a:b" shapes by chance. */
        if (len > 0 && memchr(s, '\0', len) == NULL) {
                if (has_aws_secret_key(s, len))
                        k |= V2C_SECRET_AWS_CREDENTIALS;
                if (has_aws_access_key_id(s, len))
                        k |= V2C_SECRET_AWS_ACCESS_KEY_ID;
                if (has_gcp_service_account(s, len))
                        k |= V2C_SECRET_GCP_SERVICE_ACCOUNT;
                if (has_env_secret(s, len))
                        k |= V2C_SECRET_ENV;
                if (lines_match(s, len, v2c_span_eq(base, bl, ".pgpass"), pgpass_line))
                        k |= V2C_SECRET_PGPASS;
                if (is_netrc(s, len, v2c_span_eq(base, bl, ".netrc") || v2c_span_eq(base, bl, "_netrc")))
                        k |= V2C_SECRET_NETRC;
                bool ht_named = v2c_span_eq(base, bl, ".htpasswd") || v2c_span_eq(base, bl, "htpasswd") ||
                                ends_with(base, bl, ".htpasswd");
                if (lines_match(s, len, ht_named, htpasswd_check))
                        k |= V2C_SECRET_HTPASSWD;
                /* A line the env and netrc detectors explain is theirs. */
                if (!(k & (V2C_SECRET_ENV | V2C_SECRET_NETRC)) && has_config_password(s, len))
                        k |= V2C_SECRET_CONFIG_PASSWORD;
        }
        *kinds = k;
        return 0;
}
