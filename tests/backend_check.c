/* backend_check.c: the two-backend op checker (backend_check.h). */
#include "backend_check.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/common.h"
#include "test.h"

static const double tol_table[3][N_TOL] = {
    [SEGP_MATH_FP32] = {1e-7, 1e-7, 1e-7},
    [SEGP_MATH_TF32] = {1e-7, 1e-5, 1e-5},
    [SEGP_MATH_BF16] = {1e-7, 1e-3, 1e-2},
};

#define GUARD 256       /* bytes checked on either side of every buffer */
#define GUARD_BYTE 0xA5

static size_t type_size(int type) { return type == T_F32 ? 4 : type == T_I32 ? 4 : 1; }

void kc_begin(kcase *k, checker *ck, int cls, const char *fmt, ...) {
    memset(k, 0, sizeof *k);
    k->ck = ck;
    k->be[0] = ck->ref, k->be[1] = ck->be;
    k->cls = cls;
    k->tol = tol_table[ck->math][cls];
    k->rng = rng_seed(20261130, ++ck->seq);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(k->what, sizeof k->what, fmt, ap);
    va_end(ap);
}

void *kc_host(kcase *k, size_t bytes) {
    if (k->nh == MAX_HOST) abort();
    return k->host[k->nh++] = segp_calloc(bytes ? bytes : 1, 1);
}
float *kc_randn(kcase *k, size_t n, float sd, float mean) {
    float *p = kc_host(k, n * sizeof(float));
    for (size_t i = 0; i < n; i++) p[i] = mean + sd * rng_normal(&k->rng);
    return p;
}
float *kc_uniform(kcase *k, size_t n, float lo, float hi) {
    float *p = kc_host(k, n * sizeof(float));
    for (size_t i = 0; i < n; i++) p[i] = lo + (hi - lo) * rng_uniform(&k->rng);
    return p;
}
int32_t *kc_ints(kcase *k, size_t n, int below) {
    int32_t *p = kc_host(k, n * sizeof(int32_t));
    for (size_t i = 0; i < n; i++) p[i] = (int32_t)(rng_next(&k->rng) % (uint64_t)below);
    return p;
}

kbuf *kc_buf(kcase *k, const char *name, int kind, int type, const void *host, size_t n) {
    if (k->nb == MAX_BUFS) abort();
    kbuf *b = &k->b[k->nb++];
    b->name = name, b->kind = kind, b->type = type, b->n = n;
    b->bytes = n * type_size(type);
    b->host = segp_malloc(b->bytes + 1);
    if (host) {
        memcpy(b->host, host, b->bytes);
    } else if (type == T_F32) {
        for (size_t i = 0; i < n; i++) ((float *)b->host)[i] = NAN;
    } else {
        memset(b->host, 0x7f, b->bytes);
    }
    unsigned char guard[GUARD];
    memset(guard, GUARD_BYTE, GUARD);
    for (int s = 0; s < 2; s++) {
        const segp_backend *be = k->be[s];
        b->base[s] = be->alloc(b->bytes + 2 * GUARD);
        b->p[s] = b->base[s] + GUARD;
        be->to_device(b->base[s], guard, GUARD);
        be->to_device(b->base[s] + GUARD + b->bytes, guard, GUARD);
        if (b->bytes) be->to_device(b->p[s], b->host, b->bytes);
    }
    return b;
}
kbuf *kc_in(kcase *k, const char *name, const float *host, size_t n) {
    return kc_buf(k, name, B_IN, T_F32, host, n);
}
kbuf *kc_in_i(kcase *k, const char *name, const int32_t *host, size_t n) {
    return kc_buf(k, name, B_IN, T_I32, host, n);
}
kbuf *kc_out(kcase *k, const char *name, size_t n) {
    return kc_buf(k, name, B_OUT, T_F32, NULL, n);
}
kbuf *kc_inout(kcase *k, const char *name, const float *host, size_t n) {
    return kc_buf(k, name, B_INOUT, T_F32, host, n);
}

kbuf *kc_loss(kbuf *b) {
    b->floor = 1e-5;
    return b;
}

