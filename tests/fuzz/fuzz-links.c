/* libFuzzer target: one file through every connection scanner of
 * inspect/links.c, then the local-name parsers, and every endpoint found
 * checked for the shapes links-internal.h promises. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "links-internal.h"
#include "strv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static const enum v2c_link_syntax syntaxes[] = { V2C_LINK_GENERIC, V2C_LINK_NGINX, V2C_LINK_APACHE2,
                                                         V2C_LINK_HAPROXY };
        for (size_t s = 0; s < sizeof syntaxes / sizeof syntaxes[0]; s++) {
                struct v2c_link_refs refs = { 0 };
                struct v2c_error *err = NULL;
                int r = v2c_links_scan(syntaxes[s], (const char *) data, size, &refs, &err);
                if (r < 0 && r != -E2BIG && r != -ENOMEM)
                        abort();
                for (size_t i = 0; i < refs.n; i++) {
                        const struct v2c_link_ref *x = &refs.items[i];
                        if ((x->host == NULL) == (x->unix_path == NULL) || x->via == NULL || x->line == 0 ||
                            (x->host && (x->port < 1 || x->port > 65535)) || (x->unix_path && x->unix_path[0] != '/'))
                                abort();
                        (void) v2c_links_is_local(x->host, NULL);
                        (void) v2c_links_socket_is(x->unix_path, "php8.2-fpm");
                }
                v2c_link_refs_release(&refs);
                v2c_error_free(err);
        }
        char **local = NULL;
        v2c_links_local_addrs((const char *) data, size, &local);
        v2c_links_local_hosts((const char *) data, size, "web01", &local);
        if (v2c_strv_len(local) > V2C_LINKS_MAX_LOCAL)
                abort();
        v2c_strv_free(local);
        return 0;
}
