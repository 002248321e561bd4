/* What each service needs and what it is: the executable and who owns it,
 * package closure, ELF library closure of unowned executables, the
 * interpreter of scripts, config files, ports, data paths, and the class
 * (stateless, stateful, system) with the reasons that decided it. */
#include "inspect-internal.h"
#include "caps.h"
#include "cleanup.h"
#include "elf.h"
#include "path.h"
#include "ports-internal.h"
#include "secrets-internal.h"
#include "strv.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const search_path[] = { "/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin" };

char *inspect_elf_arch(struct inspect_ctx *c, const char *path)
{
        _cleanup_free_ char *data = NULL;
        size_t len;
        if (inspect_read(c, path, INSPECT_MAX_BINARY, &data, &len) < 0 || data == NULL)
                return NULL;
        struct v2c_elf_info *info = NULL;
        if (v2c_elf_parse(data, len, &info, NULL) < 0)
                return NULL;
        char *a = info->arch ? strdup(info->arch) : NULL;
        v2c_elf_info_free(info);
        return a;
}

/* Resolves a command name the way the service manager would (absolute, or
 * looked up in the default PATH), then every symlink inside the guest. */
static char *resolve_exec(struct inspect_ctx *c, const char *cmd)
{
        char *real = NULL;
        if (cmd == NULL || *cmd == '\0')
                return NULL;
        if (cmd[0] == '/') {
                if (v2c_guest_realpath(c->g, cmd, &real, NULL) == 0)
                        return real;
                return NULL;
        }
        if (strchr(cmd, '/'))
                return NULL;
        for (size_t i = 0; i < V2C_ARRAY_SIZE(search_path); i++) {
                _cleanup_free_ char *p = NULL;
                if (asprintf(&p, "%s/%s", search_path[i], cmd) < 0)
                        return NULL;
                if (v2c_guest_exists(c->g, p, V2C_FT_REG) && v2c_guest_realpath(c->g, p, &real, NULL) == 0)
                        return real;
        }
        return NULL;
}

static const struct v2c_pkg *owner_of(struct inspect_ctx *c, const char *path, const char *real)
{
        if (c->pkgdb == NULL)
                return NULL;
        const struct v2c_pkg *p = v2c_pkgdb_owner_usrmerge(c->pkgdb, path, NULL);
        if (p == NULL && real)
                p = v2c_pkgdb_owner_usrmerge(c->pkgdb, real, NULL);
        return p;
}

struct ld_ctx {
        struct inspect_ctx *c;
        char ***packages;    /* owners of libraries met, added here */
};

static int ld_load(void *ctx, const char *path, struct v2c_elf_info **info, struct v2c_error **err)
{
        struct ld_ctx *l = ctx;
        _cleanup_free_ char *real = NULL;
        if (v2c_guest_realpath(l->c->g, path, &real, NULL) < 0)
                return V2C_LD_LOAD_ABSENT;
        /* A packaged library's own needs come with its package. */
        const struct v2c_pkg *p = owner_of(l->c, path, real);
        if (p) {
                v2c_strv_push_unique(l->packages, p->name);
                return V2C_LD_LOAD_STOP;
        }
        _cleanup_free_ char *data = NULL;
        size_t len;
        if (inspect_read(l->c, real, INSPECT_MAX_BINARY, &data, &len) < 0 || data == NULL)
                return V2C_LD_LOAD_ABSENT;
        if (v2c_elf_parse(data, len, info, NULL) < 0)
                return V2C_LD_LOAD_ABSENT;
        (void) err;
        return V2C_LD_LOAD_FOLLOW;
}

static void load_ld_dirs(struct inspect_ctx *c)
{
        if (c->ld_dirs == NULL)
                v2c_guest_ld_dirs(c->g, &c->ld_dirs);
}

/* ELF closure of an executable no package owns. */
static void elf_closure(struct inspect_ctx *c, struct v2c_service *s, const char *path, const char *data,
                        size_t len, char ***packages)
{
        struct v2c_elf_info *info = NULL;
        if (v2c_elf_parse(data, len, &info, NULL) < 0)
                return;
        load_ld_dirs(c);
        struct v2c_ld_search search = { .arch = info->arch ? info->arch : c->rep->os.arch, .conf_dirs = c->ld_dirs };
        struct ld_ctx l = { c, packages };
        struct v2c_ld_closure *cl = NULL;
        if (v2c_ld_closure(&search, path, info, ld_load, &l, 0, &cl, NULL) == 0) {
                for (size_t i = 0; cl->paths && cl->paths[i]; i++)
                        v2c_strv_push_unique(&s->libraries, cl->paths[i]);
                for (size_t i = 0; cl->missing && cl->missing[i]; i++)
                        inspect_warn(c, "%s: library %s needed by %s not found", s->name, cl->missing[i], path);
                v2c_ld_closure_free(cl);
        }
        if (info->interp) {
                /* The loader is part of the closure, whoever owns it. */
                _cleanup_free_ char *real = NULL;
                if (v2c_guest_realpath(c->g, info->interp, &real, NULL) == 0) {
                        const struct v2c_pkg *p = owner_of(c, info->interp, real);
                        if (p)
                                v2c_strv_push_unique(packages, p->name);
                        else
                                v2c_strv_push_unique(&s->libraries, info->interp);
                }
        }
        v2c_elf_info_free(info);
}

/* File capabilities of the executable: what the service's process gets at
 * exec, which a container runtime must allow (a non-root server binding
 * port 80 through cap_net_bind_service). */
