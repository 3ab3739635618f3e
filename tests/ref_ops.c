/* ref_ops.c: the naive double-precision reference backend (ref_ops.h). Each op is its formula
 * from engine/backend/backend.h (and engine/cl/cl_losses.h for the losses) as plain loops:
 * every sum in double, one float rounding at the end. Host memory; nothing is threaded. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/common.h"
#include "ref_ops.h"

static double *dalloc(size_t n) { return segp_calloc(n ? n : 1, sizeof(double)); }

static void *r_alloc(size_t bytes) { return segp_malloc(bytes ? bytes : 1); }
static void r_free(void *p) { free(p); }
static void r_copy(void *dst, const void *src, size_t bytes) {
    if (bytes) memmove(dst, src, bytes);
}
static void r_zero(void *p, size_t bytes) {
    if (bytes) memset(p, 0, bytes);
}
static int r_sync(void) { return 0; }
static int r_set_math(segp_math m) {
    return m == SEGP_MATH_FP32 ? 0 : SEGP_FAIL("ref backend: FP32 only");
}
static const char *r_describe(void) { return "naive double-precision reference (tests)"; }

static void r_gemm(int ta, int tb, int m, int n, int k, float alpha, const float *a, int lda,
                   const float *b, int ldb, float beta, float *c, int ldc) {
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) {
            double s = 0;
            for (int q = 0; q < k; q++) {
                double av = ta ? a[(size_t)q * lda + i] : a[(size_t)i * lda + q];
                double bv = tb ? b[(size_t)j * ldb + q] : b[(size_t)q * ldb + j];
                s += av * bv;
            }
            float *cij = c + (size_t)i * ldc + j;
            /* beta == 0: C is not read (it may hold anything, NaN included) */
            *cij = (float)(alpha * s + (beta != 0.0f ? (double)beta * *cij : 0.0));
        }
}

static void r_add_bias(float *y, const float *bias, int n, int c) {
    for (int i = 0; i < n; i++)
        for (int j = 0; j < c; j++) {
            float *v = y + (size_t)i * c + j;
            *v = (float)((double)*v + bias[j]);
        }
}

static void r_bias_grad(float *db, const float *dy, int n, int c) {
    for (int j = 0; j < c; j++) {
        double s = db[j];
        for (int i = 0; i < n; i++) s += dy[(size_t)i * c + j];
        db[j] = (float)s;
    }
}

static void r_layernorm_fwd(float *out, float *mean, float *rstd, const float *x, const float *w,
                            const float *b, int n, int c, float eps) {
    for (int i = 0; i < n; i++) {
        const float *xi = x + (size_t)i * c;
        double mu = 0, var = 0;
        for (int j = 0; j < c; j++) mu += xi[j];
        mu /= c;
        for (int j = 0; j < c; j++) var += (xi[j] - mu) * (xi[j] - mu);
        var /= c;
        double r = 1.0 / sqrt(var + eps);
        for (int j = 0; j < c; j++)
            out[(size_t)i * c + j] = (float)((xi[j] - mu) * r * w[j] + b[j]);
        if (mean) mean[i] = (float)mu;
        if (rstd) rstd[i] = (float)r;
    }
}

static void r_layernorm_bwd(float *dx, float *dw, float *db, const float *dout, const float *x,
                            const float *w, const float *mean, const float *rstd, int n, int c,
                            int acc) {
    double *sw = dalloc((size_t)c), *sb = dalloc((size_t)c);
    for (int i = 0; i < n; i++) {
        const float *xi = x + (size_t)i * c, *gi = dout + (size_t)i * c;
        double m1 = 0, m2 = 0; /* mean of g w, mean of g w xhat */
        for (int j = 0; j < c; j++) {
            double xh = (xi[j] - (double)mean[i]) * rstd[i];
            m1 += (double)gi[j] * w[j];
            m2 += (double)gi[j] * w[j] * xh;
            sw[j] += gi[j] * xh;
            sb[j] += gi[j];
        }
        m1 /= c, m2 /= c;
        if (!dx) continue;
        for (int j = 0; j < c; j++) {
            double xh = (xi[j] - (double)mean[i]) * rstd[i];
            double v = rstd[i] * ((double)gi[j] * w[j] - m1 - xh * m2);
            float *d = dx + (size_t)i * c + j;
            *d = (float)(acc ? *d + v : v);
        }
    }
    for (int j = 0; j < c; j++) {
        if (dw) dw[j] = (float)(dw[j] + sw[j]);
        if (db) db[j] = (float)(db[j] + sb[j]);
    }
    free(sw), free(sb);
}

