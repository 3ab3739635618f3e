/* cl_eval.c: evaluation after each task (METHOD.md §9): task j's test items are predicted
 * among the classes of tasks 0..max(t, j), so one pass computes the seen tasks' entries and the
 * incoming task's zero-shot entry; held-out classes measure zero-shot retention. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/common.h"
#include "io/image.h"
#include "model/zeroshot.h"
#include "run/fault.h"
#include "runner_internal.h"

/* Normalised text embeddings of LABELS' prompts under LORA. */
static int class_embeddings(cl_runner *r, const clip_lora *lora, const int *labels, int n,
                            int heldout, float *out) {
    const char **names = segp_malloc((size_t)n * sizeof *names);
    for (int k = 0; k < n; k++)
        names[k] = heldout ? benchmark_heldout_name(r->bench, labels[k])
                           : benchmark_class_name(r->bench, labels[k]);
    int rc = zeroshot_class_embeddings(r->model, lora, r->tok, names, n, r->cfg.template_, out);
    free(names);
    return rc;
}

/* 8-bit images of items IDX[0..n) of split S into rgb (n * r * r * 3). */
static int load_images(cl_runner *r, bench_split s, const int *idx, int n, uint8_t *rgb) {
    int px = clip_model_config(r->model)->resolution, fail = 0;
    size_t sz = (size_t)px * px * 3;
#pragma omp parallel for schedule(dynamic, 8)
    for (int i = 0; i < n; i++) {
        if (fail) continue;
        if (benchmark_image(r->bench, s, idx[i], px, rgb + (size_t)i * sz) != 0) {
#pragma omp atomic write
            fail = 1;
        }
    }
    return fail ? -1 : 0;
}

/* Image embeddings (normalised) and logits against CLS for a batch of 8-bit images. */
static int batch_logits(cl_runner *r, const clip_lora *lora, const uint8_t *rgb, int n,
                        const float *cls, int n_cls, float *pix, float *emb, float *logits) {
    const clip_config *mc = clip_model_config(r->model);
    int px = mc->resolution, e = mc->embed_dim;
    size_t sz = (size_t)px * px * 3;
#pragma omp parallel for schedule(static)
    for (int i = 0; i < n; i++) image_clip_normalize(rgb + (size_t)i * sz, px, pix + (size_t)i * sz);
    if (clip_encode_images(r->model, lora, pix, n, emb) != 0) return -1;
    const segp_backend *cpu = segp_backend_cpu();
    cpu->l2norm_fwd(emb, NULL, emb, n, e);
    cpu->gemm(0, 1, n, n_cls, e, clip_model_logit_scale(r->model), emb, e, cls, e, 0.0f, logits,
              n_cls);
    return 0;
}

