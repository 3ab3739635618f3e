/* test_analytics.c: the per-task analytics (engine/metrics/drift.c, geometry.c, projection.c,
 * analytics.c): hand-computed drift, interface, curve and geometry cases; CKA invariances; PCA
 * and t-SNE against the float64 numpy references of tests/ref/analytics_ref.py
 * (tests/fixtures/analytics_ref.safetensors); t-SNE's behaviour (clusters kept apart, KL
 * falling, thread-count independence); analytics_write's files and summary round trip. */
#include <math.h>
#include <omp.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "core/common.h"
#include "core/rng.h"
#include "io/safetensors.h"
#include "metrics/analytics.h"
#include "metrics/drift.h"
#include "metrics/geometry.h"
#include "metrics/projection.h"
#include "metrics/projection_internal.h"
#include "run/rundir.h"
#include "test.h"

#define FIX "tests/fixtures/"

/* ---- drift ---- */

static double kl2(double p0, double p1, double m0, double m1) {
    return p0 * log(p0 / m0) + p1 * log(p1 / m1);
}

TEST(drift_jsd_hand) {
    /* row 0: p = (1/2, 1/2), q = softmax(ln 3, 0) = (3/4, 1/4), m = (5/8, 3/8);
     * row 1: identical rows -> 0; row 2: (1, 0) vs (0, 1) in the limit -> ln 2 */
    float lt[6] = {0, 0, 1.5f, -2, 200, 0}, ls[6] = {(float)log(3.0), 0, 1.5f, -2, 0, 200};
    float out[3];
    drift_jsd(lt, ls, 3, 2, out);
    double want = 0.5 * kl2(0.5, 0.5, 0.625, 0.375) + 0.5 * kl2(0.75, 0.25, 0.625, 0.375);
    CHECK_NEAR(out[0], want, 1e-7);
    CHECK_NEAR(out[1], 0.0, 1e-12);
    CHECK_NEAR(out[2], log(2.0), 1e-7);
    CHECK(out[2] <= (float)log(2.0));
    /* shifting all logits of a row changes nothing */
    float lt2[2] = {10, 10}, ls2[2] = {(float)log(3.0) - 7, -7};
    drift_jsd(lt2, ls2, 1, 2, out);
    CHECK_NEAR(out[0], want, 1e-6);
}

TEST(drift_jsd_numpy) {
    st_file *f = st_open(FIX "analytics_ref.safetensors");
    CHECK_MSG(f != NULL, "%s", segp_last_error());
    if (!f) return;
    float lt[20], ls[20], want[5], got[5];
    CHECK(st_read_f32(f, st_find(f, "jsd.lt"), lt) == 0);
    CHECK(st_read_f32(f, st_find(f, "jsd.ls"), ls) == 0);
    CHECK(st_read_f32(f, st_find(f, "jsd.value"), want) == 0);
    drift_jsd(lt, ls, 5, 4, got);
    for (int i = 0; i < 5; i++) CHECK_NEAR(got[i], want[i], 1e-6 + 1e-5 * want[i]);
    st_close(f);
}

TEST(drift_interface_hand) {
    /* 2 old then 2 new classes */
    float lt[8] = {1, 3, 2, 0.5f, 0, -1, 4, 5}, m[2];
    drift_interface(lt, 2, 2, 2, m);
    CHECK_NEAR(m[0], 1.0, 0);
    CHECK_NEAR(m[1], -5.0, 0);
    float one[3] = {-2, 7, 1};
    drift_interface(one, 1, 1, 2, m);
    CHECK_NEAR(m[0], -9.0, 0);
}

/* m over [-4, 4] with 4 bins of width 2 (edges -4 -2 0 2 4), no value on an inner edge:
 *   bin 0: #0 (old .1) #1 (old .2)   bin 1: #2 (new .3) #3 (old .4)
 *   bin 2: #4 (new .5) #5 (old .6) #6 (old .7)   bin 3: #7 (new .8) #8 (new .9) #9 (old 1)
 * |m| ascending: .25 (#4), .5 (#3 and #5: the lower index first), 1 (#6), ... */
static const float curve_m[10] = {-4, -3, -1.5f, -0.5f, 0.25f, 0.5f, 1, 2.5f, 3.5f, 4};
static const float curve_d[10] = {.1f, .2f, .3f, .4f, .5f, .6f, .7f, .8f, .9f, 1};
static const uint8_t curve_old[10] = {1, 1, 0, 1, 0, 1, 1, 0, 0, 1};