static double sigmoid(double x) { return 1.0 / (1.0 + exp(-x)); }

static void r_act_fwd(float *out, const float *x, size_t n, act_kind kind) {
    for (size_t i = 0; i < n; i++) {
        double v = x[i];
        out[i] = (float)(kind == ACT_QUICK_GELU ? v * sigmoid(1.702 * v)
                                                : 0.5 * v * (1.0 + erf(v / sqrt(2.0))));
    }
}

static void r_act_bwd(float *dx, const float *dout, const float *x, size_t n, act_kind kind) {
    for (size_t i = 0; i < n; i++) {
        double v = x[i], d;
        if (kind == ACT_QUICK_GELU) {
            double s = sigmoid(1.702 * v);
            d = s + 1.702 * v * s * (1.0 - s);
        } else {
            d = 0.5 * (1.0 + erf(v / sqrt(2.0))) + v * exp(-0.5 * v * v) / sqrt(2.0 * M_PI);
        }
        dx[i] = (float)(dout[i] * d);
    }
}

/* Softmax of Z[0..valid) into P (double); P[valid..len) = 0. */
static void softmax_d(const double *z, int len, int valid, double *p) {
    double mx = -INFINITY, s = 0;
    for (int j = 0; j < valid; j++) mx = fmax(mx, z[j]);
    for (int j = 0; j < valid; j++) s += (p[j] = exp(z[j] - mx));
    for (int j = 0; j < valid; j++) p[j] /= s;
    for (int j = valid; j < len; j++) p[j] = 0;
}

static void r_attention_fwd(float *out, float *probs, const float *qkv, int b, int l, int h,
                            int hd, int causal) {
    const int w = h * hd, w3 = 3 * w;
    double *z = dalloc((size_t)l), *p = dalloc((size_t)l);
    for (int bi = 0; bi < b; bi++)
        for (int hi = 0; hi < h; hi++)
            for (int i = 0; i < l; i++) {
                const float *q = qkv + ((size_t)bi * l + i) * w3 + (size_t)hi * hd;
                int valid = causal ? i + 1 : l;
                for (int j = 0; j < valid; j++) {
                    const float *k = qkv + ((size_t)bi * l + j) * w3 + w + (size_t)hi * hd;
                    double s = 0;
                    for (int d = 0; d < hd; d++) s += (double)q[d] * k[d];
                    z[j] = s / sqrt((double)hd);
                }
                softmax_d(z, l, valid, p);
                float *pr = probs + (((size_t)bi * h + hi) * l + i) * l;
                for (int j = 0; j < l; j++) pr[j] = (float)p[j];
                for (int d = 0; d < hd; d++) {
                    double s = 0;
                    for (int j = 0; j < valid; j++)
                        s += p[j] * qkv[((size_t)bi * l + j) * w3 + 2 * w + (size_t)hi * hd + d];
                    out[((size_t)bi * l + i) * w + (size_t)hi * hd + d] = (float)s;
                }
            }
    free(z), free(p);
}

