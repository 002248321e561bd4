/* What a service's own scripts write, read from their text without running
 * them: shell through the init-script tokeniser (v2c_shell_split), Python
 * and Perl through a small lexer that knows strings, names and brackets,
 * and a handful of call patterns per language.  The aim is evidence for
 * the class of a service, not a model of the language: control flow is
 * ignored, every branch counts, and whatever a script computes at run time
 * stays "unknown" (kept as written) rather than guessed.  See
 * writes-internal.h for the contract and docs/inspect-report.md for how
 * the class uses it.
 */
#include "writes-internal.h"
#include "buf.h"
#include "cleanup.h"
#include "path.h"
#include "strv.h"
#include "unit-internal.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define UNKNOWN_PART "\xe2\x80\xa6"   /* "…" stands for what a Python or Perl script computes */
#define STMT_MAX_TOKENS 4096          /* tokens of one statement kept; the rest is dropped */
#define LEX_MAX_TOKENS (256 * 1024)   /* tokens of one script */
#define STMT_MAX_CALLS 64             /* calls looked into per statement: each costs a walk of it */

/* ======================================================================
 * Places
 */

static const char *const volatile_roots[] = { "/run", "/var/run", "/tmp", "/var/tmp", "/dev", "/proc",
                                              "/sys", "/var/log", "/var/cache", "/var/lock" };
static const char *const data_roots[] = { "/var/lib", "/var/spool", "/var/mail", "/var/backups", "/var/opt",
                                          "/srv", "/home", "/root", "/data" };

enum v2c_place v2c_path_place(const char *path, char *const *names)
{
        if (path == NULL || path[0] != '/')
                return V2C_PLACE_OTHER;
        for (size_t i = 0; i < V2C_ARRAY_SIZE(volatile_roots); i++)
                if (v2c_path_is_under(path, volatile_roots[i]))
                        return V2C_PLACE_VOLATILE;
        for (size_t i = 0; i < V2C_ARRAY_SIZE(data_roots); i++)
                if (v2c_path_is_under(path, data_roots[i]))
                        return V2C_PLACE_DATA;
        /* /etc/NAME and /usr/share/NAME are the package's own files, not data. */
        if (v2c_path_is_under(path, "/etc") ||
            (v2c_path_is_under(path, "/usr") && !v2c_path_is_under(path, "/usr/local/var")))
                return V2C_PLACE_OTHER;
        for (size_t k = 0; names && names[k]; k++) {
                size_t nl = strlen(names[k]);
                if (nl == 0)
                        continue;
                for (const char *p = path; (p = strchr(p, '/')) != NULL; p++)
                        if (strncmp(p + 1, names[k], nl) == 0 && (p[1 + nl] == '/' || p[1 + nl] == '\0'))
                                return V2C_PLACE_DATA;
        }
        return V2C_PLACE_OTHER;
}

bool v2c_is_database_file(const char *path)
{
        static const char *const exts[] = { ".db", ".sqlite", ".sqlite3", ".db3" };
        if (path == NULL)
                return false;
        const char *base = v2c_path_basename(path);
        size_t bl = strlen(base);
        for (size_t i = 0; i < V2C_ARRAY_SIZE(exts); i++) {
                size_t el = strlen(exts[i]);
                if (bl > el && strcasecmp(base + bl - el, exts[i]) == 0)
                        return true;
        }
        return false;
}

enum v2c_script_lang v2c_script_lang(const char *interpreter)
{
        if (interpreter == NULL)
                return V2C_SCRIPT_OTHER;
        const char *b = v2c_path_basename(interpreter);
        static const char *const shells[] = { "sh", "bash", "dash", "ksh", "mksh", "ash", "busybox", "zsh" };
        for (size_t i = 0; i < V2C_ARRAY_SIZE(shells); i++)
                if (strcmp(b, shells[i]) == 0)
                        return V2C_SCRIPT_SHELL;
        if (strncmp(b, "python", 6) == 0)
                return V2C_SCRIPT_PYTHON;
        if (strncmp(b, "perl", 4) == 0)
                return V2C_SCRIPT_PERL;
        return V2C_SCRIPT_OTHER;
}

/* ======================================================================
 * Results and variables
 */

void v2c_accesses_release(struct v2c_accesses *a)
{
        if (a == NULL)
                return;
        for (size_t i = 0; i < a->n; i++)
                free(a->items[i].path);
        free(a->items);
        v2c_strv_free(a->calls);
        *a = (struct v2c_accesses) { 0 };
}

/* Bytes of text known from its start: up to the first expansion the
 * tokeniser kept as written, or the first UNKNOWN_PART. */
static size_t known_prefix(const char *text)
{
        size_t k = strcspn(text, "$`");
        const char *u = strstr(text, UNKNOWN_PART);
        if (u && (size_t) (u - text) < k)
                k = (size_t) (u - text);
        return k;
}

static int add_access(struct v2c_accesses *out, enum v2c_access_kind kind, const char *text, bool known,
                      unsigned line)
{
        if (text == NULL || text[0] == '\0')
                return 0;
        if (out->n >= V2C_ACCESS_MAX) {
                out->truncated = true;
                return 0;
        }
        char *path = NULL;
        if (known && text[0] == '/') {
                int r = v2c_path_normalize(NULL, text, &path);
                if (r == -ENOMEM)
                        return r;
        }
        if (path == NULL && (path = strdup(text)) == NULL)
                return -ENOMEM;
        if (out->n % 16 == 0) {
                struct v2c_access *ni = realloc(out->items, (out->n + 16) * sizeof *ni);
                if (ni == NULL) {
                        free(path);
                        return -ENOMEM;
                }
                out->items = ni;
        }
        size_t kl = known ? strlen(path) : known_prefix(path);
        out->items[out->n++] = (struct v2c_access) {
                .kind = kind, .path = path, .known = known && kl == strlen(path), .known_len = kl, .line = line,
        };
        return 0;
}

/* Variables: a strv of NAME=VALUE where each NAME appears once; a value we
 * cannot know removes NAME, so an earlier value never stands in for it. */
struct vars {
        char **v;
        size_t n;
};

static void vars_release(struct vars *vs)
{
        vs->v = v2c_strv_free(vs->v);
        vs->n = 0;
}

static const char *vars_get(const struct vars *vs, const char *name, size_t nl)
{
        return v2c_env_lookup(vs->v, name, nl);
}

static int vars_set(struct vars *vs, const char *name, size_t nl, const char *value)
{
        size_t w = 0;
        for (size_t i = 0; i < vs->n; i++) {
                if (strncmp(vs->v[i], name, nl) == 0 && vs->v[i][nl] == '=')
                        free(vs->v[i]);
                else
                        vs->v[w++] = vs->v[i];
        }
        vs->n = w;
        if (vs->v)
                vs->v[w] = NULL;
        if (value == NULL || vs->n >= V2C_ACCESS_MAX_VARS || strlen(value) > V2C_PARSE_MAX_LINE)
                return 0;
        char **nv = realloc(vs->v, (vs->n + 2) * sizeof *nv);
        if (nv == NULL)
                return -ENOMEM;
        vs->v = nv;
        if (asprintf(&vs->v[vs->n], "%.*s=%s", (int) nl, name, value) < 0) {
                vs->v[vs->n] = NULL;
                return -ENOMEM;
        }
        vs->v[++vs->n] = NULL;
        return 0;
}

