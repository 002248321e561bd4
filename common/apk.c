/* Alpine's package database, /lib/apk/db/installed.
 *
 * Stanzas separated by blank lines, one "X:value" line per field, the key
 * a single letter: P name, V version, A arch, o origin, T description,
 * I installed size in bytes, D dependencies and p provides (space
 * separated words), F a directory and the R lines after it the files in
 * it.  Other keys (checksums, ACLs, ...) are skipped.  The input is
 * hostile: (data, len), not NUL-terminated, counts capped.
 */
#include "pkgdb.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cleanup.h"

static int dup_n(const char *s, size_t len, char **out)
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

/* "name[@tag][op version]" where op is made of < > = ~ ; a leading '!'
 * marks a conflict.  Words without a name are skipped like conflicts:
 * one odd word should not lose the whole database. */
int v2c_apk_parse_dep_word(const char *s, size_t len, struct v2c_dep_alt *alt,
                           struct v2c_error **err)
{
        if (len > 0 && s[0] == '!')
                return 1;
        size_t i = 0;
        while (i < len && !strchr("@<>=~", s[i]))
                i++;
        size_t name_len = i;
        if (name_len == 0)
                return 1;
        while (i < len && s[i] == '@') {
                while (i < len && !strchr("<>=~", s[i]))
                        i++;
        }
        struct v2c_dep_alt a = { 0 };
        int r = dup_n(s, name_len, &a.name);
        if (r == 0 && i < len)
                r = dup_n(s + i, len - i, &a.constraint);
        if (r < 0) {
                free(a.name);
                free(a.constraint);
                return v2c_error_set(err, -r, "bad dependency `%.*s`",
                                     (int) (len > 64 ? 64 : len), s);
        }
        *alt = a;
        return 0;
}

