/* test_backend_ops.c: every op of the table (engine/backend/backend.h) run on two backends from
 * the same random inputs and compared, in the manner of ggml's test-backend-ops. The inputs
 * reach each backend through to_device, the results come back through to_host, and a case
 * passes when every float output has a normalised MSE sum (a-b)^2 / sum b^2 within its bound
 * (b: the reference side) and every integer output is equal. An output the op adds to (an
 * optimiser's parameters, accumulated gradients) is judged on what the op changed:
 * sum (a-b)^2 / sum (b-b0)^2, b0 its contents before. Each case also checks that the inputs
 * came back unchanged and that nothing was written into the 256-byte guards around each
 * buffer. The checker that does this is tests/backend_check.c; this file holds the cases.
 *
 * Pairs compared:
 *  - CPU backend against a naive double-precision backend written in tests/ref_ops.c (always;
 *    this is what CI runs: the CPU ops against independent code);
 *  - the CUDA backend against the CPU backend, when built with `make CUDA=1` and a device is
 *    found (otherwise skipped with the reason), under each set_math precision, on the same
 *    shapes plus ViT-B/16-sized ones (tests/test_backend_step.c compares the whole model).
 *
 * Bounds (normalised MSE): FP32 1e-7 for every op. Under TF32 and BF16 only matrix products
 * may lose precision: gemm and attention ("matmul" class) 1e-5 (TF32) and 1e-3 (BF16); the
 * losses with a logit scale (ACGD, TSGR, DPGD: "loss" class, whose products a device may run on
 * the matrix units and whose sharp softmax amplifies their error) 1e-5 and 1e-2; everything
 * else stays at 1e-7 whatever the precision. (Rounding the products' inputs to TF32's 10 and
 * BF16's 7 mantissa bits in a simulation gave about 1e-7 and 6e-6 for gemm, 4e-7 and 3e-5 for
 * attention forward and backward at these shapes: the bounds leave a factor of 25 or more.)
 *
 * SEGP_TEST_VERBOSE=1 prints every case's error; SEGP_TEST_OPS_SMALL=1 leaves out the
 * ViT-B/16 sizes (for the CUDA backend's host emulation, engine/backend/cuda/emu/, which runs
 * kernels thread by thread). */
#include <stdlib.h>
#include <string.h>

#include "backend/backend.h"
#include "backend_check.h"
#include "core/common.h"
#include "ref_ops.h"
#include "test.h"

/* ------------------------------------------------------------------ memory and BLAS */

static void case_memory(checker *ck, size_t n) {
    kcase k;
    kc_begin(&k, ck, TOL_ELEM, "copy/zero n=%zu", n);
    kbuf *x = kc_in(&k, "x", kc_randn(&k, n, 1, 0), n);
    kbuf *y = kc_out(&k, "copy", n), *z = kc_out(&k, "zero", n + 3);
    for (int s = 0; s < 2; s++) {
        BE(&k, s)->copy(F(y, s), F(x, s), n * sizeof(float));
        BE(&k, s)->zero(F(z, s), (n + 3) * sizeof(float));
    }
    kc_end(&k);
}

static void case_gemm(checker *ck, int ta, int tb, int m, int n, int kk, int pad, float alpha,
                      float beta) {
    kcase k;
    kc_begin(&k, ck, TOL_MATMUL, "gemm ta=%d tb=%d m=%d n=%d k=%d pad=%d a=%g b=%g", ta, tb, m,
             n, kk, pad, (double)alpha, (double)beta);
    /* stored shapes: A is [m, k] or [k, m], B [k, n] or [n, k]; every row PAD longer */
    int ar = ta ? kk : m, ac = ta ? m : kk, br = tb ? n : kk, bc = tb ? kk : n;
    int lda = ac + pad, ldb = bc + pad, ldc = n + pad;
    kbuf *a = kc_in(&k, "a", kc_randn(&k, (size_t)ar * lda, 1, 0), (size_t)ar * lda);
    kbuf *b = kc_in(&k, "b", kc_randn(&k, (size_t)br * ldb, 1, 0), (size_t)br * ldb);
    float *c0 = kc_randn(&k, (size_t)m * ldc, 1, 0);
    if (beta == 0.0f) /* beta = 0: C must not be read, so NaN there must not show */
        for (size_t i = 0; i < (size_t)m * ldc; i++) c0[i] = NAN;
    for (int i = 0; i < m && pad; i++) /* the padding must stay as it was */
        for (int j = n; j < ldc; j++) c0[(size_t)i * ldc + j] = 7.0f;
    kbuf *c = kc_inout(&k, "c", c0, (size_t)m * ldc);
    for (int s = 0; s < 2; s++)
        BE(&k, s)->gemm(ta, tb, m, n, kk, alpha, F(a, s), lda, F(b, s), ldb, beta, F(c, s), ldc);
    kc_end(&k);
}

static void case_bias(checker *ck, int n, int c) {
    kcase k;
    kc_begin(&k, ck, TOL_ELEM, "add_bias/bias_grad n=%d c=%d", n, c);
    kbuf *bias = kc_in(&k, "bias", kc_randn(&k, c, 1, 0), c);
    kbuf *y = kc_inout(&k, "y", kc_randn(&k, (size_t)n * c, 1, 0), (size_t)n * c);
    kbuf *dy = kc_in(&k, "dy", kc_randn(&k, (size_t)n * c, 1, 0), (size_t)n * c);
    kbuf *db = kc_inout(&k, "dbias", kc_randn(&k, c, 1, 0), c);
    for (int s = 0; s < 2; s++) {
        BE(&k, s)->add_bias(F(y, s), F(bias, s), n, c);
        BE(&k, s)->bias_grad(F(db, s), F(dy, s), n, c);
    }
    kc_end(&k);
}

