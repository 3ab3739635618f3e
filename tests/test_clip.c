/* test_clip.c: the C towers against the PyTorch reference (tests/ref/make_fixtures.py):
 * outputs (rel. error <= OUT_TOL), the loss, LoRA-B, pixel and base-weight gradients
 * (<= GRAD_TOL), also with texts that all end before the last context position (the
 * shortened text path), the three checkpoint layouts, and loader errors. */
#include <stdlib.h>
#include <string.h>

#include "model/clip.h"
#include "core/common.h"
#include "model/lora.h"
#include "io/npy.h"
#include "io/safetensors.h"
#include "test.h"

#define FIX "tests/fixtures/"

/* float32 towers against a float64 reference measure 2-5e-7 on outputs and <= 1.5e-6 on
 * gradients (SEGP_TEST_VERBOSE=1); the limits are ~20x that, tight enough that a layer-norm
 * epsilon of 1e-6 instead of 1e-5 fails. */
#define OUT_TOL 5e-6
#define GRAD_TOL 2e-5
#define LOSS_TOL 1e-5 /* relative; measured <= 9e-7 */

/* SEGP_TEST_VERBOSE=1 prints every measured error (for notes and investigations). */
static void report(const char *what, const char *name, double err) {
    if (test_verbose()) printf("\n    %s %s: %.3g", name, what, err);
}

static float *load_npy(const char *path, int64_t *n) {
    npy_array a;
    *n = 0;
    if (npy_read(path, &a) != 0) {
        test_fail(__FILE__, __LINE__, "cannot read %s: %s", path, segp_last_error());
        return NULL;
    }
    *n = a.numel;
    return a.data;
}

typedef struct {
    const char *name, *model;
    uint32_t targets;
    int has_text;
} fixture;

static const fixture fixtures[] = {
    {"clip_tiny", FIX "clip_tiny.safetensors", LORA_Q | LORA_V | LORA_FC | LORA_PROJ, 1},
    {"clip_hf", FIX "clip_hf/model.safetensors", 0x3f, 1},
    {"clip_vision", FIX "clip_vision.safetensors", LORA_Q | LORA_V | LORA_FC | LORA_PROJ, 0},
};

static clip_lora *load_lora(clip_model *m, const fixture *f) {
    clip_lora_params p = clip_lora_default_params();
    p.rank = 4;
    p.alpha = 8.0f;
    p.targets = f->targets;
    clip_lora *l = clip_lora_new(m, &p);
    char path[256];
    snprintf(path, sizeof path, FIX "%s_lora.safetensors", f->name);
    if (!l || clip_lora_load(l, path) != 0) {
        test_fail(__FILE__, __LINE__, "lora: %s", segp_last_error());
        clip_lora_free(l);
        return NULL;
    }
    return l;
}

static void check_outputs(const fixture *f, int with_lora) {
    clip_model *m = clip_model_load(f->model, NULL);
    CHECK_MSG(m != NULL, "%s: %s", f->model, segp_last_error());
    if (!m) return;
    const clip_config *c = clip_model_config(m);
    clip_lora *l = with_lora ? load_lora(m, f) : NULL;
    char path[256];
    int64_t n = 0;
    snprintf(path, sizeof path, FIX "%s_pixels.npy", f->name);
    float *pix = load_npy(path, &n);
    int b = (int)(n / (3 * c->resolution * c->resolution));
    float *out = malloc((size_t)b * c->embed_dim * sizeof(float));
    CHECK(clip_encode_images(m, l, pix, b, out) == 0);
    snprintf(path, sizeof path, FIX "%s_img%s.npy", f->name, with_lora ? "_lora" : "");
    float *ref = load_npy(path, &n);
    CHECK_EQ_INT(n, (int64_t)b * c->embed_dim);
    double e = test_rel_err(out, ref, (size_t)n);
    report(with_lora ? "image embeddings (LoRA)" : "image embeddings", f->name, e);
    CHECK_MSG(e <= OUT_TOL, "%s image embeddings%s: relative error %.3g > %g", f->name,
              with_lora ? " (LoRA)" : "", e, OUT_TOL);
    free(out);
    free(ref);
    free(pix);
    /* "": some prompt ends at the last position; "_short": all end earlier, so the text tower
     * runs only up to the longest end-of-text */
    for (int v = 0; f->has_text && v < 2; v++) {
        const char *var = v ? "_short" : "";
        snprintf(path, sizeof path, FIX "%s%s_ids.npy", f->name, var);
        float *idf = load_npy(path, &n);
        int bt = (int)(n / c->context);
        int32_t *ids = malloc((size_t)n * sizeof(int32_t));
        for (int64_t i = 0; i < n; i++) ids[i] = (int32_t)idf[i];
        float *tout = malloc((size_t)bt * c->embed_dim * sizeof(float));
        CHECK(clip_encode_texts(m, l, ids, bt, tout) == 0);
        snprintf(path, sizeof path, FIX "%s%s_txt%s.npy", f->name, var, with_lora ? "_lora" : "");
        float *tref = load_npy(path, &n);
        CHECK_EQ_INT(n, (int64_t)bt * c->embed_dim);
        e = test_rel_err(tout, tref, (size_t)n);
        char what[64];
        snprintf(what, sizeof what, "text%s embeddings%s", var, with_lora ? " (LoRA)" : "");
        report(what, f->name, e);
        CHECK_MSG(e <= OUT_TOL, "%s %s: relative error %.3g > %g", f->name, what, e, OUT_TOL);
        free(idf);
        free(ids);
        free(tout);
        free(tref);
    }
    clip_lora_free(l);
    clip_model_free(m);
}

