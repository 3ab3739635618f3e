/* test_run_record.c: a run directory read back (run/run_record.h) from the shipped finished run
 * (sample_runs/default-run): config, metrics, matrices and events against the files' own
 * values; every part of a task's saved state; the live event path; and corrupt or partial
 * directories giving errors that name the file. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/common.h"
#include "io/safetensors.h"
#include "run/run_record.h"
#include "test.h"

#define RUN "sample_runs/default-run"

TEST(run_record_reads_the_shipped_run) {
    run_record r;
    CHECK(run_record_open(RUN, &r) == 0);
    if (!r.dir) return;
    CHECK(strcmp(r.method, "segp") == 0);
    CHECK(strcmp(r.benchmark, "shapes") == 0);
    CHECK(strcmp(r.order_desc, "latin") == 0);
    CHECK(strcmp(r.task_split, "B0-Inc10") == 0);
    CHECK(strcmp(r.eval_split, "test") == 0); /* a run older than benchmark.eval_split */
    CHECK_EQ_INT(r.num_classes, 100);
    CHECK_EQ_INT(r.num_tasks, 10);
    CHECK_EQ_INT(r.tasks_done, 10);
    CHECK_EQ_INT(r.run_done, 1);
    CHECK_EQ_INT(r.class_order[0], 42);
    CHECK(strcmp(run_class_name(&r, 0), "red circle") == 0);
    CHECK(strcmp(run_class_name(&r, 100), "?") == 0);
    CHECK_EQ_INT(r.task_first[3], 30);
    CHECK_EQ_INT(r.task_size[3], 10);
    CHECK_EQ_INT(r.class_task[42], 0);
    CHECK_EQ_INT(r.class_task[r.class_order[99]], 9);
    CHECK_EQ_INT(run_seen_classes(&r, 4), 50);
    CHECK_EQ_INT((int)strlen(r.config_sha256), 64);
    /* metrics.jsonl's own numbers */
    CHECK(r.final.valid && r.final.has_clip);
    CHECK_NEAR(r.final.last, 66.8, 1e-9);
    CHECK_NEAR(r.final.avg, 77.4047, 1e-9);
    CHECK_NEAR(r.final.clip_last, 63.8, 1e-9);
    CHECK_NEAR(r.final.bc_ratio, 1.691787, 1e-9);
    CHECK(r.task[0].valid && r.task[9].valid);
    CHECK_NEAR(r.task[0].acc, 98.0, 1e-9);
    CHECK(isnan(r.task[0].old_acc) && isnan(r.task[0].bc_ratio));
    CHECK_NEAR(r.task[1].bc_ratio, 0.168553, 1e-9);
    CHECK_NEAR(r.task[1].clip_acc, 87.5, 1e-9);
    /* the matrix: row 2 (task 2) from eval.json's hits: 172/200, 178/200, 161/200 */
    CHECK_NEAR(r.R[1 * 10 + 0], 86.0, 1e-4);
    CHECK_NEAR(r.R[1 * 10 + 1], 89.0, 1e-4);
    CHECK_NEAR(r.R[1 * 10 + 2], 80.5, 1e-4);  /* zero-shot on the incoming task */
    CHECK(isnan(r.R[1 * 10 + 3]));
    CHECK(r.R_clip != NULL);
    if (r.R_clip) CHECK_NEAR(r.R_clip[1 * 10 + 0], 87.5, 1e-4);
    /* the last row averages to Last */
    double s = 0;
    for (int j = 0; j < 10; j++) s += r.R[9 * 10 + j];
    CHECK_NEAR(s / 10, 66.8, 1e-3);
    /* events */
    CHECK(r.n_steps > 100);
    CHECK(run_term_index(&r, "cls") == 0);
    CHECK(run_term_index(&r, "tsgr") >= 0);
    CHECK(run_term_index(&r, "acgd") >= 0);
    CHECK(run_term_index(&r, "nope") == -1);
    CHECK(r.steps[0].task == 0 && r.steps[0].step == 1 && r.steps[0].steps == 48);
    CHECK_NEAR(r.steps[0].loss, 0.595316, 1e-6);
    CHECK(isnan(r.steps[0].term[run_term_index(&r, "acgd")])); /* no ACGD at task 1 */
    CHECK(strcmp(r.phase, "finished") == 0);
    for (int t = 0; t < 10; t++) CHECK(r.task_wall_s[t] > 0 && r.task_wall_s[t] < 600);
    CHECK(r.last_error == NULL);
    run_record_free(&r);
}

