/* cuda_losses.cu: the CUDA backend's losses and updates: mean cross-entropy, SeGP-CL's ACGD,
 * TSGR and DPGD objectives, the per-row JSD, the PGD step, AdamW and SGD. The losses compute in
 * double as the CPU reference (ops_cpu_losses.c) does, step by step with its formulas: row
 * normalisation, pairwise dot products (a warp per pair), the KL / log-sum-exp per row (a warp per
 * row), the gradient products (a thread per output element, summing in the CPU's order), the
 * normalisation backward. Sums across rows are fixed-order trees and there are no atomics, so
 * every result is reproducible; the updates are elementwise with the CPU's float arithmetic. */
#include <math.h>

#include "cuda_internal.h"

#define WARPS_TPB (32 * ROWS_PER_BLOCK)
#define TPB 256

/* ---- shared steps ---- */

/* *loss = (float)(mul * sum(v[0..count)) / div), the sum a fixed tree in one block. */
static __global__ void reduce_loss_kernel(float *loss, const double *v, size_t count, double mul,
                                          double div) {
    __shared__ double sh[32];
    double s = 0.0;
    for (size_t k = threadIdx.x; k < count; k += blockDim.x) s += v[k];
    s = block_sum(s, sh);
    if (threadIdx.x == 0) *loss = (float)(mul * s / div);
}

static void reduce_loss(float *loss, const double *v, size_t count, double mul, double div) {
    LAUNCH(reduce_loss_kernel, 1, 1024, 0, loss, v, count, mul, div);
}

/* Rows of x [n, e] L2-normalised into y (double), their norms into norm; a zero row stays 0. */
static __global__ void normalise_rows_kernel(double *y, double *norm, const float *x, int n,
                                             int e) {
    const int lane = threadIdx.x & 31;
    WARP_ROWS(i, n) {
        const float *xi = x + i * e;
        double s = 0.0;
        for (int j = lane; j < e; j += 32) s += (double)xi[j] * xi[j];
        double nm = sqrt(warp_sum(s)), inv = nm > 0 ? 1.0 / nm : 0.0;
        for (int j = lane; j < e; j += 32) y[i * e + j] = xi[j] * inv;
        if (lane == 0) norm[i] = nm;
    }
}

static void normalise_rows(double *y, double *norm, const float *x, int n, int e) {
    LAUNCH(normalise_rows_kernel, grid_for((size_t)n, ROWS_PER_BLOCK), WARPS_TPB, 0, y, norm, x,
           n, e);
}

/* dx [n, e] += weight * dL/dx (overwrite: dx = 0 + that), given d = dL/dy, y = x / |x|. */
static __global__ void normalise_bwd_kernel(float *dx, const double *d, const double *y,
                                            const double *norm, int n, int e, double weight,
                                            int overwrite) {
    const int lane = threadIdx.x & 31;
    WARP_ROWS(i, n) {
        const double *yi = y + i * e, *gi = d + i * e;
        double dot = 0.0;
        for (int j = lane; j < e; j += 32) dot += yi[j] * gi[j];
        dot = warp_sum(dot);
        double s = norm[i] > 0 ? weight / norm[i] : 0.0;
        for (int j = lane; j < e; j += 32) {
            float v = (float)((gi[j] - yi[j] * dot) * s);
            dx[i * e + j] = overwrite ? 0.0f + v : dx[i * e + j] + v;
        }
    }
}

static void normalise_bwd(float *dx, const double *d, const double *y, const double *norm, int n,
                          int e, double weight, int overwrite) {
    LAUNCH(normalise_bwd_kernel, grid_for((size_t)n, ROWS_PER_BLOCK), WARPS_TPB, 0, dx, d, y, norm,
           n, e, weight, overwrite);
}

/* z[p] = scale * a[ia] . b[ib] over e, a warp per pair p: ia = p / per (or arow[p / per]),
 * ib = p % per (or bidx[p]). */
