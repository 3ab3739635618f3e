/* finetune.h: joint LoRA-B fine-tuning on all classes of a benchmark at once (the upper bound
 * the continual-learning runs are compared with): L_cls cross-entropy of CLIP logits over every
 * class prompt, student LoRA on both towers, SGD with momentum (or AdamW), cosine decay,
 * optionally the seeded training augmentation of engine/data/augment.h. Any benchmark of
 * data/benchmark.h (benchmark.* keys); the default is the shapes world. */
#ifndef SEGP_FINETUNE_H
#define SEGP_FINETUNE_H

#include <stdint.h>

#include "core/config.h"
#include "data/benchmark.h"
#include "model/clip.h"
#include "model/lora.h"
#include "model/zeroshot.h"
#include "train_options.h"

typedef struct {
    uint64_t seed;      /* data order and LoRA A */
    benchmark_params bench; /* benchmark.* keys; the world.* keys are aliases of its shapes ones */
    train_options train; /* train.*, lora.*, prompt_template, augment.*: train_options.h */
} finetune_config;

finetune_config finetune_default_config(void);
const cfg_field *finetune_config_fields(int *n);

typedef struct {
    int epoch, epochs, step, steps;
    float loss;
    double images_per_s, eta_s;
    int n_train;        /* training items (first event) */
} finetune_event;

typedef void (*finetune_callback)(const finetune_event *ev, void *user);

/* The configured benchmark for model M (the shapes world renders at the model's resolution
 * unless benchmark.image_size says otherwise). NULL + error naming the key. */
benchmark *finetune_open_benchmark(const finetune_config *c, const clip_model *m);

/* Trains LORA (created by the caller for model M, B usually 0) in place on every training item
 * of benchmark B, then evaluates it on the test split with every class as a candidate (res,
 * bench_eval_free). -1 + error. */
int joint_finetune(clip_model *m, clip_lora *lora, clip_tokenizer *tok, const benchmark *b,
                   const finetune_config *c, finetune_callback cb, void *user,
                   bench_eval_result *res);

#endif
