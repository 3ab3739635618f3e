/* cl_losses.h: SeGP-CL's loss terms (METHOD.md §3, §5, §6) as pure functions of embeddings,
 * each with its gradient, and as loss terms of the one training step (train/step.h).
 *
 * Conventions. Embeddings given to these functions are UNNORMALISED rows (as the step hands
 * them to loss terms); the functions L2-normalise internally and back-propagate through the
 * normalisation. "logit_scale" is exp(s) of the checkpoint (29.45 for the shipped shapes
 * model, 100 for OpenAI CLIP), so s(x, c) = logit_scale * f^(x) . g^(c). Gradients are ADDED to
 * the output buffers, multiplied by WEIGHT (so a loss term passes its lambda). Natural logs.
 * All arithmetic in double where it accumulates; deterministic (no threading inside). The host
 * functions below run on host memory (the CPU backend's cores); the loss terms run as ops of
 * the step's backend, their host data (teacher probabilities, neighbour lists) uploaded. */
#ifndef SEGP_CL_LOSSES_H
#define SEGP_CL_LOSSES_H

#include <stdint.h>

#include "train/step.h"

/* ---- L_cls (§4) ----
 * The CLIP-logit cross-entropy of the data images (the first ce.n rows of the image batch)
 * against the first N_TXT prompts of the text batch only, so that rows a method appends
 * (anchors, old-class prompts) never become L_cls candidates. user points at a cls_term. */
typedef struct {
    clip_ce_term ce;
    int n_txt;
} cls_term;
int loss_term_cls(const loss_term *t, step_ctx *ctx, float *value);

/* ---- ACGD (§5) ----
 * L = tau^2 * mean_{a<n} KL(p_T(.|a) || p_S(.|a)), p_S(c|a) = softmax_c(logit_scale *
 * f^(a).g^(c) / tau) over the K old classes; p_T given (precomputed from the teacher).
 * F: [n, e] student image embeddings of the anchors, G: [K, e] student text embeddings of the
 * old classes. d_f [n, e] and d_g [K, e] (either may be NULL) receive += weight * dL/d(.). */
double acgd_loss(const float *f, int n, const float *g, int K, int e, const float *p_teacher,
                 float logit_scale, float tau, float weight, float *d_f, float *d_g);

/* The teacher side: P [n, K] = softmax_c(logit_scale * f^_T(a).g^_T(c) / tau) from NORMALISED
 * teacher embeddings FT [n, e] and GT [K, e]. */
void acgd_teacher_probs(const float *ft, int n, const float *gt, int K, int e, float logit_scale,
                        float tau, float *p);

/* As a loss term: user points at an acgd_term. The anchors are image-batch rows img0..img0+n-1,
 * the old-class prompts text-batch rows txt0..txt0+K-1. */
typedef struct {
    int img0, n, txt0, K;
    const float *p_teacher; /* [n, K], the anchors of this step in row order */
    float tau;
} acgd_term;
int loss_term_acgd(const loss_term *t, step_ctx *ctx, float *value);

/* ---- TSGR (§6) ----
 * For each current class i < n_cls (text row rows[i]) with neighbours nbr[i*k + j] (text rows):
 * p_ref given [n_cls, k]; p_S(j|i) = softmax_j(g^(rows[i]).g^(nbr[i,j]) / tau);
 * L = mean_i KL(p_ref(.|i) || p_S(.|i)). G: [n_rows, e] unnormalised text embeddings (student);
 * d_g (may be NULL) += weight * dL/dG (gradients reach both the class and its neighbours). */
double tsgr_loss(const float *g, int e, const int32_t *rows, int n_cls, const int32_t *nbr, int k,
                 const float *p_ref, float tau, float weight, float *d_g);

/* The reference side, in the pretrained text space G0 [n, e] (NORMALISED rows of candidate
 * classes): for each class i in CLS[0..n_cls) pick the k nearest (largest cosine) among POOL
 * rows 0..n-1 other than cls[i] (ties: the lower row), into nbr [n_cls, k] (rows of G0), and
 * p_ref [n_cls, k] = softmax_j(G0[cls[i]].G0[nbr] / tau). k must be <= n - 1 (-1 + error). */
int tsgr_reference(const float *g0, int n, int e, const int32_t *cls, int n_cls, int k, float tau,
                   int32_t *nbr, float *p_ref);

/* As a loss term: user points at a tsgr_term (rows are text-batch rows). */
typedef struct {
    const int32_t *rows; /* [n_cls] */
    int n_cls;
    const int32_t *nbr;  /* [n_cls, k] */
    int k;
    const float *p_ref;  /* [n_cls, k] */
    float tau;
} tsgr_term;
int loss_term_tsgr(const loss_term *t, step_ctx *ctx, float *value);

/* ---- the DPGD objective (§3.3) ----
 * For ONE unnormalised teacher image embedding F [e]:
 *   L = CE_c(logit_scale * f^.g^_k over the K old classes, target) + lambda_p (1 - f^.mu)
 * G: [K, e] NORMALISED teacher text embeddings of the old classes; MU [e] the normalised
 * prototype of the target class (NULL or lambda_p == 0: no visual term). *ce and *vis
 * (may be NULL) receive the two terms (vis unweighted: 1 - f^.mu; 0 when MU is NULL); d_f
 * (may be NULL) is OVERWRITTEN with dL/dF. Returns L. */
double dpgd_objective(const float *f, int e, const float *g, int K, int target, const float *mu,
                      float lambda_p, float logit_scale, double *ce, double *vis, float *d_f);

#endif
