/* Scope-bound cleanup, in the style of systemd and crun.
 *
 * Declare resources with a cleanup attribute initialised to NULL/-1; at the
 * end of the function hand them to the caller with TAKE_PTR/TAKE_FD.  Every
 * destructor used here accepts NULL (or -1).
 */
#ifndef V2C_CLEANUP_H
#define V2C_CLEANUP_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <dirent.h>
#include <errno.h>

static inline void v2c_freep(void *p) { free(*(void **) p); }
static inline void v2c_closep(int *fd)
{
        if (*fd >= 0) {
                int saved = errno;
                close(*fd);
                errno = saved;
        }
}
static inline void v2c_fclosep(FILE **f) { if (*f) fclose(*f); }
static inline void v2c_closedirp(DIR **d) { if (*d) closedir(*d); }

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _cleanup_free_ _cleanup_(v2c_freep)
#define _cleanup_close_ _cleanup_(v2c_closep)
#define _cleanup_fclose_ _cleanup_(v2c_fclosep)
#define _cleanup_closedir_ _cleanup_(v2c_closedirp)

/* Defines `static inline void NAMEp(TYPE **p)` calling FUNC(*p) when non-NULL. */
#define V2C_DEFINE_CLEANUP(type, func)                  \
        static inline void func##p(type **p)            \
        {                                               \
                if (*p)                                 \
                        func(*p);                       \
        }

#define TAKE_PTR(p)                                     \
        ({                                              \
                __typeof__(p) _tp = (p);                \
                (p) = NULL;                             \
                _tp;                                    \
        })

#define TAKE_FD(fd)                                     \
        ({                                              \
                int _tf = (fd);                         \
                (fd) = -1;                              \
                _tf;                                    \
        })

#define V2C_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
