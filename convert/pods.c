/* Pods of services that talk over localhost; see pods-internal.h.
 *
 * On the VM, nginx's "proxy_pass http://127.0.0.1:8000" reaches the Python
 * application; in two containers it reaches nothing (502).  Containers of
 * one pod share the network namespace, so the address keeps working
 * without touching the configuration: that is the default.  Connections
 * to a service that stays on the VM (postgresql, redis: stateful) cannot
 * be kept that way: convert says which address the container must reach
 * instead, and how to set it. */
#include "pods-internal.h"
#include "artifacts.h"
#include "buf.h"
#include "cleanup.h"
#include "fsutil.h"
#include "json.h"
#include "ref.h"
#include "strv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static size_t find_root(size_t *parent, size_t i)
{
        while (parent[i] != i)
                i = parent[i] = parent[parent[i]];
        return i;
}

static size_t index_of(const struct pod_plan *p, const char *name)
{
        for (size_t i = 0; name && i < p->n; i++)
                if (strcmp(p->chosen[i]->name, name) == 0)
                        return i;
        return p->n;
}

/* A variable name (REDIS_URL) can be set at run time; a directive cannot. */
static bool is_variable(const char *via)
{
        if (via == NULL || *via == '\0')
                return false;
        for (const char *c = via; *c; c++)
                if (!((*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '_'))
                        return false;
        return true;
}

/* Whether the comma-separated LIST (may be NULL) holds ITEM. */
static bool list_has(const char *list, const char *item)
{
        size_t n = strlen(item);
        for (const char *s = list; s && *s;) {
                size_t k = strcspn(s, ",");
                if (k == n && strncmp(s, item, n) == 0)
                        return true;
                s += k + (s[k] == ',');
        }
        return false;
}

static int outside_link(struct pod_plan *p, size_t i, const struct v2c_link *l, const struct v2c_service *target,
                        const char *hostname)
{
        const char *from = p->chosen[i]->name, *to = l->service;
        const char *found = l->found, *via = l->via, *socket = l->socket;
        const char *addr = l->address;
        /* 0 for a unix socket, as the report writes no port for one. */
        json_int_t port = l->socket ? 0 : l->port;
        char at[320];
        if (socket)
                snprintf(at, sizeof at, "unix socket %s", socket);
        else
                snprintf(at, sizeof at, "%s:%lld", addr ? addr : "localhost", (long long) port);

        /* needs: "SERVICE:PORT" (or SERVICE:SOCKET) once per target. */
        char need[512];
        if (socket)
                snprintf(need, sizeof need, "%s:%s", to, socket);
        else
                snprintf(need, sizeof need, "%s:%lld", to, (long long) port);
        if (!list_has(p->needs[i], need)) {
                char *joined = NULL;
                if (asprintf(&joined, "%s%s%s", p->needs[i] ? p->needs[i] : "", p->needs[i] ? "," : "", need) < 0)
                        return -ENOMEM;
                free(p->needs[i]);
                p->needs[i] = joined;
        }

        const char *klass = target ? v2c_service_class_name(target->klass) : NULL;
        const char *vm = hostname ? hostname : "the VM";
        _cleanup_free_ char *how = NULL, *msg = NULL;
        int r;
        if (socket)
                r = asprintf(&how, "a unix socket does not cross machines: make %s listen on TCP, then point %s (%s) "
                                   "at %s",
                             to, via ? via : "it", found ? found : "?", vm);
        else if (is_variable(via))
                r = asprintf(&how, "set %s to an address of %s at run time (podman run --env %s=..., or the "
                                   "Kubernetes container's env), with port %lld",
                             via, vm, via, (long long) port);
        else
                r = asprintf(&how, "change %s (%s %s) in the image's copy to an address of %s, port %lld, e.g. "
                                   "with a volume over that file",
                             found ? found : "?", via ? via : "", at, vm, (long long) port);
        if (r < 0)
                return -ENOMEM;
        if (asprintf(&msg, "%s reaches %s at %s (%s, %s) on the VM, but %s is not converted with it%s: in the "
                           "container that address is empty; %s, or convert them together (-s %s -s %s)",
                     from, to, at, via ? via : "?", found ? found : "?", to,
                     klass && strcmp(klass, "stateful") == 0 ? " (it is stateful and stays on the VM)" : "", how,
                     from, to) < 0)
                return -ENOMEM;
        json_t *o = json_pack("{s:s, s:s, s:s?, s:s?, s:s?, s:s?, s:s}", "service", from, "connects_to", to,
                              "address", addr, "socket", socket, "found", found, "via", via, "advice", how);
        if (o == NULL)
                return -ENOMEM;
        if (socket == NULL)
                json_object_set_new(o, "port", json_integer(port));
        json_array_append_new(p->outside, o);
        return v2c_strv_push_unique(&p->warnings, msg);
}

int convert_plan_pods(const struct v2c_report *report, const struct v2c_service *const *chosen, size_t n,
                      struct pod_plan *p, struct v2c_error **err)
{
        *p = (struct pod_plan) { .n = n, .chosen = chosen };
        const char *hostname = report->os.hostname;
        _cleanup_free_ size_t *parent = calloc(n ? n : 1, sizeof *parent);
        p->pod = calloc(n + 1, sizeof *p->pod);
        p->needs = calloc(n + 1, sizeof *p->needs);
        p->outside = json_array();
        if (parent == NULL || p->pod == NULL || p->needs == NULL || p->outside == NULL)
                goto oom;
        for (size_t i = 0; i < n; i++)
                parent[i] = i;
        for (size_t i = 0; i < n; i++) {
                for (size_t k = 0; k < chosen[i]->nlinks; k++) {
                        const struct v2c_link *l = &chosen[i]->links[k];
                        size_t j = index_of(p, l->service);
                        if (j == i)
                                continue;
                        if (j < n) {
                                size_t a = find_root(parent, i), b = find_root(parent, j);
                                /* The lowest index is the root: the pod is named in choice order. */
                                if (a != b)
                                        parent[a > b ? a : b] = a < b ? a : b;
                                continue;
                        }
                        if (outside_link(p, i, l, v2c_report_service(report, l->service), hostname) < 0)
                                goto oom;
                }
        }
        for (size_t i = 0; i < n; i++) {
                size_t root = find_root(parent, i), members = 0;
                for (size_t j = 0; j < n; j++)
                        members += find_root(parent, j) == root;
                if (members < 2)
                        continue;
                struct v2c_buf b;
                v2c_buf_init(&b, 64u << 10);
                for (size_t j = 0; j < n; j++)
                        if (find_root(parent, j) == root)
                                v2c_buf_appendf(&b, "%s%s", b.len ? "-" : "", chosen[j]->name);
                p->pod[i] = v2c_buf_steal(&b);
                if (p->pod[i] == NULL)
                        goto oom;
        }
        return 0;
oom:
        convert_pod_plan_release(p);
        return v2c_error_set(err, ENOMEM, "out of memory");
}

void convert_pod_plan_release(struct pod_plan *p)
{
        for (size_t i = 0; i < p->n; i++) {
                if (p->pod)
                        free(p->pod[i]);
                if (p->needs)
                        free(p->needs[i]);
        }
        free(p->pod);
        free(p->needs);
        v2c_strv_free(p->warnings);
        json_decref(p->outside);
        *p = (struct pod_plan) { 0 };
}

const char *convert_pod_of(const struct pod_plan *p, const struct v2c_service *s)
{
        for (size_t i = 0; p->pod && i < p->n; i++)
                if (p->chosen[i] == s)
                        return p->pod[i];
        return NULL;
}

const char *convert_needs_of(const struct pod_plan *p, const struct v2c_service *s)
{
        for (size_t i = 0; p->needs && i < p->n; i++)
                if (p->chosen[i] == s)
                        return p->needs[i];
        return NULL;
}

static int write_pod(const struct pod_plan *p, size_t first, const char *side, const char *image_repo,
                     const char *runtime_class,
                     struct v2c_convert_result *res, struct v2c_error **err)
{
        const char *pod = p->pod[first];
        size_t count = 0;
        for (size_t i = first; i < p->n; i++)
                count += p->pod[i] && strcmp(p->pod[i], pod) == 0;
        _cleanup_free_ struct v2c_k8s_spec *specs = calloc(count, sizeof *specs);
        _cleanup_free_ size_t *members = calloc(count, sizeof *members);
        char **images = calloc(count + 1, sizeof *images);
        char ***caps = calloc(count + 1, sizeof *caps);
        struct v2c_k8s_secret_file **files = calloc(count + 1, sizeof *files);
        _cleanup_free_ char *yaml = NULL, *path = NULL;
        int r = 0;
        if (specs == NULL || members == NULL || images == NULL || caps == NULL || files == NULL) {
                r = v2c_error_set(err, ENOMEM, "out of memory");
                goto out;
        }
        for (size_t i = first, k = 0; i < p->n && k < count; i++) {
                if (p->pod[i] == NULL || strcmp(p->pod[i], pod) != 0)
                        continue;
                const struct v2c_converted *im = &res->images[i];
                char *const *pcaps = p->chosen[i]->capabilities;
                for (size_t ci = 0; pcaps && pcaps[ci]; ci++)
                        if (v2c_strv_push_unique(&caps[k], pcaps[ci]) < 0)
                                r = -ENOMEM;
                _cleanup_free_ char *repo = r < 0 ? NULL : v2c_ref_repo_component(im->ref_name);
                if (repo == NULL || asprintf(&images[k], "%s/%s@%s", image_repo ? image_repo : "localhost/v2c",
                                             repo, im->manifest.digest) < 0) {
                        r = v2c_error_set(err, ENOMEM, "out of memory");
                        goto out;
                }
                /* Each container mounts its own secret files, from its own Secret. */
                files[k] = calloc(im->n_secret_files + 1, sizeof *files[k]);
                if (files[k] == NULL) {
                        r = v2c_error_set(err, ENOMEM, "out of memory");
                        goto out;
                }
                for (size_t f = 0; f < im->n_secret_files; f++)
                        files[k][f] = (struct v2c_k8s_secret_file) { .path = im->secret_files[f].path,
                                                                     .key = im->secret_files[f].key,
                                                                     .mode = im->secret_files[f].mode };
                specs[k] = (struct v2c_k8s_spec) {
                        .name = im->ref_name, .image = images[k], .ports = im->ports, .n_ports = im->n_ports,
                        .volumes = im->volumes, .env_required = im->env_required, .user_uid = im->user_uid,
                        .capabilities = caps[k], .secret_files = files[k], .n_secret_files = im->n_secret_files,
                        .harden = v2c_hardening_known(&im->harden) ? &im->harden : NULL,
                        .runtime_class = runtime_class,
                };
                members[k++] = i;
        }
        r = v2c_k8s_pod_manifests(pod, specs, count, &yaml, err);
        if (r < 0)
                goto out;
        if (asprintf(&path, "%s/%s.pod.k8s.yaml", side, pod) < 0) {
                r = v2c_error_set(err, ENOMEM, "out of memory");
                goto out;
        }
        r = v2c_write_file_atomic(path, yaml, strlen(yaml), 0644, err);
        if (r < 0)
                goto out;
        /* A member deployed on its own would lose its neighbours: only the
         * pod's manifest is left. */
        for (size_t k = 0; k < count; k++) {
                _cleanup_free_ char *one = NULL;
                if (asprintf(&one, "%s/%s.k8s.yaml", side, res->images[members[k]].ref_name) >= 0)
                        unlink(one);
        }
        struct v2c_convert_pod *np = realloc(res->pods, (res->n_pods + 1) * sizeof *np);
        if (np == NULL) {
                r = v2c_error_set(err, ENOMEM, "out of memory");
                goto out;
        }
        res->pods = np;
        res->pods[res->n_pods] = (struct v2c_convert_pod) { .name = strdup(pod), .images = TAKE_PTR(members),
                                                             .n_images = count };
        res->n_pods++;
        if (res->pods[res->n_pods - 1].name == NULL)
                r = v2c_error_set(err, ENOMEM, "out of memory");
out:
        for (size_t k = 0; images && k < count; k++)
                free(images[k]);
        for (size_t k = 0; caps && k < count; k++)
                v2c_strv_free(caps[k]);
        for (size_t k = 0; files && k < count; k++)
                free(files[k]);
        free(files);
        free(images);
        free(caps);
        return r;
}

int convert_write_pods(const struct pod_plan *p, const char *side, const char *image_repo,
                       const char *runtime_class, struct v2c_convert_result *res, struct v2c_error **err)
{
        json_auto_t *pods = json_array();
        if (pods == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        for (size_t i = 0; i < p->n; i++) {
                bool first = p->pod[i] != NULL;
                for (size_t j = 0; first && j < i; j++)
                        first = p->pod[j] == NULL || strcmp(p->pod[j], p->pod[i]) != 0;
                if (!first)
                        continue;
                int r = write_pod(p, i, side, image_repo, runtime_class, res, err);
                if (r < 0)
                        return v2c_error_prefix(err, r, "pod %s", p->pod[i]);
                const struct v2c_convert_pod *cp = &res->pods[res->n_pods - 1];
                json_t *names = json_array(), *o;
                for (size_t k = 0; names && k < cp->n_images; k++)
                        json_array_append_new(names, json_string(res->images[cp->images[k]].service));
                _cleanup_free_ char *file = NULL;
                if (names == NULL || asprintf(&file, "%s.pod.k8s.yaml", cp->name) < 0 ||
                    (o = json_pack("{s:s, s:o, s:s}", "name", cp->name, "services", names, "manifest", file)) ==
                            NULL ||
                    json_array_append_new(pods, o) < 0)
                        return v2c_error_set(err, ENOMEM, "out of memory");
        }
        json_auto_t *doc = json_pack("{s:s, s:O, s:O}", "schema", "v2c.links/1", "pods", pods, "outside", p->outside);
        _cleanup_free_ char *path = NULL;
        if (doc == NULL || asprintf(&path, "%s/links.json", side) < 0)
                return v2c_error_set(err, ENOMEM, "out of memory");
        return v2c_json_write(doc, path, err);
}
