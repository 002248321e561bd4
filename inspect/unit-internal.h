/* Pure parsers for the service definitions found inside a guest: systemd
 * units (with drop-ins), ExecStart= command lines, environment files, SysV
 * init scripts and crontabs.
 *
 * Nothing here does I/O: the inspector reads the files out of the disk
 * image and hands their bytes over.  Those bytes come from an untrusted
 * disk, so every parser takes (data, len) without assuming a terminating
 * NUL, refuses input over V2C_PARSE_MAX_INPUT, bounds every count and
 * length it keeps, and never recurses.  Lines that the real consumer
 * (systemd, a shell, cron) would ignore or reject are skipped and counted,
 * not reported as errors: one bad line must not hide a whole service.
 *
 * Ownership: "new" means the caller frees it with the free function named;
 * "borrowed" means it lives as long as the object it came from.  Every
 * free function accepts NULL and returns NULL.  Output parameters are left
 * untouched when a function fails.
 *
 * unit.c holds the unit, ExecStart=, specifier, environment-file and shell
 * word code; sysv.c and cron.c build on the shell word splitter.
 */
#ifndef V2C_INSPECT_UNIT_INTERNAL_H
#define V2C_INSPECT_UNIT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

/* Hard limits on what the parsers accept (see the file comment). */
#define V2C_PARSE_MAX_INPUT       (1024 * 1024)   /* bytes of one file: larger is -E2BIG */
#define V2C_PARSE_MAX_LINE        (64 * 1024)     /* bytes of one (joined) line */
#define V2C_UNIT_MAX_ASSIGNMENTS  10000           /* per unit, main file and drop-ins together */
#define V2C_ENV_MAX_ENTRIES       10000           /* KEY=VALUE entries of one environment */
#define V2C_EXEC_MAX_ARGS         4096            /* words of one command line */
#define V2C_EXEC_MAX_BYTES        (1024 * 1024)   /* bytes of one argv after expansion */
#define V2C_SHELL_MAX_WORDS       4096            /* tokens of one shell line */
#define V2C_CRON_MAX_JOBS         10000
#define V2C_SYSV_MAX_VARS         512             /* shell variables a SysV script may define */

/* ------------------------------------------------------------------------
 * Shared lexing helpers
 */

/* True if s[0..n) is a valid environment variable / shell name:
 * [A-Za-z_][A-Za-z0-9_]*, at most 255 bytes. */
bool v2c_env_name_valid(const char *s, size_t n);

/* True if s[0..n) is valid UTF-8 (no overlong forms, no surrogates). */
bool v2c_utf8_valid(const char *s, size_t n);

/* Value of NAME in a KEY=VALUE list, the last match winning (borrowed from
 * env); NULL when absent.  name need not be NUL-terminated. */
const char *v2c_env_lookup(char *const *env, const char *name, size_t name_len);

/* ------------------------------------------------------------------------
 * systemd unit files
 *
 * The unit keeps, per section and key, the list of assignments in effect:
 * an empty assignment ("Key=") empties the list, as it resets a setting
 * to its default in systemd (for list settings like ExecStart=, Wants= or
 * Environment= that is how drop-ins clear what the main file set).  Names
 * of sections and keys are case-sensitive, as in systemd.
 */

struct v2c_unit_key {
        char *name;          /* owned */
        char **values;       /* owned, NULL-terminated, oldest first; NULL when none */
        size_t n_values;
};

struct v2c_unit_section {
        char *name;          /* owned, without the brackets: "Service" */
        struct v2c_unit_key *keys;
        size_t n_keys;
};

struct v2c_unit {
        struct v2c_unit_section *sections;
        size_t n_sections;
        size_t n_assignments;  /* accepted so far, counted against the limit */
        size_t n_invalid;      /* lines skipped: no '=', no section, bad UTF-8, NUL byte */
};

/* One file of a unit, as read from the guest. */
struct v2c_unit_file {
        const char *name;    /* path or file name; drop-ins are ordered by its last component */
        const char *data;    /* not NUL-terminated */
        size_t len;
};

/* Returns a new, empty unit (free with v2c_unit_free); NULL on ENOMEM. */
struct v2c_unit *v2c_unit_new(void);
struct v2c_unit *v2c_unit_free(struct v2c_unit *u);

