/* run_memory.c: the memory check before a run (runner_internal.h). A run whose training step fitted
 * could still be killed by the OOM killer later, after its run directory was made and tasks had
 * trained: in SeGP-CL's anchor building (PGD chunks side by side on the threads, each with its own
 * kept activations), an evaluation (eval.batch_size chunks per thread, the logits of every test
 * item), the held-out classes' evaluation, the prototypes or the analytics (per-sample logits, the
 * t-SNE's dense n x n matrices). Each phase is counted here from the code's own layout functions,
 * with what the run holds beside it (the weights and LoRA states, the kept embeddings, the
 * benchmark's kept renders), and the largest is refused when it exceeds the machine's memory. Every
 * count is a lower bound, so only a phase that cannot fit is refused: of the chunks the threads run
 * side by side, one chunk's buffers are counted (a thread may take no chunk, or finish before
 * another starts), whatever OMP_NUM_THREADS is. A re-evaluation (segp eval: a read-only runner,
 * cl_runner_reevaluate) counts what it runs: the evaluations of the tasks it re-evaluates, with
 * no training step, no training images rendered, no anchors, prototypes or analytics; it was
 * refused for a training step it never takes, by a key it cannot change. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cl/anchors.h"
#include "core/common.h"
#include "metrics/analytics.h"
#include "metrics/projection.h"
#include "model/zeroshot.h"
#include "run/rundir.h"
#include "runner_internal.h"

/* The run's sizes the phases are counted from. */
typedef struct {
    const cl_runner *r;
    const clip_config *mc;
    int e, rank;
    uint32_t tv;      /* the LoRA state's vision targets (0: none) */
    int *n_train;     /* per task: training images */
    int *n_test;      /* per task: test images */
    int *test_class;  /* per label: test images */
    int n_heldout;    /* images of the held-out classes (zero-shot retention) */
    double model;     /* the weights, the student's and the teacher's LoRA states, and the
                       * dataset's images read into memory (CIFAR, IDX) */
    uint8_t *reeval;  /* a re-evaluation: per task, whether it is re-evaluated (NULL: a run) */
} run_sizes;

/* The largest phase so far and its message. */
typedef struct {
    double bytes;
    char what[800];
    const char *phase, *advice;
} phase_need;

static void consider(phase_need *w, double bytes, const char *phase, const char *advice,
                     const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void consider(phase_need *w, double bytes, const char *phase, const char *advice,
                     const char *fmt, ...) {
    if (bytes <= w->bytes) return;
    w->bytes = bytes, w->phase = phase, w->advice = advice;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->what, sizeof w->what, fmt, ap);
    va_end(ap);
}

/* Test images of tasks 0..T1 (clamped to the run's). */
static int64_t tests_upto(const run_sizes *z, int t1) {
    int64_t n = 0;
    for (int j = 0; j <= t1 && j < z->r->T; j++) n += z->n_test[j];
    return n;
}

/* The benchmark's kept renders once task T has trained (every training image so far) and
 * TESTS test images have been drawn. */
static double kept(const run_sizes *z, int t, int64_t tests) {
    const cl_runner *r = z->r;
    int64_t train = 0;
    if (r->method->trains && !z->reeval)
        for (int j = 0; j < r->T && (j <= t || r->method->joint); j++) train += z->n_train[j];
    /* the held-out split is evaluated whole before the first task (heldout_pre) */
    return benchmark_kept_bytes(r->bench, BENCH_TRAIN, z->mc->resolution, train) +
           benchmark_kept_bytes(r->bench, BENCH_TEST, z->mc->resolution, tests) +
           benchmark_kept_bytes(r->bench, BENCH_HELDOUT, z->mc->resolution, z->n_heldout);
}

/* Bytes of N images embedded in chunks of B side by side on the threads (cl_eval.c's
 * embed_items, benchmark_image_embeddings_chunked): one chunk's, the first (the largest). Each
 * call frees its buffers when it ends, and a thread may start its chunk only after another
 * finished (the prototypes' chunks are dealt dynamically: one thread may take them all), so
 * only one chunk is certain to be held at a time, whatever the thread count. */
static double chunked_embed_bytes(const run_sizes *z, int64_t n, int b) {
    int k = n < b ? (int)n : b;
    return k > 0 ? (double)benchmark_image_embeddings_bytes(z->mc, k, z->rank, z->tv) : 0;
}

