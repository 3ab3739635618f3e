/* test_step_memory.c: the bytes a training step needs (train/step_memory.h), measured without a
 * model: the activations clip_acts_bytes gives are what a real forward allocates, the LoRA and
 * parameter sizes are those of a made model and state, and the step's total adds up its parts.
 * The other phases of a run are counted the same way (anchors, evaluation, projections). The
 * refusals by key are in test_run_config.c (run, ablate) and test_pretrain.c. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cl/anchors.h"
#include "data/benchmark.h"
#include "core/common.h"
#include "metrics/analytics.h"
#include "metrics/projection.h"
#include "model/clip.h"
#include "model/lora.h"
#include "model/zeroshot.h"
#include "text/tokenizer.h"
#include "test.h"
#include "tiny_run.h"
#include "train/step_memory.h"

static clip_config tiny_clip(void) {
    clip_config c = {0};
    c.has_vision = c.has_text = 1;
    c.v_width = 32, c.v_layers = 2, c.v_heads = 2, c.v_mlp = 64, c.patch = 4, c.grid = 4;
    c.resolution = 16;
    c.t_width = 24, c.t_layers = 3, c.t_heads = 3, c.t_mlp = 40, c.context = 16;
    c.vocab = 100, c.embed_dim = 16, c.ln_eps = 1e-5f;
    return c;
}

/* Texts of B rows whose end-of-text (the largest id) sits at END[i]: the tower runs max+1. */
static int32_t *texts(const clip_config *c, int b, const int *end) {
    int32_t *ids = segp_calloc((size_t)b * c->context, sizeof *ids);
    for (int i = 0; i < b; i++) {
        ids[(size_t)i * c->context] = 1;
        for (int t = 1; t < end[i]; t++) ids[(size_t)i * c->context + t] = 2 + t;
        ids[(size_t)i * c->context + end[i]] = c->vocab - 1;
    }
    return ids;
}

/* What clip_acts_bytes measures is what the forward's arena holds after a real forward: with
 * and without LoRA, keep 1 (training) and 0, both towers, a tower the state does not adapt. */
TEST(step_memory_acts_bytes_match_forward) {
    clip_config c = tiny_clip();
    clip_model *m = clip_model_random(&c, 3, "cpu");
    CHECK(m != NULL);
    if (!m) return;
    clip_lora_params lp = clip_lora_default_params();
    lp.rank = 4;
    clip_lora_params lp_v = lp; /* vision only, other targets */
    lp_v.text = 0, lp_v.targets = LORA_K | LORA_OUT | LORA_PROJ;
    clip_lora *both = clip_lora_new(m, &lp), *vis = clip_lora_new(m, &lp_v);
    const clip_lora *states[3] = {NULL, both, vis};
    const clip_lora_params *params[3] = {NULL, &lp, &lp_v};
    int b = 5, end[5] = {3, 7, 2, 9, 4}; /* the text tower runs 10 tokens */
    float *pix = segp_calloc((size_t)b * 3 * c.resolution * c.resolution, sizeof(float));
    int32_t *ids = texts(&c, b, end);
    float *emb = segp_malloc((size_t)b * c.embed_dim * sizeof(float));
    for (int s = 0; s < 3; s++)
        for (int keep = 0; keep <= 1; keep++) {
            int rank = params[s] ? params[s]->rank : 0;
            uint32_t tv = params[s] && params[s]->vision ? params[s]->targets : 0;
            uint32_t tt = params[s] && params[s]->text ? params[s]->targets : 0;
            clip_acts *va = clip_acts_new(), *ta = clip_acts_new();
            CHECK(clip_vision_forward(m, states[s], pix, b, va, keep, emb) == 0);
            CHECK(clip_text_forward(m, states[s], ids, b, ta, keep, emb) == 0);
            size_t want_v = clip_acts_bytes(&c, 0, b, c.grid * c.grid + 1, keep, rank, tv);
            size_t want_t = clip_acts_bytes(&c, 1, b, 10, keep, rank, tt);
            CHECK_MSG(clip_acts_allocated(va) == want_v, "state %d keep %d: vision %zu, "
                      "measured %zu", s, keep, clip_acts_allocated(va), want_v);
            CHECK_MSG(clip_acts_allocated(ta) == want_t, "state %d keep %d: text %zu, "
                      "measured %zu", s, keep, clip_acts_allocated(ta), want_t);
            clip_acts_free(va);
            clip_acts_free(ta);
        }
    /* keep 1 stores every layer: more than one layer's reused buffers, and it grows with b */
    CHECK(clip_acts_bytes(&c, 0, b, 17, 1, 0, 0) > clip_acts_bytes(&c, 0, b, 17, 0, 0, 0));
    CHECK(clip_acts_bytes(&c, 0, 2 * b, 17, 1, 0, 0) > clip_acts_bytes(&c, 0, b, 17, 1, 0, 0));
    /* the sizes of the state and the model, from the architecture alone */
    size_t a, bb;
    clip_lora_sizes(&c, &lp, &a, &bb);
    CHECK_EQ_INT(a, both->a_size);
    CHECK_EQ_INT(bb, both->b_size);
    clip_lora_sizes(&c, &lp_v, &a, &bb);
    CHECK_EQ_INT(a, vis->a_size);
    CHECK_EQ_INT(bb, vis->b_size);
    CHECK_EQ_INT(clip_config_num_params(&c), clip_model_num_params(m));
    free(pix), free(ids), free(emb);
    clip_lora_free(both);
    clip_lora_free(vis);
    clip_model_free(m);
}

