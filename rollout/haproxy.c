/* HAProxy's runtime API (see haproxy.h): one command per connection on
 * the stats socket, the answers of `set server` checked, and the CSV of
 * `show stat` parsed by column name.
 *
 * HAProxy's CLI traps worth knowing:
 *   - it answers errors as text, never with a status: success is an answer
 *     with nothing but an empty line;
 *   - ';' separates commands on one line, so a name holding ';' or a
 *     space would run or change a command: names are checked here;
 *   - in non-interactive mode it closes the connection after the answer,
 *     which is the only end-of-answer marker there is. */
#include "haproxy.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "cleanup.h"
#include "clock.h"

/* ---- the socket ---------------------------------------------------- */

static void sleep_ms(int64_t ms)
{
        struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };
        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

/* Waits for EVENTS on FD until DEADLINE: 0, -ETIMEDOUT or -errno. */
static int wait_fd(int fd, short events, int64_t deadline)
{
        for (;;) {
                int64_t left = deadline - v2c_monotonic_ms();
                if (left <= 0)
                        return -ETIMEDOUT;
                struct pollfd p = { .fd = fd, .events = events };
                int r = poll(&p, 1, left > INT_MAX ? INT_MAX : (int) left);
                if (r > 0)
                        return 0;   /* errors and hang-ups show in the next call */
                if (r < 0 && errno != EINTR)
                        return -errno;
        }
}

static int connect_error(const char *path, int e, struct v2c_error **err)
{
        const char *hint = "";
        if (e == ENOENT)
                hint = " (is haproxy running, with `stats socket` in its global section?)";
        else if (e == ECONNREFUSED)
                hint = " (nothing listens on it: haproxy stopped?)";
        else if (e == ETIMEDOUT)
                hint = " (haproxy does not accept connections)";
        return v2c_error_set(err, e, "connecting to haproxy's stats socket `%s`: %s%s", path,
                             strerror(e), hint);
}

static int connect_socket(const char *path, int64_t deadline, struct v2c_error **err)
{
        _cleanup_close_ int fd = -1;
        struct sockaddr_un sa = { .sun_family = AF_UNIX };

        size_t len = strlen(path);
        if (len == 0 || len >= sizeof sa.sun_path)
                return v2c_error_set(err, ENAMETOOLONG,
                                     "haproxy's stats socket path `%s` is %s (at most %zu bytes)", path,
                                     len == 0 ? "empty" : "too long", sizeof sa.sun_path - 1);
        memcpy(sa.sun_path, path, len + 1);

        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return v2c_error_set(err, errno, "creating a unix socket: %s", strerror(errno));
        for (;;) {
                if (connect(fd, (struct sockaddr *) &sa, sizeof sa) == 0)
                        break;
                int e = errno;
                if (e == EINTR)
                        continue;
                if (e == EAGAIN) {
                        /* A unix socket's backlog is full: HAProxy is busy.
                         * Linux offers nothing to poll for; try again. */
                        if (v2c_monotonic_ms() >= deadline)
                                return connect_error(path, ETIMEDOUT, err);
                        sleep_ms(10);
                        continue;
                }
                if (e != EINPROGRESS)
                        return connect_error(path, e, err);
                int r = wait_fd(fd, POLLOUT, deadline);
                if (r < 0)
                        return connect_error(path, -r, err);
                int soerr = 0;
                socklen_t sl = sizeof soerr;
                if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0)
                        return connect_error(path, errno, err);
                if (soerr != 0)
                        return connect_error(path, soerr, err);
                break;
        }
        return TAKE_FD(fd);
}

static int send_all(int fd, const char *data, size_t len, int64_t deadline, struct v2c_error **err)
{
        size_t off = 0;
        while (off < len) {
                ssize_t n = send(fd, data + off, len - off, MSG_NOSIGNAL);
                if (n >= 0) {
                        off += (size_t) n;
                        continue;
                }
                if (errno == EINTR)
                        continue;
                if (errno != EAGAIN)
                        return v2c_error_set(err, errno, "sending: %s", strerror(errno));
                int r = wait_fd(fd, POLLOUT, deadline);
                if (r < 0)
                        return v2c_error_set(err, r, "sending: %s", strerror(-r));
        }
        return 0;
}

