/* dpkg's database: /var/lib/dpkg/status and the .list files of
 * /var/lib/dpkg/info.
 *
 * The status file is deb822: stanzas of "Field: value" lines separated by
 * blank lines, values continued on lines that start with a space or tab.
 * Only the fields the inspector uses are kept; the rest are skipped
 * without being copied.  Input comes from a guest disk: (data, len), not
 * NUL-terminated, every stored value capped at V2C_PKG_MAX_FIELD.
 */
#include "pkgdb.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "cleanup.h"
#include "text.h"

/* strndup that refuses embedded NULs: a name with one would compare
 * differently from what the disk shows. */
static int dup_value(const char *s, size_t len, char **out)
{
        if (len > V2C_PKG_MAX_FIELD)
                return -E2BIG;
        if (memchr(s, '\0', len))
                return -EINVAL;
        char *d = strndup(s, len);
        if (d == NULL)
                return -ENOMEM;
        free(*out);
        *out = d;
        return 0;
}

static int push_alt(struct v2c_dep *dep, const char *name, size_t name_len, const char *cons,
                    size_t cons_len)
{
        if (dep->n_alts >= V2C_PKG_MAX_ALTS)
                return -E2BIG;
        struct v2c_dep_alt alt = { 0 };
        int r = dup_value(name, name_len, &alt.name);
        if (r == 0 && cons)
                r = dup_value(cons, cons_len, &alt.constraint);
        if (r == 0) {
                struct v2c_dep_alt *n = realloc(dep->alts, (dep->n_alts + 1) * sizeof *n);
                if (n == NULL)
                        r = -ENOMEM;
                else {
                        dep->alts = n;
                        dep->alts[dep->n_alts++] = alt;
                        return 0;
                }
        }
        free(alt.name);
        free(alt.constraint);
        return r;
}

static void dep_clear(struct v2c_dep *dep)
{
        for (size_t j = 0; j < dep->n_alts; j++) {
                free(dep->alts[j].name);
                free(dep->alts[j].constraint);
        }
        free(dep->alts);
        dep->alts = NULL;
        dep->n_alts = 0;
}

/* One alternative: "name[:arch] [(constraint)] [[arch list]] [<profiles>]". */
static int parse_alt(struct v2c_dep *dep, const char *s, size_t len)
{
        v2c_span_trim(&s, &len, V2C_SPACES);
        size_t i = 0;
        while (i < len && !isspace((unsigned char) s[i]) && s[i] != '(' && s[i] != ':' &&
               s[i] != '[' && s[i] != '<')
                i++;
        size_t name_len = i;
        if (name_len == 0)
                return 0;
        while (i < len && s[i] != '(' && s[i] != '[' && s[i] != '<')
                i++;
        const char *cons = NULL;
        size_t cons_len = 0;
        if (i < len && s[i] == '(') {
                const char *close = memchr(s + i, ')', len - i);
                cons = s + i + 1;
                cons_len = close ? (size_t) (close - cons) : len - i - 1;
                v2c_span_trim(&cons, &cons_len, V2C_SPACES);
                if (cons_len == 0)
                        cons = NULL;
        }
        int r = push_alt(dep, s, name_len, cons, cons_len);
        return r == -EINVAL ? 0 : r;   /* a NUL in a name: drop that alternative */
}

