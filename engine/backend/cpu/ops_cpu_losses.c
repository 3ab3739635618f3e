/* ops_cpu_losses.c: the CPU ops of SeGP-CL's losses (ACGD, TSGR, the DPGD objective), the PGD
 * step, the JSD of the drift analytics and the optimiser updates. The losses accumulate in
 * double with plain loops: their sizes are small (anchors x old classes, classes x neighbours)
 * and the result must not depend on threads. Formulas: engine/cl/cl_losses.h, METHOD.md. */
#include <math.h>
#include <stdlib.h>

#include "core/common.h"
#include "ops_cpu_internal.h"

/* Rows of X [n, e] L2-normalised into Y (double), their norms into NORM. A zero row stays zero
 * (as l2norm_fwd). */
static void normalise_rows(const float *x, int n, int e, double *y, double *norm) {
    for (int i = 0; i < n; i++) {
        const float *xi = x + (size_t)i * e;
        double s = 0;
        for (int j = 0; j < e; j++) s += (double)xi[j] * xi[j];
        double nm = sqrt(s), inv = nm > 0 ? 1.0 / nm : 0.0;
        for (int j = 0; j < e; j++) y[(size_t)i * e + j] = xi[j] * inv;
        norm[i] = nm;
    }
}

/* DX [n, e] += WEIGHT * dL/dX, given DY = dL/dY with Y = X / |X| row by row. */
static void normalise_bwd_add(const double *dy, const double *y, const double *norm, int n, int e,
                              double weight, float *dx) {
    for (int i = 0; i < n; i++) {
        const double *yi = y + (size_t)i * e, *gi = dy + (size_t)i * e;
        double dot = 0;
        for (int j = 0; j < e; j++) dot += yi[j] * gi[j];
        double s = norm[i] > 0 ? weight / norm[i] : 0.0;
        for (int j = 0; j < e; j++) dx[(size_t)i * e + j] += (float)((gi[j] - yi[j] * dot) * s);
    }
}

static double dot(const double *a, const double *b, int e) {
    double s = 0;
    for (int j = 0; j < e; j++) s += a[j] * b[j];
    return s;
}

double cpu_log_sum_exp(const double *z, int K) {
    double m = z[0], s = 0;
    for (int c = 1; c < K; c++)
        if (z[c] > m) m = z[c];
    for (int c = 0; c < K; c++) s += exp(z[c] - m);
    return m + log(s);
}

/* KL(P || softmax(Z)) over K classes; G (may be NULL) receives dKL/dZ. P need not sum to 1
 * exactly (float teacher rows): the gradient is then softmax * sum(P) - P, the exact one. */
static double kl_softmax(const float *p, const double *z, int K, double *g) {
    double lse = cpu_log_sum_exp(z, K), kl = 0, sp = 0;
    for (int c = 0; c < K; c++) {
        double pc = p[c];
        if (pc > 0) kl += pc * (log(pc) - (z[c] - lse));
        sp += pc;
    }
    if (g)
        for (int c = 0; c < K; c++) g[c] = exp(z[c] - lse) * sp - p[c];
    return kl;
}

double cpu_acgd_loss(const float *f, int n, const float *g, int K, int e, const float *p_teacher,
                     float logit_scale, float tau, float weight, float *d_f, float *d_g) {
    if (n <= 0 || K <= 0) return 0;
    double *fh = segp_malloc((size_t)n * e * sizeof(double));
    double *gh = segp_malloc((size_t)K * e * sizeof(double));
    double *nf = segp_malloc((size_t)n * sizeof(double)),
           *ng = segp_malloc((size_t)K * sizeof(double));
    double *dz = segp_malloc((size_t)n * K * sizeof(double)),
           *z = segp_malloc((size_t)K * sizeof(double));
    normalise_rows(f, n, e, fh, nf);
    normalise_rows(g, K, e, gh, ng);
    double a_scale = (double)logit_scale / tau, kl = 0;
    for (int a = 0; a < n; a++) {
        for (int c = 0; c < K; c++) z[c] = a_scale * dot(fh + (size_t)a * e, gh + (size_t)c * e, e);
        kl += kl_softmax(p_teacher + (size_t)a * K, z, K, dz + (size_t)a * K);
    }
    double t2 = (double)tau * tau, loss = t2 * kl / n;
    /* dL/dz = tau^2 / n * dKL/dz and dz/df^ = (logit_scale / tau) g^ */
    double s = t2 / n * a_scale;
    if (d_f) {
        double *d = segp_calloc((size_t)n * e, sizeof(double));
        for (int a = 0; a < n; a++)
            for (int c = 0; c < K; c++) {
                double w = s * dz[(size_t)a * K + c];
                const double *gc = gh + (size_t)c * e;
                for (int j = 0; j < e; j++) d[(size_t)a * e + j] += w * gc[j];
            }
        normalise_bwd_add(d, fh, nf, n, e, weight, d_f);
        free(d);
    }
    if (d_g) {
        double *d = segp_calloc((size_t)K * e, sizeof(double));
        for (int a = 0; a < n; a++)
            for (int c = 0; c < K; c++) {
                double w = s * dz[(size_t)a * K + c];
                const double *fa = fh + (size_t)a * e;
                for (int j = 0; j < e; j++) d[(size_t)c * e + j] += w * fa[j];
            }
        normalise_bwd_add(d, gh, ng, K, e, weight, d_g);
        free(d);
    }
    free(fh), free(gh), free(nf), free(ng), free(dz), free(z);
    return loss;
}

