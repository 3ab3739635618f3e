/* tiny_model.h: the tiny CLIP architecture of the fuzz targets that need a model (the LoRA
 * checkpoint target loads into a LoRA state of it) and of the seed tool that writes their
 * seeds (fuzz/tools/make_model_seeds.c): both towers, one block each, widths of 8. */
#ifndef SEGP_FUZZ_TINY_MODEL_H
#define SEGP_FUZZ_TINY_MODEL_H

#include "model/clip.h"
#include "model/lora.h"

static inline clip_config tiny_clip_config(void) {
    clip_config c = {0};
    c.has_vision = c.has_text = 1;
    c.v_width = 8, c.v_layers = 1, c.v_heads = 2, c.v_mlp = 16, c.patch = 2, c.grid = 2;
    c.resolution = 4;
    c.t_width = 8, c.t_layers = 1, c.t_heads = 2, c.t_mlp = 16, c.context = 4, c.vocab = 10;
    c.embed_dim = 4;
    c.act = ACT_QUICK_GELU;
    c.ln_eps = 1e-5f;
    return c;
}

static inline clip_lora_params tiny_lora_params(void) {
    clip_lora_params p = clip_lora_default_params();
    p.rank = 2;
    p.alpha = 2.0f;
    p.seed = 7;
    return p;
}

#endif
