/* The hardened spec of a service; see harden-internal.h. */
#include "harden-internal.h"
#include "caps.h"
#include "cleanup.h"
#include "path.h"
#include "strv.h"

#include <ctype.h>
#include <limits.h>
#include <stdarg.h>
#include <strings.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The capabilities podman, CRI-O and containerd give a container by
 * default (containers.conf default_capabilities): what a root service
 * whose unit says nothing narrower gets, the VM having given it all. */
static const char *const runtime_default_caps[] = {
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_NET_BIND_SERVICE",
        "CAP_SETFCAP", "CAP_SETGID", "CAP_SETPCAP", "CAP_SETUID", "CAP_SYS_CHROOT",
};

/* Where well-known daemons write whatever their unit says: directories
 * compiled in (Debian's builds) or set by the package's own scripts, by
 * the executable's name.  A read-only root must leave them writable. */
static const struct {
        const char *exec;               /* basename, or a prefix ending in '*' */
        const char *paths[4];
        const char *why;
        bool root_writable;             /* it does not start on a read-only root at all */
} daemon_writes[] = {
        { "nginx", { "/var/lib/nginx" }, "nginx's built-in temporary directories (client_body_temp_path and the like)",
          false },
        { "apache2", { "/var/run/apache2", "/var/lock/apache2", "/var/log/apache2" },
          "APACHE_RUN_DIR, APACHE_LOCK_DIR and APACHE_LOG_DIR of /etc/apache2/envvars", false },
        { "apachectl", { "/var/run/apache2", "/var/lock/apache2", "/var/log/apache2" },
          "APACHE_RUN_DIR, APACHE_LOCK_DIR and APACHE_LOG_DIR of /etc/apache2/envvars", false },
        /* The RHEL family's httpd: DefaultRuntimeDir and PidFile in
         * /run/httpd, logs in /var/log/httpd (/etc/httpd/logs links there),
         * mod_cache and mod_ssl's caches in /var/cache/httpd. */
        { "httpd", { "/run/httpd", "/var/log/httpd", "/var/cache/httpd" },
          "httpd's run, log and cache directories (the RHEL family's build)", false },
        { "php-fpm*", { "/run/php", "/run/php-fpm", "/var/log/php-fpm" },
          "php-fpm's pid file, sockets and logs (Debian: /run/php; the RHEL family: /run/php-fpm, /var/log/php-fpm)",
          false },
        { "haproxy", { "/run/haproxy" }, "haproxy's stats and master sockets", false },
        /* Measured with BIND 9.18 (Debian 12): with /var/cache/bind and
         * /run/named writable it still stops at start, "directory
         * '/var/cache/bind' is not writable", on a read-only root. */
        { "named", { "/var/cache/bind", "/run/named" }, "named's built-in working directory and pid file", true },
        { "squid", { "/var/spool/squid", "/run/squid" }, "squid's built-in cache and pid directories", false },
        { "dovecot", { "/run/dovecot" }, "dovecot's built-in base_dir", false },
};

struct capset {
        uint64_t bits;
        bool set;               /* an assignment was read (else the default) */
};

struct derive {
        struct v2c_service *s;
        const char *unit;       /* "nginx.service", for "from" */
        struct v2c_hardening *h;
        /* the "from" of each capability bit, borrowed or owned by froms */
        char *cap_from[64];
};

static const char *unit_label(const struct v2c_service *s)
{
        return s->unit_path ? v2c_path_basename(s->unit_path) : s->name;
}

/* The value of the last KEY= in the unit's sandbox lines, or NULL. */
static const char *last_value(char *const *lines, const char *key)
{
        const char *v = NULL;
        size_t n = strlen(key);
        for (size_t i = 0; lines && lines[i]; i++)
                if (strncmp(lines[i], key, n) == 0 && lines[i][n] == '=')
                        v = lines[i] + n + 1;
        return v;
}

static bool truthy(const char *v)
{
        return v && (strcasecmp(v, "yes") == 0 || strcasecmp(v, "true") == 0 || strcmp(v, "1") == 0 ||
                     strcasecmp(v, "on") == 0);
}

__attribute__((format(printf, 2, 3))) static int note(struct derive *d, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        char *msg = NULL;
        int n = vasprintf(&msg, fmt, ap);
        va_end(ap);
        if (n < 0)
                return -ENOMEM;
        int r = v2c_strv_push_unique(&d->h->notes, msg);
        free(msg);
        return r < 0 ? -ENOMEM : 0;
}

