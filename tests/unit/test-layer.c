/* Unit tests for convert/layer.c: digests computed in the stream match the
 * bytes written, the same entries give the same bytes whatever the thread
 * count, and the tar holds what reproducible builders promise. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "unit-main.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <locale.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "fsutil.h"
#include "layer.h"
#include "sha256.h"

struct mem_src {
        const char *data;
        size_t len, pos;
};

static int mem_read(void *ctx, void *buf, size_t n, size_t *got, struct v2c_error **err)
{
        (void) err;
        struct mem_src *m = ctx;
        size_t k = m->len - m->pos < n ? m->len - m->pos : n;
        memcpy(buf, m->data + m->pos, k);
        m->pos += k;
        *got = k;
        return 0;
}

static char blobs[256];

static int setup(void **state)
{
        (void) state;
        snprintf(blobs, sizeof blobs, "/tmp/v2c-layer-XXXXXX");
        assert_non_null(mkdtemp(blobs));
        return 0;
}

static int teardown(void **state)
{
        (void) state;
        char cmd[512];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", blobs);
        return system(cmd);
}

static const char hostname[] = "web01\n";
static const unsigned char cap[] = { 1, 0, 0, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };

static void build(enum v2c_compression comp, int threads, struct v2c_layer_result *res)
{
        struct v2c_layer_options opt = { .compression = comp, .threads = threads, .epoch = 1700000000 };
        struct v2c_layer_writer *w = NULL;
        struct v2c_error *e = NULL;
        assert_int_equal(v2c_layer_open(blobs, &opt, &w, &e), 0);
        struct mem_src m1 = { hostname, sizeof hostname - 1, 0 };
        struct mem_src m2 = { "#!/bin/sh\nexec ping \"$@\"\n", 25, 0 };
        struct v2c_layer_source s1 = { mem_read, &m1 }, s2 = { mem_read, &m2 };
        const struct v2c_layer_entry entries[] = {
                { .path = "etc", .type = V2C_LAYER_DIR, .mode = 0755, .mtime = 1600000000 },
                /* A future mtime is clamped to the epoch. */
                { .path = "etc/hostname", .type = V2C_LAYER_REG, .mode = 0644, .size = sizeof hostname - 1,
                  .mtime = 4000000000 },
                { .path = "etc/hostname.hard", .type = V2C_LAYER_HARDLINK, .mode = 0644, .link = "etc/hostname",
                  .mtime = 1600000000 },
                { .path = "etc/localtime", .type = V2C_LAYER_SYMLINK, .mode = 0777, .link = "/usr/share/zoneinfo/UTC",
                  .mtime = 1600000000 },
                { .path = "etc/ping", .type = V2C_LAYER_REG, .mode = 04755, .uid = 0, .gid = 33, .size = 25,
                  .mtime = 1600000000, .capability = cap, .capability_len = sizeof cap },
        };
        for (size_t i = 0; i < sizeof entries / sizeof entries[0]; i++) {
                const struct v2c_layer_source *src = i == 1 ? &s1 : i == 4 ? &s2 : NULL;
                assert_int_equal(v2c_layer_add(w, &entries[i], src, &e), 0);
        }
        assert_int_equal(v2c_layer_close(w, res, &e), 0);
        assert_null(e);
}

static char *read_blob(const struct v2c_layer_result *res, size_t *len)
{
        char path[512];
        snprintf(path, sizeof path, "%s/%s", blobs, res->digest + 7);
        char *data = NULL;
        assert_int_equal(v2c_read_host_file(path, 1 << 26, &data, len, NULL), 0);
        return data;
}

