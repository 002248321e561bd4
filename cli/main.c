/* v2c: migrate workloads from virtual machines into containers.
 * This file holds the table of commands and the global options; each
 * command lives in its own cmd-*.c. */
#include "cli.h"
#include "log.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int cmd_help(int argc, char **argv);
static int cmd_version(int argc, char **argv);

static const struct v2c_command commands[] = {
        { "inspect", v2c_cmd_inspect, "inspect [--json] [-o FILE] (SOURCE... | --report FILE)",
          "report the OS, services, classes and secrets of a VM disk", v2c_inspect_help },
        { "convert", v2c_cmd_convert, "convert (--service NAME... | --all-stateless) -o DIR SOURCE...",
          "lift services into deterministic, layered OCI images", v2c_convert_help },
        { "push", v2c_cmd_push, "push [options] DIR[:NAME] HOST/REPO[:TAG]",
          "push an image of an OCI layout to a registry, by digest", v2c_push_help },
        { "pull", v2c_cmd_pull, "pull [options] REF -o DIR", "pull an image from a registry into an OCI layout",
          v2c_pull_help },
        { "rollout", v2c_cmd_rollout, "rollout ACTION [ARGS] --state DIR",
          "cut traffic over from VMs to containers (canary, blue-green, rollback)", v2c_rollout_help },
        { "help", cmd_help, "help [COMMAND]", "show help for v2c or one command", NULL },
        { "version", cmd_version, "version", "print the version", NULL },
};

static const struct v2c_command *find_command(const char *name)
{
        for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
                if (strcmp(commands[i].name, name) == 0)
                        return &commands[i];
        return NULL;
}

static void print_main_help(FILE *f)
{
        fprintf(f, "usage: v2c [-v|-q] [--version] [--help] COMMAND [ARGS]\n\n"
                   "Migrate workloads from virtual machines into containers.\n\ncommands:\n");
        for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
                fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
        fprintf(f, "\noptions:\n"
                   "  -v, --verbose  more messages on stderr (repeat for debug)\n"
                   "  -q, --quiet    only errors on stderr\n"
                   "  --version      print the version\n"
                   "\nexit status:\n"
                   "  0  success\n"
                   "  1  the operation failed\n"
                   "  2  usage error\n"
                   "  3  unusable input (corrupt, empty or truncated disk, no OS, not a tar...)\n"
                   "  4  refused by policy\n"
                   "\n`v2c help COMMAND` tells more about a command.\n");
}

static int cmd_help(int argc, char **argv)
{
        if (argc > 2)
                return v2c_cli_usage_error("help", "too many arguments");
        if (argc < 2) {
                print_main_help(stdout);
                return V2C_EXIT_OK;
        }
        const struct v2c_command *c = find_command(argv[1]);
        if (c == NULL)
                return v2c_cli_usage_error("help", "unknown command `%s`", argv[1]);
        printf("usage: v2c %s\n\n%s\n", c->synopsis, c->help ? c->help : c->summary);
        return V2C_EXIT_OK;
}

static int cmd_version(int argc, char **argv)
{
        (void) argv;
        if (argc > 1)
                return v2c_cli_usage_error("version", "takes no argument");
        printf("v2c %s\n", V2C_VERSION);
        return V2C_EXIT_OK;
}

int v2c_cli_report(struct v2c_error *err)
{
        if (err == NULL) {
                fprintf(stderr, "v2c: error: unknown failure\n");
                return V2C_EXIT_FAILURE;
        }
        fprintf(stderr, "v2c: error: %s\n", err->msg);
        int status;
        switch (err->kind) {
        case V2C_ERR_USAGE: status = V2C_EXIT_USAGE; break;
        case V2C_ERR_INPUT: status = V2C_EXIT_INPUT; break;
        case V2C_ERR_REFUSED: status = V2C_EXIT_REFUSED; break;
        default: status = V2C_EXIT_FAILURE; break;
        }
        v2c_error_free(err);
        return status;
}

int v2c_cli_usage_error(const char *cmd, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        fprintf(stderr, "v2c %s: ", cmd);
        vfprintf(stderr, fmt, ap);
        fprintf(stderr, " (see `v2c help %s`)\n", cmd);
        va_end(ap);
        return V2C_EXIT_USAGE;
}

int main(int argc, char **argv)
{
        int level = V2C_LOG_WARNING;
        int i = 1;
        for (; i < argc && argv[i][0] == '-'; i++) {
                const char *a = argv[i];
                if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0)
                        level++;
                else if (strcmp(a, "-vv") == 0)
                        level += 2;
                else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0)
                        level = V2C_LOG_ERROR;
                else if (strcmp(a, "--version") == 0)
                        return cmd_version(1, argv);
                else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
                        print_main_help(stdout);
                        return V2C_EXIT_OK;
                } else {
                        fprintf(stderr, "v2c: unknown option `%s` (see `v2c help`)\n", a);
                        return V2C_EXIT_USAGE;
                }
        }
        if (level > V2C_LOG_DEBUG)
                level = V2C_LOG_DEBUG;
        v2c_log_set_level((enum v2c_log_level) level);
        if (i >= argc) {
                print_main_help(stderr);
                return V2C_EXIT_USAGE;
        }
        const struct v2c_command *c = find_command(argv[i]);
        if (c == NULL) {
                fprintf(stderr, "v2c: unknown command `%s` (see `v2c help`)\n", argv[i]);
                return V2C_EXIT_USAGE;
        }
        return c->run(argc - i, argv + i);
}
