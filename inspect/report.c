/* The inspection report for people: an aligned table and a summary, from
 * the same struct v2c_report as the JSON for machines (common/report.c). */
#include "inspect.h"
#include "buf.h"
#include "cleanup.h"
#include "json.h"
#include "strv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* People's view.  Everything shown comes from the guest: control bytes
 * (terminal escapes) are shown as '?', bytes that are not UTF-8 as \xNN,
 * and each column has a width limit, cut on a character boundary. */

static char *cell(const char *s, size_t width)
{
        char *e = v2c_utf8_escape(s ? s : "");
        if (e == NULL)
                return NULL;
        for (unsigned char *p = (unsigned char *) e; *p; p++)
                if (*p < 0x20 || *p == 0x7f)
                        *p = '?';
        size_t n = strlen(e);
        if (width && n > width) {
                size_t cut = width > 3 ? width - 3 : width;
                while (cut > 0 && ((unsigned char) e[cut] & 0xc0) == 0x80)
                        cut--;
                strcpy(e + cut, "...");
        }
        return e;
}

static char *ports_text(const struct v2c_service *s)
{
        struct v2c_buf b;
        v2c_buf_init(&b, 4096);
        for (size_t i = 0; i < s->nports; i++)
                v2c_buf_appendf(&b, "%s%u%s", i ? "," : "", s->ports[i].port,
                                strcmp(s->ports[i].proto, "udp") == 0 ? "/udp" : "");
        if (b.len == 0)
                v2c_buf_appends(&b, "-");
        return v2c_buf_steal(&b);
}

static char *command_text(const struct v2c_service *s)
{
        struct v2c_buf b;
        v2c_buf_init(&b, 4096);
        /* A cron line is only meaningful whole ("cd / && run-parts ..."). */
        bool whole_line = strcmp(s->kind, "cron") == 0 && s->description;
        if (whole_line)
                v2c_buf_appends(&b, s->description);
        for (size_t i = 0; !whole_line && s->argv && s->argv[i]; i++)
                if (v2c_buf_appendf(&b, "%s%s", i ? " " : "", s->argv[i]) < 0)
                        break;
        if (b.len == 0)
                v2c_buf_appends(&b, s->exec_path ? s->exec_path : "-");
        _cleanup_free_ char *whole = v2c_buf_steal(&b);
        return whole ? cell(whole, 60) : NULL;
}

/* Connections between services: what must stay together (or be pointed
 * elsewhere) when they move into containers. */
static void links_text(struct v2c_buf *b, const struct v2c_report *r)
{
        size_t n = 0;
        for (size_t i = 0; i < r->nservices; i++)
                n += r->services[i].nlinks;
        if (n == 0)
                return;
        v2c_buf_appendf(b, "\nConnections between services (on the guest itself; keep them together):\n");
        for (size_t i = 0; i < r->nservices; i++) {
                const struct v2c_service *s = &r->services[i];
                for (size_t k = 0; k < s->nlinks; k++) {
                        const struct v2c_link *l = &s->links[k];
                        _cleanup_free_ char *from = cell(s->name, 30), *to = cell(l->service, 30);
                        _cleanup_free_ char *at = cell(l->socket ? l->socket : l->address, 60);
                        _cleanup_free_ char *found = cell(l->found, 0), *via = cell(l->via, 40);
                        if (l->socket)
                                v2c_buf_appendf(b, "  %-20s -> %-20s %s  (%s, %s)\n", from ? from : "?", to ? to : "?",
                                                at ? at : "?", via ? via : "?", found ? found : "?");
                        else
                                v2c_buf_appendf(b, "  %-20s -> %-20s %s:%u  (%s, %s)\n", from ? from : "?",
                                                to ? to : "?", at ? at : "?", l->port, via ? via : "?",
                                                found ? found : "?");
                }
        }
}

#define W_NAME 40
#define W_KIND 8
#define W_PORTS 24
#define W_USER 24

