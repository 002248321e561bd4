/* The package database dpkg.c, apk.c and rpmhdr.c fill, and the questions
 * the inspector asks of it: find a package, find a path's owner (with the
 * merged-/usr alias), the dependency closure of a set of packages (for
 * rpm through Provides and owned files too).
 *
 * Indexes are sorted arrays searched with bsearch: built once by
 * v2c_pkgdb_finish, deterministic, and no hash function to attack.  All
 * strings in the indexes are borrowed from the packages.
 */
#include "pkgdb.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cleanup.h"
#include "strv.h"

struct path_entry {
        const char *path;
        struct v2c_pkg *pkg;
};

struct name_entry {
        const char *name;
        struct v2c_pkg *pkg;
};

struct v2c_pkgdb {
        enum v2c_pkg_format format;
        struct v2c_pkg **pkgs;
        size_t n_pkgs, cap_pkgs;
        size_t n_files_total, n_path_bytes;
        bool finished;
        struct path_entry *paths;
        size_t n_paths;
        struct name_entry *provides;
        size_t n_provides;
};

struct v2c_pkg *v2c_pkg_new(void)
{
        return calloc(1, sizeof(struct v2c_pkg));
}

void v2c_deps_free(struct v2c_dep *deps, size_t n)
{
        for (size_t i = 0; deps && i < n; i++) {
                for (size_t j = 0; j < deps[i].n_alts; j++) {
                        free(deps[i].alts[j].name);
                        free(deps[i].alts[j].constraint);
                }
                free(deps[i].alts);
        }
        free(deps);
}

struct v2c_pkg *v2c_pkg_free(struct v2c_pkg *p)
{
        if (p == NULL)
                return NULL;
        free(p->name);
        free(p->arch);
        free(p->version);
        free(p->status);
        free(p->priority);
        free(p->section);
        free(p->source);
        free(p->origin);
        free(p->epoch);
        free(p->release);
        free(p->vendor);
        free(p->digest_algo);
        for (size_t i = 0; p->file_digests && i < p->n_files; i++)
                free(p->file_digests[i]);
        free(p->file_digests);
        free(p->description);
        v2c_deps_free(p->depends, p->n_depends);
        v2c_deps_free(p->pre_depends, p->n_pre_depends);
        for (size_t i = 0; i < p->n_provides; i++) {
                free(p->provides[i].name);
                free(p->provides[i].version);
        }
        free(p->provides);
        for (size_t i = 0; i < p->n_conffiles; i++) {
                free(p->conffiles[i].path);
                free(p->conffiles[i].md5);
        }
        free(p->conffiles);
        for (size_t i = 0; i < p->n_files; i++)
                free(p->files[i]);
        free(p->files);
        free(p);
        return NULL;
}

int v2c_pkg_path_normalize(const char *s, size_t len, char **out)
{
        if (len == 0)
                return -EINVAL;
        if (len > V2C_PKG_MAX_PATH)
                return -ENAMETOOLONG;
        if (memchr(s, '\0', len) != NULL)
                return -EINVAL;

        /* The result is never longer than the input plus a leading '/'. */
        char *r = malloc(len + 2);
        if (r == NULL)
                return -ENOMEM;
        size_t w = 0;
        size_t i = 0;
        while (i < len) {
                while (i < len && s[i] == '/')
                        i++;
                size_t start = i;
                while (i < len && s[i] != '/')
                        i++;
                size_t seg = i - start;
                if (seg == 0 || (seg == 1 && s[start] == '.'))
                        continue;
                if (seg == 2 && s[start] == '.' && s[start + 1] == '.') {
                        while (w > 0 && r[w - 1] != '/')
                                w--;
                        if (w > 0)
                                w--;
                        continue;
                }
                r[w++] = '/';
                memcpy(r + w, s + start, seg);
                w += seg;
        }
        if (w == 0)
                r[w++] = '/';
        r[w] = '\0';
        *out = r;
        return 0;
}