/* Reads until HAProxy closes the connection; *out gets the answer. */
static int read_all(int fd, int64_t deadline, struct v2c_buf *out, struct v2c_error **err)
{
        char chunk[16384];
        for (;;) {
                ssize_t n = read(fd, chunk, sizeof chunk);
                if (n == 0)
                        return 0;
                if (n > 0) {
                        int r = v2c_buf_append(out, chunk, (size_t) n);
                        if (r == -E2BIG)
                                return v2c_error_set(err, E2BIG, "the answer is larger than %u bytes",
                                                     V2C_HAPROXY_MAX_REPLY);
                        if (r < 0)
                                return v2c_error_set(err, r, "reading the answer: %s", strerror(-r));
                        continue;
                }
                if (errno == EINTR)
                        continue;
                if (errno != EAGAIN)
                        return v2c_error_set(err, errno, "reading the answer: %s", strerror(errno));
                int r = wait_fd(fd, POLLIN, deadline);
                if (r == -ETIMEDOUT)
                        return v2c_error_set(err, ETIMEDOUT, "no complete answer (%zu bytes so far)",
                                             out->len);
                if (r < 0)
                        return v2c_error_set(err, r, "reading the answer: %s", strerror(-r));
        }
}

static int timeout_of(const struct v2c_haproxy *h)
{
        return h->timeout_ms > 0 ? h->timeout_ms : V2C_HAPROXY_TIMEOUT_MS;
}

/* v2c_haproxy_command, with the answer's length (it may hold NUL bytes). */
static int command(const struct v2c_haproxy *h, const char *cmd, char **reply, size_t *reply_len,
                   struct v2c_error **err)
{
        _cleanup_buf_ struct v2c_buf answer = { 0 };
        char line[V2C_HAPROXY_MAX_COMMAND + 1];
        _cleanup_close_ int fd = -1;
        int64_t deadline = v2c_monotonic_ms() + timeout_of(h);
        int r;

        if (h->socket_path == NULL)
                return v2c_error_set(err, EINVAL, "no haproxy stats socket given");
        size_t len = strlen(cmd);
        if (len == 0 || strpbrk(cmd, "\r\n") != NULL)
                return v2c_error_set(err, EINVAL, "haproxy command `%.80s` is not one non-empty line", cmd);
        if (len > V2C_HAPROXY_MAX_COMMAND)
                return v2c_error_set(err, E2BIG, "haproxy command of %zu bytes (at most %d)", len,
                                     V2C_HAPROXY_MAX_COMMAND);

        fd = connect_socket(h->socket_path, deadline, err);
        if (fd < 0)
                return fd;

        memcpy(line, cmd, len);
        line[len] = '\n';
        r = send_all(fd, line, len + 1, deadline, err);
        if (r < 0)
                return v2c_error_prefix(err, r, "haproxy `%s` on `%s`", cmd, h->socket_path);

        v2c_buf_init(&answer, V2C_HAPROXY_MAX_REPLY);
        r = read_all(fd, deadline, &answer, err);
        if (r < 0)
                return v2c_error_prefix(err, r, "haproxy `%s` on `%s`", cmd, h->socket_path);

        *reply_len = answer.len;
        *reply = v2c_buf_steal(&answer);
        if (*reply == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        return 0;
}

int v2c_haproxy_command(const struct v2c_haproxy *h, const char *cmd, char **reply,
                        struct v2c_error **err)
{
        size_t len;
        return command(h, cmd, reply, &len, err);
}

/* ---- set server ---------------------------------------------------- */

/* HAProxy's own rule for proxy and server names (invalid_char()). */
static bool valid_name(const char *s)
{
        if (*s == '\0')
                return false;
        for (; *s; s++)
                if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
                      *s == '-' || *s == '_' || *s == '.' || *s == ':'))
                        return false;
        return true;
}

static int check_names(const char *backend, const char *server, struct v2c_error **err)
{
        if (!valid_name(backend))
                return v2c_error_set(err, EINVAL, "`%.80s` is not a haproxy backend name", backend);
        if (!valid_name(server))
                return v2c_error_set(err, EINVAL, "`%.80s` is not a haproxy server name", server);
        return 0;
}

static bool blank(const char *s, size_t len)
{
        for (size_t i = 0; i < len; i++)
                if (s[i] != '\n' && s[i] != '\r' && s[i] != ' ' && s[i] != '\t')
                        return false;
        return true;
}

