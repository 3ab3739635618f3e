/* test_segp_losses.c: SeGP-CL's losses (engine/cl/cl_losses.c).
 * - L_cls, ACGD, TSGR and the DPGD objective on the tiny fixture CLIP against PyTorch in float64
 *   (tests/ref/segp_losses_ref.py): the value, the gradient w.r.t. every LoRA B matrix through
 *   the training step (opt = NULL, the loss-term wrappers on the runner's row layout: data
 *   images then anchors, current prompts then old-class prompts; unsplit and data-parallel),
 *   and for the image-side losses the gradient w.r.t. the pixels;
 * - the teacher side (acgd_teacher_probs, tsgr_reference) against the same reference;
 * - finite differences of acgd_loss, tsgr_loss and dpgd_objective w.r.t. their embedding inputs
 *   on random inputs, in double;
 * - the conventions: gradients added and weighted, NULL gradient outputs, a frozen tower, rows
 *   outside the batch refused. */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "cl/cl_losses.h"
#include "core/common.h"
#include "core/rng.h"
#include "io/safetensors.h"
#include "model/clip.h"
#include "model/lora.h"
#include "test.h"
#include "train/step.h"

#define FIX "tests/fixtures/"
#define N_IMG 5
#define N_TXT 6

typedef struct {
    clip_model *m;
    clip_lora *student, *teacher, *g0;
    st_file *f;
    float *pix, labels_f[3];
    int32_t ids[N_TXT * 77], labels[3];
    int n_data, n_cur, k_tsgr, context;
    float tau_acgd, tau_tsgr, lambda_p;
    float p_teacher[2 * 3], p_ref[3 * 3], g_old[3 * 64], mu[3 * 64], ce[N_IMG], vis[N_IMG];
    int32_t nbr[3 * 3], targets[N_IMG];
    int e;
} fixture;

static float meta_f(st_file *f, const char *key) {
    const char *v = st_metadata(f, key);
    CHECK_MSG(v != NULL, "segp_losses_ref.safetensors: no metadata %s", key);
    return v ? (float)atof(v) : NAN;
}

/* Tensor NAME (NUMEL floats) of the reference into DST. */
static int ref_read(st_file *f, const char *name, int64_t numel, float *dst) {
    const st_tensor *t = st_find(f, name);
    if (!t || t->numel != numel) {
        test_fail(__FILE__, __LINE__, "segp_losses_ref.safetensors: %s missing or misshaped", name);
        return -1;
    }
    return st_read_f32(f, t, dst);
}

static int ref_ints(st_file *f, const char *name, int64_t numel, int32_t *dst) {
    float tmp[N_TXT * 77];
    if (numel > N_TXT * 77 || ref_read(f, name, numel, tmp) != 0) return -1;
    for (int64_t i = 0; i < numel; i++) dst[i] = (int32_t)tmp[i];
    return 0;
}

static void fixture_free(fixture *x) {
    clip_lora_free(x->student), clip_lora_free(x->teacher), clip_lora_free(x->g0);
    clip_model_free(x->m);
    st_close(x->f);
    free(x->pix);
}

