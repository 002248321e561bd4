/* The guest's /etc/hosts, which no image carries: its lines name the VM
 * (127.0.1.1 web01), so a base layer holding it would differ from one VM
 * of a template to the next, and a container runtime mounts its own
 * /etc/hosts over the image's anyway (podman from the host's, Docker and
 * the kubelet their own).  Every image gets the same neutral file, and
 * what the guest's names of other machines were is told to the operator,
 * who gives them at run time (docs/convert.md, "Host identity").  Pure and
 * bounded: the bytes are the guest's (fuzzed). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "convert-internal.h"
#include "error.h"
#include "strv.h"
#include "text.h"

/* Longer lines are no hosts entry anyone wrote by hand: skipped. */
#define HOSTS_MAX_LINE 4096

const char convert_neutral_hosts[] =
        "# Written by v2c convert: the guest's own file named the VM; a container\n"
        "# runtime mounts its own /etc/hosts here (docs/convert.md, \"Host identity\").\n"
        "127.0.0.1\tlocalhost\n"
        "::1\tlocalhost ip6-localhost ip6-loopback\n"
        "ff02::1\tip6-allnodes\n"
        "ff02::2\tip6-allrouters\n";

/* Addresses the neutral file covers or that name no other machine:
 * loopback, and IPv6 multicast (ff00::/8) or fe00::0 (ip6-localnet). */
static bool local_address(const char *a, size_t n)
{
        return v2c_span_starts(a, n, "127.") || v2c_span_eq(a, n, "::1") || v2c_span_starts_ci(a, n, "ff") ||
               v2c_span_eq(a, n, "fe00::0") || v2c_span_eq(a, n, "fe00::");
}

/* Only entries are told, and only in their own characters: an address
 * (IPv4 or IPv6, a zone after '%'), then host names.  A line of anything
 * else is no entry, and its bytes, which could be anything the guest
 * wrote, never reach a warning. */
static bool address_chars(const char *a, size_t n)
{
        bool sep = false;
        for (size_t i = 0; i < n; i++) {
                char c = a[i];
                sep |= c == '.' || c == ':';
                if (!(v2c_is_hex_digit(c) || c == '.' || c == ':' || c == '%'))
                        return false;
        }
        return sep;
}

static bool name_chars(const char *s, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                char c = s[i];
                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                      c == '-' || c == '_'))
                        return false;
        }
        return n > 0;
}

/* NAME (N bytes) is the guest's own: its hostname, or that name's first
 * label either way round (web01 and web01.example.com). */
static bool own_name(const char *name, size_t n, const char *hostname)
{
        if (hostname == NULL || hostname[0] == '\0')
                return false;
        size_t hl = strlen(hostname), hshort = strcspn(hostname, ".");
        const char *dot = memchr(name, '.', n);
        size_t nshort = dot ? (size_t) (dot - name) : n;
        return (n == hl && strncasecmp(name, hostname, n) == 0) ||
               (nshort == hshort && nshort > 0 && strncasecmp(name, hostname, nshort) == 0 &&
                (n == nshort || hl == hshort));
}

int convert_hosts_foreign(const char *data, size_t len, const char *hostname, size_t max, char ***lines,
                          size_t *total, struct v2c_error **err)
{
        _cleanup_strv_ char **out = NULL;
        size_t count = 0, kept = 0;
        struct v2c_lines it = { data, data + len, 0 };
        const char *line;
        size_t n;
        while (v2c_lines_next(&it, &line, &n)) {
                if (n > HOSTS_MAX_LINE)
                        continue;
                const char *hash = memchr(line, '#', n);
                if (hash)
                        n = (size_t) (hash - line);
                /* Fields: the address, then its names. */
                const char *f[HOSTS_MAX_LINE / 2 + 1];
                size_t fl[HOSTS_MAX_LINE / 2 + 1], nf = 0;
                for (size_t i = 0; i < n;) {
                        if (v2c_is_blank(line[i]) || line[i] == '\0' || line[i] == '\r') {
                                i++;
                                continue;
                        }
                        size_t j = i;
                        while (j < n && !v2c_is_blank(line[j]) && line[j] != '\0' && line[j] != '\r')
                                j++;
                        f[nf] = line + i;
                        fl[nf++] = j - i;
                        i = j;
                }
                if (nf < 2 || !address_chars(f[0], fl[0]) || local_address(f[0], fl[0]))
                        continue;
                bool entry = true;
                for (size_t k = 1; k < nf && entry; k++)
                        entry = name_chars(f[k], fl[k]);
                if (!entry)
                        continue;
                bool own = false;
                for (size_t k = 1; k < nf && !own; k++)
                        own = own_name(f[k], fl[k], hostname);
                if (own)
                        continue;
                count++;
                if (kept >= max)
                        continue;
                char *s = malloc(n + 1), *w = s;
                if (s == NULL)
                        return v2c_error_set(err, ENOMEM, "out of memory");
                for (size_t k = 0; k < nf; k++) {
                        if (k)
                                *w++ = ' ';
                        memcpy(w, f[k], fl[k]);
                        w += fl[k];
                }
                *w = '\0';
                if (v2c_strv_consume(&out, s) < 0)
                        return v2c_error_set(err, ENOMEM, "out of memory");
                kept++;
        }
        *lines = TAKE_PTR(out);
        *total = count;
        return 0;
}
