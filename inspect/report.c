/* The inspection report: freeing it, and its two faces, JSON for machines
 * (docs/inspect-report.md) and an aligned table for people.  Both come from
 * the same struct v2c_report. */
#include "inspect.h"
#include "buf.h"
#include "cleanup.h"
#include "json.h"
#include "strv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static json_t *strv_or_empty(char *const *v)
{
        return v2c_json_strv(v);
}

/* "connects_to": one object per connection; "port" for TCP, "socket"
 * for a unix socket (the other key is absent). */
static json_t *links_to_json(const struct v2c_service *s)
{
        json_t *a = json_array();
        for (size_t i = 0; a && i < s->nlinks; i++) {
                const struct v2c_link *l = &s->links[i];
                json_t *o = json_object();
                json_object_set_new(o, "service", v2c_json_str(l->service));
                if (l->socket)
                        json_object_set_new(o, "socket", v2c_json_str(l->socket));
                else
                        json_object_set_new(o, "port", json_integer(l->port));
                json_object_set_new(o, "address", v2c_json_str(l->address));
                json_object_set_new(o, "found", v2c_json_str(l->found));
                json_object_set_new(o, "via", v2c_json_str(l->via));
                json_array_append_new(a, o);
        }
        return a;
}

static json_t *service_to_json(const struct v2c_service *s)
{
        json_t *o = json_object();
        json_object_set_new(o, "name", v2c_json_str(s->name));
        json_object_set_new(o, "kind", v2c_json_str(s->kind));
        json_object_set_new(o, "enabled", json_boolean(s->enabled));
        json_object_set_new(o, "unit_path", v2c_json_str(s->unit_path));
        json_object_set_new(o, "description", v2c_json_str(s->description));
        json_object_set_new(o, "type", v2c_json_str(s->type));
        json_t *exec = json_object();
        json_object_set_new(exec, "path", v2c_json_str(s->exec_path));
        json_object_set_new(exec, "argv", strv_or_empty(s->argv));
        json_object_set_new(exec, "interpreter", v2c_json_str(s->interpreter));
        json_object_set_new(exec, "capabilities", strv_or_empty(s->capabilities));
        json_object_set_new(o, "exec", exec);
        json_object_set_new(o, "user", v2c_json_str(s->user));
        json_object_set_new(o, "group", v2c_json_str(s->group));
        json_object_set_new(o, "dynamic_user", json_boolean(s->dynamic_user));
        json_object_set_new(o, "working_dir", v2c_json_str(s->working_dir));
        json_object_set_new(o, "environment", strv_or_empty(s->environment));
        json_object_set_new(o, "environment_files", strv_or_empty(s->environment_files));
        json_object_set_new(o, "pid_file", v2c_json_str(s->pid_file));
        json_object_set_new(o, "kill_signal", v2c_json_str(s->kill_signal));
        json_object_set_new(o, "schedule", v2c_json_str(s->schedule));
        json_object_set_new(o, "triggers", v2c_json_str(s->triggers));
        json_t *dirs = json_object();
        json_object_set_new(dirs, "state", strv_or_empty(s->state_dirs));
        json_object_set_new(dirs, "runtime", strv_or_empty(s->runtime_dirs));
        json_object_set_new(dirs, "logs", strv_or_empty(s->logs_dirs));
        json_object_set_new(dirs, "cache", strv_or_empty(s->cache_dirs));
        json_object_set_new(dirs, "read_write", strv_or_empty(s->rw_paths));
        json_object_set_new(o, "directories", dirs);
        json_t *ports = json_array();
        for (size_t i = 0; i < s->nports; i++) {
                json_t *p = json_object();
                json_object_set_new(p, "port", json_integer(s->ports[i].port));
                json_object_set_new(p, "proto", json_string(s->ports[i].proto));
                json_object_set_new(p, "source", v2c_json_str(s->ports[i].source));
                json_array_append_new(ports, p);
        }
        json_object_set_new(o, "ports", ports);
        json_object_set_new(o, "packages", strv_or_empty(s->packages));
        json_object_set_new(o, "libraries", strv_or_empty(s->libraries));
        json_object_set_new(o, "config_files", strv_or_empty(s->config_files));
        json_object_set_new(o, "app_files", strv_or_empty(s->app_files));
        json_object_set_new(o, "data_paths", strv_or_empty(s->data_paths));
        json_object_set_new(o, "log_files", strv_or_empty(s->log_files));
        json_object_set_new(o, "class", json_string(v2c_service_class_name(s->klass)));
        json_object_set_new(o, "reasons", strv_or_empty(s->reasons));
        json_t *sf = json_array();
        for (size_t i = 0; i < s->nsecret_files; i++) {
                const struct v2c_secret_file *f = &s->secret_files[i];
                char mode[8];
                snprintf(mode, sizeof mode, "%04o", f->mode & 07777);
                json_array_append_new(sf, json_pack("{s:o, s:o, s:o, s:o, s:I, s:I, s:s}", "path", v2c_json_str(f->path),
                                                    "kind", v2c_json_str(f->kind), "owner", v2c_json_str(f->owner),
                                                    "group", v2c_json_str(f->group), "uid", (json_int_t) f->uid,
                                                    "gid", (json_int_t) f->gid, "mode", mode));
        }
        json_object_set_new(o, "secret_files", sf);
        json_object_set_new(o, "connects_to", links_to_json(s));
        return o;
}

