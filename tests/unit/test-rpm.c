/* Unit tests for rpm headers (common/rpmhdr.c) and the rpm semantics of
 * the package database (common/pkgdb.c).
 *
 * The real headers are the blobs rpm 4.18 wrote into an rpmdb.sqlite for
 * four tiny packages built with rpmbuild: tests/tools/mk-rpm-headers.sh
 * made them (and says what the packages hold); they are also the seed
 * corpus of fuzz-rpm-header.  The expected digests are the ones
 * `rpm -q --qf '[%{FILEDIGESTS}\n]'` prints for those packages.  Hostile
 * and old-style headers are built here, byte by byte. */
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
#include "strv.h"

#define CORPUS "tests/fuzz/corpus/rpm-header/"

static unsigned char *slurp(const char *path, size_t *len)
{
        FILE *f = fopen(path, "rb");
        assert_non_null(f);
        unsigned char *buf = malloc(1 << 16);
        assert_non_null(buf);
        *len = fread(buf, 1, 1 << 16, f);
        assert_true(*len > 0 && *len < (1 << 16));
        fclose(f);
        return buf;
}

static struct v2c_pkgdb *load_real(void)
{
        static const char *const names[] = { "v2c-hello", "libv2c", "v2c-sh", "v2c-b" };
        struct v2c_pkgdb *db = v2c_pkgdb_new(V2C_PKG_FORMAT_RPM);
        struct v2c_error *err = NULL;
        assert_non_null(db);
        for (size_t i = 0; i < V2C_ARRAY_SIZE(names); i++) {
                char path[256];
                snprintf(path, sizeof path, CORPUS "%s.hdr", names[i]);
                size_t len;
                _cleanup_free_ unsigned char *blob = slurp(path, &len);
                assert_int_equal(v2c_rpm_parse_header(db, blob, len, &err), 0);
                assert_null(err);
        }
        assert_int_equal(v2c_pkgdb_finish(db, &err), 0);
        return db;
}

static const struct v2c_dep *find_dep(const struct v2c_pkg *p, const char *first_alt)
{
        for (size_t i = 0; i < p->n_depends; i++)
                if (strcmp(p->depends[i].alts[0].name, first_alt) == 0)
                        return &p->depends[i];
        return NULL;
}

static const struct v2c_provide *find_provide(const struct v2c_pkg *p, const char *name)
{
        for (size_t i = 0; i < p->n_provides; i++)
                if (strcmp(p->provides[i].name, name) == 0)
                        return &p->provides[i];
        return NULL;
}

