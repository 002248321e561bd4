/* Unit tests for common/oci-layout.c: a layout written by the module reads
 * back; a blob is refused when its bytes do not hash to its digest, when
 * its size is not the descriptor's or is over the one cap, when it is a
 * symlink; an image is picked by ref name only when exactly one entry
 * carries it.  And verify's reading of a layout (convert/verify.c) goes
 * through the same checks. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "convert-internal.h"
#include "fsutil.h"
#include "json.h"
#include "oci-layout.h"

static char dir[256];

static int setup(void **state)
{
        (void) state;
        snprintf(dir, sizeof dir, "/tmp/v2c-oci-layout-XXXXXX");
        assert_non_null(mkdtemp(dir));
        struct v2c_error *e = NULL;
        assert_int_equal(v2c_oci_layout_mkdirs(dir, &e), 0);
        return 0;
}

static int teardown(void **state)
{
        (void) state;
        return v2c_remove_tree(dir);
}

static void write_file(const char *rel, const char *data)
{
        char p[512];
        snprintf(p, sizeof p, "%s/%s", dir, rel);
        struct v2c_error *e = NULL;
        assert_int_equal(v2c_write_file_atomic(p, data, strlen(data), 0644, &e), 0);
}

/* A descriptor entry of index.json naming blob DIGEST of SIZE bytes under
 * ref name NAME (may be NULL). */
static json_t *entry(const char *digest, size_t size, const char *name)
{
        json_t *m = json_pack("{s:s, s:s, s:I}", "mediaType", "application/vnd.oci.image.manifest.v1+json", "digest",
                              digest, "size", (json_int_t) size);
        if (name)
                json_object_set_new(m, "annotations", json_pack("{s:s}", V2C_OCI_REF_NAME, name));
        return m;
}

/* Writes a config and a manifest naming it, and an index listing the
 * manifest under NAME; *mdigest gets the manifest's digest. */
static void write_image(const char *name, char mdigest[V2C_OCI_DIGEST_SIZE], char cdigest[V2C_OCI_DIGEST_SIZE])
{
        struct v2c_error *e = NULL;
        static const char config[] = "{\"architecture\":\"amd64\",\"os\":\"linux\"}";
        assert_int_equal(v2c_oci_write_blob(dir, config, strlen(config), cdigest, &e), 0);
        char manifest[512];
        snprintf(manifest, sizeof manifest,
                 "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\","
                 "\"digest\":\"%s\",\"size\":%zu},\"layers\":[]}",
                 cdigest, strlen(config));
        assert_int_equal(v2c_oci_write_blob(dir, manifest, strlen(manifest), mdigest, &e), 0);
        json_t *ms = json_array();
        json_array_append_new(ms, entry(mdigest, strlen(manifest), name));
        assert_int_equal(v2c_oci_write_index(dir, ms, &e), 0);
        json_decref(ms);
}

static struct v2c_oci_dir *open_layout(void)
{
        struct v2c_oci_dir *l = NULL;
        struct v2c_error *e = NULL;
        int r = v2c_oci_dir_open(dir, &l, &e);
        if (r < 0)
                fail_msg("open: %s", e->msg);
        return l;
}

static void round_trip(void **state)
{
        (void) state;
        char md[V2C_OCI_DIGEST_SIZE], cd[V2C_OCI_DIGEST_SIZE];
        write_image("web", md, cd);
        _cleanup_(v2c_oci_dir_closep) struct v2c_oci_dir *l = open_layout();
        assert_int_equal(v2c_oci_index_count(v2c_oci_dir_index(l)), 1);
        struct v2c_oci_desc d;
        struct v2c_error *e = NULL;
        assert_int_equal(v2c_oci_index_pick(v2c_oci_dir_index(l), "web", &d, &e), 0);
        assert_string_equal(d.digest, md);
        /* One image: picked without a name too. */
        struct v2c_oci_desc d2;
        assert_int_equal(v2c_oci_index_pick(v2c_oci_dir_index(l), NULL, &d2, &e), 0);
        assert_string_equal(d2.digest, md);
        _cleanup_json_ json_t *m = NULL;
        assert_int_equal(v2c_oci_dir_read_json(l, &d, &m, &e), 0);
        assert_string_equal(json_string_value(json_object_get(json_object_get(m, "config"), "digest")), cd);
        _cleanup_free_ char *id = convert_layout_config_id(dir, "web");
        assert_non_null(id);
        assert_string_equal(id, cd + 7);
}

