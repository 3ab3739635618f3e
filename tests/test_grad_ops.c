/* test_grad_ops.c: every backward of the op table (engine/backend/backend.h, CPU backend) against
 * central finite differences of L = sum(R * forward) with a fixed random projection R, plus the
 * linear ops by adjointness (<f(x), y> == <x, f^T(y)>) and softmax, gemm, im2patch and the
 * attention forward against direct formulas. Run with SEGP_TEST_VERBOSE=1 to print the error
 * of every check. */
#include <stdlib.h>
#include <string.h>

#include "backend/backend.h"
#include "core/rng.h"
#include "test.h"

#define BE segp_backend_cpu()

/* Float32 forwards: a numeric derivative with step ~1e-2 carries ~1e-4 truncation and ~1e-5
 * rounding error, so 1e-2 leaves a wide margin while any real backward bug is off by O(1). */
#define GRAD_TOL 1e-2
/* Entries far below the group's typical size are judged against this fraction of its rms,
 * where the finite-difference noise dominates their own size. */
#define FLOOR_FRAC 0.05


static float *randn(rng_state *r, size_t n, float sd, float mean) {
    float *p = malloc((n ? n : 1) * sizeof(float));
    for (size_t i = 0; i < n; i++) p[i] = mean + sd * rng_normal(r);
    return p;
}

static float *filled(size_t n, float v) {
    float *p = malloc((n ? n : 1) * sizeof(float));
    for (size_t i = 0; i < n; i++) p[i] = v;
    return p;
}

static float *dup(const float *x, size_t n) {
    float *p = malloc((n ? n : 1) * sizeof(float));
    memcpy(p, x, n * sizeof(float));
    return p;
}

static double dotd(const float *a, const float *b, size_t n) {
    double s = 0.0;
    for (size_t i = 0; i < n; i++) s += (double)a[i] * b[i];
    return s;
}

/* max |a - b| / (|a| + |b| + 1e-30): for results that only differ by summation order. */
static double max_rel_diff(const float *a, const float *b, size_t n) {
    double worst = 0.0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - b[i]) / (fabs(a[i]) + fabs(b[i]) + 1e-30);
        if (!(d <= worst)) worst = d; /* NaN sticks */
    }
    return worst;
}

typedef double (*loss_fn)(void *ctx);

/* dL/dp by central differences with a step of eps * max(1, |p|); the step actually taken
 * (after rounding to float) is the denominator, so what is left is the O(eps^2) truncation and
 * the forward's rounding. */
static double fd(loss_fn f, void *ctx, float *p, double eps) {
    float x0 = *p;
    double h = eps * fmax(1.0, fabs(x0));
    float xp = (float)(x0 + h), xm = (float)(x0 - h);
    *p = xp;
    double lp = f(ctx);
    *p = xm;
    double lm = f(ctx);
    *p = x0;
    return (lp - lm) / ((double)xp - (double)xm);
}

/* Numeric gradient of F w.r.t. p[idx[i]] (p[i] when idx is NULL), i < k, against ana[same].
 * An entry's error is |a - n| / (max(|a|, |n|) + floor), floor = FLOOR_FRAC * rms(numeric):
 * relative for entries of typical size. Returns the worst error and records a failure above
 * GRAD_TOL. */
static double check_fd_at(int line, const char *what, loss_fn f, void *ctx, float *p,
                          const size_t *idx, size_t k, const float *ana, double eps) {
    double *num = malloc((k ? k : 1) * sizeof(double));
    double ss = 0.0;
    for (size_t i = 0; i < k; i++) {
        num[i] = fd(f, ctx, p + (idx ? idx[i] : i), eps);
        ss += num[i] * num[i];
    }
    double floor = FLOOR_FRAC * sqrt(ss / (double)(k ? k : 1)) + 1e-12;
    double worst = 0.0;
    size_t wi = 0;
    for (size_t i = 0; i < k; i++) {
        double a = ana[idx ? idx[i] : i];
        double e = fabs(a - num[i]) / (fmax(fabs(a), fabs(num[i])) + floor);
        if (!(e <= worst)) {
            worst = e;
            wi = i;
        }
    }
    if (test_verbose()) printf("\n    %-40s worst error %.2e", what, worst);
    if (!(worst <= GRAD_TOL))
        test_fail(__FILE__, line, "%s: entry %zu: analytic %.7g vs numeric %.7g (error %.3g > %g)",
                  what, idx ? idx[wi] : wi, (double)ana[idx ? idx[wi] : wi], k ? num[wi] : 0.0,
                  worst, GRAD_TOL);
    free(num);
    return worst;
}
#define CHECK_FD(what, f, ctx, p, idx, k, ana, eps)                                         \
    check_fd_at(__LINE__, what, f, ctx, p, idx, k, ana, eps)

static void report(const char *what, double err) {
    if (test_verbose()) printf("\n    %-40s error %.2e", what, err);
}

/* ---------------------------------------------------------------- layernorm */

