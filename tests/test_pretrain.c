/* test_pretrain.c: `segp pretrain` end to end on a tiny model: it learns (loss falls), the run
 * directory holds what it should, an interrupted run resumed from its checkpoint ends with the
 * same model bit for bit, existing runs are never overwritten, and bad configs are refused with
 * the file and key named. Also `segp finetune` on the result, and on a second benchmark. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model/clip.h"
#include "core/common.h"
#include "model/lora.h"
#include "test.h"

static const char *tiny_cfg =
    "{\"out_dir\": \"%s\", \"seed\": 3,\n"
    " \"world\": {\"image_size\": 16, \"test_per_class\": 1},\n"
    " \"model\": {\"vision_width\": 32, \"vision_layers\": 1, \"vision_heads\": 2,\n"
    "           \"vision_mlp\": 64, \"patch\": 8, \"text_width\": 32, \"text_layers\": 1,\n"
    "           \"text_heads\": 2, \"text_mlp\": 64, \"context\": 16, \"embed_dim\": 16},\n"
    " \"train\": {\"steps\": 8, \"batch_size\": 16, \"warmup_steps\": 2, \"lr\": 0.003,\n"
    "           \"log_every\": 1, \"checkpoint_every\": 4, \"eval_every\": 0}}\n";

static void write_cfg(const char *path, const char *out_dir) {
    FILE *f = fopen(path, "w");
    fprintf(f, tiny_cfg, out_dir);
    fclose(f);
}

static double loss_at(const char *log_path, int step) {
    uint8_t *d;
    size_t n;
    if (segp_read_file(log_path, &d, &n) != 0) return -1;
    char key[64];
    snprintf(key, sizeof key, "{\"step\":%d,\"loss\":", step);
    const char *at = strstr((const char *)d, key);
    double v = at ? atof(at + strlen(key)) : -1;
    free(d);
    return v;
}

TEST(pretrain_resume_is_exact) {
    char cfg[512], dir_a[512], dir_b[512], args[2400], out[8192], p[600], q[1200];
    const char *t = test_tmpdir();
    snprintf(dir_a, sizeof dir_a, "%s/pt_a", t);
    snprintf(dir_b, sizeof dir_b, "%s/pt_b", t);
    snprintf(cfg, sizeof cfg, "%s/pt_a.json", t);
    write_cfg(cfg, dir_a);
    snprintf(args, sizeof args, "pretrain %s", cfg);
    int rc = test_run_segp(args, out, sizeof out);
    CHECK_MSG(rc == 0, "%s", out);
    CHECK(strstr(out, "done:") != NULL);
    snprintf(p, sizeof p, "%s/log.jsonl", dir_a);
    double l1 = loss_at(p, 1), l8 = loss_at(p, 8);
    CHECK_MSG(l1 > 0 && l8 > 0 && l8 < l1, "loss did not fall: %g -> %g", l1, l8);
    snprintf(p, sizeof p, "%s/config.json", dir_a);
    uint8_t *d;
    size_t n;
    CHECK(segp_read_file(p, &d, &n) == 0);
    if (n) {
        CHECK(strstr((char *)d, "\"vision_width\":\t32") ||
              strstr((char *)d, "\"vision_width\": 32"));
        CHECK(strstr((char *)d, "segp_version") != NULL);
        /* provenance: the build that ran it (same tree as this test binary) and the machine */
        char want[160];
        snprintf(want, sizeof want, "\"segp_build\":\t\"%s\"", segp_build_id());
        CHECK_MSG(strstr((char *)d, want) != NULL, "config.json lacks %s", want);
        CHECK(strstr((char *)d, "\"cpu\":\t\"") != NULL && strstr((char *)d, "\"threads\":\t"));
        CHECK(strstr((char *)d, "\"host\":\t\"") && strstr((char *)d, "\"os\":\t\"") &&
              strstr((char *)d, "\"compiler\":\t\"") &&
              strstr((char *)d, "\"openblas\":\t\"OpenBLAS "));
        free(d);
    }
    /* the same run, interrupted after step 3 and resumed */
    snprintf(cfg, sizeof cfg, "%s/pt_b.json", t);
    write_cfg(cfg, dir_b);
    snprintf(args, sizeof args, "pretrain %s --stop-after 3", cfg);
    rc = test_run_segp(args, out, sizeof out);
    CHECK_MSG(rc == 0 && strstr(out, "stopped after step 3"), "%s", out);
    snprintf(p, sizeof p, "%s/model.safetensors", dir_b);
    FILE *f = fopen(p, "rb");
    CHECK(f == NULL); /* no final model yet */
    if (f) fclose(f);
    /* refusing to overwrite an existing run */
    snprintf(args, sizeof args, "pretrain %s", cfg);
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 1);
    CHECK(strstr(out, "already holds a run") != NULL);
    /* one writer: refused while another process holds the run, named by its pid */
    int holder = test_lock_hold(dir_b);
    CHECK(holder > 0);
    snprintf(args, sizeof args, "pretrain %s --resume", cfg);
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 1);
    char who[64];
    snprintf(who, sizeof who, "writing this run (pid %d on ", holder);
    CHECK_MSG(strstr(out, who) && !strstr(out, "segp tui"), "%s", out);
    test_lock_release(holder);
    /* resumed with another learning rate: refused by key (it continued, mixing two runs under
     * the first one's config.json), and nothing written */
    char other[600], text[2048];
    snprintf(other, sizeof other, "%s/pt_b_lr.json", t);
    snprintf(text, sizeof text, tiny_cfg, dir_b);
    char *lr = strstr(text, "\"lr\": 0.003");
    CHECK(lr != NULL);
    if (lr) lr[strlen("\"lr\": 0.00")] = '4';
    write_text(other, text);
    snprintf(args, sizeof args, "pretrain %s --resume", other);
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 1);
    /* the values as written: config.json's %.9g showed "0.00400000019 here but 0.00300000003" */
    CHECK_MSG(strstr(out, "key 'train.lr' is 0.004 here but 0.003 in the run to resume ("),
              "%s", out);
    snprintf(p, sizeof p, "%s/model.safetensors", dir_b);
    CHECK(access(p, F_OK) != 0);
    snprintf(args, sizeof args, "pretrain %s --resume", cfg);
    rc = test_run_segp(args, out, sizeof out);
    CHECK_MSG(rc == 0, "%s", out);
    /* a run's own config.json is a config: its record keys are passed over, and it trains
     * the same model (it was refused: unknown key 'segp_version') */
    char dir_c[512];
    snprintf(dir_c, sizeof dir_c, "%s/pt_c", t);
    snprintf(args, sizeof args, "pretrain %s/config.json --out %s", dir_a, dir_c);
    rc = test_run_segp(args, out, sizeof out);
    CHECK_MSG(rc == 0, "%s", out);
    snprintf(p, sizeof p, "%s/model.safetensors", dir_a);
    snprintf(q, sizeof q, "%s/model.safetensors", dir_c);
    uint8_t *ma = NULL, *mc = NULL;
    size_t nma = 0, nmc = 0;
    CHECK(segp_read_file(p, &ma, &nma) == 0 && segp_read_file(q, &mc, &nmc) == 0);
    CHECK_MSG(nma == nmc && nma > 0 && !memcmp(ma, mc, nma), "its model differs from the run's");
    free(ma), free(mc);
    /* without --out (or --resume) it is refused by name: its out_dir is the run it records,
     * and the shipped model's, written on another machine, named a folder there */
    snprintf(args, sizeof args, "pretrain %s/config.json", dir_a);
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 2);
    snprintf(q, sizeof q, "is a run's resolved config (it records segp_version): its out_dir "
             "\"%s\" is where that run wrote; give --out DIR", dir_a);
    CHECK_MSG(strstr(out, q), "%s", out);
    CHECK_EQ_INT(test_run_segp("pretrain sample_runs/models/shapes-clip.config.json", out,
                               sizeof out), 2);
    CHECK_MSG(strstr(out, "give --out DIR for a new run of the same training"), "%s", out);
    /* segp resume / eval of a pretraining folder: named as segp pretrain's, and the refused
     * resume leaves no lock file there (it left one) */
    for (int k = 0; k < 2; k++) {
        snprintf(args, sizeof args, "%s %s", k ? "eval" : "resume", dir_a);
        CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 1);
        CHECK_MSG(strstr(out, "not a continual-learning run's config but segp pretrain's"), "%s",
                  out);
    }
    /* a finished run leaves no lock file behind */
    snprintf(p, sizeof p, "%s/.lock", dir_b);
    CHECK(access(p, F_OK) != 0);
    snprintf(p, sizeof p, "%s/.lock", dir_a);
    CHECK(access(p, F_OK) != 0);
    snprintf(p, sizeof p, "%s/model.safetensors", dir_a);
    snprintf(q, sizeof q, "%s/model.safetensors", dir_b);
    uint8_t *a = NULL, *b = NULL;
    size_t na = 0, nb = 0;
    CHECK(segp_read_file(p, &a, &na) == 0 && segp_read_file(q, &b, &nb) == 0);
    CHECK_MSG(na == nb && na > 0 && memcmp(a, b, na) == 0,
              "resumed model differs from the uninterrupted one");
    free(a);
    free(b);
    snprintf(p, sizeof p, "%s/log.jsonl", dir_b);
    snprintf(q, sizeof q, "%s/log.jsonl", dir_a);
    CHECK_NEAR(loss_at(p, 8), loss_at(q, 8), 0);
    /* the joint fine-tune runs on the result and reports accuracy */
    char fcfg[512];
    snprintf(fcfg, sizeof fcfg, "%s/ft.json", t);
    f = fopen(fcfg, "w");
    fputs("{\"world\": {\"train_per_class\": 2, \"test_per_class\": 1},"
          " \"train\": {\"epochs\": 1, \"batch_size\": 50}, \"lora\": {\"rank\": 4, \"alpha\": 4}}",
          f);
    fclose(f);
    snprintf(args, sizeof args, "finetune --model %s/model.safetensors --config %s", dir_a, fcfg);
    rc = test_run_segp(args, out, sizeof out);
    CHECK_MSG(rc == 0 && strstr(out, "test split: 100 images") && strstr(out, "  overall ") &&
                  strstr(out, "by rendition: standard ") && strstr(out, "errors: wrong colour on "),
              "%s", out);
    { /* the trainable count it prints is the engine's count for this model and rank */
        snprintf(p, sizeof p, "%s/model.safetensors", dir_a);
        clip_model *m = clip_model_load(p, NULL);
        CHECK(m != NULL);
        clip_lora_params lp = clip_lora_default_params();
        lp.rank = 4;
        clip_lora *l = m ? clip_lora_new(m, &lp) : NULL;
        char want[96];
        snprintf(want, sizeof want, ": %zu trainable LoRA-B numbers (rank 4)",
                 l ? clip_lora_trainable(l) : (size_t)0);
        CHECK_MSG(l && strstr(out, want) && strstr(out, "wall time "), "want '%s' in %s", want,
                  out);
        clip_lora_free(l);
        clip_model_free(m);
    }
    /* Training augmentation: the same seed gives the same LoRA state byte for byte, and the
     * crops and flips do change what is learned. */
    const char *ft_aug =
        "{\"world\": {\"train_per_class\": 2, \"test_per_class\": 1},"
        " \"train\": {\"epochs\": 1, \"batch_size\": 50}, \"lora\": {\"rank\": 4, \"alpha\": 4}"
        "%s}";
    const char *variant[3] = {"", ", \"augment\": {\"enabled\": true, \"scale_min\": 0.5}",
                              ", \"augment\": {\"enabled\": true, \"scale_min\": 0.5}"};
    uint8_t *state[3] = {NULL, NULL, NULL};
    size_t n_state[3] = {0, 0, 0};
    for (int v = 0; v < 3; v++) {
        f = fopen(fcfg, "w");
        fprintf(f, ft_aug, variant[v]);
        fclose(f);
        snprintf(p, sizeof p, "%s/ft_state%d.safetensors", t, v);
        snprintf(args, sizeof args, "finetune --model %s/model.safetensors --config %s --out %s",
                 dir_a, fcfg, p);
        rc = test_run_segp(args, out, sizeof out);
        CHECK_MSG(rc == 0, "variant %d: %s", v, out);
        CHECK(segp_read_file(p, &state[v], &n_state[v]) == 0);
    }
    CHECK_MSG(n_state[1] == n_state[2] && n_state[1] > 0 &&
                  memcmp(state[1], state[2], n_state[1]) == 0,
              "two augmented fine-tunes with one seed differ");
    CHECK_MSG(n_state[0] == n_state[1] && memcmp(state[0], state[1], n_state[0]) != 0,
              "augmentation did not change the trained state");
    for (int v = 0; v < 3; v++) free(state[v]);
    /* an empty crop range is refused before any work */
    f = fopen(fcfg, "w");
    fputs("{\"augment\": {\"enabled\": true, \"scale_min\": 0.9, \"scale_max\": 0.5}}", f);
    fclose(f);
    snprintf(args, sizeof args, "finetune --model %s/model.safetensors --config %s", dir_a, fcfg);
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 1);
    CHECK_MSG(strstr(out, "augment.scale_min 0.9 is larger than augment.scale_max 0.5"), "%s", out);
}

