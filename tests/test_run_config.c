/* test_run_config.c: a continual run's config: bad values in a file or a --set refused by key
 * before any run directory exists, devices and precisions, every key in `segp run --help` with
 * the ranges that bind, the shipped configs, float range ends and keys given twice (README's
 * rows: test_readme.c). */
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend/backend.h"
#include "cl/cl_config.h"
#include "cl/methods.h"
#include "core/common.h"
#include "model/clip.h"
#include "model/zeroshot.h"
#include "test.h"
#include "train/finetune.h"
#include "tiny_run.h"

static char out[65536];

/* --set: the value read as its key's type and checked as in a file; every bad one named, before
 * any run directory exists. */
TEST(run_set_bad_values_named) {
    const char *cfg = tiny_config("set-bad", "finetune", "");
    const struct { const char *set, *want; int rc; } cases[] = {
        {"acgd.lambda=abc", "key 'acgd.lambda' expects a number, not \"abc\"", 1},
        /* numbers as the file would hold them: JSON's syntax, not all strtod takes */
        {"seed=0x10", "key 'seed' expects a number, not \"0x10\"", 1},
        {"seed= 2", "key 'seed' expects a number, not \" 2\"", 1},
        {"acgd.lambda=+5", "key 'acgd.lambda' expects a number, not \"+5\"", 1},
        {"acgd.lambda=5.", "key 'acgd.lambda' expects a number, not \"5.\"", 1},
        {"acgd.lambda=-1", "with its --set overrides: key 'acgd.lambda': -1", 1},
        {"nokey=1", "unknown key 'nokey'", 1},
        {"acgd.lambda", "expected KEY=VALUE", 1},
        {"=5", "expected KEY=VALUE", 1},
        {"augment.enabled=yes", "expects true or false", 1},
        {"benchmark.eval_split=dev", "benchmark.eval_split: \"dev\" (expected test or val)", 1},
        {"benchmark.tasks=7", "do not divide", 1},
        {"prompt_template=a photo", "'prompt_template': \"a photo\" has no {}", 1},
        /* a data file for the shapes world went unused, silently */
        {"benchmark.classes_file=names.txt",
         "benchmark.classes_file: \"names.txt\" means nothing for the shapes world", 1},
        {"benchmark.root=/data", "benchmark.root: \"/data\" means nothing for the shapes", 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char dir[512], args[1500];
        snprintf(dir, sizeof dir, "%s/set-bad-%zu", test_tmpdir(), i);
        snprintf(args, sizeof args, "run %s --set '%s' --out %s", cfg, cases[i].set, dir);
        CHECK_EQ_INT(test_run_segp(args, out, sizeof out), cases[i].rc);
        CHECK_MSG(strstr(out, cases[i].want), "--set %s: %s", cases[i].set, out);
        CHECK_MSG(!dir_has(dir, ""), "--set %s made %s", cases[i].set, dir);
    }
    /* a string key takes the text as it is, or JSON-quoted */
    cl_config c = cl_config_default();
    CHECK(cl_config_set(&c, "prompt_template=a sketch of a {}.") == 0);
    CHECK(!strcmp(c.train.template_, "a sketch of a {}."));
    CHECK(cl_config_set(&c, "benchmark.tasks=\"B0-Inc20\"") == 0);
    CHECK(!strcmp(c.bench.tasks, "B0-Inc20"));
    CHECK(cl_config_set(&c, "acgd.lambda=2.5e1") == 0);
    CHECK_NEAR(c.segp.lambda_acgd, 25.0, 0);
    CHECK(cl_config_set(&c, "acgd.lambda=-0.5E-1") == 0);
    CHECK_NEAR(c.segp.lambda_acgd, -0.05, 1e-9);
    CHECK(cl_config_set(&c, "seed=0") == 0 && c.seed == 0);
    /* a key set twice among the --set list is refused by name (the last one won, silently) */
    const char *twice[] = {"seed=3", "acgd.lambda=2", "seed=4"};
    CHECK(cl_config_set_all(&c, twice, 3) != 0);
    CHECK_MSG(strstr(segp_last_error(), "--set seed=4: key 'seed' is set twice (also --set "
                                        "seed=3)"), "%s", segp_last_error());
    const char *once[] = {"seed=5", "acgd.lambda=3"};
    CHECK(cl_config_set_all(&c, once, 2) == 0 && c.seed == 5 && c.segp.lambda_acgd == 3);
    char dir[512], args[1500];
    snprintf(dir, sizeof dir, "%s/set-twice", test_tmpdir());
    snprintf(args, sizeof args, "run %s --set seed=1 --set seed=2 --out %s", cfg, dir);
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 1);
    CHECK_MSG(strstr(out, "key 'seed' is set twice") && !dir_has(dir, ""), "%s", out);
    CHECK(cl_config_set(&c, "augment.enabled=true") == 0 && c.train.augment == 1);
    /* a JSON-quoted string is JSON: a \u0000 cut it ("a" ran as the template) */
    snprintf(c.train.template_, sizeof c.train.template_, "kept {}");
    CHECK(cl_config_set(&c, "prompt_template=\"a\\u0000 photo of a {}.\"") != 0);
    CHECK_MSG(strstr(segp_last_error(), "--set prompt_template: a \\u0000 (NUL) in a string at "
                                        "line 1, column 3"), "%s", segp_last_error());
    CHECK(!strcmp(c.train.template_, "kept {}"));
    CHECK(cl_config_set(&c, "prompt_template=\"a\\u0041 {}\"") == 0);
    CHECK(!strcmp(c.train.template_, "aA {}"));
}

