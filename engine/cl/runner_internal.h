/* runner_internal.h: the runner's state, shared by runner.c (set-up, the task loop, files),
 * cl_train.c (the training phase) and cl_eval.c (evaluation). Not a public header. */
#ifndef SEGP_RUNNER_INTERNAL_H
#define SEGP_RUNNER_INTERNAL_H

#include <stdint.h>

#include "cl/methods.h"
#include "cl/runner.h"
#include "data/benchmark.h"
#include "model/clip.h"
#include "model/lora.h"
#include "run/events.h"
#include "text/tokenizer.h"

struct cl_runner {
    cl_config cfg;
    char dir[4096];
    const cl_method *method;
    void *mstate;
    clip_model *model;
    clip_tokenizer *tok;
    benchmark *bench;
    clip_lora *student, *teacher;
    event_sink *events;
    cl_runner_params params;
    int T;              /* tasks of this run (run.max_tasks applied) */
    int *pos;           /* learning-order position of each label */
    int *task_start;    /* T+1: first learning-order position of each task */
    const int *order;   /* the benchmark's class order */
    int **test_idx;     /* per task: test items */
    int *n_test;
    uint8_t **test_cache; /* per task: 8-bit images at the model resolution, or NULL */
    int cache_tests;
    cl_matrix *matrix;
    double *heldout, heldout_pre, *wall_s;
    int tasks_done, stopped_task;
    double run_t0;
};

/* The hook context of task t. */
void cl_runner_task_ctx(cl_runner *r, int t, const char *task_dir, cl_task_ctx *ctx);

/* The training phase of task t: 0 done, 1 stopped by the callback, -1 + error. */
int cl_train_task(cl_runner *r, int t, cl_task_ctx *ctx);

/* Evaluate the student after task t: hits of every task 0..min(t+1, T-1) into the matrix's row
 * t; held-out accuracy into *heldout (NAN when none). 0, 1 (stopped), -1 + error. */
int cl_eval_task(cl_runner *r, int t, cl_task_ctx *ctx, double *heldout);
/* Held-out zero-shot accuracy of LORA (NULL: pretrained); NAN when the benchmark has none. */
int cl_eval_heldout(cl_runner *r, const clip_lora *lora, double *acc);

/* Emit an event of this run (task -1: run level). */
event_reply cl_emit(cl_runner *r, segp_event *ev);

#endif
