/* qemu's QMP over a unix socket; see qmp.h for the protocol and the API.
 *
 * The reader keeps one bounded buffer of received bytes and hands out
 * complete lines; it reads only when no complete line is buffered, so the
 * buffer never holds more than one partial message plus one read.  All waits go through poll() against a deadline
 * on the monotonic clock. */
#include "qmp.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "cleanup.h"
#include "json.h"
#include "clock.h"

#define READ_CHUNK (64u << 10)
/* A message and its "\r\n". */
#define MAX_LINE (V2C_QMP_MAX_MESSAGE + 2)
/* Bounds qemu's own strings when they go into our error messages. */
#define MAX_QUOTED 512
/* How long v2c_qmp_shutdown gives qemu to connect, and to exit once told. */
#define SHUTDOWN_CONNECT_MS 5000
#define SHUTDOWN_EXIT_MS 5000

struct v2c_qmp {
        int fd;
        char *path;             /* for messages */
        int timeout_ms;         /* per command */
        pid_t peer_pid;         /* qemu's pid (SO_PEERCRED), 0 if unknown */
        json_int_t last_id;
        bool broken;            /* a reply went missing: ids would no longer match up */
        bool closed;            /* qemu closed its end */
        bool guest_shutdown;    /* a SHUTDOWN event was seen */
        struct v2c_buf in;      /* received, not yet consumed */
        size_t scanned;         /* bytes of `in` known to hold no '\n' */
};

/* ------------------------------------------------------------------------
 * Parsing
 */

/* S (at most MAX_QUOTED bytes of it) with control characters replaced, for
 * an error message: qemu's descriptions and jansson's excerpts may hold
 * anything.  New string, or NULL when out of memory. */
static char *quotable(const char *s)
{
        size_t n = strnlen(s, MAX_QUOTED + 1);
        bool cut = n > MAX_QUOTED;
        if (cut)
                n = MAX_QUOTED;
        char *o = malloc(n + 4);
        if (o == NULL)
                return NULL;
        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char) s[i];
                o[i] = c < 0x20 || c == 0x7f ? '?' : (char) c;
        }
        strcpy(o + n, cut ? "..." : "");
        return o;
}

static int version_part(json_t *qemu, const char *key)
{
        json_t *v = json_object_get(qemu, key);
        if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > INT32_MAX)
                return -1;
        return (int) json_integer_value(v);
}

