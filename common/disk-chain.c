/* What a disk image names outside itself, checked before qemu opens it.
 *
 * A disk image is untrusted input, and so is its metadata: a qcow2 header
 * can name any host file as its backing file (`qemu-img rebase -u -b
 * /etc/shadow`) or as its external data file, a VMDK descriptor names its
 * extents, and qemu, handed the image, reads them all with v2c's rights.
 * The guest's bytes would then be the host's.  So before libguestfs sees a
 * disk, v2c looks at what the image names:
 *   - the qcow2 header (backing file, external data file) with its own
 *     parser, so that a refused image makes qemu open nothing;
 *   - VMDK descriptors (text) always name other files: refused outright;
 *   - then `qemu-img info` (the format given, run under a time and memory
 *     limit, and never asked to follow a backing chain: info opens the
 *     image alone) tells what qemu itself would look for, for every format.
 * Without --allow-backing any such file is refused.  With it, the chain is
 * walked here, one file at a time: each backing file must be a plain file
 * or block device that exists, named by a plain path (no `nbd:`, `json:`
 * protocol), of a known format (the one the image records, else probed by
 * qemu-img as qemu would), not seen before in the chain (a loop), and at
 * most V2C_BACKING_CHAIN_MAX deep.  The files found are kept for the
 * report's `source_files`; libguestfs adds every drive read-only.
 */
#include "guest-internal.h"
#include "cleanup.h"
#include "clock.h"
#include "json.h"
#include "path.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define V2C_BACKING_CHAIN_MAX 16
/* qemu-img info of one image: a healthy one answers in tens of ms. */
#define QEMU_IMG_TIMEOUT_MS 30000
#define QEMU_IMG_MEMORY_MAX (1ull << 30)
#define QEMU_IMG_OUTPUT_MAX (1u << 20)
/* qemu reads the qcow2 header, its extensions and the backing file name
 * from the first cluster (at most 2 MiB: cluster_bits <= 21). */
#define QCOW2_HEAD_MAX (2u << 20)
/* The part of a VMDK descriptor file searched for its first extent. */
#define VMDK_DESCRIPTOR_MAX 4096

#define QCOW2_EXT_END 0
#define QCOW2_EXT_BACKING_FORMAT 0xe2792acau
#define QCOW2_EXT_DATA_FILE 0x44415441u
#define QCOW2_INCOMPAT_DATA_FILE (1ull << 2)

static uint32_t be32(const unsigned char *p)
{
        return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8 | p[3];
}

static uint64_t be64(const unsigned char *p)
{
        return (uint64_t) be32(p) << 32 | be32(p + 4);
}

void v2c_disk_refs_release(struct v2c_disk_refs *r)
{
        free(r->backing);
        free(r->backing_format);
        free(r->data_file);
        memset(r, 0, sizeof *r);
}

/* A name stored in the image, made printable by the caller; NUL bytes end
 * it as they end it for qemu. */
static char *stored_name(const unsigned char *p, size_t n)
{
        return strndup((const char *) p, n);
}

