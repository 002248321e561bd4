/* Looking for secrets that must never end up in an image: private keys,
 * SSH host keys, cloud credentials, env files with passwords or tokens,
 * .pgpass, .netrc, htpasswd.  Only paths and kinds are reported, never a
 * value.  Each secret lists the services that use it. */
#include "inspect-internal.h"
#include "cleanup.h"
#include "path.h"
#include "secrets.h"
#include "strv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SCAN_MAX_ENTRIES 200000
#define SCAN_MAX_DEPTH 12

static const char *const scan_roots[] = { "/etc", "/root", "/home", "/opt", "/srv", "/var/www", "/usr/local/etc" };

struct scan {
        struct inspect_ctx *c;
        size_t entries;
        char **candidates;       /* NULL-terminated; deduplicated once at the end */
        size_t ncand, capcand;
};

/* Appends in amortised O(1): a hostile tree can offer 100,000 candidates. */
static int add_candidate(struct scan *sc, const char *path)
{
        if (sc->ncand + 1 >= sc->capcand) {
                size_t ncap = sc->capcand ? sc->capcand * 2 : 64;
                char **n = realloc(sc->candidates, ncap * sizeof *n);
                if (n == NULL)
                        return -ENOMEM;
                sc->candidates = n;
                sc->capcand = ncap;
        }
        char *copy = strdup(path);
        if (copy == NULL)
                return -ENOMEM;
        sc->candidates[sc->ncand++] = copy;
        sc->candidates[sc->ncand] = NULL;
        return 0;
}

static void walk(struct scan *sc, const char *dir, unsigned depth)
{
        if (depth > SCAN_MAX_DEPTH || sc->entries >= SCAN_MAX_ENTRIES)
                return;
        struct v2c_dirent *ents = NULL;
        size_t n = 0;
        if (v2c_guest_list(sc->c->g, dir, &ents, &n, NULL) < 0)
                return;
        for (size_t i = 0; i < n && sc->entries < SCAN_MAX_ENTRIES; i++) {
                sc->entries++;
                _cleanup_free_ char *p = NULL;
                if (asprintf(&p, "%s/%s", strcmp(dir, "/") ? dir : "", ents[i].name) < 0)
                        break;
                if (ents[i].st.type == V2C_FT_DIR)
                        walk(sc, p, depth + 1);
                else if (ents[i].st.type == V2C_FT_REG && ents[i].st.size <= INSPECT_MAX_FILE &&
                         v2c_secret_name_is_candidate(p))
                        add_candidate(sc, p);
        }
        v2c_dirents_free(ents, n);
}

static bool under_any(const char *path, char *const *v)
{
        for (size_t i = 0; v && v[i]; i++)
                if (v2c_path_is_under(path, v[i]))
                        return true;
        return false;
}

/* Does service S use the secret at PATH? */
static bool service_uses(struct inspect_ctx *c, const struct v2c_service *s, const char *path, const char *kind)
{
        if (strcmp(kind, "ssh-host-key") == 0)
                return s->exec_path && strcmp(v2c_path_basename(s->exec_path), "sshd") == 0;
        /* Its configuration names the file (ssl_certificate_key...). */
        if (v2c_strv_contains(s->referenced_files, path))
                return true;
        if (v2c_strv_contains(s->environment_files, path) || v2c_strv_contains(s->config_files, path) ||
            (s->unit_path && strcmp(s->unit_path, path) == 0))
                return true;
        if (under_any(path, s->app_files) || under_any(path, s->data_paths))
                return true;
        if (s->working_dir && strcmp(s->working_dir, "/") != 0 && v2c_path_is_under(path, s->working_dir))
                return true;
        /* /etc/nginx/.htpasswd belongs with a service configured in
         * /etc/nginx; not so the directories of every service's settings,
         * Debian's /etc/default, the RHEL family's and SUSE's
         * /etc/sysconfig, OpenRC's /etc/conf.d. */
        for (size_t i = 0; s->config_files && s->config_files[i]; i++) {
                const char *cf = s->config_files[i];
                if (!v2c_path_is_under(cf, "/etc") || strncmp(cf, "/etc/default/", 13) == 0 ||
                    strncmp(cf, "/etc/sysconfig/", 15) == 0 || strncmp(cf, "/etc/conf.d/", 12) == 0)
                        continue;
                const char *second = strchr(cf + 5, '/');
                if (second == NULL)
                        continue;
                _cleanup_free_ char *top = strndup(cf, (size_t) (second - cf));
                if (top && v2c_path_is_under(path, top))
                        return true;
        }
        char home[512];
        const char *h = s->dynamic_user ? NULL : inspect_user_home(c, s->user ? s->user : "root", home, sizeof home);
        /* A user's home belongs to the services running as that user; root's
         * home is the administrator's, not every root service's. */
        if (h && s->user && strcmp(s->user, "root") != 0 && v2c_path_is_under(path, h))
                return true;
        return false;
}

