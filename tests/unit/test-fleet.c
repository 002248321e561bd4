/* Unit tests for the fleet report (cli/fleet.c): which stateless services
 * are one image candidate, the waves connects_to gives (chains, cycles,
 * connections to services that stay on the VM), the blockers, and the
 * draft playbooks and HTML page with hostile guest names (the drafts are
 * read back by rollout's own playbook parser). */
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
        };
        return v2c_run_group_tests(argc, argv, tests, NULL, NULL);
}
