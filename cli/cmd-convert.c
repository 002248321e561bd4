/* v2c convert: lift services of a guest into OCI images. */
#include "cli.h"
#include "registry.h"
#include "cleanup.h"
#include "fsutil.h"
#include "convert.h"
#include "guest.h"
#include "inspect.h"
#include "json.h"
#include "log.h"
#include "progress.h"
#include "ref.h"
#include "clock.h"
#include "signal-cleanup.h"
#include "strv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char help[] =
        "Convert services of SOURCE into an OCI image layout in DIR: one image per\n"
        "service, named after it in index.json, with deterministic layers (base,\n"
        "packages, config, app), secrets left out, and beside them in DIR/v2c/ a lock\n"
        "file, an SPDX SBOM, Kubernetes manifests and an env template per image.\n"
        "\n"
        "SOURCE is one guest, as for `v2c inspect`.  The guest is inspected first,\n"
        "unless --report gives the JSON of an earlier `v2c inspect --json` of it.\n"
        "\n"
        "options:\n"
        "  -s, --service NAME     convert NAME (repeatable)\n"
        "  --all-stateless        convert every stateless long-running service\n"
        "  --system               system image: the whole OS tree, NAME in the foreground\n"
        "  -o, --output DIR       the OCI layout to write (required)\n"
        "  --force                replace an existing OCI layout in DIR\n"
        "  --report FILE          reuse this inspection report (v2c.inspect/1 JSON)\n"
        "  --allow-stateful       convert stateful services, their data paths as volumes\n"
        "  --include-secret PATH  keep this secret file in the image (loudly)\n"
        "  --keep-setuid          keep setuid/setgid bits in service images (dropped by\n"
        "                         default, a warning names the files; --system keeps them)\n"
        "  --gzip                 gzip layers (for old runtimes) instead of zstd\n"
        "  --level N              compression level (zstd 1-19, gzip 1-9)\n"
        "  --threads N            zstd worker threads (the output does not depend on it)\n"
        "  --image-repo REPO      repository the Kubernetes manifests pull from\n"
        "                         (default localhost/v2c): REPO/NAME@sha256:...\n"
        "  --verify               run each image with podman, hardened as its manifests\n"
        "                         run it, and check that it answers on its ports (exit 1\n"
        "                         if one does not)\n"
        "  --no-harden            leave the runtime's defaults: no read-only root, no\n"
        "                         capability dropped, no limit (a warning says so)\n"
        "  --runtime-class NAME   runtimeClassName of the manifests (kata, gvisor: a\n"
        "                         hypervisor or sandbox boundary, see docs/convert.md)\n"
        "  --push HOST/PREFIX     push each image to HOST/PREFIX/NAME, by digest (and\n"
        "                         as --tag TAG), and name it so in the manifests\n"
        "  --tag TAG              the tag --push sets after the digest is in place\n"
        "  --json                 print the result as JSON (schema v2c.convert/1): each\n"
        "                         image's digests, layers, sizes, what --push and\n"
        "                         --verify did; nothing on stdout if the run fails\n"
        "  --base HOST/REPO@sha256:...\n"
        "                         build on this image: its layers go below the lifted\n"
        "                         ones (pulled, checked; a digest is required)\n"
        "  --allow-backing        follow the backing files a disk image names (see\n"
        "                         `v2c inspect`); without it such an image is refused\n"
        "  --launch-timeout S     seconds the libguestfs appliance may take to start\n"
        "  (and the registry options of `v2c push` for --push, of `v2c pull` for --base)\n"
        "\n"
        "SOURCE_DATE_EPOCH sets every timestamp (default 946684800, 2000-01-01).\n"
        "Exit status: 2 bad usage or unknown service, 3 unusable input,\n"
        "4 refused (a stateful service, DIR holding something else).\n";

static int parse_int(const char *s, int lo, int hi, int *out)
{
        char *end;
        errno = 0;
        long v = strtol(s, &end, 10);
        if (errno || end == s || *end || v < lo || v > hi)
                return -EINVAL;
        *out = (int) v;
        return 0;
}

static int source_date_epoch(int64_t *out, struct v2c_error **err)
{
        const char *s = getenv("SOURCE_DATE_EPOCH");
        *out = V2C_DEFAULT_SOURCE_DATE_EPOCH;
        if (s == NULL || *s == '\0')
                return 0;
        char *end;
        errno = 0;
        long long v = strtoll(s, &end, 10);
        if (errno || end == s || *end || v < 0 || v > 253402300799LL)
                return v2c_error_set_kind(err, V2C_ERR_USAGE, EINVAL,
                                          "SOURCE_DATE_EPOCH `%s` is not a number of seconds since 1970", s);
        *out = v;
        return 0;
}


