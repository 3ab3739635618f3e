/* test_run.c: end-to-end continual-learning runs of `segp run` on the tiny config of
 * tiny_run.h: fixed expected numbers, runs again from their config, the validation split, joint
 * training, runs killed and resumed, full disks, long paths, one writer at a time, corrupt run
 * directories, eval and info. (The run directory's files: test_rundir.c; configs:
 * test_run_config.c.) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cl/cl_config.h"
#include "cl/runner.h"
#include "core/blas_setup.h"
#include "core/common.h"
#include "run/run_record.h"
#include "run/rundir.h"
#include "backend/backend.h"
#include "test.h"
#include "tiny_run.h"

/* The tiny run's accuracy matrix (R in %, 50 test images per task: steps of 2 points) and its
 * final line; any change to data order, training or evaluation shows up here. */
#define EXPECT_CSV                                                                          \
    "after_task,task_1,task_2,task_3\n1,96.0000,80.0000,\n2,90.0000,80.0000,84.0000\n"      \
    "3,86.0000,76.0000,86.0000\n"
#define EXPECT_LAST "{\"last\": 82.6667, \"avg\": 87.8889, \"forgetting\": 7.0000, \"bwt\": -7.0000"

#define slurp read_text

static int same_metrics(const char *a, const char *b) {
    return same_run_file(a, b, "metrics.jsonl") && same_run_file(a, b, "accuracy_matrix.csv") &&
           same_run_file(a, b, "accuracy_matrix.npy");
}

static char out[65536];

/* The uninterrupted reference run (made once). */
static const char *reference_run(void) {
    static char dir[512];
    if (dir[0]) return dir;
    snprintf(dir, sizeof dir, "%s/ref-run", test_tmpdir());
    char args[1200];
    snprintf(args, sizeof args, "run %s --out %s", tiny_config("tiny", "finetune", ""), dir);
    int rc = test_run_segp(args, out, sizeof out);
    if (rc != 0) printf("  (reference run failed: %s)\n", out);
    return dir;
}

TEST(run_tiny_end_to_end_fixed_numbers) {
    test_one_thread();
    const char *dir = reference_run();
    CHECK(dir_has(dir, "DONE") && dir_has(dir, "tasks/03/DONE") && dir_has(dir, "config.json"));
    CHECK(dir_has(dir, "tasks/01/lora.safetensors") && dir_has(dir, "events.jsonl"));
    char p[700];
    snprintf(p, sizeof p, "%s/metrics.jsonl", dir);
    char *m = slurp(p);
    CHECK(m != NULL);
    if (test_verbose() && m) printf("\n%s", m);
    /* fixed expected numbers of this config (the same build and thread count give them
     * bit for bit; each entry is a count of test images, so tiny float differences elsewhere
     * rarely move one) */
    CHECK_MSG(m && strstr(m, EXPECT_LAST), "%s", m ? m : "");
    snprintf(p, sizeof p, "%s/accuracy_matrix.csv", dir);
    char *csv = slurp(p);
    CHECK_MSG(csv && !strcmp(csv, EXPECT_CSV), "%s", csv ? csv : "");
    free(csv);
    free(m);
    snprintf(p, sizeof p, "%s/config.json", dir);
    char *c = slurp(p);
    CHECK(c && strstr(c, "\"model_sha256\"") && strstr(c, "\"class_order\"") &&
          strstr(c, "\"threads\"") && strstr(c, "\"build\""));
    /* the OpenBLAS kernel set the run used (the test runner and segp see the same one) */
    char blas[64];
    snprintf(blas, sizeof blas, "\"%s\"", blas_corename());
    const char *b = c ? strstr(c, "\"blas\":") : NULL;
    CHECK_MSG(b && !strncmp(b + 7 + strspn(b + 7, " \t"), blas, strlen(blas)),
              "resolved.blas %s not in config.json", blas);
    free(c);
    test_all_threads();
}

/* A run's config.json starts a new run (its "resolved" record passed over) that reproduces
 * the run; the run directory itself given as CONFIG is refused, pointing at resume, tui and
 * its config.json. */
TEST(run_again_from_a_runs_config) {
    test_one_thread();
    const char *ref = reference_run();
    char dir[512], args[1400], cfg[700];
    snprintf(dir, sizeof dir, "%s/again-run", test_tmpdir());
    snprintf(cfg, sizeof cfg, "%s/config.json", ref);
    snprintf(args, sizeof args, "run %s --out %s", cfg, dir);
    CHECK_MSG(test_run_segp(args, out, sizeof out) == 0, "%s", out);
    CHECK(same_metrics(ref, dir));
    snprintf(args, sizeof args, "run %s --out %s-2", ref, dir);
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 1);
    CHECK_MSG(strstr(out, "is a run directory, not a config") && strstr(out, "segp resume ") &&
                  strstr(out, "config.json runs its config again"),
              "%s", out);
    CHECK(!dir_has(dir, "../again-run-2"));
    test_all_threads();
}

