/* drift.h: cross-modal drift near the old-new interface (METHOD.md §10), as pure functions of
 * logits. Drift of a sample = JSD(pi_T || pi_S) over the old classes, pi = softmax of the
 * logits s (temperature 1; s = logit_scale * cosine), natural log (so 0 <= JSD <= ln 2).
 * Interface distance m(x) = max_{old} s^T(x, c) - max_{new} s^T(x, c) (teacher scores);
 * |m| small = near the interface. The signature curve is the mean drift per bin of m, for
 * old-class samples and new-task samples apart, and the boundary/core ratio compares the mean
 * drift of the BOUNDARY_FRAC of samples with the smallest |m| with the rest's. */
#ifndef SEGP_DRIFT_H
#define SEGP_DRIFT_H

#include <stdint.h>

/* JSD per row between softmax(LT[i]) and softmax(LS[i]) over K columns: OUT [n]. */
void drift_jsd(const float *lt, const float *ls, int n, int k, float *out);

/* m per row of teacher logits LT [n, n_old + n_new] whose first n_old columns are the old
 * classes and the next n_new the current task's: OUT [n]. n_old, n_new >= 1. */
void drift_interface(const float *lt, int n, int n_old, int n_new, float *out);

typedef struct {
    int bins;
    float *edges;      /* [bins + 1] equal-width edges over [min m, max m] */
    float *mean_old;   /* [bins] mean drift of old-class samples in the bin (NAN when empty) */
    float *mean_new;   /* [bins] same for new-task samples */
    int32_t *count_old, *count_new; /* [bins] */
    double boundary;   /* mean drift of the boundary set (smallest |m|, ceil(frac * n) samples;
                        * ties in |m| broken by the lower index) */
    double core;       /* mean drift of the rest */
    double ratio;      /* boundary / core (NAN when core == 0 or a set is empty) */
    double mean_all;   /* mean drift of every sample */
} drift_curve;

/* The curve of N samples (DRIFT, M, IS_OLD [n] 1 for old-class samples) with BINS bins and the
 * boundary/core split at BOUNDARY_FRAC (0.2). -1 + error when n < 2, bins < 1 or frac not in
 * (0, 1). OUT allocated (drift_curve_free). */
int drift_curve_compute(const float *drift, const float *m, const uint8_t *is_old, int n, int bins,
                        double boundary_frac, drift_curve *out);
void drift_curve_free(drift_curve *c);

#endif
