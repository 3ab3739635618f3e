/* test_memory_refused.c: runs that cannot fit in memory are refused before any work, by the
 * key that sets their largest phase: the training step, the phases after it (anchors,
 * evaluation, prototypes, analytics), the held-out evaluation, segp finetune's and segp
 * pretrain's evaluations, segp eval's re-evaluation, and a dataset's images read into memory
 * (CIFAR-100) beside them (the counts themselves: test_step_memory.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "cl/anchors.h"
#include "cl/cl_config.h"
#include "cl/methods.h"
#include "core/common.h"
#include "model/clip.h"
#include "model/lora.h"
#include "model/zeroshot.h"
#include "test.h"
#include "train/finetune.h"
#include "train/pretrain.h"
#include "train/step_memory.h"
#include "tiny_run.h"

static char out[65536];

/* A step larger than the machine's memory was found out by the OOM killer at the first step,
 * after the run directory was made; refused by key with both sizes, before any folder: 65536
 * of a task's 1,000,000 images a step (+ 64 anchors, task 3 with 30 prompts) on the 48-pixel
 * shipped model, 194 GiB. The same keys with 10 images a class take 30 + 64 images a step. */
TEST(run_step_memory_refused) {
    test_one_thread();
    const char *cfg = tiny_config("mem", "segp", "");
    clip_config mc;
    CHECK(clip_config_read("sample_runs/models/shapes-clip.safetensors", &mc) == 0);
    clip_lora_params lp = clip_lora_default_params();
    step_memory s = {.mc = &mc, .lora = &lp, .lora_copies = 1, .optim_slots = 2,
                     .n_img = 65536 + 64, .n_txt = 30, .txt_tokens = 2,
                     .cache = 1e6 * 3 * 48 * 48};
    double need = step_memory_bytes(&s), have = step_memory_physical();
    if (!(have > 0 && have < need)) { /* a bigger machine is no missing package: skip, in CI too */
        test_all_threads();
        TEST_SKIP("this machine holds the step (%.0f GiB)", have / 1073741824.0);
    }
    char dir[512], args[1500], want[600];
    const char *cmds[2] = {"run", "ablate"};
    for (int k = 0; k < 2; k++) {
        snprintf(dir, sizeof dir, "%s/mem-%s", test_tmpdir(), cmds[k]);
        snprintf(args, sizeof args, "%s %s --set benchmark.train_per_class=100000 --set "
                 "train.batch_size=65536 --out %s", cmds[k], cfg, dir);
        CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 1);
        snprintf(want, sizeof want, "key 'train.batch_size' = 65536 (task 3: 65536 of its "
                 "1000000 training images per step + 64 anchors of key 'acgd.batch', with model "
                 "sample_runs/models/shapes-clip.safetensors): a training step needs at least "
                 "%.1f GiB (65600 images and 30 texts through the model, its weights, gradients "
                 "and optimiser state, and 6.4 GiB of training images cached as 8-bit RGB) and "
                 "this machine has %.1f GiB of memory (expected a smaller train.batch_size or "
                 "acgd.batch, or a smaller model)", need / 1073741824.0, have / 1073741824.0);
        /* ablate: every variant before any cell; its first, "finetune", has no anchors */
        if (k == 1)
            snprintf(want, sizeof want, "variant \"finetune\": key 'train.batch_size' = 65536 "
                     "(task 1: 65536 of its 1000000 training images per step, with model");
        CHECK_MSG(strstr(out, want), "%s: '%s' not in: %s", cmds[k], want, out);
        CHECK_MSG(!dir_has(dir, ""), "%s made %s", cmds[k], dir);
    }
    test_all_threads();
}