char *v2c_report_to_text(const struct v2c_report *r)
{
        struct v2c_buf b;
        v2c_buf_init(&b, 64u << 20);
        size_t wname = 4, wkind = 4, wclass = 5, wports = 5, wuser = 4;
        size_t n = r->nservices;
        char **name = calloc(n + 1, sizeof *name), **kind = calloc(n + 1, sizeof *kind);
        char **ports = calloc(n + 1, sizeof *ports), **user = calloc(n + 1, sizeof *user);
        char **cmd = calloc(n + 1, sizeof *cmd);
        if (name == NULL || kind == NULL || ports == NULL || user == NULL || cmd == NULL)
                goto out;
        for (size_t i = 0; i < n; i++) {
                const struct v2c_service *s = &r->services[i];
                _cleanup_free_ char *p = ports_text(s);
                name[i] = cell(s->name, W_NAME);
                kind[i] = cell(s->kind, W_KIND);
                ports[i] = cell(p, W_PORTS);
                user[i] = cell(s->dynamic_user ? "(dynamic)" : s->user ? s->user : "root", W_USER);
                cmd[i] = command_text(s);
                if (!name[i] || !kind[i] || !ports[i] || !user[i] || !cmd[i])
                        goto out;
                if (strlen(name[i]) > wname) wname = strlen(name[i]);
                if (strlen(kind[i]) > wkind) wkind = strlen(kind[i]);
                if (strlen(ports[i]) > wports) wports = strlen(ports[i]);
                if (strlen(user[i]) > wuser) wuser = strlen(user[i]);
        }
        {
                _cleanup_free_ char *pretty = cell(r->os.pretty_name ? r->os.pretty_name : "unknown", 80);
                _cleanup_free_ char *distro = cell(r->os.distro ? r->os.distro : "?", 40);
                _cleanup_free_ char *version = cell(r->os.version ? r->os.version : "?", 40);
                _cleanup_free_ char *arch = cell(r->os.arch ? r->os.arch : "?", 20);
                _cleanup_free_ char *host = cell(r->os.hostname ? r->os.hostname : "-", 80);
                v2c_buf_appendf(&b, "OS:       %s (%s %s, %s)\n", pretty, distro, version, arch);
                v2c_buf_appendf(&b, "Hostname: %s\n", host);
        }
        for (size_t i = 0; i < r->n_source_files; i++) {
                _cleanup_free_ char *path = cell(r->source_files[i].path, 0);
                _cleanup_free_ char *fmt = cell(r->source_files[i].format, 20);
                _cleanup_free_ char *role = cell(r->source_files[i].role, 20);
                v2c_buf_appendf(&b, "%s %s (%s, %s)\n", i ? "         " : "Files:   ", path, fmt, role);
        }
        v2c_buf_appendf(&b, "Packages: %zu (%s)    Init: %s\n\n", r->os.packages,
                        r->os.package_format ? r->os.package_format : "none", r->os.init ? r->os.init : "unknown");
        v2c_buf_appendf(&b, "%-*s  %-*s  %-*s  %-*s  %-*s  %s\n", (int) wname, "NAME", (int) wkind, "KIND",
                        (int) wclass + 4, "CLASS", (int) wports, "PORTS", (int) wuser, "USER", "COMMAND");
        size_t counts[4] = { 0 };
        for (size_t i = 0; i < n; i++) {
                const struct v2c_service *s = &r->services[i];
                counts[s->klass]++;
                v2c_buf_appendf(&b, "%-*s  %-*s  %-*s  %-*s  %-*s  %s\n", (int) wname, name[i], (int) wkind, kind[i],
                                (int) wclass + 4, v2c_service_class_name(s->klass), (int) wports, ports[i], (int) wuser,
                                user[i], cmd[i]);
        }
        v2c_buf_appendf(&b, "\n%zu services: %zu stateless, %zu stateful, %zu system", r->nservices,
                        counts[V2C_CLASS_STATELESS], counts[V2C_CLASS_STATEFUL], counts[V2C_CLASS_SYSTEM]);
        /* Said only when there are some, so that the line reads as before otherwise. */
        if (counts[V2C_CLASS_REVIEW])
                v2c_buf_appendf(&b, ", %zu review", counts[V2C_CLASS_REVIEW]);
        v2c_buf_appendf(&b, "\n");
        size_t ncaps = 0;
        for (size_t i = 0; i < r->nservices; i++)
                ncaps += r->services[i].capabilities && r->services[i].capabilities[0];
        if (ncaps)
                v2c_buf_appendf(&b, "\nFile capabilities of executables (the container must allow them):\n");
        for (size_t i = 0; ncaps && i < r->nservices; i++) {
                const struct v2c_service *s = &r->services[i];
                if (s->capabilities == NULL || s->capabilities[0] == NULL)
                        continue;
                _cleanup_free_ char *sn = cell(s->name, 20), *sp = cell(s->exec_path, 0);
                v2c_buf_appendf(&b, "  %-20s %s ", sn ? sn : "?", sp ? sp : "?");
                for (size_t k = 0; s->capabilities[k]; k++) {
                        _cleanup_free_ char *cap = cell(s->capabilities[k], 0);
                        v2c_buf_appendf(&b, "%s%s", k ? "," : " ", cap ? cap : "?");
                }
                v2c_buf_appendf(&b, "\n");
        }
        links_text(&b, r);
        if (r->nsecrets) {
                v2c_buf_appendf(&b, "\n%zu secrets (kept out of images):\n", r->nsecrets);
                for (size_t i = 0; i < r->nsecrets; i++) {
                        _cleanup_free_ char *k = cell(r->secrets[i].kind, 20), *p = cell(r->secrets[i].path, 0);
                        v2c_buf_appendf(&b, "  %-20s %s\n", k ? k : "?", p ? p : "?");
                }
        }
        for (size_t i = 0; r->warnings && r->warnings[i]; i++) {
                _cleanup_free_ char *w = cell(r->warnings[i], 0);
                v2c_buf_appendf(&b, "%swarning: %s\n", i ? "" : "\n", w ? w : "?");
        }
out:
        for (size_t i = 0; i < n; i++) {
                if (name) free(name[i]);
                if (kind) free(kind[i]);
                if (ports) free(ports[i]);
                if (user) free(user[i]);
                if (cmd) free(cmd[i]);
        }
        free(name);
        free(kind);
        free(ports);
        free(user);
        free(cmd);
        return v2c_buf_steal(&b);
}