int v2c_qcow2_refs(const unsigned char *head, size_t len, struct v2c_disk_refs *out, struct v2c_error **err)
{
        memset(out, 0, sizeof *out);
        if (len < 72 || memcmp(head, "QFI\xfb", 4) != 0)
                return v2c_error_set_kind(err, V2C_ERR_INPUT, EINVAL, "not a qcow2 image");
        uint32_t version = be32(head + 4);
        uint64_t backing_off = be64(head + 8);
        uint32_t backing_len = be32(head + 16);
        uint32_t cluster_bits = be32(head + 20);
        if (version < 2 || version > 3 || cluster_bits < 9 || cluster_bits > 21)
                return v2c_error_set_kind(err, V2C_ERR_INPUT, EINVAL,
                                          "unsupported qcow2 header (version %u, cluster bits %u)", version,
                                          cluster_bits);
        uint64_t cluster = 1ull << cluster_bits;
        size_t ext_start = 72;
        if (version == 3) {
                if (len < 104)
                        return v2c_error_set_kind(err, V2C_ERR_INPUT, EINVAL, "truncated qcow2 header");
                out->external_data = (be64(head + 72) & QCOW2_INCOMPAT_DATA_FILE) != 0;
                uint32_t hlen = be32(head + 100);
                if (hlen < 104 || hlen > cluster)
                        return v2c_error_set_kind(err, V2C_ERR_INPUT, EINVAL, "invalid qcow2 header length %u",
                                                  hlen);
                ext_start = hlen;
        }
        if (backing_off != 0) {
                out->has_backing = true;
                /* qemu refuses a name past the first cluster or over 1023
                 * bytes; either way the image wants a backing file. */
                if (backing_len <= 1023 && backing_off < len && backing_len <= len - backing_off)
                        out->backing = stored_name(head + backing_off, backing_len);
                else
                        out->backing = strdup("(a name qemu cannot read)");
                if (out->backing == NULL)
                        goto nomem;
        }
        /* Header extensions: up to the backing file name, or the end of the
         * first cluster, as qemu reads them. */
        uint64_t ext_end = backing_off && backing_off < cluster ? backing_off : cluster;
        if (ext_end > len)
                ext_end = len;
        for (uint64_t off = ext_start; off + 8 <= ext_end;) {
                uint32_t type = be32(head + off), elen = be32(head + off + 4);
                off += 8;
                if (type == QCOW2_EXT_END || elen > ext_end - off)
                        break;
                if (type == QCOW2_EXT_BACKING_FORMAT && out->backing_format == NULL) {
                        out->backing_format = stored_name(head + off, elen);
                        if (out->backing_format == NULL)
                                goto nomem;
                } else if (type == QCOW2_EXT_DATA_FILE && out->data_file == NULL) {
                        out->data_file = stored_name(head + off, elen);
                        if (out->data_file == NULL)
                                goto nomem;
                }
                off += ((uint64_t) elen + 7) & ~7ull;
        }
        if (out->data_file)
                out->external_data = true;
        return 0;
nomem:
        v2c_disk_refs_release(out);
        return v2c_error_set(err, ENOMEM, "out of memory");
}

int v2c_vmdk_first_extent(const char *text, size_t len, char **out)
{
        *out = NULL;
        /* Extent lines: ACCESS SECTORS TYPE "FILE" [OFFSET]. */
        static const char *const access[] = { "RW ", "RDONLY ", "NOACCESS " };
        for (size_t at = 0; at < len;) {
                const char *line = text + at;
                const char *nl = memchr(line, '\n', len - at);
                size_t n = nl ? (size_t) (nl - line) : len - at;
                at += n + 1;
                bool extent = false;
                for (size_t i = 0; i < V2C_ARRAY_SIZE(access); i++)
                        if (n > strlen(access[i]) && strncmp(line, access[i], strlen(access[i])) == 0)
                                extent = true;
                const char *q1 = extent ? memchr(line, '"', n) : NULL;
                const char *q2 = q1 ? memchr(q1 + 1, '"', n - (size_t) (q1 + 1 - line)) : NULL;
                if (q2 == NULL)
                        continue;
                *out = strndup(q1 + 1, (size_t) (q2 - q1 - 1));
                return *out ? 0 : -ENOMEM;
        }
        return 0;
}

/* The qcow2 header of PATH, parsed. */
static int qcow2_refs_of(const char *path, struct v2c_disk_refs *refs, struct v2c_error **err)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return v2c_error_set_kind(err, V2C_ERR_INPUT, errno, "cannot open `%s`: %m", path);
        _cleanup_free_ unsigned char *head = malloc(QCOW2_HEAD_MAX);
        if (head == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        size_t got = 0;
        while (got < QCOW2_HEAD_MAX) {
                ssize_t k = pread(fd, head + got, QCOW2_HEAD_MAX - got, (off_t) got);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return v2c_error_set_kind(err, V2C_ERR_INPUT, errno, "cannot read `%s`: %m", path);
                if (k == 0)
                        break;
                got += (size_t) k;
        }
        int r = v2c_qcow2_refs(head, got, refs, err);
        return r < 0 ? v2c_error_prefix(err, r, "`%s`", path) : 0;
}

/* A JSON string, made printable: image metadata goes into error messages. */
static char *printable(const char *s)
{
        return v2c_utf8_escape(s ? s : "");
}

/* Runs `qemu-img info --output=json` on PATH (FORMAT NULL: probed as qemu
 * probes), bounded in time, memory and output.  *out is new. */
