/* OCI image layouts on the host; see oci-layout.h. */
#include "oci-layout.h"
#include "cleanup.h"
#include "fsutil.h"
#include "json.h"
#include "ref.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct v2c_oci_index {
        json_t *root;
        const json_t *manifests;   /* borrowed from root: an array */
        char *what;
};

struct v2c_oci_dir {
        char *path;
        int fd;
        struct v2c_oci_index *index;
};

/* ---- index.json ---- */

int v2c_oci_index_parse(const char *data, size_t len, const char *what, struct v2c_oci_index **out,
                        struct v2c_error **err)
{
        _cleanup_json_ json_t *root = NULL;
        int r = v2c_json_load(data, len, what, &root, err);
        if (r < 0)
                return r;
        const json_t *ms = json_object_get(root, "manifests");
        if (!json_is_array(ms))
                return v2c_error_set_kind(err, V2C_ERR_INPUT, EINVAL, "%s: no \"manifests\" array", what);
        struct v2c_oci_index *idx = calloc(1, sizeof *idx);
        if (idx == NULL || (idx->what = strdup(what)) == NULL) {
                free(idx);
                return v2c_error_set(err, ENOMEM, "out of memory");
        }
        idx->manifests = ms;
        idx->root = TAKE_PTR(root);
        *out = idx;
        return 0;
}

struct v2c_oci_index *v2c_oci_index_free(struct v2c_oci_index *idx)
{
        if (idx) {
                json_decref(idx->root);
                free(idx->what);
                free(idx);
        }
        return NULL;
}

size_t v2c_oci_index_count(const struct v2c_oci_index *idx)
{
        return json_array_size(idx->manifests);
}

int v2c_oci_index_pick(const struct v2c_oci_index *idx, const char *name, struct v2c_oci_desc *out,
                       struct v2c_error **err)
{
        const json_t *pick = NULL, *m;
        size_t i, n = json_array_size(idx->manifests), named = 0;
        json_array_foreach(idx->manifests, i, m) {
                const char *ref = json_string_value(json_object_get(json_object_get(m, "annotations"), V2C_OCI_REF_NAME));
                if (name == NULL || (ref && strcmp(ref, name) == 0)) {
                        pick = m;
                        named++;
                }
        }
        if (name == NULL && n != 1)
                return v2c_error_set_kind(err, V2C_ERR_USAGE, ENOENT, "%s lists %zu images: name one", idx->what, n);
        if (pick == NULL)
                return v2c_error_set_kind(err, V2C_ERR_USAGE, ENOENT, "no image `%s` in %s", name, idx->what);
        /* Two images under one name: taking either would be a guess. */
        if (named > 1)
                return v2c_error_set_kind(err, V2C_ERR_INPUT, EEXIST, "%s lists %zu images named `%s`", idx->what,
                                          named, name);
        const char *digest = json_string_value(json_object_get(pick, "digest"));
        const json_t *size = json_object_get(pick, "size");
        if (!v2c_digest_valid(digest))
                return v2c_error_set_kind(err, V2C_ERR_INPUT, EINVAL, "%s: a manifest without a sha256 digest",
                                          idx->what);
        if (!json_is_integer(size) || json_integer_value(size) < 0)
                return v2c_error_set_kind(err, V2C_ERR_INPUT, EINVAL, "%s: the manifest %s has no size", idx->what,
                                          digest);
        out->media_type = json_string_value(json_object_get(pick, "mediaType"));
        memcpy(out->digest, digest, V2C_OCI_DIGEST_SIZE);
        out->size = (uint64_t) json_integer_value(size);
        return 0;
}

/* ---- an opened layout ---- */

/* The N bytes of FD from its offset as a new NUL-terminated string: 0,
 * or -errno (-EIO when the file ends sooner: it shrank since its fstat). */
static int read_exact(int fd, size_t n, char **out)
{
        _cleanup_free_ char *buf = malloc(n + 1);
        if (buf == NULL)
                return -ENOMEM;
        size_t got = 0;
        while (got < n) {
                ssize_t k = read(fd, buf + got, n - got);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        return k < 0 ? -errno : -EIO;
                got += (size_t) k;
        }
        buf[n] = '\0';
        *out = TAKE_PTR(buf);
        return 0;
}

