/* The rollout journal: see journal.h. */
#include "journal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "json.h"
#include "log.h"
#include "sha256.h"
#include "clock.h"
#include "text.h"

#define JOURNAL_MAX_BYTES (1024ull << 20)

/* The member v2c writes last in every record: `,"chain":"<64 hex>"}`. */
#define CHAIN_KEY ",\"chain\":\""
#define CHAIN_SUFFIX_LEN (sizeof CHAIN_KEY - 1 + V2C_SHA256_HEX_LEN + 2)
/* The chain before the first record. */
#define CHAIN_START "0000000000000000000000000000000000000000000000000000000000000000"

struct v2c_journal {
        char *path;
        int fd;            /* the journal, O_APPEND; -1 when read-only */
        int lock_fd;
        json_t *records;   /* array */
        long long seq;     /* of the last record */
        char chain[V2C_SHA256_HEX_LEN + 1];   /* of the last record */
        off_t valid;       /* where the last record ends */
        off_t size;        /* of the file: past valid, a torn line */
};

static int corruptv(struct v2c_error **err, const char *path, size_t n, const char *fmt, va_list ap)
{
        char why[512];
        vsnprintf(why, sizeof why, fmt, ap);
        return v2c_error_set_kind(err, V2C_ERR_INPUT, EBADMSG, "%s%s%sjournal corrupt at record %zu: %s",
                                  path ? "`" : "", path ? path : "", path ? "`: " : "", n, why);
}

