/* Where a service listens, worked out from what the inspector has read off
 * the guest: the argv it is started with, the ListenStream=/ListenDatagram=
 * values of its socket unit, and the config files of well-known servers.
 *
 * Everything here is pure.  The inspector reads the files; the parsers get
 * (data, len) buffers, never NUL-terminated, and reach included files only
 * through a callback the caller implements (struct v2c_include_reader).
 * The bytes come from an untrusted disk: every count and size the input
 * controls is capped (V2C_PORTS_* and V2C_CONFIG_* below), include nesting
 * is limited so that a file including itself fails with -ELOOP instead of
 * recursing, and a line we cannot make sense of is skipped, not an error:
 * one bad line must not hide the ports of a whole service.
 *
 * Ownership: "new" means the caller frees it with the function named;
 * "borrowed" means it lives as long as what it came from.  Free and
 * release functions accept NULL (or a zeroed struct).  Output parameters
 * are left untouched when a function fails.
 */
#ifndef V2C_INSPECT_PORTS_INTERNAL_H
#define V2C_INSPECT_PORTS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

/* Caps on what input can make us hold or do.  A busy nginx host has a
 * few hundred server blocks; these leave room and keep a hostile config
 * (or a haproxy port range "1-65535") from costing more than a few MiB. */
#define V2C_PORTS_MAX             4096            /* entries of one struct v2c_ports */
#define V2C_PORTS_MAX_RANGE       1024            /* ports of one haproxy range "8000-8099" */
#define V2C_CONFIG_MAX_DEPTH      8               /* include nesting below the main file */
#define V2C_CONFIG_MAX_FILES      256             /* files parsed for one config, main included */
#define V2C_CONFIG_MAX_INCLUDES   1024            /* include directives followed */
#define V2C_CONFIG_MAX_BYTES      (16 * 1024 * 1024) /* bytes of all those files together */
#define V2C_CONFIG_MAX_TOKEN      (64 * 1024)     /* one nginx word */
#define V2C_CONFIG_MAX_STRINGS    4096            /* log paths or data dirs of one config */
#define V2C_CONFIG_MAX_ADDS       65536           /* listen/bind/socket declarations, repeats included */

/* One listening socket.  Named v2c_listen so it can live next to the
 * report's struct v2c_port (inspect.h), which it is copied into. */
struct v2c_listen {
        unsigned port;       /* 1..65535 */
        char proto[4];       /* "tcp" or "udp" */
        /* new; NULL when bound to every address.  Wildcards ("*", "0.0.0.0",
         * "::", "") become NULL and IPv6 brackets are dropped, so "[::1]"
         * is stored as "::1". */
        char *address;
        /* new; where the port came from: "argv", "socket:echo.socket",
         * "config:/etc/nginx/sites-enabled/default", "default:nginx" */
        char *source;
};

/* A set of listening sockets.  Kept sorted by port, then proto, then
 * address (NULL first), then source, and unique on (port, proto,
 * address): the same port found twice keeps the entry whose source sorts
 * first.  Two entries differ only by address when a service binds one
 * port on several specific addresses (127.0.0.1:80 and 10.0.0.1:80). */
struct v2c_ports {
        struct v2c_listen *items;   /* owned */
        size_t n, cap;
        /* Unix sockets are not ports: their paths go here instead (owned
         * strv, sorted, unique; NULL when none).  Abstract sockets
         * ("@name") and vsock addresses are left out. */
        char **unix_paths;
        size_t n_unix;        /* entries of unix_paths; change both only through the functions */
        /* Internal: items and unix_paths are known sorted and unique, so
         * a full set can look a repeat up instead of sorting again. */
        bool sorted;
};

/* A zeroed struct v2c_ports is an empty, valid set. */
void v2c_ports_init(struct v2c_ports *p);
/* Frees what p holds and zeroes it; accepts NULL. */
void v2c_ports_release(struct v2c_ports *p);
static inline void v2c_ports_releasep(struct v2c_ports *p) { v2c_ports_release(p); }
#define _cleanup_ports_ __attribute__((cleanup(v2c_ports_releasep)))

