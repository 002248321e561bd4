/* Unit tests for elf.c (ELF headers, "#!" lines) and ldconf.c (ld.so.conf,
 * library search, closure): real binaries of the host, ELF files built
 * here in all four class/byte-order combinations, and corrupted copies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "unit-main.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>

#include "cleanup.h"
#include "elf.h"
#include "error.h"
#include "strv.h"

/* ---- helpers ---- */

static char *slurp(const char *path, size_t *len)
{
        FILE *f = fopen(path, "rb");
        if (f == NULL)
                return NULL;
        char *data = NULL;
        size_t cap = 0, n = 0;
        for (;;) {
                if (n == cap) {
                        cap = cap ? cap * 2 : 65536;
                        data = realloc(data, cap);
                        assert_non_null(data);
                }
                size_t got = fread(data + n, 1, cap - n, f);
                if (got == 0)
                        break;
                n += got;
        }
        fclose(f);
        *len = n;
        return data;
}

static void wr(unsigned char *b, size_t off, unsigned width, uint64_t v, bool be)
{
        for (unsigned i = 0; i < width; i++) {
                unsigned shift = be ? 8 * (width - 1 - i) : 8 * i;
                b[off + i] = (unsigned char) (v >> shift);
        }
}

/* A small dynamically linked ELF file: one PT_LOAD mapping the whole file
 * at 0x10000, a PT_INTERP, and a PT_DYNAMIC with two NEEDED, SONAME,
 * RPATH and RUNPATH. */
enum { ELF_SIZE = 1024, STRTAB_OFF = 512, DYN_OFF = 768, INTERP_OFF = 256, VBASE = 0x10000 };
static const char strtab[] = "\0libfoo.so.1\0libbar.so.2\0libme.so.0\0$ORIGIN/../lib\0/opt/run";
enum { S_FOO = 1, S_BAR = 13, S_ME = 25, S_RPATH = 36, S_RUNPATH = 51 };

struct built {
        unsigned char *b;
        bool is64, be;
        size_t phoff, phentsize, dyn_entsize;
};

static struct built build_elf(bool is64, bool be, uint16_t machine)
{
        struct built e = { calloc(1, ELF_SIZE), is64, be, is64 ? 64 : 52, is64 ? 56 : 32,
                           is64 ? 16 : 8 };
        unsigned char *b = e.b;
        unsigned w = is64 ? 8 : 4;
        memcpy(b, "\x7f" "ELF", 4);
        b[4] = is64 ? 2 : 1;
        b[5] = be ? 2 : 1;
        b[6] = 1;
        wr(b, 16, 2, 3, be);                 /* ET_DYN */
        wr(b, 18, 2, machine, be);
        wr(b, 20, 4, 1, be);
        wr(b, is64 ? 32 : 28, w, e.phoff, be);
        wr(b, is64 ? 54 : 42, 2, e.phentsize, be);
        wr(b, is64 ? 56 : 44, 2, 3, be);

        struct { uint32_t type; uint64_t off, filesz; } ph[3] = {
                { 1, 0, ELF_SIZE }, { 3, INTERP_OFF, 18 }, { 2, DYN_OFF, 8 * e.dyn_entsize },
        };
        for (int i = 0; i < 3; i++) {
                size_t o = e.phoff + (size_t) i * e.phentsize;
                wr(b, o, 4, ph[i].type, be);
                if (is64) {
                        wr(b, o + 8, 8, ph[i].off, be);
                        wr(b, o + 16, 8, VBASE + ph[i].off, be);
                        wr(b, o + 32, 8, ph[i].filesz, be);
                        wr(b, o + 40, 8, ph[i].filesz, be);
                } else {
                        wr(b, o + 4, 4, ph[i].off, be);
                        wr(b, o + 8, 4, VBASE + ph[i].off, be);
                        wr(b, o + 16, 4, ph[i].filesz, be);
                        wr(b, o + 20, 4, ph[i].filesz, be);
                }
        }
        memcpy(b + INTERP_OFF, "/lib/ld-test.so.1", 18);
        memcpy(b + STRTAB_OFF, strtab, sizeof strtab);
        uint64_t dyn[][2] = { { 1, S_FOO }, { 1, S_BAR }, { 14, S_ME }, { 15, S_RPATH },
                              { 29, S_RUNPATH }, { 5, VBASE + STRTAB_OFF }, { 10, sizeof strtab },
                              { 0, 0 } };
        for (size_t i = 0; i < V2C_ARRAY_SIZE(dyn); i++) {
                wr(b, DYN_OFF + i * e.dyn_entsize, w, dyn[i][0], be);
                wr(b, DYN_OFF + i * e.dyn_entsize + w, w, dyn[i][1], be);
        }
        return e;
}

/* Sets field at byte offset o64 (ELF64) / o32 (ELF32) of program header i. */
static void set_ph(struct built *e, int i, size_t o64, size_t o32, uint64_t v)
{
        size_t o = e->phoff + (size_t) i * e->phentsize;
        if (e->is64)
                wr(e->b, o + o64, 8, v, e->be);
        else
                wr(e->b, o + o32, 4, v, e->be);
}

static void set_dyn(struct built *e, size_t i, uint64_t tag, uint64_t val)
{
        unsigned w = e->is64 ? 8 : 4;
        wr(e->b, DYN_OFF + i * e->dyn_entsize, w, tag, e->be);
        wr(e->b, DYN_OFF + i * e->dyn_entsize + w, w, val, e->be);
}

