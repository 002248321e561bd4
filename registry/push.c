/* Pushing one image of an OCI layout.
 *
 * Each blob is a small state machine (HEAD -> mount -> POST -> PUT, or
 * PATCH chunks -> PUT) whose requests run several at once on one curl
 * multi handle.  A 401 is answered (token fetched again) and the request
 * repeated; 408, 429, 5xx and broken connections are retried with backoff;
 * a broken chunked upload asks the registry how much it holds and goes on
 * from there.  The manifest is PUT by digest only when every blob it names
 * has been confirmed present, its Docker-Content-Digest must be ours, and
 * only then is the tag set. */
#include "client-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "fsutil.h"
#include "json.h"
#include "log.h"
#include "ref.h"
#include "oci-layout.h"
#include "strv.h"
#include "clock.h"
#include "progress.h"

#define DEFAULT_CHUNK (32ull << 20)
#define DEFAULT_PARALLEL 4
#define DEFAULT_RETRIES 5

enum bstate { B_HEAD, B_MOUNT, B_POST, B_PUT, B_PATCH, B_STATUS, B_FINAL, B_DONE, B_FAILED };

static const char *const bstate_names[] = { "HEAD", "mount", "POST", "PUT", "PATCH", "status", "PUT", "done", "failed" };

struct blob_job {
        const char *digest, *media_type;
        uint64_t size;
        int fd;
        enum bstate st;
        struct reg_req q;
        bool active;
        char *upload;            /* the newest upload URL */
        uint64_t offset;         /* bytes the registry holds */
        uint64_t chunk;
        int attempts;
        bool reauthed;
        bool verified;           /* the file hashes to the digest */
        size_t mount_idx;
        enum v2c_push_action action;   /* once B_DONE */
        uint64_t sent;                 /* its bytes put on the wire */
        int64_t not_before;
        int64_t upload_started;  /* monotonic ms of its first upload request, 0: none yet */
        struct v2c_error *err;
};

struct push {
        const char *layout;
        struct reg_conn conn;
        const struct v2c_registry_options *opt;
        char *const *mount_from;
        struct blob_job *jobs;
        size_t n_jobs;
        CURLM *multi;
        struct v2c_push_result *res;
        uint64_t chunk;
        const char *dest;
        int64_t started;         /* monotonic ms, for the rate */
        int64_t last_show;       /* the last progress drawn */
};

void v2c_push_result_release(struct v2c_push_result *r)
{
        free(r->pinned);
        free(r->manifest_media_type);
        for (unsigned i = 0; r->blob && i < r->blobs; i++) {
                free(r->blob[i].media_type);
                free(r->blob[i].mounted_from);
        }
        free(r->blob);
        *r = (struct v2c_push_result) { 0 };
}

