/* libFuzzer target: Alpine's installed database (apk.c) and the queries
 * of the database it fills (pkgdb.c). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "pkgdb.h"
#include "strv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct v2c_error *err = NULL;
        struct v2c_dep_alt alt = { 0 };
        if (v2c_apk_parse_dep_word((const char *) data, size < 256 ? size : 256, &alt, &err) == 0) {
                free(alt.name);
                free(alt.constraint);
        }
        err = v2c_error_free(err);

        struct v2c_pkgdb *db = v2c_pkgdb_new(V2C_PKG_FORMAT_APK);
        if (db == NULL)
                return 0;
        if (v2c_apk_parse_installed(db, (const char *) data, size, &err) < 0)
                err = v2c_error_free(err);
        if (v2c_pkgdb_finish(db, &err) == 0) {
                char **roots = NULL;
                for (size_t i = 0; i < v2c_pkgdb_count(db) && i < 64; i++) {
                        const struct v2c_pkg *p = v2c_pkgdb_get(db, i);
                        v2c_strv_push(&roots, p->name);
                        for (size_t j = 0; j < p->n_files && j < 16; j++) {
                                char *m = NULL;
                                (void) v2c_pkgdb_owner_usrmerge(db, p->files[j], &m);
                                free(m);
                        }
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