static int parse_expect_fail(const struct built *e, size_t len, int want)
{
        struct v2c_error *err = NULL;
        struct v2c_elf_info *info = NULL;
        int r = v2c_elf_parse(e->b, len, &info, &err);
        assert_int_equal(r, want);
        assert_null(info);
        assert_non_null(err);
        assert_int_equal(err->kind, V2C_ERR_INPUT);
        v2c_error_free(err);
        return r;
}

/* ---- ELF: real files of the host ---- */

static void test_elf_host_ls(void **state)
{
        (void) state;
        size_t len;
        _cleanup_free_ char *data = slurp("/bin/ls", &len);
        if (data == NULL)
                skip();
        assert_true(v2c_is_elf(data, len));
        struct v2c_error *err = NULL;
        struct v2c_elf_info *info = NULL;
        assert_int_equal(v2c_elf_parse(data, len, &info, &err), 0);
        assert_null(err);
        assert_true(info->dynamic);
        assert_non_null(info->interp);
        assert_true(v2c_strv_contains(info->needed, "libc.so.6"));
        assert_null(info->soname);
#if defined(__x86_64__)
        assert_int_equal(info->elf_class, 64);
        assert_false(info->big_endian);
        assert_string_equal(info->arch, "x86_64");
        assert_string_equal(info->interp, "/lib64/ld-linux-x86-64.so.2");
#elif defined(__aarch64__)
        assert_string_equal(info->arch, "aarch64");
        assert_string_equal(info->interp, "/lib/ld-linux-aarch64.so.1");
#endif
        v2c_elf_info_free(info);

        /* Every truncation of the file is an error or a success, never a
         * read past the end (checked by ASan). */
        size_t lens[] = { 0, 1, 4, 5, 6, 16, 51, 52, 63, 64, 65, 200, 400, 700, 1000, 4095,
                          4096, 8192, 16384, 32768, len / 2, len - 1 };
        for (size_t i = 0; i < V2C_ARRAY_SIZE(lens); i++) {
                if (lens[i] > len)
                        continue;
                char *copy = malloc(lens[i] ? lens[i] : 1);
                memcpy(copy, data, lens[i]);
                int r = v2c_elf_parse(copy, lens[i], &info, &err);
                if (r == 0)
                        info = v2c_elf_info_free(info);
                else
                        err = v2c_error_free(err);
                free(copy);
        }
}

static void test_elf_host_library(void **state)
{
        (void) state;
        const char *candidates[] = { "/usr/lib/x86_64-linux-gnu/libcmocka.so.0",
                                     "/usr/lib/aarch64-linux-gnu/libcmocka.so.0",
                                     "/usr/lib64/libcmocka.so.0", "/usr/lib/libcmocka.so.0" };
        _cleanup_free_ char *data = NULL;
        size_t len = 0;
        for (size_t i = 0; data == NULL && i < V2C_ARRAY_SIZE(candidates); i++)
                data = slurp(candidates[i], &len);
        if (data == NULL)
                skip();
        struct v2c_error *err = NULL;
        struct v2c_elf_info *info = NULL;
        assert_int_equal(v2c_elf_parse(data, len, &info, &err), 0);
        assert_int_equal(info->type, 3);
        assert_null(info->interp);
        assert_string_equal(info->soname, "libcmocka.so.0");
        assert_true(v2c_strv_contains(info->needed, "libc.so.6"));
        v2c_elf_info_free(info);
}

static void test_elf_host_static(void **state)
{
        (void) state;
        /* Debian's ldconfig is linked statically. */
        const char *candidates[] = { "/sbin/ldconfig", "/usr/sbin/ldconfig" };
        _cleanup_free_ char *data = NULL;
        size_t len = 0;
        for (size_t i = 0; data == NULL && i < V2C_ARRAY_SIZE(candidates); i++)
                data = slurp(candidates[i], &len);
        if (data == NULL || !v2c_is_elf(data, len))
                skip();
        struct v2c_error *err = NULL;
        struct v2c_elf_info *info = NULL;
        assert_int_equal(v2c_elf_parse(data, len, &info, &err), 0);
        if (info->interp == NULL) {
                assert_null(info->needed);
        }
        v2c_elf_info_free(info);
}

/* ---- ELF: built files ---- */

static void test_elf_built(void **state)
{
        (void) state;
        struct {
                bool is64, be;
                uint16_t machine;
                const char *arch;
        } cases[] = {
                { true, false, 62, "x86_64" },  { true, true, 22, "s390x" },
                { false, false, 3, "i386" },    { false, true, 8, "mips" },
                { true, false, 21, "ppc64le" }, { true, true, 21, "ppc64" },
                { true, false, 243, "riscv64" }, { false, false, 40, "arm" },
                { true, false, 183, "aarch64" }, { true, false, 0x1234, NULL },
        };
        for (size_t i = 0; i < V2C_ARRAY_SIZE(cases); i++) {
                struct built e = build_elf(cases[i].is64, cases[i].be, cases[i].machine);
                struct v2c_error *err = NULL;
                struct v2c_elf_info *info = NULL;
                assert_int_equal(v2c_elf_parse(e.b, ELF_SIZE, &info, &err), 0);
                assert_int_equal(info->elf_class, cases[i].is64 ? 64 : 32);
                assert_int_equal(info->big_endian, cases[i].be);
                assert_int_equal(info->machine, cases[i].machine);
                if (cases[i].arch)
                        assert_string_equal(info->arch, cases[i].arch);
                else
                        assert_null(info->arch);
                assert_int_equal(info->type, 3);
                assert_string_equal(info->interp, "/lib/ld-test.so.1");
                assert_int_equal(v2c_strv_len(info->needed), 2);
                assert_string_equal(info->needed[0], "libfoo.so.1");
                assert_string_equal(info->needed[1], "libbar.so.2");
                assert_string_equal(info->soname, "libme.so.0");
                assert_string_equal(info->rpath, "$ORIGIN/../lib");
                assert_string_equal(info->runpath, "/opt/run");
                v2c_elf_info_free(info);
                free(e.b);
        }
}