typedef struct {
    int n, c;
    float *x, *w, *b, *R, *out, *mean, *rstd;
} ln_ctx;

static double ln_loss(void *p) {
    ln_ctx *s = p;
    BE->layernorm_fwd(s->out, s->mean, s->rstd, s->x, s->w, s->b, s->n, s->c, 1e-5f);
    return dotd(s->R, s->out, (size_t)s->n * s->c);
}

static void check_layernorm(int n, int c, uint64_t seed) {
    rng_state r = rng_seed(seed, 1);
    size_t nc = (size_t)n * c;
    ln_ctx s = {n,
                c,
                randn(&r, nc, 1.5f, 0.3f),
                randn(&r, (size_t)c, 0.3f, 1.0f),
                randn(&r, (size_t)c, 0.2f, 0.0f),
                randn(&r, nc, 1.0f, 0.0f),
                filled(nc, 0),
                filled((size_t)n, 0),
                filled((size_t)n, 0)};
    float *dx = filled(nc, NAN), *dw = filled((size_t)c, 0), *db = filled((size_t)c, 0);
    ln_loss(&s);
    BE->layernorm_bwd(dx, dw, db, s.R, s.x, s.w, s.mean, s.rstd, n, c, 0);
    if (c > 1) {
        CHECK_FD("layernorm dx", ln_loss, &s, s.x, NULL, nc, dx, 1e-2);
    } else { /* x - mean = 0: dx = rstd (dout w - dout w) = 0 up to rounding, at rstd ~ 316 */
        double worst = 0;
        for (int i = 0; i < n; i++)
            worst = fmax(worst, fabs(dx[i]) / (s.rstd[i] * fabs(s.R[i] * s.w[0]) + 1e-30));
        report("layernorm dx (one channel)", worst);
        CHECK_MSG(worst <= 1e-6, "layernorm_bwd, one channel: dx %.3g, expected 0", worst);
    }
    CHECK_FD("layernorm dw", ln_loss, &s, s.w, NULL, (size_t)c, dw, 1e-2);
    CHECK_FD("layernorm db", ln_loss, &s, s.b, NULL, (size_t)c, db, 1e-2);
    ln_loss(&s); /* the finite differences left the saved statistics of a perturbed x */

    /* acc = 1 adds dx to what is there; dw, db always accumulate */
    float *dx2 = randn(&r, nc, 1.0f, 0.0f), *dw2 = randn(&r, (size_t)c, 1.0f, 0.0f);
    float *db2 = randn(&r, (size_t)c, 1.0f, 0.0f);
    float *ex = dup(dx2, nc), *ew = dup(dw2, (size_t)c), *eb = dup(db2, (size_t)c);
    for (size_t i = 0; i < nc; i++) ex[i] += dx[i];
    for (int j = 0; j < c; j++) ew[j] += dw[j], eb[j] += db[j];
    BE->layernorm_bwd(dx2, dw2, db2, s.R, s.x, s.w, s.mean, s.rstd, n, c, 1);
    double e = fmax(max_rel_diff(dx2, ex, nc),
                    fmax(max_rel_diff(dw2, ew, (size_t)c), max_rel_diff(db2, eb, (size_t)c)));
    report("layernorm acc=1 vs acc=0 + old", e);
    CHECK_MSG(e <= 1e-5, "layernorm_bwd acc=1: differs from old content + gradient by %.3g", e);

    /* each output alone gives the same numbers */
    float *dx3 = filled(nc, NAN), *dw3 = filled((size_t)c, 0), *db3 = filled((size_t)c, 0);
    BE->layernorm_bwd(dx3, NULL, NULL, s.R, s.x, s.w, s.mean, s.rstd, n, c, 0);
    BE->layernorm_bwd(NULL, dw3, NULL, s.R, s.x, s.w, s.mean, s.rstd, n, c, 0);
    BE->layernorm_bwd(NULL, NULL, db3, s.R, s.x, s.w, s.mean, s.rstd, n, c, 0);
    CHECK(max_rel_diff(dx3, dx, nc) <= 1e-6);
    CHECK(max_rel_diff(dw3, dw, (size_t)c) <= 1e-6);
    CHECK(max_rel_diff(db3, db, (size_t)c) <= 1e-6);

    float *all[] = {s.x, s.w, s.b, s.R, s.out, s.mean, s.rstd, dx, dw, db, dx2, dw2, db2,
                    ex, ew, eb, dx3, dw3, db3};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) free(all[i]);
}

TEST(grad_layernorm) {
    check_layernorm(6, 7, 11);
    check_layernorm(3, 33, 12);
    check_layernorm(19, 9, 14); /* two blocks of eight rows and a remainder */
    check_layernorm(2, 1, 13); /* one channel: the output is the bias, dx = 0 */
}

/* ---------------------------------------------------------------- activations */

typedef struct {
    size_t n;
    act_kind kind;
    float *x, *R, *y;
} act_ctx;

