/* segp.c: the SeGP-CL method (METHOD.md §2-§8) on the runner's hooks:
 *   before_task   the TSGR neighbours in the pretrained text space; from the second task, the
 *                 DPGD anchors (anchors.h) and their teacher distributions over the old classes
 *   extend_batch  an anchor minibatch after the data images, the old-class prompts after the
 *                 data prompts (recomputed by the student each step: gradients reach both towers)
 *   add_terms     ACGD and TSGR (cl_losses.h)
 *   after_task    prototypes of the new classes, drift transfer of the old ones (prototypes.h);
 *                 tasks/NN/prototypes.safetensors and anchors.safetensors
 *   eval_logits   dual-path inference
 *   load_task     the prototypes of a finished task (resume)
 * Each part is switched by its config key (cl_config.h segp_options), so the ablation rows are
 * this one method with parts off. */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anchors.h"
#include "cl_losses.h"
#include "core/common.h"
#include "io/safetensors.h"
#include "methods.h"
#include "model/zeroshot.h"
#include "prototypes.h"
#include "run/events.h"
#include "run/fault.h"

typedef struct {
    int nc, e, context;
    float logit_scale;
    float *g0;          /* [nc, e] pretrained text embeddings (label order) */
    float *mu;          /* [nc, e] prototypes (label order) */
    uint8_t *has_mu;    /* [nc] */
    /* this task */
    int task, n_old, n_cur, n_seen;
    int old_row0;       /* text row of the first old-class prompt (-1: none appended) */
    int32_t *old_ids;   /* [n_old, context] */
    int acgd_on, tsgr_on, anchors_on;
    anchor_set anchors;
    float *p_teacher;   /* [n_anchor, n_old] */
    int32_t *perm;      /* anchor visiting order */
    float *p_step;      /* [acgd_batch, n_old] this step's rows of p_teacher */
    int step_n;
    acgd_term acgd;
    int32_t *tsgr_rows, *tsgr_nbr;
    float *tsgr_p;
    int tsgr_k;
    tsgr_term tsgr;
    /* after the task (analytics) */
    float *anchor_fs;   /* [n_anchor, e] student embeddings of the anchors */
    int32_t *anchor_pos;
    float *protos_seen; /* [n_seen, e] learning order */
} segp_state;

static void free_task(segp_state *s) {
    anchor_set_free(&s->anchors);
    free(s->old_ids), free(s->p_teacher), free(s->perm), free(s->p_step);
    free(s->tsgr_rows), free(s->tsgr_nbr), free(s->tsgr_p);
    free(s->anchor_fs), free(s->anchor_pos), free(s->protos_seen);
    s->old_ids = NULL, s->p_teacher = NULL, s->perm = NULL, s->p_step = NULL;
    s->tsgr_rows = s->tsgr_nbr = NULL, s->tsgr_p = NULL;
    s->anchor_fs = NULL, s->anchor_pos = NULL, s->protos_seen = NULL;
    s->acgd_on = s->tsgr_on = s->anchors_on = 0;
}

static int segp_init(void **state, const cl_config *cfg) {
    (void)cfg;
    *state = segp_calloc(1, sizeof(segp_state));
    return 0;
}

static void segp_free(void *state) {
    segp_state *s = state;
    free_task(s);
    free(s->g0), free(s->mu), free(s->has_mu);
    free(s);
}

/* The run-level arrays, at the first hook that sees the model and the benchmark. */
static int lazy_init(segp_state *s, cl_task_ctx *ctx) {
    if (s->g0) return 0;
    const clip_config *mc = clip_model_config(ctx->model);
    s->nc = benchmark_num_classes(ctx->bench);
    s->e = mc->embed_dim;
    s->context = mc->context;
    s->logit_scale = clip_model_logit_scale(ctx->model);
    s->mu = segp_calloc((size_t)s->nc * s->e, sizeof(float));
    s->has_mu = segp_calloc((size_t)s->nc, 1);
    s->g0 = segp_malloc((size_t)s->nc * s->e * sizeof(float));
    if (benchmark_class_embeddings(ctx->model, NULL, ctx->tok, ctx->bench, BENCH_TRAIN,
                                   ctx->cfg->train.template_, s->g0) != 0) {
        free(s->g0);
        s->g0 = NULL;
        return -1;
    }
    return 0;
}