/* A bad config: non-zero exit, one message naming WANT, and no run directory. */
static void bad_config(const char *name, const char *extra, const char *want) {
    char dir[512], args[1400];
    snprintf(dir, sizeof dir, "%s/bad-%s", test_tmpdir(), name);
    snprintf(args, sizeof args, "run %s --out %s", tiny_config(name, "finetune", extra), dir);
    int rc = test_run_segp(args, out, sizeof out);
    CHECK_MSG(rc != 0, "%s: accepted", name);
    CHECK_MSG(strstr(out, want) != NULL, "%s: '%s' not in: %s", name, want, out);
    CHECK_MSG(!dir_has(dir, ""), "%s: a run directory was created", name);
}

TEST(run_bad_configs_named) {
    test_one_thread();
    bad_config("unknown", ", \"bogus\": {\"key\": 1}", "'bogus'");
    bad_config("type", ", \"lora\": {\"rank\": \"32\"}", "lora.rank");
    bad_config("method", ", \"loss\": {\"cls_classes\": \"all\"}", "loss.cls_classes");
    bad_config("maxtasks", ", \"run\": {\"max_tasks\": 11}", "run.max_tasks");
    /* a template without {} gives every class one prompt: a run of nothing */
    bad_config("template", ", \"prompt_template\": \"a photo of a shape.\"",
               "key 'prompt_template': \"a photo of a shape.\" has no {}");
    /* a template so long that cutting the prompts to the context (32 tokens here) takes the
     * class names away: every class had one prompt (loss 2.3026, chance accuracy, exit 0) */
    bad_config("long-template", ", \"prompt_template\": \"a very a very a very a very a very "
               "a very a very a very a very a very a very a very a very a very a very a very a "
               "very nice photo of a {}.\"", "key 'prompt_template': the prompts of \"");
    CHECK_MSG(strstr(out, "are the same once cut to the model's context of 32 tokens"), "%s",
              out);
    /* more anchor seeds per old class than a task has training images: refused before any
     * run directory (it failed at task 2, after task 1 had trained, with "fix and resume") */
    char dir[512], args[1400];
    snprintf(dir, sizeof dir, "%s/bad-anchors", test_tmpdir());
    snprintf(args, sizeof args, "run %s --out %s", tiny_config("bad-anchors", "segp",
             ", \"anchors\": {\"per_class\": 101, \"steps\": 1}"), dir);
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 1);
    CHECK_MSG(strstr(out, "key 'anchors.per_class' = 101 but task 2 has 100 training images") &&
                  !dir_has(dir, ""),
              "%s", out);
    /* keys TINY_RUN sets itself: replace the value in the text */
    char json[2048];
    snprintf(json, sizeof json, TINY_RUN, "finetune", "");
    char *m = strstr(json, "sample_runs/models/shapes-clip.safetensors");
    char bad[2100];
    snprintf(bad, sizeof bad, "%.*s%s%s", (int)(m - json), json, "no/such/model.safetensors",
             m + strlen("sample_runs/models/shapes-clip.safetensors"));
    snprintf(dir, sizeof dir, "%s/bad-model", test_tmpdir());
    snprintf(args, sizeof args, "run %s --out %s", write_config("bad-model", bad), dir);
    CHECK(test_run_segp(args, out, sizeof out) != 0 && strstr(out, "'model'") &&
          strstr(out, "no/such/model.safetensors") && !dir_has(dir, ""));
    char cwd[512];
    CHECK(getcwd(cwd, sizeof cwd) != NULL);
    char where[600];
    snprintf(where, sizeof where, "a relative path is taken from the current directory, %s)",
             cwd);
    CHECK_MSG(strstr(out, where) != NULL, "'%s' not in: %s", where, out);
    struct {
        const char *name, *from, *to, *want;
    } cases[] = {
        {"zero-tasks", "\"B0-Inc10\"", "\"0\"", "benchmark.tasks"},
        {"too-many-tasks", "\"B0-Inc10\"", "\"200\"", "benchmark.tasks"},
        {"split", "\"B0-Inc10\"", "\"B0-Inc7\"", "benchmark.tasks"},
        {"order", "\"latin\"", "\"ORDERFILE\"", "benchmark.order"},
        {"method-name", "\"finetune\"", "\"segp-cl\"", "'method'"},
    };
    char order_file[600];
    snprintf(order_file, sizeof order_file, "%s/dup_order.txt", test_tmpdir());
    FILE *f = fopen(order_file, "w");
    for (int k = 0; k < 100; k++) fprintf(f, "%d ", k == 5 ? 4 : k); /* 4 twice, 5 missing */
    fclose(f);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(json, sizeof json, TINY_RUN, "finetune", "");
        char *at = strstr(json, cases[i].from);
        const char *to = strcmp(cases[i].to, "\"ORDERFILE\"") ? cases[i].to : NULL;
        char quoted[700];
        if (!to) snprintf(quoted, sizeof quoted, "\"%s\"", order_file), to = quoted;
        snprintf(bad, sizeof bad, "%.*s%s%s", (int)(at - json), json, to,
                 at + strlen(cases[i].from));
        snprintf(dir, sizeof dir, "%s/bad-%s", test_tmpdir(), cases[i].name);
        snprintf(args, sizeof args, "run %s --out %s", write_config(cases[i].name, bad), dir);
        int rc = test_run_segp(args, out, sizeof out);
        CHECK_MSG(rc != 0 && strstr(out, cases[i].want), "%s: rc %d, '%s' not in: %s",
                  cases[i].name, rc, cases[i].want, out);
        CHECK_MSG(!dir_has(dir, ""), "%s: a run directory was created", cases[i].name);
    }
    /* an existing directory is never overwritten */
    snprintf(args, sizeof args, "run %s --out %s", tiny_config("exists", "finetune", ""),
             test_tmpdir());
    CHECK(test_run_segp(args, out, sizeof out) != 0 && strstr(out, "already exists"));
    /* ... and resume is offered only for a run directory: not for a folder of other things
     * nor a file (it offered 'segp resume CONFIG.json') */
    CHECK_MSG(strstr(out, "a run is written into a new folder only") && !strstr(out, "resume"),
              "%s", out);
    const char *file = tiny_config("exists-file", "finetune", "");
    snprintf(args, sizeof args, "run %s --out %s", file, file);
    CHECK(test_run_segp(args, out, sizeof out) != 0);
    CHECK_MSG(strstr(out, "already exists and is not a folder") && !strstr(out, "resume"), "%s",
              out);
    snprintf(args, sizeof args, "run %s --out ''", file);
    CHECK(test_run_segp(args, out, sizeof out) != 0);
    CHECK_MSG(strstr(out, "the run directory's path is empty"), "%s", out);
    test_all_threads();
}

