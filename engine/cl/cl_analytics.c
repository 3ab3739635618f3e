/* cl_analytics.c: the analytics phase of a task (METHOD.md §10): gathers what the evaluation
 * already made (the student's test-image embeddings), the teacher's (the evaluation before, or
 * recomputed the same way after a resume), the pretrained model's (once per run), the class
 * prompts under the three states and the method's prototypes and anchors, and hands them to
 * metrics/analytics.h, which computes and saves drift, geometry and projections. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/common.h"
#include "metrics/analytics.h"
#include "model/zeroshot.h"
#include "runner_internal.h"

/* Normalised text embeddings of every class under LORA (NULL: pretrained), label order. */
static float *class_text(cl_runner *r, const clip_lora *lora) {
    int nc = benchmark_num_classes(r->bench), e = clip_model_config(r->model)->embed_dim;
    float *out = segp_malloc((size_t)nc * e * sizeof(float));
    if (benchmark_class_embeddings(r->model, lora, r->tok, r->bench, BENCH_TEST,
                                   r->cfg.train.template_, out) != 0) {
        free(out);
        return NULL;
    }
    return out;
}

int cl_analytics_task(cl_runner *r, int t, cl_task_ctx *ctx) {
    const analytics_options *ao = &r->cfg.analytics;
    int e = clip_model_config(r->model)->embed_dim;
    int n_seen = r->task_start[t + 1], n_old = r->task_start[t];
    int n_img = 0;
    for (int j = 0; j <= t; j++) n_img += r->n_test[j];
    segp_event ph = {.kind = EV_PHASE, .task = t, .phase = "analytics", .steps = 1};
    cl_emit(r, &ph);
    if (r->eval_task != t) return SEGP_FAIL("analytics of task %d before its evaluation", t + 1);
    int rc = 0;
    /* the pretrained model's embeddings of every test item, once per run */
    if (!r->pre_img) {
        int n_all = 0;
        for (int j = 0; j < r->T; j++) n_all += r->n_test[j];
        r->pre_img = segp_malloc((size_t)n_all * e * sizeof(float));
        int er = cl_eval_embed_tasks(r, NULL, r->T - 1, r->pre_img);
        if (er != 0) { /* -1, or 1: stopped by the callback */
            free(r->pre_img);
            r->pre_img = NULL;
            return er;
        }
    }
    /* the teacher's: the evaluation before this task (B at the start of the task), or the
     * pretrained model's at the first task; after a resume, made again the same way */
    const float *teach = t == 0 ? r->pre_img : NULL;
    if (t > 0 && r->teach_task == t) teach = r->teach_img;
    /* a task that changed nothing (zero-shot; joint after its one training) has no drift: the
     * student's own embeddings, not the same numbers from other batch shapes, whose last-bit
     * differences would make a ratio of rounding noise */
    if (clip_lora_same_b(r->teacher, r->student)) teach = r->eval_img;
    if (!teach) {
        int n = 0, jmax = t < r->T - 1 ? t : r->T - 1;
        for (int j = 0; j <= jmax; j++) n += r->n_test[j];
        free(r->teach_img);
        r->teach_img = segp_malloc((size_t)n * e * sizeof(float));
        free(r->teach_txt); /* the evaluation before's, if any, is not the teacher's */
        r->teach_txt = NULL;
        int er = cl_eval_embed_tasks(r, r->teacher, jmax, r->teach_img);
        if (er != 0) return er;
        r->teach_task = t;
        teach = r->teach_img;
    }
    /* the prompts' embeddings: the pretrained model's once per run, the student's from the
     * evaluation just made, the teacher's from the one before (or the student's, as above) */
    if (!r->pre_txt) r->pre_txt = class_text(r, NULL);
    float *own_teach = NULL, *own_stud = NULL;
    const float *tx_pre = r->pre_txt, *tx_stud = r->eval_txt, *tx_teach = NULL;
    if (!tx_stud) tx_stud = own_stud = class_text(r, r->student);
    if (teach == r->eval_img) tx_teach = tx_stud;
    else if (teach == r->teach_img && r->teach_txt) tx_teach = r->teach_txt;
    else tx_teach = own_teach = class_text(r, r->teacher);
    float *tp = segp_malloc((size_t)n_seen * e * sizeof(float) * 3);
    float *tt = tp + (size_t)n_seen * e, *ts = tt + (size_t)n_seen * e;
    int32_t *labels = segp_malloc((size_t)n_seen * sizeof(int32_t));
    int32_t *img_class = segp_malloc((size_t)(n_img ? n_img : 1) * sizeof(int32_t));
    if (!tx_pre || !tx_teach || !tx_stud) rc = -1;
    for (int k = 0; rc == 0 && k < n_seen; k++) {
        int lab = r->order[k];
        labels[k] = lab;
        memcpy(tp + (size_t)k * e, tx_pre + (size_t)lab * e, (size_t)e * sizeof(float));
        memcpy(tt + (size_t)k * e, tx_teach + (size_t)lab * e, (size_t)e * sizeof(float));
        memcpy(ts + (size_t)k * e, tx_stud + (size_t)lab * e, (size_t)e * sizeof(float));
    }
    for (int j = 0, i = 0; rc == 0 && j <= t; j++)
        for (int q = 0; q < r->n_test[j]; q++, i++)
            img_class[i] = r->pos[benchmark_label(r->bench, BENCH_TEST, r->test_idx[j][q])];
    cl_method_analytics ma = {0};
    if (rc == 0 && r->method->analytics) rc = r->method->analytics(r->mstate, ctx, &ma);
    analytics_summary sum;
    if (rc == 0) {
        analytics_input in = {
            .task = t, .e = e, .logit_scale = clip_model_logit_scale(r->model),
            .n_old = n_old, .n_new = n_seen - n_old, .labels = labels,
            .text_pre = tp, .text_teacher = tt, .text_student = ts,
            .n_img = n_img, .img_class = img_class,
            .img_pre = r->pre_img, .img_teacher = teach, .img_student = r->eval_img,
            .protos = ma.protos, .n_anchor = ma.n_anchor, .anchor_student = ma.anchor_student,
            .anchor_class = ma.anchor_class,
            .bins = ao->bins, .boundary_frac = ao->boundary_frac,
            .tsne_points = ao->tsne_points, .tsne_iters = ao->tsne_iters,
            .perplexity = ao->perplexity, .seed = r->cfg.seed ^ (0x5EA7ull + (uint64_t)t)};
        rc = analytics_write(&in, ctx->task_dir, &sum);
    }
    if (rc == 0) r->bc_ratio[t] = sum.boundary_core_ratio;
    free(own_teach), free(own_stud), free(tp), free(labels), free(img_class);
    return rc;
}
