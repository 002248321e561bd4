/* The fleet report as one self-contained HTML page: inline CSS, charts
 * drawn here as inline SVG, no script, no URL of any kind, so that it
 * opens anywhere (a mail attachment, an air-gapped laptop) and cannot
 * reach out.  Every guest string (service names, hostnames, reasons) is
 * written through html_text, which escapes all that HTML could read as
 * markup, in text and in attribute values alike. */
#include "fleet.h"
#include "buf.h"
#include "cleanup.h"
#include "progress.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define HTML_MAX (64u << 20)

static const char *const class_names[] = { "stateless", "stateful", "system", "review" };
static const char *const class_colours[] = { "#2e7d32", "#c62828", "#757575", "#ef6c00" };

static int html_text(struct v2c_buf *b, const char *s)
{
        int r = 0;
        if (s == NULL)
                s = "-";
        for (const unsigned char *p = (const unsigned char *) s; r == 0 && *p; p++) {
                switch (*p) {
                case '&': r = v2c_buf_appends(b, "&amp;"); break;
                case '<': r = v2c_buf_appends(b, "&lt;"); break;
                case '>': r = v2c_buf_appends(b, "&gt;"); break;
                case '"': r = v2c_buf_appends(b, "&quot;"); break;
                case '\'': r = v2c_buf_appends(b, "&#39;"); break;
                default:
                        /* Control bytes are shown, not passed on. */
                        if (*p < 0x20 || *p == 0x7f)
                                r = v2c_buf_appendf(b, "\\x%02x", *p);
                        else
                                r = v2c_buf_append(b, p, 1);
                }
        }
        return r;
}

/* Horizontal bars, one row a label: each row's counts stacked by class,
 * scaled to the largest row. */
static int stacked_bars(struct v2c_buf *b, const char *title, size_t rows, const char *const *labels,
                        const size_t (*counts)[4])
{
        const unsigned label_w = 180, bar_w = 560, row_h = 26, top = 34;
        size_t max = 1;
        for (size_t i = 0; i < rows; i++) {
                size_t t = counts[i][0] + counts[i][1] + counts[i][2] + counts[i][3];
                if (t > max)
                        max = t;
        }
        unsigned h = top + (unsigned) rows * row_h + 30;
        int r = v2c_buf_appendf(b, "<svg width=\"%u\" height=\"%u\" role=\"img\">"
                                   "<title>", label_w + bar_w + 60, h);
        r = r ?: html_text(b, title) ?: v2c_buf_appends(b, "</title>");
        for (int c = 0; r == 0 && c < 4; c++)
                r = v2c_buf_appendf(b, "<rect x=\"%u\" y=\"6\" width=\"14\" height=\"14\" fill=\"%s\"/>"
                                       "<text x=\"%u\" y=\"18\" class=\"legend\">%s</text>",
                                    label_w + (unsigned) c * 120, class_colours[c], label_w + (unsigned) c * 120 + 20,
                                    class_names[c]);
        for (size_t i = 0; r == 0 && i < rows; i++) {
                unsigned y = top + (unsigned) i * row_h;
                r = v2c_buf_appendf(b, "<text x=\"%u\" y=\"%u\" text-anchor=\"end\">", label_w - 8, y + 17) ?:
                    html_text(b, labels[i]) ?: v2c_buf_appends(b, "</text>");
                double x = label_w;
                size_t total = 0;
                for (int c = 0; r == 0 && c < 4; c++) {
                        double w = (double) counts[i][c] * bar_w / (double) max;
                        total += counts[i][c];
                        if (counts[i][c] == 0)
                                continue;
                        r = v2c_buf_appendf(b, "<rect x=\"%.1f\" y=\"%u\" width=\"%.1f\" height=\"20\" fill=\"%s\">"
                                               "<title>%s: %zu</title></rect>",
                                            x, y + 3, w, class_colours[c], class_names[c], counts[i][c]);
                        if (r == 0 && w >= 22)
                                r = v2c_buf_appendf(b, "<text x=\"%.1f\" y=\"%u\" text-anchor=\"middle\" "
                                                       "class=\"in\">%zu</text>",
                                                    x + w / 2, y + 17, counts[i][c]);
                        x += w;
                }
                r = r ?: v2c_buf_appendf(b, "<text x=\"%.1f\" y=\"%u\">%zu</text>", x + 6, y + 17, total);
        }
        return r ?: v2c_buf_appends(b, "</svg>\n");
}