/* Adds the assignments of one unit file or drop-in to u, after those
 * already there.  filename is only used in error messages (may be NULL).
 * Syntax follows systemd.syntax(7): comments start with '#' or ';', a
 * trailing backslash joins the next line (replaced by a space; comment
 * lines inside a continuation are dropped), a UTF-8 BOM is skipped.
 * A malformed section header is counted as invalid and the assignments
 * under it are ignored until the next good header.
 * Fails with -E2BIG when len > V2C_PARSE_MAX_INPUT, a line (joined or
 * not) exceeds V2C_PARSE_MAX_LINE, or the unit would hold more than
 * V2C_UNIT_MAX_ASSIGNMENTS assignments; u is then unchanged (after
 * -ENOMEM it may hold part of the file: discard it). */
int v2c_unit_parse(struct v2c_unit *u, const char *data, size_t len, const char *filename,
                   struct v2c_error **err);

/* Parses the main unit file, then the drop-ins in the order systemd
 * applies them: sorted by file name (last path component, strcmp order),
 * whatever order they are given in.  When two drop-in directories hold the
 * same file name only the winner must be passed.  main may be NULL (a unit
 * made only of drop-ins).  *ret is a new unit. */
int v2c_unit_load(const struct v2c_unit_file *main, const struct v2c_unit_file *dropins,
                  size_t n_dropins, struct v2c_unit **ret, struct v2c_error **err);

/* The last value assigned to section/key (borrowed), NULL when unset. */
const char *v2c_unit_get(const struct v2c_unit *u, const char *section, const char *key);

/* Every value in effect for section/key, oldest first, as written
 * (borrowed, NULL-terminated); NULL when unset. */
char *const *v2c_unit_get_values(const struct v2c_unit *u, const char *section, const char *key);

/* True for the settings systemd treats as lists (several assignments add
 * up) rather than as single values (the last assignment wins). */
bool v2c_unit_key_is_list(const char *key);

/* The value of a setting as a list (new, NULL-terminated, never NULL on
 * success; free with v2c_strv_free):
 * - Environment=: every assignment split into words, quotes and C escapes
 *   honoured (`"A=1 2" B=3` gives "A=1 2", "B=3"); words that are not
 *   NAME=VALUE are dropped, as systemd does.
 * - Dependency, *Directory=, *Paths= and similar settings: split on
 *   whitespace, quotes honoured.
 * - Other list settings (ExecStart=, EnvironmentFile=, Listen*=...): one
 *   element per assignment.
 * - Single-valued settings: just the last value (or nothing).
 * A value with an unbalanced quote contributes the words before it. */
int v2c_unit_get_list(const struct v2c_unit *u, const char *section, const char *key,
                      char ***ret, struct v2c_error **err);

/* ------------------------------------------------------------------------
 * Specifiers and command lines
 */

/* What the caller knows about the unit and the guest, to resolve the
 * %-specifiers of systemd.unit(5) and $VARIABLES.  Any field may be NULL
 * for "unknown"; a specifier that needs an unknown field stays as written
 * and raises V2C_EXEC_WARN_SPECIFIER.  Fixed ones (system manager paths):
 * %t=/run %S=/var/lib %C=/var/cache %L=/var/log %E=/etc %T=/tmp
 * %V=/var/tmp %%=%.  %b (boot id) is never known offline. */
struct v2c_unit_context {
        const char *unit_name;    /* "foo@bar.service": %n %N %p %P %i %I %j %J %f */
        const char *hostname;     /* %H, and %l (up to the first dot) */
        const char *machine_id;   /* %m */
        const char *user;         /* User= of the unit; NULL means none given (root) */
        const char *uid;          /* numeric uid of user, if the caller looked it up */
        const char *home;         /* home of user, if the caller looked it up */
        char *const *environment; /* KEY=VALUE for $VAR expansion, later entries win */
};

/* Warnings raised while expanding: the text was kept as written. */
enum {
        V2C_EXEC_WARN_SPECIFIER = 1 << 0,   /* a %-specifier could not be resolved */
        V2C_EXEC_WARN_UNSET_VAR = 1 << 1,   /* $VAR/${VAR} named an unset variable */
};

/* Resolves the %-specifiers in s (NUL-terminated, at most
 * V2C_PARSE_MAX_LINE bytes) into *ret (new).  ctx may be NULL.  Unknown
 * or unresolvable specifiers stay as written; *warnings (may be NULL) gets
 * V2C_EXEC_WARN_SPECIFIER or'ed in, and *unresolved (may be NULL) gets
 * each such specifier ("%b") appended once. */