static int vars_init(struct vars *vs, char *const *init)
{
        *vs = (struct vars) { 0 };
        for (size_t i = 0; init && init[i]; i++) {
                const char *eq = strchr(init[i], '=');
                if (eq && vars_set(vs, init[i], (size_t) (eq - init[i]), eq + 1) < 0)
                        return -ENOMEM;
        }
        return 0;
}

/* ======================================================================
 * Shell
 */

static bool shell_reserved(const char *t)
{
        static const char *const words[] = { "if", "then", "else", "elif", "fi", "do", "done", "while", "until",
                                             "!", "{", "}", "time", "case", "esac", "in", "exec", "nohup",
                                             "command", "builtin", "eval" };
        for (size_t i = 0; i < V2C_ARRAY_SIZE(words); i++)
                if (strcmp(t, words[i]) == 0)
                        return true;
        return false;
}

/* A redirection token: "2>>/x", ">$LOG", "&>/dev/null", "2>&1", "<in". */
static int shell_redirect(struct v2c_accesses *out, const struct v2c_shell_word *w, unsigned line)
{
        const char *t = w->text;
        t += strspn(t, "0123456789");
        enum v2c_access_kind kind = V2C_ACCESS_WRITE;
        if (t[0] == '&')
                t++;
        if (strncmp(t, "<>", 2) == 0)
                t += 2;
        else if (strncmp(t, ">>", 2) == 0) {
                kind = V2C_ACCESS_APPEND;
                t += 2;
        } else if (strncmp(t, ">|", 2) == 0)
                t += 2;
        else if (strncmp(t, ">&", 2) == 0) {
                t += 2;
                if (t[0] == '\0' || t[0] == '-' || (t[0] >= '0' && t[0] <= '9'))
                        return 0;   /* a descriptor, not a file */
        } else if (t[0] == '>')
                t++;
        else
                return 0;           /* input */
        return add_access(out, kind, t, !w->unexpanded, line);
}

/* Operands of a command: words after it that are not options; options
 * taking a value listed in with_value skip it. */
static size_t operands(const struct v2c_shell_word *const *args, size_t n, const char *with_value,
                       const struct v2c_shell_word **ops, size_t max)
{
        size_t k = 0;
        bool end_of_options = false;
        for (size_t i = 0; i < n && k < max; i++) {
                const char *t = args[i]->text;
                if (!end_of_options && strcmp(t, "--") == 0) {
                        end_of_options = true;
                        continue;
                }
                if (!end_of_options && t[0] == '-' && t[1] != '\0') {
                        if (t[1] != '-' && t[2] == '\0' && with_value && strchr(with_value, t[1]))
                                i++;
                        continue;
                }
                ops[k++] = args[i];
        }
        return k;
}

static bool has_option(const struct v2c_shell_word *const *args, size_t n, char shortopt, const char *longopt)
{
        for (size_t i = 0; i < n; i++) {
                const char *t = args[i]->text;
                if (strcmp(t, "--") == 0)
                        return false;
                if (longopt && strcmp(t, longopt) == 0)
                        return true;
                if (shortopt && t[0] == '-' && t[1] != '-' && strchr(t + 1, shortopt))
                        return true;
        }
        return false;
}

/* Value of "-X VALUE", "--long VALUE" or "--long=VALUE" (borrowed), or NULL. */
static const struct v2c_shell_word *option_value(const struct v2c_shell_word *const *args, size_t n, const char *shortopt,
                                                 const char *longopt, const char **text)
{
        size_t ll = longopt ? strlen(longopt) : 0;
        for (size_t i = 0; i < n; i++) {
                const char *t = args[i]->text;
                if (strcmp(t, "--") == 0)
                        return NULL;
                if (longopt && strncmp(t, longopt, ll) == 0 && t[ll] == '=') {
                        *text = t + ll + 1;
                        return args[i];
                }
                if (((shortopt && strcmp(t, shortopt) == 0) || (longopt && strcmp(t, longopt) == 0)) && i + 1 < n) {
                        *text = args[i + 1]->text;
                        return args[i + 1];
                }
        }
        return NULL;
}

struct shell_scan {
        struct v2c_accesses *out;
        struct vars vars;
        unsigned line;
};

/* args[0] is the command word. */
static int shell_command(struct shell_scan *sc, const struct v2c_shell_word *const *args, size_t n)
{
        struct v2c_accesses *out = sc->out;
        const char *cmd = args[0]->text;
        const char *base = v2c_path_basename(cmd);
        const struct v2c_shell_word *ops[64];
        const char *text = NULL;
        const struct v2c_shell_word *w;
        size_t k;
        int r = 0;

        if (strcmp(cmd, ".") == 0 || strcmp(cmd, "source") == 0) {
                if (n > 1 && !args[1]->unexpanded && args[1]->text[0] == '/' &&
                    v2c_strv_len(out->calls) < V2C_ACCESS_MAX_CALLS)
                        r = v2c_strv_push_unique(&out->calls, args[1]->text);
                return r;
        }
        if (cmd[0] == '/' && !args[0]->unexpanded && v2c_strv_len(out->calls) < V2C_ACCESS_MAX_CALLS &&
            (r = v2c_strv_push_unique(&out->calls, cmd)) < 0)
                return r;

        if (strcmp(base, "tee") == 0) {
                enum v2c_access_kind kind = has_option(args + 1, n - 1, 'a', "--append") ? V2C_ACCESS_APPEND
                                                                                         : V2C_ACCESS_WRITE;
                k = operands(args + 1, n - 1, NULL, ops, V2C_ARRAY_SIZE(ops));
                for (size_t i = 0; r >= 0 && i < k; i++)
                        r = add_access(out, kind, ops[i]->text, !ops[i]->unexpanded, sc->line);
        } else if (strcmp(base, "touch") == 0 || strcmp(base, "mkdir") == 0 ||
                   (strcmp(base, "install") == 0 && has_option(args + 1, n - 1, 'd', "--directory"))) {
                enum v2c_access_kind kind = strcmp(base, "touch") == 0 ? V2C_ACCESS_WRITE : V2C_ACCESS_MKDIR;
                k = operands(args + 1, n - 1, "mgo", ops, V2C_ARRAY_SIZE(ops));
                for (size_t i = 0; r >= 0 && i < k; i++)
                        r = add_access(out, kind, ops[i]->text, !ops[i]->unexpanded, sc->line);
        } else if (strcmp(base, "cp") == 0 || strcmp(base, "mv") == 0 || strcmp(base, "install") == 0 ||
                   strcmp(base, "rsync") == 0 || strcmp(base, "ln") == 0) {
                if ((w = option_value(args + 1, n - 1, "-t", "--target-directory", &text)) != NULL)
                        r = add_access(out, V2C_ACCESS_WRITE, text, !w->unexpanded, sc->line);
                else if ((k = operands(args + 1, n - 1, "mgoSeTt", ops, V2C_ARRAY_SIZE(ops))) >= 2)
                        r = add_access(out, V2C_ACCESS_WRITE, ops[k - 1]->text, !ops[k - 1]->unexpanded, sc->line);
        } else if (strcmp(base, "dd") == 0) {
                for (size_t i = 1; r >= 0 && i < n; i++)
                        if (strncmp(args[i]->text, "of=", 3) == 0)
                                r = add_access(out, V2C_ACCESS_WRITE, args[i]->text + 3, !args[i]->unexpanded,
                                               sc->line);
        } else if (strcmp(base, "tar") == 0 && n > 1) {
                /* Only archives it creates: "tar -czf OUT", "tar czf OUT", "tar --create --file=OUT". */
                const char *first = args[1]->text;
                bool bundled = first[0] != '-' || (first[1] != '-' && first[1] != '\0');
                const char *cl = first + (first[0] == '-');
                bool create = has_option(args + 1, n - 1, 0, "--create") ||
                              (bundled && strpbrk(cl, "cru") != NULL);
                if (create && (w = option_value(args + 1, n - 1, "-f", "--file", &text)) != NULL)
                        r = add_access(out, V2C_ACCESS_WRITE, text, !w->unexpanded, sc->line);
                else if (create && bundled && strchr(cl, 'f') && n > 2)
                        r = add_access(out, V2C_ACCESS_WRITE, args[2]->text, !args[2]->unexpanded, sc->line);
        } else if (strcmp(base, "sqlite3") == 0) {
                k = operands(args + 1, n - 1, NULL, ops, 1);
                if (k == 1)
                        r = add_access(out, V2C_ACCESS_DATABASE, ops[0]->text, !ops[0]->unexpanded, sc->line);
        }
        return r;
}