/* A temporary directory of this run's own, $TMPDIR/v2c-convert-*: made
 * TMPDIR for the rest of the run, so that what libguestfs (its overlay of
 * the disk), the guest readers (downloads) and --verify (staged secret
 * files) put in $TMPDIR goes there, and one removal, at the end or on a
 * signal, takes it all.  libguestfs keeps its appliance cache where it was
 * (it follows TMPDIR unless LIBGUESTFS_CACHEDIR says otherwise). */
static int private_tmpdir(char **out, struct v2c_error **err)
{
        const char *tmp = getenv("TMPDIR");
        if (tmp == NULL || *tmp == '\0')
                tmp = "/var/tmp";
        _cleanup_free_ char *dir = NULL;
        if (asprintf(&dir, "%s/v2c-convert-XXXXXX", tmp) < 0)
                return v2c_error_set(err, ENOMEM, "out of memory");
        if (v2c_signal_cleanup_mkdtemp(dir) == NULL)
                return v2c_error_set(err, errno, "creating a temporary directory in `%s`: %m", tmp);
        /* 0755, as libguestfs makes its own there: qemu may run as
         * another user (libvirt backend); what is private in it is 0600
         * or in a 0700 directory of its own. */
        if (chmod(dir, 0755) < 0 ||
            (getenv("LIBGUESTFS_CACHEDIR") == NULL && setenv("LIBGUESTFS_CACHEDIR", tmp, 1) < 0) ||
            setenv("TMPDIR", dir, 1) < 0) {
                int e = errno;
                rmdir(dir);
                v2c_signal_cleanup_forget(dir);
                return v2c_error_set(err, e, "setting TMPDIR: %m");
        }
        *out = TAKE_PTR(dir);
        return 0;
}

/* Removes temporary directory *DIR (may be NULL) and forgets it. */
static void temporary_dir_removep(char **dir)
{
        if (*dir == NULL)
                return;
        v2c_remove_tree(*dir);
        v2c_signal_cleanup_forget(*dir);
        free(TAKE_PTR(*dir));
}

/* Flushes stdout; true (with the one error line said) when what was
 * printed did not all reach it. */
static bool stdout_failed(const char *layout)
{
        errno = 0;
        if (fflush(stdout) == 0 && !ferror(stdout))
                return false;
        int e = errno ? errno : EIO;
        v2c_log(V2C_LOG_ERROR, "writing the result to stdout: %s (the layout `%s` is written; its digests are in "
                "%s/v2c/lock.json)", strerror(e), layout, layout);
        return true;
}

/* Whether image I runs in a pod with others (verified with them). */
static bool in_pod(const struct v2c_convert_result *res, size_t i)
{
        for (size_t p = 0; p < res->n_pods; p++)
                for (size_t k = 0; k < res->pods[p].n_images; k++)
                        if (res->pods[p].images[k] == i)
                                return true;
        return false;
}

/* What --verify found of one image, for --json (DONE NULL: the text line
 * goes to stdout instead): {"result", "pod", "notes"}. */
static void verify_done(json_t **done, const char *ref_name, const char *result, const char *pod, char *const *notes)
{
        if (done == NULL) {
                v2c_progress_clear();   /* stdout may be the same terminal */
                if (strcmp(result, "answered") == 0)
                        printf("verified\t%s%s%s\n", ref_name, pod ? "\tpod " : "", pod ? pod : "");
                return;
        }
        json_decref(*done);
        *done = json_pack("{s:s, s:o, s:o}", "result", result, "pod", v2c_json_str(pod), "notes", v2c_json_strv(notes));
}

/* --verify of services that reach each other over localhost: together in
 * one podman pod, as the Kubernetes manifest runs them.  Returns how many
 * pods failed.  DONE (may be NULL): what it found of each image. */
static int verify_pods(const struct v2c_convert_result *res, const char *layout, struct v2c_guest *g, json_t **done)
{
        int failed = 0;
        for (size_t p = 0; p < res->n_pods; p++) {
                const struct v2c_convert_pod *pod = &res->pods[p];
                _cleanup_free_ struct v2c_verify_member *m = calloc(pod->n_images, sizeof *m);
                if (m == NULL) {
                        v2c_cli_out_of_memory();
                        return failed + 1;
                }
                for (size_t k = 0; k < pod->n_images; k++) {
                        const struct v2c_converted *im = &res->images[pod->images[k]];
                        m[k] = (struct v2c_verify_member) { .ref_name = im->ref_name, .ports = im->ports,
                                                            .n_ports = im->n_ports, .guest = g,
                                                            .secret_files = im->secret_files,
                                                            .n_secret_files = im->n_secret_files,
                                                            .harden = &im->harden };
                }
                _cleanup_strv_ char **notes = NULL;
                struct v2c_verify_pod_options vopt = { .layout = layout, .pod = pod->name, .members = m,
                                                       .n_members = pod->n_images, .notes = &notes };
                struct v2c_error *err = NULL;
                v2c_progress_tick("verifying pod %s: podman runs its services and probes their ports", pod->name);
                if (v2c_convert_verify_pod(&vopt, &err) < 0) {
                        v2c_cli_report(err);
                        failed++;
                        continue;
                }
                for (size_t k = 0; notes && notes[k]; k++)
                        v2c_warn("%s", notes[k]);
                v2c_info("pod %s: its %zu services run together and answer on their ports", pod->name,
                         pod->n_images);
                v2c_progress_clear();   /* stdout may be the same terminal */
                for (size_t k = 0; k < pod->n_images; k++)
                        verify_done(done ? &done[pod->images[k]] : NULL, res->images[pod->images[k]].ref_name,
                                    "answered", pod->name, notes);
        }
        return failed;
}

