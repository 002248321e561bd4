/* Pulling one image into a new OCI layout: the manifest (resolving an
 * index or manifest list for the platform), then the config and layers,
 * each streamed to a temporary file and hashed as it comes; a blob whose
 * bytes do not match its digest is refused.  The layout is built in a
 * sibling temporary directory and renamed into place when complete; that
 * directory is registered with signal-cleanup, so that SIGINT, SIGTERM or
 * SIGHUP ending the process mid-pull leaves nothing behind. */
#include "client-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "fsutil.h"
#include "json.h"
#include "log.h"
#include "oci-layout.h"
#include "progress.h"
#include "clock.h"
#include "signal-cleanup.h"

#define DEFAULT_MAX_IMAGE (UINT64_C(16) << 30)

void v2c_pull_result_release(struct v2c_pull_result *r)
{
        free(r->pinned);
        free(r->name);
        free(r->manifest_media_type);
        free(r->index_digest);
        for (unsigned i = 0; r->blob && i < r->blobs; i++)
                free(r->blob[i].media_type);
        free(r->blob);
        *r = (struct v2c_pull_result) { 0 };
}

static const char accept_all[] = V2C_MEDIA_OCI_MANIFEST ", " V2C_MEDIA_OCI_INDEX ", " V2C_MEDIA_DOCKER_MANIFEST
                                 ", " V2C_MEDIA_DOCKER_LIST;

/* GET /v2/REPO/manifests/REF: its bytes, checked against DIGEST when
 * the reference is one, and against *SIZE when an index declared it
 * (SIZE NULL: at most V2C_OCI_JSON_MAX bytes). */
static int get_manifest(struct reg_conn *c, const char *ref, const char *digest, const uint64_t *size, char **data,
                        size_t *len, char **ctype, struct v2c_error **err)
{
        _cleanup_free_ char *url = reg_url(c, "/v2/%s/manifests/%s", c->repo, ref);
        struct reg_req q;
        if (url == NULL || reg_req_init(&q, "GET", url) < 0)
                return v2c_error_set(err, ENOMEM, "out of memory");
        if (size && *size > V2C_OCI_JSON_MAX) {
                reg_req_release(&q);
                return v2c_error_set_kind(err, V2C_ERR_INPUT, E2BIG, "the manifest %s declares %llu bytes, over %u",
                                          ref, (unsigned long long) *size, V2C_OCI_JSON_MAX);
        }
        v2c_buf_init(&q.reply, size ? (size_t) *size : V2C_OCI_JSON_MAX);
        q.accept = strdup(accept_all);
        int status = reg_perform(c, &q, err);
        _cleanup_free_ char *who = reg_url_host(reg_req_where(&q));
        int r = 0;
        if (status < 0)
                r = v2c_error_prefix(err, status, "fetching the manifest %s", ref);
        else if (status == 404)
                r = v2c_error_set_kind(err, V2C_ERR_INPUT, ENOENT, "%s/%s has no manifest %s", c->host, c->repo, ref);
        else if (status != 200) {
                _cleanup_free_ char *why = reg_reply_error(&q);
                r = v2c_error_set(err, EPROTO, "%s answered HTTP %d for the manifest %s (%s)", who ? who : c->host,
                                  status, ref, why ? why : "");
        }
        if (r == 0) {
                char hex[65];
                v2c_sha256_hex(q.reply.data ? q.reply.data : "", q.reply.len, hex);
                if ((digest && strcmp(digest + 7, hex) != 0) || (size && q.reply.len != *size))
                        r = v2c_error_set_kind(err, V2C_ERR_INPUT, EINVAL,
                                               "the manifest %s from %s does not match its digest and size", ref,
                                               who ? who : c->host);
        }
        if (r == 0) {
                *len = q.reply.len;
                *data = q.reply.data ? v2c_buf_steal(&q.reply) : strdup("");
                *ctype = q.content_type ? strndup(q.content_type, strcspn(q.content_type, ";")) : NULL;
                if (*data == NULL)
                        r = v2c_error_set(err, ENOMEM, "out of memory");
        }
        reg_req_release(&q);
        return r;
}

/* Where a pull stands, for progress on a terminal (common/progress
 * decides whether it is drawn). */
struct pull_meter {
        const char *src;
        size_t blob, n_blobs;          /* the blob coming (from 1) */
        const struct v2c_mdesc *d;
        uint64_t done, total;          /* bytes of the blobs before it; of all */
        int64_t started, blob_started; /* monotonic ms */
        int64_t last_show;
};