/* A folder list that leaves a class out of the train split: the run trained task 1, then
 * stopped at task 2 with "no training images" and "fix and resume" (while a class among
 * others with images was never learned at all). Refused by class before any run directory. */
TEST(run_class_without_training_images_refused) {
    test_one_thread();
    mkdirs(tpath("nolearn/img", ""));
    char name[64], train[256] = "", test[256] = "";
    for (int i = 0; i < 8; i++) {
        snprintf(name, sizeof name, "img/%d.png", i);
        write_synth_png(tpath("nolearn/%s", name), i, 8, 8);
        char line[96];
        snprintf(line, sizeof line, "%s %d\n", name, i % 4);
        if (i % 4 != 2) strcat(train, line); /* class 2, "c", has no training image */
        strcat(test, line);
    }
    write_text(tpath("nolearn/%s", "train.txt"), train);
    write_text(tpath("nolearn/%s", "test.txt"), test);
    write_text(tpath("nolearn/%s", "classes.txt"), "a\nb\nc\nd\n");
    char dir[512], args[1600];
    const char *cfg = tiny_config("nolearn", "finetune", "");
    const char *sets = "--set benchmark.name=folder --set benchmark.order=identity "
                       "--set benchmark.tasks=2 --set run.max_tasks=0";
    snprintf(dir, sizeof dir, "%s/nolearn-run", test_tmpdir());
    snprintf(args, sizeof args, "run %s %s --set benchmark.root=%s --out %s", cfg, sets,
             tpath("nolearn", ""), dir);
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 1);
    CHECK_MSG(strstr(out, "key 'benchmark.root' (folder): class 2 (\"c\", task 2) has no "
                          "training images") != NULL, "%s", out);
    CHECK_MSG(!dir_has(dir, ""), "a run directory was created: %s", out);
    /* the zeroshot method trains nothing: it runs */
    snprintf(args, sizeof args, "run %s %s --set benchmark.root=%s --set method=zeroshot "
             "--out %s", cfg, sets, tpath("nolearn", ""), dir);
    CHECK_MSG(test_run_segp(args, out, sizeof out) == 0, "%s", out);
    test_all_threads();
}

/* A list naming a file the disk lacks (a partial download), or one that is no image: the run
 * stopped at the task that needed it, after the tasks before had trained. Refused before any
 * run directory, naming the file, why, and its class. */
