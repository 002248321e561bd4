/* JSON helpers; see json.h. */
#include "json.h"
#include "cleanup.h"
#include "fsutil.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* Length of the valid UTF-8 sequence at p (1-4), or 0 if invalid. */
static size_t utf8_seq(const unsigned char *p)
{
        if (p[0] < 0x80)
                return 1;
        if (p[0] >= 0xc2 && p[0] <= 0xdf)
                return (p[1] & 0xc0) == 0x80 ? 2 : 0;
        if (p[0] >= 0xe0 && p[0] <= 0xef) {
                if ((p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80)
                        return 0;
                if ((p[0] == 0xe0 && p[1] < 0xa0) || (p[0] == 0xed && p[1] >= 0xa0))
                        return 0; /* overlong, surrogate */
                return 3;
        }
        if (p[0] >= 0xf0 && p[0] <= 0xf4) {
                if ((p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80 || (p[3] & 0xc0) != 0x80)
                        return 0;
                if ((p[0] == 0xf0 && p[1] < 0x90) || (p[0] == 0xf4 && p[1] >= 0x90))
                        return 0;
                return 4;
        }
        return 0;
}

char *v2c_utf8_escape(const char *s)
{
        size_t n = strlen(s);
        char *out = malloc(4 * n + 1);
        if (out == NULL)
                return NULL;
        const unsigned char *p = (const unsigned char *) s;
        size_t w = 0;
        while (*p) {
                size_t k = utf8_seq(p);
                if (k == 0) {
                        w += (size_t) sprintf(out + w, "\\x%02x", *p);
                        p++;
                        continue;
                }
                memcpy(out + w, p, k);
                w += k;
                p += k;
        }
        out[w] = '\0';
        return out;
}

json_t *v2c_json_str(const char *s)
{
        if (s == NULL)
                return json_null();
        json_t *j = json_string(s);
        if (j)
                return j;
        /* Guest bytes that are not UTF-8 (jansson refuses them): keep every
         * valid character, write the other bytes as \xNN. */
        char *e = v2c_utf8_escape(s);
        j = e ? json_string(e) : NULL;
        free(e);
        return j ? j : json_string("");
}

json_t *v2c_json_strv(char *const *v)
{
        json_t *a = json_array();
        for (size_t i = 0; a && v && v[i]; i++)
                json_array_append_new(a, v2c_json_str(v[i]));
        return a;
}

char *v2c_json_dump(const json_t *j)
{
        char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
        if (s == NULL)
                return NULL;
        size_t n = strlen(s);
        char *t = realloc(s, n + 2);
        if (t == NULL) {
                free(s);
                return NULL;
        }
        t[n] = '\n';
        t[n + 1] = '\0';
        return t;
}

int v2c_json_write(const json_t *j, const char *path, struct v2c_error **err)
{
        _cleanup_free_ char *s = v2c_json_dump(j);
        if (s == NULL)
                return v2c_error_set(err, ENOMEM, "cannot serialise JSON");
        if (path == NULL || strcmp(path, "-") == 0) {
                if (fputs(s, stdout) == EOF || fflush(stdout) == EOF)
                        return v2c_error_set(err, errno ? errno : EIO, "writing to standard output: %m");
                return 0;
        }
        return v2c_write_file_atomic(path, s, strlen(s), 0644, err);
}

int v2c_json_load(const char *data, size_t len, const char *what, json_t **out, struct v2c_error **err)
{
        json_error_t je;
        json_t *j = json_loadb(data, len, JSON_REJECT_DUPLICATES, &je);
        if (j == NULL)
                return v2c_error_set_kind(err, V2C_ERR_INPUT, EINVAL, "%s:%d:%d: %s", what, je.line, je.column,
                                          je.text);
        *out = j;
        return 0;
}

int v2c_json_load_file(const char *path, size_t max, json_t **out, struct v2c_error **err)
{
        _cleanup_free_ char *data = NULL;
        size_t len = 0;
        int r = v2c_read_host_file(path, max, &data, &len, err);
        if (r < 0)
                return r;
        return v2c_json_load(data, len, path, out, err);
}
