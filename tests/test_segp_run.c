/* test_segp_run.c: SeGP-CL end to end through `segp run` on a tiny config (the shipped model,
 * shapes, the first 3 tasks, 10 training and 5 test images per class, one epoch, every part
 * on): fixed expected numbers, the files of each task (prototypes, anchors, analytics), resume
 * after SIGKILL at several points with byte-identical metrics, run.keep_checkpoints "last",
 * loss.cls_classes "seen" changing L_cls alone, and impossible values refused by key before
 * any work. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cl/anchors.h"
#include "core/common.h"
#include "io/safetensors.h"
#include "metrics/analytics.h"
#include "test.h"

/* The tiny run's matrices (R in %, 50 test images per task: steps of 2 points); any change to
 * anchors, losses, prototypes or evaluation shows up here. */
#define EXPECT_CSV                                                                          \
    "after_task,task_1,task_2,task_3\n1,96.0000,80.0000,\n2,88.0000,80.0000,82.0000\n"      \
    "3,88.0000,80.0000,88.0000\n"
#define EXPECT_CLIP_CSV                                                                     \
    "after_task,task_1,task_2,task_3\n1,96.0000,80.0000,\n2,90.0000,80.0000,82.0000\n"      \
    "3,88.0000,82.0000,84.0000\n"
#define EXPECT_LAST                                                                         \
    "{\"last\": 85.3333, \"avg\": 88.4444, \"forgetting\": 4.0000, \"bwt\": -4.0000, "      \
    "\"fwt\": 81.0000, \"clip_branch\": {\"last\": 84.6667, \"avg\": 88.5556, "             \
    "\"forgetting\": 3.0000, \"bwt\": -3.0000, \"fwt\": 81.0000}, \"boundary_core_ratio\": "
/* the drift ratio rests on differences of nearly equal probabilities: its last digits follow
 * the compiler's floating-point contraction (the sanitizer build differs in the third) */
#define EXPECT_RATIO 1.3621

static const char *TINY =
    "{\"model\": \"sample_runs/models/shapes-clip.safetensors\", \"method\": \"segp\", \"seed\": 1,"
    " \"benchmark\": {\"name\": \"shapes\", \"order\": \"latin\", \"tasks\": \"B0-Inc10\","
    " \"train_per_class\": 10, \"test_per_class\": 5},"
    " \"train\": {\"epochs\": 1, \"batch_size\": 32, \"optimizer\": \"adamw\", \"lr\": 0.002},"
    " \"anchors\": {\"per_class\": 2, \"steps\": 3}, \"acgd\": {\"batch\": 16},"
    " \"analytics\": {\"projection_points\": 80, \"tsne_iterations\": 60},"
    " \"eval\": {\"batch_size\": 64}, \"run\": {\"max_tasks\": 3}%s}";

static char out[65536];

static const char *config(const char *name, const char *extra) {
    static char paths[8][512];
    static int slot;
    char *p = paths[slot++ % 8], json[2048];
    snprintf(json, sizeof json, TINY, extra);
    snprintf(p, 512, "%s/segp-%s.json", test_tmpdir(), name);
    write_text(p, json);
    return p;
}

static const char *reference_run(void) {
    static char dir[512];
    if (dir[0]) return dir;
    snprintf(dir, sizeof dir, "%s/segp-ref", test_tmpdir());
    char args[1200];
    snprintf(args, sizeof args, "run %s --out %s", config("ref", ""), dir);
    if (test_run_segp(args, out, sizeof out) != 0) printf("  (reference run failed: %s)\n", out);
    return dir;
}

