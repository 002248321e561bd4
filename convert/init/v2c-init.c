/* v2c-init: the init that `v2c convert` puts into images whose service
 * detaches (Type=forking units, SysV scripts) or needs a supervisor.
 *
 *   v2c-init [--require PATH]... [--secret NAME] [--exec]
 *            [--pidfile PATH] [--wait-pidfile SECONDS] [--stop-timeout SECONDS]
 *            -- COMMAND [ARGS...]
 *
 * First it checks that every --require PATH (the secret files the service
 * needs, which are never in the image) is there; when some are not, it
 * prints one line per missing file saying how to provide it (podman run -v
 * FILE:PATH:ro, or the Kubernetes Secret --secret NAME) and exits 78
 * (EX_CONFIG) without starting anything.  With --exec it then execs
 * COMMAND, which stays PID 1 as if v2c-init had not been there (services
 * that run in the foreground need no supervisor).
 *
 * It runs COMMAND and lives as long as the service's main process: COMMAND
 * itself, or with --pidfile the daemon whose pid COMMAND (a starter that
 * double-forks) leaves in PATH.  It forwards the usual signals to that
 * process, escalates a stop to SIGKILL after --stop-timeout, reaps every
 * zombie, and exits with the main process's status (128+N for signal N).
 *
 * It is built static (the guest's libc may be anything, or absent) and
 * embedded into v2c through init.h, so it depends on nothing but libc.
 * Signals stay blocked and are taken with sigtimedwait(), so nothing runs
 * in a handler.  Each still gets a handler that does nothing: the kernel
 * drops a signal sent to a namespace's PID 1 from outside (podman stop)
 * when its disposition is the default, blocked or not.
 *
 * Exit statuses of its own: 1 when the service could not be started (the
 * starter failed, the pidfile never named a live process), 2 for usage
 * errors, 78 when a required file is missing, 126/127 from the child (or
 * from v2c-init itself with --exec) when COMMAND cannot be executed.
 */
#include "cleanup.h"
#include "clock.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* What a root shell would search; the image's ENV is not to be trusted to
 * set PATH at all. */
#define SEARCH_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define PIDFILE_POLL_MS 100
#define LIVENESS_POLL_MS 500
#define MAX_SECONDS 86400          /* a day bounds every option, and the ms arithmetic */
#define PIDFILE_MAX 32             /* a pid, a newline, some slack */
#define REQUIRE_MAX 1024           /* --require options taken */
#define EXIT_CONFIG 78             /* sysexits.h's EX_CONFIG: a required file is missing */

/* Never runs (the signals stay blocked); see the top of the file. */
static void ignore_signal(int sig)
{
        (void) sig;
}

static const int forwarded_signals[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH };

struct options {
        const char *pidfile;       /* NULL: COMMAND is the main process */
        int64_t wait_pidfile_ms;
        int64_t stop_timeout_ms;
        char **command;            /* borrowed from argv, NULL-terminated */
        const char *required[REQUIRE_MAX];   /* borrowed from argv */
        size_t n_required;
        const char *secret;        /* the Kubernetes Secret that holds them, or NULL */
        bool exec;                 /* exec COMMAND once the checks pass */
};

enum phase {
        PHASE_STARTING,            /* the starter runs; it is the one signalled */
        PHASE_WAITING,             /* the starter exited 0; polling the pidfile */
        PHASE_RUNNING,             /* the main process is known */
};

struct supervisor {
        const struct options *opt;
        enum phase phase;
        pid_t target;              /* who gets forwarded signals: starter, then main */
        int64_t pidfile_deadline;  /* PHASE_WAITING */
        int64_t next_poll;         /* next pidfile read, or next liveness check */
        int64_t kill_deadline;     /* -1, or when a stopped target gets SIGKILL */
        int stop_signal;           /* last stop signal sent to the target, 0 if none */
};

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        fputs("v2c-init: ", stderr);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
        va_end(ap);
}

static int parse_seconds(const char *s, int64_t *ms)
{
        if (*s < '0' || *s > '9')
                return -EINVAL;
        errno = 0;
        char *end;
        unsigned long v = strtoul(s, &end, 10);
        if (errno || *end || v > MAX_SECONDS)
                return -EINVAL;
        *ms = (int64_t) v * 1000;
        return 0;
}

/* Both "--opt VALUE" and "--opt=VALUE"; *value is borrowed from argv. */
static bool take_option(const char *name, char **argv, int argc, int *i, const char **value)
{
        size_t n = strlen(name);
        if (strncmp(argv[*i], name, n) != 0)
                return false;
        if (argv[*i][n] == '=') {
                *value = argv[*i] + n + 1;
                return true;
        }
        if (argv[*i][n] != '\0')
                return false;
        *value = *i + 1 < argc ? argv[++*i] : NULL;
        return true;
}

