/* anchors.c: DPGD anchors (see anchors.h): the teacher's seeds among the new task's clean
 * training images, K_adv signed-gradient steps of the dual objective (cl_losses.h) in [0,1]
 * pixel space under an l-inf ball, and the anchor set's file.
 *
 * Speed: the images go through the teacher in chunks side by side on the threads, each chunk
 * single-threaded inside (nested regions are inactive) with the thread's own activations, as
 * the data-parallel training step and the evaluation do: one fork per pass instead of one per
 * op. A pass is cut into up to 64 chunks (at least 4 images each, at most p->batch), so that up
 * to 64 threads share it evenly whatever the number of anchors; the cut depends on the number
 * of images and p->batch alone, so the result does not depend on the thread count.
 *
 * On a device backend the passes run one chunk of p->batch images at a time, and the anchors'
 * pixels, their seeds, the targets and the old-class embeddings stay in device memory for the
 * whole build: each PGD round is the teacher's forward and backward, the dpgd_fwd_bwd op and the
 * pgd_step op; only the two loss values per anchor and the last embeddings come back.
 *
 * Progress counts image-steps: the pool's scoring forward (n_pool), then n anchors per PGD
 * step. */
#include "anchors.h"

#include <limits.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cl_losses.h"
#include "core/common.h"
#include "core/rng.h"
#include "io/image.h"
#include "io/safetensors.h"

dpgd_params dpgd_default_params(void) {
    return (dpgd_params){.source = ANCHORS_PGD, .k_seed = 5, .k_adv = 10, .step = 1.5e-3f,
                         .eps = 4.0f / 255.0f, .lambda_p = 1.0f, .seed = 0, .batch = 64};
}

void anchor_set_free(anchor_set *a) {
    if (!a) return;
    free(a->pixels), free(a->target), free(a->seed), free(a->score), free(a->loss_text);
    free(a->loss_vis), free(a->linf), free(a->emb_teacher), free(a->emb_seed);
    memset(a, 0, sizeof *a);
}

void anchor_set_normalised(const anchor_set *a, int i0, int n, float *out) {
    size_t plane = (size_t)a->res * a->res;
    for (int i = 0; i < n; i++)
        for (int c = 0; c < 3; c++) {
            const float *src = a->pixels + ((size_t)(i0 + i) * 3 + c) * plane;
            float *dst = out + ((size_t)i * 3 + c) * plane;
            for (size_t k = 0; k < plane; k++)
                dst[k] = (src[k] - clip_image_mean[c]) / clip_image_std[c];
        }
}

/* ---- the build ---- */

/* What the chunk jobs share: the teacher, the pool, and per-thread buffers. */
typedef struct {
    clip_model *m;
    const segp_backend *be;
    const clip_lora *teacher;
    const uint8_t *pool;
    int n_pool, res, e, chunk, nt; /* chunk: images per chunk of the pass being run */
    size_t img;                    /* floats per image */
    clip_acts **acts;
    /* per thread, backend memory: [chunk, 3, res, res] and [chunk, e]; the chunk's two loss
     * values; host: staging for pixels and embeddings (the same buffers on the CPU) */
    float **px, **dpx, **emb, **demb, **lv;
    float **hpx, **hemb, **hlv;
    /* the anchors */
    int n, k_adv, n_old, step; /* step: the PGD round being run (0..k_adv) */
    const int32_t *cls_dev;    /* per anchor: its old-class index (backend memory) */
    const float *g_old, *mu;   /* backend memory */
    float lambda_p, logit_scale, gamma, eps;
    float *x;  /* [n, 3, res, res] the anchors' pixels in [0,1] (backend memory) */
    float *x0; /* [n, 3, res, res] their seeds' pixels in [0,1] (backend memory) */
    anchor_set *out;
} builder;

/* Unit rows of X [n, e] into Y (float), through double. */
static void unit_rows(const float *x, int n, int e, float *y) {
    for (int i = 0; i < n; i++) {
        const float *xi = x + (size_t)i * e;
        double s = 0;
        for (int j = 0; j < e; j++) s += (double)xi[j] * xi[j];
        double inv = s > 0 ? 1.0 / sqrt(s) : 0.0;
        for (int j = 0; j < e; j++) y[(size_t)i * e + j] = (float)(xi[j] * inv);
    }
}

/* Images per chunk of a pass over N images (see the top of the file). */
static int chunk_size(int n, int batch) {
    int k = (n + 63) / 64;
    if (k < 4) k = 4;
    return k < batch ? k : batch;
}

