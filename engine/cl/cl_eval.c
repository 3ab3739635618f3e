/* cl_eval.c: evaluation after each task (METHOD.md §9) on the shared evaluation core of
 * model/zeroshot.h: the student's embeddings of the test items of tasks 0..t+1 once, their
 * logits against every class once, then task j's items re-scored among the classes of tasks
 * 0..max(t, j): the seen tasks' entries and the incoming task's zero-shot entry (FWT) of row t.
 * Held-out classes measure zero-shot retention. Image embeddings are made in chunks of
 * eval.batch_size side by side on the threads, each chunk single-threaded: one fork per round
 * instead of one per op (the small models' ops are too small to share well, and stall whenever
 * another process holds a core), and the numbers do not depend on the thread count. */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/common.h"
#include "model/zeroshot.h"
#include "run/fault.h"
#include "runner_internal.h"

/* Normalised image embeddings of ITEMS[0..n) of split S under LORA into OUT (n x e); eval
 * progress events for task T (T < 0: none). 0, 1 (stopped by the callback), -1 + error. */
static int embed_items(cl_runner *r, const clip_lora *lora, bench_split s, const int *items,
                       int n, float *out, int t) {
    int B = r->cfg.eval_batch, e = clip_model_config(r->model)->embed_dim;
    int chunks = (n + B - 1) / B, nt = omp_get_max_threads(), rc = 0;
    double t0 = event_sink_clock(r->events); /* a pause counts in neither images/s nor ETA */
    for (int c0 = 0; c0 < chunks && rc == 0; c0 += nt) {
        int c1 = c0 + nt < chunks ? c0 + nt : chunks, fail = 0;
        char err[1024] = "";
        /* a device backend has one queue: its chunks run one after another */
#pragma omp parallel for schedule(static, 1) if (clip_model_backend(r->model)->host_memory)
        for (int c = c0; c < c1; c++) {
            int i0 = c * B, k = n - i0 < B ? n - i0 : B;
            if (benchmark_image_embeddings(r->model, lora, r->bench, s, items + i0, k,
                                           out + (size_t)i0 * e) != 0) {
#pragma omp critical(cl_eval_fail)
                if (!fail) { /* the error state is per thread: carry the text out */
                    fail = 1;
                    snprintf(err, sizeof err, "%s", segp_last_error());
                }
            }
        }
        if (fail) {
            rc = SEGP_FAIL("%s", err);
            break;
        }
        fault_point("eval");
        if (t < 0) { /* no progress to show, but a stop is still heard: a held-out evaluation of
                      * 2,000,000 images ran on for minutes after SIGTERM */
            segp_event poll = {.kind = EV_POLL, .task = -1};
            if (cl_emit(r, &poll) == EVENT_ABORT) rc = 1;
            continue;
        }
        int done = c1 * B < n ? c1 * B : n;
        double el = event_sink_clock(r->events) - t0;
        segp_event ev = {.kind = EV_STEP, .task = t, .phase = "eval", .epoch = 1, .epochs = 1,
                         .step = c1, .steps = chunks, .loss = NAN, .lr = NAN};
        ev.images_per_s = el > 0 ? done / el : 0;
        ev.eta_s = ev.images_per_s > 0 ? (n - done) / ev.images_per_s : 0;
        if (cl_emit(r, &ev) == EVENT_ABORT) rc = 1;
    }
    return rc;
}

/* ITEMS[0..n) of split S scored under LORA against every class of the split: their image
 * embeddings into IMG (n x e, as embed_items, progress for task T), the logits and predictions
 * into RES (bench_eval_free, also on failure); the classes' prompt embeddings into *CLS_OUT
 * (malloc'd, the caller's; NULL: dropped) when it succeeds. 0, 1 (stopped), -1 + error. */
static int score_items(cl_runner *r, const clip_lora *lora, bench_split s, const int *items,
                       int n, float *img, int t, bench_eval_result *res, float **cls_out) {
    int e = clip_model_config(r->model)->embed_dim, nc = benchmark_split_classes(r->bench, s);
    float *cls = segp_malloc((size_t)(nc > 0 ? nc : 1) * e * sizeof(float));
    memset(res, 0, sizeof *res);
    int rc = embed_items(r, lora, s, items, n, img, t);
    if (rc == 0)
        rc = benchmark_class_embeddings(r->model, lora, r->tok, r->bench, s,
                                        r->cfg.train.template_, cls);
    if (rc == 0)
        rc = benchmark_eval_embeddings(r->bench, s, items, n, img, cls, e,
                                       clip_model_logit_scale(r->model), NULL, res);
    if (rc == 0 && cls_out) {
        *cls_out = cls;
        cls = NULL;
    }
    free(cls);
    return rc;
}

/* Hits of task j after task t from RES's logits (candidates: the classes of tasks
 * 0..max(t, j)) into row t of M. */