static void r_attention_bwd(float *dqkv, const float *dout, const float *qkv, const float *probs,
                            int b, int l, int h, int hd) {
    const int w = h * hd, w3 = 3 * w;
    const double sc = 1.0 / sqrt((double)hd);
    double *ds = dalloc((size_t)l * l), *acc = dalloc((size_t)l * 3 * hd);
    for (int bi = 0; bi < b; bi++)
        for (int hi = 0; hi < h; hi++) {
            const float *P = probs + ((size_t)bi * h + hi) * l * l;
#define Q(i, d) ((double)qkv[((size_t)bi * l + (i)) * w3 + (size_t)hi * hd + (d)])
#define K(i, d) ((double)qkv[((size_t)bi * l + (i)) * w3 + w + (size_t)hi * hd + (d)])
#define V(i, d) ((double)qkv[((size_t)bi * l + (i)) * w3 + 2 * w + (size_t)hi * hd + (d)])
#define DO(i, d) ((double)dout[((size_t)bi * l + (i)) * w + (size_t)hi * hd + (d)])
            for (int i = 0; i < l; i++) {
                double rs = 0;
                for (int j = 0; j < l; j++) {
                    double dp = 0;
                    for (int d = 0; d < hd; d++) dp += DO(i, d) * V(j, d);
                    ds[(size_t)i * l + j] = dp;
                    rs += P[(size_t)i * l + j] * dp;
                }
                for (int j = 0; j < l; j++)
                    ds[(size_t)i * l + j] = P[(size_t)i * l + j] * (ds[(size_t)i * l + j] - rs);
            }
            memset(acc, 0, (size_t)l * 3 * hd * sizeof(double));
            for (int i = 0; i < l; i++)
                for (int j = 0; j < l; j++) {
                    double pij = P[(size_t)i * l + j], sij = ds[(size_t)i * l + j];
                    for (int d = 0; d < hd; d++) {
                        acc[((size_t)i * 3 + 0) * hd + d] += sc * sij * K(j, d); /* dQ_i */
                        acc[((size_t)j * 3 + 1) * hd + d] += sc * sij * Q(i, d); /* dK_j */
                        acc[((size_t)j * 3 + 2) * hd + d] += pij * DO(i, d);     /* dV_j */
                    }
                }
            for (int i = 0; i < l; i++)
                for (int part = 0; part < 3; part++)
                    for (int d = 0; d < hd; d++)
                        dqkv[((size_t)bi * l + i) * w3 + (size_t)part * w + (size_t)hi * hd + d] =
                            (float)acc[((size_t)i * 3 + part) * hd + d];
#undef Q
#undef K
#undef V
#undef DO
        }
    free(ds), free(acc);
}

static void r_add(float *y, const float *x, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] = (float)((double)y[i] + x[i]);
}
static void r_axpy(float *y, float a, const float *x, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] = (float)((double)y[i] + (double)a * x[i]);
}
static void r_scale(float *y, float a, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] = (float)((double)y[i] * a);
}

/* Offset of pixel (bi, c, y, x) and of the patch entry that holds it. */
static size_t pix_at(int bi, int c, int y, int x, int r) {
    return (((size_t)bi * 3 + c) * r + y) * r + x;
}
static size_t patch_at(int bi, int c, int y, int x, int g, int p) {
    size_t row = (size_t)bi * g * g + (size_t)(y / p) * g + x / p;
    return row * 3 * p * p + (size_t)c * p * p + (size_t)(y % p) * p + x % p;
}

static void r_im2patch(float *patches, const float *pixels, int b, int r, int p) {
    int g = r / p;
    for (int bi = 0; bi < b; bi++)
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < g * p; y++)
                for (int x = 0; x < g * p; x++)
                    patches[patch_at(bi, c, y, x, g, p)] = pixels[pix_at(bi, c, y, x, r)];
}

static void r_patch2im(float *dpixels, const float *dpatches, int b, int r, int p) {
    int g = r / p;
    for (int bi = 0; bi < b; bi++)
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < r; y++)
                for (int x = 0; x < r; x++)
                    dpixels[pix_at(bi, c, y, x, r)] =
                        y < g * p && x < g * p ? dpatches[patch_at(bi, c, y, x, g, p)] : 0.0f;
}

static void r_vision_embed(float *x, const float *patch_out, const float *cls, const float *pos,
                           int b, int g2, int w) {
    int l = g2 + 1;
    for (int bi = 0; bi < b; bi++)
        for (int t = 0; t < l; t++)
            for (int j = 0; j < w; j++) {
                double v = t == 0 ? cls[j] : patch_out[((size_t)bi * g2 + t - 1) * w + j];
                x[((size_t)bi * l + t) * w + j] = (float)(v + pos[(size_t)t * w + j]);
            }
}

static void r_vision_embed_bwd(float *dpatch, float *dcls, float *dpos, const float *dx, int b,
                               int g2, int w) {
    int l = g2 + 1;
    for (int t = 0; t < l; t++)
        for (int j = 0; j < w; j++) {
            double s = 0;
            for (int bi = 0; bi < b; bi++) {
                float g = dx[((size_t)bi * l + t) * w + j];
                s += g;
                if (t > 0 && dpatch) dpatch[((size_t)bi * g2 + t - 1) * w + j] = g;
            }
            if (dpos) dpos[(size_t)t * w + j] = (float)(dpos[(size_t)t * w + j] + s);
            if (t == 0 && dcls) dcls[j] = (float)(dcls[j] + s);
        }
}