TEST(clip_outputs_match_reference) {
    for (size_t i = 0; i < sizeof fixtures / sizeof fixtures[0]; i++) {
        check_outputs(&fixtures[i], 0);
        check_outputs(&fixtures[i], 1);
    }
}

/* Loss of the fixture script, its gradients by backward. VAR "" or "_short" picks the texts
 * (and with them the loss and gradient files); "_short" references hold the text tower's
 * weight gradients only. */
static void check_grads(const fixture *f, const char *var, int weight_grads) {
    char tag[64];
    snprintf(tag, sizeof tag, "%s%s", f->name, var);
    clip_model *m = clip_model_load(f->model, NULL);
    if (!m) {
        test_fail(__FILE__, __LINE__, "%s", segp_last_error());
        return;
    }
    const clip_config *c = clip_model_config(m);
    const segp_backend *be = clip_model_backend(m);
    clip_lora *l = load_lora(m, f);
    char path[256];
    int64_t n = 0;
    snprintf(path, sizeof path, FIX "%s_pixels.npy", f->name);
    float *pix = load_npy(path, &n);
    int b = (int)(n / (3 * c->resolution * c->resolution)), e = c->embed_dim;
    float *img = calloc((size_t)b * e, sizeof(float)), *yi = calloc((size_t)b * e, sizeof(float));
    float *ni = calloc((size_t)b, sizeof(float)), *dyi = calloc((size_t)b * e, sizeof(float));
    float *dimg = calloc((size_t)b * e, sizeof(float));
    clip_acts *va = clip_acts_new(), *ta = clip_acts_new();
    CHECK(clip_vision_forward(m, l, pix, b, va, 1, img) == 0);
    be->l2norm_fwd(yi, ni, img, b, e);
    float *lgrad = calloc(l->b_size, sizeof(float));
    float *wgrad = weight_grads ? calloc(clip_model_num_params(m), sizeof(float)) : NULL;
    float *dpix = calloc((size_t)n, sizeof(float));
    float loss;
    int32_t *ids = NULL;
    float *txt = NULL, *yt = NULL, *nt = NULL, *dyt = NULL, *dtxt = NULL;
    int bt = 0;
    if (f->has_text) {
        float *idf = load_npy((snprintf(path, sizeof path, FIX "%s_ids.npy", tag), path), &n);
        bt = (int)(n / c->context);
        ids = malloc((size_t)n * sizeof(int32_t));
        for (int64_t i = 0; i < n; i++) ids[i] = (int32_t)idf[i];
        free(idf);
        txt = calloc((size_t)bt * e, sizeof(float));
        yt = calloc((size_t)bt * e, sizeof(float));
        nt = calloc((size_t)bt, sizeof(float));
        dyt = calloc((size_t)bt * e, sizeof(float));
        dtxt = calloc((size_t)bt * e, sizeof(float));
        CHECK(clip_text_forward(m, l, ids, bt, ta, 1, txt) == 0);
        be->l2norm_fwd(yt, nt, txt, bt, e);
        float s = clip_model_logit_scale(m);
        float *logits = calloc((size_t)b * bt, sizeof(float)), *dl = calloc((size_t)b * bt, 4);
        be->gemm(0, 1, b, bt, e, s, yi, e, yt, e, 0.0f, logits, bt);
        int32_t *labels = malloc((size_t)b * sizeof(int32_t));
        for (int i = 0; i < b; i++) labels[i] = i % bt;
        be->cross_entropy_fwd_bwd(&loss, dl, logits, labels, b, bt);
        be->gemm(0, 0, b, e, bt, s, dl, bt, yt, e, 0.0f, dyi, e);
        be->gemm(1, 0, bt, e, b, s, dl, bt, yi, e, 0.0f, dyt, e);
        be->l2norm_bwd(dtxt, dyt, yt, nt, bt, e);
        free(logits);
        free(dl);
        free(labels);
    } else {
        float *w = load_npy((snprintf(path, sizeof path, FIX "%s_wts.npy", f->name), path), &n);
        loss = 0;
        for (int64_t i = 0; i < n; i++) loss += yi[i] * w[i];
        memcpy(dyi, w, (size_t)n * sizeof(float));
        free(w);
    }
    be->l2norm_bwd(dimg, dyi, yi, ni, b, e);
    clip_grads g = {.lora_b = lgrad, .weights = wgrad, .d_pixels = dpix};
    CHECK(clip_vision_backward(m, l, va, dimg, &g) == 0);
    if (f->has_text) {
        clip_grads gt = {.lora_b = lgrad, .weights = wgrad, .d_pixels = NULL};
        CHECK(clip_text_backward(m, l, ta, dtxt, &gt) == 0);
    }
    /* loss */
    FILE *lf = fopen((snprintf(path, sizeof path, FIX "%s_loss.txt", tag), path), "r");
    double ref_loss = 0;
    CHECK(lf && fscanf(lf, "%lf", &ref_loss) == 1);
    if (lf) fclose(lf);
    report("loss (relative)", tag, fabs(loss - ref_loss) / fabs(ref_loss));
    CHECK_MSG(fabs(loss - ref_loss) <= LOSS_TOL * fabs(ref_loss), "%s loss %.9g vs %.9g",
              tag, loss, ref_loss);
    /* pixel gradient */
    float *rp = load_npy((snprintf(path, sizeof path, FIX "%s_grad_pixels.npy", tag), path),
                         &n);
    double err = test_rel_err(dpix, rp, (size_t)n);
    report("pixel gradient", tag, err);
    CHECK_MSG(err <= GRAD_TOL, "%s pixel gradient: relative error %.3g > %g", tag, err,
              GRAD_TOL);
    free(rp);
    /* LoRA-B gradients, tensor by tensor */
    st_file *gf = st_open((snprintf(path, sizeof path, FIX "%s_grad_lora.safetensors", tag),
                           path));
    CHECK(gf != NULL);
    int n_checked = 0;
    for (int i = 0; gf && i < l->n_slots; i++) {
        const clip_lora_slot *s = &l->slots[i];
        char nm[96];
        snprintf(nm, sizeof nm, "lora.%s.%d.%s.B", s->tower ? "text" : "visual", s->layer,
                 clip_lora_target_name(s->target));
        const st_tensor *t = st_find(gf, nm);
        CHECK_MSG(t != NULL, "%s: no reference for %s", tag, nm);
        if (!t) continue;
        float *ref = malloc((size_t)t->numel * sizeof(float));
        st_read_f32(gf, t, ref);
        err = test_rel_err(lgrad + s->b_off, ref, (size_t)t->numel);
        report(nm, tag, err);
        CHECK_MSG(err <= GRAD_TOL, "%s %s gradient: relative error %.3g > %g", tag, nm, err,
                  GRAD_TOL);
        free(ref);
        n_checked++;
    }
    CHECK_EQ_INT(n_checked, l->n_slots);
    st_close(gf);
    if (wgrad) { /* every base tensor the loss reaches */
        st_file *wf = st_open((snprintf(path, sizeof path, FIX "%s_grad_weights.safetensors",
                                        tag),
                               path));
        CHECK(wf != NULL);
        int nw = 0;
        for (int i = 0; wf && i < clip_model_tensor_count(m); i++) {
            const clip_tensor_info *ti = clip_model_tensor(m, i);
            const st_tensor *t = st_find(wf, ti->name);
            if (!t) continue;
            float *ref = malloc((size_t)t->numel * sizeof(float));
            float *ours = malloc((size_t)t->numel * sizeof(float));
            st_read_f32(wf, t, ref);
            if (ti->transposed) {
                int64_t r = ti->shape[0], cc = ti->shape[1];
                for (int64_t a = 0; a < r; a++)
                    for (int64_t bb = 0; bb < cc; bb++)
                        ours[bb * r + a] = wgrad[ti->offset + a * cc + bb];
            } else {
                memcpy(ours, wgrad + ti->offset, (size_t)t->numel * sizeof(float));
            }
            err = test_rel_err(ours, ref, (size_t)t->numel);
            report(ti->name, tag, err);
            CHECK_MSG(err <= GRAD_TOL, "%s weight gradient %s: relative error %.3g > %g",
                      tag, ti->name, err, GRAD_TOL);
            free(ref);
            free(ours);
            nw++;
        }
        int expect = 0; /* every tensor but the logit scale; the text tower's for "_short" */
        for (int i = 0; i < clip_model_tensor_count(m); i++) {
            int tower = clip_model_tensor(m, i)->tower;
            expect += *var ? tower == 1 : tower != 2;
        }
        CHECK_MSG(nw == expect, "%s: %d weight gradients compared, expected %d", tag, nw, expect);
        st_close(wf);
    }
    clip_acts_free(va);
    clip_acts_free(ta);
    free(pix);
    free(img);
    free(yi);
    free(ni);
    free(dyi);
    free(dimg);
    free(lgrad);
    free(wgrad);
    free(dpix);
    free(ids);
    free(txt);
    free(yt);
    free(nt);
    free(dyt);
    free(dtxt);
    clip_lora_free(l);
    clip_model_free(m);
}