TEST(drift_curve_hand) {
    drift_curve c;
    CHECK(drift_curve_compute(curve_d, curve_m, curve_old, 10, 4, 0.2, &c) == 0);
    CHECK_EQ_INT(c.bins, 4);
    const float edges[5] = {-4, -2, 0, 2, 4};
    for (int b = 0; b < 5; b++) CHECK_NEAR(c.edges[b], edges[b], 1e-6);
    const int co[4] = {2, 1, 2, 1}, cn[4] = {0, 1, 1, 2};
    const double mo[4] = {.15, .4, .65, 1.0}, mn[4] = {NAN, .3, .5, .85};
    for (int b = 0; b < 4; b++) {
        CHECK_EQ_INT(c.count_old[b], co[b]);
        CHECK_EQ_INT(c.count_new[b], cn[b]);
        CHECK_NEAR(c.mean_old[b], mo[b], 1e-6);
        if (b == 0)
            CHECK(isnan(c.mean_new[b]));
        else
            CHECK_NEAR(c.mean_new[b], mn[b], 1e-6);
    }
    /* boundary = ceil(0.2 * 10) = 2 samples: #4 and #3 (tie with #5 to the lower index) */
    CHECK_NEAR(c.boundary, (.5 + .4) / 2, 1e-7);
    CHECK_NEAR(c.core, (5.5 - .9) / 8, 1e-7);
    CHECK_NEAR(c.ratio, ((.5 + .4) / 2) / ((5.5 - .9) / 8), 1e-7);
    CHECK_NEAR(c.mean_all, .55, 1e-7);
    drift_curve_free(&c);

    /* the config's float 0.2f (0.2000000030) still means 2 samples; 0.25 -> ceil(2.5) = 3 */
    CHECK(drift_curve_compute(curve_d, curve_m, curve_old, 10, 4, (double)0.2f, &c) == 0);
    CHECK_NEAR(c.boundary, .45, 1e-7);
    drift_curve_free(&c);
    CHECK(drift_curve_compute(curve_d, curve_m, curve_old, 10, 1, 0.25, &c) == 0);
    CHECK_NEAR(c.boundary, (.5 + .4 + .6) / 3, 1e-7);
    CHECK_NEAR(c.core, 4.0 / 7, 1e-7);
    CHECK_EQ_INT(c.count_old[0] + c.count_new[0], 10);
    drift_curve_free(&c);

    /* zero drift in the core: ratio NAN; every m equal: one populated bin */
    float zd[4] = {1, 0, 0, 0}, zm[4] = {0, 1, 2, 3}, flat[4] = {1, 1, 1, 1};
    uint8_t zo[4] = {1, 1, 1, 1};
    CHECK(drift_curve_compute(zd, zm, zo, 4, 2, 0.25, &c) == 0);
    CHECK_NEAR(c.boundary, 1.0, 0);
    CHECK(isnan(c.ratio));
    drift_curve_free(&c);
    CHECK(drift_curve_compute(zd, flat, zo, 4, 3, 0.5, &c) == 0);
    CHECK_EQ_INT(c.count_old[0], 4);
    CHECK_EQ_INT(c.count_old[1] + c.count_old[2], 0);
    drift_curve_free(&c);

    CHECK(drift_curve_compute(curve_d, curve_m, curve_old, 1, 4, 0.2, &c) == -1);
    CHECK(err_has("1 samples"));
    CHECK(drift_curve_compute(curve_d, curve_m, curve_old, 10, 0, 0.2, &c) == -1);
    CHECK(err_has("0 bins"));
    CHECK(drift_curve_compute(curve_d, curve_m, curve_old, 10, 4, 1.0, &c) == -1);
    CHECK(err_has("boundary fraction"));
}

/* ---- geometry ---- */

TEST(geometry_cosine_pearson_hand) {
    float a[6] = {1, 0, 1, 1, 0, 0}, b[4] = {2, 0, 0, 3}, out[6];
    geom_cosine_matrix(a, 3, b, 2, 2, out);
    const float want[6] = {1, 0, (float)M_SQRT1_2, (float)M_SQRT1_2, 0, 0};
    for (int i = 0; i < 6; i++) CHECK_NEAR(out[i], want[i], 1e-7);

    float x[4] = {1, -2, 3, 0.5f}, y[4] = {0, 0, 1, 1};
    CHECK_NEAR(geom_mean_abs_diff(x, y, 4), (1 + 2 + 2 + 0.5) / 4.0, 1e-12);
    CHECK(isnan(geom_mean_abs_diff(x, y, 0)));

    /* strict upper triangles (0,1) (0,2) (1,2): a = 1 2 3, b = 2 4 7; the rest is ignored.
     * r = sxy / sqrt(sxx syy) with sxy = 5, sxx = 2, syy = 114/9 */
    float ga[9] = {9, 1, 2, -5, 9, 3, 7, 7, 9}, gb[9] = {0, 2, 4, 100, 0, 7, -3, 8, 0};
    CHECK_NEAR(geom_pearson_upper(ga, gb, 3), 5.0 / sqrt(2.0 * 114.0 / 9.0), 1e-12);
    float gc[9] = {0, 1, 1, 0, 0, 1, 0, 0, 0};
    CHECK(isnan(geom_pearson_upper(ga, gc, 3)));
    CHECK(isnan(geom_pearson_upper(ga, gb, 2)));

    float p1[5] = {1, 2, 4, 8, 3}, p2[5], p3[5];
    for (int i = 0; i < 5; i++) {
        p2[i] = 2 * p1[i] + 1;
        p3[i] = -p1[i];
    }
    CHECK_NEAR(geom_pearson(p1, p2, 5), 1.0, 1e-12);
    CHECK_NEAR(geom_pearson(p1, p3, 5), -1.0, 1e-12);
    CHECK(isnan(geom_pearson(p1, p2, 1)));
}

static void random_matrix(float *a, int n, uint64_t seed) {
    rng_state r = rng_seed(seed, 0);
    for (int i = 0; i < n; i++) a[i] = rng_normal(&r);
}