void cpu_acgd_fwd_bwd(float *loss, float *d_f, float *d_g, const float *f, int n, const float *g,
                      int K, int e, const float *p_teacher, float logit_scale, float tau,
                      float weight) {
    *loss = (float)cpu_acgd_loss(f, n, g, K, e, p_teacher, logit_scale, tau, weight, d_f, d_g);
}

double cpu_tsgr_loss(const float *g, int n_rows, int e, const int32_t *rows, int n_cls,
                     const int32_t *nbr, int k, const float *p_ref, float tau, float weight,
                     float *d_g) {
    if (n_cls <= 0 || k <= 0 || n_rows <= 0) return 0;
    double *gh = segp_malloc((size_t)n_rows * e * sizeof(double));
    double *nm = segp_malloc((size_t)n_rows * sizeof(double));
    double *d = d_g ? segp_calloc((size_t)n_rows * e, sizeof(double)) : NULL;
    double *z = segp_malloc((size_t)k * sizeof(double)),
           *dz = segp_malloc((size_t)k * sizeof(double));
    normalise_rows(g, n_rows, e, gh, nm);
    double kl = 0, inv_tau = 1.0 / tau;
    for (int i = 0; i < n_cls; i++) {
        const int32_t *nb = nbr + (size_t)i * k;
        const double *a = gh + (size_t)rows[i] * e;
        for (int j = 0; j < k; j++) z[j] = dot(a, gh + (size_t)nb[j] * e, e) * inv_tau;
        kl += kl_softmax(p_ref + (size_t)i * k, z, k, d ? dz : NULL);
        if (!d) continue;
        /* dL/dz_j = dKL/dz_j / n_cls; z_j = a . b_j / tau */
        double *da = d + (size_t)rows[i] * e;
        for (int j = 0; j < k; j++) {
            double w = dz[j] * inv_tau / n_cls;
            const double *b = gh + (size_t)nb[j] * e;
            double *db = d + (size_t)nb[j] * e;
            for (int q = 0; q < e; q++) da[q] += w * b[q], db[q] += w * a[q];
        }
    }
    if (d) normalise_bwd_add(d, gh, nm, n_rows, e, weight, d_g);
    free(gh), free(nm), free(d), free(z), free(dz);
    return kl / n_cls;
}

void cpu_tsgr_fwd_bwd(float *loss, float *d_g, const float *g, int n_rows, int e,
                      const int32_t *rows, int n_cls, const int32_t *nbr, int k,
                      const float *p_ref, float tau, float weight) {
    *loss = (float)cpu_tsgr_loss(g, n_rows, e, rows, n_cls, nbr, k, p_ref, tau, weight, d_g);
}

double cpu_dpgd_row(const float *f, int e, const float *g, int K, int target, const float *mu,
                    float lambda_p, float logit_scale, double *ce, double *vis, float *d_f) {
    double *fh = segp_malloc((size_t)(e > 0 ? e : 1) * sizeof(double)),
           *z = segp_malloc((size_t)(K > 0 ? K : 1) * sizeof(double));
    double nm;
    normalise_rows(f, 1, e, fh, &nm);
    for (int c = 0; c < K; c++) {
        const float *gc = g + (size_t)c * e;
        double s = 0;
        for (int j = 0; j < e; j++) s += fh[j] * gc[j];
        z[c] = (double)logit_scale * s;
    }
    double lse = cpu_log_sum_exp(z, K), l_ce = lse - z[target], v = 0;
    int use_vis = mu && lambda_p != 0.0f;
    if (mu) {
        double s = 0;
        for (int j = 0; j < e; j++) s += fh[j] * mu[j];
        v = 1.0 - s;
    }
    if (ce) *ce = l_ce;
    if (vis) *vis = v;
    if (d_f) {
        /* dL/df^ = logit_scale sum_c (softmax_c - [c == target]) g_c - lambda_p mu */
        double *d = segp_calloc((size_t)(e > 0 ? e : 1), sizeof(double));
        for (int c = 0; c < K; c++) {
            double w = (double)logit_scale * (exp(z[c] - lse) - (c == target));
            const float *gc = g + (size_t)c * e;
            for (int j = 0; j < e; j++) d[j] += w * gc[j];
        }
        if (use_vis)
            for (int j = 0; j < e; j++) d[j] -= (double)lambda_p * mu[j];
        for (int j = 0; j < e; j++) d_f[j] = 0.0f;
        normalise_bwd_add(d, fh, &nm, 1, e, 1.0, d_f);
        free(d);
    }
    free(fh), free(z);
    return l_ce + (use_vis ? (double)lambda_p * v : 0.0);
}