/* Every absolute path a word holds, alone or after "=": "--data=/srv/x". */
static int shell_names(struct shell_scan *sc, const struct v2c_shell_word *w)
{
        const char *t = w->text;
        if (t[0] != '/') {
                const char *eq = strchr(t, '=');
                if (eq == NULL || eq[1] != '/')
                        return 0;
                t = eq + 1;
        }
        if (strcmp(t, "/") == 0 || strcmp(t, "/dev/null") == 0)
                return 0;
        return add_access(sc->out, V2C_ACCESS_NAME, t, !w->unexpanded, sc->line);
}

static int shell_simple(struct shell_scan *sc, const struct v2c_shell_word *toks, size_t n)
{
        const struct v2c_shell_word *args[256];
        size_t na = 0;
        bool command_seen = false;
        int r = 0;
        for (size_t i = 0; r >= 0 && i < n; i++) {
                const struct v2c_shell_word *t = &toks[i];
                if (t->kind == V2C_SHELL_REDIRECT) {
                        r = shell_redirect(sc->out, t, sc->line);
                        continue;
                }
                if (!command_seen && t->assignment) {
                        /* NAME=value: a variable; its value may name a path. */
                        const char *eq = strchr(t->text, '=');
                        r = vars_set(&sc->vars, t->text, (size_t) (eq - t->text), t->unexpanded ? NULL : eq + 1);
                        if (r >= 0 && eq[1] == '/' && strcmp(eq + 1, "/dev/null") != 0)
                                r = add_access(sc->out, V2C_ACCESS_NAME, eq + 1, !t->unexpanded, sc->line);
                        continue;
                }
                if (!command_seen && shell_reserved(t->text))
                        continue;
                if (strcmp(t->text, "export") == 0 || strcmp(t->text, "local") == 0 ||
                    strcmp(t->text, "readonly") == 0 || strcmp(t->text, "declare") == 0) {
                        /* their NAME=value words are assignments too */
                        if (!command_seen)
                                continue;
                }
                command_seen = true;
                if (na < V2C_ARRAY_SIZE(args))
                        args[na++] = t;
        }
        if (r < 0 || na == 0)
                return r;
        r = shell_command(sc, args, na);
        for (size_t i = 1; r >= 0 && i < na; i++)
                r = shell_names(sc, args[i]);
        return r;
}

static int shell_scan(const char *data, size_t len, char *const *vars, struct v2c_accesses *out)
{
        struct shell_scan sc = { .out = out, .line = 1 };
        int r = vars_init(&sc.vars, vars);
        const char *p = data, *end = data + len;
        while (r >= 0 && p < end) {
                bool open;
                const char *le = v2c_shell_line_end(p, end, &open);
                struct v2c_shell_words w = { 0 };
                /* A line the tokeniser refuses (unbalanced quote) is skipped. */
                if (!open && v2c_shell_split(p, (size_t) (le - p), sc.vars.v, &w, NULL) == 0) {
                        size_t start = 0;
                        for (size_t i = 0; r >= 0 && i <= w.n; i++)
                                if (i == w.n || w.words[i].kind == V2C_SHELL_OPERATOR) {
                                        r = shell_simple(&sc, w.words + start, i - start);
                                        start = i + 1;
                                }
                        v2c_shell_words_release(&w);
                }
                for (const char *q = p; q < le; q++)
                        sc.line += *q == '\n';
                if (le < end)
                        sc.line++;
                p = le < end ? le + 1 : end;
        }
        vars_release(&sc.vars);
        return r;
}

/* ======================================================================
 * Python and Perl: tokens
 */

enum tok_kind { T_NAME, T_STR, T_OP, T_END };

struct tok {
        enum tok_kind kind;
        char *text;          /* T_NAME: the name ("os", "$dir"); T_STR: the raw body; T_OP: the operator */
        bool interpolate;    /* T_STR: an f-string or a Perl "..." */
        unsigned line;
};

struct toks {
        struct tok *v;
        size_t n, cap;
};

static void toks_release(struct toks *t)
{
        for (size_t i = 0; i < t->n; i++)
                free(t->v[i].text);
        free(t->v);
        *t = (struct toks) { 0 };
}

static int toks_push(struct toks *t, enum tok_kind kind, const char *s, size_t n, bool interp, unsigned line)
{
        if (t->n >= LEX_MAX_TOKENS)
                return -E2BIG;
        if (t->n == t->cap) {
                size_t nc = t->cap ? t->cap * 2 : 256;
                struct tok *nv = realloc(t->v, nc * sizeof *nv);
                if (nv == NULL)
                        return -ENOMEM;
                t->v = nv;
                t->cap = nc;
        }
        char *text = strndup(s, n);
        if (text == NULL)
                return -ENOMEM;
        t->v[t->n++] = (struct tok) { kind, text, interp, line };
        return 0;
}

static bool name_char(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
               (unsigned char) c >= 0x80;
}

/* Python: statements end at a newline outside brackets (an ";" counts as
 * an end too); strings with prefixes and triple quotes; '#' comments. */
