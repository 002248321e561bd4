/* The inspection report: what v2c inspect found in a guest, as one typed
 * structure, and its JSON document ("schema": "v2c.inspect/1",
 * docs/inspect-report.md and docs/inspect-report.schema.json).
 *
 * The structure lives in common/ because it crosses a module boundary:
 * inspect fills it and writes it out, convert (and inspect --report) read
 * it back.  Both directions walk the same field tables in report.c, so a
 * field is named once; a renamed member fails to compile in every user.
 * A report file may come from anywhere: the reader checks every type and
 * bound and its errors name the field by its JSON path
 * ("services[3].ports[0].port: not an integer from 1 to 65535").
 */
#ifndef V2C_REPORT_H
#define V2C_REPORT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "error.h"

#define V2C_INSPECT_SCHEMA "v2c.inspect/1"

enum v2c_service_class {
        V2C_CLASS_STATELESS,
        V2C_CLASS_STATEFUL,
        V2C_CLASS_SYSTEM,
        V2C_CLASS_REVIEW,   /* evidence missing or mixed: a person decides; convert treats it as stateful */
};

struct v2c_port {
        unsigned port;
        char proto[4];      /* "tcp" or "udp" */
        char *source;       /* "socket:echo.socket", "argv", "config:/etc/...", "default:nginx" */
};

/* A secret file a service needs at run time, as the guest has it. */
struct v2c_secret_file {
        char *path;
        char *kind;                /* the secret's kind ("private-key", ...) */
        char *owner, *group;       /* names from the guest's passwd and group, else the numbers */
        unsigned uid, gid;
        unsigned mode;             /* permission bits (07777) */
};

/* A connection the service's configuration makes to another service of
 * the same guest, over loopback or the VM's own addresses, or over a unix
 * socket: what splitting them into separate containers would break. */
struct v2c_link {
        char *service;      /* the service connected to */
        unsigned port;      /* its TCP port; 0 for a unix socket */
        char *socket;       /* the unix socket (or socket directory), or NULL */
        char *address;      /* the host as the configuration wrote it ("127.0.0.1", "localhost"), or NULL */
        char *found;        /* "FILE:LINE" of the configuration that names it */
        char *via;          /* the directive or variable: "proxy_pass", "REDIS_URL" */
};

/* One decision of the hardened spec and what it came from: a capability
 * ("CAP_NET_BIND_SERVICE") or a writable path, with "AmbientCapabilities=
 * (nginx.service)", "file capability of /usr/bin/ping", "port 80 below
 * 1024 as user www-data"... */
struct v2c_grant {
        char *what;
        char *from;
};

/* How tightly the service may run in a container, derived from what the
 * VM's unit says (User=, DynamicUser=, CapabilityBoundingSet=,
 * AmbientCapabilities=, NoNewPrivileges=, PrivateTmp=, ReadWritePaths=,
 * *Directory=, MemoryMax=, CPUQuota=, LimitNOFILE=...) and from the
 * executable's file capabilities and ports (inspect/harden.c). */
struct v2c_hardening {
        bool run_as_root;           /* the VM ran it as root (no User=, or root) */
        unsigned dynamic_uid;       /* DynamicUser=: the fixed uid it gets; 0 otherwise */
        char *user_from;            /* where its user came from */
        struct v2c_grant *capabilities;   /* added after dropping all, sorted */
        size_t ncapabilities;
        bool allow_privilege_escalation;
        char *escalation_from;
        char *seccomp;              /* "RuntimeDefault" */
        bool read_only_root;
        struct v2c_grant *writable; /* paths it may write: a volume each, sorted */
        size_t nwritable;
        unsigned long long memory_max;    /* bytes, 0: no limit */
        char *memory_from;
        unsigned cpu_millis;              /* 1000 = one CPU, 0: no limit */
        char *cpu_from;
        unsigned long long nofile;        /* open files (the hard limit), 0: not set */
        char *nofile_from;
        char **notes;               /* what was not carried over, and why */
        /* The numbers its image's user has in the guest's /etc/passwd and
         * /etc/group, resolved by v2c convert (never on the host): the
         * container runs as them, and the tmpfs over each writable path is
         * theirs.  Carried by the image's label io.v2c.hardening only ("run_as"),
         * never by the report; false: the image names no user it could resolve. */
        bool run_as_known;
        unsigned run_as_uid, run_as_gid;
};

/* A name and its value: a package and its version, a configuration file
 * and the digest of its content. */
struct v2c_keyval {
        char *key, *value;
};

/* The largest uid or gid a label may name: (uid_t) -1 means "no id" to the
 * kernel, and a larger number would wrap. */
#define V2C_ID_MAX 4294967294u

