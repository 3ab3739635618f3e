/* emu/check_ops.cpp: every op of the CUDA backend, run on the host emulation (emu/), against the
 * CPU reference on random inputs, edge sizes included (n = 1, c = 1, rows longer than a warp,
 * zero rows, ties, NaNs, repeated indices, causal masks, chunked attention backward). Prints one
 * line per failing check and a summary; exit status 1 on any failure. This checks the kernels'
 * indexing, barriers, shuffles, argument order and NULL handling without a GPU; the numerics of
 * the real device (expf, cuBLAS in TF32) are checked by tests/test_backend_ops.c on a GPU. */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vector>

#include "cublas_v2.h"
#include "cuda_runtime.h"
extern "C" {
#include "backend/backend.h"
#include "core/common.h"
}

static const segp_backend *C, *G;
static int fails, checks;
static uint64_t rng_state = 88172645463325252ull;

static double urand(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (rng_state >> 11) * (1.0 / 9007199254740992.0);
}
static float frand(float lo, float hi) { return lo + (float)urand() * (hi - lo); }

struct buf {
    float *c, *g;
    size_t n;
};
struct ibuf {
    int32_t *c, *g;
    size_t n;
};

static buf up(const std::vector<float> &h) {
    size_t n = h.size();
    buf b{(float *)C->alloc(n * 4), (float *)G->alloc(n * 4), n};
    if (n) C->to_device(b.c, h.data(), n * 4), G->to_device(b.g, h.data(), n * 4);
    return b;
}
static std::vector<float> hrand(size_t n, float lo = -1, float hi = 1) {
    std::vector<float> h(n);
    for (auto &v : h) v = frand(lo, hi);
    return h;
}
static buf rnd(size_t n, float lo = -1, float hi = 1) { return up(hrand(n, lo, hi)); }
static buf val(size_t n, float v) { return up(std::vector<float>(n, v)); }
static ibuf iup(const std::vector<int32_t> &h) {
    size_t n = h.size();
    ibuf b{(int32_t *)C->alloc(n * 4), (int32_t *)G->alloc(n * 4), n};
    if (n) C->to_device(b.c, h.data(), n * 4), G->to_device(b.g, h.data(), n * 4);
    return b;
}
static void drop(buf &b) { C->free(b.c), G->free(b.g); }
static void drop(ibuf &b) { C->free(b.c), G->free(b.g); }

static std::vector<float> down(const segp_backend *be, const void *p, size_t n) {
    std::vector<float> h(n);
    if (n) be->to_host(h.data(), p, n * 4);
    return h;
}

/* normalised squared error sum (a - g)^2 / sum a^2; NaN matches NaN, inf matches inf */
static void cmp(const char *what, const buf &b, double tol = 1e-10) {
    checks++;
    auto a = down(C, b.c, b.n), g = down(G, b.g, b.n);
    double num = 0, den = 0;
    size_t first = (size_t)-1;
    for (size_t i = 0; i < b.n; i++) {
        double d;
        if (isnan(a[i]) || isnan(g[i]) || isinf(a[i]) || isinf(g[i]))
            d = ((isnan(a[i]) && isnan(g[i])) || a[i] == g[i]) ? 0 : INFINITY;
        else
            d = (double)a[i] - g[i], den += (double)a[i] * a[i];
        if (d != 0 && first == (size_t)-1 && fabs(d) > 1e-6 * (fabs(a[i]) + 1e-6)) first = i;
        num += d * d;
    }
    double e = num / (den > 0 ? den : 1);
    if (!(e <= tol)) {
        fails++;
        printf("FAIL %-40s nmse %.3g", what, e);
        if (first != (size_t)-1)
            printf("  [%zu] cpu %.9g cuda %.9g", first, a[first], g[first]);
        printf("\n");
    }
}
static void cmpi(const char *what, const ibuf &b) {
    checks++;
    std::vector<int32_t> a(b.n), g(b.n);
    C->to_host(a.data(), b.c, b.n * 4);
    G->to_host(g.data(), b.g, b.n * 4);
    for (size_t i = 0; i < b.n; i++)
        if (a[i] != g[i]) {
            fails++;
            printf("FAIL %-40s [%zu] cpu %d cuda %d\n", what, i, a[i], g[i]);
            return;
        }
}

