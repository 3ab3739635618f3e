/* cl_train.c: the training phase of one task: the task's training images cached once as 8-bit
 * RGB at the model resolution, a seeded order per epoch, optional seeded augmentation, the one
 * training step (train/step.h) with L_cls over the task's (or the seen) class prompts plus the
 * method's loss terms, a fresh optimiser and a cosine schedule per task. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cl/cl_losses.h"
#include "core/common.h"
#include "core/rng.h"
#include "model/zeroshot.h"
#include "run/fault.h"
#include "runner_internal.h"
#include "train/step_memory.h"
#include "train/train_options.h"

/* The training classes of task T (joint: every class of the run) and the first L_cls candidate:
 * what cl_train_task trains and cl_train_memory measures. */
static void task_classes(const cl_runner *r, int t, int *first, int *last, int *c0) {
    *first = r->method->joint ? 0 : r->task_start[t];
    *last = r->method->joint ? r->task_start[r->T] : r->task_start[t + 1];
    *c0 = !strcmp(r->cfg.cls_classes, "seen") ? 0 : *first;
}

double cl_train_memory(const cl_runner *r, const clip_config *mc, clip_lora_params *lp,
                       step_memory *worst, char *what, size_t what_size, const char **advice) {
    const cl_config *c = &r->cfg;
    if (!r->method->trains) return -1;
    int nc = benchmark_num_classes(r->bench);
    int *count = segp_calloc((size_t)nc, sizeof *count);
    for (int i = 0; i < benchmark_count(r->bench, BENCH_TRAIN); i++)
        count[benchmark_label(r->bench, BENCH_TRAIN, i)]++;
    *lp = clip_lora_default_params();
    lp->rank = c->train.rank;
    lp->alpha = c->train.alpha;
    optim_kind kind = OPTIM_SGD;
    optim_kind_parse(c->train.optimizer, "train.optimizer", &kind); /* checked before */
    double worst_bytes = -1;
    int worst_t = 0, worst_n = 0, worst_anchors = 0;
    int64_t drawn = 0; /* the training images drawn by the end of the task */
    for (int t = 0; t < (r->method->joint ? 1 : r->T); t++) {
        int first, last, c0;
        task_classes(r, t, &first, &last, &c0);
        int n = 0, n_img = 0, n_txt = 0;
        for (int k = first; k < last; k++) n += count[r->order[k]];
        drawn += n;
        if (r->method->step_rows) r->method->step_rows(c, last, last - first, &n_img, &n_txt);
        /* the step (cl_train_task): a batch of data images plus the method's rows, the L_cls
         * prompts plus its prompts; beside it the task's images cached as 8-bit RGB, and the
         * benchmark's kept renders of every training image drawn so far */
        step_memory s = {.mc = mc, .lora = lp, .lora_copies = 1 /* the teacher */,
                         .optim_slots = kind == OPTIM_ADAMW ? 2 : 1,
                         .n_img = (c->train.batch_size < n ? c->train.batch_size : n) + n_img,
                         .n_txt = last - c0 + n_txt, .txt_tokens = 2,
                         .cache = (double)n * 3 * mc->resolution * mc->resolution +
                                  benchmark_kept_bytes(r->bench, BENCH_TRAIN, mc->resolution,
                                                       drawn),
                         .data = benchmark_data_bytes(r->bench)};
        double b = step_memory_bytes(&s);
        if (b > worst_bytes) {
            *worst = s, worst_bytes = b, worst_t = t, worst_n = n, worst_anchors = n_img;
        }
    }
    free(count);
    if (worst_bytes < 0) return -1;
    char anchors[64] = "";
    if (worst_anchors)
        snprintf(anchors, sizeof anchors, " + %d anchor%s of key 'acgd.batch'", worst_anchors,
                 segp_s(worst_anchors));
    snprintf(what, what_size, "key 'train.batch_size' = %d (task %d: %d of its %d training "
             "images per step%s, with model %s)", c->train.batch_size, worst_t + 1,
             worst->n_img - worst_anchors, worst_n, anchors, c->model);
    *advice = worst_anchors ? "a smaller train.batch_size or acgd.batch, or a smaller model"
                            : "a smaller train.batch_size, or a smaller model";
    return worst_bytes;
}

/* Seed of task t's data order and augmentation: a stream of the run seed. */
static uint64_t task_seed(uint64_t seed, int t) {
    rng_state s = rng_seed(seed, 0x7A5C0000ull + (uint64_t)t);
    return rng_next(&s);
}

