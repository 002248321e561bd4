/* v2c push and v2c pull, and the registry options convert --push shares. */
#include "cli.h"
#include "cleanup.h"
#include "fsutil.h"
#include "json.h"
#include "log.h"
#include "progress.h"
#include "clock.h"
#include "registry.h"
#include "strv.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The options every registry command takes, then each command's own. */
#define REGISTRY_OPTIONS_HELP \
        "registry options:\n" \
        "  --creds USER:PASSWORD  credentials (default: auth.json, ~/.docker/config.json)\n" \
        "  --username USER --password-stdin\n" \
        "                         the password read from standard input\n" \
        "  --auth-file FILE       an auth.json or config.json to use instead\n" \
        "  --ca-file FILE         CA certificates to verify the registry with\n" \
        "  --tls-verify=false     do not verify the registry's certificate\n" \
        "  --plain-http           talk http, not https (loopback registries\n" \
        "                         without TLS are found by themselves)\n" \
        "  --retries N            attempts per request on 408/429/5xx (default 5)\n" \
        "  --timeout SECONDS      the most one request may take (default: 60 s plus\n" \
        "                         1 s per 16 KiB it carries)\n"
#define PUSH_OPTIONS_HELP \
        "  --chunk-size BYTES     upload blobs above this in chunks (default 32 MiB)\n" \
        "  --parallel N           blobs in flight at once (default 4)\n" \
        "  --mount-from REPO      mount blobs this repository of the registry has\n" \
        "                         (repeatable)\n"
#define PULL_OPTIONS_HELP \
        "  --max-size BYTES       the most an image's blobs may add up to\n" \
        "                         (K, M, G suffixes; default 16G)\n"

const struct option v2c_registry_long_options[] = {
        { "creds", required_argument, NULL, V2C_OPT_CREDS },
        { "username", required_argument, NULL, V2C_OPT_USERNAME },
        { "password-stdin", no_argument, NULL, V2C_OPT_PASSWORD_STDIN },
        { "auth-file", required_argument, NULL, V2C_OPT_AUTH_FILE },
        { "ca-file", required_argument, NULL, V2C_OPT_CA_FILE },
        { "tls-verify", required_argument, NULL, V2C_OPT_TLS_VERIFY },
        { "plain-http", no_argument, NULL, V2C_OPT_PLAIN_HTTP },
        { "chunk-size", required_argument, NULL, V2C_OPT_CHUNK_SIZE },
        { "parallel", required_argument, NULL, V2C_OPT_PARALLEL },
        { "retries", required_argument, NULL, V2C_OPT_RETRIES },
        { "mount-from", required_argument, NULL, V2C_OPT_MOUNT_FROM },
        { "platform", required_argument, NULL, V2C_OPT_PLATFORM },
        { "name", required_argument, NULL, V2C_OPT_NAME },
        { "timeout", required_argument, NULL, V2C_OPT_TIMEOUT },
        { "max-size", required_argument, NULL, V2C_OPT_MAX_SIZE },
        {},
};

static char *creds_buf;
static char *username;

void v2c_cli_registry_cleanup(void)
{
        if (creds_buf) {
                explicit_bzero(creds_buf, strlen(creds_buf));
                free(creds_buf);
        }
        free(username);
        creds_buf = username = NULL;
}

/* The registry options that only some commands have: an option a command
 * would ignore is a usage error, not silently nothing.  The others are
 * every registry command's. */
static const struct {
        int code;
        const struct v2c_command *cmds[2];
        const char *names;              /* for the message */
} only_for[] = {
        { V2C_OPT_CHUNK_SIZE, { &v2c_command_push, &v2c_command_convert }, "push, convert" },
        { V2C_OPT_PARALLEL, { &v2c_command_push, &v2c_command_convert }, "push, convert" },
        { V2C_OPT_MOUNT_FROM, { &v2c_command_push, &v2c_command_convert }, "push, convert" },
        { V2C_OPT_PLATFORM, { &v2c_command_pull }, "pull" },
        { V2C_OPT_NAME, { &v2c_command_pull, &v2c_command_push }, "pull, push" },
        { V2C_OPT_MAX_SIZE, { &v2c_command_pull, &v2c_command_convert }, "pull, convert" },
};