static int fixture_load(fixture *x) {
    memset(x, 0, sizeof *x);
    x->m = clip_model_load(FIX "clip_tiny.safetensors", NULL);
    x->f = st_open(FIX "segp_losses_ref.safetensors");
    if (!x->m || !x->f) return -1;
    const clip_config *c = clip_model_config(x->m);
    x->e = c->embed_dim, x->context = c->context;
    clip_lora_params lp = clip_lora_default_params();
    lp.rank = 4, lp.alpha = 8.0f;
    x->student = clip_lora_new(x->m, &lp);
    if (!x->student || clip_lora_load(x->student, FIX "clip_tiny_lora.safetensors") != 0) return -1;
    x->teacher = clip_lora_clone(x->student);
    x->g0 = clip_lora_clone(x->student);
    float ts = meta_f(x->f, "segp.teacher_scale");
    for (size_t i = 0; i < clip_lora_trainable(x->student); i++)
        x->teacher->b[i] = ts * x->student->b[i], x->g0->b[i] = 0.0f;
    x->tau_acgd = meta_f(x->f, "segp.tau_acgd");
    x->tau_tsgr = meta_f(x->f, "segp.tau_tsgr");
    x->lambda_p = meta_f(x->f, "segp.lambda_p");
    x->k_tsgr = (int)meta_f(x->f, "segp.k_tsgr");
    x->n_data = (int)meta_f(x->f, "segp.n_data");
    x->n_cur = (int)meta_f(x->f, "segp.n_cur");
    size_t img = (size_t)3 * c->resolution * c->resolution;
    x->pix = malloc(N_IMG * img * sizeof(float));
    int e = x->e;
    if (x->e > 64 || x->n_data != 3 || x->n_cur != 3 || x->k_tsgr != 3) return -1;
    if (ref_read(x->f, "pixels", N_IMG * (int64_t)img, x->pix) ||
        ref_ints(x->f, "ids", N_TXT * 77, x->ids) || ref_ints(x->f, "labels", 3, x->labels) ||
        ref_read(x->f, "acgd.p_teacher", 6, x->p_teacher) ||
        ref_ints(x->f, "tsgr.nbr", 9, x->nbr) || ref_read(x->f, "tsgr.p_ref", 9, x->p_ref) ||
        ref_read(x->f, "dpgd.g", 3 * e, x->g_old) || ref_read(x->f, "dpgd.mu", 3 * e, x->mu) ||
        ref_ints(x->f, "dpgd.targets", N_IMG, x->targets) ||
        ref_read(x->f, "dpgd.ce", N_IMG, x->ce) || ref_read(x->f, "dpgd.vis", N_IMG, x->vis))
        return -1;
    return 0;
}

static double ref_value(fixture *x, const char *loss) {
    char name[64];
    float v = NAN;
    snprintf(name, sizeof name, "%s.value", loss);
    ref_read(x->f, name, 1, &v);
    return v;
}

/* The reference gradient of LOSS w.r.t. every B matrix, in the C layout. */
static int ref_grad_b(fixture *x, const char *loss, float *out) {
    const clip_lora *l = x->student;
    for (int i = 0; i < l->n_slots; i++) {
        const clip_lora_slot *sl = &l->slots[i];
        char name[128];
        snprintf(name, sizeof name, "%s.grad.lora.%s.%d.%s.B", loss, sl->tower ? "text" : "visual",
                 sl->layer, clip_lora_target_name(sl->target));
        if (ref_read(x->f, name, (int64_t)sl->out * l->p.rank, out + sl->b_off) != 0) return -1;
    }
    return 0;
}

/* ---- the terms, as the runner will set them up ---- */

/* The DPGD objective of every image row, summed (its gradient row by row, weighted). */
typedef struct {
    fixture *x;
} dpgd_user;

static int dpgd_term(const loss_term *t, step_ctx *ctx, float *value) {
    fixture *x = ((const dpgd_user *)t->user)->x;
    int e = ctx->e;
    double sum = 0;
    float d[64];
    for (int i = 0; i < ctx->n_img; i++) {
        int c = x->targets[i];
        sum += dpgd_objective(ctx->img + (size_t)i * e, e, x->g_old, 3, c, x->mu + (size_t)c * e,
                              x->lambda_p, ctx->logit_scale, NULL, NULL, ctx->d_img ? d : NULL);
        if (ctx->d_img)
            for (int j = 0; j < e; j++) ctx->d_img[(size_t)i * e + j] += t->weight * d[j];
    }
    *value = (float)sum; /* CPU: backend memory is host memory */
    return 0;
}

typedef struct {
    cls_term cls;
    acgd_term acgd;
    tsgr_term tsgr;
    dpgd_user dpgd;
    int32_t rows[3];
} terms;

static void terms_init(fixture *x, terms *u) {
    u->cls = (cls_term){{.targets = x->labels, .n = x->n_data, .symmetric = 0}, x->n_cur};
    u->acgd = (acgd_term){.img0 = x->n_data, .n = N_IMG - x->n_data, .txt0 = x->n_cur,
                          .K = N_TXT - x->n_cur, .p_teacher = x->p_teacher, .tau = x->tau_acgd};
    for (int i = 0; i < 3; i++) u->rows[i] = i;
    u->tsgr = (tsgr_term){.rows = u->rows, .n_cls = x->n_cur, .nbr = x->nbr, .k = x->k_tsgr,
                          .p_ref = x->p_ref, .tau = x->tau_tsgr};
    u->dpgd = (dpgd_user){x};
}

