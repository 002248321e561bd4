/* A test and benchmark tool over convert/: builds one layer from a host
 * directory tree with v2c's layer writer, and optionally a whole image.
 *
 *   mkimage [--gzip] [--threads N] [--level N] DIR BLOBS_DIR
 *       one layer blob in BLOBS_DIR (bench/convert)
 *   mkimage [...] --layout LAYOUT --name NAME [--entrypoint PATH] DIR
 *       an OCI layout holding one image of one layer (the OCI tests)
 *   --guest: DIR is a guest (directory, tar or disk images), read through
 *       common/guest.h as v2c convert will; the same tree gives the same
 *       layer whichever reader serves it
 *
 * Prints the digest, diff_id and sizes (and the manifest digest).  Not a
 * product command: `v2c convert` reads guests; this reads host trees so
 * the writer can be measured and checked on its own. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "guest.h"
#include "layer.h"
#include "oci.h"

struct fd_src {
        int fd;
};

static int fd_read(void *ctx, void *buf, size_t n, size_t *got, struct v2c_error **err)
{
        struct fd_src *s = ctx;
        for (;;) {
                ssize_t k = read(s->fd, buf, n);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return v2c_error_set(err, errno, "read: %m");
                *got = (size_t) k;
                return 0;
        }
}

/* Hardlinks: the first path seen for a (dev, ino) carries the data, later
 * ones link to it, as tar does. */
struct seen {
        dev_t dev;
        ino_t ino;
        char *path;
};
static struct seen *seen;
static size_t nseen, capseen;

static const char *first_link(const struct stat *st, const char *path)
{
        for (size_t i = 0; i < nseen; i++)
                if (seen[i].dev == st->st_dev && seen[i].ino == st->st_ino)
                        return seen[i].path;
        if (nseen == capseen) {
                capseen = capseen ? capseen * 2 : 64;
                seen = realloc(seen, capseen * sizeof *seen);
        }
        seen[nseen++] = (struct seen) { st->st_dev, st->st_ino, strdup(path) };
        return NULL;
}

static int cmp_names(const struct dirent **a, const struct dirent **b)
{
        return strcmp((*a)->d_name, (*b)->d_name);
}