static void test_zstd_digests_and_threads(void **state)
{
        (void) state;
        struct v2c_layer_result a, b;
        build(V2C_COMPRESS_ZSTD, 1, &a);
        build(V2C_COMPRESS_ZSTD, 3, &b);
        assert_string_equal(a.digest, b.digest);
        assert_string_equal(a.diff_id, b.diff_id);
        assert_string_equal(a.media_type, V2C_MEDIA_LAYER_ZSTD);
        /* The tar of ASCII names is pinned: these bytes are what every
         * image built so far holds, and a change would move their digests. */
        assert_string_equal(a.diff_id, "sha256:f658b06023b802ee22b23a1613a4d45e13ea4f426798adfcb6b66bfdc14c9ded");

        size_t len;
        char *blob = read_blob(&a, &len);
        assert_int_equal(len, a.size);
        char hex[65];
        v2c_sha256_hex(blob, len, hex);
        assert_string_equal(hex, a.digest + 7);

        unsigned long long tar_len = ZSTD_getFrameContentSize(blob, len);
        size_t cap_len = tar_len == ZSTD_CONTENTSIZE_UNKNOWN || tar_len == ZSTD_CONTENTSIZE_ERROR ? 1 << 20 : tar_len;
        char *tar = malloc(cap_len);
        size_t n = ZSTD_decompress(tar, cap_len, blob, len);
        assert_false(ZSTD_isError(n));
        assert_int_equal(n, a.tar_size);
        v2c_sha256_hex(tar, n, hex);
        assert_string_equal(hex, a.diff_id + 7);

        /* Read the tar back: order, ids, names, clamped times, links, xattr. */
        struct archive *ar = archive_read_new();
        archive_read_support_format_tar(ar);
        assert_int_equal(archive_read_open_memory(ar, tar, n), ARCHIVE_OK);
        struct archive_entry *ae;
        const char *want[] = { "etc/", "etc/hostname", "etc/hostname.hard", "etc/localtime", "etc/ping" };
        size_t i = 0;
        while (archive_read_next_header(ar, &ae) == ARCHIVE_OK) {
                assert_true(i < 5);
                const char *name = archive_entry_pathname(ae);
                assert_true(strcmp(name, want[i]) == 0 || (i == 0 && strcmp(name, "etc") == 0));
                const char *un = archive_entry_uname(ae), *gn = archive_entry_gname(ae);
                assert_true(un == NULL || un[0] == '\0');
                assert_true(gn == NULL || gn[0] == '\0');
                assert_false(archive_entry_atime_is_set(ae));
                assert_false(archive_entry_ctime_is_set(ae));
                if (i == 1)
                        assert_int_equal(archive_entry_mtime(ae), 1700000000);
                if (i == 2)
                        assert_string_equal(archive_entry_hardlink(ae), "etc/hostname");
                if (i == 3)
                        assert_string_equal(archive_entry_symlink(ae), "/usr/share/zoneinfo/UTC");
                if (i == 4) {
                        assert_int_equal(archive_entry_perm(ae), 04755);
                        assert_int_equal(archive_entry_gid(ae), 33);
                        /* One xattr, in a SCHILY.xattr record only. */
                        int nx = archive_entry_xattr_reset(ae);
                        assert_int_equal(nx, 1);
                        const char *xname;
                        const void *xval;
                        size_t xlen;
                        while (archive_entry_xattr_next(ae, &xname, &xval, &xlen) == ARCHIVE_OK) {
                                assert_string_equal(xname, "security.capability");
                                assert_memory_equal(xval, cap, sizeof cap);
                        }
                }
                i++;
        }
        assert_int_equal(i, 5);
        assert_non_null(memmem(tar, n, "SCHILY.xattr.security.capability=", 33));
        assert_null(memmem(tar, n, "LIBARCHIVE.xattr", 16));
        archive_read_free(ar);
        free(tar);
        free(blob);
}

static void test_gzip_header(void **state)
{
        (void) state;
        struct v2c_layer_result a, b;
        build(V2C_COMPRESS_GZIP, 0, &a);
        build(V2C_COMPRESS_GZIP, 0, &b);
        assert_string_equal(a.digest, b.digest);
        size_t len;
        unsigned char *blob = (unsigned char *) read_blob(&a, &len);
        assert_int_equal(blob[0], 0x1f);
        assert_int_equal(blob[1], 0x8b);
        /* MTIME (bytes 4-7) is zero; OS (byte 9) is fixed. */
        assert_int_equal(blob[4] | blob[5] | blob[6] | blob[7], 0);
        assert_int_equal(blob[9], 255);
        free(blob);
        /* The same entries give the same diff_id whatever the compression. */
        struct v2c_layer_result z;
        build(V2C_COMPRESS_ZSTD, 2, &z);
        assert_string_equal(z.diff_id, a.diff_id);
        assert_string_not_equal(z.digest, a.digest);
}

static size_t count_temporaries(void)
{
        char cmd[512];
        snprintf(cmd, sizeof cmd, "ls -A '%s' | grep -c '^\\.v2c-layer-' || true", blobs);
        FILE *p = popen(cmd, "r");
        size_t n = 0;
        if (fscanf(p, "%zu", &n) != 1)
                n = 999;
        pclose(p);
        return n;
}