/* A re-evaluation's run is made: its keys cannot change (config.json.sha256). */
#define REEVAL_ADVICE "more memory; a run's keys stay as it ran them for its re-evaluation"

/* The pretrained embeddings the analytics keep beside the evaluations (none in a
 * re-evaluation, which runs no analytics). */
static int analytics_on(const run_sizes *z) {
    return z->r->cfg.analytics.enabled && !z->reeval;
}

/* Whether the evaluation before task T's stays beside it (as the teacher's embeddings): in a
 * re-evaluation, only where task T - 1 was re-evaluated too. */
static int prev_held(const run_sizes *z, int t) {
    return t > 0 && (!z->reeval || z->reeval[t - 1]);
}

/* The evaluation after task T (cl_eval_task): the test images of tasks 0..T+1 embedded, then
 * scored against every test class; the previous evaluation's embeddings and the pretrained
 * ones (analytics) stay beside. */
static void eval_phase(const run_sizes *z, int t, phase_need *w) {
    const cl_runner *r = z->r;
    const cl_config *c = &r->cfg;
    int64_t n = tests_upto(z, t + 1), all = tests_upto(z, r->T - 1);
    int nc = benchmark_split_classes(r->bench, BENCH_TEST), an = analytics_on(z);
    double f = 4, held = z->model + kept(z, t, an && t > 0 ? all : n) + f * n * z->e;
    if (prev_held(z, t)) held += f * tests_upto(z, t) * z->e + (an ? f * all * z->e : 0);
    double embed = chunked_embed_bytes(z, n, c->eval_batch);
    double score = f * n * nc * (r->method->eval_logits ? 2 : 1) + f * nc * z->e;
    consider(w, held + (embed > score ? embed : score), "the evaluation",
             z->reeval ? REEVAL_ADVICE
                       : "a smaller eval.batch_size, fewer test images or a smaller model",
             "key 'eval.batch_size' = %d (task %d: %lld test images in chunks of %d, logits "
             "against %d classes, with model %s)", c->eval_batch, t + 1, (long long)n,
             c->eval_batch, nc, c->model);
}

/* The held-out evaluation after task T (cl_eval_heldout at the end of cl_eval_task): every
 * image of the held-out classes embedded and scored against them, while the task's evaluation
 * embeddings, the previous evaluation's and the pretrained ones (analytics) stay. The one before
 * the first task holds less (no evaluation yet), so the tasks' decide. */
static void heldout_phase(const run_sizes *z, int t, phase_need *w) {
    const cl_runner *r = z->r;
    const cl_config *c = &r->cfg;
    int64_t nh = z->n_heldout, n = tests_upto(z, t + 1), all = tests_upto(z, r->T - 1);
    int ch = benchmark_split_classes(r->bench, BENCH_HELDOUT), an = analytics_on(z);
    if (nh <= 0) return;
    double f = 4, held = z->model + kept(z, t, an && t > 0 ? all : n) + f * n * z->e;
    if (prev_held(z, t)) held += f * tests_upto(z, t) * z->e + (an ? f * all * z->e : 0);
    held += f * nh + f * nh * z->e; /* the items and their embeddings */
    double embed = chunked_embed_bytes(z, nh, c->eval_batch);
    /* the logits, the items' labels, tasks, predictions and indices, the classes' texts */
    double score = f * nh * ch + 4 * f * nh + f * ch * z->e;
    int val = benchmark_is_val(r->bench);
    consider(w, held + (embed > score ? embed : score), "the held-out evaluation",
             z->reeval ? REEVAL_ADVICE
             : val     ? "a smaller benchmark.val_per_class or a smaller model"
                       : "a smaller benchmark.test_per_class or a smaller model",
             "key '%s' (after task %d: %lld images of the %d held-out classes in chunks of key "
             "'eval.batch_size' = %d, logits against them, with model %s)",
             val ? "benchmark.val_per_class" : "benchmark.test_per_class", t + 1, (long long)nh,
             ch, c->eval_batch, c->model);
}

/* SeGP-CL's prototypes after task T (segp_after_task): the task's training images embedded in
 * chunks of 64. */
