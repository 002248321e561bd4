/* Services that reach each other over localhost on the VM (the report's
 * "connects_to") and are converted together share one pod: the same
 * network namespace, so 127.0.0.1:PORT still leads where it did.  A
 * connection to a service that is not converted is reported with what to
 * do about it (pods.c).  Internal to convert/. */
#ifndef V2C_CONVERT_PODS_INTERNAL_H
#define V2C_CONVERT_PODS_INTERNAL_H

#include <jansson.h>
#include <stddef.h>

#include "convert.h"
#include "error.h"
#include "report.h"

struct pod_plan {
        size_t n;                      /* chosen services */
        const struct v2c_service *const *chosen;  /* borrowed: the report's services */
        char **pod;                    /* per chosen service: its pod's name, NULL when it runs alone */
        char **needs;                  /* per chosen service: "SERVICE:PORT,..." it reaches on the VM
                                        * that are not converted with it, NULL when none */
        char **warnings;               /* one sentence per such connection: what to do */
        json_t *outside;               /* the same as objects, for DIR/v2c/links.json */
};

/* Groups the N chosen services (REPORT's services, borrowed and kept in
 * P) by their connects_to among themselves; a connection to a
 * service outside the choice goes to needs, warnings and outside, with the
 * VM's hostname from REPORT in the advice.  Only -ENOMEM fails. */
int convert_plan_pods(const struct v2c_report *report, const struct v2c_service *const *chosen, size_t n,
                      struct pod_plan *p, struct v2c_error **err);
void convert_pod_plan_release(struct pod_plan *p);
/* The pod (or NULL) and the needs (or NULL) of chosen service S; borrowed. */
const char *convert_pod_of(const struct pod_plan *p, const struct v2c_service *s);
const char *convert_needs_of(const struct pod_plan *p, const struct v2c_service *s);

/* Once every image is written (RES->images[i] is chosen[i]): one
 * "POD.pod.k8s.yaml" per pod in SIDE replacing its members' NAME.k8s.yaml,
 * RES->pods filled, and SIDE/links.json (pods and connections left on the
 * VM).  IMAGE_REPO as in struct v2c_convert_options. */
int convert_write_pods(const struct pod_plan *p, const char *side, const char *image_repo,
                       const char *runtime_class, struct v2c_convert_result *res, struct v2c_error **err);

#endif
