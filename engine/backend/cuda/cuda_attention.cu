/* cuda_attention.cu: multi-head attention on packed qkv[b*l, 3w] (q | k | v, heads contiguous
 * within each), as the CPU reference computes it: S = QK^T / sqrt(hd), P = softmax(S) with the
 * causal mask (j > i) as zeros, O = PV; P is written to probs[b, h, l, l] and kept by the caller
 * for the backward. The products are cuBLAS batched gemms over all (batch, head) pairs at once
 * (one launch each; the operands of a pair are found through device arrays of pointers, since
 * the qkv layout has two strides; per head when the alignments forbid that), the softmax and its
 * backward one warp-per-row kernel each. */
#include <math.h>

#include "cuda_internal.h"

/* Operand X of pair (bi, hi) starts at base + bi * sb + hi * sh. */
struct bh_op {
    const float *base;
    size_t sb, sh;
};

/* out[s * count + bi * h + hi] = the pointer of operand s for pair (bi, hi); count = b * h. */
static __global__ void fill_ptrs_kernel(const float **out, bh_op o0, bh_op o1, bh_op o2, int b,
                                        int h) {
    const size_t count = (size_t)b * h;
    GRID_STRIDE(idx, count) {
        size_t bi = idx / h, hi = idx % h;
        out[idx] = o0.base + bi * o0.sb + hi * o0.sh;
        out[count + idx] = o1.base + bi * o1.sb + hi * o1.sh;
        out[2 * count + idx] = o2.base + bi * o2.sb + hi * o2.sh;
    }
}

/* Bytes every pointer of OP is aligned to (at most 16), and the alignment a leading dimension
 * LD lets cuBLAS assume of rows; cuBLAS cannot see the pointers of a device pointer array, so
 * that path is taken only when the pointers are at least as aligned as their rows. */
static unsigned ptr_align(const bh_op &op) {
    uintptr_t v = (uintptr_t)op.base | (uintptr_t)(op.sb * sizeof(float)) |
                  (uintptr_t)(op.sh * sizeof(float)) | 16u;
    return (unsigned)(v & (~v + 1)); /* lowest set bit */
}
static unsigned ld_align(int ld) {
    uintptr_t v = (uintptr_t)ld * sizeof(float) | 16u;
    return (unsigned)(v & (~v + 1));
}

/* For every pair (bi < b, hi < h): C = alpha op(A) op(B) + beta C, row-major, k > 0. One batched
 * gemm over all pairs through device pointer arrays when the alignments allow it, else one
 * strided-batched gemm per head (over the batch). */
static void bh_gemm(int ta, int tb, int m, int n, int k, float alpha, bh_op A, int lda, bh_op B,
                    int ldb, float beta, bh_op C, int ldc, int b, int h) {
    if (ptr_align(A) >= ld_align(lda) && ptr_align(B) >= ld_align(ldb) &&
        ptr_align(C) >= ld_align(ldc)) {
        const size_t count = (size_t)b * h;
        const float **pt = (const float **)cuda_scratch(SCR_PTRS, 3 * count * sizeof *pt);
        LAUNCH(fill_ptrs_kernel, grid_for(count, 256), 256, 0, pt, A, B, C, b, h);
        cu_gemm_batched(ta, tb, m, n, k, alpha, pt, lda, pt + count, ldb, beta,
                        (float *const *)(pt + 2 * count), ldc, (int)count);
    } else {
        for (int hi = 0; hi < h; hi++)
            cu_gemm_strided(ta, tb, m, n, k, alpha, A.base + hi * A.sh, lda, (long long)A.sb,
                            B.base + hi * B.sh, ldb, (long long)B.sb, beta,
                            (float *)(C.base + hi * C.sh), ldc, (long long)C.sb, b);
    }
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
    const size_t ll = (size_t)l * l, rs = (size_t)l * w3;
    const float sc = 1.0f / sqrtf((float)hd);
    const bh_op Q = {qkv, rs, (size_t)hd}, K = {qkv + w, rs, (size_t)hd},
                V = {qkv + 2 * w, rs, (size_t)hd}, P = {probs, (size_t)h * ll, ll},
                O = {out, (size_t)l * w, (size_t)hd};
    bh_gemm(0, 1, l, l, hd, sc, Q, w3, K, w3, 0.0f, P, l, b, h); /* S = sc Q K^T */
    const size_t rows = (size_t)b * h * l;
    LAUNCH(attn_softmax_kernel, grid_for(rows, ROWS_PER_BLOCK), 32 * ROWS_PER_BLOCK, 0, probs,
           rows, l, causal);
    bh_gemm(0, 0, l, hd, l, 1.0f, P, l, V, w3, 0.0f, O, w, b, h); /* O = P V */
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
    const size_t ll = (size_t)l * l, per_b = (size_t)h * ll, rs = (size_t)l * w3;
    const float sc = 1.0f / sqrtf((float)hd);
    int chunk = (int)(ATTN_SCRATCH_MAX / (per_b * sizeof(float)));
    if (chunk < 1) chunk = 1;
    if (chunk > b) chunk = b;
    float *ds = (float *)cuda_scratch(SCR_ATTN, (size_t)chunk * per_b * sizeof(float));
    for (int b0 = 0; b0 < b; b0 += chunk) {
        const int bc = b - b0 < chunk ? b - b0 : chunk;
        const float *q = qkv + (size_t)b0 * rs, *pr = probs + (size_t)b0 * per_b;
        float *dq = dqkv + (size_t)b0 * rs;
        const bh_op dO = {dout + (size_t)b0 * l * w, (size_t)l * w, (size_t)hd},
                    Q = {q, rs, (size_t)hd}, K = {q + w, rs, (size_t)hd},
                    V = {q + 2 * w, rs, (size_t)hd}, P = {pr, per_b, ll}, DS = {ds, per_b, ll},
                    dQ = {dq, rs, (size_t)hd}, dK = {dq + w, rs, (size_t)hd},
                    dV = {dq + 2 * w, rs, (size_t)hd};
        /* dP = dO V^T ; dV = P^T dO (overwrites) */
        bh_gemm(0, 1, l, l, hd, 1.0f, dO, w, V, w3, 0.0f, DS, l, bc, h);
        bh_gemm(1, 0, l, hd, l, 1.0f, P, l, dO, w, 0.0f, dV, w3, bc, h);
        const size_t rows = (size_t)bc * h * l;
        LAUNCH(attn_softmax_bwd_kernel, grid_for(rows, ROWS_PER_BLOCK), 32 * ROWS_PER_BLOCK, 0,
               ds, pr, rows, l);
        /* dQ = sc dS K ; dK = sc dS^T Q (overwrite) */
        bh_gemm(0, 0, l, hd, l, sc, DS, l, K, w3, 0.0f, dQ, w3, bc, h);
        bh_gemm(1, 0, l, hd, l, sc, DS, l, Q, w3, 0.0f, dK, w3, bc, h);
    }
}
