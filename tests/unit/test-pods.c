/* Unit tests for the pods of services that talk over localhost
 * (convert/pods.c) and their Kubernetes manifest (convert/k8s.c):
 * grouping by the report's connects_to, what is said about connections to
 * services left on the VM, and the one-Deployment YAML. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "unit-main.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "artifacts.h"
#include "cleanup.h"
#include "error.h"
#include "pods-internal.h"
#include "report.h"
#include "strv.h"

static const char *report_text =
        "{\"schema\": \"v2c.inspect/1\", \"os\": {\"hostname\": \"web01\"}, \"services\": ["
        " {\"name\": \"hello\", \"kind\": \"systemd\", \"class\": \"stateless\", \"connects_to\": []},"
        " {\"name\": \"nginx\", \"kind\": \"systemd\", \"class\": \"stateless\", \"connects_to\": ["
        "   {\"service\": \"webapp\", \"port\": 8000, \"address\": \"127.0.0.1\", \"found\": \"/etc/nginx/x:3\", \"via\": \"proxy_pass\"},"
        "   {\"service\": \"php8.2-fpm\", \"socket\": \"/run/php/php8.2-fpm.sock\", \"address\": null, \"found\": \"/etc/nginx/x:9\", \"via\": \"fastcgi_pass\"}]},"
        " {\"name\": \"php8.2-fpm\", \"kind\": \"systemd\", \"class\": \"stateless\", \"connects_to\": []},"
        " {\"name\": \"redis-server\", \"kind\": \"systemd\", \"class\": \"stateful\", \"connects_to\": []},"
        " {\"name\": \"webapp\", \"kind\": \"systemd\", \"class\": \"stateless\", \"connects_to\": ["
        "   {\"service\": \"redis-server\", \"port\": 6380, \"address\": \"127.0.0.1\", \"found\": \"/etc/webapp/webapp.env:8\", \"via\": \"REDIS_URL\"},"
        "   {\"service\": \"redis-server\", \"port\": 6380, \"address\": \"localhost\", \"found\": \"/etc/webapp/app.ini:2\", \"via\": \"cache\"}]},"
        " {\"name\": \"worker\", \"kind\": \"systemd\", \"class\": \"stateless\", \"connects_to\": ["
        "   {\"service\": \"webapp\", \"port\": 8000, \"address\": \"web01\", \"found\": \"/etc/worker.env:1\", \"via\": \"API\"}]}"
        "]}";

/* Read as convert gets it: through the report reader. */
static struct v2c_report *load_report(void)
{
        json_error_t je;
        json_t *j = json_loads(report_text, 0, &je);
        assert_non_null(j);
        struct v2c_report *r = NULL;
        assert_int_equal(v2c_report_from_json(j, &r, NULL), 0);
        json_decref(j);
        return r;
}

/* The report's services of the names given, in that order. */
static const struct v2c_service **pick(const struct v2c_report *report, const char *const *names, size_t n)
{
        const struct v2c_service **v = calloc(n, sizeof *v);
        assert_non_null(v);
        for (size_t k = 0; k < n; k++) {
                v[k] = v2c_report_service(report, names[k]);
                assert_non_null(v[k]);
        }
        return v;
}

static void test_group_chain(void **state)
{
        (void) state;
        struct v2c_report *report = load_report();
        /* worker -> webapp <- nginx: one pod of three; hello alone. */
        const char *names[] = { "hello", "nginx", "webapp", "worker" };
        _cleanup_free_ const struct v2c_service **chosen = pick(report, names, 4);
        struct pod_plan p;
        assert_int_equal(convert_plan_pods(report, chosen, 4, &p, NULL), 0);
        assert_null(convert_pod_of(&p, chosen[0]));
        assert_string_equal(convert_pod_of(&p, chosen[1]), "nginx-webapp-worker");
        assert_string_equal(convert_pod_of(&p, chosen[2]), "nginx-webapp-worker");
        assert_string_equal(convert_pod_of(&p, chosen[3]), "nginx-webapp-worker");
        /* What stays on the VM: redis (twice named, needed once) and php-fpm's socket. */
        assert_null(convert_needs_of(&p, chosen[0]));
        assert_string_equal(convert_needs_of(&p, chosen[1]), "php8.2-fpm:/run/php/php8.2-fpm.sock");
        assert_string_equal(convert_needs_of(&p, chosen[2]), "redis-server:6380");
        assert_null(convert_needs_of(&p, chosen[3]));
        assert_int_equal(json_array_size(p.outside), 3);
        assert_int_equal(v2c_strv_len(p.warnings), 3);
        bool env = false, file = false, sock = false;
        for (size_t i = 0; p.warnings[i]; i++) {
                const char *w = p.warnings[i];
                env |= strstr(w, "webapp reaches redis-server at 127.0.0.1:6380 (REDIS_URL") && strstr(w, "stateful") &&
                       strstr(w, "set REDIS_URL to an address of web01") && strstr(w, "port 6380");
                file |= strstr(w, "(cache, /etc/webapp/app.ini:2)") && strstr(w, "change /etc/webapp/app.ini:2");
                sock |= strstr(w, "unix socket /run/php/php8.2-fpm.sock") != NULL;
        }
        assert_true(env);
        assert_true(file);
        assert_true(sock);
        convert_pod_plan_release(&p);
        v2c_report_free(report);
}