double dpgd_build_bytes(const clip_config *mc, int n_pool, int n_old, const dpgd_params *p,
                        int lora_rank, uint32_t lora_targets) {
    int pgd = p->source == ANCHORS_PGD, k_adv = pgd ? p->k_adv : 0, e = mc->embed_dim;
    int tv = mc->grid * mc->grid + 1;
    double n = (double)p->k_seed * n_old, img = 3.0 * mc->resolution * mc->resolution, f = 4;
    /* the pool, its embeddings and scores: held through the build */
    double shared = n_pool * img + f * n_pool * e + 8.0 * n_pool * n_old;
    /* the scoring pass: a clean forward per chunk, its pixels and embeddings. One thread's
     * arena and buffers: run_chunks deals the chunks dynamically, so a thread may take none
     * (one that starts late finds them all taken); the one that takes the first is certain. */
    int cp = chunk_size(n_pool, p->batch);
    if (cp > n_pool) cp = n_pool; /* a chunk runs (and touches) only the images there are */
    double pass = (double)clip_acts_bytes(mc, 0, cp, tv, 0, lora_rank, lora_targets) +
                  f * cp * (img + e);
    double peak = shared + pass;
    /* the anchors: pixels, embeddings at seed and end, the loss record */
    double anchors = f * n * (img + 2.0 * e + 2.0 * (k_adv + 1));
    if (!pgd) return peak > shared + anchors ? peak : shared + anchors;
    /* PGD rounds: a kept forward and a backward to the pixels per chunk, the seeds beside; one
     * thread's arena, as above */
    int ca = chunk_size((int)n, p->batch);
    if (ca > n) ca = (int)n;
    pass = (double)clip_acts_bytes(mc, 0, ca, tv, 1, lora_rank, lora_targets) +
           f * ca * (2.0 * img + 2.0 * e + 2.0);
    double rounds = shared + anchors + f * n * img + pass;
    return peak > rounds ? peak : rounds;
}

/* Chunk C of N items: its first item and size. */
static int chunk_of(const builder *b, int c, int n, int *k) {
    int i0 = c * b->chunk;
    *k = n - i0 < b->chunk ? n - i0 : b->chunk;
    return i0;
}

/* The pool's clean teacher embeddings, normalised, into ARG [n_pool, e]. */
static int job_pool(builder *b, int c, int t, void *arg) {
    float *out = arg;
    const segp_backend *be = b->be;
    int k, i0 = chunk_of(b, c, b->n_pool, &k);
    size_t hwc = (size_t)b->res * b->res * 3;
    for (int i = 0; i < k; i++)
        image_clip_normalize(b->pool + (size_t)(i0 + i) * hwc, b->res,
                             b->hpx[t] + (size_t)i * b->img);
    if (!be->host_memory) be->to_device(b->px[t], b->hpx[t], (size_t)k * b->img * sizeof(float));
    if (clip_vision_forward(b->m, b->teacher, b->px[t], k, b->acts[t], 0, b->emb[t]) != 0)
        return -1;
    if (!be->host_memory) be->to_host(b->hemb[t], b->emb[t], (size_t)k * b->e * sizeof(float));
    unit_rows(b->hemb[t], k, b->e, out + (size_t)i0 * b->e);
    return 0;
}

/* One PGD round of a chunk of anchors: the teacher's forward at the current pixels and both
 * loss terms recorded as step b->step; then, unless it is the last round, the objective's
 * gradient w.r.t. the pixels and one signed step. */
