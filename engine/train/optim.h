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

#endif
