/* test_cli_counts.c: a count of one reads in the singular in what the commands print ("1
 * threads", "(1 images)" and "1 tasks" were printed wherever the count could be 1). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/common.h"
#include "test.h"

static char out[65536];

/* OUT holds WANT and not BAD. */
static void has(const char *want, const char *bad) {
    CHECK_MSG(strstr(out, want) != NULL, "'%s' not in: %s", want, out);
    CHECK_MSG(!bad || !strstr(out, bad), "'%s' in: %s", bad, out);
}

/* One thread: segp --version, segp info of a run recorded with one, the resume notice. */
TEST(cli_counts_one_thread) {
    test_one_thread();
    CHECK_EQ_INT(test_run_segp("--version", out, sizeof out), 0);
    has("), 1 thread\n", "threads");
    char dir[600], cmd[3000], args[700];
    snprintf(dir, sizeof dir, "%s/one-thread-run", test_tmpdir());
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && cp -r sample_runs/default-run '%s' && "
             "sed -i 's/\"threads\":\\t2,/\"threads\":\\t1,/' '%s/config.json' && "
             "grep -q '\"threads\":\t1,' '%s/config.json'", dir, dir, dir, dir);
    CHECK_MSG(system(cmd) == 0, "%s", cmd);
    snprintf(args, sizeof args, "info '%s'", dir);
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 0);
    has("; 1 thread; OpenBLAS kernels ", "1 threads");
    char note[512];
    CHECK_EQ_INT(segp_threads_note("r/config.json", 1, 2, "a re-run task", note, sizeof note), 1);
    CHECK_MSG(!strcmp(note, "r/config.json records 1 thread and this process has 2: a re-run "
                            "task may differ from the original in the last bits (set "
                            "OMP_NUM_THREADS=1 to match)"), "%s", note);
    CHECK_EQ_INT(segp_threads_note("r/config.json", 4, 2, "x", note, sizeof note), 1);
    CHECK_MSG(strstr(note, " records 4 threads and this process has 2: x may") == note + 13,
              "%s", note);
    test_all_threads();
}

/* One image per task, one task: segp zeroshot's table on the shipped model. */
TEST(cli_counts_one_image_one_task) {
    test_one_thread();
    const char *m = "zeroshot --model sample_runs/models/shapes-clip.safetensors --benchmark "
                    "shapes --test-per-class 1";
    char args[400];
    snprintf(args, sizeof args, "%s --tasks 100", m);
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 0);
    has("test split: 100 images, 100 classes, order latin, 100 tasks (B0-Inc1)", "(1 images)");
    has("\n  task  1 ", NULL);
    has("%   (1 image)\n  task  2 ", NULL);
    snprintf(args, sizeof args, "%s --tasks 1", m);
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 0);
    has(", 1 task (B0-Inc100), prompt", "1 tasks");
    has("%   (100 images)\n  overall ", NULL);
    test_all_threads();
}