/* ---- the command: parse the options, plan, run, output ---- */

static int run(int argc, char **argv);

const struct v2c_command v2c_command_convert = {
        .name = "convert", .run = run,
        .synopsis = "convert (--service NAME... | --all-stateless) -o DIR [options] SOURCE...",
        .summary = "lift services into deterministic, layered OCI images", .help = help,
};

/* What the command line asks for. */
struct convert_args {
        struct v2c_convert_options copt;
        struct v2c_guest_options gopt;
        struct v2c_cli_registry reg;
        char **services, **secrets;     /* owned; copt points at them */
        const char *report_path, *push, *tag, *base;
        bool verify, json;
        char **sources;                 /* borrowed from the parser */
        size_t n_sources;
};

static void convert_args_release(struct convert_args *a)
{
        v2c_cli_registry_release(&a->reg);
        v2c_cli_registry_cleanup();
        v2c_strv_free(a->services);
        v2c_strv_free(a->secrets);
        a->services = a->secrets = NULL;
}

/* Reads the command line into A, with every check that needs no work
 * done; false when the command ends here, with *status its exit status
 * (--help, a usage error). */
static bool parse_args(struct v2c_cli_parser *p, struct convert_args *a, int *status)
{
        enum {
                OPT_ALL_STATELESS = V2C_OPT_COMMAND_FIRST, OPT_SYSTEM, OPT_FORCE, OPT_REPORT, OPT_ALLOW_STATEFUL,
                OPT_INCLUDE_SECRET, OPT_KEEP_SETUID, OPT_GZIP, OPT_LEVEL, OPT_THREADS, OPT_IMAGE_REPO, OPT_VERIFY,
                OPT_PUSH, OPT_TAG, OPT_BASE, OPT_ALLOW_BACKING, OPT_LAUNCH_TIMEOUT, OPT_NO_HARDEN, OPT_RUNTIME_CLASS,
                OPT_JSON,
        };
        static const struct option opts[] = {
                { "service", required_argument, NULL, 's' },
                { "all-stateless", no_argument, NULL, OPT_ALL_STATELESS },
                { "system", no_argument, NULL, OPT_SYSTEM },
                { "output", required_argument, NULL, 'o' },
                { "force", no_argument, NULL, OPT_FORCE },
                { "report", required_argument, NULL, OPT_REPORT },
                { "allow-stateful", no_argument, NULL, OPT_ALLOW_STATEFUL },
                { "include-secret", required_argument, NULL, OPT_INCLUDE_SECRET },
                { "keep-setuid", no_argument, NULL, OPT_KEEP_SETUID },
                { "gzip", no_argument, NULL, OPT_GZIP },
                { "level", required_argument, NULL, OPT_LEVEL },
                { "threads", required_argument, NULL, OPT_THREADS },
                { "image-repo", required_argument, NULL, OPT_IMAGE_REPO },
                { "verify", no_argument, NULL, OPT_VERIFY },
                { "push", required_argument, NULL, OPT_PUSH },
                { "tag", required_argument, NULL, OPT_TAG },
                { "base", required_argument, NULL, OPT_BASE },
                { "allow-backing", no_argument, NULL, OPT_ALLOW_BACKING },
                { "launch-timeout", required_argument, NULL, OPT_LAUNCH_TIMEOUT },
                { "no-harden", no_argument, NULL, OPT_NO_HARDEN },
                { "runtime-class", required_argument, NULL, OPT_RUNTIME_CLASS },
                { "json", no_argument, NULL, OPT_JSON },
                {},
        };
        const struct v2c_command *self = &v2c_command_convert;
        struct v2c_convert_options *copt = &a->copt;
        p->shortopts = "s:o:";
        p->options = opts;
        p->registry = &a->reg;
        int c;
        while ((c = v2c_cli_getopt(p)) > 0) {
                switch (c) {
                case 's':
                        if (v2c_strv_push(&a->services, optarg) < 0)
                                return *status = v2c_cli_out_of_memory(), false;
                        break;
                case OPT_ALL_STATELESS: copt->all_stateless = true; break;
                case OPT_SYSTEM: copt->mode = V2C_CONVERT_SYSTEM; break;
                case 'o': copt->output = optarg; break;
                case OPT_FORCE: copt->force = true; break;
                case OPT_REPORT: a->report_path = optarg; break;
                case OPT_ALLOW_STATEFUL: copt->allow_stateful = true; break;
                case OPT_KEEP_SETUID: copt->keep_setid = true; break;
                case OPT_INCLUDE_SECRET:
                        if (optarg[0] != '/')
                                return *status = v2c_cli_usage_error(self, "--include-secret needs a guest path, not `%s`",
                                                           optarg), false;
                        if (v2c_strv_push(&a->secrets, optarg) < 0)
                                return *status = v2c_cli_out_of_memory(), false;
                        break;
                case OPT_GZIP: copt->layer.compression = V2C_COMPRESS_GZIP; break;
                case OPT_LEVEL:
                        if (parse_int(optarg, 1, 19, &copt->layer.level) < 0)
                                return *status = v2c_cli_usage_error(self, "--level `%s` is not between 1 and 19", optarg), false;
                        break;
                case OPT_THREADS:
                        if (parse_int(optarg, 1, 256, &copt->layer.threads) < 0)
                                return *status = v2c_cli_usage_error(self, "--threads `%s` is not between 1 and 256", optarg),
                                       false;
                        break;
                case OPT_IMAGE_REPO: copt->image_repo = optarg; break;
                case OPT_VERIFY: a->verify = true; break;
                case OPT_JSON: a->json = true; break;
                case OPT_PUSH: a->push = optarg; break;
                case OPT_TAG: a->tag = optarg; break;
                case OPT_BASE: a->base = optarg; break;
                case OPT_ALLOW_BACKING: a->gopt.allow_backing = true; break;
                case OPT_NO_HARDEN: copt->no_harden = true; break;
                case OPT_RUNTIME_CLASS: copt->runtime_class = optarg; break;
                case OPT_LAUNCH_TIMEOUT:
                        if (v2c_cli_parse_seconds(optarg, &a->gopt.launch_timeout_s) < 0)
                                return *status = v2c_cli_usage_error(self, "--launch-timeout `%s` is not a number of seconds "
                                                                 "(1-86400)", optarg), false;
                        break;
                }
        }
        if (c < 0)
                return *status = p->exit, false;
        if (p->n_args == 0)
                return *status = v2c_cli_usage_error(self, "no SOURCE given"), false;
        if (copt->output == NULL)
                return *status = v2c_cli_usage_error(self, "no output directory given (-o DIR)"), false;
        if (copt->output[0] == '\0')
                return *status = v2c_cli_usage_error(self, "-o needs a directory name, not an empty one"), false;
        if (a->services == NULL && !copt->all_stateless)
                return *status = v2c_cli_usage_error(self, "name the services to convert (--service NAME) or --all-stateless"),
                       false;
        if (copt->layer.compression == V2C_COMPRESS_GZIP && copt->layer.level > 9)
                return *status = v2c_cli_usage_error(self, "gzip levels go from 1 to 9"), false;
        if (a->tag && a->push == NULL)
                return *status = v2c_cli_usage_error(self, "--tag goes with --push"), false;
        if (copt->runtime_class && !v2c_convert_runtime_class_valid(copt->runtime_class))
                return *status = v2c_cli_usage_error(self, "--runtime-class `%s` is not a Kubernetes name (a DNS "
                                                 "subdomain: a-z, 0-9, '-' and '.')", copt->runtime_class), false;
        if (copt->no_harden)
                v2c_warn("--no-harden: the images run with the runtime's defaults: writable root, default "
                         "capabilities, no limits; the VM confined them more");
        const char *push = a->push;
        if (push && (strchr(push, '@') || strchr(strchr(push, '/') ? strchr(push, '/') : push, ':')))
                return *status = v2c_cli_usage_error(self, "--push takes HOST/PREFIX (no tag or digest): images go to "
                                                 "HOST/PREFIX/NAME; use --tag for a tag"), false;
        *status = v2c_cli_registry_finish(self, &a->reg);
        if (*status != V2C_EXIT_OK)
                return false;
        if (push && copt->image_repo == NULL)
                copt->image_repo = push;
        copt->services = a->services;
        copt->include_secrets = a->secrets;
        a->sources = p->args;
        a->n_sources = p->n_args;
        copt->source = strrchr(p->args[0], '/') ? strrchr(p->args[0], '/') + 1 : p->args[0];
        return true;
}