/* The clean training images of the current task (8-bit RGB at the model resolution) and their
 * item indices. Returns the count, -1 + error. */
static int task_pool(cl_task_ctx *ctx, uint8_t **rgb, int32_t **items) {
    int nc = benchmark_num_classes(ctx->bench), px = clip_model_config(ctx->model)->resolution;
    uint8_t *mask = segp_calloc((size_t)nc, 1);
    for (int k = 0; k < ctx->n_current; k++) mask[ctx->current[k]] = 1;
    int *idx = NULL;
    int n = benchmark_select(ctx->bench, BENCH_TRAIN, mask, &idx);
    free(mask);
    if (n <= 0) {
        free(idx);
        return SEGP_FAIL("task %d has no training images", ctx->task + 1);
    }
    *rgb = segp_malloc((size_t)n * px * px * 3);
    *items = segp_malloc((size_t)n * sizeof(int32_t));
    for (int i = 0; i < n; i++) (*items)[i] = idx[i];
    int rc = benchmark_images(ctx->bench, BENCH_TRAIN, idx, n, px, *rgb);
    free(idx);
    if (rc != 0) {
        free(*rgb), free(*items);
        *rgb = NULL, *items = NULL;
        return -1;
    }
    return n;
}

typedef struct {
    cl_task_ctx *ctx;
    double t0;
} progress_user;

static int anchors_progress(void *user, int64_t done, int64_t total) {
    progress_user *u = user;
    double el = event_sink_clock(u->ctx->events) - u->t0;
    segp_event ev = {.kind = EV_STEP, .task = u->ctx->task, .num_tasks = u->ctx->num_tasks,
                     .phase = "anchors", .epoch = 1, .epochs = 1, .step = done, .steps = total,
                     .loss = NAN, .lr = NAN};
    ev.images_per_s = el > 0 ? done / el : 0;
    ev.eta_s = ev.images_per_s > 0 ? (total - done) / ev.images_per_s : 0;
    return event_emit(u->ctx->events, &ev) == EVENT_ABORT;
}

/* Text row of seen position k (learning order) in this task's text batches. */
static int text_row(const segp_state *s, int k, int seen_mode) {
    if (seen_mode) return k;                       /* data rows are every seen class */
    return k >= s->n_old ? k - s->n_old : s->old_row0 + k; /* current first, then old */
}

/* The DPGD parameters of task TASK's anchors (build_anchors and segp_task_anchors). */
static dpgd_params anchor_params(const cl_config *cfg, int task) {
    const segp_options *o = &cfg->segp;
    dpgd_params p = dpgd_default_params();
    p.source = !strcmp(o->anchors, "seeds") ? ANCHORS_SEEDS
               : !strcmp(o->anchors, "new_task") ? ANCHORS_NEW_TASK : ANCHORS_PGD;
    p.k_seed = o->k_seed;
    p.k_adv = o->k_adv;
    p.step = o->gamma;
    p.eps = o->epsilon;
    p.lambda_p = o->lambda_p;
    p.seed = cfg->seed * 0x9E3779B97F4A7C15ull + 0xA7C0ull + (uint64_t)task;
    return p;
}

