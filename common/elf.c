/* ELF headers and script "#!" lines, read from buffers.
 *
 * From an ELF file the inspector wants the arch, the interpreter and the
 * dynamic section's NEEDED/SONAME/RPATH/RUNPATH; the program headers are
 * enough for that (section headers may be stripped).  The dynamic
 * section's DT_STRTAB is a virtual address: it is mapped through the
 * PT_LOAD segments back to a file offset.
 *
 * The file is hostile.  Every read goes through in_range(), which checks
 * offset and size against the buffer without overflowing, and every
 * string must find its NUL inside its table.
 */
#include "elf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "strv.h"
#include "text.h"

/* The few ELF constants used, so that the parser does not depend on the
 * host's <elf.h>. */
enum {
        EI_NIDENT = 16,
        ELFCLASS32 = 1,
        ELFCLASS64 = 2,
        ELFDATA2LSB = 1,
        ELFDATA2MSB = 2,
        PT_LOAD = 1,
        PT_DYNAMIC = 2,
        PT_INTERP = 3,
        PN_XNUM = 0xffff,
        DT_NULL = 0,
        DT_NEEDED = 1,
        DT_STRTAB = 5,
        DT_STRSZ = 10,
        DT_SONAME = 14,
        DT_RPATH = 15,
        DT_RUNPATH = 29,
};

bool v2c_is_elf(const void *buf, size_t len)
{
        const unsigned char *b = buf;
        return len >= 6 && b[0] == 0x7f && b[1] == 'E' && b[2] == 'L' && b[3] == 'F' &&
               (b[4] == ELFCLASS32 || b[4] == ELFCLASS64) &&
               (b[5] == ELFDATA2LSB || b[5] == ELFDATA2MSB);
}

const char *v2c_elf_machine_arch(uint16_t machine, unsigned elf_class, bool big_endian)
{
        bool is64 = elf_class == 64;
        switch (machine) {
        case 3:
                return "i386";
        case 62:
                return "x86_64";
        case 183:
                return "aarch64";
        case 40:
                return big_endian ? "armeb" : "arm";
        case 20:
                return "ppc";
        case 21:
                return big_endian ? "ppc64" : "ppc64le";
        case 22:
                return is64 ? "s390x" : "s390";
        case 243:
                return is64 ? "riscv64" : "riscv32";
        case 8:
                if (is64)
                        return big_endian ? "mips64" : "mips64el";
                return big_endian ? "mips" : "mipsel";
        case 258:
                return "loongarch64";
        case 43:
                return "sparc64";
        case 2:
                return "sparc";
        case 50:
                return "ia64";
        case 4:
                return "m68k";
        case 15:
                return "hppa";
        case 42:
                return "sh4";
        case 0x9026:
                return "alpha";
        default:
                return NULL;
        }
}

struct reader {
        const unsigned char *b;
        size_t len;
        bool is64, be;
};

/* [off, off + size) lies within the buffer, computed without overflow. */
static bool in_range(const struct reader *r, uint64_t off, uint64_t size)
{
        return off <= r->len && size <= r->len - off;
}

/* Callers check the range first. */
static uint64_t rd(const struct reader *r, size_t off, unsigned width)
{
        uint64_t v = 0;
        for (unsigned i = 0; i < width; i++) {
                unsigned shift = r->be ? 8 * (width - 1 - i) : 8 * i;
                v |= (uint64_t) r->b[off + i] << shift;
        }
        return v;
}

/* A word: 4 bytes in ELF32, 8 in ELF64 (addresses, offsets, sizes). */
static uint64_t rdw(const struct reader *r, size_t off)
{
        return rd(r, off, r->is64 ? 8 : 4);
}

struct phdr {
        uint32_t type;
        uint64_t offset, vaddr, filesz;
};

static struct phdr read_phdr(const struct reader *r, size_t off)
{
        struct phdr p = { .type = (uint32_t) rd(r, off, 4) };
        if (r->is64) {
                p.offset = rd(r, off + 8, 8);
                p.vaddr = rd(r, off + 16, 8);
                p.filesz = rd(r, off + 32, 8);
        } else {
                p.offset = rd(r, off + 4, 4);
                p.vaddr = rd(r, off + 8, 4);
                p.filesz = rd(r, off + 16, 4);
        }
        return p;
}

struct v2c_elf_info *v2c_elf_info_free(struct v2c_elf_info *info)
{
        if (info == NULL)
                return NULL;
        free(info->interp);
        v2c_strv_free(info->needed);
        free(info->soname);
        free(info->rpath);
        free(info->runpath);
        free(info);
        return NULL;
}

