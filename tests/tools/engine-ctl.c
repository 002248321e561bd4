/* A test tool over rollout/engine.h: drives a Docker Engine API (podman's
 * service) one call per run, so tests/integration/test-engine.sh can check
 * the client against the real thing.
 *
 *   engine-ctl [--timeout-ms N] SOCKET ping
 *   engine-ctl ... SOCKET pull REF                  REF: HOST/PATH@sha256:...
 *   engine-ctl ... SOCKET run NAME IMAGE CPORT:HPORT [CMD...]
 *                                                   create + start; prints the id
 *   engine-ctl ... SOCKET start ID
 *   engine-ctl ... SOCKET inspect ID                running=B status=S exit_code=N pid=N tty=B
 *   engine-ctl ... SOCKET stop ID [TIMEOUT_S]
 *   engine-ctl ... SOCKET rm ID [--force]
 *   engine-ctl ... SOCKET logs ID [LINES]
 *
 * Exit status: 0, 1 failure, 2 usage (a bad argument, refused before any
 * request), 3 not found (ENOENT).  Errors go to stderr as one line
 * "engine-ctl: MESSAGE [errno NAME]".  Not a product command. */
#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "engine.h"
#include "error.h"

static int parse_uint(const char *s, unsigned max, unsigned *out)
{
        char *end;
        errno = 0;
        unsigned long v = strtoul(s, &end, 10);
        if (errno || end == s || *end || v > max || s[0] == '-')
                return -EINVAL;
        *out = (unsigned) v;
        return 0;
}

static int usage(const char *msg, struct v2c_error **err)
{
        return v2c_error_set_kind(err, V2C_ERR_USAGE, EINVAL, "%s", msg);
}

static int cmd_ping(struct v2c_engine *e, int argc, char **argv, struct v2c_error **err)
{
        int r = v2c_engine_ping(e, err);
        if (r >= 0)
                puts("OK");
        return r;
}

static int cmd_pull(struct v2c_engine *e, int argc, char **argv, struct v2c_error **err)
{
        return v2c_engine_pull(e, argv[0], err);
}

static int cmd_run(struct v2c_engine *e, int argc, char **argv, struct v2c_error **err)
{
        struct v2c_engine_port port;
        char *colon = strchr(argv[2], ':');
        if (colon == NULL)
                return usage("run: the port must be CPORT:HPORT", err);
        *colon = '\0';
        if (parse_uint(argv[2], 65535, &port.container_port) < 0 || parse_uint(colon + 1, 65535, &port.host_port) < 0)
                return usage("run: ports are numbers up to 65535", err);
        struct v2c_engine_container_spec spec = {
                .name = argv[0],
                .image = argv[1],
                .cmd = argc > 3 ? argv + 3 : NULL,
                .ports = &port,
                .n_ports = 1,
        };
        char *env[] = { (char *) "V2C_ENGINE_TEST=1", NULL };
        spec.env = env;
        _cleanup_free_ char *id = NULL;
        int r = v2c_engine_create(e, &spec, &id, err);
        if (r < 0)
                return r;
        r = v2c_engine_start(e, id, err);
        if (r < 0)
                return r;
        puts(id);
        return 0;
}

static int cmd_start(struct v2c_engine *e, int argc, char **argv, struct v2c_error **err)
{
        return v2c_engine_start(e, argv[0], err);
}

static int cmd_inspect(struct v2c_engine *e, int argc, char **argv, struct v2c_error **err)
{
        struct v2c_engine_state st = { 0 };
        int r = v2c_engine_inspect(e, argv[0], &st, err);
        if (r < 0)
                return r;
        printf("running=%s status=%s exit_code=%d pid=%d tty=%s\n", st.running ? "true" : "false", st.status,
               st.exit_code, st.pid, st.tty ? "true" : "false");
        v2c_engine_state_release(&st);
        return 0;
}

static int cmd_stop(struct v2c_engine *e, int argc, char **argv, struct v2c_error **err)
{
        unsigned t = 10;
        if (argc > 1 && parse_uint(argv[1], 3600, &t) < 0)
                return usage("stop: TIMEOUT_S is a number of seconds", err);
        return v2c_engine_stop(e, argv[0], (int) t, err);
}

static int cmd_rm(struct v2c_engine *e, int argc, char **argv, struct v2c_error **err)
{
        if (argc > 1 && strcmp(argv[1], "--force") != 0)
                return usage("rm: the only option is --force", err);
        return v2c_engine_remove(e, argv[0], argc > 1, err);
}

static int cmd_logs(struct v2c_engine *e, int argc, char **argv, struct v2c_error **err)
{
        unsigned lines = 100;
        if (argc > 1 && parse_uint(argv[1], 1000000, &lines) < 0)
                return usage("logs: LINES is a number", err);
        _cleanup_free_ char *out = NULL;
        int r = v2c_engine_logs_tail(e, argv[0], (int) lines, &out, err);
        if (r >= 0)
                fputs(out, stdout);
        return r;
}

static const struct {
        const char *name;
        int min, max; /* arguments after the verb; -1: any number */
        int (*fn)(struct v2c_engine *e, int argc, char **argv, struct v2c_error **err);
} commands[] = {
        { "ping", 0, 0, cmd_ping },       { "pull", 1, 1, cmd_pull }, { "run", 3, -1, cmd_run },
        { "inspect", 1, 1, cmd_inspect }, { "stop", 1, 2, cmd_stop }, { "rm", 1, 2, cmd_rm },
        { "logs", 1, 2, cmd_logs },       { "start", 1, 1, cmd_start },
};

int main(int argc, char **argv)
{
        int timeout_ms = 0;
        int i = 1;
        if (argc > 2 && strcmp(argv[1], "--timeout-ms") == 0) {
                timeout_ms = atoi(argv[2]);
                i = 3;
        }
        if (argc - i < 2) {
                fprintf(stderr, "usage: engine-ctl [--timeout-ms N] SOCKET VERB [ARGS...]\n");
                return 2;
        }
        const char *socket_path = argv[i], *verb = argv[i + 1];
        int nargs = argc - i - 2;
        char **args = argv + i + 2;
        for (size_t k = 0; k < V2C_ARRAY_SIZE(commands); k++) {
                if (strcmp(commands[k].name, verb) != 0)
                        continue;
                if (nargs < commands[k].min || (commands[k].max >= 0 && nargs > commands[k].max)) {
                        fprintf(stderr, "engine-ctl: %s: wrong number of arguments\n", verb);
                        return 2;
                }
                curl_global_init(CURL_GLOBAL_DEFAULT);
                struct v2c_engine e = { 0 };
                struct v2c_error *err = NULL;
                int r = v2c_engine_init(&e, socket_path, timeout_ms, &err);
                if (r >= 0)
                        r = commands[k].fn(&e, nargs, args, &err);
                v2c_engine_release(&e);
                curl_global_cleanup();
                if (r >= 0)
                        return 0;
                fprintf(stderr, "engine-ctl: %s [errno %s]\n", err ? err->msg : "(no message)",
                        strerrorname_np(-r) ? strerrorname_np(-r) : "?");
                int st = err && err->kind == V2C_ERR_USAGE ? 2 : r == -ENOENT ? 3 : 1;
                v2c_error_free(err);
                return st;
        }
        fprintf(stderr, "engine-ctl: no verb `%s` (ping, pull, run, start, inspect, stop, rm, logs)\n", verb);
        return 2;
}
