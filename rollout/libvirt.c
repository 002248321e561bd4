/* The libvirt VM backend: see libvirt.h.
 *
 * libvirt is loaded on first use by common/dynlib.h (as common/guest-disk.c
 * loads libguestfs) and called through `lv`, a table typed from
 * <libvirt/libvirt.h>'s own prototypes, so a prototype that changes breaks the build, not a
 * rollout.  <libvirt/libvirt.h> is needed at build time only. */
#include "libvirt.h"

#include <errno.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cleanup.h"
#include "dynlib.h"
#include "log.h"
#include "clock.h"

#define POLL_MS 100

#define LIBVIRT_FUNCTIONS(X)                                                   \
        X(virConnectClose) X(virConnectOpen) X(virDomainCreate)                \
        X(virDomainDestroy) X(virDomainFree) X(virDomainGetState)              \
        X(virDomainLookupByName) X(virDomainShutdown) X(virGetLastError)       \
        X(virResetLastError) X(virSetErrorFunc)

static struct {
#define LV_FIELD(name) __typeof__(name) *name;
        LIBVIRT_FUNCTIONS(LV_FIELD)
#undef LV_FIELD
} lv;

/* libvirt's default handler prints every error to stderr, also those this
 * file expects and handles (a transient domain vanishing as it powers off). */
static void ignore_error(void *data, virErrorPtr error) {}

/* Fills `lv` once (v2c is single-threaded); the library stays loaded. */
static int load_libvirt(struct v2c_error **err)
{
        static bool loaded;
        if (loaded)
                return 0;
        static const struct v2c_dynlib lib = {
                .soname = "libvirt.so.0",
                .name = "libvirt",
                .package = "libvirt0",
                .purpose = "cannot manage libvirt VMs",
        };
#define LV_NAME(name) #name,
        static const char *const names[] = { LIBVIRT_FUNCTIONS(LV_NAME) };
#undef LV_NAME
        void *addrs[V2C_ARRAY_SIZE(names)];
        int r = v2c_dynlib_open(&lib, names, addrs, V2C_ARRAY_SIZE(names), err);
        if (r < 0)
                return r;
        size_t i = 0;
#define LV_SET(name) lv.name = (__typeof__(lv.name)) addrs[i++];
        LIBVIRT_FUNCTIONS(LV_SET)
#undef LV_SET
        lv.virSetErrorFunc(NULL, ignore_error);
        loaded = true;
        return 0;
}

static void connect_closep(virConnectPtr *c)
{
        if (*c)
                lv.virConnectClose(*c);
}
static void domain_freep(virDomainPtr *d)
{
        if (*d)
                lv.virDomainFree(*d);
}
#define _cleanup_connect_ _cleanup_(connect_closep)
#define _cleanup_domain_ _cleanup_(domain_freep)

static bool last_error_is(int code)
{
        virErrorPtr e = lv.virGetLastError();
        return e != NULL && e->code == code;
}

/* libvirt's error adapter: its last error (kept per thread) becomes ours,
 * after the context FMT. */