TEST(run_task_load_reads_every_part) {
    run_record r;
    CHECK(run_record_open(RUN, &r) == 0);
    if (!r.dir) return;
    run_task_data d;
    CHECK(run_task_load(&r, 4, &d) == 0);
    CHECK_EQ_INT(d.n_old, 40);
    CHECK_EQ_INT(d.n_new, 10);
    CHECK_EQ_INT(d.n_seen, 50);
    CHECK_EQ_INT(d.labels[0], 42);
    CHECK(d.has_drift && d.has_geometry && d.has_anchors && d.has_prototypes && d.has_summary);
    CHECK_EQ_INT(d.n_drift, 1000);
    CHECK_EQ_INT(d.bins, 20);
    int old = 0;
    for (int i = 0; i < d.n_drift; i++) old += d.drift_is_old[i];
    CHECK_EQ_INT(old, 800);
    CHECK_EQ_INT(d.e, 128);
    CHECK(d.protos != NULL);
    CHECK_NEAR(d.tt[RUN_STATE_STUDENT][3 * 50 + 3], 1.0, 1e-4); /* cosine of a text with itself */
    CHECK_EQ_INT(d.n_proj, 600);
    CHECK(d.proj_tsne != NULL);
    CHECK_EQ_INT(d.n_anchors, 200);
    CHECK_EQ_INT(d.k_adv, 10);
    CHECK_EQ_INT(d.anchor_res, 48);
    CHECK(strcmp(d.anchor_source, "pgd") == 0);
    CHECK_EQ_INT(d.n_anchor_images, 40);
    CHECK(d.anchor_drift != NULL);
    for (int i = 0; i < d.n_anchors; i++) {
        CHECK(r.class_task[d.anchor_target[i]] < 4); /* anchors target old classes */
        CHECK(d.anchor_linf[i] <= 4.0f / 255 + 1e-6f);
        if (i < 3) CHECK_NEAR(d.anchor_dist_proto[i], d.loss_vis[i * 11 + 10], 0);
    }
    CHECK(d.rho != NULL);
    CHECK_NEAR(d.summary.boundary_core_ratio, 2.5979043503981556, 1e-12);
    run_task_data_free(&d);

    /* task 1: no old classes, so no drift and no anchors */
    CHECK(run_task_load(&r, 0, &d) == 0);
    CHECK(!d.has_drift && !d.has_anchors && d.has_geometry && d.has_prototypes);
    CHECK_EQ_INT(d.n_seen, 10);
    CHECK(d.rho == NULL);
    run_task_data_free(&d);

    CHECK(run_task_load(&r, 10, &d) == -1);
    CHECK(err_has("task 11 is out of range"));
    run_record_free(&r);
}

/* RUN's task-5 anchors.safetensors written again without the tensors DROP_A and DROP_B (NULL:
 * keep); its bytes (malloc'd) and size. */
static uint8_t *anchors_without(const char *drop_a, const char *drop_b, size_t *size) {
    st_file *f = st_open(RUN "/tasks/05/anchors.safetensors");
    if (!f) return NULL;
    int n = st_count(f), k = 0;
    st_write_tensor *w = calloc((size_t)n, sizeof *w);
    void **bufs = calloc((size_t)n, sizeof *bufs);
    for (int i = 0; i < n; i++) {
        const st_tensor *t = st_at(f, i);
        if ((drop_a && !strcmp(t->name, drop_a)) || (drop_b && !strcmp(t->name, drop_b)))
            continue;
        bufs[k] = malloc((size_t)(t->end - t->begin) + 1);
        CHECK(st_read_raw(f, t, t->dtype, bufs[k]) == 0);
        w[k] = (st_write_tensor){t->name, t->dtype, t->ndim, {0}, bufs[k]};
        memcpy(w[k].shape, t->shape, sizeof t->shape);
        k++;
    }
    const char *keys[3] = {"k_adv", "res", "source"};
    const char *vals[3] = {st_metadata(f, "k_adv"), st_metadata(f, "res"),
                           st_metadata(f, "source")};
    const char *path = tpath("anchors-%s.safetensors", drop_b ? "two" : "one");
    CHECK(st_write(path, w, k, keys, vals, 3) == 0);
    st_close(f);
    for (int i = 0; i < k; i++) free(bufs[i]);
    free(bufs);
    free(w);
    uint8_t *data = NULL;
    CHECK(segp_read_file(path, &data, size) == 0);
    return data;
}