int v2c_dpkg_parse_depends(const char *s, size_t len, struct v2c_dep **deps, size_t *n,
                           struct v2c_error **err)
{
        struct v2c_dep *v = NULL;
        size_t count = 0, cap = 0;
        int r = 0;
        size_t pos = 0;
        while (pos < len) {
                const char *item = s + pos;
                const char *comma = memchr(item, ',', len - pos);
                size_t item_len = comma ? (size_t) (comma - item) : len - pos;
                pos += item_len + (comma ? 1 : 0);

                struct v2c_dep dep = { 0 };
                size_t ap = 0;
                while (ap < item_len) {
                        const char *alt = item + ap;
                        const char *bar = memchr(alt, '|', item_len - ap);
                        size_t alt_len = bar ? (size_t) (bar - alt) : item_len - ap;
                        ap += alt_len + (bar ? 1 : 0);
                        r = parse_alt(&dep, alt, alt_len);
                        if (r < 0) {
                                dep_clear(&dep);
                                goto fail;
                        }
                }
                if (dep.n_alts == 0)
                        continue;
                if (count >= V2C_PKG_MAX_DEPS)
                        r = -E2BIG;
                else if (count == cap) {
                        size_t ncap = cap ? cap * 2 : 8;
                        struct v2c_dep *nv = realloc(v, ncap * sizeof *nv);
                        if (nv == NULL)
                                r = -ENOMEM;
                        else {
                                v = nv;
                                cap = ncap;
                        }
                }
                if (r < 0) {
                        dep_clear(&dep);
                        goto fail;
                }
                v[count++] = dep;
        }
        *deps = v;
        *n = count;
        return 0;
fail:
        v2c_deps_free(v, count);
        if (r == -E2BIG)
                return v2c_error_set(err, E2BIG, "more than %d dependencies or %d alternatives",
                                     V2C_PKG_MAX_DEPS, V2C_PKG_MAX_ALTS);
        return v2c_error_set(err, -r, "parsing dependencies");
}

enum field {
        F_NONE,
        F_PACKAGE,
        F_ARCH,
        F_VERSION,
        F_STATUS,
        F_ESSENTIAL,
        F_PRIORITY,
        F_SECTION,
        F_SOURCE,
        F_INSTALLED_SIZE,
        F_DEPENDS,
        F_PRE_DEPENDS,
        F_PROVIDES,
        F_CONFFILES,
        F_DESCRIPTION,
};

static const struct {
        const char *name;
        enum field field;
        bool multiline;   /* continuation lines matter */
} fields[] = {
        { "Package", F_PACKAGE, false },
        { "Architecture", F_ARCH, false },
        { "Version", F_VERSION, false },
        { "Status", F_STATUS, false },
        { "Essential", F_ESSENTIAL, false },
        { "Priority", F_PRIORITY, false },
        { "Section", F_SECTION, false },
        { "Source", F_SOURCE, false },
        { "Installed-Size", F_INSTALLED_SIZE, false },
        { "Depends", F_DEPENDS, true },
        { "Pre-Depends", F_PRE_DEPENDS, true },
        { "Provides", F_PROVIDES, true },
        { "Conffiles", F_CONFFILES, true },
        { "Description", F_DESCRIPTION, false },
};

static const struct {
        const char *word;
        enum v2c_pkg_state state;
} states[] = {
        { "not-installed", V2C_PKG_STATE_NOT_INSTALLED },
        { "config-files", V2C_PKG_STATE_CONFIG_FILES },
        { "half-installed", V2C_PKG_STATE_HALF_INSTALLED },
        { "unpacked", V2C_PKG_STATE_UNPACKED },
        { "half-configured", V2C_PKG_STATE_HALF_CONFIGURED },
        { "triggers-awaited", V2C_PKG_STATE_TRIGGERS_AWAITED },
        { "triggers-pending", V2C_PKG_STATE_TRIGGERS_PENDING },
        { "installed", V2C_PKG_STATE_INSTALLED },
};

/* "want flag state", e.g. "install ok installed" or "hold ok installed":
 * the want (what the admin asked for) does not change what is on disk. */
static void parse_status(struct v2c_pkg *p)
{
        const char *w[3] = { 0 };
        size_t wl[3] = { 0 };
        const char *s = p->status;
        for (int i = 0; i < 3; i++) {
                while (*s == ' ' || *s == '\t')
                        s++;
                w[i] = s;
                while (*s && *s != ' ' && *s != '\t')
                        s++;
                wl[i] = (size_t) (s - w[i]);
        }
        p->state = V2C_PKG_STATE_UNKNOWN;
        for (size_t i = 0; i < V2C_ARRAY_SIZE(states); i++)
                if (wl[2] == strlen(states[i].word) && strncmp(w[2], states[i].word, wl[2]) == 0)
                        p->state = states[i].state;
        bool ok = wl[1] == 2 && strncmp(w[1], "ok", 2) == 0;
        p->installed = ok && (p->state == V2C_PKG_STATE_INSTALLED ||
                              p->state == V2C_PKG_STATE_TRIGGERS_PENDING ||
                              p->state == V2C_PKG_STATE_TRIGGERS_AWAITED);
}

