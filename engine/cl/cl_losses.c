/* cl_losses.c: SeGP-CL's loss terms on embeddings (see cl_losses.h): ACGD (§5), TSGR (§6) and
 * the DPGD objective (§3.3), each in double with its gradient back through the L2
 * normalisation, and the ACGD and TSGR loss terms of the training step. Plain loops: the sizes
 * are small (anchors x old classes, classes x neighbours) and the result must not depend on
 * threads. */
#include "cl_losses.h"

#include <math.h>
#include <stdlib.h>

#include "core/common.h"

/* Rows of X [n, e] L2-normalised into Y (double), their norms into NORM. A zero row stays zero
 * (as the backend's l2norm). */
static void normalise_rows(const float *x, int n, int e, double *y, double *norm) {
    for (int i = 0; i < n; i++) {
        const float *xi = x + (size_t)i * e;
        double s = 0;
        for (int j = 0; j < e; j++) s += (double)xi[j] * xi[j];
        double nm = sqrt(s), inv = nm > 0 ? 1.0 / nm : 0.0;
        for (int j = 0; j < e; j++) y[(size_t)i * e + j] = xi[j] * inv;
        norm[i] = nm;
    }
}

/* DX [n, e] += WEIGHT * dL/dX, given DY = dL/dY with Y = X / |X| row by row. */
static void normalise_bwd_add(const double *dy, const double *y, const double *norm, int n, int e,
                              double weight, float *dx) {
    for (int i = 0; i < n; i++) {
        const double *yi = y + (size_t)i * e, *gi = dy + (size_t)i * e;
        double dot = 0;
        for (int j = 0; j < e; j++) dot += yi[j] * gi[j];
        double s = norm[i] > 0 ? weight / norm[i] : 0.0;
        for (int j = 0; j < e; j++) dx[(size_t)i * e + j] += (float)((gi[j] - yi[j] * dot) * s);
    }
}

static double dot(const double *a, const double *b, int e) {
    double s = 0;
    for (int j = 0; j < e; j++) s += a[j] * b[j];
    return s;
}

/* log(sum exp(z)) of K values, stable. */
static double log_sum_exp(const double *z, int K) {
    double m = z[0], s = 0;
    for (int c = 1; c < K; c++)
        if (z[c] > m) m = z[c];
    for (int c = 0; c < K; c++) s += exp(z[c] - m);
    return m + log(s);
}

/* KL(P || softmax(Z)) over K classes; G (may be NULL) receives dKL/dZ. P need not sum to 1
 * exactly (float teacher rows): the gradient is then softmax * sum(P) - P, the exact one. */
static double kl_softmax(const float *p, const double *z, int K, double *g) {
    double lse = log_sum_exp(z, K), kl = 0, sp = 0;
    for (int c = 0; c < K; c++) {
        double pc = p[c];
        if (pc > 0) kl += pc * (log(pc) - (z[c] - lse));
        sp += pc;
    }
    if (g)
        for (int c = 0; c < K; c++) g[c] = exp(z[c] - lse) * sp - p[c];
    return kl;
}

float loss_term_cls(const loss_term *t, step_ctx *ctx) {
    const cls_term *u = t->user;
    step_ctx sub = *ctx; /* the first rows of txt and d_txt */
    sub.n_txt = u->n_txt;
    loss_term inner = *t;
    inner.user = (void *)&u->ce;
    float v = loss_term_clip_ce(&inner, &sub);
    ctx->d_log_scale = sub.d_log_scale;
    return v;
}

/* ---- ACGD ---- */

double acgd_loss(const float *f, int n, const float *g, int K, int e, const float *p_teacher,
                 float logit_scale, float tau, float weight, float *d_f, float *d_g) {
    if (n <= 0 || K <= 0) return 0;
    double *fh = segp_malloc((size_t)n * e * sizeof(double));
    double *gh = segp_malloc((size_t)K * e * sizeof(double));
    double *nf = segp_malloc((size_t)n * sizeof(double)),
           *ng = segp_malloc((size_t)K * sizeof(double));
    double *dz = segp_malloc((size_t)n * K * sizeof(double)),
           *z = segp_malloc((size_t)K * sizeof(double));
    normalise_rows(f, n, e, fh, nf);
    normalise_rows(g, K, e, gh, ng);
    double a_scale = (double)logit_scale / tau, kl = 0;
    for (int a = 0; a < n; a++) {
        for (int c = 0; c < K; c++) z[c] = a_scale * dot(fh + (size_t)a * e, gh + (size_t)c * e, e);
        kl += kl_softmax(p_teacher + (size_t)a * K, z, K, dz + (size_t)a * K);
    }
    double t2 = (double)tau * tau, loss = t2 * kl / n;
    /* dL/dz = tau^2 / n * dKL/dz and dz/df^ = (logit_scale / tau) g^ */
    double s = t2 / n * a_scale;
    if (d_f) {
        double *d = segp_calloc((size_t)n * e, sizeof(double));
        for (int a = 0; a < n; a++)
            for (int c = 0; c < K; c++) {
                double w = s * dz[(size_t)a * K + c];
                const double *gc = gh + (size_t)c * e;
                for (int j = 0; j < e; j++) d[(size_t)a * e + j] += w * gc[j];
            }
        normalise_bwd_add(d, fh, nf, n, e, weight, d_f);
        free(d);
    }
    if (d_g) {
        double *d = segp_calloc((size_t)K * e, sizeof(double));
        for (int a = 0; a < n; a++)
            for (int c = 0; c < K; c++) {
                double w = s * dz[(size_t)a * K + c];
                const double *fa = fh + (size_t)a * e;
                for (int j = 0; j < e; j++) d[(size_t)c * e + j] += w * fa[j];
            }
        normalise_bwd_add(d, gh, ng, K, e, weight, d_g);
        free(d);
    }
    free(fh), free(gh), free(nf), free(ng), free(dz), free(z);
    return loss;
}