/* A run written before anchors.safetensors held "dist_seed" still opens: the distance comes
 * from the two embeddings, as the writer computes it. */
TEST(run_task_load_anchors_without_dist_seed) {
    run_record r;
    CHECK(run_record_open(RUN, &r) == 0);
    if (!r.dir) return;
    run_task_data d0, d1;
    CHECK(run_task_load(&r, 4, &d0) == 0);
    size_t size = 0;
    uint8_t *old = anchors_without("dist_seed", NULL, &size);
    run_task_files files = {{0}, {0}};
    files.data[RUN_FILE_ANCHORS] = old;
    files.size[RUN_FILE_ANCHORS] = size;
    CHECK(run_task_load_memory(&r, 4, &files, &d1) == 0);
    CHECK(d1.has_anchors && d1.n_anchors == d0.n_anchors && d1.n_anchors == 200);
    double worst = 0, mean = 0;
    for (int i = 0; i < d1.n_anchors; i++) {
        worst = fmax(worst, fabs(d1.anchor_dist_seed[i] - d0.anchor_dist_seed[i]));
        mean += d0.anchor_dist_seed[i] / d0.n_anchors;
    }
    CHECK_MSG(worst <= 1e-7, "largest difference %g", worst);
    CHECK(mean > 0.01 && mean < 1); /* a real distance, not zeros on both sides */
    run_task_data_free(&d1);
    free(old);
    /* neither tensor: refused, naming both */
    old = anchors_without("dist_seed", "emb_seed", &size);
    files.data[RUN_FILE_ANCHORS] = old;
    files.size[RUN_FILE_ANCHORS] = size;
    CHECK(run_task_load_memory(&r, 4, &files, &d1) == -1);
    CHECK(err_has("'dist_seed' and 'emb_seed' are both missing"));
    free(old);
    run_task_data_free(&d0);
    run_record_free(&r);
}

TEST(run_record_live_events) {
    run_record r;
    CHECK(run_record_open(RUN, &r) == 0);
    if (!r.dir) return;
    int n = r.n_steps;
    CHECK(run_record_add_event(&r, "{\"event\":\"phase\",\"task\":3,\"phase\":\"anchors\"}") == 0);
    CHECK(strcmp(r.phase, "anchors") == 0);
    CHECK_EQ_INT(r.cur_task, 2);
    CHECK(run_record_add_event(&r, "{\"event\":\"step\",\"task\":3,\"step\":7,\"steps\":48,"
                                    "\"loss\":1.5,\"terms\":{\"cls\":1.25,\"newterm\":0.5}}") == 0);
    CHECK_EQ_INT(r.n_steps, n + 1);
    CHECK_NEAR(r.steps[n].term[0], 1.25, 1e-6);
    CHECK_NEAR(r.steps[n].term[run_term_index(&r, "newterm")], 0.5, 1e-6);
    CHECK(r.phase_step == 7 && r.phase_steps == 48);
    CHECK(run_record_add_event(&r, "{\"event\":\"error\",\"error\":\"disk full\"}") == 0);
    CHECK(r.last_error && strcmp(r.last_error, "disk full") == 0);
    CHECK(run_record_add_event(&r, "{\"event\":\"future_kind\"}") == 0); /* ignored */
    CHECK(run_record_add_event(&r, "not json") == -1);
    run_record_free(&r);
}

/* A scratch copy of the shipped run that a test may break. */
static const char *copy_run(const char *name) {
    const char *dst = tpath("%s", name);
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && cp -r " RUN " '%s'", dst, dst);
    CHECK(system(cmd) == 0);
    return dst;
}

