/* cuda_norms.cu: the CUDA backend's row-wise ops (layer norm, L2 normalisation, softmax,
 * argmax: one warp per row) and its reductions over many rows (bias and layer-norm parameter
 * gradients as column sums, dot_acc). Every reduction is a fixed-order tree: partial sums over
 * chunks whose split depends only on the sizes, then the partials added in chunk order, so the
 * result is the same bits on every run; no floating-point atomics. */
#include <math.h>

#include "cuda_internal.h"

#define WARPS_TPB (32 * ROWS_PER_BLOCK)

/* ---- column sums: s1[j] += sum_i dy[i, j]; s2[j] += sum_i dy[i, j] (x[i, j] - mean[i]) rstd[i]
 * (the layer-norm weight gradient). Pass 1: block (32 columns x 8 row lanes) per (column tile,
 * row chunk) -> partials [chunks, c]; pass 2: per column, the chunks in order. ---- */

#define COL_LANES 8
#define COL_MAX_CHUNKS 1024
#define COL_MIN_ROWS 64

static __global__ void colsum_partial_kernel(float *part1, float *part2, const float *dy,
                                             const float *x, const float *mean,
                                             const float *rstd, int n, int c, int chunk_rows) {
    __shared__ float sh1[COL_LANES][32], sh2[COL_LANES][32];
    const int j = blockIdx.x * 32 + threadIdx.x, ty = threadIdx.y;
    const int lo = blockIdx.y * chunk_rows;
    const int hi = lo + chunk_rows < n ? lo + chunk_rows : n;
    float a1 = 0.0f, a2 = 0.0f;
    if (j < c)
        for (int i = lo + ty; i < hi; i += COL_LANES) {
            float g = dy[(size_t)i * c + j];
            if (part1) a1 += g;
            if (part2) a2 += g * (x[(size_t)i * c + j] - mean[i]) * rstd[i];
        }
    sh1[ty][threadIdx.x] = a1;
    sh2[ty][threadIdx.x] = a2;
    __syncthreads();
    if (ty == 0 && j < c) {
        float s1 = 0.0f, s2 = 0.0f;
        for (int k = 0; k < COL_LANES; k++) s1 += sh1[k][threadIdx.x], s2 += sh2[k][threadIdx.x];
        if (part1) part1[(size_t)blockIdx.y * c + j] = s1;
        if (part2) part2[(size_t)blockIdx.y * c + j] = s2;
    }
}

static __global__ void colsum_final_kernel(float *s1, float *s2, const float *part1,
                                           const float *part2, int chunks, int c) {
    GRID_STRIDE(j, (size_t)c) {
        if (s1) {
            float s = 0.0f;
            for (int k = 0; k < chunks; k++) s += part1[(size_t)k * c + j];
            s1[j] += s;
        }
        if (s2) {
            float s = 0.0f;
            for (int k = 0; k < chunks; k++) s += part2[(size_t)k * c + j];
            s2[j] += s;
        }
    }
}

static void column_sums(float *s1, float *s2, const float *dy, const float *x, const float *mean,
                        const float *rstd, int n, int c) {
    if (n <= 0 || c <= 0 || (!s1 && !s2)) return;
    int chunks = (n + COL_MIN_ROWS - 1) / COL_MIN_ROWS;
    if (chunks > COL_MAX_CHUNKS) chunks = COL_MAX_CHUNKS;
    int chunk_rows = (n + chunks - 1) / chunks;
    chunks = (n + chunk_rows - 1) / chunk_rows;
    size_t each = (size_t)chunks * c;
    float *part = (float *)cuda_scratch(SCR_RED, 2 * each * sizeof(float));
    float *p1 = s1 ? part : NULL, *p2 = s2 ? part + each : NULL;
    dim3 grid((c + 31) / 32, chunks);
    LAUNCH(colsum_partial_kernel, grid, dim3(32, COL_LANES), 0, p1, p2, dy, x, mean, rstd, n, c,
           chunk_rows);
    LAUNCH(colsum_final_kernel, grid_for((size_t)c, 256), 256, 0, s1, s2, p1, p2, chunks, c);
}

void cu_bias_grad(float *db, const float *dy, int n, int c) {
    column_sums(db, NULL, dy, NULL, NULL, NULL, n, c);
}

/* ---- layer norm ---- */