static void test_rpm_real_fields(void **state)
{
        (void) state;
        struct v2c_pkgdb *db = load_real();
        assert_int_equal(v2c_pkgdb_count(db), 4);

        const struct v2c_pkg *p = v2c_pkgdb_find(db, "v2c-hello");
        assert_non_null(p);
        assert_string_equal(p->epoch, "2");
        assert_string_equal(p->version, "1.4");
        assert_string_equal(p->release, "3.el9");
        assert_string_equal(p->arch, "x86_64");
        assert_string_equal(p->vendor, "v2c tests");
        assert_string_equal(p->description, "Says hello");
        assert_string_equal(p->source, "v2c-hello");   /* v2c-hello-1.4-3.el9.src.rpm */
        assert_true(p->installed);
        assert_int_equal(p->state, V2C_PKG_STATE_INSTALLED);

        static const char *const files[] = { "/etc/v2c-hello.conf", "/usr/bin/v2c-hello",
                                             "/usr/share/v2c-hello", "/var/log/v2c-hello.log" };
        assert_int_equal(p->n_files, 4);
        for (size_t i = 0; i < 4; i++)
                assert_string_equal(p->files[i], files[i]);
        assert_string_equal(p->digest_algo, "sha256");
        assert_non_null(p->file_digests);
        assert_string_equal(p->file_digests[0],
                            "2f4961d7f790ce6ecfccbb70e71d72c98834ae92312c7362b3e20e4de98d5c66");
        assert_string_equal(p->file_digests[1],
                            "bfdeaeb08cffb6a36438bcd12dda25417e3cdd36f1e7e482a2849d539225288b");
        assert_null(p->file_digests[2]);   /* %dir */
        assert_null(p->file_digests[3]);   /* %ghost */
        assert_int_equal(p->n_conffiles, 1);
        assert_string_equal(p->conffiles[0].path, "/etc/v2c-hello.conf");
        assert_string_equal(p->conffiles[0].md5, p->file_digests[0]);
        assert_string_equal(v2c_pkgdb_owner(db, "/var/log/v2c-hello.log")->name, "v2c-hello");

        /* Requires: the rpmlib() ones and the conditional rich one left out. */
        assert_int_equal(p->n_depends, 5);
        const struct v2c_dep *d = find_dep(p, "libv2c.so.1()(64bit)");
        assert_non_null(d);
        assert_int_equal(d->n_alts, 1);
        assert_null(d->alts[0].constraint);
        assert_non_null(find_dep(p, "/bin/sh"));
        assert_non_null(find_dep(p, "/usr/libexec/v2c-helper"));
        d = find_dep(p, "v2c-base");
        assert_string_equal(d->alts[0].constraint, ">= 1.0-2");
        d = find_dep(p, "v2c-a");
        assert_int_equal(d->n_alts, 2);
        assert_string_equal(d->alts[1].name, "v2c-b");
        for (size_t i = 0; i < p->n_depends; i++)
                for (size_t j = 0; j < p->depends[i].n_alts; j++) {
                        assert_null(strstr(p->depends[i].alts[j].name, "rpmlib("));
                        assert_null(strstr(p->depends[i].alts[j].name, "v2c-x"));
                }

        assert_int_equal(p->n_provides, 3);
        assert_string_equal(find_provide(p, "v2c-greeter")->version, "1.4");
        assert_string_equal(find_provide(p, "v2c-hello")->version, "2:1.4-3.el9");
        assert_non_null(find_provide(p, "v2c-hello(x86-64)"));

        p = v2c_pkgdb_find(db, "libv2c");
        assert_null(p->epoch);
        assert_string_equal(p->release, "1");
        assert_null(p->vendor);
        assert_int_equal(p->n_files, 1);
        /* no FILEDIGESTALGO: md5 */
        assert_string_equal(p->digest_algo, "md5");
        assert_string_equal(p->file_digests[0], "e7dea2afb8ada209275b258e669277ec");
        assert_int_equal(p->n_conffiles, 0);
        assert_non_null(find_provide(p, "libv2c.so.1()(64bit)"));

        p = v2c_pkgdb_find(db, "v2c-b");
        assert_string_equal(p->arch, "noarch");
        assert_int_equal(p->n_files, 0);
        assert_null(p->file_digests);
        assert_int_equal(p->n_depends, 0);
        v2c_pkgdb_free(db);
}

static int closure(const struct v2c_pkgdb *db, char *root, const struct v2c_pkg ***pkgs,
                   char ***missing)
{
        char *roots[] = { root, NULL };
        struct v2c_error *err = NULL;
        int n = v2c_pkgdb_closure(db, roots, pkgs, missing, &err);
        assert_null(err);
        return n;
}

