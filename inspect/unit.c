/* The lexing half of service discovery: systemd unit files and drop-ins,
 * ExecStart= command lines with their %-specifiers and $VARIABLES,
 * environment files, and the shell word splitter that sysv.c and cron.c
 * use.  Everything works on buffers read out of an untrusted guest; see
 * unit-internal.h for the contract and the limits.
 *
 * Where systemd's behaviour is reproduced, the comments name the systemd
 * function whose rules are followed, so that a difference can be checked
 * against the original.
 */
#include "unit-internal.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cleanup.h"
#include "text.h"
#include "strv.h"

/* ======================================================================
 * Small helpers
 */

/* systemd's WHITESPACE: what strstrip() and word splitting skip. */
#define WHITESPACE " \t\n\r"
static bool is_ws(char c)
{
        return v2c_char_in(c, WHITESPACE);
}

/* strchr() also finds the terminating NUL: input bytes may be NUL. */
static bool in_set(char c, const char *set)
{
        return c != '\0' && strchr(set, c) != NULL;
}

static int oom(struct v2c_error **err)
{
        return v2c_error_set(err, ENOMEM, "out of memory");
}

bool v2c_env_name_valid(const char *s, size_t n)
{
        if (n == 0 || n > 255)
                return false;
        if (!((s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z') || s[0] == '_'))
                return false;
        for (size_t i = 1; i < n; i++) {
                char c = s[i];
                if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      c == '_'))
                        return false;
        }
        return true;
}

bool v2c_utf8_valid(const char *s, size_t n)
{
        const unsigned char *p = (const unsigned char *) s;
        size_t i = 0;

        while (i < n) {
                unsigned c = p[i];
                size_t k;
                uint32_t cp, min;

                if (c < 0x80) {
                        i++;
                        continue;
                }
                if ((c & 0xE0) == 0xC0) {
                        k = 1, cp = c & 0x1F, min = 0x80;
                } else if ((c & 0xF0) == 0xE0) {
                        k = 2, cp = c & 0x0F, min = 0x800;
                } else if ((c & 0xF8) == 0xF0) {
                        k = 3, cp = c & 0x07, min = 0x10000;
                } else
                        return false;
                if (n - i - 1 < k)
                        return false;
                for (size_t j = 1; j <= k; j++) {
                        if ((p[i + j] & 0xC0) != 0x80)
                                return false;
                        cp = (cp << 6) | (p[i + j] & 0x3F);
                }
                if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
                        return false;
                i += k + 1;
        }
        return true;
}

const char *v2c_env_lookup(char *const *env, const char *name, size_t name_len)
{
        /* A NUL inside name would let strncmp() match a shorter entry and
         * the '=' check read past it. */
        if (env == NULL || memchr(name, '\0', name_len))
                return NULL;
        size_t n = v2c_strv_len(env);
        while (n > 0) {
                const char *e = env[--n];
                if (strncmp(e, name, name_len) == 0 && e[name_len] == '=')
                        return e + name_len + 1;
        }
        return NULL;
}

/* Returns array a with room at index i (NULL on ENOMEM, a still valid).
 * Its capacity follows from its length: it is reallocated only when i
 * reaches a power of two (from 4 on), so that growing one element at a
 * time stays linear.  Only for arrays grown this way from NULL. */
static void *grow_array(void *a, size_t i, size_t size)
{
        size_t cap;
        if (a == NULL)
                cap = i < 4 ? 4 : 2 * i;
        else if (i >= 4 && (i & (i - 1)) == 0)
                cap = 2 * i;
        else
                return a;
        if (cap > SIZE_MAX / size)
                return NULL;
        return realloc(a, cap * size);
}

#define GROW(a, i)                                                      \
        ({                                                              \
                void *_g = grow_array((a), (i), sizeof(*(a)));          \
                if (_g)                                                 \
                        (a) = _g;                                       \
                _g ? 0 : -ENOMEM;                                       \
        })

/* Appends s to a NULL-terminated vector whose length the caller tracks
 * (grown by GROW(), so starting from NULL).  Consumes s. */
static int vec_consume(char ***v, size_t *n, char *s)
{
        if (s == NULL)
                return -ENOMEM;
        if (GROW(*v, *n + 1) < 0) {
                free(s);
                return -ENOMEM;
        }
        (*v)[(*n)++] = s;
        (*v)[*n] = NULL;
        return 0;
}

/* A vector that is never NULL, for results documented that way. */
static int vec_finish(char ***v)
{
        if (*v == NULL)
                *v = calloc(1, sizeof(char *));
        return *v ? 0 : -ENOMEM;
}

/* ======================================================================
 * Name index: open addressing over the positions of an array of names, so
 * that a hostile file with thousands of distinct names stays linear to
 * parse.  The array may move between calls, so it is passed each time.
 */

typedef const char *(*name_at_fn)(const void *array, size_t pos, size_t *len);

struct name_index {
        size_t *slots;      /* position + 1; 0 is a free slot */
        size_t cap;         /* 0 or a power of two */
        size_t n;
        bool built;         /* for indexes built lazily over existing names */
};

static size_t name_hash(const char *s, size_t n)
{
        uint64_t h = 0xcbf29ce484222325ULL;   /* FNV-1a */
        for (size_t i = 0; i < n; i++)
                h = (h ^ (unsigned char) s[i]) * 0x100000001b3ULL;
        return (size_t) h;
}

/* The position of the name s[0..n), or SIZE_MAX. */
static size_t index_find(const struct name_index *x, const void *array, name_at_fn name_at,
                         const char *s, size_t n)
{
        if (x->cap == 0)
                return SIZE_MAX;
        for (size_t i = name_hash(s, n) & (x->cap - 1);; i = (i + 1) & (x->cap - 1)) {
                if (x->slots[i] == 0)
                        return SIZE_MAX;
                size_t len;
                const char *name = name_at(array, x->slots[i] - 1, &len);
                if (len == n && memcmp(name, s, n) == 0)
                        return x->slots[i] - 1;
        }
}

static void index_put(size_t *slots, size_t cap, size_t hash, size_t pos)
{
        size_t i = hash & (cap - 1);
        while (slots[i] != 0)
                i = (i + 1) & (cap - 1);
        slots[i] = pos + 1;
}

/* Adds the name at pos (not already there); keeps the load under half. */
static int index_add(struct name_index *x, const void *array, name_at_fn name_at, size_t pos)
{
        size_t len;
        const char *name;
        if (2 * (x->n + 1) > x->cap) {
                size_t ncap = x->cap ? 2 * x->cap : 16;
                size_t *ns = calloc(ncap, sizeof(size_t));
                if (ns == NULL)
                        return -ENOMEM;
                for (size_t i = 0; i < x->cap; i++)
                        if (x->slots[i]) {
                                name = name_at(array, x->slots[i] - 1, &len);
                                index_put(ns, ncap, name_hash(name, len), x->slots[i] - 1);
                        }
                free(x->slots);
                x->slots = ns;
                x->cap = ncap;
        }
        name = name_at(array, pos, &len);
        index_put(x->slots, x->cap, name_hash(name, len), pos);
        x->n++;
        return 0;
}

static void index_release(struct name_index *x)
{
        free(x->slots);
        *x = (struct name_index) { 0 };
}

/* ======================================================================
 * systemd's word splitting (extract_first_word() with EXTRACT_UNQUOTE)
 */

enum {
        EXTRACT_CUNESCAPE = 1 << 0,  /* decode C escapes (else '\' takes the next byte as is) */
        EXTRACT_RELAX     = 1 << 1,  /* tolerate bad escapes, open quotes, a final '\' */
};

static size_t utf8_encode(uint32_t cp, char out[4])
{
        if (cp < 0x80) {
                out[0] = (char) cp;
                return 1;
        }
        if (cp < 0x800) {
                out[0] = (char) (0xC0 | (cp >> 6));
                out[1] = (char) (0x80 | (cp & 0x3F));
                return 2;
        }
        if (cp < 0x10000) {
                out[0] = (char) (0xE0 | (cp >> 12));
                out[1] = (char) (0x80 | ((cp >> 6) & 0x3F));
                out[2] = (char) (0x80 | (cp & 0x3F));
                return 3;
        }
        out[0] = (char) (0xF0 | (cp >> 18));
        out[1] = (char) (0x80 | ((cp >> 12) & 0x3F));
        out[2] = (char) (0x80 | ((cp >> 6) & 0x3F));
        out[3] = (char) (0x80 | (cp & 0x3F));
        return 4;
}

/* Decodes the escape after a backslash at s (cunescape_one() rules, NUL
 * refused).  Returns the bytes consumed and fills out and *out_len, or -EINVAL. */
static int cunescape_one(const char *s, const char *end, char out[4], size_t *out_len)
{
        size_t avail = (size_t) (end - s);
        if (avail == 0)
                return -EINVAL;

        *out_len = 1;
        switch (s[0]) {
        case 'a': out[0] = '\a'; return 1;
        case 'b': out[0] = '\b'; return 1;
        case 'f': out[0] = '\f'; return 1;
        case 'n': out[0] = '\n'; return 1;
        case 'r': out[0] = '\r'; return 1;
        case 't': out[0] = '\t'; return 1;
        case 'v': out[0] = '\v'; return 1;
        case 's': out[0] = ' '; return 1;
        case '\\': case '"': case '\'':
                out[0] = s[0];
                return 1;
        case 'x': {
                if (avail < 3)
                        return -EINVAL;
                int a = v2c_hex_value(s[1]), b = v2c_hex_value(s[2]);
                if (a < 0 || b < 0 || (a == 0 && b == 0))
                        return -EINVAL;
                out[0] = (char) (a << 4 | b);
                return 3;
        }
        case 'u': case 'U': {
                size_t digits = s[0] == 'u' ? 4 : 8;
                uint32_t cp = 0;
                if (avail < digits + 1)
                        return -EINVAL;
                for (size_t i = 1; i <= digits; i++) {
                        int h = v2c_hex_value(s[i]);
                        if (h < 0)
                                return -EINVAL;
                        cp = cp << 4 | (uint32_t) h;
                }
                if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
                        return -EINVAL;
                *out_len = utf8_encode(cp, out);
                return (int) digits + 1;
        }
        case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7': {
                if (avail < 3)
                        return -EINVAL;
                int v = 0;
                for (int i = 0; i < 3; i++) {
                        if (s[i] < '0' || s[i] > '7')
                                return -EINVAL;
                        v = v * 8 + (s[i] - '0');
                }
                if (v == 0 || v > 255)
                        return -EINVAL;
                out[0] = (char) v;
                return 3;
        }
        default:
                return -EINVAL;
        }
}

