/* test_backend_step.c: the whole model on the CUDA backend against the CPU one: a tiny random
 * CLIP (clip_model_random, the same weights on both), its two towers' embeddings, the input
 * gradient of the image tower (what DPGD and bench (c) run), and a few AdamW steps of LoRA-B
 * training through the one training step (engine/train/step.h) from the same weights and
 * batch: the loss of every step, the first step's gradient and the final LoRA-B compared.
 * Skipped, with the reason, where there is no CUDA backend (CPU-only builds, no GPU); the
 * per-op comparison is tests/test_backend_ops.c. SEGP_TEST_STEP_DEV=cpu compares the CPU with
 * itself instead (every difference 0: a check of this file's own code where there is no GPU).
 *
 * Bounds. FP32: embeddings and gradients nMSE <= 1e-8, losses relative 1e-5, LoRA-B after the
 * AdamW steps nMSE <= 1e-6 (Adam's first steps move each number by about lr sign(g), so a
 * number whose gradient sits near 0 may step either way: rare at FP32's agreement). TF32: 1e-4,
 * 1e-3, 1e-2 (each product's inputs rounded to 10-bit mantissas, about 1e-7 nMSE per gemm,
 * through some 20 chained products; more near-zero gradients flip). */
#include <stdlib.h>
#include <string.h>

#include "backend/backend.h"
#include "core/common.h"
#include "core/rng.h"
#include "model/clip.h"
#include "model/lora.h"
#include "test.h"
#include "train/optim.h"
#include "train/step.h"

#define N_IMG 6
#define N_TXT 4
#define N_STEPS 3

static clip_config tiny_config(void) {
    clip_config c;
    memset(&c, 0, sizeof c);
    c.has_vision = c.has_text = 1;
    c.v_width = 48, c.v_layers = 2, c.v_heads = 3, c.v_mlp = 96;
    c.patch = 4, c.grid = 4, c.resolution = 16;
    c.t_width = 32, c.t_layers = 2, c.t_heads = 2, c.t_mlp = 64;
    c.context = 12, c.vocab = 60, c.embed_dim = 24;
    c.act = ACT_QUICK_GELU;
    c.ln_eps = 1e-5f;
    return c;
}

/* sum (a-b)^2 / sum b^2 of host arrays. */
static double nmse(const float *a, const float *b, size_t n) {
    double num = 0, den = 0;
    for (size_t i = 0; i < n; i++) {
        num += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
        den += (double)b[i] * b[i];
    }
    return num != num ? NAN : num == 0 ? 0 : num / fmax(den, 1e-300);
}

static int any_nonzero(const float *p, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (p[i] != 0.0f) return 1;
    return 0;
}

/* N floats of backend memory P on the host (malloc'd). */
static float *download(const segp_backend *be, const float *p, size_t n) {
    float *h = malloc((n ? n : 1) * sizeof(float));
    be->to_host(h, p, n * sizeof(float));
    return h;
}

typedef struct {
    clip_model *m;
    const segp_backend *be;
    clip_lora *lora;
    optim *opt;
    train_step *step;
} side;

static int side_new(side *s, const char *device, const char *precision) {
    clip_config cfg = tiny_config();
    memset(s, 0, sizeof *s);
    if (!(s->m = clip_model_random(&cfg, 99, device))) return -1;
    s->be = clip_model_backend(s->m);
    if (segp_backend_set_precision(s->be, precision, "--precision") != 0) return -1;
    clip_lora_params lp = clip_lora_default_params();
    lp.rank = 4, lp.alpha = 8, lp.seed = 5;
    lp.targets = LORA_Q | LORA_K | LORA_V | LORA_OUT | LORA_FC | LORA_PROJ;
    if (!(s->lora = clip_lora_new(s->m, &lp))) return -1;
    optim_params op = optim_default_params(OPTIM_ADAMW);
    op.weight_decay = 0.01f;
    if (!(s->opt = optim_new(s->be, &op, clip_lora_trainable(s->lora), NULL))) return -1;
    train_step_params sp = {.lora = s->lora, .opt = s->opt, .train_vision = 1, .train_text = 1};
    return (s->step = train_step_new(s->m, &sp)) ? 0 : -1;
}

static void side_free(side *s) {
    train_step_free(s->step);
    optim_free(s->opt);
    clip_lora_free(s->lora);
    clip_model_free(s->m);
}

