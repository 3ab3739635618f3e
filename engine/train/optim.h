/* optim.h: optimisers as objects with state (SGD with momentum, AdamW) over a flat buffer of
 * numbers, and learning-rate schedules as functions of the step. */
#ifndef SEGP_OPTIM_H
#define SEGP_OPTIM_H

#include <stddef.h>
#include <stdint.h>

#include "backend/backend.h"

/* ---- schedules (step counts from 0) ---- */

/* Linear warm-up from base/warmup to base over `warmup` steps (step s gets base*(s+1)/warmup),
 * then cosine decay from base to 0 at `total`; base after the warm-up when total <= warmup. */
float lr_warmup_cosine(float base, int64_t step, int64_t warmup, int64_t total);

/* ---- optimisers ---- */

typedef enum { OPTIM_SGD = 0, OPTIM_ADAMW = 1 } optim_kind;

typedef struct {
    optim_kind kind;
    float momentum;            /* SGD (0.9): v = momentum v + g + wd p; p -= lr v */
    float beta1, beta2, eps;   /* AdamW (0.9, 0.999, 1e-8): bias-corrected moments */
    float weight_decay;        /* both (0); AdamW's is decoupled:
                                * p -= lr (m^/(sqrt(v^)+eps) + wd p) */
} optim_params;
optim_params optim_default_params(optim_kind kind);
/* "sgd" / "adamw" -> kind; -1 + error naming KEY otherwise. */
int optim_kind_parse(const char *s, const char *key, optim_kind *out);
const char *optim_kind_name(optim_kind k);

typedef struct optim optim; /* opaque: moment buffers and the step count */
/* An optimiser over N numbers of backend BE's memory (NULL: the CPU); its moments live there
 * and every update is one op of BE. decay_mask (N host bytes, copied; NULL = decay all): weight
 * decay applies to number i only where decay_mask[i] != 0. NULL + error on bad parameters. */
optim *optim_new(const segp_backend *be, const optim_params *p, size_t n,
                 const uint8_t *decay_mask);
void optim_free(optim *o);
/* One update of params from grads at learning rate LR; counts the step (AdamW's bias
 * correction uses the count after it, 1 at the first step). */
void optim_step(optim *o, float *params, const float *grads, float lr);
int64_t optim_step_count(const optim *o);
size_t optim_size(const optim *o);
const optim_params *optim_get_params(const optim *o);
/* State for checkpoints: buffer I (0: SGD velocity / AdamW m, 1: AdamW v) of N numbers in
 * backend memory, NULL when the kind has none; the step count can be set after loading. */
float *optim_state(optim *o, int i);
void optim_set_step_count(optim *o, int64_t t);

#endif
