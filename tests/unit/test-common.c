/* Unit tests for common/: errors, bounded buffers, guest path resolution,
 * the tar index, and the directory and tar guest backends (symlinks that
 * try to leave the guest root must stay inside it). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "unit-main.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "buf.h"
#include "caps.h"
#include "error.h"
#include "guest.h"
#include "guest-internal.h"
#include "path.h"
#include "sha256.h"
#include "strv.h"
#include "text.h"
#include "json.h"
#include "progress.h"

static void test_error_prefix(void **state)
{
        (void) state;
        struct v2c_error *e = NULL;
        int r = v2c_error_set(&e, ENOENT, "`%s` does not exist", "/etc/x");
        assert_int_equal(r, -ENOENT);
        assert_int_equal(v2c_error_prefix(&e, r, "reading config"), -ENOENT);
        assert_string_equal(e->msg, "reading config: `/etc/x` does not exist");
        /* A second set keeps the first, deepest error. */
        v2c_error_set(&e, EIO, "other");
        assert_int_equal(e->code, ENOENT);
        v2c_error_free(e);
        assert_int_equal(v2c_error_set(NULL, EINVAL, "ignored"), -EINVAL);
}

static void test_buf_limit(void **state)
{
        (void) state;
        struct v2c_buf b;
        v2c_buf_init(&b, 8);
        assert_int_equal(v2c_buf_appends(&b, "1234"), 0);
        assert_int_equal(v2c_buf_appends(&b, "5678"), 0);
        assert_int_equal(v2c_buf_appends(&b, "9"), -E2BIG);
        assert_string_equal(b.data, "12345678");
        assert_int_equal(b.len, 8);
        v2c_buf_release(&b);
}

static void test_normalize(void **state)
{
        (void) state;
        static const char *const cases[][3] = {
                { NULL, "/a/b/../c", "/a/c" },  { NULL, "/../../etc", "/etc" }, { NULL, "//a//./b/", "/a/b" },
                { "/usr/lib", "../bin/x", "/usr/bin/x" }, { NULL, "/", "/" },    { NULL, "..", "/" },
                { "/etc", "/abs", "/abs" },
        };
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
                char *out = NULL;
                assert_int_equal(v2c_path_normalize(cases[i][0], cases[i][1], &out), 0);
                assert_string_equal(out, cases[i][2]);
                free(out);
        }
        assert_true(v2c_path_is_under("/etc/nginx/x", "/etc/nginx"));
        assert_false(v2c_path_is_under("/etc/nginx2", "/etc/nginx"));
        assert_true(v2c_path_is_under("/x", "/"));
}

/* A fake file system for the resolver: a few symlinks, everything else a
 * plain file or directory. */
static const char *const fake_links[][2] = {
        { "/bin", "usr/bin" },        { "/usr/bin/sh", "dash" },  { "/etc/alt", "/etc/../../../usr/bin/sh" },
        { "/loop1", "/loop2" },        { "/loop2", "/loop1" },     { "/up", "../../../../.." },
};

static int fake_is_symlink(void *ctx, const char *path, struct v2c_error **err)
{
        (void) ctx;
        (void) err;
        for (size_t i = 0; i < sizeof fake_links / sizeof fake_links[0]; i++)
                if (strcmp(path, fake_links[i][0]) == 0)
                        return 1;
        if (strncmp(path, "/missing", 8) == 0)
                return -ENOENT;
        return 0;
}

static int fake_readlink(void *ctx, const char *path, char **target, struct v2c_error **err)
{
        (void) ctx;
        (void) err;
        for (size_t i = 0; i < sizeof fake_links / sizeof fake_links[0]; i++)
                if (strcmp(path, fake_links[i][0]) == 0) {
                        *target = strdup(fake_links[i][1]);
                        return 0;
                }
        return -EINVAL;
}

static const struct v2c_path_ops fake_ops = { fake_is_symlink, fake_readlink };

