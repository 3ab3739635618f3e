/* projection_internal.h: the stages of proj_tsne, exposed so that tests can compare each with a
 * float64 reference (the affinities, the descent from a given layout, the KL trace). */
#ifndef SEGP_PROJECTION_INTERNAL_H
#define SEGP_PROJECTION_INTERNAL_H

#include <stdint.h>

#include "projection.h"

/* The descent runs its per-iteration loop on several threads only from this many points: below,
 * an iteration is well under a millisecond of work, and a barrier per iteration costs more than
 * it saves whenever the cores are shared (on a busy 2-core machine 600 points took 2-4 s on two
 * threads against 0.3 s on one). */
#define TSNE_PARALLEL_MIN 2048

/* The perplexity proj_tsne uses for N points: min(PERPLEXITY, (n - 1) / 3). */
double tsne_effective_perplexity(double perplexity, int n);

/* Symmetrised input affinities P [n, n] of X [n, d] at PERPLEXITY (used as given): per row,
 * p_j|i = exp(-beta_i ||x_i - x_j||^2) normalised, beta_i by bisection until the entropy (nats)
 * is within 1e-5 of ln(perplexity) (at most 100 steps, from beta 1, doubling/halving while
 * unbounded); then P = (P_cond + P_cond^T) / (2n), zero diagonal. */
void tsne_affinities(const float *x, int n, int d, double perplexity, double *p);

/* The initial layout of proj_tsne: Y [n, 2] = 1e-4 * N(0, 1) draws of rng_seed(seed, 0), in
 * row-major order. */
void tsne_initial_layout(int n, uint64_t seed, double *y);

/* Gradient descent on KL(P || Q) from Y [n, 2] (updated in place) with PRM's iterations,
 * exaggeration, learning rate (0: auto) and momentum schedule; PRM's perplexity and seed are
 * not used. KL_TRACE (may be NULL) [prm->iters]: KL(P || Q) after each iteration. Returns the
 * final KL(P || Q). */
double tsne_descend(const double *p, int n, const tsne_params *prm, double *y, double *kl_trace);

#endif