/* The blob file keeps its name, its bytes change (same length). */
static void corrupt_blob(const char *digest)
{
        _cleanup_free_ char *p = v2c_oci_blob_path(dir, digest), *data = NULL;
        size_t len;
        struct v2c_error *e = NULL;
        assert_int_equal(v2c_read_host_file(p, 1 << 20, &data, &len, &e), 0);
        char *arch = strstr(data, "amd64");
        if (arch)
                memcpy(arch, "arm64", 5);
        else {
                /* A manifest: point it at another config of the same length. */
                char *hex = strstr(data, "sha256:");
                assert_non_null(hex);
                hex[7] = hex[7] == '0' ? '1' : '0';
        }
        assert_int_equal(v2c_write_file_atomic(p, data, len, 0644, &e), 0);
}

static void digest_mismatch_refused(void **state)
{
        (void) state;
        char md[V2C_OCI_DIGEST_SIZE], cd[V2C_OCI_DIGEST_SIZE];
        write_image("web", md, cd);
        corrupt_blob(cd);
        _cleanup_(v2c_oci_dir_closep) struct v2c_oci_dir *l = open_layout();
        struct v2c_oci_desc d = { .size = strlen("{\"architecture\":\"amd64\",\"os\":\"linux\"}") };
        memcpy(d.digest, cd, sizeof d.digest);
        struct v2c_error *e = NULL;
        char *data = NULL;
        size_t len;
        assert_int_equal(v2c_oci_dir_read_blob(l, &d, &data, &len, &e), -EINVAL);
        assert_int_equal(e->kind, V2C_ERR_INPUT);
        assert_non_null(strstr(e->msg, "corrupt"));
        assert_null(data);
        e = v2c_error_free(e);
        /* The streaming check says the same of the open blob. */
        int fd = -1;
        assert_int_equal(v2c_oci_dir_open_blob(l, &d, &fd, &e), 0);
        assert_int_equal(v2c_oci_check_blob_fd(fd, &d, dir, &e), -EINVAL);
        assert_int_equal(e->kind, V2C_ERR_INPUT);
        e = v2c_error_free(e);
        close(fd);
}

/* verify.c asked podman whether it held the image by the config digest a
 * manifest named, without checking the manifest: a manifest changed after
 * the conversion made verify keep (or misjudge) an image of someone else. */
static void verify_checks_manifest_digest(void **state)
{
        (void) state;
        char md[V2C_OCI_DIGEST_SIZE], cd[V2C_OCI_DIGEST_SIZE];
        write_image("web", md, cd);
        corrupt_blob(md);
        _cleanup_free_ char *id = convert_layout_config_id(dir, "web");
        assert_null(id);
}