json_t *v2c_report_to_json(const struct v2c_report *r)
{
        json_t *o = json_object();
        if (o == NULL)
                return NULL;
        json_object_set_new(o, "schema", json_string(V2C_INSPECT_SCHEMA));
        json_object_set_new(o, "source", v2c_json_str(r->source_kind));
        if (r->n_source_files) {
                json_t *files = json_array();
                for (size_t i = 0; i < r->n_source_files; i++)
                        json_array_append_new(files, json_pack("{s:o, s:o, s:o}", "path",
                                                               v2c_json_str(r->source_files[i].path), "format",
                                                               v2c_json_str(r->source_files[i].format), "role",
                                                               v2c_json_str(r->source_files[i].role)));
                json_object_set_new(o, "source_files", files);
        }
        json_t *os = json_object();
        json_object_set_new(os, "distro", v2c_json_str(r->os.distro));
        json_object_set_new(os, "version", v2c_json_str(r->os.version));
        json_object_set_new(os, "codename", v2c_json_str(r->os.codename));
        json_object_set_new(os, "pretty_name", v2c_json_str(r->os.pretty_name));
        json_object_set_new(os, "arch", v2c_json_str(r->os.arch));
        json_object_set_new(os, "hostname", v2c_json_str(r->os.hostname));
        json_object_set_new(os, "package_format", v2c_json_str(r->os.package_format));
        json_object_set_new(os, "init", v2c_json_str(r->os.init));
        json_object_set_new(os, "packages", json_integer((json_int_t) r->os.packages));
        json_object_set_new(o, "os", os);
        json_t *svcs = json_array();
        for (size_t i = 0; i < r->nservices; i++)
                json_array_append_new(svcs, service_to_json(&r->services[i]));
        json_object_set_new(o, "services", svcs);
        json_t *secrets = json_array();
        for (size_t i = 0; i < r->nsecrets; i++) {
                json_t *s = json_object();
                json_object_set_new(s, "path", v2c_json_str(r->secrets[i].path));
                json_object_set_new(s, "kind", v2c_json_str(r->secrets[i].kind));
                json_object_set_new(s, "services", strv_or_empty(r->secrets[i].services));
                json_array_append_new(secrets, s);
        }
        json_object_set_new(o, "secrets", secrets);
        json_object_set_new(o, "warnings", strv_or_empty(r->warnings));
        return o;
}

/* Reading a report back: the report file may come from anywhere, so each
 * field is type-checked and bounded like any other untrusted input. */

#define MAX_REPORT_SERVICES 100000
#define MAX_REPORT_LIST 100000

