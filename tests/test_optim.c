/* test_optim.c: the optimiser objects, the schedule and the one training step.
 * - five steps of SGD with momentum and five of AdamW through train_step_run (CLIP-logit loss
 *   over LoRA-B on the tiny fixture CLIP) against PyTorch's torch.optim in float64
 *   (tests/ref/optim_ref.py): the loss of every step and the B matrices after every step;
 * - the update rules and the warm-up + cosine schedule on hand-computed numbers;
 * - loss terms add weight * gradient; a non-finite loss is an error that leaves B unchanged;
 * - the epoch order is a seeded permutation whose sequence is pinned (fine-tune results
 *   depend on it). */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "core/common.h"
#include "io/npy.h"
#include "io/safetensors.h"
#include "model/clip.h"
#include "model/lora.h"
#include "test.h"
#include "train/optim.h"
#include "train/step.h"

#define FIX "tests/fixtures/"

/* ---- hand-computed numbers ---- */

TEST(optim_schedule_warmup_cosine) {
    /* warm-up 2, total 6: base * (s+1)/2 while s < 2, then 0.5 base (1 + cos(pi (s-2)/4)) */
    const float want[8] = {0.5f, 1.0f, 1.0f, 0.85355339f, 0.5f, 0.14644661f, 0.0f, 0.0f};
    for (int s = 0; s < 8; s++) CHECK_NEAR(lr_warmup_cosine(1.0f, s, 2, 6), want[s], 1e-7);
    CHECK_NEAR(lr_warmup_cosine(0.01f, 3, 2, 6), 0.0085355339, 1e-9);
    /* no warm-up: cosine from the first step */
    CHECK_NEAR(lr_warmup_cosine(2.0f, 0, 0, 4), 2.0, 1e-7);
    CHECK_NEAR(lr_warmup_cosine(2.0f, 1, 0, 4), 1.70710678, 1e-6);
    CHECK_NEAR(lr_warmup_cosine(2.0f, 2, 0, 4), 1.0, 1e-6);
    /* total <= warm-up: the base after the warm-up */
    CHECK_NEAR(lr_warmup_cosine(3.0f, 0, 3, 3), 1.0, 1e-7);
    CHECK_NEAR(lr_warmup_cosine(3.0f, 5, 3, 3), 3.0, 1e-7);
}

TEST(optim_sgd_momentum_by_hand) {
    optim_params p = optim_default_params(OPTIM_SGD);
    p.momentum = 0.5f;
    p.weight_decay = 0.1f;
    uint8_t mask[2] = {1, 0};
    optim *o = optim_new(NULL, &p, 2, mask);
    CHECK(o != NULL);
    if (!o) return;
    float w[2] = {1.0f, 2.0f}, g[2] = {0.5f, -1.0f};
    /* step 1: v = g + wd w (masked) = {0.6, -1}; w -= 0.1 v = {0.94, 2.1} */
    optim_step(o, w, g, 0.1f);
    CHECK_NEAR(w[0], 0.94, 1e-7);
    CHECK_NEAR(w[1], 2.1, 1e-7);
    /* step 2: v = 0.5 v + g + wd w = {0.3 + 0.5 + 0.094, -0.5 - 1} = {0.894, -1.5} */
    optim_step(o, w, g, 0.1f);
    CHECK_NEAR(w[0], 0.94 - 0.0894, 1e-7);
    CHECK_NEAR(w[1], 2.25, 1e-7);
    CHECK_EQ_INT(optim_step_count(o), 2);
    CHECK_NEAR(optim_state(o, 0)[0], 0.894, 1e-7);
    CHECK(optim_state(o, 1) == NULL);
    optim_free(o);
}

