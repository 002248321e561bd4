/* Unit tests for the secret detectors (inspect/secrets.c): each kind found
 * where it is and not where it only looks alike, env names without their
 * values, the path filter, and the input limits.  Buffers handed over are
 * exact-size heap copies without a NUL, so AddressSanitizer catches any
 * read past their end. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "unit-main.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cleanup.h"
#include "error.h"
#include "secrets.h"
#include "strv.h"

static unsigned classify_n(const char *path, const char *data, size_t len)
{
        _cleanup_free_ char *copy = malloc(len ? len : 1);
        assert_non_null(copy);
        memcpy(copy, data, len);
        unsigned kinds = 0xdead;
        struct v2c_error *err = NULL;
        assert_int_equal(v2c_secret_classify(path, copy, len, &kinds, &err), 0);
        assert_null(err);
        return kinds;
}

static unsigned classify(const char *path, const char *text)
{
        return classify_n(path, text, strlen(text));
}

static char *env_names(const char *text)
{
        size_t len = strlen(text);
        _cleanup_free_ char *copy = malloc(len ? len : 1);
        memcpy(copy, text, len);
        _cleanup_strv_ char **names = NULL;
        assert_int_equal(v2c_secret_env_names(copy, len, &names, NULL), 0);
        struct v2c_buf b;
        v2c_buf_init(&b, 1 << 20);
        for (size_t i = 0; names && names[i]; i++)
                assert_int_equal(v2c_buf_appendf(&b, "%s\n", names[i]), 0);
        return v2c_buf_steal(&b);
}

#define ASSERT_ENV(text, want)                                                  \
        do {                                                                    \
                _cleanup_free_ char *got_ = env_names(text);                    \
                assert_string_equal(got_, want);                                \
        } while (0)

static bool secret_name(const char *name)
{
        return v2c_secret_var_is_secret(name, strlen(name));
}

static const char rsa_key[] =
        "-----BEGIN RSA PRIVATE KEY-----\n"
        "MIIEowIBAAKCAQEAx1Kx0PNZrQ2a3oeCk4Lw6mAtP6dxCE7v5Yk8yHK3OGJ2/example\n"
        "-----END RSA PRIVATE KEY-----\n";

/* ------------------------------------------------------------------------
 * Kinds
 */

static void test_private_keys(void **state)
{
        (void) state;
        static const char *const labels[] = {
                "RSA PRIVATE KEY", "EC PRIVATE KEY", "DSA PRIVATE KEY", "OPENSSH PRIVATE KEY",
                "ENCRYPTED PRIVATE KEY", "PRIVATE KEY", "PGP PRIVATE KEY BLOCK",
        };
        for (size_t i = 0; i < V2C_ARRAY_SIZE(labels); i++) {
                char buf[256];
                snprintf(buf, sizeof(buf), "junk\n-----BEGIN %s-----\nAAAA\n-----END %s-----\n",
                         labels[i], labels[i]);
                assert_int_equal(classify("/srv/app/key.pem", buf), V2C_SECRET_PRIVATE_KEY);
        }
        /* Certificates and public keys are not secrets. */
        assert_int_equal(classify("/etc/ssl/certs/a.pem",
                                  "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"),
                         0);
        assert_int_equal(classify("/x.pem", "-----BEGIN PUBLIC KEY-----\nMIIB\n"), 0);
        assert_int_equal(classify("/x.pem", "-----BEGIN RSA PRIVATE KEY"), 0);
        assert_int_equal(classify("/x.pem", "-----BEGIN private key-----"), 0);
        /* A marker cut by the end of the buffer. */
        assert_int_equal(classify("/x.pem", "-----BEGIN PRIVATE KEY----"), 0);

        /* Binary content: the PEM marker still counts, nothing else does. */
        static const char bin[] = "\x00\x01" "AKIAIOSFODNN7EXAMPLE\n"
                                  "DB_PASSWORD=hunter2\n"
                                  "-----BEGIN EC PRIVATE KEY-----\n";
        assert_int_equal(classify_n("/x.bin", bin, sizeof(bin) - 1), V2C_SECRET_PRIVATE_KEY);
        static const char bin2[] = "\x00" "AKIAIOSFODNN7EXAMPLE DB_PASSWORD=x";
        assert_int_equal(classify_n("/x.bin", bin2, sizeof(bin2) - 1), 0);
}

