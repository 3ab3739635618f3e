/* finetune.c: joint LoRA-B fine-tuning on the shapes benchmark (see finetune.h). */
#include "finetune.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/common.h"
#include "data/augment.h"
#include "optim.h"
#include "step.h"

#define F(key, type, field, lo, hi, doc) {key, type, offsetof(finetune_config, field), lo, hi, 0, doc}
#define S(key, field, doc) {key, CFG_STRING, offsetof(finetune_config, field), 0, 0, sizeof(((finetune_config *)0)->field), doc}
static const cfg_field fields[] = {
    F("seed", CFG_U64, seed, 0, 9007199254740992.0, "data order and LoRA A seed"),
    F("world.seed", CFG_U64, world_seed, 0, 9007199254740992.0, "shapes world seed"),
    F("world.train_per_class", CFG_INT, train_per_class, 1, 100000, "training images per class"),
    F("world.test_per_class", CFG_INT, test_per_class, 1, 100000, "test images per class"),
    F("world.train_hard_rate", CFG_FLOAT, train_hard_rate, 0, 1, "share of hard renditions among training images"),
    F("train.epochs", CFG_INT, epochs, 1, 10000, "passes over the training images"),
    F("train.batch_size", CFG_INT, batch_size, 1, 65536, "images per step"),
    F("train.lr", CFG_FLOAT, lr, 0, 100, "peak learning rate (cosine decay to 0)"),
    F("train.momentum", CFG_FLOAT, momentum, 0, 0.999999, "SGD momentum"),
    F("train.weight_decay", CFG_FLOAT, weight_decay, 0, 10, "weight decay of B"),
    S("train.optimizer", optimizer, "\"sgd\" or \"adamw\""),
    F("lora.rank", CFG_INT, rank, 1, 4096, "LoRA rank r"),
    F("lora.alpha", CFG_FLOAT, alpha, 0, 100000, "LoRA alpha (scale alpha / r)"),
    S("prompt_template", template_, "class prompt, {} = class name"),
    F("augment.enabled", CFG_BOOL, augment, 0, 1,
      "random resized crop + horizontal flip of training images (seeded by seed)"),
    F("augment.scale_min", CFG_FLOAT, aug_scale_min, 0.01, 1, "smallest crop, as a fraction of the image area"),
    F("augment.scale_max", CFG_FLOAT, aug_scale_max, 0.01, 1, "largest crop, as a fraction of the image area"),
    F("augment.flip", CFG_FLOAT, aug_flip, 0, 1, "probability of a left-right flip"),
};
#undef F
#undef S

const cfg_field *finetune_config_fields(int *n) {
    *n = (int)(sizeof fields / sizeof fields[0]);
    return fields;
}

finetune_config finetune_default_config(void) {
    finetune_config c;
    memset(&c, 0, sizeof c);
    c.seed = 1;
    c.world_seed = 1;
    c.train_per_class = shapes_default_params().train_per_class;
    c.test_per_class = 20;
    c.train_hard_rate = shapes_default_params().train_hard_rate;
    c.epochs = 10;
    c.batch_size = 128;
    c.lr = 1e-3f;
    c.momentum = 0.9f;
    c.weight_decay = 0.0f;
    snprintf(c.optimizer, sizeof c.optimizer, "sgd");
    c.rank = 32;
    c.alpha = 32.0f;
    snprintf(c.template_, sizeof c.template_, "a photo of a {}.");
    c.augment = 0;
    c.aug_scale_min = 0.08f; /* torchvision's RandomResizedCrop defaults */
    c.aug_scale_max = 1.0f;
    c.aug_flip = 0.5f;
    return c;
}

