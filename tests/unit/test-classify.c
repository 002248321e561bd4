/* The classification rules of inspect/analyze.c (classify), one case each
 * way: a directory guest whose systemd units differ in one thing only, run
 * through v2c_inspect as the CLI does.  Every unit runs the same script,
 * which writes nothing, so without the one thing under test a service is
 * stateless; with it, the rule must decide.  The rules that need a package
 * database (database packages, bind9/postfix data) and the rules on what a
 * service's own programs write are covered by test-writes and the
 * integration guests. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "unit-main.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "guest.h"
#include "inspect.h"
#include "strv.h"

static char tmpdir[] = "/tmp/v2c-test-classify-XXXXXX";
static struct v2c_report *report;

static void put(const char *rel, const char *data)
{
        char path[512];
        snprintf(path, sizeof path, "%s/%s", tmpdir, rel);
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        fputs(data, f);
        fclose(f);
}

/* NAME.service with EXTRA lines in [Service]: an ExecStart= there
 * replaces the script. */
static void unit(const char *name, const char *extra)
{
        char rel[256], text[1024];
        snprintf(rel, sizeof rel, "etc/systemd/system/%s.service", name);
        snprintf(text, sizeof text, "[Unit]\nDescription=%s\n[Service]\n%s\n%s\n", name,
                 strstr(extra, "ExecStart=") ? "" : "ExecStart=/opt/app/run.sh", extra);
        put(rel, text);
}

static const struct {
        const char *name, *extra;
        enum v2c_service_class klass;
        const char *reason;        /* a reason the rule gives, or NULL */
} cases[] = {
        /* No rule applies: the baseline every other case differs from. */
        { "plain", "", V2C_CLASS_STATELESS, NULL },
        { "statedir", "StateDirectory=app", V2C_CLASS_STATEFUL, "StateDirectory= declares" },
        /* A data directory its server's configuration names: under
         * /var/lib or /srv it is data even empty (a fresh install);
         * elsewhere, what it holds decides. */
        { "redis-varlib", "ExecStart=/usr/bin/redis-server /etc/redis/varlib.conf", V2C_CLASS_STATEFUL,
          "data directory /var/lib/redis is configured" },
        { "redis-srv", "ExecStart=/usr/bin/redis-server /etc/redis/srv.conf", V2C_CLASS_STATEFUL,
          "data directory /srv/redis is configured" },
        { "redis-opt", "ExecStart=/usr/bin/redis-server /etc/redis/opt.conf", V2C_CLASS_STATELESS, NULL },
        { "opt-full", "ReadWritePaths=/opt/data", V2C_CLASS_STATEFUL, "data directory /opt/data holds 1 entry" },
        { "opt-empty", "ReadWritePaths=/opt/empty", V2C_CLASS_STATELESS, NULL },
        { "opt-keep", "ReadWritePaths=/opt/kept", V2C_CLASS_STATELESS, NULL },
        { "marker", "ReadWritePaths=/opt/pg", V2C_CLASS_STATEFUL, "holds PG_VERSION" },
        /* Writing to the places where data lives, empty or not. */
        { "varlib", "ReadWritePaths=/var/lib/app", V2C_CLASS_STATEFUL, "writes to /var/lib/app" },
        { "srv", "ReadWritePaths=/srv/app", V2C_CLASS_STATEFUL, "writes to /srv/app" },
        { "spool", "ReadWritePaths=/var/spool/app", V2C_CLASS_STATEFUL, "writes to /var/spool/app" },
        { "home", "ReadWritePaths=/home/app", V2C_CLASS_STATEFUL, "writes to /home/app" },
        /* ... and not to volatile ones, even holding files (logs, a
         * cache), nor to other places left empty. */
        { "volatile", "ReadWritePaths=/run/app /var/cache/app /var/log/app /tmp/app", V2C_CLASS_STATELESS, NULL },
        { "etc", "ReadWritePaths=/etc/app", V2C_CLASS_STATELESS, NULL },
        /* Names of the operating system's own services. */
        { "cron", "", V2C_CLASS_SYSTEM, "part of the operating system" },
};