static void r_text_embed(float *x, const int32_t *ids, const float *tok, const float *pos, int b,
                         int l, int ctx, int w) {
    for (int bi = 0; bi < b; bi++)
        for (int t = 0; t < l; t++)
            for (int j = 0; j < w; j++)
                x[((size_t)bi * l + t) * w + j] =
                    (float)((double)tok[(size_t)ids[(size_t)bi * ctx + t] * w + j] +
                            pos[(size_t)t * w + j]);
}

/* DST[idx[i]] += SRC[i] for rows of C, every row's sum in double then one rounding. */
static void scatter_rows_d(float *dst, int n_dst, const float *src, const int32_t *idx, int n,
                           int c) {
    double *s = dalloc((size_t)n_dst * c);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < c; j++) s[(size_t)idx[i] * c + j] += src[(size_t)i * c + j];
    for (size_t q = 0; q < (size_t)n_dst * c; q++)
        if (s[q] != 0) dst[q] = (float)(dst[q] + s[q]);
    free(s);
}

static int max_index(const int32_t *idx, int n) {
    int mx = 0;
    for (int i = 0; i < n; i++) mx = idx[i] > mx ? idx[i] : mx;
    return mx + 1;
}

static void r_text_embed_bwd(float *dtok, float *dpos, const float *dx, const int32_t *ids, int b,
                             int l, int ctx, int w) {
    int32_t *rows = segp_malloc(((size_t)b * l + 1) * sizeof(int32_t));
    int32_t *tpos = segp_malloc(((size_t)b * l + 1) * sizeof(int32_t));
    for (int bi = 0; bi < b; bi++)
        for (int t = 0; t < l; t++) {
            rows[(size_t)bi * l + t] = ids[(size_t)bi * ctx + t];
            tpos[(size_t)bi * l + t] = t;
        }
    if (dtok) scatter_rows_d(dtok, max_index(rows, b * l), dx, rows, b * l, w);
    if (dpos) scatter_rows_d(dpos, l, dx, tpos, b * l, w);
    free(rows), free(tpos);
}

static void r_gather_rows(float *out, const float *x, const int32_t *idx, int n, int c) {
    for (int i = 0; i < n; i++)
        for (int j = 0; j < c; j++) out[(size_t)i * c + j] = x[(size_t)idx[i] * c + j];
}

static void r_scatter_add_rows(float *dx, const float *dout, const int32_t *idx, int n, int c) {
    scatter_rows_d(dx, max_index(idx, n), dout, idx, n, c);
}

static void r_l2norm_fwd(float *y, float *norm, const float *x, int n, int c) {
    for (int i = 0; i < n; i++) {
        double s = 0;
        for (int j = 0; j < c; j++) s += (double)x[(size_t)i * c + j] * x[(size_t)i * c + j];
        double nm = sqrt(s);
        for (int j = 0; j < c; j++)
            y[(size_t)i * c + j] = nm > 0 ? (float)(x[(size_t)i * c + j] / nm) : 0.0f;
        if (norm) norm[i] = (float)nm;
    }
}

static void r_l2norm_bwd(float *dx, const float *dy, const float *y, const float *norm, int n,
                         int c) {
    for (int i = 0; i < n; i++) {
        double d = 0;
        for (int j = 0; j < c; j++) d += (double)y[(size_t)i * c + j] * dy[(size_t)i * c + j];
        for (int j = 0; j < c; j++)
            dx[(size_t)i * c + j] =
                norm[i] > 0 ? (float)((dy[(size_t)i * c + j] - y[(size_t)i * c + j] * d) / norm[i])
                            : 0.0f;
    }
}

static void r_softmax(float *y, const float *x, int n, int c) {
    double *z = dalloc((size_t)c), *p = dalloc((size_t)c);
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < c; j++) z[j] = x[(size_t)i * c + j];
        softmax_d(z, c, c, p);
        for (int j = 0; j < c; j++) y[(size_t)i * c + j] = (float)p[j];
    }
    free(z), free(p);
}

static double log_sum_exp_d(const double *z, int c) {
    double mx = -INFINITY, s = 0;
    for (int j = 0; j < c; j++) mx = fmax(mx, z[j]);
    for (int j = 0; j < c; j++) s += exp(z[j] - mx);
    return mx + log(s);
}