/* Whether this process may have N threads: RLIMIT_NPROC and the cgroup's pids.max. */
static int can_start_threads(long n) {
    struct rlimit rl;
    if (getrlimit(RLIMIT_NPROC, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
        rl.rlim_cur < (rlim_t)n)
        return 0;
    FILE *f = fopen("/sys/fs/cgroup/pids.max", "r");
    char line[64] = "";
    int ok = !f || !fgets(line, sizeof line, f) || !strncmp(line, "max", 3) || atol(line) >= n;
    if (f) fclose(f);
    return ok;
}

/* The phases after a step were not counted: a run whose step fitted was killed by the OOM
 * killer while building SeGP-CL's anchors (a 1,000,000-image task with anchors.per_class
 * 100000: 2,000,000 anchors of 48-pixel floats, twice, for task 3's 20 old classes), after its
 * run directory was made and two tasks had trained, in an evaluation (the logits) or in
 * the analytics (10,000,000 test images of 10 tasks, each with its logits against the seen
 * classes). Refused by the phase's key with both sizes, before any folder; ablate names the
 * first variant that builds anchors. */
TEST(run_phase_memory_refused) {
    test_one_thread();
    const char *cfg = tiny_config("mem-phase", "segp", "");
    clip_config mc;
    CHECK(clip_config_read("sample_runs/models/shapes-clip.safetensors", &mc) == 0);
    cl_config cc = cl_config_default();
    clip_lora_params lp = clip_lora_default_params();
    lp.rank = cc.train.rank;
    dpgd_params p = dpgd_default_params();
    p.k_seed = 100000, p.k_adv = cc.segp.k_adv;
    const double gib = 1073741824.0, px = 3.0 * 48 * 48, e = mc.embed_dim;
    double model = step_memory_model_bytes(&mc, &lp, 1), have = step_memory_physical();
    /* beside the build: task 2's evaluation (tasks 1-3, 150 test images) and the pretrained
     * embeddings of the same 150, the test split's kept renders (500 items fit in 512 MB) and
     * the held-out split's (its 100 images, evaluated before the first task) */
    double need = model + 150 * px + 100 * px + 4 * e * 300 +
                  dpgd_build_bytes(&mc, 1000000, 20, &p, lp.rank, lp.targets);
    if (!(have > 0 && have < need)) {
        test_all_threads();
        TEST_SKIP("this machine holds the anchors (%.0f GiB)", have / gib);
    }
    char dir[512], args[1500], want[800];
    const char *cmds[2] = {"run", "ablate"};
    for (int k = 0; k < 2; k++) {
        snprintf(dir, sizeof dir, "%s/mem-phase-%s", test_tmpdir(), cmds[k]);
        snprintf(args, sizeof args, "%s %s --set benchmark.train_per_class=100000 --set "
                 "anchors.per_class=100000 --out %s", cmds[k], cfg, dir);
        CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 1);
        snprintf(want, sizeof want, "%skey 'anchors.per_class' = 100000 (task 3: 2000000 anchors "
                 "for 20 old classes, each a PGD of key 'anchors.steps', from its 1000000 "
                 "training images, with model sample_runs/models/shapes-clip.safetensors): "
                 "building the anchors needs at least %.1f GiB and this machine has %.1f GiB "
                 "of memory (expected a smaller anchors.per_class or a smaller model)",
                 k ? "variant \"acgd\": " : "",
                 need / gib, have / gib);
        CHECK_MSG(strstr(out, want), "%s: '%s' not in: %s", cmds[k], want, out);
        CHECK_MSG(!dir_has(dir, ""), "%s made %s", cmds[k], dir);
    }
    /* the evaluation after task 10 (analytics off): the student's embeddings of the 1,000,000
     * test images and the previous evaluation's, the CLIP branch's and SeGP-CL's logits of
     * each against the 100 classes and the class texts, beside the 1,000 training images kept
     * (the test split is too large to keep). One chunk of eval.batch_size images is counted
     * whatever the thread count (a thread may finish its chunk before another starts): with
     * 3000 threads the need is the same. SEGP_MEMORY_GIB sets the memory just below it. */
    double n_eval = 1e6;
    need = model + 1000 * px + 4 * e * 2 * n_eval + 4 * n_eval * 100 * 2 + 4 * 100 * e;
    char limit[64];
    snprintf(limit, sizeof limit, "%.9f", (need - 1e6) / gib);
    setenv("SEGP_MEMORY_GIB", limit, 1);
    for (int threads = 1; threads <= 3000; threads += 2999) {
        if (threads > 1 && !can_start_threads(3100)) break; /* libgomp would abort */
        char nt[16];
        snprintf(nt, sizeof nt, "%d", threads);
        setenv("OMP_NUM_THREADS", nt, 1);
        snprintf(dir, sizeof dir, "%s/mem-phase-eval", test_tmpdir());
        snprintf(args, sizeof args, "run %s --set benchmark.test_per_class=10000 --set "
                 "run.max_tasks=10 --set analytics.enabled=false --set eval.batch_size=256 "
                 "--out %s", cfg, dir);
        CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 1);
        snprintf(want, sizeof want, "key 'eval.batch_size' = 256 (task 10: 1000000 test images "
                 "in chunks of 256, logits against 100 classes, with model sample_runs/models/"
                 "shapes-clip.safetensors): the evaluation needs at least %.1f GiB and "
                 "SEGP_MEMORY_GIB allows %.1f GiB of memory (expected a smaller eval.batch_size, "
                 "fewer test images or a smaller model)", need / gib, (need - 1e6) / gib);
        CHECK_MSG(strstr(out, want), "%d threads: '%s' not in: %s", threads, want, out);
        CHECK_MSG(!dir_has(dir, ""), "made %s", dir);
    }
    setenv("OMP_NUM_THREADS", "1", 1);
    unsetenv("SEGP_MEMORY_GIB");
    /* the analytics of task 10: every embedding of the 10,000,000 test images (the student's,
     * the teacher's, the pretrained model's), the drift's three logit arrays (100 + 2 x 90
     * classes a row), the class texts; beside them the 1,000 training images kept */
    double all = 1e7;
    need = model + 1000 * px + 4 * e * 3 * all + 4 * e * 6 * 100 + 4 * all * 280;
    if (have >= need) {
        test_all_threads();
        TEST_SKIP("this machine holds the analytics (%.0f GiB)", have / gib);
    }
    snprintf(dir, sizeof dir, "%s/mem-phase-analytics", test_tmpdir());
    snprintf(args, sizeof args, "run %s --set benchmark.test_per_class=100000 --set "
             "run.max_tasks=10 --out %s", cfg, dir);
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 1);
    snprintf(want, sizeof want, "key 'analytics.enabled' (task 10: logits of 10000000 test "
             "images against 100 classes, with model sample_runs/models/shapes-clip.safetensors"
             "): the analytics' drift needs at least %.1f GiB and this machine has %.1f GiB of "
             "memory (expected analytics.enabled false, fewer test images or a smaller model)",
             need / gib, have / gib);
    CHECK_MSG(strstr(out, want), "'%s' not in: %s", want, out);
    CHECK_MSG(!dir_has(dir, ""), "made %s", dir);
    test_all_threads();
}

