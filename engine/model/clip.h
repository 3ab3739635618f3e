/* clip.h: the CLIP model (vision and text towers) with LoRA, forward and backward.
 *
 * Public API in the ggml style: an opaque clip_model from clip_model_load() / clip_model_free().
 * Base weights live in one flat float32 buffer and are frozen during continual learning; a LoRA
 * state (clip_lora, lora.h) is what differs between student, teacher and pretrained reference.
 * Backward computes only what is requested (LoRA-B gradients, input-pixel gradients, and, for
 * pretraining, base-weight gradients). */
#ifndef SEGP_CLIP_H
#define SEGP_CLIP_H

#include <stddef.h>
#include <stdint.h>

#include "backend/backend.h"

typedef struct {
    int has_vision, has_text;
    /* vision tower */
    int v_width, v_layers, v_heads, v_mlp, patch, grid, resolution;
    /* text tower */
    int t_width, t_layers, t_heads, t_mlp, context, vocab;
    int embed_dim;
    act_kind act;
    float ln_eps;
    /* where heads/activation came from: "metadata", "config.json" or "openai rule" */
    char heads_source[32];
    char act_source[32];
} clip_config;

typedef struct clip_model clip_model; /* opaque */
typedef struct clip_lora clip_lora;   /* lora.h */

typedef struct {
    const char *device;    /* "cpu" (default), "cuda" or "cuda:N" */
    const char *precision; /* "auto" (default: fp32 on the CPU, tf32 on CUDA), "fp32", "tf32",
                            * "bf16": the backend's gemm precision (backend.h segp_math);
                            * NULL: leave the backend's precision as it is (an error names it
                            * --precision: the commands pass their flag's value here) */
} clip_load_params;
clip_load_params clip_default_load_params(void);

/* Load from a safetensors file (OpenAI/open_clip or Hugging Face CLIPModel names; F32/F16/BF16).
 * A config.json beside the file is read for heads/activation when the file's metadata has none.
 * NULL + error naming the file on failure. */
clip_model *clip_model_load(const char *path, const clip_load_params *params);
/* Only the architecture of the weights at PATH (as clip_model_load infers it; no weight is
 * read): for checks before a run. 0, or -1 + error naming the file. */
int clip_config_read(const char *path, clip_config *out);
/* The same from a safetensors file in memory (no config.json is looked for); NAME stands for
 * the file in messages. The bytes are not needed after the call. */
clip_model *clip_model_load_memory(const char *name, const void *data, size_t size,
                                   const clip_load_params *params);

/* A model with the given architecture and weights drawn from a seeded normal distribution
 * (std 0.02, norms at 1/0, as CLIP's initialize_parameters roughly does). For bench and tests. */
clip_model *clip_model_random(const clip_config *cfg, uint64_t seed, const char *device);

/* Validate an architecture (positive sizes, heads dividing widths). -1 + error naming WHAT. */
int clip_config_check(const clip_config *c, const char *what);

/* Save with OpenAI names (F32, F16 or BF16 storage) and segp.* metadata. */
int clip_model_save(const clip_model *m, const char *path, int dtype /* st_dtype */);

void clip_model_free(clip_model *m);

const clip_config *clip_model_config(const clip_model *m);
const segp_backend *clip_model_backend(const clip_model *m);
float clip_model_logit_scale(const clip_model *m); /* exp(logit_scale) */
const char *clip_model_naming(const clip_model *m); /* "openai" or "huggingface" */
const char *clip_model_path(const clip_model *m);

/* Parameter counts computed from the layout. */
int64_t clip_model_param_count(const clip_model *m, int tower /* 0 vision, 1 text, 2 other */);

/* Floats of the flat parameter buffer of architecture C (clip_model_num_params of its model). */
size_t clip_config_num_params(const clip_config *c);

/* Flat parameter buffer (backend memory) and its size in floats; for optimisers. */
float *clip_model_params(clip_model *m);
size_t clip_model_num_params(const clip_model *m);