static void test_resolve(void **state)
{
        (void) state;
        char *out = NULL;
        assert_int_equal(v2c_path_resolve(&fake_ops, NULL, "/bin/sh", true, false, &out, NULL), 0);
        assert_string_equal(out, "/usr/bin/dash");
        free(out);
        assert_int_equal(v2c_path_resolve(&fake_ops, NULL, "/bin/sh", false, false, &out, NULL), 0);
        assert_string_equal(out, "/usr/bin/sh");
        free(out);
        /* ".." in an absolute target stops at the guest root. */
        assert_int_equal(v2c_path_resolve(&fake_ops, NULL, "/etc/alt", true, false, &out, NULL), 0);
        assert_string_equal(out, "/usr/bin/dash");
        free(out);
        assert_int_equal(v2c_path_resolve(&fake_ops, NULL, "/up/etc/passwd", true, false, &out, NULL), 0);
        assert_string_equal(out, "/etc/passwd");
        free(out);
        struct v2c_error *e = NULL;
        assert_int_equal(v2c_path_resolve(&fake_ops, NULL, "/loop1/x", true, false, &out, &e), -ELOOP);
        assert_non_null(e);
        v2c_error_free(e);
        assert_int_equal(v2c_path_resolve(&fake_ops, NULL, "/missing/x", true, false, &out, NULL), -ENOENT);
        assert_int_equal(v2c_path_resolve(&fake_ops, NULL, "/missing/x", true, true, &out, NULL), 0);
        assert_string_equal(out, "/missing/x");
        free(out);
}

static char tmpdir[256];

static void write_file(const char *rel, const char *content)
{
        char p[512];
        snprintf(p, sizeof p, "%s/%s", tmpdir, rel);
        FILE *f = fopen(p, "w");
        assert_non_null(f);
        fputs(content, f);
        fclose(f);
}

static void mk(const char *rel)
{
        char p[512];
        snprintf(p, sizeof p, "%s/%s", tmpdir, rel);
        assert_int_equal(mkdir(p, 0755), 0);
}

static void ln(const char *target, const char *rel)
{
        char p[512];
        snprintf(p, sizeof p, "%s/%s", tmpdir, rel);
        assert_int_equal(symlink(target, p), 0);
}

static int setup_tree(void **state)
{
        (void) state;
        snprintf(tmpdir, sizeof tmpdir, "/tmp/v2c-test-XXXXXX");
        assert_non_null(mkdtemp(tmpdir));
        mk("etc");
        mk("usr");
        mk("usr/bin");
        write_file("etc/passwd", "guest-passwd\n");
        write_file("usr/bin/app", "#!/bin/sh\n");
        /* Every way out of the root must land back inside it. */
        ln("/etc/passwd", "etc/abs-link");
        ln("../../../../../../etc/passwd", "etc/climb-link");
        ln("/../../etc/passwd", "etc/abs-climb");
        ln("loop-b", "etc/loop-a");
        ln("loop-a", "etc/loop-b");
        ln("usr/bin", "bin");
        return 0;
}

static int teardown_tree(void **state)
{
        (void) state;
        char cmd[512];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
        return system(cmd);
}

