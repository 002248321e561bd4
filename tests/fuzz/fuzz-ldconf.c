/* libFuzzer target: ld.so.conf with includes, $ORIGIN expansion, the
 * library search and the closure walk (ldconf.c).
 *
 * The input is cut at "\n--\n" into parts: part 0 is /etc/ld.so.conf,
 * parts 1.. are /etc/ld.so.conf.d/<i>.conf and also describe objects of
 * a fake file system, one per line: "PATH NEEDED... [@RPATH] [%RUNPATH]
 * [=SONAME]".  The same lines feed the closure of an executable needing
 * every NEEDED of part 1. */
#include <errno.h>
#include <fnmatch.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "elf.h"
#include "error.h"
#include "strv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_PARTS 16

struct world {
        char *names[MAX_PARTS];
        const char *part[MAX_PARTS];
        size_t len[MAX_PARTS];
        size_t n;
};

static int w_glob(void *ctx, const char *pattern, char ***paths, struct v2c_error **err)
{
        struct world *w = ctx;
        char **v = NULL;
        for (size_t i = 0; i < w->n; i++)
                if (fnmatch(pattern, w->names[i], FNM_PATHNAME) == 0 && v2c_strv_push(&v, w->names[i]) < 0) {
                        v2c_strv_free(v);
                        return v2c_error_set(err, ENOMEM, "out of memory");
                }
        *paths = v;
        return 0;
}

static int w_read(void *ctx, const char *path, char **data, size_t *len, struct v2c_error **err)
{
        struct world *w = ctx;
        for (size_t i = 0; i < w->n; i++)
                if (strcmp(w->names[i], path) == 0) {
                        *data = malloc(w->len[i] ? w->len[i] : 1);
                        if (*data == NULL)
                                return v2c_error_set(err, ENOMEM, "out of memory");
                        memcpy(*data, w->part[i], w->len[i]);
                        *len = w->len[i];
                        return 0;
                }
        return v2c_error_set(err, ENOENT, "no `%s`", path);
}

/* Finds the object line "PATH ..." in parts 1.. and builds its info. */
static int describe(struct world *w, const char *path, struct v2c_elf_info **info)
{
        size_t plen = strlen(path);
        for (size_t i = 1; i < w->n; i++) {
                const char *s = w->part[i], *end = s + w->len[i];
                while (s < end) {
                        const char *nl = memchr(s, '\n', (size_t) (end - s));
                        const char *le = nl ? nl : end;
                        if ((size_t) (le - s) >= plen && memcmp(s, path, plen) == 0 &&
                            (s + plen == le || s[plen] == ' ')) {
                                struct v2c_elf_info *e = calloc(1, sizeof *e);
                                if (e == NULL)
                                        return -1;
                                e->elf_class = 64;
                                e->machine = 62;
                                const char *p = s + plen;
                                while (p < le) {
                                        while (p < le && *p == ' ')
                                                p++;
                                        const char *ws = p;
                                        while (p < le && *p != ' ')
                                                p++;
                                        if (p == ws)
                                                break;
                                        char *word = strndup(ws, (size_t) (p - ws));
                                        if (word == NULL)
                                                break;
                                        if (word[0] == '@' && !e->rpath)
                                                e->rpath = strdup(word + 1), free(word);
                                        else if (word[0] == '%' && !e->runpath)
                                                e->runpath = strdup(word + 1), free(word);
                                        else if (word[0] == '=' && !e->soname)
                                                e->soname = strdup(word + 1), free(word);
                                        else if (v2c_strv_len(e->needed) < 64)
                                                v2c_strv_consume(&e->needed, word);
                                        else
                                                free(word);
                                }
                                *info = e;
                                return 1;
                        }
                        s = le + 1;
                }
        }
        return 0;
}

static int w_load(void *ctx, const char *path, struct v2c_elf_info **info, struct v2c_error **err)
{
        (void) err;
        int r = describe(ctx, path, info);
        if (r <= 0)
                return V2C_LD_LOAD_ABSENT;
        /* paths with a 'S' stop the walk, to cover that branch */
        return strchr(path, 'S') ? V2C_LD_LOAD_STOP : V2C_LD_LOAD_FOLLOW;
}

static int w_exists(void *ctx, const char *path)
{
        struct v2c_elf_info *info = NULL;
        int r = describe(ctx, path, &info);
        v2c_elf_info_free(info);
        return r > 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct world w = { 0 };
        const char *s = (const char *) data, *end = s + size;
        while (w.n < MAX_PARTS) {
                const char *cut = memmem(s, (size_t) (end - s), "\n--\n", 4);
                w.part[w.n] = s;
                w.len[w.n] = cut ? (size_t) (cut - s) : (size_t) (end - s);
                if (w.n == 0)
                        w.names[w.n] = strdup("/etc/ld.so.conf");
                else if (asprintf(&w.names[w.n], "/etc/ld.so.conf.d/%zu.conf", w.n) < 0)
                        w.names[w.n] = NULL;
                if (w.names[w.n] == NULL)
                        goto out;
                w.n++;
                if (cut == NULL)
                        break;
                s = cut + 4;
        }

        static const struct v2c_ldconf_ops ops = { w_glob, w_read };
        struct v2c_error *err = NULL;
        char **dirs = NULL;
        if (v2c_ldconf_load("/etc/ld.so.conf", &ops, &w, &dirs, &err) < 0)
                err = v2c_error_free(err);

        /* every conf line also as an RPATH */
        char *rp = w.len[0] < 4096 ? strndup(w.part[0], w.len[0]) : NULL;
        if (rp) {
                char **ex = NULL;
                if (v2c_ld_expand_path(rp, "/opt/app/bin/app", "x86_64", &ex, &err) == 0)
                        v2c_strv_free(ex);
                err = v2c_error_free(err);
        }

        struct v2c_ld_search search = { .arch = "x86_64", .conf_dirs = dirs };
        struct v2c_elf_info *root = NULL;
        if (w.n > 1 && describe(&w, "ROOT", &root) > 0) {
                struct v2c_ld_object chain[] = { { "/opt/app/bin/app", root->rpath, root->runpath } };
                for (size_t i = 0; root->needed && root->needed[i]; i++) {
                        char *found = NULL;
                        if (v2c_ld_resolve(&search, root->needed[i], chain, 1, w_exists, &w, &found,
                                           &err) == 1)
                                free(found);
                        err = v2c_error_free(err);
                }
                struct v2c_ld_closure *c = NULL;
                if (v2c_ld_closure(&search, rp ? "/opt/app/bin/app" : NULL, root, w_load, &w, 64, &c,
                                   &err) == 0)
                        v2c_ld_closure_free(c);
                err = v2c_error_free(err);
        }
        v2c_elf_info_free(root);
        free(rp);
        v2c_strv_free(dirs);
        v2c_error_free(err);
out:
        for (size_t i = 0; i < MAX_PARTS; i++)
                free(w.names[i]);
        return 0;
}