TEST(segp_run_tiny_fixed_numbers_and_files) {
    test_one_thread();
    const char *dir = reference_run();
    CHECK(dir_has(dir, "DONE") && dir_has(dir, "accuracy_matrix_clip.csv"));
    char p[700];
    snprintf(p, sizeof p, "%s/metrics.jsonl", dir);
    char *m = read_text(p);
    if (test_verbose() && m) printf("\n%s", m);
    const char *last = m ? strstr(m, EXPECT_LAST) : NULL;
    CHECK_MSG(last, "%s", m ? m : "");
    double ratio = 0;
    CHECK(last && sscanf(last + strlen(EXPECT_LAST), "%lf", &ratio) == 1);
    CHECK_NEAR(ratio, EXPECT_RATIO, 0.01);
    free(m);
    snprintf(p, sizeof p, "%s/accuracy_matrix.csv", dir);
    char *csv = read_text(p);
    CHECK_MSG(csv && !strcmp(csv, EXPECT_CSV), "%s", csv ? csv : "");
    free(csv);
    snprintf(p, sizeof p, "%s/accuracy_matrix_clip.csv", dir);
    csv = read_text(p);
    CHECK_MSG(csv && !strcmp(csv, EXPECT_CLIP_CSV), "%s", csv ? csv : "");
    free(csv);
    /* every task: prototypes and the analytics; from task 2: anchors and drift */
    const char *files[] = {"prototypes.safetensors", "geometry.safetensors", "analytics.json",
                           "lora.safetensors", "eval.json", "DONE"};
    for (int t = 1; t <= 3; t++)
        for (size_t k = 0; k < sizeof files / sizeof files[0]; k++) {
            snprintf(p, sizeof p, "tasks/%02d/%s", t, files[k]);
            CHECK_MSG(dir_has(dir, p), "%s/%s missing", dir, p);
        }
    CHECK(!dir_has(dir, "tasks/01/anchors.safetensors") &&
          !dir_has(dir, "tasks/01/drift.safetensors"));
    CHECK(dir_has(dir, "tasks/02/anchors.safetensors") &&
          dir_has(dir, "tasks/03/drift.safetensors"));
    /* task 3's anchors: 2 per old class (20 old classes), 3 steps recorded, inside the ball */
    anchor_set a;
    float *drift = NULL;
    uint8_t *img = NULL;
    int32_t *rows = NULL;
    int n_img = 0;
    snprintf(p, sizeof p, "%s/tasks/03/anchors.safetensors", dir);
    CHECK_MSG(anchor_set_load(p, &a, &drift, &img, &rows, &n_img) == 0, "%s", segp_last_error());
    CHECK_EQ_INT(a.n, 40);
    CHECK_EQ_INT(a.k_adv, 3);
    CHECK_EQ_INT(n_img, 40);
    for (int i = 0; i < a.n; i++) CHECK(a.linf[i] <= 4.0f / 255 + 1e-6f);
    CHECK(drift != NULL);
    anchor_set_free(&a);
    free(drift), free(img), free(rows);
    /* the summary after task 3 has a drift ratio, and metrics.jsonl carries it */
    analytics_summary s;
    snprintf(p, sizeof p, "%s/tasks/03", dir);
    CHECK(analytics_read_summary(p, &s) == 0);
    CHECK(s.boundary_core_ratio > 0 && s.n_points > 0 && s.n_points <= 80);
    test_all_threads();
}

TEST(segp_run_resume_after_kills_identical) {
    /* killed in task 2's training, in task 3's evaluation and while a file is half written;
     * resumed after each: the metrics, both matrices and task 3's analytics are the
     * uninterrupted run's, byte for byte */
    test_one_thread();
    const char *ref = reference_run();
    char dir[512], args[1400], resume[700];
    snprintf(dir, sizeof dir, "%s/segp-killed", test_tmpdir());
    snprintf(args, sizeof args, "run %s --out %s", config("killed", ""), dir);
    snprintf(resume, sizeof resume, "resume %s", dir);
    CHECK(run_segp_fault("step:3", args) != 0 && !dir_has(dir, "DONE"));
    CHECK(run_segp_fault("eval:4", resume) != 0 && !dir_has(dir, "DONE"));
    CHECK(run_segp_fault("file:5", resume) != 0 && !dir_has(dir, "DONE"));
    int rc = test_run_segp(resume, out, sizeof out);
    CHECK_MSG(rc == 0, "resume failed: %s", out);
    CHECK(same_run_file(ref, dir, "metrics.jsonl") &&
          same_run_file(ref, dir, "accuracy_matrix.csv") &&
          same_run_file(ref, dir, "accuracy_matrix_clip.csv") &&
          same_run_file(ref, dir, "tasks/03/analytics.json"));
    test_all_threads();
}

