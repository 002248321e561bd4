/* The guests of `v2c inspect --each`: names and manifests (guest-list.h).
 * Names become file names in the report directory, so they are made safe
 * here, once, whatever the disk's file name or the manifest says. */
#include "guest-list.h"
#include "cleanup.h"
#include "strv.h"
#include "text.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool name_char(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
               c == '-';
}

char *v2c_guest_name_sanitize(const char *name, size_t len)
{
        if (len > V2C_GUEST_NAME_MAX)
                len = V2C_GUEST_NAME_MAX;
        if (len == 0)
                return strdup("guest");
        char *s = malloc(len + 1);
        if (s == NULL)
                return NULL;
        for (size_t i = 0; i < len; i++)
                s[i] = name_char(name[i]) ? name[i] : '_';
        s[len] = '\0';
        /* No hidden file, no "." or "..". */
        if (s[0] == '.')
                s[0] = '_';
        return s;
}

char *v2c_guest_name_from_path(const char *path)
{
        size_t n = strlen(path);
        while (n > 1 && path[n - 1] == '/')
                n--;
        const char *base = path;
        for (size_t i = 0; i < n; i++)
                if (path[i] == '/' && i + 1 < n)
                        base = path + i + 1;
        size_t len = (size_t) (path + n - base);
        /* "web.qcow2" is web; ".qcow2" has no extension to drop. */
        for (size_t i = len; i > 1; i--)
                if (base[i - 1] == '.') {
                        len = i - 1;
                        break;
                }
        return v2c_guest_name_sanitize(base, len);
}

/* Names taken so far: open addressing, so that making thousands of equal
 * names unique stays linear. */
struct name_set {
        const char **slot;
        size_t mask;
};

static uint64_t hash_name(const char *s)
{
        uint64_t h = 1469598103934665603ull;
        while (*s)
                h = (h ^ (unsigned char) *s++) * 1099511628211ull;
        return h;
}

static const char **name_slot(struct name_set *set, const char *name)
{
        size_t i = hash_name(name) & set->mask;
        while (set->slot[i] && strcmp(set->slot[i], name) != 0)
                i = (i + 1) & set->mask;
        return &set->slot[i];
}

/* Renames guests whose name an earlier guest has: NAME-K with the first
 * free K from the guest's position (1 for the first) on (a suffix that shortens the name to
 * stay within V2C_GUEST_NAME_MAX). */