/* Loss K (0 cls, 1 acgd, 2 tsgr, 3 dpgd) as a loss term of weight W. */
static loss_term term_of(terms *u, int k, float w) {
    switch (k) {
    case 0: return (loss_term){"cls", w, loss_term_cls, &u->cls};
    case 1: return (loss_term){"acgd", w, loss_term_acgd, &u->acgd};
    case 2: return (loss_term){"tsgr", w, loss_term_tsgr, &u->tsgr};
    default: return (loss_term){"dpgd", w, dpgd_term, &u->dpgd};
    }
}

static const char *loss_names[4] = {"cls", "acgd", "tsgr", "dpgd"};

#define LOAD_OR_FAIL(x)                                                                            \
    do {                                                                                           \
        if (fixture_load(x) != 0) {                                                                \
            test_fail(__FILE__, __LINE__, "fixture: %s", segp_last_error());                       \
            fixture_free(x);                                                                       \
            return;                                                                                \
        }                                                                                          \
    } while (0)

/* Each loss alone through the training step (no optimiser): its value and its LoRA-B gradient
 * (both towers; the DPGD objective under the teacher, image tower only) against PyTorch. A
 * weight other than 1 checks that the value is unweighted and the gradient weighted. Unsplit
 * and data-parallel on 2 threads (the anchors and old-class rows then sit in other chunks). */
TEST(segp_losses_lora_grads_vs_torch) {
    fixture x;
    LOAD_OR_FAIL(&x);
    terms u;
    terms_init(&x, &u);
    size_t nb = clip_lora_trainable(x.student);
    float *want = malloc(nb * sizeof(float)), *got = malloc(nb * sizeof(float));
    const float weights[4] = {1.0f, 2.5f, 0.5f, 1.0f}, tol_b[4] = {1e-5, 1e-5, 1e-5, 1e-5};
    int saved = omp_get_max_threads();
    omp_set_num_threads(2);
    for (int dp = 0; dp < 2; dp++)
        for (int k = 0; k < 4; k++) {
            clip_lora *l = k == 3 ? x.teacher : x.student;
            train_step_params sp = {
                .lora = l, .train_vision = 1, .train_text = 1, .data_parallel = dp};
            train_step *s = train_step_new(x.m, &sp);
            loss_term t = term_of(&u, k, weights[k]);
            float v = NAN, total = NAN;
            int n_txt = k == 3 ? 0 : N_TXT; /* the objective reads no text */
            int rc = train_step_run(s, x.pix, N_IMG, x.ids, n_txt, &t, 1, 0, &v, &total);
            CHECK_MSG(rc == 0, "%s: %s", loss_names[k], segp_last_error());
            double ref = ref_value(&x, loss_names[k]);
            double ev = fabs(v - ref) / fabs(ref);
            CHECK_MSG(ev <= 1e-5, "%s (dp %d): value %.9g vs PyTorch %.9g (rel %.3g)",
                      loss_names[k], dp, (double)v, ref, ev);
            CHECK_NEAR(total, weights[k] * v, 1e-6 * fabs(total));
            if (rc == 0 && ref_grad_b(&x, loss_names[k], want) == 0) {
                const float *g = train_step_grads(s, NULL);
                for (size_t i = 0; i < nb; i++) got[i] = g[i] / weights[k];
                double eb = test_rel_err(got, want, nb);
                if (test_verbose())
                    printf("\n    %s (dp %d): value rel %.3g, LoRA-B grad rel %.3g", loss_names[k],
                           dp, ev, eb);
                CHECK_MSG(eb <= tol_b[k], "%s (dp %d): LoRA-B gradient relative error %.3g > %g",
                          loss_names[k], dp, eb, (double)tol_b[k]);
                /* every tower the loss reaches has a nonzero gradient */
                double nv = 0, ntx = 0;
                for (int i = 0; i < l->n_slots; i++) {
                    const clip_lora_slot *sl = &l->slots[i];
                    for (size_t q = 0; q < (size_t)sl->out * l->p.rank; q++)
                        *(sl->tower ? &ntx : &nv) += fabs(got[sl->b_off + q]);
                }
                CHECK_MSG((nv > 0) == (k != 2) && (ntx > 0) == (k != 3),
                          "%s: vision |g| %g, text |g| %g", loss_names[k], nv, ntx);
            }
            train_step_free(s);
        }
    omp_set_num_threads(saved);
    free(want), free(got);
    fixture_free(&x);
}

/* A frozen tower: ctx->d_img (or d_txt) is NULL and the terms leave it alone; the other
 * tower's gradient is the full step's. */