static void case_vector(checker *ck, size_t n) {
    kcase k;
    kc_begin(&k, ck, TOL_ELEM, "add/axpy/scale/dot_acc/transpose n=%zu", n);
    float *x0 = kc_randn(&k, n, 1, 0);
    kbuf *x = kc_in(&k, "x", x0, n);
    kbuf *ya = kc_inout(&k, "add", kc_randn(&k, n, 1, 0), n);
    kbuf *yx = kc_inout(&k, "axpy", kc_randn(&k, n, 1, 0), n);
    kbuf *ys = kc_inout(&k, "scale", kc_randn(&k, n, 1, 0), n);
    float acc0[1] = {0.25f};
    kbuf *d = kc_inout(&k, "dot_acc", acc0, 1);
    int rows = n % 7 == 0 ? 7 : 1, cols = (int)(n / (size_t)rows);
    kbuf *t = kc_out(&k, "transpose", n);
    for (int s = 0; s < 2; s++) {
        BE(&k, s)->add(F(ya, s), F(x, s), n);
        BE(&k, s)->axpy(F(yx, s), -0.75f, F(x, s), n);
        BE(&k, s)->scale(F(ys, s), 1.5f, n);
        BE(&k, s)->dot_acc(F(d, s), F(x, s), F(ya, s), n, 0.5f); /* after add: a dependency */
        BE(&k, s)->transpose(F(t, s), F(x, s), rows, cols);
    }
    kc_end(&k);
}

static void case_transpose(checker *ck, int rows, int cols) {
    kcase k;
    kc_begin(&k, ck, TOL_ELEM, "transpose %dx%d", rows, cols);
    size_t n = (size_t)rows * cols;
    kbuf *x = kc_in(&k, "in", kc_randn(&k, n, 1, 0), n), *t = kc_out(&k, "out", n);
    for (int s = 0; s < 2; s++) BE(&k, s)->transpose(F(t, s), F(x, s), rows, cols);
    kc_end(&k);
}

/* ------------------------------------------------------------------ layer ops */

static void case_layernorm(checker *ck, int n, int c) {
    for (int variant = 0; variant < 4; variant++) {
        /* 0: fwd; 1: bwd acc=0 with dw, db; 2: bwd acc=1 without dw, db; 3: bwd dw, db only.
         * With c <= 2 the normalised row is +-1 whatever x, so dx is 0 up to rounding scaled
         * by rstd ~ 1/sqrt(eps): nothing to compare there but that rounding (FMA or not). */
        if (c <= 2 && (variant == 1 || variant == 2)) continue;
        kcase k;
        kc_begin(&k, ck, TOL_ELEM, "layernorm_%s n=%d c=%d", variant ? "bwd" : "fwd", n, c);
        float *x = kc_randn(&k, (size_t)n * c, 2, 3); /* off-centre: the mean matters */
        float *w = kc_randn(&k, c, 0.5f, 1), *bb = kc_randn(&k, c, 0.5f, 0);
        kbuf *bx = kc_in(&k, "x", x, (size_t)n * c), *bw = kc_in(&k, "w", w, c);
        if (variant == 0) {
            kbuf *bbias = kc_in(&k, "b", bb, c);
            kbuf *out = kc_out(&k, "out", (size_t)n * c), *mean = kc_out(&k, "mean", n),
                 *rstd = kc_out(&k, "rstd", n);
            for (int s = 0; s < 2; s++)
                BE(&k, s)->layernorm_fwd(F(out, s), F(mean, s), F(rstd, s), F(bx, s), F(bw, s),
                                         F(bbias, s), n, c, 1e-5f);
            kc_end(&k);
            continue;
        }
        float *o = kc_host(&k, (size_t)n * c * 4), *mu = kc_host(&k, n * 4),
              *rs = kc_host(&k, n * 4);
        ck->ref->layernorm_fwd(o, mu, rs, x, w, bb, n, c, 1e-5f);
        kbuf *mean = kc_in(&k, "mean", mu, n), *rstd = kc_in(&k, "rstd", rs, n);
        kbuf *dout = kc_in(&k, "dout", kc_randn(&k, (size_t)n * c, 1, 0), (size_t)n * c);
        size_t nx = (size_t)n * c;
        kbuf *dx = variant == 3   ? NULL
                   : variant == 1 ? kc_out(&k, "dx", nx)
                                  : kc_inout(&k, "dx", kc_randn(&k, nx, 1, 0), nx);
        kbuf *dw = variant == 2 ? NULL : kc_inout(&k, "dw", kc_randn(&k, c, 1, 0), c);
        kbuf *db = variant == 2 ? NULL : kc_inout(&k, "db", kc_randn(&k, c, 1, 0), c);
        for (int s = 0; s < 2; s++)
            BE(&k, s)->layernorm_bwd(F(dx, s), F(dw, s), F(db, s), F(dout, s), F(bx, s),
                                     F(bw, s), F(mean, s), F(rstd, s), n, c, variant == 2);
        kc_end(&k);
    }
}

