/* step.c: the one training step (forward, loss terms, backward, optimiser), the CLIP-logit
 * cross-entropy as a loss term, and the epoch order of samples (see step.h). */
#include "step.h"

#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clip_loss.h"
#include "core/common.h"
#include "core/rng.h"

struct train_step {
    clip_model *m;
    const segp_backend *be;
    train_step_params p;
    clip_acts *va, *ta;
    int cap_img, cap_txt;          /* rows the embedding buffers hold */
    float *img, *txt, *d_img, *d_txt;
    float *grads;                  /* LoRA-B layout or the flat parameters */
    float *pix;                    /* device backends: the uploaded pixels */
    size_t cap_pix;                /* floats pix holds */
    backend_arena *ws;             /* the terms' scratch, reset every step */
    float logit_scale;             /* LoRA training: the (frozen) scale, read once */
    size_t n_grads;
    size_t ls_off;                 /* the logit scale in the flat parameters (pretraining) */
    /* data-parallel: activations and gradients per task (task 0 is the text batch) */
    int n_tasks;
    clip_acts **acts;
    float **task_grads;
};

#define MAX_TASKS 257

train_step *train_step_new(clip_model *m, const train_step_params *p) {
    size_t n = p->lora ? clip_lora_trainable(p->lora) : clip_model_num_params(m);
    if (p->opt && optim_size(p->opt) != n) {
        SEGP_FAIL("training step: the optimiser holds %zu numbers, the trained %s has %zu",
                  optim_size(p->opt), p->lora ? "LoRA-B state" : "model", n);
        return NULL;
    }
    const clip_config *c = clip_model_config(m);
    if ((p->train_vision && !c->has_vision) || (p->train_text && !c->has_text)) {
        SEGP_FAIL("training step: the model has no %s tower to train",
                  p->train_vision && !c->has_vision ? "vision" : "text");
        return NULL;
    }
    train_step *s = segp_calloc(1, sizeof *s);
    s->m = m;
    s->be = clip_model_backend(m);
    s->p = *p;
    s->va = clip_acts_new();
    s->ta = clip_acts_new();
    s->n_grads = n;
    s->grads = s->be->alloc((n ? n : 1) * sizeof(float));
    s->ws = backend_arena_new(s->be);
    if (p->lora) s->logit_scale = clip_model_logit_scale(m);
    if (!p->lora)
        for (int i = 0; i < clip_model_tensor_count(m); i++) {
            const clip_tensor_info *t = clip_model_tensor(m, i);
            if (!strcmp(t->name, "logit_scale")) s->ls_off = t->offset;
        }
    return s;
}

void train_step_free(train_step *s) {
    if (!s) return;
    for (int k = 0; k < s->n_tasks; k++) {
        if (k > 0) clip_acts_free(s->acts[k]);
        s->be->free(s->task_grads[k]);
    }
    free(s->acts);
    free(s->task_grads);
    clip_acts_free(s->va);
    clip_acts_free(s->ta);
    const segp_backend *be = s->be;
    if (s->img) be->free(s->img), be->free(s->d_img);
    if (s->txt) be->free(s->txt), be->free(s->d_txt);
    be->free(s->grads);
    if (s->pix) be->free(s->pix);
    backend_arena_free(s->ws);
    free(s);
}

static void grow(const segp_backend *be, float **a, float **da, int *cap, int rows, int e) {
    if (rows <= *cap) return;
    if (*a) be->free(*a), be->free(*da);
    *a = be->alloc((size_t)rows * e * sizeof(float));
    *da = be->alloc((size_t)rows * e * sizeof(float));
    *cap = rows;
}

/* Task k of a data-parallel pass: 0 is the text batch, 1..chunks the image chunks. */
static void chunk_rows(int n_img, int chunks, int k, int *lo, int *hi) {
    *lo = (int)((long)n_img * (k - 1) / chunks);
    *hi = (int)((long)n_img * k / chunks);
}

