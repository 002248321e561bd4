/* A test tool over rollout/libvirt.h: drives a libvirt domain the way
 * `v2c rollout` does, so the backend can be checked against a real VM.
 *
 *   libvirt-ctl URI DOMAIN state
 *       prints "state=STATE running=true|false"
 *   libvirt-ctl URI DOMAIN start
 *   libvirt-ctl URI DOMAIN shutdown GRACE_MS
 *       v2c_libvirt_shutdown: prints "powered off in N ms" or "stopped
 *       hard in N ms" (the guest ignored the power button for GRACE_MS)
 *
 * Errors go to stderr as "libvirt-ctl: MESSAGE"; exit status 1, or 2 for
 * usage errors.  Not a product command. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cleanup.h"
#include "error.h"
#include "libvirt.h"
#include "clock.h"

static int usage(const char *why)
{
        fprintf(stderr, "libvirt-ctl: %s\n"
                        "usage: libvirt-ctl URI DOMAIN state|start|shutdown GRACE_MS\n",
                why);
        return 2;
}

static int report(struct v2c_error *err)
{
        fprintf(stderr, "libvirt-ctl: %s\n", err && err->msg ? err->msg : "failed");
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
        if (argc < 4)
                return usage("missing URI, DOMAIN or command");
        const char *uri = argv[1], *domain = argv[2], *cmd = argv[3];
        int nargs = argc - 4;
        struct v2c_error *err = NULL;

        if (strcmp(cmd, "state") == 0) {
                if (nargs != 0)
                        return usage("too many arguments");
                _cleanup_free_ char *state = NULL;
                bool running = false;
                if (v2c_libvirt_state(uri, domain, &state, &running, &err) < 0)
                        return report(err);
                printf("state=%s running=%s\n", state, running ? "true" : "false");
        } else if (strcmp(cmd, "start") == 0) {
                if (nargs != 0)
                        return usage("too many arguments");
                if (v2c_libvirt_start(uri, domain, &err) < 0)
                        return report(err);
        } else if (strcmp(cmd, "shutdown") == 0) {
                int grace;
                if (nargs != 1 || parse_ms(argv[4], &grace) < 0)
                        return usage("shutdown wants GRACE_MS");
                long long t0 = v2c_monotonic_ms();
                int r = v2c_libvirt_shutdown(uri, domain, grace, &err);
                if (r < 0)
                        return report(err);
                printf("%s in %lld ms\n", r == 0 ? "powered off" : "stopped hard", v2c_monotonic_ms() - t0);
        } else {
                fprintf(stderr, "libvirt-ctl: unknown command `%s`\n", cmd);
                return 2;
        }
        return 0;
}