static void test_ssh_host_key(void **state)
{
        (void) state;
        assert_int_equal(classify("/etc/ssh/ssh_host_ed25519_key", rsa_key),
                         V2C_SECRET_PRIVATE_KEY | V2C_SECRET_SSH_HOST_KEY);
        /* By path alone, whatever the content looks like. */
        assert_int_equal(classify("/sysroot/etc/ssh/ssh_host_rsa_key", "opaque"),
                         V2C_SECRET_SSH_HOST_KEY);
        assert_int_equal(classify("etc/ssh/ssh_host_ecdsa_key", "x"), V2C_SECRET_SSH_HOST_KEY);
        assert_int_equal(classify("/etc/ssh/ssh_host_rsa_key.pub", "ssh-rsa AAAA"), 0);
        assert_int_equal(classify("/etc/ssh/ssh_host_rsa_key", ""), 0);
        assert_int_equal(classify("/etc/openssh/ssh_host_rsa_key", "x"), 0);
        assert_int_equal(classify("/etc/ssh/ssh_host__key", "x"), 0);
}

static void test_aws(void **state)
{
        (void) state;
        assert_int_equal(classify("/root/.aws/credentials",
                                  "[default]\n"
                                  "aws_access_key_id = AKIAIOSFODNN7EXAMPLE\n"
                                  "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n"),
                         V2C_SECRET_AWS_CREDENTIALS | V2C_SECRET_AWS_ACCESS_KEY_ID |
                                 V2C_SECRET_ENV);
        assert_int_equal(classify(NULL, "  AWS_SECRET_ACCESS_KEY=abc\n"),
                         V2C_SECRET_AWS_CREDENTIALS | V2C_SECRET_ENV);
        /* Mentioned, not set. */
        assert_int_equal(classify(NULL, "aws_secret_access_key =\n"), 0);
        assert_int_equal(classify(NULL, "# aws configure set aws_secret_access_key $X\n"), 0);

        assert_int_equal(classify("/app/config.js", "const id = 'AKIAIOSFODNN7EXAMPLE';"),
                         V2C_SECRET_AWS_ACCESS_KEY_ID);
        assert_int_equal(classify(NULL, "ASIAY34FZKBOKMUTVV7A"), V2C_SECRET_AWS_ACCESS_KEY_ID);
        /* Inside a longer run, too short, lower case: not a key id. */
        assert_int_equal(classify(NULL, "xAKIAIOSFODNN7EXAMPLE"), 0);
        assert_int_equal(classify(NULL, "AKIAIOSFODNN7EXAMPLEX"), 0);
        assert_int_equal(classify(NULL, "AKIAIOSFODNN7EXAMPL"), 0);
        assert_int_equal(classify(NULL, "AKIAiosfodnn7example"), 0);
        assert_int_equal(classify(NULL, "AIDAIOSFODNN7EXAMPLE"), 0);
}

static void test_gcp(void **state)
{
        (void) state;
        assert_int_equal(classify("/srv/sa.json",
                                  "{\n  \"type\": \"service_account\",\n  \"project_id\": \"p\",\n"
                                  "  \"private_key_id\": \"abc\",\n"
                                  "  \"private_key\" : \"-----BEGIN PRIVATE KEY-----\\nMII\\n\"\n}"),
                         V2C_SECRET_GCP_SERVICE_ACCOUNT | V2C_SECRET_PRIVATE_KEY);
        assert_int_equal(classify(NULL, "{\"private_key\":\"x\",\"type\":\"service_account\"}"),
                         V2C_SECRET_GCP_SERVICE_ACCOUNT);
        /* An authorized_user file or a bare mention is not one. */
        assert_int_equal(classify(NULL, "{\"type\": \"authorized_user\", \"private_key\": \"x\"}"), 0);
        assert_int_equal(classify(NULL, "{\"type\": \"service_account\", \"client_email\": \"x\"}"), 0);
        assert_int_equal(classify(NULL, "{\"type\": \"service_account\", \"private_key_id\": \"x\"}"), 0);
}

