/* `v2c convert --verify`: start a converted image and check that it serves.
 *
 * The image is pulled from the OCI layout into podman's storage, run with
 * each service port published on a free loopback port, and every port is
 * polled until it yields a byte (a banner, or the answer to a one-line
 * probe).  The container and the image are removed afterwards, whatever
 * happened.  podman is run as a program (no shell, no API socket), so the
 * caller's environment, CONTAINERS_CONF in particular, decides how it
 * runs.  Every wait here has a bound: a podman step that hangs is killed,
 * a port that never answers fails at the deadline.
 */
#include "convert.h"
#include "convert-internal.h"
#include "buf.h"
#include "cleanup.h"
#include "json.h"
#include "ref.h"
#include "oci-layout.h"
#include "strv.h"
#include "clock.h"
#include "text.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define DEFAULT_TIMEOUT_S 90
#define POLL_INTERVAL_MS 500
#define CONNECT_TIMEOUT_MS 2000
#define BANNER_TIMEOUT_MS 2000
#define PROBE_TIMEOUT_MS 3000
#define PROBE "HEAD / HTTP/1.0\r\n\r\n"

/* How long each podman step may take before it is killed.  A pull copies
 * every layer into podman's storage, which for a whole-system image can
 * take minutes on a slow disk. */
#define PULL_TIMEOUT_S 900
#define RUN_TIMEOUT_S 120
#define QUERY_TIMEOUT_S 30
#define REMOVE_TIMEOUT_S 120

#define STDOUT_MAX (1024 * 1024)
#define STDERR_MAX (16 * 1024)
#define LOG_TAIL_LINES "20"
#define LOG_MSG_MAX 4096       /* bytes of container log put in a message */
#define STDERR_MSG_MAX 2048    /* bytes of podman's stderr put in a message */

/* Milliseconds left until deadline, at most cap, never negative. */
static int remaining_ms(long long deadline, int cap)
{
        long long left = deadline - v2c_monotonic_ms();
        if (left <= 0)
                return 0;
        return left < cap ? (int) left : cap;
}

/* Appends, keeping only the last b->max bytes: the end of podman's stderr
 * ("Error: ...") and of a log is what tells the story. */
static int append_tail(struct v2c_buf *b, const char *data, size_t len)
{
        if (len >= b->max) {
                v2c_buf_reset(b);
                return v2c_buf_append(b, data + (len - b->max), b->max);
        }
        if (b->len + len > b->max) {
                size_t drop = b->len + len - b->max;
                memmove(b->data, b->data + drop, b->len - drop);
                b->len -= drop;
                b->data[b->len] = '\0';
        }
        return v2c_buf_append(b, data, len);
}

/* Returns a new copy of the last max bytes of s, without trailing blanks and
 * with control characters other than newline and tab replaced: container
 * logs and podman's messages end up on the user's terminal. */
static char *printable_tail(const char *s, size_t len, size_t max)
{
        while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == '\r' || s[len - 1] == ' '))
                len--;
        if (len > max) {
                s += len - max;
                len = max;
        }
        char *r = malloc(len + 1);
        if (r == NULL)
                return NULL;
        for (size_t i = 0; i < len; i++) {
                unsigned char c = (unsigned char) s[i];
                r[i] = (c == '\n' || c == '\t' || (c >= 0x20 && c != 0x7f)) ? (char) c : '?';
        }
        r[len] = '\0';
        return r;
}

static void drain_fd(int *fd, struct v2c_buf *b)
{
        char chunk[8192];
        for (;;) {
                ssize_t n = read(*fd, chunk, sizeof chunk);
                if (n > 0) {
                        /* On ENOMEM the text is lost but the pipe still drains. */
                        (void) append_tail(b, chunk, (size_t) n);
                        continue;
                }
                if (n < 0 && errno == EINTR)
                        continue;
                if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
                        close(*fd);
                        *fd = -1;
                }
                return;
        }
}

static char *argv_join(char *const *argv)
{
        struct v2c_buf b;
        v2c_buf_init(&b, 4096);
        for (size_t i = 0; argv[i]; i++)
                if (v2c_buf_appendf(&b, "%s%s", i ? " " : "", argv[i]) < 0)
                        break;
        return v2c_buf_steal(&b);
}

/* Runs ARGV (argv[0] looked up on PATH, the caller's environment, stdin
 * from /dev/null) and waits for it, killing it after timeout_s.  Its
 * stdout goes to *out (the last STDOUT_MAX bytes; with merge_stderr, its
 * stderr too, in order), which the caller has initialised.  Fails unless
 * it exits 0; the error quotes the command and the end of its stderr. */
