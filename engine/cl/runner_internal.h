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
#include "train/step_memory.h"

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
    cl_matrix *matrix;
    cl_matrix *clip_matrix; /* the CLIP branch alone, for methods with eval_logits (else NULL) */
    double *bc_ratio;       /* drift boundary/core ratio after each task (NAN: undefined) */
    float *eval_img;        /* the last evaluation's student embeddings of tasks 0..jmax */
    int eval_task;          /* the task of eval_img (-1: none) */
    float *teach_img;       /* the teacher's embeddings of tasks 0..teach_task (the evaluation
                             * before), valid for task teach_task (-1: none) */
    int teach_task;
    float *pre_img;         /* pretrained embeddings of every test item (analytics), or NULL */
    /* the class prompts' embeddings (every class, label order) beside the images': the last
     * evaluation's student's (with eval_img), the teacher's (with teach_img; NULL when
     * teach_img was made again after a resume) and the pretrained model's (once per run, or
     * NULL). The same call under the same weights gives the same numbers: the analytics and
     * the next task's anchors take these instead of encoding the prompts again. */
    float *eval_txt, *teach_txt, *pre_txt;
    double *heldout, heldout_pre, *wall_s;
    int tasks_done, stopped_task;
    double run_t0;
    int lock_fd;            /* DIR/.lock held while this runner writes (-1: none) */
};

/* The hook context of task t. */
void cl_runner_task_ctx(cl_runner *r, int t, const char *task_dir, cl_task_ctx *ctx);

/* The training phase of task t: 0 done, 1 stopped by the callback, -1 + error. */
int cl_train_task(cl_runner *r, int t, cl_task_ctx *ctx);
/* Before the run: the largest training step of the run's tasks (train/step_memory.h) into
 * *WORST (its LoRA shape into *LP) with the text naming train.batch_size (and acgd.batch) and
 * the advice for step_memory_check; its bytes, or -1 when the method does not train. */
double cl_train_memory(const cl_runner *r, const clip_config *mc, clip_lora_params *lp,
                       step_memory *worst, char *what, size_t what_size, const char **advice);
/* Before the run (run_memory.c): the largest phase of the run (a training step, the anchors,
 * an evaluation, the prototypes, the analytics) fits in the machine's memory; -1 + error naming
 * the key that sets that phase's size, the GiB it needs and the GiB there are. A read-only
 * runner (cl_runner_reevaluate) counts the evaluations of the tasks it re-evaluates alone. */
int cl_run_check_memory(const cl_runner *r, const clip_config *mc);

/* Evaluate the student after task t: hits of every task 0..min(t+1, T-1) into the matrix's row
 * t; held-out accuracy into *heldout (NAN when none). 0, 1 (stopped), -1 + error. */
int cl_eval_task(cl_runner *r, int t, cl_task_ctx *ctx, double *heldout);
/* Normalised image embeddings of the test items of tasks 0..t_last under LORA (the same items
 * and chunks as the evaluation of task t_last - 1, so the numbers are the same) into OUT.
 * 0, 1 (stopped by the callback) or -1 + error. */
int cl_eval_embed_tasks(cl_runner *r, const clip_lora *lora, int t_last, float *out);

/* The analytics of task t (metrics/analytics.h) into its folder; r->bc_ratio[t]. Called
 * after cl_eval_task. 0, 1 (stopped by the callback) or -1 + error. */
int cl_analytics_task(cl_runner *r, int t, cl_task_ctx *ctx);

/* Held-out zero-shot accuracy of LORA (NULL: pretrained); NAN when the benchmark has none.
 * 0, 1 (stopped by the callback) or -1 + error. */
int cl_eval_heldout(cl_runner *r, const clip_lora *lora, double *acc);

/* Emit an event of this run (task -1: run level). */
event_reply cl_emit(cl_runner *r, segp_event *ev);

/* runner_progress.c: the finished tasks' files. Task t's eval.json, checkpoint, metrics.jsonl
 * and then DONE (WALL seconds), dropping the previous checkpoint under keep_checkpoints "last";
 * metrics.jsonl for tasks 0..n_done-1; each 0 or -1 + error naming the file. */
int runner_finish_task(cl_runner *r, int t, double wall);
int runner_write_metrics(cl_runner *r, int n_done);
/* Task t's matrix row and held-out accuracy (eval.json), wall time (DONE) and drift ratio
 * (analytics.json, absent with analytics off), read back: 0, or -1 + error saying which DONE
 * files to delete to re-run it. */
int runner_read_task_eval(cl_runner *r, int t);
int runner_read_task_done(cl_runner *r, int t);
int runner_read_task_ratio(cl_runner *r, int t);
/* The finished tasks (each with its DONE, in order) read back, the last checkpoint into the
 * student; *start = the first task to run. 0 or -1 + error. */
int runner_load_progress(cl_runner *r, int *start);
/* The metrics object of task t for its event (JSON text, to free); NULL when the matrix has
 * no row t. */
char *runner_metrics_json(cl_runner *r, int t);

#endif
