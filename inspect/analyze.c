/* What each service needs and what it is: the executable and who owns it,
 * package closure, ELF library closure of unowned executables, the
 * interpreter of scripts, config files, ports, data paths, and the class
 * (stateless, stateful, system, review) with the reasons that decided it.
 * The class follows the rules of docs/inspect-report.md in their order;
 * what the service's own scripts write comes from writes.c. */
#include "inspect-internal.h"
#include "buf.h"
#include "caps.h"
#include "config-refs-internal.h"
#include "cleanup.h"
#include "elf.h"
#include "path.h"
#include "ports-internal.h"
#include "secrets.h"
#include "strv.h"
#include "unit-internal.h"
#include "writes-internal.h"

#include <errno.h>
#include <limits.h>
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
/* Debian's are php-fpmX.Y (matched by prefix in which_server). */
static const char *const phpfpm_execs[] = { "php-fpm", NULL };

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
        { V2C_SERVER_PHPFPM, phpfpm_execs, "/etc/php-fpm.conf" },
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
        /* trixie's postfix@.service runs "postfix debian-systemd-start"
         * (bookworm's "postmulti -i - -p start"); only an instance of
         * postfix@ is the mail server, not a hook of the same name. */
        if (strcmp(b, "postfix") == 0 && s->name && strncmp(s->name, "postfix@", 8) == 0)
                b = "postmulti";
        /* Debian versions php-fpm's name: php-fpm8.2. */
        if (strncmp(b, "php-fpm", 7) == 0 && b[7] >= '0' && b[7] <= '9')
                b = "php-fpm";
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
                if ((strcmp(a, "-c") == 0 || strcmp(a, "-f") == 0 || strcmp(a, "--config") == 0 ||
                     (k->server == V2C_SERVER_PHPFPM && (strcmp(a, "-y") == 0 || strcmp(a, "--fpm-config") == 0))) &&
                    s->argv[i + 1])
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
        if (k->server == V2C_SERVER_PHPFPM) {
                /* Debian: /etc/php/X.Y/fpm, X.Y from php-fpmX.Y; SUSE:
                 * /etc/php7/fpm, /etc/php8/fpm. */
                const char *b = v2c_path_basename(s->exec_path);
                char *p = NULL;
                if (strlen(b) > 7 && strlen(b) < 32 && strspn(b + 7, "0123456789.") == strlen(b + 7) &&
                    asprintf(&p, "/etc/php/%s/fpm/php-fpm.conf", b + 7) >= 0) {
                        if (v2c_guest_exists(c->g, p, V2C_FT_REG))
                                return p;
                        free(p);
                }
                static const char *const places[] = { "/etc/php8/fpm/php-fpm.conf", "/etc/php7/fpm/php-fpm.conf" };
                for (size_t i = 0; i < V2C_ARRAY_SIZE(places); i++)
                        if (v2c_guest_exists(c->g, places[i], V2C_FT_REG))
                                return strdup(places[i]);
        }
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
                if (v2c_path_normalize("/", cfg->content_dirs[i], &p) == 0 && v2c_guest_exists(c->g, p, V2C_FT_DIR)) {
                        v2c_strv_push_unique(&s->app_files, p);
                        v2c_strv_push_unique(&s->content_dirs, p);
                }
        }
        for (size_t i = 0; cfg->log_paths && cfg->log_paths[i]; i++)
                if (cfg->log_paths[i][0] == '/')
                        v2c_strv_push_unique(&s->log_files, cfg->log_paths[i]);
        for (size_t i = 0; cfg->work_dirs && cfg->work_dirs[i]; i++) {
                _cleanup_free_ char *p = NULL;
                if (v2c_path_normalize("/", cfg->work_dirs[i], &p) == 0 && strcmp(p, "/") != 0)
                        v2c_strv_push_unique(&s->cache_dirs, p);
        }
        v2c_svc_config_free(cfg);
}

