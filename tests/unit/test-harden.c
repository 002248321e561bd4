/* Unit tests for the hardened spec (inspect/harden.c): one case per unit
 * directive or fact it maps, each checking the setting and what it says
 * it came from. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "unit-main.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harden-internal.h"
#include "report.h"
#include "strv.h"

/* A systemd service NAME run by USER (NULL: root) with the unit lines
 * given (NULL-terminated). */
static struct v2c_service *service(const char *user, ...)
{
        struct v2c_service *s = calloc(1, sizeof *s);
        assert_non_null(s);
        s->name = strdup("web");
        s->kind = strdup("systemd");
        s->unit_path = strdup("/lib/systemd/system/web.service");
        s->exec_path = strdup("/usr/bin/web");
        s->user = user ? strdup(user) : NULL;
        va_list ap;
        va_start(ap, user);
        for (const char *l; (l = va_arg(ap, const char *));)
                assert_int_equal(v2c_strv_push(&s->unit_sandbox, l), 0);
        va_end(ap);
        return s;
}

static void release(struct v2c_service *s)
{
        v2c_hardening_release(&s->hardening);
        v2c_strv_free(s->unit_sandbox);
        v2c_strv_free(s->capabilities);
        v2c_strv_free(s->runtime_dirs);
        v2c_strv_free(s->rw_paths);
        v2c_strv_free(s->log_files);
        free(s->ports);
        free(s->pid_file);
        free(s->name);
        free(s->kind);
        free(s->unit_path);
        free(s->exec_path);
        free(s->user);
        free(s);
}

/* The capabilities granted, "CAP_A CAP_B". */
static const char *caps(const struct v2c_service *s)
{
        static char buf[1024];
        buf[0] = '\0';
        for (size_t i = 0; i < s->hardening.ncapabilities; i++)
                snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s%s", i ? " " : "",
                         s->hardening.capabilities[i].what);
        return buf;
}

static const char *cap_from(const struct v2c_service *s, const char *name)
{
        for (size_t i = 0; i < s->hardening.ncapabilities; i++)
                if (strcmp(s->hardening.capabilities[i].what, name) == 0)
                        return s->hardening.capabilities[i].from;
        return NULL;
}

static const char *writable(const struct v2c_service *s)
{
        static char buf[1024];
        buf[0] = '\0';
        for (size_t i = 0; i < s->hardening.nwritable; i++)
                snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s%s", i ? " " : "",
                         s->hardening.writable[i].what);
        return buf;
}

static bool has_note(const struct v2c_service *s, const char *part)
{
        for (size_t i = 0; s->hardening.notes && s->hardening.notes[i]; i++)
                if (strstr(s->hardening.notes[i], part))
                        return true;
        return false;
}

static void test_user(void **state)
{
        (void) state;
        struct v2c_service *s = service("www-data", NULL);
        assert_int_equal(inspect_harden(s), 0);
        assert_false(s->hardening.run_as_root);
        assert_string_equal(s->hardening.user_from, "User=www-data (web.service)");
        /* nothing needed, nothing granted; everything else locked */
        assert_string_equal(caps(s), "");
        assert_false(s->hardening.allow_privilege_escalation);
        assert_true(s->hardening.read_only_root);
        assert_string_equal(s->hardening.seccomp, "RuntimeDefault");
        release(s);

        s = service(NULL, NULL);
        assert_int_equal(inspect_harden(s), 0);
        assert_true(s->hardening.run_as_root);
        assert_string_equal(s->hardening.user_from, "no User= (web.service): root on the VM");
        release(s);
        s = service("0", NULL);
        assert_int_equal(inspect_harden(s), 0);
        assert_true(s->hardening.run_as_root);
        release(s);
}

static void test_dynamic_user(void **state)
{
        (void) state;
        struct v2c_service *s = service(NULL, NULL);
        s->dynamic_user = true;
        assert_int_equal(inspect_harden(s), 0);
        assert_false(s->hardening.run_as_root);
        unsigned uid = s->hardening.dynamic_uid;
        assert_true(uid >= V2C_DYNAMIC_UID_MIN && uid <= V2C_DYNAMIC_UID_MAX);
        assert_non_null(strstr(s->hardening.user_from, "DynamicUser=yes (web.service)"));
        /* the same name gives the same uid; another name, another */
        assert_int_equal(inspect_harden(s), 0);
        assert_int_equal(s->hardening.dynamic_uid, uid);
        free(s->name);
        s->name = strdup("api");
        assert_int_equal(inspect_harden(s), 0);
        assert_int_not_equal(s->hardening.dynamic_uid, uid);
        release(s);
}

