/* rpm package headers, as the rpm database stores them (rpmdb.c walks the
 * database files and hands each blob over).
 *
 * A blob is two big-endian uint32, il (index entries) and dl (data bytes),
 * then il index entries of 16 bytes (tag, type, offset, count; big-endian),
 * then the data store of dl bytes the offsets point into; no lead and no
 * header magic.  The first entry is normally a region tag
 * (HEADERIMMUTABLE): its data, a 16-byte trailer, marks which entries came
 * from the package file.  Entries rpm adds at install time ("dribbles")
 * come after the region and replace a region entry of the same tag, which
 * is why the last entry of a tag wins here.
 *
 * The blob comes from a guest disk.  Every entry is checked before any
 * value is read, with the rules of rpm's own hdrblobVerifyInfo: a known
 * type, aligned, inside the store, strings NUL-terminated inside it, and
 * entries in increasing, non-overlapping order (which keeps the checks
 * linear in the blob).  The readers below rely on those checks and
 * nothing else.
 */
#include "pkgdb.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"

enum {
        TYPE_NULL,
        TYPE_CHAR,
        TYPE_INT8,
        TYPE_INT16,
        TYPE_INT32,
        TYPE_INT64,
        TYPE_STRING,
        TYPE_BIN,
        TYPE_STRING_ARRAY,
        TYPE_I18NSTRING,
};

/* Bytes of one item of each fixed-size type, which is also its alignment
 * in the store; 0 for the string types. */
static const uint32_t type_size[] = { 0, 1, 1, 2, 4, 8, 0, 1, 0, 0 };

/* rpm's own limits (lib/header.c): 0xffff entries, 256 MiB of data. */
#define HDR_MAX_ENTRIES 0xffffu
#define HDR_MAX_DATA    0x0fffffffu
#define HDR_ENTRY       16u

#define TAG_HEADERIMAGE     61
#define TAG_HEADERIMMUTABLE 63
#define TAG_I18NTABLE       100   /* the first tag a package header may hold */

#define SENSE_LESS    (1u << 1)
#define SENSE_GREATER (1u << 2)
#define SENSE_EQUAL   (1u << 3)
#define SENSE_RPMLIB  (1u << 24)

#define FILE_CONFIG (1u << 0)
#define FILE_GHOST  (1u << 6)

/* The tags read, each kept in a slot of struct hdr. */
enum slot {
        S_NAME,
        S_VERSION,
        S_RELEASE,
        S_EPOCH,
        S_SUMMARY,
        S_SIZE,
        S_VENDOR,
        S_ARCH,
        S_OLDFILENAMES,
        S_FILEDIGESTS,
        S_FILEFLAGS,
        S_SOURCERPM,
        S_PROVIDENAME,
        S_REQUIREFLAGS,
        S_REQUIRENAME,
        S_REQUIREVERSION,
        S_PROVIDEFLAGS,
        S_PROVIDEVERSION,
        S_DIRINDEXES,
        S_BASENAMES,
        S_DIRNAMES,
        S_LONGSIZE,
        S_FILEDIGESTALGO,
        N_SLOTS,
};

static const uint32_t slot_tag[N_SLOTS] = {
        [S_NAME] = 1000,           [S_VERSION] = 1001,        [S_RELEASE] = 1002,
        [S_EPOCH] = 1003,          [S_SUMMARY] = 1004,        [S_SIZE] = 1009,
        [S_VENDOR] = 1011,         [S_ARCH] = 1022,           [S_OLDFILENAMES] = 1027,
        [S_FILEDIGESTS] = 1035,    [S_FILEFLAGS] = 1037,      [S_SOURCERPM] = 1044,
        [S_PROVIDENAME] = 1047,    [S_REQUIREFLAGS] = 1048,   [S_REQUIRENAME] = 1049,
        [S_REQUIREVERSION] = 1050, [S_PROVIDEFLAGS] = 1112,   [S_PROVIDEVERSION] = 1113,
        [S_DIRINDEXES] = 1116,     [S_BASENAMES] = 1117,      [S_DIRNAMES] = 1118,
        [S_LONGSIZE] = 5009,       [S_FILEDIGESTALGO] = 5011,
};

/* A checked entry: count items of type at offset, len bytes, all inside
 * the store.  type TYPE_NULL (never valid in a header) means absent. */
struct entry {
        uint32_t type, count, offset, len;
};

struct hdr {
        const unsigned char *store;
        uint32_t dl;
        struct entry e[N_SLOTS];
};

static uint32_t be32(const unsigned char *p)
{
        return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8 | p[3];
}