/* One bar a class, fleet-wide. */
static int class_columns(struct v2c_buf *b, const size_t total[4])
{
        const unsigned col_w = 90, chart_h = 200, base = 230;
        size_t max = 1;
        for (int c = 0; c < 4; c++)
                if (total[c] > max)
                        max = total[c];
        int r = v2c_buf_appendf(b, "<svg width=\"%u\" height=\"%u\" role=\"img\">"
                                   "<title>services of the fleet by class</title>",
                                4 * col_w + 40, base + 30);
        for (int c = 0; r == 0 && c < 4; c++) {
                unsigned h = (unsigned) (total[c] * chart_h / max);
                unsigned x = 20 + (unsigned) c * col_w;
                r = v2c_buf_appendf(b, "<rect x=\"%u\" y=\"%u\" width=\"%u\" height=\"%u\" fill=\"%s\"/>"
                                       "<text x=\"%u\" y=\"%u\" text-anchor=\"middle\">%zu</text>"
                                       "<text x=\"%u\" y=\"%u\" text-anchor=\"middle\">%s</text>",
                                    x, base - h, col_w - 20, h, class_colours[c], x + (col_w - 20) / 2, base - h - 6,
                                    total[c], x + (col_w - 20) / 2, base + 18, class_names[c]);
        }
        return r ?: v2c_buf_appends(b, "</svg>\n");
}

/* The shared layers' chart and table list so many layers, and so many
 * VMs of each (the JSON has them all). */
#define CHART_LAYERS 12
#define LISTED_LAYERS 50
static const char stored_colour[] = "#1565c0", saved_colour[] = "#90caf9";

/* A layer's label: its role and the start of its digest. */
static void layer_label(const struct v2c_fleet_layer *L, char *buf, size_t size)
{
        snprintf(buf, size, "%s %.19s", L->role, L->digest);
}

/* One bar a shared layer: what its images would hold each on their own
 * (size x images), split into what a registry stores (the layer once) and
 * what sharing saves. */
static int layer_bars(struct v2c_buf *b, const struct v2c_fleet *f)
{
        const unsigned label_w = 260, bar_w = 480, row_h = 26, top = 34;
        uint64_t max = 1;
        size_t rows = 0;
        for (size_t i = 0; i < f->n_layers && rows < CHART_LAYERS; i++)
                if (f->layers[i].n_uses > 1) {
                        rows++;
                        if (f->layers[i].size * f->layers[i].n_uses > max)
                                max = f->layers[i].size * f->layers[i].n_uses;
                }
        int r = v2c_buf_appendf(b, "<svg width=\"%u\" height=\"%u\" role=\"img\"><title>bytes of the shared layers: "
                                   "stored once, and saved</title>",
                                label_w + bar_w + 120, top + (unsigned) rows * row_h + 10);
        static const char *const legend[] = { "stored once", "saved by sharing" };
        const char *colours[] = { stored_colour, saved_colour };
        for (int c = 0; r == 0 && c < 2; c++)
                r = v2c_buf_appendf(b, "<rect x=\"%u\" y=\"6\" width=\"14\" height=\"14\" fill=\"%s\"/>"
                                       "<text x=\"%u\" y=\"18\" class=\"legend\">%s</text>",
                                    label_w + (unsigned) c * 160, colours[c], label_w + (unsigned) c * 160 + 20, legend[c]);
        size_t row = 0;
        for (size_t i = 0; r == 0 && i < f->n_layers && row < rows; i++) {
                const struct v2c_fleet_layer *L = &f->layers[i];
                if (L->n_uses < 2)
                        continue;
                unsigned y = top + (unsigned) row++ * row_h;
                char label[64], size[32], all[32];
                layer_label(L, label, sizeof label);
                double w_stored = (double) L->size * bar_w / (double) max;
                double w_all = (double) (L->size * L->n_uses) * bar_w / (double) max;
                r = v2c_buf_appendf(b, "<text x=\"%u\" y=\"%u\" text-anchor=\"end\">%s</text>"
                                       "<rect x=\"%u\" y=\"%u\" width=\"%.1f\" height=\"20\" fill=\"%s\"/>"
                                       "<rect x=\"%.1f\" y=\"%u\" width=\"%.1f\" height=\"20\" fill=\"%s\"/>"
                                       "<text x=\"%.1f\" y=\"%u\">%s of %s</text>",
                                    label_w - 8, y + 17, label, label_w, y + 3, w_stored, stored_colour,
                                    label_w + w_stored, y + 3, w_all - w_stored, saved_colour, label_w + w_all + 6,
                                    y + 17, v2c_progress_bytes(L->size, size, sizeof size),
                                    v2c_progress_bytes(L->size * L->n_uses, all, sizeof all));
        }
        return r ?: v2c_buf_appends(b, "</svg>\n");
}