static void test_elf_corrupt(void **state)
{
        (void) state;
        for (int variant = 0; variant < 4; variant++) {
                bool is64 = variant & 1, be = variant & 2;
                struct built e;
#define FRESH() (free(e.b), e = build_elf(is64, be, 62))
                e = build_elf(is64, be, 62);

                /* not ELF */
                e.b[1] = 'X';
                parse_expect_fail(&e, ELF_SIZE, -EINVAL);
                FRESH();
                e.b[4] = 3;   /* bad class */
                parse_expect_fail(&e, ELF_SIZE, -EINVAL);
                FRESH();
                parse_expect_fail(&e, is64 ? 63 : 51, -EBADMSG);   /* truncated header */
                /* truncated before the strings */
                parse_expect_fail(&e, STRTAB_OFF + 5, -EBADMSG);
                parse_expect_fail(&e, DYN_OFF + 8, -EBADMSG);

                /* program headers past the end, or overflowing */
                wr(e.b, is64 ? 32 : 28, is64 ? 8 : 4, is64 ? UINT64_MAX - 8 : UINT32_MAX - 8, be);
                parse_expect_fail(&e, ELF_SIZE, -EBADMSG);
                FRESH();
                wr(e.b, is64 ? 56 : 44, 2, 4097, be);   /* too many */
                parse_expect_fail(&e, ELF_SIZE, -E2BIG);
                FRESH();
                wr(e.b, is64 ? 56 : 44, 2, 0xffff, be);   /* PN_XNUM without sections */
                parse_expect_fail(&e, ELF_SIZE, -EBADMSG);
                FRESH();
                wr(e.b, is64 ? 54 : 42, 2, 8, be);   /* phentsize too small */
                parse_expect_fail(&e, ELF_SIZE, -EBADMSG);
                FRESH();

                /* PT_INTERP outside, overflowing, unterminated */
                set_ph(&e, 1, 8, 4, ELF_SIZE - 4);
                parse_expect_fail(&e, ELF_SIZE, -EBADMSG);
                FRESH();
                set_ph(&e, 1, 32, 16, is64 ? UINT64_MAX : UINT32_MAX);
                parse_expect_fail(&e, ELF_SIZE, -EBADMSG);
                FRESH();
                set_ph(&e, 1, 32, 16, 5);   /* "/lib/" without its NUL */
                parse_expect_fail(&e, ELF_SIZE, -EBADMSG);
                FRESH();

                /* PT_DYNAMIC outside the file */
                set_ph(&e, 2, 8, 4, ELF_SIZE);
                parse_expect_fail(&e, ELF_SIZE, -EBADMSG);
                FRESH();
                /* DT_STRTAB not mapped by any PT_LOAD */
                set_dyn(&e, 5, 5, 0x999999);
                parse_expect_fail(&e, ELF_SIZE, -EBADMSG);
                FRESH();
                /* DT_STRTAB at the very end of the segment */
                set_dyn(&e, 5, 5, VBASE + ELF_SIZE - 1);
                parse_expect_fail(&e, ELF_SIZE, -EBADMSG);
                FRESH();
                /* no DT_STRTAB at all */
                set_dyn(&e, 5, 10, 5);
                parse_expect_fail(&e, ELF_SIZE, -EBADMSG);
                FRESH();
                /* a NEEDED offset past DT_STRSZ, and a huge one */
                set_dyn(&e, 0, 1, sizeof strtab);
                parse_expect_fail(&e, ELF_SIZE, -EBADMSG);
                FRESH();
                set_dyn(&e, 0, 1, is64 ? UINT64_MAX : UINT32_MAX);
                parse_expect_fail(&e, ELF_SIZE, -EBADMSG);
                FRESH();
                /* DT_STRSZ cutting a string short: no NUL within the table */
                set_dyn(&e, 6, 10, S_BAR + 3);
                parse_expect_fail(&e, ELF_SIZE, -EBADMSG);
                FRESH();
                /* a PT_LOAD whose vaddr + offset would overflow */
                set_ph(&e, 0, 8, 4, is64 ? UINT64_MAX - 10 : UINT32_MAX - 10);
                parse_expect_fail(&e, ELF_SIZE, -EBADMSG);
                FRESH();

                /* a dynamic section without a DT_NULL ends at its size */
                for (size_t i = 0; i < 8; i++)
                        set_dyn(&e, i, 1, S_FOO);
                set_dyn(&e, 0, 5, VBASE + STRTAB_OFF);
                struct v2c_error *err = NULL;
                struct v2c_elf_info *info = NULL;
                assert_int_equal(v2c_elf_parse(e.b, ELF_SIZE, &info, &err), 0);
                assert_int_equal(v2c_strv_len(info->needed), 7);
                info = v2c_elf_info_free(info);
                FRESH();

                /* no program headers at all: a relocatable object */
                wr(e.b, is64 ? 56 : 44, 2, 0, be);
                assert_int_equal(v2c_elf_parse(e.b, ELF_SIZE, &info, &err), 0);
                assert_null(info->interp);
                assert_false(info->dynamic);
                assert_null(info->needed);
                info = v2c_elf_info_free(info);
                free(e.b);
        }
}

