/* test_grad_model.c: clip_vision_backward and clip_text_backward against central finite
 * differences of L = sum(R * tower_forward) on a tiny random CLIP with LoRA on all six targets,
 * for QuickGELU and GELU: sampled LoRA-B entries of every slot, input pixels, and entries of
 * every base tensor (zero where the tower does not reach). Also what a backward computes for
 * each request, that it changes nothing else, and that it is deterministic. Run with
 * SEGP_TEST_VERBOSE=1 to print the error of every check. */
#include <stdlib.h>
#include <string.h>

#include "model/clip.h"
#include "core/common.h"
#include "model/lora.h"
#include "core/rng.h"
#include "test.h"

/* The towers run in float32: L carries ~1e-6 of rounding noise, which the step of a numeric
 * derivative divides. With FD_EPS (and Richardson extrapolation, see fd()) one entry's numeric
 * gradient has ~2e-5 of noise; FD_NOISE is 5x that. An entry passes when
 *   |a - n| <= GRAD_TOL * (max(|a|, |n|) + FLOOR_FRAC * rms(its group)) + FD_NOISE,
 * so an entry far below its group's size is judged against the group, not relatively.
 * A backward bug is off by O(1). Over 8 seed sets the worst entry reached 30% of its limit and
 * the worst direction 3.3e-3 (DIR_TOL stays 3x above that: its noise varies with the BLAS
 * kernels). */
#define GRAD_TOL 5e-3
#define FLOOR_FRAC 0.05
#define FD_EPS 1e-1
#define FD_NOISE 1e-4
#define DIR_TOL 1e-2      /* directional checks (check_direction) */
#define DIR_H 1e-2        /* their step, relative to the buffer's rms */
#define DIR_MIN_SCALE 0.1 /* smallest scale of a direction (buffers near 0, e.g. biases) */
#define SAMPLES 5         /* entries per tensor / LoRA slot */


/* ---------------------------------------------------------------- the tiny model */

enum { VB = 2, TB = 3, CTX = 12, VOCAB = 50, EMBED = 16 };
static const int eot_pos[TB] = {4, 8, 2}; /* longest 8: the text tower runs 9 positions */

static clip_config tiny_config(act_kind act) {
    clip_config c = {0};
    c.has_vision = c.has_text = 1;
    c.v_width = 32, c.v_layers = 2, c.v_heads = 2, c.v_mlp = 64, c.patch = 4, c.grid = 3;
    c.resolution = c.patch * c.grid;
    c.t_width = 24, c.t_layers = 2, c.t_heads = 3, c.t_mlp = 48, c.context = CTX;
    c.vocab = VOCAB, c.embed_dim = EMBED;
    c.act = act;
    c.ln_eps = 1e-5f;
    return c;
}

static int ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && !strcmp(s + n - k, suffix);
}

/* clip_model_random's CLIP-like init (std 0.02, unit norms, zero biases) gives tiny gradients
 * and would hide a backward that drops a norm weight or a bias; redraw every tensor at O(1)
 * scale: matrices 1/sqrt(fan_in), norms 1 +- 0.2, biases and embeddings non-zero. */
static void redraw_params(clip_model *m, uint64_t seed) {
    float *P = clip_model_params(m);
    for (int i = 0; i < clip_model_tensor_count(m); i++) {
        const clip_tensor_info *t = clip_model_tensor(m, i);
        rng_state r = rng_seed(seed, 1000 + (uint64_t)i);
        float mean = 0.0f, sd;
        if (t->tower == 2) continue; /* logit_scale */
        if (strstr(t->name, "ln_") && ends_with(t->name, ".weight"))
            mean = 1.0f, sd = 0.2f;
        else if (strstr(t->name, "bias"))
            sd = 0.1f;
        else if (strstr(t->name, "embedding"))
            sd = strstr(t->name, "positional") ? 0.3f : 1.0f;
        else /* weight matrices, conv1, projections */
            sd = 1.0f / sqrtf((float)(t->numel / (size_t)t->shape[0]));
        for (size_t j = 0; j < t->numel; j++) P[t->offset + j] = mean + sd * rng_normal(&r);
    }
}

