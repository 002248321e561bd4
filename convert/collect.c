/* Gathering an image's files from the guest into per-layer trees, and
 * writing a tree as a layer.  See convert-internal.h. */
#include "convert-internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "path.h"
#include "secrets.h"
#include "strv.h"
#include "text.h"

/* ---- strmap: open addressing, FNV-1a ---- */

static size_t hash(const char *s)
{
        size_t h = 1469598103934665603ull;
        for (; *s; s++)
                h = (h ^ (unsigned char) *s) * 1099511628211ull;
        return h;
}

static size_t slot_of(const struct strmap *m, const char *key)
{
        size_t i = hash(key) & (m->cap - 1);
        while (m->keys[i] && strcmp(m->keys[i], key) != 0)
                i = (i + 1) & (m->cap - 1);
        return i;
}

static int grow(struct strmap *m)
{
        size_t cap = m->cap ? m->cap * 2 : 1024;
        struct strmap n = { calloc(cap, sizeof(char *)), calloc(cap, sizeof(char *)), m->n, cap };
        if (n.keys == NULL || n.vals == NULL) {
                free(n.keys);
                free(n.vals);
                return -ENOMEM;
        }
        for (size_t i = 0; i < m->cap; i++)
                if (m->keys[i]) {
                        size_t j = slot_of(&n, m->keys[i]);
                        n.keys[j] = m->keys[i];
                        n.vals[j] = m->vals[i];
                }
        free(m->keys);
        free(m->vals);
        *m = n;
        return 0;
}

int strmap_put(struct strmap *m, const char *key, const char *val)
{
        if ((m->n + 1) * 2 > m->cap && grow(m) < 0)
                return -ENOMEM;
        size_t i = slot_of(m, key);
        if (m->keys[i])
                return 0;
        char *k = strdup(key), *v = val ? strdup(val) : NULL;
        if (k == NULL || (val && v == NULL)) {
                free(k);
                free(v);
                return -ENOMEM;
        }
        m->keys[i] = k;
        m->vals[i] = v;
        m->n++;
        return 1;
}

const char *strmap_get(const struct strmap *m, const char *key, bool *found)
{
        *found = false;
        if (m->cap == 0)
                return NULL;
        size_t i = slot_of(m, key);
        *found = m->keys[i] != NULL;
        return m->vals[i];
}

void strmap_release(struct strmap *m)
{
        for (size_t i = 0; i < m->cap; i++) {
                free(m->keys[i]);
                free(m->vals[i]);
        }
        free(m->keys);
        free(m->vals);
        *m = (struct strmap) { 0 };
}

/* ---- trees ---- */

static void tree_release(struct ctree *t)
{
        for (size_t i = 0; i < t->n; i++) {
                free(t->v[i].path);
                free(t->v[i].link);
                free(t->v[i].guest);
                free(t->v[i].data);
        }
        free(t->v);
        strmap_release(&t->index);
        *t = (struct ctree) { 0 };
}

void col_init(struct col *c, struct v2c_guest *g, enum v2c_convert_mode mode)
{
        *c = (struct col) { .g = g, .mode = mode };
}

void col_release(struct col *c)
{
        for (int i = 0; i < N_LAYERS; i++)
                tree_release(&c->trees[i]);
        strmap_release(&c->claimed);
        strmap_release(&c->visited);
        strmap_release(&c->secret_ids);
        strmap_release(&c->shadow_ids);
        v2c_strv_free(c->secrets);
        v2c_strv_free(c->check_paths);
        v2c_strv_free(c->excluded);
        v2c_strv_free(c->excluded_base);
        v2c_strv_free(c->warnings);
        *c = (struct col) { 0 };
}

void col_reset_service(struct col *c)
{
        for (int i = LAYER_PACKAGES; i < N_LAYERS; i++)
                tree_release(&c->trees[i]);
        /* Only base's claims carry over to the next image. */
        strmap_release(&c->claimed);
        strmap_release(&c->visited);
        v2c_strv_free(c->excluded);
        c->excluded = NULL;
        struct ctree *b = &c->trees[LAYER_BASE];
        for (size_t i = 0; i < b->n; i++)
                if (b->v[i].type != V2C_LAYER_DIR)
                        strmap_put(&c->claimed, b->v[i].path, NULL);
}

/* Appends a node for canonical guest PATH; NULL when the tree has it
 * already (*dup set) or on ENOMEM. */
