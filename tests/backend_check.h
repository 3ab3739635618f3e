/* backend_check.h: the two-backend op checker of tests/test_backend_ops.c. A case (kcase)
 * uploads the same host inputs to a reference backend (side 0) and a tested one (side 1), runs
 * the op on each, and kc_end compares every output under the case's tolerance class, checks
 * that inputs came back unchanged and that the guard bytes around each buffer are intact, and
 * frees everything. The comparison rule and the bounds are documented in test_backend_ops.c. */
#ifndef SEGP_TEST_BACKEND_CHECK_H
#define SEGP_TEST_BACKEND_CHECK_H

#include <stddef.h>
#include <stdint.h>

#include "backend/backend.h"
#include "core/rng.h"

enum { TOL_ELEM, TOL_MATMUL, TOL_LOSS, N_TOL };

#define MAX_BUFS 16
#define MAX_HOST 24

enum { B_IN, B_OUT, B_INOUT };
enum { T_F32, T_I32, T_U8 };

typedef struct {
    const char *name;
    int kind, type;
    size_t n, bytes;
    double floor;            /* RMS size below which a difference is not judged relative */
    void *host;              /* initial contents (owned) */
    unsigned char *base[2];  /* allocation of each side, GUARD bytes before p */
    void *p[2];
} kbuf;

typedef struct {
    const segp_backend *ref, *be; /* side 0 (reference) and side 1 (tested) */
    segp_math math;
    int big;                      /* ViT-B/16-sized shapes too (a device is tested) */
    uint64_t seq;                 /* cases so far: seeds each case's random stream */
    double worst[N_TOL];          /* largest error seen per class */
} checker;

typedef struct {
    checker *ck;
    const segp_backend *be[2];
    char what[160];
    double tol;
    int cls;
    rng_state rng;
    int nb, nh;
    kbuf b[MAX_BUFS];
    void *host[MAX_HOST];
} kcase;

/* Starts a case of tolerance class CLS (TOL_*) with a fresh random stream; FMT names it. */
void kc_begin(kcase *k, checker *ck, int cls, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Host scratch that lives until kc_end, and random contents for it. */
void *kc_host(kcase *k, size_t bytes);
float *kc_randn(kcase *k, size_t n, float sd, float mean);
float *kc_uniform(kcase *k, size_t n, float lo, float hi);
int32_t *kc_ints(kcase *k, size_t n, int below);
/* A buffer of N elements of TYPE (T_*) on both sides, of KIND (B_*): HOST uploaded (IN, INOUT)
 * or a poison pattern (OUT: NaN floats, so that an output read before being written shows). */
kbuf *kc_buf(kcase *k, const char *name, int kind, int type, const void *host, size_t n);
kbuf *kc_in(kcase *k, const char *name, const float *host, size_t n);
kbuf *kc_in_i(kcase *k, const char *name, const int32_t *host, size_t n);
kbuf *kc_out(kcase *k, const char *name, size_t n);
kbuf *kc_inout(kcase *k, const char *name, const float *host, size_t n);
/* A loss-like output whose exact value can be 0 (a one-class softmax, KL(p || p)): differences
 * below 1e-5 are then rounding, not judged relative to 0. */
kbuf *kc_loss(kbuf *b);
/* Waits for both sides, compares every output, checks inputs and guards, frees everything;
 * failures are reported at FILE:LINE (the case's kc_end). */
void kc_end_at(kcase *k, const char *file, int line);
#define kc_end(k) kc_end_at(k, __FILE__, __LINE__)

/* Side S's pointer of B (NULL for a NULL buffer: an output that is not asked for). */
#define F(b, s) ((b) ? (float *)(b)->p[s] : NULL)
#define I(b, s) ((b) ? (int32_t *)(b)->p[s] : NULL)
#define U(b, s) ((b) ? (uint8_t *)(b)->p[s] : NULL)

/* Side S's backend. */
#define BE(k, s) ((k)->be[s])

#endif
