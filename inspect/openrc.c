/* OpenRC services, as Alpine (and Gentoo) start them: the init scripts
 * linked from the sysinit, boot and default runlevels.
 *
 * An openrc-run script is shell that openrc-run sources after
 * /etc/conf.d/NAME; start-stop-daemon then runs what a few variables
 * describe (command, command_args, command_user, pidfile,
 * command_background, directory).  v2c runs no shell: it takes the
 * assignments made at the top level of the two files, in the order sh
 * sees them, with $VAR and ${VAR:-literal} expanded from what came before
 * and anything else kept as written.  Assignments inside functions,
 * if/case/loops or after && and || are not taken, as they may never run;
 * `: ${VAR:=default}`, the idiom scripts use for defaults that conf.d may
 * override, is.  A script without `command` (networking, hostname: it
 * defines start() itself) still gives a service, without an executable.
 *
 * The text is hostile: it is tokenised with unit.c's bounded shell
 * splitter, a quote left open pulls in at most MAX_CHUNK_LINES lines, a
 * here-document is skipped to its delimiter, and at most
 * V2C_SYSV_MAX_VARS variables are kept.
 */
#include "inspect-internal.h"
#include "openrc-internal.h"
#include "cleanup.h"
#include "strv.h"
#include "unit-internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Runlevels every boot goes through; stacked runlevels and the shutdown
 * runlevel are left out. */
static const char *const boot_runlevels[] = { "sysinit", "boot", "default" };

/* Where OpenRC looks for init.d/NAME, first match wins; the conf.d it
 * reads is the one beside the script. */
static const char *const etc_dirs[] = { "/etc", "/usr/local/etc" };

/* Lines one command may span when a quote stays open. */
#define MAX_CHUNK_LINES 32
/* Compound commands whose kind is remembered; deeper ones are counted. */
#define MAX_NESTING 64

/* Sets NAME (n bytes) to VALUE in vars, which holds one NAME=VALUE entry
 * per name.  -E2BIG past V2C_SYSV_MAX_VARS names. */
static int var_set(char ***vars, const char *name, size_t n, const char *value)
{
        char *entry = NULL;
        if (asprintf(&entry, "%.*s=%s", (int) n, name, value) < 0)
                return -ENOMEM;
        size_t i = 0;
        for (; *vars && (*vars)[i]; i++)
                if (strncmp((*vars)[i], name, n) == 0 && (*vars)[i][n] == '=') {
                        free((*vars)[i]);
                        (*vars)[i] = entry;
                        return 0;
                }
        if (i >= V2C_SYSV_MAX_VARS) {
                free(entry);
                return -E2BIG;
        }
        return v2c_strv_consume(vars, entry);
}

static const char *var_get(char *const *vars, const char *name)
{
        const char *v = v2c_env_lookup(vars, name, strlen(name));
        return v && *v ? v : NULL;
}

/* What sh would store for an unquoted word: quotes removed and simple
 * expansions done; the text as written when that is not possible.  New. */
static char *expand_word(const char *s, size_t n, char *const *vars)
{
        struct v2c_shell_words w = { 0 };
        if (v2c_shell_split(s, n, vars, &w, NULL) < 0)
                return strndup(s, n);
        size_t total = 0;
        bool plain = true;
        for (size_t i = 0; i < w.n; i++) {
                plain = plain && w.words[i].kind == V2C_SHELL_WORD && !w.words[i].unexpanded;
                total += strlen(w.words[i].text) + 1;
        }
        char *out = plain ? malloc(total + 1) : strndup(s, n);
        if (plain && out) {
                size_t used = 0;
                for (size_t i = 0; i < w.n; i++) {
                        size_t k = strlen(w.words[i].text);
                        if (i)
                                out[used++] = ' ';
                        memcpy(out + used, w.words[i].text, k);
                        used += k;
                }
                out[used] = '\0';
        }
        v2c_shell_words_release(&w);
        return out;
}

/* `: ${NAME:=default} ${NAME=default}...` from s (at the ':') to end:
 * sets each NAME that is unset (or empty, with ':') to its default.
 * Anything else ends the reading. */