static int corrupt(struct v2c_error **err, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int corrupt(struct v2c_error **err, size_t n, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        int r = corruptv(err, NULL, n, fmt, ap);
        va_end(ap);
        return r;
}

int v2c_journal_corrupt(const char *path, size_t n, struct v2c_error **err, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        int r = corruptv(err, path, n, fmt, ap);
        va_end(ap);
        return r;
}

/* The chain after a record: sha256 of the previous chain, then of the
 * line without its chain member (BODY, then "}" when CLOSE). */
static int chain_next(const char *prev, const char *body, size_t n, bool close, char next[V2C_SHA256_HEX_LEN + 1])
{
        _cleanup_(v2c_sha256_freep) struct v2c_sha256 *h = v2c_sha256_new();
        if (h == NULL)
                return -ENOMEM;
        int r = v2c_sha256_update(h, prev, V2C_SHA256_HEX_LEN);
        if (r >= 0)
                r = v2c_sha256_update(h, body, n);
        if (r >= 0 && close)
                r = v2c_sha256_update(h, "}", 1);
        return r < 0 ? r : v2c_sha256_final_hex(h, next);
}

/* Whether LINE ends with the chain member as v2c writes it or, with
 * ANY_KEY, with a member of that shape whatever its five-letter key (no
 * record of v2c before the chain ends that way: a damaged chain). */
static bool chain_suffix(const char *line, size_t n, bool any_key)
{
        if (n < CHAIN_SUFFIX_LEN + 1)
                return false;
        const char *p = line + n - CHAIN_SUFFIX_LEN;
        if (any_key ? memcmp(p, ",\"", 2) != 0 || memcmp(p + 7, "\":\"", 3) != 0
                    : memcmp(p, CHAIN_KEY, sizeof CHAIN_KEY - 1) != 0)
                return false;
        if (memcmp(line + n - 2, "\"}", 2) != 0)
                return false;
        p += sizeof CHAIN_KEY - 1;
        return v2c_is_lower_hex(p, V2C_SHA256_HEX_LEN);
}

/* One record, number N, from LINE[0..LEN) (no '\n'), checked against
 * the chain so far (*CHAIN, updated), and whether a record before it
 * (number *CHAINED_SINCE, 0: none) was chained.  *out is new. */
static int parse_record(const char *line, size_t len, size_t n, char *chain, size_t *chained_since, json_t **out,
                        struct v2c_error **err)
{
        if (len == 0)
                return corrupt(err, n, "an empty line");
        if (len > V2C_JOURNAL_MAX_LINE)
                return corrupt(err, n, "a line longer than %u bytes", V2C_JOURNAL_MAX_LINE);
        /* v2c writes compact objects: no room for a stray byte around one
         * (a '\r', a space), which JSON itself would let pass. */
        if (line[0] != '{' || line[len - 1] != '}')
                return corrupt(err, n, "not a record as v2c writes it (one JSON object from `{` to `}`)");
        json_error_t je;
        _cleanup_json_ json_t *rec = json_loadb(line, len, JSON_REJECT_DUPLICATES, &je);
        if (rec == NULL) {
                /* jansson quotes the text near the error: keep it printable. */
                for (char *c = je.text; *c; c++)
                        if (*c < 0x20 || *c > 0x7e)
                                *c = '?';
                return corrupt(err, n, "not JSON (%s, at byte %d of the line)", je.text, je.position);
        }
        if (!json_is_object(rec))
                return corrupt(err, n, "not a JSON object");
        const json_t *seq = json_object_get(rec, "seq");
        if (!json_is_integer(seq))
                return corrupt(err, n, "no integer \"seq\"");
        if (json_integer_value(seq) != (json_int_t) n)
                return corrupt(err, n, "its \"seq\" is %lld where %zu is due (a record lost, repeated or moved)",
                               (long long) json_integer_value(seq), n);
        if (!json_is_string(json_object_get(rec, "time")))
                return corrupt(err, n, "no \"time\"");
        /* The chain, when there is one, is the last member, as written:
         * what is hashed is the line without it. */
        const json_t *c = json_object_get(rec, "chain");
        const char *cv = json_string_value(c);
        bool suffix = chain_suffix(line, len, false);
        const char *hex = suffix ? line + len - V2C_SHA256_HEX_LEN - 2 : NULL;
        if (c && !(suffix && cv && strlen(cv) == V2C_SHA256_HEX_LEN &&
                   memcmp(cv, hex, V2C_SHA256_HEX_LEN) == 0))
                return corrupt(err, n, "its \"chain\" is not the last member, as v2c writes it");
        if (c == NULL && chain_suffix(line, len, true))
                return corrupt(err, n, "its \"chain\" member is damaged");
        if (c == NULL && *chained_since)
                return corrupt(err, n, "it has no \"chain\", though record %zu before it has one", *chained_since);
        char next[V2C_SHA256_HEX_LEN + 1];
        int r = c ? chain_next(chain, line, len - CHAIN_SUFFIX_LEN, true, next)
                  : chain_next(chain, line, len, false, next);
        if (r < 0)
                return v2c_error_set(err, -r, "hashing the journal: %s", strerror(-r));
        if (c) {
                if (memcmp(next, hex, V2C_SHA256_HEX_LEN) != 0)
                        return corrupt(err, n, "its \"chain\" does not match its bytes and the records before it "
                                               "(this record, or an unchained one before it, was changed)");
                if (*chained_since == 0)
                        *chained_since = n;
                json_object_del(rec, "chain");
        }
        memcpy(chain, next, sizeof next);
        *out = TAKE_PTR(rec);
        return 0;
}

/* v2c_journal_parse, and the chain after the last record. */
static int parse(const char *data, size_t len, json_t **records, size_t *valid_len,
                 char chain[V2C_SHA256_HEX_LEN + 1], struct v2c_error **err)
{
        _cleanup_json_ json_t *out = json_array();
        if (out == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        char h[V2C_SHA256_HEX_LEN + 1] = CHAIN_START;
        size_t pos = 0, chained_since = 0;
        for (;;) {
                const char *nl = pos < len ? memchr(data + pos, '\n', len - pos) : NULL;
                if (nl == NULL)
                        break;   /* the end, or a torn line: not a record */
                size_t n = json_array_size(out) + 1;
                if (n > V2C_JOURNAL_MAX_RECORDS)
                        return corrupt(err, n, "more than %u records", V2C_JOURNAL_MAX_RECORDS);
                json_t *rec = NULL;
                int r = parse_record(data + pos, (size_t) (nl - (data + pos)), n, h, &chained_since, &rec, err);
                if (r < 0)
                        return r;
                if (json_array_append_new(out, rec) < 0)
                        return v2c_error_set(err, ENOMEM, "out of memory");
                pos = (size_t) (nl - data) + 1;
        }
        *records = TAKE_PTR(out);
        *valid_len = pos;
        if (chain)
                memcpy(chain, h, sizeof h);
        return 0;
}

int v2c_journal_parse(const char *data, size_t len, json_t **records, size_t *valid_len, struct v2c_error **err)
{
        return parse(data, len, records, valid_len, NULL, err);
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
        _cleanup_free_ char *lock = NULL, *data = NULL;
        size_t len = 0;
        struct v2c_journal *j = calloc(1, sizeof *j);
        if (j == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        j->fd = j->lock_fd = -1;
        int r = 0;
        if (asprintf(&j->path, "%s/journal.jsonl", state_dir) < 0 || asprintf(&lock, "%s/lock", state_dir) < 0) {
                j->path = NULL;
                r = v2c_error_set(err, ENOMEM, "out of memory");
                goto fail;
        }
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
                j->fd = open(j->path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        } else
                j->fd = open(j->path, O_RDONLY | O_CLOEXEC);
        if (j->fd < 0) {
                r = v2c_error_set_kind(err, errno == ENOENT ? V2C_ERR_INPUT : V2C_ERR_FAILURE, errno,
                                       "`%s`: %m", j->path);
                goto fail;
        }
        r = read_all(j->fd, &data, &len, err);
        if (r < 0)
                goto fail;
        size_t valid = 0;
        r = parse(data, len, &j->records, &valid, j->chain, err);
        if (r < 0) {
                if (r == -EBADMSG)
                        r = v2c_error_prefix(err, r, "`%s`", j->path);
                goto fail;
        }
        j->seq = (long long) json_array_size(j->records);
        j->valid = (off_t) valid;
        j->size = (off_t) len;
        /* A write cut short by a crash: its record never happened.  Cut
         * off only when the next record is written, so that a run that
         * stops before writing leaves the file as it found it. */
        if (valid < len)
                v2c_warn("`%s`: its last line is torn (%zu bytes with no final newline: a write cut short): "
                         "ignored%s",
                         j->path, len - valid, write ? ", and cut off before the next record is written" : "");
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
        free(j->path);
        free(j);
        return NULL;
}

int v2c_journal_append(struct v2c_journal *j, json_t *record, struct v2c_error **err)
{
        if (j->fd < 0)
                return v2c_error_set(err, EBADF, "the journal is open read-only");
        if (!json_is_object(record) || json_object_get(record, "chain"))
                return v2c_error_set(err, EINVAL, "a journal record must be an object without \"chain\"");
        json_t *rec = json_deep_copy(record);
        if (rec == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        char stamp[64];
        int64_t now = v2c_wall_ms();
        time_t sec = (time_t) (now / 1000);
        struct tm tm;
        gmtime_r(&sec, &tm);
        snprintf(stamp, sizeof stamp, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int) (now % 1000));
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
        /* The chain goes last, over the line as it stands without it. */
        size_t n = strlen(text);
        char next[V2C_SHA256_HEX_LEN + 1];
        int r = chain_next(j->chain, text, n, false, next);
        if (r < 0) {
                free(text);
                json_decref(line);
                return v2c_error_set(err, -r, "hashing the journal: %s", strerror(-r));
        }
        _cleanup_free_ char *full = NULL;
        int m = asprintf(&full, "%.*s" CHAIN_KEY "%s\"}\n", (int) (n - 1), text, next);
        free(text);
        if (m < 0) {
                json_decref(line);
                return v2c_error_set(err, ENOMEM, "out of memory");
        }
        if ((size_t) m > V2C_JOURNAL_MAX_LINE) {
                json_decref(line);
                return v2c_error_set(err, E2BIG, "a journal record of %d bytes is too large", m - 1);
        }
        if (j->size > j->valid) {
                /* The torn line a crash left (open said so). */
                if (ftruncate(j->fd, j->valid) < 0 || fdatasync(j->fd) < 0) {
                        int e = errno;
                        json_decref(line);
                        return v2c_error_set(err, e, "cutting the torn end of `%s`: %s", j->path, strerror(e));
                }
                j->size = j->valid;
        }
        /* One write: O_APPEND puts it whole at the end; a crash in the
         * middle leaves a torn line, which the next writer cuts off. */
        ssize_t w = write(j->fd, full, (size_t) m);
        if (w != (ssize_t) m || fdatasync(j->fd) < 0) {
                int e = w < 0 ? errno : EIO;
                json_decref(line);
                /* What reached the file did not happen: the next append
                 * cuts it off. */
                j->size = j->valid + (w > 0 ? w : 0);
                return v2c_error_set(err, e, "writing the journal: %s", strerror(e));
        }
        if (json_array_append_new(j->records, line) < 0)
                return v2c_error_set(err, ENOMEM, "out of memory");
        j->seq++;
        j->valid += m;
        j->size = j->valid;
        memcpy(j->chain, next, sizeof next);
        return 0;
}

const char *v2c_journal_path(const struct v2c_journal *j)
{
        return j->path;
}

const json_t *v2c_journal_records(const struct v2c_journal *j)
{
        return j->records;
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
        return v2c_journal_last_of(j, service, &event, 1);
}

const json_t *v2c_journal_last_of(const struct v2c_journal *j, const char *service, const char *const *events,
                                  size_t n_events)
{
        for (size_t i = json_array_size(j->records); i-- > 0;) {
                const json_t *r = json_array_get(j->records, i);
                const char *e = json_string_value(json_object_get(r, "event"));
                const char *s = json_string_value(json_object_get(r, "service"));
                if (!e || (service && !(s && strcmp(s, service) == 0)))
                        continue;
                for (size_t k = 0; k < n_events; k++)
                        if (strcmp(e, events[k]) == 0)
                                return r;
        }
        return NULL;
}