static double act_loss(void *p) {
    act_ctx *s = p;
    BE->act_fwd(s->y, s->x, s->n, s->kind);
    return dotd(s->R, s->y, s->n);
}

TEST(grad_activations) {
    for (int kind = ACT_QUICK_GELU; kind <= ACT_GELU; kind++) {
        rng_state r = rng_seed(21, (uint64_t)kind);
        size_t n = 81;
        act_ctx s = {n, (act_kind)kind, filled(n, 0), randn(&r, n, 1.0f, 0.0f), filled(n, 0)};
        for (size_t i = 0; i < n; i++) /* -6..6 plus jitter, 0 exactly in the middle */
            s.x[i] = i == n / 2 ? 0.0f : -6.0f + 12.0f * (float)i / (float)(n - 1) +
                                             0.05f * rng_normal(&r);
        float *dx = filled(n, NAN);
        BE->act_bwd(dx, s.R, s.x, n, s.kind);
        CHECK_FD(kind == ACT_GELU ? "act_bwd GELU" : "act_bwd QuickGELU", act_loss, &s, s.x,
                 NULL, n, dx, 1e-2);
        /* in place (dx == dout), as the model calls it */
        float *inplace = dup(s.R, n);
        BE->act_bwd(inplace, inplace, s.x, n, s.kind);
        CHECK(memcmp(inplace, dx, n * sizeof(float)) == 0);
        free(s.x), free(s.R), free(s.y), free(dx), free(inplace);
    }
}

/* ---------------------------------------------------------------- attention */

typedef struct {
    int b, l, h, hd, causal;
    float *qkv, *R, *out, *probs;
} att_ctx;

static double att_loss(void *p) {
    att_ctx *s = p;
    BE->attention_fwd(s->out, s->probs, s->qkv, s->b, s->l, s->h, s->hd, s->causal);
    return dotd(s->R, s->out, (size_t)s->b * s->l * s->h * s->hd);
}

/* Attention by the textbook formula in double; returns the relative error of out and probs. */
static double att_naive_err(const att_ctx *s) {
    int w = s->h * s->hd, w3 = 3 * w, l = s->l;
    double num = 0, den = 0, pmax = 0;
    double *sc = malloc((size_t)l * sizeof(double));
    for (int bi = 0; bi < s->b; bi++)
        for (int hi = 0; hi < s->h; hi++)
            for (int i = 0; i < l; i++) {
                const float *q = s->qkv + ((size_t)bi * l + i) * w3 + hi * s->hd;
                int valid = s->causal ? i + 1 : l;
                double mx = -INFINITY, sum = 0;
                for (int j = 0; j < valid; j++) {
                    const float *k = s->qkv + ((size_t)bi * l + j) * w3 + w + hi * s->hd;
                    double d = 0;
                    for (int t = 0; t < s->hd; t++) d += (double)q[t] * k[t];
                    sc[j] = d / sqrt((double)s->hd);
                    mx = fmax(mx, sc[j]);
                }
                for (int j = 0; j < valid; j++) sum += (sc[j] = exp(sc[j] - mx));
                const float *pr = s->probs + (((size_t)bi * s->h + hi) * l + i) * l;
                for (int j = 0; j < l; j++) {
                    double pj = j < valid ? sc[j] / sum : 0.0;
                    pmax = fmax(pmax, fabs(pj - pr[j]));
                }
                for (int t = 0; t < s->hd; t++) {
                    double o = 0;
                    const float *v = s->qkv + 2 * w + hi * s->hd + t;
                    for (int j = 0; j < valid; j++) o += sc[j] / sum * v[((size_t)bi * l + j) * w3];
                    double got = s->out[((size_t)bi * l + i) * w + hi * s->hd + t];
                    num += (got - o) * (got - o);
                    den += o * o;
                }
            }
    free(sc);
    return fmax(sqrt(num / fmax(den, 1e-30)), pmax);
}

static void check_attention(int b, int l, int h, int hd, int causal, uint64_t seed) {
    rng_state r = rng_seed(seed, 3);
    int w = h * hd;
    size_t n = (size_t)b * l, nq = n * 3 * w;
    att_ctx s = {b, l, h, hd, causal, randn(&r, nq, 1.0f, 0.0f), randn(&r, n * w, 1.0f, 0.0f),
                 filled(n * w, 0), filled((size_t)b * h * l * l, NAN)};
    att_loss(&s);
    char what[96];
    snprintf(what, sizeof what, "attention fwd b%d l%d h%d hd%d%s", b, l, h, hd,
             causal ? " causal" : "");
    double e = att_naive_err(&s);
    report(what, e);
    CHECK_MSG(e <= 1e-5, "%s vs direct formula: error %.3g", what, e);
    float *dqkv = filled(nq, NAN);
    BE->attention_bwd(dqkv, s.R, s.qkv, s.probs, b, l, h, hd);
    /* q, k and v parts separately: each has its own formula */
    size_t *idx = malloc(n * w * sizeof(size_t));
    for (int part = 0; part < 3; part++) {
        size_t k = 0;
        for (size_t i = 0; i < n; i++)
            for (int j = 0; j < w; j++) idx[k++] = i * 3 * w + (size_t)part * w + j;
        snprintf(what, sizeof what, "attention d%c b%d l%d h%d hd%d%s", "qkv"[part], b, l, h, hd,
                 causal ? " causal" : "");
        CHECK_FD(what, att_loss, &s, s.qkv, idx, k, dqkv, 1e-2);
    }
    free(idx), free(s.qkv), free(s.R), free(s.out), free(s.probs), free(dqkv);
}