static int qemu_img_info(const char *path, const char *format, json_t **out, struct v2c_error **err)
{
        /* json: names the file protocol explicitly: a plain file name would
         * be parsed for a protocol prefix ("nbd:", "json:") first. */
        _cleanup_json_ json_t *spec = json_pack("{s:{s:s, s:s}}", "file", "driver", "file", "filename", path);
        if (spec && format && json_object_set_new(spec, "driver", json_string(format)) < 0)
                spec = NULL;
        _cleanup_free_ char *spec_text = spec ? json_dumps(spec, JSON_COMPACT) : NULL;
        _cleanup_free_ char *arg = NULL;
        if (spec_text == NULL || asprintf(&arg, "json:%s", spec_text) < 0)
                return v2c_error_set(err, ENOMEM, "out of memory");

        int outp[2], errp[2];
        if (pipe2(outp, O_CLOEXEC) < 0)
                return v2c_error_set(err, errno, "pipe: %m");
        if (pipe2(errp, O_CLOEXEC) < 0) {
                int e = errno;
                close(outp[0]);
                close(outp[1]);
                return v2c_error_set(err, e, "pipe: %m");
        }
        pid_t pid = fork();
        if (pid < 0) {
                int e = errno;
                close(outp[0]), close(outp[1]), close(errp[0]), close(errp[1]);
                return v2c_error_set(err, e, "fork: %m");
        }
        if (pid == 0) {
                int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
                if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(outp[1], 1) < 0 || dup2(errp[1], 2) < 0)
                        _exit(126);
                const struct rlimit mem = { QEMU_IMG_MEMORY_MAX, QEMU_IMG_MEMORY_MAX };
                const struct rlimit cpu = { QEMU_IMG_TIMEOUT_MS / 1000, QEMU_IMG_TIMEOUT_MS / 1000 };
                const struct rlimit nofile = { 0, 0 };
                setrlimit(RLIMIT_AS, &mem);
                setrlimit(RLIMIT_CPU, &cpu);
                /* info writes nothing: a file it would create stays empty. */
                setrlimit(RLIMIT_FSIZE, &nofile);
                char *const argv[] = { "qemu-img", "info", "--output=json", "-U", arg, NULL };
                execvp(argv[0], argv);
                _exit(errno == ENOENT ? 127 : 126);
        }
        close(outp[1]);
        close(errp[1]);
        _cleanup_close_ int ofd = outp[0], efd = errp[0];
        _cleanup_free_ char *obuf = malloc(QEMU_IMG_OUTPUT_MAX + 1);
        char ebuf[1024];
        size_t olen = 0, elen = 0;
        bool timed_out = false, too_long = false;
        int64_t t0 = v2c_monotonic_ms();
        while (obuf && (ofd >= 0 || efd >= 0)) {
                long left = QEMU_IMG_TIMEOUT_MS - (long) (v2c_monotonic_ms() - t0);
                if (left <= 0) {
                        timed_out = true;
                        break;
                }
                struct pollfd pfd[2] = { { ofd, POLLIN, 0 }, { efd, POLLIN, 0 } };
                int pr = poll(pfd, 2, (int) left);
                if (pr < 0 && errno == EINTR)
                        continue;
                if (pr < 0)
                        break;
                if (ofd >= 0 && pfd[0].revents) {
                        ssize_t k = read(ofd, obuf + olen, QEMU_IMG_OUTPUT_MAX - olen);
                        if (k > 0)
                                olen += (size_t) k;
                        if (olen == QEMU_IMG_OUTPUT_MAX) {
                                too_long = true;
                                break;
                        }
                        if (k <= 0 && !(k < 0 && errno == EINTR)) {
                                close(ofd);
                                ofd = -1;
                        }
                }
                if (efd >= 0 && pfd[1].revents) {
                        char sink[4096];
                        ssize_t k = read(efd, sink, sizeof sink);
                        if (k > 0 && elen < sizeof ebuf - 1) {
                                size_t take = (size_t) k < sizeof ebuf - 1 - elen ? (size_t) k : sizeof ebuf - 1 - elen;
                                memcpy(ebuf + elen, sink, take);
                                elen += take;
                        }
                        if (k <= 0 && !(k < 0 && errno == EINTR)) {
                                close(efd);
                                efd = -1;
                        }
                }
        }
        if (ofd >= 0 || efd >= 0)
                kill(pid, SIGKILL);
        int status = 0;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        if (obuf == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        if (timed_out)
                return v2c_error_set_kind(err, V2C_ERR_INPUT, ETIMEDOUT,
                                          "qemu-img info did not answer within %d s", QEMU_IMG_TIMEOUT_MS / 1000);
        if (too_long)
                return v2c_error_set_kind(err, V2C_ERR_INPUT, E2BIG, "qemu-img info wrote more than %u bytes",
                                          QEMU_IMG_OUTPUT_MAX);
        if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
                return v2c_error_set(err, ENOENT, "qemu-img (qemu-utils) is not installed: cannot check the disk "
                                                  "image for backing files");
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                ebuf[elen] = '\0';
                /* qemu-img's first line says why ("qemu-img: ...: reason"). */
                char *nl = strchr(ebuf, '\n');
                if (nl)
                        *nl = '\0';
                _cleanup_free_ char *why = printable(strncmp(ebuf, "qemu-img: ", 10) == 0 ? ebuf + 10 : ebuf);
                if (WIFSIGNALED(status))
                        return v2c_error_set_kind(err, V2C_ERR_INPUT, EIO, "qemu-img info died of signal %d",
                                                  WTERMSIG(status));
                return v2c_error_set_kind(err, V2C_ERR_INPUT, EINVAL, "qemu-img info: %s",
                                          why && *why ? why : "failed");
        }
        obuf[olen] = '\0';
        return v2c_json_load(obuf, olen, "qemu-img info", out, err);
}

