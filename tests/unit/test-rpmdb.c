/* Unit tests for the rpm database walker (common/rpmdb.c).
 *
 * On the real files of tests/fixtures/rpmdb/ (made by real rpm, sqlite3 and
 * db5.3_load: see make.sh there) the blobs walked must be, byte for byte,
 * those rpm itself exports (each NAME.expected: "LENGTH SHA256" per blob).
 * The hostile cases are small files built here page by page, so that each
 * breaks exactly one rule: a cycle, a page past the end, a chain longer
 * than its item, a truncation, a wrong magic. */
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

#include "cleanup.h"
#include "error.h"
#include "pkgdb.h"
#include "sha256.h"

#define FIXTURES "tests/fixtures/rpmdb/"

/* ---- collecting what the walk yields ---- */

struct blobs {
        unsigned char *data[64];
        size_t len[64];
        size_t n;
        int fail_at;      /* the callback fails on this blob (1-based); 0: never */
};

static int collect(void *ctx, const unsigned char *blob, size_t len)
{
        struct blobs *b = ctx;
        if (b->fail_at && (int) b->n + 1 == b->fail_at)
                return -ECANCELED;
        assert_true(b->n < V2C_ARRAY_SIZE(b->data));
        b->data[b->n] = malloc(len ? len : 1);
        assert_non_null(b->data[b->n]);
        memcpy(b->data[b->n], blob, len);
        b->len[b->n++] = len;
        return 0;
}

static void blobs_clear(struct blobs *b)
{
        for (size_t i = 0; i < b->n; i++)
                free(b->data[i]);
        memset(b, 0, sizeof(*b));
}