/* Extracts the next word of [*p, end).  Returns 1 and a new *ret, 0 at the
 * end, -EINVAL on bad syntax (unless EXTRACT_RELAX), -ENOMEM or -E2BIG. */
static int extract_word(const char **p, const char *end, unsigned flags, char **ret)
{
        const char *s = *p;
        while (s < end && is_ws(*s))
                s++;
        if (s >= end) {
                *p = s;
                return 0;
        }

        _cleanup_buf_ struct v2c_buf b;
        v2c_buf_init(&b, V2C_EXEC_MAX_BYTES);
        char quote = 0;
        int r = 0;

        while (s < end) {
                char c = *s;
                if (c == '\\') {
                        s++;
                        if (s >= end) {
                                if (!(flags & EXTRACT_RELAX))
                                        return -EINVAL;
                                r = v2c_buf_append(&b, "\\", 1);
                                break;
                        }
                        if (flags & EXTRACT_CUNESCAPE) {
                                char out[4];
                                size_t n;
                                int k = cunescape_one(s, end, out, &n);
                                if (k < 0) {
                                        if (!(flags & EXTRACT_RELAX))
                                                return -EINVAL;
                                        char two[2] = { '\\', *s };
                                        r = v2c_buf_append(&b, two, 2);
                                        s++;
                                } else {
                                        r = v2c_buf_append(&b, out, n);
                                        s += k;
                                }
                        } else {
                                r = v2c_buf_append(&b, s, 1);
                                s++;
                        }
                } else if (quote) {
                        if (c != quote)
                                r = v2c_buf_append(&b, &c, 1);
                        else
                                quote = 0;
                        s++;
                } else if (c == '\'' || c == '"') {
                        quote = c;
                        s++;
                } else if (is_ws(c)) {
                        break;
                } else {
                        r = v2c_buf_append(&b, &c, 1);
                        s++;
                }
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        if (quote && !(flags & EXTRACT_RELAX))
                return -EINVAL;

        char *w = v2c_buf_steal(&b);
        if (w == NULL)
                return -ENOMEM;
        *p = s;
        *ret = w;
        return 1;
}

/* Splits all of s into new words; see extract_word().  On -EINVAL the
 * words before the bad one are kept in *v and -EINVAL returned. */
static int split_words(const char *s, size_t len, unsigned flags, char ***v, size_t *n, size_t max)
{
        const char *p = s, *end = s + len;
        for (;;) {
                char *w = NULL;
                int r = extract_word(&p, end, flags, &w);
                if (r <= 0)
                        return r;
                if (*n >= max) {
                        free(w);
                        return -E2BIG;
                }
                r = vec_consume(v, n, w);
                if (r < 0)
                        return r;
        }
}

/* ======================================================================
 * Unit files
 */

static void unit_key_release(struct v2c_unit_key *k)
{
        free(k->name);
        v2c_strv_free(k->values);
}

static void unit_section_release(struct v2c_unit_section *s)
{
        free(s->name);
        for (size_t i = 0; i < s->n_keys; i++)
                unit_key_release(&s->keys[i]);
        free(s->keys);
}

struct v2c_unit *v2c_unit_new(void)
{
        return calloc(1, sizeof(struct v2c_unit));
}

struct v2c_unit *v2c_unit_free(struct v2c_unit *u)
{
        if (u == NULL)
                return NULL;
        for (size_t i = 0; i < u->n_sections; i++)
                unit_section_release(&u->sections[i]);
        free(u->sections);
        free(u);
        return NULL;
}

V2C_DEFINE_CLEANUP(struct v2c_unit, v2c_unit_free)

static struct v2c_unit_section *find_section(const struct v2c_unit *u, const char *name)
{
        for (size_t i = u->n_sections; i > 0; i--)
                if (strcmp(u->sections[i - 1].name, name) == 0)
                        return &u->sections[i - 1];
        return NULL;
}

static struct v2c_unit_key *find_key(const struct v2c_unit_section *s, const char *name)
{
        for (size_t i = s->n_keys; i > 0; i--)
                if (strcmp(s->keys[i - 1].name, name) == 0)
                        return &s->keys[i - 1];
        return NULL;
}

static const struct v2c_unit_key *lookup(const struct v2c_unit *u, const char *section,
                                         const char *key)
{
        if (u == NULL || section == NULL || key == NULL)
                return NULL;
        const struct v2c_unit_section *s = find_section(u, section);
        return s ? find_key(s, key) : NULL;
}

/* A file is lexed completely into this list before anything reaches the
 * unit, so that a file refused for its size leaves the unit as it was. */
struct pending {
        char **sections;          /* names, referenced by index */
        size_t n_sections;
        struct assignment {
                size_t section;
                char *key;
                char *value;
        } *items;
        size_t n_items;
        size_t n_invalid;
};

static void pending_release(struct pending *p)
{
        for (size_t i = 0; i < p->n_sections; i++)
                free(p->sections[i]);
        free(p->sections);
        for (size_t i = 0; i < p->n_items; i++) {
                free(p->items[i].key);
                free(p->items[i].value);
        }
        free(p->items);
}

struct lexer {
        struct pending pend;
        char *section;            /* owned: current header; NULL after a bad one */
        bool section_pushed;      /* pend.sections ends with it */
        size_t budget;            /* assignments still allowed */
};

/* One logical line (parse_line() of systemd's conf-parser). */
static int lex_line(struct lexer *lx, const char *l, size_t n)
{
        if (memchr(l, '\0', n)) {
                lx->pend.n_invalid++;
                return 0;
        }
        v2c_span_trim(&l, &n, WHITESPACE);
        if (n == 0 || l[0] == '#' || l[0] == ';')
                return 0;
        if (!v2c_utf8_valid(l, n)) {
                lx->pend.n_invalid++;
                return 0;
        }

        if (l[0] == '[') {
                /* systemd refuses the whole file on a bad header; we keep
                 * inspecting but drop what would have gone under it. */
                free(lx->section);
                lx->section = NULL;
                lx->section_pushed = false;
                if (n < 3 || l[n - 1] != ']') {
                        lx->pend.n_invalid++;
                        return 0;
                }
                lx->section = strndup(l + 1, n - 2);
                return lx->section ? 0 : -ENOMEM;
        }

        const char *eq = memchr(l, '=', n);
        if (lx->section == NULL || eq == NULL) {
                lx->pend.n_invalid++;
                return 0;
        }
        const char *k = l, *v = eq + 1;
        size_t kn = (size_t) (eq - l), vn = n - kn - 1;
        v2c_span_trim(&k, &kn, WHITESPACE);
        v2c_span_trim(&v, &vn, WHITESPACE);
        if (kn == 0) {
                lx->pend.n_invalid++;
                return 0;
        }

        if (lx->budget == 0)
                return -E2BIG;
        lx->budget--;

        if (!lx->section_pushed) {
                if (GROW(lx->pend.sections, lx->pend.n_sections) < 0)
                        return -ENOMEM;
                lx->pend.sections[lx->pend.n_sections] = strdup(lx->section);
                if (lx->pend.sections[lx->pend.n_sections] == NULL)
                        return -ENOMEM;
                lx->pend.n_sections++;
                lx->section_pushed = true;
        }

        if (GROW(lx->pend.items, lx->pend.n_items) < 0)
                return -ENOMEM;
        struct assignment *a = &lx->pend.items[lx->pend.n_items];
        a->section = lx->pend.n_sections - 1;
        a->key = strndup(k, kn);
        a->value = strndup(v, vn);
        if (a->key == NULL || a->value == NULL) {
                free(a->key);
                free(a->value);
                return -ENOMEM;
        }
        lx->pend.n_items++;
        return 0;
}

/* True if the line ends with an odd number of backslashes. */
static bool ends_in_continuation(const char *s, size_t n)
{
        size_t k = 0;
        while (k < n && s[n - 1 - k] == '\\')
                k++;
        return k % 2 == 1;
}

static int lex_file(struct lexer *lx, const char *data, size_t len, const char *fn,
                    struct v2c_error **err)
{
        struct v2c_lines lines = { data, data + len, 0 };
        if (len >= 3 && memcmp(lines.p, "\xEF\xBB\xBF", 3) == 0)
                lines.p += 3;

        _cleanup_buf_ struct v2c_buf cont;
        v2c_buf_init(&cont, V2C_PARSE_MAX_LINE);
        bool continuing = false;
        unsigned lineno = 0;
        const char *line;
        size_t n;
        int r;

        while (v2c_lines_next(&lines, &line, &n)) {
                lineno++;
                if (continuing) {
                        /* systemd.syntax(7): a comment block after a
                         * backslash is skipped, the line goes on after it. */
                        const char *q = line;
                        while (q < line + n && v2c_is_blank(*q))
                                q++;
                        if (q < line + n && (*q == '#' || *q == ';'))
                                continue;
                }
                /* cont is bounded: this refuses long lines, joined or not. */
                r = v2c_buf_append(&cont, line, n);
                if (r == -E2BIG)
                        return v2c_error_set(err, E2BIG, "`%s` line %u: longer than %d bytes", fn,
                                             lineno, V2C_PARSE_MAX_LINE);
                if (r < 0)
                        return oom(err);
                if (cont.len > 0 && ends_in_continuation(cont.data, cont.len)) {
                        cont.data[cont.len - 1] = ' ';
                        continuing = true;
                        continue;
                }
                continuing = false;
                r = lex_line(lx, cont.data ? cont.data : "", cont.len);
                v2c_buf_reset(&cont);
                if (r == -E2BIG)
                        return v2c_error_set(err, E2BIG, "`%s` line %u: more than %d assignments",
                                             fn, lineno, V2C_UNIT_MAX_ASSIGNMENTS);
                if (r < 0)
                        return oom(err);
        }
        /* A continuation still open at the end of the file is a line too. */
        if (continuing) {
                r = lex_line(lx, cont.data, cont.len);
                if (r == -E2BIG)
                        return v2c_error_set(err, E2BIG, "`%s` line %u: more than %d assignments",
                                             fn, lineno, V2C_UNIT_MAX_ASSIGNMENTS);
                if (r < 0)
                        return oom(err);
        }
        return 0;
}

static const char *section_name_at(const void *array, size_t pos, size_t *len)
{
        const struct v2c_unit_section *s = array;
        *len = strlen(s[pos].name);
        return s[pos].name;
}

static const char *key_name_at(const void *array, size_t pos, size_t *len)
{
        const struct v2c_unit_key *k = array;
        *len = strlen(k[pos].name);
        return k[pos].name;
}

/* Indexes over the unit's sections and their keys while a file is
 * applied; key indexes are built when a section is first touched. */
struct apply_index {
        struct name_index sections;
        struct name_index *keys;   /* one per section */
        size_t n_keys;
};

static void apply_index_release(struct apply_index *ai)
{
        index_release(&ai->sections);
        for (size_t i = 0; i < ai->n_keys; i++)
                index_release(&ai->keys[i]);
        free(ai->keys);
}

static int apply_assignment(struct v2c_unit *u, struct apply_index *ai, const char *section,
                            char **key, char **value)
{
        int r;
        if (!ai->sections.built) {
                for (size_t i = 0; i < u->n_sections; i++)
                        if ((r = index_add(&ai->sections, u->sections, section_name_at, i)) < 0)
                                return r;
                ai->sections.built = true;
        }

        size_t si = index_find(&ai->sections, u->sections, section_name_at, section, strlen(section));
        if (si == SIZE_MAX) {
                if (GROW(u->sections, u->n_sections) < 0)
                        return -ENOMEM;
                u->sections[u->n_sections] = (struct v2c_unit_section) { .name = strdup(section) };
                if (u->sections[u->n_sections].name == NULL)
                        return -ENOMEM;
                si = u->n_sections++;
                if ((r = index_add(&ai->sections, u->sections, section_name_at, si)) < 0)
                        return r;
        }
        struct v2c_unit_section *s = &u->sections[si];

        while (ai->n_keys <= si) {
                if (GROW(ai->keys, ai->n_keys) < 0)
                        return -ENOMEM;
                ai->keys[ai->n_keys++] = (struct name_index) { 0 };
        }
        struct name_index *kx = &ai->keys[si];
        if (!kx->built) {
                for (size_t i = 0; i < s->n_keys; i++)
                        if ((r = index_add(kx, s->keys, key_name_at, i)) < 0)
                                return r;
                kx->built = true;
        }

        size_t ki = index_find(kx, s->keys, key_name_at, *key, strlen(*key));
        if (ki == SIZE_MAX) {
                if (GROW(s->keys, s->n_keys) < 0)
                        return -ENOMEM;
                s->keys[s->n_keys] = (struct v2c_unit_key) { .name = TAKE_PTR(*key) };
                ki = s->n_keys++;
                if ((r = index_add(kx, s->keys, key_name_at, ki)) < 0)
                        return r;
        }
        struct v2c_unit_key *k = &s->keys[ki];

        /* "Key=" puts the setting back to its default: for lists that
         * means empty, which is how drop-ins clear ExecStart= and the like. */
        if ((*value)[0] == '\0') {
                k->values = v2c_strv_free(k->values);
                k->n_values = 0;
                return 0;
        }
        return vec_consume(&k->values, &k->n_values, TAKE_PTR(*value));
}

int v2c_unit_parse(struct v2c_unit *u, const char *data, size_t len, const char *filename,
                   struct v2c_error **err)
{
        const char *fn = filename ? filename : "unit";
        if (len > V2C_PARSE_MAX_INPUT)
                return v2c_error_set(err, E2BIG, "`%s`: %zu bytes, more than the %d allowed", fn,
                                     len, V2C_PARSE_MAX_INPUT);
        if (data == NULL && len > 0)
                return v2c_error_set(err, EINVAL, "`%s`: no data", fn);

        struct lexer lx = {
                .budget = u->n_assignments < V2C_UNIT_MAX_ASSIGNMENTS
                                  ? V2C_UNIT_MAX_ASSIGNMENTS - u->n_assignments
                                  : 0,
        };
        int r = len > 0 ? lex_file(&lx, data, len, fn, err) : 0;
        free(lx.section);
        if (r < 0) {
                pending_release(&lx.pend);
                return r;
        }

        struct apply_index ai = { 0 };
        for (size_t i = 0; i < lx.pend.n_items; i++) {
                struct assignment *a = &lx.pend.items[i];
                r = apply_assignment(u, &ai, lx.pend.sections[a->section], &a->key, &a->value);
                if (r < 0) {
                        apply_index_release(&ai);
                        pending_release(&lx.pend);
                        return oom(err);
                }
                u->n_assignments++;
        }
        apply_index_release(&ai);
        u->n_invalid += lx.pend.n_invalid;
        pending_release(&lx.pend);
        return 0;
}

static const char *base_name(const char *path)
{
        const char *s = strrchr(path, '/');
        return s ? s + 1 : path;
}

static int cmp_dropin(const void *a, const void *b)
{
        const struct v2c_unit_file *x = *(const struct v2c_unit_file *const *) a;
        const struct v2c_unit_file *y = *(const struct v2c_unit_file *const *) b;
        int c = strcmp(base_name(x->name ? x->name : ""), base_name(y->name ? y->name : ""));
        if (c != 0)
                return c;
        /* qsort is not stable: fall back on the given order. */
        return x < y ? -1 : x > y;
}

int v2c_unit_load(const struct v2c_unit_file *main, const struct v2c_unit_file *dropins,
                  size_t n_dropins, struct v2c_unit **ret, struct v2c_error **err)
{
        _cleanup_(v2c_unit_freep) struct v2c_unit *u = v2c_unit_new();
        if (u == NULL)
                return oom(err);

        int r;
        if (main) {
                r = v2c_unit_parse(u, main->data, main->len, main->name, err);
                if (r < 0)
                        return r;
        }

        if (n_dropins > 0) {
                _cleanup_free_ const struct v2c_unit_file **order = calloc(n_dropins, sizeof(*order));
                if (order == NULL)
                        return oom(err);
                for (size_t i = 0; i < n_dropins; i++)
                        order[i] = &dropins[i];
                qsort(order, n_dropins, sizeof(*order), cmp_dropin);
                for (size_t i = 0; i < n_dropins; i++) {
                        r = v2c_unit_parse(u, order[i]->data, order[i]->len, order[i]->name, err);
                        if (r < 0)
                                return r;
                }
        }

        *ret = TAKE_PTR(u);
        return 0;
}

const char *v2c_unit_get(const struct v2c_unit *u, const char *section, const char *key)
{
        const struct v2c_unit_key *k = lookup(u, section, key);
        return k && k->n_values > 0 ? k->values[k->n_values - 1] : NULL;
}

char *const *v2c_unit_get_values(const struct v2c_unit *u, const char *section, const char *key)
{
        const struct v2c_unit_key *k = lookup(u, section, key);
        return k && k->n_values > 0 ? k->values : NULL;
}

enum list_kind {
        LIST_NONE,    /* single value */
        LIST_PLAIN,   /* one element per assignment */
        LIST_WORDS,   /* whitespace-separated, quotes honoured */
        LIST_ENV,     /* Environment= */
};

static const struct {
        const char *key;
        enum list_kind kind;
} list_keys[] = {
        { "Environment", LIST_ENV },

        { "Wants", LIST_WORDS },            { "Requires", LIST_WORDS },
        { "Requisite", LIST_WORDS },        { "BindsTo", LIST_WORDS },
        { "PartOf", LIST_WORDS },           { "Upholds", LIST_WORDS },
        { "Conflicts", LIST_WORDS },        { "Before", LIST_WORDS },
        { "After", LIST_WORDS },            { "OnFailure", LIST_WORDS },
        { "OnSuccess", LIST_WORDS },        { "PropagatesReloadTo", LIST_WORDS },
        { "ReloadPropagatedFrom", LIST_WORDS }, { "PropagatesStopTo", LIST_WORDS },
        { "StopPropagatedFrom", LIST_WORDS }, { "JoinsNamespaceOf", LIST_WORDS },
        { "RequiresMountsFor", LIST_WORDS }, { "WantsMountsFor", LIST_WORDS },
        { "WantedBy", LIST_WORDS },         { "RequiredBy", LIST_WORDS },
        { "UpheldBy", LIST_WORDS },         { "Alias", LIST_WORDS },
        { "Also", LIST_WORDS },             { "Sockets", LIST_WORDS },
        { "Documentation", LIST_WORDS },    { "Symlinks", LIST_WORDS },
        { "ReadWritePaths", LIST_WORDS },   { "ReadOnlyPaths", LIST_WORDS },
        { "InaccessiblePaths", LIST_WORDS }, { "ExecPaths", LIST_WORDS },
        { "NoExecPaths", LIST_WORDS },      { "BindPaths", LIST_WORDS },
        { "BindReadOnlyPaths", LIST_WORDS }, { "TemporaryFileSystem", LIST_WORDS },
        { "StateDirectory", LIST_WORDS },   { "CacheDirectory", LIST_WORDS },
        { "LogsDirectory", LIST_WORDS },    { "RuntimeDirectory", LIST_WORDS },
        { "ConfigurationDirectory", LIST_WORDS }, { "SupplementaryGroups", LIST_WORDS },
        { "PassEnvironment", LIST_WORDS },  { "UnsetEnvironment", LIST_WORDS },

        { "EnvironmentFile", LIST_PLAIN },  { "ExecCondition", LIST_PLAIN },
        { "ExecStartPre", LIST_PLAIN },     { "ExecStart", LIST_PLAIN },
        { "ExecStartPost", LIST_PLAIN },    { "ExecReload", LIST_PLAIN },
        { "ExecStop", LIST_PLAIN },         { "ExecStopPost", LIST_PLAIN },
        { "ListenStream", LIST_PLAIN },     { "ListenDatagram", LIST_PLAIN },
        { "ListenSequentialPacket", LIST_PLAIN }, { "ListenFIFO", LIST_PLAIN },
        { "ListenSpecial", LIST_PLAIN },    { "ListenNetlink", LIST_PLAIN },
        { "ListenMessageQueue", LIST_PLAIN }, { "ListenUSBFunction", LIST_PLAIN },
        { "OnCalendar", LIST_PLAIN },       { "OnActiveSec", LIST_PLAIN },
        { "OnBootSec", LIST_PLAIN },        { "OnStartupSec", LIST_PLAIN },
        { "OnUnitActiveSec", LIST_PLAIN },  { "OnUnitInactiveSec", LIST_PLAIN },
        { "LoadCredential", LIST_PLAIN },   { "SetCredential", LIST_PLAIN },
        { "DeviceAllow", LIST_PLAIN },
};

static enum list_kind key_kind(const char *key)
{
        for (size_t i = 0; i < V2C_ARRAY_SIZE(list_keys); i++)
                if (strcmp(list_keys[i].key, key) == 0)
                        return list_keys[i].kind;
        /* Conditions and asserts accumulate; "Condition...=" clears all. */
        if (strncmp(key, "Condition", 9) == 0 || strncmp(key, "Assert", 6) == 0)
                return LIST_PLAIN;
        return LIST_NONE;
}

bool v2c_unit_key_is_list(const char *key)
{
        return key != NULL && key_kind(key) != LIST_NONE;
}

int v2c_unit_get_list(const struct v2c_unit *u, const char *section, const char *key,
                      char ***ret, struct v2c_error **err)
{
        _cleanup_strv_ char **v = NULL;
        size_t n = 0;

        const struct v2c_unit_key *k = lookup(u, section, key);
        enum list_kind kind = key ? key_kind(key) : LIST_NONE;
        int r = 0;

        for (size_t i = 0; k && i < k->n_values && r >= 0; i++) {
                const char *val = k->values[i];
                switch (kind) {
                case LIST_NONE:
                        if (i + 1 == k->n_values)
                                r = vec_consume(&v, &n, strdup(val));
                        break;
                case LIST_PLAIN:
                        r = vec_consume(&v, &n, strdup(val));
                        break;
                case LIST_WORDS:
                        /* config_parse_unit_deps() and friends log and
                         * drop the rest of a value with a bad quote. */
                        r = split_words(val, strlen(val), EXTRACT_CUNESCAPE | EXTRACT_RELAX, &v, &n,
                                        V2C_ENV_MAX_ENTRIES);
                        if (r == -EINVAL)
                                r = 0;
                        break;
                case LIST_ENV: {
                        /* config_parse_environ(): strict escapes, and
                         * words that are not NAME=VALUE are ignored. */
                        _cleanup_strv_ char **words = NULL;
                        size_t nw = 0;
                        r = split_words(val, strlen(val), EXTRACT_CUNESCAPE, &words, &nw,
                                        V2C_ENV_MAX_ENTRIES);
                        if (r == -EINVAL)
                                r = 0;
                        for (size_t j = 0; r >= 0 && j < nw; j++) {
                                const char *eq = strchr(words[j], '=');
                                if (eq == NULL || !v2c_env_name_valid(words[j], (size_t) (eq - words[j])) ||
                                    !v2c_utf8_valid(words[j], strlen(words[j])))
                                        continue;
                                if (n >= V2C_ENV_MAX_ENTRIES)
                                        r = -E2BIG;
                                else
                                        r = vec_consume(&v, &n, strdup(words[j]));
                        }
                        break;
                }
                }
                if (r >= 0 && n > V2C_ENV_MAX_ENTRIES)
                        r = -E2BIG;
        }
        if (r >= 0)
                r = vec_finish(&v);
        if (r == -E2BIG)
                return v2c_error_set(err, E2BIG, "`%s=`: more than %d elements", key,
                                     V2C_ENV_MAX_ENTRIES);
        if (r < 0)
                return oom(err);

        *ret = TAKE_PTR(v);
        return 0;
}

/* ======================================================================
 * %-specifiers (systemd.unit(5), "Specifiers")
 */

/* unit_name_unescape(): "-" is "/", "\xHH" a byte; NUL refused. */
static int unit_unescape(const char *s, size_t n, char **ret)
{
        _cleanup_free_ char *r = malloc(n + 1);
        size_t k = 0;
        if (r == NULL)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                if (s[i] == '-')
                        r[k++] = '/';
                else if (s[i] == '\\') {
                        if (n - i < 4 || s[i + 1] != 'x')
                                return -EINVAL;
                        int a = v2c_hex_value(s[i + 2]), b = v2c_hex_value(s[i + 3]);
                        if (a < 0 || b < 0 || (a == 0 && b == 0))
                                return -EINVAL;
                        r[k++] = (char) (a << 4 | b);
                        i += 3;
                } else
                        r[k++] = s[i];
        }
        r[k] = '\0';
        *ret = TAKE_PTR(r);
        return 0;
}