static int lex_python(const char *p, const char *end, struct toks *t)
{
        unsigned line = 1, depth = 0;
        int r = 0;
        while (r >= 0 && p < end) {
                char c = *p;
                if (c == '\n') {
                        if (depth == 0)
                                r = toks_push(t, T_END, "", 0, false, line);
                        line++;
                        p++;
                } else if (c == '\\' && p + 1 < end && p[1] == '\n') {
                        line++;
                        p += 2;
                } else if (c == '#') {
                        while (p < end && *p != '\n')
                                p++;
                } else if (c == ' ' || c == '\t' || c == '\r' || c == '\f') {
                        p++;
                } else if (name_char(c) || c == '\'' || c == '"') {
                        const char *s = p;
                        while (p < end && name_char(*p))
                                p++;
                        size_t pl = (size_t) (p - s);
                        bool prefix = pl <= 2 && p < end && (*p == '\'' || *p == '"') && strspn(s, "rRbBuUfF") >= pl;
                        if (pl > 0 && !prefix) {
                                r = toks_push(t, T_NAME, s, pl, false, line);
                                continue;
                        }
                        bool fstr = memchr(s, 'f', pl) || memchr(s, 'F', pl);
                        bool raw = memchr(s, 'r', pl) || memchr(s, 'R', pl);
                        char q = *p;
                        bool triple = end - p >= 3 && p[1] == q && p[2] == q;
                        p += triple ? 3 : 1;
                        struct v2c_buf b;
                        v2c_buf_init(&b, V2C_PARSE_MAX_LINE);
                        unsigned start_line = line;
                        while (p < end) {
                                if (*p == '\\' && p + 1 < end && !raw) {
                                        if (p[1] == '\n')
                                                line++;
                                        else if (v2c_buf_append(&b, p + 1, 1) == -ENOMEM)
                                                r = -ENOMEM;
                                        p += 2;
                                        continue;
                                }
                                if (*p == q && (!triple || (end - p >= 3 && p[1] == q && p[2] == q))) {
                                        p += triple ? 3 : 1;
                                        break;
                                }
                                if (*p == '\n') {
                                        if (!triple)
                                                break;   /* unterminated: the line ends it */
                                        line++;
                                }
                                if (v2c_buf_append(&b, p, 1) == -ENOMEM)
                                        r = -ENOMEM;
                                p++;
                        }
                        if (r >= 0)
                                r = toks_push(t, T_STR, b.data ? b.data : "", b.len, fstr, start_line);
                        v2c_buf_release(&b);
                } else {
                        if (c == '(' || c == '[' || c == '{')
                                depth++;
                        else if ((c == ')' || c == ']' || c == '}') && depth > 0)
                                depth--;
                        if (c == ';' && depth == 0)
                                r = toks_push(t, T_END, "", 0, false, line);
                        else
                                r = toks_push(t, T_OP, p, 1, false, line);
                        p++;
                }
        }
        if (r >= 0)
                r = toks_push(t, T_END, "", 0, false, line);
        return r;
}

/* Perl: statements end at ';' or a brace; names keep their sigil and
 * "::"; '...' and "..." strings (the latter interpolate); POD skipped. */
static int lex_perl(const char *p, const char *end, struct toks *t)
{
        unsigned line = 1;
        bool line_start = true;
        int r = 0;
        while (r >= 0 && p < end) {
                char c = *p;
                if (line_start && c == '=' && p + 1 < end && name_char(p[1])) {
                        /* POD runs to a line starting "=cut". */
                        while (p < end) {
                                const char *nl = memchr(p, '\n', (size_t) (end - p));
                                bool cut = end - p >= 4 && memcmp(p, "=cut", 4) == 0;
                                p = nl ? nl + 1 : end;
                                line++;
                                if (cut)
                                        break;
                        }
                        continue;
                }
                line_start = false;
                if (c == '\n') {
                        line++;
                        line_start = true;
                        p++;
                } else if (c == '#') {
                        while (p < end && *p != '\n')
                                p++;
                } else if (c == ' ' || c == '\t' || c == '\r' || c == '\f') {
                        p++;
                } else if (name_char(c) || ((c == '$' || c == '@' || c == '%') && p + 1 < end && name_char(p[1]))) {
                        const char *s = p++;
                        for (;;) {
                                if (p < end && name_char(*p))
                                        p++;
                                else if (end - p >= 3 && p[0] == ':' && p[1] == ':' && name_char(p[2]))
                                        p += 2;   /* File::Path::make_path */
                                else
                                        break;
                        }
                        r = toks_push(t, T_NAME, s, (size_t) (p - s), false, line);
                } else if (c == '\'' || c == '"') {
                        const char *s = ++p;
                        unsigned start_line = line;
                        while (p < end && *p != c) {
                                if (*p == '\\' && p + 1 < end)
                                        p++;
                                line += *p == '\n';
                                p++;
                        }
                        r = toks_push(t, T_STR, s, (size_t) (p - s), c == '"', start_line);
                        if (p < end)
                                p++;
                } else if (c == ';' || c == '{' || c == '}') {
                        r = toks_push(t, T_END, "", 0, false, line);
                        p++;
                } else if (c == '-' && p + 1 < end && p[1] == '>') {
                        r = toks_push(t, T_OP, p, 2, false, line);
                        p += 2;
                } else {
                        r = toks_push(t, T_OP, p, 1, false, line);
                        p++;
                }
        }
        if (r >= 0)
                r = toks_push(t, T_END, "", 0, false, line);
        return r;
}

/* ======================================================================
 * Python and Perl: expressions and calls
 */

struct stmt_scan {
        enum v2c_script_lang lang;
        struct v2c_accesses *out;
        struct vars vars;
        const struct tok *t;   /* the statement */
        size_t n;
        unsigned calls_left;   /* STMT_MAX_CALLS, counted down */
};

static bool is_op(const struct tok *t, const char *op)
{
        return t->kind == T_OP && strcmp(t->text, op) == 0;
}

/* Index just past the bracket closing the one at i (n when unbalanced). */
static size_t skip_group(const struct tok *t, size_t i, size_t n)
{
        unsigned depth = 0;
        for (; i < n; i++) {
                if (t[i].kind != T_OP)
                        continue;
                char c = t[i].text[0];
                if (c == '(' || c == '[' || c == '{')
                        depth++;
                else if ((c == ')' || c == ']' || c == '}') && --depth == 0)
                        return i + 1;
        }
        return n;
}

/* A string's value: escapes already removed (Python) or kept (Perl '...'),
 * {NAME} in f-strings and $NAME / ${NAME} in Perl "..." replaced when
 * known, UNKNOWN_PART otherwise. */
