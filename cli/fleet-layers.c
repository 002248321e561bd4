/* The layers a fleet's images share: what `v2c convert` wrote of each VM
 * (its lock.json, docs/convert.md), read as untrusted input, and the
 * layers that several images hold, which a registry stores once.
 *
 * A lock file may come from anywhere (a hypervisor host, a copy by hand),
 * so every value is checked before it is used: the schema, digests
 * ("sha256:" and 64 lowercase hex digits), sizes (a manifest or config of
 * at most V2C_OCI_JSON_MAX, a layer of at most V2C_FLEET_LAYER_MAX),
 * roles, image names, and counts (images of one file, layers of one
 * image, layer references of the fleet); the first bad value is the one
 * error, naming where it is ("images[1].layers[0].digest: ...").  Pure:
 * JSON in, structures out (fuzzed). */
#include "fleet.h"
#include "cleanup.h"
#include "json.h"
#include "oci-layout.h"
#include "ref.h"
#include "text.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The roles convert gives layers (docs/convert.md): a pointer to one of
 * these is every layer's role, so that roles compare by pointer too. */
static const char *const layer_roles[] = { "base-image", "base", "packages", "config", "app" };

struct lock_reader {
        char path[96];          /* where in the document, for the error */
        struct v2c_error **err;
};

__attribute__((format(printf, 2, 3))) static int lock_bad(struct lock_reader *rd, const char *fmt, ...)
{
        char what[160];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(what, sizeof what, fmt, ap);
        va_end(ap);
        return v2c_error_set_kind(rd->err, V2C_ERR_INPUT, EINVAL, "%s: %s", rd->path[0] ? rd->path : "(top)", what);
}

/* rd->path set to PREFIX.KEY (PREFIX's length given, so that callers
 * restore it by cutting). */
static void at_key(struct lock_reader *rd, size_t prefix, const char *key)
{
        snprintf(rd->path + prefix, sizeof rd->path - prefix, "%s%s", prefix ? "." : "", key);
}

/* The string member KEY of OBJ: present, a string, without NUL, of 1 to
 * MAX bytes. */
static const char *lock_string(struct lock_reader *rd, const json_t *obj, size_t prefix, const char *key, size_t max)
{
        at_key(rd, prefix, key);
        const json_t *v = json_object_get(obj, key);
        if (!json_is_string(v)) {
                lock_bad(rd, v ? "not a string" : "missing");
                return NULL;
        }
        const char *s = json_string_value(v);
        size_t n = json_string_length(v);
        if (n == 0 || n > max || strlen(s) != n) {
                lock_bad(rd, "not a string of 1 to %zu bytes without NUL", max);
                return NULL;
        }
        return s;
}

static const char *lock_digest(struct lock_reader *rd, const json_t *obj, size_t prefix, const char *key)
{
        const char *d = lock_string(rd, obj, prefix, key, V2C_DIGEST_LEN);
        if (d && !v2c_digest_valid(d)) {
                lock_bad(rd, "not sha256: and 64 lowercase hex digits");
                return NULL;
        }
        return d;
}

/* The integer member KEY of OBJ, from 1 to MAX. */
static int lock_size(struct lock_reader *rd, const json_t *obj, size_t prefix, const char *key, uint64_t max,
                     uint64_t *out)
{
        at_key(rd, prefix, key);
        const json_t *v = json_object_get(obj, key);
        if (!json_is_integer(v) || json_integer_value(v) < 1 || (uint64_t) json_integer_value(v) > max)
                return lock_bad(rd, "not an integer from 1 to %llu", (unsigned long long) max);
        *out = (uint64_t) json_integer_value(v);
        return 0;
}

/* A descriptor (manifest, config): digest and size, checked. */
static int lock_descriptor(struct lock_reader *rd, const json_t *img, size_t prefix, const char *key,
                           char digest[V2C_DIGEST_LEN + 1])
{
        at_key(rd, prefix, key);
        const json_t *d = json_object_get(img, key);
        if (!json_is_object(d))
                return lock_bad(rd, d ? "not an object" : "missing");
        size_t p = strlen(rd->path);
        uint64_t size;
        const char *dg = lock_digest(rd, d, p, "digest");
        if (dg == NULL || lock_string(rd, d, p, "mediaType", 255) == NULL ||
            lock_size(rd, d, p, "size", V2C_OCI_JSON_MAX, &size) < 0)
                return -EINVAL;
        memcpy(digest, dg, V2C_DIGEST_LEN + 1);
        return 0;
}