template <typename TB>
static __global__ void pair_dot_kernel(double *z, const double *a, const TB *b, int e,
                                       size_t pairs, int per, const int32_t *arow,
                                       const int32_t *bidx, double scale) {
    const int lane = threadIdx.x & 31;
    WARP_ROWS(p, pairs) {
        size_t ia = p / per, ib = bidx ? (size_t)bidx[p] : p % per;
        if (arow) ia = (size_t)arow[ia];
        const double *ar = a + ia * e;
        const TB *br = b + ib * e;
        double s = 0.0;
        for (int j = lane; j < e; j += 32) s += ar[j] * br[j];
        s = warp_sum(s);
        if (lane == 0) z[p] = scale * s;
    }
}

/* Per row a of z [rows, K]: kl[a] = KL(p[a] || softmax(z[a])) (terms with p = 0 left out); when
 * GRAD, z[a] is overwritten with dKL/dz = softmax(z) * sum(p) - p (p need not sum to 1). */
static __global__ void kl_rows_kernel(double *z, double *kl, const float *p, size_t rows, int K,
                                      int grad) {
    const int lane = threadIdx.x & 31;
    WARP_ROWS(a, rows) {
        double *zr = z + a * K;
        const float *pr = p + a * K;
        double m = -INFINITY;
        for (int c = lane; c < K; c += 32) m = fmax(m, zr[c]);
        m = warp_max(m);
        double s = 0.0;
        for (int c = lane; c < K; c += 32) s += exp(zr[c] - m);
        double lse = m + log(warp_sum(s));
        double k = 0.0, sp = 0.0;
        for (int c = lane; c < K; c += 32) {
            double pc = pr[c];
            if (pc > 0) k += pc * (log(pc) - (zr[c] - lse));
            sp += pc;
        }
        k = warp_sum(k);
        sp = warp_sum(sp);
        if (grad) /* each lane rewrites only its own entries, after the sums that read them */
            for (int c = lane; c < K; c += 32) zr[c] = exp(zr[c] - lse) * sp - pr[c];
        if (lane == 0) kl[a] = k;
    }
}

/* Pieces of one scratch buffer, 256-byte aligned. */
static size_t round256(size_t b) { return (b + 255) & ~(size_t)255; }
static double *take(char **p, size_t count) {
    double *r = (double *)*p;
    *p += round256(count * sizeof(double));
    return r;
}

static void zero_scalar(float *loss) {
    CUDA_CHECK(cudaMemsetAsync, loss, 0, sizeof(float), g_cu.stream);
}

/* ---- cross-entropy: *loss = mean_i lse_i - x[i, t_i]; dlogits = (softmax - onehot) / n ---- */

static __global__ void cross_entropy_rows_kernel(double *row_loss, float *dlogits,
                                                 const float *logits, const int32_t *targets,
                                                 int n, int c) {
    const int lane = threadIdx.x & 31;
    WARP_ROWS(i, n) {
        const float *li = logits + i * c;
        float mx = -INFINITY;
        for (int j = lane; j < c; j += 32) mx = fmaxf(mx, li[j]);
        mx = warp_max(mx);
        double s = 0.0;
        for (int j = lane; j < c; j += 32) s += exp((double)(li[j] - mx));
        double lse = log(warp_sum(s)) + mx;
        const int t = targets[i];
        const float lt = li[t];
        if (lane == 0) row_loss[i] = lse - lt;
        __syncwarp(); /* every lane has read the row before dlogits (which may be it) is written */
        if (dlogits) {
            float *di = dlogits + i * c;
            for (int j = lane; j < c; j += 32)
                di[j] = (float)(exp((double)li[j] - lse) / n) - (j == t ? 1.0f / n : 0.0f);
        }
    }
}