/* Reads NAME below directory FD (not following a final symlink), a
 * regular file of at most V2C_OCI_JSON_MAX bytes, as a new string. */
static int read_small_at(int fd, const char *dir, const char *name, char **data, size_t *len,
                         struct v2c_error **err)
{
        _cleanup_close_ int f = openat(fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
        if (f < 0)
                return v2c_error_set_kind(err, V2C_ERR_INPUT, errno, "`%s` is not an OCI layout (no %s: %m)", dir,
                                          name);
        struct stat st;
        if (fstat(f, &st) < 0)
                return v2c_error_set(err, errno, "cannot stat `%s/%s`: %m", dir, name);
        if (!S_ISREG(st.st_mode) || (uint64_t) st.st_size > V2C_OCI_JSON_MAX)
                return v2c_error_set_kind(err, V2C_ERR_INPUT, EFBIG, "`%s/%s` is not a regular file of at most %u bytes",
                                          dir, name, V2C_OCI_JSON_MAX);
        int r = read_exact(f, (size_t) st.st_size, data);
        if (r < 0)
                return v2c_error_set(err, -r, "reading `%s/%s`: %s", dir, name, strerror(-r));
        *len = (size_t) st.st_size;
        return 0;
}

int v2c_oci_dir_open(const char *path, struct v2c_oci_dir **out, struct v2c_error **err)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return v2c_error_set_kind(err, V2C_ERR_INPUT, errno, "cannot open the OCI layout `%s`: %m", path);
        _cleanup_free_ char *data = NULL, *what = NULL;
        size_t len;
        int r = read_small_at(fd, path, "oci-layout", &data, &len, err);
        if (r < 0)
                return r;
        _cleanup_json_ json_t *version = NULL;
        if (asprintf(&what, "`%s/oci-layout`", path) < 0)
                return v2c_error_set(err, ENOMEM, "out of memory");
        r = v2c_json_load(data, len, what, &version, err);
        if (r < 0)
                return r;
        /* 1.0.0 is the only version the image-spec defines. */
        const char *v = json_string_value(json_object_get(version, "imageLayoutVersion"));
        if (v == NULL || strcmp(v, "1.0.0") != 0)
                return v2c_error_set_kind(err, V2C_ERR_INPUT, EINVAL, "%s: imageLayoutVersion is not 1.0.0", what);
        free(data);
        free(what);
        data = what = NULL;
        r = read_small_at(fd, path, "index.json", &data, &len, err);
        if (r < 0)
                return r;
        if (asprintf(&what, "`%s/index.json`", path) < 0)
                return v2c_error_set(err, ENOMEM, "out of memory");
        struct v2c_oci_index *idx = NULL;
        r = v2c_oci_index_parse(data, len, what, &idx, err);
        if (r < 0)
                return r;
        struct v2c_oci_dir *l = calloc(1, sizeof *l);
        if (l == NULL || (l->path = strdup(path)) == NULL) {
                free(l);
                v2c_oci_index_free(idx);
                return v2c_error_set(err, ENOMEM, "out of memory");
        }
        l->index = idx;
        l->fd = TAKE_FD(fd);
        *out = l;
        return 0;
}

struct v2c_oci_dir *v2c_oci_dir_close(struct v2c_oci_dir *l)
{
        if (l) {
                if (l->fd >= 0)
                        close(l->fd);
                v2c_oci_index_free(l->index);
                free(l->path);
                free(l);
        }
        return NULL;
}

const char *v2c_oci_dir_path(const struct v2c_oci_dir *l)
{
        return l->path;
}

const struct v2c_oci_index *v2c_oci_dir_index(const struct v2c_oci_dir *l)
{
        return l->index;
}

/* Opens blobs/sha256/HEX of D without following a symlink at any of the
 * three steps: a layout is input, and a link could reach any file of the
 * host.  The file must be regular and of D->size bytes. */
