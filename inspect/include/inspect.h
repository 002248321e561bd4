/* v2c inspect: an offline inventory of a guest.
 *
 * v2c_inspect() reads a guest (see common/guest.h) and returns a report:
 * its OS, every service with what it runs and needs, a class for each
 * (stateless, stateful, system, review) with the reasons as data, and the secrets
 * lying on the disk.  The report (struct v2c_report, common/report.h)
 * maps one to one onto the JSON document described in
 * docs/inspect-report.md ("schema": "v2c.inspect/1").
 */
#ifndef V2C_INSPECT_H
#define V2C_INSPECT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "guest.h"
#include "report.h"

struct v2c_inspect_options {
        bool include_disabled;     /* also list installed services that are not enabled */
};

/* Inspects an open guest.  *out is new: free with v2c_report_free(). */
int v2c_inspect(struct v2c_guest *g, const struct v2c_inspect_options *opt, struct v2c_report **out,
                struct v2c_error **err);
/* The report for people: an aligned table and a summary; new string. */
char *v2c_report_to_text(const struct v2c_report *r);

#endif
