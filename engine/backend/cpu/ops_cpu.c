/* ops_cpu.c: the CPU backend of the op table (OpenBLAS sgemm + OpenMP loops). It is the
 * reference every other backend is compared against, so it favours plain, exact code; the time
 * goes into sgemm anyway. */
#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "backend/backend.h"
#include "core/common.h"
#include "ops_cpu_internal.h"

static void *cpu_alloc(size_t bytes) {
    void *p = NULL;
    if (posix_memalign(&p, 64, bytes ? bytes : 64) != 0) p = NULL;
    if (!p) p = segp_malloc(bytes); /* reports and exits */
    return p;
}
static void cpu_free(void *p) { free(p); }
static void cpu_copy(void *dst, const void *src, size_t bytes) {
    if (bytes) memcpy(dst, src, bytes);
}
static void cpu_zero(void *p, size_t bytes) {
    if (bytes) memset(p, 0, bytes);
}

/* Row-major sgemm, C = alpha op(A) op(B) + beta C. For beta = 0, C is zeroed here and OpenBLAS
 * adds into it (beta = 1): the same sums onto the same zeros as its own beta = 0 path (which
 * zeroes C first, then adds), only faster, since OpenBLAS's zeroing pass is slower than memset
 * (about 5% of a step of the small models). */