/* Every KEY= assignment of a capability set, added up as systemd does: a
 * list ORs into what is there, "~list" ORs in its complement.  Names the
 * table does not know are noted and skipped. */
static int read_capset(struct derive *d, const char *key, struct capset *out)
{
        size_t n = strlen(key);
        uint64_t all = (UINT64_C(1) << v2c_caps_count()) - 1;
        for (size_t i = 0; d->s->unit_sandbox && d->s->unit_sandbox[i]; i++) {
                const char *line = d->s->unit_sandbox[i];
                if (strncmp(line, key, n) != 0 || line[n] != '=')
                        continue;
                const char *v = line + n + 1;
                if (*v == '\0') {
                        /* "KEY=" puts the default back (the unit parser
                         * already drops what came before; a caller may not) */
                        *out = (struct capset) { 0 };
                        continue;
                }
                bool invert = *v == '~';
                if (invert)
                        v++;
                uint64_t bits = 0;
                while (*v) {
                        size_t len = strcspn(v, " \t");
                        if (len > 0 && len < 64) {
                                char word[64];
                                memcpy(word, v, len);
                                word[len] = '\0';
                                int bit = v2c_caps_bit(word);
                                if (bit >= 0)
                                        bits |= UINT64_C(1) << bit;
                                else if (note(d, "%s: %s= names `%s`, a capability v2c does not know: ignored",
                                              d->unit, key, word) < 0)
                                        return -ENOMEM;
                        }
                        v += len;
                        v += strspn(v, " \t");
                }
                if (invert)
                        bits = ~bits & all;
                out->bits = out->set ? out->bits | bits : bits;
                out->set = true;
        }
        return 0;
}

static int grant(struct v2c_grant **list, size_t *n, const char *what, const char *from)
{
        for (size_t i = 0; i < *n; i++)
                if (strcmp((*list)[i].what, what) == 0)
                        return 0;
        struct v2c_grant *g = realloc(*list, (*n + 1) * sizeof **list);
        if (g == NULL)
                return -ENOMEM;
        *list = g;
        g[*n] = (struct v2c_grant) { .what = strdup(what), .from = strdup(from) };
        if (g[*n].what == NULL || g[*n].from == NULL) {
                free(g[*n].what);
                free(g[*n].from);
                return -ENOMEM;
        }
        (*n)++;
        return 0;
}

static int cmp_grant(const void *a, const void *b)
{
        return strcmp(((const struct v2c_grant *) a)->what, ((const struct v2c_grant *) b)->what);
}

static int derive_user(struct derive *d)
{
        struct v2c_service *s = d->s;
        struct v2c_hardening *h = d->h;
        int n;
        if (s->dynamic_user) {
                /* FNV-1a of the name: the same uid for the same service
                 * on every run and every machine. */
                uint32_t x = 2166136261u;
                for (const char *p = s->name; *p; p++)
                        x = (x ^ (unsigned char) *p) * 16777619u;
                h->dynamic_uid = V2C_DYNAMIC_UID_MIN + x % (V2C_DYNAMIC_UID_MAX - V2C_DYNAMIC_UID_MIN + 1);
                n = asprintf(&h->user_from, "DynamicUser=yes (%s): a fixed unprivileged uid, %u", d->unit,
                             h->dynamic_uid);
        } else if (s->user && strcmp(s->user, "root") != 0 && strcmp(s->user, "0") != 0) {
                if (s->kind && strcmp(s->kind, "systemd") == 0)
                        n = asprintf(&h->user_from, "User=%s (%s)", s->user, d->unit);
                else
                        n = asprintf(&h->user_from, "%s runs as %s on the VM", d->unit, s->user);
        } else {
                h->run_as_root = true;
                if (s->user)
                        n = asprintf(&h->user_from, "%s runs as root on the VM", d->unit);
                else if (s->kind && strcmp(s->kind, "systemd") == 0)
                        n = asprintf(&h->user_from, "no User= (%s): root on the VM", d->unit);
                else
                        n = asprintf(&h->user_from, "%s starts it as root on the VM", d->unit);
        }
        return n < 0 ? (h->user_from = NULL, -ENOMEM) : 0;
}

static int add_cap(struct derive *d, uint64_t *want, int bit, const char *from, char ***froms)
{
        if (bit < 0 || bit >= 64 || (*want & (UINT64_C(1) << bit)))
                return 0;
        *want |= UINT64_C(1) << bit;
        if (v2c_strv_push(froms, from) < 0)
                return -ENOMEM;
        d->cap_from[bit] = (*froms)[v2c_strv_len(*froms) - 1];
        return 0;
}