TEST(run_tiny_zeroshot_consistent) {
    test_one_thread();
    /* zero-shot: no training, so the incoming task's zero-shot entry R[i][i+1] equals R[i+1][i+1]
     * (same model, same candidates) and the first column only falls as classes are added */
    char dir[512], args[1200];
    snprintf(dir, sizeof dir, "%s/zs-run", test_tmpdir());
    snprintf(args, sizeof args, "run %s --out %s", tiny_config("zs", "zeroshot", ""), dir);
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 0);
    char p[700];
    snprintf(p, sizeof p, "%s/accuracy_matrix.csv", dir);
    char *csv = slurp(p);
    double R[3][3];
    CHECK(csv && sscanf(csv,
                        "after_task,task_1,task_2,task_3\n1,%lf,%lf,\n2,%lf,%lf,%lf\n"
                        "3,%lf,%lf,%lf",
                        &R[0][0], &R[0][1], &R[1][0], &R[1][1], &R[1][2], &R[2][0], &R[2][1],
                        &R[2][2]) == 8);
    CHECK_NEAR(R[0][1], R[1][1], 0);
    CHECK_NEAR(R[1][2], R[2][2], 0);
    CHECK(R[1][0] <= R[0][0] && R[2][0] <= R[1][0]);
    free(csv);
    CHECK(strstr(out, "Forgetting") && strstr(out, "held-out zero-shot"));
    /* the table's head said "200704 trainable LoRA-B numbers" of a method that trains none */
    char want[700];
    snprintf(want, sizeof want, "%s: method zeroshot on shapes (order: latin), 3/3 tasks, no "
             "training: the pretrained model as it is\n", dir);
    CHECK_MSG(strstr(out, want) && !strstr(out, "trainable"), "'%s' not in: %s", want, out);
    CHECK_MSG(strstr(out, "  wall time of the tasks: ") &&
                  strstr(out, " (evaluation, measured)\n"), "%s", out);
    test_all_threads();
}

/* benchmark.eval_split "val" (given by --set): the run is measured on held-out training renders,
 * says so in its config.json and final table, and its numbers are not the test split's. */
TEST(run_tiny_val_split) {
    test_one_thread();
    char dir[512], args[1200], p[700];
    snprintf(dir, sizeof dir, "%s/zs-val-run", test_tmpdir());
    snprintf(args, sizeof args, "run %s --set benchmark.eval_split=val --set run.max_tasks=2 "
             "--out %s", tiny_config("zs-val", "zeroshot", ""), dir);
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 0);
    CHECK_MSG(strstr(out, "evaluated on the validation split, not the test split: val (5 "
                          "training renders per class after the 10 trained on)") &&
              strstr(out, "task j's validation images"), "%s", out);
    snprintf(p, sizeof p, "%s/config.json", dir);
    char *c = slurp(p);
    CHECK(c && strstr(c, "\"eval_split\":\t\"val (5 training renders per class after the 10 "
                         "trained on)\""));
    CHECK(c && strstr(c, "\"eval_split\":\t\"val\",") && strstr(c, "\"max_tasks\":\t2,"));
    CHECK(c && strstr(c, "\"overrides\":\t[\"benchmark.eval_split=val\", \"run.max_tasks=2\"]"));
    free(c);
    run_record rec;
    CHECK(run_record_open(dir, &rec) == 0);
    CHECK(rec.eval_split && !strncmp(rec.eval_split, "val (5 training renders", 23));
    run_record_free(&rec);
    /* the same zero-shot model on the test split (run_tiny_zeroshot_consistent's config) */
    char tdir[512];
    snprintf(tdir, sizeof tdir, "%s/zs-test-run", test_tmpdir());
    snprintf(args, sizeof args, "run %s --out %s", tiny_config("zs-test", "zeroshot", ""), tdir);
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 0);
    CHECK(!strstr(out, "validation"));
    snprintf(p, sizeof p, "%s/config.json", tdir);
    c = slurp(p);
    CHECK(c && strstr(c, "\"eval_split\":\t\"test\""));
    free(c);
    char pv[700];
    snprintf(p, sizeof p, "%s/accuracy_matrix.csv", tdir);
    snprintf(pv, sizeof pv, "%s/accuracy_matrix.csv", dir);
    char *mt = slurp(p), *mv = slurp(pv);
    CHECK(mt && mv && strncmp(mt, mv, strlen(mv)) != 0); /* 3 tasks there, 2 here */
    free(mt);
    free(mv);
    test_all_threads();
}


static int count_substr(const char *s, const char *sub) {
    int n = 0;
    for (const char *p = s; (p = strstr(p, sub)); p += strlen(sub)) n++;
    return n;
}

TEST(run_tiny_joint_trains_once) {
    /* joint: one training phase (task 1, every class of the run), then evaluation per task;
     * the trained model knows task 3 before "learning" it, unlike the zero-shot model */
    test_one_thread();
    char dir[512], args[1200], p[700];
    snprintf(dir, sizeof dir, "%s/joint-run", test_tmpdir());
    snprintf(args, sizeof args, "run %s --out %s", tiny_config("joint", "joint", ""), dir);
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 0);
    snprintf(p, sizeof p, "%s/events.jsonl", dir);
    char *ev = slurp(p);
    /* 1 train + 3 eval + 3 analytics */
    CHECK(ev && count_substr(ev, "\"event\":\"phase\",") == 7);
    CHECK(ev && count_substr(ev, "\"phase\":\"train\",\"steps\":10") == 1); /* 300 images / 32 */
    free(ev);
    test_all_threads();
}