static int colon_defaults(const char *s, const char *end, char ***vars)
{
        s++;
        for (;;) {
                while (s < end && (*s == ' ' || *s == '\t'))
                        s++;
                bool quoted = s < end && *s == '"';
                s += quoted;
                if (end - s < 3 || s[0] != '$' || s[1] != '{')
                        return 0;
                const char *name = s + 2;
                size_t n = 0;
                while (name + n < end && v2c_env_name_valid(name, n + 1))
                        n++;
                const char *p = name + n;
                bool colon = p < end && *p == ':';
                p += colon;
                if (n == 0 || p >= end || *p != '=')
                        return 0;
                const char *def = ++p;
                unsigned depth = 1;
                for (; p < end && depth > 0; p++)
                        if (*p == '{')
                                depth++;
                        else if (*p == '}')
                                depth--;
                if (depth > 0 || (quoted && (p >= end || *p != '"')))
                        return 0;
                const char *def_end = p - 1;
                p += quoted;
                const char *cur = v2c_env_lookup(*vars, name, n);
                if (cur == NULL || (colon && *cur == '\0')) {
                        _cleanup_free_ char *value = expand_word(def, (size_t) (def_end - def), *vars);
                        if (value == NULL)
                                return -ENOMEM;
                        int r = var_set(vars, name, n, value);
                        if (r < 0)
                                return r;
                }
                s = p;
        }
}

/* The compound commands open at a point of the script. */
struct nesting {
        char open[MAX_NESTING];   /* kinds, innermost last: i f c l { ( */
        size_t depth;
};

static void nest_push(struct nesting *n, char kind)
{
        if (n->depth < MAX_NESTING)
                n->open[n->depth] = kind;
        n->depth++;
}

/* Closes the innermost compound command when it is of that kind (a ')'
 * inside `case` ends a pattern, not a subshell). */
static void nest_pop(struct nesting *n, char kind)
{
        if (n->depth == 0 || (n->depth <= MAX_NESTING && n->open[n->depth - 1] != kind))
                return;
        n->depth--;
}

static char reserved_kind(const char *w, bool *opens)
{
        static const struct { const char *word; char kind; bool opens; } words[] = {
                { "if", 'i', true },     { "fi", 'i', false },    { "case", 'c', true },
                { "esac", 'c', false },  { "for", 'l', true },    { "while", 'l', true },
                { "until", 'l', true },  { "done", 'l', false },  { "{", '{', true },
                { "}", '{', false },
        };
        for (size_t i = 0; i < V2C_ARRAY_SIZE(words); i++)
                if (strcmp(w, words[i].word) == 0) {
                        *opens = words[i].opens;
                        return words[i].kind;
                }
        return 0;
}

/* After these a command starts again: `then foo=1` runs an assignment. */
static bool keeps_command_position(const char *w)
{
        static const char *const words[] = { "then", "else", "elif", "do", "!", "if", "while", "until", "{" };
        for (size_t i = 0; i < V2C_ARRAY_SIZE(words); i++)
                if (strcmp(w, words[i]) == 0)
                        return true;
        return false;
}

/* Walks the tokens of one command line: follows the compound commands
 * opening and closing, and applies the assignments of each simple command
 * that runs whenever the script does (top level, not behind &&, || or |,
 * not in the background, no command word after them). */
static int scan_words(const struct v2c_shell_words *w, struct nesting *nest, char ***vars)
{
        bool cmd_pos = true, in_prefix = true, has_cmd = false;
        bool runs = nest->depth == 0;   /* this simple command runs unconditionally */
        size_t first = 0, n_assign = 0; /* its assignments: words[first..first+n_assign) */
        for (size_t i = 0; i <= w->n; i++) {
                const struct v2c_shell_word *x = i < w->n ? &w->words[i] : NULL;
                if (x == NULL || x->kind == V2C_SHELL_OPERATOR) {
                        const char *op = x ? x->text : ";";
                        if (strcmp(op, "(") == 0 && i > 0 && has_cmd && !cmd_pos && i + 1 < w->n &&
                            w->words[i + 1].kind == V2C_SHELL_OPERATOR && strcmp(w->words[i + 1].text, ")") == 0) {
                                /* NAME() starts a function: its body follows. */
                                i++;
                                cmd_pos = in_prefix = true;
                                has_cmd = runs = false;
                                first = i + 1;
                                n_assign = 0;
                                continue;
                        }
                        bool ends = strcmp(op, ";") == 0 || strcmp(op, "&&") == 0 || strcmp(op, "||") == 0;
                        for (size_t k = 0; runs && ends && !has_cmd && k < n_assign; k++) {
                                const char *a = w->words[first + k].text;
                                size_t n = strcspn(a, "=");
                                /* Only NAME=VALUE words are assignments (a word
                                 * without '=' ends at its NUL). */
                                if (a[n] != '=')
                                        continue;
                                int r = var_set(vars, a, n, a + n + 1);
                                if (r < 0)
                                        return r;
                        }
                        if (strcmp(op, "(") == 0 && cmd_pos)
                                nest_push(nest, '(');
                        else if (strcmp(op, ")") == 0)
                                nest_pop(nest, '(');
                        runs = nest->depth == 0 && (strcmp(op, ";") == 0 || strcmp(op, "&") == 0);
                        cmd_pos = in_prefix = true;
                        has_cmd = false;
                        first = i + 1;
                        n_assign = 0;
                        continue;
                }
                if (x->kind != V2C_SHELL_WORD || !cmd_pos)
                        continue;
                if (in_prefix && x->assignment) {
                        n_assign++;
                        continue;
                }
                bool opens = false;
                char kind = in_prefix ? reserved_kind(x->text, &opens) : 0;
                if (kind && opens)
                        nest_push(nest, kind);
                else if (kind)
                        nest_pop(nest, kind);
                if (in_prefix && keeps_command_position(x->text)) {
                        runs = false;
                        first = i + 1;
                        continue;
                }
                if (kind) {
                        /* for NAME in..., case WORD in...: no command follows. */
                        cmd_pos = false;
                        runs = false;
                        continue;
                }
                has_cmd = true;
                in_prefix = false;
                cmd_pos = false;
        }
        return 0;
}

