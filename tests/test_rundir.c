/* test_rundir.c: the run directory's files: SHA-256, the event sink (torn-line repair, never
 * half a line on a full disk, pause and continue), a run directory never overwritten, and the
 * metrics files written atomically. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/common.h"
#include "metrics/cl_metrics.h"
#include "run/events.h"
#include "run/rundir.h"
#include "run/sha256.h"
#include "test.h"

#define slurp read_text

TEST(run_sha256_known) {
    char hex[65];
    sha256_hex("abc", 3, hex);
    CHECK(!strcmp(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
    sha256_hex("", 0, hex);
    CHECK(!strcmp(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
    /* two blocks (56 bytes forces the length into a second block) */
    const char *m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    sha256_hex(m, strlen(m), hex);
    CHECK(!strcmp(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"));
}

static int n_seen;
static event_reply count_cb(const segp_event *ev, void *user) {
    n_seen++;
    return ev->kind == EV_STEP && ev->step == 2 ? EVENT_ABORT : EVENT_CONTINUE;
}

TEST(run_events_sink_and_repair) {
    char path[512];
    snprintf(path, sizeof path, "%s/ev.jsonl", test_tmpdir());
    remove(path);
    n_seen = 0;
    event_sink *s = event_sink_open(path, count_cb, NULL);
    CHECK(s != NULL);
    segp_event ev = {.kind = EV_STEP, .task = 0, .num_tasks = 3, .phase = "train", .step = 1,
                     .steps = 4, .n_terms = 1, .term_names = {"cls"}, .term_values = {1.5f}};
    CHECK(event_emit(s, &ev) == EVENT_CONTINUE);
    ev.step = 2;
    CHECK(event_emit(s, &ev) == EVENT_ABORT);
    ev.step = 3; /* stays aborted; the callback is not asked again */
    CHECK(event_emit(s, &ev) == EVENT_ABORT);
    CHECK_EQ_INT(n_seen, 2);
    event_sink_close(s);
    char *text = slurp(path);
    CHECK(text && strstr(text, "\"terms\":{\"cls\":1.5}") && strstr(text, "\"task\":1"));
    free(text);
    CHECK_EQ_INT(events_repair(path), 0);
    /* a torn last line is cut, the whole lines stay */
    FILE *f = fopen(path, "ab");
    fputs("{\"event\":\"step\",\"ta", f);
    fclose(f);
    struct stat st0;
    stat(path, &st0);
    CHECK_EQ_INT(events_repair(path), 19);
    struct stat st1;
    stat(path, &st1);
    CHECK_EQ_INT(st1.st_size, st0.st_size - 19);
}

/* A write the file system stops part-way (a full disk; here the file size limit, which
 * truncates a write the same way) leaves no half line behind: a later line would otherwise
 * follow it and make the file unreadable. The lost events are counted with the error. */
TEST(run_events_never_half_a_line) {
    char path[512];
    snprintf(path, sizeof path, "%s/ev-full.jsonl", test_tmpdir());
    remove(path);
    event_sink *s = event_sink_open(path, NULL, NULL);
    CHECK(s != NULL);
    if (!s) return;
    segp_event ev = {.kind = EV_STEP, .task = 0, .num_tasks = 3, .phase = "train", .step = 1,
                     .steps = 4, .n_terms = 1, .term_names = {"cls"}, .term_values = {1.5f}};
    CHECK(event_emit(s, &ev) == EVENT_CONTINUE);
    struct stat st;
    CHECK(stat(path, &st) == 0);
    off_t one = st.st_size; /* one line */
    struct rlimit old, lim;
    getrlimit(RLIMIT_FSIZE, &old);
    void (*was)(int) = signal(SIGXFSZ, SIG_IGN);
    lim = old;
    lim.rlim_cur = (rlim_t)(one + one / 2); /* the second line stops half-way */
    CHECK(setrlimit(RLIMIT_FSIZE, &lim) == 0);
    ev.step = 2;
    event_emit(s, &ev);
    ev.step = 3;
    event_emit(s, &ev);
    setrlimit(RLIMIT_FSIZE, &old);
    signal(SIGXFSZ, was);
    CHECK(stat(path, &st) == 0);
    CHECK_EQ_INT(st.st_size, one); /* the half line was cut off again */
    int err = 0;
    CHECK_EQ_INT(event_sink_take_lost(s, &err), 2);
    CHECK_EQ_INT(err, EFBIG);
    CHECK_EQ_INT(event_sink_take_lost(s, NULL), 0);
    ev.step = 4; /* room again: whole lines follow */
    CHECK(event_emit(s, &ev) == EVENT_CONTINUE);
    event_sink_close(s);
    char *text = slurp(path);
    CHECK(text && strstr(text, "\"step\":1,") && strstr(text, "\"step\":4,") &&
          !strstr(text, "\"step\":2,"));
    CHECK(text && events_intact_length(text, strlen(text)) == strlen(text));
    free(text);
}

/* Pause: the first reply pauses, the sink then polls (with a "paused" event) until continue,
 * and says so with a "resumed" event holding the seconds paused. */
static int n_polls, n_resumed;
static double resumed_s;
static event_reply pause_cb(const segp_event *ev, void *user) {
    n_polls++;
    if (ev->kind == EV_RESUMED) {
        n_resumed++;
        resumed_s = ev->paused_s;
        return EVENT_CONTINUE;
    }
    if (ev->kind == EV_STEP) return EVENT_PAUSE;
    return n_polls < 3 ? EVENT_PAUSE : EVENT_CONTINUE;
}

TEST(run_events_pause_then_continue) {
    char path[512];
    snprintf(path, sizeof path, "%s/pause.jsonl", test_tmpdir());
    remove(path);
    event_sink *s = event_sink_open(path, pause_cb, NULL);
    segp_event ev = {.kind = EV_STEP, .task = 1, .phase = "train", .step = 1, .steps = 2};
    CHECK(event_emit(s, &ev) == EVENT_CONTINUE);
    CHECK_EQ_INT(n_polls, 4); /* the step, two polls while paused, then "resumed" */
    CHECK_EQ_INT(n_resumed, 1);
    /* one 100 ms wait between the two polls: the pause the sink counted, and the event's */
    double paused = event_sink_paused_s(s);
    CHECK_MSG(paused >= 0.1 && paused < 5, "%.3f s", paused);
    CHECK_NEAR(resumed_s, paused, 1e-9);
    event_sink_close(s);
    char *text = slurp(path);
    CHECK(text && strstr(text, "\"event\":\"step\"") && strstr(text, "\"event\":\"paused\""));
    char want[128];
    snprintf(want, sizeof want, "{\"event\":\"resumed\",\"time\":");
    const char *r = text ? strstr(text, want) : NULL;
    CHECK_MSG(r && r > strstr(text, "\"event\":\"paused\""), "%s", text ? text : "");
    snprintf(want, sizeof want, ",\"task\":2,\"phase\":\"train\",\"paused_s\":%.3f}\n", paused);
    CHECK_MSG(r && strstr(r, want), "'%s' not in %s", want, text ? text : "");
    free(text);
}

TEST(run_rundir_never_overwrites_and_metrics_files) {
    char dir[512], p[700];
    snprintf(dir, sizeof dir, "%s/rd", test_tmpdir());
    CHECK(rundir_create(dir) == 0);
    CHECK(rundir_create(dir) == -1);
    CHECK(strstr(segp_last_error(), "already exists") != NULL);
    /* a default name another run took (the same second): the next free one */
    char taken[600];
    snprintf(taken, sizeof taken, "%s", dir);
    CHECK(rundir_create_free(taken, sizeof taken) == 0);
    CHECK(!strcmp(taken + strlen(dir), "-2") && !strncmp(taken, dir, strlen(dir)));
    snprintf(taken, sizeof taken, "%s", dir);
    CHECK(rundir_create_free(taken, sizeof taken) == 0);
    CHECK(!strcmp(taken + strlen(dir), "-3"));
    snprintf(p, sizeof p, "%s/tasks", taken);
    struct stat st;
    CHECK(stat(p, &st) == 0 && S_ISDIR(st.st_mode));
    cl_matrix *m = cl_matrix_new(2);
    cl_matrix_set(m, 0, 0, 8, 10);
    cl_matrix_set(m, 0, 1, 5, 10);
    cl_matrix_set(m, 1, 0, 6, 10);
    cl_matrix_set(m, 1, 1, 9, 10);
    double ho[2] = {50.0, 40.0};
    rundir_metrics_extra x = {ho, 55.0, NULL, NULL};
    CHECK(rundir_write_metrics(dir, m, 2, &x) == 0);
    rundir_path(dir, "metrics.jsonl", p, sizeof p);
    char *t = slurp(p);
    /* A_2 = 15/20 = 75; Avg = (80 + 75)/2 = 77.5; BWT = 60 - 80; Forgetting 80 - 60; FWT 50 */
    CHECK(t && !strcmp(t,
        "{\"task\": 1, \"acc\": 80.0000, \"avg_acc\": 80.0000, \"forgetting\": 0.0000, "
        "\"acc_per_task\": [80.0000], \"bwt\": 0.0000, \"fwt\": 0.0000, \"old_acc\": null, "
        "\"new_acc\": 80.0000, \"heldout_acc\": 50.0000}\n"
        "{\"task\": 2, \"acc\": 75.0000, \"avg_acc\": 77.5000, \"forgetting\": 20.0000, "
        "\"acc_per_task\": [60.0000, 90.0000], \"bwt\": -20.0000, \"fwt\": 50.0000, "
        "\"old_acc\": 60.0000, \"new_acc\": 90.0000, \"heldout_acc\": 40.0000}\n"
        "{\"last\": 75.0000, \"avg\": 77.5000, \"forgetting\": 20.0000, \"bwt\": -20.0000, "
        "\"fwt\": 50.0000, \"heldout_pretrained\": 55.0000, \"heldout_final\": 40.0000}\n"));
    free(t);
    rundir_path(dir, "accuracy_matrix.csv", p, sizeof p);
    t = slurp(p);
    CHECK(t && !strcmp(t, "after_task,task_1,task_2\n1,80.0000,50.0000\n2,60.0000,90.0000\n"));
    free(t);
    /* a dual-path method: the CLIP branch's matrix beside it, and the drift ratio (defined
     * after task 2 only; the final line holds the mean of the defined ones) */
    cl_matrix *c = cl_matrix_new(2);
    cl_matrix_set(c, 0, 0, 7, 10);
    cl_matrix_set(c, 0, 1, 5, 10);
    cl_matrix_set(c, 1, 0, 4, 10);
    cl_matrix_set(c, 1, 1, 8, 10);
    double bc[2] = {NAN, 1.25};
    rundir_metrics_extra y = {NULL, NAN, c, bc};
    CHECK(rundir_write_metrics(dir, m, 2, &y) == 0);
    rundir_path(dir, "metrics.jsonl", p, sizeof p);
    t = slurp(p);
    /* CLIP branch: A_1 70, A_2 12/20 = 60, Avg 65, BWT 40 - 70, Forgetting 30, FWT 50 */
    CHECK(t && strstr(t, "\"new_acc\": 80.0000, \"clip_acc\": 70.0000}\n"));
    CHECK(t && strstr(t, "\"new_acc\": 90.0000, \"clip_acc\": 60.0000, "
                         "\"boundary_core_ratio\": 1.250000}\n"));
    CHECK(t && strstr(t, "\"fwt\": 50.0000, \"clip_branch\": {\"last\": 60.0000, \"avg\": "
                         "65.0000, \"forgetting\": 30.0000, \"bwt\": -30.0000, \"fwt\": 50.0000}, "
                         "\"boundary_core_ratio\": 1.250000}\n"));
    free(t);
    rundir_path(dir, "accuracy_matrix_clip.csv", p, sizeof p);
    t = slurp(p);
    CHECK(t && !strcmp(t, "after_task,task_1,task_2\n1,70.0000,50.0000\n2,40.0000,80.0000\n"));
    free(t);
    cl_matrix_free(c);
    cl_matrix_free(m);
}