static void test_root_default_caps(void **state)
{
        (void) state;
        struct v2c_service *s = service(NULL, NULL);
        assert_int_equal(inspect_harden(s), 0);
        assert_string_equal(caps(s), "CAP_CHOWN CAP_DAC_OVERRIDE CAP_FOWNER CAP_FSETID CAP_KILL "
                                     "CAP_NET_BIND_SERVICE CAP_SETFCAP CAP_SETGID CAP_SETPCAP CAP_SETUID "
                                     "CAP_SYS_CHROOT");
        assert_non_null(strstr(cap_from(s, "CAP_KILL"), "the container runtime's default set"));
        release(s);
}

static void test_bounding_set(void **state)
{
        (void) state;
        /* root: exactly the set, lines adding up, names in any case */
        struct v2c_service *s =
                service(NULL, "CapabilityBoundingSet=CAP_SETUID cap_setgid", "CapabilityBoundingSet=SYS_RESOURCE", NULL);
        assert_int_equal(inspect_harden(s), 0);
        assert_string_equal(caps(s), "CAP_SETGID CAP_SETUID CAP_SYS_RESOURCE");
        assert_string_equal(cap_from(s, "CAP_SETUID"), "CapabilityBoundingSet= (web.service)");
        release(s);
        /* "~" is the complement */
        s = service(NULL, "CapabilityBoundingSet=~CAP_SYS_ADMIN CAP_NET_ADMIN", NULL);
        assert_int_equal(inspect_harden(s), 0);
        assert_null(strstr(caps(s), "CAP_SYS_ADMIN"));
        assert_null(strstr(caps(s), "CAP_NET_ADMIN"));
        assert_non_null(strstr(caps(s), "CAP_SYS_PTRACE"));
        release(s);
        /* non-root: a needed capability outside the set is not granted, and noted */
        s = service("web", "AmbientCapabilities=CAP_NET_RAW CAP_NET_BIND_SERVICE",
                    "CapabilityBoundingSet=CAP_NET_BIND_SERVICE", NULL);
        assert_int_equal(inspect_harden(s), 0);
        assert_string_equal(caps(s), "CAP_NET_BIND_SERVICE");
        assert_true(has_note(s, "CAP_NET_RAW (AmbientCapabilities= (web.service)) is not granted: outside "
                                "CapabilityBoundingSet="));
        release(s);
        /* an unknown name is noted, the rest read */
        s = service(NULL, "CapabilityBoundingSet=CAP_FROB CAP_KILL", NULL);
        assert_int_equal(inspect_harden(s), 0);
        assert_string_equal(caps(s), "CAP_KILL");
        assert_true(has_note(s, "`CAP_FROB`, a capability v2c does not know"));
        release(s);
}

static void test_ambient_and_ports(void **state)
{
        (void) state;
        struct v2c_service *s = service("web", "AmbientCapabilities=CAP_NET_RAW", NULL);
        assert_int_equal(inspect_harden(s), 0);
        assert_string_equal(caps(s), "CAP_NET_RAW");
        assert_string_equal(cap_from(s, "CAP_NET_RAW"), "AmbientCapabilities= (web.service)");
        /* "" resets the set */
        assert_int_equal(v2c_strv_push(&s->unit_sandbox, "AmbientCapabilities="), 0);
        assert_int_equal(inspect_harden(s), 0);
        assert_string_equal(caps(s), "");
        release(s);

        s = service("web", NULL);
        s->ports = calloc(2, sizeof *s->ports);
        s->ports[0] = (struct v2c_port) { .port = 8443, .proto = "tcp" };
        s->ports[1] = (struct v2c_port) { .port = 443, .proto = "tcp" };
        s->nports = 2;
        assert_int_equal(inspect_harden(s), 0);
        assert_string_equal(caps(s), "CAP_NET_BIND_SERVICE");
        assert_string_equal(cap_from(s, "CAP_NET_BIND_SERVICE"), "port 443, below 1024, as user web");
        s->ports[1].port = 1024;
        assert_int_equal(inspect_harden(s), 0);
        assert_string_equal(caps(s), "");
        release(s);
}

