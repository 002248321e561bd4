/* Unit tests for the fleet report (cli/fleet.c): which stateless services
 * are one image candidate, the waves connects_to gives (chains, cycles,
 * connections to services that stay on the VM), the blockers, and the
 * draft playbooks and HTML page with hostile guest names (the drafts are
 * read back by rollout's own playbook parser); convert results (lock.json)
 * read as untrusted input, and the layers they share. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "unit-main.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleet.h"
#include "json.h"
#include "playbook.h"

/* A report from its JSON, as `v2c report` reads one. */
static struct v2c_report *report(const char *json)
{
        json_t *j = json_loads(json, 0, NULL);
        assert_non_null(j);
        struct v2c_report *r = NULL;
        struct v2c_error *err = NULL;
        int rc = v2c_report_from_json(j, &r, &err);
        if (rc < 0)
                fail_msg("report: %s", err->msg);
        json_decref(j);
        return r;
}

static void add(struct v2c_fleet *f, const char *name, const char *json)
{
        struct v2c_report *r = report(json);
        assert_int_equal(v2c_fleet_add(f, name, name, r, NULL), 0);
        v2c_report_free(r);
}

#define OS(version) "\"schema\": \"v2c.inspect/1\", \"os\": {\"distro\": \"debian\", \"version\": \"" version \
                    "\", \"arch\": \"x86_64\", \"packages\": 10, \"package_format\": \"dpkg\"}"
#define SVC(name, pkgs, links) "{\"name\": \"" name "\", \"kind\": \"systemd\", \"class\": \"stateless\", " \
                               "\"exec\": {\"path\": \"/usr/sbin/" name "\"}, \"packages\": [" pkgs "], " \
                               "\"ports\": [{\"port\": 80, \"proto\": \"tcp\", \"source\": \"argv\"}], " \
                               "\"connects_to\": [" links "]}"
#define LINK(to) "{\"service\": \"" to "\", \"port\": 80, \"found\": \"/etc/x:1\", \"via\": \"URL\"}"

static const struct v2c_fleet_image *image(const struct v2c_fleet *f, const char *service, size_t vm)
{
        for (size_t i = 0; i < f->n_images; i++)
                for (size_t m = 0; m < f->images[i].n_members; m++)
                        if (strcmp(f->images[i].service, service) == 0 && f->images[i].members[m].vm == vm)
                                return &f->images[i];
        fail_msg("no image of %s on VM %zu", service, vm);
        return NULL;
}

static void test_same_service_one_image(void **state)
{
        (void) state;
        struct v2c_fleet f = { 0 };
        add(&f, "a", "{" OS("12.7") ", \"services\": [" SVC("nginx", "\"nginx\"", "") "]}");
        add(&f, "b", "{" OS("12.7") ", \"services\": [" SVC("nginx", "\"nginx\"", "") "]}");
        /* Another package set, another OS release: other images. */
        add(&f, "c", "{" OS("12.7") ", \"services\": [" SVC("nginx", "\"nginx\", \"libgd3\"", "") "]}");
        add(&f, "d", "{" OS("13.1") ", \"services\": [" SVC("nginx", "\"nginx\"", "") "]}");
        assert_int_equal(v2c_fleet_analyse(&f, NULL), 0);
        assert_int_equal(f.n_images, 3);
        const struct v2c_fleet_image *ab = image(&f, "nginx", 0);
        assert_int_equal(ab->n_members, 2);
        assert_int_equal(ab->members[1].vm, 1);
        assert_ptr_equal(image(&f, "nginx", 1), ab);
        assert_ptr_not_equal(image(&f, "nginx", 2), ab);
        assert_ptr_not_equal(image(&f, "nginx", 3), ab);
        assert_ptr_not_equal(image(&f, "nginx", 3), image(&f, "nginx", 2));
        v2c_fleet_release(&f);
}

/* nginx on Debian 12.7 with its package's version and its configuration
 * file's digest (DIGIT: the digest's first hex digit). */