static void test_refusals(void **state)
{
        (void) state;
        struct v2c_layer_writer *w = NULL;
        struct v2c_error *e = NULL;
        assert_int_equal(v2c_layer_open(blobs, NULL, &w, &e), 0);
        struct v2c_layer_entry d = { .path = "usr", .type = V2C_LAYER_DIR, .mode = 0755 };
        assert_int_equal(v2c_layer_add(w, &d, NULL, &e), 0);
        /* Out of order, duplicate, absolute, device: all refused. */
        struct v2c_layer_entry before = { .path = "etc", .type = V2C_LAYER_DIR, .mode = 0755 };
        assert_int_equal(v2c_layer_add(w, &before, NULL, &e), -EINVAL);
        e = v2c_error_free(e);
        assert_int_equal(v2c_layer_add(w, &d, NULL, &e), -EINVAL);
        e = v2c_error_free(e);
        struct v2c_layer_entry abs = { .path = "/x", .type = V2C_LAYER_DIR };
        assert_int_equal(v2c_layer_add(w, &abs, NULL, &e), -EINVAL);
        e = v2c_error_free(e);
        struct v2c_layer_entry dev = { .path = "usr/zdev", .type = (enum v2c_layer_type) 99 };
        assert_int_equal(v2c_layer_add(w, &dev, NULL, &e), -EINVAL);
        e = v2c_error_free(e);
        /* A file shorter than announced fails and leaves nothing behind. */
        struct mem_src m = { "abc", 3, 0 };
        struct v2c_layer_source s = { mem_read, &m };
        struct v2c_layer_entry f = { .path = "usr/z", .type = V2C_LAYER_REG, .mode = 0644, .size = 10 };
        assert_int_equal(v2c_layer_add(w, &f, &s, &e), -EIO);
        assert_non_null(strstr(e->msg, "shorter"));
        e = v2c_error_free(e);
        assert_int_equal(count_temporaries(), 1);
        v2c_layer_abort(w);
        assert_int_equal(count_temporaries(), 0);
}

/* One member of a tar, as a reader that takes pax records literally (Go's
 * archive/tar, so umoci and podman) sees it. */
struct member {
        char path[1024], link[1024];
        char type;
        bool pax, binary;
};

static unsigned long long octal(const char *p, size_t n)
{
        unsigned long long v = 0;
        for (size_t i = 0; i < n && p[i] >= '0' && p[i] <= '7'; i++)
                v = v * 8 + (unsigned) (p[i] - '0');
        return v;
}

/* Splits an uncompressed pax tar into members (at most MAX). */
static size_t parse_tar(const char *tar, size_t len, struct member *m, size_t max)
{
        size_t n = 0, off = 0;
        struct member pending = { 0 };
        while (off + 512 <= len && tar[off] != '\0' && n < max) {
                const char *h = tar + off;
                unsigned long long size = octal(h + 124, 12);
                const char *data = h + 512;
                assert_true(off + 512 + size <= len);
                if (h[156] == 'x') {
                        pending.pax = true;
                        for (const char *r = data; r < data + size;) {
                                char *sp, *end;
                                unsigned long rl = strtoul(r, &sp, 10);
                                assert_true(rl > 0 && *sp == ' ' && r + rl <= data + size);
                                end = (char *) r + rl - 1; /* the record's '\n' */
                                const char *kv = sp + 1, *eq = memchr(kv, '=', (size_t) (end - kv));
                                assert_non_null(eq);
                                size_t vl = (size_t) (end - eq - 1);
                                if (strncmp(kv, "path=", 5) == 0)
                                        memcpy(pending.path, eq + 1, vl);
                                else if (strncmp(kv, "linkpath=", 9) == 0)
                                        memcpy(pending.link, eq + 1, vl);
                                else if (strncmp(kv, "hdrcharset=", 11) == 0)
                                        pending.binary = vl == 6 && memcmp(eq + 1, "BINARY", 6) == 0;
                                r += rl;
                        }
                } else {
                        m[n] = pending;
                        m[n].type = h[156];
                        if (m[n].path[0] == '\0') {
                                if (h[345])
                                        snprintf(m[n].path, sizeof m[n].path, "%.155s/%.100s", h + 345, h);
                                else
                                        snprintf(m[n].path, sizeof m[n].path, "%.100s", h);
                        }
                        if (m[n].link[0] == '\0')
                                snprintf(m[n].link, sizeof m[n].link, "%.100s", h + 157);
                        n++;
                        memset(&pending, 0, sizeof pending);
                }
                off += 512 + (size + 511) / 512 * 512;
        }
        return n;
}

#define NETLOCK "NetLock_Arany_=Class_Gold=_F\xc5\x91tan\xc3\xbas\xc3\xadtv\xc3\xa1ny.pem"
#define CAFE "caf\xc3\xa9.txt"       /* UTF-8 */
#define LATIN "lat\xe9.txt"          /* Latin-1: not UTF-8 */