/* Most files one service's configuration may name that are looked at
 * (a haproxy crt directory counts each file in it). */
#define MAX_REFERENCED_FILES 4096

static void add_referenced(struct inspect_ctx *c, struct v2c_service *s, const char *ref)
{
        _cleanup_free_ char *real = NULL;
        struct v2c_stat st;
        if (v2c_strv_len(s->referenced_files) >= MAX_REFERENCED_FILES ||
            v2c_guest_realpath(c->g, ref, &real, NULL) < 0 || v2c_guest_stat(c->g, real, &st, NULL) < 0)
                return;
        if (st.type == V2C_FT_REG) {
                /* Both spellings: the secret scan names files as it walked to them. */
                v2c_strv_push_unique(&s->referenced_files, ref);
                v2c_strv_push_unique(&s->referenced_files, real);
                return;
        }
        if (st.type != V2C_FT_DIR)
                return;
        /* haproxy's "crt DIR" loads every certificate in DIR. */
        struct v2c_dirent *ents = NULL;
        size_t n = 0;
        if (v2c_guest_list(c->g, real, &ents, &n, NULL) < 0)
                return;
        for (size_t i = 0; i < n && v2c_strv_len(s->referenced_files) < MAX_REFERENCED_FILES; i++) {
                _cleanup_free_ char *p = NULL;
                if (ents[i].st.type == V2C_FT_REG && asprintf(&p, "%s/%s", strcmp(real, "/") ? real : "",
                                                              ents[i].name) >= 0)
                        v2c_strv_push_unique(&s->referenced_files, p);
        }
        v2c_dirents_free(ents, n);
}

/* Files the service's configuration names (TLS keys and certificates,
 * password files): the secret scan gives it those that are secrets, and
 * the others are configuration the image needs. */