/* The held-out classes' evaluation after each task was not counted: with 20 held-out classes
 * of 10,000 images each (fine-tuning, run.max_tasks 1, analytics off) it holds their 200,000
 * embeddings and logits beside the task's evaluation (100,000 test images), more than that
 * evaluation itself.
 * Refused by the key that sets its size, before any folder, with SEGP_MEMORY_GIB just below its
 * need (above the task's evaluation's). */
TEST(run_heldout_memory_refused) {
    test_one_thread();
    const char *cfg = tiny_config("mem-heldout", "finetune", "");
    clip_config mc;
    CHECK(clip_config_read("sample_runs/models/shapes-clip.safetensors", &mc) == 0);
    cl_config cc = cl_config_default();
    clip_lora_params lp = clip_lora_default_params();
    lp.rank = cc.train.rank;
    const double gib = 1073741824.0, px = 3.0 * 48 * 48, e = mc.embed_dim;
    double model = step_memory_model_bytes(&mc, &lp, 1);
    uint32_t tv = lp.vision ? lp.targets : 0;
    /* task 1's 100 training images kept (the test and held-out splits are too large to keep),
     * the evaluation's embeddings of task 1's 100,000 test images; the held-out items, their
     * embeddings, then the larger of one chunk of 256 images and the logits against the 20
     * classes with the labels, tasks, predictions and indices, and the classes' texts */
    double nh = 200000, held = model + 100 * px + 4 * e * 1e5;
    double chunk = (double)benchmark_image_embeddings_bytes(&mc, 256, lp.rank, tv);
    double score = 4 * nh * 20 + 16 * nh + 4 * 20 * e;
    double need = held + 4 * nh + 4 * e * nh + (chunk > score ? chunk : score);
    /* the task's evaluation: its logits against the 100 classes */
    double eval = held + (chunk > 4e7 + 4 * 100 * e ? chunk : 4e7 + 4 * 100 * e);
    CHECK(need - 1e5 > eval);
    char limit[64], dir[512], args[1500], want[900];
    /* under a regular file: a run the check let through fails at its folder, not after work */
    snprintf(dir, sizeof dir, "%s/mem-heldout", test_tmpdir());
    FILE *blocker = fopen(dir, "w");
    if (blocker) fclose(blocker);
    strcat(dir, "/run");
    snprintf(args, sizeof args, "run %s --set benchmark.test_per_class=10000 --set "
             "run.max_tasks=1 --set analytics.enabled=false --set eval.batch_size=256 --out %s",
             cfg, dir);
    snprintf(limit, sizeof limit, "%.9f", (need - 1e5) / gib);
    setenv("SEGP_MEMORY_GIB", limit, 1);
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 1);
    snprintf(want, sizeof want, "key 'benchmark.test_per_class' (after task 1: 200000 images of "
             "the 20 held-out classes in chunks of key 'eval.batch_size' = 256, logits against "
             "them, with model sample_runs/models/shapes-clip.safetensors): the held-out "
             "evaluation needs at least %.1f GiB and SEGP_MEMORY_GIB allows %.1f GiB of memory "
             "(expected a smaller benchmark.test_per_class or a smaller model)", need / gib,
             (need - 1e5) / gib);
    CHECK_MSG(strstr(out, want), "'%s' not in: %s", want, out);
    CHECK_MSG(!dir_has(dir, ""), "made %s", dir);
    unsetenv("SEGP_MEMORY_GIB");
    CHECK_MSG(!dir_has(dir, ""), "made %s", dir);
    test_all_threads();
}