struct unit_name_parts {
        const char *name;         /* %n */
        size_t nosuffix_len;      /* %N = name[0..nosuffix_len) */
        size_t prefix_len;        /* %p = name[0..prefix_len) */
        const char *instance;     /* %i, may be empty */
        size_t instance_len;
};

static bool split_unit_name(const char *name, struct unit_name_parts *p)
{
        if (name == NULL)
                return false;
        const char *dot = strrchr(name, '.');
        size_t nosuffix = dot ? (size_t) (dot - name) : strlen(name);
        const char *at = memchr(name, '@', nosuffix);
        *p = (struct unit_name_parts) {
                .name = name,
                .nosuffix_len = nosuffix,
                .prefix_len = at ? (size_t) (at - name) : nosuffix,
                .instance = at ? at + 1 : name + nosuffix,
                .instance_len = at ? nosuffix - (size_t) (at - name) - 1 : 0,
        };
        return true;
}

static bool all_digits(const char *s)
{
        if (*s == '\0')
                return false;
        for (; *s; s++)
                if (*s < '0' || *s > '9')
                        return false;
        return true;
}

/* The value of specifier c: 1 with *ret new, 0 when it cannot be
 * resolved, negative on ENOMEM. */
static int specifier_value(char c, const struct v2c_unit_context *ctx, char **ret)
{
        static const struct v2c_unit_context none = { 0 };
        if (ctx == NULL)
                ctx = &none;

        const char *fixed = NULL;
        switch (c) {
        case '%': fixed = "%"; break;
        case 't': fixed = "/run"; break;
        case 'S': fixed = "/var/lib"; break;
        case 'C': fixed = "/var/cache"; break;
        case 'L': fixed = "/var/log"; break;
        case 'E': fixed = "/etc"; break;
        case 'T': fixed = "/tmp"; break;
        case 'V': fixed = "/var/tmp"; break;
        case 'H': fixed = ctx->hostname; break;
        case 'm': fixed = ctx->machine_id; break;
        case 'l':
                if (ctx->hostname == NULL)
                        return 0;
                *ret = strndup(ctx->hostname, strcspn(ctx->hostname, "."));
                return *ret ? 1 : -ENOMEM;
        case 'u':
                fixed = ctx->user ? ctx->user : "root";
                break;
        case 'U':
                /* Without User= the system manager runs things as root. */
                if (ctx->user == NULL || strcmp(ctx->user, "root") == 0)
                        fixed = "0";
                else if (ctx->uid)
                        fixed = ctx->uid;
                else if (all_digits(ctx->user))
                        fixed = ctx->user;
                break;
        case 'h':
                if (ctx->user == NULL || strcmp(ctx->user, "root") == 0 || strcmp(ctx->user, "0") == 0)
                        fixed = "/root";
                else
                        fixed = ctx->home;
                break;
        case 'n': case 'N': case 'p': case 'P': case 'i': case 'I': case 'j': case 'J': case 'f': {
                struct unit_name_parts p;
                if (!split_unit_name(ctx->unit_name, &p))
                        return 0;
                const char *s = p.name;
                size_t n;
                bool unescape = c == 'P' || c == 'I' || c == 'J' || c == 'f';
                switch (c) {
                case 'n': n = strlen(p.name); break;
                case 'N': n = p.nosuffix_len; break;
                case 'p': case 'P': n = p.prefix_len; break;
                case 'i': case 'I': s = p.instance; n = p.instance_len; break;
                case 'j': case 'J': {
                        /* the last dash-separated part of the prefix */
                        const char *dash = NULL;
                        for (size_t i = 0; i < p.prefix_len; i++)
                                if (p.name[i] == '-')
                                        dash = p.name + i;
                        s = dash ? dash + 1 : p.name;
                        n = p.prefix_len - (size_t) (s - p.name);
                        break;
                }
                default: /* 'f': the instance, else the prefix, as a path */
                        if (p.instance_len > 0)
                                s = p.instance, n = p.instance_len;
                        else
                                n = p.prefix_len;
                        break;
                }
                if (!unescape) {
                        *ret = strndup(s, n);
                        return *ret ? 1 : -ENOMEM;
                }
                char *un = NULL;
                int r = unit_unescape(s, n, &un);
                if (r == -EINVAL)
                        return 0;
                if (r < 0)
                        return r;
                if (c == 'f' && un[0] != '/') {
                        char *path = malloc(strlen(un) + 2);
                        if (path == NULL) {
                                free(un);
                                return -ENOMEM;
                        }
                        path[0] = '/';
                        strcpy(path + 1, un);
                        free(un);
                        un = path;
                }
                *ret = un;
                return 1;
        }
        default:
                /* %b and the rest describe the running host or an image. */
                return 0;
        }
        if (fixed == NULL)
                return 0;
        *ret = strdup(fixed);
        return *ret ? 1 : -ENOMEM;
}

