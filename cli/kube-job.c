/* The fleet as a Kubernetes Indexed Job (kube-job.h, docs/FLEET.md).
 *
 * Traps of the API this file keeps out of the way:
 * - a container's command and args are expanded by the kubelet: "$(VAR)"
 *   becomes VAR's value when VAR is in the container's environment, and
 *   "$$" becomes "$".  The script below holds neither (a unit test checks);
 * - an Indexed Job's pods are named and hostnamed JOB-INDEX, which must
 *   stay a label (63 bytes): the Job's name leaves room for the largest
 *   index;
 * - backoffLimit counts the failed pods of the whole Job (a limit per
 *   index is Kubernetes 1.28), and a Job over it stops every pod, so a
 *   guest that no retry can help must not fail its pod: the script
 *   records it on the results claim and exits 0 (docs/FLEET.md). */
#include "kube-job.h"
#include "cleanup.h"
#include "json.h"
#include "ref.h"
#include "text.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* POSIX sh.  Guest I's line is read from the ConfigMap and split on
 * blanks (which no field holds: the manifest's fields are separated by
 * them) with globbing off; each path reaches v2c as one argument after
 * "--".  Exit statuses: 0 done, or recorded in failed/NAME.txt when v2c
 * says another try would not change it (2, 3, 4: usage, unusable input,
 * refused, such as a guest with no stateless service to convert); 1 (the
 * appliance or the registry failed) fails the pod, which the Job retries. */
const char v2c_kube_job_script[] =
        "set -euf\n"
        "read -r guest disks <\"$V2C_GUESTS/$JOB_COMPLETION_INDEX\"\n"
        "cd \"$V2C_DISKS\"\n"
        "set -- $disks\n"
        "r=$V2C_RESULTS\n"
        "mkdir -p \"$r/reports\" \"$r/images\" \"$r/failed\"\n"
        "rm -f \"$r/failed/$guest.txt\"\n"
        "step=inspect st=0\n"
        "v2c inspect --json -o \"$r/reports/$guest.json\" -- \"$@\" 2>\"$V2C_WORK/err\" || st=$?\n"
        "cat \"$V2C_WORK/err\" >&2\n"
        "if [ \"$st\" -eq 0 ] && [ -n \"${V2C_PUSH:-}\" ]; then\n"
        "  step=convert\n"
        "  v2c convert --all-stateless --report \"$r/reports/$guest.json\" -o \"$V2C_WORK/images\" \\\n"
        "    --push \"$V2C_PUSH\" --tag \"$guest\" --json -- \"$@\" >\"$r/images/.$guest.part\" 2>\"$V2C_WORK/err\" || st=$?\n"
        "  cat \"$V2C_WORK/err\" >&2\n"
        "  if [ \"$st\" -eq 0 ]; then mv \"$r/images/.$guest.part\" \"$r/images/$guest.json\"; "
        "else rm -f \"$r/images/.$guest.part\"; fi\n"
        "fi\n"
        "case $st in\n"
        "0) ;;\n"
        "1) exit 1 ;;\n"
        "*) { echo \"$step: exit $st\"; cat \"$V2C_WORK/err\"; } >\"$r/failed/$guest.txt\" ;;\n"
        "esac\n";