typedef struct {
    clip_model *m;
    clip_lora *l;
    int tower, b;
    float *pix;         /* vision input [VB, 3, r, r] */
    int32_t *ids;       /* text input [TB, CTX] */
    float *R, *out;     /* [b, EMBED] */
    clip_acts *scratch; /* keep = 0 forwards of the finite differences */
    size_t npix;
} fixture;

static fixture *fixture_new(act_kind act, int tower, uint64_t seed) {
    clip_config cfg = tiny_config(act);
    fixture *f = calloc(1, sizeof *f);
    f->m = clip_model_random(&cfg, seed, "cpu");
    if (!f->m) {
        test_fail(__FILE__, __LINE__, "clip_model_random: %s", segp_last_error());
        free(f);
        return NULL;
    }
    redraw_params(f->m, seed);
    clip_lora_params p = clip_lora_default_params();
    p.rank = 3, p.alpha = 6.0f, p.targets = 0x3f, p.seed = seed;
    f->l = clip_lora_new(f->m, &p);
    rng_state r = rng_seed(seed, 7);
    for (size_t i = 0; i < f->l->b_size; i++) f->l->b[i] = 0.1f * rng_normal(&r);
    f->tower = tower;
    f->b = tower ? TB : VB;
    f->npix = (size_t)VB * 3 * cfg.resolution * cfg.resolution;
    f->pix = malloc(f->npix * sizeof(float));
    for (size_t i = 0; i < f->npix; i++) f->pix[i] = rng_normal(&r);
    /* SOT, repeated ordinary tokens 1..10, EOT (the largest id) at varying places, zeros */
    f->ids = calloc((size_t)TB * CTX, sizeof(int32_t));
    for (int i = 0; i < TB; i++) {
        int32_t *row = f->ids + (size_t)i * CTX;
        row[0] = VOCAB - 2;
        for (int t = 1; t < eot_pos[i]; t++) row[t] = 1 + (int32_t)(rng_next(&r) % 10);
        row[eot_pos[i]] = VOCAB - 1;
    }
    f->R = malloc((size_t)f->b * EMBED * sizeof(float));
    for (int i = 0; i < f->b * EMBED; i++) f->R[i] = rng_normal(&r);
    f->out = calloc((size_t)f->b * EMBED, sizeof(float));
    f->scratch = clip_acts_new();
    return f;
}

static void fixture_free(fixture *f) {
    if (!f) return;
    clip_acts_free(f->scratch);
    clip_lora_free(f->l);
    clip_model_free(f->m);
    free(f->pix), free(f->ids), free(f->R), free(f->out), free(f);
}

static int forward(fixture *f, clip_acts *a, int keep, float *out) {
    return f->tower ? clip_text_forward(f->m, f->l, f->ids, f->b, a, keep, out)
                    : clip_vision_forward(f->m, f->l, f->pix, f->b, a, keep, out);
}

static int backward(fixture *f, clip_acts *a, const clip_grads *g) {
    return f->tower ? clip_text_backward(f->m, f->l, a, f->R, g)
                    : clip_vision_backward(f->m, f->l, a, f->R, g);
}

static double loss(fixture *f) {
    if (forward(f, f->scratch, 0, f->out) != 0) return NAN;
    double s = 0.0;
    for (int i = 0; i < f->b * EMBED; i++) s += (double)f->R[i] * f->out[i];
    return s;
}

/* dL/dp: central differences with steps h = FD_EPS * max(1, |p|) and h/2, combined by
 * Richardson extrapolation (error O(h^4)). The model runs in float32, so the rounding noise of
 * L (about 1e-6 here) divided by the step is what limits the accuracy; the large step and the
 * extrapolation keep that noise near 2e-5 while the truncation stays negligible. */
static double fd_step(fixture *f, float *p, double h) {
    float x0 = *p, xp = (float)(x0 + h), xm = (float)(x0 - h);
    *p = xp;
    double lp = loss(f);
    *p = xm;
    double lm = loss(f);
    *p = x0;
    return (lp - lm) / ((double)xp - (double)xm); /* the steps actually taken */
}

static double fd(fixture *f, float *p) {
    double h = FD_EPS * fmax(1.0, fabs(*p));
    return (4.0 * fd_step(f, p, h / 2) - fd_step(f, p, h)) / 3.0;
}

