/* Unit tests for where convert writes: the target check of convert/oci.c
 * (--force replaces only a layout v2c wrote) and common/signal-cleanup.c
 * (temporary trees removed when a signal ends the process, which then
 * dies of that signal).  The signal tests run in forked children. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "unit-main.h"

#include "error.h"
#include "fsutil.h"
#include "oci.h"
#include "signal-cleanup.h"

static char root[] = "/tmp/v2c-test-output-XXXXXX";

static void put(const char *rel, const char *data)
{
        char p[4096];
        snprintf(p, sizeof p, "%s/%s", root, rel);
        FILE *f = fopen(p, "w");
        assert_non_null(f);
        fputs(data, f);
        fclose(f);
}

static void dir(const char *rel)
{
        char p[4096];
        snprintf(p, sizeof p, "%s/%s", root, rel);
        assert_int_equal(mkdir(p, 0755), 0);
}

/* A layout as v2c writes it, in ROOT/NAME. */
static void layout(const char *name)
{
        char p[512];
        dir(name);
        snprintf(p, sizeof p, "%s/oci-layout", name), put(p, "{\"imageLayoutVersion\":\"1.0.0\"}\n");
        snprintf(p, sizeof p, "%s/index.json", name), put(p, "{}\n");
        snprintf(p, sizeof p, "%s/blobs", name), dir(p);
        snprintf(p, sizeof p, "%s/blobs/sha256", name), dir(p);
        snprintf(p, sizeof p, "%s/blobs/sha256/0123456789abcdef", name), put(p, "x");
        snprintf(p, sizeof p, "%s/v2c", name), dir(p);
        static const char *const side[] = { "lock.json", "links.json", "web.spdx.json", "web.k8s.yaml",
                                            "a-b.pod.k8s.yaml", "web.env.template" };
        for (size_t i = 0; i < sizeof side / sizeof side[0]; i++)
                snprintf(p, sizeof p, "%s/v2c/%s", name, side[i]), put(p, "x");
}

/* The kind of error of the check of ROOT/NAME (-1: accepted); the
 * message must name FOREIGN when given. */
static int check(const char *name, bool force, const char *foreign)
{
        char p[4096];
        snprintf(p, sizeof p, "%s/%s", root, name);
        struct v2c_error *err = NULL;
        int r = v2c_oci_layout_check_target(p, force, &err);
        if (r == 0) {
                assert_null(err);
                return -1;
        }
        assert_non_null(err);
        assert_null(strchr(err->msg, '\n'));
        if (foreign)
                assert_non_null(strstr(err->msg, foreign));
        int kind = (int) err->kind;
        v2c_error_free(err);
        return kind;
}

static void test_target(void **state)
{
        (void) state;
        assert_non_null(mkdtemp(root));
        assert_int_equal(check("missing", true, NULL), -1);
        dir("empty");
        assert_int_equal(check("empty", false, NULL), -1);
        layout("ok");
        assert_int_equal(check("ok", true, NULL), -1);
        assert_int_equal(check("ok", false, "--force"), V2C_ERR_REFUSED);
        /* A layout without v2c/ (pulled) is one v2c wrote too. */
        layout("plain");
        char p[4096];
        snprintf(p, sizeof p, "%s/plain/v2c", root);
        assert_int_equal(v2c_remove_tree(p), 0);
        assert_int_equal(check("plain", true, NULL), -1);

        /* Each place a user's file could hide: refused, even with force. */
        struct { const char *name, *add, *foreign; bool is_dir; } cases[] = {
                { "top", "top/thesis.tex", "top/thesis.tex", false },
                { "topdir", "topdir/photos", "topdir/photos", true },
                { "side", "side/v2c/notes.txt", "v2c/notes.txt", false },
                { "sidedir", "sidedir/v2c/x.k8s.yaml", "v2c/x.k8s.yaml", true },
                { "blobname", "blobname/blobs/sha256/README", "sha256/README", false },
                { "blobdir", "blobdir/blobs/sha256/abcdef", "sha256/abcdef", true },
                { "blobfile", "blobfile/blobs/notes", "blobs/notes", false },
                { "algdir", "algdir/blobs/SHA256", "blobs/SHA256", true },
        };
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
                layout(cases[i].name);
                if (cases[i].is_dir)
                        dir(cases[i].add);
                else
                        put(cases[i].add, "mine");
                assert_int_equal(check(cases[i].name, true, cases[i].foreign), V2C_ERR_REFUSED);
                assert_int_equal(check(cases[i].name, false, cases[i].foreign), V2C_ERR_REFUSED);
        }
        /* The case: oci-layout beside a user's file, no index. */
        dir("user");
        put("user/oci-layout", "{}");
        put("user/data.csv", "1,2");
        assert_int_equal(check("user", true, "data.csv"), V2C_ERR_REFUSED);
        /* Symlinks are foreign wherever they are, and never followed. */
        layout("link");
        snprintf(p, sizeof p, "%s/link/blobs/sha256/abcd", root);
        assert_int_equal(symlink("/etc/passwd", p), 0);
        assert_int_equal(check("link", true, "sha256/abcd"), V2C_ERR_REFUSED);
        layout("linkdir");
        snprintf(p, sizeof p, "%s/linkdir/v2c", root);
        assert_int_equal(v2c_remove_tree(p), 0);
        assert_int_equal(symlink(root, p), 0);
        assert_int_equal(check("linkdir", true, "linkdir/v2c"), V2C_ERR_REFUSED);
        put("afile", "x");
        assert_int_equal(check("afile", true, NULL), V2C_ERR_REFUSED);

        struct v2c_error *err = NULL;
        assert_true(v2c_oci_layout_check_target("", true, &err) < 0);
        assert_int_equal(err->kind, V2C_ERR_USAGE);
        v2c_error_free(err);
        assert_int_equal(v2c_remove_tree(root), 0);
}