/* --resume with another thread count than the run recorded: the notice `segp resume` gives
 * (it changed the last bits without a word); none with the same count. */
TEST(pretrain_resume_other_threads_noticed) {
    char cfg[512], dir[512], args[2400], out[8192];
    const char *t = test_tmpdir();
    snprintf(dir, sizeof dir, "%s/pt_threads", t);
    snprintf(cfg, sizeof cfg, "%s/pt_threads.json", t);
    write_cfg(cfg, dir);
    test_one_thread();
    snprintf(args, sizeof args, "pretrain %s --stop-after 4", cfg);
    CHECK_MSG(test_run_segp(args, out, sizeof out) == 0, "%s", out);
    setenv("OMP_NUM_THREADS", "2", 1);
    snprintf(args, sizeof args, "pretrain %s --resume --stop-after 5", cfg);
    CHECK_MSG(test_run_segp(args, out, sizeof out) == 0, "%s", out);
    char want[800];
    snprintf(want, sizeof want, "%s/config.json records 1 thread and this process has 2: the "
             "steps after the checkpoint may differ from the original in the last bits (set "
             "OMP_NUM_THREADS=1 to match)", dir);
    CHECK_MSG(strstr(out, want), "%s", out);
    setenv("OMP_NUM_THREADS", "1", 1);
    snprintf(args, sizeof args, "pretrain %s --resume", cfg);
    CHECK_MSG(test_run_segp(args, out, sizeof out) == 0, "%s", out);
    CHECK_MSG(!strstr(out, "threads and this process has"), "%s", out);
    test_all_threads();
}