void cu_cross_entropy(float *loss, float *dlogits, const float *logits, const int32_t *targets,
                      int n, int c) {
    if (n < 0 || c <= 0) return;
    double *rl = (double *)cuda_scratch(SCR_RED, (size_t)(n > 0 ? n : 1) * sizeof(double));
    LAUNCH(cross_entropy_rows_kernel, grid_for((size_t)n, ROWS_PER_BLOCK), WARPS_TPB, 0, rl,
           dlogits, logits, targets, n, c);
    reduce_loss(loss, rl, (size_t)n, 1.0, (double)n); /* n = 0 gives NaN, as the CPU */
}

/* ---- ACGD: tau^2 mean_a KL(p_T[a] || softmax(logit_scale f^_a . g^_c / tau)) ---- */

/* d[a, j] = sum_c (s dz[a, c]) g^[c, j], c in order (the CPU's loop) */
static __global__ void acgd_df_kernel(double *d, const double *dz, const double *gh, int n, int K,
                                      int e, double s) {
    GRID_STRIDE(o, (size_t)n * e) {
        size_t a = o / e, j = o % e;
        double acc = 0.0;
        for (int c = 0; c < K; c++) acc += (s * dz[a * K + c]) * gh[(size_t)c * e + j];
        d[o] = acc;
    }
}

/* d[c, j] = sum_a (s dz[a, c]) f^[a, j], a in order */
static __global__ void acgd_dg_kernel(double *d, const double *dz, const double *fh, int n, int K,
                                      int e, double s) {
    GRID_STRIDE(o, (size_t)K * e) {
        size_t c = o / e, j = o % e;
        double acc = 0.0;
        for (int a = 0; a < n; a++) acc += (s * dz[(size_t)a * K + c]) * fh[(size_t)a * e + j];
        d[o] = acc;
    }
}

void cu_acgd_fwd_bwd(float *loss, float *d_f, float *d_g, const float *f, int n, const float *g,
                     int K, int e, const float *p_teacher, float logit_scale, float tau,
                     float weight) {
    if (n <= 0 || K <= 0) {
        zero_scalar(loss);
        return;
    }
    const size_t ne = (size_t)n * e, ke = (size_t)K * e, nk = (size_t)n * K;
    const size_t de = ne > ke ? ne : ke;
    size_t bytes = round256(ne * 8) + round256(ke * 8) + round256((size_t)n * 8) +
                   round256((size_t)K * 8) + round256(nk * 8) + round256((size_t)n * 8) +
                   round256(de * 8);
    char *p = (char *)cuda_scratch(SCR_LOSS, bytes);
    double *fh = take(&p, ne), *gh = take(&p, ke), *nf = take(&p, n), *ng = take(&p, K);
    double *z = take(&p, nk), *kl = take(&p, n), *d = take(&p, de);
    normalise_rows(fh, nf, f, n, e);
    normalise_rows(gh, ng, g, K, e);
    const double a_scale = (double)logit_scale / tau;
    LAUNCH(pair_dot_kernel<double>, grid_for(nk, ROWS_PER_BLOCK), WARPS_TPB, 0, z, fh, gh, e, nk,
           K, (const int32_t *)NULL, (const int32_t *)NULL, a_scale);
    LAUNCH(kl_rows_kernel, grid_for((size_t)n, ROWS_PER_BLOCK), WARPS_TPB, 0, z, kl, p_teacher,
           (size_t)n, K, (d_f || d_g) ? 1 : 0);
    const double t2 = (double)tau * tau;
    reduce_loss(loss, kl, (size_t)n, t2, (double)n);
    /* dL/dz = tau^2 / n * dKL/dz and dz/df^ = (logit_scale / tau) g^ */
    const double s = t2 / n * a_scale;
    if (d_f) {
        LAUNCH(acgd_df_kernel, grid_for(ne, TPB), TPB, 0, d, z, gh, n, K, e, s);
        normalise_bwd(d_f, d, fh, nf, n, e, weight, 0);
    }
    if (d_g) {
        LAUNCH(acgd_dg_kernel, grid_for(ke, TPB), TPB, 0, d, z, fh, n, K, e, s);
        normalise_bwd(d_g, d, gh, ng, K, e, weight, 0);
    }
}

