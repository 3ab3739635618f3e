/* train_options.h: the training keys that joint fine-tuning (`segp finetune`) and a continual
 * run (`segp run`) share: one struct, embedded as .train in both configs, and one table of its
 * keys (train.*, lora.*, prompt_template, augment.*) that both config tables include, so the
 * two commands take the same keys with the same bounds and documentation. */
#ifndef SEGP_TRAIN_OPTIONS_H
#define SEGP_TRAIN_OPTIONS_H

#include <stdint.h>

#include "core/config.h"
#include "data/augment.h"
#include "model/lora.h"
#include "optim.h"
#include "step.h"

typedef struct {
    int epochs, batch_size;
    char optimizer[8];  /* "sgd" / "adamw" */
    float lr, momentum, weight_decay;
    int data_parallel;  /* the image batch split across the threads (train_step_params) */
    int rank;           /* LoRA */
    float alpha;
    char template_[256]; /* class prompt, {} = class name */
    /* training augmentation: RandomResizedCrop(scale_min..scale_max) + flip, seeded */
    int augment;
    float aug_scale_min, aug_scale_max, aug_flip;
} train_options;

/* The keys, with offsets within train_options (cfg_fields_append moves them into a config). */
const cfg_field *train_options_fields(int *n);

/* Defaults other than those a command chooses (epochs, batch size, optimiser): lr 1e-3,
 * momentum 0.9, no weight decay, data_parallel on, rank 32, alpha 32, "a photo of a {}.",
 * augmentation off with torchvision's crop scales and a flip half the time. */
train_options train_options_default(void);

/* train.optimizer is known and the crop range is not empty; -1 + error naming the key. */
int train_options_check(const train_options *o);

/* What the options set up for training LORA (of model M) on both towers: the optimiser
 * (train.optimizer, momentum, weight decay) over its trainable numbers in *opt, and the step
 * (data_parallel). NULL + error (*opt then NULL); free with train_step_free, optim_free. */
train_step *train_options_lora_step(const train_options *o, clip_model *m, clip_lora *lora,
                                    optim **opt);

/* The augmentation of the options (crop scales, flip) at px, seeded by SEED. */
augment_config train_options_augment(const train_options *o, int px, uint64_t seed);

/* The pixels of one batch: items ORDER[0..k-1] of CACHE (8-bit RGB at px, as
 * benchmark_images), augmented by AC for EPOCH when augment.enabled (keyed by the item's index
 * in CACHE), else only normalised; out k x 3 x px x px. */
void train_options_batch(const train_options *o, const augment_config *ac, const uint8_t *cache,
                         int px, const int32_t *order, int k, int epoch, float *out);

#endif