int cl_eval_task(cl_runner *r, int t, cl_task_ctx *ctx, double *heldout) {
    const clip_config *mc = clip_model_config(r->model);
    int px = mc->resolution, e = mc->embed_dim, B = r->cfg.eval_batch;
    size_t sz = (size_t)px * px * 3;
    int jmax = t + 1 < r->T ? t + 1 : t;
    int n_cls = r->task_start[jmax + 1];
    const int *cls_labels = r->order; /* learning order: position k is order[k] */
    float *cls = segp_malloc((size_t)n_cls * e * sizeof(float));
    int64_t total = 0;
    for (int j = 0; j <= jmax; j++) total += r->n_test[j];
    int64_t steps = 0;
    for (int j = 0; j <= jmax; j++) steps += (r->n_test[j] + B - 1) / B;
    segp_event ph = {.kind = EV_PHASE, .task = t, .phase = "eval", .steps = steps};
    cl_emit(r, &ph);
    int rc = class_embeddings(r, r->student, cls_labels, n_cls, 0, cls);
    uint8_t *rgb = segp_malloc((size_t)B * sz);
    float *pix = segp_malloc((size_t)B * sz * sizeof(float));
    float *emb = segp_malloc((size_t)B * e * sizeof(float));
    float *logits = segp_malloc((size_t)B * n_cls * sizeof(float));
    double t0 = segp_now();
    int64_t step = 0, done = 0;
    for (int j = 0; j <= jmax && rc == 0; j++) {
        int limit = r->task_start[(t > j ? t : j) + 1]; /* candidates: positions 0..limit-1 */
        int64_t hits = 0;
        if (r->cache_tests && !r->test_cache[j]) {
            r->test_cache[j] = segp_malloc((size_t)r->n_test[j] * sz + 1);
            if (load_images(r, BENCH_TEST, r->test_idx[j], r->n_test[j], r->test_cache[j])) {
                free(r->test_cache[j]);
                r->test_cache[j] = NULL;
                rc = -1;
                break;
            }
        }
        for (int i0 = 0; i0 < r->n_test[j] && rc == 0; i0 += B) {
            int n = r->n_test[j] - i0 < B ? r->n_test[j] - i0 : B;
            const uint8_t *src = r->test_cache[j] ? r->test_cache[j] + (size_t)i0 * sz : rgb;
            if (!r->test_cache[j] && load_images(r, BENCH_TEST, r->test_idx[j] + i0, n, rgb)) {
                rc = -1;
                break;
            }
            rc = batch_logits(r, r->student, src, n, cls, n_cls, pix, emb, logits);
            if (rc == 0 && r->method->eval_logits)
                rc = r->method->eval_logits(r->mstate, ctx, emb, n, cls_labels, n_cls, logits);
            for (int i = 0; i < n && rc == 0; i++) {
                const float *l = logits + (size_t)i * n_cls;
                int best = 0;
                for (int k = 1; k < limit; k++)
                    if (l[k] > l[best]) best = k;
                int y = benchmark_label(r->bench, BENCH_TEST, r->test_idx[j][i0 + i]);
                hits += best == r->pos[y];
            }
            step++;
            done += n;
            fault_point("eval");
            double el = segp_now() - t0;
            segp_event ev = {.kind = EV_STEP, .task = t, .phase = "eval", .epoch = 1,
                             .epochs = 1, .step = step, .steps = steps};
            ev.images_per_s = el > 0 ? (double)done / el : 0;
            ev.eta_s = ev.images_per_s > 0 ? (double)(total - done) / ev.images_per_s : 0;
            ev.loss = NAN;
            ev.lr = NAN;
            if (rc == 0 && cl_emit(r, &ev) == EVENT_ABORT) rc = 1;
        }
        if (rc == 0) cl_matrix_set(r->matrix, t, j, hits, r->n_test[j]);
    }
    free(cls), free(rgb), free(pix), free(emb), free(logits);
    if (rc == 0) rc = cl_eval_heldout(r, r->student, heldout);
    return rc;
}

int cl_eval_heldout(cl_runner *r, const clip_lora *lora, double *acc) {
    *acc = NAN;
    int H = benchmark_num_heldout(r->bench);
    int n = H > 0 ? benchmark_count(r->bench, BENCH_HELDOUT) : 0;
    if (H <= 0 || n <= 0) return 0;
    const clip_config *mc = clip_model_config(r->model);
    int px = mc->resolution, e = mc->embed_dim, B = r->cfg.eval_batch;
    size_t sz = (size_t)px * px * 3;
    int *labels = segp_malloc((size_t)H * sizeof(int)), *idx = segp_malloc((size_t)n * sizeof(int));
    for (int k = 0; k < H; k++) labels[k] = k;
    for (int i = 0; i < n; i++) idx[i] = i;
    float *cls = segp_malloc((size_t)H * e * sizeof(float));
    uint8_t *rgb = segp_malloc((size_t)B * sz);
    float *pix = segp_malloc((size_t)B * sz * sizeof(float));
    float *emb = segp_malloc((size_t)B * e * sizeof(float));
    float *logits = segp_malloc((size_t)B * H * sizeof(float));
    int rc = class_embeddings(r, lora, labels, H, 1, cls);
    int64_t hits = 0;
    for (int i0 = 0; i0 < n && rc == 0; i0 += B) {
        int k = n - i0 < B ? n - i0 : B;
        rc = load_images(r, BENCH_HELDOUT, idx + i0, k, rgb);
        if (rc == 0) rc = batch_logits(r, lora, rgb, k, cls, H, pix, emb, logits);
        for (int i = 0; i < k && rc == 0; i++) {
            const float *l = logits + (size_t)i * H;
            int best = 0;
            for (int c = 1; c < H; c++)
                if (l[c] > l[best]) best = c;
            hits += best == benchmark_label(r->bench, BENCH_HELDOUT, i0 + i);
        }
    }
    if (rc == 0) *acc = 100.0 * (double)hits / n;
    free(labels), free(idx), free(cls), free(rgb), free(pix), free(emb), free(logits);
    return rc;
}