static void test_file_caps(void **state)
{
        (void) state;
        struct v2c_service *s = service("web", "NoNewPrivileges=yes", NULL);
        assert_int_equal(v2c_strv_push(&s->capabilities, "CAP_NET_BIND_SERVICE"), 0);
        assert_int_equal(inspect_harden(s), 0);
        assert_string_equal(caps(s), "CAP_NET_BIND_SERVICE");
        assert_string_equal(cap_from(s, "CAP_NET_BIND_SERVICE"), "file capability of /usr/bin/web");
        /* exec must raise them: escalation allowed, and said why */
        assert_true(s->hardening.allow_privilege_escalation);
        assert_non_null(strstr(s->hardening.escalation_from, "/usr/bin/web has file capabilities"));
        release(s);
}

static void test_no_new_privileges(void **state)
{
        (void) state;
        struct v2c_service *s = service("web", "NoNewPrivileges=yes", NULL);
        assert_int_equal(inspect_harden(s), 0);
        assert_false(s->hardening.allow_privilege_escalation);
        assert_string_equal(s->hardening.escalation_from, "NoNewPrivileges=yes (web.service)");
        release(s);
        s = service("web", NULL);
        assert_int_equal(inspect_harden(s), 0);
        assert_false(s->hardening.allow_privilege_escalation);
        release(s);
}

static void test_writable(void **state)
{
        (void) state;
        struct v2c_service *s = service("web", "PrivateTmp=yes", NULL);
        assert_int_equal(v2c_strv_push(&s->runtime_dirs, "/run/web"), 0);
        assert_int_equal(v2c_strv_push(&s->rw_paths, "/srv/uploads"), 0);
        assert_int_equal(v2c_strv_push(&s->rw_paths, "/srv/uploads/tmp"), 0);
        assert_int_equal(v2c_strv_push(&s->log_files, "/var/log/web/access.log"), 0);
        s->pid_file = strdup("/run/web/web.pid");
        assert_int_equal(inspect_harden(s), 0);
        /* sorted; a path under another is covered by it */
        assert_string_equal(writable(s), "/run/web /srv/uploads /tmp /var/log/web");
        assert_string_equal(s->hardening.writable[0].from, "RuntimeDirectory= (web.service)");
        assert_string_equal(s->hardening.writable[1].from, "ReadWritePaths= (web.service)");
        assert_string_equal(s->hardening.writable[2].from, "PrivateTmp=yes (web.service): a private /tmp");
        assert_non_null(strstr(s->hardening.writable[3].from, "log file /var/log/web/access.log"));
        release(s);
        /* no PrivateTmp=: /tmp is still writable, said so */
        s = service("web", NULL);
        assert_int_equal(inspect_harden(s), 0);
        assert_string_equal(writable(s), "/tmp");
        assert_non_null(strstr(s->hardening.writable[0].from, "no PrivateTmp="));
        release(s);
}

static void test_daemon_writes(void **state)
{
        (void) state;
        /* a well-known daemon's built-in directories */
        struct v2c_service *s = service(NULL, NULL);
        free(s->exec_path);
        s->exec_path = strdup("/usr/sbin/nginx");
        assert_int_equal(inspect_harden(s), 0);
        assert_string_equal(writable(s), "/tmp /var/lib/nginx");
        assert_non_null(strstr(s->hardening.writable[1].from, "nginx's built-in temporary directories"));
        release(s);
        /* the RHEL family's httpd and php-fpm */
        s = service(NULL, NULL);
        free(s->exec_path);
        s->exec_path = strdup("/usr/sbin/httpd");
        assert_int_equal(inspect_harden(s), 0);
        assert_string_equal(writable(s), "/run/httpd /tmp /var/cache/httpd /var/log/httpd");
        release(s);
        s = service(NULL, NULL);
        free(s->exec_path);
        s->exec_path = strdup("/usr/sbin/php-fpm");
        assert_int_equal(inspect_harden(s), 0);
        assert_string_equal(writable(s), "/run/php /run/php-fpm /tmp /var/log/php-fpm");
        release(s);
        /* pid files and sockets on its command line */
        s = service(NULL, NULL);
        char *argv[] = { "/usr/sbin/haproxy", "-p", "/run/haproxy.pid", "-S", "/var/run/hap/master.sock", "-f",
                         "/etc/haproxy/haproxy.cfg", NULL };
        s->argv = v2c_strv_copy(argv);
        assert_int_equal(inspect_harden(s), 0);
        assert_string_equal(writable(s), "/run /tmp /var/run/hap");
        assert_non_null(strstr(s->hardening.writable[0].from, "/run/haproxy.pid, named on its command line"));
        v2c_strv_free(s->argv);
        release(s);
}

