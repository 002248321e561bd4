/* Unit tests for the listening-port detectors (inspect/ports.c): argv,
 * socket-unit values and the config parsers, on hand-written configs shaped
 * like the ones Debian ships, plus malformed input, include loops and the
 * limits.  Every buffer handed to the code under test is an exact-size
 * heap copy without a NUL, so AddressSanitizer catches any read past it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "unit-main.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cleanup.h"
#include "error.h"
#include "ports-internal.h"
#include "strv.h"

/* ------------------------------------------------------------------------
 * Helpers
 */

/* An exact-size copy of s without its NUL (new). */
static char *exact(const char *s, size_t *len)
{
        *len = strlen(s);
        char *p = malloc(*len ? *len : 1);
        assert_non_null(p);
        memcpy(p, s, *len);
        return p;
}

/* One line per port, "PORT/PROTO ADDRESS SOURCE" (address "*" for any),
 * then "unix PATH" per unix socket: what a test compares against. */
static char *ports_str(const struct v2c_ports *p)
{
        struct v2c_buf b;
        v2c_buf_init(&b, 1 << 20);
        for (size_t i = 0; i < p->n; i++)
                assert_int_equal(v2c_buf_appendf(&b, "%u/%s %s %s\n", p->items[i].port,
                                                 p->items[i].proto,
                                                 p->items[i].address ? p->items[i].address : "*",
                                                 p->items[i].source),
                                 0);
        for (size_t i = 0; p->unix_paths && p->unix_paths[i]; i++)
                assert_int_equal(v2c_buf_appendf(&b, "unix %s\n", p->unix_paths[i]), 0);
        return v2c_buf_steal(&b);
}

static void assert_ports(const struct v2c_ports *p, const char *want)
{
        _cleanup_free_ char *got = ports_str(p);
        assert_string_equal(got, want);
}

static char *strv_str(char **v)
{
        struct v2c_buf b;
        v2c_buf_init(&b, 1 << 20);
        for (size_t i = 0; v && v[i]; i++)
                assert_int_equal(v2c_buf_appendf(&b, "%s\n", v[i]), 0);
        return v2c_buf_steal(&b);
}

static void assert_strv(char **v, const char *want)
{
        _cleanup_free_ char *got = strv_str(v);
        assert_string_equal(got, want);
}

static char *argv_ports(const char *const *argv)
{
        _cleanup_ports_ struct v2c_ports p = { 0 };
        struct v2c_error *err = NULL;
        assert_int_equal(v2c_ports_from_argv((char *const *) argv, &p, &err), 0);
        assert_null(err);
        return ports_str(&p);
}

#define ASSERT_ARGV(want, ...)                                                  \
        do {                                                                    \
                const char *const a_[] = { __VA_ARGS__, NULL };                 \
                _cleanup_free_ char *got_ = argv_ports(a_);                     \
                assert_string_equal(got_, want);                                \
        } while (0)

/* A guest filesystem for include callbacks: glob patterns are matched with
 * fnmatch(FNM_PATHNAME), matches handed over in strcmp order. */
struct fake_file {
        const char *path;
        const char *data;
};

struct fake_fs {
        const struct fake_file *files;
        size_t n;
        unsigned calls;
        char **patterns;   /* every pattern asked for, in order */
};

static int cmp_file(const void *a, const void *b)
{
        return strcmp((*(const struct fake_file *const *) a)->path,
                      (*(const struct fake_file *const *) b)->path);
}

