/* The rollout journal: records survive a reopen, only a torn last line is
 * not a record (skipped, and cut off only by the next append), every other
 * bad line makes the journal corrupt; the chain catches a one-character
 * change that leaves valid JSON; journals written before the chain still
 * read.  Then real journals (tests/fixtures/journal: canary.jsonl written
 * by this v2c, canary-legacy.jsonl by v2c before the chain, both by the
 * canary of tests/integration/test-rollout-canary.sh's test bed, finished),
 * corrupted in ~20 ways each: `status`, `resume`, `abort`, `rollback` and
 * `finalize` all stop with "journal corrupt at record N" (kind INPUT:
 * exit 3) and leave the file as it was, byte for byte. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "unit-main.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "journal.h"
#include "log.h"
#include "rollout.h"

static char dir[] = "/tmp/v2c-journal-XXXXXX";

static void append(struct v2c_journal *j, const char *service, const char *event, int step)
{
        json_t *r = json_pack("{s:s, s:s, s:i}", "service", service, "event", event, "step", step);
        struct v2c_error *err = NULL;
        assert_int_equal(v2c_journal_append(j, r, &err), 0);
        json_decref(r);
}

/* The bytes of PATH (new, NUL-terminated), their length in *len. */
static char *slurp(const char *path, size_t *len)
{
        FILE *f = fopen(path, "rb");
        assert_non_null(f);
        char *buf = NULL;
        size_t size = 0;
        FILE *m = open_memstream(&buf, &size);
        assert_non_null(m);
        char chunk[4096];
        size_t n;
        while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
                fwrite(chunk, 1, n, m);
        fclose(f);
        fclose(m);
        *len = size;
        return buf;
}

static void spew(const char *path, const char *data, size_t len)
{
        FILE *f = fopen(path, "wb");
        assert_non_null(f);
        assert_int_equal(fwrite(data, 1, len, f), len);
        assert_int_equal(fclose(f), 0);
}

static char *journal_path(const char *state)
{
        char *p = NULL;
        assert_true(asprintf(&p, "%s/journal.jsonl", state) > 0);
        return p;
}

/* Asserts that ERR says the journal is corrupt at record N, kind INPUT. */
static void assert_corrupt_at(struct v2c_error *err, size_t n)
{
        char want[64];
        snprintf(want, sizeof want, "journal corrupt at record %zu: ", n);
        assert_non_null(err);
        if (strstr(err->msg, want) == NULL)
                fail_msg("wanted \"%s\", got \"%s\"", want, err->msg);
        assert_int_equal(err->kind, V2C_ERR_INPUT);
        assert_int_equal(err->code, EBADMSG);
}

static void test_reopen(void **state)
{
        (void) state;
        struct v2c_journal *j = NULL;
        struct v2c_error *err = NULL;
        assert_int_equal(v2c_journal_open(dir, &j, &err), 0);
        append(j, "web", "step-start", 1);
        append(j, "web", "weights", 1);
        append(j, "db", "step-start", 1);
        assert_int_equal(v2c_journal_count(j), 3);
        /* A second writer is refused while the first holds the lock. */
        struct v2c_journal *k = NULL;
        assert_int_equal(v2c_journal_open(dir, &k, &err), -EBUSY);
        assert_int_equal(err->kind, V2C_ERR_REFUSED);
        err = v2c_error_free(err);
        j = v2c_journal_close(j);

        assert_int_equal(v2c_journal_open(dir, &j, &err), 0);
        assert_int_equal(v2c_journal_count(j), 3);
        const json_t *last = v2c_journal_last(j, "web", "step-start");
        assert_non_null(last);
        assert_int_equal(json_integer_value(json_object_get(last, "seq")), 1);
        assert_null(json_object_get(last, "chain"));   /* framing, not content */
        assert_null(v2c_journal_last(j, "web", "nothing"));
        append(j, "web", "step-done", 1);
        assert_int_equal(json_integer_value(json_object_get(v2c_journal_get(j, 3), "seq")), 4);
        /* The chain is the journal's: a record cannot bring its own. */
        json_t *r = json_pack("{s:s, s:s}", "event", "x", "chain", "0");
        assert_int_equal(v2c_journal_append(j, r, &err), -EINVAL);
        err = v2c_error_free(err);
        json_decref(r);
        j = v2c_journal_close(j);
}

