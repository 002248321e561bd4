/* libFuzzer target: a convert result (lock.json) as `v2c report` reads it
 * (cli/fleet-layers.c): what the reader accepts holds only valid digests,
 * sizes within bounds, known roles and safe image names, no more images
 * and layers than the caps.  Accepted, the result is added to a fleet of
 * two VMs (twice: every layer shared), whose shared layers, JSON, text and
 * page are made: each layer is held by both VMs' images (as often on
 * each), most bytes saved first, and the totals add up. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fleet.h"
#include "json.h"
#include "ref.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_images(const struct v2c_fleet_lock_image *v, size_t n)
{
        if (n > V2C_FLEET_LOCK_MAX_IMAGES)
                abort();
        for (size_t i = 0; i < n; i++) {
                const char *name = v[i].name;
                if (name == NULL || name[0] == '\0' || strlen(name) > 255 ||
                    strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != strlen(name) ||
                    !v2c_digest_valid(v[i].manifest) || v[i].n_layers == 0 || v[i].n_layers > V2C_FLEET_IMAGE_MAX_LAYERS)
                        abort();
                for (size_t k = 0; k < i; k++)
                        if (strcmp(v[k].name, name) == 0)
                                abort();
                for (size_t l = 0; l < v[i].n_layers; l++)
                        if (!v2c_digest_valid(v[i].layers[l].digest) || v[i].layers[l].size == 0 ||
                            v[i].layers[l].size > V2C_FLEET_LAYER_MAX || v[i].layers[l].role == NULL)
                                abort();
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        json_t *j = NULL;
        struct v2c_error *err = NULL;
        if (v2c_json_load((const char *) data, size, "fuzz", &j, &err) < 0) {
                v2c_error_free(err);
                return 0;
        }
        struct v2c_fleet_lock_image *images = NULL;
        size_t n = 0;
        if (v2c_fleet_lock_read(j, &images, &n, &err) < 0) {
                v2c_error_free(err);
                json_decref(j);
                return 0;
        }
        check_images(images, n);
        struct v2c_fleet_vm scratch = { .images = images, .n_images = n };
        v2c_fleet_vm_lock_release(&scratch);

        /* Two VMs with the same result. */
        json_t *rj = json_loads("{\"schema\": \"v2c.inspect/1\", \"os\": {\"distro\": \"debian\"}, \"services\": []}", 0,
                                NULL);
        struct v2c_report *rep = NULL;
        struct v2c_fleet f = { 0 };
        if (rj == NULL || v2c_report_from_json(rj, &rep, NULL) < 0 || v2c_fleet_add(&f, "a", "a.json", rep, NULL) < 0 ||
            v2c_fleet_add(&f, "b", "b.json", rep, NULL) < 0 || v2c_fleet_add_lock(&f, "a", "a.lock.json", j, NULL) < 0 ||
            v2c_fleet_add_lock(&f, "b", "b.lock.json", j, NULL) < 0)
                abort();
        if (v2c_fleet_analyse(&f, &err) == 0) {
                struct v2c_fleet_layer_totals t;
                v2c_fleet_layer_totals(&f, &t);
                if (t.bytes < 2 * t.stored_bytes || t.saved_bytes != t.bytes - t.stored_bytes || t.shared != t.layers ||
                    t.shared_across_vms != t.layers || t.vms != 2 || t.images != 2 * n)
                        abort();
                uint64_t stored = 0;
                for (size_t i = 0; i < f.n_layers; i++) {
                        if (f.layers[i].n_vms != 2 || f.layers[i].n_uses < 2 || f.layers[i].n_uses % 2 ||
                            (i && f.layers[i].size * (f.layers[i].n_uses - 1) >
                                          f.layers[i - 1].size * (f.layers[i - 1].n_uses - 1)))
                                abort();
                        stored += f.layers[i].size;
                }
                if (stored != t.stored_bytes)
                        abort();
                json_t *doc = v2c_fleet_to_json(&f);
                char *text = v2c_fleet_to_text(&f), *page = v2c_fleet_to_html(&f);
                if (doc == NULL || text == NULL || page == NULL)
                        abort();
                json_decref(doc);
                free(text);
                free(page);
        } else {
                /* Only one digest given two sizes is refused. */
                v2c_error_free(err);
        }
        v2c_fleet_release(&f);
        v2c_report_free(rep);
        json_decref(rj);
        json_decref(j);
        return 0;
}