static void append(const char *path, const char *text) {
    FILE *f = fopen(path, "ab");
    CHECK(f != NULL);
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

/* A run written by another process, followed (run_record_follow): only complete lines are read;
 * a last line read at open without its newline is not counted again once completed; a line
 * still being written waits; a file that no longer extends what was read is an error. */
TEST(run_record_follows_a_growing_events_file) {
    const char *d = copy_run("rr-follow");
    char p[4200];
    snprintf(p, sizeof p, "%s/events.jsonl", d);
    append(p, "{\"event\":\"step\",\"task\":10,\"step\":1,\"steps\":48,\"loss\":0.5}");
    run_record r;
    CHECK(run_record_open(d, &r) == 0);
    if (!r.dir) return;
    int n0 = r.n_steps, n = -1;
    CHECK(run_record_follow(&r, &n) == 0); /* nothing new */
    CHECK_EQ_INT(n, 0);
    CHECK_EQ_INT(r.n_steps, n0);
    append(p, "\n{\"event\":\"phase\",\"task\":10,\"phase\":\"anchors\",\"steps\":90}\n"
              "{\"event\":\"step\",\"task\":10,\"step\":2,\"steps\":48,\"lo");
    CHECK(run_record_follow(&r, &n) == 0);
    CHECK_EQ_INT(n, 1); /* the tail's newline: not counted twice; the half line: not yet */
    CHECK_EQ_INT(r.n_steps, n0);
    CHECK(strcmp(r.phase, "anchors") == 0 && r.phase_steps == 90);
    append(p, "ss\":0.25}\n");
    CHECK(run_record_follow(&r, &n) == 0);
    CHECK_EQ_INT(n, 1);
    CHECK_EQ_INT(r.n_steps, n0 + 1);
    CHECK(r.n_steps > 0 && r.steps[r.n_steps - 1].step == 2);
    CHECK_NEAR(r.steps[r.n_steps - 1].loss, 0.25, 1e-7);
    append(p, "{\"event\":\"task_end\",\"task\":10}\nnot json\n");
    CHECK(run_record_follow(&r, &n) == -1);
    CHECK(err_has("events.jsonl: a line at byte ") && err_has("is not a JSON object"));
    char cmd[4400];
    snprintf(cmd, sizeof cmd, "truncate -s 1000 '%s'", p);
    CHECK(system(cmd) == 0);
    CHECK(run_record_follow(&r, &n) == -1);
    CHECK(err_has("events.jsonl: shorter than what was read of it"));
    run_record_free(&r);
}

TEST(run_record_corrupt_directories_name_the_file) {
    run_record r;
    CHECK(run_record_open(tpath("%s", "no-such-run"), &r) == -1);
    CHECK(err_has("not a run directory: ") && err_has("no-such-run/config.json"));

    const char *d = copy_run("rr-config");
    char p[4200];
    snprintf(p, sizeof p, "%s/config.json", d);
    write_text(p, "{\"method\": \"segp\"}");
    CHECK(run_record_open(d, &r) == -1);
    CHECK(err_has("config.json: has no 'resolved' object"));
    write_text(p, "[1, 2");
    CHECK(run_record_open(d, &r) == -1);
    CHECK(err_has("config.json: not a JSON object"));

    /* torn tails of the append-only files are what a crash leaves: they open */
    d = copy_run("rr-torn");
    snprintf(p, sizeof p, "%s/events.jsonl", d);
    append(p, "{\"event\":\"step\",\"task\":3,\"lo");
    snprintf(p, sizeof p, "%s/metrics.jsonl", d);
    append(p, "{\"task\": 4, \"ac");
    CHECK(run_record_open(d, &r) == 0);
    CHECK_NEAR(r.final.last, 66.8, 1e-9);
    run_record_free(&r);
    /* ... but garbage inside is an error naming the file and line */
    snprintf(p, sizeof p, "%s/events.jsonl", d);
    append(p, "\n{\"event\":\"info\"}\n");
    CHECK(run_record_open(d, &r) == -1);
    CHECK(err_has("events.jsonl: line 690 is not a JSON object"));

    /* metrics.jsonl cut inside a finished task's line (it is written whole, atomically, before
     * each DONE: only damage does that): an error naming the file, the task and the repair; it
     * opened with that task's numbers missing, so info showed "Last -" for a finished run and
     * the accuracy curve lacked the task */
    d = copy_run("rr-cut");
    snprintf(p, sizeof p, "%s/metrics.jsonl", d);
    char *full = read_text(p);
    CHECK(full && strlen(full) > 200);
    if (full) full[strlen(full) / 2] = 0;
    write_text(p, full ? full : "");
    free(full);
    CHECK(run_record_open(d, &r) == -1);
    CHECK(err_has("metrics.jsonl: no line for task ") && err_has("which is finished (tasks/") &&
          err_has("by deleting the run's DONE, then segp resume "));
    remove(p);
    CHECK(run_record_open(d, &r) == -1);
    CHECK(err_has("metrics.jsonl: absent, but task 1 is finished (tasks/01/DONE)"));
    d = copy_run("rr-matrix");
    snprintf(p, sizeof p, "%s/accuracy_matrix.npy", d);
    write_text(p, "not an npy file");
    CHECK(run_record_open(d, &r) == -1);
    CHECK(err_has("accuracy_matrix.npy"));

    /* a task's files: truncated, wrong labels */
    d = copy_run("rr-task");
    CHECK(run_record_open(d, &r) == 0);
    snprintf(p, sizeof p, "%s/tasks/05/geometry.safetensors", d);
    char cmd[4400];
    snprintf(cmd, sizeof cmd, "truncate -s 5000 '%s'", p);
    CHECK(system(cmd) == 0);
    run_task_data td;
    CHECK(run_task_load(&r, 4, &td) == -1);
    CHECK(err_has("tasks/05/geometry.safetensors"));
    /* the prototypes of task 6 put where task 5's belong: 60 labels for 50 seen classes */
    snprintf(cmd, sizeof cmd, "cp '%s/tasks/06/prototypes.safetensors' '%s/tasks/04/'", d, d);
    CHECK(system(cmd) == 0);
    CHECK(run_task_load(&r, 3, &td) == -1);
    CHECK(err_has("tasks/04/prototypes.safetensors: tensor 'labels' is not 1-D of 40"));
    /* an unfinished task */
    snprintf(p, sizeof p, "%s/tasks/08/DONE", d);
    CHECK(remove(p) == 0);
    CHECK(run_task_load(&r, 7, &td) == -1);
    CHECK(err_has("task 8 is not finished"));
    run_record_free(&r);
    /* and the record then counts 7 finished tasks */
    CHECK(run_record_open(d, &r) == 0);
    CHECK_EQ_INT(r.tasks_done, 7);
    run_record_free(&r);
}

/* ---- regressions found by fuzzing (fuzz/corpus/run_record/, fuzz/corpus/events/) ---- */

static const char small_config[] =
    "{\"method\": \"segp\", \"seed\": 1e300, \"resolved\": {\"benchmark\": \"shapes\", "
    "\"num_classes\": 4, \"num_tasks\": 2, \"class_order\": [2, 0, 3, 1], \"class_names\": "
    "[\"a\", \"b\", \"c\", \"d\"], \"task_classes\": [[2, 0], [3, 1]]}}";

/* A step event without epochs (the anchors phase writes none) read the missing number, NaN, as
 * an int: undefined behaviour (clang's UBSan on the shipped run's events.jsonl). Numbers absent,
 * out of range or huge give 0 now; the seed too. */
TEST(run_record_step_numbers_missing_or_out_of_range) {
    run_record r;
    run_text cfg = {small_config, sizeof small_config - 1};
    static const char events[] =
        "{\"event\": \"step\", \"task\": 1, \"phase\": \"anchors\", \"step\": 2, \"steps\": 9}\n"
        "{\"event\": \"step\", \"task\": 2, \"epoch\": 1e300, \"epochs\": -3, \"step\": 1e300, "
        "\"steps\": -1e300}\n"
        "{\"event\": \"phase\", \"task\": 2, \"phase\": \"train\", \"steps\": 1e300}\n";
    run_text ev = {events, sizeof events - 1};
    CHECK(run_record_open_memory("mem", &cfg, NULL, &ev, &r) == 0);
    if (!r.dir) return;
    CHECK_EQ_INT(r.seed, 0);
    CHECK_EQ_INT(r.n_steps, 2);
    CHECK_EQ_INT(r.steps[0].epoch, 0);
    CHECK_EQ_INT(r.steps[0].epochs, 0);
    CHECK_EQ_INT(r.steps[0].step, 2);
    CHECK_EQ_INT(r.steps[0].steps, 9);
    CHECK_EQ_INT(r.steps[1].task, 1);
    CHECK_EQ_INT(r.steps[1].epoch, 0);
    CHECK_EQ_INT(r.steps[1].epochs, 0);
    CHECK_EQ_INT(r.steps[1].step, 0);
    CHECK_EQ_INT(r.steps[1].steps, 0);
    CHECK_EQ_INT(r.phase_steps, 0);
    CHECK(strcmp(r.phase, "train") == 0);
    run_record_free(&r);
}

/* A metrics.jsonl line whose task number is no task of the run (5.5e12 was converted to int
 * before the range check: undefined behaviour under UBSan) is skipped; the others are read. */
TEST(run_record_metrics_task_numbers_out_of_range) {
    run_record r;
    run_text cfg = {small_config, sizeof small_config - 1};
    static const char metrics[] = "{\"task\": 5.5e12, \"acc\": 1}\n{\"task\": -1, \"acc\": 2}\n"
                                  "{\"task\": 1.5, \"acc\": 3}\n{\"task\": 3, \"acc\": 4}\n"
                                  "{\"task\": 2, \"acc\": 40}\n{\"task\": 1e300}\n";
    run_text met = {metrics, sizeof metrics - 1};
    CHECK(run_record_open_memory("mem", &cfg, &met, NULL, &r) == 0);
    if (!r.dir) return;
    CHECK(!r.task[0].valid && isnan(r.task[0].acc));
    CHECK(r.task[1].valid);
    CHECK_NEAR(r.task[1].acc, 40, 0);
    CHECK(!r.final.valid);
    run_record_free(&r);
}

/* A task that starts again (segp resume, r in the workbench: the stopped task restarts) drops
 * the steps of the attempt left: both attempts' steps were kept, and the task's loss curve drew
 * them over each other. */
TEST(run_record_restarted_task_drops_the_attempt_left) {
    run_record r;
    CHECK(run_record_open("sample_runs/default-run", &r) == 0);
    if (!r.num_tasks) return;
    int n9 = 0, n10 = 0;
    for (int i = 0; i < r.n_steps; i++) n9 += r.steps[i].task == 8, n10 += r.steps[i].task == 9;
    CHECK(n9 > 0 && n10 > 0);
    CHECK(run_record_add_event(&r, "{\"event\":\"task_start\",\"time\":1796102190,\"task\":10,"
                                   "\"num_tasks\":10}") == 0);
    CHECK(run_record_add_event(&r, "{\"event\":\"step\",\"time\":1796102191,\"task\":10,"
                                   "\"phase\":\"train\",\"step\":1,\"steps\":48,"
                                   "\"loss\":0.5}") == 0);
    int m9 = 0, m10 = 0;
    for (int i = 0; i < r.n_steps; i++) m9 += r.steps[i].task == 8, m10 += r.steps[i].task == 9;
    CHECK_MSG(m9 == n9 && m10 == 1, "task 9: %d steps (%d before), task 10: %d", m9, n9, m10);
    CHECK(r.steps[r.n_steps - 1].step == 1 && r.steps[r.n_steps - 1].loss == 0.5f);
    run_record_free(&r);
}

/* A pause in the workbench (space, or the wait at a task boundary) is the user's time, not the
 * task's: the record took the running task's elapsed time (the overview's run ETA counts on it)
 * from the span between its task_start line and the newest, which held every pause. The engine
 * writes "resumed" with the seconds paused when a pause ends; the span leaves those out. Older
 * files (a "paused" followed by any other event: no "resumed" yet) read as before, and a
 * "paused" as the last line (the run stopped while paused) ends the span there. */
TEST(run_record_running_task_leaves_out_pauses) {
    const char *d = tpath("rr-pause", "");
    mkdirs(d);
    write_text(tpath("rr-pause/%s", "config.json"), small_config);
    char p[4200];
    snprintf(p, sizeof p, "%s/events.jsonl", d);
    /* task 1: 10 s, a pause of 600 s (space), 10 s more; then task 1 ends (20 s), the boundary
     * pause (300 s), task 2 starts and trains 5 s, a pause of 100 s whose "resumed" line has no
     * paused_s (the span from its "paused" line counts), 5 s more */
    write_text(p,
        "{\"event\":\"run_start\",\"time\":1000.000}\n"
        "{\"event\":\"task_start\",\"time\":1000.000,\"task\":1,\"num_tasks\":2}\n"
        "{\"event\":\"step\",\"time\":1010.000,\"task\":1,\"phase\":\"train\",\"step\":1,"
        "\"steps\":4}\n"
        "{\"event\":\"paused\",\"time\":1010.001,\"task\":1,\"phase\":\"train\"}\n"
        "{\"event\":\"resumed\",\"time\":1610.001,\"task\":1,\"phase\":\"train\","
        "\"paused_s\":600.000}\n"
        "{\"event\":\"step\",\"time\":1620.000,\"task\":1,\"phase\":\"train\",\"step\":2,"
        "\"steps\":4}\n");
    run_record r;
    CHECK(run_record_open(d, &r) == 0);
    if (!r.num_tasks) return;
    CHECK_EQ_INT(r.cur_task, 0);
    CHECK_NEAR(run_task_elapsed(&r, 0), 20, 1e-6); /* 620 s between the lines */
    /* the live path (the workbench's queue) reads the same */
    CHECK(run_record_add_event(&r, "{\"event\":\"task_end\",\"time\":1620.500,\"task\":1,"
                                   "\"elapsed_s\":20.400}") == 0);
    CHECK_NEAR(r.task_wall_s[0], 20.4, 1e-9);
    CHECK(run_record_add_event(&r, "{\"event\":\"paused\",\"time\":1620.501,\"task\":1}") == 0);
    CHECK(run_record_add_event(&r, "{\"event\":\"resumed\",\"time\":1920.501,\"task\":1,"
                                   "\"paused_s\":300}") == 0);
    CHECK(run_record_add_event(&r, "{\"event\":\"task_start\",\"time\":1920.600,\"task\":2,"
                                   "\"num_tasks\":2}") == 0);
    CHECK(run_record_add_event(&r, "{\"event\":\"step\",\"time\":1925.600,\"task\":2,"
                                   "\"phase\":\"train\",\"step\":1,\"steps\":4}") == 0);
    CHECK_NEAR(run_task_elapsed(&r, 1), 5, 1e-6); /* the boundary's pause is task 1's */
    CHECK(run_record_add_event(&r, "{\"event\":\"paused\",\"time\":1925.600,\"task\":2}") == 0);
    CHECK_NEAR(run_task_elapsed(&r, 1), 5, 1e-6); /* paused: the span ends at its line */
    CHECK(run_record_add_event(&r, "{\"event\":\"resumed\",\"time\":2025.600,\"task\":2}") == 0);
    CHECK_NEAR(run_task_elapsed(&r, 1), 5, 1e-6);
    CHECK(run_record_add_event(&r, "{\"event\":\"step\",\"time\":2030.600,\"task\":2,"
                                   "\"phase\":\"train\",\"step\":2,\"steps\":4}") == 0);
    CHECK_NEAR(run_task_elapsed(&r, 1), 10, 1e-6);
    run_record_free(&r);

    /* stopped while paused: the file ends at "paused" (no "resumed" came); the task's time is
     * the span to it, less the pause that did end */
    append(p, "{\"event\":\"paused\",\"time\":1625.000,\"task\":1,\"phase\":\"train\"}\n");
    CHECK(run_record_open(d, &r) == 0);
    if (!r.num_tasks) return;
    CHECK_NEAR(run_task_elapsed(&r, 0), 25, 1e-6);
    run_record_free(&r);
    /* ... and resumed later (segp resume appends its events to the file): the task restarts,
     * and the pause left open is nobody's */
    append(p, "{\"event\":\"run_start\",\"time\":9000.000}\n"
              "{\"event\":\"task_start\",\"time\":9001.000,\"task\":1,\"num_tasks\":2}\n"
              "{\"event\":\"step\",\"time\":9004.000,\"task\":1,\"phase\":\"train\",\"step\":1,"
              "\"steps\":4}\n");
    CHECK(run_record_open(d, &r) == 0);
    if (!r.num_tasks) return;
    CHECK_NEAR(run_task_elapsed(&r, 0), 3, 1e-6);
    run_record_free(&r);

    /* a file of a writer older than "resumed": its "paused" lines are followed by the next
     * event; read as before (the pause's end is unknown, so nothing is left out) */
    write_text(p,
        "{\"event\":\"task_start\",\"time\":1000.000,\"task\":1,\"num_tasks\":2}\n"
        "{\"event\":\"paused\",\"time\":1001.000,\"task\":1}\n"
        "{\"event\":\"step\",\"time\":1100.000,\"task\":1,\"phase\":\"train\",\"step\":1,"
        "\"steps\":4}\n"
        "{\"event\":\"resumed\",\"time\":1101.000,\"task\":1}\n");
    CHECK(run_record_open(d, &r) == 0);
    if (!r.num_tasks) return;
    /* the "resumed" after the step has no "paused" before it, and no paused_s: nothing to
     * leave out */
    CHECK_NEAR(run_task_elapsed(&r, 0), 101, 1e-6);
    run_record_free(&r);
}