/* ---- TSGR: mean_i KL(p_ref[i] || softmax_j(g^_rows[i] . g^_nbr[i,j] / tau)) ---- */

/* d[r, q]: every contribution to row r in the CPU's order: for class i, neighbour j with
 * w = dz[i, j] / tau / n_cls, row rows[i] gets w g^[nbr] and row nbr[i, j] gets w g^[rows[i]].
 * A gather (each thread owns its output), so no atomics and the CPU's exact summation order. */
static __global__ void tsgr_dg_kernel(double *d, const double *dz, const double *gh,
                                      const int32_t *rows, const int32_t *nbr, int n_rows,
                                      int n_cls, int k, int e, double inv_tau) {
    GRID_STRIDE(o, (size_t)n_rows * e) {
        const int r = (int)(o / e);
        const size_t q = o % e;
        double acc = 0.0;
        for (int i = 0; i < n_cls; i++) {
            const int ri = rows[i];
            for (int j = 0; j < k; j++) {
                const int nb = nbr[(size_t)i * k + j];
                if (ri != r && nb != r) continue;
                double w = dz[(size_t)i * k + j] * inv_tau / n_cls;
                if (ri == r) acc += w * gh[(size_t)nb * e + q];
                if (nb == r) acc += w * gh[(size_t)ri * e + q];
            }
        }
        d[o] = acc;
    }
}

void cu_tsgr_fwd_bwd(float *loss, float *d_g, const float *g, int n_rows, int e,
                     const int32_t *rows, int n_cls, const int32_t *nbr, int k,
                     const float *p_ref, float tau, float weight) {
    if (n_cls <= 0 || k <= 0 || n_rows <= 0) {
        zero_scalar(loss);
        return;
    }
    const size_t re = (size_t)n_rows * e, ck = (size_t)n_cls * k;
    size_t bytes = round256(re * 8) + round256((size_t)n_rows * 8) + round256(ck * 8) +
                   round256((size_t)n_cls * 8) + (d_g ? round256(re * 8) : 0);
    char *p = (char *)cuda_scratch(SCR_LOSS, bytes);
    double *gh = take(&p, re), *nm = take(&p, n_rows), *z = take(&p, ck), *kl = take(&p, n_cls);
    double *d = d_g ? take(&p, re) : NULL;
    normalise_rows(gh, nm, g, n_rows, e);
    const double inv_tau = 1.0 / tau;
    LAUNCH(pair_dot_kernel<double>, grid_for(ck, ROWS_PER_BLOCK), WARPS_TPB, 0, z, gh, gh, e, ck,
           k, rows, nbr, inv_tau);
    LAUNCH(kl_rows_kernel, grid_for((size_t)n_cls, ROWS_PER_BLOCK), WARPS_TPB, 0, z, kl, p_ref,
           (size_t)n_cls, k, d_g ? 1 : 0);
    reduce_loss(loss, kl, (size_t)n_cls, 1.0, (double)n_cls);
    if (d_g) {
        LAUNCH(tsgr_dg_kernel, grid_for(re, TPB), TPB, 0, d, z, gh, rows, nbr, n_rows, n_cls, k,
               e, inv_tau);
        normalise_bwd(d_g, d, gh, nm, n_rows, e, weight, 0);
    }
}

/* ---- DPGD objective per anchor: ce = CE(logit_scale f^ . g_c, t), vis = 1 - f^ . mu[t] ---- */

/* Per anchor i (a warp): ce[i], vis[i]; when GRAD, z[i] is overwritten with the weights
 * logit_scale (softmax_c - [c == t]) of dL/df^. */
