/* optim.c: SGD with momentum and AdamW as objects with state; the warm-up + cosine schedule. */
#include "optim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/common.h"

struct optim {
    optim_params p;
    size_t n;
    int64_t t;        /* steps taken */
    float *m, *v;     /* SGD: m is the velocity; AdamW: first and second moments */
    uint8_t *decay;   /* NULL: decay everything */
};

optim_params optim_default_params(optim_kind kind) {
    optim_params p = {kind, 0.9f, 0.9f, 0.999f, 1e-8f, 0.0f};
    return p;
}

int optim_kind_parse(const char *s, const char *key, optim_kind *out) {
    if (!strcmp(s, "sgd")) *out = OPTIM_SGD;
    else if (!strcmp(s, "adamw")) *out = OPTIM_ADAMW;
    else return SEGP_FAIL("%s '%s' (expected \"sgd\" or \"adamw\")", key, s);
    return 0;
}

const char *optim_kind_name(optim_kind k) { return k == OPTIM_ADAMW ? "adamw" : "sgd"; }

optim *optim_new(const optim_params *p, size_t n, const uint8_t *decay_mask) {
    if (p->kind != OPTIM_SGD && p->kind != OPTIM_ADAMW) {
        SEGP_FAIL("optimiser kind %d (expected SGD or AdamW)", (int)p->kind);
        return NULL;
    }
    if (!(p->weight_decay >= 0) || (p->kind == OPTIM_SGD && !(p->momentum >= 0)) ||
        (p->kind == OPTIM_ADAMW && !(p->beta1 >= 0 && p->beta1 < 1 && p->beta2 >= 0 &&
                                     p->beta2 < 1 && p->eps >= 0))) {
        SEGP_FAIL("optimiser %s: momentum/betas must lie in [0, 1), eps and weight decay >= 0",
                  optim_kind_name(p->kind));
        return NULL;
    }
    optim *o = segp_calloc(1, sizeof *o);
    o->p = *p;
    o->n = n;
    o->m = segp_calloc(n ? n : 1, sizeof(float));
    if (p->kind == OPTIM_ADAMW) o->v = segp_calloc(n ? n : 1, sizeof(float));
    if (decay_mask) {
        o->decay = segp_malloc(n ? n : 1);
        memcpy(o->decay, decay_mask, n);
    }
    return o;
}

void optim_free(optim *o) {
    if (!o) return;
    free(o->m);
    free(o->v);
    free(o->decay);
    free(o);
}

static void adamw_update(optim *o, float *p, const float *g, float lr) {
    const float b1 = o->p.beta1, b2 = o->p.beta2, wd = o->p.weight_decay, eps = o->p.eps;
    const float c1 = 1.0f - powf(b1, (float)o->t), c2 = 1.0f - powf(b2, (float)o->t);
    float *m = o->m, *v = o->v;
    const uint8_t *mask = o->decay;
    size_t n = o->n;
#pragma omp parallel for schedule(static) if (n > 65536)
    for (size_t i = 0; i < n; i++) {
        float gi = g[i];
        m[i] = b1 * m[i] + (1.0f - b1) * gi;
        v[i] = b2 * v[i] + (1.0f - b2) * gi * gi;
        float upd = (m[i] / c1) / (sqrtf(v[i] / c2) + eps);
        if (!mask || mask[i]) upd += wd * p[i];
        p[i] -= lr * upd;
    }
}

static void sgd_update(optim *o, float *p, const float *g, float lr) {
    const float mu = o->p.momentum, wd = o->p.weight_decay;
    float *v = o->m;
    const uint8_t *mask = o->decay;
    size_t n = o->n;
#pragma omp parallel for schedule(static) if (n > 65536)
    for (size_t i = 0; i < n; i++) {
        float gi = g[i] + (!mask || mask[i] ? wd * p[i] : 0.0f);
        v[i] = mu * v[i] + gi;
        p[i] -= lr * v[i];
    }
}

void optim_step(optim *o, float *params, const float *grads, float lr) {
    o->t++;
    if (o->p.kind == OPTIM_ADAMW) adamw_update(o, params, grads, lr);
    else sgd_update(o, params, grads, lr);
}

int64_t optim_step_count(const optim *o) { return o->t; }
size_t optim_size(const optim *o) { return o->n; }
const optim_params *optim_get_params(const optim *o) { return &o->p; }

float *optim_state(optim *o, int i) {
    if (i == 0) return o->m;
    if (i == 1) return o->v;
    return NULL;
}

void optim_set_step_count(optim *o, int64_t t) { o->t = t; }

float lr_warmup_cosine(float base, int64_t step, int64_t warmup, int64_t total) {
    if (step < warmup) return base * (float)(step + 1) / (float)warmup;
    if (total <= warmup) return base;
    double prog = (double)(step - warmup) / (double)(total - warmup);
    if (prog > 1.0) prog = 1.0;
    return (float)(0.5 * base * (1.0 + cos(M_PI * prog)));
}
