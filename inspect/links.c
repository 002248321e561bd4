/* Endpoints named by a service's configuration; see links-internal.h.
 *
 * Each grammar is read only as far as connections go: the nginx reader
 * follows words and blocks (a proxy_pass may span lines and an upstream's
 * "server" differs from an http "server {" only by its context), apache2
 * and haproxy are read a line at a time as those servers do, and anything
 * else is searched for URLs and HOST:PORT values. */
#include "links-internal.h"
#include "cleanup.h"
#include "strv.h"
#include "text.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_HOST 255

void v2c_link_refs_release(struct v2c_link_refs *r)
{
        if (r == NULL)
                return;
        for (size_t i = 0; i < r->n; i++) {
                free(r->items[i].host);
                free(r->items[i].unix_path);
                free(r->items[i].via);
        }
        free(r->items);
        *r = (struct v2c_link_refs) { 0 };
}

enum v2c_link_syntax v2c_links_syntax_of(const char *path)
{
        static const struct { const char *dir; enum v2c_link_syntax syntax; } dirs[] = {
                { "/etc/nginx/", V2C_LINK_NGINX },     { "/etc/apache2/", V2C_LINK_APACHE2 },
                { "/etc/httpd/", V2C_LINK_APACHE2 },   { "/etc/haproxy/", V2C_LINK_HAPROXY },
        };
        for (size_t i = 0; path && i < sizeof dirs / sizeof dirs[0]; i++)
                if (strncmp(path, dirs[i].dir, strlen(dirs[i].dir)) == 0)
                        return dirs[i].syntax;
        return V2C_LINK_GENERIC;
}

/* ---- endpoints ---- */

static const struct { const char *scheme; unsigned port; } default_ports[] = {
        { "http", 80 },        { "ws", 80 },           { "https", 443 },     { "wss", 443 },
        { "grpc", 80 },        { "grpcs", 443 },       { "postgres", 5432 }, { "postgresql", 5432 },
        { "pgsql", 5432 },     { "mysql", 3306 },      { "mariadb", 3306 },  { "redis", 6379 },
        { "rediss", 6379 },    { "memcache", 11211 },  { "memcached", 11211 }, { "amqp", 5672 },
        { "amqps", 5671 },     { "mongodb", 27017 },   { "ldap", 389 },      { "ldaps", 636 },
        { "smtp", 25 },        { "ajp", 8009 },        { "nats", 4222 },     { "mqtt", 1883 },
        { "ftp", 21 },         { "elasticsearch", 9200 },
};

/* The default port of SCHEME ([s, s+n)); "postgresql+psycopg2" counts as
 * "postgresql".  0 when unknown (fcgi://, tcp://: the port must be given). */
static unsigned scheme_port(const char *s, size_t n)
{
        const char *plus = memchr(s, '+', n);
        if (plus)
                n = (size_t) (plus - s);
        for (size_t i = 0; i < sizeof default_ports / sizeof default_ports[0]; i++)
                if (v2c_span_eq_ci(s, n, default_ports[i].scheme))
                        return default_ports[i].port;
        return 0;
}

static bool parse_port(const char *s, size_t n, unsigned *port)
{
        if (n == 0 || n > 5)
                return false;
        unsigned v = 0;
        for (size_t i = 0; i < n; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return false;
                v = v * 10 + (unsigned) (s[i] - '0');
        }
        if (v < 1 || v > 65535)
                return false;
        *port = v;
        return true;
}

static bool host_char(char c)
{
        return isalnum((unsigned char) c) || c == '.' || c == '-' || c == '_';
}

/* "HOST", "HOST:PORT", "[V6]", "[V6]:PORT" of [s, s+n): the host (new,
 * lowercase) and the port (DEFPORT when none; no port at all fails). */
