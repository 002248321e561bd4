/* The rollout playbook (see playbook.h and docs/playbook.md).
 *
 * Reading happens in two passes.  First the text becomes a small tree of
 * nodes that remember their line and column: libyaml's event API builds
 * it (anchors and aliases resolved, depth and size bounded), or, for a
 * file that starts with '{' and is JSON, jansson checks it and a small
 * scanner finds the positions (YAML 1.1 cannot read all JSON).
 * Then the tree is checked and turned into the structures of playbook.h;
 * every problem is collected with its position instead of stopping at the
 * first, and the cross-checks (names, depends_on, shared ports and
 * backends) run at the end over the whole playbook.
 *
 * Plain YAML scalars are not typed by YAML 1.1's rules: a key that wants a
 * string takes `8080` or `no` as written, and only true/false are
 * booleans, so the "Norway problem" and sexagesimal "8080:80" cannot bite. */
#include "playbook.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "buf.h"
#include "cleanup.h"
#include "fsutil.h"
#include "json.h"
#include "ref.h"
#include "strv.h"

/* Aliases let a small file describe a huge tree; checking stops after this
 * many node visits. */
#define MAX_VISITS 1000000
#define MAX_ANCHORS 1000
#define MAX_ALIASES 10000
#define MAX_URL 2048
#define MAX_CONTAINER_NAME 128  /* Docker's */
#define MAX_HAPROXY_NAME 127
#define MAX_SUN_PATH 107        /* sizeof(sockaddr_un.sun_path) - 1 */
#define MS_SECOND 1000ull
#define MS_MINUTE (60 * MS_SECOND)
#define MS_HOUR (60 * MS_MINUTE)
#define MS_DAY (24 * MS_HOUR)

/* ------------------------------------------------------------------------
 * The node tree
 */

enum pkind { PK_SCALAR, PK_SEQ, PK_MAP };

struct pnode {
        enum pkind kind;
        bool quoted;            /* scalar: quoted or block style, or a JSON string */
        unsigned line, col;     /* 1-based */
        char *text;             /* scalar: NUL-terminated, may hold NULs before len */
        size_t len;
        struct pnode **kids;    /* SEQ: items; MAP: key, value, key, value... (borrowed) */
        size_t n, cap;
};

struct anchor {
        char *name;
        struct pnode *node;
};

struct ptree {
        struct pnode **nodes;   /* every node, owned */
        size_t n_nodes, cap_nodes;
        struct pnode *root;
        struct anchor *anchors;
        size_t n_anchors;
        size_t n_aliases;
};

/* A syntax error: where, and what. */
struct perr {
        unsigned line, col;
        size_t offset;
        char msg[256];
        bool oom;
};

static void ptree_release(struct ptree *t)
{
        for (size_t i = 0; i < t->n_nodes; i++) {
                free(t->nodes[i]->text);
                free(t->nodes[i]->kids);
                free(t->nodes[i]);
        }
        free(t->nodes);
        for (size_t i = 0; i < t->n_anchors; i++)
                free(t->anchors[i].name);
        free(t->anchors);
        *t = (struct ptree) { 0 };
}