static void usage(FILE *f)
{
        fputs("usage: v2c-init [--require PATH]... [--secret NAME] [--exec] [--pidfile PATH] [--wait-pidfile SECONDS]\n"
              "                [--stop-timeout SECONDS] -- COMMAND [ARGS...]\n",
              f);
}

/* Returns 0, 1 when the caller should exit 0 (--help), or -EINVAL after
 * printing the one-line usage error. */
static int parse_options(int argc, char **argv, struct options *opt)
{
        *opt = (struct options) { .wait_pidfile_ms = 30 * 1000, .stop_timeout_ms = 10 * 1000 };
        int i = 1;
        for (; i < argc; i++) {
                const char *a = argv[i], *value = NULL;
                int64_t *seconds = NULL;
                if (strcmp(a, "--") == 0) {
                        i++;
                        break;
                }
                if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
                        usage(stdout);
                        return 1;
                }
                if (a[0] != '-')
                        break;
                if (strcmp(a, "--exec") == 0) {
                        opt->exec = true;
                        continue;
                }
                if (take_option("--require", argv, argc, &i, &value)) {
                        if (!value || value[0] != '/') {
                                say("--require needs an absolute PATH, got `%s`", value ? value : "");
                                return -EINVAL;
                        }
                        if (opt->n_required >= REQUIRE_MAX) {
                                say("more than %d --require options", REQUIRE_MAX);
                                return -EINVAL;
                        }
                        opt->required[opt->n_required++] = value;
                        continue;
                }
                if (take_option("--secret", argv, argc, &i, &value)) {
                        if (!value || !*value) {
                                say("--secret needs a NAME");
                                return -EINVAL;
                        }
                        opt->secret = value;
                        continue;
                }
                if (take_option("--pidfile", argv, argc, &i, &value)) {
                        if (!value || !*value) {
                                say("--pidfile needs a PATH");
                                return -EINVAL;
                        }
                        opt->pidfile = value;
                        continue;
                }
                if (take_option("--wait-pidfile", argv, argc, &i, &value))
                        seconds = &opt->wait_pidfile_ms;
                else if (take_option("--stop-timeout", argv, argc, &i, &value))
                        seconds = &opt->stop_timeout_ms;
                else {
                        say("unknown option `%s`", a);
                        return -EINVAL;
                }
                if (!value || parse_seconds(value, seconds) < 0) {
                        say("%s needs a number of seconds (0 to %d), got `%s`", a, MAX_SECONDS, value ? value : "");
                        return -EINVAL;
                }
        }
        if (i >= argc || !*argv[i]) {
                say("no COMMAND given (usage: v2c-init [OPTIONS] -- COMMAND [ARGS...])");
                return -EINVAL;
        }
        opt->command = argv + i;
        return 0;
}

/* In the child: execv, searching SEARCH_PATH when COMMAND has no slash,
 * as execvp would but without trusting the environment's PATH. */
static void __attribute__((noreturn)) exec_command(char **command)
{
        const char *name = command[0];
        int saved = ENOENT;
        if (strchr(name, '/')) {
                execv(name, command);
                saved = errno;
        } else {
                for (const char *dir = SEARCH_PATH; *dir;) {
                        size_t n = strcspn(dir, ":");
                        char path[PATH_MAX];
                        if ((size_t) snprintf(path, sizeof path, "%.*s/%s", (int) n, dir, name) < sizeof path) {
                                execv(path, command);
                                /* Like execvp: a later directory may still hold it. */
                                if (errno != ENOENT && errno != ENOTDIR)
                                        saved = errno;
                        }
                        dir += n + (dir[n] == ':');
                }
        }
        errno = saved;
        say("cannot execute `%s`: %m", name);
        _exit(saved == ENOENT ? 127 : 126);
}

static pid_t spawn(char **command, const sigset_t *original_mask)
{
        pid_t pid = fork();
        if (pid != 0)
                return pid;
        /* Nothing was ever installed, but an exec'd program must not inherit
         * an ignored SIGCHLD or the like from whoever started us. */
        for (size_t i = 0; i < V2C_ARRAY_SIZE(forwarded_signals); i++)
                signal(forwarded_signals[i], SIG_DFL);
        signal(SIGCHLD, SIG_DFL);
        sigprocmask(SIG_SETMASK, original_mask, NULL);
        exec_command(command);
}