int v2c_qmp_parse_message(const char *line, size_t len, struct v2c_qmp_msg *out, struct v2c_error **err)
{
        if (len > V2C_QMP_MAX_MESSAGE)
                return v2c_error_set_kind(err, V2C_ERR_INPUT, E2BIG,
                                          "QMP message of %zu bytes is over the limit of %u bytes", len,
                                          V2C_QMP_MAX_MESSAGE);

        json_error_t je;
        _cleanup_json_ json_t *root = json_loadb(line, len, JSON_REJECT_DUPLICATES, &je);
        if (root == NULL) {
                _cleanup_free_ char *why = quotable(je.text);
                return v2c_error_set_kind(err, V2C_ERR_INPUT, EINVAL, "malformed QMP message (column %d): %s",
                                          je.column, why ? why : "out of memory");
        }
        if (!json_is_object(root))
                return v2c_error_set_kind(err, V2C_ERR_INPUT, EINVAL, "QMP message is not a JSON object");

        static const char *const keys[] = { "QMP", "return", "error", "event" };
        static const enum v2c_qmp_msg_kind kinds[] = {
                V2C_QMP_MSG_GREETING, V2C_QMP_MSG_RETURN, V2C_QMP_MSG_ERROR, V2C_QMP_MSG_EVENT,
        };
        struct v2c_qmp_msg m = { 0 };
        json_t *body = NULL;
        for (size_t i = 0; i < V2C_ARRAY_SIZE(keys); i++) {
                json_t *v = json_object_get(root, keys[i]);
                if (v == NULL)
                        continue;
                if (body != NULL)
                        return v2c_error_set_kind(err, V2C_ERR_INPUT, EINVAL,
                                                  "QMP message has both \"%s\" and \"%s\"",
                                                  keys[m.kind - V2C_QMP_MSG_GREETING], keys[i]);
                body = v;
                m.kind = kinds[i];
        }
        if (body == NULL)
                return v2c_error_set_kind(err, V2C_ERR_INPUT, EINVAL,
                                          "QMP message is none of greeting, return, error or event");

        switch (m.kind) {
        case V2C_QMP_MSG_GREETING: {
                if (!json_is_object(body))
                        return v2c_error_set_kind(err, V2C_ERR_INPUT, EINVAL, "QMP greeting: \"QMP\" is not an object");
                json_t *caps = json_object_get(body, "capabilities");
                if (caps != NULL && !json_is_array(caps))
                        return v2c_error_set_kind(err, V2C_ERR_INPUT, EINVAL,
                                                  "QMP greeting: \"capabilities\" is not an array");
                json_t *qemu = json_object_get(json_object_get(body, "version"), "qemu");
                m.version[0] = version_part(qemu, "major");
                m.version[1] = version_part(qemu, "minor");
                m.version[2] = version_part(qemu, "micro");
                m.value = body;
                break;
        }
        case V2C_QMP_MSG_RETURN:
                m.value = body;
                m.id = json_object_get(root, "id");
                break;
        case V2C_QMP_MSG_ERROR: {
                json_t *cls = json_object_get(body, "class"), *desc = json_object_get(body, "desc");
                if (!json_is_string(cls) || !json_is_string(desc))
                        return v2c_error_set_kind(err, V2C_ERR_INPUT, EINVAL,
                                                  "QMP error reply without string \"class\" and \"desc\"");
                m.error_class = json_string_value(cls);
                m.error_desc = json_string_value(desc);
                m.id = json_object_get(root, "id");
                break;
        }
        case V2C_QMP_MSG_EVENT: {
                if (!json_is_string(body))
                        return v2c_error_set_kind(err, V2C_ERR_INPUT, EINVAL, "QMP event name is not a string");
                json_t *data = json_object_get(root, "data");
                if (data != NULL && !json_is_object(data))
                        return v2c_error_set_kind(err, V2C_ERR_INPUT, EINVAL, "QMP event data is not an object");
                m.event = json_string_value(body);
                m.value = data;
                break;
        }
        }
        m.root = TAKE_PTR(root);
        *out = m;
        return 0;
}

void v2c_qmp_msg_release(struct v2c_qmp_msg *msg)
{
        json_decref(msg->root);
        *msg = (struct v2c_qmp_msg) { 0 };
}

static void v2c_qmp_msg_releasep(struct v2c_qmp_msg *msg) { v2c_qmp_msg_release(msg); }
#define _cleanup_msg_ _cleanup_(v2c_qmp_msg_releasep)

/* ------------------------------------------------------------------------
 * Socket I/O against deadlines
 */

/* Waits until FD is ready for EVENTS: 0, -ETIMEDOUT at DEADLINE (no
 * message: callers say what they were waiting for), or another negative
 * errno with ERR set. */
static int wait_fd(int fd, short events, int64_t deadline, struct v2c_error **err)
{
        for (;;) {
                int64_t left = deadline - v2c_monotonic_ms();
                if (left <= 0)
                        return -ETIMEDOUT;
                struct pollfd p = { .fd = fd, .events = events };
                int r = poll(&p, 1, left > INT32_MAX ? INT32_MAX : (int) left);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r < 0)
                        return v2c_error_set(err, errno, "poll: %s", strerror(errno));
                if (r > 0)
                        return 0;
        }
}

static int closed_error(struct v2c_qmp *q, struct v2c_error **err)
{
        q->closed = true;
        return v2c_error_set(err, ECONNRESET, "qemu closed the QMP connection");
}

/* Sets *line, *len to the next complete line (without its '\n') in q->in,
 * reading as needed; the caller consumes it with consume_line. */