TEST(optim_adamw_by_hand) {
    optim_params p = optim_default_params(OPTIM_ADAMW);
    p.beta1 = 0.8f, p.beta2 = 0.9f, p.eps = 0.0f, p.weight_decay = 0.5f;
    optim *o = optim_new(NULL, &p, 2, NULL);
    CHECK(o != NULL);
    if (!o) return;
    float w[2] = {1.0f, -2.0f}, g[2] = {0.25f, -4.0f};
    /* step 1: m^ = g, v^ = g^2, so w -= lr (sign(g) + wd w) */
    optim_step(o, w, g, 0.1f);
    CHECK_NEAR(w[0], 1.0 - 0.1 * (1 + 0.5), 1e-7);
    CHECK_NEAR(w[1], -2.0 - 0.1 * (-1 - 1.0), 1e-7);
    /* step 2 with gradient {1, 0}: m = {0.2*0.25*0.8 + 0.2, -0.8*0.8}, v = {0.1*0.0625*0.9 + 0.1,
     * 0.1*16*0.9}; bias corrections 1 - 0.8^2 = 0.36, 1 - 0.9^2 = 0.19 */
    float g2[2] = {1.0f, 0.0f};
    double w0 = w[0], w1 = w[1];
    double m0 = 0.2 * 0.25 * 0.8 + 0.2, v0 = 0.1 * 0.0625 * 0.9 + 0.1;
    double m1 = 0.2 * -4.0 * 0.8, v1 = 0.1 * 16 * 0.9;
    optim_step(o, w, g2, 0.1f);
    CHECK_NEAR(w[0], w0 - 0.1 * ((m0 / 0.36) / sqrt(v0 / 0.19) + 0.5 * w0), 1e-6);
    CHECK_NEAR(w[1], w1 - 0.1 * ((m1 / 0.36) / sqrt(v1 / 0.19) + 0.5 * w1), 1e-6);
    CHECK_NEAR(optim_state(o, 1)[1], v1, 1e-6);
    optim_free(o);
}

TEST(optim_kind_parse_and_bad_params) {
    optim_kind k = OPTIM_SGD;
    CHECK(optim_kind_parse("adamw", "train.optimizer", &k) == 0 && k == OPTIM_ADAMW);
    CHECK(optim_kind_parse("sgd", "train.optimizer", &k) == 0 && k == OPTIM_SGD);
    CHECK(optim_kind_parse("adam", "train.optimizer", &k) == -1);
    CHECK(strstr(segp_last_error(), "train.optimizer 'adam'") != NULL);
    optim_params p = optim_default_params(OPTIM_ADAMW);
    p.beta2 = 1.0f;
    CHECK(optim_new(NULL, &p, 4, NULL) == NULL);
    CHECK(strstr(segp_last_error(), "adamw") != NULL);
}

TEST(optim_epoch_order_pinned) {
    int32_t a[10], b[10], c[10];
    train_epoch_order(1, 0, 10, a);
    train_epoch_order(1, 0, 10, b);
    train_epoch_order(1, 1, 10, c);
    CHECK(!memcmp(a, b, sizeof a));
    CHECK(memcmp(a, c, sizeof a) != 0);
    int seen[10] = {0};
    for (int i = 0; i < 10; i++)
        if (a[i] >= 0 && a[i] < 10) seen[a[i]]++;
    for (int i = 0; i < 10; i++) CHECK_EQ_INT(seen[i], 1);
    /* the sequence the shipped fine-tune was trained with (seed 1); changing it changes results */
    static const int32_t want[10] = {4, 6, 8, 1, 9, 5, 7, 2, 3, 0};
    for (int i = 0; i < 10; i++) CHECK_EQ_INT(a[i], want[i]);
}

/* ---- the training step against PyTorch ---- */

typedef struct {
    clip_model *m;
    clip_lora *lora;
    float *pix;
    int32_t *ids, *labels;
    int n_img, n_txt;
} tiny;

static int tiny_load(tiny *t) {
    memset(t, 0, sizeof *t);
    t->m = clip_model_load(FIX "clip_tiny.safetensors", NULL);
    if (!t->m) return -1;
    clip_lora_params lp = clip_lora_default_params();
    lp.rank = 4, lp.alpha = 8.0f;
    t->lora = clip_lora_new(t->m, &lp);
    if (!t->lora || clip_lora_load(t->lora, FIX "clip_tiny_lora.safetensors") != 0) return -1;
    npy_array px, id;
    if (npy_read(FIX "clip_tiny_pixels.npy", &px) != 0) return -1;
    if (npy_read(FIX "clip_tiny_ids.npy", &id) != 0) {
        npy_free(&px);
        return -1;
    }
    t->pix = px.data;
    t->n_img = (int)px.shape[0], t->n_txt = (int)id.shape[0];
    t->ids = malloc((size_t)id.numel * sizeof(int32_t));
    for (int64_t i = 0; i < id.numel; i++) t->ids[i] = (int32_t)id.data[i];
    npy_free(&id);
    t->labels = malloc((size_t)t->n_img * sizeof(int32_t));
    for (int i = 0; i < t->n_img; i++) t->labels[i] = i % t->n_txt;
    return 0;
}

static void tiny_free(tiny *t) {
    clip_lora_free(t->lora);
    clip_model_free(t->m);
    free(t->pix), free(t->ids), free(t->labels);
}

