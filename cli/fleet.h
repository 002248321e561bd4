/* The fleet report (`v2c report`): many inspection reports, one summary.
 *
 * Each VM's report (common/report.h, read by the caller with
 * v2c_report_from_json: this file never parses a report itself) is
 * counted by class, its stateless services that convert without anyone's
 * input are listed as ready, and what stands in the way is listed as
 * blockers.  Across VMs, stateless services that would make the same image
 * are one image candidate (the key is below and in docs/report.md), and
 * the candidates are put in waves: a candidate comes one wave after every
 * candidate it connects to (`connects_to`), so dependencies move before
 * their dependants.  Each wave can be written as a draft rollout playbook
 * (docs/playbook.md) whose values only the operator knows are
 * placeholders the playbook parser refuses.
 *
 * Pure: reports in, documents out (JSON, text, HTML, YAML); the command
 * (cmd-report.c) reads and writes the files.  Guest strings are taken as
 * the report's JSON writes them (v2c_report_escaped), and every output
 * escapes them in its own syntax: a name is hostile input. */
#ifndef V2C_CLI_FLEET_H
#define V2C_CLI_FLEET_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "ref.h"
#include "report.h"

#define V2C_FLEET_SCHEMA "v2c.fleet-report/1"
#define V2C_FLEET_MAX_VMS 10000
/* Convert results (lock.json, docs/convert.md) are untrusted input too:
 * what one may hold, and the fleet's layer references all told. */
#define V2C_FLEET_LOCK_SCHEMA "v2c.lock/1"
#define V2C_FLEET_LOCK_MAX_IMAGES 1024
#define V2C_FLEET_IMAGE_MAX_LAYERS 128
#define V2C_FLEET_LAYER_MAX (UINT64_C(1) << 40)         /* 1 TiB: no layer of a VM's service is near it */
#define V2C_FLEET_MAX_LAYER_REFS (1 << 22)
/* Every placeholder of a draft playbook starts so; none is a valid value
 * of its key (a socket is absolute, an endpoint HOST:PORT, an image a
 * pinned reference), so `v2c rollout` refuses the draft until each is
 * replaced, naming it by line and column. */
#define V2C_FLEET_PLACEHOLDER "FILL-IN "

enum v2c_fleet_blocker_kind {
        V2C_FLEET_STATEFUL,             /* class stateful: convert refuses it without --allow-stateful */
        V2C_FLEET_REVIEW,               /* class review: a person decides (convert treats it as stateful) */
        V2C_FLEET_SECRET,               /* a secret file the service needs at run time */
        V2C_FLEET_UNOWNED_EXEC,         /* its executable is no package's (in app_files) */
        V2C_FLEET_PKGDB_UNREAD,         /* VM: no package database read */
        V2C_FLEET_OS_UNKNOWN,           /* VM: no os-release nor release file */
};

struct v2c_fleet_blocker {
        enum v2c_fleet_blocker_kind kind;
        const char *service;            /* borrowed from the VM's report; NULL for the VM itself */
        char *detail;                   /* owned */
};

/* One layer of an image of a convert result. */
struct v2c_fleet_lock_layer {
        const char *role;               /* static: base-image, base, packages, config or app */
        char digest[V2C_DIGEST_LEN + 1];
        uint64_t size;                  /* 1 to V2C_FLEET_LAYER_MAX */
};

/* One image of a convert result, as its lock.json lists it. */
struct v2c_fleet_lock_image {
        char *name;                     /* its ref name in the layout: [A-Za-z0-9._-] */
        char manifest[V2C_DIGEST_LEN + 1];
        struct v2c_fleet_lock_layer *layers;    /* lowest first */
        size_t n_layers;
};

struct v2c_fleet_vm {
        char *name;                     /* the report's file name without .json */
        char *file;
        struct v2c_report *report;      /* owned, strings escaped as its JSON writes them */
        size_t by_class[4];             /* indexed by enum v2c_service_class */
        size_t n_ready;                 /* stateless services with no blocker */
        struct v2c_fleet_blocker *blockers;
        size_t n_blockers;
        char *lock_file;                /* its convert result, or NULL (escaped as the JSON writes it) */
        struct v2c_fleet_lock_image *images;
        size_t n_images;
};

/* One stateless service of one VM. */
struct v2c_fleet_member {
        size_t vm;                      /* index in fleet->vms */
        size_t service;                 /* index in that VM's report->services */
};

/* Stateless services of several VMs (or one) that would make one image. */
struct v2c_fleet_image {
        char key[65];                   /* sha256 hex of the key (see fleet.c: image_key) */
        const char *service;            /* its name, borrowed from the first member */
        struct v2c_fleet_member *members;       /* in VM order */
        size_t n_members;
        size_t *after;                  /* images it connects to (indices), sorted */
        size_t n_after;
        size_t wave;                    /* from 1 */
        bool ready;                     /* no member has a blocker */
        bool cycle;                     /* in a connects_to cycle: its wave ignores the cycle's edges */
};

