/* Listening-port detectors; see ports-internal.h.
 *
 * Layout: the port set, then endpoint syntax shared by everyone, then
 * argv and socket units, then the config machinery (limits, includes,
 * word splitting) and one parser per server.  Every parser walks its
 * buffer with explicit ends: no input here is NUL-terminated.
 */
#include "ports-internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "cleanup.h"
#include "text.h"
#include "strv.h"

#define MAX_ADDRESS 255
#define MAX_UNIX_PATH 4096

/* ASCII classes of our own: <ctype.h> depends on the locale and is
 * undefined for negative chars, and guest files are full of both. */
static bool is_digit(char c) { return c >= '0' && c <= '9'; }
static bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static char to_lower(char c) { return c >= 'A' && c <= 'Z' ? (char) (c - 'A' + 'a') : c; }

static bool all_digits(const char *s, size_t n)
{
        if (n == 0)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!is_digit(s[i]))
                        return false;
        return true;
}

/* ------------------------------------------------------------------------
 * The port set
 */

void v2c_ports_init(struct v2c_ports *p)
{
        *p = (struct v2c_ports) { 0 };
}

void v2c_ports_release(struct v2c_ports *p)
{
        if (p == NULL)
                return;
        for (size_t i = 0; i < p->n; i++) {
                free(p->items[i].address);
                free(p->items[i].source);
        }
        free(p->items);
        v2c_strv_free(p->unix_paths);
        *p = (struct v2c_ports) { 0 };
}

static bool host_chars_ok(const char *s, size_t n)
{
        if (n == 0 || n > MAX_ADDRESS)
                return false;
        for (size_t i = 0; i < n; i++) {
                char c = s[i];
                if (!is_alpha(c) && !is_digit(c) && c != '.' && c != ':' && c != '%' && c != '_' &&
                    c != '*' && c != '-')
                        return false;
        }
        return true;
}

/* Addresses that mean "every address" are stored as NULL so that
 * "listen 80" and "listen [::]:80" count once. */
static bool is_wildcard(const char *s, size_t n)
{
        return n == 0 || v2c_span_eq(s, n, "*") || v2c_span_eq(s, n, "0.0.0.0") || v2c_span_eq(s, n, "::") ||
               v2c_span_eq(s, n, "::*") || v2c_span_eq(s, n, "::0") || v2c_span_eq(s, n, "0::0");
}

/* *ret: new normalised address, or NULL for a wildcard. */
static int address_dup(const char *s, size_t n, char **ret)
{
        if (s && n >= 2 && s[0] == '[' && s[n - 1] == ']') {
                s++;
                n -= 2;
        }
        if (s == NULL || is_wildcard(s, n)) {
                *ret = NULL;
                return 0;
        }
        if (!host_chars_ok(s, n))
                return -EINVAL;
        *ret = strndup(s, n);
        return *ret ? 0 : -ENOMEM;
}

/* Order of the key (port, proto, address with NULL first). */
static int listen_key_cmp(const struct v2c_listen *x, const struct v2c_listen *y)
{
        if (x->port != y->port)
                return x->port < y->port ? -1 : 1;
        int r = strcmp(x->proto, y->proto);
        if (r != 0)
                return r;
        if ((x->address == NULL) != (y->address == NULL))
                return x->address == NULL ? -1 : 1;
        return x->address ? strcmp(x->address, y->address) : 0;
}

static int listen_cmp(const void *a, const void *b)
{
        const struct v2c_listen *x = a, *y = b;
        int r = listen_key_cmp(x, y);
        return r != 0 ? r : strcmp(x->source, y->source);
}

static int listen_bsearch_cmp(const void *key, const void *item)
{
        return listen_key_cmp(key, item);
}

static int str_cmp(const void *a, const void *b)
{
        return strcmp(*(char *const *) a, *(char *const *) b);
}

void v2c_ports_sort_uniq(struct v2c_ports *p)
{
        if (p->n > 1)
                qsort(p->items, p->n, sizeof(p->items[0]), listen_cmp);
        size_t w = 0;
        for (size_t r = 0; r < p->n; r++) {
                if (w > 0 && listen_key_cmp(&p->items[w - 1], &p->items[r]) == 0) {
                        free(p->items[r].address);
                        free(p->items[r].source);
                        continue;
                }
                p->items[w++] = p->items[r];
        }
        p->n = w;
        v2c_strv_sort_uniq(p->unix_paths);
        p->n_unix = v2c_strv_len(p->unix_paths);
        p->sorted = true;
}

