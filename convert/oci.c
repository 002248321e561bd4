/* OCI image layout writer; see oci.h. */
#include "oci.h"
#include "cleanup.h"
#include "fsutil.h"
#include "json.h"
#include "oci-layout.h"
#include "sha256.h"
#include "signal-cleanup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_IMAGES 1024

struct v2c_oci_layout {
        char *dir;        /* final place */
        char *tmp;        /* where it is built */
        char *blobs;      /* tmp/blobs/sha256 */
        bool force;
        json_t *manifests;
};

void v2c_rfc3339(int64_t t, char buf[21])
{
        time_t tt = (time_t) t;
        struct tm tm;
        gmtime_r(&tt, &tm);
        strftime(buf, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The parts of a layout v2c writes, as its directories nest: AREA_TOP
 * holds index.json, oci-layout, blobs/ and v2c/; blobs/ one directory per
 * digest algorithm; those the blobs, named by their hex digest; v2c/ the
 * side files of convert.c and pods.c, and push's record pushes.json. */
enum area { AREA_FILE, AREA_TOP, AREA_BLOBS, AREA_ALGORITHM, AREA_SIDE };

static bool all_of(const char *s, const char *set)
{
        return *s && strspn(s, set) == strlen(s);
}

static bool side_file_name(const char *name)
{
        static const char *const suffixes[] = { ".spdx.json", ".k8s.yaml", ".env.template" };
        /* pushes.json: `v2c push` records there where the layout went
         * (cli/cmd-registry.c); a pushed layout is still one v2c wrote. */
        if (strcmp(name, "lock.json") == 0 || strcmp(name, "links.json") == 0 || strcmp(name, "pushes.json") == 0)
                return true;
        size_t n = strlen(name);
        for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
                size_t k = strlen(suffixes[i]);
                if (n > k && strcmp(name + n - k, suffixes[i]) == 0)
                        return true;
        }
        return false;
}

/* Where entry NAME (ST, not followed) of a directory of area IN belongs:
 * the area its contents are (a directory), AREA_FILE, or -1 when a layout
 * v2c wrote would not hold it. */
static int layout_area(enum area in, const char *name, const struct stat *st)
{
        bool dir = S_ISDIR(st->st_mode), reg = S_ISREG(st->st_mode);
        switch (in) {
        case AREA_TOP:
                if (dir)
                        return strcmp(name, "blobs") == 0 ? AREA_BLOBS : strcmp(name, "v2c") == 0 ? AREA_SIDE : -1;
                return reg && (strcmp(name, "index.json") == 0 || strcmp(name, "oci-layout") == 0) ? AREA_FILE : -1;
        case AREA_BLOBS:
                return dir && all_of(name, "abcdefghijklmnopqrstuvwxyz0123456789") ? AREA_ALGORITHM : -1;
        case AREA_ALGORITHM:
                return reg && all_of(name, "0123456789abcdef") ? AREA_FILE : -1;
        case AREA_SIDE:
                return reg && side_file_name(name) ? AREA_FILE : -1;
        case AREA_FILE:
                break;
        }
        return -1;
}

/* Walks directory FD (REL below the target; takes FD) of area IN: counts
 * its entries into *n and sets *foreign (new) to the first one a layout
 * v2c wrote would not hold.  A symlink is foreign: nothing is followed. */
static int scan_layout(int fd, const char *rel, enum area in, size_t *n, char **foreign, struct v2c_error **err)
{
        _cleanup_closedir_ DIR *d = fdopendir(fd);
        if (d == NULL) {
                int e = errno;
                close(fd);
                return v2c_error_set(err, e, "cannot read `%s`: %m", rel);
        }
        struct dirent *de;
        for (errno = 0; (de = readdir(d)) != NULL; errno = 0) {
                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                (*n)++;
                _cleanup_free_ char *path = NULL;
                if (asprintf(&path, "%s/%s", rel, de->d_name) < 0)
                        return v2c_error_set(err, ENOMEM, "out of memory");
                struct stat st;
                if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        return v2c_error_set(err, errno, "cannot stat `%s`: %m", path);
                int sub = layout_area(in, de->d_name, &st);
                if (sub < 0) {
                        *foreign = TAKE_PTR(path);
                        return 0;
                }
                if (sub == AREA_FILE)
                        continue;
                int dfd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (dfd < 0)
                        return v2c_error_set(err, errno, "cannot open `%s`: %m", path);
                int r = scan_layout(dfd, path, (enum area) sub, n, foreign, err);
                if (r < 0 || *foreign)
                        return r;
        }
        return errno ? v2c_error_set(err, errno, "cannot read `%s`: %m", rel) : 0;
}

int v2c_oci_layout_check_target(const char *dir, bool force, struct v2c_error **err)
{
        if (dir == NULL || *dir == '\0')
                return v2c_error_set_kind(err, V2C_ERR_USAGE, EINVAL, "the output directory is an empty name");
        struct stat st;
        if (lstat(dir, &st) < 0)
                return errno == ENOENT ? 0 : v2c_error_set(err, errno, "cannot stat `%s`: %m", dir);
        if (!S_ISDIR(st.st_mode))
                return v2c_error_set_kind(err, V2C_ERR_REFUSED, EEXIST, "`%s` exists and is not a directory", dir);
        int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return v2c_error_set(err, errno, "cannot open `%s`: %m", dir);
        size_t n = 0;
        _cleanup_free_ char *foreign = NULL;
        int r = scan_layout(fd, dir, AREA_TOP, &n, &foreign, err);
        if (r < 0)
                return r;
        if (foreign)
                return v2c_error_set_kind(err, V2C_ERR_REFUSED, EEXIST,
                                          "`%s` holds `%s`, which is not part of an OCI layout v2c wrote: refusing "
                                          "to replace it%s",
                                          dir, foreign, force ? " (--force replaces only such a layout)" : "");
        if (n == 0 || force)
                return 0;
        return v2c_error_set_kind(err, V2C_ERR_REFUSED, EEXIST, "`%s` already holds an OCI layout (--force replaces it)",
                                  dir);
}

int v2c_oci_layout_create(const char *dir, bool force, struct v2c_oci_layout **out, struct v2c_error **err)
{
        int r = v2c_oci_layout_check_target(dir, force, err);
        if (r < 0)
                return r;
        struct v2c_oci_layout *l = calloc(1, sizeof *l);
        if (l == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        l->force = force;
        l->dir = strdup(dir);
        l->manifests = json_array();
        size_t n = strlen(dir);
        while (n > 1 && dir[n - 1] == '/')
                n--;
        if (l->dir == NULL || l->manifests == NULL || asprintf(&l->tmp, "%.*s.v2c-tmp-XXXXXX", (int) n, dir) < 0) {
                l->tmp = NULL;
                v2c_oci_layout_abort(l);
                return v2c_error_set(err, ENOMEM, "out of memory");
        }
        if (v2c_signal_cleanup_mkdtemp(l->tmp) == NULL) {
                r = v2c_error_set(err, errno, "cannot create `%s`: %m", l->tmp);
                free(l->tmp);
                l->tmp = NULL;
                v2c_oci_layout_abort(l);
                return r;
        }
        if (asprintf(&l->blobs, "%s/blobs/sha256", l->tmp) < 0) {
                l->blobs = NULL;
                v2c_oci_layout_abort(l);
                return v2c_error_set(err, ENOMEM, "out of memory");
        }
        r = v2c_oci_layout_mkdirs(l->tmp, err);
        if (r < 0) {
                v2c_oci_layout_abort(l);
                return r;
        }
        *out = l;
        return 0;
}

const char *v2c_oci_layout_blobs(const struct v2c_oci_layout *l)
{
        return l->blobs;
}

const char *v2c_oci_layout_tmpdir(const struct v2c_oci_layout *l)
{
        return l->tmp;
}

void v2c_oci_layout_abort(struct v2c_oci_layout *l)
{
        if (l == NULL)
                return;
        if (l->tmp) {
                v2c_remove_tree(l->tmp);
                v2c_signal_cleanup_forget(l->tmp);
        }
        free(l->dir);
        free(l->tmp);
        free(l->blobs);
        json_decref(l->manifests);
        free(l);
}

/* Compact, key order as built: the bytes (so the digests) are stable. */
static char *dump_compact(const json_t *j)
{
        return json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
}

static int write_json_blob(struct v2c_oci_layout *l, const json_t *j, const char *media_type,
                           struct v2c_descriptor *d, struct v2c_error **err)
{
        _cleanup_free_ char *s = dump_compact(j);
        if (s == NULL)
                return v2c_error_set(err, ENOMEM, "cannot serialise JSON");
        size_t len = strlen(s);
        int r = v2c_oci_write_blob(l->tmp, s, len, d->digest, err);
        if (r < 0)
                return r;
        d->media_type = media_type;
        d->size = len;
        return 0;
}

static json_t *descriptor_json(const char *media_type, const char *digest, uint64_t size)
{
        json_t *o = json_object();
        json_object_set_new(o, "mediaType", json_string(media_type));
        json_object_set_new(o, "digest", json_string(digest));
        json_object_set_new(o, "size", json_integer((json_int_t) size));
        return o;
}

static json_t *labels_json(char *const *labels)
{
        json_t *o = json_object();
        for (size_t i = 0; labels && labels[i]; i++) {
                const char *eq = strchr(labels[i], '=');
                if (eq == NULL)
                        continue;
                _cleanup_free_ char *k = strndup(labels[i], (size_t) (eq - labels[i]));
                if (k)
                        json_object_set_new(o, k, json_string(eq + 1));
        }
        return o;
}

int v2c_oci_add_image(struct v2c_oci_layout *l, const struct v2c_image_spec *spec, struct v2c_descriptor *manifest,
                      struct v2c_descriptor *config, struct v2c_error **err)
{
        if (json_array_size(l->manifests) >= MAX_IMAGES)
                return v2c_error_set(err, E2BIG, "too many images in one layout");
        char created[21];
        v2c_rfc3339(spec->created, created);

        _cleanup_json_ json_t *cfg = json_object();
        json_object_set_new(cfg, "created", json_string(created));
        json_object_set_new(cfg, "architecture", json_string(spec->architecture ? spec->architecture : "amd64"));
        json_object_set_new(cfg, "os", json_string(spec->os ? spec->os : "linux"));
        json_t *c = json_object();
        if (spec->user)
                json_object_set_new(c, "User", json_string(spec->user));
        if (spec->n_ports) {
                json_t *ports = json_object();
                for (size_t i = 0; i < spec->n_ports; i++) {
                        char k[16];
                        snprintf(k, sizeof k, "%u/tcp", spec->ports[i]);
                        json_object_set_new(ports, k, json_object());
                }
                json_object_set_new(c, "ExposedPorts", ports);
        }
        if (spec->env)
                json_object_set_new(c, "Env", v2c_json_strv(spec->env));
        if (spec->entrypoint)
                json_object_set_new(c, "Entrypoint", v2c_json_strv(spec->entrypoint));
        if (spec->cmd)
                json_object_set_new(c, "Cmd", v2c_json_strv(spec->cmd));
        if (spec->volumes && spec->volumes[0]) {
                json_t *v = json_object();
                for (size_t i = 0; spec->volumes[i]; i++)
                        json_object_set_new(v, spec->volumes[i], json_object());
                json_object_set_new(c, "Volumes", v);
        }
        if (spec->working_dir)
                json_object_set_new(c, "WorkingDir", json_string(spec->working_dir));
        if (spec->labels && spec->labels[0])
                json_object_set_new(c, "Labels", labels_json(spec->labels));
        if (spec->stop_signal)
                json_object_set_new(c, "StopSignal", json_string(spec->stop_signal));
        json_object_set_new(cfg, "config", c);
        json_t *rootfs = json_object();
        json_object_set_new(rootfs, "type", json_string("layers"));
        json_t *ids = json_array();
        for (size_t i = 0; i < spec->n_layers; i++)
                json_array_append_new(ids, json_string(spec->layers[i].diff_id));
        json_object_set_new(rootfs, "diff_ids", ids);
        json_object_set_new(cfg, "rootfs", rootfs);
        json_t *hist = json_array();
        for (size_t i = 0; i < spec->n_layers; i++) {
                json_t *h = json_object();
                json_object_set_new(h, "created", json_string(created));
                json_object_set_new(h, "created_by", json_string("v2c convert"));
                json_array_append_new(hist, h);
        }
        json_object_set_new(cfg, "history", hist);

        struct v2c_descriptor cd;
        int r = write_json_blob(l, cfg, V2C_MEDIA_CONFIG, &cd, err);
        if (r < 0)
                return r;

        _cleanup_json_ json_t *m = json_object();
        json_object_set_new(m, "schemaVersion", json_integer(2));
        json_object_set_new(m, "mediaType", json_string(V2C_MEDIA_MANIFEST));
        json_object_set_new(m, "config", descriptor_json(cd.media_type, cd.digest, cd.size));
        json_t *layers = json_array();
        for (size_t i = 0; i < spec->n_layers; i++)
                json_array_append_new(layers, descriptor_json(spec->layers[i].media_type, spec->layers[i].digest,
                                                              spec->layers[i].size));
        json_object_set_new(m, "layers", layers);
        if (spec->labels && spec->labels[0])
                json_object_set_new(m, "annotations", labels_json(spec->labels));
        struct v2c_descriptor md;
        r = write_json_blob(l, m, V2C_MEDIA_MANIFEST, &md, err);
        if (r < 0)
                return r;

        json_t *entry = descriptor_json(md.media_type, md.digest, md.size);
        if (spec->ref_name) {
                json_t *ann = json_object();
                json_object_set_new(ann, V2C_OCI_REF_NAME, json_string(spec->ref_name));
                json_object_set_new(entry, "annotations", ann);
        }
        json_t *platform = json_object();
        json_object_set_new(platform, "architecture", json_string(spec->architecture ? spec->architecture : "amd64"));
        json_object_set_new(platform, "os", json_string(spec->os ? spec->os : "linux"));
        json_object_set_new(entry, "platform", platform);
        json_array_append_new(l->manifests, entry);
        if (manifest)
                *manifest = md;
        if (config)
                *config = cd;
        return 0;
}

static int fsync_dir(const char *path)
{
        int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        int r = fsync(fd) < 0 ? -errno : 0;
        close(fd);
        return r;
}

int v2c_oci_layout_commit(struct v2c_oci_layout *l, struct v2c_error **err)
{
        int r;
        _cleanup_free_ char *old = NULL;
        r = v2c_oci_write_index(l->tmp, l->manifests, err);
        if (r < 0)
                goto fail;
        fsync_dir(l->blobs);
        fsync_dir(l->tmp);
        if (chmod(l->tmp, 0755) < 0) {
                r = v2c_error_set(err, errno, "chmod `%s`: %m", l->tmp);
                goto fail;
        }
        /* Replace: move the old layout aside, the new one in, then drop the
         * old one; a crash in between leaves one of the two complete.  A
         * signal waits for the swap (it would otherwise remove the new
         * layout with the old one aside), then removes the old one. */
        v2c_signal_cleanup_hold();
        /* Checked again: DIR may have changed since the conversion began. */
        r = v2c_oci_layout_check_target(l->dir, l->force, err);
        if (r < 0) {
                v2c_signal_cleanup_release();
                goto fail;
        }
        struct stat st;
        if (lstat(l->dir, &st) == 0) {
                if (asprintf(&old, "%s.v2c-old-XXXXXX", l->dir) < 0) {
                        old = NULL;
                        errno = ENOMEM;
                }
                if (old == NULL || mkdtemp(old) == NULL || rename(l->dir, old) < 0) {
                        r = v2c_error_set(err, errno, "moving the old `%s` aside: %m", l->dir);
                        if (old)
                                rmdir(old);
                        v2c_signal_cleanup_release();
                        goto fail;
                }
        }
        if (rename(l->tmp, l->dir) < 0) {
                r = v2c_error_set(err, errno, "moving the layout into `%s`: %m", l->dir);
                if (old)
                        rename(old, l->dir);
                v2c_signal_cleanup_release();
                goto fail;
        }
        v2c_signal_cleanup_forget(l->tmp);
        if (old)
                v2c_signal_cleanup_add(old);
        v2c_signal_cleanup_release();
        if (old) {
                v2c_remove_tree(old);
                v2c_signal_cleanup_forget(old);
        }
        free(l->tmp);
        l->tmp = NULL;
        v2c_oci_layout_abort(l);
        return 0;
fail:
        v2c_oci_layout_abort(l);
        return r;
}
