/* What the parts of the inspection share; not part of the API. */
#ifndef V2C_INSPECT_INTERNAL_H
#define V2C_INSPECT_INTERNAL_H

#include "inspect.h"
#include "pkgdb.h"

/* Bounds on what one guest can make v2c read. */
#define INSPECT_MAX_FILE (1u << 20)       /* configs, unit files, crontabs */
#define INSPECT_MAX_BINARY (256u << 20)   /* executables and libraries */
#define INSPECT_MAX_UNITS 20000
#define INSPECT_MAX_SERVICES 5000
#define INSPECT_MAX_WARNINGS 1000

struct inspect_ctx {
        struct v2c_guest *g;
        struct v2c_report *rep;
        struct v2c_pkgdb *pkgdb;          /* NULL when the package database is not read */
        char *passwd;                      /* /etc/passwd, NUL-terminated, or NULL */
        char **ld_dirs;                    /* library directories from ld.so.conf */
        /* services being built */
        struct v2c_service *svc;
        size_t nsvc, capsvc;
        /* secrets found, and where they were referenced */
        char **env_secret_units;           /* units with secret-looking Environment= */
        size_t nwarnings, dropped_warnings;
        /* for progress on a terminal */
        char phase[160];                   /* "" before and after */
        size_t files_read;
};

/* Shows where the inspection is (its phase, services found, files read)
 * through common/progress, which decides whether anything is drawn;
 * FORCE for a new phase (else throttled). */
void inspect_progress(struct inspect_ctx *c, bool force);
int inspect_warn(struct inspect_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Reads a guest file; NULL data (and 0) when missing or too big. */
int inspect_read(struct inspect_ctx *c, const char *path, size_t max, char **data, size_t *len);
/* The home directory of USER from /etc/passwd into BUF; NULL when unknown
 * (or "/", which is nobody's home). */
const char *inspect_user_home(struct inspect_ctx *c, const char *user, char *buf, size_t size);
/* A new zeroed service appended to c->svc. */
struct v2c_service *inspect_new_service(struct inspect_ctx *c, const char *name, const char *kind);

/* services.c */
int inspect_systemd(struct inspect_ctx *c, bool include_disabled, struct v2c_error **err);
int inspect_sysv(struct inspect_ctx *c, struct v2c_error **err);
int inspect_cron(struct inspect_ctx *c, struct v2c_error **err);

/* openrc.c: init scripts of the sysinit, boot and default runlevels. */
int inspect_openrc(struct inspect_ctx *c, struct v2c_error **err);

/* analyze.c */
int inspect_analyze(struct inspect_ctx *c, struct v2c_service *s, struct v2c_error **err);
/* The config directory of postfix instance INST ("-" is /etc/postfix),
 * new; NULL when the guest has no such instance. */
char *inspect_postfix_instance_dir(struct inspect_ctx *c, const char *inst);
/* Architecture name from the ELF header of a guest file; new or NULL. */
char *inspect_elf_arch(struct inspect_ctx *c, const char *path);

/* deps.c: connections between the services of c->rep (every one analysed). */
int inspect_links(struct inspect_ctx *c, struct v2c_error **err);

/* scan.c */
int inspect_secrets(struct inspect_ctx *c, struct v2c_error **err);

/* digests.c: each service's package_versions and config_digests (after
 * inspect_secrets: no digest of a secret's file). */
int inspect_digests(struct inspect_ctx *c, struct v2c_error **err);

#endif