static int run_podman(char *const *argv, int timeout_s, bool merge_stderr,
                      struct v2c_buf *out, struct v2c_error **err)
{
        _cleanup_close_ int out_r = -1, out_w = -1, err_r = -1, err_w = -1;
        int fds[2];
        if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) < 0)
                return v2c_error_set(err, errno, "creating a pipe: %m");
        out_r = fds[0];
        out_w = fds[1];
        if (!merge_stderr) {
                if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) < 0)
                        return v2c_error_set(err, errno, "creating a pipe: %m");
                err_r = fds[0];
                err_w = fds[1];
        }
        /* The child's ends must block: podman writes to them. */
        fcntl(out_w, F_SETFL, 0);
        if (err_w >= 0)
                fcntl(err_w, F_SETFL, 0);

        posix_spawn_file_actions_t fa;
        posix_spawnattr_t attr;
        int r = posix_spawn_file_actions_init(&fa);
        if (r != 0)
                return v2c_error_set(err, r, "posix_spawn_file_actions_init: %s", strerror(r));
        r = posix_spawnattr_init(&attr);
        if (r != 0) {
                posix_spawn_file_actions_destroy(&fa);
                return v2c_error_set(err, r, "posix_spawnattr_init: %s", strerror(r));
        }
        /* A caller's blocked signals and ignored SIGPIPE are inherited
         * across exec: podman must start with neither. */
        sigset_t none, piped;
        sigemptyset(&none);
        sigemptyset(&piped);
        sigaddset(&piped, SIGPIPE);
        if (r == 0)
                r = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
        if (r == 0)
                r = posix_spawnattr_setsigmask(&attr, &none);
        if (r == 0)
                r = posix_spawnattr_setsigdefault(&attr, &piped);
        if (r == 0)
                r = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
        if (r == 0)
                r = posix_spawn_file_actions_adddup2(&fa, out_w, 1);
        if (r == 0)
                r = posix_spawn_file_actions_adddup2(&fa, merge_stderr ? out_w : err_w, 2);
        pid_t pid = -1;
        if (r == 0)
                r = posix_spawnp(&pid, argv[0], &fa, &attr, argv, environ);
        posix_spawn_file_actions_destroy(&fa);
        posix_spawnattr_destroy(&attr);
        if (r != 0)
                return v2c_error_set(err, r, "cannot run `%s`: %s", argv[0], strerror(r));
        close(TAKE_FD(out_w));
        if (err_w >= 0)
                close(TAKE_FD(err_w));

        struct v2c_buf errbuf _cleanup_buf_;
        v2c_buf_init(&errbuf, STDERR_MAX);
        long long deadline = v2c_monotonic_ms() + (long long) timeout_s * 1000;
        int status = 0;
        bool exited = false, timed_out = false;
        for (;;) {
                pid_t w = waitpid(pid, &status, WNOHANG);
                if (w == pid) {
                        exited = true;
                        break;
                }
                if (w < 0 && errno != EINTR) {
                        r = -errno;
                        break;
                }
                int left = remaining_ms(deadline, 100);
                if (left == 0) {
                        timed_out = true;
                        break;
                }
                /* Short slices even while the pipes are open: a daemon the
                 * command leaves behind (conmon) may keep them open after
                 * podman itself has exited. */
                struct pollfd p[2];
                nfds_t n = 0;
                if (out_r >= 0)
                        p[n++] = (struct pollfd) { .fd = out_r, .events = POLLIN };
                if (err_r >= 0)
                        p[n++] = (struct pollfd) { .fd = err_r, .events = POLLIN };
                if (n == 0) {
                        struct timespec ts = { 0, 10 * 1000000 };
                        nanosleep(&ts, NULL);
                        continue;
                }
                if (poll(p, n, left) < 0 && errno != EINTR) {
                        r = -errno;
                        break;
                }
                if (out_r >= 0)
                        drain_fd(&out_r, out);
                if (err_r >= 0)
                        drain_fd(&err_r, &errbuf);
        }
        if (!exited) {
                kill(pid, SIGKILL);
                while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                        ;
        }
        if (out_r >= 0)
                drain_fd(&out_r, out);
        if (err_r >= 0)
                drain_fd(&err_r, &errbuf);

        _cleanup_free_ char *cmd = argv_join(argv);
        if (timed_out)
                return v2c_error_set(err, ETIMEDOUT, "`%s` did not finish within %d s",
                                     cmd ? cmd : argv[0], timeout_s);
        if (r < 0)
                return v2c_error_set(err, -r, "waiting for `%s`: %s", cmd ? cmd : argv[0], strerror(-r));
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
                return 0;

        const struct v2c_buf *said = merge_stderr ? out : &errbuf;
        _cleanup_free_ char *msg = printable_tail(said->data ? said->data : "", said->len, STDERR_MSG_MAX);
        char how[64];
        if (WIFEXITED(status))
                snprintf(how, sizeof how, "exit status %d", WEXITSTATUS(status));
        else
                snprintf(how, sizeof how, "killed by signal %d", WTERMSIG(status));
        return v2c_error_set(err, EIO, "`%s` failed (%s)%s%s", cmd ? cmd : argv[0], how,
                             msg && *msg ? ": " : "", msg ? msg : "");
}

/* Runs a podman command whose output does not matter, dropping its error:
 * used for cleanup, which must go on whatever happened before. */
static void run_podman_quietly(char *const *argv, int timeout_s)
{
        struct v2c_error *e = NULL;
        struct v2c_buf out _cleanup_buf_;
        v2c_buf_init(&out, STDERR_MAX);
        run_podman(argv, timeout_s, true, &out, &e);
        v2c_error_free(e);
}

/* Picks n distinct free TCP ports on 127.0.0.1: all are held open until
 * every one is chosen, so the same port is never picked twice.  Another
 * program can still take one before podman binds it; podman run then fails
 * with "address already in use", which names the problem. */