static void test_torn_tail(void **state)
{
        (void) state;
        _cleanup_free_ char *path = journal_path(dir);
        int fd = open(path, O_WRONLY | O_APPEND);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, "{\"seq\":5,\"event\":\"to", 21), 21);
        close(fd);
        size_t len0 = 0, len = 0;
        _cleanup_free_ char *before = slurp(path, &len0);
        struct v2c_journal *j = NULL;
        struct v2c_error *err = NULL;
        /* Read-only: the torn record is not there, the file is untouched. */
        assert_int_equal(v2c_journal_open_ro(dir, &j, &err), 0);
        assert_int_equal(v2c_journal_count(j), 4);
        json_t *r = json_object();
        assert_int_equal(v2c_journal_append(j, r, &err), -EBADF);
        err = v2c_error_free(err);
        json_decref(r);
        j = v2c_journal_close(j);
        /* For writing, with nothing appended: still untouched. */
        assert_int_equal(v2c_journal_open(dir, &j, &err), 0);
        assert_int_equal(v2c_journal_count(j), 4);
        j = v2c_journal_close(j);
        _cleanup_free_ char *after = slurp(path, &len);
        assert_int_equal(len, len0);
        assert_memory_equal(before, after, len);
        /* The next record cuts it off and goes after the last good one. */
        assert_int_equal(v2c_journal_open(dir, &j, &err), 0);
        append(j, "web", "step-start", 2);
        j = v2c_journal_close(j);
        assert_int_equal(v2c_journal_open_ro(dir, &j, &err), 0);
        assert_int_equal(v2c_journal_count(j), 5);
        assert_int_equal(json_integer_value(json_object_get(v2c_journal_get(j, 4), "step")), 2);
        j = v2c_journal_close(j);
        _cleanup_free_ char *cut = slurp(path, &len);
        assert_null(strstr(cut, "\"to"));
        assert_int_equal(cut[len - 1], '\n');
}