static int walk(struct v2c_layer_writer *w, int dirfd, const char *rel, struct v2c_error **err)
{
        struct dirent **ents;
        char path[8192];
        snprintf(path, sizeof path, "/proc/self/fd/%d", dirfd);
        int n = scandir(path, &ents, NULL, cmp_names);
        if (n < 0)
                return v2c_error_set(err, errno, "scandir %s: %m", rel);
        int r = 0;
        for (int i = 0; i < n; i++) {
                const char *name = ents[i]->d_name;
                if (r < 0 || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
                        goto next;
                struct stat st;
                if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        goto next;
                char child[8192];
                snprintf(child, sizeof child, "%s%s%s", rel, *rel ? "/" : "", name);
                struct v2c_layer_entry e = { .path = child, .mode = st.st_mode & 07777, .uid = st.st_uid,
                                             .gid = st.st_gid, .mtime = st.st_mtim.tv_sec };
                if (S_ISDIR(st.st_mode)) {
                        e.type = V2C_LAYER_DIR;
                        r = v2c_layer_add(w, &e, NULL, err);
                        int sub = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        if (r == 0 && sub >= 0)
                                r = walk(w, sub, child, err);
                        if (sub >= 0)
                                close(sub);
                } else if (S_ISLNK(st.st_mode)) {
                        char target[4096];
                        ssize_t k = readlinkat(dirfd, name, target, sizeof target - 1);
                        if (k < 0)
                                goto next;
                        target[k] = '\0';
                        e.type = V2C_LAYER_SYMLINK;
                        e.link = target;
                        r = v2c_layer_add(w, &e, NULL, err);
                } else if (S_ISREG(st.st_mode) && st.st_nlink > 1 && first_link(&st, child)) {
                        e.type = V2C_LAYER_HARDLINK;
                        e.link = first_link(&st, child);
                        r = v2c_layer_add(w, &e, NULL, err);
                } else if (S_ISREG(st.st_mode)) {
                        int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
                        if (fd < 0)
                                goto next;
                        e.type = V2C_LAYER_REG;
                        e.size = (uint64_t) st.st_size;
                        /* File capabilities, as v2c convert keeps them. */
                        unsigned char cap[64];
                        ssize_t cl = fgetxattr(fd, "security.capability", cap, sizeof cap);
                        if (cl > 0) {
                                e.capability = cap;
                                e.capability_len = (size_t) cl;
                        }
                        struct fd_src s = { fd };
                        struct v2c_layer_source src = { fd_read, &s };
                        r = v2c_layer_add(w, &e, &src, err);
                        close(fd);
                }
        next:
                free(ents[i]);
        }
        free(ents);
        return r;
}

/* The same walk over a guest, through the guest reader. */
static int gfile_read(void *ctx, void *buf, size_t n, size_t *got, struct v2c_error **err)
{
        return v2c_guest_file_read(ctx, buf, n, got, err);
}

static int walk_guest(struct v2c_layer_writer *w, struct v2c_guest *g, const char *dir, const char *rel,
                      struct v2c_error **err)
{
        struct v2c_dirent *ents = NULL;
        size_t n = 0;
        int r = v2c_guest_list(g, dir, &ents, &n, err);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n && r == 0; i++) {
                char gpath[8192], child[8192];
                snprintf(gpath, sizeof gpath, "%s/%s", strcmp(dir, "/") ? dir : "", ents[i].name);
                snprintf(child, sizeof child, "%s%s%s", rel, *rel ? "/" : "", ents[i].name);
                const struct v2c_stat *st = &ents[i].st;
                /* mkfs's lost+found is the file system's, not the guest's:
                 * without this a disk and its tar would differ. */
                if (strcmp(ents[i].name, "lost+found") == 0 && st->type == V2C_FT_DIR)
                        continue;
                struct v2c_layer_entry e = { .path = child, .mode = st->mode, .uid = st->uid, .gid = st->gid,
                                             .mtime = st->mtime };
                static struct stat fake;
                fake.st_dev = 0;
                fake.st_ino = (ino_t) st->ino;
                if (st->type == V2C_FT_DIR) {
                        e.type = V2C_LAYER_DIR;
                        r = v2c_layer_add(w, &e, NULL, err);
                        if (r == 0)
                                r = walk_guest(w, g, gpath, child, err);
                } else if (st->type == V2C_FT_LNK) {
                        char *target = NULL;
                        r = v2c_guest_readlink(g, gpath, &target, err);
                        if (r == 0) {
                                e.type = V2C_LAYER_SYMLINK;
                                e.link = target;
                                r = v2c_layer_add(w, &e, NULL, err);
                        }
                        free(target);
                } else if (st->type == V2C_FT_REG && st->nlink > 1 && st->ino && first_link(&fake, child)) {
                        e.type = V2C_LAYER_HARDLINK;
                        e.link = first_link(&fake, child);
                        r = v2c_layer_add(w, &e, NULL, err);
                } else if (st->type == V2C_FT_REG) {
                        struct v2c_guest_file *f = NULL;
                        struct v2c_stat fst;
                        r = v2c_guest_open_file(g, gpath, &f, &fst, err);
                        void *cap = NULL;
                        if (r == 0)
                                r = v2c_guest_capability(g, gpath, &cap, &e.capability_len, err);
                        if (r == 0) {
                                e.type = V2C_LAYER_REG;
                                e.size = fst.size;
                                e.capability = cap;
                                struct v2c_layer_source src = { gfile_read, f };
                                r = v2c_layer_add(w, &e, &src, err);
                        }
                        free(cap);
                        v2c_guest_file_close(f);
                }
        }
        v2c_dirents_free(ents, n);
        return r;
}

