/* Unit tests for inspect/sysv.c, inspect/cron.c and the shell word
 * splitter they share (inspect/unit.c).
 *
 * Inputs are copied into buffers of their exact size (no terminating NUL)
 * so that AddressSanitizer catches any read past the end.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "unit-main.h"

#include "cleanup.h"
#include "error.h"
#include "strv.h"
#include "unit-internal.h"

#define STRV(...) ((const char *const[]) { __VA_ARGS__, NULL })
#define EMPTY_STRV ((const char *const[]) { NULL })

static char *raw(const char *s, size_t *len)
{
        *len = strlen(s);
        char *b = malloc(*len ? *len : 1);
        assert_non_null(b);
        memcpy(b, s, *len);
        return b;
}

static void assert_strv(char *const *v, const char *const *expected)
{
        size_t n = 0;
        while (expected[n])
                n++;
        assert_int_equal(v2c_strv_len(v), n);
        for (size_t i = 0; i < n; i++)
                assert_string_equal(v[i], expected[i]);
}

/* ----------------------------------------------------------------------
 * Shell words
 */

static void test_shell_split(void **state)
{
        (void) state;
        static const char text[] =
                "FOO=1 /bin/x \"a b\" 'c $d' e\\ f >/dev/null 2>&1 && echo $X ${Y:-def} ${X:-no} "
                "$(date +%s) `id -u` $1 \"in $X\" 'NAME=q' x=\"y z\"|cat;ls&>log # comment ' \n"
                "next\\\n"
                "line";
        char *vars[] = { "X=ex", NULL };
        size_t len = sizeof(text) - 1;
        char *b = malloc(len);
        memcpy(b, text, len);

        struct v2c_shell_words w = { 0 };
        struct v2c_error *err = NULL;
        assert_int_equal(v2c_shell_split(b, len, vars, &w, &err), 0);
        free(b);

        static const struct {
                const char *text;
                enum v2c_shell_kind kind;
                bool assignment, unexpanded;
        } want[] = {
                { "FOO=1", V2C_SHELL_WORD, true, false },
                { "/bin/x", V2C_SHELL_WORD, false, false },
                { "a b", V2C_SHELL_WORD, false, false },
                { "c $d", V2C_SHELL_WORD, false, false },
                { "e f", V2C_SHELL_WORD, false, false },
                { ">/dev/null", V2C_SHELL_REDIRECT, false, false },
                { "2>&1", V2C_SHELL_REDIRECT, false, false },
                { "&&", V2C_SHELL_OPERATOR, false, false },
                { "echo", V2C_SHELL_WORD, false, false },
                { "ex", V2C_SHELL_WORD, false, false },
                { "def", V2C_SHELL_WORD, false, false },
                { "ex", V2C_SHELL_WORD, false, false },
                { "$(date +%s)", V2C_SHELL_WORD, false, true },
                { "`id -u`", V2C_SHELL_WORD, false, true },
                { "$1", V2C_SHELL_WORD, false, true },
                { "in ex", V2C_SHELL_WORD, false, false },
                { "NAME=q", V2C_SHELL_WORD, false, false },
                { "x=y z", V2C_SHELL_WORD, true, false },
                { "|", V2C_SHELL_OPERATOR, false, false },
                { "cat", V2C_SHELL_WORD, false, false },
                { ";", V2C_SHELL_OPERATOR, false, false },
                { "ls", V2C_SHELL_WORD, false, false },
                { "&>log", V2C_SHELL_REDIRECT, false, false },
                { ";", V2C_SHELL_OPERATOR, false, false },
                { "nextline", V2C_SHELL_WORD, false, false },
        };
        assert_int_equal(w.n, V2C_ARRAY_SIZE(want));
        for (size_t i = 0; i < w.n; i++) {
                assert_string_equal(w.words[i].text, want[i].text);
                assert_int_equal(w.words[i].kind, want[i].kind);
                assert_int_equal(w.words[i].assignment, want[i].assignment);
                assert_int_equal(w.words[i].unexpanded, want[i].unexpanded);
        }
        v2c_shell_words_release(&w);
        v2c_shell_words_release(&w);  /* idempotent */

        assert_int_equal(v2c_shell_split("echo 'open", 10, NULL, &w, &err), -EINVAL);
        assert_int_equal(err->code, EINVAL);
        err = v2c_error_free(err);
        assert_int_equal(v2c_shell_split("echo \"open", 10, NULL, &w, &err), -EINVAL);
        err = v2c_error_free(err);
        assert_int_equal(v2c_shell_split("echo `open", 10, NULL, &w, &err), -EINVAL);
        err = v2c_error_free(err);
        assert_int_equal(v2c_shell_split("a\0b", 3, NULL, &w, &err), -EINVAL);
        err = v2c_error_free(err);

        /* too many words */
        size_t n = 2 * (V2C_SHELL_MAX_WORDS + 1);
        char *many = malloc(n);
        for (size_t i = 0; i < n; i += 2)
                memcpy(many + i, "a ", 2);
        assert_int_equal(v2c_shell_split(many, n, NULL, &w, &err), -E2BIG);
        err = v2c_error_free(err);
        free(many);

        /* expansions cannot grow a word past the limit */
        char *big = malloc(5000);
        memset(big, 'v', 4999);
        big[4999] = '\0';
        memcpy(big, "V=", 2);
        char *bigvars[] = { big, NULL };
        char line[200];
        n = 0;
        for (int i = 0; i < 20; i++)
                n += (size_t) sprintf(line + n, "$V");
        assert_int_equal(v2c_shell_split(line, n, bigvars, &w, &err), -E2BIG);
        err = v2c_error_free(err);
        free(big);
}

