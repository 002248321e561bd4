/* The guest's dynamic linker configuration, read through the guest reader:
 * the glue between ldconf.c's pure parser and a struct v2c_guest. */
#include "elf.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cleanup.h"
#include "guest.h"
#include "strv.h"

static int ldconf_glob(void *ctx, const char *pattern, char ***paths, struct v2c_error **err)
{
        (void) err;
        return v2c_guest_glob(ctx, pattern, paths);
}

static int ldconf_read(void *ctx, const char *path, char **data, size_t *len, struct v2c_error **err)
{
        struct v2c_guest *g = ctx;
        int r = v2c_guest_read_file(g, path, V2C_LDCONF_MAX_SIZE, data, len, NULL);
        (void) err;
        return r < 0 ? r : 0;
}

int v2c_guest_ld_dirs(struct v2c_guest *g, char ***dirs)
{
        static const struct v2c_ldconf_ops ops = { ldconf_glob, ldconf_read };
        *dirs = NULL;
        if (v2c_ldconf_load("/etc/ld.so.conf", &ops, g, dirs, NULL) < 0 || *dirs == NULL) {
                v2c_strv_free(*dirs);
                *dirs = NULL;
                if (v2c_strv_push(dirs, "/usr/local/lib") < 0)
                        return -ENOMEM;
        }
        return 0;
}