/* The shipped model's config and segp finetune's default LoRA layout. */
static void finetune_model(clip_config *mc, clip_lora_params *lp) {
    CHECK(clip_config_read("sample_runs/models/shapes-clip.safetensors", mc) == 0);
    finetune_config fc = finetune_default_config();
    *lp = clip_lora_default_params();
    lp->rank = fc.train.rank, lp->alpha = fc.train.alpha;
}

/* segp finetune of the shipped model with the config CONFIG_JSON (written as NAME.json) and
 * SEGP_MEMORY_GIB at LIMIT bytes; its output in `out`, its LoRA file in LORA (N bytes). */
static int finetune_limited(const char *name, const char *config_json, double limit, char *lora,
                            size_t n) {
    char cfg[600], args[2000], gib[64];
    snprintf(cfg, sizeof cfg, "%s/%s.json", test_tmpdir(), name);
    snprintf(lora, n, "%s/%s.safetensors", test_tmpdir(), name);
    write_text(cfg, config_json);
    snprintf(args, sizeof args, "finetune --model sample_runs/models/shapes-clip.safetensors "
             "--config %s --out %s", cfg, lora);
    snprintf(gib, sizeof gib, "%.9f", limit / 1073741824.0);
    setenv("SEGP_MEMORY_GIB", gib, 1);
    int rc = test_run_segp(args, out, sizeof out);
    unsetenv("SEGP_MEMORY_GIB");
    return rc;
}

/* segp finetune counted its training step only: its evaluation of the test split after
 * training (each image's embedding and logits against every class) was found out by the OOM
 * killer after the training. Counted (the training state is freed before it) and refused by
 * key before any work: 100,000 test images, 2 images a step, SEGP_MEMORY_GIB between the two. */