/* Y = X Q with Q an orthogonal D x D matrix (a product of Givens rotations and a reflection). */
static void rotate(const float *x, int n, int d, float *y) {
    double q[64 * 64];
    for (int i = 0; i < d * d; i++) q[i] = i % (d + 1) == 0;
    for (int k = 0; k + 1 < d; k++) {
        double t = 0.3 + 0.7 * k, c = cos(t), s = sin(t);
        for (int i = 0; i < d; i++) {
            double a = q[i * d + k], b = q[i * d + k + 1];
            q[i * d + k] = c * a - s * b;
            q[i * d + k + 1] = s * a + c * b;
        }
    }
    for (int i = 0; i < d; i++) q[i * d] = -q[i * d];
    for (int i = 0; i < n; i++)
        for (int j = 0; j < d; j++) {
            double s = 0;
            for (int k = 0; k < d; k++) s += x[i * d + k] * q[k * d + j];
            y[i * d + j] = (float)s;
        }
}

/* CKA in the feature form, written plainly as the reference for the Gram-form branch. */
static double naive_cka(const float *x, const float *y, int n, int dx, int dy) {
    double *xc = malloc(sizeof(double) * n * dx), *yc = malloc(sizeof(double) * n * dy);
    for (int k = 0; k < dx; k++) {
        double mu = 0;
        for (int i = 0; i < n; i++) mu += x[i * dx + k] / (double)n;
        for (int i = 0; i < n; i++) xc[i * dx + k] = x[i * dx + k] - mu;
    }
    for (int k = 0; k < dy; k++) {
        double mu = 0;
        for (int i = 0; i < n; i++) mu += y[i * dy + k] / (double)n;
        for (int i = 0; i < n; i++) yc[i * dy + k] = y[i * dy + k] - mu;
    }
    double h = 0, nx = 0, ny = 0;
    for (int a = 0; a < dy; a++)
        for (int b = 0; b < dx; b++) {
            double s = 0;
            for (int i = 0; i < n; i++) s += yc[i * dy + a] * xc[i * dx + b];
            h += s * s;
        }
    for (int a = 0; a < dx; a++)
        for (int b = 0; b < dx; b++) {
            double s = 0;
            for (int i = 0; i < n; i++) s += xc[i * dx + a] * xc[i * dx + b];
            nx += s * s;
        }
    for (int a = 0; a < dy; a++)
        for (int b = 0; b < dy; b++) {
            double s = 0;
            for (int i = 0; i < n; i++) s += yc[i * dy + a] * yc[i * dy + b];
            ny += s * s;
        }
    free(xc);
    free(yc);
    return h / sqrt(nx * ny);
}

TEST(geometry_cka) {
    /* feature-form branch (n 10 > d 4) and Gram-form branch (n 5 < d 40) */
    float x[10 * 4], y[10 * 4], big[5 * 40], bigr[5 * 40], other[5 * 7];
    random_matrix(x, 40, 1);
    rotate(x, 10, 4, y);
    CHECK_NEAR(geom_linear_cka(x, y, 10, 4, 4), 1.0, 1e-9);
    for (int i = 0; i < 40; i++) y[i] = -3.5f * x[i];
    CHECK_NEAR(geom_linear_cka(x, y, 10, 4, 4), 1.0, 1e-9);
    random_matrix(big, 200, 2);
    rotate(big, 5, 40, bigr);
    CHECK_NEAR(geom_linear_cka(big, bigr, 5, 40, 40), 1.0, 1e-9);
    random_matrix(other, 35, 3);
    double want = naive_cka(big, other, 5, 40, 7);
    CHECK(want > 0.05 && want < 0.95);
    CHECK_NEAR(geom_linear_cka(big, other, 5, 40, 7), want, 1e-9);
    CHECK_NEAR(geom_linear_cka(other, big, 5, 7, 40), want, 1e-9);

    /* numpy's value on a pair of unrelated shapes */
    st_file *f = st_open(FIX "analytics_ref.safetensors");
    CHECK_MSG(f != NULL, "%s", segp_last_error());
    if (f) {
        float cx[40], cy[30], cv[1];
        CHECK(st_read_f32(f, st_find(f, "cka.x"), cx) == 0);
        CHECK(st_read_f32(f, st_find(f, "cka.y"), cy) == 0);
        CHECK(st_read_f32(f, st_find(f, "cka.value"), cv) == 0);
        CHECK_NEAR(geom_linear_cka(cx, cy, 10, 4, 3), cv[0], 1e-6);
        st_close(f);
    }

    /* a constant side */
    float cst[10 * 4];
    for (int i = 0; i < 40; i++) cst[i] = (float)(i % 4);
    CHECK(isnan(geom_linear_cka(x, cst, 10, 4, 4)));
    CHECK(isnan(geom_linear_cka(cst, x, 10, 4, 4)));
}

/* ---- PCA ---- */

TEST(projection_pca_numpy) {
    st_file *f = st_open(FIX "analytics_ref.safetensors");
    CHECK_MSG(f != NULL, "%s", segp_last_error());
    if (!f) return;
    float x[120], want[40], wex[2], got[40], ex[2];
    CHECK(st_read_f32(f, st_find(f, "pca.x"), x) == 0);
    CHECK(st_read_f32(f, st_find(f, "pca.scores"), want) == 0);
    CHECK(st_read_f32(f, st_find(f, "pca.explained"), wex) == 0);
    st_close(f);
    CHECK(proj_pca(x, 20, 6, 2, got, ex) == 0);
    CHECK_MSG(test_rel_err(got, want, 40) < 1e-5, "scores rel err %g", test_rel_err(got, want, 40));
    CHECK_NEAR(ex[0], wex[0], 1e-6);
    CHECK_NEAR(ex[1], wex[1], 1e-6);
    CHECK(proj_pca(x, 20, 6, 1, got, NULL) == 0);
    for (int i = 0; i < 20; i++) CHECK_NEAR(got[i], want[2 * i], 1e-4);

    CHECK(proj_pca(x, 1, 6, 1, got, ex) == -1);
    CHECK(err_has("1 points"));
    CHECK(proj_pca(x, 20, 6, 7, got, ex) == -1);
    CHECK(err_has("7 components"));
}