/* ----------------------------------------------------------------------
 * SysV init scripts
 */

static struct v2c_sysv_script *sysv_ok(const char *text, char *const *defaults)
{
        size_t len;
        char *b = raw(text, &len);
        struct v2c_sysv_script *s = NULL;
        struct v2c_error *err = NULL;
        assert_int_equal(v2c_sysv_parse(b, len, defaults, &s, &err), 0);
        assert_null(err);
        free(b);
        return s;
}

static const char debian_script[] =
        "#!/bin/sh\n"
        "### BEGIN INIT INFO\n"
        "# Provides:          legacy-app\n"
        "# Required-Start:    $remote_fs $syslog\n"
        "# Required-Stop:     $remote_fs $syslog\n"
        "# Default-Start:     2 3 4 5\n"
        "# Default-Stop:      0 1 6\n"
        "# Short-Description: Legacy application\n"
        "# Description:       A legacy application that\n"
        "#                    does things.\n"
        "#\tReally.\n"
        "### END INIT INFO\n"
        "\n"
        "# Author: someone who doesn't close quotes in comments\n"
        "PATH=/sbin:/usr/sbin:/bin:/usr/bin\n"
        "NAME=legacy-app\n"
        "DAEMON=/usr/sbin/$NAME\n"
        "DAEMON_OPTS=\"--port 8080 --config /etc/${NAME}.conf\"\n"
        "PIDFILE=/var/run/$NAME.pid\n"
        "\n"
        "[ -x \"$DAEMON\" ] || exit 0\n"
        ". /lib/lsb/init-functions\n"
        "\n"
        "case \"$1\" in\n"
        "  start)\n"
        "    echo \"Starting: it's\n"
        "      a multi-line string\"\n"
        "    start-stop-daemon --start --quiet --pidfile $PIDFILE --exec /usr/bin/other -- \\\n"
        "        $DAEMON_OPTS\n"
        "    ;;\n"
        "  stop)\n"
        "    start-stop-daemon --stop --quiet --pidfile $PIDFILE\n"
        "    ;;\n"
        "esac\n"
        "exit 0\n";