static int make_unique(struct v2c_guest_spec *v, size_t n, struct v2c_error **err)
{
        size_t cap = 16;
        while (cap < 2 * n + 2)
                cap *= 2;
        struct name_set set = { calloc(cap, sizeof *set.slot), cap - 1 };
        if (set.slot == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        int r = 0;
        for (size_t i = 0; i < n && r == 0; i++) {
                const char **s = name_slot(&set, v[i].name);
                /* At most n names are taken: one of n + 1 suffixes is free. */
                for (size_t k = i + 1; *s != NULL; k++) {
                        char suffix[24];
                        int sl = snprintf(suffix, sizeof suffix, "-%zu", k);
                        size_t keep = strlen(v[i].name);
                        if (keep + (size_t) sl > V2C_GUEST_NAME_MAX)
                                keep = V2C_GUEST_NAME_MAX - (size_t) sl;
                        char *nn = NULL;
                        /* The original name stays until a free one is found. */
                        if (asprintf(&nn, "%.*s%s", (int) keep, v[i].name, suffix) < 0) {
                                r = v2c_error_set(err, ENOMEM, "out of memory");
                                break;
                        }
                        const char **t = name_slot(&set, nn);
                        if (*t == NULL) {
                                free(v[i].name);
                                v[i].name = nn;
                                s = t;
                                break;
                        }
                        free(nn);
                }
                if (r == 0)
                        *s = v[i].name;
        }
        free(set.slot);
        return r;
}

struct v2c_guest_spec *v2c_guest_specs_free(struct v2c_guest_spec *v, size_t n)
{
        for (size_t i = 0; v && i < n; i++) {
                free(v[i].name);
                v2c_strv_free(v[i].disks);
        }
        free(v);
        return NULL;
}

int v2c_guest_specs_from_paths(char *const *paths, size_t n, struct v2c_guest_spec **out, size_t *nout,
                               struct v2c_error **err)
{
        if (n > V2C_GUEST_LIST_MAX)
                return v2c_error_set_kind(err, V2C_ERR_USAGE, E2BIG, "at most %d guests at once", V2C_GUEST_LIST_MAX);
        struct v2c_guest_spec *v = calloc(n ? n : 1, sizeof *v);
        if (v == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        for (size_t i = 0; i < n; i++) {
                v[i].name = v2c_guest_name_from_path(paths[i]);
                if (v[i].name == NULL || v2c_strv_push(&v[i].disks, paths[i]) < 0) {
                        v2c_guest_specs_free(v, n);
                        return v2c_error_set(err, ENOMEM, "out of memory");
                }
        }
        int r = make_unique(v, n, err);
        if (r < 0) {
                v2c_guest_specs_free(v, n);
                return r;
        }
        *out = v;
        *nout = n;
        return 0;
}

/* The next blank-separated field of [*p, end), or false at the end. */
static bool next_field(const char **p, const char *end, const char **f, size_t *flen)
{
        while (*p < end && v2c_is_blank(**p))
                (*p)++;
        if (*p == end)
                return false;
        *f = *p;
        while (*p < end && !v2c_is_blank(**p))
                (*p)++;
        *flen = (size_t) (*p - *f);
        return true;
}

int v2c_guest_list_parse(const char *text, size_t len, struct v2c_guest_spec **out, size_t *n,
                         struct v2c_error **err)
{
        if (len > V2C_GUEST_LIST_BYTES)
                return v2c_error_set_kind(err, V2C_ERR_INPUT, EFBIG, "larger than %u bytes", V2C_GUEST_LIST_BYTES);
        if (memchr(text, '\0', len) != NULL)
                return v2c_error_set_kind(err, V2C_ERR_INPUT, EINVAL, "holds a NUL byte: not a text file");
        struct v2c_guest_spec *v = NULL;
        size_t nv = 0;
        int r = 0;
        struct v2c_lines it = { text, text + len, 0 };
        const char *line;
        size_t ll;
        while (r == 0 && v2c_lines_next(&it, &line, &ll)) {
                const char *p = line, *end = line + ll, *f;
                size_t flen;
                if (!next_field(&p, end, &f, &flen) || f[0] == '#')
                        continue;
                if (nv == V2C_GUEST_LIST_MAX) {
                        r = v2c_error_set_kind(err, V2C_ERR_INPUT, E2BIG, "line %zu: more than %d guests", it.lineno,
                                               V2C_GUEST_LIST_MAX);
                        break;
                }
                struct v2c_guest_spec *nvv = realloc(v, (nv + 1) * sizeof *v);
                if (nvv == NULL) {
                        r = v2c_error_set(err, ENOMEM, "out of memory");
                        break;
                }
                v = nvv;
                struct v2c_guest_spec *g = &v[nv++];
                *g = (struct v2c_guest_spec) { v2c_guest_name_sanitize(f, flen), NULL };
                if (g->name == NULL) {
                        r = v2c_error_set(err, ENOMEM, "out of memory");
                        break;
                }
                size_t nd = 0;
                /* A field starting with '#' starts a comment. */
                while (r == 0 && next_field(&p, end, &f, &flen) && f[0] != '#') {
                        if (++nd > V2C_GUEST_DISKS_MAX) {
                                r = v2c_error_set_kind(err, V2C_ERR_INPUT, E2BIG, "line %zu: more than %d disks for one guest",
                                                       it.lineno, V2C_GUEST_DISKS_MAX);
                                break;
                        }
                        char *d = strndup(f, flen);
                        if (d == NULL || v2c_strv_consume(&g->disks, d) < 0)
                                r = v2c_error_set(err, ENOMEM, "out of memory");
                }
                if (r == 0 && nd == 0)
                        r = v2c_error_set_kind(err, V2C_ERR_INPUT, EINVAL, "line %zu: guest `%s` names no disk (NAME DISK [DISK...])",
                                               it.lineno, g->name);
        }
        if (r == 0 && nv == 0)
                r = v2c_error_set_kind(err, V2C_ERR_INPUT, EINVAL, "lists no guest (one a line: NAME DISK [DISK...])");
        if (r == 0)
                r = make_unique(v, nv, err);
        if (r < 0) {
                v2c_guest_specs_free(v, nv);
                return r;
        }
        *out = v;
        *n = nv;
        return 0;
}
