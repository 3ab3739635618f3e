/* optim.h: optimisers over flat parameter buffers and learning-rate schedules. */
#ifndef SEGP_OPTIM_H
#define SEGP_OPTIM_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    float lr, beta1, beta2, eps, weight_decay;
} adamw_params;

/* One AdamW step (decoupled weight decay, bias-corrected moments), step t >= 1.
 * decay_mask[i] != 0 applies weight decay to parameter i's group; NULL = decay everything.
 * The mask is per element here for simplicity (a byte per parameter). */
void adamw_step(float *p, const float *g, float *m, float *v, size_t n, const adamw_params *hp,
                int64_t t, const uint8_t *decay_mask);

/* SGD with momentum: v = mu v + g (+ wd p); p -= lr v. */
void sgd_step(float *p, const float *g, float *v, size_t n, float lr, float momentum,
              float weight_decay);

/* Linear warm-up from 0 to base over `warmup` steps, then cosine decay to 0 at `total`. */
float lr_warmup_cosine(float base, int64_t step, int64_t warmup, int64_t total);

/* ---- optimisers as objects with state (the seam the training step uses) ---- */

typedef enum { OPTIM_SGD = 0, OPTIM_ADAMW = 1 } optim_kind;

typedef struct {
    optim_kind kind;
    float momentum;            /* SGD (0.9) */
    float beta1, beta2, eps;   /* AdamW (0.9, 0.999, 1e-8) */
    float weight_decay;        /* both (0) */
} optim_params;
optim_params optim_default_params(optim_kind kind);
/* "sgd" / "adamw" -> kind; -1 + error naming KEY otherwise. */
int optim_kind_parse(const char *s, const char *key, optim_kind *out);

typedef struct optim optim; /* opaque: moment buffers and the step count */
/* An optimiser over N numbers; decay_mask (N bytes, copied; NULL = decay all) as adamw_step. */
optim *optim_new(const optim_params *p, size_t n, const uint8_t *decay_mask);
void optim_free(optim *o);
/* One update of params from grads at learning rate LR; counts the step. */
void optim_step(optim *o, float *params, const float *grads, float lr);
int64_t optim_step_count(const optim *o);
/* State for checkpoints: buffer I (0: SGD velocity / AdamW m, 1: AdamW v) of N numbers, NULL
 * when the kind has none; the step count can be set after loading. */
float *optim_state(optim *o, int i);
void optim_set_step_count(optim *o, int64_t t);

#endif