static int pick_free_ports(unsigned *hostports, size_t n, struct v2c_error **err)
{
        int *socks = calloc(n, sizeof *socks);
        if (socks == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        for (size_t i = 0; i < n; i++)
                socks[i] = -1;
        int r = 0;
        for (size_t i = 0; i < n && r == 0; i++) {
                struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
                socklen_t alen = sizeof a;
                socks[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
                if (socks[i] < 0 || bind(socks[i], (struct sockaddr *) &a, sizeof a) < 0 ||
                    getsockname(socks[i], (struct sockaddr *) &a, &alen) < 0)
                        r = v2c_error_set(err, errno, "finding a free port on 127.0.0.1: %m");
                else
                        hostports[i] = ntohs(a.sin_port);
        }
        for (size_t i = 0; i < n; i++)
                if (socks[i] >= 0)
                        close(socks[i]);
        free(socks);
        return r;
}

/* Waits until fd is ready for events or the deadline/cap passes; returns
 * revents, 0 on timeout. */
static short wait_fd(int fd, short events, long long deadline, int cap_ms)
{
        for (;;) {
                struct pollfd p = { .fd = fd, .events = events };
                int left = remaining_ms(deadline, cap_ms);
                int n = poll(&p, 1, left);
                if (n < 0 && errno == EINTR)
                        continue;
                return n > 0 ? p.revents : 0;
        }
}

/* A TCP socket made inside the network namespace of process PID (a
 * container's), by a thread of its own: setns() moves only the calling
 * thread, a socket keeps the namespace it was made in, and the thread ends
 * there, so no thread of ours is ever left in the container's namespace. */
struct netns_socket {
        pid_t pid;
        int fd;        /* the socket, or -1 */
        int error;     /* errno of what failed */
        const char *step;
};

static void *netns_socket_thread(void *arg)
{
        struct netns_socket *ns = arg;
        char path[64];
        snprintf(path, sizeof path, "/proc/%ld/ns/net", (long) ns->pid);
        int nsfd = open(path, O_RDONLY | O_CLOEXEC);
        if (nsfd < 0) {
                ns->error = errno;
                ns->step = "opening the container's network namespace";
                return NULL;
        }
        if (setns(nsfd, CLONE_NEWNET) < 0) {
                ns->error = errno;
                ns->step = "entering the container's network namespace (setns)";
                close(nsfd);
                return NULL;
        }
        close(nsfd);
        ns->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (ns->fd < 0) {
                ns->error = errno;
                ns->step = "making a socket in the container's network namespace";
        }
        return NULL;
}

static int socket_in_netns(pid_t pid, int *fd, int *error, const char **step)
{
        struct netns_socket ns = { .pid = pid, .fd = -1 };
        pthread_t t;
        int r = pthread_create(&t, NULL, netns_socket_thread, &ns);
        if (r != 0) {
                *error = r;
                *step = "starting a thread";
                return -r;
        }
        pthread_join(t, NULL);
        if (ns.fd < 0) {
                *error = ns.error;
                *step = ns.step;
                return -ns.error;
        }
        *fd = ns.fd;
        return 0;
}

/* The line sent to a port that says nothing first.  HTTP's by default;
 * servers that would not answer it get a request of their own protocol:
 * DNS over TCP reads "HE" as the length of a message and waits for the
 * rest (a query for the root's NS records instead: any reply, REFUSED
 * too, is a byte), memcached closes on an HTTP line without a word
 * ("version" instead), Redis hangs up on what looks like HTTP ("PING"). */
static void probe_for_port(unsigned port, const char **probe, size_t *len)
{
        static const char dns_query[] = { 0x00, 0x11,                         /* length 17 */
                                          0x76, 0x32, 0x01, 0x00,             /* id, RD */
                                          0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                                          0x00, 0x00, 0x02, 0x00, 0x01 };     /* ".", NS, IN */
        static const char memcached[] = "version\r\n";
        static const char redis[] = "PING\r\n";
        switch (port) {
        case 53:
                *probe = dns_query;
                *len = sizeof dns_query;
                return;
        case 11211:
                *probe = memcached;
                *len = sizeof memcached - 1;
                return;
        case 6379:
                *probe = redis;
                *len = sizeof redis - 1;
                return;
        default:
                *probe = PROBE;
                *len = sizeof PROBE - 1;
        }
}

/* One attempt at PORT on 127.0.0.1: on the host (a published port), or,
 * with NETNS_PID > 0, inside that process's network namespace (where a
 * service bound to 127.0.0.1 only is reached, as its neighbours on the VM
 * reached it).  Connect, wait for a banner, else send the probe and wait
 * for a reply.  Returns true when a byte came; otherwise *why (static;
 * NULL before the first attempt) says what happened.  *ns_error (may be
 * NULL) gets the errno when the namespace could not be entered. */
static bool port_answers(unsigned port, pid_t netns_pid, long long deadline, const char **why, int *ns_error)
{
        _cleanup_close_ int fd = -1;
        if (netns_pid > 0) {
                int e = 0;
                const char *step = NULL;
                if (socket_in_netns(netns_pid, &fd, &e, &step) < 0) {
                        if (ns_error)
                                *ns_error = e;
                        *why = step;
                        return false;
                }
        } else {
                fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        }

        if (fd < 0) {
                *why = "no socket";
                return false;
        }
        struct sockaddr_in a = {
                .sin_family = AF_INET,
                .sin_port = htons((uint16_t) port),
                .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
        };
        if (connect(fd, (struct sockaddr *) &a, sizeof a) < 0) {
                if (errno != EINPROGRESS) {
                        *why = errno == ECONNREFUSED ? "connection refused" : "connection failed";
                        return false;
                }
                if (!(wait_fd(fd, POLLOUT, deadline, CONNECT_TIMEOUT_MS) & (POLLOUT | POLLERR | POLLHUP))) {
                        *why = "connection timed out";
                        return false;
                }
                int soerr = 0;
                socklen_t len = sizeof soerr;
                if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0 || soerr != 0) {
                        *why = soerr == ECONNREFUSED ? "connection refused" : "connection failed";
                        return false;
                }
        }

        char c;
        /* Banner first: SSH, SMTP, Redis-less protocols speak on their own,
         * and some of them would hang up on an HTTP line. */
        if (wait_fd(fd, POLLIN, deadline, BANNER_TIMEOUT_MS)) {
                if (recv(fd, &c, 1, 0) == 1)
                        return true;
                /* A forwarder that accepts for a service that is not
                 * listening yet closes without a word. */
                *why = "connection closed without data";
                return false;
        }
        if (remaining_ms(deadline, 1) == 0) {
                /* Cut short: an earlier, whole attempt says more. */
                if (*why == NULL)
                        *why = "no data";
                return false;
        }
        const char *probe;
        size_t probe_len;
        probe_for_port(port, &probe, &probe_len);
        if (send(fd, probe, probe_len, MSG_NOSIGNAL) < 0) {
                *why = "connection closed without data";
                return false;
        }
        if (wait_fd(fd, POLLIN, deadline, PROBE_TIMEOUT_MS) && recv(fd, &c, 1, 0) == 1)
                return true;
        *why = "no answer to a probe";
        return false;
}

/* Returns the last lines of the container's log as a new string, made
 * printable and bounded; on failure, a note saying so (never NULL unless
 * out of memory). */
static char *container_log(const char *name)
{
        char *argv[] = { (char *) "podman", (char *) "logs", (char *) "--tail", (char *) LOG_TAIL_LINES,
                         (char *) name, NULL };
        struct v2c_error *e = NULL;
        struct v2c_buf out _cleanup_buf_;
        v2c_buf_init(&out, STDOUT_MAX);
        int r = run_podman(argv, QUERY_TIMEOUT_S, true, &out, &e);
        if (r < 0) {
                char *s = NULL;
                if (asprintf(&s, "(unavailable: %s)", e->msg) < 0)
                        s = NULL;
                v2c_error_free(e);
                return s;
        }
        char *tail = printable_tail(out.data ? out.data : "", out.len, LOG_MSG_MAX);
        if (tail && *tail == '\0') {
                free(tail);
                return strdup("(empty)");
        }
        if (tail == NULL)
                return NULL;
        /* One message, still readable: each log line on its own, indented. */
        struct v2c_buf b;
        v2c_buf_init(&b, LOG_MSG_MAX * 2 + 64);
        for (char *line = tail, *next; line; line = next) {
                next = strchr(line, '\n');
                if (next)
                        *next++ = '\0';
                if (v2c_buf_appendf(&b, "\n    %s", line) < 0)
                        break;
        }
        free(tail);
        return v2c_buf_steal(&b);
}

/* When LOG shows the service failing to write on its read-only root, a
 * sentence naming the line that says where (new string), else NULL. */
static char *readonly_hint(const char *log)
{
        const char *hit = log ? strstr(log, "Read-only file system") : NULL;
        if (hit == NULL)
                return NULL;
        const char *start = hit;
        while (start > log && start[-1] != '\n')
                start--;
        while (*start == ' ')
                start++;
        const char *end = strchr(hit, '\n');
        int len = (int) (end ? (size_t) (end - start) : strlen(start));
        char *s = NULL;
        if (asprintf(&s, "; it cannot run with a read-only root: it writes outside the paths its unit declares "
                         "(\"%.*s\"): add the path to ReadWritePaths= on the VM and inspect again, or convert with "
                         "--no-harden",
                     len > 300 ? 300 : len, start) < 0)
                s = NULL;
        return s;
}

/* podman run options for the hardened spec H (nothing when not known):
 * the root read-only with a tmpfs for each writable path only (podman's
 * own /run, /tmp and /var/tmp tmpfs are off, as a Kubernetes read-only
 * root has none: each must be in the spec), mode 0777 as an emptyDir,
 * owned by the user it runs as ("U": runc gives a tmpfs mounted over a
 * directory of the image that directory's mode, so mode= is lost, and
 * root as its owner: a non-root service could not write its own state or
 * log directory); every capability dropped but the spec's; no new
 * privileges; the
 * DynamicUser= uid (the image's user is the shared "nobody"); memory and
 * CPU limits.  LimitNOFILE= is left out, as the manifest leaves it out:
 * Kubernetes has no per-container limit on open files. */
static int harden_args(const struct v2c_hardening *h, char ***argv)
{
        if (h == NULL || !v2c_hardening_known(h))
                return 0;
        int r = 0;
        if (h->read_only_root) {
                r = v2c_strv_push(argv, "--read-only");
                if (r == 0)
                        r = v2c_strv_push(argv, "--read-only-tmpfs=false");
        }
        for (size_t i = 0; r == 0 && h->read_only_root && i < h->nwritable; i++) {
                if (strchr(h->writable[i].what, ',') || strchr(h->writable[i].what, ':'))
                        continue;       /* podman cannot take it in --tmpfs: left out, the run shows it */
                char *a = NULL;
                if (asprintf(&a, "--tmpfs=%s:rw,nosuid,nodev,exec,mode=0777,U", h->writable[i].what) < 0)
                        return -ENOMEM;
                r = v2c_strv_consume(argv, a);
        }
        if (r == 0)
                r = v2c_strv_push(argv, "--cap-drop=all");
        for (size_t i = 0; r == 0 && i < h->ncapabilities; i++) {
                char *a = NULL;
                if (asprintf(&a, "--cap-add=%s", h->capabilities[i].what) < 0)
                        return -ENOMEM;
                r = v2c_strv_consume(argv, a);
        }
        if (r == 0 && !h->allow_privilege_escalation)
                r = v2c_strv_push(argv, "--security-opt=no-new-privileges");
        char *a = NULL;
        if (r == 0 && h->dynamic_uid) {
                if (asprintf(&a, "--user=%u", h->dynamic_uid) < 0)
                        return -ENOMEM;
                r = v2c_strv_consume(argv, a);
        }
        if (r == 0 && h->memory_max) {
                if (asprintf(&a, "--memory=%llu", h->memory_max) < 0)
                        return -ENOMEM;
                r = v2c_strv_consume(argv, a);
        }
        if (r == 0 && h->cpu_millis) {
                if (asprintf(&a, "--cpus=%u.%03u", h->cpu_millis / 1000, h->cpu_millis % 1000) < 0)
                        return -ENOMEM;
                r = v2c_strv_consume(argv, a);
        }
        return r;
}

/* Asks podman whether the container still runs; *exit_code is set when not. */
static int container_running(const char *name, bool *running, int *exit_code, struct v2c_error **err)
{
        char *argv[] = { (char *) "podman", (char *) "inspect", (char *) "-f",
                         (char *) "{{.State.Running}} {{.State.ExitCode}}", (char *) name, NULL };
        struct v2c_buf out _cleanup_buf_;
        v2c_buf_init(&out, STDOUT_MAX);
        int r = run_podman(argv, QUERY_TIMEOUT_S, false, &out, err);
        if (r < 0)
                return r;
        const char *s = out.data ? out.data : "";
        if (strncmp(s, "true", 4) == 0) {
                *running = true;
                return 0;
        }
        if (strncmp(s, "false", 5) == 0) {
                *running = false;
                *exit_code = atoi(s + 5);
                return 0;
        }
        _cleanup_free_ char *said = printable_tail(s, out.len, 200);
        return v2c_error_set(err, EIO, "unexpected answer from `podman inspect`: \"%s\"", said ? said : "");
}

/* Image IDs are hex; anything else (a warning, an empty line) must not end
 * up as an argument of `podman run`/`podman rmi`. */
static bool is_image_id(const char *s)
{
        size_t n = strlen(s);
        return n >= 12 && v2c_is_lower_hex(s, n);
}

/* The last line of the output of `podman pull -q`, as a new string. */
static int pulled_image_id(const struct v2c_buf *out, char **id, struct v2c_error **err)
{
        const char *s = out->data ? out->data : "";
        size_t len = out->len;
        while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == '\r'))
                len--;
        size_t start = len;
        while (start > 0 && s[start - 1] != '\n')
                start--;
        char *r = strndup(s + start, len - start);
        if (r == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        if (strncmp(r, "sha256:", 7) == 0)
                memmove(r, r + 7, strlen(r + 7) + 1);
        if (!is_image_id(r)) {
                _cleanup_free_ char *said = printable_tail(s, out->len, 200);
                free(r);
                return v2c_error_set(err, EIO, "`podman pull` printed no image ID: \"%s\"", said ? said : "");
        }
        *id = r;
        return 0;
}