static double meta_num(st_file *f, const char *key) {
    const char *v = st_metadata(f, key);
    CHECK_MSG(v != NULL, "optim_ref.safetensors: no metadata %s", key);
    return v ? atof(v) : NAN;
}

/* The B state after step S as the reference stored it, in the C layout. */
static int ref_b(st_file *f, const clip_lora *l, const char *opt, int s, float *out) {
    for (int i = 0; i < l->n_slots; i++) {
        const clip_lora_slot *sl = &l->slots[i];
        char name[128];
        snprintf(name, sizeof name, "%s.%d.lora.%s.%d.%s.B", opt, s, sl->tower ? "text" : "visual",
                 sl->layer, clip_lora_target_name(sl->target));
        const st_tensor *t = st_find(f, name);
        if (!t || t->numel != (int64_t)sl->out * l->p.rank) {
            test_fail(__FILE__, __LINE__, "optim_ref.safetensors: %s missing or misshaped", name);
            return -1;
        }
        if (st_read_f32(f, t, out + sl->b_off) != 0) return -1;
    }
    return 0;
}

static void check_steps_against_torch(optim_kind kind, const char *name) {
    tiny t;
    st_file *f = st_open(FIX "optim_ref.safetensors");
    CHECK_MSG(f != NULL, "%s", segp_last_error());
    if (!f) return;
    if (tiny_load(&t) != 0) {
        test_fail(__FILE__, __LINE__, "tiny model: %s", segp_last_error());
        tiny_free(&t);
        st_close(f);
        return;
    }
    char key[96];
    optim_params op = optim_default_params(kind);
    snprintf(key, sizeof key, "segp.%s.lr", name);
    float base = (float)meta_num(f, key);
    snprintf(key, sizeof key, "segp.%s.weight_decay", name);
    op.weight_decay = (float)meta_num(f, key);
    if (kind == OPTIM_SGD) {
        op.momentum = (float)meta_num(f, "segp.sgd.momentum");
    } else {
        op.beta1 = (float)meta_num(f, "segp.adamw.beta1");
        op.beta2 = (float)meta_num(f, "segp.adamw.beta2");
        op.eps = (float)meta_num(f, "segp.adamw.eps");
    }
    int steps = (int)meta_num(f, "segp.steps"), warmup = (int)meta_num(f, "segp.warmup");
    size_t nb = clip_lora_trainable(t.lora);
    optim *o = optim_new(NULL, &op, nb, NULL);
    train_step_params sp = {.lora = t.lora, .opt = o, .train_vision = 1, .train_text = 1};
    train_step *s = train_step_new(t.m, &sp);
    CHECK_MSG(s != NULL, "%s", segp_last_error());
    float *b0 = malloc(nb * sizeof(float)), *want = malloc(nb * sizeof(float));
    float *du = malloc(nb * sizeof(float)), *dw = malloc(nb * sizeof(float));
    float losses[16] = {0}, lrs[16] = {0};
    snprintf(key, sizeof key, "%s.losses", name);
    const st_tensor *tl = st_find(f, key);
    snprintf(key, sizeof key, "%s.lr", name);
    const st_tensor *tr = st_find(f, key);
    CHECK(tl && tr && tl->numel == steps && steps <= 16);
    memcpy(b0, t.lora->b, nb * sizeof(float));
    if (s && tl && tr && steps <= 16 && st_read_f32(f, tl, losses) == 0 &&
        st_read_f32(f, tr, lrs) == 0) {
        clip_ce_term ce = {t.labels, 0, 0};
        loss_term term = {"cls", 1.0f, loss_term_clip_ce, &ce};
        double worst_loss = 0, worst_b = 0, worst_upd = 0;
        for (int k = 0; k < steps; k++) {
            float lr = lr_warmup_cosine(base, k, warmup, steps), loss = 0, total = 0;
            CHECK_NEAR(lr, lrs[k], 1e-7 * lrs[k]);
            int rc = train_step_run(s, t.pix, t.n_img, t.ids, t.n_txt, &term, 1, lr, &loss, &total);
            CHECK_MSG(rc == 0, "%s step %d: %s", name, k + 1, segp_last_error());
            CHECK(total == loss);
            double el = fabs(loss - losses[k]) / fabs(losses[k]);
            if (el > worst_loss) worst_loss = el;
            CHECK_MSG(el <= 1e-5, "%s step %d: loss %.9g vs PyTorch %.9g (rel %.3g > 1e-5)", name,
                      k + 1, (double)loss, (double)losses[k], el);
            if (ref_b(f, t.lora, name, k + 1, want) != 0) break;
            double eb = test_rel_err(t.lora->b, want, nb);
            /* the update B_k - B_0 alone, so that the unchanged part cannot hide an error */
            for (size_t i = 0; i < nb; i++) du[i] = t.lora->b[i] - b0[i], dw[i] = want[i] - b0[i];
            double eu = test_rel_err(du, dw, nb);
            if (eb > worst_b) worst_b = eb;
            if (eu > worst_upd) worst_upd = eu;
            CHECK_MSG(eb <= 2e-5, "%s step %d: LoRA B relative error %.3g > 2e-5", name, k + 1, eb);
            CHECK_MSG(eu <= 2e-5, "%s step %d: LoRA B update relative error %.3g > 2e-5", name,
                      k + 1, eu);
        }
        CHECK_EQ_INT(optim_step_count(o), steps);
        if (test_verbose())
            printf("\n    %s: worst relative error over %d steps: loss %.3g, B %.3g, B - B0 %.3g",
                   name, steps, worst_loss, worst_b, worst_upd);
    }
    free(b0), free(want), free(du), free(dw);
    train_step_free(s);
    optim_free(o);
    tiny_free(&t);
    st_close(f);
}