static int build_anchors(segp_state *s, cl_task_ctx *ctx) {
    const segp_options *o = &ctx->cfg->segp;
    int e = s->e, K = s->n_old;
    uint8_t *pool = NULL;
    int32_t *items = NULL;
    int n_pool = task_pool(ctx, &pool, &items);
    if (n_pool < 0) return -1;
    float *gt_all = segp_malloc((size_t)s->nc * e * sizeof(float));
    float *gt = segp_malloc((size_t)K * e * sizeof(float));
    float *mu = o->lambda_p > 0 ? segp_malloc((size_t)K * e * sizeof(float)) : NULL;
    int32_t *old = segp_malloc((size_t)K * sizeof(int32_t));
    /* the training split's classes are the test split's (benchmark_split_classes): the
     * evaluation before, under the teacher's weights, encoded these very prompts */
    int rc = 0;
    if (ctx->teacher_text)
        memcpy(gt_all, ctx->teacher_text, (size_t)s->nc * e * sizeof(float));
    else
        rc = benchmark_class_embeddings(ctx->model, ctx->teacher, ctx->tok, ctx->bench,
                                        BENCH_TRAIN, ctx->cfg->train.template_, gt_all);
    for (int k = 0; rc == 0 && k < K; k++) {
        int lab = ctx->seen[k];
        old[k] = lab;
        memcpy(gt + (size_t)k * e, gt_all + (size_t)lab * e, (size_t)e * sizeof(float));
        if (mu && !s->has_mu[lab])
            rc = SEGP_FAIL("task %d: old class %d has no prototype", ctx->task + 1, lab);
        if (mu) memcpy(mu + (size_t)k * e, s->mu + (size_t)lab * e, (size_t)e * sizeof(float));
    }
    dpgd_params p = anchor_params(ctx->cfg, ctx->task);
    /* dpgd_build's progress counts the pool's images, then each anchor's PGD steps: the
     * phase announced the PGD steps alone (500 where the steps then counted to 1500) */
    segp_event ph = {.kind = EV_PHASE, .task = ctx->task, .num_tasks = ctx->num_tasks,
                     .phase = "anchors",
                     .steps = n_pool + (int64_t)K * o->k_seed *
                                           (p.source == ANCHORS_PGD ? o->k_adv : 0)};
    event_emit(ctx->events, &ph);
    progress_user pu = {ctx, event_sink_clock(ctx->events)}; /* a pause left out (events.h) */
    if (rc == 0)
        rc = dpgd_build(ctx->model, ctx->teacher, pool, items, n_pool,
                        clip_model_config(ctx->model)->resolution, old, gt, mu, K, &p,
                        anchors_progress, &pu, &s->anchors);
    if (rc == 0) {
        int n = s->anchors.n;
        s->p_teacher = segp_malloc((size_t)n * K * sizeof(float));
        acgd_teacher_probs(s->anchors.emb_teacher, n, gt, K, e, s->logit_scale, o->tau_acgd,
                           s->p_teacher);
        s->perm = segp_malloc((size_t)n * sizeof(int32_t));
        train_epoch_order(ctx->cfg->seed ^ 0xACD0ull, ctx->task, n, s->perm);
        int m = o->acgd_batch < n ? o->acgd_batch : n;
        s->p_step = segp_malloc((size_t)m * K * sizeof(float));
        s->step_n = m;
    }
    free(pool), free(items), free(gt_all), free(gt), free(mu), free(old);
    return rc;
}

/* What a task of N_SEEN classes, N_CURRENT of them new, turns on (before_task and step_rows). */
typedef struct {
    int n_old, acgd_on, tsgr_on, anchors_on, old_prompts;
} task_plan;

static task_plan plan_task(const cl_config *cfg, int n_seen, int n_current) {
    const segp_options *o = &cfg->segp;
    task_plan p;
    p.n_old = n_seen - n_current;
    p.acgd_on = o->lambda_acgd > 0 && p.n_old > 0;
    p.tsgr_on = o->lambda_gr > 0 && n_seen >= 2;
    /* anchors serve ACGD and the drift transfer; either one builds them */
    p.anchors_on = p.n_old > 0 && (p.acgd_on || o->transfer);
    /* the old-class prompts follow the data prompts unless L_cls already has every seen class */
    p.old_prompts = p.n_old > 0 && (p.acgd_on || p.tsgr_on) && strcmp(cfg->cls_classes, "seen");
    return p;
}

/* extend_batch's rows: acgd.batch anchors (at most the K_seed x old classes there are) and the
 * old-class prompts. */
static void segp_step_rows(const cl_config *cfg, int n_seen, int n_current, int *n_img,
                           int *n_txt) {
    task_plan p = plan_task(cfg, n_seen, n_current);
    int64_t anchors = (int64_t)cfg->segp.k_seed * p.n_old;
    *n_img = !p.acgd_on ? 0 : cfg->segp.acgd_batch < anchors ? cfg->segp.acgd_batch
                                                              : (int)anchors;
    *n_txt = p.old_prompts ? p.n_old : 0;
}