static __global__ void dpgd_rows_kernel(float *ce, float *vis, double *z, const double *fh,
                                        const int32_t *targets, const float *mu, int n, int K,
                                        int e, float logit_scale, int grad) {
    const int lane = threadIdx.x & 31;
    WARP_ROWS(i, n) {
        double *zr = z + i * K;
        const int t = targets[i];
        double m = -INFINITY;
        for (int c = lane; c < K; c += 32) m = fmax(m, zr[c]);
        m = warp_max(m);
        double s = 0.0;
        for (int c = lane; c < K; c += 32) s += exp(zr[c] - m);
        const double lse = m + log(warp_sum(s));
        const double zt = zr[t];
        double v = 0.0;
        if (mu) {
            const float *mt = mu + (size_t)t * e;
            const double *fi = fh + i * e;
            double sv = 0.0;
            for (int j = lane; j < e; j += 32) sv += fi[j] * mt[j];
            v = 1.0 - warp_sum(sv);
        }
        if (lane == 0) {
            ce[i] = (float)(lse - zt);
            vis[i] = (float)v;
        }
        __syncwarp(); /* z[t] is read by every lane before its owner rewrites it */
        if (grad)
            for (int c = lane; c < K; c += 32)
                zr[c] = (double)logit_scale * (exp(zr[c] - lse) - (c == t));
    }
}

/* d[i, j] = sum_c w[i, c] g[c, j] (c in order) - lambda_p mu[t_i, j] (when use_vis) */
static __global__ void dpgd_d_kernel(double *d, const double *w, const float *g,
                                     const int32_t *targets, const float *mu, int n, int K,
                                     int e, float lambda_p, int use_vis) {
    GRID_STRIDE(o, (size_t)n * e) {
        size_t i = o / e, j = o % e;
        double acc = 0.0;
        for (int c = 0; c < K; c++) acc += w[i * K + c] * g[(size_t)c * e + j];
        if (use_vis) acc -= (double)lambda_p * mu[(size_t)targets[i] * e + j];
        d[o] = acc;
    }
}

void cu_dpgd_fwd_bwd(float *ce, float *vis, float *d_f, const float *f, int n, int e,
                     const float *g, int K, const int32_t *targets, const float *mu,
                     float lambda_p, float logit_scale) {
    if (n <= 0 || K <= 0 || e < 0) return;
    const size_t ne = (size_t)n * e, nk = (size_t)n * K;
    size_t bytes = round256(ne * 8) + round256((size_t)n * 8) + round256(nk * 8) +
                   (d_f ? round256(ne * 8) : 0);
    char *p = (char *)cuda_scratch(SCR_LOSS, bytes);
    double *fh = take(&p, ne), *nf = take(&p, n), *z = take(&p, nk);
    double *d = d_f ? take(&p, ne) : NULL;
    const int use_vis = mu && lambda_p != 0.0f;
    normalise_rows(fh, nf, f, n, e);
    LAUNCH(pair_dot_kernel<float>, grid_for(nk, ROWS_PER_BLOCK), WARPS_TPB, 0, z, fh, g, e, nk, K,
           (const int32_t *)NULL, (const int32_t *)NULL, (double)logit_scale);
    LAUNCH(dpgd_rows_kernel, grid_for((size_t)n, ROWS_PER_BLOCK), WARPS_TPB, 0, ce, vis, z, fh,
           targets, mu, n, K, e, logit_scale, d_f ? 1 : 0);
    if (d_f) {
        LAUNCH(dpgd_d_kernel, grid_for(ne, TPB), TPB, 0, d, z, g, targets, mu, n, K, e, lambda_p,
               use_vis);
        normalise_bwd(d_f, d, fh, nf, n, e, 1.0, 1);
    }
}

/* ---- JSD(softmax(lp_i) || softmax(lq_i)) in nats per row, clipped to [0, ln 2] ---- */