static void test_elf_too_many_needed(void **state)
{
        (void) state;
        /* 1100 NEEDED entries in a big dynamic section */
        size_t n = 1100, dyn_off = 4096, size = dyn_off + (n + 3) * 16;
        struct built e = build_elf(true, false, 62);
        e.b = realloc(e.b, size);
        memset(e.b + ELF_SIZE, 0, size - ELF_SIZE);
        set_ph(&e, 0, 32, 16, size);
        set_ph(&e, 2, 8, 4, dyn_off);
        set_ph(&e, 2, 32, 16, (n + 3) * 16);
        for (size_t i = 0; i < n; i++) {
                wr(e.b, dyn_off + i * 16, 8, 1, false);
                wr(e.b, dyn_off + i * 16 + 8, 8, S_FOO, false);
        }
        wr(e.b, dyn_off + n * 16, 8, 5, false);
        wr(e.b, dyn_off + n * 16 + 8, 8, VBASE + STRTAB_OFF, false);
        parse_expect_fail(&e, size, -E2BIG);
        free(e.b);

        assert_false(v2c_is_elf("\x7f" "EL", 3));
        assert_false(v2c_is_elf(NULL, 0));
        assert_true(v2c_is_elf("\x7f" "ELF\x02\x01", 6));
        v2c_elf_info_free(NULL);
}

/* ---- "#!" ---- */

static void check_shebang(const char *text, const char *interp, const char *name,
                          const char *const *args)
{
        struct v2c_error *err = NULL;
        struct v2c_shebang *s = NULL;
        assert_int_equal(v2c_shebang_parse(text, strlen(text), &s, &err), 1);
        assert_string_equal(s->interpreter, interp);
        if (name)
                assert_string_equal(s->name, name);
        else
                assert_null(s->name);
        size_t n = 0;
        while (args && args[n])
                n++;
        assert_int_equal(v2c_strv_len(s->args), n);
        for (size_t i = 0; i < n; i++)
                assert_string_equal(s->args[i], args[i]);
        v2c_shebang_free(s);
}

static void test_shebang(void **state)
{
        (void) state;
        check_shebang("#!/bin/sh\necho hi\n", "/bin/sh", "sh", NULL);
        check_shebang("#! /bin/bash -e\n", "/bin/bash", "bash", (const char *[]){ "-e", NULL });
        check_shebang("#!/usr/bin/env python3 -u\nimport sys\n", "/usr/bin/env", "python3",
                      (const char *[]){ "python3", "-u", NULL });
        check_shebang("#!/usr/bin/env -S perl -w\r\n", "/usr/bin/env", "perl",
                      (const char *[]){ "-S", "perl", "-w", NULL });
        check_shebang("#!/usr/bin/env -Snode --x", "/usr/bin/env", "node",
                      (const char *[]){ "-Snode", "--x", NULL });
        check_shebang("#!/usr/bin/env -i -u HOME LANG=C /usr/local/bin/ruby\n", "/usr/bin/env",
                      "ruby", (const char *[]){ "-i", "-u", "HOME", "LANG=C", "/usr/local/bin/ruby", NULL });
        check_shebang("#!/usr/bin/env\n", "/usr/bin/env", NULL, NULL);
        check_shebang("#!\t/usr/bin/python3.11  \t\n", "/usr/bin/python3.11", "python3.11", NULL);
        check_shebang("#!sh", "sh", "sh", NULL);

        struct v2c_error *err = NULL;
        struct v2c_shebang *s = NULL;
        assert_int_equal(v2c_shebang_parse("#", 1, &s, &err), 0);
        assert_int_equal(v2c_shebang_parse("\x7f" "ELF", 4, &s, &err), 0);
        assert_int_equal(v2c_shebang_parse("", 0, &s, &err), 0);
        assert_null(s);
        assert_int_equal(v2c_shebang_parse("#!   \nfoo", 9, &s, &err), -ENOEXEC);
        err = v2c_error_free(err);
        assert_int_equal(v2c_shebang_parse("#!/bin/s\0h\n", 11, &s, &err), -ENOEXEC);
        err = v2c_error_free(err);

        /* 256 bytes is the limit: a longer line is refused, a line that
         * fills the buffer up to its end is fine */
        char line[400];
        memset(line, 'a', sizeof line);
        memcpy(line, "#!/", 3);
        assert_int_equal(v2c_shebang_parse(line, sizeof line, &s, &err), -ENOEXEC);
        err = v2c_error_free(err);
        assert_int_equal(v2c_shebang_parse(line, 256, &s, &err), 1);
        assert_int_equal(strlen(s->interpreter), 254);
        s = v2c_shebang_free(s);
        line[255] = '\n';
        assert_int_equal(v2c_shebang_parse(line, sizeof line, &s, &err), 1);
        assert_int_equal(strlen(s->interpreter), 253);
        v2c_shebang_free(s);
        v2c_shebang_free(NULL);
}

/* ---- ld.so.conf over an in-memory file system ---- */

struct fake_file {
        const char *path, *content;
};

struct fake_fs {
        const struct fake_file *files;
        size_t n;
        int reads;
};

static int fake_glob(void *ctx, const char *pattern, char ***paths, struct v2c_error **err)
{
        struct fake_fs *fs = ctx;
        char **v = NULL;
        /* backwards, so that the parser's sorting is what orders them */
        for (size_t i = fs->n; i-- > 0;)
                if (fnmatch(pattern, fs->files[i].path, FNM_PATHNAME) == 0 &&
                    v2c_strv_push(&v, fs->files[i].path) < 0)
                        return v2c_error_set(err, ENOMEM, "out of memory");
        *paths = v;
        return 0;
}