/* ---- t-SNE ---- */

TEST(tsne_affinities_numpy) {
    st_file *f = st_open(FIX "analytics_ref.safetensors");
    CHECK_MSG(f != NULL, "%s", segp_last_error());
    if (!f) return;
    float x[60], pw[144];
    CHECK(st_read_f32(f, st_find(f, "tsne.x"), x) == 0);
    CHECK(st_read_f32(f, st_find(f, "tsne.p"), pw) == 0);
    double perp = atof(st_metadata(f, "perplexity"));
    st_close(f);
    double p[144], sum = 0, err = 0;
    tsne_affinities(x, 12, 5, perp, p);
    for (int i = 0; i < 144; i++) {
        sum += p[i];
        err = fmax(err, fabs(p[i] - pw[i]));
    }
    CHECK_MSG(err < 1e-8, "max |P - P_numpy| %g", err);
    CHECK_NEAR(sum, 1.0, 1e-12);
    for (int i = 0; i < 12; i++) {
        CHECK(p[i * 12 + i] == 0);
        for (int j = 0; j < 12; j++) CHECK(p[i * 12 + j] == p[j * 12 + i]);
    }
    CHECK_NEAR(tsne_effective_perplexity(30, 12), 11.0 / 3, 1e-15);
    CHECK_NEAR(tsne_effective_perplexity(30, 1000), 30.0, 0);
}

TEST(tsne_descent_numpy) {
    st_file *f = st_open(FIX "analytics_ref.safetensors");
    CHECK_MSG(f != NULL, "%s", segp_last_error());
    if (!f) return;
    float pw[144], y0[24], yw[24], klw[64];
    CHECK(st_read_f32(f, st_find(f, "tsne.p"), pw) == 0);
    CHECK(st_read_f32(f, st_find(f, "tsne.y0"), y0) == 0);
    CHECK(st_read_f32(f, st_find(f, "tsne.y"), yw) == 0);
    tsne_params prm = tsne_default_params();
    prm.iters = atoi(st_metadata(f, "iters"));
    prm.exaggeration_iters = atoi(st_metadata(f, "exag_iters"));
    prm.learning_rate = atof(st_metadata(f, "lr"));
    CHECK(prm.iters > 0 && prm.iters <= 64);
    CHECK(st_read_f32(f, st_find(f, "tsne.kl"), klw) == 0);
    st_close(f);
    /* the reference's P (float32-rounded) and layout, so only the descent is compared */
    double p[144], y[24], kl[64];
    for (int i = 0; i < 144; i++) p[i] = pw[i];
    for (int i = 0; i < 24; i++) y[i] = y0[i];
    double fin = tsne_descend(p, 12, &prm, y, kl);
    float yf[24];
    for (int i = 0; i < 24; i++) yf[i] = (float)y[i];
    CHECK_MSG(test_rel_err(yf, yw, 24) < 1e-6, "layout rel err %g", test_rel_err(yf, yw, 24));
    for (int it = 0; it < prm.iters; it++) CHECK_NEAR(kl[it], klw[it], 1e-6 * (1 + klw[it]));
    CHECK(kl[prm.iters - 1] < 0.1 * kl[0]);
    CHECK_NEAR(fin, kl[prm.iters - 1], 1e-12);
}

/* Three tight clusters of 20 points in 10 dims, far apart. */
static void clusters(float *x, int *lab) {
    rng_state r = rng_seed(7, 1);
    for (int i = 0; i < 60; i++) {
        lab[i] = i % 3;
        for (int k = 0; k < 10; k++)
            x[i * 10 + k] = (k == lab[i] ? 10.0f : 0.0f) + 0.3f * rng_normal(&r);
    }
}

