/* libFuzzer target for the `show stat` parser (rollout/haproxy.c): the
 * input is HAProxy's answer.  On success every row is a server with its
 * names and status set and findable; on failure the output is untouched
 * and the error says why. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "haproxy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        /* The input is not NUL-terminated: a copy of exactly its size lets
         * the sanitizers catch a read past the end. */
        char *csv = malloc(size ? size : 1);
        if (csv == NULL)
                return 0;
        memcpy(csv, data, size);

        struct v2c_haproxy_server sentinel;
        struct v2c_haproxy_stats st = { &sentinel, 1, 0 };
        struct v2c_error *err = NULL;
        int r = v2c_haproxy_parse_stat(csv, size, &st, &err);
        if (r == 0) {
                if (err != NULL || (st.n > 0 && st.servers == NULL) || st.n > V2C_HAPROXY_MAX_ROWS)
                        abort();
                for (size_t i = 0; i < st.n; i++) {
                        const struct v2c_haproxy_server *s = &st.servers[i];
                        if (s->backend == NULL || s->server == NULL || s->status == NULL ||
                            s->backend[0] == '\0' || s->server[0] == '\0' || s->rtime < -1)
                                abort();
                        /* find returns the first row of a name. */
                        const struct v2c_haproxy_server *f = v2c_haproxy_find(&st, s->backend, s->server);
                        if (f == NULL || f > s || strcmp(f->server, s->server) != 0)
                                abort();
                }
                v2c_haproxy_stats_release(&st);
                if (st.servers != NULL || st.n != 0)
                        abort();
        } else if (r >= 0 || err == NULL || err->msg == NULL || st.servers != &sentinel || st.n != 1) {
                abort();
        }
        v2c_error_free(err);
        free(csv);
        return 0;
}