int shapes_joint_finetune(clip_model *m, clip_lora *lora, clip_tokenizer *tok,
                          const finetune_config *c, finetune_callback cb, void *user,
                          shapes_zeroshot_result *res) {
    optim_kind kind;
    if (optim_kind_parse(c->optimizer, "train.optimizer", &kind) != 0) return -1;
    const clip_config *mc = clip_model_config(m);
    shapes_world_params wp = shapes_default_params();
    wp.seed = c->world_seed;
    wp.image_size = mc->resolution;
    wp.train_per_class = c->train_per_class;
    wp.test_per_class = c->test_per_class;
    wp.train_hard_rate = c->train_hard_rate;
    if (shapes_check_params(&wp) != 0) return -1;
    int nc = SHAPES_N_CLASSES, per = c->train_per_class, n = nc * per;
    int r = mc->resolution, ctx = mc->context, b = c->batch_size;
    if (b > n) b = n;
    if (c->aug_scale_min > c->aug_scale_max)
        return SEGP_FAIL("augment.scale_min %g is larger than augment.scale_max %g",
                         (double)c->aug_scale_min, (double)c->aug_scale_max);
    size_t img = (size_t)3 * r * r;
    /* The training images, rendered once and kept as 8-bit RGB: a quarter of the memory of
     * floats, and what the augmentation crops from. */
    uint8_t *train = segp_malloc((size_t)n * img);
    int fail = 0;
#pragma omp parallel for schedule(dynamic, 16)
    for (int i = 0; i < n; i++) {
        shapes_sample_desc d;
        if (shapes_cl_sample(&wp, SHAPES_SPLIT_TRAIN, i / per, (uint64_t)(i % per), &d) != 0 ||
            shapes_render_into(&d, r, train + (size_t)i * img) != 0) {
#pragma omp atomic write
            fail = 1;
        }
    }
    if (fail) {
        free(train);
        return SEGP_FAIL("shapes: could not render the training split");
    }
    augment_config ac;
    augment_config_default(&ac, r, c->seed);
    ac.scale_lo = c->aug_scale_min;
    ac.scale_hi = c->aug_scale_max;
    ac.flip_p = c->aug_flip;
    /* class prompts */
    int32_t *ids = segp_malloc((size_t)nc * ctx * sizeof(int32_t));
    int rc = 0;
    for (int k = 0; k < nc && rc == 0; k++) {
        char name[64], prompt[256];
        shapes_class_name(k, name, sizeof name);
        zeroshot_fill_template(c->template_, name, prompt, sizeof prompt);
        rc = clip_tokenize(tok, prompt, ctx, 1, ids + (size_t)k * ctx);
    }
    optim_params op = optim_default_params(kind);
    op.momentum = c->momentum;
    op.weight_decay = c->weight_decay;
    optim *opt = optim_new(&op, clip_lora_trainable(lora), NULL);
    train_step_params sp = {.lora = lora, .opt = opt, .train_vision = 1, .train_text = 1};
    train_step *trainer = opt ? train_step_new(m, &sp) : NULL;
    if (!trainer) rc = -1;
    float *pix = segp_malloc((size_t)b * img * sizeof(float));
    int32_t *labels = segp_malloc((size_t)b * sizeof(int32_t));
    int32_t *order = segp_malloc((size_t)n * sizeof(int32_t));
    clip_ce_term ce = {labels, 0, 0};
    loss_term term = {"cls", 1.0f, loss_term_clip_ce, &ce};
    int steps_per_epoch = (n + b - 1) / b, total = steps_per_epoch * c->epochs, step = 0;
    double t0 = segp_now();
    for (int ep = 0; ep < c->epochs && rc == 0; ep++) {
        train_epoch_order(c->seed, ep, n, order);
        for (int s0 = 0; s0 < n && rc == 0; s0 += b, step++) {
            int k = n - s0 < b ? n - s0 : b;
#pragma omp parallel for schedule(static)
            for (int i = 0; i < k; i++) {
                int idx = order[s0 + i];
                image_rgb src = {r, r, train + (size_t)idx * img};
                if (c->augment)
                    augment_train_clip(&ac, &src, ep, idx, pix + (size_t)i * img);
                else
                    image_clip_normalize(src.rgb, r, pix + (size_t)i * img);
            }
            for (int i = 0; i < k; i++) labels[i] = order[s0 + i] / per;
            float loss, lr = lr_warmup_cosine(c->lr, step, 0, total);
            if (train_step_run(trainer, pix, k, ids, nc, &term, 1, lr, &loss, NULL) != 0) {
                rc = -1;
                break;
            }
            if (cb && ((step + 1) % 10 == 0 || step + 1 == total)) {
                double el = segp_now() - t0;
                finetune_event ev = {.epoch = ep + 1, .epochs = c->epochs, .step = step + 1,
                                     .steps = total, .loss = loss};
                ev.images_per_s = (double)(step + 1) * b / el;
                ev.eta_s = (double)(total - step - 1) * b / ev.images_per_s;
                cb(&ev, user);
            }
        }
    }
    if (rc == 0) {
        rc = shapes_zeroshot_eval(m, lora, tok, &wp, c->template_, res);
        if (rc == 0 && cb) {
            finetune_event ev = {.epoch = c->epochs, .epochs = c->epochs, .step = total,
                                 .steps = total, .is_eval = 1, .eval = *res};
            cb(&ev, user);
        }
    }
    train_step_free(trainer);
    optim_free(opt);
    free(train), free(ids), free(pix), free(labels), free(order);
    return rc;
}