static void test_rpm_real_closure(void **state)
{
        (void) state;
        struct v2c_pkgdb *db = load_real();
        const struct v2c_pkg **pkgs = NULL;
        char **missing = NULL;

        /* libv2c by its soname, v2c-sh by two files (one through the
         * merged-/usr alias), v2c-b as the second alternative. */
        int n = closure(db, "v2c-hello", &pkgs, &missing);
        static const char *const want[] = { "libv2c", "v2c-b", "v2c-hello", "v2c-sh" };
        assert_int_equal(n, 4);
        for (int i = 0; i < n; i++)
                assert_string_equal(pkgs[i]->name, want[i]);
        assert_int_equal(v2c_strv_len(missing), 1);
        assert_string_equal(missing[0], "v2c-base (>= 1.0-2)");
        free(pkgs);
        v2c_strv_free(missing);

        /* One requirement at a time. */
        n = closure(db, "/bin/sh", &pkgs, &missing);   /* owned as /usr/bin/sh */
        assert_int_equal(n, 1);
        assert_string_equal(pkgs[0]->name, "v2c-sh");
        assert_null(missing);
        free(pkgs);
        n = closure(db, "/usr/libexec/v2c-helper", &pkgs, NULL);
        assert_int_equal(n, 1);
        assert_string_equal(pkgs[0]->name, "v2c-sh");
        free(pkgs);
        n = closure(db, "libv2c.so.1()(64bit)", &pkgs, NULL);
        assert_int_equal(n, 1);
        assert_string_equal(pkgs[0]->name, "libv2c");
        free(pkgs);
        n = closure(db, "v2c-greeter", &pkgs, NULL);   /* a virtual name of v2c-hello */
        assert_int_equal(n, 4);
        assert_string_equal(pkgs[2]->name, "v2c-hello");
        free(pkgs);
        /* a file nobody owns or provides */
        n = closure(db, "/usr/libexec/nothing", &pkgs, &missing);
        assert_int_equal(n, 0);
        assert_string_equal(missing[0], "/usr/libexec/nothing");
        free(pkgs);
        v2c_strv_free(missing);
        v2c_pkgdb_free(db);
}

/* ---- headers built by hand ---- */

enum { T_INT32 = 4, T_INT64 = 5, T_STRING = 6, T_BIN = 7, T_ARRAY = 8, T_I18N = 9 };

struct hb {
        unsigned char index[64 * 16];
        unsigned char data[8192];
        uint32_t il, dl;
};

static void put32(unsigned char *p, uint32_t v)
{
        p[0] = (unsigned char) (v >> 24);
        p[1] = (unsigned char) (v >> 16);
        p[2] = (unsigned char) (v >> 8);
        p[3] = (unsigned char) v;
}

/* An index entry as given, pointing wherever it says. */
static void hb_entry(struct hb *h, uint32_t tag, uint32_t type, uint32_t off, uint32_t count)
{
        assert_true(h->il < 64);
        unsigned char *e = h->index + 16 * h->il++;
        put32(e, tag);
        put32(e + 4, type);
        put32(e + 8, off);
        put32(e + 12, count);
}

static void hb_add(struct hb *h, uint32_t tag, uint32_t type, uint32_t count, const void *data, size_t len)
{
        uint32_t align = type == T_INT32 ? 4 : type == T_INT64 ? 8 : 1;
        while (h->dl % align)
                h->data[h->dl++] = 0;
        assert_true(h->dl + len <= sizeof h->data);
        hb_entry(h, tag, type, h->dl, count);
        memcpy(h->data + h->dl, data, len);
        h->dl += (uint32_t) len;
}

static void hb_str(struct hb *h, uint32_t tag, const char *s)
{
        hb_add(h, tag, T_STRING, 1, s, strlen(s) + 1);
}

/* n strings, NUL-separated in s (which ends with a NUL of its own). */
static void hb_strs(struct hb *h, uint32_t tag, uint32_t type, uint32_t n, const char *s, size_t size)
{
        hb_add(h, tag, type, n, s, size);
}

static void hb_u32s(struct hb *h, uint32_t tag, const uint32_t *v, uint32_t n)
{
        unsigned char b[64 * 4];
        assert_true(n <= 64);
        for (uint32_t i = 0; i < n; i++)
                put32(b + 4 * i, v[i]);
        hb_add(h, tag, T_INT32, n, b, 4 * n);
}

/* The blob rpm would store: with REGION, an immutable region entry first
 * and its trailer at the end of the data. */