static struct cnode *tree_new(struct col *c, int layer, const char *path, bool *dup)
{
        struct ctree *t = &c->trees[layer];
        const char *rel = path + strspn(path, "/");
        *dup = false;
        int r = strmap_put(&t->index, rel, NULL);
        if (r <= 0) {
                *dup = r == 0;
                return NULL;
        }
        if (t->n == t->cap) {
                size_t cap = t->cap ? t->cap * 2 : 256;
                struct cnode *v = realloc(t->v, cap * sizeof *v);
                if (v == NULL)
                        return NULL;
                t->v = v;
                t->cap = cap;
        }
        struct cnode *n = &t->v[t->n];
        *n = (struct cnode) { .path = strdup(rel) };
        if (n->path == NULL)
                return NULL;
        t->n++;
        c->nodes++;
        return n;
}

static int too_many(struct col *c, struct v2c_error **err)
{
        return v2c_error_set_kind(err, V2C_ERR_INPUT, E2BIG, "more than %u files in one image", CONVERT_MAX_NODES);
}

static void set_meta(struct cnode *n, const struct v2c_stat *st)
{
        n->mode = st->mode & 07777;
        n->uid = st->uid;
        n->gid = st->gid;
        n->mtime = st->mtime;
}

/* Directory nodes for every component of canonical DIR, from the guest;
 * missing ones (generated paths) are made 0755 root. */