static int exit_status(int wstatus)
{
        if (WIFEXITED(wstatus))
                return WEXITSTATUS(wstatus);
        if (WIFSIGNALED(wstatus))
                return 128 + WTERMSIG(wstatus);
        return 1;
}

static void describe_status(int wstatus, char *buf, size_t size)
{
        if (WIFSIGNALED(wstatus))
                snprintf(buf, size, "killed by signal %d", WTERMSIG(wstatus));
        else
                snprintf(buf, size, "exit status %d", exit_status(wstatus));
}

/* The pid in the pidfile if it names a live process other than us, else 0.
 * The file belongs to the service: read a bounded amount, trust nothing. */
static pid_t read_pidfile(const char *path)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return 0;
        char buf[PIDFILE_MAX + 1];
        size_t len = 0;
        for (;;) {
                ssize_t n = read(fd, buf + len, sizeof buf - 1 - len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return 0;
                if (n == 0)
                        break;
                len += (size_t) n;
                if (len == sizeof buf - 1)
                        return 0;       /* too long to be a pid */
        }
        buf[len] = '\0';
        const char *p = buf;
        while (*p == ' ' || *p == '\t')
                p++;
        if (*p < '1' || *p > '9')
                return 0;
        char *end;
        errno = 0;
        long v = strtol(p, &end, 10);
        if (errno || v <= 0 || v > INT_MAX)
                return 0;
        while (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r')
                end++;
        if (*end)
                return 0;
        pid_t pid = (pid_t) v;
        if (pid == getpid())
                return 0;
        if (kill(pid, 0) < 0 && errno != EPERM)
                return 0;
        return pid;
}

static void become_running(struct supervisor *s, pid_t main_pid)
{
        s->phase = PHASE_RUNNING;
        s->target = main_pid;
        s->next_poll = v2c_monotonic_ms() + LIVENESS_POLL_MS;
        s->kill_deadline = -1;
        s->stop_signal = 0;
}

static void forward(struct supervisor *s, int sig)
{
        if (s->phase == PHASE_WAITING) {
                /* Nobody to forward to yet.  A stop request should not be
                 * lost: look once more for the daemon, or stop here. */
                if (sig != SIGTERM && sig != SIGINT && sig != SIGQUIT)
                        return;
                pid_t pid = read_pidfile(s->opt->pidfile);
                if (!pid)
                        exit(128 + sig);
                become_running(s, pid);
        }
        if (kill(s->target, sig) < 0)
                return;
        if (sig == SIGTERM || sig == SIGINT || sig == SIGQUIT) {
                s->stop_signal = sig;
                if (s->kill_deadline < 0)
                        s->kill_deadline = v2c_monotonic_ms() + s->opt->stop_timeout_ms;
        }
}

/* Reaps every child there is.  Returns the exit status v2c-init should
 * leave with when the main process was among them, else -1. */
static int reap(struct supervisor *s)
{
        for (;;) {
                int wstatus;
                pid_t pid = waitpid(-1, &wstatus, WNOHANG);
                if (pid < 0 && errno == EINTR)
                        continue;
                if (pid <= 0)
                        return -1;
                if (pid != s->target)
                        continue;
                if (s->phase == PHASE_RUNNING)
                        return exit_status(wstatus);
                /* The starter.  Stopped by a signal we passed on, it was
                 * the service itself (a program started in the background
                 * by start-stop-daemon never detaches): its end is ours. */
                if (s->stop_signal)
                        return exit_status(wstatus);
                if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0) {
                        char how[64];
                        describe_status(wstatus, how, sizeof how);
                        say("starter `%s` failed (%s); no service to supervise", s->opt->command[0], how);
                        return 1;
                }
                s->phase = PHASE_WAITING;
                s->target = 0;
                s->kill_deadline = -1;
                s->pidfile_deadline = v2c_monotonic_ms() + s->opt->wait_pidfile_ms;
                s->next_poll = v2c_monotonic_ms();
        }
}

/* Timed work: pidfile polls, liveness of a main process that may not be
 * our child, and the SIGKILL escalation.  Returns an exit status or -1. */