static void test_config_password(void **state)
{
        (void) state;
        assert_int_equal(classify("/etc/redis/redis.conf", "port 6380\nrequirepass s3cret\n"),
                         V2C_SECRET_CONFIG_PASSWORD);
        assert_int_equal(classify(NULL, "  masterauth \"x y\"\n"), V2C_SECRET_CONFIG_PASSWORD);
        /* KEY = VALUE lines are env-secret's. */
        assert_int_equal(classify(NULL, "[db]\npassword = hunter2\n"), V2C_SECRET_ENV);
        assert_int_equal(classify(NULL, "admin.Password: hunter2\n"), V2C_SECRET_CONFIG_PASSWORD);
        assert_int_equal(classify(NULL, "client_secret hunter2;\n"), V2C_SECRET_CONFIG_PASSWORD);
        /* Switches, proxies, references, comments and empty values are not. */
        assert_int_equal(classify("/etc/ssh/sshd_config", "PasswordAuthentication no\nPermitEmptyPasswords no\n"), 0);
        assert_int_equal(classify(NULL, "location / {\n  proxy_pass http://127.0.0.1:8000/;\n}\n"), 0);
        assert_int_equal(classify(NULL, "password: ${DB_PASSWORD}\n# requirepass x\npassword:\n"), 0);
        assert_int_equal(classify(NULL, "passwordfile /etc/x\nrequirepassword\n"), 0);
        /* PAM rules name a module stack, not a password: Debian's
         * /etc/pam.d/su-l and common-password. */
        assert_int_equal(classify("/etc/pam.d/su-l", "#%PAM-1.0\nauth\tinclude\t\tsu\n"
                                                      "account\tinclude\t\tsu\n"
                                                      "password\tinclude\t\tsu\n"
                                                      "session\toptional\tpam_keyinit.so force revoke\n"),
                         0);
        assert_int_equal(classify("/etc/pam.d/common-password",
                                  "password\t[success=1 default=ignore]\tpam_unix.so obscure yescrypt\n"
                                  "password\trequisite\t\t\tpam_deny.so\n"
                                  "-password\toptional\tpam_gnome_keyring.so\n"),
                         0);
        /* nsswitch.conf's passwd database and its sources. */
        assert_int_equal(classify("/etc/nsswitch.conf", "passwd:         files systemd\n"
                                                        "shadow:         files [NOTFOUND=return] sss\n"),
                         0);
        /* Prose and commands that start with the word. */
        assert_int_equal(classify(NULL, "password for connecting to Netbeans.\npasswd -d root\n"), 0);
        /* ... while a one-word value after the key still is one. */
        assert_int_equal(classify(NULL, "HTTPProxyPassword mypass\n"), V2C_SECRET_CONFIG_PASSWORD);
        assert_int_equal(classify(NULL, "passwd: files-and-more\n"), V2C_SECRET_CONFIG_PASSWORD);
}

static void test_env_secret(void **state)
{
        (void) state;
        assert_int_equal(classify("/srv/app/.env", "DEBUG=1\nDB_PASSWORD=hunter2\n"), V2C_SECRET_ENV);
        assert_int_equal(classify("/etc/default/app", "export API_KEY=\"abc\"\n"), V2C_SECRET_ENV);
        assert_int_equal(classify(NULL, "DATABASE_URL=postgres://app:s3cret@db:5432/app\n"),
                         V2C_SECRET_ENV);
        /* Empty values, comments, the working directory, no '='. */
        assert_int_equal(classify(NULL, "DB_PASSWORD=\nTOKEN=\"\"\n# SECRET=x\nPWD=/root\n"
                                        "OLDPWD=/\nPasswordAuthentication no\n"),
                         0);
        assert_int_equal(classify(NULL, "DATABASE_URL=postgres://app@db/app\n"
                                        "URL=https://example.com/a:b@c\n"),
                         0);
}