TEST(grad_attention) {
    static const int cases[][4] = {{1, 1, 1, 4}, {2, 1, 2, 3}, {2, 5, 3, 3}, {3, 7, 2, 5},
                                   {1, 6, 1, 1}, {2, 9, 4, 2}, {1, 13, 1, 8}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        for (int causal = 0; causal < 2; causal++)
            check_attention(cases[i][0], cases[i][1], cases[i][2], cases[i][3], causal,
                            100 + i);
}

/* ---------------------------------------------------------------- l2norm, softmax, CE */

typedef struct {
    int n, c;
    float *x, *R, *y, *norm;
} l2_ctx;

static double l2_loss(void *p) {
    l2_ctx *s = p;
    BE->l2norm_fwd(s->y, s->norm, s->x, s->n, s->c);
    return dotd(s->R, s->y, (size_t)s->n * s->c);
}

TEST(grad_l2norm) {
    rng_state r = rng_seed(31, 0);
    int n = 4, c = 9;
    size_t nc = (size_t)n * c;
    l2_ctx s = {n, c, randn(&r, nc, 1.0f, 0.2f), randn(&r, nc, 1.0f, 0.0f), filled(nc, 0),
                filled((size_t)n, 0)};
    for (int j = 0; j < c; j++) s.x[c + j] *= 30.0f; /* a row of large norm */
    l2_loss(&s);
    float *dx = filled(nc, NAN);
    BE->l2norm_bwd(dx, s.R, s.y, s.norm, n, c);
    CHECK_FD("l2norm dx", l2_loss, &s, s.x, NULL, nc, dx, 1e-2);
    free(s.x), free(s.R), free(s.y), free(s.norm), free(dx);
}

TEST(grad_softmax_forward) {
    rng_state r = rng_seed(41, 0);
    int n = 12, c = 11; /* a block of eight rows and a remainder */
    size_t nc = (size_t)n * c;
    float *x = randn(&r, nc, 3.0f, 0.0f), *y = filled(nc, NAN);
    for (int j = 0; j < c; j++) x[3 * c + j] += 500.0f; /* overflows a naive exp */
    BE->softmax(y, x, n, c);
    double worst = 0;
    for (int i = 0; i < n; i++) {
        double mx = -INFINITY, s = 0;
        for (int j = 0; j < c; j++) mx = fmax(mx, x[i * c + j]);
        for (int j = 0; j < c; j++) s += exp((double)x[i * c + j] - mx);
        for (int j = 0; j < c; j++) {
            double p = exp((double)x[i * c + j] - mx) / s;
            worst = fmax(worst, fabs(p - y[i * c + j]) / (p + 1e-30));
        }
    }
    report("softmax vs direct formula", worst);
    CHECK_MSG(worst <= 1e-5, "softmax vs direct formula: relative error %.3g", worst);
    float *inplace = dup(x, nc);
    BE->softmax(inplace, inplace, n, c);
    CHECK(memcmp(inplace, y, nc * sizeof(float)) == 0);
    free(x), free(y), free(inplace);
}

typedef struct {
    int n, c;
    float *logits, *scratch;
    int32_t *t;
} ce_ctx;

static double ce_loss(void *p) {
    ce_ctx *s = p;
    float loss;
    BE->cross_entropy_fwd_bwd(&loss, s->scratch, s->logits, s->t, s->n, s->c);
    return loss;
}

TEST(grad_cross_entropy) {
    static const int shapes[][2] = {{5, 7}, {1, 3}, {8, 2}};
    for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++) {
        int n = shapes[k][0], c = shapes[k][1];
        size_t nc = (size_t)n * c;
        rng_state r = rng_seed(51, k);
        ce_ctx s = {n, c, randn(&r, nc, 2.0f, 0.0f), filled(nc, 0), malloc(n * sizeof(int32_t))};
        for (int i = 0; i < n; i++) s.t[i] = (int32_t)(rng_next(&r) % (uint64_t)c);
        float *dl = filled(nc, NAN);
        float loss, lbig;
        BE->cross_entropy_fwd_bwd(&loss, dl, s.logits, s.t, n, c);
        double direct = 0;
        for (int i = 0; i < n; i++) {
            double z = 0;
            for (int j = 0; j < c; j++) z += exp((double)s.logits[i * c + j]);
            direct += (log(z) - s.logits[i * c + s.t[i]]) / n;
        }
        CHECK_NEAR(loss, direct, 1e-5 * fabs(direct) + 1e-7);
        CHECK_FD("cross_entropy dlogits", ce_loss, &s, s.logits, NULL, nc, dl, 1e-2);
        for (int i = 0; i < n; i++) { /* each row of (softmax - onehot) / n sums to 0 */
            double rs = 0;
            for (int j = 0; j < c; j++) rs += dl[i * c + j];
            CHECK_NEAR(rs, 0.0, 1e-6);
        }
        /* shift invariance, with logits large enough to overflow a naive exp */
        float *big = dup(s.logits, nc), *dbig = filled(nc, NAN);
        for (size_t i = 0; i < nc; i++) big[i] += 1000.0f;
        BE->cross_entropy_fwd_bwd(&lbig, dbig, big, s.t, n, c);
        CHECK_NEAR(lbig, loss, 1e-3);
        CHECK(max_rel_diff(dbig, dl, nc) <= 1e-2);
        free(s.logits), free(s.scratch), free(s.t), free(dl), free(big), free(dbig);
    }
}

