/* v2c inspect: open a guest read-only and report what it runs. */
#include "cli.h"
#include "cleanup.h"
#include "fsutil.h"
#include "guest.h"
#include "guest-list.h"
#include "inspect.h"
#include "json.h"
#include "progress.h"
#include "signal-cleanup.h"
#include "clock.h"
#include "strv.h"
#include "text.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
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
        "                      (default 600)\n"
        "\n"
        "Many guests, one appliance:\n"
        "  --each              each SOURCE is a guest of its own: all are inspected\n"
        "                      with one appliance launch, and -o DIR (required) gets\n"
        "                      one JSON report per guest, DIR/NAME.json, NAME the\n"
        "                      disk's file name without its extension; a summary of\n"
        "                      the guests (with --json: as JSON) goes to stdout; exit\n"
        "                      1 when any guest failed, the others done all the same\n"
        "  --manifest FILE     like --each, the guests listed in FILE, one a line:\n"
        "                      NAME DISK [DISK...] (# starts a comment)\n"
        "  --jobs N            with --each or --manifest: N appliances side by side\n"
        "                      (default 1), the guests dealt out among them in\n"
        "                      turn; each takes a CPU and about 1.5 GB of memory\n";

static int run(int argc, char **argv);

const struct v2c_command v2c_command_inspect = {
        .name = "inspect", .run = run,
        .synopsis = "inspect [options] (SOURCE... | --report FILE | --each -o DIR SOURCE... | --manifest FILE -o DIR)",
        .summary = "report the OS, services, classes and secrets of a VM disk", .help = help,
};

/* ---- --each: many guests, one appliance ---- */

/* --jobs: appliances side by side, at most. */
#define JOBS_MAX 64

struct each_result {
        char *report;           /* DIR/NAME.json, once written */
        struct v2c_error *err;  /* why the guest failed */
        char *os;
        size_t services, secrets;
};

static void each_result_release(struct each_result *r)
{
        free(r->report);
        v2c_error_free(r->err);
        free(r->os);
}

/* The exit status v2c_cli_report gives ERR, for the summary. */
static int exit_of(const struct v2c_error *err)
{
        switch (err->kind) {
        case V2C_ERR_USAGE: return V2C_EXIT_USAGE;
        case V2C_ERR_INPUT: return V2C_EXIT_INPUT;
        case V2C_ERR_REFUSED: return V2C_EXIT_REFUSED;
        default: return V2C_EXIT_FAILURE;
        }
}

/* What the summary shows of a guest, its OS name and its error, is cut to
 * a bound: os-release's PRETTY_NAME is up to a megabyte of any bytes, and
 * an error may quote a disk path of a manifest's megabytes.  So is a
 * worker's line for it (the parent drops a worker whose line passes 1 MiB,
 * with its other guests: see run_workers), and the summary is the same
 * with workers or without. */
#define OS_SHOWN_MAX 256
#define ERROR_SHOWN_MAX 4096

/* S cut in place to MAX bytes (an ellipsis last), on a UTF-8 boundary. */
static void cut_shown(char *s, size_t max)
{
        if (strlen(s) <= max)
                return;
        size_t cut = max - 3;
        while (cut > 0 && ((unsigned char) s[cut] & 0xc0) == 0x80)
                cut--;
        strcpy(s + cut, "...");
}

/* The OS name the summary shows: made printable (no terminal escape
 * reaches stdout, and jansson takes it: it is UTF-8), and cut.  New
 * string, or NULL. */
static char *os_shown(const char *pretty)
{
        char *s = pretty ? v2c_text_printable(pretty, false) : NULL;
        if (s)
                cut_shown(s, OS_SHOWN_MAX);
        return s;
}