static int derive_caps(struct derive *d)
{
        struct v2c_service *s = d->s;
        struct v2c_hardening *h = d->h;
        struct capset bounding = { 0 }, ambient = { 0 };
        int r = read_capset(d, "CapabilityBoundingSet", &bounding);
        if (r == 0)
                r = read_capset(d, "AmbientCapabilities", &ambient);
        if (r < 0)
                return r;
        _cleanup_strv_ char **froms = NULL;
        uint64_t want = 0;
        char from[512];
        if (h->run_as_root) {
                if (bounding.set) {
                        snprintf(from, sizeof from, "CapabilityBoundingSet= (%s)", d->unit);
                        for (int b = 0; b < 64 && r == 0; b++)
                                if (bounding.bits & (UINT64_C(1) << b))
                                        r = add_cap(d, &want, b, from, &froms);
                } else {
                        snprintf(from, sizeof from,
                                 "root without CapabilityBoundingSet= (%s): the container runtime's default set",
                                 d->unit);
                        for (size_t i = 0; i < V2C_ARRAY_SIZE(runtime_default_caps) && r == 0; i++)
                                r = add_cap(d, &want, v2c_caps_bit(runtime_default_caps[i]), from, &froms);
                }
        } else {
                for (size_t i = 0; s->capabilities && s->capabilities[i] && r == 0; i++) {
                        snprintf(from, sizeof from, "file capability of %s", s->exec_path ? s->exec_path : "its executable");
                        r = add_cap(d, &want, v2c_caps_bit(s->capabilities[i]), from, &froms);
                }
                snprintf(from, sizeof from, "AmbientCapabilities= (%s)", d->unit);
                for (int b = 0; b < 64 && r == 0; b++)
                        if (ambient.bits & (UINT64_C(1) << b))
                                r = add_cap(d, &want, b, from, &froms);
                unsigned low = 0;
                for (size_t i = 0; i < s->nports; i++)
                        if (s->ports[i].port < 1024 && (low == 0 || s->ports[i].port < low))
                                low = s->ports[i].port;
                if (low && r == 0) {
                        snprintf(from, sizeof from, "port %u, below 1024, as user %s", low,
                                 s->dynamic_user ? "(dynamic)" : s->user);
                        r = add_cap(d, &want, v2c_caps_bit("CAP_NET_BIND_SERVICE"), from, &froms);
                }
        }
        if (r < 0)
                return r;
        for (int b = 0; b < 64; b++) {
                if (!(want & (UINT64_C(1) << b)))
                        continue;
                const char *name = v2c_caps_name(b);
                if (bounding.set && !(bounding.bits & (UINT64_C(1) << b))) {
                        if (note(d, "%s (%s) is not granted: outside CapabilityBoundingSet= (%s)", name, d->cap_from[b],
                                 d->unit) < 0)
                                return -ENOMEM;
                        continue;
                }
                if (grant(&h->capabilities, &h->ncapabilities, name, d->cap_from[b]) < 0)
                        return -ENOMEM;
        }
        if (h->ncapabilities > 1)   /* qsort of NULL is undefined, even for none */
                qsort(h->capabilities, h->ncapabilities, sizeof *h->capabilities, cmp_grant);

        /* no_new_privs keeps exec from raising file capabilities, and a
         * file with capabilities clears the ambient set: a non-root
         * service that relies on them needs escalation allowed. */
        const char *nnp = last_value(s->unit_sandbox, "NoNewPrivileges");
        int n;
        if (!h->run_as_root && s->capabilities && s->capabilities[0]) {
                h->allow_privilege_escalation = true;
                n = asprintf(&h->escalation_from, "%s has file capabilities it raises at exec (%s)",
                             s->exec_path ? s->exec_path : "its executable", s->capabilities[0]);
        } else if (truthy(nnp))
                n = asprintf(&h->escalation_from, "NoNewPrivileges=%s (%s)", nnp, d->unit);
        else
                n = asprintf(&h->escalation_from, "no setuid program or file capability is needed");
        return n < 0 ? (h->escalation_from = NULL, -ENOMEM) : 0;
}

__attribute__((format(printf, 3, 4))) static int writable(struct derive *d, const char *path, const char *fmt, ...)
{
        if (path == NULL || path[0] != '/')
                return 0;
        char from[512];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(from, sizeof from, fmt, ap);
        va_end(ap);
        return grant(&d->h->writable, &d->h->nwritable, path, from) < 0 ? -ENOMEM : 0;
}

