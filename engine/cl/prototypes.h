/* prototypes.h: SeGP-CL's visual prototypes (METHOD.md §7) and dual-path inference (§8), as
 * pure functions of embeddings. A prototype is a class-level unit vector in the image
 * embedding space: the only memory of old data (never images).
 *
 *   new class c:  mu_c = normalise(mean of the student's embeddings of its training images)
 *   old class c:  d(a) = f^S(a) - f^T(a) for every anchor a (normalised embeddings);
 *                 w_{a,c} = softmax_a(f^T(a) . mu_c / tau_p);  Delta_c = sum_a w_{a,c} d(a);
 *                 rho_c = clamp(max_a f^T(a) . mu_c, 0, 1);
 *                 mu_c <- normalise(mu_c + rho_c Delta_c)
 *   dual path:    l(x, c) = s^S(x, c) + beta * logit_scale * f^S(x) . mu_c */
#ifndef SEGP_PROTOTYPES_H
#define SEGP_PROTOTYPES_H

#include <stdint.h>

/* OUT [n_cls, e] = normalised mean of the rows of EMB [n, e] whose class CLS[i] is k (rows with
 * cls outside 0..n_cls-1 are skipped); COUNT [n_cls] (may be NULL) the rows used. A class with
 * no row gets a zero vector. Double accumulation, in row order. */
void proto_class_means(const float *emb, const int32_t *cls, int n, int n_cls, int e, float *out,
                       int32_t *count);

/* Drift transfer of the N_OLD prototypes MU [n_old, e] (updated in place) from N_A anchors with
 * normalised teacher / student embeddings FT, FS [n_a, e]. DELTA [n_old, e] and RHO [n_old]
 * (may be NULL) receive Delta_c and rho_c. n_a == 0 leaves MU unchanged. */
void proto_transfer(float *mu, int n_old, const float *ft, const float *fs, int n_a, int e,
                    float tau, float *delta, float *rho);

/* LOGITS [n, n_cls] += beta * logit_scale * IMG[i] . MU[k] for the classes k with HAS[k] != 0
 * (HAS may be NULL: every class). IMG [n, e] normalised. */
void proto_dual_path(float *logits, const float *img, int n, const float *mu, const uint8_t *has,
                     int n_cls, int e, float beta, float logit_scale);

#endif