static void test_sysv_debian(void **state)
{
        (void) state;
        struct v2c_sysv_script *s = sysv_ok(debian_script, NULL);
        assert_true(s->has_lsb_header);
        assert_strv(s->provides, STRV("legacy-app"));
        assert_strv(s->required_start, STRV("$remote_fs", "$syslog"));
        assert_strv(s->required_stop, STRV("$remote_fs", "$syslog"));
        assert_strv(s->default_start, STRV("2", "3", "4", "5"));
        assert_strv(s->default_stop, STRV("0", "1", "6"));
        assert_string_equal(s->short_description, "Legacy application");
        assert_string_equal(s->description, "A legacy application that does things. Really.");
        /* DAEMON= wins over the start-stop-daemon call */
        assert_string_equal(s->daemon, "/usr/sbin/legacy-app");
        assert_int_equal(s->daemon_source, V2C_SYSV_DAEMON_VARIABLE);
        assert_string_equal(s->daemon_args, "--port 8080 --config /etc/legacy-app.conf");
        assert_string_equal(s->pidfile, "/var/run/legacy-app.pid");
        assert_int_equal(s->n_invalid, 0);
        v2c_sysv_script_free(s);
        assert_null(v2c_sysv_script_free(NULL));
}

static void test_sysv_start_stop_daemon(void **state)
{
        (void) state;
        struct v2c_sysv_script *s = sysv_ok("#!/bin/sh\n"
                                            "BIN=/usr/bin\n"
                                            "do_start() {\n"
                                            "  /sbin/start-stop-daemon -S -q --exec $BIN/python3 \\\n"
                                            "     --startas /opt/app/run.py -- --serve\n"
                                            "}\n",
                                            NULL);
        assert_false(s->has_lsb_header);
        assert_null(s->provides);
        assert_null(s->description);
        assert_string_equal(s->daemon, "/opt/app/run.py");
        assert_int_equal(s->daemon_source, V2C_SYSV_DAEMON_START_STOP_DAEMON);
        assert_null(s->daemon_args);
        assert_null(s->pidfile);
        v2c_sysv_script_free(s);

        /* an unknown --startas falls back on --exec; "=" forms; a DAEMON=
         * that cannot be known (command substitution) is not used */
        s = sysv_ok("DAEMON=$(command -v foo)\n"
                    "start-stop-daemon --start --startas \"$UNKNOWN\" --exec=/usr/sbin/foo\n",
                    NULL);
        assert_string_equal(s->daemon, "/usr/sbin/foo");
        assert_int_equal(s->daemon_source, V2C_SYSV_DAEMON_START_STOP_DAEMON);
        v2c_sysv_script_free(s);

        /* ${VAR:-default} */
        s = sysv_ok("DAEMON=${DAEMON:-/usr/sbin/fallback}\nARGS=\"-d ${LEVEL-3}\"\n", NULL);
        assert_string_equal(s->daemon, "/usr/sbin/fallback");
        assert_string_equal(s->daemon_args, "-d 3");
        v2c_sysv_script_free(s);
}

