/* finetune.h: joint LoRA-B fine-tuning on all classes of the shapes benchmark (the upper bound
 * the continual-learning runs are compared with): L_cls cross-entropy of CLIP logits over all
 * 100 class prompts, student LoRA on both towers, SGD with momentum (or AdamW), cosine decay,
 * optionally the seeded training augmentation of engine/data/augment.h. */
#ifndef SEGP_FINETUNE_H
#define SEGP_FINETUNE_H

#include <stdint.h>

#include "model/clip.h"
#include "core/config.h"
#include "model/lora.h"
#include "model/zeroshot.h"

typedef struct {
    uint64_t seed;      /* data order and LoRA A */
    uint64_t world_seed;
    int train_per_class, test_per_class;
    float train_hard_rate;
    int epochs, batch_size;
    float lr, momentum, weight_decay;
    char optimizer[8];  /* "sgd" or "adamw" */
    int data_parallel;  /* split batches across threads (train_step_params.data_parallel) */
    int rank;
    float alpha;
    char template_[128];
    /* training augmentation: RandomResizedCrop(scale_min..scale_max) + flip, seeded */
    int augment;
    float aug_scale_min, aug_scale_max, aug_flip;
} finetune_config;

finetune_config finetune_default_config(void);
const cfg_field *finetune_config_fields(int *n);

typedef struct {
    int epoch, epochs, step, steps;
    float loss;
    double images_per_s, eta_s;
    int is_eval;
    shapes_zeroshot_result eval; /* valid when is_eval */
} finetune_event;

typedef void (*finetune_callback)(const finetune_event *ev, void *user);

/* Trains LORA (created by the caller for model M, B usually 0) in place and evaluates it on
 * the test split at the end (res). -1 + error. */
int shapes_joint_finetune(clip_model *m, clip_lora *lora, clip_tokenizer *tok,
                          const finetune_config *c, finetune_callback cb, void *user,
                          shapes_zeroshot_result *res);

#endif