#define BUILT(version, digit) "{" OS("12.7") ", \"services\": [{\"name\": \"nginx\", \"kind\": \"systemd\", " \
        "\"class\": \"stateless\", \"exec\": {\"path\": \"/usr/sbin/nginx\"}, \"packages\": [\"nginx\"], " \
        "\"package_versions\": {\"nginx\": \"" version "\"}, \"config_files\": [\"/etc/nginx/nginx.conf\"], " \
        "\"config_digests\": {\"/etc/nginx/nginx.conf\": \"sha256:" digit \
        "123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\"}}]}"

static void test_config_content_splits_images(void **state)
{
        (void) state;
        struct v2c_fleet f = { 0 };
        add(&f, "a", BUILT("1.22.1-9", "0"));
        add(&f, "b", BUILT("1.22.1-9", "0"));
        /* Same paths and packages, another nginx.conf; another build. */
        add(&f, "c", BUILT("1.22.1-9", "f"));
        add(&f, "d", BUILT("1.22.1-9+deb12u1", "0"));
        assert_int_equal(v2c_fleet_analyse(&f, NULL), 0);
        assert_int_equal(f.n_images, 3);
        const struct v2c_fleet_image *ab = image(&f, "nginx", 0);
        assert_int_equal(ab->n_members, 2);
        assert_ptr_equal(image(&f, "nginx", 1), ab);
        assert_ptr_not_equal(image(&f, "nginx", 2), ab);
        assert_ptr_not_equal(image(&f, "nginx", 3), ab);
        assert_ptr_not_equal(image(&f, "nginx", 3), image(&f, "nginx", 2));
        v2c_fleet_release(&f);
}

static void test_waves_follow_connections(void **state)
{
        (void) state;
        struct v2c_fleet f = { 0 };
        /* front -> app -> cache (stateless), app -> db (stateful: stays). */
        add(&f, "a", "{" OS("12.7") ", \"services\": ["
                     SVC("app", "\"python3\"", LINK("cache") "," LINK("db")) ","
                     SVC("cache", "\"memcached\"", "") ","
                     "{\"name\": \"db\", \"kind\": \"systemd\", \"class\": \"stateful\", \"reasons\": [\"data\"]},"
                     SVC("front", "\"nginx\"", LINK("app")) "]}");
        assert_int_equal(v2c_fleet_analyse(&f, NULL), 0);
        assert_int_equal(f.n_waves, 3);
        assert_int_equal(image(&f, "cache", 0)->wave, 1);
        assert_int_equal(image(&f, "app", 0)->wave, 2);
        assert_int_equal(image(&f, "front", 0)->wave, 3);
        assert_int_equal(image(&f, "app", 0)->n_after, 1);       /* db orders nothing */
        assert_false(image(&f, "app", 0)->cycle);
        assert_int_equal(f.vms[0].by_class[V2C_CLASS_STATEFUL], 1);
        assert_int_equal(f.vms[0].n_blockers, 1);
        assert_int_equal(f.vms[0].blockers[0].kind, V2C_FLEET_STATEFUL);
        assert_int_equal(f.vms[0].n_ready, 3);
        v2c_fleet_release(&f);
}

static void test_cycle_placed(void **state)
{
        (void) state;
        struct v2c_fleet f = { 0 };
        add(&f, "a", "{" OS("12.7") ", \"services\": [" SVC("p", "", LINK("q")) "," SVC("q", "", LINK("p")) ","
                     SVC("r", "", LINK("q")) "]}");
        assert_int_equal(v2c_fleet_analyse(&f, NULL), 0);
        const struct v2c_fleet_image *p = image(&f, "p", 0), *q = image(&f, "q", 0), *r = image(&f, "r", 0);
        /* Every image placed, one of the cycle marked, r after q. */
        assert_true(p->wave >= 1 && q->wave >= 1);
        assert_true(p->cycle || q->cycle);
        assert_false(r->cycle);
        assert_true(r->wave > q->wave);
        assert_int_equal(f.n_waves, r->wave);
        v2c_fleet_release(&f);
}