static void test_parse(void **state)
{
        (void) state;
        json_t *recs = NULL;
        size_t valid = 0;
        struct v2c_error *err = NULL;
        static const char ok[] = "{\"seq\":1,\"time\":\"t\",\"e\":\"a\"}\n{\"seq\":2,\"time\":\"t\"}\n";
        assert_int_equal(v2c_journal_parse(ok, strlen(ok), &recs, &valid, &err), 0);
        assert_int_equal(json_array_size(recs), 2);
        assert_int_equal(valid, strlen(ok));
        json_decref(recs);
        /* Only what follows the last newline is torn. */
        static const char torn[] = "{\"seq\":1,\"time\":\"t\"}\n{\"seq\":2,\"ti";
        assert_int_equal(v2c_journal_parse(torn, strlen(torn), &recs, &valid, &err), 0);
        assert_int_equal(json_array_size(recs), 1);
        assert_int_equal(valid, 21);
        json_decref(recs);
        static const char empty[] = "";
        assert_int_equal(v2c_journal_parse(empty, 0, &recs, &valid, &err), 0);
        assert_int_equal(json_array_size(recs), 0);
        json_decref(recs);
        /* Anything else is corruption, wherever it is; the outputs stay
         * as they were. */
        static const struct {
                const char *text;
                size_t record;
        } bad[] = {
                { "{\"seq\":1,\"time\":\"t\"}\n{\"seq\":3,\"time\":\"t\"}\n{\"seq\":4,\"time\":\"t\"}\n", 2 },
                { "[1]\n", 1 },
                { "{\"seq\":1,\"time\":\"t\"}\n\n{\"seq\":2,\"time\":\"t\"}\n", 2 },
                { "{\"seq\":1,\"time\":\"t\"}\n{\"seq\":2,\"time\":\"t\"\n", 2 },
                { "{\"seq\":1}\n", 1 },
                { "{\"seq\":\"1\",\"time\":\"t\"}\n", 1 },
                { "{\"seq\":1,\"time\":\"t\",\"seq\":1}\n", 1 },
                { "{\"seq\":1,\"time\":\"t\"} x\n", 1 },
                { "{\"seq\":1,\"time\":\"t\"}\n{\"seq\":1,\"time\":\"t\"}\n", 2 },
                { "{\"seq\":1,\"time\":\"t\",\"chain\":\"00\"}\n", 1 },
                { "{\"seq\":1,\"time\":\"t\"}\n{\"seq\":2,\"time\":\"\x01\xff\"}\n", 2 },
                { "{\"seq\":1,\"time\":\"t\"}\r\n", 1 },
                { " {\"seq\":1,\"time\":\"t\"}\n", 1 },
        };
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
                json_t *untouched = (json_t *) &bad;
                size_t v = 12345;
                assert_int_equal(v2c_journal_parse(bad[i].text, strlen(bad[i].text), &untouched, &v, &err), -EBADMSG);
                assert_corrupt_at(err, bad[i].record);
                for (const char *c = err->msg; *c; c++)
                        assert_true(*c >= 0x20 && *c < 0x7f);   /* one printable line */
                err = v2c_error_free(err);
                assert_ptr_equal(untouched, &bad);
                assert_int_equal(v, 12345);
        }
}

/* A chained journal of three records in a state directory of its own. */
static char *chained_journal(char **data, size_t *len)
{
        char *state = strdup("/tmp/v2c-journal-chain-XXXXXX");
        assert_non_null(mkdtemp(state));
        struct v2c_journal *j = NULL;
        struct v2c_error *err = NULL;
        assert_int_equal(v2c_journal_open(state, &j, &err), 0);
        append(j, "web", "weights", 10);
        append(j, "web", "reason", 20);
        append(j, "db", "weights", 30);
        j = v2c_journal_close(j);
        _cleanup_free_ char *path = journal_path(state);
        *data = slurp(path, len);
        return state;
}

static void rm_rf(const char *d)
{
        char cmd[300];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", d);
        assert_int_equal(system(cmd), 0);
}

/* Writes TEXT as STATE's journal; opening it, for reading or writing,
 * fails at record N and leaves it byte for byte. */
static void assert_journal_corrupt(const char *state, const char *text, size_t len, size_t n)
{
        _cleanup_free_ char *path = journal_path(state);
        spew(path, text, len);
        struct v2c_journal *j = NULL;
        struct v2c_error *err = NULL;
        assert_int_equal(v2c_journal_open_ro(state, &j, &err), -EBADMSG);
        assert_null(j);
        assert_corrupt_at(err, n);
        assert_non_null(strstr(err->msg, path));
        err = v2c_error_free(err);
        assert_int_equal(v2c_journal_open(state, &j, &err), -EBADMSG);
        assert_null(j);
        assert_corrupt_at(err, n);
        err = v2c_error_free(err);
        size_t got = 0;
        _cleanup_free_ char *after = slurp(path, &got);
        assert_int_equal(got, len);
        assert_memory_equal(after, text, len);
}