static void build_names(struct v2c_layer_result *res)
{
        struct v2c_layer_options opt = { .compression = V2C_COMPRESS_NONE, .epoch = 1700000000 };
        struct v2c_layer_writer *w = NULL;
        struct v2c_error *e = NULL;
        assert_int_equal(v2c_layer_open(blobs, &opt, &w, &e), 0);
        const struct v2c_layer_entry entries[] = {
                { .path = "etc", .type = V2C_LAYER_DIR, .mode = 0755 },
                { .path = "etc/" NETLOCK, .type = V2C_LAYER_REG, .mode = 0644, .size = 1 },
                { .path = "etc/" CAFE, .type = V2C_LAYER_REG, .mode = 0644, .size = 1 },
                { .path = "etc/latin-link", .type = V2C_LAYER_SYMLINK, .mode = 0777, .link = LATIN },
                { .path = "etc/" LATIN, .type = V2C_LAYER_REG, .mode = 0644, .size = 1 },
                { .path = "etc/ssl-link", .type = V2C_LAYER_SYMLINK, .mode = 0777, .link = NETLOCK },
                { .path = "etc/z-hard-latin", .type = V2C_LAYER_HARDLINK, .mode = 0644, .link = "etc/" LATIN },
                { .path = "etc/z-hard-utf8", .type = V2C_LAYER_HARDLINK, .mode = 0644, .link = "etc/" CAFE },
        };
        for (size_t i = 0; i < sizeof entries / sizeof entries[0]; i++) {
                struct mem_src m = { "x", 1, 0 };
                struct v2c_layer_source src = { mem_read, &m };
                int r = v2c_layer_add(w, &entries[i], &src, &e);
                if (r < 0)
                        fail_msg("adding entry %zu: %s", i, e ? e->msg : "?");
        }
        assert_int_equal(v2c_layer_close(w, res, &e), 0);
        assert_null(e);
}

/* File names are bytes: a UTF-8 name or link target goes into pax
 * `path`/`linkpath` as it is, one that is not UTF-8 too, marked
 * hdrcharset=BINARY, and the locale changes nothing. */
static void test_non_ascii_names(void **state)
{
        (void) state;
        assert_non_null(setlocale(LC_ALL, "C"));
        struct v2c_layer_result a, b;
        build_names(&a);
        size_t len;
        char *tar = read_blob(&a, &len);
        assert_int_equal(len, a.tar_size);
        struct member m[16];
        size_t n = parse_tar(tar, len, m, 16);
        assert_int_equal(n, 8);

        assert_string_equal(m[0].path, "etc/");
        assert_false(m[0].pax);
        assert_string_equal(m[1].path, "etc/" NETLOCK);
        assert_true(m[1].pax);
        assert_false(m[1].binary);
        assert_string_equal(m[2].path, "etc/" CAFE);
        assert_false(m[2].binary);
        assert_string_equal(m[3].path, "etc/latin-link");
        assert_int_equal(m[3].type, '2');
        assert_string_equal(m[3].link, LATIN);
        assert_true(m[3].binary);
        assert_string_equal(m[4].path, "etc/" LATIN);
        assert_true(m[4].binary);
        assert_string_equal(m[5].path, "etc/ssl-link");
        assert_string_equal(m[5].link, NETLOCK);
        assert_true(m[5].pax);
        assert_false(m[5].binary);
        assert_string_equal(m[6].path, "etc/z-hard-latin");
        assert_int_equal(m[6].type, '1');
        assert_string_equal(m[6].link, "etc/" LATIN);
        assert_true(m[6].binary);
        assert_string_equal(m[7].path, "etc/z-hard-utf8");
        assert_int_equal(m[7].type, '1');
        assert_string_equal(m[7].link, "etc/" CAFE);
        assert_false(m[7].binary);
        free(tar);

        /* The process's locale does not reach the bytes. */
        if (setlocale(LC_ALL, "C.UTF-8") != NULL) {
                build_names(&b);
                assert_string_equal(a.diff_id, b.diff_id);
        }
        setlocale(LC_ALL, "C");
}

/* "/" sorts first, so a directory's contents follow it. */
static void test_path_order(void **state)
{
        (void) state;
        assert_true(v2c_layer_path_cmp("etc/pg", "etc/pg/15") < 0);
        assert_true(v2c_layer_path_cmp("etc/pg/15", "etc/pg-common") < 0);
        assert_true(v2c_layer_path_cmp("a", "a") == 0);
        assert_true(v2c_layer_path_cmp("b", "a/z") > 0);
}

int main(int argc, char **argv)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_zstd_digests_and_threads, setup, teardown),
                cmocka_unit_test_setup_teardown(test_gzip_header, setup, teardown),
                cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
                cmocka_unit_test_setup_teardown(test_non_ascii_names, setup, teardown),
                cmocka_unit_test(test_path_order),
        };
        return v2c_run_group_tests(argc, argv, tests, NULL, NULL);
}