/* An answer that is not an empty line is HAProxy saying no: its first
 * line becomes the message ("No such server.", "Permission denied", ...). */
static int refused(const char *cmd, const char *reply, struct v2c_error **err)
{
        while (*reply == '\n' || *reply == '\r' || *reply == ' ')
                reply++;
        int n = (int) strcspn(reply, "\r\n");
        int code = EINVAL;
        if (n == 0)
                return v2c_error_set(err, EPROTO, "haproxy gave no answer to `%s`", cmd);
        if (strncmp(reply, "No such", 7) == 0)
                code = ENOENT;
        else if (strncmp(reply, "Permission denied", 17) == 0)
                code = EACCES;
        return v2c_error_set(err, code, "haproxy refused `%s`: %.*s", cmd, n > 200 ? 200 : n, reply);
}

/* Runs CMD, whose only successful answer is an empty one. */
static int command_quiet(const struct v2c_haproxy *h, const char *cmd, struct v2c_error **err)
{
        _cleanup_free_ char *reply = NULL;
        size_t len = 0;
        int r = command(h, cmd, &reply, &len, err);
        if (r < 0)
                return r;
        if (!blank(reply, len))
                return refused(cmd, reply, err);
        return 0;
}

int v2c_haproxy_set_weight(const struct v2c_haproxy *h, const char *backend, const char *server,
                           unsigned weight, struct v2c_error **err)
{
        char cmd[V2C_HAPROXY_MAX_COMMAND];
        int r = check_names(backend, server, err);
        if (r < 0)
                return r;
        if (weight > V2C_HAPROXY_MAX_WEIGHT)
                return v2c_error_set(err, ERANGE, "weight %u of `%s/%s` is above haproxy's limit %d",
                                     weight, backend, server, V2C_HAPROXY_MAX_WEIGHT);
        if (snprintf(cmd, sizeof cmd, "set server %s/%s weight %u", backend, server, weight) >=
            (int) sizeof cmd)
                return v2c_error_set(err, E2BIG, "names of `%.40s/%.40s` too long", backend, server);
        return command_quiet(h, cmd, err);
}

int v2c_haproxy_set_state(const struct v2c_haproxy *h, const char *backend, const char *server,
                          const char *state, struct v2c_error **err)
{
        char cmd[V2C_HAPROXY_MAX_COMMAND];
        int r = check_names(backend, server, err);
        if (r < 0)
                return r;
        if (strcmp(state, "ready") != 0 && strcmp(state, "drain") != 0 && strcmp(state, "maint") != 0)
                return v2c_error_set(err, EINVAL, "server state `%.80s` is none of ready, drain, maint",
                                     state);
        if (snprintf(cmd, sizeof cmd, "set server %s/%s state %s", backend, server, state) >=
            (int) sizeof cmd)
                return v2c_error_set(err, E2BIG, "names of `%.40s/%.40s` too long", backend, server);
        return command_quiet(h, cmd, err);
}

/* ---- show stat ----------------------------------------------------- */

enum col {
        COL_PXNAME, COL_SVNAME, COL_TYPE, COL_STATUS, COL_WEIGHT, COL_UWEIGHT,
        COL_QCUR, COL_SCUR, COL_STOT, COL_LBTOT,
        COL_HRSP_1XX, COL_HRSP_2XX, COL_HRSP_3XX, COL_HRSP_4XX, COL_HRSP_5XX,
        COL_ECON, COL_ERESP, COL_SRV_ABRT, COL_CLI_ABRT, COL_WRETR, COL_WREDIS, COL_RTIME,
        COL_COUNT_
};

