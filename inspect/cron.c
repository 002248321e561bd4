/* Crontabs: /etc/crontab and /etc/cron.d/ files (a user field after the
 * schedule) and user crontabs from /var/spool/cron/crontabs (none).  The
 * syntax is Vixie cron's (crontab(5)), which Debian's cron and cronie
 * share.  Each job's command goes through v2c_shell_split() so that the
 * caller learns which program runs; the rule is in unit-internal.h.
 */
#include "unit-internal.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "cleanup.h"
#include "text.h"
#include "strv.h"

static void job_release(struct v2c_cron_job *j)
{
        free(j->schedule);
        free(j->user);
        free(j->command);
        v2c_strv_free(j->argv);
        free(j->executable);
}

struct v2c_crontab *v2c_crontab_free(struct v2c_crontab *c)
{
        if (c == NULL)
                return NULL;
        for (size_t i = 0; i < c->n_jobs; i++)
                job_release(&c->jobs[i]);
        free(c->jobs);
        v2c_strv_free(c->env);
        free(c);
        return NULL;
}

V2C_DEFINE_CLEANUP(struct v2c_crontab, v2c_crontab_free)

/* The next blank-separated field of [*p, end). */
static bool next_field(const char **p, const char *end, const char **f, size_t *n)
{
        const char *s = *p;
        while (s < end && v2c_is_blank(*s))
                s++;
        const char *e = s;
        while (e < end && !v2c_is_blank(*e))
                e++;
        *p = e;
        *f = s;
        *n = (size_t) (e - s);
        return e > s;
}

/* ======================================================================
 * Schedules
 */

static const char *const month_names[] = { "jan", "feb", "mar", "apr", "may", "jun",
                                           "jul", "aug", "sep", "oct", "nov", "dec", NULL };
static const char *const day_names[] = { "sun", "mon", "tue", "wed", "thu", "fri", "sat", NULL };

struct field_spec {
        int min, max;
        const char *const *names;  /* names[i] stands for min + i */
};

static const struct field_spec fields[5] = {
        { 0, 59, NULL },           /* minute */
        { 0, 23, NULL },           /* hour */
        { 1, 31, NULL },           /* day of month */
        { 1, 12, month_names },
        { 0, 7, day_names },       /* 0 and 7 are both Sunday */
};

/* s is not NUL-terminated: only s[0..n) may be read. */
static bool parse_number(const char *s, size_t n, int *out)
{
        if (n == 0 || n > 3)
                return false;
        int v = 0;
        for (size_t i = 0; i < n; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return false;
                v = v * 10 + (s[i] - '0');
        }
        *out = v;
        return true;
}

static bool parse_value(const char *s, size_t n, const struct field_spec *fs, int *out)
{
        if (fs->names && n == 3)
                for (int i = 0; fs->names[i]; i++)
                        if (strncasecmp(s, fs->names[i], 3) == 0) {
                                *out = fs->min + i;
                                return true;
                        }
        return parse_number(s, n, out) && *out >= fs->min && *out <= fs->max;
}

/* One list item: '*', N or N-M, optionally followed by /STEP. */
static bool item_valid(const char *s, size_t n, const struct field_spec *fs)
{
        const char *slash = memchr(s, '/', n);
        size_t rn = slash ? (size_t) (slash - s) : n;
        if (slash) {
                int step;
                if (!parse_number(slash + 1, n - rn - 1, &step) || step < 1 || step > fs->max - fs->min + 1)
                        return false;
        }
        if (rn == 1 && s[0] == '*')
                return true;
        const char *dash = memchr(s, '-', rn);
        int lo, hi;
        if (dash == NULL)
                return parse_value(s, rn, fs, &lo);
        return parse_value(s, (size_t) (dash - s), fs, &lo) &&
               parse_value(dash + 1, rn - (size_t) (dash - s) - 1, fs, &hi) && lo <= hi;
}

