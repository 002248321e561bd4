/* Temporary trees removed on SIGINT, SIGTERM, SIGHUP; see signal-cleanup.h.
 *
 * The handler may run at any point of the registering thread, even in the
 * middle of add or forget: a slot holds either NULL or a complete string,
 * swapped atomically, and a string is freed only after its slot is empty.
 */
#include "signal-cleanup.h"
#include "progress.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MAX_PATHS 32
/* Deeper than any tree v2c makes (layout/blobs/sha256/blob, private
 * temporary directories of libguestfs); bounds the handler's stack. */
#define MAX_DEPTH 12

static const int signals[] = { SIGINT, SIGTERM, SIGHUP };

static char *_Atomic paths[MAX_PATHS];
static atomic_bool installed;
static _Atomic pid_t owner;        /* the thread that removes */
static sigset_t held_old;

/* Removes NAME under directory DFD, a tree, never following a symlink.
 * Async-signal-safe: nothing but system calls and the stack. */
static void remove_at(int dfd, const char *name, int depth)
{
        if (unlinkat(dfd, name, 0) == 0 || errno == ENOENT)
                return;
        if ((errno != EISDIR && errno != EPERM) || depth >= MAX_DEPTH)
                return;
        int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return;
        /* Entries removed while a directory is read may hide others from
         * that read: a few passes, until rmdir succeeds. */
        for (int pass = 0; pass < 4; pass++) {
                if (pass && unlinkat(dfd, name, AT_REMOVEDIR) == 0)
                        break;
                lseek(fd, 0, SEEK_SET);
                _Alignas(struct dirent64) char buf[2048];
                ssize_t n;
                while ((n = getdents64(fd, buf, sizeof buf)) > 0)
                        for (ssize_t off = 0; off < n;) {
                                const struct dirent64 *de = (const struct dirent64 *) (buf + off);
                                off += de->d_reclen;
                                if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
                                        remove_at(fd, de->d_name, depth + 1);
                        }
        }
        close(fd);
        unlinkat(dfd, name, AT_REMOVEDIR);
}

static void on_signal(int sig)
{
        int saved = errno;
        pid_t self = (pid_t) syscall(SYS_gettid);
        if (self != owner) {
                /* The owner writes the trees: it removes them, and dies. */
                syscall(SYS_tgkill, getpid(), owner, sig);
                errno = saved;
                return;
        }
        v2c_progress_erase_on_signal();
        for (size_t i = 0; i < MAX_PATHS; i++) {
                char *p = atomic_load(&paths[i]);
                if (p)
                        remove_at(AT_FDCWD, p, 0);
        }
        /* Again, with the default action: it arrives when this returns
         * (the handler blocks it until then) and ends the process. */
        struct sigaction dfl = { .sa_handler = SIG_DFL };
        sigemptyset(&dfl.sa_mask);
        sigaction(sig, &dfl, NULL);
        raise(sig);
        errno = saved;
}

void v2c_signal_cleanup_install(void)
{
        if (atomic_exchange(&installed, true))
                return;
        owner = (pid_t) syscall(SYS_gettid);
        struct sigaction sa = { .sa_handler = on_signal };
        sigemptyset(&sa.sa_mask);
        for (size_t i = 0; i < sizeof signals / sizeof signals[0]; i++)
                sigaddset(&sa.sa_mask, signals[i]);
        for (size_t i = 0; i < sizeof signals / sizeof signals[0]; i++) {
                struct sigaction old;
                if (sigaction(signals[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN)
                        continue;
                sigaction(signals[i], &sa, NULL);
        }
}

void v2c_signal_cleanup_forked(void)
{
        if (!atomic_load(&installed))
                return;
        struct sigaction dfl = { .sa_handler = SIG_DFL };
        sigemptyset(&dfl.sa_mask);
        for (size_t i = 0; i < sizeof signals / sizeof signals[0]; i++) {
                struct sigaction old;
                if (sigaction(signals[i], NULL, &old) == 0 && old.sa_handler == on_signal)
                        sigaction(signals[i], &dfl, NULL);
        }
}

int v2c_signal_cleanup_add(const char *path)
{
        v2c_signal_cleanup_install();
        char *copy = strdup(path);
        if (copy == NULL)
                return -ENOMEM;
        for (size_t i = 0; i < MAX_PATHS; i++) {
                char *expected = NULL;
                if (atomic_compare_exchange_strong(&paths[i], &expected, copy))
                        return 0;
        }
        free(copy);
        return -ENOSPC;
}

void v2c_signal_cleanup_forget(const char *path)
{
        for (size_t i = 0; i < MAX_PATHS; i++) {
                char *p = atomic_load(&paths[i]);
                if (p && strcmp(p, path) == 0 && atomic_compare_exchange_strong(&paths[i], &p, NULL)) {
                        free(p);
                        return;
                }
        }
}

char *v2c_signal_cleanup_mkdtemp(char *template)
{
        v2c_signal_cleanup_hold();
        char *r = mkdtemp(template);
        int e = errno;
        if (r && v2c_signal_cleanup_add(template) < 0) {
                rmdir(template);
                r = NULL;
                e = ENOMEM;
        }
        v2c_signal_cleanup_release();
        errno = e;
        return r;
}

void v2c_signal_cleanup_hold(void)
{
        v2c_signal_cleanup_install();
        sigset_t s;
        sigemptyset(&s);
        for (size_t i = 0; i < sizeof signals / sizeof signals[0]; i++)
                sigaddset(&s, signals[i]);
        pthread_sigmask(SIG_BLOCK, &s, &held_old);
}

void v2c_signal_cleanup_release(void)
{
        pthread_sigmask(SIG_SETMASK, &held_old, NULL);
}