static void ensure_tasks(train_step *s, int n) {
    if (n <= s->n_tasks) return;
    s->acts = segp_realloc(s->acts, (size_t)n * sizeof *s->acts);
    s->task_grads = segp_realloc(s->task_grads, (size_t)n * sizeof *s->task_grads);
    for (int k = s->n_tasks; k < n; k++) {
        s->acts[k] = k == 0 ? s->ta : clip_acts_new();
        s->task_grads[k] = s->be->alloc((s->n_grads ? s->n_grads : 1) * sizeof(float));
    }
    s->n_tasks = n;
}

/* Runs tasks 0..n-1 (text when k == 0 and there is text, else image chunk k) on the threads,
 * each single-threaded inside (nested regions are inactive). Backward when bwd != 0. Errors
 * are per thread: the first failing task's message is raised again on the caller's thread. */
static int run_tasks(train_step *s, int backward, const float *pixels, int n_img,
                     const int32_t *ids, int n_txt, int chunks, int tv, int tt) {
    clip_model *m = s->m;
    const clip_lora *lora = s->p.lora;
    const clip_config *c = clip_model_config(m);
    int e = c->embed_dim, n = chunks + 1;
    size_t img = (size_t)3 * c->resolution * c->resolution;
    char (*err)[512] = segp_calloc((size_t)n, sizeof *err);
    int failed = 0;
#pragma omp parallel for schedule(dynamic, 1)
    for (int k = 0; k < n; k++) {
        int rc = 0;
        if (k == 0) {
            if (n_txt > 0 && !backward)
                rc = clip_text_forward(m, lora, ids, n_txt, s->ta, tt, s->txt);
            if (tt && backward) {
                clip_grads g = {.lora_b = s->task_grads[0]};
                s->be->zero(s->task_grads[0], s->n_grads * sizeof(float));
                rc = clip_text_backward(m, lora, s->ta, s->d_txt, &g);
            }
        } else {
            int lo, hi;
            chunk_rows(n_img, chunks, k, &lo, &hi);
            if (!backward) {
                rc = clip_vision_forward(m, lora, pixels + (size_t)lo * img, hi - lo, s->acts[k],
                                         tv, s->img + (size_t)lo * e);
            } else if (tv) {
                clip_grads g = {.lora_b = s->task_grads[k]};
                s->be->zero(s->task_grads[k], s->n_grads * sizeof(float));
                rc = clip_vision_backward(m, lora, s->acts[k], s->d_img + (size_t)lo * e, &g);
            }
        }
        if (rc) {
            snprintf(err[k], sizeof err[k], "%s", segp_last_error());
#pragma omp atomic write
            failed = 1;
        }
    }
    int rc = 0;
    for (int k = 0; k < n && failed && rc == 0; k++)
        if (err[k][0]) rc = SEGP_FAIL("%s", err[k]);
    free(err);
    if (rc || !backward) return rc;
    /* the gradient: the tasks' sums added in task order (deterministic) */
    float *G = s->grads, *src[MAX_TASKS];
    int ns = 0;
    if (tt) src[ns++] = s->task_grads[0];
    for (int k = 1; k < n && tv; k++) src[ns++] = s->task_grads[k];
    size_t ng = s->n_grads;
    if (!ns) {
        s->be->zero(G, ng * sizeof(float));
        return 0;
    }
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < ng; i++) {
        float v = src[0][i];
        for (int k = 1; k < ns; k++) v += src[k][i];
        G[i] = v;
    }
    return 0;
}

