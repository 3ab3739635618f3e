/* backend.h: the op table. Every numeric kernel the model and the training step use goes through
 * one of these function pointers, so a second backend (CUDA, `make CUDA=1`) only has to fill the
 * same table and is compared with the CPU one op by op (tests/test_backend_ops.c).
 *
 * Memory rule: every pointer an op takes is backend memory (from alloc), index arrays and
 * scalar outputs (losses) included; host data crosses only through to_device / to_host. The
 * exceptions are plain kernel arguments passed by value (sizes, scalars, and the at most 4
 * per-channel constants of channel_affine). Ops are asynchronous on a device: they are queued in
 * order; to_host waits for the work before it, and sync waits for everything and reports an
 * asynchronous failure. On the CPU (host_memory == 1) backend memory is host memory and every op
 * has finished when it returns.
 * Matrices are row-major. "acc" arguments: 0 = overwrite the output, 1 = add to it. Scalar
 * "loss" outputs are one float of backend memory, overwritten. */
#ifndef SEGP_BACKEND_H
#define SEGP_BACKEND_H

#include <stddef.h>
#include <stdint.h>

typedef enum { ACT_QUICK_GELU = 0, ACT_GELU = 1 } act_kind;

/* Matrix-product precision of a device backend (the CPU is always FP32): FP32 strict, TF32
 * tensor cores (FP32 storage and accumulation, 10-bit mantissa products; the CUDA default), or
 * BF16 autocast (BF16 products, FP32 accumulation and storage). */
typedef enum { SEGP_MATH_FP32 = 0, SEGP_MATH_TF32 = 1, SEGP_MATH_BF16 = 2 } segp_math;