static int derive_writable(struct derive *d)
{
        struct v2c_service *s = d->s;
        struct v2c_hardening *h = d->h;
        static const struct {
                const char *key;
                size_t off;
        } dirs[] = {
                { "RuntimeDirectory", offsetof(struct v2c_service, runtime_dirs) },
                { "StateDirectory", offsetof(struct v2c_service, state_dirs) },
                { "CacheDirectory", offsetof(struct v2c_service, cache_dirs) },
                { "LogsDirectory", offsetof(struct v2c_service, logs_dirs) },
                { "ReadWritePaths", offsetof(struct v2c_service, rw_paths) },
        };
        int r = 0;
        for (size_t i = 0; i < V2C_ARRAY_SIZE(dirs) && r == 0; i++) {
                char *const *list = *(char **const *) ((const char *) s + dirs[i].off);
                for (size_t k = 0; list && list[k] && r == 0; k++)
                        r = writable(d, list[k], "%s= (%s)", dirs[i].key, d->unit);
        }
        for (size_t k = 0; s->data_paths && s->data_paths[k] && r == 0; k++)
                r = writable(d, s->data_paths[k], "its data (%s)", d->unit);
        if (s->pid_file && r == 0) {
                _cleanup_free_ char *dir = v2c_path_dirname(s->pid_file);
                r = dir ? writable(d, dir, "the directory of PIDFile=%s (%s)", s->pid_file, d->unit) : -ENOMEM;
        }
        for (size_t k = 0; s->log_files && s->log_files[k] && r == 0; k++) {
                _cleanup_free_ char *dir = v2c_path_dirname(s->log_files[k]);
                r = dir ? writable(d, dir, "the directory of its log file %s (%s)", s->log_files[k], d->unit) : -ENOMEM;
        }
        /* Pid files and sockets its command line names under /run. */
        for (size_t k = 1; s->argv && s->argv[k] && r == 0; k++) {
                const char *a = s->argv[k];
                if (strncmp(a, "/run/", 5) != 0 && strncmp(a, "/var/run/", 9) != 0)
                        continue;
                _cleanup_free_ char *dir = v2c_path_dirname(a);
                r = dir ? writable(d, dir, "the directory of %s, named on its command line (%s)", a, d->unit) : -ENOMEM;
        }
        const char *exe = s->exec_path ? v2c_path_basename(s->exec_path) : "";
        for (size_t i = 0; i < V2C_ARRAY_SIZE(daemon_writes) && r == 0; i++) {
                const char *pat = daemon_writes[i].exec;
                size_t plen = strlen(pat);
                bool match = pat[plen - 1] == '*' ? strncmp(exe, pat, plen - 1) == 0 : strcmp(exe, pat) == 0;
                for (size_t k = 0; match && k < V2C_ARRAY_SIZE(daemon_writes[i].paths) && daemon_writes[i].paths[k] &&
                                   r == 0;
                     k++)
                        r = writable(d, daemon_writes[i].paths[k], "%s (%s)", daemon_writes[i].why, exe);
                if (match && daemon_writes[i].root_writable && r == 0) {
                        h->read_only_root = false;
                        r = note(d, "%s does not start on a read-only root file system (measured with Debian's build): "
                                    "its root stays writable",
                                 exe);
                }
        }
        const char *ptmp = last_value(s->unit_sandbox, "PrivateTmp");
        if (r == 0)
                r = truthy(ptmp) ? writable(d, "/tmp", "PrivateTmp=%s (%s): a private /tmp", ptmp, d->unit)
                                 : writable(d, "/tmp", "writable by every service on the VM (no PrivateTmp= in %s)",
                                            d->unit);
        if (r < 0)
                return r;
        /* A path under another is writable through it: one volume. */
        if (h->nwritable > 1)
                qsort(h->writable, h->nwritable, sizeof *h->writable, cmp_grant);
        size_t out = 0;
        for (size_t i = 0; i < h->nwritable; i++) {
                bool inside = false;
                for (size_t k = 0; k < out && !inside; k++)
                        inside = v2c_path_is_under(h->writable[i].what, h->writable[k].what);
                if (inside) {
                        free(h->writable[i].what);
                        free(h->writable[i].from);
                } else
                        h->writable[out++] = h->writable[i];
        }
        h->nwritable = out;
        const char *ps = last_value(s->unit_sandbox, "ProtectSystem");
        if (ps && (strcmp(ps, "strict") == 0 || strcmp(ps, "full") == 0 || truthy(ps)))
                if (note(d, "ProtectSystem=%s (%s): the VM already kept it off the system's files", ps, d->unit) < 0)
                        return -ENOMEM;
        return 0;
}