static void check_guest_confined(struct v2c_guest *g)
{
        static const char *const links[] = { "/etc/abs-link", "/etc/climb-link", "/etc/abs-climb" };
        for (size_t i = 0; i < 3; i++) {
                char *data = NULL;
                size_t len = 0;
                assert_int_equal(v2c_guest_read_file(g, links[i], 0, &data, &len, NULL), 0);
                /* The guest's passwd, never the host's. */
                assert_string_equal(data, "guest-passwd\n");
                free(data);
        }
        /* The streaming reader, in small chunks, through a link. */
        struct v2c_guest_file *f = NULL;
        struct v2c_stat fst;
        assert_int_equal(v2c_guest_open_file(g, "/etc/climb-link", &f, &fst, NULL), 0);
        assert_int_equal(fst.size, 13);
        char got_all[64] = "";
        size_t total = 0, got;
        do {
                assert_int_equal(v2c_guest_file_read(f, got_all + total, 5, &got, NULL), 0);
                total += got;
        } while (got);
        assert_int_equal(total, 13);
        assert_string_equal(got_all, "guest-passwd\n");
        v2c_guest_file_close(f);
        assert_true(v2c_guest_open_file(g, "/etc", &f, NULL, NULL) < 0);

        char *real = NULL;
        assert_int_equal(v2c_guest_realpath(g, "/bin/app", &real, NULL), 0);
        assert_string_equal(real, "/usr/bin/app");
        free(real);
        struct v2c_error *e = NULL;
        char *data = NULL;
        size_t len;
        assert_int_equal(v2c_guest_read_file(g, "/etc/loop-a", 0, &data, &len, &e), -ELOOP);
        v2c_error_free(e);
        e = NULL;
        assert_int_equal(v2c_guest_read_file(g, "/etc/passwd", 4, &data, &len, &e), -EFBIG);
        v2c_error_free(e);
        assert_false(v2c_guest_exists(g, "/nope", 0));
        struct v2c_dirent *ents = NULL;
        size_t n = 0;
        assert_int_equal(v2c_guest_list(g, "/etc", &ents, &n, NULL), 0);
        assert_int_equal(n, 6);
        assert_string_equal(ents[0].name, "abs-climb");
        assert_string_equal(ents[5].name, "passwd");
        assert_int_equal(ents[5].st.type, V2C_FT_REG);
        assert_int_equal(ents[5].st.size, 13);
        v2c_dirents_free(ents, n);
}

/* A v2 file-capability value: cap_net_bind_service (bit 10) permitted, effective. */
static const unsigned char bind_cap[20] = { 0x01, 0x00, 0x00, 0x02, 0x00, 0x04 };

static void test_dir_guest(void **state)
{
        (void) state;
        const char *src[] = { tmpdir };
        struct v2c_guest *g = NULL;
        assert_int_equal(v2c_guest_open(src, 1, NULL, &g, NULL), 0);
        assert_string_equal(v2c_guest_kind(g), "directory");
        check_guest_confined(g);

        /* File capabilities, read through a symlinked parent (/bin). */
        char p[512];
        snprintf(p, sizeof p, "%s/usr/bin/app", tmpdir);
        void *cap = NULL;
        size_t cap_len = 7;
        assert_int_equal(v2c_guest_capability(g, "/etc/passwd", &cap, &cap_len, NULL), 0);
        assert_null(cap);
        assert_int_equal(cap_len, 0);
        if (setxattr(p, "security.capability", bind_cap, sizeof bind_cap, 0) < 0) {
                /* Setting one needs CAP_SETFCAP (CI runs as root). */
                print_message("skipped the directory capability check: setxattr: %s\n", strerror(errno));
        } else {
                assert_int_equal(v2c_guest_capability(g, "/bin/app", &cap, &cap_len, NULL), 0);
                assert_non_null(cap);
                assert_int_equal(cap_len, sizeof bind_cap);
                assert_memory_equal(cap, bind_cap, sizeof bind_cap);
                free(cap);
                removexattr(p, "security.capability");
        }
        v2c_guest_close(g);
}

static void test_tar_guest(void **state)
{
        (void) state;
        char tarpath[512], cmd[1024];
        snprintf(tarpath, sizeof tarpath, "%s.tar", tmpdir);
        snprintf(cmd, sizeof cmd, "tar -C '%s' -cf '%s' .", tmpdir, tarpath);
        assert_int_equal(system(cmd), 0);
        const char *src[] = { tarpath };
        struct v2c_guest *g = NULL;
        assert_int_equal(v2c_guest_open(src, 1, NULL, &g, NULL), 0);
        assert_string_equal(v2c_guest_kind(g), "tar");
        check_guest_confined(g);
        v2c_guest_close(g);
        unlink(tarpath);
}