static int fake_read_include(void *ctx, const char *pattern, v2c_include_file_cb cb, void *state,
                             struct v2c_error **err)
{
        struct fake_fs *fs = ctx;
        fs->calls++;
        assert_int_equal(v2c_strv_push(&fs->patterns, pattern), 0);
        const struct fake_file *m[64];
        size_t nm = 0;
        for (size_t i = 0; i < fs->n && nm < 64; i++)
                if (fnmatch(pattern, fs->files[i].path, FNM_PATHNAME) == 0)
                        m[nm++] = &fs->files[i];
        qsort(m, nm, sizeof(m[0]), cmp_file);
        for (size_t i = 0; i < nm; i++) {
                size_t len;
                _cleanup_free_ char *data = exact(m[i]->data, &len);
                int r = cb(state, m[i]->path, data, len, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

static void fake_fs_release(struct fake_fs *fs)
{
        fs->patterns = v2c_strv_free(fs->patterns);
}

/* Parses the file of fs named path (or text when fs is NULL). */
static int parse(enum v2c_server server, const char *path, const char *text, struct fake_fs *fs,
                 struct v2c_svc_config **conf, struct v2c_error **err)
{
        if (fs && text == NULL)
                for (size_t i = 0; i < fs->n; i++)
                        if (strcmp(fs->files[i].path, path) == 0)
                                text = fs->files[i].data;
        assert_non_null(text);
        struct v2c_include_reader inc = { fake_read_include, fs };
        size_t len;
        _cleanup_free_ char *data = exact(text, &len);
        return v2c_ports_parse_config(server, path, data, len, fs ? &inc : NULL, conf, err);
}

static struct v2c_svc_config *parse_ok(enum v2c_server server, const char *path, const char *text,
                                       struct fake_fs *fs)
{
        struct v2c_svc_config *conf = NULL;
        struct v2c_error *err = NULL;
        int r = parse(server, path, text, fs, &conf, &err);
        if (r < 0)
                fail_msg("parse failed: %s", err ? err->msg : "(no message)");
        assert_null(err);
        assert_non_null(conf);
        return conf;
}

/* ------------------------------------------------------------------------
 * The port set
 */

static void test_set_add_validates(void **state)
{
        (void) state;
        _cleanup_ports_ struct v2c_ports p = { 0 };
        struct v2c_error *err = NULL;

        assert_int_equal(v2c_ports_add(&p, 0, "tcp", NULL, "argv", &err), -EINVAL);
        assert_non_null(err);
        err = v2c_error_free(err);
        assert_int_equal(v2c_ports_add(&p, 65536, "tcp", NULL, "argv", &err), -EINVAL);
        err = v2c_error_free(err);
        assert_int_equal(v2c_ports_add(&p, 80, "sctp", NULL, "argv", &err), -EINVAL);
        err = v2c_error_free(err);
        assert_int_equal(v2c_ports_add(&p, 80, "tcp", "a b", "argv", &err), -EINVAL);
        err = v2c_error_free(err);
        assert_int_equal(v2c_ports_add(&p, 80, "tcp", "x;rm -rf", "argv", &err), -EINVAL);
        err = v2c_error_free(err);
        assert_int_equal(v2c_ports_add(&p, 80, "tcp", NULL, NULL, &err), -EINVAL);
        err = v2c_error_free(err);
        assert_int_equal(p.n, 0);

        /* err may be NULL: the code still comes back. */
        assert_int_equal(v2c_ports_add(&p, 0, "tcp", NULL, "argv", NULL), -EINVAL);
        assert_int_equal(v2c_ports_add_unix(&p, "", NULL), -EINVAL);
}

static void test_set_sort_uniq(void **state)
{
        (void) state;
        _cleanup_ports_ struct v2c_ports p = { 0 };
        assert_int_equal(v2c_ports_add(&p, 443, "tcp", NULL, "socket:b", NULL), 0);
        assert_int_equal(v2c_ports_add(&p, 80, "udp", NULL, "argv", NULL), 0);
        assert_int_equal(v2c_ports_add(&p, 80, "tcp", "[::]", "socket:z", NULL), 0);
        assert_int_equal(v2c_ports_add(&p, 80, "tcp", "0.0.0.0", "config:/x", NULL), 0);
        assert_int_equal(v2c_ports_add(&p, 80, "tcp", "*", "argv", NULL), 0);
        assert_int_equal(v2c_ports_add(&p, 80, "tcp", "127.0.0.1", "argv", NULL), 0);
        assert_int_equal(v2c_ports_add(&p, 80, "tcp", "[::1]", "argv", NULL), 0);
        assert_int_equal(v2c_ports_add(&p, 22, "tcp", NULL, "default:sshd", NULL), 0);
        assert_int_equal(v2c_ports_add_unix(&p, "/run/b.sock", NULL), 0);
        assert_int_equal(v2c_ports_add_unix(&p, "/run/a.sock", NULL), 0);
        assert_int_equal(v2c_ports_add_unix(&p, "/run/b.sock", NULL), 0);
        v2c_ports_sort_uniq(&p);
        /* Wildcards fold together and keep the first source by strcmp. */
        assert_ports(&p, "22/tcp * default:sshd\n"
                         "80/tcp * argv\n"
                         "80/tcp 127.0.0.1 argv\n"
                         "80/tcp ::1 argv\n"
                         "80/udp * argv\n"
                         "443/tcp * socket:b\n"
                         "unix /run/a.sock\n"
                         "unix /run/b.sock\n");
}

static void test_set_move(void **state)
{
        (void) state;
        _cleanup_ports_ struct v2c_ports a = { 0 }, b = { 0 };
        assert_int_equal(v2c_ports_add(&a, 8080, "tcp", NULL, "argv", NULL), 0);
        assert_int_equal(v2c_ports_add(&b, 80, "tcp", NULL, "config:/x", NULL), 0);
        assert_int_equal(v2c_ports_add(&b, 8080, "tcp", NULL, "socket:a", NULL), 0);
        assert_int_equal(v2c_ports_add_unix(&b, "/run/x", NULL), 0);
        assert_int_equal(v2c_ports_move(&a, &b, NULL), 0);
        assert_int_equal(b.n, 0);
        assert_null(b.unix_paths);
        assert_ports(&a, "80/tcp * config:/x\n8080/tcp * argv\nunix /run/x\n");

        /* Release accepts NULL and zeroed sets, twice. */
        v2c_ports_release(NULL);
        v2c_ports_release(&b);
        v2c_ports_release(&b);
}

static void test_set_limit(void **state)
{
        (void) state;
        _cleanup_ports_ struct v2c_ports p = { 0 };
        struct v2c_error *err = NULL;
        for (unsigned i = 1; i <= V2C_PORTS_MAX; i++)
                assert_int_equal(v2c_ports_add(&p, i, "tcp", NULL, "argv", NULL), 0);
        /* A repeat compacts instead of failing... */
        assert_int_equal(v2c_ports_add(&p, 1, "tcp", NULL, "argv", NULL), 0);
        assert_int_equal(v2c_ports_add(&p, 2, "tcp", NULL, "argv", NULL), 0);
        /* ...a new one past the limit fails. */
        assert_int_equal(v2c_ports_add(&p, 9999, "tcp", NULL, "argv", &err), -E2BIG);
        assert_non_null(err);
        v2c_error_free(err);
}

static void test_set_unix_limit(void **state)
{
        (void) state;
        _cleanup_ports_ struct v2c_ports p = { 0 };
        struct v2c_error *err = NULL;
        char path[32];
        for (int i = 0; i < V2C_PORTS_MAX; i++) {
                snprintf(path, sizeof(path), "/run/%05d.sock", i);
                assert_int_equal(v2c_ports_add_unix(&p, path, NULL), 0);
        }
        for (int i = 0; i < 100000; i++)   /* repeats: one sort, then lookups */
                assert_int_equal(v2c_ports_add_unix(&p, "/run/00007.sock", NULL), 0);
        assert_int_equal(v2c_ports_add_unix(&p, "/run/new.sock", &err), -E2BIG);
        v2c_error_free(err);
        assert_int_equal(p.n_unix, V2C_PORTS_MAX);
        assert_string_equal(p.unix_paths[0], "/run/00000.sock");
}

/* ------------------------------------------------------------------------
 * argv
 */

static void test_argv_port_options(void **state)
{
        (void) state;
        ASSERT_ARGV("8080/tcp * argv\n", "srv", "--port", "8080");
        ASSERT_ARGV("8081/tcp * argv\n", "srv", "--port=8081");
        ASSERT_ARGV("8082/tcp * argv\n", "srv", "-p", "8082");
        ASSERT_ARGV("8083/tcp * argv\n", "srv", "-p8083");
        ASSERT_ARGV("8084/tcp * argv\n", "srv", "--http-port", "8084");
        ASSERT_ARGV("8000/tcp * argv\n", "uvicorn", "main:app", "--port", "8000");
}

static void test_argv_endpoint_options(void **state)
{
        (void) state;
        ASSERT_ARGV("9000/tcp 127.0.0.1 argv\n", "srv", "--listen", "127.0.0.1:9000");
        ASSERT_ARGV("9001/tcp * argv\n", "srv", "--listen=9001");
        ASSERT_ARGV("9002/tcp 10.1.2.3 argv\n", "srv", "--bind", "10.1.2.3:9002");
        ASSERT_ARGV("5000/tcp * argv\n", "gunicorn", "--bind=0.0.0.0:5000", "app:app");
        ASSERT_ARGV("8000/tcp * argv\n", "gunicorn", "--workers", "4", "-b", "0.0.0.0:8000", "wsgi:app");
        ASSERT_ARGV("8080/tcp * argv\n", "srv", "--addr", ":8080");
        ASSERT_ARGV("7000/tcp * argv\n", "srv", "-l", ":7000");
        ASSERT_ARGV("9100/tcp * argv\n", "node_exporter", "--web.listen-address=:9100");
        ASSERT_ARGV("8443/tcp * argv\n9443/tcp ::1 argv\n", "srv", "--listen",
                    "https://0.0.0.0:8443/metrics,[::1]:9443");
        ASSERT_ARGV("53/udp * argv\n", "srv", "--listen", "udp://:53");
        ASSERT_ARGV("unix /run/gunicorn.sock\n", "gunicorn", "-b", "unix:/run/gunicorn.sock", "app");
}

static void test_argv_host_and_port(void **state)
{
        (void) state;
        ASSERT_ARGV("8000/tcp * argv\n", "uvicorn", "main:app", "--host", "0.0.0.0", "--port", "8000");
        ASSERT_ARGV("8000/tcp 127.0.0.1 argv\n", "uvicorn", "--port", "8000", "--host", "127.0.0.1");
        ASSERT_ARGV("11211/tcp 127.0.0.1 argv\n11211/tcp ::1 argv\n", "memcached", "-m", "64", "-p",
                    "11211", "-u", "memcache", "-l", "127.0.0.1,::1");
        /* A host without any port option adds nothing. */
        ASSERT_ARGV("", "srv", "--host", "0.0.0.0");
}

static void test_argv_positional(void **state)
{
        (void) state;
        ASSERT_ARGV("8080/tcp * argv\n", "srv", ":8080");
        ASSERT_ARGV("8080/tcp * argv\n", "srv", "0.0.0.0:8080");
        ASSERT_ARGV("9000/tcp 127.0.0.1 argv\n", "php-fpm", "127.0.0.1:9000");
        ASSERT_ARGV("80/tcp * argv\n", "srv", "[::]:80");
        ASSERT_ARGV("8000/tcp localhost argv\n", "php", "-S", "localhost:8000");
        /* Sorted, and the same socket said three ways counts once. */
        ASSERT_ARGV("22/tcp * argv\n80/tcp * argv\n", "srv", "--port", "80", ":80", "0.0.0.0:80",
                    "[::]:80", ":22");
}

static void test_argv_not_ports(void **state)
{
        (void) state;
        ASSERT_ARGV("", "srv", "-p", "/run/x.pid");
        ASSERT_ARGV("", "srv", "-p", "abc");
        ASSERT_ARGV("", "mysql", "-pSecret123");
        ASSERT_ARGV("", "srv", "--workers", "4");
        ASSERT_ARGV("", "python3", "-m", "http.server", "8000");
        ASSERT_ARGV("", "srv", "--port", "0");
        ASSERT_ARGV("", "srv", "--port", "70000");
        ASSERT_ARGV("", "srv", "--port", "-1");
        ASSERT_ARGV("", "srv", "--port", "+80");
        ASSERT_ARGV("", "srv", "--port", "8080:80");
        ASSERT_ARGV("", "srv", "--port");
        ASSERT_ARGV("", "srv", "-p");
        ASSERT_ARGV("", "wait-for-it", "db:5432");
        ASSERT_ARGV("", "proxy", "--upstream", "127.0.0.1:9000");
        ASSERT_ARGV("", "srv", "-l", "/var/log/srv.log");
        ASSERT_ARGV("", "srv", "-l", "5");
        ASSERT_ARGV("", "srv", "--timeout=30", "12:30", "::1", "http://0.0.0.0:80");
        /* "-p /path" does not eat the word after it: the path is no
         * endpoint, and ":81" after it still counts. */
        ASSERT_ARGV("81/tcp * argv\n", "srv", "-p", "/run/x.pid", ":81");
        /* argv[0] is the program, never a port. */
        ASSERT_ARGV("", ":8080");
}

static void test_argv_edge(void **state)
{
        (void) state;
        _cleanup_ports_ struct v2c_ports p = { 0 };
        assert_int_equal(v2c_ports_from_argv(NULL, &p, NULL), 0);
        char *empty[] = { NULL };
        assert_int_equal(v2c_ports_from_argv(empty, &p, NULL), 0);
        assert_int_equal(p.n, 0);

        /* Results merge into what out already holds. */
        assert_int_equal(v2c_ports_add(&p, 9999, "udp", NULL, "socket:x", NULL), 0);
        char *argv[] = { (char *) "srv", (char *) "--port", (char *) "80", NULL };
        assert_int_equal(v2c_ports_from_argv(argv, &p, NULL), 0);
        assert_ports(&p, "80/tcp * argv\n9999/udp * socket:x\n");

        /* Many hosts and ports stay bounded. */
        char *many[202];
        many[0] = (char *) "srv";
        for (int i = 1; i <= 200; i++)
                many[i] = (char *) (i % 2 ? "-p" : "8080");
        many[201] = NULL;
        assert_int_equal(v2c_ports_from_argv(many, &p, NULL), 0);
        assert_int_equal(p.n, 3);
}

/* ------------------------------------------------------------------------
 * systemd socket values
 */

static char *socket_ports(const char *key, const char *value)
{
        _cleanup_ports_ struct v2c_ports p = { 0 };
        struct v2c_error *err = NULL;
        assert_int_equal(v2c_ports_from_socket_value(key, value, "socket:echo.socket", &p, &err), 0);
        assert_null(err);
        return ports_str(&p);
}

#define ASSERT_SOCKET(key, value, want)                                         \
        do {                                                                    \
                _cleanup_free_ char *got_ = socket_ports(key, value);           \
                assert_string_equal(got_, want);                                \
        } while (0)

static void test_socket_values(void **state)
{
        (void) state;
        ASSERT_SOCKET("ListenStream", "8080", "8080/tcp * socket:echo.socket\n");
        ASSERT_SOCKET("ListenStream", "  8081 ", "8081/tcp * socket:echo.socket\n");
        ASSERT_SOCKET("ListenStream", "0.0.0.0:80", "80/tcp * socket:echo.socket\n");
        ASSERT_SOCKET("ListenStream", "[::]:443", "443/tcp * socket:echo.socket\n");
        ASSERT_SOCKET("ListenStream", "[::1]:444", "444/tcp ::1 socket:echo.socket\n");
        ASSERT_SOCKET("ListenStream", "127.0.0.1:9", "9/tcp 127.0.0.1 socket:echo.socket\n");
        ASSERT_SOCKET("ListenStream", "[fe80::1%eth0]:80", "80/tcp fe80::1%eth0 socket:echo.socket\n");
        ASSERT_SOCKET("ListenDatagram", "53", "53/udp * socket:echo.socket\n");
        ASSERT_SOCKET("ListenDatagram", "[::]:5353", "5353/udp * socket:echo.socket\n");
        ASSERT_SOCKET("ListenStream", "/run/foo.sock", "unix /run/foo.sock\n");
        ASSERT_SOCKET("ListenStream", "%t/foo.sock", "unix %t/foo.sock\n");
        ASSERT_SOCKET("ListenSequentialPacket", "/run/seq.sock", "unix /run/seq.sock\n");
        ASSERT_SOCKET("ListenDatagram", "/run/systemd/journal/socket", "unix /run/systemd/journal/socket\n");

        /* Not ports, or values systemd itself refuses. */
        ASSERT_SOCKET("ListenStream", "@abstract", "");
        ASSERT_SOCKET("ListenStream", "vsock:2:22", "");
        ASSERT_SOCKET("ListenStream", "localhost:80", "");
        ASSERT_SOCKET("ListenStream", "0", "");
        ASSERT_SOCKET("ListenStream", "65536", "");
        ASSERT_SOCKET("ListenStream", "", "");
        ASSERT_SOCKET("ListenStream", "[::1", "");
        ASSERT_SOCKET("ListenSequentialPacket", "8080", "");
        ASSERT_SOCKET("ListenFIFO", "/run/fifo", "");
        ASSERT_SOCKET("Accept", "yes", "");

        _cleanup_ports_ struct v2c_ports p = { 0 };
        struct v2c_error *err = NULL;
        assert_int_equal(v2c_ports_from_socket_value(NULL, "80", "socket:x", &p, &err), -EINVAL);
        assert_non_null(err);
        v2c_error_free(err);
}

/* ------------------------------------------------------------------------
 * nginx
 */

static const struct fake_file nginx_files[] = {
        { "/etc/nginx/nginx.conf",
          "user www-data;\n"
          "worker_processes auto;\n"
          "pid /run/nginx.pid;\n"
          "daemon off;   # run in the foreground\n"
          "error_log /var/log/nginx/error.log;\n"
          "include /etc/nginx/modules-enabled/*.conf;\n"
          "events {\n\tworker_connections 768;\n}\n"
          "http {\n"
          "\tsendfile on;\n"
          "\taccess_log /var/log/nginx/access.log;\n"
          "\tinclude /etc/nginx/conf.d/*.conf;\n"
          "\tinclude sites-enabled/*;\n"
          "}\n"
          "stream {\n"
          "\tserver { listen 53 udp; proxy_pass dns; }\n"
          "\tserver { listen 127.0.0.1:3306; proxy_pass db; }\n"
          "\tserver { proxy_pass nothing; }\n"
          "}\n" },
        { "/etc/nginx/modules-enabled/50-mod-stream.conf",
          "load_module modules/ngx_stream_module.so;\n" },
        { "/etc/nginx/conf.d/upstream.conf",
          "upstream app {\n  server 127.0.0.1:9000;\n  server unix:/run/app.sock;\n}\n" },
        { "/etc/nginx/sites-enabled/default",
          "server {\n"
          "\tlisten 80 default_server;\n"
          "\tlisten [::]:80 default_server;\n"
          "\t# listen 9999;\n"
          "\troot /var/www/html;\n"
          "\tlocation / {\n\t\ttry_files $uri $uri/ =404;\n\t}\n"
          "}\n"
          "server {\n"
          "\tlisten 127.0.0.1:8080;\n"
          "\tlisten \"8443\" ssl http2; # quoted\n"
          "\tlisten 443 quic reuseport;\n"
          "\tlisten unix:/run/nginx/app.sock;\n"
          "\tserver_name \"a;b\" 'c{d}';\n"
          "\tset $x \"\\\"}\";\n"
          "\taccess_log off;\n"
          "\terror_log syslog:server=unix:/dev/log;\n"
          "\taccess_log /var/log/nginx/app.log combined;\n"
          "\tlocation ~ \"^/(?<x>\\d{3})$\" { return 204; }\n"
          "}\n" },
        { "/etc/nginx/sites-enabled/noport",
          "server { server_name example.com; location / { return 200 \"}\"; } }\n" },
};

static void test_nginx_debian(void **state)
{
        (void) state;
        struct fake_fs fs = { nginx_files, V2C_ARRAY_SIZE(nginx_files), 0, NULL };
        _cleanup_(v2c_svc_config_freep) struct v2c_svc_config *c =
                parse_ok(V2C_SERVER_NGINX, "/etc/nginx/nginx.conf", NULL, &fs);
        assert_ports(&c->ports, "53/udp * config:/etc/nginx/nginx.conf\n"
                                "80/tcp * config:/etc/nginx/sites-enabled/default\n"
                                "443/udp * config:/etc/nginx/sites-enabled/default\n"
                                "3306/tcp 127.0.0.1 config:/etc/nginx/nginx.conf\n"
                                "8080/tcp 127.0.0.1 config:/etc/nginx/sites-enabled/default\n"
                                "8443/tcp * config:/etc/nginx/sites-enabled/default\n"
                                "unix /run/nginx/app.sock\n");
        assert_int_equal(c->daemon, 0);
        assert_strv(c->log_paths, "/var/log/nginx/access.log\n"
                                  "/var/log/nginx/app.log\n"
                                  "/var/log/nginx/error.log\n");
        assert_null(c->data_dirs);
        /* The relative include was made absolute against /etc/nginx. */
        assert_strv(fs.patterns, "/etc/nginx/modules-enabled/*.conf\n"
                                 "/etc/nginx/conf.d/*.conf\n"
                                 "/etc/nginx/sites-enabled/*\n");
        fake_fs_release(&fs);
}

static void test_nginx_defaults(void **state)
{
        (void) state;
        _cleanup_(v2c_svc_config_freep) struct v2c_svc_config *c =
                parse_ok(V2C_SERVER_NGINX, "/etc/nginx/nginx.conf",
                         "http { server { server_name a; } server { listen 8080; } }", NULL);
        assert_ports(&c->ports, "80/tcp * default:nginx\n8080/tcp * config:/etc/nginx/nginx.conf\n");
        assert_int_equal(c->daemon, -1);

        /* Host only: port 80; "localhost:81"; "*:82". */
        _cleanup_(v2c_svc_config_freep) struct v2c_svc_config *d =
                parse_ok(V2C_SERVER_NGINX, NULL,
                         "daemon on; http { server { listen 10.0.0.1; listen localhost:81; "
                         "listen *:82; listen $port; } }", NULL);
        assert_ports(&d->ports, "80/tcp 10.0.0.1 config:(config)\n"
                                "81/tcp localhost config:(config)\n"
                                "82/tcp * config:(config)\n");
        assert_int_equal(d->daemon, 1);

        /* No server block, no port; listen outside a server is ignored. */
        _cleanup_(v2c_svc_config_freep) struct v2c_svc_config *e =
                parse_ok(V2C_SERVER_NGINX, "/x", "events {} listen 80; http { listen 81; }", NULL);
        assert_ports(&e->ports, "");
}

static void test_nginx_malformed(void **state)
{
        (void) state;
        /* Unclosed blocks: the server still gets its default. */
        _cleanup_(v2c_svc_config_freep) struct v2c_svc_config *a =
                parse_ok(V2C_SERVER_NGINX, "/x", "http { server { server_name a;", NULL);
        assert_ports(&a->ports, "80/tcp * default:nginx\n");

        /* An unterminated quote swallows the rest; no crash, no port. */
        _cleanup_(v2c_svc_config_freep) struct v2c_svc_config *b =
                parse_ok(V2C_SERVER_NGINX, "/x", "http { server { listen \"8080; } }", NULL);
        assert_ports(&b->ports, "80/tcp * default:nginx\n");

        /* Stray closing braces and deep nesting. */
        static char deep[4 * 1000 + 64];
        size_t o = 0;
        o += (size_t) sprintf(deep + o, "}}} http { server { listen 81; ");
        for (int i = 0; i < 1000; i++)
                deep[o++] = '{';
        for (int i = 0; i < 1000; i++)
                deep[o++] = '}';
        o += (size_t) sprintf(deep + o, " } } }}}");
        _cleanup_(v2c_svc_config_freep) struct v2c_svc_config *c =
                parse_ok(V2C_SERVER_NGINX, "/x", deep, NULL);
        assert_ports(&c->ports, "81/tcp * config:/x\n");

        /* A word past the token limit is an error, not a truncation. */
        size_t big = V2C_CONFIG_MAX_TOKEN + 10;
        _cleanup_free_ char *huge = malloc(big + 1);
        memset(huge, 'a', big);
        huge[big] = '\0';
        struct v2c_svc_config *conf = NULL;
        struct v2c_error *err = NULL;
        assert_int_equal(parse(V2C_SERVER_NGINX, "/x", huge, NULL, &conf, &err), -E2BIG);
        assert_null(conf);
        assert_non_null(err);
        assert_non_null(strstr(err->msg, "nginx config `/x`"));
        v2c_error_free(err);
}

static void test_nginx_include_loop(void **state)
{
        (void) state;
        static const struct fake_file files[] = {
                { "/etc/nginx/nginx.conf", "http { include /etc/nginx/loop.conf; }" },
                { "/etc/nginx/loop.conf", "server { listen 80; } include /etc/nginx/loop.conf;" },
                { "/etc/nginx/a.conf", "include b.conf;" },
                { "/etc/nginx/b.conf", "include a.conf;" },
        };
        struct fake_fs fs = { files, V2C_ARRAY_SIZE(files), 0, NULL };
        struct v2c_svc_config *conf = NULL;
        struct v2c_error *err = NULL;
        assert_int_equal(parse(V2C_SERVER_NGINX, "/etc/nginx/nginx.conf", NULL, &fs, &conf, &err),
                         -ELOOP);
        assert_null(conf);
        assert_non_null(err);
        assert_non_null(strstr(err->msg, "nested deeper than"));
        assert_true(fs.calls <= V2C_CONFIG_MAX_DEPTH + 1);
        err = v2c_error_free(err);
        fake_fs_release(&fs);

        /* Two files including each other. */
        fs.calls = 0;
        assert_int_equal(parse(V2C_SERVER_NGINX, "/etc/nginx/a.conf", NULL, &fs, &conf, &err),
                         -ELOOP);
        assert_null(conf);
        v2c_error_free(err);
        fake_fs_release(&fs);
}

static void test_nginx_no_reader(void **state)
{
        (void) state;
        /* Without a reader includes are skipped, not errors. */
        _cleanup_(v2c_svc_config_freep) struct v2c_svc_config *c =
                parse_ok(V2C_SERVER_NGINX, "/etc/nginx/nginx.conf",
                         "http { include sites-enabled/*; server { listen 81; } }", NULL);
        assert_ports(&c->ports, "81/tcp * config:/etc/nginx/nginx.conf\n");
}

/* A reader that fails: its error comes back unchanged. */
static int failing_reader(void *ctx, const char *pattern, v2c_include_file_cb cb, void *st,
                          struct v2c_error **err)
{
        (void) ctx;
        (void) cb;
        (void) st;
        return v2c_error_set(err, EACCES, "cannot read `%s`", pattern);
}

static void test_include_reader_error(void **state)
{
        (void) state;
        struct v2c_include_reader inc = { failing_reader, NULL };
        struct v2c_svc_config *conf = NULL;
        struct v2c_error *err = NULL;
        const char text[] = "include conf.d/*.conf;";
        assert_int_equal(v2c_ports_parse_nginx("/etc/nginx/nginx.conf", text, sizeof(text) - 1, &inc,
                                               &conf, &err),
                         -EACCES);
        assert_null(conf);
        assert_string_equal(err->msg, "nginx config `/etc/nginx/nginx.conf`: cannot read "
                                      "`/etc/nginx/conf.d/*.conf`");
        v2c_error_free(err);
}

static void test_include_limits(void **state)
{
        (void) state;
        /* 300 includes of one small file each: past V2C_CONFIG_MAX_FILES. */
        struct v2c_buf b;
        v2c_buf_init(&b, 1 << 20);
        for (int i = 0; i < 300; i++)
                assert_int_equal(v2c_buf_appends(&b, "include /etc/nginx/one.conf;\n"), 0);
        _cleanup_free_ char *main_conf = v2c_buf_steal(&b);
        const struct fake_file files[] = {
                { "/etc/nginx/nginx.conf", main_conf },
                { "/etc/nginx/one.conf", "# nothing\n" },
        };
        struct fake_fs fs = { files, V2C_ARRAY_SIZE(files), 0, NULL };
        struct v2c_svc_config *conf = NULL;
        struct v2c_error *err = NULL;
        assert_int_equal(parse(V2C_SERVER_NGINX, "/etc/nginx/nginx.conf", NULL, &fs, &conf, &err),
                         -E2BIG);
        assert_null(conf);
        assert_non_null(strstr(err->msg, "config files"));
        v2c_error_free(err);
        fake_fs_release(&fs);

        /* 2000 include directives matching nothing: past _INCLUDES. */
        v2c_buf_init(&b, 1 << 20);
        for (int i = 0; i < 2000; i++)
                assert_int_equal(v2c_buf_appends(&b, "include /nothing/*.conf;\n"), 0);
        _cleanup_free_ char *many = v2c_buf_steal(&b);
        fs = (struct fake_fs) { files, V2C_ARRAY_SIZE(files), 0, NULL };
        err = NULL;
        assert_int_equal(parse(V2C_SERVER_NGINX, "/etc/nginx/nginx.conf", many, &fs, &conf, &err),
                         -E2BIG);
        assert_int_equal(fs.calls, V2C_CONFIG_MAX_INCLUDES);
        v2c_error_free(err);
        fake_fs_release(&fs);
}

/* ------------------------------------------------------------------------
 * apache2
 */

static const struct fake_file apache_files[] = {
        { "/etc/apache2/apache2.conf",
          "# This is the main Apache server configuration file.\n"
          "DefaultRuntimeDir ${APACHE_RUN_DIR}\n"
          "ErrorLog ${APACHE_LOG_DIR}/error.log\n"
          "IncludeOptional mods-enabled/*.load\n"
          "Include ports.conf\n"
          "<Directory />\n\tOptions FollowSymLinks\n</Directory>\n"
          "IncludeOptional sites-enabled/*.conf\n" },
        { "/etc/apache2/ports.conf",
          "# If you just change the port or add more ports here\n"
          "Listen 80\n"
          "\n"
          "<IfModule ssl_module>\n"
          "\tListen 443\n"
          "</IfModule>\n"
          "<IfModule mod_gnutls.c>\r\n"
          "\tListen 443\r\n"
          "</IfModule>\r\n"
          "Listen 0.0.0.0:8443 https\n"
          "listen [::1]:8081\n"
          "Listen \\\n   8082\n"
          "Listen ${PORT}\n" },
        { "/etc/apache2/sites-enabled/000-default.conf",
          "<VirtualHost *:80>\n"
          "\tServerAdmin webmaster@localhost\n"
          "\tCustomLog ${APACHE_LOG_DIR}/access.log combined\n"
          "\tCustomLog \"|/usr/bin/rotatelogs /x 86400\" common\n"
          "</VirtualHost>\n" },
};

static void test_apache(void **state)
{
        (void) state;
        struct fake_fs fs = { apache_files, V2C_ARRAY_SIZE(apache_files), 0, NULL };
        _cleanup_(v2c_svc_config_freep) struct v2c_svc_config *c =
                parse_ok(V2C_SERVER_APACHE2, "/etc/apache2/apache2.conf", NULL, &fs);
        assert_ports(&c->ports, "80/tcp * config:/etc/apache2/ports.conf\n"
                                "443/tcp * config:/etc/apache2/ports.conf\n"
                                "8081/tcp ::1 config:/etc/apache2/ports.conf\n"
                                "8082/tcp * config:/etc/apache2/ports.conf\n"
                                "8443/tcp * config:/etc/apache2/ports.conf\n");
        assert_strv(c->log_paths, "${APACHE_LOG_DIR}/access.log\n${APACHE_LOG_DIR}/error.log\n");
        assert_strv(fs.patterns, "/etc/apache2/mods-enabled/*.load\n"
                                 "/etc/apache2/ports.conf\n"
                                 "/etc/apache2/sites-enabled/*.conf\n");
        fake_fs_release(&fs);

        /* ServerRoot decides where relative includes go. */
        struct fake_fs fs2 = { apache_files, V2C_ARRAY_SIZE(apache_files), 0, NULL };
        _cleanup_(v2c_svc_config_freep) struct v2c_svc_config *d =
                parse_ok(V2C_SERVER_APACHE2, "/etc/httpd/conf/httpd.conf",
                         "ServerRoot \"/etc/httpd\"\nInclude conf.modules.d/*.conf\n", &fs2);
        assert_strv(fs2.patterns, "/etc/httpd/conf.modules.d/*.conf\n");
        assert_ports(&d->ports, "80/tcp * default:apache2\n");
        fake_fs_release(&fs2);

        /* An unreadable Listen still means "not the default". */
        _cleanup_(v2c_svc_config_freep) struct v2c_svc_config *e =
                parse_ok(V2C_SERVER_APACHE2, "/x", "Listen ${PORT}\n", NULL);
        assert_ports(&e->ports, "");
}

/* ------------------------------------------------------------------------
 * redis
 */

static void test_redis(void **state)
{
        (void) state;
        static const struct fake_file files[] = {
                { "/etc/redis/redis.conf",
                  "# Redis configuration file example.\n"
                  "bind 127.0.0.1 -::1\n"
                  "port 6380\n"
                  "tls-port 6390\n"
                  "daemonize yes\n"
                  "dir /var/lib/redis\n"
                  "logfile \"/var/log/redis/redis-server.log\"\n"
                  "unixsocket /run/redis/redis-server.sock\n"
                  "include extra.conf\n" },
                { "/etc/redis/extra.conf", "port 6381\n" },
        };
        struct fake_fs fs = { files, V2C_ARRAY_SIZE(files), 0, NULL };
        _cleanup_(v2c_svc_config_freep) struct v2c_svc_config *c =
                parse_ok(V2C_SERVER_REDIS, "/etc/redis/redis.conf", NULL, &fs);
        assert_ports(&c->ports, "6381/tcp 127.0.0.1 config:/etc/redis/extra.conf\n"
                                "6381/tcp ::1 config:/etc/redis/extra.conf\n"
                                "6390/tcp 127.0.0.1 config:/etc/redis/redis.conf\n"
                                "6390/tcp ::1 config:/etc/redis/redis.conf\n"
                                "unix /run/redis/redis-server.sock\n");
        assert_int_equal(c->daemon, 1);
        assert_strv(c->data_dirs, "/var/lib/redis\n");
        assert_strv(c->log_paths, "/var/log/redis/redis-server.log\n");
        assert_strv(fs.patterns, "/etc/redis/extra.conf\n");
        fake_fs_release(&fs);

        _cleanup_(v2c_svc_config_freep) struct v2c_svc_config *d =
                parse_ok(V2C_SERVER_REDIS, "/etc/redis/redis.conf",
                         "daemonize no\nlogfile \"\"\n", NULL);
        assert_ports(&d->ports, "6379/tcp * default:redis\n");
        assert_int_equal(d->daemon, 0);
        assert_null(d->log_paths);

        _cleanup_(v2c_svc_config_freep) struct v2c_svc_config *e =
                parse_ok(V2C_SERVER_REDIS, "/r", "port 0\nunixsocket /tmp/redis.sock\n", NULL);
        assert_ports(&e->ports, "unix /tmp/redis.sock\n");

        _cleanup_(v2c_svc_config_freep) struct v2c_svc_config *f =
                parse_ok(V2C_SERVER_REDIS, "/r", "bind * -::*\nport 7000\nport nonsense\n", NULL);
        assert_ports(&f->ports, "");
        _cleanup_(v2c_svc_config_freep) struct v2c_svc_config *g =
                parse_ok(V2C_SERVER_REDIS, "/r", "bind * -::*\nport 7000\n", NULL);
        assert_ports(&g->ports, "7000/tcp * config:/r\n");
}

/* ------------------------------------------------------------------------
 * postgresql
 */

static void test_postgresql(void **state)
{
        (void) state;
        static const struct fake_file files[] = {
                { "/etc/postgresql/15/main/postgresql.conf",
                  "# -----------------------------\n"
                  "# PostgreSQL configuration file\n"
                  "data_directory = '/var/lib/postgresql/15/main'\t\t# use data in another directory\n"
                  "listen_addresses = 'localhost, 10.0.0.5'\t# what IP address(es) to listen on;\n"
                  "port = 5433\t\t\t\t# (change requires restart)\n"
                  "#port = 9999\n"
                  "unix_socket_directories = '/var/run/postgresql'\t# comma-separated list\n"
                  "include_dir 'conf.d/'\n" },
                { "/etc/postgresql/15/main/conf.d/10-port.conf", "PORT=5434\n" },
        };
        struct fake_fs fs = { files, V2C_ARRAY_SIZE(files), 0, NULL };
        _cleanup_(v2c_svc_config_freep) struct v2c_svc_config *c =
                parse_ok(V2C_SERVER_POSTGRESQL, "/etc/postgresql/15/main/postgresql.conf", NULL, &fs);
        assert_ports(&c->ports,
                     "5434/tcp 10.0.0.5 config:/etc/postgresql/15/main/conf.d/10-port.conf\n"
                     "5434/tcp localhost config:/etc/postgresql/15/main/conf.d/10-port.conf\n"
                     "unix /var/run/postgresql/.s.PGSQL.5434\n");
        assert_strv(c->data_dirs, "/var/lib/postgresql/15/main\n");
        assert_int_equal(c->daemon, -1);
        assert_strv(fs.patterns, "/etc/postgresql/15/main/conf.d/*.conf\n");
        fake_fs_release(&fs);

        _cleanup_(v2c_svc_config_freep) struct v2c_svc_config *d =
                parse_ok(V2C_SERVER_POSTGRESQL, "/p", "# nothing set\n", NULL);
        assert_ports(&d->ports, "5432/tcp localhost default:postgresql\n");
        assert_null(d->data_dirs);

        _cleanup_(v2c_svc_config_freep) struct v2c_svc_config *e =
                parse_ok(V2C_SERVER_POSTGRESQL, "/p",
                         "listen_addresses '*'\ndata_directory = 'it''s \\'here\\''\n", NULL);
        assert_ports(&e->ports, "5432/tcp * default:postgresql\n");
        assert_strv(e->data_dirs, "it's 'here'\n");

        _cleanup_(v2c_svc_config_freep) struct v2c_svc_config *f =
                parse_ok(V2C_SERVER_POSTGRESQL, "/p", "listen_addresses = ''\nport = 'x'\n", NULL);
        assert_ports(&f->ports, "");
}

/* ------------------------------------------------------------------------
 * mysql / mariadb
 */

static void test_mysql(void **state)
{
        (void) state;
        static const struct fake_file files[] = {
                { "/etc/mysql/my.cnf",
                  "# The MariaDB configuration file\n"
                  "[client-server]\n"
                  "port = 3307\n"
                  "socket = /run/mysqld/client.sock\n"
                  "!includedir /etc/mysql/conf.d/\n"
                  "!includedir /etc/mysql/mariadb.conf.d/\n" },
                { "/etc/mysql/conf.d/mysqldump.cnf", "[mysqldump]\nquick\nmax_allowed_packet = 16M\n" },
                { "/etc/mysql/mariadb.conf.d/50-server.cnf",
                  "[server]\n"
                  "[mysqld]\n"
                  "user                    = mysql\n"
                  "port                    = 3308   # comment\n"
                  "datadir                 = \"/var/lib/mysql\"\n"
                  "bind-address            = 127.0.0.1\n"
                  "socket = /run/mysqld/mysqld.sock\n"
                  "log_error = /var/log/mysql/error.log\n"
                  "skip-name-resolve\n"
                  "[embedded]\n"
                  "port = 9999\n"
                  "[mariadb-10.6]\n" },
                { "/etc/mysql/mariadb.conf.d/60-galera.cnf", "[galera]\n#wsrep_on = ON\nport=1\n" },
        };
        struct fake_fs fs = { files, V2C_ARRAY_SIZE(files), 0, NULL };
        _cleanup_(v2c_svc_config_freep) struct v2c_svc_config *c =
                parse_ok(V2C_SERVER_MYSQL, "/etc/mysql/my.cnf", NULL, &fs);
        assert_ports(&c->ports, "3308/tcp 127.0.0.1 config:/etc/mysql/mariadb.conf.d/50-server.cnf\n"
                                "unix /run/mysqld/mysqld.sock\n");
        assert_strv(c->data_dirs, "/var/lib/mysql\n");
        assert_strv(c->log_paths, "/var/log/mysql/error.log\n");
        assert_strv(fs.patterns, "/etc/mysql/conf.d/*.cnf\n/etc/mysql/mariadb.conf.d/*.cnf\n");
        fake_fs_release(&fs);

        _cleanup_(v2c_svc_config_freep) struct v2c_svc_config *d =
                parse_ok(V2C_SERVER_MYSQL, "/m", "[mysqld]\nuser=mysql\nport=0\n[client]\nport=1\n",
                         NULL);
        assert_ports(&d->ports, "3306/tcp * default:mysql\n");

        _cleanup_(v2c_svc_config_freep) struct v2c_svc_config *e =
                parse_ok(V2C_SERVER_MYSQL, "/m",
                         "[mysqld]\nloose_skip_networking\ndatadir=/srv/db\nsocket=/s\n", NULL);
        assert_ports(&e->ports, "unix /s\n");
        assert_strv(e->data_dirs, "/srv/db\n");

        _cleanup_(v2c_svc_config_freep) struct v2c_svc_config *f =
                parse_ok(V2C_SERVER_MYSQL, "/m",
                         "[ MySQLd ]\nskip-networking = 0\nbind_address=127.0.0.1,::1\n"
                         "[mysqld-8.0]\nPort = 3310\n", NULL);
        assert_ports(&f->ports, "3310/tcp 127.0.0.1 config:/m\n3310/tcp ::1 config:/m\n");
}

/* An included file starts outside any group: its options before a
 * group header are not the server's. */
static void test_mysql_include_groups(void **state)
{
        (void) state;
        static const struct fake_file files[] = {
                { "/etc/my.cnf", "[mysqld]\n!include /etc/other.cnf\nport = 3311\n" },
                { "/etc/other.cnf", "port = 4000\n[client]\nport = 4001\n" },
        };
        struct fake_fs fs = { files, V2C_ARRAY_SIZE(files), 0, NULL };
        _cleanup_(v2c_svc_config_freep) struct v2c_svc_config *c =
                parse_ok(V2C_SERVER_MYSQL, "/etc/my.cnf", NULL, &fs);
        assert_ports(&c->ports, "3311/tcp * config:/etc/my.cnf\n");
        fake_fs_release(&fs);
}

/* ------------------------------------------------------------------------
 * sshd
 */

static void test_sshd(void **state)
{
        (void) state;
        static const struct fake_file files[] = {
                { "/etc/ssh/sshd_config",
                  "# This is the sshd server system-wide configuration file.\n"
                  "Include /etc/ssh/sshd_config.d/*.conf\n"
                  "Port 22\n"
                  "port=2222\n"
                  "#Port 9\n"
                  "ListenAddress 0.0.0.0\n"
                  "ListenAddress [::1]:2200\n"
                  "ListenAddress 10.0.0.1 rdomain blue\n"
                  "PasswordAuthentication no\n"
                  "Match User bob\n"
                  "    Port 1234\n"
                  "    ListenAddress 1.2.3.4:5\n" },
                { "/etc/ssh/sshd_config.d/local.conf", "Port = 2223\n" },
        };
        struct fake_fs fs = { files, V2C_ARRAY_SIZE(files), 0, NULL };
        _cleanup_(v2c_svc_config_freep) struct v2c_svc_config *c =
                parse_ok(V2C_SERVER_SSHD, "/etc/ssh/sshd_config", NULL, &fs);
        assert_ports(&c->ports, "22/tcp * config:/etc/ssh/sshd_config\n"
                                "22/tcp 10.0.0.1 config:/etc/ssh/sshd_config\n"
                                "2200/tcp ::1 config:/etc/ssh/sshd_config\n"
                                "2222/tcp * config:/etc/ssh/sshd_config\n"
                                "2222/tcp 10.0.0.1 config:/etc/ssh/sshd_config\n"
                                "2223/tcp * config:/etc/ssh/sshd_config.d/local.conf\n"
                                "2223/tcp 10.0.0.1 config:/etc/ssh/sshd_config.d/local.conf\n");
        fake_fs_release(&fs);

        struct fake_fs fs2 = { files, V2C_ARRAY_SIZE(files), 0, NULL };
        _cleanup_(v2c_svc_config_freep) struct v2c_svc_config *d =
                parse_ok(V2C_SERVER_SSHD, "/etc/ssh/sshd_config",
                         "Include sshd_config.d/none.conf\nPermitRootLogin no\n", &fs2);
        assert_ports(&d->ports, "22/tcp * default:sshd\n");
        assert_strv(fs2.patterns, "/etc/ssh/sshd_config.d/none.conf\n");
        fake_fs_release(&fs2);
}

/* ------------------------------------------------------------------------
 * memcached
 */

static void test_memcached(void **state)
{
        (void) state;
        _cleanup_(v2c_svc_config_freep) struct v2c_svc_config *c =
                parse_ok(V2C_SERVER_MEMCACHED, "/etc/memcached.conf",
                         "# memcached default config file\n"
                         "-d\n"
                         "logfile /var/log/memcached.log\n"
                         "-m 64\n"
                         "-p 11212\n"
                         "-u memcache\n"
                         "-l 127.0.0.1,::1\n"
                         "-U 11213\n"
                         "-P /var/run/memcached/memcached.pid\n"
                         "-c 1024   # connections\n", NULL);
        assert_ports(&c->ports, "11212/tcp 127.0.0.1 config:/etc/memcached.conf\n"
                                "11212/tcp ::1 config:/etc/memcached.conf\n"
                                "11213/udp 127.0.0.1 config:/etc/memcached.conf\n"
                                "11213/udp ::1 config:/etc/memcached.conf\n");
        assert_int_equal(c->daemon, 1);
        assert_strv(c->log_paths, "/var/log/memcached.log\n");

        _cleanup_(v2c_svc_config_freep) struct v2c_svc_config *d =
                parse_ok(V2C_SERVER_MEMCACHED, "/m", "-m 64\n-U 0\n", NULL);
        assert_ports(&d->ports, "11211/tcp * default:memcached\n");
        assert_int_equal(d->daemon, -1);

        _cleanup_(v2c_svc_config_freep) struct v2c_svc_config *e =
                parse_ok(V2C_SERVER_MEMCACHED, "/m", "-p 11211\n-s /run/memcached.sock\n", NULL);
        assert_ports(&e->ports, "unix /run/memcached.sock\n");

        _cleanup_(v2c_svc_config_freep) struct v2c_svc_config *f =
                parse_ok(V2C_SERVER_MEMCACHED, "/m", "--port=11300 --listen=0.0.0.0\n-p0\n", NULL);
        assert_ports(&f->ports, "");
        _cleanup_(v2c_svc_config_freep) struct v2c_svc_config *g =
                parse_ok(V2C_SERVER_MEMCACHED, "/m", "--port=11300 --listen=0.0.0.0\n", NULL);
        assert_ports(&g->ports, "11300/tcp * config:/m\n");
}

/* ------------------------------------------------------------------------
 * haproxy
 */

static void test_haproxy(void **state)
{
        (void) state;
        _cleanup_(v2c_svc_config_freep) struct v2c_svc_config *c =
                parse_ok(V2C_SERVER_HAPROXY, "/etc/haproxy/haproxy.cfg",
                         "global\n"
                         "    daemon\n"
                         "    stats socket /run/haproxy/admin.sock mode 660 level admin\n"
                         "    log /dev/log local0\n"
                         "defaults\n"
                         "    mode http\n"
                         "frontend web\n"
                         "    bind :80\n"
                         "    bind 0.0.0.0:443 ssl crt /etc/haproxy/site.pem\n"
                         "    bind *:8080,*:8081\n"
                         "    bind ipv6@:81\n"
                         "    bind :::82\n"
                         "    bind /var/run/x.sock\n"
                         "    bind unix@/var/run/y.sock\n"
                         "    bind abns@foo\n"
                         "    bind fd@${FD}\n"
                         "    bind 127.0.0.1:9000-9002\n"
                         "    bind :1-65535\n"
                         "    bind quic4@:443 ssl crt x\n"
                         "    bind :${PORT}\n"
                         "    # bind :7\n"
                         "    default_backend app\n"
                         "backend app\n"
                         "    bind :7777\n"
                         "    server s1 127.0.0.1:8080 check\n"
                         "listen stats 0.0.0.0:8404\n"
                         "    bind \":8405\"  # quoted\n", NULL);
        assert_ports(&c->ports, "80/tcp * config:/etc/haproxy/haproxy.cfg\n"
                                "81/tcp * config:/etc/haproxy/haproxy.cfg\n"
                                "82/tcp * config:/etc/haproxy/haproxy.cfg\n"
                                "443/tcp * config:/etc/haproxy/haproxy.cfg\n"
                                "443/udp * config:/etc/haproxy/haproxy.cfg\n"
                                "8080/tcp * config:/etc/haproxy/haproxy.cfg\n"
                                "8081/tcp * config:/etc/haproxy/haproxy.cfg\n"
                                "8404/tcp * config:/etc/haproxy/haproxy.cfg\n"
                                "8405/tcp * config:/etc/haproxy/haproxy.cfg\n"
                                "9000/tcp 127.0.0.1 config:/etc/haproxy/haproxy.cfg\n"
                                "9001/tcp 127.0.0.1 config:/etc/haproxy/haproxy.cfg\n"
                                "9002/tcp 127.0.0.1 config:/etc/haproxy/haproxy.cfg\n"
                                "unix /run/haproxy/admin.sock\n"
                                "unix /var/run/x.sock\n"
                                "unix /var/run/y.sock\n");
        assert_int_equal(c->daemon, 1);

        /* No default port: a haproxy without bind listens nowhere. */
        _cleanup_(v2c_svc_config_freep) struct v2c_svc_config *d =
                parse_ok(V2C_SERVER_HAPROXY, "/h", "global\n  maxconn 10\n", NULL);
        assert_ports(&d->ports, "");
        assert_int_equal(d->daemon, -1);
}

/* ------------------------------------------------------------------------
 * Every parser on hostile bytes
 */

/* ------------------------------------------------------------------------
 * squid, named, dovecot, tomcat, postfix: the shapes Debian 12 ships
 */

static void test_squid(void **state)
{
        (void) state;
        static const struct fake_file files[] = {
                { "/etc/squid/squid.conf",
                  "#  TAG: http_port\n"
                  "#\thttp_port 3129 intercept\n"
                  "acl SSL_ports port 443\n"
                  "acl Safe_ports port 1025-65535\t# unregistered ports\n"
                  "include /etc/squid/conf.d/*.conf\n"
                  "http_access deny all\n"
                  "# Squid normally listens to port 3128\n"
                  "http_port 3128\n"
                  "coredump_dir /var/spool/squid\n" },
                { "/etc/squid/conf.d/debian.conf", "logfile_rotate 0\n" },
                { "/etc/squid/conf.d/local.conf",
                  "https_port [::1]:3130 tls-cert=/etc/squid/cert.pem\n"
                  "icp_port 0\n"
                  "snmp_port 3401\n" },
        };
        struct fake_fs fs = { files, V2C_ARRAY_SIZE(files), 0, NULL };
        _cleanup_(v2c_svc_config_freep) struct v2c_svc_config *c =
                parse_ok(V2C_SERVER_SQUID, "/etc/squid/squid.conf", NULL, &fs);
        assert_ports(&c->ports, "3128/tcp * config:/etc/squid/squid.conf\n"
                                "3130/tcp ::1 config:/etc/squid/conf.d/local.conf\n"
                                "3401/udp * config:/etc/squid/conf.d/local.conf\n");
        fake_fs_release(&fs);

        /* The acl ports are ports squid lets clients reach, not its own. */
        _cleanup_(v2c_svc_config_freep) struct v2c_svc_config *d =
                parse_ok(V2C_SERVER_SQUID, "/s", "acl Safe_ports port 80\n", NULL);
        assert_ports(&d->ports, "");
}

static void test_named(void **state)
{
        (void) state;
        /* Debian's named.conf and named.conf.options, unchanged: no
         * listen-on, so 53 on every address, udp and tcp. */
        static const struct fake_file files[] = {
                { "/etc/bind/named.conf",
                  "// This is the primary configuration file for the BIND DNS server named.\n"
                  "include \"/etc/bind/named.conf.options\";\n"
                  "include \"/etc/bind/named.conf.local\";\n"
                  "include \"/etc/bind/named.conf.default-zones\";\n" },
                { "/etc/bind/named.conf.options",
                  "options {\n"
                  "\tdirectory \"/var/cache/bind\";\n"
                  "\t// forwarders {\n"
                  "\t// \t0.0.0.0;\n"
                  "\t// };\n"
                  "\tdnssec-validation auto;\n"
                  "\n"
                  "\tlisten-on-v6 { any; };\n"
                  "};\n" },
                { "/etc/bind/named.conf.local", "//\n// Do any local configuration here\n//\n" },
                { "/etc/bind/named.conf.default-zones",
                  "zone \".\" {\n\ttype hint;\n\tfile \"/usr/share/dns/root.hints\";\n};\n"
                  "zone \"localhost\" {\n\ttype master;\n\tfile \"/etc/bind/db.local\";\n};\n" },
        };
        struct fake_fs fs = { files, V2C_ARRAY_SIZE(files), 0, NULL };
        _cleanup_(v2c_svc_config_freep) struct v2c_svc_config *c =
                parse_ok(V2C_SERVER_NAMED, "/etc/bind/named.conf", NULL, &fs);
        assert_ports(&c->ports, "53/tcp * default:named\n53/udp * default:named\n");
        /* Its working directory must be writable by named -u bind in an
         * image too (the guest's owner and mode); the one of a zone's
         * "directory" would not count. */
        assert_non_null(c->work_dirs);
        assert_string_equal(c->work_dirs[0], "/var/cache/bind");
        assert_null(c->work_dirs[1]);
        fake_fs_release(&fs);

        /* Ports given in listen-on, options' port, DoT and DoH, "none". */
        _cleanup_(v2c_svc_config_freep) struct v2c_svc_config *d =
                parse_ok(V2C_SERVER_NAMED, "/n",
                         "controls { inet 127.0.0.1 port 953 allow { localhost; }; };\n"
                         "options {\n"
                         "  port 5353;\n"
                         "  listen-on port 5300 { 127.0.0.1; }; /* a comment { */\n"
                         "  listen-on { 10.0.0.1; };\n"
                         "  listen-on tls ephemeral { any; };\n"
                         "  listen-on port 8053 tls none http local { any; };\n"
                         "  listen-on-v6 { none; };\n"
                         "  # port 1;\n"
                         "};\n"
                         "zone \"x\" { type master; notify-source * port 54; };\n", NULL);
        assert_ports(&d->ports, "853/tcp * default:named\n"
                                "5300/tcp * config:/n\n"
                                "5300/udp * config:/n\n"
                                "5353/tcp * config:/n\n"
                                "5353/udp * config:/n\n"
                                "8053/tcp * config:/n\n");

        /* Both families turned off: no DNS port at all. */
        _cleanup_(v2c_svc_config_freep) struct v2c_svc_config *e =
                parse_ok(V2C_SERVER_NAMED, "/n",
                         "options { listen-on { none; }; listen-on-v6 { none; }; };", NULL);
        assert_ports(&e->ports, "");
        /* Unbalanced braces and an unterminated string end quietly with
         * what was read. */
        _cleanup_(v2c_svc_config_freep) struct v2c_svc_config *f =
                parse_ok(V2C_SERVER_NAMED, "/n", "options { listen-on port 99 { \"any", NULL);
        assert_ports(&f->ports, "53/tcp * default:named\n53/udp * default:named\n"
                                "99/tcp * config:/n\n99/udp * config:/n\n");
}

static void test_dovecot(void **state)
{
        (void) state;
        /* Debian: dovecot-imapd's protocols.d file and 10-master.conf as
         * shipped (listener blocks with the ports commented out). */
        static const struct fake_file files[] = {
                { "/etc/dovecot/dovecot.conf",
                  "## Dovecot configuration file\n"
                  "# Enable installed protocols\n"
                  "!include_try /usr/share/dovecot/protocols.d/*.protocol\n"
                  "#listen = *, ::\n"
                  "dict {\n"
                  "  #quota = mysql:/etc/dovecot/dovecot-dict-sql.conf.ext\n"
                  "}\n"
                  "!include conf.d/*.conf\n"
                  "!include_try local.conf\n" },
                { "/usr/share/dovecot/protocols.d/imapd.protocol", "protocols = $protocols imap\n" },
                { "/etc/dovecot/conf.d/10-master.conf",
                  "service imap-login {\n"
                  "  inet_listener imap {\n"
                  "    #port = 143\n"
                  "  }\n"
                  "  inet_listener imaps {\n"
                  "    #port = 993\n"
                  "    #ssl = yes\n"
                  "  }\n"
                  "}\n"
                  "service pop3-login {\n"
                  "  inet_listener pop3 {\n"
                  "    #port = 110\n"
                  "  }\n"
                  "}\n"
                  "service lmtp {\n"
                  "  unix_listener lmtp {\n"
                  "    #mode = 0666\n"
                  "  }\n"
                  "  # Create inet listener only if you can't use the above UNIX socket\n"
                  "  #inet_listener lmtp {\n"
                  "    #port = \n"
                  "  #}\n"
                  "}\n" },
        };
        struct fake_fs fs = { files, V2C_ARRAY_SIZE(files), 0, NULL };
        _cleanup_(v2c_svc_config_freep) struct v2c_svc_config *c =
                parse_ok(V2C_SERVER_DOVECOT, "/etc/dovecot/dovecot.conf", NULL, &fs);
        assert_ports(&c->ports, "143/tcp * default:dovecot\n993/tcp * default:dovecot\n");
        assert_non_null(fs.patterns);
        assert_string_equal(fs.patterns[1], "/etc/dovecot/conf.d/*.conf");
        fake_fs_release(&fs);

        /* Ports moved and turned off, pop3 and lmtp on, doveadm's own. */
        _cleanup_(v2c_svc_config_freep) struct v2c_svc_config *d =
                parse_ok(V2C_SERVER_DOVECOT, "/d",
                         "protocols = imap pop3 lmtp\n"
                         "service imap-login {\n"
                         "  inet_listener imap {\n"
                         "    port = 0\n"
                         "  }\n"
                         "  inet_listener imaps {\n"
                         "    port=10993\n"
                         "  }\n"
                         "}\n"
                         "service lmtp {\n"
                         "  inet_listener lmtp {\n"
                         "    port = 24\n"
                         "  }\n"
                         "}\n"
                         "service submission-login {\n"
                         "  inet_listener submission {\n"
                         "    port = 1587\n"
                         "  }\n"
                         "}\n"
                         "service doveadm {\n"
                         "  inet_listener {\n"
                         "    port = 12345\n"
                         "  }\n"
                         "}\n", NULL);
        assert_ports(&d->ports, "24/tcp * config:/d\n"
                                "110/tcp * default:dovecot\n"
                                "995/tcp * default:dovecot\n"
                                "10993/tcp * config:/d\n"
                                "12345/tcp * config:/d\n");

        /* No protocols (Debian's built-in value): no mail ports. */
        _cleanup_(v2c_svc_config_freep) struct v2c_svc_config *e =
                parse_ok(V2C_SERVER_DOVECOT, "/d", "protocols = none\n", NULL);
        assert_ports(&e->ports, "");
        _cleanup_(v2c_svc_config_freep) struct v2c_svc_config *f =
                parse_ok(V2C_SERVER_DOVECOT, "/d", "protocols = $protocols sieve\n}\n}\n", NULL);
        assert_ports(&f->ports, "4190/tcp * default:dovecot\n");
}

static void test_tomcat(void **state)
{
        (void) state;
        _cleanup_(v2c_svc_config_freep) struct v2c_svc_config *c =
                parse_ok(V2C_SERVER_TOMCAT, "/etc/tomcat10/server.xml",
                         "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                         "<!-- Note:  A \"Server\" is not itself a \"Container\" -->\n"
                         "<Server port=\"8005\" shutdown=\"SHUTDOWN\">\n"
                         "  <Service name=\"Catalina\">\n"
                         "    <!-- A \"Connector\" represents an endpoint\n"
                         "    <Connector port=\"8443\" protocol=\"HTTP/1.1\" />\n"
                         "    -->\n"
                         "    <Connector port=\"8080\" protocol=\"HTTP/1.1\"\n"
                         "               connectionTimeout=\"20000\"\n"
                         "               redirectPort=\"8443\" />\n"
                         "    <Connector protocol=\"AJP/1.3\" address='127.0.0.1'\n"
                         "               port=\"8009\" redirectPort=\"8443\" />\n"
                         "    <Connector port=\"${http.port}\" />\n"
                         "    <ConnectorX port=\"1\" />\n"
                         "  </Service>\n"
                         "</Server>\n", NULL);
        assert_ports(&c->ports, "8009/tcp 127.0.0.1 config:/etc/tomcat10/server.xml\n"
                                "8080/tcp * config:/etc/tomcat10/server.xml\n");
        /* A tag or comment cut short. */
        _cleanup_(v2c_svc_config_freep) struct v2c_svc_config *d =
                parse_ok(V2C_SERVER_TOMCAT, "/t", "<Connector port=\"80", NULL);
        assert_ports(&d->ports, "");
        _cleanup_(v2c_svc_config_freep) struct v2c_svc_config *e =
                parse_ok(V2C_SERVER_TOMCAT, "/t", "<!-- <Connector port=\"81\"/> -", NULL);
        assert_ports(&e->ports, "");
}

static void test_postfix(void **state)
{
        (void) state;
        _cleanup_(v2c_svc_config_freep) struct v2c_svc_config *c =
                parse_ok(V2C_SERVER_POSTFIX, "/etc/postfix/master.cf",
                         "# service type  private unpriv  chroot  wakeup  maxproc command + args\n"
                         "smtp      inet  n       -       y       -       -       smtpd\n"
                         "#smtp      inet  n       -       y       -       1       postscreen\n"
                         "#submission inet n       -       y       -       -       smtpd\n"
                         "#  -o syslog_name=postfix/submission\n"
                         "127.0.0.1:submission inet n -   y       -       -       smtpd\n"
                         "  -o smtpd_tls_security_level=encrypt\n"
                         "[::1]:10025 inet n - n - - smtpd\n"
                         "628       inet  n       -       y       -       -       qmqpd\n"
                         "pickup    unix  n       -       y       60      1       pickup\n"
                         "smtp      unix  -       -       y       -       -       smtp\n"
                         "tlsproxy  unix  -       -       y       -       0       tlsproxy\n"
                         "bogus     inet  n - y - - smtpd\n", NULL);
        assert_ports(&c->ports, "25/tcp * config:/etc/postfix/master.cf\n"
                                "587/tcp 127.0.0.1 config:/etc/postfix/master.cf\n"
                                "628/tcp * config:/etc/postfix/master.cf\n"
                                "10025/tcp ::1 config:/etc/postfix/master.cf\n");

        /* main.cf values: the last one wins, continuation lines joined. */
        static const char main_cf[] = "multi_instance_directories = /etc/postfix-a\n"
                                      "myhostname = x\n"
                                      "multi_instance_directories = /etc/postfix-b\n"
                                      "    /etc/postfix-c, # not a comment in postfix\n"
                                      "# a comment, which does not end the value\n"
                                      "\n"
                                      "  /etc/postfix-d\n"
                                      "multi_instance_name=\n"
                                      "multi_instance_enable = yes";
        size_t len;
        _cleanup_free_ char *data = exact(main_cf, &len);
        _cleanup_free_ char *dirs = NULL, *name = NULL, *enable = NULL, *none = NULL;
        assert_int_equal(v2c_postfix_main_value(data, len, "multi_instance_directories", &dirs, NULL), 0);
        assert_string_equal(dirs, "/etc/postfix-b /etc/postfix-c, # not a comment in postfix /etc/postfix-d");
        assert_int_equal(v2c_postfix_main_value(data, len, "multi_instance_name", &name, NULL), 0);
        assert_string_equal(name, "");
        assert_int_equal(v2c_postfix_main_value(data, len, "multi_instance_enable", &enable, NULL), 0);
        assert_string_equal(enable, "yes");
        assert_int_equal(v2c_postfix_main_value(data, len, "multi_instance", &none, NULL), 0);
        assert_null(none);
}

static void test_exim(void **state)
{
        (void) state;
        _cleanup_(v2c_svc_config_freep) struct v2c_svc_config *c =
                parse_ok(V2C_SERVER_EXIM, "/var/lib/exim4/config.autogenerated",
                         "exim_path = /usr/sbin/exim4\n"
                         "local_interfaces = <; 127.0.0.1 ; ::1\n"
                         "begin routers\n"
                         "daemon_smtp_ports = 2525\n", NULL);
        assert_ports(&c->ports, "25/tcp * default:exim\n");
        _cleanup_(v2c_svc_config_freep) struct v2c_svc_config *d =
                parse_ok(V2C_SERVER_EXIM, "/e", "daemon_smtp_ports = smtp : 465 : submission\n", NULL);
        assert_ports(&d->ports, "25/tcp * config:/e\n465/tcp * config:/e\n587/tcp * config:/e\n");
        _cleanup_(v2c_svc_config_freep) struct v2c_svc_config *e =
                parse_ok(V2C_SERVER_EXIM, "/e", "daemon_smtp_port = <; 2525 ; x\n", NULL);
        assert_ports(&e->ports, "2525/tcp * config:/e\n");
}

static void test_chrony(void **state)
{
        (void) state;
        /* Debian's chrony.conf: a client, no port for others. */
        static const struct fake_file files[] = {
                { "/etc/chrony/chrony.conf",
                  "# Include configuration files found in /etc/chrony/conf.d.\n"
                  "confdir /etc/chrony/conf.d\n"
                  "pool 2.debian.pool.ntp.org iburst\n"
                  "sourcedir /run/chrony-dhcp\n"
                  "driftfile /var/lib/chrony/chrony.drift\n"
                  "makestep 1 3\n"
                  "leapsectz right/UTC\n" },
                { "/etc/chrony/conf.d/server.conf", "allow 10.0.0.0/8\n" },
        };
        _cleanup_(v2c_svc_config_freep) struct v2c_svc_config *c =
                parse_ok(V2C_SERVER_CHRONY, "/c", files[0].data, NULL);
        assert_ports(&c->ports, "");
        struct fake_fs fs = { files, V2C_ARRAY_SIZE(files), 0, NULL };
        _cleanup_(v2c_svc_config_freep) struct v2c_svc_config *d =
                parse_ok(V2C_SERVER_CHRONY, "/etc/chrony/chrony.conf", NULL, &fs);
        assert_ports(&d->ports, "123/udp * default:chrony\n");
        fake_fs_release(&fs);
        _cleanup_(v2c_svc_config_freep) struct v2c_svc_config *e =
                parse_ok(V2C_SERVER_CHRONY, "/c", "allow\nport 1123\n", NULL);
        assert_ports(&e->ports, "1123/udp * config:/c\n");
        _cleanup_(v2c_svc_config_freep) struct v2c_svc_config *f =
                parse_ok(V2C_SERVER_CHRONY, "/c", "allow\nport 0\n", NULL);
        assert_ports(&f->ports, "");
}

static void test_ntpd_snmpd(void **state)
{
        (void) state;
        _cleanup_(v2c_svc_config_freep) struct v2c_svc_config *c =
                parse_ok(V2C_SERVER_NTPD, "/etc/ntpsec/ntp.conf", "pool 0.debian.pool.ntp.org iburst\n", NULL);
        assert_ports(&c->ports, "123/udp * default:ntpd\n");

        /* Debian's snmpd.conf listens on localhost only. */
        _cleanup_(v2c_svc_config_freep) struct v2c_svc_config *d =
                parse_ok(V2C_SERVER_SNMPD, "/etc/snmp/snmpd.conf",
                         "sysLocation    Sitting on the Dock of the Bay\n"
                         "master  agentx\n"
                         "agentaddress  127.0.0.1,[::1]\n"
                         "rocommunity  public default -V systemonly\n", NULL);
        assert_ports(&d->ports, "161/udp 127.0.0.1 config:/etc/snmp/snmpd.conf\n"
                                "161/udp ::1 config:/etc/snmp/snmpd.conf\n");
        _cleanup_(v2c_svc_config_freep) struct v2c_svc_config *e =
                parse_ok(V2C_SERVER_SNMPD, "/s", "agentAddress tcp:1161,udp6:[::]:1162,udp:no/such&host\n", NULL);
        assert_ports(&e->ports, "1161/tcp * config:/s\n1162/udp * config:/s\n");
        _cleanup_(v2c_svc_config_freep) struct v2c_svc_config *f =
                parse_ok(V2C_SERVER_SNMPD, "/s", "# agentaddress 1\n", NULL);
        assert_ports(&f->ports, "161/udp * default:snmpd\n");
}

static void test_rsyslog(void **state)
{
        (void) state;
        static const struct fake_file files[] = {
                { "/etc/rsyslog.conf",
                  "module(load=\"imuxsock\") # provides support for local system logging\n"
                  "#module(load=\"imudp\")\n"
                  "#input(type=\"imudp\" port=\"514\")\n"
                  "$IncludeConfig /etc/rsyslog.d/*.conf\n" },
                { "/etc/rsyslog.d/net.conf",
                  "module(load=\"imtcp\")\n"
                  "input(type=\"imtcp\"\n"
                  "      port=\"10514\")\n"
                  "input(type=\"imudp\")\n"
                  "$UDPServerRun 1514\n" },
        };
        _cleanup_(v2c_svc_config_freep) struct v2c_svc_config *c =
                parse_ok(V2C_SERVER_RSYSLOG, "/r", files[0].data, NULL);
        assert_ports(&c->ports, "");
        struct fake_fs fs = { files, V2C_ARRAY_SIZE(files), 0, NULL };
        _cleanup_(v2c_svc_config_freep) struct v2c_svc_config *d =
                parse_ok(V2C_SERVER_RSYSLOG, "/etc/rsyslog.conf", NULL, &fs);
        assert_ports(&d->ports, "514/udp * config:/etc/rsyslog.d/net.conf\n"
                                "1514/udp * config:/etc/rsyslog.d/net.conf\n"
                                "10514/tcp * config:/etc/rsyslog.d/net.conf\n");
        fake_fs_release(&fs);
}

static void test_vsftpd(void **state)
{
        (void) state;
        _cleanup_(v2c_svc_config_freep) struct v2c_svc_config *c =
                parse_ok(V2C_SERVER_VSFTPD, "/etc/vsftpd.conf",
                         "listen=NO\n"
                         "listen_ipv6=YES\n"
                         "anonymous_enable=NO\n"
                         "#listen_port=2121\n", NULL);
        assert_ports(&c->ports, "21/tcp * default:vsftpd\n");
        _cleanup_(v2c_svc_config_freep) struct v2c_svc_config *d =
                parse_ok(V2C_SERVER_VSFTPD, "/v", "listen=YES\nlisten_port=2121\nlisten_address=10.0.0.5\n", NULL);
        assert_ports(&d->ports, "2121/tcp 10.0.0.5 config:/v\n");
        /* Run from inetd: no port of its own. */
        _cleanup_(v2c_svc_config_freep) struct v2c_svc_config *e =
                parse_ok(V2C_SERVER_VSFTPD, "/v", "listen=NO\nlisten_port=2121\n", NULL);
        assert_ports(&e->ports, "");
}

static void test_phpfpm(void **state)
{
        (void) state;
        /* RHEL's layout: the pools through a glob include; one pool on a
         * socket, one on a port, one on every address; comments of both
         * kinds; a quoted value. */
        static const struct fake_file files[] = {
                { "/etc/php-fpm.conf", "[global]\npid = /run/php-fpm/php-fpm.pid\n;listen = 1111\n"
                                       "include=/etc/php-fpm.d/*.conf\n" },
                { "/etc/php-fpm.d/www.conf", "[www]\nuser = apache\nlisten = /run/php-fpm/www.sock\n" },
                { "/etc/php-fpm.d/api.conf", "[api]\n  listen = \"127.0.0.1:9001\"\n# listen = 2222\n" },
                { "/etc/php-fpm.d/all.conf", "[all]\nlisten=9002\nlisten.allowed_clients = 10.0.0.1\n" },
        };
        struct fake_fs fs = { files, V2C_ARRAY_SIZE(files), 0, NULL };
        _cleanup_(v2c_svc_config_freep) struct v2c_svc_config *c =
                parse_ok(V2C_SERVER_PHPFPM, "/etc/php-fpm.conf", NULL, &fs);
        assert_ports(&c->ports, "9001/tcp 127.0.0.1 config:/etc/php-fpm.d/api.conf\n"
                                "9002/tcp * config:/etc/php-fpm.d/all.conf\n"
                                "unix /run/php-fpm/www.sock\n");
        fake_fs_release(&fs);
        assert_int_equal(v2c_server_from_name("php-fpm"), V2C_SERVER_PHPFPM);
        /* A relative include is php-fpm's prefix's, which is the main
         * file's directory for the packaged files. */
        static const struct fake_file deb[] = {
                { "/etc/php/8.2/fpm/php-fpm.conf", "include=pool.d/*.conf\n" },
                { "/etc/php/8.2/fpm/pool.d/www.conf", "[www]\nlisten = [::]:9000\n" },
        };
        struct fake_fs fd = { deb, V2C_ARRAY_SIZE(deb), 0, NULL };
        _cleanup_(v2c_svc_config_freep) struct v2c_svc_config *d =
                parse_ok(V2C_SERVER_PHPFPM, "/etc/php/8.2/fpm/php-fpm.conf", NULL, &fd);
        assert_ports(&d->ports, "9000/tcp * config:/etc/php/8.2/fpm/pool.d/www.conf\n");
        fake_fs_release(&fd);
}

static void test_declaration_budget(void **state)
{
        (void) state;
        /* 100 ranges of 1000 ports: past V2C_CONFIG_MAX_ADDS, refused
         * quickly instead of making 100,000 entries. */
        struct v2c_buf b;
        v2c_buf_init(&b, 1 << 20);
        assert_int_equal(v2c_buf_appends(&b, "frontend f\n"), 0);
        for (int i = 0; i < 100; i++)
                assert_int_equal(v2c_buf_appends(&b, "  bind :1000-1999\n"), 0);
        _cleanup_free_ char *text = v2c_buf_steal(&b);
        struct v2c_svc_config *conf = NULL;
        struct v2c_error *err = NULL;
        assert_int_equal(parse(V2C_SERVER_HAPROXY, "/h", text, NULL, &conf, &err), -E2BIG);
        assert_null(conf);
        assert_non_null(strstr(err->msg, "declared"));
        v2c_error_free(err);

        /* 60 of them fit: repeats of a full set are looked up, not added. */
        v2c_buf_init(&b, 1 << 20);
        assert_int_equal(v2c_buf_appends(&b, "frontend f\n"), 0);
        for (int i = 0; i < 60; i++)
                assert_int_equal(v2c_buf_appendf(&b, "  bind :%d-%d\n", 1 + (i % 5) * 1000,
                                                 1000 + (i % 5) * 1000), 0);
        _cleanup_free_ char *text2 = v2c_buf_steal(&b);
        err = NULL;
        int r = parse(V2C_SERVER_HAPROXY, "/h", text2, NULL, &conf, &err);
        /* 5 ranges x 1000 ports: more unique ports than V2C_PORTS_MAX. */
        assert_int_equal(r, -E2BIG);
        assert_non_null(strstr(err->msg, "listening ports"));
        v2c_error_free(err);

        v2c_buf_init(&b, 1 << 20);
        assert_int_equal(v2c_buf_appends(&b, "frontend f\n"), 0);
        for (int i = 0; i < 60; i++)
                assert_int_equal(v2c_buf_appendf(&b, "  bind :%d-%d\n", 1 + (i % 4) * 1000,
                                                 1000 + (i % 4) * 1000), 0);
        _cleanup_free_ char *text3 = v2c_buf_steal(&b);
        _cleanup_(v2c_svc_config_freep) struct v2c_svc_config *c =
                parse_ok(V2C_SERVER_HAPROXY, "/h", text3, NULL);
        assert_int_equal(c->ports.n, 4000);
        assert_int_equal(c->ports.items[0].port, 1);
        assert_int_equal(c->ports.items[3999].port, 4000);
}

static void test_all_parsers_garbage(void **state)
{
        (void) state;
        /* Every byte value, quotes and braces unbalanced, no NUL at the end. */
        size_t len = 256 * 8;
        _cleanup_free_ char *junk = malloc(len);
        for (size_t i = 0; i < len; i++)
                junk[i] = (char) ((i * 7919) % 256);
        for (unsigned s = 0; s < V2C_SERVER_COUNT_; s++) {
                struct v2c_svc_config *conf = NULL;
                struct v2c_error *err = NULL;
                int r = v2c_ports_parse_config((enum v2c_server) s, "/junk", junk, len, NULL, &conf,
                                               &err);
                assert_true(r == 0 || r == -E2BIG);
                if (r == 0)
                        assert_non_null(conf);
                v2c_svc_config_free(conf);
                v2c_error_free(err);

                /* Empty input: only defaults; NULL data with len 0 is fine. */
                conf = NULL;
                assert_int_equal(v2c_ports_parse_config((enum v2c_server) s, NULL, NULL, 0, NULL,
                                                        &conf, NULL),
                                 0);
                v2c_svc_config_free(conf);
        }
        struct v2c_svc_config *conf = NULL;
        struct v2c_error *err = NULL;
        assert_int_equal(v2c_ports_parse_config(V2C_SERVER_COUNT_, "/x", "", 0, NULL, &conf, &err),
                         -EINVAL);
        assert_null(conf);
        v2c_error_free(err);
        assert_null(v2c_svc_config_free(NULL));
}

static void test_server_names(void **state)
{
        (void) state;
        assert_string_equal(v2c_server_name(V2C_SERVER_NGINX), "nginx");
        assert_string_equal(v2c_server_name(V2C_SERVER_POSTGRESQL), "postgresql");
        assert_null(v2c_server_name(V2C_SERVER_COUNT_));
        assert_int_equal(v2c_server_from_name("NGINX"), V2C_SERVER_NGINX);
        assert_int_equal(v2c_server_from_name("httpd"), V2C_SERVER_APACHE2);
        assert_int_equal(v2c_server_from_name("mariadb"), V2C_SERVER_MYSQL);
        assert_int_equal(v2c_server_from_name("haproxy"), V2C_SERVER_HAPROXY);
        assert_int_equal(v2c_server_from_name("bind9"), V2C_SERVER_NAMED);
        assert_string_equal(v2c_server_name(V2C_SERVER_POSTFIX), "postfix");
        assert_int_equal(v2c_server_from_name("lighttpd"), -EINVAL);
        assert_int_equal(v2c_server_from_name(NULL), -EINVAL);
}

int main(int argc, char **argv)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_set_add_validates),
                cmocka_unit_test(test_set_sort_uniq),
                cmocka_unit_test(test_set_move),
                cmocka_unit_test(test_set_limit),
                cmocka_unit_test(test_set_unix_limit),
                cmocka_unit_test(test_argv_port_options),
                cmocka_unit_test(test_argv_endpoint_options),
                cmocka_unit_test(test_argv_host_and_port),
                cmocka_unit_test(test_argv_positional),
                cmocka_unit_test(test_argv_not_ports),
                cmocka_unit_test(test_argv_edge),
                cmocka_unit_test(test_socket_values),
                cmocka_unit_test(test_nginx_debian),
                cmocka_unit_test(test_nginx_defaults),
                cmocka_unit_test(test_nginx_malformed),
                cmocka_unit_test(test_nginx_include_loop),
                cmocka_unit_test(test_nginx_no_reader),
                cmocka_unit_test(test_include_reader_error),
                cmocka_unit_test(test_include_limits),
                cmocka_unit_test(test_apache),
                cmocka_unit_test(test_redis),
                cmocka_unit_test(test_postgresql),
                cmocka_unit_test(test_mysql),
                cmocka_unit_test(test_mysql_include_groups),
                cmocka_unit_test(test_sshd),
                cmocka_unit_test(test_memcached),
                cmocka_unit_test(test_haproxy),
                cmocka_unit_test(test_squid),
                cmocka_unit_test(test_named),
                cmocka_unit_test(test_dovecot),
                cmocka_unit_test(test_tomcat),
                cmocka_unit_test(test_postfix),
                cmocka_unit_test(test_exim),
                cmocka_unit_test(test_chrony),
                cmocka_unit_test(test_ntpd_snmpd),
                cmocka_unit_test(test_rsyslog),
                cmocka_unit_test(test_vsftpd),
                cmocka_unit_test(test_phpfpm),
                cmocka_unit_test(test_declaration_budget),
                cmocka_unit_test(test_all_parsers_garbage),
                cmocka_unit_test(test_server_names),
        };
        return v2c_run_group_tests(argc, argv, tests, NULL, NULL);
}
