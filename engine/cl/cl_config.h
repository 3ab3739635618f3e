/* cl_config.h: the config of a continual-learning run (`segp run CONFIG`): one table of every
 * key (documented; `segp run --help` prints it), its defaults, and the checks that run before
 * any work starts (model file, method, task counts, class order), each naming its key. */
#ifndef SEGP_CL_CONFIG_H
#define SEGP_CL_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "data/benchmark.h"
#include "train/train_options.h"

/* SeGP-CL's parts (METHOD.md §3-§8, §10), each a key so that every ablation is one switch.
 * They act only with method "segp"; other methods ignore them. */
typedef struct {
    char anchors[16];    /* anchors.source: "pgd", "seeds", "new_task" */
    int k_seed;          /* anchors.per_class */
    int k_adv;           /* anchors.steps */
    float gamma;         /* anchors.step_size */
    float epsilon;       /* anchors.epsilon */
    float lambda_p;      /* anchors.lambda_p */
    float lambda_acgd;   /* acgd.lambda (0: off) */
    float tau_acgd;      /* acgd.tau */
    int acgd_batch;      /* acgd.batch */
    float lambda_gr;     /* tsgr.lambda (0: off) */
    int tsgr_k;          /* tsgr.k */
    float tau_gr;        /* tsgr.tau */
    int transfer;        /* prototypes.transfer */
    float tau_p;         /* prototypes.tau */
    float beta;          /* inference.beta */
} segp_options;

/* The per-task analytics (metrics/analytics.h). */
typedef struct {
    int enabled;          /* analytics.enabled */
    int bins;             /* analytics.drift_bins */
    float boundary_frac;  /* analytics.boundary_fraction */
    int tsne_points;      /* analytics.projection_points */
    int tsne_iters;       /* analytics.tsne_iterations */
    float perplexity;     /* analytics.tsne_perplexity */
    int anchor_images;    /* analytics.anchor_images_per_class (-1: all) */
} analytics_options;

typedef struct {
    char model[1024];       /* CLIP safetensors */
    char method[32];        /* "zeroshot", "finetune", "joint" (later "segp") */
    uint64_t seed;          /* data order, augmentation, LoRA A */
    benchmark_params bench; /* keys "benchmark.*": benchmark_config_fields */
    /* training (shared by every method, so baselines and methods are matched) */
    train_options train;    /* train.*, lora.*, prompt_template, augment.*: train_options.h */
    int warmup_steps;
    char cls_classes[8];    /* L_cls candidates: "task" (default) or "seen" */
    int eval_batch;
    int max_tasks;          /* run only the first N tasks (0: all) */
    char keep_checkpoints[8]; /* "all" or "last" (tasks/NN/lora.safetensors) */
    char device[16];        /* "cpu", "cuda", "cuda:N" */
    char precision[8];      /* "auto", "fp32", "tf32", "bf16" (backend.h segp_math) */
    segp_options segp;
    analytics_options analytics;
} cl_config;

cl_config cl_config_default(void);
const cfg_field *cl_config_fields(int *n);

/* Parse a config file over the defaults; -1 + error naming the file and key. A run's
 * config.json is a config too: its "resolved" block (that run's record) is passed over. */
int cl_config_parse_file(const char *path, cl_config *c);
/* One command-line override "KEY=VALUE" (--set) over C: VALUE is read as the key's type (a
 * string as it is, or JSON-quoted; a number; true/false), then checked like the same key in a
 * file. -1 + error naming the assignment, the key and what was expected. */
int cl_config_set(cl_config *c, const char *assignment);
/* The N --set assignments in order, as cl_config_set; a key set twice among them is refused by
 * name, as a key given twice in a file is. */
int cl_config_set_all(cl_config *c, const char *const *assignments, int n);
/* What a run recorded of the process that made it, beyond its config keys: the numbers of a
 * re-run task match the original's only with the same model, build, thread count and BLAS
 * kernels. */
typedef struct {
    char model_sha256[65]; /* hex; "" when absent */
    int threads;           /* 0 when absent */
    char blas[32];         /* OpenBLAS kernel set (resolved.blas); "" when absent */
    char model_path[1024]; /* the model's absolute path when the run started; "" when absent */
    char build[128];       /* segp's build id (resolved.build); "" when absent */
} cl_run_provenance;

/* A run directory's config.json (N bytes of TEXT; PATH names it): its config keys over C (the
 * defaults on entry), and from its "resolved" object what *PROV holds. -1 + error naming the
 * file and key. */
int cl_config_parse_run(const char *text, size_t n, const char *path, cl_config *c,
                        cl_run_provenance *prov);
/* Checks that need no model or data: method, loss.cls_classes, train.optimizer, augment bounds,
 * the model file's existence. -1 + error naming the key. The benchmark's keys are checked
 * when it opens (benchmark_open names them). */
int cl_config_check(const cl_config *c);
/* The SeGP-CL keys alone (part of cl_config_check). The neighbour count tsgr.k is checked
 * against the run's classes once the benchmark is open (cl_runner_new). */
int cl_config_check_segp(const segp_options *s);

#endif