/* Adds one port (address and source are copied; address may be NULL).
 * -EINVAL for a port outside 1..65535, a proto other than "tcp"/"udp", a
 * NULL source or an address that is not a host name or IP literal
 * (characters outside [A-Za-z0-9.:%_*-], brackets around IPv6 allowed,
 * at most 255 bytes); -E2BIG when the set would pass V2C_PORTS_MAX unique
 * entries (a repeat of one already there is fine).  Appends: the set is
 * sorted and deduplicated by v2c_ports_sort_uniq, which every detector
 * below calls before it returns. */
int v2c_ports_add(struct v2c_ports *p, unsigned port, const char *proto, const char *address,
                  const char *source, struct v2c_error **err);
/* Adds a copy of a unix socket path (non-empty, at most 4096 bytes);
 * -E2BIG past V2C_PORTS_MAX different paths. */
int v2c_ports_add_unix(struct v2c_ports *p, const char *path, struct v2c_error **err);
/* Sorts and deduplicates (see struct v2c_ports). */
void v2c_ports_sort_uniq(struct v2c_ports *p);
/* Moves everything src holds into dst (src is left empty), then sorts and
 * deduplicates dst.  Only -ENOMEM; both are unchanged on failure. */
int v2c_ports_move(struct v2c_ports *dst, struct v2c_ports *src, struct v2c_error **err);

/* ------------------------------------------------------------------------
 * argv
 *
 * Adds to out (source "argv") the ports a command line asks its program
 * to listen on; argv[0] is the program and is skipped.  The rule, meant to
 * catch what servers take while leaving alone numbers that are not ports:
 *
 * - A port value is 1 to 5 decimal digits worth 1..65535, nothing else.
 * - Port options: --port, --http-port, --https-port, --listen-port, -p,
 *   as "--port N", "--port=N", "-p N", "-pN".  If the value is not a port
 *   ("-p /run/x.pid", "-p abc", "-pSECRET") it is ignored and, when it was
 *   a separate word, not consumed.
 * - Endpoint options: --listen, --bind, --addr, --address, --listen-addr,
 *   --listen-address, --http-addr, --web.listen-address, --host (long, also
 *   as --opt=VALUE) and -l, -b (short, also attached: "-b:80").  The value
 *   is one or more comma-separated endpoints: "HOST:PORT", "[V6]:PORT",
 *   ":PORT", "*:PORT", optionally behind "tcp://", "http://", "https://"
 *   (tcp) or "udp://" (udp) with any "/path" after the port dropped;
 *   "unix:PATH" records a unix socket.  Long options also take a bare
 *   "PORT" ("--listen=8080"); the short ones, whose letters mean other
 *   things in other programs, do not.
 * - A host without a port ("--host 0.0.0.0", "-l 127.0.0.1", "--bind
 *   localhost") is not a port by itself: it becomes the address of the
 *   ports given by port options ("--host 127.0.0.1 --port 8000" gives
 *   127.0.0.1:8000), one entry per host when several are given.  Short
 *   options only take IP literals, "localhost" and "*" as hosts.
 * - Any other word is taken only when it has the form ":PORT", "*:PORT",
 *   "IPV4:PORT", "[V6]:PORT" or "localhost:PORT" (php -S 0.0.0.0:8000,
 *   redis-server's ":6380").  Bare numbers ("--workers 4", "8000") never
 *   count, nor do "name:port" words with other host names (those are
 *   mostly servers to connect to), nor the value of options naming a peer
 *   or upstream: --to, --upstream, --backend, --connect, --target,
 *   --proxy, --forward, --master, --join, --peer, --dsn, --url.
 * Only -ENOMEM and -E2BIG fail; out is unchanged on failure. */
int v2c_ports_from_argv(char *const *argv, struct v2c_ports *out, struct v2c_error **err);