TEST(tsne_clusters_kl_threads) {
    float x[600], y1[120], y2[120], y3[120];
    int lab[60];
    clusters(x, lab);
    tsne_params prm = tsne_default_params();
    /* (at perplexity 5-10 and fewer iterations, a point now and then stays stranded between
     * clusters, depending on the seed and the compiler's floating-point contraction) */
    prm.perplexity = 15;
    prm.iters = 400;
    prm.exaggeration_iters = 200;
    prm.seed = 5;
    int saved = omp_get_max_threads();
    double kl1, kl2, kl3;
    omp_set_num_threads(1);
    CHECK(proj_tsne(x, 60, 10, &prm, y1, &kl1) == 0);
    omp_set_num_threads(2);
    CHECK(proj_tsne(x, 60, 10, &prm, y2, &kl2) == 0);
    omp_set_num_threads(saved);
    CHECK(memcmp(y1, y2, sizeof y1) == 0);
    CHECK(kl1 == kl2);
    prm.seed = 6;
    CHECK(proj_tsne(x, 60, 10, &prm, y3, &kl3) == 0);
    CHECK(memcmp(y1, y3, sizeof y1) != 0);
    /* learning rate "auto" for 60 points: max(60 / 48, 50) = 50 */
    prm.seed = 5;
    prm.learning_rate = 50;
    CHECK(proj_tsne(x, 60, 10, &prm, y3, &kl3) == 0);
    CHECK(memcmp(y1, y3, sizeof y1) == 0);
    prm.learning_rate = 0;

    /* PCA too is independent of the thread count */
    float pa[120], pb[120], ea[2], eb[2];
    omp_set_num_threads(1);
    CHECK(proj_pca(x, 60, 10, 2, pa, ea) == 0);
    omp_set_num_threads(2);
    CHECK(proj_pca(x, 60, 10, 2, pb, eb) == 0);
    omp_set_num_threads(saved);
    CHECK(memcmp(pa, pb, sizeof pa) == 0 && memcmp(ea, eb, sizeof ea) == 0);

    /* nearest neighbour in the layout: always from the same cluster */
    int same = 0;
    for (int i = 0; i < 60; i++) {
        int best = -1;
        double bd = INFINITY;
        for (int j = 0; j < 60; j++) {
            double dx = y1[2 * i] - y1[2 * j], dy = y1[2 * i + 1] - y1[2 * j + 1];
            if (j != i && dx * dx + dy * dy < bd) {
                bd = dx * dx + dy * dy;
                best = j;
            }
        }
        same += lab[best] == lab[i];
    }
    CHECK_EQ_INT(same, 60);

    /* KL: well below the initial layout's at the end, and falling through the plain phase
     * (the exaggerated phase optimises another objective: its KL may rise) */
    double *p = malloc(sizeof(double) * 3600), y[120], kl[400], y0[120];
    tsne_affinities(x, 60, 10, tsne_effective_perplexity(prm.perplexity, 60), p);
    tsne_initial_layout(60, 5, y);
    memcpy(y0, y, sizeof y);
    prm.iters = 0;
    double kl0 = tsne_descend(p, 60, &prm, y0, NULL);
    prm.iters = 400;
    double fin = tsne_descend(p, 60, &prm, y, kl);
    for (int i = 0; i < 120; i++) CHECK((float)y[i] == y1[i]);
    CHECK_NEAR(fin, kl1, 1e-12);
    CHECK(fin < 0.5 * kl0);
    CHECK(fin < 0.8 * kl[200]);
    CHECK(kl[399] <= kl[300] && kl[300] <= kl[250] && kl[250] <= kl[210]);
    if (test_verbose())
        printf("KL initial %g, after exaggeration %g, final %g\n", kl0, kl[199], fin);

    /* the affinities, on 1 and 2 threads */
    double *p2 = malloc(sizeof(double) * 3600);
    omp_set_num_threads(1);
    tsne_affinities(x, 60, 10, 15, p);
    omp_set_num_threads(2);
    tsne_affinities(x, 60, 10, 15, p2);
    omp_set_num_threads(saved);
    CHECK(memcmp(p, p2, sizeof(double) * 3600) == 0);
    free(p);
    free(p2);

    CHECK(proj_tsne(x, 3, 10, &prm, y1, NULL) == -1);
    CHECK(err_has("3 points"));
}

/* The descent's threaded path (from TSNE_PARALLEL_MIN points) gives the same layout on 1 and 2
 * threads: a few iterations on a made-up P (a symmetric band, sum 1). */
TEST(tsne_descent_threads) {
    int n = TSNE_PARALLEL_MIN + 5;
    double *p = malloc(sizeof(double) * n * n), s = 0;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) s += p[i * n + j] = i == j ? 0 : exp(-abs(i - j) / 8.0);
    for (int i = 0; i < n * n; i++) p[i] /= s;
    double *y1 = malloc(sizeof(double) * 2 * n), *y2 = malloc(sizeof(double) * 2 * n);
    tsne_initial_layout(n, 9, y1);
    memcpy(y2, y1, sizeof(double) * 2 * n);
    tsne_params prm = tsne_default_params();
    prm.iters = 4;
    prm.exaggeration_iters = 2;
    int saved = omp_get_max_threads();
    omp_set_num_threads(1);
    double k1 = tsne_descend(p, n, &prm, y1, NULL);
    omp_set_num_threads(2);
    double k2 = tsne_descend(p, n, &prm, y2, NULL);
    omp_set_num_threads(saved);
    CHECK(memcmp(y1, y2, sizeof(double) * 2 * n) == 0);
    CHECK(k1 == k2);
    free(p);
    free(y1);
    free(y2);
}

/* ---- analytics_write ---- */

enum { NS = 5, NO = 3, E = 8, PER = 5, NI = NS * PER, NA = 6 };

typedef struct {
    int32_t labels[NS], img_class[NI], anchor_class[NA];
    float text[3][NS * E], img[3][NI * E], protos[NS * E], anchors[NA * E];
} synth;

static void normalise(float *a, int n, int e) {
    for (int i = 0; i < n; i++) {
        double s = 0;
        for (int k = 0; k < e; k++) s += a[i * e + k] * a[i * e + k];
        for (int k = 0; k < e; k++) a[i * e + k] /= (float)sqrt(s);
    }
}

