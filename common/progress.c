/* Progress on a terminal; see progress.h.
 *
 * The region is the text drawn last, LINES lines high, the cursor left at
 * the end of its last line.  Erasing it is "\r", "\033[<LINES-1>A" (up to
 * its first line) and "\033[J" (clear to the end of the screen); that
 * sequence is kept ready in ERASE for the signal handler.  Lines are cut
 * to the terminal's width, so none wraps and the count stays true, and
 * the region to its height less one row.  Each drawing (the old region
 * erased, the new one written) is one write, so a terminal never shows
 * half of one.
 *
 * Ticking (v2c_progress_tick): work that blocks in one call (the
 * libguestfs appliance launch, 20-200 s under TCG; a tar-out of the
 * guest's files) cannot redraw anything itself.  libguestfs' own progress
 * events do not help there: GUESTFS_EVENT_PROGRESS comes only from daemon
 * calls that know their size (not the launch, not tar-out), and the
 * launch's log events only with verbose on, in bursts, with nothing for
 * the seconds qemu spends booting.  So one ticker thread, started on
 * first use and asleep when nothing ticks, redraws the ticking text with
 * the seconds since it began, once a second.  It blocks every signal.
 *
 * A signal ending the process (signal-cleanup's handler, in the thread
 * that installed it) must leave no region behind, even when another
 * thread (the ticker, a worker) is drawing at that moment: the handler
 * sets STOPPED, waits (bounded) for DRAWING, the count of threads inside
 * a drawing, to reach zero, then writes ERASE; a drawing that starts
 * after STOPPED writes nothing.  The handler's own thread blocks those
 * signals while it draws, so the handler never interrupts a drawing of
 * its own thread. */
#include "progress.h"
#include "clock.h"
#include "signal-cleanup.h"
#include "text.h"
#include "log.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#define THROTTLE_MS 100
#define TICK_MS 1000

static enum v2c_progress_mode mode = V2C_PROGRESS_AUTO;
static int decided = -1;                 /* -1: not yet; 0 off; 1 on */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int64_t last_draw;
static unsigned lines;                   /* the region's height, 0: none */
static char erase[32];                   /* the sequence erasing it */
static atomic_size_t erase_len;
static atomic_int drawing;               /* threads inside a drawing */
static atomic_bool stopped;              /* a signal is ending the process */

/* The ticker (under LOCK): TICK_TEXT is what ticks (NULL: nothing), since
 * TICK_SINCE (monotonic ms). */
static pthread_cond_t tick_cond;
static bool ticker_started;
static char *tick_text;
static int64_t tick_since;

int v2c_progress_parse_mode(const char *s, enum v2c_progress_mode *out)
{
        static const char *const names[] = { "auto", "always", "never" };
        for (int i = 0; i < 3; i++)
                if (strcmp(s, names[i]) == 0) {
                        *out = (enum v2c_progress_mode) i;
                        return 0;
                }
        return -EINVAL;
}

void v2c_progress_set_mode(enum v2c_progress_mode m)
{
        mode = m;
        decided = -1;
}

bool v2c_progress_enabled(void)
{
        if (decided < 0) {
                const char *term = getenv("TERM");
                bool on = mode == V2C_PROGRESS_ALWAYS ||
                          (mode == V2C_PROGRESS_AUTO && v2c_log_get_level() >= V2C_LOG_WARNING &&
                           isatty(STDERR_FILENO) && term && *term && strcmp(term, "dumb") != 0);
                decided = on;
                if (on)
                        v2c_signal_cleanup_install();
        }
        return decided > 0;
}

/* The terminal's columns and rows (80x24 when stderr is none). */
static void term_size(unsigned *cols, unsigned *rows)
{
        struct winsize ws;
        bool ok = ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0;
        *cols = ok && ws.ws_col >= 20 ? ws.ws_col : 80;
        *rows = ok && ws.ws_row >= 2 ? ws.ws_row : 24;
}

