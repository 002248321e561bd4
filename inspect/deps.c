/* Which services of the guest reach which others: the endpoints their
 * configuration files name (links.c) that are the guest itself and where
 * another of its services listens.  Runs once every service is analysed,
 * since a target is known only by the ports the other services got. */
#include "inspect-internal.h"
#include "cleanup.h"
#include "links-internal.h"
#include "strv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LINKS_PER_SERVICE 256

/* The guest's own names and addresses: its hostname, /etc/hosts lines of
 * loopback or static addresses, static addresses of ifupdown and networkd. */
static char **local_names(struct inspect_ctx *c)
{
        char **local = NULL;
        _cleanup_strv_ char **files = NULL;
        v2c_strv_push(&files, "/etc/network/interfaces");
        v2c_guest_glob(c->g, "/etc/network/interfaces.d/*", &files);
        v2c_guest_glob(c->g, "/etc/systemd/network/*.network", &files);
        for (size_t i = 0; files && files[i]; i++) {
                _cleanup_free_ char *data = NULL;
                size_t len;
                if (inspect_read(c, files[i], INSPECT_MAX_FILE, &data, &len) == 0 && data)
                        v2c_links_local_addrs(data, len, &local);
        }
        _cleanup_free_ char *hosts = NULL;
        size_t len = 0;
        if (inspect_read(c, "/etc/hosts", INSPECT_MAX_FILE, &hosts, &len) < 0)
                hosts = NULL;
        v2c_links_local_hosts(hosts ? hosts : "", hosts ? len : 0, c->rep->os.hostname, &local);
        return local;
}

static bool listens_on(const struct v2c_service *t, unsigned port)
{
        for (size_t i = 0; i < t->nports; i++)
                if (t->ports[i].port == port && strcmp(t->ports[i].proto, "tcp") == 0)
                        return true;
        return false;
}

static int add_link(struct v2c_service *s, const struct v2c_service *t, const struct v2c_link_ref *ref,
                    const char *file)
{
        _cleanup_free_ char *found = NULL;
        if (asprintf(&found, "%s:%zu", file, ref->line) < 0)
                return -ENOMEM;
        for (size_t i = 0; i < s->nlinks; i++) {
                const struct v2c_link *l = &s->links[i];
                if (strcmp(l->service, t->name) == 0 && l->port == ref->port && strcmp(l->found, found) == 0)
                        return 0;
        }
        if (s->nlinks >= MAX_LINKS_PER_SERVICE)
                return 0;
        struct v2c_link *v = realloc(s->links, (s->nlinks + 1) * sizeof *v);
        if (v == NULL)
                return -ENOMEM;
        s->links = v;
        struct v2c_link l = {
                .service = strdup(t->name), .port = ref->port,
                .socket = ref->unix_path ? strdup(ref->unix_path) : NULL,
                .address = ref->host ? strdup(ref->host) : NULL, .found = TAKE_PTR(found),
                .via = strdup(ref->via),
        };
        s->links[s->nlinks++] = l;
        return l.service && l.via && (ref->unix_path == NULL || l.socket) && (ref->host == NULL || l.address)
                       ? 0
                       : -ENOMEM;
}

static int resolve(struct inspect_ctx *c, struct v2c_service *s, const struct v2c_link_refs *refs,
                   const char *file, char *const *local)
{
        struct v2c_report *rep = c->rep;
        for (size_t i = 0; i < refs->n; i++) {
                const struct v2c_link_ref *ref = &refs->items[i];
                if (ref->host && !v2c_links_is_local(ref->host, local))
                        continue;
                for (size_t k = 0; k < rep->nservices; k++) {
                        const struct v2c_service *t = &rep->services[k];
                        if (t == s || strcmp(t->kind, "cron") == 0 || strcmp(t->kind, "timer") == 0)
                                continue;
                        bool match = ref->host ? listens_on(t, ref->port) : v2c_links_socket_is(ref->unix_path, t->name);
                        if (match && add_link(s, t, ref, file) < 0)
                                return -ENOMEM;
                }
        }
        return 0;
}

static int scan_file(struct inspect_ctx *c, struct v2c_service *s, const char *file, enum v2c_link_syntax syntax,
                     char *const *local)
{
        _cleanup_free_ char *data = NULL;
        size_t len;
        if (inspect_read(c, file, INSPECT_MAX_FILE, &data, &len) < 0 || data == NULL)
                return 0;
        struct v2c_link_refs refs = { 0 };
        struct v2c_error *e = NULL;
        int r = v2c_links_scan(syntax, data, len, &refs, &e);
        if (r < 0 && r != -ENOMEM)
                inspect_warn(c, "%s: %s (the connections named before it are kept)", file, e ? e->msg : "unreadable");
        v2c_error_free(e);
        if (r != -ENOMEM)
                r = resolve(c, s, &refs, file, local);
        v2c_link_refs_release(&refs);
        return r == -ENOMEM ? r : 0;
}

/* Debian's nginx and apache2 read sites-available/X only through a link
 * in sites-enabled/ (which the include reader recorded): a site that is
 * not enabled connects to nothing. */
static bool not_enabled(const char *path)
{
        static const char *const dirs[] = { "/sites-available/", "/conf-available/", "/mods-available/",
                                            "/modules-available/", NULL };
        if (v2c_links_syntax_of(path) == V2C_LINK_GENERIC)
                return false;
        for (size_t i = 0; dirs[i]; i++)
                if (strstr(path, dirs[i]))
                        return true;
        return false;
}

int inspect_links(struct inspect_ctx *c, struct v2c_error **err)
{
        _cleanup_strv_ char **local = local_names(c);
        for (size_t i = 0; i < c->rep->nservices; i++) {
                struct v2c_service *s = &c->rep->services[i];
                int r = 0;
                /* Environment= lines of the unit name endpoints as env files do. */
                if (s->unit_path && strcmp(s->kind, "systemd") == 0)
                        r = scan_file(c, s, s->unit_path, V2C_LINK_GENERIC, local);
                for (size_t k = 0; r == 0 && s->config_files && s->config_files[k]; k++)
                        if (!not_enabled(s->config_files[k]))
                                r = scan_file(c, s, s->config_files[k], v2c_links_syntax_of(s->config_files[k]), local);
                if (r < 0)
                        return v2c_error_set(err, -r, "connections of %s: out of memory", s->name);
        }
        return 0;
}
