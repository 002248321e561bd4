/* Kubernetes manifests for an image; see artifacts.h.
 *
 * The YAML is written by hand rather than through a library: the layout is
 * fixed, and every string goes out double-quoted with all but printable
 * ASCII escaped, which YAML 1.1 and 1.2 both read the same way, so no guest
 * path or name can turn into a number, a boolean, a comment or a new key.
 *
 * Names: Deployment, container, Service and pod volume names must be DNS
 * labels (63 bytes), and a Service's must also start with a letter
 * (RFC 1035), so the one name they all share is made to fit the strictest. */
#include "artifacts.h"
#include "convert.h"
#include "buf.h"
#include "cleanup.h"
#include "json.h"
#include "path.h"
#include "ref.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DNS_LABEL_MAX 63
#define MAX_OUTPUT (64u << 20)
#define MANAGED_BY "v2c"

struct names {
        char app[DNS_LABEL_MAX + 1];
        unsigned *ports;                 /* deduplicated, in input order */
        size_t n_ports;
        const char **paths;              /* deduplicated volumes, trailing '/' dropped */
        char **claims;                   /* one PVC (and pod volume) name per path */
        size_t n_volumes;
        const char **env;                /* deduplicated */
        size_t n_env;
        char secret_volume[DNS_LABEL_MAX + 1];   /* the pod volume of its secret files */
        char **wpaths, **wnames;         /* writable paths of the hardened spec: an emptyDir each */
        size_t n_writable;
};

static void names_release(struct names *n)
{
        free(n->ports);
        for (size_t i = 0; n->claims && i < n->n_volumes; i++)
                free(n->claims[i]);
        free(n->claims);
        for (size_t i = 0; n->paths && i < n->n_volumes; i++)
                free((char *) n->paths[i]);
        free(n->paths);
        free(n->env);
        for (size_t i = 0; i < n->n_writable; i++) {
                free(n->wpaths[i]);
                free(n->wnames[i]);
        }
        free(n->wpaths);
        free(n->wnames);
}

static bool is_lower_alnum(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* Lowercases S, turns each run of other characters into one '-', trims the
 * ends, and cuts the result to MAX bytes (never ending in '-').  Writes at
 * most MAX + 1 bytes to OUT; returns the length (0: nothing usable). */
static size_t dns_label(const char *s, char *out, size_t max)
{
        size_t n = 0;
        bool dash = false;
        for (const char *p = s; *p && n < max; p++) {
                char c = *p >= 'A' && *p <= 'Z' ? (char) (*p - 'A' + 'a') : *p;
                if (!is_lower_alnum(c)) {
                        dash = n > 0;
                        continue;
                }
                if (dash && n + 1 < max)
                        out[n++] = '-';
                else if (dash)
                        break;
                dash = false;
                out[n++] = c;
        }
        out[n] = '\0';
        return n;
}

static bool is_digest_ref(const char *image)
{
        const char *at = strstr(image, "@sha256:");
        if (at == NULL || at == image || !v2c_digest_valid(at + 1))
                return false;
        for (const char *p = image; p < at; p++)
                if ((unsigned char) *p <= ' ' || *p == 0x7f)
                        return false;
        return true;
}

/* Secret keys: [-._a-zA-Z0-9]+, at most 253 bytes. */
static bool is_secret_key(const char *s)
{
        size_t n = strlen(s);
        if (n == 0 || n > 253)
                return false;
        for (const char *p = s; *p; p++)
                if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' ||
                      *p == '.' || *p == '_'))
                        return false;
        return true;
}

/* A uid written as a number, or -1.  It is printed back from the value:
 * YAML 1.1 readers (sigs.k8s.io/yaml among them) take "010" for octal. */
static long long parse_uid(const char *s)
{
        if (s == NULL || s[0] == '\0' || strlen(s) > 10)
                return -1;
        for (const char *p = s; *p; p++)
                if (*p < '0' || *p > '9')
                        return -1;
        /* runAsUser is an int64 but uids are 32-bit: refuse what no uid is. */
        unsigned long long v = strtoull(s, NULL, 10);
        return v <= UINT32_MAX ? (long long) v : -1;
}

static size_t strv_count(char *const *v, size_t max)
{
        size_t n = 0;
        while (v && v[n] && n <= max)
                n++;
        return n;
}

static int make_app_name(const char *name, char app[DNS_LABEL_MAX + 1], struct v2c_error **err)
{
        char label[DNS_LABEL_MAX + 1];
        if (name == NULL || dns_label(name, label, DNS_LABEL_MAX) == 0)
                return v2c_error_set_kind(err, V2C_ERR_INPUT, EINVAL, "`%s` gives no usable Kubernetes name",
                                          name ? name : "(null)");
        if (label[0] >= '0' && label[0] <= '9') {
                char prefixed[sizeof "v2c-" + DNS_LABEL_MAX];
                snprintf(prefixed, sizeof prefixed, "v2c-%s", label);
                dns_label(prefixed, label, DNS_LABEL_MAX);
        }
        memcpy(app, label, sizeof label);
        return 0;
}

static bool taken(char *const *claims, size_t n, const char *s)
{
        for (size_t i = 0; i < n; i++)
                if (strcmp(claims[i], s) == 0)
                        return true;
        return false;
}

/* "<app>-<path as a label>", "<app>-root" for "/"; on a clash (after
 * sanitising or cutting to 63) "-2", "-3"... until it is unique. */
