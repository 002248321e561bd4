/* The rollout journal: see journal.h. */
#include "journal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "json.h"

#define JOURNAL_MAX_BYTES (1024ull << 20)

struct v2c_journal {
        int fd;            /* the journal, O_APPEND; -1 when read-only */
        int lock_fd;
        json_t *records;   /* array */
        long long seq;     /* of the last record */
};

int v2c_journal_parse(const char *data, size_t len, json_t **records, size_t *valid_len, struct v2c_error **err)
{
        json_t *out = json_array();
        if (out == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        size_t pos = 0, good = 0;
        long long seq = 0;
        while (pos < len && json_array_size(out) < V2C_JOURNAL_MAX_RECORDS) {
                const char *nl = memchr(data + pos, '\n', len - pos);
                if (nl == NULL)
                        break;   /* a torn tail: not a record */
                size_t n = (size_t) (nl - (data + pos));
                if (n == 0 || n > V2C_JOURNAL_MAX_LINE)
                        break;
                json_error_t je;
                json_t *rec = json_loadb(data + pos, n, JSON_REJECT_DUPLICATES, &je);
                const json_t *s = rec ? json_object_get(rec, "seq") : NULL;
                if (!json_is_object(rec) || !json_is_integer(s) || json_integer_value(s) != seq + 1) {
                        json_decref(rec);
                        break;
                }
                seq++;
                if (json_array_append_new(out, rec) < 0) {
                        json_decref(out);
                        return v2c_error_set(err, ENOMEM, "out of memory");
                }
                pos += n + 1;
                good = pos;
        }
        *records = out;
        *valid_len = good;
        return 0;
}

static int read_all(int fd, char **data, size_t *len, struct v2c_error **err)
{
        struct stat st;
        if (fstat(fd, &st) < 0)
                return v2c_error_set(err, errno, "reading the journal: %m");
        if ((unsigned long long) st.st_size > JOURNAL_MAX_BYTES)
                return v2c_error_set_kind(err, V2C_ERR_INPUT, EFBIG, "the journal is larger than %llu bytes",
                                          JOURNAL_MAX_BYTES);
        char *buf = malloc((size_t) st.st_size + 1);
        if (buf == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        size_t got = 0;
        while (got < (size_t) st.st_size) {
                ssize_t r = pread(fd, buf + got, (size_t) st.st_size - got, (off_t) got);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r <= 0)
                        break;
                got += (size_t) r;
        }
        buf[got] = '\0';
        *data = buf;
        *len = got;
        return 0;
}

static int open_common(const char *state_dir, bool write, struct v2c_journal **out, struct v2c_error **err)
{
        _cleanup_free_ char *path = NULL, *lock = NULL, *data = NULL;
        size_t len = 0;
        if (asprintf(&path, "%s/journal.jsonl", state_dir) < 0 || asprintf(&lock, "%s/lock", state_dir) < 0)
                return v2c_error_set(err, ENOMEM, "out of memory");
        struct v2c_journal *j = calloc(1, sizeof *j);
        if (j == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        j->fd = j->lock_fd = -1;
        int r = 0;
        if (write) {
                if (mkdir(state_dir, 0700) < 0 && errno != EEXIST) {
                        r = v2c_error_set(err, errno, "creating the state directory `%s`: %m", state_dir);
                        goto fail;
                }
                j->lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
                if (j->lock_fd < 0) {
                        r = v2c_error_set(err, errno, "`%s`: %m", lock);
                        goto fail;
                }
                if (flock(j->lock_fd, LOCK_EX | LOCK_NB) < 0) {
                        r = errno == EWOULDBLOCK
                                    ? v2c_error_set_kind(err, V2C_ERR_REFUSED, EBUSY,
                                                         "another v2c is running this rollout (`%s` is locked)", lock)
                                    : v2c_error_set(err, errno, "locking `%s`: %m", lock);
                        goto fail;
                }
                j->fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        } else
                j->fd = open(path, O_RDONLY | O_CLOEXEC);
        if (j->fd < 0) {
                r = v2c_error_set_kind(err, errno == ENOENT ? V2C_ERR_INPUT : V2C_ERR_FAILURE, errno,
                                       "`%s`: %m", path);
                goto fail;
        }
        r = read_all(j->fd, &data, &len, err);
        if (r < 0)
                goto fail;
        size_t valid = 0;
        r = v2c_journal_parse(data, len, &j->records, &valid, err);
        if (r < 0)
                goto fail;
        j->seq = (long long) json_array_size(j->records);
        if (write && valid < len) {
                /* A write cut short by a crash: its record never happened. */
                if (ftruncate(j->fd, (off_t) valid) < 0 || fdatasync(j->fd) < 0) {
                        r = v2c_error_set(err, errno, "cutting the torn end of `%s`: %m", path);
                        goto fail;
                }
        }
        if (!write) {
                close(j->fd);
                j->fd = -1;
        }
        *out = j;
        return 0;
fail:
        v2c_journal_close(j);
        return r;
}

int v2c_journal_open(const char *state_dir, struct v2c_journal **out, struct v2c_error **err)
{
        return open_common(state_dir, true, out, err);
}

int v2c_journal_open_ro(const char *state_dir, struct v2c_journal **out, struct v2c_error **err)
{
        return open_common(state_dir, false, out, err);
}

struct v2c_journal *v2c_journal_close(struct v2c_journal *j)
{
        if (j == NULL)
                return NULL;
        if (j->fd >= 0)
                close(j->fd);
        if (j->lock_fd >= 0)
                close(j->lock_fd);   /* releases the flock */
        json_decref(j->records);
        free(j);
        return NULL;
}

int v2c_journal_append(struct v2c_journal *j, json_t *record, struct v2c_error **err)
{
        if (j->fd < 0)
                return v2c_error_set(err, EBADF, "the journal is open read-only");
        if (!json_is_object(record))
                return v2c_error_set(err, EINVAL, "a journal record must be an object");
        json_t *rec = json_deep_copy(record);
        if (rec == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        char stamp[64];
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        struct tm tm;
        gmtime_r(&ts.tv_sec, &tm);
        snprintf(stamp, sizeof stamp, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
                 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);
        /* seq and time first, so the file reads in order. */
        json_t *line = json_pack("{s:I, s:s}", "seq", (json_int_t) (j->seq + 1), "time", stamp);
        if (line == NULL || json_object_update(line, rec) < 0) {
                json_decref(line);
                json_decref(rec);
                return v2c_error_set(err, ENOMEM, "out of memory");
        }
        json_object_set_new(line, "seq", json_integer(j->seq + 1));
        json_decref(rec);
        char *text = json_dumps(line, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
        if (text == NULL) {
                json_decref(line);
                return v2c_error_set(err, ENOMEM, "out of memory");
        }
        size_t n = strlen(text);
        if (n + 1 > V2C_JOURNAL_MAX_LINE) {
                free(text);
                json_decref(line);
                return v2c_error_set(err, E2BIG, "a journal record of %zu bytes is too large", n);
        }
        text[n] = '\n';
        /* One write: O_APPEND puts it whole at the end; a crash in the
         * middle leaves a torn line that opening cuts off. */
        ssize_t w = write(j->fd, text, n + 1);
        free(text);
        if (w != (ssize_t) (n + 1) || fdatasync(j->fd) < 0) {
                int e = w < 0 ? errno : EIO;
                json_decref(line);
                return v2c_error_set(err, e, "writing the journal: %s", strerror(e));
        }
        if (json_array_append_new(j->records, line) < 0)
                return v2c_error_set(err, ENOMEM, "out of memory");
        j->seq++;
        return 0;
}

size_t v2c_journal_count(const struct v2c_journal *j)
{
        return json_array_size(j->records);
}

const json_t *v2c_journal_get(const struct v2c_journal *j, size_t i)
{
        return json_array_get(j->records, i);
}

const json_t *v2c_journal_last(const struct v2c_journal *j, const char *service, const char *event)
{
        for (size_t i = json_array_size(j->records); i-- > 0;) {
                const json_t *r = json_array_get(j->records, i);
                const char *e = json_string_value(json_object_get(r, "event"));
                const char *s = json_string_value(json_object_get(r, "service"));
                if (e && strcmp(e, event) == 0 && (service == NULL || (s && strcmp(s, service) == 0)))
                        return r;
        }
        return NULL;
}