static analytics_input make_input(synth *s, int n_old) {
    rng_state r = rng_seed(11, 0);
    float centre[NS * E];
    for (int i = 0; i < NS * E; i++) centre[i] = rng_normal(&r);
    for (int c = 0; c < NS; c++) s->labels[c] = 40 + 3 * c;
    for (int st = 0; st < 3; st++) {
        for (int i = 0; i < NS * E; i++)
            s->text[st][i] = centre[i] + 0.3f * (st + 1) * rng_normal(&r);
        /* images interleaved by class, so "the first rows of each class" is not a prefix */
        for (int i = 0; i < NI; i++) {
            s->img_class[i] = i % NS;
            for (int k = 0; k < E; k++)
                s->img[st][i * E + k] = centre[(i % NS) * E + k] + 0.5f * rng_normal(&r);
        }
        normalise(s->text[st], NS, E);
        normalise(s->img[st], NI, E);
    }
    for (int i = 0; i < NS * E; i++) s->protos[i] = centre[i] + 0.1f * rng_normal(&r);
    for (int i = 0; i < NA; i++) {
        s->anchor_class[i] = i % NO;
        for (int k = 0; k < E; k++)
            s->anchors[i * E + k] = centre[(i % NO) * E + k] + rng_normal(&r);
    }
    normalise(s->protos, NS, E);
    normalise(s->anchors, NA, E);
    return (analytics_input){
        .task = n_old ? 1 : 0, .e = E, .logit_scale = 20, .n_old = n_old, .n_new = NS - n_old,
        .labels = s->labels, .text_pre = s->text[0], .text_teacher = s->text[1],
        .text_student = s->text[2], .n_img = NI, .img_class = s->img_class,
        .img_pre = s->img[0], .img_teacher = s->img[1], .img_student = s->img[2],
        .protos = s->protos, .n_anchor = NA, .anchor_student = s->anchors,
        .anchor_class = s->anchor_class, .bins = 4, .boundary_frac = 0.2, .tsne_points = 30,
        .tsne_iters = 100, .perplexity = 5, .seed = 3};
}

/* Tensor NAME of F read as floats into a new buffer; checks its shape. */
static float *read_tensor(st_file *f, const char *name, int ndim, int64_t d0, int64_t d1) {
    const st_tensor *t = st_find(f, name);
    CHECK_MSG(t != NULL, "tensor '%s' missing", name);
    if (!t) return NULL;
    CHECK_MSG(t->ndim == ndim && t->shape[0] == d0 && (ndim < 2 || t->shape[1] == d1),
              "tensor '%s': shape [%lld, %lld] of %d dims", name, (long long)t->shape[0],
              t->ndim > 1 ? (long long)t->shape[1] : -1LL, t->ndim);
    CHECK(t->dtype == ST_F32);
    float *v = malloc(sizeof(float) * (size_t)t->numel);
    CHECK(st_read_f32(f, t, v) == 0);
    return v;
}

static int same_num(double a, double b) { return (isnan(a) && isnan(b)) || a == b; }

static void check_same_summary(const analytics_summary *a, const analytics_summary *b) {
    const double *x = &a->drift_mean, *y = &b->drift_mean;
    /* every double of the struct up to n_points, in declaration order */
    int nd = (int)((offsetof(analytics_summary, n_points)) / sizeof(double));
    for (int i = 0; i < nd; i++)
        CHECK_MSG(same_num(x[i], y[i]), "field %d: %.17g vs %.17g", i, x[i], y[i]);
    CHECK_EQ_INT(a->n_points, b->n_points);
}