/* The step's bytes: weights, LoRA states, gradients and optimiser state with an empty batch;
 * then a batch adds its activations, embeddings and their gradients, pixels and token ids. */
TEST(step_memory_bytes_add_up) {
    clip_config c = tiny_clip();
    clip_lora_params lp = clip_lora_default_params();
    lp.rank = 4;
    size_t a, b;
    clip_lora_sizes(&c, &lp, &a, &b);
    double p = (double)clip_config_num_params(&c);
    step_memory s = {.mc = &c, .lora = &lp, .lora_copies = 1, .optim_slots = 2, .cache = 1000};
    CHECK_NEAR(step_memory_bytes(&s), 4.0 * (p + 2.0 * (a + b) + 3.0 * b) + 1000, 0);
    s.n_img = 7, s.n_txt = 3, s.txt_tokens = 5;
    double acts = (double)clip_acts_bytes(&c, 0, 7, 17, 1, 4, lp.targets) +
                  (double)clip_acts_bytes(&c, 1, 3, 5, 1, 4, lp.targets);
    double batch = 4.0 * (2.0 * 10 * c.embed_dim + 7.0 * 3 * 16 * 16 + 3.0 * c.context);
    CHECK_NEAR(step_memory_bytes(&s), 4.0 * (p + 2.0 * (a + b) + 3.0 * b) + 1000 + acts + batch,
               0);
    /* the dataset's images read into memory (CIFAR, IDX) stay beside every step */
    s.data = 500;
    CHECK_NEAR(step_memory_bytes(&s), 4.0 * (p + 2.0 * (a + b) + 3.0 * b) + 1500 + acts + batch,
               0);
    s.data = 0;
    /* pretraining: every weight trained, with its gradient and AdamW's two moments */
    step_memory pt = {.mc = &c, .optim_slots = 2};
    CHECK_NEAR(step_memory_bytes(&pt), 4.0 * 4 * p, 0);
    /* refused only past the machine's memory, with the numbers */
    double have = step_memory_physical();
    TEST_NEEDS(have > 0, "the machine's memory is unknown here");
    CHECK(step_memory_check(&s, "small", "less") == 0);
    s.cache = 2 * have, s.data = have / 2;
    CHECK(step_memory_check(&s, "key 'x' = 1", "a smaller x") != 0);
    char want[400];
    snprintf(want, sizeof want, "GiB (7 images and 3 texts through the model, its weights, "
             "gradients and optimiser state, and %.1f GiB of training images cached as 8-bit "
             "RGB, and %.1f GiB of the dataset read into memory) and this machine has %.1f GiB "
             "of memory (expected a smaller x)", 2 * have / 1073741824.0,
             have / 2 / 1073741824.0, have / 1073741824.0);
    CHECK_MSG(!strncmp(segp_last_error(), "key 'x' = 1: a training step needs at least ", 43) &&
                  strstr(segp_last_error(), want), "%s", segp_last_error());
}

