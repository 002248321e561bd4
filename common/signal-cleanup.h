/* Temporary trees removed when SIGINT, SIGTERM or SIGHUP ends the process.
 *
 * Outputs are built aside (convert's DIR.v2c-tmp-*, pull's DIR.v2c-pull-*,
 * private temporary directories) and renamed into place; a run stopped by
 * a signal must not leave them behind.  This is the v2c program's only
 * signal handling (nothing polls for a signal; v2c-init, inside images,
 * has its own).  Paths registered here are removed by the signal handler,
 * with async-signal-safe calls only (openat, getdents64, unlinkat: no malloc,
 * no stdio), and the signal is then raised again with its default action,
 * so the process ends as the signal meant (exit status 128+N to a shell).
 * A signal that reaches another thread (zstd's workers) is passed on to
 * the thread that registered first, which does the removal; the trees are
 * only written by that thread.  A signal the process ignores at the first
 * registration (nohup's SIGHUP) stays ignored.
 *
 * Registered paths are kept as given: relative ones are relative to the
 * working directory, which v2c never changes. */
#ifndef V2C_SIGNAL_CLEANUP_H
#define V2C_SIGNAL_CLEANUP_H

/* Installs the handlers (at the first call; later ones do nothing), in the
 * thread that will do the removal: the first to register or hold installs
 * them; progress.c installs them when it will draw, so that a signal also
 * erases its region (v2c_progress_erase_on_signal). */
void v2c_signal_cleanup_install(void);

/* mkdtemp(TEMPLATE), registered for removal in the same step (no signal
 * can come in between).  Returns TEMPLATE, or NULL with errno set. */
char *v2c_signal_cleanup_mkdtemp(char *template);
/* Registers PATH (copied) for removal on a signal.  0, or -ENOMEM, or
 * -ENOSPC when too many paths are registered. */
int v2c_signal_cleanup_add(const char *path);
/* Unregisters PATH (no longer ours to remove: renamed into place, or
 * removed); a path never registered is fine. */
void v2c_signal_cleanup_forget(const char *path);

/* In a child just forked (inspect's workers): the default actions back.
 * The inherited handler would pass the signal to the parent's thread,
 * which is not in this process, and so swallow it; and the registered
 * trees are the parent's to remove, not the child's. */
void v2c_signal_cleanup_forked(void);

/* Holds back SIGINT, SIGTERM and SIGHUP in the calling thread, for steps
 * that must not be cut in two (moving an old layout aside and the new one
 * in); _release lets a held one arrive.  Not nested. */
void v2c_signal_cleanup_hold(void);
void v2c_signal_cleanup_release(void);

#endif
