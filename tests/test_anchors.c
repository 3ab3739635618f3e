/* test_anchors.c: DPGD anchors (engine/cl/anchors.c) on the tiny fixture CLIP with a pool of
 * seeded random images:
 * - PGD: every anchor within the l-inf ball and [0,1], the dual objective lower after the steps
 *   than at delta_0 (on average and for most anchors), the recorded terms and embeddings equal
 *   to the teacher's on the anchors' own pixels;
 * - seeds equal a brute-force top-k of f^T(x).g^T(c) (ties: the lower pool index);
 * - SEEDS: the same seeds with delta = 0; NEW_TASK: distinct seeded draws, deterministic for a
 *   seed; results identical bit for bit with 1 and 2 threads;
 * - the file: save -> load round trip (drift, display images, their rows), a damaged file
 *   refused naming the tensor; bad parameters refused with clear errors; progress can stop. */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "cl/anchors.h"
#include "cl/cl_losses.h"
#include "core/common.h"
#include "core/rng.h"
#include "io/image.h"
#include "io/npy.h"
#include "io/safetensors.h"
#include "model/clip.h"
#include "model/lora.h"
#include "test.h"

#define FIX "tests/fixtures/"
#define N_POOL 10
#define N_OLD 3

typedef struct {
    clip_model *m;
    clip_lora *teacher;
    int res, e;
    uint8_t *pool;
    int32_t items[N_POOL], labels[N_OLD];
    float g[N_OLD * 64], mu[N_OLD * 64];
} world;

static void unit(float *v, int e) {
    double s = 0;
    for (int j = 0; j < e; j++) s += (double)v[j] * v[j];
    for (int j = 0; j < e; j++) v[j] = (float)(v[j] / sqrt(s));
}

static void world_free(world *w) {
    clip_lora_free(w->teacher);
    clip_model_free(w->m);
    free(w->pool);
}

/* The pool's clean teacher embeddings, normalised, by the plain encoder. */
static void pool_embeddings(world *w, float *emb) {
    size_t img = (size_t)3 * w->res * w->res;
    float *px = malloc(N_POOL * img * sizeof(float));
    for (int i = 0; i < N_POOL; i++)
        image_clip_normalize(w->pool + (size_t)i * w->res * w->res * 3, w->res, px + i * img);
    CHECK(clip_encode_images(w->m, w->teacher, px, N_POOL, emb) == 0);
    for (int i = 0; i < N_POOL; i++) unit(emb + i * w->e, w->e);
    free(px);
}

static int world_load(world *w) {
    memset(w, 0, sizeof *w);
    w->m = clip_model_load(FIX "clip_tiny.safetensors", NULL);
    if (!w->m) return -1;
    const clip_config *mc = clip_model_config(w->m);
    w->res = mc->resolution, w->e = mc->embed_dim;
    if (w->e > 64) return -1;
    clip_lora_params lp = clip_lora_default_params();
    lp.rank = 4, lp.alpha = 8.0f;
    w->teacher = clip_lora_new(w->m, &lp);
    if (!w->teacher || clip_lora_load(w->teacher, FIX "clip_tiny_lora.safetensors") != 0) return -1;
    /* the pool: smooth random images (a random colour per 4x4 block, plus noise) */
    size_t hwc = (size_t)w->res * w->res * 3;
    w->pool = malloc(N_POOL * hwc);
    rng_state r = rng_seed(77, 0);
    for (int i = 0; i < N_POOL; i++) {
        uint8_t base[8][8][3];
        for (int by = 0; by < 8; by++)
            for (int bx = 0; bx < 8; bx++)
                for (int ch = 0; ch < 3; ch++) base[by][bx][ch] = (uint8_t)(rng_next(&r) >> 56);
        for (int y = 0; y < w->res; y++)
            for (int x = 0; x < w->res; x++)
                for (int ch = 0; ch < 3; ch++) {
                    int v = base[y * 8 / w->res][x * 8 / w->res][ch] - 8;
                    v += (int)(rng_next(&r) % 17);
                    v = v < 0 ? 0 : v > 255 ? 255 : v;
                    w->pool[i * hwc + ((size_t)y * w->res + x) * 3 + ch] = (uint8_t)v;
                }
        w->items[i] = 100 + 3 * i;
    }
    w->pool[0] = 0, w->pool[1] = 255; /* pixels at the box's edges */
    /* old classes: three fixture prompts; prototypes: teacher embeddings of other images */
    npy_array id;
    if (npy_read(FIX "clip_tiny_ids.npy", &id) != 0) return -1;
    int32_t ids[N_OLD * 77];
    for (int i = 0; i < N_OLD * 77; i++) ids[i] = (int32_t)id.data[i];
    npy_free(&id);
    if (clip_encode_texts(w->m, w->teacher, ids, N_OLD, w->g) != 0) return -1;
    float emb[N_POOL * 64];
    pool_embeddings(w, emb);
    for (int c = 0; c < N_OLD; c++) {
        unit(w->g + c * w->e, w->e);
        for (int j = 0; j < w->e; j++) /* a blend, so that no pool image is its prototype */
            w->mu[c * w->e + j] = emb[(2 * c + 1) * w->e + j] + 0.5f * emb[(2 * c + 4) * w->e + j];
        unit(w->mu + c * w->e, w->e);
    }
    w->labels[0] = 7, w->labels[1] = 3, w->labels[2] = 11;
    return 0;
}