static int tick(struct supervisor *s)
{
        int64_t now = v2c_monotonic_ms();
        if (s->phase == PHASE_WAITING && now >= s->next_poll) {
                pid_t pid = read_pidfile(s->opt->pidfile);
                if (pid) {
                        become_running(s, pid);
                        return -1;
                }
                if (now >= s->pidfile_deadline) {
                        say("`%s` did not name a live process within %lld s of the starter's exit", s->opt->pidfile,
                            (long long) (s->opt->wait_pidfile_ms / 1000));
                        return 1;
                }
                s->next_poll = now + PIDFILE_POLL_MS;
        }
        if (s->phase == PHASE_RUNNING && s->opt->pidfile && now >= s->next_poll) {
                /* Our children stay visible as zombies until reap() collects
                 * them with their status; only a process that is not our
                 * child (no subreaper, or a pidfile naming a stranger)
                 * vanishes from here, and its status is lost. */
                if (kill(s->target, 0) < 0 && errno == ESRCH) {
                        if (s->stop_signal)
                                return 128 + s->stop_signal;
                        say("main process %d exited; its status is unknown (not our child)", (int) s->target);
                        return 1;
                }
                s->next_poll = now + LIVENESS_POLL_MS;
        }
        if (s->kill_deadline >= 0 && now >= s->kill_deadline && s->target > 0) {
                kill(s->target, SIGKILL);
                s->stop_signal = SIGKILL;
                s->kill_deadline = -1;
        }
        return -1;
}

/* How long sigtimedwait may sleep: until the next timed work, or for ever. */
static bool next_timeout(const struct supervisor *s, struct timespec *ts)
{
        int64_t deadline = -1;
        if (s->phase == PHASE_WAITING || (s->phase == PHASE_RUNNING && s->opt->pidfile))
                deadline = s->next_poll;
        if (s->kill_deadline >= 0 && (deadline < 0 || s->kill_deadline < deadline))
                deadline = s->kill_deadline;
        if (deadline < 0)
                return false;
        int64_t left = deadline - v2c_monotonic_ms();
        if (left < 0)
                left = 0;
        ts->tv_sec = (time_t) (left / 1000);
        ts->tv_nsec = (long) (left % 1000) * 1000000;
        return true;
}

static int supervise(struct supervisor *s, const sigset_t *signals)
{
        for (;;) {
                int status = reap(s);
                if (status < 0)
                        status = tick(s);
                if (status >= 0)
                        return status;

                struct timespec ts;
                int sig = next_timeout(s, &ts) ? sigtimedwait(signals, NULL, &ts) : sigwaitinfo(signals, NULL);
                if (sig < 0 || sig == SIGCHLD)
                        continue;       /* timeout, EINTR (SIGCONT), or a child to reap */
                forward(s, sig);
        }
}

/* Every missing required file, one line each; false when any is.  Only a
 * file that is not there counts: one the image's user may not stat
 * (EACCES) is there, and the service says so itself if it cannot read it. */
static bool required_present(const struct options *opt)
{
        bool ok = true;
        for (size_t i = 0; i < opt->n_required; i++) {
                struct stat st;
                if (stat(opt->required[i], &st) == 0 || (errno != ENOENT && errno != ENOTDIR))
                        continue;
                ok = false;
                if (opt->secret)
                        say("missing secret file %s: mount it read-only (podman run -v FILE:%s:ro, or the "
                            "Kubernetes Secret `%s`)", opt->required[i], opt->required[i], opt->secret);
                else
                        say("missing secret file %s: mount it read-only (podman run -v FILE:%s:ro)",
                            opt->required[i], opt->required[i]);
        }
        return ok;
}

int main(int argc, char **argv)
{
        struct options opt;
        int r = parse_options(argc, argv, &opt);
        if (r != 0)
                return r > 0 ? 0 : 2;
        if (!required_present(&opt))
                return EXIT_CONFIG;
        if (opt.exec && opt.pidfile == NULL)
                exec_command(opt.command);

        /* Not PID 1 (tests, `docker run --init` elsewhere): the daemon a
         * starter leaves behind must still be reparented to us. */
        if (getpid() != 1 && prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
                say("warning: cannot become a child subreaper: %m");

        sigset_t signals, original_mask;
        sigemptyset(&signals);
        for (size_t i = 0; i < V2C_ARRAY_SIZE(forwarded_signals); i++)
                sigaddset(&signals, forwarded_signals[i]);
        sigaddset(&signals, SIGCHLD);
        if (sigprocmask(SIG_BLOCK, &signals, &original_mask) < 0) {
                say("blocking signals: %m");
                return 1;
        }
        struct sigaction sa = { .sa_handler = ignore_signal };
        sigemptyset(&sa.sa_mask);
        for (size_t i = 0; i < V2C_ARRAY_SIZE(forwarded_signals); i++)
                sigaction(forwarded_signals[i], &sa, NULL);

        pid_t child = spawn(opt.command, &original_mask);
        if (child < 0) {
                say("fork: %m");
                return 1;
        }
        struct supervisor s = {
                .opt = &opt,
                .phase = opt.pidfile ? PHASE_STARTING : PHASE_RUNNING,
                .target = child,
                .kill_deadline = -1,
        };
        return supervise(&s, &signals);
}
