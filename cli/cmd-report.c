/* v2c report: summarise a fleet of inspection reports (cli/fleet.h).
 * Every report is read by common/report.c's reader, every output made in
 * memory before the first is written, and each file written atomically:
 * bad input leaves nothing behind. */
#include "cli.h"
#include "cleanup.h"
#include "fleet.h"
#include "fsutil.h"
#include "json.h"
#include "path.h"
#include "report.h"
#include "strv.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define REPORT_MAX_BYTES (256u << 20)   /* as `v2c inspect --report` */
/* A lock.json of V2C_FLEET_LOCK_MAX_IMAGES images of 128 layers is about
 * 70 MB; convert writes a few kB a service. */
#define LOCK_MAX_BYTES (16u << 20)
/* A directory's entries read at most: reports, results and whatever else
 * is there. */
#define DIR_MAX_ENTRIES 100000

static const char help[] =
        "Summarise a fleet of VMs from their inspection reports (`v2c inspect --json`):\n"
        "per VM its OS, services by class, the stateless services ready to convert\n"
        "and what blocks the others; across VMs the stateless services that would\n"
        "make one image, and waves to move them in (a service after those it\n"
        "connects to).  See docs/report.md.\n"
        "\n"
        "REPORT is a report file, or a directory: every *.json in it.  A VM is named\n"
        "after its file (without .json).  Convert results add the layers the VMs'\n"
        "images share (which a registry stores once): VM.lock.json (a copy of the\n"
        "DIR/v2c/lock.json `v2c convert -o DIR` wrote) or a layout directory named\n"
        "after the VM (VM/, holding v2c/lock.json), given or in a REPORT directory.\n"
        "\n"
        "options:\n"
        "  --json              print the summary as JSON (schema v2c.fleet-report/1)\n"
        "                      instead of text\n"
        "  -o, --output FILE   also write the JSON to FILE (atomically)\n"
        "  --html FILE         also write the summary as one self-contained HTML page\n"
        "                      with charts (no script, nothing loaded from anywhere)\n"
        "  --playbooks DIR     also write a draft rollout playbook per wave,\n"
        "                      DIR/wave-N.yaml (docs/playbook.md), whose values only\n"
        "                      the operator knows read \"FILL-IN ...\": `v2c rollout`\n"
        "                      refuses a draft until each is replaced\n"
        "\n"
        "exit status: 3 when a file is not a report or a convert result (or a\n"
        "directory holds none, or a result names no VM with a report); nothing is\n"
        "written then.\n";

static int run(int argc, char **argv);

const struct v2c_command v2c_command_report = {
        .name = "report", .run = run, .synopsis = "report [options] REPORT...",
        .summary = "summarise a fleet of inspection reports (JSON, text, HTML, draft playbooks)", .help = help,
};

/* What the command reads: inspection reports, and convert results
 * (lock.json) each with the VM it belongs to. */
struct inputs {
        char **reports;
        char **locks, **lock_vms;       /* parallel */
};

static void inputs_release(struct inputs *in)
{
        v2c_strv_free(in->reports);
        v2c_strv_free(in->locks);
        v2c_strv_free(in->lock_vms);
}

static bool ends_with(const char *s, const char *tail)
{
        size_t n = strlen(s), t = strlen(tail);
        return n > t && strcmp(s + n - t, tail) == 0;
}

/* NAME without its last TAIL characters, new. */
static char *cut(const char *name, size_t tail)
{
        return strndup(name, strlen(name) - tail);
}

static int add_lock(struct inputs *in, char *path, char *vm, struct v2c_error **err)
{
        if (path == NULL || vm == NULL || v2c_strv_consume(&in->locks, path) < 0) {
                free(vm);
                return v2c_error_set(err, ENOMEM, "out of memory");
        }
        if (v2c_strv_consume(&in->lock_vms, vm) < 0)
                return v2c_error_set(err, ENOMEM, "out of memory");
        return 0;
}

/* DIR/v2c/lock.json, when DIR is an OCI layout v2c convert wrote: new,
 * or NULL. */
static char *layout_lock(const char *dir)
{
        char *lock;
        struct stat st;
        if (asprintf(&lock, "%s/v2c/lock.json", dir) < 0)
                return NULL;
        if (stat(lock, &st) == 0 && S_ISREG(st.st_mode))
                return lock;
        free(lock);
        return NULL;
}

/* The name of the layout whose result LOCK is, when LOCK is
 * LAYOUT/v2c/lock.json as convert wrote it: new, or NULL. */
static char *layout_of_lock(const char *lock)
{
        _cleanup_free_ char *real = realpath(lock, NULL);
        _cleanup_free_ char *side = real ? v2c_path_dirname(real) : NULL;
        _cleanup_free_ char *layout = side ? v2c_path_dirname(side) : NULL;
        if (layout == NULL || strcmp(v2c_path_basename(side), "v2c") != 0 || strcmp(layout, "/") == 0)
                return NULL;
        return strdup(v2c_path_basename(layout));
}

/* The reports and convert results of directory ARG, in name order:
 * NAME.json a report, NAME.lock.json or a layout NAME/ (NAME/v2c/lock.json)
 * the convert result of VM NAME. */