static int segp_task_anchors(const cl_config *cfg, int task, int n_seen, int n_current,
                             dpgd_params *p) {
    task_plan plan = plan_task(cfg, n_seen, n_current);
    *p = anchor_params(cfg, task);
    return plan.anchors_on ? plan.n_old : 0;
}

static int segp_before_task(void *state, cl_task_ctx *ctx) {
    segp_state *s = state;
    const segp_options *o = &ctx->cfg->segp;
    int seen_mode = !strcmp(ctx->cfg->cls_classes, "seen");
    if (lazy_init(s, ctx) != 0) return -1;
    free_task(s);
    s->task = ctx->task;
    s->n_seen = ctx->n_seen;
    s->n_cur = ctx->n_current;
    task_plan plan = plan_task(ctx->cfg, ctx->n_seen, ctx->n_current);
    s->n_old = plan.n_old;
    s->acgd_on = plan.acgd_on;
    s->tsgr_on = plan.tsgr_on;
    s->anchors_on = plan.anchors_on;
    s->old_row0 = -1;
    if (plan.old_prompts) {
        s->old_row0 = s->n_cur;
        s->old_ids = segp_malloc((size_t)s->n_old * s->context * sizeof(int32_t));
        if (benchmark_class_prompts(ctx->tok, ctx->bench, ctx->seen, s->n_old,
                                    ctx->cfg->train.template_, s->context, s->old_ids) != 0)
            return -1;
    }
    if (s->tsgr_on) {
        int n = s->n_seen, e = s->e;
        s->tsgr_k = o->tsgr_k < n - 1 ? o->tsgr_k : n - 1;
        float *g0 = segp_malloc((size_t)n * e * sizeof(float));
        int32_t *cls = segp_malloc((size_t)s->n_cur * sizeof(int32_t));
        for (int k = 0; k < n; k++)
            memcpy(g0 + (size_t)k * e, s->g0 + (size_t)ctx->seen[k] * e, (size_t)e * sizeof(float));
        for (int i = 0; i < s->n_cur; i++) cls[i] = s->n_old + i;
        s->tsgr_nbr = segp_malloc((size_t)s->n_cur * s->tsgr_k * sizeof(int32_t));
        s->tsgr_p = segp_malloc((size_t)s->n_cur * s->tsgr_k * sizeof(float));
        s->tsgr_rows = segp_malloc((size_t)s->n_cur * sizeof(int32_t));
        int rc = tsgr_reference(g0, n, e, cls, s->n_cur, s->tsgr_k, o->tau_gr, s->tsgr_nbr,
                                s->tsgr_p);
        free(g0), free(cls);
        if (rc != 0) return -1;
        /* seen positions -> text rows */
        for (int i = 0; i < s->n_cur; i++) s->tsgr_rows[i] = text_row(s, s->n_old + i, seen_mode);
        for (int q = 0; q < s->n_cur * s->tsgr_k; q++)
            s->tsgr_nbr[q] = text_row(s, s->tsgr_nbr[q], seen_mode);
    }
    if (s->anchors_on) return build_anchors(s, ctx);
    return 0;
}

static int segp_extend_batch(void *state, cl_task_ctx *ctx, cl_batch *b, int step) {
    segp_state *s = state;
    int seen_mode = !strcmp(ctx->cfg->cls_classes, "seen");
    if (s->old_row0 >= 0) {
        if (b->n_txt != s->old_row0)
            return SEGP_FAIL("segp: %d data prompts, expected %d", b->n_txt, s->old_row0);
        cl_batch_reserve(b, b->n_img, b->n_txt + s->n_old);
        memcpy(b->ids + (size_t)b->n_txt * b->context, s->old_ids,
               (size_t)s->n_old * b->context * sizeof(int32_t));
        b->n_txt += s->n_old;
    }
    if (s->acgd_on) {
        int n = s->anchors.n, m = s->step_n, K = s->n_old;
        int i0 = b->n_img;
        cl_batch_reserve(b, i0 + m, b->n_txt);
        for (int i = 0; i < m; i++) {
            int a = s->perm[(int)(((int64_t)step * m + i) % n)];
            anchor_set_normalised(&s->anchors, a, 1, b->pixels + (size_t)(i0 + i) * b->img_numel);
            memcpy(s->p_step + (size_t)i * K, s->p_teacher + (size_t)a * K,
                   (size_t)K * sizeof(float));
        }
        b->n_img += m;
        s->acgd = (acgd_term){.img0 = i0, .n = m, .txt0 = seen_mode ? 0 : s->old_row0, .K = K,
                              .p_teacher = s->p_step, .tau = ctx->cfg->segp.tau_acgd};
    }
    return 0;
}