/* Writes a tar with hostile members through libarchive. */
static void write_hostile_tar(const char *path)
{
        static char big[200];
        struct archive *a = archive_write_new();
        archive_write_set_format_pax_restricted(a);
        assert_int_equal(archive_write_open_filename(a, path), ARCHIVE_OK);
        static const struct { const char *name; int type; const char *data; const char *link; } m[] = {
                { "../../escape", AE_IFREG, "bad", NULL },
                { "etc/hostname", AE_IFREG, "web01\n", NULL },
                { "etc/hard", AE_IFREG, NULL, "etc/hostname" },
                { "usr/lib/deep/file", AE_IFREG, "x", NULL },
                { "dev/null", AE_IFCHR, NULL, NULL },
                { "etc/pg/15/start.conf", AE_IFREG, "auto\n", NULL },
                { "etc/pg-common/x", AE_IFREG, "x", NULL },
                { "etc/zz", AE_IFREG, "chain\n", NULL },
                { "etc/bb", AE_IFREG, NULL, "etc/zz" },
                { "etc/aa", AE_IFREG, NULL, "etc/bb" },
                { "etc/motd", AE_IFREG, "old\n", NULL },
                { "etc/motd", AE_IFREG, "new\n", NULL },
        };
        for (size_t i = 0; i < sizeof m / sizeof m[0]; i++) {
                struct archive_entry *e = archive_entry_new();
                archive_entry_set_pathname(e, m[i].name);
                archive_entry_set_filetype(e, (unsigned) m[i].type);
                archive_entry_set_perm(e, 0644);
                if (m[i].link)
                        archive_entry_set_hardlink(e, m[i].link);
                /* File capabilities are kept; other xattrs and an
                 * oversized capability are not. */
                if (strcmp(m[i].name, "etc/hostname") == 0) {
                        archive_entry_xattr_add_entry(e, "security.capability", bind_cap, sizeof bind_cap);
                        archive_entry_xattr_add_entry(e, "security.selinux", "x", 1);
                }
                if (strcmp(m[i].name, "etc/zz") == 0)
                        archive_entry_xattr_add_entry(e, "security.capability", big, sizeof big);
                /* Hardlinks claiming capabilities of their own: the
                 * target's (or none) win, one inode having one set. */
                if (strcmp(m[i].name, "etc/hard") == 0 || strcmp(m[i].name, "etc/bb") == 0)
                        archive_entry_xattr_add_entry(e, "security.capability", bind_cap, 12);
                archive_entry_set_size(e, m[i].data ? (la_int64_t) strlen(m[i].data) : 0);
                archive_write_header(a, e);
                if (m[i].data)
                        archive_write_data(a, m[i].data, strlen(m[i].data));
                archive_entry_free(e);
        }
        archive_write_close(a);
        archive_write_free(a);
}

/* File names are bytes: a pax archive (UTF-8 `path`/`linkpath` records,
 * hdrcharset=BINARY for Latin-1) and a GNU one (raw header bytes) give the
 * same names, link targets and hardlinks, in the C locale.  The archives
 * are seeds of fuzz-tar. */
static void test_tarindex_names(void **state)
{
        (void) state;
        assert_non_null(setlocale(LC_ALL, "C"));
        const char *seeds[] = { "tests/fuzz/corpus/tar/non-ascii-names-pax.tar",
                                "tests/fuzz/corpus/tar/non-ascii-names-gnu.tar" };
        const char *netlock = "/etc/ssl/certs/NetLock_Arany_=Class_Gold=_F\xc5\x91tan\xc3\xbas\xc3\xadtv\xc3\xa1ny.pem";
        for (size_t i = 0; i < 2; i++) {
                int fd = open(seeds[i], O_RDONLY | O_CLOEXEC);
                assert_true(fd >= 0);
                struct v2c_tarindex *ti = v2c_tarindex_new(NULL);
                size_t skipped = 0;
                assert_int_equal(v2c_tarindex_add(ti, fd, "/", &skipped, NULL), 0);
                assert_int_equal(v2c_tarindex_seal(ti, NULL), 0);
                close(fd);
                assert_int_equal(skipped, 0);
                struct v2c_stat st;
                char *data = NULL, *target = NULL;
                size_t len;
                assert_int_equal(v2c_tarindex_lstat(ti, netlock, &st), 0);
                assert_int_equal(v2c_tarindex_readlink(ti, "/etc/ssl/certs/988a38cb.0", &target), 0);
                assert_string_equal(target, netlock + strlen("/etc/ssl/certs/"));
                free(target);
                assert_int_equal(v2c_tarindex_read(ti, "/srv/caf\xe9-latin1.txt", 100, &data, &len, NULL), 0);
                assert_string_equal(data, "latin-1\n");
                free(data);
                assert_int_equal(v2c_tarindex_readlink(ti, "/srv/lien-\xc3\xa9", &target), 0);
                assert_string_equal(target, "caf\xe9-latin1.txt");
                free(target);
                assert_int_equal(v2c_tarindex_read(ti, "/srv/hard-to-caf\xc3\xa9", 100, &data, &len, NULL), 0);
                assert_string_equal(data, "utf-8\n");
                free(data);
                v2c_tarindex_free(ti);
        }
}