/* What happened to each blob, for the caller (res->blob). */
static int record_blobs(const struct push *p, struct v2c_push_result *res, struct v2c_error **err)
{
        res->blob = calloc(p->n_jobs ? p->n_jobs : 1, sizeof *res->blob);
        if (res->blob == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        for (size_t i = 0; i < p->n_jobs; i++) {
                const struct blob_job *j = &p->jobs[i];
                struct v2c_push_blob *b = &res->blob[i];
                snprintf(b->digest, sizeof b->digest, "%s", j->digest);
                b->size = j->size;
                b->action = j->action;
                b->bytes_sent = j->sent;
                b->media_type = strdup(j->media_type ? j->media_type : "");
                if (b->media_type == NULL)
                        return v2c_error_set(err, ENOMEM, "out of memory");
                if (j->action == V2C_PUSH_MOUNTED && (b->mounted_from = strdup(p->mount_from[j->mount_idx])) == NULL)
                        return v2c_error_set(err, ENOMEM, "out of memory");
        }
        return 0;
}

/* ---- reading the layout ---- */

/* The manifest of image NAME in layout L: its bytes (checked against its
 * digest and size by the layout module), digest and media type. */
static int find_manifest(const struct v2c_oci_dir *l, const char *name, char **data, size_t *len, char **media_type,
                         char digest[72], struct v2c_error **err)
{
        struct v2c_oci_desc d;
        size_t n = v2c_oci_index_count(v2c_oci_dir_index(l));
        /* The module cannot know how a push names an image. */
        if (name == NULL && n != 1)
                return v2c_error_set_kind(err, V2C_ERR_USAGE, ENOENT, "`%s` holds %zu images: name one (DIR:NAME)",
                                          v2c_oci_dir_path(l), n);
        int r = v2c_oci_index_pick(v2c_oci_dir_index(l), name, &d, err);
        if (r < 0)
                return r;
        r = v2c_oci_dir_read_blob(l, &d, data, len, err);
        if (r < 0)
                return v2c_error_prefix(err, r, "manifest of `%s`", name ? name : v2c_oci_dir_path(l));
        memcpy(digest, d.digest, 72);
        *media_type = strdup(d.media_type ? d.media_type : V2C_MEDIA_OCI_MANIFEST);
        return *media_type ? 0 : v2c_error_set(err, ENOMEM, "out of memory");
}

/* ---- one blob's requests ---- */

static char *with_digest(const char *url, const char *digest)
{
        char *u = NULL;
        if (asprintf(&u, "%s%sdigest=%s", url, strchr(url, '?') ? "&" : "?", digest) < 0)
                return NULL;
        return u;
}

/* Builds the request of the job's state. */
static int job_request(struct push *p, struct blob_job *j, struct v2c_error **err)
{
        reg_req_release(&j->q);
        _cleanup_free_ char *url = NULL;
        const char *method = "GET";
        switch (j->st) {
        case B_HEAD:
                method = "HEAD";
                url = reg_url(&p->conn, "/v2/%s/blobs/%s", p->conn.repo, j->digest);
                break;
        case B_MOUNT:
                method = "POST";
                url = reg_url(&p->conn, "/v2/%s/blobs/uploads/?mount=%s&from=%s", p->conn.repo, j->digest,
                              p->mount_from[j->mount_idx]);
                break;
        case B_POST:
                method = "POST";
                url = reg_url(&p->conn, "/v2/%s/blobs/uploads/", p->conn.repo);
                break;
        case B_PUT:
                method = "PUT";
                url = with_digest(j->upload, j->digest);
                break;
        case B_PATCH:
                method = "PATCH";
                url = strdup(j->upload);
                break;
        case B_STATUS:
                method = "GET";
                url = strdup(j->upload);
                break;
        case B_FINAL:
                method = "PUT";
                url = with_digest(j->upload, j->digest);
                break;
        default:
                return 0;
        }
        if (url == NULL || reg_req_init(&j->q, method, url) < 0)
                return v2c_error_set(err, ENOMEM, "out of memory");
        j->q.owner = j;
        j->q.no_retry = true;   /* retries are the job's, not reg_perform's */
        if (j->st == B_PUT) {
                j->q.body_fd = j->fd;
                j->q.body_off = 0;
                j->q.body_len = j->size;
                j->q.content_type_out = strdup("application/octet-stream");
        } else if (j->st == B_PATCH) {
                uint64_t n = j->size - j->offset < j->chunk ? j->size - j->offset : j->chunk;
                j->q.body_fd = j->fd;
                j->q.body_off = j->offset;
                j->q.body_len = n;
                j->q.content_type_out = strdup("application/octet-stream");
                if (asprintf(&j->q.content_range, "%" PRIu64 "-%" PRIu64, j->offset, j->offset + n - 1) < 0)
                        j->q.content_range = NULL;
        } else if (j->st == B_FINAL) {
                j->q.body_mem = "";
                j->q.body_len = 0;
                j->q.content_type_out = strdup("application/octet-stream");
        }
        return reg_req_prepare(&p->conn, &j->q, err);
}

static int set_upload(struct push *p, struct blob_job *j, struct v2c_error **err)
{
        if (j->q.location == NULL)
                return v2c_error_set(err, EPROTO, "%s: the registry gave no upload Location", j->digest);
        char *u = NULL;
        int r = v2c_url_resolve(j->q.url, j->q.location, &u, err);
        if (r < 0)
                return v2c_error_prefix(err, r, "%s: upload Location", j->digest);
        free(j->upload);
        j->upload = u;
        (void) p;
        return 0;
}

/* "0-1234" -> 1235 bytes held; -1 when absent or malformed. */
static int64_t range_end(const char *range)
{
        if (range == NULL)
                return -1;
        const char *dash = strchr(range, '-');
        if (dash == NULL)
                return -1;
        char *end;
        unsigned long long v = strtoull(dash + 1, &end, 10);
        if (end == dash + 1)
                return -1;
        return (int64_t) v + 1;
}

static void start_upload(struct push *p, struct blob_job *j)
{
        j->offset = 0;
        j->chunk = p->chunk;
        if (j->q.chunk_min) {
                unsigned long long m = strtoull(j->q.chunk_min, NULL, 10);
                if (m > j->chunk && m < (1ull << 34))
                        j->chunk = m;
        }
        j->st = j->size <= j->chunk ? B_PUT : B_PATCH;
}

static void job_fail(struct blob_job *j, struct v2c_error *e)
{
        j->st = B_FAILED;
        j->err = e;
}

static void job_retry(struct push *p, struct blob_job *j, enum bstate next, struct v2c_error **err)
{
        if (j->attempts >= p->opt->retries) {
                const char *what = bstate_names[j->st];
                job_fail(j, *err ? *err : NULL);
                if (*err == NULL)
                        v2c_error_set(&j->err, EIO, "%s: %s gave up after %d attempts (HTTP %ld)", j->digest, what,
                                      j->attempts + 1, j->q.status);
                *err = NULL;
                return;
        }
        if (*err) {
                v2c_debug("%s: %s: %s; retrying", j->digest, bstate_names[j->st], (*err)->msg);
                *err = v2c_error_free(*err);
        } else
                v2c_debug("%s: %s: HTTP %ld; retrying", j->digest, bstate_names[j->st], j->q.status);
        j->not_before = v2c_monotonic_ms() + reg_backoff_ms(&j->q, j->attempts);
        j->attempts++;
        j->st = next;
}

/* What a finished request means for its job. */
static void job_advance(struct push *p, struct blob_job *j, int status, struct v2c_error **err)
{
        enum bstate st = j->st;
        struct v2c_error *e = NULL;
        if (st == B_PUT || st == B_PATCH) {
                p->res->bytes_sent += j->q.body_sent;
                j->sent += j->q.body_sent;
        }
        if (status < 0) {
                /* A broken connection: an upload asks where it stands. */
                enum bstate next = st == B_PATCH || st == B_STATUS ? B_STATUS : st == B_PUT || st == B_FINAL ? B_POST : st;
                if (next == B_STATUS && j->upload == NULL)
                        next = B_POST;
                job_retry(p, j, next, err);
                return;
        }
        if (status == 401 && !j->reauthed) {
                if (!reg_from_registry(&p->conn, &j->q)) {
                        /* An upload Location on another host asking for credentials. */
                        reg_foreign_401(&p->conn, &j->q, &e);
                        job_fail(j, e);
                        return;
                }
                j->reauthed = true;
                int r = reg_authenticate(&p->conn, j->q.www_auth, err);
                if (r < 0) {
                        job_fail(j, *err);
                        *err = NULL;
                }
                return;   /* the same state again, with the new token */
        }
        if (reg_status_retriable(status) && st != B_MOUNT) {
                enum bstate next = st == B_PATCH ? B_STATUS : st == B_PUT ? B_POST : st;
                job_retry(p, j, next, err);
                return;
        }
        j->reauthed = false;
        switch (st) {
        case B_HEAD:
                if (status == 200) {
                        p->res->skipped++;
                        j->action = V2C_PUSH_SKIPPED;
                        j->st = B_DONE;
                } else if (status == 404)
                        j->st = p->mount_from && p->mount_from[0] ? B_MOUNT : B_POST;
                else
                        goto unexpected;
                return;
        case B_MOUNT:
                if (status == 201) {
                        p->res->mounted++;
                        j->action = V2C_PUSH_MOUNTED;
                        j->st = B_DONE;
                        return;
                }
                if (status == 202 && set_upload(p, j, &e) == 0) {
                        start_upload(p, j);
                        return;
                }
                v2c_error_free(e);
                /* Refused (401 for a repository we may not read, 404, ...):
                 * the next source, then a plain upload. */
                j->mount_idx++;
                j->st = p->mount_from[j->mount_idx] ? B_MOUNT : B_POST;
                return;
        case B_POST:
                if (status != 202)
                        goto unexpected;
                if (set_upload(p, j, &e) < 0) {
                        job_fail(j, e);
                        return;
                }
                start_upload(p, j);
                return;
        case B_PUT:
        case B_FINAL:
                if (status == 201 || status == 204) {
                        if (j->q.content_digest && strcmp(j->q.content_digest, j->digest) != 0) {
                                v2c_error_set(&e, EPROTO, "%s: the registry stored it as %s", j->digest,
                                              j->q.content_digest);
                                job_fail(j, e);
                                return;
                        }
                        p->res->uploaded++;
                        j->action = V2C_PUSH_UPLOADED;
                        j->st = B_DONE;
                        return;
                }
                if (status == 404 || status == 400 || status == 416) {
                        /* The session is gone or the bytes did not add up:
                         * a new upload from the start. */
                        job_retry(p, j, B_POST, err);
                        return;
                }
                goto unexpected;
        case B_PATCH:
                if (status == 202 || status == 204) {
                        if (j->q.location) {
                                if (set_upload(p, j, &e) < 0) {
                                        job_fail(j, e);
                                        return;
                                }
                        }
                        int64_t held = range_end(j->q.range);
                        uint64_t before = j->offset;
                        j->offset = held >= 0 ? (uint64_t) held : j->offset + j->q.body_sent;
                        if (j->offset > before)
                                j->attempts = 0;   /* progress: the retry budget is per chunk */
                        j->st = j->offset >= j->size ? B_FINAL : B_PATCH;
                        return;
                }
                if (status == 416) {
                        j->st = B_STATUS;
                        return;
                }
                if (status == 404) {
                        job_retry(p, j, B_POST, err);
                        return;
                }
                goto unexpected;
        case B_STATUS:
                if (status == 204 || status == 202) {
                        if (j->q.location && set_upload(p, j, &e) < 0) {
                                job_fail(j, e);
                                return;
                        }
                        int64_t held = range_end(j->q.range);
                        j->offset = held >= 0 ? (uint64_t) held : 0;
                        v2c_debug("%s: resuming the upload at byte %" PRIu64, j->digest, j->offset);
                        j->st = j->offset >= j->size ? B_FINAL : B_PATCH;
                        return;
                }
                job_retry(p, j, B_POST, err);
                return;
        default:
                return;
        }
unexpected:;
        _cleanup_free_ char *why = reg_reply_error(&j->q);
        if (status == 401 || status == 403) {
                v2c_error_set_kind(&e, V2C_ERR_REFUSED, EACCES,
                                   "%s does not let us push to %s (HTTP %d: %s)%s", p->conn.host, p->conn.repo, status,
                                   why ? why : "", p->conn.user ? "" : ": give credentials (--creds, auth.json)");
                job_fail(j, e);
                return;
        }
        v2c_error_set(&e, EPROTO, "%s: %s %s answered %d (%s)", j->digest, j->q.method, j->q.url, status,
                      why ? why : "");
        job_fail(j, e);
}

/* Before a blob's bytes go up: a corrupt layout is found here, as
 * unusable input, not by the registry's 400 after every retry. */
static int verify_blob(struct push *p, struct blob_job *j, struct v2c_error **err)
{
        struct v2c_oci_desc d = { .media_type = j->media_type, .size = j->size };
        memcpy(d.digest, j->digest, sizeof d.digest);
        int r = v2c_oci_check_blob_fd(j->fd, &d, p->layout, err);
        if (r < 0)
                return r;
        j->verified = true;
        return 0;
}

/* Bytes of J the registry holds or is being sent. */
static uint64_t job_bytes(const struct blob_job *j)
{
        if (j->st == B_DONE)
                return j->size;
        uint64_t n = j->offset;
        if (j->active && (j->st == B_PUT || j->st == B_PATCH))
                n += j->q.body_sent;
        return n < j->size ? n : j->size;
}

/* Where the push stands, for progress on a terminal (common/progress
 * decides whether it is drawn, and throttles): a line for the whole, one
 * per blob in flight (at most --parallel of them). */
static void show_push(struct push *p)
{
        int64_t now = v2c_monotonic_ms();
        if (!v2c_progress_enabled() || now - p->last_show < 100)
                return;
        p->last_show = now;
        uint64_t total = 0, held = 0;
        size_t done = 0;
        struct v2c_buf b;
        v2c_buf_init(&b, 8192);
        for (size_t i = 0; i < p->n_jobs; i++) {
                const struct blob_job *j = &p->jobs[i];
                total += j->size;
                held += job_bytes(j);
                done += j->st == B_DONE;
                if (!j->active || j->st == B_DONE)
                        continue;
                char got[16], size[16], rate[24];
                bool sending = j->st == B_PUT || j->st == B_PATCH;
                v2c_buf_appendf(&b, "\n  %.19s  %-6s %s / %s  %s", j->digest, bstate_names[j->st],
                               v2c_progress_bytes(job_bytes(j), got, sizeof got),
                               v2c_progress_bytes(j->size, size, sizeof size),
                               sending && j->upload_started ? v2c_progress_rate(job_bytes(j), now - j->upload_started,
                                                                                rate, sizeof rate)
                                                            : "");
        }
        char h[16], t[16], rate[24];
        v2c_progress_show(false, "pushing %s: %zu of %zu blobs, %s of %s, %s%s", p->dest, done, p->n_jobs,
                          v2c_progress_bytes(held, h, sizeof h), v2c_progress_bytes(total, t, sizeof t),
                          v2c_progress_rate(p->res->bytes_sent, now - p->started, rate, sizeof rate),
                          b.data ? b.data : "");
        v2c_buf_release(&b);
}

static int run_jobs(struct push *p, struct v2c_error **err)
{
        p->multi = curl_multi_init();
        if (p->multi == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        int parallel = p->opt->parallel > 0 ? p->opt->parallel : DEFAULT_PARALLEL;
        int active = 0;
        struct blob_job *failed = NULL;
        for (;;) {
                bool pending = false;
                int64_t now = v2c_monotonic_ms();
                for (size_t i = 0; i < p->n_jobs; i++) {
                        struct blob_job *j = &p->jobs[i];
                        if (j->st == B_DONE || j->st == B_FAILED) {
                                if (j->st == B_FAILED && failed == NULL)
                                        failed = j;
                                continue;
                        }
                        pending = true;
                        if (j->active || failed || active >= parallel || j->not_before > now)
                                continue;
                        if (!j->verified && (j->st == B_POST || j->st == B_PUT || j->st == B_PATCH)) {
                                struct v2c_error *e = NULL;
                                if (verify_blob(p, j, &e) < 0) {
                                        job_fail(j, e);
                                        failed = j;
                                        continue;
                                }
                        }
                        int r = job_request(p, j, err);
                        if (r < 0)
                                return r;
                        if (j->upload_started == 0 && (j->st == B_PUT || j->st == B_PATCH))
                                j->upload_started = v2c_monotonic_ms();
                        curl_multi_add_handle(p->multi, j->q.easy);
                        j->active = true;
                        active++;
                }
                if (active == 0 && (failed || !pending))
                        break;
                int running = 0;
                curl_multi_perform(p->multi, &running);
                CURLMsg *m;
                int left;
                while ((m = curl_multi_info_read(p->multi, &left))) {
                        if (m->msg != CURLMSG_DONE)
                                continue;
                        struct reg_req *q = NULL;
                        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **) &q);
                        struct blob_job *j = q->owner;
                        CURLcode res = m->data.result;
                        curl_multi_remove_handle(p->multi, m->easy_handle);
                        j->active = false;
                        active--;
                        struct v2c_error *e = NULL;
                        int status = reg_req_finish(&j->q, res, &e);
                        job_advance(p, j, status, &e);
                        v2c_error_free(e);
                }
                curl_multi_poll(p->multi, NULL, 0, 10, NULL);
                show_push(p);
        }
        curl_multi_cleanup(p->multi);
        p->multi = NULL;
        if (failed) {
                *err = failed->err;
                failed->err = NULL;
                if (*err == NULL)
                        v2c_error_set(err, EIO, "%s: upload failed", failed->digest);
                return -EIO;
        }
        return 0;
}