static int setup(void **state)
{
        (void) state;
        if (mkdtemp(tmpdir) == NULL)
                return -1;
        static const char *const dirs[] = {
                "etc", "etc/systemd", "etc/systemd/system", "etc/systemd/system/multi-user.target.wants",
                "opt", "opt/app", "opt/data", "opt/empty", "opt/kept", "opt/pg", "var", "var/lib",
                "var/lib/app", "var/spool", "var/spool/app", "home", "home/app", "srv", "srv/app",
                "run", "run/app", "etc/app", "usr", "usr/bin", "etc/redis", "var/lib/redis", "srv/redis",
                "opt/redis", "var/log", "var/log/app", "var/cache", "var/cache/app",
        };
        for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
                char p[512];
                snprintf(p, sizeof p, "%s/%s", tmpdir, dirs[i]);
                if (mkdir(p, 0755) < 0)
                        return -1;
        }
        put("etc/os-release", "ID=debian\nVERSION_ID=12\n");
        put("opt/app/run.sh", "#!/bin/sh\nexec sleep 1000\n");
        put("usr/bin/redis-server", "#!/bin/sh\nexec sleep 1000\n");
        static const char *const scripts[] = { "opt/app/run.sh", "usr/bin/redis-server" };
        for (size_t i = 0; i < sizeof scripts / sizeof scripts[0]; i++) {
                char p[512];
                snprintf(p, sizeof p, "%s/%s", tmpdir, scripts[i]);
                if (chmod(p, 0755) < 0)
                        return -1;
        }
        put("etc/redis/varlib.conf", "port 6379\ndir /var/lib/redis\n");
        put("etc/redis/srv.conf", "port 6380\ndir /srv/redis\n");
        put("etc/redis/opt.conf", "port 6381\ndir /opt/redis\n");
        put("opt/data/orders.db", "x");
        put("opt/kept/.keep", "");
        put("opt/pg/PG_VERSION", "15\n");
        put("var/log/app/app.log", "started\n");
        put("var/cache/app/page", "<html>\n");
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
                unit(cases[i].name, cases[i].extra);

        const char *src[] = { tmpdir };
        struct v2c_guest *g = NULL;
        struct v2c_inspect_options opt = { .include_disabled = true };
        if (v2c_guest_open(src, 1, NULL, &g, NULL) < 0)
                return -1;
        int r = v2c_inspect(g, &opt, &report, NULL);
        v2c_guest_close(g);
        return r < 0 ? -1 : 0;
}

static int teardown(void **state)
{
        (void) state;
        v2c_report_free(report);
        char cmd[600];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
        return system(cmd) == 0 ? 0 : -1;
}

static const struct v2c_service *service(const char *name)
{
        for (size_t i = 0; i < report->nservices; i++)
                if (strcmp(report->services[i].name, name) == 0)
                        return &report->services[i];
        return NULL;
}

static bool has_reason(const struct v2c_service *s, const char *text)
{
        for (size_t i = 0; s->reasons && s->reasons[i]; i++)
                if (strstr(s->reasons[i], text))
                        return true;
        return false;
}

static void test_rules(void **state)
{
        (void) state;
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
                const struct v2c_service *s = service(cases[i].name);
                if (s == NULL)
                        fail_msg("service %s not found", cases[i].name);
                if (s->klass != cases[i].klass || (cases[i].reason && !has_reason(s, cases[i].reason))) {
                        for (size_t k = 0; s->reasons && s->reasons[k]; k++)
                                print_message("%s: %s\n", s->name, s->reasons[k]);
                        fail_msg("%s: %s, expected %s%s%s", s->name, v2c_service_class_name(s->klass),
                                 v2c_service_class_name(cases[i].klass), cases[i].reason ? " because " : "",
                                 cases[i].reason ? cases[i].reason : "");
                }
        }
}

int main(int argc, char **argv)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_rules),
        };
        return v2c_run_group_tests(argc, argv, tests, setup, teardown);
}
