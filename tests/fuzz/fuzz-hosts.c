/* libFuzzer target: a guest's /etc/hosts through convert_hosts_foreign()
 * (convert/hosts.c).  Every line it gives must be an address and at least
 * one name separated by single spaces, of their characters only (hex
 * digits, '.', ':', '%'; [A-Za-z0-9._-]): no comment, no other byte of the
 * guest's; no loopback address, no name that is the hostname; no more than
 * the cap kept, and no fewer counted. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "convert-internal.h"
#include "error.h"
#include "strv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct v2c_error *err = NULL;
        char **lines = NULL;
        size_t total = 0;
        if (convert_hosts_foreign((const char *) data, size, "web01.example.com", 4, &lines, &total, &err) < 0) {
                v2c_error_free(err);
                return 0;
        }
        size_t n = v2c_strv_len(lines);
        if (n > 4 || n > total || (total > 0 && n == 0))
                abort();
        for (size_t i = 0; i < n; i++) {
                const char *l = lines[i];
                if (strspn(l, "0123456789abcdefABCDEF.:% -_ghijklmnopqrstuvwxyzGHIJKLMNOPQRSTUVWXYZ") != strlen(l))
                        abort();
                const char *sp = strchr(l, ' ');
                if (sp && strspn(l, "0123456789abcdefABCDEF.:%") != (size_t) (sp - l))
                        abort();
                if (sp == NULL || sp == l || sp[1] == '\0' || strstr(l, "  ") || strchr(l, '#') ||
                    strchr(l, '\t') || strchr(l, '\n') || l[strlen(l) - 1] == ' ' || strncmp(l, "127.", 4) == 0 ||
                    strncmp(l, "::1 ", 4) == 0)
                        abort();
                /* No name of the line is the guest's. */
                char *copy = strdup(sp + 1);
                if (copy == NULL)
                        abort();
                for (char *save = NULL, *w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ", &save))
                        if (strcasecmp(w, "web01.example.com") == 0 || strcasecmp(w, "web01") == 0)
                                abort();
                free(copy);
        }
        v2c_strv_free(lines);
        return 0;
}