typedef struct segp_backend {
    const char *name;   /* "cpu", "cuda" */
    int host_memory;    /* 1: backend memory is host memory (no copies needed) */

    /* memory. alloc never returns NULL: out of memory is reported and the program exits (as
     * segp_malloc); a device backend names the device and the size. */
    void *(*alloc)(size_t bytes);
    void (*free)(void *p);
    void (*to_device)(void *dst, const void *host_src, size_t bytes);
    void (*to_host)(void *host_dst, const void *src, size_t bytes); /* waits for earlier ops */
    void (*zero)(void *p, size_t bytes);
    void (*copy)(void *dst, const void *src, size_t bytes);
    /* Waits for every queued op; 0, or -1 + error naming the device failure (sticky: a failed
     * device stays failed). */
    int (*sync)(void);
    /* The precision of gemm from now on; -1 + error when the backend cannot (the CPU accepts
     * FP32 only). */
    int (*set_math)(segp_math math);
    /* A line describing the device ("NVIDIA H200, 139 GiB, sm_90, driver 13.0"). */
    const char *(*describe)(void);

    /* C[M,N] = alpha * op(A) @ op(B) + beta * C; op(X) = X or X^T; lda/ldb/ldc row strides. */
    void (*gemm)(int trans_a, int trans_b, int m, int n, int k, float alpha, const float *a,
                 int lda, const float *b, int ldb, float beta, float *c, int ldc);

    /* Linear layer y[n,out] = x[n,in] @ w[out,in]^T (+ bias); dx, dw, db variants for backward. */
    void (*add_bias)(float *y, const float *bias, int n, int c);
    void (*bias_grad)(float *dbias, const float *dy, int n, int c); /* dbias += sum_rows(dy) */

    /* LayerNorm over the last dim c of n rows; saves mean/rstd for backward. */
    void (*layernorm_fwd)(float *out, float *mean, float *rstd, const float *x, const float *w,
                          const float *b, int n, int c, float eps);
    /* dx (acc=1: added), dw/db accumulated when not NULL. */
    void (*layernorm_bwd)(float *dx, float *dw, float *db, const float *dout, const float *x,
                          const float *w, const float *mean, const float *rstd, int n, int c,
                          int acc);

    void (*act_fwd)(float *out, const float *x, size_t n, act_kind kind);
    void (*act_bwd)(float *dx, const float *dout, const float *x, size_t n, act_kind kind);

    /* Multi-head attention on packed qkv[b*l, 3*w] (q | k | v, heads contiguous within each).
     * out[b*l, w]; probs[b, h, l, l] kept for backward; causal masks j > i. */
    void (*attention_fwd)(float *out, float *probs, const float *qkv, int b, int l, int h,
                          int hd, int causal);
    /* dqkv[b*l, 3*w] (overwritten) from dout[b*l, w]. */
    void (*attention_bwd)(float *dqkv, const float *dout, const float *qkv, const float *probs,
                          int b, int l, int h, int hd);

    void (*add)(float *y, const float *x, size_t n);           /* y += x */
    void (*axpy)(float *y, float a, const float *x, size_t n); /* y += a x */
    void (*scale)(float *y, float a, size_t n);                /* y *= a */

    /* Patch extraction: pixels[b, 3, r, r] -> patches[b*g*g, 3*p*p] in (c, ky, kx) order,
     * g = r / p (conv with kernel = stride = p as a matrix product). */
    void (*im2patch)(float *patches, const float *pixels, int b, int r, int p);
    /* Inverse scatter for the gradient: dpixels[b,3,r,r] (overwritten) from dpatches. */
    void (*patch2im)(float *dpixels, const float *dpatches, int b, int r, int p);

    /* Vision token assembly: x[b, 1+g2, w] = [cls ; patch_out[b]] + pos. */
    void (*vision_embed)(float *x, const float *patch_out, const float *cls, const float *pos,
                         int b, int g2, int w);
    /* Backward: dpatch_out[b*g2, w] (overwritten); dcls/dpos accumulated when not NULL. */
    void (*vision_embed_bwd)(float *dpatch_out, float *dcls, float *dpos, const float *dx, int b,
                             int g2, int w);

    /* Text: x[b, l, w] = tok_emb[ids[b, t]] + pos[t] for t < l (ids row stride ctx; ids in
     * backend memory, as every index array below). */
    void (*text_embed)(float *x, const int32_t *ids, const float *tok_emb, const float *pos,
                       int b, int l, int ctx, int w);
    void (*text_embed_bwd)(float *dtok_emb, float *dpos, const float *dx, const int32_t *ids,
                           int b, int l, int ctx, int w);

    /* Gather rows: out[i, :] = x[idx[i], :]; scatter-add for backward (dx[idx[i]] += dout[i]). */
    void (*gather_rows)(float *out, const float *x, const int32_t *idx, int n, int c);
    void (*scatter_add_rows)(float *dx, const float *dout, const int32_t *idx, int n, int c);

    /* Row-wise L2 normalisation: y = x / ||x||, norms saved; backward dx (overwritten). */
    void (*l2norm_fwd)(float *y, float *norm, const float *x, int n, int c);
    void (*l2norm_bwd)(float *dx, const float *dy, const float *y, const float *norm, int n,
                       int c);

    /* Row-wise softmax (for probabilities) and mean cross-entropy against integer targets:
     * *loss = mean_i -log softmax(logits_i)[t_i]; dlogits (may be NULL) = (softmax - onehot)/n. */
    void (*softmax)(float *y, const float *x, int n, int c);
    void (*cross_entropy_fwd_bwd)(float *loss, float *dlogits, const float *logits,
                                  const int32_t *targets, int n, int c);

    /* out[c, r] = in[r, c] for in [rows, cols]. */
    void (*transpose)(float *out, const float *in, int rows, int cols);
    /* out[0] += weight * (float)sum_i a[i] b[i] (the sum in double, in index order on the CPU). */
    void (*dot_acc)(float *out, const float *a, const float *b, size_t n, float weight);
    /* out[i] = argmax_j x[i, j] (the first of equal maxima). */
    void (*argmax_rows)(int32_t *out, const float *x, int n, int c);
    /* Per-channel affine map of planar images: out[b, ch, :] = (x[b, ch, :] - shift[ch]) /
     * div[ch] over PLANE values, CH <= 4 channels; shift/div are host arrays copied as kernel
     * arguments. out may be x. (CLIP's pixel normalisation.) */
    void (*channel_affine)(float *out, const float *x, int b, int ch, size_t plane,
                           const float *shift, const float *div);

    /* ---- optimiser updates (train/optim.h); mask (may be NULL): weight decay where != 0 ---- */
    /* AdamW: m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2; p -= lr (m/c1 / (sqrt(v/c2) + eps)
     * + wd p), c1/c2 the bias corrections 1 - beta^t. */
    void (*adamw_step)(float *p, float *m, float *v, const float *g, const uint8_t *mask,
                       size_t n, float lr, float b1, float b2, float eps, float wd, float c1,
                       float c2);
    /* SGD with momentum: v = mu v + g + wd p; p -= lr v. */
    void (*sgd_step)(float *p, float *v, const float *g, const uint8_t *mask, size_t n,
                     float lr, float mu, float wd);

    /* ---- SeGP-CL's losses on UNNORMALISED embeddings (METHOD.md; engine/cl/cl_losses.h has
     * the formulas). Each normalises rows internally, writes the unweighted loss to *loss and
     * ADDS weight * gradient to the d_ outputs (NULL: not computed). Accumulation in double on
     * the CPU. */
    /* ACGD: tau^2 mean_a KL(p_T[a] || softmax(logit_scale f^_a . g^_c / tau)); f [n, e],
     * g [K, e], p_teacher [n, K]. */
    void (*acgd_fwd_bwd)(float *loss, float *d_f, float *d_g, const float *f, int n,
                         const float *g, int K, int e, const float *p_teacher, float logit_scale,
                         float tau, float weight);
    /* TSGR: mean_i KL(p_ref[i] || softmax_j(g^_rows[i] . g^_nbr[i,j] / tau)); g [n_rows, e]
     * (every index < n_rows), rows [n_cls], nbr and p_ref [n_cls, k]. */
    void (*tsgr_fwd_bwd)(float *loss, float *d_g, const float *g, int n_rows, int e,
                         const int32_t *rows, int n_cls, const int32_t *nbr, int k,
                         const float *p_ref, float tau, float weight);
    /* The DPGD objective of N anchors, row by row: ce[i] = CE(logit_scale f^_i . g_c,
     * targets[i]) over K NORMALISED rows g, vis[i] = 1 - f^_i . mu[targets[i]] (0 when mu is
     * NULL), d_f[i] OVERWRITTEN with d(ce + lambda_p vis)/df_i (vis only when mu != NULL and
     * lambda_p != 0; d_f may be NULL). ce/vis: [n] floats. */
    void (*dpgd_fwd_bwd)(float *ce, float *vis, float *d_f, const float *f, int n, int e,
                         const float *g, int K, const int32_t *targets, const float *mu,
                         float lambda_p, float logit_scale);
    /* One signed PGD step under the l-inf ball and [0,1]: d = x - x0 - step sign(g), clipped to
     * [-eps, eps]; x = clip(x0 + d, 0, 1). (Descends the objective whose gradient is g.) */
    void (*pgd_step)(float *x, const float *x0, const float *g, size_t n, float step,
                     float eps);
    /* Per row: JSD(softmax(lp_i) || softmax(lq_i)) in nats, clipped to [0, ln 2]; [n, c]. */
    void (*jsd_rows)(float *out, const float *lp, const float *lq, int n, int c);
} segp_backend;

/* The CPU backend (OpenBLAS + OpenMP); always built, the reference for others. */
const segp_backend *segp_backend_cpu(void);

/* Backend by name: "cpu", "cuda" (device 0) or "cuda:N"; NULL + error when unknown, not built
 * in (`make CUDA=1`), or when no usable device is found. A process uses one CUDA device: the
 * first "cuda[:N]" asked for fixes it. */
const segp_backend *segp_backend_get(const char *name);

/* Checks a --device value without starting a device: 0, or -1 + error naming WHAT. */
int segp_device_check_name(const char *name, const char *what);

/* The CUDA backend on device N (engine/backend/cuda/, only with `make CUDA=1`). */
const segp_backend *segp_backend_cuda(int device);

/* "fp32" / "tf32" / "bf16" -> math; -1 + error naming WHAT otherwise. */
int segp_math_parse(const char *s, const char *what, segp_math *out);
const char *segp_math_name(segp_math m);
/* BE's gemm precision from a name: "auto" or NULL (fp32 on a host-memory backend, tf32 on a
 * device), "fp32", "tf32", "bf16". -1 + error naming WHAT. */
int segp_backend_set_precision(const segp_backend *be, const char *name, const char *what);

#endif