#define LOAD_OR_FAIL(w)                                                                            \
    do {                                                                                           \
        if (world_load(w) != 0) {                                                                  \
            test_fail(__FILE__, __LINE__, "tiny model: %s", segp_last_error());                    \
            world_free(w);                                                                         \
            return;                                                                                \
        }                                                                                          \
    } while (0)

static dpgd_params test_params(int source) {
    dpgd_params p = dpgd_default_params();
    p.source = source;
    p.k_seed = 2, p.k_adv = 5, p.batch = 4; /* 6 anchors: chunks of 4 and 2 */
    p.step = 2e-3f;
    p.seed = 5;
    return p;
}

static int build(world *w, const dpgd_params *p, anchor_set *a) {
    int rc = dpgd_build(w->m, w->teacher, w->pool, w->items, N_POOL, w->res, w->labels, w->g, w->mu,
                        N_OLD, p, NULL, NULL, a);
    CHECK_MSG(rc == 0, "dpgd_build: %s", segp_last_error());
    return rc;
}

TEST(anchors_defaults) {
    dpgd_params p = dpgd_default_params();
    CHECK_EQ_INT(p.source, ANCHORS_PGD);
    CHECK_EQ_INT(p.k_seed, 5);
    CHECK_EQ_INT(p.k_adv, 10);
    CHECK(p.step == 1.5e-3f && p.eps == 4.0f / 255.0f && p.lambda_p == 1.0f);
    CHECK_EQ_INT(p.batch, 64);
}

/* PGD: the ball, the box, a lower objective, and what is recorded is the teacher's view of the
 * final anchors and of their seeds. */