static int next_line(struct v2c_qmp *q, int64_t deadline, const char **line, size_t *len,
                     struct v2c_error **err)
{
        for (;;) {
                const char *nl = q->in.len > q->scanned
                                         ? memchr(q->in.data + q->scanned, '\n', q->in.len - q->scanned)
                                         : NULL;
                if (nl != NULL) {
                        *line = q->in.data;
                        *len = (size_t) (nl - q->in.data);
                        return 0;
                }
                q->scanned = q->in.len;
                if (q->in.len >= MAX_LINE)
                        return v2c_error_set_kind(err, V2C_ERR_INPUT, E2BIG,
                                                  "QMP message over the limit of %u bytes", V2C_QMP_MAX_MESSAGE);
                if (q->closed)
                        return closed_error(q, err);

                int r = wait_fd(q->fd, POLLIN, deadline, err);
                if (r < 0)
                        return r;
                char chunk[READ_CHUNK];
                ssize_t n = recv(q->fd, chunk, sizeof chunk, MSG_DONTWAIT);
                if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
                        continue;
                if (n < 0 && errno == ECONNRESET)
                        return closed_error(q, err);
                if (n < 0)
                        return v2c_error_set(err, errno, "reading from QMP: %s", strerror(errno));
                if (n == 0)
                        return closed_error(q, err);
                r = v2c_buf_append(&q->in, chunk, (size_t) n);
                if (r < 0)
                        return v2c_error_set(err, -r, "QMP input buffer: %s", strerror(-r));
        }
}

static void consume_line(struct v2c_qmp *q, size_t len)
{
        size_t used = len + 1;
        memmove(q->in.data, q->in.data + used, q->in.len - used);
        q->in.len -= used;
        q->in.data[q->in.len] = '\0';
        q->scanned = 0;
}

static bool blank(const char *s, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
                        return false;
        return true;
}

static void note_event(struct v2c_qmp *q, const struct v2c_qmp_msg *m)
{
        if (strcmp(m->event, "SHUTDOWN") == 0)
                q->guest_shutdown = true;
}

/* The next message (blank lines skipped); events are noted but returned
 * like any other message. */
static int next_message(struct v2c_qmp *q, int64_t deadline, struct v2c_qmp_msg *msg, struct v2c_error **err)
{
        for (;;) {
                const char *line;
                size_t len;
                int r = next_line(q, deadline, &line, &len, err);
                if (r < 0)
                        return r;
                if (blank(line, len)) {
                        consume_line(q, len);
                        continue;
                }
                /* qemu ends lines with "\r\n"; the '\r' does not count
                 * against the message limit. */
                r = v2c_qmp_parse_message(line, line[len - 1] == '\r' ? len - 1 : len, msg, err);
                consume_line(q, len);
                if (r < 0)
                        return r;
                if (msg->kind == V2C_QMP_MSG_EVENT)
                        note_event(q, msg);
                return 0;
        }
}

static int send_all(struct v2c_qmp *q, const char *data, size_t len, int64_t deadline, struct v2c_error **err)
{
        while (len > 0) {
                int r = wait_fd(q->fd, POLLOUT, deadline, err);
                if (r == -ETIMEDOUT)
                        return v2c_error_set(err, ETIMEDOUT, "qemu does not read its QMP socket");
                if (r < 0)
                        return r;
                ssize_t n = send(q->fd, data, len, MSG_NOSIGNAL | MSG_DONTWAIT);
                if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
                        continue;
                if (n < 0 && (errno == EPIPE || errno == ECONNRESET))
                        return closed_error(q, err);
                if (n < 0)
                        return v2c_error_set(err, errno, "writing to QMP: %s", strerror(errno));
                data += n;
                len -= (size_t) n;
        }
        return 0;
}

/* ------------------------------------------------------------------------
 * Commands
 */

static bool is_our_reply(const struct v2c_qmp_msg *m, json_int_t id)
{
        /* qemu echoes the id; a reply without one (qemu could not parse
         * what it got) can only be for the command in flight. */
        return m->id == NULL || (json_is_integer(m->id) && json_integer_value(m->id) == id);
}