/* ---------------------------------------------------------------- patches and embeddings */

TEST(grad_im2patch_adjoint) {
    static const int shapes[][3] = {{2, 9, 3}, {1, 10, 3}, {1, 8, 8}, {3, 4, 1}}; /* b, r, p */
    for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++) {
        int b = shapes[k][0], res = shapes[k][1], p = shapes[k][2], g = res / p;
        size_t npix = (size_t)b * 3 * res * res, npat = (size_t)b * g * g * 3 * p * p;
        rng_state r = rng_seed(61, k);
        float *x = randn(&r, npix, 1.0f, 0.0f), *y = randn(&r, npat, 1.0f, 0.0f);
        float *px = filled(npat, NAN), *ty = filled(npix, NAN);
        BE->im2patch(px, x, b, res, p);
        BE->patch2im(ty, y, b, res, p); /* overwrites; pixels off the grid get 0 */
        /* (c, ky, kx) order within a patch, patches row-major over the grid */
        int bad = 0;
        for (int bi = 0; bi < b; bi++)
            for (int gy = 0; gy < g; gy++)
                for (int gx = 0; gx < g; gx++)
                    for (int c = 0; c < 3; c++)
                        for (int ky = 0; ky < p; ky++)
                            for (int kx = 0; kx < p; kx++) {
                                size_t pi = (((size_t)bi * g + gy) * g + gx) * 3 * p * p +
                                            ((size_t)c * p + ky) * p + kx;
                                size_t xi = (((size_t)bi * 3 + c) * res + gy * p + ky) * res +
                                            gx * p + kx;
                                bad += px[pi] != x[xi];
                            }
        CHECK_EQ_INT(bad, 0);
        for (int bi = 0; bi < b; bi++)
            for (int c = 0; c < 3; c++)
                for (int yy = 0; yy < res; yy++)
                    for (int xx = 0; xx < res; xx++)
                        if (yy >= g * p || xx >= g * p)
                            bad += ty[(((size_t)bi * 3 + c) * res + yy) * res + xx] != 0.0f;
        CHECK_EQ_INT(bad, 0);
        double lhs = dotd(px, y, npat), rhs = dotd(x, ty, npix);
        double e = fabs(lhs - rhs) / (fabs(lhs) + fabs(rhs) + 1e-30);
        report("im2patch/patch2im adjointness", e);
        CHECK_MSG(e <= 1e-12, "<im2patch(x), y> = %.12g but <x, patch2im(y)> = %.12g", lhs, rhs);
        free(x), free(y), free(px), free(ty);
    }
}

typedef struct {
    int b, g2, w;
    float *patch, *cls, *pos, *R, *x;
} ve_ctx;

static double ve_loss(void *p) {
    ve_ctx *s = p;
    BE->vision_embed(s->x, s->patch, s->cls, s->pos, s->b, s->g2, s->w);
    return dotd(s->R, s->x, (size_t)s->b * (s->g2 + 1) * s->w);
}

