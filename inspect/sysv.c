/* SysV init scripts: the LSB header, and a guess at the daemon a script
 * starts.  The script is a shell program we must not run; instead its
 * lines go through v2c_shell_split(), simple NAME=value assignments are
 * followed in order (so DAEMON=/usr/sbin/$NAME resolves), and the
 * commands that start daemons (start-stop-daemon, daemon, start_daemon)
 * are looked at.  Control flow is ignored: an assignment in any branch
 * counts, the last one winning.  Also the rcN.d helper that tells which
 * scripts are enabled.  See unit-internal.h for the contract.
 */
#include "unit-internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "cleanup.h"
#include "text.h"
#include "strv.h"

#define SYSV_MAX_VALUE 4096   /* longer variable values are treated as unknown */
#define LSB_MAX_WORDS  256    /* words kept per LSB header list field */
#define LSB_MAX_TEXT   4096   /* bytes kept per LSB header text field */

struct v2c_sysv_script *v2c_sysv_script_free(struct v2c_sysv_script *s)
{
        if (s == NULL)
                return NULL;
        v2c_strv_free(s->provides);
        v2c_strv_free(s->required_start);
        v2c_strv_free(s->required_stop);
        v2c_strv_free(s->default_start);
        v2c_strv_free(s->default_stop);
        free(s->short_description);
        free(s->description);
        free(s->daemon);
        free(s->daemon_args);
        free(s->user);
        free(s->pidfile);
        free(s);
        return NULL;
}

V2C_DEFINE_CLEANUP(struct v2c_sysv_script, v2c_sysv_script_free)

static bool line_is(const char *l, size_t n, const char *what)
{
        v2c_span_trim(&l, &n, V2C_BLANKS);
        return n == strlen(what) && memcmp(l, what, n) == 0;
}

/* Replaces *slot with a new copy of s[0..n). */
static int set_text(char **slot, const char *s, size_t n)
{
        char *c = strndup(s, n);
        if (c == NULL)
                return -ENOMEM;
        free(*slot);
        *slot = c;
        return 0;
}

/* ======================================================================
 * LSB header (LSB Core, "Comment Conventions for Init Scripts")
 */

enum lsb_kind { LSB_LIST, LSB_TEXT };

struct lsb_field {
        const char *name;
        enum lsb_kind kind;
        size_t offset;
};

#define LIST_FIELD(n, m) { n, LSB_LIST, offsetof(struct v2c_sysv_script, m) }
#define TEXT_FIELD(n, m) { n, LSB_TEXT, offsetof(struct v2c_sysv_script, m) }

static const struct lsb_field lsb_fields[] = {
        LIST_FIELD("Provides", provides),
        LIST_FIELD("Required-Start", required_start),
        LIST_FIELD("Required-Stop", required_stop),
        LIST_FIELD("Default-Start", default_start),
        LIST_FIELD("Default-Stop", default_stop),
        TEXT_FIELD("Short-Description", short_description),
        TEXT_FIELD("Description", description),
};

static int add_words(char ***list, const char *s, size_t n)
{
        size_t i = 0, have = v2c_strv_len(*list);
        while (i < n && have < LSB_MAX_WORDS) {
                while (i < n && v2c_is_blank(s[i]))
                        i++;
                size_t start = i;
                while (i < n && !v2c_is_blank(s[i]))
                        i++;
                if (i > start) {
                        int r = v2c_strv_consume(list, strndup(s + start, i - start));
                        if (r < 0)
                                return r;
                        have++;
                }
        }
        return 0;
}

static int lsb_set(struct v2c_sysv_script *s, const struct lsb_field *f, const char *v, size_t n,
                   bool continuation)
{
        void *slot = (char *) s + f->offset;
        if (f->kind == LSB_LIST) {
                char ***list = slot;
                if (!continuation)
                        *list = v2c_strv_free(*list);
                return add_words(list, v, n);
        }

        char **text = slot;
        if (n > LSB_MAX_TEXT)
                n = LSB_MAX_TEXT;
        if (!continuation || *text == NULL)
                return set_text(text, v, n);
        size_t a = strlen(*text);
        /* Past the cap further lines are dropped: each one would copy the
         * whole text again. */
        if (n == 0 || a + 1 + n > LSB_MAX_TEXT)
                return 0;
        char *joined = realloc(*text, a + 1 + n + 1);
        if (joined == NULL)
                return -ENOMEM;
        joined[a] = ' ';
        memcpy(joined + a + 1, v, n);
        joined[a + 1 + n] = '\0';
        *text = joined;
        return 0;
}

