/* projection.h: 2-D projections of embedding sets (METHOD.md §10): PCA (exact, through
 * LAPACK's symmetric eigensolver dsyevd, from OpenBLAS, on the d x d covariance) and exact
 * t-SNE (van der Maaten and Hinton 2008; meant for up to a few thousand points).
 * Deterministic for a given seed and independent of the thread count. */
#ifndef SEGP_PROJECTION_H
#define SEGP_PROJECTION_H

#include <stdint.h>

/* The first K principal components of X [n, d] (centred): OUT [n, k] scores, EXPLAINED [k]
 * (may be NULL) the fraction of variance of each. Each component's sign is fixed so that its
 * largest-magnitude loading is positive. -1 + error when n < 2 or k > min(n, d). */
int proj_pca(const float *x, int n, int d, int k, float *out, float *explained);

typedef struct {
    double perplexity;   /* 30 (reduced to (n - 1) / 3 when n is small) */
    int iters;           /* 1000 */
    int exaggeration_iters; /* 250, early exaggeration 12 */
    double learning_rate;   /* 0: max(n / 12 / 4, 50) ("auto", as scikit-learn) */
    uint64_t seed;       /* initial layout: 1e-4 * N(0, 1) draws from this seed */
} tsne_params;
tsne_params tsne_default_params(void);

/* OUT [n, 2]; *kl (may be NULL) the final KL(P || Q). Input affinities from Euclidean
 * distances of X [n, d] with a per-point binary search of the Gaussian width to the
 * perplexity, symmetrised; gradient descent with momentum 0.5 then 0.8 and per-coordinate
 * gains (+0.2 while a coordinate's step keeps its direction, else x0.8, at least 0.01; momentum
 * and gains carry over from the exaggerated phase, as in van der Maaten's reference code).
 * -1 + error when n < 4. */
int proj_tsne(const float *x, int n, int d, const tsne_params *p, float *out, double *kl);
/* Bytes proj_tsne holds at once for N points (its dense n x n P and the affinities' conditional
 * matrix: quadratic in N), a lower bound: for the memory check before a run. */
double proj_tsne_bytes(int n);

#endif