TEST(segp_losses_frozen_tower) {
    fixture x;
    LOAD_OR_FAIL(&x);
    terms u;
    terms_init(&x, &u);
    size_t nb = clip_lora_trainable(x.student);
    float *full = malloc(nb * sizeof(float));
    loss_term t[3] = {term_of(&u, 0, 1.0f), term_of(&u, 1, 5.0f), term_of(&u, 2, 1.0f)};
    float v_full[3], v[3];
    train_step_params sp = {.lora = x.student, .train_vision = 1, .train_text = 1};
    train_step *s = train_step_new(x.m, &sp);
    CHECK(train_step_run(s, x.pix, N_IMG, x.ids, N_TXT, t, 3, 0, v_full, NULL) == 0);
    memcpy(full, train_step_grads(s, NULL), nb * sizeof(float));
    train_step_free(s);
    for (int frozen = 0; frozen < 2; frozen++) { /* 0: vision frozen, 1: text frozen */
        sp.train_vision = frozen, sp.train_text = !frozen;
        s = train_step_new(x.m, &sp);
        CHECK(train_step_run(s, x.pix, N_IMG, x.ids, N_TXT, t, 3, 0, v, NULL) == 0);
        for (int k = 0; k < 3; k++) CHECK(v[k] == v_full[k]);
        const float *g = train_step_grads(s, NULL);
        for (int i = 0; i < x.student->n_slots; i++) {
            const clip_lora_slot *sl = &x.student->slots[i];
            size_t len = (size_t)sl->out * x.student->p.rank;
            if (sl->tower != frozen) {
                double d = test_rel_err(g + sl->b_off, full + sl->b_off, len);
                CHECK_MSG(d <= 1e-6, "slot %d: relative error %.3g", i, d);
            } else {
                for (size_t q = 0; q < len; q++) CHECK(g[sl->b_off + q] == 0.0f);
            }
        }
        train_step_free(s);
    }
    free(full);
    fixture_free(&x);
}

/* The image-side losses' gradients w.r.t. the pixels: the towers forwarded directly, the term on
 * a step context of our own (d_txt NULL), the vision backward with d_pixels. */
TEST(segp_losses_pixel_grads_vs_torch) {
    fixture x;
    LOAD_OR_FAIL(&x);
    terms u;
    terms_init(&x, &u);
    const clip_config *c = clip_model_config(x.m);
    int e = x.e;
    size_t npx = (size_t)N_IMG * 3 * c->resolution * c->resolution;
    float img[N_IMG * 64], txt[N_TXT * 64], d_img[N_IMG * 64];
    float *dpx = malloc(npx * sizeof(float)), *want = malloc(npx * sizeof(float));
    clip_acts *va = clip_acts_new(), *ta = clip_acts_new();
    const int which[3] = {0, 1, 3};
    const float tol[3] = {1e-5, 1e-5, 1e-5};
    for (int q = 0; q < 3; q++) {
        int k = which[q];
        clip_lora *l = k == 3 ? x.teacher : x.student;
        CHECK(clip_vision_forward(x.m, l, x.pix, N_IMG, va, 1, img) == 0);
        CHECK(clip_text_forward(x.m, l, x.ids, N_TXT, ta, 0, txt) == 0);
        memset(d_img, 0, sizeof d_img);
        step_ctx ctx = {.be = clip_model_backend(x.m), .e = e,
                        .logit_scale = clip_model_logit_scale(x.m), .step = 1, .img = img,
                        .n_img = N_IMG, .txt = txt, .n_txt = N_TXT, .d_img = d_img};
        loss_term t = term_of(&u, k, 1.0f);
        float v = loss_term_value(&t, &ctx);
        double ref = ref_value(&x, loss_names[k]);
        CHECK_MSG(fabs(v - ref) <= 1e-5 * fabs(ref), "%s: %.9g vs %.9g", loss_names[k], (double)v,
                  ref);
        clip_grads g = {.d_pixels = dpx};
        CHECK(clip_vision_backward(x.m, l, va, d_img, &g) == 0);
        char name[64];
        snprintf(name, sizeof name, "%s.grad_pixels", loss_names[k]);
        if (ref_read(x.f, name, (int64_t)npx, want) != 0) break;
        double err = test_rel_err(dpx, want, npx);
        if (test_verbose())
            printf("\n    %s: pixel gradient relative error %.3g", loss_names[k], err);
        CHECK_MSG(err <= tol[q], "%s: pixel gradient relative error %.3g > %g", loss_names[k], err,
                  (double)tol[q]);
    }
    clip_acts_free(va), clip_acts_free(ta);
    free(dpx), free(want);
    fixture_free(&x);
}

