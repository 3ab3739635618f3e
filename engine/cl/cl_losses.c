/* cl_losses.c: SeGP-CL's loss terms on embeddings (see cl_losses.h): ACGD (§5), TSGR (§6) and
 * the DPGD objective (§3.3). The arithmetic is the backend's (ops acgd_fwd_bwd, tsgr_fwd_bwd,
 * dpgd_fwd_bwd; the CPU's double-precision cores serve the host functions here); this file
 * holds the loss terms of the training step and the teacher/reference sides built once per
 * task. */
#include "cl_losses.h"

#include <math.h>
#include <stdlib.h>

#include "backend/cpu/ops_cpu_internal.h"
#include "core/common.h"

int loss_term_cls(const loss_term *t, step_ctx *ctx, float *value) {
    const cls_term *u = t->user;
    step_ctx sub = *ctx; /* the first rows of txt and d_txt */
    sub.n_txt = u->n_txt;
    loss_term inner = *t;
    inner.user = (void *)&u->ce;
    return loss_term_clip_ce(&inner, &sub, value);
}

/* ---- ACGD ---- */

double acgd_loss(const float *f, int n, const float *g, int K, int e, const float *p_teacher,
                 float logit_scale, float tau, float weight, float *d_f, float *d_g) {
    return cpu_acgd_loss(f, n, g, K, e, p_teacher, logit_scale, tau, weight, d_f, d_g);
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
        double lse = cpu_log_sum_exp(z, K);
        for (int c = 0; c < K; c++) p[(size_t)a * K + c] = (float)exp(z[c] - lse);
    }
    free(z);
}

int loss_term_acgd(const loss_term *t, step_ctx *ctx, float *value) {
    const acgd_term *u = t->user;
    int e = ctx->e;
    if (u->n <= 0) { /* no anchors in this step */
        ctx->be->zero(value, sizeof(float));
        return 0;
    }
    if (u->img0 < 0 || u->img0 + u->n > ctx->n_img || u->txt0 < 0 || u->K < 1 ||
        u->txt0 + u->K > ctx->n_txt || !ctx->txt)
        return SEGP_FAIL("loss term '%s': anchors at image rows %d..%d and old classes at text "
                         "rows %d..%d, but the batch has %d images and %d texts",
                         t->name, u->img0, u->img0 + u->n - 1, u->txt0, u->txt0 + u->K - 1,
                         ctx->n_img, ctx->n_txt);
    float *d_f = ctx->d_img ? ctx->d_img + (size_t)u->img0 * e : NULL;
    float *d_g = ctx->d_txt ? ctx->d_txt + (size_t)u->txt0 * e : NULL;
    const float *p = step_upload(ctx, u->p_teacher, (size_t)u->n * u->K * sizeof(float));
    ctx->be->acgd_fwd_bwd(value, d_f, d_g, ctx->img + (size_t)u->img0 * e, u->n,
                          ctx->txt + (size_t)u->txt0 * e, u->K, e, p, ctx->logit_scale, u->tau,
                          t->weight);
    return 0;
}

/* ---- TSGR ---- */

/* The rows a TSGR term uses are 0..n_rows-1. */
static int tsgr_rows_used(const int32_t *rows, int n_cls, const int32_t *nbr, int k) {
    int n_rows = 0;
    for (int i = 0; i < n_cls; i++) {
        if (rows[i] >= n_rows) n_rows = rows[i] + 1;
        for (int j = 0; j < k; j++)
            if (nbr[(size_t)i * k + j] >= n_rows) n_rows = nbr[(size_t)i * k + j] + 1;
    }
    return n_rows;
}

double tsgr_loss(const float *g, int e, const int32_t *rows, int n_cls, const int32_t *nbr, int k,
                 const float *p_ref, float tau, float weight, float *d_g) {
    if (n_cls <= 0 || k <= 0) return 0;
    return cpu_tsgr_loss(g, tsgr_rows_used(rows, n_cls, nbr, k), e, rows, n_cls, nbr, k, p_ref,
                         tau, weight, d_g);
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
        double lse = cpu_log_sum_exp(z, k);
        for (int j = 0; j < k; j++) p_ref[(size_t)i * k + j] = (float)exp(z[j] - lse);
    }
    free(sim), free(taken), free(z);
    return 0;
}

int loss_term_tsgr(const loss_term *t, step_ctx *ctx, float *value) {
    const tsgr_term *u = t->user;
    if (u->n_cls <= 0 || u->k <= 0) {
        ctx->be->zero(value, sizeof(float));
        return 0;
    }
    for (int i = 0; i < u->n_cls; i++)
        for (int j = -1; j < u->k; j++) { /* j = -1: the class itself, then its neighbours */
            int r = j < 0 ? u->rows[i] : u->nbr[(size_t)i * u->k + j];
            if (r < 0 || r >= ctx->n_txt || !ctx->txt)
                return SEGP_FAIL("loss term '%s': class %d uses text row %d, but the batch has "
                                 "%d texts",
                                 t->name, i, r, ctx->n_txt);
        }
    size_t nk = (size_t)u->n_cls * u->k;
    const int32_t *rows = step_upload(ctx, u->rows, (size_t)u->n_cls * sizeof(int32_t));
    const int32_t *nbr = step_upload(ctx, u->nbr, nk * sizeof(int32_t));
    const float *p = step_upload(ctx, u->p_ref, nk * sizeof(float));
    int n_rows = tsgr_rows_used(u->rows, u->n_cls, u->nbr, u->k);
    ctx->be->tsgr_fwd_bwd(value, ctx->d_txt, ctx->txt, n_rows, ctx->e, rows, u->n_cls, nbr, u->k,
                          p, u->tau, t->weight);
    return 0;
}

/* ---- the DPGD objective ---- */

double dpgd_objective(const float *f, int e, const float *g, int K, int target, const float *mu,
                      float lambda_p, float logit_scale, double *ce, double *vis, float *d_f) {
    SEGP_CHECK(K >= 1 && target >= 0 && target < K, "DPGD target outside the old classes");
    return cpu_dpgd_row(f, e, g, K, target, mu, lambda_p, logit_scale, ce, vis, d_f);
}