/* Inspects guest I of session S and writes its report into DIR. */
static int each_one(struct v2c_guest_session *s, size_t i, const struct v2c_guest_spec *spec, const char *dir,
                    const struct v2c_inspect_options *iopt, struct each_result *res)
{
        int64_t started = v2c_monotonic_ms();
        __attribute__((cleanup(v2c_guest_closep))) struct v2c_guest *g = NULL;
        __attribute__((cleanup(v2c_report_freep))) struct v2c_report *rep = NULL;
        _cleanup_free_ char *path = NULL, *text = NULL;
        int r = v2c_guest_session_guest(s, i, &g, &res->err);
        if (r == 0)
                r = v2c_inspect(g, iopt, &rep, &res->err);
        if (r < 0)
                return r;
        _cleanup_json_ json_t *j = v2c_report_to_json(rep);
        text = j ? v2c_json_dump(j) : NULL;
        if (text == NULL || asprintf(&path, "%s/%s.json", dir, spec->name) < 0)
                return v2c_error_set(&res->err, ENOMEM, "out of memory");
        r = v2c_write_file_atomic(path, text, strlen(text), 0644, &res->err);
        if (r < 0)
                return r;
        res->report = TAKE_PTR(path);
        res->os = os_shown(rep->os.pretty_name);
        res->services = rep->nservices;
        res->secrets = rep->nsecrets;
        char t[16];
        v2c_progress_done("inspected %s: %s, %zu services, %zu secrets, in %s", spec->name,
                          res->os ? res->os : "unknown OS", res->services, res->secrets,
                          v2c_progress_duration(v2c_monotonic_ms() - started, t, sizeof t));
        return 0;
}

/* The outcome of every guest: as JSON (docs/inspect-each-result.schema.json)
 * or as a table for people. */
static int each_summary(const struct v2c_guest_spec *specs, const struct each_result *res, size_t n, bool json)
{
        size_t failed = 0, width = 5;
        for (size_t i = 0; i < n; i++) {
                failed += res[i].err != NULL;
                if (strlen(specs[i].name) > width)
                        width = strlen(specs[i].name);
        }
        if (!json) {
                printf("%-*s  %-6s  %s\n", (int) width, "GUEST", "STATUS", "REPORT OR ERROR");
                for (size_t i = 0; i < n; i++) {
                        if (res[i].err)
                                printf("%-*s  %-6s  %s\n", (int) width, specs[i].name, "failed", res[i].err->msg);
                        else
                                printf("%-*s  %-6s  %s (%s, %zu services)\n", (int) width, specs[i].name, "ok",
                                       res[i].report, res[i].os ? res[i].os : "unknown OS", res[i].services);
                }
                printf("%zu guests: %zu inspected, %zu failed\n", n, n - failed, failed);
                if (fflush(stdout) == EOF) {
                        struct v2c_error *err = NULL;
                        v2c_error_set(&err, EIO, "writing the summary to standard output: %m");
                        return v2c_cli_report(err);
                }
                return failed ? V2C_EXIT_FAILURE : V2C_EXIT_OK;
        }
        _cleanup_json_ json_t *guests = json_array(), *doc = NULL;
        for (size_t i = 0; guests && i < n; i++) {
                json_t *disks = json_array(), *o = json_object();
                for (char **d = specs[i].disks; disks && d && *d; d++)
                        json_array_append_new(disks, json_string(*d));
                if (o == NULL || disks == NULL) {
                        json_decref(o);
                        json_decref(disks);
                        return v2c_cli_out_of_memory();
                }
                json_object_set_new(o, "name", json_string(specs[i].name));
                json_object_set_new(o, "disks", disks);
                json_object_set_new(o, "status", json_string(res[i].err ? "failed" : "ok"));
                if (res[i].err) {
                        json_object_set_new(o, "error", json_string(res[i].err->msg));
                        json_object_set_new(o, "exit", json_integer(exit_of(res[i].err)));
                } else {
                        json_object_set_new(o, "report", json_string(res[i].report));
                        json_object_set_new(o, "os", res[i].os ? json_string(res[i].os) : json_null());
                        json_object_set_new(o, "services", json_integer((json_int_t) res[i].services));
                        json_object_set_new(o, "secrets", json_integer((json_int_t) res[i].secrets));
                }
                json_array_append_new(guests, o);
        }
        doc = guests ? json_pack("{s:s, s:I, s:I, s:O}", "schema", "v2c.inspect-each/1", "ok",
                                 (json_int_t) (n - failed), "failed", (json_int_t) failed, "guests", guests)
                     : NULL;
        int rc = v2c_cli_print_json(doc, "%zu guests inspected", n - failed);
        return rc != V2C_EXIT_OK ? rc : failed ? V2C_EXIT_FAILURE : V2C_EXIT_OK;
}

