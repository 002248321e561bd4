/* Loading a guest's package database through the guest reader: the glue
 * between dpkg.c/apk.c/rpmdb.c/rpmhdr.c's pure parsers and a struct
 * v2c_guest. */
#include "pkgdb.h"

#include <errno.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cleanup.h"
#include "guest.h"

#define PKGDB_MAX_FILE (64u << 20)

static void warnf(v2c_pkgdb_warn_fn warn, void *ctx, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void warnf(v2c_pkgdb_warn_fn warn, void *ctx, const char *fmt, ...)
{
        if (warn == NULL)
                return;
        va_list ap;
        va_start(ap, fmt);
        _cleanup_free_ char *msg = NULL;
        if (vasprintf(&msg, fmt, ap) >= 0)
                warn(ctx, msg);
        va_end(ap);
}

/* Reads a file; NULL data when missing, too big or unreadable (said,
 * except a missing or odd file that is not REQUIRED: a package's optional
 * list).  The database's main file is required: a guest whose status file
 * is a dangling link, a directory or unreadable has a package database v2c
 * could not read, which the report must say, with the reason. */
static char *read_db_file(struct v2c_guest *g, const char *path, bool required, size_t max, size_t *len,
                          v2c_pkgdb_warn_fn warn, void *ctx)
{
        struct v2c_error *e = NULL;
        char *data = NULL;
        int r = v2c_guest_read_file(g, path, max, &data, len, &e);
        const char *what = required ? "the package database is not read: " : "";
        if (r == -EFBIG)
                warnf(warn, ctx, "%s%s is larger than %zu bytes: not read", what, path, max);
        else if (r == -ENOENT && required)
                warnf(warn, ctx, "%s%s is missing (or a link to a file the guest lacks)", what, path);
        else if (r == -EINVAL && required)
                warnf(warn, ctx, "%s%s is not a regular file", what, path);
        else if (r < 0 && r != -ENOENT && r != -EINVAL)
                warnf(warn, ctx, "%s%s", what, e ? e->msg : "unreadable");
        v2c_error_free(e);
        return r < 0 ? NULL : data;
}

static struct v2c_pkgdb *load_dpkg(struct v2c_guest *g, v2c_pkgdb_warn_fn warn, void *ctx)
{
        size_t len;
        _cleanup_free_ char *status = read_db_file(g, "/var/lib/dpkg/status", true, PKGDB_MAX_FILE, &len, warn, ctx);
        if (status == NULL)
                return NULL;
        struct v2c_pkgdb *db = v2c_pkgdb_new(V2C_PKG_FORMAT_DPKG);
        if (db == NULL)
                return NULL;
        struct v2c_error *e = NULL;
        if (v2c_dpkg_parse_status(db, status, len, &e) < 0) {
                warnf(warn, ctx, "dpkg status: %s", e ? e->msg : "unreadable");
                v2c_error_free(e);
                return v2c_pkgdb_free(db);
        }
        struct v2c_dirent *ents = NULL;
        size_t n = 0;
        if (v2c_guest_list(g, "/var/lib/dpkg/info", &ents, &n, NULL) == 0) {
                for (size_t i = 0; i < n; i++) {
                        size_t l = strlen(ents[i].name);
                        if (l < 6 || strcmp(ents[i].name + l - 5, ".list") != 0 || ents[i].st.type != V2C_FT_REG)
                                continue;
                        _cleanup_free_ char *path = NULL;
                        if (asprintf(&path, "/var/lib/dpkg/info/%s", ents[i].name) < 0)
                                break;
                        size_t dlen;
                        _cleanup_free_ char *data = read_db_file(g, path, false, PKGDB_MAX_FILE, &dlen, warn, ctx);
                        if (data == NULL)
                                continue;
                        if (v2c_dpkg_parse_list(db, ents[i].name, data, dlen, &e) < 0) {
                                warnf(warn, ctx, "%s: %s", path, e ? e->msg : "unreadable");
                                e = v2c_error_free(e);
                        }
                }
                v2c_dirents_free(ents, n);
        }
        if (v2c_pkgdb_finish(db, &e) < 0) {
                warnf(warn, ctx, "dpkg database: %s", e ? e->msg : "unusable");
                v2c_error_free(e);
                return v2c_pkgdb_free(db);
        }
        return db;
}

static struct v2c_pkgdb *load_apk(struct v2c_guest *g, v2c_pkgdb_warn_fn warn, void *ctx)
{
        size_t len;
        _cleanup_free_ char *data = read_db_file(g, "/lib/apk/db/installed", true, PKGDB_MAX_FILE, &len, warn, ctx);
        if (data == NULL)
                return NULL;
        struct v2c_pkgdb *db = v2c_pkgdb_new(V2C_PKG_FORMAT_APK);
        if (db == NULL)
                return NULL;
        struct v2c_error *e = NULL;
        if (v2c_apk_parse_installed(db, data, len, &e) < 0 || v2c_pkgdb_finish(db, &e) < 0) {
                warnf(warn, ctx, "apk database: %s", e ? e->msg : "unreadable");
                v2c_error_free(e);
                return v2c_pkgdb_free(db);
        }
        return db;
}

/* rpm keeps its database in /usr/lib/sysimage/rpm (Fedora 36+, openSUSE,
 * RHEL 10) or /var/lib/rpm (CentOS 7, RHEL 8 and 9, Amazon Linux; a link
 * to the other on some), in the format of the rpm that last wrote it: the
 * first file found of rpmdb.sqlite (rpm >= 4.16), Packages.db (ndb, SUSE)
 * and Packages (Berkeley DB, before).  Only the main file is read: a
 * SQLite write-ahead log that still holds transactions (a guest stopped
 * mid-install) is said, not replayed. */
struct rpm_load {
        struct v2c_pkgdb *db;
        size_t bad;
        v2c_pkgdb_warn_fn warn;
        void *ctx;
        const char *path;
};

static int rpm_blob(void *ctx, const unsigned char *blob, size_t len)
{
        struct rpm_load *l = ctx;
        struct v2c_error *e = NULL;
        int r = v2c_rpm_parse_header(l->db, blob, len, &e);
        if (r == -EBADMSG || r == -E2BIG) {
                /* One damaged (or monstrous) header costs its package, not
                 * the database. */
                if (l->bad++ < 3)
                        warnf(l->warn, l->ctx, "%s: a package header is skipped: %s", l->path,
                              e ? e->msg : "malformed");
                r = 0;
        }
        v2c_error_free(e);
        return r;
}

static struct v2c_pkgdb *load_rpm(struct v2c_guest *g, v2c_pkgdb_warn_fn warn, void *ctx)
{
        static const char *const dirs[] = { "/usr/lib/sysimage/rpm", "/var/lib/rpm" };
        static const struct {
                const char *name;
                enum v2c_rpmdb_kind kind;
        } files[] = {
                { "rpmdb.sqlite", V2C_RPMDB_SQLITE },
                { "Packages.db", V2C_RPMDB_NDB },
                { "Packages", V2C_RPMDB_BDB },
        };
        _cleanup_free_ char *path = NULL;
        enum v2c_rpmdb_kind kind = V2C_RPMDB_SQLITE;
        for (size_t f = 0; f < V2C_ARRAY_SIZE(files) && path == NULL; f++)
                for (size_t d = 0; d < V2C_ARRAY_SIZE(dirs) && path == NULL; d++) {
                        struct v2c_stat st;
                        _cleanup_free_ char *p = NULL;
                        if (asprintf(&p, "%s/%s", dirs[d], files[f].name) < 0)
                                return NULL;
                        if (v2c_guest_lstat(g, p, &st, NULL) == 0) {
                                path = TAKE_PTR(p);
                                kind = files[f].kind;
                        }
                }
        if (path == NULL) {
                warnf(warn, ctx, "the package database is not read: no rpmdb.sqlite, Packages.db or Packages "
                                 "in /usr/lib/sysimage/rpm or /var/lib/rpm");
                return NULL;
        }
        if (kind == V2C_RPMDB_SQLITE) {
                _cleanup_free_ char *wal = NULL;
                struct v2c_stat st;
                if (asprintf(&wal, "%s-wal", path) >= 0 && v2c_guest_stat(g, wal, &st, NULL) == 0 && st.size > 0)
                        warnf(warn, ctx, "%s: its write-ahead log %s is not empty (the guest stopped before rpm "
                                         "closed the database): packages of its last transactions may be missing",
                              path, wal);
        }
        size_t len;
        _cleanup_free_ char *data = read_db_file(g, path, true, V2C_RPMDB_MAX_FILE, &len, warn, ctx);
        if (data == NULL)
                return NULL;
        struct rpm_load l = { .db = v2c_pkgdb_new(V2C_PKG_FORMAT_RPM), .warn = warn, .ctx = ctx, .path = path };
        if (l.db == NULL)
                return NULL;
        struct v2c_error *e = NULL;
        if (v2c_rpmdb_foreach(kind, (const unsigned char *) data, len, rpm_blob, &l, &e) < 0 ||
            v2c_pkgdb_finish(l.db, &e) < 0) {
                warnf(warn, ctx, "the package database is not read: %s: %s", path, e ? e->msg : "unreadable");
                v2c_error_free(e);
                return v2c_pkgdb_free(l.db);
        }
        if (l.bad > 3)
                warnf(warn, ctx, "%s: %zu package headers skipped in all", path, l.bad);
        return l.db;
}

int v2c_guest_pkgdb_load(struct v2c_guest *g, enum v2c_pkg_format format, v2c_pkgdb_warn_fn warn, void *ctx,
                         struct v2c_pkgdb **out, struct v2c_error **err)
{
        *out = format == V2C_PKG_FORMAT_DPKG  ? load_dpkg(g, warn, ctx)
               : format == V2C_PKG_FORMAT_APK ? load_apk(g, warn, ctx)
               : format == V2C_PKG_FORMAT_RPM ? load_rpm(g, warn, ctx)
                                              : NULL;
        (void) err;
        return 0;
}