/* sum (a-b)^2 / sum (b-b0)^2 (B0: the buffer's contents before the op, NULL for zeros), the
 * denominator floored at n FLOOR^2 (an all-zero reference then tolerates differences of about
 * FLOOR: 1e-15 unless a buffer says otherwise, e.g. QuickGELU(-100) = -4e-37 or 0); NaN
 * anywhere gives NaN. WI: the worst element. */
static double nmse(const float *a, const float *b, const float *b0, size_t n, double floor,
                   size_t *wi) {
    double num = 0, den = 0, worst = -1;
    *wi = 0;
    for (size_t i = 0; i < n; i++) {
        /* a NaN before the op is poison the op overwrites (gemm's C under beta = 0) */
        double before = b0 && b0[i] == b0[i] ? b0[i] : 0.0;
        double d = (double)a[i] - b[i], db = (double)b[i] - before;
        num += d * d;
        den += db * db;
        if (!(fabs(d) <= worst)) worst = fabs(d), *wi = i;
    }
    if (num != num || den != den) return NAN;
    return num == 0 ? 0 : num / fmax(den, floor * floor * (double)n);
}

static void kc_fail(kcase *k, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void kc_fail(kcase *k, const char *file, int line, const char *fmt, ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    test_fail(file, line, "%s vs %s (%s): %s: %s", k->be[1]->name, k->be[0]->name,
              segp_math_name(k->ck->math), k->what, msg);
}

void kc_end_at(kcase *k, const char *file, int line) {
    double worst = 0;
    for (int s = 0; s < 2; s++)
        if (k->be[s]->sync() != 0)
            kc_fail(k, file, line, "%s: sync failed: %s", k->be[s]->name, segp_last_error());
    for (int i = 0; i < k->nb; i++) {
        kbuf *b = &k->b[i];
        unsigned char *got[2];
        for (int s = 0; s < 2; s++) {
            got[s] = segp_malloc(b->bytes + 2 * GUARD);
            k->be[s]->to_host(got[s], b->base[s], b->bytes + 2 * GUARD);
            for (size_t q = 0; q < GUARD; q++)
                if (got[s][q] != GUARD_BYTE || got[s][GUARD + b->bytes + q] != GUARD_BYTE) {
                    kc_fail(k, file, line, "%s wrote outside '%s' (%zu bytes)", k->be[s]->name,
                            b->name, b->bytes);
                    break;
                }
        }
        const void *g0 = got[0] + GUARD, *g1 = got[1] + GUARD;
        if (b->kind == B_IN) {
            for (int s = 0; s < 2; s++)
                if (memcmp(s ? g1 : g0, b->host, b->bytes))
                    kc_fail(k, file, line, "%s changed its input '%s'", k->be[s]->name, b->name);
        } else if (b->type == T_F32) {
            size_t wi;
            double e = nmse(g1, g0, b->kind == B_INOUT ? b->host : NULL, b->n,
                            b->floor > 0 ? b->floor : 1e-15, &wi);
            if (!(e <= worst)) worst = e;
            if (!(e <= k->tol))
                kc_fail(k, file, line, "'%s' [%zu]: nMSE %.3g > %.3g (worst at %zu: %.9g vs %.9g)",
                        b->name, b->n, e, k->tol, wi, (double)((const float *)g1)[wi],
                        (double)((const float *)g0)[wi]);
        } else if (memcmp(g0, g1, b->bytes)) {
            size_t q = 0;
            while (((const unsigned char *)g0)[q] == ((const unsigned char *)g1)[q]) q++;
            q /= type_size(b->type);
            long v0 = b->type == T_I32 ? ((const int32_t *)g0)[q] : ((const uint8_t *)g0)[q];
            long v1 = b->type == T_I32 ? ((const int32_t *)g1)[q] : ((const uint8_t *)g1)[q];
            kc_fail(k, file, line, "'%s'[%zu]: %ld vs %ld (integer outputs must be equal)",
                    b->name, q, v1, v0);
        }
        for (int s = 0; s < 2; s++) {
            free(got[s]);
            k->be[s]->free(b->base[s]);
        }
        free(b->host);
    }
    for (int i = 0; i < k->nh; i++) free(k->host[i]);
    if (!(worst <= k->ck->worst[k->cls])) k->ck->worst[k->cls] = worst;
    if (test_verbose()) printf("\n    %-58s nMSE %.2e", k->what, worst);
}
