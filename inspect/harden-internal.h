/* The hardened spec of a service (struct v2c_hardening in report.h): how
 * tightly it may run in a container, from what the VM's unit and files
 * say.  Pure: it reads the service as inspection left it (its user, ports,
 * file capabilities, directories and the unit's sandboxing settings in
 * unit_sandbox) and fills s->hardening; the guest is not touched.
 *
 * The decisions, each recorded with what it came from:
 * - user: the VM's (root only when the VM ran it as root); DynamicUser=
 *   gets a fixed unprivileged uid from systemd's dynamic range, the same
 *   for the same service name on every run;
 * - capabilities: all dropped, then added back: for a non-root service the
 *   executable's file capabilities, AmbientCapabilities= and
 *   CAP_NET_BIND_SERVICE for a port below 1024; for a root one its
 *   CapabilityBoundingSet=, or without one the container runtime's default
 *   set (the VM gave it every capability: nothing narrower is known);
 *   never one outside CapabilityBoundingSet=;
 * - privilege escalation: off, but for a non-root service whose executable
 *   has file capabilities (no_new_privs would keep exec from raising them);
 * - seccomp: the runtime's default profile (SystemCallFilter= is noted, not
 *   translated);
 * - a read-only root with every path it writes writable: its runtime,
 *   state, cache and logs directories, ReadWritePaths=, the directory of
 *   its PIDFile= and log files, its data paths, and /tmp;
 * - limits: MemoryMax= (MemoryLimit=), CPUQuota=, LimitNOFILE=. */
#ifndef V2C_INSPECT_HARDEN_INTERNAL_H
#define V2C_INSPECT_HARDEN_INTERNAL_H

#include "report.h"

/* systemd's range for DynamicUser= uids (61184-65519). */
#define V2C_DYNAMIC_UID_MIN 61184u
#define V2C_DYNAMIC_UID_MAX 65519u

/* Fills s->hardening (released first).  0 or -ENOMEM. */
int inspect_harden(struct v2c_service *s);

/* A systemd size ("512M", "1G", "1073741824", base 1024) in bytes: 0 for
 * "infinity", -EINVAL for a percentage or anything else. */
int v2c_harden_parse_bytes(const char *s, unsigned long long *out);

#endif
