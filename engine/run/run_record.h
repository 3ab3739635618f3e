/* run_record.h: a run directory read back, from its files alone (no model, no benchmark
 * images): what the workbench views and the figures show. A finished run opens at once; a live
 * or interrupted run opens with what it has, and grows as its events arrive.
 *
 *   run_record_open      config.json (method, benchmark, class order and names, task split),
 *                        metrics.jsonl, accuracy_matrix(.clip).npy, events.jsonl (step history,
 *                        phases, task wall times), the DONE markers
 *   run_record_add_event one events.jsonl line (the live workbench feeds the engine's events
 *                        through the same parser as the file)
 *   run_task_load        tasks/NN/: drift, geometry (+ projections), anchors, prototypes,
 *                        analytics.json; every part optional (a method or a first task without
 *                        it), every present part checked (shapes against the record)
 *
 * Errors name the file (and the key or tensor): a corrupt or partial run directory gives a
 * message, never a crash. A torn last line of events.jsonl or metrics.jsonl (a run killed
 * mid-write) is skipped, as resume cuts it. */
#ifndef SEGP_RUN_RECORD_H
#define SEGP_RUN_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "metrics/analytics.h"

#define RUN_MAX_TERMS 8

/* metrics.jsonl line of one finished task (percent; NAN where absent) */
typedef struct {
    int valid;            /* the line was read */
    double acc, avg_acc, old_acc, new_acc, forgetting, bwt, fwt;
    double clip_acc;      /* dual-path methods: the CLIP branch alone */
    double heldout_acc;
    double bc_ratio;      /* drift boundary/core ratio (NAN: undefined) */
} run_task_metrics;

/* the final {"last", ...} line */
typedef struct {
    int valid;
    double last, avg, forgetting, bwt, fwt;
    int has_clip;
    double clip_last, clip_avg, clip_forgetting, clip_bwt, clip_fwt;
    double bc_ratio, heldout_pre, heldout_final; /* NAN where absent */
} run_final_metrics;

/* one "step" event */
typedef struct {
    int task;              /* 0-based */
    int epoch, epochs;
    int64_t step, steps;   /* within the phase */
    float loss, lr;
    float term[RUN_MAX_TERMS]; /* by the record's term names (NAN: not in this step) */
    double images_per_s, eta_s, time;
} run_step;

typedef struct {
    char *dir;
    char *method, *benchmark, *order_desc, *task_split; /* "segp", "shapes", "latin", "B0-Inc10" */
    char *eval_split;      /* "test" (also for runs older than the key), or "val (...)" */
    uint64_t seed;
    int analytics_off;     /* config.json's analytics.enabled is false: no drift, geometry or
                            * projections were saved (figures say so rather than guess) */
    char *config_sha256;   /* of config.json's bytes (provenance of figures) */
    char *build;           /* the build that made the run (config.json "resolved"), or "" */
    char *machine;         /* where and with what, one line: host, CPU, threads, kernels, OS,
                            * compiler (the parts config.json records; older runs have fewer) */
    int num_classes, num_tasks;
    int32_t *class_order;  /* [num_classes] benchmark labels in learning order */
    char **class_names;    /* [num_classes] by benchmark label */
    int *task_first, *task_size; /* task t = class_order[task_first[t] .. + task_size[t]] */
    int *class_task;       /* [num_classes] by benchmark label: its task (0-based) */

    /* progress */
    int tasks_done;        /* tasks 0..tasks_done-1 have their DONE marker */
    int run_done;          /* DIR/DONE */

    /* accuracy: R[i*T + j] in percent after task i on task j, NAN where not measured;
     * R_clip likewise for the CLIP branch of a dual-path method (NULL otherwise) */
    double *R, *R_clip;
    run_task_metrics *task;  /* [num_tasks] */
    run_final_metrics final;

    /* events */
    int n_terms;
    char *term_names[RUN_MAX_TERMS]; /* loss terms in order of first appearance ("cls", ...) */
    run_step *steps;
    int n_steps, cap_steps;
    double *task_wall_s;   /* [num_tasks] task_end's elapsed_s: pauses left out (else task_start
                            * to task_end; NAN: not finished) */
    int cur_task;          /* the task of the latest event (-1: none) */
    char phase[32];        /* the latest phase ("train", "anchors", ...; "" before any) */
    int64_t phase_step, phase_steps; /* progress within it */
    double run_start_time, last_time;
    char *last_error;      /* text of the latest error event, or NULL */
    char *config_note;     /* config.json against its config.json.sha256: why they disagree
                            * (edited since the run started, or a damaged record), or NULL */
    int n_events;
    double *task_start_time_; /* [num_tasks] internal: the task_start event's time */
    double *task_paused_s_;   /* [num_tasks] internal: seconds paused since then ("resumed") */
    double pause_time_;       /* internal: the time of a "paused" not yet resumed (NAN: none) */
    size_t events_read_;      /* internal: bytes of events.jsonl read, through its last newline */
    char *events_tail_;       /* internal: a last line read without its newline (a writer may
                               * still be adding it), or NULL */
} run_record;

/* Open DIR. -1 + error naming the file (config.json missing or not a segp run config,
 * a matrix of the wrong shape, ...). OUT is zeroed on failure. */
int run_record_open(const char *dir, run_record *out);
void run_record_free(run_record *r);

/* Re-read what a live run has written since (metrics, matrices, DONE markers; events are not
 * re-read: feed them with run_record_add_event). -1 + error naming the file. */