static void exec_capabilities(struct inspect_ctx *c, struct v2c_service *s, const char *real)
{
        _cleanup_free_ void *value = NULL;
        size_t len = 0;
        struct v2c_error *e = NULL;
        if (v2c_guest_capability(c->g, real, &value, &len, &e) < 0) {
                inspect_warn(c, "%s: %s", s->name, e ? e->msg : "cannot read the capabilities of its executable");
                v2c_error_free(e);
                return;
        }
        if (value && v2c_caps_decode(value, len, &s->capabilities, NULL) < 0)
                inspect_warn(c, "%s: %s has a malformed security.capability attribute", s->name, real);
}

/* Looks at the executable: package owner, else ELF closure or script
 * interpreter.  Unowned executables are the application's own files. */
static void analyze_exec(struct inspect_ctx *c, struct v2c_service *s, char ***owners, char ***roots,
                         char ***app_files)
{
        if (s->exec_path == NULL)
                return;
        _cleanup_free_ char *real = resolve_exec(c, s->exec_path);
        if (real == NULL) {
                inspect_warn(c, "%s: executable %s not found in the guest", s->name, s->exec_path);
                return;
        }
        if (s->exec_path[0] != '/') {
                free(s->exec_path);
                s->exec_path = strdup(real);
        }
        struct v2c_stat st;
        if (v2c_guest_stat(c->g, real, &st, NULL) < 0 || st.type != V2C_FT_REG) {
                inspect_warn(c, "%s: executable %s is not a regular file", s->name, s->exec_path);
                return;
        }
        exec_capabilities(c, s, real);
        const struct v2c_pkg *p = owner_of(c, s->exec_path, real);
        if (p) {
                v2c_strv_push_unique(owners, p->name);
                return;
        }
        v2c_strv_push_unique(app_files, real);
        _cleanup_free_ char *data = NULL;
        size_t len;
        if (inspect_read(c, real, INSPECT_MAX_BINARY, &data, &len) < 0 || data == NULL)
                return;
        if (v2c_is_elf(data, len)) {
                elf_closure(c, s, real, data, len, roots);
                return;
        }
        struct v2c_shebang *sb = NULL;
        if (v2c_shebang_parse(data, len, &sb, NULL) < 0 || sb == NULL)
                return;
        /* `#!/usr/bin/env python3` names the real interpreter in its argument. */
        const char *interp = sb->name && strcmp(v2c_path_basename(sb->interpreter), "env") == 0 ? sb->name : sb->interpreter;
        _cleanup_free_ char *ireal = resolve_exec(c, interp);
        s->interpreter = strdup(ireal ? ireal : interp);
        if (ireal) {
                const struct v2c_pkg *ip = owner_of(c, interp, ireal);
                if (ip)
                        v2c_strv_push_unique(owners, ip->name);
                else {
                        _cleanup_free_ char *idata = NULL;
                        size_t ilen;
                        if (inspect_read(c, ireal, INSPECT_MAX_BINARY, &idata, &ilen) == 0 && idata &&
                            v2c_is_elf(idata, ilen)) {
                                v2c_strv_push_unique(&s->libraries, ireal);
                                elf_closure(c, s, ireal, idata, ilen, roots);
                        }
                }
        }
        v2c_shebang_free(sb);
}

static bool is_interpreter(const char *path)
{
        static const char *const names[] = { "python*", "perl*", "ruby*", "node", "nodejs", "php*", "java",
                                             "sh", "bash", "dash", "lua*", "Rscript" };
        const char *b = v2c_path_basename(path);
        for (size_t i = 0; i < V2C_ARRAY_SIZE(names); i++)
                if (fnmatch(names[i], b, 0) == 0)
                        return true;
        return false;
}

/* Files named in the arguments: scripts an interpreter runs are the
 * application; files under /etc are configuration. */
static void analyze_args(struct inspect_ctx *c, struct v2c_service *s, char ***roots, char ***app_files)
{
        bool interp = s->exec_path && is_interpreter(s->exec_path);
        for (size_t i = 1; s->argv && s->argv[i]; i++) {
                const char *a = s->argv[i];
                const char *eq = strchr(a, '=');
                if (a[0] == '-' && eq)
                        a = eq + 1;
                if (a[0] != '/')
                        continue;
                _cleanup_free_ char *real = NULL;
                struct v2c_stat st;
                if (v2c_guest_realpath(c->g, a, &real, NULL) < 0 || v2c_guest_stat(c->g, real, &st, NULL) < 0)
                        continue;
                if (st.type != V2C_FT_REG && st.type != V2C_FT_DIR)
                        continue;
                const struct v2c_pkg *p = owner_of(c, a, real);
                if (v2c_path_is_under(real, "/etc"))
                        v2c_strv_push_unique(&s->config_files, real);
                else if (p)
                        v2c_strv_push_unique(roots, p->name);
                else if (interp || st.type == V2C_FT_REG)
                        v2c_strv_push_unique(app_files, real);
        }
}

struct inc_ctx {
        struct inspect_ctx *c;
        char ***files;
};

/* Include reader for the config parsers: globs inside the guest. */
static int read_include_at(struct inc_ctx *ic, const char *pattern, v2c_include_file_cb cb, void *state,
                           bool top, struct v2c_error **err);

static int read_include(void *ctx, const char *pattern, v2c_include_file_cb cb, void *state, struct v2c_error **err)
{
        return read_include_at(ctx, pattern, cb, state, true, err);
}

/* Directories are read one level deep only (nginx and mysql's includedir
 * read the files in a directory, not below it), so links to "." cannot
 * make the walk explode. */
