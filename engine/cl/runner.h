/* runner.h: the continual-learning runner (METHOD.md §2): tasks in order; the teacher snapshot
 * at each task start; the method's hooks; training with the one training step (L_cls and the
 * method's loss terms, student LoRA-B on both towers); evaluation after each task on every seen
 * class and on the incoming task (zero-shot, for FWT) and on held-out classes; the run
 * directory (rundir.h) written as it goes; resume after the last finished task.
 *
 * ggml-style API: an opaque context from cl_runner_new (a new run: every check runs before the
 * directory is created) or cl_runner_open (an existing run: resume or re-evaluate), a callback
 * for events (events.h) whose reply can pause or abort, and cl_runner_free.
 *
 * Determinism: the seed fixes LoRA A, each task's data order and augmentation; a task re-run
 * from its start after a crash gives the same numbers, so a resumed run's metrics files are
 * byte-identical to an uninterrupted run's (same build and thread count). */
#ifndef SEGP_CL_RUNNER_H
#define SEGP_CL_RUNNER_H

#include <stddef.h>

#include "cl/cl_config.h"
#include "metrics/cl_metrics.h"
#include "run/events.h"

typedef struct cl_runner cl_runner;

typedef struct {
    event_callback cb; /* may be NULL */
    void *user;
    /* cl_runner_open only: run on this device / precision instead of the recorded run.device /
     * run.precision (NULL: as recorded) */
    const char *device, *precision;
    /* cl_runner_open only: write nothing into the run directory (events reach the callback
     * only), for cl_runner_reevaluate; cl_runner_run refuses such a runner */
    int read_only;
    /* cl_runner_new only: the command-line overrides ("KEY=VALUE", --set) already applied to
     * the config, recorded in config.json's resolved.overrides beside resolved.config_file */
    const char *const *overrides;
    int n_overrides;
    /* cl_runner_open only: one more folder to look for a relative `model` path in when it is
     * neither under the current directory nor at the path the run recorded (the app passes
     * segp's own folder, the shipped model's); the SHA-256 is checked either way. NULL: none */
    const char *model_dir;
    /* cl_runner_new only: DIR is a default name (runs/CONFIG-DATE-TIME): when another run has
     * taken it meanwhile (one started the same second), DIR-2, DIR-3, ... (cl_runner_result's
     * dir says which) */
    int free_dir;
} cl_runner_params;
cl_runner_params cl_runner_default_params(void);

/* A new run of config C into DIR (created only after the config, model and benchmark checks
 * pass; never an existing directory). CONFIG_PATH is recorded. NULL + error naming the key. */
cl_runner *cl_runner_new(const cl_config *c, const char *config_path, const char *dir,
                         const cl_runner_params *p);
/* The checks cl_runner_new runs before it loads the model: the config's values, the benchmark
 * and its tasks, tsgr.k and anchors.per_class against the run's classes and images, and when
 * FILES the image files (the head of each file the run reads: a training method's splits, or
 * the test split alone). Nothing is written. 0, or -1 + error naming the key. */
int cl_runner_check(const cl_config *c, int files);
/* An existing run directory (its config.json). NULL + error naming the file. */
cl_runner *cl_runner_open(const char *dir, const cl_runner_params *p);
void cl_runner_free(cl_runner *r);

/* Train and evaluate every task without a DONE marker (a half-done task restarts from its
 * beginning). 0: the run is complete; 1: stopped by the callback (the finished tasks are saved;
 * resume continues); -1 + error. */
int cl_runner_run(cl_runner *r);

/* Re-evaluate the saved checkpoint of every finished task into the result's matrix (files are
 * not changed); *n_differ = entries that differ from the saved tasks/NN/eval.json counts (both
 * matrices of a dual-path method); *n_skipped (may be NULL) = finished tasks whose checkpoint
 * was not kept (run.keep_checkpoints "last"; their saved rows stand). 0, 1 (stopped by the
 * callback), -1 + error naming the file. */
int cl_runner_reevaluate(cl_runner *r, int *n_differ, int *n_skipped);

typedef struct {
    const char *dir, *method, *benchmark, *order;
    const char *eval_split; /* "test", or "val (...)": what the accuracies were measured on */
    int num_tasks;          /* tasks of this run */
    int tasks_done;
    int stopped_task;       /* task interrupted by the callback, or -1 */
    const cl_matrix *matrix;
    const cl_matrix *clip_matrix; /* the CLIP branch alone (dual-path methods), else NULL */
    const double *bc_ratio; /* drift boundary/core ratio after each task (NAN: undefined) */
    const double *heldout;  /* held-out zero-shot accuracy after each task (NAN: none) */
    double heldout_pre;     /* the pretrained model's (NAN: the benchmark has none) */
    int num_heldout;
    const double *wall_s;   /* measured wall time of each finished task */
    size_t trainable;       /* LoRA-B numbers, from the model */
    int run_done;           /* DIR/DONE exists */
} cl_run_result;
void cl_runner_result(const cl_runner *r, cl_run_result *out);

#endif