/* A run killed before its first checkpoint (config.json and log.jsonl written, no checkpoint):
 * --resume starts it again from step 0 and ends with the uninterrupted run's model bit for
 * bit. It was a dead end: --resume said "no checkpoint to resume from (... run without
 * --resume to start)", and without it "already holds a run (resume it with --resume ...)". */
TEST(pretrain_resume_before_first_checkpoint) {
    char cfg[512], dir[512], ref[512], args[2400], out[8192], p[600], q[600];
    const char *t = test_tmpdir();
    test_one_thread();
    snprintf(ref, sizeof ref, "%s/pt_early_ref", t);
    snprintf(cfg, sizeof cfg, "%s/pt_early_ref.json", t);
    write_cfg(cfg, ref);
    snprintf(args, sizeof args, "pretrain %s", cfg);
    CHECK_MSG(test_run_segp(args, out, sizeof out) == 0, "%s", out);
    snprintf(dir, sizeof dir, "%s/pt_early", t);
    snprintf(cfg, sizeof cfg, "%s/pt_early.json", t);
    write_cfg(cfg, dir);
    snprintf(args, sizeof args, "pretrain %s --stop-after 2", cfg);
    CHECK_MSG(test_run_segp(args, out, sizeof out) == 0, "%s", out);
    snprintf(p, sizeof p, "%s/checkpoint.safetensors", dir);
    CHECK(unlink(p) == 0); /* as killed before the first checkpoint_every steps */
    /* what a kill while writing the checkpoint leaves (removed by the resume), and a file of
     * the user's that only looks alike (kept) */
    snprintf(p, sizeof p, "%s/checkpoint.safetensors.tmp.99999", dir);
    write_text(p, "partial");
    snprintf(p, sizeof p, "%s/notes.tmp.1", dir);
    write_text(p, "mine");
    snprintf(args, sizeof args, "pretrain %s", cfg);
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 1);
    CHECK_MSG(strstr(out, "already holds a run (resume it with --resume"), "%s", out);
    snprintf(args, sizeof args, "pretrain %s --resume", cfg);
    CHECK_MSG(test_run_segp(args, out, sizeof out) == 0 && strstr(out, "done:"), "%s", out);
    snprintf(p, sizeof p, "%s/model.safetensors", ref);
    snprintf(q, sizeof q, "%s/model.safetensors", dir);
    uint8_t *a = NULL, *b = NULL;
    size_t na = 0, nb = 0;
    CHECK(segp_read_file(p, &a, &na) == 0 && segp_read_file(q, &b, &nb) == 0);
    CHECK_MSG(na == nb && na > 0 && !memcmp(a, b, na), "resumed model differs");
    CHECK(!dir_has(dir, "checkpoint.safetensors.tmp.99999") && dir_has(dir, "notes.tmp.1"));
    free(a), free(b);
    snprintf(p, sizeof p, "%s/log.jsonl", ref);
    snprintf(q, sizeof q, "%s/log.jsonl", dir);
    for (int s = 1; s <= 8; s++) CHECK_NEAR(loss_at(q, s), loss_at(p, s), 0);
    uint8_t *log = NULL;
    size_t nl = 0;
    CHECK(segp_read_file(q, &log, &nl) == 0);
    int ones = 0; /* each step logged once: the first try's lines were cut */
    for (const char *at = log ? (const char *)log : ""; (at = strstr(at, "{\"step\":1,")); at++)
        ones++;
    CHECK_EQ_INT(ones, 1);
    free(log);
    /* with neither a checkpoint nor a config.json there is nothing to resume */
    snprintf(args, sizeof args, "pretrain %s --resume --out %s/pt_early_none", cfg, t);
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 1);
    CHECK_MSG(strstr(out, "no checkpoint to resume from"), "%s", out);
    test_all_threads();
}