/* The numbers progress shows. */
static void test_progress_units(void **state)
{
        (void) state;
        char b[32];
        assert_string_equal(v2c_progress_bytes(999, b, sizeof b), "999 B");
        assert_string_equal(v2c_progress_bytes(1500, b, sizeof b), "1.5 kB");
        assert_string_equal(v2c_progress_bytes(12345678, b, sizeof b), "12 MB");
        assert_string_equal(v2c_progress_duration(4200, b, sizeof b), "4.2 s");
        assert_string_equal(v2c_progress_duration(12900, b, sizeof b), "12 s");
        assert_string_equal(v2c_progress_duration(185000, b, sizeof b), "3 min 05 s");
        assert_string_equal(v2c_progress_duration(7260000, b, sizeof b), "2 h 01 min");
        assert_string_equal(v2c_progress_rate(5000000, 1000, b, sizeof b), "5.0 MB/s");
        assert_string_equal(v2c_progress_rate(5000000, 0, b, sizeof b), "-- B/s");
}

/* What --progress=always writes to a file: a region of two lines, each
 * cut to 79 columns (80 when stderr is no terminal) and its control bytes
 * escaped; a second update within 100 ms dropped unless forced; erased
 * (up one line, clear) before the summary, which stays. */
static void test_progress_region(void **state)
{
        (void) state;
        char path[] = "/tmp/v2c-progress-XXXXXX";
        int fd = mkstemp(path);
        assert_true(fd >= 0);
        unlink(path);
        fflush(stderr);
        int saved = dup(STDERR_FILENO);
        assert_true(saved >= 0 && dup2(fd, STDERR_FILENO) == STDERR_FILENO);
        v2c_progress_set_mode(V2C_PROGRESS_ALWAYS);
        char long_line[200];
        memset(long_line, 'x', sizeof long_line - 1);
        long_line[sizeof long_line - 1] = '\0';
        v2c_progress_show(false, "one \033[2J%s\n  two", long_line);
        v2c_progress_show(false, "dropped");
        v2c_progress_show(true, "forced");
        v2c_progress_done("done");
        v2c_progress_set_mode(V2C_PROGRESS_NEVER);
        v2c_progress_show(true, "never");
        fflush(stderr);
        dup2(saved, STDERR_FILENO);
        close(saved);
        char out[1024];
        ssize_t n = pread(fd, out, sizeof out - 1, 0);
        close(fd);
        assert_true(n > 0);
        out[n] = '\0';
        char want[1024];
        /* "one \x1b[2J" and x's: 79 columns in all. */
        snprintf(want, sizeof want, "one \\x1b[2J%.*s\n  two\r\033[1A\033[Jforced\r\033[Jdone\n", 79 - 11, long_line);
        assert_string_equal(out, want);
}

/* A region taller than the screen (24 rows when stderr is no terminal)
 * keeps 23 lines, and its erasure goes up 22. */
