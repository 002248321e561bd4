/* How the guest's dynamic linker would find libraries, worked out offline.
 *
 * ld.so.conf (with its `include` globs) gives the configured directories;
 * v2c_ld_resolve follows glibc's order for one DT_NEEDED name; and
 * v2c_ld_closure walks the whole tree of an executable's libraries
 * breadth first, as ld.so loads them.  The guest's files are reached only
 * through the caller's callbacks, and every walk is capped: include depth,
 * files, directories, objects and probes.
 *
 * glibc details kept on purpose: DT_RPATH is ignored when DT_RUNPATH is
 * present (in the same object), the RPATHs of the whole loader chain are
 * searched before the requester's RUNPATH, a name already loaded (by
 * SONAME or by the name it was found as) is not searched again, and a
 * library of the wrong class or machine is skipped.
 */
#include "elf.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "cleanup.h"
#include "strv.h"

#define MAX_PATH 4096

static bool vec_contains(const struct v2c_strvec *sv, const char *s)
{
        for (size_t i = 0; i < sv->n; i++)
                if (strcmp(sv->v[i], s) == 0)
                        return true;
        return false;
}

/* Normalises an absolute directory in place: no repeated or trailing
 * slashes, no "." segments, ".." resolved lexically.  Lexically is not
 * what the kernel does when the segment before ".." is a symlink, but
 * the results are looked up in package databases and deduplicated, which
 * needs one spelling per path; $ORIGIN/../lib is the common case and is
 * meant lexically by whoever wrote it. */
static void normalize_dir(char *p)
{
        size_t w = 0, r = 0;
        while (p[r]) {
                while (p[r] == '/')
                        r++;
                size_t start = r;
                while (p[r] && p[r] != '/')
                        r++;
                size_t seg = r - start;
                if (seg == 0 || (seg == 1 && p[start] == '.'))
                        continue;
                if (seg == 2 && p[start] == '.' && p[start + 1] == '.') {
                        while (w > 0 && p[w - 1] != '/')
                                w--;
                        if (w > 0)
                                w--;
                        continue;
                }
                p[w++] = '/';
                memmove(p + w, p + start, seg);
                w += seg;
        }
        if (w == 0)
                p[w++] = '/';
        p[w] = '\0';
}

/* ---- ld.so.conf ---- */

struct conf_state {
        const struct v2c_ldconf_ops *ops;
        void *ctx;
        struct v2c_strvec dirs;
        struct v2c_strvec files;    /* read already: an include loop reads each once */
};

static int add_conf_dir(struct conf_state *st, const char *s, size_t len, struct v2c_error **err)
{
        /* "dir=TYPE" is the libc5-era syntax ldconfig still accepts. */
        const char *eq = memchr(s, '=', len);
        if (eq)
                len = (size_t) (eq - s);
        while (len > 0 && isspace((unsigned char) s[len - 1]))
                len--;
        if (len == 0 || s[0] != '/' || len > MAX_PATH || memchr(s, '\0', len))
                return 0;   /* ldconfig ignores relative directories too */
        char *d = strndup(s, len);
        if (d == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        normalize_dir(d);
        if (vec_contains(&st->dirs, d)) {
                free(d);
                return 0;
        }
        if (st->dirs.n >= V2C_LDCONF_MAX_DIRS) {
                free(d);
                return v2c_error_set_kind(err, V2C_ERR_INPUT, E2BIG,
                                          "more than %d library directories", V2C_LDCONF_MAX_DIRS);
        }
        if (v2c_strvec_consume(&st->dirs, d) < 0)
                return v2c_error_set(err, ENOMEM, "out of memory");
        return 0;
}

static int parse_conf(struct conf_state *st, const char *path, const char *data, size_t len,
                      unsigned depth, struct v2c_error **err);

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *) a, *(char *const *) b);
}

static int include_file(struct conf_state *st, const char *file, unsigned depth,
                        struct v2c_error **err)
{
        if (vec_contains(&st->files, file))
                return 0;
        if (depth > V2C_LDCONF_MAX_DEPTH)
                return v2c_error_set_kind(err, V2C_ERR_INPUT, ELOOP,
                                          "includes nested deeper than %d", V2C_LDCONF_MAX_DEPTH);
        if (st->files.n >= V2C_LDCONF_MAX_FILES)
                return v2c_error_set_kind(err, V2C_ERR_INPUT, E2BIG,
                                          "more than %d ld.so.conf files", V2C_LDCONF_MAX_FILES);
        if (v2c_strvec_consume(&st->files, strdup(file)) < 0)
                return v2c_error_set(err, ENOMEM, "out of memory");