static void test_chain(void **state)
{
        (void) state;
        size_t len = 0;
        _cleanup_free_ char *data = NULL;
        _cleanup_free_ char *st = chained_journal(&data, &len);
        /* Every record carries it, last, as 64 hex digits. */
        for (const char *l = data; l < data + len; l = strchr(l, '\n') + 1) {
                const char *nl = strchr(l, '\n');
                assert_true(nl - l > 76);
                assert_memory_equal(nl - 76, ",\"chain\":\"", 10);
                assert_memory_equal(nl - 2, "\"}", 2);
        }
        /* A one-character change that leaves valid JSON: "reason" ->
         * "reasom" in record 2, and the step 20 -> 21. */
        _cleanup_free_ char *copy = strdup(data);
        strstr(copy, "\"reason\"")[6] = 'm';
        assert_journal_corrupt(st, copy, len, 2);
        memcpy(copy, data, len);
        *(strstr(copy, "\"step\":20") + 8) = '1';
        assert_journal_corrupt(st, copy, len, 2);
        /* The chain of record 3 changed: record 3. */
        memcpy(copy, data, len);
        copy[len - 3] = copy[len - 3] == '0' ? '1' : '0';
        assert_journal_corrupt(st, copy, len, 3);
        /* Record 2 without its chain, though record 1 has one. */
        _cleanup_free_ char *nochain = NULL;
        const char *l2 = strchr(data, '\n') + 1, *e2 = strchr(l2, '\n');
        assert_true(asprintf(&nochain, "%.*s}%s", (int) (e2 - 76 - data), data, e2) > 0);
        assert_journal_corrupt(st, nochain, strlen(nochain), 2);
        /* The chain moved away from the end: the same members, but not as
         * v2c writes them. */
        _cleanup_free_ char *moved = NULL;
        const char *e1 = strchr(data, '\n');
        assert_true(asprintf(&moved, "{%.*s,%.*s}%s", 73, e1 - 75, (int) (e1 - 76 - data - 1), data + 1, e1) > 0);
        assert_journal_corrupt(st, moved, strlen(moved), 1);
        /* Intact, it reads back; the records are given without the chain. */
        _cleanup_free_ char *path = journal_path(st);
        spew(path, data, len);
        struct v2c_journal *j = NULL;
        struct v2c_error *err = NULL;
        assert_int_equal(v2c_journal_open_ro(st, &j, &err), 0);
        assert_int_equal(v2c_journal_count(j), 3);
        assert_null(json_object_get(v2c_journal_get(j, 2), "chain"));
        j = v2c_journal_close(j);
        rm_rf(st);
}

/* A journal written before the chain reads as it is; what is appended to
 * it is chained over its bytes too, so a later change in them shows. */
static void test_legacy(void **state)
{
        (void) state;
        _cleanup_free_ char *st = strdup("/tmp/v2c-journal-legacy-XXXXXX");
        assert_non_null(mkdtemp(st));
        _cleanup_free_ char *path = journal_path(st);
        static const char old[] = "{\"seq\":1,\"time\":\"2026-11-23T06:00:00.000Z\",\"event\":\"a\",\"n\":1}\n"
                                  "{\"seq\":2,\"time\":\"2026-11-23T06:00:01.000Z\",\"event\":\"b\",\"n\":2}\n";
        spew(path, old, strlen(old));
        struct v2c_journal *j = NULL;
        struct v2c_error *err = NULL;
        assert_int_equal(v2c_journal_open(st, &j, &err), 0);
        assert_int_equal(v2c_journal_count(j), 2);
        append(j, "web", "weights", 3);
        j = v2c_journal_close(j);
        size_t len = 0;
        _cleanup_free_ char *data = slurp(path, &len);
        assert_memory_equal(data, old, strlen(old));   /* the old records stay as they were */
        assert_int_equal(v2c_journal_open_ro(st, &j, &err), 0);
        assert_int_equal(v2c_journal_count(j), 3);
        j = v2c_journal_close(j);
        /* "n":1 -> "n":7 in unchained record 1: caught at record 3, the
         * first whose chain covers it. */
        _cleanup_free_ char *copy = strdup(data);
        *(strstr(copy, "\"n\":1") + 4) = '7';
        assert_journal_corrupt(st, copy, len, 3);
        rm_rf(st);
}

/* ---- real journals, corrupted ---- */