static bool field_valid(const char *s, size_t n, const struct field_spec *fs)
{
        size_t i = 0;
        for (;;) {
                const char *comma = memchr(s + i, ',', n - i);
                size_t j = comma ? (size_t) (comma - s) : n;
                if (j == i || !item_valid(s + i, j - i, fs))
                        return false;
                if (comma == NULL)
                        return true;
                i = j + 1;
        }
}

static bool special_schedule(const char *s, size_t n)
{
        static const char *const names[] = { "@reboot", "@hourly", "@daily", "@weekly", "@monthly",
                                             "@yearly", "@annually", "@midnight" };
        for (size_t i = 0; i < V2C_ARRAY_SIZE(names); i++)
                if (n == strlen(names[i]) && memcmp(s, names[i], n) == 0)
                        return true;
        return false;
}

/* ======================================================================
 * Commands
 */

static bool is_guard(const char *t)
{
        return strcmp(t, "test") == 0 || strcmp(t, "[") == 0 || strcmp(t, "[[") == 0 ||
               strcmp(t, "cd") == 0;
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

/* Index of the command word in toks[i..j): after reserved words,
 * NAME=value words and redirections; j when there is none. */
static size_t command_word(const struct v2c_shell_words *w, size_t i, size_t j)
{
        while (i < j && (w->words[i].kind != V2C_SHELL_WORD ||
                         (!w->words[i].assignment && is_reserved(w->words[i].text))))
                i++;
        while (i < j && (w->words[i].kind != V2C_SHELL_WORD || w->words[i].assignment))
                i++;
        return i;
}

static int copy_argv(const struct v2c_shell_words *w, size_t i, size_t j, char ***ret)
{
        _cleanup_strv_ char **v = calloc(j - i + 1, sizeof(char *));
        size_t n = 0;
        if (v == NULL)
                return -ENOMEM;
        for (; i < j; i++) {
                if (w->words[i].kind != V2C_SHELL_WORD)
                        continue;
                v[n] = strdup(w->words[i].text);
                if (v[n++] == NULL)
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(v);
        return 0;
}

/* Fills job->argv and job->executable by the rule of unit-internal.h. */
static int find_executable(struct v2c_cron_job *job)
{
        struct v2c_shell_words w = { 0 };
        struct v2c_error *e = NULL;
        int r = v2c_shell_split(job->command, strlen(job->command), NULL, &w, &e);
        v2c_error_free(e);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                /* sh would refuse it too; the job still exists. */
                job->argv = calloc(1, sizeof(char *));
                return job->argv ? 0 : -ENOMEM;
        }

        const char *prev_op = NULL;
        bool seen_first = false;
        size_t fb_i = 0, fb_j = 0, exe = SIZE_MAX, exe_j = 0;

        for (size_t i = 0; i <= w.n && exe == SIZE_MAX;) {
                size_t j = i;
                while (j < w.n && w.words[j].kind != V2C_SHELL_OPERATOR)
                        j++;
                size_t k = command_word(&w, i, j);
                const char *op = j < w.n ? w.words[j].text : NULL;

                if (k < j) {
                        const char *t = w.words[k].text;
                        if (!seen_first) {
                                seen_first = true;
                                fb_i = k, fb_j = j;
                                if (!is_guard(t))
                                        exe = k, exe_j = j;
                        } else if (prev_op &&
                                   (strcmp(prev_op, ";") == 0 || strcmp(prev_op, "&&") == 0 ||
                                    strcmp(prev_op, "||") == 0) &&
                                   !is_guard(t) && t[0] == '/') {
                                exe = k, exe_j = j;
                        }
                }
                /* Parentheses only group: "test -x /a && (/a)" still counts. */
                if (!(k == j && op && (strcmp(op, "(") == 0 || strcmp(op, ")") == 0)))
                        prev_op = op;
                i = j + 1;
        }

        if (exe != SIZE_MAX) {
                job->executable = strdup(w.words[exe].text);
                r = job->executable ? copy_argv(&w, exe, exe_j, &job->argv) : -ENOMEM;
        } else
                r = copy_argv(&w, fb_i, fb_j, &job->argv);
        v2c_shell_words_release(&w);
        return r;
}

/* The command up to the first unescaped '%' (the rest is the job's
 * standard input), with "\%" turned into '%'; other backslashes stay for
 * the shell. */
static char *cut_command(const char *s, size_t n)
{
        _cleanup_free_ char *out = malloc(n + 1);
        size_t k = 0;
        if (out == NULL)
                return NULL;
        for (size_t i = 0; i < n; i++) {
                if (s[i] == '%')
                        break;
                if (s[i] == '\\' && i + 1 < n && s[i + 1] == '%') {
                        out[k++] = '%';
                        i++;
                } else
                        out[k++] = s[i];
        }
        while (k > 0 && v2c_is_blank(out[k - 1]))
                k--;
        out[k] = '\0';
        return TAKE_PTR(out);
}

/* ======================================================================
 * Lines
 */

/* "NAME = value" (load_env() of Vixie cron); false if the line is not one. */
static bool parse_assignment(const char *l, size_t n, char **ret, int *r)
{
        size_t nn = 0;
        while (nn < n && v2c_env_name_valid(l, nn + 1))
                nn++;
        if (nn == 0)
                return false;
        const char *p = l + nn, *end = l + n;
        while (p < end && v2c_is_blank(*p))
                p++;
        if (p == end || *p != '=')
                return false;
        p++;
        while (p < end && v2c_is_blank(*p))
                p++;
        size_t vn = (size_t) (end - p);
        /* Quotes come off only in matching pairs around the whole value. */
        if (vn >= 2 && (p[0] == '"' || p[0] == '\'') && p[vn - 1] == p[0]) {
                p++;
                vn -= 2;
        }
        char *e = malloc(nn + 1 + vn + 1);
        if (e == NULL) {
                *r = -ENOMEM;
                return true;
        }
        memcpy(e, l, nn);
        e[nn] = '=';
        memcpy(e + nn + 1, p, vn);
        e[nn + 1 + vn] = '\0';
        *ret = e;
        *r = 0;
        return true;
}

/* A job line; returns 0 with *job filled, -EINVAL if the line is not a
 * valid job, -ENOMEM. */
static int parse_job(const char *l, size_t n, enum v2c_crontab_format format, const char *owner,
                     struct v2c_cron_job *job)
{
        const char *p = l, *end = l + n, *f;
        size_t fn;
        _cleanup_buf_ struct v2c_buf sched;
        v2c_buf_init(&sched, V2C_PARSE_MAX_LINE);

        if (p < end && *p == '-')   /* cronie: do not log this job */
                p++;
        if (!next_field(&p, end, &f, &fn))
                return -EINVAL;
        if (f[0] == '@') {
                if (!special_schedule(f, fn))
                        return -EINVAL;
                if (v2c_buf_append(&sched, f, fn) < 0)
                        return -ENOMEM;
        } else {
                for (int i = 0; i < 5; i++) {
                        if (i > 0 && !next_field(&p, end, &f, &fn))
                                return -EINVAL;
                        if (!field_valid(f, fn, &fields[i]))
                                return -EINVAL;
                        if ((i > 0 && v2c_buf_append(&sched, " ", 1) < 0) ||
                            v2c_buf_append(&sched, f, fn) < 0)
                                return -ENOMEM;
                }
        }

        const char *user = NULL;
        size_t un = 0;
        if (format == V2C_CRONTAB_SYSTEM && !next_field(&p, end, &user, &un))
                return -EINVAL;

        while (p < end && v2c_is_blank(*p))
                p++;
        _cleanup_free_ char *command = cut_command(p, (size_t) (end - p));
        if (command == NULL)
                return -ENOMEM;
        if (command[0] == '\0')
                return -EINVAL;

        struct v2c_cron_job j = { .command = TAKE_PTR(command) };
        j.schedule = v2c_buf_steal(&sched);
        if (user)
                j.user = strndup(user, un);
        else if (owner)
                j.user = strdup(owner);
        int r = j.schedule == NULL || ((user || owner) && j.user == NULL) ? -ENOMEM
                                                                           : find_executable(&j);
        if (r < 0) {
                job_release(&j);
                return r;
        }
        *job = j;
        return 0;
}

int v2c_crontab_parse(const char *data, size_t len, enum v2c_crontab_format format,
                      const char *owner, struct v2c_crontab **ret, struct v2c_error **err)
{
        if (len > V2C_PARSE_MAX_INPUT)
                return v2c_error_set(err, E2BIG, "crontab of %zu bytes, more than %d", len,
                                     V2C_PARSE_MAX_INPUT);

        _cleanup_(v2c_crontab_freep) struct v2c_crontab *c = calloc(1, sizeof(*c));
        if (c == NULL || (c->env = calloc(1, sizeof(char *))) == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");

        struct v2c_lines lines = { data, data + len, 0 };
        const char *l;
        size_t n, n_env = 0, env_cap = 1, cap = 0;
        unsigned lineno = 0;
        int r;

        while (len > 0 && v2c_lines_next(&lines, &l, &n)) {
                lineno++;
                if (n > V2C_PARSE_MAX_LINE || memchr(l, '\0', n)) {
                        c->n_invalid++;
                        continue;
                }
                while (n > 0 && v2c_is_blank(*l))
                        l++, n--;
                while (n > 0 && (v2c_is_blank(l[n - 1]) || l[n - 1] == '\r'))
                        n--;
                if (n == 0 || l[0] == '#')
                        continue;

                char *assignment = NULL;
                if (parse_assignment(l, n, &assignment, &r)) {
                        if (r < 0)
                                return v2c_error_set(err, ENOMEM, "out of memory");
                        if (n_env >= V2C_ENV_MAX_ENTRIES) {
                                free(assignment);
                                return v2c_error_set(err, E2BIG, "line %u: more than %d assignments",
                                                     lineno, V2C_ENV_MAX_ENTRIES);
                        }
                        if (n_env + 2 > env_cap) {
                                size_t nc = 2 * (n_env + 2);
                                char **ne = realloc(c->env, nc * sizeof(char *));
                                if (ne == NULL) {
                                        free(assignment);
                                        return v2c_error_set(err, ENOMEM, "out of memory");
                                }
                                c->env = ne;
                                env_cap = nc;
                        }
                        c->env[n_env++] = assignment;
                        c->env[n_env] = NULL;
                        continue;
                }

                struct v2c_cron_job job = { 0 };
                r = parse_job(l, n, format, owner, &job);
                if (r == -EINVAL) {
                        c->n_invalid++;
                        continue;
                }
                if (r < 0)
                        return v2c_error_set(err, ENOMEM, "out of memory");
                job.line = lineno;
                if (c->n_jobs >= V2C_CRON_MAX_JOBS) {
                        job_release(&job);
                        return v2c_error_set(err, E2BIG, "line %u: more than %d jobs", lineno,
                                             V2C_CRON_MAX_JOBS);
                }
                if (c->n_jobs == cap) {
                        size_t nc = cap ? cap * 2 : 8;
                        struct v2c_cron_job *nj = realloc(c->jobs, nc * sizeof(*nj));
                        if (nj == NULL) {
                                job_release(&job);
                                return v2c_error_set(err, ENOMEM, "out of memory");
                        }
                        c->jobs = nj;
                        cap = nc;
                }
                c->jobs[c->n_jobs++] = job;
        }

        *ret = TAKE_PTR(c);
        return 0;
}
