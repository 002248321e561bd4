/* libFuzzer target: a crontab through v2c_crontab_parse(), in the system
 * format (user field) and the user format. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "unit-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static const enum v2c_crontab_format formats[] = { V2C_CRONTAB_SYSTEM, V2C_CRONTAB_USER };
        for (size_t f = 0; f < 2; f++) {
                struct v2c_crontab *c = NULL;
                struct v2c_error *err = NULL;
                if (v2c_crontab_parse((const char *) data, size, formats[f], "owner", &c, &err) == 0) {
                        for (size_t i = 0; i < c->n_jobs; i++) {
                                const struct v2c_cron_job *j = &c->jobs[i];
                                (void) strlen(j->schedule);
                                (void) strlen(j->command);
                                for (size_t k = 0; j->argv[k]; k++)
                                        (void) strlen(j->argv[k]);
                        }
                        v2c_crontab_free(c);
                }
                v2c_error_free(err);
        }
        return 0;
}