/* Derivative of L along a random direction v over p[0..n) (normal entries scaled by the
 * buffer's rms, at least DIR_MIN_SCALE) against <ana, v>: every entry's gradient at once, with
 * a signal ~sqrt(n) times a single entry's over the same noise. The error is measured against
 * max(|<ana, v>|, the typical size s ||ana|| of such a projection). */
static double dir_step(fixture *f, float *p, const float *p0, const float *v, size_t n,
                       double h) {
    for (size_t i = 0; i < n; i++) p[i] = p0[i] + (float)h * v[i];
    double lp = loss(f);
    for (size_t i = 0; i < n; i++) p[i] = p0[i] - (float)h * v[i];
    double lm = loss(f);
    memcpy(p, p0, n * sizeof(float));
    return (lp - lm) / (2.0 * h);
}

static double check_direction(fixture *f, const char *what, float *p, const float *ana,
                              size_t n, rng_state *r) {
    float *p0 = malloc(n * sizeof(float)), *v = malloc(n * sizeof(float));
    memcpy(p0, p, n * sizeof(float));
    double ss = 0.0, gg = 0.0, a = 0.0;
    for (size_t i = 0; i < n; i++) ss += (double)p0[i] * p0[i], gg += (double)ana[i] * ana[i];
    double s = fmax(sqrt(ss / (double)n), DIR_MIN_SCALE);
    for (size_t i = 0; i < n; i++) {
        v[i] = (float)s * rng_normal(r);
        a += (double)ana[i] * v[i];
    }
    double num = (4.0 * dir_step(f, p, p0, v, n, DIR_H / 2) - dir_step(f, p, p0, v, n, DIR_H));
    num /= 3.0; /* Richardson, as fd() */
    double e = fabs(a - num) / fmax(fmax(fabs(a), s * sqrt(gg)), 1e-30);
    if (test_verbose()) printf("\n    %-50s rel. error %.2e", what, e);
    CHECK_MSG(e <= DIR_TOL, "%s: backward gives %.7g, finite differences %.7g (error %.3g)",
              what, a, num, e);
    free(p0), free(v);
    return e;
}

/* Numeric gradient at p[idx[i]] against ana[idx[i]], i < k. An entry passes when
 * |a - n| <= GRAD_TOL * (max(|a|, |n|) + FLOOR_FRAC * rms(group)) + FD_NOISE. Returns the
 * relative error ||a - n|| / ||n|| of the group. */
static double check_group(fixture *f, const char *what, float *p, const float *ana,
                          const size_t *idx, int k) {
    double num[64], ss = 0.0, se = 0.0;
    SEGP_CHECK(k <= 64, "sample groups hold at most 64 entries");
    for (int i = 0; i < k; i++) {
        num[i] = fd(f, p + idx[i]);
        ss += num[i] * num[i];
    }
    double floor = FLOOR_FRAC * sqrt(ss / (k ? k : 1)), worst = 0.0;
    int wi = 0;
    for (int i = 0; i < k; i++) {
        double a = ana[idx[i]], d = fabs(a - num[i]);
        double r = d / (GRAD_TOL * (fmax(fabs(a), fabs(num[i])) + floor) + FD_NOISE);
        se += d * d;
        if (!(r <= worst)) worst = r, wi = i;
    }
    double rel = sqrt(se) / fmax(sqrt(ss), 1e-30);
    if (test_verbose())
        printf("\n    %-50s rel. error %.2e, worst entry at %3.0f%% of its tolerance", what, rel,
               100 * worst);
    if (!(worst <= 1.0))
        test_fail(__FILE__, __LINE__, "%s: entry %zu: backward %.7g vs numeric %.7g", what,
                  k ? idx[wi] : 0, k ? (double)ana[idx[wi]] : 0.0, k ? num[wi] : 0.0);
    return rel;
}

/* Entries [lo, hi) of ana must be exactly 0 and moving one of them must not change the output
 * at all (the forward never reads it). */
static void check_unreached(fixture *f, const char *what, float *p, const float *ana, size_t lo,
                            size_t hi) {
    size_t nz = 0;
    for (size_t i = lo; i < hi; i++) nz += ana[i] != 0.0f;
    CHECK_MSG(nz == 0, "%s: %zu non-zero gradient entries where the forward does not reach",
              what, nz);
    if (hi > lo) {
        double d = fd(f, p + lo + (hi - lo) / 2);
        CHECK_MSG(d == 0.0, "%s: moving an unreached entry changed the loss (slope %.3g)", what,
                  d);
    }
}