static void case_act(checker *ck, size_t n, act_kind kind) {
    kcase k;
    kc_begin(&k, ck, TOL_ELEM, "act_fwd/act_bwd %s n=%zu", kind == ACT_GELU ? "gelu" : "quick_gelu",
             n);
    float *x = kc_randn(&k, n, 3, 0);
    static const float extremes[] = {-100.0f, -20.0f, -8.0f, 0.0f, 8.0f, 40.0f};
    for (size_t i = 0; i < n && i < 6; i++) x[i * 7 % n] = extremes[i];
    kbuf *bx = kc_in(&k, "x", x, n), *dout = kc_in(&k, "dout", kc_randn(&k, n, 1, 0), n);
    kbuf *y = kc_out(&k, "out", n), *dx = kc_out(&k, "dx", n);
    for (int s = 0; s < 2; s++) {
        BE(&k, s)->act_fwd(F(y, s), F(bx, s), n, kind);
        BE(&k, s)->act_bwd(F(dx, s), F(dout, s), F(bx, s), n, kind);
    }
    kc_end(&k);
}

static void case_attention(checker *ck, int b, int l, int h, int hd, int causal) {
    int w = h * hd;
    size_t nqkv = (size_t)b * l * 3 * w, nout = (size_t)b * l * w, np = (size_t)b * h * l * l;
    for (int bwd = 0; bwd < 2; bwd++) {
        kcase k;
        kc_begin(&k, ck, TOL_MATMUL, "attention_%s b=%d l=%d h=%d hd=%d causal=%d",
                 bwd ? "bwd" : "fwd", b, l, h, hd, causal);
        float *qkv = kc_randn(&k, nqkv, 1.5f, 0);
        kbuf *bq = kc_in(&k, "qkv", qkv, nqkv);
        if (!bwd) {
            kbuf *out = kc_out(&k, "out", nout), *probs = kc_out(&k, "probs", np);
            for (int s = 0; s < 2; s++)
                BE(&k, s)->attention_fwd(F(out, s), F(probs, s), F(bq, s), b, l, h, hd, causal);
            kc_end(&k);
            continue;
        }
        float *o = kc_host(&k, nout * 4), *p = kc_host(&k, np * 4);
        ck->ref->attention_fwd(o, p, qkv, b, l, h, hd, causal);
        kbuf *probs = kc_in(&k, "probs", p, np);
        kbuf *dout = kc_in(&k, "dout", kc_randn(&k, nout, 1, 0), nout);
        kbuf *dqkv = kc_out(&k, "dqkv", nqkv);
        for (int s = 0; s < 2; s++)
            BE(&k, s)->attention_bwd(F(dqkv, s), F(dout, s), F(bq, s), F(probs, s), b, l, h, hd);
        kc_end(&k);
    }
}

static void case_patches(checker *ck, int b, int r, int p) {
    kcase k;
    kc_begin(&k, ck, TOL_ELEM, "im2patch/patch2im b=%d r=%d p=%d", b, r, p);
    int g = r / p;
    size_t npix = (size_t)b * 3 * r * r, npat = (size_t)b * g * g * 3 * p * p;
    kbuf *pix = kc_in(&k, "pixels", kc_randn(&k, npix, 1, 0), npix);
    kbuf *dpat = kc_in(&k, "dpatches", kc_randn(&k, npat, 1, 0), npat);
    kbuf *pat = kc_out(&k, "patches", npat), *dpix = kc_out(&k, "dpixels", npix);
    for (int s = 0; s < 2; s++) {
        BE(&k, s)->im2patch(F(pat, s), F(pix, s), b, r, p);
        BE(&k, s)->patch2im(F(dpix, s), F(dpat, s), b, r, p);
    }
    kc_end(&k);
}

static void case_vision_embed(checker *ck, int b, int g2, int w) {
    int l = g2 + 1;
    size_t nx = (size_t)b * l * w, np = (size_t)b * g2 * w;
    for (int variant = 0; variant < 3; variant++) {
        /* 0: fwd; 1: bwd with dcls, dpos; 2: bwd dpatch only */
        kcase k;
        kc_begin(&k, ck, TOL_ELEM, "vision_embed%s b=%d g2=%d w=%d", variant ? "_bwd" : "", b,
                 g2, w);
        if (!variant) {
            kbuf *po = kc_in(&k, "patch_out", kc_randn(&k, np, 1, 0), np);
            kbuf *cls = kc_in(&k, "cls", kc_randn(&k, w, 1, 0), w);
            kbuf *pos = kc_in(&k, "pos", kc_randn(&k, (size_t)l * w, 1, 0), (size_t)l * w);
            kbuf *x = kc_out(&k, "x", nx);
            for (int s = 0; s < 2; s++)
                BE(&k, s)->vision_embed(F(x, s), F(po, s), F(cls, s), F(pos, s), b, g2, w);
        } else {
            kbuf *dx = kc_in(&k, "dx", kc_randn(&k, nx, 1, 0), nx);
            kbuf *dp = kc_out(&k, "dpatch_out", np);
            kbuf *dcls = variant == 1 ? kc_inout(&k, "dcls", kc_randn(&k, w, 1, 0), w) : NULL;
            size_t npos = (size_t)l * w;
            kbuf *dpos =
                variant == 1 ? kc_inout(&k, "dpos", kc_randn(&k, npos, 1, 0), npos) : NULL;
            for (int s = 0; s < 2; s++)
                BE(&k, s)->vision_embed_bwd(F(dp, s), F(dcls, s), F(dpos, s), F(dx, s), b, g2, w);
        }
        kc_end(&k);
    }
}

