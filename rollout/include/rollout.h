/* v2c rollout: a staged cutover of live traffic from VMs to containers.
 *
 * A rollout runs a playbook (rollout/playbook.h, docs/playbook.md) wave by
 * wave: for each service it brings the container up beside the VM (pulled
 * by digest, ports on 127.0.0.1, readiness checked), moves HAProxy's
 * weights step by step (canary) or all at once (blue-green), measures
 * (analysis), asks (gates), and when anything fails sends every request
 * back to the VM and stops the container.  Every decision is written to
 * an fsync'd journal in the state directory before it is acted on, so
 * `resume` after a crash (even SIGKILL) continues at the step it was in;
 * weights are set absolutely, so doing a step again is harmless.  The two
 * weights of a service are never both zero: the side gaining traffic is
 * raised before the other is lowered.
 *
 * Other processes talk to a running rollout through request files in the
 * state directory (approve, abort), which it polls. */
#ifndef V2C_ROLLOUT_H
#define V2C_ROLLOUT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "error.h"

struct v2c_rollout_options {
        const char *state_dir;
        int poll_ms;            /* how often waits look at requests; 0: 200 */
};

/* Starts a rollout of PLAYBOOK in a new state directory and runs it to the
 * end (or until it fails and rolls back: -ECANCELED, kind FAILURE, with
 * the reason).  Refused (REFUSED) when the state directory already holds a
 * rollout: use resume. */
int v2c_rollout_run(const char *playbook, const struct v2c_rollout_options *opt, struct v2c_error **err);
/* Continues the rollout of the state directory where its journal ends. */
int v2c_rollout_resume(const struct v2c_rollout_options *opt, struct v2c_error **err);
/* Where each service stands: a new JSON document (see docs/playbook.md). */
int v2c_rollout_status(const char *state_dir, json_t **out, struct v2c_error **err);
/* Where a rollout stands by its status document: still going (or not
 * started), finished, or stopped after a rollback (the runner stops at
 * one; nothing moves afterwards). */
enum v2c_rollout_end { V2C_ROLLOUT_GOING, V2C_ROLLOUT_FINISHED, V2C_ROLLOUT_STOPPED };
enum v2c_rollout_end v2c_rollout_status_end(const json_t *status);
/* PURE: the live view of STATUS (a document of v2c_rollout_status) at
 * NOW_MS (wall clock, for the time a pause has left): lines separated by
 * '\n', no final newline, at most MAX_LINES of them (0: no limit; the
 * view folds to one line a service, then counts the services left out).
 * New string, or NULL without memory.  rollout/view.c says what it shows. */
char *v2c_rollout_view(const json_t *status, int64_t now_ms, unsigned max_lines);
/* PURE: checks journal bytes as every command reads them before acting
 * (docs/playbook.md, "The journal"): 0, or -EBADMSG, kind INPUT, "journal
 * corrupt at record N: WHY". */
int v2c_rollout_check_journal(const char *data, size_t len, struct v2c_error **err);
/* Leaves a request for the running rollout: "approve" (SERVICE: the one
 * waiting) or "abort". */
int v2c_rollout_request(const char *state_dir, const char *what, const char *service, struct v2c_error **err);
/* Abort when no rollout is running: every service not finished goes back
 * to the VM now.  With one running, the request file does it. */
int v2c_rollout_abort(const struct v2c_rollout_options *opt, struct v2c_error **err);
/* After promotion, within the rollback window: traffic back to the VM
 * (which must still run), the container stopped.  SERVICE NULL: all. */
int v2c_rollout_rollback(const struct v2c_rollout_options *opt, const char *service, struct v2c_error **err);
/* Closes a finished rollout: the container stays, the VM is stopped (or
 * kept, as the playbook says), nothing can be rolled back after this. */
int v2c_rollout_finalize(const struct v2c_rollout_options *opt, struct v2c_error **err);

#endif
