/* The guest's account files, as images get them: passwd and group cut
 * down to system accounts and the service's own, shadow without its
 * password hashes.  The bytes come from the guest: every line is taken
 * as it is or skipped, never trusted for a length. */
#include "convert-internal.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"

/* Looks NAME (or a numeric id) up in passwd-format DATA. */
bool convert_lookup_account(const char *data, const char *name, struct account *a)
{
        *a = (struct account) { 0 };
        if (data == NULL || name == NULL)
                return false;
        for (const char *l = data; *l; l = strchrnul(l, '\n'), l += *l == '\n') {
                const char *f[4];
                size_t k = 0;
                f[k++] = l;
                for (const char *p = l; *p && *p != '\n' && k < 4; p++)
                        if (*p == ':')
                                f[k++] = p + 1;
                if (k < 4)
                        continue;
                size_t nlen = (size_t) (f[1] - f[0] - 1);
                unsigned long id = strtoul(f[2], NULL, 10);
                bool match = (strlen(name) == nlen && strncmp(l, name, nlen) == 0) ||
                             (name[0] >= '0' && name[0] <= '9' && id == strtoul(name, NULL, 10));
                if (!match || nlen >= sizeof a->name)
                        continue;
                memcpy(a->name, l, nlen);
                a->name[nlen] = '\0';
                a->uid = (uint32_t) id;
                a->gid = (uint32_t) strtoul(f[3], NULL, 10);
                a->found = true;
                return true;
        }
        return false;
}

/* The lines of passwd/group DATA an image keeps: system accounts (id below
 * 1000, and nobody), and the service's own (KEEP_NAME / KEEP_ID).  People's
 * accounts stay on the VM. */
char *convert_filter_accounts(const char *data, const char *keep_name, long keep_id)
{
        struct v2c_buf b;
        v2c_buf_init(&b, 16u << 20);
        for (const char *l = data; l && *l;) {
                const char *end = strchrnul(l, '\n');
                const char *c1 = memchr(l, ':', (size_t) (end - l));
                const char *c2 = c1 ? memchr(c1 + 1, ':', (size_t) (end - c1 - 1)) : NULL;
                if (c2) {
                        long id = strtol(c2 + 1, NULL, 10);
                        size_t nlen = (size_t) (c1 - l);
                        bool mine = (keep_name && strlen(keep_name) == nlen && strncmp(l, keep_name, nlen) == 0) ||
                                    id == keep_id;
                        if (id < 1000 || id == 65534 || mine) {
                                v2c_buf_append(&b, l, (size_t) (end - l));
                                v2c_buf_append(&b, "\n", 1);
                        }
                }
                l = *end ? end + 1 : end;
        }
        if (b.len == 0)
                v2c_buf_append(&b, "", 0);
        return v2c_buf_steal(&b);
}

/* /etc/shadow without its password hashes: accounts stay, locked. */
char *convert_sanitize_shadow(const char *data)
{
        struct v2c_buf b;
        v2c_buf_init(&b, 16u << 20);
        for (const char *l = data; l && *l;) {
                const char *end = strchrnul(l, '\n');
                const char *c1 = memchr(l, ':', (size_t) (end - l));
                const char *c2 = c1 ? memchr(c1 + 1, ':', (size_t) (end - c1 - 1)) : NULL;
                if (c2) {
                        v2c_buf_append(&b, l, (size_t) (c1 - l) + 1);
                        v2c_buf_append(&b, "*", 1);
                        v2c_buf_append(&b, c2, (size_t) (end - c2));
                        v2c_buf_append(&b, "\n", 1);
                }
                l = *end ? end + 1 : end;
        }
        if (b.len == 0)
                v2c_buf_append(&b, "", 0);
        return v2c_buf_steal(&b);
}

