/* libFuzzer target: the hardened spec (inspect/harden.c) from a unit's
 * sandboxing settings, one "Key=value" line each as the unit parser hands
 * them over (guest input: capability sets, sizes, quotas, limits), with a
 * few ports and file capabilities taken from the first bytes. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "harden-internal.h"
#include "report.h"
#include "strv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size < 2 || size > 65536)
                return 0;
        struct v2c_service s = { .name = "fuzz", .kind = "systemd", .unit_path = "/etc/systemd/system/fuzz.service",
                                 .exec_path = "/usr/bin/fuzz" };
        struct v2c_port ports[2] = { { .port = data[0] * 8u + 1, .proto = "tcp" }, { .port = 8080, .proto = "tcp" } };
        s.ports = ports;
        s.nports = 2;
        s.user = data[1] & 1 ? "web" : NULL;
        s.dynamic_user = data[1] & 2;
        char *caps[] = { "CAP_NET_RAW", NULL };
        s.capabilities = data[1] & 4 ? caps : NULL;
        char *text = strndup((const char *) data + 2, size - 2);
        if (text == NULL)
                return 0;
        for (char *save = NULL, *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
                if (v2c_strv_push(&s.unit_sandbox, line) < 0)
                        break;
        inspect_harden(&s);
        v2c_hardening_release(&s.hardening);
        v2c_strv_free(s.unit_sandbox);
        free(text);
        return 0;
}
