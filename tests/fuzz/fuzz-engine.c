/* libFuzzer target for the parsers of what a Docker Engine API (podman)
 * sends back (rollout/engine.c).  The first byte picks the parser, the
 * rest is the reply:
 *   0  the pull's JSON-lines progress stream
 *   1  a multiplexed log stream
 *   2  a container's inspect reply, and the same bytes as an image's
 *      inspect reply (its io.v2c.needs label) and as a GET /version
 *      reply (which engine it is)
 * Failures must set an error and leave the outputs alone; what succeeds
 * must stay within its bounds: an error message of at most 1 KiB without
 * control characters, a demultiplexed log no longer than its input. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_clean(const char *s, size_t max)
{
        size_t n = strlen(s);
        if (n > max)
                abort();
        for (size_t i = 0; i < n; i++)
                if ((unsigned char) s[i] < 0x20 || s[i] == 0x7f)
                        abort();
}

static void failed(int r, struct v2c_error *err)
{
        if (r >= 0 || err == NULL || err->msg == NULL)
                abort();
        v2c_error_free(err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size == 0)
                return 0;
        const char *d = (const char *) data + 1;
        size_t n = size - 1;
        char *const sentinel = (char *) &sentinel;
        struct v2c_error *err = NULL;
        switch (data[0] % 3) {
        case 0: {
                char *msg = sentinel;
                int r = v2c_engine_parse_pull_stream(d, n, &msg, &err);
                if (r < 0) {
                        if (msg != sentinel)
                                abort();
                        failed(r, err);
                        return 0;
                }
                if (r != 0 || err != NULL || msg == sentinel)
                        abort();
                if (msg) {
                        check_clean(msg, 1024 + 3);
                        free(msg);
                }
                return 0;
        }
        case 1: {
                char *out = sentinel;
                size_t len = SIZE_MAX;
                int r = v2c_engine_demux_logs(d, n, &out, &len, &err);
                if (r < 0) {
                        if (out != sentinel || len != SIZE_MAX)
                                abort();
                        failed(r, err);
                        return 0;
                }
                if (r != 0 || err != NULL || out == sentinel || len > n || out[len] != '\0')
                        abort();
                /* Every frame costs a header: what comes out is the input
                 * without them, in order. */
                if ((n - len) % 8 != 0 || (n > 0 && n - len < 8))
                        abort();
                free(out);
                return 0;
        }
        default: {
                /* The same reply shape (an inspect's JSON) for an image's label. */
                char *label = sentinel;
                struct v2c_error *lerr = NULL;
                int lr = v2c_engine_parse_image_label(d, n, "io.v2c.needs", &label, &lerr);
                if (lr < 0) {
                        if (label != sentinel)
                                abort();
                        failed(lr, lerr);
                } else if (label == sentinel || lerr != NULL)
                        abort();
                else
                        free(label);
                enum v2c_engine_kind kind = (enum v2c_engine_kind) 77;
                lerr = NULL;
                lr = v2c_engine_parse_version(d, n, &kind, &lerr);
                if (lr < 0) {
                        if (kind != (enum v2c_engine_kind) 77)
                                abort();
                        failed(lr, lerr);
                } else if (lerr != NULL || (kind != V2C_ENGINE_DOCKER && kind != V2C_ENGINE_PODMAN))
                        abort();
                struct v2c_engine_state st = { .status = sentinel, .exit_code = 12345 };
                int r = v2c_engine_parse_state(d, n, &st, &err);
                if (r < 0) {
                        if (st.status != sentinel || st.exit_code != 12345)
                                abort();
                        failed(r, err);
                        return 0;
                }
                if (r != 0 || err != NULL || st.status == NULL || st.status == sentinel || st.pid < 0)
                        abort();
                check_clean(st.status, 64 + 3);
                v2c_engine_state_release(&st);
                return 0;
        }
        }
}