/* An image's name in its layout: what convert makes of a service's
 * (docs/convert.md), [A-Za-z0-9._-] only. */
static bool ref_name_valid(const char *s)
{
        for (const char *p = s; *p; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '.' ||
                      *p == '_' || *p == '-'))
                        return false;
        return true;
}

static int lock_layer(struct lock_reader *rd, const json_t *l, struct v2c_fleet_lock_layer *out)
{
        size_t p = strlen(rd->path);
        if (!json_is_object(l))
                return lock_bad(rd, "not an object");
        const char *role = lock_string(rd, l, p, "role", 32);
        if (role == NULL)
                return -EINVAL;
        out->role = NULL;
        for (size_t i = 0; i < V2C_ARRAY_SIZE(layer_roles); i++)
                if (strcmp(role, layer_roles[i]) == 0)
                        out->role = layer_roles[i];
        if (out->role == NULL)
                return lock_bad(rd, "not one of base-image, base, packages, config, app");
        const char *d = lock_digest(rd, l, p, "digest");
        if (d == NULL || lock_digest(rd, l, p, "diff_id") == NULL || lock_string(rd, l, p, "mediaType", 255) == NULL ||
            lock_size(rd, l, p, "size", V2C_FLEET_LAYER_MAX, &out->size) < 0)
                return -EINVAL;
        memcpy(out->digest, d, sizeof out->digest);
        return 0;
}

static void lock_images_free(struct v2c_fleet_lock_image *v, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(v[i].name);
                free(v[i].layers);
        }
        free(v);
}

void v2c_fleet_vm_lock_release(struct v2c_fleet_vm *vm)
{
        lock_images_free(vm->images, vm->n_images);
        free(vm->lock_file);
        vm->images = NULL;
        vm->n_images = 0;
        vm->lock_file = NULL;
}