static void test_blockers(void **state)
{
        (void) state;
        struct v2c_fleet f = { 0 };
        add(&f, "a", "{\"schema\": \"v2c.inspect/1\", \"os\": {\"package_format\": \"dpkg\", \"packages\": 0}, "
                     "\"warnings\": [\"/var/lib/dpkg/status: a dangling link: the package database was not read\"], "
                     "\"services\": ["
                     "{\"name\": \"s\", \"kind\": \"systemd\", \"class\": \"stateless\", \"secret_files\": "
                     "[{\"path\": \"/etc/s.key\", \"kind\": \"private-key\", \"owner\": \"root\", \"group\": \"root\", "
                     "\"uid\": 0, \"gid\": 0, \"mode\": \"0600\"}]},"
                     "{\"name\": \"sys\", \"kind\": \"systemd\", \"class\": \"system\", \"app_files\": [\"/x\"], "
                     "\"exec\": {\"path\": \"/x\"}},"
                     "{\"name\": \"u\", \"kind\": \"systemd\", \"class\": \"stateless\", \"exec\": {\"path\": "
                     "\"/opt/u/run\"}, \"app_files\": [\"/opt/u/run\"]}]}");
        assert_int_equal(v2c_fleet_analyse(&f, NULL), 0);
        const struct v2c_fleet_vm *vm = &f.vms[0];
        assert_int_equal(vm->n_blockers, 4);
        assert_int_equal(vm->blockers[0].kind, V2C_FLEET_OS_UNKNOWN);
        assert_int_equal(vm->blockers[1].kind, V2C_FLEET_PKGDB_UNREAD);
        assert_non_null(strstr(vm->blockers[1].detail, "dangling link"));
        assert_int_equal(vm->blockers[2].kind, V2C_FLEET_SECRET);
        assert_string_equal(vm->blockers[2].service, "s");
        assert_int_equal(vm->blockers[3].kind, V2C_FLEET_UNOWNED_EXEC);   /* a system service's is none */
        assert_string_equal(vm->blockers[3].service, "u");
        assert_int_equal(vm->n_ready, 0);
        assert_false(image(&f, "s", 0)->ready);
        v2c_fleet_release(&f);
}

/* A name made to break out of every syntax the outputs use. */
#define HOSTILE "x\\\"\\n- name: evil\\u0007<script>'"

static void test_drafts_and_page_with_hostile_names(void **state)
{
        (void) state;
        struct v2c_fleet f = { 0 };
        add(&f, "vm-1", "{" OS("12.7") ", \"services\": [" SVC(HOSTILE, "\"nginx\"", "") ","
                        SVC("web", "\"nginx\"", LINK(HOSTILE)) "]}");
        add(&f, "vm-2", "{" OS("12.7") ", \"services\": [" SVC(HOSTILE, "\"nginx\"", "") "]}");
        assert_int_equal(v2c_fleet_analyse(&f, NULL), 0);
        assert_int_equal(f.n_waves, 2);

        char *yaml = NULL;
        assert_int_equal(v2c_fleet_playbook(&f, 1, &yaml), 0);
        assert_non_null(yaml);
        /* Refused by rollout's parser, for the placeholders only: 5 of
         * them per service, two services. */
        struct v2c_playbook *pb = NULL;
        struct v2c_error *err = NULL;
        assert_int_equal(v2c_playbook_parse(yaml, strlen(yaml), "wave-1.yaml", &pb, &err), -EINVAL);
        size_t lines = 0;
        for (char *l = err->msg; l; l = strchr(l, '\n'), l = l ? l + 1 : NULL, lines++)
                if (strstr(l, "`" V2C_FLEET_PLACEHOLDER) == NULL)
                        fail_msg("not about a placeholder: %.200s", l);
        assert_int_equal(lines, 10);
        v2c_error_free(err);
        err = NULL;

        /* Filled in, it is a playbook: one service per VM, names made
         * valid and distinct, the hostile text only inside quotes. */
        char *filled = strdup(yaml);
        char *buf = malloc(strlen(yaml) * 2 + 1024);
        buf[0] = '\0';
        for (char *line = strtok(filled, "\n"); line; line = strtok(NULL, "\n")) {
                char *ph = strstr(line, "\"" V2C_FLEET_PLACEHOLDER);
                if (ph == NULL) {
                        strcat(buf, line);
                } else {
                        *ph = '\0';
                        strcat(buf, line);
                        strcat(buf, strstr(line, "endpoint") ? "127.0.0.1:80"
                                    : strstr(line, "image") ? "127.0.0.1:5000/x@sha256:28fa823b0979266637d2a2caccc"
                                                              "26a6981e6ffc747b451c7c50251dea337b5ab"
                                    : "/run/x.sock");
                }
                strcat(buf, "\n");
        }
        if (v2c_playbook_parse(buf, strlen(buf), "filled.yaml", &pb, &err) < 0)
                fail_msg("%s", err->msg);
        assert_int_equal(pb->n_waves, 1);
        assert_int_equal(pb->waves[0].n_services, 2);
        assert_string_equal(pb->waves[0].services[0].name, "x----name--evil--script---vm-1");
        assert_string_equal(pb->waves[0].services[1].name, "x----name--evil--script---vm-2");
        assert_int_equal(pb->waves[0].services[0].container.ports[0].host_port, 20000);
        assert_int_equal(pb->waves[0].services[1].container.ports[0].host_port, 20001);
        v2c_playbook_free(pb);
        /* Wave 2's host ports come after wave 1's. */
        char *yaml2 = NULL;
        assert_int_equal(v2c_fleet_playbook(&f, 2, &yaml2), 0);
        assert_non_null(strstr(yaml2, "ports: [\"20002:80\"]"));
        free(yaml2);
        free(buf);
        free(filled);
        free(yaml);

        char *html = v2c_fleet_to_html(&f);
        assert_non_null(html);
        assert_null(strstr(html, "<script"));
        assert_non_null(strstr(html, "x&quot;\\x0a- name: evil\\x07&lt;script&gt;&#39;"));
        assert_null(strstr(html, "http"));
        free(html);
        v2c_fleet_release(&f);
}