TEST(run_missing_image_file_refused) {
    test_one_thread();
    mkdirs(tpath("nofile/img", ""));
    char name[64], list[256] = "";
    for (int i = 0; i < 8; i++) {
        snprintf(name, sizeof name, "img/%d.png", i);
        if (i != 7) write_synth_png(tpath("nofile/%s", name), i, 8, 8); /* 7: class 3, task 2 */
        char line[96];
        snprintf(line, sizeof line, "%s %d\n", name, i % 4);
        strcat(list, line);
    }
    write_text(tpath("nofile/%s", "train.txt"), "img/0.png 0\nimg/1.png 1\nimg/2.png 2\n"
                                                 "img/3.png 3\n");
    write_text(tpath("nofile/%s", "test.txt"), list);
    char dir[512], args[1600];
    const char *cfg = tiny_config("nofile", "finetune", "");
    const char *sets = "--set benchmark.name=folder --set benchmark.order=identity "
                       "--set benchmark.tasks=2 --set run.max_tasks=0";
    snprintf(dir, sizeof dir, "%s/nofile-run", test_tmpdir());
    snprintf(args, sizeof args, "run %s %s --set benchmark.root=%s --out %s", cfg, sets,
             tpath("nofile", ""), dir);
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 1);
    CHECK_MSG(strstr(out, "key 'benchmark.root' (folder): ") && strstr(out, "img/7.png: No such "
                     "file or directory (a test image of class 3, \"3\"); 1 of the 8 test "
                     "images") != NULL, "%s", out);
    CHECK_MSG(!dir_has(dir, ""), "a run directory was created: %s", out);
    /* files there that are no images: an HTML page a failed download saved, an empty file
     * (the run stopped at their task too, after the tasks before had trained) */
    write_text(tpath("nofile/%s", "img/7.png"), "<html><body>404 Not Found</body></html>\n");
    write_text(tpath("nofile/%s", "img/6.png"), "");
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 1);
    CHECK_MSG(strstr(out, "img/6.png: empty file (expected a PNG or JPEG image) (a test image of "
                     "class 2, \"2\"); 2 of the 8 test images checked are not readable PNG or "
                     "JPEG files") != NULL, "%s", out);
    CHECK_MSG(!dir_has(dir, ""), "a run directory was created: %s", out);
    write_synth_png(tpath("nofile/%s", "img/6.png"), 6, 8, 8);
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 1);
    CHECK_MSG(strstr(out, "img/7.png: not a PNG or JPEG image (unrecognised file signature) (a "
                     "test image of class 3, \"3\"); 1 of the 8 test images checked is not a "
                     "readable PNG or JPEG file (expected every file") != NULL, "%s", out);
    CHECK_MSG(!dir_has(dir, ""), "a run directory was created: %s", out);
    /* the file there: the run goes through */
    write_synth_png(tpath("nofile/%s", "img/7.png"), 7, 8, 8);
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 0);
    test_all_threads();
}

/* Devices: a bad name or precision in the config is refused by key; no run directory. */
TEST(run_device_refused_by_key) {
    test_one_thread();
    bad_config("device", ", \"run\": {\"device\": \"gpu\"}", "run.device");
    bad_config("device-n", ", \"run\": {\"device\": \"cuda:x\"}", "run.device");
    bad_config("precision", ", \"run\": {\"precision\": \"fp16\"}", "run.precision");
    bad_config("precision-cpu", ", \"run\": {\"precision\": \"bf16\"}", "run.precision");
    test_all_threads();
}

/* `segp ARGS` fails, its message holds WANT and not the config key AVOID, and DIR is not made. */
static void flag_refused(const char *args, const char *dir, const char *want,
                         const char *avoid) {
    CHECK_MSG(test_run_segp(args, out, sizeof out) == 1, "%s: accepted: %s", args, out);
    CHECK_MSG(strstr(out, want) != NULL, "%s: '%s' not in: %s", args, want, out);
    CHECK_MSG(!avoid || !strstr(out, avoid), "%s: '%s' in: %s", args, avoid, out);
    CHECK_MSG(!dir || !dir_has(dir, ""), "%s: a run directory was created", args);
}

/* --device and --precision on the command line: their errors named the config key they set
 * (run.device / run.precision), which the user never typed; they name the flag. A value from
 * --set is the key's. CUDA without a CUDA build or without a GPU is refused with the reason. */
TEST(run_device_flags_named) {
    test_one_thread();
    char dir[512], args[1400];
    snprintf(dir, sizeof dir, "%s/flags", test_tmpdir());
    const char *cfg = tiny_config("flags", "finetune", "");
    snprintf(args, sizeof args, "run %s --out %s --precision bf16", cfg, dir);
    flag_refused(args, dir, "segp: error: --precision: bf16 on the CPU: the CPU backend computes "
                 "in FP32 only", "run.precision");
    snprintf(args, sizeof args, "run %s --out %s --precision fp16", cfg, dir);
    flag_refused(args, dir, "segp: error: --precision: 'fp16' (expected fp32, tf32 or bf16)\n",
                 "run.precision");
    snprintf(args, sizeof args, "run %s --out %s --device gpu", cfg, dir);
    flag_refused(args, dir, "segp: error: --device: unknown device 'gpu' (expected cpu, cuda or "
                 "cuda:N", "run.device");
    snprintf(args, sizeof args, "run %s --out %s --set run.precision=bf16", cfg, dir);
    flag_refused(args, dir, "with its --set overrides: key 'run.precision': bf16 on the CPU", NULL);
    /* resume's --precision over a run recorded on the CPU */
    char cut[600], cmd[3000];
    snprintf(cut, sizeof cut, "%s/flags-cut", test_tmpdir());
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && cp -r sample_runs/default-run '%s' && "
             "rm '%s/DONE' '%s/tasks/10/DONE'", cut, cut, cut, cut);
    CHECK_MSG(system(cmd) == 0, "%s", cmd);
    snprintf(args, sizeof args, "resume '%s' --precision bf16", cut);
    flag_refused(args, NULL, "segp: error: --precision: bf16 on the CPU", "run.precision");
    snprintf(cmd, sizeof cmd, "test ! -e '%s/tasks/10/DONE' && cmp '%s/events.jsonl' "
             "sample_runs/default-run/events.jsonl", cut, cut);
    CHECK_MSG(system(cmd) == 0, "the refused resume wrote into %s", cut);
    /* the commands that load a model with their --precision (it said "precision: bf16 ...") */
    flag_refused("zeroshot --model sample_runs/models/shapes-clip.safetensors --benchmark shapes "
                 "--precision bf16", NULL, "segp: error: --precision: bf16 on the CPU", NULL);
    if (!segp_backend_get("cuda")) { /* this machine: no CUDA build, or no GPU */
        snprintf(args, sizeof args, "run %s --out %s --device cuda", cfg, dir);
#ifdef SEGP_CUDA
        flag_refused(args, dir, "segp: error: --device: device 'cuda': ", "run.device");
        CHECK_MSG(strstr(out, "CUDA"), "%s", out);
#else
        flag_refused(args, dir, "segp: error: --device: device 'cuda': this segp was built "
                     "without CUDA", "run.device");
#endif
        snprintf(args, sizeof args, "resume '%s' --device cuda", cut);
        flag_refused(args, NULL, "segp: error: --device: device 'cuda': ", "run.device");
    }
    segp_clear_error();
    test_all_threads();
}