/* Whether podman's storage already holds image id, before we pull: such an
 * image belongs to someone else and must survive the verification. */
static bool image_present(const char *id)
{
        char *argv[] = { (char *) "podman", (char *) "image", (char *) "exists", (char *) id, NULL };
        struct v2c_error *e = NULL;
        struct v2c_buf out _cleanup_buf_;
        v2c_buf_init(&out, STDERR_MAX);
        int r = run_podman(argv, QUERY_TIMEOUT_S, true, &out, &e);
        v2c_error_free(e);
        return r == 0;
}

/* The hex digest of the config of image REF in the layout at LAYOUT; see
 * convert-internal.h.  NULL leaves the pull to say what is wrong. */
char *convert_layout_config_id(const char *layout, const char *ref)
{
        struct v2c_error *e = NULL;
        _cleanup_(v2c_oci_dir_closep) struct v2c_oci_dir *l = NULL;
        _cleanup_json_ json_t *manifest = NULL;
        struct v2c_oci_desc d;
        if (v2c_oci_dir_open(layout, &l, &e) < 0 || v2c_oci_index_pick(v2c_oci_dir_index(l), ref, &d, &e) < 0 ||
            v2c_oci_dir_read_json(l, &d, &manifest, &e) < 0) {
                v2c_error_free(e);
                return NULL;
        }
        const char *config = json_string_value(json_object_get(json_object_get(manifest, "config"), "digest"));
        return v2c_digest_valid(config) ? strdup(config + 7) : NULL;
}

/* Largest secret file copied for a run: keys and password files are small. */
#define SECRET_FILE_MAX (16u << 20)

/* The guest's secret files, copied into a private directory for one run. */
struct staged_secrets {
        char *dir;                 /* mkdtemp'd, 0700; NULL when nothing staged */
        size_t n;                  /* files written in it: 0, 1, ... n-1 */
};