/* The tiny model on CUDA against the CPU with the CUDA side's gemm at PRECISION. */
static void compare_cpu_cuda(const char *precision, double tol_emb, double tol_loss,
                             double tol_b) {
    side cpu, gpu;
    if (side_new(&cpu, "cpu", "fp32") != 0) {
        test_fail(__FILE__, __LINE__, "cpu side: %s", segp_last_error());
        return;
    }
    const char *dev = getenv("SEGP_TEST_STEP_DEV");
    if (side_new(&gpu, dev && *dev ? dev : "cuda", precision) != 0) {
        char why[512];
        snprintf(why, sizeof why, "%s", segp_last_error());
        side_free(&cpu);
        side_free(&gpu);
        TEST_SKIP("no CUDA backend here: %s", why);
    }
    const clip_config *c = clip_model_config(cpu.m);
    int e = c->embed_dim, r = c->resolution;
    size_t npix = (size_t)N_IMG * 3 * r * r;
    rng_state rng = rng_seed(4, 2);
    float *pixels = malloc(npix * sizeof(float));
    for (size_t i = 0; i < npix; i++) pixels[i] = rng_normal(&rng);
    int32_t ids[N_TXT * 12] = {0}, targets[N_IMG];
    for (int t = 0; t < N_TXT; t++) { /* start, words, end of text (the largest id) */
        int len = 3 + t * 2;
        ids[t * c->context] = c->vocab - 2;
        for (int j = 1; j < len - 1; j++)
            ids[t * c->context + j] = 1 + (int32_t)(rng_next(&rng) % (uint64_t)(c->vocab - 3));
        ids[t * c->context + len - 1] = c->vocab - 1;
    }
    for (int i = 0; i < N_IMG; i++) targets[i] = i % N_TXT;

    /* 1. both towers' embeddings and the image tower's input gradient (B = 0: base weights) */
    float *emb[2][2], *dpix[2];
    side *sd[2] = {&cpu, &gpu};
    for (int k = 0; k < 2; k++) {
        const segp_backend *be = sd[k]->be;
        float *px = be->alloc(npix * sizeof(float)), *dp = be->alloc(npix * sizeof(float));
        float *img = be->alloc((size_t)N_IMG * e * sizeof(float));
        float *txt = be->alloc((size_t)N_TXT * e * sizeof(float));
        float *dimg = be->alloc((size_t)N_IMG * e * sizeof(float));
        be->to_device(px, pixels, npix * sizeof(float));
        be->to_device(dimg, pixels, (size_t)N_IMG * e * sizeof(float)); /* any fixed d_out */
        clip_acts *va = clip_acts_new(), *ta = clip_acts_new();
        CHECK(clip_vision_forward(sd[k]->m, sd[k]->lora, px, N_IMG, va, 1, img) == 0);
        CHECK(clip_text_forward(sd[k]->m, sd[k]->lora, ids, N_TXT, ta, 0, txt) == 0);
        clip_grads g = {.d_pixels = dp};
        CHECK(clip_vision_backward(sd[k]->m, sd[k]->lora, va, dimg, &g) == 0);
        emb[k][0] = download(be, img, (size_t)N_IMG * e);
        emb[k][1] = download(be, txt, (size_t)N_TXT * e);
        dpix[k] = download(be, dp, npix);
        CHECK(be->sync() == 0);
        clip_acts_free(va), clip_acts_free(ta);
        be->free(px), be->free(dp), be->free(img), be->free(txt), be->free(dimg);
    }
    double e_img = nmse(emb[1][0], emb[0][0], (size_t)N_IMG * e);
    double e_txt = nmse(emb[1][1], emb[0][1], (size_t)N_TXT * e);
    double e_dpix = nmse(dpix[1], dpix[0], npix);
    /* the compared numbers are not all zero (a vacuous agreement) */
    CHECK(any_nonzero(emb[0][0], (size_t)N_IMG * e));
    CHECK(any_nonzero(dpix[0], npix));
    CHECK_MSG(e_img <= tol_emb, "%s: image embeddings nMSE %.3g", precision, e_img);
    CHECK_MSG(e_txt <= tol_emb, "%s: text embeddings nMSE %.3g", precision, e_txt);
    CHECK_MSG(e_dpix <= tol_emb, "%s: pixel gradient nMSE %.3g", precision, e_dpix);

    /* 2. AdamW steps of LoRA-B through both towers */
    clip_ce_term ce = {targets, 0, 0};
    loss_term term = {"cls", 1.0f, loss_term_clip_ce, &ce};
    double worst_loss = 0, e_grad = 0;
    for (int st = 0; st < N_STEPS; st++) {
        float v[2] = {NAN, NAN};
        for (int k = 0; k < 2; k++)
            CHECK(train_step_run(sd[k]->step, pixels, N_IMG, ids, N_TXT, &term, 1, 1e-3f, &v[k],
                                 NULL) == 0);
        double rel = fabs((double)v[1] - v[0]) / fmax(fabs(v[0]), 1e-30);
        if (!(rel <= worst_loss)) worst_loss = rel;
        if (st == 0) {
            size_t n0, n1;
            const float *g0 = train_step_grads(cpu.step, &n0);
            const float *g1 = train_step_grads(gpu.step, &n1);
            CHECK_EQ_INT(n0, n1);
            float *h1 = download(gpu.be, g1, n1);
            e_grad = nmse(h1, g0, n0);
            CHECK(any_nonzero(g0, n0));
            free(h1);
        }
    }
    size_t nb = clip_lora_trainable(cpu.lora);
    float *b1 = download(gpu.be, gpu.lora->b, nb);
    double e_b = nmse(b1, cpu.lora->b, nb);
    CHECK(any_nonzero(cpu.lora->b, nb));
    CHECK(gpu.be->sync() == 0);
    CHECK_MSG(worst_loss <= tol_loss, "%s: loss relative difference %.3g", precision, worst_loss);
    CHECK_MSG(e_grad <= tol_emb, "%s: first step's LoRA-B gradient nMSE %.3g", precision, e_grad);
    CHECK_MSG(e_b <= tol_b, "%s: LoRA-B after %d AdamW steps nMSE %.3g", precision, N_STEPS, e_b);
    if (test_verbose())
        printf("\n    %s: embeddings %.2e %.2e, pixel gradient %.2e, losses %.2e, gradient %.2e, "
               "LoRA-B %.2e",
               precision, e_img, e_txt, e_dpix, worst_loss, e_grad, e_b);
    free(b1);
    for (int k = 0; k < 2; k++) free(emb[k][0]), free(emb[k][1]), free(dpix[k]);
    free(pixels);
    side_free(&cpu);
    side_free(&gpu);
}

TEST(backend_step_cuda_vs_cpu_fp32) { compare_cpu_cuda("fp32", 1e-8, 1e-5, 1e-6); }
TEST(backend_step_cuda_vs_cpu_tf32) { compare_cpu_cuda("tf32", 1e-4, 1e-3, 1e-2); }
