/* step_memory.c: the bytes of one training step and the refusal of one that cannot fit (see
 * step_memory.h). */
#include "step_memory.h"

#include <stdio.h>

#include "core/common.h"

double step_memory_model_bytes(const clip_config *c, const clip_lora_params *lora, int copies) {
    /* the frozen (or trained) weights, as the flat buffer holds them */
    double bytes = 4.0 * (double)clip_config_num_params(c);
    if (lora) {
        size_t a, b;
        clip_lora_sizes(c, lora, &a, &b);
        bytes += 4.0 * (double)(a + b) * (1 + copies);
    }
    return bytes;
}

double step_memory_bytes(const step_memory *s) {
    const clip_config *c = s->mc;
    int rank = s->lora ? s->lora->rank : 0;
    uint32_t tv = s->lora && s->lora->vision ? s->lora->targets : 0;
    uint32_t tt = s->lora && s->lora->text ? s->lora->targets : 0;
    double f = 4.0, bytes = s->cache + s->data;
    bytes += step_memory_model_bytes(c, s->lora, s->lora_copies);
    double trained = (double)clip_config_num_params(c);
    if (s->lora) {
        size_t a, b;
        clip_lora_sizes(c, s->lora, &a, &b);
        trained = (double)b;
    }
    /* gradients and optimiser state of the trained numbers */
    bytes += f * trained * (1 + s->optim_slots);
    /* activations kept for the backward pass, one arena per tower */
    if (s->n_img > 0 && c->has_vision)
        bytes += (double)clip_acts_bytes(c, 0, s->n_img, c->grid * c->grid + 1, 1, rank, tv);
    if (s->n_txt > 0 && c->has_text) {
        int l = s->txt_tokens < 2 ? 2 : s->txt_tokens > c->context ? c->context : s->txt_tokens;
        bytes += (double)clip_acts_bytes(c, 1, s->n_txt, l, 1, rank, tt);
    }
    /* embeddings and their gradients, the batch's pixels and token ids */
    bytes += f * 2.0 * (s->n_img + s->n_txt) * c->embed_dim;
    bytes += f * (double)s->n_img * 3 * c->resolution * c->resolution;
    bytes += 4.0 * (double)s->n_txt * c->context;
    return bytes;
}

double step_memory_physical(void) {
    double have;
    return segp_memory_limit(&have, NULL, 0) == 0 ? have : 0;
}

int step_memory_check(const step_memory *s, const char *what, const char *advice) {
    double need = step_memory_bytes(s), have;
    char has[96];
    if (segp_memory_limit(&have, has, sizeof has) != 0) return -1;
    if (have <= 0 || need <= have) return 0;
    const double gib = 1073741824.0;
    char cache[96] = "", data[96] = "";
    if (s->cache > 0)
        snprintf(cache, sizeof cache, ", and %.1f GiB of training images cached as 8-bit RGB",
                 s->cache / gib);
    if (s->data > 0)
        snprintf(data, sizeof data, ", and %.1f GiB of the dataset read into memory",
                 s->data / gib);
    return SEGP_FAIL("%s: a training step needs at least %.1f GiB (%d images and %d texts "
                     "through the model, its weights, gradients and optimiser state%s%s) and %s "
                     "(expected %s)", what, need / gib, s->n_img, s->n_txt, cache, data, has,
                     advice);
}

int phase_memory_check(double need, const char *what, const char *phase, const char *advice) {
    double have;
    char has[96];
    if (segp_memory_limit(&have, has, sizeof has) != 0) return -1;
    if (have <= 0 || need <= have) return 0;
    return SEGP_FAIL("%s: %s needs at least %.1f GiB and %s (expected %s)", what, phase,
                     need / 1073741824.0, has, advice);
}