TEST(finetune_eval_memory_refused) {
    test_one_thread();
    clip_config mc;
    clip_lora_params lp;
    finetune_model(&mc, &lp);
    const double gib = 1073741824.0, px = 3.0 * 48 * 48;
    /* the step: 2 of the 100 training images, the 100 prompts, SGD, the images cached and the
     * renders they were copied from */
    step_memory s = {.mc = &mc, .lora = &lp, .optim_slots = 1, .n_img = 2, .n_txt = 100,
                     .txt_tokens = 2, .cache = 2 * 100 * px};
    double step = step_memory_bytes(&s);
    /* the evaluation: the weights and one LoRA state, the 100 training renders the shapes
     * benchmark keeps (the 100,000 test renders are too many to keep), benchmark_eval */
    double need = step_memory_model_bytes(&mc, &lp, 0) + 100 * px +
                  benchmark_eval_bytes(&mc, 100000, 100, lp.rank, lp.vision ? lp.targets : 0, 0);
    CHECK(need - 1e5 > step);
    char lora[600], want[600];
    CHECK_EQ_INT(finetune_limited("ft-mem", "{\"benchmark\": {\"train_per_class\": 1, "
                                  "\"test_per_class\": 1000}, \"train\": {\"epochs\": 1, "
                                  "\"batch_size\": 2}}", need - 1e5, lora, sizeof lora), 1);
    snprintf(want, sizeof want, "key 'benchmark.test_per_class' (the evaluation of 100000 test "
             "images against 100 classes): the evaluation needs at least %.1f GiB and "
             "SEGP_MEMORY_GIB allows %.1f GiB of memory (expected a smaller "
             "benchmark.test_per_class or a smaller model)", need / gib, (need - 1e5) / gib);
    CHECK_MSG(strstr(out, want) && !strstr(out, "epoch 1/1"), "'%s' not in: %s", want, out);
    CHECK_MSG(!path_exists(lora), "%s was written", lora);
    test_all_threads();
}

/* segp pretrain counted its training step only: the zero-shot evaluation it makes between
 * steps, while the step's arenas, gradients and moments stay, was found out after out_dir was
 * made. Counted beside the step and refused by key before out_dir: 100,000 test images of 16
 * pixels (all kept as renders), 2 pairs a step, SEGP_MEMORY_GIB between the step and both. */
TEST(pretrain_eval_memory_refused) {
    pretrain_config pc = pretrain_default_config();
    pc.image_size = 16, pc.test_per_class = 1000, pc.steps = 1, pc.batch_size = 2;
    clip_config mc;
    CHECK_EQ_INT(pretrain_config_check(&pc, &mc), 0);
    step_memory s = {.mc = &mc, .optim_slots = 2, .n_img = 2, .n_txt = 2, .txt_tokens = 2};
    const double gib = 1073741824.0;
    double step = step_memory_bytes(&s);
    double need = step + benchmark_eval_bytes(&mc, 100000, 100, 0, 0, 100000.0 * 16 * 16 * 3);
    CHECK(need - 1e5 > step);
    char cfg[600], dir[600], args[2000], limit[64], want[700];
    snprintf(cfg, sizeof cfg, "%s/pt-mem.json", test_tmpdir());
    snprintf(dir, sizeof dir, "%s/pt-mem", test_tmpdir());
    write_text(cfg, "{\"world\": {\"image_size\": 16, \"test_per_class\": 1000},"
                    " \"train\": {\"steps\": 1, \"batch_size\": 2}}");
    snprintf(args, sizeof args, "pretrain %s --out %s", cfg, dir);
    snprintf(limit, sizeof limit, "%.9f", (need - 1e5) / gib);
    setenv("SEGP_MEMORY_GIB", limit, 1);
    int rc = test_run_segp(args, out, sizeof out);
    unsetenv("SEGP_MEMORY_GIB");
    CHECK_EQ_INT(rc, 1);
    snprintf(want, sizeof want, "key 'world.test_per_class' = 1000 (a zero-shot evaluation of "
             "100000 test images against 100 classes, beside the training step's %.1f GiB): the "
             "zero-shot evaluation needs at least %.1f GiB and SEGP_MEMORY_GIB allows %.1f GiB "
             "of memory (expected a smaller world.test_per_class, a smaller train.batch_size or "
             "a smaller model)", step / gib, need / gib, (need - 1e5) / gib);
    CHECK_MSG(strstr(out, want), "'%s' not in: %s", want, out);
    CHECK_MSG(!path_exists(dir), "%s was made", dir);
}

/* segp eval was checked as a run: refused for a training step it never takes, by
 * train.batch_size, which a finished run cannot change (and with the training images' renders,
 * anchors and analytics counted too), while its own evaluations were not its message. It counts
 * what it runs: each re-evaluated task's evaluation and held-out evaluation. A one-task tiny
 * run (analytics off): after task 1 the held-out evaluation holds the weights and LoRA states,
 * the 50 test and 100 held-out renders kept (no training images are drawn), the task's 50
 * embeddings, the held-out items and their embeddings, then the larger of one chunk of 64 and
 * the logits against the 20 held-out classes. SEGP_MEMORY_GIB just below it refuses; just
 * above it, where the run's training step does not fit, the re-evaluation runs. */