static void size_checked(void **state)
{
        (void) state;
        char md[V2C_OCI_DIGEST_SIZE], cd[V2C_OCI_DIGEST_SIZE];
        write_image("web", md, cd);
        _cleanup_(v2c_oci_dir_closep) struct v2c_oci_dir *l = open_layout();
        struct v2c_oci_desc d;
        memcpy(d.digest, cd, sizeof d.digest);
        struct v2c_error *e = NULL;
        char *data = NULL;
        size_t len;
        /* Over the cap: refused before the file is opened. */
        d.size = (uint64_t) V2C_OCI_JSON_MAX + 1;
        assert_int_equal(v2c_oci_dir_read_blob(l, &d, &data, &len, &e), -E2BIG);
        assert_int_equal(e->kind, V2C_ERR_INPUT);
        e = v2c_error_free(e);
        /* Not the size the descriptor says, under the cap or over it. */
        d.size = 3;
        assert_int_equal(v2c_oci_dir_read_blob(l, &d, &data, &len, &e), -EINVAL);
        e = v2c_error_free(e);
        int fd = -1;
        d.size = UINT64_C(1) << 40;
        assert_int_equal(v2c_oci_dir_open_blob(l, &d, &fd, &e), -EINVAL);
        assert_int_equal(fd, -1);
        e = v2c_error_free(e);
        /* A bad digest is never made into a path. */
        strcpy(d.digest, "sha256:../../etc/passwd");
        d.size = 3;
        assert_int_equal(v2c_oci_dir_read_blob(l, &d, &data, &len, &e), -EINVAL);
        e = v2c_error_free(e);
        assert_null(data);
}

static void symlink_blob_refused(void **state)
{
        (void) state;
        char md[V2C_OCI_DIGEST_SIZE], cd[V2C_OCI_DIGEST_SIZE];
        write_image("web", md, cd);
        /* The config's name points at a file outside holding its bytes. */
        char outside[512];
        snprintf(outside, sizeof outside, "%s/outside", dir);
        write_file("outside", "{\"architecture\":\"amd64\",\"os\":\"linux\"}");
        _cleanup_free_ char *p = v2c_oci_blob_path(dir, cd);
        assert_int_equal(unlink(p), 0);
        assert_int_equal(symlink(outside, p), 0);
        _cleanup_(v2c_oci_dir_closep) struct v2c_oci_dir *l = open_layout();
        struct v2c_oci_desc d = { .size = strlen("{\"architecture\":\"amd64\",\"os\":\"linux\"}") };
        memcpy(d.digest, cd, sizeof d.digest);
        struct v2c_error *e = NULL;
        char *data = NULL;
        size_t len;
        assert_int_equal(v2c_oci_dir_read_blob(l, &d, &data, &len, &e), -ELOOP);
        assert_non_null(strstr(e->msg, "symlink"));
        e = v2c_error_free(e);
        /* And blobs/sha256 itself a symlink to a directory of such files. */
        char real[512], sha[512];
        snprintf(real, sizeof real, "%s/elsewhere", dir);
        snprintf(sha, sizeof sha, "%s/blobs/sha256", dir);
        assert_int_equal(rename(sha, real), 0);
        assert_int_equal(symlink(real, sha), 0);
        _cleanup_free_ char *q = NULL;
        assert_true(asprintf(&q, "%s/%s", real, cd + 7) > 0);
        assert_int_equal(unlink(q), 0);
        write_file("elsewhere/x", "{\"architecture\":\"amd64\",\"os\":\"linux\"}");
        char x[600];
        snprintf(x, sizeof x, "%s/x", real);
        assert_int_equal(rename(x, q), 0);
        assert_int_equal(v2c_oci_dir_read_blob(l, &d, &data, &len, &e), -ENOTDIR);
        assert_int_equal(e->kind, V2C_ERR_INPUT);
        e = v2c_error_free(e);
        assert_null(data);
}