int main(int argc, char **argv)
{
        struct v2c_layer_options opt = { .compression = V2C_COMPRESS_ZSTD };
        const char *layout = NULL, *name = NULL, *entrypoint = NULL;
        bool force = false, guest = false;
        int i = 1;
        for (; i < argc && argv[i][0] == '-'; i++) {
                if (strcmp(argv[i], "--layout") == 0 && i + 1 < argc)
                        layout = argv[++i];
                else if (strcmp(argv[i], "--name") == 0 && i + 1 < argc)
                        name = argv[++i];
                else if (strcmp(argv[i], "--entrypoint") == 0 && i + 1 < argc)
                        entrypoint = argv[++i];
                else if (strcmp(argv[i], "--force") == 0)
                        force = true;
                else if (strcmp(argv[i], "--guest") == 0)
                        guest = true;
                else if (strcmp(argv[i], "--gzip") == 0)
                        opt.compression = V2C_COMPRESS_GZIP;
                else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc)
                        opt.threads = atoi(argv[++i]);
                else if (strcmp(argv[i], "--level") == 0 && i + 1 < argc)
                        opt.level = atoi(argv[++i]);
        }
        if (argc - i != (layout ? 1 : 2)) {
                fprintf(stderr, "usage: mkimage [--gzip] [--threads N] [--level N] DIR BLOBS_DIR\n"
                                "       mkimage [...] --layout LAYOUT --name NAME [--entrypoint PATH] [--force] DIR\n");
                return 2;
        }
        struct v2c_error *err = NULL;
        struct v2c_guest *g = NULL;
        int root = -1;
        if (guest) {
                const char *src[] = { argv[i] };
                /* The whole tree comes down in one download, as v2c
                 * convert --system fetches it. */
                struct v2c_guest_options gopt = { .prefetch_max_kib = 64ull << 20 };
                const char *all[] = { "/" };
                if (v2c_guest_open(src, 1, &gopt, &g, &err) < 0 || v2c_guest_prefetch(g, all, 1, NULL, &err) < 0) {
                        fprintf(stderr, "mkimage: %s\n", err->msg);
                        return 1;
                }
        } else if ((root = open(argv[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
                perror(argv[i]);
                return 1;
        }
        struct v2c_layer_writer *w = NULL;
        struct v2c_oci_layout *l = NULL;
        struct v2c_layer_result res;
        if (layout && v2c_oci_layout_create(layout, force, &l, &err) < 0)
                goto fail;
        if (v2c_layer_open(layout ? v2c_oci_layout_blobs(l) : argv[i + 1], &opt, &w, &err) < 0 ||
            (g ? walk_guest(w, g, "/", "", &err) : walk(w, root, "", &err)) < 0)
                goto fail;
        struct v2c_layer_writer *closing = w;
        w = NULL;
        if (v2c_layer_close(closing, &res, &err) < 0)
                goto fail;
        printf("digest %s\ndiff_id %s\nsize %llu\ntar_size %llu\n", res.digest, res.diff_id,
               (unsigned long long) res.size, (unsigned long long) res.tar_size);
        if (layout) {
                char *ep[] = { (char *) entrypoint, NULL };
                char *labels[] = { "org.opencontainers.image.title=mkimage", NULL };
                struct v2c_image_spec spec = {
                        .ref_name = name, .architecture = "amd64", .os = "linux",
                        .created = V2C_DEFAULT_SOURCE_DATE_EPOCH, .entrypoint = entrypoint ? ep : NULL,
                        .labels = labels, .layers = &res, .n_layers = 1,
                };
                struct v2c_descriptor md;
                if (v2c_oci_add_image(l, &spec, &md, NULL, &err) < 0)
                        goto fail;
                struct v2c_oci_layout *committing = l;
                l = NULL;
                if (v2c_oci_layout_commit(committing, &err) < 0)
                        goto fail;
                printf("manifest %s\n", md.digest);
        }
        return 0;
fail:
        fprintf(stderr, "mkimage: %s\n", err ? err->msg : "failed");
        v2c_layer_abort(w);
        v2c_oci_layout_abort(l);
        return 1;
}
