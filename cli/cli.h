/* The v2c command line: one file per command, one table of commands in
 * main.c.  Commands return an exit status (enum v2c_exit). */
#ifndef V2C_CLI_H
#define V2C_CLI_H

#include "error.h"

#include <getopt.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

/* Documented in README.md and `v2c help`. */
enum v2c_exit {
        V2C_EXIT_OK = 0,
        V2C_EXIT_FAILURE = 1,   /* the operation failed */
        V2C_EXIT_USAGE = 2,     /* bad command line */
        V2C_EXIT_INPUT = 3,     /* unusable input: corrupt or empty disk, no OS, not a tar... */
        V2C_EXIT_REFUSED = 4,   /* refused by policy (e.g. a stateful service without --allow-stateful) */
};

/* A command: everything `v2c help`, `v2c help CMD`, `v2c CMD --help` and
 * its usage errors print comes from here.  Each cmd-*.c defines its own
 * beside its handler (the synopsis next to the text that explains it) and
 * main.c's table lists them; the parser and the usage errors take the
 * entry itself, not a name to look up, so no message can name a command
 * the table does not have. */
struct v2c_command {
        const char *name;
        int (*run)(int argc, char **argv);
        const char *synopsis;   /* after "usage: v2c " */
        const char *summary;    /* one line, for `v2c help` */
        const char *help;       /* the rest of `v2c help CMD`; NULL: the summary */
        const char *more_help;  /* appended to it (options several commands share), or NULL */
};

extern const struct v2c_command v2c_command_inspect;
extern const struct v2c_command v2c_command_convert;
extern const struct v2c_command v2c_command_push;
extern const struct v2c_command v2c_command_pull;
extern const struct v2c_command v2c_command_rollout;
extern const struct v2c_command v2c_command_report;
extern const struct v2c_command v2c_command_kube_job;

/* The entry of command NAME in main.c's table, or NULL. */
const struct v2c_command *v2c_cli_command(const char *name);
/* Prints the help of command CMD (NULL: of v2c itself) to F. */
void v2c_cli_print_help(const struct v2c_command *cmd, FILE *f);

/* Prints ERR as the one line "v2c: error: ..." and returns the exit status
 * its kind maps to; frees ERR. */
int v2c_cli_report(struct v2c_error *err);
/* Prints "v2c CMD: MSG" and then the command's usage line with a pointer to
 * its --help (CMD NULL: v2c's own); returns V2C_EXIT_USAGE. */
int v2c_cli_usage_error(const struct v2c_command *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prints DOC (borrowed; NULL: out of memory) to stdout, the whole
 * document or, when it cannot be made, nothing: the one way a --json
 * result goes out.  An exit status; a write error is reported as one line,
 * "WHAT, but writing its JSON to standard output failed: WHY", WHAT (FMT)
 * saying what was done all the same (the pinned reference of a push). */
int v2c_cli_print_json(const json_t *doc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prints "v2c: error: out of memory" and returns V2C_EXIT_FAILURE: for the
 * CLI's own allocations, which have no error to carry the message. */
int v2c_cli_out_of_memory(void);

/* Option codes of the long options that have no letter: above every
 * character, so that none can be mistaken for a short option's letter (or
 * for the 1, ':' and '?' getopt returns itself).  The registry options are
 * the parser's own (see v2c_cli_parser.registry); a command numbers its
 * other long-only options from V2C_OPT_COMMAND_FIRST. */
enum v2c_cli_option_code {
        V2C_OPT_REGISTRY_FIRST = 0x100,
        V2C_OPT_CREDS = V2C_OPT_REGISTRY_FIRST,
        V2C_OPT_USERNAME,
        V2C_OPT_PASSWORD_STDIN,
        V2C_OPT_AUTH_FILE,
        V2C_OPT_CA_FILE,
        V2C_OPT_TLS_VERIFY,
        V2C_OPT_PLAIN_HTTP,
        V2C_OPT_CHUNK_SIZE,
        V2C_OPT_PARALLEL,
        V2C_OPT_RETRIES,
        V2C_OPT_MOUNT_FROM,
        V2C_OPT_PLATFORM,
        V2C_OPT_NAME,
        V2C_OPT_TIMEOUT,
        V2C_OPT_MAX_SIZE,
        V2C_OPT_REGISTRY_END,
        V2C_OPT_PROGRESS = 0x1ff,               /* a common option, as -v and -q */
        V2C_OPT_COMMAND_FIRST = 0x200,
};

/* Parses the options of a command (options.c): GNU style, options anywhere
 * among the arguments whatever POSIXLY_CORRECT says, `--` ends them; -h/--help,
 * -v/--verbose, -q/--quiet and --progress are taken care of for every command (so no
 * command may use h, v, q, 1, ':' or '?' as an option code).  A command with
 * registry options points .registry at where they go: the parser takes them
 * (and refuses another command's) itself.  Fill in the public fields, then:
 *
 *     while ((c = v2c_cli_getopt(&p)) > 0)
 *             switch (c) { ... optarg is the value ... }
 *     if (c < 0)
 *             return p.exit;
 *     ... p.args[0 .. p.n_args) are the other arguments, in order ...
 */
struct v2c_cli_registry;
struct v2c_cli_parser {
        const struct v2c_command *cmd;          /* for help and errors; NULL: v2c itself */
        int argc;
        char **argv;                            /* argv[0] is the command's name */
        const char *shortopts;                  /* getopt's letters ("o:s:"), without '+'/'-' */
        const struct option *options;           /* the command's long options */
        struct v2c_cli_registry *registry;      /* takes the registry options (may be NULL) */
        bool in_order;                          /* stop at the first argument (main only) */

        char **args;                            /* borrowed from argv, NULL-terminated */
        size_t n_args;
        int exit;                               /* the exit status when v2c_cli_getopt < 0 */

        struct option *longopts_;
        char *shortopts_;
        bool started_;
};
/* The next option's code (> 0, optarg set); 0 when the arguments are read;
 * < 0 when the command should return p->exit at once (--help printed, or a
 * usage error reported). */
int v2c_cli_getopt(struct v2c_cli_parser *p);
/* A number of seconds from 1 to 86400 (--launch-timeout); -EINVAL. */
int v2c_cli_parse_seconds(const char *s, unsigned *out);
void v2c_cli_parser_release(struct v2c_cli_parser *p);


/* Registry options shared by push, pull and convert --push (cmd-registry.c). */
#include "registry.h"
struct v2c_cli_registry {
        struct v2c_registry_options opt;
        bool password_stdin;
        char **mount_from;
        const char *platform, *name;
};
extern const struct option v2c_registry_long_options[];   /* codes V2C_OPT_REGISTRY_FIRST.. */
/* Takes registry option C (a code of v2c_registry_long_options) for command
 * CMD: 0, or the exit status of the error it reported (a usage error for a
 * bad value, or for an option CMD does not have). */
int v2c_cli_registry_option(const struct v2c_command *cmd, int c, const char *arg, struct v2c_cli_registry *r);
/* Reads --password-stdin; 0 or an exit status. */
int v2c_cli_registry_finish(const struct v2c_command *cmd, struct v2c_cli_registry *r);
void v2c_cli_registry_cleanup(void);
/* Frees what the options gathered (the --mount-from list). */
void v2c_cli_registry_release(struct v2c_cli_registry *r);
/* Pushes one image; an exit status.  JSON NULL: prints its pinned
 * reference; else *json gets the v2c.push/1 document of it (new) and
 * nothing is printed. */
int v2c_cli_push_one(const char *layout, const char *name, const char *dest, struct v2c_cli_registry *r,
                     json_t **json);

#endif