static void analyze_config_refs(struct inspect_ctx *c, struct v2c_service *s)
{
        static const struct { const char *exec, *server, *config; } servers[] = {
                { "nginx", "nginx", NULL }, { "apache2", "apache2", NULL }, { "apache2ctl", "apache2", NULL },
                { "apachectl", "apache2", NULL }, { "httpd", "apache2", NULL }, { "haproxy", "haproxy", NULL },
                { "redis-server", "redis", NULL }, { "postgres", "postgresql", NULL },
                { "postmaster", "postgresql", NULL }, { "pg_ctlcluster", "postgresql", NULL },
                { "pg_ctl", "postgresql", NULL }, { "mysqld", "mysql", NULL }, { "mariadbd", "mysql", NULL },
                { "mysqld_safe", "mysql", NULL }, { "mariadbd-safe", "mysql", NULL },
                { "postfix", "postfix", "/etc/postfix/main.cf" }, { "master", "postfix", "/etc/postfix/main.cf" },
                { "dovecot", "dovecot", "/etc/dovecot/dovecot.conf" },
        };
        if (s->exec_path == NULL || strcmp(s->kind, "cron") == 0)
                return;
        const char *b = v2c_path_basename(s->exec_path);
        for (size_t i = 0; i < V2C_ARRAY_SIZE(servers); i++) {
                if (strcmp(b, servers[i].exec) != 0)
                        continue;
                const struct known_server *k = which_server(s);
                _cleanup_free_ char *conf = NULL;
                if (servers[i].config)
                        conf = v2c_guest_exists(c->g, servers[i].config, V2C_FT_REG) ? strdup(servers[i].config) : NULL;
                else if (k)
                        conf = server_config(c, s, k);
                _cleanup_free_ char *data = NULL;
                size_t len;
                if (conf == NULL || inspect_read(c, conf, INSPECT_MAX_FILE, &data, &len) < 0 || data == NULL)
                        return;
                v2c_strv_push_unique(&s->config_files, conf);
                struct inc_ctx ic = { c, &s->config_files };
                struct v2c_include_reader inc = { read_include, &ic };
                _cleanup_strv_ char **refs = NULL;
                struct v2c_error *e = NULL;
                if (v2c_config_refs((enum v2c_refs_server) v2c_refs_server_from_name(servers[i].server), conf, data,
                                    len, &inc, &refs, &e) < 0) {
                        inspect_warn(c, "%s: files it names: %s", conf, e ? e->msg : "unreadable");
                        v2c_error_free(e);
                        return;
                }
                for (size_t k2 = 0; refs && refs[k2]; k2++)
                        add_referenced(c, s, refs[k2]);
                v2c_strv_sort_uniq(s->referenced_files);
                return;
        }
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
        /* /etc/NAME and /etc/default/NAME (the RHEL family's and SUSE's
         * /etc/sysconfig/NAME), for NAME the service or its executable. */
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
                snprintf(p, sizeof p, "/etc/sysconfig/%s", names[i]);
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
        "kafka*", "couchdb", "neo4j", "clickhouse-server", "minio", "slapd", "dovecot*",
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

/* Packages whose daemon keeps data in a known place when it has any: a
 * bind9 with dynamic zones keeps them (and their journals) in /var/lib/bind,
 * a cache-only resolver leaves it empty and its cache in /var/cache/bind;
 * postfix's queue holds mail not yet delivered. */
static const struct {
        const char *package, *dir;
} package_data[] = {
        { "bind9", "/var/lib/bind" },
        { "postfix", "/var/spool/postfix" },
};

#define EVIDENCE_MAX_FILES 16     /* scripts and programs read per service */
#define EVIDENCE_MAX_REASONS 6    /* reasons of one kind kept per service */

/* What the service's own programs showed: strong evidence decides
 * stateful; weak or unknown evidence, review. */
struct evidence {
        char **strong, **weak, **unknown;
        char **data_dirs;         /* directories that hold what strong evidence writes */
        char **read;              /* files read, for the reasons */
        bool unread;              /* a program it runs could not be read as a script */
        bool dropped;             /* evidence past EVIDENCE_MAX_REASONS */
};

static void evidence_release(struct evidence *ev)
{
        v2c_strv_free(ev->strong);
        v2c_strv_free(ev->weak);
        v2c_strv_free(ev->unknown);
        v2c_strv_free(ev->data_dirs);
        v2c_strv_free(ev->read);
}

static void evidence_add(struct evidence *ev, char ***list, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void evidence_add(struct evidence *ev, char ***list, const char *fmt, ...)
{
        if (v2c_strv_len(*list) >= EVIDENCE_MAX_REASONS) {
                ev->dropped = true;
                return;
        }
        char *r = NULL;
        va_list ap;
        va_start(ap, fmt);
        int n = vasprintf(&r, fmt, ap);
        va_end(ap);
        if (n >= 0 && !v2c_strv_contains(*list, r))
                v2c_strv_consume(list, r);
        else
                free(r);
}

static const char *access_verb(enum v2c_access_kind k)
{
        switch (k) {
        case V2C_ACCESS_WRITE: return "writes";
        case V2C_ACCESS_APPEND: return "appends to";
        case V2C_ACCESS_MKDIR: return "creates the directory";
        case V2C_ACCESS_DATABASE: return "opens the database";
        case V2C_ACCESS_NAME: return "names";
        }
        return "uses";
}

/* The directory a volume would hold for a written path: the directory
 * created, or the parent of a file (a volume is a directory: SQLite also
 * writes its journal next to the database), but never a top-level
 * directory or data root itself (/var/lib/x.db keeps the file). */
static void add_data_dir(struct evidence *ev, const char *path, enum v2c_access_kind k)
{
        _cleanup_free_ char *dir = k == V2C_ACCESS_MKDIR ? strdup(path) : v2c_path_dirname(path);
        if (dir == NULL)
                return;
        bool root = strchr(dir + 1, '/') == NULL;
        static const char *const roots[] = { "/var/lib", "/var/spool", "/var/mail", "/var/backups", "/var/opt",
                                             "/usr/local", "/usr/local/var" };
        for (size_t i = 0; !root && i < V2C_ARRAY_SIZE(roots); i++)
                root = strcmp(dir, roots[i]) == 0;
        v2c_strv_push_unique(&ev->data_dirs, root ? path : dir);
}

/* Weighs one access; where says where it was seen ("/etc/init.d/x:42"). */
static void weigh_access(struct evidence *ev, const char *where, const struct v2c_access *a, char *const *names)
{
        const char *p = a->path;
        /* The place follows from the known start of the path: "/var/lib/x/$ID" is data. */
        _cleanup_free_ char *prefix = strndup(a->path, a->known_len);
        if (prefix && !a->known) {
                char *slash = strrchr(prefix, '/');
                if (slash)
                        slash[slash == prefix] = '\0';
                else
                        prefix[0] = '\0';
        }
        bool placed = prefix && prefix[0] == '/' && (a->known || strcmp(prefix, "/") != 0);
        enum v2c_place place = placed ? v2c_path_place(prefix, a->kind == V2C_ACCESS_NAME ? NULL : names)
                                      : V2C_PLACE_OTHER;
        bool db = a->kind == V2C_ACCESS_DATABASE || (a->known && v2c_is_database_file(a->path));
        if (placed && place == V2C_PLACE_VOLATILE)
                return;
        if (a->kind == V2C_ACCESS_NAME) {
                if (placed && place == V2C_PLACE_DATA)
                        evidence_add(ev, &ev->weak, "names %s (%s) without a write v2c can follow", p, where);
                else if (db)
                        evidence_add(ev, &ev->weak, "names the database file %s (%s)", p, where);
                return;
        }
        if (db || (placed && place == V2C_PLACE_DATA)) {
                evidence_add(ev, &ev->strong, "%s %s (%s)", access_verb(db ? V2C_ACCESS_DATABASE : a->kind), p,
                             where);
                if (placed)
                        add_data_dir(ev, a->known ? a->path : prefix, a->known ? a->kind : V2C_ACCESS_MKDIR);
                return;
        }
        if (!placed)
                evidence_add(ev, &ev->unknown, "%s %s, a path known only at run time (%s)", access_verb(a->kind), p,
                             where);
        else
                evidence_add(ev, &ev->weak, "%s %s, outside the usual data places (%s)", access_verb(a->kind), p,
                             where);
}

#define NO_LINE UINT_MAX   /* text whose lines mean nothing to a reader (an ExecStart= argument) */

/* Weighs what a piece of script text writes.  label names where it comes
 * from; its lines are cited as label:N, counting from line_base + 1 (a
 * file: 0; a crontab job on line L: L - 1), or not at all with NO_LINE.
 * Scripts it runs are queued in *todo. */
static int scan_text(struct evidence *ev, enum v2c_script_lang lang, const char *text, size_t len, const char *label,
                     unsigned line_base, char *const *vars, char *const *names, char ***todo)
{
        struct v2c_accesses a = { 0 };
        if (v2c_script_accesses(lang, text, len, vars, &a, NULL) < 0)
                return -EINVAL;
        for (size_t i = 0; i < a.n; i++) {
                _cleanup_free_ char *where = NULL;
                if (line_base != NO_LINE && asprintf(&where, "%s:%u", label, line_base + a.items[i].line) < 0)
                        where = NULL;
                weigh_access(ev, where ? where : label, &a.items[i], names);
        }
        if (a.truncated)
                evidence_add(ev, &ev->unknown, "%s does more than v2c follows (over %d paths)", label, V2C_ACCESS_MAX);
        for (size_t i = 0; a.calls && a.calls[i]; i++)
                if (!v2c_path_is_under(a.calls[i], "/etc/default") && !v2c_path_is_under(a.calls[i], "/etc/sysconfig") &&
                    !v2c_path_is_under(a.calls[i], "/lib/lsb"))
                        v2c_strv_push_unique(todo, a.calls[i]);
        v2c_accesses_release(&a);
        return 0;
}

/* The language a file is written in: its "#!" line, else its name, else
 * the interpreter the service runs it with. */
static enum v2c_script_lang file_lang(const char *path, const char *data, size_t len, const char *interp)
{
        struct v2c_shebang *sb = NULL;
        enum v2c_script_lang l = V2C_SCRIPT_OTHER;
        if (v2c_shebang_parse(data, len, &sb, NULL) > 0 && sb) {
                l = v2c_script_lang(sb->name ? sb->name : sb->interpreter);
                v2c_shebang_free(sb);
                return l;
        }
        const char *dot = strrchr(v2c_path_basename(path), '.');
        if (dot && strcmp(dot, ".py") == 0)
                return V2C_SCRIPT_PYTHON;
        if (dot && (strcmp(dot, ".pl") == 0 || strcmp(dot, ".pm") == 0))
                return V2C_SCRIPT_PERL;
        if (dot && strcmp(dot, ".sh") == 0)
                return V2C_SCRIPT_SHELL;
        return v2c_script_lang(interp);
}

/* Reads one of the service's own files and weighs what it writes; shell
 * scripts it runs that no package owns are queued in *todo. */
static void scan_file(struct inspect_ctx *c, struct evidence *ev, const char *path, const char *interp,
                      char *const *vars, char *const *names, char ***todo, bool must_read)
{
        _cleanup_free_ char *data = NULL;
        size_t len = 0;
        if (inspect_read(c, path, INSPECT_MAX_BINARY, &data, &len) < 0 || data == NULL) {
                ev->unread |= must_read;
                return;
        }
        if (v2c_is_elf(data, len)) {
                /* A compiled program: the paths among its strings are weak evidence. */
                _cleanup_strv_ char **paths = NULL;
                ev->unread |= must_read;
                if (v2c_binary_data_paths(data, len, names, &paths) == 0)
                        for (size_t i = 0; paths && paths[i]; i++)
                                evidence_add(ev, &ev->weak, "the compiled program %s holds the path %s", path,
                                             paths[i]);
                return;
        }
        enum v2c_script_lang lang = file_lang(path, data, len, interp);
        if (lang == V2C_SCRIPT_OTHER || len > INSPECT_MAX_FILE ||
            scan_text(ev, lang, data, len, path, 0, vars, names, todo) < 0) {
                ev->unread |= must_read;
                return;
        }
        v2c_strv_push_unique(&ev->read, path);
}

/* Reads what the service runs that is its own: the init script of a SysV
 * or OpenRC service, its executable when no package owns it, the
 * application files it names (scripts and programs, not directories), and
 * the scripts these run that no package owns. */
static void gather_evidence(struct inspect_ctx *c, struct v2c_service *s, char *const *owners, struct evidence *ev)
{
        _cleanup_strv_ char **names = NULL, **vars = NULL, **todo = NULL, **seen = NULL;
        /* "postgresql@15-main" is postgresql's; "cron:webapp:6", a job of webapp's crontab. */
        const char *nm = s->name;
        if (strcmp(s->kind, "cron") == 0 && strchr(nm, ':'))
                nm = strchr(nm, ':') + 1;
        _cleanup_free_ char *base = strndup(nm, strcspn(nm, "@:"));
        if (base && *base)
                v2c_strv_push(&names, base);
        for (size_t i = 0; owners && owners[i]; i++)
                v2c_strv_push_unique(&names, owners[i]);
        for (size_t i = 0; s->environment_files && s->environment_files[i]; i++) {
                _cleanup_free_ char *data = NULL;
                size_t len, bad;
                _cleanup_strv_ char **kv = NULL;
                if (inspect_read(c, s->environment_files[i], INSPECT_MAX_FILE, &data, &len) == 0 && data &&
                    v2c_envfile_parse(data, len, &kv, &bad, NULL) == 0)
                        for (size_t k = 0; kv && kv[k]; k++)
                                v2c_strv_push(&vars, kv[k]);
        }
        for (size_t i = 0; s->environment && s->environment[i]; i++)
                v2c_strv_push(&vars, s->environment[i]);

        /* Script text in the service's own definition: a cron job's command
         * line, "sh -c '...'" or "python3 -c '...'" in ExecStart=. */
        if (strcmp(s->kind, "cron") == 0 && s->description && s->unit_path) {
                const char *colon = strrchr(s->name, ':');
                unsigned line = colon ? (unsigned) strtoul(colon + 1, NULL, 10) : 0;
                scan_text(ev, V2C_SCRIPT_SHELL, s->description, strlen(s->description), s->unit_path,
                          line ? line - 1 : NO_LINE, vars, names, &todo);
        }
        enum v2c_script_lang exec_lang = s->exec_path ? v2c_script_lang(s->exec_path) : V2C_SCRIPT_OTHER;
        for (size_t i = 1; exec_lang != V2C_SCRIPT_OTHER && s->argv && s->argv[i] && s->argv[i + 1]; i++)
                if (strcmp(s->argv[i], exec_lang == V2C_SCRIPT_PERL ? "-e" : "-c") == 0) {
                        _cleanup_free_ char *label = NULL;
                        if (asprintf(&label, "%s, the %s %s command", s->unit_path ? s->unit_path : s->name,
                                     v2c_path_basename(s->exec_path), s->argv[i]) >= 0 &&
                            scan_text(ev, exec_lang, s->argv[i + 1], strlen(s->argv[i + 1]), label, NO_LINE, vars,
                                      names, &todo) == 0)
                                v2c_strv_push_unique(&ev->read, label);
                        break;
                }

        bool init_script = s->unit_path && (strcmp(s->kind, "sysv") == 0 || strcmp(s->kind, "openrc") == 0);
        if (init_script) {
                v2c_strv_push(&seen, s->unit_path);
                scan_file(c, ev, s->unit_path, "/bin/sh", vars, names, &todo, true);
        }
        /* The program itself: a packaged one is judged by its package (rule 2,
         * 6), an own script or binary by what it holds. */
        bool exec_packaged = false;
        if (s->exec_path) {
                _cleanup_free_ char *real = NULL;
                if (v2c_guest_realpath(c->g, s->exec_path, &real, NULL) == 0)
                        exec_packaged = !v2c_strv_contains(s->app_files, real);
                else
                        ev->unread = true;
        }
        if (exec_packaged && !is_interpreter(s->exec_path))
                ev->unread = true;
        for (size_t i = 0; s->app_files && s->app_files[i]; i++)
                if (v2c_guest_exists(c->g, s->app_files[i], V2C_FT_REG))
                        v2c_strv_push_unique(&todo, s->app_files[i]);
        for (size_t i = 0; todo && todo[i] && v2c_strv_len(seen) < EVIDENCE_MAX_FILES; i++) {
                if (v2c_strv_contains(seen, todo[i]))
                        continue;
                v2c_strv_push(&seen, todo[i]);
                _cleanup_free_ char *real = NULL;
                if (v2c_guest_realpath(c->g, todo[i], &real, NULL) < 0 || !v2c_guest_exists(c->g, real, V2C_FT_REG))
                        continue;
                /* Programs of the OS (/bin/mkdir) are not the service's own. */
                bool own = v2c_strv_contains(s->app_files, todo[i]) || owner_of(c, todo[i], real) == NULL;
                if (!own)
                        continue;
                bool is_exec = s->exec_path && (strcmp(todo[i], s->exec_path) == 0 || strcmp(real, s->exec_path) == 0);
                scan_file(c, ev, real, s->interpreter ? s->interpreter : s->exec_path, vars, names, &todo,
                          is_exec || v2c_strv_contains(s->app_files, todo[i]));
        }
        if (todo && v2c_strv_len(seen) >= EVIDENCE_MAX_FILES && v2c_strv_len(todo) > EVIDENCE_MAX_FILES)
                evidence_add(ev, &ev->unknown, "runs more of its own programs than v2c reads (%d)", EVIDENCE_MAX_FILES);
}

static bool long_running(const struct v2c_service *s)
{
        if (strcmp(s->kind, "sysv") == 0 || strcmp(s->kind, "openrc") == 0)
                return true;
        return strcmp(s->kind, "systemd") == 0 && !(s->type && strcmp(s->type, "oneshot") == 0);
}

static void add_reasons(struct v2c_service *s, char *const *list)
{
        for (size_t i = 0; list && list[i]; i++)
                add_reason(s, "%s", list[i]);
}

static char *joined(char *const *list, size_t max)
{
        struct v2c_buf b;
        v2c_buf_init(&b, 4096);
        for (size_t i = 0; list && list[i] && i < max; i++)
                v2c_buf_appendf(&b, "%s%s", i ? ", " : "", list[i]);
        if (v2c_strv_len(list) > max)
                v2c_buf_appendf(&b, "...");
        return v2c_buf_steal(&b);
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
        for (size_t i = 0; owners && owners[i]; i++)
                for (size_t k = 0; k < V2C_ARRAY_SIZE(package_data); k++) {
                        if (strcmp(owners[i], package_data[k].package) != 0)
                                continue;
                        _cleanup_free_ char *ev = data_evidence(c, package_data[k].dir);
                        if (ev) {
                                add_reason(s, "package %s keeps its data in %s, which %s", owners[i],
                                           package_data[k].dir, ev);
                                v2c_strv_push_unique(&s->data_paths, package_data[k].dir);
                                stateful = true;
                        }
                }
        if (stateful) {
                s->klass = V2C_CLASS_STATEFUL;
                return;
        }

        /* What its own programs write. */
        _cleanup_(evidence_release) struct evidence ev = { 0 };
        gather_evidence(c, s, owners, &ev);
        if (ev.strong) {
                add_reasons(s, ev.strong);
                for (size_t i = 0; ev.data_dirs && ev.data_dirs[i]; i++)
                        v2c_strv_push_unique(&s->data_paths, ev.data_dirs[i]);
                s->klass = V2C_CLASS_STATEFUL;
                return;
        }
        if (ev.weak || ev.unknown) {
                add_reasons(s, ev.unknown);
                add_reasons(s, ev.weak);
                if (ev.dropped)
                        add_reason(s, "and more of the same");
                add_reason(s, "no write under /var/lib, /var/spool, /srv, /var/opt or /home decides it either way: "
                              "check where it keeps data before converting it");
                s->klass = V2C_CLASS_REVIEW;
                return;
        }
        _cleanup_free_ char *read = joined(ev.read, 4);
        if (long_running(s) && s->nports == 0 && !s->dynamic_user && (ev.unread || ev.read == NULL)) {
                /* A daemon nobody connects to works on something: files,
                 * most likely.  Without reading what it runs, say so. */
                add_reason(s, "a long-running service with no port, whose program %s v2c cannot read for what it "
                              "writes (a compiled or packaged program)", s->exec_path ? s->exec_path : "(unknown)");
                add_reason(s, "nothing shows it keeps data, nothing shows it does not: check before converting it");
                s->klass = V2C_CLASS_REVIEW;
                return;
        }
        s->klass = V2C_CLASS_STATELESS;
        add_reason(s, "no database package, no StateDirectory=, no data kept under /var/lib, /srv or /var/spool");
        if (s->dynamic_user && s->nports == 0)
                add_reason(s, "DynamicUser=yes: systemd lets it write nowhere that lasts but its declared directories");
        else if (read && *read)
                add_reason(s, "its own programs (%s) write nothing outside /run, /tmp, /var/log and /var/cache", read);
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
        analyze_config_refs(c, s);
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