/* CHECK: look for the same finding first (only needed where two sources
 * can report one file; candidates are unique by then). */
static int add_secret(struct inspect_ctx *c, const char *path, const char *kind, bool check)
{
        struct v2c_report *r = c->rep;
        for (size_t i = 0; check && i < r->nsecrets; i++)
                if (strcmp(r->secrets[i].path, path) == 0 && strcmp(r->secrets[i].kind, kind) == 0)
                        return 0;
        struct v2c_secret *n = realloc(r->secrets, (r->nsecrets + 1) * sizeof *n);
        if (n == NULL)
                return -ENOMEM;
        r->secrets = n;
        struct v2c_secret *s = &r->secrets[r->nsecrets];
        memset(s, 0, sizeof *s);
        s->path = strdup(path);
        s->kind = strdup(kind);
        if (s->path == NULL || s->kind == NULL) {
                free(s->path);
                free(s->kind);
                return -ENOMEM;
        }
        r->nsecrets++;
        for (size_t i = 0; i < r->nservices; i++)
                if (service_uses(c, &r->services[i], path, kind))
                        v2c_strv_push_unique(&s->services, r->services[i].name);
        v2c_strv_sort_uniq(s->services);
        return 0;
}

/* The name of id ID in a passwd or group file (third field), into BUF. */
static const char *name_of_id(const char *db, unsigned id, char *buf, size_t size)
{
        for (const char *line = db; line && *line;) {
                const char *nl = strchr(line, '\n');
                size_t n = nl ? (size_t) (nl - line) : strlen(line);
                const char *c1 = memchr(line, ':', n);
                const char *c2 = c1 ? memchr(c1 + 1, ':', n - (size_t) (c1 + 1 - line)) : NULL;
                const char *c3 = c2 ? memchr(c2 + 1, ':', n - (size_t) (c2 + 1 - line)) : NULL;
                if (c3 && (size_t) (c1 - line) < size && c1 > line) {
                        char num[16];
                        size_t k = (size_t) (c3 - c2 - 1);
                        if (k > 0 && k < sizeof num) {
                                memcpy(num, c2 + 1, k);
                                num[k] = '\0';
                                char *end;
                                unsigned long v = strtoul(num, &end, 10);
                                if (*end == '\0' && v == id) {
                                        memcpy(buf, line, (size_t) (c1 - line));
                                        buf[c1 - line] = '\0';
                                        return buf;
                                }
                        }
                }
                line = nl ? nl + 1 : NULL;
        }
        snprintf(buf, size, "%u", id);
        return buf;
}

/* The secrets service S needs at run time, with their guest owner and
 * mode (convert mounts them read-only with that mode, and the image's
 * entrypoint checks for them); and the files its configuration names that
 * are not secrets, which its image carries as configuration. */