static void test_pgpass(void **state)
{
        (void) state;
        assert_int_equal(classify("/var/lib/postgresql/.pgpass",
                                  "# hostname:port:database:username:password\n"
                                  "db.example.com:5432:*:app:s3cr:et\n"),
                         V2C_SECRET_PGPASS);
        /* Any other name: every line must be exactly five fields. */
        assert_int_equal(classify("/srv/pgpass.txt", "localhost:*:app:app:pw\n*:5432:*:*:a\\:b\n"),
                         V2C_SECRET_PGPASS);
        assert_int_equal(classify("/etc/passwd",
                                  "root:x:0:0:root:/root:/bin/bash\n"
                                  "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"),
                         0);
        assert_int_equal(classify("/etc/group", "root:x:0:\nadm:x:4:syslog\n"), 0);
        assert_int_equal(classify("/srv/x", "localhost:*:app:app:pw\nnot a pgpass line\n"), 0);
        /* Empty password, or a port that is no port. */
        assert_int_equal(classify("/root/.pgpass", "localhost:5432:app:app:\n"), 0);
        assert_int_equal(classify("/root/.pgpass", "localhost:http:app:app:pw\n"), 0);
}

static void test_netrc(void **state)
{
        (void) state;
        assert_int_equal(classify("/root/.netrc", "machine api.heroku.com\n  login me\n  password tok\n"),
                         V2C_SECRET_NETRC);
        assert_int_equal(classify("/home/u/_netrc", "default password x"), V2C_SECRET_NETRC);
        assert_int_equal(classify("/srv/netrc.bak", "machine h login u password p"), V2C_SECRET_NETRC);
        /* Prose is not a netrc, nor is a keyword without its value. */
        assert_int_equal(classify("/etc/default/app", "# the default password is changeme\n"), 0);
        assert_int_equal(classify("/root/.netrc", "machine h login u password"), 0);
        /* Debian's /etc/default/useradd: the three keywords in comments. */
        assert_int_equal(classify("/etc/default/useradd",
                                  "# The default\n# login shell on your\n# a password expires until\nSHELL=/bin/sh\n"),
                         0);
}

static void test_htpasswd(void **state)
{
        (void) state;
        static const char lines[] =
                "alice:$apr1$r31.....$HqJZimcKQFAMYayBlzkrA/\n"
                "bob:$2y$05$c4WoMPo3SXsafkva.HHa6uXQZWr7oboPiC2bT/r7q1BB8I2s0BRqC\n"
                "carol:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=\n"
                "dave:$6$rounds=5000$saltsalt$abcdefghijklmnopqrstuvwxyzABCDEF\n"
                "eve:$5$salt$hash0123456789\n"
                "frank:rl0oRM6bxnGRw\n";
        assert_int_equal(classify("/etc/nginx/.htpasswd", lines), V2C_SECRET_HTPASSWD);
        assert_int_equal(classify("/srv/users.txt", lines), V2C_SECRET_HTPASSWD);
        assert_int_equal(classify("/etc/apache2/site.htpasswd", "x:$1$salt$hash\n"),
                         V2C_SECRET_HTPASSWD);
        /* Named htpasswd: one good line is enough; elsewhere all must be. */
        assert_int_equal(classify("/etc/htpasswd", "junk\nalice:$apr1$r31.....$HqJZimcKQFAMYayBlzkrA/\n"),
                         V2C_SECRET_HTPASSWD);
        assert_int_equal(classify("/srv/x", "junk\nalice:$apr1$r31.....$HqJZimcKQFAMYayBlzkrA/\n"), 0);
        /* Not hashes: plain text, wrong lengths, shadow's extra fields. */
        assert_int_equal(classify("/srv/x", "name:value\n"), 0);
        assert_int_equal(classify("/srv/x", "bob:$2y$05$short\n"), 0);
        assert_int_equal(classify("/srv/x", "carol:{SHA}short=\n"), 0);
        assert_int_equal(classify("/etc/shadow", "root:$6$salt$hash:19000:0:99999:7:::\n"), 0);
        assert_int_equal(classify("/srv/x", "a b:rl0oRM6bxnGRw\n"), 0);
}