struct corruption {
        char what[96];
        char *text;       /* new */
        size_t len;
        size_t record;    /* where it must be found */
};

static size_t n_lines(const char *data, size_t len)
{
        size_t n = 0;
        for (size_t i = 0; i < len; i++)
                n += data[i] == '\n';
        return n;
}

/* Line K (from 1) of DATA: *start, and its length without the '\n'. */
static size_t line_at(const char *data, size_t k, const char **start)
{
        const char *p = data;
        for (size_t i = 1; i < k; i++)
                p = strchr(p, '\n') + 1;
        *start = p;
        return (size_t) (strchr(p, '\n') - p);
}

static void add(struct corruption *c, size_t *n, size_t record, char *text, size_t len, const char *fmt, ...)
        __attribute__((format(printf, 6, 7)));
static void add(struct corruption *c, size_t *n, size_t record, char *text, size_t len, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c[*n].what, sizeof c[*n].what, fmt, ap);
        va_end(ap);
        c[*n].text = text;
        c[*n].len = len;
        c[*n].record = record;
        (*n)++;
}

/* DATA with line A and line B (A < B) swapped, or B a copy of A (DUP). */
static char *rearranged(const char *data, size_t len, size_t a, size_t b, bool dup, size_t *out_len)
{
        const char *la, *lb;
        size_t na = line_at(data, a, &la) + 1, nb = line_at(data, b, &lb) + 1;
        char *t = NULL;
        size_t n = 0;
        FILE *m = open_memstream(&t, &n);
        fwrite(data, 1, (size_t) (la - data), m);
        if (dup) {
                fwrite(la, 1, na, m);
                fwrite(la, 1, (size_t) (data + len - la), m);
        } else {
                fwrite(lb, 1, nb, m);
                fwrite(la + na, 1, (size_t) (lb - (la + na)), m);
                fwrite(la, 1, na, m);
                fwrite(lb + nb, 1, (size_t) (data + len - (lb + nb)), m);
        }
        fclose(m);
        *out_len = n;
        return t;
}

