/* The fleet report: counts, blockers, image candidates and waves over many
 * inspection reports, and their JSON, text and draft playbooks (the HTML
 * page is fleet-html.c).  See fleet.h and docs/report.md. */
#include "fleet.h"
#include "buf.h"
#include "cleanup.h"
#include "json.h"
#include "progress.h"
#include "sha256.h"
#include "strv.h"
#include "text.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define TEXT_MAX (64u << 20)
/* Host ports of the drafts' containers are numbered from here, one per
 * container port over the whole fleet, so that no two drafts collide on
 * one engine (containers of earlier waves keep theirs). */
#define DRAFT_FIRST_HOST_PORT 20000

static const char *const blocker_names[] = {
        [V2C_FLEET_STATEFUL] = "stateful",
        [V2C_FLEET_REVIEW] = "review",
        [V2C_FLEET_SECRET] = "secret",
        [V2C_FLEET_UNOWNED_EXEC] = "unowned-executable",
        [V2C_FLEET_PKGDB_UNREAD] = "package-database-unread",
        [V2C_FLEET_OS_UNKNOWN] = "os-unknown",
};

const char *v2c_fleet_blocker_name(enum v2c_fleet_blocker_kind k)
{
        return blocker_names[k];
}

int v2c_fleet_add(struct v2c_fleet *f, const char *name, const char *file, const struct v2c_report *report,
                  struct v2c_error **err)
{
        /* Host file names may be any bytes: kept as the JSON writes them. */
        _cleanup_free_ char *ename = v2c_utf8_escape(name), *efile = v2c_utf8_escape(file);
        if (ename == NULL || efile == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        if (ename[0] == '\0')
                return v2c_error_set_kind(err, V2C_ERR_INPUT, EINVAL, "`%s`: no VM name in the file name", efile);
        for (size_t i = 0; i < f->n_vms; i++)
                if (strcmp(f->vms[i].name, ename) == 0)
                        return v2c_error_set_kind(err, V2C_ERR_INPUT, EINVAL,
                                                  "`%s` and `%s` are both VM `%s`: rename one of the files",
                                                  f->vms[i].file, efile, ename);
        if (f->n_vms >= V2C_FLEET_MAX_VMS)
                return v2c_error_set_kind(err, V2C_ERR_INPUT, E2BIG, "more than %d reports", V2C_FLEET_MAX_VMS);
        struct v2c_fleet_vm *vms = realloc(f->vms, (f->n_vms + 1) * sizeof *vms);
        if (vms == NULL)
                return v2c_error_set(err, ENOMEM, "out of memory");
        f->vms = vms;
        struct v2c_fleet_vm *vm = &vms[f->n_vms];
        *vm = (struct v2c_fleet_vm) { 0 };
        int r = v2c_report_escaped(report, &vm->report, err);
        if (r < 0)
                return r;
        vm->name = TAKE_PTR(ename);
        vm->file = TAKE_PTR(efile);
        f->n_vms++;
        return 0;
}

static void vm_release(struct v2c_fleet_vm *vm)
{
        v2c_fleet_vm_lock_release(vm);
        for (size_t i = 0; i < vm->n_blockers; i++)
                free(vm->blockers[i].detail);
        free(vm->blockers);
        v2c_report_free(vm->report);
        free(vm->name);
        free(vm->file);
}

void v2c_fleet_release(struct v2c_fleet *f)
{
        for (size_t i = 0; i < f->n_vms; i++)
                vm_release(&f->vms[i]);
        for (size_t i = 0; i < f->n_images; i++) {
                free(f->images[i].members);
                free(f->images[i].after);
        }
        for (size_t i = 0; i < f->n_layers; i++)
                free(f->layers[i].uses);
        free(f->vms);
        free(f->images);
        free(f->layers);
        *f = (struct v2c_fleet) { 0 };
}

/* ---- blockers ---- */

static int add_blocker(struct v2c_fleet_vm *vm, enum v2c_fleet_blocker_kind kind, const char *service,
                       const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int add_blocker(struct v2c_fleet_vm *vm, enum v2c_fleet_blocker_kind kind, const char *service,
                       const char *fmt, ...)
{
        struct v2c_fleet_blocker *b = realloc(vm->blockers, (vm->n_blockers + 1) * sizeof *b);
        if (b == NULL)
                return -ENOMEM;
        vm->blockers = b;
        char *detail;
        va_list ap;
        va_start(ap, fmt);
        int n = vasprintf(&detail, fmt, ap);
        va_end(ap);
        if (n < 0)
                return -ENOMEM;
        b[vm->n_blockers++] = (struct v2c_fleet_blocker) { .kind = kind, .service = service, .detail = detail };
        return 0;
}

/* The blockers of service S, in a fixed order; *n_added: how many. */
static int service_blockers(struct v2c_fleet_vm *vm, const struct v2c_service *s, size_t *n_added)
{
        size_t before = vm->n_blockers;
        int r = 0;
        const char *why = s->reasons && s->reasons[0] ? s->reasons[0] : "no reason given";
        if (s->klass == V2C_CLASS_STATEFUL)
                r = add_blocker(vm, V2C_FLEET_STATEFUL, s->name, "%s", why);
        else if (s->klass == V2C_CLASS_REVIEW)
                r = add_blocker(vm, V2C_FLEET_REVIEW, s->name, "%s", why);
        for (size_t i = 0; r == 0 && i < s->nsecret_files; i++)
                r = add_blocker(vm, V2C_FLEET_SECRET, s->name, "%s (%s)", s->secret_files[i].path,
                                s->secret_files[i].kind ? s->secret_files[i].kind : "secret");
        /* app_files holds the executables no package owns (docs/
         * inspect-report.md): the image would carry a program whose
         * origin nobody vouches for. */
        if (r == 0 && s->exec_path && v2c_strv_contains(s->app_files, s->exec_path))
                r = add_blocker(vm, V2C_FLEET_UNOWNED_EXEC, s->name, "%s is no package's", s->exec_path);
        *n_added = vm->n_blockers - before;
        return r;
}

static int vm_blockers(struct v2c_fleet_vm *vm)
{
        const struct v2c_os *os = &vm->report->os;
        int r = 0;
        if (os->distro == NULL)
                r = add_blocker(vm, V2C_FLEET_OS_UNKNOWN, NULL, "no os-release nor release file: the OS is unknown");
        if (r == 0 && os->packages == 0) {
                /* The warning that says why, when inspect left one. */
                const char *w = NULL;
                for (size_t i = 0; vm->report->warnings && vm->report->warnings[i] && w == NULL; i++)
                        if (strstr(vm->report->warnings[i], "database") || strstr(vm->report->warnings[i], "/var/lib/"))
                                w = vm->report->warnings[i];
                if (os->package_format)
                        r = add_blocker(vm, V2C_FLEET_PKGDB_UNREAD, NULL, "the %s database was not read%s%s",
                                        os->package_format, w ? ": " : "", w ? w : "");
                else
                        r = add_blocker(vm, V2C_FLEET_PKGDB_UNREAD, NULL,
                                        "no package database: every file would be no package's");
        }
        for (size_t i = 0; r == 0 && i < vm->report->nservices; i++) {
                const struct v2c_service *s = &vm->report->services[i];
                vm->by_class[s->klass]++;
                if (s->klass == V2C_CLASS_SYSTEM)
                        continue;       /* not migrated: the platform provides it */
                size_t n;
                r = service_blockers(vm, s, &n);
                if (r == 0 && s->klass == V2C_CLASS_STATELESS && n == 0)
                        vm->n_ready++;
        }
        return r;
}

/* Whether stateless service S of VM has a blocker of its own. */
static bool service_blocked(const struct v2c_fleet_vm *vm, const struct v2c_service *s)
{
        for (size_t i = 0; i < vm->n_blockers; i++)
                if (vm->blockers[i].service == s->name)
                        return true;
        return false;
}

/* ---- image candidates ---- */

/* What makes two stateless services of two VMs one image, as far as the
 * report can tell: the OS they come from (distribution, version,
 * architecture), the service's name and kind, what it runs and as whom,
 * its environment (secret values are redacted in the report), its
 * packages and their versions, its unowned libraries, the paths of its
 * configuration and application files and the digests of its
 * configuration files' content, and its ports.  A secret's file has no
 * digest (docs/inspect-report.md), nor has an unreadable one: two VMs
 * whose configurations differ only there are one candidate, as are two
 * services of reports from a v2c older than the versions and digests
 * (those keep the key they had); convert, which reads the files, then
 * makes two images (docs/report.md). */
static int image_key(const struct v2c_report *r, const struct v2c_service *s, char hex[65])
{
        _cleanup_json_ json_t *ports = json_array();
        for (size_t i = 0; ports && i < s->nports; i++)
                if (json_array_append_new(ports, json_pack("[Is]", (json_int_t) s->ports[i].port, s->ports[i].proto)))
                        return -ENOMEM;
        if (ports == NULL)
                return -ENOMEM;
        _cleanup_json_ json_t *k = json_array();
        json_t *parts[] = {
                v2c_json_str(r->os.distro), v2c_json_str(r->os.version), v2c_json_str(r->os.arch),
                v2c_json_str(s->name), v2c_json_str(s->kind), v2c_json_str(s->exec_path), v2c_json_strv(s->argv),
                v2c_json_str(s->interpreter), v2c_json_str(s->user), v2c_json_str(s->group),
                v2c_json_strv(s->environment), v2c_json_strv(s->packages), v2c_json_strv(s->libraries),
                v2c_json_strv(s->config_files), v2c_json_strv(s->app_files), json_incref(ports),
        };
        bool ok = k != NULL;
        for (size_t i = 0; i < V2C_ARRAY_SIZE(parts); i++)
                ok = json_array_append_new(k, parts[i]) == 0 && parts[i] && ok;
        const struct v2c_keyval *kvs[] = { s->package_versions, s->config_digests };
        size_t nkvs[] = { s->npackage_versions, s->nconfig_digests };
        for (size_t i = 0; ok && (nkvs[0] || nkvs[1]) && i < V2C_ARRAY_SIZE(kvs); i++) {
                /* [[KEY, VALUE]...], guest strings escaped */
                json_t *pairs = json_array();
                ok = json_array_append_new(k, pairs) == 0 && pairs;
                for (size_t m = 0; ok && m < nkvs[i]; m++) {
                        json_t *kv = json_pack("[oo]", v2c_json_str(kvs[i][m].key), v2c_json_str(kvs[i][m].value));
                        ok = json_array_append_new(pairs, kv) == 0 && kv;
                }
        }
        _cleanup_free_ char *text = ok ? json_dumps(k, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
        if (text == NULL)
                return -ENOMEM;
        return v2c_sha256_hex(text, strlen(text), hex);
}

struct keyed {
        struct v2c_fleet_member m;
        const char *name;
        char key[65];
};

static int keyed_cmp(const void *a, const void *b)
{
        const struct keyed *x = a, *y = b;
        int c = strcmp(x->name, y->name);
        if (c == 0)
                c = strcmp(x->key, y->key);
        if (c == 0)
                c = x->m.vm < y->m.vm ? -1 : x->m.vm > y->m.vm;
        return c;
}

static int group_images(struct v2c_fleet *f)
{
        size_t n = 0;
        for (size_t v = 0; v < f->n_vms; v++)
                n += f->vms[v].by_class[V2C_CLASS_STATELESS];
        if (n == 0)
                return 0;
        _cleanup_free_ struct keyed *all = calloc(n, sizeof *all);
        if (all == NULL)
                return -ENOMEM;
        size_t k = 0;
        for (size_t v = 0; v < f->n_vms; v++) {
                const struct v2c_report *r = f->vms[v].report;
                for (size_t i = 0; i < r->nservices; i++) {
                        if (r->services[i].klass != V2C_CLASS_STATELESS)
                                continue;
                        all[k] = (struct keyed) { .m = { v, i }, .name = r->services[i].name };
                        if (image_key(r, &r->services[i], all[k].key) < 0)
                                return -ENOMEM;
                        k++;
                }
        }
        if (n > 1)
                qsort(all, n, sizeof *all, keyed_cmp);
        f->images = calloc(n, sizeof *f->images);
        if (f->images == NULL)
                return -ENOMEM;
        for (size_t i = 0; i < n;) {
                size_t j = i;
                while (j < n && strcmp(all[j].key, all[i].key) == 0)
                        j++;
                struct v2c_fleet_image *img = &f->images[f->n_images++];
                memcpy(img->key, all[i].key, sizeof img->key);
                img->service = all[i].name;
                img->members = calloc(j - i, sizeof *img->members);
                if (img->members == NULL)
                        return -ENOMEM;
                img->ready = true;
                for (size_t m = i; m < j; m++) {
                        img->members[img->n_members++] = all[m].m;
                        const struct v2c_fleet_vm *vm = &f->vms[all[m].m.vm];
                        img->ready &= !service_blocked(vm, &vm->report->services[all[m].m.service]);
                }
                i = j;
        }
        return 0;
}

/* The image of service SERVICE of VM V, or SIZE_MAX (not stateless):
 * IMAGE_OF[v][i] is the image of VM v's service i, so that a fleet of
 * thousands of VMs is not searched for each connection. */
static size_t image_of(const struct v2c_fleet *f, size_t *const *image_of_vm, size_t v, const char *service)
{
        const struct v2c_report *r = f->vms[v].report;
        for (size_t i = 0; i < r->nservices; i++)
                if (strcmp(r->services[i].name, service) == 0 && image_of_vm[v][i] != SIZE_MAX)
                        return image_of_vm[v][i];
        return SIZE_MAX;
}

static int size_cmp(const void *a, const void *b)
{
        size_t x = *(const size_t *) a, y = *(const size_t *) b;
        return x < y ? -1 : x > y;
}

/* Image I comes after the images its members connect to on their own VM
 * (a connection to a service that is not stateless is to one that stays
 * on the VM: no order to keep). */
static int image_edges(struct v2c_fleet *f, size_t *const *image_of_vm, size_t i)
{
        struct v2c_fleet_image *img = &f->images[i];
        for (size_t m = 0; m < img->n_members; m++) {
                const struct v2c_service *s = &f->vms[img->members[m].vm].report->services[img->members[m].service];
                for (size_t l = 0; l < s->nlinks; l++) {
                        if (s->links[l].service == NULL)
                                continue;
                        size_t j = image_of(f, image_of_vm, img->members[m].vm, s->links[l].service);
                        if (j == SIZE_MAX || j == i)
                                continue;
                        bool seen = false;
                        for (size_t a = 0; a < img->n_after && !seen; a++)
                                seen = img->after[a] == j;
                        if (seen)
                                continue;
                        size_t *after = realloc(img->after, (img->n_after + 1) * sizeof *after);
                        if (after == NULL)
                                return -ENOMEM;
                        img->after = after;
                        img->after[img->n_after++] = j;
                }
        }
        /* Not qsort(NULL, 0, ...): undefined, and UBSan says so. */
        if (img->n_after > 1)
                qsort(img->after, img->n_after, sizeof *img->after, size_cmp);
        return 0;
}

/* Waves: an image's is one more than the latest of the images it connects
 * to (1 without any).  When only images waiting on one another are left
 * (a cycle), the first of them is placed after those of its dependencies
 * already placed, and marked: the services of a cycle cannot each move
 * after the others, and an operator decides how they go. */
static void place_waves(struct v2c_fleet *f)
{
        size_t placed = 0;
        f->n_waves = 0;
        while (placed < f->n_images) {
                bool progress = false;
                for (size_t i = 0; i < f->n_images; i++) {
                        struct v2c_fleet_image *img = &f->images[i];
                        if (img->wave)
                                continue;
                        size_t w = 1;
                        bool ready = true;
                        for (size_t a = 0; a < img->n_after && ready; a++) {
                                size_t dw = f->images[img->after[a]].wave;
                                ready = dw != 0;
                                if (dw + 1 > w)
                                        w = dw + 1;
                        }
                        if (!ready)
                                continue;
                        img->wave = w;
                        placed++;
                        progress = true;
                }
                if (progress)
                        continue;
                for (size_t i = 0; i < f->n_images; i++) {
                        struct v2c_fleet_image *img = &f->images[i];
                        if (img->wave)
                                continue;
                        size_t w = 1;
                        for (size_t a = 0; a < img->n_after; a++)
                                if (f->images[img->after[a]].wave + 1 > w)
                                        w = f->images[img->after[a]].wave + 1;
                        img->wave = w;
                        img->cycle = true;
                        placed++;
                        break;
                }
        }
        for (size_t i = 0; i < f->n_images; i++)
                if (f->images[i].wave > f->n_waves)
                        f->n_waves = f->images[i].wave;
}

int v2c_fleet_analyse(struct v2c_fleet *f, struct v2c_error **err)
{
        for (size_t v = 0; v < f->n_vms; v++)
                if (vm_blockers(&f->vms[v]) < 0)
                        return v2c_error_set(err, ENOMEM, "out of memory");
        if (group_images(f) < 0)
                return v2c_error_set(err, ENOMEM, "out of memory");
        size_t **image_of_vm = calloc(f->n_vms ? f->n_vms : 1, sizeof *image_of_vm);
        int r = image_of_vm ? 0 : -ENOMEM;
        for (size_t v = 0; r == 0 && v < f->n_vms; v++) {
                size_t n = f->vms[v].report->nservices;
                image_of_vm[v] = malloc((n ? n : 1) * sizeof **image_of_vm);
                if (image_of_vm[v] == NULL)
                        r = -ENOMEM;
                for (size_t i = 0; r == 0 && i < n; i++)
                        image_of_vm[v][i] = SIZE_MAX;
        }
        for (size_t i = 0; r == 0 && i < f->n_images; i++)
                for (size_t m = 0; m < f->images[i].n_members; m++)
                        image_of_vm[f->images[i].members[m].vm][f->images[i].members[m].service] = i;
        for (size_t i = 0; r == 0 && i < f->n_images; i++)
                r = image_edges(f, image_of_vm, i);
        for (size_t v = 0; image_of_vm && v < f->n_vms; v++)
                free(image_of_vm[v]);
        free(image_of_vm);
        if (r < 0)
                return v2c_error_set(err, ENOMEM, "out of memory");
        place_waves(f);
        return v2c_fleet_share_layers(f, err);
}

/* ---- JSON ---- */

static json_t *class_counts(const size_t c[4])
{
        return json_pack("{sIsIsIsIsI}", "stateless", (json_int_t) c[0], "stateful", (json_int_t) c[1], "system",
                         (json_int_t) c[2], "review", (json_int_t) c[3], "total",
                         (json_int_t) (c[0] + c[1] + c[2] + c[3]));
}

static json_t *vm_json(const struct v2c_fleet_vm *vm)
{
        const struct v2c_os *os = &vm->report->os;
        json_t *ready = json_array(), *blockers = json_array();
        const struct v2c_report *r = vm->report;
        for (size_t i = 0; ready && i < r->nservices; i++)
                if (r->services[i].klass == V2C_CLASS_STATELESS && !service_blocked(vm, &r->services[i]))
                        json_array_append_new(ready, json_string(r->services[i].name));
        for (size_t i = 0; blockers && i < vm->n_blockers; i++)
                json_array_append_new(blockers, json_pack("{sssoss}", "kind", blocker_names[vm->blockers[i].kind],
                                                          "service", v2c_json_str(vm->blockers[i].service),
                                                          "detail", vm->blockers[i].detail));
        json_t *lock = json_null();
        if (vm->lock_file) {
                json_t *names = json_array();
                for (size_t i = 0; names && i < vm->n_images; i++)
                        json_array_append_new(names, json_string(vm->images[i].name));
                lock = json_pack("{ssso}", "file", vm->lock_file, "images", names);
        }
        json_t *j = json_pack("{sssssos{sososososososI}sosososo}", "name", vm->name, "file", vm->file, "hostname",
                              v2c_json_str(os->hostname), "os", "distro", v2c_json_str(os->distro), "version",
                              v2c_json_str(os->version), "pretty_name", v2c_json_str(os->pretty_name), "arch",
                              v2c_json_str(os->arch), "package_format", v2c_json_str(os->package_format), "init",
                              v2c_json_str(os->init), "packages", (json_int_t) os->packages, "services",
                              class_counts(vm->by_class), "ready", ready, "blockers", blockers, "convert", lock);
        return j;
}

/* The layers several images hold, most bytes saved first: each with the
 * VMs and images that hold it. */
static json_t *shared_layers_json(const struct v2c_fleet *f)
{
        json_t *out = json_array();
        for (size_t i = 0; out && i < f->n_layers; i++) {
                const struct v2c_fleet_layer *L = &f->layers[i];
                if (L->n_uses < 2)
                        continue;
                json_t *vms = json_array(), *imgs = json_array();
                for (size_t u = 0; vms && imgs && u < L->n_uses; u++) {
                        const struct v2c_fleet_vm *vm = &f->vms[L->uses[u].vm];
                        if (u == 0 || L->uses[u].vm != L->uses[u - 1].vm)
                                json_array_append_new(vms, json_string(vm->name));
                        json_array_append_new(imgs, json_pack("{ssss}", "vm", vm->name, "image",
                                                              vm->images[L->uses[u].image].name));
                }
                json_t *j = json_pack("{sssssIsIsososI}", "digest", L->digest, "role", L->role, "size",
                                      (json_int_t) L->size, "uses", (json_int_t) L->n_uses, "vms", vms, "images", imgs,
                                      "saved_bytes", (json_int_t) (L->size * (L->n_uses - 1)));
                if (j == NULL || json_array_append_new(out, j)) {
                        json_decref(out);
                        return NULL;
                }
        }
        return out;
}

json_t *v2c_fleet_to_json(const struct v2c_fleet *f)
{
        _cleanup_json_ json_t *vms = json_array(), *images = json_array(), *waves = json_array();
        if (vms == NULL || images == NULL || waves == NULL)
                return NULL;
        size_t total[4] = { 0 }, ready = 0, blockers = 0, shared = 0;
        for (size_t v = 0; v < f->n_vms; v++) {
                const struct v2c_fleet_vm *vm = &f->vms[v];
                json_t *j = vm_json(vm);
                if (j == NULL || json_array_append_new(vms, j))
                        return NULL;
                for (int c = 0; c < 4; c++)
                        total[c] += vm->by_class[c];
                ready += vm->n_ready;
                blockers += vm->n_blockers;
        }
        for (size_t i = 0; i < f->n_images; i++) {
                const struct v2c_fleet_image *img = &f->images[i];
                const struct v2c_service *s0 =
                        &f->vms[img->members[0].vm].report->services[img->members[0].service];
                json_t *on = json_array(), *after = json_array(), *ports = json_array();
                for (size_t m = 0; on && m < img->n_members; m++)
                        json_array_append_new(on, json_string(f->vms[img->members[m].vm].name));
                for (size_t a = 0; after && a < img->n_after; a++)
                        json_array_append_new(after, json_pack("{ssss}", "service", f->images[img->after[a]].service,
                                                               "key", f->images[img->after[a]].key));
                for (size_t p = 0; ports && p < s0->nports; p++)
                        json_array_append_new(ports, json_pack("{sIss}", "port", (json_int_t) s0->ports[p].port,
                                                               "proto", s0->ports[p].proto));
                shared += img->n_members > 1;
                json_t *j = json_pack("{sssssosososIsbsbso}", "service", img->service, "key", img->key, "vms", on,
                                      "packages", v2c_json_strv(s0->packages), "ports", ports, "wave",
                                      (json_int_t) img->wave, "ready", img->ready, "cycle", img->cycle, "after",
                                      after);
                if (j == NULL || json_array_append_new(images, j))
                        return NULL;
        }
        for (size_t w = 1; w <= f->n_waves; w++) {
                json_t *members = json_array();
                size_t n_images = 0;
                bool traffic = false;
                for (size_t i = 0; members && i < f->n_images; i++) {
                        const struct v2c_fleet_image *img = &f->images[i];
                        if (img->wave != w)
                                continue;
                        n_images++;
                        for (size_t m = 0; m < img->n_members; m++) {
                                const struct v2c_service *s =
                                        &f->vms[img->members[m].vm].report->services[img->members[m].service];
                                bool tcp = false;
                                for (size_t p = 0; p < s->nports; p++)
                                        tcp |= strcmp(s->ports[p].proto, "tcp") == 0;
                                traffic |= tcp;
                                json_array_append_new(members,
                                                      json_pack("{sssssssb}", "vm", f->vms[img->members[m].vm].name,
                                                                "service", s->name, "key", img->key, "traffic", tcp));
                        }
                }
                char file[32];
                snprintf(file, sizeof file, "wave-%zu.yaml", w);
                json_t *j = json_pack("{sIsIsoso}", "wave", (json_int_t) w, "images", (json_int_t) n_images,
                                      "services", members, "playbook", traffic ? json_string(file) : json_null());
                if (j == NULL || json_array_append_new(waves, j))
                        return NULL;
        }
        struct v2c_fleet_layer_totals lt;
        v2c_fleet_layer_totals(f, &lt);
        json_t *layers = json_pack("{sIsIsIsIsIsIsIsIsI}", "vms", (json_int_t) lt.vms, "images", (json_int_t) lt.images,
                                   "layers", (json_int_t) lt.layers, "references", (json_int_t) lt.references,
                                   "shared", (json_int_t) lt.shared, "shared_across_vms",
                                   (json_int_t) lt.shared_across_vms, "bytes", (json_int_t) lt.bytes,
                                   "stored_bytes", (json_int_t) lt.stored_bytes, "saved_bytes",
                                   (json_int_t) lt.saved_bytes);
        json_t *totals = json_pack("{sIsosIsIsIsIso}", "vms", (json_int_t) f->n_vms, "services", class_counts(total),
                                   "ready", (json_int_t) ready, "blockers", (json_int_t) blockers, "images",
                                   (json_int_t) f->n_images, "shared_images", (json_int_t) shared, "layers", layers);
        _cleanup_json_ json_t *shared_layers = shared_layers_json(f);
        return json_pack("{sssosOsOsOsO}", "schema", V2C_FLEET_SCHEMA, "totals", totals, "vms", vms, "images",
                         images, "waves", waves, "shared_layers", shared_layers);
}

/* ---- text ---- */

/* S as a terminal shows it safely: control bytes as \xNN. */
static int put_printable(struct v2c_buf *b, const char *s)
{
        _cleanup_free_ char *p = v2c_text_printable(s ? s : "-", false);
        return p ? v2c_buf_appends(b, p) : -ENOMEM;
}

int v2c_fleet_layer_vms(const struct v2c_fleet *f, const struct v2c_fleet_layer *L, struct v2c_buf *b,
                        int (*put)(struct v2c_buf *, const char *))
{
        int r = 0;
        size_t shown = 0;
        for (size_t u = 0; r == 0 && u < L->n_uses; u++) {
                if (u > 0 && L->uses[u].vm == L->uses[u - 1].vm)
                        continue;       /* uses are in VM order */
                if (shown++ == V2C_FLEET_LISTED_VMS)
                        return v2c_buf_appendf(b, " and %zu more", L->n_vms - V2C_FLEET_LISTED_VMS);
                r = v2c_buf_appends(b, shown > 1 ? ", " : "") ?: put(b, f->vms[L->uses[u].vm].name);
        }
        return r;
}

static const char *os_label(const struct v2c_os *os, char *buf, size_t size)
{
        snprintf(buf, size, "%s %s", os->distro ? os->distro : "unknown", os->version ? os->version : "");
        return buf;
}

/* Text and HTML list so many shared layers, and so many VMs of each
 * (the JSON has them all). */
#define LISTED_LAYERS 20

/* The shared layers of the convert results, for people. */
static int layers_text(const struct v2c_fleet *f, struct v2c_buf *b)
{
        struct v2c_fleet_layer_totals t;
        v2c_fleet_layer_totals(f, &t);
        char stored[32], bytes[32], saved[32];
        int r = v2c_buf_appendf(b, "\nshared layers (convert results of %zu VMs: %zu images, %zu layers; %zu held by "
                                   "several images, %zu by several VMs):\n"
                                   "a registry stores %s of %s, %s saved\n",
                                t.vms, t.images, t.layers, t.shared, t.shared_across_vms,
                                v2c_progress_bytes(t.stored_bytes, stored, sizeof stored),
                                v2c_progress_bytes(t.bytes, bytes, sizeof bytes),
                                v2c_progress_bytes(t.saved_bytes, saved, sizeof saved));
        size_t listed = 0;
        for (size_t i = 0; r == 0 && i < f->n_layers; i++) {
                const struct v2c_fleet_layer *L = &f->layers[i];
                if (L->n_uses < 2)
                        continue;
                if (listed++ == LISTED_LAYERS) {
                        r = v2c_buf_appendf(b, "  ... and %zu more (--json lists them all)\n", t.shared - LISTED_LAYERS);
                        break;
                }
                char size[32];
                r = v2c_buf_appendf(b, "  %-10s %.19s %9s  %zu images on ", L->role, L->digest,
                                    v2c_progress_bytes(L->size, size, sizeof size), L->n_uses);
                r = r ?: v2c_fleet_layer_vms(f, L, b, put_printable);
                r = r ?: v2c_buf_appendf(b, "; saves %s\n",
                                         v2c_progress_bytes(L->size * (L->n_uses - 1), saved, sizeof saved));
        }
        return r;
}

char *v2c_fleet_to_text(const struct v2c_fleet *f)
{
        _cleanup_buf_ struct v2c_buf b;
        v2c_buf_init(&b, TEXT_MAX);
        size_t total[4] = { 0 }, ready = 0, shared = 0;
        for (size_t v = 0; v < f->n_vms; v++) {
                for (int c = 0; c < 4; c++)
                        total[c] += f->vms[v].by_class[c];
                ready += f->vms[v].n_ready;
        }
        for (size_t i = 0; i < f->n_images; i++)
                shared += f->images[i].n_members > 1;
        int r = v2c_buf_appendf(&b, "fleet: %zu VMs, %zu services (%zu stateless, %zu stateful, %zu system, %zu review), "
                                    "%zu ready to convert, %zu image candidates (%zu on several VMs), %zu waves\n\n",
                                f->n_vms, total[0] + total[1] + total[2] + total[3], total[0], total[1], total[2],
                                total[3], ready, f->n_images, shared, f->n_waves);
        r = r ?: v2c_buf_appendf(&b, "%-20s %-18s %9s %8s %6s %6s %5s %8s\n", "VM", "OS", "STATELESS", "STATEFUL",
                                 "SYSTEM", "REVIEW", "READY", "BLOCKERS");
        for (size_t v = 0; r == 0 && v < f->n_vms; v++) {
                const struct v2c_fleet_vm *vm = &f->vms[v];
                char os[64];
                _cleanup_free_ char *name = v2c_text_printable(vm->name, false);
                _cleanup_free_ char *osp = v2c_text_printable(os_label(&vm->report->os, os, sizeof os), false);
                if (name == NULL || osp == NULL)
                        return NULL;
                r = v2c_buf_appendf(&b, "%-20s %-18s %9zu %8zu %6zu %6zu %5zu %8zu\n", name, osp, vm->by_class[0],
                                    vm->by_class[1], vm->by_class[2], vm->by_class[3], vm->n_ready, vm->n_blockers);
        }
        for (size_t v = 0; r == 0 && v < f->n_vms; v++) {
                const struct v2c_fleet_vm *vm = &f->vms[v];
                if (vm->n_blockers == 0)
                        continue;
                r = v2c_buf_appends(&b, "\nblockers of ") ?: put_printable(&b, vm->name) ?: v2c_buf_appends(&b, ":\n");
                for (size_t i = 0; r == 0 && i < vm->n_blockers; i++)
                        r = v2c_buf_appendf(&b, "  %-24s ", blocker_names[vm->blockers[i].kind]) ?:
                            put_printable(&b, vm->blockers[i].service ? vm->blockers[i].service : "(VM)") ?:
                            v2c_buf_appends(&b, ": ") ?: put_printable(&b, vm->blockers[i].detail) ?:
                            v2c_buf_appends(&b, "\n");
        }
        r = r ?: v2c_buf_appends(&b, "\nimage candidates by wave (stateless services; * on several VMs, "
                                     "! blocked on some VM):\n");
        for (size_t w = 1; r == 0 && w <= f->n_waves; w++) {
                r = v2c_buf_appendf(&b, "wave %zu:\n", w);
                for (size_t i = 0; r == 0 && i < f->n_images; i++) {
                        const struct v2c_fleet_image *img = &f->images[i];
                        if (img->wave != w)
                                continue;
                        r = v2c_buf_appendf(&b, "  %c%c ", img->n_members > 1 ? '*' : ' ', img->ready ? ' ' : '!') ?:
                            put_printable(&b, img->service) ?: v2c_buf_appends(&b, " on ");
                        for (size_t m = 0; r == 0 && m < img->n_members; m++)
                                r = (m ? v2c_buf_appends(&b, ", ") : 0) ?:
                                    put_printable(&b, f->vms[img->members[m].vm].name);
                        for (size_t a = 0; r == 0 && a < img->n_after; a++)
                                r = v2c_buf_appends(&b, a ? ", " : "; after ") ?:
                                    put_printable(&b, f->images[img->after[a]].service);
                        if (r == 0 && img->cycle)
                                r = v2c_buf_appends(&b, " (in a cycle of connections: move them together)");
                        r = r ?: v2c_buf_appends(&b, "\n");
                }
        }
        if (r == 0 && f->n_locks)
                r = layers_text(f, &b);
        return r == 0 ? v2c_buf_steal(&b) : NULL;
}

/* ---- draft playbooks ---- */

/* S as a YAML double-quoted scalar: `\` and `"` escaped, control bytes
 * as \xNN, so that a guest's name can neither end the string nor the
 * line. */
static int yaml_quoted(struct v2c_buf *b, const char *s)
{
        int r = v2c_buf_appends(b, "\"");
        for (const unsigned char *p = (const unsigned char *) s; r == 0 && *p; p++) {
                if (*p == '\\' || *p == '"')
                        r = v2c_buf_appendf(b, "\\%c", *p);
                else if (*p < 0x20 || *p == 0x7f)
                        r = v2c_buf_appendf(b, "\\x%02x", *p);
                else
                        r = v2c_buf_append(b, p, 1);
        }
        return r ?: v2c_buf_appends(b, "\"");
}

/* A playbook name (letters, digits, `.`, `_`, `-`, from a letter or digit,
 * at most 63 bytes) made of SERVICE-VM: other bytes become `-`. */
static void playbook_name(const char *service, const char *vm, char out[64])
{
        snprintf(out, 64, "%s-%s", service, vm);
        for (char *p = out; *p; p++)
                if (!(isalnum((unsigned char) *p) || *p == '.' || *p == '_' || *p == '-'))
                        *p = '-';
        if (!isalnum((unsigned char) out[0]))
                out[0] = 's';
}

static bool has_tcp(const struct v2c_service *s)
{
        for (size_t p = 0; p < s->nports; p++)
                if (strcmp(s->ports[p].proto, "tcp") == 0)
                        return true;
        return false;
}

static size_t tcp_ports(const struct v2c_service *s)
{
        size_t n = 0;
        for (size_t p = 0; p < s->nports; p++)
                n += strcmp(s->ports[p].proto, "tcp") == 0;
        return n > 64 ? 64 : n;         /* the playbook's limit of ports per container */
}

int v2c_fleet_playbook(const struct v2c_fleet *f, size_t wave, char **out)
{
        *out = NULL;
        unsigned host_port = DRAFT_FIRST_HOST_PORT;
        size_t n = 0;
        for (size_t i = 0; i < f->n_images; i++)
                for (size_t m = 0; m < f->images[i].n_members; m++) {
                        const struct v2c_service *s =
                                &f->vms[f->images[i].members[m].vm].report->services[f->images[i].members[m].service];
                        if (f->images[i].wave < wave)
                                host_port += (unsigned) tcp_ports(s);
                        else if (f->images[i].wave == wave)
                                n += has_tcp(s);
                }
        if (n == 0)
                return 0;
        _cleanup_free_ char (*names)[64] = calloc(n, sizeof *names);
        if (names == NULL)
                return -ENOMEM;
        _cleanup_buf_ struct v2c_buf b;
        v2c_buf_init(&b, TEXT_MAX);
        int r = v2c_buf_appendf(&b,
                                "# Draft rollout playbook of wave %zu of %zu, written by `v2c report` (docs/report.md,\n"
                                "# docs/playbook.md).  Every value starting \"" V2C_FLEET_PLACEHOLDER "\" is for the\n"
                                "# operator to give: `v2c rollout run` refuses the file until none is left.\n"
                                "# Host ports are proposed, unique over the fleet's drafts; backends and\n"
                                "# server names are HAProxy's: make them match its configuration.\n"
                                "version: 1\nname: wave-%zu\n",
                                wave, f->n_waves, wave);
        r = r ?: v2c_buf_appends(&b, "# Where each service comes from (ignored by v2c rollout).\nx-v2c-report:\n");
        size_t k = 0;
        _cleanup_buf_ struct v2c_buf svc;
        v2c_buf_init(&svc, TEXT_MAX);
        for (size_t i = 0; r == 0 && i < f->n_images; i++) {
                const struct v2c_fleet_image *img = &f->images[i];
                if (img->wave != wave)
                        continue;
                for (size_t m = 0; r == 0 && m < img->n_members; m++) {
                        const struct v2c_fleet_vm *vm = &f->vms[img->members[m].vm];
                        const struct v2c_service *s = &vm->report->services[img->members[m].service];
                        if (!has_tcp(s))
                                continue;
                        playbook_name(s->name, vm->name, names[k]);
                        /* Unique within the draft: a name cut or folded to
                         * `-` may meet another's. */
                        for (unsigned suffix = 2;; suffix++) {
                                bool clash = false;
                                for (size_t j = 0; j < k && !clash; j++)
                                        clash = strcmp(names[j], names[k]) == 0;
                                if (!clash)
                                        break;
                                char base[64];
                                playbook_name(s->name, vm->name, base);
                                char tail[16];
                                int tl = snprintf(tail, sizeof tail, "-%u", suffix);
                                base[63 - tl] = '\0';
                                memcpy(names[k], base, strlen(base));
                                memcpy(names[k] + strlen(base), tail, (size_t) tl + 1);
                        }
                        const char *nm = names[k++];
                        r = v2c_buf_appendf(&b, "  %s:\n    vm: ", nm) ?: yaml_quoted(&b, vm->name) ?:
                            v2c_buf_appends(&b, "\n    service: ") ?: yaml_quoted(&b, s->name) ?:
                            v2c_buf_appendf(&b, "\n    image_key: \"%s\"\n", img->key);
                        for (size_t a = 0; r == 0 && a < img->n_after; a++)
                                r = v2c_buf_appends(&b, a ? ", " : "    after_waves_of: [") ?:
                                    yaml_quoted(&b, f->images[img->after[a]].service);
                        if (r == 0 && img->n_after)
                                r = v2c_buf_appends(&b, "]\n");
                        char placeholder[256];
                        r = r ?: v2c_buf_appendf(&svc, "      - name: %s\n        vm:\n", nm);
                        snprintf(placeholder, sizeof placeholder, V2C_FLEET_PLACEHOLDER "the QMP socket of VM %s", vm->name);
                        r = r ?: v2c_buf_appends(&svc, "          qmp: ") ?: yaml_quoted(&svc, placeholder);
                        unsigned first = 0;
                        for (size_t p = 0; p < s->nports && first == 0; p++)
                                if (strcmp(s->ports[p].proto, "tcp") == 0)
                                        first = s->ports[p].port;
                        snprintf(placeholder, sizeof placeholder, V2C_FLEET_PLACEHOLDER "the VM's address:%u", first);
                        r = r ?: v2c_buf_appends(&svc, "\n          endpoint: ") ?: yaml_quoted(&svc, placeholder);
                        r = r ?: v2c_buf_appends(&svc, "\n        container:\n          engine: ") ?:
                            yaml_quoted(&svc, V2C_FLEET_PLACEHOLDER "the container engine's API socket");
                        snprintf(placeholder, sizeof placeholder,
                                 V2C_FLEET_PLACEHOLDER "the image of %s as pushed, pinned by digest", nm);
                        r = r ?: v2c_buf_appends(&svc, "\n          image: ") ?: yaml_quoted(&svc, placeholder) ?:
                            v2c_buf_appends(&svc, "\n          ports: [");
                        size_t np = 0;
                        for (size_t p = 0; r == 0 && p < s->nports && np < 64; p++) {
                                if (strcmp(s->ports[p].proto, "tcp") != 0)
                                        continue;
                                /* Past the last port number, the operator picks. */
                                if (host_port > 65535)
                                        r = v2c_buf_appendf(&svc, "%s\"" V2C_FLEET_PLACEHOLDER "a free host port:%u\"",
                                                            np++ ? ", " : "", s->ports[p].port);
                                else
                                        r = v2c_buf_appendf(&svc, "%s\"%u:%u\"", np++ ? ", " : "", host_port,
                                                            s->ports[p].port);
                                host_port++;
                        }
                        r = r ?: v2c_buf_appendf(&svc, "]\n        router:\n          socket: ") ?:
                            yaml_quoted(&svc, V2C_FLEET_PLACEHOLDER "the HAProxy runtime API socket") ?:
                            v2c_buf_appendf(&svc, "\n          backend: %s\n          vm_server: vm\n"
                                                  "          container_server: container\n",
                                            nm);
                }
        }
        r = r ?: v2c_buf_appends(&b, "# Each step waits for `v2c rollout approve`: add analyses (docs/playbook.md)\n"
                                     "# to let measurements decide instead.\n"
                                     "strategy:\n  canary:\n    steps:\n      - setWeight: 10\n"
                                     "      - pause: {until: approved}\n      - setWeight: 50\n"
                                     "      - pause: {until: approved}\n      - setWeight: 100\n");
        r = r ?: v2c_buf_appendf(&b, "waves:\n  - name: wave-%zu\n    services:\n", wave) ?:
            v2c_buf_append(&b, svc.data ? svc.data : "", svc.len);
        if (r < 0)
                return -ENOMEM;
        *out = v2c_buf_steal(&b);
        return *out ? 0 : -ENOMEM;
}