int v2c_pkg_add_file(struct v2c_pkg *p, const char *path, size_t len)
{
        if (p->n_files >= V2C_PKG_MAX_FILES_PER_PKG)
                return -E2BIG;
        char *n = NULL;
        int r = v2c_pkg_path_normalize(path, len, &n);
        if (r < 0)
                return r;
        if (p->n_files == p->cap_files) {
                size_t ncap = p->cap_files ? p->cap_files * 2 : 16;
                char **nv = realloc(p->files, ncap * sizeof(char *));
                if (nv == NULL) {
                        free(n);
                        return -ENOMEM;
                }
                p->files = nv;
                p->cap_files = ncap;
        }
        p->files[p->n_files++] = n;
        return 0;
}

struct v2c_pkgdb *v2c_pkgdb_new(enum v2c_pkg_format format)
{
        struct v2c_pkgdb *db = calloc(1, sizeof *db);
        if (db)
                db->format = format;
        return db;
}

static void drop_indexes(struct v2c_pkgdb *db)
{
        free(db->paths);
        db->paths = NULL;
        db->n_paths = 0;
        free(db->provides);
        db->provides = NULL;
        db->n_provides = 0;
        db->finished = false;
}

struct v2c_pkgdb *v2c_pkgdb_free(struct v2c_pkgdb *db)
{
        if (db == NULL)
                return NULL;
        drop_indexes(db);
        for (size_t i = 0; i < db->n_pkgs; i++)
                v2c_pkg_free(db->pkgs[i]);
        free(db->pkgs);
        free(db);
        return NULL;
}

enum v2c_pkg_format v2c_pkgdb_format(const struct v2c_pkgdb *db)
{
        return db->format;
}

int v2c_pkg_format_from_name(const char *name)
{
        static const char *const names[] = {
                [V2C_PKG_FORMAT_DPKG] = "dpkg", [V2C_PKG_FORMAT_APK] = "apk", [V2C_PKG_FORMAT_RPM] = "rpm",
        };
        for (size_t i = 0; name && i < sizeof names / sizeof names[0]; i++)
                if (strcmp(name, names[i]) == 0)
                        return (int) i;
        return -1;
}

int v2c_pkgdb_add(struct v2c_pkgdb *db, struct v2c_pkg *p, struct v2c_error **err)
{
        if (db->n_pkgs >= V2C_PKG_MAX_PACKAGES) {
                v2c_pkg_free(p);
                return v2c_error_set(err, E2BIG, "more than %d packages", V2C_PKG_MAX_PACKAGES);
        }
        if (db->n_pkgs == db->cap_pkgs) {
                size_t ncap = db->cap_pkgs ? db->cap_pkgs * 2 : 64;
                struct v2c_pkg **n = realloc(db->pkgs, ncap * sizeof *n);
                if (n == NULL) {
                        v2c_pkg_free(p);
                        return v2c_error_set(err, ENOMEM, "out of memory");
                }
                db->pkgs = n;
                db->cap_pkgs = ncap;
        }
        db->pkgs[db->n_pkgs++] = p;
        drop_indexes(db);
        return 0;
}

int v2c_pkgdb_account_files(struct v2c_pkgdb *db, size_t n_files, size_t n_bytes,
                            struct v2c_error **err)
{
        drop_indexes(db);
        if (n_files > V2C_PKG_MAX_FILES_TOTAL || db->n_files_total > V2C_PKG_MAX_FILES_TOTAL - n_files)
                return v2c_error_set(err, E2BIG, "more than %d paths in the package database",
                                     V2C_PKG_MAX_FILES_TOTAL);
        if (n_bytes > V2C_PKG_MAX_PATH_BYTES || db->n_path_bytes > V2C_PKG_MAX_PATH_BYTES - n_bytes)
                return v2c_error_set(err, E2BIG, "more than %d bytes of paths in the package database",
                                     V2C_PKG_MAX_PATH_BYTES);
        db->n_files_total += n_files;
        db->n_path_bytes += n_bytes;
        return 0;
}

static int strcmp_null(const char *a, const char *b)
{
        if (a == NULL || b == NULL)
                return (a != NULL) - (b != NULL);
        return strcmp(a, b);
}

