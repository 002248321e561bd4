/* Where a service connects to: the endpoints its configuration names.
 *
 * A reverse proxy in front of an application on the same VM reaches it
 * over loopback (nginx "proxy_pass http://127.0.0.1:8000"), an application
 * reaches its database through a URL in its environment file
 * ("DATABASE_URL=postgresql://app@localhost/app").  Split into containers,
 * those addresses are empty; inspect records them so that convert can keep
 * the services together (links.c scans, inspect.c's caller resolves each
 * endpoint to the service of the guest that listens there).
 *
 * Everything here is pure: the scanners take (data, len) buffers, never
 * NUL-terminated, of one file; the include handling is the config parsers'
 * (ports.c), whose reader already records every file a server reads in the
 * service's config_files, and those are the files scanned here.  The bytes
 * come from the guest: every count is bounded (V2C_LINKS_*), a line we
 * cannot read is skipped, never an error.
 *
 * Ownership as in ports-internal.h: "new" strings belong to the struct
 * that holds them; release functions accept a zeroed struct. */
#ifndef V2C_INSPECT_LINKS_INTERNAL_H
#define V2C_INSPECT_LINKS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

#define V2C_LINKS_MAX_REFS   4096        /* endpoints recorded from one file */
#define V2C_LINKS_MAX_WORD   4096        /* bytes of one word or URL looked at */
#define V2C_LINKS_MAX_DEPTH  64          /* nginx block nesting followed */
#define V2C_LINKS_MAX_LOCAL  1024        /* names and addresses of the guest itself */

/* Which grammar a file is read with. */
enum v2c_link_syntax {
        V2C_LINK_GENERIC,   /* env files, app configs: URLs, KEY=HOST:PORT, libpq "host=... port=..." */
        V2C_LINK_NGINX,     /* *_pass directives, "server" in upstream blocks */
        V2C_LINK_APACHE2,   /* ProxyPass, ProxyPassReverse, ProxyPassMatch, BalancerMember, SetHandler proxy: */
        V2C_LINK_HAPROXY,   /* "server" lines of backend and listen sections */
};

/* One endpoint a file names. */
struct v2c_link_ref {
        char *host;          /* new; lowercase, IPv6 brackets dropped; NULL for a unix socket */
        unsigned port;       /* 1..65535; 0 for a unix socket */
        char *unix_path;     /* new; the socket (or its directory, libpq's host=/var/run/postgresql); or NULL */
        char *via;           /* new; the directive or variable: "proxy_pass", "ProxyPass", "server", "REDIS_URL" */
        size_t line;         /* 1-based line of the file */
};

struct v2c_link_refs {
        struct v2c_link_ref *items;   /* owned, in file order */
        size_t n, cap;
};

void v2c_link_refs_release(struct v2c_link_refs *r);

/* The grammar of a guest file: files under /etc/nginx are nginx's,
 * /etc/apache2 and /etc/httpd apache2's, /etc/haproxy haproxy's; anything
 * else (environment files, /etc/default/NAME, app configs) generic. */
enum v2c_link_syntax v2c_links_syntax_of(const char *path);

/* Appends to OUT the endpoints of one file read with SYNTAX.  What counts:
 *
 * nginx: proxy_pass, fastcgi_pass, uwsgi_pass, scgi_pass, grpc_pass,
 *   memcached_pass with "SCHEME://HOST[:PORT][/...]" (the scheme's
 *   default port when none is given), "HOST:PORT", "unix:PATH" and
 *   "http://unix:PATH:/uri"; "server ADDRESS ..." in upstream blocks
 *   (default port 80).  Words and blocks as nginx reads them (quotes,
 *   '#' comments, ';' '{' '}' as separators), across lines.
 * apache2 (directives case-insensitive, one per line): ProxyPass,
 *   ProxyPassMatch, ProxyPassReverse, BalancerMember: their first word
 *   holding "://" or starting "unix:"; "SetHandler proxy:URL" and
 *   "proxy:unix:PATH|fcgi://...".
 * haproxy: "server NAME ADDRESS" in backend and listen sections: "HOST:PORT",
 *   "ipv4@"/"ipv6@" prefixes, "unix@PATH" and "/PATH".
 * generic: every "SCHEME://[USER[:PASS]@]HOST[:PORT]" in a line (the
 *   scheme's default port when none is given: http 80, https 443,
 *   postgres(ql) 5432, mysql 3306, redis 6379, memcache(d) 11211, amqp 5672,
 *   mongodb 27017...), "KEY=HOST:PORT" and "key: HOST:PORT" values, and
 *   libpq's "host=HOST port=PORT" on one line (port 5432 when absent; a
 *   host that is a path is a socket directory).  via is the variable name
 *   when the line assigns one, else the scheme.
 *
 * Host names are kept whatever they are: which of them mean the guest
 * itself is v2c_links_is_local's business.  Only -ENOMEM and -E2BIG (past
 * V2C_LINKS_MAX_REFS) fail; OUT keeps what was added before. */
int v2c_links_scan(enum v2c_link_syntax syntax, const char *data, size_t len, struct v2c_link_refs *out,
                   struct v2c_error **err);

/* The guest's own names and addresses, for v2c_links_is_local.
 *
 * v2c_links_local_addrs adds the static addresses of /etc/network/interfaces
 * ("address 10.0.0.5/24" in iface stanzas) or of a systemd-networkd .network
 * file ("Address=10.0.0.5/24" in [Network] or [Address]), prefix lengths
 * dropped.  v2c_links_local_hosts adds, from /etc/hosts, every name (and
 * address) of a line whose address is loopback, one of *LOCAL's addresses
 * already, or which names HOSTNAME (may be NULL); HOSTNAME itself is added
 * too.  *LOCAL is a new strv (lowercase, unique), grown in place; at most
 * V2C_LINKS_MAX_LOCAL entries, the rest dropped.  Only -ENOMEM fails. */
int v2c_links_local_addrs(const char *data, size_t len, char ***local);
int v2c_links_local_hosts(const char *data, size_t len, const char *hostname, char ***local);

/* Whether HOST means the guest itself: "localhost" and its variants
 * ("localhost.localdomain", "ip6-localhost", "*.localhost"), 127.0.0.0/8,
 * "::1", "0.0.0.0", "::" (which Linux connects to loopback), or one of
 * LOCAL (case-insensitive). */
bool v2c_links_is_local(const char *host, char *const *local);

/* Whether the unix socket PATH (or socket directory) is, by its name, the
 * one of service NAME: its file name without ".sock"/".socket", or the
 * directory /run/X or /var/run/X holding it, equals NAME or NAME's part
 * before '@' ("/run/php/php8.2-fpm.sock" is php8.2-fpm's,
 * "/var/run/postgresql" postgresql@15-main's). */
bool v2c_links_socket_is(const char *path, const char *name);

#endif