static int job_pgd(builder *b, int c, int t, void *arg) {
    const segp_backend *be = b->be;
    int k, i0 = chunk_of(b, c, b->n, &k), e = b->e, s = b->step, last = s == b->k_adv;
    anchor_set *o = b->out;
    size_t plane = (size_t)b->res * b->res, at = (size_t)i0 * b->img;
    be->channel_affine(b->px[t], b->x + at, k, 3, plane, clip_image_mean, clip_image_std);
    if (clip_vision_forward(b->m, b->teacher, b->px[t], k, b->acts[t], !last, b->emb[t]) != 0)
        return -1;
    float *ce = b->lv[t], *vis = ce + b->chunk;
    be->dpgd_fwd_bwd(ce, vis, last ? NULL : b->demb[t], b->emb[t], k, e, b->g_old, b->n_old,
                     b->cls_dev + i0, b->mu, b->lambda_p, b->logit_scale);
    if (!be->host_memory)
        be->to_host(b->hlv[t], b->lv[t], (size_t)2 * b->chunk * sizeof(float));
    for (int i = 0; i < k; i++) {
        o->loss_text[(size_t)(i0 + i) * (b->k_adv + 1) + s] = b->hlv[t][i];
        o->loss_vis[(size_t)(i0 + i) * (b->k_adv + 1) + s] = b->hlv[t][b->chunk + i];
    }
    if (last) {
        if (!be->host_memory) be->to_host(b->hemb[t], b->emb[t], (size_t)k * e * sizeof(float));
        unit_rows(b->hemb[t], k, e, o->emb_teacher + (size_t)i0 * e);
        return 0;
    }
    clip_grads g = {.d_pixels = b->dpx[t]};
    if (clip_vision_backward(b->m, b->teacher, b->acts[t], b->demb[t], &g) != 0) return -1;
    /* the gradient w.r.t. [0,1] pixels is the normalised one over the channel's std > 0: the
     * same sign */
    be->pgd_step(b->x + at, b->x0 + at, b->dpx[t], (size_t)k * b->img, b->gamma, b->eps);
    return 0;
}

/* Runs JOB on chunks 0..n_chunks-1 side by side on the threads, each single-threaded inside.
 * The error state is per thread: the lowest failing chunk's message is raised again here. */
static int run_chunks(builder *b, int n_chunks, int (*job)(builder *, int, int, void *),
                      void *arg) {
    int failed = INT_MAX;
    char err[1024] = "";
#pragma omp parallel for schedule(dynamic, 1) num_threads(b->nt)
    for (int c = 0; c < n_chunks; c++)
        if (job(b, c, omp_get_thread_num(), arg) != 0) {
#pragma omp critical(anchors_fail)
            if (c < failed) {
                failed = c;
                snprintf(err, sizeof err, "%s", segp_last_error());
            }
        }
    return failed == INT_MAX ? 0 : SEGP_FAIL("%s", err);
}

static int check_params(const clip_model *m, int n_pool, int res, int n_old, const dpgd_params *p) {
    const clip_config *c = clip_model_config(m);
    if (!c->has_vision) return SEGP_FAIL("anchors: the model has no vision tower");
    if (res != c->resolution)
        return SEGP_FAIL("anchors: pool images of %d px (expected the model's %d px)", res,
                         c->resolution);
    if (p->source != ANCHORS_PGD && p->source != ANCHORS_SEEDS && p->source != ANCHORS_NEW_TASK)
        return SEGP_FAIL("anchors: source %d (expected pgd, seeds or new_task)", p->source);
    if (n_old < 1) return SEGP_FAIL("anchors: no old classes (anchors come before tasks t > 1)");
    if (p->k_seed < 1 || p->k_seed > n_pool)
        return SEGP_FAIL("anchors: %d seeds per old class from %d new-task images (expected "
                         "1..%d; lower anchors.per_class)",
                         p->k_seed, n_pool, n_pool);
    if (p->source == ANCHORS_PGD && p->k_adv < 1)
        return SEGP_FAIL("anchors: %d PGD steps (expected >= 1 with source pgd; the seeds "
                         "without steps are source seeds)",
                         p->k_adv);
    if (!(p->eps >= 0) || !isfinite(p->eps))
        return SEGP_FAIL("anchors: l-inf radius %g (expected >= 0)", (double)p->eps);
    if (!(p->step >= 0) || !isfinite(p->step))
        return SEGP_FAIL("anchors: step %g (expected >= 0)", (double)p->step);
    if (p->batch < 1) return SEGP_FAIL("anchors: batch %d (expected >= 1)", p->batch);
    if ((int64_t)p->k_seed * n_old > INT_MAX / 4)
        return SEGP_FAIL("anchors: %d x %d anchors are too many", p->k_seed, n_old);
    return 0;
}

/* Seeds: per old class the k pool images of largest Q (ties: the lower pool index), by
 * decreasing Q; NEW_TASK: k * n_old seeded draws (a fresh permutation of the pool per n_pool
 * draws), draw j for old class j % n_old, each class's draws by decreasing Q (ties: the earlier
 * draw). Fills cls and src in anchor order. */