static void test_sysv_redhat(void **state)
{
        (void) state;
        struct v2c_sysv_script *s = sysv_ok("#!/bin/bash\n"
                                            "# chkconfig: - 85 15\n"
                                            ". /etc/rc.d/init.d/functions\n"
                                            "exec=/usr/sbin/httpd\n"
                                            "prog=httpd\n"
                                            "pidfile=/var/run/httpd.pid\n"
                                            "start() {\n"
                                            "    echo -n $\"Starting $prog: \"\n"
                                            "    daemon --pidfile=${pidfile} --user apache +5 $exec "
                                            "-DFOREGROUND\n"
                                            "}\n",
                                            NULL);
        assert_string_equal(s->daemon, "/usr/sbin/httpd");
        assert_int_equal(s->daemon_source, V2C_SYSV_DAEMON_FUNCTION);
        assert_string_equal(s->user, "apache");
        assert_string_equal(s->daemon_args, "-DFOREGROUND");
        v2c_sysv_script_free(s);

        /* CentOS 6 style: --user=U, $OPTIONS from /etc/sysconfig/NAME
         * (the defaults), an unknown word left out of the arguments. */
        char *sysconfig[] = { "OPTIONS=--port 7070", NULL };
        s = sysv_ok(". /etc/rc.d/init.d/functions\n"
                    "[ -f /etc/sysconfig/food ] && . /etc/sysconfig/food\n"
                    "start() { daemon --user=foo --pidfile=/var/run/food.pid /usr/sbin/food $OPTIONS $UNSET; }\n"
                    "stop() { killproc food; }\n",
                    sysconfig);
        assert_string_equal(s->daemon, "/usr/sbin/food");
        assert_string_equal(s->user, "foo");
        assert_string_equal(s->daemon_args, "--port 7070");
        v2c_sysv_script_free(s);

        /* start-stop-daemon: --chuid U:G gives U; its --user only
         * matches processes and says nothing of who runs the daemon. */
        s = sysv_ok("start-stop-daemon --start --user www --chuid www-data:www-data --exec /usr/sbin/w\n", NULL);
        assert_string_equal(s->user, "www-data");
        v2c_sysv_script_free(s);
        s = sysv_ok("start-stop-daemon --start --user www --exec /usr/sbin/w\n", NULL);
        assert_null(s->user);
        v2c_sysv_script_free(s);
        s = sysv_ok("DAEMON=/usr/sbin/w\nstart-stop-daemon -S -c $UNKNOWN -x $DAEMON\n", NULL);
        assert_null(s->user);
        v2c_sysv_script_free(s);

        /* LSB start_daemon; a program that is a bare name is not taken */
        s = sysv_ok("start_daemon -f -p /run/x.pid /usr/bin/xd -a\ndaemon mydaemon\n", NULL);
        assert_string_equal(s->daemon, "/usr/bin/xd");
        v2c_sysv_script_free(s);
        s = sysv_ok("daemon mydaemon\n", NULL);
        assert_null(s->daemon);
        assert_int_equal(s->daemon_source, V2C_SYSV_DAEMON_NONE);
        v2c_sysv_script_free(s);
}

static void test_sysv_defaults(void **state)
{
        (void) state;
        char *defaults[] = { "DAEMON_OPTS=-v -x", "DAEMON=/opt/foo/bin/foo", "1BAD=x", "noeq", NULL };
        static const char script[] = "NAME=foo\n"
                                     "DAEMON=/usr/sbin/foo\n"
                                     "DAEMON_OPTS=\n"
                                     "[ -r /etc/default/$NAME ] && . /etc/default/$NAME\n";
        struct v2c_sysv_script *s = sysv_ok(script, defaults);
        assert_string_equal(s->daemon, "/opt/foo/bin/foo");
        assert_string_equal(s->daemon_args, "-v -x");
        v2c_sysv_script_free(s);

        /* without the defaults, the empty DAEMON_OPTS means no arguments */
        s = sysv_ok(script, NULL);
        assert_string_equal(s->daemon, "/usr/sbin/foo");
        assert_null(s->daemon_args);
        v2c_sysv_script_free(s);
}