void acgd_teacher_probs(const float *ft, int n, const float *gt, int K, int e, float logit_scale,
                        float tau, float *p) {
    if (K <= 0) return;
    double *z = segp_malloc((size_t)K * sizeof(double)), a_scale = (double)logit_scale / tau;
    for (int a = 0; a < n; a++) {
        const float *fa = ft + (size_t)a * e;
        for (int c = 0; c < K; c++) {
            const float *gc = gt + (size_t)c * e;
            double s = 0;
            for (int j = 0; j < e; j++) s += (double)fa[j] * gc[j];
            z[c] = a_scale * s;
        }
        double lse = log_sum_exp(z, K);
        for (int c = 0; c < K; c++) p[(size_t)a * K + c] = (float)exp(z[c] - lse);
    }
    free(z);
}

float loss_term_acgd(const loss_term *t, step_ctx *ctx) {
    const acgd_term *u = t->user;
    int e = ctx->e;
    if (u->n <= 0) return 0.0f; /* no anchors in this step */
    if (u->img0 < 0 || u->img0 + u->n > ctx->n_img || u->txt0 < 0 || u->K < 1 ||
        u->txt0 + u->K > ctx->n_txt || !ctx->txt) {
        SEGP_FAIL("loss term '%s': anchors at image rows %d..%d and old classes at text rows "
                  "%d..%d, but the batch has %d images and %d texts",
                  t->name, u->img0, u->img0 + u->n - 1, u->txt0, u->txt0 + u->K - 1, ctx->n_img,
                  ctx->n_txt);
        return NAN;
    }
    float *d_f = ctx->d_img ? ctx->d_img + (size_t)u->img0 * e : NULL;
    float *d_g = ctx->d_txt ? ctx->d_txt + (size_t)u->txt0 * e : NULL;
    return (float)acgd_loss(ctx->img + (size_t)u->img0 * e, u->n, ctx->txt + (size_t)u->txt0 * e,
                            u->K, e, u->p_teacher, ctx->logit_scale, u->tau, t->weight, d_f, d_g);
}

/* ---- TSGR ---- */

double tsgr_loss(const float *g, int e, const int32_t *rows, int n_cls, const int32_t *nbr, int k,
                 const float *p_ref, float tau, float weight, float *d_g) {
    if (n_cls <= 0 || k <= 0) return 0;
    int n_rows = 0; /* the rows used are 0..n_rows-1 at most */
    for (int i = 0; i < n_cls; i++) {
        if (rows[i] >= n_rows) n_rows = rows[i] + 1;
        for (int j = 0; j < k; j++)
            if (nbr[(size_t)i * k + j] >= n_rows) n_rows = nbr[(size_t)i * k + j] + 1;
    }
    double *gh = segp_malloc((size_t)n_rows * e * sizeof(double));
    double *nm = segp_malloc((size_t)n_rows * sizeof(double));
    double *d = d_g ? segp_calloc((size_t)n_rows * e, sizeof(double)) : NULL;
    double *z = segp_malloc((size_t)k * sizeof(double)),
           *dz = segp_malloc((size_t)k * sizeof(double));
    normalise_rows(g, n_rows, e, gh, nm);
    double kl = 0, inv_tau = 1.0 / tau;
    for (int i = 0; i < n_cls; i++) {
        const int32_t *nb = nbr + (size_t)i * k;
        const double *a = gh + (size_t)rows[i] * e;
        for (int j = 0; j < k; j++) z[j] = dot(a, gh + (size_t)nb[j] * e, e) * inv_tau;
        kl += kl_softmax(p_ref + (size_t)i * k, z, k, d ? dz : NULL);
        if (!d) continue;
        /* dL/dz_j = dKL/dz_j / n_cls; z_j = a . b_j / tau */
        double *da = d + (size_t)rows[i] * e;
        for (int j = 0; j < k; j++) {
            double w = dz[j] * inv_tau / n_cls;
            const double *b = gh + (size_t)nb[j] * e;
            double *db = d + (size_t)nb[j] * e;
            for (int q = 0; q < e; q++) da[q] += w * b[q], db[q] += w * a[q];
        }
    }
    if (d) normalise_bwd_add(d, gh, nm, n_rows, e, weight, d_g);
    free(gh), free(nm), free(d), free(z), free(dz);
    return kl / n_cls;
}

