/* zeroshot.c: zero-shot classification (CLIP prompts against images), its evaluation on any
 * benchmark, and the shapes world's breakdown (see zeroshot.h). */
#include "zeroshot.h"

#include <math.h>
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

int zeroshot_check_template(const char *tmpl, const char *what) {
    if (strstr(tmpl, "{}")) return 0;
    return SEGP_FAIL("%s: \"%s\" has no {} where the class name goes (every class would get the "
                     "same prompt; e.g. \"a photo of a {}.\")", what, tmpl);
}

int zeroshot_tokenize_prompts(clip_tokenizer *tok, const char *tmpl, const char *const *names,
                              int n, int context, int32_t *ids) {
    char prompt[512];
    int cut = 0; /* a prompt longer than the context keeps its first tokens, as before */
    for (int k = 0; k < n; k++) {
        zeroshot_fill_template(tmpl, names[k], prompt, sizeof prompt);
        int total = 0;
        if (clip_tokenizer_encode(tok, prompt, NULL, 0, &total) < 0) return -1;
        cut |= total + 2 > context;
        if (clip_tokenize(tok, prompt, context, 1, ids + (size_t)k * context) != 0) return -1;
    }
    /* ... but when cutting took the class names away, two classes share one prompt (all of
     * them, when the template alone fills the context) and nothing tells them apart */
    for (int a = 0; cut && a < n; a++)
        for (int b = a + 1; b < n; b++)
            if (!memcmp(ids + (size_t)a * context, ids + (size_t)b * context,
                        (size_t)context * sizeof *ids) && strcmp(names[a], names[b]))
                return SEGP_FAIL("the prompts of \"%s\" and \"%s\" are the same once cut to the "
                                 "model's context of %d tokens: template \"%s\" leaves no room "
                                 "for the class name (shorten it)", names[a], names[b], context,
                                 tmpl);
    return 0;
}