static void choose_seeds(const double *q, int n_pool, int n_old, const dpgd_params *p, int32_t *cls,
                         int32_t *src) {
    int k = p->k_seed;
    if (p->source != ANCHORS_NEW_TASK) {
        uint8_t *taken = segp_malloc((size_t)n_pool);
        for (int c = 0; c < n_old; c++) {
            memset(taken, 0, (size_t)n_pool);
            for (int j = 0; j < k; j++) {
                int best = -1;
                for (int i = 0; i < n_pool; i++)
                    if (!taken[i] &&
                        (best < 0 || q[(size_t)i * n_old + c] > q[(size_t)best * n_old + c]))
                        best = i;
                taken[best] = 1;
                cls[c * k + j] = c, src[c * k + j] = best;
            }
        }
        free(taken);
        return;
    }
    int32_t *perm = segp_malloc((size_t)n_pool * sizeof(int32_t));
    rng_state rs = rng_seed(p->seed, 0xA7C40000ull);
    for (int j = 0; j < k * n_old; j++) {
        int pos = j % n_pool;
        if (pos == 0)
            for (int i = 0; i < n_pool; i++) perm[i] = i;
        int r = pos + (int)(rng_next(&rs) % (uint64_t)(n_pool - pos));
        int32_t tmp = perm[pos];
        perm[pos] = perm[r], perm[r] = tmp;
        int c = j % n_old, slot = j / n_old;
        cls[c * k + slot] = c, src[c * k + slot] = perm[pos];
    }
    free(perm);
    for (int c = 0; c < n_old; c++) { /* insertion sort of the class's k draws, stable */
        int32_t *s = src + (size_t)c * k;
        for (int a = 1; a < k; a++) {
            int32_t v = s[a];
            int b = a;
            for (; b > 0 && q[(size_t)v * n_old + c] > q[(size_t)s[b - 1] * n_old + c]; b--)
                s[b] = s[b - 1];
            s[b] = v;
        }
    }
}