TEST(run_resume_after_kills) {
    /* One run killed (SIGKILL, as kill -9 or a power cut) at four points in turn, resumed after
     * each: during training (task 1's 3rd step), during evaluation, while a file is half
     * written (a torn temporary file), and while an event line is half written (a torn
     * events.jsonl). The end must be byte-identical to the uninterrupted run. */
    test_one_thread();
    const char *ref = reference_run();
    char dir[512], args[1400], resume[700];
    snprintf(dir, sizeof dir, "%s/killed", test_tmpdir());
    snprintf(args, sizeof args, "run %s --out %s", tiny_config("killed", "finetune", ""), dir);
    snprintf(resume, sizeof resume, "resume %s", dir);
    const char *points[] = {"step:3", "eval:2", "file:3", "event:12"};
    int st = run_segp_fault(points[0], args);
    CHECK_MSG(st != 0 && !dir_has(dir, "DONE"), "%s: the run was not killed", points[0]);
    for (int k = 1; k < 4; k++) {
        st = run_segp_fault(points[k], resume);
        CHECK_MSG(st != 0 && !dir_has(dir, "DONE"), "%s: the resumed run was not killed",
                  points[k]);
    }
    CHECK_MSG(!dir_has(dir, "tasks/03/DONE"), "the kills came too late to test much");
    char p[700];
    snprintf(p, sizeof p, "%s/events.jsonl", dir);
    char *ev = slurp(p);
    size_t n = ev ? strlen(ev) : 0;
    CHECK_MSG(n && ev[n - 1] != '\n', "events.jsonl was not left torn");
    free(ev);
    int rc = test_run_segp(resume, out, sizeof out);
    CHECK_MSG(rc == 0, "resume failed: %s", out);
    CHECK(same_metrics(ref, dir));
    CHECK(dir_has(dir, "DONE"));
    test_all_threads();
}

/* `segp run ARGS` with every file it writes limited to LIMIT bytes (RLIMIT_FSIZE, SIGXFSZ
 * ignored: a write past it fails with EFBIG, as on a full disk); its exit status. */
static int run_segp_file_limit(const char *args, rlim_t limit) {
    struct rlimit old, lim;
    getrlimit(RLIMIT_FSIZE, &old);
    lim = old;
    lim.rlim_cur = limit;
    void (*was)(int) = signal(SIGXFSZ, SIG_IGN);
    setrlimit(RLIMIT_FSIZE, &lim); /* popen's child inherits both */
    int rc = test_run_segp(args, out, sizeof out);
    setrlimit(RLIMIT_FSIZE, &old);
    signal(SIGXFSZ, was);
    return rc;
}

static int has_tmp_files(const char *dir) {
    char cmd[800];
    snprintf(cmd, sizeof cmd, "find '%s' -name '*.tmp.*' | grep -q .", dir);
    return system(cmd) == 0;
}

/* A full disk (every file limited in size) stops a run with the file named. Before its
 * config.json is written nothing is left, so the same command runs again; later the finished
 * tasks stay, no temporary file is left, and `segp resume` ends on the uninterrupted run's
 * numbers. */
TEST(run_disk_full) {
    test_one_thread();
    const char *ref = reference_run();
    const char *cfg = tiny_config("full", "finetune", "");
    char dir[512], args[1400];
    snprintf(dir, sizeof dir, "%s/full-early", test_tmpdir());
    snprintf(args, sizeof args, "run %s --out %s", cfg, dir);
    /* 2 KB: config.json (about 4 KB) cannot be written */
    int rc = run_segp_file_limit(args, 2048);
    CHECK_EQ_INT(rc, 1);
    CHECK_MSG(strstr(out, "/config.json: write failed: File too large"), "%s", out);
    CHECK_MSG(!dir_has(dir, ""), "%s was left behind", dir);
    rc = test_run_segp(args, out, sizeof out);
    CHECK_MSG(rc == 0, "the same command again: %s", out);
    CHECK(same_metrics(ref, dir));

    /* 16 KB: config.json and events.jsonl fit, task 1's geometry.safetensors does not */
    snprintf(dir, sizeof dir, "%s/full-late", test_tmpdir());
    snprintf(args, sizeof args, "run %s --out %s", cfg, dir);
    rc = run_segp_file_limit(args, 16384);
    CHECK_EQ_INT(rc, 1);
    CHECK_MSG(strstr(out, "tasks/01/geometry.safetensors: write failed: File too large") &&
                  strstr(out, "continue with: segp resume"),
              "%s", out);
    CHECK(dir_has(dir, "config.json") && !dir_has(dir, "DONE"));
    CHECK(!dir_has(dir, "tasks/01/geometry.safetensors"));
    CHECK(!has_tmp_files(dir));
    char resume[700];
    snprintf(resume, sizeof resume, "resume %s", dir);
    rc = test_run_segp(resume, out, sizeof out);
    CHECK_MSG(rc == 0, "resume failed: %s", out);
    CHECK(same_metrics(ref, dir));
    CHECK(!has_tmp_files(dir));
    test_all_threads();
}

/* A run directory path so long that its files' paths would pass PATH_MAX is refused with its
 * length, before anything is made: before, `--out` was cut to 4095 bytes and the run was made
 * in the folder of the cut name. The same for resume, the workbench and export. */
TEST(run_long_paths_refused) {
    char parent[4200];
    snprintf(parent, sizeof parent, "%s/long", test_tmpdir());
    while (strlen(parent) < 3900) {
        size_t n = strlen(parent);
        parent[n] = '/';
        memset(parent + n + 1, 'd', 200);
        parent[n + 201] = 0;
    }
    mkdirs(parent);
    char dir[4400], args[8000];
    snprintf(dir, sizeof dir, "%s/%0100d", parent, 0);
    const size_t len = strlen(dir);
    char want[120];
    snprintf(want, sizeof want, "path too long (%zu bytes; expected at most 3900", len);
    const char *cmds[] = {"run %s --out %s", "tui %s --out %s", "resume %.0s%s"};
    for (int k = 0; k < 3; k++) {
        char fmt[64];
        snprintf(fmt, sizeof fmt, "%s", cmds[k]);
        snprintf(args, sizeof args, fmt, tiny_config("long", "finetune", ""), dir);
        int rc = test_run_segp(args, out, sizeof out);
        CHECK_MSG(rc == 1 && strstr(out, want), "%s: rc %d, %s", cmds[k], rc, out);
    }
    snprintf(args, sizeof args, "export %s --all --out %s", reference_run(), dir);
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 1);
    CHECK_MSG(strstr(out, "path too long") && strstr(out, "expected at most 4000"), "%s", out);
    char cmd[4400];
    snprintf(cmd, sizeof cmd, "[ -z \"$(ls -A '%s')\" ]", parent);
    CHECK_MSG(system(cmd) == 0, "something was made in the parent folder");
}