/* The corruptions every journal gets: ~20 generated from its bytes. */
static size_t generic_corruptions(const char *data, size_t len, struct corruption *c)
{
        size_t n = 0, lines = n_lines(data, len);
        assert_true(lines >= 10);
        /* One byte changed (its low bit flipped) at 12 places spread over
         * the file, the last newline excepted (that one makes a torn
         * line: allowed).  Whatever the byte (a letter of a string, a
         * digit, a quote, a brace, a newline), its record is corrupt. */
        for (size_t i = 0; i < 12; i++) {
                size_t pos = (len - 1) * (2 * i + 1) / 24;
                char *t = malloc(len);
                memcpy(t, data, len);
                t[pos] ^= 1;
                add(c, &n, n_lines(data, pos) + 1, t, len, "byte %zu '%c' -> '%c'", pos, data[pos] >= 0x20 ? data[pos] : '?',
                    t[pos] >= 0x20 ? t[pos] : '?');
        }
        /* The first byte, and the newline that ends record 1. */
        char *t = malloc(len);
        memcpy(t, data, len);
        t[0] = ' ';
        add(c, &n, 1, t, len, "a space for the first brace");
        t = malloc(len);
        memcpy(t, data, len);
        const char *l;
        size_t l1 = line_at(data, 1, &l);
        t[l1] = ' ';
        add(c, &n, 1, t, len, "records 1 and 2 on one line");
        /* Bytes cut out of the middle: from inside record 3 to inside 6. */
        const char *l3, *l6;
        line_at(data, 3, &l3);
        line_at(data, 6, &l6);
        size_t from = (size_t) (l3 - data) + 4, to = (size_t) (l6 - data) + 30;
        t = malloc(len);
        memcpy(t, data, from);
        memcpy(t + from, data + to, len - to);
        add(c, &n, 3, t, len - (to - from), "bytes %zu to %zu cut out", from, to);
        /* The file cut in the middle of a record, then a record after it. */
        const char *ll;
        size_t nl = line_at(data, lines, &ll);
        t = malloc(len);
        size_t cut = (size_t) (l6 - data) + 40;
        memcpy(t, data, cut);
        memcpy(t + cut, ll, nl + 1);
        add(c, &n, 6, t, cut + nl + 1, "record 6 cut short, then record %zu", lines);
        size_t m = 0;
        t = rearranged(data, len, 4, 5, false, &m);
        add(c, &n, 4, t, m, "records 4 and 5 swapped");
        t = rearranged(data, len, lines - 2, lines - 1, false, &m);
        add(c, &n, lines - 2, t, m, "records %zu and %zu swapped", lines - 2, lines - 1);
        t = rearranged(data, len, 6, 6, true, &m);
        add(c, &n, 7, t, m, "record 6 twice");
        /* A record left out, an empty line, a CRLF. */
        const char *l7;
        size_t n7 = line_at(data, 7, &l7) + 1;
        t = malloc(len);
        memcpy(t, data, (size_t) (l7 - data));
        memcpy(t + (l7 - data), l7 + n7, len - (size_t) (l7 - data) - n7);
        add(c, &n, 7, t, len - n7, "record 7 left out");
        t = malloc(len + 1);
        memcpy(t, data, (size_t) (l7 - data));
        t[l7 - data] = '\n';
        memcpy(t + (l7 - data) + 1, l7, len - (size_t) (l7 - data));
        add(c, &n, 7, t, len + 1, "an empty line before record 7");
        t = malloc(len + 1);
        size_t n5 = line_at(data, 5, &l);
        size_t at = (size_t) (l - data) + n5;
        memcpy(t, data, at);
        t[at] = '\r';
        memcpy(t + at + 1, data + at, len - at);
        add(c, &n, 5, t, len + 1, "record 5 ends with CRLF");
        return n;
}

struct run_case {
        const char *state;
        struct v2c_rollout_options opt;
};

/* Every command that reads the journal refuses it: record N, kind INPUT,
 * the file byte for byte as it was. */
static void assert_refused(const struct run_case *rc, const struct corruption *c)
{
        _cleanup_free_ char *path = journal_path(rc->state);
        spew(path, c->text, c->len);
        /* The same verdict from the bytes alone. */
        struct v2c_error *e = NULL;
        assert_int_equal(v2c_rollout_check_journal(c->text, c->len, &e), -EBADMSG);
        assert_corrupt_at(e, c->record);
        v2c_error_free(e);
        for (int cmd = 0; cmd < 5; cmd++) {
                struct v2c_error *err = NULL;
                json_t *doc = NULL;
                int r = cmd == 0   ? v2c_rollout_status(rc->state, &doc, &err)
                        : cmd == 1 ? v2c_rollout_resume(&rc->opt, &err)
                        : cmd == 2 ? v2c_rollout_abort(&rc->opt, &err)
                        : cmd == 3 ? v2c_rollout_rollback(&rc->opt, NULL, &err)
                                   : v2c_rollout_finalize(&rc->opt, &err);
                if (r != -EBADMSG)
                        fail_msg("%s: command %d: %d (%s), not -EBADMSG", c->what, cmd, r, err ? err->msg : "no error");
                assert_null(doc);
                char want[64];
                snprintf(want, sizeof want, "journal corrupt at record %zu: ", c->record);
                if (strstr(err->msg, want) == NULL)
                        fail_msg("%s: wanted \"%s\", got \"%s\"", c->what, want, err->msg);
                assert_int_equal(err->kind, V2C_ERR_INPUT);
                v2c_error_free(err);
                size_t len = 0;
                _cleanup_free_ char *after = slurp(path, &len);
                if (len != c->len || memcmp(after, c->text, len) != 0)
                        fail_msg("%s: command %d changed the journal", c->what, cmd);
        }
}