static void case_text_embed(checker *ck, int b, int l, int ctx, int w, int vocab) {
    size_t nx = (size_t)b * l * w, ntok = (size_t)vocab * w, npos = (size_t)ctx * w;
    for (int variant = 0; variant < 3; variant++) {
        /* 0: fwd; 1: bwd both; 2: bwd dpos only */
        kcase k;
        kc_begin(&k, ck, TOL_ELEM, "text_embed%s b=%d l=%d ctx=%d w=%d vocab=%d",
                 variant ? "_bwd" : "", b, l, ctx, w, vocab);
        /* few distinct ids: rows share tokens, so the backward must add them up */
        kbuf *ids = kc_in_i(&k, "ids", kc_ints(&k, (size_t)b * ctx, vocab), (size_t)b * ctx);
        if (!variant) {
            kbuf *tok = kc_in(&k, "tok_emb", kc_randn(&k, ntok, 1, 0), ntok);
            kbuf *pos = kc_in(&k, "pos", kc_randn(&k, npos, 1, 0), npos);
            kbuf *x = kc_out(&k, "x", nx);
            for (int s = 0; s < 2; s++)
                BE(&k, s)->text_embed(F(x, s), I(ids, s), F(tok, s), F(pos, s), b, l, ctx, w);
        } else {
            kbuf *dx = kc_in(&k, "dx", kc_randn(&k, nx, 1, 0), nx);
            kbuf *dtok = variant == 1 ? kc_inout(&k, "dtok_emb", kc_randn(&k, ntok, 1, 0), ntok)
                                      : NULL;
            kbuf *dpos = kc_inout(&k, "dpos", kc_randn(&k, npos, 1, 0), npos);
            for (int s = 0; s < 2; s++)
                BE(&k, s)->text_embed_bwd(F(dtok, s), F(dpos, s), F(dx, s), I(ids, s), b, l, ctx,
                                          w);
        }
        kc_end(&k);
    }
}

static void case_rows(checker *ck, int n, int c, int nx) {
    kcase k;
    kc_begin(&k, ck, TOL_ELEM, "gather_rows/scatter_add_rows n=%d c=%d rows=%d", n, c, nx);
    kbuf *idx = kc_in_i(&k, "idx", kc_ints(&k, n, nx), n); /* repeats when n > nx */
    kbuf *x = kc_in(&k, "x", kc_randn(&k, (size_t)nx * c, 1, 0), (size_t)nx * c);
    kbuf *dout = kc_in(&k, "dout", kc_randn(&k, (size_t)n * c, 1, 0), (size_t)n * c);
    kbuf *out = kc_out(&k, "out", (size_t)n * c);
    kbuf *dx = kc_inout(&k, "dx", kc_randn(&k, (size_t)nx * c, 1, 0), (size_t)nx * c);
    for (int s = 0; s < 2; s++) {
        BE(&k, s)->gather_rows(F(out, s), F(x, s), I(idx, s), n, c);
        BE(&k, s)->scatter_add_rows(F(dx, s), F(dout, s), I(idx, s), n, c);
    }
    kc_end(&k);
}

static void case_l2norm(checker *ck, int n, int c, int zero_row) {
    for (int bwd = 0; bwd < 2; bwd++) {
        kcase k;
        kc_begin(&k, ck, TOL_ELEM, "l2norm_%s n=%d c=%d%s", bwd ? "bwd" : "fwd", n, c,
                 zero_row ? " (a zero row)" : "");
        float *x = kc_randn(&k, (size_t)n * c, 1, 0.3f);
        if (zero_row) memset(x + (size_t)(n / 2) * c, 0, (size_t)c * sizeof(float));
        if (!bwd) {
            kbuf *bx = kc_in(&k, "x", x, (size_t)n * c);
            kbuf *y = kc_out(&k, "y", (size_t)n * c), *nm = kc_out(&k, "norm", n);
            for (int s = 0; s < 2; s++) BE(&k, s)->l2norm_fwd(F(y, s), F(nm, s), F(bx, s), n, c);
        } else {
            float *y = kc_host(&k, (size_t)n * c * 4), *nm = kc_host(&k, n * 4);
            ck->ref->l2norm_fwd(y, nm, x, n, c);
            kbuf *by = kc_in(&k, "y", y, (size_t)n * c), *bn = kc_in(&k, "norm", nm, n);
            kbuf *dy = kc_in(&k, "dy", kc_randn(&k, (size_t)n * c, 1, 0), (size_t)n * c);
            kbuf *dx = kc_out(&k, "dx", (size_t)n * c);
            for (int s = 0; s < 2; s++)
                BE(&k, s)->l2norm_bwd(F(dx, s), F(dy, s), F(by, s), F(bn, s), n, c);
        }
        kc_end(&k);
    }
}

