/* The inspection report's JSON: one writer and one reader walking the same
 * field tables, so that each field's key, type and bounds are written once
 * (docs/inspect-report.md).  The writer's key order is the tables' order,
 * which is the document's: the same report always gives the same bytes.
 *
 * The reader takes a file from anywhere (convert --report): every value is
 * type-checked and bounded, and an error names the JSON path of the value
 * at fault, "services[3].ports[0].port: not an integer from 1 to 65535". */
#include "report.h"
#include "cleanup.h"
#include "json.h"
#include "strv.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* No real guest comes near these; they bound what a hostile file costs. */
#define MAX_REPORT_SERVICES 100000
#define MAX_REPORT_LIST 100000
#define MAX_REPORT_PORTS 65536

const char *v2c_service_class_name(enum v2c_service_class c)
{
        switch (c) {
        case V2C_CLASS_STATELESS: return "stateless";
        case V2C_CLASS_STATEFUL: return "stateful";
        case V2C_CLASS_SYSTEM: return "system";
        case V2C_CLASS_REVIEW: return "review";
        }
        return "unknown";
}

static void links_release(struct v2c_service *s)
{
        for (size_t i = 0; i < s->nlinks; i++) {
                free(s->links[i].service);
                free(s->links[i].socket);
                free(s->links[i].address);
                free(s->links[i].found);
                free(s->links[i].via);
        }
        free(s->links);
        s->links = NULL;
        s->nlinks = 0;
}

static void grants_release(struct v2c_grant *g, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(g[i].what);
                free(g[i].from);
        }
        free(g);
}

void v2c_hardening_release(struct v2c_hardening *h)
{
        free(h->user_from);
        grants_release(h->capabilities, h->ncapabilities);
        free(h->escalation_from);
        free(h->seccomp);
        grants_release(h->writable, h->nwritable);
        free(h->memory_from);
        free(h->cpu_from);
        free(h->nofile_from);
        v2c_strv_free(h->notes);
        *h = (struct v2c_hardening) { 0 };
}

static int grants_copy(const struct v2c_grant *src, size_t n, struct v2c_grant **dst)
{
        *dst = NULL;
        if (n == 0)
                return 0;
        struct v2c_grant *g = calloc(n, sizeof *g);
        if (g == NULL)
                return -ENOMEM;
        *dst = g;
        for (size_t i = 0; i < n; i++) {
                g[i].what = src[i].what ? strdup(src[i].what) : NULL;
                g[i].from = src[i].from ? strdup(src[i].from) : NULL;
                if ((src[i].what && g[i].what == NULL) || (src[i].from && g[i].from == NULL))
                        return -ENOMEM;
        }
        return 0;
}

static int dup_or_null(const char *s, char **out)
{
        *out = s ? strdup(s) : NULL;
        return s && *out == NULL ? -ENOMEM : 0;
}

int v2c_hardening_copy(const struct v2c_hardening *src, struct v2c_hardening *dst)
{
        *dst = *src;
        dst->user_from = dst->escalation_from = dst->seccomp = NULL;
        dst->memory_from = dst->cpu_from = dst->nofile_from = NULL;
        dst->capabilities = dst->writable = NULL;
        dst->notes = NULL;
        int r = grants_copy(src->capabilities, src->ncapabilities, &dst->capabilities);
        if (r == 0)
                r = grants_copy(src->writable, src->nwritable, &dst->writable);
        if (r == 0)
                r = dup_or_null(src->user_from, &dst->user_from);
        if (r == 0)
                r = dup_or_null(src->escalation_from, &dst->escalation_from);
        if (r == 0)
                r = dup_or_null(src->seccomp, &dst->seccomp);
        if (r == 0)
                r = dup_or_null(src->memory_from, &dst->memory_from);
        if (r == 0)
                r = dup_or_null(src->cpu_from, &dst->cpu_from);
        if (r == 0)
                r = dup_or_null(src->nofile_from, &dst->nofile_from);
        if (r == 0 && src->notes && (dst->notes = v2c_strv_copy(src->notes)) == NULL)
                r = -ENOMEM;
        if (r < 0) {
                /* counts must match what was allocated for the release */
                if (dst->capabilities == NULL)
                        dst->ncapabilities = 0;
                if (dst->writable == NULL)
                        dst->nwritable = 0;
                v2c_hardening_release(dst);
        }
        return r;
}

static void keyvals_release(struct v2c_keyval *kv, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(kv[i].key);
                free(kv[i].value);
        }
        free(kv);
}

static void service_release(struct v2c_service *s)
{
        free(s->name);
        free(s->kind);
        free(s->unit_path);
        free(s->description);
        free(s->type);
        free(s->exec_path);
        v2c_strv_free(s->argv);
        free(s->interpreter);
        v2c_strv_free(s->capabilities);
        free(s->user);
        free(s->group);
        free(s->working_dir);
        v2c_strv_free(s->environment);
        v2c_strv_free(s->environment_files);
        free(s->pid_file);
        free(s->kill_signal);
        free(s->schedule);
        free(s->triggers);
        v2c_strv_free(s->state_dirs);
        v2c_strv_free(s->runtime_dirs);
        v2c_strv_free(s->logs_dirs);
        v2c_strv_free(s->cache_dirs);
        v2c_strv_free(s->rw_paths);
        for (size_t i = 0; i < s->nports; i++)
                free(s->ports[i].source);
        free(s->ports);
        v2c_strv_free(s->packages);
        v2c_strv_free(s->libraries);
        v2c_strv_free(s->config_files);
        keyvals_release(s->package_versions, s->npackage_versions);
        keyvals_release(s->config_digests, s->nconfig_digests);
        v2c_strv_free(s->app_files);
        v2c_strv_free(s->data_paths);
        v2c_strv_free(s->log_files);
        v2c_strv_free(s->reasons);
        for (size_t i = 0; i < s->nsecret_files; i++) {
                free(s->secret_files[i].path);
                free(s->secret_files[i].kind);
                free(s->secret_files[i].owner);
                free(s->secret_files[i].group);
        }
        free(s->secret_files);
        v2c_strv_free(s->referenced_files);
        v2c_strv_free(s->content_dirs);
        links_release(s);
        v2c_hardening_release(&s->hardening);
        v2c_strv_free(s->unit_sandbox);
}