/* Reads the next command line from *p: one line, with the lines a trailing
 * backslash or an open quote pull in.  *p moves past it, even when it
 * cannot be split (it is then skipped). */
static int next_command(const char **p, const char *end, char *const *vars, struct v2c_shell_words *w,
                        const char **text_end)
{
        const char *start = *p, *q = *p;
        for (unsigned lines = 1;; lines++) {
                const char *nl = memchr(q, '\n', (size_t) (end - q));
                const char *eol = nl ? nl : end;
                q = nl ? nl + 1 : end;
                bool more = q < end && lines < MAX_CHUNK_LINES && (size_t) (eol - start) < V2C_PARSE_MAX_LINE;
                if (more && eol > start && eol[-1] == '\\')
                        continue;
                int r = v2c_shell_split(start, (size_t) (eol - start), vars, w, NULL);
                if (r == -EINVAL && more)
                        continue;
                *p = q;
                *text_end = eol;
                return r;
        }
}

/* Skips the body of a here-document ("<<EOF", "<<-EOF") up to its
 * delimiter line. */
static void skip_heredoc(const char **p, const char *end, const char *redirect)
{
        bool tabs = strncmp(redirect, "<<-", 3) == 0;
        const char *delim = redirect + (tabs ? 3 : 2);
        size_t dn = strlen(delim);
        while (*p < end) {
                const char *l = *p;
                const char *nl = memchr(l, '\n', (size_t) (end - l));
                const char *eol = nl ? nl : end;
                *p = nl ? nl + 1 : end;
                while (tabs && l < eol && *l == '\t')
                        l++;
                if (eol > l && eol[-1] == '\r')
                        eol--;
                if ((size_t) (eol - l) == dn && memcmp(l, delim, dn) == 0)
                        return;
        }
}