/* Sets ERASE for a region of N lines (lock held). */
static void set_region(unsigned n)
{
        lines = n;
        atomic_store(&erase_len, 0);
        size_t len = 0;
        if (n > 1)
                len = (size_t) snprintf(erase, sizeof erase, "\r\033[%uA\033[J", n - 1);
        else if (n == 1)
                len = (size_t) snprintf(erase, sizeof erase, "\r\033[J");
        atomic_store(&erase_len, len);
}

/* The signals that end the process, blocked in this thread while it
 * draws (restored from *OLD after). */
static void block_signals(sigset_t *old)
{
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGHUP);
        pthread_sigmask(SIG_BLOCK, &set, old);
}

/* Writes the old region's erasure, then TEXT (may be NULL: nothing
 * more), as one write; N is the new region's height (lock held). */
static void emit_locked(const char *text, size_t len, unsigned n)
{
        atomic_fetch_add(&drawing, 1);
        if (!atomic_load(&stopped)) {
                size_t el = lines > 0 ? atomic_load(&erase_len) : 0;
                char *buf = malloc(el + len + 1);
                if (buf) {
                        memcpy(buf, erase, el);
                        if (len)
                                memcpy(buf + el, text, len);
                        flockfile(stderr);
                        fwrite(buf, 1, el + len, stderr);
                        fflush(stderr);
                        funlockfile(stderr);
                        free(buf);
                        set_region(n);
                }
        }
        atomic_fetch_sub(&drawing, 1);
}

static void erase_locked(void)
{
        if (lines > 0)
                emit_locked(NULL, 0, 0);
}

/* Replaces the region with TEXT, each line cut to the terminal's width
 * (lock held). */
static void draw_locked(const char *text)
{
        char *shown = v2c_text_printable(text, true);
        if (shown == NULL)
                return;
        /* A region taller than the screen could not be erased (the
         * cursor stops at the top): one row is left for the line above. */
        unsigned cols, rows;
        term_size(&cols, &rows);
        size_t w = cols - 1, n = 0, len = 0;
        char *out = malloc(strlen(shown) + 1);
        if (out == NULL) {
                free(shown);
                return;
        }
        for (const char *p = shown;;) {
                size_t l = strcspn(p, "\n"), cut = l < w ? l : w;
                /* Never half a UTF-8 character. */
                while (cut < l && cut > 0 && ((unsigned char) p[cut] & 0xc0) == 0x80)
                        cut--;
                if (n > 0)
                        out[len++] = '\n';
                memcpy(out + len, p, cut);
                len += cut;
                n++;
                p += l;
                if (*p == '\n')
                        p++;
                if (*p == '\0' || n == rows - 1)
                        break;
        }
        emit_locked(out, len, (unsigned) n);
        free(out);
        free(shown);
}

/* "12 s", "3 min 05 s", "2 h 01 min" into BUF. */
const char *v2c_progress_duration(int64_t ms, char *buf, unsigned size)
{
        if (ms < 0)
                ms = 0;
        uint64_t s = (uint64_t) ms / 1000;
        if (ms < 10000)
                snprintf(buf, size, "%.1f s", (double) ms / 1000);
        else if (s < 60)
                snprintf(buf, size, "%u s", (unsigned) s);
        else if (s < 3600)
                snprintf(buf, size, "%u min %02u s", (unsigned) (s / 60), (unsigned) (s % 60));
        else
                snprintf(buf, size, "%u h %02u min", (unsigned) (s / 3600), (unsigned) (s / 60 % 60));
        return buf;
}

const char *v2c_progress_rate(uint64_t bytes, int64_t ms, char *buf, unsigned size)
{
        char b[16];
        if (ms <= 0) {
                snprintf(buf, size, "-- B/s");
                return buf;
        }
        uint64_t per_s = (uint64_t) ((double) bytes * 1000.0 / (double) ms);
        snprintf(buf, size, "%s/s", v2c_progress_bytes(per_s, b, sizeof b));
        return buf;
}

/* The ticking text with its seconds (lock held). */
static void draw_tick_locked(void)
{
        char *text = NULL;
        unsigned s = (unsigned) ((v2c_monotonic_ms() - tick_since) / 1000);
        if (asprintf(&text, "%s  %u s", tick_text, s) >= 0) {
                draw_locked(text);
                last_draw = v2c_monotonic_ms();
                free(text);
        }
}