static unsigned char *read_fixture(const char *name, size_t *len)
{
        char path[256];
        snprintf(path, sizeof(path), FIXTURES "%s", name);
        FILE *f = fopen(path, "rb");
        assert_non_null(f);
        assert_int_equal(fseek(f, 0, SEEK_END), 0);
        long n = ftell(f);
        assert_true(n > 0);
        rewind(f);
        unsigned char *d = malloc((size_t) n);
        assert_non_null(d);
        assert_int_equal(fread(d, 1, (size_t) n, f), (size_t) n);
        fclose(f);
        *len = (size_t) n;
        return d;
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* The walk of fixture NAME gives the blobs of NAME.expected: in order, or
 * as a set when the order is the hash's (Berkeley DB). */
static void check_fixture(enum v2c_rpmdb_kind kind, const char *name, bool ordered)
{
        size_t len;
        _cleanup_free_ unsigned char *data = read_fixture(name, &len);
        struct blobs b = { 0 };
        struct v2c_error *err = NULL;
        int r = v2c_rpmdb_foreach(kind, data, len, collect, &b, &err);
        if (r < 0)
                fail_msg("%s: %s", name, err ? err->msg : "(no message)");
        assert_null(err);

        char *got[64], *want[64];
        char line[256];
        for (size_t i = 0; i < b.n; i++) {
                char hex[V2C_SHA256_HEX_LEN + 1];
                assert_int_equal(v2c_sha256_hex(b.data[i], b.len[i], hex), 0);
                assert_true(asprintf(&got[i], "%zu %s", b.len[i], hex) > 0);
        }
        char path[256];
        snprintf(path, sizeof(path), FIXTURES "%s.expected", name);
        FILE *f = fopen(path, "r");
        assert_non_null(f);
        size_t n_want = 0;
        while (fgets(line, sizeof(line), f)) {
                line[strcspn(line, "\n")] = '\0';
                assert_true(n_want < V2C_ARRAY_SIZE(want));
                want[n_want++] = strdup(line);
        }
        fclose(f);
        assert_true(n_want >= 3);
        assert_int_equal(b.n, n_want);
        if (!ordered) {
                qsort(got, b.n, sizeof(got[0]), cmp_str);
                qsort(want, n_want, sizeof(want[0]), cmp_str);
        }
        for (size_t i = 0; i < n_want; i++) {
                assert_string_equal(got[i], want[i]);
                free(got[i]);
                free(want[i]);
        }
        blobs_clear(&b);

        /* The callback's failure stops the walk and is returned as is. */
        b.fail_at = 2;
        assert_int_equal(v2c_rpmdb_foreach(kind, data, len, collect, &b, &err), -ECANCELED);
        assert_null(err);
        assert_int_equal(b.n, 1);
        blobs_clear(&b);

        /* Every truncation of the file is refused with a message, never a
         * crash or a walk of bytes past the end (ASan watches the latter);
         * a cut inside a blob's own bytes is the one rpm notices only
         * when the length disagrees, so any cut gives an error here. */
        for (size_t cut = 0; cut < len; cut += cut < 4096 ? 97 : 4093) {
                _cleanup_free_ unsigned char *copy = malloc(cut ? cut : 1);
                assert_non_null(copy);
                memcpy(copy, data, cut);
                r = v2c_rpmdb_foreach(kind, copy, cut, collect, &b, &err);
                if (r != -EBADMSG)
                        fail_msg("%s cut at %zu: %d, not -EBADMSG", name, cut, r);
                assert_non_null(err);
                err = v2c_error_free(err);
                blobs_clear(&b);
        }
}

static void test_sqlite_fixture(void **state)
{
        (void) state;
        check_fixture(V2C_RPMDB_SQLITE, "rpmdb.sqlite", true);
}

static void test_bdb_fixture(void **state)
{
        (void) state;
        check_fixture(V2C_RPMDB_BDB, "Packages", false);
        /* Written big-endian, with 8 KiB pages: headers inline and off-page. */
        check_fixture(V2C_RPMDB_BDB, "Packages-be", false);
}

static void test_ndb_fixture(void **state)
{
        (void) state;
        check_fixture(V2C_RPMDB_NDB, "Packages.db", true);
}

/* The walk of (data, len) fails with -EBADMSG and a message holding WHAT. */
static void expect_bad(enum v2c_rpmdb_kind kind, const unsigned char *data, size_t len, const char *what)
{
        struct blobs b = { 0 };
        struct v2c_error *err = NULL;
        int r = v2c_rpmdb_foreach(kind, data, len, collect, &b, &err);
        if (r != -EBADMSG || !err || !strstr(err->msg, what))
                fail_msg("expected -EBADMSG with \"%s\", got %d: %s", what, r, err ? err->msg : "(no message)");
        assert_int_equal(err->kind, V2C_ERR_INPUT);
        v2c_error_free(err);
        blobs_clear(&b);
}

static void put_be16(unsigned char *p, unsigned v) { p[0] = (unsigned char) (v >> 8); p[1] = (unsigned char) v; }
static void put_be32(unsigned char *p, uint32_t v)
{
        p[0] = (unsigned char) (v >> 24);
        p[1] = (unsigned char) (v >> 16);
        p[2] = (unsigned char) (v >> 8);
        p[3] = (unsigned char) v;
}
static void put_le16(unsigned char *p, unsigned v) { p[0] = (unsigned char) v; p[1] = (unsigned char) (v >> 8); }
static void put_le32(unsigned char *p, uint32_t v)
{
        for (int i = 0; i < 4; i++)
                p[i] = (unsigned char) (v >> (8 * i));
}

/* ---- SQLite, built by hand: 512-byte pages ---- */

enum { SQ_PS = 512, SQ_MAX_PAGES = 40 };

struct sqfile {
        unsigned char d[SQ_PS * SQ_MAX_PAGES];
        size_t n_pages;
        size_t cell_top[SQ_MAX_PAGES + 1];   /* per page: where the next cell ends */
};

static unsigned char *sq_pg(struct sqfile *f, unsigned pgno) { return f->d + (size_t) (pgno - 1) * SQ_PS; }

static size_t put_varint(unsigned char *p, uint64_t v)
{
        unsigned char tmp[9];
        size_t n = 0;
        assert_true(v < (1ull << 56));
        do {
                tmp[n++] = (unsigned char) (v & 0x7f);
                v >>= 7;
        } while (v);
        for (size_t i = 0; i < n; i++)
                p[i] = (unsigned char) (tmp[n - 1 - i] | (i + 1 < n ? 0x80 : 0));
        return n;
}

static void sq_btree_page(struct sqfile *f, unsigned pgno, unsigned char type, uint32_t right)
{
        unsigned char *p = sq_pg(f, pgno) + (pgno == 1 ? 100 : 0);
        p[0] = type;
        put_be16(p + 5, SQ_PS);
        if (type == 0x05)
                put_be32(p + 8, right);
        f->cell_top[pgno] = SQ_PS;
}

/* Appends cell bytes to page pgno and its pointer to the pointer array. */
static void sq_add_cell(struct sqfile *f, unsigned pgno, const unsigned char *cell, size_t n)
{
        unsigned char *page = sq_pg(f, pgno), *h = page + (pgno == 1 ? 100 : 0);
        unsigned n_cells = (unsigned) (h[3] << 8 | h[4]);
        size_t ptrs = (size_t) (h - page) + (h[0] == 0x05 ? 12 : 8);
        f->cell_top[pgno] -= n;
        assert_true(f->cell_top[pgno] > ptrs + 2 * (n_cells + 1));
        memcpy(page + f->cell_top[pgno], cell, n);
        put_be16(page + ptrs + 2 * n_cells, (unsigned) f->cell_top[pgno]);
        put_be16(h + 3, n_cells + 1);
}

/* A table-leaf row: the record split as the spec says, the rest on fresh
 * overflow pages; returns the first overflow page (0 if none). */
static unsigned sq_add_row(struct sqfile *f, unsigned pgno, uint64_t rowid, const unsigned char *rec, size_t size)
{
        unsigned char cell[SQ_PS];
        size_t u = SQ_PS, x = u - 35, local = size;
        if (size > x) {
                size_t m = ((u - 12) * 32 / 255) - 23, k = m + (size - m) % (u - 4);
                local = k <= x ? k : m;
        }
        size_t n = put_varint(cell, size);
        n += put_varint(cell + n, rowid);
        memcpy(cell + n, rec, local);
        n += local;
        unsigned first = 0;
        if (local < size) {
                first = (unsigned) f->n_pages + 1;
                put_be32(cell + n, first);
                n += 4;
                for (size_t done = local; done < size;) {
                        unsigned char *ov = sq_pg(f, (unsigned) ++f->n_pages);
                        size_t chunk = size - done < u - 4 ? size - done : u - 4;
                        memcpy(ov + 4, rec + done, chunk);
                        done += chunk;
                        put_be32(ov, done < size ? (uint32_t) f->n_pages + 1 : 0);
                }
        }
        sq_add_cell(f, pgno, cell, n);
        return first;
}

/* A record of a NULL and a blob: a row of Packages. */
static size_t sq_package_record(unsigned char *rec, const unsigned char *blob, size_t len)
{
        unsigned char hdr[16];
        size_t h = 1;
        hdr[h++] = 0;                               /* hnum: NULL, the rowid */
        h += put_varint(hdr + h, 12 + 2 * (uint64_t) len);
        assert_true(h < 127);
        hdr[0] = (unsigned char) h;
        memcpy(rec, hdr, h);
        memcpy(rec + h, blob, len);
        return h + len;
}

/* sqlite_schema's row for a table NAME at ROOT. */
static size_t sq_schema_record(unsigned char *rec, const char *name, unsigned root)
{
        const char *type = "table", *sql = "CREATE TABLE x (hnum INTEGER PRIMARY KEY, blob BLOB)";
        size_t nt = strlen(type), nn = strlen(name), ns = strlen(sql);
        size_t h = 1;
        h += put_varint(rec + h, 13 + 2 * nt);
        h += put_varint(rec + h, 13 + 2 * nn);
        h += put_varint(rec + h, 13 + 2 * nn);
        rec[h++] = 1;                               /* rootpage: 1-byte integer */
        h += put_varint(rec + h, 13 + 2 * ns);
        rec[0] = (unsigned char) h;
        size_t n = h;
        memcpy(rec + n, type, nt), n += nt;
        memcpy(rec + n, name, nn), n += nn;
        memcpy(rec + n, name, nn), n += nn;
        rec[n++] = (unsigned char) root;
        memcpy(rec + n, sql, ns), n += ns;
        return n;
}

static const unsigned char *pattern(size_t len, unsigned seed)
{
        static unsigned char buf[4096];
        assert_true(len <= sizeof(buf));
        for (size_t i = 0; i < len; i++)
                buf[i] = (unsigned char) (i * 7 + seed);
        return buf;
}

/* A file of two pages: the schema naming TABLE at page 2, page 2 a leaf
 * table whose row 2 (1,500 bytes) runs on overflow pages; the finished
 * size is set by sq_finish. */
static void sq_build(struct sqfile *f, const char *table)
{
        memset(f, 0, sizeof(*f));
        memcpy(f->d, "SQLite format 3", 16);
        put_be16(f->d + 16, SQ_PS);
        f->d[18] = f->d[19] = 1;
        f->d[21] = 64, f->d[22] = 32, f->d[23] = 32;
        f->n_pages = 2;
        unsigned char rec[2048];
        sq_btree_page(f, 1, 0x0d, 0);
        size_t n = sq_schema_record(rec, table, 2);
        sq_add_row(f, 1, 1, rec, n);
        sq_btree_page(f, 2, 0x0d, 0);
        n = sq_package_record(rec, pattern(100, 1), 100);
        sq_add_row(f, 2, 1, rec, n);
        n = sq_package_record(rec, pattern(1500, 2), 1500);
        assert_int_equal(sq_add_row(f, 2, 2, rec, n), 3);
}

static size_t sq_finish(struct sqfile *f)
{
        put_be32(f->d + 24, 7);                     /* change counter */
        put_be32(f->d + 92, 7);                     /* the page count below is valid */
        put_be32(f->d + 28, (uint32_t) f->n_pages);
        return f->n_pages * SQ_PS;
}

static void test_sqlite_built(void **state)
{
        (void) state;
        struct sqfile *f = malloc(sizeof(*f));
        assert_non_null(f);
        sq_build(f, "Packages");
        size_t len = sq_finish(f);
        struct blobs b = { 0 };
        struct v2c_error *err = NULL;
        assert_int_equal(v2c_rpmdb_foreach(V2C_RPMDB_SQLITE, f->d, len, collect, &b, &err), 0);
        assert_int_equal(b.n, 2);
        assert_int_equal(b.len[0], 100);
        assert_memory_equal(b.data[0], pattern(100, 1), 100);
        assert_int_equal(b.len[1], 1500);
        assert_memory_equal(b.data[1], pattern(1500, 2), 1500);
        blobs_clear(&b);

        /* The table's name is case-insensitive, as in SQL. */
        sq_build(f, "PACKAGES");
        len = sq_finish(f);
        assert_int_equal(v2c_rpmdb_foreach(V2C_RPMDB_SQLITE, f->d, len, collect, &b, &err), 0);
        assert_int_equal(b.n, 2);
        blobs_clear(&b);

        /* An empty table: nothing, and no error (an rpmdb just made). */
        sq_build(f, "Packages");
        memset(sq_pg(f, 2), 0, SQ_PS);
        sq_btree_page(f, 2, 0x0d, 0);
        f->n_pages = 2;
        len = sq_finish(f);
        assert_int_equal(v2c_rpmdb_foreach(V2C_RPMDB_SQLITE, f->d, len, collect, &b, &err), 0);
        assert_int_equal(b.n, 0);
        free(f);
}

static void test_sqlite_hostile(void **state)
{
        (void) state;
        struct sqfile *f = malloc(sizeof(*f));
        assert_non_null(f);
        size_t len;

        sq_build(f, "Packages");
        len = sq_finish(f);
        f->d[0] = 'Q';
        expect_bad(V2C_RPMDB_SQLITE, f->d, len, "not an SQLite 3 database");

        sq_build(f, "Other");
        len = sq_finish(f);
        expect_bad(V2C_RPMDB_SQLITE, f->d, len, "no table Packages");

        /* Truncated: the header counts more pages than the file holds. */
        sq_build(f, "Packages");
        len = sq_finish(f);
        expect_bad(V2C_RPMDB_SQLITE, f->d, len - SQ_PS, "truncated");
        /* ... or it does not say (an old writer): the walk finds out. */
        put_be32(f->d + 92, 6);
        expect_bad(V2C_RPMDB_SQLITE, f->d, len - SQ_PS, "past the end of the file");

        /* An overflow page that names itself as the next one. */
        sq_build(f, "Packages");
        put_be32(sq_pg(f, 3), 3);
        len = sq_finish(f);
        expect_bad(V2C_RPMDB_SQLITE, f->d, len, "page 3 is reached twice");

        /* An overflow chain going back to the leaf page. */
        sq_build(f, "Packages");
        put_be32(sq_pg(f, 3), 2);
        len = sq_finish(f);
        expect_bad(V2C_RPMDB_SQLITE, f->d, len, "page 2 is reached twice");

        /* An overflow page number past the end of the file. */
        sq_build(f, "Packages");
        put_be32(sq_pg(f, 4), 4000);
        len = sq_finish(f);
        expect_bad(V2C_RPMDB_SQLITE, f->d, len, "page 4000 is past the end");

        /* The chain ends before the payload does. */
        sq_build(f, "Packages");
        put_be32(sq_pg(f, 4), 0);
        len = sq_finish(f);
        expect_bad(V2C_RPMDB_SQLITE, f->d, len, "overflow chain ends after");

        /* An interior page whose right-most child is itself, as the root
         * of Packages. */
        sq_build(f, "Packages");
        unsigned interior = (unsigned) ++f->n_pages;
        sq_btree_page(f, interior, 0x05, interior);
        memset(sq_pg(f, 1) + 100, 0, SQ_PS - 100);
        {
                unsigned char rec[256];
                sq_btree_page(f, 1, 0x0d, 0);
                sq_add_row(f, 1, 1, rec, sq_schema_record(rec, "Packages", interior));
        }
        len = sq_finish(f);
        expect_bad(V2C_RPMDB_SQLITE, f->d, len, "is reached twice");

        /* A chain of interior pages deeper than any real b-tree. */
        sq_build(f, "Packages");
        unsigned first = (unsigned) f->n_pages + 1;
        for (unsigned i = 0; i < 30; i++) {
                f->n_pages++;
                sq_btree_page(f, (unsigned) f->n_pages, 0x05, (uint32_t) f->n_pages + 1);
        }
        f->n_pages++;
        sq_btree_page(f, (unsigned) f->n_pages, 0x0d, 0);
        memset(sq_pg(f, 1) + 100, 0, SQ_PS - 100);
        {
                unsigned char rec[256];
                sq_btree_page(f, 1, 0x0d, 0);
                sq_add_row(f, 1, 1, rec, sq_schema_record(rec, "Packages", first));
        }
        len = sq_finish(f);
        expect_bad(V2C_RPMDB_SQLITE, f->d, len, "deeper than");

        /* A cell pointer outside its page's cell area. */
        sq_build(f, "Packages");
        put_be16(sq_pg(f, 2) + 8, SQ_PS + 10);
        len = sq_finish(f);
        expect_bad(V2C_RPMDB_SQLITE, f->d, len, "outside the cell area");

        /* A page that is not a table b-tree page. */
        sq_build(f, "Packages");
        sq_pg(f, 2)[0] = 0x0a;
        len = sq_finish(f);
        expect_bad(V2C_RPMDB_SQLITE, f->d, len, "not a table b-tree page");

        /* A page size that is not a power of two. */
        sq_build(f, "Packages");
        put_be16(f->d + 16, 1000);
        len = sq_finish(f);
        expect_bad(V2C_RPMDB_SQLITE, f->d, len, "page size");
        free(f);
}

/* ---- Berkeley DB hash, built by hand: 512-byte pages ---- */

enum {
        DB_PS = 512,
        DB_MAX_PAGES = 16,
        DB_V2_OFF = DB_PS - (5 + 5 + 5 + 101 + 5 + 12),  /* package 2's off-page item, see db_build */
};

struct dbfile {
        unsigned char d[DB_PS * DB_MAX_PAGES];
        unsigned n_pages;
};

static unsigned char *db_pg(struct dbfile *f, unsigned pgno) { return f->d + (size_t) pgno * DB_PS; }

/* A hash page holding ITEMS (type byte included), laid out from the end. */
static void db_hash_page(struct dbfile *f, unsigned pgno, const unsigned char *const *items, const size_t *lens,
                         size_t n)
{
        unsigned char *p = db_pg(f, pgno);
        put_le32(p + 8, pgno);
        p[25] = 13;
        put_le16(p + 20, (unsigned) n);
        size_t top = DB_PS;
        for (size_t i = 0; i < n; i++) {
                top -= lens[i];
                memcpy(p + top, items[i], lens[i]);
                put_le16(p + 26 + 2 * i, (unsigned) top);
        }
        put_le16(p + 22, (unsigned) top);
}

/* Writes LEN bytes of DATA on a chain of overflow pages from FIRST. */
static void db_overflow(struct dbfile *f, unsigned first, const unsigned char *data, size_t len)
{
        unsigned pgno = first;
        for (size_t done = 0; done < len; pgno++) {
                unsigned char *p = db_pg(f, pgno);
                size_t chunk = len - done < DB_PS - 26 ? len - done : DB_PS - 26;
                put_le32(p + 8, pgno);
                p[25] = 7;
                put_le16(p + 22, (unsigned) chunk);
                memcpy(p + 26, data + done, chunk);
                done += chunk;
                put_le32(p + 16, done < len ? pgno + 1 : 0);
        }
}

/* Meta page, page 1 a hash page with key 0 (rpm's bookkeeping), package 1
 * inline (100 bytes) and package 2 off page (1,200 bytes on pages 2-4). */
static size_t db_build(struct dbfile *f)
{
        memset(f, 0, sizeof(*f));
        put_le32(f->d + 12, 0x061561);
        put_le32(f->d + 16, 9);
        put_le32(f->d + 20, DB_PS);
        f->d[25] = 8;
        f->n_pages = 5;
        put_le32(f->d + 32, f->n_pages - 1);

        unsigned char k0[5] = { 1, 0, 0, 0, 0 }, v0[5] = { 1, 2, 0, 0, 0 };
        unsigned char k1[5] = { 1, 1, 0, 0, 0 }, k2[5] = { 1, 2, 0, 0, 0 };
        unsigned char v1[101], v2[12] = { 3 };
        v1[0] = 1;
        memcpy(v1 + 1, pattern(100, 3), 100);
        put_le32(v2 + 4, 2);
        put_le32(v2 + 8, 1200);
        const unsigned char *items[] = { k0, v0, k1, v1, k2, v2 };
        size_t lens[] = { 5, 5, 5, 101, 5, 12 };
        db_hash_page(f, 1, items, lens, 6);
        db_overflow(f, 2, pattern(1200, 4), 1200);
        return (size_t) f->n_pages * DB_PS;
}

static void test_bdb_built(void **state)
{
        (void) state;
        struct dbfile *f = malloc(sizeof(*f));
        assert_non_null(f);
        size_t len = db_build(f);
        struct blobs b = { 0 };
        struct v2c_error *err = NULL;
        assert_int_equal(v2c_rpmdb_foreach(V2C_RPMDB_BDB, f->d, len, collect, &b, &err), 0);
        assert_int_equal(b.n, 2);   /* key 0 is not a package */
        assert_int_equal(b.len[0], 100);
        assert_memory_equal(b.data[0], pattern(100, 3), 100);
        assert_int_equal(b.len[1], 1200);
        assert_memory_equal(b.data[1], pattern(1200, 4), 1200);
        blobs_clear(&b);
        free(f);
}

static void test_bdb_hostile(void **state)
{
        (void) state;
        struct dbfile *f = malloc(sizeof(*f));
        assert_non_null(f);
        size_t len;

        len = db_build(f);
        put_le32(f->d + 12, 0x053162);              /* a btree's magic */
        expect_bad(V2C_RPMDB_BDB, f->d, len, "not a Berkeley DB hash database");

        len = db_build(f);
        expect_bad(V2C_RPMDB_BDB, f->d, len - DB_PS, "truncated");

        /* An overflow page that names itself as the next one. */
        len = db_build(f);
        put_le32(db_pg(f, 3) + 16, 3);
        expect_bad(V2C_RPMDB_BDB, f->d, len, "overflow page 3 is reached twice");

        /* ... or a page past the end. */
        len = db_build(f);
        put_le32(db_pg(f, 3) + 16, 77);
        expect_bad(V2C_RPMDB_BDB, f->d, len, "overflow page 77 is past the end");

        /* A chain going on after its item's length. */
        len = db_build(f);
        put_le32(db_pg(f, 1) + DB_V2_OFF + 8, 1000);
        expect_bad(V2C_RPMDB_BDB, f->d, len, "overflow chain longer than its item");

        /* An overflow pointer at a hash page. */
        len = db_build(f);
        put_le32(db_pg(f, 1) + DB_V2_OFF + 4, 1);
        expect_bad(V2C_RPMDB_BDB, f->d, len, "not an overflow page");

        /* An item offset inside the index array. */
        len = db_build(f);
        put_le16(db_pg(f, 1) + 26 + 2, 27);
        expect_bad(V2C_RPMDB_BDB, f->d, len, "outside the page");

        /* More items than the page can index. */
        len = db_build(f);
        put_le16(db_pg(f, 1) + 20, 400);
        expect_bad(V2C_RPMDB_BDB, f->d, len, "do not fit");
        free(f);
}

/* ---- ndb, built by hand ---- */

enum { NDB_MAX = 4096 + 4096 };

/* One slot page; package 2 (300 bytes) at block 256, package 1 (50 bytes)
 * after it: the walk gives package 1 first. */
static size_t ndb_build(unsigned char *d)
{
        memset(d, 0, NDB_MAX);
        memcpy(d, "RpmP", 4);
        put_le32(d + 12, 1);
        put_le32(d + 16, 3);
        for (size_t off = 32; off < 4096; off += 16)
                memcpy(d + off, "Slot", 4);
        size_t blk = 256;
        const struct { uint32_t idx; size_t len; unsigned seed; } pkgs[] = { { 2, 300, 5 }, { 1, 50, 6 } };
        for (size_t i = 0; i < 2; i++) {
                size_t cnt = (16 + pkgs[i].len + 12 + 15) / 16;
                unsigned char *slot = d + 32 + 16 * i, *blob = d + blk * 16;
                put_le32(slot + 4, pkgs[i].idx);
                put_le32(slot + 8, (uint32_t) blk);
                put_le32(slot + 12, (uint32_t) cnt);
                memcpy(blob, "BlbS", 4);
                put_le32(blob + 4, pkgs[i].idx);
                put_le32(blob + 12, (uint32_t) pkgs[i].len);
                memcpy(blob + 16, pattern(pkgs[i].len, pkgs[i].seed), pkgs[i].len);
                unsigned char *tail = blob + cnt * 16 - 12;
                put_le32(tail + 4, (uint32_t) pkgs[i].len);
                memcpy(tail + 8, "BlbE", 4);
                blk += cnt;
        }
        return blk * 16;
}

static void test_ndb_built(void **state)
{
        (void) state;
        unsigned char *d = malloc(NDB_MAX);
        assert_non_null(d);
        size_t len = ndb_build(d);
        struct blobs b = { 0 };
        struct v2c_error *err = NULL;
        assert_int_equal(v2c_rpmdb_foreach(V2C_RPMDB_NDB, d, len, collect, &b, &err), 0);
        assert_int_equal(b.n, 2);
        assert_int_equal(b.len[0], 50);
        assert_memory_equal(b.data[0], pattern(50, 6), 50);
        assert_int_equal(b.len[1], 300);
        assert_memory_equal(b.data[1], pattern(300, 5), 300);
        blobs_clear(&b);
        free(d);
}

static void test_ndb_hostile(void **state)
{
        (void) state;
        unsigned char *d = malloc(NDB_MAX);
        assert_non_null(d);
        size_t len;

        len = ndb_build(d);
        d[3] = 'Q';
        expect_bad(V2C_RPMDB_NDB, d, len, "not an rpm ndb database");

        len = ndb_build(d);
        expect_bad(V2C_RPMDB_NDB, d, len - 16, "past the end of the file");

        /* A slot pointing into the slot pages. */
        len = ndb_build(d);
        put_le32(d + 32 + 8, 2);
        expect_bad(V2C_RPMDB_NDB, d, len, "not a valid entry");

        /* Two slots over the same blocks. */
        len = ndb_build(d);
        put_le32(d + 48 + 8, 256);
        expect_bad(V2C_RPMDB_NDB, d, len, "overlap");

        /* A blob whose tail does not repeat its length. */
        len = ndb_build(d);
        d[len - 8] ^= 1;
        expect_bad(V2C_RPMDB_NDB, d, len, "tail does not match");

        /* A blob whose length does not fill its blocks. */
        len = ndb_build(d);
        put_le32(d + 256 * 16 + 12, 1000);
        expect_bad(V2C_RPMDB_NDB, d, len, "blocks");

        /* A slot without its magic. */
        len = ndb_build(d);
        d[4000] = 'X';
        expect_bad(V2C_RPMDB_NDB, d, len, "no \"Slot\" magic");
        free(d);
}

static void test_caps(void **state)
{
        (void) state;
        struct blobs b = { 0 };
        struct v2c_error *err = NULL;
        expect_bad(V2C_RPMDB_SQLITE, (const unsigned char *) "", 0, "empty file");
        /* A file over the cap is refused before a byte of it is read. */
        static const unsigned char one = 0;
        assert_int_equal(v2c_rpmdb_foreach(V2C_RPMDB_NDB, &one, (size_t) V2C_RPMDB_MAX_FILE + 1, collect, &b, &err),
                         -EFBIG);
        assert_non_null(err);
        v2c_error_free(err);
}

int main(int argc, char **argv)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_sqlite_fixture),
                cmocka_unit_test(test_bdb_fixture),
                cmocka_unit_test(test_ndb_fixture),
                cmocka_unit_test(test_sqlite_built),
                cmocka_unit_test(test_sqlite_hostile),
                cmocka_unit_test(test_bdb_built),
                cmocka_unit_test(test_bdb_hostile),
                cmocka_unit_test(test_ndb_built),
                cmocka_unit_test(test_ndb_hostile),
                cmocka_unit_test(test_caps),
        };
        return v2c_run_group_tests(argc, argv, tests, NULL, NULL);
}
