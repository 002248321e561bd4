/* libFuzzer target for QMP message parsing (rollout/qmp.c): the whole
 * input is one line from qemu's QMP socket.  A success must be one of the
 * four kinds with the fields that kind promises; a failure must say why
 * and leave the output alone. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "qmp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static const char untouched[] = "untouched";
        struct v2c_qmp_msg m = { .event = untouched };
        struct v2c_error *err = NULL;
        int r = v2c_qmp_parse_message((const char *) data, size, &m, &err);
        if (r < 0) {
                if (err == NULL || err->msg == NULL || m.event != untouched || m.root != NULL)
                        abort();
                v2c_error_free(err);
                return 0;
        }
        if (r != 0 || err != NULL || !json_is_object(m.root))
                abort();
        switch (m.kind) {
        case V2C_QMP_MSG_GREETING:
                if (!json_is_object(m.value) || m.id || m.event || m.error_class)
                        abort();
                for (int i = 0; i < 3; i++)
                        if (m.version[i] < -1)
                                abort();
                break;
        case V2C_QMP_MSG_RETURN:
                if (m.value == NULL || m.event || m.error_class)
                        abort();
                break;
        case V2C_QMP_MSG_ERROR:
                if (m.error_class == NULL || m.error_desc == NULL || m.event || m.value)
                        abort();
                if (strlen(m.error_class) > size || strlen(m.error_desc) > size)
                        abort();
                break;
        case V2C_QMP_MSG_EVENT:
                if (m.event == NULL || m.event == untouched || (m.value && !json_is_object(m.value)) || m.id)
                        abort();
                break;
        default:
                abort();
        }
        v2c_qmp_msg_release(&m);
        if (m.root != NULL)
                abort();
        return 0;
}
