/* test_run.c: the run directory, events and continual-learning runs: SHA-256, the event sink and
 * torn-line repair, atomic metrics files, and (below) end-to-end runs of `segp run`, killed and
 * resumed runs, corrupt run directories and bad configs. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/common.h"
#include "metrics/cl_metrics.h"
#include "run/events.h"
#include "run/rundir.h"
#include "run/sha256.h"
#include "test.h"

static char *slurp(const char *path) {
    uint8_t *d;
    size_t n;
    if (segp_read_file(path, &d, &n) != 0) return NULL;
    return (char *)d;
}

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

TEST(run_rundir_never_overwrites_and_metrics_files) {
    char dir[512], p[600];
    snprintf(dir, sizeof dir, "%s/rd", test_tmpdir());
    CHECK(rundir_create(dir) == 0);
    CHECK(rundir_create(dir) == -1);
    CHECK(strstr(segp_last_error(), "already exists") != NULL);
    cl_matrix *m = cl_matrix_new(2);
    cl_matrix_set(m, 0, 0, 8, 10);
    cl_matrix_set(m, 0, 1, 5, 10);
    cl_matrix_set(m, 1, 0, 6, 10);
    cl_matrix_set(m, 1, 1, 9, 10);
    double ho[2] = {50.0, 40.0};
    CHECK(rundir_write_metrics(dir, m, 2, ho, 55.0) == 0);
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
    cl_matrix_free(m);
}