static int parse_hostport(const char *s, size_t n, unsigned defport, char **host, unsigned *port)
{
        const char *h = s, *rest;
        size_t hn;
        if (n > 0 && s[0] == '[') {
                const char *close = memchr(s, ']', n);
                if (close == NULL)
                        return 0;
                h = s + 1;
                hn = (size_t) (close - h);
                for (size_t i = 0; i < hn; i++)
                        if (!v2c_is_hex_digit(h[i]) && h[i] != ':' && h[i] != '.')
                                return 0;
                rest = close + 1;
        } else {
                hn = 0;
                while (hn < n && host_char(s[hn]))
                        hn++;
                rest = s + hn;
        }
        size_t rn = (size_t) (s + n - rest);
        unsigned p = defport;
        if (rn > 0) {
                if (rest[0] != ':' || !parse_port(rest + 1, rn - 1, &p))
                        return 0;
        }
        if (hn == 0 || hn > MAX_HOST || p == 0)
                return 0;
        char *x = strndup(h, hn);
        if (x == NULL)
                return -ENOMEM;
        for (char *q = x; *q; q++)
                *q = (char) tolower((unsigned char) *q);
        *host = x;
        *port = p;
        return 1;
}

static int add_ref(struct v2c_link_refs *out, char *host, unsigned port, char *unix_path, const char *via,
                   size_t via_len, size_t line, struct v2c_error **err)
{
        _cleanup_free_ char *h = host, *u = unix_path;
        if (out->n >= V2C_LINKS_MAX_REFS)
                return v2c_error_set(err, E2BIG, "more than %d endpoints in one file", V2C_LINKS_MAX_REFS);
        if (out->n == out->cap) {
                size_t cap = out->cap ? out->cap * 2 : 8;
                struct v2c_link_ref *v = realloc(out->items, cap * sizeof *v);
                if (v == NULL)
                        return v2c_error_set(err, ENOMEM, "out of memory");
                out->items = v;
                out->cap = cap;
        }
        char *w = strndup(via, via_len);
        if (w == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        out->items[out->n++] = (struct v2c_link_ref) {
                .host = TAKE_PTR(h), .port = port, .unix_path = TAKE_PTR(u), .via = w, .line = line,
        };
        return 0;
}

/* The endpoint "HOST[:PORT]" of [s, s+n) (DEFPORT when none) added with
 * VIA and LINE: 1 when added, 0 when it is none, or a negative errno. */
static int add_hostport(struct v2c_link_refs *out, const char *s, size_t n, unsigned defport, const char *via,
                        size_t via_len, size_t line, struct v2c_error **err)
{
        char *host = NULL;
        unsigned port = 0;
        int r = parse_hostport(s, n, defport, &host, &port);
        if (r < 0)
                return v2c_error_set(err, ENOMEM, "out of memory");
        if (r == 0)
                return 0;
        r = add_ref(out, host, port, NULL, via, via_len, line, err);
        return r < 0 ? r : 1;
}

/* A unix socket path of [s, s+n), cut at the first of ENDS. */
static int add_unix(struct v2c_link_refs *out, const char *s, size_t n, const char *ends, const char *via,
                    size_t via_len, size_t line, struct v2c_error **err)
{
        size_t k = 0;
        while (k < n && strchr(ends, s[k]) == NULL)
                k++;
        if (k == 0 || s[0] != '/')
                return 0;
        char *p = strndup(s, k);
        if (p == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        return add_ref(out, NULL, 0, p, via, via_len, line, err);
}

/* One endpoint word: "SCHEME://[USERINFO@]HOST[:PORT][/...]", "unix:PATH",
 * "SCHEME://unix:PATH[:/uri]" (nginx) or, with bare, "HOST[:PORT]" with
 * DEFPORT.  Anything else adds nothing. */
static int add_endpoint(struct v2c_link_refs *out, const char *w, size_t n, bool bare, unsigned defport,
                        const char *via, size_t via_len, size_t line, struct v2c_error **err)
{
        if (v2c_span_starts_ci(w, n, "unix:"))
                return add_unix(out, w + 5, n - 5, ":|", via, via_len, line, err);
        const char *sep = n >= 3 ? memmem(w, n, "://", 3) : NULL;
        if (sep) {
                size_t sn = (size_t) (sep - w);
                if (sn == 0 || !isalpha((unsigned char) w[0]))
                        return 0;
                for (size_t i = 0; i < sn; i++)
                        if (!isalnum((unsigned char) w[i]) && w[i] != '+' && w[i] != '.' && w[i] != '-')
                                return 0;
                const char *a = sep + 3;
                size_t an = (size_t) (w + n - a);
                if (v2c_span_starts_ci(a, an, "unix:"))
                        return add_unix(out, a + 5, an - 5, ":|", via, via_len, line, err);
                size_t end = 0;
                while (end < an && a[end] != '/' && a[end] != '?' && a[end] != '#')
                        end++;
                /* userinfo: what comes before the last '@' of the authority. */
                for (size_t i = end; i > 0; i--)
                        if (a[i - 1] == '@') {
                                a += i;
                                end -= i;
                                break;
                        }
                int r = add_hostport(out, a, end, scheme_port(w, sn), via ? via : w, via ? via_len : sn, line, err);
                return r < 0 ? r : 0;
        }
        if (!bare)
                return 0;
        int r = add_hostport(out, w, n, defport, via, via_len, line, err);
        return r < 0 ? r : 0;
}

/* ---- nginx ---- */

struct ngx_word {
        const char *s;
        size_t n;
        char buf[V2C_LINKS_MAX_WORD];   /* unquoted copy when the word had quotes or escapes */
};

static const char *const nginx_pass[] = { "proxy_pass", "fastcgi_pass", "uwsgi_pass", "scgi_pass",
                                          "grpc_pass",  "memcached_pass", NULL };

static int nginx_directive(struct v2c_link_refs *out, const struct ngx_word *name, const struct ngx_word *arg,
                           bool in_upstream, size_t line, struct v2c_error **err)
{
        for (size_t i = 0; nginx_pass[i]; i++)
                if (v2c_span_eq(name->s, name->n, nginx_pass[i])) {
                        /* fastcgi_pass 127.0.0.1:9000 names no scheme. */
                        bool bare = strcmp(nginx_pass[i], "proxy_pass") != 0 && strcmp(nginx_pass[i], "grpc_pass") != 0;
                        return add_endpoint(out, arg->s, arg->n, bare, 0, name->s, name->n, line, err);
                }
        if (in_upstream && v2c_span_eq(name->s, name->n, "server"))
                return add_endpoint(out, arg->s, arg->n, true, 80, name->s, name->n, line, err);
        return 0;
}

static int scan_nginx(const char *data, size_t len, struct v2c_link_refs *out, struct v2c_error **err)
{
        /* The stack only needs to know whether each open block is an upstream. */
        bool upstream[V2C_LINKS_MAX_DEPTH];
        size_t depth = 0, overflow = 0, nwords = 0, line = 1, dline = 1;
        _cleanup_free_ struct ngx_word *w = calloc(2, sizeof *w);
        if (w == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        const char *p = data, *end = data + len;
        while (p < end) {
                char c = *p;
                if (c == '\n') {
                        line++;
                        p++;
                        continue;
                }
                if (c == ' ' || c == '\t' || c == '\r') {
                        p++;
                        continue;
                }
                if (c == '#') {
                        while (p < end && *p != '\n')
                                p++;
                        continue;
                }
                if (c == ';' || c == '{' || c == '}') {
                        p++;
                        bool in_up = depth > 0 && overflow == 0 && upstream[depth - 1];
                        if (c == ';' && nwords >= 2) {
                                int r = nginx_directive(out, &w[0], &w[1], in_up, dline, err);
                                if (r < 0)
                                        return r;
                        } else if (c == '{') {
                                if (depth < V2C_LINKS_MAX_DEPTH && overflow == 0)
                                        upstream[depth++] = nwords >= 1 && v2c_span_eq(w[0].s, w[0].n, "upstream");
                                else
                                        overflow++;
                        } else if (c == '}') {
                                if (overflow)
                                        overflow--;
                                else if (depth)
                                        depth--;
                        }
                        nwords = 0;
                        continue;
                }
                /* A word: quoted or bare, backslash escapes in both. */
                struct ngx_word tmp, *dst = nwords < 2 ? &w[nwords] : &tmp;
                size_t k = 0;
                char quote = (c == '"' || c == '\'') ? c : 0;
                if (quote)
                        p++;
                if (nwords == 0)
                        dline = line;
                while (p < end) {
                        char d = *p;
                        if (quote ? d == quote
                                  : (d == ' ' || d == '\t' || d == '\r' || d == '\n' || d == ';' || d == '{' ||
                                     d == '}'))
                                break;
                        if (d == '\\' && p + 1 < end)
                                d = *++p;
                        if (d == '\n')
                                line++;
                        if (k < sizeof dst->buf)
                                dst->buf[k] = d;
                        k++;
                        p++;
                }
                if (quote && p < end)
                        p++;
                dst->s = dst->buf;
                dst->n = k < sizeof dst->buf ? k : 0;   /* an oversized word matches nothing */
                nwords++;
        }
        return 0;
}

/* ---- line grammars: apache2, haproxy, generic ---- */

struct words {
        const char *s[8];
        size_t n[8];
        size_t count;
};

/* Splits a line into at most 8 words at blanks, a '#' starting a word
 * ending it; a word in double quotes loses them. */
static void split_words(const char *line, size_t len, struct words *w)
{
        w->count = 0;
        size_t i = 0;
        while (i < len && w->count < 8) {
                while (i < len && (line[i] == ' ' || line[i] == '\t'))
                        i++;
                if (i >= len || line[i] == '#')
                        break;
                size_t st = i;
                if (line[i] == '"') {
                        st = ++i;
                        while (i < len && line[i] != '"')
                                i++;
                        w->s[w->count] = line + st;
                        w->n[w->count++] = i - st;
                        if (i < len)
                                i++;
                        continue;
                }
                while (i < len && line[i] != ' ' && line[i] != '\t')
                        i++;
                w->s[w->count] = line + st;
                w->n[w->count++] = i - st;
        }
}

static int scan_apache2(const char *data, size_t len, struct v2c_link_refs *out, struct v2c_error **err)
{
        static const char *const proxy[] = { "ProxyPass", "ProxyPassMatch", "ProxyPassReverse", "BalancerMember",
                                             NULL };
        struct v2c_lines it = { data, data + len, 0 };
        const char *line;
        size_t n;
        while (v2c_lines_next(&it, &line, &n)) {
                struct words w;
                split_words(line, n, &w);
                if (w.count < 2)
                        continue;
                for (size_t d = 0; proxy[d]; d++) {
                        if (!v2c_span_eq_ci(w.s[0], w.n[0], proxy[d]))
                                continue;
                        for (size_t k = 1; k < w.count; k++) {
                                if (!v2c_span_starts_ci(w.s[k], w.n[k], "unix:") &&
                                    (w.n[k] < 3 || memmem(w.s[k], w.n[k], "://", 3) == NULL))
                                        continue;
                                int r = add_endpoint(out, w.s[k], w.n[k], false, 0, w.s[0], w.n[0], it.lineno, err);
                                if (r < 0)
                                        return r;
                                break;
                        }
                }
                if (v2c_span_eq_ci(w.s[0], w.n[0], "SetHandler") && v2c_span_starts_ci(w.s[1], w.n[1], "proxy:")) {
                        int r = add_endpoint(out, w.s[1] + 6, w.n[1] - 6, false, 0, w.s[0], w.n[0], it.lineno, err);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

static int scan_haproxy(const char *data, size_t len, struct v2c_link_refs *out, struct v2c_error **err)
{
        static const char *const sections[] = { "global", "defaults", "frontend", "backend", "listen", "peers",
                                                "resolvers", "userlist", "cache", "program", "mailers",
                                                "http-errors", "ring", "fcgi-app", "crt-store", NULL };
        static const char *const prefixes[] = { "ipv4@", "ipv6@", "tcp@", "tcp4@", "tcp6@", NULL };
        bool servers = false;
        struct v2c_lines it = { data, data + len, 0 };
        const char *line;
        size_t n;
        while (v2c_lines_next(&it, &line, &n)) {
                struct words w;
                split_words(line, n, &w);
                if (w.count == 0)
                        continue;
                bool section = false;
                for (size_t k = 0; sections[k] && !section; k++)
                        section = v2c_span_eq(w.s[0], w.n[0], sections[k]);
                if (section) {
                        servers = v2c_span_eq(w.s[0], w.n[0], "backend") || v2c_span_eq(w.s[0], w.n[0], "listen");
                        continue;
                }
                if (!servers || w.count < 3 || !v2c_span_eq(w.s[0], w.n[0], "server"))
                        continue;
                const char *a = w.s[2];
                size_t an = w.n[2];
                for (size_t k = 0; prefixes[k]; k++)
                        if (v2c_span_starts(a, an, prefixes[k])) {
                                a += strlen(prefixes[k]);
                                an -= strlen(prefixes[k]);
                                break;
                        }
                int r;
                if (v2c_span_starts(a, an, "unix@"))
                        r = add_unix(out, a + 5, an - 5, "", "server", 6, it.lineno, err);
                else if (an > 0 && a[0] == '/')
                        r = add_unix(out, a, an, "", "server", 6, it.lineno, err);
                else
                        r = add_endpoint(out, a, an, true, 0, "server", 6, it.lineno, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

static bool key_char(char c)
{
        return isalnum((unsigned char) c) || c == '_' || c == '.' || c == '-';
}

/* The variable a line assigns ("KEY=...", "export KEY=...", "key: ...",
 * "key = ..."): its name in [*k, *k + *kn) and where its value starts.
 * False when the line assigns nothing. */
static bool assignment(const char *line, size_t n, const char **k, size_t *kn, size_t *value)
{
        size_t i = 0;
        while (i < n && (line[i] == ' ' || line[i] == '\t'))
                i++;
        if (n - i > 7 && memcmp(line + i, "export ", 7) == 0)
                i += 7;
        size_t st = i;
        if (i >= n || !(isalpha((unsigned char) line[i]) || line[i] == '_'))
                return false;
        while (i < n && key_char(line[i]))
                i++;
        size_t en = i;
        while (i < n && (line[i] == ' ' || line[i] == '\t'))
                i++;
        if (i >= n || (line[i] != '=' && line[i] != ':'))
                return false;
        i++;
        while (i < n && (line[i] == ' ' || line[i] == '\t' || line[i] == '"' || line[i] == '\''))
                i++;
        *k = line + st;
        *kn = en - st;
        *value = i;
        return true;
}

static bool url_end(char c)
{
        return c == ' ' || c == '\t' || c == '"' || c == '\'' || c == ',' || c == ';' || c == ')' || c == '>' ||
               c == '<' || c == '`' || c == '\\';
}

/* libpq's "host=H port=P" (also in a quoted value): host a name or a socket directory. */
static int scan_libpq(struct v2c_link_refs *out, const char *line, size_t n, const char *via, size_t via_len,
                      size_t lineno, struct v2c_error **err)
{
        const char *host = NULL;
        size_t hn = 0;
        unsigned port = 5432;
        for (size_t i = 0; i < n;) {
                while (i < n && (url_end(line[i]) || line[i] == '='))
                        i++;
                size_t st = i;
                while (i < n && !url_end(line[i]))
                        i++;
                const char *wd = line + st;
                size_t wn = i - st;
                if (v2c_span_starts(wd, wn, "host=") && (st == 0 || line[st - 1] != '_')) {
                        host = wd + 5;
                        hn = wn - 5;
                } else if (v2c_span_starts(wd, wn, "port=")) {
                        if (!parse_port(wd + 5, wn - 5, &port))
                                return 0;
                }
        }
        if (host == NULL || hn == 0)
                return 0;
        if (host[0] == '/')
                return add_unix(out, host, hn, "", via, via_len, lineno, err);
        int r = add_hostport(out, host, hn, port, via, via_len, lineno, err);
        return r < 0 ? r : 0;
}

static int scan_generic(const char *data, size_t len, struct v2c_link_refs *out, struct v2c_error **err)
{
        struct v2c_lines it = { data, data + len, 0 };
        const char *line;
        size_t n;
        while (v2c_lines_next(&it, &line, &n)) {
                size_t lead = 0;
                while (lead < n && (line[lead] == ' ' || line[lead] == '\t'))
                        lead++;
                if (lead < n && (line[lead] == '#' || line[lead] == ';'))
                        continue;
                const char *key = NULL;
                size_t kn = 0, value = 0;
                bool assigns = assignment(line, n, &key, &kn, &value);
                bool found = false;
                for (const char *s = line; s + 3 <= line + n;) {
                        const char *sep = memmem(s, (size_t) (line + n - s), "://", 3);
                        if (sep == NULL)
                                break;
                        const char *st = sep;
                        while (st > line && (isalnum((unsigned char) st[-1]) || st[-1] == '+' || st[-1] == '.' ||
                                             st[-1] == '-'))
                                st--;
                        const char *e = sep + 3;
                        while (e < line + n && !url_end(*e))
                                e++;
                        if (e - st <= V2C_LINKS_MAX_WORD) {
                                size_t before = out->n;
                                int r = add_endpoint(out, st, (size_t) (e - st), false, 0, assigns ? key : NULL,
                                                     kn, it.lineno, err);
                                if (r < 0)
                                        return r;
                                found |= out->n > before;
                        }
                        s = e > sep + 3 ? e : sep + 3;
                }
                if (found)
                        continue;
                if (assigns) {
                        /* KEY=HOST:PORT, the whole value. */
                        size_t e = value;
                        while (e < n && !url_end(line[e]))
                                e++;
                        const char *colon = memchr(line + value, ':', e - value);
                        if (colon && e > value && e - value <= MAX_HOST + 8) {
                                int r = add_hostport(out, line + value, e - value, 0, key, kn, it.lineno, err);
                                if (r < 0)
                                        return r;
                                if (r > 0)
                                        continue;
                        }
                }
                if (memmem(line, n, "host=", 5)) {
                        /* The assigned value is the conninfo string ("PGDSN=host=... port=..."). */
                        size_t from = assigns ? value : 0;
                        int r = scan_libpq(out, line + from, n - from, assigns ? key : "host", assigns ? kn : 4,
                                           it.lineno, err);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

int v2c_links_scan(enum v2c_link_syntax syntax, const char *data, size_t len, struct v2c_link_refs *out,
                   struct v2c_error **err)
{
        switch (syntax) {
        case V2C_LINK_NGINX: return scan_nginx(data, len, out, err);
        case V2C_LINK_APACHE2: return scan_apache2(data, len, out, err);
        case V2C_LINK_HAPROXY: return scan_haproxy(data, len, out, err);
        case V2C_LINK_GENERIC: return scan_generic(data, len, out, err);
        }
        return v2c_error_set(err, EINVAL, "unknown config syntax %d", (int) syntax);
}

/* ---- the guest's own names ---- */

static int push_local(char ***local, const char *s, size_t n)
{
        if (n == 0 || n > MAX_HOST || v2c_strv_len(*local) >= V2C_LINKS_MAX_LOCAL)
                return 0;
        _cleanup_free_ char *x = strndup(s, n);
        if (x == NULL)
                return -ENOMEM;
        for (char *q = x; *q; q++)
                *q = (char) tolower((unsigned char) *q);
        return v2c_strv_contains(*local, x) ? 0 : v2c_strv_push(local, x);
}

int v2c_links_local_addrs(const char *data, size_t len, char ***local)
{
        struct v2c_lines it = { data, data + len, 0 };
        const char *line;
        size_t n;
        while (v2c_lines_next(&it, &line, &n)) {
                struct words w;
                split_words(line, n, &w);
                const char *a = NULL;
                size_t an = 0;
                if (w.count >= 2 && v2c_span_eq(w.s[0], w.n[0], "address")) {
                        a = w.s[1];            /* interfaces(5) */
                        an = w.n[1];
                } else if (w.count >= 1 && v2c_span_starts(w.s[0], w.n[0], "Address")) {
                        /* systemd.network(5): Address=, spaces around '=' allowed */
                        const char *eq = memchr(line, '=', n);
                        size_t kn = 0;
                        while (kn < n && line[kn] == ' ')
                                kn++;
                        if (eq == NULL || !v2c_span_starts(line + kn, n - kn, "Address"))
                                continue;
                        const char *k = line + kn + 7;
                        while (k < eq && (*k == ' ' || *k == '\t'))
                                k++;
                        if (k != eq)
                                continue;
                        a = eq + 1;
                        while (a < line + n && (*a == ' ' || *a == '\t'))
                                a++;
                        an = (size_t) (line + n - a);
                        while (an > 0 && (a[an - 1] == ' ' || a[an - 1] == '\t'))
                                an--;
                }
                if (a == NULL)
                        continue;
                const char *slash = memchr(a, '/', an);
                if (slash)
                        an = (size_t) (slash - a);
                char buf[64];
                unsigned char bin[sizeof(struct in6_addr)];
                if (an == 0 || an >= sizeof buf)
                        continue;
                memcpy(buf, a, an);
                buf[an] = '\0';
                if (inet_pton(AF_INET, buf, bin) != 1 && inet_pton(AF_INET6, buf, bin) != 1)
                        continue;
                if (push_local(local, a, an) < 0)
                        return -ENOMEM;
        }
        return 0;
}

static bool loopback_literal(const char *s)
{
        struct in_addr a4;
        struct in6_addr a6;
        if (inet_pton(AF_INET, s, &a4) == 1)
                return (ntohl(a4.s_addr) >> 24) == 127 || a4.s_addr == htonl(INADDR_ANY);
        if (inet_pton(AF_INET6, s, &a6) == 1) {
                if (IN6_IS_ADDR_LOOPBACK(&a6) || IN6_IS_ADDR_UNSPECIFIED(&a6))
                        return true;
                return IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127;
        }
        return false;
}

int v2c_links_local_hosts(const char *data, size_t len, const char *hostname, char ***local)
{
        if (hostname && *hostname && push_local(local, hostname, strlen(hostname)) < 0)
                return -ENOMEM;
        struct v2c_lines it = { data, data + len, 0 };
        const char *line;
        size_t n;
        while (v2c_lines_next(&it, &line, &n)) {
                struct words w;
                split_words(line, n, &w);
                if (w.count < 2 || w.n[0] >= 64)
                        continue;
                char addr[64];
                memcpy(addr, w.s[0], w.n[0]);
                addr[w.n[0]] = '\0';
                bool mine = loopback_literal(addr) || v2c_strv_contains(*local, addr);
                for (size_t k = 1; !mine && hostname && k < w.count; k++)
                        mine = v2c_span_eq_ci(w.s[k], w.n[k], hostname);
                if (!mine)
                        continue;
                for (size_t k = 0; k < w.count; k++)
                        if (push_local(local, w.s[k], w.n[k]) < 0)
                                return -ENOMEM;
        }
        return 0;
}

bool v2c_links_is_local(const char *host, char *const *local)
{
        if (host == NULL || *host == '\0')
                return false;
        size_t n = strlen(host);
        if (strcasecmp(host, "localhost") == 0 || strcasecmp(host, "localhost.localdomain") == 0 ||
            strcasecmp(host, "ip6-localhost") == 0 || strcasecmp(host, "ip6-loopback") == 0 ||
            (n > 10 && strcasecmp(host + n - 10, ".localhost") == 0))
                return true;
        if (loopback_literal(host))
                return true;
        for (size_t i = 0; local && local[i]; i++)
                if (strcasecmp(local[i], host) == 0)
                        return true;
        return false;
}

bool v2c_links_socket_is(const char *path, const char *name)
{
        if (path == NULL || name == NULL || *name == '\0')
                return false;
        size_t nn = strcspn(name, "@");
        const char *slash = strrchr(path, '/');
        const char *file = slash ? slash + 1 : path;
        size_t fn = strlen(file);
        static const char *const exts[] = { ".sock", ".socket", NULL };
        for (size_t i = 0; exts[i]; i++) {
                size_t e = strlen(exts[i]);
                if (fn > e && strcmp(file + fn - e, exts[i]) == 0) {
                        fn -= e;
                        break;
                }
        }
        if ((fn == strlen(name) && strncmp(file, name, fn) == 0) || (fn == nn && strncmp(file, name, nn) == 0))
                return true;
        const char *rest = NULL;
        if (strncmp(path, "/run/", 5) == 0)
                rest = path + 5;
        else if (strncmp(path, "/var/run/", 9) == 0)
                rest = path + 9;
        if (rest == NULL)
                return false;
        size_t dn = strcspn(rest, "/");
        return (dn == strlen(name) && strncmp(rest, name, dn) == 0) || (dn == nn && strncmp(rest, name, nn) == 0);
}