TEST(clip_gradients_match_reference) {
    check_grads(&fixtures[0], "", 0);
    check_grads(&fixtures[1], "", 1);
    check_grads(&fixtures[2], "", 0);
}

/* Every prompt ends before the last context position: the shortened text path. */
TEST(clip_gradients_short_texts_match_reference) {
    check_grads(&fixtures[0], "_short", 0);
    check_grads(&fixtures[1], "_short", 1);
}

TEST(clip_architecture_inferred) {
    clip_model *m = clip_model_load(FIX "clip_tiny.safetensors", NULL);
    CHECK(m != NULL);
    if (m) {
        const clip_config *c = clip_model_config(m);
        CHECK_EQ_INT(c->v_width, 64);
        CHECK_EQ_INT(c->v_heads, 4);
        CHECK_EQ_INT(c->v_layers, 2);
        CHECK_EQ_INT(c->patch, 8);
        CHECK_EQ_INT(c->resolution, 32);
        CHECK_EQ_INT(c->t_width, 32);
        CHECK_EQ_INT(c->t_heads, 2);
        CHECK_EQ_INT(c->vocab, 49408);
        CHECK_EQ_INT(c->context, 77);
        CHECK_EQ_INT(c->embed_dim, 24);
        CHECK_EQ_INT(c->act, ACT_QUICK_GELU);
        CHECK(!strcmp(c->heads_source, "metadata"));
        clip_model_free(m);
    }
    m = clip_model_load(FIX "clip_hf/model.safetensors", NULL);
    CHECK(m != NULL);
    if (m) {
        const clip_config *c = clip_model_config(m);
        CHECK_EQ_INT(c->v_heads, 3);
        CHECK_EQ_INT(c->t_heads, 5);
        CHECK_EQ_INT(c->act, ACT_GELU);
        CHECK(!strcmp(c->heads_source, "config.json"));
        CHECK(!strcmp(clip_model_naming(m), "huggingface"));
        clip_model_free(m);
    }
    m = clip_model_load(FIX "clip_vision.safetensors", NULL);
    CHECK(m != NULL);
    if (m) {
        const clip_config *c = clip_model_config(m);
        CHECK(c->has_vision && !c->has_text);
        CHECK_EQ_INT(c->v_heads, 2); /* OpenAI rule: 128 / 64 */
        CHECK(!strcmp(c->heads_source, "openai rule"));
        int32_t ids[77] = {0};
        float out[32];
        clip_acts *a = clip_acts_new();
        CHECK(clip_text_forward(m, NULL, ids, 1, a, 0, out) != 0);
        CHECK(strstr(segp_last_error(), "vision only") != NULL);
        clip_acts_free(a);
        clip_model_free(m);
    }
}

