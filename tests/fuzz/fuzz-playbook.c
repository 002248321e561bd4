/* libFuzzer target for the rollout playbook (rollout/playbook.c): YAML,
 * JSON, aliases, every check.  A playbook that parses must turn into its
 * canonical form, and that form must parse back to the same bytes; one
 * that fails must say why and leave the output alone. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "json.h"
#include "playbook.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *canonical(const struct v2c_playbook *pb)
{
        json_t *j = v2c_playbook_to_json(pb);
        if (j == NULL)
                abort();
        char *s = v2c_json_dump(j);
        json_decref(j);
        if (s == NULL)
                abort();
        return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct v2c_playbook *pb = NULL;
        struct v2c_error *err = NULL;
        int r = v2c_playbook_parse((const char *) data, size, "fuzz.yaml", &pb, &err);
        if (r < 0) {
                if (pb != NULL || err == NULL || strncmp(err->msg, "fuzz.yaml", 9) != 0)
                        abort();
                v2c_error_free(err);
                return 0;
        }
        if (pb == NULL || err != NULL)
                abort();
        char *a = canonical(pb);
        struct v2c_playbook *again = NULL;
        /* Defaults written into every service can pass the size limits. */
        if (v2c_playbook_parse(a, strlen(a), "canonical.json", &again, &err) < 0) {
                if (strlen(a) <= V2C_PLAYBOOK_MAX_SIZE && strstr(err->msg, "more than") == NULL &&
                    strstr(err->msg, "too large") == NULL)
                        abort();
                v2c_error_free(err);
                free(a);
                v2c_playbook_free(pb);
                return 0;
        }
        char *b = canonical(again);
        if (strcmp(a, b) != 0)
                abort();
        free(a);
        free(b);
        v2c_playbook_free(again);
        v2c_playbook_free(pb);
        return 0;
}
