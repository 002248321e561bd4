/* A client of qemu's QMP (QEMU Machine Protocol) over a unix socket, for
 * the VM side of `v2c rollout`: ask whether the VM runs, power it off
 * through ACPI, stop it hard when the guest does not obey.
 *
 * QMP is line-delimited JSON.  The server greets first ({"QMP": ...});
 * the client must send qmp_capabilities before any other command; then
 * each command gets exactly one {"return": ...} or {"error": ...}, while
 * asynchronous {"event": ...} messages may arrive at any time, even before
 * the reply to the command that caused them.  This client sends one command
 * at a time, tags each with an "id", and skips events (and replies to
 * other ids) while it waits.  Every message is bounded (1 MiB) and every
 * wait has a deadline.
 *
 * Trap: qemu serves one QMP client per socket at a time.  A second client's
 * connect() succeeds but it gets no greeting until the first disconnects,
 * so v2c_qmp_connect reports that case as a timeout waiting for the
 * greeting.  Keep connections short.
 *
 * Internal to rollout/; errors per common/error.h. */
#ifndef V2C_ROLLOUT_QMP_H
#define V2C_ROLLOUT_QMP_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "cleanup.h"
#include "error.h"

/* Largest message accepted from qemu, in bytes, not counting the line end. */
#define V2C_QMP_MAX_MESSAGE (1u << 20)

/* ---- parsing (pure, fuzzed: tests/fuzz/fuzz-qmp.c) ---- */

enum v2c_qmp_msg_kind {
        V2C_QMP_MSG_GREETING = 1, /* {"QMP": {"version": ..., "capabilities": [...]}} */
        V2C_QMP_MSG_RETURN,       /* {"return": VALUE, "id": ...} */
        V2C_QMP_MSG_ERROR,        /* {"error": {"class": S, "desc": S}, "id": ...} */
        V2C_QMP_MSG_EVENT,        /* {"event": S, "data": {...}, "timestamp": {...}} */
};

struct v2c_qmp_msg {
        enum v2c_qmp_msg_kind kind;
        json_t *root;              /* new reference: the whole message */
        /* Everything below is borrowed from root and lives as long as it. */
        json_t *value;             /* RETURN: the "return" value (any JSON type);
                                    * GREETING: the "QMP" object;
                                    * EVENT: "data" (an object) or NULL */
        json_t *id;                /* RETURN, ERROR: the "id" echoed, or NULL */
        const char *error_class;   /* ERROR: e.g. "GenericError", "CommandNotFound" */
        const char *error_desc;    /* ERROR: qemu's human-readable description */
        const char *event;         /* EVENT: its name, e.g. "SHUTDOWN" */
        int version[3];            /* GREETING: qemu's major, minor, micro
                                    * (-1 each when the greeting lacks them) */
};

/* Classifies one QMP message: LINE, LEN bytes (need not be NUL-terminated;
 * surrounding whitespace such as the "\r\n" qemu sends is allowed) must hold
 * exactly one JSON object with exactly one of the keys "QMP", "return",
 * "error", "event", each with the types qemu documents.  On success fills
 * *out (release with v2c_qmp_msg_release); on failure (-EINVAL, or -E2BIG
 * over V2C_QMP_MAX_MESSAGE) sets ERR and leaves *out alone. */
int v2c_qmp_parse_message(const char *line, size_t len, struct v2c_qmp_msg *out, struct v2c_error **err);
/* Drops the reference to the message and clears *msg; accepts a cleared one. */
void v2c_qmp_msg_release(struct v2c_qmp_msg *msg);

/* ---- the client ---- */

struct v2c_qmp;

/* Connects to qemu's QMP socket SOCKET_PATH, reads the greeting and
 * negotiates capabilities, all within TIMEOUT_MS (> 0).  TIMEOUT_MS also
 * bounds each later command's wait for its reply.  *out is a new handle
 * (free with v2c_qmp_close), set only on success.  A missing socket gives
 * -ENOENT, nobody listening -ECONNREFUSED, no greeting -ETIMEDOUT. */
int v2c_qmp_connect(const char *socket_path, int timeout_ms, struct v2c_qmp **out, struct v2c_error **err);
/* Closes the connection and frees Q; accepts NULL; returns NULL. */
struct v2c_qmp *v2c_qmp_close(struct v2c_qmp *q);
V2C_DEFINE_CLEANUP(struct v2c_qmp, v2c_qmp_close)
#define _cleanup_qmp_ _cleanup_(v2c_qmp_closep)

/* Runs one command.  ARGUMENTS (an object, or NULL for none) is borrowed:
 * the caller keeps its reference.  On success *ret (when RET is not NULL)
 * is a new reference to the "return" value.  A QMP error reply gives -EIO,
 * or -EOPNOTSUPP for class CommandNotFound, with qemu's description as the
 * message.  A connection closed by qemu gives -ECONNRESET; no reply within
 * the handle's timeout -ETIMEDOUT, after which the handle refuses further
 * commands (a late reply would be taken for the next command's). */
int v2c_qmp_execute(struct v2c_qmp *q, const char *command, json_t *arguments, json_t **ret,
                    struct v2c_error **err);

/* query-status: *status (new string, e.g. "running", "paused", "shutdown")
 * and *running (whether the guest's CPUs run).  Outputs are set only on
 * success; either pointer may be NULL. */
int v2c_qmp_status(struct v2c_qmp *q, char **status, bool *running, struct v2c_error **err);
/* system_powerdown: presses the ACPI power button and returns at once; the
 * guest may take seconds to power off, or ignore it. */
int v2c_qmp_powerdown(struct v2c_qmp *q, struct v2c_error **err);
/* quit: qemu exits at once (a hard stop for the guest, but qemu itself
 * shuts down cleanly).  qemu closing the connection before its reply
 * counts as success.  Q stays to be closed. */
int v2c_qmp_quit(struct v2c_qmp *q, struct v2c_error **err);

/* Stops the VM behind SOCKET_PATH: system_powerdown, then waits up to
 * GRACE_MS (>= 0) for the guest to power off (a SHUTDOWN event, or qemu
 * closing the socket); if it does not, quit.  Either way waits (bounded,
 * 5 s) until qemu has closed the socket and, when the peer's pid is known
 * (SO_PEERCRED), until that process is gone.  Returns 0 when the guest
 * powered off by itself, 1 when it had to be stopped hard, or a negative
 * errno (ERR set). */
int v2c_qmp_shutdown(const char *socket_path, int grace_ms, struct v2c_error **err);

#endif