static int string_value(struct stmt_scan *sc, const struct tok *t, struct v2c_buf *b)
{
        const char *s = t->text;
        if (!t->interpolate)
                return v2c_buf_appends(b, s);
        int r = 0;
        while (r >= 0 && *s) {
                if (sc->lang == V2C_SCRIPT_PYTHON && *s == '{') {
                        if (s[1] == '{') {
                                r = v2c_buf_append(b, "{", 1);
                                s += 2;
                                continue;
                        }
                        const char *close = strchr(s, '}');
                        if (close == NULL)
                                break;
                        size_t nl = (size_t) (close - s - 1);
                        const char *v = v2c_env_name_valid(s + 1, nl) ? vars_get(&sc->vars, s + 1, nl) : NULL;
                        r = v2c_buf_appends(b, v ? v : UNKNOWN_PART);
                        s = close + 1;
                } else if (sc->lang == V2C_SCRIPT_PERL && *s == '$' && (name_char(s[1]) || s[1] == '{')) {
                        bool brace = s[1] == '{';
                        const char *n0 = s + 1 + brace;
                        size_t nl = 0;
                        while (name_char(n0[nl]))
                                nl++;
                        char name[260];
                        const char *v = NULL;
                        if (nl > 0 && nl < sizeof name - 1 && (!brace || n0[nl] == '}')) {
                                name[0] = '$';
                                memcpy(name + 1, n0, nl);
                                v = vars_get(&sc->vars, name, nl + 1);
                        }
                        r = v2c_buf_appends(b, v ? v : UNKNOWN_PART);
                        s = n0 + nl + (brace && n0[nl] == '}');
                } else if (sc->lang == V2C_SCRIPT_PERL && *s == '\\' && s[1]) {
                        r = v2c_buf_append(b, s + 1, 1);
                        s += 2;
                } else {
                        r = v2c_buf_append(b, s, 1);
                        s++;
                }
        }
        return r;
}

static int append_join(struct v2c_buf *b, const char *part)
{
        /* os.path.join: an absolute part starts over. */
        if (part[0] == '/') {
                v2c_buf_reset(b);
                return v2c_buf_appends(b, part);
        }
        if (b->len > 0 && b->data[b->len - 1] != '/' && v2c_buf_append(b, "/", 1) < 0)
                return -ENOMEM;
        return v2c_buf_appends(b, part);
}

static size_t eval_expr(struct stmt_scan *sc, size_t i, size_t end, struct v2c_buf *out, unsigned depth);

/* Arguments of the call whose '(' is at i: start index of each (at most
 * max), their count; *close gets the index past ')'.  Keyword arguments
 * ("mode=") are returned with kw set to the keyword token. */
struct arg {
        size_t start, end;
        const char *kw;
};

static size_t call_args(const struct tok *t, size_t i, size_t n, struct arg *args, size_t max, size_t *close)
{
        size_t k = 0, stop = skip_group(t, i, n);
        size_t a = i + 1;
        *close = stop;
        size_t last = stop > 0 && stop <= n && is_op(&t[stop - 1], ")") ? stop - 1 : stop;
        for (size_t j = a; j <= last && k < max; j++) {
                if (j < last && t[j].kind == T_OP && strchr("([{", t[j].text[0])) {
                        j = skip_group(t, j, last) - 1;
                        continue;
                }
                if (j == last || is_op(&t[j], ",")) {
                        if (j > a) {
                                args[k] = (struct arg) { a, j, NULL };
                                if (j - a >= 2 && t[a].kind == T_NAME && is_op(&t[a + 1], "=") &&
                                    !(a + 2 < j && is_op(&t[a + 2], "="))) {
                                        args[k].kw = t[a].text;
                                        args[k].start = a + 2;
                                }
                                k++;
                        }
                        a = j + 1;
                }
        }
        return k;
}

/* A dotted name starting at i ("os.path.join"): its text in buf, the index after it. */
static size_t dotted(const struct tok *t, size_t i, size_t n, char *buf, size_t size)
{
        size_t len = 0;
        buf[0] = '\0';
        while (i < n && t[i].kind == T_NAME) {
                size_t l = strlen(t[i].text);
                if (len + l + 2 >= size)
                        break;
                memcpy(buf + len, t[i].text, l + 1);
                len += l;
                i++;
                if (i + 1 < n && is_op(&t[i], ".") && t[i + 1].kind == T_NAME) {
                        buf[len++] = '.';
                        buf[len] = '\0';
                        i++;
                } else
                        break;
        }
        return i;
}

static bool name_is(const char *name, const char *const *list)
{
        for (size_t i = 0; list[i]; i++)
                if (strcmp(name, list[i]) == 0)
                        return true;
        return false;
}

static const char *const join_calls[] = { "os.path.join", "posixpath.join", "path.join", "Path", "pathlib.Path",
                                          "PurePath", "PosixPath", "pathlib.PurePath", "pathlib.PosixPath",
                                          "File::Spec->catfile", "catfile", "catdir", NULL };
static const char *const first_arg_calls[] = { "str", "os.fspath", "os.path.abspath", "os.path.realpath",
                                               "os.path.normpath", "os.path.expanduser", NULL };
static const char *const env_calls[] = { "os.environ.get", "os.getenv", "environ.get", "getenv", NULL };

/* One operand: a string, a name, a call we understand, a parenthesised
 * expression.  Anything else appends UNKNOWN_PART. */
static size_t eval_primary(struct stmt_scan *sc, size_t i, size_t end, struct v2c_buf *out, unsigned depth)
{
        const struct tok *t = sc->t;
        if (i >= end)
                return end;
        if (t[i].kind == T_STR) {
                while (i < end && t[i].kind == T_STR) {
                        if (string_value(sc, &t[i], out) == -ENOMEM)
                                return end;
                        i++;
                }
                return i;
        }
        if (is_op(&t[i], "(") && depth < 8) {
                size_t close = skip_group(t, i, end);
                eval_expr(sc, i + 1, close > i + 1 ? close - 1 : close, out, depth + 1);
                return close;
        }
        if (t[i].kind == T_NAME) {
                char name[128];
                size_t j = dotted(t, i, end, name, sizeof name);
                /* Perl's Class->method */
                if (j + 1 < end && is_op(&t[j], "->") && t[j + 1].kind == T_NAME && strlen(name) + strlen(t[j + 1].text) + 3 < sizeof name) {
                        strcat(name, "->");
                        strcat(name, t[j + 1].text);
                        j += 2;
                }
                if (j < end && is_op(&t[j], "(")) {
                        struct arg args[8];
                        size_t close;
                        size_t na = call_args(t, j, end, args, V2C_ARRAY_SIZE(args), &close);
                        if (depth < 8 && name_is(name, join_calls)) {
                                struct v2c_buf part;
                                v2c_buf_init(&part, V2C_PARSE_MAX_LINE);
                                for (size_t k = 0; k < na; k++) {
                                        v2c_buf_reset(&part);
                                        eval_expr(sc, args[k].start, args[k].end, &part, depth + 1);
                                        if (part.data && append_join(out, part.data) < 0)
                                                break;
                                }
                                v2c_buf_release(&part);
                        } else if (depth < 8 && name_is(name, first_arg_calls) && na >= 1) {
                                eval_expr(sc, args[0].start, args[0].end, out, depth + 1);
                        } else if (depth < 8 && name_is(name, env_calls) && na >= 2) {
                                eval_expr(sc, args[1].start, args[1].end, out, depth + 1);
                        } else {
                                v2c_buf_appends(out, UNKNOWN_PART);
                        }
                        return close;
                }
                const char *v = vars_get(&sc->vars, name, strlen(name));
                v2c_buf_appends(out, v ? v : UNKNOWN_PART);
                /* a subscript or attribute after a name: its value is unknown */
                if (j < end && is_op(&t[j], "[")) {
                        if (v)
                                v2c_buf_appends(out, UNKNOWN_PART);
                        return skip_group(t, j, end);
                }
                return j;
        }
        v2c_buf_appends(out, UNKNOWN_PART);
        return i + 1;
}

