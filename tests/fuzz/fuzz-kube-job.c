/* libFuzzer target: a manifest of `v2c inspect --manifest` made into the
 * Kubernetes Indexed Job of `v2c kube-job` (cli/kube-job.c).  Whatever the
 * bytes: a refusal is an error of kind input; a Job is a List of a
 * ConfigMap and a Job whose completions is the number of guests, and whose
 * ConfigMap maps each index I to guest I's line and nothing else: an RFC
 * 1123 label, then exactly that guest's disks, each relative and free of
 * "..".  The document survives a dump and a strict parse. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guest-list.h"
#include "json.h"
#include "kube-job.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_line(const struct v2c_guest_spec *g, const char *line)
{
        const char *sp = strchr(line, ' ');
        if (sp == NULL || sp - line > V2C_KUBE_LABEL_MAX)
                abort();
        char label[V2C_KUBE_LABEL_MAX + 1];
        memcpy(label, line, (size_t) (sp - line));
        label[sp - line] = '\0';
        if (!v2c_kube_label_valid(label))
                abort();
        const char *p = sp + 1;
        for (char **d = g->disks; *d; d++) {
                size_t len = strlen(*d);
                if (strncmp(p, *d, len) != 0 || (p[len] != ' ' && p[len] != '\n') || (*d)[0] == '/')
                        abort();
                p += len + 1;
        }
        if (p[-1] != '\n' || *p != '\0')
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct v2c_guest_spec *g = NULL;
        size_t n = 0;
        struct v2c_error *err = NULL;
        if (v2c_guest_list_parse((const char *) data, size, &g, &n, &err) < 0) {
                v2c_error_free(err);
                return 0;
        }
        struct v2c_kube_job_options o = {
                .job_name = "v2c-fleet",
                .image = "registry.example:5000/v2c/v2c@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
                .disks_claim = "vm-disks", .results_claim = "v2c-results", .parallelism = 4,
        };
        json_t *doc = NULL;
        if (v2c_kube_job(g, n, &o, &doc, &err) < 0) {
                if (err == NULL || err->kind != V2C_ERR_INPUT || doc != NULL)
                        abort();
                v2c_error_free(err);
                v2c_guest_specs_free(g, n);
                return 0;
        }
        json_t *cm = json_array_get(json_object_get(doc, "items"), 0);
        json_t *job = json_array_get(json_object_get(doc, "items"), 1);
        json_t *cmdata = json_object_get(cm, "data");
        if (json_object_size(cmdata) != n ||
            json_integer_value(json_object_get(json_object_get(job, "spec"), "completions")) != (json_int_t) n)
                abort();
        for (size_t i = 0; i < n; i++) {
                char key[24];
                snprintf(key, sizeof key, "%zu", i);
                const char *line = json_string_value(json_object_get(cmdata, key));
                if (line == NULL)
                        abort();
                check_line(&g[i], line);
        }
        char *text = v2c_json_dump(doc);
        json_t *again = NULL;
        if (text == NULL || v2c_json_load(text, strlen(text), "the job", &again, &err) < 0 || !json_equal(doc, again))
                abort();
        json_decref(again);
        free(text);
        json_decref(doc);
        v2c_guest_specs_free(g, n);
        return 0;
}