/* Calls fn for each space-separated word of (s, len). */
static int for_each_word(const char *s, size_t len,
                         int (*fn)(struct v2c_pkg *, const char *, size_t, struct v2c_error **),
                         struct v2c_pkg *p, struct v2c_error **err)
{
        size_t i = 0;
        while (i < len) {
                while (i < len && isspace((unsigned char) s[i]))
                        i++;
                size_t start = i;
                while (i < len && !isspace((unsigned char) s[i]))
                        i++;
                if (i > start) {
                        int r = fn(p, s + start, i - start, err);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

static int add_dep(struct v2c_pkg *p, const char *w, size_t len, struct v2c_error **err)
{
        struct v2c_dep_alt alt = { 0 };
        int r = v2c_apk_parse_dep_word(w, len, &alt, err);
        if (r != 0)
                return r < 0 ? r : 0;
        if (p->n_depends >= V2C_PKG_MAX_DEPS) {
                free(alt.name);
                free(alt.constraint);
                return v2c_error_set(err, E2BIG, "more than %d dependencies", V2C_PKG_MAX_DEPS);
        }
        struct v2c_dep dep = { .alts = malloc(sizeof alt), .n_alts = 1 };
        struct v2c_dep *n = dep.alts ? realloc(p->depends, (p->n_depends + 1) * sizeof *n) : NULL;
        if (n == NULL) {
                free(dep.alts);
                free(alt.name);
                free(alt.constraint);
                return v2c_error_set(err, ENOMEM, "out of memory");
        }
        dep.alts[0] = alt;
        p->depends = n;
        p->depends[p->n_depends++] = dep;
        return 0;
}

static int add_provide(struct v2c_pkg *p, const char *w, size_t len, struct v2c_error **err)
{
        struct v2c_dep_alt alt = { 0 };
        int r = v2c_apk_parse_dep_word(w, len, &alt, err);
        if (r != 0)
                return r < 0 ? r : 0;
        if (p->n_provides >= V2C_PKG_MAX_PROVIDES) {
                free(alt.name);
                free(alt.constraint);
                return v2c_error_set(err, E2BIG, "more than %d provides", V2C_PKG_MAX_PROVIDES);
        }
        struct v2c_provide *n = realloc(p->provides, (p->n_provides + 1) * sizeof *n);
        if (n == NULL) {
                free(alt.name);
                free(alt.constraint);
                return v2c_error_set(err, ENOMEM, "out of memory");
        }
        p->provides = n;
        struct v2c_provide *pr = &p->provides[p->n_provides++];
        pr->name = alt.name;
        pr->version = NULL;
        if (alt.constraint) {
                /* "so:libc.musl-x86_64.so.1=1": the version follows '='. */
                size_t skip = strspn(alt.constraint, "=");
                if (skip)
                        memmove(alt.constraint, alt.constraint + skip, strlen(alt.constraint + skip) + 1);
                pr->version = alt.constraint;
        }
        return 0;
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

struct apk_state {
        struct v2c_pkgdb *db;
        struct v2c_pkg *pkg;
        struct v2c_buf dir;      /* the last F: line, "" for the root */
        struct v2c_buf path;
};

static int flush_pkg(struct apk_state *st, struct v2c_error **err)
{
        struct v2c_pkg *p = TAKE_PTR(st->pkg);
        v2c_buf_reset(&st->dir);
        if (p == NULL)
                return 0;
        if (p->name == NULL || p->name[0] == '\0') {
                v2c_pkg_free(p);
                return 0;
        }
        return v2c_pkgdb_add(st->db, p, err);
}

static int add_path(struct apk_state *st, const char *name, size_t len, struct v2c_error **err)
{
        v2c_buf_reset(&st->path);
        int r = v2c_buf_append(&st->path, "/", 1);
        if (r == 0 && st->dir.len)
                r = v2c_buf_append(&st->path, st->dir.data, st->dir.len);
        if (r == 0 && len)
                r = v2c_buf_append(&st->path, "/", 1);
        if (r == 0)
                r = v2c_buf_append(&st->path, name, len);
        if (r == -E2BIG)
                return 0;   /* longer than any path: not a file we could look up */
        if (r == 0)
                r = v2c_pkg_add_file(st->pkg, st->path.data, st->path.len);
        if (r == -EINVAL || r == -ENAMETOOLONG)
                return 0;
        if (r == -E2BIG)
                return v2c_error_set(err, E2BIG, "more than %d paths in one package",
                                     V2C_PKG_MAX_FILES_PER_PKG);
        if (r < 0)
                return v2c_error_set(err, -r, "out of memory");
        const char *added = st->pkg->files[st->pkg->n_files - 1];
        return v2c_pkgdb_account_files(st->db, 1, strlen(added), err);
}

static int handle_line(struct apk_state *st, char key, const char *v, size_t vl,
                       struct v2c_error **err)
{
        if (st->pkg == NULL) {
                st->pkg = v2c_pkg_new();
                if (st->pkg == NULL)
                        return v2c_error_set(err, ENOMEM, "out of memory");
                st->pkg->installed = true;
                st->pkg->state = V2C_PKG_STATE_INSTALLED;
        }
        struct v2c_pkg *p = st->pkg;
        int r = 0;
        switch (key) {
        case 'P':
                r = dup_n(v, vl, &p->name);
                break;
        case 'V':
                r = dup_n(v, vl, &p->version);
                break;
        case 'A':
                r = dup_n(v, vl, &p->arch);
                break;
        case 'o':
                r = dup_n(v, vl, &p->origin);
                break;
        case 'T':
                r = dup_n(v, vl, &p->description);
                break;
        case 'I': {
                uint64_t bytes = parse_u64(v, vl);
                p->installed_size_kib = bytes / 1024 + (bytes % 1024 != 0);
                break;
        }
        case 'D':
                return for_each_word(v, vl, add_dep, p, err);
        case 'p':
                return for_each_word(v, vl, add_provide, p, err);
        case 'F':
                v2c_buf_reset(&st->dir);
                r = v2c_buf_append(&st->dir, v, vl);
                if (r < 0)
                        return v2c_error_set(err, -r, "directory name too long");
                return add_path(st, "", 0, err);
        case 'R':
                return add_path(st, v, vl, err);
        default:
                return 0;
        }
        if (r == -EINVAL)
                return 0;   /* a NUL in a value: leave the field unset */
        if (r < 0)
                return v2c_error_set(err, -r, "storing `%c:` field", key);
        return 0;
}

int v2c_apk_parse_installed(struct v2c_pkgdb *db, const char *data, size_t len,
                            struct v2c_error **err)
{
        struct apk_state st = { .db = db };
        v2c_buf_init(&st.dir, V2C_PKG_MAX_PATH);
        v2c_buf_init(&st.path, V2C_PKG_MAX_PATH);
        size_t pos = 0, lineno = 0;
        int r = 0;

        while (pos < len) {
                const char *line = data + pos;
                const char *nl = memchr(line, '\n', len - pos);
                size_t ll = nl ? (size_t) (nl - line) : len - pos;
                pos += ll + (nl ? 1 : 0);
                lineno++;
                if (ll > 0 && line[ll - 1] == '\r')
                        ll--;
                if (ll == 0)
                        r = flush_pkg(&st, err);
                else if (ll >= 2 && line[1] == ':')
                        r = handle_line(&st, line[0], line + 2, ll - 2, err);
                /* anything else is not apk's: skip it */
                if (r < 0)
                        break;
        }
        if (r == 0)
                r = flush_pkg(&st, err);
        v2c_pkg_free(st.pkg);
        v2c_buf_release(&st.dir);
        v2c_buf_release(&st.path);
        if (r < 0)
                return v2c_error_prefix(err, r, "apk database, line %zu", lineno);
        return 0;
}