/* The section on the layers of the convert results. */
static int layers_section(struct v2c_buf *b, const struct v2c_fleet *f)
{
        struct v2c_fleet_layer_totals t;
        v2c_fleet_layer_totals(f, &t);
        char stored[32], bytes[32], saved[32];
        int r = v2c_buf_appendf(b, "<h2>Shared layers</h2>\n<p id=\"layers-summary\">Convert results of %zu VMs: "
                                   "%zu images, %zu layers; %zu held by several images, %zu by several VMs. "
                                   "A registry stores %s of %s: %s saved.</p>\n",
                                t.vms, t.images, t.layers, t.shared, t.shared_across_vms,
                                v2c_progress_bytes(t.stored_bytes, stored, sizeof stored),
                                v2c_progress_bytes(t.bytes, bytes, sizeof bytes),
                                v2c_progress_bytes(t.saved_bytes, saved, sizeof saved));
        if (t.shared == 0)
                return r;
        r = r ?: layer_bars(b, f);
        r = r ?: v2c_buf_appends(b, "<table id=\"layers\"><tr><th>role</th><th>layer</th><th>size</th>"
                                    "<th>images</th><th>VMs</th><th>saved</th></tr>\n");
        size_t listed = 0;
        for (size_t i = 0; r == 0 && i < f->n_layers && listed < LISTED_LAYERS; i++) {
                const struct v2c_fleet_layer *L = &f->layers[i];
                if (L->n_uses < 2)
                        continue;
                listed++;
                char size[32];
                r = v2c_buf_appendf(b, "<tr><td>%s</td><td title=\"%s\">%.19s</td><td class=\"n\">%s</td>"
                                       "<td class=\"n\">%zu</td><td>",
                                    L->role, L->digest, L->digest, v2c_progress_bytes(L->size, size, sizeof size),
                                    L->n_uses);
                r = r ?: v2c_fleet_layer_vms(f, L, b, html_text);
                r = r ?: v2c_buf_appendf(b, "</td><td class=\"n\">%s</td></tr>\n",
                                         v2c_progress_bytes(L->size * (L->n_uses - 1), saved, sizeof saved));
        }
        r = r ?: v2c_buf_appends(b, "</table>\n");
        if (r == 0 && t.shared > LISTED_LAYERS)
                r = v2c_buf_appendf(b, "<p>... and %zu more shared layers (the JSON report lists them all).</p>\n",
                                    t.shared - LISTED_LAYERS);
        return r;
}

static const char style[] =
        "<style>\n"
        "body{font-family:sans-serif;margin:24px;color:#212121;background:#fff}\n"
        "h1{font-size:22px}h2{font-size:18px;margin-top:28px}\n"
        "table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #bdbdbd;padding:4px 8px;text-align:left}\n"
        "th{background:#eeeeee}td.n{text-align:right}\n"
        "svg text{font-size:13px;fill:#212121}svg text.in{fill:#fff;font-weight:bold}svg text.legend{font-size:12px}\n"
        ".stateless{color:#2e7d32}.stateful{color:#c62828}.review{color:#ef6c00}\n"
        "</style>\n";