static uint64_t be64(const unsigned char *p)
{
        return (uint64_t) be32(p) << 32 | be32(p + 4);
}

static int bad(struct v2c_error **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int bad(struct v2c_error **err, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        int r = v2c_error_setv(err, EBADMSG, fmt, ap);
        va_end(ap);
        return r;
}

/* Bytes taken by COUNT items of TYPE at OFF, or -1 when they do not fit
 * in the store (or a string misses its NUL inside it). */
static int64_t data_len(const struct hdr *h, uint32_t type, uint32_t off, uint32_t count)
{
        const unsigned char *p = h->store + off;
        size_t avail = h->dl - off;
        if (type == TYPE_STRING && count != 1)
                return -1;
        if (type == TYPE_STRING || type == TYPE_STRING_ARRAY || type == TYPE_I18NSTRING) {
                /* Every string holds at least its NUL: a count past the
                 * bytes left is a lie, refused before scanning. */
                if (count > avail)
                        return -1;
                size_t pos = 0;
                for (uint32_t k = 0; k < count; k++) {
                        const unsigned char *nul = memchr(p + pos, '\0', avail - pos);
                        if (nul == NULL)
                                return -1;
                        pos = (size_t) (nul - p) + 1;
                }
                return (int64_t) pos;
        }
        uint64_t len = (uint64_t) count * type_size[type];
        return len <= avail ? (int64_t) len : -1;
}

/* The region entry (index 0) and its trailer: *lo, *hi (empty when the
 * region has no trailer) is the trailer's span, which no entry may overlap. */
static int check_region(const struct hdr *h, const unsigned char *pe, uint32_t il, uint32_t *lo,
                        uint32_t *hi, struct v2c_error **err)
{
        uint32_t tag = be32(pe), type = be32(pe + 4), off = be32(pe + 8), count = be32(pe + 12);
        *lo = *hi = 0;
        if (type != TYPE_BIN || count != HDR_ENTRY)
                return bad(err, "region tag %" PRIu32 " of type %" PRIu32 ", count %" PRIu32, tag, type,
                           count);
        if (off == 0)
                return 0;   /* a legacy region covering the whole header: no trailer */
        if (off > h->dl || h->dl - off < HDR_ENTRY)
                return bad(err, "region trailer at %" PRIu32 " outside the %" PRIu32 "-byte store", off,
                           h->dl);
        const unsigned char *t = h->store + off;
        uint32_t ttag = be32(t), ttype = be32(t + 4), tcount = be32(t + 12);
        /* The trailer's offset is minus the size of the region's index. */
        uint32_t rindex = 0u - be32(t + 8);
        if (ttag < TAG_HEADERIMAGE || ttag > TAG_HEADERIMMUTABLE || ttype != TYPE_BIN ||
            tcount != HDR_ENTRY || rindex % HDR_ENTRY != 0 || rindex / HDR_ENTRY > il)
                return bad(err, "bad region trailer (tag %" PRIu32 ", %" PRIu32 " entries)", ttag,
                           rindex / HDR_ENTRY);
        *lo = off;
        *hi = off + HDR_ENTRY;
        return 0;
}

static int parse_index(const unsigned char *blob, size_t len, struct hdr *h, struct v2c_error **err)
{
        memset(h, 0, sizeof *h);
        if (len > V2C_RPM_MAX_HEADER)
                return bad(err, "%zu bytes, over the %u MiB cap", len, V2C_RPM_MAX_HEADER >> 20);
        if (len < 8)
                return bad(err, "%zu bytes, shorter than its counts", len);
        uint32_t il = be32(blob), dl = be32(blob + 4);
        if (il == 0 || il > HDR_MAX_ENTRIES)
                return bad(err, "%" PRIu32 " index entries", il);
        if (dl > HDR_MAX_DATA)
                return bad(err, "%" PRIu32 " data bytes", dl);
        uint64_t need = 8 + (uint64_t) il * HDR_ENTRY + dl;
        if (need > len)
                return bad(err, "%zu bytes, truncated (its counts need %" PRIu64 ")", len, need);
        const unsigned char *index = blob + 8;
        h->store = index + (size_t) il * HDR_ENTRY;
        h->dl = dl;

        uint32_t first = 0, trailer_lo = 0, trailer_hi = 0;
        uint32_t tag0 = be32(index);
        if (tag0 >= TAG_HEADERIMAGE && tag0 <= TAG_HEADERIMMUTABLE) {
                int r = check_region(h, index, il, &trailer_lo, &trailer_hi, err);
                if (r < 0)
                        return r;
                first = 1;
        }

        uint64_t end = 0;
        for (uint32_t i = first; i < il; i++) {
                const unsigned char *pe = index + (size_t) i * HDR_ENTRY;
                uint32_t tag = be32(pe), type = be32(pe + 4), off = be32(pe + 8), count = be32(pe + 12);
                if (tag < TAG_I18NTABLE)
                        return bad(err, "entry %" PRIu32 ": tag %" PRIu32, i, tag);
                if (type == TYPE_NULL || type >= V2C_ARRAY_SIZE(type_size))
                        return bad(err, "entry %" PRIu32 " (tag %" PRIu32 "): type %" PRIu32, i, tag, type);
                if (count == 0 || off > dl)
                        return bad(err, "entry %" PRIu32 " (tag %" PRIu32 "): offset %" PRIu32
                                   ", count %" PRIu32 " in a %" PRIu32 "-byte store", i, tag, off, count, dl);
                if (type_size[type] > 1 && off % type_size[type] != 0)
                        return bad(err, "entry %" PRIu32 " (tag %" PRIu32 "): offset %" PRIu32
                                   " misaligned for its type", i, tag, off);
                if (off < end)
                        return bad(err, "entry %" PRIu32 " (tag %" PRIu32 "): overlaps the entry before",
                                   i, tag);
                int64_t n = data_len(h, type, off, count);
                if (n < 0)
                        return bad(err, "entry %" PRIu32 " (tag %" PRIu32 "): %" PRIu32
                                   " items of type %" PRIu32 " do not fit at offset %" PRIu32, i, tag,
                                   count, type, off);
                if (off < trailer_hi && (uint64_t) off + (uint64_t) n > trailer_lo)
                        return bad(err, "entry %" PRIu32 " (tag %" PRIu32 "): overlaps the region trailer",
                                   i, tag);
                end = (uint64_t) off + (uint64_t) n;
                for (size_t s = 0; s < N_SLOTS; s++)
                        if (slot_tag[s] == tag)
                                h->e[s] = (struct entry){ type, count, off, (uint32_t) n };
        }
        return 0;
}

/* The entry of slot s if it has type t, else NULL: a known tag of an
 * unexpected type is read as absent. */
static const struct entry *get(const struct hdr *h, enum slot s, uint32_t t)
{
        return h->e[s].type == t ? &h->e[s] : NULL;
}

static const char *str_at(const struct hdr *h, const struct entry *e)
{
        return (const char *) h->store + e->offset;
}

/* The string after s in an array (parse_index saw every NUL in place). */
static const char *str_next(const char *s)
{
        return s + strlen(s) + 1;
}

static uint32_t u32_at(const struct hdr *h, const struct entry *e, uint32_t i)
{
        return be32(h->store + e->offset + (size_t) i * 4);
}

/* A single string: STRING, or the first (untranslated) one of an
 * I18NSTRING; NULL when absent. */
static const char *get_str(const struct hdr *h, enum slot s)
{
        const struct entry *e = get(h, s, TYPE_STRING);
        if (e == NULL)
                e = get(h, s, TYPE_I18NSTRING);
        return e ? str_at(h, e) : NULL;
}

static int dup_str(const char *s, size_t max, char **out)
{
        size_t n = strnlen(s, max + 1);
        if (n > max)
                return -E2BIG;
        char *d = strndup(s, n);
        if (d == NULL)
                return -ENOMEM;
        free(*out);
        *out = d;
        return 0;
}

static int store_error(struct v2c_error **err, int r, const char *what)
{
        if (r == -E2BIG)
                return v2c_error_set(err, E2BIG, "%s longer than %d bytes", what, V2C_PKG_MAX_FIELD);
        return v2c_error_set(err, -r, "storing %s", what);
}

static int dup_slot(const struct hdr *h, enum slot s, char **out, const char *what,
                    struct v2c_error **err)
{
        const char *v = get_str(h, s);
        int r = v ? dup_str(v, V2C_PKG_MAX_FIELD, out) : 0;
        return r < 0 ? store_error(err, r, what) : 0;
}

/* "nginx-1.20.1-14.el9.src.rpm" -> "nginx": the source package's name,
 * which is what dpkg's Source field holds.  NULL when it does not look
 * like a source rpm's file name. */
static char *source_name(const char *srpm)
{
        size_t n = strnlen(srpm, V2C_PKG_MAX_FIELD + 1);
        if (n > V2C_PKG_MAX_FIELD)
                return NULL;
        static const char *const suffixes[] = { ".src.rpm", ".nosrc.rpm" };
        for (size_t i = 0; i < V2C_ARRAY_SIZE(suffixes); i++) {
                size_t sl = strlen(suffixes[i]);
                if (n <= sl || memcmp(srpm + n - sl, suffixes[i], sl) != 0)
                        continue;
                size_t end = n - sl;
                for (int dash = 0; dash < 2; dash++) {
                        while (end > 0 && srpm[end - 1] != '-')
                                end--;
                        if (end == 0)
                                return NULL;
                        end--;
                }
                return end ? strndup(srpm, end) : NULL;
        }
        return NULL;
}

/* ---- files ---- */

static const struct {
        uint32_t id;
        const char *name;
        size_t hex_len;
} digest_algos[] = {
        { 1, "md5", 32 },     { 2, "sha1", 40 },    { 8, "sha256", 64 },
        { 9, "sha384", 96 },  { 10, "sha512", 128 },
};

/* A copy of a hex digest in lowercase; *out NULL when s is not one of
 * hex_len digits (rpm writes "" for directories, links and %ghost files). */
static int dup_digest(const char *s, size_t hex_len, char **out)
{
        *out = NULL;
        if (strnlen(s, hex_len + 1) != hex_len)
                return 0;
        char *d = malloc(hex_len + 1);
        if (d == NULL)
                return -ENOMEM;
        for (size_t i = 0; i < hex_len; i++) {
                char c = s[i];
                if (c >= 'A' && c <= 'F')
                        c = (char) (c - 'A' + 'a');
                if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
                        free(d);
                        return 0;
                }
                d[i] = c;
        }
        d[hex_len] = '\0';
        *out = d;
        return 0;
}

