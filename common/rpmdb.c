/* The rpm database files, walked from bytes: every package header blob of
 * rpmdb.sqlite (SQLite 3), Packages (Berkeley DB hash) or Packages.db
 * (rpm's own ndb), handed to a callback (rpmhdr.c parses the blobs).
 *
 * The file comes from a guest disk and is hostile, and it is a database
 * format whose own library would run the guest's idea of a file through
 * a lot of code: so there is no libsqlite3 and no libdb here, only three
 * small readers of the on-disk layouts, each reading what it needs to
 * find the blobs and checking every page number, offset and length
 * against the buffer before it is used:
 *   - a page is used at most once in a walk (a b-tree page, an overflow
 *     page): a cycle, or two chains sharing pages, is an error, and the
 *     work of a walk is bounded by the size of the file;
 *   - b-trees are at most SQ_MAX_DEPTH deep (recursion stays shallow);
 *   - a blob is at most V2C_RPM_MAX_HEADER bytes, the file at most
 *     V2C_RPMDB_MAX_FILE.
 * Only the main file is read: the pages of an SQLite write-ahead log
 * (rpmdb.sqlite-wal) that were not checkpointed are not seen here; the
 * loader decides what to do about a non-empty WAL.
 *
 * Order of the blobs: SQLite's rowid (rpm's hnum, the install order),
 * Berkeley DB's page order (the hash order: arbitrary), ndb's package
 * index (the install order).
 */
#include "pkgdb.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"