static const char *const source_roles[] = { "image", "backing", "data-file", "extent", NULL };
static const char *const source_formats[] = { "raw", "qcow2", "vmdk", "vdi", "vhdx", "vpc", NULL };

static bool one_of(const char *s, const char *const *set)
{
        for (; *set; set++)
                if (strcmp(s, *set) == 0)
                        return true;
        return false;
}

static int get_str(const json_t *o, const char *key, char **out)
{
        const json_t *v = json_object_get(o, key);
        if (v == NULL || json_is_null(v))
                return 0;
        if (!json_is_string(v))
                return -EINVAL;
        /* Guest bytes that are not UTF-8 come back from their escape. */
        *out = v2c_utf8_unescape(json_string_value(v));
        return *out ? 0 : -ENOMEM;
}

static int get_strv(const json_t *o, const char *key, char ***out)
{
        const json_t *v = json_object_get(o, key);
        if (v == NULL || json_is_null(v))
                return 0;
        if (!json_is_array(v) || json_array_size(v) > MAX_REPORT_LIST)
                return -EINVAL;
        size_t i;
        const json_t *e;
        json_array_foreach(v, i, e) {
                if (!json_is_string(e))
                        return -EINVAL;
                _cleanup_free_ char *raw = v2c_utf8_unescape(json_string_value(e));
                int r = raw ? v2c_strv_push(out, raw) : -ENOMEM;
                if (r < 0)
                        return r;
        }
        return 0;
}

/* "secret_files": [{path, kind, owner, group, uid, gid, mode "0600"}]. */
static int get_secret_files(const json_t *o, struct v2c_service *s)
{
        const json_t *v = json_object_get(o, "secret_files");
        if (v == NULL || json_is_null(v))
                return 0;
        if (!json_is_array(v) || json_array_size(v) > MAX_REPORT_LIST)
                return -EINVAL;
        s->secret_files = calloc(json_array_size(v) + 1, sizeof *s->secret_files);
        if (s->secret_files == NULL)
                return -ENOMEM;
        size_t i;
        const json_t *e;
        json_array_foreach(v, i, e) {
                struct v2c_secret_file *f = &s->secret_files[s->nsecret_files++];
                const char *mode = json_string_value(json_object_get(e, "mode"));
                json_int_t uid = json_integer_value(json_object_get(e, "uid"));
                json_int_t gid = json_integer_value(json_object_get(e, "gid"));
                char *end = NULL;
                unsigned long m = mode ? strtoul(mode, &end, 8) : 0;
                if (!json_is_object(e) || mode == NULL || *mode == '\0' || *end || m > 07777 || uid < 0 ||
                    uid > 0xffffffffLL || gid < 0 || gid > 0xffffffffLL)
                        return -EINVAL;
                f->mode = (unsigned) m;
                f->uid = (unsigned) uid;
                f->gid = (unsigned) gid;
                int r = get_str(e, "path", &f->path);
                r = r ? r : get_str(e, "kind", &f->kind);
                r = r ? r : get_str(e, "owner", &f->owner);
                r = r ? r : get_str(e, "group", &f->group);
                if (r)
                        return r;
                if (f->path == NULL || f->path[0] != '/')
                        return -EINVAL;
        }
        return 0;
}

static int links_from_json(const json_t *o, struct v2c_service *s)
{
        const json_t *a = json_object_get(o, "connects_to");
        if (a == NULL || json_is_null(a))
                return 0;
        if (!json_is_array(a) || json_array_size(a) > MAX_REPORT_LIST)
                return -EINVAL;
        if (json_array_size(a) == 0)
                return 0;
        s->links = calloc(json_array_size(a), sizeof *s->links);
        if (s->links == NULL)
                return -ENOMEM;
        size_t i;
        const json_t *e;
        json_array_foreach(a, i, e) {
                struct v2c_link *l = &s->links[s->nlinks++];
                if (!json_is_object(e))
                        return -EINVAL;
                int r = get_str(e, "service", &l->service);
                r = r ? r : get_str(e, "socket", &l->socket);
                r = r ? r : get_str(e, "address", &l->address);
                r = r ? r : get_str(e, "found", &l->found);
                r = r ? r : get_str(e, "via", &l->via);
                if (r)
                        return r;
                const json_t *port = json_object_get(e, "port");
                json_int_t p = json_is_integer(port) ? json_integer_value(port) : 0;
                if (l->service == NULL || (l->socket == NULL && (p < 1 || p > 65535)) || (port && !json_is_integer(port)))
                        return -EINVAL;
                l->port = (unsigned) p;
        }
        return 0;
}