/* Host ports are numbered over the whole fleet: past 65535 the draft says
 * so with a placeholder instead of a port that does not exist. */
static void test_host_ports_run_out(void **state)
{
        (void) state;
        char ports[64 * 64] = "";
        for (unsigned p = 1; p <= 64; p++)
                snprintf(ports + strlen(ports), sizeof ports - strlen(ports),
                         "%s{\"port\": %u, \"proto\": \"tcp\", \"source\": \"argv\"}", p > 1 ? ", " : "", 8000 + p);
        char *json;
        assert_true(asprintf(&json, "{" OS("12.7") ", \"services\": [{\"name\": \"w\", \"kind\": \"systemd\", "
                                    "\"class\": \"stateless\", \"ports\": [%s]}]}", ports) > 0);
        struct v2c_report *r = report(json);
        struct v2c_fleet f = { 0 };
        /* 712 VMs: 45568 ports from 20000, the last 32 past 65535. */
        for (unsigned v = 0; v < 712; v++) {
                char name[16];
                snprintf(name, sizeof name, "vm%u", v);
                assert_int_equal(v2c_fleet_add(&f, name, name, r, NULL), 0);
        }
        assert_int_equal(v2c_fleet_analyse(&f, NULL), 0);
        char *yaml = NULL;
        assert_int_equal(v2c_fleet_playbook(&f, 1, &yaml), 0);
        assert_non_null(strstr(yaml, "\"65535:8032\""));
        assert_null(strstr(yaml, "\"65536:"));
        size_t n = 0;
        for (const char *p = yaml; (p = strstr(p, "\"" V2C_FLEET_PLACEHOLDER "a free host port:")); p++)
                n++;
        assert_int_equal(n, 32);
        free(yaml);
        v2c_fleet_release(&f);
        v2c_report_free(r);
        free(json);
}

/* ---- convert results (lock.json) ---- */

#define D(c) "sha256:" c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c \
             c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c
#define DESC(d, n) "{\"mediaType\": \"m\", \"digest\": \"" d "\", \"size\": " #n "}"
#define LAYER(role, d, n) "{\"role\": \"" role "\", \"mediaType\": \"m\", \"digest\": \"" d "\", " \
                          "\"diff_id\": \"" D("f") "\", \"size\": " #n "}"