static void case_softmax_ce(checker *ck, int n, int c, float sd) {
    kcase k;
    kc_begin(&k, ck, TOL_ELEM, "softmax/cross_entropy/argmax n=%d c=%d", n, c);
    float *x = kc_randn(&k, (size_t)n * c, sd, 0);
    if (c > 2 && n > 1) { /* ties: argmax takes the first of equal maxima */
        for (int j = 0; j < c; j++) x[j] = 1.0f;
        x[(size_t)c + c - 1] = x[(size_t)c + 1] = 50.0f;
    }
    kbuf *bx = kc_in(&k, "logits", x, (size_t)n * c);
    kbuf *t = kc_in_i(&k, "targets", kc_ints(&k, n, c), n);
    kbuf *y = kc_out(&k, "softmax", (size_t)n * c), *loss = kc_loss(kc_out(&k, "loss", 1));
    kbuf *loss2 = kc_loss(kc_out(&k, "loss (no dlogits)", 1));
    kbuf *dl = kc_loss(kc_out(&k, "dlogits", (size_t)n * c));
    kbuf *am = kc_buf(&k, "argmax", B_OUT, T_I32, NULL, n);
    for (int s = 0; s < 2; s++) {
        BE(&k, s)->softmax(F(y, s), F(bx, s), n, c);
        BE(&k, s)->cross_entropy_fwd_bwd(F(loss, s), F(dl, s), F(bx, s), I(t, s), n, c);
        BE(&k, s)->cross_entropy_fwd_bwd(F(loss2, s), NULL, F(bx, s), I(t, s), n, c);
        BE(&k, s)->argmax_rows(I(am, s), F(bx, s), n, c);
    }
    kc_end(&k);
}

static void case_channel_affine(checker *ck, int b, int ch, size_t plane) {
    static const float shift[4] = {0.48145466f, 0.4578275f, 0.40821073f, -0.25f};
    static const float div[4] = {0.26862954f, 0.26130258f, 0.27577711f, 2.0f};
    kcase k;
    kc_begin(&k, ck, TOL_ELEM, "channel_affine b=%d ch=%d plane=%zu", b, ch, plane);
    size_t n = (size_t)b * ch * plane;
    kbuf *x = kc_in(&k, "x", kc_uniform(&k, n, 0, 1), n), *out = kc_out(&k, "out", n);
    kbuf *inplace = kc_inout(&k, "in place", kc_uniform(&k, n, 0, 1), n);
    for (int s = 0; s < 2; s++) {
        BE(&k, s)->channel_affine(F(out, s), F(x, s), b, ch, plane, shift, div);
        BE(&k, s)->channel_affine(F(inplace, s), F(inplace, s), b, ch, plane, shift, div);
    }
    kc_end(&k);
}

/* ------------------------------------------------------------------ optimisers, PGD */

static void case_optim(checker *ck, size_t n, int with_mask, int t) {
    kcase k;
    kc_begin(&k, ck, TOL_ELEM, "adamw_step/sgd_step n=%zu mask=%d t=%d", n, with_mask, t);
    uint8_t *mask = kc_host(&k, n);
    for (size_t i = 0; i < n; i++) mask[i] = (uint8_t)(rng_next(&k.rng) & 1);
    kbuf *bm = with_mask ? kc_buf(&k, "mask", B_IN, T_U8, mask, n) : NULL;
    kbuf *g = kc_in(&k, "g", kc_randn(&k, n, 1e-2f, 0), n);
    kbuf *p = kc_inout(&k, "adamw p", kc_randn(&k, n, 1, 0), n);
    kbuf *m = kc_inout(&k, "adamw m", kc_randn(&k, n, 1e-2f, 0), n);
    /* v small against g^2, so that one step changes it by a visible fraction */
    kbuf *v = kc_inout(&k, "adamw v", kc_uniform(&k, n, 0, 1e-6f), n);
    kbuf *ps = kc_inout(&k, "sgd p", kc_randn(&k, n, 1, 0), n);
    kbuf *vs = kc_inout(&k, "sgd v", kc_randn(&k, n, 1e-2f, 0), n);
    float b1 = 0.9f, b2 = 0.999f, c1 = 1.0f - powf(b1, (float)t), c2 = 1.0f - powf(b2, (float)t);
    for (int s = 0; s < 2; s++) {
        BE(&k, s)->adamw_step(F(p, s), F(m, s), F(v, s), F(g, s), U(bm, s), n, 1e-2f, b1, b2,
                              1e-8f, 0.05f, c1, c2);
        BE(&k, s)->sgd_step(F(ps, s), F(vs, s), F(g, s), U(bm, s), n, 0.1f, 0.9f, 0.05f);
    }
    kc_end(&k);
}

static void case_pgd(checker *ck, size_t n) {
    kcase k;
    kc_begin(&k, ck, TOL_ELEM, "pgd_step n=%zu", n);
    const float eps = 8.0f / 255, step = 2.0f / 255;
    float *x0 = kc_uniform(&k, n, 0, 1), *x = kc_host(&k, n * 4), *g = kc_randn(&k, n, 1, 0);
    for (size_t i = 0; i < n; i++) {
        if (i % 5 == 0) x0[i] = (i / 5) % 2 ? 1.0f : 0.0f; /* on the [0, 1] box */
        float v = x0[i] + eps * (2 * rng_uniform(&k.rng) - 1);
        x[i] = v < 0 ? 0 : v > 1 ? 1 : v;
        if (i % 11 == 3) g[i] = 0.0f; /* sign(0) = 0 */
    }
    kbuf *bx0 = kc_in(&k, "x0", x0, n), *bg = kc_in(&k, "g", g, n);
    kbuf *bx = kc_inout(&k, "x", x, n);
    for (int s = 0; s < 2; s++) BE(&k, s)->pgd_step(F(bx, s), F(bx0, s), F(bg, s), n, step, eps);
    kc_end(&k);
}

/* ------------------------------------------------------------------ losses */

/* N rows of K probabilities: the softmax of random logits of spread SD (host, ref backend). */
static float *kc_probs(kcase *k, int n, int K, float sd) {
    float *z = kc_randn(k, (size_t)n * K, sd, 0), *p = kc_host(k, (size_t)n * K * 4);
    k->ck->ref->softmax(p, z, n, K);
    return p;
}