static int service_from_json(const json_t *o, struct v2c_service *s)
{
        if (!json_is_object(o))
                return -EINVAL;
        int r = 0;
        r = r ? r : get_str(o, "name", &s->name);
        r = r ? r : get_str(o, "kind", &s->kind);
        r = r ? r : get_str(o, "unit_path", &s->unit_path);
        r = r ? r : get_str(o, "description", &s->description);
        r = r ? r : get_str(o, "type", &s->type);
        const json_t *exec = json_object_get(o, "exec");
        if (!r && json_is_object(exec)) {
                r = r ? r : get_str(exec, "path", &s->exec_path);
                r = r ? r : get_strv(exec, "argv", &s->argv);
                r = r ? r : get_str(exec, "interpreter", &s->interpreter);
                r = r ? r : get_strv(exec, "capabilities", &s->capabilities);
        }
        r = r ? r : get_str(o, "user", &s->user);
        r = r ? r : get_str(o, "group", &s->group);
        r = r ? r : get_str(o, "working_dir", &s->working_dir);
        r = r ? r : get_strv(o, "environment", &s->environment);
        r = r ? r : get_strv(o, "environment_files", &s->environment_files);
        r = r ? r : get_str(o, "pid_file", &s->pid_file);
        r = r ? r : get_str(o, "kill_signal", &s->kill_signal);
        r = r ? r : get_str(o, "schedule", &s->schedule);
        r = r ? r : get_str(o, "triggers", &s->triggers);
        const json_t *dirs = json_object_get(o, "directories");
        if (!r && json_is_object(dirs)) {
                r = r ? r : get_strv(dirs, "state", &s->state_dirs);
                r = r ? r : get_strv(dirs, "runtime", &s->runtime_dirs);
                r = r ? r : get_strv(dirs, "logs", &s->logs_dirs);
                r = r ? r : get_strv(dirs, "cache", &s->cache_dirs);
                r = r ? r : get_strv(dirs, "read_write", &s->rw_paths);
        }
        r = r ? r : get_strv(o, "packages", &s->packages);
        r = r ? r : get_strv(o, "libraries", &s->libraries);
        r = r ? r : get_strv(o, "config_files", &s->config_files);
        r = r ? r : get_strv(o, "app_files", &s->app_files);
        r = r ? r : get_strv(o, "data_paths", &s->data_paths);
        r = r ? r : get_strv(o, "log_files", &s->log_files);
        r = r ? r : get_strv(o, "reasons", &s->reasons);
        r = r ? r : get_secret_files(o, s);
        r = r ? r : links_from_json(o, s);
        if (r)
                return r;
        s->enabled = json_is_true(json_object_get(o, "enabled"));
        s->dynamic_user = json_is_true(json_object_get(o, "dynamic_user"));
        const char *klass = json_string_value(json_object_get(o, "class"));
        if (klass == NULL || s->name == NULL || s->kind == NULL)
                return -EINVAL;
        if (strcmp(klass, "stateless") == 0)
                s->klass = V2C_CLASS_STATELESS;
        else if (strcmp(klass, "stateful") == 0)
                s->klass = V2C_CLASS_STATEFUL;
        else if (strcmp(klass, "system") == 0)
                s->klass = V2C_CLASS_SYSTEM;
        else if (strcmp(klass, "review") == 0)
                s->klass = V2C_CLASS_REVIEW;
        else
                return -EINVAL;
        const json_t *ports = json_object_get(o, "ports");
        if (json_is_array(ports) && json_array_size(ports) > 0) {
                if (json_array_size(ports) > 65536)
                        return -EINVAL;
                s->ports = calloc(json_array_size(ports), sizeof *s->ports);
                if (s->ports == NULL)
                        return -ENOMEM;
                size_t i;
                const json_t *p;
                json_array_foreach(ports, i, p) {
                        json_int_t port = json_integer_value(json_object_get(p, "port"));
                        const char *proto = json_string_value(json_object_get(p, "proto"));
                        if (port < 1 || port > 65535 || proto == NULL ||
                            (strcmp(proto, "tcp") != 0 && strcmp(proto, "udp") != 0))
                                return -EINVAL;
                        s->ports[s->nports].port = (unsigned) port;
                        snprintf(s->ports[s->nports].proto, sizeof s->ports[s->nports].proto, "%s", proto);
                        r = get_str(p, "source", &s->ports[s->nports].source);
                        s->nports++;
                        if (r)
                                return r;
                }
        }
        return 0;
}

