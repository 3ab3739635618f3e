/* zeroshot.c: zero-shot classification (CLIP prompts against images), and its evaluation on
 * the shapes benchmark. */
#include "zeroshot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/common.h"
#include "io/image.h"

void zeroshot_fill_template(const char *tmpl, const char *name, char *out, size_t n) {
    const char *at = strstr(tmpl, "{}");
    if (!at) snprintf(out, n, "%s", tmpl);
    else snprintf(out, n, "%.*s%s%s", (int)(at - tmpl), tmpl, name, at + 2);
}

int zeroshot_class_embeddings(clip_model *m, const clip_lora *lora, clip_tokenizer *tok,
                              const char *const *names, int n_cls, const char *tmpl, float *out) {
    const clip_config *c = clip_model_config(m);
    int32_t *ids = segp_malloc((size_t)n_cls * c->context * sizeof(int32_t));
    int rc = 0;
    char prompt[512];
    for (int k = 0; k < n_cls && rc == 0; k++) {
        zeroshot_fill_template(tmpl, names[k], prompt, sizeof prompt);
        rc = clip_tokenize(tok, prompt, c->context, 1, ids + (size_t)k * c->context);
    }
    if (rc == 0) rc = clip_encode_texts(m, lora, ids, n_cls, out);
    if (rc == 0) segp_backend_cpu()->l2norm_fwd(out, NULL, out, n_cls, c->embed_dim);
    free(ids);
    return rc;
}

int zeroshot_predict(clip_model *m, const clip_lora *lora, const float *pixels, int n,
                     const float *class_emb, int n_cls, int32_t *pred, float *probs) {
    const clip_config *c = clip_model_config(m);
    const segp_backend *cpu = segp_backend_cpu();
    int e = c->embed_dim;
    float *emb = segp_malloc((size_t)n * e * sizeof(float));
    float *logits = segp_malloc((size_t)n * n_cls * sizeof(float));
    int rc = clip_encode_images(m, lora, pixels, n, emb);
    if (rc == 0) {
        cpu->l2norm_fwd(emb, NULL, emb, n, e);
        cpu->gemm(0, 1, n, n_cls, e, clip_model_logit_scale(m), emb, e, class_emb, e, 0.0f,
                  logits, n_cls);
        for (int i = 0; i < n; i++) {
            const float *l = logits + (size_t)i * n_cls;
            int best = 0;
            for (int k = 1; k < n_cls; k++)
                if (l[k] > l[best]) best = k;
            if (pred) pred[i] = best;
        }
        if (probs) cpu->softmax(probs, logits, n, n_cls);
    }
    free(emb);
    free(logits);
    return rc;
}

int shapes_sample_pixels(const shapes_world_params *wp, const shapes_sample_desc *d, int r,
                         float *out) {
    int s = wp->image_size;
    image_rgb img = {s, s, segp_malloc((size_t)s * s * 3)};
    int rc = shapes_render_into(d, s, img.rgb);
    if (rc == 0) {
        if (s == r) /* the transform's resize and crop are the identity here */
            image_clip_normalize(img.rgb, s, out);
        else
            image_clip_transform(&img, r, out);
    }
    free(img.rgb);
    return rc;
}

int shapes_zeroshot_eval(clip_model *m, const clip_lora *lora, clip_tokenizer *tok,
                         const shapes_world_params *wp, const char *tmpl,
                         shapes_zeroshot_result *res) {
    const clip_config *c = clip_model_config(m);
    int r = c->resolution, nc = SHAPES_N_CLASSES, per = wp->test_per_class;
    int n = nc * per, e = c->embed_dim;
    size_t img = (size_t)3 * r * r;
    char names[SHAPES_N_CLASSES][64];
    const char *np[SHAPES_N_CLASSES];
    for (int k = 0; k < nc; k++) {
        shapes_class_name(k, names[k], sizeof names[k]);
        np[k] = names[k];
    }
    float *cls = segp_malloc((size_t)nc * e * sizeof(float));
    float *pix = segp_malloc((size_t)n * img * sizeof(float));
    int32_t *pred = segp_malloc((size_t)n * sizeof(int32_t));
    uint8_t *rend = segp_malloc((size_t)n), *size = segp_malloc((size_t)n);
    int rc = zeroshot_class_embeddings(m, lora, tok, np, nc, tmpl, cls);
    int fail = 0;
#pragma omp parallel for schedule(dynamic, 16)
    for (int i = 0; i < n; i++) {
        shapes_sample_desc d;
        if (shapes_cl_sample(wp, SHAPES_SPLIT_TEST, i / per, (uint64_t)(i % per), &d) != 0 ||
            shapes_sample_pixels(wp, &d, r, pix + (size_t)i * img) != 0) {
#pragma omp atomic write
            fail = 1;
        }
        rend[i] = (uint8_t)d.rendition;
        size[i] = (uint8_t)d.obj[0].size;
    }
    if (rc == 0 && fail) rc = SEGP_FAIL("shapes: could not render the test split");
    if (rc == 0) rc = zeroshot_predict(m, lora, pix, n, cls, nc, pred, NULL);
    if (rc == 0) {
        int order[SHAPES_N_CLASSES], task_of[SHAPES_N_CLASSES];
        shapes_class_order(wp->order_seed, order);
        for (int k = 0; k < nc; k++) task_of[order[k]] = k / SHAPES_CLASSES_PER_TASK;
        long ok = 0, ok_t[SHAPES_N_TASKS] = {0}, n_t[SHAPES_N_TASKS] = {0};
        long ok_h = 0, n_h = 0, ok_s = 0, n_s = 0, bad_col = 0, bad_shape = 0;
        long ok_r[SHAPES_N_RENDITIONS] = {0}, n_r[SHAPES_N_RENDITIONS] = {0};
        long ok_z[SHAPES_N_SIZES] = {0}, n_z[SHAPES_N_SIZES] = {0};
        for (int i = 0; i < n; i++) {
            int y = i / per, hit = pred[i] == y;
            ok += hit;
            ok_t[task_of[y]] += hit;
            n_t[task_of[y]]++;
            if (rend[i]) ok_h += hit, n_h++;
            else ok_s += hit, n_s++;
            ok_r[rend[i]] += hit, n_r[rend[i]]++;
            ok_z[size[i]] += hit, n_z[size[i]]++;
            bad_col += shapes_class_colour(pred[i]) != shapes_class_colour(y);
            bad_shape += shapes_class_shape(pred[i]) != shapes_class_shape(y);
        }
        for (int k = 0; k < SHAPES_N_RENDITIONS; k++) {
            res->per_rendition[k] = n_r[k] ? 100.0 * ok_r[k] / n_r[k] : 0.0;
            res->n_rendition[k] = (int)n_r[k];
        }
        for (int k = 0; k < SHAPES_N_SIZES; k++)
            res->per_size[k] = n_z[k] ? 100.0 * ok_z[k] / n_z[k] : 0.0;
        res->colour_wrong = 100.0 * bad_col / n;
        res->shape_wrong = 100.0 * bad_shape / n;
        res->n = n;
        res->overall = 100.0 * ok / n;
        for (int t = 0; t < SHAPES_N_TASKS; t++)
            res->per_task[t] = n_t[t] ? 100.0 * ok_t[t] / n_t[t] : 0.0;
        res->hard = n_h ? 100.0 * ok_h / n_h : 0.0;
        res->standard = n_s ? 100.0 * ok_s / n_s : 0.0;
    }
    free(cls);
    free(pix);
    free(pred);
    free(rend);
    free(size);
    return rc;
}