/* The anchor build's peak: the pool, its embeddings and scores, the anchors' arrays and seeds,
 * and one thread's arena and chunk buffers: 150 anchors (5 seeds of 30 old classes) in chunks
 * of 4, a pool of 40 in chunks of 4. The chunks are dealt dynamically, so a thread may take
 * none: the per-thread terms were counted for every thread that could take a chunk (38 on 64
 * threads), more than is certain to be held. */
TEST(phase_memory_anchors) {
    clip_config c = tiny_clip();
    clip_lora_params lp = clip_lora_default_params();
    lp.rank = 4;
    dpgd_params p = dpgd_default_params(); /* pgd, 5 seeds, 10 steps, batch 64 */
    double img = 3.0 * 16 * 16, e = c.embed_dim, n = 150;
    double shared = 40 * img + 4 * 40 * e + 8.0 * 40 * 30;
    double pass_pool = (double)clip_acts_bytes(&c, 0, 4, 17, 0, 4, lp.targets) + 16 * (img + e);
    double pass_pgd = (double)clip_acts_bytes(&c, 0, 4, 17, 1, 4, lp.targets) +
                      16 * (2 * img + 2 * e + 2);
    double anchors = 4 * n * (img + 2 * e + 2 * 11) + 4 * n * img;
    CHECK_NEAR(dpgd_build_bytes(&c, 40, 30, &p, 4, lp.targets), shared + anchors + pass_pgd, 0);
    /* the seeds alone: no PGD, no kept activations; one scoring chunk */
    p.source = ANCHORS_SEEDS;
    double seeds = shared + 4 * n * (img + 2 * e + 2);
    double pool = shared + pass_pool;
    CHECK_NEAR(dpgd_build_bytes(&c, 40, 30, &p, 4, lp.targets), pool > seeds ? pool : seeds, 0);
    /* a larger anchors.per_class grows it by the anchors' floats */
    p.source = ANCHORS_PGD, p.k_seed = 50; /* 1500 anchors, 24 a chunk: 63 chunks */
    double big = dpgd_build_bytes(&c, 40, 30, &p, 4, lp.targets);
    CHECK_NEAR(big, shared + 4 * 1500 * (2 * img + 2 * e + 22) +
                        (double)clip_acts_bytes(&c, 0, 24, 17, 1, 4, lp.targets) +
                        4 * 24 * (2 * img + 2 * e + 2), 0);
    /* fewer images than a chunk holds: a chunk runs (and touches) only those (2 anchors of one
     * seed for 2 old classes, chunk size 4; a pool of 3) */
    p.k_seed = 1;
    double small_shared = 3 * img + 4 * 3 * e + 8.0 * 3 * 2;
    CHECK_NEAR(dpgd_build_bytes(&c, 3, 2, &p, 4, lp.targets),
               small_shared + 4 * 2 * (2 * img + 2 * e + 22) +
                   (double)clip_acts_bytes(&c, 0, 2, 17, 1, 4, lp.targets) +
                   4 * 2 * (2 * img + 2 * e + 2), 0);
}

/* An evaluation chunk: its 8-bit and float pixels (at most 256 a call) and the encoder's arena
 * of up to 32 images with their pixels and embeddings. */
TEST(phase_memory_eval_chunk) {
    clip_config c = tiny_clip();
    double img = 3.0 * 16 * 16, e = c.embed_dim;
    CHECK_EQ_INT(clip_encode_images_bytes(&c, 10, 0, 0),
                 clip_acts_bytes(&c, 0, 10, 17, 0, 0, 0) + (size_t)(4 * 10 * (img + e)));
    CHECK_EQ_INT(clip_encode_images_bytes(&c, 1000, 4, LORA_Q),
                 clip_acts_bytes(&c, 0, 32, 17, 0, 4, LORA_Q) + (size_t)(4 * 32 * (img + e)));
    CHECK_EQ_INT(benchmark_image_embeddings_bytes(&c, 10, 0, 0),
                 (size_t)(10 * img * 5) + clip_encode_images_bytes(&c, 10, 0, 0));
    CHECK_EQ_INT(benchmark_image_embeddings_bytes(&c, 65536, 0, 0),
                 (size_t)(256 * img * 5) + clip_encode_images_bytes(&c, 256, 0, 0));
    CHECK_EQ_INT(benchmark_image_embeddings_bytes(&c, 0, 0, 0), 0);
}