/* What a run works on, made before the conversion. */
struct convert_plan {
        struct v2c_report *report;
        char *tmpdir;                   /* this run's TMPDIR */
        struct v2c_guest *guest;
        char *base_top;                 /* holds the --base image pulled; removed once converted */
        char *base_dir, *base_pinned;
};

static void convert_plan_release(struct convert_plan *pl)
{
        temporary_dir_removep(&pl->base_top);
        free(pl->base_dir);
        free(pl->base_pinned);
        pl->base_dir = pl->base_pinned = NULL;
        /* The guest first: its overlay is in the temporary directory. */
        v2c_guest_closep(&pl->guest);
        temporary_dir_removep(&pl->tmpdir);
        v2c_report_freep(&pl->report);
        pl->report = NULL;
}

/* --base: the image pulled beside DIR, checked and pinned; an exit status. */
static int pull_base(struct convert_args *a, struct convert_plan *pl)
{
        const struct v2c_command *self = &v2c_command_convert;
        struct v2c_error *err = NULL;
        struct v2c_ref bref;
        if (v2c_ref_parse(a->base, &bref, &err) < 0)
                return v2c_cli_report(err);
        bool pinned = bref.digest != NULL;
        v2c_ref_release(&bref);
        if (!pinned)
                return v2c_cli_usage_error(self, "--base needs a digest (HOST/REPO@sha256:...), not a "
                                                 "tag: a base must not change under the image");
        /* Pulled into DIR.v2c-base-*\/layout: the pull's own temporary
         * lands in that directory too, so a signal takes both; beside DIR,
         * its blobs link into the new layout. */
        const char *output = a->copt.output;
        size_t ol = strlen(output);
        while (ol > 1 && output[ol - 1] == '/')
                ol--;
        if (asprintf(&pl->base_top, "%.*s.v2c-base-XXXXXX", (int) ol, output) < 0) {
                pl->base_top = NULL;
                return v2c_cli_out_of_memory();
        }
        if (v2c_signal_cleanup_mkdtemp(pl->base_top) == NULL) {
                v2c_error_set(&err, errno, "creating `%s`: %m", pl->base_top);
                free(TAKE_PTR(pl->base_top));
                return v2c_cli_report(err);
        }
        if (asprintf(&pl->base_dir, "%s/layout", pl->base_top) < 0) {
                pl->base_dir = NULL;
                return v2c_cli_out_of_memory();
        }
        struct v2c_pull_result pr;
        if (v2c_pull(a->base, pl->base_dir, "base", NULL, &a->reg.opt, &pr, &err) < 0) {
                v2c_error_prefix(&err, -EIO, "base image %s", a->base);
                return v2c_cli_report(err);
        }
        pl->base_pinned = TAKE_PTR(pr.pinned);
        v2c_pull_result_release(&pr);
        /* Pushed to the same registry, its layers mount from where they came. */
        struct v2c_ref pref, bref2;
        if (a->push && v2c_ref_parse(a->base, &bref2, NULL) == 0) {
                _cleanup_free_ char *probe = NULL;
                if (asprintf(&probe, "%s/x", a->push) >= 0 && v2c_ref_parse(probe, &pref, NULL) == 0) {
                        if (strcmp(pref.host, bref2.host) == 0)
                                v2c_strv_push_unique(&a->reg.mount_from, bref2.repo);
                        v2c_ref_release(&pref);
                }
                v2c_ref_release(&bref2);
        }
        a->copt.base_layout = pl->base_dir;
        a->copt.base_name = "base";
        a->copt.base_ref = pl->base_pinned;
        return V2C_EXIT_OK;
}