TEST(anchors_pgd_ball_box_and_descent) {
    world w;
    LOAD_OR_FAIL(&w);
    dpgd_params p = test_params(ANCHORS_PGD);
    anchor_set a;
    if (build(&w, &p, &a) != 0) {
        world_free(&w);
        return;
    }
    int n = a.n, e = w.e, k1 = p.k_adv + 1, res = w.res;
    CHECK_EQ_INT(n, p.k_seed * N_OLD);
    CHECK_EQ_INT(a.k_adv, p.k_adv);
    CHECK_EQ_INT(a.e, e);
    CHECK_EQ_INT(a.res, res);
    size_t plane = (size_t)res * res, img = 3 * plane;
    int lower = 0, moved = 0, seed_idx[64];
    double sum0 = 0, sum1 = 0;
    for (int i = 0; i < n; i++) {
        seed_idx[i] = (a.seed[i] - 100) / 3;
        CHECK(seed_idx[i] >= 0 && seed_idx[i] < N_POOL && a.seed[i] == w.items[seed_idx[i]]);
        CHECK_EQ_INT(a.target[i], w.labels[i / p.k_seed]);
        const uint8_t *x0 = w.pool + (size_t)seed_idx[i] * img;
        float mx = 0;
        int out_of_box = 0;
        for (int ch = 0; ch < 3; ch++)
            for (size_t q = 0; q < plane; q++) {
                float v = a.pixels[(size_t)i * img + ch * plane + q];
                float d = fabsf(v - (float)x0[q * 3 + ch] / 255.0f);
                if (d > mx) mx = d;
                out_of_box += !(v >= 0.0f && v <= 1.0f);
            }
        CHECK_EQ_INT(out_of_box, 0);
        CHECK_MSG(mx <= p.eps + 1e-6f, "anchor %d: ||delta||_inf %.9g > eps %.9g", i, (double)mx,
                  (double)p.eps);
        CHECK(a.linf[i] == mx);
        moved += mx > 0.5f * p.eps;
        double l0 = a.loss_text[i * k1] + p.lambda_p * a.loss_vis[i * k1];
        double l1 = a.loss_text[i * k1 + p.k_adv] + p.lambda_p * a.loss_vis[i * k1 + p.k_adv];
        sum0 += l0, sum1 += l1, lower += l1 < l0;
    }
    if (test_verbose())
        printf("\n    objective %.4f -> %.4f on average, lower for %d of %d anchors", sum0 / n,
               sum1 / n, lower, n);
    CHECK_MSG(sum1 < sum0, "mean objective %.6f -> %.6f", sum0 / n, sum1 / n);
    CHECK_MSG(lower * 4 >= n * 3, "objective lower for %d of %d anchors", lower, n);
    CHECK(moved == n);
    /* the teacher on the final anchors and on the seeds, by the plain encoder */
    float *px = malloc((size_t)n * img * sizeof(float)),
          *emb = malloc((size_t)n * e * sizeof(float));
    float pool_emb[N_POOL * 64];
    anchor_set_normalised(&a, 0, n, px);
    CHECK(clip_encode_images(w.m, w.teacher, px, n, emb) == 0);
    pool_embeddings(&w, pool_emb);
    float ls = clip_model_logit_scale(w.m);
    for (int i = 0; i < n; i++) {
        unit(emb + i * e, e);
        int c = i / p.k_seed;
        double ce, vis;
        dpgd_objective(emb + i * e, e, w.g, N_OLD, c, w.mu + c * e, p.lambda_p, ls, &ce, &vis,
                       NULL);
        CHECK_NEAR(a.loss_text[i * k1 + p.k_adv], ce, 1e-4 * ce + 1e-6);
        CHECK_NEAR(a.loss_vis[i * k1 + p.k_adv], vis, 1e-5);
        dpgd_objective(pool_emb + seed_idx[i] * e, e, w.g, N_OLD, c, w.mu + c * e, p.lambda_p, ls,
                       &ce, &vis, NULL);
        CHECK_NEAR(a.loss_text[i * k1], ce, 1e-4 * ce + 1e-6);
        CHECK_NEAR(a.loss_vis[i * k1], vis, 1e-5);
        for (int j = 0; j < e; j++) {
            CHECK_NEAR(a.emb_teacher[i * e + j], emb[i * e + j], 1e-5);
            CHECK_NEAR(a.emb_seed[i * e + j], pool_emb[seed_idx[i] * e + j], 1e-5);
        }
    }
    /* normalisation of a sub-range equals that of the whole */
    float *one = malloc(img * sizeof(float));
    anchor_set_normalised(&a, 3, 1, one);
    CHECK(!memcmp(one, px + 3 * img, img * sizeof(float)));
    free(one), free(px), free(emb);
    anchor_set_free(&a);
    CHECK(a.pixels == NULL && a.n == 0);
    world_free(&w);
}

/* Seeds: per old class the k_seed pool images of largest cosine (ties: lower index), by
 * decreasing score; SEEDS gives the same anchors with delta = 0. */