static int add_conffile(struct v2c_pkg *p, const char *path, const char *digest)
{
        if (p->n_conffiles >= V2C_PKG_MAX_CONFFILES)
                return -E2BIG;
        struct v2c_conffile cf = { .path = strdup(path), .md5 = digest ? strdup(digest) : NULL };
        struct v2c_conffile *n = NULL;
        if (cf.path && (digest == NULL || cf.md5))
                n = realloc(p->conffiles, (p->n_conffiles + 1) * sizeof *n);
        if (n == NULL) {
                free(cf.path);
                free(cf.md5);
                return -ENOMEM;
        }
        p->conffiles = n;
        p->conffiles[p->n_conffiles++] = cf;
        return 0;
}

/* The file list: BASENAMES with DIRNAMES and DIRINDEXES (rpm >= 4's
 * compressed names), else the OLDFILENAMES of old headers; FILEFLAGS and
 * FILEDIGESTS run parallel to it.  A path longer than any path is skipped
 * (with its digest), as the other parsers do. */
static int add_files(struct v2c_pkg *p, const struct hdr *h, size_t *path_bytes, struct v2c_error **err)
{
        const struct entry *base = get(h, S_BASENAMES, TYPE_STRING_ARRAY);
        const struct entry *old = get(h, S_OLDFILENAMES, TYPE_STRING_ARRAY);
        const struct entry *dirs = NULL, *idx = NULL;
        uint32_t n;
        if (base) {
                dirs = get(h, S_DIRNAMES, TYPE_STRING_ARRAY);
                idx = get(h, S_DIRINDEXES, TYPE_INT32);
                if (dirs == NULL || idx == NULL || idx->count != base->count)
                        return bad(err, "file names without their directories");
                n = base->count;
        } else if (old) {
                n = old->count;
        } else {
                return 0;
        }
        if (n > V2C_PKG_MAX_FILES_PER_PKG || (dirs && dirs->count > V2C_PKG_MAX_FILES_PER_PKG))
                return v2c_error_set(err, E2BIG, "more than %d paths in one package",
                                     V2C_PKG_MAX_FILES_PER_PKG);

        const struct entry *flags = NULL, *digests = NULL;
        if (h->e[S_FILEFLAGS].type != TYPE_NULL) {
                flags = get(h, S_FILEFLAGS, TYPE_INT32);
                if (flags == NULL || flags->count != n)
                        return bad(err, "file flags do not match the %" PRIu32 " files", n);
        }
        if (h->e[S_FILEDIGESTS].type != TYPE_NULL) {
                digests = get(h, S_FILEDIGESTS, TYPE_STRING_ARRAY);
                if (digests == NULL || digests->count != n)
                        return bad(err, "file digests do not match the %" PRIu32 " files", n);
        }
        /* No FILEDIGESTALGO is md5, rpm's only algorithm before 4.6.  One
         * we cannot name (ripemd160, ...) keeps no digests at all. */
        size_t hex_len = 0;
        if (digests) {
                const struct entry *algo = get(h, S_FILEDIGESTALGO, TYPE_INT32);
                uint32_t id = algo ? u32_at(h, algo, 0) : 1;
                for (size_t i = 0; i < V2C_ARRAY_SIZE(digest_algos); i++)
                        if (digest_algos[i].id == id) {
                                hex_len = digest_algos[i].hex_len;
                                p->digest_algo = strdup(digest_algos[i].name);
                                p->file_digests = calloc(n, sizeof *p->file_digests);
                                if (p->digest_algo == NULL || p->file_digests == NULL)
                                        return v2c_error_set(err, ENOMEM, "out of memory");
                        }
        }

        _cleanup_free_ const char **dir_v = NULL;
        _cleanup_free_ size_t *dir_len = NULL;
        if (dirs) {
                dir_v = calloc(dirs->count, sizeof *dir_v);
                dir_len = calloc(dirs->count, sizeof *dir_len);
                if (dir_v == NULL || dir_len == NULL)
                        return v2c_error_set(err, ENOMEM, "out of memory");
                const char *d = str_at(h, dirs);
                for (uint32_t i = 0; i < dirs->count; i++, d = str_next(d)) {
                        dir_v[i] = d;
                        dir_len[i] = strnlen(d, V2C_PKG_MAX_PATH + 1);
                }
        }

        char path[V2C_PKG_MAX_PATH + 1];
        const char *name = str_at(h, base ? base : old);
        const char *dg = digests ? str_at(h, digests) : NULL;
        for (uint32_t i = 0; i < n; i++, name = str_next(name), dg = dg ? str_next(dg) : NULL) {
                size_t nl = strnlen(name, V2C_PKG_MAX_PATH + 1), len = 0;
                if (dirs) {
                        uint32_t di = u32_at(h, idx, i);
                        if (di >= dirs->count)
                                return bad(err, "file %" PRIu32 ": directory %" PRIu32 " of %" PRIu32, i,
                                           di, dirs->count);
                        if (dir_len[di] + nl > V2C_PKG_MAX_PATH)
                                continue;
                        memcpy(path, dir_v[di], dir_len[di]);
                        len = dir_len[di];
                }
                if (len + nl > V2C_PKG_MAX_PATH)
                        continue;
                memcpy(path + len, name, nl);
                len += nl;

                int r = v2c_pkg_add_file(p, path, len);
                if (r == -EINVAL || r == -ENAMETOOLONG)
                        continue;
                if (r == -E2BIG)
                        return v2c_error_set(err, E2BIG, "more than %d paths in one package",
                                             V2C_PKG_MAX_FILES_PER_PKG);
                if (r < 0)
                        return v2c_error_set(err, -r, "out of memory");
                const char *added = p->files[p->n_files - 1];
                *path_bytes += strlen(added);

                uint32_t fl = flags ? u32_at(h, flags, i) : 0;
                char *digest = NULL;
                /* A %ghost file is owned (rpm -qf names its package, and
                 * services write logs and pid files there) but not shipped:
                 * what is on disk is not what any digest describes. */
                if (p->file_digests && !(fl & FILE_GHOST)) {
                        if (dup_digest(dg, hex_len, &digest) < 0)
                                return v2c_error_set(err, ENOMEM, "out of memory");
                        p->file_digests[p->n_files - 1] = digest;
                }
                if (fl & FILE_CONFIG) {
                        r = add_conffile(p, added, digest);
                        if (r == -E2BIG)
                                return v2c_error_set(err, E2BIG, "more than %d config files",
                                                     V2C_PKG_MAX_CONFFILES);
                        if (r < 0)
                                return v2c_error_set(err, -r, "out of memory");
                }
        }
        return 0;
}