/* Every key, the run directory's top-level files (the CLIP branch's matrix and the config's
 * checksum were missing) and where Ctrl-C stops (README: also within an evaluation, an anchor
 * build or a prototype pass; the help said only "after the current step"). */
TEST(run_help_lists_every_key) {
    CHECK_EQ_INT(test_run_segp("run --help", out, sizeof out), 0);
    int n;
    const cfg_field *f = cl_config_fields(&n);
    for (int i = 0; i < n; i++) CHECK_MSG(strstr(out, f[i].key) != NULL, "%s", f[i].key);
    const char *files[] = {"config.json", "config.json.sha256", "events.jsonl", "metrics.jsonl",
                           "accuracy_matrix.npy", "accuracy_matrix_clip.npy", "tasks/NN/"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
        CHECK_MSG(strstr(out, files[i]) != NULL, "%s", files[i]);
    CHECK_MSG(strstr(out, "Ctrl-C (or SIGTERM) stops after the current step, or the current "
                          "chunk of an\nevaluation, anchor build or prototype pass (exit 130)"),
              "%s", out);
}

TEST(run_sample_configs_parse) {
    /* every shipped config parses against the table, with a known method and loss */
    glob_t g;
    CHECK(glob("sample_runs/*.json", 0, NULL, &g) == 0);
    CHECK(g.gl_pathc >= 13);
    for (size_t i = 0; i < g.gl_pathc; i++) {
        cl_config c = cl_config_default();
        CHECK_MSG(cl_config_parse_file(g.gl_pathv[i], &c) == 0, "%s", segp_last_error());
        CHECK_MSG(cl_method_find(c.method) != NULL, "%s: method %s", g.gl_pathv[i], c.method);
        CHECK(!strcmp(c.cls_classes, "task") && c.train.rank == 32);
    }
    globfree(&g);
    /* the fine-tune baseline is the calibration setting of issue 11; the default is SeGP-CL
     * with the same training settings and METHOD.md's defaults for its own parts */
    cl_config d = cl_config_default();
    CHECK(cl_config_parse_file("sample_runs/default.json", &d) == 0);
    CHECK(!strcmp(d.method, "segp") && !strcmp(d.segp.anchors, "pgd") && d.segp.k_seed == 5 &&
          d.segp.k_adv == 10 && d.segp.transfer == 1 && d.segp.tsgr_k == 10 &&
          d.segp.acgd_batch == 64);
    CHECK_NEAR(d.segp.gamma, 1.5e-3, 1e-8);
    CHECK_NEAR(d.segp.epsilon, 4.0 / 255, 1e-8);
    CHECK_NEAR(d.segp.lambda_acgd, 5, 0);
    CHECK_NEAR(d.segp.tau_acgd, 20, 0);
    CHECK_NEAR(d.segp.lambda_gr, 1, 0);
    CHECK_NEAR(d.segp.tau_gr, 0.05, 1e-8);
    CHECK_NEAR(d.segp.tau_p, 0.1, 1e-8);
    CHECK_NEAR(d.segp.beta, 0.5, 0);
    CHECK_NEAR(d.segp.lambda_p, 1, 0);
    d = cl_config_default();
    CHECK(cl_config_parse_file("sample_runs/shapes-finetune.json", &d) == 0);
    CHECK(!strcmp(d.method, "finetune") && !strcmp(d.bench.name, "shapes") &&
          !strcmp(d.bench.order, "latin") && d.bench.train_per_class == 100 &&
          d.train.epochs == 3 && !strcmp(d.train.optimizer, "adamw") &&
          d.train.batch_size == 64 && d.train.augment == 0 && d.seed == 1);
    CHECK_NEAR(d.train.lr, 1e-3, 1e-9);
    /* the real-benchmark configs run SeGP-CL with the paper's recipe (METHOD.md §2) and
     * METHOD.md's defaults for its parts */
    CHECK(glob("sample_runs/vitb16-*.json", 0, NULL, &g) == 0);
    CHECK(g.gl_pathc == 5);
    for (size_t i = 0; i < g.gl_pathc; i++) {
        const char *p = g.gl_pathv[i];
        d = cl_config_default();
        CHECK_MSG(cl_config_parse_file(p, &d) == 0, "%s", segp_last_error());
        CHECK_MSG(!strcmp(d.method, "segp") && !strcmp(d.segp.anchors, "pgd") &&
                      d.segp.k_seed == 5 && d.segp.k_adv == 10 && d.segp.transfer == 1 &&
                      d.segp.tsgr_k == 10 && d.segp.acgd_batch == 64,
                  "%s", p);
        CHECK_MSG(!strcmp(d.train.optimizer, "sgd") && d.train.epochs == 10 &&
                      d.train.batch_size == 128 && d.train.augment == 1,
                  "%s", p);
        CHECK_NEAR(d.train.lr, 1e-3, 1e-9);
        CHECK_NEAR(d.train.momentum, 0.9, 1e-7);
        CHECK_NEAR(d.segp.lambda_acgd, 5, 0);
        CHECK_NEAR(d.segp.lambda_gr, 1, 0);
        CHECK_NEAR(d.segp.beta, 0.5, 0);
        CHECK_NEAR(d.segp.epsilon, 4.0 / 255, 1e-8);
        CHECK_NEAR(d.segp.gamma, 1.5e-3, 1e-8);
    }
    globfree(&g);
}

/* A float key at the end of its range (tsgr.lambda's 1e30 is not a float: it is stored as
 * 1.00000002e30) is judged as stored, so the config written back out reads back in (a fuzzing
 * finding: the written value was refused as out of range). */
TEST(run_config_float_at_range_end_round_trips) {
    int n;
    const cfg_field *f = cl_config_fields(&n);
    cl_config c = cl_config_default(), back = cl_config_default();
    CHECK(cfg_parse_string("{\"tsgr\": {\"lambda\": 1e30}, \"acgd\": {\"lambda\": -1e30}}",
                           "t.json", f, n, &c) == 0);
    char *json = cfg_to_json(f, n, &c, NULL);
    CHECK_MSG(cfg_parse_string(json, "written.json", f, n, &back) == 0, "%s", segp_last_error());
    CHECK(back.segp.lambda_gr == c.segp.lambda_gr && back.segp.lambda_acgd == c.segp.lambda_acgd);
    free(json);
    CHECK(cfg_parse_string("{\"tsgr\": {\"lambda\": 1e31}}", "t.json", f, n, &c) != 0);
    CHECK(strstr(segp_last_error(), "tsgr.lambda") != NULL);
}

/* config.json holds each float as the shortest text that reads back as it: the default
 * learning rate reads "lr": 0.001 (it read 0.00100000005, %.9g), and every float key written
 * out reads back as the same float. */
TEST(run_config_floats_written_short) {
    int n;
    const cfg_field *f = cl_config_fields(&n);
    cl_config c = cl_config_default(), back = cl_config_default();
    CHECK(cfg_parse_string("{\"train\": {\"lr\": 0.001, \"momentum\": 0.9}, "
                           "\"acgd\": {\"lambda\": 0.3}, \"tsgr\": {\"lambda\": 1e-7}}",
                           "t.json", f, n, &c) == 0);
    char *json = cfg_to_json(f, n, &c, NULL);
    CHECK_MSG(strstr(json, "\"lr\":\t0.001,") && strstr(json, "\"momentum\":\t0.9,") &&
                  strstr(json, "\"lambda\":\t0.3") && strstr(json, "\"lambda\":\t1e-07"),
              "%s", json);
    CHECK_MSG(cfg_parse_string(json, "written.json", f, n, &back) == 0, "%s", segp_last_error());
    for (int i = 0; i < n; i++)
        if (f[i].type == CFG_FLOAT)
            CHECK_MSG(*(const float *)((const char *)&back + f[i].offset) ==
                          *(const float *)((const char *)&c + f[i].offset),
                      "%s", f[i].key);
    free(json);
}

/* A value out of range is named with the range as it binds: an integer key's numbers in full
 * (they read "'seed' = 9.0072e+15 is out of range (expected 0 to 9.0072e+15)"), and a bound of
 * +-1e30 left out as in the help (it read "(expected -1e+30 to 1)"). */
TEST(run_config_out_of_range_message) {
    int n;
    const cfg_field *f = cl_config_fields(&n);
    const char *cases[][2] = {
        {"{\"seed\": 9007199254740994}",
         "key 'seed' = 9007199254740994 is out of range (expected 0 to 9007199254740991)"},
        {"{\"seed\": 9007199254740992}",
         "key 'seed' = 9007199254740992 is out of range (expected 0 to 9007199254740991)"},
        {"{\"benchmark\": {\"order_seed\": 4294967296}}",
         "key 'benchmark.order_seed' = 4294967296 is out of range (expected 0 to 4294967295)"},
        {"{\"benchmark\": {\"train_per_class\": 100000001}}",
         "= 100000001 is out of range (expected 0 to 100000000)"},
        {"{\"anchors\": {\"epsilon\": 1.5}}",
         "key 'anchors.epsilon' = 1.5 is out of range (expected <= 1)"},
        {"{\"train\": {\"lr\": 101}}", "key 'train.lr' = 101 is out of range (expected 0 to 100)"}};
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        cl_config c = cl_config_default();
        CHECK(cfg_parse_string(cases[k][0], "t.json", f, n, &c) != 0);
        CHECK_MSG(strstr(segp_last_error(), cases[k][1]) != NULL, "%s: %s", cases[k][0],
                  segp_last_error());
    }
}