TEST(optim_sgd_five_steps_vs_torch) { check_steps_against_torch(OPTIM_SGD, "sgd"); }
TEST(optim_adamw_five_steps_vs_torch) { check_steps_against_torch(OPTIM_ADAMW, "adamw"); }

static int term_inf(const loss_term *t, step_ctx *ctx, float *value) {
    const float inf = INFINITY;
    ctx->be->to_device(value, &inf, sizeof inf);
    return 0;
}

/* Terms add weight * gradient: two CLIP terms weighted 0.25 and 0.75 give the gradient of one
 * with weight 1; a frozen tower gets no gradient; a non-finite loss stops before the update. */
TEST(optim_step_terms_and_errors) {
    tiny t;
    if (tiny_load(&t) != 0) {
        test_fail(__FILE__, __LINE__, "tiny model: %s", segp_last_error());
        tiny_free(&t);
        return;
    }
    size_t nb = clip_lora_trainable(t.lora), n = 0;
    train_step_params sp = {.lora = t.lora, .opt = NULL, .train_vision = 1, .train_text = 1};
    train_step *s = train_step_new(t.m, &sp);
    clip_ce_term ce = {t.labels, 0, 0};
    loss_term one = {"cls", 1.0f, loss_term_clip_ce, &ce};
    loss_term two[2] = {{"a", 0.25f, loss_term_clip_ce, &ce}, {"b", 0.75f, loss_term_clip_ce, &ce}};
    float v[2], total;
    CHECK(train_step_run(s, t.pix, t.n_img, t.ids, t.n_txt, &one, 1, 0, v, &total) == 0);
    float *g1 = malloc(nb * sizeof(float));
    memcpy(g1, train_step_grads(s, &n), nb * sizeof(float));
    CHECK_EQ_INT(n, nb);
    float l1 = v[0];
    CHECK(train_step_run(s, t.pix, t.n_img, t.ids, t.n_txt, two, 2, 0, v, &total) == 0);
    CHECK(v[0] == l1 && v[1] == l1);
    CHECK_NEAR(total, l1, 1e-6 * l1);
    double e = test_rel_err(train_step_grads(s, NULL), g1, nb);
    CHECK_MSG(e <= 1e-6, "weighted terms: gradient relative error %.3g", e);
    double norm = 0;
    for (size_t i = 0; i < nb; i++) norm += fabs(g1[i]);
    CHECK(norm > 0);
    train_step_free(s);

    /* text tower frozen: its slots get no gradient, the vision slots the same as before */
    sp.train_text = 0;
    s = train_step_new(t.m, &sp);
    CHECK(train_step_run(s, t.pix, t.n_img, t.ids, t.n_txt, &one, 1, 0, v, NULL) == 0);
    const float *g = train_step_grads(s, NULL);
    for (int i = 0; i < t.lora->n_slots; i++) {
        const clip_lora_slot *sl = &t.lora->slots[i];
        size_t len = (size_t)sl->out * t.lora->p.rank;
        if (sl->tower) {
            for (size_t k = 0; k < len; k++) CHECK(g[sl->b_off + k] == 0.0f);
        } else {
            double d = test_rel_err(g + sl->b_off, g1 + sl->b_off, len);
            CHECK_MSG(d <= 1e-6, "vision slot %d: gradient relative error %.3g", i, d);
        }
    }
    train_step_free(s);

    /* a non-finite loss: an error naming the term and the step; B stays as it was */
    optim_params op = optim_default_params(OPTIM_SGD);
    optim *o = optim_new(NULL, &op, nb, NULL);
    sp.opt = o, sp.train_text = 1;
    s = train_step_new(t.m, &sp);
    memcpy(g1, t.lora->b, nb * sizeof(float));
    loss_term bad[2] = {one, {"boom", 1.0f, term_inf, NULL}};
    CHECK(train_step_run(s, t.pix, t.n_img, t.ids, t.n_txt, bad, 2, 0.1f, v, NULL) == -1);
    CHECK_MSG(strstr(segp_last_error(), "'boom'") && strstr(segp_last_error(), "step 1"), "%s",
              segp_last_error());
    CHECK(!memcmp(g1, t.lora->b, nb * sizeof(float)));
    CHECK_EQ_INT(optim_step_count(o), 0);
    train_step_free(s);
    /* an optimiser of the wrong size is refused */
    optim *small = optim_new(NULL, &op, nb - 1, NULL);
    sp.opt = small;
    CHECK(train_step_new(t.m, &sp) == NULL);
    CHECK(strstr(segp_last_error(), "optimiser holds") != NULL);
    optim_free(small);
    optim_free(o);
    free(g1);
    tiny_free(&t);
}