/* One process writes a run at a time: the writer lock (DIR/.lock) refuses a second writer,
 * naming the holder's pid, and goes with its holder when that is killed (kill -9: no stale
 * lock to clean). A resume refused so leaves the run as it was, then resumes it once the
 * other process has gone, to the uninterrupted run's numbers. */
TEST(run_one_writer_at_a_time) {
    const char *ldir = tpath("lock-dir", "");
    mkdirs(ldir);
    int fd = -1, fd2 = -1;
    CHECK(rundir_lock(ldir, &fd, NULL, 0) == 0 && fd >= 0);
    rundir_holder h;
    CHECK_EQ_INT(rundir_locked(ldir, &h), 1);
    CHECK_EQ_INT(h.pid, getpid());
    CHECK(h.host[0] && h.since > 1.7e9);
    CHECK(rundir_lock(ldir, &fd2, NULL, 0) == -1 && fd2 == -1);
    char want[400];
    snprintf(want, sizeof want, "(pid %d on %s, since ", (int)getpid(), h.host);
    CHECK(err_has(want) && err_has("one process writes a run at a time"));
    close(fd);
    CHECK_EQ_INT(rundir_locked(ldir, NULL), 0);
    int pid = test_lock_hold(ldir);
    CHECK(pid > 0);
    CHECK_EQ_INT(rundir_locked(ldir, &h), 1);
    CHECK_EQ_INT(h.pid, pid);
    test_lock_release(pid);
    CHECK_EQ_INT(rundir_locked(ldir, NULL), 0);
    CHECK(rundir_lock(ldir, &fd, NULL, 0) == 0 && fd >= 0);
    close(fd);
    const char *plain = tpath("lock-none", ""); /* looking never creates the file */
    mkdirs(plain);
    CHECK_EQ_INT(rundir_locked(plain, NULL), 0);
    CHECK(!dir_has(plain, ".lock"));

    test_one_thread();
    const char *ref = reference_run();
    char dir[512], args[1400], p[700];
    snprintf(dir, sizeof dir, "%s/locked", test_tmpdir());
    snprintf(args, sizeof args, "run %s --out %s", tiny_config("locked", "finetune", ""), dir);
    CHECK(run_segp_fault("step:3", args) != 0 && !dir_has(dir, "DONE"));
    snprintf(p, sizeof p, "%s/events.jsonl", dir);
    char *before = slurp(p);
    pid = test_lock_hold(dir);
    CHECK(pid > 0);
    CHECK(dir_has(dir, ".lock")); /* the killed run's, released by the kernel */
    snprintf(args, sizeof args, "resume %s", dir);
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 1);
    snprintf(want, sizeof want, "(pid %d on ", pid);
    CHECK_MSG(strstr(out, want) && strstr(out, "one process writes a run at a time") &&
                  strstr(out, "segp tui "), "%s", out);
    char *after = slurp(p);
    CHECK(before && after && !strcmp(before, after));
    free(before);
    free(after);
    test_lock_release(pid);
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 0);
    CHECK(same_metrics(ref, dir));
    CHECK_EQ_INT(rundir_locked(dir, NULL), 0);
    CHECK(!dir_has(dir, ".lock")); /* a finished run keeps no lock file */
    test_all_threads();
}

/* Two runs started in the same second without --out: the default name runs/CONFIG-DATE-TIME
 * is taken by the first, and the second takes -2 instead of failing (a job array's runs). */
TEST(run_default_dir_taken_meanwhile) {
    cl_config c = cl_config_default();
    CHECK(cl_config_parse_file(tiny_config("freedir", "finetune", ""), &c) == 0);
    CHECK(cl_config_check(&c) == 0);
    char dir[600];
    snprintf(dir, sizeof dir, "%s/freedir-20261201-080000", test_tmpdir());
    mkdirs(dir); /* the other run's */
    cl_runner_params p = cl_runner_default_params();
    cl_runner *r = cl_runner_new(&c, "freedir.json", dir, &p);
    CHECK(r == NULL && err_has("already exists"));
    p.free_dir = 1;
    r = cl_runner_new(&c, "freedir.json", dir, &p);
    CHECK(r != NULL);
    if (!r) return;
    cl_run_result res;
    cl_runner_result(r, &res);
    char want[700];
    snprintf(want, sizeof want, "%.600s-2", dir);
    CHECK_MSG(!strcmp(res.dir, want), "%s", res.dir);
    CHECK(dir_has(want, "config.json") && !dir_has(dir, "config.json"));
    cl_runner_free(r);
}