        _cleanup_free_ char *data = NULL;
        size_t len = 0;
        int r = st->ops->read(st->ctx, file, &data, &len, err);
        if (r == -ENOENT) {
                /* A dangling match is not worth failing for. */
                if (err)
                        *err = v2c_error_free(*err);
                return 0;
        }
        if (r < 0)
                return v2c_error_prefix(err, r, "reading `%s`", file);
        if (len > V2C_LDCONF_MAX_SIZE)
                return v2c_error_set_kind(err, V2C_ERR_INPUT, E2BIG, "`%s` is larger than %d bytes",
                                          file, V2C_LDCONF_MAX_SIZE);
        return parse_conf(st, file, data ? data : "", len, depth, err);
}

static int include_pattern(struct conf_state *st, const char *path, const char *pat,
                           size_t pat_len, unsigned depth, struct v2c_error **err)
{
        if (st->ops == NULL || st->ops->glob == NULL || st->ops->read == NULL)
                return 0;
        _cleanup_free_ char *pattern = NULL;
        if (pat[0] == '/')
                pattern = strndup(pat, pat_len);
        else {
                /* Relative to the directory of the including file. */
                const char *slash = strrchr(path, '/');
                if (slash == NULL)
                        return 0;
                if (asprintf(&pattern, "%.*s/%.*s", (int) (slash - path), path, (int) pat_len,
                             pat) < 0)
                        pattern = NULL;
        }
        if (pattern == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");

        _cleanup_strv_ char **matches = NULL;
        int r = st->ops->glob(st->ctx, pattern, &matches, err);
        if (r < 0)
                return v2c_error_prefix(err, r, "expanding `%s`", pattern);
        size_t n = v2c_strv_len(matches);
        if (n > 1)
                qsort(matches, n, sizeof *matches, cmp_str);
        for (size_t i = 0; i < n; i++) {
                r = include_file(st, matches[i], depth + 1, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

static bool word_is(const char *s, size_t len, const char *word)
{
        size_t wl = strlen(word);
        return len > wl && strncasecmp(s, word, wl) == 0 && (s[wl] == ' ' || s[wl] == '\t');
}

static int parse_conf(struct conf_state *st, const char *path, const char *data, size_t len,
                      unsigned depth, struct v2c_error **err)
{
        size_t pos = 0, lineno = 0;
        while (pos < len) {
                const char *line = data + pos;
                const char *nl = memchr(line, '\n', len - pos);
                size_t ll = nl ? (size_t) (nl - line) : len - pos;
                pos += ll + (nl ? 1 : 0);
                lineno++;

                const char *hash = memchr(line, '#', ll);
                if (hash)
                        ll = (size_t) (hash - line);
                while (ll > 0 && isspace((unsigned char) *line)) {
                        line++;
                        ll--;
                }
                while (ll > 0 && isspace((unsigned char) line[ll - 1]))
                        ll--;
                if (ll == 0 || memchr(line, '\0', ll))
                        continue;

                int r = 0;
                /* ldconfig matches "include" case-sensitively, "hwcap" not. */
                if (ll > 7 && strncmp(line, "include", 7) == 0 && (line[7] == ' ' || line[7] == '\t')) {
                        size_t i = 8;
                        while (r == 0 && i < ll) {
                                while (i < ll && (line[i] == ' ' || line[i] == '\t'))
                                        i++;
                                size_t start = i;
                                while (i < ll && line[i] != ' ' && line[i] != '\t')
                                        i++;
                                if (i > start)
                                        r = include_pattern(st, path, line + start, i - start,
                                                            depth, err);
                        }
                } else if (word_is(line, ll, "hwcap")) {
                        continue;
                } else {
                        r = add_conf_dir(st, line, ll, err);
                }
                if (r < 0)
                        return v2c_error_prefix(err, r, "`%s`, line %zu", path, lineno);
        }
        return 0;
}

int v2c_ldconf_parse(const char *path, const char *data, size_t len,
                     const struct v2c_ldconf_ops *ops, void *ctx, char ***dirs,
                     struct v2c_error **err)
{
        struct conf_state st = { .ops = ops, .ctx = ctx };
        int r = v2c_strvec_consume(&st.files, strdup(path));
        if (r < 0)
                r = v2c_error_set(err, ENOMEM, "out of memory");
        else if (len > V2C_LDCONF_MAX_SIZE)
                r = v2c_error_set_kind(err, V2C_ERR_INPUT, E2BIG, "`%s` is larger than %d bytes",
                                       path, V2C_LDCONF_MAX_SIZE);
        else
                r = parse_conf(&st, path, data, len, 0, err);
        v2c_strvec_release(&st.files);
        if (r < 0) {
                v2c_strvec_release(&st.dirs);
                return r;
        }
        *dirs = st.dirs.v;
        return 0;
}

int v2c_ldconf_load(const char *path, const struct v2c_ldconf_ops *ops, void *ctx,
                    char ***dirs, struct v2c_error **err)
{
        _cleanup_free_ char *data = NULL;
        size_t len = 0;
        int r = ops->read(ctx, path, &data, &len, err);
        if (r < 0)
                return v2c_error_prefix(err, r, "reading `%s`", path);
        return v2c_ldconf_parse(path, data ? data : "", len, ops, ctx, dirs, err);
}

/* ---- per-arch knowledge ---- */

struct arch_info {
        const char *arch;
        const char *platform;       /* $PLATFORM (AT_PLATFORM) */
        const char *const *libs;    /* $LIB candidates, NULL-terminated */
        const char *const *dirs;    /* built-in search directories */
};

#define ARCH(name, plat, triplet, lib64)                                                       \
        { name, plat, (const char *const[]){ "lib/" triplet, lib64, NULL },                    \
          (const char *const[]){ "/lib/" triplet, "/usr/lib/" triplet, "/" lib64, "/usr/" lib64, \
                                 "/lib", "/usr/lib", NULL } }

static const struct arch_info arches[] = {
        ARCH("x86_64", "x86_64", "x86_64-linux-gnu", "lib64"),
        ARCH("aarch64", "aarch64", "aarch64-linux-gnu", "lib64"),
        ARCH("ppc64le", "powerpc64le", "powerpc64le-linux-gnu", "lib64"),
        ARCH("ppc64", "powerpc64", "powerpc64-linux-gnu", "lib64"),
        ARCH("s390x", "s390x", "s390x-linux-gnu", "lib64"),
        ARCH("riscv64", "riscv64", "riscv64-linux-gnu", "lib64/lp64d"),
        ARCH("mips64el", "mips64el", "mips64el-linux-gnuabi64", "lib64"),
        ARCH("loongarch64", "loongarch64", "loongarch64-linux-gnu", "lib64"),
        ARCH("sparc64", "sparc64", "sparc64-linux-gnu", "lib64"),
        /* 32-bit: Debian's biarch packages put them in lib32. */
        ARCH("i386", "i686", "i386-linux-gnu", "lib32"),
        ARCH("arm", "v7l", "arm-linux-gnueabihf", "lib32"),
        ARCH("mipsel", "mipsel", "mipsel-linux-gnu", "lib32"),
        ARCH("ppc", "ppc", "powerpc-linux-gnu", "lib32"),
        ARCH("s390", "s390", "s390-linux-gnu", "lib32"),
};

static const char *const generic_dirs[] = { "/lib64", "/usr/lib64", "/lib", "/usr/lib", NULL };
static const char *const generic_libs[] = { "lib64", "lib", NULL };
static const char *const musl_dirs[] = { "/lib", "/usr/local/lib", "/usr/lib", NULL };

static const struct arch_info *find_arch(const char *arch)
{
        for (size_t i = 0; arch && i < V2C_ARRAY_SIZE(arches); i++)
                if (strcmp(arches[i].arch, arch) == 0)
                        return &arches[i];
        return NULL;
}

const char *const *v2c_ld_default_dirs(const char *arch, const char *interp)
{
        if (interp && strstr(interp, "ld-musl-"))
                return musl_dirs;
        const struct arch_info *a = find_arch(arch);
        return a ? a->dirs : generic_dirs;
}

/* ---- $ORIGIN and friends ---- */

/* Matches "$NAME" or "${NAME}" at s (s[0] == '$'); returns the length
 * consumed, 0 when it is not that token.  The bare form must end the
 * element or be followed by '/', as glibc's is_dst requires. */
static size_t match_dst(const char *s, size_t len, const char *name)
{
        size_t nl = strlen(name);
        if (len >= nl + 3 && s[1] == '{' && strncmp(s + 2, name, nl) == 0 && s[2 + nl] == '}')
                return nl + 3;
        if (len >= nl + 1 && strncmp(s + 1, name, nl) == 0 && (len == nl + 1 || s[1 + nl] == '/'))
                return nl + 1;
        return 0;
}

/* Expands one element with one $LIB choice; returns 0 and *out (new) or
 * NULL when the element cannot be used. */
static int expand_element(const char *s, size_t len, const char *origin_dir, const char *lib,
                          const char *platform, char **out)
{
        struct v2c_buf b;
        v2c_buf_init(&b, MAX_PATH);
        int r = 0;
        *out = NULL;
        for (size_t i = 0; r == 0 && i < len;) {
                size_t m;
                const char *value = NULL;
                if (s[i] != '$') {
                        const char *dollar = memchr(s + i, '$', len - i);
                        size_t n = dollar ? (size_t) (dollar - (s + i)) : len - i;
                        r = v2c_buf_append(&b, s + i, n);
                        i += n;
                        continue;
                }
                if ((m = match_dst(s + i, len - i, "ORIGIN")))
                        value = origin_dir;
                else if ((m = match_dst(s + i, len - i, "LIB")))
                        value = lib;
                else if ((m = match_dst(s + i, len - i, "PLATFORM")))
                        value = platform;
                else {
                        r = v2c_buf_append(&b, "$", 1);
                        i++;
                        continue;
                }
                if (value == NULL) {
                        /* A known token with an unknown value: glibc drops
                         * the element too. */
                        v2c_buf_release(&b);
                        return 0;
                }
                r = v2c_buf_appends(&b, value);
                i += m;
        }
        if (r == -E2BIG || b.len == 0 || b.data[0] != '/') {
                v2c_buf_release(&b);
                return 0;
        }
        if (r < 0) {
                v2c_buf_release(&b);
                return r;
        }
        normalize_dir(b.data);
        *out = v2c_buf_steal(&b);
        return *out ? 0 : -ENOMEM;
}

static bool has_lib_token(const char *s, size_t len)
{
        for (size_t i = 0; i < len; i++)
                if (s[i] == '$' && match_dst(s + i, len - i, "LIB"))
                        return true;
        return false;
}

static int expand_path(const char *list, const char *origin_path, const char *arch,
                       struct v2c_strvec *dirs)
{
        const struct arch_info *a = find_arch(arch);
        const char *const *libs = a ? a->libs : generic_libs;
        const char *platform = a ? a->platform : arch;

        _cleanup_free_ char *origin_dir = NULL;
        const char *slash = origin_path ? strrchr(origin_path, '/') : NULL;
        if (slash) {
                size_t n = (size_t) (slash - origin_path);
                origin_dir = n ? strndup(origin_path, n) : strdup("/");
                if (origin_dir == NULL)
                        return -ENOMEM;
        }

        size_t len = strlen(list), pos = 0;
        while (pos <= len) {
                const char *el = list + pos;
                const char *colon = memchr(el, ':', len - pos);
                size_t el_len = colon ? (size_t) (colon - el) : len - pos;
                pos += el_len + 1;
                if (el_len == 0)
                        continue;
                bool multi = has_lib_token(el, el_len);
                for (size_t k = 0; multi ? libs[k] != NULL : k == 0; k++) {
                        char *d = NULL;
                        int r = expand_element(el, el_len, origin_dir, multi ? libs[k] : NULL,
                                               platform, &d);
                        if (r < 0)
                                return r;
                        if (d == NULL)
                                continue;
                        if (vec_contains(dirs, d)) {
                                free(d);
                                continue;
                        }
                        if (v2c_strvec_consume(dirs, d) < 0)
                                return -ENOMEM;
                }
        }
        return 0;
}

int v2c_ld_expand_path(const char *list, const char *origin_path, const char *arch,
                       char ***dirs, struct v2c_error **err)
{
        struct v2c_strvec v = { 0 };
        int r = expand_path(list, origin_path, arch, &v);
        if (r < 0) {
                v2c_strvec_release(&v);
                return v2c_error_set(err, -r, "expanding `%s`", list);
        }
        *dirs = v.v;
        return 0;
}

/* ---- resolving one name ---- */

typedef int (*probe_fn)(void *ctx, const char *path, struct v2c_error **err);

/* Probes dir/name; 1 and *found (new) when accepted. */
static int probe_in(const char *dir, const char *needed, probe_fn probe, void *ctx,
                    char **found, struct v2c_error **err)
{
        _cleanup_free_ char *p = NULL;
        size_t dl = strlen(dir);
        if (asprintf(&p, "%s%s%s", dir, dl && dir[dl - 1] == '/' ? "" : "/", needed) < 0)
                return v2c_error_set(err, ENOMEM, "out of memory");
        if (strlen(p) > MAX_PATH)
                return 0;
        int r = probe(ctx, p, err);
        if (r > 0)
                *found = TAKE_PTR(p);
        return r > 0 ? 1 : r;
}

static int probe_list(char *const *dirs, const char *needed, probe_fn probe, void *ctx,
                      char **found, struct v2c_error **err)
{
        for (size_t i = 0; dirs && dirs[i]; i++) {
                int r = probe_in(dirs[i], needed, probe, ctx, found, err);
                if (r != 0)
                        return r;
        }
        return 0;
}

static int probe_expanded(const struct v2c_ld_search *search, const char *list,
                          const char *origin_path, const char *needed, probe_fn probe, void *ctx,
                          char **found, struct v2c_error **err)
{
        struct v2c_strvec dirs = { 0 };
        int r = expand_path(list, origin_path, search->arch, &dirs);
        if (r < 0)
                r = v2c_error_set(err, -r, "out of memory");
        else
                r = probe_list(dirs.v, needed, probe, ctx, found, err);
        v2c_strvec_release(&dirs);
        return r;
}

static int resolve(const struct v2c_ld_search *search, const char *needed,
                   const struct v2c_ld_object *chain, size_t n_chain, probe_fn probe, void *ctx,
                   char **found, struct v2c_error **err)
{
        if (needed[0] == '\0' || strlen(needed) > MAX_PATH)
                return 0;
        if (strchr(needed, '/')) {
                if (needed[0] != '/')
                        return 0;   /* relative to the process' cwd: unknowable */
                _cleanup_free_ char *p = strdup(needed);
                if (p == NULL)
                        return v2c_error_set(err, ENOMEM, "out of memory");
                int r = probe(ctx, p, err);
                if (r > 0)
                        *found = TAKE_PTR(p);
                return r > 0 ? 1 : r;
        }

        int r = 0;
        if (n_chain == 0 || chain[0].runpath == NULL) {
                for (size_t i = 0; r == 0 && i < n_chain; i++)
                        if (chain[i].rpath && !chain[i].runpath)
                                r = probe_expanded(search, chain[i].rpath, chain[i].path, needed,
                                                   probe, ctx, found, err);
        }
        if (r == 0 && n_chain > 0 && chain[0].runpath)
                r = probe_expanded(search, chain[0].runpath, chain[0].path, needed, probe, ctx,
                                   found, err);
        if (r == 0)
                r = probe_list(search->conf_dirs, needed, probe, ctx, found, err);
        if (r == 0) {
                const char *const *defaults = search->default_dirs
                                                      ? search->default_dirs
                                                      : v2c_ld_default_dirs(search->arch, NULL);
                r = probe_list((char *const *) defaults, needed, probe, ctx, found, err);
        }
        return r;
}

struct exists_ctx {
        v2c_ld_exists_fn exists;
        void *ctx;
};

static int probe_exists(void *ctx, const char *path, struct v2c_error **err)
{
        struct exists_ctx *e = ctx;
        int r = e->exists(e->ctx, path);
        if (r < 0)
                return v2c_error_set(err, -r, "checking `%s`", path);
        return r;
}

int v2c_ld_resolve(const struct v2c_ld_search *search, const char *needed,
                   const struct v2c_ld_object *chain, size_t n_chain,
                   v2c_ld_exists_fn exists, void *ctx, char **path, struct v2c_error **err)
{
        struct exists_ctx e = { exists, ctx };
        return resolve(search, needed, chain, n_chain, probe_exists, &e, path, err);
}

/* ---- the closure ---- */

struct object {
        char *path;                    /* NULL for the root when not given */
        const struct v2c_elf_info *view;  /* root's (borrowed) or info */
        struct v2c_elf_info *info;     /* owned; NULL for the root and for STOP */
        size_t loader;                 /* index; the root's is itself */
        bool follow;
};

/* A name under which an object is loaded: its SONAME, the NEEDED string
 * it was found for. */
struct known {
        const char *name;              /* borrowed from an object's info */
        size_t obj;
};

struct walker {
        const struct v2c_ld_search *search;
        const struct v2c_elf_info *root;
        v2c_ld_load_fn load;
        void *ctx;
        struct object *objs;
        size_t n_objs, max_objs;
        struct known *known;
        size_t n_known, cap_known;
        size_t probes;
        /* what the last accepted probe produced */
        struct v2c_elf_info *hit_info;
        int hit_result;
        size_t hit_obj;                /* SIZE_MAX: a new object */
};

/* Total NEEDED entries the walk looks at: 512 objects of 1024 NEEDED each
 * would be half a million searches. */
#define MAX_NEEDED_TOTAL 65536

static int add_known(struct walker *w, const char *name, size_t obj)
{
        if (name == NULL)
                return 0;
        if (w->n_known == w->cap_known) {
                size_t ncap = w->cap_known ? w->cap_known * 2 : 64;
                struct known *n = realloc(w->known, ncap * sizeof *n);
                if (n == NULL)
                        return -ENOMEM;
                w->known = n;
                w->cap_known = ncap;
        }
        w->known[w->n_known++] = (struct known){ name, obj };
        return 0;
}

static bool find_known(const struct walker *w, const char *name, size_t *obj)
{
        for (size_t i = 0; i < w->n_known; i++)
                if (strcmp(w->known[i].name, name) == 0) {
                        *obj = w->known[i].obj;
                        return true;
                }
        return false;
}

static int walker_probe(void *ctx, const char *path, struct v2c_error **err)
{
        struct walker *w = ctx;
        for (size_t i = 1; i < w->n_objs; i++)
                if (strcmp(w->objs[i].path, path) == 0) {
                        w->hit_obj = i;
                        return 1;
                }
        if (w->probes >= V2C_LD_MAX_PROBES || w->n_objs >= w->max_objs)
                return -ECANCELED;
        w->probes++;

        struct v2c_elf_info *info = NULL;
        int r = w->load(w->ctx, path, &info, err);
        if (r < 0) {
                v2c_elf_info_free(info);
                return v2c_error_prefix(err, r, "loading `%s`", path);
        }
        if (r == V2C_LD_LOAD_ABSENT ||
            (info && (info->elf_class != w->root->elf_class || info->machine != w->root->machine))) {
                v2c_elf_info_free(info);
                return 0;
        }
        w->hit_info = info;
        w->hit_result = r;
        w->hit_obj = SIZE_MAX;
        return 1;
}

static void walker_release(struct walker *w)
{
        for (size_t i = 0; i < w->n_objs; i++) {
                free(w->objs[i].path);
                v2c_elf_info_free(w->objs[i].info);
        }
        free(w->objs);
        free(w->known);
        v2c_elf_info_free(w->hit_info);
}

struct v2c_ld_closure *v2c_ld_closure_free(struct v2c_ld_closure *c)
{
        if (c == NULL)
                return NULL;
        v2c_strv_free(c->paths);
        v2c_strv_free(c->missing);
        free(c);
        return NULL;
}

/* Resolves one NEEDED name of object i; sets *stop when a cap is hit. */
static int walk_one(struct walker *w, size_t i, const char *name, struct v2c_ld_object *chain,
                    struct v2c_strvec *missing, bool *stop, struct v2c_error **err)
{
        size_t obj;
        if (find_known(w, name, &obj))
                return 0;

        /* The loader chain, requester first, up to the root. */
        size_t n_chain = 0;
        for (size_t k = i;; k = w->objs[k].loader) {
                const struct v2c_elf_info *v = w->objs[k].view;
                chain[n_chain++] = (struct v2c_ld_object){ w->objs[k].path, v ? v->rpath : NULL,
                                                           v ? v->runpath : NULL };
                if (k == 0 || n_chain > w->n_objs)
                        break;
        }

        char *found = NULL;
        w->hit_obj = SIZE_MAX;
        int r = resolve(w->search, name, chain, n_chain, walker_probe, w, &found, err);
        if (r == -ECANCELED) {
                *stop = true;
                return 0;
        }
        if (r < 0)
                return r;
        if (r == 0)
                return v2c_strvec_consume(missing, strdup(name)) < 0
                               ? v2c_error_set(err, ENOMEM, "out of memory")
                               : 0;
        if (w->hit_obj != SIZE_MAX) {
                free(found);
                const struct v2c_elf_info *v = w->objs[w->hit_obj].view;
                /* The name string must outlive the walk: borrow the
                 * requester's copy, which stays until the end. */
                return add_known(w, name, w->hit_obj) < 0 || (v && add_known(w, v->soname, w->hit_obj) < 0)
                               ? v2c_error_set(err, ENOMEM, "out of memory")
                               : 0;
        }
        struct object *o = &w->objs[w->n_objs];
        *o = (struct object){ .path = found, .info = TAKE_PTR(w->hit_info), .loader = i };
        o->view = o->info;
        o->follow = w->hit_result == V2C_LD_LOAD_FOLLOW && o->info != NULL;
        size_t idx = w->n_objs++;
        if (add_known(w, name, idx) < 0 || (o->info && add_known(w, o->info->soname, idx) < 0))
                return v2c_error_set(err, ENOMEM, "out of memory");
        return 0;
}

int v2c_ld_closure(const struct v2c_ld_search *search, const char *root_path,
                   const struct v2c_elf_info *root, v2c_ld_load_fn load, void *ctx,
                   size_t max_objects, struct v2c_ld_closure **out, struct v2c_error **err)
{
        if (max_objects == 0 || max_objects > V2C_LD_MAX_OBJECTS)
                max_objects = V2C_LD_MAX_OBJECTS;
        struct walker w = { .search = search, .root = root, .load = load, .ctx = ctx,
                            .max_objs = max_objects + 1 };
        struct v2c_strvec missing = { 0 };
        _cleanup_free_ struct v2c_ld_object *chain = NULL;
        int r = 0;
        bool stop = false;
        size_t total_needed = 0;

        w.objs = calloc(w.max_objs, sizeof *w.objs);
        chain = calloc(w.max_objs + 1, sizeof *chain);
        if (w.objs == NULL || chain == NULL) {
                r = v2c_error_set(err, ENOMEM, "out of memory");
                goto out;
        }
        w.objs[0] = (struct object){ .view = root, .loader = 0, .follow = true };
        if (root_path && (w.objs[0].path = strdup(root_path)) == NULL) {
                r = v2c_error_set(err, ENOMEM, "out of memory");
                goto out;
        }
        w.n_objs = 1;
        /* ld.so is loaded before any library, under the basename of
         * PT_INTERP: libc's NEEDED "ld-linux-x86-64.so.2" is that one. */
        const char *interp_name = root->interp ? strrchr(root->interp, '/') : NULL;
        interp_name = interp_name ? interp_name + 1 : root->interp;
        if (add_known(&w, root->soname, 0) < 0 || add_known(&w, interp_name, 0) < 0) {
                r = v2c_error_set(err, ENOMEM, "out of memory");
                goto out;
        }

        for (size_t i = 0; !stop && i < w.n_objs; i++) {
                if (!w.objs[i].follow)
                        continue;
                char *const *needed = w.objs[i].view->needed;
                for (size_t j = 0; !stop && needed && needed[j]; j++) {
                        if (++total_needed > MAX_NEEDED_TOTAL) {
                                stop = true;
                                break;
                        }
                        r = walk_one(&w, i, needed[j], chain, &missing, &stop, err);
                        if (r < 0)
                                goto out;
                }
        }

        struct v2c_ld_closure *c = calloc(1, sizeof *c);
        if (c == NULL) {
                r = v2c_error_set(err, ENOMEM, "out of memory");
                goto out;
        }
        struct v2c_strvec paths = { 0 };
        for (size_t i = 1; i < w.n_objs; i++)
                if (v2c_strvec_consume(&paths, strdup(w.objs[i].path)) < 0) {
                        v2c_strvec_release(&paths);
                        free(c);
                        r = v2c_error_set(err, ENOMEM, "out of memory");
                        goto out;
                }
        v2c_strv_sort_uniq(paths.v);
        v2c_strv_sort_uniq(missing.v);
        c->paths = paths.v;
        c->missing = TAKE_PTR(missing.v);
        c->truncated = stop;
        *out = c;
out:
        v2c_strvec_release(&missing);
        walker_release(&w);
        return r;
}
