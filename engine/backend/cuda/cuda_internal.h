/* cuda_internal.h: what the files of the CUDA backend share (private to engine/backend/cuda/):
 * the backend's state (device, stream, cuBLAS handle, sticky error, scratch buffers), the error
 * and launch helpers, the fixed-order reductions, and the op functions each file defines for the
 * table in cuda_backend.cu. Every op only queues work on the one stream; nothing here waits. */
#ifndef SEGP_CUDA_INTERNAL_H
#define SEGP_CUDA_INTERNAL_H

#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <stddef.h>
#include <stdint.h>

extern "C" {
#include "backend/backend.h"
#include "core/common.h"
}

/* Scratch buffers the backend owns, one per use so that one op never hands its own scratch to
 * a helper that takes it too. Ops run in stream order, so consecutive ops may share a slot. */
enum {
    SCR_PTRS = 0, /* batched-gemm pointer arrays (attention) */
    SCR_ATTN,     /* dS of attention_bwd */
    SCR_RED,      /* partial sums of the deterministic reductions */
    SCR_LOSS,     /* double work arrays of the SeGP-CL losses */
    SCR_COUNT
};

struct cuda_state {
    int device;
    cudaStream_t stream;
    cublasHandle_t blas;
    segp_math math;
    int pools;    /* stream-ordered allocation (cudaMallocAsync) available */
    int sm_count;
    int failed;   /* sticky: the first failure's message is in error */
    char error[512];
    char name[256];
    char desc[384];
    void *scratch[SCR_COUNT];
    size_t scratch_bytes[SCR_COUNT];
};
extern cuda_state g_cu;

/* Record a failed CUDA / cuBLAS call (the first failure sticks); WHAT names the call, WHERE the
 * backend function. Returns 1 when E is a failure. */
int cuda_note(cudaError_t e, const char *what, const char *where);
int cublas_note(cublasStatus_t s, const char *what, const char *where);
#define CUDA_CHECK(fn, ...) cuda_note(fn(__VA_ARGS__), #fn, __func__)
#define CUBLAS_CHECK(fn, ...) cublas_note(fn(__VA_ARGS__), #fn, __func__)

/* Device scratch of at least BYTES in SLOT (contents undefined; valid until the next call for
 * the same slot; stream-ordered, so queued work on the old buffer is safe). */
void *cuda_scratch(int slot, size_t bytes);

/* Queue KERNEL on the backend's stream unless the grid is empty; a launch failure sticks.
 * (SEGP_CUDA_EMU: the host emulation of emu/, which runs the kernel at once.) */
#ifndef SEGP_CUDA_EMU
#define LAUNCH(kernel, grid, block, smem, ...)                                                 \
    do {                                                                                       \
        dim3 grid_ = (grid);                                                                   \
        if (grid_.x > 0 && grid_.y > 0 && grid_.z > 0) {                                       \
            kernel<<<grid_, (block), (smem), g_cu.stream>>>(__VA_ARGS__);                      \
            cuda_note(cudaGetLastError(), #kernel, __func__);                                  \
        }                                                                                      \
    } while (0)
#else
#define LAUNCH(kernel, grid, block, smem, ...)                                                 \
    do {                                                                                       \
        dim3 grid_ = (grid);                                                                   \
        if (grid_.x > 0 && grid_.y > 0 && grid_.z > 0) {                                       \
            emu_launch(grid_, dim3(block), (smem), g_cu.stream, #kernel,                       \
                       [&]() { kernel(__VA_ARGS__); });                                        \
            cuda_note(cudaGetLastError(), #kernel, __func__);                                  \
        }                                                                                      \
    } while (0)
#endif

/* Blocks for N items at PER_BLOCK items a block, capped: every kernel loops grid-stride, so any
 * N is covered; 0 for N = 0 (LAUNCH then skips). The cap depends on nothing but the constant,
 * so a reduction's split (and its rounding) is the same on every device. */
#ifndef CUDA_GRID_CAP /* the emulation check sets it small to run the grid-stride loops */
#define CUDA_GRID_CAP 65535u
#endif
static inline unsigned grid_for(size_t n, size_t per_block) {
    if (n == 0) return 0;
    size_t g = (n + per_block - 1) / per_block;
    return g > CUDA_GRID_CAP ? CUDA_GRID_CAP : (unsigned)g;
}

#define GRID_STRIDE(i, n)                                                                      \
    for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < (size_t)(n);            \
         i += (size_t)gridDim.x * blockDim.x)

/* One warp per row: ROW runs over [0, N) with the whole warp on one row (the loop condition is
 * uniform across the warp, so the shuffles inside are safe). */
#define WARP_ROWS(row, n)                                                                      \
    for (size_t row = ((size_t)blockIdx.x * blockDim.x + threadIdx.x) / 32; row < (size_t)(n);  \
         row += (size_t)gridDim.x * blockDim.x / 32)
#define ROWS_PER_BLOCK 8 /* warps of a 256-thread block */

/* Fixed-order sums. The xor butterfly gives every lane the same bits (float addition is
 * commutative, so partner lanes add the same pair), and the order depends on nothing but the
 * lane numbers: results are reproducible run to run. */
template <typename T> __device__ __forceinline__ T warp_sum(T v) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}
template <typename T> __device__ __forceinline__ T warp_max(T v) {
    for (int o = 16; o > 0; o >>= 1) {
        T u = __shfl_xor_sync(0xffffffffu, v, o);
        v = u > v ? u : v;
    }
    return v;
}
/* Sum over the block (blockDim.x a multiple of 32, at most 1024); every thread gets the result.
 * SH: 32 elements of shared memory. Contains __syncthreads: call from all threads. */
