/* Unit tests for the files a server's configuration names
 * (inspect/config-refs.c): each format on configs shaped like the ones
 * Debian ships, includes through a fake guest, variables and non-files left
 * out, include loops and the limits.  Buffers are exact-size heap copies
 * without a NUL, so AddressSanitizer catches any read past them. */
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
#include "config-refs-internal.h"
#include "error.h"
#include "strv.h"

/* A fake guest: NULL-terminated pairs of path and content. */
struct fake_fs {
        const char *const *files;
};

static int fake_read_include(void *ctx, const char *pattern, v2c_include_file_cb cb, void *state,
                             struct v2c_error **err)
{
        const struct fake_fs *fs = ctx;
        for (size_t i = 0; fs->files[i]; i += 2) {
                if (fnmatch(pattern, fs->files[i], FNM_PATHNAME) != 0)
                        continue;
                size_t len = strlen(fs->files[i + 1]);
                char *copy = malloc(len ? len : 1);
                assert_non_null(copy);
                memcpy(copy, fs->files[i + 1], len);
                int r = cb(state, fs->files[i], copy, len, err);
                free(copy);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* The refs of CONF (path PATH) as one "PATH\n" line each; files: the fake
 * guest its includes read (may be NULL). */
static char *refs_of(enum v2c_refs_server server, const char *path, const char *conf, const char *const *files)
{
        size_t len = strlen(conf);
        char *copy = malloc(len ? len : 1);
        assert_non_null(copy);
        memcpy(copy, conf, len);
        struct fake_fs fs = { files };
        struct v2c_include_reader inc = { fake_read_include, &fs };
        char **refs = NULL;
        struct v2c_error *err = NULL;
        int r = v2c_config_refs(server, path, copy, len, files ? &inc : NULL, &refs, &err);
        free(copy);
        if (r < 0)
                fail_msg("v2c_config_refs: %s", err ? err->msg : "?");
        struct v2c_buf b;
        v2c_buf_init(&b, 1 << 20);
        for (size_t i = 0; refs && refs[i]; i++)
                assert_int_equal(v2c_buf_appendf(&b, "%s\n", refs[i]), 0);
        v2c_strv_free(refs);
        char *s = v2c_buf_steal(&b);
        return s ? s : strdup("");
}

static void assert_refs(enum v2c_refs_server server, const char *path, const char *conf, const char *const *files,
                        const char *want)
{
        _cleanup_free_ char *got = refs_of(server, path, conf, files);
        assert_string_equal(got, want);
}

static void test_nginx(void **state)
{
        (void) state;
        static const char *const files[] = {
                "/etc/nginx/sites-enabled/tls",
                "server {\n"
                "  listen 443 ssl;\n"
                "  ssl_certificate /etc/ssl/certs/site.crt;\n"
                "  ssl_certificate_key \"/etc/ssl/private/site key.pem\";  # quoted, with a blank\n"
                "  ssl_password_file /etc/nginx/ssl.pass;\n"
                "  ssl_trusted_certificate /etc/ssl/certs/chain.pem;\n"
                "  ssl_dhparam dhparam.pem;\n"
                "  include snippets/auth.conf;\n"
                "  ssl_certificate_key $ssl_server_name.key;\n"
                "  ssl_certificate data:$cert;\n"
                "  ssl_certificate_key engine:pkcs11:id_45;\n"
                "  location /x { proxy_ssl_certificate_key /etc/nginx/upstream.key; }\n"
                "}\n",
                "/etc/nginx/snippets/auth.conf", "auth_basic_user_file /etc/nginx/.htpasswd;\n",
                NULL,
        };
        assert_refs(V2C_REFS_NGINX, "/etc/nginx/nginx.conf",
                    "user www-data;\n# ssl_certificate_key /commented/out.key;\n"
                    "http {\n  include /etc/nginx/sites-enabled/*;\n}\n",
                    files,
                    "/etc/nginx/.htpasswd\n/etc/nginx/dhparam.pem\n/etc/nginx/ssl.pass\n/etc/nginx/upstream.key\n"
                    "/etc/ssl/certs/chain.pem\n/etc/ssl/certs/site.crt\n/etc/ssl/private/site key.pem\n");
        /* Without an include reader, only the main file counts. */
        assert_refs(V2C_REFS_NGINX, "/etc/nginx/nginx.conf", "ssl_certificate_key k.pem; include x/*;", NULL,
                    "/etc/nginx/k.pem\n");
        /* A relative name without a main file path has no base. */
        assert_refs(V2C_REFS_NGINX, NULL, "ssl_certificate_key k.pem; ssl_certificate /a/b.crt;", NULL,
                    "/a/b.crt\n");
        /* Unterminated quotes and stray braces end nothing badly. */
        assert_refs(V2C_REFS_NGINX, "/etc/nginx/nginx.conf", "}}} ssl_certificate \"/x", NULL, "");
}

static void test_apache2(void **state)
{
        (void) state;
        static const char *const files[] = {
                "/etc/apache2/sites-enabled/default-ssl.conf",
                "<VirtualHost _default_:443>\n"
                "\tSSLEngine on\n"
                "\tSSLCertificateFile\t/etc/ssl/certs/ssl-cert-snakeoil.pem\n"
                "\tsslcertificatekeyfile \"/etc/ssl/private/ssl-cert-snakeoil.key\"\n"
                "\tSSLCertificateChainFile ${APACHE_CHAIN}\n"
                "\t<Location /admin>\n\t\tAuthUserFile conf/htpasswd\n\t</Location>\n"
                "</VirtualHost>\n",
                NULL,
        };
        assert_refs(V2C_REFS_APACHE2, "/etc/apache2/apache2.conf",
                    "ServerRoot \"/etc/apache2\"\nIncludeOptional sites-enabled/*.conf\n", files,
                    "/etc/apache2/conf/htpasswd\n/etc/ssl/certs/ssl-cert-snakeoil.pem\n"
                    "/etc/ssl/private/ssl-cert-snakeoil.key\n");
        /* The RHEL family's httpd.conf: TypesConfig names /etc/mime.types,
         * without which httpd does not start (mailcap owns it there). */
        assert_refs(V2C_REFS_APACHE2, "/etc/httpd/conf/httpd.conf",
                    "ServerRoot \"/etc/httpd\"\n<IfModule mime_module>\n    TypesConfig /etc/mime.types\n</IfModule>\n"
                    "MIMEMagicFile conf/magic\n",
                    NULL, "/etc/httpd/conf/magic\n/etc/mime.types\n");
}

static void test_haproxy(void **state)
{
        (void) state;
        assert_refs(V2C_REFS_HAPROXY, "/etc/haproxy/haproxy.cfg",
                    "global\n"
                    "  crt-base /etc/haproxy/certs\n"
                    "  ca-base /etc/ssl/certs\n"
                    "frontend https\n"
                    "  bind :443 ssl crt site.pem crt /etc/ssl/private/other.pem ca-file ca.pem alpn h2\n"
                    "  bind :8443 ssl crt-list /etc/haproxy/crt-list.txt\n"
                    "backend app\n"
                    "  server s1 10.0.0.1:443 ssl crt client.pem verify none # ca-file ignored.pem\n"
                    "  option httpchk GET /crt\n",
                    NULL,
                    "/etc/haproxy/certs/client.pem\n/etc/haproxy/certs/site.pem\n/etc/haproxy/crt-list.txt\n"
                    "/etc/ssl/certs/ca.pem\n/etc/ssl/private/other.pem\n");
}

static void test_postfix(void **state)
{
        (void) state;
        assert_refs(V2C_REFS_POSTFIX, "/etc/postfix/main.cf",
                    "# TLS parameters\n"
                    "smtpd_tls_cert_file=/etc/ssl/certs/ssl-cert-snakeoil.pem\n"
                    "smtpd_tls_key_file = /etc/ssl/private/ssl-cert-snakeoil.key\n"
                    "smtpd_tls_chain_files = /etc/ssl/private/rsa.pem,\n"
                    "    /etc/ssl/private/ecdsa.pem\n"
                    "smtp_sasl_password_maps = hash:/etc/postfix/sasl_passwd\n"
                    "smtp_tls_CAfile = $config_directory/ca.pem\n"
                    "smtpd_tls_security_level = may\n"
                    "virtual_alias_maps = hash:/etc/postfix/virtual\n",
                    NULL,
                    "/etc/postfix/sasl_passwd\n/etc/postfix/sasl_passwd.db\n/etc/ssl/certs/ssl-cert-snakeoil.pem\n"
                    "/etc/ssl/private/ecdsa.pem\n/etc/ssl/private/rsa.pem\n/etc/ssl/private/ssl-cert-snakeoil.key\n");
}

static void test_dovecot(void **state)
{
        (void) state;
        static const char *const files[] = {
                "/etc/dovecot/conf.d/10-ssl.conf",
                "ssl = required\nssl_cert = </etc/dovecot/private/dovecot.pem\nssl_key = </etc/dovecot/private/dovecot.key\n",
                "/etc/dovecot/conf.d/auth-passwdfile.conf.ext",
                "passdb {\n  driver = passwd-file\n  args = scheme=CRYPT username_format=%u /etc/dovecot/users\n}\n"
                "userdb {\n  driver = passwd-file\n  args = file=/etc/dovecot/users.db default_fields=home=/home/%u\n}\n",
                NULL,
        };
        assert_refs(V2C_REFS_DOVECOT, "/etc/dovecot/dovecot.conf",
                    "!include conf.d/*.conf\n!include_try conf.d/auth-passwdfile.conf.ext\n"
                    "ssl_ca = /etc/ssl/not-a-file-reference\n",
                    files,
                    "/etc/dovecot/private/dovecot.key\n/etc/dovecot/private/dovecot.pem\n/etc/dovecot/users\n"
                    "/etc/dovecot/users.db\n");
}

static void test_redis_postgresql_mysql(void **state)
{
        (void) state;
        assert_refs(V2C_REFS_REDIS, "/etc/redis/redis.conf",
                    "port 0\ntls-port 6379\ntls-cert-file /etc/redis/tls/redis.crt\n"
                    "tls-key-file \"/etc/redis/tls/redis.key\"\naclfile users.acl\n",
                    NULL, "/etc/redis/tls/redis.crt\n/etc/redis/tls/redis.key\n/etc/redis/users.acl\n");
        static const char *const pg_files[] = {
                "/etc/postgresql/15/main/conf.d/ssl.conf", "ssl_key_file = 'server.key'\n", NULL,
        };
        assert_refs(V2C_REFS_POSTGRESQL, "/etc/postgresql/15/main/postgresql.conf",
                    "data_directory = '/var/lib/postgresql/15/main'\n"
                    "hba_file = '/etc/postgresql/15/main/pg_hba.conf'\n"
                    "ssl_cert_file = '/etc/ssl/certs/ssl-cert-snakeoil.pem'\n"
                    "include_dir 'conf.d'\n",
                    pg_files,
                    "/etc/postgresql/15/main/pg_hba.conf\n/etc/ssl/certs/ssl-cert-snakeoil.pem\n"
                    "/var/lib/postgresql/15/main/server.key\n");
        /* Relative and no data_directory: nothing to resolve it against. */
        assert_refs(V2C_REFS_POSTGRESQL, "/etc/postgresql/15/main/postgresql.conf", "ssl_key_file = 'server.key'\n",
                    NULL, "");
        static const char *const my_files[] = {
                "/etc/mysql/mariadb.conf.d/50-server.cnf",
                "[mysqld]\nssl_cert = /etc/mysql/server-cert.pem\nloose-ssl-key=/etc/mysql/server-key.pem\n"
                "[client]\nssl-key = /home/me/client-key.pem\n",
                NULL,
        };
        assert_refs(V2C_REFS_MYSQL, "/etc/mysql/my.cnf", "[client-server]\n!includedir /etc/mysql/mariadb.conf.d/\n",
                    my_files, "/etc/mysql/server-cert.pem\n/etc/mysql/server-key.pem\n");
}

static void test_include_loop_and_limits(void **state)
{
        (void) state;
        static const char *const loop[] = {
                "/etc/nginx/a.conf", "include /etc/nginx/a.conf;", NULL,
        };
        char conf[] = "include /etc/nginx/a.conf;";
        struct fake_fs fs = { loop };
        struct v2c_include_reader inc = { fake_read_include, &fs };
        char **refs = NULL;
        struct v2c_error *err = NULL;
        assert_int_equal(v2c_config_refs(V2C_REFS_NGINX, "/etc/nginx/nginx.conf", conf, strlen(conf), &inc, &refs,
                                         &err),
                         -ELOOP);
        assert_null(refs);
        err = v2c_error_free(err);

        /* More files named than V2C_REFS_MAX. */
        struct v2c_buf b;
        v2c_buf_init(&b, 1 << 24);
        for (int i = 0; i <= V2C_REFS_MAX; i++)
                assert_int_equal(v2c_buf_appendf(&b, "ssl_certificate /k/%d.pem;\n", i), 0);
        assert_int_equal(v2c_config_refs(V2C_REFS_NGINX, NULL, b.data, b.len, NULL, &refs, &err), -E2BIG);
        assert_null(refs);
        err = v2c_error_free(err);
        v2c_buf_release(&b);

        /* A word longer than V2C_CONFIG_MAX_TOKEN. */
        size_t n = V2C_CONFIG_MAX_TOKEN + 64;
        char *big = malloc(n);
        assert_non_null(big);
        memcpy(big, "ssl_certificate /", 17);
        memset(big + 17, 'a', n - 17);
        assert_int_equal(v2c_config_refs(V2C_REFS_NGINX, NULL, big, n, NULL, &refs, &err), -E2BIG);
        err = v2c_error_free(err);
        free(big);

        assert_int_equal(v2c_config_refs(V2C_REFS_COUNT_, NULL, "", 0, NULL, &refs, &err), -EINVAL);
        v2c_error_free(err);
        assert_int_equal(v2c_refs_server_from_name("MariaDB"), V2C_REFS_MYSQL);
        assert_int_equal(v2c_refs_server_from_name("sendmail"), -EINVAL);
}

/* Every parser on bytes that are no config at all: no crash, no read past
 * the end (ASan), nothing but files. */
static void test_garbage(void **state)
{
        (void) state;
        static const char garbage[] = "\0\"'\\\n{;}# \t=<!include /\xff\xfe ssl_cert = <\n crt \"";
        for (int s = 0; s < V2C_REFS_COUNT_; s++) {
                char *copy = malloc(sizeof garbage - 1);
                assert_non_null(copy);
                memcpy(copy, garbage, sizeof garbage - 1);
                char **refs = NULL;
                struct v2c_error *err = NULL;
                int r = v2c_config_refs((enum v2c_refs_server) s, "/etc/x.conf", copy, sizeof garbage - 1, NULL, &refs,
                                        &err);
                assert_true(r == 0);
                for (size_t i = 0; refs && refs[i]; i++)
                        assert_true(refs[i][0] == '/');
                v2c_strv_free(refs);
                v2c_error_free(err);
                free(copy);
        }
}

int main(int argc, char **argv)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_nginx),
                cmocka_unit_test(test_apache2),
                cmocka_unit_test(test_haproxy),
                cmocka_unit_test(test_postfix),
                cmocka_unit_test(test_dovecot),
                cmocka_unit_test(test_redis_postgresql_mysql),
                cmocka_unit_test(test_include_loop_and_limits),
                cmocka_unit_test(test_garbage),
        };
        return v2c_run_group_tests(argc, argv, tests, NULL, NULL);
}
