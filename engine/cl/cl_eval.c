/* cl_eval.c: evaluation after each task (METHOD.md §9) on the shared evaluation core of
 * model/zeroshot.h: the student's embeddings of the test items of tasks 0..t+1 once, their
 * logits against every class once, then task j's items re-scored among the classes of tasks
 * 0..max(t, j): the seen tasks' entries and the incoming task's zero-shot entry (FWT) of row t.
 * Held-out classes measure zero-shot retention. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/common.h"
#include "model/zeroshot.h"
#include "run/fault.h"
#include "runner_internal.h"

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
    int64_t steps = (n + B - 1) / B;
    segp_event ph = {.kind = EV_PHASE, .task = t, .phase = "eval", .steps = steps};
    cl_emit(r, &ph);
    /* image embeddings in batches: progress events, and a stop request is honoured */
    float *img = segp_malloc((size_t)n * e * sizeof(float));
    float *cls = segp_malloc((size_t)nc * e * sizeof(float));
    int rc = 0;
    double t0 = segp_now();
    for (int i0 = 0, step = 1; i0 < n && rc == 0; i0 += B, step++) {
        int k = n - i0 < B ? n - i0 : B;
        rc = benchmark_image_embeddings(r->model, r->student, r->bench, BENCH_TEST, items + i0, k,
                                        img + (size_t)i0 * e);
        fault_point("eval");
        double el = segp_now() - t0;
        segp_event ev = {.kind = EV_STEP, .task = t, .phase = "eval", .epoch = 1, .epochs = 1,
                         .step = step, .steps = steps, .loss = NAN, .lr = NAN};
        ev.images_per_s = el > 0 ? (double)(i0 + k) / el : 0;
        ev.eta_s = ev.images_per_s > 0 ? (double)(n - i0 - k) / ev.images_per_s : 0;
        if (rc == 0 && cl_emit(r, &ev) == EVENT_ABORT) rc = 1;
    }
    if (rc == 0)
        rc = benchmark_class_embeddings(r->model, r->student, r->tok, r->bench, BENCH_TEST,
                                        r->cfg.template_, cls);
    bench_eval_result res;
    memset(&res, 0, sizeof res);
    if (rc == 0)
        rc = benchmark_eval_embeddings(r->bench, BENCH_TEST, items, n, img, cls, e,
                                       clip_model_logit_scale(r->model), NULL, &res);
    if (rc == 0 && r->method->eval_logits) {
        /* the method may replace the logits (label order) before they are scored */
        int *labels = segp_malloc((size_t)nc * sizeof(int));
        for (int k = 0; k < nc; k++) labels[k] = k;
        rc = r->method->eval_logits(r->mstate, ctx, img, n, labels, nc, res.logits);
        free(labels);
    }
    uint8_t *cand = segp_calloc((size_t)nc, 1);
    int32_t *pred = segp_malloc((size_t)(n ? n : 1) * sizeof(int32_t));
    for (int j = 0; j <= jmax && rc == 0; j++) {
        int last = t > j ? t : j; /* candidates: the classes of tasks 0..max(t, j) */
        memset(cand, 0, (size_t)nc);
        for (int k = 0; k < r->task_start[last + 1]; k++) cand[r->order[k]] = 1;
        int cnt = 0;
        bench_eval_accuracy(&res, cand, j, &cnt, pred);
        int64_t hits = 0;
        for (int i = 0; i < n; i++) hits += res.task[i] == j && pred[i] == res.label[i];
        if (cnt != r->n_test[j]) {
            rc = SEGP_FAIL("evaluation of task %d: %d items scored, expected %d", j + 1, cnt,
                           r->n_test[j]);
            break;
        }
        cl_matrix_set(r->matrix, t, j, hits, cnt);
    }
    bench_eval_free(&res);
    free(items), free(img), free(cls), free(cand), free(pred);
    if (rc == 0) rc = cl_eval_heldout(r, r->student, heldout);
    return rc;
}

int cl_eval_heldout(cl_runner *r, const clip_lora *lora, double *acc) {
    *acc = NAN;
    if (benchmark_num_heldout(r->bench) <= 0 || benchmark_count(r->bench, BENCH_HELDOUT) <= 0)
        return 0;
    bench_eval_result res;
    if (benchmark_eval(r->model, lora, r->tok, r->bench, r->cfg.template_, BENCH_HELDOUT, NULL,
                       NULL, &res) != 0)
        return -1;
    *acc = res.overall;
    bench_eval_free(&res);
    return 0;
}