TEST(grad_vision_embed) {
    rng_state r = rng_seed(71, 0);
    int b = 3, g2 = 4, w = 5, l = g2 + 1;
    size_t np = (size_t)b * g2 * w;
    ve_ctx s = {b, g2, w, randn(&r, np, 1, 0), randn(&r, (size_t)w, 1, 0),
                randn(&r, (size_t)l * w, 1, 0), randn(&r, (size_t)b * l * w, 1, 0),
                filled((size_t)b * l * w, 0)};
    float *dp = filled(np, NAN), *dc = filled((size_t)w, 0), *dq = filled((size_t)l * w, 0);
    BE->vision_embed_bwd(dp, dc, dq, s.R, b, g2, w);
    CHECK_FD("vision_embed dpatch", ve_loss, &s, s.patch, NULL, np, dp, 1e-2);
    CHECK_FD("vision_embed dcls", ve_loss, &s, s.cls, NULL, (size_t)w, dc, 1e-2);
    CHECK_FD("vision_embed dpos", ve_loss, &s, s.pos, NULL, (size_t)l * w, dq, 1e-2);
    /* dcls, dpos accumulate; NULL ones are skipped */
    float *dc2 = filled((size_t)w, 1.0f), *dq2 = filled((size_t)l * w, -2.0f);
    float *dp2 = filled(np, NAN);
    BE->vision_embed_bwd(NULL, dc2, NULL, s.R, b, g2, w);
    BE->vision_embed_bwd(dp2, NULL, dq2, s.R, b, g2, w);
    int bad = memcmp(dp2, dp, np * sizeof(float)) != 0;
    for (int j = 0; j < w; j++) bad += fabsf(dc2[j] - 1.0f - dc[j]) > 1e-5f;
    for (int j = 0; j < l * w; j++) bad += fabsf(dq2[j] + 2.0f - dq[j]) > 1e-5f;
    CHECK_EQ_INT(bad, 0);
    free(s.patch), free(s.cls), free(s.pos), free(s.R), free(s.x);
    free(dp), free(dc), free(dq), free(dc2), free(dq2), free(dp2);
}

typedef struct {
    int b, l, ctx, w;
    const int32_t *ids;
    float *tok, *pos, *R, *x;
} te_ctx;

static double te_loss(void *p) {
    te_ctx *s = p;
    BE->text_embed(s->x, s->ids, s->tok, s->pos, s->b, s->l, s->ctx, s->w);
    return dotd(s->R, s->x, (size_t)s->b * s->l * s->w);
}

TEST(grad_text_embed) {
    /* l = 4 of a context of 6: positions 4, 5 (token 2 there) are outside the sequence */
    static const int32_t ids[3 * 6] = {1, 3, 3, 0, 2, 2, /**/ 3, 1, 5, 3, 2, 2,
                                       /**/ 0, 0, 0, 0, 2, 2};
    int b = 3, l = 4, ctx = 6, w = 5, vocab = 7;
    rng_state r = rng_seed(81, 0);
    te_ctx s = {b, l, ctx, w, ids, randn(&r, (size_t)vocab * w, 1, 0),
                randn(&r, (size_t)ctx * w, 1, 0), randn(&r, (size_t)b * l * w, 1, 0),
                filled((size_t)b * l * w, 0)};
    float *dt = filled((size_t)vocab * w, 0), *dq = filled((size_t)ctx * w, 0);
    BE->text_embed_bwd(dt, dq, s.R, ids, b, l, ctx, w);
    CHECK_FD("text_embed dtok", te_loss, &s, s.tok, NULL, (size_t)vocab * w, dt, 1e-2);
    CHECK_FD("text_embed dpos", te_loss, &s, s.pos, NULL, (size_t)ctx * w, dq, 1e-2);
    int bad = 0; /* tokens 2, 4, 6 and positions 4, 5 are unused: exactly zero */
    for (int j = 0; j < w; j++)
        bad += dt[2 * w + j] != 0 || dt[4 * w + j] != 0 || dt[6 * w + j] != 0 ||
               dq[4 * w + j] != 0 || dq[5 * w + j] != 0;
    CHECK_EQ_INT(bad, 0);
    /* accumulates into both */
    float *dt2 = filled((size_t)vocab * w, 0.5f), *dq2 = filled((size_t)ctx * w, 0.25f);
    BE->text_embed_bwd(dt2, dq2, s.R, ids, b, l, ctx, w);
    for (int j = 0; j < vocab * w; j++) bad += fabsf(dt2[j] - 0.5f - dt[j]) > 1e-5f;
    for (int j = 0; j < ctx * w; j++) bad += fabsf(dq2[j] - 0.25f - dq[j]) > 1e-5f;
    CHECK_EQ_INT(bad, 0);
    free(s.tok), free(s.pos), free(s.R), free(s.x), free(dt), free(dq), free(dt2), free(dq2);
}

TEST(grad_gather_scatter_adjoint) {
    static const int32_t idx[6] = {3, 0, 3, 6, 1, 3};
    int rows = 7, n = 6, c = 5;
    rng_state r = rng_seed(91, 0);
    float *x = randn(&r, (size_t)rows * c, 1, 0), *y = randn(&r, (size_t)n * c, 1, 0);
    float *gx = filled((size_t)n * c, NAN), *sy = filled((size_t)rows * c, 0);
    BE->gather_rows(gx, x, idx, n, c);
    BE->scatter_add_rows(sy, y, idx, n, c);
    double lhs = dotd(gx, y, (size_t)n * c), rhs = dotd(x, sy, (size_t)rows * c);
    double e = fabs(lhs - rhs) / (fabs(lhs) + fabs(rhs) + 1e-30);
    report("gather/scatter adjointness", e);
    CHECK_MSG(e <= 1e-6, "<gather(x), y> = %.9g but <x, scatter(y)> = %.9g", lhs, rhs);
    int bad = 0;
    for (int i = 0; i < n; i++)
        bad += memcmp(gx + (size_t)i * c, x + (size_t)idx[i] * c, c * sizeof(float)) != 0;
    for (int j = 0; j < c; j++) /* rows 2, 4, 5 are never indexed */
        bad += sy[2 * c + j] != 0 || sy[4 * c + j] != 0 || sy[5 * c + j] != 0;
    float *sy2 = filled((size_t)rows * c, 3.0f); /* adds to existing content */
    BE->scatter_add_rows(sy2, y, idx, n, c);
    for (int j = 0; j < rows * c; j++) bad += fabsf(sy2[j] - 3.0f - sy[j]) > 1e-5f;
    CHECK_EQ_INT(bad, 0);
    free(x), free(y), free(gx), free(sy), free(sy2);
}