static int segp_add_terms(void *state, cl_task_ctx *ctx, loss_term *terms, int max) {
    segp_state *s = state;
    const segp_options *o = &ctx->cfg->segp;
    int k = 0;
    if (s->acgd_on && k < max)
        terms[k++] = (loss_term){"acgd", o->lambda_acgd, loss_term_acgd, &s->acgd};
    if (s->tsgr_on && k < max) {
        s->tsgr = (tsgr_term){.rows = s->tsgr_rows, .n_cls = s->n_cur, .nbr = s->tsgr_nbr,
                              .k = s->tsgr_k, .p_ref = s->tsgr_p, .tau = o->tau_gr};
        terms[k++] = (loss_term){"tsgr", o->lambda_gr, loss_term_tsgr, &s->tsgr};
    }
    return k;
}

/* tasks/NN/prototypes.safetensors: the prototypes of the seen classes after the task (learning
 * order) with their labels; the old ones before the transfer, Delta and rho. */
static int save_prototypes(const segp_state *s, cl_task_ctx *ctx, const float *before,
                           const float *delta, const float *rho) {
    int n = s->n_seen, K = s->n_old, e = s->e;
    float *lab = segp_malloc((size_t)n * sizeof(float));
    for (int k = 0; k < n; k++) lab[k] = (float)ctx->seen[k];
    st_write_tensor t[5] = {
        {"labels", ST_F32, 1, {n}, lab},
        {"mu", ST_F32, 2, {n, e}, s->protos_seen},
    };
    int nt = 2;
    if (K > 0 && before) {
        t[nt++] = (st_write_tensor){"mu_before", ST_F32, 2, {K, e}, before};
        t[nt++] = (st_write_tensor){"delta", ST_F32, 2, {K, e}, delta};
        t[nt++] = (st_write_tensor){"rho", ST_F32, 1, {K}, rho};
    }
    char path[4200], task[16], nold[16];
    snprintf(path, sizeof path, "%s/prototypes.safetensors", ctx->task_dir);
    snprintf(task, sizeof task, "%d", ctx->task + 1);
    snprintf(nold, sizeof nold, "%d", K);
    const char *mk[] = {"task", "n_old"}, *mv[] = {task, nold};
    int rc = st_write(path, t, nt, mk, mv, 2);
    free(lab);
    return rc;
}

/* The student's embeddings of training items IDX[0..n) into EMB, in rounds of whole chunks of
 * 64 with the callback asked between them: the chunks (and so the numbers) of one call, and a
 * stop heard (a task's thousands of images ran on past Ctrl-C). 0, 1 (stopped), -1 + error. */
static int embed_train_items(cl_task_ctx *ctx, const int *idx, int n, int e, float *emb) {
    const int chunk = 64, round = chunk * 4 * omp_get_max_threads();
    for (int i0 = 0; i0 < n; i0 += round) {
        int k = n - i0 < round ? n - i0 : round;
        if (benchmark_image_embeddings_chunked(ctx->model, ctx->student, ctx->bench, BENCH_TRAIN,
                                               idx + i0, k, chunk, emb + (size_t)i0 * e) != 0)
            return -1;
        fault_point("embed");
        segp_event poll = {.kind = EV_POLL, .task = ctx->task};
        if (event_emit(ctx->events, &poll) == EVENT_ABORT) return 1;
    }
    return 0;
}