/* Removes every staged file and the directory. */
static void unstage_secrets(struct staged_secrets *st)
{
        if (st->dir == NULL)
                return;
        for (size_t i = 0; i < st->n; i++) {
                char p[PATH_MAX];
                snprintf(p, sizeof p, "%s/%zu", st->dir, i);
                unlink(p);
        }
        rmdir(st->dir);
        free(st->dir);
        st->dir = NULL;
        st->n = 0;
}

/* mkdtemp under $TMPDIR (or /tmp): 0700, only root reads what it holds. */
static int make_secrets_dir(struct staged_secrets *st, struct v2c_error **err)
{
        const char *tmp = getenv("TMPDIR");
        char tmpl[PATH_MAX];
        if (tmp == NULL || tmp[0] != '/' || strlen(tmp) > PATH_MAX - 64)
                tmp = "/tmp";
        snprintf(tmpl, sizeof tmpl, "%s/v2c-verify-secrets-XXXXXX", tmp);
        if (mkdtemp(tmpl) == NULL)
                return v2c_error_set(err, errno, "creating a directory for its secret files: %m");
        if ((st->dir = strdup(tmpl)) == NULL) {
                rmdir(tmpl);
                return v2c_error_set(err, ENOMEM, "out of memory");
        }
        return 0;
}

/* Copies the N secret FILES of image REF from GUEST, with their owner and
 * mode, into ST's directory (made on first use: the members of a pod share
 * one) and adds "-v DIR/K:PATH:ro" for each to argv.  Host names are
 * numbers: no guest name reaches the host's file system.  The caller
 * unstages ST whatever happens. */
static int stage_secrets(struct v2c_guest *guest, const struct v2c_secret_mount *files, size_t n,
                         struct staged_secrets *st, char ***argv, struct v2c_error **err)
{
        if (n == 0)
                return 0;
        if (guest == NULL || files == NULL)
                return v2c_error_set_kind(err, V2C_ERR_USAGE, EINVAL, "secret files to mount but no guest to read");
        if (st->dir == NULL) {
                int r = make_secrets_dir(st, err);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < n; i++) {
                const struct v2c_secret_mount *m = &files[i];
                /* podman's -v splits at ':' and its options at ','. */
                if (m->path == NULL || m->path[0] != '/' || strpbrk(m->path, ":,\n"))
                        return v2c_error_set_kind(err, V2C_ERR_INPUT, EINVAL,
                                                  "secret file path `%s` cannot be mounted with podman -v",
                                                  m->path ? m->path : "");
                _cleanup_free_ char *data = NULL, *host = NULL, *vol = NULL;
                size_t len = 0;
                int r = v2c_guest_read_file(guest, m->path, SECRET_FILE_MAX, &data, &len, err);
                if (r < 0)
                        return v2c_error_prefix(err, r, "secret file to mount");
                if (asprintf(&host, "%s/%zu", st->dir, st->n) < 0 || asprintf(&vol, "%s:%s:ro", host, m->path) < 0) {
                        explicit_bzero(data, len);
                        return v2c_error_set(err, ENOMEM, "out of memory");
                }
                int fd = open(host, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
                if (fd >= 0)
                        st->n++;
                size_t off = 0;
                while (fd >= 0 && off < len) {
                        ssize_t w = write(fd, data + off, len - off);
                        if (w < 0 && errno == EINTR)
                                continue;
                        if (w <= 0)
                                break;
                        off += (size_t) w;
                }
                explicit_bzero(data, len);
                int e = fd < 0 || off < len ? (errno ? errno : EIO) : 0;
                /* Owner as on the guest; as non-root podman maps ids anyway. */
                if (e == 0 && fchown(fd, m->uid, m->gid) < 0 && errno != EPERM)
                        e = errno;
                if (e == 0 && fchmod(fd, m->mode & 0777) < 0)
                        e = errno;
                if (fd >= 0 && close(fd) < 0 && e == 0)
                        e = errno;
                if (e)
                        return v2c_error_set(err, e, "copying secret file %s: %s", m->path,
                                             strerror(e));
                if (v2c_strv_push(argv, "-v") < 0 || v2c_strv_consume(argv, TAKE_PTR(vol)) < 0)
                        return v2c_error_set(err, ENOMEM, "out of memory");
        }
        return 0;
}

/* Pulls image REF of the OCI layout at LAYOUT (a real path) into podman's
 * storage; *image_id is new.  *keep is set when the same image was there
 * before (the user's own, not ours to remove).  TAG names the temporary
 * link pulled through. */
static int pull_layout_image(const char *layout, const char *ref, const char *tag, char **image_id, bool *keep,
                             struct v2c_error **err)
{
        _cleanup_free_ char *source = NULL, *alias = NULL;
        if (asprintf(&alias, "/tmp/%s", tag) < 0 || asprintf(&source, "oci:%s:%s", alias, ref) < 0)
                return v2c_error_set(err, ENOMEM, "out of memory");
        /* podman names what it pulls from oci:PATH after PATH, and refuses
         * a PATH that is not a valid lowercase repository name: it pulls
         * through a link of our own naming instead. */
        unlink(alias);
        if (symlink(layout, alias) < 0)
                return v2c_error_set(err, errno, "linking `%s` to the layout: %m", alias);

        /* podman's image ID is the digest of the image's config, so the
         * layout tells it before the pull: the same image may already be
         * in podman's storage (an earlier run, the user's own pull). */
        _cleanup_free_ char *expected_id = convert_layout_config_id(layout, ref);
        bool preexisting = expected_id && image_present(expected_id);

