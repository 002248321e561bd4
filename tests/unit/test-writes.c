/* Unit tests for inspect/writes.c: what a script writes and names, the
 * places of paths, database file names and the paths in a binary's
 * strings.  Each rule is tested both ways: the form that must be found,
 * and a near miss that must not.
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
#include "writes-internal.h"

static struct v2c_accesses scan(enum v2c_script_lang lang, const char *text, char *const *vars)
{
        size_t len = strlen(text);
        char *b = malloc(len ? len : 1);
        assert_non_null(b);
        memcpy(b, text, len);
        struct v2c_accesses a = { 0 };
        struct v2c_error *e = NULL;
        assert_int_equal(v2c_script_accesses(lang, b, len, vars, &a, &e), 0);
        assert_null(e);
        free(b);
        return a;
}

/* The access of KIND to PATH, or NULL. */
static const struct v2c_access *find(const struct v2c_accesses *a, enum v2c_access_kind kind, const char *path)
{
        for (size_t i = 0; i < a->n; i++)
                if (a->items[i].kind == kind && strcmp(a->items[i].path, path) == 0)
                        return &a->items[i];
        return NULL;
}

/* Any access other than a name, to anything. */
static size_t n_writes(const struct v2c_accesses *a)
{
        size_t n = 0;
        for (size_t i = 0; i < a->n; i++)
                n += a->items[i].kind != V2C_ACCESS_NAME;
        return n;
}

static void test_places(void **state)
{
        (void) state;
        char *names[] = { "ledger", "ledger-pkg", NULL };
        assert_int_equal(v2c_path_place("/var/lib/ledger/events.log", NULL), V2C_PLACE_DATA);
        assert_int_equal(v2c_path_place("/var/lib", NULL), V2C_PLACE_DATA);
        assert_int_equal(v2c_path_place("/srv/uploads/a", NULL), V2C_PLACE_DATA);
        assert_int_equal(v2c_path_place("/var/spool/x", NULL), V2C_PLACE_DATA);
        assert_int_equal(v2c_path_place("/var/opt/x", NULL), V2C_PLACE_DATA);
        assert_int_equal(v2c_path_place("/home/u/x", NULL), V2C_PLACE_DATA);
        /* near misses: a longer first component is not under the root */
        assert_int_equal(v2c_path_place("/var/library/x", NULL), V2C_PLACE_OTHER);
        assert_int_equal(v2c_path_place("/srvx/a", NULL), V2C_PLACE_OTHER);
        assert_int_equal(v2c_path_place("/run/ledger/pid", names), V2C_PLACE_VOLATILE);
        assert_int_equal(v2c_path_place("/tmp/x", NULL), V2C_PLACE_VOLATILE);
        assert_int_equal(v2c_path_place("/var/log/ledger/x.log", names), V2C_PLACE_VOLATILE);
        assert_int_equal(v2c_path_place("/var/cache/bind/x", NULL), V2C_PLACE_VOLATILE);
        /* a directory named after the service, outside /etc and /usr */
        assert_int_equal(v2c_path_place("/opt/ledger/data/x", names), V2C_PLACE_DATA);
        assert_int_equal(v2c_path_place("/opt/ledger-pkg", names), V2C_PLACE_DATA);
        assert_int_equal(v2c_path_place("/opt/ledgers/x", names), V2C_PLACE_OTHER);
        assert_int_equal(v2c_path_place("/etc/ledger/x.conf", names), V2C_PLACE_OTHER);
        assert_int_equal(v2c_path_place("/usr/share/ledger/x", names), V2C_PLACE_OTHER);
        assert_int_equal(v2c_path_place("relative/ledger", names), V2C_PLACE_OTHER);
}

static void test_database_files(void **state)
{
        (void) state;
        assert_true(v2c_is_database_file("/opt/notes/notes.db"));
        assert_true(v2c_is_database_file("x.SQLITE3"));
        assert_true(v2c_is_database_file("/a/b.sqlite"));
        assert_false(v2c_is_database_file("/etc/db"));
        assert_false(v2c_is_database_file("/opt/x/.db"));
        assert_false(v2c_is_database_file("/opt/x/notes.dbx"));
}

static void test_lang(void **state)
{
        (void) state;
        assert_int_equal(v2c_script_lang("/bin/sh"), V2C_SCRIPT_SHELL);
        assert_int_equal(v2c_script_lang("/usr/bin/bash"), V2C_SCRIPT_SHELL);
        assert_int_equal(v2c_script_lang("/usr/bin/python3.11"), V2C_SCRIPT_PYTHON);
        assert_int_equal(v2c_script_lang("perl"), V2C_SCRIPT_PERL);
        assert_int_equal(v2c_script_lang("/usr/bin/node"), V2C_SCRIPT_OTHER);
        assert_int_equal(v2c_script_lang(NULL), V2C_SCRIPT_OTHER);
}