TEST(run_ctrl_c_stops_and_resumes) {
    test_one_thread();
    const char *ref = reference_run();
    char dir[512], args[1400], cmd[2000];
    snprintf(dir, sizeof dir, "%s/ctrl-c", test_tmpdir());
    snprintf(args, sizeof args, "run %s --out %s", tiny_config("ctrlc", "finetune", ""), dir);
    snprintf(cmd, sizeof cmd, "SEGP_FAULT_KILL=step:6:INT %s %s > %s/ctrl-c.txt 2>&1",
             test_segp_bin(), args, test_tmpdir());
    int st = system(cmd);
    CHECK_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 130, "status %d", st);
    char p[700];
    snprintf(p, sizeof p, "%s/ctrl-c.txt", test_tmpdir());
    char *text = slurp(p);
    CHECK(text && strstr(text, "segp resume ") && strstr(text, "stopped during task"));
    free(text);
    CHECK(!dir_has(dir, "DONE"));
    snprintf(args, sizeof args, "resume %s", dir);
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 0);
    CHECK(same_metrics(ref, dir));
    test_all_threads();
}

static void copy_run(const char *from, const char *to) {
    char cmd[2400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && cp -r '%s' '%s'", to, from, to);
    CHECK(system(cmd) == 0);
}

TEST(run_resume_corrupt_dirs) {
    test_one_thread();
    const char *ref = reference_run();
    char dir[512], cmd[1600], args[700];
    /* a torn events.jsonl and a missing DONE of the last task: resumed, identical metrics */
    snprintf(dir, sizeof dir, "%s/torn", test_tmpdir());
    copy_run(ref, dir);
    snprintf(cmd, sizeof cmd, "cd '%s' && rm DONE tasks/03/DONE && printf '{\"event\":\"st' >> "
             "events.jsonl", dir);
    CHECK(system(cmd) == 0);
    snprintf(args, sizeof args, "resume %s", dir);
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 0);
    CHECK_MSG(strstr(out, "events.jsonl: cut a torn last line"), "%s", out);
    CHECK(same_metrics(ref, dir));
    char p[700];
    snprintf(p, sizeof p, "%s/events.jsonl", dir);
    char *ev = slurp(p);
    CHECK(ev && !strstr(ev, "{\"event\":\"st{") && strstr(ev, "resuming: tasks 1-2 are done"));
    free(ev);
    /* a run recorded with other OpenBLAS kernels: resumed, with a note naming them and how to
     * get them back */
    snprintf(dir, sizeof dir, "%s/other-blas", test_tmpdir());
    copy_run(ref, dir);
    snprintf(cmd, sizeof cmd, "cd '%s' && rm DONE tasks/03/DONE && sed -i "
             "'s/\"blas\":[[:space:]]*\"[A-Za-z0-9]*\"/\"blas\": \"Prescott\"/' config.json && "
             "grep -q '\"blas\": \"Prescott\"' config.json && "
             "sha256sum config.json > config.json.sha256", dir); /* as if recorded so */
    CHECK(system(cmd) == 0);
    snprintf(args, sizeof args, "resume %s", dir);
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 0);
    CHECK_MSG(strstr(out, "records OpenBLAS kernels 'Prescott'") &&
                  strstr(out, "set OPENBLAS_CORETYPE=Prescott to match"),
              "%s", out);
    CHECK(same_metrics(ref, dir));
    /* resumed and evaluated from another directory: the relative model path is not there, so
     * the absolute one the run recorded is used, and said */
    snprintf(dir, sizeof dir, "%s/elsewhere", test_tmpdir());
    copy_run(ref, dir);
    snprintf(cmd, sizeof cmd, "cd '%s' && rm DONE tasks/03/DONE", dir);
    CHECK(system(cmd) == 0);
    char *bin = realpath(test_segp_bin(), NULL);
    char *model = realpath("sample_runs/models/shapes-clip.safetensors", NULL);
    CHECK(bin && model);
    for (int k = 0; k < 2 && bin && model; k++) {
        snprintf(cmd, sizeof cmd, "cd '%s' && '%s' %s '%s' > '%s/elsewhere.txt' 2>&1",
                 test_tmpdir(), bin, k ? "eval" : "resume", dir, test_tmpdir());
        CHECK_MSG(system(cmd) == 0, "%s", cmd);
        snprintf(p, sizeof p, "%s/elsewhere.txt", test_tmpdir());
        char *text = slurp(p);
        char want[1400];
        snprintf(want, sizeof want, "is not under the current directory; using %s", model);
        CHECK_MSG(text && strstr(text, want), "%s", text ? text : "");
        free(text);
    }
    free(bin), free(model);
    CHECK(same_metrics(ref, dir));
    /* a corrupt checkpoint of the task to continue from: refused, naming the file */
    snprintf(dir, sizeof dir, "%s/corrupt", test_tmpdir());
    copy_run(ref, dir);
    snprintf(cmd, sizeof cmd, "cd '%s' && rm DONE tasks/03/DONE && "
             "truncate -s 100 tasks/02/lora.safetensors", dir);
    CHECK(system(cmd) == 0);
    snprintf(args, sizeof args, "resume %s", dir);
    int rc = test_run_segp(args, out, sizeof out);
    CHECK(rc != 0 && strstr(out, "tasks/02/lora.safetensors"));
    /* a corrupt checkpoint of an earlier finished task, every task done but the run's DONE
     * missing: refused too (a finished run never keeps a corrupt checkpoint), naming it */
    snprintf(dir, sizeof dir, "%s/corrupt-early", test_tmpdir());
    copy_run(ref, dir);
    snprintf(cmd, sizeof cmd, "cd '%s' && rm DONE && truncate -s 100 tasks/01/lora.safetensors",
             dir);
    CHECK(system(cmd) == 0);
    snprintf(args, sizeof args, "resume %s", dir);
    rc = test_run_segp(args, out, sizeof out);
    CHECK_MSG(rc != 0 && strstr(out, "tasks/01/lora.safetensors") &&
                  strstr(out, "task 1's checkpoint is unreadable"),
              "%s", out);
    /* a corrupt eval.json of a finished task: refused, naming it */
    snprintf(dir, sizeof dir, "%s/corrupt-eval", test_tmpdir());
    copy_run(ref, dir);
    snprintf(cmd, sizeof cmd, "cd '%s' && rm DONE && echo '{\"task\": 1, \"cou' > "
             "tasks/01/eval.json", dir);
    CHECK(system(cmd) == 0);
    snprintf(args, sizeof args, "resume %s", dir);
    rc = test_run_segp(args, out, sizeof out);
    CHECK(rc != 0 && strstr(out, "tasks/01/eval.json"));
    /* its advice names the later tasks' DONE too: deleting task 1's alone leaves an
     * inconsistent directory */
    CHECK_MSG(strstr(out, "tasks/01/DONE (and every later task's) to re-run task 1"), "%s", out);
    /* an emptied DONE of a finished task: refused, naming it (it was taken as a task of 0:00) */
    snprintf(dir, sizeof dir, "%s/corrupt-done", test_tmpdir());
    copy_run(ref, dir);
    snprintf(cmd, sizeof cmd, "cd '%s' && rm DONE && : > tasks/01/DONE", dir);
    CHECK(system(cmd) == 0);
    snprintf(args, sizeof args, "resume %s", dir);
    rc = test_run_segp(args, out, sizeof out);
    CHECK_MSG(rc != 0 && strstr(out, "tasks/01/DONE: corrupt (expected {\"task\": 1, \"wall_s\": "
                                     "SECONDS}); delete it (and every later task's DONE) to "
                                     "re-run task 1"), "%s", out);
    /* not a run directory at all */
    snprintf(args, sizeof args, "resume %s/nowhere", test_tmpdir());
    rc = test_run_segp(args, out, sizeof out);
    CHECK(rc != 0 && strstr(out, "config.json"));
    test_all_threads();
}