static int execute_until(struct v2c_qmp *q, const char *command, json_t *arguments, json_t **ret,
                         int64_t deadline, struct v2c_error **err)
{
        if (q->broken)
                return v2c_error_set(err, EPROTO, "the QMP connection lost a reply earlier and cannot be used");
        if (arguments != NULL && !json_is_object(arguments))
                return v2c_error_set_kind(err, V2C_ERR_USAGE, EINVAL, "QMP arguments must be an object");

        json_int_t id = ++q->last_id;
        _cleanup_json_ json_t *cmd = json_pack("{s:s, s:I}", "execute", command, "id", id);
        if (cmd == NULL || (arguments != NULL && json_object_set(cmd, "arguments", arguments) < 0))
                return v2c_error_set(err, ENOMEM, "building the QMP command");
        /* Compact output is one line: jansson escapes newlines in strings. */
        _cleanup_free_ char *text = json_dumps(cmd, JSON_COMPACT);
        if (text == NULL)
                return v2c_error_set(err, ENOMEM, "building the QMP command");
        size_t len = strlen(text);
        text[len] = '\n'; /* json_dumps's NUL is not sent */
        int r = send_all(q, text, len + 1, deadline, err);
        if (r < 0)
                return r;

        for (;;) {
                _cleanup_msg_ struct v2c_qmp_msg m = { 0 };
                r = next_message(q, deadline, &m, err);
                if (r == -ETIMEDOUT) {
                        q->broken = true;
                        return v2c_error_set(err, ETIMEDOUT, "no reply within %d ms", q->timeout_ms);
                }
                if (r < 0)
                        return r;
                if (m.kind == V2C_QMP_MSG_EVENT)
                        continue;
                if (m.kind == V2C_QMP_MSG_GREETING)
                        return v2c_error_set_kind(err, V2C_ERR_INPUT, EPROTO, "unexpected QMP greeting");
                if (!is_our_reply(&m, id))
                        continue;
                if (m.kind == V2C_QMP_MSG_ERROR) {
                        _cleanup_free_ char *cls = quotable(m.error_class);
                        _cleanup_free_ char *desc = quotable(m.error_desc);
                        int code = strcmp(m.error_class, "CommandNotFound") == 0 ? EOPNOTSUPP : EIO;
                        return v2c_error_set(err, code, "qemu refused it: %s (%s)", desc ? desc : "?",
                                             cls ? cls : "?");
                }
                if (ret != NULL)
                        *ret = json_incref(m.value);
                return 0;
        }
}

int v2c_qmp_execute(struct v2c_qmp *q, const char *command, json_t *arguments, json_t **ret,
                    struct v2c_error **err)
{
        int r = execute_until(q, command, arguments, ret, v2c_monotonic_ms() + q->timeout_ms, err);
        if (r < 0)
                return v2c_error_prefix(err, r, "QMP `%s`", command);
        return 0;
}

int v2c_qmp_status(struct v2c_qmp *q, char **status, bool *running, struct v2c_error **err)
{
        _cleanup_json_ json_t *ret = NULL;
        int r = v2c_qmp_execute(q, "query-status", NULL, &ret, err);
        if (r < 0)
                return r;
        json_t *st = json_object_get(ret, "status"), *run = json_object_get(ret, "running");
        if (!json_is_string(st) || !json_is_boolean(run))
                return v2c_error_set_kind(err, V2C_ERR_INPUT, EPROTO,
                                          "QMP `query-status`: reply without \"status\" and \"running\"");
        if (status != NULL) {
                char *s = strdup(json_string_value(st));
                if (s == NULL)
                        return v2c_error_set(err, ENOMEM, "out of memory");
                *status = s;
        }
        if (running != NULL)
                *running = json_is_true(run);
        return 0;
}

int v2c_qmp_powerdown(struct v2c_qmp *q, struct v2c_error **err)
{
        return v2c_qmp_execute(q, "system_powerdown", NULL, NULL, err);
}

