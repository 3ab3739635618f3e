/* backend.h: the op table. Every numeric kernel the model uses goes through one of these function
 * pointers, so a second backend (CUDA, `make CUDA=1`) only has to fill the same table and can be
 * compared with the CPU one op by op. All pointers are backend memory (host memory on the CPU).
 * Matrices are row-major. "acc" arguments: 0 = overwrite the output, 1 = add to it. */
#ifndef SEGP_BACKEND_H
#define SEGP_BACKEND_H

#include <stddef.h>
#include <stdint.h>

typedef enum { ACT_QUICK_GELU = 0, ACT_GELU = 1 } act_kind;

typedef struct segp_backend {
    const char *name;

    /* memory */
    void *(*alloc)(size_t bytes);
    void (*free)(void *p);
    void (*to_device)(void *dst, const void *host_src, size_t bytes);
    void (*to_host)(void *host_dst, const void *src, size_t bytes);
    void (*zero)(void *p, size_t bytes);
    void (*copy)(void *dst, const void *src, size_t bytes);

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

    /* Text: x[b, l, w] = tok_emb[ids[b, t]] + pos[t] for t < l (ids row stride ctx). */
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
     * loss = mean_i -log softmax(logits_i)[t_i]; dlogits = (softmax - onehot) / n * dloss. */
    void (*softmax)(float *y, const float *x, int n, int c);
    float (*cross_entropy_fwd_bwd)(float *dlogits, const float *logits, const int32_t *targets,
                                   int n, int c);
} segp_backend;

/* The CPU backend (OpenBLAS + OpenMP); always built, the reference for others. */
const segp_backend *segp_backend_cpu(void);

/* Backend by name ("cpu", later "cuda"); NULL + error when unknown or not built in. */
const segp_backend *segp_backend_get(const char *name);

#endif