/* A config.json edited after the run started (another seed) is refused by resume and eval,
 * naming the file and what to do, with nothing written; restored, the run resumes. A run of an
 * older segp (no config.json.sha256) resumes unchecked, with a note. */
TEST(run_resume_edited_config_refused) {
    test_one_thread();
    char dir[512], args[1400], cmd[1600], p[700];
    snprintf(dir, sizeof dir, "%s/edited", test_tmpdir());
    snprintf(args, sizeof args, "run %s --set run.max_tasks=1 --out %s",
             tiny_config("edited", "finetune", ""), dir);
    CHECK(run_segp_fault("step:2", args) != 0 && !dir_has(dir, "DONE"));
    snprintf(cmd, sizeof cmd, "cd '%s' && sha256sum -c --status config.json.sha256 && "
             "cp config.json %s/edited-orig.json && sed -i 's/\"seed\":\t1,/\"seed\":\t2,/' "
             "config.json && grep -q '\"seed\":\t2,' config.json", dir, test_tmpdir());
    CHECK_MSG(system(cmd) == 0, "%s", cmd);
    snprintf(p, sizeof p, "%s/events.jsonl", dir);
    char *ev0 = slurp(p);
    for (int k = 0; k < 2; k++) {
        snprintf(args, sizeof args, "%s %s", k ? "eval" : "resume", dir);
        CHECK(test_run_segp(args, out, sizeof out) == 1);
        char want[1200];
        snprintf(want, sizeof want, "%s/config.json: changed since the run started", dir);
        CHECK_MSG(strstr(out, want) && strstr(out, "config.json.sha256") &&
                      strstr(out, "restore the file the run wrote") &&
                      strstr(out, "edited one with: segp run ") && strstr(out, "--out NEWDIR"),
                  "%s", out);
    }
    char *ev1 = slurp(p);
    CHECK(ev0 && ev1 && !strcmp(ev0, ev1) && !dir_has(dir, "tasks/01/DONE"));
    free(ev0), free(ev1);
    /* info reads the run as before, saying so (it said nothing; export notes it the same way) */
    char want[1200];
    snprintf(want, sizeof want, "%s/config.json: changed since the run started", dir);
    snprintf(args, sizeof args, "info %s", dir);
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 0);
    CHECK_MSG(strstr(out, "\nwarning    ") && strstr(out, want), "%s", out);
    /* restored: resumed (with 2 threads: the notice that the last bits may differ) */
    snprintf(cmd, sizeof cmd, "cp %s/edited-orig.json '%s/config.json'", test_tmpdir(), dir);
    CHECK(system(cmd) == 0);
    snprintf(args, sizeof args, "resume %s", dir);
    setenv("OMP_NUM_THREADS", "2", 1);
    CHECK_MSG(test_run_segp(args, out, sizeof out) == 0, "%s", out);
    setenv("OMP_NUM_THREADS", "1", 1);
    CHECK(dir_has(dir, "DONE") && !strstr(out, "config.json.sha256 is absent"));
    CHECK_MSG(strstr(out, "config.json records 1 thread and this process has 2: a re-run task "
                          "may differ from the original in the last bits (set "
                          "OMP_NUM_THREADS=1 to match)"), "%s", out);
    /* an older segp's run: no record, resumed with a note */
    snprintf(cmd, sizeof cmd, "cd '%s' && rm DONE tasks/01/DONE config.json.sha256", dir);
    CHECK(system(cmd) == 0);
    CHECK_MSG(test_run_segp(args, out, sizeof out) == 0, "%s", out);
    CHECK_MSG(strstr(out, "config.json.sha256 is absent (a run of an older segp)"), "%s", out);
    CHECK(dir_has(dir, "DONE"));
    test_all_threads();
}