struct v2c_report *v2c_report_free(struct v2c_report *r)
{
        if (r == NULL)
                return NULL;
        free(r->source_kind);
        for (size_t i = 0; i < r->n_source_files; i++) {
                free(r->source_files[i].path);
                free(r->source_files[i].format);
                free(r->source_files[i].role);
        }
        free(r->source_files);
        free(r->os.distro);
        free(r->os.version);
        free(r->os.codename);
        free(r->os.pretty_name);
        v2c_strv_free(r->os.id_like);
        free(r->os.selinux);
        free(r->os.selinux_policy);
        free(r->os.arch);
        free(r->os.hostname);
        free(r->os.package_format);
        free(r->os.init);
        for (size_t i = 0; i < r->nservices; i++)
                service_release(&r->services[i]);
        free(r->services);
        for (size_t i = 0; i < r->nsecrets; i++) {
                free(r->secrets[i].path);
                free(r->secrets[i].kind);
                v2c_strv_free(r->secrets[i].services);
        }
        free(r->secrets);
        v2c_strv_free(r->warnings);
        free(r);
        return NULL;
}

const struct v2c_service *v2c_report_service(const struct v2c_report *r, const char *name)
{
        for (size_t i = 0; r && name && i < r->nservices; i++)
                if (r->services[i].name && strcmp(r->services[i].name, name) == 0)
                        return &r->services[i];
        return NULL;
}

/* ---- the reader's state: where in the document it is ---- */

struct reader {
        /* "services[3].ports[0]": the path of the value being read.  Keys
         * are ours and indices bounded, so it never fills up; if it ever
         * did, the message would only be cut. */
        char path[256];
        size_t len;
        bool keep_escapes;      /* strings as the document has them (v2c_report_escaped) */
        struct v2c_error **err;
};

/* Guest bytes that are not UTF-8 come back from their escape, unless the
 * caller wants the text form.  New string, or NULL without memory. */
static char *string_of(const struct reader *rd, const char *s)
{
        return rd->keep_escapes ? strdup(s) : v2c_utf8_unescape(s);
}

/* Appends to the path; returns its length before, for leave(). */
__attribute__((format(printf, 2, 3))) static size_t enter(struct reader *rd, const char *fmt, ...)
{
        size_t was = rd->len;
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(rd->path + rd->len, sizeof rd->path - rd->len, fmt, ap);
        va_end(ap);
        if (n > 0)
                rd->len = rd->len + (size_t) n < sizeof rd->path ? rd->len + (size_t) n : sizeof rd->path - 1;
        return was;
}

static size_t enter_key(struct reader *rd, const char *key)
{
        return enter(rd, "%s%s", rd->len ? "." : "", key);
}

static size_t enter_index(struct reader *rd, size_t i)
{
        return enter(rd, "[%zu]", i);
}

static void leave(struct reader *rd, size_t was)
{
        rd->len = was;
        rd->path[was] = '\0';
}

/* The one error of a malformed report: PATH: WHAT. */
__attribute__((format(printf, 2, 3))) static int bad(struct reader *rd, const char *fmt, ...)
{
        char what[160];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(what, sizeof what, fmt, ap);
        va_end(ap);
        return v2c_error_set_kind(rd->err, V2C_ERR_INPUT, EINVAL, "%s: %s", rd->len ? rd->path : "(top)", what);
}

static int oom(struct reader *rd)
{
        return v2c_error_set(rd->err, ENOMEM, "out of memory");
}

/* ---- the field tables ---- */

enum field_type {
        F_STR,          /* char *, or JSON null */
        F_STRV,         /* char **, a JSON array of strings ([] when NULL) */
        F_BOOL,         /* bool */
        F_ENUM,         /* char *, one of a set of strings */
        F_UINT,         /* unsigned, an integer from min to max */
        F_U64,          /* unsigned long long, from min to max (at most 2^53: JSON's exact integers) */
        F_OBJECT,       /* members of the same struct, under a nested key */
        F_LIST,         /* an array of structs, each read with its own table */
        F_CUSTOM,       /* its own read and write functions */
};

struct field;

/* A list: the array pointer at the field's offset, its count at count_off. */
struct list_spec {
        size_t elem_size;
        size_t count_off;
        size_t max;
        const struct field *fields;
        /* Checks that need several fields of one element; may be NULL. */
        int (*check)(struct reader *rd, const void *elem);
};

struct field {
        const char *key;                /* NULL ends a table */
        enum field_type type;
        size_t off;                     /* of the member in the struct the table describes */
        bool required;
        unsigned long long min, max;    /* F_UINT */
        const char *const *set;         /* F_ENUM */
        const struct field *sub;        /* F_OBJECT */
        const struct list_spec *list;   /* F_LIST */
        /* F_CUSTOM: V is the value at KEY (NULL when absent); rd->path names it. */
        int (*read)(struct reader *rd, const json_t *v, void *base);
        /* F_CUSTOM: sets KEY in O (or leaves it out); 0 or -ENOMEM. */
        int (*write)(json_t *o, const char *key, const void *base);
};

