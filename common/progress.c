/* Progress on a terminal; see progress.h.
 *
 * The region is the text drawn last, LINES lines high, the cursor left at
 * the end of its last line.  Erasing it is "\r", "\033[<LINES-1>A" (up to
 * its first line) and "\033[J" (clear to the end of the screen); that
 * sequence is kept ready in ERASE for the signal handler.  Lines are cut
 * to the terminal's width, so none wraps and the count stays true. */
#include "progress.h"
#include "clock.h"
#include "signal-cleanup.h"
#include "text.h"
#include "log.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define THROTTLE_MS 100

static enum v2c_progress_mode mode = V2C_PROGRESS_AUTO;
static int decided = -1;                 /* -1: not yet; 0 off; 1 on */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int64_t last_draw;
static unsigned lines;                   /* the region's height, 0: none */
static char erase[32];                   /* the sequence erasing it */
static atomic_size_t erase_len;

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

static unsigned width(void)
{
        struct winsize ws;
        if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20)
                return ws.ws_col;
        return 80;
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

static void erase_locked(void)
{
        if (lines > 0)
                fputs(erase, stderr);
        set_region(0);
}

static void draw_locked(const char *text)
{
        char *shown = v2c_text_printable(text, true);
        if (shown == NULL)
                return;
        unsigned w = width() - 1, n = 0;
        flockfile(stderr);
        erase_locked();
        for (const char *p = shown; *p || n == 0;) {
                size_t len = strcspn(p, "\n");
                if (n > 0)
                        fputc('\n', stderr);
                fwrite(p, 1, len < w ? len : w, stderr);
                n++;
                p += len;
                if (*p == '\n')
                        p++;
                if (*p == '\0')
                        break;
        }
        fflush(stderr);
        funlockfile(stderr);
        set_region(n);
        free(shown);
}

void v2c_progress_show(bool force, const char *fmt, ...)
{
        if (!v2c_progress_enabled())
                return;
        int64_t now = v2c_monotonic_ms();
        pthread_mutex_lock(&lock);
        if (force || lines == 0 || now - last_draw >= THROTTLE_MS) {
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
}

void v2c_progress_clear(void)
{
        if (decided <= 0)
                return;
        pthread_mutex_lock(&lock);
        flockfile(stderr);
        erase_locked();
        fflush(stderr);
        funlockfile(stderr);
        pthread_mutex_unlock(&lock);
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
        pthread_mutex_lock(&lock);
        flockfile(stderr);
        erase_locked();
        if (shown)
                fprintf(stderr, "%s\n", shown);
        fflush(stderr);
        funlockfile(stderr);
        pthread_mutex_unlock(&lock);
        free(shown);
        free(text);
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