/* The data-parallel step (image batch split across 2 threads, text as its own task) computes
 * the same loss and gradient as the unsplit one, up to rounding of the sums over chunks; with
 * fewer images than threads it runs unsplit, so then (EXACT) they are the same to the bit. */
static void data_parallel_case(tiny *t, const float *pix, int n, int exact) {
    size_t nb = clip_lora_trainable(t->lora);
    int32_t labels[8];
    for (int i = 0; i < n; i++) labels[i] = (i * 3) % t->n_txt;
    clip_ce_term ce = {labels, 0, 0};
    loss_term term = {"cls", 1.0f, loss_term_clip_ce, &ce};
    float loss[2], *g[2];
    for (int dp = 0; dp < 2; dp++) {
        train_step_params sp = {.lora = t->lora, .train_vision = 1, .train_text = 1,
                                .data_parallel = dp};
        train_step *s = train_step_new(t->m, &sp);
        int rc = train_step_run(s, pix, n, t->ids, t->n_txt, &term, 1, 0, &loss[dp], NULL);
        CHECK_MSG(rc == 0, "%s", segp_last_error());
        g[dp] = malloc(nb * sizeof(float));
        memcpy(g[dp], train_step_grads(s, NULL), nb * sizeof(float));
        /* a second step reuses the per-task buffers */
        float again;
        CHECK(train_step_run(s, pix, n, t->ids, t->n_txt, &term, 1, 0, &again, NULL) == 0);
        CHECK(again == loss[dp]);
        CHECK(test_rel_err(train_step_grads(s, NULL), g[dp], nb) == 0);
        train_step_free(s);
    }
    CHECK_NEAR(loss[1], loss[0], 1e-6 * loss[0]);
    double e = test_rel_err(g[1], g[0], nb);
    if (test_verbose())
        printf("\n    %d images: data-parallel vs unsplit gradient: relative error %.3g", n, e);
    CHECK_MSG(e <= 2e-6, "%d images: data-parallel gradient: relative error %.3g > 2e-6", n, e);
    if (exact) {
        CHECK(loss[1] == loss[0]);
        CHECK_MSG(memcmp(g[1], g[0], nb * sizeof(float)) == 0,
                  "%d images on 2 threads: the step should have run unsplit", n);
    }
    free(g[0]), free(g[1]);
}

TEST(optim_step_data_parallel_matches) {
    tiny t;
    if (tiny_load(&t) != 0) {
        test_fail(__FILE__, __LINE__, "tiny model: %s", segp_last_error());
        tiny_free(&t);
        return;
    }
    const clip_config *c = clip_model_config(t.m);
    size_t img = (size_t)3 * c->resolution * c->resolution;
    float *pix = malloc(6 * img * sizeof(float)); /* the 3 fixture images twice */
    for (int i = 0; i < 6; i++)
        memcpy(pix + i * img, t.pix + (size_t)(i % t.n_img) * img, img * sizeof(float));
    int saved = omp_get_max_threads();
    omp_set_num_threads(2);
    data_parallel_case(&t, pix, 6, 0); /* two chunks of 3 images and the text */
    data_parallel_case(&t, pix, 2, 0); /* one image a chunk and the text */
    data_parallel_case(&t, pix, 1, 1); /* fewer images than threads: unsplit */
    omp_set_num_threads(saved);
    free(pix);
    tiny_free(&t);
}