/* A worker's result for guest I, one JSON line on FD (strings from the
 * guest, such as its OS name, travel escaped). */
static void send_result(int fd, size_t i, const struct each_result *res, int64_t ms)
{
        _cleanup_json_ json_t *o = res->err
                ? json_pack("{s:I, s:s, s:i, s:i, s:I}", "i", (json_int_t) i, "error", res->err->msg, "kind",
                            (int) res->err->kind, "code", res->err->code, "ms", (json_int_t) ms)
                : json_pack("{s:I, s:s, s:s?, s:I, s:I, s:I}", "i", (json_int_t) i, "report", res->report, "os",
                            res->os, "services", (json_int_t) res->services, "secrets", (json_int_t) res->secrets,
                            "ms", (json_int_t) ms);
        _cleanup_free_ char *line = o ? json_dumps(o, JSON_COMPACT) : NULL;
        _cleanup_free_ char *out = NULL;
        if (line == NULL || asprintf(&out, "%s\n", line) < 0)
                return;         /* the parent reports the guest as lost */
        /* Under PIPE_BUF bytes a write is whole; a longer line may come in
         * pieces, which the parent puts together. */
        for (size_t done = 0, len = strlen(out); done < len;) {
                ssize_t w = write(fd, out + done, len - done);
                if (w < 0 && errno == EINTR)
                        continue;
                if (w <= 0)
                        return;
                done += (size_t) w;
        }
}

/* Inspects the guests IDX[0..M) of SPECS, one appliance per
 * V2C_GUEST_SESSION_DISKS_MAX disks, their results into RES (and, from a
 * worker, as lines on OUT; -1 otherwise). */
static void inspect_guests(const struct v2c_guest_spec *specs, const size_t *idx, size_t m, const char *dir,
                           const struct v2c_inspect_options *iopt, const struct v2c_guest_options *gopt,
                           struct each_result *res, int out)
{
        for (size_t first = 0; first < m;) {
                size_t end = first, disks = 0;
                while (end < m && (end == first ||
                                   disks + v2c_strv_len(specs[idx[end]].disks) <= V2C_GUEST_SESSION_DISKS_MAX))
                        disks += v2c_strv_len(specs[idx[end++]].disks);
                _cleanup_free_ char *const **vec = calloc(end - first, sizeof *vec);
                if (vec == NULL) {
                        for (size_t k = first; k < m; k++)
                                v2c_error_set(&res[idx[k]].err, ENOMEM, "out of memory");
                        break;
                }
                for (size_t k = first; k < end; k++)
                        vec[k - first] = specs[idx[k]].disks;
                __attribute__((cleanup(v2c_guest_session_closep))) struct v2c_guest_session *s = NULL;
                struct v2c_error *serr = NULL;
                int64_t started = v2c_monotonic_ms();
                if (v2c_guest_session_open(vec, end - first, gopt, &s, &serr) < 0) {
                        /* No appliance: every guest of the batch failed alike. */
                        for (size_t k = first; k < end; k++)
                                v2c_error_set_kind(&res[idx[k]].err, serr ? serr->kind : V2C_ERR_FAILURE,
                                                   serr ? serr->code : EIO, "%s", serr ? serr->msg : "unknown failure");
                        v2c_error_free(serr);
                }
                for (size_t k = first; k < end; k++) {
                        if (s) {
                                started = v2c_monotonic_ms();
                                each_one(s, k - first, &specs[idx[k]], dir, iopt, &res[idx[k]]);
                        }
                        if (res[idx[k]].err)    /* error messages are printable: see error.c */
                                cut_shown(res[idx[k]].err->msg, ERROR_SHOWN_MAX);
                        if (out >= 0)
                                send_result(out, idx[k], &res[idx[k]], v2c_monotonic_ms() - started);
                }
                first = end;
        }
}