/* operand (("+" | "/" | ".") operand)*: concatenation, or a path join for
 * Python's "/" on Path objects. */
static size_t eval_expr(struct stmt_scan *sc, size_t i, size_t end, struct v2c_buf *out, unsigned depth)
{
        i = eval_primary(sc, i, end, out, depth);
        while (i < end) {
                const struct tok *op = &sc->t[i];
                bool join = sc->lang == V2C_SCRIPT_PYTHON && is_op(op, "/");
                bool cat = is_op(op, "+") || (sc->lang == V2C_SCRIPT_PERL && is_op(op, "."));
                if (!join && !cat)
                        break;
                struct v2c_buf part;
                v2c_buf_init(&part, V2C_PARSE_MAX_LINE);
                i = eval_primary(sc, i + 1, end, &part, depth);
                if (part.data) {
                        if (join)
                                append_join(out, part.data);
                        else
                                v2c_buf_appends(out, part.data);
                }
                v2c_buf_release(&part);
        }
        return i;
}

/* The value of t[start..end) as an access; known when nothing unknown was met. */
static int expr_access(struct stmt_scan *sc, enum v2c_access_kind kind, size_t start, size_t end)
{
        struct v2c_buf b;
        v2c_buf_init(&b, V2C_PARSE_MAX_LINE);
        eval_expr(sc, start, end, &b, 0);
        int r = 0;
        if (b.data && strcmp(b.data, ":memory:") != 0 && strncmp(b.data, "file::memory:", 13) != 0 &&
            !(kind != V2C_ACCESS_NAME && b.data[0] == '\0'))
                r = add_access(sc->out, kind, b.data, strstr(b.data, UNKNOWN_PART) == NULL,
                               start < sc->n ? sc->t[start].line : 0);
        v2c_buf_release(&b);
        return r;
}

static const struct arg *arg_at(const struct arg *args, size_t na, size_t pos, const char *kw)
{
        for (size_t k = 0; k < na; k++)
                if (kw && args[k].kw && strcmp(args[k].kw, kw) == 0)
                        return &args[k];
        size_t p = 0;
        for (size_t k = 0; k < na; k++) {
                if (args[k].kw)
                        continue;
                if (p++ == pos)
                        return &args[k];
        }
        return NULL;
}

/* The mode string of an open(): WRITE, APPEND, or -1 for reading (or unknown). */
static int python_mode(struct stmt_scan *sc, const struct arg *m)
{
        if (m == NULL || m->end != m->start + 1 || sc->t[m->start].kind != T_STR)
                return -1;
        const char *s = sc->t[m->start].text;
        if (strchr(s, 'a'))
                return V2C_ACCESS_APPEND;
        if (strpbrk(s, "wx+"))
                return V2C_ACCESS_WRITE;
        return -1;
}

static const char *const py_open[] = { "open", "io.open", "codecs.open", "builtins.open", NULL };
static const char *const py_mkdir[] = { "os.makedirs", "os.mkdir", "makedirs", NULL };
static const char *const py_db[] = { "sqlite3.connect", "sqlite3.dbapi2.connect", "dbm.open", "shelve.open",
                                     "dbm.gnu.open", "dbm.ndbm.open", "dbm.dumb.open", NULL };
static const char *const py_dest[] = { "shutil.copy", "shutil.copy2", "shutil.copyfile", "shutil.copytree",
                                       "shutil.move", "os.rename", "os.replace", "os.link", "os.symlink", NULL };
static const char *const py_log[] = { "logging.FileHandler", "FileHandler", "logging.handlers.RotatingFileHandler",
                                      "RotatingFileHandler", "logging.handlers.TimedRotatingFileHandler",
                                      "TimedRotatingFileHandler", "logging.handlers.WatchedFileHandler",
                                      "WatchedFileHandler", NULL };

/* A method on an expression: "Path(x).write_text(", "p.mkdir(", "(d / 'f').touch(". */
static int python_method(struct stmt_scan *sc, size_t dot, const char *method, const struct arg *args, size_t na)
{
        const struct tok *t = sc->t;
        enum v2c_access_kind kind;
        if (strcmp(method, "write_text") == 0 || strcmp(method, "write_bytes") == 0 || strcmp(method, "touch") == 0)
                kind = V2C_ACCESS_WRITE;
        else if (strcmp(method, "mkdir") == 0)
                kind = V2C_ACCESS_MKDIR;
        else if (strcmp(method, "open") == 0) {
                int m = python_mode(sc, arg_at(args, na, 0, "mode"));
                if (m < 0)
                        return 0;
                kind = (enum v2c_access_kind) m;
        } else
                return 0;
        /* The receiver: a name, or a bracketed group with the call name before it. */
        if (dot == 0)
                return 0;
        size_t start = dot - 1;
        if (is_op(&t[start], ")")) {
                unsigned depth = 0;
                for (;; start--) {
                        if (is_op(&t[start], ")"))
                                depth++;
                        else if (is_op(&t[start], "(") && --depth == 0)
                                break;
                        if (start == 0)
                                return 0;
                }
                while (start > 0 && t[start - 1].kind == T_NAME) {
                        start--;
                        if (start > 0 && is_op(&t[start - 1], ".") && start > 1 && t[start - 2].kind == T_NAME)
                                start--;
                        else
                                break;
                }
        } else if (t[start].kind != T_NAME)
                return 0;
        else if (vars_get(&sc->vars, t[start].text, strlen(t[start].text)) == NULL ||
                 (start > 0 && is_op(&t[start - 1], ".")))
                return 0;   /* os.mkdir's "os" is a module, not a path */
        return expr_access(sc, kind, start, dot);
}

