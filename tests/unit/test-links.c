/* Unit tests for the connection scanners (inspect/links.c): nginx,
 * apache2, haproxy and generic files shaped like the ones found on VMs,
 * the guest's own names from /etc/hosts, interfaces and .network files,
 * and unix socket ownership.  Buffers are exact-size heap copies without a
 * NUL, so AddressSanitizer catches a read past the end. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "unit-main.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cleanup.h"
#include "error.h"
#include "links-internal.h"
#include "strv.h"

/* "LINE VIA HOST:PORT" or "LINE VIA unix:PATH", one line per endpoint. */
static char *scan(enum v2c_link_syntax syntax, const char *text)
{
        size_t len = strlen(text);
        char *copy = malloc(len ? len : 1);
        assert_non_null(copy);
        memcpy(copy, text, len);
        struct v2c_link_refs refs = { 0 };
        struct v2c_error *err = NULL;
        assert_int_equal(v2c_links_scan(syntax, copy, len, &refs, &err), 0);
        free(copy);
        struct v2c_buf b;
        v2c_buf_init(&b, 1 << 20);
        for (size_t i = 0; i < refs.n; i++) {
                const struct v2c_link_ref *r = &refs.items[i];
                if (r->unix_path)
                        v2c_buf_appendf(&b, "%zu %s unix:%s\n", r->line, r->via, r->unix_path);
                else
                        v2c_buf_appendf(&b, "%zu %s %s:%u\n", r->line, r->via, r->host, r->port);
        }
        v2c_link_refs_release(&refs);
        return v2c_buf_steal(&b);
}

static void assert_scan(enum v2c_link_syntax syntax, const char *text, const char *want)
{
        _cleanup_free_ char *got = scan(syntax, text);
        assert_string_equal(got, want);
}

static void test_nginx(void **state)
{
        (void) state;
        assert_scan(V2C_LINK_NGINX,
                    "upstream app {\n"
                    "    server 127.0.0.1:8000 weight=2;\n"
                    "    server localhost;   # port 80\n"
                    "    server unix:/run/gunicorn.sock;\n"
                    "}\n"
                    "server {\n"
                    "    listen 80;\n"
                    "    server_name example.org;\n"
                    "    location /api/ { proxy_pass http://127.0.0.1:8080/api/; }\n"
                    "    location /b/ {\n"
                    "        proxy_pass\n"
                    "            \"https://[::1]\";\n"
                    "    }\n"
                    "    location ~ \\.php$ { fastcgi_pass unix:/run/php/php8.2-fpm.sock; }\n"
                    "    location /f { fastcgi_pass 127.0.0.1:9000; }\n"
                    "    location /u { uwsgi_pass localhost:3031; proxy_pass http://app; }\n"
                    "    location /s { proxy_pass http://unix:/run/app.sock:/x; }\n"
                    "    # proxy_pass http://127.0.0.1:9999;\n"
                    "}\n",
                    "2 server 127.0.0.1:8000\n"
                    "3 server localhost:80\n"
                    "4 server unix:/run/gunicorn.sock\n"
                    "9 proxy_pass 127.0.0.1:8080\n"
                    "11 proxy_pass ::1:443\n"
                    "14 fastcgi_pass unix:/run/php/php8.2-fpm.sock\n"
                    "15 fastcgi_pass 127.0.0.1:9000\n"
                    "16 uwsgi_pass localhost:3031\n"
                    "16 proxy_pass app:80\n"
                    "17 proxy_pass unix:/run/app.sock\n");
}

static void test_nginx_server_outside_upstream(void **state)
{
        (void) state;
        /* "server" is an upstream member only inside upstream blocks; mail
         * and stream server blocks, or a block left open, give nothing. */
        assert_scan(V2C_LINK_NGINX, "http { server { listen 127.0.0.1:80; } }\nserver 127.0.0.1:25;\n", "");
        assert_scan(V2C_LINK_NGINX, "upstream a { server 127.0.0.1:1; } server 127.0.0.1:2;", "1 server 127.0.0.1:1\n");
        assert_scan(V2C_LINK_NGINX, "proxy_pass http://$backend; proxy_pass \"", "");
        assert_scan(V2C_LINK_NGINX, "}}}} upstream x { { server 127.0.0.1:3; } }", "");
}