static bool lower_alnum(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* [S, S + N) is a label (without the length limit). */
static bool label_span(const char *s, size_t n)
{
        if (n == 0 || !lower_alnum(s[0]) || !lower_alnum(s[n - 1]))
                return false;
        for (size_t i = 0; i < n; i++)
                if (!lower_alnum(s[i]) && s[i] != '-')
                        return false;
        return true;
}

bool v2c_kube_label_valid(const char *s)
{
        size_t n = strlen(s);
        return n <= V2C_KUBE_LABEL_MAX && label_span(s, n);
}

bool v2c_kube_subdomain_valid(const char *s)
{
        size_t n = strlen(s);
        if (n == 0 || n > V2C_KUBE_SUBDOMAIN_MAX)
                return false;
        for (const char *p = s;;) {
                const char *dot = strchr(p, '.');
                size_t len = dot ? (size_t) (dot - p) : strlen(p);
                if (!label_span(p, len))
                        return false;
                if (dot == NULL)
                        return true;
                p = dot + 1;
        }
}

char *v2c_kube_label_from(const char *name)
{
        char *out = malloc(V2C_KUBE_LABEL_MAX + 1);
        if (out == NULL)
                return NULL;
        size_t n = 0;
        bool dash = false;
        for (const char *p = name; *p && n < V2C_KUBE_LABEL_MAX; p++) {
                char c = *p >= 'A' && *p <= 'Z' ? (char) (*p - 'A' + 'a') : *p;
                if (!lower_alnum(c)) {
                        dash = n > 0;
                        continue;
                }
                if (dash) {
                        if (n + 1 >= V2C_KUBE_LABEL_MAX)
                                break;
                        out[n++] = '-';
                        dash = false;
                }
                out[n++] = c;
        }
        out[n] = '\0';
        return out;
}

/* Digits of the largest index of N guests (N >= 1). */
static size_t index_digits(size_t n)
{
        size_t d = 1;
        for (size_t i = n - 1; i >= 10; i /= 10)
                d++;
        return d;
}

int v2c_kube_job_check_options(const struct v2c_kube_job_options *o, size_t n, struct v2c_error **err)
{
        if (!v2c_kube_label_valid(o->job_name))
                return v2c_error_set_kind(err, V2C_ERR_USAGE, EINVAL,
                                          "--job-name `%s` is not a Kubernetes name (RFC 1123 label: at most 63 "
                                          "lowercase letters, digits and '-', a letter or digit at both ends)",
                                          o->job_name);
        /* The pods of index I are JOB-I: a label too. */
        size_t digits = index_digits(n ? n : 1);
        if (n > 0 && strlen(o->job_name) + 1 + digits > V2C_KUBE_LABEL_MAX)
                return v2c_error_set_kind(err, V2C_ERR_USAGE, ENAMETOOLONG,
                                          "--job-name `%s` is too long for %zu guests: the pods are named "
                                          "JOB-INDEX, at most %d bytes, so at most %zu bytes are left for JOB",
                                          o->job_name, n, V2C_KUBE_LABEL_MAX, V2C_KUBE_LABEL_MAX - 1 - digits);
        const char *claims[][2] = { { "--disks-claim", o->disks_claim }, { "--results-claim", o->results_claim },
                                    { "--registry-secret", o->registry_secret } };
        for (size_t i = 0; i < sizeof claims / sizeof claims[0]; i++)
                if (claims[i][1] && !v2c_kube_subdomain_valid(claims[i][1]))
                        return v2c_error_set_kind(err, V2C_ERR_USAGE, EINVAL,
                                                  "%s `%s` is not a Kubernetes name (RFC 1123 subdomain: lowercase "
                                                  "letters, digits, '-' and '.', at most 253 bytes)",
                                                  claims[i][0], claims[i][1]);
        /* A tag can be moved to another image while the Job runs: every
         * pod must run the same v2c. */
        if (v2c_ref_check(o->image, V2C_REF_PINNED, NULL) != V2C_REF_OK) {
                struct v2c_ref ref;
                struct v2c_error *why = NULL;
                if (v2c_ref_parse(o->image, &ref, &why) < 0) {
                        int r = v2c_error_set_kind(err, V2C_ERR_USAGE, EINVAL, "--image: %s", why->msg);
                        v2c_error_free(why);
                        return r;
                }
                v2c_ref_release(&ref);
                return v2c_error_set_kind(err, V2C_ERR_USAGE, EINVAL,
                                          "--image `%s` is not pinned: give HOST/REPO@sha256:<64 hex digits> (a tag "
                                          "can move to another image while the Job runs)", o->image);
        }
        if (o->push) {
                /* convert --push's own rule: HOST/PREFIX, the service's name
                 * and the guest's tag go after it. */
                const char *slash = strchr(o->push, '/');
                _cleanup_free_ char *probe = NULL;
                if (strchr(o->push, '@') || strchr(slash ? slash : o->push, ':') ||
                    asprintf(&probe, "%s/x:t", o->push) < 0 || v2c_ref_check(probe, 0, NULL) != V2C_REF_OK)
                        return v2c_error_set_kind(err, V2C_ERR_USAGE, EINVAL,
                                                  "--push `%s` is not HOST/PREFIX (no tag or digest): images go to "
                                                  "HOST/PREFIX/SERVICE:GUEST", o->push);
        }
        if (o->registry_secret && o->push == NULL)
                return v2c_error_set_kind(err, V2C_ERR_USAGE, EINVAL, "--registry-secret goes with --push");
        return 0;
}

/* "DISK" of a guest, as the pod reads it: relative to the disks claim,
 * inside it, and text (a ConfigMap's data is UTF-8). */
static int check_disk(const struct v2c_guest_spec *g, const char *disk, struct v2c_error **err)
{
        const char *why = NULL;
        if (!v2c_text_is_utf8(disk))
                why = "is not UTF-8 (a ConfigMap holds text)";
        else if (disk[0] == '/')
                why = "is absolute: the job reads disks relative to the root of --disks-claim";
        else
                for (const char *p = disk; *p; p += strcspn(p, "/"), p += *p == '/')
                        if (strncmp(p, "..", 2) == 0 && (p[2] == '/' || p[2] == '\0')) {
                                why = "holds `..`: the job reads disks inside --disks-claim only";
                                break;
                        }
        if (why == NULL)
                return 0;
        _cleanup_free_ char *shown = v2c_text_printable(disk, false);
        return v2c_error_set_kind(err, V2C_ERR_INPUT, EINVAL, "guest `%s`: disk `%s` %s", g->name,
                                  shown ? shown : "?", why);
}

/* One label per guest (NAMES[i], new strings), every one unique. */
static int guest_labels(const struct v2c_guest_spec *g, size_t n, char **names, struct v2c_error **err)
{
        for (size_t i = 0; i < n; i++) {
                names[i] = v2c_kube_label_from(g[i].name);
                if (names[i] == NULL)
                        return v2c_error_set(err, ENOMEM, "out of memory");
                if (names[i][0] == '\0')
                        return v2c_error_set_kind(err, V2C_ERR_INPUT, EINVAL,
                                                  "guest `%s`: no letter or digit to make a Kubernetes name of",
                                                  g[i].name);
        }
        /* Quadratic, but over at most V2C_GUEST_LIST_MAX short names, once. */
        for (size_t i = 0; i < n; i++)
                for (size_t j = 0; j < i; j++)
                        if (strcmp(names[i], names[j]) == 0)
                                return v2c_error_set_kind(err, V2C_ERR_INPUT, EEXIST,
                                                          "guests `%s` and `%s` are both `%s` as Kubernetes names: "
                                                          "rename one",
                                                          g[j].name, g[i].name, names[i]);
        return 0;
}

/* The ConfigMap's data: key "I", guest I's line. */
static int guest_data(const struct v2c_guest_spec *g, size_t n, char *const *names, json_t **out,
                      struct v2c_error **err)
{
        _cleanup_json_ json_t *data = json_object();
        if (data == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        size_t total = 0;
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *line = strdup(names[i]);
                for (char **d = g[i].disks; line && d && *d; d++) {
                        int r = check_disk(&g[i], *d, err);
                        if (r < 0)
                                return r;
                        char *longer = NULL;
                        if (asprintf(&longer, "%s %s", line, *d) < 0)
                                longer = NULL;
                        free(line);
                        line = longer;
                }
                char key[24];
                snprintf(key, sizeof key, "%zu", i);
                char *text = NULL;
                if (line == NULL || asprintf(&text, "%s\n", line) < 0)
                        return v2c_error_set(err, ENOMEM, "out of memory");
                total += strlen(text);
                if (total > V2C_KUBE_CONFIGMAP_MAX) {
                        free(text);
                        return v2c_error_set_kind(err, V2C_ERR_INPUT, E2BIG,
                                                  "the guest list passes a ConfigMap's %u bytes at guest %zu (`%s`): "
                                                  "split the manifest into several jobs",
                                                  V2C_KUBE_CONFIGMAP_MAX, i + 1, g[i].name);
                }
                /* UTF-8 checked above: NULL is out of memory. */
                json_t *s = json_string(text);
                free(text);
                if (s == NULL || json_object_set_new(data, key, s) < 0)
                        return v2c_error_set(err, ENOMEM, "out of memory");
        }
        *out = TAKE_PTR(data);
        return 0;
}

static json_t *labels(const char *job)
{
        return json_pack("{s:s, s:s}", "app.kubernetes.io/name", "v2c", "app.kubernetes.io/instance", job);
}

static json_t *env_value(const char *name, const char *value)
{
        return json_pack("{s:s, s:s}", "name", name, "value", value);
}

static json_t *mount(const char *name, const char *path, bool read_only)
{
        return read_only ? json_pack("{s:s, s:s, s:b}", "name", name, "mountPath", path, "readOnly", 1)
                         : json_pack("{s:s, s:s}", "name", name, "mountPath", path);
}

static json_t *container(const struct v2c_kube_job_options *o)
{
        json_t *env = json_pack(
                "[{s:s, s:{s:{s:s}}}, o, o, o, o, o, o]", "name", "JOB_COMPLETION_INDEX", "valueFrom", "fieldRef",
                "fieldPath", "metadata.annotations['batch.kubernetes.io/job-completion-index']",
                env_value("V2C_GUESTS", V2C_KUBE_GUESTS_DIR), env_value("V2C_DISKS", V2C_KUBE_DISKS_DIR),
                env_value("V2C_RESULTS", V2C_KUBE_RESULTS_DIR), env_value("V2C_WORK", V2C_KUBE_WORK_DIR),
                /* libguestfs's overlays and appliance, convert's temporary
                 * files, and auth.json lookups under HOME: all in the
                 * emptyDir, the root file system stays read-only. */
                env_value("TMPDIR", V2C_KUBE_WORK_DIR), env_value("HOME", V2C_KUBE_WORK_DIR));
        json_t *mounts = json_pack("[o, o, o, o]", mount("guests", V2C_KUBE_GUESTS_DIR, true),
                                   mount("disks", V2C_KUBE_DISKS_DIR, true), mount("results", V2C_KUBE_RESULTS_DIR, false),
                                   mount("work", V2C_KUBE_WORK_DIR, false));
        /* /dev/kvm from KubeVirt's device plugin: the device and its
         * cgroup rule, no privilege.  Without it libguestfs runs qemu
         * under TCG; --tcg says so at once instead of after a failed try. */
        json_t *limits = o->tcg ? json_pack("{s:s}", "memory", "4Gi")
                                : json_pack("{s:s, s:s}", "memory", "4Gi", "devices.kubevirt.io/kvm", "1");
        if (env == NULL || mounts == NULL || limits == NULL)
                goto fail;
        if (o->tcg && json_array_append_new(env, env_value("LIBGUESTFS_BACKEND_SETTINGS", "force_tcg")) < 0)
                goto fail;
        if (o->push && json_array_append_new(env, env_value("V2C_PUSH", o->push)) < 0)
                goto fail;
        if (o->registry_secret &&
            (json_array_append_new(env, env_value("REGISTRY_AUTH_FILE", V2C_KUBE_AUTH_DIR "/config.json")) < 0 ||
             json_array_append_new(mounts, mount("registry-auth", V2C_KUBE_AUTH_DIR, true)) < 0))
                goto fail;
        return json_pack("{s:s, s:s, s:s, s:[s, s, s, s], s:o, s:o, s:{s:{s:s, s:s}, s:o}, s:{s:b, s:b, s:{s:[s]}}}",
                         "name", "v2c", "image", o->image, "imagePullPolicy", "IfNotPresent", "command", "/bin/sh",
                         "-c", v2c_kube_job_script, "v2c-job", "env", env, "volumeMounts", mounts, "resources",
                         "requests", "cpu", "1", "memory", "2Gi", "limits", limits, "securityContext",
                         "allowPrivilegeEscalation", 0, "readOnlyRootFilesystem", 1, "capabilities", "drop", "ALL");
fail:
        json_decref(env);
        json_decref(mounts);
        json_decref(limits);
        return NULL;
}

static json_t *volumes(const struct v2c_kube_job_options *o, const char *configmap)
{
        json_t *v = json_pack("[{s:s, s:{s:s}}, {s:s, s:{s:s, s:b}}, {s:s, s:{s:s}}, {s:s, s:{}}]", "name", "guests",
                              "configMap", "name", configmap, "name", "disks", "persistentVolumeClaim", "claimName",
                              o->disks_claim, "readOnly", 1, "name", "results", "persistentVolumeClaim", "claimName",
                              o->results_claim, "name", "work", "emptyDir");
        if (v && o->registry_secret &&
            json_array_append_new(v, json_pack("{s:s, s:{s:s, s:[{s:s, s:s}]}}", "name", "registry-auth", "secret",
                                               "secretName", o->registry_secret, "items", "key", ".dockerconfigjson",
                                               "path", "config.json")) < 0) {
                json_decref(v);
                return NULL;
        }
        return v;
}

int v2c_kube_job(const struct v2c_guest_spec *guests, size_t n, const struct v2c_kube_job_options *o, json_t **out,
                 struct v2c_error **err)
{
        if (n == 0)
                return v2c_error_set_kind(err, V2C_ERR_INPUT, EINVAL, "no guest to make a job of");
        char **names = calloc(n, sizeof *names);
        if (names == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        json_t *data = NULL;
        int r = guest_labels(guests, n, names, err);
        if (r == 0)
                r = guest_data(guests, n, names, &data, err);
        for (size_t i = 0; i < n; i++)
                free(names[i]);
        free(names);
        if (r < 0)
                return r;

        _cleanup_free_ char *configmap = NULL;
        if (asprintf(&configmap, "%s-guests", o->job_name) < 0) {
                json_decref(data);
                return v2c_error_set(err, ENOMEM, "out of memory");
        }
        json_int_t completions = (json_int_t) n;
        json_int_t parallelism = o->parallelism < n ? (json_int_t) o->parallelism : completions;
        json_t *cm = json_pack("{s:s, s:s, s:{s:s, s:o}, s:b, s:o}", "apiVersion", "v1", "kind", "ConfigMap",
                               "metadata", "name", configmap, "labels", labels(o->job_name), "immutable", 1, "data",
                               data);
        /* backoffLimit: failed pods of the whole Job before it stops every
         * pod.  Only a status 1 fails a pod (see the script), so one retry
         * per guest on average before the Job gives up. */
        json_t *job = json_pack(
                "{s:s, s:s, s:{s:s, s:o}, s:{s:s, s:I, s:I, s:I, s:{s:{s:o}, s:{s:s, s:b, s:b, s:{s:b, s:I, s:I, s:I, "
                "s:s, s:{s:s}}, s:[o], s:o}}}}",
                "apiVersion", "batch/v1", "kind", "Job", "metadata", "name", o->job_name, "labels", labels(o->job_name),
                "spec", "completionMode", "Indexed", "completions", completions, "parallelism", parallelism,
                "backoffLimit", completions, "template", "metadata", "labels", labels(o->job_name), "spec",
                "restartPolicy", "Never",
                /* v2c talks to no API server. */
                "automountServiceAccountToken", 0, "enableServiceLinks", 0, "securityContext", "runAsNonRoot", 1,
                "runAsUser", (json_int_t) V2C_KUBE_UID, "runAsGroup", (json_int_t) V2C_KUBE_UID, "fsGroup",
                (json_int_t) V2C_KUBE_UID,
                /* The results claim is chowned once, not file by file at
                 * every pod's start. */
                "fsGroupChangePolicy", "OnRootMismatch", "seccompProfile", "type", "RuntimeDefault", "containers",
                container(o), "volumes", volumes(o, configmap));
        json_t *list = cm && job ? json_pack("{s:s, s:s, s:[O, O]}", "apiVersion", "v1", "kind", "List", "items", cm, job)
                                 : NULL;
        json_decref(cm);
        json_decref(job);
        if (list == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        *out = list;
        return 0;
}
