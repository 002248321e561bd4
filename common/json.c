/* JSON helpers; see json.h. */
#include "json.h"
#include "cleanup.h"
#include "fsutil.h"
#include "text.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static bool is_hex_escape(const char *p)
{
        return p[0] == '\\' && p[1] == 'x' && v2c_hex_value(p[2]) >= 0 && v2c_hex_value(p[3]) >= 0;
}

char *v2c_utf8_escape(const char *s)
{
        return v2c_text_is_utf8(s) ? strdup(s) : v2c_text_escape(s, V2C_ESCAPE_BACKSLASH);
}

char *v2c_utf8_unescape(const char *text)
{
        const char *s = text;
        char *out = malloc(strlen(s) + 1), *w = out;
        if (out == NULL)
                return NULL;
        bool any = false;
        while (*s) {
                if (is_hex_escape(s)) {
                        *w++ = (char) (v2c_hex_value(s[2]) << 4 | v2c_hex_value(s[3]));
                        s += 4;
                        any = true;
                } else
                        *w++ = *s++;
        }
        *w = '\0';
        /* Only a string that was not UTF-8 was escaped, so only one that
         * decodes to bytes that are not UTF-8 was: "dev-disk-by\x2d..." of
         * a systemd unit name stays as it is. */
        if (any && v2c_text_is_utf8(out)) {
                free(out);
                return strdup(text);
        }
        return out;
}

json_t *v2c_json_str(const char *s)
{
        if (s == NULL)
                return json_null();
        /* Guest bytes that are not UTF-8 (jansson refuses them): the
         * lossless escape of v2c_utf8_escape. */
        char *e = v2c_utf8_escape(s);
        json_t *j = e ? json_string(e) : NULL;
        free(e);
        return j;
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