/* The intact journal: status and resume (finished: nothing to do) succeed
 * and leave it as it is. */
static void assert_reads(const struct run_case *rc, const char *data, size_t len)
{
        _cleanup_free_ char *path = journal_path(rc->state);
        spew(path, data, len);
        struct v2c_error *err = NULL;
        json_t *doc = NULL;
        assert_int_equal(v2c_rollout_check_journal(data, len, &err), 0);
        assert_int_equal(v2c_rollout_status(rc->state, &doc, &err), 0);
        assert_true(json_is_true(json_object_get(doc, "finished")));
        assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(doc, "services"), 0), "phase")),
                            "done");
        json_decref(doc);
        assert_int_equal(v2c_rollout_resume(&rc->opt, &err), 0);
        size_t got = 0;
        _cleanup_free_ char *after = slurp(path, &got);
        assert_int_equal(got, len);
        assert_memory_equal(after, data, len);
}

static void free_all(struct corruption *c, size_t n)
{
        for (size_t i = 0; i < n; i++)
                free(c[i].text);
}

static void test_real_chained(void **state)
{
        (void) state;
        size_t len = 0;
        _cleanup_free_ char *data = slurp("tests/fixtures/journal/canary.jsonl", &len);
        struct run_case rc = { .state = dir, .opt = { .state_dir = dir, .poll_ms = 10 } };
        assert_reads(&rc, data, len);
        struct corruption c[40];
        size_t n = generic_corruptions(data, len, c);
        /* Still-valid JSON, one character changed: only the chain sees
         * these (the container's id, a measured value's digit). */
        const char *p = strstr(data, "\"container\":\"");
        assert_non_null(p);
        char *t = malloc(len);
        memcpy(t, data, len);
        t[p - data + 13] = t[p - data + 13] == 'a' ? 'b' : 'a';
        add(c, &n, n_lines(data, (size_t) (p - data)) + 1, t, len, "a letter of the container's id");
        p = strstr(data, "\"reason\":\"");
        if (p == NULL)
                p = strstr(data, "\"verdict\":\"");
        assert_non_null(p);
        t = malloc(len);
        memcpy(t, data, len);
        t[p - data + 11] ^= 1;
        add(c, &n, n_lines(data, (size_t) (p - data)) + 1, t, len, "a letter of a verdict or reason");
        assert_true(n >= 20);
        for (size_t i = 0; i < n; i++)
                assert_refused(&rc, &c[i]);
        free_all(c, n);
        /* A torn last line is no corruption: status goes on (stderr says
         * it is ignored), the file stays as it is. */
        _cleanup_free_ char *path = journal_path(dir);
        spew(path, data, len - 10);
        struct v2c_error *err = NULL;
        json_t *doc = NULL;
        assert_int_equal(v2c_rollout_status(dir, &doc, &err), 0);
        json_decref(doc);
        size_t got = 0;
        _cleanup_free_ char *after = slurp(path, &got);
        assert_int_equal(got, len - 10);
        assert_memory_equal(after, data, got);
}

/* DATA with the first FIND after record K's start replaced by REPL (new). */
static char *replaced(const char *data, size_t len, size_t k, const char *find, const char *repl, size_t *out_len)
{
        const char *l;
        line_at(data, k, &l);
        const char *p = strstr(l, find);
        assert_non_null(p);
        size_t fl = strlen(find), rl = strlen(repl);
        char *t = malloc(len - fl + rl);
        memcpy(t, data, (size_t) (p - data));
        memcpy(t + (p - data), repl, rl);
        memcpy(t + (p - data) + rl, p + fl, len - (size_t) (p - data) - fl);
        *out_len = len - fl + rl;
        return t;
}

/* The record number of the first line holding NEEDLE. */
static size_t record_of(const char *data, const char *needle)
{
        const char *p = strstr(data, needle);
        assert_non_null(p);
        return n_lines(data, (size_t) (p - data)) + 1;
}