static void sgemm_rm(int ta, int tb, int m, int n, int k, float alpha, const float *a, int lda,
                     const float *b, int ldb, float beta, float *c, int ldc) {
    if (beta == 0.0f) {
        if (ldc == n)
            memset(c, 0, (size_t)m * n * sizeof(float));
        else
            for (int i = 0; i < m; i++) memset(c + (size_t)i * ldc, 0, (size_t)n * sizeof(float));
        beta = 1.0f;
    }
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m,
                n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

static void cpu_gemm(int ta, int tb, int m, int n, int k, float alpha, const float *a, int lda,
                     const float *b, int ldb, float beta, float *c, int ldc) {
    if (m <= 0 || n <= 0) return;
    if (k <= 0) { /* C = beta*C */
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) /* beta = 0 ignores what C held, as in BLAS */
                c[(size_t)i * ldc + j] = beta != 0.0f ? beta * c[(size_t)i * ldc + j] : 0.0f;
        return;
    }
    sgemm_rm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

static void cpu_add_bias(float *y, const float *bias, int n, int c) {
#pragma omp parallel for schedule(static)
    for (int i = 0; i < n; i++) {
        float *row = y + (size_t)i * c;
        for (int j = 0; j < c; j++) row[j] += bias[j];
    }
}

/* Column sums of row-major data, row-contiguous: each thread sums a block of rows into its own
 * partial vector (cache-friendly), then the partials are added in thread order (deterministic
 * for a given thread count). */
static void column_sums2(float *s1, float *s2, const float *x, const float *y, const float *mean,
                         const float *rstd, int n, int c) {
    /* inside an active parallel region (a data-parallel chunk) the team below has one thread
     * whatever omp_get_max_threads says, so the rows must not be cut for more */
    int nt = omp_in_parallel() ? 1 : omp_get_max_threads();
    if (nt > n) nt = n > 0 ? n : 1;
    float *part = segp_calloc((size_t)nt * 2 * c, sizeof(float));
#pragma omp parallel num_threads(nt)
    {
        int t = omp_get_thread_num();
        float *p1 = part + (size_t)t * 2 * c, *p2 = p1 + c;
        int lo = (int)((long)n * t / nt), hi = (int)((long)n * (t + 1) / nt);
        for (int i = lo; i < hi; i++) {
            const float *g = y + (size_t)i * c;
            if (s1)
                for (int j = 0; j < c; j++) p1[j] += g[j];
            if (s2) {
                const float *xi = x + (size_t)i * c;
                float m = mean[i], r = rstd[i];
                for (int j = 0; j < c; j++) p2[j] += g[j] * (xi[j] - m) * r;
            }
        }
    }
    for (int t = 0; t < nt; t++) {
        const float *p1 = part + (size_t)t * 2 * c, *p2 = p1 + c;
        if (s1)
            for (int j = 0; j < c; j++) s1[j] += p1[j];
        if (s2)
            for (int j = 0; j < c; j++) s2[j] += p2[j];
    }
    free(part);
}

static void cpu_bias_grad(float *db, const float *dy, int n, int c) {
    column_sums2(db, NULL, NULL, dy, NULL, NULL, n, c);
}

/* Layer norm of NR rows (NR <= 8) side by side, the variance from squares rounded to float and
 * added in order (what the row-at-a-time loop compiled to for widths that are multiples of 4:
 * a vector of squares, then in-order adds). Eight rows give the adder eight independent chains
 * instead of one: about 3x faster at the small models' widths. SQ holds NR * C floats. */
static inline void layernorm_rows(float *out, float *mean, float *rstd, const float *x,
                                  const float *w, const float *b, int nr, int c, float eps,
                                  float *sq) {
    float m[8], v[8];
    for (int r = 0; r < nr; r++) m[r] = 0.0f, v[r] = 0.0f;
    for (int j = 0; j < c; j++)
        for (int r = 0; r < nr; r++) m[r] += x[(size_t)r * c + j];
    for (int r = 0; r < nr; r++) {
        m[r] /= (float)c;
        const float *xi = x + (size_t)r * c;
        float *si = sq + (size_t)r * c;
        for (int j = 0; j < c; j++) si[j] = (xi[j] - m[r]) * (xi[j] - m[r]);
    }
    for (int j = 0; j < c; j++)
        for (int r = 0; r < nr; r++) v[r] += sq[(size_t)r * c + j];
    for (int r = 0; r < nr; r++) {
        const float *xi = x + (size_t)r * c;
        float *oi = out + (size_t)r * c;
        float mr = m[r], vr = v[r] / (float)c, rr = 1.0f / sqrtf(vr + eps);
        for (int j = 0; j < c; j++) oi[j] = (xi[j] - mr) * rr * w[j] + b[j];
        if (mean) mean[r] = mr;
        if (rstd) rstd[r] = rr;
    }
}

static void cpu_layernorm_fwd(float *out, float *mean, float *rstd, const float *x,
                              const float *w, const float *b, int n, int c, float eps) {
#pragma omp parallel
    {
        float *sq = segp_malloc((size_t)8 * c * sizeof(float));
#pragma omp for schedule(static)
        for (int i = 0; i < n; i += 8) {
            int nr = n - i < 8 ? n - i : 8;
            float *mi = mean ? mean + i : NULL, *ri = rstd ? rstd + i : NULL;
            const float *xi = x + (size_t)i * c;
            float *oi = out + (size_t)i * c;
            if (nr == 8) /* the constant trip count lets the compiler unroll the rows */
                layernorm_rows(oi, mi, ri, xi, w, b, 8, c, eps, sq);
            else
                layernorm_rows(oi, mi, ri, xi, w, b, nr, c, eps, sq);
        }
        free(sq);
    }
}

static void cpu_layernorm_bwd(float *dx, float *dw, float *db, const float *dout, const float *x,
                              const float *w, const float *mean, const float *rstd, int n, int c,
                              int acc) {
    if (dx) {
#pragma omp parallel for schedule(static)
        for (int i = 0; i < n; i++) {
            const float *xi = x + (size_t)i * c, *gi = dout + (size_t)i * c;
            float *dxi = dx + (size_t)i * c;
            float m = mean[i], r = rstd[i];
            float s1 = 0.0f, s2 = 0.0f; /* mean(dnorm), mean(dnorm * xhat) */
            for (int j = 0; j < c; j++) {
                float dn = gi[j] * w[j];
                s1 += dn;
                s2 += dn * (xi[j] - m) * r;
            }
            s1 /= (float)c;
            s2 /= (float)c;
            for (int j = 0; j < c; j++) {
                float xh = (xi[j] - m) * r;
                float v = r * (gi[j] * w[j] - s1 - xh * s2);
                dxi[j] = acc ? dxi[j] + v : v;
            }
        }
    }
    if (dw || db) column_sums2(db, dw, x, dout, mean, rstd, n, c);
}

/* exp(x) to within ~2 ulp, written branch-free so that loops over it vectorise (libm's expf
 * is a scalar call, and QuickGELU and softmax spend most of their time in it; the clamp below
 * if-converts only under -fno-trapping-math, which the Makefile sets for this file). Range
 * reduction x = n ln2 + r, |r| <= ln2/2, degree-6 polynomial, then scale by 2^n through the
 * exponent bits. Inputs are clamped to [-87.3, 88.3], where expf under/overflows anyway. */
static inline float exp_fast(float x) {
    x = x < -87.3f ? -87.3f : (x > 88.3f ? 88.3f : x);
    const float magic = 12582912.0f; /* 1.5 * 2^23: adding it rounds to the nearest integer */
    float n = (x * 1.44269504088896341f + magic) - magic;
    float r = x - n * 0.693145751953125f; /* ln2 split in two for an exact product */
    r = r - n * 1.42860682030941723212e-6f;
    float p = 1.0f / 720.0f;
    p = p * r + 1.0f / 120.0f;
    p = p * r + 1.0f / 24.0f;
    p = p * r + 1.0f / 6.0f;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    union {
        float f;
        int32_t i;
    } u;
    u.i = ((int32_t)n + 127) << 23;
    return p * u.f;
}

static void cpu_act_fwd(float *out, const float *x, size_t n, act_kind kind) {
    if (kind == ACT_QUICK_GELU) {
#pragma omp parallel for schedule(static)
        for (size_t i = 0; i < n; i++) out[i] = x[i] / (1.0f + exp_fast(-1.702f * x[i]));
    } else {
#pragma omp parallel for schedule(static)
        for (size_t i = 0; i < n; i++)
            out[i] = 0.5f * x[i] * (1.0f + erff(x[i] * (float)M_SQRT1_2));
    }
}

static void cpu_act_bwd(float *dx, const float *dout, const float *x, size_t n, act_kind kind) {
    if (kind == ACT_QUICK_GELU) {
#pragma omp parallel for schedule(static)
        for (size_t i = 0; i < n; i++) {
            float s = 1.0f / (1.0f + exp_fast(-1.702f * x[i]));
            dx[i] = dout[i] * (s + 1.702f * x[i] * s * (1.0f - s));
        }
    } else {
        const float inv_sqrt_2pi = 0.3989422804014327f;
#pragma omp parallel for schedule(static)
        for (size_t i = 0; i < n; i++) {
            float cdf = 0.5f * (1.0f + erff(x[i] * (float)M_SQRT1_2));
            float pdf = inv_sqrt_2pi * expf(-0.5f * x[i] * x[i]);
            dx[i] = dout[i] * (cdf + x[i] * pdf);
        }
    }
}

static void softmax_row(float *p, int len, int valid) {
    /* softmax over p[0..valid), zeros for the masked tail */
    float mx = -INFINITY;
    for (int j = 0; j < valid; j++) mx = p[j] > mx ? p[j] : mx;
    float s = 0.0f;
    for (int j = 0; j < valid; j++) p[j] = exp_fast(p[j] - mx);
    for (int j = 0; j < valid; j++) s += p[j];
    float inv = 1.0f / s;
    for (int j = 0; j < valid; j++) p[j] *= inv;
    for (int j = valid; j < len; j++) p[j] = 0.0f;
}

/* softmax_row over eight full rows of length LEN side by side: the same values (each row's
 * max and sum in the same order), eight independent chains instead of one (about 2.5x). */
static void softmax_rows8(float *p, int len) {
    float mx[8], s[8];
    for (int r = 0; r < 8; r++) mx[r] = -INFINITY, s[r] = 0.0f;
    for (int j = 0; j < len; j++)
        for (int r = 0; r < 8; r++) {
            float v = p[(size_t)r * len + j];
            mx[r] = v > mx[r] ? v : mx[r];
        }
    for (int r = 0; r < 8; r++) {
        float *q = p + (size_t)r * len, m = mx[r];
        for (int j = 0; j < len; j++) q[j] = exp_fast(q[j] - m);
    }
    for (int j = 0; j < len; j++)
        for (int r = 0; r < 8; r++) s[r] += p[(size_t)r * len + j];
    for (int r = 0; r < 8; r++) {
        float *q = p + (size_t)r * len, inv = 1.0f / s[r];
        for (int j = 0; j < len; j++) q[j] *= inv;
    }
}

/* softmax_row over N rows of length LEN (row i over its first i + 1 entries when CAUSAL). */
static void softmax_rows(float *p, int n, int len, int causal) {
    int i = 0;
    if (!causal)
        for (; i + 8 <= n; i += 8) softmax_rows8(p + (size_t)i * len, len);
    for (; i < n; i++) softmax_row(p + (size_t)i * len, len, causal ? i + 1 : len);
}

static void cpu_attention_fwd(float *out, float *probs, const float *qkv, int b, int l, int h,
                              int hd, int causal) {
    const int w = h * hd, w3 = 3 * w;
    const float sc = 1.0f / sqrtf((float)hd);
#pragma omp parallel for collapse(2) schedule(dynamic, 1)
    for (int bi = 0; bi < b; bi++)
        for (int hi = 0; hi < h; hi++) {
            const float *q = qkv + (size_t)bi * l * w3 + (size_t)hi * hd;
            const float *k = q + w, *v = q + 2 * w;
            float *p = probs + ((size_t)bi * h + hi) * (size_t)l * l;
            sgemm_rm(0, 1, l, l, hd, sc, q, w3, k, w3, 0.0f, p, l);
            softmax_rows(p, l, l, causal);
            sgemm_rm(0, 0, l, hd, l, 1.0f, p, l, v, w3, 0.0f,
                     out + (size_t)bi * l * w + (size_t)hi * hd, w);
        }
}

static void cpu_attention_bwd(float *dqkv, const float *dout, const float *qkv, const float *probs,
                              int b, int l, int h, int hd) {
    const int w = h * hd, w3 = 3 * w;
    const float sc = 1.0f / sqrtf((float)hd);
#pragma omp parallel
    {
        float *ds = segp_malloc((size_t)l * l * sizeof(float));
#pragma omp for collapse(2) schedule(dynamic, 1)
        for (int bi = 0; bi < b; bi++)
            for (int hi = 0; hi < h; hi++) {
                const float *q = qkv + (size_t)bi * l * w3 + (size_t)hi * hd;
                const float *k = q + w, *v = q + 2 * w;
                float *dq = dqkv + (size_t)bi * l * w3 + (size_t)hi * hd;
                float *dk = dq + w, *dv = dq + 2 * w;
                const float *p = probs + ((size_t)bi * h + hi) * (size_t)l * l;
                const float *dout_bh = dout + (size_t)bi * l * w + (size_t)hi * hd;
                /* dP = dO V^T ; dV = P^T dO */
                sgemm_rm(0, 1, l, l, hd, 1.0f, dout_bh, w, v, w3, 0.0f, ds, l);
                sgemm_rm(1, 0, l, hd, l, 1.0f, p, l, dout_bh, w, 0.0f, dv, w3);
                /* dS = P * (dP - rowsum(P * dP)); masked entries have P = 0 and vanish */
                for (int i = 0; i < l; i++) {
                    const float *pi = p + (size_t)i * l;
                    float *di = ds + (size_t)i * l;
                    float dot = 0.0f;
                    for (int j = 0; j < l; j++) dot += pi[j] * di[j];
                    for (int j = 0; j < l; j++) di[j] = pi[j] * (di[j] - dot);
                }
                sgemm_rm(0, 0, l, hd, l, sc, ds, l, k, w3, 0.0f, dq, w3);
                sgemm_rm(1, 0, l, hd, l, sc, ds, l, q, w3, 0.0f, dk, w3);
            }
        free(ds);
    }
}

static void cpu_add(float *y, const float *x, size_t n) {
#pragma omp parallel for schedule(static) if (n > 65536)
    for (size_t i = 0; i < n; i++) y[i] += x[i];
}
static void cpu_axpy(float *y, float a, const float *x, size_t n) {
#pragma omp parallel for schedule(static) if (n > 65536)
    for (size_t i = 0; i < n; i++) y[i] += a * x[i];
}
static void cpu_scale(float *y, float a, size_t n) {
#pragma omp parallel for schedule(static) if (n > 65536)
    for (size_t i = 0; i < n; i++) y[i] *= a;
}

static void cpu_im2patch(float *patches, const float *pixels, int b, int r, int p) {
    const int g = r / p, pp = p * p, row = 3 * pp;
#pragma omp parallel for collapse(2) schedule(static)
    for (int bi = 0; bi < b; bi++)
        for (int gy = 0; gy < g; gy++)
            for (int gx = 0; gx < g; gx++) {
                float *dst = patches + ((size_t)bi * g * g + (size_t)gy * g + gx) * row;
                for (int c = 0; c < 3; c++)
                    for (int ky = 0; ky < p; ky++) {
                        const float *src = pixels + (((size_t)bi * 3 + c) * r + gy * p + ky) * r +
                                           (size_t)gx * p;
                        memcpy(dst + c * pp + ky * p, src, (size_t)p * sizeof(float));
                    }
            }
}

static void cpu_patch2im(float *dpixels, const float *dpatches, int b, int r, int p) {
    const int g = r / p, pp = p * p, row = 3 * pp;
    /* pixels outside the g*p grid (r not a multiple of p) get no gradient */
    memset(dpixels, 0, (size_t)b * 3 * r * r * sizeof(float));
#pragma omp parallel for collapse(2) schedule(static)
    for (int bi = 0; bi < b; bi++)
        for (int gy = 0; gy < g; gy++)
            for (int gx = 0; gx < g; gx++) {
                const float *src = dpatches + ((size_t)bi * g * g + (size_t)gy * g + gx) * row;
                for (int c = 0; c < 3; c++)
                    for (int ky = 0; ky < p; ky++)
                        memcpy(dpixels + (((size_t)bi * 3 + c) * r + gy * p + ky) * r +
                                   (size_t)gx * p,
                               src + c * pp + ky * p, (size_t)p * sizeof(float));
            }
}

static void cpu_vision_embed(float *x, const float *patch_out, const float *cls, const float *pos,
                             int b, int g2, int w) {
    const int l = g2 + 1;
#pragma omp parallel for collapse(2) schedule(static)
    for (int bi = 0; bi < b; bi++)
        for (int t = 0; t < l; t++) {
            float *dst = x + ((size_t)bi * l + t) * w;
            const float *src = t == 0 ? cls : patch_out + ((size_t)bi * g2 + t - 1) * w;
            const float *pe = pos + (size_t)t * w;
            for (int j = 0; j < w; j++) dst[j] = src[j] + pe[j];
        }
}

static void cpu_vision_embed_bwd(float *dpatch, float *dcls, float *dpos, const float *dx, int b,
                                 int g2, int w) {
    const int l = g2 + 1;
    if (dpatch) {
#pragma omp parallel for collapse(2) schedule(static)
        for (int bi = 0; bi < b; bi++)
            for (int t = 1; t < l; t++)
                memcpy(dpatch + ((size_t)bi * g2 + t - 1) * w, dx + ((size_t)bi * l + t) * w,
                       (size_t)w * sizeof(float));
    }
    if (dcls)
        for (int bi = 0; bi < b; bi++)
            for (int j = 0; j < w; j++) dcls[j] += dx[(size_t)bi * l * w + j];
    if (dpos) {
#pragma omp parallel for schedule(static)
        for (int t = 0; t < l; t++)
            for (int bi = 0; bi < b; bi++)
                for (int j = 0; j < w; j++)
                    dpos[(size_t)t * w + j] += dx[((size_t)bi * l + t) * w + j];
    }
}

static void cpu_text_embed(float *x, const int32_t *ids, const float *tok, const float *pos, int b,
                           int l, int ctx, int w) {
#pragma omp parallel for collapse(2) schedule(static)
    for (int bi = 0; bi < b; bi++)
        for (int t = 0; t < l; t++) {
            const float *te = tok + (size_t)ids[(size_t)bi * ctx + t] * w;
            const float *pe = pos + (size_t)t * w;
            float *dst = x + ((size_t)bi * l + t) * w;
            for (int j = 0; j < w; j++) dst[j] = te[j] + pe[j];
        }
}

static void cpu_text_embed_bwd(float *dtok, float *dpos, const float *dx, const int32_t *ids,
                               int b, int l, int ctx, int w) {
    /* serial over rows: several rows may share a token id */
    for (int bi = 0; bi < b; bi++)
        for (int t = 0; t < l; t++) {
            const float *g = dx + ((size_t)bi * l + t) * w;
            if (dtok) {
                float *d = dtok + (size_t)ids[(size_t)bi * ctx + t] * w;
                for (int j = 0; j < w; j++) d[j] += g[j];
            }
            if (dpos) {
                float *d = dpos + (size_t)t * w;
                for (int j = 0; j < w; j++) d[j] += g[j];
            }
        }
}

static void cpu_gather_rows(float *out, const float *x, const int32_t *idx, int n, int c) {
    for (int i = 0; i < n; i++)
        memcpy(out + (size_t)i * c, x + (size_t)idx[i] * c, (size_t)c * sizeof(float));
}

static void cpu_scatter_add_rows(float *dx, const float *dout, const int32_t *idx, int n, int c) {
    for (int i = 0; i < n; i++) {
        float *d = dx + (size_t)idx[i] * c;
        const float *g = dout + (size_t)i * c;
        for (int j = 0; j < c; j++) d[j] += g[j];
    }
}

static void cpu_l2norm_fwd(float *y, float *norm, const float *x, int n, int c) {
    for (int i = 0; i < n; i++) {
        const float *xi = x + (size_t)i * c;
        double s = 0.0;
        for (int j = 0; j < c; j++) s += (double)xi[j] * xi[j];
        float nm = (float)sqrt(s);
        if (norm) norm[i] = nm;
        float inv = nm > 0.0f ? 1.0f / nm : 0.0f;
        for (int j = 0; j < c; j++) y[(size_t)i * c + j] = xi[j] * inv;
    }
}

static void cpu_l2norm_bwd(float *dx, const float *dy, const float *y, const float *norm, int n,
                           int c) {
    for (int i = 0; i < n; i++) {
        const float *yi = y + (size_t)i * c, *gi = dy + (size_t)i * c;
        float dot = 0.0f;
        for (int j = 0; j < c; j++) dot += yi[j] * gi[j];
        float inv = norm[i] > 0.0f ? 1.0f / norm[i] : 0.0f;
        for (int j = 0; j < c; j++) dx[(size_t)i * c + j] = (gi[j] - yi[j] * dot) * inv;
    }
}

static void cpu_softmax(float *y, const float *x, int n, int c) {
    if (y != x) memcpy(y, x, (size_t)n * c * sizeof(float));
    softmax_rows(y, n, c, 0);
}

static void cpu_cross_entropy(float *loss_out, float *dlogits, const float *logits,
                              const int32_t *targets, int n, int c) {
    double loss = 0.0;
    for (int i = 0; i < n; i++) {
        const float *li = logits + (size_t)i * c;
        float mx = -INFINITY;
        for (int j = 0; j < c; j++) mx = li[j] > mx ? li[j] : mx;
        double s = 0.0;
        for (int j = 0; j < c; j++) s += exp((double)(li[j] - mx));
        double lse = log(s) + mx;
        loss += lse - li[targets[i]];
        if (dlogits) {
            float *di = dlogits + (size_t)i * c;
            for (int j = 0; j < c; j++)
                di[j] = (float)(exp((double)li[j] - lse) / n) - (j == targets[i] ? 1.0f / n : 0.0f);
        }
    }
    *loss_out = (float)(loss / n);
}

static void cpu_transpose(float *out, const float *in, int rows, int cols) {
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < cols; c++) out[(size_t)c * rows + r] = in[(size_t)r * cols + c];
}

