/* projection.c: PCA through LAPACK's dsyevd on the covariance, and exact t-SNE (see
 * projection.h and projection_internal.h).
 *
 * LAPACK comes from the OpenBLAS the program already links (Debian ships it without the
 * LAPACKE C wrappers), so dsyevd_ is called through its Fortran interface, declared below.
 *
 * Thread independence: every parallel loop runs over rows, each row's sums are taken in a fixed
 * order by one thread, and totals over rows are summed afterwards in row order. */

#include "projection.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "core/common.h"
#include "core/rng.h"
#include "projection_internal.h"

/* LAPACK (Fortran, LP64): eigenvalues ascending in W, eigenvectors in the columns of A. The
 * trailing arguments are the hidden lengths of the two character arguments. */
void dsyevd_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda,
             double *w, double *work, const int *lwork, int *iwork, const int *liwork, int *info,
             size_t jobz_len, size_t uplo_len);

/* Eigen-decomposition of the symmetric D x D matrix A (replaced by the eigenvectors). The
 * OpenMP build of OpenBLAS takes its thread count from omp_get_max_threads() at each call: one
 * thread here makes the result independent of the thread count, and a d <= 1000 problem gains
 * little from more (while on a busy machine its many small parallel BLAS calls can stall). */
static int sym_eigen(double *a, int d, double *w) {
    int lwork = -1, liwork = -1, info = 0, iw = 0;
    double wq = 0;
    int threads = omp_get_max_threads();
    omp_set_num_threads(1);
    dsyevd_("V", "U", &d, a, &d, w, &wq, &lwork, &iw, &liwork, &info, 1, 1);
    if (info == 0) {
        lwork = (int)wq;
        liwork = iw;
        double *work = segp_malloc((size_t)lwork * sizeof(double));
        int *iwork = segp_malloc((size_t)liwork * sizeof(int));
        dsyevd_("V", "U", &d, a, &d, w, work, &lwork, iwork, &liwork, &info, 1, 1);
        free(work);
        free(iwork);
    }
    omp_set_num_threads(threads);
    if (info != 0)
        return SEGP_FAIL("PCA: LAPACK dsyevd failed on the %d x %d covariance (info %d)", d, d,
                         info);
    return 0;
}

int proj_pca(const float *x, int n, int d, int k, float *out, float *explained) {
    if (n < 2 || d < 1)
        return SEGP_FAIL("PCA: %d points of %d dims (expected at least 2 points)", n, d);
    if (k < 1 || k > n || k > d)
        return SEGP_FAIL("PCA: %d components of %d points in %d dims (expected 1..%d)", k, n, d,
                         n < d ? n : d);
    /* centred columns, transposed [d, n] so the covariance's dot products run contiguously */
    double *xt = segp_malloc((size_t)n * d * sizeof(double));
    for (int c = 0; c < d; c++) {
        double mu = 0;
        for (int i = 0; i < n; i++) mu += x[(size_t)i * d + c];
        mu /= n;
        for (int i = 0; i < n; i++) xt[(size_t)c * n + i] = x[(size_t)i * d + c] - mu;
    }
    double *cov = segp_malloc((size_t)d * d * sizeof(double)),
           *w = segp_malloc((size_t)d * sizeof(double));
#pragma omp parallel for schedule(dynamic, 4)
    for (int a = 0; a < d; a++)
        for (int b = a; b < d; b++) {
            double s = 0;
            for (int i = 0; i < n; i++) s += xt[(size_t)a * n + i] * xt[(size_t)b * n + i];
            cov[(size_t)a * d + b] = cov[(size_t)b * d + a] = s / (n - 1);
        }
    double total = 0;
    for (int a = 0; a < d; a++) total += cov[(size_t)a * d + a];
    int rc = sym_eigen(cov, d, w);
    if (rc == 0)
        for (int c = 0; c < k; c++) {
            double *v = cov + (size_t)(d - 1 - c) * d; /* descending variance */
            int big = 0;
            for (int j = 1; j < d; j++)
                if (fabs(v[j]) > fabs(v[big])) big = j;
            double sg = v[big] < 0 ? -1.0 : 1.0;
            for (int i = 0; i < n; i++) {
                double s = 0;
                for (int j = 0; j < d; j++) s += xt[(size_t)j * n + i] * v[j];
                out[(size_t)i * k + c] = (float)(sg * s);
            }
            if (explained)
                explained[c] = total > 0 ? (float)(fmax(w[d - 1 - c], 0.0) / total) : NAN;
        }
    free(xt);
    free(cov);
    free(w);
    return rc;
}