static int read_include_at(struct inc_ctx *ic, const char *pattern, v2c_include_file_cb cb, void *state,
                           bool top, struct v2c_error **err)
{
        _cleanup_strv_ char **paths = NULL;
        if (strpbrk(pattern, "*?[") == NULL)
                v2c_strv_push(&paths, pattern);
        else
                v2c_guest_glob(ic->c->g, pattern, &paths);
        v2c_strv_sort_uniq(paths);
        for (size_t i = 0; paths && paths[i]; i++) {
                struct v2c_stat st;
                if (v2c_guest_stat(ic->c->g, paths[i], &st, NULL) < 0)
                        continue;
                if (st.type == V2C_FT_DIR) {
                        /* !includedir DIR and Include DIR read the files in it. */
                        if (!top)
                                continue;
                        _cleanup_free_ char *g = NULL;
                        if (asprintf(&g, "%s/*", paths[i]) < 0)
                                return -ENOMEM;
                        int r = read_include_at(ic, g, cb, state, false, err);
                        if (r < 0)
                                return r;
                        continue;
                }
                _cleanup_free_ char *data = NULL;
                size_t len;
                if (inspect_read(ic->c, paths[i], INSPECT_MAX_FILE, &data, &len) < 0 || data == NULL)
                        continue;
                if (ic->files)
                        v2c_strv_push_unique(ic->files, paths[i]);
                int r = cb(state, paths[i], data, len, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

struct known_server {
        enum v2c_server server;
        const char *const *execs;   /* basenames */
        const char *config;         /* default main config */
};

static const char *const nginx_execs[] = { "nginx", NULL };
static const char *const apache_execs[] = { "apache2", "apache2ctl", "apachectl", "httpd", NULL };
static const char *const redis_execs[] = { "redis-server", "redis-check-rdb", NULL };
static const char *const pg_execs[] = { "pg_ctlcluster", "postgres", "postmaster", "pg_ctl", NULL };
static const char *const mysql_execs[] = { "mysqld", "mariadbd", "mysqld_safe", "mariadbd-safe", NULL };
static const char *const sshd_execs[] = { "sshd", NULL };
/* Debian's memcached.service runs a wrapper that turns the config file
 * into options. */
static const char *const memcached_execs[] = { "memcached", "systemd-memcached-wrapper", NULL };
static const char *const haproxy_execs[] = { "haproxy", NULL };
static const char *const squid_execs[] = { "squid", NULL };
static const char *const named_execs[] = { "named", NULL };
static const char *const dovecot_execs[] = { "dovecot", NULL };
/* Tomcat runs under sh: the script names the server. */
static const char *const tomcat_execs[] = { "tomcat-start.sh", "catalina.sh", "startup.sh", NULL };
/* postfix@INSTANCE.service: "postmulti -i INSTANCE -p start".  Not
 * "postfix": postfix-resolvconf.service runs a hook of that name. */
static const char *const postfix_execs[] = { "postmulti", NULL };
static const char *const exim_execs[] = { "exim4", "exim", NULL };
static const char *const chrony_execs[] = { "chronyd", NULL };
static const char *const ntpd_execs[] = { "ntpd", "ntp-systemd-wrapper", NULL };
static const char *const snmpd_execs[] = { "snmpd", NULL };
static const char *const rsyslog_execs[] = { "rsyslogd", NULL };
static const char *const vsftpd_execs[] = { "vsftpd", NULL };

static const struct known_server known_servers[] = {
        { V2C_SERVER_NGINX, nginx_execs, "/etc/nginx/nginx.conf" },
        { V2C_SERVER_APACHE2, apache_execs, "/etc/apache2/apache2.conf" },
        { V2C_SERVER_REDIS, redis_execs, "/etc/redis/redis.conf" },
        { V2C_SERVER_POSTGRESQL, pg_execs, NULL },
        { V2C_SERVER_MYSQL, mysql_execs, "/etc/mysql/my.cnf" },
        { V2C_SERVER_SSHD, sshd_execs, "/etc/ssh/sshd_config" },
        { V2C_SERVER_MEMCACHED, memcached_execs, "/etc/memcached.conf" },
        { V2C_SERVER_HAPROXY, haproxy_execs, "/etc/haproxy/haproxy.cfg" },
        { V2C_SERVER_SQUID, squid_execs, "/etc/squid/squid.conf" },
        { V2C_SERVER_NAMED, named_execs, "/etc/bind/named.conf" },
        { V2C_SERVER_DOVECOT, dovecot_execs, "/etc/dovecot/dovecot.conf" },
        { V2C_SERVER_TOMCAT, tomcat_execs, NULL },
        { V2C_SERVER_POSTFIX, postfix_execs, NULL },
        /* Debian runs update-exim4.conf into config.autogenerated unless
         * an exim4.conf of the operator's exists. */
        { V2C_SERVER_EXIM, exim_execs, NULL },
        { V2C_SERVER_CHRONY, chrony_execs, "/etc/chrony/chrony.conf" },
        { V2C_SERVER_NTPD, ntpd_execs, "/etc/ntpsec/ntp.conf" },
        { V2C_SERVER_SNMPD, snmpd_execs, "/etc/snmp/snmpd.conf" },
        { V2C_SERVER_RSYSLOG, rsyslog_execs, "/etc/rsyslog.conf" },
        { V2C_SERVER_VSFTPD, vsftpd_execs, "/etc/vsftpd.conf" },
};

static bool is_shell(const char *name)
{
        return strcmp(name, "sh") == 0 || strcmp(name, "bash") == 0 || strcmp(name, "dash") == 0;
}

/* The program a "sh -c SCRIPT" ends in: the absolute path after the
 * script's last "exec " (bookworm's mariadb.service runs
 * 'sh -c "...; exec /usr/sbin/mariadbd $MYSQLD_OPTS ..."').  Borrowed
 * from script, up to the next blank; *n its length, 0 when none. */
static const char *shell_exec_target(const char *script, size_t *n)
{
        const char *found = NULL;
        for (const char *p = strstr(script, "exec /"); p; p = strstr(p + 1, "exec /"))
                if (p == script || p[-1] == ' ' || p[-1] == ';' || p[-1] == '\t' || p[-1] == '\n')
                        found = p + 5;
        *n = found ? strcspn(found, " \t\n;&|\"'") : 0;
        return found;
}

static const struct known_server *which_server(const struct v2c_service *s)
{
        if (s->exec_path == NULL)
                return NULL;
        const char *b = v2c_path_basename(s->exec_path);
        char target[256];
        /* "sh /usr/libexec/tomcat10/tomcat-start.sh": the script is the
         * program; "sh -c '... exec PROG ...'": PROG is. */
        if (is_shell(b) && s->argv && s->argv[0] && s->argv[1] && strcmp(s->argv[1], "-c") == 0 && s->argv[2]) {
                size_t n;
                const char *t = shell_exec_target(s->argv[2], &n);
                if (t && n > 0 && n < sizeof target) {
                        memcpy(target, t, n);
                        target[n] = '\0';
                        b = v2c_path_basename(target);
                }
        } else if (is_shell(b) && s->argv && s->argv[0] && s->argv[1] && s->argv[1][0] != '-')
                b = v2c_path_basename(s->argv[1]);
        for (size_t i = 0; i < V2C_ARRAY_SIZE(known_servers); i++)
                for (size_t k = 0; known_servers[i].execs[k]; k++)
                        if (strcmp(b, known_servers[i].execs[k]) == 0)
                                return &known_servers[i];
        return NULL;
}

/* 'sh -c "...; exec /usr/sbin/mariadbd ..."': the program the script
 * ends in is what the service runs, so its package is the service's too
 * (and a database package makes it stateful). */
static void analyze_shell_target(struct inspect_ctx *c, const struct v2c_service *s, char ***owners)
{
        if (s->exec_path == NULL || !is_shell(v2c_path_basename(s->exec_path)) || s->argv == NULL ||
            s->argv[0] == NULL || s->argv[1] == NULL || strcmp(s->argv[1], "-c") != 0 || s->argv[2] == NULL)
                return;
        size_t n;
        const char *t = shell_exec_target(s->argv[2], &n);
        char target[256];
        if (t == NULL || n == 0 || n >= sizeof target)
                return;
        memcpy(target, t, n);
        target[n] = '\0';
        _cleanup_free_ char *real = resolve_exec(c, target);
        const struct v2c_pkg *p = real ? owner_of(c, target, real) : NULL;
        if (p)
                v2c_strv_push_unique(owners, p->name);
}

/* $CATALINA_BASE/conf/server.xml, else the packaged places.  Debian's
 * /var/lib/tomcatN/conf is a link to /etc/tomcatN: the file is named by
 * its /etc path, as the package and an operator know it. */
static char *tomcat_config(struct inspect_ctx *c, const struct v2c_service *s)
{
        for (size_t i = 0; s->environment && s->environment[i]; i++) {
                const char *e = s->environment[i];
                _cleanup_free_ char *conf = NULL, *target = NULL;
                char *p = NULL;
                if (strncmp(e, "CATALINA_BASE=/", 15) != 0 || asprintf(&conf, "%s/conf", e + 14) < 0)
                        continue;
                const char *dir = conf;
                if (v2c_guest_readlink(c->g, conf, &target, NULL) == 0 && target[0] == '/')
                        dir = target;
                if (asprintf(&p, "%s/server.xml", dir) < 0)
                        continue;
                if (v2c_guest_exists(c->g, p, V2C_FT_REG))
                        return p;
                free(p);
        }
        static const char *const places[] = { "/etc/tomcat10/server.xml", "/etc/tomcat9/server.xml" };
        for (size_t i = 0; i < V2C_ARRAY_SIZE(places); i++)
                if (v2c_guest_exists(c->g, places[i], V2C_FT_REG))
                        return strdup(places[i]);
        return NULL;
}

/* The master.cf of a postfix instance: "-" (and a unit without one) is
 * /etc/postfix; another is the directory of multi_instance_directories
 * whose main.cf has that multi_instance_name, as postfix's instance
 * generator names them. */
static char *postfix_master_cf(struct inspect_ctx *c, const struct v2c_service *s)
{
        const char *inst = strchr(s->name, '@');
        inst = inst ? inst + 1 : "-";
        _cleanup_free_ char *dir = inspect_postfix_instance_dir(c, inst);
        char *p = NULL;
        if (dir == NULL || asprintf(&p, "%s/master.cf", dir) < 0)
                return NULL;
        if (v2c_guest_exists(c->g, p, V2C_FT_REG))
                return p;
        free(p);
        return NULL;
}

/* The config file a known server reads: an argument naming one wins. */
static char *server_config(struct inspect_ctx *c, const struct v2c_service *s, const struct known_server *k)
{
        for (size_t i = 1; s->argv && s->argv[i]; i++) {
                const char *a = s->argv[i];
                if ((strcmp(a, "-c") == 0 || strcmp(a, "-f") == 0 || strcmp(a, "--config") == 0) && s->argv[i + 1])
                        a = s->argv[++i];
                if (a[0] == '/' && v2c_path_is_under(a, "/etc") && v2c_guest_exists(c->g, a, V2C_FT_REG))
                        return strdup(a);
        }
        if (k->server == V2C_SERVER_POSTGRESQL) {
                /* pg_ctlcluster VERSION CLUSTER, or the unit instance "15-main". */
                const char *ver = NULL, *clu = NULL;
                char buf[256];
                for (size_t i = 1; s->argv && s->argv[i]; i++) {
                        if (s->argv[i][0] == '-')
                                continue;
                        const char *dash = strchr(s->argv[i], '-');
                        if (ver == NULL && s->argv[i][0] >= '0' && s->argv[i][0] <= '9' && dash &&
                            strlen(s->argv[i]) < sizeof buf) {
                                snprintf(buf, sizeof buf, "%s", s->argv[i]);
                                buf[dash - s->argv[i]] = '\0';
                                ver = buf;
                                clu = buf + (dash - s->argv[i]) + 1;
                                break;
                        }
                        if (ver == NULL && s->argv[i][0] >= '0' && s->argv[i][0] <= '9')
                                ver = s->argv[i];
                        else if (ver && clu == NULL)
                                clu = s->argv[i];
                }
                const char *at = strchr(s->name, '@');
                if (ver == NULL && at) {
                        snprintf(buf, sizeof buf, "%s", at + 1);
                        char *dash = strchr(buf, '-');
                        if (dash) {
                                *dash = '\0';
                                ver = buf;
                                clu = dash + 1;
                        }
                }
                char *p = NULL;
                if (ver && clu && asprintf(&p, "/etc/postgresql/%s/%s/postgresql.conf", ver, clu) >= 0 &&
                    v2c_guest_exists(c->g, p, V2C_FT_REG))
                        return p;
                free(p);
                return NULL;
        }
        if (k->server == V2C_SERVER_TOMCAT)
                return tomcat_config(c, s);
        if (k->server == V2C_SERVER_POSTFIX)
                return postfix_master_cf(c, s);
        if (k->server == V2C_SERVER_EXIM) {
                static const char *const places[] = { "/etc/exim4/exim4.conf", "/var/lib/exim4/config.autogenerated",
                                                      "/etc/exim4/exim4.conf.template" };
                for (size_t i = 0; i < V2C_ARRAY_SIZE(places); i++)
                        if (v2c_guest_exists(c->g, places[i], V2C_FT_REG))
                                return strdup(places[i]);
                return NULL;
        }
        if (k->config && v2c_guest_exists(c->g, k->config, V2C_FT_REG))
                return strdup(k->config);
        if (k->server == V2C_SERVER_APACHE2 && v2c_guest_exists(c->g, "/etc/httpd/conf/httpd.conf", V2C_FT_REG))
                return strdup("/etc/httpd/conf/httpd.conf");
        return NULL;
}

static void add_port(struct v2c_service *s, unsigned port, const char *proto, const char *source)
{
        for (size_t i = 0; i < s->nports; i++)
                if (s->ports[i].port == port && strcmp(s->ports[i].proto, proto) == 0)
                        return;
        struct v2c_port *np = realloc(s->ports, (s->nports + 1) * sizeof *np);
        if (np == NULL)
                return;
        s->ports = np;
        s->ports[s->nports].port = port;
        snprintf(s->ports[s->nports].proto, sizeof s->ports[s->nports].proto, "%s", proto);
        s->ports[s->nports].source = source ? strdup(source) : NULL;
        s->nports++;
}

static int cmp_port(const void *a, const void *b)
{
        const struct v2c_port *x = a, *y = b;
        if (x->port != y->port)
                return x->port < y->port ? -1 : 1;
        return strcmp(x->proto, y->proto);
}

/* Ports and data/log paths from the configuration of well-known servers. */
static void analyze_server_config(struct inspect_ctx *c, struct v2c_service *s, const struct known_server *k)
{
        _cleanup_free_ char *conf = server_config(c, s, k);
        struct v2c_svc_config *cfg = NULL;
        struct inc_ctx ic = { c, &s->config_files };
        struct v2c_include_reader inc = { read_include, &ic };
        struct v2c_error *e = NULL;
        if (conf) {
                _cleanup_free_ char *data = NULL;
                size_t len;
                if (inspect_read(c, conf, INSPECT_MAX_FILE, &data, &len) == 0 && data) {
                        v2c_strv_push_unique(&s->config_files, conf);
                        if (v2c_ports_parse_config(k->server, conf, data, len, &inc, &cfg, &e) < 0) {
                                inspect_warn(c, "%s: %s", conf, e ? e->msg : "unreadable");
                                e = v2c_error_free(e);
                        }
                }
        }
        if (cfg == NULL && v2c_ports_parse_config(k->server, "", "", 0, &inc, &cfg, &e) < 0) {
                /* Even without a config the server's default port applies. */
                v2c_error_free(e);
                return;
        }
        for (size_t i = 0; i < cfg->ports.n; i++)
                add_port(s, cfg->ports.items[i].port, cfg->ports.items[i].proto, cfg->ports.items[i].source);
        for (size_t i = 0; cfg->data_dirs && cfg->data_dirs[i]; i++)
                if (cfg->data_dirs[i][0] == '/')
                        v2c_strv_push_unique(&s->data_paths, cfg->data_dirs[i]);
        for (size_t i = 0; cfg->content_dirs && cfg->content_dirs[i]; i++) {
                _cleanup_free_ char *p = NULL;
                if (v2c_path_normalize("/", cfg->content_dirs[i], &p) == 0 && v2c_guest_exists(c->g, p, V2C_FT_DIR))
                        v2c_strv_push_unique(&s->app_files, p);
        }
        for (size_t i = 0; cfg->log_paths && cfg->log_paths[i]; i++)
                if (cfg->log_paths[i][0] == '/')
                        v2c_strv_push_unique(&s->log_files, cfg->log_paths[i]);
        v2c_svc_config_free(cfg);
}

static void analyze_config_files(struct inspect_ctx *c, struct v2c_service *s, char *const *owners)
{
        /* Conffiles of the packages that own the service's executable, and
         * of their dependencies built from the same source (nginx-common). */
        for (size_t i = 0; c->pkgdb && owners && owners[i]; i++) {
                const struct v2c_pkg *own = v2c_pkgdb_find(c->pkgdb, owners[i]);
                const char *src = own && own->source ? own->source : owners[i];
                for (size_t k = 0; s->packages && s->packages[k]; k++) {
                        const struct v2c_pkg *p = v2c_pkgdb_find(c->pkgdb, s->packages[k]);
                        if (p == NULL)
                                continue;
                        bool same = strcmp(p->name, owners[i]) == 0 ||
                                    (p->source && strcmp(p->source, src) == 0) ||
                                    strcmp(p->name, src) == 0;
                        if (!same)
                                continue;
                        for (size_t f = 0; f < p->n_conffiles; f++)
                                if (!p->conffiles[f].obsolete && v2c_guest_exists(c->g, p->conffiles[f].path, 0))
                                        v2c_strv_push_unique(&s->config_files, p->conffiles[f].path);
                }
        }
        for (size_t i = 0; s->environment_files && s->environment_files[i]; i++)
                if (v2c_guest_exists(c->g, s->environment_files[i], V2C_FT_REG))
                        v2c_strv_push_unique(&s->config_files, s->environment_files[i]);
        /* /etc/NAME and /etc/default/NAME, for NAME the service or its executable. */
        const char *names[2] = { s->name, s->exec_path ? v2c_path_basename(s->exec_path) : NULL };
        for (size_t i = 0; i < 2; i++) {
                if (names[i] == NULL || strchr(names[i], ':') || strchr(names[i], '@'))
                        continue;
                char p[512];
                snprintf(p, sizeof p, "/etc/%s", names[i]);
                if (v2c_guest_exists(c->g, p, 0))
                        v2c_strv_push_unique(&s->config_files, p);
                snprintf(p, sizeof p, "/etc/default/%s", names[i]);
                if (v2c_guest_exists(c->g, p, V2C_FT_REG))
                        v2c_strv_push_unique(&s->config_files, p);
        }
}

/* Redacts Environment= values whose names look like secrets; the variable
 * name stays, so convert can ask for it at run time. */
static void redact_environment(struct inspect_ctx *c, struct v2c_service *s)
{
        for (size_t i = 0; s->environment && s->environment[i]; i++) {
                const char *eq = strchr(s->environment[i], '=');
                if (eq == NULL || eq[1] == '\0')
                        continue;
                size_t nlen = (size_t) (eq - s->environment[i]);
                if (!v2c_secret_var_is_secret(s->environment[i], nlen))
                        continue;
                _cleanup_free_ char *name = strndup(s->environment[i], nlen);
                if (name == NULL)
                        continue;
                char *red = NULL;
                if (asprintf(&red, "%s=<redacted>", name) < 0)
                        continue;
                /* The unit file holds the secret unless it came from an
                 * EnvironmentFile= (which the secret scan reports itself). */
                bool from_file = false;
                for (size_t k = 0; !from_file && s->environment_files && s->environment_files[k]; k++) {
                        _cleanup_free_ char *data = NULL;
                        size_t len;
                        if (inspect_read(c, s->environment_files[k], INSPECT_MAX_FILE, &data, &len) == 0 && data)
                                from_file = memmem(data, len, s->environment[i], strlen(s->environment[i])) != NULL;
                }
                free(s->environment[i]);
                s->environment[i] = red;
                if (s->unit_path && !from_file)
                        v2c_strv_push_unique(&c->env_secret_units, s->unit_path);
        }
}

/* The OS's own services: moving them into a container makes no sense. */
static const char *const system_patterns[] = {
        "ssh", "sshd", "cron", "crond", "anacron", "atd", "getty@*", "getty-*", "serial-getty@*", "console-getty",
        "container-getty@*", "systemd-*", "dbus", "dbus-broker", "udev*", "networking", "NetworkManager*",
        "network-manager", "wpa_supplicant", "rsyslog", "syslog-ng", "syslog", "apt-daily", "apt-daily-upgrade",
        "e2scrub_all", "e2scrub_reap", "e2scrub@*", "fstrim", "logrotate", "man-db", "dpkg-db-backup",
        "chrony", "chronyd", "ntp", "ntpd", "ntpsec", "unattended-upgrades", "cloud-init*", "cloud-config",
        "cloud-final", "polkit", "accounts-daemon", "irqbalance", "auditd", "apparmor", "lvm2-*",
        "blk-availability", "mdmonitor", "qemu-guest-agent", "open-vm-tools", "vmtoolsd", "console-setup",
        "keyboard-setup", "ifup@*", "rc-local", "smartmontools", "smartd", "multipathd", "iscsid", "snapd*",
        "ModemManager", "avahi-daemon", "cups*", "bluetooth", "plymouth*", "kmod*", "procps", "sysstat",
        "rsync", "exim4", "postfix", "nullmailer", "firewalld", "ufw", "nftables", "netfilter-persistent",
        "haveged", "rng-tools*", "xinetd", "inetd", "unbound-resolvconf", "resolvconf", "fwupd*",
        "packagekit", "motd-news", "update-notifier*", "ua-*", "ubuntu-advantage", "pollinate",
        /* OpenRC's and Alpine's sysinit, boot and shutdown services */
        "hostname", "bootmisc", "hwclock", "osclock", "modules", "sysctl", "klogd", "acpid", "devfs", "dmesg",
        "mdev", "hwdrivers", "modloop", "localmount", "netmount", "fsck", "root", "procfs", "sysfs",
        "cgroups", "machine-id", "savecache", "killprocs", "mount-ro", "urandom", "seedrng", "swap",
        "loopback", "keymaps", "termencoding", "agetty*",
};

/* Packages whose daemon keeps data that must survive the container. */
static const char *const database_patterns[] = {
        "postgresql*", "mysql-server*", "mariadb-server*", "redis-server", "redis", "mongodb*", "mongod*",
        "rabbitmq-server", "elasticsearch", "opensearch", "cassandra", "influxdb*", "etcd*", "zookeeper*",
        "kafka*", "couchdb", "neo4j", "clickhouse-server", "minio", "slapd", "bind9", "dovecot*",
        "prometheus", "keydb*", "valkey*", "mosquitto",
};

static bool matches_any(const char *s, const char *const *pats, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (fnmatch(pats[i], s, 0) == 0)
                        return true;
        return false;
}

/* Marker files that prove a directory holds a database's data. */
static const char *const data_markers[] = { "PG_VERSION", "dump.rdb", "appendonly.aof", "appendonlydir",
                                            "ibdata1", "mysql", "aria_log_control", "WiredTiger", "mnesia",
                                            "nodes", "data.mdb", "member" };

static void add_reason(struct v2c_service *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add_reason(struct v2c_service *s, const char *fmt, ...)
{
        char *r = NULL;
        va_list ap;
        va_start(ap, fmt);
        int n = vasprintf(&r, fmt, ap);
        va_end(ap);
        if (n >= 0 && !v2c_strv_contains(s->reasons, r))
                v2c_strv_consume(&s->reasons, r);
        else
                free(r);
}

/* Describes what a data path holds, as evidence; NULL when it holds nothing. */
static char *data_evidence(struct inspect_ctx *c, const char *path)
{
        struct v2c_dirent *ents = NULL;
        size_t n = 0;
        if (v2c_guest_list(c->g, path, &ents, &n, NULL) < 0)
                return NULL;
        char *ev = NULL;
        for (size_t m = 0; m < V2C_ARRAY_SIZE(data_markers) && ev == NULL; m++)
                for (size_t i = 0; i < n; i++)
                        if (strcmp(ents[i].name, data_markers[m]) == 0) {
                                if (asprintf(&ev, "holds %s", data_markers[m]) < 0)
                                        ev = NULL;
                                break;
                        }
        if (ev == NULL) {
                size_t files = 0;
                for (size_t i = 0; i < n; i++)
                        if (strcmp(ents[i].name, ".keep") != 0 && strcmp(ents[i].name, ".gitkeep") != 0)
                                files++;
                if (files && asprintf(&ev, "holds %zu entr%s", files, files == 1 ? "y" : "ies") < 0)
                        ev = NULL;
        }
        v2c_dirents_free(ents, n);
        return ev;
}

static bool volatile_path(const char *p)
{
        return v2c_path_is_under(p, "/run") || v2c_path_is_under(p, "/tmp") || v2c_path_is_under(p, "/var/tmp") ||
               v2c_path_is_under(p, "/var/run") || v2c_path_is_under(p, "/dev") || v2c_path_is_under(p, "/proc") ||
               v2c_path_is_under(p, "/sys") || v2c_path_is_under(p, "/var/log") || v2c_path_is_under(p, "/var/cache");
}

static void classify(struct inspect_ctx *c, struct v2c_service *s, char *const *owners)
{
        const char *exec = s->exec_path ? v2c_path_basename(s->exec_path) : "";
        /* Timers and cron jobs are judged by what they run. */
        const char *name = s->triggers ? s->triggers : s->name;

        bool sys = matches_any(name, system_patterns, V2C_ARRAY_SIZE(system_patterns));
        /* A job in /etc/cron.d/NAME belongs to NAME: e2fsprogs's e2scrub_all. */
        if (!sys && strcmp(s->kind, "cron") == 0 && s->unit_path && v2c_path_is_under(s->unit_path, "/etc/cron.d"))
                sys = matches_any(v2c_path_basename(s->unit_path), system_patterns, V2C_ARRAY_SIZE(system_patterns));
        if (!sys && s->exec_path && (strcmp(exec, "run-parts") == 0 || strcmp(exec, "anacron") == 0)) {
                sys = true;
                add_reason(s, "runs %s, the OS's periodic job runner", exec);
        }
        if (sys) {
                if (s->reasons)
                        ;
                else if (owners && owners[0])
                        add_reason(s, "%s is part of the operating system (package %s)", name, owners[0]);
                else
                        add_reason(s, "%s is part of the operating system", name);
                s->klass = V2C_CLASS_SYSTEM;
                return;
        }

        bool stateful = false;
        for (size_t i = 0; owners && owners[i]; i++)
                if (matches_any(owners[i], database_patterns, V2C_ARRAY_SIZE(database_patterns))) {
                        add_reason(s, "package %s is a database or message store", owners[i]);
                        stateful = true;
                }
        for (size_t i = 0; s->state_dirs && s->state_dirs[i]; i++) {
                add_reason(s, "StateDirectory= declares %s", s->state_dirs[i]);
                stateful = true;
        }
        for (size_t i = 0; s->data_paths && s->data_paths[i]; i++) {
                _cleanup_free_ char *ev = data_evidence(c, s->data_paths[i]);
                if (ev) {
                        add_reason(s, "data directory %s %s", s->data_paths[i], ev);
                        stateful = true;
                } else if (v2c_path_is_under(s->data_paths[i], "/var/lib") || v2c_path_is_under(s->data_paths[i], "/srv")) {
                        add_reason(s, "data directory %s is configured", s->data_paths[i]);
                        stateful = true;
                }
        }
        for (size_t i = 0; s->rw_paths && s->rw_paths[i]; i++) {
                if (volatile_path(s->rw_paths[i]))
                        continue;
                if (v2c_path_is_under(s->rw_paths[i], "/var/lib") || v2c_path_is_under(s->rw_paths[i], "/srv") ||
                    v2c_path_is_under(s->rw_paths[i], "/var/spool") || v2c_path_is_under(s->rw_paths[i], "/home")) {
                        _cleanup_free_ char *ev = data_evidence(c, s->rw_paths[i]);
                        add_reason(s, "writes to %s%s%s", s->rw_paths[i], ev ? ", which " : "", ev ? ev : "");
                        stateful = true;
                }
        }
        if (stateful) {
                s->klass = V2C_CLASS_STATEFUL;
                return;
        }
        s->klass = V2C_CLASS_STATELESS;
        add_reason(s, "no database package, no StateDirectory=, no data kept under /var/lib, /srv or /var/spool");
}

static void move_data_paths(struct v2c_service *s)
{
        /* State and writable paths outside volatile places are data. */
        for (size_t i = 0; s->state_dirs && s->state_dirs[i]; i++)
                v2c_strv_push_unique(&s->data_paths, s->state_dirs[i]);
        for (size_t i = 0; s->rw_paths && s->rw_paths[i]; i++)
                if (!volatile_path(s->rw_paths[i]))
                        v2c_strv_push_unique(&s->data_paths, s->rw_paths[i]);
}

/* Debian splits interpreters: python3.11-minimal owns the binary, python3.11
 * brings the standard library a real program imports.  When the owner is
 * NAME-minimal and NAME is installed, NAME comes along. */
static void add_full_packages(struct inspect_ctx *c, char ***owners)
{
        size_t n = v2c_strv_len(*owners);
        for (size_t i = 0; c->pkgdb && i < n; i++) {
                const char *o = (*owners)[i];
                size_t len = strlen(o);
                if (len <= 8 || strcmp(o + len - 8, "-minimal") != 0)
                        continue;
                _cleanup_free_ char *full = strndup(o, len - 8);
                const struct v2c_pkg *p = full ? v2c_pkgdb_find(c->pkgdb, full) : NULL;
                if (p && p->installed)
                        v2c_strv_push_unique(owners, p->name);
        }
}

int inspect_analyze(struct inspect_ctx *c, struct v2c_service *s, struct v2c_error **err)
{
        _cleanup_strv_ char **owners = NULL, **roots = NULL, **app_files = NULL;
        (void) err;
        analyze_exec(c, s, &owners, &roots, &app_files);
        analyze_shell_target(c, s, &owners);
        add_full_packages(c, &owners);
        for (size_t i = 0; owners && owners[i]; i++)
                v2c_strv_push_unique(&roots, owners[i]);
        analyze_args(c, s, &roots, &app_files);

        if (c->pkgdb && roots) {
                const struct v2c_pkg **pkgs = NULL;
                _cleanup_strv_ char **missing = NULL;
                if (v2c_pkgdb_closure(c->pkgdb, roots, &pkgs, &missing, NULL) >= 0) {
                        for (size_t i = 0; pkgs && pkgs[i]; i++)
                                v2c_strv_push_unique(&s->packages, pkgs[i]->name);
                        free(pkgs);
                }
        }
        v2c_strv_sort_uniq(s->packages);

        if (s->argv) {
                struct v2c_ports ports;
                v2c_ports_init(&ports);
                if (v2c_ports_from_argv(s->argv, &ports, NULL) == 0)
                        for (size_t i = 0; i < ports.n; i++)
                                add_port(s, ports.items[i].port, ports.items[i].proto, "argv");
                v2c_ports_release(&ports);
        }
        const struct known_server *k = which_server(s);
        if (k && strcmp(s->kind, "cron") != 0)
                analyze_server_config(c, s, k);
        if (s->nports > 1)
                qsort(s->ports, s->nports, sizeof *s->ports, cmp_port);

        analyze_config_files(c, s, owners);
        /* Application files: what the service runs that no package owns, and
         * its working directory when that is not a system place. */
        for (size_t i = 0; app_files && app_files[i]; i++)
                v2c_strv_push_unique(&s->app_files, app_files[i]);
        if (s->working_dir && s->working_dir[0] == '/' && strcmp(s->working_dir, "/") != 0 &&
            (v2c_path_is_under(s->working_dir, "/opt") || v2c_path_is_under(s->working_dir, "/srv") ||
             v2c_path_is_under(s->working_dir, "/usr/local") || v2c_path_is_under(s->working_dir, "/home")))
                v2c_strv_push_unique(&s->app_files, s->working_dir);
        move_data_paths(s);
        classify(c, s, owners);
        redact_environment(c, s);

        v2c_strv_sort_uniq(s->libraries);
        v2c_strv_sort_uniq(s->config_files);
        v2c_strv_sort_uniq(s->data_paths);
        v2c_strv_sort_uniq(s->log_files);
        v2c_strv_sort_uniq(s->app_files);
        return 0;
}