TEST(pretrain_bad_configs) {
    char cfg[512], args[1024], out[4096];
    snprintf(cfg, sizeof cfg, "%s/bad.json", test_tmpdir());
    struct {
        const char *json, *words;
    } cases[] = {
        {"{\"train\": {\"stepz\": 3}}", "train.stepz"},
        {"{\"train\": {\"steps\": \"many\"}}", "train.steps"},
        {"{\"train\": {\"steps\": -1}}", "out of range"},
        {"{\"train\": {\"lr\": 0.1,}}", "JSON"},
        {"[1, 2]", "object"},
        {"{\"model\": {\"activation\": \"relu\"}}", "relu"},
        {"{\"model\": {\"patch\": 5}}", "patch"},
        /* named by key (the advice was to set the safetensors metadata key segp.vision_heads) */
        {"{\"model\": {\"vision_width\": 30, \"vision_heads\": 4}}",
         "model.vision_heads 4 does not divide model.vision_width 30"},
        {"{\"model\": {\"text_width\": 96, \"text_heads\": 5}}",
         "model.text_heads 5 does not divide model.text_width 96"},
        {"{\"world\": {\"shape_group\": 13}}", "world.shape_group"},
        {"{\"train\": {\"prompt_template\": \"a shape\", \"steps\": 1, \"batch_size\": 4}}",
         "'train.prompt_template': \"a shape\""},
        {"{\"model\": {\"context\": 8}, \"train\": {\"prompt_template\": \"a photo of a very "
         "large {}\", \"steps\": 1, \"batch_size\": 4}}",
         "leaves no room for the class name"},
        {"{\"world\": {\"shape_group\": 5}, \"train\": {\"batch_size\": 12}}",
         "multiple of world.shape_group"},
        /* 65,537 image tokens: 33,078 GiB a step, 32,769 of them attention maps (it made
         * out_dir, then ran out of memory at the first step) */
        {"{\"world\": {\"image_size\": 256}, \"model\": {\"patch\": 1}}",
         "train.batch_size 128 with 65537 image tokens (world.image_size / model.patch, "
         "squared, + 1): a training step needs at least 33078.1 GiB"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        FILE *f = fopen(cfg, "w");
        fputs(cases[i].json, f);
        fclose(f);
        snprintf(args, sizeof args, "pretrain %s --out %s/never", cfg, test_tmpdir());
        int rc = test_run_segp(args, out, sizeof out);
        CHECK_MSG(rc == 1, "case %zu: exit %d: %s", i, rc, out);
        CHECK_MSG(strstr(out, cases[i].words) != NULL, "case %zu lacks '%s': %s", i,
                  cases[i].words, out);
    }
    /* every case was refused before out_dir was made */
    snprintf(cfg, sizeof cfg, "%s/never", test_tmpdir());
    CHECK(!path_exists(cfg));
    CHECK_EQ_INT(test_run_segp("pretrain /nonexistent.json", out, sizeof out), 1);
    CHECK(strstr(out, "/nonexistent.json") != NULL);
}

/* `segp finetune` takes any benchmark (benchmark.* keys): Fashion-MNIST on the tiny fixture
 * CLIP trains, reports per task and overall, saves a changed LoRA state; a bad benchmark key is
 * named before any work. */
TEST(finetune_other_benchmark) {
    const char *fm = "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz";
    FILE *probe = fopen(fm, "rb");
    if (probe) fclose(probe);
    TEST_NEEDS(probe != NULL, "%s missing (Debian's dataset-fashion-mnist)", fm);
    char cfg[512], args[2048], out[8192], lora[600];
    const char *t = test_tmpdir();
    snprintf(cfg, sizeof cfg, "%s/ft_fm.json", t);
    snprintf(lora, sizeof lora, "%s/ft_fm.safetensors", t);
    FILE *f = fopen(cfg, "w");
    fputs("{\"benchmark\": {\"name\": \"fashion-mnist\", \"train_per_class\": 3,"
          " \"test_per_class\": 2, \"tasks\": \"5\"},"
          " \"train\": {\"epochs\": 1, \"batch_size\": 10, \"optimizer\": \"adamw\", \"lr\": 0.01,"
          " \"data_parallel\": true}, \"lora\": {\"rank\": 4, \"alpha\": 4}}", f);
    fclose(f);
    snprintf(args, sizeof args, "finetune --model tests/fixtures/clip_tiny.safetensors --config %s "
             "--out %s", cfg, lora);
    int rc = test_run_segp(args, out, sizeof out);
    CHECK_MSG(rc == 0 &&
                  strstr(out, "benchmark fashion-mnist, test split: 20 images, 10 classes") &&
                  strstr(out, "  task  5 ") && strstr(out, "  overall ") &&
                  strstr(out, "step 3/3  loss "),
              "%s", out);
    /* the trained B moved away from zero */
    clip_model *m = clip_model_load("tests/fixtures/clip_tiny.safetensors", NULL);
    clip_lora_params lp = clip_lora_default_params();
    lp.rank = 4, lp.alpha = 4;
    clip_lora *l = m ? clip_lora_new(m, &lp) : NULL;
    CHECK(l && clip_lora_load(l, lora) == 0);
    double norm = 0;
    for (size_t i = 0; l && i < l->b_size; i++) norm += fabs(l->b[i]);
    CHECK_MSG(norm > 0, "the fine-tune left B at zero");
    clip_lora_free(l);
    clip_model_free(m);
    f = fopen(cfg, "w");
    fputs("{\"benchmark\": {\"name\": \"fashion-mnist\", \"order\": \"sideways\"}}", f);
    fclose(f);
    snprintf(args, sizeof args, "finetune --model tests/fixtures/clip_tiny.safetensors --config %s",
             cfg);
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 1);
    CHECK_MSG(strstr(out, "benchmark.order"), "%s", out);
}

/* segp_float_text: the shortest text that reads back as the float, as a message shows it. */
static void float_is(float v, const char *want) {
    char b[32];
    segp_float_text(v, b, sizeof b);
    CHECK_MSG(!strcmp(b, want), "%.9g: \"%s\", expected \"%s\"", (double)v, b, want);
}

TEST(float_text_shortest_round_trip) {
    float_is(0.05f, "0.05");
    float_is(0.04f, "0.04");
    float_is(1e-3f, "0.001");
    float_is(3.0f, "3");
    float_is(-2.5e-7f, "-2.5e-07");
    float_is(1.0f / 3.0f, "0.33333334");
    float_is(16777217.0f, "16777216");
    float_is(3.40282347e38f, "3.4028235e+38");
    float_is(1e-45f, "1e-45");
    float_is(0.1f + 0.2f, "0.3");
}
