/* A secret is a file, not a path: v2c_guest_identify gives every name of
 * one file one identity (directory and tar guests; the disk backend is
 * covered by test-hostile-links), and col_screen keeps every name of a
 * secret out of the trees convert writes, cleans every name of
 * /etc/shadow, and finds secrets by the rules when the report lists none. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "unit-main.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "convert-internal.h"
#include "guest.h"
#include "strv.h"

static char tmpdir[] = "/tmp/v2c-test-collect-XXXXXX";
static char tarpath[sizeof tmpdir + 8];

static const char private_key[] = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n";

static void put(const char *rel, const char *data)
{
        char path[512];
        snprintf(path, sizeof path, "%s/%s", tmpdir, rel);
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        fputs(data, f);
        fclose(f);
}

static void link_to(const char *target, const char *rel)
{
        char a[512], b[512];
        snprintf(a, sizeof a, "%s/%s", tmpdir, target);
        snprintf(b, sizeof b, "%s/%s", tmpdir, rel);
        assert_int_equal(link(a, b), 0);
}

static int setup(void **state)
{
        (void) state;
        if (mkdtemp(tmpdir) == NULL)
                return -1;
        static const char *const dirs[] = { "etc", "root", "root/.ssh", "opt", "opt/app", "usr", "usr/share" };
        for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
                char p[512];
                snprintf(p, sizeof p, "%s/%s", tmpdir, dirs[i]);
                if (mkdir(p, 0755) < 0)
                        return -1;
        }
        put("etc/shadow", "root:$6$salt$PLANTEDHASH:19000:0:99999:7:::\nnobody:*:19000:0:99999:7:::\n");
        put("etc/gshadow", "adm:$6$salt$PLANTEDGHASH::\n");
        put("root/.ssh/id_rsa", private_key);
        put("opt/app/app.py", "print('hello')\n");
        put("opt/app/.env", "DB_PASSWORD=hunter2\n");
        /* A secret only the report knows (no rule would find it). */
        put("root/token", "opaque\n");
        link_to("root/token", "opt/app/blob");
        link_to("root/.ssh/id_rsa", "opt/app/static-data.bin");
        link_to("etc/shadow", "opt/app/sh");
        link_to("etc/gshadow", "usr/share/gsh");
        /* Sorts before .env, which only the rules find. */
        link_to("opt/app/.env", "opt/app/+settings");
        char target[512];
        snprintf(target, sizeof target, "%s/opt/app/shadow-link", tmpdir);
        if (symlink("/etc/shadow", target) < 0)
                return -1;
        snprintf(tarpath, sizeof tarpath, "%s.tar", tmpdir);
        char cmd[1200];
        /* /root and /etc first: the other names are hardlink members. */
        snprintf(cmd, sizeof cmd, "tar -C '%s' -cf '%s' root etc opt usr", tmpdir, tarpath);
        return system(cmd) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
        (void) state;
        char cmd[1200];
        snprintf(cmd, sizeof cmd, "rm -rf '%s' '%s'", tmpdir, tarpath);
        return system(cmd) == 0 ? 0 : -1;
}

static struct v2c_guest *open_guest(int tar)
{
        const char *src[] = { tar ? tarpath : tmpdir };
        struct v2c_guest *g = NULL;
        assert_int_equal(v2c_guest_open(src, 1, NULL, &g, NULL), 0);
        return g;
}

static bool same(const struct v2c_file_id *a, const struct v2c_file_id *b)
{
        return a->dev == b->dev && a->ino == b->ino;
}

static void test_identify(void **state)
{
        (void) state;
        for (int tar = 0; tar < 2; tar++) {
                struct v2c_guest *g = open_guest(tar);
                char *paths[] = { "/root/.ssh/id_rsa", "/opt/app/static-data.bin", "/opt/app/app.py", "/missing",
                                  "/opt/app/shadow-link", "/etc/shadow", "/opt/app/sh", NULL };
                struct v2c_file_id ids[7];
                assert_int_equal(v2c_guest_identify(g, paths, 7, ids, NULL), 0);
                assert_true(same(&ids[0], &ids[1]));
                assert_int_equal(ids[0].nlink, 2);
                assert_int_not_equal(ids[0].ino, 0);
                assert_false(same(&ids[0], &ids[2]));
                assert_int_equal(ids[2].nlink, 1);
                assert_int_equal(ids[3].ino, 0);
                /* A symlink is itself, not its target. */
                assert_false(same(&ids[4], &ids[5]));
                assert_true(same(&ids[5], &ids[6]));
                v2c_guest_close(g);
        }
}