int run_record_refresh(run_record *r);

/* Read the events a run being written by another process (rundir_locked) has appended to
 * events.jsonl since the record was opened or last followed: complete lines only (a line the
 * writer is still adding waits for the next call). *N_NEW (may be NULL) = events read. 0, or
 * -1 + error naming the file when it no longer extends what was read (replaced, or cut):
 * open the record again then. */
int run_record_follow(run_record *r, int *n_new);

/* One event as JSON text (an events.jsonl line or event_to_json's output). Unknown events are
 * ignored; 0, or -1 + error when LINE is not a JSON object. */
int run_record_add_event(run_record *r, const char *line);

/* Helpers over the record. */
const char *run_class_name(const run_record *r, int label);  /* "?" out of range */
int run_seen_classes(const run_record *r, int t);             /* classes of tasks 0..t */
int run_term_index(const run_record *r, const char *name);    /* -1 when absent */
/* Seconds from task T's start to the newest event, less the pauses ended in between ("resumed"
 * events; a pause still open ends the span at its "paused" line, the newest then): the task's
 * own time, as its wall time leaves them out (NAN: not started, or no times). */
double run_task_elapsed(const run_record *r, int t);

enum { RUN_STATE_PRE = 0, RUN_STATE_TEACHER = 1, RUN_STATE_STUDENT = 2, RUN_STATES = 3 };
extern const char *const run_state_names[RUN_STATES]; /* "pre", "teacher", "student" */

/* tasks/NN/ of one finished task (each part NULL / 0 when its file is absent). */
typedef struct {
    int task;              /* 0-based */
    int n_old, n_new, n_seen;
    int32_t *labels;       /* [n_seen] benchmark labels of the seen classes, learning order */

    /* drift.safetensors */
    int has_drift;
    int n_drift;
    float *drift, *interface;  /* [n_drift] */
    int32_t *drift_class;      /* [n_drift] position in the seen list */
    uint8_t *drift_is_old;     /* [n_drift] */
    int bins;
    float *edges;              /* [bins + 1] */
    float *mean_old, *mean_new, *count_old, *count_new; /* [bins] */

    /* geometry.safetensors */
    int has_geometry;
    int e;
    float *text[RUN_STATES], *means[RUN_STATES];  /* [n_seen, e] */
    float *tt[RUN_STATES], *pt[RUN_STATES], *pp[RUN_STATES]; /* [n_seen, n_seen] */
    float *protos;             /* [n_seen, e] or NULL */
    int n_proj;
    int32_t *proj_kind, *proj_class, *proj_row; /* [n_proj] kind: 0 image 1 text 2 proto 3 anchor */
    float *proj_pca, *proj_tsne;  /* [n_proj, 2]; tsne NULL when absent */

    /* anchors.safetensors */
    int has_anchors;
    int n_anchors, k_adv, anchor_res, e_anchor;
    char anchor_source[16];
    int32_t *anchor_target, *anchor_seed;  /* [n_anchors] benchmark labels / item ids */
    float *anchor_score, *anchor_linf, *anchor_dist_seed; /* [n_anchors] */
    float *anchor_dist_proto;  /* [n_anchors] loss_vis's last column (1 - f.mu) */
    float *loss_text, *loss_vis;  /* [n_anchors, k_adv + 1] */
    float *anchor_emb;         /* [n_anchors, e] normalised teacher embeddings of the anchors */
    float *anchor_drift;       /* [n_anchors, e] f_student - f_teacher after training, or NULL */
    int n_anchor_images;
    uint8_t *anchor_images;    /* [n_anchor_images, res, res, 3] */
    int32_t *anchor_image_rows;/* [n_anchor_images] */

    /* prototypes.safetensors */
    int has_prototypes;
    float *mu;                 /* [n_seen, e] */
    float *rho;                /* [n_old] drift-transfer reliability (NULL at task 1) */

    /* analytics.json */
    int has_summary;
    analytics_summary summary;
} run_task_data;

/* Load tasks/NN/ of finished task T (0-based). -1 + error naming the file and tensor. */
int run_task_load(const run_record *r, int t, run_task_data *out);

/* ---- in-memory twins (run_record_open and run_task_load read the files and call these; the
 * fuzz targets call them directly). PATH / the task's file names stand for the files. ---- */

/* run_record_open over config.json, metrics.jsonl and events.jsonl in memory (metrics and
 * events may be NULL or have NULL data: absent); no matrix files (R all NAN, no R_clip) and no
 * DONE markers. DIR names the files in messages. */
typedef struct {
    const char *data;
    size_t size;
} run_text;
int run_record_open_memory(const char *dir, const run_text *config, const run_text *metrics,
                           const run_text *events, run_record *out);

/* tasks/NN/'s files in memory (data NULL: the file is absent). */
enum { RUN_FILE_GEOMETRY, RUN_FILE_DRIFT, RUN_FILE_ANCHORS, RUN_FILE_PROTOTYPES,
       RUN_FILE_ANALYTICS, RUN_TASK_FILES };
typedef struct {
    const void *data[RUN_TASK_FILES];
    size_t size[RUN_TASK_FILES];
} run_task_files;
/* run_task_load over FILES (no DONE marker is needed). */
int run_task_load_memory(const run_record *r, int t, const run_task_files *files,
                         run_task_data *out);
void run_task_data_free(run_task_data *d);

#endif