static int segp_after_task(void *state, cl_task_ctx *ctx) {
    segp_state *s = state;
    const segp_options *o = &ctx->cfg->segp;
    int e = s->e, K = s->n_old;
    segp_event ph = {.kind = EV_PHASE, .task = ctx->task, .num_tasks = ctx->num_tasks,
                     .phase = "transfer", .steps = 1};
    event_emit(ctx->events, &ph);
    /* new classes: the mean of the student's embeddings of their clean training images */
    int nc = s->nc;
    uint8_t *mask = segp_calloc((size_t)nc, 1);
    for (int k = 0; k < ctx->n_current; k++) mask[ctx->current[k]] = 1;
    int *idx = NULL;
    int n = benchmark_select(ctx->bench, BENCH_TRAIN, mask, &idx);
    free(mask);
    float *emb = segp_malloc((size_t)(n > 0 ? n : 1) * e * sizeof(float));
    int32_t *cls = segp_malloc((size_t)(n > 0 ? n : 1) * sizeof(int32_t));
    int rc = n > 0 ? embed_train_items(ctx, idx, n, e, emb)
                   : SEGP_FAIL("task %d has no training images", ctx->task + 1);
    float *means = segp_malloc((size_t)s->n_cur * e * sizeof(float));
    if (rc == 0) {
        for (int i = 0; i < n; i++) {
            int lab = benchmark_label(ctx->bench, BENCH_TRAIN, idx[i]);
            cls[i] = -1;
            for (int k = 0; k < s->n_cur; k++)
                if (ctx->current[k] == lab) cls[i] = k;
        }
        proto_class_means(emb, cls, n, s->n_cur, e, means, NULL);
        for (int k = 0; k < s->n_cur; k++) {
            memcpy(s->mu + (size_t)ctx->current[k] * e, means + (size_t)k * e,
                   (size_t)e * sizeof(float));
            s->has_mu[ctx->current[k]] = 1;
        }
    }
    free(idx), free(emb), free(cls), free(means);
    /* old classes: the anchors' drift, transferred when prototypes.transfer is on */
    float *before = NULL, *delta = NULL, *rho = NULL, *drift = NULL;
    if (rc == 0 && s->anchors_on) {
        int na = s->anchors.n, px = s->anchors.res;
        float *pix = segp_malloc((size_t)na * 3 * px * px * sizeof(float));
        anchor_set_normalised(&s->anchors, 0, na, pix);
        s->anchor_fs = segp_malloc((size_t)na * e * sizeof(float));
        rc = clip_encode_images_chunked(ctx->model, ctx->student, pix, na, 32, s->anchor_fs);
        free(pix);
        if (rc == 0) {
            drift = segp_malloc((size_t)na * e * sizeof(float));
            for (size_t q = 0; q < (size_t)na * e; q++)
                drift[q] = s->anchor_fs[q] - s->anchors.emb_teacher[q];
            s->anchor_pos = segp_malloc((size_t)na * sizeof(int32_t));
            for (int a = 0; a < na; a++)
                for (int k = 0; k < K; k++)
                    if (ctx->seen[k] == s->anchors.target[a]) s->anchor_pos[a] = k;
            before = segp_malloc((size_t)K * e * sizeof(float));
            delta = segp_calloc((size_t)K * e, sizeof(float));
            rho = segp_calloc((size_t)K, sizeof(float));
            for (int k = 0; k < K; k++)
                memcpy(before + (size_t)k * e, s->mu + (size_t)ctx->seen[k] * e,
                       (size_t)e * sizeof(float));
            if (o->transfer) {
                float *mu = segp_malloc((size_t)K * e * sizeof(float));
                memcpy(mu, before, (size_t)K * e * sizeof(float));
                proto_transfer(mu, K, s->anchors.emb_teacher, s->anchor_fs, na, e, o->tau_p,
                               delta, rho);
                for (int k = 0; k < K; k++)
                    memcpy(s->mu + (size_t)ctx->seen[k] * e, mu + (size_t)k * e,
                           (size_t)e * sizeof(float));
                free(mu);
            }
        }
    }
    if (rc == 0) {
        s->protos_seen = segp_malloc((size_t)s->n_seen * e * sizeof(float));
        for (int k = 0; k < s->n_seen; k++)
            memcpy(s->protos_seen + (size_t)k * e, s->mu + (size_t)ctx->seen[k] * e,
                   (size_t)e * sizeof(float));
        rc = save_prototypes(s, ctx, before, delta, rho);
    }
    if (rc == 0 && s->anchors_on) {
        char path[4200];
        snprintf(path, sizeof path, "%s/anchors.safetensors", ctx->task_dir);
        rc = anchor_set_save(&s->anchors, drift, ctx->cfg->analytics.anchor_images, path);
    }
    free(before), free(delta), free(rho), free(drift);
    return rc;
}

