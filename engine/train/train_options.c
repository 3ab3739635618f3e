/* train_options.c: the shared training keys, their defaults and checks (train_options.h). */
#include "train_options.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "core/common.h"
#include "io/image.h"
#include "model/zeroshot.h"
#include "optim.h"

#define F(key, type, field, lo, hi, doc) {key, type, offsetof(train_options, field), lo, hi, 0, doc}
#define S(key, field, doc)                                                                      \
    {key, CFG_STRING, offsetof(train_options, field), 0, 0,                                     \
     sizeof(((train_options *)0)->field), doc}
static const cfg_field fields[] = {
    F("train.epochs", CFG_INT, epochs, 1, 100000,
      "passes over the training images (in a run: each task's)"),
    F("train.batch_size", CFG_INT, batch_size, 1, 65536, "images per step"),
    S("train.optimizer", optimizer, "\"sgd\" (momentum) or \"adamw\""),
    F("train.lr", CFG_FLOAT, lr, 0, 100,
      "peak learning rate (cosine decay to 0; in a run, within each task)"),
    F("train.momentum", CFG_FLOAT, momentum, 0, 0.999999, "SGD momentum"),
    F("train.weight_decay", CFG_FLOAT, weight_decay, 0, 10, "weight decay of B"),
    F("train.data_parallel", CFG_BOOL, data_parallel, 0, 1,
      "split each image batch across the threads (one fork per pass: much faster for small "
      "models and on busy machines; a batch with fewer images than threads runs unsplit; sums "
      "round differently from an unsplit run, so results are deterministic per thread count)"),
    F("lora.rank", CFG_INT, rank, 1, 4096,
      "LoRA rank r (q, v, c_fc, c_proj of every block, both towers)"),
    F("lora.alpha", CFG_FLOAT, alpha, 0, 100000, "LoRA alpha (scale alpha / r)"),
    S("prompt_template", template_, "class prompt; {} is replaced by the class name"),
    F("augment.enabled", CFG_BOOL, augment, 0, 1,
      "random resized crop + flip of training images (seeded by seed)"),
    F("augment.scale_min", CFG_FLOAT, aug_scale_min, 0.01, 1,
      "smallest crop, as a fraction of the image area"),
    F("augment.scale_max", CFG_FLOAT, aug_scale_max, 0.01, 1,
      "largest crop, as a fraction of the image area"),
    F("augment.flip", CFG_FLOAT, aug_flip, 0, 1, "probability of a left-right flip"),
};
#undef F
#undef S

const cfg_field *train_options_fields(int *n) {
    *n = (int)(sizeof fields / sizeof fields[0]);
    return fields;
}

train_options train_options_default(void) {
    train_options o;
    memset(&o, 0, sizeof o);
    o.lr = 1e-3f;
    o.momentum = 0.9f;
    o.weight_decay = 0.0f;
    o.data_parallel = 1;
    o.rank = 32;
    o.alpha = 32.0f;
    snprintf(o.template_, sizeof o.template_, "a photo of a {}.");
    o.augment = 0;
    o.aug_scale_min = 0.08f; /* torchvision's RandomResizedCrop defaults */
    o.aug_scale_max = 1.0f;
    o.aug_flip = 0.5f;
    return o;
}

int train_options_check(const train_options *o) {
    optim_kind k;
    if (optim_kind_parse(o->optimizer, "train.optimizer", &k) != 0) return -1;
    if (zeroshot_check_template(o->template_, "key 'prompt_template'") != 0) return -1;
    if (o->aug_scale_min > o->aug_scale_max)
        return SEGP_FAIL("augment.scale_min %g is larger than augment.scale_max %g",
                         (double)o->aug_scale_min, (double)o->aug_scale_max);
    return 0;
}

train_step *train_options_lora_step(const train_options *o, clip_model *m, clip_lora *lora,
                                    optim **opt) {
    *opt = NULL;
    optim_kind kind;
    if (optim_kind_parse(o->optimizer, "train.optimizer", &kind) != 0) return NULL;
    optim_params op = optim_default_params(kind);
    op.momentum = o->momentum;
    op.weight_decay = o->weight_decay;
    *opt = optim_new(clip_model_backend(m), &op, clip_lora_trainable(lora), NULL);
    if (!*opt) return NULL;
    train_step_params sp = {.lora = lora, .opt = *opt, .train_vision = 1, .train_text = 1,
                            .data_parallel = o->data_parallel};
    train_step *s = train_step_new(m, &sp);
    if (!s) {
        optim_free(*opt);
        *opt = NULL;
    }
    return s;
}

augment_config train_options_augment(const train_options *o, int px, uint64_t seed) {
    augment_config ac;
    augment_config_default(&ac, px, seed);
    ac.scale_lo = o->aug_scale_min;
    ac.scale_hi = o->aug_scale_max;
    ac.flip_p = o->aug_flip;
    return ac;
}

void train_options_batch(const train_options *o, const augment_config *ac, const uint8_t *cache,
                         int px, const int32_t *order, int k, int epoch, float *out) {
    size_t sz = (size_t)3 * px * px;
#pragma omp parallel for schedule(static)
    for (int i = 0; i < k; i++) {
        int it = order[i];
        image_rgb src = {px, px, (uint8_t *)cache + (size_t)it * sz};
        if (o->augment) augment_train_clip(ac, &src, epoch, it, out + (size_t)i * sz);
        else image_clip_normalize(src.rgb, px, out + (size_t)i * sz);
    }
}