#define V2C_MAX_UNRESOLVED 64

static int note_unresolved(char ***unresolved, const char *what, size_t n)
{
        if (unresolved == NULL || v2c_strv_len(*unresolved) >= V2C_MAX_UNRESOLVED)
                return 0;
        _cleanup_free_ char *s = strndup(what, n);
        if (s == NULL)
                return -ENOMEM;
        return v2c_strv_push_unique(unresolved, s);
}

/* Expands into b; returns 0, -E2BIG or -ENOMEM. */
static int specifiers_into(struct v2c_buf *b, const char *s, const struct v2c_unit_context *ctx,
                           unsigned *warnings, char ***unresolved)
{
        int r;
        while (*s) {
                const char *pct = strchr(s, '%');
                size_t lit = pct ? (size_t) (pct - s) : strlen(s);
                r = v2c_buf_append(b, s, lit);
                if (r < 0)
                        return r;
                s += lit;
                if (*s == '\0')
                        break;

                /* s is at '%' */
                if (s[1] == '\0') {
                        *warnings |= V2C_EXEC_WARN_SPECIFIER;
                        r = note_unresolved(unresolved, "%", 1);
                        if (r < 0)
                                return r;
                        return v2c_buf_append(b, "%", 1);
                }
                _cleanup_free_ char *val = NULL;
                r = specifier_value(s[1], ctx, &val);
                if (r < 0)
                        return r;
                if (r == 0) {
                        *warnings |= V2C_EXEC_WARN_SPECIFIER;
                        r = note_unresolved(unresolved, s, 2);
                        if (r >= 0)
                                r = v2c_buf_append(b, s, 2);
                } else
                        r = v2c_buf_appends(b, val);
                if (r < 0)
                        return r;
                s += 2;
        }
        return 0;
}