static void test_shell_redirections(void **state)
{
        (void) state;
        char *vars[] = { "NAME=ledger", NULL };
        struct v2c_accesses a = scan(V2C_SCRIPT_SHELL,
                                     "#!/bin/sh\n"
                                     "DATA=/var/lib/$NAME\n"
                                     "LOG=\"$DATA/events.log\"\n"
                                     "echo started >>\"$LOG\"\n"
                                     "date > /run/ledger.stamp 2>&1\n"
                                     "echo x >&2\n"
                                     "echo y 2>/dev/null\n"
                                     "cat </var/lib/other/input\n"
                                     "echo z > \"$UNSET/out\"\n",
                                     vars);
        const struct v2c_access *w = find(&a, V2C_ACCESS_APPEND, "/var/lib/ledger/events.log");
        assert_non_null(w);
        assert_int_equal(w->line, 4);
        assert_true(w->known);
        assert_non_null(find(&a, V2C_ACCESS_WRITE, "/run/ledger.stamp"));
        assert_non_null(find(&a, V2C_ACCESS_WRITE, "/dev/null"));
        /* input is not output; a descriptor is not a file */
        assert_null(find(&a, V2C_ACCESS_WRITE, "/var/lib/other/input"));
        assert_non_null(find(&a, V2C_ACCESS_NAME, "/var/lib/ledger"));
        const struct v2c_access *u = find(&a, V2C_ACCESS_WRITE, "$UNSET/out");
        assert_non_null(u);
        assert_false(u->known);
        assert_int_equal(u->known_len, 0);
        assert_int_equal(n_writes(&a), 4);
        v2c_accesses_release(&a);
}

static void test_shell_commands(void **state)
{
        (void) state;
        struct v2c_accesses a = scan(V2C_SCRIPT_SHELL,
                                     "mkdir -p -m 0750 /srv/uploads/incoming\n"
                                     "install -d -o app /var/opt/app\n"
                                     "touch /srv/uploads/.ready && echo ok | tee -a /srv/uploads/log\n"
                                     "cp -a /etc/app.conf /home/app/backup/\n"
                                     "mv -t /srv/archive a b\n"
                                     "tar -czf /var/backups/app.tgz -C /srv uploads\n"
                                     "tar -xzf /srv/in.tgz -C /tmp\n"
                                     "dd if=/dev/zero of=/srv/blob bs=1 count=1\n"
                                     "sqlite3 /opt/app/app.db 'select 1'\n"
                                     ". /opt/app/lib.sh\n"
                                     "/opt/app/helper --data-dir=/srv/helper\n"
                                     "chown app /var/lib/app\n"
                                     "ls /srv/readonly | wc -l\n",
                                     NULL);
        assert_non_null(find(&a, V2C_ACCESS_MKDIR, "/srv/uploads/incoming"));
        assert_null(find(&a, V2C_ACCESS_MKDIR, "0750"));
        assert_non_null(find(&a, V2C_ACCESS_MKDIR, "/var/opt/app"));
        assert_null(find(&a, V2C_ACCESS_MKDIR, "app"));
        assert_non_null(find(&a, V2C_ACCESS_WRITE, "/srv/uploads/.ready"));
        assert_non_null(find(&a, V2C_ACCESS_APPEND, "/srv/uploads/log"));
        assert_non_null(find(&a, V2C_ACCESS_WRITE, "/home/app/backup"));
        assert_null(find(&a, V2C_ACCESS_WRITE, "/etc/app.conf"));
        assert_non_null(find(&a, V2C_ACCESS_WRITE, "/srv/archive"));
        assert_non_null(find(&a, V2C_ACCESS_WRITE, "/var/backups/app.tgz"));
        /* extracting reads the archive */
        assert_null(find(&a, V2C_ACCESS_WRITE, "/srv/in.tgz"));
        assert_non_null(find(&a, V2C_ACCESS_WRITE, "/srv/blob"));
        assert_non_null(find(&a, V2C_ACCESS_DATABASE, "/opt/app/app.db"));
        /* naming is not writing */
        assert_non_null(find(&a, V2C_ACCESS_NAME, "/var/lib/app"));
        assert_null(find(&a, V2C_ACCESS_WRITE, "/var/lib/app"));
        assert_non_null(find(&a, V2C_ACCESS_NAME, "/srv/helper"));
        assert_non_null(find(&a, V2C_ACCESS_NAME, "/srv/readonly"));
        assert_null(find(&a, V2C_ACCESS_WRITE, "/srv/readonly"));
        assert_true(v2c_strv_contains(a.calls, "/opt/app/lib.sh"));
        assert_true(v2c_strv_contains(a.calls, "/opt/app/helper"));
        assert_int_equal(n_writes(&a), 9);
        v2c_accesses_release(&a);
}