struct worker {
        pid_t pid;
        int fd;
        char *buf;              /* the part of a line read so far */
        size_t len;
};

/* One line from a worker: the result of one of its guests.  False when
 * it is not one (the guest then counts as lost). */
static bool take_result(const char *line, size_t nworkers, size_t w, size_t n, struct each_result *res,
                        const struct v2c_guest_spec *specs)
{
        _cleanup_json_ json_t *o = json_loads(line, 0, NULL);
        json_int_t i = -1, services = 0, secrets = 0, ms = 0;
        const char *report = NULL, *os = NULL, *error = NULL;
        int kind = V2C_ERR_FAILURE, code = EIO;
        if (o == NULL || json_unpack(o, "{s:I, s?:s, s?:s, s?:s, s?:I, s?:I, s?:i, s?:i, s?:I}", "i", &i, "report",
                                     &report, "os", &os, "error", &error, "services", &services, "secrets",
                                     &secrets, "kind", &kind, "code", &code, "ms", &ms) < 0)
                return false;
        if (i < 0 || (size_t) i >= n || (size_t) i % nworkers != w || res[i].report || res[i].err)
                return false;
        char t[16];
        if (error) {
                v2c_error_set_kind(&res[i].err, (enum v2c_error_kind) kind, code, "%s", error);
                v2c_progress_done("failed %s: %s", specs[i].name, error);
                return true;
        }
        if (report == NULL || (res[i].report = strdup(report)) == NULL)
                return false;
        res[i].os = os ? strdup(os) : NULL;
        res[i].services = (size_t) services;
        res[i].secrets = (size_t) secrets;
        v2c_progress_done("inspected %s: %s, %zu services, %zu secrets, in %s", specs[i].name,
                          res[i].os ? res[i].os : "unknown OS", res[i].services, res[i].secrets,
                          v2c_progress_duration(ms, t, sizeof t));
        return true;
}

/* --jobs: JOBS worker processes, each with its own appliance(s), guest I
 * going to worker I mod JOBS.  A process each rather than a thread: a
 * guest's inspection then never shares memory with another's, and a
 * worker that dies takes only its own guests with it. */