#define MEMBER(base, f, type) ((type *) ((char *) (base) + (f)->off))
#define CMEMBER(base, f, type) ((const type *) ((const char *) (base) + (f)->off))

static const char *const source_roles[] = { "image", "backing", "data-file", "extent", NULL };
static const char *const source_formats[] = { "raw", "qcow2", "vmdk", "vdi", "vhdx", "vpc", NULL };
static const char *const protos[] = { "tcp", "udp", NULL };

static bool one_of(const char *s, const char *const *set)
{
        for (; *set; set++)
                if (strcmp(s, *set) == 0)
                        return true;
        return false;
}

/* "tcp" or "udp" in a char[4]. */
static int read_proto(struct reader *rd, const json_t *v, void *base)
{
        struct v2c_port *p = base;
        if (v == NULL)
                return bad(rd, "missing");
        if (!json_is_string(v) || !one_of(json_string_value(v), protos))
                return bad(rd, "not \"tcp\" or \"udp\"");
        snprintf(p->proto, sizeof p->proto, "%s", json_string_value(v));
        return 0;
}

static int write_proto(json_t *o, const char *key, const void *base)
{
        const struct v2c_port *p = base;
        return json_object_set_new(o, key, json_string(p->proto)) ? -ENOMEM : 0;
}

/* The permission bits as four octal digits, "0600". */
static int read_mode(struct reader *rd, const json_t *v, void *base)
{
        struct v2c_secret_file *f = base;
        if (v == NULL)
                return bad(rd, "missing");
        const char *mode = json_string_value(v);
        char *end = NULL;
        unsigned long m = mode && *mode ? strtoul(mode, &end, 8) : 0;
        if (mode == NULL || *mode == '\0' || *mode == '-' || *mode == '+' || *end || m > 07777)
                return bad(rd, "not an octal mode from 0000 to 7777");
        f->mode = (unsigned) m;
        return 0;
}

static int write_mode(json_t *o, const char *key, const void *base)
{
        const struct v2c_secret_file *f = base;
        char mode[8];
        snprintf(mode, sizeof mode, "%04o", f->mode & 07777);
        return json_object_set_new(o, key, json_string(mode)) ? -ENOMEM : 0;
}

static int read_class(struct reader *rd, const json_t *v, void *base)
{
        struct v2c_service *s = base;
        if (v == NULL)
                return bad(rd, "missing");
        const char *k = json_string_value(v);
        for (int c = V2C_CLASS_STATELESS; k && c <= V2C_CLASS_REVIEW; c++)
                if (strcmp(k, v2c_service_class_name(c)) == 0) {
                        s->klass = c;
                        return 0;
                }
        return bad(rd, "not \"stateless\", \"stateful\", \"system\" or \"review\"");
}

static int write_class(json_t *o, const char *key, const void *base)
{
        const struct v2c_service *s = base;
        return json_object_set_new(o, key, json_string(v2c_service_class_name(s->klass))) ? -ENOMEM : 0;
}

/* "connects_to": "port" for TCP, "socket" for a unix socket, never both
 * written; read back, a port is needed when there is no socket. */
static int write_link_socket(json_t *o, const char *key, const void *base)
{
        const struct v2c_link *l = base;
        return l->socket && json_object_set_new(o, key, v2c_json_str(l->socket)) ? -ENOMEM : 0;
}

static int write_link_port(json_t *o, const char *key, const void *base)
{
        const struct v2c_link *l = base;
        return !l->socket && json_object_set_new(o, key, json_integer(l->port)) ? -ENOMEM : 0;
}

static int read_link_socket(struct reader *rd, const json_t *v, void *base)
{
        struct v2c_link *l = base;
        if (v == NULL || json_is_null(v))
                return 0;
        if (!json_is_string(v))
                return bad(rd, "not a string");
        l->socket = string_of(rd, json_string_value(v));
        return l->socket ? 0 : oom(rd);
}

static int read_link_port(struct reader *rd, const json_t *v, void *base)
{
        struct v2c_link *l = base;
        if (v == NULL && l->socket)
                return 0;
        if (v == NULL)
                return bad(rd, "missing (a connection has a port or a socket)");
        json_int_t p = json_is_integer(v) ? json_integer_value(v) : 0;
        if (p < 1 || p > 65535)
                return bad(rd, "not an integer from 1 to 65535");
        l->port = (unsigned) p;
        return 0;
}

static int check_secret_file(struct reader *rd, const void *elem)
{
        const struct v2c_secret_file *f = elem;
        if (f->path[0] != '/') {
                size_t was = enter_key(rd, "path");
                int r = bad(rd, "not an absolute path");
                leave(rd, was);
                return r;
        }
        return 0;
}

/* A JSON object of names and strings into KV, *N (V absent or null: none).
 * Its keys are guest strings, escaped as every other one. */
static int read_keyvals(struct reader *rd, const json_t *v, struct v2c_keyval **kv, size_t *n,
                        bool (*valid_key)(const char *), const char *key_want, bool (*valid_value)(const char *),
                        const char *value_want)
{
        if (v == NULL || json_is_null(v))
                return 0;
        if (!json_is_object(v))
                return bad(rd, "not an object");
        size_t size = json_object_size(v);
        if (size > MAX_REPORT_LIST)
                return bad(rd, "more than %d entries", MAX_REPORT_LIST);
        if (size == 0)
                return 0;
        *kv = calloc(size, sizeof **kv);
        if (*kv == NULL)
                return oom(rd);
        const char *key;
        const json_t *e;
        json_object_foreach((json_t *) v, key, e) {
                /* Named in an error on one line, whatever bytes it holds. */
                char shown[64];
                snprintf(shown, sizeof shown, "%s", key);
                for (char *p = shown; *p; p++)
                        if ((unsigned char) *p < 0x20 || *p == 0x7f || *p == '"')
                                *p = '?';
                size_t was = enter(rd, "[\"%s\"]", shown);
                if (!valid_key(key))
                        return bad(rd, "%s", key_want);
                if (!json_is_string(e) || !valid_value(json_string_value(e)))
                        return bad(rd, "%s", value_want);
                leave(rd, was);
                /* Counted first: the release frees what is there. */
                struct v2c_keyval *x = &(*kv)[(*n)++];
                x->key = string_of(rd, key);
                x->value = strdup(json_string_value(e));
                if (x->key == NULL || x->value == NULL)
                        return oom(rd);
        }
        return 0;
}