static __global__ void layernorm_fwd_kernel(float *out, float *mean, float *rstd, const float *x,
                                            const float *w, const float *b, int n, int c,
                                            float eps) {
    const int lane = threadIdx.x & 31;
    WARP_ROWS(i, n) {
        const float *xi = x + i * c;
        float *oi = out + i * c;
        float m = 0.0f;
        for (int j = lane; j < c; j += 32) m += xi[j];
        m = warp_sum(m) / (float)c;
        float v = 0.0f;
        for (int j = lane; j < c; j += 32) {
            float d = xi[j] - m;
            v += d * d;
        }
        v = warp_sum(v) / (float)c;
        float r = 1.0f / sqrtf(v + eps);
        for (int j = lane; j < c; j += 32) oi[j] = (xi[j] - m) * r * w[j] + b[j];
        if (lane == 0) {
            if (mean) mean[i] = m;
            if (rstd) rstd[i] = r;
        }
    }
}

void cu_layernorm_fwd(float *out, float *mean, float *rstd, const float *x, const float *w,
                      const float *b, int n, int c, float eps) {
    if (n <= 0 || c <= 0) return;
    LAUNCH(layernorm_fwd_kernel, grid_for((size_t)n, ROWS_PER_BLOCK), WARPS_TPB, 0, out, mean,
           rstd, x, w, b, n, c, eps);
}

static __global__ void layernorm_dx_kernel(float *dx, const float *dout, const float *x,
                                           const float *w, const float *mean, const float *rstd,
                                           int n, int c, int acc) {
    const int lane = threadIdx.x & 31;
    WARP_ROWS(i, n) {
        const float *xi = x + i * c, *gi = dout + i * c;
        float *dxi = dx + i * c;
        const float m = mean[i], r = rstd[i];
        float s1 = 0.0f, s2 = 0.0f; /* mean(dnorm), mean(dnorm * xhat) */
        for (int j = lane; j < c; j += 32) {
            float dn = gi[j] * w[j];
            s1 += dn;
            s2 += dn * (xi[j] - m) * r;
        }
        s1 = warp_sum(s1) / (float)c;
        s2 = warp_sum(s2) / (float)c;
        for (int j = lane; j < c; j += 32) {
            float xh = (xi[j] - m) * r;
            float v = r * (gi[j] * w[j] - s1 - xh * s2);
            dxi[j] = acc ? dxi[j] + v : v;
        }
    }
}

void cu_layernorm_bwd(float *dx, float *dw, float *db, const float *dout, const float *x,
                      const float *w, const float *mean, const float *rstd, int n, int c,
                      int acc) {
    if (n <= 0 || c <= 0) return;
    if (dx)
        LAUNCH(layernorm_dx_kernel, grid_for((size_t)n, ROWS_PER_BLOCK), WARPS_TPB, 0, dx, dout,
               x, w, mean, rstd, n, c, acc);
    if (dw || db) column_sums(db, dw, dout, x, mean, rstd, n, c);
}

/* ---- L2 normalisation (zero rows stay zero) ---- */

static __global__ void l2norm_fwd_kernel(float *y, float *norm, const float *x, int n, int c) {
    const int lane = threadIdx.x & 31;
    WARP_ROWS(i, n) {
        const float *xi = x + i * c;
        double s = 0.0;
        for (int j = lane; j < c; j += 32) s += (double)xi[j] * xi[j];
        float nm = (float)sqrt(warp_sum(s));
        float inv = nm > 0.0f ? 1.0f / nm : 0.0f;
        /* y may be x: each lane rewrites only the elements it read */
        for (int j = lane; j < c; j += 32) y[i * c + j] = xi[j] * inv;
        if (norm && lane == 0) norm[i] = nm;
    }
}

static __global__ void l2norm_bwd_kernel(float *dx, const float *dy, const float *y,
                                         const float *norm, int n, int c) {
    const int lane = threadIdx.x & 31;
    WARP_ROWS(i, n) {
        const float *yi = y + i * c, *gi = dy + i * c;
        float dot = 0.0f;
        for (int j = lane; j < c; j += 32) dot += yi[j] * gi[j];
        dot = warp_sum(dot);
        float inv = norm[i] > 0.0f ? 1.0f / norm[i] : 0.0f;
        for (int j = lane; j < c; j += 32) dx[i * c + j] = (gi[j] - yi[j] * dot) * inv;
    }
}

void cu_l2norm_fwd(float *y, float *norm, const float *x, int n, int c) {
    if (n <= 0 || c < 0) return;
    LAUNCH(l2norm_fwd_kernel, grid_for((size_t)n, ROWS_PER_BLOCK), WARPS_TPB, 0, y, norm, x, n,
           c);
}

void cu_l2norm_bwd(float *dx, const float *dy, const float *y, const float *norm, int n, int c) {
    if (n <= 0 || c <= 0) return;
    LAUNCH(l2norm_bwd_kernel, grid_for((size_t)n, ROWS_PER_BLOCK), WARPS_TPB, 0, dx, dy, y, norm,
           n, c);
}