static int lverr(struct v2c_error **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int lverr(struct v2c_error **err, const char *fmt, ...)
{
        virErrorPtr e = lv.virGetLastError();
        int code = EIO;
        if (e && (e->code == VIR_ERR_NO_DOMAIN || e->code == VIR_ERR_NO_SUPPORT))
                code = e->code == VIR_ERR_NO_DOMAIN ? ENOENT : EOPNOTSUPP;
        _cleanup_free_ char *ctx = NULL;
        va_list ap;
        va_start(ap, fmt);
        if (vasprintf(&ctx, fmt, ap) < 0)
                ctx = NULL;
        va_end(ap);
        int r = v2c_error_set_kind(err, V2C_ERR_FAILURE, code, "%s: %s", ctx ? ctx : "libvirt",
                                   e && e->message ? e->message : "unknown libvirt error");
        lv.virResetLastError();
        return r;
}

static int open_domain(const char *uri, const char *domain, virConnectPtr *conn, virDomainPtr *dom,
                       struct v2c_error **err)
{
        int rc = load_libvirt(err);
        if (rc < 0)
                return rc;
        _cleanup_connect_ virConnectPtr c = lv.virConnectOpen(uri);
        if (c == NULL)
                return lverr(err, "connecting to libvirt `%s`", uri);
        virDomainPtr d = lv.virDomainLookupByName(c, domain);
        if (d == NULL)
                return lverr(err, "libvirt domain `%s` on `%s`", domain, uri);
        *conn = TAKE_PTR(c);
        *dom = d;
        return 0;
}

static const char *state_name(int state)
{
        /* virsh's words, so messages match what an operator sees there. */
        switch (state) {
        case VIR_DOMAIN_RUNNING: return "running";
        case VIR_DOMAIN_BLOCKED: return "idle";
        case VIR_DOMAIN_PAUSED: return "paused";
        case VIR_DOMAIN_SHUTDOWN: return "in shutdown";
        case VIR_DOMAIN_SHUTOFF: return "shut off";
        case VIR_DOMAIN_CRASHED: return "crashed";
        case VIR_DOMAIN_PMSUSPENDED: return "pmsuspended";
        default: return "no state";
        }
}

/* *gone: the domain no longer exists (a transient one that stopped). */
static int get_state(virDomainPtr d, const char *uri, const char *domain, int *state, bool *gone,
                     struct v2c_error **err)
{
        int st = VIR_DOMAIN_NOSTATE, reason = 0;
        *gone = false;
        if (lv.virDomainGetState(d, &st, &reason, 0) < 0) {
                if (last_error_is(VIR_ERR_NO_DOMAIN)) {
                        lv.virResetLastError();
                        *gone = true;
                        *state = VIR_DOMAIN_SHUTOFF;
                        return 0;
                }
                return lverr(err, "state of libvirt domain `%s` on `%s`", domain, uri);
        }
        *state = st;
        return 0;
}

int v2c_libvirt_state(const char *uri, const char *domain, char **state, bool *running, struct v2c_error **err)
{
        _cleanup_connect_ virConnectPtr c = NULL;
        _cleanup_domain_ virDomainPtr d = NULL;
        int rc = open_domain(uri, domain, &c, &d, err);
        if (rc < 0)
                return rc;
        int st;
        bool gone;
        rc = get_state(d, uri, domain, &st, &gone, err);
        if (rc < 0)
                return rc;
        if (gone)
                return v2c_error_set_kind(err, V2C_ERR_FAILURE, ENOENT, "libvirt domain `%s` on `%s`: it vanished",
                                          domain, uri);
        if (state) {
                char *s = strdup(state_name(st));
                if (s == NULL)
                        return v2c_error_set(err, ENOMEM, "out of memory");
                *state = s;
        }
        if (running)
                *running = st == VIR_DOMAIN_RUNNING;
        return 0;
}

int v2c_libvirt_start(const char *uri, const char *domain, struct v2c_error **err)
{
        _cleanup_connect_ virConnectPtr c = NULL;
        _cleanup_domain_ virDomainPtr d = NULL;
        int rc = open_domain(uri, domain, &c, &d, err);
        if (rc < 0)
                return rc;
        int st;
        bool gone;
        rc = get_state(d, uri, domain, &st, &gone, err);
        if (rc < 0)
                return rc;
        if (!gone && st != VIR_DOMAIN_SHUTOFF && st != VIR_DOMAIN_CRASHED)
                return 0;
        if (lv.virDomainCreate(d) < 0)
                return lverr(err, "starting libvirt domain `%s` on `%s`", domain, uri);
        return 0;
}

static bool is_off(int state)
{
        return state == VIR_DOMAIN_SHUTOFF || state == VIR_DOMAIN_CRASHED;
}

int v2c_libvirt_shutdown(const char *uri, const char *domain, int grace_ms, struct v2c_error **err)
{
        _cleanup_connect_ virConnectPtr c = NULL;
        _cleanup_domain_ virDomainPtr d = NULL;
        int rc = open_domain(uri, domain, &c, &d, err);
        if (rc < 0)
                return rc;
        int st;
        bool gone;
        rc = get_state(d, uri, domain, &st, &gone, err);
        if (rc < 0)
                return rc;
        if (gone || is_off(st))
                return 0;
        /* A guest without ACPI support makes virDomainShutdown itself fail
         * on some drivers: that is what the hard stop below is for. */
        if (lv.virDomainShutdown(d) < 0) {
                v2c_debug("libvirt domain `%s`: ACPI shutdown refused, stopping it hard", domain);
                lv.virResetLastError();
        } else {
                int64_t deadline = v2c_monotonic_ms() + (grace_ms > 0 ? grace_ms : 0);
                for (;;) {
                        rc = get_state(d, uri, domain, &st, &gone, err);
                        if (rc < 0)
                                return rc;
                        if (gone || is_off(st))
                                return 0;
                        int64_t left = deadline - v2c_monotonic_ms();
                        if (left <= 0)
                                break;
                        struct timespec ts = { 0, (long) (left < POLL_MS ? left : POLL_MS) * 1000000L };
                        nanosleep(&ts, NULL);
                }
        }
        if (lv.virDomainDestroy(d) < 0) {
                /* It may have powered off between the last poll and now. */
                bool raced = last_error_is(VIR_ERR_NO_DOMAIN) || last_error_is(VIR_ERR_OPERATION_INVALID);
                struct v2c_error *destroy_err = NULL;
                rc = lverr(&destroy_err, "stopping libvirt domain `%s` on `%s` hard", domain, uri);
                if (raced && get_state(d, uri, domain, &st, &gone, NULL) >= 0 && (gone || is_off(st))) {
                        v2c_error_free(destroy_err);
                        return 0;
                }
                if (err && *err == NULL)
                        *err = destroy_err;
                else
                        v2c_error_free(destroy_err);
                return rc;
        }
        return 1;
}