static const struct {
        const char *name;
        bool required;
        unsigned bit;           /* in v2c_haproxy_stats.columns, for optional ones */
} columns[COL_COUNT_] = {
        [COL_PXNAME] = { "pxname", true, 0 },
        [COL_SVNAME] = { "svname", true, 0 },
        [COL_TYPE] = { "type", false, 0 },
        [COL_STATUS] = { "status", true, 0 },
        [COL_WEIGHT] = { "weight", true, 0 },
        [COL_UWEIGHT] = { "uweight", false, V2C_HAPROXY_COL_UWEIGHT },
        [COL_QCUR] = { "qcur", false, V2C_HAPROXY_COL_QCUR },
        [COL_SCUR] = { "scur", true, 0 },
        [COL_STOT] = { "stot", false, 0 },
        [COL_LBTOT] = { "lbtot", false, V2C_HAPROXY_COL_LBTOT },
        [COL_HRSP_1XX] = { "hrsp_1xx", false, V2C_HAPROXY_COL_HRSP },
        [COL_HRSP_2XX] = { "hrsp_2xx", false, V2C_HAPROXY_COL_HRSP },
        [COL_HRSP_3XX] = { "hrsp_3xx", false, V2C_HAPROXY_COL_HRSP },
        [COL_HRSP_4XX] = { "hrsp_4xx", false, V2C_HAPROXY_COL_HRSP },
        [COL_HRSP_5XX] = { "hrsp_5xx", false, V2C_HAPROXY_COL_HRSP },
        [COL_ECON] = { "econ", false, V2C_HAPROXY_COL_ECON },
        [COL_ERESP] = { "eresp", false, V2C_HAPROXY_COL_ERESP },
        [COL_SRV_ABRT] = { "srv_abrt", false, V2C_HAPROXY_COL_ABRT },
        [COL_CLI_ABRT] = { "cli_abrt", false, V2C_HAPROXY_COL_ABRT },
        [COL_WRETR] = { "wretr", false, V2C_HAPROXY_COL_RETRIES },
        [COL_WREDIS] = { "wredis", false, V2C_HAPROXY_COL_RETRIES },
        [COL_RTIME] = { "rtime", false, V2C_HAPROXY_COL_RTIME },
};

/* HAProxy's stat types (the `type` column). */
#define STAT_TYPE_SERVER 2

struct field {
        const char *p;          /* raw text, inside the line, quotes removed */
        size_t len;
        bool quoted;            /* "" inside stands for " */
};

/* Where each wanted column sits in a row, in the order of the row. */
struct layout {
        struct {
                size_t index;
                enum col col;
        } at[COL_COUNT_];
        size_t n;
        bool has[COL_COUNT_];
};

/* Splits off the field at *p in [*p, end) and moves *p past its comma;
 * *last tells there was no comma.  -1 on broken quoting. */
static int next_field(const char **p, const char *end, struct field *f, bool *last)
{
        const char *s = *p;
        if (s < end && *s == '"') {
                const char *q = s + 1;
                for (;;) {
                        q = memchr(q, '"', (size_t) (end - q));
                        if (q == NULL)
                                return -1;
                        if (q + 1 < end && q[1] == '"') {
                                q += 2;
                                continue;
                        }
                        break;
                }
                *f = (struct field) { s + 1, (size_t) (q - s - 1), true };
                s = q + 1;
                if (s < end && *s != ',')
                        return -1;
        } else {
                const char *c = memchr(s, ',', (size_t) (end - s));
                const char *e = c ? c : end;
                *f = (struct field) { s, (size_t) (e - s), false };
                s = e;
        }
        *last = s >= end;
        *p = s < end ? s + 1 : s;
        return 0;
}

/* The field's text (new), quotes undone; NULL on ENOMEM. */
static char *field_dup(const struct field *f)
{
        char *s = malloc(f->len + 1), *o = s;
        if (s == NULL)
                return NULL;
        for (size_t i = 0; i < f->len; i++) {
                *o++ = f->p[i];
                if (f->quoted && f->p[i] == '"')
                        i++;
        }
        *o = '\0';
        return s;
}

/* A decimal number, or "" (*empty set).  -1 when it is not one or is above MAX. */
static int field_u64(const struct field *f, uint64_t max, uint64_t *v, bool *empty)
{
        uint64_t x = 0;
        *empty = f->len == 0;
        for (size_t i = 0; i < f->len; i++) {
                unsigned d = (unsigned char) f->p[i] - '0';
                if (d > 9 || x > (max - d) / 10)
                        return -1;
                x = x * 10 + d;
        }
        *v = x;
        return 0;
}