int dpgd_build(clip_model *m, const clip_lora *teacher, const uint8_t *pool,
               const int32_t *pool_items, int n_pool, int res, const int32_t *old_labels,
               const float *g_old, const float *mu, int n_old, const dpgd_params *p,
               dpgd_progress progress, void *user, anchor_set *out) {
    memset(out, 0, sizeof *out);
    if (check_params(m, n_pool, res, n_old, p) != 0) return -1;
    const clip_config *mc = clip_model_config(m);
    int e = mc->embed_dim, pgd = p->source == ANCHORS_PGD, k_adv = pgd ? p->k_adv : 0;
    const segp_backend *be = clip_model_backend(m);
    int n = p->k_seed * n_old, nt = be->host_memory ? omp_get_max_threads() : 1;
    if (nt < 1) nt = 1;
    builder b = {.m = m, .be = be, .teacher = teacher, .pool = pool, .n_pool = n_pool,
                 .res = res, .e = e, .nt = nt, .img = (size_t)3 * res * res, .n = n,
                 .k_adv = k_adv, .n_old = n_old, .g_old = g_old, .mu = mu,
                 .lambda_p = p->lambda_p, .logit_scale = clip_model_logit_scale(m),
                 .gamma = p->step, .eps = p->eps, .out = out};
    int cp = chunk_size(n_pool, p->batch), ca = chunk_size(n, p->batch);
    if (!be->host_memory) cp = ca = p->batch; /* one chunk at a time: as large as allowed */
    int B = cp > ca ? cp : ca;
    b.acts = segp_calloc((size_t)nt, sizeof *b.acts);
    float ***bufs[] = {&b.px, &b.dpx, &b.emb, &b.demb, &b.lv, &b.hpx, &b.hemb, &b.hlv};
    for (size_t u = 0; u < sizeof bufs / sizeof bufs[0]; u++)
        *bufs[u] = segp_calloc((size_t)nt, sizeof(float *));
    for (int t = 0; t < nt; t++) {
        b.acts[t] = clip_acts_new();
        b.px[t] = be->alloc((size_t)B * b.img * sizeof(float));
        b.dpx[t] = pgd ? be->alloc((size_t)B * b.img * sizeof(float)) : NULL;
        b.emb[t] = be->alloc((size_t)B * e * sizeof(float));
        b.demb[t] = be->alloc((size_t)B * e * sizeof(float));
        b.lv[t] = be->alloc((size_t)2 * B * sizeof(float));
        if (be->host_memory) {
            b.hpx[t] = b.px[t], b.hemb[t] = b.emb[t], b.hlv[t] = b.lv[t];
        } else {
            b.hpx[t] = segp_malloc((size_t)B * b.img * sizeof(float));
            b.hemb[t] = segp_malloc((size_t)B * e * sizeof(float));
            b.hlv[t] = segp_malloc((size_t)2 * B * sizeof(float));
        }
    }
    int64_t total = n_pool + (int64_t)n * k_adv;
    float *pool_emb = segp_malloc((size_t)n_pool * e * sizeof(float));
    double *q = segp_malloc((size_t)n_pool * n_old * sizeof(double));
    int32_t *cls = segp_malloc((size_t)n * sizeof(int32_t)),
            *src = segp_malloc((size_t)n * sizeof(int32_t));
    b.chunk = cp;
    int rc = run_chunks(&b, (n_pool + cp - 1) / cp, job_pool, pool_emb);
    if (rc == 0 && progress && progress(user, n_pool, total)) rc = 1;
    if (rc == 0) {
        /* Q(x, c) = f^T(x) . g^T(c): the pool's rows are independent */
#pragma omp parallel for schedule(static)
        for (int i = 0; i < n_pool; i++)
            for (int c = 0; c < n_old; c++) {
                const float *f = pool_emb + (size_t)i * e, *g = g_old + (size_t)c * e;
                double s = 0;
                for (int j = 0; j < e; j++) s += (double)f[j] * g[j];
                q[(size_t)i * n_old + c] = s;
            }
        choose_seeds(q, n_pool, n_old, p, cls, src);
        out->n = n, out->res = res, out->source = p->source, out->k_adv = k_adv, out->e = e;
        out->pixels = segp_malloc((size_t)n * b.img * sizeof(float));
        out->target = segp_malloc((size_t)n * sizeof(int32_t));
        out->seed = segp_malloc((size_t)n * sizeof(int32_t));
        out->score = segp_malloc((size_t)n * sizeof(float));
        out->loss_text = segp_malloc((size_t)n * (k_adv + 1) * sizeof(float));
        out->loss_vis = segp_malloc((size_t)n * (k_adv + 1) * sizeof(float));
        out->linf = segp_calloc((size_t)n, sizeof(float));
        out->emb_teacher = segp_malloc((size_t)n * e * sizeof(float));
        out->emb_seed = segp_malloc((size_t)n * e * sizeof(float));
        size_t plane = (size_t)res * res;
        for (int a = 0; a < n; a++) {
            out->target[a] = old_labels[cls[a]];
            out->seed[a] = pool_items[src[a]];
            out->score[a] = (float)q[(size_t)src[a] * n_old + cls[a]];
            memcpy(out->emb_seed + (size_t)a * e, pool_emb + (size_t)src[a] * e,
                   (size_t)e * sizeof(float));
            const uint8_t *x0 = pool + (size_t)src[a] * plane * 3;
            for (int ch = 0; ch < 3; ch++)
                for (size_t k = 0; k < plane; k++)
                    out->pixels[((size_t)a * 3 + ch) * plane + k] = (float)x0[k * 3 + ch] / 255.0f;
        }
    }
    if (rc == 0 && !pgd) {
        /* no steps: the anchors are their seeds; the objective at delta_0 from the seeds' own
         * embeddings */
        memcpy(out->emb_teacher, out->emb_seed, (size_t)n * e * sizeof(float));
        for (int a = 0; a < n; a++) {
            double ce, vis;
            dpgd_objective(out->emb_seed + (size_t)a * e, e, g_old, n_old, cls[a],
                           mu ? mu + (size_t)cls[a] * e : NULL, p->lambda_p, b.logit_scale, &ce,
                           &vis, NULL);
            out->loss_text[a] = (float)ce, out->loss_vis[a] = (float)vis;
        }
    }
    if (rc == 0 && pgd) {
        /* the anchors, their seeds, classes and the old-class side in backend memory (on the
         * CPU: the host arrays themselves, and the seeds once as floats) */
        size_t np = (size_t)n * b.img;
        float *seeds = segp_malloc(np * sizeof(float));
        memcpy(seeds, out->pixels, np * sizeof(float));
        if (be->host_memory) {
            b.x = out->pixels, b.x0 = seeds, b.cls_dev = cls, b.g_old = g_old, b.mu = mu;
        } else {
            b.x = be->alloc(np * sizeof(float));
            b.x0 = be->alloc(np * sizeof(float));
            int32_t *cd = be->alloc((size_t)n * sizeof(int32_t));
            float *gd = be->alloc((size_t)n_old * e * sizeof(float));
            float *md = mu ? be->alloc((size_t)n_old * e * sizeof(float)) : NULL;
            be->to_device(b.x, out->pixels, np * sizeof(float));
            be->to_device(b.x0, seeds, np * sizeof(float));
            be->to_device(cd, cls, (size_t)n * sizeof(int32_t));
            be->to_device(gd, g_old, (size_t)n_old * e * sizeof(float));
            if (md) be->to_device(md, mu, (size_t)n_old * e * sizeof(float));
            b.cls_dev = cd, b.g_old = gd, b.mu = md;
        }
        b.chunk = ca;
        int chunks = (n + ca - 1) / ca;
        for (int s = 0; s <= k_adv && rc == 0; s++) {
            b.step = s;
            rc = run_chunks(&b, chunks, job_pgd, NULL);
            if (rc == 0 && s < k_adv && progress &&
                progress(user, n_pool + (int64_t)n * (s + 1), total))
                rc = 1;
        }
        if (!be->host_memory) {
            if (rc == 0) be->to_host(out->pixels, b.x, np * sizeof(float));
            be->free(b.x), be->free(b.x0), be->free((void *)b.cls_dev);
            be->free((void *)b.g_old);
            if (b.mu) be->free((void *)b.mu);
        }
        free(seeds);
        size_t plane = (size_t)res * res;
        for (int a = 0; a < n && rc == 0; a++) {
            const uint8_t *s0 = pool + (size_t)src[a] * plane * 3;
            float mx = 0;
            for (int ch = 0; ch < 3; ch++)
                for (size_t k = 0; k < plane; k++) {
                    float d = fabsf(out->pixels[((size_t)a * 3 + ch) * plane + k] -
                                    (float)s0[k * 3 + ch] / 255.0f);
                    if (d > mx) mx = d;
                }
            out->linf[a] = mx;
        }
    }
    for (int t = 0; t < nt; t++) {
        clip_acts_free(b.acts[t]);
        if (!be->host_memory) free(b.hpx[t]), free(b.hemb[t]), free(b.hlv[t]);
        be->free(b.px[t]), be->free(b.emb[t]), be->free(b.demb[t]), be->free(b.lv[t]);
        if (b.dpx[t]) be->free(b.dpx[t]);
    }
    for (size_t u = 0; u < sizeof bufs / sizeof bufs[0]; u++) free(*bufs[u]);
    free(b.acts);
    free(pool_emb), free(q), free(cls), free(src);
    if (rc != 0) anchor_set_free(out);
    return rc;
}