/* The teacher side: p_T from the teacher's own embeddings, TSGR's neighbours and p_ref in the
 * B = 0 space, and the DPGD objective's two terms per image. */
TEST(segp_losses_teacher_side_vs_torch) {
    fixture x;
    LOAD_OR_FAIL(&x);
    int e = x.e;
    float img[N_IMG * 64], txt[N_TXT * 64], g0[N_TXT * 64], p[6];
    CHECK(clip_encode_images(x.m, x.teacher, x.pix, N_IMG, img) == 0);
    CHECK(clip_encode_texts(x.m, x.teacher, x.ids, N_TXT, txt) == 0);
    CHECK(clip_encode_texts(x.m, x.g0, x.ids, N_TXT, g0) == 0);
    for (int i = 0; i < N_IMG; i++) { /* normalise */
        double s = 0;
        for (int j = 0; j < e; j++) s += (double)img[i * e + j] * img[i * e + j];
        for (int j = 0; j < e; j++) img[i * e + j] = (float)(img[i * e + j] / sqrt(s));
    }
    for (int i = 0; i < N_TXT; i++) {
        double s = 0, s0 = 0;
        for (int j = 0; j < e; j++)
            s += (double)txt[i * e + j] * txt[i * e + j],
                s0 += (double)g0[i * e + j] * g0[i * e + j];
        for (int j = 0; j < e; j++)
            txt[i * e + j] = (float)(txt[i * e + j] / sqrt(s)),
                        g0[i * e + j] = (float)(g0[i * e + j] / sqrt(s0));
    }
    float ls = clip_model_logit_scale(x.m);
    acgd_teacher_probs(img + 3 * e, 2, txt + 3 * e, 3, e, ls, x.tau_acgd, p);
    for (int i = 0; i < 6; i++) CHECK_NEAR(p[i], x.p_teacher[i], 2e-6);
    int32_t cls[3] = {0, 1, 2}, nbr[9];
    float p_ref[9];
    CHECK(tsgr_reference(g0, N_TXT, e, cls, 3, 3, x.tau_tsgr, nbr, p_ref) == 0);
    for (int i = 0; i < 9; i++) {
        CHECK_EQ_INT(nbr[i], x.nbr[i]);
        CHECK_NEAR(p_ref[i], x.p_ref[i], 2e-5);
    }
    /* the objective's terms under the teacher's own embeddings */
    float f[N_IMG * 64];
    CHECK(clip_encode_images(x.m, x.teacher, x.pix, N_IMG, f) == 0);
    for (int i = 0; i < N_IMG; i++) {
        double ce, vis;
        int c = x.targets[i];
        double L = dpgd_objective(f + i * e, e, x.g_old, 3, c, x.mu + c * e, x.lambda_p, ls, &ce,
                                  &vis, NULL);
        CHECK_NEAR(ce, x.ce[i], 1e-5 * fabs(x.ce[i]) + 1e-6);
        CHECK_NEAR(vis, x.vis[i], 2e-6);
        CHECK_NEAR(L, ce + x.lambda_p * vis, 1e-12);
    }
    /* k past the candidates, a class outside them: errors */
    CHECK(tsgr_reference(g0, N_TXT, e, cls, 3, N_TXT, x.tau_tsgr, nbr, p_ref) == -1);
    CHECK(err_has("6 neighbours"));
    cls[1] = N_TXT;
    CHECK(tsgr_reference(g0, N_TXT, e, cls, 3, 2, x.tau_tsgr, nbr, p_ref) == -1);
    CHECK(err_has("row 6"));
    fixture_free(&x);
}

/* ---- finite differences on random inputs ---- */

static void rand_fill(rng_state *r, float *a, int n, float scale) {
    for (int i = 0; i < n; i++) a[i] = scale * rng_normal(r);
}

/* Central difference of FN at X[i] (float inputs; the actual step taken, in double). */
typedef double (*fd_fn)(void *ctx);
static double fd_at(float *x, int i, fd_fn fn, void *ctx) {
    float x0 = x[i], h = 1e-4f * (fabsf(x0) > 1 ? fabsf(x0) : 1);
    x[i] = x0 + h;
    double hp = (double)x[i] - x0, lp = fn(ctx);
    x[i] = x0 - h;
    double hm = x0 - (double)x[i], lm = fn(ctx);
    x[i] = x0;
    return (lp - lm) / (hp + hm);
}