static void test_sysv_malformed(void **state)
{
        (void) state;
        /* a header without its END, an unknown field, a field given twice;
         * a stray quote that never closes costs its own line only */
        struct v2c_sysv_script *s = sysv_ok("### BEGIN INIT INFO\n"
                                            "# Provides: a\n"
                                            "# X-Interactive: true\n"
                                            "#  continuation of an unknown field\n"
                                            "# Provides: b c\n"
                                            "# Short-Description: \xff\xfe\n"
                                            "echo \"oops\n"
                                            "DAEMON=/usr/sbin/after\n"
                                            "PIDFILE='/run/x.pid\n",
                                            NULL);
        assert_true(s->has_lsb_header);
        assert_strv(s->provides, STRV("b", "c"));
        assert_null(s->short_description);
        assert_string_equal(s->daemon, "/usr/sbin/after");
        assert_null(s->pidfile);
        assert_int_equal(s->n_invalid, 2);
        v2c_sysv_script_free(s);

        /* a hostile header: endless continuation and list words are cut */
        size_t hn = 0;
        char *h = malloc(V2C_PARSE_MAX_INPUT);
        hn += (size_t) sprintf(h, "### BEGIN INIT INFO\n# Provides:");
        for (int i = 0; i < 1000; i++)
                hn += (size_t) sprintf(h + hn, " p%d", i);
        hn += (size_t) sprintf(h + hn, "\n# Description: start\n");
        while (hn < V2C_PARSE_MAX_INPUT - 100)
                hn += (size_t) sprintf(h + hn, "#  more text here\n");
        struct v2c_error *herr = NULL;
        assert_int_equal(v2c_sysv_parse(h, hn, NULL, &s, &herr), 0);
        free(h);
        assert_int_equal(v2c_strv_len(s->provides), 256);
        assert_string_equal(s->provides[255], "p255");
        assert_true(strlen(s->description) <= 4096);
        assert_true(strlen(s->description) > 4000);
        assert_memory_equal(s->description, "start more text here more", 25);
        v2c_sysv_script_free(s);

        /* empty input; NUL bytes; over 1 MiB */
        s = sysv_ok("", NULL);
        assert_false(s->has_lsb_header);
        assert_null(s->daemon);
        v2c_sysv_script_free(s);

        static const char nul[] = "DAEMON=/usr/sbin/a\0b\nDAEMON_ARGS=-q\n";
        struct v2c_error *err = NULL;
        char *b = malloc(sizeof(nul) - 1);
        memcpy(b, nul, sizeof(nul) - 1);
        assert_int_equal(v2c_sysv_parse(b, sizeof(nul) - 1, NULL, &s, &err), 0);
        assert_null(s->daemon);
        assert_string_equal(s->daemon_args, "-q");
        assert_int_equal(s->n_invalid, 1);
        v2c_sysv_script_free(s);
        free(b);

        size_t big = V2C_PARSE_MAX_INPUT + 1;
        b = malloc(big);
        memset(b, '\n', big);
        s = NULL;
        assert_int_equal(v2c_sysv_parse(b, big, NULL, &s, &err), -E2BIG);
        assert_null(s);
        assert_int_equal(err->code, E2BIG);
        err = v2c_error_free(err);

        /* a logical line over 64 KiB */
        size_t n = (size_t) sprintf(b, "X='");
        memset(b + n, 'x', V2C_PARSE_MAX_LINE);
        n += V2C_PARSE_MAX_LINE;
        n += (size_t) sprintf(b + n, "'\nDAEMON=/bin/ok\n");
        assert_int_equal(v2c_sysv_parse(b, n, NULL, &s, &err), 0);
        assert_string_equal(s->daemon, "/bin/ok");
        assert_int_equal(s->n_invalid, 1);
        v2c_sysv_script_free(s);

        /* short words, but a line over the limit all the same */
        n = (size_t) sprintf(b, "DAEMON=/bin/bad");
        memset(b + n, ' ', V2C_PARSE_MAX_LINE);
        n += V2C_PARSE_MAX_LINE;
        n += (size_t) sprintf(b + n, "\nPIDFILE=/run/ok.pid\n");
        assert_int_equal(v2c_sysv_parse(b, n, NULL, &s, &err), 0);
        assert_null(s->daemon);
        assert_string_equal(s->pidfile, "/run/ok.pid");
        assert_int_equal(s->n_invalid, 1);
        v2c_sysv_script_free(s);

        /* one logical line of a quarter million continuations: refused
         * whole, in one pass (retrying at each of its lines took minutes) */
        n = 0;
        while (n < V2C_PARSE_MAX_INPUT - 64)
                n += (size_t) sprintf(b + n, "a \\\n");
        n += (size_t) sprintf(b + n, "\nDAEMON=/bin/after\n");
        assert_int_equal(v2c_sysv_parse(b, n, NULL, &s, &err), 0);
        assert_string_equal(s->daemon, "/bin/after");
        assert_int_equal(s->n_invalid, 1);
        v2c_sysv_script_free(s);
        free(b);
}