/* ---- the file ---- */

static const char *source_name(int s) {
    return s == ANCHORS_PGD ? "pgd" : s == ANCHORS_SEEDS ? "seeds" : "new_task";
}

int anchor_set_save(const anchor_set *a, const float *drift, int images_per_class,
                    const char *path) {
    int n = a->n, e = a->e, res = a->res, k1 = a->k_adv + 1;
    /* the anchors shown: the first IMAGES_PER_CLASS of each target class, in anchor order */
    int32_t *rows = segp_malloc((size_t)(n > 0 ? n : 1) * sizeof(int32_t));
    int m = 0;
    for (int i = 0; i < n; i++) {
        int before = 0;
        for (int j = 0; j < i; j++) before += a->target[j] == a->target[i];
        if (images_per_class < 0 || before < images_per_class) rows[m++] = i;
    }
    if (m > 0 && !a->pixels) {
        free(rows);
        return SEGP_FAIL("%s: the anchor set has no pixels to store images from", path);
    }
    size_t hwc = (size_t)res * res * 3, plane = (size_t)res * res;
    uint8_t *images = segp_malloc((size_t)(m > 0 ? m : 1) * hwc);
    for (int r = 0; r < m; r++)
        for (int ch = 0; ch < 3; ch++)
            for (size_t k = 0; k < plane; k++) {
                float v = 255.0f * a->pixels[((size_t)rows[r] * 3 + ch) * plane + k];
                v = floorf(v + 0.5f);
                images[(size_t)r * hwc + k * 3 + ch] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
            }
    /* anchor -> seed cosine distance in the teacher's space (anchor -> prototype is loss_vis's
     * last column), so that views read it rather than recompute it */
    float *dseed = segp_malloc((size_t)(n > 0 ? n : 1) * sizeof(float));
    for (int i = 0; i < n; i++) {
        double d = 0;
        for (int j = 0; j < e; j++)
            d += (double)a->emb_teacher[(size_t)i * e + j] * a->emb_seed[(size_t)i * e + j];
        dseed[i] = (float)(1.0 - d);
    }
    st_write_tensor ts[12] = {
        {"target", ST_I32, 1, {n}, a->target},
        {"seed", ST_I32, 1, {n}, a->seed},
        {"score", ST_F32, 1, {n}, a->score},
        {"loss_text", ST_F32, 2, {n, k1}, a->loss_text},
        {"loss_vis", ST_F32, 2, {n, k1}, a->loss_vis},
        {"linf", ST_F32, 1, {n}, a->linf},
        {"emb_teacher", ST_F32, 2, {n, e}, a->emb_teacher},
        {"emb_seed", ST_F32, 2, {n, e}, a->emb_seed},
        {"images", ST_U8, 4, {m, res, res, 3}, images},
        {"image_rows", ST_I32, 1, {m}, rows},
        {"dist_seed", ST_F32, 1, {n}, dseed},
    };
    int nts = 11;
    if (drift) ts[nts++] = (st_write_tensor){"drift", ST_F32, 2, {n, e}, drift};
    char kb[32], rb[32];
    snprintf(kb, sizeof kb, "%d", a->k_adv);
    snprintf(rb, sizeof rb, "%d", res);
    const char *mk[] = {"k_adv", "res", "source"}, *mv[] = {kb, rb, source_name(a->source)};
    int rc = st_write(path, ts, nts, mk, mv, 3);
    free(rows), free(images), free(dseed);
    return rc;
}