int v2c_specifiers_expand(const char *s, const struct v2c_unit_context *ctx, char **ret,
                          unsigned *warnings, char ***unresolved, struct v2c_error **err);

/* Prefix characters of the executable path (systemd.service(5), "Command
 * lines"); any combination, each at most once. */
enum {
        V2C_EXEC_IGNORE_FAILURE = 1 << 0,  /* '-': exit status ignored */
        V2C_EXEC_ARGV0          = 1 << 1,  /* '@': second word is argv[0] */
        V2C_EXEC_PRIVILEGED     = 1 << 2,  /* '+': runs with full privileges */
        V2C_EXEC_NO_SETUID      = 1 << 3,  /* '!': User= etc. not applied by systemd */
        V2C_EXEC_AMBIENT        = 1 << 4,  /* '!!': like '!' without ambient caps */
        V2C_EXEC_NO_ENV_EXPAND  = 1 << 5,  /* ':': no $VAR expansion */
        V2C_EXEC_VIA_SHELL      = 1 << 6,  /* '|' (systemd 258): run by the user's shell */
};

struct v2c_exec {
        char *path;        /* new: executable, specifiers resolved; absolute or a bare name */
        char **argv;       /* new, NULL-terminated, argv[0] first; never empty */
        unsigned flags;    /* V2C_EXEC_* prefix flags */
        unsigned warnings; /* V2C_EXEC_WARN_* */
        char **unresolved; /* new, NULL when none: "%b", "$FOO" that stayed unresolved */
};

/* Parses one ExecStart=-style value (NUL-terminated, at most
 * V2C_PARSE_MAX_LINE bytes) the way systemd runs it:
 * 1. the first word (quotes honoured) loses its prefix characters;
 * 2. words are split with systemd's quoting: '...' and "..." anywhere in a
 *    word, C escapes (\n \t \\ \" \' \s \xHH \NNN \uHHHH \UHHHHHHHH) in and
 *    out of quotes; an unknown escape, a \0, an unbalanced quote or a
 *    trailing backslash make the line invalid (-EINVAL), as in systemd;
 * 3. %-specifiers are resolved in every word from ctx (may be NULL);
 * 4. unless ':' was given, each argv word (not path) gets $VAR expansion
 *    from ctx->environment: a word that is exactly $NAME becomes the
 *    value split into words (quotes honoured), or disappears when NAME is
 *    unset; ${NAME} anywhere is replaced in place (empty when unset); $$
 *    gives $.  A lone ";" word is kept literally (command chaining is not
 *    supported).
 * Fails with -EINVAL for an empty command, '@' without argv[0], a
 * relative path containing '/', with -E2BIG beyond V2C_EXEC_MAX_ARGS words
 * or V2C_EXEC_MAX_BYTES.  *ret is new (free with v2c_exec_free). */
int v2c_exec_parse(const char *value, const struct v2c_unit_context *ctx, struct v2c_exec **ret,
                   struct v2c_error **err);
struct v2c_exec *v2c_exec_free(struct v2c_exec *e);

/* Parses every value in effect for section/key (ExecStart=, ExecStartPre=,
 * ...) into a new NULL-terminated array of new commands, in order (free
 * with v2c_exec_list_free; never NULL on success).  A value that systemd
 * would reject is skipped, as systemd ignores it, and counted in
 * *n_invalid (may be NULL).  Type=oneshot services run them all; others
 * run the single (last) one. */
int v2c_unit_get_exec(const struct v2c_unit *u, const char *section, const char *key,
                      const struct v2c_unit_context *ctx, struct v2c_exec ***ret,
                      size_t *n_invalid, struct v2c_error **err);
struct v2c_exec **v2c_exec_list_free(struct v2c_exec **list);

/* ------------------------------------------------------------------------
 * Environment files (EnvironmentFile=, /etc/default/..., /etc/sysconfig/...)
 */

/* Parses KEY=VALUE lines the way systemd's EnvironmentFile= does: blank
 * lines and lines starting with '#' or ';' skipped, "export " in front of
 * a key accepted, whitespace around '=' and at the end of unquoted values
 * dropped, '...' literal, "..." with \" \\ \` \$ escapes, backslash-
 * newline joining lines (also inside double quotes).  Text after a
 * closing quote is appended ("a"b gives ab); '#' after a value is part of
 * it.  Nothing is expanded: $X stays as written.  A key given twice keeps
 * its first position and its last value.
 * Lines skipped (bad name, no '=', invalid UTF-8, NUL byte, unterminated
 * quote) are counted in *n_invalid (may be NULL).
 * *ret is a new NULL-terminated list of "KEY=VALUE" (never NULL; free with
 * v2c_strv_free).  -E2BIG past V2C_PARSE_MAX_INPUT or V2C_ENV_MAX_ENTRIES. */