/* ---- Requires and Provides ---- */

/* " >= 1.2-3" from rpm's sense bits and EVR; NULL when unversioned. */
static int make_constraint(uint32_t sense, const char *evr, char **out)
{
        *out = NULL;
        if (evr == NULL || evr[0] == '\0')
                return 0;
        char op[4];
        size_t k = 0;
        if (sense & SENSE_LESS)
                op[k++] = '<';
        if (sense & SENSE_GREATER)
                op[k++] = '>';
        if (sense & SENSE_EQUAL)
                op[k++] = '=';
        if (k == 0)
                return 0;
        op[k] = '\0';
        size_t n = strnlen(evr, V2C_PKG_MAX_FIELD + 1);
        if (n > V2C_PKG_MAX_FIELD)
                return -E2BIG;
        return asprintf(out, "%s %.*s", op, (int) n, evr) < 0 ? (*out = NULL, -ENOMEM) : 0;
}

/* Appends an alternative; name (n bytes) and constraint are copied. */
static int push_alt(struct v2c_dep *dep, const char *name, size_t n, const char *constraint)
{
        if (dep->n_alts >= V2C_PKG_MAX_ALTS)
                return -E2BIG;
        if (n > V2C_PKG_MAX_FIELD)
                return -E2BIG;
        struct v2c_dep_alt alt = { strndup(name, n), constraint ? strdup(constraint) : NULL };
        struct v2c_dep_alt *v = NULL;
        if (alt.name && (constraint == NULL || alt.constraint))
                v = realloc(dep->alts, (dep->n_alts + 1) * sizeof *v);
        if (v == NULL) {
                free(alt.name);
                free(alt.constraint);
                return -ENOMEM;
        }
        dep->alts = v;
        dep->alts[dep->n_alts++] = alt;
        return 0;
}