static void sample(rng_state *r, size_t lo, size_t hi, size_t *idx, int k) {
    for (int i = 0; i < k; i++) idx[i] = lo + (size_t)(rng_next(r) % (uint64_t)(hi - lo));
}

/* ---------------------------------------------------------------- gradient checks */

typedef struct {
    float *lgrad, *wgrad, *dpix;
} grads;

static void grads_compute(fixture *f, grads *g) {
    g->lgrad = calloc(f->l->b_size, sizeof(float));
    g->wgrad = calloc(clip_model_num_params(f->m), sizeof(float));
    g->dpix = NULL;
    if (!f->tower) {
        g->dpix = malloc(f->npix * sizeof(float));
        for (size_t i = 0; i < f->npix; i++) g->dpix[i] = NAN; /* must be overwritten */
    }
    clip_acts *a = clip_acts_new();
    float *out = calloc((size_t)f->b * EMBED, sizeof(float));
    CHECK(forward(f, a, 1, out) == 0);
    /* the keep = 0 (inference) layout computes the same numbers */
    loss(f);
    CHECK(memcmp(out, f->out, (size_t)f->b * EMBED * sizeof(float)) == 0);
    clip_grads cg = {g->lgrad, g->wgrad, g->dpix};
    CHECK_MSG(backward(f, a, &cg) == 0, "backward: %s", segp_last_error());
    free(out);
    clip_acts_free(a);
}

static void grads_free(grads *g) { free(g->lgrad), free(g->wgrad), free(g->dpix); }

/* Every LoRA slot: a random direction over its B; SAMPLES entries of each slot, grouped by
 * target over the layers. Slots of the other tower must get nothing. */
static void check_lora(fixture *f, const grads *g, rng_state *r, const char *tag) {
    const clip_lora *l = f->l;
    char what[96];
    for (int t = 0; t < LORA_N_TARGETS; t++) {
        size_t idx[64];
        int k = 0;
        for (int i = 0; i < l->n_slots; i++) {
            const clip_lora_slot *s = &l->slots[i];
            if (s->target != t) continue;
            size_t lo = s->b_off, n = (size_t)s->out * l->p.rank;
            if (s->tower != f->tower) {
                check_unreached(f, "LoRA B of the other tower", l->b, g->lgrad, lo, lo + n);
                continue;
            }
            snprintf(what, sizeof what, "%s LoRA B %d.%s, direction", tag, s->layer,
                     clip_lora_target_name(t));
            check_direction(f, what, l->b + lo, g->lgrad + lo, n, r);
            sample(r, lo, lo + n, idx + k, SAMPLES);
            k += SAMPLES;
        }
        snprintf(what, sizeof what, "%s LoRA B *.%s, entries", tag, clip_lora_target_name(t));
        check_group(f, what, l->b, g->lgrad, idx, k);
    }
}