static int expand_specifiers(const char *s, const struct v2c_unit_context *ctx, char **ret,
                             unsigned *warnings, char ***unresolved)
{
        _cleanup_buf_ struct v2c_buf b;
        v2c_buf_init(&b, V2C_EXEC_MAX_BYTES);
        int r = specifiers_into(&b, s, ctx, warnings, unresolved);
        if (r < 0)
                return r;
        char *out = v2c_buf_steal(&b);
        if (out == NULL)
                return -ENOMEM;
        *ret = out;
        return 0;
}

int v2c_specifiers_expand(const char *s, const struct v2c_unit_context *ctx, char **ret,
                          unsigned *warnings, char ***unresolved, struct v2c_error **err)
{
        if (strnlen(s, V2C_PARSE_MAX_LINE + 1) > V2C_PARSE_MAX_LINE)
                return v2c_error_set(err, E2BIG, "value longer than %d bytes", V2C_PARSE_MAX_LINE);
        /* Collected apart, so that a failure leaves the caller's list alone. */
        unsigned w = 0;
        _cleanup_strv_ char **unres = NULL;
        _cleanup_free_ char *out = NULL;
        int r = expand_specifiers(s, ctx, &out, &w, unresolved ? &unres : NULL);
        for (size_t i = 0; r >= 0 && unres && unres[i]; i++)
                r = note_unresolved(unresolved, unres[i], strlen(unres[i]));
        if (r == -E2BIG)
                return v2c_error_set(err, E2BIG, "expanded value longer than %d bytes",
                                     V2C_EXEC_MAX_BYTES);
        if (r < 0)
                return oom(err);
        if (warnings)
                *warnings |= w;
        *ret = TAKE_PTR(out);
        return 0;
}

/* ======================================================================
 * Command lines (config_parse_exec() and replace_env_argv())
 */

struct v2c_exec *v2c_exec_free(struct v2c_exec *e)
{
        if (e == NULL)
                return NULL;
        free(e->path);
        v2c_strv_free(e->argv);
        v2c_strv_free(e->unresolved);
        free(e);
        return NULL;
}

V2C_DEFINE_CLEANUP(struct v2c_exec, v2c_exec_free)

struct v2c_exec **v2c_exec_list_free(struct v2c_exec **list)
{
        for (size_t i = 0; list && list[i]; i++)
                v2c_exec_free(list[i]);
        free(list);
        return NULL;
}

/* replace_env() for one word: ${NAME} is its value (empty when unset),
 * $$ is $, any other $ stays. */
static int replace_env_word(const char *w, char *const *env, struct v2c_exec *e,
                            struct v2c_buf *b)
{
        int r = 0;
        for (const char *s = w; *s && r >= 0;) {
                if (s[0] != '$') {
                        size_t lit = strcspn(s, "$");
                        r = v2c_buf_append(b, s, lit);
                        s += lit;
                } else if (s[1] == '$') {
                        r = v2c_buf_append(b, "$", 1);
                        s += 2;
                } else if (s[1] == '{') {
                        const char *close = strchr(s + 2, '}');
                        if (close == NULL) {
                                r = v2c_buf_appends(b, s);
                                break;
                        }
                        size_t nl = (size_t) (close - s - 2);
                        const char *val = v2c_env_lookup(env, s + 2, nl);
                        if (val)
                                r = v2c_buf_appends(b, val);
                        else {
                                e->warnings |= V2C_EXEC_WARN_UNSET_VAR;
                                r = note_unresolved(&e->unresolved, s, (size_t) (close - s) + 1);
                        }
                        s = close + 1;
                } else {
                        r = v2c_buf_append(b, "$", 1);
                        s++;
                }
        }
        return r;
}

static int expand_env_argv(struct v2c_exec *e, char *const *env)
{
        _cleanup_strv_ char **out = NULL;
        size_t n = 0, bytes = 0;
        int r;

        for (size_t i = 0; e->argv[i]; i++) {
                const char *w = e->argv[i];
                size_t before = n;
                if (w[0] == '$' && w[1] != '{' && w[1] != '$') {
                        /* A lone $NAME is the value split into words; an
                         * unset one disappears. */
                        const char *val = v2c_env_lookup(env, w + 1, strlen(w + 1));
                        if (val == NULL) {
                                e->warnings |= V2C_EXEC_WARN_UNSET_VAR;
                                r = note_unresolved(&e->unresolved, w, strlen(w));
                                if (r < 0)
                                        return r;
                                continue;
                        }
                        r = split_words(val, strlen(val), EXTRACT_RELAX, &out, &n, V2C_EXEC_MAX_ARGS);
                        if (r < 0)
                                return r;
                } else {
                        /* The budget bounds the word as it grows, so that
                         * "${A}${A}..." cannot balloon before the check. */
                        _cleanup_buf_ struct v2c_buf b;
                        v2c_buf_init(&b, V2C_EXEC_MAX_BYTES - bytes);
                        r = replace_env_word(w, env, e, &b);
                        if (r < 0)
                                return r;
                        if (n >= V2C_EXEC_MAX_ARGS)
                                return -E2BIG;
                        r = vec_consume(&out, &n, v2c_buf_steal(&b));
                        if (r < 0)
                                return r;
                }
                for (size_t j = before; j < n; j++) {
                        bytes += strlen(out[j]) + 1;
                        if (bytes > V2C_EXEC_MAX_BYTES)
                                return -E2BIG;
                }
        }
        /* argv[0] cannot vanish: fall back on the path, as execve needs one. */
        if (n == 0) {
                r = vec_consume(&out, &n, strdup(e->path));
                if (r < 0)
                        return r;
        }
        v2c_strv_free(e->argv);
        e->argv = TAKE_PTR(out);
        return 0;
}