/* A metadata integer >= 0 of the file. */
static int meta_int(st_file *f, const char *key, int *v) {
    const char *s = st_metadata(f, key);
    char *end;
    long x = s ? strtol(s, &end, 10) : -1;
    if (!s || end == s || *end || x < 0 || x > INT_MAX)
        return SEGP_FAIL("%s: metadata '%s' is %s (expected an integer >= 0)", st_path(f), key,
                         s ? s : "missing");
    *v = (int)x;
    return 0;
}

/* Tensor NAME of the file with shape SHAPE[0..ndim): NULL + error (into *RC) when its shape
 * differs, or when it is absent and REQUIRED (absent and not required: NULL, *RC untouched). */
static const st_tensor *want(st_file *f, const char *name, int ndim, const int64_t *shape,
                             int required, int *rc) {
    const st_tensor *t = st_find(f, name);
    if (!t) {
        if (required) *rc = SEGP_FAIL("%s: no tensor '%s'", st_path(f), name);
        return NULL;
    }
    int ok = t->ndim == ndim;
    for (int d = 0; ok && d < ndim; d++) ok = t->shape[d] == shape[d];
    if (!ok) {
        char got[96] = "", exp[96] = "";
        for (int d = 0; d < t->ndim; d++)
            snprintf(got + strlen(got), sizeof got - strlen(got), "%s%lld", d ? ", " : "",
                     (long long)t->shape[d]);
        for (int d = 0; d < ndim; d++)
            snprintf(exp + strlen(exp), sizeof exp - strlen(exp), "%s%lld", d ? ", " : "",
                     (long long)shape[d]);
        *rc =
            SEGP_FAIL("%s: tensor '%s' has shape [%s] (expected [%s])", st_path(f), name, got, exp);
        return NULL;
    }
    return t;
}

/* Float tensor NAME (F32/F16/BF16) of shape SHAPE, malloc'd; NULL when *RC is already set, or
 * + error into *RC. */
static float *read_floats(st_file *f, const char *name, int ndim, const int64_t *shape, int *rc) {
    const st_tensor *t = *rc ? NULL : want(f, name, ndim, shape, 1, rc);
    if (!t) return NULL;
    float *v = segp_malloc((size_t)(t->numel > 0 ? t->numel : 1) * sizeof(float));
    *rc = st_read_f32(f, t, v);
    return v;
}

/* I32 tensor NAME of shape [N], malloc'd; as read_floats. */
static int32_t *read_ints(st_file *f, const char *name, int64_t n, int *rc) {
    const st_tensor *t = *rc ? NULL : want(f, name, 1, &n, 1, rc);
    if (!t) return NULL;
    int32_t *v = segp_malloc((size_t)(n > 0 ? n : 1) * sizeof(int32_t));
    *rc = st_read_raw(f, t, ST_I32, v);
    return v;
}