int v2c_cli_registry_option(const struct v2c_command *cmd, int c, const char *arg, struct v2c_cli_registry *r)
{
        char *end;
        for (size_t i = 0; i < sizeof only_for / sizeof only_for[0]; i++) {
                if (only_for[i].code != c || only_for[i].cmds[0] == cmd || only_for[i].cmds[1] == cmd)
                        continue;
                const char *name = "?";
                for (const struct option *o = v2c_registry_long_options; o->name; o++)
                        if (o->val == c)
                                name = o->name;
                return v2c_cli_usage_error(cmd, "--%s is not an option of `v2c %s` (only of: %s)", name, cmd->name,
                                           only_for[i].names);
        }
        switch (c) {
        case V2C_OPT_CREDS: r->opt.creds = arg; return 0;
        case V2C_OPT_USERNAME:
                free(username);
                username = strdup(arg);
                return username ? 0 : v2c_cli_out_of_memory();
        case V2C_OPT_PASSWORD_STDIN: r->password_stdin = true; return 0;
        case V2C_OPT_AUTH_FILE: r->opt.auth_file = arg; return 0;
        case V2C_OPT_CA_FILE: r->opt.ca_file = arg; return 0;
        case V2C_OPT_TLS_VERIFY:
                if (strcmp(arg, "false") == 0)
                        r->opt.tls_no_verify = true;
                else if (strcmp(arg, "true") != 0)
                        return v2c_cli_usage_error(cmd, "--tls-verify takes true or false, not `%s`", arg);
                return 0;
        case V2C_OPT_PLAIN_HTTP: r->opt.plain_http = true; return 0;
        case V2C_OPT_CHUNK_SIZE: {
                unsigned long long v = strtoull(arg, &end, 10);
                if (end == arg || *end || v < 1024 || v > (1ull << 32))
                        return v2c_cli_usage_error(cmd, "--chunk-size `%s` is not between 1024 and 4 GiB", arg);
                r->opt.chunk_size = v;
                return 0;
        }
        case V2C_OPT_PARALLEL:
        case V2C_OPT_RETRIES: {
                long v = strtol(arg, &end, 10);
                if (end == arg || *end || v < 1 || v > 64)
                        return v2c_cli_usage_error(cmd, "`%s` is not between 1 and 64", arg);
                if (c == V2C_OPT_PARALLEL)
                        r->opt.parallel = (int) v;
                else
                        r->opt.retries = (int) v;
                return 0;
        }
        case V2C_OPT_MOUNT_FROM: return v2c_strv_push(&r->mount_from, arg) < 0 ? v2c_cli_out_of_memory() : 0;
        case V2C_OPT_PLATFORM: r->platform = arg; return 0;
        case V2C_OPT_NAME: r->name = arg; return 0;
        case V2C_OPT_TIMEOUT: {
                long v = strtol(arg, &end, 10);
                if (end == arg || *end || v < 1 || v > 86400)
                        return v2c_cli_usage_error(cmd, "--timeout `%s` is not a number of seconds from 1 to 86400",
                                                   arg);
                r->opt.timeout = v;
                return 0;
        }
        case V2C_OPT_MAX_SIZE: {
                errno = 0;
                unsigned long long v = strtoull(arg, &end, 10);
                unsigned shift = *end == 'K' ? 10 : *end == 'M' ? 20 : *end == 'G' ? 30 : *end == 'T' ? 40 : 0;
                if (shift)
                        end++;
                if (end == arg || *arg == '-' || *end || errno || v == 0 || v > (UINT64_C(1) << 53) >> shift)
                        return v2c_cli_usage_error(cmd, "--max-size `%s` is not a size from 1 byte to 8 PiB (K, M, "
                                                        "G, T suffixes)", arg);
                r->opt.max_image_size = (uint64_t) v << shift;
                return 0;
        }
        default: return 0;   /* not reached: the parser passes registry codes only */
        }
}