int v2c_ports_add(struct v2c_ports *p, unsigned port, const char *proto, const char *address,
                  const char *source, struct v2c_error **err)
{
        if (port < 1 || port > 65535)
                return v2c_error_set(err, EINVAL, "port %u out of range", port);
        if (proto == NULL || (strcmp(proto, "tcp") != 0 && strcmp(proto, "udp") != 0))
                return v2c_error_set(err, EINVAL, "unknown protocol `%s`", proto ? proto : "(null)");
        if (source == NULL)
                return v2c_error_set(err, EINVAL, "port %u has no source", port);

        _cleanup_free_ char *addr = NULL;
        int r = address_dup(address, address ? strlen(address) : 0, &addr);
        if (r == -EINVAL)
                return v2c_error_set(err, EINVAL, "invalid address for port %u", port);
        if (r < 0)
                return v2c_error_set(err, -r, "out of memory");

        if (p->n >= V2C_PORTS_MAX) {
                /* Repeats are common (one listen per vhost): only give up
                 * when the new entry is really new.  Once full the set
                 * stays sorted (nothing more is appended), so each further
                 * repeat costs a binary search, not a sort. */
                if (!p->sorted)
                        v2c_ports_sort_uniq(p);
                if (p->n >= V2C_PORTS_MAX) {
                        struct v2c_listen key = { .port = port, .address = addr };
                        memcpy(key.proto, proto, 4);
                        struct v2c_listen *found = bsearch(&key, p->items, p->n, sizeof(p->items[0]),
                                                           listen_bsearch_cmp);
                        if (found == NULL)
                                return v2c_error_set(err, E2BIG, "more than %d listening ports",
                                                     V2C_PORTS_MAX);
                        /* Keep what sort_uniq would have kept. */
                        if (strcmp(source, found->source) < 0) {
                                char *src = strdup(source);
                                if (src == NULL)
                                        return v2c_error_set(err, ENOMEM, "out of memory");
                                free(found->source);
                                found->source = src;
                        }
                        return 0;
                }
        }
        if (p->n == p->cap) {
                size_t ncap = p->cap ? p->cap * 2 : 16;
                struct v2c_listen *n = realloc(p->items, ncap * sizeof(*n));
                if (n == NULL)
                        return v2c_error_set(err, ENOMEM, "out of memory");
                p->items = n;
                p->cap = ncap;
        }
        _cleanup_free_ char *src = strdup(source);
        if (src == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");

        struct v2c_listen *l = &p->items[p->n++];
        *l = (struct v2c_listen) { .port = port, .address = TAKE_PTR(addr), .source = TAKE_PTR(src) };
        memcpy(l->proto, proto, 4);
        p->sorted = false;
        return 0;
}

int v2c_ports_add_unix(struct v2c_ports *p, const char *path, struct v2c_error **err)
{
        if (path == NULL || path[0] == '\0' || strlen(path) > MAX_UNIX_PATH)
                return v2c_error_set(err, EINVAL, "invalid unix socket path");
        if (p->n_unix >= V2C_PORTS_MAX) {
                /* Same as ports: sort once, then look repeats up. */
                if (!p->sorted)
                        v2c_ports_sort_uniq(p);
                if (p->n_unix >= V2C_PORTS_MAX) {
                        if (bsearch(&path, p->unix_paths, p->n_unix, sizeof(char *), str_cmp))
                                return 0;
                        return v2c_error_set(err, E2BIG, "more than %d unix sockets", V2C_PORTS_MAX);
                }
        }
        /* Appended by hand: v2c_strv_push() walks the whole vector. */
        char *copy = strdup(path);
        char **nv = copy ? realloc(p->unix_paths, (p->n_unix + 2) * sizeof(char *)) : NULL;
        if (nv == NULL) {
                free(copy);
                return v2c_error_set(err, ENOMEM, "out of memory");
        }
        nv[p->n_unix++] = copy;
        nv[p->n_unix] = NULL;
        p->unix_paths = nv;
        p->sorted = false;
        return 0;
}

static int add_unix_span(struct v2c_ports *p, const char *s, size_t n, struct v2c_error **err)
{
        if (n == 0 || n > MAX_UNIX_PATH || memchr(s, '\0', n))
                return 0;
        _cleanup_free_ char *path = strndup(s, n);
        if (path == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        return v2c_ports_add_unix(p, path, err);
}

int v2c_ports_move(struct v2c_ports *dst, struct v2c_ports *src, struct v2c_error **err)
{
        size_t nu_dst = dst->n_unix, nu_src = src->n_unix;

        /* Grow both arrays before moving anything, so that a failure leaves
         * dst and src as they were. */
        if (src->n > dst->cap - dst->n) {
                size_t ncap = dst->n + src->n;
                struct v2c_listen *n = realloc(dst->items, ncap * sizeof(*n));
                if (n == NULL)
                        return v2c_error_set(err, ENOMEM, "out of memory");
                dst->items = n;
                dst->cap = ncap;
        }
        if (nu_src > 0) {
                char **nv = realloc(dst->unix_paths, (nu_dst + nu_src + 1) * sizeof(char *));
                if (nv == NULL)
                        return v2c_error_set(err, ENOMEM, "out of memory");
                memcpy(nv + nu_dst, src->unix_paths, nu_src * sizeof(char *));
                nv[nu_dst + nu_src] = NULL;
                dst->unix_paths = nv;
                dst->n_unix += nu_src;
                free(src->unix_paths);
                src->unix_paths = NULL;
                src->n_unix = 0;
        }
        if (src->n > 0)
                memcpy(dst->items + dst->n, src->items, src->n * sizeof(src->items[0]));
        dst->n += src->n;
        src->n = 0;
        v2c_ports_sort_uniq(dst);
        return 0;
}

/* ------------------------------------------------------------------------
 * Endpoint syntax
 */

/* 1 to 5 digits, 1..65535: "080" is accepted, "+80", "8e1", "" are not. */
static bool parse_port(const char *s, size_t n, unsigned *ret)
{
        if (n == 0 || n > 5 || !all_digits(s, n))
                return false;
        unsigned v = 0;
        for (size_t i = 0; i < n; i++)
                v = v * 10 + (unsigned) (s[i] - '0');
        if (v < 1 || v > 65535)
                return false;
        *ret = v;
        return true;
}

struct endpoint {
        const char *host;    /* borrowed slice of the input; NULL when absent */
        size_t host_len;
        unsigned port;       /* 0 when absent */
};

/* Splits "HOST:PORT", "[V6]:PORT", ":PORT", "PORT", "HOST", "[V6]" and a
 * bare IPv6 address ("::1": two colons or more without brackets can only
 * be an address, never address and port).  False when it is none of
 * these. */
static bool parse_endpoint(const char *s, size_t n, struct endpoint *e)
{
        *e = (struct endpoint) { 0 };
        if (n == 0)
                return false;
        if (s[0] == '[') {
                const char *close = memchr(s, ']', n);
                if (close == NULL || close == s + 1)
                        return false;
                if (!host_chars_ok(s + 1, (size_t) (close - s - 1)))
                        return false;
                e->host = s + 1;
                e->host_len = (size_t) (close - s - 1);
                size_t rest = n - (size_t) (close - s) - 1;
                if (rest == 0)
                        return true;
                if (close[1] != ':')
                        return false;
                return parse_port(close + 2, rest - 1, &e->port);
        }
        const char *colon = memchr(s, ':', n);
        if (colon == NULL) {
                if (all_digits(s, n))
                        return parse_port(s, n, &e->port);
                if (!host_chars_ok(s, n))
                        return false;
                e->host = s;
                e->host_len = n;
                return true;
        }
        size_t after = n - (size_t) (colon - s) - 1;
        if (memchr(colon + 1, ':', after)) {
                if (!host_chars_ok(s, n))
                        return false;
                e->host = s;
                e->host_len = n;
                return true;
        }
        if (colon > s) {
                if (!host_chars_ok(s, (size_t) (colon - s)))
                        return false;
                e->host = s;
                e->host_len = (size_t) (colon - s);
        }
        return parse_port(colon + 1, after, &e->port);
}

static bool is_ip_literal(const char *s, size_t n)
{
        char buf[64];
        if (n == 0 || n >= sizeof(buf))
                return false;
        memcpy(buf, s, n);
        buf[n] = '\0';
        char *pct = strchr(buf, '%');   /* fe80::1%eth0 */
        if (pct)
                *pct = '\0';
        unsigned char addr[16];
        return inet_pton(AF_INET, buf, addr) == 1 || inet_pton(AF_INET6, buf, addr) == 1;
}

/* Hosts that only a listening socket would name. */
static bool is_listen_host(const char *s, size_t n)
{
        return n == 0 || v2c_span_eq(s, n, "*") || v2c_span_eq_ci(s, n, "localhost") || is_ip_literal(s, n);
}

static int add_span(struct v2c_ports *p, unsigned port, const char *proto, const char *host,
                    size_t host_len, const char *source, struct v2c_error **err)
{
        _cleanup_free_ char *h = NULL;
        if (host) {
                /* A host v2c_ports_add() would refuse is skipped here like
                 * any other malformed value, not made an error. */
                const char *a = host;
                size_t an = host_len;
                if (an >= 2 && a[0] == '[' && a[an - 1] == ']') {
                        a++;
                        an -= 2;
                }
                if (!is_wildcard(a, an) && !host_chars_ok(a, an))
                        return 0;
                h = strndup(host, host_len);
                if (h == NULL)
                        return v2c_error_set(err, ENOMEM, "out of memory");
        }
        return v2c_ports_add(p, port, proto, h, source, err);
}

/* ------------------------------------------------------------------------
 * argv
 */

static const char *const argv_port_options[] = {
        "--port", "--http-port", "--https-port", "--listen-port", NULL,
};
static const char *const argv_endpoint_options[] = {
        "--listen", "--bind", "--addr", "--address", "--listen-addr", "--listen-address",
        "--http-addr", "--web.listen-address", "--host", NULL,
};
static const char *const argv_peer_options[] = {
        "--to", "--upstream", "--backend", "--connect", "--target", "--proxy", "--forward",
        "--master", "--join", "--peer", "--dsn", "--url", NULL,
};

static bool in_list(const char *const *list, const char *s, size_t n)
{
        for (size_t i = 0; list[i]; i++)
                if (v2c_span_eq(s, n, list[i]))
                        return true;
        return false;
}

#define ARGV_MAX_HOSTS 16
#define ARGV_MAX_PORTS 64

struct argv_state {
        struct v2c_ports found;
        struct { const char *s; size_t n; } hosts[ARGV_MAX_HOSTS];
        size_t n_hosts;
        unsigned ports[ARGV_MAX_PORTS];   /* from port options, waiting for hosts */
        size_t n_ports;
};

enum endpoint_mode {
        EP_LONG,        /* --listen: bare PORT accepted, any host name */
        EP_SHORT,       /* -l, -b: needs a colon; hosts must look like listen hosts */
        EP_POSITIONAL,  /* a word on its own: needs a port and a listen host */
};

/* Is this one comma-separated piece an endpoint in this mode?  Records it
 * in st when record is true. */
static int argv_endpoint(struct argv_state *st, const char *s, size_t n, enum endpoint_mode mode,
                         bool record, bool *ok, struct v2c_error **err)
{
        const char *proto = "tcp";
        *ok = false;
        if (mode != EP_POSITIONAL) {
                if (v2c_span_starts(s, n, "unix:")) {
                        size_t skip = v2c_span_starts(s, n, "unix://") ? 7 : 5;
                        if (n > skip && s[skip] == '/') {
                                *ok = true;
                                if (record)
                                        return add_unix_span(&st->found, s + skip, n - skip, err);
                        }
                        return 0;
                }
                static const struct { const char *scheme; const char *proto; } schemes[] = {
                        { "tcp://", "tcp" }, { "tcp4://", "tcp" }, { "tcp6://", "tcp" },
                        { "http://", "tcp" }, { "https://", "tcp" }, { "udp://", "udp" },
                };
                for (size_t i = 0; i < V2C_ARRAY_SIZE(schemes); i++)
                        if (v2c_span_starts(s, n, schemes[i].scheme)) {
                                size_t l = strlen(schemes[i].scheme);
                                s += l;
                                n -= l;
                                proto = schemes[i].proto;
                                const char *slash = memchr(s, '/', n);
                                if (slash)
                                        n = (size_t) (slash - s);
                                break;
                        }
        }

        struct endpoint e;
        if (!parse_endpoint(s, n, &e))
                return 0;
        bool has_colon = memchr(s, ':', n) != NULL;
        if (e.port == 0) {
                /* A host alone: the address of the --port ports. */
                if (mode == EP_POSITIONAL)
                        return 0;
                if (mode == EP_SHORT && !is_listen_host(e.host, e.host_len))
                        return 0;
                *ok = true;
                if (record && st->n_hosts < ARGV_MAX_HOSTS) {
                        st->hosts[st->n_hosts].s = e.host;
                        st->hosts[st->n_hosts].n = e.host_len;
                        st->n_hosts++;
                }
                return 0;
        }
        if (mode != EP_LONG && !has_colon)
                return 0;
        if (mode != EP_LONG && e.host && !is_listen_host(e.host, e.host_len))
                return 0;
        *ok = true;
        if (!record)
                return 0;
        return add_span(&st->found, e.port, proto, e.host, e.host_len, "argv", err);
}

/* Checks every comma-separated piece first, then records them: a value
 * is taken whole or not at all. */
static int argv_endpoints(struct argv_state *st, const char *s, enum endpoint_mode mode, bool *ok,
                          struct v2c_error **err)
{
        *ok = false;
        for (int pass = 0; pass < 2; pass++) {
                const char *p = s;
                size_t pieces = 0;
                for (;;) {
                        const char *comma = strchr(p, ',');
                        size_t n = comma ? (size_t) (comma - p) : strlen(p);
                        bool piece_ok;
                        int r = argv_endpoint(st, p, n, mode, pass == 1, &piece_ok, err);
                        if (r < 0)
                                return r;
                        if (!piece_ok)
                                return 0;
                        if (++pieces > ARGV_MAX_HOSTS || !comma)
                                break;
                        p = comma + 1;
                }
        }
        *ok = true;
        return 0;
}

static void argv_port_value(struct argv_state *st, const char *s, bool *ok)
{
        unsigned port;
        *ok = parse_port(s, strlen(s), &port);
        if (*ok && st->n_ports < ARGV_MAX_PORTS)
                st->ports[st->n_ports++] = port;
}

int v2c_ports_from_argv(char *const *argv, struct v2c_ports *out, struct v2c_error **err)
{
        struct argv_state st = { 0 };
        int r = 0;
        bool ok;

        for (size_t i = 1; argv && argv[0] && argv[i]; i++) {
                const char *a = argv[i];
                const char *next = argv[i + 1];

                if (a[0] == '-' && a[1] == '-' && a[2] != '\0') {
                        const char *eq = strchr(a, '=');
                        size_t name_len = eq ? (size_t) (eq - a) : strlen(a);
                        if (in_list(argv_port_options, a, name_len)) {
                                if (eq)
                                        argv_port_value(&st, eq + 1, &ok);
                                else if (next) {
                                        argv_port_value(&st, next, &ok);
                                        i += ok;
                                }
                        } else if (in_list(argv_endpoint_options, a, name_len)) {
                                if (eq)
                                        r = argv_endpoints(&st, eq + 1, EP_LONG, &ok, err);
                                else if (next) {
                                        r = argv_endpoints(&st, next, EP_LONG, &ok, err);
                                        i += ok;
                                }
                        } else if (in_list(argv_peer_options, a, name_len)) {
                                if (!eq && next && next[0] != '-')
                                        i++;
                        }
                } else if (a[0] == '-' && (a[1] == 'p' || a[1] == 'l' || a[1] == 'b')) {
                        bool port_opt = a[1] == 'p';
                        if (a[2] != '\0') {
                                if (port_opt)
                                        argv_port_value(&st, a + 2, &ok);
                                else
                                        r = argv_endpoints(&st, a + 2, EP_SHORT, &ok, err);
                        } else if (next) {
                                if (port_opt)
                                        argv_port_value(&st, next, &ok);
                                else
                                        r = argv_endpoints(&st, next, EP_SHORT, &ok, err);
                                i += ok;
                        }
                } else if (a[0] != '-') {
                        r = argv_endpoints(&st, a, EP_POSITIONAL, &ok, err);
                }
                if (r < 0)
                        goto out;
        }

        for (size_t i = 0; i < st.n_ports; i++) {
                if (st.n_hosts == 0)
                        r = add_span(&st.found, st.ports[i], "tcp", NULL, 0, "argv", err);
                for (size_t h = 0; r >= 0 && h < st.n_hosts; h++)
                        r = add_span(&st.found, st.ports[i], "tcp", st.hosts[h].s, st.hosts[h].n,
                                     "argv", err);
                if (r < 0)
                        goto out;
        }
        r = v2c_ports_move(out, &st.found, err);
out:
        v2c_ports_release(&st.found);
        return r < 0 ? v2c_error_prefix(err, r, "ports from argv") : 0;
}

/* ------------------------------------------------------------------------
 * systemd socket units
 */

int v2c_ports_from_socket_value(const char *key, const char *value, const char *source,
                                struct v2c_ports *out, struct v2c_error **err)
{
        if (key == NULL || value == NULL || source == NULL)
                return v2c_error_set(err, EINVAL, "socket value without key, value or source");

        const char *proto;
        if (strcmp(key, "ListenStream") == 0)
                proto = "tcp";
        else if (strcmp(key, "ListenDatagram") == 0)
                proto = "udp";
        else if (strcmp(key, "ListenSequentialPacket") == 0)
                proto = NULL;
        else
                return 0;

        const char *s = value;
        size_t n = strlen(value);
        v2c_span_trim(&s, &n, V2C_SPACES);
        if (n == 0 || s[0] == '@' || v2c_span_starts(s, n, "vsock:"))
                return 0;

        _cleanup_ports_ struct v2c_ports tmp = { 0 };
        int r;
        if (s[0] == '/' || s[0] == '%') {
                r = add_unix_span(&tmp, s, n, err);
        } else {
                struct endpoint e;
                if (proto == NULL || !parse_endpoint(s, n, &e) || e.port == 0)
                        return 0;
                /* systemd takes addresses, not names: "localhost:80" is
                 * refused by systemd, so it is no port of ours either. */
                if (e.host && !is_ip_literal(e.host, e.host_len))
                        return 0;
                r = add_span(&tmp, e.port, proto, e.host, e.host_len, source, err);
        }
        if (r < 0)
                return r;
        return v2c_ports_move(out, &tmp, err);
}

/* ------------------------------------------------------------------------
 * Config machinery: limits, includes, lines and words
 */

struct cfg;

struct parser {
        const char *name;
        size_t state_size;
        int (*parse)(struct cfg *c, const char *data, size_t len, struct v2c_error **err);
        int (*finish)(struct cfg *c, struct v2c_error **err);  /* NULL: nothing to add */
        void (*release)(void *state);                            /* NULL: nothing to free */
};

struct cfg {
        const struct parser *parser;
        struct v2c_svc_config *conf;             /* being built; borrowed */
        const struct v2c_include_reader *inc;    /* borrowed; may be NULL */
        void *state;                             /* the parser's, owned */
        const char *path;                        /* file being parsed; borrowed */
        char *main_dir;                          /* owned; directory of the main file or NULL */
        unsigned depth;                          /* 1 while in the main file */
        unsigned files, includes;
        size_t adds;                             /* ports and sockets added, counted against a budget */
        size_t bytes;
};

/* The directory part of path (new), or NULL when it has none. */
static char *dir_of(const char *path)
{
        const char *slash = path ? strrchr(path, '/') : NULL;
        if (slash == NULL)
                return NULL;
        if (slash == path)
                return strdup("/");
        return strndup(path, (size_t) (slash - path));
}

static int cfg_parse_file(struct cfg *c, const char *path, const char *data, size_t len,
                          struct v2c_error **err)
{
        if (data == NULL) {
                if (len > 0)
                        return v2c_error_set(err, EINVAL, "no data for `%s`", path ? path : "config");
                data = "";
        }
        if (c->depth > V2C_CONFIG_MAX_DEPTH)
                return v2c_error_set(err, ELOOP, "includes nested deeper than %d levels at `%s`",
                                     V2C_CONFIG_MAX_DEPTH, path ? path : "config");
        if (++c->files > V2C_CONFIG_MAX_FILES)
                return v2c_error_set(err, E2BIG, "more than %d config files", V2C_CONFIG_MAX_FILES);
        if (len > V2C_CONFIG_MAX_BYTES - c->bytes)
                return v2c_error_set(err, E2BIG, "more than %d bytes of config",
                                     V2C_CONFIG_MAX_BYTES);
        c->bytes += len;

        const char *saved = c->path;
        c->path = path;
        c->depth++;
        int r = c->parser->parse(c, data, len, err);
        c->depth--;
        c->path = saved;
        return r;
}

static int include_file_cb(void *state, const char *path, const char *data, size_t len,
                           struct v2c_error **err)
{
        return cfg_parse_file(state, path, data, len, err);
}

/* Follows an include directive: pattern as written, base the directory
 * relative patterns are resolved against (NULL: leave them relative). */
static int cfg_include(struct cfg *c, const char *pattern, const char *base, struct v2c_error **err)
{
        if (c->inc == NULL || c->inc->read_include == NULL || pattern[0] == '\0')
                return 0;
        if (++c->includes > V2C_CONFIG_MAX_INCLUDES)
                return v2c_error_set(err, E2BIG, "more than %d include directives",
                                     V2C_CONFIG_MAX_INCLUDES);
        /* An include one level too deep would only fail once it matched:
         * say so now, without making the caller glob for nothing. */
        if (c->depth > V2C_CONFIG_MAX_DEPTH)
                return v2c_error_set(err, ELOOP, "includes nested deeper than %d levels at `%s`",
                                     V2C_CONFIG_MAX_DEPTH, pattern);

        _cleanup_free_ char *full = NULL;
        if (pattern[0] != '/' && base && base[0]) {
                if (asprintf(&full, "%s%s%s", base,
                             base[strlen(base) - 1] == '/' ? "" : "/", pattern) < 0) {
                        full = NULL;
                        return v2c_error_set(err, ENOMEM, "out of memory");
                }
        } else if ((full = strdup(pattern)) == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");

        int r = c->inc->read_include(c->inc->ctx, full, include_file_cb, c, err);
        if (r < 0)
                return v2c_error_set(err, r, "reading include `%s`", full);
        return 0;
}

static const char *cfg_source_path(const struct cfg *c)
{
        return c->path ? c->path : "(config)";
}

/* Every add costs a little even when it is a repeat; a hostile file of
 * "bind :1-1024" lines would otherwise make millions of them. */
static int cfg_budget(struct cfg *c, struct v2c_error **err)
{
        if (++c->adds > V2C_CONFIG_MAX_ADDS)
                return v2c_error_set(err, E2BIG, "more than %d listening sockets declared",
                                     V2C_CONFIG_MAX_ADDS);
        return 0;
}

static int cfg_add_unix(struct cfg *c, const char *s, size_t n, struct v2c_error **err)
{
        int r = cfg_budget(c, err);
        return r < 0 ? r : add_unix_span(&c->conf->ports, s, n, err);
}

/* Adds a port found in the file being parsed (source "config:PATH"). */
static int cfg_add(struct cfg *c, unsigned port, const char *proto, const char *host, size_t host_len,
                   struct v2c_error **err)
{
        int r = cfg_budget(c, err);
        if (r < 0)
                return r;
        _cleanup_free_ char *source = NULL;
        if (asprintf(&source, "config:%s", cfg_source_path(c)) < 0) {
                source = NULL;
                return v2c_error_set(err, ENOMEM, "out of memory");
        }
        return add_span(&c->conf->ports, port, proto, host, host_len, source, err);
}

static int cfg_add_default(struct cfg *c, unsigned port, const char *host, struct v2c_error **err)
{
        int r = cfg_budget(c, err);
        if (r < 0)
                return r;
        _cleanup_free_ char *source = NULL;
        if (asprintf(&source, "default:%s", c->parser->name) < 0) {
                source = NULL;
                return v2c_error_set(err, ENOMEM, "out of memory");
        }
        return add_span(&c->conf->ports, port, "tcp", host, host ? strlen(host) : 0, source, err);
}

static int strs_add(char ***list, const char *s, size_t n, struct v2c_error **err)
{
        if (n == 0 || memchr(s, '\0', n))
                return 0;
        _cleanup_free_ char *copy = strndup(s, n);
        if (copy == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        if (v2c_strv_contains(*list, copy))
                return 0;
        if (v2c_strv_len(*list) >= V2C_CONFIG_MAX_STRINGS)
                return v2c_error_set(err, E2BIG, "more than %d paths of one kind",
                                     V2C_CONFIG_MAX_STRINGS);
        if (v2c_strv_consume(list, TAKE_PTR(copy)) < 0)
                return v2c_error_set(err, ENOMEM, "out of memory");
        return 0;
}

/* Log destinations that are not files. */
static int add_log(struct cfg *c, const char *s, struct v2c_error **err)
{
        size_t n = strlen(s);
        if (n == 0 || v2c_span_eq(s, n, "stderr") || v2c_span_eq(s, n, "off") || s[0] == '|' ||
            v2c_span_starts(s, n, "syslog") || v2c_span_starts(s, n, "memory:"))
                return 0;
        return strs_add(&c->conf->log_paths, s, n, err);
}

/* One line at a time; "\r\n" endings lose their '\r'. */
/* Splits a line into words; quotes, escapes and comments as flags say.
 * Words past WORDS_MAX are dropped (no directive we read has that many
 * arguments).  The store is one allocation no larger than the line plus
 * two bytes: every word's NUL is paid for by the separator after it. */
#define WORDS_MAX 64
enum {
        W_QUOTES = 1 << 0,        /* "..." and '...' group, quotes removed */
        W_BACKSLASH = 1 << 1,     /* backslash escapes the next char, also inside "..." */
        W_HASH_COMMENT = 1 << 2,  /* an unquoted '#' starting a word ends the line */
        W_EQUALS = 1 << 3,        /* "Key=value" and "Key = value": '=' ends the first word */
};

struct words {
        char *v[WORDS_MAX];
        size_t n;
        char *store;   /* owned */
};

static void words_release(struct words *w)
{
        free(w->store);
        w->store = NULL;
        w->n = 0;
}

static int split_words(const char *s, size_t n, unsigned flags, struct words *w,
                       struct v2c_error **err)
{
        words_release(w);
        w->store = malloc(n + 2);
        if (w->store == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        char *o = w->store;
        size_t i = 0, count = 0;
        while (i < n) {
                while (i < n && v2c_is_space(s[i]))
                        i++;
                if (i >= n)
                        break;
                if ((flags & W_HASH_COMMENT) && s[i] == '#')
                        break;
                if ((flags & W_EQUALS) && count == 1 && s[i] == '=') {
                        i++;
                        continue;
                }
                char *start = o;
                while (i < n && !v2c_is_space(s[i])) {
                        char ch = s[i];
                        if ((flags & W_EQUALS) && count == 0 && ch == '=')
                                break;
                        if ((flags & W_QUOTES) && (ch == '"' || ch == '\'')) {
                                i++;
                                while (i < n && s[i] != ch) {
                                        if ((flags & W_BACKSLASH) && ch == '"' && s[i] == '\\' &&
                                            i + 1 < n)
                                                i++;
                                        *o++ = s[i++];
                                }
                                if (i < n)
                                        i++;
                                continue;
                        }
                        if ((flags & W_BACKSLASH) && ch == '\\' && i + 1 < n)
                                i++;
                        *o++ = s[i++];
                }
                *o++ = '\0';
                if (w->n < WORDS_MAX)
                        w->v[w->n++] = start;
                count++;
        }
        return 0;
}

static bool word_is(const struct words *w, size_t i, const char *lit)
{
        return i < w->n && strcasecmp(w->v[i], lit) == 0;
}

/* Calls fn for each comma-separated, trimmed, non-empty piece of s. */
static int for_each_piece(const char *s, size_t n, char sep,
                          int (*fn)(void *ud, const char *p, size_t pn, struct v2c_error **err),
                          void *ud, struct v2c_error **err)
{
        while (n > 0) {
                const char *c = memchr(s, sep, n);
                size_t pn = c ? (size_t) (c - s) : n;
                const char *p = s;
                size_t tn = pn;
                v2c_span_trim(&p, &tn, V2C_SPACES);
                if (tn > 0) {
                        int r = fn(ud, p, tn, err);
                        if (r < 0)
                                return r;
                }
                if (c == NULL)
                        break;
                s = c + 1;
                n -= pn + 1;
        }
        return 0;
}

static int strv_add_piece(void *ud, const char *p, size_t n, struct v2c_error **err)
{
        char ***list = ud;
        if (v2c_strv_len(*list) >= WORDS_MAX)
                return 0;
        return strs_add(list, p, n, err);
}

/* Replaces *list by the comma-separated pieces of s (a "last wins" list
 * setting such as postgresql's listen_addresses). */
static int set_list(char ***list, const char *s, size_t n, char sep, struct v2c_error **err)
{
        char **nl = NULL;
        int r = for_each_piece(s, n, sep, strv_add_piece, &nl, err);
        if (r < 0) {
                v2c_strv_free(nl);
                return r;
        }
        v2c_strv_free(*list);
        /* An empty list is kept as a list with nothing in it, so that "no
         * address" differs from "not set". */
        if (nl == NULL && (nl = calloc(1, sizeof(char *))) == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        *list = nl;
        return 0;
}

static int set_string(char **dst, const char *s, size_t n, struct v2c_error **err)
{
        char *copy = strndup(s, n);
        if (copy == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        free(*dst);
        *dst = copy;
        return 0;
}

/* A setting whose last value wins, remembering the file it came from. */
struct setting {
        char *value;    /* owned; NULL when never set */
        char *source;   /* owned: "config:PATH" */
};

static void setting_release(struct setting *s)
{
        free(s->value);
        free(s->source);
        *s = (struct setting) { 0 };
}

static int setting_set(struct cfg *c, struct setting *st, const char *s, size_t n,
                       struct v2c_error **err)
{
        _cleanup_free_ char *v = strndup(s, n);
        _cleanup_free_ char *src = NULL;
        if (v == NULL || asprintf(&src, "config:%s", cfg_source_path(c)) < 0) {
                src = NULL;
                return v2c_error_set(err, ENOMEM, "out of memory");
        }
        setting_release(st);
        st->value = TAKE_PTR(v);
        st->source = TAKE_PTR(src);
        return 0;
}

/* Adds port on each host of hosts (NULL: every address), with source. */
static int add_on_hosts(struct cfg *c, unsigned port, const char *proto, char *const *hosts,
                        const char *source, struct v2c_error **err)
{
        if (hosts == NULL)
                return add_span(&c->conf->ports, port, proto, NULL, 0, source, err);
        for (size_t i = 0; hosts[i]; i++) {
                int r = add_span(&c->conf->ports, port, proto, hosts[i], strlen(hosts[i]), source,
                                 err);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* ------------------------------------------------------------------------
 * nginx
 */

enum ngx_block { NGX_OTHER, NGX_HTTP, NGX_STREAM, NGX_MAIL, NGX_SERVER };
#define NGX_MAX_NEST 32
#define NGX_MAX_ARGS 16

struct ngx_state {
        unsigned char kind[NGX_MAX_NEST];
        bool listen_seen[NGX_MAX_NEST];
        size_t top;       /* open blocks we track */
        size_t hidden;    /* open blocks nested past NGX_MAX_NEST, counted to match their '}' */
};

enum ngx_token { NGX_EOF, NGX_WORD, NGX_SEMI, NGX_OPEN, NGX_CLOSE };

static int ngx_putc(struct v2c_buf *b, char ch, struct v2c_error **err)
{
        int r = v2c_buf_append(b, &ch, 1);
        if (r == -E2BIG)
                return v2c_error_set(err, E2BIG, "word longer than %d bytes", V2C_CONFIG_MAX_TOKEN);
        if (r < 0)
                return v2c_error_set(err, -r, "out of memory");
        return 0;
}

/* nginx's lexer, as ngx_conf_read_token() has it: '#' starts a comment
 * only where a word could start, quotes group, "\"" "\\" "\t" "\r" "\n"
 * are escapes in quotes and a backslash keeps the next character outside
 * them, "${" starts a variable whose braces do not open a block. */
static int ngx_next(const char **pp, const char *end, struct v2c_buf *word, enum ngx_token *t,
                    struct v2c_error **err)
{
        const char *p = *pp;
        int r = 0;
        *t = NGX_EOF;
        while (p < end) {
                if (v2c_is_space(*p)) {
                        p++;
                        continue;
                }
                if (*p == '#') {
                        const char *nl = memchr(p, '\n', (size_t) (end - p));
                        p = nl ? nl + 1 : end;
                        continue;
                }
                if (*p == ';' || *p == '{' || *p == '}') {
                        *t = *p == ';' ? NGX_SEMI : *p == '{' ? NGX_OPEN : NGX_CLOSE;
                        p++;
                        break;
                }
                v2c_buf_reset(word);
                *t = NGX_WORD;
                if (*p == '"' || *p == '\'') {
                        char q = *p++;
                        while (r >= 0 && p < end && *p != q) {
                                if (*p == '\\' && p + 1 < end) {
                                        char e = p[1];
                                        char out = e == 't' ? '\t' : e == 'r' ? '\r' : e == 'n' ? '\n' : e;
                                        if (e == q || e == '\\' || e == 't' || e == 'r' || e == 'n') {
                                                r = ngx_putc(word, out, err);
                                                p += 2;
                                                continue;
                                        }
                                }
                                r = ngx_putc(word, *p++, err);
                        }
                        if (p < end)
                                p++;
                        break;
                }
                while (r >= 0 && p < end && !v2c_is_space(*p) && *p != ';' && *p != '{' && *p != '}') {
                        if (*p == '\\' && p + 1 < end)
                                p++;
                        else if (*p == '$' && p + 1 < end && p[1] == '{') {
                                const char *close = memchr(p, '}', (size_t) (end - p));
                                const char *stop = close ? close + 1 : end;
                                while (r >= 0 && p < stop)
                                        r = ngx_putc(word, *p++, err);
                                continue;
                        }
                        r = ngx_putc(word, *p++, err);
                }
                break;
        }
        *pp = p;
        return r;
}

struct ngx_stmt {
        char *v[NGX_MAX_ARGS];
        size_t n;
};

static void ngx_stmt_clear(struct ngx_stmt *s)
{
        for (size_t i = 0; i < s->n; i++)
                free(s->v[i]);
        s->n = 0;
}

static bool ngx_has_param(const struct ngx_stmt *s, const char *param)
{
        for (size_t i = 2; i < s->n; i++)
                if (strcmp(s->v[i], param) == 0)
                        return true;
        return false;
}

static int ngx_listen(struct cfg *c, struct ngx_state *st, const struct ngx_stmt *s,
                      struct v2c_error **err)
{
        if (st->top < 2 || st->kind[st->top - 1] != NGX_SERVER)
                return 0;
        st->listen_seen[st->top - 1] = true;
        if (s->n < 2)
                return 0;
        const char *a = s->v[1];
        size_t n = strlen(a);
        if (v2c_span_starts(a, n, "unix:"))
                return cfg_add_unix(c, a + 5, n - 5, err);

        unsigned parent = st->kind[st->top - 2];
        const char *proto = "tcp";
        if ((parent == NGX_STREAM && ngx_has_param(s, "udp")) ||
            (parent == NGX_HTTP && ngx_has_param(s, "quic")))
                proto = "udp";
        struct endpoint e;
        if (!parse_endpoint(a, n, &e))
                return 0;
        return cfg_add(c, e.port ? e.port : 80, proto, e.host, e.host_len, err);
}

static int ngx_close_block(struct cfg *c, struct ngx_state *st, struct v2c_error **err)
{
        if (st->hidden > 0) {
                st->hidden--;
                return 0;
        }
        if (st->top == 0)
                return 0;   /* a stray '}': nginx refuses it, we just go on */
        st->top--;
        /* nginx listens on *:80 for an http server block that says nothing
         * (*:8000 when not started as root, which services are). */
        if (st->kind[st->top] == NGX_SERVER && !st->listen_seen[st->top] && st->top > 0 &&
            st->kind[st->top - 1] == NGX_HTTP)
                return cfg_add_default(c, 80, NULL, err);
        return 0;
}

static int ngx_open_block(struct ngx_state *st, const struct ngx_stmt *s)
{
        if (st->top >= NGX_MAX_NEST) {
                st->hidden++;
                return 0;
        }
        unsigned parent = st->top ? st->kind[st->top - 1] : NGX_OTHER;
        unsigned kind = NGX_OTHER;
        const char *name = s->n ? s->v[0] : "";
        if (st->top == 0 && strcmp(name, "http") == 0)
                kind = NGX_HTTP;
        else if (st->top == 0 && strcmp(name, "stream") == 0)
                kind = NGX_STREAM;
        else if (st->top == 0 && strcmp(name, "mail") == 0)
                kind = NGX_MAIL;
        else if (strcmp(name, "server") == 0 &&
                 (parent == NGX_HTTP || parent == NGX_STREAM || parent == NGX_MAIL))
                kind = NGX_SERVER;
        st->kind[st->top] = (unsigned char) kind;
        st->listen_seen[st->top] = false;
        st->top++;
        return 0;
}

static int ngx_directive(struct cfg *c, struct ngx_state *st, const struct ngx_stmt *s,
                         struct v2c_error **err)
{
        if (s->n == 0)
                return 0;
        const char *name = s->v[0];
        if (strcmp(name, "listen") == 0)
                return ngx_listen(c, st, s, err);
        if (strcmp(name, "include") == 0 && s->n >= 2)
                return cfg_include(c, s->v[1], c->main_dir, err);
        if (strcmp(name, "daemon") == 0 && s->n >= 2 && st->top == 0 && st->hidden == 0) {
                if (strcmp(s->v[1], "on") == 0)
                        c->conf->daemon = 1;
                else if (strcmp(s->v[1], "off") == 0)
                        c->conf->daemon = 0;
                return 0;
        }
        if ((strcmp(name, "error_log") == 0 || strcmp(name, "access_log") == 0) && s->n >= 2)
                return add_log(c, s->v[1], err);
        if ((strcmp(name, "root") == 0 || strcmp(name, "alias") == 0) && s->n >= 2 && s->v[1][0] == '/')
                return strs_add(&c->conf->content_dirs, s->v[1], strlen(s->v[1]), err);
        return 0;
}

static int ngx_parse(struct cfg *c, const char *data, size_t len, struct v2c_error **err)
{
        struct ngx_state *st = c->state;
        _cleanup_buf_ struct v2c_buf word;
        v2c_buf_init(&word, V2C_CONFIG_MAX_TOKEN);
        struct ngx_stmt s = { 0 };
        const char *p = data, *end = data + len;
        int r;

        for (;;) {
                enum ngx_token t;
                r = ngx_next(&p, end, &word, &t, err);
                if (r < 0 || t == NGX_EOF)
                        break;
                if (t == NGX_WORD) {
                        if (s.n < NGX_MAX_ARGS) {
                                s.v[s.n] = strdup(word.data ? word.data : "");
                                if (s.v[s.n] == NULL) {
                                        r = v2c_error_set(err, ENOMEM, "out of memory");
                                        break;
                                }
                                s.n++;
                        }
                        continue;
                }
                if (t == NGX_SEMI)
                        r = ngx_directive(c, st, &s, err);
                else if (t == NGX_OPEN)
                        r = ngx_open_block(st, &s);
                else
                        r = ngx_close_block(c, st, err);
                ngx_stmt_clear(&s);
                if (r < 0)
                        break;
        }
        ngx_stmt_clear(&s);
        return r;
}

static int ngx_finish(struct cfg *c, struct v2c_error **err)
{
        struct ngx_state *st = c->state;
        /* nginx refuses a file whose blocks stay open; closing them keeps
         * the defaults of a truncated file's server blocks. */
        st->hidden = 0;
        while (st->top > 0) {
                int r = ngx_close_block(c, st, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* ------------------------------------------------------------------------
 * apache2
 */

struct apache_state {
        bool listen_seen;
        char *server_root;    /* owned */
};

static void apache_release(void *state)
{
        struct apache_state *st = state;
        free(st->server_root);
}

static int apache_line(struct cfg *c, struct apache_state *st, const char *line, size_t n,
                       struct v2c_error **err)
{
        _cleanup_(words_release) struct words w = { 0 };
        int r = split_words(line, n, W_QUOTES, &w, err);
        if (r < 0 || w.n == 0)
                return r;

        if (word_is(&w, 0, "Listen")) {
                /* Even a Listen we cannot read ("${PORT}") means the
                 * server does not listen on the default. */
                st->listen_seen = true;
                struct endpoint e;
                if (w.n < 2 || !parse_endpoint(w.v[1], strlen(w.v[1]), &e) || e.port == 0)
                        return 0;
                return cfg_add(c, e.port, "tcp", e.host, e.host_len, err);
        }
        if ((word_is(&w, 0, "Include") || word_is(&w, 0, "IncludeOptional")) && w.n >= 2)
                return cfg_include(c, w.v[1], st->server_root ? st->server_root : c->main_dir, err);
        if (word_is(&w, 0, "ServerRoot") && w.n >= 2)
                return set_string(&st->server_root, w.v[1], strlen(w.v[1]), err);
        if ((word_is(&w, 0, "ErrorLog") || word_is(&w, 0, "CustomLog") ||
             word_is(&w, 0, "TransferLog")) && w.n >= 2)
                return add_log(c, w.v[1], err);
        if (word_is(&w, 0, "DocumentRoot") && w.n >= 2 && w.v[1][0] == '/')
                return strs_add(&c->conf->content_dirs, w.v[1], strlen(w.v[1]), err);
        return 0;
}

static int apache_parse(struct cfg *c, const char *data, size_t len, struct v2c_error **err)
{
        struct apache_state *st = c->state;
        struct v2c_lines l = { data, data + len, 0 };
        _cleanup_buf_ struct v2c_buf joined;
        v2c_buf_init(&joined, V2C_CONFIG_MAX_BYTES);
        const char *s;
        size_t n;

        while (v2c_lines_next(&l, &s, &n)) {
                /* A backslash at the end of a line continues it. */
                v2c_buf_reset(&joined);
                for (;;) {
                        bool more = n > 0 && s[n - 1] == '\\';
                        if (v2c_buf_append(&joined, s, more ? n - 1 : n) < 0)
                                return v2c_error_set(err, ENOMEM, "out of memory");
                        if (!more || !v2c_lines_next(&l, &s, &n))
                                break;
                }
                const char *line = joined.data;
                size_t ln = joined.len;
                v2c_span_trim(&line, &ln, V2C_SPACES);
                if (ln == 0 || line[0] == '#' || line[0] == '<')
                        continue;
                int r = apache_line(c, st, line, ln, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int apache_finish(struct cfg *c, struct v2c_error **err)
{
        struct apache_state *st = c->state;
        return st->listen_seen ? 0 : cfg_add_default(c, 80, NULL, err);
}

/* ------------------------------------------------------------------------
 * redis
 */

struct redis_state {
        struct setting port, tls_port, dir, logfile, unixsocket;
        char **bind;          /* owned; NULL when never set */
};

static void redis_release(void *state)
{
        struct redis_state *st = state;
        setting_release(&st->port);
        setting_release(&st->tls_port);
        setting_release(&st->dir);
        setting_release(&st->logfile);
        setting_release(&st->unixsocket);
        v2c_strv_free(st->bind);
}

static int redis_parse(struct cfg *c, const char *data, size_t len, struct v2c_error **err)
{
        struct redis_state *st = c->state;
        struct v2c_lines l = { data, data + len, 0 };
        _cleanup_(words_release) struct words w = { 0 };
        _cleanup_free_ char *here = dir_of(c->path);
        const char *s;
        size_t n;

        while (v2c_lines_next(&l, &s, &n)) {
                v2c_span_trim(&s, &n, V2C_SPACES);
                if (n == 0 || s[0] == '#')
                        continue;
                int r = split_words(s, n, W_QUOTES | W_BACKSLASH, &w, err);
                if (r < 0)
                        return r;
                if (w.n < 2)
                        continue;
                const char *v = w.v[1];
                if (word_is(&w, 0, "port"))
                        r = setting_set(c, &st->port, v, strlen(v), err);
                else if (word_is(&w, 0, "tls-port"))
                        r = setting_set(c, &st->tls_port, v, strlen(v), err);
                else if (word_is(&w, 0, "dir"))
                        r = setting_set(c, &st->dir, v, strlen(v), err);
                else if (word_is(&w, 0, "logfile"))
                        r = setting_set(c, &st->logfile, v, strlen(v), err);
                else if (word_is(&w, 0, "unixsocket"))
                        r = setting_set(c, &st->unixsocket, v, strlen(v), err);
                else if (word_is(&w, 0, "daemonize")) {
                        if (strcasecmp(v, "yes") == 0)
                                c->conf->daemon = 1;
                        else if (strcasecmp(v, "no") == 0)
                                c->conf->daemon = 0;
                } else if (word_is(&w, 0, "include"))
                        r = cfg_include(c, v, here, err);
                else if (word_is(&w, 0, "bind")) {
                        char **nb = calloc(1, sizeof(char *));
                        if (nb == NULL)
                                return v2c_error_set(err, ENOMEM, "out of memory");
                        for (size_t i = 1; r >= 0 && i < w.n; i++) {
                                /* "-::1": bind if the address exists (redis 7). */
                                const char *a = w.v[i][0] == '-' ? w.v[i] + 1 : w.v[i];
                                r = strs_add(&nb, a, strlen(a), err);
                        }
                        v2c_strv_free(st->bind);
                        st->bind = nb;
                }
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Redis's bind list, with "*" folded into "every address". */
static char **redis_hosts(char **bind)
{
        if (bind == NULL)
                return NULL;
        for (size_t i = 0; bind[i]; i++)
                if (is_wildcard(bind[i], strlen(bind[i])))
                        return NULL;
        return bind;
}

static int redis_finish(struct cfg *c, struct v2c_error **err)
{
        struct redis_state *st = c->state;
        char **hosts = redis_hosts(st->bind);
        unsigned port = 6379;
        int r = 0;

        if (st->port.value) {
                /* "port 0": no tcp at all, unix socket only. */
                if (strcmp(st->port.value, "0") != 0 &&
                    parse_port(st->port.value, strlen(st->port.value), &port))
                        r = add_on_hosts(c, port, "tcp", hosts, st->port.source, err);
        } else
                r = add_on_hosts(c, port, "tcp", hosts, "default:redis", err);
        if (r >= 0 && st->tls_port.value &&
            parse_port(st->tls_port.value, strlen(st->tls_port.value), &port))
                r = add_on_hosts(c, port, "tcp", hosts, st->tls_port.source, err);
        if (r >= 0 && st->dir.value)
                r = strs_add(&c->conf->data_dirs, st->dir.value, strlen(st->dir.value), err);
        if (r >= 0 && st->logfile.value)
                r = add_log(c, st->logfile.value, err);
        if (r >= 0 && st->unixsocket.value)
                r = cfg_add_unix(c, st->unixsocket.value,
                                  strlen(st->unixsocket.value), err);
        return r;
}

/* ------------------------------------------------------------------------
 * postgresql
 */

struct pg_state {
        struct setting port, listen, data_dir, socket_dirs;
};

static void pg_release(void *state)
{
        struct pg_state *st = state;
        setting_release(&st->port);
        setting_release(&st->listen);
        setting_release(&st->data_dir);
        setting_release(&st->socket_dirs);
}

/* "name [=] value [# comment]", value bare or '...' with '' and
 * backslash escapes, as guc-file.l reads it.  *value is new. */
static int pg_split(const char *s, size_t n, const char **name, size_t *name_len, char **value,
                    struct v2c_error **err)
{
        size_t i = 0;
        *value = NULL;
        while (i < n && v2c_is_space(s[i]))
                i++;
        size_t start = i;
        while (i < n && (is_alpha(s[i]) || is_digit(s[i]) || s[i] == '_' || s[i] == '.'))
                i++;
        if (i == start)
                return 0;
        *name = s + start;
        *name_len = i - start;
        while (i < n && v2c_is_space(s[i]))
                i++;
        if (i < n && s[i] == '=')
                i++;
        while (i < n && v2c_is_space(s[i]))
                i++;

        _cleanup_buf_ struct v2c_buf v;
        v2c_buf_init(&v, n);
        if (i < n && s[i] == '\'') {
                for (i++; i < n; i++) {
                        char ch = s[i];
                        if (ch == '\'' && i + 1 < n && s[i + 1] == '\'')
                                i++;
                        else if (ch == '\\' && i + 1 < n)
                                ch = s[++i];
                        else if (ch == '\'')
                                break;
                        if (v2c_buf_append(&v, &ch, 1) < 0)
                                return v2c_error_set(err, ENOMEM, "out of memory");
                }
        } else {
                size_t vs = i;
                while (i < n && !v2c_is_space(s[i]) && s[i] != '#')
                        i++;
                if (v2c_buf_append(&v, s + vs, i - vs) < 0)
                        return v2c_error_set(err, ENOMEM, "out of memory");
        }
        *value = v2c_buf_steal(&v);
        return *value ? 0 : v2c_error_set(err, ENOMEM, "out of memory");
}

/* DIR + "/" + glob, without doubling a slash DIR ends with ("conf.d/"). */
static int dir_pattern(const char *dir, size_t n, const char *glob, char **ret,
                       struct v2c_error **err)
{
        while (n > 1 && dir[n - 1] == '/')
                n--;
        if (n > INT_MAX || asprintf(ret, "%.*s/%s", (int) n, dir, glob) < 0) {
                *ret = NULL;
                return v2c_error_set(err, ENOMEM, "out of memory");
        }
        return 0;
}

static int pg_parse(struct cfg *c, const char *data, size_t len, struct v2c_error **err)
{
        struct pg_state *st = c->state;
        struct v2c_lines l = { data, data + len, 0 };
        _cleanup_free_ char *here = dir_of(c->path);
        const char *s;
        size_t n;

        while (v2c_lines_next(&l, &s, &n)) {
                const char *name = NULL;
                size_t nl = 0;
                _cleanup_free_ char *v = NULL;
                int r = pg_split(s, n, &name, &nl, &v, err);
                if (r < 0)
                        return r;
                if (v == NULL)
                        continue;
                size_t vl = strlen(v);
                if (v2c_span_eq_ci(name, nl, "port"))
                        r = setting_set(c, &st->port, v, vl, err);
                else if (v2c_span_eq_ci(name, nl, "listen_addresses"))
                        r = setting_set(c, &st->listen, v, vl, err);
                else if (v2c_span_eq_ci(name, nl, "data_directory"))
                        r = setting_set(c, &st->data_dir, v, vl, err);
                else if (v2c_span_eq_ci(name, nl, "unix_socket_directories") ||
                         v2c_span_eq_ci(name, nl, "unix_socket_directory"))
                        r = setting_set(c, &st->socket_dirs, v, vl, err);
                else if (v2c_span_eq_ci(name, nl, "include") || v2c_span_eq_ci(name, nl, "include_if_exists"))
                        r = cfg_include(c, v, here, err);
                else if (v2c_span_eq_ci(name, nl, "include_dir") && vl > 0) {
                        _cleanup_free_ char *pattern = NULL;
                        r = dir_pattern(v, vl, "*.conf", &pattern, err);
                        if (r >= 0)
                                r = cfg_include(c, pattern, here, err);
                }
                if (r < 0)
                        return r;
        }
        return 0;
}

struct pg_socket_ctx {
        struct cfg *c;
        unsigned port;
};

static int pg_add_socket(void *ud, const char *p, size_t n, struct v2c_error **err)
{
        struct pg_socket_ctx *ctx = ud;
        if (p[0] == '@' || n > MAX_UNIX_PATH)
                return 0;
        _cleanup_free_ char *path = NULL;
        if (asprintf(&path, "%.*s/.s.PGSQL.%u", (int) n, p, ctx->port) < 0) {
                path = NULL;
                return v2c_error_set(err, ENOMEM, "out of memory");
        }
        return v2c_ports_add_unix(&ctx->c->conf->ports, path, err);
}

static int pg_finish(struct cfg *c, struct v2c_error **err)
{
        struct pg_state *st = c->state;
        unsigned port = 5432;
        const char *source = "default:postgresql";
        if (st->port.value && parse_port(st->port.value, strlen(st->port.value), &port))
                source = st->port.source;

        _cleanup_strv_ char **hosts = NULL;
        const char *listen = st->listen.value ? st->listen.value : "localhost";
        int r = set_list(&hosts, listen, strlen(listen), ',', err);
        for (size_t i = 0; r >= 0 && hosts[i]; i++) {
                if (strcmp(hosts[i], "*") == 0) {
                        r = add_on_hosts(c, port, "tcp", NULL, source, err);
                        break;
                }
                r = add_span(&c->conf->ports, port, "tcp", hosts[i], strlen(hosts[i]), source, err);
        }
        if (r >= 0 && st->socket_dirs.value) {
                struct pg_socket_ctx ctx = { c, port };
                r = for_each_piece(st->socket_dirs.value, strlen(st->socket_dirs.value), ',',
                                   pg_add_socket, &ctx, err);
        }
        if (r >= 0 && st->data_dir.value)
                r = strs_add(&c->conf->data_dirs, st->data_dir.value, strlen(st->data_dir.value),
                             err);
        return r;
}

/* ------------------------------------------------------------------------
 * mysql / mariadb
 */

struct mysql_state {
        struct setting port, datadir, bind, socket;
        bool skip_networking;
};

static void mysql_release(void *state)
{
        struct mysql_state *st = state;
        setting_release(&st->port);
        setting_release(&st->datadir);
        setting_release(&st->bind);
        setting_release(&st->socket);
}

/* Groups the server reads: MariaDB's [client-server] is read by clients
 * and server alike.  [mysqld-8.0] is read by that version only; reading
 * it always errs on the side of reporting. */
static bool mysql_server_group(const char *s, size_t n)
{
        if (v2c_span_eq_ci(s, n, "client-server"))
                return true;
        static const char *const groups[] = { "mysqld", "mariadb", "mariadbd", "server" };
        for (size_t i = 0; i < V2C_ARRAY_SIZE(groups); i++) {
                size_t l = strlen(groups[i]);
                if (v2c_span_starts_ci(s, n, groups[i]) && (n == l || s[l] == '-'))
                        return true;
        }
        return false;
}

/* Option names as mysqld compares them: case-insensitive, '_' = '-',
 * "loose-" only says "do not fail if unknown". */
static bool mysql_key_is(const char *k, size_t n, const char *want)
{
        if (v2c_span_starts_ci(k, n, "loose-") || v2c_span_starts_ci(k, n, "loose_")) {
                k += 6;
                n -= 6;
        }
        if (strlen(want) != n)
                return false;
        for (size_t i = 0; i < n; i++) {
                char a = to_lower(k[i]) == '_' ? '-' : to_lower(k[i]);
                if (a != want[i])
                        return false;
        }
        return true;
}

static void mysql_unquote(const char **v, size_t *n)
{
        if (*n >= 2 && ((*v)[0] == '"' || (*v)[0] == '\'') && (*v)[*n - 1] == (*v)[0]) {
                (*v)++;
                *n -= 2;
        }
}

static int mysql_option(struct cfg *c, struct mysql_state *st, const char *k, size_t kn,
                        const char *v, size_t vn, bool has_value, struct v2c_error **err)
{
        if (mysql_key_is(k, kn, "port"))
                return setting_set(c, &st->port, v, vn, err);
        if (mysql_key_is(k, kn, "datadir"))
                return setting_set(c, &st->datadir, v, vn, err);
        if (mysql_key_is(k, kn, "bind-address"))
                return setting_set(c, &st->bind, v, vn, err);
        if (mysql_key_is(k, kn, "socket"))
                return setting_set(c, &st->socket, v, vn, err);
        if (mysql_key_is(k, kn, "skip-networking")) {
                st->skip_networking = !has_value || v2c_span_eq(v, vn, "1") ||
                                      v2c_span_eq_ci(v, vn, "on") || v2c_span_eq_ci(v, vn, "true");
                return 0;
        }
        if ((mysql_key_is(k, kn, "log-error") || mysql_key_is(k, kn, "general-log-file") ||
             mysql_key_is(k, kn, "slow-query-log-file")) && vn > 0)
                return strs_add(&c->conf->log_paths, v, vn, err);
        return 0;
}

static int mysql_parse(struct cfg *c, const char *data, size_t len, struct v2c_error **err)
{
        struct mysql_state *st = c->state;
        struct v2c_lines l = { data, data + len, 0 };
        _cleanup_free_ char *here = dir_of(c->path);
        /* An included file starts outside any group, as in mysqld. */
        bool in_server = false;
        const char *s;
        size_t n;

        while (v2c_lines_next(&l, &s, &n)) {
                int r = 0;
                v2c_span_trim(&s, &n, V2C_SPACES);
                if (n == 0 || s[0] == '#' || s[0] == ';')
                        continue;
                if (s[0] == '[') {
                        const char *close = memchr(s, ']', n);
                        const char *g = s + 1;
                        size_t gn = close ? (size_t) (close - g) : 0;
                        v2c_span_trim(&g, &gn, V2C_SPACES);
                        in_server = close && mysql_server_group(g, gn);
                        continue;
                }
                if (s[0] == '!') {
                        bool dir = v2c_span_starts(s, n, "!includedir") &&
                                   (n == 11 || v2c_is_space(s[11]));
                        bool file = v2c_span_starts(s, n, "!include") && (n == 8 || v2c_is_space(s[8]));
                        if (!dir && !file)
                                continue;
                        const char *p = s + (dir ? 11 : 8);
                        size_t pn = n - (dir ? 11 : 8);
                        v2c_span_trim(&p, &pn, V2C_SPACES);
                        if (pn == 0 || memchr(p, '\0', pn))
                                continue;
                        _cleanup_free_ char *pattern = NULL;
                        if (dir)
                                r = dir_pattern(p, pn, "*.cnf", &pattern, err);
                        else if ((pattern = strndup(p, pn)) == NULL)
                                r = v2c_error_set(err, ENOMEM, "out of memory");
                        if (r >= 0)
                                r = cfg_include(c, pattern, here, err);
                        if (r < 0)
                                return r;
                        continue;
                }
                if (!in_server)
                        continue;

                const char *eq = memchr(s, '=', n);
                const char *k = s, *v = NULL;
                size_t kn = eq ? (size_t) (eq - s) : n, vn = 0;
                if (eq) {
                        v = eq + 1;
                        vn = n - kn - 1;
                        /* " #" starts a comment after a value; inside quotes it does not. */
                        v2c_span_trim(&v, &vn, V2C_SPACES);
                        if (vn > 0 && v[0] != '"' && v[0] != '\'')
                                for (size_t i = 1; i < vn; i++)
                                        if (v[i] == '#' && v2c_is_space(v[i - 1])) {
                                                vn = i;
                                                break;
                                        }
                        v2c_span_trim(&v, &vn, V2C_SPACES);
                        mysql_unquote(&v, &vn);
                } else {
                        const char *hash = memchr(s, '#', n);
                        if (hash)
                                kn = (size_t) (hash - s);
                }
                v2c_span_trim(&k, &kn, V2C_SPACES);
                if (kn == 0)
                        continue;
                r = mysql_option(c, st, k, kn, v ? v : "", vn, eq != NULL, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int mysql_finish(struct cfg *c, struct v2c_error **err)
{
        struct mysql_state *st = c->state;
        int r = 0;
        if (!st->skip_networking) {
                unsigned port = 3306;
                const char *source = "default:mysql";
                /* port=0 means "the compiled-in default" to mysqld. */
                if (st->port.value && parse_port(st->port.value, strlen(st->port.value), &port))
                        source = st->port.source;
                _cleanup_strv_ char **hosts = NULL;
                if (st->bind.value)
                        r = set_list(&hosts, st->bind.value, strlen(st->bind.value), ',', err);
                if (r >= 0) {
                        char **h = hosts;
                        for (size_t i = 0; h && h[i]; i++)
                                if (is_wildcard(h[i], strlen(h[i])))
                                        h = NULL;
                        if (h && h[0] == NULL)
                                h = NULL;
                        r = add_on_hosts(c, port, "tcp", h, source, err);
                }
        }
        if (r >= 0 && st->datadir.value && st->datadir.value[0])
                r = strs_add(&c->conf->data_dirs, st->datadir.value, strlen(st->datadir.value), err);
        if (r >= 0 && st->socket.value)
                r = cfg_add_unix(c, st->socket.value, strlen(st->socket.value), err);
        return r;
}

/* ------------------------------------------------------------------------
 * sshd
 */

#define SSHD_MAX_ENTRIES 256

struct sshd_addr {
        char *host;        /* owned */
        unsigned port;     /* 0: on every Port */
        char *source;      /* owned */
};

struct sshd_state {
        unsigned ports[SSHD_MAX_ENTRIES];
        char *port_sources[SSHD_MAX_ENTRIES];   /* owned */
        size_t n_ports;
        struct sshd_addr addrs[SSHD_MAX_ENTRIES];
        size_t n_addrs;
};

static void sshd_release(void *state)
{
        struct sshd_state *st = state;
        for (size_t i = 0; i < st->n_ports; i++)
                free(st->port_sources[i]);
        for (size_t i = 0; i < st->n_addrs; i++) {
                free(st->addrs[i].host);
                free(st->addrs[i].source);
        }
}

static char *cfg_source_new(struct cfg *c)
{
        char *s = NULL;
        if (asprintf(&s, "config:%s", cfg_source_path(c)) < 0)
                return NULL;
        return s;
}

static int sshd_parse(struct cfg *c, const char *data, size_t len, struct v2c_error **err)
{
        struct sshd_state *st = c->state;
        struct v2c_lines l = { data, data + len, 0 };
        _cleanup_(words_release) struct words w = { 0 };
        /* A Match block ends with its file in sshd; Port and ListenAddress
         * are refused inside one. */
        bool in_match = false;
        const char *s;
        size_t n;

        while (v2c_lines_next(&l, &s, &n)) {
                int r = split_words(s, n, W_QUOTES | W_HASH_COMMENT | W_EQUALS, &w, err);
                if (r < 0)
                        return r;
                if (w.n == 0)
                        continue;
                if (word_is(&w, 0, "Match")) {
                        in_match = true;
                } else if (word_is(&w, 0, "Include")) {
                        for (size_t i = 1; r >= 0 && i < w.n; i++)
                                r = cfg_include(c, w.v[i], "/etc/ssh", err);
                } else if (in_match || w.n < 2) {
                        continue;
                } else if (word_is(&w, 0, "Port")) {
                        unsigned port;
                        if (st->n_ports < SSHD_MAX_ENTRIES &&
                            parse_port(w.v[1], strlen(w.v[1]), &port)) {
                                char *src = cfg_source_new(c);
                                if (src == NULL)
                                        return v2c_error_set(err, ENOMEM, "out of memory");
                                st->ports[st->n_ports] = port;
                                st->port_sources[st->n_ports++] = src;
                        }
                } else if (word_is(&w, 0, "ListenAddress")) {
                        struct endpoint e;
                        if (st->n_addrs < SSHD_MAX_ENTRIES &&
                            parse_endpoint(w.v[1], strlen(w.v[1]), &e)) {
                                struct sshd_addr *a = &st->addrs[st->n_addrs];
                                a->host = e.host ? strndup(e.host, e.host_len) : NULL;
                                a->source = cfg_source_new(c);
                                a->port = e.port;
                                st->n_addrs++;
                                if ((e.host && a->host == NULL) || a->source == NULL)
                                        return v2c_error_set(err, ENOMEM, "out of memory");
                        }
                }
                if (r < 0)
                        return r;
        }
        return 0;
}

static int sshd_finish(struct cfg *c, struct v2c_error **err)
{
        struct sshd_state *st = c->state;
        static const unsigned default_port = 22;
        const unsigned *ports = st->n_ports ? st->ports : &default_port;
        size_t n_ports = st->n_ports ? st->n_ports : 1;
        int r = 0;

        for (size_t i = 0; r >= 0 && i < n_ports; i++) {
                const char *source = st->n_ports ? st->port_sources[i] : "default:sshd";
                if (st->n_addrs == 0)
                        r = add_span(&c->conf->ports, ports[i], "tcp", NULL, 0, source, err);
                for (size_t a = 0; r >= 0 && a < st->n_addrs; a++)
                        if (st->addrs[a].port == 0)
                                r = add_span(&c->conf->ports, ports[i], "tcp", st->addrs[a].host,
                                             st->addrs[a].host ? strlen(st->addrs[a].host) : 0,
                                             source, err);
        }
        for (size_t a = 0; r >= 0 && a < st->n_addrs; a++)
                if (st->addrs[a].port != 0)
                        r = add_span(&c->conf->ports, st->addrs[a].port, "tcp", st->addrs[a].host,
                                     st->addrs[a].host ? strlen(st->addrs[a].host) : 0,
                                     st->addrs[a].source, err);
        return r;
}

/* ------------------------------------------------------------------------
 * memcached
 */

struct memcached_state {
        struct setting tcp, udp, logfile;
        char **hosts;          /* owned; NULL: every address */
        bool unix_socket;      /* -s turns tcp and udp off */
};

static void memcached_release(void *state)
{
        struct memcached_state *st = state;
        setting_release(&st->tcp);
        setting_release(&st->udp);
        setting_release(&st->logfile);
        v2c_strv_free(st->hosts);
}

static int memcached_host(void *ud, const char *p, size_t n, struct v2c_error **err)
{
        char ***hosts = ud;
        if (v2c_strv_len(*hosts) >= WORDS_MAX)
                return 0;
        return strs_add(hosts, p, n, err);
}

/* Option value: attached ("-p11211", "--port=11211") or the next word. */
static const char *mc_value(const struct words *w, size_t *i, const char *word, size_t opt_len)
{
        if (word[opt_len] == '=')
                return word + opt_len + 1;
        if (word[opt_len] != '\0')
                return word[1] == '-' ? NULL : word + opt_len;
        if (*i + 1 < w->n)
                return w->v[++*i];
        return NULL;
}

static int memcached_parse(struct cfg *c, const char *data, size_t len, struct v2c_error **err)
{
        struct memcached_state *st = c->state;
        struct v2c_lines l = { data, data + len, 0 };
        _cleanup_(words_release) struct words w = { 0 };
        const char *s;
        size_t n;

        while (v2c_lines_next(&l, &s, &n)) {
                int r = split_words(s, n, W_QUOTES | W_HASH_COMMENT, &w, err);
                if (r < 0)
                        return r;
                for (size_t i = 0; r >= 0 && i < w.n; i++) {
                        const char *a = w.v[i], *v;
                        size_t an = strlen(a);
                        if (strcmp(a, "logfile") == 0 || strcmp(a, "-logfile") == 0) {
                                if (i + 1 < w.n)
                                        r = setting_set(c, &st->logfile, w.v[i + 1],
                                                        strlen(w.v[i + 1]), err);
                                break;
                        }
                        if (strcmp(a, "-d") == 0 || strcmp(a, "--daemon") == 0)
                                c->conf->daemon = 1;
                        else if ((v2c_span_starts(a, an, "-p") && !v2c_span_starts(a, an, "-pid")) ||
                                 v2c_span_starts(a, an, "--port")) {
                                if ((v = mc_value(&w, &i, a, a[1] == '-' ? 6 : 2)))
                                        r = setting_set(c, &st->tcp, v, strlen(v), err);
                        } else if (v2c_span_starts(a, an, "-U") || v2c_span_starts(a, an, "--udp-port")) {
                                if ((v = mc_value(&w, &i, a, a[1] == '-' ? 10 : 2)))
                                        r = setting_set(c, &st->udp, v, strlen(v), err);
                        } else if (v2c_span_starts(a, an, "-l") || v2c_span_starts(a, an, "--listen")) {
                                if ((v = mc_value(&w, &i, a, a[1] == '-' ? 8 : 2))) {
                                        if (st->hosts == NULL &&
                                            (st->hosts = calloc(1, sizeof(char *))) == NULL)
                                                return v2c_error_set(err, ENOMEM, "out of memory");
                                        r = for_each_piece(v, strlen(v), ',', memcached_host,
                                                           &st->hosts, err);
                                }
                        } else if (v2c_span_starts(a, an, "-s") || v2c_span_starts(a, an, "--unix-socket")) {
                                if ((v = mc_value(&w, &i, a, a[1] == '-' ? 13 : 2))) {
                                        st->unix_socket = true;
                                        r = cfg_add_unix(c, v, strlen(v), err);
                                }
                        }
                }
                if (r < 0)
                        return r;
        }
        return 0;
}

/* One -l value: "HOST" takes the -p/-U ports, "HOST:PORT" its own. */
static int memcached_add(struct cfg *c, unsigned port, const char *proto, const char *source,
                         struct v2c_error **err)
{
        struct memcached_state *st = c->state;
        bool any = st->hosts == NULL || st->hosts[0] == NULL;
        if (any)
                return add_span(&c->conf->ports, port, proto, NULL, 0, source, err);
        for (size_t i = 0; st->hosts[i]; i++) {
                struct endpoint e;
                if (!parse_endpoint(st->hosts[i], strlen(st->hosts[i]), &e))
                        continue;
                int r = add_span(&c->conf->ports, e.port ? e.port : port, proto, e.host, e.host_len,
                                 source, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int memcached_finish(struct cfg *c, struct v2c_error **err)
{
        struct memcached_state *st = c->state;
        int r = 0;
        if (!st->unix_socket) {
                unsigned port = 11211;
                if (st->tcp.value == NULL)
                        r = memcached_add(c, port, "tcp", "default:memcached", err);
                else if (parse_port(st->tcp.value, strlen(st->tcp.value), &port))
                        r = memcached_add(c, port, "tcp", st->tcp.source, err);
                if (r >= 0 && st->udp.value &&
                    parse_port(st->udp.value, strlen(st->udp.value), &port))
                        r = memcached_add(c, port, "udp", st->udp.source, err);
        }
        if (r >= 0 && st->logfile.value)
                r = add_log(c, st->logfile.value, err);
        return r;
}

/* ------------------------------------------------------------------------
 * haproxy
 */

enum hap_section { HAP_NONE, HAP_GLOBAL, HAP_LISTENING, HAP_OTHER };

struct hap_state {
        int unused;   /* all state is per file: haproxy has no includes */
};

static const char *const hap_sections[] = {
        "global", "defaults", "frontend", "backend", "listen", "peers", "resolvers",
        "userlist", "mailers", "program", "http-errors", "ring", "cache", "log-forward",
        "crt-store", "traces", "acme", NULL,
};

/* One address of a bind line; see ports-internal.h for the forms. */
static int hap_bind_addr(void *ud, const char *s, size_t n, struct v2c_error **err)
{
        struct cfg *c = ud;
        const char *proto = "tcp";

        if (s[0] == '/')
                return cfg_add_unix(c, s, n, err);
        const char *at = memchr(s, '@', n);
        if (at) {
                size_t pn = (size_t) (at - s);
                const char *rest = at + 1;
                size_t rn = n - pn - 1;
                if (v2c_span_eq_ci(s, pn, "unix") || v2c_span_eq_ci(s, pn, "uxst") ||
                    v2c_span_eq_ci(s, pn, "uxdg"))
                        return cfg_add_unix(c, rest, rn, err);
                if (v2c_span_eq_ci(s, pn, "udp") || v2c_span_eq_ci(s, pn, "udp4") ||
                    v2c_span_eq_ci(s, pn, "udp6") || v2c_span_eq_ci(s, pn, "quic4") ||
                    v2c_span_eq_ci(s, pn, "quic6") || v2c_span_eq_ci(s, pn, "quic"))
                        proto = "udp";
                else if (!v2c_span_eq_ci(s, pn, "ipv4") && !v2c_span_eq_ci(s, pn, "ipv6") &&
                         !v2c_span_eq_ci(s, pn, "tcp") && !v2c_span_eq_ci(s, pn, "tcp4") &&
                         !v2c_span_eq_ci(s, pn, "tcp6"))
                        return 0;   /* abns@, fd@, sockpair@, rhttp@...: no port */
                s = rest;
                n = rn;
        }

        /* The port is after the last colon ("::80" is [::]:80 to haproxy). */
        const char *host = s, *ports;
        size_t host_len, ports_len;
        if (n > 0 && s[0] == '[') {
                const char *close = memchr(s, ']', n);
                if (close == NULL || (size_t) (close - s) + 1 >= n || close[1] != ':')
                        return 0;
                host = s + 1;
                host_len = (size_t) (close - s - 1);
                ports = close + 2;
                ports_len = n - (size_t) (ports - s);
        } else {
                const char *colon = NULL;
                for (size_t i = n; i > 0; i--)
                        if (s[i - 1] == ':') {
                                colon = s + i - 1;
                                break;
                        }
                if (colon == NULL)
                        return 0;
                host_len = (size_t) (colon - s);
                ports = colon + 1;
                ports_len = n - host_len - 1;
        }
        if (host_len > 0 && !host_chars_ok(host, host_len))
                return 0;

        unsigned lo, hi;
        const char *dash = memchr(ports, '-', ports_len);
        if (dash) {
                if (!parse_port(ports, (size_t) (dash - ports), &lo) ||
                    !parse_port(dash + 1, ports_len - (size_t) (dash - ports) - 1, &hi) || hi < lo ||
                    hi - lo >= V2C_PORTS_MAX_RANGE)
                        return 0;
        } else if (!parse_port(ports, ports_len, &lo))
                return 0;
        else
                hi = lo;
        for (unsigned p = lo; p <= hi; p++) {
                int r = cfg_add(c, p, proto, host_len ? host : NULL, host_len, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int hap_parse(struct cfg *c, const char *data, size_t len, struct v2c_error **err)
{
        struct v2c_lines l = { data, data + len, 0 };
        _cleanup_(words_release) struct words w = { 0 };
        enum hap_section section = HAP_NONE;
        const char *s;
        size_t n;

        while (v2c_lines_next(&l, &s, &n)) {
                int r = split_words(s, n, W_QUOTES | W_BACKSLASH | W_HASH_COMMENT, &w, err);
                if (r < 0)
                        return r;
                if (w.n == 0)
                        continue;
                if (in_list(hap_sections, w.v[0], strlen(w.v[0]))) {
                        if (strcmp(w.v[0], "global") == 0)
                                section = HAP_GLOBAL;
                        else if (strcmp(w.v[0], "frontend") == 0 || strcmp(w.v[0], "listen") == 0)
                                section = HAP_LISTENING;
                        else
                                section = HAP_OTHER;
                        /* The old "listen NAME ADDR:PORT" form, still accepted. */
                        if (section == HAP_LISTENING && w.n >= 3)
                                r = for_each_piece(w.v[2], strlen(w.v[2]), ',', hap_bind_addr, c,
                                                   err);
                        if (r < 0)
                                return r;
                        continue;
                }
                if (section == HAP_LISTENING && strcmp(w.v[0], "bind") == 0 && w.n >= 2)
                        r = for_each_piece(w.v[1], strlen(w.v[1]), ',', hap_bind_addr, c, err);
                else if (section == HAP_GLOBAL && strcmp(w.v[0], "daemon") == 0)
                        c->conf->daemon = 1;
                else if (section == HAP_GLOBAL && strcmp(w.v[0], "stats") == 0 &&
                         word_is(&w, 1, "socket") && w.n >= 3) {
                        const char *p = w.v[2];
                        if (v2c_span_starts(p, strlen(p), "unix@"))
                                p += 5;
                        if (p[0] == '/')
                                r = cfg_add_unix(c, p, strlen(p), err);
                }
                if (r < 0)
                        return r;
        }
        return 0;
}

/* ------------------------------------------------------------------------
 * squid
 */

struct squid_state {
        int unused;   /* every directive is read as it comes */
};

/* "http_port [ADDR:]PORT [options]": the first word after the directive. */
static int squid_port(struct cfg *c, const char *v, const char *proto, struct v2c_error **err)
{
        struct endpoint e;
        if (!parse_endpoint(v, strlen(v), &e) || e.port == 0)
                return 0;
        return cfg_add(c, e.port, proto, e.host, e.host_len, err);
}

static int squid_parse(struct cfg *c, const char *data, size_t len, struct v2c_error **err)
{
        struct v2c_lines l = { data, data + len, 0 };
        _cleanup_(words_release) struct words w = { 0 };
        const char *s;
        size_t n;

        while (v2c_lines_next(&l, &s, &n)) {
                int r = split_words(s, n, W_HASH_COMMENT, &w, err);
                if (r < 0)
                        return r;
                if (w.n < 2)
                        continue;
                if (strcmp(w.v[0], "http_port") == 0 || strcmp(w.v[0], "https_port") == 0)
                        r = squid_port(c, w.v[1], "tcp", err);
                /* ICP, HTCP and SNMP are off unless given a port ("0" is off). */
                else if (strcmp(w.v[0], "icp_port") == 0 || strcmp(w.v[0], "htcp_port") == 0 ||
                         strcmp(w.v[0], "snmp_port") == 0)
                        r = squid_port(c, w.v[1], "udp", err);
                else if (strcmp(w.v[0], "include") == 0)
                        for (size_t i = 1; r >= 0 && i < w.n; i++)
                                r = cfg_include(c, w.v[i], c->main_dir, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* ------------------------------------------------------------------------
 * named (BIND 9)
 */

enum named_block { NAMED_OTHER, NAMED_OPTIONS, NAMED_LISTEN };
#define NAMED_MAX_NEST 32
#define NAMED_MAX_HEADER 8
#define NAMED_MAX_LISTENS 64

struct named_listen {
        bool v6;
        bool none;            /* the address list is "none": nothing listens */
        bool tls, http;       /* DNS over TLS / HTTPS: tcp only */
        bool tls_none;        /* "http NAME tls none": plain HTTP */
        unsigned port;        /* 0: not given */
        char *source;         /* owned: where "port N" was written */
};

struct named_state {
        unsigned char kind[NAMED_MAX_NEST];
        size_t top, hidden;
        /* The statement being read, as slices of the current buffer. */
        const char *head[NAMED_MAX_HEADER];
        size_t head_len[NAMED_MAX_HEADER];
        size_t n_head;
        struct named_listen listens[NAMED_MAX_LISTENS];
        size_t n_listens;
        bool listen_v4_seen, listen_v6_seen;
        bool list_words, list_none;     /* inside a listen-on's address list */
        unsigned options_port;
        char *options_port_source;      /* owned */
};

static void named_release(void *state)
{
        struct named_state *st = state;
        for (size_t i = 0; i < st->n_listens; i++)
                free(st->listens[i].source);
        free(st->options_port_source);
}

enum named_token { NAMED_EOF, NAMED_WORD, NAMED_SEMI, NAMED_OPEN, NAMED_CLOSE };

/* The next token of named.conf: comments are "#", "//" and C's; a word
 * is a quoted string (without its quotes) or a run of other bytes. */
static enum named_token named_next(const char **pp, const char *end, const char **w, size_t *wn)
{
        const char *p = *pp;
        for (;;) {
                while (p < end && v2c_is_space(*p))
                        p++;
                if (p >= end) {
                        *pp = p;
                        return NAMED_EOF;
                }
                if (*p == '#' || (*p == '/' && p + 1 < end && p[1] == '/')) {
                        const char *nl = memchr(p, '\n', (size_t) (end - p));
                        p = nl ? nl + 1 : end;
                        continue;
                }
                if (*p == '/' && p + 1 < end && p[1] == '*') {
                        const char *q = p + 2;
                        while (q + 1 < end && !(q[0] == '*' && q[1] == '/'))
                                q++;
                        p = q + 1 < end ? q + 2 : end;
                        continue;
                }
                break;
        }
        char ch = *p;
        if (ch == ';' || ch == '{' || ch == '}') {
                *pp = p + 1;
                return ch == ';' ? NAMED_SEMI : ch == '{' ? NAMED_OPEN : NAMED_CLOSE;
        }
        if (ch == '"') {
                const char *q = p + 1;
                while (q < end && *q != '"') {
                        if (*q == '\\' && q + 1 < end)
                                q++;
                        q++;
                }
                *w = p + 1;
                *wn = (size_t) (q - p - 1);
                *pp = q < end ? q + 1 : end;
                return NAMED_WORD;
        }
        const char *q = p;
        while (q < end && !v2c_is_space(*q) && *q != ';' && *q != '{' && *q != '}' && *q != '"' &&
               *q != '#' && !(*q == '/' && q + 1 < end && (q[1] == '/' || q[1] == '*')))
                q++;
        *w = p;
        *wn = (size_t) (q - p);
        *pp = q;
        return NAMED_WORD;
}

static bool named_head_is(const struct named_state *st, size_t i, const char *lit)
{
        return i < st->n_head && v2c_span_eq(st->head[i], st->head_len[i], lit);
}

/* "listen-on[-v6] [port N] [dscp N] [tls NAME] [http NAME] {": what the
 * header says, before its address list is read. */
static int named_open_listen(struct cfg *c, struct named_state *st, struct v2c_error **err)
{
        bool v6 = named_head_is(st, 0, "listen-on-v6");
        if (v6)
                st->listen_v6_seen = true;
        else
                st->listen_v4_seen = true;
        st->list_words = false;
        st->list_none = false;
        if (st->n_listens >= NAMED_MAX_LISTENS)
                return 0;
        struct named_listen *li = &st->listens[st->n_listens];
        *li = (struct named_listen) { .v6 = v6 };
        for (size_t i = 1; i + 1 < st->n_head; i += 2) {
                const char *v = st->head[i + 1];
                size_t vn = st->head_len[i + 1];
                if (named_head_is(st, i, "port")) {
                        if (!parse_port(v, vn, &li->port))
                                continue;
                        free(li->source);
                        if ((li->source = cfg_source_new(c)) == NULL)
                                return v2c_error_set(err, ENOMEM, "out of memory");
                } else if (named_head_is(st, i, "tls")) {
                        if (v2c_span_eq(v, vn, "none"))
                                li->tls_none = true;
                        else
                                li->tls = true;
                } else if (named_head_is(st, i, "http")) {
                        li->http = true;
                }
        }
        st->n_listens++;
        return 0;
}

static void named_close_listen(struct named_state *st)
{
        if (st->n_listens > 0 && st->list_none)
                st->listens[st->n_listens - 1].none = true;
}

static int named_statement(struct cfg *c, struct named_state *st, struct v2c_error **err)
{
        int r = 0;
        bool in_options = st->hidden == 0 && st->top == 1 && st->kind[0] == NAMED_OPTIONS;
        if (named_head_is(st, 0, "include") && st->n_head >= 2) {
                _cleanup_free_ char *pattern = strndup(st->head[1], st->head_len[1]);
                if (pattern == NULL)
                        return v2c_error_set(err, ENOMEM, "out of memory");
                /* Relative names are relative to named's working
                 * directory, which Debian's unit leaves at /etc/bind's
                 * parent: the main file's directory is the best guess. */
                st->n_head = 0;
                r = cfg_include(c, pattern, c->main_dir, err);
        } else if (in_options && named_head_is(st, 0, "directory") && st->n_head >= 2 && st->head_len[1] > 1 &&
                   st->head[1][0] == '/') {
                /* Its working directory: the cache and managed keys of a
                 * resolver, zone files only when zones say so. */
                r = strs_add(&c->conf->work_dirs, st->head[1], st->head_len[1], err);
        } else if (in_options && named_head_is(st, 0, "port") && st->n_head >= 2) {
                unsigned port;
                if (parse_port(st->head[1], st->head_len[1], &port)) {
                        free(st->options_port_source);
                        st->options_port = port;
                        if ((st->options_port_source = cfg_source_new(c)) == NULL)
                                r = v2c_error_set(err, ENOMEM, "out of memory");
                }
        }
        st->n_head = 0;
        return r;
}

static int named_parse(struct cfg *c, const char *data, size_t len, struct v2c_error **err)
{
        struct named_state *st = c->state;
        const char *p = data, *end = data + len;
        const char *w;
        size_t wn;
        enum named_token t;
        int r = 0;

        /* A statement never spans two files. */
        st->n_head = 0;
        while (r >= 0 && (t = named_next(&p, end, &w, &wn)) != NAMED_EOF) {
                bool in_listen = st->hidden == 0 && st->top > 0 && st->kind[st->top - 1] == NAMED_LISTEN;
                switch (t) {
                case NAMED_WORD:
                        if (in_listen) {
                                if (!st->list_words)
                                        st->list_none = v2c_span_eq(w, wn, "none");
                                else
                                        st->list_none = false;
                                st->list_words = true;
                        }
                        if (st->n_head < NAMED_MAX_HEADER) {
                                st->head[st->n_head] = w;
                                st->head_len[st->n_head++] = wn;
                        }
                        break;
                case NAMED_SEMI:
                        if (!in_listen)
                                r = named_statement(c, st, err);
                        else
                                st->n_head = 0;
                        break;
                case NAMED_OPEN: {
                        unsigned char kind = NAMED_OTHER;
                        if (st->hidden == 0 && st->top == 0 && named_head_is(st, 0, "options"))
                                kind = NAMED_OPTIONS;
                        else if (st->hidden == 0 && st->top == 1 && st->kind[0] == NAMED_OPTIONS &&
                                 (named_head_is(st, 0, "listen-on") || named_head_is(st, 0, "listen-on-v6"))) {
                                kind = NAMED_LISTEN;
                                r = named_open_listen(c, st, err);
                        }
                        if (st->hidden > 0 || st->top >= NAMED_MAX_NEST)
                                st->hidden++;
                        else
                                st->kind[st->top++] = kind;
                        st->n_head = 0;
                        break;
                }
                case NAMED_CLOSE:
                        if (st->hidden > 0)
                                st->hidden--;
                        else if (st->top > 0) {
                                if (st->kind[--st->top] == NAMED_LISTEN)
                                        named_close_listen(st);
                        }
                        st->n_head = 0;
                        break;
                case NAMED_EOF:
                        break;
                }
        }
        st->n_head = 0;
        return r;
}

static int named_add(struct cfg *c, unsigned port, bool udp_too, const char *source,
                     struct v2c_error **err)
{
        int r = cfg_budget(c, err);
        if (r >= 0)
                r = add_span(&c->conf->ports, port, "tcp", NULL, 0, source, err);
        if (r >= 0 && udp_too)
                r = add_span(&c->conf->ports, port, "udp", NULL, 0, source, err);
        return r;
}

static int named_finish(struct cfg *c, struct v2c_error **err)
{
        struct named_state *st = c->state;
        /* DNS is 53 over udp and tcp unless "options { port N; }"; with
         * no listen-on (or listen-on-v6) named listens on every address
         * of that family. */
        unsigned dns_port = st->options_port ? st->options_port : 53;
        const char *dns_source = st->options_port ? st->options_port_source : "default:named";
        int r = 0;
        if (!st->listen_v4_seen || !st->listen_v6_seen)
                r = named_add(c, dns_port, true, dns_source, err);
        for (size_t i = 0; r >= 0 && i < st->n_listens; i++) {
                const struct named_listen *li = &st->listens[i];
                if (li->none)
                        continue;
                bool encrypted = li->tls || li->http;
                unsigned port = li->port;
                const char *source = li->source;
                if (port == 0 && li->tls && !li->http) {
                        port = 853;
                        source = "default:named";
                } else if (port == 0 && li->http) {
                        port = li->tls_none ? 80 : 443;
                        source = "default:named";
                } else if (port == 0) {
                        port = dns_port;
                        source = dns_source;
                }
                r = named_add(c, port, !encrypted, source, err);
        }
        return r;
}

/* ------------------------------------------------------------------------
 * dovecot
 */

#define DOVECOT_MAX_NEST 16
#define DOVECOT_MAX_LISTENERS 128
#define DOVECOT_MAX_NAME 64
#define DOVECOT_MAX_PROTOCOLS 1024

enum dovecot_block { DC_OTHER, DC_SERVICE, DC_INET_LISTENER };

struct dovecot_listener {
        char service[DOVECOT_MAX_NAME], name[DOVECOT_MAX_NAME];
        int port;             /* -1: not set here */
        char *source;         /* owned */
};

struct dovecot_state {
        unsigned char kind[DOVECOT_MAX_NEST];
        size_t top, hidden;
        char service[DOVECOT_MAX_NAME];    /* of the open service block */
        struct dovecot_listener listeners[DOVECOT_MAX_LISTENERS];
        size_t n_listeners;
        struct dovecot_listener *open;     /* the inet_listener being read; NULL when none */
        char *protocols;                   /* owned; NULL: never set */
};

static void dovecot_release(void *state)
{
        struct dovecot_state *st = state;
        for (size_t i = 0; i < st->n_listeners; i++)
                free(st->listeners[i].source);
        free(st->protocols);
}

/* Dovecot's listeners that exist without a word of config, with the
 * protocol that turns their service on (Debian ships "protocols" empty:
 * each dovecot-imapd, -pop3d... package adds its own). */
static const struct {
        const char *service, *listener, *protocol;
        unsigned port;
} dovecot_defaults[] = {
        { "imap-login", "imap", "imap", 143 },
        { "imap-login", "imaps", "imap", 993 },
        { "pop3-login", "pop3", "pop3", 110 },
        { "pop3-login", "pop3s", "pop3", 995 },
        { "submission-login", "submission", "submission", 587 },
        { "managesieve-login", "sieve", "sieve", 4190 },
};

/* The protocol a service serves, or NULL for services that run whatever
 * "protocols" says (doveadm, stats...). */
static const char *dovecot_service_protocol(const char *service)
{
        static const struct { const char *service, *protocol; } map[] = {
                { "imap-login", "imap" }, { "imap-urlauth-login", "imap" },
                { "pop3-login", "pop3" }, { "submission-login", "submission" },
                { "managesieve-login", "sieve" }, { "lmtp", "lmtp" },
        };
        for (size_t i = 0; i < V2C_ARRAY_SIZE(map); i++)
                if (strcmp(service, map[i].service) == 0)
                        return map[i].protocol;
        return NULL;
}

static bool dovecot_protocol_on(const char *protocols, const char *protocol)
{
        if (protocols == NULL)
                return false;
        size_t pl = strlen(protocol);
        for (const char *p = protocols; *p;) {
                while (*p == ' ' || *p == '\t' || *p == ',')
                        p++;
                size_t n = strcspn(p, " \t,");
                if (n == pl && memcmp(p, protocol, n) == 0)
                        return true;
                p += n;
        }
        return false;
}

static void dovecot_copy_name(char *dst, const char *s, size_t n)
{
        if (n >= DOVECOT_MAX_NAME)
                n = DOVECOT_MAX_NAME - 1;
        memcpy(dst, s, n);
        dst[n] = '\0';
}

static struct dovecot_listener *dovecot_listener(struct dovecot_state *st, const char *name, size_t n)
{
        char nm[DOVECOT_MAX_NAME];
        dovecot_copy_name(nm, name, n);
        for (size_t i = 0; i < st->n_listeners; i++)
                if (strcmp(st->listeners[i].service, st->service) == 0 &&
                    strcmp(st->listeners[i].name, nm) == 0)
                        return &st->listeners[i];
        if (st->n_listeners >= DOVECOT_MAX_LISTENERS)
                return NULL;
        struct dovecot_listener *li = &st->listeners[st->n_listeners++];
        *li = (struct dovecot_listener) { .port = -1 };
        memcpy(li->service, st->service, sizeof li->service);
        memcpy(li->name, nm, sizeof li->name);
        return li;
}

/* "protocols = $protocols imap": "$protocols" is the value so far. */
static int dovecot_set_protocols(struct dovecot_state *st, const char *v, size_t n,
                                 struct v2c_error **err)
{
        struct v2c_buf b;
        v2c_buf_init(&b, DOVECOT_MAX_PROTOCOLS);
        int r = 0;
        for (size_t i = 0; r >= 0 && i < n;) {
                if (v2c_span_starts(v + i, n - i, "$protocols")) {
                        if (st->protocols)
                                r = v2c_buf_append(&b, st->protocols, strlen(st->protocols));
                        i += strlen("$protocols");
                } else
                        r = v2c_buf_append(&b, v + i++, 1);
        }
        if (r < 0) {
                v2c_buf_release(&b);
                /* Past the cap the value is nonsense: keep the old one. */
                return r == -ENOMEM ? v2c_error_set(err, ENOMEM, "out of memory") : 0;
        }
        char *s = v2c_buf_steal(&b);
        if (s == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        free(st->protocols);
        st->protocols = s;
        return 0;
}

static int dovecot_line(struct cfg *c, struct dovecot_state *st, const char *s, size_t n,
                        struct v2c_error **err)
{
        v2c_span_trim(&s, &n, V2C_SPACES);
        if (n == 0 || s[0] == '#')
                return 0;
        if (v2c_span_starts(s, n, "!include")) {
                _cleanup_(words_release) struct words w = { 0 };
                int r = split_words(s, n, W_QUOTES | W_HASH_COMMENT, &w, err);
                if (r < 0 || w.n < 2)
                        return r;
                _cleanup_free_ char *dir = dir_of(c->path);
                return cfg_include(c, w.v[1], dir ? dir : c->main_dir, err);
        }
        if (s[0] == '}') {
                if (st->hidden > 0)
                        st->hidden--;
                else if (st->top > 0) {
                        unsigned char k = st->kind[--st->top];
                        if (k == DC_INET_LISTENER)
                                st->open = NULL;
                        else if (k == DC_SERVICE)
                                st->service[0] = '\0';
                }
                return 0;
        }
        if (s[n - 1] == '{') {
                _cleanup_(words_release) struct words w = { 0 };
                int r = split_words(s, n - 1, W_QUOTES | W_HASH_COMMENT, &w, err);
                if (r < 0)
                        return r;
                unsigned char kind = DC_OTHER;
                if (st->hidden == 0 && st->top == 0 && w.n == 2 && strcmp(w.v[0], "service") == 0) {
                        kind = DC_SERVICE;
                        dovecot_copy_name(st->service, w.v[1], strlen(w.v[1]));
                } else if (st->hidden == 0 && st->top == 1 && st->kind[0] == DC_SERVICE && w.n <= 2 &&
                           w.n >= 1 && strcmp(w.v[0], "inet_listener") == 0) {
                        /* The name is optional ("inet_listener {"). */
                        kind = DC_INET_LISTENER;
                        st->open = dovecot_listener(st, w.n == 2 ? w.v[1] : "", w.n == 2 ? strlen(w.v[1]) : 0);
                }
                if (st->hidden > 0 || st->top >= DOVECOT_MAX_NEST)
                        st->hidden++;
                else
                        st->kind[st->top++] = kind;
                return 0;
        }
        const char *eq = memchr(s, '=', n);
        if (eq == NULL)
                return 0;
        const char *k = s, *v = eq + 1;
        size_t kn = (size_t) (eq - s), vn = n - kn - 1;
        v2c_span_trim(&k, &kn, V2C_SPACES);
        v2c_span_trim(&v, &vn, V2C_SPACES);
        if (st->hidden == 0 && st->top == 0 && v2c_span_eq(k, kn, "protocols"))
                return dovecot_set_protocols(st, v, vn, err);
        if (st->hidden == 0 && st->top == 2 && st->kind[1] == DC_INET_LISTENER && st->open &&
            v2c_span_eq(k, kn, "port")) {
                unsigned port = 0;
                if (!v2c_span_eq(v, vn, "0") && !parse_port(v, vn, &port))
                        return 0;
                char *src = cfg_source_new(c);
                if (src == NULL)
                        return v2c_error_set(err, ENOMEM, "out of memory");
                free(st->open->source);
                st->open->source = src;
                st->open->port = (int) port;
        }
        return 0;
}

static int dovecot_parse(struct cfg *c, const char *data, size_t len, struct v2c_error **err)
{
        struct dovecot_state *st = c->state;
        struct v2c_lines l = { data, data + len, 0 };
        const char *s;
        size_t n;
        while (v2c_lines_next(&l, &s, &n)) {
                int r = dovecot_line(c, st, s, n, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int dovecot_finish(struct cfg *c, struct v2c_error **err)
{
        struct dovecot_state *st = c->state;
        int r = 0;
        /* A protocol's listeners, with the ports the config gives them
         * (0 turns one off) or the built-in ones. */
        for (size_t i = 0; r >= 0 && i < V2C_ARRAY_SIZE(dovecot_defaults); i++) {
                if (!dovecot_protocol_on(st->protocols, dovecot_defaults[i].protocol))
                        continue;
                unsigned port = dovecot_defaults[i].port;
                const char *source = "default:dovecot";
                for (size_t k = 0; k < st->n_listeners; k++) {
                        const struct dovecot_listener *li = &st->listeners[k];
                        if (li->port >= 0 && strcmp(li->service, dovecot_defaults[i].service) == 0 &&
                            strcmp(li->name, dovecot_defaults[i].listener) == 0) {
                                port = (unsigned) li->port;
                                source = li->source;
                        }
                }
                if (port > 0 && (r = cfg_budget(c, err)) >= 0)
                        r = add_span(&c->conf->ports, port, "tcp", NULL, 0, source, err);
        }
        /* Listeners the config adds: those of a protocol's service count
         * when the protocol is on, the others (doveadm...) always. */
        for (size_t k = 0; r >= 0 && k < st->n_listeners; k++) {
                const struct dovecot_listener *li = &st->listeners[k];
                if (li->port <= 0)
                        continue;
                bool is_default = false;
                for (size_t i = 0; i < V2C_ARRAY_SIZE(dovecot_defaults); i++)
                        is_default |= strcmp(li->service, dovecot_defaults[i].service) == 0 &&
                                      strcmp(li->name, dovecot_defaults[i].listener) == 0;
                const char *proto = dovecot_service_protocol(li->service);
                if (is_default || (proto && !dovecot_protocol_on(st->protocols, proto)))
                        continue;
                if ((r = cfg_budget(c, err)) >= 0)
                        r = add_span(&c->conf->ports, (unsigned) li->port, "tcp", NULL, 0, li->source,
                                     err);
        }
        return r;
}

/* ------------------------------------------------------------------------
 * tomcat (server.xml)
 */

struct tomcat_state {
        int unused;   /* server.xml has no includes we follow */
};

/* The value of attribute NAME in the attributes of one tag ([s, s+n)),
 * quotes removed; false when absent. */
static bool xml_attr(const char *s, size_t n, const char *name, const char **v, size_t *vn)
{
        size_t nl = strlen(name);
        for (size_t i = 0; i < n;) {
                while (i < n && v2c_is_space(s[i]))
                        i++;
                size_t k0 = i;
                while (i < n && !v2c_is_space(s[i]) && s[i] != '=' && s[i] != '/' && s[i] != '>')
                        i++;
                size_t kn = i - k0;
                while (i < n && v2c_is_space(s[i]))
                        i++;
                if (i >= n || s[i] != '=') {
                        if (i == k0)
                                i++;
                        continue;
                }
                i++;
                while (i < n && v2c_is_space(s[i]))
                        i++;
                if (i >= n || (s[i] != '"' && s[i] != '\''))
                        continue;
                char q = s[i++];
                const char *end = memchr(s + i, q, n - i);
                if (end == NULL)
                        return false;
                if (kn == nl && memcmp(s + k0, name, nl) == 0) {
                        *v = s + i;
                        *vn = (size_t) (end - (s + i));
                        return true;
                }
                i = (size_t) (end - s) + 1;
        }
        return false;
}

/* Every <Connector port="N" [address="A"]> outside comments.  The
 * <Server port="8005"> shutdown port is not one: it takes a password
 * word from localhost only, never a client's request. */
static int tomcat_parse(struct cfg *c, const char *data, size_t len, struct v2c_error **err)
{
        const char *p = data, *end = data + len;
        while (p < end) {
                const char *lt = memchr(p, '<', (size_t) (end - p));
                if (lt == NULL)
                        break;
                size_t left = (size_t) (end - lt);
                if (v2c_span_starts(lt, left, "<!--")) {
                        const char *q = lt + 4;
                        while (q + 2 < end && !(q[0] == '-' && q[1] == '-' && q[2] == '>'))
                                q++;
                        p = q + 2 < end ? q + 3 : end;
                        continue;
                }
                const char *gt = memchr(lt, '>', left);
                const char *tag_end = gt ? gt : end;
                p = gt ? gt + 1 : end;
                if (!v2c_span_starts(lt, left, "<Connector") || left < 11 || !v2c_is_space(lt[10]))
                        continue;
                const char *attrs = lt + 10;
                size_t an = (size_t) (tag_end - attrs);
                const char *v, *addr = NULL;
                size_t vn, addr_len = 0;
                unsigned port;
                if (!xml_attr(attrs, an, "port", &v, &vn) || !parse_port(v, vn, &port))
                        continue;
                if (xml_attr(attrs, an, "address", &addr, &addr_len) && addr_len == 0)
                        addr = NULL;
                int r = cfg_add(c, port, "tcp", addr, addr_len, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* ------------------------------------------------------------------------
 * postfix (master.cf)
 */

struct postfix_state {
        int unused;   /* master.cf has no includes */
};

/* Service names of master.cf's inet lines, as /etc/services has them. */
static bool postfix_port(const char *s, size_t n, unsigned *port)
{
        static const struct { const char *name; unsigned port; } names[] = {
                { "smtp", 25 }, { "submission", 587 }, { "submissions", 465 }, { "smtps", 465 },
                { "lmtp", 24 }, { "qmqp", 628 },
        };
        if (parse_port(s, n, port))
                return true;
        for (size_t i = 0; i < V2C_ARRAY_SIZE(names); i++)
                if (v2c_span_eq(s, n, names[i].name)) {
                        *port = names[i].port;
                        return true;
                }
        return false;
}

/* "smtp inet n - y - - smtpd", "127.0.0.1:submission inet ...",
 * "[::1]:10025 inet ...": the first column of every "inet" service.
 * Lines starting with white space continue the one before ("-o"). */
static int postfix_parse(struct cfg *c, const char *data, size_t len, struct v2c_error **err)
{
        struct v2c_lines l = { data, data + len, 0 };
        _cleanup_(words_release) struct words w = { 0 };
        const char *s;
        size_t n;
        while (v2c_lines_next(&l, &s, &n)) {
                if (n == 0 || v2c_is_space(s[0]) || s[0] == '#')
                        continue;
                int r = split_words(s, n, W_HASH_COMMENT, &w, err);
                if (r < 0)
                        return r;
                if (w.n < 2 || strcmp(w.v[1], "inet") != 0)
                        continue;
                const char *svc = w.v[0];
                size_t sn = strlen(svc);
                const char *colon = NULL;
                for (size_t i = sn; i > 0; i--)
                        if (svc[i - 1] == ':') {
                                colon = svc + i - 1;
                                break;
                        }
                const char *host = NULL, *port_s = svc;
                size_t host_len = 0, port_len = sn;
                if (colon) {
                        host = svc;
                        host_len = (size_t) (colon - svc);
                        port_s = colon + 1;
                        port_len = sn - host_len - 1;
                }
                unsigned port;
                if (!postfix_port(port_s, port_len, &port))
                        continue;
                r = cfg_add(c, port, "tcp", host_len ? host : NULL, host_len, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

int v2c_postfix_main_value(const char *data, size_t len, const char *key, char **ret,
                           struct v2c_error **err)
{
        struct v2c_lines l = { data, data + len, 0 };
        size_t kl = strlen(key);
        const char *s;
        size_t n;
        bool found = false, in_value = false;
        /* The value of the last assignment wins, with its continuation
         * lines (those starting with white space) joined by a space. */
        struct v2c_buf b;
        v2c_buf_init(&b, V2C_CONFIG_MAX_TOKEN);
        int r = 0;
        while (r >= 0 && v2c_lines_next(&l, &s, &n)) {
                /* Blank and comment lines end nothing (postconf(5)). */
                const char *t = s;
                size_t tn = n;
                v2c_span_trim(&t, &tn, V2C_SPACES);
                if (tn == 0 || t[0] == '#')
                        continue;
                if (v2c_is_space(s[0])) {
                        if (in_value) {
                                r = v2c_buf_append(&b, " ", 1);
                                if (r >= 0)
                                        r = v2c_buf_append(&b, t, tn);
                        }
                        continue;
                }
                in_value = false;
                if (n <= kl || memcmp(s, key, kl) != 0)
                        continue;
                t = s + kl;
                tn = n - kl;
                while (tn > 0 && (*t == ' ' || *t == '\t')) {
                        t++;
                        tn--;
                }
                if (tn == 0 || *t != '=')
                        continue;
                t++;
                tn--;
                v2c_span_trim(&t, &tn, V2C_SPACES);
                v2c_buf_release(&b);
                v2c_buf_init(&b, V2C_CONFIG_MAX_TOKEN);
                r = v2c_buf_append(&b, t, tn);
                in_value = found = true;
        }
        if (r < 0) {
                v2c_buf_release(&b);
                return v2c_error_set(err, -r, r == -ENOMEM ? "out of memory" : "`%s` is too long", key);
        }
        if (!found) {
                v2c_buf_release(&b);
                *ret = NULL;
                return 0;
        }
        char *v = v2c_buf_steal(&b);
        if (v == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        *ret = v;
        return 0;
}

/* ------------------------------------------------------------------------
 * exim (exim4): "daemon_smtp_ports = smtp : 587" in the main section
 */

struct exim_state {
        struct setting ports;
        bool past_main;      /* after the first "begin": routers, transports... */
};

static void exim_release(void *state)
{
        struct exim_state *st = state;
        setting_release(&st->ports);
}

static int exim_parse(struct cfg *c, const char *data, size_t len, struct v2c_error **err)
{
        struct exim_state *st = c->state;
        struct v2c_lines l = { data, data + len, 0 };
        const char *s;
        size_t n;
        while (v2c_lines_next(&l, &s, &n)) {
                v2c_span_trim(&s, &n, V2C_SPACES);
                if (n == 0 || s[0] == '#' || st->past_main)
                        continue;
                int r = 0;
                if (v2c_span_starts(s, n, "begin ") || v2c_span_eq(s, n, "begin")) {
                        st->past_main = true;
                } else if (v2c_span_starts(s, n, ".include")) {
                        _cleanup_(words_release) struct words w = { 0 };
                        r = split_words(s, n, 0, &w, err);
                        if (r >= 0 && w.n >= 2 && w.v[1][0] == '/')
                                r = cfg_include(c, w.v[1], NULL, err);
                } else {
                        const char *eq = memchr(s, '=', n);
                        const char *k = s, *v = eq ? eq + 1 : NULL;
                        size_t kn = eq ? (size_t) (eq - s) : 0, vn = eq ? n - kn - 1 : 0;
                        v2c_span_trim(&k, &kn, V2C_SPACES);
                        v2c_span_trim(&v, &vn, V2C_SPACES);
                        if (eq && (v2c_span_eq(k, kn, "daemon_smtp_ports") ||
                                   v2c_span_eq(k, kn, "daemon_smtp_port")))
                                r = setting_set(c, &st->ports, v, vn, err);
                }
                if (r < 0)
                        return r;
        }
        return 0;
}

static int exim_port(void *ud, const char *p, size_t n, struct v2c_error **err)
{
        struct cfg *c = ud;
        struct exim_state *st = c->state;
        unsigned port;
        if (!postfix_port(p, n, &port))
                return 0;
        int r = cfg_budget(c, err);
        return r < 0 ? r : add_span(&c->conf->ports, port, "tcp", NULL, 0, st->ports.source, err);
}

static int exim_finish(struct cfg *c, struct v2c_error **err)
{
        struct exim_state *st = c->state;
        if (st->ports.value == NULL)
                return cfg_add_default(c, 25, NULL, err);
        const char *v = st->ports.value;
        size_t n = strlen(v);
        char sep = ':';
        /* "<; 25 ; 587" picks another list separator. */
        if (n >= 2 && v[0] == '<' && !v2c_is_space(v[1])) {
                sep = v[1];
                v += 2;
                n -= 2;
        }
        return for_each_piece(v, n, sep, exim_port, c, err);
}

/* ------------------------------------------------------------------------
 * chrony: a server port only where clients are allowed
 */

struct chrony_state {
        struct setting port;
        bool allow;
};

static void chrony_release(void *state)
{
        struct chrony_state *st = state;
        setting_release(&st->port);
}

static int chrony_parse(struct cfg *c, const char *data, size_t len, struct v2c_error **err)
{
        struct chrony_state *st = c->state;
        struct v2c_lines l = { data, data + len, 0 };
        _cleanup_(words_release) struct words w = { 0 };
        const char *s;
        size_t n;
        while (v2c_lines_next(&l, &s, &n)) {
                int r = split_words(s, n, W_HASH_COMMENT, &w, err);
                if (r < 0)
                        return r;
                if (w.n == 0 || w.v[0][0] == '!' || w.v[0][0] == ';' || w.v[0][0] == '%')
                        continue;
                if (strcmp(w.v[0], "allow") == 0)
                        st->allow = true;
                else if (strcmp(w.v[0], "port") == 0 && w.n >= 2)
                        r = setting_set(c, &st->port, w.v[1], strlen(w.v[1]), err);
                else if (strcmp(w.v[0], "include") == 0 && w.n >= 2)
                        r = cfg_include(c, w.v[1], NULL, err);
                else if (strcmp(w.v[0], "confdir") == 0)
                        for (size_t i = 1; r >= 0 && i < w.n; i++) {
                                _cleanup_free_ char *pattern = NULL;
                                if (asprintf(&pattern, "%s/*.conf", w.v[i]) < 0) {
                                        pattern = NULL;
                                        return v2c_error_set(err, ENOMEM, "out of memory");
                                }
                                r = cfg_include(c, pattern, NULL, err);
                        }
                if (r < 0)
                        return r;
        }
        return 0;
}

/* chronyd opens its NTP server port (123, "port 0" never) only when an
 * "allow" lets clients in; a stock client-only chrony listens on
 * nothing but its localhost command port. */
static int chrony_finish(struct cfg *c, struct v2c_error **err)
{
        struct chrony_state *st = c->state;
        if (!st->allow)
                return 0;
        unsigned port = 123;
        const char *source = "default:chrony";
        if (st->port.value) {
                if (!parse_port(st->port.value, strlen(st->port.value), &port))
                        return 0;
                source = st->port.source;
        }
        int r = cfg_budget(c, err);
        return r < 0 ? r : add_span(&c->conf->ports, port, "udp", NULL, 0, source, err);
}

/* ------------------------------------------------------------------------
 * ntpd (ntpsec): NTP on 123/udp, whatever ntp.conf says
 */

struct ntpd_state {
        int unused;
};

static int ntpd_parse(struct cfg *c, const char *data, size_t len, struct v2c_error **err)
{
        (void) c;
        (void) data;
        (void) len;
        (void) err;
        return 0;
}

static int ntpd_finish(struct cfg *c, struct v2c_error **err)
{
        int r = cfg_budget(c, err);
        return r < 0 ? r : add_span(&c->conf->ports, 123, "udp", NULL, 0, "default:ntpd", err);
}

/* ------------------------------------------------------------------------
 * snmpd: "agentaddress [udp|tcp|udp6|tcp6:]ADDRESS[:PORT],..."
 */

struct snmpd_state {
        bool seen;
};

static int snmpd_address(void *ud, const char *s, size_t n, struct v2c_error **err)
{
        struct cfg *c = ud;
        const char *proto = "udp";
        static const struct { const char *prefix, *proto; } transports[] = {
                { "udp6:", "udp" }, { "tcp6:", "tcp" }, { "udp:", "udp" }, { "tcp:", "tcp" },
        };
        for (size_t i = 0; i < V2C_ARRAY_SIZE(transports); i++)
                if (v2c_span_starts(s, n, transports[i].prefix)) {
                        size_t pl = strlen(transports[i].prefix);
                        proto = transports[i].proto;
                        s += pl;
                        n -= pl;
                        break;
                }
        struct endpoint e;
        if (!parse_endpoint(s, n, &e))
                return 0;
        return cfg_add(c, e.port ? e.port : 161, proto, e.host, e.host_len, err);
}

static int snmpd_parse(struct cfg *c, const char *data, size_t len, struct v2c_error **err)
{
        struct snmpd_state *st = c->state;
        struct v2c_lines l = { data, data + len, 0 };
        _cleanup_(words_release) struct words w = { 0 };
        const char *s;
        size_t n;
        while (v2c_lines_next(&l, &s, &n)) {
                int r = split_words(s, n, W_HASH_COMMENT, &w, err);
                if (r < 0)
                        return r;
                if (w.n < 2 || strcasecmp(w.v[0], "agentaddress") != 0)
                        continue;
                st->seen = true;
                r = for_each_piece(w.v[1], strlen(w.v[1]), ',', snmpd_address, c, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int snmpd_finish(struct cfg *c, struct v2c_error **err)
{
        struct snmpd_state *st = c->state;
        if (st->seen)
                return 0;
        int r = cfg_budget(c, err);
        return r < 0 ? r : add_span(&c->conf->ports, 161, "udp", NULL, 0, "default:snmpd", err);
}

/* ------------------------------------------------------------------------
 * rsyslog: network inputs, when a config turns them on
 */

struct rsyslog_state {
        int unused;
};

/* The value of NAME="VALUE" inside one input(...) statement. */
static bool rsyslog_param(const char *s, size_t n, const char *name, const char **v, size_t *vn)
{
        size_t nl = strlen(name);
        for (size_t i = 0; i + nl + 2 < n; i++) {
                if (strncasecmp(s + i, name, nl) != 0 || (i > 0 && (is_alpha(s[i - 1]) || s[i - 1] == '.')))
                        continue;
                size_t j = i + nl;
                while (j < n && v2c_is_space(s[j]))
                        j++;
                if (j >= n || s[j] != '=')
                        continue;
                j++;
                while (j < n && v2c_is_space(s[j]))
                        j++;
                if (j >= n || s[j] != '"')
                        continue;
                const char *end = memchr(s + j + 1, '"', n - j - 1);
                if (end == NULL)
                        return false;
                *v = s + j + 1;
                *vn = (size_t) (end - (s + j + 1));
                return true;
        }
        return false;
}

static int rsyslog_input(struct cfg *c, const char *s, size_t n, struct v2c_error **err)
{
        const char *type, *port_s;
        size_t tn, pn;
        if (!rsyslog_param(s, n, "type", &type, &tn))
                return 0;
        const char *proto = v2c_span_eq(type, tn, "imudp") ? "udp" :
                            v2c_span_eq(type, tn, "imtcp") || v2c_span_eq(type, tn, "imptcp") ? "tcp" :
                            NULL;
        if (proto == NULL)
                return 0;
        unsigned port = 514;
        if (rsyslog_param(s, n, "port", &port_s, &pn) && !parse_port(port_s, pn, &port))
                return 0;
        return cfg_add(c, port, proto, NULL, 0, err);
}

static int rsyslog_parse(struct cfg *c, const char *data, size_t len, struct v2c_error **err)
{
        struct v2c_lines l = { data, data + len, 0 };
        _cleanup_(words_release) struct words w = { 0 };
        const char *s;
        size_t n;
        while (v2c_lines_next(&l, &s, &n)) {
                v2c_span_trim(&s, &n, V2C_SPACES);
                if (n == 0 || s[0] == '#')
                        continue;
                int r = 0;
                if (v2c_span_starts(s, n, "input(")) {
                        /* One statement may run over several lines. */
                        const char *start = s, *end = data + len;
                        const char *close = memchr(s, ')', (size_t) (end - s));
                        size_t sn = close ? (size_t) (close - start) : (size_t) (end - start);
                        r = rsyslog_input(c, start, sn, err);
                } else if (v2c_span_starts(s, n, "include(")) {
                        const char *v;
                        size_t vn;
                        if (rsyslog_param(s, n, "file", &v, &vn)) {
                                _cleanup_free_ char *pattern = strndup(v, vn);
                                if (pattern == NULL)
                                        return v2c_error_set(err, ENOMEM, "out of memory");
                                r = cfg_include(c, pattern, NULL, err);
                        }
                } else if (s[0] == '$') {
                        r = split_words(s, n, 0, &w, err);
                        if (r >= 0 && w.n >= 2) {
                                unsigned port;
                                if (strcasecmp(w.v[0], "$IncludeConfig") == 0)
                                        r = cfg_include(c, w.v[1], NULL, err);
                                else if ((strcasecmp(w.v[0], "$UDPServerRun") == 0 ||
                                          strcasecmp(w.v[0], "$InputUDPServerRun") == 0) &&
                                         parse_port(w.v[1], strlen(w.v[1]), &port))
                                        r = cfg_add(c, port, "udp", NULL, 0, err);
                                else if (strcasecmp(w.v[0], "$InputTCPServerRun") == 0 &&
                                         parse_port(w.v[1], strlen(w.v[1]), &port))
                                        r = cfg_add(c, port, "tcp", NULL, 0, err);
                        }
                }
                if (r < 0)
                        return r;
        }
        return 0;
}

/* ------------------------------------------------------------------------
 * vsftpd: standalone ("listen" or "listen_ipv6" YES) on listen_port
 */

struct vsftpd_state {
        bool standalone;
        struct setting port, address;
};

static void vsftpd_release(void *state)
{
        struct vsftpd_state *st = state;
        setting_release(&st->port);
        setting_release(&st->address);
}

static int vsftpd_parse(struct cfg *c, const char *data, size_t len, struct v2c_error **err)
{
        struct vsftpd_state *st = c->state;
        struct v2c_lines l = { data, data + len, 0 };
        const char *s;
        size_t n;
        while (v2c_lines_next(&l, &s, &n)) {
                const char *eq = memchr(s, '=', n);
                if (n == 0 || s[0] == '#' || eq == NULL)
                        continue;
                const char *k = s, *v = eq + 1;
                size_t kn = (size_t) (eq - s), vn = n - kn - 1;
                v2c_span_trim(&v, &vn, V2C_SPACES);
                int r = 0;
                if (v2c_span_eq(k, kn, "listen") || v2c_span_eq(k, kn, "listen_ipv6"))
                        st->standalone |= v2c_span_eq_ci(v, vn, "YES");
                else if (v2c_span_eq(k, kn, "listen_port"))
                        r = setting_set(c, &st->port, v, vn, err);
                else if (v2c_span_eq(k, kn, "listen_address") || v2c_span_eq(k, kn, "listen_address6"))
                        r = setting_set(c, &st->address, v, vn, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Without "listen=YES" or "listen_ipv6=YES" vsftpd runs from inetd,
 * which owns the port. */
static int vsftpd_finish(struct cfg *c, struct v2c_error **err)
{
        struct vsftpd_state *st = c->state;
        if (!st->standalone)
                return 0;
        unsigned port = 21;
        const char *source = "default:vsftpd";
        if (st->port.value) {
                if (!parse_port(st->port.value, strlen(st->port.value), &port))
                        return 0;
                source = st->port.source;
        }
        const char *a = st->address.value;
        int r = cfg_budget(c, err);
        return r < 0 ? r : add_span(&c->conf->ports, port, "tcp", a, a ? strlen(a) : 0, source, err);
}

/* ------------------------------------------------------------------------
 * php-fpm: php-fpm.conf and its pools, INI syntax.  Each pool ([www]) has
 * one `listen`: "127.0.0.1:9000", "9000" (every address), "[::]:9000"
 * or a socket path (RHEL's /run/php-fpm/www.sock, Debian's
 * /run/php/php8.2-fpm.sock).  The pools come in through `include`, a glob
 * relative to php-fpm's prefix, which the packages set to /etc/... paths.
 */

static int phpfpm_parse(struct cfg *c, const char *data, size_t len, struct v2c_error **err)
{
        struct v2c_lines l = { data, data + len, 0 };
        const char *s;
        size_t n;
        while (v2c_lines_next(&l, &s, &n)) {
                v2c_span_trim(&s, &n, V2C_SPACES);
                const char *eq = memchr(s, '=', n);
                if (n == 0 || s[0] == ';' || s[0] == '#' || s[0] == '[' || eq == NULL)
                        continue;
                const char *k = s, *v = eq + 1;
                size_t kn = (size_t) (eq - s), vn = n - kn - 1;
                v2c_span_trim(&k, &kn, V2C_SPACES);
                v2c_span_trim(&v, &vn, V2C_SPACES);
                if (vn >= 2 && (v[0] == '"' || v[0] == '\'') && v[vn - 1] == v[0]) {
                        v++;
                        vn -= 2;
                }
                int r = 0;
                if (v2c_span_eq(k, kn, "listen") && vn > 0) {
                        struct endpoint e;
                        if (v[0] == '/')
                                r = cfg_add_unix(c, v, vn, err);
                        else if (parse_endpoint(v, vn, &e) && e.port)
                                r = cfg_add(c, e.port, "tcp", e.host, e.host_len, err);
                } else if (v2c_span_eq(k, kn, "include") && vn > 0 && vn < 4096) {
                        _cleanup_free_ char *pattern = strndup(v, vn);
                        if (pattern == NULL)
                                return v2c_error_set(err, ENOMEM, "out of memory");
                        r = cfg_include(c, pattern, c->main_dir, err);
                }
                if (r < 0)
                        return r;
        }
        return 0;
}

/* ------------------------------------------------------------------------
 * Driver
 */

static const struct parser parsers[V2C_SERVER_COUNT_] = {
        [V2C_SERVER_NGINX] = { "nginx", sizeof(struct ngx_state), ngx_parse, ngx_finish, NULL },
        [V2C_SERVER_APACHE2] = { "apache2", sizeof(struct apache_state), apache_parse,
                                 apache_finish, apache_release },
        [V2C_SERVER_REDIS] = { "redis", sizeof(struct redis_state), redis_parse, redis_finish,
                               redis_release },
        [V2C_SERVER_POSTGRESQL] = { "postgresql", sizeof(struct pg_state), pg_parse, pg_finish,
                                    pg_release },
        [V2C_SERVER_MYSQL] = { "mysql", sizeof(struct mysql_state), mysql_parse, mysql_finish,
                               mysql_release },
        [V2C_SERVER_SSHD] = { "sshd", sizeof(struct sshd_state), sshd_parse, sshd_finish,
                              sshd_release },
        [V2C_SERVER_MEMCACHED] = { "memcached", sizeof(struct memcached_state), memcached_parse,
                                   memcached_finish, memcached_release },
        [V2C_SERVER_HAPROXY] = { "haproxy", sizeof(struct hap_state), hap_parse, NULL, NULL },
        [V2C_SERVER_SQUID] = { "squid", sizeof(struct squid_state), squid_parse, NULL, NULL },
        [V2C_SERVER_NAMED] = { "named", sizeof(struct named_state), named_parse, named_finish,
                               named_release },
        [V2C_SERVER_DOVECOT] = { "dovecot", sizeof(struct dovecot_state), dovecot_parse,
                                 dovecot_finish, dovecot_release },
        [V2C_SERVER_TOMCAT] = { "tomcat", sizeof(struct tomcat_state), tomcat_parse, NULL, NULL },
        [V2C_SERVER_POSTFIX] = { "postfix", sizeof(struct postfix_state), postfix_parse, NULL,
                                 NULL },
        [V2C_SERVER_EXIM] = { "exim", sizeof(struct exim_state), exim_parse, exim_finish,
                              exim_release },
        [V2C_SERVER_CHRONY] = { "chrony", sizeof(struct chrony_state), chrony_parse, chrony_finish,
                                chrony_release },
        [V2C_SERVER_NTPD] = { "ntpd", sizeof(struct ntpd_state), ntpd_parse, ntpd_finish, NULL },
        [V2C_SERVER_SNMPD] = { "snmpd", sizeof(struct snmpd_state), snmpd_parse, snmpd_finish, NULL },
        [V2C_SERVER_RSYSLOG] = { "rsyslog", sizeof(struct rsyslog_state), rsyslog_parse, NULL, NULL },
        [V2C_SERVER_VSFTPD] = { "vsftpd", sizeof(struct vsftpd_state), vsftpd_parse, vsftpd_finish,
                                vsftpd_release },
        /* A state of one byte: calloc(0) may give NULL, which would read as
         * out of memory. */
        [V2C_SERVER_PHPFPM] = { "php-fpm", 1, phpfpm_parse, NULL, NULL },
};

const char *v2c_server_name(enum v2c_server server)
{
        if ((unsigned) server >= V2C_SERVER_COUNT_)
                return NULL;
        return parsers[server].name;
}

int v2c_server_from_name(const char *name)
{
        static const struct { const char *alias; enum v2c_server server; } aliases[] = {
                { "apache", V2C_SERVER_APACHE2 }, { "httpd", V2C_SERVER_APACHE2 },
                { "mariadb", V2C_SERVER_MYSQL },  { "postgres", V2C_SERVER_POSTGRESQL },
                { "ssh", V2C_SERVER_SSHD },       { "bind9", V2C_SERVER_NAMED },
                { "bind", V2C_SERVER_NAMED },     { "exim4", V2C_SERVER_EXIM },
                { "chronyd", V2C_SERVER_CHRONY }, { "ntpsec", V2C_SERVER_NTPD },
                { "rsyslogd", V2C_SERVER_RSYSLOG },
        };
        if (name == NULL)
                return -EINVAL;
        for (unsigned i = 0; i < V2C_SERVER_COUNT_; i++)
                if (strcasecmp(name, parsers[i].name) == 0)
                        return (int) i;
        for (size_t i = 0; i < V2C_ARRAY_SIZE(aliases); i++)
                if (strcasecmp(name, aliases[i].alias) == 0)
                        return (int) aliases[i].server;
        return -EINVAL;
}

struct v2c_svc_config *v2c_svc_config_free(struct v2c_svc_config *c)
{
        if (c == NULL)
                return NULL;
        v2c_ports_release(&c->ports);
        v2c_strv_free(c->log_paths);
        v2c_strv_free(c->data_dirs);
        v2c_strv_free(c->content_dirs);
        v2c_strv_free(c->work_dirs);
        free(c);
        return NULL;
}

int v2c_ports_parse_config(enum v2c_server server, const char *path, const char *data, size_t len,
                           const struct v2c_include_reader *inc, struct v2c_svc_config **ret,
                           struct v2c_error **err)
{
        if ((unsigned) server >= V2C_SERVER_COUNT_)
                return v2c_error_set(err, EINVAL, "unknown server %d", (int) server);
        const struct parser *parser = &parsers[server];

        _cleanup_(v2c_svc_config_freep) struct v2c_svc_config *conf = calloc(1, sizeof(*conf));
        _cleanup_free_ void *state = calloc(1, parser->state_size);
        _cleanup_free_ char *main_dir = dir_of(path);
        if (conf == NULL || state == NULL || (path && strchr(path, '/') && main_dir == NULL))
                return v2c_error_set(err, ENOMEM, "out of memory");
        conf->daemon = -1;

        struct cfg c = {
                .parser = parser,
                .conf = conf,
                .inc = inc,
                .state = state,
                .main_dir = main_dir,
        };
        int r = cfg_parse_file(&c, path, data, len, err);
        if (r >= 0 && parser->finish)
                r = parser->finish(&c, err);
        if (parser->release)
                parser->release(state);
        if (r < 0)
                return v2c_error_prefix(err, r, "%s config `%s`", parser->name,
                                        path ? path : "(buffer)");

        v2c_ports_sort_uniq(&conf->ports);
        v2c_strv_sort_uniq(conf->log_paths);
        v2c_strv_sort_uniq(conf->data_dirs);
        v2c_strv_sort_uniq(conf->content_dirs);
        *ret = TAKE_PTR(conf);
        return 0;
}

#define DEFINE_PARSE(fn, server)                                                                 \
        int fn(const char *path, const char *data, size_t len,                                   \
               const struct v2c_include_reader *inc, struct v2c_svc_config **ret,                \
               struct v2c_error **err)                                                           \
        {                                                                                        \
                return v2c_ports_parse_config(server, path, data, len, inc, ret, err);           \
        }

DEFINE_PARSE(v2c_ports_parse_nginx, V2C_SERVER_NGINX)
DEFINE_PARSE(v2c_ports_parse_apache2, V2C_SERVER_APACHE2)
DEFINE_PARSE(v2c_ports_parse_redis, V2C_SERVER_REDIS)
DEFINE_PARSE(v2c_ports_parse_postgresql, V2C_SERVER_POSTGRESQL)
DEFINE_PARSE(v2c_ports_parse_mysql, V2C_SERVER_MYSQL)
DEFINE_PARSE(v2c_ports_parse_sshd, V2C_SERVER_SSHD)
DEFINE_PARSE(v2c_ports_parse_memcached, V2C_SERVER_MEMCACHED)
DEFINE_PARSE(v2c_ports_parse_haproxy, V2C_SERVER_HAPROXY)
DEFINE_PARSE(v2c_ports_parse_squid, V2C_SERVER_SQUID)
DEFINE_PARSE(v2c_ports_parse_named, V2C_SERVER_NAMED)
DEFINE_PARSE(v2c_ports_parse_dovecot, V2C_SERVER_DOVECOT)
DEFINE_PARSE(v2c_ports_parse_tomcat, V2C_SERVER_TOMCAT)
DEFINE_PARSE(v2c_ports_parse_postfix, V2C_SERVER_POSTFIX)