TEST(segp_run_resumed_task_encodes_prompts_again) {
    /* killed in task 3's first training step (tasks 1-2 done) and resumed: task 3 starts with
     * nothing of the evaluation before, so its anchors and analytics encode the teacher's
     * class prompts again, where the uninterrupted run took the ones task 2's evaluation made
     * (and the analytics the student's from task 3's own): the same numbers, byte for byte
     * (geometry holds the prompts' embeddings under all three states) */
    test_one_thread();
    const char *ref = reference_run();
    char dir[512], args[1400];
    snprintf(dir, sizeof dir, "%s/segp-task3", test_tmpdir());
    snprintf(args, sizeof args, "run %s --out %s", config("task3", ""), dir);
    CHECK(run_segp_fault("step:9", args) != 0);
    CHECK(dir_has(dir, "tasks/02/DONE") && !dir_has(dir, "tasks/03/DONE"));
    snprintf(args, sizeof args, "resume %s", dir);
    CHECK_MSG(test_run_segp(args, out, sizeof out) == 0, "%s", out);
    CHECK(same_run_file(ref, dir, "tasks/03/anchors.safetensors") &&
          same_run_file(ref, dir, "tasks/03/geometry.safetensors") &&
          same_run_file(ref, dir, "tasks/03/analytics.json") &&
          same_run_file(ref, dir, "metrics.jsonl"));
    test_all_threads();
}

TEST(segp_run_keep_last_checkpoint) {
    test_one_thread();
    const char *ref = reference_run();
    char dir[512], args[1400];
    snprintf(dir, sizeof dir, "%s/segp-keeplast", test_tmpdir());
    snprintf(args, sizeof args, "run %s --out %s",
             config("keeplast", ", \"run\": {\"keep_checkpoints\": \"last\"}"),
             dir);
    CHECK(run_segp_fault("step:8", args) != 0);
    snprintf(args, sizeof args, "resume %s", dir);
    CHECK_MSG(test_run_segp(args, out, sizeof out) == 0, "%s", out);
    CHECK(!dir_has(dir, "tasks/01/lora.safetensors") &&
          !dir_has(dir, "tasks/02/lora.safetensors") && dir_has(dir, "tasks/03/lora.safetensors"));
    CHECK(same_run_file(ref, dir, "metrics.jsonl"));
    snprintf(args, sizeof args, "eval %s", dir);
    CHECK_MSG(test_run_segp(args, out, sizeof out) == 0, "%s", out);
    CHECK_MSG(strstr(out, "2 finished tasks kept no checkpoint") &&
              strstr(out, "every entry equals the saved counts"), "%s", out);
    test_all_threads();
}

/* The first training step of task T in a run's events.jsonl: its loss term KEY (NAN: absent). */
static double first_step_term(const char *dir, int t, const char *key) {
    char p[700], head[160], k[64];
    snprintf(p, sizeof p, "%s/events.jsonl", dir);
    snprintf(head, sizeof head, "\"task\":%d,\"num_tasks\":3,\"phase\":\"train\",\"epoch\":1,"
             "\"epochs\":1,\"step\":1,", t);
    snprintf(k, sizeof k, "\"%s\":", key);
    char *ev = read_text(p);
    const char *line = ev ? strstr(ev, head) : NULL;
    const char *end = line ? strchr(line, '\n') : NULL;
    const char *at = line ? strstr(line, k) : NULL;
    double v = NAN; /* sscanf leaves it so when no number follows */
    if (at && (!end || at < end)) sscanf(at + strlen(k), "%lf", &v);
    free(ev);
    return v;
}

/* loss.cls_classes "seen" widens only L_cls's candidates: in task 1 (seen = current) the run
 * is the "task" run's step for step; at task 2's first step the teacher, the anchors and the
 * batch are the same, so ACGD and TSGR, which find the old classes' text rows by another
 * path in this mode, give the same values, while L_cls over 20 candidates is larger than
 * over the 10 current ones (the same logits, more terms in the softmax). */
