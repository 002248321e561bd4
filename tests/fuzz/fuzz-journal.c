/* libFuzzer target: journal bytes through v2c_journal_parse(): the good
 * prefix it keeps must parse again to the same records. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "journal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        json_t *recs = NULL, *again = NULL;
        size_t valid = 0, valid2 = 0;
        if (v2c_journal_parse((const char *) data, size, &recs, &valid, NULL) < 0)
                return 0;
        if (valid > size)
                abort();
        if (v2c_journal_parse((const char *) data, valid, &again, &valid2, NULL) < 0)
                abort();
        if (valid2 != valid || json_array_size(again) != json_array_size(recs) || !json_equal(again, recs))
                abort();
        json_decref(recs);
        json_decref(again);
        return 0;
}