static int put_manifest(struct push *p, const char *ref, const char *data, size_t len, const char *media_type,
                        const char *digest, struct v2c_error **err)
{
        _cleanup_free_ char *url = reg_url(&p->conn, "/v2/%s/manifests/%s", p->conn.repo, ref);
        struct reg_req q;
        if (url == NULL || reg_req_init(&q, "PUT", url) < 0)
                return v2c_error_set(err, ENOMEM, "out of memory");
        q.body_mem = data;
        q.body_len = len;
        q.content_type_out = strdup(media_type);
        int status = reg_perform(&p->conn, &q, err);
        int r = 0;
        if (status < 0)
                r = v2c_error_prefix(err, status, "putting the manifest");
        else if (status != 201 && status != 200) {
                _cleanup_free_ char *why = reg_reply_error(&q);
                r = v2c_error_set(err, EPROTO, "%s refused the manifest %s (HTTP %d: %s)", p->conn.host, ref, status,
                                  why ? why : "");
        } else if (q.content_digest && strcmp(q.content_digest, digest) != 0)
                r = v2c_error_set(err, EPROTO, "%s stored the manifest as %s, not %s", p->conn.host, q.content_digest,
                                  digest);
        reg_req_release(&q);
        return r;
}

static bool manifest_present(struct push *p, const char *digest, const char *media_type)
{
        _cleanup_free_ char *url = reg_url(&p->conn, "/v2/%s/manifests/%s", p->conn.repo, digest);
        struct reg_req q;
        if (url == NULL || reg_req_init(&q, "HEAD", url) < 0)
                return false;
        q.accept = strdup(media_type);
        struct v2c_error *e = NULL;
        int status = reg_perform(&p->conn, &q, &e);
        v2c_error_free(e);
        bool there = status == 200 && (q.content_digest == NULL || strcmp(q.content_digest, digest) == 0);
        reg_req_release(&q);
        return there;
}