static void run_workers(const struct v2c_guest_spec *specs, size_t n, unsigned jobs, const char *dir,
                        const struct v2c_inspect_options *iopt, const struct v2c_guest_options *gopt,
                        struct each_result *res)
{
        size_t nw = jobs < n ? jobs : n;
        struct worker *w = calloc(nw, sizeof *w);
        size_t *idx = calloc(n, sizeof *idx);
        if (w == NULL || idx == NULL) {
                for (size_t i = 0; i < n; i++)
                        v2c_error_set(&res[i].err, ENOMEM, "out of memory");
                free(w);
                free(idx);
                return;
        }
        fflush(stdout);
        fflush(stderr);
        pid_t parent = getpid();
        for (size_t k = 0; k < nw; k++) {
                w[k].fd = -1;
                w[k].pid = -1;
                int p[2];
                if (pipe2(p, O_CLOEXEC) < 0)
                        continue;
                pid_t pid = fork();
                if (pid < 0) {
                        close(p[0]);
                        close(p[1]);
                        continue;
                }
                if (pid == 0) {
                        /* A worker ends with the parent (a SIGTERM to it
                         * alone would leave the workers and their
                         * appliances running, writing reports nobody
                         * awaits): by the signal, or now if it is gone. */
                        v2c_signal_cleanup_forked();
                        if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() != parent)
                                _exit(1);
                        close(p[0]);
                        for (size_t j = 0; j < k; j++)
                                if (w[j].fd >= 0)
                                        close(w[j].fd);
                        /* The parent says what each guest came to. */
                        v2c_progress_set_mode(V2C_PROGRESS_NEVER);
                        size_t m = 0;
                        for (size_t i = k; i < n; i += nw)
                                idx[m++] = i;
                        inspect_guests(specs, idx, m, dir, iopt, gopt, res, p[1]);
                        _exit(0);
                }
                close(p[1]);
                w[k].pid = pid;
                w[k].fd = p[0];
        }
        /* After the forks: a worker must not inherit the ticker's thread. */
        v2c_progress_tick("inspecting %zu guests with %zu appliances side by side", n, nw);
        /* Results as they come, for the lines saying so. */
        size_t open = 0;
        for (size_t k = 0; k < nw; k++)
                open += w[k].fd >= 0;
        while (open > 0) {
                struct pollfd pf[JOBS_MAX];
                for (size_t k = 0; k < nw; k++)
                        pf[k] = (struct pollfd) { .fd = w[k].fd, .events = POLLIN };
                if (poll(pf, nw, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        break;
                }
                for (size_t k = 0; k < nw; k++) {
                        if (w[k].fd < 0 || !(pf[k].revents & (POLLIN | POLLHUP | POLLERR)))
                                continue;
                        char chunk[4096];
                        ssize_t got = read(w[k].fd, chunk, sizeof chunk);
                        if (got < 0 && errno == EINTR)
                                continue;
                        /* Out of memory too drops the worker: skipping the
                         * chunk would splice two lines into one. */
                        char *nb = NULL;
                        if (got > 0 && w[k].len + (size_t) got <= (1u << 20))
                                nb = realloc(w[k].buf, w[k].len + (size_t) got + 1);
                        if (nb == NULL) {
                                close(w[k].fd);
                                w[k].fd = -1;
                                open--;
                                continue;
                        }
                        w[k].buf = nb;
                        memcpy(w[k].buf + w[k].len, chunk, (size_t) got);
                        w[k].len += (size_t) got;
                        w[k].buf[w[k].len] = '\0';
                        char *nl;
                        while ((nl = memchr(w[k].buf, '\n', w[k].len)) != NULL) {
                                *nl = '\0';
                                take_result(w[k].buf, nw, k, n, res, specs);
                                size_t used = (size_t) (nl + 1 - w[k].buf);
                                memmove(w[k].buf, nl + 1, w[k].len - used + 1);
                                w[k].len -= used;
                        }
                }
        }
        for (size_t k = 0; k < nw; k++) {
                int status = 0;
                char why[64] = "could not be started";
                if (w[k].pid > 0) {
                        while (waitpid(w[k].pid, &status, 0) < 0 && errno == EINTR)
                                ;
                        if (WIFSIGNALED(status))
                                snprintf(why, sizeof why, "was killed by signal %d", WTERMSIG(status));
                        else
                                snprintf(why, sizeof why, "ended with status %d", WEXITSTATUS(status));
                }
                for (size_t i = k; i < n; i += nw)
                        if (res[i].report == NULL && res[i].err == NULL)
                                v2c_error_set(&res[i].err, EIO, "the worker inspecting this guest %s before it was done",
                                              why);
                free(w[k].buf);
                if (w[k].fd >= 0)
                        close(w[k].fd);
        }
        v2c_progress_clear();
        free(w);
        free(idx);
}

static int run_each(char *const *args, size_t nargs, const char *manifest, const char *dir, bool json,
                    unsigned jobs, const struct v2c_inspect_options *iopt, const struct v2c_guest_options *gopt)
{
        struct v2c_error *err = NULL;
        struct v2c_guest_spec *specs = NULL;
        size_t n = 0;
        int r;
        if (manifest) {
                _cleanup_free_ char *text = NULL;
                size_t len = 0;
                r = v2c_read_host_file(manifest, V2C_GUEST_LIST_BYTES, &text, &len, &err);
                if (r < 0 && err)
                        err->kind = V2C_ERR_INPUT;
                if (r == 0)
                        r = v2c_guest_list_parse(text, len, &specs, &n, &err);
                if (r < 0) {
                        v2c_error_prefix(&err, r, "manifest `%s`", manifest);
                        return v2c_cli_report(err);
                }
        } else if (v2c_guest_specs_from_paths(args, nargs, &specs, &n, &err) < 0)
                return v2c_cli_report(err);
        struct each_result *res = calloc(n, sizeof *res);
        if (res == NULL) {
                v2c_guest_specs_free(specs, n);
                return v2c_cli_out_of_memory();
        }
        if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
                v2c_error_set(&err, errno, "cannot create the report directory `%s`: %m", dir);
                goto out;
        }
        struct stat st;
        if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
                v2c_error_set_kind(&err, V2C_ERR_USAGE, ENOTDIR, "-o `%s` is not a directory", dir);
                goto out;
        }
        if (jobs > 1 && n > 1)
                run_workers(specs, n, jobs, dir, iopt, gopt, res);
        else {
                size_t *all = calloc(n, sizeof *all);
                if (all == NULL) {
                        v2c_error_set(&err, ENOMEM, "out of memory");
                        goto out;
                }
                for (size_t i = 0; i < n; i++)
                        all[i] = i;
                inspect_guests(specs, all, n, dir, iopt, gopt, res, -1);
                free(all);
        }
        r = each_summary(specs, res, n, json);