/* The projections: t-SNE holds two dense n x n double matrices; the points are the ones
 * analytics_write selects (test_analytics.c: cap 30 over 5 classes of 5 images, with
 * prototypes and 2 anchors of each of 3 old classes, is 26 points, 2 a class). */
TEST(phase_memory_projection) {
    CHECK_NEAR(proj_tsne_bytes(100), 16.0 * 100 * 100 + 1600, 0);
    CHECK_NEAR(proj_tsne_bytes(20000), 6.4e9 + 320000, 0);
    int img[5] = {5, 5, 5, 5, 5}, anc[5] = {2, 2, 2, 0, 0}, none[5] = {0}, k = -1;
    CHECK_EQ_INT(analytics_projection_points(5, 30, 1, img, anc, &k), 26);
    CHECK_EQ_INT(k, 2);
    CHECK_EQ_INT(analytics_projection_points(5, 30, 0, img, none, &k), 30);
    CHECK_EQ_INT(k, 5);
    CHECK_EQ_INT(analytics_projection_points(5, 1000, 1, img, anc, NULL), 41);
    CHECK_EQ_INT(analytics_projection_points(5, 3, 1, img, anc, NULL), 3);
}

/* SEGP_MEMORY_GIB: the checks count on at most that much (a share of a shared machine), say so
 * in the refusal, and a malformed value is refused by name instead of being ignored (the checks
 * would then count on the whole machine). A limit above the machine's memory changes nothing. */
TEST(memory_limit_env) {
    const double gib = 1073741824.0;
    unsetenv("SEGP_MEMORY_GIB");
    double machine, have;
    char desc[96];
    CHECK_EQ_INT(segp_memory_limit(&machine, desc, sizeof desc), 0);
    TEST_NEEDS(machine > gib, "the machine's memory is unknown here, or below 1 GiB");
    char want[96];
    snprintf(want, sizeof want, "this machine has %.1f GiB of memory", machine / gib);
    if (strstr(desc, "control group")) /* a machine whose cgroup limits this process */
        snprintf(want, sizeof want, "this process's control group allows %.1f GiB of memory",
                 machine / gib);
    CHECK_MSG(!strcmp(desc, want), "%s", desc);
    setenv("SEGP_MEMORY_GIB", "0.5", 1);
    CHECK_EQ_INT(segp_memory_limit(&have, desc, sizeof desc), 0);
    CHECK_NEAR(have, 0.5 * gib, 0);
    CHECK_NEAR(step_memory_physical(), 0.5 * gib, 0);
    CHECK_MSG(!strcmp(desc, "SEGP_MEMORY_GIB allows 0.5 GiB of memory"), "%s", desc);
    clip_config c = tiny_clip();
    step_memory s = {.mc = &c, .optim_slots = 2, .cache = 0.75 * gib};
    CHECK(step_memory_check(&s, "key 'x' = 1", "a smaller x") != 0);
    CHECK_MSG(strstr(segp_last_error(), "and 0.8 GiB of training images cached as 8-bit RGB) and "
                     "SEGP_MEMORY_GIB allows 0.5 GiB of memory (expected a smaller x)"),
              "%s", segp_last_error());
    CHECK(phase_memory_check(0.6 * gib, "key 'y'", "the evaluation", "less") != 0);
    CHECK_MSG(!strcmp(segp_last_error(), "key 'y': the evaluation needs at least 0.6 GiB and "
                      "SEGP_MEMORY_GIB allows 0.5 GiB of memory (expected less)"),
              "%s", segp_last_error());
    CHECK_EQ_INT(phase_memory_check(0.4 * gib, "key 'y'", "the evaluation", "less"), 0);
    /* above the machine: the machine's */
    char big[64];
    snprintf(big, sizeof big, "%.0f", 4 * machine / gib);
    setenv("SEGP_MEMORY_GIB", big, 1);
    CHECK_EQ_INT(segp_memory_limit(&have, desc, sizeof desc), 0);
    CHECK_NEAR(have, machine, 0);
    CHECK_MSG(!strcmp(desc, want), "%s", desc);
    const char *bad[] = {"abc", "0", "-1", "2x", "nan", " "};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        setenv("SEGP_MEMORY_GIB", bad[i], 1);
        CHECK_EQ_INT(segp_memory_limit(&have, NULL, 0), -1);
        char msg[200];
        snprintf(msg, sizeof msg, "SEGP_MEMORY_GIB is \"%s\" (expected a number of GiB > 0",
                 bad[i]);
        CHECK_MSG(strstr(segp_last_error(), msg), "%s: %s", bad[i], segp_last_error());
        CHECK_EQ_INT(phase_memory_check(1, "k", "p", "a"), -1);
        CHECK_NEAR(step_memory_physical(), 0, 0);
    }
    /* a command refuses it before any work */
    const char *cfg = tiny_config("mem-env", "finetune", "");
    char dir[512], args[1200], out[4096];
    snprintf(dir, sizeof dir, "%s/mem-env", test_tmpdir());
    snprintf(args, sizeof args, "run %s --out %s", cfg, dir);
    setenv("SEGP_MEMORY_GIB", "lots", 1);
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 1);
    CHECK_MSG(strstr(out, "SEGP_MEMORY_GIB is \"lots\" (expected a number of GiB > 0"), "%s", out);
    /* and a limit below the run's step refuses it by the step's key */
    setenv("SEGP_MEMORY_GIB", "0.01", 1);
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 1);
    CHECK_MSG(strstr(out, "a training step needs at least ") &&
                  strstr(out, "SEGP_MEMORY_GIB allows 0.0 GiB of memory (expected a smaller "
                              "train.batch_size"), "%s", out);
    unsetenv("SEGP_MEMORY_GIB");
    struct stat st;
    CHECK_MSG(stat(dir, &st) != 0, "%s was made", dir);
}