static int fake_read(void *ctx, const char *path, char **data, size_t *len,
                     struct v2c_error **err)
{
        struct fake_fs *fs = ctx;
        fs->reads++;
        for (size_t i = 0; i < fs->n; i++)
                if (strcmp(fs->files[i].path, path) == 0) {
                        if (fs->files[i].content == NULL)
                                return v2c_error_set(err, EIO, "cannot read");
                        *data = strdup(fs->files[i].content);
                        *len = strlen(fs->files[i].content);
                        return 0;
                }
        return v2c_error_set(err, ENOENT, "no such file");
}

static const struct v2c_ldconf_ops fake_ops = { fake_glob, fake_read };

static void test_ldconf(void **state)
{
        (void) state;
        const struct fake_file files[] = {
                { "/etc/ld.so.conf", "include /etc/ld.so.conf.d/*.conf\n" },
                { "/etc/ld.so.conf.d/x86_64-linux-gnu.conf",
                  "# Multiarch support\n/usr/local/lib/x86_64-linux-gnu\n/lib/x86_64-linux-gnu\n"
                  "/usr/lib/x86_64-linux-gnu\n" },
                { "/etc/ld.so.conf.d/libc.conf", "# libc default configuration\n/usr/local/lib\n" },
                { "/etc/ld.so.conf.d/zz.conf", "  /opt/x//lib/  # trailing\nrelative/dir\n"
                                               "/old=libc6\nhwcap 0 nosegneg\nHWCAP 1 x\n"
                                               "/usr/local/lib\ninclude   sub/*.conf  sub2/other.conf\n" },
                { "/etc/ld.so.conf.d/sub/a.conf", "/sub/a\ninclude ../zz.conf\n" },
                { "/etc/ld.so.conf.d/sub2/other.conf", "/other\r\n" },
                { "/etc/ld.so.conf.d/notconf.txt", "/never\n" },
        };
        struct fake_fs fs = { files, V2C_ARRAY_SIZE(files), 0 };
        struct v2c_error *err = NULL;
        char **dirs = NULL;
        assert_int_equal(v2c_ldconf_load("/etc/ld.so.conf", &fake_ops, &fs, &dirs, &err), 0);
        assert_null(err);
        const char *want[] = { "/usr/local/lib", "/usr/local/lib/x86_64-linux-gnu",
                               "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/opt/x/lib",
                               "/old", "/sub/a", "/other" };
        assert_int_equal(v2c_strv_len(dirs), V2C_ARRAY_SIZE(want));
        for (size_t i = 0; i < V2C_ARRAY_SIZE(want); i++)
                assert_string_equal(dirs[i], want[i]);
        v2c_strv_free(dirs);

        /* without ops the includes are skipped */
        const char *conf = "/a\ninclude /etc/*.conf\n/b";
        assert_int_equal(v2c_ldconf_parse("/etc/ld.so.conf", conf, strlen(conf), NULL, NULL,
                                          &dirs, &err), 0);
        assert_int_equal(v2c_strv_len(dirs), 2);
        v2c_strv_free(dirs);
        assert_int_equal(v2c_ldconf_parse("x", "", 0, NULL, NULL, &dirs, &err), 0);
        assert_null(dirs);

        /* a missing top file is an error; a missing include is not */
        assert_int_equal(v2c_ldconf_load("/nope", &fake_ops, &fs, &dirs, &err), -ENOENT);
        assert_non_null(strstr(err->msg, "/nope"));
        err = v2c_error_free(err);
        conf = "include /etc/nothing/*.conf\n/c\n";
        assert_int_equal(v2c_ldconf_parse("/etc/ld.so.conf", conf, strlen(conf), &fake_ops, &fs,
                                          &dirs, &err), 0);
        assert_string_equal(dirs[0], "/c");
        v2c_strv_free(dirs);

        /* a read error is reported with where it happened */
        const struct fake_file bad[] = { { "/etc/ld.so.conf", "include /etc/b.conf\n" },
                                         { "/etc/b.conf", NULL } };
        struct fake_fs badfs = { bad, 2, 0 };
        assert_int_equal(v2c_ldconf_load("/etc/ld.so.conf", &fake_ops, &badfs, &dirs, &err), -EIO);
        assert_non_null(strstr(err->msg, "/etc/b.conf"));
        err = v2c_error_free(err);
}

static void test_ldconf_loops(void **state)
{
        (void) state;
        /* a self-include is read once */
        const struct fake_file self[] = { { "/etc/ld.so.conf", "/a\ninclude /etc/ld.so.conf\n/b\n" } };
        struct fake_fs fs = { self, 1, 0 };
        struct v2c_error *err = NULL;
        char **dirs = NULL;
        assert_int_equal(v2c_ldconf_load("/etc/ld.so.conf", &fake_ops, &fs, &dirs, &err), 0);
        assert_int_equal(v2c_strv_len(dirs), 2);
        assert_int_equal(fs.reads, 1);
        v2c_strv_free(dirs);

        /* a chain deeper than the limit */
        struct fake_file chain[12];
        char names[12][32], contents[12][64];
        for (int i = 0; i < 12; i++) {
                snprintf(names[i], sizeof names[i], "/etc/c%d.conf", i);
                snprintf(contents[i], sizeof contents[i], "/d%d\ninclude /etc/c%d.conf\n", i, i + 1);
                chain[i] = (struct fake_file){ names[i], contents[i] };
        }
        struct fake_fs cfs = { chain, 12, 0 };
        assert_int_equal(v2c_ldconf_load("/etc/c0.conf", &fake_ops, &cfs, &dirs, &err), -ELOOP);
        assert_non_null(err);
        err = v2c_error_free(err);
        /* exactly at the limit is fine */
        cfs.n = V2C_LDCONF_MAX_DEPTH + 1;
        assert_int_equal(v2c_ldconf_load("/etc/c0.conf", &fake_ops, &cfs, &dirs, &err), 0);
        assert_int_equal(v2c_strv_len(dirs), V2C_LDCONF_MAX_DEPTH + 1);
        v2c_strv_free(dirs);
}

