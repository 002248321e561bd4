/* The rollout journal: an append-only log of what a rollout did, one JSON
 * object per line, each line written with one write(2) and made durable
 * (fdatasync) before the action it records is considered done.  Killing
 * v2c at any moment leaves a journal whose complete lines are the truth;
 * `v2c rollout resume` replays them and goes on from the last one.
 *
 * The file is STATE_DIR/journal.jsonl; STATE_DIR/lock is held (flock) by
 * the one process that writes, so two runs of one rollout cannot
 * interleave.  A torn last line (a crash in the middle of a write) is cut
 * off when the journal is opened for writing, and skipped when read.
 *
 * Internal to rollout/. */
#ifndef V2C_ROLLOUT_JOURNAL_H
#define V2C_ROLLOUT_JOURNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "error.h"

#define V2C_JOURNAL_MAX_LINE (8u << 20)        /* bytes in one record (the first holds the whole canonical playbook) */
#define V2C_JOURNAL_MAX_RECORDS 1000000u

struct v2c_journal;

/* Opens (creating STATE_DIR and the journal as needed) for appending:
 * takes the lock (-EBUSY, kind REFUSED, when another process holds it),
 * reads every complete record, cuts a torn tail.  *out is new. */
int v2c_journal_open(const char *state_dir, struct v2c_journal **out, struct v2c_error **err);
/* Opens read-only, without the lock (for `status`): a snapshot of the
 * complete records. */
int v2c_journal_open_ro(const char *state_dir, struct v2c_journal **out, struct v2c_error **err);
/* Closes, releasing the lock; accepts NULL; returns NULL. */
struct v2c_journal *v2c_journal_close(struct v2c_journal *j);

/* Appends RECORD (a JSON object; borrowed), after adding "seq" (1, 2, ...)
 * and "time" (RFC 3339 UTC, from the wall clock), as one line, then
 * fdatasync.  Refused on a read-only journal. */
int v2c_journal_append(struct v2c_journal *j, json_t *record, struct v2c_error **err);

size_t v2c_journal_count(const struct v2c_journal *j);
/* Record I (borrowed), in order. */
const json_t *v2c_journal_get(const struct v2c_journal *j, size_t i);
/* The last record whose "event" is EVENT and, when SERVICE is not NULL,
 * whose "service" is SERVICE; NULL when none (borrowed). */
const json_t *v2c_journal_last(const struct v2c_journal *j, const char *service, const char *event);

/* PURE: parses journal bytes into records (a new array of objects).  A
 * line that is not a JSON object with an integer "seq" one more than the
 * previous one ends the journal there: *valid_len is the length of the
 * good prefix (what a writer keeps).  Caps: V2C_JOURNAL_MAX_LINE per
 * line, V2C_JOURNAL_MAX_RECORDS records.  Returns 0 or -ENOMEM. */
int v2c_journal_parse(const char *data, size_t len, json_t **records, size_t *valid_len, struct v2c_error **err);

#endif