struct v2c_service {
        char *name;         /* unit name without ".service", init script name, cron job name */
        char *kind;         /* "systemd", "sysv", "openrc", "timer", "cron" */
        bool enabled;
        char *unit_path;    /* guest path of the unit file / script / crontab */
        char *description;
        char *type;         /* systemd Type=, "forking" for SysV scripts, NULL for cron */
        char *exec_path;    /* resolved executable, guest path */
        char **argv;        /* as the service starts it */
        char *interpreter;  /* "#!" interpreter of a script executable */
        char **capabilities; /* file capabilities of the executable (permitted set, "CAP_..."), or NULL */
        char *user, *group;
        bool dynamic_user;
        char *working_dir;
        char **environment;        /* KEY=VALUE, secret values redacted */
        char **environment_files;
        char *pid_file;
        char *kill_signal;
        char *schedule;            /* timers and cron jobs */
        char *triggers;            /* timer: the service it starts */
        char **state_dirs;         /* StateDirectory= etc. as guest paths */
        char **runtime_dirs, **logs_dirs, **cache_dirs, **rw_paths;
        struct v2c_port *ports;
        size_t nports;
        char **packages;           /* owners of the executable and their dependency closure */
        /* The installed version of each of packages that has one, as the
         * package database says it (rpm: [epoch:]version-release), in the
         * order of packages; none in a report of an older v2c. */
        struct v2c_keyval *package_versions;
        size_t npackage_versions;
        char **libraries;          /* ELF closure of executables no package owns */
        char **config_files;
        /* "sha256:<64 hex>" of the content of each of config_files that
         * could be read, in its order.  Never of a secret's file (the
         * report's secrets, secret_files): the digest of a short password
         * file can be brute-forced offline. */
        struct v2c_keyval *config_digests;
        size_t nconfig_digests;
        char **app_files;          /* the application's own files: unowned executables, scripts, its directory */
        char **data_paths;
        char **log_files;
        enum v2c_service_class klass;
        char **reasons;
        /* Secrets it needs at run time: those attributed to it, but for
         * its EnvironmentFile=s (their variables are asked for instead). */
        struct v2c_secret_file *secret_files;
        size_t nsecret_files;
        /* Files its configuration names (TLS keys and certificates,
         * password files): inspection only, not in the JSON. */
        char **referenced_files;
        /* Directories it serves to clients (nginx root/alias, apache2
         * DocumentRoot): inspection only, not in the JSON.  A secret lying
         * there is a finding, not a file the service needs to start. */
        char **content_dirs;
        struct v2c_link *links;    /* "connects_to": other services it reaches on the guest itself */
        size_t nlinks;
        struct v2c_hardening hardening;
        /* The unit's sandboxing and resource settings as read
         * ("NoNewPrivileges=yes", every assignment in order), for
         * inspect/harden.c: inspection only, not in the JSON. */
        char **unit_sandbox;
};

struct v2c_secret {
        char *path;
        char *kind;
        char **services;
};

struct v2c_os {
        char *distro, *version, *codename, *pretty_name;
        char *arch, *hostname, *package_format, *init;
        char **id_like;            /* os-release's ID_LIKE words ("rhel fedora"), or NULL */
        /* SELinux as /etc/selinux/config sets it (SELINUX=, SELINUXTYPE=);
         * NULL when the guest has no such file. */
        char *selinux, *selinux_policy;
        size_t packages;           /* installed packages, when read */
};

/* A file a disk guest was read from (see v2c_guest_sources). */
struct v2c_report_source {
        char *path, *format, *role;
};

struct v2c_report {
        char *source_kind;         /* "disk", "directory", "tar" */
        /* Every file read, when a disk image named others (--allow-backing);
         * else none. */
        struct v2c_report_source *source_files;
        size_t n_source_files;
        struct v2c_os os;
        struct v2c_service *services;
        size_t nservices;
        struct v2c_secret *secrets;
        size_t nsecrets;
        char **warnings;
};

struct v2c_report *v2c_report_free(struct v2c_report *r);
/* Frees what H holds and zeroes it. */
void v2c_hardening_release(struct v2c_hardening *h);
/* A deep copy of SRC into DST: 0 or -ENOMEM (DST then empty). */
int v2c_hardening_copy(const struct v2c_hardening *src, struct v2c_hardening *dst);
/* H as the JSON object of the image label io.v2c.hardening: the report's
 * "hardening", plus "run_as": {"uid": N, "gid": N} when known (new ref,
 * NULL without memory), and back: a value from anywhere (an image's
 * label) is checked as the report reader checks it, and "run_as" holds
 * two integers 0..V2C_ID_MAX, its uid 0 exactly when run_as_root (they
 * become the container's User and tmpfs mount options, so never text);
 * *OUT is new, untouched on failure. */
json_t *v2c_hardening_to_json(const struct v2c_hardening *h);
int v2c_hardening_from_json(const json_t *j, struct v2c_hardening *out, struct v2c_error **err);
/* True when H was derived (a report of this version): a report of an
 * older one has no "hardening", and nothing can be applied from it. */
static inline bool v2c_hardening_known(const struct v2c_hardening *h) { return h && h->seccomp != NULL; }
static inline void v2c_report_freep(struct v2c_report **r) { v2c_report_free(*r); }

const char *v2c_service_class_name(enum v2c_service_class c);

/* The report as the JSON document of docs/inspect-report.md (new ref, or
 * NULL without memory). */
json_t *v2c_report_to_json(const struct v2c_report *r);
/* Reads a report back from its JSON (J borrowed); *out is new.  A
 * malformed report fails with a V2C_ERR_INPUT error naming the field's
 * JSON path; *out is untouched on failure. */
int v2c_report_from_json(const json_t *j, struct v2c_report **out, struct v2c_error **err);

/* A new copy of R whose guest strings are as the JSON document writes
 * them: a name that is not UTF-8 reads "caf\xe9" (v2c_utf8_escape), the
 * form that can go into other JSON, YAML and messages as it is.  For
 * convert, which unescapes where it needs the guest's bytes. */
int v2c_report_escaped(const struct v2c_report *r, struct v2c_report **out, struct v2c_error **err);

/* The service called NAME (borrowed), or NULL. */
const struct v2c_service *v2c_report_service(const struct v2c_report *r, const char *name);

#endif