/* Everything the conversion needs, in the order that fails early and
 * cheaply: the target checked, the report read or made, the guest opened
 * and prefetched, the base image pulled; an exit status. */
static int plan(struct convert_args *a, struct convert_plan *pl)
{
        struct v2c_convert_options *copt = &a->copt;
        struct v2c_error *err = NULL;
        if (source_date_epoch(&copt->layer.epoch, &err) < 0)
                return v2c_cli_report(err);
        /* Before any work: the same check comes again when it is written. */
        if (v2c_oci_layout_check_target(copt->output, copt->force, &err) < 0)
                return v2c_cli_report(err);

        /* The report: read back and checked, or made now. */
        if (a->report_path) {
                _cleanup_json_ json_t *raw = NULL;
                if (v2c_json_load_file(a->report_path, 256u << 20, &raw, &err) < 0 ||
                    v2c_report_from_json(raw, &pl->report, &err) < 0) {
                        v2c_error_prefix(&err, -EINVAL, "report `%s`", a->report_path);
                        return v2c_cli_report(err);
                }
        }

        /* Before the guest, which is closed first (its overlay is there). */
        if (private_tmpdir(&pl->tmpdir, &err) < 0)
                return v2c_cli_report(err);

        /* A system image holds the whole tree: it comes out in one piece.
         * Service images fetch what they hold (v2c_convert). */
        a->gopt.prefetch_max_kib = copt->mode == V2C_CONVERT_SYSTEM ? 64ull << 20 : 0;
        if (v2c_guest_open((const char *const *) a->sources, a->n_sources, &a->gopt, &pl->guest, &err) < 0)
                return v2c_cli_report(err);
        if (pl->report == NULL) {
                struct v2c_inspect_options iopt = { 0 };
                if (v2c_inspect(pl->guest, &iopt, &pl->report, &err) < 0)
                        return v2c_cli_report(err);
        }
        const char *const *pre = v2c_convert_prefetch_dirs(copt->mode);
        if (v2c_guest_prefetch(pl->guest, pre, v2c_strv_len((char *const *) pre), NULL, &err) < 0)
                return v2c_cli_report(err);
        return a->base ? pull_base(a, pl) : V2C_EXIT_OK;
}

