/* v2c inspect: open a guest read-only and report what it runs. */
#include "cli.h"
#include "cleanup.h"
#include "fsutil.h"
#include "guest.h"
#include "inspect.h"
#include "json.h"
#include "progress.h"
#include "clock.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char help[] =
        "Open SOURCE read-only and report its OS, every service (systemd units,\n"
        "SysV scripts, timers, cron jobs) with what it runs and needs, a class for\n"
        "each (stateless, stateful, system) with its reasons, and the secrets on it.\n"
        "\n"
        "SOURCE is one guest: disk images (qcow2, raw, vmdk, vdi, vhdx; several for\n"
        "one guest), a directory holding a root file system, or a tar archive of one.\n"
        "\n"
        "options:\n"
        "  --json              write the report as JSON (schema v2c.inspect/1)\n"
        "  -o, --output FILE   write the report to FILE (atomically); - is stdout\n"
        "  --all               also list installed services that are not enabled\n"
        "  --report FILE       show a saved JSON report instead of opening a SOURCE\n"
        "  --allow-backing     follow the backing files (and external data files)\n"
        "                      a disk image names, each read-only, all named in the\n"
        "                      report; without it such an image is refused (exit 4)\n"
        "  --launch-timeout S  seconds the libguestfs appliance may take to start\n"
        "                      (default 600)\n";

static int run(int argc, char **argv);

const struct v2c_command v2c_command_inspect = {
        .name = "inspect", .run = run, .synopsis = "inspect [options] (SOURCE... | --report FILE)",
        .summary = "report the OS, services, classes and secrets of a VM disk", .help = help,
};

static int run(int argc, char **argv)
{
        enum { OPT_JSON = V2C_OPT_COMMAND_FIRST, OPT_ALL, OPT_REPORT, OPT_ALLOW_BACKING, OPT_LAUNCH_TIMEOUT };
        static const struct option opts[] = {
                { "json", no_argument, NULL, OPT_JSON },
                { "output", required_argument, NULL, 'o' },
                { "all", no_argument, NULL, OPT_ALL },
                { "report", required_argument, NULL, OPT_REPORT },
                { "allow-backing", no_argument, NULL, OPT_ALLOW_BACKING },
                { "launch-timeout", required_argument, NULL, OPT_LAUNCH_TIMEOUT },
                {},
        };
        const struct v2c_command *self = &v2c_command_inspect;
        bool json = false;
        const char *output = NULL, *saved = NULL;
        struct v2c_inspect_options iopt = { 0 };
        struct v2c_guest_options gopt = { 0 };
        _cleanup_(v2c_cli_parser_release) struct v2c_cli_parser p = {
                .cmd = self, .argc = argc, .argv = argv, .shortopts = "o:", .options = opts,
        };
        int c;
        while ((c = v2c_cli_getopt(&p)) > 0) {
                switch (c) {
                case OPT_JSON: json = true; break;
                case 'o': output = optarg; break;
                case OPT_ALL: iopt.include_disabled = true; break;
                case OPT_REPORT: saved = optarg; break;
                case OPT_ALLOW_BACKING: gopt.allow_backing = true; break;
                case OPT_LAUNCH_TIMEOUT:
                        if (v2c_cli_parse_seconds(optarg, &gopt.launch_timeout_s) < 0)
                                return v2c_cli_usage_error(self, "--launch-timeout `%s` is not a number of seconds (1-86400)",
                                                           optarg);
                        break;
                }
        }
        if (c < 0)
                return p.exit;
        if (p.n_args == 0 && saved == NULL)
                return v2c_cli_usage_error(self, "no SOURCE given");
        if (p.n_args > 0 && saved)
                return v2c_cli_usage_error(self, "give a SOURCE or --report, not both");
        if (output && output[0] == '\0')
                return v2c_cli_usage_error(self, "-o needs a file name (or -), not an empty one");

        struct v2c_error *err = NULL;
        __attribute__((cleanup(v2c_guest_closep))) struct v2c_guest *g = NULL;
        __attribute__((cleanup(v2c_report_freep))) struct v2c_report *rep = NULL;
        int r;
        if (saved) {
                _cleanup_json_ json_t *raw = NULL;
                if (v2c_json_load_file(saved, 256u << 20, &raw, &err) < 0 || v2c_report_from_json(raw, &rep, &err) < 0) {
                        v2c_error_prefix(&err, -EINVAL, "report `%s`", saved);
                        return v2c_cli_report(err);
                }
        } else {
                int64_t started = v2c_monotonic_ms();
                r = v2c_guest_open((const char *const *) p.args, p.n_args, &gopt, &g, &err);
                if (r < 0)
                        return v2c_cli_report(err);
                r = v2c_inspect(g, &iopt, &rep, &err);
                if (r < 0)
                        return v2c_cli_report(err);
                char t[16];
                v2c_progress_done("inspected %s%s: %s, %zu services, %zu secrets, in %s", p.args[0],
                                  p.n_args > 1 ? " (and more)" : "",
                                  rep->os.pretty_name ? rep->os.pretty_name : "unknown OS", rep->nservices,
                                  rep->nsecrets, v2c_progress_duration(v2c_monotonic_ms() - started, t, sizeof t));
        }

        _cleanup_free_ char *text = NULL;
        if (json) {
                _cleanup_json_ json_t *j = v2c_report_to_json(rep);
                text = j ? v2c_json_dump(j) : NULL;
        } else
                text = v2c_report_to_text(rep);
        if (text == NULL) {
                v2c_error_set(&err, ENOMEM, "cannot format the report");
                return v2c_cli_report(err);
        }
        if (output && strcmp(output, "-") != 0) {
                r = v2c_write_file_atomic(output, text, strlen(text), 0644, &err);
                if (r < 0)
                        return v2c_cli_report(err);
        } else if (fputs(text, stdout) == EOF || fflush(stdout) == EOF) {
                v2c_error_set(&err, EIO, "writing the report to standard output");
                return v2c_cli_report(err);
        }
        return V2C_EXIT_OK;
}