static void cpu_dot_acc(float *out, const float *a, const float *b, size_t n, float weight) {
    double s = 0;
    for (size_t k = 0; k < n; k++) s += (double)a[k] * b[k];
    out[0] += weight * (float)s;
}

static void cpu_argmax_rows(int32_t *out, const float *x, int n, int c) {
    for (int i = 0; i < n; i++) {
        const float *l = x + (size_t)i * c;
        int best = 0;
        for (int k = 1; k < c; k++)
            if (l[k] > l[best]) best = k;
        out[i] = best;
    }
}

static void cpu_channel_affine(float *out, const float *x, int b, int ch, size_t plane,
                               const float *shift, const float *div) {
    for (int i = 0; i < b; i++)
        for (int c = 0; c < ch; c++) {
            const float *src = x + ((size_t)i * ch + c) * plane;
            float *dst = out + ((size_t)i * ch + c) * plane;
            for (size_t k = 0; k < plane; k++) dst[k] = (src[k] - shift[c]) / div[c];
        }
}

static int cpu_sync(void) { return 0; }

static int cpu_set_math(segp_math math) {
    if (math == SEGP_MATH_FP32) return 0;
    return SEGP_FAIL("%s on the CPU: the CPU backend computes in FP32 only (tf32 and bf16 are "
                     "CUDA precisions)",
                     segp_math_name(math));
}

