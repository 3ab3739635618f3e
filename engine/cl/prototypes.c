/* prototypes.c: class means, anchor-induced drift transfer and dual-path fusion
 * (prototypes.h). Double accumulation in a fixed order, so results do not depend on threads. */
#include "prototypes.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/common.h"

static void normalise(float *v, int e) {
    double s = 0;
    for (int j = 0; j < e; j++) s += (double)v[j] * v[j];
    if (s <= 0) return;
    double inv = 1.0 / sqrt(s);
    for (int j = 0; j < e; j++) v[j] = (float)(v[j] * inv);
}

void proto_class_means(const float *emb, const int32_t *cls, int n, int n_cls, int e, float *out,
                       int32_t *count) {
    double *acc = segp_calloc((size_t)n_cls * e, sizeof(double));
    int32_t *cnt = segp_calloc((size_t)n_cls, sizeof(int32_t));
    for (int i = 0; i < n; i++) {
        int k = cls[i];
        if (k < 0 || k >= n_cls) continue;
        cnt[k]++;
        for (int j = 0; j < e; j++) acc[(size_t)k * e + j] += emb[(size_t)i * e + j];
    }
    for (int k = 0; k < n_cls; k++) {
        for (int j = 0; j < e; j++)
            out[(size_t)k * e + j] = cnt[k] ? (float)(acc[(size_t)k * e + j] / cnt[k]) : 0.0f;
        normalise(out + (size_t)k * e, e);
        if (count) count[k] = cnt[k];
    }
    free(acc), free(cnt);
}

void proto_transfer(float *mu, int n_old, const float *ft, const float *fs, int n_a, int e,
                    float tau, float *delta, float *rho) {
    double *w = segp_malloc((size_t)(n_a > 0 ? n_a : 1) * sizeof(double));
    double *d = segp_malloc((size_t)e * sizeof(double));
    for (int c = 0; c < n_old; c++) {
        float *m = mu + (size_t)c * e;
        memset(d, 0, (size_t)e * sizeof(double));
        double best = -INFINITY, zmax = -INFINITY, z = 0;
        for (int a = 0; a < n_a; a++) {
            double s = 0;
            for (int j = 0; j < e; j++) s += (double)ft[(size_t)a * e + j] * m[j];
            if (s > best) best = s;
            w[a] = s / tau;
            if (w[a] > zmax) zmax = w[a];
        }
        for (int a = 0; a < n_a; a++) z += w[a] = exp(w[a] - zmax);
        for (int a = 0; a < n_a; a++) {
            double wa = w[a] / z;
            for (int j = 0; j < e; j++)
                d[j] += wa * ((double)fs[(size_t)a * e + j] - ft[(size_t)a * e + j]);
        }
        double r = n_a > 0 ? (best < 0 ? 0 : best > 1 ? 1 : best) : 0;
        if (delta)
            for (int j = 0; j < e; j++) delta[(size_t)c * e + j] = (float)d[j];
        if (rho) rho[c] = (float)r;
        if (n_a == 0) continue;
        for (int j = 0; j < e; j++) m[j] = (float)(m[j] + r * d[j]);
        normalise(m, e);
    }
    free(w), free(d);
}

void proto_dual_path(float *logits, const float *img, int n, const float *mu, const uint8_t *has,
                     int n_cls, int e, float beta, float logit_scale) {
    double k = (double)beta * logit_scale;
    for (int i = 0; i < n; i++)
        for (int c = 0; c < n_cls; c++) {
            if (has && !has[c]) continue;
            double s = 0;
            for (int j = 0; j < e; j++) s += (double)img[(size_t)i * e + j] * mu[(size_t)c * e + j];
            logits[(size_t)i * n_cls + c] += (float)(k * s);
        }
}