static void test_sysv_enabled(void **state)
{
        (void) state;
        char *rc0[] = { "K01legacy-app", "S01halt", NULL };
        char *rc2[] = { "S01legacy-app", "K01foo", "README", "S20ssh", NULL };
        char *rc3[] = { "S01legacy-app", "S20ssh", "S99/../x", NULL };
        char *rc5[] = { "S", "S12", "Sxx", "S01.", "S02..", "s03lower", "S03cron", NULL };
        char *const *const rc[7] = { rc0, NULL, rc2, rc3, NULL, rc5, NULL };
        char **v = NULL;
        struct v2c_error *err = NULL;
        assert_int_equal(v2c_sysv_enabled(rc, &v, &err), 0);
        assert_strv(v, STRV("cron", "legacy-app", "ssh"));
        v2c_strv_free(v);

        char *const *const none[7] = { NULL };
        assert_int_equal(v2c_sysv_enabled(none, &v, &err), 0);
        assert_non_null(v);
        assert_null(v[0]);
        v2c_strv_free(v);
}

/* ----------------------------------------------------------------------
 * crontabs
 */

static struct v2c_crontab *cron_ok(const char *text, enum v2c_crontab_format f, const char *owner)
{
        size_t len;
        char *b = raw(text, &len);
        struct v2c_crontab *c = NULL;
        struct v2c_error *err = NULL;
        assert_int_equal(v2c_crontab_parse(b, len, f, owner, &c, &err), 0);
        assert_null(err);
        free(b);
        return c;
}

static void test_cron_system(void **state)
{
        (void) state;
        struct v2c_crontab *c = cron_ok(
                "SHELL=/bin/sh\n"
                "PATH = /usr/local/sbin:/usr/local/bin:/sbin:/bin\n"
                "MAILTO=\"\"\n"
                "  QUOTED = 'a b'  \n"
                "# m h dom mon dow user  command\n"
                "17 *\t* * *\troot    cd / && run-parts --report /etc/cron.hourly\n"
                "25 6\t* * *\troot\ttest -x /usr/sbin/anacron || ( cd / && run-parts --report "
                "/etc/cron.daily )\n"
                "*/5 * * * * www-data FOO=bar /usr/bin/php /var/www/cron.php > /dev/null 2>&1\n"
                "@reboot root /opt/app/start.sh --now\n"
                "0 0 1,15 jan,JUL mon-fri nobody /usr/bin/backup 50\\% off%stdin text%more\n"
                "30 2 * * 7 root [ -x /usr/lib/php/sessionclean ] && if [ ! -d /run/systemd/system ]; "
                "then /usr/lib/php/sessionclean; fi\n"
                "-1-10/3 0-23/2 */2 1-12 0,7 root test -x /bin/a && (/bin/a -v)\r\n"
                "  \t\n",
                V2C_CRONTAB_SYSTEM, "ignored");

        assert_strv(c->env, STRV("SHELL=/bin/sh", "PATH=/usr/local/sbin:/usr/local/bin:/sbin:/bin",
                                 "MAILTO=", "QUOTED=a b"));
        assert_int_equal(c->n_invalid, 0);
        assert_int_equal(c->n_jobs, 7);

        struct v2c_cron_job *j = &c->jobs[0];
        assert_string_equal(j->schedule, "17 * * * *");
        assert_string_equal(j->user, "root");
        assert_string_equal(j->command, "cd / && run-parts --report /etc/cron.hourly");
        assert_int_equal(j->line, 6);
        /* a guard, then no absolute path: no executable */
        assert_null(j->executable);
        assert_strv(j->argv, STRV("cd", "/"));

        j = &c->jobs[1];
        assert_null(j->executable);

        j = &c->jobs[2];
        assert_string_equal(j->schedule, "*/5 * * * *");
        assert_string_equal(j->user, "www-data");
        assert_string_equal(j->executable, "/usr/bin/php");
        assert_strv(j->argv, STRV("/usr/bin/php", "/var/www/cron.php"));

        j = &c->jobs[3];
        assert_string_equal(j->schedule, "@reboot");
        assert_string_equal(j->executable, "/opt/app/start.sh");
        assert_strv(j->argv, STRV("/opt/app/start.sh", "--now"));

        j = &c->jobs[4];
        assert_string_equal(j->schedule, "0 0 1,15 jan,JUL mon-fri");
        assert_string_equal(j->user, "nobody");
        assert_string_equal(j->command, "/usr/bin/backup 50% off");
        assert_strv(j->argv, STRV("/usr/bin/backup", "50%", "off"));

        j = &c->jobs[5];
        assert_string_equal(j->executable, "/usr/lib/php/sessionclean");
        assert_strv(j->argv, STRV("/usr/lib/php/sessionclean"));

        j = &c->jobs[6];
        assert_string_equal(j->schedule, "1-10/3 0-23/2 */2 1-12 0,7");
        assert_string_equal(j->executable, "/bin/a");
        assert_strv(j->argv, STRV("/bin/a", "-v"));
        assert_int_equal(j->line, 12);
        v2c_crontab_free(c);
        assert_null(v2c_crontab_free(NULL));
}