int zeroshot_class_embeddings(clip_model *m, const clip_lora *lora, clip_tokenizer *tok,
                              const char *const *names, int n_cls, const char *tmpl, float *out) {
    const clip_config *c = clip_model_config(m);
    int32_t *ids = segp_malloc((size_t)n_cls * c->context * sizeof(int32_t));
    int rc = zeroshot_tokenize_prompts(tok, tmpl, names, n_cls, c->context, ids);
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

/* ---- benchmark evaluation ---- */

/* Images per encoding batch: a multiple of clip_encode_images' chunk (32), so the embeddings
 * are the same as encoding everything at once. */
#define EVAL_BATCH 256

int benchmark_class_embeddings(clip_model *m, const clip_lora *lora, clip_tokenizer *tok,
                               const benchmark *b, bench_split s, const char *tmpl, float *out) {
    int n = benchmark_split_classes(b, s);
    if (n <= 0) return SEGP_FAIL("benchmark %s: the split has no classes", benchmark_name(b));
    const char **names = segp_malloc((size_t)n * sizeof *names);
    for (int k = 0; k < n; k++)
        names[k] = s == BENCH_HELDOUT ? benchmark_heldout_name(b, k) : benchmark_class_name(b, k);
    int rc = zeroshot_class_embeddings(m, lora, tok, names, n, tmpl, out);
    free(names);
    return rc;
}

int benchmark_class_prompts(clip_tokenizer *tok, const benchmark *b, const int *labels, int n,
                            const char *tmpl, int context, int32_t *ids) {
    const char **names = segp_malloc((size_t)(n ? n : 1) * sizeof *names);
    for (int k = 0; k < n; k++) names[k] = benchmark_class_name(b, labels ? labels[k] : k);
    int rc = zeroshot_tokenize_prompts(tok, tmpl, names, n, context, ids);
    free(names);
    return rc;
}

size_t benchmark_image_embeddings_bytes(const clip_config *c, int n, int lora_rank,
                                        uint32_t lora_targets) {
    int cap = n < EVAL_BATCH ? n : EVAL_BATCH;
    if (cap <= 0) return 0;
    size_t px = (size_t)c->resolution * c->resolution * 3;
    return (size_t)cap * px * (sizeof(float) + 1) +
           clip_encode_images_bytes(c, cap, lora_rank, lora_targets);
}

int benchmark_image_embeddings(clip_model *m, const clip_lora *lora, const benchmark *b,
                               bench_split s, const int *items, int n, float *out) {
    const clip_config *c = clip_model_config(m);
    int r = c->resolution, e = c->embed_dim;
    size_t img = (size_t)3 * r * r;
    int cap = n < EVAL_BATCH ? n : EVAL_BATCH;
    float *pix = segp_malloc((size_t)(cap ? cap : 1) * img * sizeof(float));
    uint8_t *rgb = segp_malloc((size_t)(cap ? cap : 1) * r * r * 3);
    int rc = 0;
    for (int i0 = 0; i0 < n && rc == 0; i0 += EVAL_BATCH) {
        int k = n - i0 < EVAL_BATCH ? n - i0 : EVAL_BATCH, bad = -1;
#pragma omp parallel for schedule(dynamic, 4)
        for (int i = 0; i < k; i++) {
            uint8_t *px = rgb + (size_t)i * r * r * 3;
            if (benchmark_image(b, s, items[i0 + i], r, px) != 0) {
#pragma omp critical(bench_eval_fail)
                if (bad < 0) bad = i; /* the error state is per thread: redo it below */
            } else {
                image_clip_normalize(px, r, pix + (size_t)i * img);
            }
        }
        if (bad >= 0) {
            benchmark_image(b, s, items[i0 + bad], r, rgb); /* sets this thread's error */
            rc = -1;
            break;
        }
        rc = clip_encode_images(m, lora, pix, k, out + (size_t)i0 * e);
        if (rc == 0) segp_backend_cpu()->l2norm_fwd(out + (size_t)i0 * e, NULL,
                                                    out + (size_t)i0 * e, k, e);
    }
    free(pix);
    free(rgb);
    return rc;
}

int benchmark_image_embeddings_chunked(clip_model *m, const clip_lora *lora, const benchmark *b,
                                       bench_split s, const int *items, int n, int chunk,
                                       float *out) {
    int e = clip_model_config(m)->embed_dim, chunks = (n + chunk - 1) / chunk, fail = 0;
    char err[1024] = "";
    /* a device backend has one queue: its chunks run one after another */
#pragma omp parallel for schedule(dynamic, 1) if (clip_model_backend(m)->host_memory)
    for (int c = 0; c < chunks; c++) {
        int i0 = c * chunk, k = n - i0 < chunk ? n - i0 : chunk;
        if (benchmark_image_embeddings(m, lora, b, s, items + i0, k, out + (size_t)i0 * e) != 0) {
#pragma omp critical(bench_chunk_fail)
            if (!fail) { /* the error state is per thread: carry the text out */
                fail = 1;
                snprintf(err, sizeof err, "%s", segp_last_error());
            }
        }
    }
    return fail ? SEGP_FAIL("%s", err) : 0;
}

int clip_encode_images_chunked(clip_model *m, const clip_lora *lora, const float *pixels, int n,
                               int chunk, float *out) {
    const clip_config *cc = clip_model_config(m);
    int e = cc->embed_dim, chunks = (n + chunk - 1) / chunk, fail = 0;
    size_t img = (size_t)3 * cc->resolution * cc->resolution;
    char err[1024] = "";
#pragma omp parallel for schedule(dynamic, 1) if (clip_model_backend(m)->host_memory)
    for (int c = 0; c < chunks; c++) {
        int i0 = c * chunk, k = n - i0 < chunk ? n - i0 : chunk;
        float *o = out + (size_t)i0 * e;
        if (clip_encode_images(m, lora, pixels + (size_t)i0 * img, k, o) != 0) {
#pragma omp critical(bench_chunk_fail)
            if (!fail) {
                fail = 1;
                snprintf(err, sizeof err, "%s", segp_last_error());
            }
        } else {
            segp_backend_cpu()->l2norm_fwd(o, NULL, o, k, e);
        }
    }
    return fail ? SEGP_FAIL("%s", err) : 0;
}

void bench_eval_free(bench_eval_result *r) {
    free(r->item);
    free(r->label);
    free(r->task);
    free(r->logits);
    free(r->pred);
    free(r->per_task);
    free(r->n_task);
    memset(r, 0, sizeof *r);
}

/* First highest logit among the candidates. */
static int32_t argmax_masked(const float *l, int n_cls, const uint8_t *cand) {
    int best = -1;
    for (int k = 0; k < n_cls; k++)
        if ((!cand || cand[k]) && (best < 0 || l[k] > l[best])) best = k;
    return best;
}

double bench_eval_accuracy(const bench_eval_result *r, const uint8_t *candidates, int task,
                           int *n_items, int32_t *pred) {
    long ok = 0, cnt = 0;
    for (int i = 0; i < r->n; i++) {
        if (task >= 0 && r->task[i] != task) continue;
        int32_t p = argmax_masked(r->logits + (size_t)i * r->n_classes, r->n_classes, candidates);
        if (pred) pred[i] = p;
        ok += p == r->label[i];
        cnt++;
    }
    if (n_items) *n_items = (int)cnt;
    return cnt ? 100.0 * (double)ok / (double)cnt : NAN;
}

int benchmark_eval_embeddings(const benchmark *b, bench_split s, const int *items, int n,
                              const float *img_emb, const float *class_emb, int e,
                              float logit_scale, const uint8_t *candidates,
                              bench_eval_result *res) {
    memset(res, 0, sizeof *res);
    int nc = benchmark_split_classes(b, s);
    if (candidates) {
        int any = 0;
        for (int k = 0; k < nc; k++) any |= candidates[k] != 0;
        if (!any) return SEGP_FAIL("benchmark %s: no candidate classes", benchmark_name(b));
    }
    res->split = s;
    res->n = n;
    res->n_classes = nc;
    res->item = segp_malloc((size_t)(n ? n : 1) * sizeof *res->item);
    res->label = segp_malloc((size_t)(n ? n : 1) * sizeof *res->label);
    res->task = segp_malloc((size_t)(n ? n : 1) * sizeof *res->task);
    res->pred = segp_malloc((size_t)(n ? n : 1) * sizeof *res->pred);
    res->logits = segp_malloc((size_t)(n ? n : 1) * nc * sizeof *res->logits);
    for (int i = 0; i < n; i++) {
        res->item[i] = items[i];
        res->label[i] = benchmark_label(b, s, items[i]);
        res->task[i] = s == BENCH_HELDOUT ? -1 : benchmark_task_of(b, res->label[i]);
    }
    if (n > 0)
        segp_backend_cpu()->gemm(0, 1, n, nc, e, logit_scale, img_emb, e, class_emb, e, 0.0f,
                                 res->logits, nc);
    res->overall = bench_eval_accuracy(res, candidates, -1, NULL, res->pred);
    res->num_tasks = s == BENCH_HELDOUT ? 0 : benchmark_num_tasks(b);
    int t_n = res->num_tasks ? res->num_tasks : 1;
    res->per_task = segp_calloc((size_t)t_n, sizeof *res->per_task);
    res->n_task = segp_calloc((size_t)t_n, sizeof *res->n_task);
    long *ok = segp_calloc((size_t)t_n, sizeof *ok);
    for (int i = 0; i < n && res->num_tasks; i++) {
        res->n_task[res->task[i]]++;
        ok[res->task[i]] += res->pred[i] == res->label[i];
    }
    for (int t = 0; t < res->num_tasks; t++)
        res->per_task[t] = res->n_task[t] ? 100.0 * (double)ok[t] / res->n_task[t] : NAN;
    free(ok);
    return 0;
}

double benchmark_eval_bytes(const clip_config *c, int n, int n_classes, int lora_rank,
                            uint32_t lora_targets, double kept) {
    double f = 4, e = c->embed_dim;
    double held = f * n + f * n_classes * e + f * n * e;
    double embed = (double)benchmark_image_embeddings_bytes(c, n, lora_rank, lora_targets);
    /* benchmark_eval_embeddings: the logits, the items' indices, labels, tasks, predictions;
     * every image has been drawn by then */
    double score = kept + f * n * n_classes + 4 * f * n;
    return held + (embed > score ? embed : score);
}

int benchmark_eval(clip_model *m, const clip_lora *lora, clip_tokenizer *tok, const benchmark *b,
                   const char *tmpl, bench_split s, const uint8_t *item_classes,
                   const uint8_t *candidates, bench_eval_result *res) {
    memset(res, 0, sizeof *res);
    const clip_config *c = clip_model_config(m);
    if (!c->has_text || !c->has_vision)
        return SEGP_FAIL("zero-shot evaluation needs both towers; this checkpoint holds only the "
                         "%s tower", c->has_text ? "text" : "vision");
    int e = c->embed_dim, nc = benchmark_split_classes(b, s);
    int *items = NULL;
    int n = benchmark_select(b, s, item_classes, &items);
    float *cls = segp_malloc((size_t)(nc > 0 ? nc : 1) * e * sizeof(float));
    float *img = segp_malloc((size_t)(n ? n : 1) * e * sizeof(float));
    int rc = benchmark_class_embeddings(m, lora, tok, b, s, tmpl, cls);
    if (rc == 0) rc = benchmark_image_embeddings(m, lora, b, s, items, n, img);
    if (rc == 0)
        rc = benchmark_eval_embeddings(b, s, items, n, img, cls, e, clip_model_logit_scale(m),
                                       candidates, res);
    free(items);
    free(cls);
    free(img);
    return rc;
}

/* ---- the shapes world's breakdown ---- */

int shapes_zeroshot_breakdown(const benchmark *b, const bench_eval_result *r,
                              shapes_zeroshot_result *res) {
    memset(res, 0, sizeof *res);
    if (r->split == BENCH_HELDOUT)
        return SEGP_FAIL("shapes breakdown: the held-out split has no tasks (expected train or "
                         "test)");
    long ok = 0, ok_h = 0, n_h = 0, ok_s = 0, n_s = 0, bad_col = 0, bad_shape = 0;
    long ok_r[SHAPES_N_RENDITIONS] = {0}, n_r[SHAPES_N_RENDITIONS] = {0};
    long ok_z[SHAPES_N_SIZES] = {0}, n_z[SHAPES_N_SIZES] = {0};
    int n = r->n;
    for (int i = 0; i < n; i++) {
        shapes_sample_desc d;
        if (benchmark_shapes_sample(b, r->split, r->item[i], &d)) return -1;
        int y = r->label[i], p = r->pred[i], hit = p == y;
        int rend = d.rendition, size = d.obj[0].size;
        ok += hit;
        if (rend) ok_h += hit, n_h++;
        else ok_s += hit, n_s++;
        ok_r[rend] += hit, n_r[rend]++;
        ok_z[size] += hit, n_z[size]++;
        bad_col += shapes_class_colour(p) != shapes_class_colour(y);
        bad_shape += shapes_class_shape(p) != shapes_class_shape(y);
    }
    for (int k = 0; k < SHAPES_N_RENDITIONS; k++) {
        res->per_rendition[k] = n_r[k] ? 100.0 * ok_r[k] / n_r[k] : 0.0;
        res->n_rendition[k] = (int)n_r[k];
    }
    for (int k = 0; k < SHAPES_N_SIZES; k++)
        res->per_size[k] = n_z[k] ? 100.0 * ok_z[k] / n_z[k] : 0.0;
    res->n = n;
    res->overall = n ? 100.0 * ok / n : 0.0;
    res->colour_wrong = n ? 100.0 * bad_col / n : 0.0;
    res->shape_wrong = n ? 100.0 * bad_shape / n : 0.0;
    if (r->num_tasks == SHAPES_N_TASKS)
        for (int t = 0; t < SHAPES_N_TASKS; t++)
            res->per_task[t] = r->n_task[t] ? r->per_task[t] : 0.0;
    res->hard = n_h ? 100.0 * ok_h / n_h : 0.0;
    res->standard = n_s ? 100.0 * ok_s / n_s : 0.0;
    return 0;
}

int shapes_zeroshot_eval(clip_model *m, const clip_lora *lora, clip_tokenizer *tok,
                         const shapes_world_params *wp, const char *tmpl,
                         shapes_zeroshot_result *res) {
    benchmark_params bp = benchmark_default_params();
    bp.eval_only = 1;
    benchmark *b = benchmark_open_shapes(&bp, wp);
    if (!b) return -1;
    bench_eval_result r;
    int rc = benchmark_eval(m, lora, tok, b, tmpl, BENCH_TEST, NULL, NULL, &r);
    if (rc == 0) rc = shapes_zeroshot_breakdown(b, &r, res);
    if (rc == 0 && wp->order_seed != 0) {
        /* Per task of the world's own Latin square (the benchmark's "latin" is seed 0). */
        int order[SHAPES_N_CLASSES], task_of[SHAPES_N_CLASSES];
        long ok_t[SHAPES_N_TASKS] = {0}, n_t[SHAPES_N_TASKS] = {0};
        shapes_class_order(wp->order_seed, order);
        for (int k = 0; k < SHAPES_N_CLASSES; k++) task_of[order[k]] = k / SHAPES_CLASSES_PER_TASK;
        for (int i = 0; i < r.n; i++) {
            n_t[task_of[r.label[i]]]++;
            ok_t[task_of[r.label[i]]] += r.pred[i] == r.label[i];
        }
        for (int t = 0; t < SHAPES_N_TASKS; t++)
            res->per_task[t] = n_t[t] ? 100.0 * ok_t[t] / n_t[t] : 0.0;
    }
    bench_eval_free(&r);
    benchmark_free(b);
    return rc;
}