static void test_alone(void **state)
{
        (void) state;
        struct v2c_report *report = load_report();
        /* nginx without webapp: no pod, webapp named as left behind. */
        const char *names[] = { "hello", "nginx" };
        _cleanup_free_ const struct v2c_service **chosen = pick(report, names, 2);
        struct pod_plan p;
        assert_int_equal(convert_plan_pods(report, chosen, 2, &p, NULL), 0);
        assert_null(convert_pod_of(&p, chosen[0]));
        assert_null(convert_pod_of(&p, chosen[1]));
        assert_string_equal(convert_needs_of(&p, chosen[1]), "webapp:8000,php8.2-fpm:/run/php/php8.2-fpm.sock");
        convert_pod_plan_release(&p);

        /* nginx+php (socket) and webapp+redis, joined by nginx -> webapp: one pod. */
        const char *four[] = { "nginx", "php8.2-fpm", "redis-server", "webapp" };
        _cleanup_free_ const struct v2c_service **c4 = pick(report, four, 4);
        assert_int_equal(convert_plan_pods(report, c4, 4, &p, NULL), 0);
        assert_string_equal(convert_pod_of(&p, c4[0]), "nginx-php8.2-fpm-redis-server-webapp");
        assert_int_equal(json_array_size(p.outside), 0);
        assert_null(p.warnings);
        convert_pod_plan_release(&p);
        v2c_report_free(report);
}

#define D64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void test_k8s_pod(void **state)
{
        (void) state;
        unsigned p1[] = { 8080 }, p2[] = { 8000 };
        char *env2[] = { (char *) "API_TOKEN", NULL };
        char *vol2[] = { (char *) "/var/lib/webapp", NULL };
        struct v2c_k8s_spec specs[] = {
                { .name = "nginx", .image = "r/nginx@sha256:" D64, .ports = p1, .n_ports = 1 },
                { .name = "webapp", .image = "r/webapp@sha256:" D64, .ports = p2, .n_ports = 1,
                  .env_required = env2, .volumes = vol2, .user_uid = "1001" },
        };
        _cleanup_free_ char *y = NULL;
        assert_int_equal(v2c_k8s_pod_manifests("nginx-webapp", specs, 2, &y, NULL), 0);
        /* One Deployment, two containers, two Services selecting the pod, one claim. */
        size_t deployments = 0, services = 0, claims = 0;
        for (const char *s = y; (s = strstr(s, "kind: ")); s++) {
                deployments += strncmp(s, "kind: \"Deployment\"", 18) == 0;
                services += strncmp(s, "kind: \"Service\"", 15) == 0;
                claims += strncmp(s, "kind: \"PersistentVolumeClaim\"", 29) == 0;
        }
        assert_int_equal(deployments, 1);
        assert_int_equal(services, 2);
        assert_int_equal(claims, 1);
        assert_non_null(strstr(y, "        - name: \"nginx\"\n          image: \"r/nginx@sha256:" D64 "\""));
        assert_non_null(strstr(y, "        - name: \"webapp\"\n          image: \"r/webapp@sha256:" D64 "\""));
        assert_non_null(strstr(y, "metadata:\n  name: \"webapp\"\n  labels:\n    app.kubernetes.io/name: \"nginx-webapp\""));
        assert_non_null(strstr(y, "  strategy:\n    type: \"Recreate\""));
        assert_non_null(strstr(y, "name: \"webapp-env\""));

        /* By digest only; names must differ. */
        struct v2c_error *err = NULL;
        specs[0].image = "r/nginx:latest";
        char *z = NULL;
        assert_int_equal(v2c_k8s_pod_manifests("p", specs, 2, &z, &err), -EINVAL);
        err = v2c_error_free(err);
        specs[0].image = "r/nginx@sha256:" D64;
        specs[1].name = "NGINX";
        assert_int_equal(v2c_k8s_pod_manifests("p", specs, 2, &z, &err), -EEXIST);
        err = v2c_error_free(err);
        assert_int_equal(v2c_k8s_pod_manifests("p", specs, 0, &z, &err), -EINVAL);
        v2c_error_free(err);
        assert_null(z);
}