static const char *json_str(const json_t *o, const char *key)
{
        return json_string_value(json_object_get(o, key));
}

/* The file a relative NAME in the image IMAGE means: qemu resolves it
 * against the directory of the image's name as given. */
static char *resolve_beside(const char *image, const char *name)
{
        const char *slash = strrchr(image, '/');
        if (name[0] == '/' || slash == NULL)
                return strdup(name);
        char *out = NULL;
        if (asprintf(&out, "%.*s/%s", (int) (slash - image), image, name) < 0)
                return NULL;
        return out;
}

/* qemu takes "PROTO:rest" before any '/' as a protocol (nbd:, json:...). */
static bool names_protocol(const char *name)
{
        return name[strcspn(name, ":/")] == ':';
}

static bool known_format(const char *f)
{
        static const char *const ok[] = { "raw", "qcow2", "vmdk", "vdi", "vhdx", "vpc" };
        for (size_t i = 0; f && i < V2C_ARRAY_SIZE(ok); i++)
                if (strcmp(f, ok[i]) == 0)
                        return true;
        return false;
}

struct chain {
        struct v2c_guest *g;
        bool allow;
        dev_t dev[V2C_BACKING_CHAIN_MAX * 4];
        ino_t ino[V2C_BACKING_CHAIN_MAX * 4];
        size_t nseen;
};

/* The one-line refusal: v2c names the file and the way out. */
static int refuse(const char *image, const char *what, const char *name, struct v2c_error **err)
{
        _cleanup_free_ char *pi = printable(image), *pn = printable(name);
        return v2c_error_set_kind(err, V2C_ERR_REFUSED, EPERM,
                                  "`%s` %s `%s`: v2c does not open files a disk image names unless "
                                  "--allow-backing is given",
                                  pi ? pi : "?", what, pn ? pn : "?");
}

/* Even with --allow-backing, only files: not "nbd:HOST", not "json:{...}". */
static int refuse_protocol(const char *image, const char *what, const char *name, struct v2c_error **err)
{
        _cleanup_free_ char *pi = printable(image), *pn = printable(name);
        return v2c_error_set_kind(err, V2C_ERR_REFUSED, EPERM,
                                  "`%s` names as its %s `%s`, which is not a plain file: v2c follows only files",
                                  pi ? pi : "?", what, pn ? pn : "?");
}

/* PATH, which IMAGE names as its WHAT, exists and is a regular file or a
 * block device (a FIFO would hang qemu, a character device is no disk). */
static int check_plain(const char *image, const char *what, const char *path, struct stat *st, struct v2c_error **err)
{
        _cleanup_free_ char *pi = printable(image), *pp = printable(path);
        if (stat(path, st) < 0)
                return v2c_error_set_kind(err, V2C_ERR_INPUT, errno, "the %s `%s` of `%s`: %m", what, pp, pi);
        if (!S_ISREG(st->st_mode) && !S_ISBLK(st->st_mode))
                return v2c_error_set_kind(err, V2C_ERR_INPUT, EINVAL,
                                          "the %s `%s` of `%s` is not a regular file or a block device", what,
                                          pp, pi);
        return 0;
}