static int list_dir(const char *arg, struct inputs *in, struct v2c_error **err)
{
        _cleanup_(v2c_strv_freep) char **names = NULL;
        DIR *d = opendir(arg);
        if (d == NULL)
                return v2c_error_set_kind(err, V2C_ERR_INPUT, errno, "cannot open `%s`: %m", arg);
        struct dirent *e;
        int r = 0;
        size_t n = 0;
        while (r == 0 && (e = readdir(d))) {
                if (e->d_name[0] == '.')
                        continue;
                if (++n > DIR_MAX_ENTRIES) {
                        r = v2c_error_set_kind(err, V2C_ERR_INPUT, E2BIG, "`%s` holds more than %d entries", arg,
                                               DIR_MAX_ENTRIES);
                        break;
                }
                if (v2c_strv_push(&names, e->d_name) < 0)
                        r = v2c_error_set(err, ENOMEM, "out of memory");
        }
        closedir(d);
        if (r < 0)
                return r;
        v2c_strv_sort_uniq(names);   /* names in a directory are unique already */
        size_t reports = 0, locks = 0;
        for (size_t i = 0; names && names[i] && r == 0; i++) {
                const char *name = names[i];
                _cleanup_free_ char *path = NULL;
                if (asprintf(&path, "%s/%s", arg, name) < 0)
                        return v2c_error_set(err, ENOMEM, "out of memory");
                struct stat st;
                if (ends_with(name, ".lock.json")) {
                        r = add_lock(in, TAKE_PTR(path), cut(name, strlen(".lock.json")), err);
                        locks++;
                } else if (ends_with(name, ".json")) {
                        if (++reports > V2C_FLEET_MAX_VMS)
                                return v2c_error_set_kind(err, V2C_ERR_INPUT, E2BIG, "`%s` holds more than %d reports",
                                                          arg, V2C_FLEET_MAX_VMS);
                        r = v2c_strv_consume(&in->reports, TAKE_PTR(path)) < 0 ?
                                    v2c_error_set(err, ENOMEM, "out of memory") : 0;
                } else if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
                        char *lock = layout_lock(path);
                        if (lock) {
                                r = add_lock(in, lock, strdup(name), err);
                                locks++;
                        }
                }
        }
        if (r == 0 && reports + locks == 0)
                return v2c_error_set_kind(err, V2C_ERR_INPUT, ENOENT,
                                          "`%s` holds no *.json report nor convert result", arg);
        return r;
}

/* ARG: a report file, a convert result (VM.lock.json, or a layout
 * directory VM/), or a directory of them. */