void cpu_dpgd_fwd_bwd(float *ce, float *vis, float *d_f, const float *f, int n, int e,
                      const float *g, int K, const int32_t *targets, const float *mu,
                      float lambda_p, float logit_scale) {
    for (int i = 0; i < n; i++) {
        double c, v;
        int t = targets[i];
        cpu_dpgd_row(f + (size_t)i * e, e, g, K, t, mu ? mu + (size_t)t * e : NULL, lambda_p,
                     logit_scale, &c, &v, d_f ? d_f + (size_t)i * e : NULL);
        ce[i] = (float)c;
        vis[i] = (float)v;
    }
}

void cpu_pgd_step(float *x, const float *x0, const float *g, size_t n, float step, float eps) {
#pragma omp parallel for schedule(static) if (n > 65536)
    for (size_t q = 0; q < n; q++) {
        float sg = (float)((g[q] > 0) - (g[q] < 0));
        float d = x[q] - x0[q] - step * sg;
        d = d < -eps ? -eps : d > eps ? eps : d;
        float v = x0[q] + d;
        x[q] = v < 0.0f ? 0.0f : v > 1.0f ? 1.0f : v;
    }
}

/* P[j] = softmax(L)[j] in double. */
static void softmax_double(const float *l, int k, double *p) {
    double mx = l[0], s = 0;
    for (int j = 1; j < k; j++)
        if (l[j] > mx) mx = l[j];
    for (int j = 0; j < k; j++) s += (p[j] = exp((double)l[j] - mx));
    for (int j = 0; j < k; j++) p[j] /= s;
}

void cpu_jsd_rows(float *out, const float *lp, const float *lq, int n, int c) {
    double *p = segp_malloc(2 * (size_t)(c > 0 ? c : 1) * sizeof(double)), *q = p + c;
    for (int i = 0; i < n; i++) {
        softmax_double(lp + (size_t)i * c, c, p);
        softmax_double(lq + (size_t)i * c, c, q);
        /* JSD = 1/2 KL(p || m) + 1/2 KL(q || m), m = (p + q) / 2; 0 log 0 = 0 */
        double js = 0;
        for (int j = 0; j < c; j++) {
            double m = 0.5 * (p[j] + q[j]);
            if (p[j] > 0) js += 0.5 * p[j] * log(p[j] / m);
            if (q[j] > 0) js += 0.5 * q[j] * log(q[j] / m);
        }
        /* rounding can step a hair outside [0, ln 2] */
        out[i] = (float)fmin(fmax(js, 0.0), M_LN2);
    }
    free(p);
}

void cpu_adamw_step(float *p, float *m, float *v, const float *g, const uint8_t *mask, size_t n,
                    float lr, float b1, float b2, float eps, float wd, float c1, float c2) {
#pragma omp parallel for schedule(static) if (n > 65536)
    for (size_t i = 0; i < n; i++) {
        float gi = g[i];
        m[i] = b1 * m[i] + (1.0f - b1) * gi;
        v[i] = b2 * v[i] + (1.0f - b2) * gi * gi;
        float upd = (m[i] / c1) / (sqrtf(v[i] / c2) + eps);
        if (!mask || mask[i]) upd += wd * p[i];
        p[i] -= lr * upd;
    }
}

void cpu_sgd_step(float *p, float *v, const float *g, const uint8_t *mask, size_t n, float lr,
                  float mu, float wd) {
#pragma omp parallel for schedule(static) if (n > 65536)
    for (size_t i = 0; i < n; i++) {
        float gi = g[i] + (!mask || mask[i] ? wd * p[i] : 0.0f);
        v[i] = mu * v[i] + gi;
        p[i] -= lr * v[i];
    }
}