static unsigned char *hb_blob(const struct hb *h, bool region, size_t *len)
{
        uint32_t il = h->il + (region ? 1 : 0), dl = h->dl + (region ? 16 : 0);
        *len = 8 + 16 * (size_t) il + dl;
        unsigned char *b = calloc(1, *len);
        assert_non_null(b);
        put32(b, il);
        put32(b + 4, dl);
        unsigned char *index = b + 8, *data = index + 16 * il;
        if (region) {
                put32(index, 63);
                put32(index + 4, T_BIN);
                put32(index + 8, h->dl);
                put32(index + 12, 16);
                index += 16;
                unsigned char *t = data + h->dl;
                put32(t, 63);
                put32(t + 4, T_BIN);
                put32(t + 8, (uint32_t) -(int32_t) (16 * il));
                put32(t + 12, 16);
        }
        memcpy(index, h->index, 16 * (size_t) h->il);
        memcpy(data, h->data, h->dl);
        return b;
}

static struct v2c_pkgdb *parse_one(const struct hb *h, bool region, int want)
{
        size_t len;
        _cleanup_free_ unsigned char *b = hb_blob(h, region, &len);
        struct v2c_pkgdb *db = v2c_pkgdb_new(V2C_PKG_FORMAT_RPM);
        struct v2c_error *err = NULL;
        assert_int_equal(v2c_rpm_parse_header(db, b, len, &err), want);
        if (want < 0) {
                assert_non_null(err);
                assert_null(strchr(err->msg, '\n'));
                assert_int_equal(v2c_pkgdb_count(db), 0);
        }
        v2c_error_free(err);
        assert_int_equal(v2c_pkgdb_finish(db, &err), 0);
        return db;
}

#define ARRAY(s) (s), sizeof(s)   /* a literal of NUL-separated strings and its size */

static void test_rpm_old_header(void **state)
{
        (void) state;
        /* No region, OLDFILENAMES (rpm < 4), digests without an algorithm,
         * an I18N summary of two lines, a dribble entry replacing the
         * name, and the requirements the closure should never see. */
        struct hb h = { 0 };
        hb_str(&h, 1000, "old-name");
        hb_str(&h, 1001, "0.9");
        hb_str(&h, 1002, "7");
        uint32_t epoch = 0;
        hb_u32s(&h, 1003, &epoch, 1);
        hb_strs(&h, 1004, T_I18N, 1, ARRAY("First line\nsecond line"));
        hb_strs(&h, 1027, T_ARRAY, 3, ARRAY("/etc/old.conf\0/usr/bin/old\0/usr//lib/../bin/x"));
        hb_strs(&h, 1035, T_ARRAY, 3, ARRAY("0123456789ABCDEF0123456789abcdef\0xyz\0"));
        uint32_t fflags[] = { 1, 0, 0 };
        hb_u32s(&h, 1037, fflags, 3);
        hb_str(&h, 1044, "old-name-0.9-7.nosrc.rpm");
        hb_strs(&h, 1047, T_ARRAY, 2, ARRAY("old-name\0old-virtual"));
        uint32_t rflags[] = { 0, (1u << 24) | 8 | 2, 8, 2 | 8, 0, 0, 0, 0, 0 };
        hb_u32s(&h, 1048, rflags, 9);
        hb_strs(&h, 1049, T_ARRAY, 9,
                ARRAY("a\0rpmlib(PayloadIsXz)\0config(old-name)\0b\0(c or d >= 2 or e)\0"
                      "(f and g)\0((h or i) or j)\0(libk.so.1()(64bit) or l)\0(m or)"));
        hb_strs(&h, 1050, T_ARRAY, 9, ARRAY("\0" "5.2-1\0" "0:0.9-7\0" "1.0\0\0\0\0\0"));
        unsigned char longsize[8] = { 0, 0, 0, 1, 0, 0, 0, 1 };   /* 4 GiB + 1 byte */
        hb_add(&h, 5009, T_INT64, 1, longsize, 8);
        hb_str(&h, 5010, "a dribble: any tag rpm adds");
        hb_str(&h, 1000, "new-name");   /* a later entry of a tag replaces it */

        struct v2c_pkgdb *db = parse_one(&h, false, 0);
        const struct v2c_pkg *p = v2c_pkgdb_get(db, 0);
        assert_string_equal(p->name, "new-name");
        assert_string_equal(p->epoch, "0");
        assert_null(p->arch);
        assert_string_equal(p->description, "First line");
        assert_string_equal(p->source, "old-name");
        assert_int_equal(p->installed_size_kib, 4194304 + 1);
        assert_int_equal(p->n_files, 3);
        assert_string_equal(p->files[2], "/usr/bin/x");
        assert_string_equal(p->digest_algo, "md5");
        assert_string_equal(p->file_digests[0], "0123456789abcdef0123456789abcdef");
        assert_null(p->file_digests[1]);   /* not a digest */
        assert_null(p->file_digests[2]);
        assert_int_equal(p->n_conffiles, 1);
        assert_string_equal(p->conffiles[0].path, "/etc/old.conf");

        /* a; b <= 1.0; (c | d >= 2 | e); (libk... | l) */
        assert_int_equal(p->n_depends, 4);
        assert_string_equal(p->depends[0].alts[0].name, "a");
        assert_null(p->depends[0].alts[0].constraint);
        assert_string_equal(p->depends[1].alts[0].name, "b");
        assert_string_equal(p->depends[1].alts[0].constraint, "<= 1.0");
        assert_int_equal(p->depends[2].n_alts, 3);
        assert_string_equal(p->depends[2].alts[1].name, "d");
        assert_string_equal(p->depends[2].alts[1].constraint, ">= 2");
        assert_null(p->depends[2].alts[2].constraint);
        assert_int_equal(p->depends[3].n_alts, 2);
        assert_string_equal(p->depends[3].alts[0].name, "libk.so.1()(64bit)");
        assert_int_equal(p->n_provides, 2);
        assert_null(p->provides[1].version);   /* no flags: unversioned */
        v2c_pkgdb_free(db);
}

