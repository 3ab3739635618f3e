/* test_run_crash.c: runs killed (SIGKILL, SEGP_FAULT_KILL) at the moments test_run.c leaves
 * out: while a new run writes its config.json and its SHA-256 record; a run resumed by another
 * segp build than the one config.json records; and stopped (SIGINT) in the evaluations that
 * show no progress. (Kills during the tasks, full disks and corrupt run directories:
 * test_run.c.) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "core/common.h"
#include "test.h"
#include "tiny_run.h"

static char out[65536];

/* Killed while the run writes the first (N 1) or the second (N 2) file of its start: the
 * record config.json.sha256 and config.json. A config.json without its record would be taken
 * for an older segp's run and resumed unchecked for good, so there is never one without the
 * other. The folder left holds no run: `segp resume` says so and what to do, and the same
 * `segp run` starts in it again (it was refused: "already exists") and ends on the numbers of
 * a run never killed. */
TEST(run_killed_while_writing_its_config) {
    test_one_thread();
    char ref[600], args[1400];
    snprintf(ref, sizeof ref, "%s/start-ref", test_tmpdir());
    snprintf(args, sizeof args, "run %s --out %s", tiny_config("start", "finetune", ""), ref);
    CHECK_MSG(test_run_segp(args, out, sizeof out) == 0, "%s", out);
    for (int k = 1; k <= 2; k++) {
        char dir[600], fault[32], resume[700];
        snprintf(dir, sizeof dir, "%s/start-killed-%d", test_tmpdir(), k);
        snprintf(args, sizeof args, "run %s --out %s", tiny_config("start", "finetune", ""), dir);
        snprintf(fault, sizeof fault, "file:%d", k);
        CHECK_MSG(run_segp_fault(fault, args) != 0, "%s: the run was not killed", fault);
        CHECK_MSG(!dir_has(dir, "config.json") || dir_has(dir, "config.json.sha256"),
                  "%s: config.json left without config.json.sha256", fault);
        CHECK_MSG(dir_has(dir, "tasks") && !dir_has(dir, "config.json"), "%s", fault);
        snprintf(resume, sizeof resume, "resume %s", dir);
        CHECK_EQ_INT(test_run_segp(resume, out, sizeof out), 1);
        CHECK_MSG(strstr(out, "killed there before it wrote config.json") &&
                      strstr(out, "run the same segp run command again"), "%s", out);
        CHECK_MSG(test_run_segp(args, out, sizeof out) == 0, "%s: run again: %s", fault, out);
        CHECK_MSG(strstr(out, "before it wrote config.json (nothing trained); starting it "
                              "again"), "%s", out);
        CHECK(dir_has(dir, "DONE") && dir_has(dir, "config.json.sha256"));
        CHECK(same_run_file(ref, dir, "metrics.jsonl") &&
              same_run_file(ref, dir, "accuracy_matrix.npy"));
    }
    /* a folder with anything else in it is never taken */
    char dir[600];
    snprintf(dir, sizeof dir, "%s/start-other", test_tmpdir());
    snprintf(args, sizeof args, "%s/tasks", dir);
    mkdirs(args);
    snprintf(args, sizeof args, "%s/notes.txt", dir);
    write_text(args, "mine\n");
    snprintf(args, sizeof args, "run %s --out %s", tiny_config("start", "finetune", ""), dir);
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 1);
    CHECK_MSG(strstr(out, "already exists; a run is written into a new folder only"), "%s", out);
    CHECK(dir_has(dir, "notes.txt") && dir_has(dir, "tasks"));
    test_all_threads();
}

/* Resumed by another build than config.json records (which names one build for the run): the
 * note, on the terminal and in events.jsonl, as for another thread count (it resumed without a
 * word, leaving a run that two builds made and whose record names one); none from the same
 * build. */