TEST(eval_memory_refused) {
    test_one_thread();
    char dir[512], args[1500], limit[64], want[900];
    const char *cfg = tiny_config("mem-eval", "finetune", "");
    snprintf(dir, sizeof dir, "%s/mem-eval-run", test_tmpdir());
    snprintf(args, sizeof args, "run %s --set run.max_tasks=1 --set analytics.enabled=false "
             "--out %s", cfg, dir);
    CHECK_MSG(test_run_segp(args, out, sizeof out) == 0, "%s", out);
    clip_config mc;
    CHECK(clip_config_read("sample_runs/models/shapes-clip.safetensors", &mc) == 0);
    cl_config cc = cl_config_default();
    clip_lora_params lp = clip_lora_default_params();
    lp.rank = cc.train.rank;
    const double gib = 1073741824.0, px = 3.0 * 48 * 48, e = mc.embed_dim, nh = 100;
    double held = step_memory_model_bytes(&mc, &lp, 1) + (50 + nh) * px + 4 * e * 50;
    double chunk = (double)benchmark_image_embeddings_bytes(&mc, 64, lp.rank,
                                                            lp.vision ? lp.targets : 0);
    double score = 4 * nh * 20 + 16 * nh + 4 * 20 * e;
    double need = held + 4 * nh + 4 * e * nh + (chunk > score ? chunk : score);

    snprintf(limit, sizeof limit, "%.9f", (need - 1e5) / gib);
    setenv("SEGP_MEMORY_GIB", limit, 1);
    snprintf(args, sizeof args, "eval %s", dir);
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 1);
    snprintf(want, sizeof want, "key 'benchmark.test_per_class' (after task 1: 100 images of "
             "the 20 held-out classes in chunks of key 'eval.batch_size' = 64, logits against "
             "them, with model sample_runs/models/shapes-clip.safetensors): the held-out "
             "evaluation needs at least %.1f GiB and SEGP_MEMORY_GIB allows %.1f GiB of memory "
             "(expected more memory; a run's keys stay as it ran them for its re-evaluation)",
             need / gib, (need - 1e5) / gib);
    CHECK_MSG(strstr(out, want) && !strstr(out, "re-evaluation:"), "'%s' not in: %s", want,
              out);

    snprintf(limit, sizeof limit, "%.9f", (need + 1e5) / gib);
    setenv("SEGP_MEMORY_GIB", limit, 1);
    char again[600]; /* the same run again is refused by its step: it does not fit there */
    snprintf(again, sizeof again, "%s-again", dir);
    snprintf(args, sizeof args, "run %s --set run.max_tasks=1 --set analytics.enabled=false "
             "--out %s", cfg, again);
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 1);
    CHECK_MSG(strstr(out, "key 'train.batch_size' = 32") && strstr(out, "a training step needs"),
              "%s", out);
    CHECK(!dir_has(again, ""));
    snprintf(args, sizeof args, "eval %s", dir);
    int rc = test_run_segp(args, out, sizeof out);
    unsetenv("SEGP_MEMORY_GIB");
    CHECK_MSG(rc == 0 && strstr(out, "every entry equals the saved counts"), "%s", out);
    test_all_threads();
}

/* segp finetune's step counted its 8-bit copy of the training images but not the shapes
 * renders it is copied from, which the benchmark keeps beside it: 10,000 training images of
 * 48 pixels (66 MiB each way), 2 a step, SEGP_MEMORY_GIB between the step without the renders
 * and with them: refused by key before any work. */
TEST(finetune_step_counts_kept_renders) {
    test_one_thread();
    clip_config mc;
    clip_lora_params lp;
    finetune_model(&mc, &lp);
    const double gib = 1073741824.0, px = 3.0 * 48 * 48;
    step_memory s = {.mc = &mc, .lora = &lp, .optim_slots = 1, .n_img = 2, .n_txt = 100,
                     .txt_tokens = 2, .cache = 10000 * px};
    double without = step_memory_bytes(&s);
    s.cache += 10000 * px;
    double with = step_memory_bytes(&s);
    CHECK_NEAR(with - without, 10000 * px, 1);
    char lora[600], want[600];
    CHECK_EQ_INT(finetune_limited("ft-kept", "{\"benchmark\": {\"train_per_class\": 100, "
                                  "\"test_per_class\": 1}, \"train\": {\"epochs\": 1, "
                                  "\"batch_size\": 2}}", (without + with) / 2, lora,
                                  sizeof lora), 1);
    snprintf(want, sizeof want, "key 'train.batch_size' = 2 (2 of the 10000 training images per "
             "step, 100 class prompts): a training step needs at least %.1f GiB",
             with / gib);
    CHECK_MSG(strstr(out, want) && !strstr(out, "epoch 1/1"), "'%s' not in: %s", want, out);
    CHECK_MSG(!path_exists(lora), "%s was written", lora);
    test_all_threads();
}