static void add_pkg(struct v2c_pkgdb *db, const char *name, const char *arch, const char *provides,
                    const char *requires)
{
        struct hb h = { 0 };
        hb_str(&h, 1000, name);
        hb_str(&h, 1022, arch);
        if (provides)
                hb_strs(&h, 1047, T_ARRAY, 1, provides, strlen(provides) + 1);
        if (requires)
                hb_strs(&h, 1049, T_ARRAY, 1, requires, strlen(requires) + 1);
        size_t len;
        _cleanup_free_ unsigned char *b = hb_blob(&h, true, &len);
        struct v2c_error *err = NULL;
        assert_int_equal(v2c_rpm_parse_header(db, b, len, &err), 0);
}

static void test_rpm_closure_arch(void **state)
{
        (void) state;
        /* Of several providers, the requester's arch, else noarch, else the
         * first: an i686 library must not stand in for an x86_64 one. */
        struct v2c_pkgdb *db = v2c_pkgdb_new(V2C_PKG_FORMAT_RPM);
        struct v2c_error *err = NULL;
        add_pkg(db, "app", "x86_64", NULL, "libz.so.1()(64bit)");
        add_pkg(db, "zlib", "i686", "libz.so.1()(64bit)", NULL);
        add_pkg(db, "zlib", "x86_64", "libz.so.1()(64bit)", NULL);
        add_pkg(db, "tool", "x86_64", NULL, "virtual-thing");
        add_pkg(db, "thing-i686", "i686", "virtual-thing", NULL);
        add_pkg(db, "thing-noarch", "noarch", "virtual-thing", NULL);
        assert_int_equal(v2c_pkgdb_finish(db, &err), 0);
        /* no name:arch form: "zlib:i686" is a name nobody has */
        assert_null(v2c_pkgdb_find(db, "zlib:i686"));
        assert_non_null(v2c_pkgdb_find(db, "zlib"));

        const struct v2c_pkg **pkgs = NULL;
        assert_int_equal(closure(db, "app", &pkgs, NULL), 2);
        assert_string_equal(pkgs[1]->name, "zlib");
        assert_string_equal(pkgs[1]->arch, "x86_64");
        free(pkgs);
        assert_int_equal(closure(db, "tool", &pkgs, NULL), 2);
        assert_string_equal(pkgs[0]->name, "thing-noarch");
        free(pkgs);
        v2c_pkgdb_free(db);
}