/* call OP on both backends; X(b) -> b.c or b.g */
#define RUN(op, ...)                                                                           \
    do {                                                                                       \
        {                                                                                      \
            const segp_backend *be = C;                                                        \
            const int side = 0;                                                                \
            (void)side;                                                                        \
            be->op(__VA_ARGS__);                                                               \
        }                                                                                      \
        {                                                                                      \
            const segp_backend *be = G;                                                        \
            const int side = 1;                                                                \
            (void)side;                                                                        \
            be->op(__VA_ARGS__);                                                               \
        }                                                                                      \
    } while (0)
#define X(b) (side ? (b).g : (b).c)
#define XN(b) (side ? (b).g : (b).c) /* same, for readability where NULL may stand */

static char name_buf[256];
static const char *nm(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static const char *nm(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(name_buf, sizeof name_buf, fmt, ap);
    va_end(ap);
    return name_buf;
}

static void check_gemm(void) {
    for (int ta = 0; ta < 2; ta++)
        for (int tb = 0; tb < 2; tb++)
            for (int beta0 = 0; beta0 < 2; beta0++) {
                int m = 7, n = 45, k = 19;
                int lda = (ta ? m : k) + 3, ldb = (tb ? k : n) + 2, ldc = n + 5;
                buf a = rnd((size_t)(ta ? k : m) * lda), b = rnd((size_t)(tb ? n : k) * ldb);
                buf c = beta0 ? val((size_t)m * ldc, NAN) : rnd((size_t)m * ldc);
                float beta = beta0 ? 0.0f : 0.3f;
                RUN(gemm, ta, tb, m, n, k, 0.7f, X(a), lda, X(b), ldb, beta, X(c), ldc);
                /* the padding columns of C (NaN when beta0) must be untouched: compare all */
                cmp(nm("gemm ta=%d tb=%d beta=%g", ta, tb, beta), c);
                drop(a), drop(b), drop(c);
            }
    for (int beta0 = 0; beta0 < 2; beta0++) { /* k = 0: C = beta C */
        buf a = rnd(4), b = rnd(4), c = rnd(6 * 9);
        float beta = beta0 ? 0.0f : -0.5f;
        RUN(gemm, 0, 0, 6, 8, 0, 1.0f, X(a), 1, X(b), 8, beta, X(c), 9);
        cmp(nm("gemm k=0 beta=%g", beta), c);
        drop(a), drop(b), drop(c);
    }
    { /* 1 x 1 x 1 */
        buf a = rnd(1), b = rnd(1), c = rnd(1);
        RUN(gemm, 1, 1, 1, 1, 1, 2.0f, X(a), 1, X(b), 1, 1.0f, X(c), 1);
        cmp("gemm 1x1x1", c);
        drop(a), drop(b), drop(c);
    }
}

static void check_linear(void) {
    int sizes[][2] = {{13, 70}, {1, 1}, {300, 70}, {5000, 33}, {64, 32}, {65, 1}};
    for (auto &s : sizes) {
        int n = s[0], c = s[1];
        buf y = rnd((size_t)n * c), bias = rnd(c);
        RUN(add_bias, X(y), X(bias), n, c);
        cmp(nm("add_bias n=%d c=%d", n, c), y);
        buf db = rnd(c);
        RUN(bias_grad, X(db), X(y), n, c);
        cmp(nm("bias_grad n=%d c=%d", n, c), db, 1e-9);
        drop(y), drop(bias), drop(db);
    }
}

static void check_layernorm(void) {
    int sizes[][2] = {{37, 70}, {1, 1}, {5, 768}, {130, 33}};
    for (auto &s : sizes) {
        int n = s[0], c = s[1];
        buf x = rnd((size_t)n * c, -2, 3), w = rnd(c), b = rnd(c), out = rnd((size_t)n * c);
        buf mean = rnd(n), rstd = rnd(n);
        RUN(layernorm_fwd, X(out), X(mean), X(rstd), X(x), X(w), X(b), n, c, 1e-5f);
        cmp(nm("layernorm_fwd out n=%d c=%d", n, c), out);
        cmp(nm("layernorm_fwd mean n=%d c=%d", n, c), mean);
        cmp(nm("layernorm_fwd rstd n=%d c=%d", n, c), rstd);
        buf out2 = rnd((size_t)n * c);
        RUN(layernorm_fwd, X(out2), NULL, NULL, X(x), X(w), X(b), n, c, 1e-5f);
        cmp(nm("layernorm_fwd no stats n=%d c=%d", n, c), out2);
        for (int acc = 0; acc < 2; acc++) {
            buf dout = rnd((size_t)n * c), dx = rnd((size_t)n * c), dw = rnd(c), db = rnd(c);
            RUN(layernorm_bwd, X(dx), X(dw), X(db), X(dout), X(x), X(w), X(mean), X(rstd), n, c,
                acc);
            cmp(nm("layernorm_bwd dx acc=%d n=%d c=%d", acc, n, c), dx, 1e-9);
            cmp(nm("layernorm_bwd dw acc=%d n=%d c=%d", acc, n, c), dw, 1e-9);
            cmp(nm("layernorm_bwd db acc=%d n=%d c=%d", acc, n, c), db, 1e-9);
            RUN(layernorm_bwd, NULL, NULL, X(db), X(dout), X(x), X(w), X(mean), X(rstd), n, c,
                acc);
            cmp(nm("layernorm_bwd db only n=%d c=%d", n, c), db, 1e-9);
            RUN(layernorm_bwd, X(dx), NULL, NULL, X(dout), X(x), X(w), X(mean), X(rstd), n, c,
                acc);
            cmp(nm("layernorm_bwd dx only n=%d c=%d", n, c), dx, 1e-9);
            drop(dout), drop(dx), drop(dw), drop(db);
        }
        drop(x), drop(w), drop(b), drop(out), drop(mean), drop(rstd), drop(out2);
    }
}

static void check_elementwise(void) {
    size_t n = 1000;
    for (int kind = 0; kind < 2; kind++) {
        buf x = rnd(n, -6, 6), out = rnd(n), dout = rnd(n), dx = rnd(n);
        RUN(act_fwd, X(out), X(x), n, (act_kind)kind);
        cmp(nm("act_fwd kind=%d", kind), out, 1e-12);
        RUN(act_bwd, X(dx), X(dout), X(x), n, (act_kind)kind);
        cmp(nm("act_bwd kind=%d", kind), dx, 1e-12);
        drop(x), drop(out), drop(dout), drop(dx);
    }
    buf y = rnd(n), x = rnd(n);
    RUN(add, X(y), X(x), n);
    cmp("add", y, 0);
    RUN(axpy, X(y), -0.37f, X(x), n);
    cmp("axpy", y, 1e-14);
    RUN(scale, X(y), 1.7f, n);
    cmp("scale", y, 0);
    RUN(add, X(y), X(x), 0); /* n = 0: nothing */
    cmp("add n=0", y, 0);
    RUN(pgd_step, X(y), X(x), X(x), n, 0.1f, 0.3f);
    cmp("pgd_step (g = x0)", y, 0);
    buf x0 = rnd(n, 0, 1), xa = rnd(n, -0.2f, 1.2f), g = rnd(n);
    RUN(pgd_step, X(xa), X(x0), X(g), n, 0.05f, 0.08f);
    cmp("pgd_step", xa, 0);
    buf ch = rnd(2 * 3 * 50), out = rnd(2 * 3 * 50);
    float shift[3] = {0.48f, 0.45f, 0.41f}, div[3] = {0.27f, 0.26f, 0.28f};
    RUN(channel_affine, X(out), X(ch), 2, 3, 50, shift, div);
    cmp("channel_affine", out, 0);
    RUN(channel_affine, X(ch), X(ch), 2, 3, 50, shift, div);
    cmp("channel_affine in place", ch, 0);
    drop(y), drop(x), drop(x0), drop(xa), drop(g), drop(ch), drop(out);
    buf z = rnd(100), cp = rnd(100);
    RUN(zero, X(z), 37 * 4);
    cmp("zero", z, 0);
    RUN(copy, X(cp), X(z), 50 * 4);
    cmp("copy", cp, 0);
    drop(z), drop(cp);
}

static void check_attention(void) {
    /* hd = 3 with 3w a multiple of 4 (h = 4): heads not 16-byte aligned, the per-head path */
    int cfg[][5] = {{2, 5, 3, 4, 0}, {2, 5, 3, 4, 1}, {3, 37, 2, 8, 1}, {1, 1, 1, 1, 0},
                    {2, 40, 2, 16, 0}, {2, 33, 1, 3, 1}, {2, 6, 4, 3, 1}};
    long before[3] = {emu_gemm_calls[0], emu_gemm_calls[1], emu_gemm_calls[2]};
    for (auto &q : cfg) {
        int b = q[0], l = q[1], h = q[2], hd = q[3], causal = q[4], w = h * hd;
        buf qkv = rnd((size_t)b * l * 3 * w, -2, 2), out = rnd((size_t)b * l * w);
        buf probs = rnd((size_t)b * h * l * l);
        RUN(attention_fwd, X(out), X(probs), X(qkv), b, l, h, hd, causal);
        cmp(nm("attention_fwd out b=%d l=%d h=%d hd=%d causal=%d", b, l, h, hd, causal), out);
        cmp(nm("attention_fwd probs b=%d l=%d h=%d hd=%d c=%d", b, l, h, hd, causal), probs);
        buf dout = rnd((size_t)b * l * w), dqkv = val((size_t)b * l * 3 * w, NAN);
        RUN(attention_bwd, X(dqkv), X(dout), X(qkv), X(probs), b, l, h, hd);
        cmp(nm("attention_bwd b=%d l=%d h=%d hd=%d causal=%d", b, l, h, hd, causal), dqkv, 1e-9);
        drop(qkv), drop(out), drop(probs), drop(dout), drop(dqkv);
    }
    checks++;
    if (emu_gemm_calls[1] == before[1] || emu_gemm_calls[2] == before[2]) {
        fails++;
        printf("FAIL attention: the batched (%ld) and per-head (%ld) paths should both run\n",
               emu_gemm_calls[1] - before[1], emu_gemm_calls[2] - before[2]);
    }
}

static void check_embed(void) {
    int pr[][3] = {{2, 10, 3}, {1, 8, 4}, {2, 6, 6}};
    for (auto &q : pr) {
        int b = q[0], r = q[1], p = q[2], g = r / p;
        buf pix = rnd((size_t)b * 3 * r * r), pat = rnd((size_t)b * g * g * 3 * p * p);
        RUN(im2patch, X(pat), X(pix), b, r, p);
        cmp(nm("im2patch b=%d r=%d p=%d", b, r, p), pat, 0);
        buf dpat = rnd(pat.n), dpix = val(pix.n, NAN);
        RUN(patch2im, X(dpix), X(dpat), b, r, p);
        cmp(nm("patch2im b=%d r=%d p=%d", b, r, p), dpix, 0);
        drop(pix), drop(pat), drop(dpat), drop(dpix);
    }
    {
        int b = 3, g2 = 4, w = 6, l = g2 + 1;
        buf po = rnd((size_t)b * g2 * w), cls = rnd(w), pos = rnd((size_t)l * w);
        buf x = rnd((size_t)b * l * w);
        RUN(vision_embed, X(x), X(po), X(cls), X(pos), b, g2, w);
        cmp("vision_embed", x, 0);
        buf dpo = rnd(po.n), dcls = rnd(w), dpos = rnd(pos.n);
        RUN(vision_embed_bwd, X(dpo), X(dcls), X(dpos), X(x), b, g2, w);
        cmp("vision_embed_bwd dpatch", dpo, 0);
        cmp("vision_embed_bwd dcls", dcls, 0);
        cmp("vision_embed_bwd dpos", dpos, 0);
        RUN(vision_embed_bwd, NULL, NULL, X(dpos), X(x), b, g2, w);
        cmp("vision_embed_bwd dpos only", dpos, 0);
        RUN(vision_embed_bwd, X(dpo), NULL, NULL, X(x), b, g2, w);
        cmp("vision_embed_bwd dpatch only", dpo, 0);
        drop(po), drop(cls), drop(pos), drop(x), drop(dpo), drop(dcls), drop(dpos);
    }
    {
        int b = 3, l = 5, ctx = 7, w = 6, vocab = 4;
        std::vector<int32_t> hid((size_t)b * ctx);
        for (auto &v : hid) v = (int32_t)(urand() * vocab);
        ibuf ids = iup(hid);
        buf tok = rnd((size_t)vocab * w), pos = rnd((size_t)ctx * w), x = rnd((size_t)b * l * w);
        RUN(text_embed, X(x), X(ids), X(tok), X(pos), b, l, ctx, w);
        cmp("text_embed", x, 0);
        buf dtok = rnd(tok.n), dpos = rnd(pos.n);
        RUN(text_embed_bwd, X(dtok), X(dpos), X(x), X(ids), b, l, ctx, w);
        cmp("text_embed_bwd dtok", dtok, 1e-12);
        cmp("text_embed_bwd dpos", dpos, 0);
        RUN(text_embed_bwd, NULL, X(dpos), X(x), X(ids), b, l, ctx, w);
        cmp("text_embed_bwd dpos only", dpos, 0);
        RUN(text_embed_bwd, X(dtok), NULL, X(x), X(ids), b, l, ctx, w);
        cmp("text_embed_bwd dtok only", dtok, 1e-12);
        drop(ids), drop(tok), drop(pos), drop(x), drop(dtok), drop(dpos);
    }
    {
        int n = 10, c = 7, rows = 5;
        std::vector<int32_t> hi(n);
        for (auto &v : hi) v = (int32_t)(urand() * rows);
        ibuf idx = iup(hi);
        buf x = rnd((size_t)rows * c), out = rnd((size_t)n * c);
        RUN(gather_rows, X(out), X(x), X(idx), n, c);
        cmp("gather_rows", out, 0);
        RUN(scatter_add_rows, X(x), X(out), X(idx), n, c);
        cmp("scatter_add_rows", x, 1e-12);
        drop(idx), drop(x), drop(out);
    }
}

static void check_rows(void) {
    int sizes[][2] = {{9, 70}, {1, 1}, {3, 512}, {40, 5}};
    for (auto &s : sizes) {
        int n = s[0], c = s[1];
        std::vector<float> hx = hrand((size_t)n * c, -3, 3);
        if (n > 2)
            for (int j = 0; j < c; j++) hx[(size_t)2 * c + j] = 0.0f; /* a zero row */
        buf x = up(hx), y = rnd(hx.size()), norm = rnd(n);
        RUN(l2norm_fwd, X(y), X(norm), X(x), n, c);
        cmp(nm("l2norm_fwd y n=%d c=%d", n, c), y);
        cmp(nm("l2norm_fwd norm n=%d c=%d", n, c), norm);
        buf xi = up(hx);
        RUN(l2norm_fwd, X(xi), NULL, X(xi), n, c);
        cmp(nm("l2norm_fwd in place n=%d c=%d", n, c), xi);
        buf dy = rnd(hx.size()), dx = rnd(hx.size());
        RUN(l2norm_bwd, X(dx), X(dy), X(y), X(norm), n, c);
        cmp(nm("l2norm_bwd n=%d c=%d", n, c), dx, 1e-9);
        buf sm = rnd(hx.size());
        RUN(softmax, X(sm), X(x), n, c);
        cmp(nm("softmax n=%d c=%d", n, c), sm, 1e-9);
        RUN(softmax, X(x), X(x), n, c);
        cmp(nm("softmax in place n=%d c=%d", n, c), x, 1e-9);
        std::vector<int32_t> ht(n);
        for (auto &v : ht) v = (int32_t)(urand() * c);
        ibuf t = iup(ht);
        buf logits = rnd(hx.size(), -5, 5), dl = rnd(hx.size()), loss = rnd(1);
        RUN(cross_entropy_fwd_bwd, X(loss), X(dl), X(logits), X(t), n, c);
        cmp(nm("cross_entropy loss n=%d c=%d", n, c), loss, 1e-12);
        cmp(nm("cross_entropy dlogits n=%d c=%d", n, c), dl, 1e-12);
        RUN(cross_entropy_fwd_bwd, X(loss), NULL, X(logits), X(t), n, c);
        cmp(nm("cross_entropy loss only n=%d c=%d", n, c), loss, 1e-12);
        ibuf am = iup(std::vector<int32_t>(n, -7));
        RUN(argmax_rows, X(am), X(logits), n, c);
        cmpi(nm("argmax_rows n=%d c=%d", n, c), am);
        buf tr = rnd(hx.size());
        RUN(transpose, X(tr), X(logits), n, c);
        cmp(nm("transpose %dx%d", n, c), tr, 0);
        drop(x), drop(y), drop(norm), drop(xi), drop(dy), drop(dx), drop(sm), drop(t),
            drop(logits), drop(dl), drop(loss), drop(am), drop(tr);
    }
    { /* argmax: ties (first wins), NaN at 0 (0), NaN later (skipped), all NaN (0), -inf */
        int n = 6, c = 40;
        std::vector<float> h = hrand((size_t)n * c);
        for (int j = 0; j < c; j++) h[j] = 0.5f;                     /* row 0: all equal */
        h[1 * c + 0] = NAN, h[1 * c + 17] = 9.0f;                  /* row 1: NaN first */
        h[2 * c + 3] = NAN, h[2 * c + 35] = 3.0f, h[2 * c + 36] = 3.0f; /* row 2 */
        for (int j = 0; j < c; j++) h[3 * c + j] = NAN;             /* row 3 */
        for (int j = 0; j < c; j++) h[4 * c + j] = -INFINITY;       /* row 4 */
        h[5 * c + 33] = 7.0f, h[5 * c + 1] = 7.0f;                   /* row 5: tie across lanes */
        buf x = up(h);
        ibuf am = iup(std::vector<int32_t>(n, -7));
        RUN(argmax_rows, X(am), X(x), n, c);
        cmpi("argmax_rows ties and NaN", am);
        drop(x), drop(am);
    }
    {
        int sizes2[][2] = {{45, 70}, {33, 1}, {1, 33}, {64, 64}};
        for (auto &s : sizes2) {
            buf in = rnd((size_t)s[0] * s[1]), out = rnd(in.n);
            RUN(transpose, X(out), X(in), s[0], s[1]);
            cmp(nm("transpose %dx%d", s[0], s[1]), out, 0);
            drop(in), drop(out);
        }
    }
    {
        size_t ns[] = {100000, 7, 0, 4096 * 300};
        for (size_t n : ns) {
            buf a = rnd(n ? n : 1), b = rnd(n ? n : 1), out = val(1, 1.25f);
            RUN(dot_acc, X(out), X(a), X(b), n, 0.5f);
            cmp(nm("dot_acc n=%zu", n), out, 1e-13);
            drop(a), drop(b), drop(out);
        }
    }
    {
        int n = 9, c = 70;
        std::vector<float> lp = hrand((size_t)n * c, -4, 4), lq = hrand((size_t)n * c, -4, 4);
        for (int j = 0; j < c; j++) lq[j] = lp[j]; /* row 0: identical -> 0 */
        lp[c + 5] = 200.0f;                        /* row 1: nearly one-hot */
        buf a = up(lp), b = up(lq), out = rnd(n);
        RUN(jsd_rows, X(out), X(a), X(b), n, c);
        cmp("jsd_rows", out, 1e-13);
        drop(a), drop(b), drop(out);
    }
}

static void check_optim(void) {
    size_t n = 777;
    std::vector<uint8_t> hm(n);
    for (auto &v : hm) v = urand() < 0.5;
    uint8_t *mc = (uint8_t *)C->alloc(n), *mg = (uint8_t *)G->alloc(n);
    C->to_device(mc, hm.data(), n), G->to_device(mg, hm.data(), n);
    for (int masked = 0; masked < 2; masked++) {
        buf p = rnd(n), m = rnd(n), v = rnd(n, 0, 1), g = rnd(n);
        RUN(adamw_step, X(p), X(m), X(v), X(g), masked ? (side ? mg : mc) : NULL, n, 1e-3f, 0.9f,
            0.999f, 1e-8f, 0.05f, 0.1f, 0.002f);
        cmp(nm("adamw p masked=%d", masked), p, 1e-13);
        cmp(nm("adamw m masked=%d", masked), m, 1e-13);
        cmp(nm("adamw v masked=%d", masked), v, 1e-13);
        buf vs = rnd(n);
        RUN(sgd_step, X(p), X(vs), X(g), masked ? (side ? mg : mc) : NULL, n, 0.01f, 0.9f, 5e-4f);
        cmp(nm("sgd p masked=%d", masked), p, 1e-13);
        cmp(nm("sgd v masked=%d", masked), vs, 1e-13);
        drop(p), drop(m), drop(v), drop(g), drop(vs);
    }
    C->free(mc), G->free(mg);
}

/* rows of positive floats normalised to sum ~1 (float rounding: not exactly) */
static std::vector<float> prob_rows(int n, int k, int with_zero) {
    std::vector<float> h((size_t)n * k);
    for (int i = 0; i < n; i++) {
        double s = 0;
        for (int j = 0; j < k; j++) s += h[(size_t)i * k + j] = (float)(urand() + 0.01);
        for (int j = 0; j < k; j++) h[(size_t)i * k + j] = (float)(h[(size_t)i * k + j] / s);
        if (with_zero && k > 1) h[(size_t)i * k + (i % k)] = 0.0f;
    }
    return h;
}

static void check_losses(void) {
    const double tol = 1e-12;
    { /* ACGD */
        int n = 13, K = 7, e = 40;
        std::vector<float> hf = hrand((size_t)n * e);
        for (int j = 0; j < e; j++) hf[(size_t)4 * e + j] = 0.0f; /* zero anchor */
        buf f = up(hf), g = rnd((size_t)K * e), pt = up(prob_rows(n, K, 1));
        for (int variant = 0; variant < 4; variant++) {
            buf loss = rnd(1), df = rnd(f.n), dg = rnd(g.n);
            int wf = variant & 1, wg = variant >> 1;
            RUN(acgd_fwd_bwd, X(loss), wf ? X(df) : NULL, wg ? X(dg) : NULL, X(f), n, X(g), K, e,
                X(pt), 14.3f, 2.0f, 0.7f);
            cmp(nm("acgd loss d_f=%d d_g=%d", wf, wg), loss, tol);
            cmp(nm("acgd d_f d_f=%d d_g=%d", wf, wg), df, tol);
            cmp(nm("acgd d_g d_f=%d d_g=%d", wf, wg), dg, tol);
            drop(loss), drop(df), drop(dg);
        }
        buf loss = rnd(1);
        RUN(acgd_fwd_bwd, X(loss), NULL, NULL, X(f), 0, X(g), K, e, X(pt), 14.3f, 2.0f, 0.7f);
        cmp("acgd n=0", loss, 0);
        drop(f), drop(g), drop(pt), drop(loss);
    }
    { /* TSGR: repeated rows, self-neighbours, repeated neighbours */
        int n_rows = 9, e = 40, n_cls = 5, k = 3;
        std::vector<float> hg = hrand((size_t)n_rows * e);
        for (int j = 0; j < e; j++) hg[(size_t)7 * e + j] = 0.0f; /* a zero row */
        std::vector<int32_t> hr = {2, 5, 2, 0, 7}, hn = {5, 1, 2, 0, 0, 3, 8, 6, 5, 2, 4, 7, 7, 1, 3};
        buf g = up(hg), pr = up(prob_rows(n_cls, k, 0));
        ibuf rows = iup(hr), nbr = iup(hn);
        for (int wg = 0; wg < 2; wg++) {
            buf loss = rnd(1), dg = rnd(g.n);
            RUN(tsgr_fwd_bwd, X(loss), wg ? X(dg) : NULL, X(g), n_rows, e, X(rows), n_cls, X(nbr),
                k, X(pr), 0.1f, 1.3f);
            cmp(nm("tsgr loss d_g=%d", wg), loss, tol);
            cmp(nm("tsgr d_g d_g=%d", wg), dg, tol);
            drop(loss), drop(dg);
        }
        drop(g), drop(pr), drop(rows), drop(nbr);
    }
    { /* DPGD */
        int n = 11, e = 40, K = 6;
        std::vector<float> hf = hrand((size_t)n * e);
        for (int j = 0; j < e; j++) hf[(size_t)3 * e + j] = 0.0f;
        std::vector<int32_t> ht(n);
        for (auto &v : ht) v = (int32_t)(urand() * K);
        buf f = up(hf), g = rnd((size_t)K * e), mu = rnd((size_t)K * e);
        ibuf t = iup(ht);
        for (int variant = 0; variant < 4; variant++) {
            int with_mu = variant & 1, lam0 = (variant >> 1) & 1;
            buf ce = rnd(n), vis = rnd(n), df = rnd(f.n);
            RUN(dpgd_fwd_bwd, X(ce), X(vis), X(df), X(f), n, e, X(g), K, X(t),
                with_mu ? X(mu) : NULL, lam0 ? 0.0f : 0.3f, 17.0f);
            cmp(nm("dpgd ce mu=%d lambda0=%d", with_mu, lam0), ce, tol);
            cmp(nm("dpgd vis mu=%d lambda0=%d", with_mu, lam0), vis, tol);
            cmp(nm("dpgd d_f mu=%d lambda0=%d", with_mu, lam0), df, tol);
            RUN(dpgd_fwd_bwd, X(ce), X(vis), NULL, X(f), n, e, X(g), K, X(t),
                with_mu ? X(mu) : NULL, 0.3f, 17.0f);
            cmp(nm("dpgd ce no d_f mu=%d", with_mu), ce, tol);
            drop(ce), drop(vis), drop(df);
        }
        drop(f), drop(g), drop(mu), drop(t);
    }
}

static void check_table(void) {
    checks++;
    const void *const *slot = (const void *const *)G;
    size_t nslots = (sizeof(segp_backend) - offsetof(segp_backend, alloc)) / sizeof(void *);
    for (size_t i = 0; i < nslots; i++)
        if (!((const void *const *)((const char *)G + offsetof(segp_backend, alloc)))[i]) {
            fails++;
            printf("FAIL table: member %zu is NULL\n", i);
        }
    (void)slot;
    checks++;
    if (strcmp(G->name, "cuda") || G->host_memory != 0 || !G->describe()[0]) {
        fails++;
        printf("FAIL table: name/host_memory/describe\n");
    }
    checks++;
    if (G->set_math(SEGP_MATH_FP32) || G->set_math(SEGP_MATH_BF16) ||
        G->set_math(SEGP_MATH_TF32) || G->set_math((segp_math)7) != -1) {
        fails++;
        printf("FAIL set_math\n");
    }
    G->set_math(SEGP_MATH_FP32);
    checks++;
    if (G->sync() != 0) {
        fails++;
        printf("FAIL sync: %s\n", segp_last_error());
    }
    checks++;
    if (segp_backend_cuda(1) != NULL || !strstr(segp_last_error(), "already uses cuda:0")) {
        fails++;
        printf("FAIL second device: %s\n", segp_last_error());
    }
    checks++;
    if (segp_backend_cuda(0) != G) {
        fails++;
        printf("FAIL same device twice\n");
    }
}

/* last: makes the device fail for good */
static void check_sticky_error(void) {
    float shift[5] = {0}, div[5] = {1, 1, 1, 1, 1};
    float *x = (float *)G->alloc(50 * 4);
    G->channel_affine(x, x, 1, 5, 10, shift, div);
    checks++;
    if (G->sync() != -1 || !strstr(segp_last_error(), "channel_affine") ||
        !strstr(segp_last_error(), "cuda:0")) {
        fails++;
        printf("FAIL sticky error: '%s'\n", segp_last_error());
    }
    segp_clear_error();
    checks++;
    if (G->sync() != -1 || !strstr(segp_last_error(), "channel_affine")) {
        fails++;
        printf("FAIL error not sticky: '%s'\n", segp_last_error());
    }
    G->free(x);
}

int main(void) {
    if (getenv("SEGP_EMU_NO_PINNED")) emu_no_pinned = 1;
    if (getenv("SEGP_EMU_NO_POOLS")) emu_no_pools = 1;
    C = segp_backend_cpu();
    G = segp_backend_cuda(0);
    if (!G) {
        printf("segp_backend_cuda(0): %s\n", segp_last_error());
        return 1;
    }
    check_table();
    check_gemm();
    check_linear();
    check_layernorm();
    check_elementwise();
    check_attention();
    check_embed();
    check_rows();
    check_optim();
    check_losses();
    G->set_math(SEGP_MATH_TF32);
    check_gemm(); /* the compute type changes nothing in the emulation, but must be accepted */
    size_t live = emu_live_buffers();
    check_sticky_error();
    printf("%s: %d checks, %d failed (%zu device buffers live at the end: the backend's scratch "
           "and staging)\n",
           fails ? "FAILED" : "ok", checks, fails, live);
    return fails ? 1 : 0;
}
