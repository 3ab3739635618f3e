/* cuda_attention.cu: multi-head attention on packed qkv[b*l, 3w] (q | k | v, heads contiguous
 * within each), as the CPU reference computes it: S = QK^T / sqrt(hd), P = softmax(S) with the
 * causal mask (j > i) as zeros, O = PV; P is written to probs[b, h, l, l] and kept by the caller
 * for the backward. The products are cuBLAS batched gemms over all (batch, head) pairs at once
 * (one launch each; the operands of a pair are found through device arrays of pointers, since
 * the qkv layout has two strides), the softmax and its backward one warp-per-row kernel each. */
#include <math.h>

#include "cuda_internal.h"

/* Operand X of pair (bi, hi) starts at base + bi * sb + hi * sh. */
struct ptr_spec {
    const float *base;
    size_t sb, sh;
};
#define MAX_SPECS 9
struct ptr_specs {
    ptr_spec s[MAX_SPECS];
    int n;
};

/* out[s * count + bi * h + hi] = the pointer of operand s for pair (bi, hi); count = b * h. */
static __global__ void fill_ptrs_kernel(const float **out, ptr_specs sp, int b, int h) {
    size_t count = (size_t)b * h;
    GRID_STRIDE(idx, count) {
        size_t bi = idx / h, hi = idx % h;
        for (int s = 0; s < sp.n; s++)
            out[s * count + idx] = sp.s[s].base + bi * sp.s[s].sb + hi * sp.s[s].sh;
    }
}

static const float **fill_ptrs(const ptr_specs &sp, int b, int h) {
    size_t count = (size_t)b * h;
    const float **p = (const float **)cuda_scratch(SCR_PTRS, (size_t)sp.n * count * sizeof *p);
    LAUNCH(fill_ptrs_kernel, grid_for(count, 256), 256, 0, p, sp, b, h);
    return p;
}

/* Softmax of each length-l row of p over its first `valid` entries (i + 1 for row i of a head
 * when causal, else l), zeros after them; in place. */
static __global__ void attn_softmax_kernel(float *p, size_t rows, int l, int causal) {
    int lane = threadIdx.x & 31;
    WARP_ROWS(r, rows) {
        float *row = p + r * l;
        int valid = causal ? (int)(r % l) + 1 : l;
        float mx = -INFINITY;
        for (int j = lane; j < valid; j += 32) mx = fmaxf(mx, row[j]);
        mx = warp_max(mx);
        float s = 0.0f;
        for (int j = lane; j < valid; j += 32) {
            float e = expf(row[j] - mx);
            row[j] = e;
            s += e;
        }
        float inv = 1.0f / warp_sum(s);
        for (int j = lane; j < valid; j += 32) row[j] *= inv;
        for (int j = valid + lane; j < l; j += 32) row[j] = 0.0f;
    }
}

/* dS = P * (dP - rowsum(P * dP)) row by row, in place over ds (dP on entry); masked entries
 * have P = 0 and come out 0. */
static __global__ void attn_softmax_bwd_kernel(float *ds, const float *p, size_t rows, int l) {
    int lane = threadIdx.x & 31;
    WARP_ROWS(r, rows) {
        float *d = ds + r * l;
        const float *pr = p + r * l;
        float dot = 0.0f;
        for (int j = lane; j < l; j += 32) dot += pr[j] * d[j];
        dot = warp_sum(dot);
        for (int j = lane; j < l; j += 32) d[j] = pr[j] * (d[j] - dot);
    }
}

void cu_attention_fwd(float *out, float *probs, const float *qkv, int b, int l, int h, int hd,
                      int causal) {
    if (b <= 0 || l <= 0 || h <= 0 || hd <= 0) return;
    const int w = h * hd, w3 = 3 * w;
    const size_t ll = (size_t)l * l, count = (size_t)b * h;
    const float sc = 1.0f / sqrtf((float)hd);
    ptr_specs sp;
    sp.n = 5;
    sp.s[0] = {qkv, (size_t)l * w3, (size_t)hd};         /* Q */
    sp.s[1] = {qkv + w, (size_t)l * w3, (size_t)hd};     /* K */
    sp.s[2] = {qkv + 2 * w, (size_t)l * w3, (size_t)hd}; /* V */
    sp.s[3] = {probs, (size_t)h * ll, ll};               /* S, then P */
    sp.s[4] = {out, (size_t)l * w, (size_t)hd};          /* O */
    const float **pt = fill_ptrs(sp, b, h);
    const float *const *Q = pt, *const *K = pt + count, *const *V = pt + 2 * count;
    float *const *P = (float *const *)(pt + 3 * count), *const *O = (float *const *)(pt + 4 * count);
    cu_gemm_batched(0, 1, l, l, hd, sc, Q, w3, K, w3, 0.0f, P, l, (int)count);
    size_t rows = count * l;
    LAUNCH(attn_softmax_kernel, grid_for(rows, ROWS_PER_BLOCK), 32 * ROWS_PER_BLOCK, 0, probs,
           rows, l, causal);
    cu_gemm_batched(0, 0, l, hd, l, 1.0f, (const float *const *)P, l, V, w3, 0.0f, O, w,
                    (int)count);
}