/* A benchmark evaluation (segp finetune's after training, segp pretrain's between steps): the
 * items, class texts and image embeddings, then the larger of one embedding call and the
 * logits with the result's arrays and the split's kept renders. What stays allocated after a
 * real evaluation (its result and the kept renders) is at least the scoring's part. */
TEST(phase_memory_benchmark_eval) {
    clip_config c = tiny_clip();
    double held = 4.0 * 10 + 4.0 * 5 * 16 + 4.0 * 10 * 16;
    double embed = (double)benchmark_image_embeddings_bytes(&c, 10, 4, LORA_Q);
    double score = 1000 + 4.0 * 10 * 5 + 16.0 * 10;
    CHECK_NEAR(benchmark_eval_bytes(&c, 10, 5, 4, LORA_Q, 1000),
               held + (embed > score ? embed : score), 0);
    CHECK(embed > score); /* a chunk's activations outweigh ten logits */
    /* 1,000,000 items: the logits decide */
    double n = 1e6;
    CHECK_NEAR(benchmark_eval_bytes(&c, 1000000, 5, 4, LORA_Q, 0),
               4 * n + 4.0 * 5 * 16 + 4 * n * 16 + 4 * n * 5 + 16 * n, 0);
    clip_model *m = clip_model_load("tests/fixtures/clip_tiny.safetensors", NULL);
    clip_tokenizer *tok = clip_tokenizer_init(NULL);
    benchmark_params bp = benchmark_default_params();
    bp.train_per_class = 1, bp.test_per_class = 3;
    benchmark *b = m && tok ? benchmark_open(&bp) : NULL;
    CHECK(b != NULL);
    if (b) {
        const clip_config *mc = clip_model_config(m);
        int nt = benchmark_count(b, BENCH_TEST), nc = benchmark_num_classes(b);
        double kept = benchmark_kept_bytes(b, BENCH_TEST, mc->resolution, nt);
        CHECK_EQ_INT(nt, 300);
        CHECK_NEAR(kept, 300.0 * mc->resolution * mc->resolution * 3, 0);
        size_t before = test_heap_in_use();
        bench_eval_result res;
        CHECK(benchmark_eval(m, NULL, tok, b, "a photo of a {}.", BENCH_TEST, NULL, NULL,
                             &res) == 0);
        double stays = (double)(test_heap_in_use() - before);
        /* glibc's heap only: under AddressSanitizer it is not used and reads 0 */
        if (before > 0)
            CHECK_MSG(stays >= kept + 4.0 * nt * nc + 16.0 * nt, "%.0f bytes stay, counted %.0f",
                      stays, kept + 4.0 * nt * nc + 16.0 * nt);
        bench_eval_free(&res);
        benchmark_free(b);
    }
    clip_tokenizer_free(tok);
    if (m) clip_model_free(m);
}

