/* What a service's shell script needs at run time, read from guest bytes
 * (untrusted): the commands it runs and the files it sources (shscan), and
 * the directories its packages' tmpfiles.d declare (tmpfiles).  Both are
 * pure: no guest access, bounded by the caller's caps. */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "convert-internal.h"
#include "error.h"
#include "path.h"
#include "strv.h"

/* ---- shell scripts ---- */

/* Words that are the shell's own, never a program to bring along. */
static bool shell_word(const char *w)
{
        static const char *const words[] = {
                "if", "then", "else", "elif", "fi", "case", "esac", "for", "while", "until", "do", "done",
                "in", "function", "select", "time", "!", "{", "}", "[[", "]]", ".", ":", "source", "alias",
                "bg", "break", "cd", "command", "continue", "eval", "exec", "exit", "export", "false", "fg",
                "getopts", "hash", "jobs", "local", "read", "readonly", "return", "set", "shift", "trap",
                "true", "type", "ulimit", "umask", "unalias", "unset", "wait", "echo", "printf", "test",
                "[", "pwd", "let", "declare", "typeset", "builtin", "shopt", "kill",
        };
        for (size_t i = 0; i < V2C_ARRAY_SIZE(words); i++)
                if (strcmp(w, words[i]) == 0)
                        return true;
        return false;
}

/* Words after which the next word is a command again. */
static bool prefix_word(const char *w)
{
        static const char *const words[] = { "if", "then", "else", "elif", "while", "until", "do", "!", "{",
                                             "time", "exec", "command", "nohup", "nice", "env" };
        for (size_t i = 0; i < V2C_ARRAY_SIZE(words); i++)
                if (strcmp(w, words[i]) == 0)
                        return true;
        return false;
}

/* A literal program name or absolute path: no expansion, no quoting. */
static bool literal_command(const char *w)
{
        if (*w == '\0' || strspn(w, "0123456789") == strlen(w))
                return false;
        for (const char *p = w; *p; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                      *p == '_' || *p == '-' || *p == '.' || *p == '+' || *p == '/'))
                        return false;
        if (strchr(w, '/') && (w[0] != '/' || strstr(w, "/../") || strstr(w, "/./")))
                return false;
        return w[0] != '-';
}