/* The summary line on a terminal (common/progress decides): images,
 * layers and bytes written (a layer shared by images counted once). */
static void show_summary(const struct v2c_convert_result *res, const char *output, int64_t ms)
{
        size_t layers = 0;
        uint64_t bytes = 0;
        for (size_t i = 0; i < res->n_images; i++)
                for (size_t k = 0; k < res->images[i].n_layers; k++) {
                        const struct v2c_layer_result *l = &res->images[i].layers[k].result;
                        bool seen = false;
                        for (size_t j = 0; j <= i && !seen; j++)
                                for (size_t m = 0; m < (j < i ? res->images[j].n_layers : k) && !seen; m++)
                                        seen = strcmp(res->images[j].layers[m].result.digest, l->digest) == 0;
                        if (!seen) {
                                layers++;
                                bytes += l->size;
                        }
                }
        char b[16], t[16];
        v2c_progress_done("converted %zu image%s into %s: %zu layers, %s written, in %s", res->n_images,
                          res->n_images == 1 ? "" : "s", output, layers, v2c_progress_bytes(bytes, b, sizeof b),
                          v2c_progress_duration(ms, t, sizeof t));
}

/* The images and what the log says of them (with --json, the log only:
 * the document comes at the end); an exit status. */
static int print_result(const struct v2c_convert_result *res, const char *output, bool json)
{
        for (size_t i = 0; res->warnings && res->warnings[i]; i++)
                v2c_warn("%s", res->warnings[i]);
        for (size_t i = 0; i < res->n_images; i++) {
                const struct v2c_converted *im = &res->images[i];
                if (!json)
                        printf("%s\t%s\n", im->ref_name, im->manifest.digest);
                for (size_t k = 0; k < im->n_layers; k++)
                        v2c_info("  %-8s %s  %zu entries, %llu bytes", im->layers[k].role, im->layers[k].result.digest,
                                 im->layers[k].files, (unsigned long long) im->layers[k].result.size);
                for (size_t k = 0; im->notes && im->notes[k]; k++)
                        v2c_info("  %s", im->notes[k]);
                if (im->env_required)
                        v2c_warn("%s: secret variables left out, to supply at run time (see %s/v2c/%s.env.template)",
                                 im->ref_name, output, im->ref_name);
        }
        for (size_t i = 0; i < res->n_pods; i++)
                v2c_info("pod %s: its services reach each other over localhost and run in one pod (see %s/v2c/%s.pod.k8s.yaml)",
                         res->pods[i].name, output, res->pods[i].name);
        /* The digests are the result: lost on stdout, the run failed (the
         * layout stays, they are in its lock.json too). */
        return stdout_failed(output) ? V2C_EXIT_FAILURE : V2C_EXIT_OK;
}

/* --push: each image to PUSH/NAME[:TAG]; an exit status.  PUSHED (may be
 * NULL: the pinned references are printed): what each push did. */
static int push_images(struct convert_args *a, const struct v2c_convert_result *res, json_t **pushed)
{
        int rc = V2C_EXIT_OK;
        /* Each image's repository: its name as the reference grammar has
         * it (lowercase, separators where allowed: "postfix@-" is
         * "postfix"), the same the manifests pull from; two images never
         * go to one repository. */
        _cleanup_strv_ char **repos = NULL;
        for (size_t i = 0; i < res->n_images; i++) {
                char *c = v2c_ref_repo_component(res->images[i].ref_name);
                if (c == NULL || v2c_strv_consume(&repos, c) < 0)
                        return v2c_cli_out_of_memory();
                for (size_t k = 0; k < i; k++)
                        if (strcmp(repos[k], repos[i]) == 0) {
                                v2c_log(V2C_LOG_ERROR, "%s and %s would both be pushed to %s/%s: convert them apart (--service)",
                                          res->images[k].ref_name, res->images[i].ref_name, a->push, repos[i]);
                                return V2C_EXIT_FAILURE;
                        }
        }
        for (size_t i = 0; i < res->n_images && rc == V2C_EXIT_OK; i++) {
                _cleanup_free_ char *dest = NULL;
                if (asprintf(&dest, "%s/%s%s%s", a->push, repos[i], a->tag ? ":" : "", a->tag ? a->tag : "") < 0) {
                        dest = NULL;
                        rc = v2c_cli_out_of_memory();
                        break;
                }
                rc = v2c_cli_push_one(a->copt.output, res->images[i].ref_name, dest, &a->reg,
                                      pushed ? &pushed[i] : NULL);
        }
        v2c_cli_registry_cleanup();
        return rc;
}