/* An image of a VM's convert result that holds a layer. */
struct v2c_fleet_layer_use {
        size_t vm;                      /* index in fleet->vms */
        size_t image;                   /* index in that VM's images */
};

/* A layer of the convert results, with every image that holds it: a
 * registry stores it once, however many images (of however many VMs). */
struct v2c_fleet_layer {
        char digest[V2C_DIGEST_LEN + 1];
        const char *role;               /* in the first image that holds it (VM order) */
        uint64_t size;
        struct v2c_fleet_layer_use *uses;       /* VM order, then image order; one per image */
        size_t n_uses;
        size_t n_vms;                   /* of distinct VMs among the uses */
};

struct v2c_fleet_layer_totals {
        size_t vms;                     /* VMs with a convert result */
        size_t images, layers, references, shared, shared_across_vms;
        uint64_t bytes;                 /* every image's layers, as if each stored its own */
        uint64_t stored_bytes;          /* each layer once, as a registry stores them */
        uint64_t saved_bytes;           /* the difference */
};

struct v2c_fleet {
        struct v2c_fleet_vm *vms;
        size_t n_vms;
        struct v2c_fleet_image *images; /* in order of service name, then key */
        size_t n_images;
        size_t n_waves;
        struct v2c_fleet_layer *layers; /* every layer of the convert results, most bytes saved first */
        size_t n_layers;
        size_t n_locks, n_layer_refs;
};

/* Adds a VM named NAME (FILE: where it came from) with its report REPORT
 * (borrowed: an escaped copy is kept).  Refused (V2C_ERR_INPUT) when a VM
 * of that name is there already, or past V2C_FLEET_MAX_VMS. */
int v2c_fleet_add(struct v2c_fleet *f, const char *name, const char *file, const struct v2c_report *report,
                  struct v2c_error **err);
/* Reads the convert result DOC (a lock.json, borrowed) into *images (new,
 * *n_images of them), every value checked: the first bad one is an input
 * error naming where it is ("images[0].layers[1].digest: not sha256:
 * ...").  For v2c_fleet_add_lock and its fuzz target. */
int v2c_fleet_lock_read(const json_t *doc, struct v2c_fleet_lock_image **images, size_t *n_images,
                        struct v2c_error **err);
/* Adds the convert result DOC (borrowed), read from FILE, to the VM named
 * NAME, which must have been added, and only once (else V2C_ERR_INPUT);
 * the fleet's layer references are capped at V2C_FLEET_MAX_LAYER_REFS. */
int v2c_fleet_add_lock(struct v2c_fleet *f, const char *name, const char *file, const json_t *doc,
                       struct v2c_error **err);
void v2c_fleet_vm_lock_release(struct v2c_fleet_vm *vm);
/* The layers of the convert results, each with the images that hold it
 * (fleet->layers); a digest given two sizes is an input error.  Called by
 * v2c_fleet_analyse. */
int v2c_fleet_share_layers(struct v2c_fleet *f, struct v2c_error **err);
void v2c_fleet_layer_totals(const struct v2c_fleet *f, struct v2c_fleet_layer_totals *t);
/* Counts, blockers, image candidates and waves, once every VM is added;
 * and the shared layers, once every convert result is. */
int v2c_fleet_analyse(struct v2c_fleet *f, struct v2c_error **err);
void v2c_fleet_release(struct v2c_fleet *f);

const char *v2c_fleet_blocker_name(enum v2c_fleet_blocker_kind k);

/* The documents, each new (NULL without memory). */
json_t *v2c_fleet_to_json(const struct v2c_fleet *f);
char *v2c_fleet_to_text(const struct v2c_fleet *f);
char *v2c_fleet_to_html(const struct v2c_fleet *f);
/* Appends to B the names of the VMs using layer L, ", " between them, at
 * most V2C_FLEET_LISTED_VMS then " and N more", each name written by PUT
 * (the text's or the page's escaping); 0 or -ENOMEM. */
#define V2C_FLEET_LISTED_VMS 10
struct v2c_buf;
int v2c_fleet_layer_vms(const struct v2c_fleet *f, const struct v2c_fleet_layer *L, struct v2c_buf *b,
                        int (*put)(struct v2c_buf *, const char *));
/* The draft playbook of wave WAVE (from 1) as YAML: *out new, or NULL
 * when that wave has no service with a TCP port (nothing for HAProxy to
 * move: its services are converted, not rolled out).  0 or -ENOMEM. */
int v2c_fleet_playbook(const struct v2c_fleet *f, size_t wave, char **out);

#endif
