/* test_tui_live.c: the workbench during a live run, driven in tmux (tui_drive.c) as a user
 * would: what the screen says while a task trains, pauses and is stopped. Skipped with the
 * reason when tmux is missing (CI installs it). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "tiny_run.h"
#include "tui_drive.h"

/* A run whose first task trains for a while (40 images per class, two epochs: 26 steps), so
 * a key pressed when its first step shows still finds it training. */
static const char *slow_config(const char *name) {
    return write_config(name,
        "{\"model\": \"sample_runs/models/shapes-clip.safetensors\", \"method\": \"finetune\","
        " \"seed\": 1, \"benchmark\": {\"name\": \"shapes\", \"order\": \"latin\", \"tasks\":"
        " \"B0-Inc10\", \"train_per_class\": 40, \"test_per_class\": 5}, \"train\": {\"epochs\":"
        " 2, \"batch_size\": 32, \"optimizer\": \"adamw\", \"lr\": 0.002}, \"analytics\":"
        " {\"enabled\": false}, \"eval\": {\"batch_size\": 64}, \"run\": {\"max_tasks\": 2}}");
}

/* q while a task trains asks first; the question was cut at the status line's width, and
 * below 92 columns its answer keys ("y/n") were never on the screen. It now takes the rows
 * above the status line, wrapped at words; on a screen too small for the workbench, the
 * notice asks it. */
TEST(tui_live_quit_question_wraps_whole) {
    TEST_NEEDS(have_tmux(), "tmux is not installed (apt-get install tmux)");
    const char *cfg = slow_config("tui-live-quit"), *dir = tpath("tui-live-quit-run", "");
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK(system(cmd) == 0);
    snprintf(cmd, sizeof cmd, "OMP_NUM_THREADS=1 %s tui '%s' --out '%s'", segp_abs(), cfg, dir);
    if (!start("live-quit", cmd)) return;
    tmux("resize-window -t w -x 60 -y 20");
    CHECK(wait_for("train step ", NULL));
    keys("Space"); /* paused within the task: it stays mid-task whatever the machine's speed */
    CHECK(wait_for("PAUSED (space resumes)", NULL));
    keys("q");
    CHECK(wait_for("\n Stop training and quit? The current task restarts on\n"
                   " resume; finished tasks are saved. y/n", NULL));
    keys("n"); /* any key but y: no */
    CHECK(wait_gone("Stop training and quit?"));
    /* too small for the workbench: the notice asks instead (q showed nothing, and the next key
     * answered a question never seen) */
    tmux("resize-window -t w -x 30 -y 9");
    CHECK(wait_for("terminal too small", "Enlarge it, or q to quit.", NULL));
    keys("q");
    CHECK(wait_for("Stop training and quit?", "y/n", NULL));
    keys("n");
    CHECK(wait_for("Enlarge it, or q to quit.", NULL));
    tmux("resize-window -t w -x 40 -y 12");
    keys("q");
    CHECK(wait_for("\n Stop training and quit? The current\n"
                   " task restarts on resume; finished tasks\n are saved. y/n", NULL));
    keys("y");
    CHECK(wait_for("EXITED 0", NULL));
    CHECK(!path_exists(tpath("tui-live-quit-run/tasks/01/DONE", "")));
    stop();
}