/* The keys' help gives a range only where one binds: [lo..hi], one side, or none (the +-1e30
 * of keys whose own check says what holds, e.g. acgd.tau > 0, is no range to print). */
TEST(run_config_help_ranges) {
    int n;
    const cfg_field *f = cl_config_fields(&n);
    cl_config d = cl_config_default();
    char *doc = cfg_doc(f, n, &d);
    CHECK(doc != NULL);
    const char *want[][2] = {{"acgd.batch ", "(default 64 [1..65536])"},
                             {"acgd.tau ", "> 0 (METHOD.md §5) (default 20)\n"},
                             {"acgd.lambda ", "(default 5)\n"},
                             {"anchors.epsilon ", "(default 0.0156863 [<= 1])\n"},
                             {"seed ", "(default 1 [0..9007199254740991])\n"},
                             {"benchmark.order_seed ", "(default 1993 [0..4294967295])\n"}};
    for (size_t k = 0; doc && k < sizeof want / sizeof want[0]; k++) {
        const char *line = strstr(doc, want[k][0]), *end = line ? strchr(line, '\n') : NULL;
        const char *at = line ? strstr(line, want[k][1]) : NULL;
        CHECK_MSG(at && at < end + 1, "key %s: '%s' not on its help line", want[k][0],
                  want[k][1]);
    }
    CHECK(doc && !strstr(doc, "1e+30"));
    free(doc);
}