int v2c_fleet_lock_read(const json_t *doc, struct v2c_fleet_lock_image **images, size_t *n_images,
                        struct v2c_error **err)
{
        struct lock_reader rd = { .err = err };
        if (!json_is_object(doc))
                return lock_bad(&rd, "not a JSON object");
        const json_t *schema = json_object_get(doc, "schema");
        if (!json_is_string(schema) || strcmp(json_string_value(schema), V2C_FLEET_LOCK_SCHEMA) != 0)
                return v2c_error_set_kind(err, V2C_ERR_INPUT, EINVAL,
                                          "not a convert result (`schema` is not \"" V2C_FLEET_LOCK_SCHEMA "\")");
        const json_t *imgs = json_object_get(doc, "images");
        snprintf(rd.path, sizeof rd.path, "images");
        if (!json_is_array(imgs))
                return lock_bad(&rd, imgs ? "not an array" : "missing");
        size_t n = json_array_size(imgs);
        if (n > V2C_FLEET_LOCK_MAX_IMAGES)
                return lock_bad(&rd, "more than %d images", V2C_FLEET_LOCK_MAX_IMAGES);
        struct v2c_fleet_lock_image *v = calloc(n ? n : 1, sizeof *v);
        if (v == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        int r = 0;
        size_t done = 0;
        for (; done < n && r == 0; done++) {
                const json_t *img = json_array_get(imgs, done);
                struct v2c_fleet_lock_image *o = &v[done];
                int p = snprintf(rd.path, sizeof rd.path, "images[%zu]", done);
                if (!json_is_object(img)) {
                        r = lock_bad(&rd, "not an object");
                        break;
                }
                const char *name = lock_string(&rd, img, (size_t) p, "ref_name", 255);
                if (name && !ref_name_valid(name))
                        r = lock_bad(&rd, "not a name of letters, digits, '.', '_' and '-'");
                else if (name == NULL || lock_string(&rd, img, (size_t) p, "service", 4096) == NULL ||
                         lock_descriptor(&rd, img, (size_t) p, "manifest", o->manifest) < 0)
                        r = -EINVAL;
                else {
                        char config[V2C_DIGEST_LEN + 1];
                        r = lock_descriptor(&rd, img, (size_t) p, "config", config);
                }
                for (size_t k = 0; r == 0 && k < done; k++)
                        if (strcmp(v[k].name, name) == 0) {
                                at_key(&rd, (size_t) p, "ref_name");
                                r = lock_bad(&rd, "`%s` again (images[%zu] has that name)", name, k);
                        }
                if (r < 0)
                        break;
                if ((o->name = strdup(name)) == NULL) {
                        r = v2c_error_set(err, ENOMEM, "out of memory");
                        break;
                }
                at_key(&rd, (size_t) p, "layers");
                const json_t *layers = json_object_get(img, "layers");
                if (!json_is_array(layers) || json_array_size(layers) == 0 ||
                    json_array_size(layers) > V2C_FLEET_IMAGE_MAX_LAYERS) {
                        r = lock_bad(&rd, "not an array of 1 to %d layers", V2C_FLEET_IMAGE_MAX_LAYERS);
                        break;
                }
                o->n_layers = json_array_size(layers);
                o->layers = calloc(o->n_layers, sizeof *o->layers);
                if (o->layers == NULL) {
                        r = v2c_error_set(err, ENOMEM, "out of memory");
                        break;
                }
                size_t q = strlen(rd.path);
                for (size_t k = 0; k < o->n_layers && r == 0; k++) {
                        snprintf(rd.path + q, sizeof rd.path - q, "[%zu]", k);
                        r = lock_layer(&rd, json_array_get(layers, k), &o->layers[k]);
                }
        }
        if (r < 0) {
                lock_images_free(v, n);
                return r;
        }
        *images = v;
        *n_images = n;
        return 0;
}

int v2c_fleet_add_lock(struct v2c_fleet *f, const char *name, const char *file, const json_t *doc,
                       struct v2c_error **err)
{
        _cleanup_free_ char *ename = v2c_utf8_escape(name), *efile = v2c_utf8_escape(file);
        if (ename == NULL || efile == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        struct v2c_fleet_vm *vm = NULL;
        for (size_t i = 0; i < f->n_vms && vm == NULL; i++)
                if (strcmp(f->vms[i].name, ename) == 0)
                        vm = &f->vms[i];
        if (vm == NULL)
                return v2c_error_set_kind(err, V2C_ERR_INPUT, ENOENT,
                                          "`%s`: no inspection report of VM `%s` (name the convert result after "
                                          "its VM's report: VM.lock.json, or a layout directory VM/)",
                                          efile, ename);
        if (vm->lock_file)
                return v2c_error_set_kind(err, V2C_ERR_INPUT, EINVAL,
                                          "`%s` and `%s` are both convert results of VM `%s`: keep one", vm->lock_file,
                                          efile, ename);
        struct v2c_fleet_lock_image *images = NULL;
        size_t n = 0;
        int r = v2c_fleet_lock_read(doc, &images, &n, err);
        if (r < 0)
                return v2c_error_prefix(err, r, "convert result `%s`", efile);
        size_t refs = 0;
        for (size_t i = 0; i < n; i++)
                refs += images[i].n_layers;
        if (refs > V2C_FLEET_MAX_LAYER_REFS - f->n_layer_refs) {
                lock_images_free(images, n);
                return v2c_error_set_kind(err, V2C_ERR_INPUT, E2BIG, "more than %d layers in the convert results",
                                          V2C_FLEET_MAX_LAYER_REFS);
        }
        vm->lock_file = TAKE_PTR(efile);
        vm->images = images;
        vm->n_images = n;
        f->n_layer_refs += refs;
        f->n_locks++;
        return 0;
}

/* ---- the layers shared ---- */

struct layer_ref {
        const struct v2c_fleet_lock_layer *layer;
        size_t vm, image;
};

static int ref_cmp(const void *a, const void *b)
{
        const struct layer_ref *x = a, *y = b;
        int c = strcmp(x->layer->digest, y->layer->digest);
        if (c == 0)
                c = x->vm < y->vm ? -1 : x->vm > y->vm;
        if (c == 0)
                c = x->image < y->image ? -1 : x->image > y->image;
        return c;
}

static int layer_cmp(const void *a, const void *b)
{
        const struct v2c_fleet_layer *x = a, *y = b;
        uint64_t sx = x->size * (x->n_uses - 1), sy = y->size * (y->n_uses - 1);
        if (sx != sy)
                return sx > sy ? -1 : 1;
        return strcmp(x->digest, y->digest);
}

int v2c_fleet_share_layers(struct v2c_fleet *f, struct v2c_error **err)
{
        size_t n = 0;
        for (size_t v = 0; v < f->n_vms; v++)
                for (size_t i = 0; i < f->vms[v].n_images; i++)
                        n += f->vms[v].images[i].n_layers;
        if (n == 0)
                return 0;
        _cleanup_free_ struct layer_ref *refs = calloc(n, sizeof *refs);
        if (refs == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        size_t k = 0;
        for (size_t v = 0; v < f->n_vms; v++)
                for (size_t i = 0; i < f->vms[v].n_images; i++)
                        for (size_t l = 0; l < f->vms[v].images[i].n_layers; l++)
                                refs[k++] = (struct layer_ref) { &f->vms[v].images[i].layers[l], v, i };
        if (n > 1)
                qsort(refs, n, sizeof *refs, ref_cmp);
        f->layers = calloc(n, sizeof *f->layers);
        if (f->layers == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        for (size_t i = 0; i < n;) {
                size_t j = i;
                while (j < n && strcmp(refs[j].layer->digest, refs[i].layer->digest) == 0)
                        j++;
                struct v2c_fleet_layer *L = &f->layers[f->n_layers++];
                memcpy(L->digest, refs[i].layer->digest, sizeof L->digest);
                L->role = refs[i].layer->role;
                L->size = refs[i].layer->size;
                L->uses = calloc(j - i, sizeof *L->uses);
                if (L->uses == NULL)
                        return v2c_error_set(err, ENOMEM, "out of memory");
                for (size_t m = i; m < j; m++) {
                        const struct layer_ref *x = &refs[m];
                        /* One blob, one size: two sizes for a digest is a
                         * result that was edited, or not v2c's. */
                        if (x->layer->size != L->size)
                                return v2c_error_set_kind(err, V2C_ERR_INPUT, EINVAL,
                                                          "layer %s is %llu bytes in `%s` and %llu bytes in `%s`",
                                                          L->digest, (unsigned long long) L->size,
                                                          f->vms[refs[i].vm].lock_file,
                                                          (unsigned long long) x->layer->size,
                                                          f->vms[x->vm].lock_file);
                        /* An image that lists a layer twice uses it once. */
                        if (m > i && x->vm == refs[m - 1].vm && x->image == refs[m - 1].image)
                                continue;
                        L->n_vms += m == i || x->vm != refs[m - 1].vm;
                        L->uses[L->n_uses++] = (struct v2c_fleet_layer_use) { x->vm, x->image };
                }
                i = j;
        }
        if (f->n_layers > 1)
                qsort(f->layers, f->n_layers, sizeof *f->layers, layer_cmp);
        return 0;
}

void v2c_fleet_layer_totals(const struct v2c_fleet *f, struct v2c_fleet_layer_totals *t)
{
        *t = (struct v2c_fleet_layer_totals) { .vms = f->n_locks, .layers = f->n_layers };
        for (size_t v = 0; v < f->n_vms; v++)
                t->images += f->vms[v].n_images;
        for (size_t i = 0; i < f->n_layers; i++) {
                const struct v2c_fleet_layer *L = &f->layers[i];
                t->references += L->n_uses;
                t->bytes += L->size * L->n_uses;
                t->stored_bytes += L->size;
                t->shared += L->n_uses > 1;
                t->shared_across_vms += L->n_vms > 1;
        }
        t->saved_bytes = t->bytes - t->stored_bytes;
}