int v2c_envfile_parse(const char *data, size_t len, char ***ret, size_t *n_invalid,
                      struct v2c_error **err);

/* ------------------------------------------------------------------------
 * Shell words (for init scripts and cron commands)
 *
 * Not a shell: enough of POSIX sh tokenisation to find the commands a
 * line runs.  Quotes and backslashes are removed; $NAME, ${NAME} and
 * ${NAME:-word} (also -, := and =) are replaced from vars when NAME is
 * there (results are not field-split); other expansions ($1, $(...),
 * `...`, ${#X}...) are kept as written and mark the word unexpanded.
 * Operators and redirections are separate tokens; a '#' starting a word
 * comments out the rest of its line; backslash-newline joins lines.
 */

enum v2c_shell_kind {
        V2C_SHELL_WORD,
        V2C_SHELL_OPERATOR,  /* ; & && || | |& ;; ( ), and a newline as ";" */
        V2C_SHELL_REDIRECT,  /* operator and target in one: "2>&1", ">/dev/null" */
};

struct v2c_shell_word {
        char *text;          /* owned */
        enum v2c_shell_kind kind;
        bool assignment;     /* an unquoted NAME= starts the word */
        bool unexpanded;     /* kept an expansion as written */
};

struct v2c_shell_words {
        struct v2c_shell_word *words;  /* owned */
        size_t n;
};

/* Splits data[0..len) into *ret (filled on success; release with
 * v2c_shell_words_release).  vars: KEY=VALUE, later entries win; may be
 * NULL.  -EINVAL on an unbalanced quote or backquote or a NUL byte;
 * -E2BIG past V2C_SHELL_MAX_WORDS tokens, V2C_PARSE_MAX_LINE bytes in one
 * word, V2C_EXEC_MAX_BYTES in all, or len > V2C_PARSE_MAX_INPUT. */
int v2c_shell_split(const char *data, size_t len, char *const *vars, struct v2c_shell_words *ret,
                    struct v2c_error **err);
void v2c_shell_words_release(struct v2c_shell_words *w);
/* Where the logical line starting at p ends: the first newline outside
 * quotes and comments that no backslash escapes (end when none); *open is
 * set when the data ends inside a quote.  (sysv.c) */
const char *v2c_shell_line_end(const char *p, const char *end, bool *open);

/* ------------------------------------------------------------------------
 * SysV init scripts (sysv.c)
 */

enum v2c_sysv_daemon_source {
        V2C_SYSV_DAEMON_NONE = 0,
        V2C_SYSV_DAEMON_VARIABLE,           /* DAEMON=/usr/sbin/foo */
        V2C_SYSV_DAEMON_START_STOP_DAEMON,  /* start-stop-daemon --startas/--exec PATH */
        V2C_SYSV_DAEMON_FUNCTION,           /* daemon [options] PATH (Red Hat functions) */
};

struct v2c_sysv_script {
        bool has_lsb_header;           /* "### BEGIN INIT INFO" seen */
        /* LSB header fields (new, NULL when absent); lists split on
         * whitespace, at most 256 words each */
        char **provides;
        char **required_start;
        char **required_stop;
        char **default_start;          /* runlevels as written: "2", "S" */
        char **default_stop;
        char *short_description;
        char *description;             /* continuation lines joined with a space;
                                        * text fields are cut at 4 KiB */

        char *daemon;                  /* new or NULL: the program the script starts */
        enum v2c_sysv_daemon_source daemon_source;
        char *daemon_args;             /* new or NULL: DAEMON_OPTS, DAEMON_ARGS or ARGS */
        char *pidfile;                 /* new or NULL: PIDFILE= */
        /* new or NULL: who the daemon runs as, from Red Hat's `daemon
         * --user U` or start-stop-daemon's --chuid U[:G] (its --user is a
         * match filter, not a change of user) */
        char *user;
        size_t n_invalid;              /* lines skipped: too long, unbalanced quotes */
};