static void r_cross_entropy(float *loss, float *dlogits, const float *logits,
                            const int32_t *targets, int n, int c) {
    double *z = dalloc((size_t)c), total = 0;
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < c; j++) z[j] = logits[(size_t)i * c + j];
        double lse = log_sum_exp_d(z, c);
        total += lse - z[targets[i]];
        if (dlogits)
            for (int j = 0; j < c; j++)
                dlogits[(size_t)i * c + j] = (float)((exp(z[j] - lse) - (j == targets[i])) / n);
    }
    *loss = (float)(total / n);
    free(z);
}

static void r_transpose(float *out, const float *in, int rows, int cols) {
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < cols; j++) out[(size_t)j * rows + i] = in[(size_t)i * cols + j];
}

static void r_dot_acc(float *out, const float *a, const float *b, size_t n, float weight) {
    double s = 0;
    for (size_t i = 0; i < n; i++) s += (double)a[i] * b[i];
    out[0] = (float)(out[0] + (double)weight * s);
}

static void r_argmax_rows(int32_t *out, const float *x, int n, int c) {
    for (int i = 0; i < n; i++) {
        int best = 0;
        for (int j = 0; j < c; j++)
            if (x[(size_t)i * c + j] > x[(size_t)i * c + best]) best = j;
        out[i] = best;
    }
}

static void r_channel_affine(float *out, const float *x, int b, int ch, size_t plane,
                             const float *shift, const float *div) {
    for (int i = 0; i < b; i++)
        for (int c = 0; c < ch; c++)
            for (size_t k = 0; k < plane; k++) {
                size_t q = ((size_t)i * ch + c) * plane + k;
                out[q] = (float)(((double)x[q] - shift[c]) / div[c]);
            }
}

static void r_adamw_step(float *p, float *m, float *v, const float *g, const uint8_t *mask,
                         size_t n, float lr, float b1, float b2, float eps, float wd, float c1,
                         float c2) {
    for (size_t i = 0; i < n; i++) {
        double mi = (double)b1 * m[i] + (1.0 - b1) * g[i];
        double vi = (double)b2 * v[i] + (1.0 - b2) * (double)g[i] * g[i];
        double upd = (mi / c1) / (sqrt(vi / c2) + eps);
        if (!mask || mask[i]) upd += (double)wd * p[i];
        m[i] = (float)mi, v[i] = (float)vi;
        p[i] = (float)(p[i] - (double)lr * upd);
    }
}

static void r_sgd_step(float *p, float *v, const float *g, const uint8_t *mask, size_t n,
                       float lr, float mu, float wd) {
    for (size_t i = 0; i < n; i++) {
        double gi = g[i] + (!mask || mask[i] ? (double)wd * p[i] : 0.0);
        double vi = (double)mu * v[i] + gi;
        v[i] = (float)vi;
        p[i] = (float)(p[i] - (double)lr * vi);
    }
}

/* Unit rows of X [n, e] (double) and their norms; a zero row stays zero. */
static void unit_rows(const float *x, int n, int e, double *u, double *nm) {
    for (int i = 0; i < n; i++) {
        double s = 0;
        for (int j = 0; j < e; j++) s += (double)x[(size_t)i * e + j] * x[(size_t)i * e + j];
        nm[i] = sqrt(s);
        for (int j = 0; j < e; j++)
            u[(size_t)i * e + j] = nm[i] > 0 ? x[(size_t)i * e + j] / nm[i] : 0;
    }
}

/* OUT [n, e] += WEIGHT * the gradient w.r.t. X of a loss whose gradient w.r.t. the unit rows U
 * is DU: (du - u (u . du)) / |x|. */
static void unit_rows_bwd(float *out, const double *du, const double *u, const double *nm, int n,
                          int e, double weight) {
    for (int i = 0; i < n; i++) {
        double d = 0;
        for (int j = 0; j < e; j++) d += u[(size_t)i * e + j] * du[(size_t)i * e + j];
        if (!(nm[i] > 0)) continue;
        for (int j = 0; j < e; j++) {
            size_t q = (size_t)i * e + j;
            out[q] = (float)(out[q] + weight * (du[q] - u[q] * d) / nm[i]);
        }
    }
}

/* KL(P || softmax(Z)) over K entries (P as given, 0 log 0 = 0) and dKL/dZ into DZ. */
static double kl_d(const float *p, const double *z, int K, double *dz) {
    double lse = log_sum_exp_d(z, K), kl = 0, sp = 0;
    for (int c = 0; c < K; c++) {
        if (p[c] > 0) kl += p[c] * (log((double)p[c]) - (z[c] - lse));
        sp += p[c];
    }
    for (int c = 0; c < K; c++) dz[c] = exp(z[c] - lse) * sp - p[c];
    return kl;
}

