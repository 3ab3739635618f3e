/* test_special_files.c: paths that are not regular files. Opening a FIFO to read waits for a
 * writer, forever when none comes, so each reader must refuse one at once, naming what it is:
 * the shared file reader, checkpoints, arrays, images, the SHA-256 of a model, a run's
 * events.jsonl followed by the workbench, the lock query. The checks run in a child process
 * that the test kills after 10 s, so that a reader that waits fails the test instead of
 * hanging the suite. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/common.h"
#include "io/image.h"
#include "io/npy.h"
#include "io/safetensors.h"
#include "run/run_record.h"
#include "run/rundir.h"
#include "run/sha256.h"
#include "test.h"

/* 1 when the last error names PATH and says "not a regular file (KIND)"; prints it otherwise. */
static int refused(const char *what, const char *path, const char *kind) {
    const char *e = segp_last_error();
    char want[4400];
    snprintf(want, sizeof want, "%.4096s: not a regular file (%s)", path, kind);
    if (strstr(e, want)) return 1;
    printf("    %s: expected \"%s\", got \"%s\"\n", what, want, e);
    return 0;
}

/* The checks, in the child: how many failed. */
static int check_readers(const char *fifo, const char *run_dir) {
    int bad = 0;
    uint8_t *d;
    size_t n;
    bad += !(segp_read_file(fifo, &d, &n) == -1 && refused("segp_read_file", fifo, "a FIFO"));
    st_file *st = st_open(fifo);
    bad += !(st == NULL && refused("st_open", fifo, "a FIFO"));
    npy_array a;
    bad += !(npy_read(fifo, &a) == -1 && refused("npy_read", fifo, "a FIFO"));
    float px[3 * 8 * 8];
    bad += !(image_load_clip(fifo, 8, px) == -1 && refused("image_load_clip", fifo, "a FIFO"));
    char hex[65];
    bad += !(sha256_file_hex(fifo, hex) == -1 && refused("sha256_file_hex", fifo, "a FIFO"));
    bad += !(segp_read_file("/dev/null", &d, &n) == -1 &&
             refused("segp_read_file", "/dev/null", "a character device"));
    bad += !(segp_read_file(run_dir, &d, &n) == -1 &&
             refused("segp_read_file", run_dir, "a directory"));
    bad += rundir_locked(run_dir, NULL) != 0; /* .lock is a FIFO: not held, and no wait */
    /* events.jsonl becomes a FIFO while the workbench follows the run, then on opening */
    char ev[4200];
    snprintf(ev, sizeof ev, "%s/events.jsonl", run_dir);
    run_record r;
    if (run_record_open(run_dir, &r) == 0) {
        if (unlink(ev) != 0 || mkfifo(ev, 0644) != 0) bad++;
        bad += !(run_record_follow(&r, NULL) == -1 && refused("run_record_follow", ev, "a FIFO"));
        run_record_free(&r);
    } else {
        printf("    run_record_open: %s\n", segp_last_error());
        bad++;
    }
    bad += !(run_record_open(run_dir, &r) == -1 && refused("run_record_open", ev, "a FIFO"));
    return bad;
}

TEST(special_files_refused_at_once) {
    const char *fifo = tpath("special/fifo", "");
    mkdirs(tpath("special", ""));
    CHECK(mkfifo(fifo, 0644) == 0);
    /* the shipped run's config.json and events.jsonl, with a FIFO for .lock */
    const char *run_dir = tpath("special/run", "");
    mkdirs(run_dir);
    static const char *const copied[] = {"config.json", "events.jsonl"};
    for (int k = 0; k < 2; k++) {
        char from[300];
        snprintf(from, sizeof from, "sample_runs/default-run/%s", copied[k]);
        uint8_t *d;
        size_t n;
        CHECK_MSG(segp_read_file(from, &d, &n) == 0, "%s", segp_last_error());
        if (!d) return;
        write_bytes(tpath("special/run/%s", copied[k]), d, n);
        free(d);
    }
    CHECK(mkfifo(tpath("special/run/.lock", ""), 0644) == 0);

    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        int bad = check_readers(fifo, run_dir);
        fflush(stdout);
        _exit(bad ? 1 : 0);
    }
    CHECK(pid > 0);
    if (pid <= 0) return;
    int st = 0;
    struct timespec nap = {0, 20 * 1000 * 1000};
    int waited = 0;
    while (waitpid(pid, &st, WNOHANG) == 0 && waited < 500) {
        nanosleep(&nap, NULL);
        waited++;
    }
    if (waited == 500) {
        kill(pid, SIGKILL);
        waitpid(pid, &st, 0);
        CHECK_MSG(0, "a reader waited on a FIFO for 10 s");
        return;
    }
    CHECK_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 0, "a reader did not refuse (status %d)", st);
}