static int list_inputs(const char *arg, struct inputs *in, struct v2c_error **err)
{
        struct stat st;
        if (stat(arg, &st) < 0)
                return v2c_error_set_kind(err, V2C_ERR_INPUT, errno, "cannot open `%s`: %m", arg);
        const char *base = v2c_path_basename(arg);
        if (!S_ISDIR(st.st_mode)) {
                if (ends_with(base, ".lock.json"))
                        return add_lock(in, strdup(arg), cut(base, strlen(".lock.json")), err);
                _cleanup_free_ char *vm = strcmp(base, "lock.json") == 0 ? layout_of_lock(arg) : NULL;
                if (vm)
                        return add_lock(in, strdup(arg), TAKE_PTR(vm), err);
                return v2c_strv_push(&in->reports, arg) < 0 ? v2c_error_set(err, ENOMEM, "out of memory") : 0;
        }
        /* A layout is named after its VM, its directory's name ("out/web01/"). */
        _cleanup_free_ char *dir = strdup(arg);
        if (dir == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        for (size_t n = strlen(dir); n > 1 && dir[n - 1] == '/'; n--)
                dir[n - 1] = '\0';
        char *lock = layout_lock(dir);
        if (lock)
                return add_lock(in, lock, strdup(v2c_path_basename(dir)), err);
        return list_dir(dir, in, err);
}

/* The VM's name: the file's name without its directory and ".json". */
static char *vm_name(const char *path)
{
        const char *base = v2c_path_basename(path);
        size_t len = strlen(base);
        if (len > 5 && strcmp(base + len - 5, ".json") == 0)
                len -= 5;
        return strndup(base, len);
}

static int load_fleet(char **args, size_t n_args, struct v2c_fleet *f, struct v2c_error **err)
{
        _cleanup_(inputs_release) struct inputs in = { 0 };
        for (size_t i = 0; i < n_args; i++)
                if (list_inputs(args[i], &in, err) < 0)
                        return -EINVAL;
        if (in.reports == NULL)
                return v2c_error_set_kind(err, V2C_ERR_INPUT, ENOENT,
                                          "no inspection report among the arguments: convert results alone name no VM");
        for (size_t i = 0; in.reports[i]; i++) {
                _cleanup_json_ json_t *raw = NULL;
                __attribute__((cleanup(v2c_report_freep))) struct v2c_report *rep = NULL;
                _cleanup_free_ char *name = vm_name(in.reports[i]);
                if (name == NULL)
                        return v2c_error_set(err, ENOMEM, "out of memory");
                if (v2c_json_load_file(in.reports[i], REPORT_MAX_BYTES, &raw, err) < 0 ||
                    v2c_report_from_json(raw, &rep, err) < 0)
                        return v2c_error_prefix(err, -EINVAL, "report `%s`", in.reports[i]);
                if (v2c_fleet_add(f, name, in.reports[i], rep, err) < 0)
                        return -EINVAL;
        }
        /* Once every VM is known: each result belongs to one. */
        for (size_t i = 0; in.locks && in.locks[i]; i++) {
                _cleanup_json_ json_t *raw = NULL;
                if (v2c_json_load_file(in.locks[i], LOCK_MAX_BYTES, &raw, err) < 0)
                        return v2c_error_prefix(err, -EINVAL, "convert result `%s`", in.locks[i]);
                if (v2c_fleet_add_lock(f, in.lock_vms[i], in.locks[i], raw, err) < 0)
                        return -EINVAL;
        }
        return v2c_fleet_analyse(f, err);
}

static int write_playbooks(const struct v2c_fleet *f, const char *dir, struct v2c_error **err)
{
        if (mkdir(dir, 0755) < 0 && errno != EEXIST)
                return v2c_error_set(err, errno, "cannot create `%s`: %m", dir);
        /* All drafts made before the first is written. */
        _cleanup_(v2c_strv_freep) char **texts = NULL;
        for (size_t w = 1; w <= f->n_waves; w++) {
                char *yaml = NULL;
                if (v2c_fleet_playbook(f, w, &yaml) < 0 || v2c_strv_consume(&texts, yaml ? yaml : strdup("")) < 0)
                        return v2c_error_set(err, ENOMEM, "out of memory");
        }
        for (size_t w = 1; w <= f->n_waves; w++) {
                if (texts[w - 1][0] == '\0')
                        continue;       /* nothing with a port to move traffic for */
                _cleanup_free_ char *path = NULL;
                if (asprintf(&path, "%s/wave-%zu.yaml", dir, w) < 0)
                        return v2c_error_set(err, ENOMEM, "out of memory");
                int r = v2c_write_file_atomic(path, texts[w - 1], strlen(texts[w - 1]), 0644, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int run(int argc, char **argv)
{
        enum { OPT_JSON = V2C_OPT_COMMAND_FIRST, OPT_HTML, OPT_PLAYBOOKS };
        static const struct option opts[] = {
                { "json", no_argument, NULL, OPT_JSON },
                { "output", required_argument, NULL, 'o' },
                { "html", required_argument, NULL, OPT_HTML },
                { "playbooks", required_argument, NULL, OPT_PLAYBOOKS },
                {},
        };
        const struct v2c_command *self = &v2c_command_report;
        bool json = false;
        const char *output = NULL, *html = NULL, *playbooks = NULL;
        _cleanup_(v2c_cli_parser_release) struct v2c_cli_parser p = {
                .cmd = self, .argc = argc, .argv = argv, .shortopts = "o:", .options = opts,
        };
        int c;
        while ((c = v2c_cli_getopt(&p)) > 0) {
                switch (c) {
                case OPT_JSON: json = true; break;
                case 'o': output = optarg; break;
                case OPT_HTML: html = optarg; break;
                case OPT_PLAYBOOKS: playbooks = optarg; break;
                }
        }
        if (c < 0)
                return p.exit;
        if (p.n_args == 0)
                return v2c_cli_usage_error(self, "no REPORT given");
        if ((output && output[0] == '\0') || (html && html[0] == '\0') || (playbooks && playbooks[0] == '\0'))
                return v2c_cli_usage_error(self, "-o, --html and --playbooks need a name, not an empty one");

        struct v2c_error *err = NULL;
        _cleanup_(v2c_fleet_release) struct v2c_fleet f = { 0 };
        if (load_fleet(p.args, p.n_args, &f, &err) < 0)
                return v2c_cli_report(err);

        _cleanup_json_ json_t *doc = v2c_fleet_to_json(&f);
        _cleanup_free_ char *doc_text = doc ? v2c_json_dump(doc) : NULL;
        _cleanup_free_ char *text = json ? NULL : v2c_fleet_to_text(&f);
        _cleanup_free_ char *page = html ? v2c_fleet_to_html(&f) : NULL;
        if (doc_text == NULL || (!json && text == NULL) || (html && page == NULL))
                return v2c_cli_out_of_memory();
        if (output && v2c_write_file_atomic(output, doc_text, strlen(doc_text), 0644, &err) < 0)
                return v2c_cli_report(err);
        if (html && v2c_write_file_atomic(html, page, strlen(page), 0644, &err) < 0)
                return v2c_cli_report(err);
        if (playbooks && write_playbooks(&f, playbooks, &err) < 0)
                return v2c_cli_report(err);
        if (json)
                return v2c_cli_print_json(doc, "the fleet report was made");
        if (fputs(text, stdout) == EOF || fflush(stdout) == EOF) {
                v2c_error_set(&err, EIO, "writing the summary to standard output");
                return v2c_cli_report(err);
        }
        return V2C_EXIT_OK;
}