/* ------------------------------------------------------------------------
 * systemd socket units
 *
 * Adds the port of one value of a Listen*= setting of a .socket unit:
 * key "ListenStream" gives tcp, "ListenDatagram" udp; other keys (and an
 * empty value, which resets the list in systemd: the caller's unit model
 * applies that) add nothing.  Values follow systemd.socket(5): "PORT"
 * (every address), "IPV4:PORT", "[V6]:PORT", "[V6%IFACE]:PORT".  A path
 * ("/run/foo.sock", or one starting with a specifier, "%t/foo.sock") is a
 * unix socket and goes to out->unix_paths, unexpanded; "@abstract" and
 * "vsock:CID:PORT" are skipped, as are values systemd would reject (host
 * names).  ListenSequentialPacket= paths are unix sockets too.
 * source is copied ("socket:echo.socket").  out is unchanged on failure. */
int v2c_ports_from_socket_value(const char *key, const char *value, const char *source,
                                struct v2c_ports *out, struct v2c_error **err);

/* ------------------------------------------------------------------------
 * Server configs
 */

/* Called by a parser for each file an include matched: path is the file's
 * guest path (borrowed, for messages and sources), data its content (not
 * NUL-terminated).  Pass it state unchanged. */
typedef int (*v2c_include_file_cb)(void *state, const char *path, const char *data, size_t len,
                                   struct v2c_error **err);

/* Implemented by the caller, who can read the guest.  read_include() gets
 * a glob pattern as the server wrote it, already made absolute when the
 * server defines what relative ones are relative to (nginx: the directory
 * of the main file; apache2: ServerRoot, else that directory; sshd:
 * /etc/ssh; redis, postgresql, mysql: the directory of the including
 * file), and calls cb(state, path, data, len, err) once per matching
 * regular file, in strcmp order of path, as the servers do; a pattern that
 * matches nothing is not an error.  It should bound what it reads per
 * file (the parsers bound the total).  Return 0, or the negative value cb
 * returned (stop at once when cb fails), or a negative errno of its own
 * with *err set. */
struct v2c_include_reader {
        int (*read_include)(void *ctx, const char *pattern, v2c_include_file_cb cb, void *state,
                            struct v2c_error **err);
        void *ctx;
};

enum v2c_server {
        V2C_SERVER_NGINX,
        V2C_SERVER_APACHE2,
        V2C_SERVER_REDIS,
        V2C_SERVER_POSTGRESQL,
        V2C_SERVER_MYSQL,        /* and MariaDB */
        V2C_SERVER_SSHD,
        V2C_SERVER_MEMCACHED,
        V2C_SERVER_HAPROXY,
        V2C_SERVER_SQUID,
        V2C_SERVER_NAMED,        /* BIND 9 */
        V2C_SERVER_DOVECOT,
        V2C_SERVER_TOMCAT,
        V2C_SERVER_POSTFIX,
        V2C_SERVER_EXIM,
        V2C_SERVER_CHRONY,
        V2C_SERVER_NTPD,         /* ntpsec */
        V2C_SERVER_SNMPD,
        V2C_SERVER_RSYSLOG,
        V2C_SERVER_VSFTPD,
        V2C_SERVER_PHPFPM,
        V2C_SERVER_COUNT_,
};

/* "nginx", "apache2", "redis", "postgresql", "mysql", "sshd", "memcached",
 * "haproxy", "squid", "named", "dovecot", "tomcat", "postfix", "exim",
 * "chrony", "ntpd", "snmpd", "rsyslog", "vsftpd", "php-fpm" (borrowed, static); NULL
 * for an unknown value.  Also the name in "default:NAME" sources. */
const char *v2c_server_name(enum v2c_server server);
/* The server of that name (case-insensitive; "apache", "httpd",
 * "mariadb", "postgres", "ssh", "bind9", "bind", "exim4", "chronyd",
 * "ntpsec", "rsyslogd" accepted too), or -EINVAL. */
