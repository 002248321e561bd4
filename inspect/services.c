/* Finding the services a guest starts: systemd units reachable from the
 * default target (with drop-ins and /etc overrides applied), socket and
 * timer units with what they trigger, SysV scripts enabled in runlevels 2-5
 * that no native unit replaces, and cron jobs. */
#include "inspect-internal.h"
#include "cleanup.h"
#include "path.h"
#include "strv.h"
#include "ports-internal.h"
#include "unit-internal.h"

#include <stddef.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* Past INSPECT_MAX_SERVICES, the rest is not reported (with a warning)
 * rather than the whole inspection failing. */
static int too_many(struct inspect_ctx *c)
{
        inspect_warn(c, "more than %d services: the rest are not reported", INSPECT_MAX_SERVICES);
        return 0;
}

static void unit_freep(struct v2c_unit **u)
{
        v2c_unit_free(*u);
}

/* systemd's unit search path, most important first. */
static const char *const unit_dirs[] = {
        "/etc/systemd/system",
        "/usr/local/lib/systemd/system",
        "/lib/systemd/system",
        "/usr/lib/systemd/system",
};

/* Targets every default target pulls in on a real system, so a trimmed or
 * unusual target chain still finds the sockets and timers. */
static const char *const implicit_targets[] = {
        "sysinit.target", "basic.target", "sockets.target", "timers.target", "paths.target", "getty.target",
};

