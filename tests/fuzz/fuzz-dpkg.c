/* libFuzzer target: dpkg's status file and .list files (dpkg.c), and the
 * queries of the database they fill (pkgdb.c).
 *
 * The input is cut at the first "\n\n\n": before it a status file, after
 * it a .list file attached to the first package. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "pkgdb.h"
#include "strv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const char *s = (const char *) data;
        const char *cut = memmem(s, size, "\n\n\n", 3);
        size_t status_len = cut ? (size_t) (cut - s) : size;
        struct v2c_error *err = NULL;

        struct v2c_dep *deps = NULL;
        size_t n = 0;
        if (v2c_dpkg_parse_depends(s, size < 4096 ? size : 4096, &deps, &n, &err) == 0)
                v2c_deps_free(deps, n);
        err = v2c_error_free(err);

        struct v2c_pkgdb *db = v2c_pkgdb_new(V2C_PKG_FORMAT_DPKG);
        if (db == NULL)
                return 0;
        if (v2c_dpkg_parse_status(db, s, status_len, &err) < 0)
                err = v2c_error_free(err);

        if (cut && v2c_pkgdb_finish(db, &err) == 0 && v2c_pkgdb_count(db) > 0) {
                const struct v2c_pkg *p = v2c_pkgdb_get(db, 0);
                char *list = NULL;
                if (p->arch && asprintf(&list, "/var/lib/dpkg/info/%s:%s.list", p->name, p->arch) < 0)
                        list = NULL;
                else if (!p->arch && asprintf(&list, "%s.list", p->name) < 0)
                        list = NULL;
                if (list && v2c_dpkg_parse_list(db, list, cut + 3, size - status_len - 3, &err) < 0)
                        err = v2c_error_free(err);
                free(list);
        }
        err = v2c_error_free(err);

        if (v2c_pkgdb_finish(db, &err) == 0) {
                size_t count = v2c_pkgdb_count(db);
                char **roots = NULL;
                for (size_t i = 0; i < count && i < 64; i++) {
                        const struct v2c_pkg *p = v2c_pkgdb_get(db, i);
                        (void) v2c_pkgdb_find(db, p->name);
                        v2c_strv_push(&roots, p->name);
                        char **paths = NULL;
                        if (v2c_pkgdb_files(db, p->name, &paths, &err) == 0) {
                                for (size_t j = 0; paths && paths[j] && j < 16; j++) {
                                        char *m = NULL;
                                        (void) v2c_pkgdb_owner(db, paths[j]);
                                        (void) v2c_pkgdb_owner_usrmerge(db, paths[j], &m);
                                        free(m);
                                        const struct v2c_pkg **owners = NULL;
                                        if (v2c_pkgdb_owners(db, paths[j], &owners, &err) >= 0)
                                                free(owners);
                                        err = v2c_error_free(err);
                                }
                                v2c_strv_free(paths);
                        }
                        err = v2c_error_free(err);
                        if (v2c_pkgdb_conffiles(db, p->name, &paths, &err) == 0)
                                v2c_strv_free(paths);
                        err = v2c_error_free(err);
                }
                const struct v2c_pkg **pkgs = NULL;
                char **missing = NULL;
                if (v2c_pkgdb_closure(db, roots, &pkgs, &missing, &err) >= 0) {
                        free(pkgs);
                        v2c_strv_free(missing);
                }
                v2c_strv_free(roots);
        }
        v2c_error_free(err);
        v2c_pkgdb_free(db);
        return 0;
}