TEST(segp_run_seen_classes_same_regularisers) {
    test_one_thread();
    const char *ref = reference_run();
    char dir[512], args[1400];
    snprintf(dir, sizeof dir, "%s/segp-seen", test_tmpdir());
    snprintf(args, sizeof args, "run %s --out %s",
             config("seen", ", \"loss\": {\"cls_classes\": \"seen\"}"), dir);
    CHECK_MSG(test_run_segp(args, out, sizeof out) == 0, "%s", out);
    for (const char *const *k = (const char *const[]){"cls", "tsgr", NULL}; *k; k++) {
        double a = first_step_term(ref, 1, *k), b = first_step_term(dir, 1, *k);
        CHECK_MSG(!isnan(a) && a == b, "task 1 %s: %g vs %g", *k, a, b);
    }
    double acgd_t = first_step_term(ref, 2, "acgd"), acgd_s = first_step_term(dir, 2, "acgd");
    double tsgr_t = first_step_term(ref, 2, "tsgr"), tsgr_s = first_step_term(dir, 2, "tsgr");
    double cls_t = first_step_term(ref, 2, "cls"), cls_s = first_step_term(dir, 2, "cls");
    /* the student is still the teacher: KL about 0 in both, unless the rows were mismatched */
    CHECK_MSG(fabs(acgd_t) < 1e-4 && fabs(acgd_s - acgd_t) < 1e-5, "acgd %g vs %g", acgd_t,
              acgd_s);
    CHECK_MSG(tsgr_t > 0 && fabs(tsgr_s - tsgr_t) <= 1e-4 * tsgr_t, "tsgr %g vs %g", tsgr_t,
              tsgr_s);
    if (test_verbose())
        printf("\n  task 2 step 1: tsgr %g %g, cls %g %g\n", tsgr_t, tsgr_s, cls_t, cls_s);
    CHECK_MSG(cls_t > 0 && cls_s > cls_t, "cls %g (task) vs %g (seen)", cls_t, cls_s);
    /* task 1's row of R is the same run's */
    char p[700];
    snprintf(p, sizeof p, "%s/accuracy_matrix.csv", dir);
    char *csv = read_text(p);
    const char *row1 = strchr(strchr(EXPECT_CSV, '\n') + 1, '\n') + 1; /* header and task 1 */
    CHECK_MSG(csv && !strncmp(csv, EXPECT_CSV, (size_t)(row1 - EXPECT_CSV)), "%s",
              csv ? csv : "");
    free(csv);
    test_all_threads();
}

static void refused(const char *name, const char *extra, const char *want) {
    char dir[512], args[1400];
    snprintf(dir, sizeof dir, "%s/segp-bad-%s", test_tmpdir(), name);
    snprintf(args, sizeof args, "run %s --out %s", config(name, extra), dir);
    int rc = test_run_segp(args, out, sizeof out);
    CHECK_MSG(rc != 0, "%s: accepted", name);
    CHECK_MSG(strstr(out, want) != NULL, "%s: '%s' not in: %s", name, want, out);
    CHECK_MSG(!dir_has(dir, ""), "%s: a run directory was created", name);
}

TEST(segp_run_impossible_values_refused_by_key) {
    refused("eps", ", \"anchors\": {\"epsilon\": -0.01}", "'anchors.epsilon'");
    refused("kadv", ", \"anchors\": {\"steps\": 0}", "'anchors.steps'");
    refused("beta", ", \"inference\": {\"beta\": -0.5}", "'inference.beta'");
    refused("tsgrk", ", \"tsgr\": {\"k\": 30}", "'tsgr.k'"); /* 30 classes: at most 29 */
    refused("lambda", ", \"acgd\": {\"lambda\": -1}", "'acgd.lambda'");
    refused("tau", ", \"tsgr\": {\"tau\": 0}", "'tsgr.tau'");
    refused("source", ", \"anchors\": {\"source\": \"gan\"}", "'anchors.source'");
    refused("keep", ", \"run\": {\"keep_checkpoints\": \"none\"}", "'run.keep_checkpoints'");
}

