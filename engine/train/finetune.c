/* finetune.c: joint LoRA-B fine-tuning on all classes of a benchmark (see finetune.h). */
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
static const cfg_field own[] = {
    F("seed", CFG_U64, seed, 0, 9007199254740992.0, "data order and LoRA A seed"),
    F("world.seed", CFG_U64, bench.world_seed, 0, 9007199254740992.0, "shapes world seed (= benchmark.world_seed)"),
    F("world.train_per_class", CFG_INT, bench.train_per_class, 0, 100000000, "training images per class (= benchmark.train_per_class)"),
    F("world.test_per_class", CFG_INT, bench.test_per_class, 0, 100000000, "test images per class (= benchmark.test_per_class)"),
    F("world.train_hard_rate", CFG_FLOAT, bench.train_hard_rate, 0, 1, "share of hard renditions among shapes training images (= benchmark.train_hard_rate)"),
    F("train.epochs", CFG_INT, epochs, 1, 10000, "passes over the training images"),
    F("train.batch_size", CFG_INT, batch_size, 1, 65536, "images per step"),
    F("train.lr", CFG_FLOAT, lr, 0, 100, "peak learning rate (cosine decay to 0)"),
    F("train.momentum", CFG_FLOAT, momentum, 0, 0.999999, "SGD momentum"),
    F("train.weight_decay", CFG_FLOAT, weight_decay, 0, 10, "weight decay of B"),
    S("train.optimizer", optimizer, "\"sgd\" or \"adamw\""),
    F("train.data_parallel", CFG_BOOL, data_parallel, 0, 1,
      "split each batch across the threads (faster for small models and on busy machines; "
      "sums round differently, so results differ slightly from an unsplit run)"),
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

/* The own keys, then the benchmark's ("benchmark.*") with offsets moved to finetune_config.bench. */
#define N_OWN (int)(sizeof own / sizeof own[0])
#define MAX_BENCH 48
static cfg_field fields[N_OWN + MAX_BENCH];
static int n_fields;

const cfg_field *finetune_config_fields(int *n) {
    if (!n_fields) {
        int nb;
        const cfg_field *bf = benchmark_config_fields(&nb);
        SEGP_CHECK(nb <= MAX_BENCH, "MAX_BENCH holds every benchmark key");
        memcpy(fields, own, sizeof own);
        for (int i = 0; i < nb; i++) {
            fields[N_OWN + i] = bf[i];
            fields[N_OWN + i].offset += offsetof(finetune_config, bench);
        }
        n_fields = N_OWN + nb;
    }
    *n = n_fields;
    return fields;
}

finetune_config finetune_default_config(void) {
    finetune_config c;
    memset(&c, 0, sizeof c);
    c.seed = 1;
    c.bench = benchmark_default_params(); /* shapes, 500 training and 20 test images a class */
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

benchmark *finetune_open_benchmark(const finetune_config *c, const clip_model *m) {
    benchmark_params bp = c->bench;
    /* shapes: render at the model's resolution, so no resize touches the training images */
    if (!strcmp(bp.name, "shapes") && !bp.image_size)
        bp.image_size = clip_model_config(m)->resolution;
    return benchmark_open(&bp);
}

int joint_finetune(clip_model *m, clip_lora *lora, clip_tokenizer *tok, const benchmark *bm,
                   const finetune_config *c, finetune_callback cb, void *user,
                   bench_eval_result *res) {
    optim_kind kind;
    if (optim_kind_parse(c->optimizer, "train.optimizer", &kind) != 0) return -1;
    const clip_config *mc = clip_model_config(m);
    int nc = benchmark_num_classes(bm), n = benchmark_count(bm, BENCH_TRAIN);
    int r = mc->resolution, ctx = mc->context, b = c->batch_size;
    if (n <= 0)
        return SEGP_FAIL("benchmark %s has no training items (benchmark.train_per_class?)",
                         benchmark_name(bm));
    if (b > n) b = n;
    if (c->aug_scale_min > c->aug_scale_max)
        return SEGP_FAIL("augment.scale_min %g is larger than augment.scale_max %g",
                         (double)c->aug_scale_min, (double)c->aug_scale_max);
    size_t img = (size_t)3 * r * r;
    /* The training images, made once at the model's resolution (CLIP's eval geometry) and kept
     * as 8-bit RGB: a quarter of the memory of floats, and what the augmentation crops from. */
    uint8_t *train = segp_malloc((size_t)n * img);
    int32_t *target = segp_malloc((size_t)n * sizeof(int32_t));
    int fail = 0;
    char err[512] = ""; /* errors are per thread: the first one is raised again here */
#pragma omp parallel for schedule(dynamic, 16)
    for (int i = 0; i < n; i++) {
        int f;
#pragma omp atomic read
        f = fail;
        if (f) continue;
        target[i] = benchmark_label(bm, BENCH_TRAIN, i);
        if (benchmark_image(bm, BENCH_TRAIN, i, r, train + (size_t)i * img) != 0) {
#pragma omp critical(finetune_err)
            if (!fail) {
                snprintf(err, sizeof err, "%s", segp_last_error());
                fail = 1;
            }
        }
    }
    if (fail) {
        free(train), free(target);
        return SEGP_FAIL("%s", err);
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
        char prompt[512];
        zeroshot_fill_template(c->template_, benchmark_class_name(bm, k), prompt, sizeof prompt);
        rc = clip_tokenize(tok, prompt, ctx, 1, ids + (size_t)k * ctx);
    }
    optim_params op = optim_default_params(kind);
    op.momentum = c->momentum;
    op.weight_decay = c->weight_decay;
    optim *opt = optim_new(&op, clip_lora_trainable(lora), NULL);
    train_step_params sp = {.lora = lora, .opt = opt, .train_vision = 1, .train_text = 1,
                            .data_parallel = c->data_parallel};
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
            for (int i = 0; i < k; i++) labels[i] = target[order[s0 + i]];
            float loss, lr = lr_warmup_cosine(c->lr, step, 0, total);
            if (train_step_run(trainer, pix, k, ids, nc, &term, 1, lr, &loss, NULL) != 0) {
                rc = -1;
                break;
            }
            if (cb && ((step + 1) % 10 == 0 || step + 1 == total)) {
                double el = segp_now() - t0;
                finetune_event ev = {.epoch = ep + 1, .epochs = c->epochs, .step = step + 1,
                                     .steps = total, .loss = loss, .n_train = n};
                ev.images_per_s = (double)(step + 1) * b / el;
                ev.eta_s = (double)(total - step - 1) * b / ev.images_per_s;
                cb(&ev, user);
            }
        }
    }
    if (rc == 0) rc = benchmark_eval(m, lora, tok, bm, c->template_, BENCH_TEST, NULL, NULL, res);
    train_step_free(trainer);
    optim_free(opt);
    free(train), free(target), free(ids), free(pix), free(labels), free(order);
    return rc;
}