static bool has_suffix(const char *s, const char *suffix)
{
        size_t n = strlen(s), m = strlen(suffix);
        return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* For "foo@bar.service" the template "foo@.service"; new or NULL. */
static char *template_of(const char *name)
{
        const char *at = strchr(name, '@');
        const char *dot = strrchr(name, '.');
        if (at == NULL || dot == NULL || dot < at || dot == at + 1)
                return NULL;
        char *t = NULL;
        if (asprintf(&t, "%.*s%s", (int) (at - name + 1), name, dot) < 0)
                return NULL;
        return t;
}

/* Finds the file defining unit NAME: the first unit directory holding it
 * (or its template).  *path is new; *masked when it is a link to /dev/null. */
static int find_unit(struct inspect_ctx *c, const char *name, char **path, bool *masked)
{
        _cleanup_free_ char *tmpl = template_of(name);
        *masked = false;
        for (int pass = 0; pass < 2; pass++) {
                const char *n = pass == 0 ? name : tmpl;
                if (n == NULL)
                        break;
                for (size_t i = 0; i < V2C_ARRAY_SIZE(unit_dirs); i++) {
                        _cleanup_free_ char *p = NULL;
                        if (asprintf(&p, "%s/%s", unit_dirs[i], n) < 0)
                                return -ENOMEM;
                        struct v2c_stat st;
                        if (v2c_guest_lstat(c->g, p, &st, NULL) < 0)
                                continue;
                        if (st.type == V2C_FT_LNK) {
                                _cleanup_free_ char *t = NULL;
                                if (v2c_guest_readlink(c->g, p, &t, NULL) == 0 && strcmp(t, "/dev/null") == 0) {
                                        *masked = true;
                                        return -ENOENT;
                                }
                        }
                        if (!v2c_guest_exists(c->g, p, V2C_FT_REG))
                                continue;
                        *path = TAKE_PTR(p);
                        return 0;
                }
        }
        return -ENOENT;
}

struct dropin {
        char *name;
        char *path;
};

static int cmp_dropin(const void *a, const void *b)
{
        return strcmp(((const struct dropin *) a)->name, ((const struct dropin *) b)->name);
}

/* Loads unit NAME from PATH with its drop-ins (NAME.d/ and, for instances,
 * the template's TEMPLATE.d/), the first directory in the search path
 * winning for drop-ins of the same file name.  *u is new. */
static int load_unit(struct inspect_ctx *c, const char *name, const char *path, struct v2c_unit **u,
                     struct v2c_error **err)
{
        _cleanup_free_ char *data = NULL;
        size_t len = 0;
        int r = inspect_read(c, path, INSPECT_MAX_FILE, &data, &len);
        if (r < 0)
                return v2c_error_set(err, -r, "cannot read %s", path);

        struct dropin *d = NULL;
        size_t nd = 0;
        _cleanup_free_ char *tmpl = template_of(name);
        /* systemd's precedence for a drop-in file name: directory by
         * directory, and in each the instance's before the template's. */
        const char *names[2] = { name, tmpl };
        for (size_t i = 0; i < V2C_ARRAY_SIZE(unit_dirs); i++) {
                for (size_t k = 0; k < 2; k++) {
                        if (names[k] == NULL)
                                continue;
                        _cleanup_free_ char *dir = NULL;
                        if (asprintf(&dir, "%s/%s.d", unit_dirs[i], names[k]) < 0)
                                goto oom;
                        struct v2c_dirent *ents = NULL;
                        size_t n = 0;
                        if (v2c_guest_list(c->g, dir, &ents, &n, NULL) < 0)
                                continue;
                        for (size_t j = 0; j < n && nd < 256; j++) {
                                if (!has_suffix(ents[j].name, ".conf"))
                                        continue;
                                bool seen = false;
                                for (size_t x = 0; x < nd; x++)
                                        if (strcmp(d[x].name, ents[j].name) == 0)
                                                seen = true;
                                if (seen)
                                        continue;
                                struct dropin *nd2 = realloc(d, (nd + 1) * sizeof *d);
                                if (nd2 == NULL) {
                                        v2c_dirents_free(ents, n);
                                        goto oom;
                                }
                                d = nd2;
                                d[nd].name = strdup(ents[j].name);
                                if (asprintf(&d[nd].path, "%s/%s", dir, ents[j].name) < 0)
                                        d[nd].path = NULL;
                                nd++;
                        }
                        v2c_dirents_free(ents, n);
                }
        }
        if (nd)
                qsort(d, nd, sizeof *d, cmp_dropin);

        struct v2c_unit_file main = { path, data, len };
        struct v2c_unit_file *files = calloc(nd + 1, sizeof *files);
        char **contents = calloc(nd + 1, sizeof *contents);
        if (files == NULL || contents == NULL) {
                free(files);
                free(contents);
                goto oom;
        }
        size_t nf = 0;
        for (size_t i = 0; i < nd; i++) {
                size_t l = 0;
                if (d[i].path && inspect_read(c, d[i].path, INSPECT_MAX_FILE, &contents[nf], &l) == 0 && contents[nf]) {
                        files[nf].name = d[i].path;
                        files[nf].data = contents[nf];
                        files[nf].len = l;
                        nf++;
                }
        }
        r = v2c_unit_load(&main, files, nf, u, err);
        for (size_t i = 0; i < nf; i++)
                free(contents[i]);
        free(contents);
        free(files);
        for (size_t i = 0; i < nd; i++) {
                free(d[i].name);
                free(d[i].path);
        }
        free(d);
        return r;
oom:
        for (size_t i = 0; i < nd; i++) {
                free(d[i].name);
                free(d[i].path);
        }
        free(d);
        return v2c_error_set(err, ENOMEM, "out of memory");
}

/* Unit names listed in NAME.wants/ and NAME.requires/ of every unit dir. */
static int wants_dirs(struct inspect_ctx *c, const char *name, char ***out)
{
        static const char *const kinds[] = { "wants", "requires" };
        for (size_t i = 0; i < V2C_ARRAY_SIZE(unit_dirs); i++)
                for (size_t k = 0; k < 2; k++) {
                        _cleanup_free_ char *dir = NULL;
                        if (asprintf(&dir, "%s/%s.%s", unit_dirs[i], name, kinds[k]) < 0)
                                return -ENOMEM;
                        struct v2c_dirent *ents = NULL;
                        size_t n = 0;
                        if (v2c_guest_list(c->g, dir, &ents, &n, NULL) < 0)
                                continue;
                        for (size_t j = 0; j < n; j++)
                                v2c_strv_push_unique(out, ents[j].name);
                        v2c_dirents_free(ents, n);
                }
        return 0;
}

static char *default_target(struct inspect_ctx *c)
{
        static const char *const places[] = { "/etc/systemd/system/default.target", "/lib/systemd/system/default.target",
                                              "/usr/lib/systemd/system/default.target" };
        for (size_t i = 0; i < V2C_ARRAY_SIZE(places); i++) {
                _cleanup_free_ char *t = NULL;
                if (v2c_guest_readlink(c->g, places[i], &t, NULL) == 0)
                        return strdup(v2c_path_basename(t));
        }
        return strdup("multi-user.target");
}

static char *strip_dash(const char *s)
{
        while (*s == '-' || *s == '+' || *s == '!' || *s == ':')
                s++;
        return strdup(s);
}

static int push_dirs(char ***dst, char *const *vals, const char *base)
{
        for (size_t i = 0; vals && vals[i]; i++) {
                /* StateDirectory=foo:bar keeps "foo" as the source directory. */
                _cleanup_free_ char *v = strndup(vals[i], strcspn(vals[i], ":"));
                _cleanup_free_ char *p = NULL;
                if (v == NULL || v2c_path_normalize(base, v, &p) < 0)
                        return -ENOMEM;
                if (v2c_strv_push_unique(dst, p) < 0)
                        return -ENOMEM;
        }
        return 0;
}

/* Sets NAME=VALUE in *ENV, replacing an earlier setting of NAME in place. */
static void env_set(char ***env, const char *kv)
{
        size_t n = strcspn(kv, "=");
        for (size_t i = 0; *env && (*env)[i]; i++)
                if (strncmp((*env)[i], kv, n) == 0 && (*env)[i][n] == '=') {
                        char *d = strdup(kv);
                        if (d) {
                                free((*env)[i]);
                                (*env)[i] = d;
                        }
                        return;
                }
        v2c_strv_push(env, kv);
}

/* Reads EnvironmentFile= files' assignments into *ENV, in order. */
static void read_env_files(struct inspect_ctx *c, char *const *files, char ***env)
{
        for (size_t i = 0; files && files[i]; i++) {
                _cleanup_free_ char *data = NULL;
                size_t len;
                if (inspect_read(c, files[i], INSPECT_MAX_FILE, &data, &len) < 0 || data == NULL)
                        continue;
                _cleanup_strv_ char **vars = NULL;
                size_t bad = 0;
                if (v2c_envfile_parse(data, len, &vars, &bad, NULL) < 0)
                        continue;
                for (size_t k = 0; vars && vars[k]; k++)
                        v2c_strv_push(env, vars[k]);
        }
}

static int fill_from_service_unit(struct inspect_ctx *c, struct v2c_service *s, const char *unit_name,
                                  const char *path, struct v2c_error **err)
{
        __attribute__((cleanup(unit_freep))) struct v2c_unit *u = NULL;
        int r = load_unit(c, unit_name, path, &u, err);
        if (r < 0)
                return r;
        free(s->unit_path);
        s->unit_path = strdup(path);
        const char *v;
#define SET(field, key)                                                 \
        do {                                                            \
                v = v2c_unit_get(u, "Service", key);                    \
                if (v && *v) {                                          \
                        free(s->field);                                 \
                        s->field = strdup(v);                           \
                }                                                       \
        } while (0)
        SET(type, "Type");
        SET(user, "User");
        SET(group, "Group");
        SET(pid_file, "PIDFile");
        SET(kill_signal, "KillSignal");
        SET(working_dir, "WorkingDirectory");
#undef SET
        v = v2c_unit_get(u, "Unit", "Description");
        if (v && s->description == NULL)
                s->description = strdup(v);
        if (s->type == NULL)
                s->type = strdup(v2c_unit_get(u, "Service", "BusName") ? "dbus" : "simple");
        v = v2c_unit_get(u, "Service", "DynamicUser");
        s->dynamic_user = v && (strcmp(v, "yes") == 0 || strcmp(v, "true") == 0 || strcmp(v, "1") == 0 || strcmp(v, "on") == 0);
        if (s->working_dir && s->working_dir[0] == '-') {
                char *w = strip_dash(s->working_dir);
                free(s->working_dir);
                s->working_dir = w;
        }

        _cleanup_strv_ char **envs = NULL, **envfiles = NULL;
        v2c_unit_get_list(u, "Service", "Environment", &envs, NULL);
        v2c_unit_get_list(u, "Service", "EnvironmentFile", &envfiles, NULL);
        for (size_t i = 0; envfiles && envfiles[i]; i++) {
                char *f = strip_dash(envfiles[i]);
                if (f)
                        v2c_strv_consume(&s->environment_files, f);
        }
        /* The service's environment as systemd builds it: Environment=,
         * then the EnvironmentFile= files, whose settings win. */
        _cleanup_strv_ char **filevars = NULL;
        read_env_files(c, s->environment_files, &filevars);
        for (size_t i = 0; envs && envs[i]; i++)
                env_set(&s->environment, envs[i]);
        for (size_t i = 0; filevars && filevars[i]; i++)
                env_set(&s->environment, filevars[i]);

        static const struct { const char *key, *base; size_t off; } dirs[] = {
                { "StateDirectory", "/var/lib", offsetof(struct v2c_service, state_dirs) },
                { "CacheDirectory", "/var/cache", offsetof(struct v2c_service, cache_dirs) },
                { "LogsDirectory", "/var/log", offsetof(struct v2c_service, logs_dirs) },
                { "RuntimeDirectory", "/run", offsetof(struct v2c_service, runtime_dirs) },
        };
        for (size_t i = 0; i < V2C_ARRAY_SIZE(dirs); i++) {
                _cleanup_strv_ char **vals = NULL;
                v2c_unit_get_list(u, "Service", dirs[i].key, &vals, NULL);
                push_dirs((char ***) ((char *) s + dirs[i].off), vals, dirs[i].base);
        }
        /* What inspect/harden.c carries over into the container, every
         * assignment as written (capability sets add up, "" resets). */
        static const char *const sandbox_keys[] = {
                "NoNewPrivileges", "CapabilityBoundingSet", "AmbientCapabilities", "PrivateTmp",
                "ProtectSystem", "ProtectHome", "SystemCallFilter", "MemoryMax", "MemoryLimit", "CPUQuota",
                "LimitNOFILE",
        };
        v2c_strv_free(s->unit_sandbox);
        s->unit_sandbox = NULL;
        for (size_t i = 0; i < V2C_ARRAY_SIZE(sandbox_keys); i++) {
                char *const *vals = v2c_unit_get_values(u, "Service", sandbox_keys[i]);
                for (size_t k = 0; vals && vals[k]; k++) {
                        _cleanup_free_ char *line = NULL;
                        if (asprintf(&line, "%s=%s", sandbox_keys[i], vals[k]) < 0)
                                return v2c_error_set(err, ENOMEM, "out of memory");
                        if (v2c_strv_push(&s->unit_sandbox, line) < 0)
                                return v2c_error_set(err, ENOMEM, "out of memory");
                }
        }
        _cleanup_strv_ char **rw = NULL;
        v2c_unit_get_list(u, "Service", "ReadWritePaths", &rw, NULL);
        for (size_t i = 0; rw && rw[i]; i++) {
                _cleanup_free_ char *p = strip_dash(rw[i]);
                if (p && p[0] == '/')
                        v2c_strv_push_unique(&s->rw_paths, p);
        }

        char home[512];
        struct v2c_unit_context ctx = {
                .unit_name = unit_name,
                .hostname = c->rep->os.hostname,
                .user = s->dynamic_user ? NULL : s->user,
                .home = inspect_user_home(c, s->user ? s->user : "root", home, sizeof home),
                .environment = s->environment,
        };
        struct v2c_exec **execs = NULL;
        size_t bad = 0;
        r = v2c_unit_get_exec(u, "Service", "ExecStart", &ctx, &execs, &bad, NULL);
        if (r >= 0 && execs && execs[0]) {
                size_t n = 0;
                while (execs[n])
                        n++;
                /* A oneshot may list several; the last is the main job
                 * everywhere else (systemd allows only one there). */
                struct v2c_exec *e = execs[n - 1];
                s->exec_path = e->path ? strdup(e->path) : NULL;
                s->argv = v2c_strv_copy(e->argv);
                for (size_t i = 0; e->unresolved && e->unresolved[i]; i++)
                        inspect_warn(c, "%s: `%s` in ExecStart could not be resolved", unit_name, e->unresolved[i]);
        } else
                inspect_warn(c, "%s: no usable ExecStart", unit_name);
        v2c_exec_list_free(execs);
        return 0;
}

/* The service a socket or timer activates: Service=/Unit=, else the same
 * name (NAME@.service for Accept=yes sockets). */
static char *activated_service(const struct v2c_unit *u, const char *name, const char *section, const char *key)
{
        const char *v = v2c_unit_get(u, section, key);
        if (v && *v)
                return strdup(v);
        const char *dot = strrchr(name, '.');
        size_t base = dot ? (size_t) (dot - name) : strlen(name);
        const char *accept = strcmp(section, "Socket") == 0 ? v2c_unit_get(u, "Socket", "Accept") : NULL;
        bool templ = accept && (strcmp(accept, "yes") == 0 || strcmp(accept, "true") == 0 || strcmp(accept, "1") == 0);
        char *s = NULL;
        if (asprintf(&s, "%.*s%s.service", (int) base, name, templ ? "@" : "") < 0)
                return NULL;
        return s;
}

static char *unit_base(const char *name)
{
        const char *dot = strrchr(name, '.');
        return strndup(name, dot ? (size_t) (dot - name) : strlen(name));
}

static struct v2c_service *find_service(struct inspect_ctx *c, const char *name)
{
        for (size_t i = 0; i < c->nsvc; i++)
                if (strcmp(c->svc[i].name, name) == 0)
                        return &c->svc[i];
        return NULL;
}

/* WARN_MISSING: the unit was named by an enablement link, so its absence
 * is worth a warning; a Wants= of a unit that is not installed is normal
 * (graphical.target wants display-manager.service on servers too). */
static int add_service_unit(struct inspect_ctx *c, const char *unit, bool enabled, bool warn_missing,
                            struct v2c_error **err)
{
        _cleanup_free_ char *base = unit_base(unit);
        if (base == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        if (find_service(c, base))
                return 0;
        _cleanup_free_ char *path = NULL;
        bool masked;
        if (find_unit(c, unit, &path, &masked) < 0) {
                if (!masked && warn_missing)
                        inspect_warn(c, "%s is enabled but its unit file is missing", unit);
                return 0;
        }
        struct v2c_service *s = inspect_new_service(c, base, "systemd");
        if (s == NULL)
                return too_many(c);
        s->enabled = enabled;
        struct v2c_error *e = NULL;
        if (fill_from_service_unit(c, s, unit, path, &e) < 0) {
                inspect_warn(c, "%s: %s", unit, e ? e->msg : "unreadable");
                v2c_error_free(e);
                /* Convert says why it skips it: the unit is named. */
                if (s->unit_path == NULL)
                        s->unit_path = strdup(path);
        }
        return 0;
}

static int add_socket_unit(struct inspect_ctx *c, const char *unit, const char *path, const struct v2c_unit *u,
                           bool enabled, struct v2c_error **err)
{
        _cleanup_free_ char *svc_unit = activated_service(u, unit, "Socket", "Service");
        _cleanup_free_ char *svc_path = NULL;
        bool masked;
        if (svc_unit == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        /* An Accept=yes socket starts instances of a template: name the
         * service after the socket. */
        _cleanup_free_ char *name = unit_base(has_suffix(svc_unit, "@.service") ? unit : svc_unit);
        if (name == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        struct v2c_service *s = find_service(c, name);
        if (s == NULL) {
                if (find_unit(c, svc_unit, &svc_path, &masked) < 0) {
                        inspect_warn(c, "%s activates %s, which is missing", unit, svc_unit);
                        return 0;
                }
                s = inspect_new_service(c, name, "systemd");
                if (s == NULL)
                        return too_many(c);
                s->enabled = enabled;
                struct v2c_error *e = NULL;
                if (fill_from_service_unit(c, s, svc_unit, svc_path, &e) < 0) {
                        inspect_warn(c, "%s: %s", svc_unit, e ? e->msg : "unreadable");
                        v2c_error_free(e);
                }
        }
        /* Ports are read in analyze.c from the socket unit named here. */
        _cleanup_strv_ char **listen = NULL, **dgram = NULL;
        v2c_unit_get_list(u, "Socket", "ListenStream", &listen, NULL);
        v2c_unit_get_list(u, "Socket", "ListenDatagram", &dgram, NULL);
        struct v2c_ports ports;
        v2c_ports_init(&ports);
        _cleanup_free_ char *src = NULL;
        if (asprintf(&src, "socket:%s", unit) < 0)
                return v2c_error_set(err, ENOMEM, "out of memory");
        for (size_t i = 0; listen && listen[i]; i++)
                v2c_ports_from_socket_value("ListenStream", listen[i], src, &ports, NULL);
        for (size_t i = 0; dgram && dgram[i]; i++)
                v2c_ports_from_socket_value("ListenDatagram", dgram[i], src, &ports, NULL);
        for (size_t i = 0; i < ports.n; i++) {
                struct v2c_port *np = realloc(s->ports, (s->nports + 1) * sizeof *np);
                if (np == NULL)
                        break;
                s->ports = np;
                s->ports[s->nports].port = ports.items[i].port;
                snprintf(s->ports[s->nports].proto, sizeof s->ports[s->nports].proto, "%s", ports.items[i].proto);
                s->ports[s->nports].source = strdup(src);
                s->nports++;
        }
        v2c_ports_release(&ports);
        (void) path;
        return 0;
}

static int add_timer_unit(struct inspect_ctx *c, const char *unit, const char *path, const struct v2c_unit *u,
                          bool enabled, struct v2c_error **err)
{
        _cleanup_free_ char *svc_unit = activated_service(u, unit, "Timer", "Unit");
        _cleanup_free_ char *name = unit_base(unit);
        if (svc_unit == NULL || name == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        if (find_service(c, name))
                return 0;
        struct v2c_service *s = inspect_new_service(c, name, "timer");
        if (s == NULL)
                return too_many(c);
        s->enabled = enabled;
        s->triggers = unit_base(svc_unit);
        /* Schedule: every OnCalendar= and On*Sec= setting, in a fixed order. */
        static const char *const keys[] = { "OnCalendar", "OnBootSec", "OnStartupSec", "OnActiveSec",
                                            "OnUnitActiveSec", "OnUnitInactiveSec" };
        char sched[1024] = "";
        for (size_t k = 0; k < V2C_ARRAY_SIZE(keys); k++) {
                _cleanup_strv_ char **vals = NULL;
                v2c_unit_get_list(u, "Timer", keys[k], &vals, NULL);
                for (size_t i = 0; vals && vals[i]; i++) {
                        size_t used = strlen(sched);
                        snprintf(sched + used, sizeof sched - used, "%s%s=%s", used ? "; " : "", keys[k], vals[i]);
                }
        }
        if (sched[0])
                s->schedule = strdup(sched);
        _cleanup_free_ char *svc_path = NULL;
        bool masked;
        if (find_unit(c, svc_unit, &svc_path, &masked) < 0) {
                inspect_warn(c, "%s triggers %s, which is missing", unit, svc_unit);
                return 0;
        }
        struct v2c_error *e = NULL;
        if (fill_from_service_unit(c, s, svc_unit, svc_path, &e) < 0) {
                inspect_warn(c, "%s: %s", svc_unit, e ? e->msg : "unreadable");
                v2c_error_free(e);
        }
        /* The unit path reported is the timer's; the service's comes along
         * in the description. */
        free(s->unit_path);
        s->unit_path = strdup(path);
        return 0;
}

/* Debian's postgresql.service is a oneshot wrapper; at boot a systemd
 * generator turns every cluster whose start.conf says "auto" into a
 * postgresql@VERSION-CLUSTER instance.  Offline, v2c does the generator's
 * work.  Returns the number of instances added. */
static int postgresql_instances(struct inspect_ctx *c, struct v2c_error **err)
{
        struct v2c_dirent *vers = NULL;
        size_t nv = 0;
        int added = 0;
        if (v2c_guest_list(c->g, "/etc/postgresql", &vers, &nv, NULL) < 0)
                return 0;
        for (size_t i = 0; i < nv && added >= 0; i++) {
                if (vers[i].st.type != V2C_FT_DIR)
                        continue;
                _cleanup_free_ char *vdir = NULL;
                if (asprintf(&vdir, "/etc/postgresql/%s", vers[i].name) < 0)
                        break;
                struct v2c_dirent *clus = NULL;
                size_t nc = 0;
                if (v2c_guest_list(c->g, vdir, &clus, &nc, NULL) < 0)
                        continue;
                for (size_t k = 0; k < nc; k++) {
                        if (clus[k].st.type != V2C_FT_DIR)
                                continue;
                        _cleanup_free_ char *start = NULL, *data = NULL, *unit = NULL;
                        size_t len;
                        if (asprintf(&start, "%s/%s/start.conf", vdir, clus[k].name) < 0 ||
                            asprintf(&unit, "postgresql@%s-%s.service", vers[i].name, clus[k].name) < 0)
                                break;
                        /* No start.conf means "auto", as in pg_ctlcluster. */
                        bool autostart = true;
                        if (inspect_read(c, start, 4096, &data, &len) == 0 && data) {
                                for (char *l = data; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
                                        l += strspn(l, " \t");
                                        if (*l == '#' || *l == '\n' || *l == '\0')
                                                continue;
                                        autostart = strncmp(l, "auto", 4) == 0;
                                        break;
                                }
                        }
                        if (!autostart)
                                continue;
                        if (add_service_unit(c, unit, true, true, err) < 0) {
                                added = -1;
                                break;
                        }
                        added++;
                }
                v2c_dirents_free(clus, nc);
        }
        v2c_dirents_free(vers, nv);
        return added;
}

/* Postfix's instances as its systemd generator lists them: "-" (the
 * default one, /etc/postfix), then for each directory of /etc/postfix's
 * multi_instance_directories the multi_instance_name its main.cf gives.
 * *names and *dirs are new strvs of the same length. */
#define POSTFIX_MAX_INSTANCES 64
static int postfix_instances_list(struct inspect_ctx *c, char ***names, char ***dirs)
{
        if (v2c_strv_push(names, "-") < 0 || v2c_strv_push(dirs, "/etc/postfix") < 0)
                return -ENOMEM;
        _cleanup_free_ char *data = NULL, *list = NULL;
        size_t len;
        if (inspect_read(c, "/etc/postfix/main.cf", INSPECT_MAX_FILE, &data, &len) < 0 || data == NULL ||
            v2c_postfix_main_value(data, len, "multi_instance_directories", &list, NULL) < 0 || list == NULL)
                return 0;
        size_t n = 0;
        for (char *save = NULL, *d = strtok_r(list, " \t,", &save); d && n < POSTFIX_MAX_INSTANCES;
             d = strtok_r(NULL, " \t,", &save), n++) {
                _cleanup_free_ char *main_cf = NULL, *mdata = NULL, *name = NULL;
                size_t mlen;
                if (d[0] != '/' || asprintf(&main_cf, "%s/main.cf", d) < 0)
                        continue;
                if (inspect_read(c, main_cf, INSPECT_MAX_FILE, &mdata, &mlen) < 0 || mdata == NULL ||
                    v2c_postfix_main_value(mdata, mlen, "multi_instance_name", &name, NULL) < 0 ||
                    name == NULL || name[0] == '\0' || strpbrk(name, "/ \t"))
                        continue;
                if (v2c_strv_push(names, name) < 0 || v2c_strv_push(dirs, d) < 0)
                        return -ENOMEM;
        }
        return 0;
}

char *inspect_postfix_instance_dir(struct inspect_ctx *c, const char *inst)
{
        _cleanup_strv_ char **names = NULL, **dirs = NULL;
        if (postfix_instances_list(c, &names, &dirs) < 0)
                return NULL;
        for (size_t i = 0; names && names[i] && dirs[i]; i++)
                if (strcmp(names[i], inst) == 0)
                        return strdup(dirs[i]);
        return NULL;
}

/* Debian's postfix.service is a oneshot running /bin/true; at boot a
 * generator makes postfix.service want postfix@-.service and one
 * postfix@NAME.service per extra instance, which run the mail system.
 * Offline, v2c does the generator's work.  Returns the number of
 * instances added (0 when postfix@.service is not installed). */
static int postfix_instances(struct inspect_ctx *c, struct v2c_error **err)
{
        _cleanup_free_ char *tpath = NULL;
        bool masked;
        if (find_unit(c, "postfix@.service", &tpath, &masked) < 0)
                return 0;
        _cleanup_strv_ char **names = NULL, **dirs = NULL;
        if (postfix_instances_list(c, &names, &dirs) < 0)
                return v2c_error_set(err, ENOMEM, "out of memory");
        int added = 0;
        for (size_t i = 0; names && names[i]; i++) {
                _cleanup_free_ char *unit = NULL;
                if (asprintf(&unit, "postfix@%s.service", names[i]) < 0)
                        return v2c_error_set(err, ENOMEM, "out of memory");
                if (add_service_unit(c, unit, true, true, err) < 0)
                        return -1;
                added++;
        }
        return added;
}

/* postgresql.service and postfix.service only start their instances:
 * once those are listed, the wrapper (a oneshot running /bin/true) is no
 * service of its own. */
static bool wrapper_of_instances(struct inspect_ctx *c, const char *unit)
{
        if (strcmp(unit, "postgresql.service") != 0 && strcmp(unit, "postfix.service") != 0)
                return false;
        size_t n = strlen(unit) - strlen(".service");
        for (size_t i = 0; i < c->nsvc; i++)
                if (strncmp(c->svc[i].name, unit, n) == 0 && c->svc[i].name[n] == '@')
                        return true;
        return false;
}

int inspect_systemd(struct inspect_ctx *c, bool include_disabled, struct v2c_error **err)
{
        bool any_dir = false;
        for (size_t i = 0; i < V2C_ARRAY_SIZE(unit_dirs); i++)
                if (v2c_guest_exists(c->g, unit_dirs[i], V2C_FT_DIR))
                        any_dir = true;
        if (!any_dir)
                return 0;

        /* Breadth-first over Wants/Requires from the default target. */
        _cleanup_strv_ char **queue = NULL, **linked = NULL;
        _cleanup_free_ char *def = default_target(c);
        if (def == NULL || v2c_strv_push(&queue, def) < 0)
                return v2c_error_set(err, ENOMEM, "out of memory");
        for (size_t i = 0; i < V2C_ARRAY_SIZE(implicit_targets); i++)
                v2c_strv_push_unique(&queue, implicit_targets[i]);

        int r = 0;
        for (size_t qi = 0; queue[qi] && qi < INSPECT_MAX_UNITS; qi++) {
                const char *unit = queue[qi];
                _cleanup_strv_ char **next = NULL;
                if (wants_dirs(c, unit, &next) < 0)
                        return v2c_error_set(err, ENOMEM, "out of memory");
                for (size_t i = 0; next && next[i]; i++)
                        v2c_strv_push_unique(&linked, next[i]);
                _cleanup_free_ char *path = NULL;
                bool masked = false;
                __attribute__((cleanup(unit_freep))) struct v2c_unit *u = NULL;
                if (find_unit(c, unit, &path, &masked) == 0 && !has_suffix(unit, ".service")) {
                        struct v2c_error *e = NULL;
                        if (load_unit(c, unit, path, &u, &e) < 0) {
                                inspect_warn(c, "%s: %s", unit, e ? e->msg : "unreadable");
                                v2c_error_free(e);
                        }
                }
                if (u && has_suffix(unit, ".target")) {
                        static const char *const deps[] = { "Wants", "Requires" };
                        for (size_t k = 0; k < 2; k++) {
                                _cleanup_strv_ char **vals = NULL;
                                v2c_unit_get_list(u, "Unit", deps[k], &vals, NULL);
                                for (size_t i = 0; vals && vals[i]; i++)
                                        v2c_strv_push_unique(&next, vals[i]);
                        }
                }
                if (strcmp(unit, "postgresql.service") == 0) {
                        r = postgresql_instances(c, err);
                        if (r == 0)
                                r = add_service_unit(c, unit, true, v2c_strv_contains(linked, unit), err);
                } else if (strcmp(unit, "postfix.service") == 0) {
                        r = postfix_instances(c, err);
                        if (r == 0)
                                r = add_service_unit(c, unit, true, v2c_strv_contains(linked, unit), err);
                } else if (has_suffix(unit, ".service"))
                        r = add_service_unit(c, unit, true, v2c_strv_contains(linked, unit), err);
                else if (u && has_suffix(unit, ".socket"))
                        r = add_socket_unit(c, unit, path, u, true, err);
                else if (u && has_suffix(unit, ".timer"))
                        r = add_timer_unit(c, unit, path, u, true, err);
                if (r < 0)
                        return r;
                r = 0;
                for (size_t i = 0; next && next[i]; i++)
                        if (has_suffix(next[i], ".target") || has_suffix(next[i], ".service") ||
                            has_suffix(next[i], ".socket") || has_suffix(next[i], ".timer"))
                                v2c_strv_push_unique(&queue, next[i]);
        }

        if (!include_disabled)
                return 0;
        /* Installed but not enabled: every other .service with an ExecStart. */
        for (size_t i = 0; i < V2C_ARRAY_SIZE(unit_dirs); i++) {
                struct v2c_dirent *ents = NULL;
                size_t n = 0;
                if (v2c_guest_list(c->g, unit_dirs[i], &ents, &n, NULL) < 0)
                        continue;
                for (size_t j = 0; j < n && r == 0; j++)
                        if (has_suffix(ents[j].name, ".service") && strchr(ents[j].name, '@') == NULL &&
                            ents[j].st.type == V2C_FT_REG && !wrapper_of_instances(c, ents[j].name))
                                r = add_service_unit(c, ents[j].name, false, false, err);
                v2c_dirents_free(ents, n);
        }
        return r;
}

/* SysV */

int inspect_sysv(struct inspect_ctx *c, struct v2c_error **err)
{
        char **rc[7] = { 0 };
        for (int lvl = 0; lvl < 7; lvl++) {
                char dir[32];
                snprintf(dir, sizeof dir, "/etc/rc%d.d", lvl);
                struct v2c_dirent *ents = NULL;
                size_t n = 0;
                /* Red Hat's are in /etc/rc.d, /etc/rcN.d links to them
                 * (which a guest may lack). */
                if (v2c_guest_list(c->g, dir, &ents, &n, NULL) < 0) {
                        snprintf(dir, sizeof dir, "/etc/rc.d/rc%d.d", lvl);
                        if (v2c_guest_list(c->g, dir, &ents, &n, NULL) < 0)
                                continue;
                }
                for (size_t j = 0; j < n; j++)
                        v2c_strv_push(&rc[lvl], ents[j].name);
                v2c_dirents_free(ents, n);
        }
        _cleanup_strv_ char **enabled = NULL;
        int r = v2c_sysv_enabled((char *const *const *) rc, &enabled, NULL);
        for (int lvl = 0; lvl < 7; lvl++)
                v2c_strv_free(rc[lvl]);
        if (r < 0)
                return 0;
        for (size_t i = 0; enabled && enabled[i]; i++) {
                const char *name = enabled[i];
                /* systemd ignores a script when a native unit has its name. */
                _cleanup_free_ char *unit = NULL, *upath = NULL;
                bool masked;
                if (asprintf(&unit, "%s.service", name) < 0)
                        return v2c_error_set(err, ENOMEM, "out of memory");
                if (c->rep->os.init && strcmp(c->rep->os.init, "systemd") == 0 &&
                    (find_unit(c, unit, &upath, &masked) == 0 || masked))
                        continue;
                if (find_service(c, name))
                        continue;
                _cleanup_free_ char *path = NULL, *data = NULL, *defaults = NULL;
                size_t len, dlen;
                if (asprintf(&path, "/etc/init.d/%s", name) < 0)
                        return v2c_error_set(err, ENOMEM, "out of memory");
                if (inspect_read(c, path, INSPECT_MAX_FILE, &data, &len) < 0 || data == NULL) {
                        free(path);
                        if (asprintf(&path, "/etc/rc.d/init.d/%s", name) < 0)
                                return v2c_error_set(err, ENOMEM, "out of memory");
                        if (inspect_read(c, path, INSPECT_MAX_FILE, &data, &len) < 0 || data == NULL)
                                continue;
                }
                /* Debian's /etc/default/NAME; the RHEL family's and SUSE's
                 * /etc/sysconfig/NAME. */
                _cleanup_free_ char *defpath = NULL;
                if (asprintf(&defpath, "/etc/default/%s", name) < 0)
                        return v2c_error_set(err, ENOMEM, "out of memory");
                if (!v2c_guest_exists(c->g, defpath, 0)) {
                        free(defpath);
                        if (asprintf(&defpath, "/etc/sysconfig/%s", name) < 0)
                                return v2c_error_set(err, ENOMEM, "out of memory");
                }
                _cleanup_strv_ char **defvars = NULL;
                if (inspect_read(c, defpath, INSPECT_MAX_FILE, &defaults, &dlen) == 0 && defaults) {
                        size_t bad;
                        v2c_envfile_parse(defaults, dlen, &defvars, &bad, NULL);
                }
                struct v2c_sysv_script *sc = NULL;
                struct v2c_error *e = NULL;
                if (v2c_sysv_parse(data, len, defvars, &sc, &e) < 0) {
                        inspect_warn(c, "%s: %s", path, e ? e->msg : "unreadable");
                        v2c_error_free(e);
                        continue;
                }
                struct v2c_service *s = inspect_new_service(c, name, "sysv");
                if (s == NULL) {
                        v2c_sysv_script_free(sc);
                        return too_many(c);
                }
                s->enabled = true;
                s->unit_path = strdup(path);
                s->type = strdup("forking");
                if (sc->short_description)
                        s->description = strdup(sc->short_description);
                if (sc->pidfile)
                        s->pid_file = strdup(sc->pidfile);
                if (sc->user)
                        s->user = strdup(sc->user);
                if (defpath && defaults)
                        v2c_strv_push(&s->environment_files, defpath);
                if (sc->daemon) {
                        s->exec_path = strdup(sc->daemon);
                        v2c_strv_push(&s->argv, sc->daemon);
                        if (sc->daemon_args) {
                                struct v2c_shell_words w = { 0 };
                                if (v2c_shell_split(sc->daemon_args, strlen(sc->daemon_args), defvars, &w, NULL) == 0) {
                                        for (size_t k = 0; k < w.n; k++)
                                                if (w.words[k].kind == V2C_SHELL_WORD)
                                                        v2c_strv_push(&s->argv, w.words[k].text);
                                        v2c_shell_words_release(&w);
                                }
                        }
                } else
                        inspect_warn(c, "%s: the daemon it starts could not be found", path);
                v2c_sysv_script_free(sc);
        }
        return 0;
}

/* cron */

/* The program a cron command runs when the parser found no absolute path:
 * the first command word after skipping `cd DIR`, `test ...`/`[ ... ]` and
 * grouping, e.g. run-parts in `test -x /usr/sbin/anacron || { cd / &&
 * run-parts --report /etc/cron.daily; }`.  New string or NULL. */
static char *cron_program(const char *command)
{
        struct v2c_shell_words w = { 0 };
        if (v2c_shell_split(command, strlen(command), NULL, &w, NULL) < 0)
                return NULL;
        char *found = NULL;
        bool at_start = true, skipping = false;
        for (size_t i = 0; i < w.n && found == NULL; i++) {
                const struct v2c_shell_word *x = &w.words[i];
                if (x->kind == V2C_SHELL_OPERATOR) {
                        at_start = true;
                        skipping = false;
                        continue;
                }
                if (x->kind != V2C_SHELL_WORD || skipping || !at_start)
                        continue;
                if (x->assignment || strcmp(x->text, "{") == 0 || strcmp(x->text, "}") == 0 ||
                    strcmp(x->text, "(") == 0 || strcmp(x->text, ")") == 0)
                        continue;
                at_start = false;
                if (strcmp(x->text, "cd") == 0 || strcmp(x->text, "test") == 0 || strcmp(x->text, "[") == 0 ||
                    strcmp(x->text, "true") == 0 || strcmp(x->text, "exec") == 0 || strcmp(x->text, "nice") == 0) {
                        /* exec/nice run the next word; the others are guards. */
                        if (strcmp(x->text, "exec") == 0 || strcmp(x->text, "nice") == 0)
                                at_start = true;
                        else
                                skipping = true;
                        continue;
                }
                found = strdup(x->text);
        }
        v2c_shell_words_release(&w);
        return found;
}

static int add_crontab(struct inspect_ctx *c, const char *path, enum v2c_crontab_format fmt, const char *owner,
                       struct v2c_error **err)
{
        _cleanup_free_ char *data = NULL;
        size_t len;
        if (inspect_read(c, path, INSPECT_MAX_FILE, &data, &len) < 0 || data == NULL)
                return 0;
        struct v2c_crontab *tab = NULL;
        struct v2c_error *e = NULL;
        if (v2c_crontab_parse(data, len, fmt, owner, &tab, &e) < 0) {
                inspect_warn(c, "%s: %s", path, e ? e->msg : "unreadable");
                v2c_error_free(e);
                return 0;
        }
        for (size_t i = 0; i < tab->n_jobs; i++) {
                const struct v2c_cron_job *j = &tab->jobs[i];
                char name[512];
                /* Named after the crontab and the line: stable across runs. */
                if (fmt == V2C_CRONTAB_USER)
                        snprintf(name, sizeof name, "cron:%s:%u", owner ? owner : "?", j->line);
                else
                        snprintf(name, sizeof name, "cron:%s:%u", v2c_path_basename(path), j->line);
                struct v2c_service *s = inspect_new_service(c, name, "cron");
                if (s == NULL) {
                        v2c_crontab_free(tab);
                        return too_many(c);
                }
                s->enabled = true;
                s->unit_path = strdup(path);
                s->schedule = strdup(j->schedule);
                s->user = j->user ? strdup(j->user) : NULL;
                s->description = strdup(j->command);
                if (j->executable)
                        s->exec_path = strdup(j->executable);
                else if (j->command)
                        s->exec_path = cron_program(j->command);
                s->argv = v2c_strv_copy(j->argv);
        }
        v2c_crontab_free(tab);
        return 0;
}

int inspect_cron(struct inspect_ctx *c, struct v2c_error **err)
{
        int r = add_crontab(c, "/etc/crontab", V2C_CRONTAB_SYSTEM, NULL, err);
        struct v2c_dirent *ents = NULL;
        size_t n = 0;
        if (r == 0 && v2c_guest_list(c->g, "/etc/cron.d", &ents, &n, NULL) == 0) {
                for (size_t i = 0; i < n && r == 0; i++) {
                        /* cron skips names with dots and editor leftovers. */
                        if (ents[i].st.type != V2C_FT_REG || strpbrk(ents[i].name, ".~") || ents[i].name[0] == '.')
                                continue;
                        _cleanup_free_ char *p = NULL;
                        if (asprintf(&p, "/etc/cron.d/%s", ents[i].name) < 0)
                                r = v2c_error_set(err, ENOMEM, "out of memory");
                        else
                                r = add_crontab(c, p, V2C_CRONTAB_SYSTEM, NULL, err);
                }
                v2c_dirents_free(ents, n);
        }
        static const char *const spools[] = { "/var/spool/cron/crontabs", "/var/spool/cron" };
        for (size_t k = 0; k < 2 && r == 0; k++) {
                if (v2c_guest_list(c->g, spools[k], &ents, &n, NULL) < 0)
                        continue;
                for (size_t i = 0; i < n && r == 0; i++) {
                        if (ents[i].st.type != V2C_FT_REG || ents[i].name[0] == '.')
                                continue;
                        _cleanup_free_ char *p = NULL;
                        if (asprintf(&p, "%s/%s", spools[k], ents[i].name) < 0)
                                r = v2c_error_set(err, ENOMEM, "out of memory");
                        else
                                r = add_crontab(c, p, V2C_CRONTAB_USER, ents[i].name, err);
                }
                v2c_dirents_free(ents, n);
        }
        return r;
}