int v2c_report_from_json(const json_t *j, struct v2c_report **out, struct v2c_error **err)
{
        const char *schema = json_string_value(json_object_get(j, "schema"));
        if (schema == NULL || strcmp(schema, V2C_INSPECT_SCHEMA) != 0)
                return v2c_error_set_kind(err, V2C_ERR_INPUT, EINVAL, "not a %s report (schema is %s)",
                                          V2C_INSPECT_SCHEMA, schema ? schema : "missing");
        __attribute__((cleanup(v2c_report_freep))) struct v2c_report *r = calloc(1, sizeof *r);
        if (r == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        int rc = get_str(j, "source", &r->source_kind);
        const json_t *files = json_object_get(j, "source_files");
        if (!rc && files) {
                if (!json_is_array(files) || json_array_size(files) > MAX_REPORT_LIST)
                        return v2c_error_set_kind(err, V2C_ERR_INPUT, EINVAL, "malformed report: bad `source_files`");
                r->source_files = calloc(json_array_size(files) + 1, sizeof *r->source_files);
                if (r->source_files == NULL)
                        return v2c_error_set(err, ENOMEM, "out of memory");
                for (size_t i = 0; i < json_array_size(files); i++) {
                        const json_t *f = json_array_get(files, i);
                        struct v2c_report_source *x = &r->source_files[r->n_source_files++];
                        rc = json_is_object(f) ? get_str(f, "path", &x->path) : -EINVAL;
                        rc = rc ? rc : get_str(f, "format", &x->format);
                        rc = rc ? rc : get_str(f, "role", &x->role);
                        if (rc || x->path == NULL || x->format == NULL || x->role == NULL ||
                            !one_of(x->role, source_roles) || !one_of(x->format, source_formats))
                                return v2c_error_set_kind(err, V2C_ERR_INPUT, EINVAL,
                                                          "malformed report: source file %zu", i);
                }
        }
        const json_t *os = json_object_get(j, "os");
        if (!rc && json_is_object(os)) {
                rc = rc ? rc : get_str(os, "distro", &r->os.distro);
                rc = rc ? rc : get_str(os, "version", &r->os.version);
                rc = rc ? rc : get_str(os, "codename", &r->os.codename);
                rc = rc ? rc : get_str(os, "pretty_name", &r->os.pretty_name);
                rc = rc ? rc : get_str(os, "arch", &r->os.arch);
                rc = rc ? rc : get_str(os, "hostname", &r->os.hostname);
                rc = rc ? rc : get_str(os, "package_format", &r->os.package_format);
                rc = rc ? rc : get_str(os, "init", &r->os.init);
                json_int_t n = json_integer_value(json_object_get(os, "packages"));
                r->os.packages = n > 0 ? (size_t) n : 0;
        }
        if (rc)
                return v2c_error_set_kind(err, V2C_ERR_INPUT, -rc, "malformed report: bad `os`");
        const json_t *svcs = json_object_get(j, "services");
        if (!json_is_array(svcs) || json_array_size(svcs) > MAX_REPORT_SERVICES)
                return v2c_error_set_kind(err, V2C_ERR_INPUT, EINVAL, "malformed report: `services` is not a list");
        r->services = calloc(json_array_size(svcs) + 1, sizeof *r->services);
        if (r->services == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        size_t i;
        const json_t *s;
        json_array_foreach(svcs, i, s) {
                r->nservices++;
                rc = service_from_json(s, &r->services[i]);
                if (rc)
                        return v2c_error_set_kind(err, V2C_ERR_INPUT, -rc, "malformed report: service %zu", i);
        }
        const json_t *secrets = json_object_get(j, "secrets");
        if (json_is_array(secrets) && json_array_size(secrets) <= MAX_REPORT_LIST) {
                r->secrets = calloc(json_array_size(secrets) + 1, sizeof *r->secrets);
                if (r->secrets == NULL)
                        return v2c_error_set(err, ENOMEM, "out of memory");
                json_array_foreach(secrets, i, s) {
                        struct v2c_secret *x = &r->secrets[r->nsecrets++];
                        rc = get_str(s, "path", &x->path);
                        rc = rc ? rc : get_str(s, "kind", &x->kind);
                        rc = rc ? rc : get_strv(s, "services", &x->services);
                        if (rc || x->path == NULL)
                                return v2c_error_set_kind(err, V2C_ERR_INPUT, EINVAL, "malformed report: secret %zu", i);
                }
        }
        if (get_strv(j, "warnings", &r->warnings) < 0)
                return v2c_error_set_kind(err, V2C_ERR_INPUT, EINVAL, "malformed report: bad `warnings`");
        *out = TAKE_PTR(r);
        return 0;
}

/* People's view.  Everything shown comes from the guest: control bytes
 * (terminal escapes) are shown as '?', bytes that are not UTF-8 as \xNN,
 * and each column has a width limit, cut on a character boundary. */

static char *cell(const char *s, size_t width)
{
        char *e = v2c_utf8_escape(s ? s : "");
        if (e == NULL)
                return NULL;
        for (unsigned char *p = (unsigned char *) e; *p; p++)
                if (*p < 0x20 || *p == 0x7f)
                        *p = '?';
        size_t n = strlen(e);
        if (width && n > width) {
                size_t cut = width > 3 ? width - 3 : width;
                while (cut > 0 && ((unsigned char) e[cut] & 0xc0) == 0x80)
                        cut--;
                strcpy(e + cut, "...");
        }
        return e;
}

static char *ports_text(const struct v2c_service *s)
{
        struct v2c_buf b;
        v2c_buf_init(&b, 4096);
        for (size_t i = 0; i < s->nports; i++)
                v2c_buf_appendf(&b, "%s%u%s", i ? "," : "", s->ports[i].port,
                                strcmp(s->ports[i].proto, "udp") == 0 ? "/udp" : "");
        if (b.len == 0)
                v2c_buf_appends(&b, "-");
        return v2c_buf_steal(&b);
}

static char *command_text(const struct v2c_service *s)
{
        struct v2c_buf b;
        v2c_buf_init(&b, 4096);
        /* A cron line is only meaningful whole ("cd / && run-parts ..."). */
        bool whole_line = strcmp(s->kind, "cron") == 0 && s->description;
        if (whole_line)
                v2c_buf_appends(&b, s->description);
        for (size_t i = 0; !whole_line && s->argv && s->argv[i]; i++)
                if (v2c_buf_appendf(&b, "%s%s", i ? " " : "", s->argv[i]) < 0)
                        break;
        if (b.len == 0)
                v2c_buf_appends(&b, s->exec_path ? s->exec_path : "-");
        _cleanup_free_ char *whole = v2c_buf_steal(&b);
        return whole ? cell(whole, 60) : NULL;
}

/* Connections between services: what must stay together (or be pointed
 * elsewhere) when they move into containers. */
static void links_text(struct v2c_buf *b, const struct v2c_report *r)
{
        size_t n = 0;
        for (size_t i = 0; i < r->nservices; i++)
                n += r->services[i].nlinks;
        if (n == 0)
                return;
        v2c_buf_appendf(b, "\nConnections between services (on the guest itself; keep them together):\n");
        for (size_t i = 0; i < r->nservices; i++) {
                const struct v2c_service *s = &r->services[i];
                for (size_t k = 0; k < s->nlinks; k++) {
                        const struct v2c_link *l = &s->links[k];
                        _cleanup_free_ char *from = cell(s->name, 30), *to = cell(l->service, 30);
                        _cleanup_free_ char *at = cell(l->socket ? l->socket : l->address, 60);
                        _cleanup_free_ char *found = cell(l->found, 0), *via = cell(l->via, 40);
                        if (l->socket)
                                v2c_buf_appendf(b, "  %-20s -> %-20s %s  (%s, %s)\n", from ? from : "?", to ? to : "?",
                                                at ? at : "?", via ? via : "?", found ? found : "?");
                        else
                                v2c_buf_appendf(b, "  %-20s -> %-20s %s:%u  (%s, %s)\n", from ? from : "?",
                                                to ? to : "?", at ? at : "?", l->port, via ? via : "?",
                                                found ? found : "?");
                }
        }
}

#define W_NAME 40
#define W_KIND 8
#define W_PORTS 24
#define W_USER 24

char *v2c_report_to_text(const struct v2c_report *r)
{
        struct v2c_buf b;
        v2c_buf_init(&b, 64u << 20);
        size_t wname = 4, wkind = 4, wclass = 5, wports = 5, wuser = 4;
        size_t n = r->nservices;
        char **name = calloc(n + 1, sizeof *name), **kind = calloc(n + 1, sizeof *kind);
        char **ports = calloc(n + 1, sizeof *ports), **user = calloc(n + 1, sizeof *user);
        char **cmd = calloc(n + 1, sizeof *cmd);
        if (name == NULL || kind == NULL || ports == NULL || user == NULL || cmd == NULL)
                goto out;
        for (size_t i = 0; i < n; i++) {
                const struct v2c_service *s = &r->services[i];
                _cleanup_free_ char *p = ports_text(s);
                name[i] = cell(s->name, W_NAME);
                kind[i] = cell(s->kind, W_KIND);
                ports[i] = cell(p, W_PORTS);
                user[i] = cell(s->dynamic_user ? "(dynamic)" : s->user ? s->user : "root", W_USER);
                cmd[i] = command_text(s);
                if (!name[i] || !kind[i] || !ports[i] || !user[i] || !cmd[i])
                        goto out;
                if (strlen(name[i]) > wname) wname = strlen(name[i]);
                if (strlen(kind[i]) > wkind) wkind = strlen(kind[i]);
                if (strlen(ports[i]) > wports) wports = strlen(ports[i]);
                if (strlen(user[i]) > wuser) wuser = strlen(user[i]);
        }
        {
                _cleanup_free_ char *pretty = cell(r->os.pretty_name ? r->os.pretty_name : "unknown", 80);
                _cleanup_free_ char *distro = cell(r->os.distro ? r->os.distro : "?", 40);
                _cleanup_free_ char *version = cell(r->os.version ? r->os.version : "?", 40);
                _cleanup_free_ char *arch = cell(r->os.arch ? r->os.arch : "?", 20);
                _cleanup_free_ char *host = cell(r->os.hostname ? r->os.hostname : "-", 80);
                v2c_buf_appendf(&b, "OS:       %s (%s %s, %s)\n", pretty, distro, version, arch);
                v2c_buf_appendf(&b, "Hostname: %s\n", host);
        }
        for (size_t i = 0; i < r->n_source_files; i++) {
                _cleanup_free_ char *path = cell(r->source_files[i].path, 0);
                _cleanup_free_ char *fmt = cell(r->source_files[i].format, 20);
                _cleanup_free_ char *role = cell(r->source_files[i].role, 20);
                v2c_buf_appendf(&b, "%s %s (%s, %s)\n", i ? "         " : "Files:   ", path, fmt, role);
        }
        v2c_buf_appendf(&b, "Packages: %zu (%s)    Init: %s\n\n", r->os.packages,
                        r->os.package_format ? r->os.package_format : "none", r->os.init ? r->os.init : "unknown");
        v2c_buf_appendf(&b, "%-*s  %-*s  %-*s  %-*s  %-*s  %s\n", (int) wname, "NAME", (int) wkind, "KIND",
                        (int) wclass + 4, "CLASS", (int) wports, "PORTS", (int) wuser, "USER", "COMMAND");
        size_t counts[4] = { 0 };
        for (size_t i = 0; i < n; i++) {
                const struct v2c_service *s = &r->services[i];
                counts[s->klass]++;
                v2c_buf_appendf(&b, "%-*s  %-*s  %-*s  %-*s  %-*s  %s\n", (int) wname, name[i], (int) wkind, kind[i],
                                (int) wclass + 4, v2c_service_class_name(s->klass), (int) wports, ports[i], (int) wuser,
                                user[i], cmd[i]);
        }
        v2c_buf_appendf(&b, "\n%zu services: %zu stateless, %zu stateful, %zu system", r->nservices,
                        counts[V2C_CLASS_STATELESS], counts[V2C_CLASS_STATEFUL], counts[V2C_CLASS_SYSTEM]);
        /* Said only when there are some, so that the line reads as before otherwise. */
        if (counts[V2C_CLASS_REVIEW])
                v2c_buf_appendf(&b, ", %zu review", counts[V2C_CLASS_REVIEW]);
        v2c_buf_appendf(&b, "\n");
        size_t ncaps = 0;
        for (size_t i = 0; i < r->nservices; i++)
                ncaps += r->services[i].capabilities && r->services[i].capabilities[0];
        if (ncaps)
                v2c_buf_appendf(&b, "\nFile capabilities of executables (the container must allow them):\n");
        for (size_t i = 0; ncaps && i < r->nservices; i++) {
                const struct v2c_service *s = &r->services[i];
                if (s->capabilities == NULL || s->capabilities[0] == NULL)
                        continue;
                _cleanup_free_ char *sn = cell(s->name, 20), *sp = cell(s->exec_path, 0);
                v2c_buf_appendf(&b, "  %-20s %s ", sn ? sn : "?", sp ? sp : "?");
                for (size_t k = 0; s->capabilities[k]; k++) {
                        _cleanup_free_ char *cap = cell(s->capabilities[k], 0);
                        v2c_buf_appendf(&b, "%s%s", k ? "," : " ", cap ? cap : "?");
                }
                v2c_buf_appendf(&b, "\n");
        }
        links_text(&b, r);
        if (r->nsecrets) {
                v2c_buf_appendf(&b, "\n%zu secrets (kept out of images):\n", r->nsecrets);
                for (size_t i = 0; i < r->nsecrets; i++) {
                        _cleanup_free_ char *k = cell(r->secrets[i].kind, 20), *p = cell(r->secrets[i].path, 0);
                        v2c_buf_appendf(&b, "  %-20s %s\n", k ? k : "?", p ? p : "?");
                }
        }
        for (size_t i = 0; r->warnings && r->warnings[i]; i++) {
                _cleanup_free_ char *w = cell(r->warnings[i], 0);
                v2c_buf_appendf(&b, "%swarning: %s\n", i ? "" : "\n", w ? w : "?");
        }
out:
        for (size_t i = 0; i < n; i++) {
                if (name) free(name[i]);
                if (kind) free(kind[i]);
                if (ports) free(ports[i]);
                if (user) free(user[i]);
                if (cmd) free(cmd[i]);
        }
        free(name);
        free(kind);
        free(ports);
        free(user);
        free(cmd);
        return v2c_buf_steal(&b);
}