static void *ticker_run(void *arg)
{
        (void) arg;
        pthread_mutex_lock(&lock);
        for (;;) {
                while (tick_text == NULL)
                        pthread_cond_wait(&tick_cond, &lock);
                /* The next whole second since the text began. */
                int64_t now = v2c_monotonic_ms();
                int64_t next = tick_since + ((now - tick_since) / TICK_MS + 1) * TICK_MS;
                struct timespec at = { .tv_sec = next / 1000, .tv_nsec = (next % 1000) * 1000000L };
                if (pthread_cond_timedwait(&tick_cond, &lock, &at) == ETIMEDOUT && tick_text)
                        draw_tick_locked();
        }
        return NULL;
}

/* Starts the ticker on first use (lock held); false when it cannot run. */
static bool ticker_start_locked(void)
{
        if (ticker_started)
                return true;
        pthread_condattr_t attr;
        if (pthread_condattr_init(&attr) != 0)
                return false;
        bool ok = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) == 0 && pthread_cond_init(&tick_cond, &attr) == 0;
        pthread_condattr_destroy(&attr);
        if (!ok)
                return false;
        /* Created with every signal blocked, which it inherits. */
        sigset_t all, old;
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &old);
        pthread_t th;
        ok = pthread_create(&th, NULL, ticker_run, NULL) == 0;
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        if (!ok) {
                pthread_cond_destroy(&tick_cond);
                return false;
        }
        pthread_detach(th);
        ticker_started = true;
        return true;
}

static void stop_tick_locked(void)
{
        free(tick_text);
        tick_text = NULL;
}

void v2c_progress_show(bool force, const char *fmt, ...)
{
        if (!v2c_progress_enabled())
                return;
        int64_t now = v2c_monotonic_ms();
        sigset_t old;
        block_signals(&old);
        pthread_mutex_lock(&lock);
        if (force || lines == 0 || tick_text || now - last_draw >= THROTTLE_MS) {
                stop_tick_locked();
                va_list ap;
                va_start(ap, fmt);
                char *text = NULL;
                if (vasprintf(&text, fmt, ap) >= 0) {
                        draw_locked(text);
                        last_draw = now;
                        free(text);
                }
                va_end(ap);
        }
        pthread_mutex_unlock(&lock);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
}

void v2c_progress_tick(const char *fmt, ...)
{
        if (!v2c_progress_enabled())
                return;
        va_list ap;
        va_start(ap, fmt);
        char *text = NULL;
        int n = vasprintf(&text, fmt, ap);
        va_end(ap);
        if (n < 0)
                return;
        sigset_t old;
        block_signals(&old);
        pthread_mutex_lock(&lock);
        stop_tick_locked();
        tick_text = text;
        tick_since = v2c_monotonic_ms();
        draw_tick_locked();
        if (ticker_start_locked())
                pthread_cond_signal(&tick_cond);
        pthread_mutex_unlock(&lock);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
}

void v2c_progress_clear(void)
{
        if (decided <= 0)
                return;
        sigset_t old;
        block_signals(&old);
        pthread_mutex_lock(&lock);
        stop_tick_locked();
        erase_locked();
        pthread_mutex_unlock(&lock);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
}

void v2c_progress_done(const char *fmt, ...)
{
        if (!v2c_progress_enabled())
                return;
        va_list ap;
        va_start(ap, fmt);
        char *text = NULL;
        int n = vasprintf(&text, fmt, ap);
        va_end(ap);
        char *shown = n >= 0 ? v2c_text_printable(text, false) : NULL;
        sigset_t old;
        block_signals(&old);
        pthread_mutex_lock(&lock);
        stop_tick_locked();
        erase_locked();
        if (shown) {
                /* A permanent line: the region is empty after it. */
                size_t len = strlen(shown);
                shown[len] = '\n';
                emit_locked(shown, len + 1, 0);
                shown[len] = '\0';
        }
        pthread_mutex_unlock(&lock);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        free(shown);
        free(text);
}