static void dep_clear(struct v2c_dep *dep)
{
        for (size_t i = 0; i < dep->n_alts; i++) {
                free(dep->alts[i].name);
                free(dep->alts[i].constraint);
        }
        free(dep->alts);
        dep->alts = NULL;
        dep->n_alts = 0;
}

static bool is_op(const char *w, size_t n)
{
        return (n == 1 && strchr("<>=", w[0])) ||
               (n == 2 && (memcmp(w, "<=", 2) == 0 || memcmp(w, ">=", 2) == 0));
}

/* rpm's boolean ("rich") dependencies, rpm >= 4.13.  Only the flat
 * disjunction "(a or b >= 2 or c)" is kept, as alternatives.  "and",
 * "if", "with", "unless" and nested expressions would need the closure to
 * evaluate conditions against the set it is still building; they are kept
 * out (return 1), so such a requirement neither pulls a package in nor is
 * reported missing.  Names may hold parentheses of their own
 * ("libfoo.so.1()(64bit)"): only a word starting with '(' opens a nested
 * expression. */
static int parse_rich(const char *s, struct v2c_dep *dep)
{
        size_t n = strnlen(s, V2C_PKG_MAX_FIELD + 1);
        if (n > V2C_PKG_MAX_FIELD || n < 3 || s[0] != '(' || s[n - 1] != ')')
                return 1;
        const char *p = s + 1, *end = s + n - 1;
        enum { WANT_NAME, AFTER_NAME, WANT_VERSION, AFTER_VERSION } state = WANT_NAME;
        const char *name = NULL, *op = NULL;
        size_t name_len = 0, op_len = 0;
        int r = 0;
        for (;;) {
                while (p < end && *p == ' ')
                        p++;
                const char *w = p;
                while (p < end && *p != ' ')
                        p++;
                size_t wl = (size_t) (p - w);
                bool is_or = wl == 2 && memcmp(w, "or", 2) == 0;
                if (wl == 0 || is_or) {
                        if (state == AFTER_NAME || state == AFTER_VERSION) {
                                _cleanup_free_ char *cons = NULL;
                                if (state == AFTER_VERSION &&
                                    asprintf(&cons, "%.*s", (int) op_len, op) < 0) {
                                        cons = NULL;
                                        r = -ENOMEM;
                                        break;
                                }
                                r = push_alt(dep, name, name_len, cons);
                                if (r < 0)
                                        break;
                                state = WANT_NAME;
                        } else {
                                r = 1;   /* "(or b)", "(a or)", "(a >=)" */
                                break;
                        }
                        if (wl == 0)
                                break;
                        continue;
                }
                switch (state) {
                case WANT_NAME:
                        if (w[0] == '(')
                                r = 1;
                        name = w;
                        name_len = wl;
                        state = AFTER_NAME;
                        break;
                case AFTER_NAME:
                        if (!is_op(w, wl))
                                r = 1;   /* and, if, with, unless, ... */
                        op = w;
                        state = WANT_VERSION;
                        break;
                case WANT_VERSION:
                        op_len = (size_t) (p - op);   /* "op version" as written */
                        state = AFTER_VERSION;
                        break;
                case AFTER_VERSION:
                        r = 1;
                        break;
                }
                if (r != 0)
                        break;
        }
        if (r == 0 && dep->n_alts == 0)
                r = 1;
        if (r != 0)
                dep_clear(dep);
        return r == -E2BIG ? 1 : r;
}