/* A file of the chain: a plain one (check_plain), not in the chain already. */
static int admit(struct chain *c, const char *image, const char *role, const char *path, const char *format,
                 struct v2c_error **err)
{
        _cleanup_free_ char *pi = printable(image), *pp = printable(path);
        const char *what = strcmp(role, "backing") == 0 ? "backing file" : strcmp(role, "data-file") == 0 ? "data file" : role;
        struct stat st;
        int r = check_plain(image, what, path, &st, err);
        if (r < 0)
                return r;
        for (size_t i = 0; i < c->nseen; i++)
                if (c->dev[i] == st.st_dev && c->ino[i] == st.st_ino)
                        return v2c_error_set_kind(err, V2C_ERR_INPUT, ELOOP,
                                                  "the backing chain of `%s` loops: its %s `%s` is already part of it",
                                                  pi, what, pp);
        if (c->nseen == V2C_ARRAY_SIZE(c->dev))
                return v2c_error_set_kind(err, V2C_ERR_INPUT, E2BIG, "the backing chain of `%s` holds too many files",
                                          pi);
        c->dev[c->nseen] = st.st_dev;
        c->ino[c->nseen] = st.st_ino;
        c->nseen++;
        return v2c_guest_add_source(c->g, path, format, role, err);
}

/* Checks IMAGE (format FORMAT, already admitted) and, when allowed, what
 * it names; *backing and *backing_format (new) are its backing file, if any. */
static int check_image(struct chain *c, const char *image, const char *format, char **backing,
                       char **backing_format, struct v2c_error **err)
{
        *backing = *backing_format = NULL;
        if (strcmp(format, "raw") == 0)
                return 0;
        if (strcmp(format, "qcow2") == 0) {
                struct v2c_disk_refs refs;
                int r = qcow2_refs_of(image, &refs, err);
                if (r < 0)
                        return r;
                if (!c->allow && (refs.has_backing || refs.external_data)) {
                        r = refs.has_backing ? refuse(image, "has the backing file", refs.backing, err)
                                             : refuse(image, "keeps its data in the external file",
                                                      refs.data_file ? refs.data_file : "(unnamed)", err);
                        v2c_disk_refs_release(&refs);
                        return r;
                }
                /* qemu-img info opens the data file: check it first. */
                _cleanup_free_ char *df = refs.data_file ? resolve_beside(image, refs.data_file) : NULL;
                struct stat st;
                if (refs.data_file && df == NULL)
                        r = v2c_error_set(err, ENOMEM, "out of memory");
                else if (df)
                        r = names_protocol(refs.data_file) ? refuse_protocol(image, "data file", refs.data_file, err)
                                                           : check_plain(image, "data file", df, &st, err);
                v2c_disk_refs_release(&refs);
                if (r < 0)
                        return r;
        }
        _cleanup_json_ json_t *info = NULL;
        int r = qemu_img_info(image, format, &info, err);
        if (r < 0) {
                _cleanup_free_ char *pi = printable(image);
                return v2c_error_prefix(err, r, "checking `%s`", pi);
        }
        const char *b = json_str(info, "backing-filename");
        const json_t *spec = json_object_get(json_object_get(info, "format-specific"), "data");
        const char *data_file = json_str(spec, "data-file");
        if (!c->allow && b)
                return refuse(image, "has the backing file", b, err);
        if (!c->allow && data_file)
                return refuse(image, "keeps its data in the external file", data_file, err);
        if (data_file) {
                _cleanup_free_ char *p = resolve_beside(image, data_file);
                if (p == NULL)
                        return v2c_error_set(err, ENOMEM, "out of memory");
                r = names_protocol(data_file) ? refuse_protocol(image, "data file", data_file, err)
                                              : admit(c, image, "data-file", p, "raw", err);
                if (r < 0)
                        return r;
        }
        /* VMDK: every extent other than the image itself is another file. */
        const json_t *extents = json_object_get(spec, "extents");
        struct stat self;
        if (json_array_size(extents) && stat(image, &self) < 0) {
                _cleanup_free_ char *pi = printable(image);
                return v2c_error_set_kind(err, V2C_ERR_INPUT, errno, "cannot stat `%s`: %m", pi);
        }
        for (size_t i = 0; i < json_array_size(extents); i++) {
                const char *e = json_str(json_array_get(extents, i), "filename");
                struct stat st;
                if (e == NULL || (stat(e, &st) == 0 && st.st_dev == self.st_dev && st.st_ino == self.st_ino))
                        continue;
                if (!c->allow)
                        return refuse(image, "has its data in the extent", e, err);
                r = names_protocol(e) ? refuse_protocol(image, "extent", e, err) : admit(c, image, "extent", e, "raw", err);
                if (r < 0)
                        return r;
        }
        if (b == NULL)
                return 0;
        if (*b == '\0' || names_protocol(b))
                return refuse_protocol(image, "backing file", b, err);
        *backing = resolve_beside(image, b);
        const char *bf = json_str(info, "backing-filename-format");
        *backing_format = bf ? strdup(bf) : NULL;
        if (*backing == NULL || (bf && *backing_format == NULL))
                return v2c_error_set(err, ENOMEM, "out of memory");
        return 0;
}