static void test_classify_limits(void **state)
{
        (void) state;
        unsigned kinds = 77;
        struct v2c_error *err = NULL;
        assert_int_equal(v2c_secret_classify("/x", "", V2C_SECRET_MAX_INPUT + 1, &kinds, &err),
                         -EFBIG);
        assert_int_equal(kinds, 77);
        assert_non_null(err);
        err = v2c_error_free(err);
        assert_int_equal(v2c_secret_classify("/x", NULL, 5, &kinds, &err), -EINVAL);
        assert_int_equal(kinds, 77);
        err = v2c_error_free(err);
        assert_int_equal(v2c_secret_classify(NULL, NULL, 0, &kinds, NULL), 0);
        assert_int_equal(kinds, 0);

        /* A full-size buffer of near-misses stays linear and finds nothing. */
        size_t len = V2C_SECRET_MAX_INPUT;
        _cleanup_free_ char *big = malloc(len);
        static const char pattern[] = "-----BEGIN A AKIA ";
        for (size_t i = 0; i < len; i++)
                big[i] = pattern[i % (sizeof(pattern) - 1)];
        assert_int_equal(v2c_secret_classify("/x", big, len, &kinds, NULL), 0);
        assert_int_equal(kinds, 0);

        /* Messages never quote content. */
        assert_int_equal(v2c_secret_env_names("SECRET=x", V2C_SECRET_MAX_INPUT + 1, NULL, &err),
                         -EFBIG);
        assert_null(strstr(err->msg, "SECRET"));
        v2c_error_free(err);
}

static void test_kind_names(void **state)
{
        (void) state;
        assert_string_equal(v2c_secret_kind_name(V2C_SECRET_PRIVATE_KEY), "private-key");
        assert_string_equal(v2c_secret_kind_name(V2C_SECRET_HTPASSWD), "htpasswd");
        assert_string_equal(v2c_secret_kind_name(V2C_SECRET_ENV), "env-secret");
        assert_null(v2c_secret_kind_name(0));
        assert_null(v2c_secret_kind_name(V2C_SECRET_ENV | V2C_SECRET_NETRC));
        assert_null(v2c_secret_kind_name(1u << 20));

        _cleanup_strv_ char **names = NULL;
        assert_int_equal(v2c_secret_kind_names(V2C_SECRET_SSH_HOST_KEY | V2C_SECRET_PRIVATE_KEY,
                                               &names, NULL),
                         0);
        assert_int_equal(v2c_strv_len(names), 2);
        assert_string_equal(names[0], "private-key");
        assert_string_equal(names[1], "ssh-host-key");
        char **none = (char **) 1;
        assert_int_equal(v2c_secret_kind_names(0, &none, NULL), 0);
        assert_null(none);
}

/* ------------------------------------------------------------------------
 * Variable names
 */

