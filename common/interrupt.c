/* See interrupt.h.  The handler only stores the signal's number: all the
 * cleaning up happens in ordinary code that polls v2c_interrupted(). */
#include "interrupt.h"

#include <signal.h>
#include <string.h>

static volatile sig_atomic_t caught;

static void on_signal(int sig)
{
        if (caught == 0)
                caught = sig;
}

void v2c_interrupt_catch(void)
{
        static const int sigs[] = { SIGINT, SIGTERM };
        for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
                struct sigaction old, sa;
                if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN)
                        continue;
                memset(&sa, 0, sizeof sa);
                sa.sa_handler = on_signal;
                sigemptyset(&sa.sa_mask);
                sa.sa_flags = 0;   /* no SA_RESTART: a blocking read or sleep returns EINTR */
                sigaction(sigs[i], &sa, NULL);
        }
}

int v2c_interrupted(void)
{
        return caught;
}

void v2c_interrupt_reraise(void)
{
        int sig = caught;
        if (sig == 0)
                return;
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = SIG_DFL;
        sigemptyset(&sa.sa_mask);
        sigaction(sig, &sa, NULL);
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, sig);
        sigprocmask(SIG_UNBLOCK, &set, NULL);
        raise(sig);
}