/* Seeds up to 2^53 - 1 arrive exact from --set and from a file, and the resolved config
 * (config.json, which resume reads) holds them exact: cJSON wrote 2^53 - 1 as
 * 9.00719925474099e+15, and --set went through that printing too (the run used ...990). */
TEST(run_config_large_seed_exact) {
    int n;
    const cfg_field *f = cl_config_fields(&n);
    const uint64_t seeds[] = {9007199254740991ull, 9007199254740989ull, 4503599627370497ull};
    for (size_t k = 0; k < sizeof seeds / sizeof seeds[0]; k++) {
        char set[64], file[96];
        snprintf(set, sizeof set, "seed=%llu", (unsigned long long)seeds[k]);
        snprintf(file, sizeof file, "{\"seed\": %llu}", (unsigned long long)seeds[k]);
        cl_config a = cl_config_default(), b = cl_config_default(), back = cl_config_default();
        CHECK_MSG(cl_config_set(&a, set) == 0, "%s", segp_last_error());
        CHECK_MSG(a.seed == seeds[k], "--set %s gave %llu", set, (unsigned long long)a.seed);
        CHECK(cfg_parse_string(file, "t.json", f, n, &b) == 0 && b.seed == seeds[k]);
        char *json = cfg_to_json(f, n, &a, NULL);
        CHECK_MSG(json && strstr(json, set + 5), "config.json lacks %s", set + 5);
        CHECK(json && cfg_parse_string(json, "config.json", f, n, &back) == 0);
        CHECK_MSG(back.seed == seeds[k], "read back %llu", (unsigned long long)back.seed);
        free(json);
    }
}

/* A key given twice is refused by name, not settled by whichever came last: twice in one
 * object, as a nested and a dotted key, and in a group given twice; a group given twice with
 * different keys is fine. */
TEST(run_config_duplicate_keys_refused) {
    int n;
    const cfg_field *f = cl_config_fields(&n);
    const char *cases[][2] = {
        {"{\"seed\": 1, \"seed\": 2}", "'seed' is given twice"},
        {"{\"acgd\": {\"lambda\": 1, \"tau\": 2, \"lambda\": 3}}", "'acgd.lambda' is given twice"},
        {"{\"benchmark\": {\"name\": \"shapes\"}, \"benchmark.name\": \"shapes\"}",
         "'benchmark.name' is given twice"},
        {"{\"tsgr\": {\"k\": 3}, \"tsgr\": {\"tau\": 1, \"k\": 4}}", "'tsgr.k' is given twice"}};
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        cl_config c = cl_config_default();
        CHECK(cfg_parse_string(cases[k][0], "t.json", f, n, &c) != 0);
        CHECK_MSG(strstr(segp_last_error(), cases[k][1]) != NULL, "%s: %s", cases[k][0],
                  segp_last_error());
    }
    cl_config c = cl_config_default(); /* the same leaf names in different groups are fine */
    CHECK(cfg_parse_string("{\"acgd\": {\"lambda\": 2}, \"tsgr\": {\"lambda\": 3}}", "t.json", f,
                           n, &c) == 0);
    CHECK(c.segp.lambda_acgd == 2 && c.segp.lambda_gr == 3);
    CHECK(cfg_parse_string("{\"tsgr\": {\"k\": 3}, \"tsgr\": {\"tau\": 1}}", "t.json", f, n,
                           &c) == 0);
    CHECK(c.segp.tsgr_k == 3 && c.segp.tau_gr == 1);
    /* two keys of one setting (finetune's world.* names for benchmark.*): both given is refused,
     * either alone is read */
    const cfg_field *ff = finetune_config_fields(&n);
    finetune_config fc = finetune_default_config();
    CHECK(cfg_parse_string("{\"world\": {\"train_per_class\": 2}, \"benchmark\": "
                           "{\"train_per_class\": 3}}", "ft.json", ff, n, &fc) != 0);
    CHECK_MSG(strstr(segp_last_error(), "ft.json: keys 'world.train_per_class' and "
                                        "'benchmark.train_per_class' name the same setting"),
              "%s", segp_last_error());
    fc = finetune_default_config();
    CHECK(cfg_parse_string("{\"benchmark\": {\"train_per_class\": 3}}", "ft.json", ff, n,
                           &fc) == 0 && fc.bench.train_per_class == 3);
    fc = finetune_default_config();
    CHECK(cfg_parse_string("{\"world\": {\"train_per_class\": 2}}", "ft.json", ff, n, &fc) == 0 &&
          fc.bench.train_per_class == 2);
    /* the writer names each such setting once (under world.*), so what it writes reads back */
    fc.bench.test_per_class = 7;
    char *js = cfg_to_json(ff, n, &fc, NULL);
    const char *once = js ? strstr(js, "\"train_per_class\"") : NULL;
    CHECK_MSG(once && !strstr(once + 1, "\"train_per_class\""), "%s", js ? js : "(null)");
    finetune_config back = finetune_default_config();
    CHECK(js && cfg_parse_string(js, "written.json", ff, n, &back) == 0);
    CHECK(back.bench.train_per_class == 2 && back.bench.test_per_class == 7);
    free(js);
}

