/* The libvirt VM backend of `v2c rollout`, through libvirt's C API: ask
 * whether a domain runs, start it again (rollback), power it off through
 * ACPI and stop it hard when the guest does not obey.  The same shape as
 * the QMP backend (qmp.h), for a VM that libvirt manages.
 *
 * libvirt is dlopen'ed ("libvirt.so.0") on the first call, so the v2c
 * binary does not link it and commands that never touch a libvirt VM pay
 * nothing for it.  Without the library every call fails with -ENOENT and
 * a one-line message naming the package (libvirt0).
 *
 * Each call opens its own connection to URI (e.g. "qemu:///system") and
 * closes it before returning: rollouts talk to the VM rarely, and a
 * long-lived connection would need libvirt's event loop for keepalives.
 * libvirt's errors become ours (kind V2C_ERR_FAILURE, libvirt's message);
 * libvirt's default printing of every error to stderr is silenced.
 *
 * Internal to rollout/; errors per common/error.h. */
#ifndef V2C_ROLLOUT_LIBVIRT_H
#define V2C_ROLLOUT_LIBVIRT_H

#include <stdbool.h>

#include "error.h"

/* The state of DOMAIN on URI: *state (new string, in virsh's words:
 * "running", "idle", "paused", "in shutdown", "shut off", "crashed",
 * "pmsuspended", "no state")
 * and *running (libvirt's VIR_DOMAIN_RUNNING).  Outputs are set only on
 * success; either pointer may be NULL.  A missing domain gives -ENOENT. */
int v2c_libvirt_state(const char *uri, const char *domain, char **state, bool *running, struct v2c_error **err);

/* Starts the defined, inactive DOMAIN on URI (virDomainCreate) and returns
 * once libvirt has launched it: the guest may still be booting.  A running
 * domain is left alone (0).  A transient domain cannot be started again once
 * stopped: libvirt forgot it, and this gives -ENOENT. */
int v2c_libvirt_start(const char *uri, const char *domain, struct v2c_error **err);

/* Stops DOMAIN on URI: virDomainShutdown (the ACPI power button), then
 * polls its state every 100 ms for up to GRACE_MS (>= 0); a guest still up
 * then is destroyed (virDomainDestroy: qemu is killed).  Returns 0 when the
 * guest powered off by itself (or was not running), 1 when it had to be
 * stopped hard, or a negative errno (ERR set). */
int v2c_libvirt_shutdown(const char *uri, const char *domain, int grace_ms, struct v2c_error **err);

#endif