static void test_limits(void **state)
{
        (void) state;
        struct v2c_service *s =
                service("web", "MemoryLimit=1G", "MemoryMax=512M", "CPUQuota=150%", "LimitNOFILE=1024:65536", NULL);
        assert_int_equal(inspect_harden(s), 0);
        assert_true(s->hardening.memory_max == 512ULL << 20);
        assert_string_equal(s->hardening.memory_from, "MemoryMax=512M (web.service)");
        assert_int_equal(s->hardening.cpu_millis, 1500);
        assert_string_equal(s->hardening.cpu_from, "CPUQuota=150% (web.service)");
        assert_true(s->hardening.nofile == 65536);
        release(s);
        s = service("web", "MemoryLimit=2G", "LimitNOFILE=4096", NULL);
        assert_int_equal(inspect_harden(s), 0);
        assert_true(s->hardening.memory_max == 2ULL << 30);
        assert_true(s->hardening.nofile == 4096);
        release(s);
        /* what cannot be carried over is noted, never guessed */
        s = service("web", "MemoryMax=50%", "CPUQuota=fast", "LimitNOFILE=infinity", "SystemCallFilter=@system-service",
                    NULL);
        assert_int_equal(inspect_harden(s), 0);
        assert_true(s->hardening.memory_max == 0);
        assert_int_equal(s->hardening.cpu_millis, 0);
        assert_true(s->hardening.nofile == 0);
        assert_true(has_note(s, "MemoryMax=50%"));
        assert_true(has_note(s, "CPUQuota=fast"));
        assert_true(has_note(s, "LimitNOFILE=infinity"));
        assert_true(has_note(s, "SystemCallFilter= (web.service) is not translated"));
        release(s);
}

static void test_parse_bytes(void **state)
{
        (void) state;
        unsigned long long v = 1;
        assert_int_equal(v2c_harden_parse_bytes("infinity", &v), 0);
        assert_true(v == 0);
        assert_int_equal(v2c_harden_parse_bytes("4096", &v), 0);
        assert_true(v == 4096);
        assert_int_equal(v2c_harden_parse_bytes("3K", &v), 0);
        assert_true(v == 3072);
        assert_int_equal(v2c_harden_parse_bytes("2T", &v), 0);
        assert_true(v == 2ULL << 40);
        assert_int_equal(v2c_harden_parse_bytes("50%", &v), -EINVAL);
        assert_int_equal(v2c_harden_parse_bytes("-1", &v), -EINVAL);
        assert_int_equal(v2c_harden_parse_bytes("", &v), -EINVAL);
        assert_int_equal(v2c_harden_parse_bytes("1KB", &v), -EINVAL);
        assert_int_equal(v2c_harden_parse_bytes("99999999999999999999T", &v), -EINVAL);
        assert_int_equal(v2c_harden_parse_bytes("17179869184T", &v), -EINVAL);
}

int main(int argc, char **argv)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_user),
                cmocka_unit_test(test_dynamic_user),
                cmocka_unit_test(test_root_default_caps),
                cmocka_unit_test(test_bounding_set),
                cmocka_unit_test(test_ambient_and_ports),
                cmocka_unit_test(test_file_caps),
                cmocka_unit_test(test_no_new_privileges),
                cmocka_unit_test(test_writable),
                cmocka_unit_test(test_daemon_writes),
                cmocka_unit_test(test_limits),
                cmocka_unit_test(test_parse_bytes),
        };
        return v2c_run_group_tests(argc, argv, tests, NULL, NULL);
}