static char *claim_name(const char *app, const char *path, char *const *claims, size_t n)
{
        char base[2 * DNS_LABEL_MAX + 2];
        char part[DNS_LABEL_MAX + 1];
        if (dns_label(path, part, DNS_LABEL_MAX) == 0)
                strcpy(part, "root");
        snprintf(base, sizeof base, "%s-%s", app, part);
        char name[DNS_LABEL_MAX + 1];
        dns_label(base, name, DNS_LABEL_MAX);
        for (size_t k = 2; taken(claims, n, name); k++) {
                char suffix[24];
                int len = snprintf(suffix, sizeof suffix, "-%zu", k);
                dns_label(base, name, DNS_LABEL_MAX - (size_t) len);
                strcat(name, suffix);
        }
        return strdup(name);
}

static int collect_ports(const struct v2c_k8s_spec *spec, struct names *n, struct v2c_error **err)
{
        if (spec->n_ports > V2C_K8S_MAX_PORTS)
                return v2c_error_set_kind(err, V2C_ERR_INPUT, E2BIG, "more than %d ports", V2C_K8S_MAX_PORTS);
        if (spec->n_ports == 0)
                return 0;
        if (spec->ports == NULL)
                return v2c_error_set(err, EINVAL, "no port array for %zu ports", spec->n_ports);
        n->ports = calloc(spec->n_ports, sizeof *n->ports);
        if (n->ports == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        for (size_t i = 0; i < spec->n_ports; i++) {
                unsigned p = spec->ports[i];
                if (p == 0 || p > 65535)
                        return v2c_error_set_kind(err, V2C_ERR_INPUT, EINVAL, "port %u is not in 1-65535", p);
                bool seen = false;
                for (size_t j = 0; j < n->n_ports && !seen; j++)
                        seen = n->ports[j] == p;
                if (!seen)
                        n->ports[n->n_ports++] = p;
        }
        return 0;
}

static int collect_volumes(const struct v2c_k8s_spec *spec, struct names *n, struct v2c_error **err)
{
        size_t count = strv_count(spec->volumes, V2C_K8S_MAX_VOLUMES);
        if (count > V2C_K8S_MAX_VOLUMES)
                return v2c_error_set_kind(err, V2C_ERR_INPUT, E2BIG, "more than %d volumes", V2C_K8S_MAX_VOLUMES);
        if (count == 0)
                return 0;
        n->paths = calloc(count, sizeof *n->paths);
        n->claims = calloc(count, sizeof *n->claims);
        if (n->paths == NULL || n->claims == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        for (size_t i = 0; i < count; i++) {
                const char *v = spec->volumes[i];
                size_t len = strlen(v);
                if (v[0] != '/' || len > V2C_ARTIFACT_MAX_FIELD)
                        return v2c_error_set_kind(err, V2C_ERR_INPUT, EINVAL, "volume `%.64s` is not an absolute path%s",
                                                  v, v[0] == '/' ? " of a usable length" : "");
                /* "/data/" and "/data" are one mount point; mountPaths must be unique. */
                while (len > 1 && v[len - 1] == '/')
                        len--;
                _cleanup_free_ char *path = strndup(v, len);
                if (path == NULL)
                        return v2c_error_set(err, ENOMEM, "out of memory");
                bool seen = false;
                for (size_t j = 0; j < n->n_volumes && !seen; j++)
                        seen = strcmp(n->paths[j], path) == 0;
                if (seen)
                        continue;
                char *claim = claim_name(n->app, path, n->claims, n->n_volumes);
                if (claim == NULL)
                        return v2c_error_set(err, ENOMEM, "out of memory");
                n->claims[n->n_volumes] = claim;
                n->paths[n->n_volumes++] = TAKE_PTR(path);
        }
        return 0;
}

static bool hardened(const struct v2c_k8s_spec *spec)
{
        return spec->harden && v2c_hardening_known(spec->harden);
}

/* The emptyDir volumes of the hardened spec's writable paths: those a
 * claim or a secret file already holds are left to it; names
 * "<app>-rw-<path as a label>", unique among the container's volumes. */
static int collect_writable(const struct v2c_k8s_spec *spec, struct names *n, struct v2c_error **err)
{
        if (!hardened(spec))
                return 0;
        const struct v2c_hardening *h = spec->harden;
        if (h->nwritable > V2C_K8S_MAX_VOLUMES)
                return v2c_error_set_kind(err, V2C_ERR_INPUT, E2BIG, "more than %d writable paths",
                                          V2C_K8S_MAX_VOLUMES);
        n->wpaths = calloc(h->nwritable + 1, sizeof *n->wpaths);
        n->wnames = calloc(h->nwritable + 1, sizeof *n->wnames);
        char **all = calloc(n->n_volumes + h->nwritable + 1, sizeof *all);
        if (n->wpaths == NULL || n->wnames == NULL || all == NULL) {
                free(all);
                return v2c_error_set(err, ENOMEM, "out of memory");
        }
        size_t n_all = 0;
        for (size_t i = 0; i < n->n_volumes; i++)
                all[n_all++] = n->claims[i];
        char prefix[DNS_LABEL_MAX + 4];
        snprintf(prefix, sizeof prefix, "%s-rw", n->app);
        int r = 0;
        for (size_t i = 0; i < h->nwritable && r == 0; i++) {
                const char *p = h->writable[i].what;
                if (p == NULL || p[0] != '/' || strlen(p) > V2C_ARTIFACT_MAX_FIELD) {
                        r = v2c_error_set_kind(err, V2C_ERR_INPUT, EINVAL, "writable path `%.64s` is not an absolute path",
                                               p ? p : "(null)");
                        break;
                }
                bool held = false;
                for (size_t k = 0; k < n->n_volumes && !held; k++)
                        held = v2c_path_is_under(p, n->paths[k]);
                for (size_t k = 0; k < spec->n_secret_files && !held; k++)
                        held = strcmp(p, spec->secret_files[k].path) == 0;
                if (held)
                        continue;
                char *name = claim_name(prefix, p, all, n_all);
                char *path = strdup(p);
                if (name == NULL || path == NULL) {
                        free(name);
                        free(path);
                        r = v2c_error_set(err, ENOMEM, "out of memory");
                        break;
                }
                all[n_all++] = name;
                n->wnames[n->n_writable] = name;
                n->wpaths[n->n_writable++] = path;
        }
        free(all);
        return r;
}

/* See convert.h. */
bool v2c_convert_runtime_class_valid(const char *s)
{
        size_t len = strlen(s);
        if (len == 0 || len > 253)
                return false;
        for (size_t i = 0; i < len; i++) {
                char c = s[i];
                bool edge = i == 0 || i + 1 == len || s[i - 1] == '.' || s[i + 1] == '.';
                if (is_lower_alnum(c))
                        continue;
                if ((c == '-' && !edge) || (c == '.' && i > 0 && i + 1 < len && s[i - 1] != '.'))
                        continue;
                return false;
        }
        return true;
}

/* The uid the container runs as: DynamicUser='s own uid when hardened (the
 * image's user is then the shared "nobody"), else the image's user. */
static long long run_uid(const struct v2c_k8s_spec *spec)
{
        if (hardened(spec) && spec->harden->dynamic_uid)
                return spec->harden->dynamic_uid;
        return parse_uid(spec->user_uid);
}

/* The lowest port below 1024 a non-root hardened container listens on, or 0. */
static unsigned low_port(const struct v2c_k8s_spec *spec, const struct names *n)
{
        if (!hardened(spec) || spec->harden->run_as_root)
                return 0;
        unsigned low = 0;
        for (size_t i = 0; i < n->n_ports; i++)
                if (n->ports[i] < 1024 && (low == 0 || n->ports[i] < low))
                        low = n->ports[i];
        return low;
}

char *v2c_hardening_text(const struct v2c_hardening *h)
{
        struct v2c_buf b;
        v2c_buf_init(&b, 1u << 20);
        if (h == NULL || !v2c_hardening_known(h)) {
                v2c_buf_appends(&b, "not hardened");
                return v2c_buf_steal(&b);
        }
        if (h->dynamic_uid)
                v2c_buf_appendf(&b, "user: uid %u: %s\n", h->dynamic_uid, h->user_from);
        else
                v2c_buf_appendf(&b, "user: %s: %s\n", h->run_as_root ? "root" : "non-root", h->user_from);
        v2c_buf_appends(&b, "capabilities: all dropped");
        for (size_t i = 0; i < h->ncapabilities; i++)
                v2c_buf_appendf(&b, "%s %s (%s)", i ? "," : "; added:", h->capabilities[i].what, h->capabilities[i].from);
        v2c_buf_appendf(&b, "\nallowPrivilegeEscalation: %s: %s\n", h->allow_privilege_escalation ? "true" : "false",
                        h->escalation_from);
        v2c_buf_appendf(&b, "seccomp: %s\n", h->seccomp);
        v2c_buf_appendf(&b, "readOnlyRootFilesystem: %s", h->read_only_root ? "true" : "false");
        for (size_t i = 0; i < h->nwritable; i++)
                v2c_buf_appendf(&b, "%s %s (%s)", i ? "," : "; writable:", h->writable[i].what, h->writable[i].from);
        if (h->memory_max)
                v2c_buf_appendf(&b, "\nmemory limit: %llu bytes: %s", h->memory_max, h->memory_from);
        if (h->cpu_millis)
                v2c_buf_appendf(&b, "\ncpu limit: %um: %s", h->cpu_millis, h->cpu_from);
        if (h->nofile)
                v2c_buf_appendf(&b, "\nopen files: %llu: %s (not set: Kubernetes has no per-container limit, the "
                                    "node's runtime default applies)",
                                h->nofile, h->nofile_from);
        for (size_t i = 0; h->notes && h->notes[i]; i++)
                v2c_buf_appendf(&b, "\nnote: %s", h->notes[i]);
        return v2c_buf_steal(&b);
}

#define SECRET_VOLUME "v2c-secret-files"

static int check_secret_files(const struct v2c_k8s_spec *spec, struct v2c_error **err)
{
        if (spec->n_secret_files > V2C_K8S_MAX_VOLUMES)
                return v2c_error_set_kind(err, V2C_ERR_INPUT, E2BIG, "more than %d secret files", V2C_K8S_MAX_VOLUMES);
        for (size_t i = 0; i < spec->n_secret_files; i++) {
                const struct v2c_k8s_secret_file *f = &spec->secret_files[i];
                if (f->path == NULL || f->path[0] != '/' || strlen(f->path) > V2C_ARTIFACT_MAX_FIELD)
                        return v2c_error_set_kind(err, V2C_ERR_INPUT, EINVAL, "secret file `%.64s` is not an absolute path",
                                                  f->path ? f->path : "(null)");
                if (f->key == NULL || !is_secret_key(f->key) || f->mode > 0777)
                        return v2c_error_set_kind(err, V2C_ERR_INPUT, EINVAL, "secret file `%.64s`: bad key or mode",
                                                  f->path);
                for (size_t j = 0; j < i; j++)
                        if (strcmp(spec->secret_files[j].key, f->key) == 0 ||
                            strcmp(spec->secret_files[j].path, f->path) == 0)
                                return v2c_error_set_kind(err, V2C_ERR_INPUT, EINVAL,
                                                          "secret file `%.64s` given twice", f->path);
        }
        return 0;
}

static int collect_env(const struct v2c_k8s_spec *spec, struct names *n, struct v2c_error **err)
{
        size_t count = strv_count(spec->env_required, V2C_K8S_MAX_ENV);
        if (count > V2C_K8S_MAX_ENV)
                return v2c_error_set_kind(err, V2C_ERR_INPUT, E2BIG, "more than %d secret variables", V2C_K8S_MAX_ENV);
        if (count == 0)
                return 0;
        n->env = calloc(count, sizeof *n->env);
        if (n->env == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        for (size_t i = 0; i < count; i++) {
                const char *e = spec->env_required[i];
                if (!is_secret_key(e))
                        return v2c_error_set_kind(err, V2C_ERR_INPUT, EINVAL,
                                                  "variable `%.64s` cannot be a Secret key ([-._A-Za-z0-9]+)", e);
                bool seen = false;
                for (size_t j = 0; j < n->n_env && !seen; j++)
                        seen = strcmp(n->env[j], e) == 0;
                if (!seen)
                        n->env[n->n_env++] = e;
        }
        return 0;
}

/* Capability names: "CAP_" then [A-Z0-9_]+, at most 64 of them (the
 * kernel's bit space). */
static int check_capabilities(const struct v2c_k8s_spec *spec, struct v2c_error **err)
{
        size_t count = strv_count(spec->capabilities, 64);
        if (count > 64)
                return v2c_error_set_kind(err, V2C_ERR_INPUT, E2BIG, "more than 64 capabilities");
        for (size_t i = 0; i < count; i++) {
                const char *c = spec->capabilities[i];
                bool ok = strncmp(c, "CAP_", 4) == 0 && c[4] != '\0' && strlen(c) <= 64;
                for (const char *p = c + 4; ok && *p; p++)
                        ok = (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_';
                if (!ok)
                        return v2c_error_set_kind(err, V2C_ERR_INPUT, EINVAL,
                                                  "`%.64s` is not a capability name (CAP_[A-Z0-9_]+)", c);
        }
        return 0;
}

/* S as a YAML double-quoted scalar holding only printable ASCII: the rest
 * as \xNN, \uNNNN or \UNNNNNNNN.  Bytes that are not UTF-8 were already
 * made "\xNN" text by v2c_utf8_escape (as in the JSON reports). */
static int append_quoted(struct v2c_buf *b, const char *s)
{
        _cleanup_free_ char *u = v2c_utf8_escape(s);
        if (u == NULL)
                return -ENOMEM;
        int r = v2c_buf_append(b, "\"", 1);
        for (const unsigned char *p = (const unsigned char *) u; *p && r == 0;) {
                if (*p == '"' || *p == '\\') {
                        char esc[2] = { '\\', (char) *p++ };
                        r = v2c_buf_append(b, esc, 2);
                } else if (*p >= 0x20 && *p < 0x7f) {
                        r = v2c_buf_append(b, p++, 1);
                } else if (*p < 0x80) {
                        r = v2c_buf_appendf(b, "\\x%02X", *p++);
                } else {
                        /* Valid UTF-8 here: decode one character. */
                        size_t k = *p >= 0xf0 ? 4 : *p >= 0xe0 ? 3 : 2;
                        uint32_t c = *p & (0xff >> (k + 1));
                        for (size_t i = 1; i < k; i++)
                                c = c << 6 | (p[i] & 0x3f);
                        p += k;
                        r = c > 0xffff ? v2c_buf_appendf(b, "\\U%08X", (unsigned) c)
                                       : v2c_buf_appendf(b, "\\u%04X", (unsigned) c);
                }
        }
        return r < 0 ? r : v2c_buf_append(b, "\"", 1);
}

/* Writes INDENT spaces, the literal PREFIX (keys, "- "), a quoted VALUE and
 * a newline. */
static int line_str(struct v2c_buf *b, int indent, const char *prefix, const char *value)
{
        int r = v2c_buf_appendf(b, "%*s%s", indent, "", prefix);
        if (r == 0)
                r = append_quoted(b, value);
        return r < 0 ? r : v2c_buf_append(b, "\n", 1);
}

static int metadata(struct v2c_buf *b, const char *name, const char *app)
{
        int r = v2c_buf_appends(b, "metadata:\n");
        if (r == 0)
                r = line_str(b, 2, "name: ", name);
        if (r == 0)
                r = v2c_buf_appends(b, "  labels:\n");
        if (r == 0)
                r = line_str(b, 4, "app.kubernetes.io/name: ", app);
        if (r == 0)
                r = line_str(b, 4, "app.kubernetes.io/managed-by: ", MANAGED_BY);
        return r;
}

static int container(struct v2c_buf *b, const struct v2c_k8s_spec *spec, const struct names *n)
{
        int r = line_str(b, 8, "- name: ", n->app);
        if (r == 0)
                r = line_str(b, 10, "image: ", spec->image);
        if (r == 0)
                r = v2c_buf_appends(b, "          imagePullPolicy: \"IfNotPresent\"\n");
        if (r == 0 && n->n_ports)
                r = v2c_buf_appends(b, "          ports:\n");
        for (size_t i = 0; r == 0 && i < n->n_ports; i++)
                r = v2c_buf_appendf(b,
                                    "            - name: \"tcp-%u\"\n"
                                    "              containerPort: %u\n"
                                    "              protocol: \"TCP\"\n",
                                    n->ports[i], n->ports[i]);
        if (r == 0 && n->n_ports)
                r = v2c_buf_appendf(b,
                                    "          readinessProbe:\n"
                                    "            tcpSocket:\n"
                                    "              port: %u\n",
                                    n->ports[0]);
        if (r == 0 && n->n_env)
                r = v2c_buf_appends(b, "          env:\n");
        for (size_t i = 0; r == 0 && i < n->n_env; i++) {
                r = line_str(b, 12, "- name: ", n->env[i]);
                if (r == 0)
                        r = v2c_buf_appends(b, "              valueFrom:\n"
                                               "                secretKeyRef:\n");
                if (r == 0)
                        r = v2c_buf_appendf(b, "                  name: \"%s-env\"\n", n->app);
                if (r == 0)
                        r = line_str(b, 18, "key: ", n->env[i]);
        }
        if (r == 0 && (n->n_volumes || spec->n_secret_files || n->n_writable))
                r = v2c_buf_appends(b, "          volumeMounts:\n");
        for (size_t i = 0; r == 0 && i < n->n_writable; i++) {
                r = line_str(b, 12, "- name: ", n->wnames[i]);
                if (r == 0)
                        r = line_str(b, 14, "mountPath: ", n->wpaths[i]);
        }
        for (size_t i = 0; r == 0 && i < n->n_volumes; i++) {
                r = line_str(b, 12, "- name: ", n->claims[i]);
                if (r == 0)
                        r = line_str(b, 14, "mountPath: ", n->paths[i]);
        }
        /* One file each: subPath keeps the rest of its directory. */
        for (size_t i = 0; r == 0 && i < spec->n_secret_files; i++) {
                r = line_str(b, 12, "- name: ", n->secret_volume);
                if (r == 0)
                        r = line_str(b, 14, "mountPath: ", spec->secret_files[i].path);
                if (r == 0)
                        r = line_str(b, 14, "subPath: ", spec->secret_files[i].key);
                if (r == 0)
                        r = v2c_buf_appends(b, "              readOnly: true\n");
        }
        long long uid = run_uid(spec);
        if (hardened(spec)) {
                const struct v2c_hardening *h = spec->harden;
                if (r == 0)
                        r = v2c_buf_appends(b, "          securityContext:\n");
                if (r == 0 && uid >= 0)
                        r = v2c_buf_appendf(b, "            runAsUser: %lld\n", uid);
                if (r == 0 && uid > 0 && !h->run_as_root)
                        r = v2c_buf_appends(b, "            runAsNonRoot: true\n");
                if (r == 0)
                        r = v2c_buf_appendf(b,
                                            "            allowPrivilegeEscalation: %s\n"
                                            "            readOnlyRootFilesystem: %s\n"
                                            "            seccompProfile:\n"
                                            "              type: \"RuntimeDefault\"\n"
                                            "            capabilities:\n"
                                            "              drop:\n"
                                            "                - \"ALL\"\n",
                                            h->allow_privilege_escalation ? "true" : "false",
                                            h->read_only_root ? "true" : "false");
                if (r == 0 && h->ncapabilities)
                        r = v2c_buf_appends(b, "              add:\n");
                for (size_t i = 0; r == 0 && i < h->ncapabilities; i++)
                        r = line_str(b, 16, "- ", h->capabilities[i].what + 4);
                if (r == 0 && (h->memory_max || h->cpu_millis))
                        r = v2c_buf_appends(b, "          resources:\n"
                                               "            limits:\n");
                if (r == 0 && h->memory_max)
                        r = v2c_buf_appendf(b, "              memory: \"%llu\"\n", h->memory_max);
                if (r == 0 && h->cpu_millis)
                        r = v2c_buf_appendf(b, "              cpu: \"%um\"\n", h->cpu_millis);
                return r;
        }
        bool caps = spec->capabilities && spec->capabilities[0];
        if (r == 0 && (uid >= 0 || caps))
                r = v2c_buf_appends(b, "          securityContext:\n");
        if (r == 0 && uid >= 0)
                r = v2c_buf_appendf(b, "            runAsUser: %lld\n", uid);
        if (r == 0 && caps)
                r = v2c_buf_appends(b, "            capabilities:\n"
                                       "              add:\n");
        for (size_t i = 0; r == 0 && caps && spec->capabilities[i]; i++)
                r = line_str(b, 16, "- ", spec->capabilities[i] + 4);
        return r;
}

/* The pod's emptyDir volumes of the containers' writable paths. */
static int writable_volumes(struct v2c_buf *b, const struct names *n)
{
        int r = 0;
        for (size_t i = 0; r == 0 && i < n->n_writable; i++) {
                r = line_str(b, 8, "- name: ", n->wnames[i]);
                if (r == 0)
                        r = v2c_buf_appends(b, "          emptyDir: {}\n");
        }
        return r;
}

/* What goes into the pod template between its labels and its
 * containers: the annotations saying where each decision came from, and
 * the pod-level settings (runtimeClassName, seccomp, the sysctl that lets
 * non-root processes bind below 1024). */
static int pod_level(struct v2c_buf *b, const struct v2c_k8s_spec *specs, const struct names *n, size_t count)
{
        int r = 0;
        bool any = false;
        unsigned low = 0;
        for (size_t i = 0; i < count; i++) {
                any |= hardened(&specs[i]);
                unsigned l = low_port(&specs[i], &n[i]);
                if (l && (low == 0 || l < low))
                        low = l;
        }
        if (any)
                r = v2c_buf_appends(b, "      annotations:\n");
        for (size_t i = 0; r == 0 && i < count; i++) {
                if (!hardened(&specs[i]))
                        continue;
                _cleanup_free_ char *text = v2c_hardening_text(specs[i].harden);
                char key[DNS_LABEL_MAX + 32];
                snprintf(key, sizeof key, "hardening.v2c.io/%s: ", n[i].app);
                r = text ? line_str(b, 8, key, text) : -ENOMEM;
        }
        if (r == 0)
                r = v2c_buf_appends(b, "    spec:\n");
        if (r == 0 && specs[0].runtime_class)
                r = line_str(b, 6, "runtimeClassName: ", specs[0].runtime_class);
        if (r == 0 && any)
                r = v2c_buf_appends(b, "      securityContext:\n"
                                       "        seccompProfile:\n"
                                       "          type: \"RuntimeDefault\"\n");
        if (r == 0 && low)
                r = v2c_buf_appendf(b,
                                    "        sysctls:\n"
                                    "          - name: \"net.ipv4.ip_unprivileged_port_start\"\n"
                                    "            value: \"%u\"\n",
                                    low);
        if (r == 0)
                r = v2c_buf_appends(b, "      containers:\n");
        return r;
}

/* The pod volume of a container's secret files, from its Secret
 * "<app>-files", when it has any.  "optional: false" is Kubernetes'
 * default, written out: podman 4.3's kube play dereferences the field
 * unset and dies (podman issue 16636), and with "true" it mounts nothing. */
static int secret_volume(struct v2c_buf *b, const struct v2c_k8s_spec *spec, const struct names *n)
{
        if (spec->n_secret_files == 0)
                return 0;
        int r = line_str(b, 8, "- name: ", n->secret_volume);
        if (r == 0)
                r = v2c_buf_appendf(b,
                                    "          secret:\n"
                                    "            secretName: \"%s-files\"\n"
                                    "            optional: false\n"
                                    "            items:\n",
                                    n->app);
        /* Modes in decimal: YAML 1.1 and 1.2 readers disagree on 0600. */
        for (size_t i = 0; r == 0 && i < spec->n_secret_files; i++) {
                r = line_str(b, 14, "- key: ", spec->secret_files[i].key);
                if (r == 0)
                        r = line_str(b, 16, "path: ", spec->secret_files[i].key);
                if (r == 0)
                        r = v2c_buf_appendf(b, "                mode: %u   # %04o\n", spec->secret_files[i].mode,
                                            spec->secret_files[i].mode);
        }
        return r;
}

/* A Deployment of APP up to its pod's "containers:" line; a claim
 * (ReadWriteOnce) asks for Recreate: a rolling update starts the new pod
 * before the old one stops, and the new pod could wait for it forever. */
static int deployment_head(struct v2c_buf *b, const char *app, bool claims)
{
        int r = v2c_buf_appends(b, "apiVersion: \"apps/v1\"\nkind: \"Deployment\"\n");
        if (r == 0)
                r = metadata(b, app, app);
        if (r == 0)
                r = v2c_buf_appendf(b,
                                    "spec:\n"
                                    "  replicas: 1\n"
                                    "  selector:\n"
                                    "    matchLabels:\n"
                                    "      app.kubernetes.io/name: \"%s\"\n",
                                    app);
        if (r == 0 && claims)
                r = v2c_buf_appends(b, "  strategy:\n    type: \"Recreate\"\n");
        if (r == 0)
                r = v2c_buf_appendf(b,
                                    "  template:\n"
                                    "    metadata:\n"
                                    "      labels:\n"
                                    "        app.kubernetes.io/name: \"%s\"\n"
                                    "        app.kubernetes.io/managed-by: \"" MANAGED_BY "\"\n",
                                    app);
        return r;
}

static int deployment(struct v2c_buf *b, const struct v2c_k8s_spec *spec, const struct names *n)
{
        int r = deployment_head(b, n->app, n->n_volumes > 0);
        if (r == 0)
                r = pod_level(b, spec, n, 1);
        if (r == 0)
                r = container(b, spec, n);
        if (r == 0 && (n->n_volumes || spec->n_secret_files || n->n_writable))
                r = v2c_buf_appends(b, "      volumes:\n");
        if (r == 0)
                r = writable_volumes(b, n);
        for (size_t i = 0; r == 0 && i < n->n_volumes; i++) {
                r = line_str(b, 8, "- name: ", n->claims[i]);
                if (r == 0)
                        r = v2c_buf_appends(b, "          persistentVolumeClaim:\n");
                if (r == 0)
                        r = line_str(b, 12, "claimName: ", n->claims[i]);
        }
        if (r == 0)
                r = secret_volume(b, spec, n);
        return r;
}

static int service(struct v2c_buf *b, const struct names *n)
{
        int r = v2c_buf_appends(b, "---\napiVersion: \"v1\"\nkind: \"Service\"\n");
        if (r == 0)
                r = metadata(b, n->app, n->app);
        if (r == 0)
                r = v2c_buf_appendf(b,
                                    "spec:\n"
                                    "  type: \"ClusterIP\"\n"
                                    "  selector:\n"
                                    "    app.kubernetes.io/name: \"%s\"\n"
                                    "  ports:\n",
                                    n->app);
        for (size_t i = 0; r == 0 && i < n->n_ports; i++)
                r = v2c_buf_appendf(b,
                                    "    - name: \"tcp-%u\"\n"
                                    "      protocol: \"TCP\"\n"
                                    "      port: %u\n"
                                    "      targetPort: %u\n",
                                    n->ports[i], n->ports[i], n->ports[i]);
        return r;
}

static int claim(struct v2c_buf *b, const struct names *n, size_t i)
{
        int r = v2c_buf_appends(b, "---\napiVersion: \"v1\"\nkind: \"PersistentVolumeClaim\"\n");
        if (r == 0)
                r = metadata(b, n->claims[i], n->app);
        if (r == 0)
                r = v2c_buf_appends(b,
                                    "spec:\n"
                                    "  accessModes:\n"
                                    "    - \"ReadWriteOnce\"\n"
                                    "  resources:\n"
                                    "    requests:\n"
                                    "      storage: \"1Gi\"\n");
        return r;
}

int v2c_k8s_manifests(const struct v2c_k8s_spec *spec, char **out, struct v2c_error **err)
{
        if (spec->image == NULL || !is_digest_ref(spec->image))
                return v2c_error_set_kind(err, V2C_ERR_INPUT, EINVAL,
                                          "image `%.200s` is not a reference by digest (repo@sha256:<64 hex>)",
                                          spec->image ? spec->image : "(null)");
        _cleanup_(names_release) struct names n = { 0 };
        int r = make_app_name(spec->name, n.app, err);
        if (r == 0)
                r = collect_ports(spec, &n, err);
        if (r == 0)
                r = collect_volumes(spec, &n, err);
        if (r == 0)
                r = collect_env(spec, &n, err);
        if (r == 0)
                r = check_capabilities(spec, err);
        if (r == 0)
                r = check_secret_files(spec, err);
        if (r == 0)
                r = collect_writable(spec, &n, err);
        if (r == 0 && spec->runtime_class && !v2c_convert_runtime_class_valid(spec->runtime_class))
                r = v2c_error_set_kind(err, V2C_ERR_USAGE, EINVAL, "runtime class `%.64s` is not a DNS subdomain",
                                       spec->runtime_class);
        if (r < 0)
                return v2c_error_prefix(err, r, "Kubernetes manifests for `%s`",
                                        n.app[0] ? n.app : spec->name ? spec->name : "(null)");
        strcpy(n.secret_volume, SECRET_VOLUME);

        _cleanup_buf_ struct v2c_buf b;
        v2c_buf_init(&b, MAX_OUTPUT);
        r = deployment(&b, spec, &n);
        if (r == 0 && n.n_ports)
                r = service(&b, &n);
        for (size_t i = 0; r == 0 && i < n.n_volumes; i++)
                r = claim(&b, &n, i);
        if (r < 0)
                return v2c_error_set(err, r, "writing the Kubernetes manifests of `%s`: %s", n.app,
                                     r == -E2BIG ? "more than 64 MiB" : "out of memory");
        char *s = v2c_buf_steal(&b);
        if (s == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        *out = s;
        return 0;
}

int v2c_k8s_app_name(const char *name, char app[64], struct v2c_error **err)
{
        return make_app_name(name, app, err);

}

/* ---- services that share one pod ---- */

static int pod_service(struct v2c_buf *b, const struct names *n, const char *pod)
{
        int r = v2c_buf_appends(b, "---\napiVersion: \"v1\"\nkind: \"Service\"\n");
        if (r == 0)
                r = metadata(b, n->app, pod);
        if (r == 0)
                r = v2c_buf_appendf(b,
                                    "spec:\n"
                                    "  type: \"ClusterIP\"\n"
                                    "  selector:\n"
                                    "    app.kubernetes.io/name: \"%s\"\n"
                                    "  ports:\n",
                                    pod);
        for (size_t i = 0; r == 0 && i < n->n_ports; i++)
                r = v2c_buf_appendf(b,
                                    "    - name: \"tcp-%u\"\n"
                                    "      protocol: \"TCP\"\n"
                                    "      port: %u\n"
                                    "      targetPort: %u\n",
                                    n->ports[i], n->ports[i], n->ports[i]);
        return r;
}

static int pod_deployment(struct v2c_buf *b, const char *pod, const struct v2c_k8s_spec *specs,
                          const struct names *n, size_t count)
{
        bool volumes = false;
        for (size_t i = 0; i < count; i++)
                volumes |= n[i].n_volumes > 0 || specs[i].n_secret_files > 0 || n[i].n_writable > 0;
        bool claims = false;
        for (size_t i = 0; i < count; i++)
                claims |= n[i].n_volumes > 0;
        int r = deployment_head(b, pod, claims);
        if (r == 0)
                r = pod_level(b, specs, n, count);
        for (size_t i = 0; r == 0 && i < count; i++)
                r = container(b, &specs[i], &n[i]);
        if (r == 0 && volumes)
                r = v2c_buf_appends(b, "      volumes:\n");
        for (size_t i = 0; r == 0 && i < count; i++)
                r = writable_volumes(b, &n[i]);
        for (size_t i = 0; r == 0 && i < count; i++)
                for (size_t k = 0; r == 0 && k < n[i].n_volumes; k++) {
                        r = line_str(b, 8, "- name: ", n[i].claims[k]);
                        if (r == 0)
                                r = v2c_buf_appends(b, "          persistentVolumeClaim:\n");
                        if (r == 0)
                                r = line_str(b, 12, "claimName: ", n[i].claims[k]);
                }
        for (size_t i = 0; r == 0 && i < count; i++)
                r = secret_volume(b, &specs[i], &n[i]);
        return r;
}

/* Whether S names a claim of the pod or the secret volume of a container
 * other than SELF. */
static bool pod_volume_taken(const struct names *n, size_t count, const char *s, size_t self)
{
        for (size_t i = 0; i < count; i++)
                if ((i != self && strcmp(n[i].secret_volume, s) == 0) || taken(n[i].claims, n[i].n_volumes, s))
                        return true;
        return false;
}

/* Each container mounts its own Secret "<app>-files", so each needs a
 * volume of its own: "<app>-secret-files", cut to a label, "-2", "-3"...
 * until no other volume of the pod (a claim included) has the name. */
static int name_secret_volumes(struct names *n, size_t count, struct v2c_error **err)
{
        for (size_t i = 0; i < count; i++) {
                char base[DNS_LABEL_MAX + sizeof "-secret-files"];
                snprintf(base, sizeof base, "%s-secret-files", n[i].app);
                dns_label(base, n[i].secret_volume, DNS_LABEL_MAX);
                for (size_t k = 2; pod_volume_taken(n, count, n[i].secret_volume, i); k++) {
                        /* Past the pod's every other volume: cannot happen. */
                        if (k > V2C_K8S_MAX_POD * (V2C_K8S_MAX_VOLUMES + 1) + 1)
                                return v2c_error_set_kind(err, V2C_ERR_INPUT, EEXIST,
                                                          "no free volume name for the secret files of `%s`",
                                                          n[i].app);
                        char suffix[24];
                        int len = snprintf(suffix, sizeof suffix, "-%zu", k);
                        n[i].secret_volume[0] = '\0';
                        dns_label(base, n[i].secret_volume, DNS_LABEL_MAX - (size_t) len);
                        strcat(n[i].secret_volume, suffix);
                }
        }
        return 0;
}

int v2c_k8s_pod_manifests(const char *name, const struct v2c_k8s_spec *specs, size_t count, char **out,
                          struct v2c_error **err)
{
        if (count == 0 || count > V2C_K8S_MAX_POD)
                return v2c_error_set_kind(err, V2C_ERR_INPUT, EINVAL, "a pod of %zu containers", count);
        char pod[DNS_LABEL_MAX + 1];
        int r = make_app_name(name, pod, err);
        if (r < 0)
                return r;
        _cleanup_free_ struct names *n = calloc(count, sizeof *n);
        if (n == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        for (size_t i = 0; r == 0 && i < count; i++) {
                const struct v2c_k8s_spec *spec = &specs[i];
                if (spec->image == NULL || !is_digest_ref(spec->image)) {
                        r = v2c_error_set_kind(err, V2C_ERR_INPUT, EINVAL,
                                               "image `%.200s` is not a reference by digest (repo@sha256:<64 hex>)",
                                               spec->image ? spec->image : "(null)");
                        break;
                }
                r = make_app_name(spec->name, n[i].app, err);
                if (r == 0)
                        r = collect_ports(spec, &n[i], err);
                if (r == 0)
                        r = collect_volumes(spec, &n[i], err);
                if (r == 0)
                        r = collect_env(spec, &n[i], err);
                if (r == 0)
                        r = check_capabilities(spec, err);
                if (r == 0)
                        r = check_secret_files(spec, err);
                if (r == 0)
                        r = collect_writable(spec, &n[i], err);
                if (r == 0 && spec->runtime_class && !v2c_convert_runtime_class_valid(spec->runtime_class))
                        r = v2c_error_set_kind(err, V2C_ERR_USAGE, EINVAL,
                                               "runtime class `%.64s` is not a DNS subdomain", spec->runtime_class);
                /* Containers of a pod, and the Services named after them, need distinct names. */
                for (size_t k = 0; r == 0 && k < i; k++)
                        if (strcmp(n[k].app, n[i].app) == 0)
                                r = v2c_error_set_kind(err, V2C_ERR_INPUT, EEXIST, "two containers named `%s`",
                                                       n[i].app);
        }
        if (r == 0 && strcmp(pod, n[0].app) == 0)
                r = v2c_error_set_kind(err, V2C_ERR_INPUT, EEXIST, "the pod and a container are both named `%s`", pod);
        if (r == 0)
                r = name_secret_volumes(n, count, err);
        if (r < 0) {
                for (size_t i = 0; i < count; i++)
                        names_release(&n[i]);
                return v2c_error_prefix(err, r, "Kubernetes manifests for pod `%s`", pod);
        }

        _cleanup_buf_ struct v2c_buf b;
        v2c_buf_init(&b, MAX_OUTPUT);
        r = pod_deployment(&b, pod, specs, n, count);
        for (size_t i = 0; r == 0 && i < count; i++)
                if (n[i].n_ports)
                        r = pod_service(&b, &n[i], pod);
        for (size_t i = 0; r == 0 && i < count; i++)
                for (size_t k = 0; r == 0 && k < n[i].n_volumes; k++)
                        r = claim(&b, &n[i], k);
        for (size_t i = 0; i < count; i++)
                names_release(&n[i]);
        if (r < 0)
                return v2c_error_set(err, r, "writing the Kubernetes manifests of pod `%s`: %s", pod,
                                     r == -E2BIG ? "more than 64 MiB" : "out of memory");
        char *s = v2c_buf_steal(&b);
        if (s == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        *out = s;
        return 0;
}