/* The default run from another directory: the shipped config and model are found beside the
 * executable (segp lives in its source tree), and the run directory records where. The tree
 * here is a copy of the binary beside a link to sample_runs/, so that any build (the ASan one
 * lives in build-asan/) is tested the same way. */
TEST(run_default_config_from_anywhere) {
    char *model = realpath("sample_runs/models/shapes-clip.safetensors", NULL);
    char *shipped = realpath("sample_runs", NULL);
    CHECK(model && shipped);
    if (!model || !shipped) {
        free(model), free(shipped);
        return;
    }
    test_one_thread();
    char tree[600], dir[600], cmd[8192], p[800];
    snprintf(tree, sizeof tree, "%s/tree", test_tmpdir());
    snprintf(dir, sizeof dir, "%s/anywhere-run", test_tmpdir());
    snprintf(cmd, sizeof cmd, "rm -rf '%s' '%s' && mkdir -p '%s' && cp '%s' '%s/segp' && "
             "ln -s '%s' '%s/sample_runs'", tree, dir, tree,
             test_segp_bin(), tree, shipped, tree);
    CHECK_MSG(system(cmd) == 0, "%s", cmd);
    snprintf(cmd, sizeof cmd, "cd '%s' && '%s/segp' run --set run.max_tasks=2 --set "
             "benchmark.train_per_class=4 --set benchmark.test_per_class=2 --set train.epochs=1 "
             "--set analytics.enabled=false --out '%s' > anywhere.txt 2>&1", test_tmpdir(), tree,
             dir);
    CHECK_MSG(system(cmd) == 0, "%s", cmd);
    CHECK(dir_has(dir, "DONE"));
    snprintf(p, sizeof p, "%s/config.json", dir);
    char *c = slurp(p);
    char want[1200];
    snprintf(want, sizeof want, "\"%s/sample_runs/default.json\"", tree);
    CHECK_MSG(c && strstr(c, want), "config_file %s not in %s", want, p);
    snprintf(want, sizeof want, "\"%s/sample_runs/models/shapes-clip.safetensors\"", tree);
    CHECK_MSG(c && strstr(c, want), "model %s not in %s", want, p);
    snprintf(want, sizeof want, "\"%s\"", model);
    CHECK_MSG(c && strstr(c, want), "model_path %s not in %s", want, p);
    free(c);
    /* a run whose relative model path is not under the current directory and whose recorded
     * path is gone (a copied run directory): segp's own folder has the model */
    char copy[700];
    snprintf(copy, sizeof copy, "%s/moved-run", test_tmpdir());
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && cp -r '%s' '%s'", copy, reference_run(), copy);
    CHECK(system(cmd) == 0);
    snprintf(p, sizeof p, "%s/config.json", copy);
    c = slurp(p);
    char *at = c ? strstr(c, want) : NULL;
    CHECK(c && at && strstr(c, "\"model\":\t\"sample_runs/models/shapes-clip.safetensors\""));
    if (at) {
        char *edited = malloc(strlen(c) + 64);
        sprintf(edited, "%.*s\"/gone/shapes-clip.safetensors\"%s", (int)(at - c), c,
                at + strlen(want));
        write_text(p, edited);
        free(edited);
        /* a run that recorded that path (its config.json.sha256 made to match) */
        snprintf(cmd, sizeof cmd, "cd '%s' && sha256sum config.json > config.json.sha256", copy);
        CHECK(system(cmd) == 0);
    }
    free(c);
    snprintf(cmd, sizeof cmd, "cd '%s' && '%s/segp' eval '%s' > moved.txt 2>&1", test_tmpdir(),
             tree, copy);
    CHECK_MSG(system(cmd) == 0, "%s", cmd);
    c = slurp(tpath("moved.txt", NULL));
    snprintf(want, sizeof want, "using %s/sample_runs/models/shapes-clip.safetensors, in segp's "
             "own folder (same SHA-256)", tree);
    CHECK_MSG(c && strstr(c, want) && strstr(c, "every entry equals the saved counts"), "%s",
              c ? c : "");
    free(c), free(model), free(shipped);
    test_all_threads();
}