TEST(analytics_write_files) {
    synth *s = calloc(1, sizeof *s);
    analytics_input in = make_input(s, NO);
    const char *dir = tpath("%s", "analytics1");
    mkdirs(dir);
    analytics_summary sum, back;
    CHECK_MSG(analytics_write(&in, dir, &sum) == 0, "%s", segp_last_error());

    /* drift.safetensors: recomputed here through the pure functions */
    st_file *f = st_open(tpath("%s", "analytics1/drift.safetensors"));
    CHECK_MSG(f != NULL, "%s", segp_last_error());
    if (f) {
        float lt[NI * NS], lto[NI * NO], ls[NI * NO], d[NI], m[NI];
        uint8_t old[NI];
        for (int i = 0; i < NI; i++) {
            for (int c = 0; c < NS; c++) {
                double a = 0, b = 0;
                for (int k = 0; k < E; k++) {
                    a += (double)s->img[1][i * E + k] * s->text[1][c * E + k];
                    b += (double)s->img[2][i * E + k] * s->text[2][c * E + k];
                }
                lt[i * NS + c] = (float)(20 * a);
                if (c < NO) {
                    lto[i * NO + c] = (float)(20 * a);
                    ls[i * NO + c] = (float)(20 * b);
                }
            }
            old[i] = s->img_class[i] < NO;
        }
        drift_jsd(lto, ls, NI, NO, d);
        drift_interface(lt, NI, NO, NS - NO, m);
        drift_curve c;
        CHECK(drift_curve_compute(d, m, old, NI, 4, 0.2, &c) == 0);
        float *fd = read_tensor(f, "drift", 1, NI, 0), *fm = read_tensor(f, "interface", 1, NI, 0);
        float *fc = read_tensor(f, "class", 1, NI, 0), *fo = read_tensor(f, "is_old", 1, NI, 0);
        float *fe = read_tensor(f, "curve.edges", 1, 5, 0);
        float *fmo = read_tensor(f, "curve.mean_old", 1, 4, 0);
        float *fco = read_tensor(f, "curve.count_old", 1, 4, 0);
        float *fcn = read_tensor(f, "curve.count_new", 1, 4, 0);
        float *fmn = read_tensor(f, "curve.mean_new", 1, 4, 0);
        if (fd && fm && fc && fo && fe && fmo && fco && fcn && fmn) {
            for (int i = 0; i < NI; i++) {
                CHECK_NEAR(fd[i], d[i], 1e-6);
                CHECK_NEAR(fm[i], m[i], 1e-5);
                CHECK(fc[i] == s->img_class[i]);
                CHECK(fo[i] == old[i]);
            }
            for (int b = 0; b < 4; b++) {
                CHECK(fco[b] == c.count_old[b] && fcn[b] == c.count_new[b]);
                CHECK(same_num(fmo[b], c.mean_old[b]) || fabs(fmo[b] - c.mean_old[b]) < 1e-6);
                CHECK(same_num(fmn[b], c.mean_new[b]) || fabs(fmn[b] - c.mean_new[b]) < 1e-6);
            }
            CHECK_NEAR(fe[0], c.edges[0], 1e-5);
            CHECK_NEAR(fe[4], c.edges[4], 1e-5);
        }
        CHECK_NEAR(sum.drift_mean, c.mean_all, 1e-6);
        CHECK_NEAR(sum.drift_boundary, c.boundary, 1e-6);
        CHECK_NEAR(sum.drift_core, c.core, 1e-6);
        CHECK_NEAR(sum.boundary_core_ratio, c.ratio, 1e-5);
        double so = 0, sn = 0;
        for (int i = 0; i < NI; i++) *(old[i] ? &so : &sn) += d[i];
        CHECK_NEAR(sum.drift_old, so / (NO * PER), 1e-6);
        CHECK_NEAR(sum.drift_new, sn / ((NS - NO) * PER), 1e-6);
        CHECK(strcmp(st_metadata(f, "n_old"), "3") == 0);
        drift_curve_free(&c);
        free(fd), free(fm), free(fc), free(fo), free(fe), free(fmo), free(fco), free(fcn),
            free(fmn);
        st_close(f);
    }

    /* geometry.safetensors */
    f = st_open(tpath("%s", "analytics1/geometry.safetensors"));
    CHECK_MSG(f != NULL, "%s", segp_last_error());
    if (f) {
        CHECK(strcmp(st_metadata(f, "task"), "2") == 0);
        CHECK(strcmp(st_metadata(f, "n_new"), "2") == 0);
        float *lab = read_tensor(f, "labels", 1, NS, 0);
        for (int c = 0; lab && c < NS; c++) CHECK(lab[c] == s->labels[c]);
        free(lab);
        const char *st[3] = {"pre", "teacher", "student"};
        float *tt[3] = {0}, *pt[3] = {0}, *pp[3] = {0}, *mn[3] = {0};
        for (int k = 0; k < 3; k++) {
            char nm[32];
            snprintf(nm, sizeof nm, "text.%s", st[k]);
            float *t = read_tensor(f, nm, 2, NS, E);
            if (t) CHECK(memcmp(t, s->text[k], sizeof s->text[k]) == 0);
            free(t);
            snprintf(nm, sizeof nm, "means.%s", st[k]);
            mn[k] = read_tensor(f, nm, 2, NS, E);
            snprintf(nm, sizeof nm, "tt.%s", st[k]);
            tt[k] = read_tensor(f, nm, 2, NS, NS);
            snprintf(nm, sizeof nm, "pt.%s", st[k]);
            pt[k] = read_tensor(f, nm, 2, NS, NS);
            snprintf(nm, sizeof nm, "pp.%s", st[k]);
            pp[k] = read_tensor(f, nm, 2, NS, NS);
            if (!mn[k] || !tt[k] || !pt[k] || !pp[k]) continue;
            /* the class means: normalised means of the class's images */
            for (int c = 0; c < NS; c++) {
                double v[E] = {0}, q = 0;
                for (int i = c; i < NI; i += NS)
                    for (int j = 0; j < E; j++) v[j] += s->img[k][i * E + j];
                for (int j = 0; j < E; j++) q += v[j] * v[j];
                for (int j = 0; j < E; j++) CHECK_NEAR(mn[k][c * E + j], v[j] / sqrt(q), 1e-6);
            }
            float g[NS * NS];
            geom_cosine_matrix(s->text[k], NS, s->text[k], NS, E, g);
            CHECK(memcmp(g, tt[k], sizeof g) == 0);
            geom_cosine_matrix(mn[k], NS, s->text[k], NS, E, g);
            CHECK(memcmp(g, pt[k], sizeof g) == 0);
            geom_cosine_matrix(mn[k], NS, mn[k], NS, E, g);
            CHECK(memcmp(g, pp[k], sizeof g) == 0);
        }
        if (tt[2] && pt[2] && pp[2] && tt[1] && pt[0] && pp[1] && mn[1] && mn[0] && mn[2]) {
            /* strict upper triangle mean |dG| for tt and pp, the full matrix for pt */
            double up = 0;
            for (int i = 0; i < NS; i++)
                for (int j = i + 1; j < NS; j++) up += fabs(tt[2][i * NS + j] - tt[1][i * NS + j]);
            CHECK_NEAR(sum.tt_teacher.mean_abs_diff, up / (NS * (NS - 1) / 2), 1e-7);
            CHECK_NEAR(sum.tt_teacher.pearson, geom_pearson_upper(tt[2], tt[1], NS), 1e-12);
            CHECK_NEAR(sum.tt_teacher.cka, geom_linear_cka(s->text[2], s->text[1], NS, E, E),
                       1e-12);
            CHECK_NEAR(sum.pt_pre.mean_abs_diff, geom_mean_abs_diff(pt[2], pt[0], NS * NS), 1e-12);
            CHECK_NEAR(sum.pt_pre.pearson, geom_pearson(pt[2], pt[0], NS * NS), 1e-12);
            CHECK_NEAR(sum.pt_pre.cka, geom_linear_cka(mn[2], mn[0], NS, E, E), 1e-12);
            CHECK_NEAR(sum.pp_teacher.pearson, geom_pearson_upper(pp[2], pp[1], NS), 1e-12);
            CHECK(sum.pp_teacher.cka == sum.pt_teacher.cka);
            CHECK(sum.tt_pre.cka > 0 && sum.tt_pre.cka <= 1);
        }
        for (int k = 0; k < 3; k++) free(tt[k]), free(pt[k]), free(pp[k]), free(mn[k]);
        float *pr = read_tensor(f, "protos", 2, NS, E);
        if (pr) CHECK(memcmp(pr, s->protos, sizeof s->protos) == 0);
        free(pr);

        /* projections: cap 30 = 5 text + 5 prototypes + k images and k anchors per class with
         * k = 2 (k = 3 would need 15 + 6 > 20): 10 images, 5 text, 5 prototypes, 6 anchors */
        int np = 26;
        CHECK_EQ_INT(sum.n_points, np);
        float *kind = read_tensor(f, "proj.kind", 1, np, 0),
              *cls = read_tensor(f, "proj.class", 1, np, 0);
        float *row = read_tensor(f, "proj.row", 1, np, 0),
              *pca = read_tensor(f, "proj.pca", 2, np, 2);
        float *ts = read_tensor(f, "proj.tsne", 2, np, 2);
        if (kind && cls && row && pca && ts) {
            const int nk[4] = {10, 5, 5, 6};
            int cnt[4] = {0};
            float x[26 * E];
            for (int i = 0; i < np; i++) {
                int kd = (int)kind[i], r = (int)row[i];
                CHECK(kd >= 0 && kd < 4);
                if (kd < 0 || kd > 3) continue;
                cnt[kd]++;
                const float *src = kd == 0   ? s->img[2]
                                   : kd == 1 ? s->text[2]
                                   : kd == 2 ? s->protos
                                             : s->anchors;
                const int32_t *sc = kd == 0 ? s->img_class : kd == 3 ? s->anchor_class : NULL;
                CHECK(cls[i] == (sc ? sc[r] : r));
                if (kd == 0) CHECK(r < 2 * NS); /* the first two images of each class */
                memcpy(x + i * E, src + r * E, sizeof(float) * E);
            }
            for (int k = 0; k < 4; k++) CHECK_EQ_INT(cnt[k], nk[k]);
            float wp[52], wt[52], ex[2];
            double kl;
            CHECK(proj_pca(x, np, E, 2, wp, ex) == 0);
            CHECK(memcmp(wp, pca, sizeof wp) == 0);
            CHECK_NEAR(sum.pca_explained[0], ex[0], 0);
            CHECK_NEAR(sum.pca_explained[1], ex[1], 0);
            tsne_params tp = tsne_default_params();
            tp.perplexity = 5;
            tp.iters = 100;
            tp.exaggeration_iters = 50;
            tp.seed = 3;
            CHECK(proj_tsne(x, np, E, &tp, wt, &kl) == 0);
            CHECK(memcmp(wt, ts, sizeof wt) == 0);
            CHECK(sum.tsne_kl == kl);
        }
        free(kind), free(cls), free(row), free(pca), free(ts);
        st_close(f);
    }

    CHECK_MSG(analytics_read_summary(dir, &back) == 0, "%s", segp_last_error());
    check_same_summary(&sum, &back);
    free(s);
}