static int exec_parse(const char *value, const struct v2c_unit_context *ctx, struct v2c_exec **ret,
                      struct v2c_error **err)
{
        size_t len = strnlen(value, V2C_PARSE_MAX_LINE + 1);
        if (len > V2C_PARSE_MAX_LINE)
                return v2c_error_set(err, E2BIG, "command line longer than %d bytes",
                                     V2C_PARSE_MAX_LINE);

        _cleanup_(v2c_exec_freep) struct v2c_exec *e = calloc(1, sizeof(*e));
        if (e == NULL)
                return oom(err);

        const char *p = value, *end = value + len;
        _cleanup_free_ char *first = NULL;
        int r = extract_word(&p, end, EXTRACT_CUNESCAPE, &first);
        if (r == -ENOMEM)
                return oom(err);
        if (r < 0)
                return v2c_error_set(err, EINVAL, "bad quoting or escape in `%s`", value);
        if (r == 0)
                return v2c_error_set(err, EINVAL, "empty command line");

        /* The prefixes of config_parse_exec(): each once; '+', '!' and
         * '!!' exclude each other, the second '!' upgrading the first. */
        const unsigned privs = V2C_EXEC_PRIVILEGED | V2C_EXEC_NO_SETUID | V2C_EXEC_AMBIENT;
        const char *f = first;
        for (;; f++) {
                if (*f == '-' && !(e->flags & V2C_EXEC_IGNORE_FAILURE))
                        e->flags |= V2C_EXEC_IGNORE_FAILURE;
                else if (*f == '@' && !(e->flags & V2C_EXEC_ARGV0))
                        e->flags |= V2C_EXEC_ARGV0;
                else if (*f == ':' && !(e->flags & V2C_EXEC_NO_ENV_EXPAND))
                        e->flags |= V2C_EXEC_NO_ENV_EXPAND;
                else if (*f == '|' && !(e->flags & V2C_EXEC_VIA_SHELL))
                        e->flags |= V2C_EXEC_VIA_SHELL;
                else if (*f == '+' && !(e->flags & privs))
                        e->flags |= V2C_EXEC_PRIVILEGED;
                else if (*f == '!' && !(e->flags & privs))
                        e->flags |= V2C_EXEC_NO_SETUID;
                else if (*f == '!' && (e->flags & privs) == V2C_EXEC_NO_SETUID)
                        e->flags = (e->flags & ~V2C_EXEC_NO_SETUID) | V2C_EXEC_AMBIENT;
                else
                        break;
        }
        if (*f == '\0')
                return v2c_error_set(err, EINVAL, "no executable in `%s`", value);

        r = expand_specifiers(f, ctx, &e->path, &e->warnings, &e->unresolved);
        if (r == -ENOMEM)
                return oom(err);
        if (r < 0)
                return v2c_error_set(err, -r, "executable of `%s` too long", value);
        if (e->path[0] != '/' && strchr(e->path, '/'))
                return v2c_error_set(err, EINVAL,
                                     "executable `%s` is neither an absolute path nor a plain name",
                                     e->path);

        size_t n = 0, bytes = strlen(e->path) + 1;
        if (!(e->flags & V2C_EXEC_ARGV0)) {
                r = vec_consume(&e->argv, &n, strdup(e->path));
                if (r < 0)
                        return oom(err);
        }
        for (;;) {
                _cleanup_free_ char *w = NULL, *x = NULL;
                r = extract_word(&p, end, EXTRACT_CUNESCAPE, &w);
                if (r == -ENOMEM)
                        return oom(err);
                if (r < 0)
                        return v2c_error_set(err, -r, "bad quoting or escape in `%s`", value);
                if (r == 0)
                        break;
                if (n >= V2C_EXEC_MAX_ARGS)
                        return v2c_error_set(err, E2BIG, "more than %d words in `%.64s...`",
                                             V2C_EXEC_MAX_ARGS, value);
                r = expand_specifiers(w, ctx, &x, &e->warnings, &e->unresolved);
                if (r == -ENOMEM)
                        return oom(err);
                bytes += r < 0 ? 0 : strlen(x) + 1;
                if (r == -E2BIG || bytes > V2C_EXEC_MAX_BYTES)
                        return v2c_error_set(err, E2BIG, "`%.64s...`: command line too long", value);
                r = vec_consume(&e->argv, &n, TAKE_PTR(x));
                if (r < 0)
                        return oom(err);
        }
        if (n == 0)
                return v2c_error_set(err, EINVAL, "`%s`: '@' given but no argv[0] follows", value);

        if (!(e->flags & V2C_EXEC_NO_ENV_EXPAND)) {
                r = expand_env_argv(e, ctx ? ctx->environment : NULL);
                if (r == -E2BIG)
                        return v2c_error_set(err, E2BIG, "`%.64s...`: expanded command line too long",
                                             value);
                if (r < 0)
                        return oom(err);
        }

        *ret = TAKE_PTR(e);
        return 0;
}

int v2c_exec_parse(const char *value, const struct v2c_unit_context *ctx, struct v2c_exec **ret,
                   struct v2c_error **err)
{
        if (value == NULL)
                return v2c_error_set(err, EINVAL, "empty command line");
        return exec_parse(value, ctx, ret, err);
}

int v2c_unit_get_exec(const struct v2c_unit *u, const char *section, const char *key,
                      const struct v2c_unit_context *ctx, struct v2c_exec ***ret,
                      size_t *n_invalid, struct v2c_error **err)
{
        char *const *values = v2c_unit_get_values(u, section, key);
        size_t n_values = v2c_strv_len(values);
        struct v2c_exec **list = calloc(n_values + 1, sizeof(*list));
        size_t n = 0, bad = 0;
        if (list == NULL)
                return oom(err);

        for (size_t i = 0; i < n_values; i++) {
                struct v2c_error *e = NULL;
                int r = v2c_exec_parse(values[i], ctx, &list[n], &e);
                if (r == 0) {
                        n++;
                        continue;
                }
                v2c_error_free(e);
                if (r == -ENOMEM) {
                        v2c_exec_list_free(list);
                        return oom(err);
                }
                bad++;
        }
        if (n_invalid)
                *n_invalid = bad;
        *ret = list;
        return 0;
}

/* ======================================================================
 * Environment files (parse_env_file_internal() of systemd's env-file.c)
 */

struct envfile {
        char **v;
        size_t n;
        size_t n_invalid;
        struct name_index index;
};

static const char *env_name_at(const void *array, size_t pos, size_t *len)
{
        char *const *v = array;
        *len = strcspn(v[pos], "=");
        return v[pos];
}

static int envfile_push(struct envfile *ef, struct v2c_buf *key, struct v2c_buf *val, size_t keep)
{
        const char *k = key->data ? key->data : "";
        size_t kn = key->len;
        const char *v = val->data ? val->data : "";
        size_t vn = val->len;

        /* Trailing blanks of an unquoted value go; quoted ones stay. */
        while (vn > keep && is_ws(v[vn - 1]))
                vn--;
        while (kn > 0 && is_ws(k[kn - 1]))
                kn--;

        if (!v2c_env_name_valid(k, kn) || memchr(v, '\0', vn) || !v2c_utf8_valid(v, vn)) {
                ef->n_invalid++;
                return 0;
        }

        char *entry = malloc(kn + 1 + vn + 1);
        if (entry == NULL)
                return -ENOMEM;
        memcpy(entry, k, kn);
        entry[kn] = '=';
        memcpy(entry + kn + 1, v, vn);
        entry[kn + 1 + vn] = '\0';

        size_t at = index_find(&ef->index, ef->v, env_name_at, k, kn);
        if (at != SIZE_MAX) {
                free(ef->v[at]);
                ef->v[at] = entry;
                return 0;
        }
        if (ef->n >= V2C_ENV_MAX_ENTRIES) {
                free(entry);
                return -E2BIG;
        }
        int r = vec_consume(&ef->v, &ef->n, entry);
        return r < 0 ? r : index_add(&ef->index, ef->v, env_name_at, ef->n - 1);
}

int v2c_envfile_parse(const char *data, size_t len, char ***ret, size_t *n_invalid,
                      struct v2c_error **err)
{
        if (len > V2C_PARSE_MAX_INPUT)
                return v2c_error_set(err, E2BIG, "environment file of %zu bytes, more than %d",
                                     len, V2C_PARSE_MAX_INPUT);