/* ---- resolving ---- */

struct fake_paths {
        const char *const *paths;
        int probes;
};

static int fake_exists(void *ctx, const char *path)
{
        struct fake_paths *fp = ctx;
        fp->probes++;
        for (size_t i = 0; fp->paths[i]; i++)
                if (strcmp(fp->paths[i], path) == 0)
                        return 1;
        return 0;
}

static int failing_exists(void *ctx, const char *path)
{
        (void) ctx;
        (void) path;
        return -EIO;
}

static void expect_resolve(const struct v2c_ld_search *s, const char *const *exist,
                           const char *name, const struct v2c_ld_object *chain, size_t n_chain,
                           const char *want)
{
        struct fake_paths fp = { exist, 0 };
        struct v2c_error *err = NULL;
        char *path = NULL;
        int r = v2c_ld_resolve(s, name, chain, n_chain, fake_exists, &fp, &path, &err);
        assert_null(err);
        if (want == NULL) {
                assert_int_equal(r, 0);
                assert_null(path);
                return;
        }
        assert_int_equal(r, 1);
        assert_string_equal(path, want);
        free(path);
}

static void test_resolve(void **state)
{
        (void) state;
        char *conf[] = { "/usr/local/lib", "/lib/x86_64-linux-gnu", NULL };
        struct v2c_ld_search s = { .arch = "x86_64", .conf_dirs = conf };
        const char *everywhere[] = { "/opt/app/lib/libz.so.1", "/opt/exe-rpath/libz.so.1",
                                     "/opt/runpath/libz.so.1", "/usr/local/lib/libz.so.1",
                                     "/lib/x86_64-linux-gnu/libz.so.1", "/usr/lib64/libz.so.1",
                                     "/lib/libz.so.1", "/abs/libq.so", NULL };

        struct v2c_ld_object exe = { "/opt/app/bin/app", "/opt/exe-rpath", NULL };
        struct v2c_ld_object lib_rpath = { "/opt/app/lib/libx.so", "$ORIGIN", NULL };
        struct v2c_ld_object lib_runpath = { "/opt/app/lib/liby.so", "$ORIGIN", "/opt/runpath" };
        struct v2c_ld_object lib_plain = { "/usr/lib/libw.so", NULL, NULL };

        /* RPATH of the requester, through $ORIGIN */
        struct v2c_ld_object c1[] = { lib_rpath, exe };
        expect_resolve(&s, everywhere, "libz.so.1", c1, 2, "/opt/app/lib/libz.so.1");
        /* then RPATH of the loaders, up to the executable */
        struct v2c_ld_object c2[] = { lib_plain, exe };
        expect_resolve(&s, everywhere, "libz.so.1", c2, 2, "/opt/exe-rpath/libz.so.1");
        /* RUNPATH disables every RPATH, its own and the loaders' */
        struct v2c_ld_object c3[] = { lib_runpath, exe };
        expect_resolve(&s, everywhere, "libz.so.1", c3, 2, "/opt/runpath/libz.so.1");
        /* then ld.so.conf, then the defaults */
        const char *conf_and_default[] = { "/lib/x86_64-linux-gnu/libz.so.1", "/usr/lib64/libz.so.1",
                                           "/lib/libz.so.1", NULL };
        expect_resolve(&s, conf_and_default, "libz.so.1", c3, 2, "/lib/x86_64-linux-gnu/libz.so.1");
        const char *defaults_only[] = { "/usr/lib64/libz.so.1", "/lib/libz.so.1", NULL };
        expect_resolve(&s, defaults_only, "libz.so.1", c3, 2, "/usr/lib64/libz.so.1");
        expect_resolve(&s, defaults_only, "libnone.so", c3, 2, NULL);
        expect_resolve(&s, defaults_only, "libz.so.1", NULL, 0, "/usr/lib64/libz.so.1");
        /* names with a slash are paths */
        expect_resolve(&s, everywhere, "/abs/libq.so", c1, 2, "/abs/libq.so");
        expect_resolve(&s, everywhere, "abs/libq.so", c1, 2, NULL);
        expect_resolve(&s, everywhere, "", c1, 2, NULL);

        /* errors of the callback come back with the path */
        struct v2c_error *err = NULL;
        char *path = NULL;
        assert_int_equal(v2c_ld_resolve(&s, "libz.so.1", c1, 2, failing_exists, NULL, &path, &err),
                         -EIO);
        assert_non_null(strstr(err->msg, "/opt/app/lib/libz.so.1"));
        v2c_error_free(err);
}