static void perr_set(struct perr *e, unsigned line, unsigned col, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
static void perr_set(struct perr *e, unsigned line, unsigned col, const char *fmt, ...)
{
        e->line = line;
        e->col = col;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(e->msg, sizeof e->msg, fmt, ap);
        va_end(ap);
}

static struct pnode *node_new(struct ptree *t, enum pkind kind, unsigned line, unsigned col, struct perr *e)
{
        if (t->n_nodes >= V2C_PLAYBOOK_MAX_NODES) {
                perr_set(e, line, col, "more than %d YAML nodes", V2C_PLAYBOOK_MAX_NODES);
                return NULL;
        }
        if (t->n_nodes == t->cap_nodes) {
                size_t cap = t->cap_nodes ? 2 * t->cap_nodes : 64;
                struct pnode **p = reallocarray(t->nodes, cap, sizeof *p);
                if (p == NULL) {
                        e->oom = true;
                        return NULL;
                }
                t->nodes = p;
                t->cap_nodes = cap;
        }
        struct pnode *n = calloc(1, sizeof *n);
        if (n == NULL) {
                e->oom = true;
                return NULL;
        }
        n->kind = kind;
        n->line = line;
        n->col = col;
        t->nodes[t->n_nodes++] = n;
        return n;
}

static int node_add_kid(struct pnode *parent, struct pnode *kid, struct perr *e)
{
        if (parent->n == parent->cap) {
                size_t cap = parent->cap ? 2 * parent->cap : 8;
                struct pnode **p = reallocarray(parent->kids, cap, sizeof *p);
                if (p == NULL) {
                        e->oom = true;
                        return -ENOMEM;
                }
                parent->kids = p;
                parent->cap = cap;
        }
        parent->kids[parent->n++] = kid;
        return 0;
}

/* Line and column (1-based, in characters) of byte OFFSET of DATA. */
static void pos_of_offset(const char *data, size_t len, size_t offset, unsigned *line, unsigned *col)
{
        unsigned l = 1, c = 1;
        for (size_t i = 0; i < offset && i < len; i++) {
                unsigned char b = (unsigned char) data[i];
                if (b == '\n') {
                        l++;
                        c = 1;
                } else if ((b & 0xc0) != 0x80) {
                        c++;
                }
        }
        *line = l;
        *col = c;
}

/* ---- from YAML (libyaml's events) ---- */

struct yaml_builder {
        struct ptree *t;
        struct {
                struct pnode *node;
                char *anchor;   /* owned until the collection ends */
        } stack[V2C_PLAYBOOK_MAX_DEPTH];
        size_t depth;
        bool doc_seen;
        bool done;
};

static int attach(struct yaml_builder *b, struct pnode *n, struct perr *e)
{
        if (b->depth == 0) {
                b->t->root = n;
                return 0;
        }
        return node_add_kid(b->stack[b->depth - 1].node, n, e);
}

static int add_anchor(struct ptree *t, const char *name, struct pnode *n, struct perr *e)
{
        if (t->n_anchors >= MAX_ANCHORS) {
                perr_set(e, n->line, n->col, "more than %d anchors", MAX_ANCHORS);
                return -EINVAL;
        }
        if (t->n_anchors == 0) {
                t->anchors = calloc(MAX_ANCHORS, sizeof *t->anchors);
                if (t->anchors == NULL) {
                        e->oom = true;
                        return -ENOMEM;
                }
        }
        char *copy = strdup(name);
        if (copy == NULL) {
                e->oom = true;
                return -ENOMEM;
        }
        t->anchors[t->n_anchors++] = (struct anchor) { copy, n };
        return 0;
}

/* The YAML types a tag may name: the ones a plain node resolves to anyway. */
static int check_tag(const yaml_char_t *tag, enum pkind kind, unsigned line, unsigned col, struct perr *e,
                     bool *force_string)
{
        if (tag == NULL)
                return 0;
        const char *t = (const char *) tag;
        if (kind == PK_SCALAR && strcmp(t, "tag:yaml.org,2002:str") == 0) {
                *force_string = true;
                return 0;
        }
        if ((kind == PK_MAP && strcmp(t, "tag:yaml.org,2002:map") == 0) ||
            (kind == PK_SEQ && strcmp(t, "tag:yaml.org,2002:seq") == 0))
                return 0;
        char shown[64];
        snprintf(shown, sizeof shown, "%s", t);
        for (char *p = shown; *p; p++)
                if ((unsigned char) *p < 0x20 || *p == 0x7f)
                        *p = '?';
        perr_set(e, line, col, "YAML tags are not supported here (`%s`)", shown);
        return -EINVAL;
}

static int yaml_event(struct yaml_builder *b, const yaml_event_t *ev, struct perr *e)
{
        unsigned line = (unsigned) ev->start_mark.line + 1, col = (unsigned) ev->start_mark.column + 1;
        struct ptree *t = b->t;
        struct pnode *n;
        bool force_string = false;
        int r;

        switch (ev->type) {
        case YAML_DOCUMENT_START_EVENT:
                if (b->doc_seen) {
                        perr_set(e, line, col, "a playbook is one YAML document, this is a second one");
                        return -EINVAL;
                }
                b->doc_seen = true;
                return 0;
        case YAML_SCALAR_EVENT:
                r = check_tag(ev->data.scalar.tag, PK_SCALAR, line, col, e, &force_string);
                if (r < 0)
                        return r;
                n = node_new(t, PK_SCALAR, line, col, e);
                if (n == NULL)
                        return -EINVAL;
                n->len = ev->data.scalar.length;
                n->text = malloc(n->len + 1);
                if (n->text == NULL) {
                        e->oom = true;
                        return -ENOMEM;
                }
                memcpy(n->text, ev->data.scalar.value, n->len);
                n->text[n->len] = '\0';
                n->quoted = force_string || ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
                r = attach(b, n, e);
                if (r == 0 && ev->data.scalar.anchor)
                        r = add_anchor(t, (const char *) ev->data.scalar.anchor, n, e);
                return r;
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT: {
                bool seq = ev->type == YAML_SEQUENCE_START_EVENT;
                const yaml_char_t *tag = seq ? ev->data.sequence_start.tag : ev->data.mapping_start.tag;
                const yaml_char_t *anchor = seq ? ev->data.sequence_start.anchor : ev->data.mapping_start.anchor;
                r = check_tag(tag, seq ? PK_SEQ : PK_MAP, line, col, e, &force_string);
                if (r < 0)
                        return r;
                if (b->depth >= V2C_PLAYBOOK_MAX_DEPTH) {
                        perr_set(e, line, col, "nested deeper than %d levels", V2C_PLAYBOOK_MAX_DEPTH);
                        return -EINVAL;
                }
                n = node_new(t, seq ? PK_SEQ : PK_MAP, line, col, e);
                if (n == NULL)
                        return -EINVAL;
                r = attach(b, n, e);
                if (r < 0)
                        return r;
                char *a = NULL;
                if (anchor && (a = strdup((const char *) anchor)) == NULL) {
                        e->oom = true;
                        return -ENOMEM;
                }
                b->stack[b->depth].node = n;
                b->stack[b->depth].anchor = a;
                b->depth++;
                return 0;
        }
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
                if (b->depth == 0)
                        return 0;       /* libyaml never does this */
                b->depth--;
                /* Registered only now: an alias inside its own anchor's
                 * collection finds nothing, so the tree has no cycles. */
                r = 0;
                if (b->stack[b->depth].anchor)
                        r = add_anchor(t, b->stack[b->depth].anchor, b->stack[b->depth].node, e);
                free(b->stack[b->depth].anchor);
                b->stack[b->depth].anchor = NULL;
                return r;
        case YAML_ALIAS_EVENT: {
                const char *name = (const char *) ev->data.alias.anchor;
                if (++t->n_aliases > MAX_ALIASES) {
                        perr_set(e, line, col, "more than %d aliases", MAX_ALIASES);
                        return -EINVAL;
                }
                for (size_t i = t->n_anchors; i-- > 0;)
                        if (strcmp(t->anchors[i].name, name) == 0)
                                return attach(b, t->anchors[i].node, e);
                char shown[64];
                snprintf(shown, sizeof shown, "%s", name);
                perr_set(e, line, col, "alias `*%s` names no complete anchor before it", shown);
                return -EINVAL;
        }
        case YAML_STREAM_END_EVENT:
                b->done = true;
                return 0;
        default:
                return 0;
        }
}

static void yaml_builder_release(struct yaml_builder *b)
{
        for (size_t i = 0; i < b->depth; i++)
                free(b->stack[i].anchor);
        b->depth = 0;
}

static int tree_from_yaml(const char *data, size_t len, struct ptree *t, struct perr *e)
{
        yaml_parser_t p;
        if (!yaml_parser_initialize(&p)) {
                e->oom = true;
                return -ENOMEM;
        }
        yaml_parser_set_input_string(&p, (const unsigned char *) data, len);
        struct yaml_builder b = { .t = t };
        int r = 0;
        while (r == 0 && !b.done) {
                yaml_event_t ev;
                if (!yaml_parser_parse(&p, &ev)) {
                        r = -EINVAL;
                        if (p.error == YAML_MEMORY_ERROR) {
                                e->oom = true;
                        } else if (p.error == YAML_READER_ERROR) {
                                unsigned l, c;
                                pos_of_offset(data, len, p.problem_offset, &l, &c);
                                e->offset = p.problem_offset;
                                perr_set(e, l, c, "%s", p.problem ? p.problem : "unreadable input");
                        } else {
                                e->offset = p.problem_mark.index;
                                if (p.context)
                                        perr_set(e, (unsigned) p.problem_mark.line + 1,
                                                 (unsigned) p.problem_mark.column + 1, "%s (%s at %u:%u)",
                                                 p.problem ? p.problem : "syntax error", p.context,
                                                 (unsigned) p.context_mark.line + 1,
                                                 (unsigned) p.context_mark.column + 1);
                                else
                                        perr_set(e, (unsigned) p.problem_mark.line + 1,
                                                 (unsigned) p.problem_mark.column + 1, "%s",
                                                 p.problem ? p.problem : "syntax error");
                        }
                        break;
                }
                r = yaml_event(&b, &ev, e);
                if (r < 0 && !e->oom)
                        e->offset = ev.start_mark.index;
                yaml_event_delete(&ev);
        }
        yaml_builder_release(&b);
        yaml_parser_delete(&p);
        return e->oom ? -ENOMEM : r;
}

/* ---- from JSON (jansson checks it, a scanner finds the positions) ---- */

struct jscan {
        const char *base, *p, *end;
        unsigned line, col;
        struct ptree *t;
};

static void js_advance(struct jscan *s)
{
        unsigned char b = (unsigned char) *s->p++;
        if (b == '\n') {
                s->line++;
                s->col = 1;
        } else if ((b & 0xc0) != 0x80) {
                s->col++;
        }
}

static void js_ws(struct jscan *s)
{
        while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
                js_advance(s);
}

/* The text is valid JSON (jansson said so): the scanner only splits it. */
static struct pnode *js_value(struct jscan *s, size_t depth, struct perr *e)
{
        js_ws(s);
        if (s->p >= s->end) {
                perr_set(e, s->line, s->col, "unexpected end of JSON");
                return NULL;
        }
        unsigned line = s->line, col = s->col;
        char ch = *s->p;
        if (ch == '{' || ch == '[') {
                if (depth >= V2C_PLAYBOOK_MAX_DEPTH) {
                        perr_set(e, line, col, "nested deeper than %d levels", V2C_PLAYBOOK_MAX_DEPTH);
                        return NULL;
                }
                char close = ch == '{' ? '}' : ']';
                struct pnode *n = node_new(s->t, ch == '{' ? PK_MAP : PK_SEQ, line, col, e);
                if (n == NULL)
                        return NULL;
                js_advance(s);
                js_ws(s);
                if (s->p < s->end && *s->p == close) {
                        js_advance(s);
                        return n;
                }
                for (;;) {
                        if (ch == '{') {
                                struct pnode *k = js_value(s, depth + 1, e);
                                if (k == NULL || node_add_kid(n, k, e) < 0)
                                        return NULL;
                                js_ws(s);
                                if (s->p >= s->end || *s->p != ':') {
                                        perr_set(e, s->line, s->col, "expected `:`");
                                        return NULL;
                                }
                                js_advance(s);
                        }
                        struct pnode *v = js_value(s, depth + 1, e);
                        if (v == NULL || node_add_kid(n, v, e) < 0)
                                return NULL;
                        js_ws(s);
                        if (s->p < s->end && *s->p == ',') {
                                js_advance(s);
                                continue;
                        }
                        if (s->p < s->end && *s->p == close) {
                                js_advance(s);
                                return n;
                        }
                        perr_set(e, s->line, s->col, "expected `,` or `%c`", close);
                        return NULL;
                }
        }
        struct pnode *n = node_new(s->t, PK_SCALAR, line, col, e);
        if (n == NULL)
                return NULL;
        const char *start = s->p;
        if (ch == '"') {
                js_advance(s);
                while (s->p < s->end && *s->p != '"') {
                        if (*s->p == '\\' && s->p + 1 < s->end)
                                js_advance(s);
                        js_advance(s);
                }
                if (s->p >= s->end) {
                        perr_set(e, line, col, "unterminated string");
                        return NULL;
                }
                js_advance(s);
                json_error_t je;
                json_t *j = json_loadb(start, (size_t) (s->p - start), JSON_DECODE_ANY, &je);
                if (j == NULL || !json_is_string(j)) {
                        json_decref(j);
                        perr_set(e, line, col, "invalid string");
                        return NULL;
                }
                n->len = json_string_length(j);
                n->text = malloc(n->len + 1);
                if (n->text)
                        memcpy(n->text, json_string_value(j), n->len + 1);
                json_decref(j);
                n->quoted = true;
        } else {
                while (s->p < s->end && *s->p && (isalnum((unsigned char) *s->p) || strchr("+-.", *s->p)))
                        js_advance(s);
                if (s->p == start) {
                        perr_set(e, line, col, "unexpected character");
                        return NULL;
                }
                n->len = (size_t) (s->p - start);
                n->text = strndup(start, n->len);
        }
        if (n->text == NULL) {
                e->oom = true;
                return NULL;
        }
        return n;
}

static int tree_from_json(const char *data, size_t len, struct ptree *t, struct perr *e)
{
        json_error_t je;
        json_t *j = json_loadb(data, len, 0, &je);
        if (j == NULL) {
                e->offset = (size_t) je.position;
                perr_set(e, (unsigned) (je.line > 0 ? je.line : 1), (unsigned) (je.column > 0 ? je.column : 1),
                         "%s", je.text);
                return -EINVAL;
        }
        json_decref(j);
        struct jscan s = { data, data, data + len, 1, 1, t };
        t->root = js_value(&s, 0, e);
        e->offset = (size_t) (s.p - data);
        if (t->root == NULL)
                return e->oom ? -ENOMEM : -EINVAL;
        return 0;
}

/* ------------------------------------------------------------------------
 * Problems, collected
 */

struct diag {
        unsigned line, col;
        char *msg;
        size_t seq;             /* the order found in, for problems at one position */
};

/* Where a service came from, for the checks across services. */
struct svc_src {
        const struct pnode *node;       /* the service's mapping */
        const struct pnode *name;       /* its name */
        const struct pnode **deps;      /* the depends_on entries */
        const struct pnode *container_name;
        const struct pnode **ports;     /* the ports entries */
        const struct pnode *router;
};

struct ctx {
        const char *file;
        struct diag diags[V2C_PLAYBOOK_MAX_ERRORS];
        size_t n_diags;
        size_t n_found;
        bool more;              /* problems were left out */
        bool oom;
        bool stop;              /* the visit budget is spent */
        unsigned quiet;         /* re-reading a default whose problems were reported */
        size_t visits;
        struct v2c_playbook *pb;
        struct v2c_pb_service **all;    /* every service, in file order (borrowed) */
        struct svc_src *srcs;           /* parallel to all */
        size_t n_all;
        char q[4][96];          /* ring of quoted snippets for messages */
        unsigned qnext;
};

static void ctx_release(struct ctx *c)
{
        for (size_t i = 0; i < c->n_diags; i++)
                free(c->diags[i].msg);
        for (size_t i = 0; i < c->n_all; i++) {
                free(c->srcs[i].deps);
                free(c->srcs[i].ports);
        }
        free(c->srcs);
        free(c->all);
}

static bool diag_full(const struct ctx *c)
{
        return c->quiet || c->n_diags >= V2C_PLAYBOOK_MAX_ERRORS;
}

static void diag_at(struct ctx *c, unsigned line, unsigned col, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
static void diag_at(struct ctx *c, unsigned line, unsigned col, const char *fmt, ...)
{
        if (c->quiet)
                return;
        char *msg = NULL;
        va_list ap;
        va_start(ap, fmt);
        int r = vasprintf(&msg, fmt, ap);
        va_end(ap);
        if (r < 0) {
                c->oom = true;
                return;
        }
        /* An aliased node is checked once per use; say it once. */
        for (size_t i = 0; i < c->n_diags; i++)
                if (c->diags[i].line == line && c->diags[i].col == col && strcmp(c->diags[i].msg, msg) == 0) {
                        free(msg);
                        return;
                }
        if (c->n_diags < V2C_PLAYBOOK_MAX_ERRORS) {
                c->diags[c->n_diags++] = (struct diag) { line, col, msg, c->n_found++ };
                return;
        }
        /* Full: keep the problems that come first in the file, which are
         * not always the first found (cross-checks run at the end). */
        c->more = true;
        size_t last = 0;
        for (size_t i = 1; i < c->n_diags; i++)
                if (c->diags[i].line > c->diags[last].line ||
                    (c->diags[i].line == c->diags[last].line && c->diags[i].col >= c->diags[last].col))
                        last = i;
        if (line < c->diags[last].line || (line == c->diags[last].line && col < c->diags[last].col)) {
                free(c->diags[last].msg);
                c->diags[last] = (struct diag) { line, col, msg, c->n_found++ };
        } else {
                free(msg);
        }
}

#define diag(c, n, ...) diag_at((c), (n)->line, (n)->col, __VA_ARGS__)

/* A printable snippet of S for a message: control bytes as '?', cut at 60
 * bytes (on a character boundary) with "...".  Valid until 4 more calls. */
static const char *qs(struct ctx *c, const char *s, size_t len)
{
        char *out = c->q[c->qnext++ % V2C_ARRAY_SIZE(c->q)];
        size_t max = 60, n = len < max ? len : max;
        if (len > max)
                while (n && ((unsigned char) s[n] & 0xc0) == 0x80)
                        n--;
        for (size_t i = 0; i < n; i++) {
                unsigned char b = (unsigned char) s[i];
                out[i] = b < 0x20 || b == 0x7f ? '?' : (char) b;
        }
        strcpy(out + n, len > n ? "..." : "");
        return out;
}

static const char *qn(struct ctx *c, const struct pnode *n)
{
        return n->kind == PK_SCALAR ? qs(c, n->text, n->len) : "...";
}

static const char *qstr(struct ctx *c, const char *s)
{
        return qs(c, s, strlen(s));
}

/* Visits N's children: false once the budget is spent. */
static bool visit(struct ctx *c, const struct pnode *n)
{
        if (c->stop)
                return false;
        c->visits += n->n + 1;
        if (c->visits > MAX_VISITS) {
                c->stop = true;
                unsigned quiet = c->quiet;
                c->quiet = 0;
                diag(c, n, "too large once aliases and defaults are expanded (more than %d nodes to check)",
                     MAX_VISITS);
                c->quiet = quiet;
                return false;
        }
        return true;
}

static char *xstrdup(struct ctx *c, const char *s)
{
        char *p = strdup(s);
        if (p == NULL)
                c->oom = true;
        return p;
}

static void *xcalloc(struct ctx *c, size_t n, size_t size)
{
        void *p = calloc(n ? n : 1, size);
        if (p == NULL)
                c->oom = true;
        return p;
}

/* ---- "did you mean" ---- */

/* Optimal string alignment distance, ignoring case: insertions, deletions,
 * substitutions and swaps of two neighbours ("wbe" is 1 from "web"). */
static size_t edit_distance(const char *a, const char *b)
{
        size_t la = strlen(a), lb = strlen(b);
        if (la > 64 || lb > 64)
                return SIZE_MAX;
        size_t d[65][65];
        for (size_t i = 0; i <= la; i++)
                d[i][0] = i;
        for (size_t j = 0; j <= lb; j++)
                d[0][j] = j;
        for (size_t i = 1; i <= la; i++)
                for (size_t j = 1; j <= lb; j++) {
                        int x = tolower((unsigned char) a[i - 1]), y = tolower((unsigned char) b[j - 1]);
                        size_t best = d[i - 1][j - 1] + (x != y);
                        if (d[i - 1][j] + 1 < best)
                                best = d[i - 1][j] + 1;
                        if (d[i][j - 1] + 1 < best)
                                best = d[i][j - 1] + 1;
                        if (i > 1 && j > 1 && x == tolower((unsigned char) b[j - 2]) &&
                            tolower((unsigned char) a[i - 2]) == y && d[i - 2][j - 2] + 1 < best)
                                best = d[i - 2][j - 2] + 1;
                        d[i][j] = best;
                }
        return d[la][lb];
}

/* " (did you mean `X`?)" for the candidate closest to WORD, or "". */
static const char *suggest(struct ctx *c, const char *word, const char *const *cands, size_t n)
{
        if (diag_full(c))
                return "";
        size_t wl = strlen(word), best = SIZE_MAX;
        const char *pick = NULL;
        for (size_t i = 0; i < n; i++) {
                size_t d = edit_distance(word, cands[i]);
                if (d < best) {
                        best = d;
                        pick = cands[i];
                }
        }
        size_t limit = wl >= 6 ? 2 : 1;
        if (pick == NULL || best > limit || best >= wl)
                return "";
        char *out = c->q[c->qnext++ % V2C_ARRAY_SIZE(c->q)];
        snprintf(out, sizeof c->q[0], " (did you mean `%s`?)", pick);
        return out;
}

static size_t strv_count(const char *const *v)
{
        size_t n = 0;
        while (v[n])
                n++;
        return n;
}

/* ------------------------------------------------------------------------
 * Scalars
 */

static bool scalar_is(const struct pnode *n, const char *const *words)
{
        if (n->kind != PK_SCALAR || n->quoted)
                return false;
        for (size_t i = 0; words[i]; i++)
                if (strcmp(n->text, words[i]) == 0 && strlen(words[i]) == n->len)
                        return true;
        return false;
}

static bool is_null(const struct pnode *n)
{
        static const char *const words[] = { "", "~", "null", "Null", "NULL", NULL };
        return scalar_is(n, words);
}

static bool is_true(const struct pnode *n)
{
        static const char *const words[] = { "true", "True", "TRUE", NULL };
        return scalar_is(n, words);
}

static bool is_false(const struct pnode *n)
{
        static const char *const words[] = { "false", "False", "FALSE", NULL };
        return scalar_is(n, words);
}

/* A plain decimal number: [-+]?digits[.digits][e[-+]digits]. */
static bool is_number_text(const char *s, size_t len)
{
        size_t i = 0, d = 0;
        if (i < len && (s[i] == '-' || s[i] == '+'))
                i++;
        while (i < len && isdigit((unsigned char) s[i]))
                i++, d++;
        if (i < len && s[i] == '.') {
                i++;
                while (i < len && isdigit((unsigned char) s[i]))
                        i++, d++;
        }
        if (d == 0)
                return false;
        if (i < len && (s[i] == 'e' || s[i] == 'E')) {
                i++;
                if (i < len && (s[i] == '-' || s[i] == '+'))
                        i++;
                size_t e = 0;
                while (i < len && isdigit((unsigned char) s[i]))
                        i++, e++;
                if (e == 0)
                        return false;
        }
        return i == len;
}

static const char *describe(const struct pnode *n)
{
        if (n->kind == PK_MAP)
                return "a mapping";
        if (n->kind == PK_SEQ)
                return "a list";
        if (n->quoted)
                return "a string";
        if (is_null(n))
                return "null";
        if (is_true(n) || is_false(n))
                return "a boolean";
        if (is_number_text(n->text, n->len))
                return "a number";
        return "a string";
}

static bool expect(struct ctx *c, const struct pnode *n, enum pkind kind, const char *what)
{
        if (n->kind == kind)
                return true;
        diag(c, n, "%s must be %s, not %s", what, kind == PK_MAP ? "a mapping" : "a list", describe(n));
        return false;
}

/* A string value (any non-null scalar, as written): NUL-free and bounded.
 * *out is new; false (and a problem) otherwise. */
static bool get_string(struct ctx *c, const struct pnode *n, const char *what, char **out)
{
        if (n->kind != PK_SCALAR || is_null(n)) {
                diag(c, n, "%s must be a string, not %s", what, describe(n));
                return false;
        }
        if (memchr(n->text, '\0', n->len)) {
                diag(c, n, "%s holds a NUL byte", what);
                return false;
        }
        if (n->len > V2C_PLAYBOOK_MAX_STRING) {
                diag(c, n, "%s is longer than %d bytes", what, V2C_PLAYBOOK_MAX_STRING);
                return false;
        }
        if (n->len == 0) {
                diag(c, n, "%s is empty", what);
                return false;
        }
        *out = xstrdup(c, n->text);
        return *out != NULL;
}

static bool get_uint(struct ctx *c, const struct pnode *n, const char *what, unsigned min, unsigned max,
                     unsigned *out)
{
        if (n->kind != PK_SCALAR || n->quoted || !is_number_text(n->text, n->len)) {
                diag(c, n, "%s must be a number, not %s", what, describe(n));
                return false;
        }
        const char *s = n->text;
        if (*s == '+')
                s++;
        bool digits = *s != '\0' && strspn(s, "0123456789") == strlen(s);
        if (!digits || *s == '-') {
                diag(c, n, "%s must be a whole number from %u to %u, not %s", what, min, max, qn(c, n));
                return false;
        }
        unsigned long long v = 0;
        for (; *s; s++) {
                v = v * 10 + (unsigned) (*s - '0');
                if (v > max)
                        break;
        }
        if (v < min || v > max) {
                diag(c, n, "%s must be from %u to %u, not %s", what, min, max, qn(c, n));
                return false;
        }
        *out = (unsigned) v;
        return true;
}

/* "1h30m": whole numbers with units d, h, m, s, ms, largest first, each
 * once.  Milliseconds in *ms. */
static bool parse_duration(const char *s, uint64_t *ms)
{
        static const struct {
                const char *unit;
                uint64_t ms;
        } units[] = { { "d", MS_DAY }, { "h", MS_HOUR }, { "ms", 1 }, { "m", MS_MINUTE }, { "s", MS_SECOND } };
        static const unsigned rank[] = { 0, 1, 4, 2, 3 };      /* order of units[] in a duration */
        uint64_t total = 0;
        int last = -1;
        if (*s == '\0')
                return false;
        while (*s) {
                uint64_t v = 0;
                size_t d = 0;
                while (isdigit((unsigned char) *s)) {
                        if (++d > 9)
                                return false;
                        v = v * 10 + (uint64_t) (*s++ - '0');
                }
                if (d == 0)
                        return false;
                size_t u = 0;
                while (u < V2C_ARRAY_SIZE(units) && strncmp(s, units[u].unit, strlen(units[u].unit)) != 0)
                        u++;
                if (u == V2C_ARRAY_SIZE(units) || (int) rank[u] <= last)
                        return false;
                last = (int) rank[u];
                s += strlen(units[u].unit);
                total += v * units[u].ms;
        }
        *ms = total;
        return true;
}

/* The canonical form of a duration: "1d2h3m4s5ms", "0s". */
static void format_duration(uint64_t ms, char *buf, size_t size)
{
        static const struct {
                const char *unit;
                uint64_t ms;
        } units[] = { { "d", MS_DAY }, { "h", MS_HOUR }, { "m", MS_MINUTE }, { "s", MS_SECOND }, { "ms", 1 } };
        size_t w = 0;
        buf[0] = '\0';
        if (ms == 0) {
                snprintf(buf, size, "0s");
                return;
        }
        for (size_t i = 0; i < V2C_ARRAY_SIZE(units) && w < size; i++) {
                uint64_t v = ms / units[i].ms;
                ms %= units[i].ms;
                if (v)
                        w += (size_t) snprintf(buf + w, size - w, "%llu%s", (unsigned long long) v, units[i].unit);
        }
}

static bool get_duration(struct ctx *c, const struct pnode *n, const char *what, uint64_t min, uint64_t max,
                         uint64_t *out)
{
        if (n->kind != PK_SCALAR || is_null(n) || is_true(n) || is_false(n)) {
                diag(c, n, "%s must be a duration (30s, 2m, 1h30m) or a number of seconds, not %s", what,
                     describe(n));
                return false;
        }
        uint64_t ms;
        bool ok;
        if (n->len > 0 && strspn(n->text, "0123456789") == n->len) {
                ok = n->len <= 9;
                ms = ok ? strtoull(n->text, NULL, 10) * MS_SECOND : 0;
        } else {
                ok = strlen(n->text) == n->len && parse_duration(n->text, &ms);
        }
        if (!ok) {
                diag(c, n, "%s: `%s` is not a duration (write 30s, 2m, 1h30m, 500ms, or a number of seconds)", what,
                     qn(c, n));
                return false;
        }
        if (ms < min || ms > max) {
                char a[32], b[32];
                format_duration(min, a, sizeof a);
                format_duration(max, b, sizeof b);
                diag(c, n, "%s must be from %s to %s, not %s", what, a, b, qn(c, n));
                return false;
        }
        *out = ms;
        return true;
}

/* One of NAMES (NULL-terminated); *out its index. */
static bool get_enum(struct ctx *c, const struct pnode *n, const char *what, const char *const *names, int *out)
{
        _cleanup_free_ char *s = NULL;
        if (!get_string(c, n, what, &s))
                return false;
        for (int i = 0; names[i]; i++)
                if (strcmp(s, names[i]) == 0) {
                        *out = i;
                        return true;
                }
        char list[256] = "";
        size_t w = 0;
        for (size_t i = 0; names[i] && w < sizeof list; i++)
                w += (size_t) snprintf(list + w, sizeof list - w, "%s`%s`", i == 0 ? "" : names[i + 1] ? ", " : " or ",
                                       names[i]);
        diag(c, n, "%s must be %s, not `%s`%s", what, list, qn(c, n), suggest(c, s, names, strv_count(names)));
        return false;
}

/* ---- value rules ---- */

static bool name_ok(const char *s, size_t max)
{
        size_t n = strlen(s);
        if (n == 0 || n > max || !isalnum((unsigned char) s[0]))
                return false;
        for (size_t i = 0; i < n; i++)
                if (!isalnum((unsigned char) s[i]) && !strchr("._-", s[i]))
                        return false;
        return true;
}

static bool get_name(struct ctx *c, const struct pnode *n, const char *what, char **out)
{
        _cleanup_free_ char *s = NULL;
        if (!get_string(c, n, what, &s))
                return false;
        if (!name_ok(s, V2C_PLAYBOOK_MAX_NAME)) {
                diag(c, n,
                     "%s: `%s` is not a valid name (letters, digits, `.`, `_`, `-`, starting with a letter or "
                     "digit, at most %d)",
                     what, qn(c, n), V2C_PLAYBOOK_MAX_NAME);
                return false;
        }
        *out = TAKE_PTR(s);
        return true;
}

static bool get_socket(struct ctx *c, const struct pnode *n, const char *what, char **out)
{
        _cleanup_free_ char *s = NULL;
        if (!get_string(c, n, what, &s))
                return false;
        if (s[0] != '/') {
                diag(c, n, "%s: `%s` is not an absolute path", what, qn(c, n));
                return false;
        }
        if (strlen(s) > MAX_SUN_PATH) {
                diag(c, n, "%s: a unix socket path has at most %d bytes", what, MAX_SUN_PATH);
                return false;
        }
        *out = TAKE_PTR(s);
        return true;
}

static bool printable(const char *s)
{
        for (; *s; s++)
                if ((unsigned char) *s <= ' ' || *s == 0x7f)
                        return false;
        return true;
}

static bool get_url(struct ctx *c, const struct pnode *n, const char *what, char **out)
{
        _cleanup_free_ char *s = NULL;
        if (!get_string(c, n, what, &s))
                return false;
        const char *rest = strncmp(s, "http://", 7) == 0 ? s + 7 : strncmp(s, "https://", 8) == 0 ? s + 8 : NULL;
        if (rest == NULL || *rest == '\0' || *rest == '/' || !printable(s) || strlen(s) > MAX_URL) {
                diag(c, n, "%s: `%s` is not an http:// or https:// URL", what, qn(c, n));
                return false;
        }
        *out = TAKE_PTR(s);
        return true;
}

static bool parse_port(const char *s, size_t len, unsigned *port)
{
        if (len == 0 || len > 5)
                return false;
        unsigned v = 0;
        for (size_t i = 0; i < len; i++) {
                if (!isdigit((unsigned char) s[i]))
                        return false;
                v = v * 10 + (unsigned) (s[i] - '0');
        }
        if (v < 1 || v > 65535)
                return false;
        *port = v;
        return true;
}

/* A DNS name (RFC 1123 labels) or an IPv4 address. */
static bool host_ok(const char *h, size_t len)
{
        if (len == 0 || len > 253)
                return false;
        size_t label = 0;
        for (size_t i = 0; i <= len; i++) {
                if (i == len || h[i] == '.') {
                        if (label == 0 || label > 63 || h[i - 1] == '-')
                                return false;
                        label = 0;
                        continue;
                }
                if (!isalnum((unsigned char) h[i]) && h[i] != '-')
                        return false;
                if (label == 0 && h[i] == '-')
                        return false;
                label++;
        }
        if (strspn(h, "0123456789.") == len) {
                char ip[16];
                struct in_addr a;
                if (len >= sizeof ip)
                        return false;
                memcpy(ip, h, len);
                ip[len] = '\0';
                return inet_pton(AF_INET, ip, &a) == 1;
        }
        return true;
}

/* "HOST:PORT", "[IPV6]:PORT". */
static bool parse_endpoint(const char *s, char **host, unsigned *port)
{
        const char *colon;
        const char *h;
        size_t hl;
        if (s[0] == '[') {
                const char *close = strchr(s, ']');
                if (close == NULL || close[1] != ':')
                        return false;
                h = s + 1;
                hl = (size_t) (close - h);
                colon = close + 1;
                char ip[INET6_ADDRSTRLEN + 1];
                struct in6_addr a;
                if (hl == 0 || hl >= sizeof ip)
                        return false;
                memcpy(ip, h, hl);
                ip[hl] = '\0';
                if (inet_pton(AF_INET6, ip, &a) != 1)
                        return false;
        } else {
                colon = strrchr(s, ':');
                if (colon == NULL)
                        return false;
                h = s;
                hl = (size_t) (colon - s);
                if (!host_ok(h, hl))
                        return false;
        }
        if (!parse_port(colon + 1, strlen(colon + 1), port))
                return false;
        *host = strndup(h, hl);
        return true;
}

/* common/ref.h's problems with a pinned reference, worded to say which
 * part is wrong.  NULL when IMAGE is fine. */
static const char *image_problem(const char *image)
{
        static const char want[] = "give HOST[:PORT]/PATH@sha256:<64 lowercase hex digits>";
        static char msg[160];
        struct v2c_ref_spans sp;
        switch (v2c_ref_check(image, V2C_REF_PINNED | V2C_REF_BYTE_IN_PART, &sp)) {
        case V2C_REF_OK:
                return NULL;
        case V2C_REF_EMPTY:
        case V2C_REF_NOT_PINNED:
                snprintf(msg, sizeof msg, sp.tag_off ? "is a tag, and a tag is refused: %s"
                                                     : "has no digest (a tag is refused): %s", want);
                return msg;
        case V2C_REF_TOO_LONG:
        case V2C_REF_NAME_TOO_LONG:
                return "is too long";
        case V2C_REF_DIGEST_NOT_SHA256:
                return "has a digest that is not sha256:";
        case V2C_REF_DIGEST_HEX:
                return "has a digest that is not sha256: and 64 lowercase hex digits";
        case V2C_REF_NO_HOST:
        case V2C_REF_NOT_A_HOST:
        case V2C_REF_BAD_HOST:
                return "names no registry: give HOST[:PORT]/PATH@sha256:...";
        case V2C_REF_BAD_TAG:
        case V2C_REF_HAS_TAG:
                snprintf(msg, sizeof msg, "has a tag, and a tag is refused: pin it by digest alone (%s)", want + 5);
                return msg;
        case V2C_REF_BAD_BYTE:  /* not with V2C_REF_BYTE_IN_PART */
        case V2C_REF_NO_REPO:
        case V2C_REF_REPO_UPPER:
        case V2C_REF_BAD_REPO:
        case V2C_REF_REPO_SLASH:
                break;
        }
        return "is not a valid repository name (lowercase letters, digits, `.`, `_`, `-`)";
}

/* "result OP NUMBER". */
static bool parse_condition(const char *s, struct v2c_pb_condition *out)
{
        static const struct {
                const char *text;
                enum v2c_pb_op op;
        } ops[] = { { "<=", V2C_PB_LE }, { ">=", V2C_PB_GE }, { "==", V2C_PB_EQ }, { "!=", V2C_PB_NE },
                    { "<", V2C_PB_LT },  { ">", V2C_PB_GT } };
        while (*s == ' ')
                s++;
        if (strncmp(s, "result", 6) != 0)
                return false;
        s += 6;
        while (*s == ' ')
                s++;
        size_t i = 0;
        while (i < V2C_ARRAY_SIZE(ops) && strncmp(s, ops[i].text, strlen(ops[i].text)) != 0)
                i++;
        if (i == V2C_ARRAY_SIZE(ops))
                return false;
        s += strlen(ops[i].text);
        while (*s == ' ')
                s++;
        size_t n = strcspn(s, " ");
        if (n == 0 || n > 64 || !is_number_text(s, n) || s[strspn(s + n, " ") + n] != '\0')
                return false;
        char num[65];
        memcpy(num, s, n);
        num[n] = '\0';
        double v = strtod(num, NULL);
        if (!isfinite(v))
                return false;
        *out = (struct v2c_pb_condition) { true, ops[i].op, v };
        return true;
}

/* V as written by a person: "250", "0.01"; the shortest "%g" that reads
 * back as V when it is not a whole number. */
static void format_number(double v, char *buf, size_t size)
{
        if (v == floor(v) && fabs(v) < 1e15) {
                snprintf(buf, size, "%.0f", v);
                return;
        }
        for (int prec = 1; prec <= 17; prec++) {
                snprintf(buf, size, "%.*g", prec, v);
                if (strtod(buf, NULL) == v)
                        return;
        }
}

/* ------------------------------------------------------------------------
 * Mappings
 */

/* Checks that N is a mapping whose keys are all among KEYS (NULL-
 * terminated, at most 16), each once; vals[i] gets the value of KEYS[i]
 * or NULL.  With EXTENSIONS, keys starting with "x-" are allowed and
 * ignored (a place for anchors, as in compose files).  False when N is
 * not a mapping. */
static bool fields_ext(struct ctx *c, const struct pnode *n, const char *what, const char *const *keys,
                       const struct pnode **vals, bool extensions)
{
        size_t nk = strv_count(keys);
        const struct pnode *key_nodes[16] = { 0 };
        for (size_t i = 0; i < nk; i++)
                vals[i] = NULL;
        if (!expect(c, n, PK_MAP, what) || !visit(c, n))
                return false;
        for (size_t i = 0; i + 1 < n->n; i += 2) {
                const struct pnode *k = n->kids[i];
                if (k->kind != PK_SCALAR) {
                        diag(c, k, "keys must be strings, not %s", describe(k));
                        continue;
                }
                size_t idx = 0;
                while (idx < nk && !(strlen(keys[idx]) == k->len && memcmp(keys[idx], k->text, k->len) == 0))
                        idx++;
                if (idx == nk && extensions && k->len > 2 && memcmp(k->text, "x-", 2) == 0)
                        continue;
                if (idx == nk) {
                        if (k->len == 2 && memcmp(k->text, "<<", 2) == 0 && !k->quoted)
                                diag(c, k, "merge keys (`<<`) are not supported: use an alias (`*name`) for the "
                                           "whole value");
                        else
                                diag(c, k, "unknown key `%s`%s", qn(c, k),
                                     strlen(k->text) == k->len ? suggest(c, k->text, keys, nk) : "");
                        continue;
                }
                if (vals[idx]) {
                        diag(c, k, "duplicate key `%s` (first at %u:%u)", keys[idx], key_nodes[idx]->line,
                             key_nodes[idx]->col);
                        continue;
                }
                vals[idx] = n->kids[i + 1];
                key_nodes[idx] = k;
        }
        return true;
}

static bool fields(struct ctx *c, const struct pnode *n, const char *what, const char *const *keys,
                   const struct pnode **vals)
{
        return fields_ext(c, n, what, keys, vals, false);
}

static void missing(struct ctx *c, const struct pnode *map, const char *key, const char *where)
{
        diag(c, map, "missing `%s` in %s", key, where);
}

/* Walks a mapping with keys of the user's choosing (names of analyses,
 * environment variables): each key must be a unique non-empty string.
 * CB gets the key (a C string) and the value. */
static void each_entry(struct ctx *c, const struct pnode *n, const char *what, size_t max,
                       void (*cb)(struct ctx *c, const struct pnode *key, const struct pnode *val, void *data),
                       void *data)
{
        if (!expect(c, n, PK_MAP, what) || !visit(c, n))
                return;
        if (n->n / 2 > max) {
                diag(c, n, "%s has more than %zu entries", what, max);
                return;
        }
        for (size_t i = 0; i + 1 < n->n && !c->stop; i += 2) {
                const struct pnode *k = n->kids[i];
                if (k->kind != PK_SCALAR || is_null(k) || strlen(k->text) != k->len) {
                        diag(c, k, "keys of %s must be strings, not %s", what, describe(k));
                        continue;
                }
                bool dup = false;
                for (size_t j = 0; j < i && !dup; j += 2) {
                        const struct pnode *o = n->kids[j];
                        if (o->kind == PK_SCALAR && o->len == k->len && memcmp(o->text, k->text, k->len) == 0) {
                                diag(c, k, "duplicate key `%s` (first at %u:%u)", qn(c, k), o->line, o->col);
                                dup = true;
                        }
                }
                if (!dup)
                        cb(c, k, n->kids[i + 1], data);
        }
}

/* ------------------------------------------------------------------------
 * Analyses and gates
 */

static const char *const haproxy_metrics[] = { "http_5xx_rate", "errors_rate", "response_time_ms", NULL };
static const char *const op_names[] = { "<", "<=", ">", ">=", "==", "!=" };

static void parse_provider(struct ctx *c, const struct pnode *n, struct v2c_pb_metric *m)
{
        static const char *const keys[] = { "haproxy", "http", "prometheus", NULL };
        const struct pnode *v[3];
        if (!fields(c, n, "`provider`", keys, v))
                return;
        int count = !!v[0] + !!v[1] + !!v[2];
        if (count != 1) {
                diag(c, n, "`provider` must hold exactly one of `haproxy`, `http` or `prometheus`");
                return;
        }
        if (v[0]) {
                static const char *const hk[] = { "metric", NULL };
                const struct pnode *hv[1];
                m->provider = V2C_PB_PROVIDER_HAPROXY;
                if (!fields(c, v[0], "`haproxy`", hk, hv))
                        return;
                int idx;
                if (hv[0] == NULL)
                        missing(c, v[0], "metric", "`haproxy`");
                else if (get_enum(c, hv[0], "`metric`", haproxy_metrics, &idx))
                        m->haproxy_metric = (enum v2c_pb_haproxy_metric) idx;
        } else if (v[1]) {
                static const char *const hk[] = { "url", "expect_status", "timeout", NULL };
                const struct pnode *hv[3];
                m->provider = V2C_PB_PROVIDER_HTTP;
                if (!fields(c, v[1], "`http`", hk, hv))
                        return;
                if (hv[0] == NULL)
                        missing(c, v[1], "url", "`http`");
                else
                        get_url(c, hv[0], "`url`", &m->url);
                if (hv[1])
                        get_uint(c, hv[1], "`expect_status`", 100, 599, &m->expect_status);
                if (hv[2])
                        get_duration(c, hv[2], "`timeout`", 100, 5 * MS_MINUTE, &m->timeout_ms);
        } else {
                static const char *const pk[] = { "address", "query", "timeout", NULL };
                const struct pnode *pv[3];
                m->provider = V2C_PB_PROVIDER_PROMETHEUS;
                if (!fields(c, v[2], "`prometheus`", pk, pv))
                        return;
                if (pv[0] == NULL)
                        missing(c, v[2], "address", "`prometheus`");
                else
                        get_url(c, pv[0], "`address`", &m->address);
                if (pv[1] == NULL)
                        missing(c, v[2], "query", "`prometheus`");
                else
                        get_string(c, pv[1], "`query`", &m->query);
                if (pv[2])
                        get_duration(c, pv[2], "`timeout`", 100, 5 * MS_MINUTE, &m->timeout_ms);
        }
}

static void get_condition(struct ctx *c, const struct pnode *n, const char *what, struct v2c_pb_condition *out)
{
        _cleanup_free_ char *s = NULL;
        if (!get_string(c, n, what, &s))
                return;
        if (!parse_condition(s, out))
                diag(c, n, "%s: `%s` is not a condition (write `result OP NUMBER`, OP one of < <= > >= == !=)",
                     what, qn(c, n));
}

static void parse_metric(struct ctx *c, const struct pnode *n, struct v2c_pb_metric *m)
{
        static const char *const keys[] = { "name", "provider", "success_condition", "failure_condition",
                                            "interval", "count", "failure_limit", NULL };
        const struct pnode *v[7];
        m->expect_status = 200;
        m->timeout_ms = 5 * MS_SECOND;
        m->interval_ms = 10 * MS_SECOND;
        m->count = 1;
        if (!fields(c, n, "a metric", keys, v))
                return;
        if (v[0] == NULL)
                missing(c, n, "name", "a metric");
        else
                get_name(c, v[0], "`name`", &m->name);
        if (v[1] == NULL)
                missing(c, n, "provider", "a metric");
        else
                parse_provider(c, v[1], m);
        if (v[2])
                get_condition(c, v[2], "`success_condition`", &m->success);
        if (v[3])
                get_condition(c, v[3], "`failure_condition`", &m->failure);
        if (v[2] == NULL && v[3] == NULL)
                diag(c, n, "a metric needs `success_condition`, `failure_condition` or both");
        if (v[4])
                get_duration(c, v[4], "`interval`", MS_SECOND, MS_HOUR, &m->interval_ms);
        bool count_ok = true, limit_ok = true;
        if (v[5])
                count_ok = get_uint(c, v[5], "`count`", 1, 1000, &m->count);
        if (v[6])
                limit_ok = get_uint(c, v[6], "`failure_limit`", 0, 999, &m->failure_limit);
        if (count_ok && limit_ok && m->failure_limit >= m->count)
                diag(c, v[6] ? v[6] : n, "`failure_limit` (%u) must be less than `count` (%u), or the metric "
                     "could never fail", m->failure_limit, m->count);
        if (m->provider != V2C_PB_PROVIDER_HAPROXY && m->count > 1 && m->timeout_ms > m->interval_ms && v[1])
                diag(c, v[1], "the provider's `timeout` is longer than the metric's `interval`");
}

static void parse_analysis(struct ctx *c, const struct pnode *key, const struct pnode *n, void *data)
{
        (void) data;
        struct v2c_playbook *pb = c->pb;
        struct v2c_pb_analysis *a = &pb->analyses[pb->n_analyses++];
        static const char *const keys[] = { "metrics", NULL };
        const struct pnode *v[1];
        if (!name_ok(key->text, V2C_PLAYBOOK_MAX_NAME))
                diag(c, key, "`%s` is not a valid analysis name (letters, digits, `.`, `_`, `-`, at most %d)",
                     qn(c, key), V2C_PLAYBOOK_MAX_NAME);
        a->name = xstrdup(c, key->text);
        if (!fields(c, n, "an analysis", keys, v))
                return;
        if (v[0] == NULL) {
                missing(c, n, "metrics", "an analysis");
                return;
        }
        if (!expect(c, v[0], PK_SEQ, "`metrics`") || !visit(c, v[0]))
                return;
        if (v[0]->n == 0 || v[0]->n > V2C_PLAYBOOK_MAX_METRICS) {
                diag(c, v[0], "`metrics` must list 1 to %d metrics", V2C_PLAYBOOK_MAX_METRICS);
                return;
        }
        a->metrics = xcalloc(c, v[0]->n, sizeof *a->metrics);
        if (a->metrics == NULL)
                return;
        for (size_t i = 0; i < v[0]->n && !c->stop; i++) {
                struct v2c_pb_metric *m = &a->metrics[a->n_metrics++];
                parse_metric(c, v[0]->kids[i], m);
                for (size_t j = 0; j < i && m->name; j++)
                        if (a->metrics[j].name && strcmp(a->metrics[j].name, m->name) == 0)
                                diag(c, v[0]->kids[i], "duplicate metric name `%s`", qstr(c, m->name));
        }
}

static bool header_name_ok(const char *s)
{
        return *s && strspn(s, "!#$%&'*+.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-") ==
                             strlen(s);
}

static void parse_header(struct ctx *c, const struct pnode *key, const struct pnode *n, void *data)
{
        struct v2c_pb_gate *g = data;
        if (!header_name_ok(key->text)) {
                diag(c, key, "`%s` is not an HTTP header name", qn(c, key));
                return;
        }
        _cleanup_free_ char *value = NULL;
        if (!get_string(c, n, "a header value", &value))
                return;
        if (strpbrk(value, "\r\n")) {
                diag(c, n, "a header value must be one line");
                return;
        }
        struct v2c_pb_kv *kv = &g->headers[g->n_headers];
        kv->key = xstrdup(c, key->text);
        kv->value = TAKE_PTR(value);
        g->n_headers++;
}

static void parse_gate(struct ctx *c, const struct pnode *key, const struct pnode *n, void *data)
{
        (void) data;
        struct v2c_playbook *pb = c->pb;
        struct v2c_pb_gate *g = &pb->gates[pb->n_gates++];
        static const char *const keys[] = { "webhook", "approval", NULL };
        const struct pnode *v[2];
        if (!name_ok(key->text, V2C_PLAYBOOK_MAX_NAME))
                diag(c, key, "`%s` is not a valid gate name (letters, digits, `.`, `_`, `-`, at most %d)",
                     qn(c, key), V2C_PLAYBOOK_MAX_NAME);
        g->name = xstrdup(c, key->text);
        g->timeout_ms = 10 * MS_SECOND;
        if (!fields(c, n, "a gate", keys, v))
                return;
        if (!!v[0] + !!v[1] != 1) {
                diag(c, n, "a gate must hold exactly one of `webhook` or `approval`");
                return;
        }
        if (v[0]) {
                static const char *const wk[] = { "url", "timeout", "headers", NULL };
                const struct pnode *wv[3];
                g->kind = V2C_PB_GATE_WEBHOOK;
                if (!fields(c, v[0], "`webhook`", wk, wv))
                        return;
                if (wv[0] == NULL)
                        missing(c, v[0], "url", "`webhook`");
                else
                        get_url(c, wv[0], "`url`", &g->url);
                if (wv[1])
                        get_duration(c, wv[1], "`timeout`", 100, 5 * MS_MINUTE, &g->timeout_ms);
                if (wv[2] && wv[2]->kind == PK_MAP && wv[2]->n / 2 <= V2C_PLAYBOOK_MAX_LIST) {
                        g->headers = xcalloc(c, wv[2]->n / 2, sizeof *g->headers);
                        if (g->headers == NULL)
                                return;
                }
                if (wv[2])
                        each_entry(c, wv[2], "`headers`", V2C_PLAYBOOK_MAX_LIST, parse_header, g);
        } else {
                static const char *const ak[] = { "message", NULL };
                const struct pnode *av[1];
                g->kind = V2C_PB_GATE_APPROVAL;
                if (is_null(v[1]) || !fields(c, v[1], "`approval`", ak, av))
                        return;
                if (av[0])
                        get_string(c, av[0], "`message`", &g->message);
        }
}

/* ------------------------------------------------------------------------
 * Strategies
 */

enum ref_kind { REF_ANALYSIS, REF_GATE };

static bool analysis_reads_haproxy(const struct v2c_pb_analysis *a)
{
        for (size_t i = 0; i < a->n_metrics; i++)
                if (a->metrics[i].provider == V2C_PB_PROVIDER_HAPROXY)
                        return true;
        return false;
}

/* One name or a list of names of analyses or gates, resolved.  *out is a
 * new array of borrowed pointers.  NO_TRAFFIC, when set, says why HAProxy
 * counters would measure nothing there. */
static void get_refs(struct ctx *c, const struct pnode *n, const char *what, enum ref_kind kind, bool no_empty,
                     const char *no_traffic, const void ***out, size_t *n_out)
{
        const struct v2c_playbook *pb = c->pb;
        const struct pnode *const *items = &n;
        size_t count = 1;
        if (n->kind == PK_SEQ) {
                if (!visit(c, n))
                        return;
                items = (const struct pnode *const *) n->kids;
                count = n->n;
                /* An empty list means none, except in a step, which would do nothing. */
                if ((count == 0 && no_empty) || count > V2C_PLAYBOOK_MAX_LIST) {
                        diag(c, n, "%s must name 1 to %d %s", what, V2C_PLAYBOOK_MAX_LIST,
                             kind == REF_ANALYSIS ? "analyses" : "gates");
                        return;
                }
        }
        const void **refs = xcalloc(c, count, sizeof *refs);
        if (refs == NULL)
                return;
        size_t got = 0;
        const char *names[V2C_PLAYBOOK_MAX_ANALYSES > V2C_PLAYBOOK_MAX_GATES ? V2C_PLAYBOOK_MAX_ANALYSES
                                                                              : V2C_PLAYBOOK_MAX_GATES];
        size_t nn = kind == REF_ANALYSIS ? pb->n_analyses : pb->n_gates;
        for (size_t i = 0; i < nn; i++) {
                names[i] = kind == REF_ANALYSIS ? pb->analyses[i].name : pb->gates[i].name;
                if (names[i] == NULL)
                        names[i] = "";
        }
        for (size_t i = 0; i < count; i++) {
                _cleanup_free_ char *name = NULL;
                if (!get_string(c, items[i], what, &name))
                        continue;
                size_t k = 0;
                while (k < nn && strcmp(names[k], name) != 0)
                        k++;
                if (k == nn) {
                        diag(c, items[i], "%s: unknown %s `%s`%s", what, kind == REF_ANALYSIS ? "analysis" : "gate",
                             qstr(c, name),
                             nn ? suggest(c, name, names, nn)
                                : kind == REF_ANALYSIS ? " (the playbook has no `analyses`)"
                                                       : " (the playbook has no `gates`)");
                        continue;
                }
                const void *ref = kind == REF_ANALYSIS ? (const void *) &pb->analyses[k] : (const void *) &pb->gates[k];
                bool dup = false;
                for (size_t j = 0; j < got; j++)
                        dup |= refs[j] == ref;
                if (dup) {
                        diag(c, items[i], "%s: `%s` is named twice", what, qstr(c, name));
                        continue;
                }
                if (no_traffic && kind == REF_ANALYSIS && analysis_reads_haproxy(ref))
                        diag(c, items[i],
                             "%s: analysis `%s` reads HAProxy counters, but %s; use an http or prometheus metric "
                             "there",
                             what, qstr(c, name), no_traffic);
                refs[got++] = ref;
        }
        *out = refs;
        *n_out = got;
}

#define GET_REFS(c, n, what, kind, why, arr, cnt)                                                         \
        do {                                                                                               \
                const void **refs_ = NULL;                                                                 \
                get_refs((c), (n), (what), (kind), false, (why), &refs_, (cnt));                           \
                (arr) = (void *) refs_;                                                                    \
        } while (0)

static void parse_pause(struct ctx *c, const struct pnode *n, struct v2c_pb_step *step)
{
        step->kind = V2C_PB_STEP_PAUSE;
        step->pause_ms = 0;
        if (n->kind == PK_SCALAR) {
                if (!is_null(n))        /* `- pause:` waits for approval, like `pause: {}` */
                        get_duration(c, n, "`pause`", MS_SECOND, 30 * MS_DAY, &step->pause_ms);
                return;
        }
        static const char *const keys[] = { "duration", "until", NULL };
        const struct pnode *v[2];
        if (!fields(c, n, "`pause`", keys, v))
                return;
        if (v[0] && v[1]) {
                diag(c, n, "`pause` takes `duration` or `until`, not both");
                return;
        }
        static const char *const until[] = { "approved", NULL };
        int idx;
        if (v[0])
                get_duration(c, v[0], "`duration`", MS_SECOND, 30 * MS_DAY, &step->pause_ms);
        else if (v[1])
                get_enum(c, v[1], "`until`", until, &idx);
}

struct canary_state {
        unsigned weight;                /* the highest one set */
        const struct pnode *weight_node;
        unsigned last;                  /* the last one set */
        const struct pnode *last_node;
        bool unsure;                    /* a step could not be read: skip the checks over all steps */
};

static void parse_step(struct ctx *c, const struct pnode *n, struct v2c_pb_step *step, struct canary_state *st)
{
        static const char *const keys[] = { "setWeight", "pause", "analysis", "gate", NULL };
        const struct pnode *v[4];
        if (!fields(c, n, "a step", keys, v)) {
                st->unsure = true;
                return;
        }
        int count = !!v[0] + !!v[1] + !!v[2] + !!v[3];
        if (count != 1) {
                if (count == 0 && n->n == 0)
                        diag(c, n, "a step needs one of `setWeight`, `pause`, `analysis` or `gate`");
                else if (count > 1)
                        diag(c, n, "a step holds exactly one of `setWeight`, `pause`, `analysis` or `gate`");
                step->kind = V2C_PB_STEP_PAUSE;
                st->unsure = true;
                return;
        }
        if (v[0]) {
                step->kind = V2C_PB_STEP_SET_WEIGHT;
                unsigned w;
                if (!get_uint(c, v[0], "`setWeight`", 0, 100, &w)) {
                        st->unsure = true;
                        return;
                }
                step->weight = w;
                st->last = w;
                st->last_node = v[0];
                if (w <= st->weight) {
                        if (st->weight_node)
                                diag(c, v[0], "`setWeight` %u does not increase the weight (the step at %u:%u set %u)",
                                     w, st->weight_node->line, st->weight_node->col, st->weight);
                        else
                                diag(c, v[0], "`setWeight` 0 sends nothing to the container (it starts at 0)");
                }
                if (w > st->weight || st->weight_node == NULL) {
                        st->weight = w > st->weight ? w : st->weight;
                        st->weight_node = v[0];
                }
        } else if (v[1]) {
                parse_pause(c, v[1], step);
        } else if (v[2]) {
                step->kind = V2C_PB_STEP_ANALYSIS;
                const void **refs = NULL;
                get_refs(c, v[2], "`analysis`", REF_ANALYSIS, true,
                         st->weight_node || st->unsure ? NULL
                                                       : "no traffic reaches the container before the first `setWeight`",
                         &refs, &step->n_analyses);
                step->analyses = (void *) refs;
        } else {
                step->kind = V2C_PB_STEP_GATE;
                if (v[3]->kind == PK_SEQ) {
                        diag(c, v[3], "`gate` names one gate, not a list (use one step per gate)");
                        return;
                }
                const struct v2c_pb_gate **g = NULL;
                size_t ng = 0;
                GET_REFS(c, v[3], "`gate`", REF_GATE, NULL, g, &ng);
                if (ng == 1)
                        step->gate = g[0];
                free(g);
        }
}

static void parse_canary(struct ctx *c, const struct pnode *n, struct v2c_pb_strategy *s)
{
        static const char *const keys[] = { "steps", NULL };
        const struct pnode *v[1];
        s->kind = V2C_PB_CANARY;
        if (!fields(c, n, "`canary`", keys, v))
                return;
        if (v[0] == NULL) {
                missing(c, n, "steps", "`canary`");
                return;
        }
        if (!expect(c, v[0], PK_SEQ, "`steps`") || !visit(c, v[0]))
                return;
        if (v[0]->n > V2C_PLAYBOOK_MAX_STEPS) {
                diag(c, v[0], "more than %d steps", V2C_PLAYBOOK_MAX_STEPS);
                return;
        }
        s->steps = xcalloc(c, v[0]->n, sizeof *s->steps);
        if (s->steps == NULL)
                return;
        struct canary_state st = { 0 };
        for (size_t i = 0; i < v[0]->n && !c->stop; i++)
                parse_step(c, v[0]->kids[i], &s->steps[s->n_steps++], &st);
        if (st.unsure)
                return;
        if (st.last_node == NULL)
                diag(c, v[0], "a canary needs `setWeight` steps that end at 100");
        else if (st.last != 100)
                diag(c, st.last_node, "the last `setWeight` is %u: a canary must end at `setWeight` 100", st.last);
}

static void parse_blue_green(struct ctx *c, const struct pnode *n, struct v2c_pb_strategy *s)
{
        static const char *const keys[] = { "pre_promotion_analysis", "gates", "promotion", "bake_time",
                                            "post_promotion_analysis", NULL };
        static const char *const promotions[] = { "auto", "manual", NULL };
        const struct pnode *v[5];
        s->kind = V2C_PB_BLUE_GREEN;
        s->promotion = V2C_PB_PROMOTION_AUTO;
        s->bake_ms = 30 * MS_SECOND;
        if (!fields(c, n, "`blueGreen`", keys, v))
                return;
        if (v[0])
                GET_REFS(c, v[0], "`pre_promotion_analysis`", REF_ANALYSIS,
                         "no traffic reaches the container before promotion", s->pre_promotion,
                         &s->n_pre_promotion);
        if (v[1])
                GET_REFS(c, v[1], "`gates`", REF_GATE, NULL, s->gates, &s->n_gates);
        int idx;
        if (v[2] && get_enum(c, v[2], "`promotion`", promotions, &idx))
                s->promotion = (enum v2c_pb_promotion) idx;
        if (v[3])
                get_duration(c, v[3], "`bake_time`", 0, 30 * MS_DAY, &s->bake_ms);
        if (v[4])
                GET_REFS(c, v[4], "`post_promotion_analysis`", REF_ANALYSIS, NULL, s->post_promotion,
                         &s->n_post_promotion);
}

static void parse_strategy(struct ctx *c, const struct pnode *n, struct v2c_pb_strategy *s)
{
        static const char *const keys[] = { "canary", "blueGreen", NULL };
        const struct pnode *v[2];
        if (!fields(c, n, "`strategy`", keys, v))
                return;
        if (!!v[0] + !!v[1] != 1) {
                diag(c, n, "`strategy` must hold exactly one of `canary` or `blueGreen`");
                return;
        }
        if (v[0])
                parse_canary(c, v[0], s);
        else
                parse_blue_green(c, v[1], s);
}

static void strategy_release(struct v2c_pb_strategy *s)
{
        for (size_t i = 0; i < s->n_steps; i++)
                free(s->steps[i].analyses);
        free(s->steps);
        free(s->pre_promotion);
        free(s->gates);
        free(s->post_promotion);
        *s = (struct v2c_pb_strategy) { 0 };
}

static void after_defaults(struct v2c_pb_after *a)
{
        *a = (struct v2c_pb_after) {
                .vm = V2C_PB_VM_DRAINED,
                .drain_timeout_ms = 5 * MS_MINUTE,
                .rollback_window_ms = 24 * MS_HOUR,
                .finalize_vm = V2C_PB_FINALIZE_STOP,
        };
}

static const char *const vm_ends[] = { "drained", "stopped", NULL };
static const char *const finalize_vms[] = { "stop", "keep", NULL };

static void parse_after(struct ctx *c, const struct pnode *n, struct v2c_pb_after *a)
{
        static const char *const keys[] = { "vm", "drain_timeout", "rollback_window", "finalize", NULL };
        const struct pnode *v[4];
        after_defaults(a);
        if (!fields(c, n, "`after_cutover`", keys, v))
                return;
        int idx;
        if (v[0] && get_enum(c, v[0], "`vm`", vm_ends, &idx))
                a->vm = (enum v2c_pb_vm_end) idx;
        if (v[1])
                get_duration(c, v[1], "`drain_timeout`", MS_SECOND, MS_DAY, &a->drain_timeout_ms);
        if (v[2])
                get_duration(c, v[2], "`rollback_window`", 0, 365 * MS_DAY, &a->rollback_window_ms);
        if (v[3]) {
                static const char *const fk[] = { "vm", NULL };
                const struct pnode *fv[1];
                if (fields(c, v[3], "`finalize`", fk, fv) && fv[0] &&
                    get_enum(c, fv[0], "`vm`", finalize_vms, &idx))
                        a->finalize_vm = (enum v2c_pb_finalize_vm) idx;
        }
}

/* ------------------------------------------------------------------------
 * Services
 */

static void parse_vm(struct ctx *c, const struct pnode *n, struct v2c_pb_vm *vm)
{
        static const char *const keys[] = { "qmp", "libvirt", "endpoint", "shutdown_timeout", NULL };
        const struct pnode *v[4];
        vm->shutdown_timeout_ms = 60 * MS_SECOND;
        if (!fields(c, n, "`vm`", keys, v))
                return;
        if (!!v[0] + !!v[1] != 1)
                diag(c, n, "`vm` must hold exactly one of `qmp` (a socket path) or `libvirt` (a domain)");
        if (v[0]) {
                vm->kind = V2C_PB_VM_QMP;
                get_socket(c, v[0], "`qmp`", &vm->qmp);
        } else if (v[1]) {
                static const char *const lk[] = { "domain", "uri", NULL };
                const struct pnode *lv[2];
                vm->kind = V2C_PB_VM_LIBVIRT;
                if (fields(c, v[1], "`libvirt`", lk, lv)) {
                        if (lv[0] == NULL)
                                missing(c, v[1], "domain", "`libvirt`");
                        else if (get_string(c, lv[0], "`domain`", &vm->domain) &&
                                 (strchr(vm->domain, '/') || !printable(vm->domain) || strlen(vm->domain) > 255))
                                diag(c, lv[0], "`domain`: `%s` is not a libvirt domain name", qn(c, lv[0]));
                        if (lv[1] == NULL)
                                vm->uri = xstrdup(c, "qemu:///system");
                        else if (get_string(c, lv[1], "`uri`", &vm->uri) &&
                                 (!strstr(vm->uri, ":") || !printable(vm->uri) || strlen(vm->uri) > MAX_URL))
                                diag(c, lv[1], "`uri`: `%s` is not a libvirt connection URI", qn(c, lv[1]));
                }
        }
        if (v[2] == NULL) {
                missing(c, n, "endpoint", "`vm`");
        } else if (get_string(c, v[2], "`endpoint`", &vm->endpoint)) {
                if (!parse_endpoint(vm->endpoint, &vm->endpoint_host, &vm->endpoint_port)) {
                        diag(c, v[2], "`endpoint`: `%s` is not HOST:PORT (a host name, an IPv4 address or "
                                      "[IPv6], and a port from 1 to 65535)",
                             qn(c, v[2]));
                } else if (vm->endpoint_host == NULL) {
                        c->oom = true;
                }
        }
        if (v[3])
                get_duration(c, v[3], "`shutdown_timeout`", MS_SECOND, MS_HOUR, &vm->shutdown_timeout_ms);
}

static void parse_env(struct ctx *c, const struct pnode *key, const struct pnode *n, void *data)
{
        struct v2c_pb_container *ct = data;
        const char *k = key->text;
        if (!(isalpha((unsigned char) k[0]) || k[0] == '_') ||
            strspn(k, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_") != strlen(k) ||
            strlen(k) > 255) {
                diag(c, key, "`%s` is not an environment variable name ([A-Za-z_][A-Za-z0-9_]*)", qn(c, key));
                return;
        }
        if (is_null(n) || n->kind != PK_SCALAR) {
                diag(c, n, "the value of `%s` must be a string, not %s (write \"\" for an empty one)", qn(c, key),
                     describe(n));
                return;
        }
        if (memchr(n->text, '\0', n->len) || n->len > V2C_PLAYBOOK_MAX_STRING) {
                diag(c, n, "the value of `%s` holds a NUL byte or is longer than %d bytes", qn(c, key),
                     V2C_PLAYBOOK_MAX_STRING);
                return;
        }
        struct v2c_pb_kv *kv = &ct->env[ct->n_env];
        kv->key = xstrdup(c, k);
        kv->value = xstrdup(c, n->text);
        ct->n_env++;
}

static void parse_port_map(struct ctx *c, const struct pnode *n, struct v2c_pb_port *p)
{
        _cleanup_free_ char *s = NULL;
        if (!get_string(c, n, "a port", &s))
                return;
        char *slash = strchr(s, '/');
        if (slash && strcmp(slash, "/tcp") != 0) {
                diag(c, n, "a port: `%s`: only TCP ports can be published", qn(c, n));
                return;
        }
        size_t len = slash ? (size_t) (slash - s) : strlen(s);
        const char *colon = memchr(s, ':', len);
        if (colon && memchr(colon + 1, ':', len - (size_t) (colon + 1 - s))) {
                diag(c, n, "a port: `%s`: ports are published on 127.0.0.1 only; write HOST_PORT:CONTAINER_PORT",
                     qn(c, n));
                return;
        }
        if (colon == NULL || !parse_port(s, (size_t) (colon - s), &p->host_port) ||
            !parse_port(colon + 1, len - (size_t) (colon + 1 - s), &p->container_port))
                diag(c, n, "a port: `%s` is not HOST_PORT:CONTAINER_PORT (each from 1 to 65535)", qn(c, n));
}

static void parse_volume(struct ctx *c, const struct pnode *n, struct v2c_pb_volume *vol)
{
        _cleanup_free_ char *s = NULL;
        if (!get_string(c, n, "a volume", &s))
                return;
        _cleanup_strv_ char **parts = NULL;
        char *save = NULL;
        size_t np = 0;
        bool empty = strstr(s, "::") || s[0] == ':' || s[strlen(s) - 1] == ':';
        for (char *tok = strtok_r(s, ":", &save); tok && np < 4; tok = strtok_r(NULL, ":", &save), np++)
                if (v2c_strv_push(&parts, tok) < 0) {
                        c->oom = true;
                        return;
                }
        bool ok = !empty && (np == 2 || (np == 3 && (strcmp(parts[2], "ro") == 0 || strcmp(parts[2], "rw") == 0)));
        if (!ok || parts[0][0] != '/' || parts[1][0] != '/') {
                diag(c, n, "a volume: `%s` is not /HOST_PATH:/CONTAINER_PATH[:ro|:rw] (both absolute)", qn(c, n));
                return;
        }
        vol->source = xstrdup(c, parts[0]);
        vol->target = xstrdup(c, parts[1]);
        vol->read_only = np == 3 && strcmp(parts[2], "ro") == 0;
}

/* true or false, unquoted (YAML 1.1 and 1.2 disagree on yes, on and 1). */
static bool get_bool(struct ctx *c, const struct pnode *n, const char *what, bool *out)
{
        if (is_true(n) || is_false(n)) {
                *out = is_true(n);
                return true;
        }
        if (n->kind == PK_SCALAR && !is_null(n))
                diag(c, n, "%s must be true or false, not `%s`", what, qn(c, n));
        else
                diag(c, n, "%s must be true or false, not %s", what, describe(n));
        return false;
}

/* `harden`: true or false for all of it, or a map loosening parts. */
static void parse_harden(struct ctx *c, const struct pnode *n, struct v2c_pb_harden *h)
{
        if (n->kind == PK_SCALAR) {
                bool on;
                if (get_bool(c, n, "`harden`", &on))
                        *h = (struct v2c_pb_harden) { on, on, on, on };
                return;
        }
        static const char *const keys[] = { "read_only_root", "no_new_privileges", "limits", NULL };
        const struct pnode *v[3];
        if (!fields(c, n, "`harden` (true, false, or a map)", keys, v))
                return;
        if (v[0])
                get_bool(c, v[0], "`read_only_root`", &h->read_only_root);
        if (v[1])
                get_bool(c, v[1], "`no_new_privileges`", &h->no_new_privileges);
        if (v[2])
                get_bool(c, v[2], "`limits`", &h->limits);
}

static void parse_container(struct ctx *c, const struct pnode *n, struct v2c_pb_container *ct, const char *service,
                            struct svc_src *src)
{
        static const char *const keys[] = { "engine", "image", "name", "ports", "env", "volumes", "readiness", "harden",
                                            NULL };
        const struct pnode *v[8];
        ct->ready_timeout_ms = 60 * MS_SECOND;
        ct->harden = (struct v2c_pb_harden) { true, true, true, true };
        src->container_name = n;
        if (!fields(c, n, "`container`", keys, v))
                return;
        if (v[0] == NULL)
                missing(c, n, "engine", "`container`");
        else
                get_socket(c, v[0], "`engine`", &ct->engine);
        if (v[1] == NULL) {
                missing(c, n, "image", "`container`");
        } else if (get_string(c, v[1], "`image`", &ct->image)) {
                const char *why = image_problem(ct->image);
                if (why)
                        diag(c, v[1], "`image`: `%s` %s", qn(c, v[1]), why);
        }
        if (v[2]) {
                src->container_name = v[2];
                if (get_string(c, v[2], "`name`", &ct->name) && !name_ok(ct->name, MAX_CONTAINER_NAME))
                        diag(c, v[2], "`name`: `%s` is not a container name ([A-Za-z0-9][A-Za-z0-9_.-]*, at most %d)",
                             qn(c, v[2]), MAX_CONTAINER_NAME);
        } else if (service && asprintf(&ct->name, "v2c-%s", service) < 0) {
                ct->name = NULL;
                c->oom = true;
        }
        if (v[3] == NULL) {
                missing(c, n, "ports", "`container` (HAProxy reaches the container through one)");
        } else if (expect(c, v[3], PK_SEQ, "`ports`") && visit(c, v[3])) {
                if (v[3]->n == 0 || v[3]->n > V2C_PLAYBOOK_MAX_LIST) {
                        diag(c, v[3], "`ports` must list 1 to %d ports", V2C_PLAYBOOK_MAX_LIST);
                } else if ((ct->ports = xcalloc(c, v[3]->n, sizeof *ct->ports)) &&
                           (src->ports = xcalloc(c, v[3]->n, sizeof *src->ports))) {
                        for (size_t i = 0; i < v[3]->n; i++) {
                                parse_port_map(c, v[3]->kids[i], &ct->ports[ct->n_ports]);
                                src->ports[ct->n_ports++] = v[3]->kids[i];
                        }
                }
        }
        if (v[4] && v[4]->kind == PK_MAP && v[4]->n / 2 <= V2C_PLAYBOOK_MAX_ENV)
                ct->env = xcalloc(c, v[4]->n / 2, sizeof *ct->env);
        if (v[4] && (ct->env || v[4]->kind != PK_MAP || v[4]->n / 2 > V2C_PLAYBOOK_MAX_ENV))
                each_entry(c, v[4], "`env`", V2C_PLAYBOOK_MAX_ENV, parse_env, ct);
        if (v[5] && expect(c, v[5], PK_SEQ, "`volumes`") && visit(c, v[5])) {
                if (v[5]->n > V2C_PLAYBOOK_MAX_LIST) {
                        diag(c, v[5], "`volumes` has more than %d entries", V2C_PLAYBOOK_MAX_LIST);
                } else if ((ct->volumes = xcalloc(c, v[5]->n, sizeof *ct->volumes))) {
                        for (size_t i = 0; i < v[5]->n; i++) {
                                struct v2c_pb_volume *vol = &ct->volumes[ct->n_volumes++];
                                parse_volume(c, v[5]->kids[i], vol);
                                for (size_t j = 0; j + 1 < ct->n_volumes && vol->target; j++)
                                        if (ct->volumes[j].target && strcmp(ct->volumes[j].target, vol->target) == 0)
                                                diag(c, v[5]->kids[i], "a volume: `%s` is mounted twice",
                                                     qstr(c, vol->target));
                        }
                }
        }
        const struct pnode *port_node = NULL;
        if (v[6]) {
                static const char *const rk[] = { "port", "path", "timeout", NULL };
                const struct pnode *rv[3];
                if (fields(c, v[6], "`readiness`", rk, rv)) {
                        if (rv[0] && get_uint(c, rv[0], "`port`", 1, 65535, &ct->ready_port))
                                port_node = rv[0];
                        if (rv[1] && get_string(c, rv[1], "`path`", &ct->ready_path) &&
                            (ct->ready_path[0] != '/' || !printable(ct->ready_path)))
                                diag(c, rv[1], "`path`: `%s` is not an absolute URL path", qn(c, rv[1]));
                        if (rv[2])
                                get_duration(c, rv[2], "`timeout`", MS_SECOND, MS_HOUR, &ct->ready_timeout_ms);
                }
        }
        if (v[7])
                parse_harden(c, v[7], &ct->harden);
        if (ct->ready_port == 0 && ct->n_ports > 0)
                ct->ready_port = ct->ports[0].host_port;
        if (port_node) {
                bool found = false;
                for (size_t i = 0; i < ct->n_ports; i++)
                        found |= ct->ports[i].host_port == ct->ready_port;
                if (!found)
                        diag(c, port_node, "`port`: %u is none of the container's host ports", ct->ready_port);
        }
}

static bool haproxy_name_ok(const char *s)
{
        size_t n = strlen(s);
        return n > 0 && n <= MAX_HAPROXY_NAME &&
               strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:") == n;
}

static void get_haproxy_name(struct ctx *c, const struct pnode *n, const char *what, char **out)
{
        if (get_string(c, n, what, out) && !haproxy_name_ok(*out))
                diag(c, n, "%s: `%s` is not an HAProxy name (letters, digits, `-`, `_`, `.`, `:`)", what, qn(c, n));
}

static void parse_router(struct ctx *c, const struct pnode *n, struct v2c_pb_router *rt)
{
        static const char *const keys[] = { "socket", "backend", "vm_server", "container_server", NULL };
        const struct pnode *v[4];
        if (!fields(c, n, "`router`", keys, v))
                return;
        for (size_t i = 0; i < 4; i++)
                if (v[i] == NULL)
                        missing(c, n, keys[i], "`router`");
        if (v[0])
                get_socket(c, v[0], "`socket`", &rt->socket);
        if (v[1])
                get_haproxy_name(c, v[1], "`backend`", &rt->backend);
        if (v[2])
                get_haproxy_name(c, v[2], "`vm_server`", &rt->vm_server);
        if (v[3])
                get_haproxy_name(c, v[3], "`container_server`", &rt->container_server);
        if (rt->vm_server && rt->container_server && strcmp(rt->vm_server, rt->container_server) == 0)
                diag(c, v[3], "`container_server` must differ from `vm_server`");
}

struct defaults {
        const struct pnode *strategy;
        const struct pnode *after;
};

static void parse_service(struct ctx *c, const struct pnode *n, struct v2c_pb_service *s, size_t wave,
                          const struct defaults *def, struct svc_src *src)
{
        static const char *const keys[] = { "name", "depends_on", "vm", "container", "router", "strategy",
                                            "after_cutover", NULL };
        const struct pnode *v[7];
        s->wave = wave;
        src->node = n;
        src->name = n;
        after_defaults(&s->after);
        if (!fields(c, n, "a service", keys, v))
                return;
        if (v[0] == NULL)
                missing(c, n, "name", "a service");
        else if (get_name(c, v[0], "`name`", &s->name))
                src->name = v[0];
        if (v[1] && expect(c, v[1], PK_SEQ, "`depends_on`") && visit(c, v[1])) {
                if (v[1]->n > V2C_PLAYBOOK_MAX_SERVICES) {
                        diag(c, v[1], "`depends_on` names more than %d services", V2C_PLAYBOOK_MAX_SERVICES);
                } else if ((src->deps = xcalloc(c, v[1]->n, sizeof *src->deps))) {
                        for (size_t i = 0; i < v[1]->n; i++) {
                                char *dep = NULL;
                                if (!get_name(c, v[1]->kids[i], "`depends_on`", &dep))
                                        continue;
                                if (v2c_strv_consume(&s->depends_on, dep) < 0) {
                                        c->oom = true;
                                        return;
                                }
                                src->deps[v2c_strv_len(s->depends_on) - 1] = v[1]->kids[i];
                        }
                }
        }
        if (v[2] == NULL)
                missing(c, n, "vm", "a service");
        else
                parse_vm(c, v[2], &s->vm);
        if (v[3] == NULL)
                missing(c, n, "container", "a service");
        else
                parse_container(c, v[3], &s->container, s->name, src);
        src->router = v[4] ? v[4] : n;
        if (v[4] == NULL)
                missing(c, n, "router", "a service");
        else
                parse_router(c, v[4], &s->router);
        if (v[5]) {
                parse_strategy(c, v[5], &s->strategy);
        } else if (def->strategy) {
                c->quiet++;
                parse_strategy(c, def->strategy, &s->strategy);
                c->quiet--;
        } else {
                diag(c, n, "a service needs a `strategy` when the playbook has no default `strategy`");
        }
        if (v[6]) {
                parse_after(c, v[6], &s->after);
        } else if (def->after) {
                c->quiet++;
                parse_after(c, def->after, &s->after);
                c->quiet--;
        }
}

static void service_release(struct v2c_pb_service *s)
{
        free(s->name);
        v2c_strv_free(s->depends_on);
        free(s->vm.qmp);
        free(s->vm.domain);
        free(s->vm.uri);
        free(s->vm.endpoint);
        free(s->vm.endpoint_host);
        struct v2c_pb_container *ct = &s->container;
        free(ct->engine);
        free(ct->image);
        free(ct->name);
        free(ct->ports);
        for (size_t i = 0; i < ct->n_env; i++) {
                free(ct->env[i].key);
                free(ct->env[i].value);
        }
        free(ct->env);
        for (size_t i = 0; i < ct->n_volumes; i++) {
                free(ct->volumes[i].source);
                free(ct->volumes[i].target);
        }
        free(ct->volumes);
        free(ct->ready_path);
        free(s->router.socket);
        free(s->router.backend);
        free(s->router.vm_server);
        free(s->router.container_server);
        strategy_release(&s->strategy);
}

static void parse_wave(struct ctx *c, const struct pnode *n, struct v2c_pb_wave *w, size_t index,
                       const struct defaults *def)
{
        static const char *const keys[] = { "name", "gates", "services", NULL };
        const struct pnode *v[3];
        if (!fields(c, n, "a wave", keys, v))
                return;
        if (v[0]) {
                get_name(c, v[0], "`name`", &w->name);
        } else if (asprintf(&w->name, "wave-%zu", index + 1) < 0) {
                w->name = NULL;
                c->oom = true;
        }
        for (size_t i = 0; i < index && w->name; i++)
                if (c->pb->waves[i].name && strcmp(c->pb->waves[i].name, w->name) == 0)
                        diag(c, v[0] ? v[0] : n, "duplicate wave name `%s`%s", qstr(c, w->name),
                             v[0] ? "" : " (the name an unnamed wave gets)");
        if (v[1])
                GET_REFS(c, v[1], "`gates`", REF_GATE, NULL, w->gates, &w->n_gates);
        if (v[2] == NULL) {
                missing(c, n, "services", "a wave");
                return;
        }
        if (!expect(c, v[2], PK_SEQ, "`services`") || !visit(c, v[2]))
                return;
        if (v[2]->n == 0) {
                diag(c, v[2], "a wave needs at least one service");
                return;
        }
        if (c->n_all + v[2]->n > V2C_PLAYBOOK_MAX_SERVICES) {
                diag(c, v[2], "more than %d services in the playbook", V2C_PLAYBOOK_MAX_SERVICES);
                return;
        }
        w->services = xcalloc(c, v[2]->n, sizeof *w->services);
        if (w->services == NULL)
                return;
        for (size_t i = 0; i < v[2]->n && !c->stop && !c->oom; i++) {
                struct v2c_pb_service *s = &w->services[w->n_services++];
                c->all[c->n_all] = s;
                parse_service(c, v[2]->kids[i], s, index, def, &c->srcs[c->n_all]);
                c->n_all++;
        }
}

/* ------------------------------------------------------------------------
 * Checks across services
 */

struct key_entry {
        const char *a, *b;
        unsigned num;
        size_t svc, sub;
};

static int key_cmp(const void *x, const void *y)
{
        const struct key_entry *p = x, *q = y;
        int r = strcmp(p->a, q->a);
        if (r == 0)
                r = strcmp(p->b, q->b);
        if (r == 0)
                r = (p->num > q->num) - (p->num < q->num);
        if (r == 0)
                r = (p->svc > q->svc) - (p->svc < q->svc);
        if (r == 0)
                r = (p->sub > q->sub) - (p->sub < q->sub);
        return r;
}

static bool key_same(const struct key_entry *p, const struct key_entry *q)
{
        return strcmp(p->a, q->a) == 0 && strcmp(p->b, q->b) == 0 && p->num == q->num;
}

enum dup_kind { DUP_SERVICE, DUP_CONTAINER, DUP_PORT, DUP_BACKEND };

/* Reports every entry equal to an earlier one (sorted: the earliest
 * service comes first). */
static void report_dups(struct ctx *c, struct key_entry *e, size_t n, enum dup_kind kind)
{
        qsort(e, n, sizeof *e, key_cmp);
        for (size_t i = 1, first = 0; i < n; i++) {
                if (!key_same(&e[first], &e[i])) {
                        first = i;
                        continue;
                }
                const struct svc_src *src = &c->srcs[e[i].svc];
                const struct pnode *first_name = c->srcs[e[first].svc].name;
                const char *other = c->all[e[first].svc]->name ? c->all[e[first].svc]->name : "?";
                switch (kind) {
                case DUP_SERVICE:
                        diag(c, src->name, "duplicate service name `%s` (first at %u:%u)", qstr(c, e[i].a),
                             first_name->line, first_name->col);
                        break;
                case DUP_CONTAINER:
                        /* Two services of one name: said already. */
                        if (c->all[e[i].svc]->name && c->all[e[first].svc]->name &&
                            strcmp(c->all[e[i].svc]->name, c->all[e[first].svc]->name) == 0)
                                break;
                        diag(c, src->container_name, "container name `%s` is also used by service `%s`",
                             qstr(c, e[i].a), qstr(c, other));
                        break;
                case DUP_PORT:
                        if (e[first].svc == e[i].svc)
                                diag(c, src->ports[e[i].sub], "host port %u is published twice", e[i].num);
                        else
                                diag(c, src->ports[e[i].sub],
                                     "host port %u is also published by service `%s` on the same engine", e[i].num,
                                     qstr(c, other));
                        break;
                case DUP_BACKEND:
                        diag(c, src->router, "backend `%s` is also cut over by service `%s`", qstr(c, e[i].b),
                             qstr(c, other));
                        break;
                }
        }
}

/* The index of service NAME in c->all, through the sorted NAMES. */
static size_t find_service(const struct key_entry *names, size_t n, const char *name)
{
        size_t lo = 0, hi = n;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (strcmp(names[mid].a, name) < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return lo < n && strcmp(names[lo].a, name) == 0 ? names[lo].svc : SIZE_MAX;
}

static void check_dependencies(struct ctx *c, const struct key_entry *names, size_t nn)
{
        size_t n = c->n_all;
        /* Edges that passed the checks, per service: indices into c->all. */
        _cleanup_free_ size_t *start = xcalloc(c, n + 1, sizeof *start);
        size_t total = 0;
        for (size_t i = 0; i < n; i++)
                total += v2c_strv_len(c->all[i]->depends_on);
        _cleanup_free_ size_t *to = xcalloc(c, total, sizeof *to);
        _cleanup_free_ size_t *edge_dep = xcalloc(c, total, sizeof *edge_dep);
        _cleanup_free_ const char **cands = xcalloc(c, nn, sizeof *cands);
        if (start == NULL || to == NULL || edge_dep == NULL || cands == NULL)
                return;
        for (size_t i = 0; i < nn; i++)
                cands[i] = names[i].a;
        size_t m = 0;
        for (size_t i = 0; i < n; i++) {
                const struct v2c_pb_service *s = c->all[i];
                start[i] = m;
                for (size_t d = 0; s->depends_on && s->depends_on[d]; d++) {
                        const char *dep = s->depends_on[d];
                        const struct pnode *at = c->srcs[i].deps[d];
                        size_t j = find_service(names, nn, dep);
                        bool twice = false;
                        for (size_t e = 0; e < d; e++)
                                twice |= strcmp(s->depends_on[e], dep) == 0;
                        if (j == SIZE_MAX)
                                diag(c, at, "`depends_on`: no service is named `%s`%s", qstr(c, dep),
                                     suggest(c, dep, cands, nn));
                        else if (j == i)
                                diag(c, at, "`depends_on`: a service cannot depend on itself");
                        else if (twice)
                                diag(c, at, "`depends_on`: `%s` is named twice", qstr(c, dep));
                        else if (c->all[j]->wave > s->wave)
                                diag(c, at,
                                     "`depends_on`: `%s` is in a later wave (`%s`), and a wave starts only when "
                                     "the one before has finished",
                                     qstr(c, dep),
                                     c->pb->waves[c->all[j]->wave].name ? qstr(c, c->pb->waves[c->all[j]->wave].name)
                                                                        : "?");
                        else if (c->all[j]->wave == s->wave) {
                                to[m] = j;
                                edge_dep[m++] = d;
                        }
                }
        }
        start[n] = m;

        /* Cycles (within a wave): iterative depth-first search. */
        _cleanup_free_ unsigned char *color = xcalloc(c, n, 1);        /* 0 new, 1 on the path, 2 done */
        _cleanup_free_ size_t *path = xcalloc(c, n, sizeof *path);
        _cleanup_free_ size_t *next = xcalloc(c, n, sizeof *next);
        if (color == NULL || path == NULL || next == NULL)
                return;
        for (size_t root = 0; root < n; root++) {
                if (color[root])
                        continue;
                size_t depth = 0;
                path[depth++] = root;
                color[root] = 1;
                next[root] = start[root];
                while (depth > 0) {
                        size_t u = path[depth - 1];
                        if (next[u] == start[u + 1]) {
                                color[u] = 2;
                                depth--;
                                continue;
                        }
                        size_t e = next[u]++;
                        size_t v = to[e];
                        if (color[v] == 0) {
                                color[v] = 1;
                                next[v] = start[v];
                                path[depth++] = v;
                        } else if (color[v] == 1) {
                                char buf[1024];         /* 9 names of at most 63 bytes */
                                size_t w = 0, k = depth;
                                while (k > 0 && path[k - 1] != v)
                                        k--;
                                for (size_t p = k - 1, shown = 0; p < depth && w < sizeof buf; p++, shown++) {
                                        if (shown == 8) {
                                                w += (size_t) snprintf(buf + w, sizeof buf - w, "... -> ");
                                                p = depth - 1;
                                        }
                                        w += (size_t) snprintf(buf + w, sizeof buf - w, "%s -> ",
                                                               c->all[path[p]]->name ? c->all[path[p]]->name : "?");
                                }
                                if (w < sizeof buf)
                                        snprintf(buf + w, sizeof buf - w, "%s", c->all[v]->name);
                                diag(c, c->srcs[u].deps[edge_dep[e]], "`depends_on` makes a cycle: %s", buf);
                        }
                }
        }
}

static void check_services(struct ctx *c)
{
        size_t n = c->n_all, np = 0;
        for (size_t i = 0; i < n; i++)
                np += c->all[i]->container.n_ports;
        _cleanup_free_ struct key_entry *names = xcalloc(c, n, sizeof *names);
        _cleanup_free_ struct key_entry *e = xcalloc(c, n + np, sizeof *e);
        if (names == NULL || e == NULL)
                return;
        size_t nn = 0, ne = 0;
        for (size_t i = 0; i < n; i++)
                if (c->all[i]->name)
                        names[nn++] = (struct key_entry) { c->all[i]->name, "", 0, i, 0 };
        memcpy(e, names, nn * sizeof *e);
        report_dups(c, e, nn, DUP_SERVICE);
        qsort(names, nn, sizeof *names, key_cmp);

        ne = 0;
        for (size_t i = 0; i < n; i++)
                if (c->all[i]->container.name)
                        e[ne++] = (struct key_entry) { c->all[i]->container.name, "", 0, i, 0 };
        report_dups(c, e, ne, DUP_CONTAINER);

        ne = 0;
        for (size_t i = 0; i < n; i++) {
                const struct v2c_pb_container *ct = &c->all[i]->container;
                for (size_t p = 0; p < ct->n_ports && ct->engine; p++)
                        if (ct->ports[p].host_port)
                                e[ne++] = (struct key_entry) { ct->engine, "", ct->ports[p].host_port, i, p };
        }
        report_dups(c, e, ne, DUP_PORT);

        ne = 0;
        for (size_t i = 0; i < n; i++) {
                const struct v2c_pb_router *rt = &c->all[i]->router;
                if (rt->socket && rt->backend)
                        e[ne++] = (struct key_entry) { rt->socket, rt->backend, 0, i, 0 };
        }
        report_dups(c, e, ne, DUP_BACKEND);

        check_dependencies(c, names, nn);
}

/* ------------------------------------------------------------------------
 * The playbook
 */

struct v2c_playbook *v2c_playbook_free(struct v2c_playbook *pb)
{
        if (pb == NULL)
                return NULL;
        free(pb->file);
        free(pb->name);
        for (size_t i = 0; i < pb->n_analyses; i++) {
                struct v2c_pb_analysis *a = &pb->analyses[i];
                for (size_t k = 0; k < a->n_metrics; k++) {
                        free(a->metrics[k].name);
                        free(a->metrics[k].url);
                        free(a->metrics[k].address);
                        free(a->metrics[k].query);
                }
                free(a->metrics);
                free(a->name);
        }
        free(pb->analyses);
        for (size_t i = 0; i < pb->n_gates; i++) {
                struct v2c_pb_gate *g = &pb->gates[i];
                free(g->name);
                free(g->url);
                for (size_t k = 0; k < g->n_headers; k++) {
                        free(g->headers[k].key);
                        free(g->headers[k].value);
                }
                free(g->headers);
                free(g->message);
        }
        free(pb->gates);
        for (size_t i = 0; i < pb->n_waves; i++) {
                struct v2c_pb_wave *w = &pb->waves[i];
                for (size_t k = 0; k < w->n_services; k++)
                        service_release(&w->services[k]);
                free(w->services);
                free(w->gates);
                free(w->name);
        }
        free(pb->waves);
        free(pb);
        return NULL;
}

static void parse_top(struct ctx *c, const struct pnode *root)
{
        static const char *const keys[] = { "version", "name", "analyses", "gates", "strategy", "after_cutover",
                                            "waves", NULL };
        const struct pnode *v[7];
        struct v2c_playbook *pb = c->pb;
        if (!fields_ext(c, root, "a playbook", keys, v, true))
                return;
        unsigned version;
        if (v[0] == NULL)
                missing(c, root, "version", "the playbook (this v2c reads version 1)");
        else if (get_uint(c, v[0], "`version`", 0, UINT32_MAX, &version) && version != V2C_PLAYBOOK_VERSION)
                diag(c, v[0], "unsupported `version` %u: this v2c reads version %d", version, V2C_PLAYBOOK_VERSION);
        if (v[1] == NULL)
                missing(c, root, "name", "the playbook");
        else
                get_name(c, v[1], "`name`", &pb->name);

        if (v[2] && v[2]->kind == PK_MAP && v[2]->n / 2 <= V2C_PLAYBOOK_MAX_ANALYSES)
                pb->analyses = xcalloc(c, v[2]->n / 2, sizeof *pb->analyses);
        if (v[2] && (pb->analyses || v[2]->kind != PK_MAP || v[2]->n / 2 > V2C_PLAYBOOK_MAX_ANALYSES))
                each_entry(c, v[2], "`analyses`", V2C_PLAYBOOK_MAX_ANALYSES, parse_analysis, NULL);
        if (v[3] && v[3]->kind == PK_MAP && v[3]->n / 2 <= V2C_PLAYBOOK_MAX_GATES)
                pb->gates = xcalloc(c, v[3]->n / 2, sizeof *pb->gates);
        if (v[3] && (pb->gates || v[3]->kind != PK_MAP || v[3]->n / 2 > V2C_PLAYBOOK_MAX_GATES))
                each_entry(c, v[3], "`gates`", V2C_PLAYBOOK_MAX_GATES, parse_gate, NULL);

        /* The defaults are checked once here; services that use them read
         * them again quietly. */
        struct defaults def = { v[4], v[5] };
        if (v[4]) {
                struct v2c_pb_strategy s = { 0 };
                parse_strategy(c, v[4], &s);
                strategy_release(&s);
        }
        if (v[5]) {
                struct v2c_pb_after a;
                parse_after(c, v[5], &a);
        }

        if (v[6] == NULL) {
                missing(c, root, "waves", "the playbook");
                return;
        }
        if (!expect(c, v[6], PK_SEQ, "`waves`") || !visit(c, v[6]))
                return;
        if (v[6]->n == 0) {
                diag(c, v[6], "`waves` is empty: a playbook moves at least one service");
                return;
        }
        if (v[6]->n > V2C_PLAYBOOK_MAX_SERVICES) {
                diag(c, v[6], "more than %d waves", V2C_PLAYBOOK_MAX_SERVICES);
                return;
        }
        pb->waves = xcalloc(c, v[6]->n, sizeof *pb->waves);
        c->all = xcalloc(c, V2C_PLAYBOOK_MAX_SERVICES, sizeof *c->all);
        c->srcs = xcalloc(c, V2C_PLAYBOOK_MAX_SERVICES, sizeof *c->srcs);
        if (pb->waves == NULL || c->all == NULL || c->srcs == NULL)
                return;
        for (size_t i = 0; i < v[6]->n && !c->stop && !c->oom; i++)
                parse_wave(c, v[6]->kids[i], &pb->waves[pb->n_waves++], i, &def);
        if (!c->stop && !c->oom)
                check_services(c);
}

static int diag_cmp(const void *x, const void *y)
{
        const struct diag *p = x, *q = y;
        if (p->line != q->line)
                return p->line < q->line ? -1 : 1;
        if (p->col != q->col)
                return p->col < q->col ? -1 : 1;
        return (p->seq > q->seq) - (p->seq < q->seq);
}

/* The collected problems as one message, in file order. */
static int report(struct ctx *c, struct v2c_error **err)
{
        for (size_t i = 1; i < c->n_diags; i++)
                for (size_t j = i; j > 0 && diag_cmp(&c->diags[j - 1], &c->diags[j]) > 0; j--) {
                        struct diag t = c->diags[j];
                        c->diags[j] = c->diags[j - 1];
                        c->diags[j - 1] = t;
                }
        _cleanup_buf_ struct v2c_buf b;
        v2c_buf_init(&b, 1u << 20);
        int r = 0;
        for (size_t i = 0; i < c->n_diags && r == 0; i++)
                r = v2c_buf_appendf(&b, "%s%s:%u:%u: %s", i ? "\n" : "", c->file, c->diags[i].line, c->diags[i].col,
                                    c->diags[i].msg);
        if (r == 0 && c->more)
                r = v2c_buf_appendf(&b, "\n%s: more problems not shown (%d at most are)", c->file,
                                    V2C_PLAYBOOK_MAX_ERRORS);
        if (r < 0)
                return v2c_error_set(err, ENOMEM, "out of memory");
        return v2c_error_set_kind(err, V2C_ERR_INPUT, EINVAL, "%s", b.data ? b.data : "invalid playbook");
}

static bool starts_with_brace(const char *data, size_t len)
{
        size_t i = 0;
        while (i < len && data[i] && strchr(" \t\r\n", data[i]))
                i++;
        return i < len && data[i] == '{';
}

int v2c_playbook_parse(const char *data, size_t len, const char *filename, struct v2c_playbook **out,
                       struct v2c_error **err)
{
        const char *file = filename ? filename : "playbook";
        if (len > V2C_PLAYBOOK_MAX_SIZE)
                return v2c_error_set_kind(err, V2C_ERR_INPUT, EFBIG, "%s: larger than %u bytes", file,
                                          V2C_PLAYBOOK_MAX_SIZE);
        /* A document that starts with '{' and is JSON is read as JSON:
         * YAML 1.1 refuses some JSON (surrogate pairs in \u escapes) and
         * reads some differently (a raw U+2028 in a string is a line break
         * to it).  Anything else is YAML; when both fail, the parser that
         * got further is the one to believe. */
        struct ptree t = { 0 };
        struct perr pe = { 0 };
        int r = -EINVAL;
        if (starts_with_brace(data, len)) {
                r = tree_from_json(data, len, &t, &pe);
                if (r == -EINVAL) {
                        ptree_release(&t);
                        struct perr je = pe;
                        pe = (struct perr) { 0 };
                        r = tree_from_yaml(data, len, &t, &pe);
                        if (r == -EINVAL && je.offset > pe.offset)
                                pe = je;
                }
        } else {
                r = tree_from_yaml(data ? data : "", data ? len : 0, &t, &pe);
        }
        if (r == -ENOMEM || pe.oom) {
                ptree_release(&t);
                return v2c_error_set(err, ENOMEM, "out of memory");
        }
        if (r < 0) {
                ptree_release(&t);
                return v2c_error_set_kind(err, V2C_ERR_INPUT, EINVAL, "%s:%u:%u: %s", file, pe.line, pe.col, pe.msg);
        }

        struct ctx c = { .file = file };
        c.pb = calloc(1, sizeof *c.pb);
        if (c.pb == NULL || (c.pb->file = strdup(file)) == NULL) {
                v2c_playbook_free(c.pb);
                ptree_release(&t);
                return v2c_error_set(err, ENOMEM, "out of memory");
        }
        if (t.root == NULL)
                diag_at(&c, 1, 1, "the playbook is empty");
        else if (t.root->kind != PK_MAP)
                diag(&c, t.root, "a playbook must be a mapping, not %s", describe(t.root));
        else
                parse_top(&c, t.root);
        ptree_release(&t);

        if (c.oom)
                r = v2c_error_set(err, ENOMEM, "out of memory");
        else if (c.n_diags > 0)
                r = report(&c, err);
        if (r < 0) {
                v2c_playbook_free(c.pb);
                ctx_release(&c);
                return r;
        }
        *out = c.pb;
        ctx_release(&c);
        return 0;
}

int v2c_playbook_load(const char *path, struct v2c_playbook **out, struct v2c_error **err)
{
        _cleanup_free_ char *data = NULL;
        size_t len = 0;
        int r = v2c_read_host_file(path, V2C_PLAYBOOK_MAX_SIZE, &data, &len, err);
        if (r < 0)
                return v2c_error_prefix(err, r, "reading the playbook");
        return v2c_playbook_parse(data, len, path, out, err);
}

const struct v2c_pb_service *v2c_playbook_service(const struct v2c_playbook *pb, const char *name)
{
        for (size_t i = 0; pb && name && i < pb->n_waves; i++)
                for (size_t k = 0; k < pb->waves[i].n_services; k++)
                        if (strcmp(pb->waves[i].services[k].name, name) == 0)
                                return &pb->waves[i].services[k];
        return NULL;
}

const char *v2c_pb_haproxy_metric_name(enum v2c_pb_haproxy_metric m)
{
        return (unsigned) m < V2C_ARRAY_SIZE(haproxy_metrics) - 1 ? haproxy_metrics[m] : "?";
}

const char *v2c_pb_op_name(enum v2c_pb_op op)
{
        return (unsigned) op < V2C_ARRAY_SIZE(op_names) ? op_names[op] : "?";
}

bool v2c_pb_condition_holds(const struct v2c_pb_condition *c, double value)
{
        if (!c->set || isnan(value))
                return false;
        switch (c->op) {
        case V2C_PB_LT:
                return value < c->threshold;
        case V2C_PB_LE:
                return value <= c->threshold;
        case V2C_PB_GT:
                return value > c->threshold;
        case V2C_PB_GE:
                return value >= c->threshold;
        case V2C_PB_EQ:
                return value == c->threshold;
        case V2C_PB_NE:
                return value != c->threshold;
        }
        return false;
}

/* ------------------------------------------------------------------------
 * The canonical form
 */

/* Sets KEY of O to V; V is stolen even on failure (json_object_set_new's
 * rule), so a failed call leaks nothing.  False when V is NULL (ENOMEM). */
static bool jset(json_t *o, const char *key, json_t *v)
{
        return v != NULL && json_object_set_new(o, key, v) == 0;
}

static bool jpush(json_t *a, json_t *v)
{
        return v != NULL && json_array_append_new(a, v) == 0;
}

/* Attaches the new V under KEY of O and returns it (borrowed), or NULL.
 * Children are attached before they are filled, so the only thing to free
 * on failure is the outermost object. */
static json_t *jchild(json_t *o, const char *key, json_t *v)
{
        return jset(o, key, v) ? v : NULL;
}

static json_t *jduration(uint64_t ms)
{
        char buf[64];
        format_duration(ms, buf, sizeof buf);
        return json_string(buf);
}

static json_t *jcondition(const struct v2c_pb_condition *c)
{
        char num[64], buf[96];
        format_number(c->threshold, num, sizeof num);
        snprintf(buf, sizeof buf, "result %s %s", v2c_pb_op_name(c->op), num);
        return json_string(buf);
}

/* A new array of the names of N analyses (or gates). */
static json_t *jrefs(const void *const *refs, size_t n, bool analysis)
{
        json_t *a = json_array();
        for (size_t i = 0; a && i < n; i++) {
                const char *name = analysis ? ((const struct v2c_pb_analysis *) refs[i])->name
                                            : ((const struct v2c_pb_gate *) refs[i])->name;
                if (!jpush(a, v2c_json_str(name))) {
                        json_decref(a);
                        return NULL;
                }
        }
        return a;
}

static json_t *jkvs(const struct v2c_pb_kv *kv, size_t n)
{
        json_t *o = json_object();
        for (size_t i = 0; o && i < n; i++)
                if (!jset(o, kv[i].key, v2c_json_str(kv[i].value))) {
                        json_decref(o);
                        return NULL;
                }
        return o;
}

/* Returns O, or frees it and returns NULL when !OK. */
static json_t *jdone(json_t *o, bool ok)
{
        if (!ok) {
                json_decref(o);
                return NULL;
        }
        return o;
}

static json_t *metric_to_json(const struct v2c_pb_metric *m)
{
        static const char *const kinds[] = { "haproxy", "http", "prometheus" };
        json_t *o = json_object();
        if (o == NULL)
                return NULL;
        json_t *p = jset(o, "name", v2c_json_str(m->name)) ? jchild(o, "provider", json_object()) : NULL;
        json_t *in = p ? jchild(p, kinds[m->provider], json_object()) : NULL;
        bool ok = in != NULL;
        switch (m->provider) {
        case V2C_PB_PROVIDER_HAPROXY:
                ok = ok && jset(in, "metric", json_string(v2c_pb_haproxy_metric_name(m->haproxy_metric)));
                break;
        case V2C_PB_PROVIDER_HTTP:
                ok = ok && jset(in, "url", v2c_json_str(m->url)) &&
                     jset(in, "expect_status", json_integer(m->expect_status)) &&
                     jset(in, "timeout", jduration(m->timeout_ms));
                break;
        case V2C_PB_PROVIDER_PROMETHEUS:
                ok = ok && jset(in, "address", v2c_json_str(m->address)) && jset(in, "query", v2c_json_str(m->query)) &&
                     jset(in, "timeout", jduration(m->timeout_ms));
                break;
        }
        if (ok && m->success.set)
                ok = jset(o, "success_condition", jcondition(&m->success));
        if (ok && m->failure.set)
                ok = jset(o, "failure_condition", jcondition(&m->failure));
        ok = ok && jset(o, "interval", jduration(m->interval_ms)) && jset(o, "count", json_integer(m->count)) &&
             jset(o, "failure_limit", json_integer(m->failure_limit));
        return jdone(o, ok);
}

static json_t *analysis_to_json(const struct v2c_pb_analysis *a)
{
        json_t *o = json_object();
        json_t *ms = o ? jchild(o, "metrics", json_array()) : NULL;
        bool ok = ms != NULL;
        for (size_t i = 0; ok && i < a->n_metrics; i++)
                ok = jpush(ms, metric_to_json(&a->metrics[i]));
        return jdone(o, ok);
}

static json_t *gate_to_json(const struct v2c_pb_gate *g)
{
        json_t *o = json_object();
        json_t *in = o ? jchild(o, g->kind == V2C_PB_GATE_WEBHOOK ? "webhook" : "approval", json_object()) : NULL;
        bool ok = in != NULL;
        if (g->kind == V2C_PB_GATE_WEBHOOK)
                ok = ok && jset(in, "url", v2c_json_str(g->url)) && jset(in, "timeout", jduration(g->timeout_ms)) &&
                     jset(in, "headers", jkvs(g->headers, g->n_headers));
        else if (g->message)
                ok = ok && jset(in, "message", v2c_json_str(g->message));
        return jdone(o, ok);
}

static json_t *step_to_json(const struct v2c_pb_step *s)
{
        json_t *o = json_object(), *pause;
        bool ok = o != NULL;
        switch (s->kind) {
        case V2C_PB_STEP_SET_WEIGHT:
                ok = ok && jset(o, "setWeight", json_integer(s->weight));
                break;
        case V2C_PB_STEP_PAUSE:
                pause = ok ? jchild(o, "pause", json_object()) : NULL;
                ok = pause && (s->pause_ms ? jset(pause, "duration", jduration(s->pause_ms))
                                           : jset(pause, "until", json_string("approved")));
                break;
        case V2C_PB_STEP_ANALYSIS:
                ok = ok && jset(o, "analysis", jrefs((const void *const *) s->analyses, s->n_analyses, true));
                break;
        case V2C_PB_STEP_GATE:
                ok = ok && jset(o, "gate", v2c_json_str(s->gate ? s->gate->name : NULL));
                break;
        }
        return jdone(o, ok);
}

static json_t *strategy_to_json(const struct v2c_pb_strategy *s)
{
        json_t *o = json_object();
        json_t *in = o ? jchild(o, s->kind == V2C_PB_CANARY ? "canary" : "blueGreen", json_object()) : NULL;
        bool ok = in != NULL;
        if (s->kind == V2C_PB_CANARY) {
                json_t *steps = ok ? jchild(in, "steps", json_array()) : NULL;
                ok = steps != NULL;
                for (size_t i = 0; ok && i < s->n_steps; i++)
                        ok = jpush(steps, step_to_json(&s->steps[i]));
        } else {
                ok = ok &&
                     jset(in, "pre_promotion_analysis",
                          jrefs((const void *const *) s->pre_promotion, s->n_pre_promotion, true)) &&
                     jset(in, "gates", jrefs((const void *const *) s->gates, s->n_gates, false)) &&
                     jset(in, "promotion", json_string(s->promotion == V2C_PB_PROMOTION_MANUAL ? "manual" : "auto")) &&
                     jset(in, "bake_time", jduration(s->bake_ms)) &&
                     jset(in, "post_promotion_analysis",
                          jrefs((const void *const *) s->post_promotion, s->n_post_promotion, true));
        }
        return jdone(o, ok);
}

static json_t *after_to_json(const struct v2c_pb_after *a)
{
        json_t *o = json_object();
        bool ok = o && jset(o, "vm", json_string(vm_ends[a->vm])) &&
                  jset(o, "drain_timeout", jduration(a->drain_timeout_ms)) &&
                  jset(o, "rollback_window", jduration(a->rollback_window_ms));
        json_t *fin = ok ? jchild(o, "finalize", json_object()) : NULL;
        ok = fin && jset(fin, "vm", json_string(finalize_vms[a->finalize_vm]));
        return jdone(o, ok);
}

static json_t *vm_to_json(const struct v2c_pb_vm *vm)
{
        json_t *o = json_object();
        bool ok = o != NULL;
        if (vm->kind == V2C_PB_VM_QMP) {
                ok = ok && jset(o, "qmp", v2c_json_str(vm->qmp));
        } else {
                json_t *lv = ok ? jchild(o, "libvirt", json_object()) : NULL;
                ok = lv && jset(lv, "domain", v2c_json_str(vm->domain)) && jset(lv, "uri", v2c_json_str(vm->uri));
        }
        ok = ok && jset(o, "endpoint", v2c_json_str(vm->endpoint)) &&
             jset(o, "shutdown_timeout", jduration(vm->shutdown_timeout_ms));
        return jdone(o, ok);
}

static json_t *container_to_json(const struct v2c_pb_container *ct)
{
        json_t *o = json_object();
        bool ok = o && jset(o, "engine", v2c_json_str(ct->engine)) && jset(o, "image", v2c_json_str(ct->image)) &&
                  jset(o, "name", v2c_json_str(ct->name));
        json_t *ports = ok ? jchild(o, "ports", json_array()) : NULL;
        ok = ports != NULL;
        for (size_t i = 0; ok && i < ct->n_ports; i++) {
                char buf[32];
                snprintf(buf, sizeof buf, "%u:%u", ct->ports[i].host_port, ct->ports[i].container_port);
                ok = jpush(ports, json_string(buf));
        }
        ok = ok && jset(o, "env", jkvs(ct->env, ct->n_env));
        json_t *vols = ok ? jchild(o, "volumes", json_array()) : NULL;
        ok = vols != NULL;
        for (size_t i = 0; ok && i < ct->n_volumes; i++) {
                _cleanup_free_ char *v = NULL;
                if (asprintf(&v, "%s:%s%s", ct->volumes[i].source, ct->volumes[i].target,
                             ct->volumes[i].read_only ? ":ro" : "") < 0) {
                        v = NULL;
                        ok = false;
                        break;
                }
                ok = jpush(vols, v2c_json_str(v));
        }
        json_t *ready = ok ? jchild(o, "readiness", json_object()) : NULL;
        ok = ready && jset(ready, "port", json_integer(ct->ready_port));
        if (ok && ct->ready_path)
                ok = jset(ready, "path", v2c_json_str(ct->ready_path));
        ok = ok && jset(ready, "timeout", jduration(ct->ready_timeout_ms));
        if (ok && !ct->harden.enabled) {
                ok = jset(o, "harden", json_false());
        } else if (ok) {
                json_t *h = jchild(o, "harden", json_object());
                ok = h && jset(h, "read_only_root", json_boolean(ct->harden.read_only_root)) &&
                     jset(h, "no_new_privileges", json_boolean(ct->harden.no_new_privileges)) &&
                     jset(h, "limits", json_boolean(ct->harden.limits));
        }
        return jdone(o, ok);
}

static json_t *router_to_json(const struct v2c_pb_router *rt)
{
        json_t *o = json_object();
        bool ok = o && jset(o, "socket", v2c_json_str(rt->socket)) && jset(o, "backend", v2c_json_str(rt->backend)) &&
                  jset(o, "vm_server", v2c_json_str(rt->vm_server)) &&
                  jset(o, "container_server", v2c_json_str(rt->container_server));
        return jdone(o, ok);
}

static json_t *service_to_json(const struct v2c_pb_service *s)
{
        json_t *o = json_object();
        bool ok = o && jset(o, "name", v2c_json_str(s->name)) && jset(o, "depends_on", v2c_json_strv(s->depends_on)) &&
                  jset(o, "vm", vm_to_json(&s->vm)) && jset(o, "container", container_to_json(&s->container)) &&
                  jset(o, "router", router_to_json(&s->router)) && jset(o, "strategy", strategy_to_json(&s->strategy)) &&
                  jset(o, "after_cutover", after_to_json(&s->after));
        return jdone(o, ok);
}

json_t *v2c_playbook_to_json(const struct v2c_playbook *pb)
{
        json_t *o = json_object();
        bool ok = o && jset(o, "version", json_integer(V2C_PLAYBOOK_VERSION)) && jset(o, "name", v2c_json_str(pb->name));
        json_t *analyses = ok ? jchild(o, "analyses", json_object()) : NULL;
        ok = analyses != NULL;
        for (size_t i = 0; ok && i < pb->n_analyses; i++)
                ok = jset(analyses, pb->analyses[i].name, analysis_to_json(&pb->analyses[i]));
        json_t *gates = ok ? jchild(o, "gates", json_object()) : NULL;
        ok = gates != NULL;
        for (size_t i = 0; ok && i < pb->n_gates; i++)
                ok = jset(gates, pb->gates[i].name, gate_to_json(&pb->gates[i]));
        json_t *waves = ok ? jchild(o, "waves", json_array()) : NULL;
        ok = waves != NULL;
        for (size_t i = 0; ok && i < pb->n_waves; i++) {
                const struct v2c_pb_wave *w = &pb->waves[i];
                json_t *wo = json_object();
                ok = jpush(waves, wo) && jset(wo, "name", v2c_json_str(w->name)) &&
                     jset(wo, "gates", jrefs((const void *const *) w->gates, w->n_gates, false));
                json_t *svcs = ok ? jchild(wo, "services", json_array()) : NULL;
                ok = svcs != NULL;
                for (size_t k = 0; ok && k < w->n_services; k++)
                        ok = jpush(svcs, service_to_json(&w->services[k]));
        }
        return jdone(o, ok);
}
