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
int v2c_cmd_rollout(int argc, char **argv);
extern const char v2c_rollout_help[];
int v2c_cmd_push(int argc, char **argv);
extern const char v2c_push_help[];
int v2c_cmd_pull(int argc, char **argv);
extern const char v2c_pull_help[];

/* Registry options shared by push, pull and convert --push (cmd-registry.c). */
#include <getopt.h>
#include "registry.h"
struct v2c_cli_registry {
        struct v2c_registry_options opt;
        bool password_stdin;
        char **mount_from;
        const char *platform, *name;
};
extern const struct option v2c_registry_long_options[];   /* values 0x100.. */
extern const char v2c_registry_options_help[];
/* 1 when C was a registry option (taken), 0 when not, -1 after a usage error. */
int v2c_cli_registry_option(const char *cmd, int c, const char *arg, struct v2c_cli_registry *r);
/* Reads --password-stdin; 0 or an exit status. */
int v2c_cli_registry_finish(const char *cmd, struct v2c_cli_registry *r);
void v2c_cli_registry_cleanup(void);
/* Pushes one image and prints its pinned reference; an exit status.
 * *pinned (may be NULL) gets a new copy of it. */
int v2c_cli_push_one(const char *layout, const char *name, const char *dest, struct v2c_cli_registry *r,
                     char **pinned);

#endif