static void test_progress_tall(void **state)
{
        (void) state;
        char path[] = "/tmp/v2c-progress-XXXXXX";
        int fd = mkstemp(path);
        assert_true(fd >= 0);
        unlink(path);
        fflush(stderr);
        int saved = dup(STDERR_FILENO);
        assert_true(saved >= 0 && dup2(fd, STDERR_FILENO) == STDERR_FILENO);
        v2c_progress_set_mode(V2C_PROGRESS_ALWAYS);
        char text[400] = "";
        for (int i = 0; i < 30; i++)
                snprintf(text + strlen(text), sizeof text - strlen(text), "%sl%d", i ? "\n" : "", i);
        v2c_progress_show(true, "%s", text);
        v2c_progress_clear();
        v2c_progress_set_mode(V2C_PROGRESS_NEVER);
        fflush(stderr);
        dup2(saved, STDERR_FILENO);
        close(saved);
        char out[1024];
        ssize_t n = pread(fd, out, sizeof out - 1, 0);
        close(fd);
        assert_true(n > 0);
        out[n] = '\0';
        char want[1024] = "";
        for (int i = 0; i < 23; i++)
                snprintf(want + strlen(want), sizeof want - strlen(want), "%sl%d", i ? "\n" : "", i);
        strcat(want, "\r\033[22A\033[J");
        assert_string_equal(out, want);
}

/* Text from a guest shown to people: control bytes and bytes that are not
 * UTF-8 escaped, UTF-8 kept; errors get it whatever their format. */
static void test_printable(void **state)
{
        (void) state;
        char *s = v2c_text_printable("caf\xc3\xa9 \x1b[31mred\n caf\xe9", false);
        assert_string_equal(s, "caf\xc3\xa9 \\x1b[31mred\\x0a caf\\xe9");
        free(s);
        s = v2c_text_printable("one\ntwo\r", true);
        assert_string_equal(s, "one\ntwo\\x0d");
        free(s);
        /* A program's last lines in a message: one line, its end dropped. */
        s = v2c_text_one_line("first\nsecond \x1b[2J\n\n");
        assert_string_equal(s, "first | second \\x1b[2J");
        free(s);
        s = v2c_text_one_line("\n");
        assert_string_equal(s, "");
        free(s);
        struct v2c_error *e = NULL;
        v2c_error_set(&e, EINVAL, "reading `%s`", "/srv/\x1b]0;pwned\x07");
        v2c_error_prefix(&e, -EINVAL, "in `%s`", "/caf\xe9");
        assert_string_equal(e->msg, "in `/caf\\xe9`: reading `/srv/\\x1b]0;pwned\\x07`");
        v2c_error_free(e);
        assert_true(v2c_text_is_utf8("F\xc5\x91tan\xc3\xbas\xc3\xadtv\xc3\xa1ny"));
        assert_false(v2c_text_is_utf8("caf\xe9"));
        assert_false(v2c_text_is_utf8("\xc0\xaf"));     /* overlong '/' */
        assert_false(v2c_text_is_utf8("\xed\xa0\x80")); /* surrogate */
}

/* JSON holds guest names: UTF-8 as it is, otherwise the bytes that are
 * not UTF-8 and the backslashes as \xNN; read back to the same bytes. */
static void test_json_names(void **state)
{
        (void) state;
        static const char *const names[] = {
                "/etc/ssl/certs/F\xc5\x91tan\xc3\xbas\xc3\xadtv\xc3\xa1ny.pem", "/srv/caf\xe9", "/srv/a\\x41",
                "/srv/a\\b\xff", "dev-disk-by\\x2duuid.swap", "plain\\n", "", "/srv/\\xe9\xe9",
        };
        static const char *const escaped[] = {
                "/etc/ssl/certs/F\xc5\x91tan\xc3\xbas\xc3\xadtv\xc3\xa1ny.pem", "/srv/caf\\xe9", "/srv/a\\x41",
                "/srv/a\\x5cb\\xff", "dev-disk-by\\x2duuid.swap", "plain\\n", "", "/srv/\\x5cxe9\\xe9",
        };
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
                json_t *j = v2c_json_str(names[i]);
                assert_non_null(j);
                assert_string_equal(json_string_value(j), escaped[i]);
                char *back = v2c_utf8_unescape(json_string_value(j));
                assert_string_equal(back, names[i]);
                free(back);
                json_decref(j);
        }
}