int v2c_server_from_name(const char *name);

/* What a server's config says beyond its ports, for the classifier and the
 * converter. */
struct v2c_svc_config {
        struct v2c_ports ports;  /* sources "config:PATH" (file of the directive) or "default:NAME" */
        /* Log files the server writes (nginx error_log/access_log, apache2
         * ErrorLog/CustomLog/TransferLog, redis and memcached logfile,
         * mysql log-error/general-log-file/slow-query-log-file): new strv,
         * as written (may be relative or hold ${VARS}), sorted, unique;
         * NULL when none.  "stderr", "syslog:...", "memory:...", "off" and
         * pipes ("|cmd") are not files and are left out. */
        char **log_paths;
        /* Where the server keeps state, when the config says so (redis dir,
         * postgresql data_directory, mysql datadir); new strv like above.
         * Built-in defaults are not added: an unset data_directory means
         * the one given with -D, which only the command line knows. */
        char **data_dirs;
        /* Content the server serves from (nginx "root" and "alias",
         * apache2 "DocumentRoot"): absolute paths only; new strv like
         * above.  Convert carries them as the service's own files. */
        char **content_dirs;
        /* Directories the server must be able to write that hold no data
         * of its own (named's "directory", its cache and managed keys):
         * absolute paths only; new strv like above. */
        char **work_dirs;
        /* Whether the server forks into the background: 1 (nginx "daemon
         * on", redis "daemonize yes", haproxy "daemon", memcached -d), 0
         * (nginx "daemon off", redis "daemonize no"), -1 when the config
         * does not say (nginx then daemonizes, the others do not). */
        int daemon;
};

/* Frees c and all it holds; accepts NULL; returns NULL. */
struct v2c_svc_config *v2c_svc_config_free(struct v2c_svc_config *c);
static inline void v2c_svc_config_freep(struct v2c_svc_config **c) { v2c_svc_config_free(*c); }

