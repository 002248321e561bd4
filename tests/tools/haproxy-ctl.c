/* A test tool over rollout/haproxy.h, for tests/integration/test-haproxy.sh:
 * drives a real HAProxy through the same client `v2c rollout` uses.
 *
 *   haproxy-ctl [-t MS] SOCKET weight BACKEND SERVER N
 *   haproxy-ctl SOCKET state BACKEND SERVER ready|drain|maint
 *   haproxy-ctl SOCKET stat          one line a server:
 *       BACKEND/SERVER status=.. weight=.. scur=.. qcur=.. stot=.. lbtot=..
 *       hrsp_2xx=.. hrsp_5xx=.. econ=.. eresp=.. wretr=.. wredis=..
 *       srv_abrt=.. cli_abrt=.. rtime=..
 *   haproxy-ctl SOCKET wait-drained BACKEND SERVER MS
 *   haproxy-ctl SOCKET raw COMMAND   HAProxy's answer, as is
 * -t sets the timeout of each exchange with HAProxy (default 5 s).
 *
 * Errors go to stderr as "haproxy-ctl: MESSAGE"; the exit status is 1 on
 * failure, 2 on a usage error, 3 on a timeout.  Not a product command. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "error.h"
#include "haproxy.h"

static int usage(const char *why)
{
        fprintf(stderr, "haproxy-ctl: %s\n"
                        "usage: haproxy-ctl [-t MS] SOCKET weight BE SRV N | state BE SRV STATE | stat |\n"
                        "                                  wait-drained BE SRV MS | raw COMMAND\n", why);
        return 2;
}

static int number(const char *s, unsigned long max, unsigned long *v)
{
        char *end;
        errno = 0;
        *v = strtoul(s, &end, 10);
        return *s >= '0' && *s <= '9' && *end == '\0' && errno == 0 && *v <= max ? 0 : -1;
}

static int print_stat(const struct v2c_haproxy *h, struct v2c_error **err)
{
        _cleanup_haproxy_stats_ struct v2c_haproxy_stats st = { 0 };
        int r = v2c_haproxy_show_stat(h, &st, err);
        if (r < 0)
                return r;
        for (size_t i = 0; i < st.n; i++) {
                const struct v2c_haproxy_server *s = &st.servers[i];
                printf("%s/%s status=%s weight=%u scur=%" PRIu64 " qcur=%" PRIu64 " stot=%" PRIu64
                       " lbtot=%" PRIu64 " hrsp_2xx=%" PRIu64 " hrsp_5xx=%" PRIu64 " econ=%" PRIu64
                       " eresp=%" PRIu64 " wretr=%" PRIu64 " wredis=%" PRIu64 " srv_abrt=%" PRIu64
                       " cli_abrt=%" PRIu64 " rtime=%" PRId64 "\n",
                       s->backend, s->server, s->status, s->weight, s->scur, s->qcur, s->stot, s->lbtot,
                       s->hrsp_2xx, s->hrsp_5xx, s->econ, s->eresp, s->wretr, s->wredis, s->srv_abrt,
                       s->cli_abrt, s->rtime);
        }
        return 0;
}

int main(int argc, char **argv)
{
        struct v2c_error *err = NULL;
        unsigned long n;
        int r;

        int timeout_ms = 0;
        if (argc > 2 && strcmp(argv[1], "-t") == 0) {
                if (number(argv[2], 3600000, &n) < 0 || n == 0)
                        return usage("-t takes a number of milliseconds");
                timeout_ms = (int) n;
                argc -= 2;
                argv += 2;
        }
        if (argc < 3)
                return usage("missing arguments");
        struct v2c_haproxy h = { argv[1], timeout_ms };
        const char *verb = argv[2];
        if (strcmp(verb, "weight") == 0) {
                if (argc != 6)
                        return usage("weight takes BE SRV N");
                if (number(argv[5], 100000, &n) < 0)
                        return usage("the weight must be a number");
                r = v2c_haproxy_set_weight(&h, argv[3], argv[4], (unsigned) n, &err);
        } else if (strcmp(verb, "state") == 0) {
                if (argc != 6)
                        return usage("state takes BE SRV STATE");
                r = v2c_haproxy_set_state(&h, argv[3], argv[4], argv[5], &err);
        } else if (strcmp(verb, "stat") == 0) {
                if (argc != 3)
                        return usage("stat takes no argument");
                r = print_stat(&h, &err);
        } else if (strcmp(verb, "wait-drained") == 0) {
                if (argc != 6)
                        return usage("wait-drained takes BE SRV MS");
                if (number(argv[5], 3600000, &n) < 0)
                        return usage("the time must be a number of milliseconds");
                r = v2c_haproxy_wait_drained(&h, argv[3], argv[4], (int) n, &err);
        } else if (strcmp(verb, "raw") == 0) {
                if (argc != 4)
                        return usage("raw takes one COMMAND");
                _cleanup_free_ char *reply = NULL;
                r = v2c_haproxy_command(&h, argv[3], &reply, &err);
                if (r == 0)
                        fputs(reply, stdout);
        } else {
                return usage("unknown command");
        }
        if (r < 0) {
                fprintf(stderr, "haproxy-ctl: %s\n", err ? err->msg : strerror(-r));
                v2c_error_free(err);
                return r == -ETIMEDOUT ? 3 : 1;
        }
        return 0;
}