int anchor_set_load(const char *path, anchor_set *a, float **drift, uint8_t **images,
                    int32_t **image_rows, int *n_images) {
    memset(a, 0, sizeof *a);
    float *dr = NULL;
    uint8_t *im = NULL;
    int32_t *rows = NULL;
    int64_t m = 0;
    st_file *f = st_open(path);
    if (!f) return -1;
    int rc = 0, k_adv = 0, res = 0;
    const char *src = st_metadata(f, "source");
    if (meta_int(f, "k_adv", &k_adv) != 0 || meta_int(f, "res", &res) != 0)
        rc = -1;
    else if (!src || (strcmp(src, "pgd") && strcmp(src, "seeds") && strcmp(src, "new_task")))
        rc = SEGP_FAIL("%s: metadata 'source' is %s (expected pgd, seeds or new_task)", path,
                       src ? src : "missing");
    /* the sizes: n from target, e from emb_teacher; every other tensor is checked against them */
    const st_tensor *tt = st_find(f, "target"), *te = st_find(f, "emb_teacher");
    if (rc == 0 && (!tt || tt->ndim != 1 || tt->shape[0] > INT_MAX / 4))
        rc = SEGP_FAIL("%s: tensor 'target' is %s (expected [n], one entry per anchor)", path,
                       tt ? "misshaped" : "missing");
    if (rc == 0 && (!te || te->ndim != 2 || te->shape[1] > INT_MAX / 4))
        rc = SEGP_FAIL("%s: tensor 'emb_teacher' is %s (expected [n, e])", path,
                       te ? "misshaped" : "missing");
    if (rc == 0 && k_adv > INT_MAX / 4)
        rc = SEGP_FAIL("%s: metadata 'k_adv' is %d (too large)", path, k_adv);
    if (rc == 0) {
        int64_t n = tt->shape[0], e = te->shape[1];
        const int64_t s_nk[2] = {n, (int64_t)k_adv + 1}, s_ne[2] = {n, e};
        a->n = (int)n, a->e = (int)e, a->res = res, a->k_adv = k_adv;
        a->source = !strcmp(src, "pgd")     ? ANCHORS_PGD
                    : !strcmp(src, "seeds") ? ANCHORS_SEEDS
                                            : ANCHORS_NEW_TASK;
        a->target = read_ints(f, "target", n, &rc);
        a->seed = read_ints(f, "seed", n, &rc);
        a->score = read_floats(f, "score", 1, &n, &rc);
        a->loss_text = read_floats(f, "loss_text", 2, s_nk, &rc);
        a->loss_vis = read_floats(f, "loss_vis", 2, s_nk, &rc);
        a->linf = read_floats(f, "linf", 1, &n, &rc);
        a->emb_teacher = read_floats(f, "emb_teacher", 2, s_ne, &rc);
        a->emb_seed = read_floats(f, "emb_seed", 2, s_ne, &rc);
        if (rc == 0 && st_find(f, "drift")) dr = read_floats(f, "drift", 2, s_ne, &rc);
        /* the display images and their rows come together */
        const st_tensor *tr = st_find(f, "image_rows"), *ti = st_find(f, "images");
        if (rc == 0 && !tr != !ti)
            rc = SEGP_FAIL("%s: tensor '%s' without '%s'", path, tr ? "image_rows" : "images",
                           tr ? "images" : "image_rows");
        if (rc == 0 && tr) {
            m = tr->ndim == 1 ? tr->shape[0] : -1;
            const int64_t s_img[4] = {m, res, res, 3};
            rows = read_ints(f, "image_rows", m, &rc);
            if (rc == 0 && want(f, "images", 4, s_img, 1, &rc)) {
                im = segp_malloc((size_t)(ti->numel > 0 ? ti->numel : 1));
                rc = st_read_raw(f, ti, ST_U8, im);
            }
            for (int64_t r = 0; r < m && rc == 0; r++)
                if (rows[r] < 0 || rows[r] >= n)
                    rc = SEGP_FAIL("%s: tensor 'image_rows' entry %lld is %d (expected an anchor "
                                   "0..%lld)",
                                   path, (long long)r, rows[r], (long long)n - 1);
        }
    }
    st_close(f);
    if (rc != 0) {
        anchor_set_free(a);
        free(dr), free(im), free(rows);
        dr = NULL, im = NULL, rows = NULL, m = 0;
    }
    if (drift)
        *drift = dr;
    else
        free(dr);
    if (images)
        *images = im;
    else
        free(im);
    if (image_rows)
        *image_rows = rows;
    else
        free(rows);
    if (n_images) *n_images = (int)m;
    return rc ? -1 : 0;
}