TEST(analytics_write_first_task) {
    synth *s = calloc(1, sizeof *s);
    analytics_input in = make_input(s, 0);
    in.protos = NULL;
    in.n_anchor = 0;
    in.tsne_points = 0;
    const char *dir = tpath("%s", "analytics0");
    mkdirs(dir);
    analytics_summary sum, back;
    CHECK_MSG(analytics_write(&in, dir, &sum) == 0, "%s", segp_last_error());
    CHECK(!rundir_exists(tpath("%s", "analytics0/drift.safetensors")));
    CHECK(isnan(sum.drift_mean) && isnan(sum.drift_old) && isnan(sum.boundary_core_ratio));
    CHECK(isnan(sum.tsne_kl) && isnan(sum.pca_explained[0]));
    CHECK_EQ_INT(sum.n_points, 0);
    CHECK(!isnan(sum.tt_teacher.cka));
    CHECK_MSG(analytics_read_summary(dir, &back) == 0, "%s", segp_last_error());
    check_same_summary(&sum, &back);
    st_file *f = st_open(tpath("%s", "analytics0/geometry.safetensors"));
    CHECK_MSG(f != NULL, "%s", segp_last_error());
    if (f) {
        CHECK(st_find(f, "protos") == NULL && st_find(f, "proj.tsne") == NULL);
        CHECK(st_find(f, "pp.teacher") != NULL);
        st_close(f);
    }

    /* errors name the folder or file */
    in.img_class = (int32_t[NI]){[3] = 9};
    CHECK(analytics_write(&in, dir, &sum) == -1);
    CHECK(err_has("analytics0: analytics: test image 3 has class position 9"));
    CHECK(analytics_read_summary(tpath("%s", "nowhere"), &back) == -1);
    CHECK(err_has("nowhere/analytics.json"));
    write_text(tpath("%s", "analytics0/analytics.json"),
               "{\"drift\":{},\"geometry\":{},\"projection\":{}}");
    CHECK(analytics_read_summary(dir, &back) == -1);
    CHECK(err_has("key 'drift.mean'"));
    free(s);
}
