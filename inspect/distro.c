/* Release files of guests older than os-release: see distro-internal.h. */
#include "distro-internal.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "strv.h"

#define RELEASE_MAX_BYTES 4096
#define LIKE_MAX_WORDS    16

void v2c_distro_release(struct v2c_distro *d)
{
        if (d == NULL)
                return;
        free(d->id);
        free(d->version);
        free(d->pretty_name);
        v2c_strv_free(d->id_like);
        *d = (struct v2c_distro) { 0 };
}

/* The first line of (data, len), blanks trimmed, control bytes refused
 * (a release file is one printable line); NULL when empty or odd. */
static char *first_line(const char *data, size_t len)
{
        if (len > RELEASE_MAX_BYTES)
                len = RELEASE_MAX_BYTES;
        size_t i = 0;
        while (i < len && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r'))
                i++;
        size_t e = i;
        while (e < len && data[e] != '\n')
                e++;
        while (e > i && (data[e - 1] == ' ' || data[e - 1] == '\t' || data[e - 1] == '\r'))
                e--;
        if (e == i)
                return NULL;
        for (size_t k = i; k < e; k++)
                if ((unsigned char) data[k] < 0x20 || data[k] == 0x7f)
                        return NULL;
        return strndup(data + i, e - i);
}

/* The version after the word "release": digits and dots ("7.9.2009"). */
static char *version_after_release(const char *line)
{
        for (const char *p = strstr(line, "release"); p; p = strstr(p + 1, "release")) {
                if (p != line && p[-1] != ' ')
                        continue;
                const char *v = p + strlen("release");
                if (*v != ' ')
                        continue;
                v += strspn(v, " ");
                size_t n = strspn(v, "0123456789.");
                while (n && v[n - 1] == '.')
                        n--;
                if (n && isdigit((unsigned char) v[0]))
                        return strndup(v, n);
        }
        return NULL;
}

static int set_like(struct v2c_distro *d, const char *like)
{
        return like ? v2c_distro_split_like(like, &d->id_like) : 0;
}

int v2c_distro_parse_redhat(const char *data, size_t len, struct v2c_distro *d)
{
        /* The product names these files have carried, longest first where
         * one is the start of another; ID and ID_LIKE as the os-release of
         * the same distribution's later releases have them. */
        static const struct {
                const char *prefix, *id, *like;
        } known[] = {
                { "Red Hat Enterprise Linux", "rhel", "fedora" },
                { "CentOS Stream", "centos", "rhel fedora" },
                { "CentOS", "centos", "rhel fedora" },
                { "Rocky Linux", "rocky", "rhel centos fedora" },
                { "AlmaLinux", "almalinux", "rhel centos fedora" },
                { "Oracle Linux", "ol", "fedora" },
                { "Scientific Linux", "scientific", "rhel fedora" },
                { "Amazon Linux", "amzn", "centos rhel fedora" },
                { "Fedora", "fedora", NULL },
        };
        _cleanup_free_ char *line = first_line(data, len);
        if (line == NULL)
                return 1;
        for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
                size_t pl = strlen(known[i].prefix);
                if (strncmp(line, known[i].prefix, pl) != 0 || (line[pl] != ' ' && line[pl] != '\0'))
                        continue;
                struct v2c_distro n = { .id = strdup(known[i].id), .version = version_after_release(line) };
                if (n.id == NULL || set_like(&n, known[i].like) < 0) {
                        v2c_distro_release(&n);
                        return -ENOMEM;
                }
                n.pretty_name = TAKE_PTR(line);
                *d = n;
                return 0;
        }
        return 1;
}

/* "KEY = value" of SuSE-release; new or NULL. */
static char *suse_value(const char *data, size_t len, const char *key)
{
        size_t kl = strlen(key);
        const char *end = data + len;
        for (const char *p = data; p < end;) {
                const char *nl = memchr(p, '\n', (size_t) (end - p));
                const char *le = nl ? nl : end;
                if ((size_t) (le - p) > kl && memcmp(p, key, kl) == 0 && (p[kl] == ' ' || p[kl] == '=')) {
                        const char *v = p + kl;
                        while (v < le && (*v == ' ' || *v == '\t'))
                                v++;
                        if (v < le && *v == '=') {
                                v++;
                                while (v < le && (*v == ' ' || *v == '\t'))
                                        v++;
                                /* Bounded by the line: the data is not a C string. */
                                size_t n = 0;
                                while (v + n < le && v[n] >= '0' && v[n] <= '9')
                                        n++;
                                if (n)
                                        return strndup(v, n);
                        }
                }
                p = nl ? nl + 1 : end;
        }
        return NULL;
}

int v2c_distro_parse_suse(const char *data, size_t len, struct v2c_distro *d)
{
        if (len > RELEASE_MAX_BYTES)
                len = RELEASE_MAX_BYTES;
        _cleanup_free_ char *line = first_line(data, len);
        if (line == NULL)
                return 1;
        const char *id, *like;
        if (strncmp(line, "SUSE Linux Enterprise Server", 28) == 0)
                id = "sles", like = "suse";
        else if (strncmp(line, "SUSE Linux Enterprise Desktop", 29) == 0)
                id = "sled", like = "suse";
        else if (strncmp(line, "openSUSE", 8) == 0)
                id = "opensuse", like = "suse";
        else
                return 1;
        _cleanup_free_ char *ver = suse_value(data, len, "VERSION");
        _cleanup_free_ char *patch = suse_value(data, len, "PATCHLEVEL");
        struct v2c_distro n = { .id = strdup(id) };
        if (ver && patch && strcmp(patch, "0") != 0) {
                if (asprintf(&n.version, "%s.%s", ver, patch) < 0)
                        n.version = NULL;
        } else if (ver)
                n.version = TAKE_PTR(ver);
        if (n.id == NULL || (ver && n.version == NULL) || set_like(&n, like) < 0) {
                v2c_distro_release(&n);
                return -ENOMEM;
        }
        /* The product line ends in its arch, "(x86_64)": the pretty name
         * os-release would have carries none. */
        char *paren = strrchr(line, '(');
        if (paren && paren > line) {
                *paren = '\0';
                size_t l = strlen(line);
                while (l && line[l - 1] == ' ')
                        line[--l] = '\0';
        }
        n.pretty_name = TAKE_PTR(line);
        *d = n;
        return 0;
}

int v2c_distro_split_like(const char *value, char ***out)
{
        _cleanup_strv_ char **v = NULL;
        size_t words = 0;
        for (const char *p = value; *p && words < LIKE_MAX_WORDS;) {
                p += strspn(p, " \t");
                size_t n = strcspn(p, " \t");
                if (n == 0)
                        break;
                char *w = strndup(p, n);
                if (w == NULL || v2c_strv_consume(&v, w) < 0)
                        return -ENOMEM;
                words++;
                p += n;
        }
        v2c_strv_free(*out);
        *out = TAKE_PTR(v);
        return 0;
}