static void test_tarindex_hostile(void **state)
{
        (void) state;
        char path[] = "/tmp/v2c-hostile-XXXXXX";
        int fd = mkstemp(path);
        assert_true(fd >= 0);
        close(fd);
        write_hostile_tar(path);
        fd = open(path, O_RDONLY);
        struct v2c_tarindex *ti = v2c_tarindex_new(NULL);
        size_t skipped = 0;
        assert_int_equal(v2c_tarindex_add(ti, fd, "/", &skipped, NULL), 0);
        assert_int_equal(v2c_tarindex_seal(ti, NULL), 0);
        close(fd);
        unlink(path);
        assert_int_equal(skipped, 1);
        struct v2c_stat st;
        assert_int_equal(v2c_tarindex_lstat(ti, "/escape", &st), -ENOENT);
        /* A later member of the same name wins; a hardlink shares its target's data. */
        char *data = NULL;
        size_t len;
        assert_int_equal(v2c_tarindex_read(ti, "/etc/motd", 100, &data, &len, NULL), 0);
        assert_string_equal(data, "new\n");
        free(data);
        assert_int_equal(v2c_tarindex_read(ti, "/etc/hard", 100, &data, &len, NULL), 0);
        assert_string_equal(data, "web01\n");
        free(data);
        /* Parents the archive did not list exist as directories. */
        assert_int_equal(v2c_tarindex_lstat(ti, "/usr/lib", &st), 0);
        assert_int_equal(st.type, V2C_FT_DIR);
        /* "/etc/pg-common" sorts between "/etc/pg" and "/etc/pg/15" in byte
         * order: listing must still find the children. */
        struct v2c_dirent *ents = NULL;
        size_t n = 0;
        assert_int_equal(v2c_tarindex_list(ti, "/etc/pg", &ents, &n, NULL), 0);
        assert_int_equal(n, 1);
        assert_string_equal(ents[0].name, "15");
        v2c_dirents_free(ents, n);
        assert_int_equal(v2c_tarindex_list(ti, "/etc", &ents, &n, NULL), 0);
        assert_int_equal(n, 8);
        v2c_dirents_free(ents, n);
        /* A hardlink to a hardlink ends at the file, whatever the order. */
        assert_int_equal(v2c_tarindex_read(ti, "/etc/aa", 100, &data, &len, NULL), 0);
        assert_string_equal(data, "chain\n");
        free(data);
        assert_int_equal(v2c_tarindex_lstat(ti, "/dev/null", &st), 0);
        assert_int_equal(st.type, V2C_FT_CHR);
        /* security.capability, on the file and on its hardlink. */
        void *cap = NULL;
        size_t cap_len = 0;
        const char *const with_cap[] = { "/etc/hostname", "/etc/hard" };
        for (size_t i = 0; i < 2; i++) {
                assert_int_equal(v2c_tarindex_capability(ti, with_cap[i], &cap, &cap_len, NULL), 0);
                assert_non_null(cap);
                assert_int_equal(cap_len, sizeof bind_cap);
                assert_memory_equal(cap, bind_cap, sizeof bind_cap);
                free(cap);
        }
        const char *const without[] = { "/etc/motd", "/etc/zz", "/etc/aa", "/etc/bb", "/nope" };
        for (size_t i = 0; i < 5; i++) {
                assert_int_equal(v2c_tarindex_capability(ti, without[i], &cap, &cap_len, NULL), 0);
                assert_null(cap);
                assert_int_equal(cap_len, 0);
        }
        v2c_tarindex_free(ti);
}

static void test_not_a_tar(void **state)
{
        (void) state;
        char path[] = "/tmp/v2c-nottar-XXXXXX.tar";
        int fd = mkstemps(path, 4);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, "hello, this is text\n", 20), 20);
        close(fd);
        const char *src[] = { path };
        struct v2c_guest *g = NULL;
        struct v2c_error *e = NULL;
        assert_true(v2c_guest_open(src, 1, NULL, &g, &e) < 0);
        assert_non_null(e);
        assert_int_equal(e->kind, V2C_ERR_INPUT);
        v2c_error_free(e);
        unlink(path);
}