static void test_expand_path(void **state)
{
        (void) state;
        struct v2c_error *err = NULL;
        char **d = NULL;
        assert_int_equal(v2c_ld_expand_path("$ORIGIN/../lib:${ORIGIN}/x::rel:/a//b/:$LIB/z:"
                                            "/p/$PLATFORM:$ORIGINAL/q:/u/$FOO:/d$",
                                            "/opt/app/bin/app", "x86_64", &d, &err), 0);
        const char *want[] = { "/opt/app/lib", "/opt/app/bin/x", "/a/b",
                               "/p/x86_64", "/u/$FOO", "/d$" };
        /* $LIB is relative here ("lib/x86_64-linux-gnu/z"): dropped */
        assert_int_equal(v2c_strv_len(d), V2C_ARRAY_SIZE(want));
        for (size_t i = 0; i < V2C_ARRAY_SIZE(want); i++)
                assert_string_equal(d[i], want[i]);
        v2c_strv_free(d);

        assert_int_equal(v2c_ld_expand_path("/usr/$LIB/app", NULL, "x86_64", &d, &err), 0);
        assert_int_equal(v2c_strv_len(d), 2);
        assert_string_equal(d[0], "/usr/lib/x86_64-linux-gnu/app");
        assert_string_equal(d[1], "/usr/lib64/app");
        v2c_strv_free(d);

        /* no origin: $ORIGIN entries drop; an object at the root */
        assert_int_equal(v2c_ld_expand_path("$ORIGIN/lib:/x", NULL, NULL, &d, &err), 0);
        assert_int_equal(v2c_strv_len(d), 1);
        v2c_strv_free(d);
        assert_int_equal(v2c_ld_expand_path("$ORIGIN/lib", "/app", NULL, &d, &err), 0);
        assert_string_equal(d[0], "/lib");
        v2c_strv_free(d);
        assert_int_equal(v2c_ld_expand_path("", "/app", NULL, &d, &err), 0);
        assert_null(d);

        const char *const *dd = v2c_ld_default_dirs("aarch64", NULL);
        assert_string_equal(dd[0], "/lib/aarch64-linux-gnu");
        dd = v2c_ld_default_dirs("x86_64", "/lib/ld-musl-x86_64.so.1");
        assert_string_equal(dd[0], "/lib");
        assert_string_equal(dd[1], "/usr/local/lib");
        dd = v2c_ld_default_dirs("weird", NULL);
        assert_string_equal(dd[0], "/lib64");
}

/* ---- closure over fake objects ---- */

struct fake_obj {
        const char *path;
        unsigned cls;
        uint16_t machine;
        const char *soname, *rpath, *runpath;
        const char *needed[6];
        int result;
};

struct fake_world {
        const struct fake_obj *objs;
        size_t n;
        int loads;
        int fail_on;   /* index of the load that fails, -1 never */
};

static int fake_load(void *ctx, const char *path, struct v2c_elf_info **info,
                     struct v2c_error **err)
{
        struct fake_world *w = ctx;
        if (w->loads++ == w->fail_on)
                return v2c_error_set(err, EIO, "disk on fire");
        for (size_t i = 0; i < w->n; i++) {
                const struct fake_obj *o = &w->objs[i];
                if (strcmp(o->path, path) != 0)
                        continue;
                if (o->result == V2C_LD_LOAD_STOP && o->cls == 0)
                        return V2C_LD_LOAD_STOP;
                struct v2c_elf_info *e = calloc(1, sizeof *e);
                e->elf_class = o->cls;
                e->machine = o->machine;
                e->soname = o->soname ? strdup(o->soname) : NULL;
                e->rpath = o->rpath ? strdup(o->rpath) : NULL;
                e->runpath = o->runpath ? strdup(o->runpath) : NULL;
                for (size_t j = 0; o->needed[j]; j++)
                        v2c_strv_push(&e->needed, o->needed[j]);
                *info = e;
                return o->result;
        }
        return V2C_LD_LOAD_ABSENT;
}

static void test_closure(void **state)
{
        (void) state;
        const struct fake_obj objs[] = {
                /* a 32-bit libc earlier in the path is skipped */
                { "/lib/x86_64-linux-gnu/libc.so.6", 32, 3, "libc.so.6", NULL, NULL, { NULL }, 1 },
                { "/usr/lib/x86_64-linux-gnu/libc.so.6", 64, 62, "libc.so.6", NULL, NULL, { NULL }, 1 },
                { "/opt/app/lib/libapp.so.1", 64, 62, "libapp.so.1", NULL, "$ORIGIN",
                  { "libhelper.so", "libm.so.6", "libc.so.6", "libcycle.so", NULL }, 1 },
                { "/opt/app/lib/libhelper.so", 64, 62, NULL, NULL, NULL, { "libapp.so.1", "libgone.so", NULL }, 1 },
                { "/usr/lib/x86_64-linux-gnu/libm.so.6", 64, 62, "libm.so.6", NULL, NULL,
                  { "libc.so.6", NULL }, 1 },
                /* owned by a package: found, not followed */
                { "/usr/lib/x86_64-linux-gnu/libcycle.so", 0, 0, NULL, NULL, NULL, { NULL }, 2 },
                { "/usr/lib/x86_64-linux-gnu/libssl.so.3", 64, 62, "libssl.so.3", NULL, NULL,
                  { "libcrypto.so.3", NULL }, 2 },
                /* found under another name by SONAME: libalias.so is libm.so.6 */
                { "/usr/lib/x86_64-linux-gnu/libalias.so", 64, 62, "libm.so.6", NULL, NULL, { NULL }, 1 },
        };
        struct fake_world world = { objs, V2C_ARRAY_SIZE(objs), 0, -1 };
        struct v2c_elf_info root = { .elf_class = 64, .machine = 62, .rpath = "$ORIGIN/../lib",
                                     .needed = (char *[]){ "libapp.so.1", "libc.so.6", "libssl.so.3",
                                                           "libnothere.so.0", "libalias.so", NULL } };
        struct v2c_ld_search s = { .arch = "x86_64" };
        struct v2c_error *err = NULL;
        struct v2c_ld_closure *c = NULL;
        assert_int_equal(v2c_ld_closure(&s, "/opt/app/bin/app", &root, fake_load, &world, 0, &c, &err), 0);
        assert_null(err);
        const char *want[] = { "/opt/app/lib/libapp.so.1", "/opt/app/lib/libhelper.so",
                               "/usr/lib/x86_64-linux-gnu/libalias.so",
                               "/usr/lib/x86_64-linux-gnu/libc.so.6",
                               "/usr/lib/x86_64-linux-gnu/libcycle.so",
                               "/usr/lib/x86_64-linux-gnu/libssl.so.3" };
        /* libm.so.6 is not searched: libalias.so, loaded first (breadth
         * first), carries that SONAME, so ld.so would use it. */
        assert_int_equal(v2c_strv_len(c->paths), V2C_ARRAY_SIZE(want));
        for (size_t i = 0; i < V2C_ARRAY_SIZE(want); i++)
                assert_string_equal(c->paths[i], want[i]);
        assert_int_equal(v2c_strv_len(c->missing), 2);
        assert_string_equal(c->missing[0], "libgone.so");
        assert_string_equal(c->missing[1], "libnothere.so.0");
        assert_false(c->truncated);
        c = v2c_ld_closure_free(c);

        /* the cap on objects */
        assert_int_equal(v2c_ld_closure(&s, "/opt/app/bin/app", &root, fake_load, &world, 2, &c, &err), 0);
        assert_true(c->truncated);
        assert_int_equal(v2c_strv_len(c->paths), 2);
        c = v2c_ld_closure_free(c);

        /* a failing load aborts with its message */
        world.loads = 0;
        world.fail_on = 3;
        assert_int_equal(v2c_ld_closure(&s, "/opt/app/bin/app", &root, fake_load, &world, 0, &c, &err), -EIO);
        assert_null(c);
        assert_non_null(strstr(err->msg, "disk on fire"));
        v2c_error_free(err);
        v2c_ld_closure_free(NULL);

        /* a static executable needs nothing */
        struct v2c_elf_info st = { .elf_class = 64, .machine = 62 };
        assert_int_equal(v2c_ld_closure(&s, NULL, &st, fake_load, &world, 0, &c, &err), 0);
        assert_null(c->paths);
        assert_null(c->missing);
        v2c_ld_closure_free(c);
}