static int bad(struct v2c_error **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int bad(struct v2c_error **err, const char *fmt, ...)
{
        char msg[256];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        return v2c_error_set_kind(err, V2C_ERR_INPUT, EBADMSG, "%s", msg);
}

static uint16_t be16(const unsigned char *p) { return (uint16_t) (p[0] << 8 | p[1]); }
static uint32_t be32(const unsigned char *p)
{
        return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8 | p[3];
}
static uint16_t le16(const unsigned char *p) { return (uint16_t) (p[1] << 8 | p[0]); }
static uint32_t le32(const unsigned char *p)
{
        return (uint32_t) p[3] << 24 | (uint32_t) p[2] << 16 | (uint32_t) p[1] << 8 | p[0];
}

/* One bit per page of the file: set when a walk uses the page. */
struct pages_seen {
        unsigned char *bits;
        uint32_t n;
};

static int seen_init(struct pages_seen *s, uint32_t n)
{
        s->n = n;
        s->bits = calloc((size_t) n / 8 + 1, 1);
        return s->bits ? 0 : -ENOMEM;
}

/* Marks page PGNO (< n); false if it was marked already. */
static bool seen_mark(struct pages_seen *s, uint32_t pgno)
{
        unsigned char bit = (unsigned char) (1u << (pgno % 8));
        if (s->bits[pgno / 8] & bit)
                return false;
        s->bits[pgno / 8] |= bit;
        return true;
}

/* ---- SQLite (https://www.sqlite.org/fileformat.html) ---- */

/* SQLite's own cursors stop at 20 levels; a real rpmdb has 2 or 3. */
#define SQ_MAX_DEPTH 20
/* sqlite_schema rows are a few hundred bytes of SQL. */
#define SQ_MAX_SCHEMA_ROW (1u << 20)

enum {
        SQ_HEADER = 100,            /* the database header, on page 1 */
        SQ_INTERIOR_TABLE = 0x05,
        SQ_LEAF_TABLE = 0x0d,
};

struct sq {
        const unsigned char *data;
        size_t len;
        size_t page_size, usable;
        uint32_t n_pages;
        struct pages_seen seen;
        struct v2c_error **err;
};

/* Page PGNO (1-based) for a b-tree or overflow use: in the file, used once. */
static int sq_page(struct sq *s, uint32_t pgno, const char *what, const unsigned char **page)
{
        if (pgno == 0 || pgno > s->n_pages)
                return bad(s->err, "%s page %" PRIu32 " is past the end of the file (%" PRIu32 " pages)", what,
                           pgno, s->n_pages);
        if (!seen_mark(&s->seen, pgno - 1))
                return bad(s->err, "page %" PRIu32 " is reached twice (a cycle in the file)", pgno);
        *page = s->data + (size_t) (pgno - 1) * s->page_size;
        return 0;
}

/* A varint of 1 to 9 bytes from [p, end); returns its length, 0 if it runs
 * past end. */
static size_t sq_varint(const unsigned char *p, const unsigned char *end, uint64_t *v)
{
        uint64_t x = 0;
        for (size_t i = 0; i < 9; i++) {
                if (p + i >= end)
                        return 0;
                if (i == 8) {
                        *v = x << 8 | p[i];
                        return 9;
                }
                x = x << 7 | (p[i] & 0x7f);
                if (!(p[i] & 0x80)) {
                        *v = x;
                        return i + 1;
                }
        }
        return 0;
}

/* A table b-tree row's record, whole: borrowed from the file when it fits
 * on its page, else gathered from the overflow chain into buf. */
struct sq_row {
        const unsigned char *rec;
        size_t len;
        int64_t rowid;
        unsigned char *buf;
};

/* Reads the leaf cell at offset OFF of page PGNO into row.  MAX bounds the
 * payload before anything is allocated. */
static int sq_cell(struct sq *s, const unsigned char *page, uint32_t pgno, size_t off, uint64_t max,
                   struct sq_row *row)
{
        const unsigned char *end = page + s->usable;
        const unsigned char *p = page + off;
        uint64_t size, rowid;
        size_t n;

        if (off >= s->usable)
                return bad(s->err, "page %" PRIu32 ": a cell starts past the page", pgno);
        if ((n = sq_varint(p, end, &size)) == 0)
                return bad(s->err, "page %" PRIu32 ": a cell runs past the page", pgno);
        p += n;
        if ((n = sq_varint(p, end, &rowid)) == 0)
                return bad(s->err, "page %" PRIu32 ": a cell runs past the page", pgno);
        p += n;
        if (size > max || size > s->len)
                return bad(s->err, "page %" PRIu32 ": row %" PRId64 " has a payload of %" PRIu64
                           " bytes, over the %" PRIu64 " a row may have here", pgno, (int64_t) rowid, size,
                           max < s->len ? max : (uint64_t) s->len);
        row->rowid = (int64_t) rowid;

        /* How much of the payload is on the leaf page: the spec's formula
         * (X, M, K); the rest is in overflow pages of U-4 bytes each. */
        size_t u = s->usable, x = u - 35, local = size;
        if (size > x) {
                size_t m = ((u - 12) * 32 / 255) - 23;
                size_t k = m + (size_t) ((size - m) % (u - 4));
                local = k <= x ? k : m;
        }
        size_t tail = local < size ? 4 : 0;
        if ((size_t) (end - p) < local + tail)
                return bad(s->err, "page %" PRIu32 ": row %" PRId64 " runs past the page", pgno, row->rowid);
        if (local == size) {
                row->rec = p;
                row->len = size;
                return 0;
        }

        row->buf = malloc(size);
        if (!row->buf)
                return v2c_error_set(s->err, ENOMEM, "out of memory");
        memcpy(row->buf, p, local);
        size_t got = local;
        uint32_t next = be32(p + local);
        while (got < size) {
                const unsigned char *ov;
                if (next == 0)
                        return bad(s->err, "row %" PRId64 ": its overflow chain ends after %zu of %" PRIu64
                                   " bytes", row->rowid, got, size);
                int r = sq_page(s, next, "overflow", &ov);
                if (r < 0)
                        return v2c_error_prefix(s->err, r, "row %" PRId64, row->rowid);
                size_t chunk = size - got < u - 4 ? size - got : u - 4;
                memcpy(row->buf + got, ov + 4, chunk);
                got += chunk;
                next = be32(ov);
        }
        row->rec = row->buf;
        row->len = size;
        return 0;
}

/* Column COL of a record: its serial type and bytes.  A column past the
 * record's end is NULL, as in SQLite (a column added by ALTER TABLE). */
static int sq_column(struct sq *s, const struct sq_row *row, unsigned col, uint64_t *type,
                     const unsigned char **val, size_t *val_len)
{
        const unsigned char *rec = row->rec;
        uint64_t hdr_len;
        size_t n = sq_varint(rec, rec + row->len, &hdr_len);
        if (n == 0 || hdr_len < n || hdr_len > row->len)
                return bad(s->err, "row %" PRId64 ": bad record header", row->rowid);
        const unsigned char *h = rec + n, *hend = rec + hdr_len;
        size_t body = (size_t) hdr_len;
        for (unsigned i = 0;; i++) {
                uint64_t t, size;
                if (h >= hend) {
                        *type = 0;
                        *val = NULL;
                        *val_len = 0;
                        return 0;
                }
                if ((n = sq_varint(h, hend, &t)) == 0)
                        return bad(s->err, "row %" PRId64 ": bad record header", row->rowid);
                h += n;
                static const unsigned char int_size[] = { 0, 1, 2, 3, 4, 6, 8, 8, 0, 0 };
                if (t < V2C_ARRAY_SIZE(int_size))
                        size = int_size[t];
                else if (t >= 12)
                        size = (t - 12) / 2;
                else
                        return bad(s->err, "row %" PRId64 ": reserved serial type %" PRIu64, row->rowid, t);
                if (size > row->len - body)
                        return bad(s->err, "row %" PRId64 ": column %u runs past the record", row->rowid, i);
                if (i == col) {
                        *type = t;
                        *val = rec + body;
                        *val_len = (size_t) size;
                        return 0;
                }
                body += (size_t) size;
        }
}

/* The value of an integer column (serial types 1-6, 8, 9). */
static bool sq_int(uint64_t type, const unsigned char *val, size_t len, int64_t *out)
{
        if (type == 8 || type == 9) {
                *out = (int64_t) type - 8;
                return true;
        }
        if (type < 1 || type > 6)
                return false;
        uint64_t v = (val[0] & 0x80) ? UINT64_MAX : 0;
        for (size_t i = 0; i < len; i++)
                v = v << 8 | val[i];
        *out = (int64_t) v;
        return true;
}

typedef int (*sq_row_fn)(struct sq *s, const struct sq_row *row, void *arg);

/* Walks the table b-tree rooted at PGNO in rowid order. */
static int sq_walk(struct sq *s, uint32_t pgno, unsigned depth, uint64_t max, sq_row_fn fn, void *arg)
{
        const unsigned char *page;
        if (depth > SQ_MAX_DEPTH)
                return bad(s->err, "page %" PRIu32 ": the b-tree is deeper than %d levels", pgno, SQ_MAX_DEPTH);
        int r = sq_page(s, pgno, "b-tree", &page);
        if (r < 0)
                return r;
        size_t hdr = pgno == 1 ? SQ_HEADER : 0;
        bool interior = page[hdr] == SQ_INTERIOR_TABLE;
        if (!interior && page[hdr] != SQ_LEAF_TABLE)
                return bad(s->err, "page %" PRIu32 " is not a table b-tree page (type %u)", pgno, page[hdr]);
        size_t n_cells = be16(page + hdr + 3);
        size_t ptrs = hdr + (interior ? 12 : 8);
        if (ptrs + 2 * n_cells > s->usable)
                return bad(s->err, "page %" PRIu32 ": %zu cells do not fit in the page", pgno, n_cells);

        for (size_t i = 0; i < n_cells; i++) {
                size_t off = be16(page + ptrs + 2 * i);
                if (off < ptrs + 2 * n_cells || off >= s->usable)
                        return bad(s->err, "page %" PRIu32 ": cell %zu is outside the cell area", pgno, i);
                if (interior) {
                        if (off + 4 > s->usable)
                                return bad(s->err, "page %" PRIu32 ": cell %zu runs past the page", pgno, i);
                        r = sq_walk(s, be32(page + off), depth + 1, max, fn, arg);
                } else {
                        struct sq_row row = { 0 };
                        r = sq_cell(s, page, pgno, off, max, &row);
                        if (r == 0)
                                r = fn(s, &row, arg);
                        free(row.buf);
                }
                if (r < 0)
                        return r;
        }
        if (interior)
                return sq_walk(s, be32(page + hdr + 8), depth + 1, max, fn, arg);
        return 0;
}

static bool span_eq_nocase(const unsigned char *v, size_t len, const char *s)
{
        if (len != strlen(s))
                return false;
        for (size_t i = 0; i < len; i++) {
                unsigned char a = v[i], b = (unsigned char) s[i];
                if (a >= 'A' && a <= 'Z')
                        a = (unsigned char) (a - 'A' + 'a');
                if (b >= 'A' && b <= 'Z')
                        b = (unsigned char) (b - 'A' + 'a');
                if (a != b)
                        return false;
        }
        return true;
}

/* sqlite_schema(type, name, tbl_name, rootpage, sql): the root page of
 * table Packages into *(uint32_t *) arg, the first such row. */
static int sq_schema_row(struct sq *s, const struct sq_row *row, void *arg)
{
        uint32_t *root = arg;
        uint64_t t_type, t_name, t_root;
        const unsigned char *type, *name, *rootv;
        size_t type_len, name_len, root_len;
        int r;
        if (*root != 0)
                return 0;
        if ((r = sq_column(s, row, 0, &t_type, &type, &type_len)) < 0 ||
            (r = sq_column(s, row, 1, &t_name, &name, &name_len)) < 0 ||
            (r = sq_column(s, row, 3, &t_root, &rootv, &root_len)) < 0)
                return v2c_error_prefix(s->err, r, "sqlite_schema");
        /* Text serial types are odd and >= 13. */
        if (t_type < 13 || t_type % 2 == 0 || !span_eq_nocase(type, type_len, "table"))
                return 0;
        if (t_name < 13 || t_name % 2 == 0 || !span_eq_nocase(name, name_len, "Packages"))
                return 0;
        int64_t pg;
        if (!sq_int(t_root, rootv, root_len, &pg) || pg < 1 || pg > s->n_pages)
                return bad(s->err, "sqlite_schema: table Packages has no root page in the file");
        *root = (uint32_t) pg;
        return 0;
}

struct sq_yield {
        v2c_rpmdb_blob_fn fn;
        void *ctx;
};

/* Packages(hnum INTEGER PRIMARY KEY, blob BLOB NOT NULL): hnum is the
 * rowid, so the record holds NULL for it and the blob second. */
static int sq_package_row(struct sq *s, const struct sq_row *row, void *arg)
{
        struct sq_yield *y = arg;
        uint64_t t;
        const unsigned char *blob;
        size_t len;
        int r = sq_column(s, row, 1, &t, &blob, &len);
        if (r < 0)
                return v2c_error_prefix(s->err, r, "table Packages");
        if (t < 12 || t % 2 != 0)
                return bad(s->err, "table Packages: row %" PRId64 ": column blob is not a blob", row->rowid);
        if (len > V2C_RPM_MAX_HEADER)
                return bad(s->err, "table Packages: row %" PRId64 ": a header of %zu bytes, over %u",
                           row->rowid, len, V2C_RPM_MAX_HEADER);
        return y->fn(y->ctx, blob, len);
}

static int sqlite_foreach(const unsigned char *data, size_t len, v2c_rpmdb_blob_fn fn, void *ctx,
                          struct v2c_error **err)
{
        static const char magic[16] = "SQLite format 3";   /* and its NUL */
        struct sq s = { .data = data, .len = len, .err = err };

        if (len < SQ_HEADER || memcmp(data, magic, sizeof(magic)) != 0)
                return bad(err, "not an SQLite 3 database (no \"SQLite format 3\" header)");
        s.page_size = be16(data + 16) == 1 ? 65536 : be16(data + 16);
        if (s.page_size < 512 || s.page_size > 65536 || (s.page_size & (s.page_size - 1)))
                return bad(err, "page size %zu is not a power of two from 512 to 65536", s.page_size);
        /* The spec: the usable size is at least 480 bytes. */
        if (s.page_size - data[20] < 480)
                return bad(err, "%u reserved bytes leave less than 480 usable in a page of %zu", data[20],
                           s.page_size);
        s.usable = s.page_size - data[20];
        if (len < s.page_size)
                return bad(err, "truncated: %zu bytes, less than one page of %zu", len, s.page_size);
        s.n_pages = (uint32_t) (len / s.page_size);
        /* The header's page count is valid when its "version-valid-for"
         * matches the change counter (SQLite 3.7.0 and later). */
        uint32_t header_pages = be32(data + 28);
        if (be32(data + 92) == be32(data + 24) && header_pages > s.n_pages)
                return bad(err, "truncated: the header says %" PRIu32 " pages, the file holds %" PRIu32,
                           header_pages, s.n_pages);
        if (seen_init(&s.seen, s.n_pages) < 0)
                return v2c_error_set(err, ENOMEM, "out of memory");

        uint32_t root = 0;
        int r = sq_walk(&s, 1, 0, SQ_MAX_SCHEMA_ROW, sq_schema_row, &root);
        if (r == 0 && root == 0)
                r = bad(err, "no table Packages in the schema");
        if (r == 0) {
                struct sq_yield y = { fn, ctx };
                r = sq_walk(&s, root, 0, (uint64_t) V2C_RPM_MAX_HEADER + 64, sq_package_row, &y);
        }
        free(s.seen.bits);
        return r;
}

/* ---- Berkeley DB hash (db_page.h of Berkeley DB 4 and 5) ---- */

enum {
        DB_HASHMAGIC = 0x061561,
        DB_META_SIZE = 72 + 4,      /* the generic meta page and max_bucket */
        DB_PAGE_HEADER = 26,        /* lsn, pgno, prev, next, entries, hf_offset, level, type */
        DB_CHKSUM_SIZE = 6,         /* PG_CHKSUM after the header when checksummed */
        DBMETA_CHKSUM = 0x01,
        P_HASH_UNSORTED = 2,
        P_OVERFLOW = 7,
        P_HASHMETA = 8,
        P_HASH = 13,
        H_KEYDATA = 1,
        H_DUPLICATE = 2,
        H_OFFPAGE = 3,
        H_OFFDUP = 4,
        H_BLOB = 5,
        HOFFPAGE_SIZE = 12,         /* type, 3 unused, pgno, tlen */
};

struct bdb {
        const unsigned char *data;
        size_t len, page_size, overhead;
        uint32_t n_pages;
        bool swap;                  /* written on a host of the other byte order */
        struct pages_seen seen;
        struct v2c_error **err;
};

static uint16_t bdb16(const struct bdb *b, const unsigned char *p) { return b->swap ? be16(p) : le16(p); }
static uint32_t bdb32(const struct bdb *b, const unsigned char *p) { return b->swap ? be32(p) : le32(p); }

/* Gathers the TLEN bytes of an off-page item from its chain of overflow
 * pages starting at PGNO into a new *out. */
static int bdb_offpage(struct bdb *b, uint32_t pgno, uint32_t tlen, unsigned char **out)
{
        if (tlen > V2C_RPM_MAX_HEADER || tlen > b->len)
                return bad(b->err, "an item of %" PRIu32 " bytes, over the %zu this file can hold", tlen,
                           (size_t) V2C_RPM_MAX_HEADER < b->len ? (size_t) V2C_RPM_MAX_HEADER : b->len);
        _cleanup_free_ unsigned char *buf = malloc(tlen ? tlen : 1);
        if (!buf)
                return v2c_error_set(b->err, ENOMEM, "out of memory");
        size_t got = 0;
        while (got < tlen) {
                if (pgno == 0 || pgno >= b->n_pages)
                        return bad(b->err, "overflow page %" PRIu32 " is past the end of the file (%" PRIu32
                                   " pages)", pgno, b->n_pages);
                if (!seen_mark(&b->seen, pgno))
                        return bad(b->err, "overflow page %" PRIu32 " is reached twice (a cycle in the file)",
                                   pgno);
                const unsigned char *page = b->data + (size_t) pgno * b->page_size;
                if (page[25] != P_OVERFLOW)
                        return bad(b->err, "page %" PRIu32 " is not an overflow page (type %u)", pgno, page[25]);
                size_t n = bdb16(b, page + 22);   /* hf_offset: the bytes on this page */
                if (n == 0 || n > b->page_size - b->overhead)
                        return bad(b->err, "overflow page %" PRIu32 " says it holds %zu bytes", pgno, n);
                if (n > tlen - got)
                        return bad(b->err, "overflow chain longer than its item of %" PRIu32 " bytes", tlen);
                memcpy(buf + got, page + b->overhead, n);
                got += n;
                pgno = bdb32(b, page + 16);
        }
        if (pgno != 0)
                return bad(b->err, "overflow chain longer than its item of %" PRIu32 " bytes", tlen);
        *out = TAKE_PTR(buf);
        return 0;
}

/* Item I of a hash page: [*item, *item + *len).  Items are laid out from
 * the end of the page down, so an item ends where the one before begins. */
static int bdb_item(struct bdb *b, const unsigned char *page, uint32_t pgno, size_t n_items, size_t i,
                    const unsigned char **item, size_t *len)
{
        size_t inp = b->overhead;
        size_t off = bdb16(b, page + inp + 2 * i);
        size_t end = i == 0 ? b->page_size : bdb16(b, page + inp + 2 * (i - 1));
        if (off < inp + 2 * n_items || off >= end || end > b->page_size)
                return bad(b->err, "page %" PRIu32 ": item %zu is outside the page", pgno, i);
        *item = page + off;
        *len = end - off;
        return 0;
}

static int bdb_page(struct bdb *b, uint32_t pgno, v2c_rpmdb_blob_fn fn, void *ctx)
{
        const unsigned char *page = b->data + (size_t) pgno * b->page_size;
        size_t n_items = bdb16(b, page + 20);
        if (b->overhead + 2 * n_items > b->page_size)
                return bad(b->err, "page %" PRIu32 ": %zu items do not fit in the page", pgno, n_items);
        if (n_items % 2)
                return bad(b->err, "page %" PRIu32 ": %zu items, not key/data pairs", pgno, n_items);
        for (size_t i = 0; i < n_items; i += 2) {
                const unsigned char *key, *val;
                size_t key_len, val_len;
                int r;
                if ((r = bdb_item(b, page, pgno, n_items, i, &key, &key_len)) < 0 ||
                    (r = bdb_item(b, page, pgno, n_items, i + 1, &val, &val_len)) < 0)
                        return r;
                /* rpm's keys are 4-byte package numbers in the writer's
                 * byte order; number 0 held rpm's own bookkeeping (the
                 * last number given) in older versions, not a header. */
                if (key[0] != H_KEYDATA || key_len != 1 + 4)
                        return bad(b->err, "page %" PRIu32 ": key %zu is not a package number", pgno, i / 2);
                if (memcmp(key + 1, "\0\0\0\0", 4) == 0)
                        continue;
                switch (val[0]) {
                case H_KEYDATA:
                        if (val_len - 1 > V2C_RPM_MAX_HEADER)
                                return bad(b->err, "page %" PRIu32 ": a header of %zu bytes", pgno, val_len - 1);
                        r = fn(ctx, val + 1, val_len - 1);
                        break;
                case H_OFFPAGE: {
                        _cleanup_free_ unsigned char *blob = NULL;
                        if (val_len < HOFFPAGE_SIZE)
                                return bad(b->err, "page %" PRIu32 ": short off-page item", pgno);
                        uint32_t tlen = bdb32(b, val + 8);
                        r = bdb_offpage(b, bdb32(b, val + 4), tlen, &blob);
                        if (r < 0)
                                return v2c_error_prefix(b->err, r, "page %" PRIu32 ", item %zu", pgno, i + 1);
                        r = fn(ctx, blob, tlen);
                        break;
                }
                case H_DUPLICATE:
                case H_OFFDUP:
                case H_BLOB:
                        return bad(b->err, "page %" PRIu32 ": item type %u (duplicates or external blobs), "
                                   "which rpm does not write", pgno, val[0]);
                default:
                        return bad(b->err, "page %" PRIu32 ": unknown item type %u", pgno, val[0]);
                }
                if (r < 0)
                        return r;
        }
        return 0;
}

static int bdb_foreach(const unsigned char *data, size_t len, v2c_rpmdb_blob_fn fn, void *ctx,
                       struct v2c_error **err)
{
        struct bdb b = { .data = data, .len = len, .err = err };

        if (len < DB_META_SIZE)
                return bad(err, "not a Berkeley DB hash database (%zu bytes)", len);
        if (le32(data + 12) == DB_HASHMAGIC)
                b.swap = false;
        else if (be32(data + 12) == DB_HASHMAGIC)
                b.swap = true;
        else
                return bad(err, "not a Berkeley DB hash database (magic 0x%08" PRIx32 ")", le32(data + 12));
        uint32_t version = bdb32(&b, data + 16);
        /* 8: Berkeley DB 4.2 to 4.5, 9: 4.6 and later (sorted pages). */
        if (version < 8 || version > 9)
                return bad(err, "Berkeley DB hash version %" PRIu32 ", not 8 or 9", version);
        if (data[25] != P_HASHMETA)
                return bad(err, "page 0 is not a hash meta page (type %u)", data[25]);
        if (data[24] != 0)
                return bad(err, "the database is encrypted");
        b.page_size = bdb32(&b, data + 20);
        if (b.page_size < 512 || b.page_size > 65536 || (b.page_size & (b.page_size - 1)))
                return bad(err, "page size %zu is not a power of two from 512 to 65536", b.page_size);
        b.overhead = DB_PAGE_HEADER + (data[26] & DBMETA_CHKSUM ? DB_CHKSUM_SIZE : 0);
        if (len < b.page_size)
                return bad(err, "truncated: %zu bytes, less than one page of %zu", len, b.page_size);
        b.n_pages = (uint32_t) (len / b.page_size);
        uint32_t last_pgno = bdb32(&b, data + 32);
        if (last_pgno >= b.n_pages)
                return bad(err, "truncated: the meta page says %" PRIu32 " pages, the file holds %" PRIu32,
                           last_pgno + 1, b.n_pages);
        if (seen_init(&b.seen, b.n_pages) < 0)
                return v2c_error_set(err, ENOMEM, "out of memory");

        int r = 0;
        for (uint32_t pgno = 1; pgno < b.n_pages && r == 0; pgno++) {
                unsigned type = data[(size_t) pgno * b.page_size + 25];
                if (type == P_HASH || type == P_HASH_UNSORTED)
                        r = bdb_page(&b, pgno, fn, ctx);
        }
        free(b.seen.bits);
        return r;
}

/* ---- ndb (rpm's lib/backend/ndb/rpmpkg.c) ----
 *
 * Little-endian throughout.  The file is cut in blocks of 16 bytes; its
 * first slotnpages pages of 4096 bytes hold slots of 16 bytes ("Slot",
 * package index, first block, block count; the first two slots are the
 * file header "RpmP", version, generation, slotnpages, next index); a slot
 * with block 0 is free.  Each blob is "BlbS", package index, time, length,
 * the header, zero padding, then adler32, length, "BlbE". */

enum {
        NDB_BLOCK = 16,
        NDB_SLOT_PAGE = 4096,
        NDB_HEADER = 32,
        NDB_BLOB_HEAD = 16,
        NDB_BLOB_TAIL = 12,
};

struct ndb_slot {
        uint32_t pkgidx, blkoff, blkcnt;
};

static int slot_by_blkoff(const void *a, const void *b)
{
        const struct ndb_slot *x = a, *y = b;
        return x->blkoff < y->blkoff ? -1 : x->blkoff > y->blkoff;
}

static int slot_by_pkgidx(const void *a, const void *b)
{
        const struct ndb_slot *x = a, *y = b;
        return x->pkgidx < y->pkgidx ? -1 : x->pkgidx > y->pkgidx;
}

static int ndb_foreach(const unsigned char *data, size_t len, v2c_rpmdb_blob_fn fn, void *ctx,
                       struct v2c_error **err)
{
        if (len < NDB_HEADER || memcmp(data, "RpmP", 4) != 0)
                return bad(err, "not an rpm ndb database (no \"RpmP\" header)");
        if (le32(data + 4) != 0)
                return bad(err, "ndb version %" PRIu32 ", not 0", le32(data + 4));
        uint32_t slot_pages = le32(data + 12);
        if (slot_pages == 0 || slot_pages > len / NDB_SLOT_PAGE)
                return bad(err, "truncated: %" PRIu32 " slot pages, the file holds %zu", slot_pages,
                           len / NDB_SLOT_PAGE);
        size_t n_blocks = len / NDB_BLOCK;
        /* Blobs start after the slot pages (rpm's own check). */
        size_t first_block = (size_t) slot_pages * (NDB_SLOT_PAGE / NDB_BLOCK);
        size_t max_slots = (size_t) slot_pages * (NDB_SLOT_PAGE / NDB_BLOCK);
        _cleanup_free_ struct ndb_slot *slots = calloc(max_slots, sizeof(*slots));
        if (!slots)
                return v2c_error_set(err, ENOMEM, "out of memory");
        size_t n = 0;
        for (size_t off = NDB_HEADER; off < first_block * NDB_BLOCK; off += NDB_BLOCK) {
                const unsigned char *p = data + off;
                size_t slotno = off / NDB_BLOCK;
                if (memcmp(p, "Slot", 4) != 0)
                        return bad(err, "slot %zu has no \"Slot\" magic", slotno);
                struct ndb_slot s = { le32(p + 4), le32(p + 8), le32(p + 12) };
                if (s.blkoff == 0)
                        continue;
                if (s.pkgidx == 0 || s.blkcnt == 0 || s.blkoff < first_block)
                        return bad(err, "slot %zu: package %" PRIu32 " at block %" PRIu32 " of %" PRIu32
                                   " blocks is not a valid entry", slotno, s.pkgidx, s.blkoff, s.blkcnt);
                if ((uint64_t) s.blkoff + s.blkcnt > n_blocks)
                        return bad(err, "slot %zu: package %" PRIu32 " ends past the end of the file "
                                   "(truncated)", slotno, s.pkgidx);
                slots[n++] = s;
        }

        /* Blobs may not overlap (else one blob could be read many times over),
         * nor two slots name one package. */
        if (n > 0)
                qsort(slots, n, sizeof(*slots), slot_by_blkoff);
        for (size_t i = 1; i < n; i++)
                if ((uint64_t) slots[i - 1].blkoff + slots[i - 1].blkcnt > slots[i].blkoff)
                        return bad(err, "packages %" PRIu32 " and %" PRIu32 " overlap", slots[i - 1].pkgidx,
                                   slots[i].pkgidx);
        if (n > 0)
                qsort(slots, n, sizeof(*slots), slot_by_pkgidx);
        for (size_t i = 1; i < n; i++)
                if (slots[i - 1].pkgidx == slots[i].pkgidx)
                        return bad(err, "package %" PRIu32 " has two slots", slots[i].pkgidx);

        for (size_t i = 0; i < n; i++) {
                const struct ndb_slot *s = &slots[i];
                const unsigned char *blob = data + (size_t) s->blkoff * NDB_BLOCK;
                size_t room = (size_t) s->blkcnt * NDB_BLOCK;
                if (room < NDB_BLOB_HEAD + NDB_BLOB_TAIL || memcmp(blob, "BlbS", 4) != 0 ||
                    le32(blob + 4) != s->pkgidx)
                        return bad(err, "package %" PRIu32 ": no blob header at block %" PRIu32, s->pkgidx,
                                   s->blkoff);
                uint32_t blob_len = le32(blob + 12);
                /* rpm's own rule: the blob fills its blocks, padding < 16. */
                if ((NDB_BLOB_HEAD + (uint64_t) blob_len + NDB_BLOB_TAIL + NDB_BLOCK - 1) / NDB_BLOCK != s->blkcnt)
                        return bad(err, "package %" PRIu32 ": a blob of %" PRIu32 " bytes in %" PRIu32 " blocks",
                                   s->pkgidx, blob_len, s->blkcnt);
                if (blob_len > V2C_RPM_MAX_HEADER)
                        return bad(err, "package %" PRIu32 ": a header of %" PRIu32 " bytes, over %u", s->pkgidx,
                                   blob_len, V2C_RPM_MAX_HEADER);
                const unsigned char *tail = blob + room - NDB_BLOB_TAIL;
                /* The adler32 in the tail is not checked: rpm does not
                 * check it on reads either, and the header parser bounds
                 * whatever the bytes say. */
                if (le32(tail + 4) != blob_len || memcmp(tail + 8, "BlbE", 4) != 0)
                        return bad(err, "package %" PRIu32 ": the blob's tail does not match its header",
                                   s->pkgidx);
                int r = fn(ctx, blob + NDB_BLOB_HEAD, blob_len);
                if (r < 0)
                        return r;
        }
        return 0;
}

int v2c_rpmdb_foreach(enum v2c_rpmdb_kind kind, const unsigned char *data, size_t len, v2c_rpmdb_blob_fn fn,
                      void *ctx, struct v2c_error **err)
{
        static const char *const names[] = {
                [V2C_RPMDB_SQLITE] = "rpmdb.sqlite",
                [V2C_RPMDB_BDB] = "Packages (Berkeley DB)",
                [V2C_RPMDB_NDB] = "Packages.db (ndb)",
        };
        if ((unsigned) kind >= V2C_ARRAY_SIZE(names))
                return v2c_error_set(err, EINVAL, "unknown rpm database kind %d", (int) kind);
        if (!data || len == 0)
                return v2c_error_prefix(err, bad(err, "empty file"), "%s", names[kind]);
        if (len > V2C_RPMDB_MAX_FILE)
                return v2c_error_set_kind(err, V2C_ERR_INPUT, EFBIG, "%s: %zu bytes, over the %u MiB cap",
                                          names[kind], len, V2C_RPMDB_MAX_FILE >> 20);

        /* A failure of FN is FN's: its error, if any, is in its context,
         * and *err is left alone (only the walk's own errors are named). */
        struct v2c_error *own = NULL;
        int r;
        switch (kind) {
        case V2C_RPMDB_SQLITE:
                r = sqlite_foreach(data, len, fn, ctx, &own);
                break;
        case V2C_RPMDB_BDB:
                r = bdb_foreach(data, len, fn, ctx, &own);
                break;
        default:
                r = ndb_foreach(data, len, fn, ctx, &own);
                break;
        }
        if (own) {
                v2c_error_prefix(&own, r, "%s", names[kind]);
                if (err && !*err)
                        *err = own;
                else
                        v2c_error_free(own);
        }
        return r;
}