/* The shipped finished run opens as it is: every task's files, the final metrics line, the
 * default config with only the two size keys changed, and under 16 MB. */
TEST(segp_sample_run_directory_complete) {
    const char *dir = "sample_runs/default-run";
    char p[700];
    long total = 0;
    for (int t = 1; t <= 10; t++) {
        const char *files[] = {"eval.json", "analytics.json", "geometry.safetensors",
                               "prototypes.safetensors", "DONE"};
        for (size_t k = 0; k < sizeof files / sizeof files[0]; k++) {
            snprintf(p, sizeof p, "tasks/%02d/%s", t, files[k]);
            CHECK_MSG(dir_has(dir, p), "%s/%s missing", dir, p);
        }
        if (t > 1) {
            snprintf(p, sizeof p, "tasks/%02d/anchors.safetensors", t);
            CHECK(dir_has(dir, p));
            snprintf(p, sizeof p, "tasks/%02d/drift.safetensors", t);
            CHECK(dir_has(dir, p));
        }
    }
    CHECK(dir_has(dir, "DONE") && dir_has(dir, "tasks/10/lora.safetensors") &&
          !dir_has(dir, "tasks/09/lora.safetensors"));
    snprintf(p, sizeof p, "du -sb %s > %s/du.txt", dir, test_tmpdir());
    CHECK(system(p) == 0);
    char *du = read_text(tpath("%s", "du.txt"));
    CHECK(du && sscanf(du, "%ld", &total) == 1 && total > 0 && total <= 16L * 1000 * 1000);
    free(du);
    snprintf(p, sizeof p, "%s/metrics.jsonl", dir);
    char *m = read_text(p);
    CHECK(m && strstr(m, "{\"last\": ") && strstr(m, "\"clip_branch\": {"));
    free(m);
    /* its config: the default's, plus run.keep_checkpoints and the anchor images kept */
    snprintf(p, sizeof p, "%s/config.json", dir);
    char *c = read_text(p);
    CHECK(c && strstr(c, "\"method\":\t\"segp\"") &&
          strstr(c, "\"keep_checkpoints\":\t\"last\"") &&
          strstr(c, "\"anchor_images_per_class\":\t1"));
    free(c);
}

/* The anchors phase announces the steps its progress then counts (the pool's images, then
 * each anchor's PGD steps): it announced the PGD steps alone, so the workbench showed task 2's
 * "anchors step 0/60" and then "step 100/160". */
TEST(segp_run_anchors_phase_counts_its_steps) {
    test_one_thread();
    const char *dir = reference_run();
    char p[700];
    snprintf(p, sizeof p, "%s/events.jsonl", dir);
    char *ev = read_text(p);
    CHECK(ev != NULL);
    for (int t = 2; ev && t <= 3; t++) {
        long announced = -1, last_step = -1, last_total = -1;
        char task[32];
        snprintf(task, sizeof task, "\"task\":%d,", t);
        for (const char *l = ev; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
            const char *e = strchr(l, '\n');
            size_t len = e ? (size_t)(e - l) : strlen(l);
            char line[2048];
            snprintf(line, sizeof line, "%.*s", (int)(len < 2047 ? len : 2047), l);
            if (!strstr(line, task) || !strstr(line, "\"phase\":\"anchors\"")) continue;
            const char *st = strstr(line, "\"steps\":"), *s1 = strstr(line, "\"step\":");
            if (strstr(line, "\"event\":\"phase\",") && st) announced = atol(st + 8);
            else if (strstr(line, "\"event\":\"step\",") && st && s1)
                last_step = atol(s1 + 7), last_total = atol(st + 8);
        }
        /* task t: 10 new classes x 10 pool images, 10 (t - 1) old classes x 2 anchors x 3 */
        long want = 100 + 10L * (t - 1) * 2 * 3;
        CHECK_MSG(announced == want && last_total == want && last_step == want,
                  "task %d: announced %ld, the last step %ld of %ld (expected %ld)", t, announced,
                  last_step, last_total, want);
    }
    free(ev);
    test_all_threads();
}