static uint64_t parse_u64(const char *s, size_t len)
{
        uint64_t v = 0;
        for (size_t i = 0; i < len && isdigit((unsigned char) s[i]); i++) {
                unsigned d = (unsigned) (s[i] - '0');
                if (v > (UINT64_MAX - d) / 10)
                        return UINT64_MAX;
                v = v * 10 + d;
        }
        return v;
}

/* " /etc/foo.conf 0123...cdef [obsolete] [remove-on-upgrade]": dpkg reads
 * the flags and the hash from the end, since the path may hold spaces. */
static int parse_conffile_line(struct v2c_pkg *p, const char *s, size_t len)
{
        v2c_span_trim(&s, &len, V2C_SPACES);
        if (len == 0)
                return 0;
        bool obsolete = false;
        for (;;) {
                const char *sp = NULL;
                for (size_t i = len; i > 0; i--)
                        if (v2c_is_blank(s[i - 1])) {
                                sp = s + i - 1;
                                break;
                        }
                if (sp == NULL)
                        return 0;   /* a path without a hash: ignore the line */
                const char *word = sp + 1;
                size_t wl = len - (size_t) (word - s);
                if ((wl == 8 && strncmp(word, "obsolete", 8) == 0) ||
                    (wl == 17 && strncmp(word, "remove-on-upgrade", 17) == 0)) {
                        if (wl == 8)
                                obsolete = true;
                        len = (size_t) (sp - s);
                        v2c_span_trim(&s, &len, V2C_SPACES);
                        continue;
                }
                size_t path_len = (size_t) (sp - s);
                v2c_span_trim(&s, &path_len, V2C_SPACES);
                if (path_len == 0)
                        return 0;
                if (p->n_conffiles >= V2C_PKG_MAX_CONFFILES)
                        return -E2BIG;
                struct v2c_conffile cf = { .obsolete = obsolete };
                int r = v2c_pkg_path_normalize(s, path_len, &cf.path);
                if (r == -EINVAL || r == -ENAMETOOLONG)
                        return 0;
                if (r < 0)
                        return r;
                r = dup_value(word, wl, &cf.md5);
                if (r == 0) {
                        struct v2c_conffile *n = realloc(p->conffiles,
                                                         (p->n_conffiles + 1) * sizeof *n);
                        if (n) {
                                p->conffiles = n;
                                p->conffiles[p->n_conffiles++] = cf;
                                return 0;
                        }
                        r = -ENOMEM;
                }
                free(cf.path);
                free(cf.md5);
                return r == -EINVAL ? 0 : r;
        }
}