static int write_keyvals(json_t *o, const char *key, const struct v2c_keyval *kv, size_t n)
{
        json_t *m = json_object();
        for (size_t i = 0; m && i < n; i++) {
                _cleanup_free_ char *k = v2c_utf8_escape(kv[i].key);
                if (k == NULL || json_object_set_new(m, k, json_string(kv[i].value)) < 0) {
                        json_decref(m);
                        return -ENOMEM;
                }
        }
        return json_object_set_new(o, key, m) ? -ENOMEM : 0;
}

static bool nonempty(const char *s)
{
        return s[0] != '\0';
}

static bool absolute(const char *s)
{
        return s[0] == '/';
}

/* "sha256:" and 64 lowercase hex digits: what v2c_sha256_hex writes. */
static bool sha256_digest(const char *s)
{
        return strncmp(s, "sha256:", 7) == 0 && strlen(s + 7) == 64 && strspn(s + 7, "0123456789abcdef") == 64;
}

static int read_package_versions(struct reader *rd, const json_t *v, void *base)
{
        struct v2c_service *s = base;
        return read_keyvals(rd, v, &s->package_versions, &s->npackage_versions, nonempty, "not a package name",
                            nonempty, "not a version (a non-empty string)");
}

static int write_package_versions(json_t *o, const char *key, const void *base)
{
        const struct v2c_service *s = base;
        return write_keyvals(o, key, s->package_versions, s->npackage_versions);
}

static int read_config_digests(struct reader *rd, const json_t *v, void *base)
{
        struct v2c_service *s = base;
        return read_keyvals(rd, v, &s->config_digests, &s->nconfig_digests, absolute, "not an absolute path",
                            sha256_digest, "not a digest (sha256: and 64 lowercase hex digits)");
}

static int write_config_digests(json_t *o, const char *key, const void *base)
{
        const struct v2c_service *s = base;
        return write_keyvals(o, key, s->config_digests, s->nconfig_digests);
}

static const struct field exec_fields[] = {
        { .key = "path", .type = F_STR, .off = offsetof(struct v2c_service, exec_path) },
        { .key = "argv", .type = F_STRV, .off = offsetof(struct v2c_service, argv) },
        { .key = "interpreter", .type = F_STR, .off = offsetof(struct v2c_service, interpreter) },
        { .key = "capabilities", .type = F_STRV, .off = offsetof(struct v2c_service, capabilities) },
        { 0 },
};

static const struct field directories_fields[] = {
        { .key = "state", .type = F_STRV, .off = offsetof(struct v2c_service, state_dirs) },
        { .key = "runtime", .type = F_STRV, .off = offsetof(struct v2c_service, runtime_dirs) },
        { .key = "logs", .type = F_STRV, .off = offsetof(struct v2c_service, logs_dirs) },
        { .key = "cache", .type = F_STRV, .off = offsetof(struct v2c_service, cache_dirs) },
        { .key = "read_write", .type = F_STRV, .off = offsetof(struct v2c_service, rw_paths) },
        { 0 },
};

static const struct field port_fields[] = {
        { .key = "port", .type = F_UINT, .off = offsetof(struct v2c_port, port), .required = true, .min = 1,
          .max = 65535 },
        { .key = "proto", .type = F_CUSTOM, .read = read_proto, .write = write_proto },
        { .key = "source", .type = F_STR, .off = offsetof(struct v2c_port, source) },
        { 0 },
};

static const struct list_spec ports_list = {
        .elem_size = sizeof(struct v2c_port), .count_off = offsetof(struct v2c_service, nports),
        .max = MAX_REPORT_PORTS, .fields = port_fields,
};

static const struct field secret_file_fields[] = {
        { .key = "path", .type = F_STR, .off = offsetof(struct v2c_secret_file, path), .required = true },
        { .key = "kind", .type = F_STR, .off = offsetof(struct v2c_secret_file, kind) },
        { .key = "owner", .type = F_STR, .off = offsetof(struct v2c_secret_file, owner) },
        { .key = "group", .type = F_STR, .off = offsetof(struct v2c_secret_file, group) },
        { .key = "uid", .type = F_UINT, .off = offsetof(struct v2c_secret_file, uid), .required = true, .min = 0,
          .max = 0xffffffffULL },
        { .key = "gid", .type = F_UINT, .off = offsetof(struct v2c_secret_file, gid), .required = true, .min = 0,
          .max = 0xffffffffULL },
        { .key = "mode", .type = F_CUSTOM, .read = read_mode, .write = write_mode },
        { 0 },
};

static const struct list_spec secret_files_list = {
        .elem_size = sizeof(struct v2c_secret_file), .count_off = offsetof(struct v2c_service, nsecret_files),
        .max = MAX_REPORT_LIST, .fields = secret_file_fields, .check = check_secret_file,
};