static void case_acgd(checker *ck, int n, int K, int e, int with_df, int with_dg) {
    kcase k;
    kc_begin(&k, ck, TOL_LOSS, "acgd_fwd_bwd n=%d K=%d e=%d d_f=%d d_g=%d", n, K, e, with_df,
             with_dg);
    kbuf *f = kc_in(&k, "f", kc_randn(&k, (size_t)n * e, 1, 0.2f), (size_t)n * e);
    kbuf *g = kc_in(&k, "g", kc_randn(&k, (size_t)K * e, 1, 0.2f), (size_t)K * e);
    kbuf *pt = kc_in(&k, "p_teacher", kc_probs(&k, n, K, 3), (size_t)n * K);
    kbuf *loss = kc_loss(kc_out(&k, "loss", 1));
    kbuf *df = with_df ? kc_inout(&k, "d_f", kc_randn(&k, (size_t)n * e, 1e-2f, 0), (size_t)n * e)
                       : NULL;
    kbuf *dg = with_dg ? kc_inout(&k, "d_g", kc_randn(&k, (size_t)K * e, 1e-2f, 0), (size_t)K * e)
                       : NULL;
    for (int s = 0; s < 2; s++)
        BE(&k, s)->acgd_fwd_bwd(F(loss, s), F(df, s), F(dg, s), F(f, s), n, F(g, s), K, e,
                                F(pt, s), 29.45f, 2.0f, 0.7f);
    kc_end(&k);
}

static void case_tsgr(checker *ck, int n_rows, int e, int n_cls, int kn, int with_dg) {
    kcase k;
    kc_begin(&k, ck, TOL_LOSS, "tsgr_fwd_bwd rows=%d e=%d cls=%d k=%d d_g=%d", n_rows, e, n_cls,
             kn, with_dg);
    int32_t *rows = kc_host(&k, (size_t)n_cls * 4), *nbr = kc_host(&k, (size_t)n_cls * kn * 4);
    for (int i = 0; i < n_cls; i++) {
        rows[i] = i; /* the classes first, their neighbours anywhere else (shared ones too) */
        for (int j = 0; j < kn; j++) {
            int32_t r = (int32_t)(rng_next(&k.rng) % (uint64_t)(n_rows - 1));
            nbr[(size_t)i * kn + j] = r >= i ? r + 1 : r;
        }
    }
    kbuf *g = kc_in(&k, "g", kc_randn(&k, (size_t)n_rows * e, 1, 0.3f), (size_t)n_rows * e);
    kbuf *br = kc_in_i(&k, "rows", rows, n_cls), *bn = kc_in_i(&k, "nbr", nbr, (size_t)n_cls * kn);
    kbuf *pr = kc_in(&k, "p_ref", kc_probs(&k, n_cls, kn, 2), (size_t)n_cls * kn);
    kbuf *loss = kc_loss(kc_out(&k, "loss", 1));
    kbuf *dg = with_dg ? kc_inout(&k, "d_g", kc_randn(&k, (size_t)n_rows * e, 1e-2f, 0),
                                  (size_t)n_rows * e)
                       : NULL;
    for (int s = 0; s < 2; s++)
        BE(&k, s)->tsgr_fwd_bwd(F(loss, s), F(dg, s), F(g, s), n_rows, e, I(br, s), n_cls,
                                I(bn, s), kn, F(pr, s), 0.1f, 1.3f);
    kc_end(&k);
}

static void case_dpgd(checker *ck, int n, int e, int K, int with_mu, float lambda_p, int with_df) {
    kcase k;
    kc_begin(&k, ck, TOL_LOSS, "dpgd_fwd_bwd n=%d e=%d K=%d mu=%d lambda_p=%g d_f=%d", n, e, K,
             with_mu, (double)lambda_p, with_df);
    float *g = kc_host(&k, (size_t)K * e * 4), *mu = kc_host(&k, (size_t)K * e * 4);
    ck->ref->l2norm_fwd(g, NULL, kc_randn(&k, (size_t)K * e, 1, 0.2f), K, e);
    ck->ref->l2norm_fwd(mu, NULL, kc_randn(&k, (size_t)K * e, 1, 0.2f), K, e);
    kbuf *f = kc_in(&k, "f", kc_randn(&k, (size_t)n * e, 1, 0.2f), (size_t)n * e);
    kbuf *bg = kc_in(&k, "g", g, (size_t)K * e);
    kbuf *bmu = with_mu ? kc_in(&k, "mu", mu, (size_t)K * e) : NULL;
    kbuf *t = kc_in_i(&k, "targets", kc_ints(&k, n, K), n);
    kbuf *ce = kc_out(&k, "ce", n), *vis = kc_out(&k, "vis", n);
    kbuf *df = with_df ? kc_out(&k, "d_f", (size_t)n * e) : NULL;
    for (int s = 0; s < 2; s++)
        BE(&k, s)->dpgd_fwd_bwd(F(ce, s), F(vis, s), F(df, s), F(f, s), n, e, F(bg, s), K,
                                I(t, s), F(bmu, s), lambda_p, 29.45f);
    kc_end(&k);
}