static void test_real_legacy(void **state)
{
        (void) state;
        size_t len = 0;
        _cleanup_free_ char *data = slurp("tests/fixtures/journal/canary-legacy.jsonl", &len);
        assert_null(strstr(data, "\"chain\""));
        struct run_case rc = { .state = dir, .opt = { .state_dir = dir, .poll_ms = 10 } };
        assert_reads(&rc, data, len);
        struct corruption c[40];
        size_t n = generic_corruptions(data, len, c);
        /* Without a chain, the one-byte changes that leave valid JSON and
         * a journal that holds together cannot be seen: keep those the
         * generic set must catch (structure, seq, names), and add the
         * rollout's own invariants. */
        size_t keep = 0;
        for (size_t i = 0; i < n; i++) {
                json_t *recs = NULL;
                size_t v = 0;
                struct v2c_error *err = NULL;
                int r = v2c_journal_parse(c[i].text, c[i].len, &recs, &v, &err);
                json_decref(recs);
                v2c_error_free(err);
                if (r < 0 || strncmp(c[i].what, "byte", 4) != 0)
                        c[keep++] = c[i];
                else
                        free(c[i].text);
        }
        n = keep;
        size_t m = 0, k;
        char *t;
        k = record_of(data, "\"event\":\"prepared\"");
        t = replaced(data, len, k, "\"prepared\"", "\"prepares\"", &m);
        add(c, &n, k, t, m, "an unknown event");
        k = record_of(data, "\"event\":\"step\",");
        t = replaced(data, len, k, "\"index\":0", "\"index\":1", &m);
        add(c, &n, k, t, m, "step 1 before step 0");
        k = record_of(data, "\"event\":\"step-done\",");
        t = replaced(data, len, k, "\"index\":0", "\"index\":2", &m);
        add(c, &n, k, t, m, "a step done that was not begun");
        k = record_of(data, "\"event\":\"weights\"");
        t = replaced(data, len, k, "\"vm\":", "\"vn\":", &m);
        add(c, &n, k, t, m, "weights without \"vm\"");
        t = replaced(data, len, k, "\"service\":\"hello\"", "\"service\":\"hellp\"", &m);
        add(c, &n, k, t, m, "a service the playbook does not name");
        k = record_of(data, "\"event\":\"wave-open\"");
        t = replaced(data, len, k, "\"event\":\"wave-open\"", "\"event\":\"resumed\"", &m);
        add(c, &n, k, t, m, "wave-open turned into resumed");
        k = record_of(data, "\"event\":\"finished\"");
        t = replaced(data, len, k, "\"seq\":", "\"seq\":1", &m);
        add(c, &n, k, t, m, "the last record's seq");
        t = replaced(data, len, k, "\"event\":\"finished\"", "\"event\":\"start\"", &m);
        add(c, &n, k, t, m, "a second start");
        t = replaced(data, len, 1, "\"event\":\"start\"", "\"event\":\"stars\"", &m);
        add(c, &n, 1, t, m, "the first record is no start");
        t = replaced(data, len, 1, "\"waves\":[", "\"wavez\":[", &m);
        add(c, &n, 1, t, m, "the playbook has no waves");
        for (size_t i = 0; i < n; i++)
                assert_refused(&rc, &c[i]);
        free_all(c, n);
}

static int setup(void **state)
{
        (void) state;
        v2c_log_set_level(V2C_LOG_ERROR);   /* the torn-line warnings are expected */
        return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
        (void) state;
        char cmd[300];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        return system(cmd) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_reopen),
                cmocka_unit_test(test_torn_tail),
                cmocka_unit_test(test_parse),
                cmocka_unit_test(test_chain),
                cmocka_unit_test(test_legacy),
                cmocka_unit_test(test_real_chained),
                cmocka_unit_test(test_real_legacy),
        };
        return v2c_run_group_tests(argc, argv, tests, setup, teardown);
}