/* --verify: pods together, then every other image with a port; an exit
 * status (each failure reported).  DONE (may be NULL: a line per image on
 * stdout): what it found of each. */
static int verify_images(const struct convert_args *a, const struct v2c_convert_result *res, struct v2c_guest *g,
                         json_t **done)
{
        int failed = verify_pods(res, a->copt.output, g, done);
        for (size_t i = 0; i < res->n_images; i++) {
                const struct v2c_converted *im = &res->images[i];
                if (in_pod(res, i))
                        continue;
                if (im->n_ports == 0) {
                        v2c_warn("%s: no TCP port to check: --verify skips it", im->ref_name);
                        verify_done(done ? &done[i] : NULL, im->ref_name, "skipped", NULL, NULL);
                        continue;
                }
                _cleanup_strv_ char **notes = NULL;
                struct v2c_verify_options vopt = { .layout = a->copt.output, .ref_name = im->ref_name,
                                                   .ports = im->ports, .n_ports = im->n_ports,
                                                   .guest = g, .secret_files = im->secret_files,
                                                   .n_secret_files = im->n_secret_files,
                                                   .harden = &im->harden,
                                                   .notes = &notes };
                struct v2c_error *err = NULL;
                v2c_progress_tick("verifying %s: podman runs it and probes its port%s", im->ref_name,
                                  im->n_ports > 1 ? "s" : "");
                if (v2c_convert_verify(&vopt, &err) < 0) {
                        v2c_cli_report(err);
                        failed++;
                        continue;
                }
                for (size_t k = 0; notes && notes[k]; k++)
                        v2c_warn("%s", notes[k]);
                v2c_info("%s: answers on its port%s", im->ref_name, im->n_ports > 1 ? "s" : "");
                verify_done(done ? &done[i] : NULL, im->ref_name, "answered", NULL, notes);
        }
        return failed ? V2C_EXIT_FAILURE : V2C_EXIT_OK;
}

/* What --push and --verify did of each image (--json): n of each, NULL
 * where they did not run. */
struct convert_done {
        json_t **pushed, **verified;
        size_t n;
};

static int convert_done_alloc(struct convert_done *x, size_t n)
{
        x->n = n;
        x->pushed = calloc(n ? n : 1, sizeof *x->pushed);
        x->verified = calloc(n ? n : 1, sizeof *x->verified);
        return x->pushed && x->verified ? 0 : -ENOMEM;
}

static void convert_done_free(struct convert_done *x)
{
        for (size_t i = 0; i < x->n; i++) {
                json_decref(x->pushed ? x->pushed[i] : NULL);
                json_decref(x->verified ? x->verified[i] : NULL);
        }
        free(x->pushed);
        free(x->verified);
}

static json_t *descriptor_json(const struct v2c_descriptor *d)
{
        return json_pack("{s:s, s:s, s:I}", "digest", d->digest, "media_type", d->media_type ? d->media_type : "",
                         "size", (json_int_t) d->size);
}

/* The v2c.convert/1 document (docs/convert.md, keys in this order): new
 * reference, NULL without memory. */