static void check_weights(fixture *f, const grads *g, rng_state *r, const char *tag) {
    float *P = clip_model_params(f->m);
    const clip_config *c = clip_model_config(f->m);
    int l_text = 0;
    for (int i = 0; i < TB; i++) l_text = eot_pos[i] + 1 > l_text ? eot_pos[i] + 1 : l_text;
    for (int i = 0; i < clip_model_tensor_count(f->m); i++) {
        const clip_tensor_info *t = clip_model_tensor(f->m, i);
        size_t lo = t->offset, hi = t->offset + t->numel, idx[SAMPLES];
        char what[192];
        snprintf(what, sizeof what, "%s %s", tag, t->name);
        if (t->tower != f->tower) {
            check_unreached(f, what, P, g->wgrad, lo, hi);
            continue;
        }
        if (!strcmp(t->name, "positional_embedding")) {
            /* rows past the longest end-of-text are never computed */
            check_unreached(f, what, P, g->wgrad, lo + (size_t)l_text * c->t_width, hi);
            hi = lo + (size_t)l_text * c->t_width;
            sample(r, lo, hi, idx, SAMPLES);
        } else if (!strcmp(t->name, "token_embedding.weight")) {
            /* token 0 only pads after the end-of-text (causal: it reaches nothing); tokens
             * 11..47 are unused. Sample the rows of the tokens that occur. */
            check_unreached(f, "token_embedding row 0 (padding)", P, g->wgrad, lo,
                            lo + (size_t)c->t_width);
            check_unreached(f, "token_embedding unused rows", P, g->wgrad,
                            lo + (size_t)11 * c->t_width, lo + (size_t)48 * c->t_width);
            for (int k = 0; k < SAMPLES; k++) {
                int seq = k % TB, pos = (int)(rng_next(r) % (uint64_t)(eot_pos[seq] + 1));
                idx[k] = lo + (size_t)f->ids[seq * CTX + pos] * c->t_width +
                         (size_t)(rng_next(r) % (uint64_t)c->t_width);
            }
        } else if (ends_with(t->name, "in_proj_bias")) {
            /* the key bias adds q.b_k to every score of a row: softmax cancels it, so its
             * true gradient is 0 and the finite difference is pure rounding noise */
            size_t w = t->numel / 3;
            double qv = 0.0, kmax = 0.0;
            for (size_t j = 0; j < w; j++) {
                qv = fmax(qv, fmax(fabs(g->wgrad[lo + j]), fabs(g->wgrad[lo + 2 * w + j])));
                kmax = fmax(kmax, fabs(g->wgrad[lo + w + j]));
            }
            if (test_verbose()) printf("\n    %-52s key part %.2e of q/v", what, kmax / qv);
            CHECK_MSG(kmax <= 1e-4 * qv, "%s: key-bias gradient %.3g, expected ~0 (q/v: %.3g)",
                      what, kmax, qv);
            for (int k = 0; k < SAMPLES; k++) /* q and v parts */
                idx[k] = lo + (k & 1 ? 2 * w : 0) + (size_t)(rng_next(r) % (uint64_t)w);
        } else {
            sample(r, lo, hi, idx, SAMPLES);
        }
        check_group(f, what, P, g->wgrad, idx, SAMPLES);
        char dwhat[224];
        snprintf(dwhat, sizeof dwhat, "%s, direction", what);
        check_direction(f, dwhat, P + lo, g->wgrad + lo, hi - lo, r);
    }
}

static void check_tower(act_kind act, int tower, uint64_t seed) {
    fixture *f = fixture_new(act, tower, seed);
    if (!f) return;
    char tag[32];
    snprintf(tag, sizeof tag, "%s %s", tower ? "text" : "vision",
             act == ACT_GELU ? "GELU" : "QuickGELU");
    grads g;
    grads_compute(f, &g);
    rng_state r = rng_seed(seed, 99);
    check_lora(f, &g, &r, tag);
    if (!tower) {
        size_t idx[40];
        sample(&r, 0, f->npix, idx, 40);
        char what[64];
        snprintf(what, sizeof what, "%s pixels", tag);
        check_group(f, what, f->pix, g.dpix, idx, 40);
        for (int k = 0; k < 3; k++) {
            snprintf(what, sizeof what, "%s pixels, direction %d", tag, k);
            check_direction(f, what, f->pix, g.dpix, f->npix, &r);
        }
    }
    check_weights(f, &g, &r, tag);
    grads_free(&g);
    fixture_free(f);
}

TEST(grad_model_vision) {
    check_tower(ACT_QUICK_GELU, 0, 1);
    check_tower(ACT_GELU, 0, 2);
}

TEST(grad_model_text) {
    check_tower(ACT_QUICK_GELU, 1, 3);
    check_tower(ACT_GELU, 1, 4);
}

/* ---------------------------------------------------------------- requests, determinism */

static float *copy_of(const float *x, size_t n) {
    float *p = malloc((n ? n : 1) * sizeof(float));
    memcpy(p, x, n * sizeof(float));
    return p;
}

static int same(const float *a, const float *b, size_t n) {
    return memcmp(a, b, n * sizeof(float)) == 0;
}

/* max |x - 2 g| / (|x| + max |g|): x should be g added to itself (by sgemm's blocked sums, not
 * bit-exact). */
static double max_double_err(const float *x, const float *g, size_t n) {
    double gmax = 0.0, worst = 0.0;
    for (size_t i = 0; i < n; i++) gmax = fmax(gmax, fabs(g[i]));
    for (size_t i = 0; i < n; i++) {
        double e = fabs(x[i] - 2.0 * g[i]) / (fabs(x[i]) + gmax + 1e-30);
        if (!(e <= worst)) worst = e;
    }
    return worst;
}

