/* Files a server's configuration names (see config-refs-internal.h).
 *
 * One small reader per format, on two shared tokenizers: nginx's
 * statements ("word word;", blocks, quotes) and a line of words (quotes,
 * '#' comments) for the line-oriented formats.  Every format hands each
 * value that names a file to refs_add(), which drops variables and
 * non-files and resolves relative names. */
#include "config-refs-internal.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "cleanup.h"
#include "path.h"
#include "strv.h"

#define WORDS_MAX 64    /* words of one line or statement looked at */

struct refs {
        enum v2c_refs_server server;
        const struct v2c_include_reader *inc;
        const char *path;          /* file being read (borrowed), or NULL */
        char *main_dir;            /* directory of the main file */
        char *server_root;         /* apache2 ServerRoot */
        char *crt_base, *ca_base;  /* haproxy */
        char *data_dir;            /* postgresql data_directory */
        char **pending;            /* postgresql: relative to data_dir, known at the end */
        bool mysql_server_group;
        char **out;
        size_t n_out;
        unsigned depth, files, includes;
        size_t bytes;
};

static void refs_release(struct refs *st)
{
        free(st->main_dir);
        free(st->server_root);
        free(st->crt_base);
        free(st->ca_base);
        free(st->data_dir);
        v2c_strv_free(st->pending);
        v2c_strv_free(st->out);
}

static char *dir_of(const char *path)
{
        if (path == NULL || path[0] != '/')
                return NULL;
        return v2c_path_dirname(path);
}

/* Not a plain file name: a variable, a specifier, a pipe, a scheme. */
static bool is_not_a_file(const char *v)
{
        static const char *const schemes[] = { "data:", "engine:", "exec:", "store:", "builtin", "pkcs11:" };
        if (v[0] == '\0' || v[0] == '|' || strpbrk(v, "$%\n") != NULL)
                return true;
        for (size_t i = 0; i < V2C_ARRAY_SIZE(schemes); i++)
                if (strncmp(v, schemes[i], strlen(schemes[i])) == 0)
                        return true;
        return false;
}

/* Adds value V (a NUL-terminated word), relative names resolved against
 * BASE (NULL: dropped). */
static int refs_add(struct refs *st, const char *v, const char *base, struct v2c_error **err)
{
        if (is_not_a_file(v))
                return 0;
        if (v[0] != '/' && (base == NULL || base[0] != '/'))
                return 0;
        _cleanup_free_ char *p = NULL;
        int r = v2c_path_normalize(v[0] == '/' ? "/" : base, v, &p);
        if (r == -ENAMETOOLONG)
                return 0;
        if (r < 0)
                return v2c_error_set(err, -r, "out of memory");
        if (strcmp(p, "/") == 0 || v2c_strv_contains(st->out, p))
                return 0;
        if (st->n_out >= V2C_REFS_MAX)
                return v2c_error_set(err, E2BIG, "more than %d files named", V2C_REFS_MAX);
        if (v2c_strv_consume(&st->out, TAKE_PTR(p)) < 0)
                return v2c_error_set(err, ENOMEM, "out of memory");
        st->n_out++;
        return 0;
}

static int refs_file(struct refs *st, const char *path, const char *data, size_t len, struct v2c_error **err);

static int include_cb(void *state, const char *path, const char *data, size_t len, struct v2c_error **err)
{
        return refs_file(state, path, data, len, err);
}