/* What a YAML parser (PyYAML, as kubectl's reads the same) makes of a pod
 * whose two containers both have secret files: every volume named once,
 * every mount naming a volume of the pod, and each container's secret
 * files coming from its own Secret, its variables from its own "-env". */
static const char pod_check_py[] =
        "import sys, yaml\n"
        "docs = list(yaml.safe_load_all(open(sys.argv[1])))\n"
        "dep = [d for d in docs if d['kind'] == 'Deployment']\n"
        "assert len(dep) == 1, dep\n"
        "spec = dep[0]['spec']['template']['spec']\n"
        "vols = {v['name']: v for v in spec['volumes']}\n"
        "assert len(vols) == len(spec['volumes']), 'volume names collide: %r' % [v['name'] for v in spec['volumes']]\n"
        "for c in spec['containers']:\n"
        "    secret_mounts = 0\n"
        "    for m in c.get('volumeMounts', []):\n"
        "        assert m['name'] in vols, m\n"
        "        v = vols[m['name']]\n"
        "        if 'secret' in v:\n"
        "            secret_mounts += 1\n"
        "            assert v['secret']['secretName'] == c['name'] + '-files', (c['name'], v)\n"
        "            assert m['readOnly'] is True and m['subPath'] in [i['key'] for i in v['secret']['items']], m\n"
        "    assert secret_mounts == int(sys.argv[2]), (c['name'], secret_mounts)\n"
        "    for e in c.get('env', []):\n"
        "        assert e['valueFrom']['secretKeyRef']['name'] == c['name'] + '-env', e\n"
        "print('ok')\n";

static void test_k8s_pod_secret_files(void **state)
{
        (void) state;
        unsigned p1[] = { 443 }, p2[] = { 8000 };
        char *env1[] = { (char *) "NGINX_TOKEN", NULL };
        char *env2[] = { (char *) "API_TOKEN", NULL };
        /* A data path whose claim name is what a naive secret volume name
         * of webapp would be. */
        char *vol2[] = { (char *) "/secret-files", NULL };
        struct v2c_k8s_secret_file f1[] = { { "/etc/ssl/private/shop.key", "shop.key", 0600 },
                                            { "/etc/nginx/htpasswd", "htpasswd", 0640 } };
        struct v2c_k8s_secret_file f2[] = { { "/etc/webapp/db.pass", "db.pass", 0400 },
                                            { "/etc/webapp/tls.key", "tls.key", 0600 } };
        struct v2c_k8s_spec specs[] = {
                { .name = "nginx", .image = "r/nginx@sha256:" D64, .ports = p1, .n_ports = 1, .env_required = env1,
                  .secret_files = f1, .n_secret_files = 2 },
                { .name = "webapp", .image = "r/webapp@sha256:" D64, .ports = p2, .n_ports = 1,
                  .env_required = env2, .volumes = vol2, .secret_files = f2, .n_secret_files = 2 },
        };
        _cleanup_free_ char *y = NULL;
        assert_int_equal(v2c_k8s_pod_manifests("nginx-webapp", specs, 2, &y, NULL), 0);
        char path[] = "/tmp/v2c-test-pod-XXXXXX";
        int fd = mkstemp(path);
        assert_true(fd >= 0);
        FILE *f = fdopen(fd, "w");
        assert_non_null(f);
        assert_int_equal(fputs(y, f) >= 0, 1);
        assert_int_equal(fclose(f), 0);
        char script[] = "/tmp/v2c-test-pod-py-XXXXXX";
        fd = mkstemp(script);
        assert_true(fd >= 0);
        f = fdopen(fd, "w");
        assert_non_null(f);
        assert_int_equal(fputs(pod_check_py, f) >= 0, 1);
        assert_int_equal(fclose(f), 0);
        char cmd[256];
        snprintf(cmd, sizeof cmd, "python3 %s %s 2", script, path);
        int rc = system(cmd);
        if (rc != 0)
                fprintf(stderr, "manifest:\n%s\n", y);
        unlink(path);
        unlink(script);
        assert_int_equal(rc, 0);
        assert_non_null(strstr(y, "name: \"nginx-secret-files\""));
        assert_non_null(strstr(y, "secretName: \"webapp-files\""));

        /* The checks of a single image's secret files hold in a pod too. */
        struct v2c_error *err = NULL;
        char *z = NULL;
        f2[1].path = "relative";
        assert_int_equal(v2c_k8s_pod_manifests("p", specs, 2, &z, &err), -EINVAL);
        v2c_error_free(err);
        assert_null(z);
}

int main(int argc, char **argv)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_group_chain),
                cmocka_unit_test(test_alone),
                cmocka_unit_test(test_k8s_pod),
                cmocka_unit_test(test_k8s_pod_secret_files),
        };
        return v2c_run_group_tests(argc, argv, tests, NULL, NULL);
}