TEST(anchors_seeds_brute_force) {
    world w;
    LOAD_OR_FAIL(&w);
    float pool_emb[N_POOL * 64];
    pool_embeddings(&w, pool_emb);
    int e = w.e;
    anchor_set a, s;
    dpgd_params p = test_params(ANCHORS_PGD), ps = test_params(ANCHORS_SEEDS);
    if (build(&w, &p, &a) != 0 || build(&w, &ps, &s) != 0) {
        world_free(&w);
        return;
    }
    for (int c = 0; c < N_OLD; c++) {
        double q[N_POOL];
        int taken[N_POOL] = {0};
        for (int i = 0; i < N_POOL; i++) {
            q[i] = 0;
            for (int j = 0; j < e; j++) q[i] += (double)pool_emb[i * e + j] * w.g[c * e + j];
        }
        for (int k = 0; k < p.k_seed; k++) {
            int best = -1;
            for (int i = 0; i < N_POOL; i++)
                if (!taken[i] && (best < 0 || q[i] > q[best])) best = i;
            taken[best] = 1;
            int r = c * p.k_seed + k;
            CHECK_EQ_INT(a.seed[r], w.items[best]);
            CHECK_EQ_INT(a.target[r], w.labels[c]);
            CHECK_NEAR(a.score[r], q[best], 1e-5);
            /* a margin to the next candidate, so that rounding cannot decide the choice */
            double next = -2;
            for (int i = 0; i < N_POOL; i++)
                if (!taken[i] && q[i] > next) next = q[i];
            CHECK_MSG(q[best] - next > 1e-4 || k + 1 < p.k_seed, "class %d: near tie", c);
        }
    }
    CHECK_EQ_INT(s.n, a.n);
    CHECK_EQ_INT(s.k_adv, 0);
    CHECK_EQ_INT(s.source, ANCHORS_SEEDS);
    size_t plane = (size_t)w.res * w.res, img = 3 * plane;
    for (int i = 0; i < s.n; i++) {
        CHECK(s.seed[i] == a.seed[i] && s.target[i] == a.target[i] && s.score[i] == a.score[i]);
        CHECK(s.linf[i] == 0.0f);
        const uint8_t *x0 = w.pool + (size_t)((s.seed[i] - 100) / 3) * img;
        int diff = 0;
        for (int ch = 0; ch < 3; ch++)
            for (size_t q = 0; q < plane; q++)
                diff +=
                    s.pixels[(size_t)i * img + ch * plane + q] != (float)x0[q * 3 + ch] / 255.0f;
        CHECK_EQ_INT(diff, 0);
        /* the objective at delta_0 is the PGD run's first record */
        CHECK_NEAR(s.loss_text[i], a.loss_text[i * (p.k_adv + 1)], 1e-4 * s.loss_text[i]);
        CHECK_NEAR(s.loss_vis[i], a.loss_vis[i * (p.k_adv + 1)], 1e-5);
    }
    CHECK(!memcmp(s.emb_teacher, s.emb_seed, (size_t)s.n * e * sizeof(float)));
    CHECK(!memcmp(s.emb_seed, a.emb_seed, (size_t)s.n * e * sizeof(float)));
    anchor_set_free(&a);
    anchor_set_free(&s);
    world_free(&w);
}

static int same_set(const anchor_set *a, const anchor_set *b) {
    if (a->n != b->n || a->e != b->e || a->k_adv != b->k_adv || a->res != b->res) return 0;
    size_t n = (size_t)a->n, k1 = (size_t)a->k_adv + 1, e = (size_t)a->e;
    size_t img = (size_t)3 * a->res * a->res;
    return !memcmp(a->pixels, b->pixels, n * img * 4) && !memcmp(a->target, b->target, n * 4) &&
           !memcmp(a->seed, b->seed, n * 4) && !memcmp(a->score, b->score, n * 4) &&
           !memcmp(a->loss_text, b->loss_text, n * k1 * 4) &&
           !memcmp(a->loss_vis, b->loss_vis, n * k1 * 4) && !memcmp(a->linf, b->linf, n * 4) &&
           !memcmp(a->emb_teacher, b->emb_teacher, n * e * 4) &&
           !memcmp(a->emb_seed, b->emb_seed, n * e * 4);
}

/* NEW_TASK: k_seed * n_old distinct draws (the pool holds enough), each class's by decreasing
 * score, deterministic for a seed; another seed draws otherwise. */
