/* Unit tests for common/disk-chain.c's readers: what a qcow2 names outside
 * itself (backing file and its format, external data file), read from
 * headers built here byte by byte as the qcow2 spec lays them out, headers
 * qemu would refuse, and a VMDK descriptor's first extent. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "unit-main.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "guest-internal.h"

#define HEAD 4096

static void put32(unsigned char *p, uint32_t v)
{
        p[0] = (unsigned char) (v >> 24), p[1] = (unsigned char) (v >> 16), p[2] = (unsigned char) (v >> 8);
        p[3] = (unsigned char) v;
}

static void put64(unsigned char *p, uint64_t v)
{
        put32(p, (uint32_t) (v >> 32));
        put32(p + 4, (uint32_t) v);
}

/* A version-3 header, 64 KiB clusters, 104 bytes long, no extension. */
static void header(unsigned char *h)
{
        memset(h, 0, HEAD);
        memcpy(h, "QFI\xfb", 4);
        put32(h + 4, 3);
        put32(h + 20, 16);
        put64(h + 24, 1 << 30);
        put32(h + 96, 4);
        put32(h + 100, 104);
}

/* Appends an extension at *off. */
static void extension(unsigned char *h, size_t *off, uint32_t type, const char *data)
{
        size_t n = strlen(data);
        put32(h + *off, type);
        put32(h + *off + 4, (uint32_t) n);
        memcpy(h + *off + 8, data, n);
        *off += 8 + ((n + 7) & ~(size_t) 7);
}

static void test_plain(void **state)
{
        (void) state;
        unsigned char h[HEAD];
        header(h);
        struct v2c_disk_refs r;
        assert_int_equal(v2c_qcow2_refs(h, sizeof h, &r, NULL), 0);
        assert_false(r.has_backing);
        assert_false(r.external_data);
        assert_null(r.backing);
        assert_null(r.data_file);
        v2c_disk_refs_release(&r);
}

static void test_backing(void **state)
{
        (void) state;
        unsigned char h[HEAD];
        header(h);
        size_t off = 104;
        extension(h, &off, 0xe2792aca, "raw");
        put32(h + off, 0);
        put64(h + 8, 512);
        put32(h + 16, 11);
        memcpy(h + 512, "/etc/shadow", 11);
        struct v2c_disk_refs r;
        assert_int_equal(v2c_qcow2_refs(h, sizeof h, &r, NULL), 0);
        assert_true(r.has_backing);
        assert_string_equal(r.backing, "/etc/shadow");
        assert_string_equal(r.backing_format, "raw");
        assert_false(r.external_data);
        v2c_disk_refs_release(&r);
}

/* An offset set with a name qemu cannot read is still a backing file. */
static void test_backing_name_out_of_reach(void **state)
{
        (void) state;
        unsigned char h[HEAD];
        header(h);
        put64(h + 8, 60000);
        put32(h + 16, 20);
        struct v2c_disk_refs r;
        assert_int_equal(v2c_qcow2_refs(h, sizeof h, &r, NULL), 0);
        assert_true(r.has_backing);
        assert_non_null(r.backing);
        v2c_disk_refs_release(&r);
        /* Version 2: no feature bits, extensions right after 72 bytes. */
        header(h);
        put32(h + 4, 2);
        put64(h + 8, 200);
        put32(h + 16, 5000);
        assert_int_equal(v2c_qcow2_refs(h, sizeof h, &r, NULL), 0);
        assert_true(r.has_backing);
        v2c_disk_refs_release(&r);
}

static void test_data_file(void **state)
{
        (void) state;
        unsigned char h[HEAD];
        header(h);
        size_t off = 104;
        extension(h, &off, 0x6803f857, "feature names, skipped");
        extension(h, &off, 0x44415441, "/srv/data.raw");
        struct v2c_disk_refs r;
        assert_int_equal(v2c_qcow2_refs(h, sizeof h, &r, NULL), 0);
        assert_true(r.external_data);
        assert_string_equal(r.data_file, "/srv/data.raw");
        assert_false(r.has_backing);
        v2c_disk_refs_release(&r);
        /* The incompatible feature bit alone: data elsewhere, unnamed. */
        header(h);
        put64(h + 72, 1u << 2);
        assert_int_equal(v2c_qcow2_refs(h, sizeof h, &r, NULL), 0);
        assert_true(r.external_data);
        assert_null(r.data_file);
        v2c_disk_refs_release(&r);
}

/* An extension whose length runs past the end stops the walk, no read
 * beyond the buffer (ASan watches). */
static void test_bad_extension(void **state)
{
        (void) state;
        unsigned char *h = malloc(128);
        assert_non_null(h);
        unsigned char full[HEAD];
        header(full);
        memcpy(h, full, 128);
        put32(h + 104, 0x44415441);
        put32(h + 108, 0xffffffffu);
        struct v2c_disk_refs r;
        assert_int_equal(v2c_qcow2_refs(h, 128, &r, NULL), 0);
        assert_null(r.data_file);
        v2c_disk_refs_release(&r);
        free(h);
}

static void test_refused_headers(void **state)
{
        (void) state;
        unsigned char h[HEAD];
        struct v2c_disk_refs r;
        struct v2c_error *e = NULL;
        header(h);
        h[0] = 'X';
        assert_int_equal(v2c_qcow2_refs(h, sizeof h, &r, &e), -EINVAL);
        assert_int_equal(e->kind, V2C_ERR_INPUT);
        e = v2c_error_free(e);
        header(h);
        put32(h + 20, 30);
        assert_int_equal(v2c_qcow2_refs(h, sizeof h, &r, NULL), -EINVAL);
        header(h);
        put32(h + 100, 1u << 20);
        assert_int_equal(v2c_qcow2_refs(h, sizeof h, &r, NULL), -EINVAL);
        header(h);
        assert_int_equal(v2c_qcow2_refs(h, 100, &r, NULL), -EINVAL);
}

static void test_vmdk_extent(void **state)
{
        (void) state;
        static const char desc[] = "# Disk DescriptorFile\nversion=1\ncreateType=\"monolithicFlat\"\n"
                                   "# Extent description\nRW 196608 FLAT \"/etc/shadow\" 0\nRW 8 FLAT \"b\" 0\n";
        char *e = NULL;
        assert_int_equal(v2c_vmdk_first_extent(desc, sizeof desc - 1, &e), 0);
        assert_string_equal(e, "/etc/shadow");
        free(e);
        /* A quote never closed within the line, or the text: no name. */
        static const char open_quote[] = "RW 8 FLAT \"/etc/sha";
        assert_int_equal(v2c_vmdk_first_extent(open_quote, sizeof open_quote - 1, &e), 0);
        assert_null(e);
        static const char split[] = "RW 8 FLAT \"a\nb\" 0\n";
        assert_int_equal(v2c_vmdk_first_extent(split, sizeof split - 1, &e), 0);
        assert_null(e);
}

int main(int argc, char **argv)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_plain),
                cmocka_unit_test(test_backing),
                cmocka_unit_test(test_backing_name_out_of_reach),
                cmocka_unit_test(test_data_file),
                cmocka_unit_test(test_bad_extension),
                cmocka_unit_test(test_refused_headers),
                cmocka_unit_test(test_vmdk_extent),
        };
        return v2c_run_group_tests(argc, argv, tests, NULL, NULL);
}