void v2c_cli_registry_release(struct v2c_cli_registry *r)
{
        v2c_strv_free(r->mount_from);
        r->mount_from = NULL;
}

int v2c_cli_registry_finish(const struct v2c_command *cmd, struct v2c_cli_registry *r)
{
        r->opt.plain_http_loopback = true;
        if (r->password_stdin) {
                if (username == NULL)
                        return v2c_cli_usage_error(cmd, "--password-stdin needs --username");
                char line[4096];
                if (fgets(line, sizeof line, stdin) == NULL)
                        return v2c_cli_usage_error(cmd, "no password on standard input");
                line[strcspn(line, "\r\n")] = '\0';
                if (asprintf(&creds_buf, "%s:%s", username, line) < 0) {
                        creds_buf = NULL;
                        explicit_bzero(line, sizeof line);
                        return v2c_cli_out_of_memory();
                }
                explicit_bzero(line, sizeof line);
                r->opt.creds = creds_buf;
        } else if (username)
                return v2c_cli_usage_error(cmd, "--username goes with --password-stdin");
        return 0;
}

/* DIR/v2c/pushes.json remembers which repositories of which registries an
 * image went to: a later push to another repository of the same registry
 * mounts its blobs from there instead of uploading them. */
static char **pushed_repos(const char *layout, const char *host)
{
        _cleanup_free_ char *path = NULL, *data = NULL;
        size_t len;
        char **v = NULL;
        if (asprintf(&path, "%s/v2c/pushes.json", layout) < 0 || v2c_read_host_file(path, 1u << 20, &data, &len, NULL) < 0)
                return NULL;
        _cleanup_json_ json_t *j = NULL;
        if (v2c_json_load(data, len, path, &j, NULL) < 0)
                return NULL;
        size_t i;
        const json_t *x;
        json_array_foreach(json_object_get(j, host), i, x)
                if (json_is_string(x))
                        v2c_strv_push_unique(&v, json_string_value(x));
        return v;
}

static void record_push(const char *layout, const char *host, const char *repo)
{
        _cleanup_free_ char *dir = NULL, *path = NULL, *data = NULL;
        size_t len;
        if (asprintf(&dir, "%s/v2c", layout) < 0 || asprintf(&path, "%s/pushes.json", dir) < 0)
                return;
        json_auto_t *j = NULL;
        if (v2c_read_host_file(path, 1u << 20, &data, &len, NULL) < 0 || v2c_json_load(data, len, path, &j, NULL) < 0 ||
            !json_is_object(j)) {
                json_decref(j);
                j = json_object();
        }
        json_t *a = json_object_get(j, host);
        if (!json_is_array(a)) {
                a = json_array();
                json_object_set_new(j, host, a);
        }
        size_t i;
        const json_t *x;
        json_array_foreach(a, i, x)
                if (json_is_string(x) && strcmp(json_string_value(x), repo) == 0)
                        return;
        json_array_append_new(a, json_string(repo));
        (void) mkdir(dir, 0755);
        v2c_json_write(j, path, NULL);
}

static const char *const push_actions[] = {
        [V2C_PUSH_SKIPPED] = "skipped", [V2C_PUSH_MOUNTED] = "mounted", [V2C_PUSH_UPLOADED] = "uploaded",
};

/* The v2c.push/1 document of RES (docs/registry.md, keys in this order);
 * new reference, NULL without memory. */