static void test_cron_user(void **state)
{
        (void) state;
        struct v2c_crontab *c = cron_ok("# user crontab\n"
                                        "*/10 * * * * $HOME/bin/sync.sh --quiet\n"
                                        "@daily LANG=C backup-tool\n"
                                        "@hourly 'unbalanced\n",
                                        V2C_CRONTAB_USER, "alice");
        assert_int_equal(c->n_jobs, 3);
        assert_null(c->env[0]);
        assert_string_equal(c->jobs[0].user, "alice");
        /* kept as written: the caller sees it is not absolute */
        assert_string_equal(c->jobs[0].executable, "$HOME/bin/sync.sh");
        assert_string_equal(c->jobs[1].executable, "backup-tool");
        assert_strv(c->jobs[1].argv, STRV("backup-tool"));
        /* sh would refuse it, cron still has the job */
        assert_string_equal(c->jobs[2].command, "'unbalanced");
        assert_null(c->jobs[2].executable);
        assert_strv(c->jobs[2].argv, EMPTY_STRV);
        v2c_crontab_free(c);

        c = cron_ok("@weekly /bin/x\n", V2C_CRONTAB_USER, NULL);
        assert_null(c->jobs[0].user);
        v2c_crontab_free(c);
}

static void test_cron_invalid(void **state)
{
        (void) state;
        struct v2c_crontab *c = cron_ok("61 * * * * root /bin/x\n"      /* minute out of range */
                                        "* * * * root\n"                 /* four fields */
                                        "@every5m root /bin/x\n"
                                        "* * * * * root\n"               /* no command */
                                        "* * * * * root %only stdin\n"
                                        "garbage line\n"
                                        "5-1 * * * * root /bin/x\n"
                                        "*/0 * * * * root /bin/x\n"
                                        "1,,2 * * * * root /bin/x\n"
                                        "1, * * * * root /bin/x\n"
                                        "* * 0 * * root /bin/x\n"        /* day 0 */
                                        "* * * 13 * root /bin/x\n"
                                        "* * * foo * root /bin/x\n"
                                        "* * * * 8 root /bin/x\n"
                                        "* * * * jan root /bin/x\n"      /* month name as day */
                                        "1234 * * * * root /bin/x\n"
                                        "* * * * * root /bin/ok\n",
                                        V2C_CRONTAB_SYSTEM, NULL);
        assert_int_equal(c->n_jobs, 1);
        assert_string_equal(c->jobs[0].executable, "/bin/ok");
        assert_int_equal(c->jobs[0].line, 17);
        assert_int_equal(c->n_invalid, 16);
        v2c_crontab_free(c);

        /* five fields and nothing else at the very end of the buffer: no
         * read past it (ASan), and no job */
        c = cron_ok("* * * * 5", V2C_CRONTAB_USER, NULL);
        assert_int_equal(c->n_jobs, 0);
        assert_int_equal(c->n_invalid, 1);
        v2c_crontab_free(c);

        static const char nul[] = "* * * * * /bin/a\0b\n* * * * * /bin/c";
        struct v2c_error *err = NULL;
        char *b = malloc(sizeof(nul) - 1);
        memcpy(b, nul, sizeof(nul) - 1);
        assert_int_equal(v2c_crontab_parse(b, sizeof(nul) - 1, V2C_CRONTAB_USER, NULL, &c, &err), 0);
        assert_int_equal(c->n_jobs, 1);
        assert_string_equal(c->jobs[0].executable, "/bin/c");
        assert_int_equal(c->n_invalid, 1);
        v2c_crontab_free(c);
        free(b);
}

