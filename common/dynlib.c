/* Optional shared libraries loaded on first use: see dynlib.h. */
#include "dynlib.h"

#include <dlfcn.h>
#include <errno.h>

#include "log.h"

int v2c_dynlib_open(const struct v2c_dynlib *lib, const char *const *syms, void **addrs, size_t n,
                    struct v2c_error **err)
{
        void *h = dlopen(lib->soname, RTLD_NOW | RTLD_LOCAL);
        if (h == NULL) {
                v2c_debug("dlopen: %s", dlerror());
                return v2c_error_set_kind(err, V2C_ERR_FAILURE, ENOENT, "%s is not installed (%s): %s", lib->name,
                                          lib->package, lib->purpose);
        }
        for (size_t i = 0; i < n; i++) {
                void *a = dlsym(h, syms[i]);
                if (a == NULL) {
                        int r = v2c_error_set_kind(err, V2C_ERR_FAILURE, ENOSYS,
                                                   "the installed %s (%s) lacks %s: %s", lib->name, lib->package,
                                                   syms[i], lib->purpose);
                        dlclose(h);
                        return r;
                }
                addrs[i] = a;
        }
        return 0;
}