static int python_calls(struct stmt_scan *sc)
{
        const struct tok *t = sc->t;
        int r = 0;
        for (size_t i = 0; r >= 0 && i < sc->n; i++) {
                if (t[i].kind == T_STR) {
                        /* The first of adjacent strings stands for them all. */
                        if (t[i].text[0] == '/' && strlen(t[i].text) > 1 && (i == 0 || t[i - 1].kind != T_STR))
                                r = expr_access(sc, V2C_ACCESS_NAME, i, i + 1);
                        continue;
                }
                if (t[i].kind != T_NAME || (i > 0 && is_op(&t[i - 1], ".")))
                        continue;
                char name[128];
                size_t j = dotted(t, i, sc->n, name, sizeof name);
                if (j >= sc->n || !is_op(&t[j], "("))
                        continue;
                const char *dot = strrchr(name, '.');
                bool method = dot && strchr(name, '.') == dot && vars_get(&sc->vars, name, (size_t) (dot - name));
                if (!method && !name_is(name, py_open) && !name_is(name, py_mkdir) && !name_is(name, py_db) &&
                    !name_is(name, py_dest) && !name_is(name, py_log) && strcmp(name, "logging.basicConfig") != 0)
                        continue;
                if (sc->calls_left == 0)
                        break;
                sc->calls_left--;
                struct arg args[8];
                size_t close;
                size_t na = call_args(t, j, sc->n, args, V2C_ARRAY_SIZE(args), &close);
                const struct arg *a0 = arg_at(args, na, 0, NULL);
                if (name_is(name, py_open)) {
                        int m = python_mode(sc, arg_at(args, na, 1, "mode"));
                        if (m >= 0 && a0)
                                r = expr_access(sc, (enum v2c_access_kind) m, a0->start, a0->end);
                } else if (name_is(name, py_mkdir) && a0) {
                        r = expr_access(sc, V2C_ACCESS_MKDIR, a0->start, a0->end);
                } else if (name_is(name, py_db)) {
                        const struct arg *d = arg_at(args, na, 0, "database");
                        if (d == NULL)
                                d = arg_at(args, na, 0, "filename");
                        if (d)
                                r = expr_access(sc, V2C_ACCESS_DATABASE, d->start, d->end);
                } else if (name_is(name, py_dest)) {
                        const struct arg *d = arg_at(args, na, 1, "dst");
                        if (d)
                                r = expr_access(sc, V2C_ACCESS_WRITE, d->start, d->end);
                } else if (name_is(name, py_log) && a0) {
                        r = expr_access(sc, V2C_ACCESS_APPEND, a0->start, a0->end);
                } else if (strcmp(name, "logging.basicConfig") == 0) {
                        const struct arg *f = arg_at(args, na, SIZE_MAX, "filename");
                        if (f)
                                r = expr_access(sc, V2C_ACCESS_APPEND, f->start, f->end);
                } else if (method) {
                        /* "p.write_text(": a method on a variable holding a path. */
                        r = python_method(sc, i + 1, dot + 1, args, na);
                }
        }
        /* Methods on a bracketed receiver: ")" "." NAME "(". */
        for (size_t i = 1; r >= 0 && i + 2 < sc->n; i++) {
                if (!is_op(&t[i], ".") || !is_op(&t[i - 1], ")") || t[i + 1].kind != T_NAME || !is_op(&t[i + 2], "("))
                        continue;
                static const char *const methods[] = { "write_text", "write_bytes", "touch", "mkdir", "open", NULL };
                if (!name_is(t[i + 1].text, methods))
                        continue;
                if (sc->calls_left == 0)
                        break;
                sc->calls_left--;
                struct arg args[8];
                size_t close;
                size_t na = call_args(t, i + 2, sc->n, args, V2C_ARRAY_SIZE(args), &close);
                r = python_method(sc, i, t[i + 1].text, args, na);
        }
        return r;
}

/* NAME = expression (a plain name on the left, one '='). */
static int assignment(struct stmt_scan *sc)
{
        const struct tok *t = sc->t;
        size_t i = 0;
        if (sc->lang == V2C_SCRIPT_PERL && i < sc->n && t[i].kind == T_NAME &&
            (strcmp(t[i].text, "my") == 0 || strcmp(t[i].text, "our") == 0 || strcmp(t[i].text, "local") == 0))
                i++;
        if (i + 2 > sc->n || t[i].kind != T_NAME || !is_op(&t[i + 1], "=") ||
            (i + 2 < sc->n && is_op(&t[i + 2], "=")))
                return 0;
        const char *name = t[i].text;
        if (sc->lang == V2C_SCRIPT_PERL && name[0] != '$')
                return 0;
        struct v2c_buf b;
        v2c_buf_init(&b, V2C_PARSE_MAX_LINE);
        size_t e = eval_expr(sc, i + 2, sc->n, &b, 0);
        /* "x = a or b", "x = f(y) if c else z": more than one value, unknown. */
        bool whole = e == sc->n || (sc->lang == V2C_SCRIPT_PERL && e < sc->n && t[e].kind == T_NAME &&
                                    (strcmp(t[e].text, "or") == 0 || strcmp(t[e].text, "unless") == 0));
        int r = vars_set(&sc->vars, name, strlen(name), whole && b.data ? b.data : NULL);
        v2c_buf_release(&b);
        return r;
}