/* Relative error of the analytic gradient G (double) against central differences. */
static double fd_check(float *x, const float *g, int n, fd_fn fn, void *ctx) {
    double num = 0, den = 0;
    for (int i = 0; i < n; i++) {
        double d = fd_at(x, i, fn, ctx);
        num += (d - g[i]) * (d - g[i]);
        den += d * d;
    }
    return sqrt(num / (den > 0 ? den : 1e-300));
}

typedef struct {
    float *f, *g, *p;
    int n, K, e;
    float ls, tau;
    int32_t *rows, *nbr;
    int target;
    float *mu, lambda_p;
} fd_ctx;

static double acgd_val(void *c) {
    fd_ctx *u = c;
    return acgd_loss(u->f, u->n, u->g, u->K, u->e, u->p, u->ls, u->tau, 1, NULL, NULL);
}
static double tsgr_val(void *c) {
    fd_ctx *u = c;
    return tsgr_loss(u->g, u->e, u->rows, u->n, u->nbr, u->K, u->p, u->tau, 1, NULL);
}
static double dpgd_val(void *c) {
    fd_ctx *u = c;
    return dpgd_objective(u->f, u->e, u->g, u->K, u->target, u->mu, u->lambda_p, u->ls, NULL, NULL,
                          NULL);
}

TEST(segp_losses_acgd_finite_differences) {
    rng_state r = rng_seed(11, 1);
    enum { n = 4, K = 5, e = 7 };
    float f[n * e], g[K * e], p[n * K], ft[n * e], d_f[n * e], d_g[K * e];
    rand_fill(&r, f, n * e, 1.0f);
    rand_fill(&r, g, K * e, 0.5f);
    rand_fill(&r, ft, n * e, 1.0f);
    float gt[K * e];
    rand_fill(&r, gt, K * e, 1.0f);
    for (int i = 0; i < n; i++) { /* teacher rows normalised, as the header asks */
        double s = 0;
        for (int j = 0; j < e; j++) s += (double)ft[i * e + j] * ft[i * e + j];
        for (int j = 0; j < e; j++) ft[i * e + j] = (float)(ft[i * e + j] / sqrt(s));
    }
    for (int c = 0; c < K; c++) {
        double s = 0;
        for (int j = 0; j < e; j++) s += (double)gt[c * e + j] * gt[c * e + j];
        for (int j = 0; j < e; j++) gt[c * e + j] = (float)(gt[c * e + j] / sqrt(s));
    }
    const float taus[2] = {20.0f, 1.5f};
    for (int q = 0; q < 2; q++) {
        acgd_teacher_probs(ft, n, gt, K, e, 10.0f, taus[q], p);
        for (int i = 0; i < n; i++) {
            double s = 0;
            for (int c = 0; c < K; c++) s += p[i * K + c];
            CHECK_NEAR(s, 1.0, 1e-6);
        }
        fd_ctx u = {.f = f, .g = g, .p = p, .n = n, .K = K, .e = e, .ls = 10.0f, .tau = taus[q]};
        memset(d_f, 0, sizeof d_f), memset(d_g, 0, sizeof d_g);
        double L = acgd_loss(f, n, g, K, e, p, 10.0f, taus[q], 1.0f, d_f, d_g);
        CHECK(L > 0);
        double ef = fd_check(f, d_f, n * e, acgd_val, &u),
               eg = fd_check(g, d_g, K * e, acgd_val, &u);
        if (test_verbose()) printf("\n    ACGD tau %g: FD rel err f %.3g, g %.3g", taus[q], ef, eg);
        CHECK_MSG(ef < 1e-4 && eg < 1e-4, "tau %g: FD rel err f %.3g g %.3g", taus[q], ef, eg);
        /* gradients are added, scaled by the weight; a NULL output is skipped */
        float d2[n * e];
        memcpy(d2, d_f, sizeof d2);
        double L2 = acgd_loss(f, n, g, K, e, p, 10.0f, taus[q], 3.0f, d2, NULL);
        CHECK(L2 == L);
        for (int i = 0; i < n * e; i++)
            CHECK_NEAR(d2[i], 4.0f * d_f[i], 1e-6 * fabs(d_f[i]) + 1e-12);
    }
    /* the student equal to the teacher: zero loss and gradient */
    acgd_teacher_probs(ft, n, gt, K, e, 10.0f, 2.0f, p);
    memset(d_f, 0, sizeof d_f);
    CHECK_NEAR(acgd_loss(ft, n, gt, K, e, p, 10.0f, 2.0f, 1.0f, d_f, NULL), 0.0, 1e-7);
    for (int i = 0; i < n * e; i++) CHECK_NEAR(d_f[i], 0.0, 1e-6);
}

