/* v2c kube-job: the guests of an `inspect --manifest` file as a Kubernetes
 * Indexed Job (cli/kube-job.h, docs/FLEET.md).  The document is made in
 * memory and written whole (-o atomically) or not at all. */
#include "cli.h"
#include "cleanup.h"
#include "fsutil.h"
#include "guest-list.h"
#include "json.h"
#include "kube-job.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
        "Write the Kubernetes objects that do `v2c inspect` (and with --push\n"
        "`v2c convert --all-stateless --push`) of every guest of a manifest in a\n"
        "cluster: a ConfigMap of the guests and an Indexed Job (batch/v1) of one\n"
        "completion per guest, as one JSON List for `kubectl apply -f`.  See\n"
        "docs/FLEET.md.\n"
        "\n"
        "The manifest is the one `v2c inspect --manifest` reads (NAME DISK... a\n"
        "line), its disk paths relative to the root of --disks-claim, a volume\n"
        "holding every guest's disks (read-only; a pod cannot pick its volume by\n"
        "index).  Each guest's name becomes an RFC 1123 label: its report is\n"
        "reports/NAME.json on --results-claim, its images are tagged NAME.\n"
        "\n"
        "options:\n"
        "  --manifest FILE          the guests, one a line: NAME DISK [DISK...]\n"
        "  --image REF              v2c's container image, pinned by digest:\n"
        "                           HOST/REPO@sha256:<64 hex digits>\n"
        "  --disks-claim CLAIM      the PersistentVolumeClaim holding the disks\n"
        "  --results-claim CLAIM    the PersistentVolumeClaim the results go to\n"
        "                           (ReadWriteMany when the pods run in parallel)\n"
        "  --push HOST/PREFIX       also convert every stateless service and push\n"
        "                           it to HOST/PREFIX/SERVICE, tagged with the guest\n"
        "  --registry-secret NAME   the kubernetes.io/dockerconfigjson Secret of\n"
        "                           the registry's credentials (with --push)\n"
        "  --job-name NAME          the Job's name (default " V2C_KUBE_JOB_NAME_DEFAULT "), the ConfigMap's\n"
        "                           is NAME-guests\n"
        "  --parallelism N          pods at once (default 1)\n"
        "  --tcg                    ask for no /dev/kvm (devices.kubevirt.io/kvm):\n"
        "                           libguestfs runs its appliance under TCG\n"
        "  -o, --output FILE        write the List to FILE (atomically), not stdout\n"
        "\n"
        "exit status: 2 a bad option (an image not pinned, a name Kubernetes\n"
        "refuses), 3 a manifest that cannot be run so (an absolute disk path, two\n"
        "guests of one Kubernetes name...); nothing is written then.\n";

static int run(int argc, char **argv);

const struct v2c_command v2c_command_kube_job = {
        .name = "kube-job", .run = run,
        .synopsis = "kube-job --manifest FILE --image REF --disks-claim CLAIM --results-claim CLAIM [options]",
        .summary = "write a Kubernetes Indexed Job that inspects (and converts) a fleet's guests", .help = help,
};

static int parse_parallelism(const char *s, unsigned *out)
{
        char *end;
        errno = 0;
        long v = strtol(s, &end, 10);
        if (errno || end == s || *end || v < 1 || v > V2C_GUEST_LIST_MAX)
                return -EINVAL;
        *out = (unsigned) v;
        return 0;
}