static const struct cnode *node(const struct col *c, int layer, const char *path)
{
        for (size_t i = 0; i < c->trees[layer].n; i++)
                if (strcmp(c->trees[layer].v[i].path, path) == 0)
                        return &c->trees[layer].v[i];
        return NULL;
}

static bool noted(const struct col *c, const char *path)
{
        for (size_t i = 0; c->excluded && c->excluded[i]; i++)
                if (strncmp(c->excluded[i], path, strlen(path)) == 0 && c->excluded[i][strlen(path)] == ':')
                        return true;
        return false;
}

/* REPORTED: the report lists id_rsa; else it lists nothing, and the rules
 * must find the key through its other name (nlink 2). */
static void screen(int tar, bool reported)
{
        struct v2c_guest *g = open_guest(tar);
        struct col c;
        col_init(&c, g, V2C_CONVERT_SERVICE);
        char *secrets[] = { "/root/.ssh/id_rsa", "/root/token", NULL };
        assert_int_equal(col_guard_init(&c, reported ? secrets : NULL, NULL), 0);
        assert_int_equal(col_add(&c, LAYER_APP, "/opt/app", COL_RECURSIVE, NULL), 0);
        assert_int_equal(col_add(&c, LAYER_PACKAGES, "/usr/share/gsh", 0, NULL), 0);
        /* The symlink's target came with it. */
        assert_non_null(node(&c, LAYER_APP, "etc/shadow"));
        assert_int_equal(col_screen(&c, LAYER_PACKAGES, N_LAYERS - 1, NULL), 0);

        const struct cnode *n = node(&c, LAYER_APP, "opt/app/static-data.bin");
        assert_non_null(n);
        assert_true(n->excluded);
        assert_true(noted(&c, "/opt/app/static-data.bin"));
        /* Only the identity of a reported secret gives this one away. */
        assert_int_equal(node(&c, LAYER_APP, "opt/app/blob")->excluded, reported);
        /* An env file no report named, and its other name sorting first. */
        assert_true(node(&c, LAYER_APP, "opt/app/.env")->excluded);
        assert_true(node(&c, LAYER_APP, "opt/app/+settings")->excluded);
        assert_false(node(&c, LAYER_APP, "opt/app/app.py")->excluded);
        assert_false(noted(&c, "/opt/app/app.py"));
        /* Every name of the shadow files: cleaned, from generated data. */
        static const struct { int layer; const char *path, *clean; } sh[] = {
                { LAYER_APP, "opt/app/sh", "root:*:" },
                { LAYER_APP, "etc/shadow", "root:*:" },
                { LAYER_PACKAGES, "usr/share/gsh", "adm:*:" },
        };
        for (size_t i = 0; i < sizeof sh / sizeof sh[0]; i++) {
                n = node(&c, sh[i].layer, sh[i].path);
                assert_non_null(n);
                assert_false(n->excluded);
                assert_null(n->guest);
                assert_non_null(n->data);
                assert_non_null(strstr(n->data, sh[i].clean));
                assert_null(strstr(n->data, "PLANTED"));
        }
        col_release(&c);
        v2c_guest_close(g);
}

static void test_screen_dir(void **state)
{
        (void) state;
        screen(0, true);
        screen(0, false);
}

static void test_screen_tar(void **state)
{
        (void) state;
        screen(1, true);
        screen(1, false);
}

/* --include-secret keeps the file it names, and only that name. */
static void test_screen_keep(void **state)
{
        (void) state;
        struct v2c_guest *g = open_guest(0);
        struct col c;
        col_init(&c, g, V2C_CONVERT_SERVICE);
        char *keep[] = { "/opt/app/.env", NULL };
        c.keep = keep;
        assert_int_equal(col_guard_init(&c, NULL, NULL), 0);
        assert_int_equal(col_add(&c, LAYER_APP, "/opt/app", COL_RECURSIVE, NULL), 0);
        assert_int_equal(col_screen(&c, LAYER_PACKAGES, N_LAYERS - 1, NULL), 0);
        assert_false(node(&c, LAYER_APP, "opt/app/.env")->excluded);
        assert_true(node(&c, LAYER_APP, "opt/app/static-data.bin")->excluded);
        col_release(&c);
        v2c_guest_close(g);
}

int main(int argc, char **argv)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_identify),
                cmocka_unit_test(test_screen_dir),
                cmocka_unit_test(test_screen_tar),
                cmocka_unit_test(test_screen_keep),
        };
        return v2c_run_group_tests(argc, argv, tests, setup, teardown);
}