/* Called for every write of a blob's bytes: formats only when it may be
 * drawn (a blob's start, then every 100 ms). */
static void show_pull(void *ctx, uint64_t written)
{
        struct pull_meter *m = ctx;
        int64_t now = v2c_monotonic_ms();
        if (!v2c_progress_enabled() || (written > 0 && now - m->last_show < 100))
                return;
        m->last_show = now;
        char got[16], size[16], all[16], total[16], rate[24], brate[24];
        v2c_progress_show(false, "pulling %s: blob %zu of %zu, %s of %s, %s\n  %.19s  %s / %s  %s", m->src, m->blob,
                          m->n_blobs, v2c_progress_bytes(m->done + written, all, sizeof all),
                          v2c_progress_bytes(m->total, total, sizeof total),
                          v2c_progress_rate(m->done + written, now - m->started, rate, sizeof rate), m->d->digest,
                          v2c_progress_bytes(written, got, sizeof got), v2c_progress_bytes(m->d->size, size, sizeof size),
                          v2c_progress_rate(written, now - m->blob_started, brate, sizeof brate));
}

/* Streams blob D into DIR/blobs/sha256/HEX, hashing as it goes, never
 * more than its declared size. */
static int get_blob(struct reg_conn *c, const char *dir, const struct v2c_mdesc *d, uint64_t *bytes,
                    bool *fetched, struct pull_meter *meter, struct v2c_error **err)
{
        _cleanup_free_ char *path = NULL, *tmp = NULL, *url = NULL;
        if ((path = v2c_oci_blob_path(dir, d->digest)) == NULL || asprintf(&tmp, "%s.part", path) < 0 ||
            (url = reg_url(c, "/v2/%s/blobs/%s", c->repo, d->digest)) == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        *fetched = false;
        if (access(path, F_OK) == 0)
                return 0;   /* a manifest naming a blob twice */
        struct reg_req q;
        if (reg_req_init(&q, "GET", url) < 0)
                return v2c_error_set(err, ENOMEM, "out of memory");
        /* Retries are this loop's: each attempt starts a new file. */
        q.no_retry = true;
        q.sink_progress = show_pull;
        q.sink_progress_ctx = meter;
        meter->d = d;
        meter->blob_started = v2c_monotonic_ms();
        show_pull(meter, 0);
        int r = 0;
        for (int attempt = 0;; attempt++) {
                int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
                if (fd < 0) {
                        r = v2c_error_set(err, errno, "creating `%s`: %m", tmp);
                        break;
                }
                q.sink_fd = fd;
                q.sink_hash = v2c_sha256_new();
                q.sink_limit = d->size;
                q.sink_errno = 0;
                int status = reg_perform(c, &q, err);
                char hex[65] = "";
                if (q.sink_hash)
                        v2c_sha256_final_hex(q.sink_hash, hex);
                q.sink_hash = v2c_sha256_free(q.sink_hash);
                int cr = close(fd);
                bool again = attempt < c->opt->retries;
                if (status < 0 && reg_error_retriable(status) && again) {
                        *err = v2c_error_free(*err);
                        reg_sleep_ms(reg_backoff_ms(NULL, attempt));
                        continue;
                }
                if (status < 0) {
                        r = v2c_error_prefix(err, status, "fetching %s", d->digest);
                        break;
                }
                if (reg_status_retriable(status) && again) {
                        reg_sleep_ms(reg_backoff_ms(&q, attempt));
                        continue;
                }
                if (status != 200) {
                        _cleanup_free_ char *why = reg_reply_error(&q);
                        _cleanup_free_ char *who = reg_url_host(reg_req_where(&q));
                        r = v2c_error_set(err, EPROTO, "%s answered HTTP %d for %s (%s)", who ? who : c->host, status,
                                          d->digest, why ? why : "");
                        break;
                }
                if (cr < 0) {
                        r = v2c_error_set(err, errno, "writing `%s`: %m", tmp);
                        break;
                }
                if (q.sink_written != d->size || strcmp(hex, d->digest + 7) != 0) {
                        /* Cut short or corrupted on the way: once more, then refuse. */
                        if (again) {
                                reg_sleep_ms(reg_backoff_ms(NULL, attempt));
                                continue;
                        }
                        _cleanup_free_ char *who = reg_url_host(reg_req_where(&q));
                        r = v2c_error_set_kind(err, V2C_ERR_INPUT, EINVAL,
                                               "%s: %llu of %llu bytes came from %s, hashing to sha256:%s: not the "
                                               "blob asked for",
                                               d->digest, (unsigned long long) q.sink_written,
                                               (unsigned long long) d->size, who ? who : c->host, hex);
                        break;
                }
                if (rename(tmp, path) < 0) {
                        r = v2c_error_set(err, errno, "renaming `%s`: %m", tmp);
                        break;
                }
                *bytes += d->size;
                *fetched = true;
                break;
        }
        if (r < 0)
                unlink(tmp);
        reg_req_release(&q);
        return r;
}

int v2c_pull(const char *src, const char *layout, const char *name, const char *platform,
             const struct v2c_registry_options *opt_in, struct v2c_pull_result *res, struct v2c_error **err)
{
        struct v2c_registry_options opt = *opt_in;
        if (opt.retries <= 0)
                opt.retries = 5;
        struct v2c_ref ref = { 0 };
        struct reg_conn c = { 0 };
        struct v2c_manifest *man = NULL;
        _cleanup_free_ char *data = NULL, *ctype = NULL, *tmp = NULL, *digest = NULL;
        size_t len = 0;
        bool made_tmp = false;
        *res = (struct v2c_pull_result) { 0 };
        int r = v2c_ref_parse(src, &ref, err);
        if (r < 0)
                return r;
        struct stat st;
        if (stat(layout, &st) == 0) {
                r = v2c_error_set_kind(err, V2C_ERR_REFUSED, EEXIST, "`%s` exists: pull writes a new layout", layout);
                goto out;
        }
        /* Built aside, renamed into place; a signal removes it.  Made
         * before the registry is asked anything, so that an output
         * directory that cannot be made fails at once, not after the
         * download.  "out/" names the directory out: its sibling is
         * "out.v2c-pull-*", not "out/.v2c-pull-*". */
        size_t n = strlen(layout);
        while (n > 1 && layout[n - 1] == '/')
                n--;
        if (n == 0) {
                r = v2c_error_set_kind(err, V2C_ERR_USAGE, EINVAL, "the output directory is an empty string");
                goto out;
        }
        if (asprintf(&tmp, "%.*s.v2c-pull-XXXXXX", (int) n, layout) < 0) {
                tmp = NULL;
                r = v2c_error_set(err, ENOMEM, "out of memory");
                goto out;
        }
        if (v2c_signal_cleanup_mkdtemp(tmp) == NULL) {
                r = v2c_error_set(err, errno, "cannot make the layout `%.*s`: %m", (int) n, layout);
                goto out;
        }
        made_tmp = true;
        r = reg_conn_init(&c, &ref, &opt, err);
        if (r < 0)
                goto out;
        c.pull_only = true;
        r = reg_ping(&c, err);
        if (r < 0)
                goto out;
        const char *want = ref.digest ? ref.digest : ref.tag ? ref.tag : "latest";
        r = get_manifest(&c, want, ref.digest, NULL, &data, &len, &ctype, err);
        if (r >= 0)
                r = v2c_manifest_parse(data, len, ctype, &man, err);
        if (r < 0)
                goto out;
        if (man->kind == V2C_MANIFEST_INDEX) {
                const char *plat = platform ? platform : "linux/amd64";
                const struct v2c_mdesc *d = v2c_manifest_pick(man, plat);
                if (d == NULL) {
                        r = v2c_error_set_kind(err, V2C_ERR_INPUT, ENOENT, "%s has no image for %s", src, plat);
                        goto out;
                }
                digest = strdup(d->digest);
                uint64_t dsize = d->size;
                char ihex[65];
                v2c_sha256_hex(data, len, ihex);
                if (asprintf(&res->index_digest, "sha256:%s", ihex) < 0)
                        res->index_digest = NULL;
                man = v2c_manifest_free(man);
                free(data);
                free(ctype);
                data = ctype = NULL;
                if (digest == NULL) {
                        r = v2c_error_set(err, ENOMEM, "out of memory");
                        goto out;
                }
                r = get_manifest(&c, digest, digest, &dsize, &data, &len, &ctype, err);
                if (r >= 0)
                        r = v2c_manifest_parse(data, len, ctype, &man, err);
                if (r >= 0 && man->kind != V2C_MANIFEST_IMAGE)
                        r = v2c_error_set_kind(err, V2C_ERR_INPUT, EINVAL, "%s: an index inside an index", src);
                if (r < 0)
                        goto out;
        }
        /* Every blob is bounded by its declared size, and all of them
         * together by the image's limit, checked before the first byte. */
        uint64_t total = man->config.size;
        for (size_t i = 0; i < man->n_layers; i++)
                total += man->layers[i].size;   /* at most 4097 sizes under 2^53 each: no overflow */
        uint64_t max = opt.max_image_size ? opt.max_image_size : DEFAULT_MAX_IMAGE;
        if (total > max) {
                r = v2c_error_set_kind(err, V2C_ERR_INPUT, EFBIG,
                                       "%s declares %llu bytes of blobs, more than the limit of %llu (--max-size)", src,
                                       (unsigned long long) total, (unsigned long long) max);
                goto out;
        }
        char hex[65];
        v2c_sha256_hex(data, len, hex);
        snprintf(res->manifest_digest, sizeof res->manifest_digest, "sha256:%s", hex);

        r = v2c_oci_layout_mkdirs(tmp, err);
        if (r < 0)
                goto out;
        res->blobs = (unsigned) man->n_layers + 1;
        struct pull_meter meter = { .src = src, .n_blobs = res->blobs, .total = total, .started = v2c_monotonic_ms() };
        res->blob = calloc(res->blobs, sizeof *res->blob);
        if (res->blob == NULL)
                r = v2c_error_set(err, ENOMEM, "out of memory");
        for (size_t i = 0; i <= man->n_layers && r >= 0; i++) {
                const struct v2c_mdesc *d = i == 0 ? &man->config : &man->layers[i - 1];
                struct v2c_pull_blob *b = &res->blob[i];
                snprintf(b->digest, sizeof b->digest, "%s", d->digest);
                b->size = d->size;
                meter.blob = i + 1;
                if ((b->media_type = strdup(d->media_type ? d->media_type : "")) == NULL)
                        r = v2c_error_set(err, ENOMEM, "out of memory");
                if (r >= 0)
                        r = get_blob(&c, tmp, d, &res->bytes, &b->fetched, &meter, err);
                if (r >= 0 && b->fetched)
                        res->fetched++;
                meter.done += d->size;
        }
        if (r < 0)
                goto out;
        r = v2c_oci_write_blob(tmp, data, len, NULL, err);
        if (r < 0)
                goto out;
        {
                const char *slash = strrchr(ref.repo, '/');
                const char *refname = name ? name : slash ? slash + 1 : ref.repo;
                const char *mt = man->media_type ? man->media_type : V2C_MEDIA_OCI_MANIFEST;
                res->name = strdup(refname);
                res->manifest_media_type = strdup(mt);
                res->manifest_size = len;
                if (res->name == NULL || res->manifest_media_type == NULL) {
                        r = v2c_error_set(err, ENOMEM, "out of memory");
                        goto out;
                }
                json_auto_t *ms = json_pack("[{s:s, s:s, s:I, s:{s:s}}]", "mediaType", mt, "digest",
                                            res->manifest_digest, "size", (json_int_t) len, "annotations",
                                            V2C_OCI_REF_NAME, refname);
                r = ms ? v2c_oci_write_index(tmp, ms, err) : v2c_error_set(err, ENOMEM, "out of memory");
                if (r < 0)
                        goto out;
        }
        /* mkdtemp made it 0700; the layout is for others to read too. */
        if (chmod(tmp, 0755) < 0) {
                r = v2c_error_set(err, errno, "chmod `%s`: %m", tmp);
                goto out;
        }
        if (rename(tmp, layout) < 0) {
                r = v2c_error_set(err, errno, "moving the layout to `%s`: %m", layout);
                goto out;
        }
        made_tmp = false;
        v2c_signal_cleanup_forget(tmp);
        res->pinned = v2c_ref_format_pinned(&ref, res->manifest_digest);
        if (res->pinned == NULL)
                r = v2c_error_set(err, ENOMEM, "out of memory");
out:
        if (r < 0)
                v2c_pull_result_release(res);
        if (made_tmp) {
                v2c_remove_tree(tmp);
                v2c_signal_cleanup_forget(tmp);
        }
        v2c_manifest_free(man);
        reg_conn_release(&c);
        v2c_ref_release(&ref);
        return r;
}
