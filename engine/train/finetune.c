/* finetune.c: joint LoRA-B fine-tuning on all classes of a benchmark (see finetune.h). */
#include "finetune.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/common.h"
#include "optim.h"
#include "step.h"
#include "step_memory.h"

#define F(key, type, field, lo, hi, doc)                                                        \
    {key, type, offsetof(finetune_config, field), lo, hi, 0, doc}
static const cfg_field own[] = {
    F("seed", CFG_U64, seed, 0, CFG_MAX_EXACT_INT, "data order and LoRA A seed"),
    F("world.seed", CFG_U64, bench.world_seed, 0, CFG_MAX_EXACT_INT,
      "shapes world seed (= benchmark.world_seed)"),
    F("world.train_per_class", CFG_INT, bench.train_per_class, 0, 100000000,
      "training images per class (= benchmark.train_per_class)"),
    F("world.test_per_class", CFG_INT, bench.test_per_class, 0, 100000000,
      "test images per class (= benchmark.test_per_class)"),
    F("world.train_hard_rate", CFG_FLOAT, bench.train_hard_rate, 0, 1,
      "share of hard renditions among shapes training images (= benchmark.train_hard_rate)"),
};
#undef F

/* The own keys, the shared training keys (train_options_fields, moved to finetune_config.train),
 * then the benchmark's ("benchmark.*", moved to finetune_config.bench). */
#define N_OWN (int)(sizeof own / sizeof own[0])
#define MAX_INCLUDED 80
static cfg_field fields[N_OWN + MAX_INCLUDED];
static int n_fields;

const cfg_field *finetune_config_fields(int *n) {
    if (!n_fields) {
        int nb, nt;
        const cfg_field *bf = benchmark_config_fields(&nb), *tf = train_options_fields(&nt);
        SEGP_CHECK(nb + nt <= MAX_INCLUDED, "MAX_INCLUDED holds every benchmark and training key");
        int k = cfg_fields_append(fields, 0, own, N_OWN, 0);
        k = cfg_fields_append(fields, k, tf, nt, offsetof(finetune_config, train));
        n_fields = cfg_fields_append(fields, k, bf, nb, offsetof(finetune_config, bench));
    }
    *n = n_fields;
    return fields;
}