struct v2c_pkg *v2c_pkgdb_find_mutable(struct v2c_pkgdb *db, const char *name, const char *arch)
{
        struct v2c_pkg *best = NULL;
        for (size_t i = 0; i < db->n_pkgs; i++) {
                struct v2c_pkg *p = db->pkgs[i];
                if (strcmp(p->name, name) != 0)
                        continue;
                if (arch != NULL && strcmp_null(p->arch, arch) != 0)
                        continue;
                if (best == NULL || (p->installed && !best->installed))
                        best = p;
        }
        return best;
}

/* Package order: by name, installed before not, then arch, then the order
 * they were added (kept in id before sorting) so that the result does not
 * depend on qsort's instability. */
static int cmp_pkg(const void *a, const void *b)
{
        const struct v2c_pkg *p = *(struct v2c_pkg *const *) a;
        const struct v2c_pkg *q = *(struct v2c_pkg *const *) b;
        int c = strcmp(p->name, q->name);
        if (c)
                return c;
        if (p->installed != q->installed)
                return p->installed ? -1 : 1;
        c = strcmp_null(p->arch, q->arch);
        if (c)
                return c;
        return (p->id > q->id) - (p->id < q->id);
}

/* Within one key, installed packages first, then package order: that is
 * the order the "first owner" queries answer in. */
static int cmp_pkg_rank(const struct v2c_pkg *p, const struct v2c_pkg *q)
{
        if (p->installed != q->installed)
                return p->installed ? -1 : 1;
        return (p->id > q->id) - (p->id < q->id);
}

static int cmp_path_entry(const void *a, const void *b)
{
        const struct path_entry *x = a, *y = b;
        int c = strcmp(x->path, y->path);
        return c ? c : cmp_pkg_rank(x->pkg, y->pkg);
}

static int cmp_name_entry(const void *a, const void *b)
{
        const struct name_entry *x = a, *y = b;
        int c = strcmp(x->name, y->name);
        return c ? c : cmp_pkg_rank(x->pkg, y->pkg);
}

int v2c_pkgdb_finish(struct v2c_pkgdb *db, struct v2c_error **err)
{
        drop_indexes(db);
        for (size_t i = 0; i < db->n_pkgs; i++)
                db->pkgs[i]->id = i;
        if (db->n_pkgs > 1)
                qsort(db->pkgs, db->n_pkgs, sizeof *db->pkgs, cmp_pkg);
        size_t n_paths = 0, n_provides = 0;
        for (size_t i = 0; i < db->n_pkgs; i++) {
                db->pkgs[i]->id = i;
                n_paths += db->pkgs[i]->n_files;
                n_provides += db->pkgs[i]->n_provides;
        }
        /* Both counts are capped by the parsers (files total, provides per
         * package times packages), so the products below cannot overflow. */
        if (n_paths) {
                db->paths = malloc(n_paths * sizeof *db->paths);
                if (db->paths == NULL)
                        return v2c_error_set(err, ENOMEM, "out of memory");
        }
        if (n_provides) {
                db->provides = malloc(n_provides * sizeof *db->provides);
                if (db->provides == NULL) {
                        drop_indexes(db);
                        return v2c_error_set(err, ENOMEM, "out of memory");
                }
        }
        for (size_t i = 0; i < db->n_pkgs; i++) {
                struct v2c_pkg *p = db->pkgs[i];
                for (size_t j = 0; j < p->n_files; j++)
                        db->paths[db->n_paths++] = (struct path_entry){ p->files[j], p };
                for (size_t j = 0; j < p->n_provides; j++)
                        db->provides[db->n_provides++] = (struct name_entry){ p->provides[j].name, p };
        }
        if (db->n_paths > 1)
                qsort(db->paths, db->n_paths, sizeof *db->paths, cmp_path_entry);
        if (db->n_provides > 1)
                qsort(db->provides, db->n_provides, sizeof *db->provides, cmp_name_entry);
        db->finished = true;
        return 0;
}

size_t v2c_pkgdb_count(const struct v2c_pkgdb *db)
{
        return db->n_pkgs;
}