tsne_params tsne_default_params(void) {
    return (tsne_params){.perplexity = 30, .iters = 1000, .exaggeration_iters = 250,
                         .learning_rate = 0, .seed = 0};
}

double tsne_effective_perplexity(double perplexity, int n) {
    double cap = (n - 1) / 3.0;
    return perplexity < cap ? perplexity : cap;
}

void tsne_affinities(const float *x, int n, int d, double perplexity, double *p) {
    double target = log(perplexity);
    double *cond = segp_malloc((size_t)n * n * sizeof(double));
#pragma omp parallel
    {
        double *dist = segp_malloc((size_t)n * sizeof(double));
#pragma omp for schedule(dynamic, 8)
        for (int i = 0; i < n; i++) {
            const float *xi = x + (size_t)i * d;
            double dmin = INFINITY;
            for (int j = 0; j < n; j++) {
                const float *xj = x + (size_t)j * d;
                double s = 0;
                for (int c = 0; c < d; c++) {
                    double t = (double)xi[c] - xj[c];
                    s += t * t;
                }
                dist[j] = s;
                if (j != i && s < dmin) dmin = s;
            }
            /* distances shifted by the nearest one: P is unchanged and the sum stays >= 1 */
            for (int j = 0; j < n; j++) dist[j] -= dmin;
            double *row = cond + (size_t)i * n;
            double beta = 1, lo = -INFINITY, hi = INFINITY, sum = 1;
            for (int step = 0; step < 100; step++) {
                double sdp = 0;
                sum = 0;
                for (int j = 0; j < n; j++) {
                    double v = j == i ? 0.0 : exp(-dist[j] * beta);
                    row[j] = v;
                    sum += v;
                    sdp += dist[j] * v;
                }
                double h = log(sum) + beta * sdp / sum;
                if (fabs(h - target) < 1e-5) break;
                if (h > target) {
                    lo = beta;
                    beta = hi == INFINITY ? beta * 2 : (beta + hi) / 2;
                } else {
                    hi = beta;
                    beta = lo == -INFINITY ? beta / 2 : (beta + lo) / 2;
                }
            }
            for (int j = 0; j < n; j++) row[j] /= sum;
        }
        free(dist);
    }
    double norm = 1.0 / (2.0 * n);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            p[(size_t)i * n + j] = (cond[(size_t)i * n + j] + cond[(size_t)j * n + i]) * norm;
    free(cond);
}

void tsne_initial_layout(int n, uint64_t seed, double *y) {
    rng_state r = rng_seed(seed, 0);
    for (int i = 0; i < 2 * n; i++) y[i] = 1e-4 * rng_normal(&r);
}

/* KL(P || Q) of the layout (Y0, Y1), Q_ij = num_ij / Z with num_ij = 1 / (1 + |y_i - y_j|^2). */
static double kl_div(const double *p, const double *y0, const double *y1, int n, double *rows) {
#pragma omp parallel for schedule(static)
    for (int i = 0; i < n; i++) {
        double z = 0, s = 0;
        for (int j = 0; j < n; j++) {
            if (j == i) continue;
            double dx = y0[i] - y0[j], dy = y1[i] - y1[j], t = 1.0 + dx * dx + dy * dy;
            double pij = p[(size_t)i * n + j];
            z += 1.0 / t;
            if (pij > 0) s += pij * log(pij * t);
        }
        rows[2 * i] = z;
        rows[2 * i + 1] = s;
    }
    double z = 0, s = 0, ps = 0;
    for (int i = 0; i < n; i++) {
        z += rows[2 * i];
        s += rows[2 * i + 1];
    }
    /* sum p log(p / (num / Z)) = sum p log(p t) + log Z sum p */
    for (size_t i = 0; i < (size_t)n * n; i++) ps += p[i];
    return s + log(z) * ps;
}

/* Adds to ACC (A0 A1 B0 B1 S) the terms of points j0..j1-1 for the point at (A, B). */
static inline void row_forces(const double *pr, const double *y0, const double *y1, double a,
                              double b, int j0, int j1, double *acc) {
    double a0 = acc[0], a1 = acc[1], b0 = acc[2], b1 = acc[3], sz = acc[4];
    for (int j = j0; j < j1; j++) {
        double dx = a - y0[j], dy = b - y1[j];
        double q = 1.0 / (1.0 + dx * dx + dy * dy), pq = pr[j] * q, qq = q * q;
        a0 += pq * dx;
        a1 += pq * dy;
        b0 += qq * dx;
        b1 += qq * dy;
        sz += q;
    }
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = b0;
    acc[3] = b1;
    acc[4] = sz;
}

