/* Decoding file capabilities; see caps.h. */
#include "caps.h"
#include "strv.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>

#define REVISION_MASK 0xff000000u
#define REVISION_1 0x01000000u  /* 32 capabilities: 12 bytes */
#define REVISION_2 0x02000000u  /* 64: 20 bytes */
#define REVISION_3 0x03000000u  /* 64 and a root uid: 24 bytes */
#define FLAG_EFFECTIVE 0x000001u

/* By bit number, as <linux/capability.h> numbers them. */
static const char *const cap_names[] = {
        "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID",
        "SETPCAP", "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW",
        "IPC_LOCK", "IPC_OWNER", "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT",
        "SYS_ADMIN", "SYS_BOOT", "SYS_NICE", "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD",
        "LEASE", "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP", "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG",
        "WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF", "CHECKPOINT_RESTORE",
};

static uint32_t le32(const unsigned char *p)
{
        return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16 | (uint32_t) p[3] << 24;
}

int v2c_caps_decode(const void *value, size_t len, char ***names, bool *effective)
{
        const unsigned char *p = value;
        if (len < 4)
                return -EINVAL;
        uint32_t magic = le32(p);
        size_t words;
        switch (magic & REVISION_MASK) {
        case REVISION_1: words = 1; if (len != 12) return -EINVAL; break;
        case REVISION_2: words = 2; if (len != 20) return -EINVAL; break;
        case REVISION_3: words = 2; if (len != 24) return -EINVAL; break;
        default: return -EINVAL;
        }
        char **v = NULL;
        for (size_t w = 0; w < words; w++) {
                uint32_t permitted = le32(p + 4 + 8 * w);
                for (unsigned bit = 0; bit < 32; bit++) {
                        if (!(permitted & (1u << bit)))
                                continue;
                        size_t n = 32 * w + bit;
                        char name[48];
                        if (n < sizeof cap_names / sizeof cap_names[0])
                                snprintf(name, sizeof name, "CAP_%s", cap_names[n]);
                        else
                                snprintf(name, sizeof name, "CAP_%zu", n);
                        if (v2c_strv_push(&v, name) < 0) {
                                v2c_strv_free(v);
                                return -ENOMEM;
                        }
                }
        }
        *names = v;
        if (effective)
                *effective = magic & FLAG_EFFECTIVE;
        return 0;
}