static void test_shell_volatile_only(void **state)
{
        (void) state;
        struct v2c_accesses a = scan(V2C_SCRIPT_SHELL,
                                     "#!/bin/sh\n"
                                     "mkdir -p /run/heartbeat\n"
                                     "while :; do\n"
                                     "  date +%s > /run/heartbeat/last\n"
                                     "  echo alive\n"
                                     "  sleep 30\n"
                                     "done\n",
                                     NULL);
        for (size_t i = 0; i < a.n; i++)
                assert_int_equal(v2c_path_place(a.items[i].path, NULL), V2C_PLACE_VOLATILE);
        assert_int_equal(n_writes(&a), 2);
        v2c_accesses_release(&a);
}

static void test_python(void **state)
{
        (void) state;
        struct v2c_accesses a = scan(V2C_SCRIPT_PYTHON,
                                     "import os, sqlite3\n"
                                     "from pathlib import Path\n"
                                     "DATA = os.environ.get('NOTES_DIR', '/var/lib/notes')\n"
                                     "DB = os.path.join(DATA, 'notes.sqlite3')\n"
                                     "def main():\n"
                                     "    os.makedirs(DATA, exist_ok=True)\n"
                                     "    conn = sqlite3.connect(DB)\n"
                                     "    mem = sqlite3.connect(':memory:')\n"
                                     "    with open('/srv/notes/export.csv', 'a') as f:\n"
                                     "        f.write('x')\n"
                                     "    with open('/etc/notes.conf') as f:\n"
                                     "        pass\n"
                                     "    with open(\"/opt/notes/r.txt\", mode=\"r\") as f:\n"
                                     "        pass\n"
                                     "    Path('/srv/notes', 'stamp').write_text('1')\n"
                                     "    (Path(DATA) / 'ready').touch()\n"
                                     "    out = open(os.environ['OUT'], 'w')\n"
                                     "    \"\"\"a docstring naming /var/lib/ghost\n"
                                     "    open('/var/lib/ghost', 'w') is not code here\"\"\"\n"
                                     "    # open('/var/lib/comment', 'w')\n"
                                     "    shutil.copy('/etc/x', f'{DATA}/copy')\n",
                                     NULL);
        assert_non_null(find(&a, V2C_ACCESS_MKDIR, "/var/lib/notes"));
        const struct v2c_access *db = find(&a, V2C_ACCESS_DATABASE, "/var/lib/notes/notes.sqlite3");
        assert_non_null(db);
        assert_int_equal(db->line, 7);
        assert_true(db->known);
        assert_null(find(&a, V2C_ACCESS_DATABASE, ":memory:"));
        assert_non_null(find(&a, V2C_ACCESS_APPEND, "/srv/notes/export.csv"));
        assert_null(find(&a, V2C_ACCESS_WRITE, "/etc/notes.conf"));
        assert_null(find(&a, V2C_ACCESS_WRITE, "/opt/notes/r.txt"));
        assert_non_null(find(&a, V2C_ACCESS_NAME, "/opt/notes/r.txt"));
        assert_non_null(find(&a, V2C_ACCESS_WRITE, "/srv/notes/stamp"));
        assert_non_null(find(&a, V2C_ACCESS_WRITE, "/var/lib/notes/ready"));
        assert_non_null(find(&a, V2C_ACCESS_WRITE, "/var/lib/notes/copy"));
        assert_null(find(&a, V2C_ACCESS_WRITE, "/var/lib/ghost"));
        assert_null(find(&a, V2C_ACCESS_WRITE, "/var/lib/comment"));
        /* a path only known at run time: written, place unknown */
        size_t unknown = 0;
        for (size_t i = 0; i < a.n; i++)
                if (a.items[i].kind == V2C_ACCESS_WRITE && !a.items[i].known) {
                        unknown++;
                        assert_int_equal(a.items[i].known_len, 0);
                        assert_int_equal(a.items[i].line, 17);
                }
        assert_int_equal(unknown, 1);
        assert_int_equal(n_writes(&a), 7);
        v2c_accesses_release(&a);
}

static void test_python_readonly(void **state)
{
        (void) state;
        struct v2c_accesses a = scan(V2C_SCRIPT_PYTHON,
                                     "import sys\n"
                                     "STATE = '/var/lib/worker/state'\n"
                                     "with open(STATE) as f:\n"
                                     "    print(f.read())\n"
                                     "sys.stdout.write('ok')\n",
                                     NULL);
        assert_int_equal(n_writes(&a), 0);
        assert_non_null(find(&a, V2C_ACCESS_NAME, "/var/lib/worker/state"));
        v2c_accesses_release(&a);
}