/* A small valid header the hostile cases start from. */
static void base(struct hb *h)
{
        memset(h, 0, sizeof *h);
        hb_str(h, 1000, "victim");
        hb_str(h, 1001, "1");
}

static void assert_bad_blob(const unsigned char *b, size_t len, const char *in_msg)
{
        struct v2c_pkgdb *db = v2c_pkgdb_new(V2C_PKG_FORMAT_RPM);
        struct v2c_error *err = NULL;
        assert_int_equal(v2c_rpm_parse_header(db, b, len, &err), -EBADMSG);
        assert_non_null(err);
        assert_null(strchr(err->msg, '\n'));
        if (in_msg && strstr(err->msg, in_msg) == NULL)
                fail_msg("`%s` does not say `%s`", err->msg, in_msg);
        assert_int_equal(v2c_pkgdb_count(db), 0);
        v2c_error_free(err);
        v2c_pkgdb_free(db);
}

static void assert_bad(const struct hb *h, bool region, const char *in_msg)
{
        size_t len;
        _cleanup_free_ unsigned char *b = hb_blob(h, region, &len);
        /* Exactly LEN bytes on the heap: ASan sees any read past them. */
        assert_bad_blob(b, len, in_msg);
}

static void test_rpm_hostile_index(void **state)
{
        (void) state;
        struct hb h;
        base(&h);
        struct v2c_pkgdb *db = parse_one(&h, true, 0);
        v2c_pkgdb_free(db);

        /* counts */
        unsigned char intro[8 + 16] = { 0 };
        assert_bad_blob(intro, 0, "shorter");
        assert_bad_blob(intro, 7, "shorter");
        assert_bad_blob(intro, 8, "0 index entries");
        put32(intro, 0x10000);
        assert_bad_blob(intro, sizeof intro, "65536 index entries");
        put32(intro, 0xffffffff);
        assert_bad_blob(intro, sizeof intro, "index entries");
        put32(intro, 1);
        put32(intro + 4, 0x10000000);
        assert_bad_blob(intro, sizeof intro, "data bytes");
        put32(intro + 4, 0x0fffffff);
        assert_bad_blob(intro, sizeof intro, "truncated");
        assert_bad_blob(intro, (size_t) V2C_RPM_MAX_HEADER + 1, "cap");   /* refused unread */

        /* every truncation of a real header */
        size_t len;
        _cleanup_free_ unsigned char *real = slurp(CORPUS "v2c-hello.hdr", &len);
        for (size_t cut = 0; cut < len; cut++) {
                _cleanup_free_ unsigned char *b = malloc(cut ? cut : 1);
                memcpy(b, real, cut);
                assert_bad_blob(b, cut, NULL);
        }

        /* an offset past the store, at its very end, and a misaligned int */
        base(&h);
        while (h.dl % 4)
                h.data[h.dl++] = 0;
        hb_entry(&h, 1009, T_INT32, h.dl + 4, 1);
        assert_bad(&h, false, "offset 16, count 1 in a 12-byte store");
        h.il--;
        hb_entry(&h, 1009, T_INT32, 0xfffffffc, 1);
        assert_bad(&h, false, "offset 4294967292, count 1 in a 12-byte store");
        h.il--;
        hb_entry(&h, 1009, T_INT32, h.dl, 1);   /* zero bytes left */
        assert_bad(&h, false, "do not fit");
        base(&h);
        h.dl += 8;
        hb_entry(&h, 1009, T_INT32, h.dl - 7, 1);
        assert_bad(&h, false, "misaligned");

        /* counts that overflow a 32-bit multiplication or the store */
        base(&h);
        h.dl = 16;
        memset(h.data, 0, 16);
        h.il = 0;
        hb_entry(&h, 1009, T_INT32, 0, 0x40000001);   /* * 4 wraps to 4 */
        assert_bad(&h, false, "do not fit");
        h.il = 0;
        hb_entry(&h, 1049, T_ARRAY, 0, 0xffffffff);
        assert_bad(&h, false, "do not fit");
        h.il = 0;
        hb_entry(&h, 1000, T_STRING, 0, 0);
        assert_bad(&h, false, "count 0");
        h.il = 0;
        hb_entry(&h, 1000, T_STRING, 0, 2);   /* a STRING is one string */
        assert_bad(&h, false, "do not fit");

        /* a string without its NUL inside the store */
        base(&h);
        hb_add(&h, 1022, T_STRING, 1, "x86_64", 6);
        assert_bad(&h, false, "do not fit");
        assert_bad(&h, true, "overlaps the region trailer");   /* the trailer's bytes follow */
        base(&h);
        hb_add(&h, 1118, T_ARRAY, 3, "a\0b\0c", 5);
        assert_bad(&h, false, "do not fit");

        /* types, tags, overlaps */
        base(&h);
        hb_entry(&h, 1011, 10, 0, 1);
        assert_bad(&h, false, "type 10");
        base(&h);
        hb_entry(&h, 1011, 0, 0, 1);
        assert_bad(&h, false, "type 0");
        base(&h);
        hb_entry(&h, 63, T_BIN, 0, 16);   /* a region tag not first */
        assert_bad(&h, false, "tag 63");
        base(&h);
        hb_entry(&h, 1011, T_STRING, 0, 1);   /* the name's bytes again */
        assert_bad(&h, false, "overlaps");

        /* the region entry and its trailer */
        base(&h);
        size_t blen;
        unsigned char *b = hb_blob(&h, true, &blen);
        unsigned char *region = b + 8, *trailer = b + blen - 16;
        put32(region + 4, T_STRING);
        assert_bad_blob(b, blen, "region tag");
        put32(region + 4, T_BIN);
        put32(region + 8, h.dl + 1);   /* 15 bytes left for 16 */
        assert_bad_blob(b, blen, "region trailer");
        put32(region + 8, 0xfffffff0);
        assert_bad_blob(b, blen, "region trailer");
        put32(region + 8, h.dl);
        put32(trailer + 8, (uint32_t) -(int32_t) (16 * 4));   /* more entries than there are */
        assert_bad_blob(b, blen, "region trailer");
        put32(trailer + 8, 8);
        assert_bad_blob(b, blen, "region trailer");
        put32(trailer + 8, (uint32_t) -(int32_t) (16 * 3));
        struct v2c_pkgdb *ok = v2c_pkgdb_new(V2C_PKG_FORMAT_RPM);
        struct v2c_error *err = NULL;
        assert_int_equal(v2c_rpm_parse_header(ok, b, blen, &err), 0);
        v2c_pkgdb_free(ok);
        free(b);
}