char *v2c_fleet_to_html(const struct v2c_fleet *f)
{
        _cleanup_buf_ struct v2c_buf b;
        v2c_buf_init(&b, HTML_MAX);
        size_t total[4] = { 0 }, ready = 0, blockers = 0;
        _cleanup_free_ const char **labels = calloc(f->n_vms + 1, sizeof *labels);
        _cleanup_free_ size_t (*counts)[4] = calloc(f->n_vms + 1, sizeof *counts);
        if (labels == NULL || counts == NULL)
                return NULL;
        for (size_t v = 0; v < f->n_vms; v++) {
                labels[v] = f->vms[v].name;
                for (int c = 0; c < 4; c++) {
                        counts[v][c] = f->vms[v].by_class[c];
                        total[c] += f->vms[v].by_class[c];
                }
                ready += f->vms[v].n_ready;
                blockers += f->vms[v].n_blockers;
        }
        int r = v2c_buf_appends(&b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                                    "<title>v2c fleet report</title>\n");
        r = r ?: v2c_buf_appends(&b, style) ?: v2c_buf_appends(&b, "</head>\n<body>\n<h1>v2c fleet report</h1>\n");
        r = r ?: v2c_buf_appendf(&b, "<p id=\"summary\">%zu VMs, %zu services: %zu stateless, %zu stateful, "
                                     "%zu system, %zu review; %zu ready to convert; %zu blockers; "
                                     "%zu image candidates in %zu waves.</p>\n",
                                 f->n_vms, total[0] + total[1] + total[2] + total[3], total[0], total[1], total[2],
                                 total[3], ready, blockers, f->n_images, f->n_waves);
        r = r ?: v2c_buf_appends(&b, "<h2>Services of the fleet by class</h2>\n") ?: class_columns(&b, total);
        r = r ?: v2c_buf_appends(&b, "<h2>Services by class, per VM</h2>\n") ?:
            stacked_bars(&b, "services by class, per VM", f->n_vms, labels, (const size_t (*)[4]) counts);

        r = r ?: v2c_buf_appends(&b, "<h2>VMs</h2>\n<table id=\"vms\"><tr><th>VM</th><th>hostname</th><th>OS</th>"
                                     "<th>stateless</th><th>stateful</th><th>system</th><th>review</th>"
                                     "<th>ready</th><th>blockers</th></tr>\n");
        for (size_t v = 0; r == 0 && v < f->n_vms; v++) {
                const struct v2c_fleet_vm *vm = &f->vms[v];
                r = v2c_buf_appends(&b, "<tr><td>") ?: html_text(&b, vm->name) ?: v2c_buf_appends(&b, "</td><td>") ?:
                    html_text(&b, vm->report->os.hostname) ?: v2c_buf_appends(&b, "</td><td>") ?:
                    html_text(&b, vm->report->os.pretty_name ? vm->report->os.pretty_name : vm->report->os.distro) ?:
                    v2c_buf_appendf(&b, "</td><td class=\"n\">%zu</td><td class=\"n\">%zu</td><td class=\"n\">%zu</td>"
                                        "<td class=\"n\">%zu</td><td class=\"n\">%zu</td><td class=\"n\">%zu</td></tr>\n",
                                    vm->by_class[0], vm->by_class[1], vm->by_class[2], vm->by_class[3], vm->n_ready,
                                    vm->n_blockers);
        }
        /* What storing the images costs comes with the VMs, before the
         * long lists. */
        r = r ?: v2c_buf_appends(&b, "</table>\n");
        if (r == 0 && f->n_locks)
                r = layers_section(&b, f);
        r = r ?: v2c_buf_appends(&b, "<h2>Blockers</h2>\n<table id=\"blockers\"><tr><th>VM</th>"
                                     "<th>kind</th><th>service</th><th>detail</th></tr>\n");
        for (size_t v = 0; r == 0 && v < f->n_vms; v++)
                for (size_t i = 0; r == 0 && i < f->vms[v].n_blockers; i++) {
                        const struct v2c_fleet_blocker *bl = &f->vms[v].blockers[i];
                        r = v2c_buf_appends(&b, "<tr><td>") ?: html_text(&b, f->vms[v].name) ?:
                            v2c_buf_appendf(&b, "</td><td>%s</td><td>", v2c_fleet_blocker_name(bl->kind)) ?:
                            html_text(&b, bl->service ? bl->service : "(the VM)") ?: v2c_buf_appends(&b, "</td><td>") ?:
                            html_text(&b, bl->detail) ?: v2c_buf_appends(&b, "</td></tr>\n");
                }
        r = r ?: v2c_buf_appends(&b, "</table>\n<h2>Image candidates and waves</h2>\n"
                                     "<p>Stateless services that would make one image (same OS release, "
                                     "packages, command, configuration paths and ports), in the wave "
                                     "proposed for them: a service moves after those it connects to.</p>\n"
                                     "<table id=\"images\"><tr><th>wave</th><th>service</th><th>VMs</th>"
                                     "<th>ready</th><th>after</th></tr>\n");
        for (size_t w = 1; r == 0 && w <= f->n_waves; w++)
                for (size_t i = 0; r == 0 && i < f->n_images; i++) {
                        const struct v2c_fleet_image *img = &f->images[i];
                        if (img->wave != w)
                                continue;
                        r = v2c_buf_appendf(&b, "<tr><td class=\"n\">%zu</td><td>", w) ?: html_text(&b, img->service) ?:
                            v2c_buf_appends(&b, "</td><td>");
                        for (size_t m = 0; r == 0 && m < img->n_members; m++)
                                r = (m ? v2c_buf_appends(&b, ", ") : 0) ?:
                                    html_text(&b, f->vms[img->members[m].vm].name);
                        r = r ?: v2c_buf_appendf(&b, " (%zu)</td><td>%s</td><td>", img->n_members,
                                                 img->ready ? "yes" : "blocked");
                        for (size_t a = 0; r == 0 && a < img->n_after; a++)
                                r = (a ? v2c_buf_appends(&b, ", ") : 0) ?:
                                    html_text(&b, f->images[img->after[a]].service);
                        if (r == 0 && img->cycle)
                                r = v2c_buf_appends(&b, " (a cycle: move together)");
                        r = r ?: v2c_buf_appends(&b, "</td></tr>\n");
                }
        r = r ?: v2c_buf_appends(&b, "</table>\n<p>Written by v2c report.</p>\n</body>\n</html>\n");
        return r == 0 ? v2c_buf_steal(&b) : NULL;
}