/* Parses the main config file of a server (path: its guest path, used for
 * sources, messages and to resolve relative includes; may be NULL) from
 * (data, len), following includes through inc (NULL: includes are not
 * followed).  *ret is new.  What each server's parser understands:
 *
 * nginx: "listen" in server blocks of http, stream and mail ("80",
 *   "8080 default_server", "[::]:80", "127.0.0.1:8080", "localhost" (port
 *   80), "unix:PATH" -> unix_paths; "udp" in stream and "quic" in http
 *   make it udp); an http server block without listen gets 80
 *   ("default:nginx"); "include" in any context; "daemon"; "error_log",
 *   "access_log".  Quotes, backslash escapes and '#' comments as nginx.
 * apache2: "Listen [ADDR:]PORT [PROTO]" (always tcp), "Include" and
 *   "IncludeOptional", "ServerRoot"; log directives.  Sections such as
 *   <IfModule> are not evaluated: a Listen inside one counts (Debian's
 *   "Listen 443" under <IfModule ssl_module> is reported).  No Listen at
 *   all gives 80 ("default:apache2").
 * redis: "port N" (0 = no tcp), "tls-port", "bind" ("-" prefixes
 *   dropped), "unixsocket", "daemonize", "dir", "logfile" ("" = stdout),
 *   each the last one read winning; "include".  Default 6379 on every
 *   address.
 * postgresql: "port", "listen_addresses" ('*' = every address, '' = no
 *   tcp; default 'localhost'), "data_directory", "unix_socket_directories"
 *   (-> DIR/.s.PGSQL.PORT in unix_paths), "include", "include_if_exists",
 *   "include_dir" (DIR/ *.conf), with '=' optional, '#' comments and
 *   '...' quoting.  Default port 5432.
 * mysql: in [mysqld], [mysqld-X], [mariadb], [mariadbd], [mariadb-X],
 *   [server], [server-X], [client-server] only: "port" (0 = default),
 *   "bind-address" (comma list), "socket", "skip-networking" (no tcp),
 *   "datadir" (settings: the last one read wins), log
 *   files; "loose-" prefixes and '_' for '-' accepted; "!include FILE" and
 *   "!includedir DIR" (DIR/ *.cnf) anywhere.  Default 3306.
 * sshd: "Port" (several), "ListenAddress HOST[:PORT] [rdomain X]" (one
 *   entry per Port when it has no port), "Include"; keywords
 *   case-insensitive, "Keyword=value" accepted, Port and ListenAddress
 *   under Match ignored as sshd refuses them.  Default 22.
 * memcached (/etc/memcached.conf, one option per line): -p/--port (0 = no
 *   tcp), -U/--udp-port (udp when > 0), -l/--listen (comma list),
 *   -s/--unix-socket (which turns the network off), -d, "logfile".
 *   Default tcp 11211.
 * haproxy: "bind" in frontend and listen sections: comma-separated
 *   addresses "[HOST]:PORT", "[HOST]:PORT-PORT" (at most
 *   V2C_PORTS_MAX_RANGE ports), "ipv4@"/"ipv6@"/"tcp@" prefixes, "udp@",
 *   "quic4@" and the like (udp), "/path" and "unix@path" (unix_paths);
 *   "abns@", "fd@", "sockpair@" skipped; "daemon" and "stats socket PATH"
 *   in global.  No default.
 * squid: "http_port" and "https_port" ([ADDR:]PORT, tcp), "icp_port",
 *   "htcp_port", "snmp_port" (udp; 0 = off), "include" (relative to the
 *   main file's directory).  No default: Debian's squid.conf says 3128.
 * named (BIND 9, named.conf): in "options", "listen-on" and
 *   "listen-on-v6" ("port N"; "tls NAME" alone 853, "http NAME" 443 or,
 *   with "tls none", 80: tcp only; an address list "{ none; }" turns one
 *   off) and "port N"; "include" anywhere.  A family without listen-on
 *   gets 53 (or options' port) over tcp and udp ("default:named" when no
 *   port is written).  "controls" (rndc, localhost) is not a port for
 *   clients.  Comments "#", "//" and C's.
 * dovecot: top-level "protocols" ("$protocols" expanded; Debian's
 *   default is empty and each protocol package adds its name), "service
 *   NAME { inet_listener NAME { port = N } }" (0 turns one off),
 *   "!include" and "!include_try" (relative to the including file).  The
 *   built-in listeners of an enabled protocol apply unless overridden
 *   ("default:dovecot"): imap 143, imaps 993, pop3 110, pop3s 995,
 *   submission 587, sieve 4190; other listeners with a port count when
 *   their service runs (login services need their protocol on).
 * tomcat (server.xml): "port" (and "address") of every <Connector>
 *   outside comments, HTTP and AJP alike.  The <Server port> shutdown
 *   port is not reported: it is a localhost control channel, not a
 *   service port.  No default.
 * postfix (master.cf): the service column of every "inet" line
 *   ("smtp", "submission", "submissions"/"smtps", "lmtp", "qmqp" or a
 *   number, optionally "HOST:" before it); commented lines (Debian's
 *   submission and smtps) do not count.  No default: without master.cf
 *   postfix does not start.
 * exim: "daemon_smtp_ports" (or "_port") in the main section (names or
 *   numbers, ':' separated, "<X" changes the separator), ".include".
 *   Default 25.
 * chrony: "port N" (0 = none) and "allow": the NTP server port (udp,
 *   default 123) only when some "allow" lets clients in; "include",
 *   "confdir DIR" (DIR/ *.conf).
 * ntpd (ntpsec): 123/udp ("default:ntpd"); the config is not read.
 * snmpd: "agentaddress" lists ([udp|tcp|udp6|tcp6:]ADDR[:PORT], port 161
 *   when absent); none at all gives 161/udp on every address.
 * rsyslog: input(type="imudp"|"imtcp"|"imptcp" [port="N"]) (514 when no
 *   port), "$UDPServerRun", "$InputUDPServerRun", "$InputTCPServerRun";
 *   "$IncludeConfig" and include(file="...").  No default: Debian ships
 *   the network inputs commented out.
 * vsftpd: "listen_port" (default 21) and "listen_address", only when
 *   "listen" or "listen_ipv6" is YES (otherwise inetd owns the port).
 *
 * Fails with -ELOOP when includes nest deeper than V2C_CONFIG_MAX_DEPTH,
 * -E2BIG past V2C_CONFIG_MAX_FILES / _INCLUDES / _BYTES / _TOKEN / _ADDS /
 * _STRINGS or V2C_PORTS_MAX, -EINVAL for an unknown server, or with what
 * the reader returned. */