static int parse_header(const char *line, size_t len, struct layout *lay, struct v2c_error **err)
{
        const char *p = line, *end = line + len;
        bool last = false;

        if (len == 0 || *p != '#')
                return v2c_error_set_kind(err, V2C_ERR_INPUT, EBADMSG,
                                          "not `show stat` output: the first line `%.*s` is no "
                                          "\"# pxname,...\" header",
                                          (int) (len > 80 ? 80 : len), line);
        for (p++; p < end && *p == ' '; p++)
                ;
        memset(lay, 0, sizeof *lay);
        for (size_t index = 0; !last; index++) {
                struct field f;
                if (next_field(&p, end, &f, &last) < 0)
                        return v2c_error_set_kind(err, V2C_ERR_INPUT, EBADMSG,
                                                  "line 1 (header): broken quoting");
                for (enum col c = 0; c < COL_COUNT_; c++) {
                        /* The first of two columns of one name wins. */
                        if (!lay->has[c] && f.len == strlen(columns[c].name) &&
                            memcmp(f.p, columns[c].name, f.len) == 0) {
                                lay->has[c] = true;
                                lay->at[lay->n].index = index;
                                lay->at[lay->n].col = c;
                                lay->n++;
                                break;
                        }
                }
        }
        for (enum col c = 0; c < COL_COUNT_; c++)
                if (columns[c].required && !lay->has[c])
                        return v2c_error_set_kind(err, V2C_ERR_INPUT, EBADMSG,
                                                  "line 1 (header): no column `%s`", columns[c].name);
        return 0;
}

static int bad_field(size_t lineno, enum col c, const struct field *f, const char *what,
                     struct v2c_error **err)
{
        return v2c_error_set_kind(err, V2C_ERR_INPUT, EBADMSG, "line %zu: column `%s`: `%.*s` %s", lineno,
                                  columns[c].name, (int) (f->len > 40 ? 40 : f->len), f->p, what);
}

static int get_u64(size_t lineno, enum col c, const struct field *fields, const bool *has,
                   uint64_t max, uint64_t *v, bool *empty, struct v2c_error **err)
{
        *v = 0;
        *empty = true;
        if (!has[c])
                return 0;
        if (field_u64(&fields[c], max, v, empty) < 0)
                return bad_field(lineno, c, &fields[c], "is not a number", err);
        return 0;
}

/* Reads one data row into *sv, or sets *skip for a row that is not a server's. */
static int parse_row(const char *line, size_t len, size_t lineno, const struct layout *lay,
                     struct v2c_haproxy_server *sv, bool *skip, struct v2c_error **err)
{
        struct field fields[COL_COUNT_] = { 0 };
        const char *p = line, *end = line + len;
        bool last = false;
        size_t k = 0;
        int r;

        *skip = false;
        if (memchr(line, '\0', len) != NULL)
                return v2c_error_set_kind(err, V2C_ERR_INPUT, EBADMSG, "line %zu: a NUL byte", lineno);
        for (size_t index = 0; k < lay->n && !last; index++) {
                struct field f;
                if (next_field(&p, end, &f, &last) < 0)
                        return v2c_error_set_kind(err, V2C_ERR_INPUT, EBADMSG, "line %zu: broken quoting",
                                                  lineno);
                if (lay->at[k].index == index)
                        fields[lay->at[k++].col] = f;
        }
        if (k < lay->n)
                return v2c_error_set_kind(err, V2C_ERR_INPUT, EBADMSG,
                                          "line %zu: the row ends before column `%s`", lineno,
                                          columns[lay->at[k].col].name);

        const struct field *px = &fields[COL_PXNAME], *svn = &fields[COL_SVNAME];
        if (px->len == 0 || svn->len == 0)
                return v2c_error_set_kind(err, V2C_ERR_INPUT, EBADMSG, "line %zu: an empty %s", lineno,
                                          px->len == 0 ? "pxname" : "svname");
        uint64_t v;
        bool empty;
        if (lay->has[COL_TYPE]) {
                r = get_u64(lineno, COL_TYPE, fields, lay->has, UINT32_MAX, &v, &empty, err);
                if (r < 0)
                        return r;
                if (empty)
                        return bad_field(lineno, COL_TYPE, &fields[COL_TYPE], "is no type", err);
                *skip = v != STAT_TYPE_SERVER;
        } else {
                *skip = (!svn->quoted && svn->len == 8 && memcmp(svn->p, "FRONTEND", 8) == 0) ||
                        (!svn->quoted && svn->len == 7 && memcmp(svn->p, "BACKEND", 7) == 0);
        }
        if (*skip)
                return 0;