TEST(run_resume_other_build_noticed) {
    test_one_thread();
    char dir[600], args[1400], cmd[2000], p[700];
    snprintf(dir, sizeof dir, "%s/other-build", test_tmpdir());
    snprintf(args, sizeof args, "run %s --out %s", tiny_config("obuild", "finetune", ""), dir);
    CHECK(run_segp_fault("step:3", args) != 0 && !dir_has(dir, "DONE"));
    snprintf(args, sizeof args, "resume %s", dir);
    CHECK(run_segp_fault("step:2", args) != 0 && !dir_has(dir, "DONE"));
    snprintf(p, sizeof p, "%s/events.jsonl", dir);
    char *ev = read_text(p);
    CHECK(ev && !strstr(ev, "records segp build")); /* the same build: no note */
    free(ev);
    snprintf(cmd, sizeof cmd, "cd '%s' && sed -i 's/\"build\":[[:space:]]*\"[^\"]*\"/\"build\": "
             "\"0123abcd-old\"/' config.json && grep -q '\"build\": \"0123abcd-old\"' "
             "config.json && sha256sum config.json > config.json.sha256", dir);
    CHECK(system(cmd) == 0);
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 0);
    char want[900];
    snprintf(want, sizeof want, "%s/config.json records segp build 0123abcd-old and this process "
             "is build %s: a re-run task may differ from the original", dir, segp_build_id());
    CHECK_MSG(strstr(out, want), "%s", out);
    ev = read_text(p);
    CHECK(ev && strstr(ev, "records segp build 0123abcd-old and this process is build "));
    free(ev);
    /* the record names the machine, the system and the compiler too (it named the CPU, threads
     * and kernels only), and segp info shows them */
    char host[256], os[320], line[1200];
    segp_host_name(host, sizeof host);
    segp_os_name(os, sizeof os);
    snprintf(args, sizeof args, "info %s", dir);
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 0);
    snprintf(line, sizeof line, "machine    %s; ", host);
    CHECK_MSG(strstr(out, line) && strstr(out, "; 1 thread; OpenBLAS kernels ") &&
                  strstr(out, "; OpenBLAS 0.") && strstr(out, os) &&
                  strstr(out, segp_compiler()), "%s", out);
    test_all_threads();
}

/* A second `segp run --out DIR` while another process writes a run in DIR: refused, naming that
 * process and how to follow it (it advised `segp resume DIR`, which the writer lock refuses). */
TEST(run_into_a_run_being_written_names_its_writer) {
    test_one_thread();
    char dir[600], args[1400], want[64];
    snprintf(dir, sizeof dir, "%s/being-written", test_tmpdir());
    snprintf(args, sizeof args, "run %s --out %s", tiny_config("written", "finetune", ""), dir);
    CHECK(run_segp_fault("step:2", args) != 0 && dir_has(dir, "config.json"));
    int pid = test_lock_hold(dir);
    CHECK(pid > 0);
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 1);
    snprintf(want, sizeof want, "(pid %d on ", pid);
    CHECK_MSG(strstr(out, "already exists, and another segp process is writing a run there") &&
                  strstr(out, want) && strstr(out, "segp tui ") && !strstr(out, "segp resume"),
              "%s", out);
    test_lock_release(pid);
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 1); /* no writer: resume is the way */
    CHECK_MSG(strstr(out, "or continue it with: segp resume "), "%s", out);
    test_all_threads();
}

/* A stop (Ctrl-C, SIGTERM) is heard in work that shows no progress: the held-out evaluations,
 * the analytics' embeddings of every test image and SeGP-CL's prototypes ran on to their end
 * (2,000,000 held-out images: minutes past SIGTERM). One thread, 5 test images a class in
 * chunks of 64: SIGINT at the pretrained held-out evaluation's first chunk (evaluation chunk 1)
 * stops the run before task 1; at the analytics' first chunk of task 1 (chunk 7, after 2
 * held-out, 2 of task 1's evaluation and 2 held-out again) it stops task 1 there, unsaved (it
 * was finished and saved, and the stop came at task 2); in task 1's prototypes it stops before
 * task 1's evaluation (which ran first, then heard it). */
TEST(run_stop_heard_in_silent_evaluations) {
    test_one_thread();
    const char *cfg = tiny_config("silent", "segp", "");
    const struct {
        const char *fault, *want;
    } cases[] = {{"eval:1:INT", "stopped before task 1; no task is finished yet"},
                 {"eval:7:INT", "stopped during task 1; no task is finished yet"},
                 {"embed:1:INT", "stopped during task 1; no task is finished yet"}};
    for (int k = 0; k < 3; k++) {
        char dir[600], cmd[2400], log[700];
        snprintf(dir, sizeof dir, "%s/silent-%d", test_tmpdir(), k);
        snprintf(log, sizeof log, "%s/silent-%d.txt", test_tmpdir(), k);
        snprintf(cmd, sizeof cmd, "SEGP_FAULT_KILL=%s %s run %s --out %s > %s 2>&1",
                 cases[k].fault, test_segp_bin(), cfg, dir, log);
        int st = system(cmd);
        CHECK_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 130, "%s: status %d", cases[k].fault, st);
        char *text = read_text(log);
        CHECK_MSG(text && strstr(text, cases[k].want), "%s: %s", cases[k].fault,
                  text ? text : "(no output)");
        free(text);
        CHECK(!dir_has(dir, "tasks/01/DONE"));
        if (k == 2) { /* stopped in the prototypes: task 1 never reached its evaluation */
            char ev[700];
            snprintf(ev, sizeof ev, "%s/events.jsonl", dir);
            char *events = read_text(ev);
            CHECK_MSG(events && strstr(events, "\"phase\":\"transfer\"") &&
                      !strstr(events, "\"phase\":\"eval\""), "%s", events ? events : "");
            free(events);
        }
    }
    test_all_threads();
}