void v2c_progress_message(const char *line)
{
        if (decided <= 0) {
                fputs(line, stderr);
                return;
        }
        sigset_t old;
        block_signals(&old);
        pthread_mutex_lock(&lock);
        erase_locked();
        /* A ticking text comes back at its next second, below. */
        emit_locked(line, strlen(line), 0);
        pthread_mutex_unlock(&lock);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
}

const char *v2c_progress_bytes(uint64_t n, char *buf, unsigned size)
{
        static const char *const unit[] = { "kB", "MB", "GB", "TB" };
        if (n < 1000) {
                snprintf(buf, size, "%u B", (unsigned) n);
                return buf;
        }
        double v = (double) n / 1000;
        int u = 0;
        while (v >= 1000 && u < 3) {
                v /= 1000;
                u++;
        }
        snprintf(buf, size, v < 10 ? "%.1f %s" : "%.0f %s", v, unit[u]);
        return buf;
}

void v2c_progress_erase_on_signal(void)
{
        atomic_store(&stopped, true);
        /* A drawing in another thread ends within microseconds; bounded
         * all the same (200 ms), as a handler must not hang. */
        for (int i = 0; i < 200 && atomic_load(&drawing) > 0; i++) {
                struct timespec ms = { 0, 1000000L };
                nanosleep(&ms, NULL);
        }
        size_t len = atomic_load(&erase_len);
        if (len > 0 && len < sizeof erase) {
                ssize_t r = write(STDERR_FILENO, erase, len);
                (void) r;
        }
}

/* ---- a frame on stdout (see progress.h) ---- */

static unsigned frame_height;          /* lines of the frame drawn last */

bool v2c_progress_frame_live(void)
{
        const char *term = getenv("TERM");
        return mode == V2C_PROGRESS_ALWAYS ||
               (mode == V2C_PROGRESS_AUTO && isatty(STDOUT_FILENO) && term && *term && strcmp(term, "dumb") != 0);
}

unsigned v2c_progress_max_lines(bool frame)
{
        struct winsize ws;
        if (ioctl(frame ? STDOUT_FILENO : STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row >= 2)
                return ws.ws_row - 1u;
        return 23;
}

static int write_all(int fd, const char *p, size_t len)
{
        while (len > 0) {
                ssize_t n = write(fd, p, len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return n < 0 ? -errno : -EIO;
                p += n;
                len -= (size_t) n;
        }
        return 0;
}

int v2c_progress_frame(const char *text)
{
        char *shown = v2c_text_printable(text, true);
        if (shown == NULL)
                return -ENOMEM;
        bool live = v2c_progress_frame_live();
        if (!live) {
                int rc = printf("%s\n\n", shown) < 0 || fflush(stdout) != 0 ? -EIO : 0;
                free(shown);
                return rc;
        }
        struct winsize ws;
        unsigned cols = ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20 ? ws.ws_col : 80;
        unsigned rows = v2c_progress_max_lines(true);
        /* Up to the frame's first line, erase to the end of the screen,
         * then each line, cut short of the last column (a line that
         * fills it wraps on some terminals), with its newline. */
        size_t cap = strlen(shown) + (size_t) rows + 32;
        char *out = malloc(cap);
        if (out == NULL) {
                free(shown);
                return -ENOMEM;
        }
        size_t len = 0;
        if (frame_height > 0)
                len += (size_t) snprintf(out, cap, "\033[%uA", frame_height);
        len += (size_t) snprintf(out + len, cap - len, "\033[J");
        unsigned n = 0;
        for (const char *p = shown; n < rows;) {
                size_t l = strcspn(p, "\n"), keep = 0, chars = 0;
                while (keep < l && chars < cols - 1) {
                        size_t k = v2c_utf8_seq(p + keep);
                        keep += k ? k : 1;
                        chars++;
                }
                memcpy(out + len, p, keep);
                len += keep;
                out[len++] = '\n';
                n++;
                p += l;
                if (*p == '\0')
                        break;
                p++;
        }
        free(shown);
        fflush(stdout);
        v2c_signal_cleanup_hold();
        int rc = write_all(STDOUT_FILENO, out, len);
        frame_height = rc < 0 ? 0 : n;
        v2c_signal_cleanup_release();
        free(out);
        return rc;
}