/* Runs CHILD in a forked process, waits for it to stop itself (SIGSTOP,
 * after its setup), sends SIG, and returns its wait status. */
static int signalled(void (*child)(const char *dir), const char *dir, int sig)
{
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                /* As a shell's background job may have them ignored. */
                signal(SIGINT, SIG_DFL);
                signal(SIGHUP, SIG_DFL);
                child(dir);
                _exit(99);
        }
        int st;
        assert_int_equal(waitpid(pid, &st, WUNTRACED), pid);
        assert_true(WIFSTOPPED(st));
        kill(pid, sig);
        kill(pid, SIGCONT);
        assert_int_equal(waitpid(pid, &st, 0), pid);
        return st;
}

static void make_tree(const char *d)
{
        char p[2048];
        snprintf(p, sizeof p, "%s/blobs/sha256", d);
        char q[2048];
        snprintf(q, sizeof q, "%s/blobs", d);
        if (mkdir(q, 0755) < 0 || mkdir(p, 0755) < 0)
                _exit(98);
        for (int i = 0; i < 300; i++) {
                snprintf(p, sizeof p, "%s/blobs/sha256/%064d", d, i);
                int fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0644);
                if (fd < 0 || write(fd, "data", 4) != 4)
                        _exit(98);
                close(fd);
        }
        snprintf(p, sizeof p, "%s/blobs/link", d);
        if (symlink("/etc", p) < 0)     /* removed, never followed */
                _exit(98);
}

static char made[1024];

static void child_registered(const char *d)
{
        snprintf(made, sizeof made, "%s/layout.v2c-tmp-XXXXXX", d);
        if (v2c_signal_cleanup_mkdtemp(made) == NULL)
                _exit(97);
        make_tree(made);
        raise(SIGSTOP);
        pause();
}

static void child_forgotten(const char *d)
{
        snprintf(made, sizeof made, "%s/kept", d);
        if (mkdir(made, 0755) < 0 || v2c_signal_cleanup_add(made) < 0)
                _exit(97);
        v2c_signal_cleanup_forget(made);
        raise(SIGSTOP);
        pause();
}

/* A signal held back arrives at release, after the work in between. */
static void child_held(const char *d)
{
        snprintf(made, sizeof made, "%s/held.XXXXXX", d);
        if (v2c_signal_cleanup_mkdtemp(made) == NULL)
                _exit(97);
        v2c_signal_cleanup_hold();
        raise(SIGSTOP);
        char p[2048];
        snprintf(p, sizeof p, "%s/../swapped", made);
        int fd = open(p, O_WRONLY | O_CREAT, 0644);   /* the work a signal must not cut */
        close(fd);
        v2c_signal_cleanup_release();
        _exit(96);
}

static size_t entries(const char *d)
{
        char cmd[4200];
        snprintf(cmd, sizeof cmd, "find '%s' -mindepth 1 | wc -l", d);
        FILE *f = popen(cmd, "r");
        unsigned long n = 999;
        assert_non_null(f);
        assert_int_equal(fscanf(f, "%lu", &n), 1);
        pclose(f);
        return n;
}

static void test_signals(void **state)
{
        (void) state;
        char d[] = "/tmp/v2c-test-signals-XXXXXX";
        assert_non_null(mkdtemp(d));
        int sigs[] = { SIGTERM, SIGINT, SIGHUP };
        for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
                int st = signalled(child_registered, d, sigs[i]);
                assert_true(WIFSIGNALED(st));
                assert_int_equal(WTERMSIG(st), sigs[i]);
                assert_int_equal(entries(d), 0);
        }
        assert_int_equal(access("/etc/passwd", F_OK), 0);

        int st = signalled(child_forgotten, d, SIGTERM);
        assert_true(WIFSIGNALED(st));
        assert_int_equal(entries(d), 1);   /* "kept" */
        char p[4200];
        snprintf(p, sizeof p, "%s/kept", d);
        assert_int_equal(rmdir(p), 0);

        st = signalled(child_held, d, SIGTERM);
        assert_true(WIFSIGNALED(st));
        assert_int_equal(WTERMSIG(st), SIGTERM);
        assert_int_equal(entries(d), 1);   /* "swapped", and the registered one removed */
        snprintf(p, sizeof p, "%s/swapped", d);
        assert_int_equal(unlink(p), 0);
        assert_int_equal(rmdir(d), 0);
}

int main(int argc, char **argv)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_target),
                cmocka_unit_test(test_signals),
        };
        return v2c_run_group_tests(argc, argv, tests, NULL, NULL);
}