TEST(anchors_new_task_draws) {
    world w;
    LOAD_OR_FAIL(&w);
    dpgd_params p = test_params(ANCHORS_NEW_TASK);
    anchor_set a, b, c;
    if (build(&w, &p, &a) != 0 || build(&w, &p, &b) != 0) {
        world_free(&w);
        return;
    }
    CHECK(same_set(&a, &b));
    CHECK_EQ_INT(a.k_adv, 0);
    int used[N_POOL] = {0};
    for (int i = 0; i < a.n; i++) {
        CHECK_EQ_INT(a.target[i], w.labels[i / p.k_seed]);
        used[(a.seed[i] - 100) / 3]++;
        if (i % p.k_seed) CHECK(a.score[i] <= a.score[i - 1]);
        CHECK(a.linf[i] == 0.0f);
    }
    for (int i = 0; i < N_POOL; i++) CHECK(used[i] <= 1);
    p.seed = 6;
    if (build(&w, &p, &c) == 0) {
        int differ = 0;
        for (int i = 0; i < a.n; i++) differ += a.seed[i] != c.seed[i];
        CHECK(differ > 0);
        anchor_set_free(&c);
    }
    /* more draws than the pool: every image once before any twice */
    p.k_seed = 4; /* 12 draws from 10 images */
    if (build(&w, &p, &c) == 0) {
        int cnt[N_POOL] = {0};
        for (int i = 0; i < c.n; i++) cnt[(c.seed[i] - 100) / 3]++;
        for (int i = 0; i < N_POOL; i++) CHECK(cnt[i] >= 1 && cnt[i] <= 2);
        anchor_set_free(&c);
    }
    anchor_set_free(&a);
    anchor_set_free(&b);
    world_free(&w);
}

/* The same anchors, bit for bit, with 1 and 2 threads (and for both non-PGD sources). */
TEST(anchors_thread_count_independent) {
    world w;
    LOAD_OR_FAIL(&w);
    int saved = omp_get_max_threads();
    for (int src = 0; src < 3; src++) {
        dpgd_params p = test_params(src);
        anchor_set a, b;
        omp_set_num_threads(1);
        int ra = build(&w, &p, &a);
        omp_set_num_threads(2);
        int rb = build(&w, &p, &b);
        if (ra == 0 && rb == 0) CHECK_MSG(same_set(&a, &b), "source %d differs", src);
        anchor_set_free(&a);
        anchor_set_free(&b);
    }
    omp_set_num_threads(saved);
    world_free(&w);
}

static int count_calls(void *user, int64_t done, int64_t total) {
    int64_t *u = user;
    CHECK(done > u[1] && done <= total);
    u[0]++, u[1] = done, u[2] = total;
    return u[3] && u[0] >= u[3];
}

TEST(anchors_bad_params_and_progress) {
    world w;
    LOAD_OR_FAIL(&w);
    anchor_set a;
    memset(&a, 0x5a, sizeof a);
    dpgd_params p = test_params(ANCHORS_PGD);
    p.k_seed = N_POOL + 1;
    CHECK(dpgd_build(w.m, w.teacher, w.pool, w.items, N_POOL, w.res, w.labels, w.g, w.mu, N_OLD, &p,
                     NULL, NULL, &a) == -1);
    CHECK(err_has("11 seeds per old class from 10 new-task images"));
    CHECK(a.n == 0 && a.pixels == NULL);
    p = test_params(ANCHORS_PGD);
    p.eps = -0.01f;
    CHECK(dpgd_build(w.m, w.teacher, w.pool, w.items, N_POOL, w.res, w.labels, w.g, w.mu, N_OLD, &p,
                     NULL, NULL, &a) == -1);
    CHECK(err_has("l-inf radius -0.01"));
    p = test_params(ANCHORS_PGD);
    p.k_adv = 0;
    CHECK(dpgd_build(w.m, w.teacher, w.pool, w.items, N_POOL, w.res, w.labels, w.g, w.mu, N_OLD, &p,
                     NULL, NULL, &a) == -1);
    CHECK(err_has("0 PGD steps"));
    p.source = ANCHORS_SEEDS; /* no steps are fine without PGD */
    CHECK(dpgd_build(w.m, w.teacher, w.pool, w.items, N_POOL, w.res, w.labels, w.g, w.mu, N_OLD, &p,
                     NULL, NULL, &a) == 0);
    anchor_set_free(&a);
    p = test_params(ANCHORS_PGD);
    CHECK(dpgd_build(w.m, w.teacher, w.pool, w.items, N_POOL, w.res + 1, w.labels, w.g, w.mu, N_OLD,
                     &p, NULL, NULL, &a) == -1);
    CHECK(err_has("33 px"));
    /* progress: the pool, then each step; a stop returns 1 with nothing kept */
    int64_t u[4] = {0, 0, 0, 0};
    CHECK(dpgd_build(w.m, w.teacher, w.pool, w.items, N_POOL, w.res, w.labels, w.g, NULL, N_OLD, &p,
                     count_calls, u, &a) == 0);
    CHECK_EQ_INT(u[0], 1 + p.k_adv);
    CHECK_EQ_INT(u[1], u[2]);
    CHECK_EQ_INT(u[2], N_POOL + (int64_t)a.n * p.k_adv);
    for (int i = 0; i < a.n * (p.k_adv + 1); i++) CHECK(a.loss_vis[i] == 0.0f); /* mu NULL */
    anchor_set_free(&a);
    int64_t v[4] = {0, 0, 0, 2};
    CHECK(dpgd_build(w.m, w.teacher, w.pool, w.items, N_POOL, w.res, w.labels, w.g, w.mu, N_OLD, &p,
                     count_calls, v, &a) == 1);
    CHECK(v[0] == 2 && a.n == 0 && a.pixels == NULL);
    world_free(&w);
}