static int open_blob(const struct v2c_oci_dir *l, const struct v2c_oci_desc *d, int *out, struct v2c_error **err)
{
        if (!v2c_digest_valid(d->digest))
                return v2c_error_set_kind(err, V2C_ERR_INPUT, EINVAL, "`%s`: a descriptor without a sha256 digest",
                                          l->path);
        const int dflags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
        _cleanup_close_ int blobs = openat(l->fd, "blobs", dflags);
        _cleanup_close_ int sha = blobs < 0 ? -1 : openat(blobs, "sha256", dflags);
        _cleanup_close_ int fd = sha < 0 ? -1 : openat(sha, d->digest + 7, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
        if (fd < 0) {
                int e = errno;
                if (e == ELOOP)
                        return v2c_error_set_kind(err, V2C_ERR_INPUT, e, "blob %s of `%s` is a symlink", d->digest,
                                                  l->path);
                if (e == ENOTDIR)
                        return v2c_error_set_kind(err, V2C_ERR_INPUT, e,
                                                  "blobs/sha256 of `%s` is not a directory (a symlink is not followed)",
                                                  l->path);
                return v2c_error_set_kind(err, V2C_ERR_INPUT, e, "blob %s of `%s`: %m", d->digest, l->path);
        }
        struct stat st;
        if (fstat(fd, &st) < 0)
                return v2c_error_set(err, errno, "blob %s of `%s`: %m", d->digest, l->path);
        if (!S_ISREG(st.st_mode) || (uint64_t) st.st_size != d->size)
                return v2c_error_set_kind(err, V2C_ERR_INPUT, EINVAL,
                                          "blob %s of `%s` is not a regular file of the %llu bytes its descriptor "
                                          "says",
                                          d->digest, l->path, (unsigned long long) d->size);
        *out = TAKE_FD(fd);
        return 0;
}

int v2c_oci_dir_open_blob(const struct v2c_oci_dir *l, const struct v2c_oci_desc *d, int *fd,
                          struct v2c_error **err)
{
        return open_blob(l, d, fd, err);
}

int v2c_oci_check_blob_fd(int fd, const struct v2c_oci_desc *d, const char *where, struct v2c_error **err)
{
        _cleanup_(v2c_sha256_freep) struct v2c_sha256 *h = v2c_sha256_new();
        _cleanup_free_ char *buf = malloc(1u << 20);
        if (h == NULL || buf == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        uint64_t off = 0;
        while (off < d->size) {
                size_t want = d->size - off < (1u << 20) ? (size_t) (d->size - off) : (1u << 20);
                ssize_t n = pread(fd, buf, want, (off_t) off);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return v2c_error_set_kind(err, V2C_ERR_INPUT, n < 0 ? errno : EIO,
                                                  "blob %s of `%s`: cannot read it whole", d->digest, where);
                v2c_sha256_update(h, buf, (size_t) n);
                off += (uint64_t) n;
        }
        char hex[V2C_SHA256_HEX_LEN + 1];
        v2c_sha256_final_hex(h, hex);
        if (strcmp(hex, d->digest + 7) != 0)
                return v2c_error_set_kind(err, V2C_ERR_INPUT, EINVAL,
                                          "blob %s of `%s` is corrupt: its bytes hash to sha256:%s", d->digest, where,
                                          hex);
        return 0;
}

int v2c_oci_dir_read_blob(const struct v2c_oci_dir *l, const struct v2c_oci_desc *d, char **data, size_t *len,
                          struct v2c_error **err)
{
        if (d->size > V2C_OCI_JSON_MAX)
                return v2c_error_set_kind(err, V2C_ERR_INPUT, E2BIG, "blob %s of `%s`: %llu bytes, over %u",
                                          d->digest, l->path, (unsigned long long) d->size, V2C_OCI_JSON_MAX);
        _cleanup_close_ int fd = -1;
        int r = open_blob(l, d, &fd, err);
        if (r < 0)
                return r;
        size_t n = (size_t) d->size;
        _cleanup_free_ char *buf = NULL;
        r = read_exact(fd, n, &buf);
        if (r < 0)
                return v2c_error_set_kind(err, V2C_ERR_INPUT, -r, "blob %s of `%s`: cannot read it whole", d->digest,
                                          l->path);
        char hex[V2C_SHA256_HEX_LEN + 1];
        v2c_sha256_hex(buf, n, hex);
        if (strcmp(hex, d->digest + 7) != 0)
                return v2c_error_set_kind(err, V2C_ERR_INPUT, EINVAL,
                                          "blob %s of `%s` is corrupt: its bytes hash to sha256:%s", d->digest,
                                          l->path, hex);
        *data = TAKE_PTR(buf);
        *len = n;
        return 0;
}

int v2c_oci_dir_read_json(const struct v2c_oci_dir *l, const struct v2c_oci_desc *d, json_t **out,
                          struct v2c_error **err)
{
        _cleanup_free_ char *data = NULL, *what = NULL;
        size_t len;
        int r = v2c_oci_dir_read_blob(l, d, &data, &len, err);
        if (r < 0)
                return r;
        if (asprintf(&what, "blob %s of `%s`", d->digest, l->path) < 0)
                return v2c_error_set(err, ENOMEM, "out of memory");
        return v2c_json_load(data, len, what, out, err);
}

/* ---- writing ---- */

char *v2c_oci_blob_path(const char *dir, const char *digest)
{
        char *p = NULL;
        if (!v2c_digest_valid(digest) || asprintf(&p, "%s/blobs/sha256/%s", dir, digest + 7) < 0)
                return NULL;
        return p;
}

int v2c_oci_layout_mkdirs(const char *dir, struct v2c_error **err)
{
        _cleanup_free_ char *blobs = NULL, *sha = NULL;
        if (asprintf(&blobs, "%s/blobs", dir) < 0 || asprintf(&sha, "%s/blobs/sha256", dir) < 0)
                return v2c_error_set(err, ENOMEM, "out of memory");
        if (mkdir(blobs, 0755) < 0 || mkdir(sha, 0755) < 0)
                return v2c_error_set(err, errno, "cannot create the layout's blobs directory in `%s`: %m", dir);
        return 0;
}

int v2c_oci_write_blob(const char *dir, const void *data, size_t len, char *digest, struct v2c_error **err)
{
        char d[V2C_OCI_DIGEST_SIZE] = "sha256:";
        if (v2c_sha256_hex(data, len, d + 7) < 0)
                return v2c_error_set(err, EIO, "sha256 failed");
        _cleanup_free_ char *path = v2c_oci_blob_path(dir, d);
        if (path == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        int r = v2c_write_file_atomic(path, data, len, 0644, err);
        if (r < 0)
                return r;
        if (digest)
                memcpy(digest, d, sizeof d);
        return 0;
}

int v2c_oci_write_index(const char *dir, json_t *manifests, struct v2c_error **err)
{
        _cleanup_json_ json_t *index = json_object();
        if (index == NULL || json_object_set_new(index, "schemaVersion", json_integer(2)) < 0 ||
            json_object_set_new(index, "mediaType", json_string(V2C_OCI_MEDIA_INDEX)) < 0 ||
            json_object_set(index, "manifests", manifests) < 0)
                return v2c_error_set(err, ENOMEM, "out of memory");
        _cleanup_free_ char *s = v2c_json_dump(index);
        _cleanup_free_ char *ipath = NULL, *lpath = NULL;
        if (s == NULL || asprintf(&ipath, "%s/index.json", dir) < 0 || asprintf(&lpath, "%s/oci-layout", dir) < 0)
                return v2c_error_set(err, ENOMEM, "out of memory");
        static const char layout[] = "{\"imageLayoutVersion\":\"1.0.0\"}\n";
        int r = v2c_write_file_atomic(ipath, s, strlen(s), 0644, err);
        if (r == 0)
                r = v2c_write_file_atomic(lpath, layout, sizeof layout - 1, 0644, err);
        return r;
}