static int perl_calls(struct stmt_scan *sc)
{
        const struct tok *t = sc->t;
        int r = 0;
        for (size_t i = 0; r >= 0 && i < sc->n; i++) {
                if (t[i].kind == T_STR) {
                        struct v2c_buf b;
                        v2c_buf_init(&b, V2C_PARSE_MAX_LINE);
                        string_value(sc, &t[i], &b);
                        if (b.data && b.data[0] == '/' && b.len > 1)
                                r = add_access(sc->out, V2C_ACCESS_NAME, b.data, strstr(b.data, UNKNOWN_PART) == NULL,
                                               t[i].line);
                        /* DBI->connect("dbi:SQLite:dbname=/x.db") */
                        const char *d = b.data && strncasecmp(b.data, "dbi:SQLite:", 11) == 0 ? b.data + 11 : NULL;
                        if (r >= 0 && d) {
                                const char *dn = strstr(d, "dbname=");
                                d = dn ? dn + 7 : d;
                                size_t dl = strcspn(d, ";");
                                _cleanup_free_ char *path = strndup(d, dl);
                                if (path == NULL)
                                        r = -ENOMEM;
                                else if (*path && strcmp(path, ":memory:") != 0)
                                        r = add_access(sc->out, V2C_ACCESS_DATABASE, path,
                                                       strstr(path, UNKNOWN_PART) == NULL, t[i].line);
                        }
                        v2c_buf_release(&b);
                        continue;
                }
                if (t[i].kind != T_NAME || (i > 0 && is_op(&t[i - 1], "->")))
                        continue;
                const char *f = t[i].text;
                const char *base = strrchr(f, ':') ? strrchr(f, ':') + 1 : f;
                bool open = strcmp(f, "open") == 0, mkdir = strcmp(f, "mkdir") == 0 || strcmp(base, "make_path") == 0 ||
                                                            strcmp(base, "mkpath") == 0;
                bool copy = strcmp(base, "copy") == 0 || strcmp(base, "move") == 0 || strcmp(base, "cp") == 0 ||
                            strcmp(base, "mv") == 0;
                if (!open && !mkdir && !copy)
                        continue;
                if (sc->calls_left == 0)
                        break;
                sc->calls_left--;
                /* Arguments with or without parentheses, up to the statement's end
                 * or a low-precedence "or"/"and"/"||". */
                struct arg args[8];
                size_t na = 0;
                if (i + 1 < sc->n && is_op(&t[i + 1], "(")) {
                        size_t close;
                        na = call_args(t, i + 1, sc->n, args, V2C_ARRAY_SIZE(args), &close);
                } else {
                        size_t a = i + 1;
                        for (size_t j = i + 1; j <= sc->n && na < V2C_ARRAY_SIZE(args); j++) {
                                bool stop = j == sc->n || (t[j].kind == T_NAME && (strcmp(t[j].text, "or") == 0 ||
                                                                                    strcmp(t[j].text, "and") == 0)) ||
                                            is_op(&t[j], "|");
                                if (j < sc->n && t[j].kind == T_OP && strchr("([", t[j].text[0])) {
                                        j = skip_group(t, j, sc->n) - 1;
                                        continue;
                                }
                                if (stop || is_op(&t[j], ",")) {
                                        if (j > a)
                                                args[na++] = (struct arg) { a, j, NULL };
                                        a = j + 1;
                                        if (stop)
                                                break;
                                }
                        }
                }
                if (mkdir) {
                        for (size_t k = 0; r >= 0 && k < na && k < (strcmp(f, "mkdir") == 0 ? 1u : na); k++)
                                r = expr_access(sc, V2C_ACCESS_MKDIR, args[k].start, args[k].end);
                } else if (copy && na >= 2) {
                        r = expr_access(sc, V2C_ACCESS_WRITE, args[1].start, args[1].end);
                } else if (open && na == 2) {
                        /* open(FH, ">>/path"): the mode leads the string */
                        struct v2c_buf b;
                        v2c_buf_init(&b, V2C_PARSE_MAX_LINE);
                        eval_expr(sc, args[1].start, args[1].end, &b, 0);
                        const char *s = b.data ? b.data + strspn(b.data, " \t") : "";
                        int kind = strncmp(s, ">>", 2) == 0 ? V2C_ACCESS_APPEND
                                   : (s[0] == '>' || strncmp(s, "+<", 2) == 0) ? V2C_ACCESS_WRITE : -1;
                        if (kind >= 0) {
                                s += strspn(s, "+<>");
                                s += strspn(s, " \t");
                                r = add_access(sc->out, (enum v2c_access_kind) kind, s,
                                               strstr(s, UNKNOWN_PART) == NULL, t[i].line);
                        }
                        v2c_buf_release(&b);
                } else if (open && na >= 3) {
                        struct v2c_buf b;
                        v2c_buf_init(&b, V2C_PARSE_MAX_LINE);
                        eval_expr(sc, args[1].start, args[1].end, &b, 0);
                        const char *m = b.data ? b.data : "";
                        int kind = strstr(m, ">>") ? V2C_ACCESS_APPEND
                                   : (strchr(m, '>') || strncmp(m, "+<", 2) == 0) && !strchr(m, '|') ? V2C_ACCESS_WRITE
                                                                                                      : -1;
                        v2c_buf_release(&b);
                        if (kind >= 0)
                                r = expr_access(sc, (enum v2c_access_kind) kind, args[2].start, args[2].end);
                }
        }
        return r;
}

static int token_scan(enum v2c_script_lang lang, const char *data, size_t len, char *const *vars,
                      struct v2c_accesses *out)
{
        struct toks t = { 0 };
        int r = lang == V2C_SCRIPT_PYTHON ? lex_python(data, data + len, &t) : lex_perl(data, data + len, &t);
        /* A script too long to tokenise whole is judged on what was read. */
        if (r == -E2BIG)
                r = 0;
        struct stmt_scan sc = { .lang = lang, .out = out };
        if (r >= 0)
                r = vars_init(&sc.vars, vars);
        size_t start = 0;
        for (size_t i = 0; r >= 0 && i < t.n; i++) {
                if (t.v[i].kind != T_END)
                        continue;
                sc.t = t.v + start;
                sc.n = i - start < STMT_MAX_TOKENS ? i - start : STMT_MAX_TOKENS;
                sc.calls_left = STMT_MAX_CALLS;
                if (sc.n > 0) {
                        r = lang == V2C_SCRIPT_PYTHON ? python_calls(&sc) : perl_calls(&sc);
                        if (r >= 0)
                                r = assignment(&sc);
                }
                start = i + 1;
        }
        vars_release(&sc.vars);
        toks_release(&t);
        return r;
}

int v2c_script_accesses(enum v2c_script_lang lang, const char *data, size_t len, char *const *vars,
                        struct v2c_accesses *out, struct v2c_error **err)
{
        if (len > V2C_PARSE_MAX_INPUT)
                return v2c_error_set(err, E2BIG, "script of %zu bytes, more than %d", len, V2C_PARSE_MAX_INPUT);
        if (len > 0 && memchr(data, '\0', len))
                return v2c_error_set(err, EINVAL, "NUL byte in a script");
        struct v2c_accesses a = { 0 };
        int r = 0;
        if (lang == V2C_SCRIPT_SHELL)
                r = shell_scan(data, len, vars, &a);
        else if (lang == V2C_SCRIPT_PYTHON || lang == V2C_SCRIPT_PERL)
                r = token_scan(lang, data, len, vars, &a);
        if (r < 0) {
                v2c_accesses_release(&a);
                return v2c_error_set(err, -r, "out of memory");
        }
        *out = a;
        return 0;
}

/* ======================================================================
 * Compiled programs
 */

static bool path_byte(unsigned char c)
{
        return c > 0x20 && c < 0x7f && c != '"' && c != '\'' && c != '%' && c != ':' && c != ';';
}

int v2c_binary_data_paths(const char *data, size_t len, char *const *names, char ***out)
{
        _cleanup_strv_ char **v = NULL;
        size_t n = 0;
        for (size_t i = 0; i < len && n < V2C_BINARY_MAX_PATHS;) {
                if (data[i] != '/' || (i > 0 && path_byte((unsigned char) data[i - 1]))) {
                        i++;
                        continue;
                }
                size_t j = i;
                while (j < len && j - i < V2C_PATH_MAX && path_byte((unsigned char) data[j]))
                        j++;
                if (j - i >= 5 && j - i < V2C_PATH_MAX) {
                        _cleanup_free_ char *s = strndup(data + i, j - i);
                        if (s == NULL)
                                return -ENOMEM;
                        /* "/var/lib/" alone names no directory of this program. */
                        bool bare = false;
                        for (size_t k = 0; k < V2C_ARRAY_SIZE(data_roots); k++) {
                                size_t rl = strlen(data_roots[k]);
                                if (strncmp(s, data_roots[k], rl) == 0 && strspn(s + rl, "/") == strlen(s + rl))
                                        bare = true;
                        }
                        if (!bare && v2c_path_place(s, names) == V2C_PLACE_DATA && !v2c_strv_contains(v, s)) {
                                if (v2c_strv_consume(&v, TAKE_PTR(s)) < 0)
                                        return -ENOMEM;
                                n++;
                        }
                }
                i = j > i ? j : i + 1;
        }
        v2c_strv_sort_uniq(v);
        *out = TAKE_PTR(v);
        return 0;
}
