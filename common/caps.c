/* Decoding file capabilities; see caps.h. */
#include "caps.h"
#include "strv.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define REVISION_MASK 0xff000000u
#define REVISION_1 0x01000000u  /* 32 capabilities: 12 bytes */
#define REVISION_2 0x02000000u  /* 64: 20 bytes */
#define REVISION_3 0x03000000u  /* 64 and a root uid: 24 bytes */
#define FLAG_EFFECTIVE 0x000001u

/* By bit number, as <linux/capability.h> numbers them. */
static const char *const cap_names[] = {
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
        "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE",
        "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER",
        "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT",
        "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME",
        "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP",
        "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND",
        "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
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
                                snprintf(name, sizeof name, "%s", cap_names[n]);
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

int v2c_caps_bit(const char *name)
{
        if (name == NULL)
                return -EINVAL;
        if (strncasecmp(name, "CAP_", 4) == 0)
                name += 4;
        for (size_t i = 0; i < sizeof cap_names / sizeof cap_names[0]; i++)
                if (strcasecmp(name, cap_names[i] + 4) == 0)
                        return (int) i;
        return -EINVAL;
}

const char *v2c_caps_name(int bit)
{
        if (bit < 0 || (size_t) bit >= sizeof cap_names / sizeof cap_names[0])
                return NULL;
        return cap_names[bit];
}

int v2c_caps_count(void)
{
        return (int) (sizeof cap_names / sizeof cap_names[0]);
}
