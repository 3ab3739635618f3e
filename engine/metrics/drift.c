/* drift.c: cross-modal drift (JSD of teacher vs student softmax), interface distance and the
 * drift-vs-interface curve with its boundary/core ratio (see drift.h). Double accumulation. */
#include "drift.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "backend/backend.h"
#include "core/common.h"

void drift_jsd(const float *lt, const float *ls, int n, int k, float *out) {
    segp_backend_cpu()->jsd_rows(out, lt, ls, n, k); /* host arrays: the CPU's op */
}

void drift_interface(const float *lt, int n, int n_old, int n_new, float *out) {
    int k = n_old + n_new;
    for (int i = 0; i < n; i++) {
        const float *r = lt + (size_t)i * k;
        float mo = r[0], mn = r[n_old];
        for (int j = 1; j < n_old; j++) mo = fmaxf(mo, r[j]);
        for (int j = n_old + 1; j < k; j++) mn = fmaxf(mn, r[j]);
        out[i] = mo - mn;
    }
}

typedef struct {
    float key;
    int idx;
} key_idx;

static int cmp_key_idx(const void *a, const void *b) {
    const key_idx *x = a, *y = b;
    if (x->key != y->key) return x->key < y->key ? -1 : 1;
    return (x->idx > y->idx) - (x->idx < y->idx);
}

int drift_curve_compute(const float *drift, const float *m, const uint8_t *is_old, int n, int bins,
                        double boundary_frac, drift_curve *out) {
    memset(out, 0, sizeof *out);
    if (n < 2) return SEGP_FAIL("drift curve: %d samples (expected at least 2)", n);
    if (bins < 1) return SEGP_FAIL("drift curve: %d bins (expected at least 1)", bins);
    if (!(boundary_frac > 0 && boundary_frac < 1))
        return SEGP_FAIL("drift curve: boundary fraction %g (expected in (0, 1))", boundary_frac);

    float lo = m[0], hi = m[0];
    for (int i = 1; i < n; i++) {
        lo = fminf(lo, m[i]);
        hi = fmaxf(hi, m[i]);
    }
    out->bins = bins;
    out->edges = segp_malloc((size_t)(bins + 1) * sizeof(float));
    out->mean_old = segp_malloc((size_t)bins * sizeof(float));
    out->mean_new = segp_malloc((size_t)bins * sizeof(float));
    out->count_old = segp_calloc((size_t)bins, sizeof(int32_t));
    out->count_new = segp_calloc((size_t)bins, sizeof(int32_t));
    double width = ((double)hi - lo) / bins;
    for (int b = 0; b <= bins; b++) out->edges[b] = (float)(lo + width * b);
    out->edges[bins] = hi;

    /* bin b holds [edge b, edge b+1), the last one also its upper edge (numpy's histogram) */
    double *sum_old = segp_calloc(2 * (size_t)bins, sizeof(double)), *sum_new = sum_old + bins;
    double all = 0;
    for (int i = 0; i < n; i++) {
        int b = width > 0 ? (int)floor(((double)m[i] - lo) / width) : 0;
        if (b >= bins) b = bins - 1;
        if (b < 0) b = 0;
        if (is_old[i]) {
            sum_old[b] += drift[i];
            out->count_old[b]++;
        } else {
            sum_new[b] += drift[i];
            out->count_new[b]++;
        }
        all += drift[i];
    }
    for (int b = 0; b < bins; b++) {
        out->mean_old[b] = out->count_old[b] ? (float)(sum_old[b] / out->count_old[b]) : NAN;
        out->mean_new[b] = out->count_new[b] ? (float)(sum_new[b] / out->count_new[b]) : NAN;
    }
    free(sum_old);
    out->mean_all = all / n;

    /* boundary = the ceil(frac * n) smallest |m|. The fraction usually comes from a float
     * config value (0.2f = 0.2000000030), so a relative 1e-6 is forgiven before the ceiling. */
    double want = boundary_frac * n;
    int nb = (int)ceil(want - 1e-6 * want);
    if (nb < 1) nb = 1;
    if (nb > n) nb = n;
    key_idx *ki = segp_malloc((size_t)n * sizeof *ki);
    for (int i = 0; i < n; i++) ki[i] = (key_idx){fabsf(m[i]), i};
    qsort(ki, (size_t)n, sizeof *ki, cmp_key_idx);
    double sb = 0, sc = 0;
    for (int i = 0; i < n; i++) {
        if (i < nb)
            sb += drift[ki[i].idx];
        else
            sc += drift[ki[i].idx];
    }
    free(ki);
    out->boundary = sb / nb;
    out->core = nb < n ? sc / (n - nb) : NAN;
    out->ratio = nb < n && out->core != 0 ? out->boundary / out->core : NAN;
    return 0;
}

void drift_curve_free(drift_curve *c) {
    if (!c) return;
    free(c->edges);
    free(c->mean_old);
    free(c->mean_new);
    free(c->count_old);
    free(c->count_new);
    memset(c, 0, sizeof *c);
}