static void ref_names(void **state)
{
        (void) state;
        char md[V2C_OCI_DIGEST_SIZE], cd[V2C_OCI_DIGEST_SIZE];
        write_image("web", md, cd);
        json_t *ms = json_array();
        json_array_append_new(ms, entry(md, 10, "web"));
        json_array_append_new(ms, entry(cd, 10, "db"));
        json_array_append_new(ms, entry(cd, 10, "db"));
        json_array_append_new(ms, entry(cd, 10, NULL));
        struct v2c_error *e = NULL;
        assert_int_equal(v2c_oci_write_index(dir, ms, &e), 0);
        json_decref(ms);
        _cleanup_(v2c_oci_dir_closep) struct v2c_oci_dir *l = open_layout();
        const struct v2c_oci_index *idx = v2c_oci_dir_index(l);
        struct v2c_oci_desc d;
        assert_int_equal(v2c_oci_index_pick(idx, "web", &d, &e), 0);
        assert_string_equal(d.digest, md);
        assert_int_equal(d.size, 10);
        /* Missing. */
        assert_int_equal(v2c_oci_index_pick(idx, "api", &d, &e), -ENOENT);
        assert_int_equal(e->kind, V2C_ERR_USAGE);
        assert_non_null(strstr(e->msg, "`api`"));
        e = v2c_error_free(e);
        /* Two entries of one name: no guess. */
        assert_int_equal(v2c_oci_index_pick(idx, "db", &d, &e), -EEXIST);
        assert_int_equal(e->kind, V2C_ERR_INPUT);
        e = v2c_error_free(e);
        /* No name, several images. */
        assert_int_equal(v2c_oci_index_pick(idx, NULL, &d, &e), -ENOENT);
        assert_int_equal(e->kind, V2C_ERR_USAGE);
        e = v2c_error_free(e);
        /* An index entry without a usable digest. */
        static const char bad[] = "{\"manifests\":[{\"digest\":\"sha256:ABC\",\"size\":1,"
                                  "\"annotations\":{\"org.opencontainers.image.ref.name\":\"x\"}}]}";
        struct v2c_oci_index *bi = NULL;
        assert_int_equal(v2c_oci_index_parse(bad, strlen(bad), "test", &bi, &e), 0);
        assert_int_equal(v2c_oci_index_pick(bi, "x", &d, &e), -EINVAL);
        e = v2c_error_free(e);
        v2c_oci_index_free(bi);
        assert_int_equal(v2c_oci_index_parse("{}", 2, "test", &bi, &e), -EINVAL);
        e = v2c_error_free(e);
}

static void not_a_layout(void **state)
{
        (void) state;
        char md[V2C_OCI_DIGEST_SIZE], cd[V2C_OCI_DIGEST_SIZE];
        write_image("web", md, cd);
        struct v2c_oci_dir *l = NULL;
        struct v2c_error *e = NULL;
        char p[512], q[512];
        /* index.json a symlink to a file outside. */
        snprintf(p, sizeof p, "%s/index.json", dir);
        snprintf(q, sizeof q, "%s/real-index.json", dir);
        assert_int_equal(rename(p, q), 0);
        assert_int_equal(symlink(q, p), 0);
        assert_true(v2c_oci_dir_open(dir, &l, &e) < 0);
        assert_int_equal(e->kind, V2C_ERR_INPUT);
        e = v2c_error_free(e);
        assert_int_equal(unlink(p), 0);
        assert_int_equal(rename(q, p), 0);
        /* Another layout version. */
        write_file("oci-layout", "{\"imageLayoutVersion\":\"2.0.0\"}");
        assert_int_equal(v2c_oci_dir_open(dir, &l, &e), -EINVAL);
        e = v2c_error_free(e);
        snprintf(p, sizeof p, "%s/oci-layout", dir);
        assert_int_equal(unlink(p), 0);
        assert_int_equal(v2c_oci_dir_open(dir, &l, &e), -ENOENT);
        assert_int_equal(e->kind, V2C_ERR_INPUT);
        e = v2c_error_free(e);
        assert_null(l);
}

int main(int argc, char **argv)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(round_trip, setup, teardown),
                cmocka_unit_test_setup_teardown(digest_mismatch_refused, setup, teardown),
                cmocka_unit_test_setup_teardown(verify_checks_manifest_digest, setup, teardown),
                cmocka_unit_test_setup_teardown(size_checked, setup, teardown),
                cmocka_unit_test_setup_teardown(symlink_blob_refused, setup, teardown),
                cmocka_unit_test_setup_teardown(ref_names, setup, teardown),
                cmocka_unit_test_setup_teardown(not_a_layout, setup, teardown),
        };
        if (argc > 1)
                cmocka_set_test_filter(argv[1]);
        return cmocka_run_group_tests(tests, NULL, NULL);
}