static int run(int argc, char **argv)
{
        enum { OPT_MANIFEST = V2C_OPT_COMMAND_FIRST, OPT_IMAGE, OPT_DISKS_CLAIM, OPT_RESULTS_CLAIM, OPT_PUSH,
               OPT_REGISTRY_SECRET, OPT_JOB_NAME, OPT_PARALLELISM, OPT_TCG };
        static const struct option opts[] = {
                { "manifest", required_argument, NULL, OPT_MANIFEST },
                { "image", required_argument, NULL, OPT_IMAGE },
                { "disks-claim", required_argument, NULL, OPT_DISKS_CLAIM },
                { "results-claim", required_argument, NULL, OPT_RESULTS_CLAIM },
                { "push", required_argument, NULL, OPT_PUSH },
                { "registry-secret", required_argument, NULL, OPT_REGISTRY_SECRET },
                { "job-name", required_argument, NULL, OPT_JOB_NAME },
                { "parallelism", required_argument, NULL, OPT_PARALLELISM },
                { "tcg", no_argument, NULL, OPT_TCG },
                { "output", required_argument, NULL, 'o' },
                {},
        };
        const struct v2c_command *self = &v2c_command_kube_job;
        const char *manifest = NULL, *output = NULL;
        struct v2c_kube_job_options o = { .job_name = V2C_KUBE_JOB_NAME_DEFAULT, .parallelism = 1 };
        _cleanup_(v2c_cli_parser_release) struct v2c_cli_parser p = {
                .cmd = self, .argc = argc, .argv = argv, .shortopts = "o:", .options = opts,
        };
        int c;
        while ((c = v2c_cli_getopt(&p)) > 0) {
                switch (c) {
                case OPT_MANIFEST: manifest = optarg; break;
                case OPT_IMAGE: o.image = optarg; break;
                case OPT_DISKS_CLAIM: o.disks_claim = optarg; break;
                case OPT_RESULTS_CLAIM: o.results_claim = optarg; break;
                case OPT_PUSH: o.push = optarg; break;
                case OPT_REGISTRY_SECRET: o.registry_secret = optarg; break;
                case OPT_JOB_NAME: o.job_name = optarg; break;
                case OPT_TCG: o.tcg = true; break;
                case 'o': output = optarg; break;
                case OPT_PARALLELISM:
                        if (parse_parallelism(optarg, &o.parallelism) < 0)
                                return v2c_cli_usage_error(self, "--parallelism `%s` is not a number from 1 to %d",
                                                           optarg, V2C_GUEST_LIST_MAX);
                        break;
                }
        }
        if (c < 0)
                return p.exit;
        if (p.n_args > 0)
                return v2c_cli_usage_error(self, "takes no argument (`%s`): the guests come from --manifest", p.args[0]);
        if (manifest == NULL || o.image == NULL || o.disks_claim == NULL || o.results_claim == NULL)
                return v2c_cli_usage_error(self, "--manifest, --image, --disks-claim and --results-claim are required");
        if (output && (output[0] == '\0' || strcmp(output, "-") == 0))
                output = NULL;

        struct v2c_error *err = NULL;
        /* The options first (with no guest count yet): a bad one is a
         * usage error, whatever the manifest holds. */
        if (v2c_kube_job_check_options(&o, 0, &err) < 0) {
                int rc = v2c_cli_usage_error(self, "%s", err->msg);
                v2c_error_free(err);
                return rc;
        }
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        struct v2c_guest_spec *guests = NULL;
        size_t n = 0;
        int r = v2c_read_host_file(manifest, V2C_GUEST_LIST_BYTES, &text, &len, &err);
        if (r < 0 && err)
                err->kind = V2C_ERR_INPUT;
        if (r == 0)
                r = v2c_guest_list_parse(text, len, &guests, &n, &err);
        if (r < 0) {
                v2c_error_prefix(&err, r, "manifest `%s`", manifest);
                return v2c_cli_report(err);
        }
        /* The Job's name against the number of guests (its pods' names). */
        if (v2c_kube_job_check_options(&o, n, &err) < 0) {
                v2c_guest_specs_free(guests, n);
                int rc = v2c_cli_usage_error(self, "%s", err->msg);
                v2c_error_free(err);
                return rc;
        }
        _cleanup_json_ json_t *doc = NULL;
        r = v2c_kube_job(guests, n, &o, &doc, &err);
        v2c_guest_specs_free(guests, n);
        if (r < 0) {
                v2c_error_prefix(&err, r, "manifest `%s`", manifest);
                return v2c_cli_report(err);
        }
        if (output == NULL)
                return v2c_cli_print_json(doc, "the job was made");
        if (v2c_json_write(doc, output, &err) < 0)
                return v2c_cli_report(err);
        return V2C_EXIT_OK;
}
