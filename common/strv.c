/* String vectors; see strv.h. */
#include "strv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

size_t v2c_strv_len(char *const *v)
{
        size_t n = 0;
        while (v && v[n])
                n++;
        return n;
}

int v2c_strv_consume(char ***v, char *s)
{
        if (s == NULL)
                return -ENOMEM;
        size_t n = v2c_strv_len(*v);
        char **nv = realloc(*v, (n + 2) * sizeof(char *));
        if (nv == NULL) {
                free(s);
                return -ENOMEM;
        }
        nv[n] = s;
        nv[n + 1] = NULL;
        *v = nv;
        return 0;
}

int v2c_strv_push(char ***v, const char *s)
{
        return v2c_strv_consume(v, strdup(s));
}

bool v2c_strv_contains(char *const *v, const char *s)
{
        for (size_t i = 0; v && v[i]; i++)
                if (strcmp(v[i], s) == 0)
                        return true;
        return false;
}

int v2c_strv_push_unique(char ***v, const char *s)
{
        if (v2c_strv_contains(*v, s))
                return 0;
        return v2c_strv_push(v, s);
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *) a, *(char *const *) b);
}

void v2c_strv_sort_uniq(char **v)
{
        size_t n = v2c_strv_len(v);
        if (n < 2)
                return;
        qsort(v, n, sizeof(char *), cmp_str);
        size_t w = 1;
        for (size_t r = 1; r < n; r++) {
                if (strcmp(v[r], v[w - 1]) == 0)
                        free(v[r]);
                else
                        v[w++] = v[r];
        }
        v[w] = NULL;
}

char **v2c_strv_copy(char *const *v)
{
        char **c = calloc(v2c_strv_len(v) + 1, sizeof(char *));
        if (c == NULL)
                return NULL;
        for (size_t i = 0; v && v[i]; i++) {
                c[i] = strdup(v[i]);
                if (c[i] == NULL)
                        return v2c_strv_free(c);
        }
        return c;
}

char **v2c_strv_free(char **v)
{
        for (size_t i = 0; v && v[i]; i++)
                free(v[i]);
        free(v);
        return NULL;
}

int v2c_strvec_consume(struct v2c_strvec *sv, char *s)
{
        if (s == NULL)
                return -ENOMEM;
        if (sv->n + 1 >= sv->cap) {
                size_t ncap = sv->cap ? sv->cap * 2 : 16;
                char **nv = realloc(sv->v, ncap * sizeof *nv);
                if (nv == NULL) {
                        free(s);
                        return -ENOMEM;
                }
                sv->v = nv;
                sv->cap = ncap;
        }
        sv->v[sv->n++] = s;
        sv->v[sv->n] = NULL;
        return 0;
}

void v2c_strvec_release(struct v2c_strvec *sv)
{
        v2c_strv_free(sv->v);
        sv->v = NULL;
        sv->n = sv->cap = 0;
}