static int parse_lsb_header(struct v2c_sysv_script *s, const char *data, size_t len)
{
        struct v2c_lines lines = { data, data + len, 0 };
        const char *l;
        size_t n;
        bool inside = false;
        const struct lsb_field *cur = NULL;

        while (v2c_lines_next(&lines, &l, &n)) {
                if (!inside) {
                        if (line_is(l, n, "### BEGIN INIT INFO"))
                                inside = s->has_lsb_header = true;
                        continue;
                }
                if (line_is(l, n, "### END INIT INFO") || n == 0 || l[0] != '#')
                        break;
                /* Fields end up in reports: keep text that prints. */
                if (memchr(l, '\0', n) || !v2c_utf8_valid(l, n)) {
                        cur = NULL;
                        continue;
                }

                const char *b = l + 1;
                size_t bn = n - 1;
                if (cur && bn > 0 && (b[0] == '\t' || (bn >= 2 && b[0] == ' ' && b[1] == ' '))) {
                        v2c_span_trim(&b, &bn, V2C_BLANKS);
                        int r = lsb_set(s, cur, b, bn, true);
                        if (r < 0)
                                return r;
                        continue;
                }

                cur = NULL;
                v2c_span_trim(&b, &bn, V2C_BLANKS);
                const char *colon = memchr(b, ':', bn);
                if (colon == NULL)
                        continue;
                const char *k = b, *v = colon + 1;
                size_t kn = (size_t) (colon - b), vn = bn - kn - 1;
                v2c_span_trim(&k, &kn, V2C_BLANKS);
                v2c_span_trim(&v, &vn, V2C_BLANKS);
                for (size_t i = 0; i < V2C_ARRAY_SIZE(lsb_fields); i++)
                        if (kn == strlen(lsb_fields[i].name) &&
                            strncasecmp(k, lsb_fields[i].name, kn) == 0) {
                                cur = &lsb_fields[i];
                                break;
                        }
                if (cur) {
                        int r = lsb_set(s, cur, v, vn, false);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

/* ======================================================================
 * Script body
 */

struct sysv_state {
        struct v2c_sysv_script *s;
        char **vars;              /* NAME=value with fully known values; room for
                                   * V2C_SYSV_MAX_VARS and the NULL */
        size_t n_vars;
        char *const *defaults;
        char *var_daemon;         /* last known DAEMON= */
        char *ssd_daemon;         /* first start-stop-daemon program */
        char *fn_daemon;          /* first daemon/start_daemon program */
        char *fn_args;            /* the words after it, when all known */
        char *ssd_user, *fn_user; /* --chuid of that start-stop-daemon, --user of that daemon */
};

static void var_remove(struct sysv_state *st, const char *name, size_t nn)
{
        for (size_t i = 0; i < st->n_vars; i++)
                if (strncmp(st->vars[i], name, nn) == 0 && st->vars[i][nn] == '=') {
                        free(st->vars[i]);
                        memmove(&st->vars[i], &st->vars[i + 1], (st->n_vars - i) * sizeof(char *));
                        st->n_vars--;
                        return;
                }
}

static bool name_is(const char *name, size_t nn, const char *what)
{
        return nn == strlen(what) && memcmp(name, what, nn) == 0;
}

/* Records NAME=value; an unknown value makes later $NAME stay unexpanded. */
static int assign(struct sysv_state *st, const char *name, size_t nn, const char *value, bool known)
{
        size_t vn = strlen(value);
        if (vn > SYSV_MAX_VALUE)
                known = false;

        var_remove(st, name, nn);
        if (known && st->n_vars < V2C_SYSV_MAX_VARS) {
                char *e = malloc(nn + 1 + vn + 1);
                if (e == NULL)
                        return -ENOMEM;
                memcpy(e, name, nn);
                e[nn] = '=';
                memcpy(e + nn + 1, value, vn + 1);
                st->vars[st->n_vars++] = e;
                st->vars[st->n_vars] = NULL;
        }

        if (name_is(name, nn, "DAEMON")) {
                if (known && vn > 0)
                        return set_text(&st->var_daemon, value, vn);
        } else if (name_is(name, nn, "PIDFILE")) {
                if (known && vn > 0)
                        return set_text(&st->s->pidfile, value, vn);
        } else if (name_is(name, nn, "DAEMON_OPTS") || name_is(name, nn, "DAEMON_ARGS") ||
                   name_is(name, nn, "ARGS")) {
                if (known && vn > 0)
                        return set_text(&st->s->daemon_args, value, vn);
                free(st->s->daemon_args);
                st->s->daemon_args = NULL;
        }
        return 0;
}

static int merge_defaults(struct sysv_state *st)
{
        for (size_t i = 0; st->defaults && st->defaults[i]; i++) {
                const char *d = st->defaults[i];
                const char *eq = strchr(d, '=');
                if (eq == NULL || !v2c_env_name_valid(d, (size_t) (eq - d)))
                        continue;
                int r = assign(st, d, (size_t) (eq - d), eq + 1, true);
                if (r < 0)
                        return r;
        }
        return 0;
}

static bool good_path(const struct v2c_shell_word *w)
{
        return w && w->kind == V2C_SHELL_WORD && !w->unexpanded && w->text[0] == '/';
}

/* The word after toks[*i] that is a WORD (redirections sit anywhere). */
static const struct v2c_shell_word *next_word(const struct v2c_shell_word *toks, size_t n, size_t *i)
{
        for (size_t j = *i + 1; j < n; j++)
                if (toks[j].kind == V2C_SHELL_WORD) {
                        *i = j;
                        return &toks[j];
                }
        *i = n;
        return NULL;
}

/* start-stop-daemon(8): --startas (-a) is what runs, --exec (-x) what is
 * checked for and the default for --startas. */
static int start_stop_daemon(struct sysv_state *st, const struct v2c_shell_word *toks, size_t n)
{
        const struct v2c_shell_word *exec = NULL, *startas = NULL;
        struct v2c_shell_word inline_exec = { 0 }, inline_startas = { 0 };
        const char *chuid = NULL;

        for (size_t i = 0; i < n; i++) {
                const struct v2c_shell_word *w = &toks[i];
                if (w->kind != V2C_SHELL_WORD)
                        continue;
                const char *t = w->text;
                if (strcmp(t, "--") == 0)
                        break;
                if (strcmp(t, "--exec") == 0 || strcmp(t, "-x") == 0)
                        exec = next_word(toks, n, &i);
                else if (strcmp(t, "--startas") == 0 || strcmp(t, "-a") == 0)
                        startas = next_word(toks, n, &i);
                else if (strncmp(t, "--exec=", 7) == 0) {
                        inline_exec = *w;
                        inline_exec.text = (char *) t + 7;
                        exec = &inline_exec;
                } else if (strncmp(t, "--startas=", 10) == 0) {
                        inline_startas = *w;
                        inline_startas.text = (char *) t + 10;
                        startas = &inline_startas;
                } else if (strcmp(t, "--chuid") == 0 || strcmp(t, "-c") == 0) {
                        const struct v2c_shell_word *u = next_word(toks, n, &i);
                        if (u && !u->unexpanded)
                                chuid = u->text;
                } else if (strncmp(t, "--chuid=", 8) == 0 && !w->unexpanded)
                        chuid = t + 8;
        }

        const struct v2c_shell_word *pick = good_path(startas) ? startas : good_path(exec) ? exec : NULL;
        if (pick == NULL || st->ssd_daemon)
                return 0;
        if (chuid && chuid[0] && chuid[0] != ':') {
                int r = set_text(&st->ssd_user, chuid, strcspn(chuid, ":"));
                if (r < 0)
                        return r;
        }
        return set_text(&st->ssd_daemon, pick->text, strlen(pick->text));
}

/* daemon [--user U] [--pidfile F] [--check N] [+/-nice] program ... (Red
 * Hat's /etc/init.d/functions) and start_daemon [-f] [-n nice] [-p pidfile]
 * program ... (LSB init-functions). */
static int daemon_function(struct sysv_state *st, bool lsb, const struct v2c_shell_word *toks,
                           size_t n)
{
        static const char *const rh_with_arg[] = { "--user", "--pidfile", "--check", "--nicelevel" };
        const struct v2c_shell_word *prog = NULL;
        const char *user = NULL;
        size_t i = 0;

        for (; i < n && prog == NULL; i++) {
                const struct v2c_shell_word *w = &toks[i];
                if (w->kind != V2C_SHELL_WORD)
                        continue;
                const char *t = w->text;
                if (lsb) {
                        if (strcmp(t, "-n") == 0 || strcmp(t, "-p") == 0)
                                next_word(toks, n, &i);
                        else if (strcmp(t, "-f") != 0)
                                prog = w;
                        continue;
                }
                if (strncmp(t, "--", 2) == 0) {
                        if (strncmp(t, "--user=", 7) == 0 && !w->unexpanded)
                                user = t + 7;
                        for (size_t k = 0; k < V2C_ARRAY_SIZE(rh_with_arg); k++)
                                if (strcmp(t, rh_with_arg[k]) == 0) {
                                        const struct v2c_shell_word *a = next_word(toks, n, &i);
                                        if (k == 0 && a && !a->unexpanded)
                                                user = a->text;
                                }
                        continue;
                }
                if ((t[0] == '+' || t[0] == '-') && t[1] && strspn(t + 1, "0123456789") == strlen(t + 1))
                        continue;
                prog = w;
        }

        if (!good_path(prog) || st->fn_daemon)
                return 0;
        if (user && user[0]) {
                int r = set_text(&st->fn_user, user, strlen(user));
                if (r < 0)
                        return r;
        }
        /* Its arguments ($OPTIONS of /etc/sysconfig/NAME, expanded when
         * known), joined for the caller to split again; one that kept an
         * unknown expansion is left out rather than guessed. */
        struct v2c_buf b;
        v2c_buf_init(&b, SYSV_MAX_VALUE);
        int r = 0;
        for (; i < n && r == 0; i++)
                if (toks[i].kind == V2C_SHELL_WORD && !toks[i].unexpanded && toks[i].text[0])
                        r = v2c_buf_appendf(&b, "%s%s", b.len ? " " : "", toks[i].text);
        if (r == -ENOMEM) {
                v2c_buf_release(&b);
                return r;
        }
        if (r == 0 && b.len)  /* too long (-E2BIG): no arguments rather than some */
                st->fn_args = v2c_buf_steal(&b);
        v2c_buf_release(&b);
        return set_text(&st->fn_daemon, prog->text, strlen(prog->text));
}

static bool is_reserved(const char *t)
{
        static const char *const words[] = { "if", "then", "else", "elif", "fi", "do", "done",
                                             "while", "until", "!", "{", "}", "time" };
        for (size_t i = 0; i < V2C_ARRAY_SIZE(words); i++)
                if (strcmp(t, words[i]) == 0)
                        return true;
        return false;
}

static const char *base_name(const char *path)
{
        const char *s = strrchr(path, '/');
        return s ? s + 1 : path;
}

static int assign_word(struct sysv_state *st, const struct v2c_shell_word *w)
{
        const char *eq = strchr(w->text, '=');
        return assign(st, w->text, (size_t) (eq - w->text), eq + 1, !w->unexpanded);
}

/* One simple command: toks[0..n) hold no operator. */
static int simple_command(struct sysv_state *st, const struct v2c_shell_word *toks, size_t n)
{
        size_t k = 0;
        while (k < n && (toks[k].kind != V2C_SHELL_WORD ||
                         (!toks[k].assignment && is_reserved(toks[k].text))))
                k++;
        size_t a = k;
        while (a < n && (toks[a].kind != V2C_SHELL_WORD || toks[a].assignment))
                a++;

        int r;
        if (a == n) {
                /* Only assignments: they set shell variables.  (Before a
                 * command they would only be that command's environment.) */
                for (size_t i = k; i < n; i++)
                        if (toks[i].kind == V2C_SHELL_WORD && (r = assign_word(st, &toks[i])) < 0)
                                return r;
                return 0;
        }

        const char *cmd = toks[a].text;
        if (strcmp(cmd, "export") == 0 || strcmp(cmd, "readonly") == 0 || strcmp(cmd, "local") == 0 ||
            strcmp(cmd, "declare") == 0 || strcmp(cmd, "typeset") == 0) {
                for (size_t i = a + 1; i < n; i++)
                        if (toks[i].kind == V2C_SHELL_WORD && toks[i].assignment &&
                            (r = assign_word(st, &toks[i])) < 0)
                                return r;
                return 0;
        }
        if (strcmp(cmd, ".") == 0 || strcmp(cmd, "source") == 0) {
                size_t i = a;
                const struct v2c_shell_word *arg = next_word(toks, n, &i);
                if (arg && !arg->unexpanded &&
                    (strncmp(arg->text, "/etc/default/", 13) == 0 ||
                     strncmp(arg->text, "/etc/sysconfig/", 15) == 0))
                        return merge_defaults(st);
                return 0;
        }
        if (strcmp(base_name(cmd), "start-stop-daemon") == 0)
                return start_stop_daemon(st, toks + a + 1, n - a - 1);
        if (strcmp(cmd, "daemon") == 0)
                return daemon_function(st, false, toks + a + 1, n - a - 1);
        if (strcmp(cmd, "start_daemon") == 0)
                return daemon_function(st, true, toks + a + 1, n - a - 1);
        return 0;
}

/* Where the logical line starting at p ends: the first newline outside
 * quotes and comments that no backslash escapes.  Sets *open when the
 * data ends inside a quote. */
static const char *logical_line_end(const char *p, const char *end, bool *open)
{
        char quote = 0;
        bool word_start = true;

        *open = false;
        while (p < end) {
                char c = *p;
                if (quote == '\'') {
                        if (c == '\'')
                                quote = 0;
                        p++;
                        continue;
                }
                if (c == '\\') {
                        p += p + 1 < end ? 2 : 1;
                        word_start = false;
                        continue;
                }
                if (quote == '"') {
                        if (c == '"')
                                quote = 0;
                        p++;
                        continue;
                }
                if (c == '\n')
                        return p;
                if (c == '#' && word_start) {
                        const char *nl = memchr(p, '\n', (size_t) (end - p));
                        p = nl ? nl : end;
                        continue;
                }
                if (c == '\'' || c == '"')
                        quote = c;
                word_start = c == ' ' || c == '\t' || c == ';' || c == '&' || c == '|' || c == '(' ||
                             c == ')';
                p++;
        }
        *open = quote != 0;
        return end;
}

const char *v2c_shell_line_end(const char *p, const char *end, bool *open)
{
        return logical_line_end(p, end, open);
}

static int run_line(struct sysv_state *st, const char *l, size_t n, bool *bad)
{
        struct v2c_shell_words w = { 0 };
        struct v2c_error *e = NULL;
        int r = v2c_shell_split(l, n, st->vars, &w, &e);
        v2c_error_free(e);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                *bad = true;
                return 0;
        }

        size_t i = 0;
        while (i < w.n && r >= 0) {
                size_t j = i;
                while (j < w.n && w.words[j].kind != V2C_SHELL_OPERATOR)
                        j++;
                r = simple_command(st, w.words + i, j - i);
                i = j + 1;
        }
        v2c_shell_words_release(&w);
        return r;
}

static int parse_body(struct sysv_state *st, const char *data, size_t len)
{
        const char *p = data, *end = data + len;

        while (p < end) {
                bool open = false, bad = false;
                const char *le = logical_line_end(p, end, &open);
                size_t n = (size_t) (le - p);

                if (open) {
                        /* A quote that never closes: give up on this
                         * physical line only, so that a stray quote does
                         * not swallow the rest of the script. */
                        const char *nl = memchr(p, '\n', (size_t) (end - p));
                        st->s->n_invalid++;
                        p = nl ? nl + 1 : end;
                        continue;
                }
                /* An over-long line is skipped whole: restarting inside it
                 * would scan the same bytes again for every line it holds. */
                if (n > V2C_PARSE_MAX_LINE)
                        bad = true;
                else {
                        int r = run_line(st, p, n, &bad);
                        if (r < 0)
                                return r;
                }
                if (bad)
                        st->s->n_invalid++;
                p = le < end ? le + 1 : end;
        }
        return 0;
}

int v2c_sysv_parse(const char *data, size_t len, char *const *defaults,
                   struct v2c_sysv_script **ret, struct v2c_error **err)
{
        if (len > V2C_PARSE_MAX_INPUT)
                return v2c_error_set(err, E2BIG, "init script of %zu bytes, more than %d", len,
                                     V2C_PARSE_MAX_INPUT);

        _cleanup_(v2c_sysv_script_freep) struct v2c_sysv_script *s = calloc(1, sizeof(*s));
        if (s == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");

        struct sysv_state st = { .s = s, .defaults = defaults };
        st.vars = calloc(V2C_SYSV_MAX_VARS + 1, sizeof(char *));
        if (st.vars == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        int r = parse_lsb_header(s, data, len);
        if (r >= 0)
                r = parse_body(&st, data, len);

        if (r >= 0) {
                if (st.var_daemon) {
                        s->daemon = TAKE_PTR(st.var_daemon);
                        s->daemon_source = V2C_SYSV_DAEMON_VARIABLE;
                } else if (st.ssd_daemon) {
                        s->daemon = TAKE_PTR(st.ssd_daemon);
                        s->daemon_source = V2C_SYSV_DAEMON_START_STOP_DAEMON;
                } else if (st.fn_daemon) {
                        s->daemon = TAKE_PTR(st.fn_daemon);
                        s->daemon_source = V2C_SYSV_DAEMON_FUNCTION;
                        if (s->daemon_args == NULL)
                                s->daemon_args = TAKE_PTR(st.fn_args);
                }
                /* DAEMON= is most often run by start-stop-daemon. */
                s->user = s->daemon_source == V2C_SYSV_DAEMON_FUNCTION ? TAKE_PTR(st.fn_user)
                          : st.ssd_user                              ? TAKE_PTR(st.ssd_user)
                                                                     : TAKE_PTR(st.fn_user);
        }
        v2c_strv_free(st.vars);
        free(st.var_daemon);
        free(st.ssd_daemon);
        free(st.fn_daemon);
        free(st.fn_args);
        free(st.ssd_user);
        free(st.fn_user);
        if (r < 0)
                return v2c_error_set(err, ENOMEM, "out of memory");

        *ret = TAKE_PTR(s);
        return 0;
}

/* ======================================================================
 * /etc/rcN.d
 */

/* "S20foo" gives "foo"; NULL for anything else. */
static const char *start_link_name(const char *e)
{
        if (e[0] != 'S')
                return NULL;
        size_t d = strspn(e + 1, "0123456789");
        const char *name = e + 1 + d;
        if (d == 0 || *name == '\0' || strchr(name, '/') || strcmp(name, ".") == 0 ||
            strcmp(name, "..") == 0)
                return NULL;
        return name;
}

int v2c_sysv_enabled(char *const *const rc[7], char ***ret, struct v2c_error **err)
{
        size_t total = 0;
        for (int lvl = 2; lvl <= 5; lvl++)
                total += v2c_strv_len(rc[lvl]);

        _cleanup_strv_ char **v = calloc(total + 1, sizeof(char *));
        size_t n = 0;
        if (v == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");

        for (int lvl = 2; lvl <= 5; lvl++)
                for (size_t i = 0; rc[lvl] && rc[lvl][i]; i++) {
                        const char *name = start_link_name(rc[lvl][i]);
                        if (name == NULL)
                                continue;
                        v[n] = strdup(name);
                        if (v[n] == NULL)
                                return v2c_error_set(err, ENOMEM, "out of memory");
                        n++;
                }

        /* One sort at the end: v2c_strv_push_unique() per name would be
         * quadratic on a hostile directory listing. */
        v2c_strv_sort_uniq(v);

        *ret = TAKE_PTR(v);
        return 0;
}