int tsgr_reference(const float *g0, int n, int e, const int32_t *cls, int n_cls, int k, float tau,
                   int32_t *nbr, float *p_ref) {
    if (k < 0 || k > n - 1)
        return SEGP_FAIL("TSGR reference: %d neighbours asked among %d candidate classes "
                         "(expected 0..%d: the candidates other than the class itself)",
                         k, n, n - 1 > 0 ? n - 1 : 0);
    for (int i = 0; i < n_cls; i++)
        if (cls[i] < 0 || cls[i] >= n)
            return SEGP_FAIL("TSGR reference: class %d is row %d (expected 0..%d)", i, cls[i],
                             n - 1);
    double *sim = segp_malloc((size_t)(n > 0 ? n : 1) * sizeof(double));
    uint8_t *taken = segp_malloc((size_t)(n > 0 ? n : 1));
    double *z = segp_malloc((size_t)(k > 0 ? k : 1) * sizeof(double));
    for (int i = 0; i < n_cls; i++) {
        const float *a = g0 + (size_t)cls[i] * e;
        for (int r = 0; r < n; r++) {
            const float *b = g0 + (size_t)r * e;
            double s = 0;
            for (int j = 0; j < e; j++) s += (double)a[j] * b[j];
            sim[r] = s;
            taken[r] = r == cls[i];
        }
        /* k largest by selection: a strict > keeps the lower row on ties */
        for (int j = 0; j < k; j++) {
            int best = -1;
            for (int r = 0; r < n; r++)
                if (!taken[r] && (best < 0 || sim[r] > sim[best])) best = r;
            taken[best] = 1;
            nbr[(size_t)i * k + j] = best;
            z[j] = sim[best] / tau;
        }
        if (k == 0) continue;
        double lse = log_sum_exp(z, k);
        for (int j = 0; j < k; j++) p_ref[(size_t)i * k + j] = (float)exp(z[j] - lse);
    }
    free(sim), free(taken), free(z);
    return 0;
}

float loss_term_tsgr(const loss_term *t, step_ctx *ctx) {
    const tsgr_term *u = t->user;
    if (u->n_cls <= 0 || u->k <= 0) return 0.0f;
    for (int i = 0; i < u->n_cls; i++)
        for (int j = -1; j < u->k; j++) { /* j = -1: the class itself, then its neighbours */
            int r = j < 0 ? u->rows[i] : u->nbr[(size_t)i * u->k + j];
            if (r < 0 || r >= ctx->n_txt || !ctx->txt) {
                SEGP_FAIL("loss term '%s': class %d uses text row %d, but the batch has %d texts",
                          t->name, i, r, ctx->n_txt);
                return NAN;
            }
        }
    return (float)tsgr_loss(ctx->txt, ctx->e, u->rows, u->n_cls, u->nbr, u->k, u->p_ref, u->tau,
                            t->weight, ctx->d_txt);
}

/* ---- the DPGD objective ---- */

double dpgd_objective(const float *f, int e, const float *g, int K, int target, const float *mu,
                      float lambda_p, float logit_scale, double *ce, double *vis, float *d_f) {
    SEGP_CHECK(K >= 1 && target >= 0 && target < K, "DPGD target outside the old classes");
    double *fh = segp_malloc((size_t)e * sizeof(double)),
           *z = segp_malloc((size_t)K * sizeof(double));
    double nm;
    normalise_rows(f, 1, e, fh, &nm);
    for (int c = 0; c < K; c++) {
        const float *gc = g + (size_t)c * e;
        double s = 0;
        for (int j = 0; j < e; j++) s += fh[j] * gc[j];
        z[c] = (double)logit_scale * s;
    }
    double lse = log_sum_exp(z, K), l_ce = lse - z[target], v = 0;
    int use_vis = mu && lambda_p != 0.0f;
    if (mu) {
        double s = 0;
        for (int j = 0; j < e; j++) s += fh[j] * mu[j];
        v = 1.0 - s;
    }
    if (ce) *ce = l_ce;
    if (vis) *vis = v;
    if (d_f) {
        /* dL/df^ = logit_scale sum_c (softmax_c - [c == target]) g_c - lambda_p mu */
        double *d = segp_calloc((size_t)e, sizeof(double));
        for (int c = 0; c < K; c++) {
            double w = (double)logit_scale * (exp(z[c] - lse) - (c == target));
            const float *gc = g + (size_t)c * e;
            for (int j = 0; j < e; j++) d[j] += w * gc[j];
        }
        if (use_vis)
            for (int j = 0; j < e; j++) d[j] -= (double)lambda_p * mu[j];
        for (int j = 0; j < e; j++) d_f[j] = 0.0f;
        normalise_bwd_add(d, fh, &nm, 1, e, 1.0, d_f);
        free(d);
    }
    free(fh), free(z);
    return l_ce + (use_vis ? (double)lambda_p * v : 0.0);
}