#define IMAGE(name, layers) "{\"service\": \"" name "\", \"ref_name\": \"" name "\", \"manifest\": " \
                            DESC(D("e"), 900) ", \"config\": " DESC(D("d"), 800) ", \"layers\": [" layers "]}"
#define LOCK(images) "{\"schema\": \"v2c.lock/1\", \"tool\": \"v2c\", \"images\": [" images "]}"

/* The error of reading lock JSON, or NULL when it is accepted. */
static char *lock_error(const char *json)
{
        json_t *j = json_loads(json, 0, NULL);
        assert_non_null(j);
        struct v2c_fleet_lock_image *images = NULL;
        size_t n = 0;
        struct v2c_error *err = NULL;
        char *msg = NULL;
        if (v2c_fleet_lock_read(j, &images, &n, &err) < 0) {
                assert_int_equal(err->kind, V2C_ERR_INPUT);
                msg = strdup(err->msg);
                v2c_error_free(err);
        } else {
                struct v2c_fleet_vm vm = { .images = images, .n_images = n };
                v2c_fleet_vm_lock_release(&vm);
        }
        json_decref(j);
        return msg;
}

static void expect_lock_error(const char *json, const char *want)
{
        char *msg = lock_error(json);
        if (msg == NULL || strstr(msg, want) == NULL)
                fail_msg("lock %s: error %s, expected one holding %s", json, msg ? msg : "(none)", want);
        free(msg);
}

static void test_lock_values_checked(void **state)
{
        (void) state;
        assert_null(lock_error(LOCK(IMAGE("nginx", LAYER("base", D("a"), 10) "," LAYER("app", D("b"), 5)))));
        assert_null(lock_error(LOCK("")));
        expect_lock_error("[]", "(top): not a JSON object");
        expect_lock_error("{\"schema\": \"v2c.inspect/1\", \"images\": []}", "not a convert result");
        expect_lock_error(LOCK(IMAGE("nginx", LAYER("base", "sha256:abc", 10))), "images[0].layers[0].digest: not sha256:");
        expect_lock_error(LOCK(IMAGE("nginx", LAYER("base", D("A"), 10))), "images[0].layers[0].digest: not sha256:");
        expect_lock_error(LOCK(IMAGE("nginx", LAYER("base", "sha512:" D("a"), 10))), "images[0].layers[0].digest");
        expect_lock_error(LOCK(IMAGE("nginx", LAYER("base", D("a"), 0))), "images[0].layers[0].size: not an integer");
        expect_lock_error(LOCK(IMAGE("nginx", LAYER("base", D("a"), -3))), "images[0].layers[0].size");
        expect_lock_error(LOCK(IMAGE("nginx", LAYER("base", D("a"), 1099511627777))), "images[0].layers[0].size");
        expect_lock_error(LOCK(IMAGE("nginx", LAYER("base", D("a"), "10"))), "images[0].layers[0].size");
        expect_lock_error(LOCK(IMAGE("nginx", LAYER("root", D("a"), 10))), "images[0].layers[0].role: not one of");
        expect_lock_error(LOCK(IMAGE("nginx", "")), "images[0].layers: not an array of 1 to 128 layers");
        expect_lock_error(LOCK(IMAGE("a", LAYER("base", D("a"), 1)) "," IMAGE("a", LAYER("base", D("a"), 1))),
                          "images[1].ref_name: `a` again");
        expect_lock_error(LOCK(IMAGE("../x", LAYER("base", D("a"), 1))), "images[0].ref_name: not a name");
        expect_lock_error(LOCK(IMAGE("<b>", LAYER("base", D("a"), 1))), "images[0].ref_name: not a name");
        expect_lock_error("{\"schema\": \"v2c.lock/1\", \"images\": [{\"ref_name\": \"a\", \"service\": \"a\", "
                          "\"manifest\": " DESC(D("e"), 5000000) "}]}",
                          "images[0].manifest.size: not an integer from 1 to 4194304");
        expect_lock_error("{\"schema\": \"v2c.lock/1\", \"images\": [{\"ref_name\": \"a\", \"service\": \"a\"}]}",
                          "images[0].manifest: missing");
        expect_lock_error("{\"schema\": \"v2c.lock/1\", \"images\": {}}", "images: not an array");
        /* Bounded counts: images of one result, layers of one image. */
        char *many = NULL;
        size_t len = 0;
        FILE *m = open_memstream(&many, &len);
        fputs("{\"schema\": \"v2c.lock/1\", \"images\": [", m);
        for (int i = 0; i <= V2C_FLEET_LOCK_MAX_IMAGES; i++)
                fprintf(m, "%s{\"ref_name\": \"i%d\"}", i ? "," : "", i);
        fputs("]}", m);
        fclose(m);
        expect_lock_error(many, "images: more than 1024 images");
        free(many);
        char *layers = NULL;
        m = open_memstream(&layers, &len);
        for (int i = 0; i <= V2C_FLEET_IMAGE_MAX_LAYERS; i++)
                fprintf(m, "%s" LAYER("app", D("a"), 1), i ? "," : "");
        fclose(m);
        char *big = NULL;
        assert_true(asprintf(&big, "{\"schema\": \"v2c.lock/1\", \"images\": [" IMAGE("a", "%s") "]}", layers) > 0);
        expect_lock_error(big, "images[0].layers: not an array of 1 to 128 layers");
        free(big);
        free(layers);
}