int v2c_ports_parse_config(enum v2c_server server, const char *path, const char *data, size_t len,
                           const struct v2c_include_reader *inc, struct v2c_svc_config **ret,
                           struct v2c_error **err);

/* The same, one function per server. */
int v2c_ports_parse_nginx(const char *path, const char *data, size_t len,
                          const struct v2c_include_reader *inc, struct v2c_svc_config **ret,
                          struct v2c_error **err);
int v2c_ports_parse_apache2(const char *path, const char *data, size_t len,
                            const struct v2c_include_reader *inc, struct v2c_svc_config **ret,
                            struct v2c_error **err);
int v2c_ports_parse_redis(const char *path, const char *data, size_t len,
                          const struct v2c_include_reader *inc, struct v2c_svc_config **ret,
                          struct v2c_error **err);
int v2c_ports_parse_postgresql(const char *path, const char *data, size_t len,
                               const struct v2c_include_reader *inc, struct v2c_svc_config **ret,
                               struct v2c_error **err);
int v2c_ports_parse_mysql(const char *path, const char *data, size_t len,
                          const struct v2c_include_reader *inc, struct v2c_svc_config **ret,
                          struct v2c_error **err);
int v2c_ports_parse_sshd(const char *path, const char *data, size_t len,
                         const struct v2c_include_reader *inc, struct v2c_svc_config **ret,
                         struct v2c_error **err);
int v2c_ports_parse_memcached(const char *path, const char *data, size_t len,
                              const struct v2c_include_reader *inc, struct v2c_svc_config **ret,
                              struct v2c_error **err);
int v2c_ports_parse_squid(const char *path, const char *data, size_t len,
                          const struct v2c_include_reader *inc, struct v2c_svc_config **ret,
                          struct v2c_error **err);
int v2c_ports_parse_named(const char *path, const char *data, size_t len,
                          const struct v2c_include_reader *inc, struct v2c_svc_config **ret,
                          struct v2c_error **err);
int v2c_ports_parse_dovecot(const char *path, const char *data, size_t len,
                            const struct v2c_include_reader *inc, struct v2c_svc_config **ret,
                            struct v2c_error **err);
int v2c_ports_parse_tomcat(const char *path, const char *data, size_t len,
                           const struct v2c_include_reader *inc, struct v2c_svc_config **ret,
                           struct v2c_error **err);
int v2c_ports_parse_postfix(const char *path, const char *data, size_t len,
                            const struct v2c_include_reader *inc, struct v2c_svc_config **ret,
                            struct v2c_error **err);

/* The value of KEY in a postfix main.cf (the last assignment, its
 * continuation lines joined with a space), as written: "$name"
 * references are not expanded.  *ret is new, NULL when KEY is not set.
 * -E2BIG for a value longer than V2C_CONFIG_MAX_TOKEN. */
int v2c_postfix_main_value(const char *data, size_t len, const char *key, char **ret,
                           struct v2c_error **err);

int v2c_ports_parse_haproxy(const char *path, const char *data, size_t len,
                            const struct v2c_include_reader *inc, struct v2c_svc_config **ret,
                            struct v2c_error **err);

#endif