static void test_cron_limits(void **state)
{
        (void) state;
        struct v2c_error *err = NULL;
        struct v2c_crontab *c = NULL;
        size_t big = V2C_PARSE_MAX_INPUT + 1;
        char *b = malloc(big);
        memset(b, '#', big);
        assert_int_equal(v2c_crontab_parse(b, big, V2C_CRONTAB_USER, NULL, &c, &err), -E2BIG);
        assert_null(c);
        err = v2c_error_free(err);

        size_t n = 0;
        for (int i = 0; i <= V2C_CRON_MAX_JOBS; i++)
                n += (size_t) sprintf(b + n, "@daily /x\n");
        assert_int_equal(v2c_crontab_parse(b, n, V2C_CRONTAB_USER, NULL, &c, &err), -E2BIG);
        assert_non_null(strstr(err->msg, "line 10001"));
        err = v2c_error_free(err);
        assert_int_equal(v2c_crontab_parse(b, n - 10, V2C_CRONTAB_USER, NULL, &c, &err), 0);
        assert_int_equal(c->n_jobs, V2C_CRON_MAX_JOBS);
        v2c_crontab_free(c);

        /* an over-long line is skipped, the next one still counts */
        memset(b, 'x', V2C_PARSE_MAX_LINE + 1);
        memcpy(b, "@daily /", 8);
        n = V2C_PARSE_MAX_LINE + 1;
        n += (size_t) sprintf(b + n, "\n@daily /y\n");
        assert_int_equal(v2c_crontab_parse(b, n, V2C_CRONTAB_USER, NULL, &c, &err), 0);
        assert_int_equal(c->n_jobs, 1);
        assert_int_equal(c->n_invalid, 1);
        v2c_crontab_free(c);
        free(b);
}

int main(int argc, char **argv)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_shell_split),
                cmocka_unit_test(test_sysv_debian),
                cmocka_unit_test(test_sysv_start_stop_daemon),
                cmocka_unit_test(test_sysv_redhat),
                cmocka_unit_test(test_sysv_defaults),
                cmocka_unit_test(test_sysv_malformed),
                cmocka_unit_test(test_sysv_enabled),
                cmocka_unit_test(test_cron_system),
                cmocka_unit_test(test_cron_user),
                cmocka_unit_test(test_cron_invalid),
                cmocka_unit_test(test_cron_limits),
        };
        return v2c_run_group_tests(argc, argv, tests, NULL, NULL);
}
