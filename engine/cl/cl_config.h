/* cl_config.h: the config of a continual-learning run (`segp run CONFIG`): one table of every
 * key (documented; `segp run --help` prints it), its defaults, and the checks that run before
 * any work starts (model file, method, task counts, class order), each naming its key. */
#ifndef SEGP_CL_CONFIG_H
#define SEGP_CL_CONFIG_H

#include <stdint.h>

#include "core/config.h"
#include "data/benchmark.h"
#include "train/train_options.h"

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
} cl_config;

cl_config cl_config_default(void);
const cfg_field *cl_config_fields(int *n);

/* Parse a config file over the defaults; -1 + error naming the file and key. */
int cl_config_parse_file(const char *path, cl_config *c);
/* Checks that need no model or data: method, loss.cls_classes, train.optimizer, augment bounds,
 * the model file's existence. -1 + error naming the key. The benchmark's keys are checked
 * when it opens (benchmark_open names them). */
int cl_config_check(const cl_config *c);

#endif
