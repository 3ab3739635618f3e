/* step.c: the one training step (forward, loss terms, backward, optimiser), the CLIP-logit
 * cross-entropy as a loss term, and the epoch order of samples (see step.h). */
#include "step.h"

#include <math.h>
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
    size_t n_grads;
    size_t ls_off;                 /* the logit scale in the flat parameters (pretraining) */
};

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
    if (!p->lora)
        for (int i = 0; i < clip_model_tensor_count(m); i++) {
            const clip_tensor_info *t = clip_model_tensor(m, i);
            if (!strcmp(t->name, "logit_scale")) s->ls_off = t->offset;
        }
    return s;
}

void train_step_free(train_step *s) {
    if (!s) return;
    clip_acts_free(s->va);
    clip_acts_free(s->ta);
    const segp_backend *be = s->be;
    if (s->img) be->free(s->img), be->free(s->d_img);
    if (s->txt) be->free(s->txt), be->free(s->d_txt);
    be->free(s->grads);
    free(s);
}

static void grow(const segp_backend *be, float **a, float **da, int *cap, int rows, int e) {
    if (rows <= *cap) return;
    if (*a) be->free(*a), be->free(*da);
    *a = be->alloc((size_t)rows * e * sizeof(float));
    *da = be->alloc((size_t)rows * e * sizeof(float));
    *cap = rows;
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
    if (n_img > 0 && clip_vision_forward(m, lora, pixels, n_img, s->va, tv, s->img) != 0)
        return -1;
    if (n_txt > 0 && clip_text_forward(m, lora, ids, n_txt, s->ta, tt, s->txt) != 0) return -1;

    step_ctx ctx = {.be = be, .e = e, .logit_scale = clip_model_logit_scale(m), .step = step,
                    .img = n_img > 0 ? s->img : NULL, .n_img = n_img,
                    .txt = n_txt > 0 ? s->txt : NULL, .n_txt = n_txt,
                    .d_img = tv ? s->d_img : NULL, .d_txt = tt ? s->d_txt : NULL};
    if (tv) be->zero(s->d_img, (size_t)n_img * e * sizeof(float));
    if (tt) be->zero(s->d_txt, (size_t)n_txt * e * sizeof(float));
    float sum = 0;
    for (int k = 0; k < n_terms; k++) {
        float v = terms[k].fn(&terms[k], &ctx);
        if (values) values[k] = v;
        if (!isfinite(v))
            return SEGP_FAIL("loss term '%s' is %g at step %lld (training diverged: lower the "
                             "learning rate)",
                             terms[k].name, (double)v, (long long)step);
        sum += terms[k].weight * v;
    }
    if (total) *total = sum;

    be->zero(s->grads, s->n_grads * sizeof(float));
    clip_grads g = {0};
    if (lora) g.lora_b = s->grads;
    else g.weights = s->grads;
    if (tv && clip_vision_backward(m, lora, s->va, s->d_img, &g) != 0) return -1;
    if (tt && clip_text_backward(m, lora, s->ta, s->d_txt, &g) != 0) return -1;
    if (!lora) be->to_device(s->grads + s->ls_off, &ctx.d_log_scale, sizeof(float));
    if (s->p.opt)
        optim_step(s->p.opt, lora ? s->p.lora->b : clip_model_params(m), s->grads, lr);
    return 0;
}

const float *train_step_grads(const train_step *s, size_t *n) {
    if (n) *n = s->n_grads;
    return s->grads;
}

float loss_term_clip_ce(const loss_term *t, step_ctx *ctx) {
    const clip_ce_term *ce = t->user;
    const segp_backend *be = ctx->be;
    int n = ce->n > 0 ? ce->n : ctx->n_img, e = ctx->e;
    if (n > ctx->n_img || ctx->n_txt <= 0) {
        SEGP_FAIL("loss term '%s': %d image rows against %d texts (the batch has %d images)",
                  t->name, n, ctx->n_txt, ctx->n_img);
        return NAN;
    }
    if (ce->symmetric && n != ctx->n_txt) {
        SEGP_FAIL("loss term '%s': the symmetric CLIP loss needs as many texts as images (%d, %d)",
                  t->name, n, ctx->n_txt);
        return NAN;
    }
    size_t ni = (size_t)n * e, nt = (size_t)ctx->n_txt * e;
    float *gi = ctx->d_img ? be->alloc(ni * sizeof(float)) : NULL;
    float *gt = ctx->d_txt ? be->alloc(nt * sizeof(float)) : NULL;
    float dls = 0;
    float loss = clip_logit_loss(be, ctx->img, n, ctx->txt, ctx->n_txt, e, ctx->logit_scale,
                                 ce->targets, ce->symmetric, gi, gt, &dls);
    if (gi) be->axpy(ctx->d_img, t->weight, gi, ni), be->free(gi);
    if (gt) be->axpy(ctx->d_txt, t->weight, gt, nt), be->free(gt);
    ctx->d_log_scale += t->weight * dls;
    return loss;
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