finetune_config finetune_default_config(void) {
    finetune_config c;
    memset(&c, 0, sizeof c);
    c.seed = 1;
    c.bench = benchmark_default_params(); /* shapes, 500 training and 20 test images a class */
    c.train = train_options_default();
    c.train.epochs = 10;
    c.train.batch_size = 128;
    snprintf(c.train.optimizer, sizeof c.train.optimizer, "sgd");
    c.train.data_parallel = 0;
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
    if (train_options_check(&c->train) != 0) return -1;
    const clip_config *mc = clip_model_config(m);
    if (!mc->has_vision || !mc->has_text)
        return SEGP_FAIL("the checkpoint holds only the %s tower (fine-tuning needs both)",
                         mc->has_vision ? "vision" : "text");
    int nc = benchmark_num_classes(bm), n = benchmark_count(bm, BENCH_TRAIN);
    int r = mc->resolution, ctx = mc->context, b = c->train.batch_size;
    if (n <= 0)
        return SEGP_FAIL("benchmark %s has no training items (benchmark.train_per_class?)",
                         benchmark_name(bm));
    if (b > n) b = n;
    /* before the images are made: a step that cannot fit was found out by the OOM killer */
    if (clip_model_backend(m)->host_memory) {
        optim_kind kind = OPTIM_SGD;
        optim_kind_parse(c->train.optimizer, "train.optimizer", &kind); /* checked above */
        step_memory sm = {.mc = mc, .lora = &lora->p, .optim_slots = kind == OPTIM_ADAMW ? 2 : 1,
                          .n_img = b, .n_txt = nc, .txt_tokens = 2,
                          /* the 8-bit copy below, and the shapes renders it is copied from,
                           * which the benchmark keeps */
                          .cache = (double)n * 3 * r * r + benchmark_kept_bytes(bm, BENCH_TRAIN,
                                                                                r, n),
                          .data = benchmark_data_bytes(bm)};
        char what[200];
        snprintf(what, sizeof what, "key 'train.batch_size' = %d (%d of the %d training images "
                 "per step, %d class prompts)", c->train.batch_size, b, n, nc);
        if (step_memory_check(&sm, what, "a smaller train.batch_size, fewer training images or a "
                              "smaller model") != 0)
            return -1;
        /* the evaluation after training (the training state is freed before it): the weights
         * and the LoRA state, the shapes benchmark's kept training renders, benchmark_eval */
        int nt = benchmark_count(bm, BENCH_TEST), val = benchmark_is_val(bm);
        uint32_t tv = lora->p.vision ? lora->p.targets : 0;
        double need = step_memory_model_bytes(mc, &lora->p, 0) + benchmark_data_bytes(bm) +
                      benchmark_kept_bytes(bm, BENCH_TRAIN, r, n) +
                      benchmark_eval_bytes(mc, nt, nc, lora->p.rank, tv,
                                           benchmark_kept_bytes(bm, BENCH_TEST, r, nt));
        snprintf(what, sizeof what, "key 'benchmark.%s_per_class' (the evaluation of %d %s "
                 "images against %d classes)", val ? "val" : "test", nt,
                 val ? "validation" : "test", nc);
        if (phase_memory_check(need, what, "the evaluation", val ? "a smaller benchmark."
                               "val_per_class or a smaller model" : "a smaller benchmark."
                               "test_per_class or a smaller model") != 0)
            return -1;
    }
    size_t img = (size_t)3 * r * r;
    /* The training images, made once at the model's resolution (CLIP's eval geometry) and kept
     * as 8-bit RGB: a quarter of the memory of floats, and what the augmentation crops from. */
    uint8_t *train = segp_malloc((size_t)n * img);
    if (benchmark_images(bm, BENCH_TRAIN, NULL, n, r, train) != 0) {
        free(train);
        return -1;
    }
    int32_t *target = segp_malloc((size_t)n * sizeof(int32_t));
    for (int i = 0; i < n; i++) target[i] = benchmark_label(bm, BENCH_TRAIN, i);
    augment_config ac = train_options_augment(&c->train, r, c->seed);
    int32_t *ids = segp_malloc((size_t)nc * ctx * sizeof(int32_t));
    int rc = benchmark_class_prompts(tok, bm, NULL, nc, c->train.template_, ctx, ids);
    optim *opt;
    train_step *trainer = train_options_lora_step(&c->train, m, lora, &opt);
    if (!trainer) rc = -1;
    float *pix = segp_malloc((size_t)b * img * sizeof(float));
    int32_t *labels = segp_malloc((size_t)b * sizeof(int32_t));
    int32_t *order = segp_malloc((size_t)n * sizeof(int32_t));
    clip_ce_term ce = {labels, 0, 0};
    loss_term term = {"cls", 1.0f, loss_term_clip_ce, &ce};
    int steps_per_epoch = (n + b - 1) / b, total = steps_per_epoch * c->train.epochs, step = 0;
    double t0 = segp_now();
    for (int ep = 0; ep < c->train.epochs && rc == 0; ep++) {
        train_epoch_order(c->seed, ep, n, order);
        for (int s0 = 0; s0 < n && rc == 0; s0 += b, step++) {
            int k = n - s0 < b ? n - s0 : b;
            train_options_batch(&c->train, &ac, train, r, order + s0, k, ep, pix);
            for (int i = 0; i < k; i++) labels[i] = target[order[s0 + i]];
            float loss, lr = lr_warmup_cosine(c->train.lr, step, 0, total);
            if (train_step_run(trainer, pix, k, ids, nc, &term, 1, lr, &loss, NULL) != 0) {
                rc = -1;
                break;
            }
            if (cb && ((step + 1) % 10 == 0 || step + 1 == total)) {
                double el = segp_now() - t0;
                finetune_event ev = {.epoch = ep + 1, .epochs = c->train.epochs, .step = step + 1,
                                     .steps = total, .loss = loss, .n_train = n};
                ev.images_per_s = (double)(step + 1) * b / el;
                ev.eta_s = (double)(total - step - 1) * b / ev.images_per_s;
                cb(&ev, user);
            }
        }
    }
    /* the training state goes before the evaluation: the two phases are counted apart above */
    train_step_free(trainer);
    optim_free(opt);
    free(train), free(target), free(ids), free(pix), free(labels), free(order);
    if (rc == 0)
        rc = benchmark_eval(m, lora, tok, bm, c->train.template_, BENCH_TEST, NULL, NULL, res);
    return rc;
}
