/* Progress on a terminal: one status region at the bottom of stderr,
 * redrawn in place (a line or a few), for long work (the appliance launch,
 * inspection phases, layers, blobs, a rollout's live view).
 *
 * Whether anything is drawn is decided once, from --progress
 * (auto|always|never; auto by default): auto draws only when stderr is a
 * terminal whose TERM is not "dumb" and -q was not given, so logs, pipes
 * and CI stay free of escape codes.  Messages (v2c_log) erase the region
 * before they print; the next update draws it again below them.  A signal
 * that ends the process (SIGINT, SIGTERM, SIGHUP: see signal-cleanup.h)
 * erases it too, so Ctrl-C leaves the terminal clean.
 *
 * Every function may be called from any thread; all of them do nothing
 * when progress is off. */
#ifndef V2C_PROGRESS_H
#define V2C_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>

enum v2c_progress_mode {
        V2C_PROGRESS_AUTO,
        V2C_PROGRESS_ALWAYS,
        V2C_PROGRESS_NEVER,
};

/* "auto", "always" or "never" into *OUT: 0, or -EINVAL. */
int v2c_progress_parse_mode(const char *s, enum v2c_progress_mode *out);
/* Set by the CLI before any drawing (the default is auto). */
void v2c_progress_set_mode(enum v2c_progress_mode mode);
/* True when progress is drawn (decided at the first call after the mode
 * was set, from the mode, the log level and stderr). */
bool v2c_progress_enabled(void);

/* Replaces the region with TEXT (printf-style; lines separated by '\n',
 * no trailing newline needed).  Each line is cut to the terminal's width
 * and control bytes are escaped; lines past the terminal's height less
 * one are left out (a taller region could not be erased).  Redraws at most every 100 ms: a call
 * within that time of the last drawing is dropped, unless FORCE. */
void v2c_progress_show(bool force, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Shows TEXT (printf-style) followed by the seconds since this call,
 * redrawn once a second by a background thread until the next
 * v2c_progress_show, _tick, _clear or _done: for work that blocks in one
 * call (the appliance launch, a transfer out of it). */
void v2c_progress_tick(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Erases the region (the cursor returns where it began). */
void v2c_progress_clear(void);
/* Erases the region and prints TEXT as a permanent line (a summary). */
void v2c_progress_done(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Writes LINE (a whole message, its newline included) to stderr, the
 * region erased first in the same step, so that no drawing (the ticker's)
 * can come in between; whether or not progress is drawn.  The next update
 * draws the region again below it.  For v2c_log. */
void v2c_progress_message(const char *line);

/* "12.3 MB" style into BUF (SIZE >= 16): B, kB, MB, GB (powers of 1000). */
const char *v2c_progress_bytes(uint64_t n, char *buf, unsigned size);

/* A live view on stdout, for a command whose output is the view itself
 * (`v2c rollout status --watch`): drawn where the person who ran it reads,
 * apart from the messages on stderr.  True when frames are redrawn in
 * place: --progress always, or auto with stdout a terminal whose TERM is
 * not "dumb" (-q does not matter: the view is the command's output, not a
 * message). */
bool v2c_progress_frame_live(void);
/* The lines a region on stderr (FRAME false) or a frame on stdout (FRAME
 * true) may take without scrolling the screen: the terminal's height less
 * one, 23 when it is not a terminal. */
unsigned v2c_progress_max_lines(bool frame);
/* Draws TEXT (lines separated by '\n') on stdout.  Live: it replaces the
 * frame drawn last, each line cut to the terminal's width, at most its
 * height less one line, control bytes escaped, in one write with the
 * signals held; the cursor is left at the start of the line below it, so
 * the end, or a Ctrl-C at any moment, leaves the last frame whole and the
 * shell's prompt below it.  Not live: TEXT is printed after what came
 * before, control bytes escaped and no escape sequence, then an empty
 * line.  0, or a negative errno when stdout cannot be written. */
int v2c_progress_frame(const char *text);

/* "4.2 s", "12 s", "3 min 05 s", "2 h 01 min" into BUF (SIZE >= 16). */
const char *v2c_progress_duration(int64_t ms, char *buf, unsigned size);
/* BYTES over MS as "12 MB/s" into BUF (SIZE >= 24). */
const char *v2c_progress_rate(uint64_t bytes, int64_t ms, char *buf, unsigned size);

/* For signal-cleanup's handler only: stops all drawing, waits (200 ms at
 * most) for one under way in another thread, and erases the region with
 * async-signal-safe calls (nanosleep, write(2) of a prepared sequence). */
void v2c_progress_erase_on_signal(void);

#endif