/* NAME, FLAGS and VERSION arrays of Requires or Provides: the flags and
 * versions may be absent, but when present they run parallel to the names. */
struct dep_arrays {
        const struct entry *names, *flags, *versions;
};

static int dep_arrays(const struct hdr *h, enum slot names, enum slot flags, enum slot versions,
                      struct dep_arrays *a, const char *what, struct v2c_error **err)
{
        a->names = get(h, names, TYPE_STRING_ARRAY);
        a->flags = a->versions = NULL;
        if (a->names == NULL)
                return 0;
        uint32_t n = a->names->count;
        if (h->e[flags].type != TYPE_NULL) {
                a->flags = get(h, flags, TYPE_INT32);
                if (a->flags == NULL || a->flags->count != n)
                        return bad(err, "%s flags do not match the %" PRIu32 " names", what, n);
        }
        if (h->e[versions].type != TYPE_NULL) {
                a->versions = get(h, versions, TYPE_STRING_ARRAY);
                if (a->versions == NULL || a->versions->count != n)
                        return bad(err, "%s versions do not match the %" PRIu32 " names", what, n);
        }
        return 0;
}

static int add_requires(struct v2c_pkg *p, const struct hdr *h, struct v2c_error **err)
{
        struct dep_arrays a;
        int r = dep_arrays(h, S_REQUIRENAME, S_REQUIREFLAGS, S_REQUIREVERSION, &a, "requirement", err);
        if (r < 0 || a.names == NULL)
                return r;
        const char *name = str_at(h, a.names);
        const char *ver = a.versions ? str_at(h, a.versions) : NULL;
        size_t cap = p->n_depends;   /* what an earlier entry left is full */
        for (uint32_t i = 0; i < a.names->count;
             i++, name = str_next(name), ver = ver ? str_next(ver) : NULL) {
                uint32_t sense = a.flags ? u32_at(h, a.flags, i) : 0;
                /* rpmlib(...) names features of the rpm program that
                 * installed the package (compressed file names, rich
                 * dependencies...): no package provides them, and an image
                 * runs without rpm.  config(name) is a package's own
                 * requirement on its own config files' version: it is
                 * always satisfied by the package itself. */
                if (name[0] == '\0' || (sense & SENSE_RPMLIB) || strncmp(name, "rpmlib(", 7) == 0 ||
                    strncmp(name, "config(", 7) == 0)
                        continue;
                /* Requirements of scriptlets (Requires(post): /bin/sh, ...)
                 * are kept like the others: rpm keeps them installed too. */
                struct v2c_dep dep = { 0 };
                if (name[0] == '(') {
                        r = parse_rich(name, &dep);
                        if (r == 1)
                                continue;
                } else {
                        _cleanup_free_ char *cons = NULL;
                        r = make_constraint(sense, ver, &cons);
                        if (r == 0)
                                r = push_alt(&dep, name, strnlen(name, V2C_PKG_MAX_FIELD + 1), cons);
                }
                if (r == 0 && p->n_depends >= V2C_RPM_MAX_RELATIONS)
                        r = -E2BIG;
                /* Grown by doubling: a package may hold thousands. */
                if (r == 0 && p->n_depends == cap) {
                        size_t ncap = cap ? cap * 2 : 16;
                        struct v2c_dep *v = realloc(p->depends, ncap * sizeof *v);
                        if (v == NULL)
                                r = -ENOMEM;
                        else {
                                p->depends = v;
                                cap = ncap;
                        }
                }
                if (r < 0) {
                        dep_clear(&dep);
                        if (r == -E2BIG)
                                return v2c_error_set(err, E2BIG, "more than %u requirements or a name "
                                                     "longer than %d bytes", V2C_RPM_MAX_RELATIONS,
                                                     V2C_PKG_MAX_FIELD);
                        return v2c_error_set(err, -r, "out of memory");
                }
                p->depends[p->n_depends++] = dep;
        }
        return 0;
}