/* Named view of the flat buffer (for loading, saving, tests): visits every tensor with its
 * OpenAI name, shape and offset into the flat buffer. Vision projection and text projection
 * are stored internally as Linear weights [embed, width] (the transpose of OpenAI's). */
typedef struct {
    char name[128];
    int ndim;
    int64_t shape[4];
    size_t offset, numel;
    int tower; /* 0 vision, 1 text, 2 logit_scale */
    int transposed; /* stored as the transpose of the OpenAI tensor (proj matrices) */
} clip_tensor_info;
int clip_model_tensor_count(const clip_model *m);
const clip_tensor_info *clip_model_tensor(const clip_model *m, int i);

/* ---- forward / backward ---- */

/* Activations for one tower and batch shape; grows as needed. keep != 0 stores every layer's
 * activations for a later backward; keep == 0 reuses one layer's buffers (inference). */
typedef struct clip_acts clip_acts;
clip_acts *clip_acts_new(void);
void clip_acts_free(clip_acts *a);

/* Bytes of the activations a forward of TOWER (0 vision, 1 text) carves for a batch of B rows
 * of L tokens (vision: grid^2 + 1; text: the longest end-of-text position + 1) with KEEP as
 * below, under a LoRA state of rank LORA_RANK (0: none) adapting targets LORA_TARGETS (LORA_*
 * bits; 0: this tower is not adapted). Measured by the layout code the forward itself uses, so
 * it is what the forward allocates: for memory checks before a run. */
size_t clip_acts_bytes(const clip_config *c, int tower, int b, int l, int keep, int lora_rank,
                       uint32_t lora_targets);
/* Bytes the activations hold now (the largest layout prepared so far). */
size_t clip_acts_allocated(const clip_acts *a);

/* What a backward computes; NULL members are not computed. */
typedef struct {
    float *lora_b;    /* gradient of the LoRA B buffer (same layout as clip_lora_b), added to */
    float *weights;   /* gradient of the flat parameter buffer (pretraining), added to */
    float *d_pixels;  /* gradient w.r.t. input pixels [b,3,r,r], overwritten (vision only) */
} clip_grads;

/* pixels: [b, 3, r, r] normalised, backend memory. out: [b, embed] (unnormalised). */
int clip_vision_forward(clip_model *m, const clip_lora *lora, const float *pixels, int b,
                        clip_acts *acts, int keep, float *out);
int clip_vision_backward(clip_model *m, const clip_lora *lora, clip_acts *acts,
                         const float *d_out, const clip_grads *g);

/* ids: [b, context] token ids (host memory). out: [b, embed]. The tower runs only up to the
 * longest end-of-text position in the batch (argmax of ids, as CLIP). */
int clip_text_forward(clip_model *m, const clip_lora *lora, const int32_t *ids, int b,
                      clip_acts *acts, int keep, float *out);
int clip_text_backward(clip_model *m, const clip_lora *lora, clip_acts *acts, const float *d_out,
                       const clip_grads *g);

/* Convenience (host memory in and out, batched internally, no LoRA state kept). */
int clip_encode_images(clip_model *m, const clip_lora *lora, const float *pixels, int n,
                       float *out);
int clip_encode_texts(clip_model *m, const clip_lora *lora, const int32_t *ids, int n,
                      float *out);
/* Bytes clip_encode_images holds for N images under a LoRA state of rank LORA_RANK adapting the
 * vision targets LORA_TARGETS (0, 0: none), the activations by the forward's own layout (as
 * clip_acts_bytes): for memory checks before a run. */
size_t clip_encode_images_bytes(const clip_config *c, int n, int lora_rank,
                                uint32_t lora_targets);

/* FLOPs of one forward of a tower for a batch (multiply-adds counted as 2). */
double clip_vision_flops(const clip_config *c, int b);
double clip_text_flops(const clip_config *c, int b, int l);

#endif