static void test_rpm_hostile_values(void **state)
{
        (void) state;
        struct hb h;

        /* well-formed entries whose values do not make a package */
        memset(&h, 0, sizeof h);
        hb_str(&h, 1001, "1");
        assert_bad(&h, true, "no package name");
        memset(&h, 0, sizeof h);
        hb_str(&h, 1000, "");
        assert_bad(&h, true, "no package name");
        memset(&h, 0, sizeof h);
        uint32_t seven = 7;
        hb_u32s(&h, 1000, &seven, 1);   /* a name of the wrong type reads as none */
        assert_bad(&h, true, "no package name");

        uint32_t idx[] = { 0, 2 };
        base(&h);
        hb_strs(&h, 1117, T_ARRAY, 2, ARRAY("a\0b"));
        hb_strs(&h, 1118, T_ARRAY, 2, ARRAY("/x/\0/y/"));
        hb_u32s(&h, 1116, idx, 2);   /* directory 2 of 2 */
        assert_bad(&h, true, "directory 2 of 2");
        base(&h);
        hb_strs(&h, 1117, T_ARRAY, 2, ARRAY("a\0b"));
        hb_strs(&h, 1118, T_ARRAY, 2, ARRAY("/x/\0/y/"));
        hb_u32s(&h, 1116, idx, 1);
        assert_bad(&h, true, "without their directories");
        base(&h);
        hb_strs(&h, 1117, T_ARRAY, 2, ARRAY("a\0b"));
        assert_bad(&h, true, "without their directories");
        base(&h);
        hb_strs(&h, 1027, T_ARRAY, 2, ARRAY("/a\0/b"));
        hb_strs(&h, 1035, T_ARRAY, 1, ARRAY(""));
        assert_bad(&h, true, "digests");
        base(&h);
        hb_strs(&h, 1027, T_ARRAY, 2, ARRAY("/a\0/b"));
        hb_u32s(&h, 1037, idx, 1);
        assert_bad(&h, true, "flags");
        base(&h);
        hb_strs(&h, 1047, T_ARRAY, 2, ARRAY("a\0b"));
        hb_u32s(&h, 1112, idx, 1);
        assert_bad(&h, true, "provide flags");
        base(&h);
        hb_u32s(&h, 1048, idx, 2);
        hb_strs(&h, 1049, T_ARRAY, 2, ARRAY("a\0b"));
        hb_strs(&h, 1050, T_ARRAY, 1, ARRAY(""));
        assert_bad(&h, true, "requirement versions");

        /* an unknown digest algorithm keeps no digests; an odd path is
         * skipped, with its digest */
        base(&h);
        hb_strs(&h, 1027, T_ARRAY, 3, ARRAY("/a\0\0/c"));
        hb_strs(&h, 1035, T_ARRAY, 3, ARRAY("d41d8cd98f00b204e9800998ecf8427e\0\0"
                                            "0cc175b9c0f1b6a831c399e269772661"));
        struct v2c_pkgdb *db = parse_one(&h, true, 0);
        const struct v2c_pkg *p = v2c_pkgdb_get(db, 0);
        assert_int_equal(p->n_files, 2);
        assert_string_equal(p->files[1], "/c");
        assert_string_equal(p->file_digests[1], "0cc175b9c0f1b6a831c399e269772661");
        v2c_pkgdb_free(db);
        uint32_t ripemd = 3;
        hb_u32s(&h, 5011, &ripemd, 1);
        db = parse_one(&h, true, 0);
        p = v2c_pkgdb_get(db, 0);
        assert_int_equal(p->n_files, 2);
        assert_null(p->file_digests);
        assert_null(p->digest_algo);
        v2c_pkgdb_free(db);
}