static void add_lock(struct v2c_fleet *f, const char *vm, const char *json)
{
        json_t *j = json_loads(json, 0, NULL);
        assert_non_null(j);
        struct v2c_error *err = NULL;
        if (v2c_fleet_add_lock(f, vm, vm, j, &err) < 0)
                fail_msg("lock of %s: %s", vm, err->msg);
        json_decref(j);
}

static void test_shared_layers(void **state)
{
        (void) state;
        struct v2c_fleet f = { 0 };
        add(&f, "web01", "{" OS("12.7") ", \"services\": []}");
        add(&f, "web02", "{" OS("12.7") ", \"services\": []}");
        add(&f, "db01", "{" OS("12.7") ", \"services\": []}");
        /* base a: four images of two VMs; packages b: two images of one
         * VM; c: one image, listed twice there (held once). */
        add_lock(&f, "web01", LOCK(IMAGE("nginx", LAYER("base", D("a"), 1000) "," LAYER("packages", D("b"), 300)) ","
                                   IMAGE("webapp", LAYER("base", D("a"), 1000) "," LAYER("packages", D("b"), 300))));
        add_lock(&f, "web02", LOCK(IMAGE("nginx", LAYER("base", D("a"), 1000) "," LAYER("app", D("c"), 7) ","
                                                  LAYER("app", D("c"), 7)) ","
                                   IMAGE("webapp", LAYER("base", D("a"), 1000))));
        /* A result for a VM without a report, and a second one for a VM. */
        json_t *j = json_loads(LOCK(""), 0, NULL);
        struct v2c_error *err = NULL;
        assert_int_equal(v2c_fleet_add_lock(&f, "web03", "web03.lock.json", j, &err), -ENOENT);
        assert_non_null(strstr(err->msg, "no inspection report of VM `web03`"));
        v2c_error_free(err);
        err = NULL;
        assert_true(v2c_fleet_add_lock(&f, "web01", "again.lock.json", j, &err) < 0);
        assert_non_null(strstr(err->msg, "are both convert results of VM `web01`"));
        v2c_error_free(err);
        json_decref(j);
        assert_int_equal(v2c_fleet_analyse(&f, NULL), 0);

        assert_int_equal(f.n_layers, 3);
        /* Most bytes saved first: a saves 3000, b 300, c nothing. */
        assert_string_equal(f.layers[0].digest, D("a"));
        assert_string_equal(f.layers[0].role, "base");
        assert_int_equal(f.layers[0].n_uses, 4);
        assert_int_equal(f.layers[0].n_vms, 2);
        assert_int_equal(f.layers[1].n_uses, 2);
        assert_int_equal(f.layers[1].n_vms, 1);
        assert_string_equal(f.layers[2].digest, D("c"));
        assert_int_equal(f.layers[2].n_uses, 1);
        struct v2c_fleet_layer_totals t;
        v2c_fleet_layer_totals(&f, &t);
        assert_int_equal(t.vms, 2);
        assert_int_equal(t.images, 4);
        assert_int_equal(t.layers, 3);
        assert_int_equal(t.references, 7);
        assert_int_equal(t.shared, 2);
        assert_int_equal(t.shared_across_vms, 1);
        assert_int_equal(t.bytes, 4000 + 600 + 7);
        assert_int_equal(t.stored_bytes, 1307);
        assert_int_equal(t.saved_bytes, 3300);

        json_t *doc = v2c_fleet_to_json(&f);
        assert_non_null(doc);
        json_t *sl = json_object_get(doc, "shared_layers");
        assert_int_equal(json_array_size(sl), 2);
        json_t *first = json_array_get(sl, 0);
        assert_int_equal(json_integer_value(json_object_get(first, "saved_bytes")), 3000);
        assert_int_equal(json_array_size(json_object_get(first, "vms")), 2);
        assert_int_equal(json_array_size(json_object_get(first, "images")), 4);
        assert_true(json_is_null(json_object_get(json_array_get(json_object_get(doc, "vms"), 2), "convert")));
        json_decref(doc);
        char *text = v2c_fleet_to_text(&f);
        assert_non_null(strstr(text, "a registry stores 1.3 kB of 4.6 kB, 3.3 kB saved"));
        assert_non_null(strstr(text, "  base       sha256:aaaaaaaaaaaa    1.0 kB  4 images on web01, web02; saves 3.0 kB\n"));
        free(text);
        char *page = v2c_fleet_to_html(&f);
        assert_non_null(strstr(page, "<h2>Shared layers</h2>"));
        assert_non_null(strstr(page, "<td>base</td><td title=\"" D("a") "\">sha256:aaaaaaaaaaaa</td>"));
        free(page);
        v2c_fleet_release(&f);

        /* VM names are file names, any bytes: escaped in the layers' table. */
        struct v2c_fleet h = { 0 };
        add(&h, "<i>a", "{" OS("12.7") ", \"services\": []}");
        add(&h, "b\"", "{" OS("12.7") ", \"services\": []}");
        add_lock(&h, "<i>a", LOCK(IMAGE("x", LAYER("base", D("a"), 10))));
        add_lock(&h, "b\"", LOCK(IMAGE("x", LAYER("base", D("a"), 10))));
        assert_int_equal(v2c_fleet_analyse(&h, NULL), 0);
        page = v2c_fleet_to_html(&h);
        assert_non_null(strstr(page, "<td>&lt;i&gt;a, b&quot;</td>"));
        assert_null(strstr(page, "<i>"));
        free(page);
        v2c_fleet_release(&h);

        /* One digest, two sizes: not v2c's results, refused. */
        struct v2c_fleet g = { 0 };
        add(&g, "a", "{" OS("12.7") ", \"services\": []}");
        add(&g, "b", "{" OS("12.7") ", \"services\": []}");
        add_lock(&g, "a", LOCK(IMAGE("x", LAYER("base", D("a"), 10))));
        add_lock(&g, "b", LOCK(IMAGE("x", LAYER("base", D("a"), 11))));
        err = NULL;
        assert_true(v2c_fleet_analyse(&g, &err) < 0);
        assert_non_null(strstr(err->msg, "is 10 bytes in `a` and 11 bytes in `b`"));
        v2c_error_free(err);
        v2c_fleet_release(&g);
}

int main(int argc, char **argv)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_same_service_one_image),
                cmocka_unit_test(test_config_content_splits_images),
                cmocka_unit_test(test_waves_follow_connections),
                cmocka_unit_test(test_cycle_placed),
                cmocka_unit_test(test_blockers),
                cmocka_unit_test(test_drafts_and_page_with_hostile_names),
                cmocka_unit_test(test_host_ports_run_out),
                cmocka_unit_test(test_lock_values_checked),
                cmocka_unit_test(test_shared_layers),
        };
        return v2c_run_group_tests(argc, argv, tests, NULL, NULL);
}
