/* libFuzzer target: a guest's passwd/group/shadow bytes through convert's
 * account helpers: lookups by name and by id, the filtered copy an image
 * gets, and the shadow with its hashes removed.  The filtered copy must be
 * made of whole lines of the input, and a sanitised shadow must hold no
 * byte of a password field. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "convert-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *s = malloc(size + 1);
        if (s == NULL)
                return 0;
        memcpy(s, data, size);
        s[size] = '\0';
        struct account a;
        static const char *const names[] = { "root", "www-data", "0", "1000", "", "nobody" };
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
                if (convert_lookup_account(s, names[i], &a) && strlen(a.name) >= sizeof a.name)
                        abort();
        char *f = convert_filter_accounts(s, "webapp", 1001);
        if (f) {
                /* Every kept line is a line of the input. */
                for (char *l = f; *l;) {
                        char *e = strchr(l, '\n');
                        if (e == NULL)
                                abort();
                        *e = '\0';
                        if (*l && strstr(s, l) == NULL)
                                abort();
                        l = e + 1;
                }
        }
        free(f);
        char *sh = convert_sanitize_shadow(s);
        if (sh) {
                for (char *l = sh; *l;) {
                        char *c1 = strchr(l, ':');
                        if (c1 == NULL || c1[1] != '*' || (c1[2] != ':' && c1[2] != '\n' && c1[2] != '\0'))
                                abort();
                        char *e = strchr(l, '\n');
                        l = e ? e + 1 : l + strlen(l);
                }
        }
        free(sh);
        free(s);
        return 0;
}