int v2c_harden_parse_bytes(const char *s, unsigned long long *out)
{
        if (s == NULL || *s == '\0')
                return -EINVAL;
        if (strcmp(s, "infinity") == 0) {
                *out = 0;
                return 0;
        }
        if (!isdigit((unsigned char) *s))
                return -EINVAL;
        errno = 0;
        char *end;
        unsigned long long v = strtoull(s, &end, 10);
        if (errno)
                return -EINVAL;
        unsigned shift = 0;
        switch (*end) {
        case '\0': break;
        case 'K': case 'k': shift = 10; end++; break;
        case 'M': case 'm': shift = 20; end++; break;
        case 'G': case 'g': shift = 30; end++; break;
        case 'T': case 't': shift = 40; end++; break;
        default: return -EINVAL;
        }
        if (*end != '\0' || (shift && v > (ULLONG_MAX >> shift)))
                return -EINVAL;
        *out = v << shift;
        return 0;
}

static int derive_limits(struct derive *d)
{
        struct v2c_service *s = d->s;
        struct v2c_hardening *h = d->h;
        const char *key = "MemoryMax";
        const char *mem = last_value(s->unit_sandbox, key);
        if (mem == NULL)
                mem = last_value(s->unit_sandbox, key = "MemoryLimit");
        unsigned long long bytes;
        if (mem && v2c_harden_parse_bytes(mem, &bytes) == 0) {
                h->memory_max = bytes;
                if (bytes && asprintf(&h->memory_from, "%s=%s (%s)", key, mem, d->unit) < 0)
                        return h->memory_from = NULL, -ENOMEM;
        } else if (mem && note(d, "%s=%s (%s): not carried over (a share of the VM's memory, or unreadable)", key, mem,
                               d->unit) < 0)
                return -ENOMEM;

        const char *cpu = last_value(s->unit_sandbox, "CPUQuota");
        if (cpu) {
                char *end;
                errno = 0;
                unsigned long pct = isdigit((unsigned char) *cpu) ? strtoul(cpu, &end, 10) : 0;
                if (errno == 0 && pct > 0 && pct <= 100000 && strcmp(end, "%") == 0) {
                        h->cpu_millis = (unsigned) pct * 10;
                        if (asprintf(&h->cpu_from, "CPUQuota=%s (%s)", cpu, d->unit) < 0)
                                return h->cpu_from = NULL, -ENOMEM;
                } else if (note(d, "CPUQuota=%s (%s): not a percentage, not carried over", cpu, d->unit) < 0)
                        return -ENOMEM;
        }

        const char *nofile = last_value(s->unit_sandbox, "LimitNOFILE");
        if (nofile) {
                /* "N" or "SOFT:HARD": the hard limit is the ceiling. */
                const char *hard = strchr(nofile, ':') ? strchr(nofile, ':') + 1 : nofile;
                char *end;
                errno = 0;
                unsigned long long v = isdigit((unsigned char) *hard) ? strtoull(hard, &end, 10) : 0;
                if (errno == 0 && v > 0 && *end == '\0') {
                        h->nofile = v;
                        if (asprintf(&h->nofile_from, "LimitNOFILE=%s (%s)", nofile, d->unit) < 0)
                                return h->nofile_from = NULL, -ENOMEM;
                } else if (note(d, "LimitNOFILE=%s (%s): not carried over (infinity, or unreadable)", nofile,
                                d->unit) < 0)
                        return -ENOMEM;
        }
        const char *scf = last_value(s->unit_sandbox, "SystemCallFilter");
        if (scf && note(d, "SystemCallFilter= (%s) is not translated: the runtime's default seccomp profile applies",
                        d->unit) < 0)
                return -ENOMEM;
        return 0;
}

int inspect_harden(struct v2c_service *s)
{
        v2c_hardening_release(&s->hardening);
        struct derive d = { .s = s, .unit = unit_label(s), .h = &s->hardening };
        s->hardening.read_only_root = true;
        s->hardening.seccomp = strdup("RuntimeDefault");
        int r = s->hardening.seccomp ? 0 : -ENOMEM;
        if (r == 0)
                r = derive_user(&d);
        if (r == 0)
                r = derive_caps(&d);
        if (r == 0)
                r = derive_writable(&d);
        if (r == 0)
                r = derive_limits(&d);
        if (r == 0)
                v2c_strv_sort_uniq(s->hardening.notes);
        return r;
}