/* Parses an init script.  LSB header: between "### BEGIN INIT INFO" and
 * "### END INIT INFO" (or the first line not starting with '#'), "# Key:
 * value" fields, a line of '#' followed by a tab or two spaces continuing
 * the previous field; a field given twice keeps the last.
 * The daemon is guessed from, in this order:
 * 1. the last DAEMON= assignment whose value is fully known (values of
 *    earlier NAME=value assignments expand $NAME and ${NAME});
 * 2. the first start-stop-daemon call with --startas/-a, else --exec/-x,
 *    giving an absolute path;
 * 3. the first "daemon" call (Red Hat's functions) whose program, after
 *    its options, is an absolute path.
 * defaults (KEY=VALUE, may be NULL) is what the script sources from
 * /etc/default/... or /etc/sysconfig/...: it is merged into the
 * variables where the script runs ". /etc/default/NAME" or "source ...".
 * *ret is new (free with v2c_sysv_script_free).  -E2BIG when len >
 * V2C_PARSE_MAX_INPUT. */
int v2c_sysv_parse(const char *data, size_t len, char *const *defaults,
                   struct v2c_sysv_script **ret, struct v2c_error **err);
struct v2c_sysv_script *v2c_sysv_script_free(struct v2c_sysv_script *s);

/* rc[N] lists the entry names of /etc/rcN.d (N = 0..6; NULL for a missing
 * directory).  *ret gets the scripts started in at least one of runlevels
 * 2 to 5 ("S20foo" in rc3.d gives "foo"), sorted, each once (new, never
 * NULL; free with v2c_strv_free).  Names that are not S<digits><name>, or
 * whose name contains '/' or is "." or "..", are ignored. */
int v2c_sysv_enabled(char *const *const rc[7], char ***ret, struct v2c_error **err);

/* ------------------------------------------------------------------------
 * crontabs (cron.c)
 */

enum v2c_crontab_format {
        V2C_CRONTAB_SYSTEM,  /* /etc/crontab, /etc/cron.d/ *: a user field after the schedule */
        V2C_CRONTAB_USER,    /* /var/spool/cron/crontabs/USER: no user field */
};

struct v2c_cron_job {
        char *schedule;      /* new: five fields joined by one space, or "@daily" etc. */
        char *user;          /* new: the user field, or the owner of a user crontab (may be NULL) */
        char *command;       /* new: the command before the first unescaped '%', "\%" as "%" */
        char **argv;         /* new, NULL-terminated, may be empty: words of the command that
                              * gives the executable (or of the first command if none) */
        char *executable;    /* new or NULL; see v2c_crontab_parse */
        unsigned line;       /* 1-based line number in the file */
};

struct v2c_crontab {
        struct v2c_cron_job *jobs;
        size_t n_jobs;
        char **env;          /* new, NULL-terminated, never NULL: NAME=VALUE assignments in order */
        size_t n_invalid;    /* lines that are neither blank, comment, assignment nor job */
};

/* Parses a crontab.  Lines: blank, '#' comments, "NAME = value"
 * assignments (quotes around the value removed when they match), jobs:
 * five fields (numbers, ranges, lists, steps, '*', month and weekday
 * names, each checked against its range) or @reboot @hourly @daily
 * @weekly @monthly @yearly @annually @midnight, then the user for
 * V2C_CRONTAB_SYSTEM, then the command.  A leading '-' (cronie's "do not
 * log") is accepted.  owner (may be NULL) is recorded as the user of each
 * job of a V2C_CRONTAB_USER crontab.
 * The executable of a job is found on the command's shell words:
 * 1. split into simple commands at ; & && || | and skip each one's
 *    leading NAME=value words;
 * 2. if the first command's first word is not test, [, [[ or cd, that word
 *    is the executable (absolute, or a bare name found in PATH);
 * 3. otherwise the first later command that follows ;, && or || and
 *    starts with an absolute path gives it (so "test -x /usr/sbin/foo &&
 *    /usr/sbin/foo -q" gives /usr/sbin/foo); guards are skipped alike;
 * 4. else there is none.
 * Lines over V2C_PARSE_MAX_LINE are counted invalid.  *ret is new (free
 * with v2c_crontab_free).  -E2BIG when len > V2C_PARSE_MAX_INPUT or past
 * V2C_CRON_MAX_JOBS jobs or V2C_ENV_MAX_ENTRIES assignments. */
int v2c_crontab_parse(const char *data, size_t len, enum v2c_crontab_format format,
                      const char *owner, struct v2c_crontab **ret, struct v2c_error **err);
struct v2c_crontab *v2c_crontab_free(struct v2c_crontab *c);

#endif