TEST(segp_losses_tsgr_finite_differences) {
    rng_state r = rng_seed(12, 1);
    enum { rows_n = 7, e = 6, n_cls = 3, k = 4 };
    float g[rows_n * e], p[n_cls * k], d_g[rows_n * e];
    rand_fill(&r, g, rows_n * e, 1.0f);
    int32_t rows[n_cls] = {1, 4, 6}, nbr[n_cls * k] = {0, 2, 3, 4, 6, 1, 0, 5, 4, 5, 2, 0};
    for (int i = 0; i < n_cls; i++) { /* a reference distribution per class */
        double s = 0;
        for (int j = 0; j < k; j++) s += p[i * k + j] = 0.1f + rng_uniform(&r);
        for (int j = 0; j < k; j++) p[i * k + j] = (float)(p[i * k + j] / s);
    }
    const float taus[2] = {0.05f, 0.7f};
    for (int q = 0; q < 2; q++) {
        fd_ctx u = {
            .g = g, .p = p, .n = n_cls, .K = k, .e = e, .tau = taus[q], .rows = rows, .nbr = nbr};
        memset(d_g, 0, sizeof d_g);
        double L = tsgr_loss(g, e, rows, n_cls, nbr, k, p, taus[q], 1.0f, d_g);
        CHECK(L > 0);
        double eg = fd_check(g, d_g, rows_n * e, tsgr_val, &u);
        if (test_verbose()) printf("\n    TSGR tau %g: FD rel err %.3g", taus[q], eg);
        CHECK_MSG(eg < 1e-4, "tau %g: FD rel err %.3g", taus[q], eg);
    }
    /* the reference of a space is its own minimum: zero loss */
    float g0[rows_n * e];
    for (int i = 0; i < rows_n; i++) {
        double s = 0;
        for (int j = 0; j < e; j++) s += (double)g[i * e + j] * g[i * e + j];
        for (int j = 0; j < e; j++) g0[i * e + j] = (float)(g[i * e + j] / sqrt(s));
    }
    int32_t nb2[n_cls * k];
    float p2[n_cls * k];
    CHECK(tsgr_reference(g0, rows_n, e, rows, n_cls, k, 0.1f, nb2, p2) == 0);
    CHECK_NEAR(tsgr_loss(g, e, rows, n_cls, nb2, k, p2, 0.1f, 1.0f, NULL), 0.0, 1e-7);
    /* neighbours: by decreasing cosine, never the class itself, a brute-force check */
    for (int i = 0; i < n_cls; i++)
        for (int j = 0; j < k; j++) {
            CHECK(nb2[i * k + j] != rows[i]);
            double sj = 0;
            for (int q = 0; q < e; q++)
                sj += (double)g0[rows[i] * e + q] * g0[nb2[i * k + j] * e + q];
            int better = 0; /* candidates above this one */
            for (int c = 0; c < rows_n; c++) {
                if (c == rows[i]) continue;
                double sc = 0;
                for (int q = 0; q < e; q++) sc += (double)g0[rows[i] * e + q] * g0[c * e + q];
                better += sc > sj;
            }
            CHECK_EQ_INT(better, j);
        }
    /* ties: the lower row */
    float tie[4 * 2] = {1, 0, 0.6f, 0.8f, 0.6f, 0.8f, -1, 0};
    int32_t c0 = 0, tn[2];
    float tp[2];
    CHECK(tsgr_reference(tie, 4, 2, &c0, 1, 2, 1.0f, tn, tp) == 0);
    CHECK(tn[0] == 1 && tn[1] == 2);
    CHECK_NEAR(tp[0], 0.5, 1e-7);
}