static int service_secret_files(struct inspect_ctx *c, struct v2c_service *s)
{
        struct v2c_report *rep = c->rep;
        _cleanup_free_ char *group = NULL;
        size_t glen;
        for (size_t i = 0; i < rep->nsecrets; i++) {
                const struct v2c_secret *sec = &rep->secrets[i];
                /* An EnvironmentFile= is read by the service manager, not
                 * the service: its variables are asked for instead. */
                if (!v2c_strv_contains(sec->services, s->name) || v2c_strv_contains(s->environment_files, sec->path))
                        continue;
                /* A key left in a web root is served, not used: it stays
                 * out of the image (a secret of the service) but is not
                 * asked for at start, unless the configuration names it. */
                if (under_any(sec->path, s->content_dirs) && !v2c_strv_contains(s->referenced_files, sec->path) &&
                    !v2c_strv_contains(s->config_files, sec->path))
                        continue;
                bool dup = false;
                for (size_t k = 0; k < s->nsecret_files; k++)
                        dup |= strcmp(s->secret_files[k].path, sec->path) == 0;
                struct v2c_stat st;
                if (dup || v2c_guest_stat(c->g, sec->path, &st, NULL) < 0 || st.type != V2C_FT_REG)
                        continue;
                if (group == NULL && inspect_read(c, "/etc/group", INSPECT_MAX_FILE, &group, &glen) < 0)
                        group = NULL;
                struct v2c_secret_file *n = realloc(s->secret_files, (s->nsecret_files + 1) * sizeof *n);
                if (n == NULL)
                        return -ENOMEM;
                s->secret_files = n;
                char ubuf[256], gbuf[256];
                struct v2c_secret_file *f = &n[s->nsecret_files];
                *f = (struct v2c_secret_file) {
                        .path = strdup(sec->path), .kind = strdup(sec->kind),
                        .owner = strdup(name_of_id(c->passwd, st.uid, ubuf, sizeof ubuf)),
                        .group = strdup(name_of_id(group, st.gid, gbuf, sizeof gbuf)),
                        .uid = st.uid, .gid = st.gid, .mode = st.mode & 07777,
                };
                s->nsecret_files++;
                if (f->path == NULL || f->kind == NULL || f->owner == NULL || f->group == NULL)
                        return -ENOMEM;
        }
        for (size_t i = 0; s->referenced_files && s->referenced_files[i]; i++) {
                /* Either spelling of a secret keeps it out of config_files. */
                _cleanup_free_ char *real = NULL;
                if (v2c_guest_realpath(c->g, s->referenced_files[i], &real, NULL) < 0)
                        continue;
                bool secret = false;
                for (size_t k = 0; k < rep->nsecrets && !secret; k++) {
                        _cleanup_free_ char *sreal = NULL;
                        secret = strcmp(rep->secrets[k].path, s->referenced_files[i]) == 0 ||
                                 (v2c_guest_realpath(c->g, rep->secrets[k].path, &sreal, NULL) == 0 &&
                                  strcmp(sreal, real) == 0);
                }
                if (!secret && v2c_strv_push_unique(&s->config_files, s->referenced_files[i]) < 0)
                        return -ENOMEM;
        }
        v2c_strv_sort_uniq(s->config_files);
        return 0;
}

int inspect_secrets(struct inspect_ctx *c, struct v2c_error **err)
{
        struct scan sc = { .c = c };
        for (size_t i = 0; i < V2C_ARRAY_SIZE(scan_roots); i++)
                walk(&sc, scan_roots[i], 0);
        /* Files services read their environment from are checked whatever
         * their name. */
        for (size_t i = 0; i < c->rep->nservices; i++) {
                const struct v2c_service *s = &c->rep->services[i];
                for (size_t k = 0; s->environment_files && s->environment_files[k]; k++)
                        add_candidate(&sc, s->environment_files[k]);
                /* ... and so are the config files services read
                 * (redis's requirepass, a password = line). */
                for (size_t k = 0; s->config_files && s->config_files[k]; k++)
                        if (v2c_guest_exists(c->g, s->config_files[k], V2C_FT_REG))
                                add_candidate(&sc, s->config_files[k]);
                /* ... and the files their configuration names, whatever
                 * their name (a key in server.crt is still a key). */
                for (size_t k = 0; s->referenced_files && s->referenced_files[k]; k++)
                        add_candidate(&sc, s->referenced_files[k]);
        }
        v2c_strv_sort_uniq(sc.candidates);
        int r = 0;
        for (size_t i = 0; sc.candidates && sc.candidates[i] && r == 0; i++) {
                _cleanup_free_ char *data = NULL;
                size_t len;
                if (inspect_read(c, sc.candidates[i], INSPECT_MAX_FILE, &data, &len) < 0 || data == NULL)
                        continue;
                unsigned mask = 0;
                _cleanup_strv_ char **kinds = NULL;
                if (v2c_secret_classify(sc.candidates[i], data, len, &mask, NULL) < 0 || mask == 0 ||
                    v2c_secret_kind_names(mask, &kinds, NULL) < 0)
                        continue;
                /* One finding per file (the rules convert applies too). */
                mask = v2c_secret_kinds_reported(mask);
                v2c_strv_free(kinds);
                kinds = NULL;
                if (v2c_secret_kind_names(mask, &kinds, NULL) < 0)
                        continue;
                for (size_t k = 0; kinds && kinds[k] && r == 0; k++)
                        r = add_secret(c, sc.candidates[i], kinds[k], false);
        }
        for (size_t i = 0; c->env_secret_units && c->env_secret_units[i] && r == 0; i++)
                r = add_secret(c, c->env_secret_units[i], "env-secret", true);
        v2c_strv_free(sc.candidates);
        for (size_t i = 0; i < c->rep->nservices && r == 0; i++)
                r = service_secret_files(c, &c->rep->services[i]);
        if (sc.entries >= SCAN_MAX_ENTRIES)
                inspect_warn(c, "secret scan stopped after %d entries", SCAN_MAX_ENTRIES);
        if (r < 0)
                return v2c_error_set(err, -r, "out of memory");
        return 0;
}