        _cleanup_free_ char *id = NULL;
        char *argv[] = { (char *) "podman", (char *) "pull", (char *) "-q", source, NULL };
        struct v2c_buf out _cleanup_buf_;
        v2c_buf_init(&out, STDOUT_MAX);
        int r = run_podman(argv, PULL_TIMEOUT_S, false, &out, err);
        unlink(alias);
        if (r == 0)
                r = pulled_image_id(&out, &id, err);
        if (r < 0)
                return r;
        *keep = expected_id && strcmp(expected_id, id) == 0 && preexisting;
        *image_id = TAKE_PTR(id);
        return 0;
}

/* Removes the name pull_layout_image() pulled TAG under, not the image by
 * its ID with -f: another run (or the user) may use the same image at the
 * same moment (the same layout gives the same ID), and `rmi -f ID` would
 * take it, and the containers running it, from under them.  podman deletes
 * the image with its last name when no container uses it. */
static void remove_pulled_image(const char *tag)
{
        _cleanup_free_ char *ref = NULL;
        if (tag == NULL || asprintf(&ref, "localhost/tmp/%s:latest", tag) < 0)
                return;
        char *rmi[] = { (char *) "podman", (char *) "rmi", ref, NULL };
        run_podman_quietly(rmi, REMOVE_TIMEOUT_S);
}

static int check_options(const struct v2c_verify_options *opt, struct v2c_error **err)
{
        if (opt == NULL || opt->layout == NULL || opt->ref_name == NULL || *opt->ref_name == '\0')
                return v2c_error_set_kind(err, V2C_ERR_USAGE, EINVAL, "verify: no layout or image name");
        /* The oci: transport splits its argument at ':'. */
        if (strchr(opt->ref_name, ':'))
                return v2c_error_set_kind(err, V2C_ERR_USAGE, EINVAL,
                                          "verify: image name `%s` holds a ':', which podman cannot take",
                                          opt->ref_name);
        if (opt->ports == NULL || opt->n_ports == 0)
                return v2c_error_set_kind(err, V2C_ERR_USAGE, EINVAL,
                                          "%s: no port to verify (the service listens on none)",
                                          opt->ref_name);
        if (opt->n_ports > 1024)
                return v2c_error_set_kind(err, V2C_ERR_USAGE, E2BIG, "%s: too many ports (%zu)",
                                          opt->ref_name, opt->n_ports);
        for (size_t i = 0; i < opt->n_ports; i++)
                if (opt->ports[i] == 0 || opt->ports[i] > 65535)
                        return v2c_error_set_kind(err, V2C_ERR_USAGE, EINVAL, "%s: bad port %u",
                                                  opt->ref_name, opt->ports[i]);
        if (opt->timeout < 0)
                return v2c_error_set_kind(err, V2C_ERR_USAGE, EINVAL, "%s: negative timeout",
                                          opt->ref_name);
        /* "--env NAME" alone would copy NAME from our own environment into
         * the container. */
        for (size_t i = 0; opt->env && opt->env[i]; i++) {
                const char *eq = strchr(opt->env[i], '=');
                if (eq == NULL || eq == opt->env[i])
                        return v2c_error_set_kind(err, V2C_ERR_USAGE, EINVAL,
                                                  "%s: environment entry `%s` is not KEY=VALUE",
                                                  opt->ref_name, opt->env[i]);
        }
        return 0;
}

/* The host PID of the container's first process (0 when it is not
 * running): its /proc/PID/ns/net is the container's (the pod's) network. */
static pid_t container_pid(const char *name)
{
        char *argv[] = { (char *) "podman", (char *) "inspect", (char *) "-f", (char *) "{{.State.Pid}}",
                         (char *) name, NULL };
        struct v2c_error *e = NULL;
        struct v2c_buf out _cleanup_buf_;
        v2c_buf_init(&out, STDERR_MAX);
        if (run_podman(argv, QUERY_TIMEOUT_S, false, &out, &e) < 0) {
                v2c_error_free(e);
                return 0;
        }
        char *end = NULL;
        long v = strtol(out.data ? out.data : "", &end, 10);
        return v > 0 && v <= INT_MAX && end && (*end == '\0' || *end == '\n') ? (pid_t) v : 0;
}

/* How one port was reached. */
enum reach { NOT_YET, PUBLISHED, INSIDE_ONLY };

/* One round on port i: its published port first; failing that, 127.0.0.1
 * inside the container's network namespace, where a service bound to the
 * loopback address only (an app behind a proxy of the same pod) listens.
 * *netns is the container's PID, 0 before it is known, -1 once entering
 * it failed (then *ns_error says why). */
static enum reach probe_port(const char *name, unsigned port, unsigned hostport, long long deadline,
                             pid_t *netns, int *ns_error, const char **why)
{
        if (port_answers(hostport, 0, deadline, why, NULL))
                return PUBLISHED;
        if (*netns < 0)
                return NOT_YET;
        if (*netns == 0 && (*netns = container_pid(name)) == 0)
                return NOT_YET;
        const char *inside_why = NULL;
        int e = 0;
        if (!port_answers(port, *netns, deadline, &inside_why, &e)) {
                if (e != 0) {
                        *netns = -1;
                        *ns_error = e;
                } else {
                        /* The PID of a container that restarted is stale. */
                        *netns = 0;
                }
                return NOT_YET;
        }
        /* It may have just come up on every address: ask the published
         * port once more before calling it loopback-only. */
        return port_answers(hostport, 0, deadline, why, NULL) ? PUBLISHED : INSIDE_ONLY;
}

/* Appends to *notes (may be NULL: nothing said) that PORT of REF answered
 * only inside its network namespace. */
static void note_inside_only(char ***notes, const char *ref, unsigned port)
{
        if (notes == NULL)
                return;
        char *s = NULL;
        if (asprintf(&s, "%s: port %u answers on 127.0.0.1 inside the container only (it listens on the loopback "
                         "address, as on the VM): only its pod's neighbours reach it",
                     ref, port) >= 0)
                (void) v2c_strv_consume(notes, s);
}

/* Polls every port until all answered, the container stopped, or the
 * deadline passed. */
static int wait_for_ports(const struct v2c_verify_options *opt, const char *name,
                          const unsigned *hostports, int timeout_s, struct v2c_error **err)
{
        _cleanup_free_ enum reach *answered = calloc(opt->n_ports, sizeof *answered);
        _cleanup_free_ const char **why = calloc(opt->n_ports, sizeof *why);
        if (answered == NULL || why == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        long long deadline = v2c_monotonic_ms() + (long long) timeout_s * 1000;
        size_t left = opt->n_ports;
        pid_t netns = 0;
        int ns_error = 0;

        for (;;) {
                for (size_t i = 0; i < opt->n_ports; i++) {
                        if (answered[i] != NOT_YET)
                                continue;
                        answered[i] = probe_port(name, opt->ports[i], hostports[i], deadline, &netns, &ns_error,
                                                 &why[i]);
                        if (answered[i] != NOT_YET)
                                left--;
                }
                if (left == 0) {
                        for (size_t i = 0; i < opt->n_ports; i++)
                                if (answered[i] == INSIDE_ONLY)
                                        note_inside_only(opt->notes, opt->ref_name, opt->ports[i]);
                        return 0;
                }

                size_t first = 0;
                while (answered[first] != NOT_YET)
                        first++;

                bool running = true;
                int exit_code = 0;
                int r = container_running(name, &running, &exit_code, err);
                if (r < 0)
                        return r;
                if (!running) {
                        _cleanup_free_ char *log = container_log(name);
                        _cleanup_free_ char *hint = readonly_hint(log);
                        return v2c_error_set(err, EIO,
                                             "container exited (status %d) before port %u answered%s; container log:%s%s",
                                             exit_code, opt->ports[first], hint ? hint : "",
                                             log && *log != '\n' ? " " : "", log ? log : "");
                }
                if (remaining_ms(deadline, 1) == 0) {
                        _cleanup_free_ char *log = container_log(name), *inside = NULL;
                        /* Without CAP_SYS_ADMIN (not root) the namespace is
                         * closed to us: a loopback-only listener cannot be
                         * told from a dead one. */
                        if (ns_error &&
                            asprintf(&inside, "; 127.0.0.1 inside the container was not tried: %s%s "
                                              "(a service listening on the loopback address only is reached "
                                              "there alone; run --verify as root to check it)",
                                     strerror(ns_error), ns_error == EPERM ? ", needs root" : "") < 0)
                                inside = NULL;
                        return v2c_error_set(err, ETIMEDOUT,
                                             "port %u did not answer within %d s (last try: %s)%s; container log:%s%s",
                                             opt->ports[first], timeout_s, why[first] ? why[first] : "none",
                                             inside ? inside : "", log && *log != '\n' ? " " : "", log ? log : "");
                }
                int pause = remaining_ms(deadline, POLL_INTERVAL_MS);
                struct timespec ts = { pause / 1000, (long) (pause % 1000) * 1000000 };
                while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                        ;
        }
}

int v2c_convert_verify(const struct v2c_verify_options *opt, struct v2c_error **err)
{
        static unsigned counter;
        int r = check_options(opt, err);
        if (r < 0)
                return r;
        int timeout_s = opt->timeout > 0 ? opt->timeout : DEFAULT_TIMEOUT_S;

        _cleanup_free_ char *layout = realpath(opt->layout, NULL);
        if (layout == NULL) {
                int e = errno;
                return v2c_error_set(err, e, "%s: `%s`: %s", opt->ref_name, opt->layout, strerror(e));
        }
        if (strchr(layout, ':'))
                return v2c_error_set_kind(err, V2C_ERR_USAGE, EINVAL,
                                          "%s: layout path `%s` holds a ':', which podman cannot take",
                                          opt->ref_name, layout);

        _cleanup_free_ char *name = NULL, *image_id = NULL;
        if (asprintf(&name, "v2c-verify-%ld-%u", (long) getpid(),
                     __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED)) < 0)
                return v2c_error_set(err, ENOMEM, "out of memory");
        bool keep_image = false;
        r = pull_layout_image(layout, opt->ref_name, name, &image_id, &keep_image, err);
        if (r < 0)
                return v2c_error_prefix(err, r, "%s", opt->ref_name);

        struct staged_secrets staged = { 0 };
        _cleanup_free_ unsigned *hostports = calloc(opt->n_ports, sizeof *hostports);
        _cleanup_strv_ char **argv = NULL;
        if (hostports == NULL) {
                r = v2c_error_set(err, ENOMEM, "out of memory");
                goto remove_image;
        }
        r = pick_free_ports(hostports, opt->n_ports, err);
        if (r < 0)
                goto remove_image;

        const char *head[] = { "podman", "run", "-d", "--name", name };
        for (size_t i = 0; i < V2C_ARRAY_SIZE(head) && r == 0; i++)
                r = v2c_strv_push(&argv, head[i]);
        for (size_t i = 0; i < opt->n_ports && r == 0; i++) {
                char *p = NULL;
                r = v2c_strv_push(&argv, "-p");
                if (r == 0 && asprintf(&p, "127.0.0.1:%u:%u", hostports[i], opt->ports[i]) < 0)
                        r = -ENOMEM;
                if (r == 0)
                        r = v2c_strv_consume(&argv, p);
        }
        for (size_t i = 0; opt->env && opt->env[i] && r == 0; i++) {
                r = v2c_strv_push(&argv, "--env");
                if (r == 0)
                        r = v2c_strv_push(&argv, opt->env[i]);
        }
        if (r == 0)
                r = harden_args(opt->harden, &argv);
        if (r < 0) {
                r = v2c_error_set(err, -r, "out of memory");
                goto remove_image;
        }
        r = stage_secrets(opt->guest, opt->secret_files, opt->n_secret_files, &staged, &argv, err);
        if (r < 0)
                goto remove_image;
        r = v2c_strv_push(&argv, image_id);
        if (r < 0) {
                r = v2c_error_set(err, -r, "out of memory");
                goto remove_image;
        }

        {
                struct v2c_buf out _cleanup_buf_;
                v2c_buf_init(&out, STDOUT_MAX);
                r = run_podman(argv, RUN_TIMEOUT_S, false, &out, err);
        }
        if (r == 0)
                r = wait_for_ports(opt, name, hostports, timeout_s, err);

        /* `podman run` may have created the container even when it failed
         * to start it.  --time 0: a service running as PID 1 without a
         * SIGTERM handler ignores SIGTERM, and the default grace period
         * would add 10 s to every failed verification. */
        {
                char *rm[] = { (char *) "podman", (char *) "rm", (char *) "-f", (char *) "--time", (char *) "0",
                               name, NULL };
                run_podman_quietly(rm, REMOVE_TIMEOUT_S);
        }
remove_image:
        unstage_secrets(&staged);
        if (!keep_image)
                remove_pulled_image(name);
        if (r < 0)
                return v2c_error_prefix(err, r, "%s", opt->ref_name);
        return 0;
}

/* ---- services sharing a pod ---- */

#define POD_MAX_MEMBERS 64

static int check_member(const struct v2c_verify_member *m, struct v2c_error **err)
{
        if (m->ref_name == NULL || *m->ref_name == '\0' || strchr(m->ref_name, ':'))
                return v2c_error_set_kind(err, V2C_ERR_USAGE, EINVAL, "verify: bad image name `%s`",
                                          m->ref_name ? m->ref_name : "");
        if (m->n_ports == 0)
                return 0;
        struct v2c_verify_options one = { .layout = ".", .ref_name = m->ref_name, .ports = m->ports,
                                          .n_ports = m->n_ports, .env = m->env };
        return check_options(&one, err);
}

/* podman pod create NAME, publishing HOSTPORTS[i] -> the members' ports. */
static int create_pod(const struct v2c_verify_pod_options *opt, const char *name, const unsigned *hostports,
                      struct v2c_error **err)
{
        _cleanup_strv_ char **argv = NULL;
        const char *head[] = { "podman", "pod", "create", "--name", name };
        int r = 0;
        for (size_t i = 0; i < V2C_ARRAY_SIZE(head) && r == 0; i++)
                r = v2c_strv_push(&argv, head[i]);
        for (size_t m = 0, k = 0; m < opt->n_members && r == 0; m++)
                for (size_t i = 0; i < opt->members[m].n_ports && r == 0; i++, k++) {
                        char *p = NULL;
                        r = v2c_strv_push(&argv, "-p");
                        if (r == 0 && asprintf(&p, "127.0.0.1:%u:%u", hostports[k], opt->members[m].ports[i]) < 0)
                                r = -ENOMEM;
                        if (r == 0)
                                r = v2c_strv_consume(&argv, p);
                }
        if (r < 0)
                return v2c_error_set(err, -r, "out of memory");
        struct v2c_buf out _cleanup_buf_;
        v2c_buf_init(&out, STDOUT_MAX);
        return run_podman(argv, RUN_TIMEOUT_S, false, &out, err);
}

static int run_in_pod(const char *pod, const char *name, const char *image_id, const struct v2c_verify_member *m,
                      struct staged_secrets *staged, struct v2c_error **err)
{
        _cleanup_strv_ char **argv = NULL;
        const char *head[] = { "podman", "run", "-d", "--pod", pod, "--name", name };
        int r = 0;
        for (size_t i = 0; i < V2C_ARRAY_SIZE(head) && r == 0; i++)
                r = v2c_strv_push(&argv, head[i]);
        for (size_t i = 0; m->env && m->env[i] && r == 0; i++) {
                r = v2c_strv_push(&argv, "--env");
                if (r == 0)
                        r = v2c_strv_push(&argv, m->env[i]);
        }
        if (r == 0)
                r = harden_args(m->harden, &argv);
        if (r < 0)
                return v2c_error_set(err, -r, "out of memory");
        r = stage_secrets(m->guest, m->secret_files, m->n_secret_files, staged, &argv, err);
        if (r < 0)
                return r;
        r = v2c_strv_push(&argv, image_id);
        if (r < 0)
                return v2c_error_set(err, -r, "out of memory");
        struct v2c_buf out _cleanup_buf_;
        v2c_buf_init(&out, STDOUT_MAX);
        return run_podman(argv, RUN_TIMEOUT_S, false, &out, err);
}

int v2c_convert_verify_pod(const struct v2c_verify_pod_options *opt, struct v2c_error **err)
{
        static unsigned counter;
        if (opt == NULL || opt->layout == NULL || opt->members == NULL || opt->n_members == 0 ||
            opt->n_members > POD_MAX_MEMBERS || opt->timeout < 0)
                return v2c_error_set_kind(err, V2C_ERR_USAGE, EINVAL, "verify: a pod needs 1 to %d images",
                                          POD_MAX_MEMBERS);
        const char *what = opt->pod ? opt->pod : "pod";
        size_t total = 0;
        for (size_t m = 0; m < opt->n_members; m++) {
                int r = check_member(&opt->members[m], err);
                if (r < 0)
                        return v2c_error_prefix(err, r, "pod %s", what);
                total += opt->members[m].n_ports;
        }
        int timeout_s = opt->timeout > 0 ? opt->timeout : DEFAULT_TIMEOUT_S;
        _cleanup_free_ char *layout = realpath(opt->layout, NULL);
        if (layout == NULL) {
                int e = errno;
                return v2c_error_set(err, e, "pod %s: `%s`: %s", what, opt->layout, strerror(e));
        }
        if (strchr(layout, ':'))
                return v2c_error_set_kind(err, V2C_ERR_USAGE, EINVAL,
                                          "pod %s: layout path `%s` holds a ':', which podman cannot take", what,
                                          layout);
        _cleanup_free_ char *pod = NULL;
        if (asprintf(&pod, "v2c-verify-pod-%ld-%u", (long) getpid(),
                     __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED)) < 0)
                return v2c_error_set(err, ENOMEM, "out of memory");