static void test_apache2(void **state)
{
        (void) state;
        assert_scan(V2C_LINK_APACHE2,
                    "<VirtualHost *:80>\n"
                    "  ProxyPass /app/ http://127.0.0.1:8000/ retry=0\n"
                    "  proxypassreverse /app/ http://127.0.0.1:8000/\n"
                    "  ProxyPass /ws ws://localhost:3000/ws\n"
                    "  <FilesMatch \\.php$>\n"
                    "    SetHandler \"proxy:unix:/run/php/php8.2-fpm.sock|fcgi://localhost\"\n"
                    "  </FilesMatch>\n"
                    "  SetHandler proxy:fcgi://127.0.0.1:9000\n"
                    "  <Proxy balancer://cluster>\n"
                    "    BalancerMember http://127.0.0.1:8081\n"
                    "  </Proxy>\n"
                    "  ProxyPass /x !\n"
                    "  # ProxyPass / http://127.0.0.1:1/\n"
                    "</VirtualHost>\n",
                    "2 ProxyPass 127.0.0.1:8000\n"
                    "3 proxypassreverse 127.0.0.1:8000\n"
                    "4 ProxyPass localhost:3000\n"
                    "6 SetHandler unix:/run/php/php8.2-fpm.sock\n"
                    "8 SetHandler 127.0.0.1:9000\n"
                    "10 BalancerMember 127.0.0.1:8081\n");
}

static void test_haproxy(void **state)
{
        (void) state;
        assert_scan(V2C_LINK_HAPROXY,
                    "global\n"
                    "    stats socket /run/haproxy/admin.sock mode 660\n"
                    "frontend web\n"
                    "    bind :80\n"
                    "    default_backend app\n"
                    "backend app\n"
                    "    server a1 127.0.0.1:8000 check\n"
                    "    server a2 ipv4@localhost:8001\n"
                    "    server a3 unix@/run/app.sock\n"
                    "    server a4 /run/app2.sock\n"
                    "    server a5 10.0.0.9:80\n"
                    "    server a6 127.0.0.1\n"
                    "peers mypeers\n"
                    "    server p1 127.0.0.1:10000\n"
                    "listen stats\n"
                    "    server s1 [::1]:9000\n",
                    "7 server 127.0.0.1:8000\n"
                    "8 server localhost:8001\n"
                    "9 server unix:/run/app.sock\n"
                    "10 server unix:/run/app2.sock\n"
                    "11 server 10.0.0.9:80\n"
                    "16 server ::1:9000\n");
}

static void test_generic(void **state)
{
        (void) state;
        assert_scan(V2C_LINK_GENERIC,
                    "# REDIS_URL=redis://127.0.0.1:6379\n"
                    "DATABASE_URL=postgresql://user:p%40ss@localhost/app?sslmode=disable\n"
                    "REDIS_URL=\"redis://127.0.0.1:6380/0\"\n"
                    "export MEMCACHED=127.0.0.1:11211\n"
                    "cache: localhost:11212\n"
                    "DSN=\"host=localhost port=5433 dbname=app user=app\"\n"
                    "PGDSN=host=/var/run/postgresql dbname=app\n"
                    "UPSTREAMS=http://127.0.0.1:1,http://127.0.0.1:2\n"
                    "SQLALCHEMY=postgresql+psycopg2://app@[::1]:5432/app\n"
                    "DB_HOST=db.internal\n"
                    "DB_PORT=5433\n"
                    "TIMEOUT=30\n"
                    "Environment=\"API=http://localhost:8000/v1\" \"MODE=x\"\n",
                    "2 DATABASE_URL localhost:5432\n"
                    "3 REDIS_URL 127.0.0.1:6380\n"
                    "4 MEMCACHED 127.0.0.1:11211\n"
                    "5 cache localhost:11212\n"
                    "6 DSN localhost:5433\n"
                    "7 PGDSN unix:/var/run/postgresql\n"
                    "8 UPSTREAMS 127.0.0.1:1\n"
                    "8 UPSTREAMS 127.0.0.1:2\n"
                    "9 SQLALCHEMY ::1:5432\n"
                    "13 Environment localhost:8000\n");
        /* Without an assignment the scheme names it; unknown schemes need a port. */
        assert_scan(V2C_LINK_GENERIC, "  upstream = https://localhost\nfcgi://127.0.0.1/\n --to tcp://127.0.0.1:7\n",
                    "1 upstream localhost:443\n3 tcp 127.0.0.1:7\n");
}

static void test_generic_hostile(void **state)
{
        (void) state;
        assert_scan(V2C_LINK_GENERIC, "://\n:///\nhttp://\nhttp://:80\nx://a:99999\nA=[::1\nhost=\nport=5432 host=x\n",
                    "8 port x:5432\n");
        /* A URL longer than a word is not looked at. */
        struct v2c_buf b;
        v2c_buf_init(&b, 1 << 20);
        v2c_buf_appends(&b, "U=http://127.0.0.1:1/");
        for (int i = 0; i < 5000; i++)
                v2c_buf_appends(&b, "a");
        _cleanup_free_ char *s = v2c_buf_steal(&b);
        assert_scan(V2C_LINK_GENERIC, s, "");
}

