/* geometry.c: cosine-similarity matrices and the summaries comparing two of them (mean |dG|,
 * Pearson r, linear CKA); see geometry.h. Everything accumulates in double, and the few
 * parallel loops keep one partial per row, summed in order, so the thread count never changes
 * a result. */
#include "geometry.h"

#include <math.h>
#include <stdlib.h>

#include "core/common.h"

/* 1 / ||row|| for each row (0 for a zero row). */
static double *inv_norms(const float *a, int n, int e) {
    double *r = segp_malloc((size_t)(n > 0 ? n : 1) * sizeof(double));
    for (int i = 0; i < n; i++) {
        double s = 0;
        for (int k = 0; k < e; k++) s += (double)a[(size_t)i * e + k] * a[(size_t)i * e + k];
        r[i] = s > 0 ? 1.0 / sqrt(s) : 0.0;
    }
    return r;
}

void geom_cosine_matrix(const float *a, int na, const float *b, int nb, int e, float *out) {
    double *ia = inv_norms(a, na, e), *ib = inv_norms(b, nb, e);
#pragma omp parallel for schedule(static)
    for (int i = 0; i < na; i++)
        for (int j = 0; j < nb; j++) {
            const float *x = a + (size_t)i * e, *y = b + (size_t)j * e;
            double s = 0;
            for (int k = 0; k < e; k++) s += (double)x[k] * y[k];
            out[(size_t)i * nb + j] = (float)(s * ia[i] * ib[j]);
        }
    free(ia);
    free(ib);
}

double geom_mean_abs_diff(const float *a, const float *b, long n) {
    if (n <= 0) return NAN;
    double s = 0;
    for (long i = 0; i < n; i++) s += fabs((double)a[i] - b[i]);
    return s / n;
}

/* Pearson r of pairs (x_t, y_t) streamed twice by the caller's loop: two-pass for accuracy. */
typedef struct {
    double sx, sy, sxx, syy, sxy;
    long n;
} pearson_acc;

static double pearson_finish(const pearson_acc *p) {
    if (p->n < 2 || p->sxx <= 0 || p->syy <= 0) return NAN;
    double r = p->sxy / sqrt(p->sxx * p->syy);
    return fmin(fmax(r, -1.0), 1.0);
}

double geom_pearson(const float *a, const float *b, long n) {
    if (n < 2) return NAN;
    pearson_acc p = {0};
    for (long i = 0; i < n; i++) {
        p.sx += a[i];
        p.sy += b[i];
    }
    double mx = p.sx / n, my = p.sy / n;
    for (long i = 0; i < n; i++) {
        double dx = a[i] - mx, dy = b[i] - my;
        p.sxx += dx * dx;
        p.syy += dy * dy;
        p.sxy += dx * dy;
    }
    p.n = n;
    return pearson_finish(&p);
}

double geom_pearson_upper(const float *a, const float *b, int n) {
    if (n < 3) return NAN;
    pearson_acc p = {0};
    long m = 0;
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++) {
            p.sx += a[(size_t)i * n + j];
            p.sy += b[(size_t)i * n + j];
            m++;
        }
    double mx = p.sx / m, my = p.sy / m;
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++) {
            double dx = a[(size_t)i * n + j] - mx, dy = b[(size_t)i * n + j] - my;
            p.sxx += dx * dx;
            p.syy += dy * dy;
            p.sxy += dx * dy;
        }
    p.n = m;
    return pearson_finish(&p);
}

/* sum over a < nu, b < nv of (u_a . v_b)^2, u_a and v_b vectors of LEN doubles. */
static double cross_frob2(const double *u, int nu, const double *v, int nv, int len) {
    double *part = segp_malloc((size_t)nu * sizeof(double));
#pragma omp parallel for schedule(static)
    for (int a = 0; a < nu; a++) {
        double s = 0;
        for (int b = 0; b < nv; b++) {
            const double *x = u + (size_t)a * len, *y = v + (size_t)b * len;
            double d = 0;
            for (int k = 0; k < len; k++) d += x[k] * y[k];
            s += d * d;
        }
        part[a] = s;
    }
    double s = 0;
    for (int a = 0; a < nu; a++) s += part[a];
    free(part);
    return s;
}

/* X [n, d] with its columns centred, as double: transposed ([d, n]) when T. */
static double *centred(const float *x, int n, int d, int t) {
    double *c = segp_malloc((size_t)n * d * sizeof(double));
    for (int k = 0; k < d; k++) {
        double mu = 0;
        for (int i = 0; i < n; i++) mu += x[(size_t)i * d + k];
        mu /= n;
        for (int i = 0; i < n; i++)
            c[t ? (size_t)k * n + i : (size_t)i * d + k] = x[(size_t)i * d + k] - mu;
    }
    return c;
}

/* Gram matrix X X^T of the n rows of C [n, d]. */
static double *gram(const double *c, int n, int d) {
    double *g = segp_malloc((size_t)n * n * sizeof(double));
#pragma omp parallel for schedule(static)
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            double s = 0;
            for (int k = 0; k < d; k++) s += c[(size_t)i * d + k] * c[(size_t)j * d + k];
            g[(size_t)i * n + j] = s;
        }
    return g;
}

double geom_linear_cka(const float *x, const float *y, int n, int dx, int dy) {
    if (n < 1 || dx < 1 || dy < 1) return NAN;
    double hsic, nx, ny;
    /* ||Y^T X||_F^2 = <K_X, K_Y>_F with K = centred Gram matrices: take the cheaper side */
    double cost_feat = (double)n * ((double)dx * dy + (double)dx * dx + (double)dy * dy);
    double cost_gram = (double)n * n * (dx + dy + 1.0);
    if (cost_feat <= cost_gram) {
        double *xt = centred(x, n, dx, 1), *yt = centred(y, n, dy, 1);
        hsic = cross_frob2(yt, dy, xt, dx, n);
        nx = cross_frob2(xt, dx, xt, dx, n);
        ny = cross_frob2(yt, dy, yt, dy, n);
        free(xt);
        free(yt);
    } else {
        double *xc = centred(x, n, dx, 0), *yc = centred(y, n, dy, 0);
        double *kx = gram(xc, n, dx), *ky = gram(yc, n, dy);
        hsic = nx = ny = 0;
        for (size_t i = 0; i < (size_t)n * n; i++) {
            hsic += kx[i] * ky[i];
            nx += kx[i] * kx[i];
            ny += ky[i] * ky[i];
        }
        free(xc);
        free(yc);
        free(kx);
        free(ky);
    }
    if (!(nx > 0) || !(ny > 0)) return NAN;
    double r = hsic / (sqrt(nx) * sqrt(ny));
    return fmin(fmax(r, 0.0), 1.0);
}
