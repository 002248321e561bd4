/* Fuzz target: reading an inspection report back (convert --report takes
 * a file from anywhere), and writing it out again. */
#include <stdint.h>
#include <stdlib.h>

#include "inspect.h"
#include "json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        json_t *j = NULL;
        struct v2c_error *err = NULL;
        if (v2c_json_load((const char *) data, size, "fuzz", &j, &err) == 0) {
                struct v2c_report *r = NULL;
                if (v2c_report_from_json(j, &r, &err) == 0) {
                        json_t *back = v2c_report_to_json(r);
                        char *s = back ? v2c_json_dump(back) : NULL;
                        free(s);
                        json_decref(back);
                        char *t = v2c_report_to_text(r);
                        free(t);
                        v2c_report_free(r);
                }
                json_decref(j);
        }
        v2c_error_free(err);
        return 0;
}