static bool assignment(const char *w)
{
        const char *eq = strchr(w, '=');
        if (eq == NULL || eq == w)
                return false;
        for (const char *p = w; p < eq; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_'))
                        return false;
        return !(w[0] >= '0' && w[0] <= '9');
}

static bool op_char(char c)
{
        return c == ';' || c == '|' || c == '&' || c == '(' || c == ')' || c == '`' || c == '\n';
}

int convert_sh_scan(const char *data, size_t len, size_t max, char ***commands, char ***sourced,
                    struct v2c_error **err)
{
        _cleanup_strv_ char **cmds = NULL, **srcs = NULL, **funcs = NULL;
        bool at_cmd = true, want_source = false;
        size_t i = 0;
        while (i < len) {
                char c = data[i];
                if (c == ' ' || c == '\t' || c == '\r') {
                        i++;
                        continue;
                }
                if (c == '\\' && i + 1 < len && data[i + 1] == '\n') {
                        i += 2;
                        continue;
                }
                if (c == '#') {
                        while (i < len && data[i] != '\n')
                                i++;
                        continue;
                }
                if (c == '$' && i + 1 < len && data[i + 1] == '(') {
                        /* "$((" is arithmetic, "$(" a command substitution. */
                        bool arith = i + 2 < len && data[i + 2] == '(';
                        i += arith ? 3 : 2;
                        at_cmd = !arith;
                        want_source = false;
                        continue;
                }
                if (op_char(c)) {
                        i++;
                        at_cmd = true;
                        want_source = false;
                        continue;
                }
                /* Double quotes only group words: what they hold is read
                 * as if unquoted, for the "$(cmd ...)" in them (a quoted
                 * "; rm" then counts as a command too: a program too many,
                 * never one missing). */
                if (c == '"') {
                        i++;
                        continue;
                }
                /* One word; single quotes kept (such a word is not literal). */
                size_t start = i;
                bool quote = false;
                while (i < len) {
                        char d = data[i];
                        if (quote) {
                                if (d == '\'')
                                        quote = false;
                        } else if (d == '\'') {
                                quote = true;
                        } else if (d == '\\' && i + 1 < len) {
                                i++;
                        } else if (d == ' ' || d == '\t' || d == '\r' || d == '"' || op_char(d) ||
                                   (d == '$' && i + 1 < len && data[i + 1] == '(')) {
                                break;
                        }
                        i++;
                }
                if (i > len)
                        i = len;
                size_t wl = i - start;
                if (!at_cmd && !want_source)
                        continue;
                if (wl > 255) {
                        at_cmd = want_source = false;
                        continue;
                }
                char w[256];
                memcpy(w, data + start, wl);
                w[wl] = '\0';
                if (want_source) {
                        want_source = false;
                        if (w[0] == '/' && literal_command(w) && v2c_strv_len(srcs) < max &&
                            v2c_strv_push_unique(&srcs, w) < 0)
                                return v2c_error_set(err, ENOMEM, "out of memory");
                        continue;
                }
                if (assignment(w) || w[0] == '<' || w[0] == '>' || (w[0] >= '0' && w[0] <= '9' && wl > 1 &&
                                                                     (w[1] == '>' || w[1] == '<')))
                        continue;       /* still at the command */
                at_cmd = false;
                if (strcmp(w, ".") == 0 || strcmp(w, "source") == 0) {
                        want_source = true;
                        continue;
                }
                if (prefix_word(w)) {
                        at_cmd = true;
                        continue;
                }
                /* What follows tells a case pattern ("start)", "a|b)") or a
                 * function definition ("name ()") from a command. */
                size_t j = i;
                while (j < len && (data[j] == ' ' || data[j] == '\t'))
                        j++;
                if (j < len && (data[j] == ')' || (data[j] == '|' && (j + 1 >= len || data[j + 1] != '|'))))
                        continue;
                if (j < len && data[j] == '(') {
                        if (literal_command(w) && v2c_strv_len(funcs) < max && v2c_strv_push_unique(&funcs, w) < 0)
                                return v2c_error_set(err, ENOMEM, "out of memory");
                        continue;
                }
                if (!literal_command(w) || shell_word(w))
                        continue;
                if (v2c_strv_len(cmds) < max && v2c_strv_push_unique(&cmds, w) < 0)
                        return v2c_error_set(err, ENOMEM, "out of memory");
        }
        /* A script's own functions are not programs. */
        size_t w = 0;
        for (size_t k = 0; cmds && cmds[k]; k++) {
                if (v2c_strv_contains(funcs, cmds[k]))
                        free(cmds[k]);
                else
                        cmds[w++] = cmds[k];
        }
        if (cmds)
                cmds[w] = NULL;
        *commands = TAKE_PTR(cmds);
        *sourced = TAKE_PTR(srcs);
        return 0;
}

/* ---- tmpfiles.d ---- */

static const char *const tmpfiles_roots[] = { "/run", "/var/run", "/var/lib", "/var/log", "/var/cache" };

void convert_tmpfiles_free(struct convert_tmpdir *d, size_t n)
{
        for (size_t i = 0; i < n; i++)
                free(d[i].path);
        free(d);
}

/* The next whitespace-separated field of LINE at *P, in FIELD (NUL-terminated,
 * at most SIZE - 1 bytes); false when there is none or it is too long. */
static bool next_field(const char *line, size_t *p, char *field, size_t size)
{
        size_t i = *p;
        while (line[i] == ' ' || line[i] == '\t')
                i++;
        size_t s = i;
        while (line[i] && line[i] != ' ' && line[i] != '\t')
                i++;
        if (i == s || i - s >= size)
                return false;
        memcpy(field, line + s, i - s);
        field[i - s] = '\0';
        *p = i;
        return true;
}

int convert_tmpfiles_parse(const char *data, size_t len, size_t max, struct convert_tmpdir **out, size_t *n_out,
                           struct v2c_error **err)
{
        struct convert_tmpdir *dirs = NULL;
        size_t n = 0;
        *out = NULL;
        *n_out = 0;
        size_t i = 0;
        while (i < len && n < max) {
                size_t e = i;
                while (e < len && data[e] != '\n')
                        e++;
                char line[4096];
                size_t ll = e - i;
                bool fits = ll < sizeof line && memchr(data + i, '\0', ll) == NULL;
                if (fits) {
                        memcpy(line, data + i, ll);
                        line[ll] = '\0';
                }
                i = e + 1;
                if (!fits)
                        continue;
                char type[16], path[PATH_MAX], mode[16], user[256], group[256];
                size_t p = 0;
                if (!next_field(line, &p, type, sizeof type) || type[0] == '#')
                        continue;
                if (type[0] != 'd' && type[0] != 'D')
                        continue;
                /* Modifiers only after the type letter: "d!", "D-"... */
                if (strspn(type + 1, "!-=~^+") != strlen(type + 1))
                        continue;
                if (!next_field(line, &p, path, sizeof path) || path[0] != '/' || strchr(path, '%'))
                        continue;
                unsigned m = 0755;
                user[0] = group[0] = '\0';
                if (next_field(line, &p, mode, sizeof mode) && strcmp(mode, "-") != 0) {
                        const char *ms = mode[0] == '~' || mode[0] == ':' ? mode + 1 : mode;
                        char *end = NULL;
                        errno = 0;
                        unsigned long v = strtoul(ms, &end, 8);
                        if (*ms == '\0' || *end || errno || v > 07777)
                                continue;
                        m = (unsigned) v;
                }
                if (next_field(line, &p, user, sizeof user) && (strcmp(user, "-") == 0 || user[0] == ':'))
                        user[0] = '\0';
                if (next_field(line, &p, group, sizeof group) && (strcmp(group, "-") == 0 || group[0] == ':'))
                        group[0] = '\0';
                _cleanup_free_ char *norm = NULL;
                if (v2c_path_normalize("/", path, &norm) < 0) {
                        convert_tmpfiles_free(dirs, n);
                        return v2c_error_set(err, ENOMEM, "out of memory");
                }
                bool under = false;
                for (size_t k = 0; k < V2C_ARRAY_SIZE(tmpfiles_roots) && !under; k++)
                        under = strcmp(norm, tmpfiles_roots[k]) != 0 && v2c_path_is_under(norm, tmpfiles_roots[k]);
                if (!under)
                        continue;
                bool dup = false;
                for (size_t k = 0; k < n && !dup; k++)
                        dup = strcmp(dirs[k].path, norm) == 0;
                if (dup)
                        continue;
                struct convert_tmpdir *nd = realloc(dirs, (n + 1) * sizeof *nd);
                if (nd == NULL) {
                        convert_tmpfiles_free(dirs, n);
                        return v2c_error_set(err, ENOMEM, "out of memory");
                }
                dirs = nd;
                dirs[n] = (struct convert_tmpdir) { .path = TAKE_PTR(norm), .mode = m };
                snprintf(dirs[n].user, sizeof dirs[n].user, "%s", user);
                snprintf(dirs[n].group, sizeof dirs[n].group, "%s", group);
                n++;
        }
        *out = dirs;
        *n_out = n;
        return 0;
}