        char **ids = calloc(opt->n_members + 1, sizeof *ids), **names = calloc(opt->n_members + 1, sizeof *names);
        bool *keep = calloc(opt->n_members, sizeof *keep);
        _cleanup_free_ unsigned *hostports = calloc(total ? total : 1, sizeof *hostports);
        bool pod_made = false;
        struct staged_secrets staged = { 0 };
        int r = 0;
        if (ids == NULL || names == NULL || keep == NULL || hostports == NULL) {
                r = v2c_error_set(err, ENOMEM, "out of memory");
                goto out;
        }
        for (size_t m = 0; m < opt->n_members && r == 0; m++) {
                if (asprintf(&names[m], "%s-%zu", pod, m) < 0) {
                        r = v2c_error_set(err, ENOMEM, "out of memory");
                        break;
                }
                r = pull_layout_image(layout, opt->members[m].ref_name, names[m], &ids[m], &keep[m], err);
                if (r < 0)
                        v2c_error_prefix(err, r, "%s", opt->members[m].ref_name);
        }
        if (r == 0)
                r = pick_free_ports(hostports, total, err);
        if (r == 0) {
                r = create_pod(opt, pod, hostports, err);
                pod_made = true;   /* podman may have made it even when it failed */
        }
        for (size_t m = 0; m < opt->n_members && r == 0; m++) {
                r = run_in_pod(pod, names[m], ids[m], &opt->members[m], &staged, err);
                if (r < 0)
                        v2c_error_prefix(err, r, "%s", opt->members[m].ref_name);
        }
        for (size_t m = 0, off = 0; m < opt->n_members && r == 0; off += opt->members[m].n_ports, m++) {
                const struct v2c_verify_member *mb = &opt->members[m];
                if (mb->n_ports == 0)
                        continue;
                struct v2c_verify_options one = { .layout = layout, .ref_name = mb->ref_name, .ports = mb->ports,
                                                  .n_ports = mb->n_ports, .env = mb->env, .notes = opt->notes };
                r = wait_for_ports(&one, names[m], hostports + off, timeout_s, err);
                if (r < 0)
                        v2c_error_prefix(err, r, "%s", mb->ref_name);
        }
        /* A member without ports, or one that died once its port answered,
         * fails the pod as well. */
        for (size_t m = 0; m < opt->n_members && r == 0; m++) {
                bool running = true;
                int code = 0;
                r = container_running(names[m], &running, &code, err);
                if (r == 0 && !running) {
                        _cleanup_free_ char *log = container_log(names[m]);
                        _cleanup_free_ char *hint = readonly_hint(log);
                        r = v2c_error_set(err, EIO, "%s: container exited (status %d)%s; container log:%s%s",
                                          opt->members[m].ref_name, code, hint ? hint : "",
                                          log && *log != '\n' ? " " : "", log ? log : "");
                }
        }
out:
        if (pod_made) {
                /* Removes its containers too; --time 0 as in v2c_convert_verify. */
                char *rm[] = { (char *) "podman", (char *) "pod", (char *) "rm", (char *) "-f", (char *) "--time",
                               (char *) "0", pod, NULL };
                run_podman_quietly(rm, REMOVE_TIMEOUT_S);
        }
        unstage_secrets(&staged);
        for (size_t m = 0; ids && m < opt->n_members; m++) {
                if (ids[m] && !keep[m])
                        remove_pulled_image(names[m]);
                free(ids[m]);
                free(names ? names[m] : NULL);
        }
        free(ids);
        free(names);
        free(keep);
        if (r < 0)
                return v2c_error_prefix(err, r, "pod %s", what);
        return 0;
}
