/* optim.c: SGD with momentum and AdamW as objects with state; the warm-up + cosine schedule. */
#include "optim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/common.h"

struct optim {
    const segp_backend *be;
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

optim *optim_new(const segp_backend *be, const optim_params *p, size_t n,
                 const uint8_t *decay_mask) {
    if (!be) be = segp_backend_cpu();
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
    o->be = be;
    o->p = *p;
    o->n = n;
    size_t bytes = (n ? n : 1) * sizeof(float);
    o->m = be->alloc(bytes);
    be->zero(o->m, bytes);
    if (p->kind == OPTIM_ADAMW) {
        o->v = be->alloc(bytes);
        be->zero(o->v, bytes);
    }
    if (decay_mask) {
        o->decay = be->alloc(n ? n : 1);
        be->to_device(o->decay, decay_mask, n);
    }
    return o;
}

void optim_free(optim *o) {
    if (!o) return;
    o->be->free(o->m);
    if (o->v) o->be->free(o->v);
    if (o->decay) o->be->free(o->decay);
    free(o);
}

void optim_step(optim *o, float *params, const float *grads, float lr) {
    o->t++;
    const optim_params *p = &o->p;
    if (p->kind == OPTIM_ADAMW) {
        /* the bias corrections on the host, as plain kernel arguments */
        const float c1 = 1.0f - powf(p->beta1, (float)o->t);
        const float c2 = 1.0f - powf(p->beta2, (float)o->t);
        o->be->adamw_step(params, o->m, o->v, grads, o->decay, o->n, lr, p->beta1, p->beta2,
                          p->eps, p->weight_decay, c1, c2);
    } else {
        o->be->sgd_step(params, o->m, grads, o->decay, o->n, lr, p->momentum, p->weight_decay);
    }
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
