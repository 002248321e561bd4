/* Deterministic layer writer; see layer.h.
 *
 * Data flow, all in one pass:  entries -> libarchive (pax tar) ->
 * write_tar() [sha256 -> diff_id] -> compressor -> emit() [sha256 ->
 * digest] -> buffered writes to a temporary blob -> rename at close.
 *
 * Names are bytes.  libarchive's pax writer converts every name from the
 * thread's locale charset to UTF-8 for its `path`/`linkpath` records; in
 * the "C" locale (v2c never calls setlocale) that fails on the first byte
 * above 0x7f.  So headers are written under C.UTF-8 (uselocale, this
 * thread only): a UTF-8 name goes out as it is (no normalisation), and one
 * that is not UTF-8 fails the conversion, on which libarchive writes the
 * raw bytes with `hdrcharset=BINARY` and returns ARCHIVE_WARN, which is
 * then the expected outcome.  ASCII names give the same bytes as before.
 */
#include "layer.h"
#include "cleanup.h"
#include "path.h"
#include "progress.h"
#include "clock.h"
#include "sha256.h"
#include "text.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#define OUT_BUF (1u << 20)

struct v2c_layer_writer {
        struct archive *a;
        locale_t utf8;               /* C.UTF-8, for libarchive's name conversions */
        enum v2c_compression comp;
        int64_t epoch;
        ZSTD_CCtx *zc;
        z_stream zs;
        gz_header gz;                /* zlib keeps a pointer to it */
        bool zs_ready;
        struct v2c_sha256 *tar_sha, *blob_sha;
        uint64_t tar_size, blob_size;
        int fd;
        char *tmp_path;
        char *blobs_dir;
        unsigned char *out, *zbuf;   /* write buffer, compressor output buffer */
        size_t out_len, zbuf_cap;
        char *last_path;
        char *label;                 /* for progress, or NULL */
        uint64_t entries;
        int64_t started;             /* monotonic ms */
        int failed;                  /* first negative errno of the output side */
        struct v2c_error *out_err;   /* its message */
};

/* Where the layer stands: files, bytes in (tar) and written (the blob),
 * the rate of the tar stream.  Throttled by common/progress. */
static void show_progress(const struct v2c_layer_writer *w, bool force)
{
        if (w->label == NULL)
                return;
        char in[16], out[16], rate[24];
        v2c_progress_show(force, "%s: %llu entries, %s read, %s written, %s", w->label, (unsigned long long) w->entries,
                          v2c_progress_bytes(w->tar_size, in, sizeof in),
                          v2c_progress_bytes(w->blob_size + w->out_len, out, sizeof out),
                          v2c_progress_rate(w->tar_size, v2c_monotonic_ms() - w->started, rate, sizeof rate));
}

int v2c_layer_path_cmp(const char *a, const char *b)
{
        return v2c_path_cmp(a, b);
}

static int flush_out(struct v2c_layer_writer *w)
{
        size_t done = 0;
        while (done < w->out_len) {
                ssize_t n = write(w->fd, w->out + done, w->out_len - done);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return v2c_error_set(&w->out_err, errno, "writing layer blob `%s`: %m", w->tmp_path);
                done += (size_t) n;
        }
        w->out_len = 0;
        return 0;
}