int v2c_openrc_assignments(const char *data, size_t len, char ***vars)
{
        if (len > V2C_PARSE_MAX_INPUT)
                return -E2BIG;
        struct nesting nest = { .depth = 0 };
        const char *p = data, *end = data + len;
        while (p < end) {
                const char *line = p, *line_end = NULL;
                struct v2c_shell_words w = { 0 };
                size_t depth = nest.depth;
                if (next_command(&p, end, *vars, &w, &line_end) < 0)
                        continue;
                int r = scan_words(&w, &nest, vars);
                bool lone_colon = r == 0 && depth == 0 && w.n > 0 && w.words[0].kind == V2C_SHELL_WORD &&
                                  strcmp(w.words[0].text, ":") == 0;
                for (size_t i = 0; i < w.n; i++) {
                        if (w.words[i].kind == V2C_SHELL_OPERATOR)
                                lone_colon = false;
                        if (w.words[i].kind == V2C_SHELL_REDIRECT && strncmp(w.words[i].text, "<<", 2) == 0 &&
                            w.words[i].text[2] != '<')
                                skip_heredoc(&p, end, w.words[i].text);
                }
                v2c_shell_words_release(&w);
                if (lone_colon) {
                        while (line < line_end && (*line == ' ' || *line == '\t'))
                                line++;
                        if (line < line_end && *line == ':')
                                r = colon_defaults(line, line_end, vars);
                }
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Reads one file's assignments into vars; 1 when the file exists. */
static int source_file(struct inspect_ctx *c, const char *path, char ***vars, struct v2c_error **err)
{
        _cleanup_free_ char *data = NULL;
        size_t len = 0;
        if (inspect_read(c, path, INSPECT_MAX_FILE, &data, &len) < 0 || data == NULL)
                return 0;
        int r = v2c_openrc_assignments(data, len, vars);
        if (r == -E2BIG)
                inspect_warn(c, "%s: more than %d variables, or too large: the rest is not read", path,
                             V2C_SYSV_MAX_VARS);
        else if (r < 0)
                return v2c_error_set(err, -r, "reading %s", path);
        return 1;
}

static bool yesno(const char *v)
{
        /* openrc's yesno() */
        return v && (strcasecmp(v, "yes") == 0 || strcasecmp(v, "true") == 0 || strcasecmp(v, "on") == 0 ||
                     strcmp(v, "1") == 0);
}

/* "$NAME" or "${NAME}" naming an unset variable: sh makes it no word at all. */
static bool unset_reference(const char *s, char *const *vars)
{
        if (s[0] != '$')
                return false;
        bool braced = s[1] == '{';
        const char *name = s + 1 + braced;
        size_t n = strlen(name);
        if (braced && (n == 0 || name[n - 1] != '}'))
                return false;
        n -= braced;
        return v2c_env_name_valid(name, n) && v2c_env_lookup(vars, name, n) == NULL;
}

static int set_str(char **field, const char *v)
{
        if (v == NULL)
                return 0;
        free(*field);
        *field = strdup(v);
        return *field ? 0 : -ENOMEM;
}

/* Fills s from the variables the script and its conf.d left set. */
static int fill_service(struct inspect_ctx *c, struct v2c_service *s, const char *script, char *const *vars)
{
        const char *command = var_get(vars, "command");
        const char *args = var_get(vars, "command_args");
        const char *user = var_get(vars, "command_user");
        const char *desc = var_get(vars, "description");
        int r = 0;

        r = r ? r : set_str(&s->description, desc ? desc : var_get(vars, "name"));
        r = r ? r : set_str(&s->pid_file, var_get(vars, "pidfile"));
        r = r ? r : set_str(&s->working_dir, var_get(vars, "directory"));
        /* start-stop-daemon --background and supervise-daemon keep the
         * command in the foreground; otherwise it daemonises itself. */
        const char *supervisor = var_get(vars, "supervisor");
        bool foreground = yesno(var_get(vars, "command_background")) ||
                          (supervisor && strcmp(supervisor, "supervise-daemon") == 0);
        r = r ? r : set_str(&s->type, foreground ? "simple" : "forking");
        if (user) {
                size_t n = strcspn(user, ":");
                if (n > 0 && (s->user = strndup(user, n)) == NULL)
                        r = -ENOMEM;
                if (user[n] == ':' && user[n + 1] && (s->group = strdup(user + n + 1)) == NULL)
                        r = -ENOMEM;
        }
        if (r < 0)
                return r;

        if (command == NULL) {
                inspect_warn(c, "%s: no `command` set: what its start() runs is not analysed", script);
                return 0;
        }
        if (strpbrk(command, "$`"))
                inspect_warn(c, "%s: `command` could not be expanded: %s", script, command);
        if (set_str(&s->exec_path, command) < 0 || v2c_strv_push(&s->argv, command) < 0)
                return -ENOMEM;
        /* openrc-run passes command_args through eval: quotes count. */
        struct v2c_shell_words w = { 0 };
        if (args && v2c_shell_split(args, strlen(args), vars, &w, NULL) < 0)
                inspect_warn(c, "%s: `command_args` is not valid shell: %s", script, args);
        for (size_t i = 0; i < w.n && r == 0; i++) {
                const struct v2c_shell_word *x = &w.words[i];
                if (x->kind != V2C_SHELL_WORD || (x->unexpanded && unset_reference(x->text, vars)))
                        continue;
                if (x->unexpanded)
                        inspect_warn(c, "%s: `%s` in command_args could not be expanded", script, x->text);
                r = v2c_strv_push(&s->argv, x->text);
        }
        v2c_shell_words_release(&w);
        return r;
}

static bool have_service(const struct inspect_ctx *c, const char *name)
{
        for (size_t i = 0; i < c->nsvc; i++)
                if (strcmp(c->svc[i].name, name) == 0)
                        return true;
        return false;
}

static int add_openrc_service(struct inspect_ctx *c, const char *name, struct v2c_error **err)
{
        _cleanup_free_ char *script = NULL;
        const char *etc = NULL;
        for (size_t i = 0; i < V2C_ARRAY_SIZE(etc_dirs) && etc == NULL; i++) {
                _cleanup_free_ char *path = NULL;
                if (asprintf(&path, "%s/init.d/%s", etc_dirs[i], name) < 0)
                        return v2c_error_set(err, ENOMEM, "out of memory");
                if (v2c_guest_exists(c->g, path, V2C_FT_REG)) {
                        script = TAKE_PTR(path);
                        etc = etc_dirs[i];
                }
        }
        if (etc == NULL) {
                inspect_warn(c, "%s is in a runlevel but /etc/init.d/%s is missing", name, name);
                return 0;
        }

        /* What openrc-run sets before it sources anything. */
        _cleanup_strv_ char **vars = NULL;
        if (var_set(&vars, "RC_SVCNAME", strlen("RC_SVCNAME"), name) < 0 ||
            var_set(&vars, "SVCNAME", strlen("SVCNAME"), name) < 0)
                return v2c_error_set(err, ENOMEM, "out of memory");

        /* conf.d: net.eth0 reads conf.d/net, then conf.d/net.eth0. */
        _cleanup_strv_ char **conf = NULL;
        size_t base = strcspn(name, ".");
        if (base > 0 && name[base]) {
                char *p = NULL;
                if (asprintf(&p, "%s/conf.d/%.*s", etc, (int) base, name) < 0 || v2c_strv_consume(&conf, p) < 0)
                        return v2c_error_set(err, ENOMEM, "out of memory");
        }
        char *p = NULL;
        if (asprintf(&p, "%s/conf.d/%s", etc, name) < 0 || v2c_strv_consume(&conf, p) < 0)
                return v2c_error_set(err, ENOMEM, "out of memory");
        _cleanup_strv_ char **env_files = NULL;
        for (size_t i = 0; conf[i]; i++) {
                int r = source_file(c, conf[i], &vars, err);
                if (r < 0)
                        return r;
                if (r > 0 && v2c_strv_push(&env_files, conf[i]) < 0)
                        return v2c_error_set(err, ENOMEM, "out of memory");
        }
        int r = source_file(c, script, &vars, err);
        if (r < 0)
                return r;

        struct v2c_service *s = inspect_new_service(c, name, "openrc");
        if (s == NULL) {
                inspect_warn(c, "more than %d services: the rest are not reported", INSPECT_MAX_SERVICES);
                return 0;
        }
        s->enabled = true;
        s->unit_path = TAKE_PTR(script);
        s->environment_files = TAKE_PTR(env_files);
        if (s->unit_path == NULL || fill_service(c, s, s->unit_path, vars) < 0)
                return v2c_error_set(err, ENOMEM, "out of memory");
        return 0;
}

int inspect_openrc(struct inspect_ctx *c, struct v2c_error **err)
{
        /* Under systemd, OpenRC's runlevels start nothing. */
        if (c->rep->os.init && strcmp(c->rep->os.init, "systemd") == 0)
                return 0;
        _cleanup_strv_ char **names = NULL;
        size_t n_names = 0;
        for (size_t i = 0; i < V2C_ARRAY_SIZE(boot_runlevels); i++) {
                char dir[64];
                snprintf(dir, sizeof dir, "/etc/runlevels/%s", boot_runlevels[i]);
                struct v2c_dirent *ents = NULL;
                size_t n = 0;
                if (v2c_guest_list(c->g, dir, &ents, &n, NULL) < 0)
                        continue;
                int r = 0;
                for (size_t k = 0; k < n && r == 0 && n_names < INSPECT_MAX_SERVICES; k++) {
                        _cleanup_free_ char *path = NULL;
                        const char *e = ents[k].name;
                        if (e[0] == '.' || strchr(e, '/'))
                                continue;
                        if (asprintf(&path, "%s/%s", dir, e) < 0) {
                                r = -ENOMEM;
                                break;
                        }
                        /* A directory here is a stacked runlevel. */
                        if (!v2c_guest_exists(c->g, path, V2C_FT_DIR)) {
                                r = v2c_strv_push(&names, e);
                                n_names++;
                        }
                }
                v2c_dirents_free(ents, n);
                if (r < 0)
                        return v2c_error_set(err, ENOMEM, "out of memory");
        }
        v2c_strv_sort_uniq(names);
        for (size_t i = 0; names && names[i]; i++) {
                if (have_service(c, names[i]))
                        continue;
                int r = add_openrc_service(c, names[i], err);
                if (r < 0)
                        return v2c_error_prefix(err, r, "OpenRC service %s", names[i]);
        }
        return 0;
}