int cl_train_task(cl_runner *r, int t, cl_task_ctx *ctx) {
    const cl_config *c = &r->cfg;
    const clip_config *mc = clip_model_config(r->model);
    int px = mc->resolution, context = mc->context;
    size_t sz = (size_t)px * px * 3;
    /* the training classes (joint: every class of the run) and the L_cls candidates */
    int first, last, c0;
    task_classes(r, t, &first, &last, &c0);
    int n_cls = last - c0;
    int nc = benchmark_num_classes(r->bench);
    uint8_t *mask = segp_calloc((size_t)nc, 1);
    for (int k = first; k < last; k++) mask[r->order[k]] = 1;
    int *idx = NULL;
    int n = benchmark_select(r->bench, BENCH_TRAIN, mask, &idx);
    free(mask);
    if (n <= 0) {
        free(idx);
        return SEGP_FAIL("task %d has no training images (benchmark.train_per_class?)", t + 1);
    }
    /* the images once, as 8-bit RGB at the model resolution (a quarter of floats' memory) */
    uint8_t *cache = segp_malloc((size_t)n * sz);
    int fail = benchmark_images(r->bench, BENCH_TRAIN, idx, n, px, cache) != 0;
    int32_t *target = segp_malloc((size_t)n * sizeof(int32_t));
    for (int i = 0; !fail && i < n; i++)
        target[i] = r->pos[benchmark_label(r->bench, BENCH_TRAIN, idx[i])] - c0;
    int B = c->train.batch_size < n ? c->train.batch_size : n;
    cl_batch batch = {.img_numel = (int)sz, .context = context};
    cl_batch_reserve(&batch, B, n_cls);
    /* the class prompts of L_cls: rows 0..n_cls-1 of every text batch */
    int rc = fail ? -1 : 0;
    int32_t *ids = segp_malloc((size_t)n_cls * context * sizeof(int32_t));
    if (rc == 0)
        rc = benchmark_class_prompts(r->tok, r->bench, r->order + c0, n_cls, c->train.template_,
                                     context, ids);
    optim *opt = NULL;
    train_step *ts = NULL;
    if (rc == 0 && !(ts = train_options_lora_step(&c->train, r->model, r->student, &opt)))
        rc = -1;
    uint64_t seed = task_seed(c->seed, t);
    augment_config ac = train_options_augment(&c->train, px, seed);
    int32_t *perm = segp_malloc((size_t)n * sizeof(int32_t));
    int32_t *labels = segp_malloc((size_t)B * sizeof(int32_t));
    int64_t per_epoch = (n + B - 1) / B, total = per_epoch * c->train.epochs, step = 0;
    segp_event ph = {.kind = EV_PHASE, .task = t, .phase = "train", .steps = total};
    if (rc == 0 && cl_emit(r, &ph) == EVENT_ABORT) rc = 1;
    double t0 = event_sink_clock(r->events); /* a pause counts in neither images/s nor ETA */
    for (int ep = 0; ep < c->train.epochs && rc == 0; ep++) {
        train_epoch_order(seed, ep, n, perm);
        for (int s0 = 0; s0 < n && rc == 0; s0 += B, step++) {
            int k = n - s0 < B ? n - s0 : B;
            train_options_batch(&c->train, &ac, cache, px, perm + s0, k, ep, batch.pixels);
            for (int i = 0; i < k; i++) labels[i] = target[perm[s0 + i]];
            memcpy(batch.ids, ids, (size_t)n_cls * context * sizeof(int32_t));
            batch.n_img = batch.n_data_img = k;
            batch.n_txt = batch.n_data_txt = n_cls;
            if (r->method->extend_batch &&
                r->method->extend_batch(r->mstate, ctx, &batch, (int)step) != 0) {
                rc = -1;
                break;
            }
            cls_term cu = {{.targets = labels, .n = k, .symmetric = 0}, n_cls};
            loss_term terms[CL_MAX_TERMS] = {{"cls", 1.0f, loss_term_cls, &cu}};
            int n_terms = 1;
            if (r->method->add_terms) {
                int added = r->method->add_terms(r->mstate, ctx, terms + 1, CL_MAX_TERMS - 1);
                if (added < 0) {
                    rc = -1;
                    break;
                }
                n_terms += added;
            }
            float lr = lr_warmup_cosine(c->train.lr, step, c->warmup_steps, total);
            float values[CL_MAX_TERMS], loss = 0;
            if (train_step_run(ts, batch.pixels, batch.n_img, batch.ids, batch.n_txt, terms,
                               n_terms, lr, values, &loss) != 0) {
                segp_fail_prefix("task %d, step %lld: ", t + 1, (long long)step + 1);
                rc = -1;
                break;
            }
            fault_point("step");
            double el = event_sink_clock(r->events) - t0;
            segp_event ev = {.kind = EV_STEP, .task = t, .phase = "train", .epoch = ep + 1,
                             .epochs = c->train.epochs, .step = step + 1, .steps = total,
                             .n_terms = n_terms < EVENT_MAX_TERMS ? n_terms : EVENT_MAX_TERMS,
                             .loss = loss, .lr = lr};
            for (int q = 0; q < ev.n_terms; q++) {
                ev.term_names[q] = terms[q].name;
                ev.term_values[q] = values[q];
            }
            ev.images_per_s = el > 0 ? (double)(s0 + k + (int64_t)ep * n) / el : 0;
            ev.eta_s = ev.images_per_s > 0
                           ? (double)((total - step - 1) * B) / ev.images_per_s : 0;
            if (cl_emit(r, &ev) == EVENT_ABORT) rc = 1;
        }
    }
    if (ts) train_step_free(ts);
    if (opt) optim_free(opt);
    free(idx), free(cache), free(target), free(ids), free(perm), free(labels);
    free(batch.pixels), free(batch.ids);
    return rc;
}
