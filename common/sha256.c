/* sha256 via OpenSSL EVP; see sha256.h. */
#include "sha256.h"
#include "cleanup.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>

struct v2c_sha256 {
        EVP_MD_CTX *ctx;
};

struct v2c_sha256 *v2c_sha256_new(void)
{
        struct v2c_sha256 *s = calloc(1, sizeof *s);
        if (s == NULL)
                return NULL;
        s->ctx = EVP_MD_CTX_new();
        if (s->ctx == NULL || EVP_DigestInit_ex(s->ctx, EVP_sha256(), NULL) != 1)
                return v2c_sha256_free(s);
        return s;
}

int v2c_sha256_update(struct v2c_sha256 *s, const void *data, size_t len)
{
        return EVP_DigestUpdate(s->ctx, data, len) == 1 ? 0 : -EIO;
}

int v2c_sha256_final_hex(struct v2c_sha256 *s, char hex[V2C_SHA256_HEX_LEN + 1])
{
        static const char digits[] = "0123456789abcdef";
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int n = 0;
        if (EVP_DigestFinal_ex(s->ctx, md, &n) != 1 || n != 32)
                return -EIO;
        for (unsigned i = 0; i < 32; i++) {
                hex[2 * i] = digits[md[i] >> 4];
                hex[2 * i + 1] = digits[md[i] & 15];
        }
        hex[64] = '\0';
        return 0;
}

struct v2c_sha256 *v2c_sha256_free(struct v2c_sha256 *s)
{
        if (s) {
                EVP_MD_CTX_free(s->ctx);
                free(s);
        }
        return NULL;
}

int v2c_sha256_hex(const void *data, size_t len, char hex[V2C_SHA256_HEX_LEN + 1])
{
        __attribute__((cleanup(v2c_sha256_freep))) struct v2c_sha256 *s = v2c_sha256_new();
        if (s == NULL)
                return -ENOMEM;
        int r = v2c_sha256_update(s, data, len);
        return r < 0 ? r : v2c_sha256_final_hex(s, hex);
}

int v2c_sha256_file_hex(const char *path, char hex[V2C_SHA256_HEX_LEN + 1], struct v2c_error **err)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return v2c_error_set(err, errno, "opening `%s`: %m", path);
        __attribute__((cleanup(v2c_sha256_freep))) struct v2c_sha256 *s = v2c_sha256_new();
        if (s == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        static __thread unsigned char block[1 << 16];
        for (;;) {
                ssize_t n = read(fd, block, sizeof block);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return v2c_error_set(err, errno, "reading `%s`: %m", path);
                if (n == 0)
                        break;
                v2c_sha256_update(s, block, (size_t) n);
        }
        return v2c_sha256_final_hex(s, hex);
}