static json_t *push_json(const char *layout, const char *name, const struct v2c_ref *ref,
                         const struct v2c_push_result *res)
{
        json_t *blobs = json_array();
        for (unsigned i = 0; blobs && i < res->blobs; i++) {
                const struct v2c_push_blob *b = &res->blob[i];
                if (json_array_append_new(blobs, json_pack("{s:s, s:s, s:I, s:s, s:o, s:I}", "digest", b->digest,
                                                           "media_type", b->media_type, "size", (json_int_t) b->size,
                                                           "action", push_actions[b->action], "mounted_from",
                                                           v2c_json_str(b->mounted_from), "bytes_sent",
                                                           (json_int_t) b->bytes_sent)) < 0) {
                        json_decref(blobs);
                        return NULL;
                }
        }
        return json_pack("{s:s, s:s, s:s, s:s, s:o, s:s, s:o, s:{s:s, s:s, s:I, s:b}, s:o, s:i, s:i, s:i, s:I}",
                         "schema", "v2c.push/1", "pinned", res->pinned, "registry", ref->host, "repository", ref->repo,
                         "tag", v2c_json_str(ref->tag), "layout", layout, "name", v2c_json_str(name), "manifest",
                         "digest", res->manifest_digest, "media_type", res->manifest_media_type, "size",
                         (json_int_t) res->manifest_size, "put", res->manifest_put, "blobs", blobs, "uploaded",
                         (int) res->uploaded, "mounted", (int) res->mounted, "skipped", (int) res->skipped,
                         "bytes_sent", (json_int_t) res->bytes_sent);
}

int v2c_cli_push_one(const char *layout, const char *name, const char *dest, struct v2c_cli_registry *r,
                     json_t **json)
{
        struct v2c_error *err = NULL;
        struct v2c_ref ref;
        if (v2c_ref_parse(dest, &ref, &err) < 0)
                return v2c_cli_report(err);
        /* Mount sources: the user's, then where this layout went before. */
        _cleanup_strv_ char **from = v2c_strv_copy(r->mount_from);
        _cleanup_strv_ char **before = pushed_repos(layout, ref.host);
        for (size_t i = 0; before && before[i]; i++)
                if (strcmp(before[i], ref.repo) != 0)
                        v2c_strv_push_unique(&from, before[i]);
        struct v2c_push_result res;
        int64_t started = v2c_monotonic_ms();
        int rc = v2c_push(layout, name, dest, from, &r->opt, &res, &err);
        if (rc < 0) {
                v2c_ref_release(&ref);
                return v2c_cli_report(err);
        }
        record_push(layout, ref.host, ref.repo);
        v2c_info("%s: %u blobs: %u uploaded (%llu bytes), %u mounted, %u already there", res.pinned, res.blobs,
                 res.uploaded, (unsigned long long) res.bytes_sent, res.mounted, res.skipped);
        {
                char b[16], t[16];
                int64_t ms = v2c_monotonic_ms() - started;
                v2c_progress_done("pushed %s: %u blobs (%u uploaded, %u mounted, %u already there), %s sent in %s",
                                  dest, res.blobs, res.uploaded, res.mounted, res.skipped,
                                  v2c_progress_bytes(res.bytes_sent, b, sizeof b), v2c_progress_duration(ms, t, sizeof t));
        }
        if (json) {
                *json = push_json(layout, name, &ref, &res);
                v2c_push_result_release(&res);
                v2c_ref_release(&ref);
                return *json ? V2C_EXIT_OK : v2c_cli_out_of_memory();
        }
        errno = 0;
        if (printf("%s\n", res.pinned) < 0 || fflush(stdout) == EOF) {
                /* The push happened: the digest goes to stderr rather than nowhere. */
                int e = errno ? errno : EIO;
                v2c_error_set(&err, e, "pushed %s, but writing it to standard output failed: %s", res.pinned,
                              strerror(e));
                v2c_push_result_release(&res);
                v2c_ref_release(&ref);
                return v2c_cli_report(err);
        }
        v2c_push_result_release(&res);
        v2c_ref_release(&ref);
        return V2C_EXIT_OK;
}

static const char push_help[] =
        "Push the image NAME of the OCI layout DIR (NAME may be left out when DIR\n"
        "holds one image) to REF, HOST/REPO or HOST/REPO:TAG.  Blobs the registry\n"
        "has are skipped, blobs it has in another repository (--mount-from, and\n"
        "wherever this layout was pushed before) are mounted, the rest uploaded;\n"
        "the manifest goes last, by digest, then the tag.  Prints HOST/REPO@sha256:...\n"
        "\n"
        "  --name NAME            the image of DIR to push (as DIR:NAME)\n"
        "  --json                 print what was pushed as JSON (schema v2c.push/1)\n"
        "\n";