static void test_var_names(void **state)
{
        (void) state;
        static const char *const secret[] = {
                "PASSWORD", "DB_PASSWORD", "MYSQL_ROOT_PASSWORD", "dbPassword", "DBPASSWORD",
                "PASSWD", "DB_PWD", "MYSQL_PWD", "dbPwd", "DB_PASS", "PG_PW", "SECRET",
                "CLIENT_SECRET", "SECRET_KEY_BASE", "GITHUB_TOKEN", "githubToken", "AUTHTOKEN",
                "NPM_TOKENS", "API_KEY", "APIKEY", "apiKey", "AWS_ACCESS_KEY_ID", "PRIVATE_KEY",
                "CREDENTIALS", "GOOGLE_APPLICATION_CREDENTIAL", "DOCKER_CREDS", "BASIC_AUTH",
                "AUTH", "AUTH_KEY", "SECURE_AUTH_SALT", "spring.datasource.password",
                "SSH_PASSPHRASE", "x-auth-token",
        };
        for (size_t i = 0; i < V2C_ARRAY_SIZE(secret); i++)
                if (!secret_name(secret[i]))
                        fail_msg("%s should be secret", secret[i]);

        static const char *const plain[] = {
                "PWD", "OLDPWD", "pwd", "PATH", "HOME", "LANG", "AUTHOR", "AUTH_TYPE",
                "AUTHENTICATION_METHOD", "OAUTH_ENABLED", "TOKENIZER_PARALLELISM", "KEYBOARD",
                "PASSENGER_ENV", "DB_HOST", "SSH_AUTH_SOCK", "", "BAD NAME", "A=B",
        };
        for (size_t i = 0; i < V2C_ARRAY_SIZE(plain); i++)
                if (secret_name(plain[i]))
                        fail_msg("%s should not be secret", plain[i]);

        /* Not NUL-terminated: only len bytes count. */
        assert_false(v2c_secret_var_is_secret("PWDSECRET", 3));
        assert_true(v2c_secret_var_is_secret("DB_PWDX", 6));
        assert_false(v2c_secret_var_is_secret(NULL, 0));

        char long_name[V2C_SECRET_MAX_NAME + 2];
        memset(long_name, 'A', sizeof(long_name));
        memcpy(long_name, "PASSWORD", 8);
        assert_false(v2c_secret_var_is_secret(long_name, sizeof(long_name)));
        assert_true(v2c_secret_var_is_secret(long_name, V2C_SECRET_MAX_NAME));
}

static void test_env_names(void **state)
{
        (void) state;
        ASSERT_ENV("# app settings\n"
                   "DEBUG=1\n"
                   "DB_PASSWORD=hunter2\n"
                   "export API_KEY='abc'\n"
                   "export\tGITHUB_TOKEN = \"ghp_x\"   # comment\n"
                   "  SECRET_KEY_BASE=x # note\n"
                   "EMPTY_TOKEN=\n"
                   "QUOTED_EMPTY_PASSWORD=\"\"\n"
                   "COMMENT_ONLY_SECRET= # nothing\n"
                   "PWD=/srv\n"
                   "DATABASE_URL=mysql://root:pw@db/app\n"
                   "DB_PASSWORD=again\n"
                   "PRIVATE_KEY=\"-----BEGIN RSA PRIVATE KEY-----\n"
                   "MIIE=\n"
                   "NOT_A_NAME=inside the quoted value\n"
                   "-----END RSA PRIVATE KEY-----\"\n"
                   "AFTER_PASSWORD=yes\n"
                   "1BAD_PASSWORD=x\n"
                   "export=1\n",
                   "AFTER_PASSWORD\nAPI_KEY\nDATABASE_URL\nDB_PASSWORD\nGITHUB_TOKEN\nPRIVATE_KEY\n"
                   "SECRET_KEY_BASE\n");

        /* CRLF, an unterminated quote that must not swallow later lines,
         * escaped quotes, and no newline at the end. */
        ASSERT_ENV("A_TOKEN=\"x\r\nB_SECRET=\"unterminated\nC_PASSWORD=\"a\\\"b\"\nD_PASS=z",
                   "A_TOKEN\nB_SECRET\nC_PASSWORD\nD_PASS\n");
        ASSERT_ENV("", "");
        ASSERT_ENV("DEBUG=1\n", "");

        /* Values are never returned: no name holds a value's text. */
        _cleanup_free_ char *got = env_names("DB_PASSWORD=hunter2\n");
        assert_null(strstr(got, "hunter2"));

        _cleanup_strv_ char **names = (char **) 1;
        assert_int_equal(v2c_secret_env_names(NULL, 0, &names, NULL), 0);
        assert_null(names);
}