static void case_jsd(checker *ck, int n, int c) {
    kcase k;
    kc_begin(&k, ck, TOL_ELEM, "jsd_rows n=%d c=%d", n, c);
    float *lp = kc_randn(&k, (size_t)n * c, 2, 0), *lq = kc_randn(&k, (size_t)n * c, 2, 0);
    memcpy(lq, lp, (size_t)c * sizeof(float)); /* row 0: the same distribution, JSD 0 */
    kbuf *bp = kc_in(&k, "lp", lp, (size_t)n * c), *bq = kc_in(&k, "lq", lq, (size_t)n * c);
    kbuf *out = kc_loss(kc_out(&k, "jsd", n));
    for (int s = 0; s < 2; s++) BE(&k, s)->jsd_rows(F(out, s), F(bp, s), F(bq, s), n, c);
    kc_end(&k);
}

/* ------------------------------------------------------------------ the suite */

/* Every op on small and odd shapes (CPU seconds against the naive reference), and, for a
 * device, on the sizes of ViT-B/16 (l = 197, w = 768, 12 heads; text l = 77, w = 512). */
static void run_suite(checker *ck) {
    case_memory(ck, 1);
    case_memory(ck, 1001);
    static const int gshapes[][3] = {{1, 1, 1}, {3, 5, 7}, {17, 33, 9}, {64, 40, 70}};
    for (unsigned s = 0; s < sizeof gshapes / sizeof *gshapes; s++)
        for (int t = 0; t < 4; t++)
            case_gemm(ck, t >> 1, t & 1, gshapes[s][0], gshapes[s][1], gshapes[s][2], 0, 1.0f,
                      0.0f);
    case_gemm(ck, 0, 1, 9, 13, 11, 3, 0.5f, 1.0f);   /* strided, accumulate */
    case_gemm(ck, 1, 0, 9, 13, 11, 2, -1.25f, 0.3f); /* strided, scaled */
    case_gemm(ck, 0, 0, 9, 13, 11, 5, 1.0f, 0.0f);   /* strided, C ignored */
    case_gemm(ck, 0, 1, 4, 6, 0, 0, 1.0f, 2.0f);     /* k = 0: C = beta C */
    case_gemm(ck, 0, 1, 4, 6, 0, 0, 1.0f, 0.0f);     /* k = 0, beta = 0: C = 0 */
    case_gemm(ck, 0, 1, 50, 768, 768, 0, 1.0f, 0.0f); /* a ViT-B/32 image's linear layer */
    case_bias(ck, 1, 1);
    case_bias(ck, 7, 13);
    case_bias(ck, 50, 768);
    case_vector(ck, 1);
    case_vector(ck, 7 * 143);
    case_vector(ck, 70001); /* past the CPU's threading threshold */
    case_transpose(ck, 1, 1);
    case_transpose(ck, 3, 7);
    case_transpose(ck, 64, 129);
    case_layernorm(ck, 1, 1);
    case_layernorm(ck, 5, 7);
    case_layernorm(ck, 50, 768);
    for (int kind = 0; kind < 2; kind++) {
        case_act(ck, 1, (act_kind)kind);
        case_act(ck, 4099, (act_kind)kind);
    }
    static const int ashapes[][5] = {{1, 1, 1, 1, 0}, {1, 1, 1, 1, 1},   {2, 5, 2, 3, 0},
                                     {2, 5, 2, 3, 1}, {1, 17, 3, 8, 1},  {2, 50, 4, 16, 0},
                                     {3, 8, 2, 32, 1}, {1, 33, 1, 64, 1}};
    for (unsigned s = 0; s < sizeof ashapes / sizeof *ashapes; s++)
        case_attention(ck, ashapes[s][0], ashapes[s][1], ashapes[s][2], ashapes[s][3],
                       ashapes[s][4]);
    case_patches(ck, 1, 1, 1);
    case_patches(ck, 2, 6, 3);
    case_patches(ck, 1, 10, 3); /* r not a multiple of p: the edge gets no gradient */
    case_patches(ck, 2, 32, 8);
    case_vision_embed(ck, 1, 1, 1);
    case_vision_embed(ck, 2, 4, 5);
    case_vision_embed(ck, 3, 49, 64);
    case_text_embed(ck, 1, 1, 1, 1, 1);
    case_text_embed(ck, 3, 5, 8, 6, 7);
    case_text_embed(ck, 4, 16, 20, 32, 50);
    case_rows(ck, 1, 1, 1);
    case_rows(ck, 9, 5, 4);
    case_rows(ck, 100, 64, 30);
    case_l2norm(ck, 1, 1, 0);
    case_l2norm(ck, 4, 7, 1);
    case_l2norm(ck, 64, 512, 0);
    case_softmax_ce(ck, 1, 1, 1);
    case_softmax_ce(ck, 5, 10, 2);
    case_softmax_ce(ck, 64, 1000, 5);
    case_channel_affine(ck, 1, 1, 1);
    case_channel_affine(ck, 2, 3, 50);
    case_channel_affine(ck, 3, 4, 1000);
    for (int mask = 0; mask < 2; mask++) {
        case_optim(ck, 1, mask, 1);
        case_optim(ck, 1000, mask, 1);
        case_optim(ck, 70001, mask, 5);
    }
    case_pgd(ck, 1);
    case_pgd(ck, 1000);
    case_pgd(ck, 70001);
    case_acgd(ck, 1, 1, 1, 1, 1);
    case_acgd(ck, 3, 4, 5, 1, 1);
    case_acgd(ck, 16, 10, 64, 1, 0);
    case_acgd(ck, 16, 10, 64, 0, 1);
    case_acgd(ck, 16, 10, 64, 0, 0);
    case_tsgr(ck, 2, 3, 1, 1, 1);
    case_tsgr(ck, 10, 8, 4, 3, 1);
    case_tsgr(ck, 60, 64, 20, 5, 1);
    case_tsgr(ck, 60, 64, 20, 5, 0);
    case_dpgd(ck, 1, 1, 1, 0, 0.0f, 1);
    case_dpgd(ck, 3, 5, 4, 1, 0.7f, 1);
    case_dpgd(ck, 3, 5, 4, 1, 0.0f, 1);
    case_dpgd(ck, 32, 64, 10, 0, 0.7f, 1);
    case_dpgd(ck, 32, 64, 10, 1, 0.7f, 0);
    case_jsd(ck, 1, 1);
    case_jsd(ck, 4, 10);
    case_jsd(ck, 32, 100);
    if (!ck->big || getenv("SEGP_TEST_OPS_SMALL")) return;
    /* ViT-B/16 at batch 2 (l = 197), its text tower (l = 77, causal), odd tails */
    case_gemm(ck, 0, 1, 394, 2304, 768, 0, 1.0f, 0.0f);
    case_gemm(ck, 0, 1, 394, 768, 3072, 0, 1.0f, 1.0f);
    case_gemm(ck, 1, 0, 3072, 768, 394, 0, 1.0f, 1.0f);
    case_gemm(ck, 0, 0, 394, 768, 3072, 0, 1.0f, 0.0f);
    case_gemm(ck, 0, 1, 197, 1000, 513, 3, 0.5f, 0.0f);
    case_bias(ck, 394, 3072);
    case_layernorm(ck, 394, 768);
    case_layernorm(ck, 770, 512);
    case_layernorm(ck, 3, 3072);
    case_act(ck, (size_t)394 * 3072, ACT_QUICK_GELU);
    case_act(ck, (size_t)394 * 3072 + 5, ACT_GELU);
    case_attention(ck, 2, 197, 12, 64, 0);
    case_attention(ck, 4, 77, 8, 64, 1);
    case_attention(ck, 3, 50, 12, 64, 0);
    case_attention(ck, 2, 130, 4, 64, 1);
    case_attention(ck, 1, 257, 16, 80, 0);
    case_patches(ck, 8, 224, 16);
    case_patches(ck, 3, 224, 32);
    case_vision_embed(ck, 4, 196, 768);
    case_text_embed(ck, 10, 77, 77, 512, 1000);
    case_rows(ck, 4096, 512, 1000);
    case_l2norm(ck, 128, 512, 1);
    case_softmax_ce(ck, 128, 100, 8);
    case_softmax_ce(ck, 37, 4097, 3);
    case_channel_affine(ck, 16, 3, (size_t)224 * 224);
    case_optim(ck, 3000001, 1, 3);
    case_pgd(ck, (size_t)32 * 3 * 224 * 224);
    case_acgd(ck, 64, 100, 512, 1, 1);
    case_tsgr(ck, 200, 512, 100, 5, 1);
    case_dpgd(ck, 128, 512, 100, 1, 0.5f, 1);
    case_jsd(ck, 256, 1000);
    case_transpose(ck, 513, 1000);
    case_vector(ck, (size_t)7 * 300001);
}