/* The host's own /bin/ls, its own ld.so.conf: the closure has libc. */
static int host_glob(void *ctx, const char *pattern, char ***paths, struct v2c_error **err)
{
        (void) ctx;
        (void) err;
        /* enough for ld.so.conf.d/ *.conf: list the directory */
        const char *slash = strrchr(pattern, '/');
        _cleanup_free_ char *dir = strndup(pattern, (size_t) (slash - pattern));
        _cleanup_closedir_ DIR *d = opendir(dir);
        char **v = NULL;
        struct dirent *de;
        while (d && (de = readdir(d))) {
                char *p = NULL;
                assert_true(asprintf(&p, "%s/%s", dir, de->d_name) > 0);
                if (fnmatch(pattern, p, FNM_PATHNAME) == 0)
                        v2c_strv_consume(&v, p);
                else
                        free(p);
        }
        *paths = v;
        return 0;
}

static int host_read(void *ctx, const char *path, char **data, size_t *len,
                     struct v2c_error **err)
{
        (void) ctx;
        *data = slurp(path, len);
        return *data ? 0 : v2c_error_set(err, ENOENT, "cannot open `%s`", path);
}

static int host_load(void *ctx, const char *path, struct v2c_elf_info **info,
                     struct v2c_error **err)
{
        (void) ctx;
        size_t len;
        _cleanup_free_ char *data = slurp(path, &len);
        if (data == NULL)
                return V2C_LD_LOAD_ABSENT;
        int r = v2c_elf_parse(data, len, info, err);
        return r < 0 ? r : V2C_LD_LOAD_FOLLOW;
}

static void test_closure_host(void **state)
{
        (void) state;
        size_t len;
        _cleanup_free_ char *data = slurp("/bin/ls", &len);
        struct v2c_error *err = NULL;
        struct v2c_elf_info *info = NULL;
        if (data == NULL || v2c_elf_parse(data, len, &info, &err) < 0)
                skip();
        static const struct v2c_ldconf_ops host_ops = { host_glob, host_read };
        char **conf = NULL;
        if (v2c_ldconf_load("/etc/ld.so.conf", &host_ops, NULL, &conf, &err) < 0)
                err = v2c_error_free(err);
        struct v2c_ld_search s = { .arch = info->arch, .conf_dirs = conf };
        struct v2c_ld_closure *c = NULL;
        assert_int_equal(v2c_ld_closure(&s, "/bin/ls", info, host_load, NULL, 0, &c, &err), 0);
        bool has_libc = false;
        for (size_t i = 0; c->paths && c->paths[i]; i++) {
                const char *b = strrchr(c->paths[i], '/');
                if (strcmp(b, "/libc.so.6") == 0)
                        has_libc = true;
                /* libc's NEEDED ld-linux-*.so.* is the interpreter, loaded already */
                if (info->interp)
                        assert_string_not_equal(b, strrchr(info->interp, '/'));
        }
        assert_true(has_libc);
        assert_null(c->missing);
        v2c_ld_closure_free(c);
        v2c_strv_free(conf);
        v2c_elf_info_free(info);
}

int main(int argc, char **argv)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_elf_host_ls),
                cmocka_unit_test(test_elf_host_library),
                cmocka_unit_test(test_elf_host_static),
                cmocka_unit_test(test_elf_built),
                cmocka_unit_test(test_elf_corrupt),
                cmocka_unit_test(test_elf_too_many_needed),
                cmocka_unit_test(test_shebang),
                cmocka_unit_test(test_ldconf),
                cmocka_unit_test(test_ldconf_loops),
                cmocka_unit_test(test_resolve),
                cmocka_unit_test(test_expand_path),
                cmocka_unit_test(test_closure),
                cmocka_unit_test(test_closure_host),
        };
        return v2c_run_group_tests(argc, argv, tests, NULL, NULL);
}