template <typename T> __device__ __forceinline__ T block_sum(T v, T *sh) {
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, nw = blockDim.x >> 5;
    v = warp_sum(v);
    __syncthreads(); /* SH may still be read by an earlier call */
    if (lane == 0) sh[warp] = v;
    __syncthreads();
    T r = lane < nw ? sh[lane] : (T)0;
    return warp_sum(r);
}

/* ---- cuda_gemm.cu ---- */
void cu_gemm(int ta, int tb, int m, int n, int k, float alpha, const float *a, int lda,
             const float *b, int ldb, float beta, float *c, int ldc);
/* COUNT row-major products C_i = alpha op(A_i) op(B_i) + beta C_i, the matrices given by device
 * arrays of device pointers (k > 0). */
void cu_gemm_batched(int ta, int tb, int m, int n, int k, float alpha, const float *const *a,
                     int lda, const float *const *b, int ldb, float beta, float *const *c,
                     int ldc, int count);

/* The same with matrix i at a + i sa, b + i sb, c + i sc (k > 0). */
void cu_gemm_strided(int ta, int tb, int m, int n, int k, float alpha, const float *a, int lda,
                     long long sa, const float *b, int ldb, long long sb, float beta, float *c,
                     int ldc, long long sc, int count);

/* ---- cuda_attention.cu ---- */
void cu_attention_fwd(float *out, float *probs, const float *qkv, int b, int l, int h, int hd,
                      int causal);
void cu_attention_bwd(float *dqkv, const float *dout, const float *qkv, const float *probs,
                      int b, int l, int h, int hd);

/* ---- cuda_ops.cu: elementwise, embeddings, indexing, layout ---- */
void cu_add_bias(float *y, const float *bias, int n, int c);
void cu_act_fwd(float *out, const float *x, size_t n, act_kind kind);
void cu_act_bwd(float *dx, const float *dout, const float *x, size_t n, act_kind kind);
void cu_add(float *y, const float *x, size_t n);
void cu_axpy(float *y, float a, const float *x, size_t n);
void cu_scale(float *y, float a, size_t n);
void cu_im2patch(float *patches, const float *pixels, int b, int r, int p);
void cu_patch2im(float *dpixels, const float *dpatches, int b, int r, int p);
void cu_vision_embed(float *x, const float *patch_out, const float *cls, const float *pos, int b,
                     int g2, int w);
void cu_vision_embed_bwd(float *dpatch, float *dcls, float *dpos, const float *dx, int b, int g2,
                         int w);
void cu_text_embed(float *x, const int32_t *ids, const float *tok, const float *pos, int b, int l,
                   int ctx, int w);
void cu_text_embed_bwd(float *dtok, float *dpos, const float *dx, const int32_t *ids, int b,
                       int l, int ctx, int w);
void cu_gather_rows(float *out, const float *x, const int32_t *idx, int n, int c);
void cu_scatter_add_rows(float *dx, const float *dout, const int32_t *idx, int n, int c);
void cu_transpose(float *out, const float *in, int rows, int cols);
void cu_channel_affine(float *out, const float *x, int b, int ch, size_t plane,
                       const float *shift, const float *div);

/* ---- cuda_norms.cu: row-wise normalisations and reductions ---- */
void cu_bias_grad(float *db, const float *dy, int n, int c);
void cu_layernorm_fwd(float *out, float *mean, float *rstd, const float *x, const float *w,
                      const float *b, int n, int c, float eps);
void cu_layernorm_bwd(float *dx, float *dw, float *db, const float *dout, const float *x,
                      const float *w, const float *mean, const float *rstd, int n, int c,
                      int acc);
void cu_l2norm_fwd(float *y, float *norm, const float *x, int n, int c);
void cu_l2norm_bwd(float *dx, const float *dy, const float *y, const float *norm, int n, int c);
void cu_softmax(float *y, const float *x, int n, int c);
void cu_dot_acc(float *out, const float *a, const float *b, size_t n, float weight);
void cu_argmax_rows(int32_t *out, const float *x, int n, int c);

/* ---- cuda_losses.cu: cross-entropy, SeGP-CL losses, JSD, PGD, optimisers ---- */
void cu_cross_entropy(float *loss, float *dlogits, const float *logits, const int32_t *targets,
                      int n, int c);
void cu_adamw_step(float *p, float *m, float *v, const float *g, const uint8_t *mask, size_t n,
                   float lr, float b1, float b2, float eps, float wd, float c1, float c2);
void cu_sgd_step(float *p, float *v, const float *g, const uint8_t *mask, size_t n, float lr,
                 float mu, float wd);
void cu_acgd_fwd_bwd(float *loss, float *d_f, float *d_g, const float *f, int n, const float *g,
                     int K, int e, const float *p_teacher, float logit_scale, float tau,
                     float weight);
void cu_tsgr_fwd_bwd(float *loss, float *d_g, const float *g, int n_rows, int e,
                     const int32_t *rows, int n_cls, const int32_t *nbr, int k,
                     const float *p_ref, float tau, float weight);
void cu_dpgd_fwd_bwd(float *ce, float *vis, float *d_f, const float *f, int n, int e,
                     const float *g, int K, const int32_t *targets, const float *mu,
                     float lambda_p, float logit_scale);
void cu_pgd_step(float *x, const float *x0, const float *g, size_t n, float step, float eps);
void cu_jsd_rows(float *out, const float *lp, const float *lq, int n, int c);

#endif