TEST(segp_losses_dpgd_finite_differences) {
    rng_state r = rng_seed(13, 1);
    enum { K = 6, e = 9 };
    float f[e], g[K * e], mu[e], d_f[e];
    rand_fill(&r, f, e, 2.0f);
    rand_fill(&r, g, K * e, 1.0f);
    rand_fill(&r, mu, e, 1.0f);
    for (int c = 0; c <= K; c++) { /* rows of g and mu normalised */
        float *v = c < K ? g + c * e : mu;
        double s = 0;
        for (int j = 0; j < e; j++) s += (double)v[j] * v[j];
        for (int j = 0; j < e; j++) v[j] = (float)(v[j] / sqrt(s));
    }
    const float lambdas[3] = {1.0f, 0.0f, 2.5f};
    for (int q = 0; q < 3; q++)
        for (int use_mu = 0; use_mu < 2; use_mu++) {
            fd_ctx u = {.f = f, .g = g, .K = K, .e = e, .ls = 29.45f, .target = 2 + q,
                        .mu = use_mu ? mu : NULL, .lambda_p = lambdas[q]};
            for (int j = 0; j < e; j++) d_f[j] = 123.0f; /* overwritten, not added to */
            double ce, vis;
            double L = dpgd_objective(f, e, g, K, u.target, u.mu, u.lambda_p, u.ls, &ce, &vis, d_f);
            double want_vis = 0;
            if (use_mu) {
                double s = 0, n2 = 0;
                for (int j = 0; j < e; j++) s += (double)f[j] * mu[j], n2 += (double)f[j] * f[j];
                want_vis = 1 - s / sqrt(n2);
            }
            CHECK_NEAR(vis, want_vis, 1e-12);
            CHECK_NEAR(L, ce + (use_mu ? lambdas[q] * vis : 0), 1e-12);
            double ef = fd_check(f, d_f, e, dpgd_val, &u);
            if (test_verbose())
                printf("\n    DPGD lambda %g mu %d: FD rel err %.3g", lambdas[q], use_mu, ef);
            CHECK_MSG(ef < 1e-4, "lambda %g, mu %d: FD rel err %.3g", lambdas[q], use_mu, ef);
        }
    /* the CE term is a cross-entropy: the softmax of the logits at the target */
    double ce;
    dpgd_objective(f, e, g, K, 0, NULL, 1.0f, 29.45f, &ce, NULL, NULL);
    double n2 = 0, z[K], m = -1e300, s = 0;
    for (int j = 0; j < e; j++) n2 += (double)f[j] * f[j];
    for (int c = 0; c < K; c++) {
        z[c] = 0;
        for (int j = 0; j < e; j++) z[c] += (double)29.45f * f[j] * g[c * e + j] / sqrt(n2);
        if (z[c] > m) m = z[c];
    }
    for (int c = 0; c < K; c++) s += exp(z[c] - m);
    CHECK_NEAR(ce, m + log(s) - z[0], 1e-9);
}

/* Rows outside the batch are an error naming the term; no anchors in a step is a zero loss. */
TEST(segp_losses_term_rows_checked) {
    float img[4 * 3] = {1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 0},
                  txt[3 * 3] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
    float p[2 * 3] = {0.2f, 0.3f, 0.5f, 0.6f, 0.2f, 0.2f};
    step_ctx ctx = {.be = segp_backend_cpu(), .e = 3, .logit_scale = 10, .img = img, .n_img = 4,
                    .txt = txt, .n_txt = 3};
    acgd_term a = {.img0 = 3, .n = 2, .txt0 = 0, .K = 3, .p_teacher = p, .tau = 2};
    loss_term t = {"acgd", 1.0f, loss_term_acgd, &a};
    CHECK(isnan(loss_term_value(&t, &ctx)));
    CHECK(err_has("'acgd'") && err_has("4 images"));
    a.img0 = 2;
    CHECK(isfinite(loss_term_value(&t, &ctx))); /* d_img and d_txt NULL: values only */
    a.txt0 = 1;
    CHECK(isnan(loss_term_value(&t, &ctx)));
    a.n = 0;
    CHECK(loss_term_value(&t, &ctx) == 0.0f);
    int32_t rows[1] = {0}, nbr[2] = {1, 3};
    float pr[2] = {0.5f, 0.5f};
    tsgr_term ts = {.rows = rows, .n_cls = 1, .nbr = nbr, .k = 2, .p_ref = pr, .tau = 0.1f};
    loss_term tt = {"tsgr", 1.0f, loss_term_tsgr, &ts};
    CHECK(isnan(loss_term_value(&tt, &ctx)));
    CHECK(err_has("'tsgr'") && err_has("text row 3"));
    nbr[1] = 2;
    CHECK(isfinite(loss_term_value(&tt, &ctx)));
}