static void r_acgd(float *loss, float *d_f, float *d_g, const float *f, int n, const float *g,
                   int K, int e, const float *pt, float logit_scale, float tau, float weight) {
    if (n <= 0 || K <= 0) {
        *loss = 0;
        return;
    }
    double *fu = dalloc((size_t)n * e), *gu = dalloc((size_t)K * e), *nf = dalloc((size_t)n),
           *ng = dalloc((size_t)K), *z = dalloc((size_t)K), *dz = dalloc((size_t)K),
           *dfu = dalloc((size_t)n * e), *dgu = dalloc((size_t)K * e);
    unit_rows(f, n, e, fu, nf);
    unit_rows(g, K, e, gu, ng);
    double a = (double)logit_scale / tau, t2n = (double)tau * tau / n, kl = 0;
    for (int i = 0; i < n; i++) {
        for (int c = 0; c < K; c++) {
            double s = 0;
            for (int j = 0; j < e; j++) s += fu[(size_t)i * e + j] * gu[(size_t)c * e + j];
            z[c] = a * s;
        }
        kl += kl_d(pt + (size_t)i * K, z, K, dz);
        for (int c = 0; c < K; c++)
            for (int j = 0; j < e; j++) {
                dfu[(size_t)i * e + j] += t2n * dz[c] * a * gu[(size_t)c * e + j];
                dgu[(size_t)c * e + j] += t2n * dz[c] * a * fu[(size_t)i * e + j];
            }
    }
    *loss = (float)(t2n * kl);
    if (d_f) unit_rows_bwd(d_f, dfu, fu, nf, n, e, weight);
    if (d_g) unit_rows_bwd(d_g, dgu, gu, ng, K, e, weight);
    free(fu), free(gu), free(nf), free(ng), free(z), free(dz), free(dfu), free(dgu);
}

static void r_tsgr(float *loss, float *d_g, const float *g, int n_rows, int e, const int32_t *rows,
                   int n_cls, const int32_t *nbr, int k, const float *p_ref, float tau,
                   float weight) {
    if (n_cls <= 0 || k <= 0 || n_rows <= 0) {
        *loss = 0;
        return;
    }
    double *u = dalloc((size_t)n_rows * e), *nm = dalloc((size_t)n_rows),
           *du = dalloc((size_t)n_rows * e), *z = dalloc((size_t)k), *dz = dalloc((size_t)k);
    double kl = 0;
    unit_rows(g, n_rows, e, u, nm);
    for (int i = 0; i < n_cls; i++) {
        const double *a = u + (size_t)rows[i] * e;
        for (int j = 0; j < k; j++) {
            const double *bj = u + (size_t)nbr[(size_t)i * k + j] * e;
            double s = 0;
            for (int q = 0; q < e; q++) s += a[q] * bj[q];
            z[j] = s / tau;
        }
        kl += kl_d(p_ref + (size_t)i * k, z, k, dz);
        for (int j = 0; j < k; j++) {
            int r = nbr[(size_t)i * k + j];
            double wj = dz[j] / tau / n_cls;
            for (int q = 0; q < e; q++) {
                double av = u[(size_t)rows[i] * e + q], bv = u[(size_t)r * e + q];
                du[(size_t)rows[i] * e + q] += wj * bv;
                du[(size_t)r * e + q] += wj * av;
            }
        }
    }
    *loss = (float)(kl / n_cls);
    if (d_g) unit_rows_bwd(d_g, du, u, nm, n_rows, e, weight);
    free(u), free(nm), free(du), free(z), free(dz);
}