/* A prompt template without {} is refused wherever one is taken: segp zeroshot --template,
 * segp finetune's config (before the model loads); segp run's: run_bad_configs_named. */
/* A config with bytes after a NUL: refused with the file and the NUL's offset (the JSON
 * parser stopped at the NUL and the rest was passed over), by every reader of configs. */
TEST(run_config_nul_byte_refused) {
    char path[600], dir[600], args[3000], want[800];
    snprintf(path, sizeof path, "%s/nul.json", test_tmpdir());
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    if (!f) return;
    fwrite("{\"seed\":1}\0{\"junk\"", 1, 19, f);
    fclose(f);
    snprintf(want, sizeof want, "%s: a NUL byte at offset 10 of 19", path);
    snprintf(dir, sizeof dir, "%s/nul-run", test_tmpdir());
    const char *cmds[] = {"run %s --out %s", "pretrain %s --out %s", "ablate %s --list"};
    for (size_t k = 0; k < sizeof cmds / sizeof cmds[0]; k++) {
        snprintf(args, sizeof args, cmds[k], path, dir);
        CHECK_MSG(test_run_segp(args, out, sizeof out) == 1 && strstr(out, want) &&
                      !dir_has(dir, ""), "segp %s: %s", args, out);
    }
    /* a run directory's config.json: resume and info name it */
    snprintf(args, sizeof args, "rm -rf '%s' && cp -r sample_runs/default-run '%s' && rm '%s/DONE'"
             " && printf '\\000x' >> '%s/config.json'", dir, dir, dir, dir);
    CHECK(system(args) == 0);
    snprintf(want, sizeof want, "%s/config.json: a NUL byte at offset ", dir);
    for (int k = 0; k < 2; k++) {
        snprintf(args, sizeof args, "%s %s", k ? "info" : "resume", dir);
        CHECK_MSG(test_run_segp(args, out, sizeof out) == 1 && strstr(out, want), "segp %s: %s",
                  args, out);
    }
}

TEST(cli_template_needs_braces) {
    const char *model = "sample_runs/models/shapes-clip.safetensors";
    char args[1400];
    snprintf(args, sizeof args, "zeroshot --model %s --classes %s --template 'a shape' x.png",
             model, write_config("names", "red circle\nblue square\n"));
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 1);
    CHECK_MSG(strstr(out, "--template: \"a shape\" has no {}"), "%s", out);
    /* a long template is cut to the context like CLIP's truncate=True, and refused only when
     * that leaves two classes the same prompt */
    clip_tokenizer *tok = clip_tokenizer_init(NULL);
    const char *names[] = {"red circle", "blue square"};
    int32_t ids[2 * 8];
    CHECK(tok && zeroshot_tokenize_prompts(tok, "{} in a photo of a thing", names, 2, 8, ids) == 0);
    CHECK(ids[7] == CLIP_EOT && ids[8 + 7] == CLIP_EOT && ids[1] != ids[8 + 1]);
    CHECK(zeroshot_tokenize_prompts(tok, "a photo of a very large {}", names, 2, 8, ids) != 0);
    CHECK_MSG(strstr(segp_last_error(), "the prompts of \"red circle\" and \"blue square\" are "
                                        "the same once cut to the model's context of 8 tokens"),
              "%s", segp_last_error());
    clip_tokenizer_free(tok);
    const char *cfg = write_config("ft-template", "{\"prompt_template\": \"a shape\", \"world\": "
                                   "{\"train_per_class\": 1, \"test_per_class\": 1}, "
                                   "\"train\": {\"epochs\": 1}}");
    snprintf(args, sizeof args, "finetune --model %s --config %s", model, cfg);
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 1);
    CHECK_MSG(strstr(out, "ft-template.json: key 'prompt_template': \"a shape\" has no {}") &&
                  !strstr(out, "trainable"),
              "%s", out);
}