/* ViT-B/16's LoRA-B count from METHOD.md, computed from the layout (no weights needed). */
TEST(clip_lora_count_vit_b16) {
    clip_config c = {0};
    c.has_vision = c.has_text = 1;
    c.v_width = 768, c.v_layers = 12, c.v_heads = 12, c.v_mlp = 3072, c.patch = 16, c.grid = 14;
    c.resolution = 224;
    c.t_width = 512, c.t_layers = 12, c.t_heads = 8, c.t_mlp = 2048, c.context = 77;
    c.vocab = 8; /* tiny vocabulary keeps the test light; it does not affect LoRA */
    c.embed_dim = 512;
    c.ln_eps = 1e-5f;
    clip_model *m = clip_model_random(&c, 1, "cpu");
    CHECK(m != NULL);
    if (!m) return;
    clip_lora_params p = clip_lora_default_params();
    clip_lora *l = clip_lora_new(m, &p);
    CHECK_EQ_INT(clip_lora_trainable(l), 3440640);
    clip_lora_free(l);
    clip_model_free(m);
}

/* Save (OpenAI names, F32) then load: identical outputs. */
TEST(clip_save_load_roundtrip) {
    clip_model *m = clip_model_load(FIX "clip_hf/model.safetensors", NULL);
    CHECK(m != NULL);
    if (!m) return;
    char path[512];
    snprintf(path, sizeof path, "%s/rt.safetensors", test_tmpdir());
    CHECK(clip_model_save(m, path, ST_F32) == 0);
    clip_model *m2 = clip_model_load(path, NULL);
    CHECK_MSG(m2 != NULL, "%s", segp_last_error());
    if (m2) {
        CHECK_EQ_INT(clip_model_num_params(m2), clip_model_num_params(m));
        CHECK(memcmp(clip_model_params(m), clip_model_params(m2),
                     clip_model_num_params(m) * sizeof(float)) == 0);
        CHECK_EQ_INT(clip_model_config(m2)->act, ACT_GELU);
        CHECK_EQ_INT(clip_model_config(m2)->t_heads, 5);
        clip_model_free(m2);
    }
    clip_model_free(m);
}