/* A cgroup's memory limit counts as the memory there is (a Slurm job's --mem on a large node
 * was OOM-killed mid-run where the checks saw the whole node): v1 and v2, the group's own limit
 * or a tighter one above it, a container whose own group is the mount's root, "max" and v1's
 * 2^63 - 4096 for no limit. */
TEST(memory_limit_cgroup) {
    const double gib = 1073741824.0;
    const char *root = tpath("cgroup-%s", "a");
    static const char *const dirs[] = {"", "/memory", "/memory/a", "/memory/a/b", "/x",
                                       "/x/y", "/unified", "/unified/u"};
    char p[600];
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        snprintf(p, sizeof p, "%s%s", root, dirs[i]);
        mkdir(p, 0755);
    }
    snprintf(p, sizeof p, "%s/memory/memory.limit_in_bytes", root);
    write_text(p, "9223372036854771712\n"); /* v1's "no limit" */
    snprintf(p, sizeof p, "%s/memory/a/memory.limit_in_bytes", root);
    write_text(p, "8589934592\n");
    snprintf(p, sizeof p, "%s/memory/a/b/memory.limit_in_bytes", root);
    write_text(p, "17179869184\n"); /* above its parent's: the parent's holds */
    snprintf(p, sizeof p, "%s/memory.max", root);
    write_text(p, "max\n");
    snprintf(p, sizeof p, "%s/x/memory.max", root);
    write_text(p, "4294967296\n");
    snprintf(p, sizeof p, "%s/x/y/memory.max", root);
    write_text(p, "max\n");
    snprintf(p, sizeof p, "%s/unified/u/memory.max", root);
    write_text(p, "3221225472\n");
    char where[700], want[700];
    CHECK_NEAR(segp_cgroup_memory_limit("4:memory:/a/b\n0::/\n", root, where, sizeof where),
               8 * gib, 0);
    snprintf(want, sizeof want, "%s/memory/a/memory.limit_in_bytes", root);
    CHECK_MSG(!strcmp(where, want), "%s", where);
    CHECK_NEAR(segp_cgroup_memory_limit("3:cpu,memory:/a\n", root, NULL, 0), 8 * gib, 0);
    CHECK_NEAR(segp_cgroup_memory_limit("0::/x/y\n", root, where, sizeof where), 4 * gib, 0);
    snprintf(want, sizeof want, "%s/x/memory.max", root);
    CHECK_MSG(!strcmp(where, want), "%s", where);
    /* hybrid: v2 beside v1 under ROOT/unified; the tighter of v1's and v2's */
    CHECK_NEAR(segp_cgroup_memory_limit("0::/u\n", root, NULL, 0), 3 * gib, 0);
    CHECK_NEAR(segp_cgroup_memory_limit("4:memory:/a\n0::/u\n", root, NULL, 0), 3 * gib, 0);
    /* no limit anywhere: 0 */
    CHECK_NEAR(segp_cgroup_memory_limit("0::/\n", root, where, sizeof where), 0, 0);
    CHECK_MSG(!*where, "%s", where);
    CHECK_NEAR(segp_cgroup_memory_limit("1:cpu:/a\n4:memory:/\n", root, NULL, 0), 0, 0);
    CHECK_NEAR(segp_cgroup_memory_limit("", root, NULL, 0), 0, 0);
    /* a path that is not there (a container without a cgroup namespace sees its own group as
     * the root): the folders above it that are */
    CHECK_NEAR(segp_cgroup_memory_limit("4:memory:/a/gone/deeper\n", root, NULL, 0), 8 * gib,
               0);
    const char *root2 = tpath("cgroup-%s", "b");
    mkdir(root2, 0755);
    snprintf(p, sizeof p, "%s/memory.max", root2);
    write_text(p, "2147483648\n");
    CHECK_NEAR(segp_cgroup_memory_limit("0::/system.slice/job_42/step_0\n", root2, NULL, 0),
               2 * gib, 0);
    /* malformed lines and files are no limit */
    snprintf(p, sizeof p, "%s/x/memory.max", root);
    write_text(p, "lots\n");
    CHECK_NEAR(segp_cgroup_memory_limit("0::/x/y\nnonsense\n::\n", root, NULL, 0), 0, 0);
}