static void test_perl(void **state)
{
        (void) state;
        struct v2c_accesses a = scan(V2C_SCRIPT_PERL,
                                     "use strict;\n"
                                     "my $dir = '/var/lib/tally';\n"
                                     "open(my $fh, '>>', \"$dir/counts.log\") or die \"no: $!\";\n"
                                     "open(LOG, \">/srv/tally/last\") || die;\n"
                                     "open my $in, '<', '/srv/tally/input' or die;\n"
                                     "mkdir \"$dir/spool\";\n"
                                     "File::Path::make_path('/var/opt/tally/a');\n"
                                     "my $dbh = DBI->connect(\"dbi:SQLite:dbname=$dir/t.db\", '', '');\n"
                                     "=pod\n"
                                     "open(X, '>/var/lib/pod');\n"
                                     "=cut\n"
                                     "print \"done\\n\";\n",
                                     NULL);
        const struct v2c_access *w = find(&a, V2C_ACCESS_APPEND, "/var/lib/tally/counts.log");
        assert_non_null(w);
        assert_int_equal(w->line, 3);
        assert_non_null(find(&a, V2C_ACCESS_WRITE, "/srv/tally/last"));
        assert_null(find(&a, V2C_ACCESS_WRITE, "/srv/tally/input"));
        assert_non_null(find(&a, V2C_ACCESS_NAME, "/srv/tally/input"));
        assert_non_null(find(&a, V2C_ACCESS_MKDIR, "/var/lib/tally/spool"));
        assert_non_null(find(&a, V2C_ACCESS_MKDIR, "/var/opt/tally/a"));
        assert_non_null(find(&a, V2C_ACCESS_DATABASE, "/var/lib/tally/t.db"));
        assert_null(find(&a, V2C_ACCESS_WRITE, "/var/lib/pod"));
        assert_int_equal(n_writes(&a), 5);
        v2c_accesses_release(&a);
}

static void test_binary(void **state)
{
        (void) state;
        static const char bin[] = "\x7f" "ELF\0\0/var/lib/agent/state.json\0/usr/lib/x.so\0"
                                  "/var/lib/\0xx/srv/nope\0/tmp/agent.sock\0/var/spool/agent\0";
        char *names[] = { "agent", NULL };
        char **paths = NULL;
        assert_int_equal(v2c_binary_data_paths(bin, sizeof bin - 1, names, &paths), 0);
        assert_non_null(paths);
        assert_int_equal(v2c_strv_len(paths), 2);
        assert_string_equal(paths[0], "/var/lib/agent/state.json");
        assert_string_equal(paths[1], "/var/spool/agent");
        v2c_strv_free(paths);
        static const char clean[] = "\x7f" "ELF\0/usr/lib/x\0/tmp/y\0/run/z\0";
        assert_int_equal(v2c_binary_data_paths(clean, sizeof clean - 1, names, &paths), 0);
        assert_null(paths);
}

static void test_bad_input(void **state)
{
        (void) state;
        struct v2c_accesses a = { 0 };
        struct v2c_error *e = NULL;
        assert_int_equal(v2c_script_accesses(V2C_SCRIPT_SHELL, "a\0b", 3, NULL, &a, &e), -EINVAL);
        e = v2c_error_free(e);
        size_t big = 1024 * 1024 + 1;
        char *b = calloc(1, big);
        assert_non_null(b);
        memset(b, 'x', big);
        assert_int_equal(v2c_script_accesses(V2C_SCRIPT_PYTHON, b, big, NULL, &a, &e), -E2BIG);
        e = v2c_error_free(e);
        free(b);
        /* unbalanced quotes and brackets: no crash, no access invented */
        a = scan(V2C_SCRIPT_SHELL, "echo \"unterminated > /srv/x\n", NULL);
        assert_int_equal(n_writes(&a), 0);
        v2c_accesses_release(&a);
        a = scan(V2C_SCRIPT_PYTHON, "open('/srv/x', 'w'", NULL);
        assert_non_null(find(&a, V2C_ACCESS_WRITE, "/srv/x"));
        v2c_accesses_release(&a);
        a = scan(V2C_SCRIPT_PERL, "open(F, '>", NULL);
        v2c_accesses_release(&a);
}

int main(int argc, char **argv)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_places),
                cmocka_unit_test(test_database_files),
                cmocka_unit_test(test_lang),
                cmocka_unit_test(test_shell_redirections),
                cmocka_unit_test(test_shell_commands),
                cmocka_unit_test(test_shell_volatile_only),
                cmocka_unit_test(test_python),
                cmocka_unit_test(test_python_readonly),
                cmocka_unit_test(test_perl),
                cmocka_unit_test(test_binary),
                cmocka_unit_test(test_bad_input),
        };
        return v2c_run_group_tests(argc, argv, tests, NULL, NULL);
}