static int add_provides(struct v2c_pkg *p, const struct hdr *h, struct v2c_error **err)
{
        struct dep_arrays a;
        int r = dep_arrays(h, S_PROVIDENAME, S_PROVIDEFLAGS, S_PROVIDEVERSION, &a, "provide", err);
        if (r < 0 || a.names == NULL)
                return r;
        if (a.names->count > V2C_RPM_MAX_RELATIONS)
                return v2c_error_set(err, E2BIG, "more than %u provides", V2C_RPM_MAX_RELATIONS);
        p->provides = calloc(a.names->count, sizeof *p->provides);
        if (p->provides == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        const char *name = str_at(h, a.names);
        const char *ver = a.versions ? str_at(h, a.versions) : NULL;
        for (uint32_t i = 0; i < a.names->count;
             i++, name = str_next(name), ver = ver ? str_next(ver) : NULL) {
                uint32_t sense = a.flags ? u32_at(h, a.flags, i) : SENSE_EQUAL;
                if (name[0] == '\0')
                        continue;
                struct v2c_provide *pr = &p->provides[p->n_provides];
                r = dup_str(name, V2C_PKG_MAX_FIELD, &pr->name);
                /* "name = EVR" is the only relation a Provides has. */
                if (r == 0 && ver && ver[0] && (sense & SENSE_EQUAL))
                        r = dup_str(ver, V2C_PKG_MAX_FIELD, &pr->version);
                if (pr->name)
                        p->n_provides++;
                if (r < 0)
                        return store_error(err, r, "a provide");
        }
        return 0;
}

/* ---- the package ---- */

static int fill_pkg(struct v2c_pkg *p, const struct hdr *h, size_t *path_bytes, struct v2c_error **err)
{
        p->installed = true;
        p->state = V2C_PKG_STATE_INSTALLED;
        int r = dup_slot(h, S_NAME, &p->name, "the name", err);
        if (r < 0)
                return r;
        if (p->name == NULL || p->name[0] == '\0')
                return bad(err, "no package name");
        if ((r = dup_slot(h, S_VERSION, &p->version, "the version", err)) < 0 ||
            (r = dup_slot(h, S_RELEASE, &p->release, "the release", err)) < 0 ||
            (r = dup_slot(h, S_ARCH, &p->arch, "the arch", err)) < 0 ||
            (r = dup_slot(h, S_VENDOR, &p->vendor, "the vendor", err)) < 0)
                return r;

        const struct entry *epoch = get(h, S_EPOCH, TYPE_INT32);
        if (epoch && asprintf(&p->epoch, "%" PRIu32, u32_at(h, epoch, 0)) < 0) {
                p->epoch = NULL;
                return v2c_error_set(err, ENOMEM, "out of memory");
        }

        const char *summary = get_str(h, S_SUMMARY);
        if (summary) {
                size_t n = strcspn(summary, "\n");
                if (n > V2C_PKG_MAX_FIELD)
                        n = V2C_PKG_MAX_FIELD;
                p->description = strndup(summary, n);
                if (p->description == NULL)
                        return v2c_error_set(err, ENOMEM, "out of memory");
        }

        const char *srpm = get_str(h, S_SOURCERPM);
        if (srpm)
                p->source = source_name(srpm);

        const struct entry *longsize = get(h, S_LONGSIZE, TYPE_INT64);
        const struct entry *size = get(h, S_SIZE, TYPE_INT32);
        uint64_t bytes = longsize ? be64(h->store + longsize->offset) : size ? u32_at(h, size, 0) : 0;
        p->installed_size_kib = bytes / 1024 + (bytes % 1024 != 0);

        if ((r = add_files(p, h, path_bytes, err)) < 0 || (r = add_requires(p, h, err)) < 0 ||
            (r = add_provides(p, h, err)) < 0)
                return r;
        return 0;
}

/* The name for messages: only when it is plain printable ASCII, so a
 * hostile name cannot break the one-line error. */
static bool printable(const char *s)
{
        if (s == NULL || s[0] == '\0' || strlen(s) > 128)
                return false;
        for (; *s; s++)
                if (*s < 0x20 || *s > 0x7e)
                        return false;
        return true;
}

int v2c_rpm_parse_header(struct v2c_pkgdb *db, const unsigned char *blob, size_t len,
                         struct v2c_error **err)
{
        struct hdr h;
        int r = parse_index(blob, len, &h, err);
        if (r < 0)
                return v2c_error_prefix(err, r, "rpm header");
        struct v2c_pkg *p = v2c_pkg_new();
        if (p == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        size_t path_bytes = 0;
        r = fill_pkg(p, &h, &path_bytes, err);
        /* Accounted once the package is whole, so that a header refused
         * half-way does not use up the database's budget. */
        if (r == 0)
                r = v2c_pkgdb_account_files(db, p->n_files, path_bytes, err);
        if (r < 0) {
                if (printable(p->name))
                        v2c_error_prefix(err, r, "rpm header of `%s`", p->name);
                else
                        v2c_error_prefix(err, r, "rpm header");
                v2c_pkg_free(p);
                return r;
        }
        return v2c_pkgdb_add(db, p, err);
}