static int add_dir_chain(struct col *c, int layer, const char *dir, struct v2c_error **err)
{
        if (strcmp(dir, "/") == 0 || dir[0] != '/')
                return 0;
        _cleanup_free_ char *parent = v2c_path_dirname(dir);
        if (parent == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        bool found;
        strmap_get(&c->trees[layer].index, dir + 1, &found);
        if (found)
                return 0;
        int r = add_dir_chain(c, layer, parent, err);
        if (r < 0)
                return r;
        struct v2c_stat st = { .type = V2C_FT_DIR, .mode = 0755 };
        if (v2c_guest_lstat(c->g, dir, &st, NULL) < 0 || st.type != V2C_FT_DIR)
                st = (struct v2c_stat) { .type = V2C_FT_DIR, .mode = 0755 };
        if (c->nodes >= CONVERT_MAX_NODES)
                return too_many(c, err);
        bool dup;
        struct cnode *n = tree_new(c, layer, dir, &dup);
        if (n == NULL)
                return dup ? 0 : v2c_error_set(err, ENOMEM, "out of memory");
        n->type = V2C_LAYER_DIR;
        set_meta(n, &st);
        return 0;
}

/* Paths no service image carries: documentation, the init system, the
 * kernel, and the accounts (generated from the guest's instead). */
static const char *const filtered_prefixes[] = {
        "/usr/share/doc", "/usr/share/man", "/usr/share/info", "/usr/share/lintian", "/usr/share/bug",
        "/usr/share/locale", "/usr/share/linda", "/usr/share/gtk-doc", "/usr/share/help",
        "/etc/init.d", "/etc/init", "/etc/rc0.d", "/etc/rc1.d", "/etc/rc2.d", "/etc/rc3.d", "/etc/rc4.d",
        "/etc/rc5.d", "/etc/rc6.d", "/etc/rcS.d", "/etc/systemd", "/lib/systemd", "/usr/lib/systemd",
        "/etc/logrotate.d", "/etc/cron.d", "/etc/cron.daily", "/etc/cron.hourly", "/etc/cron.weekly",
        "/etc/cron.monthly", "/etc/ufw", "/boot", "/lib/modules", "/usr/lib/modules", "/lib/firmware",
        "/usr/lib/firmware", "/etc/passwd", "/etc/group", "/etc/shadow", "/etc/gshadow", "/etc/passwd-",
        "/etc/group-", "/etc/shadow-", "/etc/gshadow-", "/etc/runlevels", "/etc/conf.d", "/var/log",
        "/var/cache", "/tmp", "/var/tmp", "/run", "/proc", "/sys", "/dev",
};

bool col_filtered(const char *path)
{
        for (size_t i = 0; i < V2C_ARRAY_SIZE(filtered_prefixes); i++)
                if (v2c_path_is_under(path, filtered_prefixes[i]))
                        return strcmp(path, filtered_prefixes[i]) != 0 || path[1] == 'e';
        /* The C and C.UTF-8 locales stay; others go. */
        if (v2c_path_is_under(path, "/usr/lib/locale") && strcmp(path, "/usr/lib/locale") != 0)
                return !(v2c_path_is_under(path, "/usr/lib/locale/C.utf8") ||
                         v2c_path_is_under(path, "/usr/lib/locale/C.UTF-8"));
        return false;
}

/* System images: the whole tree minus what no running system needs and
 * what is the machine's, not the OS's: dbus's copy of the machine ID,
 * systemd's random seed (a seed every container shares is none) and its
 * credential key (convert.c empties the machine ID, hostname and
 * resolv.conf). */
static const char *const system_excluded[] = {
        "/proc", "/sys", "/dev", "/tmp", "/var/tmp", "/run", "/boot", "/lib/modules", "/usr/lib/modules",
        "/lib/firmware", "/usr/lib/firmware", "/lost+found", "/swapfile", "/swap.img", "/var/cache",
        "/var/log", "/etc/shadow", "/etc/gshadow", "/etc/shadow-", "/etc/gshadow-", "/var/lib/apt/lists",
        "/var/swap", "/media", "/mnt", "/var/lib/dbus/machine-id", "/var/lib/systemd/random-seed",
        "/var/lib/systemd/credential.secret",
};

static bool system_skip(const char *path, enum v2c_file_type type)
{
        for (size_t i = 0; i < V2C_ARRAY_SIZE(system_excluded); i++)
                if (v2c_path_is_under(path, system_excluded[i])) {
                        /* The directories stay (services expect /var/log/APP),
                         * their contents go. */
                        if (strcmp(path, system_excluded[i]) == 0)
                                return type != V2C_FT_DIR;
                        if (strcmp(system_excluded[i], "/var/log") == 0 || strcmp(system_excluded[i], "/var/cache") == 0)
                                return type != V2C_FT_DIR;
                        return true;
                }
        return false;
}

static bool is_secret(struct col *c, const char *path)
{
        return v2c_strv_contains(c->secrets, path);
}

static int col_walk(struct col *c, int layer, const char *path, unsigned flags, int depth, struct v2c_error **err);

/* The directories leading to PATH, with symlinks kept: *real gets the
 * canonical parent directory.  -ENOENT when a component is missing. */
static int add_parents(struct col *c, int layer, const char *path, unsigned flags, int depth, char **real,
                       struct v2c_error **err)
{
        _cleanup_free_ char *dir = v2c_path_dirname(path);
        _cleanup_free_ char *cur = strdup("/");
        if (dir == NULL || cur == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        for (const char *p = dir; *p;) {
                p += strspn(p, "/");
                size_t n = strcspn(p, "/");
                if (n == 0)
                        break;
                _cleanup_free_ char *cand = NULL;
                if (asprintf(&cand, "%s/%.*s", strcmp(cur, "/") ? cur : "", (int) n, p) < 0)
                        return v2c_error_set(err, ENOMEM, "out of memory");
                p += n;
                struct v2c_stat st;
                if (v2c_guest_lstat(c->g, cand, &st, NULL) < 0)
                        return -ENOENT;
                if (st.type == V2C_FT_LNK) {
                        /* Keep the link ("/lib" -> "usr/lib") and go on from its target. */
                        int r = col_walk(c, layer, cand, flags & ~COL_RECURSIVE, depth + 1, err);
                        if (r < 0)
                                return r;
                        char *t = NULL;
                        if (v2c_guest_realpath(c->g, cand, &t, NULL) < 0)
                                return -ENOENT;
                        free(cur);
                        cur = t;
                        continue;
                }
                if (st.type != V2C_FT_DIR)
                        return -ENOENT;
                free(cur);
                cur = TAKE_PTR(cand);
        }
        *real = TAKE_PTR(cur);
        return 0;
}

static int col_walk(struct col *c, int layer, const char *path, unsigned flags, int depth, struct v2c_error **err)
{
        if (depth > CONVERT_MAX_DEPTH)
                return 0;
        if (path[0] != '/')
                return 0;
        _cleanup_free_ char *key = NULL;
        if (asprintf(&key, "%d:%u:%s", layer, flags, path) < 0)
                return v2c_error_set(err, ENOMEM, "out of memory");
        int r = strmap_put(&c->visited, key, NULL);
        if (r <= 0)
                return r < 0 ? v2c_error_set(err, ENOMEM, "out of memory") : 0;
        if ((flags & COL_FILTER) && col_filtered(path))
                return 0;

        _cleanup_free_ char *parent = NULL;
        r = add_parents(c, layer, path, flags, depth, &parent, err);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        const char *base = v2c_path_basename(path);
        _cleanup_free_ char *p = NULL;
        if (strcmp(path, "/") == 0)
                p = strdup("/");
        else if (asprintf(&p, "%s/%s", strcmp(parent, "/") ? parent : "", base) < 0)
                p = NULL;
        if (p == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        if (strcmp(p, path) != 0) {
                /* Reached through a symlinked directory: the canonical path
                 * is the one to filter and store. */
                if ((flags & COL_FILTER) && col_filtered(p))
                        return 0;
                if (strcmp(p, "/") != 0)
                        return col_walk(c, layer, p, flags, depth + 1, err);
        }

        struct v2c_stat st;
        if (strcmp(p, "/") == 0)
                st = (struct v2c_stat) { .type = V2C_FT_DIR };
        else if (v2c_guest_lstat(c->g, p, &st, NULL) < 0)
                return 0;
        if (c->classify && system_skip(p, st.type))
                return 0;
        if (is_secret(c, p))
                return 0;
        if (st.type == V2C_FT_DIR && strcmp(p, "/") != 0 && strcmp(base, "lost+found") == 0 && strcmp(parent, "/") == 0)
                return 0;
        if (c->nodes >= CONVERT_MAX_NODES)
                return too_many(c, err);

        int target = layer;
        if (c->classify && st.type != V2C_FT_DIR)
                target = c->classify(c->classify_ctx, p);
        r = add_dir_chain(c, target, parent, err);
        if (r < 0)
                return r;
        bool dup, claimed;
        switch (st.type) {
        case V2C_FT_DIR: {
                if (strcmp(p, "/") != 0) {
                        struct cnode *n = tree_new(c, layer, p, &dup);
                        if (n == NULL && !dup)
                                return v2c_error_set(err, ENOMEM, "out of memory");
                        if (n) {
                                n->type = V2C_LAYER_DIR;
                                set_meta(n, &st);
                        }
                }
                if (!(flags & COL_RECURSIVE))
                        return 0;
                struct v2c_dirent *ents = NULL;
                size_t n = 0;
                if (v2c_guest_list(c->g, p, &ents, &n, NULL) < 0)
                        return 0;
                for (size_t i = 0; i < n && r >= 0; i++) {
                        _cleanup_free_ char *child = NULL;
                        if (asprintf(&child, "%s/%s", strcmp(p, "/") ? p : "", ents[i].name) < 0)
                                r = v2c_error_set(err, ENOMEM, "out of memory");
                        else
                                r = col_walk(c, layer, child, flags, depth + 1, err);
                }
                v2c_dirents_free(ents, n);
                return r;
        }
        case V2C_FT_LNK: {
                strmap_get(&c->claimed, p + 1, &claimed);
                if (!claimed) {
                        _cleanup_free_ char *t = NULL;
                        if (v2c_guest_readlink(c->g, p, &t, NULL) < 0)
                                return 0;
                        struct cnode *n = tree_new(c, target, p, &dup);
                        if (n == NULL && !dup)
                                return v2c_error_set(err, ENOMEM, "out of memory");
                        if (n) {
                                n->type = V2C_LAYER_SYMLINK;
                                set_meta(n, &st);
                                n->mode = 0777;
                                n->link = TAKE_PTR(t);
                                if (strmap_put(&c->claimed, p + 1, NULL) < 0)
                                        return v2c_error_set(err, ENOMEM, "out of memory");
                        }
                }
                if (c->classify)
                        return 0;   /* the walk of / meets the target anyway */
                /* The target comes too (a link to a directory: the
                 * directory itself, its tree only when asked for at the
                 * top, so that a link to / cannot pull the whole guest). */
                _cleanup_free_ char *real = NULL;
                if (v2c_guest_realpath(c->g, p, &real, NULL) < 0)
                        return 0;   /* dangling, or a loop: the link alone */
                return col_walk(c, layer, real, depth == 0 ? flags : flags & ~COL_RECURSIVE, depth + 1, err);
        }
        case V2C_FT_REG: {
                strmap_get(&c->claimed, p + 1, &claimed);
                if (claimed)
                        return 0;
                struct cnode *n = tree_new(c, target, p, &dup);
                if (n == NULL && !dup)
                        return v2c_error_set(err, ENOMEM, "out of memory");
                if (n == NULL)
                        return 0;
                n->type = V2C_LAYER_REG;
                set_meta(n, &st);
                n->size = st.size;
                n->ino = st.nlink > 1 ? st.ino : 0;
                n->guest = strdup(p);
                if (n->guest == NULL || strmap_put(&c->claimed, p + 1, NULL) < 0)
                        return v2c_error_set(err, ENOMEM, "out of memory");
                return 0;
        }
        default:
                /* Device nodes, FIFOs and sockets are the machine's. */
                return 0;
        }
}

int col_add(struct col *c, int layer, const char *path, unsigned flags, struct v2c_error **err)
{
        _cleanup_free_ char *norm = NULL;
        if (path == NULL || path[0] != '/')
                return 0;
        if (v2c_path_normalize("/", path, &norm) < 0)
                return v2c_error_set(err, ENOMEM, "out of memory");
        return col_walk(c, layer, norm, flags, 0, err);
}

/* A node the conversion makes (not read from the guest) at canonical
 * PATH, its directories first: *out is it, or NULL when the tree already
 * has PATH.  Returns 0 or a negative errno with ERR set. */
static int new_made(struct col *c, int layer, const char *path, struct cnode **out, struct v2c_error **err)
{
        *out = NULL;
        _cleanup_free_ char *parent = v2c_path_dirname(path);
        if (parent == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        int r = add_dir_chain(c, layer, parent, err);
        if (r < 0)
                return r;
        bool dup;
        *out = tree_new(c, layer, path, &dup);
        return *out || dup ? 0 : v2c_error_set(err, ENOMEM, "out of memory");
}

int col_add_dir(struct col *c, int layer, const char *path, uint32_t mode, uint32_t uid, uint32_t gid,
                struct v2c_error **err)
{
        struct v2c_stat st;
        if (v2c_guest_stat(c->g, path, &st, NULL) == 0 && st.type == V2C_FT_DIR)
                return col_add(c, layer, path, 0, err);
        struct cnode *n;
        int r = new_made(c, layer, path, &n, err);
        if (r < 0 || n == NULL)
                return r;
        n->type = V2C_LAYER_DIR;
        n->mode = mode;
        n->uid = uid;
        n->gid = gid;
        return 0;
}

int col_add_data(struct col *c, int layer, const char *path, const void *data, size_t len, uint32_t mode,
                 int64_t mtime, struct v2c_error **err)
{
        struct cnode *n;
        int r = new_made(c, layer, path, &n, err);
        if (r < 0)
                return r;
        if (n == NULL)
                return v2c_error_set(err, EEXIST, "`%s` added twice", path);
        n->type = V2C_LAYER_REG;
        n->mode = mode;
        n->mtime = mtime;
        n->size = len;
        n->data = malloc(len ? len : 1);
        if (n->data == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        memcpy(n->data, data, len);
        if (strmap_put(&c->claimed, path + 1, NULL) < 0)
                return v2c_error_set(err, ENOMEM, "out of memory");
        return 0;
}

int col_add_symlink(struct col *c, int layer, const char *path, const char *target, struct v2c_error **err)
{
        _cleanup_free_ char *parent = v2c_path_dirname(path);
        if (parent == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        /* The directory is the guest's (owner and mode kept). */
        int r = parent[1] ? col_add(c, layer, parent, 0, err) : 0;
        if (r < 0)
                return r;
        struct cnode *n;
        r = new_made(c, layer, path, &n, err);
        if (r < 0 || n == NULL)
                return r;
        n->type = V2C_LAYER_SYMLINK;
        n->mode = 0777;
        n->link = strdup(target);
        if (n->link == NULL || strmap_put(&c->claimed, path + 1, NULL) < 0)
                return v2c_error_set(err, ENOMEM, "out of memory");
        return 0;
}

/* ---- secrets: files, not paths ---- */

/* The copies of the account databases that hold password hashes. */
static const char *const shadow_files[] = { "/etc/shadow", "/etc/gshadow", "/etc/shadow-", "/etc/gshadow-" };

static void id_key(const struct v2c_file_id *id, char key[48])
{
        snprintf(key, 48, "%llx:%llx", (unsigned long long) id->dev, (unsigned long long) id->ino);
}

/* Adds the identities of the files PATHS resolve to into MAP. */
static int remember_files(struct col *c, struct strmap *map, char *const *paths, size_t n, struct v2c_error **err)
{
        _cleanup_strv_ char **real = NULL;
        for (size_t i = 0; i < n; i++) {
                char *p = NULL;
                if (paths[i] == NULL || paths[i][0] != '/' || v2c_guest_realpath(c->g, paths[i], &p, NULL) < 0)
                        continue;
                if (v2c_strv_consume(&real, p) < 0)
                        return v2c_error_set(err, ENOMEM, "out of memory");
        }
        size_t nr = v2c_strv_len(real);
        if (nr == 0)
                return 0;
        _cleanup_free_ struct v2c_file_id *ids = calloc(nr, sizeof *ids);
        if (ids == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        int r = v2c_guest_identify(c->g, real, nr, ids, err);
        if (r < 0)
                return v2c_error_prefix(err, r, "identifying secret files");
        for (size_t i = 0; i < nr; i++) {
                char key[48];
                if (ids[i].ino == 0)
                        continue;
                id_key(&ids[i], key);
                if (strmap_put(map, key, real[i]) < 0)
                        return v2c_error_set(err, ENOMEM, "out of memory");
        }
        return 0;
}

int col_guard_init(struct col *c, char *const *paths, struct v2c_error **err)
{
        int r = remember_files(c, &c->secret_ids, paths, v2c_strv_len(paths), err);
        if (r < 0)
                return r;
        return remember_files(c, &c->shadow_ids, (char *const *) shadow_files, V2C_ARRAY_SIZE(shadow_files), err);
}

static int note_excluded(struct col *c, const char *path, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int note_excluded(struct col *c, const char *path, const char *fmt, ...)
{
        _cleanup_free_ char *why = NULL, *shown = v2c_text_printable(path, false), *line = NULL, *warning = NULL;
        va_list ap;
        va_start(ap, fmt);
        int k = vasprintf(&why, fmt, ap);
        va_end(ap);
        if (k < 0 || shown == NULL || asprintf(&line, "%s: %s", shown, why) < 0 ||
            asprintf(&warning, "%s: %s", shown, why) < 0 || v2c_strv_consume(&c->excluded, TAKE_PTR(line)) < 0 ||
            v2c_strv_consume(&c->warnings, TAKE_PTR(warning)) < 0)
                return -ENOMEM;
        return 0;
}

/* A name of the shadow file: it goes in as the cleaned shadow. */
static int clean_shadow(struct col *c, struct cnode *n, const char *of, struct v2c_error **err)
{
        _cleanup_free_ char *data = NULL;
        size_t len;
        int r = v2c_guest_read_file(c->g, n->guest, 16u << 20, &data, &len, err);
        if (r < 0)
                return v2c_error_prefix(err, r, "reading `%s`", n->guest);
        char *clean = convert_sanitize_shadow(data);
        if (clean == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        _cleanup_free_ char *path = TAKE_PTR(n->guest);
        n->data = clean;
        n->size = strlen(clean);
        n->ino = 0;
        int k = strcmp(path, of) == 0 ? note_excluded(c, path, "password fields blanked")
                                      : note_excluded(c, path, "another name of %s: password fields blanked", of);
        return k < 0 ? v2c_error_set(err, ENOMEM, "out of memory") : 0;
}

/* Whether the secret rules look at N's content: as inspect does, a file
 * whose name the rules pick, or one a service reads its configuration
 * from; and a file with other names, which might be a secret's. */
static bool worth_reading(struct col *c, const struct cnode *n, const struct v2c_file_id *id)
{
        if (n->size > V2C_SECRET_MAX_INPUT)
                return false;
        return v2c_secret_name_is_candidate(n->guest) || id->nlink > 1 || v2c_strv_contains(c->check_paths, n->guest);
}

static int secret_kinds(struct col *c, const struct cnode *n, unsigned *kinds, struct v2c_error **err)
{
        _cleanup_free_ char *data = NULL;
        size_t len;
        int r = v2c_guest_read_file(c->g, n->guest, V2C_SECRET_MAX_INPUT, &data, &len, err);
        if (r < 0)
                return v2c_error_prefix(err, r, "checking `%s` for secrets", n->guest);
        unsigned mask = 0;
        r = v2c_secret_classify(n->guest, data, len, &mask, err);
        if (r < 0)
                return v2c_error_prefix(err, r, "checking `%s` for secrets", n->guest);
        *kinds = v2c_secret_kinds_reported(mask);
        return 0;
}

int col_screen(struct col *c, int first, int last, struct v2c_error **err)
{
        size_t total = 0;
        for (int l = first; l <= last; l++)
                for (size_t i = 0; i < c->trees[l].n; i++)
                        total += c->trees[l].v[i].type == V2C_LAYER_REG && c->trees[l].v[i].guest != NULL;
        if (total == 0)
                return 0;
        _cleanup_free_ struct cnode **nodes = calloc(total, sizeof *nodes);
        _cleanup_free_ char **paths = calloc(total + 1, sizeof *paths);
        _cleanup_free_ struct v2c_file_id *ids = calloc(total, sizeof *ids);
        if (nodes == NULL || paths == NULL || ids == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        size_t k = 0;
        for (int l = first; l <= last; l++)
                for (size_t i = 0; i < c->trees[l].n; i++)
                        if (c->trees[l].v[i].type == V2C_LAYER_REG && c->trees[l].v[i].guest != NULL) {
                                nodes[k] = &c->trees[l].v[i];
                                paths[k] = nodes[k]->guest;
                                k++;
                        }
        int r = v2c_guest_identify(c->g, paths, total, ids, err);
        if (r < 0)
                return v2c_error_prefix(err, r, "identifying the image's files");
        /* First what each file is; then the other names of the files found
         * to be secrets, wherever they sort. */
        for (int pass = 0; pass < 2; pass++)
                for (size_t i = 0; i < total; i++) {
                        struct cnode *n = nodes[i];
                        if (n->excluded || n->guest == NULL || v2c_strv_contains(c->keep, n->guest))
                                continue;
                        char key[48];
                        id_key(&ids[i], key);
                        bool found = false;
                        const char *of = ids[i].ino ? strmap_get(&c->shadow_ids, key, &found) : NULL;
                        for (size_t s = 0; s < V2C_ARRAY_SIZE(shadow_files) && !found; s++)
                                if (strcmp(n->guest, shadow_files[s]) == 0) {
                                        found = true;
                                        of = shadow_files[s];
                                }
                        if (found) {
                                r = clean_shadow(c, n, of, err);
                                if (r < 0)
                                        return r;
                                continue;
                        }
                        of = ids[i].ino ? strmap_get(&c->secret_ids, key, &found) : NULL;
                        if (found) {
                                n->excluded = true;
                                r = strcmp(of, n->guest) == 0 ? note_excluded(c, n->guest, "secret")
                                                              : note_excluded(c, n->guest, "another name of secret %s", of);
                                if (r < 0)
                                        return v2c_error_set(err, ENOMEM, "out of memory");
                                continue;
                        }
                        if (pass == 1 || !worth_reading(c, n, &ids[i]))
                                continue;
                        unsigned kinds = 0;
                        r = secret_kinds(c, n, &kinds, err);
                        if (r < 0)
                                return r;
                        if (kinds == 0)
                                continue;
                        n->excluded = true;
                        if ((ids[i].ino && strmap_put(&c->secret_ids, key, n->guest) < 0) ||
                            note_excluded(c, n->guest, "secret (%s), found by convert's own check",
                                          v2c_secret_kind_name(kinds & -kinds)) < 0)
                                return v2c_error_set(err, ENOMEM, "out of memory");
                }
        return 0;
}

int col_guest_files(const struct col *c, int first, int last, char ***paths)
{
        for (int l = first; l <= last; l++)
                for (size_t i = 0; i < c->trees[l].n; i++) {
                        const struct cnode *n = &c->trees[l].v[i];
                        if (n->type == V2C_LAYER_REG && n->guest && v2c_strv_push(paths, n->guest) < 0)
                                return -ENOMEM;
                }
        return 0;
}

/* ---- writing ---- */

static int cmp_node(const void *a, const void *b)
{
        return v2c_layer_path_cmp(((const struct cnode *) a)->path, ((const struct cnode *) b)->path);
}

struct data_src {
        const char *p;
        size_t left;
};

static int data_read(void *ctx, void *buf, size_t n, size_t *got, struct v2c_error **err)
{
        struct data_src *s = ctx;
        *got = n < s->left ? n : s->left;
        memcpy(buf, s->p, *got);
        s->p += *got;
        s->left -= *got;
        (void) err;
        return 0;
}

static int gfile_read(void *ctx, void *buf, size_t n, size_t *got, struct v2c_error **err)
{
        return v2c_guest_file_read(ctx, buf, n, got, err);
}

int col_write(struct col *c, int layer, const char *blobs_dir, const struct v2c_layer_options *opt,
              struct v2c_layer_result *res, size_t *files, struct v2c_error **err)
{
        struct ctree *t = &c->trees[layer];
        bool any = false;
        for (size_t i = 0; i < t->n && !any; i++)
                any = t->v[i].type != V2C_LAYER_DIR && !t->v[i].excluded;
        /* Directories alone are content when one of them is a leaf: one
         * asked for (RuntimeDirectory=, tmpfiles.d), not the way to a file. */
        if (!any && t->n) {
                struct strmap parents = { 0 };
                for (size_t i = 0; i < t->n; i++) {
                        _cleanup_free_ char *d = v2c_path_dirname(t->v[i].path);
                        if (d == NULL || strmap_put(&parents, d, NULL) < 0) {
                                strmap_release(&parents);
                                return v2c_error_set(err, ENOMEM, "out of memory");
                        }
                }
                for (size_t i = 0; i < t->n && !any; i++) {
                        bool found;
                        strmap_get(&parents, t->v[i].path, &found);
                        any = !found;
                }
                strmap_release(&parents);
        }
        if (!any)
                return 1;
        qsort(t->v, t->n, sizeof *t->v, cmp_node);
        /* Files the walk reached that convert did not foresee (targets of
         * links in configuration trees...) come out of a disk image in one
         * more transfer, not one each. */
        _cleanup_free_ char **want = calloc(t->n + 1, sizeof *want);
        if (want == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        size_t nw = 0;
        for (size_t i = 0; i < t->n; i++)
                if (t->v[i].type == V2C_LAYER_REG && t->v[i].guest && !t->v[i].excluded)
                        want[nw++] = t->v[i].guest;
        int r = nw ? v2c_guest_fetch(c->g, want, nw, NULL, 0, err) : 0;
        if (r < 0)
                return v2c_error_prefix(err, r, "fetching the layer's files");
        struct v2c_layer_writer *w = NULL;
        r = v2c_layer_open(blobs_dir, opt, &w, err);
        if (r < 0)
                return r;
        /* Hardlinks: the first path of an inode (in layer order) carries
         * the bytes, later ones link to it. */
        struct strmap links = { 0 };
        for (size_t i = 0; i < t->n && r >= 0; i++) {
                struct cnode *n = &t->v[i];
                if (n->excluded)
                        continue;
                struct v2c_layer_entry e = { .path = n->path, .type = n->type, .mode = n->mode, .uid = n->uid,
                                             .gid = n->gid, .mtime = n->mtime, .link = n->link };
                if (n->type != V2C_LAYER_REG) {
                        r = v2c_layer_add(w, &e, NULL, err);
                        continue;
                }
                if (n->data) {
                        struct data_src ds = { n->data, n->size };
                        struct v2c_layer_source src = { data_read, &ds };
                        e.size = n->size;
                        r = v2c_layer_add(w, &e, &src, err);
                        continue;
                }
                if (n->ino) {
                        char key[32];
                        snprintf(key, sizeof key, "%llu", (unsigned long long) n->ino);
                        bool found;
                        const char *first = strmap_get(&links, key, &found);
                        if (found) {
                                e.type = V2C_LAYER_HARDLINK;
                                e.link = first;
                                r = v2c_layer_add(w, &e, NULL, err);
                                continue;
                        }
                        if (strmap_put(&links, key, n->path) < 0) {
                                r = v2c_error_set(err, ENOMEM, "out of memory");
                                break;
                        }
                }
                struct v2c_guest_file *f = NULL;
                struct v2c_stat st;
                r = v2c_guest_open_file(c->g, n->guest, &f, &st, err);
                if (r < 0) {
                        v2c_error_prefix(err, r, "reading `%s`", n->guest);
                        break;
                }
                e.size = st.size;
                _cleanup_free_ void *cap = NULL;
                r = v2c_guest_capability(c->g, n->guest, &cap, &e.capability_len, err);
                if (r < 0) {
                        v2c_guest_file_close(f);
                        break;
                }
                e.capability = cap;
                struct v2c_layer_source src = { gfile_read, f };
                r = v2c_layer_add(w, &e, &src, err);
                v2c_guest_file_close(f);
        }
        strmap_release(&links);
        if (r < 0) {
                v2c_layer_abort(w);
                return r;
        }
        *files = t->n;
        return v2c_layer_close(w, res, err);
}
