/* Fuzz target: the tar index that serves tar guests and prefetched trees. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "guest-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        int fd = memfd_create("fuzz-tar", MFD_CLOEXEC);
        if (fd < 0)
                return 0;
        if (write(fd, data, size) != (ssize_t) size || lseek(fd, 0, SEEK_SET) != 0) {
                close(fd);
                return 0;
        }
        struct v2c_error *err = NULL;
        struct v2c_tarindex *ti = v2c_tarindex_new(&err);
        if (ti) {
                size_t skipped = 0;
                if (v2c_tarindex_add(ti, fd, "/", &skipped, &err) == 0 && v2c_tarindex_seal(ti, &err) == 0) {
                        struct v2c_dirent *ents = NULL;
                        size_t n = 0;
                        if (v2c_tarindex_list(ti, "/", &ents, &n, NULL) == 0) {
                                for (size_t i = 0; i < n; i++) {
                                        char p[4200];
                                        char *content = NULL;
                                        size_t len;
                                        snprintf(p, sizeof p, "/%s", ents[i].name);
                                        if (v2c_tarindex_read(ti, p, 1 << 20, &content, &len, NULL) == 0)
                                                free(content);
                                        void *cap = NULL;
                                        if (v2c_tarindex_capability(ti, p, &cap, &len, NULL) == 0)
                                                free(cap);
                                }
                                v2c_dirents_free(ents, n);
                        }
                }
                v2c_tarindex_free(ti);
        }
        v2c_error_free(err);
        close(fd);
        return 0;
}