static const struct field link_fields[] = {
        { .key = "service", .type = F_STR, .off = offsetof(struct v2c_link, service), .required = true },
        { .key = "socket", .type = F_CUSTOM, .read = read_link_socket, .write = write_link_socket },
        { .key = "port", .type = F_CUSTOM, .read = read_link_port, .write = write_link_port },
        { .key = "address", .type = F_STR, .off = offsetof(struct v2c_link, address) },
        { .key = "found", .type = F_STR, .off = offsetof(struct v2c_link, found) },
        { .key = "via", .type = F_STR, .off = offsetof(struct v2c_link, via) },
        { 0 },
};

static const struct list_spec links_list = {
        .elem_size = sizeof(struct v2c_link), .count_off = offsetof(struct v2c_service, nlinks),
        .max = MAX_REPORT_LIST, .fields = link_fields,
};

static const struct field capability_fields[] = {
        { .key = "name", .type = F_STR, .off = offsetof(struct v2c_grant, what), .required = true },
        { .key = "from", .type = F_STR, .off = offsetof(struct v2c_grant, from) },
        { 0 },
};

static int check_capability(struct reader *rd, const void *elem)
{
        const struct v2c_grant *g = elem;
        if (strncmp(g->what, "CAP_", 4) != 0 || strspn(g->what + 4, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_0123456789") !=
                                                        strlen(g->what + 4) || g->what[4] == '\0') {
                size_t was = enter_key(rd, "name");
                int r = bad(rd, "not a capability name (CAP_...)");
                leave(rd, was);
                return r;
        }
        return 0;
}

static const struct list_spec capabilities_list = {
        .elem_size = sizeof(struct v2c_grant), .count_off = offsetof(struct v2c_service, hardening.ncapabilities),
        .max = 64, .fields = capability_fields, .check = check_capability,
};

static const struct field writable_fields[] = {
        { .key = "path", .type = F_STR, .off = offsetof(struct v2c_grant, what), .required = true },
        { .key = "from", .type = F_STR, .off = offsetof(struct v2c_grant, from) },
        { 0 },
};

static int check_writable(struct reader *rd, const void *elem)
{
        const struct v2c_grant *g = elem;
        if (g->what[0] != '/') {
                size_t was = enter_key(rd, "path");
                int r = bad(rd, "not an absolute path");
                leave(rd, was);
                return r;
        }
        return 0;
}

static const struct list_spec writable_list = {
        .elem_size = sizeof(struct v2c_grant), .count_off = offsetof(struct v2c_service, hardening.nwritable),
        .max = MAX_REPORT_LIST, .fields = writable_fields, .check = check_writable,
};

#define HARD(m) offsetof(struct v2c_service, hardening.m)
#define JSON_MAX_INT 9007199254740992ULL

static const struct field limits_fields[] = {
        { .key = "memory_bytes", .type = F_U64, .off = HARD(memory_max), .max = JSON_MAX_INT },
        { .key = "memory_from", .type = F_STR, .off = HARD(memory_from) },
        { .key = "cpu_millicores", .type = F_UINT, .off = HARD(cpu_millis), .max = 1000000 },
        { .key = "cpu_from", .type = F_STR, .off = HARD(cpu_from) },
        { .key = "nofile", .type = F_U64, .off = HARD(nofile), .max = JSON_MAX_INT },
        { .key = "nofile_from", .type = F_STR, .off = HARD(nofile_from) },
        { 0 },
};

static const struct field hardening_fields[] = {
        { .key = "run_as_root", .type = F_BOOL, .off = HARD(run_as_root) },
        { .key = "dynamic_uid", .type = F_UINT, .off = HARD(dynamic_uid), .max = 0xffffffffULL },
        { .key = "user_from", .type = F_STR, .off = HARD(user_from) },
        { .key = "capabilities", .type = F_LIST, .off = HARD(capabilities), .list = &capabilities_list },
        { .key = "allow_privilege_escalation", .type = F_BOOL, .off = HARD(allow_privilege_escalation) },
        { .key = "escalation_from", .type = F_STR, .off = HARD(escalation_from) },
        { .key = "seccomp", .type = F_STR, .off = HARD(seccomp) },
        { .key = "read_only_root", .type = F_BOOL, .off = HARD(read_only_root) },
        { .key = "writable", .type = F_LIST, .off = HARD(writable), .list = &writable_list },
        { .key = "limits", .type = F_OBJECT, .sub = limits_fields },
        { .key = "notes", .type = F_STRV, .off = HARD(notes) },
        { 0 },
};

#define SVC_STR(k, m) { .key = k, .type = F_STR, .off = offsetof(struct v2c_service, m) }
#define SVC_STRV(k, m) { .key = k, .type = F_STRV, .off = offsetof(struct v2c_service, m) }

static const struct field service_fields[] = {
        { .key = "name", .type = F_STR, .off = offsetof(struct v2c_service, name), .required = true },
        { .key = "kind", .type = F_STR, .off = offsetof(struct v2c_service, kind), .required = true },
        { .key = "enabled", .type = F_BOOL, .off = offsetof(struct v2c_service, enabled) },
        SVC_STR("unit_path", unit_path),
        SVC_STR("description", description),
        SVC_STR("type", type),
        { .key = "exec", .type = F_OBJECT, .sub = exec_fields },
        SVC_STR("user", user),
        SVC_STR("group", group),
        { .key = "dynamic_user", .type = F_BOOL, .off = offsetof(struct v2c_service, dynamic_user) },
        SVC_STR("working_dir", working_dir),
        SVC_STRV("environment", environment),
        SVC_STRV("environment_files", environment_files),
        SVC_STR("pid_file", pid_file),
        SVC_STR("kill_signal", kill_signal),
        SVC_STR("schedule", schedule),
        SVC_STR("triggers", triggers),
        { .key = "directories", .type = F_OBJECT, .sub = directories_fields },
        { .key = "ports", .type = F_LIST, .off = offsetof(struct v2c_service, ports), .list = &ports_list },
        SVC_STRV("packages", packages),
        { .key = "package_versions", .type = F_CUSTOM, .read = read_package_versions, .write = write_package_versions },
        SVC_STRV("libraries", libraries),
        SVC_STRV("config_files", config_files),
        { .key = "config_digests", .type = F_CUSTOM, .read = read_config_digests, .write = write_config_digests },
        SVC_STRV("app_files", app_files),
        SVC_STRV("data_paths", data_paths),
        SVC_STRV("log_files", log_files),
        { .key = "class", .type = F_CUSTOM, .read = read_class, .write = write_class },
        SVC_STRV("reasons", reasons),
        { .key = "secret_files", .type = F_LIST, .off = offsetof(struct v2c_service, secret_files),
          .list = &secret_files_list },
        { .key = "connects_to", .type = F_LIST, .off = offsetof(struct v2c_service, links), .list = &links_list },
        { .key = "hardening", .type = F_OBJECT, .sub = hardening_fields },
        { 0 },
};

static const struct field source_file_fields[] = {
        { .key = "path", .type = F_STR, .off = offsetof(struct v2c_report_source, path), .required = true },
        { .key = "format", .type = F_ENUM, .off = offsetof(struct v2c_report_source, format), .required = true,
          .set = source_formats },
        { .key = "role", .type = F_ENUM, .off = offsetof(struct v2c_report_source, role), .required = true,
          .set = source_roles },
        { 0 },
};

#define OS_STR(k, m) { .key = k, .type = F_STR, .off = offsetof(struct v2c_report, os.m) }

static int read_os_packages(struct reader *rd, const json_t *v, void *base)
{
        struct v2c_report *r = base;
        if (v == NULL || json_is_null(v))
                return 0;
        if (!json_is_integer(v) || json_integer_value(v) < 0)
                return bad(rd, "not a non-negative integer");
        r->os.packages = (size_t) json_integer_value(v);
        return 0;
}

static int write_os_packages(json_t *o, const char *key, const void *base)
{
        const struct v2c_report *r = base;
        return json_object_set_new(o, key, json_integer((json_int_t) r->os.packages)) ? -ENOMEM : 0;
}

static const struct field os_fields[] = {
        OS_STR("distro", distro),
        OS_STR("version", version),
        OS_STR("codename", codename),
        OS_STR("pretty_name", pretty_name),
        OS_STR("arch", arch),
        OS_STR("hostname", hostname),
        OS_STR("package_format", package_format),
        OS_STR("init", init),
        { .key = "id_like", .type = F_STRV, .off = offsetof(struct v2c_report, os.id_like) },
        OS_STR("selinux", selinux),
        OS_STR("selinux_policy", selinux_policy),
        { .key = "packages", .type = F_CUSTOM, .read = read_os_packages, .write = write_os_packages },
        { 0 },
};

static const struct field secret_fields[] = {
        { .key = "path", .type = F_STR, .off = offsetof(struct v2c_secret, path), .required = true },
        { .key = "kind", .type = F_STR, .off = offsetof(struct v2c_secret, kind) },
        { .key = "services", .type = F_STRV, .off = offsetof(struct v2c_secret, services) },
        { 0 },
};

static const struct list_spec source_files_list = {
        .elem_size = sizeof(struct v2c_report_source), .count_off = offsetof(struct v2c_report, n_source_files),
        .max = MAX_REPORT_LIST, .fields = source_file_fields,
};

static const struct list_spec services_list = {
        .elem_size = sizeof(struct v2c_service), .count_off = offsetof(struct v2c_report, nservices),
        .max = MAX_REPORT_SERVICES, .fields = service_fields,
};

static const struct list_spec secrets_list = {
        .elem_size = sizeof(struct v2c_secret), .count_off = offsetof(struct v2c_report, nsecrets),
        .max = MAX_REPORT_LIST, .fields = secret_fields,
};

/* Only written when a disk image named other files (--allow-backing). */
static int write_source_files(json_t *o, const char *key, const void *base);
static int read_source_files(struct reader *rd, const json_t *v, void *base);

/* "schema" is checked before the rest is read (v2c_report_from_json). */
static int read_schema(struct reader *rd, const json_t *v, void *base)
{
        (void) rd, (void) v, (void) base;
        return 0;
}

static int write_schema(json_t *o, const char *key, const void *base)
{
        (void) base;
        return json_object_set_new(o, key, json_string(V2C_INSPECT_SCHEMA)) ? -ENOMEM : 0;
}

static const struct field report_fields[] = {
        { .key = "schema", .type = F_CUSTOM, .read = read_schema, .write = write_schema },
        { .key = "source", .type = F_STR, .off = offsetof(struct v2c_report, source_kind) },
        { .key = "source_files", .type = F_CUSTOM, .off = offsetof(struct v2c_report, source_files),
          .list = &source_files_list, .read = read_source_files, .write = write_source_files },
        { .key = "os", .type = F_OBJECT, .sub = os_fields },
        { .key = "services", .type = F_LIST, .off = offsetof(struct v2c_report, services), .required = true,
          .list = &services_list },
        { .key = "secrets", .type = F_LIST, .off = offsetof(struct v2c_report, secrets), .list = &secrets_list },
        { .key = "warnings", .type = F_STRV, .off = offsetof(struct v2c_report, warnings) },
        { 0 },
};

/* ---- the writer ---- */

static json_t *write_object(const struct field *fields, const void *base);

static json_t *write_list(const struct field *f, const void *base)
{
        const struct list_spec *ls = f->list;
        const char *items = *CMEMBER(base, f, char *);
        size_t n = *(const size_t *) ((const char *) base + ls->count_off);
        json_t *a = json_array();
        for (size_t i = 0; a && i < n; i++)
                if (json_array_append_new(a, write_object(ls->fields, items + i * ls->elem_size)) < 0) {
                        json_decref(a);
                        return NULL;
                }
        return a;
}

static json_t *write_object(const struct field *fields, const void *base)
{
        json_t *o = json_object();
        for (const struct field *f = fields; o && f->key; f++) {
                json_t *v = NULL;
                switch (f->type) {
                case F_STR:
                case F_ENUM:
                        v = v2c_json_str(*CMEMBER(base, f, char *));
                        break;
                case F_STRV:
                        v = v2c_json_strv(*(char **const *) ((const char *) base + f->off));
                        break;
                case F_BOOL:
                        v = json_boolean(*CMEMBER(base, f, bool));
                        break;
                case F_UINT:
                        v = json_integer((json_int_t) *CMEMBER(base, f, unsigned));
                        break;
                case F_U64:
                        v = json_integer((json_int_t) *CMEMBER(base, f, unsigned long long));
                        break;
                case F_OBJECT:
                        v = write_object(f->sub, base);
                        break;
                case F_LIST:
                        v = write_list(f, base);
                        break;
                case F_CUSTOM:
                        if (f->write(o, f->key, base) == 0)
                                continue;
                        break;
                }
                /* set_new takes V even when it fails (and refuses NULL). */
                if (json_object_set_new(o, f->key, v) < 0) {
                        json_decref(o);
                        return NULL;
                }
        }
        return o;
}

static int write_source_files(json_t *o, const char *key, const void *base)
{
        const struct v2c_report *r = base;
        struct field f = { .key = key, .type = F_LIST, .off = offsetof(struct v2c_report, source_files),
                           .list = &source_files_list };
        if (r->n_source_files == 0)
                return 0;
        return json_object_set_new(o, key, write_list(&f, base)) ? -ENOMEM : 0;
}

json_t *v2c_report_to_json(const struct v2c_report *r)
{
        return write_object(report_fields, r);
}

/* ---- the reader ---- */

static int read_object(struct reader *rd, const struct field *fields, const json_t *o, void *base);

static int read_str(struct reader *rd, const json_t *v, char **out)
{
        if (!json_is_string(v))
                return bad(rd, "not a string");
        *out = string_of(rd, json_string_value(v));
        return *out ? 0 : oom(rd);
}

static int read_strv(struct reader *rd, const json_t *v, char ***out)
{
        if (!json_is_array(v))
                return bad(rd, "not a list of strings");
        if (json_array_size(v) > MAX_REPORT_LIST)
                return bad(rd, "more than %d entries", MAX_REPORT_LIST);
        size_t i;
        const json_t *e;
        json_array_foreach(v, i, e) {
                size_t was = enter_index(rd, i);
                if (!json_is_string(e))
                        return bad(rd, "not a string");
                leave(rd, was);
                _cleanup_free_ char *raw = string_of(rd, json_string_value(e));
                if (raw == NULL || v2c_strv_push(out, raw) < 0)
                        return oom(rd);
        }
        return 0;
}

static int read_list(struct reader *rd, const struct list_spec *ls, const json_t *v, void *base, size_t off)
{
        if (!json_is_array(v))
                return bad(rd, "not a list");
        size_t n = json_array_size(v);
        if (n > ls->max)
                return bad(rd, "more than %zu entries", ls->max);
        if (n == 0)
                return 0;
        char *items = calloc(n, ls->elem_size);
        if (items == NULL)
                return oom(rd);
        /* Owned by BASE from here: its count says how much to free. */
        *(char **) ((char *) base + off) = items;
        size_t *count = (size_t *) ((char *) base + ls->count_off);
        for (size_t i = 0; i < n; i++) {
                size_t was = enter_index(rd, i);
                void *elem = items + i * ls->elem_size;
                (*count)++;
                int r = read_object(rd, ls->fields, json_array_get(v, i), elem);
                if (r == 0 && ls->check)
                        r = ls->check(rd, elem);
                if (r < 0)
                        return r;
                leave(rd, was);
        }
        return 0;
}

static int read_field(struct reader *rd, const struct field *f, const json_t *v, void *base)
{
        if (f->type == F_CUSTOM)
                return f->read(rd, v, base);
        /* An absent value and null mean the same: not known. */
        if (v == NULL || json_is_null(v))
                return f->required ? bad(rd, "missing") : 0;
        switch (f->type) {
        case F_STR:
                return read_str(rd, v, MEMBER(base, f, char *));
        case F_ENUM:
                if (!json_is_string(v) || !one_of(json_string_value(v), f->set))
                        return bad(rd, "not a known value");
                *MEMBER(base, f, char *) = strdup(json_string_value(v));
                return *MEMBER(base, f, char *) ? 0 : oom(rd);
        case F_STRV:
                return read_strv(rd, v, MEMBER(base, f, char **));
        case F_BOOL:
                if (!json_is_boolean(v))
                        return bad(rd, "not true or false");
                *MEMBER(base, f, bool) = json_is_true(v);
                return 0;
        case F_UINT: {
                json_int_t n = json_is_integer(v) ? json_integer_value(v) : -1;
                if (!json_is_integer(v) || n < 0 || (unsigned long long) n < f->min || (unsigned long long) n > f->max)
                        return bad(rd, "not an integer from %llu to %llu", f->min, f->max);
                *MEMBER(base, f, unsigned) = (unsigned) n;
                return 0;
        }
        case F_U64: {
                json_int_t n = json_is_integer(v) ? json_integer_value(v) : -1;
                if (!json_is_integer(v) || n < 0 || (unsigned long long) n < f->min || (unsigned long long) n > f->max)
                        return bad(rd, "not an integer from %llu to %llu", f->min, f->max);
                *MEMBER(base, f, unsigned long long) = (unsigned long long) n;
                return 0;
        }
        case F_OBJECT:
                return read_object(rd, f->sub, v, base);
        case F_LIST:
                return read_list(rd, f->list, v, base, f->off);
        case F_CUSTOM:
                break;
        }
        return bad(rd, "unreadable");
}

static int read_object(struct reader *rd, const struct field *fields, const json_t *o, void *base)
{
        if (!json_is_object(o))
                return bad(rd, "not an object");
        for (const struct field *f = fields; f->key; f++) {
                size_t was = enter_key(rd, f->key);
                int r = read_field(rd, f, json_object_get(o, f->key), base);
                if (r < 0)
                        return r;
                leave(rd, was);
        }
        return 0;
}

static int read_source_files(struct reader *rd, const json_t *v, void *base)
{
        if (v == NULL || json_is_null(v))
                return 0;
        return read_list(rd, &source_files_list, v, base, offsetof(struct v2c_report, source_files));
}

static int report_read(const json_t *j, bool keep_escapes, struct v2c_report **out, struct v2c_error **err)
{
        const char *schema = json_string_value(json_object_get(j, "schema"));
        if (schema == NULL || strcmp(schema, V2C_INSPECT_SCHEMA) != 0)
                return v2c_error_set_kind(err, V2C_ERR_INPUT, EINVAL, "not a %s report (schema is %s)",
                                          V2C_INSPECT_SCHEMA, schema ? schema : "missing");
        __attribute__((cleanup(v2c_report_freep))) struct v2c_report *r = calloc(1, sizeof *r);
        if (r == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        struct reader rd = { .keep_escapes = keep_escapes, .err = err };
        int rc = read_object(&rd, report_fields, j, r);
        if (rc < 0)
                return rc;
        *out = TAKE_PTR(r);
        return 0;
}

int v2c_report_from_json(const json_t *j, struct v2c_report **out, struct v2c_error **err)
{
        return report_read(j, false, out, err);
}

int v2c_report_escaped(const struct v2c_report *r, struct v2c_report **out, struct v2c_error **err)
{
        _cleanup_json_ json_t *j = v2c_report_to_json(r);
        if (j == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        return report_read(j, true, out, err);
}

json_t *v2c_hardening_to_json(const struct v2c_hardening *h)
{
        /* The field tables hang off a service: lend it H. */
        struct v2c_service s = { .hardening = *h };
        json_t *o = write_object(hardening_fields, &s);
        if (o && h->run_as_known &&
            json_object_set_new(o, "run_as", json_pack("{s:I, s:I}", "uid", (json_int_t) h->run_as_uid, "gid",
                                                       (json_int_t) h->run_as_gid)) < 0) {
                json_decref(o);
                return NULL;
        }
        return o;
}

static bool valid_id(const json_t *v)
{
        return json_is_integer(v) && json_integer_value(v) >= 0 && json_integer_value(v) <= V2C_ID_MAX;
}

/* The label's "run_as" (V borrowed, NULL when absent) into H.  An image
 * from a registry wrote it: the numbers end up in the container's User
 * and in tmpfs mount options, so only integers in range are taken (text
 * such as "0,exec" would be an option of its own, and 2^32 wraps to
 * root), and they must agree with run_as_root, which the operator saw
 * and the manifests and --verify applied. */
static int read_run_as(const json_t *v, struct v2c_hardening *h, struct v2c_error **err)
{
        if (v == NULL || json_is_null(v))
                return 0;
        const json_t *uid = json_object_get(v, "uid"), *gid = json_object_get(v, "gid");
        if (!json_is_object(v) || json_object_size(v) != 2 || !valid_id(uid) || !valid_id(gid))
                return v2c_error_set_kind(err, V2C_ERR_INPUT, EINVAL,
                                          "hardening.run_as: want {\"uid\": N, \"gid\": N}, each an integer "
                                          "from 0 to %u",
                                          V2C_ID_MAX);
        if ((json_integer_value(uid) == 0) != h->run_as_root)
                return v2c_error_set_kind(err, V2C_ERR_INPUT, EINVAL,
                                          "hardening.run_as: uid %" JSON_INTEGER_FORMAT " contradicts run_as_root: %s",
                                          json_integer_value(uid), h->run_as_root ? "true" : "false");
        h->run_as_known = true;
        h->run_as_uid = (unsigned) json_integer_value(uid);
        h->run_as_gid = (unsigned) json_integer_value(gid);
        return 0;
}

int v2c_hardening_from_json(const json_t *j, struct v2c_hardening *out, struct v2c_error **err)
{
        struct v2c_service s = { 0 };
        struct reader rd = { .err = err };
        size_t was = enter_key(&rd, "hardening");
        int r = read_object(&rd, hardening_fields, j, &s);
        leave(&rd, was);
        if (r == 0 && !v2c_hardening_known(&s.hardening))
                r = v2c_error_set_kind(err, V2C_ERR_INPUT, EINVAL, "hardening: no seccomp profile named");
        if (r == 0)
                r = read_run_as(json_object_get(j, "run_as"), &s.hardening, err);
        if (r < 0) {
                v2c_hardening_release(&s.hardening);
                return r;
        }
        *out = s.hardening;
        return 0;
}
