/* Option parsing shared by main and every command, so that all of them read
 * a command line the same way: options anywhere among the arguments (as
 * podman, skopeo, git and the GNU tools do), `--` ending them, the common
 * options -h/--help, -v/--verbose, -q/--quiet and --progress before or after the
 * command, and usage errors worded alike.
 *
 * Why the option string starts with '-': glibc's getopt_long permutes argv
 * by default, but falls back to stopping at the first non-option when
 * POSIXLY_CORRECT is in the environment, so `v2c convert disk -o out` would
 * mean something else in such a shell.  With a leading '-' (glibc and musl
 * alike), getopt hands back every non-option in place as option code 1 and
 * never consults POSIXLY_CORRECT; the parser collects those arguments itself,
 * in order.  `--` still ends the options: getopt then returns -1 with optind
 * on the first argument after it.  Unsetting POSIXLY_CORRECT instead would
 * also change the environment of what v2c runs (podman, qemu).
 */
#include "cli.h"
#include "log.h"
#include "progress.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const struct option common_options[] = {
        { "help", no_argument, NULL, 'h' },
        { "verbose", no_argument, NULL, 'v' },
        { "quiet", no_argument, NULL, 'q' },
        { "progress", required_argument, NULL, V2C_OPT_PROGRESS },
        {},
};

static size_t count_options(const struct option *o)
{
        size_t n = 0;
        while (o && o[n].name)
                n++;
        return n;
}

static int parser_start(struct v2c_cli_parser *p)
{
        const struct option *more = p->registry ? v2c_registry_long_options : NULL;
        size_t n1 = count_options(p->options), n2 = count_options(more);
        size_t n3 = count_options(common_options);
        const char *shortopts = p->shortopts ? p->shortopts : "";
        p->longopts_ = calloc(n1 + n2 + n3 + 1, sizeof *p->longopts_);
        p->shortopts_ = malloc(strlen(shortopts) + sizeof "-:hvq");
        p->args = calloc((size_t) p->argc + 1, sizeof *p->args);
        if (p->longopts_ == NULL || p->shortopts_ == NULL || p->args == NULL)
                return -ENOMEM;
        /* memcpy from NULL is undefined even for 0 bytes: a command may
         * have no options of its own, or none more. */
        if (n1 > 0)
                memcpy(p->longopts_, p->options, n1 * sizeof *p->longopts_);
        if (n2 > 0)
                memcpy(p->longopts_ + n1, more, n2 * sizeof *p->longopts_);
        memcpy(p->longopts_ + n1 + n2, common_options, n3 * sizeof *p->longopts_);
        /* '+': stop at the first non-option (main, before the command);
         * ':': a missing value comes back as ':', not '?'. */
        strcpy(p->shortopts_, p->in_order ? "+:" : "-:");
        strcat(p->shortopts_, shortopts);
        strcat(p->shortopts_, "hvq");
        /* 0, not 1: only then does glibc read the '+' or '-' again. */
        optind = 0;
        opterr = 0;
        p->started_ = true;
        return 0;
}

/* The usage error for the option that getopt returned C ('?' or ':') for,
 * ELEM being the argument it was found in. */
static int bad_option(const struct v2c_cli_parser *p, int c, const char *elem)
{
        if (strncmp(elem, "--", 2) != 0) {
                if (c == ':')
                        return v2c_cli_usage_error(p->cmd, "option `-%c` needs a value", optopt);
                if (optopt > ' ' && optopt < 0x7f)
                        return v2c_cli_usage_error(p->cmd, "unknown option `-%c`", optopt);
                return v2c_cli_usage_error(p->cmd, "unknown option in `%s`", elem);
        }
        int len = (int) strcspn(elem, "=");
        if (c == ':')
                return v2c_cli_usage_error(p->cmd, "option `%.*s` needs a value", len, elem);
        size_t prefixed = 0;
        for (const struct option *o = p->longopts_; o->name; o++) {
                if (strncmp(o->name, elem + 2, (size_t) len - 2) != 0)
                        continue;
                if (strlen(o->name) == (size_t) len - 2 && elem[len] == '=' && o->has_arg == no_argument)
                        return v2c_cli_usage_error(p->cmd, "option `%.*s` takes no value", len, elem);
                prefixed++;
        }
        if (prefixed > 1)
                return v2c_cli_usage_error(p->cmd, "option `%.*s` is ambiguous: spell it out", len, elem);
        return v2c_cli_usage_error(p->cmd, "unknown option `%.*s`", len, elem);
}

static void change_verbosity(int c)
{
        enum v2c_log_level level = v2c_log_get_level();
        if (c == 'q')
                level = V2C_LOG_ERROR;
        else if (level < V2C_LOG_DEBUG)
                level++;
        v2c_log_set_level(level);
}

int v2c_cli_getopt(struct v2c_cli_parser *p)
{
        if (!p->started_ && parser_start(p) < 0) {
                p->exit = v2c_cli_out_of_memory();
                return -1;
        }
        for (;;) {
                /* The argument getopt is in: optind moves past it only
                 * once its last bundled short option is read. */
                const char *elem = p->argv[optind > 0 ? optind : 1];
                int c = getopt_long(p->argc, p->argv, p->shortopts_, p->longopts_, NULL);
                switch (c) {
                case -1:
                        while (optind < p->argc)
                                p->args[p->n_args++] = p->argv[optind++];
                        /* -q and --progress are read: decide whether
                         * progress is drawn, here in the main thread (it
                         * installs the signal handlers that erase it). */
                        if (p->cmd)
                                v2c_progress_enabled();
                        return 0;
                case 1:
                        p->args[p->n_args++] = optarg;
                        break;
                case 'h':
                        v2c_cli_print_help(p->cmd, stdout);
                        p->exit = fflush(stdout) == 0 ? V2C_EXIT_OK : V2C_EXIT_FAILURE;
                        return -1;
                case 'v':
                case 'q':
                        change_verbosity(c);
                        break;
                case V2C_OPT_PROGRESS: {
                        enum v2c_progress_mode m;
                        if (v2c_progress_parse_mode(optarg, &m) < 0) {
                                p->exit = v2c_cli_usage_error(p->cmd, "--progress takes auto, always or never, not `%s`",
                                                              optarg);
                                return -1;
                        }
                        v2c_progress_set_mode(m);
                        break;
                }
                case '?':
                case ':':
                        p->exit = bad_option(p, c, elem);
                        return -1;
                default:
                        if (p->registry == NULL || c < V2C_OPT_REGISTRY_FIRST || c >= V2C_OPT_REGISTRY_END)
                                return c;
                        p->exit = v2c_cli_registry_option(p->cmd, c, optarg, p->registry);
                        if (p->exit != V2C_EXIT_OK)
                                return -1;
                        break;
                }
        }
}

void v2c_cli_parser_release(struct v2c_cli_parser *p)
{
        free(p->longopts_);
        free(p->shortopts_);
        free(p->args);
        p->longopts_ = NULL;
        p->shortopts_ = NULL;
        p->args = NULL;
}

int v2c_cli_parse_seconds(const char *s, unsigned *out)
{
        char *end;
        errno = 0;
        long v = strtol(s, &end, 10);
        if (errno || end == s || *end || v < 1 || v > 86400)
                return -EINVAL;
        *out = (unsigned) v;
        return 0;
}