/* Compressed bytes: hashed, counted, buffered to the blob file. */
static int emit(struct v2c_layer_writer *w, const void *data, size_t len)
{
        v2c_sha256_update(w->blob_sha, data, len);
        w->blob_size += len;
        const unsigned char *p = data;
        while (len) {
                size_t n = OUT_BUF - w->out_len < len ? OUT_BUF - w->out_len : len;
                memcpy(w->out + w->out_len, p, n);
                w->out_len += n;
                p += n;
                len -= n;
                if (w->out_len == OUT_BUF) {
                        int r = flush_out(w);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

static int compress_chunk(struct v2c_layer_writer *w, const void *data, size_t len, bool end)
{
        if (w->comp == V2C_COMPRESS_NONE)
                return len ? emit(w, data, len) : 0;
        if (w->comp == V2C_COMPRESS_ZSTD) {
                ZSTD_inBuffer in = { data, len, 0 };
                for (;;) {
                        ZSTD_outBuffer out = { w->zbuf, w->zbuf_cap, 0 };
                        size_t rem = ZSTD_compressStream2(w->zc, &out, &in, end ? ZSTD_e_end : ZSTD_e_continue);
                        if (ZSTD_isError(rem))
                                return v2c_error_set(&w->out_err, EIO, "zstd: %s", ZSTD_getErrorName(rem));
                        if (out.pos) {
                                int r = emit(w, w->zbuf, out.pos);
                                if (r < 0)
                                        return r;
                        }
                        if (end ? rem == 0 : in.pos == in.size)
                                return 0;
                }
        }
        w->zs.next_in = (Bytef *) data;
        w->zs.avail_in = (uInt) len;
        for (;;) {
                w->zs.next_out = w->zbuf;
                w->zs.avail_out = (uInt) w->zbuf_cap;
                int zr = deflate(&w->zs, end ? Z_FINISH : Z_NO_FLUSH);
                if (zr == Z_STREAM_ERROR)
                        return v2c_error_set(&w->out_err, EIO, "gzip: deflate failed");
                size_t produced = w->zbuf_cap - w->zs.avail_out;
                if (produced) {
                        int r = emit(w, w->zbuf, produced);
                        if (r < 0)
                                return r;
                }
                if (end ? zr == Z_STREAM_END : w->zs.avail_in == 0)
                        return 0;
        }
}

/* libarchive's output callback: the uncompressed tar stream. */
static la_ssize_t write_tar(struct archive *a, void *ctx, const void *buf, size_t len)
{
        struct v2c_layer_writer *w = ctx;
        (void) a;
        if (w->failed)
                return -1;
        v2c_sha256_update(w->tar_sha, buf, len);
        w->tar_size += len;
        int r = compress_chunk(w, buf, len, false);
        if (r < 0) {
                w->failed = r;
                return -1;
        }
        return (la_ssize_t) len;
}

static void free_writer(struct v2c_layer_writer *w)
{
        if (w->a)
                archive_write_free(w->a);
        if (w->utf8)
                freelocale(w->utf8);
        ZSTD_freeCCtx(w->zc);
        if (w->zs_ready)
                deflateEnd(&w->zs);
        v2c_sha256_free(w->tar_sha);
        v2c_sha256_free(w->blob_sha);
        if (w->fd >= 0)
                close(w->fd);
        free(w->tmp_path);
        free(w->blobs_dir);
        free(w->out);
        free(w->zbuf);
        free(w->last_path);
        free(w->label);
        v2c_error_free(w->out_err);
        free(w);
}

void v2c_layer_abort(struct v2c_layer_writer *w)
{
        if (w == NULL)
                return;
        if (w->tmp_path)
                unlink(w->tmp_path);
        free_writer(w);
}

static int setup_compressor(struct v2c_layer_writer *w, const struct v2c_layer_options *opt, struct v2c_error **err)
{
        if (w->comp == V2C_COMPRESS_ZSTD) {
                w->zc = ZSTD_createCCtx();
                w->zbuf_cap = ZSTD_CStreamOutSize();
                if (w->zc == NULL)
                        return v2c_error_set(err, ENOMEM, "out of memory");
                int level = opt && opt->level ? opt->level : 3;
                /* Multi-threaded zstd gives the same bytes for any worker
                 * count >= 1, but not the same as single-threaded mode: so
                 * never use mode 0, whatever the machine. */
                int threads = opt && opt->threads > 0 ? opt->threads : 2;
                size_t r = ZSTD_CCtx_setParameter(w->zc, ZSTD_c_compressionLevel, level);
                if (!ZSTD_isError(r))
                        r = ZSTD_CCtx_setParameter(w->zc, ZSTD_c_nbWorkers, threads);
                if (ZSTD_isError(r))
                        return v2c_error_set(err, EINVAL, "zstd: %s", ZSTD_getErrorName(r));
        } else if (w->comp == V2C_COMPRESS_GZIP) {
                int level = opt && opt->level ? opt->level : 6;
                w->zbuf_cap = 1u << 17;
                if (deflateInit2(&w->zs, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
                        return v2c_error_set(err, EINVAL, "gzip: cannot start level %d", level);
                w->zs_ready = true;
                /* No name, no time, a fixed OS byte: the header is the
                 * same on every machine. */
                w->gz.os = 255;
                deflateSetHeader(&w->zs, &w->gz);
        } else
                w->zbuf_cap = 1;
        w->zbuf = malloc(w->zbuf_cap);
        return w->zbuf ? 0 : v2c_error_set(err, ENOMEM, "out of memory");
}

int v2c_layer_open(const char *blobs_dir, const struct v2c_layer_options *opt, struct v2c_layer_writer **out,
                   struct v2c_error **err)
{
        struct v2c_layer_writer *w = calloc(1, sizeof *w);
        if (w == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        w->fd = -1;
        w->comp = opt ? opt->compression : V2C_COMPRESS_ZSTD;
        w->epoch = opt && opt->epoch ? opt->epoch : V2C_DEFAULT_SOURCE_DATE_EPOCH;
        w->started = v2c_monotonic_ms();
        if (opt && opt->label && v2c_progress_enabled() && (w->label = strdup(opt->label)) == NULL) {
                free(w);
                return v2c_error_set(err, ENOMEM, "out of memory");
        }
        w->blobs_dir = strdup(blobs_dir);
        w->out = malloc(OUT_BUF);
        w->tar_sha = v2c_sha256_new();
        w->blob_sha = v2c_sha256_new();
        int r;
        if (w->blobs_dir == NULL || w->out == NULL || w->tar_sha == NULL || w->blob_sha == NULL ||
            asprintf(&w->tmp_path, "%s/.v2c-layer-XXXXXX", blobs_dir) < 0) {
                w->tmp_path = NULL;
                r = v2c_error_set(err, ENOMEM, "out of memory");
                goto fail;
        }
        r = setup_compressor(w, opt, err);
        if (r < 0)
                goto fail;
        w->fd = mkostemp(w->tmp_path, O_CLOEXEC);
        if (w->fd < 0) {
                r = v2c_error_set(err, errno, "creating a layer in `%s`: %m", blobs_dir);
                free(w->tmp_path);
                w->tmp_path = NULL;
                goto fail;
        }
        w->utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t) 0);
        if (w->utf8 == (locale_t) 0) {
                /* Without it non-ASCII UTF-8 names would all go out as
                 * BINARY: other bytes, so other digests, than elsewhere. */
                r = v2c_error_set(err, errno ? errno : ENOENT,
                                  "the C.UTF-8 locale is missing (glibc 2.35 or later has it built in)");
                goto fail;
        }
        w->a = archive_write_new();
        /* xattrs (security.capability) as SCHILY.xattr records only, the
         * spelling GNU tar, Go's archive/tar and so every runtime read;
         * libarchive would add its own LIBARCHIVE.xattr copy. */
        if (w->a == NULL || archive_write_set_format_pax_restricted(w->a) != ARCHIVE_OK ||
            archive_write_set_format_option(w->a, "pax", "xattrheader", "SCHILY") != ARCHIVE_OK ||
            archive_write_set_bytes_per_block(w->a, 0) != ARCHIVE_OK ||
            archive_write_open2(w->a, w, NULL, write_tar, NULL, NULL) != ARCHIVE_OK) {
                r = v2c_error_set(err, EIO, "starting the layer's tar stream: %s",
                                  w->a ? archive_error_string(w->a) : "out of memory");
                goto fail;
        }
        /* Each layer shows at least once, however fast it goes. */
        show_progress(w, true);
        *out = w;
        return 0;
fail:
        v2c_layer_abort(w);
        return r;
}

/* The output side's error, if it failed, else libarchive's. */
static int tar_error(struct v2c_layer_writer *w, const char *path, struct v2c_error **err)
{
        if (w->failed) {
                int r = w->failed;
                if (err && *err == NULL)
                        *err = v2c_error_take(&w->out_err);
                return v2c_error_prefix(err, r, "adding `%s`", path);
        }
        return v2c_error_set(err, EIO, "adding `%s`: %s", path, archive_error_string(w->a));
}

int v2c_layer_add(struct v2c_layer_writer *w, const struct v2c_layer_entry *e, const struct v2c_layer_source *src,
                  struct v2c_error **err)
{
        if (e->path == NULL || e->path[0] == '\0' || e->path[0] == '/')
                return v2c_error_set(err, EINVAL, "layer path `%s` is not relative", e->path ? e->path : "");
        if (e->type != V2C_LAYER_REG && e->type != V2C_LAYER_DIR && e->type != V2C_LAYER_SYMLINK &&
            e->type != V2C_LAYER_HARDLINK)
                return v2c_error_set(err, EINVAL, "`%s`: device nodes, FIFOs and sockets do not belong in a layer",
                                     e->path);
        if (w->last_path && v2c_layer_path_cmp(w->last_path, e->path) >= 0)
                return v2c_error_set(err, EINVAL, "layer entry `%s` comes after `%s`: entries must be sorted and unique",
                                     e->path, w->last_path);
        char *copy = strdup(e->path);
        if (copy == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        free(w->last_path);
        w->last_path = copy;

        struct archive_entry *ae = archive_entry_new();
        if (ae == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        archive_entry_set_pathname(ae, e->path);
        archive_entry_set_uid(ae, e->uid);
        archive_entry_set_gid(ae, e->gid);
        archive_entry_set_mtime(ae, e->mtime > w->epoch || e->mtime < 0 ? w->epoch : e->mtime, 0);
        archive_entry_set_perm(ae, e->mode & 07777);
        switch (e->type) {
        case V2C_LAYER_REG:
                archive_entry_set_filetype(ae, AE_IFREG);
                archive_entry_set_size(ae, (la_int64_t) e->size);
                break;
        case V2C_LAYER_DIR:
                archive_entry_set_filetype(ae, AE_IFDIR);
                break;
        case V2C_LAYER_SYMLINK:
                archive_entry_set_filetype(ae, AE_IFLNK);
                archive_entry_set_symlink(ae, e->link ? e->link : "");
                break;
        case V2C_LAYER_HARDLINK:
                archive_entry_set_filetype(ae, AE_IFREG);
                archive_entry_set_hardlink(ae, e->link ? e->link : "");
                archive_entry_set_size(ae, 0);
                break;
        }
        if (e->capability && e->capability_len)
                archive_entry_xattr_add_entry(ae, "security.capability", e->capability, e->capability_len);

        int r = 0;
        locale_t prev = uselocale(w->utf8);
        int ar = archive_write_header(w->a, ae);
        uselocale(prev);
        bool binary = !v2c_text_is_utf8(e->path) || (e->link && !v2c_text_is_utf8(e->link));
        if (ar != ARCHIVE_OK && !(ar == ARCHIVE_WARN && binary && !w->failed))
                r = tar_error(w, e->path, err);
        archive_entry_free(ae);
        w->entries++;
        show_progress(w, false);
        if (r < 0 || e->type != V2C_LAYER_REG || e->size == 0)
                return r;

        static __thread unsigned char buf[1 << 17];
        uint64_t left = e->size;
        while (left) {
                size_t got = 0;
                size_t want = left < sizeof buf ? (size_t) left : sizeof buf;
                r = src->read(src->ctx, buf, want, &got, err);
                if (r < 0)
                        return v2c_error_prefix(err, r, "reading `%s`", e->path);
                if (got == 0)
                        return v2c_error_set(err, EIO, "`%s` is shorter than its %llu bytes (changed while read?)",
                                             e->path, (unsigned long long) e->size);
                if (archive_write_data(w->a, buf, got) < 0)
                        return tar_error(w, e->path, err);
                left -= got;
                show_progress(w, false);
        }
        return 0;
}

int v2c_layer_close(struct v2c_layer_writer *w, struct v2c_layer_result *res, struct v2c_error **err)
{
        int r = 0;
        _cleanup_free_ char *final = NULL;
        char tar_hex[V2C_SHA256_HEX_LEN + 1], blob_hex[V2C_SHA256_HEX_LEN + 1];
        if (archive_write_close(w->a) != ARCHIVE_OK) {
                r = tar_error(w, "end of archive", err);
                goto fail;
        }
        r = compress_chunk(w, NULL, 0, true);
        if (r == 0)
                r = flush_out(w);
        if (r < 0) {
                if (err && *err == NULL)
                        *err = v2c_error_take(&w->out_err);
                goto fail;
        }
        if (fdatasync(w->fd) < 0) {
                r = v2c_error_set(err, errno, "writing layer blob: %m");
                goto fail;
        }
        if (v2c_sha256_final_hex(w->tar_sha, tar_hex) < 0 || v2c_sha256_final_hex(w->blob_sha, blob_hex) < 0) {
                r = v2c_error_set(err, EIO, "sha256 failed");
                goto fail;
        }
        if (asprintf(&final, "%s/%s", w->blobs_dir, blob_hex) < 0) {
                r = v2c_error_set(err, ENOMEM, "out of memory");
                goto fail;
        }
        if (fchmod(w->fd, 0644) < 0 || rename(w->tmp_path, final) < 0) {
                r = v2c_error_set(err, errno, "renaming the layer into `%s`: %m", final);
                goto fail;
        }
        free(w->tmp_path);
        w->tmp_path = NULL;
        snprintf(res->digest, sizeof res->digest, "sha256:%s", blob_hex);
        snprintf(res->diff_id, sizeof res->diff_id, "sha256:%s", tar_hex);
        res->size = w->blob_size;
        res->tar_size = w->tar_size;
        res->media_type = w->comp == V2C_COMPRESS_ZSTD ? V2C_MEDIA_LAYER_ZSTD
                          : w->comp == V2C_COMPRESS_GZIP ? V2C_MEDIA_LAYER_GZIP
                                                         : V2C_MEDIA_LAYER_TAR;
        free_writer(w);
        return 0;
fail:
        v2c_layer_abort(w);
        return r;
}
