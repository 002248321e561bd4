/* What tells one service's build from another's when two guests run it:
 * the versions of its packages and the digests of its configuration
 * files' content.  v2c report takes two services that agree on these (and
 * on what they run) for one image (cli/fleet.c).
 *
 * Runs after the secret scan: a secret's file gets no digest, even when it
 * is also a configuration file (redis.conf with its requirepass), since
 * the sha256 of a short password file is a brute-force away from the
 * password itself. */
#include "inspect-internal.h"
#include "cleanup.h"
#include "sha256.h"
#include "strv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The version as the package manager writes it: rpm's VERSION alone
 * would call 1.0-1.el9 and 1.0-2.el9 one build.  New string, or NULL. */
static char *version_of(const struct v2c_pkg *p)
{
        char *v = NULL;
        if (p->version == NULL)
                return NULL;
        if (p->release == NULL && p->epoch == NULL)
                return strdup(p->version);
        if (asprintf(&v, "%s%s%s%s%s", p->epoch ? p->epoch : "", p->epoch ? ":" : "", p->version,
                     p->release ? "-" : "", p->release ? p->release : "") < 0)
                return NULL;
        return v;
}

static int push(struct v2c_keyval **kv, size_t *n, const char *key, char *value)
{
        struct v2c_keyval *m = realloc(*kv, (*n + 1) * sizeof *m);
        if (m == NULL) {
                free(value);
                return -ENOMEM;
        }
        *kv = m;
        m[*n] = (struct v2c_keyval) { strdup(key), value };
        if (m[*n].key == NULL) {
                free(value);
                return -ENOMEM;
        }
        (*n)++;
        return 0;
}

static int package_versions(struct inspect_ctx *c, struct v2c_service *s)
{
        for (size_t i = 0; c->pkgdb && s->packages && s->packages[i]; i++) {
                const struct v2c_pkg *p = v2c_pkgdb_find(c->pkgdb, s->packages[i]);
                if (p == NULL || p->version == NULL)
                        continue;
                char *v = version_of(p);
                if (v == NULL || push(&s->package_versions, &s->npackage_versions, s->packages[i], v) < 0)
                        return -ENOMEM;
        }
        return 0;
}

/* Files up to this size are read whole, larger ones streamed. */
#define DIGEST_READ_MAX (1u << 20)

static void file_closep(struct v2c_guest_file **f)
{
        v2c_guest_file_close(*f);
}

/* "sha256:<hex>" of the guest file PATH into OUT[72]; -errno when it
 * cannot be read (missing, not a regular file, larger than a binary may
 * be): it then has no digest. */
static int file_digest(struct inspect_ctx *c, const char *path, char out[72])
{
        struct v2c_stat st;
        int r = v2c_guest_stat(c->g, path, &st, NULL);
        if (r < 0)
                return r;
        if (st.type != V2C_FT_REG)
                return -EINVAL;
        if (st.size > INSPECT_MAX_BINARY)
                return -EFBIG;
        _cleanup_(v2c_sha256_freep) struct v2c_sha256 *h = v2c_sha256_new();
        if (h == NULL)
                return -ENOMEM;
        if (st.size <= DIGEST_READ_MAX) {
                /* Read whole: from the prefetched trees or the read cache,
                 * else one round trip (a stream is a file transfer). */
                _cleanup_free_ char *data = NULL;
                size_t len = 0;
                r = v2c_guest_read_file(c->g, path, DIGEST_READ_MAX, &data, &len, NULL);
                if (r < 0 || data == NULL)
                        return r < 0 ? r : -ENOENT;
                r = v2c_sha256_update(h, data, len);
        } else {
                _cleanup_(file_closep) struct v2c_guest_file *f = NULL;
                r = v2c_guest_open_file(c->g, path, &f, NULL, NULL);
                char buf[65536];
                size_t got = 0;
                while (r == 0) {
                        r = v2c_guest_file_read(f, buf, sizeof buf, &got, NULL);
                        if (r < 0 || got == 0)
                                break;
                        r = v2c_sha256_update(h, buf, got);
                }
        }
        char hex[V2C_SHA256_HEX_LEN + 1];
        if (r == 0)
                r = v2c_sha256_final_hex(h, hex);
        if (r < 0)
                return r;
        c->files_read++;
        snprintf(out, 72, "sha256:%s", hex);
        return 0;
}

/* Whether PATH (canonical REAL, or NULL) is one of the report's secrets
 * or of S's secret files, by either name. */
static bool is_secret(const struct v2c_report *rep, char *const *secret_reals, const struct v2c_service *s,
                      const char *path, const char *real)
{
        for (size_t i = 0; i < rep->nsecrets; i++)
                if (strcmp(rep->secrets[i].path, path) == 0 ||
                    (real && secret_reals[i] && strcmp(secret_reals[i], real) == 0))
                        return true;
        for (size_t i = 0; i < s->nsecret_files; i++)
                if (strcmp(s->secret_files[i].path, path) == 0 || (real && strcmp(s->secret_files[i].path, real) == 0))
                        return true;
        return false;
}

static int config_digests(struct inspect_ctx *c, struct v2c_service *s, char *const *secret_reals)
{
        for (size_t i = 0; s->config_files && s->config_files[i]; i++) {
                const char *path = s->config_files[i];
                _cleanup_free_ char *real = NULL;
                if (v2c_guest_realpath(c->g, path, &real, NULL) < 0)
                        continue;
                if (is_secret(c->rep, secret_reals, s, path, real))
                        continue;
                char digest[72];
                int r = file_digest(c, path, digest);
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        continue;
                char *v = strdup(digest);
                if (v == NULL || push(&s->config_digests, &s->nconfig_digests, path, v) < 0)
                        return -ENOMEM;
        }
        return 0;
}

int inspect_digests(struct inspect_ctx *c, struct v2c_error **err)
{
        struct v2c_report *rep = c->rep;
        /* Indexed as rep->secrets: NULL where a secret has no canonical path. */
        _cleanup_free_ char **secret_reals = rep->nsecrets ? calloc(rep->nsecrets, sizeof *secret_reals) : NULL;
        if (rep->nsecrets && secret_reals == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        for (size_t i = 0; i < rep->nsecrets; i++)
                (void) v2c_guest_realpath(c->g, rep->secrets[i].path, &secret_reals[i], NULL);
        int r = 0;
        for (size_t i = 0; i < rep->nservices && r == 0; i++) {
                r = package_versions(c, &rep->services[i]);
                if (r == 0)
                        r = config_digests(c, &rep->services[i], secret_reals);
                inspect_progress(c, false);
        }
        for (size_t i = 0; i < rep->nsecrets; i++)
                free(secret_reals[i]);
        if (r < 0)
                return v2c_error_set(err, -r, "out of memory");
        return 0;
}