/* ---------------------------------------------------------------- linear algebra */

typedef struct {
    int n, c;
    float *y0, *bias, *R, *y;
} bias_ctx;

static double bias_loss(void *p) {
    bias_ctx *s = p;
    memcpy(s->y, s->y0, (size_t)s->n * s->c * sizeof(float));
    BE->add_bias(s->y, s->bias, s->n, s->c);
    return dotd(s->R, s->y, (size_t)s->n * s->c);
}

TEST(grad_bias) {
    rng_state r = rng_seed(101, 0);
    int n = 5, c = 6;
    size_t nc = (size_t)n * c;
    bias_ctx s = {n, c, randn(&r, nc, 1, 0), randn(&r, (size_t)c, 1, 0), randn(&r, nc, 1, 0),
                  filled(nc, 0)};
    float *db = filled((size_t)c, 0), *db2 = filled((size_t)c, 1.5f);
    BE->bias_grad(db, s.R, n, c);
    CHECK_FD("bias_grad", bias_loss, &s, s.bias, NULL, (size_t)c, db, 1e-2);
    BE->bias_grad(db2, s.R, n, c); /* accumulates */
    for (int j = 0; j < c; j++) CHECK_NEAR(db2[j], 1.5f + db[j], 1e-5);
    free(s.y0), free(s.bias), free(s.R), free(s.y), free(db), free(db2);
}

/* C = alpha op(A) op(B) + beta C with padded strides, against a double loop; the padding of C
 * must stay untouched, and beta = 0 must ignore (not multiply) what C held. */
static void check_gemm(int ta, int tb, int m, int n, int k, float alpha, float beta,
                       int c_nan, uint64_t seed) {
    rng_state r = rng_seed(seed, 0);
    int ar = ta ? k : m, ac = ta ? m : k, br = tb ? n : k, bc = tb ? k : n;
    int lda = ac + 2, ldb = bc + 1, ldc = n + 3;
    float *a = randn(&r, (size_t)ar * lda + 1, 1, 0), *b = randn(&r, (size_t)br * ldb + 1, 1, 0);
    float *c = randn(&r, (size_t)m * ldc + 1, 1, 0);
    if (c_nan)
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) c[(size_t)i * ldc + j] = NAN;
    float *c0 = dup(c, (size_t)m * ldc + 1);
    BE->gemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    double worst = 0;
    int pad_bad = 0;
    for (int i = 0; i < m; i++)
        for (int j = 0; j < ldc; j++) {
            size_t ci = (size_t)i * ldc + j;
            if (j >= n) {
                pad_bad += memcmp(&c[ci], &c0[ci], sizeof(float)) != 0;
                continue;
            }
            double s = 0, mag = 0;
            for (int p = 0; p < k; p++) {
                double av = ta ? a[(size_t)p * lda + i] : a[(size_t)i * lda + p];
                double bv = tb ? b[(size_t)j * ldb + p] : b[(size_t)p * ldb + j];
                s += av * bv;
                mag += fabs(av * bv);
            }
            double old = beta != 0.0f ? (double)beta * c0[ci] : 0.0;
            double ref = alpha * s + old;
            double e = fabs(c[ci] - ref) / (fabs(alpha) * mag + fabs(old) + 1e-30);
            if (!(e <= worst)) worst = e;
        }
    char what[96];
    snprintf(what, sizeof what, "gemm ta%d tb%d m%d n%d k%d beta %g%s", ta, tb, m, n, k,
             (double)beta, c_nan ? " (C was NaN)" : "");
    report(what, worst);
    CHECK_MSG(worst <= 1e-5, "%s vs naive loop: error %.3g", what, worst);
    CHECK_MSG(pad_bad == 0, "%s: wrote %d entries of C's row padding", what, pad_bad);
    free(a), free(b), free(c), free(c0);
}