static void prototype_phase(const run_sizes *z, int t, phase_need *w) {
    const cl_runner *r = z->r;
    int64_t n = z->n_train[t];
    double held = z->model + kept(z, t, tests_upto(z, t)) + 4.0 * tests_upto(z, t) * z->e;
    double bytes = held + 4.0 * n * z->e + chunked_embed_bytes(z, n, 64);
    consider(w, bytes, "the prototypes", "fewer training images or a smaller model",
             "key 'benchmark.train_per_class' (task %d: its %lld training images embedded for "
             "the prototypes, with model %s)", t + 1, (long long)n, r->cfg.model);
}

/* SeGP-CL's anchors before task T > 0 (dpgd_build, the task's images as the pool). */
static void anchor_phase(const run_sizes *z, int t, phase_need *w) {
    const cl_runner *r = z->r;
    const cl_config *c = &r->cfg;
    dpgd_params p;
    int n_seen = r->task_start[t + 1], n_cur = n_seen - r->task_start[t];
    int n_old = r->method->task_anchors(c, t, n_seen, n_cur, &p);
    /* more seeds than the task's images is refused by key after this check (setup_plan) */
    if (n_old <= 0 || p.k_seed > z->n_train[t]) return;
    int an = c->analytics.enabled;
    int64_t all = tests_upto(z, r->T - 1), n_eval = tests_upto(z, t);
    double held = z->model + kept(z, t, an ? all : n_eval) + 4.0 * n_eval * z->e +
                  (an ? 4.0 * all * z->e : 0);
    double bytes = held + dpgd_build_bytes(z->mc, z->n_train[t], n_old, &p, z->rank, z->tv);
    consider(w, bytes, "building the anchors", "a smaller anchors.per_class or a smaller model",
             "key 'anchors.per_class' = %d (task %d: %lld anchors for %d old classes, %s, from "
             "its %d training images, with model %s)", p.k_seed, t + 1,
             (long long)p.k_seed * n_old, n_old,
             p.source == ANCHORS_PGD ? "each a PGD of key 'anchors.steps'" : "no PGD steps",
             z->n_train[t], c->model);
}

/* The analytics of task T (cl_analytics_task, analytics_write): every embedding kept, the
 * per-sample logits of the drift, then the projections over the selected points. The points
 * depend on the method's prototypes and anchors: the fewest over having them or not. */
static void analytics_phase(const run_sizes *z, int t, phase_need *w) {
    const cl_runner *r = z->r;
    const cl_config *c = &r->cfg;
    int ns = r->task_start[t + 1], no = r->task_start[t], e = z->e;
    int nc = benchmark_num_classes(r->bench);
    int64_t all = tests_upto(z, r->T - 1), n_img = tests_upto(z, t);
    double f = 4, held = z->model + kept(z, t, all) + f * e * (all + tests_upto(z, t + 1));
    if (t > 0) held += f * e * n_img;                 /* the teacher's */
    held += f * e * (3.0 * nc + 3.0 * ns);            /* the class texts under three states */
    double drift = f * n_img * (ns + 2.0 * no);       /* lt, lt_old, ls */
    int *ci = segp_calloc((size_t)ns, sizeof *ci), *ca = segp_calloc((size_t)ns, sizeof *ca);
    for (int k = 0; k < ns; k++) ci[k] = z->test_class[r->order[k]];
    dpgd_params p;
    int n_old = r->method->task_anchors && t > 0 ? r->method->task_anchors(c, t, ns, ns - no, &p)
                                                 : 0;
    for (int k = 0; k < n_old; k++) ca[k] = p.k_seed;
    int *none = segp_calloc((size_t)ns, sizeof *none), pts = -1;
    for (int v = 0; v < 4; v++) { /* prototypes or not, anchors or not */
        int n = analytics_projection_points(ns, c->analytics.tsne_points, v & 1,
                                            ci, v & 2 ? ca : none, NULL);
        if (pts < 0 || n < pts) pts = n;
    }
    free(ci), free(ca), free(none);
    double proj = c->analytics.tsne_points > 0 && e >= 2 && pts >= 4
                      ? proj_tsne_bytes(pts) + f * pts * (e + 3.0)
                      : 0;
    if (proj >= drift)
        consider(w, held + proj, "the analytics' projections",
                 "a smaller analytics.projection_points, or analytics.enabled false",
                 "key 'analytics.projection_points' = %d (task %d: a t-SNE over %d points, "
                 "with model %s)", c->analytics.tsne_points, t + 1, pts, c->model);
    else
        consider(w, held + drift, "the analytics' drift",
                 "analytics.enabled false, fewer test images or a smaller model",
                 "key 'analytics.enabled' (task %d: logits of %lld test images against %d "
                 "classes, with model %s)", t + 1, (long long)n_img, ns, c->model);
}