static json_t *convert_json(const struct convert_args *a, const struct v2c_convert_result *res,
                            const struct convert_done *x)
{
        json_t *images = json_array();
        for (size_t i = 0; images && i < res->n_images; i++) {
                const struct v2c_converted *im = &res->images[i];
                json_t *layers = json_array(), *ports = json_array(), *secrets = json_array();
                uint64_t size = im->manifest.size + im->config.size;
                for (size_t k = 0; layers && k < im->n_layers; k++) {
                        const struct v2c_converted_layer *l = &im->layers[k];
                        size += l->result.size;
                        json_array_append_new(layers, json_pack("{s:s, s:s, s:s, s:I, s:s, s:I}", "role", l->role,
                                                                "digest", l->result.digest, "diff_id", l->result.diff_id,
                                                                "size", (json_int_t) l->result.size, "media_type",
                                                                l->result.media_type ? l->result.media_type : "",
                                                                "files", (json_int_t) l->files));
                }
                for (size_t k = 0; ports && k < im->n_ports; k++)
                        json_array_append_new(ports, json_integer(im->ports[k]));
                for (size_t k = 0; secrets && k < im->n_secret_files; k++) {
                        const struct v2c_secret_mount *m = &im->secret_files[k];
                        char mode[8];
                        snprintf(mode, sizeof mode, "%04o", m->mode & 07777);
                        json_array_append_new(secrets, json_pack("{s:o, s:s, s:I, s:I, s:s}", "path",
                                                                 v2c_json_str(m->path), "key", m->key, "uid",
                                                                 (json_int_t) m->uid, "gid", (json_int_t) m->gid,
                                                                 "mode", mode));
                }
                const char *pod = NULL;
                for (size_t p = 0; p < res->n_pods; p++)
                        for (size_t k = 0; k < res->pods[p].n_images; k++)
                                if (res->pods[p].images[k] == i)
                                        pod = res->pods[p].name;
                json_t *pushed = x->pushed[i] ? json_deep_copy(x->pushed[i]) : json_null();
                /* Pushed from this layout, as this image: said once, above. */
                json_object_del(pushed, "schema");
                json_object_del(pushed, "layout");
                json_object_del(pushed, "name");
                json_t *o = json_pack("{s:s, s:o, s:o, s:o, s:o, s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:O?}",
                                      "name", im->ref_name, "service", v2c_json_str(im->service), "manifest",
                                      descriptor_json(&im->manifest), "config", descriptor_json(&im->config), "layers",
                                      layers, "size", (json_int_t) size, "ports", ports, "user",
                                      v2c_json_str(im->user_uid), "volumes", v2c_json_strv(im->volumes), "secret_files",
                                      secrets, "env_required", v2c_json_strv(im->env_required), "notes",
                                      v2c_json_strv(im->notes), "pod", v2c_json_str(pod), "pushed", pushed, "verify",
                                      x->verified[i] ? x->verified[i] : json_null());
                if (o == NULL || json_array_append_new(images, o) < 0) {
                        json_decref(images);
                        return NULL;
                }
        }
        json_t *pods = json_array();
        for (size_t p = 0; pods && p < res->n_pods; p++) {
                json_t *members = json_array();
                for (size_t k = 0; members && k < res->pods[p].n_images; k++)
                        json_array_append_new(members, json_string(res->images[res->pods[p].images[k]].ref_name));
                json_array_append_new(pods, json_pack("{s:s, s:o}", "name", res->pods[p].name, "images", members));
        }
        return json_pack("{s:s, s:s, s:o, s:s, s:o, s:o, s:o}", "schema", "v2c.convert/1", "layout", a->copt.output,
                         "source", v2c_json_str(a->copt.source), "mode",
                         a->copt.mode == V2C_CONVERT_SYSTEM ? "system" : "service", "images", images, "pods", pods,
                         "warnings", v2c_json_strv(res->warnings));
}

static int run(int argc, char **argv)
{
        _cleanup_(v2c_cli_parser_release) struct v2c_cli_parser p = {
                .cmd = &v2c_command_convert, .argc = argc, .argv = argv,
        };
        _cleanup_(convert_args_release) struct convert_args a = {
                .copt = { .layer = { .compression = V2C_COMPRESS_ZSTD } },
        };
        int rc;
        if (!parse_args(&p, &a, &rc))
                return rc;
        _cleanup_(convert_plan_release) struct convert_plan pl = { 0 };
        int64_t started = v2c_monotonic_ms();
        rc = plan(&a, &pl);
        if (rc != V2C_EXIT_OK)
                return rc;

        __attribute__((cleanup(v2c_convert_result_freep))) struct v2c_convert_result *res = NULL;
        struct v2c_error *err = NULL;
        int r = v2c_convert(pl.guest, pl.report, &a.copt, &res, &err);
        temporary_dir_removep(&pl.base_top);
        if (r < 0)
                return v2c_cli_report(err);

        /* --json: what --push and --verify did of each image, gathered
         * until the document goes out whole, at the end. */
        __attribute__((cleanup(convert_done_free))) struct convert_done jx = { 0 };
        if (a.json && convert_done_alloc(&jx, res->n_images) < 0)
                return v2c_cli_out_of_memory();
        /* stdout may be the same terminal: no region above the digests. */
        v2c_progress_clear();
        rc = print_result(res, a.copt.output, a.json);
        /* Last of what convert itself says: after its warnings. */
        show_summary(res, a.copt.output, v2c_monotonic_ms() - started);
        if (rc == V2C_EXIT_OK && a.push)
                rc = push_images(&a, res, jx.pushed);
        if (rc == V2C_EXIT_OK && a.verify)
                rc = verify_images(&a, res, pl.guest, jx.verified);
        if (rc != V2C_EXIT_OK)
                return rc;
        if (a.json) {
                _cleanup_json_ json_t *doc = convert_json(&a, res, &jx);
                return v2c_cli_print_json(doc, "the layout `%s` is written (its digests are in %s/v2c/lock.json)",
                                          a.copt.output, a.copt.output);
        }
        return stdout_failed(a.copt.output) ? V2C_EXIT_FAILURE : V2C_EXIT_OK;
}