        enum {
                PRE_KEY, KEY, PRE_VALUE, VALUE, VALUE_ESCAPE,
                SQUOTE, DQUOTE, DQUOTE_ESCAPE, COMMENT,
        } state = PRE_KEY;
        struct envfile ef = { 0 };
        _cleanup_buf_ struct v2c_buf key;
        _cleanup_buf_ struct v2c_buf val;
        size_t keep = 0;    /* val bytes that trailing-blank trimming must not touch */
        int r = 0;

        v2c_buf_init(&key, V2C_PARSE_MAX_INPUT);
        v2c_buf_init(&val, V2C_PARSE_MAX_INPUT);

        for (size_t i = 0; i < len && r >= 0; i++) {
                char c = data[i];
                switch (state) {
                case PRE_KEY:
                        if (c == '#' || c == ';')
                                state = COMMENT;
                        else if (!is_ws(c)) {
                                state = KEY;
                                r = v2c_buf_append(&key, &c, 1);
                        }
                        break;
                case KEY:
                        if (c == '\n') {
                                ef.n_invalid++;
                                v2c_buf_reset(&key);
                                state = PRE_KEY;
                        } else if (c == '=') {
                                state = PRE_VALUE;
                                v2c_buf_reset(&val);
                                keep = 0;
                        } else if (v2c_is_blank(c) && key.len == 6 && memcmp(key.data, "export", 6) == 0) {
                                /* "export KEY=VALUE", as shells accept */
                                v2c_buf_reset(&key);
                                state = PRE_KEY;
                        } else
                                r = v2c_buf_append(&key, &c, 1);
                        break;
                case PRE_VALUE:
                case VALUE:
                        if (c == '\n') {
                                r = envfile_push(&ef, &key, &val, keep);
                                v2c_buf_reset(&key);
                                state = PRE_KEY;
                        } else if (state == PRE_VALUE && c == '\'') {
                                state = SQUOTE;
                        } else if (state == PRE_VALUE && c == '"') {
                                state = DQUOTE;
                        } else if (c == '\\') {
                                state = VALUE_ESCAPE;
                        } else if (state == PRE_VALUE && is_ws(c)) {
                                /* skipped */
                        } else {
                                state = VALUE;
                                r = v2c_buf_append(&val, &c, 1);
                        }
                        break;
                case VALUE_ESCAPE:
                        state = VALUE;
                        if (c != '\n') {
                                r = v2c_buf_append(&val, &c, 1);
                                keep = val.len;
                        }
                        break;
                case SQUOTE:
                        if (c == '\'') {
                                state = PRE_VALUE;
                                keep = val.len;
                        } else
                                r = v2c_buf_append(&val, &c, 1);
                        break;
                case DQUOTE:
                        if (c == '"') {
                                state = PRE_VALUE;
                                keep = val.len;
                        } else if (c == '\\')
                                state = DQUOTE_ESCAPE;
                        else
                                r = v2c_buf_append(&val, &c, 1);
                        break;
                case DQUOTE_ESCAPE:
                        state = DQUOTE;
                        if (c == '"' || c == '\\' || c == '`' || c == '$')
                                r = v2c_buf_append(&val, &c, 1);
                        else if (c != '\n')
                                r = v2c_buf_append(&val, (char[]) { '\\', c }, 2);
                        break;
                case COMMENT:
                        /* As in sh, a backslash does not continue a comment. */
                        if (c == '\n')
                                state = PRE_KEY;
                        break;
                }
        }

        if (r >= 0) {
                switch (state) {
                case PRE_VALUE:
                case VALUE:
                case VALUE_ESCAPE:
                        r = envfile_push(&ef, &key, &val, keep);
                        break;
                case KEY:
                case SQUOTE:
                case DQUOTE:
                case DQUOTE_ESCAPE:
                        /* systemd keeps an unterminated quote's text up to
                         * the end of the file; we count it as bad instead. */
                        ef.n_invalid++;
                        break;
                default:
                        break;
                }
        }

        index_release(&ef.index);
        if (r >= 0)
                r = vec_finish(&ef.v);
        if (r < 0) {
                v2c_strv_free(ef.v);
                if (r == -E2BIG)
                        return v2c_error_set(err, E2BIG, "environment file with more than %d entries",
                                             V2C_ENV_MAX_ENTRIES);
                return oom(err);
        }
        if (n_invalid)
                *n_invalid = ef.n_invalid;
        *ret = ef.v;
        return 0;
}

/* ======================================================================
 * Shell words
 */

void v2c_shell_words_release(struct v2c_shell_words *w)
{
        if (w == NULL)
                return;
        for (size_t i = 0; i < w->n; i++)
                free(w->words[i].text);
        free(w->words);
        w->words = NULL;
        w->n = 0;
}

#define NO_REDIRECT SIZE_MAX

struct shlex {
        const char *p, *end;
        char *const *vars;
        struct v2c_shell_words out;
        size_t cap;
        struct v2c_buf word;
        bool in_word;
        size_t plain;            /* leading bytes of word that came from unquoted literals */
        bool unexpanded;
        size_t redirect;         /* token waiting for its target, or NO_REDIRECT */
        size_t total;            /* bytes in all tokens, bounded by V2C_EXEC_MAX_BYTES */
};

static int shlex_account(struct shlex *l, size_t n)
{
        l->total += n;
        return l->total > V2C_EXEC_MAX_BYTES ? -E2BIG : 0;
}

static int shlex_push(struct shlex *l, char *text, enum v2c_shell_kind kind, bool assignment,
                      bool unexpanded)
{
        if (text == NULL)
                return -ENOMEM;
        if (l->out.n >= V2C_SHELL_MAX_WORDS || shlex_account(l, strlen(text) + 1) < 0) {
                free(text);
                return -E2BIG;
        }
        if (l->out.n == l->cap) {
                size_t nc = l->cap ? l->cap * 2 : 16;
                struct v2c_shell_word *nw = realloc(l->out.words, nc * sizeof(*nw));
                if (nw == NULL) {
                        free(text);
                        return -ENOMEM;
                }
                l->out.words = nw;
                l->cap = nc;
        }
        l->out.words[l->out.n++] = (struct v2c_shell_word) {
                .text = text, .kind = kind, .assignment = assignment, .unexpanded = unexpanded,
        };
        return 0;
}

static int shlex_finish_word(struct shlex *l)
{
        if (!l->in_word)
                return 0;

        bool assignment = false;
        const char *eq = l->word.data ? memchr(l->word.data, '=', l->plain) : NULL;
        if (eq && v2c_env_name_valid(l->word.data, (size_t) (eq - l->word.data)))
                assignment = true;
        bool unexpanded = l->unexpanded;
        char *text = v2c_buf_steal(&l->word);
        l->in_word = false;
        l->plain = 0;
        l->unexpanded = false;
        if (text == NULL)
                return -ENOMEM;

        if (l->redirect != NO_REDIRECT) {
                struct v2c_shell_word *t = &l->out.words[l->redirect];
                l->redirect = NO_REDIRECT;
                size_t a = strlen(t->text), b = strlen(text);
                if (shlex_account(l, b) < 0) {
                        free(text);
                        return -E2BIG;
                }
                char *joined = realloc(t->text, a + b + 1);
                if (joined == NULL) {
                        free(text);
                        return -ENOMEM;
                }
                memcpy(joined + a, text, b + 1);
                t->text = joined;
                t->unexpanded |= unexpanded;
                free(text);
                return 0;
        }
        return shlex_push(l, text, V2C_SHELL_WORD, assignment, unexpanded);
}

static int shlex_append(struct shlex *l, const char *s, size_t n, bool plain)
{
        if (plain && l->plain == l->word.len)
                l->plain += n;
        l->in_word = true;
        return v2c_buf_append(&l->word, s, n);
}

/* ${NAME}, ${NAME:-word} and friends; l->p is at "${". */
static int shlex_braced(struct shlex *l)
{
        const char *start = l->p;
        const char *s = start + 2;
        unsigned depth = 1;
        while (s < l->end && depth > 0) {
                if (*s == '{')
                        depth++;
                else if (*s == '}')
                        depth--;
                s++;
        }
        if (depth > 0) {
                /* Unterminated: keep the rest as written. */
                l->unexpanded = true;
                l->p = l->end;
                return shlex_append(l, start, (size_t) (l->end - start), false);
        }
        const char *inner = start + 2, *close = s - 1;
        size_t nn = 0;
        while (inner + nn < close && v2c_env_name_valid(inner, nn + 1))
                nn++;
        l->p = s;

        if (nn > 0) {
                const char *val = v2c_env_lookup(l->vars, inner, nn);
                const char *op = inner + nn;
                if (op == close) {
                        if (val)
                                return shlex_append(l, val, strlen(val), false);
                } else {
                        bool colon = *op == ':';
                        const char *o = op + colon;
                        /* Only literal defaults: anything the shell would
                         * expand or unquote in them is left alone. */
                        if (o < close && (*o == '-' || *o == '=') &&
                            !memchr(o + 1, '$', (size_t) (close - o - 1)) &&
                            !memchr(o + 1, '`', (size_t) (close - o - 1)) &&
                            !memchr(o + 1, '"', (size_t) (close - o - 1)) &&
                            !memchr(o + 1, '\'', (size_t) (close - o - 1)) &&
                            !memchr(o + 1, '\\', (size_t) (close - o - 1))) {
                                if (val && (!colon || *val))
                                        return shlex_append(l, val, strlen(val), false);
                                return shlex_append(l, o + 1, (size_t) (close - o - 1), false);
                        }
                }
        }
        l->unexpanded = true;
        return shlex_append(l, start, (size_t) (s - start), false);
}