/* Follows an include of PATTERN, relative ones against BASE. */
static int refs_include(struct refs *st, const char *pattern, const char *base, struct v2c_error **err)
{
        if (st->inc == NULL || st->inc->read_include == NULL || pattern[0] == '\0' || strchr(pattern, '$'))
                return 0;
        if (++st->includes > V2C_CONFIG_MAX_INCLUDES)
                return v2c_error_set(err, E2BIG, "more than %d include directives", V2C_CONFIG_MAX_INCLUDES);
        if (st->depth > V2C_CONFIG_MAX_DEPTH)
                return v2c_error_set(err, ELOOP, "includes nested deeper than %d levels at `%s`",
                                     V2C_CONFIG_MAX_DEPTH, pattern);
        _cleanup_free_ char *full = NULL;
        if (pattern[0] != '/') {
                if (base == NULL || base[0] != '/')
                        return 0;
                if (asprintf(&full, "%s/%s", strcmp(base, "/") ? base : "", pattern) < 0) {
                        full = NULL;
                        return v2c_error_set(err, ENOMEM, "out of memory");
                }
        } else if ((full = strdup(pattern)) == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        int r = st->inc->read_include(st->inc->ctx, full, include_cb, st, err);
        if (r < 0)
                return v2c_error_prefix(err, r, "reading include `%s`", full);
        return 0;
}

/* "DIR/GLOB" for an include directory, without a doubled '/'. */
static int dir_glob(const char *dir, const char *glob, char **ret, struct v2c_error **err)
{
        size_t n = strlen(dir);
        while (n > 1 && dir[n - 1] == '/')
                n--;
        if (asprintf(ret, "%.*s/%s", (int) n, dir, glob) < 0) {
                *ret = NULL;
                return v2c_error_set(err, ENOMEM, "out of memory");
        }
        return 0;
}

/* ---- words ---- */

struct words {
        char *w[WORDS_MAX];
        size_t n;
        struct v2c_buf cur;
};

static void words_clear(struct words *ws)
{
        for (size_t i = 0; i < ws->n; i++)
                free(ws->w[i]);
        ws->n = 0;
        v2c_buf_reset(&ws->cur);
}

static int words_push(struct words *ws, struct v2c_error **err)
{
        if (ws->n < WORDS_MAX) {
                char *s = strndup(ws->cur.data ? ws->cur.data : "", ws->cur.len);
                if (s == NULL)
                        return v2c_error_set(err, ENOMEM, "out of memory");
                ws->w[ws->n++] = s;
        }
        v2c_buf_reset(&ws->cur);
        return 0;
}

static int putc_word(struct words *ws, char ch, struct v2c_error **err)
{
        if (v2c_buf_append(&ws->cur, &ch, 1) < 0)
                return v2c_error_set(err, E2BIG, "a word longer than %d bytes", V2C_CONFIG_MAX_TOKEN);
        return 0;
}

static bool blank(char c)
{
        return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/* Reads one quoted or bare word from *pp (not past END nor a newline);
 * STOPS are extra bytes that end a bare word. */
static int read_word(struct words *ws, const char **pp, const char *end, const char *stops, struct v2c_error **err)
{
        const char *p = *pp;
        int r = 0;
        if (*p == '"' || *p == '\'') {
                char q = *p++;
                while (p < end && *p != q && r == 0) {
                        if (*p == '\\' && q == '"' && p + 1 < end)
                                p++;
                        r = putc_word(ws, *p++, err);
                }
                if (p < end)
                        p++;
        } else {
                /* strchr() finds a NUL byte in every STOPS: test it apart. */
                while (p < end && !blank(*p) && *p != '\n' && (stops == NULL || *p == '\0' || strchr(stops, *p) == NULL) &&
                       r == 0) {
                        if (*p == '\\' && p + 1 < end && p[1] != '\n')
                                p++;
                        r = putc_word(ws, *p++, err);
                }
        }
        /* Always some progress, whatever byte stopped the word. */
        *pp = p > *pp ? p : p + 1;
        return r < 0 ? r : words_push(ws, err);
}

/* Splits the line [p, end) into ws ('#' at a word's start ends it). */
static int split_line(struct words *ws, const char *p, const char *end, struct v2c_error **err)
{
        words_clear(ws);
        while (p < end) {
                while (p < end && blank(*p))
                        p++;
                if (p >= end || *p == '#')
                        break;
                int r = read_word(ws, &p, end, NULL, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

typedef int (*line_fn)(struct refs *st, struct words *ws, const char *line, size_t n, struct v2c_error **err);

/* Calls FN for each line; LOGICAL joins lines that begin with blanks to
 * the one before (postfix's continuation). */
static int for_each_line(struct refs *st, const char *data, size_t len, bool logical, line_fn fn,
                         struct v2c_error **err)
{
        struct words ws = { .n = 0 };
        v2c_buf_init(&ws.cur, V2C_CONFIG_MAX_TOKEN);
        struct v2c_buf joined;
        v2c_buf_init(&joined, V2C_CONFIG_MAX_BYTES);
        int r = 0;
        const char *p = data, *end = data + len;
        while (p < end && r == 0) {
                const char *nl = memchr(p, '\n', (size_t) (end - p));
                const char *le = nl ? nl : end;
                if (logical) {
                        bool cont = p < le && blank(*p);
                        if (!cont && joined.len) {
                                r = fn(st, &ws, joined.data, joined.len, err);
                                v2c_buf_reset(&joined);
                        }
                        if (r == 0 && (cont ? joined.len > 0 : p < le && *p != '#')) {
                                if (cont && v2c_buf_append(&joined, " ", 1) < 0)
                                        r = v2c_error_set(err, ENOMEM, "out of memory");
                                if (r == 0 && v2c_buf_append(&joined, p, (size_t) (le - p)) < 0)
                                        r = v2c_error_set(err, ENOMEM, "out of memory");
                        }
                } else
                        r = fn(st, &ws, p, (size_t) (le - p), err);
                p = nl ? nl + 1 : end;
        }
        if (r == 0 && logical && joined.len)
                r = fn(st, &ws, joined.data, joined.len, err);
        words_clear(&ws);
        v2c_buf_release(&ws.cur);
        v2c_buf_release(&joined);
        return r;
}

static bool in_list(const char *const *list, const char *s)
{
        for (size_t i = 0; list[i]; i++)
                if (strcasecmp(list[i], s) == 0)
                        return true;
        return false;
}

static bool ends_with(const char *s, const char *suffix)
{
        size_t n = strlen(s), k = strlen(suffix);
        return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* ---- nginx ---- */

static const char *const nginx_keys[] = {
        "ssl_certificate", "ssl_certificate_key", "ssl_password_file", "ssl_trusted_certificate",
        "ssl_client_certificate", "ssl_dhparam", "ssl_crl", "ssl_stapling_file", "auth_basic_user_file",
        "proxy_ssl_certificate", "proxy_ssl_certificate_key", "proxy_ssl_password_file",
        "proxy_ssl_trusted_certificate", "grpc_ssl_certificate", "grpc_ssl_certificate_key",
        "grpc_ssl_password_file", "grpc_ssl_trusted_certificate", "uwsgi_ssl_certificate",
        "uwsgi_ssl_certificate_key", "uwsgi_ssl_password_file", "uwsgi_ssl_trusted_certificate", NULL,
};

static int nginx_statement(struct refs *st, struct words *ws, struct v2c_error **err)
{
        if (ws->n < 2)
                return 0;
        if (strcmp(ws->w[0], "include") == 0)
                return refs_include(st, ws->w[1], st->main_dir, err);
        for (size_t i = 0; nginx_keys[i]; i++)
                if (strcmp(ws->w[0], nginx_keys[i]) == 0)
                        return refs_add(st, ws->w[1], st->main_dir, err);
        return 0;
}

static int nginx_parse(struct refs *st, const char *data, size_t len, struct v2c_error **err)
{
        struct words ws = { .n = 0 };
        v2c_buf_init(&ws.cur, V2C_CONFIG_MAX_TOKEN);
        const char *p = data, *end = data + len;
        int r = 0;
        while (p < end && r == 0) {
                if (blank(*p) || *p == '\n') {
                        p++;
                } else if (*p == '#') {
                        const char *nl = memchr(p, '\n', (size_t) (end - p));
                        p = nl ? nl : end;
                } else if (*p == ';') {
                        r = nginx_statement(st, &ws, err);
                        words_clear(&ws);
                        p++;
                } else if (*p == '{' || *p == '}') {
                        words_clear(&ws);
                        p++;
                } else if (*p == '"' || *p == '\'') {
                        /* Quoted words may span lines in nginx. */
                        char q = *p++;
                        while (p < end && *p != q && r == 0) {
                                if (*p == '\\' && p + 1 < end)
                                        p++;
                                r = putc_word(&ws, *p++, err);
                        }
                        if (p < end)
                                p++;
                        if (r == 0)
                                r = words_push(&ws, err);
                } else
                        r = read_word(&ws, &p, end, ";{}", err);
        }
        words_clear(&ws);
        v2c_buf_release(&ws.cur);
        return r;
}

/* ---- apache2 ---- */

static const char *const apache_keys[] = {
        "SSLCertificateFile", "SSLCertificateKeyFile", "SSLCertificateChainFile", "SSLCACertificateFile",
        "SSLCARevocationFile", "SSLProxyMachineCertificateFile", "AuthUserFile", "AuthGroupFile",
        "AuthDBMUserFile", "TypesConfig", "MIMEMagicFile", NULL,
};

static const char *apache_base(const struct refs *st)
{
        return st->server_root ? st->server_root : st->main_dir;
}

static int apache_line(struct refs *st, struct words *ws, const char *line, size_t n, struct v2c_error **err)
{
        int r = split_line(ws, line, line + n, err);
        if (r < 0 || ws->n < 2)
                return r;
        if (strcasecmp(ws->w[0], "ServerRoot") == 0) {
                if (ws->w[1][0] == '/' && !is_not_a_file(ws->w[1])) {
                        free(st->server_root);
                        if ((st->server_root = strdup(ws->w[1])) == NULL)
                                return v2c_error_set(err, ENOMEM, "out of memory");
                }
                return 0;
        }
        if (strcasecmp(ws->w[0], "Include") == 0 || strcasecmp(ws->w[0], "IncludeOptional") == 0)
                return refs_include(st, ws->w[1], apache_base(st), err);
        if (in_list(apache_keys, ws->w[0]))
                return refs_add(st, ws->w[1], apache_base(st), err);
        return 0;
}

/* ---- haproxy ---- */

static int set_dir(char **dst, const char *v, struct v2c_error **err)
{
        if (v[0] != '/' || is_not_a_file(v))
                return 0;
        free(*dst);
        return (*dst = strdup(v)) ? 0 : v2c_error_set(err, ENOMEM, "out of memory");
}

static int haproxy_line(struct refs *st, struct words *ws, const char *line, size_t n, struct v2c_error **err)
{
        int r = split_line(ws, line, line + n, err);
        if (r < 0 || ws->n < 2)
                return r;
        if (strcmp(ws->w[0], "crt-base") == 0)
                return set_dir(&st->crt_base, ws->w[1], err);
        if (strcmp(ws->w[0], "ca-base") == 0)
                return set_dir(&st->ca_base, ws->w[1], err);
        if (strcmp(ws->w[0], "bind") != 0 && strcmp(ws->w[0], "server") != 0 &&
            strcmp(ws->w[0], "default-server") != 0)
                return 0;
        for (size_t i = 1; i + 1 < ws->n && r == 0; i++) {
                const char *k = ws->w[i];
                if (strcmp(k, "crt") == 0 || strcmp(k, "crt-list") == 0)
                        r = refs_add(st, ws->w[++i], st->crt_base, err);
                else if (strcmp(k, "ca-file") == 0 || strcmp(k, "crl-file") == 0)
                        r = refs_add(st, ws->w[++i], st->ca_base, err);
        }
        return r;
}

/* ---- postfix main.cf ---- */

static int postfix_map(struct refs *st, const char *item, struct v2c_error **err)
{
        static const struct { const char *type, *suffix; } types[] = {
                { "hash", ".db" }, { "btree", ".db" }, { "dbm", ".db" }, { "sdbm", ".db" },
                { "lmdb", ".lmdb" }, { "cdb", ".cdb" }, { "texthash", NULL }, { "regexp", NULL },
                { "pcre", NULL }, { "cidr", NULL }, { "inline", "" }, { "static", "" },
        };
        if (strncmp(item, "proxy:", 6) == 0)
                item += 6;
        const char *colon = strchr(item, ':');
        if (colon == NULL)
                return 0;
        for (size_t i = 0; i < V2C_ARRAY_SIZE(types); i++) {
                if (strlen(types[i].type) != (size_t) (colon - item) || strncmp(item, types[i].type, colon - item))
                        continue;
                if (types[i].suffix && types[i].suffix[0] == '\0')
                        return 0;     /* inline:{...}, static:X: no file */
                int r = refs_add(st, colon + 1, NULL, err);
                _cleanup_free_ char *indexed = NULL;
                if (r == 0 && types[i].suffix && asprintf(&indexed, "%s%s", colon + 1, types[i].suffix) >= 0)
                        r = refs_add(st, indexed, NULL, err);
                return r;
        }
        return 0;
}

static int postfix_line(struct refs *st, struct words *ws, const char *line, size_t n, struct v2c_error **err)
{
        static const char *const suffixes[] = {
                "_cert_file", "_key_file", "_dcert_file", "_dkey_file", "_eccert_file", "_eckey_file",
                "_chain_files", "_CAfile", "_dh1024_param_file", "_dh512_param_file", "_password_maps",
        };
        const char *eq = memchr(line, '=', n);
        if (eq == NULL)
                return 0;
        int r = split_line(ws, line, eq, err);
        if (r < 0 || ws->n != 1)
                return r;
        bool wanted = false, maps = ends_with(ws->w[0], "_maps");
        for (size_t i = 0; i < V2C_ARRAY_SIZE(suffixes); i++)
                wanted |= ends_with(ws->w[0], suffixes[i]);
        if (!wanted)
                return 0;
        /* Values are lists separated by blanks or commas. */
        _cleanup_free_ char *value = strndup(eq + 1, (size_t) (line + n - eq - 1));
        if (value == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        for (char *p = value; *p; p++)
                if (*p == ',')
                        *p = ' ';
        r = split_line(ws, value, value + strlen(value), err);
        for (size_t i = 0; i < ws->n && r == 0; i++)
                r = maps ? postfix_map(st, ws->w[i], err) : refs_add(st, ws->w[i], NULL, err);
        return r;
}

/* ---- dovecot ---- */

static int dovecot_line(struct refs *st, struct words *ws, const char *line, size_t n, struct v2c_error **err)
{
        static const char *const ssl_keys[] = {
                "ssl_cert", "ssl_key", "ssl_ca", "ssl_dh", "ssl_alt_cert", "ssl_alt_key", "ssl_client_cert",
                "ssl_client_key", NULL,
        };
        int r = split_line(ws, line, line + n, err);
        if (r < 0 || ws->n < 2)
                return r;
        if (strcmp(ws->w[0], "!include") == 0 || strcmp(ws->w[0], "!include_try") == 0) {
                _cleanup_free_ char *base = dir_of(st->path);
                return refs_include(st, ws->w[1], base ? base : st->main_dir, err);
        }
        if (ws->n < 3 || strcmp(ws->w[1], "=") != 0)
                return 0;
        if (in_list(ssl_keys, ws->w[0]))
                return ws->w[2][0] == '<' ? refs_add(st, ws->w[2] + 1, NULL, err) : 0;
        if (strcmp(ws->w[0], "args") == 0)
                for (size_t i = 2; i < ws->n && r == 0; i++) {
                        const char *v = ws->w[i];
                        const char *eqv = strchr(v, '=');
                        if (v[0] != '/' && eqv && eqv[1] == '/')
                                v = eqv + 1;
                        if (v[0] == '/')
                                r = refs_add(st, v, NULL, err);
                }
        return r;
}

/* ---- redis ---- */

static int redis_line(struct refs *st, struct words *ws, const char *line, size_t n, struct v2c_error **err)
{
        static const char *const keys[] = {
                "tls-cert-file", "tls-key-file", "tls-ca-cert-file", "tls-dh-params-file", "tls-client-cert-file",
                "tls-client-key-file", "aclfile", NULL,
        };
        int r = split_line(ws, line, line + n, err);
        if (r < 0 || ws->n < 2)
                return r;
        _cleanup_free_ char *base = dir_of(st->path);
        if (strcasecmp(ws->w[0], "include") == 0)
                return refs_include(st, ws->w[1], base ? base : st->main_dir, err);
        if (in_list(keys, ws->w[0]))
                return refs_add(st, ws->w[1], base ? base : st->main_dir, err);
        return 0;
}

/* ---- postgresql ---- */

static int pg_line(struct refs *st, struct words *ws, const char *line, size_t n, struct v2c_error **err)
{
        static const char *const keys[] = {
                "ssl_cert_file", "ssl_key_file", "ssl_ca_file", "ssl_crl_file", "ssl_dh_params_file", "hba_file",
                "ident_file", NULL,
        };
        /* "name = value", '=' optional, as postgresql.conf allows. */
        _cleanup_free_ char *copy = strndup(line, n);
        if (copy == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        char *eq = strchr(copy, '=');
        char *quote = strpbrk(copy, "'\"");
        if (eq && (quote == NULL || eq < quote))
                *eq = ' ';
        int r = split_line(ws, copy, copy + strlen(copy), err);
        if (r < 0 || ws->n < 2)
                return r;
        const char *k = ws->w[0], *v = ws->w[1];
        _cleanup_free_ char *base = dir_of(st->path);
        if (strcasecmp(k, "include") == 0 || strcasecmp(k, "include_if_exists") == 0)
                return refs_include(st, v, base ? base : st->main_dir, err);
        if (strcasecmp(k, "include_dir") == 0) {
                _cleanup_free_ char *pat = NULL;
                int r2 = dir_glob(v, "*.conf", &pat, err);
                return r2 < 0 ? r2 : refs_include(st, pat, base ? base : st->main_dir, err);
        }
        if (strcasecmp(k, "data_directory") == 0)
                return set_dir(&st->data_dir, v, err);
        if (!in_list(keys, k) || is_not_a_file(v))
                return 0;
        if (v[0] == '/')
                return refs_add(st, v, NULL, err);
        /* Relative to the data directory, which a later line may set. */
        if (v2c_strv_len(st->pending) >= V2C_REFS_MAX)
                return v2c_error_set(err, E2BIG, "more than %d files named", V2C_REFS_MAX);
        return v2c_strv_push_unique(&st->pending, v) < 0 ? v2c_error_set(err, ENOMEM, "out of memory") : 0;
}

/* ---- mysql / mariadb ---- */

static bool mysql_server_group(const char *g, size_t n)
{
        static const char *const groups[] = { "mysqld", "mariadb", "mariadbd", "server" };
        if (n == 13 && strncmp(g, "client-server", 13) == 0)
                return true;
        for (size_t i = 0; i < V2C_ARRAY_SIZE(groups); i++) {
                size_t k = strlen(groups[i]);
                if (n >= k && strncmp(g, groups[i], k) == 0 && (n == k || g[k] == '-'))
                        return true;
        }
        return false;
}

static int mysql_line(struct refs *st, struct words *ws, const char *line, size_t n, struct v2c_error **err)
{
        while (n && blank(*line)) {
                line++;
                n--;
        }
        if (n && line[0] == '[') {
                const char *close = memchr(line, ']', n);
                st->mysql_server_group = close && mysql_server_group(line + 1, (size_t) (close - line - 1));
                return 0;
        }
        if (n && line[0] == '!') {
                int r = split_line(ws, line, line + n, err);
                if (r < 0 || ws->n < 2)
                        return r;
                _cleanup_free_ char *base = dir_of(st->path);
                if (strcmp(ws->w[0], "!include") == 0)
                        return refs_include(st, ws->w[1], base, err);
                if (strcmp(ws->w[0], "!includedir") == 0) {
                        _cleanup_free_ char *pat = NULL;
                        r = dir_glob(ws->w[1], "*.cnf", &pat, err);
                        return r < 0 ? r : refs_include(st, pat, base, err);
                }
                return 0;
        }
        const char *eq = memchr(line, '=', n);
        if (!st->mysql_server_group || eq == NULL)
                return 0;
        int r = split_line(ws, line, eq, err);
        if (r < 0 || ws->n != 1)
                return r;
        char *k = ws->w[0];
        for (char *p = k; *p; p++)
                if (*p == '_')
                        *p = '-';
        if (strncmp(k, "loose-", 6) == 0)
                k += 6;
        if (strcmp(k, "ssl-cert") && strcmp(k, "ssl-key") && strcmp(k, "ssl-ca") && strcmp(k, "ssl-crl"))
                return 0;
        r = split_line(ws, eq + 1, line + n, err);
        return r < 0 || ws->n < 1 ? r : refs_add(st, ws->w[0], NULL, err);
}

/* ---- driver ---- */

static int refs_file(struct refs *st, const char *path, const char *data, size_t len, struct v2c_error **err)
{
        if (data == NULL) {
                if (len > 0)
                        return v2c_error_set(err, EINVAL, "no data for `%s`", path ? path : "config");
                data = "";
        }
        if (st->depth > V2C_CONFIG_MAX_DEPTH)
                return v2c_error_set(err, ELOOP, "includes nested deeper than %d levels at `%s`",
                                     V2C_CONFIG_MAX_DEPTH, path ? path : "config");
        if (++st->files > V2C_CONFIG_MAX_FILES)
                return v2c_error_set(err, E2BIG, "more than %d config files", V2C_CONFIG_MAX_FILES);
        if (len > V2C_CONFIG_MAX_BYTES - st->bytes)
                return v2c_error_set(err, E2BIG, "more than %d bytes of config", V2C_CONFIG_MAX_BYTES);
        st->bytes += len;
        const char *saved = st->path;
        bool saved_group = st->mysql_server_group;
        st->path = path;
        st->mysql_server_group = false;
        st->depth++;
        int r;
        switch (st->server) {
        case V2C_REFS_NGINX: r = nginx_parse(st, data, len, err); break;
        case V2C_REFS_APACHE2: r = for_each_line(st, data, len, false, apache_line, err); break;
        case V2C_REFS_HAPROXY: r = for_each_line(st, data, len, false, haproxy_line, err); break;
        case V2C_REFS_POSTFIX: r = for_each_line(st, data, len, true, postfix_line, err); break;
        case V2C_REFS_DOVECOT: r = for_each_line(st, data, len, false, dovecot_line, err); break;
        case V2C_REFS_REDIS: r = for_each_line(st, data, len, false, redis_line, err); break;
        case V2C_REFS_POSTGRESQL: r = for_each_line(st, data, len, false, pg_line, err); break;
        case V2C_REFS_MYSQL: r = for_each_line(st, data, len, false, mysql_line, err); break;
        default: r = v2c_error_set(err, EINVAL, "unknown server %d", (int) st->server); break;
        }
        st->depth--;
        st->path = saved;
        st->mysql_server_group = saved_group;
        return r;
}

int v2c_refs_server_from_name(const char *name)
{
        static const struct { const char *name; enum v2c_refs_server server; } names[] = {
                { "nginx", V2C_REFS_NGINX }, { "apache2", V2C_REFS_APACHE2 }, { "haproxy", V2C_REFS_HAPROXY },
                { "postfix", V2C_REFS_POSTFIX }, { "dovecot", V2C_REFS_DOVECOT }, { "redis", V2C_REFS_REDIS },
                { "postgresql", V2C_REFS_POSTGRESQL }, { "mysql", V2C_REFS_MYSQL }, { "mariadb", V2C_REFS_MYSQL },
        };
        for (size_t i = 0; name && i < V2C_ARRAY_SIZE(names); i++)
                if (strcasecmp(name, names[i].name) == 0)
                        return (int) names[i].server;
        return -EINVAL;
}

int v2c_config_refs(enum v2c_refs_server server, const char *path, const char *data, size_t len,
                    const struct v2c_include_reader *inc, char ***ret, struct v2c_error **err)
{
        if ((unsigned) server >= V2C_REFS_COUNT_)
                return v2c_error_set(err, EINVAL, "unknown server %d", (int) server);
        _cleanup_(refs_release) struct refs st = { .server = server, .inc = inc };
        if (path && path[0] == '/' && (st.main_dir = dir_of(path)) == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        int r = refs_file(&st, path, data, len, err);
        for (size_t i = 0; r == 0 && st.pending && st.pending[i]; i++)
                r = refs_add(&st, st.pending[i], st.data_dir, err);
        if (r < 0)
                return r;
        v2c_strv_sort_uniq(st.out);
        *ret = TAKE_PTR(st.out);
        return 0;
}