int v2c_qmp_quit(struct v2c_qmp *q, struct v2c_error **err)
{
        struct v2c_error *e = NULL;
        int r = v2c_qmp_execute(q, "quit", NULL, NULL, &e);
        /* qemu may exit before its reply gets out: the goal is reached. */
        if (r == -ECONNRESET) {
                v2c_error_free(e);
                return 0;
        }
        if (r < 0 && err != NULL && *err == NULL)
                *err = e;
        else
                v2c_error_free(e);
        return r;
}

/* ------------------------------------------------------------------------
 * Connecting
 */

static int connect_unix(const char *path, int64_t deadline, int *out, struct v2c_error **err)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        if (strlen(path) >= sizeof sa.sun_path)
                return v2c_error_set_kind(err, V2C_ERR_USAGE, ENAMETOOLONG,
                                          "QMP socket path `%s` is longer than %zu bytes", path,
                                          sizeof sa.sun_path - 1);
        strcpy(sa.sun_path, path);

        _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return v2c_error_set(err, errno, "socket: %s", strerror(errno));
        /* A non-blocking connect to a unix socket either completes or
         * fails; EAGAIN (backlog full) means try again. */
        while (connect(fd, (struct sockaddr *) &sa, sizeof sa) < 0) {
                int e = errno;
                if (e == EINTR)
                        continue;
                if (e != EAGAIN || v2c_monotonic_ms() >= deadline)
                        return v2c_error_set(err, e, "connecting to QMP socket `%s`: %s", path, strerror(e));
                poll(NULL, 0, 10);
        }
        *out = TAKE_FD(fd);
        return 0;
}