int train_step_run(train_step *s, const float *pixels, int n_img, const int32_t *ids, int n_txt,
                   loss_term *terms, int n_terms, float lr, float *values, float *total) {
    clip_model *m = s->m;
    const segp_backend *be = s->be;
    const clip_config *c = clip_model_config(m);
    const clip_lora *lora = s->p.lora;
    int e = c->embed_dim, tv = s->p.train_vision && n_img > 0, tt = s->p.train_text && n_txt > 0;
    int64_t step = (s->p.opt ? optim_step_count(s->p.opt) : 0) + 1;
    grow(be, &s->img, &s->d_img, &s->cap_img, n_img, e);
    grow(be, &s->txt, &s->d_txt, &s->cap_txt, n_txt, e);
    backend_arena_reset(s->ws);
    if (!be->host_memory && n_img > 0) { /* the inputs cross to the device here, once */
        size_t np = (size_t)n_img * 3 * c->resolution * c->resolution;
        if (np > s->cap_pix) {
            if (s->pix) be->free(s->pix);
            s->pix = be->alloc(np * sizeof(float));
            s->cap_pix = np;
        }
        be->to_device(s->pix, pixels, np * sizeof(float));
        pixels = s->pix;
    }
    int nt = omp_in_parallel() ? 1 : omp_get_max_threads();
    int chunks = 0; /* image chunks of a data-parallel pass; 0: the unsplit step */
    /* only with an image for every thread: with fewer, one thread runs a whole image tower
     * alone while the others wait (ViT-B/16 at batch 1 on 2 threads: 0.70 s a step split,
     * 0.45-0.50 s with threaded ops) */
    if (s->p.data_parallel && be->host_memory && lora && nt > 1 && n_img >= nt) chunks = nt;
    if (chunks > MAX_TASKS - 1) chunks = MAX_TASKS - 1;
    if (chunks) {
        ensure_tasks(s, chunks + 1);
        if (run_tasks(s, 0, pixels, n_img, ids, n_txt, chunks, tv, tt) != 0) return -1;
    } else {
        if (n_img > 0 && clip_vision_forward(m, lora, pixels, n_img, s->va, tv, s->img) != 0)
            return -1;
        if (n_txt > 0 && clip_text_forward(m, lora, ids, n_txt, s->ta, tt, s->txt) != 0)
            return -1;
    }

    /* the terms' values and d log(scale) live in backend memory until the one read-back */
    float *dev_vals = backend_arena_take_zero(s->ws, (size_t)(n_terms + 1) * sizeof(float));
    step_ctx ctx = {.be = be, .ws = s->ws, .e = e,
                    .logit_scale = lora ? s->logit_scale : clip_model_logit_scale(m),
                    .step = step, .img = n_img > 0 ? s->img : NULL, .n_img = n_img,
                    .txt = n_txt > 0 ? s->txt : NULL, .n_txt = n_txt,
                    .d_img = tv ? s->d_img : NULL, .d_txt = tt ? s->d_txt : NULL,
                    .d_log_scale = lora ? NULL : dev_vals + n_terms};
    if (tv) be->zero(s->d_img, (size_t)n_img * e * sizeof(float));
    if (tt) be->zero(s->d_txt, (size_t)n_txt * e * sizeof(float));
    for (int k = 0; k < n_terms; k++)
        if (terms[k].fn(&terms[k], &ctx, dev_vals + k) != 0)
            return segp_fail_prefix("loss term '%s': ", terms[k].name);

    if (chunks) {
        if (run_tasks(s, 1, pixels, n_img, ids, n_txt, chunks, tv, tt) != 0) return -1;
    } else {
        be->zero(s->grads, s->n_grads * sizeof(float));
        clip_grads g = {0};
        if (lora) g.lora_b = s->grads;
        else g.weights = s->grads;
        if (tv && clip_vision_backward(m, lora, s->va, s->d_img, &g) != 0) return -1;
        if (tt && clip_text_backward(m, lora, s->ta, s->d_txt, &g) != 0) return -1;
    }
    if (!lora) be->copy(s->grads + s->ls_off, ctx.d_log_scale, sizeof(float));

    float host_vals[64], *hv = n_terms <= 64 ? host_vals : segp_malloc((size_t)n_terms * 4);
    be->to_host(hv, dev_vals, (size_t)n_terms * sizeof(float));
    int rc = be->sync();
    float sum = 0;
    for (int k = 0; k < n_terms && rc == 0; k++) {
        float v = hv[k];
        if (values) values[k] = v;
        if (!isfinite(v))
            rc = SEGP_FAIL("loss term '%s' is %g at step %lld (training diverged: lower the "
                           "learning rate)",
                           terms[k].name, (double)v, (long long)step);
        sum += terms[k].weight * v;
    }
    if (hv != host_vals) free(hv);
    if (rc) return rc;
    if (total) *total = sum;
    if (s->p.opt)
        optim_step(s->p.opt, lora ? s->p.lora->b : clip_model_params(m), s->grads, lr);
    return 0;
}