/* dS of at most this many bytes at once; larger batches go in chunks of whole batch rows (the
 * emulation check sets it small to run the chunks). */
#ifndef ATTN_SCRATCH_MAX
#define ATTN_SCRATCH_MAX ((size_t)512 << 20)
#endif

void cu_attention_bwd(float *dqkv, const float *dout, const float *qkv, const float *probs,
                      int b, int l, int h, int hd) {
    if (b <= 0 || l <= 0 || h <= 0 || hd <= 0) return;
    const int w = h * hd, w3 = 3 * w;
    const size_t ll = (size_t)l * l, per_b = (size_t)h * ll;
    const float sc = 1.0f / sqrtf((float)hd);
    int chunk = (int)(ATTN_SCRATCH_MAX / (per_b * sizeof(float)));
    if (chunk < 1) chunk = 1;
    if (chunk > b) chunk = b;
    float *ds = (float *)cuda_scratch(SCR_ATTN, (size_t)chunk * per_b * sizeof(float));
    for (int b0 = 0; b0 < b; b0 += chunk) {
        const int bc = b - b0 < chunk ? b - b0 : chunk;
        const size_t count = (size_t)bc * h;
        const size_t so = (size_t)b0 * l * w3; /* this chunk's first row of qkv / dqkv */
        ptr_specs sp;
        sp.n = 9;
        sp.s[0] = {dout + (size_t)b0 * l * w, (size_t)l * w, (size_t)hd}; /* dO */
        sp.s[1] = {qkv + so, (size_t)l * w3, (size_t)hd};                 /* Q */
        sp.s[2] = {qkv + so + w, (size_t)l * w3, (size_t)hd};             /* K */
        sp.s[3] = {qkv + so + 2 * w, (size_t)l * w3, (size_t)hd};         /* V */
        sp.s[4] = {probs + (size_t)b0 * per_b, per_b, ll};                /* P */
        sp.s[5] = {ds, per_b, ll};                                        /* dP, then dS */
        sp.s[6] = {dqkv + so, (size_t)l * w3, (size_t)hd};                /* dQ */
        sp.s[7] = {dqkv + so + w, (size_t)l * w3, (size_t)hd};            /* dK */
        sp.s[8] = {dqkv + so + 2 * w, (size_t)l * w3, (size_t)hd};        /* dV */
        const float **pt = fill_ptrs(sp, bc, h);
        const float *const *dO = pt, *const *Q = pt + count, *const *K = pt + 2 * count,
                           *const *V = pt + 3 * count, *const *P = pt + 4 * count;
        float *const *DS = (float *const *)(pt + 5 * count);
        float *const *dQ = (float *const *)(pt + 6 * count);
        float *const *dK = (float *const *)(pt + 7 * count);
        float *const *dV = (float *const *)(pt + 8 * count);
        /* dP = dO V^T ; dV = P^T dO (overwrites) */
        cu_gemm_batched(0, 1, l, l, hd, 1.0f, dO, w, V, w3, 0.0f, DS, l, (int)count);
        cu_gemm_batched(1, 0, l, hd, l, 1.0f, P, l, dO, w, 0.0f, dV, w3, (int)count);
        size_t rows = count * l;
        LAUNCH(attn_softmax_bwd_kernel, grid_for(rows, ROWS_PER_BLOCK), 32 * ROWS_PER_BLOCK, 0,
               ds, probs + (size_t)b0 * per_b, rows, l);
        /* dQ = sc dS K ; dK = sc dS^T Q (overwrite) */
        const float *const *DSc = (const float *const *)DS;
        cu_gemm_batched(0, 0, l, hd, l, sc, DSc, l, K, w3, 0.0f, dQ, w3, (int)count);
        cu_gemm_batched(1, 0, l, hd, l, sc, DSc, l, Q, w3, 0.0f, dK, w3, (int)count);
    }
}