/* Every single-byte change of a real header parses or is refused, never
 * more (ASan and UBSan watch the reads). */
static void test_rpm_flipped_bytes(void **state)
{
        (void) state;
        size_t len;
        _cleanup_free_ unsigned char *real = slurp(CORPUS "v2c-hello.hdr", &len);
        _cleanup_free_ unsigned char *b = malloc(len);
        static const unsigned char values[] = { 0x00, 0x01, 0x7f, 0x80, 0xff };
        size_t refused = 0;
        for (size_t i = 0; i < len; i++)
                for (size_t k = 0; k < V2C_ARRAY_SIZE(values); k++) {
                        memcpy(b, real, len);
                        if (b[i] == values[k])
                                continue;
                        b[i] = values[k];
                        struct v2c_pkgdb *db = v2c_pkgdb_new(V2C_PKG_FORMAT_RPM);
                        struct v2c_error *err = NULL;
                        int r = v2c_rpm_parse_header(db, b, len, &err);
                        if (r != 0 && r != -EBADMSG && r != -E2BIG)
                                fail_msg("byte %zu = %#x: %d", i, values[k], r);
                        refused += r != 0;
                        v2c_error_free(err);
                        v2c_pkgdb_free(db);
                }
        assert_true(refused > 0);
}

int main(int argc, char **argv)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_rpm_real_fields),
                cmocka_unit_test(test_rpm_real_closure),
                cmocka_unit_test(test_rpm_old_header),
                cmocka_unit_test(test_rpm_closure_arch),
                cmocka_unit_test(test_rpm_hostile_index),
                cmocka_unit_test(test_rpm_hostile_values),
                cmocka_unit_test(test_rpm_flipped_bytes),
        };
        return v2c_run_group_tests(argc, argv, tests, NULL, NULL);
}