int v2c_qmp_connect(const char *socket_path, int timeout_ms, struct v2c_qmp **out, struct v2c_error **err)
{
        if (timeout_ms <= 0)
                return v2c_error_set_kind(err, V2C_ERR_USAGE, EINVAL, "QMP timeout must be positive");
        int64_t deadline = v2c_monotonic_ms() + timeout_ms;

        _cleanup_qmp_ struct v2c_qmp *q = calloc(1, sizeof *q);
        if (q == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        q->fd = -1;
        q->timeout_ms = timeout_ms;
        v2c_buf_init(&q->in, MAX_LINE + READ_CHUNK);
        q->path = strdup(socket_path);
        if (q->path == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        int r = connect_unix(socket_path, deadline, &q->fd, err);
        if (r < 0)
                return r;

        struct ucred cred;
        socklen_t cl = sizeof cred;
        if (getsockopt(q->fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) == 0 && cl == sizeof cred)
                q->peer_pid = cred.pid;

        _cleanup_msg_ struct v2c_qmp_msg greeting = { 0 };
        r = next_message(q, deadline, &greeting, err);
        if (r == -ETIMEDOUT)
                return v2c_error_set(err, ETIMEDOUT,
                                     "QMP socket `%s`: no greeting within %d ms (is another client connected?)",
                                     socket_path, timeout_ms);
        if (r < 0)
                return v2c_error_prefix(err, r, "QMP socket `%s`: reading the greeting", socket_path);
        if (greeting.kind != V2C_QMP_MSG_GREETING)
                return v2c_error_set_kind(err, V2C_ERR_INPUT, EPROTO,
                                          "QMP socket `%s`: the first message is not a QMP greeting", socket_path);

        r = execute_until(q, "qmp_capabilities", NULL, NULL, deadline, err);
        if (r < 0)
                return v2c_error_prefix(err, r, "QMP socket `%s`: qmp_capabilities", socket_path);
        *out = TAKE_PTR(q);
        return 0;
}

struct v2c_qmp *v2c_qmp_close(struct v2c_qmp *q)
{
        if (q == NULL)
                return NULL;
        v2c_closep(&q->fd);
        v2c_buf_release(&q->in);
        free(q->path);
        free(q);
        return NULL;
}

/* ------------------------------------------------------------------------
 * Stopping a VM
 */

/* Reads and drops messages until qemu closes the connection (0) or the
 * deadline passes (-ETIMEDOUT, no message), or until a SHUTDOWN event when
 * UNTIL_SHUTDOWN (0). */
static int drain_until(struct v2c_qmp *q, int64_t deadline, bool until_shutdown, struct v2c_error **err)
{
        while (!(until_shutdown && q->guest_shutdown)) {
                _cleanup_msg_ struct v2c_qmp_msg m = { 0 };
                struct v2c_error *e = NULL;
                int r = next_message(q, deadline, &m, &e);
                if (r == -ECONNRESET || r == -ETIMEDOUT) {
                        v2c_error_free(e);
                        return r == -ECONNRESET ? 0 : r;
                }
                if (r < 0) {
                        if (err != NULL && *err == NULL)
                                *err = e;
                        else
                                v2c_error_free(e);
                        return r;
                }
        }
        return 0;
}

static bool pid_gone(pid_t pid)
{
        if (kill(pid, 0) < 0 && errno == ESRCH)
                return true;
        /* A zombie has exited; only its parent's wait is missing. */
        char path[64], buf[512];
        snprintf(path, sizeof path, "/proc/%d/stat", (int) pid);
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        if (f == NULL)
                return false;
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        buf[n] = '\0';
        const char *paren = strrchr(buf, ')');
        return paren != NULL && paren[1] == ' ' && paren[2] == 'Z';
}

static int wait_gone(struct v2c_qmp *q, int64_t deadline, struct v2c_error **err)
{
        int r = drain_until(q, deadline, false, err);
        if (r == -ETIMEDOUT)
                return v2c_error_set(err, ETIMEDOUT, "qemu kept the QMP connection open for %d ms after quit",
                                     SHUTDOWN_EXIT_MS);
        if (r < 0)
                return r;
        if (q->peer_pid <= 0)
                return 0;
        while (!pid_gone(q->peer_pid)) {
                if (v2c_monotonic_ms() >= deadline)
                        return v2c_error_set(err, ETIMEDOUT, "qemu (pid %d) still runs %d ms after quit",
                                             (int) q->peer_pid, SHUTDOWN_EXIT_MS);
                poll(NULL, 0, 20);
        }
        return 0;
}

static int shutdown_vm(struct v2c_qmp *q, int grace_ms, struct v2c_error **err)
{
        bool hard = false;
        struct v2c_error *e = NULL;
        int r = v2c_qmp_powerdown(q, &e);
        if (r < 0 && r != -ECONNRESET) {
                if (err != NULL && *err == NULL)
                        *err = e;
                else
                        v2c_error_free(e);
                return r;
        }
        v2c_error_free(e);

        if (!q->closed) {
                r = drain_until(q, v2c_monotonic_ms() + grace_ms, true, err);
                if (r == -ETIMEDOUT)
                        hard = true;
                else if (r < 0)
                        return r;
        }
        /* Even after the guest powered off, qemu run with -no-shutdown
         * would stay: quit makes sure it exits. */
        if (!q->closed) {
                r = v2c_qmp_quit(q, err);
                if (r < 0)
                        return r;
        }
        r = wait_gone(q, v2c_monotonic_ms() + SHUTDOWN_EXIT_MS, err);
        if (r < 0)
                return r;
        return hard ? 1 : 0;
}

int v2c_qmp_shutdown(const char *socket_path, int grace_ms, struct v2c_error **err)
{
        if (grace_ms < 0)
                return v2c_error_set_kind(err, V2C_ERR_USAGE, EINVAL, "shutdown grace must not be negative");
        _cleanup_qmp_ struct v2c_qmp *q = NULL;
        int r = v2c_qmp_connect(socket_path, SHUTDOWN_CONNECT_MS, &q, err);
        if (r < 0)
                return v2c_error_prefix(err, r, "stopping the VM");
        r = shutdown_vm(q, grace_ms, err);
        if (r < 0)
                return v2c_error_prefix(err, r, "stopping the VM behind `%s`", socket_path);
        return r;
}