/* max |a - b| / max |b|: the same gradient computed along another path */
static double rel_diff(const float *a, const float *b, size_t n) {
    double bmax = 0.0, d = 0.0;
    for (size_t i = 0; i < n; i++) bmax = fmax(bmax, fabs(b[i]));
    for (size_t i = 0; i < n; i++)
        if (!(fabs((double)a[i] - b[i]) <= d)) d = fabs((double)a[i] - b[i]);
    return d / fmax(bmax, 1e-30);
}

/* Each request alone gives what the full request gave and leaves the buffers of an earlier
 * request alone; an empty request does nothing; backward changes neither the model, the LoRA
 * state nor the input, and can be repeated from the same stored forward (adding again). */
static void check_requests(int tower) {
    fixture *f = fixture_new(ACT_QUICK_GELU, tower, 21);
    if (!f) return;
    size_t nb = f->l->b_size, np = clip_model_num_params(f->m), nx = tower ? 0 : f->npix;
    float *P0 = copy_of(clip_model_params(f->m), np), *A0 = copy_of(f->l->a, f->l->a_size);
    float *B0 = copy_of(f->l->b, nb), *X0 = copy_of(f->pix, f->npix);
    int32_t *I0 = malloc((size_t)TB * CTX * sizeof(int32_t));
    memcpy(I0, f->ids, (size_t)TB * CTX * sizeof(int32_t));
    clip_acts *a = clip_acts_new();
    float *out = calloc((size_t)f->b * EMBED, sizeof(float));
    CHECK(forward(f, a, 1, out) == 0);

    /* everything, then each part alone into fresh buffers */
    float *lf = calloc(nb, sizeof(float)), *wf = calloc(np, sizeof(float));
    float *df = calloc(nx ? nx : 1, sizeof(float));
    clip_grads all = {lf, wf, tower ? NULL : df};
    CHECK(backward(f, a, &all) == 0);
    float *lf0 = copy_of(lf, nb), *wf0 = copy_of(wf, np), *df0 = copy_of(df, nx);
    float *lg = calloc(nb, sizeof(float)), *wg = calloc(np, sizeof(float));
    float *dp = malloc((nx ? nx : 1) * sizeof(float));
    for (size_t i = 0; i < nx; i++) dp[i] = NAN; /* overwritten */

    clip_grads only_lora = {lg, NULL, NULL};
    CHECK(backward(f, a, &only_lora) == 0);
    CHECK_MSG(rel_diff(lg, lf0, nb) <= 1e-6, "LoRA-B gradient alone differs from the full one");
    CHECK(same(wf, wf0, np) && same(df, df0, nx)); /* d_pixels, weights: untouched */
    clip_grads only_w = {NULL, wg, NULL};
    CHECK(backward(f, a, &only_w) == 0);
    CHECK_MSG(rel_diff(wg, wf0, np) <= 1e-6, "weight gradient alone differs from the full one");
    if (!tower) {
        clip_grads only_px = {NULL, NULL, dp};
        CHECK(backward(f, a, &only_px) == 0);
        CHECK_MSG(rel_diff(dp, df0, nx) <= 1e-6, "pixel gradient alone differs from the full one");
    }
    float *lg0 = copy_of(lg, nb), *wg0 = copy_of(wg, np), *dp0 = copy_of(dp, nx);
    clip_grads none = {NULL, NULL, NULL};
    CHECK(backward(f, a, &none) == 0);
    CHECK(same(lg, lg0, nb) && same(wg, wg0, np) && same(dp, dp0, nx));
    CHECK(same(lf, lf0, nb) && same(wf, wf0, np) && same(df, df0, nx));
    /* gradients are added to: a second backward from the same forward doubles them */
    CHECK(backward(f, a, &only_lora) == 0);
    CHECK(backward(f, a, &only_w) == 0);
    CHECK(max_double_err(lg, lg0, nb) <= 1e-5);
    CHECK(max_double_err(wg, wg0, np) <= 1e-5);
    /* nothing else moved */
    CHECK(same(clip_model_params(f->m), P0, np));
    CHECK(same(f->l->a, A0, f->l->a_size) && same(f->l->b, B0, nb));
    CHECK(same(f->pix, X0, f->npix));
    CHECK(memcmp(f->ids, I0, (size_t)TB * CTX * sizeof(int32_t)) == 0);
    float *out2 = calloc((size_t)f->b * EMBED, sizeof(float));
    CHECK(forward(f, a, 0, out2) == 0);
    CHECK(same(out, out2, (size_t)f->b * EMBED));

    /* no stored forward (keep = 0 above) */
    CHECK(backward(f, a, &only_lora) != 0);
    CHECK(strstr(segp_last_error(), "keep=1") != NULL);
    float *bufs[] = {out, out2, lf, wf, df, lf0, wf0, df0, lg, wg, dp, lg0, wg0, dp0,
                     P0, A0, B0, X0};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) free(bufs[i]);
    free(I0);
    clip_acts_free(a);
    fixture_free(f);
}