/* Save -> load: every array back as it was, the display images round(255 * pixel) of the first
 * anchors of each class, the drift; a damaged file is refused naming the tensor. */
TEST(anchors_file_round_trip) {
    world w;
    LOAD_OR_FAIL(&w);
    dpgd_params p = test_params(ANCHORS_PGD);
    anchor_set a, b;
    if (build(&w, &p, &a) != 0) {
        world_free(&w);
        return;
    }
    int n = a.n, e = a.e, res = a.res;
    float *drift = malloc((size_t)n * e * sizeof(float)), *d2 = NULL;
    rng_state r = rng_seed(3, 3);
    for (int i = 0; i < n * e; i++) drift[i] = rng_normal(&r);
    const char *path = tpath("anchors_%s.safetensors", "rt");
    CHECK_MSG(anchor_set_save(&a, drift, 1, path) == 0, "%s", segp_last_error());
    uint8_t *images = NULL;
    int32_t *rows = NULL;
    int m = -1;
    CHECK_MSG(anchor_set_load(path, &b, &d2, &images, &rows, &m) == 0, "%s", segp_last_error());
    CHECK(b.pixels == NULL);
    CHECK(b.n == n && b.e == e && b.res == res && b.k_adv == a.k_adv && b.source == ANCHORS_PGD);
    float *keep = a.pixels;
    a.pixels = NULL, b.pixels = NULL; /* same_set compares pixels: none here */
    size_t k1 = (size_t)a.k_adv + 1;
    CHECK(!memcmp(a.target, b.target, n * 4) && !memcmp(a.seed, b.seed, n * 4));
    CHECK(!memcmp(a.score, b.score, n * 4) && !memcmp(a.linf, b.linf, n * 4));
    CHECK(!memcmp(a.loss_text, b.loss_text, n * k1 * 4) &&
          !memcmp(a.loss_vis, b.loss_vis, n * k1 * 4));
    CHECK(!memcmp(a.emb_teacher, b.emb_teacher, (size_t)n * e * 4));
    CHECK(!memcmp(a.emb_seed, b.emb_seed, (size_t)n * e * 4));
    CHECK(d2 && !memcmp(d2, drift, (size_t)n * e * 4));
    a.pixels = keep;
    CHECK_EQ_INT(m, N_OLD); /* one image per class: anchors 0, 2, 4 */
    size_t plane = (size_t)res * res, hwc = plane * 3;
    for (int k = 0; k < m && rows; k++) {
        CHECK_EQ_INT(rows[k], k * p.k_seed);
        int bad = 0;
        for (int ch = 0; ch < 3; ch++)
            for (size_t q = 0; q < plane; q++) {
                float v = 255.0f * a.pixels[((size_t)rows[k] * 3 + ch) * plane + q];
                bad += images[(size_t)k * hwc + q * 3 + ch] != (int)floorf(v + 0.5f);
            }
        CHECK_EQ_INT(bad, 0);
    }
    free(images), free(rows), free(d2);
    anchor_set_free(&b);
    /* all images, no drift; then no images, and the arrays alone */
    CHECK(anchor_set_save(&a, NULL, -1, path) == 0);
    CHECK(anchor_set_load(path, &b, &d2, NULL, NULL, &m) == 0);
    CHECK(d2 == NULL && m == n);
    anchor_set_free(&b);
    CHECK(anchor_set_save(&a, NULL, 0, path) == 0);
    CHECK(anchor_set_load(path, &b, NULL, &images, &rows, &m) == 0);
    CHECK(m == 0);
    free(images), free(rows);
    anchor_set_free(&b);
    /* a set read back has no pixels to show */
    CHECK(anchor_set_load(path, &b, NULL, NULL, NULL, NULL) == 0);
    CHECK(anchor_set_save(&b, NULL, 1, path) == -1);
    CHECK(err_has("no pixels"));
    CHECK(anchor_set_save(&b, NULL, 0, tpath("anchors_%s.safetensors", "copy")) == 0);
    anchor_set_free(&b);
    /* damaged: loss_vis of the wrong shape, then a missing tensor */
    float tmp[64 * 8] = {0};
    int32_t it[64] = {0};
    st_write_tensor ts[] = {
        {"target", ST_I32, 1, {n}, a.target},
        {"seed", ST_I32, 1, {n}, it},
        {"score", ST_F32, 1, {n}, tmp},
        {"loss_text", ST_F32, 2, {n, 6}, a.loss_text},
        {"loss_vis", ST_F32, 2, {n, 5}, tmp},
        {"linf", ST_F32, 1, {n}, tmp},
        {"emb_teacher", ST_F32, 2, {n, e}, a.emb_teacher},
        {"emb_seed", ST_F32, 2, {n, e}, a.emb_seed},
    };
    const char *mk[] = {"k_adv", "res", "source"}, *mv[] = {"5", "32", "pgd"};
    const char *bad = tpath("anchors_%s.safetensors", "bad");
    CHECK(st_write(bad, ts, 8, mk, mv, 3) == 0);
    memset(&b, 0x5a, sizeof b);
    CHECK(anchor_set_load(bad, &b, NULL, NULL, NULL, NULL) == -1);
    CHECK(err_has(bad) && err_has("'loss_vis'") && err_has("[6, 5]") && err_has("[6, 6]"));
    CHECK(b.n == 0 && b.target == NULL);
    CHECK(st_write(bad, ts, 3, mk, mv, 3) == 0);
    CHECK(anchor_set_load(bad, &b, NULL, NULL, NULL, NULL) == -1);
    CHECK(err_has("emb_teacher"));
    /* display images without their rows */
    uint8_t px[2 * 32 * 32 * 3] = {0};
    st_write_tensor ts2[9];
    memcpy(ts2, ts, sizeof ts);
    ts2[4].shape[1] = 6, ts2[4].data = a.loss_vis;
    ts2[8] = (st_write_tensor){"images", ST_U8, 4, {2, 32, 32, 3}, px};
    CHECK(st_write(bad, ts2, 9, mk, mv, 3) == 0);
    CHECK(anchor_set_load(bad, &b, NULL, NULL, NULL, NULL) == -1);
    CHECK(err_has("'images' without 'image_rows'"));
    CHECK(st_write(bad, ts2, 8, mk, mv, 3) == 0); /* and the arrays alone are a valid file */
    CHECK_MSG(anchor_set_load(bad, &b, NULL, NULL, NULL, NULL) == 0, "%s", segp_last_error());
    anchor_set_free(&b);
    mv[2] = "fgsm";
    CHECK(st_write(bad, ts, 8, mk, mv, 3) == 0);
    CHECK(anchor_set_load(bad, &b, NULL, NULL, NULL, NULL) == -1);
    CHECK(err_has("'source' is fgsm"));
    free(drift);
    anchor_set_free(&a);
    world_free(&w);
}