static int parse_conffiles(struct v2c_pkg *p, const char *s, size_t len)
{
        size_t pos = 0;
        while (pos < len) {
                const char *line = s + pos;
                const char *nl = memchr(line, '\n', len - pos);
                size_t l = nl ? (size_t) (nl - line) : len - pos;
                pos += l + (nl ? 1 : 0);
                int r = parse_conffile_line(p, line, l);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int deps_to_provides(struct v2c_pkg *p, struct v2c_dep *deps, size_t n)
{
        if (n > V2C_PKG_MAX_PROVIDES)
                return -E2BIG;
        p->provides = calloc(n ? n : 1, sizeof *p->provides);
        if (p->provides == NULL)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                struct v2c_dep_alt *a = &deps[i].alts[0];
                p->provides[i].name = a->name;
                a->name = NULL;
                if (a->constraint) {
                        /* "(= 1.2)" is the only relation Provides allows. */
                        const char *v = a->constraint;
                        while (*v == '=' || *v == ' ' || *v == '\t')
                                v++;
                        p->provides[i].version = strdup(v);
                        if (p->provides[i].version == NULL) {
                                p->n_provides = i + 1;
                                return -ENOMEM;
                        }
                }
        }
        p->n_provides = n;
        return 0;
}

/* Stores one complete field of the stanza being built. */
static int store_field(struct v2c_pkg *p, enum field f, const char *v, size_t len,
                       struct v2c_error **err)
{
        const char *first = v;
        const char *nl = memchr(v, '\n', len);
        size_t first_len = nl ? (size_t) (nl - v) : len;
        v2c_span_trim(&first, &first_len, V2C_SPACES);
        struct v2c_dep *deps = NULL;
        size_t n = 0;
        int r = 0;

        switch (f) {
        case F_NONE:
                return 0;
        case F_PACKAGE:
                r = dup_value(first, first_len, &p->name);
                break;
        case F_ARCH:
                r = dup_value(first, first_len, &p->arch);
                break;
        case F_VERSION:
                r = dup_value(first, first_len, &p->version);
                break;
        case F_STATUS:
                r = dup_value(first, first_len, &p->status);
                if (r == 0)
                        parse_status(p);
                break;
        case F_ESSENTIAL:
                p->essential = first_len == 3 && strncasecmp(first, "yes", 3) == 0;
                break;
        case F_PRIORITY:
                r = dup_value(first, first_len, &p->priority);
                break;
        case F_SECTION:
                r = dup_value(first, first_len, &p->section);
                break;
        case F_SOURCE:
                r = dup_value(first, first_len, &p->source);
                break;
        case F_INSTALLED_SIZE:
                p->installed_size_kib = parse_u64(first, first_len);
                break;
        case F_DESCRIPTION:
                r = dup_value(first, first_len, &p->description);
                break;
        case F_DEPENDS:
        case F_PRE_DEPENDS:
                r = v2c_dpkg_parse_depends(v, len, &deps, &n, err);
                if (r < 0)
                        return r;
                if (f == F_DEPENDS) {
                        v2c_deps_free(p->depends, p->n_depends);
                        p->depends = deps;
                        p->n_depends = n;
                } else {
                        v2c_deps_free(p->pre_depends, p->n_pre_depends);
                        p->pre_depends = deps;
                        p->n_pre_depends = n;
                }
                return 0;
        case F_PROVIDES:
                if (p->provides)
                        return 0;   /* a repeated field: the first one stands */
                r = v2c_dpkg_parse_depends(v, len, &deps, &n, err);
                if (r < 0)
                        return r;
                r = deps_to_provides(p, deps, n);
                v2c_deps_free(deps, n);
                break;
        case F_CONFFILES:
                if (p->conffiles)
                        return 0;
                r = parse_conffiles(p, v, len);
                break;
        }
        if (r == -EINVAL)
                return 0;   /* a NUL in a value: leave the field unset */
        if (r == -E2BIG)
                return v2c_error_set(err, E2BIG, "field too long or too many entries");
        if (r < 0)
                return v2c_error_set(err, -r, "storing field");
        return 0;
}

struct stanza {
        struct v2c_pkg *pkg;
        enum field field;
        bool multiline;
        struct v2c_buf value;
};

static int flush_field(struct stanza *st, struct v2c_error **err)
{
        int r = 0;
        if (st->field != F_NONE) {
                if (st->pkg == NULL && (st->pkg = v2c_pkg_new()) == NULL)
                        return v2c_error_set(err, ENOMEM, "out of memory");
                r = store_field(st->pkg, st->field, st->value.data ? st->value.data : "",
                                st->value.len, err);
        }
        st->field = F_NONE;
        v2c_buf_reset(&st->value);
        return r;
}

static int flush_stanza(struct v2c_pkgdb *db, struct stanza *st, struct v2c_error **err)
{
        int r = flush_field(st, err);
        if (r < 0)
                return r;
        struct v2c_pkg *p = TAKE_PTR(st->pkg);
        if (p == NULL)
                return 0;
        if (p->name == NULL || p->name[0] == '\0') {
                v2c_pkg_free(p);
                return 0;
        }
        return v2c_pkgdb_add(db, p, err);
}

static int start_field(struct stanza *st, const char *line, size_t len, struct v2c_error **err)
{
        const char *colon = memchr(line, ':', len);
        if (colon == NULL)
                return 0;   /* not a field: skip, as dpkg would complain and go on */
        const char *name = line;
        size_t name_len = (size_t) (colon - line);
        v2c_span_trim(&name, &name_len, V2C_SPACES);
        for (size_t i = 0; i < V2C_ARRAY_SIZE(fields); i++) {
                if (strlen(fields[i].name) == name_len &&
                    strncasecmp(fields[i].name, name, name_len) == 0) {
                        st->field = fields[i].field;
                        st->multiline = fields[i].multiline;
                        break;
                }
        }
        if (st->field == F_NONE)
                return 0;
        const char *v = colon + 1;
        int r = v2c_buf_append(&st->value, v, len - (size_t) (v - line));
        if (r < 0)
                return v2c_error_set(err, -r, "field `%.*s` too long", (int) name_len, name);
        return 0;
}

int v2c_dpkg_parse_status(struct v2c_pkgdb *db, const char *data, size_t len,
                          struct v2c_error **err)
{
        struct v2c_lines it = { data, data + len, 0 };
        struct stanza st = { 0 };
        v2c_buf_init(&st.value, V2C_PKG_MAX_FIELD);
        const char *line;
        size_t ll;
        int r = 0;

        while (v2c_lines_next(&it, &line, &ll)) {
                size_t k = 0;
                while (k < ll && v2c_is_blank(line[k]))
                        k++;
                if (k == ll) {
                        r = flush_stanza(db, &st, err);
                } else if (k > 0) {
                        /* Continuation: only multi-line fields keep it. */
                        if (st.field != F_NONE && st.multiline) {
                                r = v2c_buf_append(&st.value, "\n", 1);
                                if (r == 0)
                                        r = v2c_buf_append(&st.value, line + k, ll - k);
                                if (r < 0)
                                        r = v2c_error_set(err, -r, "field too long");
                        }
                } else {
                        r = flush_field(&st, err);
                        if (r == 0)
                                r = start_field(&st, line, ll, err);
                }
                if (r < 0)
                        break;
        }
        if (r == 0)
                r = flush_stanza(db, &st, err);
        v2c_pkg_free(st.pkg);
        v2c_buf_release(&st.value);
        if (r < 0)
                return v2c_error_prefix(err, r, "dpkg status, line %zu", it.lineno);
        return 0;
}

int v2c_dpkg_list_filename_parse(const char *filename, char **name, char **arch,
                                 struct v2c_error **err)
{
        const char *base = strrchr(filename, '/');
        base = base ? base + 1 : filename;
        size_t len = strlen(base);
        if (len <= 5 || strcmp(base + len - 5, ".list") != 0)
                return v2c_error_set(err, EINVAL, "`%s` is not a dpkg .list file", filename);
        len -= 5;
        const char *colon = memchr(base, ':', len);
        size_t name_len = colon ? (size_t) (colon - base) : len;
        if (name_len == 0 || (colon && colon + 1 == base + len))
                return v2c_error_set(err, EINVAL, "`%s` is not a dpkg .list file", filename);
        _cleanup_free_ char *n = strndup(base, name_len);
        _cleanup_free_ char *a = colon ? strndup(colon + 1, len - name_len - 1) : NULL;
        if (n == NULL || (colon && a == NULL))
                return v2c_error_set(err, ENOMEM, "out of memory");
        *name = TAKE_PTR(n);
        *arch = TAKE_PTR(a);
        return 0;
}

int v2c_dpkg_parse_list(struct v2c_pkgdb *db, const char *list_filename, const char *data,
                        size_t len, struct v2c_error **err)
{
        _cleanup_free_ char *name = NULL, *arch = NULL;
        int r = v2c_dpkg_list_filename_parse(list_filename, &name, &arch, err);
        if (r < 0)
                return r;
        struct v2c_pkg *p = v2c_pkgdb_find_mutable(db, name, arch);
        if (p == NULL)
                return 1;

        struct v2c_lines it = { data, data + len, 0 };
        const char *line;
        size_t ll;
        while (v2c_lines_next(&it, &line, &ll)) {
                if (ll == 0)
                        continue;
                r = v2c_pkg_add_file(p, line, ll);
                if (r == 0)
                        r = v2c_pkgdb_account_files(db, 1, strlen(p->files[p->n_files - 1]), err);
                /* A path dpkg could never have written (NUL, too long) is
                 * skipped: one bad line should not hide the others. */
                if (r == -EINVAL || r == -ENAMETOOLONG) {
                        r = 0;
                        continue;
                }
                if (r == -E2BIG)
                        r = v2c_error_set(err, E2BIG, "more than %d paths in one package",
                                          V2C_PKG_MAX_FILES_PER_PKG);
                else if (r < 0)
                        r = v2c_error_set(err, -r, "out of memory");
                if (r < 0)
                        break;
        }
        if (r < 0)
                return v2c_error_prefix(err, r, "`%s`, line %zu", list_filename, it.lineno);
        return 0;
}