int v2c_push(const char *layout, const char *name, const char *dest, char *const *mount_from,
             const struct v2c_registry_options *opt_in, struct v2c_push_result *res, struct v2c_error **err)
{
        struct v2c_registry_options opt = *opt_in;
        if (opt.retries <= 0)
                opt.retries = DEFAULT_RETRIES;
        struct v2c_ref ref = { 0 };
        struct push p = { .layout = layout, .opt = &opt, .res = res, .mount_from = mount_from, .dest = dest,
                          .started = v2c_monotonic_ms() };
        _cleanup_free_ char *mdata = NULL, *mtype = NULL;
        size_t mlen = 0;
        char mdigest[72];
        struct v2c_manifest *man = NULL;
        _cleanup_(v2c_oci_dir_closep) struct v2c_oci_dir *dir = NULL;
        *res = (struct v2c_push_result) { 0 };
        int r = v2c_ref_parse(dest, &ref, err);
        if (r < 0)
                return r;
        r = v2c_oci_dir_open(layout, &dir, err);
        if (r >= 0)
                r = find_manifest(dir, name, &mdata, &mlen, &mtype, mdigest, err);
        if (r < 0)
                goto out;
        if (ref.digest && strcmp(ref.digest, mdigest) != 0) {
                r = v2c_error_set_kind(err, V2C_ERR_USAGE, EINVAL, "%s names %s, but the image is %s", dest, ref.digest,
                                       mdigest);
                goto out;
        }
        r = v2c_manifest_parse(mdata, mlen, mtype, &man, err);
        if (r < 0 || man->kind != V2C_MANIFEST_IMAGE) {
                if (r >= 0)
                        r = v2c_error_set_kind(err, V2C_ERR_INPUT, EINVAL, "`%s`: an index, not an image", layout);
                goto out;
        }
        p.chunk = opt.chunk_size ? opt.chunk_size : DEFAULT_CHUNK;
        p.jobs = calloc(man->n_layers + 1, sizeof *p.jobs);
        if (p.jobs == NULL) {
                r = v2c_error_set(err, ENOMEM, "out of memory");
                goto out;
        }
        for (size_t i = 0; i <= man->n_layers; i++) {
                const struct v2c_mdesc *d = i == 0 ? &man->config : &man->layers[i - 1];
                bool dup = false;
                for (size_t k = 0; k < p.n_jobs; k++)
                        dup |= strcmp(p.jobs[k].digest, d->digest) == 0;
                if (dup)
                        continue;
                struct blob_job *j = &p.jobs[p.n_jobs++];
                /* Skipped unless a request says otherwise: when the
                 * manifest is there already, none is made. */
                *j = (struct blob_job) { .digest = d->digest, .media_type = d->media_type, .size = d->size, .fd = -1,
                                         .action = V2C_PUSH_SKIPPED };
                j->q.body_fd = j->q.sink_fd = -1;
                struct v2c_oci_desc od = { .media_type = d->media_type, .size = d->size };
                /* The manifest parser checked the digest; the module does again. */
                snprintf(od.digest, sizeof od.digest, "%s", d->digest);
                /* Its bytes are hashed before they go up (verify_blob). */
                r = v2c_oci_dir_open_blob(dir, &od, &j->fd, err);
                if (r < 0)
                        goto out;
        }
        res->blobs = (unsigned) p.n_jobs;

        r = reg_conn_init(&p.conn, &ref, &opt, err);
        for (size_t i = 0; r >= 0 && mount_from && mount_from[i]; i++) {
                char scope[1024];
                snprintf(scope, sizeof scope, "repository:%s:pull", mount_from[i]);
                if (strcmp(mount_from[i], ref.repo) != 0 && reg_conn_add_scope(&p.conn, scope) < 0)
                        r = v2c_error_set(err, ENOMEM, "out of memory");
        }
        if (r >= 0)
                r = reg_ping(&p.conn, err);
        if (r < 0)
                goto out;
        /* Ask for the push scope before the first blob. */
        if (p.conn.auth == NULL || p.conn.basic) {
                /* Anonymous or Basic so far: a HEAD of the first blob will
                 * get the challenge if the repository needs a token. */
        }
        /* The manifest already there under its digest: the registry holds
         * every blob it names (it refuses a manifest otherwise). */
        bool present = manifest_present(&p, mdigest, mtype);
        if (present)
                res->skipped = res->blobs;
        else {
                r = run_jobs(&p, err);
                if (r < 0) {
                        v2c_error_prefix(err, r, "pushing to %s/%s", ref.host, ref.repo);
                        goto out;
                }
        }
        /* Every blob is there: the manifest, by digest, then the tag. */
        if (!present)
                r = put_manifest(&p, mdigest, mdata, mlen, mtype, mdigest, err);
        if (r >= 0 && ref.tag)
                r = put_manifest(&p, ref.tag, mdata, mlen, mtype, mdigest, err);
        if (r >= 0)
                r = record_blobs(&p, res, err);
        if (r < 0)
                goto out;
        memcpy(res->manifest_digest, mdigest, sizeof res->manifest_digest);
        res->manifest_media_type = TAKE_PTR(mtype);
        res->manifest_size = mlen;
        res->manifest_put = !present;
        res->pinned = v2c_ref_format_pinned(&ref, mdigest);
        res->token_fetches = p.conn.token_fetches;
        if (res->pinned == NULL)
                r = v2c_error_set(err, ENOMEM, "out of memory");
out:
        if (r < 0)
                v2c_push_result_release(res);
        for (size_t i = 0; i < p.n_jobs; i++) {
                reg_req_release(&p.jobs[i].q);
                free(p.jobs[i].upload);
                v2c_error_free(p.jobs[i].err);
                if (p.jobs[i].fd >= 0)
                        close(p.jobs[i].fd);
        }
        free(p.jobs);
        if (p.multi)
                curl_multi_cleanup(p.multi);
        reg_conn_release(&p.conn);
        v2c_manifest_free(man);
        v2c_ref_release(&ref);
        return r;
}