static void test_env_names_limit(void **state)
{
        (void) state;
        /* More distinct names than the cap: -E2BIG.  Repeats are fine. */
        struct v2c_buf b;
        v2c_buf_init(&b, V2C_SECRET_MAX_INPUT);
        for (int i = 0; i < V2C_SECRET_MAX_NAMES + 10; i++)
                assert_int_equal(v2c_buf_appendf(&b, "T%d_TOKEN=x\n", i), 0);
        _cleanup_free_ char *many = v2c_buf_steal(&b);
        char **names = NULL;
        struct v2c_error *err = NULL;
        assert_int_equal(v2c_secret_env_names(many, strlen(many), &names, &err), -E2BIG);
        assert_null(names);
        v2c_error_free(err);

        v2c_buf_init(&b, V2C_SECRET_MAX_INPUT);
        for (int i = 0; i < V2C_SECRET_MAX_NAMES + 10; i++)
                assert_int_equal(v2c_buf_appends(&b, "A_TOKEN=x\n"), 0);
        _cleanup_free_ char *same = v2c_buf_steal(&b);
        assert_int_equal(v2c_secret_env_names(same, strlen(same), &names, NULL), 0);
        assert_int_equal(v2c_strv_len(names), 1);
        v2c_strv_free(names);
}

/* ------------------------------------------------------------------------
 * Path filter
 */

static void test_candidates(void **state)
{
        (void) state;
        static const char *const yes[] = {
                "/root/.ssh/id_rsa", "/home/u/.ssh/id_ed25519", "/home/u/.ssh/id_ecdsa_sk",
                "/home/u/.ssh/deploy_key", "/home/u/id_rsa", "/etc/ssl/private/site.key",
                "/srv/app/cert.PEM", "/root/.aws/credentials", "/var/lib/postgresql/.pgpass",
                "/root/.netrc", "/home/u/_netrc", "/var/www/.htpasswd", "/etc/nginx/htpasswd",
                "/etc/apache2/admin.htpasswd", "/srv/app/.env", "/srv/app/.env.production",
                "/srv/app/prod.env", "/etc/ssh/ssh_host_rsa_key", "/etc/ssh/ssh_host_ed25519_key",
                "/srv/gcp-service-account.json", "/srv/my_service_account_key.json",
                "/srv/google-credentials.json", "/etc/default/myapp", "/run/secrets/db_password",
                "/var/lib/app/secrets/x/y", "secrets/token", "etc/default/grub",
        };
        for (size_t i = 0; i < V2C_ARRAY_SIZE(yes); i++)
                if (!v2c_secret_name_is_candidate(yes[i]))
                        fail_msg("%s should be a candidate", yes[i]);

        static const char *const no[] = {
                "/root/.ssh/id_rsa.pub", "/root/.ssh/known_hosts", "/root/.ssh/known_hosts.old",
                "/root/.ssh/authorized_keys", "/root/.ssh/config", "/etc/ssh/ssh_host_rsa_key.pub",
                "/etc/ssh/sshd_config", "/root/credentials", "/srv/app/package.json",
                "/etc/default/", "/etc/default/grub.d/x.cfg", "/usr/share/doc/secrets.txt",
                "/srv/mysecrets/x", "/srv/environment", "/srv/.envrc", "", "/", "/etc/passwd",
                "/srv/key", "/srv/app/keys.json",
        };
        for (size_t i = 0; i < V2C_ARRAY_SIZE(no); i++)
                if (v2c_secret_name_is_candidate(no[i]))
                        fail_msg("%s should not be a candidate", no[i]);
        assert_false(v2c_secret_name_is_candidate(NULL));
}

int main(int argc, char **argv)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_private_keys),
                cmocka_unit_test(test_ssh_host_key),
                cmocka_unit_test(test_aws),
                cmocka_unit_test(test_gcp),
                cmocka_unit_test(test_env_secret),
                cmocka_unit_test(test_pgpass),
                cmocka_unit_test(test_netrc),
                cmocka_unit_test(test_config_password),
                cmocka_unit_test(test_htpasswd),
                cmocka_unit_test(test_classify_limits),
                cmocka_unit_test(test_kind_names),
                cmocka_unit_test(test_var_names),
                cmocka_unit_test(test_env_names),
                cmocka_unit_test(test_env_names_limit),
                cmocka_unit_test(test_candidates),
        };
        return v2c_run_group_tests(argc, argv, tests, NULL, NULL);
}