static const char push_registry_help[] = REGISTRY_OPTIONS_HELP PUSH_OPTIONS_HELP;

static int push_run(int argc, char **argv);

const struct v2c_command v2c_command_push = {
        .name = "push", .run = push_run, .synopsis = "push [options] DIR[:NAME] HOST/REPO[:TAG]",
        .summary = "push an image of an OCI layout to a registry, by digest", .help = push_help,
        .more_help = push_registry_help,
};

static int push_run(int argc, char **argv)
{
        enum { OPT_JSON = V2C_OPT_COMMAND_FIRST };
        static const struct option opts[] = {
                { "json", no_argument, NULL, OPT_JSON },
                {},
        };
        const struct v2c_command *self = &v2c_command_push;
        _cleanup_(v2c_cli_registry_release) struct v2c_cli_registry r = { 0 };
        _cleanup_(v2c_cli_parser_release) struct v2c_cli_parser p = {
                .cmd = self, .argc = argc, .argv = argv, .options = opts, .registry = &r,
        };
        bool json = false;
        int c;
        while ((c = v2c_cli_getopt(&p)) > 0)
                if (c == OPT_JSON)
                        json = true;
        if (c < 0)
                return p.exit;
        if (p.n_args != 2)
                return v2c_cli_usage_error(self, "give DIR[:NAME] and REF");
        int rc = v2c_cli_registry_finish(self, &r);
        if (rc)
                return rc;
        _cleanup_free_ char *layout = strdup(p.args[0]);
        char *name = NULL;
        char *colon = layout ? strrchr(layout, ':') : NULL;
        if (colon && strchr(colon, '/') == NULL) {
                *colon = '\0';
                name = colon + 1;
        }
        if (r.name)
                name = (char *) r.name;
        _cleanup_json_ json_t *doc = NULL;
        rc = layout ? v2c_cli_push_one(layout, name, p.args[1], &r, json ? &doc : NULL) : v2c_cli_out_of_memory();
        v2c_cli_registry_cleanup();
        if (rc == V2C_EXIT_OK && json)
                rc = v2c_cli_print_json(doc, "pushed %s", json_string_value(json_object_get(doc, "pinned")));
        return rc;
}

static const char pull_help[] =
        "Pull REF (HOST/REPO:TAG or HOST/REPO@sha256:...) into a new OCI layout\n"
        "DIR, every blob checked against its digest as it streams.  An index or\n"
        "manifest list is resolved for --platform (default linux/amd64).  Prints\n"
        "HOST/REPO@sha256:... of the image manifest.\n"
        "\n"
        "  -o, --output DIR       the layout to create (must not exist)\n"
        "  --platform OS/ARCH     e.g. linux/arm64/v8\n"
        "  --name NAME            its name in index.json (default: the repository's last part)\n"
        "  --json                 print what was pulled as JSON (schema v2c.pull/1)\n"
        "\n";

static const char pull_registry_help[] = REGISTRY_OPTIONS_HELP PULL_OPTIONS_HELP;

static int pull_run(int argc, char **argv);

const struct v2c_command v2c_command_pull = {
        .name = "pull", .run = pull_run, .synopsis = "pull [options] REF -o DIR",
        .summary = "pull an image from a registry into an OCI layout", .help = pull_help,
        .more_help = pull_registry_help,
};

/* The v2c.pull/1 document of RES (docs/registry.md, keys in this order);
 * new reference, NULL without memory. */