static void elf_info_freep(struct v2c_elf_info **p)
{
        v2c_elf_info_free(*p);
}

/* Copies the NUL-terminated string at off within [base, base + size) of
 * the buffer (the caller has checked that range). */
static int copy_string(const struct reader *r, uint64_t base, uint64_t size, uint64_t off,
                       size_t max, const char *what, char **out, struct v2c_error **err)
{
        if (off >= size)
                return v2c_error_set_kind(err, V2C_ERR_INPUT, EBADMSG, "%s: string offset %llu outside its table",
                                     what, (unsigned long long) off);
        const unsigned char *s = r->b + base + off;
        size_t avail = (size_t) (size - off);
        const unsigned char *nul = memchr(s, '\0', avail < max + 1 ? avail : max + 1);
        if (nul == NULL)
                return v2c_error_set_kind(err, V2C_ERR_INPUT, avail > max ? E2BIG : EBADMSG,
                                     "%s: string not terminated%s", what,
                                     avail > max ? " within the size limit" : "");
        char *d = strndup((const char *) s, (size_t) (nul - s));
        if (d == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        free(*out);
        *out = d;
        return 0;
}

/* The file offset of a virtual address, through the PT_LOAD segment that
 * holds it in its file image; false when none does. */
static bool vaddr_to_offset(const struct phdr *loads, size_t n, uint64_t addr, uint64_t *off,
                            uint64_t *avail)
{
        for (size_t i = 0; i < n; i++) {
                if (addr < loads[i].vaddr || addr - loads[i].vaddr >= loads[i].filesz)
                        continue;
                uint64_t delta = addr - loads[i].vaddr;
                if (loads[i].offset > UINT64_MAX - delta)
                        continue;
                *off = loads[i].offset + delta;
                *avail = loads[i].filesz - delta;
                return true;
        }
        return false;
}

static int parse_dynamic(const struct reader *r, const struct phdr *dyn, const struct phdr *loads,
                         size_t n_loads, struct v2c_elf_info *info, struct v2c_error **err)
{
        if (!in_range(r, dyn->offset, dyn->filesz))
                return v2c_error_set_kind(err, V2C_ERR_INPUT, EBADMSG, "PT_DYNAMIC outside the file");
        size_t entsize = r->is64 ? 16 : 8;
        uint64_t n = dyn->filesz / entsize;
        if (n > V2C_ELF_MAX_DYN)
                n = V2C_ELF_MAX_DYN;

        uint64_t strtab = 0, strsz = 0;
        bool have_strtab = false, have_strsz = false;
        uint64_t needed[V2C_ELF_MAX_NEEDED];
        size_t n_needed = 0;
        uint64_t soname = 0, rpath = 0, runpath = 0;
        bool have_soname = false, have_rpath = false, have_runpath = false;

        for (uint64_t i = 0; i < n; i++) {
                size_t off = (size_t) (dyn->offset + i * entsize);
                uint64_t tag = rdw(r, off);
                uint64_t val = rdw(r, off + entsize / 2);
                if (tag == DT_NULL)
                        break;
                switch (tag) {
                case DT_NEEDED:
                        if (n_needed >= V2C_ELF_MAX_NEEDED)
                                return v2c_error_set_kind(err, V2C_ERR_INPUT, E2BIG, "more than %d DT_NEEDED",
                                                     V2C_ELF_MAX_NEEDED);
                        needed[n_needed++] = val;
                        break;
                case DT_STRTAB:
                        strtab = val;
                        have_strtab = true;
                        break;
                case DT_STRSZ:
                        strsz = val;
                        have_strsz = true;
                        break;
                case DT_SONAME:
                        soname = val;
                        have_soname = true;
                        break;
                case DT_RPATH:
                        rpath = val;
                        have_rpath = true;
                        break;
                case DT_RUNPATH:
                        runpath = val;
                        have_runpath = true;
                        break;
                }
        }
        if (n_needed == 0 && !have_soname && !have_rpath && !have_runpath)
                return 0;
        if (!have_strtab)
                return v2c_error_set_kind(err, V2C_ERR_INPUT, EBADMSG, "dynamic section without DT_STRTAB");

        uint64_t str_off, str_avail;
        if (!vaddr_to_offset(loads, n_loads, strtab, &str_off, &str_avail))
                return v2c_error_set_kind(err, V2C_ERR_INPUT, EBADMSG, "DT_STRTAB 0x%llx not in any PT_LOAD",
                                     (unsigned long long) strtab);
        /* The table ends at DT_STRSZ, its segment's file image and the
         * buffer, whichever comes first. */
        if (have_strsz && strsz < str_avail)
                str_avail = strsz;
        if (str_off > r->len)
                return v2c_error_set_kind(err, V2C_ERR_INPUT, EBADMSG, "DT_STRTAB outside the file");
        if (str_avail > r->len - str_off)
                str_avail = r->len - str_off;

        for (size_t i = 0; i < n_needed; i++) {
                char *s = NULL;
                int ret = copy_string(r, str_off, str_avail, needed[i], V2C_ELF_MAX_STRING,
                                      "DT_NEEDED", &s, err);
                if (ret < 0)
                        return ret;
                if (v2c_strv_consume(&info->needed, s) < 0)
                        return v2c_error_set(err, ENOMEM, "out of memory");
        }
        int ret = 0;
        if (have_soname)
                ret = copy_string(r, str_off, str_avail, soname, V2C_ELF_MAX_STRING, "DT_SONAME",
                                  &info->soname, err);
        if (ret == 0 && have_rpath)
                ret = copy_string(r, str_off, str_avail, rpath, V2C_ELF_MAX_STRING, "DT_RPATH",
                                  &info->rpath, err);
        if (ret == 0 && have_runpath)
                ret = copy_string(r, str_off, str_avail, runpath, V2C_ELF_MAX_STRING,
                                  "DT_RUNPATH", &info->runpath, err);
        return ret;
}

int v2c_elf_parse(const void *buf, size_t len, struct v2c_elf_info **out,
                  struct v2c_error **err)
{
        if (!v2c_is_elf(buf, len))
                return v2c_error_set_kind(err, V2C_ERR_INPUT, EINVAL, "not an ELF file");
        const unsigned char *b = buf;
        struct reader r = { .b = b, .len = len, .is64 = b[4] == ELFCLASS64,
                            .be = b[5] == ELFDATA2MSB };
        size_t ehsize = r.is64 ? 64 : 52, phsize = r.is64 ? 56 : 32, shsize = r.is64 ? 64 : 40;
        if (len < ehsize)
                return v2c_error_set_kind(err, V2C_ERR_INPUT, EBADMSG, "truncated ELF header");

        _cleanup_(elf_info_freep) struct v2c_elf_info *info = calloc(1, sizeof *info);
        if (info == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        info->elf_class = r.is64 ? 64 : 32;
        info->big_endian = r.be;
        info->type = (uint16_t) rd(&r, 16, 2);
        info->machine = (uint16_t) rd(&r, 18, 2);
        info->arch = v2c_elf_machine_arch(info->machine, info->elf_class, r.be);

        uint64_t phoff = rdw(&r, r.is64 ? 32 : 28);
        uint64_t shoff = rdw(&r, r.is64 ? 40 : 32);
        size_t phentsize = (size_t) rd(&r, r.is64 ? 54 : 42, 2);
        uint64_t phnum = rd(&r, r.is64 ? 56 : 44, 2);

        /* With 0xffff or more headers the real count is in section 0. */
        if (phnum == PN_XNUM) {
                if (shoff == 0 || !in_range(&r, shoff, shsize))
                        return v2c_error_set_kind(err, V2C_ERR_INPUT, EBADMSG,
                                                  "PN_XNUM without a section header 0");
                phnum = rd(&r, (size_t) shoff + (r.is64 ? 44 : 28), 4);
        }
        if (phnum > V2C_ELF_MAX_PHDRS)
                return v2c_error_set_kind(err, V2C_ERR_INPUT, E2BIG,
                                          "%llu program headers (at most %d)",
                                          (unsigned long long) phnum, V2C_ELF_MAX_PHDRS);
        if (phnum > 0 && phentsize < phsize)
                return v2c_error_set_kind(err, V2C_ERR_INPUT, EBADMSG,
                                          "program header size %zu too small", phentsize);
        /* phnum <= 4096 and phentsize < 65536: the product fits. */
        if (!in_range(&r, phoff, phnum * phentsize))
                return v2c_error_set_kind(err, V2C_ERR_INPUT, EBADMSG,
                                          "program headers outside the file");

        _cleanup_free_ struct phdr *loads = calloc(phnum ? phnum : 1, sizeof *loads);
        if (loads == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        size_t n_loads = 0;
        struct phdr interp = { 0 }, dyn = { 0 };
        bool have_interp = false, have_dyn = false;
        for (uint64_t i = 0; i < phnum; i++) {
                struct phdr p = read_phdr(&r, (size_t) (phoff + i * phentsize));
                if (p.type == PT_LOAD)
                        loads[n_loads++] = p;
                else if (p.type == PT_INTERP && !have_interp) {
                        interp = p;
                        have_interp = true;
                } else if (p.type == PT_DYNAMIC && !have_dyn) {
                        dyn = p;
                        have_dyn = true;
                }
        }

        int ret;
        if (have_interp) {
                if (!in_range(&r, interp.offset, interp.filesz))
                        return v2c_error_set_kind(err, V2C_ERR_INPUT, EBADMSG,
                                                  "PT_INTERP outside the file");
                ret = copy_string(&r, interp.offset, interp.filesz, 0, V2C_ELF_MAX_INTERP,
                                  "PT_INTERP", &info->interp, err);
                if (ret < 0)
                        return ret;
        }
        if (have_dyn) {
                info->dynamic = true;
                ret = parse_dynamic(&r, &dyn, loads, n_loads, info, err);
                if (ret < 0)
                        return ret;
        }
        *out = TAKE_PTR(info);
        return 0;
}

/* ---- "#!" lines ---- */

struct v2c_shebang *v2c_shebang_free(struct v2c_shebang *s)
{
        if (s == NULL)
                return NULL;
        free(s->interpreter);
        v2c_strv_free(s->args);
        free(s->name);
        free(s);
        return NULL;
}

static void shebang_freep(struct v2c_shebang **s)
{
        v2c_shebang_free(*s);
}

static const char *base_name(const char *p)
{
        const char *s = strrchr(p, '/');
        return s ? s + 1 : p;
}

/* The command env(1) would run given these arguments: options and
 * NAME=VALUE assignments are skipped; -S/--split-string only changes how
 * the rest is split, and we split already. */
static const char *env_command(char *const *args)
{
        for (size_t i = 0; args && args[i]; i++) {
                const char *a = args[i];
                if (strcmp(a, "-u") == 0 || strcmp(a, "--unset") == 0 || strcmp(a, "-C") == 0 ||
                    strcmp(a, "--chdir") == 0) {
                        if (args[i + 1])
                                i++;
                        continue;
                }
                if (strncmp(a, "-S", 2) == 0 && a[2] != '\0')
                        return a + 2;   /* "-Spython3": the command is glued on */
                if (a[0] == '-' || strchr(a, '=') != NULL)
                        continue;
                return a;
        }
        return NULL;
}

int v2c_shebang_parse(const void *buf, size_t len, struct v2c_shebang **out,
                      struct v2c_error **err)
{
        const char *b = buf;
        if (len < 2 || b[0] != '#' || b[1] != '!')
                return 0;
        size_t window = len < V2C_SHEBANG_MAX ? len : V2C_SHEBANG_MAX;
        const char *nl = memchr(b, '\n', window);
        if (nl == NULL && len > V2C_SHEBANG_MAX)
                return v2c_error_set_kind(err, V2C_ERR_INPUT, ENOEXEC,
                                          "\"#!\" line longer than %d bytes", V2C_SHEBANG_MAX);
        size_t end = nl ? (size_t) (nl - b) : window;
        if (memchr(b, '\0', end))
                return v2c_error_set_kind(err, V2C_ERR_INPUT, ENOEXEC, "NUL in \"#!\" line");
        while (end > 2 && (v2c_is_blank(b[end - 1]) || b[end - 1] == '\r'))
                end--;

        _cleanup_(shebang_freep) struct v2c_shebang *s = calloc(1, sizeof *s);
        if (s == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        size_t i = 2;
        bool first = true;
        while (i < end) {
                while (i < end && v2c_is_blank(b[i]))
                        i++;
                size_t start = i;
                while (i < end && !v2c_is_blank(b[i]))
                        i++;
                if (i == start)
                        break;
                char *word = strndup(b + start, i - start);
                if (word == NULL)
                        return v2c_error_set(err, ENOMEM, "out of memory");
                if (first) {
                        s->interpreter = word;
                        first = false;
                } else if (v2c_strv_consume(&s->args, word) < 0)
                        return v2c_error_set(err, ENOMEM, "out of memory");
        }
        if (s->interpreter == NULL)
                return v2c_error_set_kind(err, V2C_ERR_INPUT, ENOEXEC,
                                          "\"#!\" line names no interpreter");

        const char *name = base_name(s->interpreter);
        if (strcmp(name, "env") == 0) {
                const char *cmd = env_command(s->args);
                name = cmd ? base_name(cmd) : NULL;
        }
        if (name && (s->name = strdup(name)) == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        *out = TAKE_PTR(s);
        return 1;
}
