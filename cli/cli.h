/* The v2c command line: one file per command, one table of commands in
 * main.c.  Commands return an exit status (enum v2c_exit). */
#ifndef V2C_CLI_H
#define V2C_CLI_H

#include "error.h"

/* Documented in README.md and `v2c help`. */
enum v2c_exit {
        V2C_EXIT_OK = 0,
        V2C_EXIT_FAILURE = 1,   /* the operation failed */
        V2C_EXIT_USAGE = 2,     /* bad command line */
        V2C_EXIT_INPUT = 3,     /* unusable input: corrupt or empty disk, no OS, not a tar... */
        V2C_EXIT_REFUSED = 4,   /* refused by policy (e.g. a stateful service without --allow-stateful) */
};

struct v2c_command {
        const char *name;
        int (*run)(int argc, char **argv);
        const char *synopsis;
        const char *summary;
        const char *help;
};

/* Prints ERR as the one line "v2c: error: ..." and returns the exit status
 * its kind maps to; frees ERR. */
int v2c_cli_report(struct v2c_error *err);
/* Prints "v2c CMD: MSG" and a pointer to help; returns V2C_EXIT_USAGE. */
int v2c_cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

int v2c_cmd_inspect(int argc, char **argv);
extern const char v2c_inspect_help[];
int v2c_cmd_convert(int argc, char **argv);
extern const char v2c_convert_help[];

#endif