int v2c_disk_chain_check(struct v2c_guest *g, const char *path, const char *format, bool allow_backing,
                         struct v2c_error **err)
{
        struct chain c = { .g = g, .allow = allow_backing };
        if (!allow_backing && strcmp(format, "vmdk") == 0) {
                /* A descriptor (text) vmdk holds no data: its extents, other
                 * files, do.  Refused without asking qemu-img, which would
                 * open them. */
                char head[VMDK_DESCRIPTOR_MAX + 1];
                _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
                ssize_t n = fd < 0 ? -1 : pread(fd, head, VMDK_DESCRIPTOR_MAX, 0);
                if (n > 0 && strncmp(head, "# Disk DescriptorFile", 21) == 0) {
                        _cleanup_free_ char *extent = NULL;
                        if (v2c_vmdk_first_extent(head, (size_t) n, &extent) < 0)
                                return v2c_error_set(err, ENOMEM, "out of memory");
                        return refuse(path, "is a VMDK descriptor whose data lies in the extent",
                                      extent ? extent : "(unnamed)", err);
                }
        }
        int r = admit(&c, path, "image", path, format, err);
        _cleanup_free_ char *image = strdup(path), *fmt = strdup(format);
        if (r < 0 || image == NULL || fmt == NULL)
                return r < 0 ? r : v2c_error_set(err, ENOMEM, "out of memory");
        for (size_t depth = 0;; depth++) {
                _cleanup_free_ char *backing = NULL, *bformat = NULL;
                r = check_image(&c, image, fmt, &backing, &bformat, err);
                if (r < 0 || backing == NULL)
                        return r;
                if (depth + 1 >= V2C_BACKING_CHAIN_MAX) {
                        _cleanup_free_ char *pp = printable(path);
                        return v2c_error_set_kind(err, V2C_ERR_INPUT, E2BIG,
                                                  "the backing chain of `%s` is longer than %d files", pp,
                                                  V2C_BACKING_CHAIN_MAX);
                }
                if (bformat == NULL) {
                        /* No format recorded: qemu probes the file, and so
                         * does this check, with qemu's own prober.  A file
                         * that is missing or odd is said before qemu-img
                         * ever opens it. */
                        struct stat st;
                        _cleanup_free_ char *pb = printable(backing), *pi = printable(image);
                        r = check_plain(image, "backing file", backing, &st, err);
                        if (r < 0)
                                return r;
                        _cleanup_json_ json_t *probe = NULL;
                        r = qemu_img_info(backing, NULL, &probe, err);
                        if (r < 0)
                                return v2c_error_prefix(err, r, "probing the backing file `%s` of `%s`", pb, pi);
                        const char *pf = json_str(probe, "format");
                        bformat = pf ? strdup(pf) : NULL;
                        if (bformat == NULL)
                                return v2c_error_set_kind(err, V2C_ERR_INPUT, EINVAL,
                                                          "qemu-img cannot tell the format of the backing file `%s`", pb);
                }
                if (!known_format(bformat)) {
                        _cleanup_free_ char *pb = printable(backing), *pf = printable(bformat);
                        return v2c_error_set_kind(err, V2C_ERR_INPUT, ENOTSUP,
                                                  "the backing file `%s` is of format `%s`, which v2c does not open",
                                                  pb, pf);
                }
                r = admit(&c, image, "backing", backing, bformat, err);
                if (r < 0)
                        return r;
                free(image);
                free(fmt);
                image = TAKE_PTR(backing);
                fmt = TAKE_PTR(bformat);
        }
}