/* A run on a dataset read into memory (CIFAR, IDX) holds every image of both splits all along,
 * whatever it trains on: the checks count them (benchmark_data_bytes) beside each phase. End to
 * end on CIFAR-100's binary format, as written by the test (50,000 training and 10,000 test
 * records, 184 MB of images, the counts segp run requires), 10 images a class trained, task 1
 * alone: SEGP_MEMORY_GIB between the training step's need without the dataset's bytes and with
 * them refuses by key before any folder; just above the need with them, the check lets the run
 * through (it then fails at its folder, made under a regular file here, before any work). The
 * same for a zero-shot run, which has no step: its evaluation, the phases' count. (The check
 * counted the dataset already; a check that left it out of either passed the run.) */
TEST(run_memory_counts_the_dataset) {
    test_one_thread();
    const char *root = tpath("c100-mem", "");
    mkdirs(tpath("c100-mem/cifar-100-binary", ""));
    write_cifar(tpath("c100-mem/cifar-100-binary/%s", "train.bin"), 2, 50000, 0, 100);
    write_cifar(tpath("c100-mem/cifar-100-binary/%s", "test.bin"), 2, 10000, 50000, 100);
    char json[1500];
    snprintf(json, sizeof json,
             "{\"model\": \"sample_runs/models/shapes-clip.safetensors\", \"method\": "
             "\"finetune\", \"seed\": 1, \"benchmark\": {\"name\": \"cifar100\", \"root\": \"%s\","
             " \"tasks\": \"B0-Inc10\", \"train_per_class\": 10}, \"train\": {\"epochs\": 1, "
             "\"batch_size\": 32, \"optimizer\": \"adamw\", \"lr\": 0.002}, \"eval\": "
             "{\"batch_size\": 64}, \"analytics\": {\"enabled\": false}, \"run\": {\"max_tasks\": "
             "1}}", root);
    const char *cfg = write_config("c100-mem", json);
    clip_config mc;
    CHECK(clip_config_read("sample_runs/models/shapes-clip.safetensors", &mc) == 0);
    cl_config cc = cl_config_default();
    clip_lora_params lp = clip_lora_default_params();
    lp.rank = cc.train.rank;
    const double gib = 1073741824.0, data = 60000.0 * 3072;
    /* the step: 32 of task 1's 100 training images (10 classes) and their 10 prompts, AdamW,
     * the task's images cached at the model's 48 pixels; the evaluation after it (1,000 test
     * images in chunks of 64, no gradients) holds less */
    step_memory s = {.mc = &mc, .lora = &lp, .lora_copies = 1, .optim_slots = 2, .n_img = 32,
                     .n_txt = 10, .txt_tokens = 2, .cache = 100 * 3.0 * 48 * 48};
    double without = step_memory_bytes(&s);
    s.data = data;
    double with = step_memory_bytes(&s);
    CHECK_NEAR(with - without, data, 1);
    /* the dataset's own check as it is read (the training split alone) passes under both */
    CHECK(50000.0 * 3072 < (without + with) / 2);

    char dir[512], args[1500], limit[64], want[1200];
    snprintf(dir, sizeof dir, "%s/c100-mem-blocker", test_tmpdir());
    FILE *blocker = fopen(dir, "w"); /* a run the check lets through fails at its folder */
    if (blocker) fclose(blocker);
    strcat(dir, "/run");
    snprintf(args, sizeof args, "run %s --out %s", cfg, dir);
    snprintf(limit, sizeof limit, "%.9f", (without + with) / 2 / gib);
    setenv("SEGP_MEMORY_GIB", limit, 1);
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 1);
    snprintf(want, sizeof want, "key 'train.batch_size' = 32 (task 1: 32 of its 100 training "
             "images per step, with model sample_runs/models/shapes-clip.safetensors): a "
             "training step needs at least %.1f GiB (32 images and 10 texts through the model, "
             "its weights, gradients and optimiser state, and %.1f GiB of training images "
             "cached as 8-bit RGB, and %.1f GiB of the dataset read into memory) and "
             "SEGP_MEMORY_GIB allows %.1f GiB of memory (expected a smaller train.batch_size, "
             "or a smaller model)", with / gib, s.cache / gib, data / gib,
             (without + with) / 2 / gib);
    CHECK_MSG(strstr(out, want), "'%s' not in: %s", want, out);
    CHECK_MSG(!dir_has(dir, ""), "made %s", dir);

    /* just above the need with the dataset: no memory refusal, the folder fails */
    snprintf(limit, sizeof limit, "%.9f", (with + 1e5) / gib);
    setenv("SEGP_MEMORY_GIB", limit, 1);
    int rc = test_run_segp(args, out, sizeof out);
    unsetenv("SEGP_MEMORY_GIB");
    CHECK_MSG(rc == 1 && !strstr(out, "needs at least") && strstr(out, "c100-mem-blocker"),
              "%d: %s", rc, out);
    CHECK_MSG(!dir_has(dir, ""), "made %s", dir);

    /* the phases after the step count it too: a zero-shot run (no step) whose evaluation of
     * task 1's 1,000 test images, in chunks of 256, is its largest phase */
    snprintf(json, sizeof json,
             "{\"model\": \"sample_runs/models/shapes-clip.safetensors\", \"method\": "
             "\"zeroshot\", \"seed\": 1, \"benchmark\": {\"name\": \"cifar100\", \"root\": \"%s\","
             " \"tasks\": \"B0-Inc10\"}, \"eval\": {\"batch_size\": 256}, \"analytics\": "
             "{\"enabled\": false}, \"run\": {\"max_tasks\": 1}}", root);
    cfg = write_config("c100-mem-zs", json);
    snprintf(args, sizeof args, "run %s --out %s", cfg, dir);
    /* the weights and LoRA states, the 1,000 embeddings, then one chunk's embedding (more
     * than the logits against the 100 classes, even two sets of them, and the class texts) */
    double chunk = (double)benchmark_image_embeddings_bytes(&mc, 256, lp.rank,
                                                            lp.vision ? lp.targets : 0);
    CHECK(chunk > 4.0 * 1000 * 100 * 2 + 4.0 * 100 * mc.embed_dim);
    without = step_memory_model_bytes(&mc, &lp, 1) + 4.0 * 1000 * mc.embed_dim + chunk;
    with = without + data;
    CHECK(50000.0 * 3072 < (without + with) / 2);
    snprintf(limit, sizeof limit, "%.9f", (without + with) / 2 / gib);
    setenv("SEGP_MEMORY_GIB", limit, 1);
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 1);
    snprintf(want, sizeof want, "key 'eval.batch_size' = 256 (task 1: 1000 test images in chunks "
             "of 256, logits against 100 classes, with model sample_runs/models/"
             "shapes-clip.safetensors): the evaluation needs at least %.1f GiB and "
             "SEGP_MEMORY_GIB allows %.1f GiB of memory (expected a smaller eval.batch_size, "
             "fewer test images or a smaller model)", with / gib, (without + with) / 2 / gib);
    CHECK_MSG(strstr(out, want), "'%s' not in: %s", want, out);
    CHECK_MSG(!dir_has(dir, ""), "made %s", dir);
    snprintf(limit, sizeof limit, "%.9f", (with + 1e5) / gib);
    setenv("SEGP_MEMORY_GIB", limit, 1);
    rc = test_run_segp(args, out, sizeof out);
    unsetenv("SEGP_MEMORY_GIB");
    CHECK_MSG(rc == 1 && !strstr(out, "needs at least") && strstr(out, "c100-mem-blocker"),
              "%d: %s", rc, out);
    CHECK_MSG(!dir_has(dir, ""), "made %s", dir);

    char cmd[1200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root); /* 184 MB */
    CHECK(system(cmd) == 0);
    test_all_threads();
}