static void r_dpgd(float *ce, float *vis, float *d_f, const float *f, int n, int e, const float *g,
                   int K, const int32_t *targets, const float *mu, float lambda_p,
                   float logit_scale) {
    double *u = dalloc((size_t)e), *z = dalloc((size_t)K), *du = dalloc((size_t)e), nm;
    for (int i = 0; i < n; i++) {
        int t = targets[i];
        unit_rows(f + (size_t)i * e, 1, e, u, &nm);
        for (int c = 0; c < K; c++) {
            double s = 0;
            for (int j = 0; j < e; j++) s += u[j] * g[(size_t)c * e + j];
            z[c] = (double)logit_scale * s;
        }
        double lse = log_sum_exp_d(z, K), v = 0;
        if (mu) {
            double s = 0;
            for (int j = 0; j < e; j++) s += u[j] * mu[(size_t)t * e + j];
            v = 1.0 - s;
        }
        ce[i] = (float)(lse - z[t]);
        vis[i] = (float)v;
        if (!d_f) continue;
        for (int j = 0; j < e; j++) {
            double s = 0;
            for (int c = 0; c < K; c++) s += (exp(z[c] - lse) - (c == t)) * g[(size_t)c * e + j];
            du[j] = (double)logit_scale * s;
            if (mu && lambda_p != 0.0f) du[j] -= (double)lambda_p * mu[(size_t)t * e + j];
        }
        for (int j = 0; j < e; j++) d_f[(size_t)i * e + j] = 0.0f;
        unit_rows_bwd(d_f + (size_t)i * e, du, u, &nm, 1, e, 1.0);
    }
    free(u), free(z), free(du);
}

static void r_pgd_step(float *x, const float *x0, const float *g, size_t n, float step,
                       float eps) {
    for (size_t i = 0; i < n; i++) {
        double sg = g[i] > 0 ? 1.0 : g[i] < 0 ? -1.0 : 0.0;
        double d = fmin(fmax((double)x[i] - x0[i] - (double)step * sg, -(double)eps), eps);
        x[i] = (float)fmin(fmax((double)x0[i] + d, 0.0), 1.0);
    }
}

static void r_jsd_rows(float *out, const float *lp, const float *lq, int n, int c) {
    double *z = dalloc((size_t)c), *p = dalloc((size_t)c), *q = dalloc((size_t)c);
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < c; j++) z[j] = lp[(size_t)i * c + j];
        softmax_d(z, c, c, p);
        for (int j = 0; j < c; j++) z[j] = lq[(size_t)i * c + j];
        softmax_d(z, c, c, q);
        double js = 0;
        for (int j = 0; j < c; j++) {
            double m = 0.5 * (p[j] + q[j]);
            if (p[j] > 0) js += 0.5 * p[j] * log(p[j] / m);
            if (q[j] > 0) js += 0.5 * q[j] * log(q[j] / m);
        }
        out[i] = (float)fmin(fmax(js, 0.0), log(2.0));
    }
    free(z), free(p), free(q);
}

static const segp_backend ref = {
    .name = "ref",
    .host_memory = 1,
    .alloc = r_alloc,
    .free = r_free,
    .to_device = r_copy,
    .to_host = r_copy,
    .zero = r_zero,
    .copy = r_copy,
    .sync = r_sync,
    .set_math = r_set_math,
    .describe = r_describe,
    .gemm = r_gemm,
    .add_bias = r_add_bias,
    .bias_grad = r_bias_grad,
    .layernorm_fwd = r_layernorm_fwd,
    .layernorm_bwd = r_layernorm_bwd,
    .act_fwd = r_act_fwd,
    .act_bwd = r_act_bwd,
    .attention_fwd = r_attention_fwd,
    .attention_bwd = r_attention_bwd,
    .add = r_add,
    .axpy = r_axpy,
    .scale = r_scale,
    .im2patch = r_im2patch,
    .patch2im = r_patch2im,
    .vision_embed = r_vision_embed,
    .vision_embed_bwd = r_vision_embed_bwd,
    .text_embed = r_text_embed,
    .text_embed_bwd = r_text_embed_bwd,
    .gather_rows = r_gather_rows,
    .scatter_add_rows = r_scatter_add_rows,
    .l2norm_fwd = r_l2norm_fwd,
    .l2norm_bwd = r_l2norm_bwd,
    .softmax = r_softmax,
    .cross_entropy_fwd_bwd = r_cross_entropy,
    .transpose = r_transpose,
    .dot_acc = r_dot_acc,
    .argmax_rows = r_argmax_rows,
    .channel_affine = r_channel_affine,
    .adamw_step = r_adamw_step,
    .sgd_step = r_sgd_step,
    .acgd_fwd_bwd = r_acgd,
    .tsgr_fwd_bwd = r_tsgr,
    .dpgd_fwd_bwd = r_dpgd,
    .pgd_step = r_pgd_step,
    .jsd_rows = r_jsd_rows,
};

const segp_backend *ref_backend(void) { return &ref; }
