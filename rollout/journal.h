/* The rollout journal: an append-only log of what a rollout did, one JSON
 * object per line, each line written with one write(2) and made durable
 * (fdatasync) before the action it records is considered done.  Killing
 * v2c at any moment leaves a journal whose complete lines are the truth;
 * `v2c rollout resume` replays them and goes on from the last one.
 *
 * The file is STATE_DIR/journal.jsonl; STATE_DIR/lock is held (flock) by
 * the one process that writes, so two runs of one rollout cannot
 * interleave.  Only a torn last line (no final newline: a crash in the
 * middle of a write) is not a record: it is skipped when read and cut off
 * before the next record is written.  Any other bad line is corruption,
 * never a place where the journal "ends": the journal is refused
 * ("journal corrupt at record N") and left as it is, since replaying a
 * shortened history would move traffic and containers back to where that
 * history stopped.
 *
 * Each record ends with a "chain" member: the SHA-256 of the previous
 * record's chain and of the record's line without that member, so that a
 * one-character change anywhere, even one that leaves valid JSON, is
 * caught.  Journals written before the chain carry none and are read
 * as they are; the records appended to them are chained (over their
 * bytes too).  docs/playbook.md has the format.
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
 * reads every record; a corrupt journal is -EBADMSG, kind INPUT, and left
 * untouched.  A torn last line is said (a warning) and cut off only when
 * the next record is appended.  *out is new. */
int v2c_journal_open(const char *state_dir, struct v2c_journal **out, struct v2c_error **err);
/* Opens read-only, without the lock (for `status`): a snapshot of the
 * complete records, refused as v2c_journal_open refuses it. */
int v2c_journal_open_ro(const char *state_dir, struct v2c_journal **out, struct v2c_error **err);
/* Closes, releasing the lock; accepts NULL; returns NULL. */
struct v2c_journal *v2c_journal_close(struct v2c_journal *j);

/* Appends RECORD (a JSON object without a "chain" member; borrowed), after
 * adding "seq" (1, 2, ...), "time" (RFC 3339 UTC, from the wall clock) and
 * "chain", as one line, then fdatasync.  Refused on a read-only journal. */
int v2c_journal_append(struct v2c_journal *j, json_t *record, struct v2c_error **err);

size_t v2c_journal_count(const struct v2c_journal *j);
/* Record I (borrowed), in order, without its "chain" member. */
const json_t *v2c_journal_get(const struct v2c_journal *j, size_t i);
/* The last record whose "event" is EVENT and, when SERVICE is not NULL,
 * whose "service" is SERVICE; NULL when none (borrowed). */
const json_t *v2c_journal_last(const struct v2c_journal *j, const char *service, const char *event);
/* The last record of SERVICE (any when NULL) whose event is one of the
 * N_EVENTS EVENTS, or NULL. */
const json_t *v2c_journal_last_of(const struct v2c_journal *j, const char *service, const char *const *events,
                                  size_t n_events);

/* The journal's file name (borrowed). */
const char *v2c_journal_path(const struct v2c_journal *j);
/* Every record, an array (borrowed). */
const json_t *v2c_journal_records(const struct v2c_journal *j);

/* Sets *err to "`PATH`: journal corrupt at record N: WHY" (N counts from
 * 1; without "`PATH`: " when PATH is NULL), kind INPUT, for what the
 * rollout finds wrong in a record that the journal itself accepted;
 * returns -EBADMSG. */
int v2c_journal_corrupt(const char *path, size_t n, struct v2c_error **err, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

/* PURE: parses journal bytes into records (a new array of objects, each
 * without its "chain" member).  Every line that ends with '\n' must be a
 * record: a JSON object whose integer "seq" is its line number, with a
 * string "time" and, once a record carries a "chain", a matching chain
 * (journal.h, docs/playbook.md).  The first line that is not one makes
 * the whole journal corrupt: -EBADMSG, kind INPUT, "journal corrupt at
 * record N: WHY", and *records and *valid_len untouched.  Otherwise
 * *valid_len is where the bytes after the last '\n' (a torn line) start.
 * Caps: V2C_JOURNAL_MAX_LINE per line, V2C_JOURNAL_MAX_RECORDS records. */
int v2c_journal_parse(const char *data, size_t len, json_t **records, size_t *valid_len, struct v2c_error **err);

#endif
