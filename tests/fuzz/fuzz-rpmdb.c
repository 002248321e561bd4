/* libFuzzer target: the rpm database walker (rpmdb.c).
 *
 * The first byte picks the kind (0 SQLite, 1 Berkeley DB hash, 2 ndb,
 * modulo 3), the rest is the database file, copied into a buffer of
 * exactly its size so that ASan sees any read past the end.  Every blob
 * yielded is read whole, so a span the walker got wrong shows up too. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "pkgdb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int touch(void *ctx, const unsigned char *blob, size_t len)
{
        unsigned *sum = ctx;
        for (size_t i = 0; i < len; i++)
                *sum += blob[i];
        /* The callback's failure must stop the walk cleanly too. */
        return len == 13 ? -ECANCELED : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size < 1)
                return 0;
        static const enum v2c_rpmdb_kind kinds[] = { V2C_RPMDB_SQLITE, V2C_RPMDB_BDB, V2C_RPMDB_NDB };
        enum v2c_rpmdb_kind kind = kinds[data[0] % 3];
        size_t len = size - 1;
        unsigned char *copy = malloc(len ? len : 1);
        if (copy == NULL)
                return 0;
        memcpy(copy, data + 1, len);
        struct v2c_error *err = NULL;
        unsigned sum = 0;
        int r = v2c_rpmdb_foreach(kind, copy, len, touch, &sum, &err);
        /* Every failure of the walk's own says why; the callback's does not. */
        if (r < 0 && r != -ECANCELED && (err == NULL || err->msg == NULL))
                abort();
        v2c_error_free(err);
        free(copy);
        return 0;
}
