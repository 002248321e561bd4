/* Milliseconds from two clocks, for two different jobs; every part of v2c
 * (and v2c-init, which includes this header alone) takes its time here.
 *
 * v2c_monotonic_ms(): durations, timeouts, deadlines and backoff inside one
 * process.  CLOCK_MONOTONIC never jumps when NTP or an operator sets the
 * time, so a deadline neither fires early nor stretches; its zero is
 * arbitrary, so its values mean nothing outside the process.
 *
 * v2c_wall_ms(): instants that outlive the process.  A rollout writes
 * times to its journal (each record's "time", when a rollback window ends,
 * when a service was promoted, when a pause began) and `resume` reads them
 * back after a crash or a reboot, when the monotonic clock has started
 * again from another zero: only the wall clock (CLOCK_REALTIME) means the
 * same thing then.  So rollout.c measures its steps with it too, accepting
 * that setting the clock moves them.
 *
 * Header only (static inline), so that v2c-init, a static program that
 * links nothing of v2c, uses the same code. */
#ifndef V2C_CLOCK_H
#define V2C_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline int64_t v2c_clock_ms(clockid_t id)
{
        struct timespec ts;
        clock_gettime(id, &ts);
        return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline int64_t v2c_monotonic_ms(void)
{
        return v2c_clock_ms(CLOCK_MONOTONIC);
}

static inline int64_t v2c_wall_ms(void)
{
        return v2c_clock_ms(CLOCK_REALTIME);
}

#endif