const float *train_step_grads(const train_step *s, size_t *n) {
    if (n) *n = s->n_grads;
    return s->grads;
}

const void *step_upload(step_ctx *ctx, const void *host, size_t bytes) {
    if (!ctx->ws) { /* a context made by hand on host memory (tests) */
        SEGP_CHECK(ctx->be->host_memory, "step_upload: a device context needs its arena");
        return host;
    }
    return backend_arena_upload(ctx->ws, host, bytes);
}

float loss_term_value(const loss_term *t, step_ctx *ctx) {
    backend_arena *own = ctx->ws ? NULL : (ctx->ws = backend_arena_new(ctx->be));
    float h = NAN, *v = backend_arena_take(ctx->ws, sizeof(float));
    if (t->fn(t, ctx, v) == 0) ctx->be->to_host(&h, v, sizeof h);
    if (own) backend_arena_free(own), ctx->ws = NULL;
    return h;
}

int loss_term_clip_ce(const loss_term *t, step_ctx *ctx, float *value) {
    const clip_ce_term *ce = t->user;
    const segp_backend *be = ctx->be;
    int n = ce->n > 0 ? ce->n : ctx->n_img, e = ctx->e;
    if (n > ctx->n_img || ctx->n_txt <= 0)
        return SEGP_FAIL("loss term '%s': %d image rows against %d texts (the batch has %d "
                         "images)",
                         t->name, n, ctx->n_txt, ctx->n_img);
    if (ce->symmetric && n != ctx->n_txt)
        return SEGP_FAIL("loss term '%s': the symmetric CLIP loss needs as many texts as "
                         "images (%d, %d)",
                         t->name, n, ctx->n_txt);
    for (int i = 0; i < n; i++)
        if (ce->targets[i] < 0 || ce->targets[i] >= ctx->n_txt)
            return SEGP_FAIL("loss term '%s': image %d's target is text %d (the batch has %d "
                             "texts)",
                             t->name, i, ce->targets[i], ctx->n_txt);
    size_t ni = (size_t)n * e, nt = (size_t)ctx->n_txt * e;
    float *gi = ctx->d_img ? backend_arena_take(ctx->ws, ni * sizeof(float)) : NULL;
    float *gt = ctx->d_txt ? backend_arena_take(ctx->ws, nt * sizeof(float)) : NULL;
    float *dls = ctx->d_log_scale ? backend_arena_take(ctx->ws, sizeof(float)) : NULL;
    const int32_t *tg = step_upload(ctx, ce->targets, (size_t)n * sizeof(int32_t));
    if (clip_logit_loss(be, ctx->ws, value, ctx->img, n, ctx->txt, ctx->n_txt, e,
                        ctx->logit_scale, tg, ce->symmetric, gi, gt, dls) != 0)
        return -1;
    if (gi) be->axpy(ctx->d_img, t->weight, gi, ni);
    if (gt) be->axpy(ctx->d_txt, t->weight, gt, nt);
    if (dls) be->axpy(ctx->d_log_scale, t->weight, dls, 1);
    return 0;
}

void train_epoch_order(uint64_t seed, int epoch, int n, int32_t *order) {
    rng_state rs = rng_seed(seed, 0xE90C0000ull + (uint64_t)epoch);
    for (int i = 0; i < n; i++) order[i] = i;
    for (int i = n - 1; i > 0; i--) {
        int j = (int)(rng_next(&rs) % (uint64_t)(i + 1));
        int32_t t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
}
