/* methods.h: a continual-learning method = a set of loss terms and hooks on the one runner
 * (runner.h). The baselines of this file set only flags: "zeroshot" never trains, "finetune"
 * trains LoRA-B on each task in turn with L_cls, "joint" trains once on every class (the
 * matched upper bound) and is then evaluated task by task. SeGP-CL adds its parts through the
 * hooks: anchors before a task (before_task), anchor images appended to the image batch
 * (extend_batch) with ACGD and TSGR as more loss terms (add_terms), prototypes and drift
 * transfer after a task (after_task), and dual-path logits at evaluation (eval_logits). */
#ifndef SEGP_CL_METHODS_H
#define SEGP_CL_METHODS_H

#include <stdint.h>

#include "cl/anchors.h"
#include "cl/cl_config.h"
#include "data/benchmark.h"
#include "model/clip.h"
#include "model/lora.h"
#include "run/events.h"
#include "text/tokenizer.h"
#include "train/step.h"

/* What a hook sees of the run at task t. */
typedef struct {
    clip_model *model;
    clip_tokenizer *tok;
    const benchmark *bench;
    const cl_config *cfg;
    clip_lora *student;       /* trained */
    const clip_lora *teacher; /* B at the start of this task */
    int task, num_tasks;      /* 0-based */
    const int *seen;          /* labels of tasks 0..t in learning order */
    int n_seen;
    const int *current;       /* labels of task t */
    int n_current;
    const char *task_dir;     /* DIR/tasks/NN: where a method saves its files (anchors...) */
    event_sink *events;
    /* the teacher's class-prompt embeddings, as benchmark_class_embeddings gives them for the
     * test split (every class, label order), when the run has them at hand (else NULL): valid
     * in before_task only */
    const float *teacher_text;
} cl_task_ctx;

/* One training batch: data rows first (images with their labels; the prompts of the L_cls
 * classes), then whatever a method appends (anchor images, more prompts). */
typedef struct {
    float *pixels;   /* [cap_img, 3, r, r] */
    int n_img, n_data_img, cap_img;
    int32_t *ids;    /* [cap_txt, context] */
    int n_txt, n_data_txt, cap_txt;
    int img_numel, context;
} cl_batch;
/* Make room for N_IMG images and N_TXT prompts in total (keeps the contents). */
void cl_batch_reserve(cl_batch *b, int n_img, int n_txt);

#define CL_MAX_TERMS 8

/* What a method adds to the analytics of a task (metrics/analytics.h): pointers into its own
 * state, valid until its next hook call. */
typedef struct {
    const float *protos;         /* [n_seen, e] prototypes of the seen classes (learning
                                  * order), or NULL */
    int n_anchor;                /* this task's anchors (0: none) */
    const float *anchor_student; /* [n_anchor, e] normalised student embeddings */
    const int32_t *anchor_class; /* [n_anchor] position of the target class in the seen list */
} cl_method_analytics;

typedef struct cl_method {
    const char *name;
    const char *doc;
    int trains; /* 0: no training at all */
    int joint;  /* 1: one training phase on every class, at the first task */
    /* Every hook may be NULL. All return 0, or -1 + error. STATE is the method's own. */
    int (*init)(void **state, const cl_config *cfg);
    void (*free)(void *state);
    int (*before_task)(void *state, cl_task_ctx *ctx);
    int (*extend_batch)(void *state, cl_task_ctx *ctx, cl_batch *b, int step);
    /* The most rows extend_batch appends to a step of a task of N_SEEN classes, N_CURRENT of
     * them new (images, prompts): for the memory check before the run (runner_internal.h). */
    void (*step_rows)(const cl_config *cfg, int n_seen, int n_current, int *n_img, int *n_txt);
    /* The anchors before_task builds for task TASK of N_SEEN classes, N_CURRENT of them new:
     * the old classes they serve (0: none) and the build's parameters into *P, for the memory
     * check before the run. */
    int (*task_anchors)(const cl_config *cfg, int task, int n_seen, int n_current,
                        dpgd_params *p);
    /* Append loss terms after L_cls (terms[0]); returns how many were added. */
    int (*add_terms)(void *state, cl_task_ctx *ctx, loss_term *terms, int max);
    int (*after_task)(void *state, cl_task_ctx *ctx);
    /* Replace or adjust LOGITS [n, n_cls] (classes CLS in learning order) from the student's
     * normalised image embeddings IMG [n, e] (dual-path inference). */
    int (*eval_logits)(void *state, cl_task_ctx *ctx, const float *img, int n, const int *cls,
                       int n_cls, float *logits);
    /* The method's part of the task's analytics (after eval_logits). */
    int (*analytics)(void *state, cl_task_ctx *ctx, cl_method_analytics *out);
    /* Resume: reload what after_task saved in ctx->task_dir for a finished task. */
    int (*load_task)(void *state, cl_task_ctx *ctx);
} cl_method;

const cl_method *cl_method_find(const char *name); /* NULL when unknown */
int cl_method_count(void);
const cl_method *cl_method_at(int i);

#endif
