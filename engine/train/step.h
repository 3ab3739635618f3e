/* step.h: the one training step. A step forwards an image batch and a text batch through the
 * trained state (a LoRA state, or the base weights when pretraining), lets a list of loss terms
 * read the embeddings and add their gradients, runs the backward of both towers and applies the
 * optimiser. Pretraining, joint fine-tuning, the continual-learning runner and the bench all use
 * it; SeGP-CL's parts are more loss terms on the same step.
 *
 * Loss terms see unnormalised embeddings (rows of the image batch and of the text batch) and add
 * weight * d(loss)/d(embedding) to d_img / d_txt. A term that uses only some rows (e.g. anchors
 * placed after the data rows of the image batch) knows which from its own user data. */
#ifndef SEGP_STEP_H
#define SEGP_STEP_H

#include <stddef.h>
#include <stdint.h>

#include "model/clip.h"
#include "model/lora.h"
#include "train/optim.h"

typedef struct {
    const segp_backend *be;
    int e;               /* embedding size */
    float logit_scale;   /* exp(logit_scale) of the model at this step */
    const float *img;    /* [n_img, e] unnormalised image embeddings (student / trained state) */
    int n_img;
    const float *txt;    /* [n_txt, e] unnormalised text embeddings */
    int n_txt;
    float *d_img;        /* [n_img, e] gradients, zeroed before the first term, added to */
    float *d_txt;        /* [n_txt, e] */
    float d_log_scale;   /* gradient w.r.t. log(logit_scale), added to (pretraining) */
} step_ctx;

typedef struct loss_term {
    const char *name;    /* "cls", "acgd", "tsgr", "clip" ... (event and log key) */
    float weight;        /* lambda; the term adds weight * its gradient */
    /* Returns the unweighted loss value; adds weight * gradient into ctx->d_img / d_txt /
     * d_log_scale. NAN on failure (with SEGP_FAIL). */
    float (*fn)(const struct loss_term *t, step_ctx *ctx);
    void *user;
} loss_term;

/* The CLIP-logit cross-entropy as a loss term: user points at a clip_ce_term. Images are the
 * first n rows of the image batch (n <= 0: all), each with a target row of the text batch.
 * symmetric: CLIP's InfoNCE (pretraining; needs n_img == n_txt and targets[i] == i). */
typedef struct {
    const int32_t *targets;
    int n;
    int symmetric;
} clip_ce_term;
float loss_term_clip_ce(const loss_term *t, step_ctx *ctx);

typedef struct train_step train_step; /* opaque: activations, embedding and gradient buffers */

typedef struct {
    clip_lora *lora;   /* the trained LoRA state (B is updated); NULL: train the base weights */
    optim *opt;        /* over clip_lora_trainable(lora) numbers, or clip_model_num_params(m) */
    int train_vision;  /* backward through the vision tower (default 1) */
    int train_text;    /* backward through the text tower (default 1) */
} train_step_params;

train_step *train_step_new(clip_model *m, const train_step_params *p);
void train_step_free(train_step *s);

/* One step: forward of n_img images (pixels [n_img,3,r,r], normalised) and n_txt prompts
 * (ids [n_txt, context]), the terms, backward, optimiser step at learning rate LR.
 * values[k] receives term k's unweighted loss (may be NULL); *total the weighted sum.
 * -1 + error (a non-finite loss is an error naming the term and the step). */
int train_step_run(train_step *s, const float *pixels, int n_img, const int32_t *ids, int n_txt,
                   loss_term *terms, int n_terms, float lr, float *values, float *total);

#endif
