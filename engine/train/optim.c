/* optim.c: AdamW, SGD with momentum, warm-up + cosine schedule. */
#include "optim.h"

#include <math.h>

void adamw_step(float *p, const float *g, float *m, float *v, size_t n, const adamw_params *hp,
                int64_t t, const uint8_t *decay_mask) {
    const float b1 = hp->beta1, b2 = hp->beta2;
    const float c1 = 1.0f - powf(b1, (float)t), c2 = 1.0f - powf(b2, (float)t);
    const float lr = hp->lr, wd = hp->weight_decay, eps = hp->eps;
#pragma omp parallel for schedule(static) if (n > 65536)
    for (size_t i = 0; i < n; i++) {
        float gi = g[i];
        m[i] = b1 * m[i] + (1.0f - b1) * gi;
        v[i] = b2 * v[i] + (1.0f - b2) * gi * gi;
        float upd = (m[i] / c1) / (sqrtf(v[i] / c2) + eps);
        if (!decay_mask || decay_mask[i]) upd += wd * p[i];
        p[i] -= lr * upd;
    }
}

void sgd_step(float *p, const float *g, float *v, size_t n, float lr, float momentum,
              float weight_decay) {
#pragma omp parallel for schedule(static) if (n > 65536)
    for (size_t i = 0; i < n; i++) {
        float gi = g[i] + weight_decay * p[i];
        v[i] = momentum * v[i] + gi;
        p[i] -= lr * v[i];
    }
}

float lr_warmup_cosine(float base, int64_t step, int64_t warmup, int64_t total) {
    if (step < warmup) return base * (float)(step + 1) / (float)warmup;
    if (total <= warmup) return base;
    double prog = (double)(step - warmup) / (double)(total - warmup);
    if (prog > 1.0) prog = 1.0;
    return (float)(0.5 * base * (1.0 + cos(M_PI * prog)));
}