/* Images of split S per task into OUT[T], and per label into PER_CLASS (may be NULL). */
static void count_items(const cl_runner *r, bench_split s, int *out, int *per_class) {
    int nc = benchmark_num_classes(r->bench);
    uint8_t *mask = segp_malloc((size_t)nc);
    for (int t = 0; t < r->T; t++) {
        memset(mask, 0, (size_t)nc);
        for (int k = r->task_start[t]; k < r->task_start[t + 1]; k++) mask[r->order[k]] = 1;
        int *idx = NULL;
        out[t] = benchmark_select(r->bench, s, mask, &idx);
        for (int i = 0; per_class && i < out[t]; i++)
            per_class[benchmark_label(r->bench, s, idx[i])]++;
        free(idx);
    }
    free(mask);
}

/* Per task, whether cl_runner_reevaluate evaluates it: the finished tasks from task 1 on
 * (tasks/NN/DONE) whose checkpoint was kept. */
static uint8_t *reevaluated_tasks(const cl_runner *r) {
    uint8_t *on = segp_calloc((size_t)r->T, 1);
    int last = !strcmp(r->cfg.keep_checkpoints, "last");
    for (int t = 0; t < r->T && rundir_task_done(r->dir, t); t++) {
        char p[4200];
        rundir_task_path(r->dir, t, "lora.safetensors", p, sizeof p);
        on[t] = !last || rundir_exists(p);
    }
    return on;
}

int cl_run_check_memory(const cl_runner *r, const clip_config *mc) {
    const cl_config *c = &r->cfg;
    double have;
    if (segp_memory_limit(&have, NULL, 0) != 0) return -1;
    if (have <= 0) return 0;
    step_memory step;
    clip_lora_params lp;
    char step_what[1400];
    const char *step_advice = NULL;
    double step_bytes = r->params.read_only ? -1 /* no step in a re-evaluation */
                        : cl_train_memory(r, mc, &lp, &step, step_what, sizeof step_what,
                                          &step_advice);
    lp = clip_lora_default_params();
    lp.rank = c->train.rank;
    lp.alpha = c->train.alpha;
    int nc = benchmark_num_classes(r->bench);
    run_sizes z = {.r = r, .mc = mc, .e = mc->embed_dim,
                   .rank = lp.rank, .tv = lp.vision ? lp.targets : 0,
                   .model = step_memory_model_bytes(mc, &lp, 1) +
                            benchmark_data_bytes(r->bench)};
    z.n_train = segp_calloc((size_t)r->T, sizeof(int));
    z.n_test = segp_calloc((size_t)r->T, sizeof(int));
    z.test_class = segp_calloc((size_t)nc, sizeof(int));
    if (r->method->trains && !r->params.read_only) count_items(r, BENCH_TRAIN, z.n_train, NULL);
    count_items(r, BENCH_TEST, z.n_test, z.test_class);
    z.n_heldout = benchmark_num_heldout(r->bench) > 0 ? benchmark_count(r->bench, BENCH_HELDOUT)
                                                      : 0;
    phase_need w = {.bytes = -1};
    if (r->params.read_only) { /* a re-evaluation: its evaluations alone */
        z.reeval = reevaluated_tasks(r);
        for (int t = 0; t < r->T; t++)
            if (z.reeval[t]) eval_phase(&z, t, &w), heldout_phase(&z, t, &w);
        free(z.n_train), free(z.n_test), free(z.test_class), free(z.reeval);
        return w.bytes > 0 ? phase_memory_check(w.bytes, w.what, w.phase, w.advice) : 0;
    }
    for (int t = 0; t < r->T; t++) {
        eval_phase(&z, t, &w);
        heldout_phase(&z, t, &w);
        if (r->method->task_anchors && t > 0) anchor_phase(&z, t, &w);
        if (!strcmp(c->method, "segp")) prototype_phase(&z, t, &w);
        if (c->analytics.enabled) analytics_phase(&z, t, &w);
    }
    free(z.n_train), free(z.n_test), free(z.test_class);
    /* the training step keeps its own message (step_memory_check) */
    if (step_bytes >= w.bytes) return step_memory_check(&step, step_what, step_advice);
    return phase_memory_check(w.bytes, w.what, w.phase, w.advice);
}