double tsne_descend(const double *p, int n, const tsne_params *prm, double *y, double *kl_trace) {
    double lr = prm->learning_rate > 0 ? prm->learning_rate : fmax(n / 12.0 / 4.0, 50.0);
    double *y0 = segp_malloc((size_t)n * sizeof(double)),
           *y1 = segp_malloc((size_t)n * sizeof(double));
    double *rows = segp_malloc(5 * (size_t)n * sizeof(double)); /* per row: A0 A1 B0 B1 S */
    double *upd = segp_calloc(2 * (size_t)n, sizeof(double)),
           *gain = segp_malloc(2 * (size_t)n * sizeof(double));
    for (int i = 0; i < n; i++) {
        y0[i] = y[2 * i];
        y1[i] = y[2 * i + 1];
    }
    for (int i = 0; i < 2 * n; i++) gain[i] = 1;
    for (int it = 0; it < prm->iters; it++) {
        int early = it < prm->exaggeration_iters;
        double exag = early ? 12.0 : 1.0, mom = early ? 0.5 : 0.8;
        /* dC/dy_i = 4 sum_j (exag p_ij - num_ij / Z) num_ij (y_i - y_j): one pass per row
         * gathers the attractive part A_i, the unnormalised repulsive part B_i and the row's
         * share S_i of Z, so Z is only needed afterwards (one parallel region per iteration) */
#pragma omp parallel for schedule(static) if (n >= TSNE_PARALLEL_MIN)
        for (int i = 0; i < n; i++) {
            double acc[5] = {0};
            row_forces(p + (size_t)i * n, y0, y1, y0[i], y1[i], 0, i, acc);
            row_forces(p + (size_t)i * n, y0, y1, y0[i], y1[i], i + 1, n, acc);
            memcpy(rows + 5 * (size_t)i, acc, sizeof acc);
        }
        double z = 0;
        for (int i = 0; i < n; i++) z += rows[5 * (size_t)i + 4];
        /* per-coordinate gains (grow while the step keeps its direction), then momentum */
        for (int c = 0; c < 2 * n; c++) {
            const double *r = rows + 5 * (size_t)(c / 2);
            double g = 4.0 * (exag * r[c % 2] - r[2 + c % 2] / z);
            gain[c] = upd[c] * g < 0 ? gain[c] + 0.2 : gain[c] * 0.8;
            if (gain[c] < 0.01) gain[c] = 0.01;
            upd[c] = mom * upd[c] - lr * gain[c] * g;
        }
        for (int i = 0; i < n; i++) {
            y0[i] += upd[2 * i];
            y1[i] += upd[2 * i + 1];
        }
        if (kl_trace) kl_trace[it] = kl_div(p, y0, y1, n, rows);
    }
    double kl = kl_div(p, y0, y1, n, rows);
    for (int i = 0; i < n; i++) {
        y[2 * i] = y0[i];
        y[2 * i + 1] = y1[i];
    }
    free(y0);
    free(y1);
    free(rows);
    free(upd);
    free(gain);
    return kl;
}

double proj_tsne_bytes(int n) {
    /* tsne_affinities' conditional matrix beside proj_tsne's P, and the layout */
    return 2.0 * n * n * sizeof(double) + 2.0 * n * sizeof(double);
}

int proj_tsne(const float *x, int n, int d, const tsne_params *prm, float *out, double *kl) {
    if (n < 4) return SEGP_FAIL("t-SNE: %d points (expected at least 4)", n);
    if (d < 1) return SEGP_FAIL("t-SNE: %d dims (expected at least 1)", d);
    if (!(prm->perplexity > 0))
        return SEGP_FAIL("t-SNE: perplexity %g (expected > 0)", prm->perplexity);
    if (prm->iters < 0 || prm->exaggeration_iters < 0 || prm->learning_rate < 0)
        return SEGP_FAIL("t-SNE: %d iterations, %d exaggerated, learning rate %g (expected >= 0)",
                         prm->iters, prm->exaggeration_iters, prm->learning_rate);
    double *p = segp_malloc((size_t)n * n * sizeof(double)),
           *y = segp_malloc(2 * (size_t)n * sizeof(double));
    tsne_affinities(x, n, d, tsne_effective_perplexity(prm->perplexity, n), p);
    tsne_initial_layout(n, prm->seed, y);
    double k = tsne_descend(p, n, prm, y, NULL);
    for (int i = 0; i < 2 * n; i++) out[i] = (float)y[i];
    if (kl) *kl = k;
    free(p);
    free(y);
    return 0;
}