const struct v2c_pkg *v2c_pkgdb_get(const struct v2c_pkgdb *db, size_t i)
{
        return i < db->n_pkgs ? db->pkgs[i] : NULL;
}

/* First index whose name is >= name in the sorted package array. */
static size_t pkg_lower_bound(const struct v2c_pkgdb *db, const char *name, size_t name_len)
{
        size_t lo = 0, hi = db->n_pkgs;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                const char *n = db->pkgs[mid]->name;
                int c = strncmp(n, name, name_len);
                if (c == 0 && n[name_len] != '\0')
                        c = 1;
                if (c < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return lo;
}

static bool name_eq(const char *n, const char *name, size_t name_len)
{
        return strncmp(n, name, name_len) == 0 && n[name_len] == '\0';
}

/* name_len bytes of name, arch NULL for any. */
static struct v2c_pkg *find_n(const struct v2c_pkgdb *db, const char *name, size_t name_len,
                              const char *arch, bool installed_only)
{
        if (!db->finished)
                return NULL;
        for (size_t i = pkg_lower_bound(db, name, name_len);
             i < db->n_pkgs && name_eq(db->pkgs[i]->name, name, name_len); i++) {
                struct v2c_pkg *p = db->pkgs[i];
                if (installed_only && !p->installed)
                        continue;
                if (arch == NULL || strcmp_null(p->arch, arch) == 0)
                        return p;
        }
        return NULL;
}

/* dpkg's "name:arch"; apk names hold colons of their own ("so:libc..."). */
static void split_arch(const struct v2c_pkgdb *db, const char *name, size_t *name_len,
                       const char **arch)
{
        const char *colon = db->format == V2C_PKG_FORMAT_DPKG ? strchr(name, ':') : NULL;
        *name_len = colon ? (size_t) (colon - name) : strlen(name);
        *arch = colon && strcmp(colon + 1, "any") != 0 ? colon + 1 : NULL;
}

const struct v2c_pkg *v2c_pkgdb_find(const struct v2c_pkgdb *db, const char *name)
{
        size_t name_len;
        const char *arch;
        split_arch(db, name, &name_len, &arch);
        return find_n(db, name, name_len, arch, false);
}

static size_t path_lower_bound(const struct v2c_pkgdb *db, const char *path)
{
        size_t lo = 0, hi = db->n_paths;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (strcmp(db->paths[mid].path, path) < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return lo;
}

static const struct v2c_pkg *owner_normalized(const struct v2c_pkgdb *db, const char *path)
{
        size_t i = path_lower_bound(db, path);
        if (i < db->n_paths && strcmp(db->paths[i].path, path) == 0)
                return db->paths[i].pkg;
        return NULL;
}

const struct v2c_pkg *v2c_pkgdb_owner(const struct v2c_pkgdb *db, const char *path)
{
        _cleanup_free_ char *n = NULL;
        if (!db->finished || v2c_pkg_path_normalize(path, strlen(path), &n) < 0)
                return NULL;
        return owner_normalized(db, n);
}

/* The directories merged-/usr turns into symlinks into /usr. */
static const char *const usrmerge_dirs[] = { "/bin", "/sbin", "/lib", "/lib32", "/lib64",
                                             "/libx32", "/libo32" };

/* Returns the merged-/usr alias of a normalised path (new), NULL when it
 * has none (or on ENOMEM, which only costs the second lookup). */
static char *usrmerge_alias(const char *path)
{
        for (size_t i = 0; i < V2C_ARRAY_SIZE(usrmerge_dirs); i++) {
                const char *d = usrmerge_dirs[i];
                size_t dl = strlen(d);
                char *alias = NULL;
                if (strncmp(path, d, dl) == 0 && (path[dl] == '/' || path[dl] == '\0')) {
                        if (asprintf(&alias, "/usr%s", path) < 0)
                                return NULL;
                        return alias;
                }
                if (strncmp(path, "/usr", 4) == 0 && strncmp(path + 4, d, dl) == 0 &&
                    (path[4 + dl] == '/' || path[4 + dl] == '\0'))
                        return strdup(path + 4);
        }
        return NULL;
}

const struct v2c_pkg *v2c_pkgdb_owner_usrmerge(const struct v2c_pkgdb *db, const char *path,
                                               char **matched)
{
        _cleanup_free_ char *n = NULL;
        if (matched)
                *matched = NULL;
        if (!db->finished || v2c_pkg_path_normalize(path, strlen(path), &n) < 0)
                return NULL;
        const struct v2c_pkg *p = owner_normalized(db, n);
        if (p) {
                if (matched)
                        *matched = TAKE_PTR(n);
                return p;
        }
        _cleanup_free_ char *alias = usrmerge_alias(n);
        if (alias == NULL)
                return NULL;
        p = owner_normalized(db, alias);
        if (p && matched)
                *matched = TAKE_PTR(alias);
        return p;
}

int v2c_pkgdb_owners(const struct v2c_pkgdb *db, const char *path,
                     const struct v2c_pkg ***owners, struct v2c_error **err)
{
        if (!db->finished)
                return v2c_error_set(err, EINVAL, "package database not finished");
        _cleanup_free_ char *n = NULL;
        int r = v2c_pkg_path_normalize(path, strlen(path), &n);
        if (r < 0)
                return v2c_error_set(err, -r, "bad path `%s`", path);
        size_t first = path_lower_bound(db, n), last = first;
        while (last < db->n_paths && strcmp(db->paths[last].path, n) == 0)
                last++;
        const struct v2c_pkg **v = NULL;
        size_t count = 0;
        if (last > first) {
                v = calloc(last - first + 1, sizeof *v);
                if (v == NULL)
                        return v2c_error_set(err, ENOMEM, "out of memory");
                /* A package listing a path twice is still one owner; equal
                 * packages are adjacent because of the entry order. */
                for (size_t i = first; i < last; i++)
                        if (count == 0 || v[count - 1] != db->paths[i].pkg)
                                v[count++] = db->paths[i].pkg;
        }
        *owners = v;
        return (int) count;
}

/* Among the installed packages named name (or providing it when
 * providers), the one of the requester's arch, else the arch-independent
 * one (dpkg's "all", rpm's "noarch"), else the first. */
static struct v2c_pkg *pick_arch(const struct v2c_pkgdb *db, struct v2c_pkg *const *cands, size_t n,
                                 const char *want_arch)
{
        const char *indep = db->format == V2C_PKG_FORMAT_RPM ? "noarch" : "all";
        struct v2c_pkg *all = NULL;
        for (size_t i = 0; i < n; i++) {
                if (want_arch && strcmp_null(cands[i]->arch, want_arch) == 0)
                        return cands[i];
                if (all == NULL && strcmp_null(cands[i]->arch, indep) == 0)
                        all = cands[i];
        }
        return all ? all : n ? cands[0] : NULL;
}

/* Small growable arrays for the closure; capped by the package count. */
struct pkg_vec {
        struct v2c_pkg **v;
        size_t n, cap;
};

static int pkg_vec_push(struct pkg_vec *pv, struct v2c_pkg *p)
{
        if (pv->n == pv->cap) {
                size_t ncap = pv->cap ? pv->cap * 2 : 16;
                struct v2c_pkg **n = realloc(pv->v, ncap * sizeof *n);
                if (n == NULL)
                        return -ENOMEM;
                pv->v = n;
                pv->cap = ncap;
        }
        pv->v[pv->n++] = p;
        return 0;
}

/* An installed package providing name_len bytes of name, picked by arch. */
static struct v2c_pkg *resolve_provider(const struct v2c_pkgdb *db, const char *name, size_t name_len,
                                        const char *want_arch, struct pkg_vec *scratch, bool *oom)
{
        size_t lo = 0, hi = db->n_provides;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                const char *n = db->provides[mid].name;
                int c = strncmp(n, name, name_len);
                if (c == 0 && n[name_len] != '\0')
                        c = 1;
                if (c < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        scratch->n = 0;
        for (size_t i = lo; i < db->n_provides && name_eq(db->provides[i].name, name, name_len); i++)
                if (db->provides[i].pkg->installed && pkg_vec_push(scratch, db->provides[i].pkg) < 0) {
                        *oom = true;
                        return NULL;
                }
        return pick_arch(db, scratch->v, scratch->n, want_arch);
}

/* The first installed owner of a normalised path (owners sort installed
 * first), or NULL. */
static struct v2c_pkg *installed_owner(const struct v2c_pkgdb *db, const char *path)
{
        size_t i = path_lower_bound(db, path);
        if (i < db->n_paths && strcmp(db->paths[i].path, path) == 0 && db->paths[i].pkg->installed)
                return db->paths[i].pkg;
        return NULL;
}

/* Sets *oom when the scratch array cannot grow, so that a failed
 * allocation is not mistaken for a missing dependency. */
static struct v2c_pkg *resolve_name(const struct v2c_pkgdb *db, const char *name,
                                    const char *want_arch, struct pkg_vec *scratch, bool *oom)
{
        size_t name_len;
        const char *arch;
        split_arch(db, name, &name_len, &arch);
        scratch->n = 0;
        for (size_t i = pkg_lower_bound(db, name, name_len);
             i < db->n_pkgs && name_eq(db->pkgs[i]->name, name, name_len); i++) {
                struct v2c_pkg *p = db->pkgs[i];
                if (p->installed && (arch == NULL || strcmp_null(p->arch, arch) == 0) &&
                    pkg_vec_push(scratch, p) < 0) {
                        *oom = true;
                        return NULL;
                }
        }
        struct v2c_pkg *p = pick_arch(db, scratch->v, scratch->n, arch ? arch : want_arch);
        if (p)
                return p;

        /* Virtual packages: providers only ever satisfy the bare name. */
        if (arch != NULL)
                return NULL;
        p = resolve_provider(db, name, name_len, want_arch, scratch, oom);
        if (p || *oom || db->format != V2C_PKG_FORMAT_RPM || name[0] != '/')
                return p;

        /* rpm's file dependencies ("/bin/sh", "/usr/bin/python3"): every
         * package provides the files it owns.  A merged-/usr guest's
         * packages own /usr/bin/sh where others require /bin/sh (or the
         * reverse), so the alias is tried too, a provider before an owner
         * as for the path itself. */
        _cleanup_free_ char *path = NULL;
        int r = v2c_pkg_path_normalize(name, strlen(name), &path);
        if (r < 0) {
                *oom = r == -ENOMEM;
                return NULL;
        }
        p = installed_owner(db, path);
        if (p)
                return p;
        _cleanup_free_ char *alias = usrmerge_alias(path);
        if (alias == NULL)
                return NULL;
        p = resolve_provider(db, alias, strlen(alias), want_arch, scratch, oom);
        return p || *oom ? p : installed_owner(db, alias);
}

static char *dep_to_string(const struct v2c_dep *d)
{
        struct v2c_buf b;
        v2c_buf_init(&b, V2C_PKG_MAX_FIELD);
        for (size_t i = 0; i < d->n_alts; i++) {
                int r = v2c_buf_appendf(&b, "%s%s", i ? " | " : "", d->alts[i].name);
                if (r == 0 && d->alts[i].constraint)
                        r = v2c_buf_appendf(&b, " (%s)", d->alts[i].constraint);
                if (r < 0) {
                        v2c_buf_release(&b);
                        return NULL;
                }
        }
        return v2c_buf_steal(&b);
}

static int cmp_pkg_ptr(const void *a, const void *b)
{
        const struct v2c_pkg *p = *(const struct v2c_pkg *const *) a;
        const struct v2c_pkg *q = *(const struct v2c_pkg *const *) b;
        int c = strcmp(p->name, q->name);
        if (c)
                return c;
        c = strcmp_null(p->arch, q->arch);
        return c ? c : (p->id > q->id) - (p->id < q->id);
}

int v2c_pkgdb_closure(const struct v2c_pkgdb *db, char *const *roots,
                      const struct v2c_pkg ***pkgs, char ***missing, struct v2c_error **err)
{
        if (!db->finished)
                return v2c_error_set(err, EINVAL, "package database not finished");

        _cleanup_free_ bool *seen = calloc(db->n_pkgs + 1, sizeof *seen);
        struct pkg_vec queue = { 0 }, scratch = { 0 };
        struct v2c_strvec miss = { 0 };
        int r = 0;
        bool oom = false;
        if (seen == NULL)
                goto nomem;

        for (size_t i = 0; roots && roots[i]; i++) {
                struct v2c_pkg *p = resolve_name(db, roots[i], NULL, &scratch, &oom);
                if (oom)
                        goto nomem;
                if (p == NULL) {
                        if (v2c_strvec_consume(&miss, strdup(roots[i])) < 0)
                                goto nomem;
                } else if (!seen[p->id]) {
                        seen[p->id] = true;
                        if (pkg_vec_push(&queue, p) < 0)
                                goto nomem;
                }
        }

        /* Breadth-first over an explicit queue: the seen flags make it
         * cycle-safe and bound it by the package count. */
        for (size_t qi = 0; qi < queue.n; qi++) {
                struct v2c_pkg *p = queue.v[qi];
                for (int field = 0; field < 2; field++) {
                        const struct v2c_dep *deps = field ? p->pre_depends : p->depends;
                        size_t n = field ? p->n_pre_depends : p->n_depends;
                        for (size_t d = 0; d < n; d++) {
                                struct v2c_pkg *q = NULL;
                                for (size_t a = 0; q == NULL && a < deps[d].n_alts; a++)
                                        q = resolve_name(db, deps[d].alts[a].name, p->arch,
                                                         &scratch, &oom);
                                if (oom)
                                        goto nomem;
                                if (q == NULL) {
                                        if (v2c_strvec_consume(&miss, dep_to_string(&deps[d])) < 0)
                                                goto nomem;
                                } else if (!seen[q->id]) {
                                        seen[q->id] = true;
                                        if (pkg_vec_push(&queue, q) < 0)
                                                goto nomem;
                                }
                        }
                }
        }

        const struct v2c_pkg **out = calloc(queue.n + 1, sizeof *out);
        if (out == NULL)
                goto nomem;
        for (size_t i = 0; i < queue.n; i++)
                out[i] = queue.v[i];
        if (queue.n > 1)
                qsort(out, queue.n, sizeof *out, cmp_pkg_ptr);
        v2c_strv_sort_uniq(miss.v);
        *pkgs = out;
        if (missing)
                *missing = miss.v;
        else
                v2c_strv_free(miss.v);
        r = (int) queue.n;
        free(queue.v);
        free(scratch.v);
        return r;
nomem:
        free(queue.v);
        free(scratch.v);
        v2c_strv_free(miss.v);
        return v2c_error_set(err, ENOMEM, "out of memory");
}

static int list_paths(const struct v2c_pkgdb *db, const char *name, bool conffiles,
                      char ***paths, struct v2c_error **err)
{
        if (!db->finished)
                return v2c_error_set(err, EINVAL, "package database not finished");
        const struct v2c_pkg *p = v2c_pkgdb_find(db, name);
        if (p == NULL)
                return v2c_error_set(err, ENOENT, "no package `%s`", name);
        size_t n = conffiles ? p->n_conffiles : p->n_files;
        if (n == 0) {
                *paths = NULL;
                return 0;
        }
        char **v = calloc(n + 1, sizeof *v);
        if (v == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        for (size_t i = 0; i < n; i++) {
                v[i] = strdup(conffiles ? p->conffiles[i].path : p->files[i]);
                if (v[i] == NULL) {
                        v2c_strv_free(v);
                        return v2c_error_set(err, ENOMEM, "out of memory");
                }
        }
        v2c_strv_sort_uniq(v);
        *paths = v;
        return 0;
}

int v2c_pkgdb_conffiles(const struct v2c_pkgdb *db, const char *name, char ***paths,
                        struct v2c_error **err)
{
        return list_paths(db, name, true, paths, err);
}

int v2c_pkgdb_files(const struct v2c_pkgdb *db, const char *name, char ***paths,
                    struct v2c_error **err)
{
        return list_paths(db, name, false, paths, err);
}