static void test_limit(void **state)
{
        (void) state;
        struct v2c_buf b;
        v2c_buf_init(&b, 1 << 22);
        for (int i = 0; i < V2C_LINKS_MAX_REFS + 1; i++)
                v2c_buf_appends(&b, "U=http://127.0.0.1:1\n");
        size_t len = b.len;
        _cleanup_free_ char *s = v2c_buf_steal(&b);
        struct v2c_link_refs refs = { 0 };
        struct v2c_error *err = NULL;
        assert_int_equal(v2c_links_scan(V2C_LINK_GENERIC, s, len, &refs, &err), -E2BIG);
        assert_int_equal(refs.n, V2C_LINKS_MAX_REFS);
        v2c_error_free(err);
        v2c_link_refs_release(&refs);
}

static void test_syntax_of(void **state)
{
        (void) state;
        assert_int_equal(v2c_links_syntax_of("/etc/nginx/sites-enabled/default"), V2C_LINK_NGINX);
        assert_int_equal(v2c_links_syntax_of("/etc/apache2/sites-enabled/000-default.conf"), V2C_LINK_APACHE2);
        assert_int_equal(v2c_links_syntax_of("/etc/haproxy/haproxy.cfg"), V2C_LINK_HAPROXY);
        assert_int_equal(v2c_links_syntax_of("/etc/webapp/webapp.env"), V2C_LINK_GENERIC);
        assert_int_equal(v2c_links_syntax_of("/etc/nginxfoo"), V2C_LINK_GENERIC);
}

static void test_local(void **state)
{
        (void) state;
        _cleanup_strv_ char **local = NULL;
        const char *ifaces = "auto eth0\niface eth0 inet static\n    address 10.0.0.5/24\n    gateway 10.0.0.1\n";
        const char *network = "[Network]\nAddress = 192.168.7.9/24\nDNS=1.1.1.1\n[Address]\nAddress=fd00::5/64\n";
        const char *hosts = "127.0.0.1 localhost\n127.0.1.1 web01.example.internal web01\n"
                            "10.0.0.5 app.internal # the VM itself\n10.20.0.15 db.internal\n"
                            "192.168.7.10 other\n::1 localhost ip6-localhost\n";
        assert_int_equal(v2c_links_local_addrs(ifaces, strlen(ifaces), &local), 0);
        assert_int_equal(v2c_links_local_addrs(network, strlen(network), &local), 0);
        assert_int_equal(v2c_links_local_hosts(hosts, strlen(hosts), "Web01", &local), 0);
        assert_true(v2c_links_is_local("10.0.0.5", local));
        assert_true(v2c_links_is_local("192.168.7.9", local));
        assert_true(v2c_links_is_local("fd00::5", local));
        assert_true(v2c_links_is_local("web01", local));
        assert_true(v2c_links_is_local("WEB01.example.internal", local));
        assert_true(v2c_links_is_local("app.internal", local));
        assert_false(v2c_links_is_local("db.internal", local));
        assert_false(v2c_links_is_local("other", local));
        assert_false(v2c_links_is_local("10.0.0.1", local));
        assert_false(v2c_links_is_local("1.1.1.1", local));
        /* Without any guest file: loopback only. */
        assert_true(v2c_links_is_local("localhost", NULL));
        assert_true(v2c_links_is_local("127.0.0.53", NULL));
        assert_true(v2c_links_is_local("::1", NULL));
        assert_true(v2c_links_is_local("0.0.0.0", NULL));
        assert_true(v2c_links_is_local("::ffff:127.0.0.1", NULL));
        assert_true(v2c_links_is_local("api.localhost", NULL));
        assert_false(v2c_links_is_local("localhost.example.org", NULL));
        assert_false(v2c_links_is_local("128.0.0.1", NULL));
        assert_false(v2c_links_is_local("", NULL));
}

static void test_socket_is(void **state)
{
        (void) state;
        assert_true(v2c_links_socket_is("/run/php/php8.2-fpm.sock", "php8.2-fpm"));
        assert_true(v2c_links_socket_is("/var/run/postgresql", "postgresql@15-main"));
        assert_true(v2c_links_socket_is("/var/run/postgresql/.s.PGSQL.5432", "postgresql@15-main"));
        assert_true(v2c_links_socket_is("/run/redis/redis-server.sock", "redis-server"));
        assert_true(v2c_links_socket_is("/srv/app/gunicorn.socket", "gunicorn"));
        assert_false(v2c_links_socket_is("/run/php/php8.2-fpm.sock", "nginx"));
        assert_false(v2c_links_socket_is("/tmp/.s.PGSQL.5432", "postgresql"));
        assert_false(v2c_links_socket_is("/run/x.sock", ""));
}

int main(int argc, char **argv)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_nginx),
                cmocka_unit_test(test_nginx_server_outside_upstream),
                cmocka_unit_test(test_apache2),
                cmocka_unit_test(test_haproxy),
                cmocka_unit_test(test_generic),
                cmocka_unit_test(test_generic_hostile),
                cmocka_unit_test(test_limit),
                cmocka_unit_test(test_syntax_of),
                cmocka_unit_test(test_local),
                cmocka_unit_test(test_socket_is),
        };
        return v2c_run_group_tests(argc, argv, tests, NULL, NULL);
}