TEST(run_eval_reproduces_metrics) {
    test_one_thread();
    const char *ref = reference_run();
    char args[700];
    /* neither eval nor a resume of the finished run writes into it, events.jsonl included */
    char p[700];
    snprintf(p, sizeof p, "%s/events.jsonl", ref);
    char *ev0 = slurp(p);
    snprintf(args, sizeof args, "resume %s", ref);
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 0);
    CHECK_MSG(strstr(out, "the run has finished") && strstr(out, "nothing written"), "%s", out);
    snprintf(args, sizeof args, "eval %s", ref);
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 0);
    char *ev1 = slurp(p);
    CHECK(ev0 && ev1 && !strcmp(ev0, ev1));
    free(ev0), free(ev1);
    snprintf(p, sizeof p, "%s/metrics.jsonl", ref);
    char *m = slurp(p);
    /* the Last of metrics.jsonl reappears in the re-evaluated table */
    const char *last = m ? strstr(m, "{\"last\": ") : NULL;
    double v = last ? atof(last + 9) : -1;
    char want[64];
    snprintf(want, sizeof want, "Last %.2f", v);
    CHECK_MSG(strstr(out, want) != NULL, "'%s' not in: %s", want, out);
    CHECK(strstr(out, "every entry equals the saved counts") != NULL);
    /* a method that trains: its count of trainable numbers, and the time trained too */
    CHECK_MSG(strstr(out, ": method finetune on shapes (order: latin), 3/3 tasks, 200704 "
                          "trainable LoRA-B numbers\n") &&
                  strstr(out, " (training and evaluation, measured)\n"), "%s", out);
    /* a saved count that the checkpoint does not reproduce is reported */
    char dir[512], cmd[2400];
    snprintf(dir, sizeof dir, "%s/tampered", test_tmpdir());
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && cp -r '%s' '%s' && sed -i 's/\\[48, 40/[47, 40/' "
             "'%s/tasks/01/eval.json'", dir, ref, dir, dir);
    CHECK(system(cmd) == 0);
    snprintf(args, sizeof args, "eval %s", dir);
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 0);
    CHECK_MSG(strstr(out, "re-evaluation: 1 entry differs from the saved counts") != NULL, "%s", out);
    /* an unreadable checkpoint: the file, what it means, what to do; nothing is written */
    snprintf(cmd, sizeof cmd, "printf garbage > '%s/tasks/02/lora.safetensors'", dir);
    CHECK(system(cmd) == 0);
    snprintf(p, sizeof p, "%s/events.jsonl", dir);
    ev0 = slurp(p);
    CHECK(test_run_segp(args, out, sizeof out) != 0);
    CHECK_MSG(strstr(out, "tasks/02/lora.safetensors: file is too short") &&
                  strstr(out, "Task 2's checkpoint cannot be read") &&
                  strstr(out, "tasks/02/DONE and every later task's, then run: segp resume "),
              "%s", out);
    ev1 = slurp(p);
    CHECK(ev0 && ev1 && !strcmp(ev0, ev1));
    free(ev0), free(ev1);
    free(m);
    test_all_threads();
}

/* segp info RUN_DIR: a run's state (finished; interrupted, with the command that continues it;
 * written by another process, named) and its numbers; several runs, or a folder of runs, give a
 * line each. */
TEST(run_info_states_and_numbers) {
    char args[1600];
    CHECK_EQ_INT(test_run_segp("info sample_runs/default-run", out, sizeof out), 0);
    CHECK_MSG(strstr(out, "state      finished\n") &&
                  strstr(out, "final      Last 66.80  Avg 77.40  Forgetting 11.72  BWT -11.67") &&
                  strstr(out, "CLIP only  Last 63.80  Avg 76.01  Forgetting 12.06  BWT -12.00") &&
                  strstr(out, "tasks      10 of 10 finished, wall time 2:52") &&
                  strstr(out, "machine    AMD EPYC; 2 threads; OpenBLAS kernels Haswell\n"),
              "%s", out);
    char folder[600], copy[700];
    snprintf(folder, sizeof folder, "%s/info-runs", test_tmpdir());
    snprintf(copy, sizeof copy, "%s/cut", folder);
    mkdirs(folder);
    copy_run("sample_runs/default-run", copy);
    char cmd[2000];
    snprintf(cmd, sizeof cmd, "rm '%s/DONE' '%s/tasks/10/DONE'", copy, copy);
    CHECK(system(cmd) == 0);
    snprintf(args, sizeof args, "info %s", copy);
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 0);
    /* so far: task 9's line of metrics.jsonl (A_9 68.33) */
    CHECK_MSG(strstr(out, "state      interrupted after task 9/10\n") &&
                  strstr(out, "continue with: segp resume ") &&
                  strstr(out, "so far     Last 68.33"), "%s", out);
    int pid = test_lock_hold(copy);
    CHECK(pid > 0);
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 0);
    char want[64];
    snprintf(want, sizeof want, "state      running (pid %d on ", pid);
    CHECK_MSG(strstr(out, want) && strstr(out, "follows it live") && !strstr(out, "resume"),
              "%s", out);
    test_lock_release(pid);
    /* a folder of runs, and a run beside it: a line each, in order; a pretraining directory
     * in the folder (segp pretrain's default out_dir is runs/pretrain-shapes) is no run: it had
     * a line "config.json: has no 'resolved' object" and made the command exit 1 */
    snprintf(cmd, sizeof cmd, "mkdir -p '%s/pretrain-shapes' && cd '%s/pretrain-shapes' && "
             "echo '{\"out_dir\": \"pretrain-shapes\", \"seed\": 1}' > config.json && "
             "echo '{\"step\": 10, \"loss\": 4.8}' > log.jsonl", folder, folder);
    CHECK(system(cmd) == 0);
    snprintf(args, sizeof args, "info %s sample_runs/default-run", folder);
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 0);
    const char *a = strstr(out, "/info-runs/cut "), *b = strstr(out, "sample_runs/default-run ");
    CHECK_MSG(a && b && a < b && strstr(a, " 9/10   68.33 ") &&
                  strstr(a, "interrupted after task 9/10") && strstr(b, "10/10   66.80   77.40 "
                  "  11.72    2:52  finished") && !strstr(out, "pretrain-shapes"), "%s", out);
    /* a folder of runs where a run is expected: the error says which runs it holds */
    snprintf(args, sizeof args, "resume %s", folder);
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 1);
    CHECK_MSG(strstr(out, "not a run directory: ") && strstr(out, "it holds 1 run (cut): give "
                                                                  "one of them (to list them: "
                                                                  "segp info "),
              "%s", out);
    snprintf(args, sizeof args, "export %s --figure accuracy-curve --out %s/x.png", folder,
             folder);
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 1);
    CHECK_MSG(strstr(out, "it holds 1 run (cut)"), "%s", out);
    CHECK_EQ_INT(test_run_segp("info tests", out, sizeof out), 1);
    CHECK_MSG(strstr(out, "tests: not a run directory (no config.json) and holds none"), "%s",
              out);
}