static void print_worst(const checker *ck) {
    if (test_verbose())
        printf("\n    worst nMSE: elementwise %.2e, matmul %.2e, losses %.2e (%s vs %s, %s)",
               ck->worst[TOL_ELEM], ck->worst[TOL_MATMUL], ck->worst[TOL_LOSS], ck->be->name,
               ck->ref->name, segp_math_name(ck->math));
}

TEST(backend_ops_cpu_vs_reference) {
    checker ck = {.ref = ref_backend(), .be = segp_backend_cpu(), .math = SEGP_MATH_FP32};
    run_suite(&ck);
    print_worst(&ck);
    /* the CPU computes in FP32 only, and says so */
    CHECK(segp_backend_cpu()->set_math(SEGP_MATH_FP32) == 0);
    CHECK(segp_backend_cpu()->set_math(SEGP_MATH_TF32) != 0);
    CHECK(segp_backend_cpu()->describe() && segp_backend_cpu()->describe()[0]);
}

/* The CUDA backend, or NULL after marking the test skipped with the reason. */
static const segp_backend *cuda_or_skip(void) {
    const segp_backend *be = segp_backend_get("cuda");
    if (!be) test_skip("no CUDA backend here: %s", segp_last_error());
    return be;
}

static void cuda_suite(segp_math math) {
    const segp_backend *be = cuda_or_skip();
    if (!be) return;
    if (be->set_math(math) != 0) {
        test_fail(__FILE__, __LINE__, "cuda: set_math(%s): %s", segp_math_name(math),
                  segp_last_error());
        return;
    }
    if (test_verbose()) printf("\n    device: %s", be->describe());
    checker ck = {.ref = segp_backend_cpu(), .be = be, .math = math, .big = 1};
    run_suite(&ck);
    print_worst(&ck);
    be->set_math(SEGP_MATH_TF32); /* the backend's default again */
    CHECK(be->sync() == 0);
}

TEST(backend_ops_cuda_fp32) { cuda_suite(SEGP_MATH_FP32); }
TEST(backend_ops_cuda_tf32) { cuda_suite(SEGP_MATH_TF32); }
TEST(backend_ops_cuda_bf16) { cuda_suite(SEGP_MATH_BF16); }
