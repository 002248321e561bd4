/* libFuzzer target for the port detectors (inspect/ports.c).  The first
 * byte picks what the rest of the input is fed to: an argv (words split at
 * NUL bytes), a socket-unit value, or one of the config parsers.  Every
 * include the parsers ask for "matches" one file holding the same input,
 * so include loops, the depth limit and the file/byte limits are all
 * reached from small inputs. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "error.h"
#include "ports-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fuzz_input {
        const char *data;
        size_t size;
};

static int fuzz_read_include(void *ctx, const char *pattern, v2c_include_file_cb cb, void *state,
                             struct v2c_error **err)
{
        const struct fuzz_input *in = ctx;
        return cb(state, pattern, in->data, in->size, err);
}

#define FUZZ_MAX_ARGS 64

static void fuzz_argv(const char *data, size_t size, struct v2c_ports *out)
{
        /* NUL-terminated copy: argv words are C strings. */
        _cleanup_free_ char *copy = malloc(size + 1);
        if (copy == NULL)
                return;
        memcpy(copy, data, size);
        copy[size] = '\0';
        char *argv[FUZZ_MAX_ARGS + 1];
        size_t n = 0;
        for (size_t i = 0; i <= size && n < FUZZ_MAX_ARGS; n++) {
                argv[n] = copy + i;
                i += strlen(copy + i) + 1;
        }
        argv[n] = NULL;
        struct v2c_error *err = NULL;
        v2c_ports_from_argv(argv, out, &err);
        v2c_error_free(err);
}

static void fuzz_socket(const char *data, size_t size, struct v2c_ports *out)
{
        static const char *const keys[] = {
                "ListenStream", "ListenDatagram", "ListenSequentialPacket", "ListenFIFO",
        };
        if (size == 0)
                return;
        const char *key = keys[(unsigned char) data[0] % V2C_ARRAY_SIZE(keys)];
        _cleanup_free_ char *value = malloc(size);
        if (value == NULL)
                return;
        memcpy(value, data + 1, size - 1);
        value[size - 1] = '\0';
        struct v2c_error *err = NULL;
        v2c_ports_from_socket_value(key, value, "socket:fuzz.socket", out, &err);
        v2c_error_free(err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size == 0)
                return 0;
        /* A new server changes the modulus: seeds whose first byte is
         * not below the old one must be re-keyed to keep their parser. */
        unsigned mode = data[0] % (2 + V2C_SERVER_COUNT_);
        const char *rest = (const char *) data + 1;
        size_t rest_size = size - 1;
        _cleanup_ports_ struct v2c_ports ports = { 0 };

        if (mode == 0) {
                fuzz_argv(rest, rest_size, &ports);
        } else if (mode == 1) {
                fuzz_socket(rest, rest_size, &ports);
        } else {
                struct fuzz_input in = { rest, rest_size };
                struct v2c_include_reader inc = { fuzz_read_include, &in };
                struct v2c_svc_config *conf = NULL;
                struct v2c_error *err = NULL;
                int r = v2c_ports_parse_config((enum v2c_server) (mode - 2), "/etc/fuzz/main.conf",
                                               rest, rest_size, &inc, &conf, &err);
                if (r == 0) {
                        /* Results must be sorted and unique. */
                        for (size_t i = 1; i < conf->ports.n; i++)
                                if (conf->ports.items[i - 1].port > conf->ports.items[i].port)
                                        abort();
                        if (v2c_ports_move(&ports, &conf->ports, NULL) < 0)
                                abort();
                } else if (conf != NULL || err == NULL) {
                        abort();   /* failure must leave *ret alone and say why */
                }
                v2c_svc_config_free(conf);
                v2c_error_free(err);
        }
        for (size_t i = 0; i < ports.n; i++)
                if (ports.items[i].port < 1 || ports.items[i].port > 65535)
                        abort();
        return 0;
}