static void test_caps_decode(void **state)
{
        (void) state;
        char **names = NULL;
        bool eff = false;
        /* setcap cap_net_bind_service=ep: revision 2, effective. */
        assert_int_equal(v2c_caps_decode(bind_cap, sizeof bind_cap, &names, &eff), 0);
        assert_true(eff);
        assert_string_equal(names[0], "CAP_NET_BIND_SERVICE");
        assert_null(names[1]);
        v2c_strv_free(names);
        /* Revision 3 (namespaced root), not effective: NET_RAW (13), BPF
         * (39), CHECKPOINT_RESTORE (40), and an unnamed bit 63. */
        const unsigned char v3[24] = { 0x00, 0x00, 0x00, 0x03, 0x00, 0x20, 0x00, 0x00, 0, 0, 0, 0,
                                       0x80, 0x01, 0x00, 0x80, 0, 0, 0, 0, 0xe8, 0x03, 0, 0 };
        assert_int_equal(v2c_caps_decode(v3, sizeof v3, &names, &eff), 0);
        assert_false(eff);
        assert_int_equal(v2c_strv_len(names), 4);
        assert_string_equal(names[0], "CAP_NET_RAW");
        assert_string_equal(names[1], "CAP_BPF");
        assert_string_equal(names[2], "CAP_CHECKPOINT_RESTORE");
        assert_string_equal(names[3], "CAP_63");
        v2c_strv_free(names);
        /* Revision 1: 32 bits; an empty permitted set gives no names. */
        const unsigned char v1[12] = { 0x00, 0x00, 0x00, 0x01 };
        names = (char **) 1;
        assert_int_equal(v2c_caps_decode(v1, sizeof v1, &names, NULL), 0);
        assert_null(names);
        /* Wrong lengths and unknown revisions. */
        assert_int_equal(v2c_caps_decode(bind_cap, 12, &names, NULL), -EINVAL);
        assert_int_equal(v2c_caps_decode(v1, 3, &names, NULL), -EINVAL);
        const unsigned char v9[20] = { 0x00, 0x00, 0x00, 0x09 };
        assert_int_equal(v2c_caps_decode(v9, sizeof v9, &names, NULL), -EINVAL);
}

static void test_sha256(void **state)
{
        (void) state;
        char hex[65];
        assert_int_equal(v2c_sha256_hex("abc", 3, hex), 0);
        assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void test_strv(void **state)
{
        (void) state;
        char **v = NULL;
        v2c_strv_push(&v, "b");
        v2c_strv_push(&v, "a");
        v2c_strv_push(&v, "b");
        v2c_strv_sort_uniq(v);
        assert_int_equal(v2c_strv_len(v), 2);
        assert_string_equal(v[0], "a");
        assert_string_equal(v[1], "b");
        v2c_strv_free(v);
}

int main(int argc, char **argv)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_error_prefix),
                cmocka_unit_test(test_buf_limit),
                cmocka_unit_test(test_normalize),
                cmocka_unit_test(test_resolve),
                cmocka_unit_test(test_sha256),
                cmocka_unit_test(test_strv),
                cmocka_unit_test(test_tarindex_hostile),
                cmocka_unit_test(test_tarindex_names),
                cmocka_unit_test(test_printable),
                cmocka_unit_test(test_progress_units),
                cmocka_unit_test(test_progress_region),
                cmocka_unit_test(test_progress_tall),
                cmocka_unit_test(test_json_names),
                cmocka_unit_test(test_caps_decode),
                cmocka_unit_test(test_not_a_tar),
                cmocka_unit_test_setup_teardown(test_dir_guest, setup_tree, teardown_tree),
                cmocka_unit_test_setup_teardown(test_tar_guest, setup_tree, teardown_tree),
        };
        return v2c_run_group_tests(argc, argv, tests, NULL, NULL);
}