TEST(grad_model_requests) {
    check_requests(0);
    check_requests(1);
}

/* A backward on the activations of the other tower is refused; a LoRA state without text
 * adapters gives no text LoRA gradient and skips the blocks. */
TEST(grad_model_backward_errors) {
    fixture *f = fixture_new(ACT_GELU, 1, 31);
    if (!f) return;
    clip_acts *a = clip_acts_new();
    float *out = calloc((size_t)TB * EMBED, sizeof(float));
    float *lg = calloc(f->l->b_size, sizeof(float));
    clip_grads g = {lg, NULL, NULL};
    CHECK(clip_text_forward(f->m, f->l, f->ids, TB, a, 1, out) == 0);
    CHECK(clip_vision_backward(f->m, f->l, a, f->R, &g) != 0);
    CHECK(strstr(segp_last_error(), "vision backward") != NULL);
    clip_lora_params p = clip_lora_default_params();
    p.rank = 3, p.alpha = 6.0f, p.targets = 0x3f, p.text = 0;
    clip_lora *vis_only = clip_lora_new(f->m, &p);
    float *lv = calloc(vis_only->b_size, sizeof(float));
    clip_grads gv = {lv, NULL, NULL};
    CHECK(clip_text_forward(f->m, vis_only, f->ids, TB, a, 1, out) == 0);
    CHECK(clip_text_backward(f->m, vis_only, a, f->R, &gv) == 0);
    int nz = 0;
    for (size_t i = 0; i < vis_only->b_size; i++) nz += lv[i] != 0.0f;
    CHECK_EQ_INT(nz, 0);
    clip_lora_free(vis_only);
    clip_acts_free(a);
    free(out), free(lg), free(lv);
    fixture_free(f);
}

/* Two identical forward/backward runs give bit-identical outputs and gradients, with fresh
 * activations or with one arena reused after the other tower. */
TEST(grad_model_deterministic) {
    for (int tower = 0; tower < 2; tower++) {
        fixture *f = fixture_new(ACT_QUICK_GELU, tower, 41);
        if (!f) return;
        size_t nb = f->l->b_size, np = clip_model_num_params(f->m);
        size_t nx = tower ? 0 : f->npix, no = (size_t)f->b * EMBED;
        grads g1, g2;
        grads_compute(f, &g1);
        grads_compute(f, &g2);
        CHECK(same(g1.lgrad, g2.lgrad, nb) && same(g1.wgrad, g2.wgrad, np));
        CHECK(tower || same(g1.dpix, g2.dpix, nx));
        /* reuse an arena that last held the other tower */
        fixture *o = fixture_new(ACT_QUICK_GELU, !tower, 41);
        clip_acts *a = clip_acts_new();
        float *out = calloc(no + 2 * EMBED, sizeof(float));
        CHECK(forward(o, a, 1, out) == 0);
        float *lg = calloc(nb, sizeof(float)), *wg = calloc(np, sizeof(float));
        float *dp = calloc(nx ? nx : 1, sizeof(float));
        clip_grads g = {lg, wg, tower ? NULL : dp};
        CHECK(forward(f, a, 1, out) == 0);
        CHECK(backward(f, a, &g) == 0);
        CHECK(same(lg, g1.lgrad, nb) && same(wg, g1.wgrad, np));
        CHECK(tower || same(dp, g1.dpix, nx));
        loss(f);
        CHECK(same(out, f->out, no));
        free(out), free(lg), free(wg), free(dp);
        clip_acts_free(a);
        grads_free(&g1), grads_free(&g2);
        fixture_free(o);
        fixture_free(f);
    }
}
