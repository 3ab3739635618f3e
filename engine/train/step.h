/* step.h: the one training step. A step forwards an image batch and a text batch through the
 * trained state (a LoRA state, or the base weights when pretraining), lets a list of loss terms
 * read the embeddings and add their gradients, runs the backward of both towers and applies the
 * optimiser. Pretraining, joint fine-tuning, the continual-learning runner and the bench all use
 * it; SeGP-CL's parts are more loss terms on the same step.
 *
 * Usage: make an optimiser over the trained numbers (optim_new(be, &op, clip_lora_trainable(lora),
 * NULL), or clip_model_num_params(m) with a decay mask when pretraining), then
 * s = train_step_new(m, &(train_step_params){.lora = lora, .opt = opt, .train_vision = 1,
 * .train_text = 1, .data_parallel = 1}) (data_parallel, below, makes small models' LoRA steps
 * several times faster on a busy machine). Per step: fill pixels [n_img,3,r,r] and token ids
 * [n_txt,context], set up the terms (e.g. clip_ce_term ce = {labels, 0, 0}; loss_term t =
 * {"cls", 1.0f, loss_term_clip_ce, &ce}), and call train_step_run(s, pixels, n_img, ids,
 * n_txt, &t, 1, lr_warmup_cosine(base, step, warmup, total), values, &total). The optimiser
 * counts the steps (optim_step_count); checkpoints save lora->b (or the flat parameters) and
 * optim_state().
 * The epoch order of samples is train_epoch_order() below. The step holds activations and
 * buffers sized by the largest batch seen; free it with train_step_free (the optimiser and the
 * LoRA state stay the caller's).
 *
 * Loss terms see unnormalised embeddings (rows of the image batch and of the text batch) and add
 * weight * d(loss)/d(embedding) to d_img / d_txt. A term that uses only some rows (e.g. anchors
 * placed after the data rows of the image batch) knows which from its own user data. */
#ifndef SEGP_STEP_H
#define SEGP_STEP_H

#include <stddef.h>
#include <stdint.h>

#include "backend/arena.h"
#include "model/clip.h"
#include "model/lora.h"
#include "train/optim.h"

typedef struct {
    const segp_backend *be;
    backend_arena *ws;   /* scratch backend memory of this step (given back at the next step) */
    int e;               /* embedding size */
    float logit_scale;   /* exp(logit_scale) of the model at this step */
    int64_t step;        /* 1 for the first step of the optimiser */
    const float *img;    /* [n_img, e] unnormalised image embeddings (student / trained state) */
    int n_img;
    const float *txt;    /* [n_txt, e] unnormalised text embeddings (NULL when n_txt == 0) */
    int n_txt;
    float *d_img;        /* [n_img, e] gradients, zeroed before the first term, added to; */
    float *d_txt;        /* [n_txt, e]   NULL when that tower is not trained */
    float *d_log_scale;  /* one float: gradient w.r.t. log(logit_scale), added to; NULL unless
                          * the base weights are trained (pretraining) */
} step_ctx;
/* Every pointer of step_ctx is backend memory. A term's own host data (targets, teacher
 * probabilities, neighbour lists) reaches the backend through step_upload: a copy in the
 * step's scratch memory (the host pointer itself on the CPU), valid until the step ends. */
const void *step_upload(step_ctx *ctx, const void *host, size_t bytes);

typedef struct loss_term {
    const char *name;    /* "cls", "acgd", "tsgr", "clip" ... (event and log key) */
    float weight;        /* lambda; the term adds weight * its gradient */
    /* Writes the unweighted loss into *value (one float of backend memory) and adds weight *
     * gradient into ctx->d_img / d_txt / d_log_scale, all as backend ops (nothing waits for
     * the device). 0, or -1 + error (SEGP_FAIL) when the term does not fit the batch. */
    int (*fn)(const struct loss_term *t, step_ctx *ctx, float *value);
    void *user;
} loss_term;

/* A term's value on the host (runs fn on scratch memory and reads the value back: for tests
 * and one-off evaluations, not inside a step). NAN + error when fn fails. */
float loss_term_value(const loss_term *t, step_ctx *ctx);

/* The CLIP-logit cross-entropy as a loss term: user points at a clip_ce_term. Images are the
 * first n rows of the image batch (n <= 0: all), each with a target row of the text batch.
 * symmetric: CLIP's InfoNCE (pretraining; needs n == n_txt and targets[i] == i). targets is
 * host memory (uploaded through step_upload). */
typedef struct {
    const int32_t *targets;
    int n;
    int symmetric;
} clip_ce_term;
int loss_term_clip_ce(const loss_term *t, step_ctx *ctx, float *value);

typedef struct train_step train_step; /* opaque: activations, embedding and gradient buffers */

typedef struct {
    clip_lora *lora;   /* the trained LoRA state (B is updated); NULL: train the base weights */
    optim *opt;        /* over clip_lora_trainable(lora) numbers, or clip_model_num_params(m);
                        * NULL: gradients only (train_step_grads), nothing is updated */
    int train_vision;  /* backward through the vision tower */
    int train_text;    /* backward through the text tower */
    /* Split the image batch across the OpenMP threads (one chunk each; the text batch is one
     * more task; each task runs single-threaded, per-task gradients are added in task order)
     * when the batch has at least as many images as there are threads (fewer would leave
     * threads idle beside a whole image tower: that step runs unsplit). Small models spend
     * most of a step in small ops whose fork/join per op dominates (and stalls whenever another
     * process shares the cores); one fork per pass does not. Results then differ in rounding
     * from the unsplit step (deterministic for a given thread count). 0: every op is threaded
     * (pretraining keeps this, so that its published log reproduces bit for bit). Host-memory
     * backends only: a device backend runs the unsplit step. */
    int data_parallel;
} train_step_params;

/* NULL + error when the optimiser's size does not match what is trained. */
train_step *train_step_new(clip_model *m, const train_step_params *p);
void train_step_free(train_step *s);

/* One step: forward of n_img images (pixels [n_img,3,r,r], normalised, HOST memory: uploaded
 * here, the step's one crossing of inputs) and n_txt prompts (ids [n_txt, context], host; n_txt
 * may be 0), the terms, backward, optimiser step at learning rate LR. values[k] receives term
 * k's unweighted loss (may be NULL); *total the weighted sum (may be NULL). The values are read
 * back once, after the backward and before the update: a non-finite loss is an error naming
 * the term and the step, and the parameters are then left as they were. -1 + error. */
int train_step_run(train_step *s, const float *pixels, int n_img, const int32_t *ids, int n_txt,
                   loss_term *terms, int n_terms, float lr, float *values, float *total);

/* The gradient of the last step (LoRA-B layout, or the flat parameter buffer; backend memory),
 * and its size. */
const float *train_step_grads(const train_step *s, size_t *n);

/* The order an epoch visits N samples in: a seeded Fisher-Yates permutation of 0..n-1, a
 * function of (seed, epoch) alone. */
void train_epoch_order(uint64_t seed, int epoch, int n, int32_t *order);

#endif
