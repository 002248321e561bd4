/* v2c: migrate workloads from virtual machines into containers.
 * This file holds the table of commands and the global options; each
 * command lives in its own cmd-*.c. */
#include "cli.h"
#include "cleanup.h"
#include "json.h"
#include "progress.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int cmd_help(int argc, char **argv);
static int cmd_version(int argc, char **argv);

static const struct v2c_command help_command = {
        .name = "help", .run = cmd_help, .synopsis = "help [COMMAND]", .summary = "show help for v2c or one command",
};
static const struct v2c_command version_command = {
        .name = "version", .run = cmd_version, .synopsis = "version", .summary = "print the version",
};

/* The commands, in the order `v2c help` lists them. */
static const struct v2c_command *const commands[] = {
        &v2c_command_inspect, &v2c_command_convert, &v2c_command_push, &v2c_command_pull, &v2c_command_rollout,
        &v2c_command_report, &v2c_command_kube_job,
        &help_command, &version_command,
};

static const char main_synopsis[] = "[-v|-q] [--progress WHEN] [--version] [--help] COMMAND [ARGS]";

const struct v2c_command *v2c_cli_command(const char *name)
{
        for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
                if (strcmp(commands[i]->name, name) == 0)
                        return commands[i];
        return NULL;
}

static void print_main_help(FILE *f)
{
        fprintf(f, "usage: v2c %s\n\n"
                   "Migrate workloads from virtual machines into containers.\n\ncommands:\n", main_synopsis);
        for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
                fprintf(f, "  %-10s %s\n", commands[i]->name, commands[i]->summary);
        fprintf(f, "\noptions (before or after the command):\n"
                   "  -v, --verbose  more messages on stderr (repeat for debug)\n"
                   "  -q, --quiet    only errors on stderr\n"
                   "  --progress WHEN\n"
                   "                 auto, always or never: show long work's progress on\n"
                   "                 stderr, redrawn in place (auto: when stderr is a\n"
                   "                 terminal and not -q)\n"
                   "  -h, --help     this help, or the command's\n"
                   "  --version      print the version\n"
                   "\nA command's options may come anywhere among its arguments; `--` ends\n"
                   "them (what follows is an argument even if it starts with '-').\n"
                   "POSIXLY_CORRECT does not change this.\n"
                   "\nexit status:\n"
                   "  0  success\n"
                   "  1  the operation failed\n"
                   "  2  usage error\n"
                   "  3  unusable input (corrupt, empty or truncated disk, no OS, not a tar...)\n"
                   "  4  refused by policy\n"
                   "\n`v2c help COMMAND` tells more about a command.\n");
}

void v2c_cli_print_help(const struct v2c_command *c, FILE *f)
{
        if (c == NULL) {
                print_main_help(f);
                return;
        }
        fprintf(f, "usage: v2c %s\n\n", c->synopsis);
        if (c->help)
                fputs(c->help, f);
        else
                fprintf(f, "%s.\n", c->summary);
        if (c->more_help)
                fputs(c->more_help, f);
}

static int cmd_help(int argc, char **argv)
{
        _cleanup_(v2c_cli_parser_release) struct v2c_cli_parser p = { .cmd = &help_command, .argc = argc, .argv = argv };
        int c;
        while ((c = v2c_cli_getopt(&p)) > 0)
                ;
        if (c < 0)
                return p.exit;
        if (p.n_args > 1)
                return v2c_cli_usage_error(&help_command, "too many arguments");
        const struct v2c_command *about = p.n_args ? v2c_cli_command(p.args[0]) : NULL;
        if (p.n_args == 1 && about == NULL)
                return v2c_cli_usage_error(&help_command, "unknown command `%s`", p.args[0]);
        v2c_cli_print_help(about, stdout);
        return fflush(stdout) == 0 ? V2C_EXIT_OK : V2C_EXIT_FAILURE;
}

static int print_version(void)
{
        printf("v2c %s\n", V2C_VERSION);
        return fflush(stdout) == 0 ? V2C_EXIT_OK : V2C_EXIT_FAILURE;
}

static int cmd_version(int argc, char **argv)
{
        _cleanup_(v2c_cli_parser_release) struct v2c_cli_parser p = { .cmd = &version_command, .argc = argc, .argv = argv };
        int c;
        while ((c = v2c_cli_getopt(&p)) > 0)
                ;
        if (c < 0)
                return p.exit;
        if (p.n_args > 0)
                return v2c_cli_usage_error(&version_command, "takes no argument");
        return print_version();
}

int v2c_cli_report(struct v2c_error *err)
{
        if (err == NULL) {
                fprintf(stderr, "v2c: error: unknown failure\n");
                return V2C_EXIT_FAILURE;
        }
        v2c_progress_clear();
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

int v2c_cli_out_of_memory(void)
{
        fprintf(stderr, "v2c: error: out of memory\n");
        return V2C_EXIT_FAILURE;
}

int v2c_cli_print_json(const json_t *doc, const char *fmt, ...)
{
        /* Serialised whole before the first byte goes out: a document
         * that cannot be made leaves stdout empty. */
        _cleanup_free_ char *text = doc ? v2c_json_dump(doc) : NULL;
        if (text == NULL)
                return v2c_cli_out_of_memory();
        errno = 0;
        if (fputs(text, stdout) == EOF || fflush(stdout) == EOF) {
                int e = errno ? errno : EIO;
                va_list ap;
                va_start(ap, fmt);
                fputs("v2c: error: ", stderr);
                vfprintf(stderr, fmt, ap);
                va_end(ap);
                fprintf(stderr, ", but writing its JSON to standard output failed: %s\n", strerror(e));
                return V2C_EXIT_FAILURE;
        }
        return V2C_EXIT_OK;
}

int v2c_cli_usage_error(const struct v2c_command *c, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        fprintf(stderr, "v2c%s%s: ", c ? " " : "", c ? c->name : "");
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        /* The usage line, then where the rest is: not the whole help,
         * which would bury the problem. */
        fprintf(stderr, "\nusage: v2c %s; try 'v2c%s%s --help'\n", c ? c->synopsis : main_synopsis, c ? " " : "",
                c ? c->name : "");
        return V2C_EXIT_USAGE;
}

int main(int argc, char **argv)
{
        /* v2c's own options stop at the command: its options are its own. */
        enum { OPT_VERSION = V2C_OPT_COMMAND_FIRST };
        static const struct option main_options[] = {
                { "version", no_argument, NULL, OPT_VERSION },
                {},
        };
        _cleanup_(v2c_cli_parser_release) struct v2c_cli_parser p = {
                .argc = argc, .argv = argv, .options = main_options, .in_order = true,
        };
        int c;
        while ((c = v2c_cli_getopt(&p)) > 0)
                if (c == OPT_VERSION)
                        return print_version();
        if (c < 0)
                return p.exit;
        if (p.n_args == 0)
                return v2c_cli_usage_error(NULL, "no command given");
        const struct v2c_command *cmd = v2c_cli_command(p.args[0]);
        if (cmd == NULL)
                return v2c_cli_usage_error(NULL, "unknown command `%s`", p.args[0]);
        int rc = cmd->run((int) p.n_args, p.args);
        /* Whatever way a command ends, no region stays on the screen. */
        v2c_progress_clear();
        return rc;
}