static int record_hits(cl_runner *r, int t, int j, bench_eval_result *res, uint8_t *cand,
                       int32_t *pred, cl_matrix *m) {
    int nc = benchmark_num_classes(r->bench), last = t > j ? t : j, cnt = 0, n = res->n;
    memset(cand, 0, (size_t)nc);
    for (int k = 0; k < r->task_start[last + 1]; k++) cand[r->order[k]] = 1;
    bench_eval_accuracy(res, cand, j, &cnt, pred);
    int64_t hits = 0;
    for (int i = 0; i < n; i++) hits += res->task[i] == j && pred[i] == res->label[i];
    if (cnt != r->n_test[j])
        return SEGP_FAIL("evaluation of task %d: %d items scored, expected %d", j + 1, cnt,
                         r->n_test[j]);
    cl_matrix_set(m, t, j, hits, cnt);
    return 0;
}

int cl_eval_task(cl_runner *r, int t, cl_task_ctx *ctx, double *heldout) {
    const clip_config *mc = clip_model_config(r->model);
    int e = mc->embed_dim, B = r->cfg.eval_batch;
    int nc = benchmark_num_classes(r->bench);
    int jmax = t + 1 < r->T ? t + 1 : t;
    int n = 0;
    for (int j = 0; j <= jmax; j++) n += r->n_test[j];
    int *items = segp_malloc((size_t)n * sizeof(int));
    for (int j = 0, k = 0; j <= jmax; k += r->n_test[j], j++)
        memcpy(items + k, r->test_idx[j], (size_t)r->n_test[j] * sizeof(int));
    segp_event ph = {.kind = EV_PHASE, .task = t, .phase = "eval", .steps = (n + B - 1) / B};
    cl_emit(r, &ph);
    float *img = segp_malloc((size_t)n * e * sizeof(float));
    bench_eval_result res;
    float *txt = NULL;
    int rc = score_items(r, r->student, BENCH_TEST, items, n, img, t, &res, &txt);
    uint8_t *cand = segp_calloc((size_t)nc, 1);
    int32_t *pred = segp_malloc((size_t)(n ? n : 1) * sizeof(int32_t));
    float *clip_logits = NULL;
    if (rc == 0 && r->method->eval_logits) {
        /* the CLIP branch alone first, then the method's logits (label order). The incoming
         * task's entry stays the CLIP branch's: its classes have no prototypes yet. */
        for (int j = 0; j <= jmax && rc == 0; j++)
            rc = record_hits(r, t, j, &res, cand, pred, r->clip_matrix);
        size_t nl = (size_t)n * nc;
        clip_logits = segp_malloc(nl * sizeof(float));
        memcpy(clip_logits, res.logits, nl * sizeof(float));
        int *labels = segp_malloc((size_t)nc * sizeof(int));
        for (int k = 0; k < nc; k++) labels[k] = k;
        if (rc == 0) rc = r->method->eval_logits(r->mstate, ctx, img, n, labels, nc, res.logits);
        free(labels);
    }
    for (int j = 0; j <= jmax && rc == 0; j++) {
        if (j > t && clip_logits) {
            float *own = res.logits;
            res.logits = clip_logits;
            rc = record_hits(r, t, j, &res, cand, pred, r->matrix);
            res.logits = own;
        } else {
            rc = record_hits(r, t, j, &res, cand, pred, r->matrix);
        }
    }
    bench_eval_free(&res);
    free(items), free(cand), free(pred), free(clip_logits);
    /* the student's embeddings of tasks 0..jmax stay for the analytics (and as the next
     * task's teacher embeddings) */
    free(r->teach_img); /* the previous student's are this task's teacher's */
    free(r->teach_txt);
    r->teach_img = r->eval_img;
    r->teach_txt = r->eval_txt;
    r->teach_task = r->eval_task >= 0 && r->eval_task == t - 1 ? t : -1;
    r->eval_img = img;
    r->eval_txt = txt;
    r->eval_task = rc == 0 ? t : -1;
    if (rc == 0) rc = cl_eval_heldout(r, r->student, heldout);
    return rc;
}

int cl_eval_embed_tasks(cl_runner *r, const clip_lora *lora, int t_last, float *out) {
    int n = 0;
    for (int j = 0; j <= t_last; j++) n += r->n_test[j];
    int *items = segp_malloc((size_t)n * sizeof(int));
    for (int j = 0, k = 0; j <= t_last; k += r->n_test[j], j++)
        memcpy(items + k, r->test_idx[j], (size_t)r->n_test[j] * sizeof(int));
    int rc = embed_items(r, lora, BENCH_TEST, items, n, out, -1);
    free(items);
    return rc;
}

int cl_eval_heldout(cl_runner *r, const clip_lora *lora, double *acc) {
    *acc = NAN;
    int H = benchmark_num_heldout(r->bench);
    int n = H > 0 ? benchmark_count(r->bench, BENCH_HELDOUT) : 0;
    if (n <= 0) return 0;
    int e = clip_model_config(r->model)->embed_dim;
    int *items = segp_malloc((size_t)n * sizeof(int));
    for (int i = 0; i < n; i++) items[i] = i;
    float *img = segp_malloc((size_t)n * e * sizeof(float));
    bench_eval_result res;
    int rc = score_items(r, lora, BENCH_HELDOUT, items, n, img, -1, &res, NULL);
    if (rc == 0) *acc = res.overall;
    bench_eval_free(&res);
    free(items), free(img);
    return rc;
}