static __global__ void jsd_rows_kernel(float *out, const float *lp, const float *lq, int n,
                                       int c) {
    const int lane = threadIdx.x & 31;
    WARP_ROWS(i, n) {
        const float *a = lp + i * c, *b = lq + i * c;
        double ma = -INFINITY, mb = -INFINITY;
        for (int j = lane; j < c; j += 32) ma = fmax(ma, (double)a[j]), mb = fmax(mb, (double)b[j]);
        ma = warp_max(ma);
        mb = warp_max(mb);
        double sa = 0.0, sb = 0.0;
        for (int j = lane; j < c; j += 32)
            sa += exp((double)a[j] - ma), sb += exp((double)b[j] - mb);
        sa = warp_sum(sa);
        sb = warp_sum(sb);
        double js = 0.0;
        for (int j = lane; j < c; j += 32) {
            double p = exp((double)a[j] - ma) / sa, q = exp((double)b[j] - mb) / sb;
            double m = 0.5 * (p + q);
            if (p > 0) js += 0.5 * p * log(p / m);
            if (q > 0) js += 0.5 * q * log(q / m);
        }
        js = warp_sum(js);
        if (lane == 0) out[i] = c > 0 ? (float)fmin(fmax(js, 0.0), M_LN2) : 0.0f;
    }
}

void cu_jsd_rows(float *out, const float *lp, const float *lq, int n, int c) {
    if (n <= 0) return;
    LAUNCH(jsd_rows_kernel, grid_for((size_t)n, ROWS_PER_BLOCK), WARPS_TPB, 0, out, lp, lq, n, c);
}

/* ---- PGD step: d = clip(x - x0 - step sign(g), -eps, eps); x = clip(x0 + d, 0, 1) ---- */

static __global__ void pgd_step_kernel(float *x, const float *x0, const float *g, size_t n,
                                       float step, float eps) {
    GRID_STRIDE(q, n) {
        float gq = g[q];
        float sg = (float)((gq > 0) - (gq < 0));
        float d = x[q] - x0[q] - step * sg;
        d = d < -eps ? -eps : d > eps ? eps : d;
        float v = x0[q] + d;
        x[q] = v < 0.0f ? 0.0f : v > 1.0f ? 1.0f : v;
    }
}

void cu_pgd_step(float *x, const float *x0, const float *g, size_t n, float step, float eps) {
    LAUNCH(pgd_step_kernel, grid_for(n, TPB), TPB, 0, x, x0, g, n, step, eps);
}

/* ---- optimiser updates (weight decay where mask != 0, everywhere when mask is NULL) ---- */

static __global__ void adamw_kernel(float *p, float *m, float *v, const float *g,
                                    const uint8_t *mask, size_t n, float lr, float b1, float b2,
                                    float eps, float wd, float c1, float c2) {
    GRID_STRIDE(i, n) {
        float gi = g[i];
        float mi = b1 * m[i] + (1.0f - b1) * gi;
        float vi = b2 * v[i] + (1.0f - b2) * gi * gi;
        m[i] = mi;
        v[i] = vi;
        float upd = (mi / c1) / (sqrtf(vi / c2) + eps);
        if (!mask || mask[i]) upd += wd * p[i];
        p[i] -= lr * upd;
    }
}

static __global__ void sgd_kernel(float *p, float *v, const float *g, const uint8_t *mask,
                                  size_t n, float lr, float mu, float wd) {
    GRID_STRIDE(i, n) {
        float gi = g[i] + (!mask || mask[i] ? wd * p[i] : 0.0f);
        float vi = mu * v[i] + gi;
        v[i] = vi;
        p[i] -= lr * vi;
    }
}

void cu_adamw_step(float *p, float *m, float *v, const float *g, const uint8_t *mask, size_t n,
                   float lr, float b1, float b2, float eps, float wd, float c1, float c2) {
    LAUNCH(adamw_kernel, grid_for(n, TPB), TPB, 0, p, m, v, g, mask, n, lr, b1, b2, eps, wd, c1,
           c2);
}

void cu_sgd_step(float *p, float *v, const float *g, const uint8_t *mask, size_t n, float lr,
                 float mu, float wd) {
    LAUNCH(sgd_kernel, grid_for(n, TPB), TPB, 0, p, v, g, mask, n, lr, mu, wd);
}
