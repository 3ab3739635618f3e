/* clip_loss.h: the loss on CLIP logits shared by pretraining, fine-tuning and the benchmark:
 * logits = scale * normalise(img) normalise(txt)^T, cross-entropy per image against a target
 * text (and, symmetric, per text against image i), with gradients w.r.t. the unnormalised
 * embeddings and the log logit scale. Every step runs as ops of the backend. */
#ifndef SEGP_CLIP_LOSS_H
#define SEGP_CLIP_LOSS_H

#include <stdint.h>

#include "backend/arena.h"
#include "backend/backend.h"

/* img [n_img, e], txt [n_txt, e], targets [n_img] (all backend memory). targets[i] in
 * [0, n_txt) is image i's text. symmetric != 0 (needs n_img == n_txt and targets[i] == i): the
 * mean of the image->text and text->image losses, as CLIP's InfoNCE. *loss (one float of
 * backend memory) receives the loss; d_img, d_txt and *d_log_scale (backend memory) are
 * OVERWRITTEN when not NULL. Scratch comes from WS (NULL: allocated and freed here).
 * 0, or -1 + error (symmetric with n_img != n_txt). */
int clip_logit_loss(const segp_backend *be, backend_arena *ws, float *loss, const float *img,
                    int n_img, const float *txt, int n_txt, int e, float scale,
                    const int32_t *targets, int symmetric, float *d_img, float *d_txt,
                    float *d_log_scale);

#endif
