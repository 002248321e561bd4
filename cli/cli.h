/* The v2c command line: one file per command, one table of commands in
 * main.c.  Commands return an exit status (enum v2c_exit). */
#ifndef V2C_CLI_H
#define V2C_CLI_H

#include "error.h"

#include <getopt.h>
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

/* One entry of main.c's table of commands, the one place a command's usage
 * is written: `v2c help CMD`, `v2c CMD --help` and its usage errors all
 * print from it. */
struct v2c_command {
        const char *name;
        int (*run)(int argc, char **argv);
        const char *synopsis;   /* after "usage: v2c " */
        const char *summary;    /* one line, for `v2c help` */
        const char *help;       /* the rest of `v2c help CMD`; NULL: the summary */
        const char *more_help;  /* appended to it (options several commands share), or NULL */
};

/* The entry of command NAME, or NULL. */
const struct v2c_command *v2c_cli_command(const char *name);
/* Prints the help of command CMD (NULL: of v2c itself) to F. */
void v2c_cli_print_help(const char *cmd, FILE *f);

/* Prints ERR as the one line "v2c: error: ..." and returns the exit status
 * its kind maps to; frees ERR. */
int v2c_cli_report(struct v2c_error *err);
/* Prints "v2c CMD: MSG" and then the command's usage line with a pointer to
 * its --help (CMD NULL: v2c's own); returns V2C_EXIT_USAGE. */
int v2c_cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Parses the options of a command (options.c): GNU style, options anywhere
 * among the arguments whatever POSIXLY_CORRECT says, `--` ends them; -h/--help,
 * -v/--verbose and -q/--quiet are taken care of for every command (so no
 * command may use h, v, q, 1, ':' or '?' as an option code).  Fill in the
 * public fields, then:
 *
 *     while ((c = v2c_cli_getopt(&p)) > 0)
 *             switch (c) { ... optarg is the value ... }
 *     if (c < 0)
 *             return p.exit;
 *     ... p.args[0 .. p.n_args) are the other arguments, in order ...
 */
struct v2c_cli_parser {
        const char *cmd;                        /* for help and errors; NULL: v2c itself */
        int argc;
        char **argv;                            /* argv[0] is the command's name */
        const char *shortopts;                  /* getopt's letters ("o:s:"), without '+'/'-' */
        const struct option *options;           /* the command's long options */
        const struct option *more_options;      /* and another table (may be NULL) */
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

int v2c_cmd_inspect(int argc, char **argv);
extern const char v2c_inspect_help[];
int v2c_cmd_convert(int argc, char **argv);
extern const char v2c_convert_help[];
int v2c_cmd_rollout(int argc, char **argv);
extern const char v2c_rollout_help[];
int v2c_cmd_push(int argc, char **argv);
extern const char v2c_push_help[];
int v2c_cmd_pull(int argc, char **argv);
extern const char v2c_pull_help[];

/* Registry options shared by push, pull and convert --push (cmd-registry.c). */
#include "registry.h"
struct v2c_cli_registry {
        struct v2c_registry_options opt;
        bool password_stdin;
        char **mount_from;
        const char *platform, *name;
};
extern const struct option v2c_registry_long_options[];   /* values 0x100.. */
extern const char v2c_push_registry_help[];
extern const char v2c_pull_registry_help[];
/* 1 when C was a registry option (taken), 0 when not, -1 after a usage error. */
int v2c_cli_registry_option(const char *cmd, int c, const char *arg, struct v2c_cli_registry *r);
/* Reads --password-stdin; 0 or an exit status. */
int v2c_cli_registry_finish(const char *cmd, struct v2c_cli_registry *r);
void v2c_cli_registry_cleanup(void);
/* Frees what the options gathered (the --mount-from list). */
void v2c_cli_registry_release(struct v2c_cli_registry *r);
/* Pushes one image and prints its pinned reference; an exit status.
 * *pinned (may be NULL) gets a new copy of it. */
int v2c_cli_push_one(const char *layout, const char *name, const char *dest, struct v2c_cli_registry *r,
                     char **pinned);

#endif