        struct v2c_haproxy_server s = { .rtime = -1 };
        const struct {
                enum col col;
                uint64_t *to;
        } counters[] = {
                { COL_QCUR, &s.qcur }, { COL_SCUR, &s.scur }, { COL_STOT, &s.stot },
                { COL_LBTOT, &s.lbtot }, { COL_HRSP_1XX, &s.hrsp_1xx }, { COL_HRSP_2XX, &s.hrsp_2xx },
                { COL_HRSP_3XX, &s.hrsp_3xx }, { COL_HRSP_4XX, &s.hrsp_4xx }, { COL_HRSP_5XX, &s.hrsp_5xx },
                { COL_ECON, &s.econ }, { COL_ERESP, &s.eresp }, { COL_SRV_ABRT, &s.srv_abrt },
                { COL_CLI_ABRT, &s.cli_abrt }, { COL_WRETR, &s.wretr }, { COL_WREDIS, &s.wredis },
        };
        for (size_t i = 0; i < V2C_ARRAY_SIZE(counters); i++) {
                r = get_u64(lineno, counters[i].col, fields, lay->has, UINT64_MAX, counters[i].to, &empty,
                            err);
                if (r < 0)
                        return r;
        }
        r = get_u64(lineno, COL_WEIGHT, fields, lay->has, UINT_MAX, &v, &empty, err);
        if (r < 0)
                return r;
        s.weight = (unsigned) v;
        r = get_u64(lineno, COL_UWEIGHT, fields, lay->has, UINT_MAX, &v, &empty, err);
        if (r < 0)
                return r;
        s.uweight = (unsigned) v;
        r = get_u64(lineno, COL_RTIME, fields, lay->has, INT64_MAX, &v, &empty, err);
        if (r < 0)
                return r;
        if (!empty)
                s.rtime = (int64_t) v;

        s.backend = field_dup(px);
        s.server = field_dup(svn);
        s.status = field_dup(&fields[COL_STATUS]);
        if (s.backend == NULL || s.server == NULL || s.status == NULL) {
                free(s.backend);
                free(s.server);
                free(s.status);
                return v2c_error_set(err, ENOMEM, "out of memory");
        }
        *sv = s;
        return 0;
}

static int push_server(struct v2c_haproxy_stats *st, size_t *cap, const struct v2c_haproxy_server *sv)
{
        if (st->n == *cap) {
                size_t ncap = *cap ? *cap * 2 : 16;
                struct v2c_haproxy_server *a = reallocarray(st->servers, ncap, sizeof *a);
                if (a == NULL)
                        return -ENOMEM;
                st->servers = a;
                *cap = ncap;
        }
        st->servers[st->n++] = *sv;
        return 0;
}

int v2c_haproxy_parse_stat(const char *csv, size_t len, struct v2c_haproxy_stats *out,
                           struct v2c_error **err)
{
        _cleanup_haproxy_stats_ struct v2c_haproxy_stats st = { 0 };
        struct layout lay = { 0 };
        const char *p = csv, *end = csv + len;
        size_t lineno = 0, rows = 0, cap = 0;
        int r;

        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t) (end - p));
                const char *le = nl ? nl : end;
                size_t n = (size_t) (le - p);
                const char *line = p;
                p = nl ? nl + 1 : end;
                lineno++;
                if (n > V2C_HAPROXY_MAX_LINE)
                        return v2c_error_set_kind(err, V2C_ERR_INPUT, E2BIG,
                                                  "line %zu is longer than %u bytes", lineno,
                                                  V2C_HAPROXY_MAX_LINE);
                if (n > 0 && line[n - 1] == '\r')
                        n--;
                if (lineno == 1) {
                        r = parse_header(line, n, &lay, err);
                        if (r < 0)
                                return r;
                        continue;
                }
                if (n == 0)
                        continue;
                if (++rows > V2C_HAPROXY_MAX_ROWS)
                        return v2c_error_set_kind(err, V2C_ERR_INPUT, E2BIG, "more than %d rows",
                                                  V2C_HAPROXY_MAX_ROWS);
                struct v2c_haproxy_server sv;
                bool skip;
                r = parse_row(line, n, lineno, &lay, &sv, &skip, err);
                if (r < 0)
                        return r;
                if (skip)
                        continue;
                if (push_server(&st, &cap, &sv) < 0) {
                        free(sv.backend);
                        free(sv.server);
                        free(sv.status);
                        return v2c_error_set(err, ENOMEM, "out of memory");
                }
        }
        if (lineno == 0)
                return v2c_error_set_kind(err, V2C_ERR_INPUT, EBADMSG, "not `show stat` output: empty");

        for (enum col c = 0; c < COL_COUNT_; c++)
                if (lay.has[c])
                        st.columns |= columns[c].bit;
        /* A bit stands for all the columns that share it. */
        for (enum col c = 0; c < COL_COUNT_; c++)
                if (!lay.has[c])
                        st.columns &= ~columns[c].bit;
        *out = st;
        st = (struct v2c_haproxy_stats) { 0 };
        return 0;
}

