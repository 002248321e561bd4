/* A test tool over rollout/qmp.h: drives a qemu through its QMP socket the
 * way `v2c rollout` will, so the client can be checked against a real VM.
 *
 *   qmp-ctl [-t TIMEOUT_MS] SOCKET status
 *       prints "status=STATUS running=true|false"
 *   qmp-ctl [-t TIMEOUT_MS] SOCKET powerdown      ACPI power button
 *   qmp-ctl [-t TIMEOUT_MS] SOCKET quit           qemu exits at once
 *   qmp-ctl SOCKET shutdown GRACE_MS
 *       v2c_qmp_shutdown: prints "powered off in N ms" or "stopped hard
 *       in N ms" (the guest ignored the power button for GRACE_MS)
 *   qmp-ctl [-t TIMEOUT_MS] SOCKET execute COMMAND [ARGUMENTS_JSON]
 *       prints the "return" value as JSON
 *
 * TIMEOUT_MS (default 5000) bounds connecting and each reply.  Errors go
 * to stderr as "qmp-ctl: MESSAGE"; exit status 1, or 2 for usage errors.
 * Not a product command. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cleanup.h"
#include "error.h"
#include "json.h"
#include "qmp.h"
#include "clock.h"

static int usage(const char *why)
{
        fprintf(stderr, "qmp-ctl: %s\n"
                        "usage: qmp-ctl [-t TIMEOUT_MS] SOCKET status|powerdown|quit|shutdown GRACE_MS|"
                        "execute COMMAND [ARGS_JSON]\n",
                why);
        return 2;
}

static int report(struct v2c_error *err)
{
        fprintf(stderr, "qmp-ctl: %s\n", err && err->msg ? err->msg : "failed");
        v2c_error_free(err);
        return 1;
}

static int parse_ms(const char *s, int *out)
{
        char *end;
        errno = 0;
        long v = strtol(s, &end, 10);
        if (errno || end == s || *end || v < 0 || v > 3600000)
                return -1;
        *out = (int) v;
        return 0;
}

int main(int argc, char **argv)
{
        int timeout_ms = 5000;
        int i = 1;
        if (i + 1 < argc && strcmp(argv[i], "-t") == 0) {
                if (parse_ms(argv[i + 1], &timeout_ms) < 0 || timeout_ms == 0)
                        return usage("-t wants a positive number of milliseconds");
                i += 2;
        }
        if (argc - i < 2)
                return usage("missing SOCKET or command");
        const char *sock = argv[i], *cmd = argv[i + 1];
        int nargs = argc - i - 2;
        char **args = argv + i + 2;
        struct v2c_error *err = NULL;

        if (strcmp(cmd, "shutdown") == 0) {
                int grace;
                if (nargs != 1 || parse_ms(args[0], &grace) < 0)
                        return usage("shutdown wants GRACE_MS");
                long long t0 = v2c_monotonic_ms();
                int r = v2c_qmp_shutdown(sock, grace, &err);
                if (r < 0)
                        return report(err);
                printf("%s in %lld ms\n", r == 0 ? "powered off" : "stopped hard", v2c_monotonic_ms() - t0);
                return 0;
        }

        bool is_execute = strcmp(cmd, "execute") == 0;
        if (!is_execute && strcmp(cmd, "status") != 0 && strcmp(cmd, "powerdown") != 0 &&
            strcmp(cmd, "quit") != 0) {
                fprintf(stderr, "qmp-ctl: unknown command `%s`\n", cmd);
                return 2;
        }
        if (is_execute ? nargs < 1 || nargs > 2 : nargs != 0)
                return usage(is_execute ? "execute wants COMMAND [ARGS_JSON]" : "too many arguments");
        _cleanup_json_ json_t *arguments = NULL;
        if (is_execute && nargs == 2 && v2c_json_load(args[1], strlen(args[1]), "ARGS_JSON", &arguments, &err) < 0)
                return report(err);

        _cleanup_qmp_ struct v2c_qmp *q = NULL;
        if (v2c_qmp_connect(sock, timeout_ms, &q, &err) < 0)
                return report(err);

        if (strcmp(cmd, "status") == 0) {
                _cleanup_free_ char *status = NULL;
                bool running = false;
                if (v2c_qmp_status(q, &status, &running, &err) < 0)
                        return report(err);
                printf("status=%s running=%s\n", status, running ? "true" : "false");
        } else if (strcmp(cmd, "powerdown") == 0) {
                if (v2c_qmp_powerdown(q, &err) < 0)
                        return report(err);
        } else if (strcmp(cmd, "quit") == 0) {
                if (v2c_qmp_quit(q, &err) < 0)
                        return report(err);
        } else {
                _cleanup_json_ json_t *ret = NULL;
                if (v2c_qmp_execute(q, args[0], arguments, &ret, &err) < 0)
                        return report(err);
                _cleanup_free_ char *text = json_dumps(ret, JSON_COMPACT | JSON_ENCODE_ANY);
                printf("%s\n", text ? text : "null");
        }
        return 0;
}