TEST(grad_gemm) {
    for (int ta = 0; ta < 2; ta++)
        for (int tb = 0; tb < 2; tb++) {
            check_gemm(ta, tb, 5, 4, 3, 0.7f, 0.3f, 0, 111);
            check_gemm(ta, tb, 1, 7, 9, 1.0f, 0.0f, 1, 112); /* beta 0 over garbage */
            check_gemm(ta, tb, 6, 1, 1, -2.0f, 1.0f, 0, 113);
            check_gemm(ta, tb, 17, 13, 33, 1.0f, 1.0f, 0, 114);
        }
    check_gemm(0, 1, 3, 4, 0, 1.0f, 0.5f, 0, 115); /* k = 0: C = beta C */
    check_gemm(1, 0, 3, 4, 0, 1.0f, 0.0f, 1, 116); /* k = 0, beta = 0: C = 0 */
}

TEST(grad_vector_ops) {
    rng_state r = rng_seed(121, 0);
    size_t n = 37;
    float *x = randn(&r, n, 1, 0), *y = randn(&r, n, 1, 0), *y0 = dup(y, n);
    BE->add(y, x, n);
    int bad = 0;
    for (size_t i = 0; i < n; i++) bad += y[i] != y0[i] + x[i];
    memcpy(y, y0, n * sizeof(float));
    BE->axpy(y, -0.75f, x, n);
    for (size_t i = 0; i < n; i++) bad += fabsf(y[i] - (y0[i] - 0.75f * x[i])) > 1e-6f;
    memcpy(y, y0, n * sizeof(float));
    BE->scale(y, 3.0f, n);
    for (size_t i = 0; i < n; i++) bad += y[i] != 3.0f * y0[i];
    CHECK_EQ_INT(bad, 0);
    free(x), free(y), free(y0);
}

TEST(bias_grad_inside_parallel_region) {
    /* an op called from a data-parallel chunk (nested regions inactive) must still sum every
     * row, as it does outside */
    const segp_backend *be = segp_backend_cpu();
    enum { N = 37, C = 5 };
    float dy[N * C], out[C] = {0}, in[C] = {0};
    for (int i = 0; i < N * C; i++) dy[i] = (float)((i * 7) % 11) - 5.0f;
    be->bias_grad(out, dy, N, C);
#pragma omp parallel num_threads(2)
    {
#pragma omp single
        be->bias_grad(in, dy, N, C);
    }
    for (int j = 0; j < C; j++) {
        double want = 0;
        for (int i = 0; i < N; i++) want += dy[i * C + j];
        CHECK_NEAR(out[j], want, 1e-4);
        CHECK_NEAR(in[j], want, 1e-4);
    }
}

TEST(row_ops_independent_of_row_grouping) {
    /* softmax and layer norm take their rows in blocks (several rows' sums side by side); a
     * row's values must be exactly those of the row alone, whatever block it falls in, or a
     * run's numbers would depend on batch and chunk sizes */
    const segp_backend *be = segp_backend_cpu();
    enum { N = 21, C = 13 };
    rng_state r = rng_seed(131, 0);
    float *x = randn(&r, (size_t)N * C, 3.0f, 0.5f), *w = randn(&r, C, 1.0f, 1.0f);
    float *b = randn(&r, C, 1.0f, 0.0f);
    for (int j = 0; j < C; j++) x[9 * C + j] += 500.0f; /* one row far from zero */
    float all[N * C], one[N * C], mean[N], rstd[N], mean1[N], rstd1[N];
    be->softmax(all, x, N, C);
    for (int i = 0; i < N; i++) be->softmax(one + i * C, x + i * C, 1, C);
    CHECK(memcmp(all, one, sizeof all) == 0);
    be->layernorm_fwd(all, mean, rstd, x, w, b, N, C, 1e-5f);
    for (int i = 0; i < N; i++)
        be->layernorm_fwd(one + i * C, mean1 + i, rstd1 + i, x + i * C, w, b, 1, C, 1e-5f);
    CHECK(memcmp(all, one, sizeof all) == 0);
    CHECK(memcmp(mean, mean1, sizeof mean) == 0);
    CHECK(memcmp(rstd, rstd1, sizeof rstd) == 0);
    /* rows 8..15 as a block of their own gives the same as inside the whole */
    be->layernorm_fwd(one, mean1, rstd1, x + 8 * C, w, b, 8, C, 1e-5f);
    CHECK(memcmp(all + 8 * C, one, 8 * C * sizeof(float)) == 0);
    /* and the values are those of the documented order: the mean an in-order sum, the variance
     * an in-order sum of squares each rounded to float */
    int bad = 0;
    for (int i = 0; i < N; i++) {
        const float *xi = x + i * C;
        float m = 0.0f, v = 0.0f;
        for (int j = 0; j < C; j++) m += xi[j];
        m /= (float)C;
        for (int j = 0; j < C; j++) {
            volatile float sq = (xi[j] - m) * (xi[j] - m);
            v += sq;
        }
        float rs = 1.0f / sqrtf(v / (float)C + 1e-5f);
        bad += mean[i] != m || rstd[i] != rs;
        for (int j = 0; j < C; j++)
            bad += all[i * C + j] != (xi[j] - m) * rs * w[j] + b[j];
    }
    CHECK_EQ_INT(bad, 0);
    free(x), free(w), free(b);
}
