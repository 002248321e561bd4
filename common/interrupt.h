/* SIGINT and SIGTERM turned into a flag that long operations poll, so
 * that they stop at the next safe point and remove what they had half
 * written (a DIR.v2c-pull-* directory) instead of dying in the middle.
 * Only the CLI installs the handlers; library code only asks
 * v2c_interrupted(), which is 0 in a process that never called
 * v2c_interrupt_catch(). */
#ifndef V2C_INTERRUPT_H
#define V2C_INTERRUPT_H

/* Catches SIGINT and SIGTERM (without SA_RESTART, so blocking calls
 * return EINTR).  A signal ignored when the program started (a background
 * job of a non-interactive shell ignores SIGINT) stays ignored. */
void v2c_interrupt_catch(void);
/* The signal caught (SIGINT or SIGTERM), or 0. */
int v2c_interrupted(void);
/* When a signal was caught: back to its default action and raised again,
 * so that the caller's parent sees the process killed by it.  Returns
 * only when none was caught. */
void v2c_interrupt_reraise(void);

#endif