/* ---- row softmax (y may be x) ---- */

static __global__ void softmax_kernel(float *y, const float *x, int n, int c) {
    const int lane = threadIdx.x & 31;
    WARP_ROWS(i, n) {
        const float *xi = x + i * c;
        float *yi = y + i * c;
        float mx = -INFINITY;
        for (int j = lane; j < c; j += 32) mx = fmaxf(mx, xi[j]);
        mx = warp_max(mx);
        float s = 0.0f;
        for (int j = lane; j < c; j += 32) {
            float e = expf(xi[j] - mx);
            yi[j] = e;
            s += e;
        }
        float inv = 1.0f / warp_sum(s);
        for (int j = lane; j < c; j += 32) yi[j] *= inv;
    }
}

void cu_softmax(float *y, const float *x, int n, int c) {
    if (n <= 0 || c <= 0) return;
    LAUNCH(softmax_kernel, grid_for((size_t)n, ROWS_PER_BLOCK), WARPS_TPB, 0, y, x, n, c);
}

/* ---- out[0] += weight * (float)sum a[i] b[i], the sum in double: per-block partials over a
 * grid fixed by n, then one block adds them in a fixed tree ---- */

#define DOT_TPB 256
#define DOT_MAX_BLOCKS 1024

static __global__ void dot_partial_kernel(double *part, const float *a, const float *b,
                                          size_t n) {
    __shared__ double sh[32];
    double s = 0.0;
    GRID_STRIDE(i, n) s += (double)a[i] * b[i];
    s = block_sum(s, sh);
    if (threadIdx.x == 0) part[blockIdx.x] = s;
}

static __global__ void dot_final_kernel(float *out, const double *part, int nparts,
                                        float weight) {
    __shared__ double sh[32];
    double s = 0.0;
    for (int k = threadIdx.x; k < nparts; k += blockDim.x) s += part[k];
    s = block_sum(s, sh);
    if (threadIdx.x == 0) out[0] += weight * (float)s;
}

void cu_dot_acc(float *out, const float *a, const float *b, size_t n, float weight) {
    if (n == 0) { /* out += weight * 0, as the CPU (keeps a NaN weight's NaN) */
        unsigned blocks = 1;
        double *part = (double *)cuda_scratch(SCR_RED, sizeof(double));
        CUDA_CHECK(cudaMemsetAsync, part, 0, sizeof(double), g_cu.stream);
        LAUNCH(dot_final_kernel, blocks, DOT_TPB, 0, out, part, 1, weight);
        return;
    }
    unsigned blocks = grid_for(n, (size_t)DOT_TPB * 8);
    if (blocks > DOT_MAX_BLOCKS) blocks = DOT_MAX_BLOCKS;
    double *part = (double *)cuda_scratch(SCR_RED, blocks * sizeof(double));
    LAUNCH(dot_partial_kernel, blocks, DOT_TPB, 0, part, a, b, n);
    LAUNCH(dot_final_kernel, 1, DOT_TPB, 0, out, part, (int)blocks, weight);
}

/* ---- out[i] = argmax_j x[i, j], the first of equal maxima. As the CPU's scan (best moves only
 * to a strictly greater value): NaNs are never chosen, except that a NaN at j = 0 keeps 0. ---- */

static __global__ void argmax_kernel(int32_t *out, const float *x, int n, int c) {
    const int lane = threadIdx.x & 31;
    WARP_ROWS(i, n) {
        const float *xi = x + i * c;
        float bv = 0.0f;
        int bj = -1; /* none yet */
        for (int j = lane; j < c; j += 32) {
            float v = xi[j];
            if (v == v && (bj < 0 || v > bv)) bv = v, bj = j;
        }
        for (int o = 16; o > 0; o >>= 1) {
            float ov = __shfl_xor_sync(0xffffffffu, bv, o);
            int oj = __shfl_xor_sync(0xffffffffu, bj, o);
            if (oj >= 0 && (bj < 0 || ov > bv || (ov == bv && oj < bj))) bv = ov, bj = oj;
        }
        if (lane == 0) out[i] = (c <= 0 || bj < 0 || xi[0] != xi[0]) ? 0 : bj;
    }
}

void cu_argmax_rows(int32_t *out, const float *x, int n, int c) {
    if (n <= 0) return;
    LAUNCH(argmax_kernel, grid_for((size_t)n, ROWS_PER_BLOCK), WARPS_TPB, 0, out, x, n, c);
}