static json_t *pull_json(const char *src, const char *layout, const char *platform, const struct v2c_pull_result *res)
{
        json_t *blobs = json_array();
        for (unsigned i = 0; blobs && i < res->blobs; i++) {
                const struct v2c_pull_blob *b = &res->blob[i];
                if (json_array_append_new(blobs, json_pack("{s:s, s:s, s:I, s:b}", "digest", b->digest, "media_type",
                                                           b->media_type, "size", (json_int_t) b->size, "fetched",
                                                           b->fetched)) < 0) {
                        json_decref(blobs);
                        return NULL;
                }
        }
        return json_pack("{s:s, s:s, s:s, s:s, s:s, s:{s:s, s:s, s:I}, s:o, s:o, s:o, s:i, s:I}", "schema",
                         "v2c.pull/1", "reference", src, "pinned", res->pinned, "layout", layout, "name", res->name,
                         "manifest", "digest", res->manifest_digest, "media_type", res->manifest_media_type, "size",
                         (json_int_t) res->manifest_size, "index", v2c_json_str(res->index_digest), "platform",
                         v2c_json_str(res->index_digest ? platform ? platform : "linux/amd64" : NULL), "blobs", blobs,
                         "fetched", (int) res->fetched, "bytes", (json_int_t) res->bytes);
}

static int pull_run(int argc, char **argv)
{
        enum { OPT_JSON = V2C_OPT_COMMAND_FIRST };
        static const struct option opts[] = {
                { "output", required_argument, NULL, 'o' },
                { "json", no_argument, NULL, OPT_JSON },
                {},
        };
        bool json = false;
        const struct v2c_command *self = &v2c_command_pull;
        _cleanup_(v2c_cli_registry_release) struct v2c_cli_registry r = { 0 };
        const char *out = NULL;
        _cleanup_(v2c_cli_parser_release) struct v2c_cli_parser p = {
                .cmd = self, .argc = argc, .argv = argv, .shortopts = "o:", .options = opts, .registry = &r,
        };
        int c;
        while ((c = v2c_cli_getopt(&p)) > 0) {
                if (c == 'o')
                        out = optarg;
                else if (c == OPT_JSON)
                        json = true;
        }
        if (c < 0)
                return p.exit;
        if (p.n_args != 1)
                return v2c_cli_usage_error(self, "give one REF");
        if (out == NULL)
                return v2c_cli_usage_error(self, "no output directory given (-o DIR)");
        if (*out == '\0')
                return v2c_cli_usage_error(self, "-o needs a directory name, not an empty one");
        int rc = v2c_cli_registry_finish(self, &r);
        if (rc)
                return rc;
        struct v2c_error *err = NULL;
        struct v2c_pull_result res;
        int64_t started = v2c_monotonic_ms();
        /* SIGINT, SIGTERM or SIGHUP end the process: v2c_pull registers
         * its DIR.v2c-pull-* with signal-cleanup, which removes it. */
        if (v2c_pull(p.args[0], out, r.name, r.platform, &r.opt, &res, &err) < 0) {
                v2c_cli_registry_cleanup();
                return v2c_cli_report(err);
        }
        v2c_info("%s: %u blobs, %llu bytes", res.pinned, res.fetched, (unsigned long long) res.bytes);
        {
                char b[16], t[16], rate[24];
                int64_t ms = v2c_monotonic_ms() - started;
                v2c_progress_done("pulled %s into %s: %u blobs, %s in %s (%s)", p.args[0], out, res.fetched,
                                  v2c_progress_bytes(res.bytes, b, sizeof b), v2c_progress_duration(ms, t, sizeof t),
                                  v2c_progress_rate(res.bytes, ms, rate, sizeof rate));
        }
        rc = V2C_EXIT_OK;
        errno = 0;
        if (json) {
                _cleanup_json_ json_t *doc = pull_json(p.args[0], out, r.platform, &res);
                rc = v2c_cli_print_json(doc, "pulled %s into `%s`", res.pinned, out);
        } else if (printf("%s\n", res.pinned) < 0 || fflush(stdout) == EOF) {
                int e = errno ? errno : EIO;
                v2c_error_set(&err, e, "pulled %s into `%s`, but writing it to standard output failed: %s",
                              res.pinned, out, strerror(e));
                rc = v2c_cli_report(err);
        }
        v2c_pull_result_release(&res);
        v2c_cli_registry_cleanup();
        return rc;
}