out:
        for (size_t i = 0; i < n; i++)
                each_result_release(&res[i]);
        free(res);
        v2c_guest_specs_free(specs, n);
        return err ? v2c_cli_report(err) : r;
}

static int run(int argc, char **argv)
{
        enum { OPT_JSON = V2C_OPT_COMMAND_FIRST, OPT_ALL, OPT_REPORT, OPT_ALLOW_BACKING, OPT_LAUNCH_TIMEOUT, OPT_EACH,
               OPT_MANIFEST, OPT_JOBS };
        static const struct option opts[] = {
                { "json", no_argument, NULL, OPT_JSON },
                { "output", required_argument, NULL, 'o' },
                { "all", no_argument, NULL, OPT_ALL },
                { "report", required_argument, NULL, OPT_REPORT },
                { "allow-backing", no_argument, NULL, OPT_ALLOW_BACKING },
                { "launch-timeout", required_argument, NULL, OPT_LAUNCH_TIMEOUT },
                { "each", no_argument, NULL, OPT_EACH },
                { "manifest", required_argument, NULL, OPT_MANIFEST },
                { "jobs", required_argument, NULL, OPT_JOBS },
                {},
        };
        const struct v2c_command *self = &v2c_command_inspect;
        bool json = false, each = false;
        const char *output = NULL, *saved = NULL, *manifest = NULL;
        unsigned jobs = 0;
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
                case OPT_EACH: each = true; break;
                case OPT_MANIFEST: manifest = optarg; each = true; break;
                case OPT_JOBS: {
                        char *end = NULL;
                        errno = 0;
                        unsigned long v = strtoul(optarg, &end, 10);
                        if (optarg[0] < '1' || optarg[0] > '9' || *end || errno || v > JOBS_MAX)
                                return v2c_cli_usage_error(self, "--jobs `%s` is not a number of appliances (1-%d)", optarg,
                                                           JOBS_MAX);
                        jobs = (unsigned) v;
                        break;
                }
                case OPT_LAUNCH_TIMEOUT:
                        if (v2c_cli_parse_seconds(optarg, &gopt.launch_timeout_s) < 0)
                                return v2c_cli_usage_error(self, "--launch-timeout `%s` is not a number of seconds (1-86400)",
                                                           optarg);
                        break;
                }
        }
        if (c < 0)
                return p.exit;
        if (each) {
                if (saved)
                        return v2c_cli_usage_error(self, "--each and --manifest inspect guests, --report shows one: not both");
                if (output == NULL || output[0] == '\0' || strcmp(output, "-") == 0)
                        return v2c_cli_usage_error(self, "--each and --manifest need -o DIR, the directory of the reports");
                if (manifest && p.n_args > 0)
                        return v2c_cli_usage_error(self, "give SOURCEs or --manifest, not both");
                if (manifest == NULL && p.n_args == 0)
                        return v2c_cli_usage_error(self, "no SOURCE given");
                return run_each(p.args, p.n_args, manifest, output, json, jobs ? jobs : 1, &iopt, &gopt);
        }
        if (jobs)
                return v2c_cli_usage_error(self, "--jobs goes with --each or --manifest");
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
