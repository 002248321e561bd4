/* Loading an optional shared library on first use (libguestfs for disk
 * images, libvirt for libvirt VMs): a host without it fails only when the
 * feature is used, with a one-line error naming the package, and every
 * other command does not pay for loading it and what it brings.
 *
 * Each caller keeps a table of function pointers typed from the library's
 * own header (so a prototype that changes breaks the build) and fills it
 * from the addresses this returns. */
#ifndef V2C_DYNLIB_H
#define V2C_DYNLIB_H

#include <stddef.h>

#include "error.h"

struct v2c_dynlib {
        const char *soname;     /* "libguestfs.so.0" */
        const char *name;       /* for messages: "libguestfs" */
        const char *package;    /* the Debian package that installs it: "libguestfs0" */
        const char *purpose;    /* what fails without it: "cannot open disk images" */
};

/* Opens LIB and resolves the N symbols SYMS into ADDRS.  The library stays
 * loaded for the life of the process (both libraries register atexit
 * hooks or keep per-thread state; unloading them is never safe).  Fails
 * (kind V2C_ERR_FAILURE) with -ENOENT when the library is not installed,
 * -ENOSYS when it lacks a symbol (it is then closed again).  ADDRS is
 * the caller's scratch array: its contents mean something only on
 * success. */
int v2c_dynlib_open(const struct v2c_dynlib *lib, const char *const *syms, void **addrs, size_t n,
                    struct v2c_error **err);

#endif