static const char *cpu_describe(void) { return "CPU (OpenBLAS + OpenMP), FP32"; }

static const segp_backend cpu_backend = {
    .name = "cpu",
    .host_memory = 1,
    .alloc = cpu_alloc,
    .free = cpu_free,
    .to_device = cpu_copy,
    .to_host = cpu_copy,
    .zero = cpu_zero,
    .copy = cpu_copy,
    .sync = cpu_sync,
    .set_math = cpu_set_math,
    .describe = cpu_describe,
    .gemm = cpu_gemm,
    .add_bias = cpu_add_bias,
    .bias_grad = cpu_bias_grad,
    .layernorm_fwd = cpu_layernorm_fwd,
    .layernorm_bwd = cpu_layernorm_bwd,
    .act_fwd = cpu_act_fwd,
    .act_bwd = cpu_act_bwd,
    .attention_fwd = cpu_attention_fwd,
    .attention_bwd = cpu_attention_bwd,
    .add = cpu_add,
    .axpy = cpu_axpy,
    .scale = cpu_scale,
    .im2patch = cpu_im2patch,
    .patch2im = cpu_patch2im,
    .vision_embed = cpu_vision_embed,
    .vision_embed_bwd = cpu_vision_embed_bwd,
    .text_embed = cpu_text_embed,
    .text_embed_bwd = cpu_text_embed_bwd,
    .gather_rows = cpu_gather_rows,
    .scatter_add_rows = cpu_scatter_add_rows,
    .l2norm_fwd = cpu_l2norm_fwd,
    .l2norm_bwd = cpu_l2norm_bwd,
    .softmax = cpu_softmax,
    .cross_entropy_fwd_bwd = cpu_cross_entropy,
    .transpose = cpu_transpose,
    .dot_acc = cpu_dot_acc,
    .argmax_rows = cpu_argmax_rows,
    .channel_affine = cpu_channel_affine,
    .adamw_step = cpu_adamw_step,
    .sgd_step = cpu_sgd_step,
    .acgd_fwd_bwd = cpu_acgd_fwd_bwd,
    .tsgr_fwd_bwd = cpu_tsgr_fwd_bwd,
    .dpgd_fwd_bwd = cpu_dpgd_fwd_bwd,
    .pgd_step = cpu_pgd_step,
    .jsd_rows = cpu_jsd_rows,
};

const segp_backend *segp_backend_cpu(void) { return &cpu_backend; }
