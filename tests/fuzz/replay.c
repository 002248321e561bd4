/* Runs a libFuzzer target over files, for builds without libFuzzer: each
 * argument is a file or a directory of files (a seed corpus). */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
        FILE *f = fopen(path, "rb");
        if (f == NULL) {
                perror(path);
                return 1;
        }
        size_t cap = 1 << 16, n = 0;
        uint8_t *buf = malloc(cap);
        for (;;) {
                if (n == cap) {
                        cap *= 2;
                        buf = realloc(buf, cap);
                }
                size_t k = fread(buf + n, 1, cap - n, f);
                if (k == 0)
                        break;
                n += k;
        }
        fclose(f);
        LLVMFuzzerTestOneInput(buf, n);
        free(buf);
        return 0;
}

int main(int argc, char **argv)
{
        size_t count = 0;
        for (int i = 1; i < argc; i++) {
                struct stat st;
                if (stat(argv[i], &st) < 0) {
                        perror(argv[i]);
                        return 1;
                }
                if (!S_ISDIR(st.st_mode)) {
                        count++;
                        if (run_file(argv[i]))
                                return 1;
                        continue;
                }
                struct dirent **ents;
                int n = scandir(argv[i], &ents, NULL, alphasort);
                for (int k = 0; k < n; k++) {
                        char p[4096];
                        snprintf(p, sizeof p, "%s/%s", argv[i], ents[k]->d_name);
                        if (ents[k]->d_name[0] != '.' && stat(p, &st) == 0 && S_ISREG(st.st_mode)) {
                                count++;
                                if (run_file(p))
                                        return 1;
                        }
                        free(ents[k]);
                }
                free(ents);
        }
        printf("replayed %zu inputs\n", count);
        return count ? 0 : 1;
}
