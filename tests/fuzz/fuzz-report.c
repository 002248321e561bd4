/* Fuzz target: reading an inspection report back (convert --report takes
 * a file from anywhere, common/report.c), writing it out again, and its
 * text for people; the same JSON read as an image's label
 * io.v2c.hardening (v2c rollout takes it from any registry).  What the
 * reader accepts, the writer writes in a form the reader reads back to the
 * same bytes: a difference aborts, and so does a label's uid or gid out of
 * range. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "inspect.h"
#include "json.h"
#include "report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *written(const struct v2c_report *r)
{
        json_t *j = v2c_report_to_json(r);
        char *s = j ? v2c_json_dump(j) : NULL;
        json_decref(j);
        return s;
}

static char *label_written(const struct v2c_hardening *h)
{
        json_t *j = v2c_hardening_to_json(h);
        char *s = j ? v2c_json_dump(j) : NULL;
        json_decref(j);
        return s;
}

static void hardening_round_trip(const json_t *j)
{
        struct v2c_hardening h = { 0 }, h2 = { 0 };
        struct v2c_error *err = NULL;
        if (v2c_hardening_from_json(j, &h, &err) < 0) {
                if (err == NULL || h.seccomp != NULL)
                        abort();
                v2c_error_free(err);
                return;
        }
        if (h.run_as_known && (h.run_as_uid > V2C_ID_MAX || h.run_as_gid > V2C_ID_MAX ||
                               (h.run_as_uid == 0) != h.run_as_root))
                abort();
        char *once = label_written(&h);
        json_t *j2 = NULL;
        if (once && (v2c_json_load(once, strlen(once), "fuzz", &j2, NULL) < 0 ||
                     v2c_hardening_from_json(j2, &h2, NULL) < 0))
                abort();
        char *twice = j2 ? label_written(&h2) : NULL;
        if (once && twice && strcmp(once, twice) != 0)
                abort();
        free(once);
        free(twice);
        json_decref(j2);
        v2c_hardening_release(&h);
        v2c_hardening_release(&h2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        json_t *j = NULL;
        struct v2c_error *err = NULL;
        if (v2c_json_load((const char *) data, size, "fuzz", &j, &err) == 0) {
                struct v2c_report *r = NULL;
                if (v2c_report_from_json(j, &r, &err) == 0) {
                        char *once = written(r);
                        json_t *j2 = NULL;
                        struct v2c_report *r2 = NULL;
                        if (once && (v2c_json_load(once, strlen(once), "fuzz", &j2, NULL) < 0 ||
                                     v2c_report_from_json(j2, &r2, NULL) < 0))
                                abort();
                        char *twice = r2 ? written(r2) : NULL;
                        if (once && twice && strcmp(once, twice) != 0)
                                abort();
                        free(once);
                        free(twice);
                        json_decref(j2);
                        v2c_report_free(r2);
                        char *t = v2c_report_to_text(r);
                        free(t);
                        v2c_report_free(r);
                }
                hardening_round_trip(j);
                json_decref(j);
        }
        v2c_error_free(err);
        return 0;
}
