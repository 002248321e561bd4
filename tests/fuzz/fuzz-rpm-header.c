/* libFuzzer target: rpm header blobs (rpmhdr.c) and the queries of the rpm
 * package database they fill (pkgdb.c: owners, providers, file
 * dependencies in the closure).
 *
 * The input is one blob or several back to back: each blob's own counts
 * (8 + 16 * il + dl bytes) say where the next one starts, so the fuzzer can
 * grow databases of several packages that require each other.  The seed
 * corpus is real headers written by rpm 4.18 (tests/tools/mk-rpm-headers.sh). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "pkgdb.h"
#include "strv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint32_t be32(const uint8_t *p)
{
        return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8 | p[3];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct v2c_pkgdb *db = v2c_pkgdb_new(V2C_PKG_FORMAT_RPM);
        struct v2c_error *err = NULL;
        if (db == NULL)
                return 0;
        size_t pos = 0;
        for (int i = 0; i < 16 && pos < size; i++) {
                size_t left = size - pos;
                uint64_t need = left >= 8 ? 8 + 16 * (uint64_t) be32(data + pos) + be32(data + pos + 4) : left;
                size_t len = need < left ? (size_t) need : left;
                /* Exactly len bytes, so that the sanitizers see a read past them. */
                uint8_t *blob = malloc(len ? len : 1);
                if (blob == NULL)
                        break;
                memcpy(blob, data + pos, len);
                if (v2c_rpm_parse_header(db, blob, len, &err) < 0)
                        err = v2c_error_free(err);
                free(blob);
                pos += len ? len : 1;
        }

        if (v2c_pkgdb_finish(db, &err) == 0) {
                size_t count = v2c_pkgdb_count(db);
                char **roots = NULL;
                for (size_t i = 0; i < count; i++) {
                        const struct v2c_pkg *p = v2c_pkgdb_get(db, i);
                        (void) v2c_pkgdb_find(db, p->name);
                        v2c_strv_push(&roots, p->name);
                        for (size_t j = 0; j < p->n_files && j < 16; j++) {
                                char *m = NULL;
                                (void) v2c_pkgdb_owner_usrmerge(db, p->files[j], &m);
                                free(m);
                        }
                        /* Every requirement as a root too: file and soname
                         * lookups, whether or not the package is reached. */
                        for (size_t d = 0; d < p->n_depends && d < 16; d++)
                                v2c_strv_push(&roots, p->depends[d].alts[0].name);
                        char **paths = NULL;
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