/* One '$' expansion; l->p is at '$'. */
static int shlex_dollar(struct shlex *l)
{
        const char *s = l->p + 1;
        if (s >= l->end) {
                l->p = s;
                return shlex_append(l, "$", 1, false);
        }
        if (*s == '{')
                return shlex_braced(l);
        if (*s == '(') {
                /* $(...) and $((...)): kept whole, parentheses counted. */
                const char *start = l->p;
                unsigned depth = 0;
                for (; s < l->end; s++) {
                        if (*s == '(')
                                depth++;
                        else if (*s == ')' && --depth == 0) {
                                s++;
                                break;
                        }
                }
                l->p = s;
                l->unexpanded = true;
                return shlex_append(l, start, (size_t) (s - start), false);
        }
        if (v2c_env_name_valid(s, 1)) {
                size_t nn = 1;
                while (s + nn < l->end && v2c_env_name_valid(s, nn + 1))
                        nn++;
                const char *val = v2c_env_lookup(l->vars, s, nn);
                l->p = s + nn;
                if (val)
                        return shlex_append(l, val, strlen(val), false);
                l->unexpanded = true;
                return shlex_append(l, s - 1, nn + 1, false);
        }
        if (in_set(*s, "0123456789@*#?$!-")) {
                l->p = s + 1;
                l->unexpanded = true;
                return shlex_append(l, s - 1, 2, false);
        }
        l->p = s;
        return shlex_append(l, "$", 1, false);
}

/* `...`, kept as written; l->p is at the opening backquote. */
static int shlex_backquote(struct shlex *l)
{
        const char *s = l->p + 1;
        while (s < l->end && *s != '`') {
                if (*s == '\\' && s + 1 < l->end)
                        s++;
                s++;
        }
        if (s >= l->end)
                return -EINVAL;
        const char *start = l->p;
        l->p = s + 1;
        l->unexpanded = true;
        return shlex_append(l, start, (size_t) (l->p - start), false);
}

static int shlex_dquote(struct shlex *l)
{
        l->p++;
        l->in_word = true;
        while (l->p < l->end) {
                char c = *l->p;
                int r;
                if (c == '"') {
                        l->p++;
                        return 0;
                }
                if (c == '\\' && l->p + 1 < l->end && in_set(l->p[1], "$`\"\\\n")) {
                        r = l->p[1] == '\n' ? 0 : shlex_append(l, l->p + 1, 1, false);
                        l->p += 2;
                } else if (c == '$') {
                        r = shlex_dollar(l);
                } else if (c == '`') {
                        r = shlex_backquote(l);
                } else {
                        r = shlex_append(l, &c, 1, false);
                        l->p++;
                }
                if (r < 0)
                        return r;
        }
        return -EINVAL;
}

static int shlex_operator(struct shlex *l)
{
        static const char *const ops[] = { "&&", "||", ";;", "|&", ";", "&", "|", "(", ")" };
        int r = shlex_finish_word(l);
        if (r < 0)
                return r;
        l->redirect = NO_REDIRECT;
        for (size_t i = 0; i < V2C_ARRAY_SIZE(ops); i++) {
                size_t n = strlen(ops[i]);
                if ((size_t) (l->end - l->p) >= n && memcmp(l->p, ops[i], n) == 0) {
                        l->p += n;
                        return shlex_push(l, strdup(ops[i]), V2C_SHELL_OPERATOR, false, false);
                }
        }
        return -EINVAL;  /* not reached: callers check the first byte */
}

/* l->p is at '<', '>' or "&>"; a word of digits just before is the fd. */
static int shlex_redirect(struct shlex *l)
{
        static const char *const ops[] = { "&>>", "&>", "<<-", "<<", "<>", "<&", ">>", ">&", ">|",
                                           "<", ">" };
        _cleanup_free_ char *fd = NULL;
        int r;

        if (l->in_word) {
                bool digits = l->plain == l->word.len && l->word.len > 0;
                for (size_t i = 0; digits && i < l->word.len; i++)
                        digits = l->word.data[i] >= '0' && l->word.data[i] <= '9';
                if (digits) {
                        fd = v2c_buf_steal(&l->word);
                        if (fd == NULL)
                                return -ENOMEM;
                        l->in_word = false;
                        l->plain = 0;
                        l->unexpanded = false;
                } else {
                        r = shlex_finish_word(l);
                        if (r < 0)
                                return r;
                }
        }
        l->redirect = NO_REDIRECT;

        size_t n = 1;
        for (size_t i = 0; i < V2C_ARRAY_SIZE(ops); i++) {
                size_t k = strlen(ops[i]);
                if ((size_t) (l->end - l->p) >= k && memcmp(l->p, ops[i], k) == 0) {
                        n = k;
                        break;
                }
        }
        size_t fdn = fd ? strlen(fd) : 0;
        char *text = malloc(fdn + n + 1);
        if (text == NULL)
                return -ENOMEM;
        if (fdn)
                memcpy(text, fd, fdn);
        memcpy(text + fdn, l->p, n);
        text[fdn + n] = '\0';
        bool dup = l->p[n - 1] == '&';
        l->p += n;

        r = shlex_push(l, text, V2C_SHELL_REDIRECT, false, false);
        if (r < 0)
                return r;
        /* "2>&1", ">&-": the target is glued on; otherwise it is the
         * next word, whatever blanks come first. */
        if (dup && l->p < l->end && ((*l->p >= '0' && *l->p <= '9') || *l->p == '-')) {
                struct v2c_shell_word *t = &l->out.words[l->out.n - 1];
                size_t a = strlen(t->text);
                size_t k = 0;
                while (l->p + k < l->end && ((l->p[k] >= '0' && l->p[k] <= '9') || l->p[k] == '-'))
                        k++;
                char *joined = realloc(t->text, a + k + 1);
                if (joined == NULL)
                        return -ENOMEM;
                memcpy(joined + a, l->p, k);
                joined[a + k] = '\0';
                t->text = joined;
                l->p += k;
                return 0;
        }
        l->redirect = l->out.n - 1;
        return 0;
}

static int shlex_run(struct shlex *l)
{
        int r = 0;
        while (l->p < l->end && r >= 0) {
                char c = *l->p;
                if (c == '\\' && l->p + 1 < l->end && l->p[1] == '\n') {
                        l->p += 2;
                } else if (v2c_is_blank(c) || c == '\r') {
                        r = shlex_finish_word(l);
                        l->p++;
                } else if (c == '\n') {
                        r = shlex_finish_word(l);
                        if (r >= 0) {
                                l->redirect = NO_REDIRECT;
                                r = shlex_push(l, strdup(";"), V2C_SHELL_OPERATOR, false, false);
                        }
                        l->p++;
                } else if (c == '#' && !l->in_word) {
                        const char *nl = memchr(l->p, '\n', (size_t) (l->end - l->p));
                        l->p = nl ? nl : l->end;
                } else if (c == '\'') {
                        const char *close = memchr(l->p + 1, '\'', (size_t) (l->end - l->p - 1));
                        if (close == NULL)
                                return -EINVAL;
                        r = shlex_append(l, l->p + 1, (size_t) (close - l->p - 1), false);
                        l->p = close + 1;
                } else if (c == '"') {
                        r = shlex_dquote(l);
                } else if (c == '\\') {
                        /* an escaped byte is quoted; a final '\' stays */
                        r = shlex_append(l, l->p + 1 < l->end ? l->p + 1 : l->p, 1, false);
                        l->p += l->p + 1 < l->end ? 2 : 1;
                } else if (c == '$') {
                        r = shlex_dollar(l);
                } else if (c == '`') {
                        r = shlex_backquote(l);
                } else if (c == '<' || c == '>' ||
                           (c == '&' && l->p + 1 < l->end && l->p[1] == '>')) {
                        r = shlex_redirect(l);
                } else if (in_set(c, ";&|()")) {
                        r = shlex_operator(l);
                } else {
                        r = shlex_append(l, &c, 1, true);
                        l->p++;
                }
        }
        if (r >= 0)
                r = shlex_finish_word(l);
        return r;
}

int v2c_shell_split(const char *data, size_t len, char *const *vars, struct v2c_shell_words *ret,
                    struct v2c_error **err)
{
        if (len > V2C_PARSE_MAX_INPUT)
                return v2c_error_set(err, E2BIG, "shell text of %zu bytes, more than %d", len,
                                     V2C_PARSE_MAX_INPUT);

        /* A NUL would silently cut a word short. */
        if (len > 0 && memchr(data, '\0', len))
                return v2c_error_set(err, EINVAL, "NUL byte in shell text");

        struct shlex l = {
                .p = data, .end = data + len, .vars = vars, .redirect = NO_REDIRECT,
        };
        v2c_buf_init(&l.word, V2C_PARSE_MAX_LINE);

        int r = len > 0 ? shlex_run(&l) : 0;
        v2c_buf_release(&l.word);
        if (r < 0) {
                v2c_shell_words_release(&l.out);
                if (r == -EINVAL)
                        return v2c_error_set(err, EINVAL, "unbalanced quote");
                if (r == -E2BIG)
                        return v2c_error_set(err, E2BIG, "more than %d words or a word over %d bytes",
                                             V2C_SHELL_MAX_WORDS, V2C_PARSE_MAX_LINE);
                return oom(err);
        }
        *ret = l.out;
        return 0;
}
