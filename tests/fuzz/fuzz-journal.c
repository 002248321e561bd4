/* libFuzzer target: journal bytes through v2c_journal_parse(), then
 * through the rollout's own checks (v2c_rollout_check_journal, which
 * parses the playbook of record 1 too).  Accepted, the records it keeps
 * must parse again, alone, to the same records (the torn tail is all it
 * drops); refused, either must name the record as "journal corrupt at
 * record N", N a complete line of the input, and leave the outputs
 * alone. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "journal.h"
#include "rollout.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Aborts unless ERR says "journal corrupt at record N", 1 <= N <= LINES. */
static void expect_corrupt(int r, struct v2c_error *err, const uint8_t *data, size_t size)
{
        size_t lines = 0, n = 0;
        for (size_t i = 0; i < size; i++)
                lines += data[i] == '\n';
        if (r != -EBADMSG || err == NULL || sscanf(err->msg, "journal corrupt at record %zu: ", &n) != 1 || n == 0 ||
            n > lines)
                abort();
        v2c_error_free(err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        json_t *recs = NULL, *again = NULL;
        size_t valid = 0, valid2 = 0;
        struct v2c_error *err = NULL;
        int r = v2c_journal_parse((const char *) data, size, &recs, &valid, &err);
        if (r < 0) {
                if (recs != NULL || valid != 0)
                        abort();
                expect_corrupt(r, err, data, size);
                return 0;
        }
        if (valid > size || (valid > 0 && data[valid - 1] != '\n') || memchr(data + valid, '\n', size - valid))
                abort();
        if (v2c_journal_parse((const char *) data, valid, &again, &valid2, NULL) < 0)
                abort();
        if (valid2 != valid || json_array_size(again) != json_array_size(recs) || !json_equal(again, recs))
                abort();
        json_decref(recs);
        json_decref(again);
        r = v2c_rollout_check_journal((const char *) data, size, &err);
        if (r < 0)
                expect_corrupt(r, err, data, size);
        return 0;
}
