/* clip_internal.h: the layout of clip_model shared by the model, loader and LoRA code. Not part
 * of the public API. */
#ifndef SEGP_CLIP_INTERNAL_H
#define SEGP_CLIP_INTERNAL_H

#include "clip.h"
#include "lora.h"

/* Offsets (in floats) of one residual block's tensors in the flat buffer. */
typedef struct {
    size_t ln1_w, ln1_b, in_w, in_b, out_w, out_b, ln2_w, ln2_b, fc_w, fc_b, proj_w, proj_b;
} block_off;

struct clip_model {
    clip_config cfg;
    const segp_backend *be;
    float *params; /* backend memory */
    size_t n_params;
    clip_tensor_info *tensors;
    int n_tensors;
    /* vision */
    size_t v_conv, v_cls, v_pos, v_ln_pre_w, v_ln_pre_b, v_ln_post_w, v_ln_post_b, v_proj;
    block_off *v_blocks;
    /* text */
    size_t t_tok, t_pos, t_ln_w, t_ln_b, t_proj;
    block_off *t_blocks;
    size_t logit_scale;
    char naming[16];
    char path[1024];
};

/* Build the tensor table and offsets for m->cfg and allocate m->params (zeroed). */
void clip_layout_build(clip_model *m, const segp_backend *be);
/* Its two halves: the tensor list and n_params from m->cfg (no weights), then the weights. */
void clip_layout_tensors(clip_model *m);
void clip_layout_alloc(clip_model *m, const segp_backend *be);


#endif