static int segp_eval_logits(void *state, cl_task_ctx *ctx, const float *img, int n,
                            const int *cls, int n_cls, float *logits) {
    segp_state *s = state;
    float beta = ctx->cfg->segp.beta;
    if (!(beta > 0)) return 0;
    if (lazy_init(s, ctx) != 0) return -1;
    if (n_cls != s->nc) return SEGP_FAIL("segp: %d logit columns, expected %d", n_cls, s->nc);
    for (int k = 0; k < n_cls; k++)
        if (cls[k] != k) return SEGP_FAIL("segp: logit columns not in label order");
    proto_dual_path(logits, img, n, s->mu, s->has_mu, n_cls, s->e, beta, s->logit_scale);
    return 0;
}

static int segp_analytics(void *state, cl_task_ctx *ctx, cl_method_analytics *out) {
    segp_state *s = state;
    (void)ctx;
    out->protos = s->protos_seen;
    out->n_anchor = s->anchor_fs ? s->anchors.n : 0;
    out->anchor_student = s->anchor_fs;
    out->anchor_class = s->anchor_pos;
    return 0;
}

/* Resume and re-evaluation: the prototypes after a finished task. */
static int segp_load_task(void *state, cl_task_ctx *ctx) {
    segp_state *s = state;
    if (lazy_init(s, ctx) != 0) return -1;
    char path[4200];
    snprintf(path, sizeof path, "%s/prototypes.safetensors", ctx->task_dir);
    st_file *f = st_open(path);
    if (!f) return -1;
    const st_tensor *lab = st_find(f, "labels"), *mu = st_find(f, "mu");
    int n = ctx->n_seen, e = s->e, rc = 0;
    if (!lab || !mu || lab->ndim != 1 || lab->shape[0] != n || mu->ndim != 2 ||
        mu->shape[0] != n || mu->shape[1] != e)
        rc = SEGP_FAIL("%s: expected tensors 'labels' [%d] and 'mu' [%d, %d] (the prototypes of "
                       "task %d's seen classes)", path, n, n, e, ctx->task + 1);
    float *l = segp_malloc((size_t)n * sizeof(float));
    float *m = segp_malloc((size_t)n * e * sizeof(float));
    if (rc == 0 && (st_read_f32(f, lab, l) != 0 || st_read_f32(f, mu, m) != 0)) rc = -1;
    for (int k = 0; rc == 0 && k < n; k++) {
        if (l[k] != (float)ctx->seen[k]) {
            rc = SEGP_FAIL("%s: class %d is label %g, expected %d (another class order?)", path, k,
                           (double)l[k], ctx->seen[k]);
            break;
        }
        memcpy(s->mu + (size_t)ctx->seen[k] * e, m + (size_t)k * e, (size_t)e * sizeof(float));
        s->has_mu[ctx->seen[k]] = 1;
    }
    free(l), free(m);
    st_close(f);
    return rc;
}

const cl_method cl_method_segp = {
    .name = "segp",
    .doc = "SeGP-CL: DPGD anchors, ACGD, TSGR, prototype drift transfer, dual-path inference",
    .trains = 1,
    .init = segp_init,
    .free = segp_free,
    .before_task = segp_before_task,
    .extend_batch = segp_extend_batch,
    .step_rows = segp_step_rows,
    .task_anchors = segp_task_anchors,
    .add_terms = segp_add_terms,
    .after_task = segp_after_task,
    .eval_logits = segp_eval_logits,
    .analytics = segp_analytics,
    .load_task = segp_load_task,
};