/* `show stat` or a filtered one (FILTER "" or " PROXY TYPES SID"). */
static int show_stat(const struct v2c_haproxy *h, const char *filter, struct v2c_haproxy_stats *out,
                     struct v2c_error **err)
{
        _cleanup_free_ char *reply = NULL;
        char cmd[V2C_HAPROXY_MAX_COMMAND];
        size_t len = 0;

        snprintf(cmd, sizeof cmd, "show stat%s", filter);
        int r = command(h, cmd, &reply, &len, err);
        if (r < 0)
                return r;
        /* Anything but the CSV's header is HAProxy's message ("No such proxy."). */
        if (reply[0] != '#')
                return refused(cmd, reply, err);
        r = v2c_haproxy_parse_stat(reply, len, out, err);
        if (r < 0)
                return v2c_error_prefix(err, r, "haproxy `%s` on `%s`", cmd, h->socket_path);
        return 0;
}

int v2c_haproxy_show_stat(const struct v2c_haproxy *h, struct v2c_haproxy_stats *out,
                          struct v2c_error **err)
{
        return show_stat(h, "", out, err);
}

const struct v2c_haproxy_server *v2c_haproxy_find(const struct v2c_haproxy_stats *s,
                                                  const char *backend, const char *server)
{
        for (size_t i = 0; i < s->n; i++)
                if (strcmp(s->servers[i].backend, backend) == 0 && strcmp(s->servers[i].server, server) == 0)
                        return &s->servers[i];
        return NULL;
}

void v2c_haproxy_stats_release(struct v2c_haproxy_stats *s)
{
        for (size_t i = 0; i < s->n; i++) {
                free(s->servers[i].backend);
                free(s->servers[i].server);
                free(s->servers[i].status);
        }
        free(s->servers);
        *s = (struct v2c_haproxy_stats) { 0 };
}

int v2c_haproxy_wait_drained(const struct v2c_haproxy *h, const char *backend, const char *server,
                             int timeout_ms, struct v2c_error **err)
{
        char filter[V2C_HAPROXY_MAX_COMMAND];
        int64_t start = v2c_monotonic_ms(), deadline = start + (timeout_ms > 0 ? timeout_ms : 0);
        int r = check_names(backend, server, err);
        if (r < 0)
                return r;
        /* Only the servers (type mask 4) of one backend: an answer of a few
         * lines however large the configuration. */
        if (snprintf(filter, sizeof filter, " %s 4 -1", backend) >= (int) sizeof filter)
                return v2c_error_set(err, E2BIG, "backend name `%.40s` too long", backend);

        for (;;) {
                _cleanup_haproxy_stats_ struct v2c_haproxy_stats st = { 0 };
                r = show_stat(h, filter, &st, err);
                if (r < 0)
                        return v2c_error_prefix(err, r, "waiting for `%s/%s` to drain", backend, server);
                const struct v2c_haproxy_server *sv = v2c_haproxy_find(&st, backend, server);
                if (sv == NULL)
                        return v2c_error_set(err, ENOENT, "waiting for `%s/%s` to drain: no such server",
                                             backend, server);
                if (sv->scur == 0 && sv->qcur == 0)
                        return 0;
                int64_t now = v2c_monotonic_ms();
                if (now >= deadline)
                        return v2c_error_set(err, ETIMEDOUT,
                                             "`%s/%s` still has %" PRIu64 " sessions and %" PRIu64
                                             " queued requests after %" PRId64 " ms",
                                             backend, server, sv->scur, sv->qcur, now - start);
                sleep_ms(deadline - now < 100 ? deadline - now : 100);
        }
}