/* A LoRA state of lora.alpha 0 (the key's lowest value) saves and loads back with its alpha: its
 * run's checkpoints were unreadable to segp eval and resume ("not a positive number"). */
TEST(clip_lora_alpha_zero_roundtrip) {
    clip_model *m = clip_model_load(FIX "clip_tiny.safetensors", NULL);
    CHECK(m != NULL);
    if (!m) return;
    clip_lora_params p = clip_lora_default_params();
    p.rank = 4, p.alpha = 0;
    clip_lora *a = clip_lora_new(m, &p);
    p.alpha = 8; /* what the loader must replace by the file's */
    clip_lora *b = clip_lora_new(m, &p);
    char path[512];
    snprintf(path, sizeof path, "%s/lora_alpha0.safetensors", test_tmpdir());
    CHECK(a && b && clip_lora_save(a, path) == 0);
    CHECK_MSG(b && clip_lora_load(b, path) == 0, "%s", segp_last_error());
    if (b) CHECK(b->p.alpha == 0 && b->scale == 0);
    clip_lora_free(a);
    clip_lora_free(b);
    clip_model_free(m);
}

/* Regressions (fuzz/corpus/clip_checkpoint/regress-*): shapes that claim more than the file holds.
 * A c_fc weight of shape [1000000000, 0] holds no bytes but made the MLP width 10^9 (a 68 GB
 * allocation); 300 zero-size in_proj tensors made 300 layers. Both are refused, naming the
 * tensor or the weight count, before any weight is allocated. */
TEST(clip_checkpoint_shapes_without_data_refused) {
    clip_model *m = clip_model_load("fuzz/corpus/clip_checkpoint/regress-mlp-shape-without-data",
                                    NULL);
    CHECK(m == NULL);
    CHECK(strstr(segp_last_error(), "tensor 'visual.transformer.resblocks.0.mlp.c_fc.weight' "
                                    "has shape [1000000000, 0], expected the width 8") != NULL);
    clip_model_free(m);
    m = clip_model_load("fuzz/corpus/clip_checkpoint/regress-layers-without-data", NULL);
    CHECK(m == NULL);
    CHECK_MSG(strstr(segp_last_error(), "weights, but the file holds") != NULL, "%s",
              segp_last_error());
    clip_model_free(m);
    /* the checkpoint they were made from loads */
    m = clip_model_load("fuzz/corpus/clip_checkpoint/seed-tiny_f32", NULL);
    CHECK_MSG(m != NULL, "%s", segp_last_error());
    clip_model_free(m);
}
