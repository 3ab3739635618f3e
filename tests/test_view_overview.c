/* test_view_overview.c: the overview view drawn from the shipped finished run
 * (sample_runs/default-run) into text canvases: its title, timeline and numbers, the
 * ASCII/no-colour fallback, the keys, and its CSV export. */
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "view_render.h"
#include "views/view.h"

#define RUN "sample_runs/default-run"

/* Braille cells (U+2800..U+28FF: E2 A0..A3 in UTF-8) in TEXT */
static int has_braille(const char *text) {
    for (const unsigned char *p = (const unsigned char *)text; p[0]; p++)
        if (p[0] == 0xe2 && p[1] >= 0xa0 && p[1] <= 0xa3) return 1;
    return 0;
}

TEST(view_overview_shipped_run) {
    run_record r;
    CHECK(run_record_open(RUN, &r) == 0);
    if (!r.num_tasks) return;
    wb_state s = {.rec = &r, .task = r.tasks_done - 1};
    s.live.read_only = 1;
    view *v = view_overview_new();
    char *t = view_render(v, &s, 120, 40, CHARSET_UNICODE, COLORS_256);
    CHECK(text_has(t, "Run overview"));
    CHECK(text_has(t, "segp on shapes (order latin, B0-Inc10, seed 1): 100 classes in 10 tasks"));
    /* the timeline: every task done, A_t of the first and the last, wall of the first */
    CHECK(text_has(t, "10 ✓"));
    CHECK(text_has(t, "98.00"));
    CHECK(text_has(t, "66.80"));
    /* the walls are the run's own (as the view rounds them): task 1's, and the sum */
    char wall[64];
    double total = 0;
    for (int k = 0; k < r.num_tasks; k++) total += r.task_wall_s[k];
    int w1 = (int)(r.task_wall_s[0] + 0.5), wt = (int)(total + 0.5);
    snprintf(wall, sizeof wall, "%d:%02d", w1 / 60, w1 % 60);
    CHECK(text_has(t, wall));
    snprintf(wall, sizeof wall, "finished: 10/10 tasks, wall time %d:%02d", wt / 60, wt % 60);
    CHECK(text_has(t, wall));
    CHECK(text_has(t, "Last 66.80   Avg 77.40   BWT -11.67   Forgetting 11.72"));
    /* the loss terms of task 10 with their newest values, and A_t */
    CHECK(text_has(t, "loss terms, task 10"));
    CHECK(text_has(t, "cls 0.08721"));
    CHECK(text_has(t, "tsgr"));
    CHECK(text_has(t, "acgd"));
    CHECK(text_has(t, "held-out zero-shot"));
    CHECK(has_braille(t));
    free(t);

    /* plain ASCII, no colour: marks instead of braille and check marks */
    t = view_render(v, &s, 120, 40, CHARSET_ASCII, COLORS_NONE);
    CHECK(text_has(t, "10 +"));
    CHECK(text_has(t, "66.80"));
    CHECK(!has_braille(t));
    for (const unsigned char *p = (const unsigned char *)t; *p; p++) CHECK(*p < 0x80);
    free(t);

    /* keys: the previous task, every task's steps */
    CHECK_EQ_INT(v->key(v, WK_LEFT, &s), VIEW_REDRAW);
    CHECK_EQ_INT(s.task, 8);
    CHECK_EQ_INT(v->key(v, 's', &s), VIEW_REDRAW);
    CHECK_EQ_INT(v->key(v, 'Z', &s), VIEW_IGNORED);
    t = view_render(v, &s, 120, 40, CHARSET_UNICODE, COLORS_256);
    CHECK(text_has(t, "loss terms, every task"));
    CHECK(text_has(t, "step (all tasks)"));
    free(t);
    CHECK_EQ_INT(v->key(v, WK_RIGHT, &s), VIEW_REDRAW);
    CHECK_EQ_INT(v->key(v, WK_RIGHT, &s), VIEW_HANDLED); /* no task after the last */
    CHECK_EQ_INT(s.task, 9);

    /* the numbers per task */
    s.show_numbers = 1;
    t = view_render(v, &s, 120, 40, CHARSET_UNICODE, COLORS_256);
    CHECK(text_has(t, "held-out"));
    CHECK(text_has(t, "   10       10    66.80    77.40    66.56     69.00"
                         "     71.50     63.80    1.612"));
    free(t);

    /* too small a canvas and no run: no crash, a notice */
    free(view_render(v, &s, 40, 12, CHARSET_UNICODE, COLORS_16));
    free(view_render(v, &s, 8, 3, CHARSET_BLOCK, COLORS_16));
    wb_state none = {.task = -1};
    t = view_render(v, &none, 60, 10, CHARSET_UNICODE, COLORS_256);
    CHECK(text_has(t, "no run is open"));
    free(t);
    v->free(v);
    run_record_free(&r);
}

/* `v` in a low terminal (100x20: a view area of 100x18, 8 lines under the timeline): rows go,
 * but never the selected task's or the last finished one's, and a line says which are hidden
 * (the table used to scroll to the selected task, hiding the others without a word). */
TEST(view_overview_numbers_keep_the_last_task) {
    run_record r;
    CHECK(run_record_open(RUN, &r) == 0);
    if (!r.num_tasks) return;
    wb_state s = {.rec = &r, .task = 9, .show_numbers = 1};
    s.live.read_only = 1;
    view *v = view_overview_new();
    char *t = view_render(v, &s, 100, 18, CHARSET_UNICODE, COLORS_256);
    CHECK(text_has(t, "    1       10    98.00"));
    CHECK(text_has(t, "    … tasks 2-5 hidden\n    6       10    73.25"));
    CHECK(text_has(t, "   10       10    66.80    77.40"));
    free(t);
    /* task 2 selected: it stays, and so does task 10 */
    s.task = 1;
    t = view_render(v, &s, 100, 18, CHARSET_ASCII, COLORS_NONE);
    CHECK(text_has(t, "    2       10    87.50"));
    CHECK(text_has(t, "   10       10    66.80    77.40"));
    CHECK(text_has(t, "  ... tasks"));
    free(t);
    v->free(v);
    run_record_free(&r);
}

TEST(view_overview_export_csv) {
    run_record r;
    CHECK(run_record_open(RUN, &r) == 0);
    if (!r.num_tasks) return;
    wb_state s = {.rec = &r, .task = 9};
    view *v = view_overview_new();
    const char *dir = tpath("overview-export", "");
    mkdirs(dir);
    char written[256] = "";
    CHECK(v->export_data(v, &s, dir, written, sizeof written) == 0);
    CHECK(!strcmp(written, "overview_steps.csv, overview_tasks.csv"));
    char *steps = read_text(tpath("overview-export/overview_steps.csv", ""));
    char *tasks = read_text(tpath("overview-export/overview_tasks.csv", ""));
    CHECK(steps && tasks);
    if (steps && tasks) {
        int lines = 0;
        for (char *p = steps; *p; p++) lines += *p == '\n';
        CHECK_EQ_INT(lines, 1 + r.n_steps);
        CHECK(!strncmp(steps, "task,epoch,epochs,step,steps,loss,lr,cls,tsgr", 45));
        CHECK(text_has(tasks, "\n10,10,1,66.8,77.4047,66.5556,69,71.5,63.8,1.61231,"));
        CHECK(text_has(tasks, "\n1,10,1,98,98,,98,"));
    }
    free(steps);
    free(tasks);
    v->free(v);
    run_record_free(&r);
}

/* A task training: the progress line's parts after the first show whole or not at all (at 60
 * columns it ended "phase ETA 0:0"), and an unknown run ETA reads "-" (it read "~-"). */
TEST(view_overview_progress_line_keeps_parts_whole) {
    run_record r;
    CHECK(run_record_open(RUN, &r) == 0);
    if (!r.num_tasks) return;
    /* the shipped run as if task 10 were training */
    r.run_done = 0;
    r.tasks_done = 9;
    r.cur_task = 9;
    snprintf(r.phase, sizeof r.phase, "train");
    r.phase_step = 12;
    r.phase_steps = 63;
    wb_state s = {.rec = &r, .task = 8};
    s.live.running = 1;
    view *v = view_overview_new();
    char *t = view_render(v, &s, 120, 30, CHARSET_UNICODE, COLORS_256);
    CHECK(text_has(t, "\ntraining: task 10/10, train step 12/63 | "));
    CHECK(text_has(t, " img/s | phase ETA "));
    CHECK(text_has(t, " | run ETA ~"));
    free(t);
    t = view_render(v, &s, 60, 20, CHARSET_UNICODE, COLORS_256);
    const char *l = strstr(t, "\ntraining: task 10/10, train step 12/63");
    CHECK(l != NULL);
    if (l) {
        const char *e = strchr(l + 1, '\n');
        int len = e ? (int)(e - l - 1) : 0;
        /* the line ends with a whole part: "img/s" or an ETA's seconds, never mid-value */
        CHECK_MSG(len > 0 && (!strncmp(e - 5, "img/s", 5) || (e[-3] == ':' && e[-4] != ' ') ||
                              !strncmp(e - 2, "63", 2)),
                  "'%.*s'", len, l + 1);
        CHECK_MSG(len <= 60, "'%.*s'", len, l + 1);
    }
    free(t);
    /* no task finished yet: nothing to estimate the run from */
    r.tasks_done = 0;
    r.cur_task = 0;
    t = view_render(v, &s, 120, 30, CHARSET_UNICODE, COLORS_256);
    CHECK(text_has(t, "| run ETA -\n"));
    CHECK(text_lacks(t, "~-"));
    free(t);
    v->free(v);
    r.run_done = 1;
    run_record_free(&r);
}

/* v at 60 columns: the table was cut at the edge mid-value ("held-ou", "71.2" for 71.25); its
 * columns now show whole or not at all, "classes" given up first. */
TEST(view_overview_numbers_keep_columns_whole) {
    run_record r;
    CHECK(run_record_open(RUN, &r) == 0);
    if (!r.num_tasks) return;
    wb_state s = {.rec = &r, .task = 9, .show_numbers = 1};
    s.live.read_only = 1;
    view *v = view_overview_new();
    char *t = view_render(v, &s, 60, 20, CHARSET_UNICODE, COLORS_256);
    CHECK(text_has(t, "\n task      A_t      Avg      old       new  held-out\n"));
    CHECK(text_has(t, "\n    1    98.00    98.00        -     98.00     71.25\n"));
    CHECK(text_has(t, "\n   10    66.80    77.40    66.56     69.00     71.50\n"));
    free(t);
    t = view_render(v, &s, 98, 30, CHARSET_UNICODE, COLORS_256);
    CHECK(text_has(t, "\n task  classes      A_t      Avg      old       new  held-out  CLIP A_t"
                      "      b/c      wall   steps\n"));
    free(t);
    t = view_render(v, &s, 97, 30, CHARSET_UNICODE, COLORS_256);
    CHECK(text_has(t, "\n task      A_t      Avg      old       new  held-out  CLIP A_t      b/c"
                      "      wall   steps\n"));
    free(t);
    v->free(v);
    run_record_free(&r);
}

/* Task 7's loss terms run from 9.5e-8 to 0.48: the axis fitted to them had no 0 tick (the
 * labels began at 0.2, or 0.05 two rows above the bottom) where the other tasks, whose terms
 * reach 0 or below, have one. The bottom row is 0 to within half a row, and says so. */
TEST(view_overview_loss_axis_says_zero) {
    run_record r;
    CHECK(run_record_open(RUN, &r) == 0);
    if (!r.num_tasks) return;
    wb_state s = {.rec = &r, .task = 6};
    s.live.read_only = 1;
    view *v = view_overview_new();
    char *t = view_render(v, &s, 60, 20, CHARSET_UNICODE, COLORS_256);
    CHECK(text_has(t, "loss terms, task 7"));
    CHECK(text_has(t, "│0.0┤"));
    free(t);
    t = view_render(v, &s, 120, 40, CHARSET_ASCII, COLORS_NONE);
    CHECK(text_has(t, "|0.00+"));
    CHECK(text_has(t, "|0.05+"));
    free(t);
    /* a task whose terms go below 0 had it already, and still has */
    s.task = 9;
    t = view_render(v, &s, 60, 20, CHARSET_UNICODE, COLORS_256);
    CHECK(text_has(t, "│0.0┤"));
    free(t);
    v->free(v);
    run_record_free(&r);
}

/* The run's line too long for the width loses its parts in a chosen order (split, seed,
 * order, then the long notes): at 60 columns the edge cut off "in 10 tasks" (it read "...:
 * 100 classes"); the task count, and a validation split, stay. */
TEST(view_overview_run_line_shortens_keeping_the_counts) {
    run_record r;
    CHECK(run_record_open(RUN, &r) == 0);
    if (!r.num_tasks) return;
    wb_state s = {.rec = &r, .task = 6};
    s.live.read_only = 1;
    view *v = view_overview_new();
    static const struct {
        int w;
        const char *line;
    } want[] = {
        {80, "\nsegp on shapes (order latin, B0-Inc10, seed 1): 100 classes in 10 tasks\n"},
        {66, "\nsegp on shapes (order latin, seed 1): 100 classes in 10 tasks\n"},
        {60, "\nsegp on shapes (order latin): 100 classes in 10 tasks\n"},
        {40, "\nsegp on shapes: 100 classes in 10 tasks\n"},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        char *t = view_render(v, &s, want[i].w, 20, CHARSET_UNICODE, COLORS_256);
        CHECK_MSG(text_has(t, want[i].line), "width %d", want[i].w);
        free(t);
    }
    /* evaluated on a validation split: the note stays, shortened before the benchmark goes */
    char *split = r.eval_split;
    r.eval_split = "val (10% of train)";
    char *t = view_render(v, &s, 100, 20, CHARSET_UNICODE, COLORS_256);
    CHECK(text_has(t, "\nsegp on shapes (order latin, seed 1): 100 classes in 10 tasks; evaluated "
                      "on the VALIDATION split\n"));
    free(t);
    t = view_render(v, &s, 60, 20, CHARSET_UNICODE, COLORS_256);
    CHECK(text_has(t, "\nsegp on shapes: 100 classes in 10 tasks; VALIDATION split\n"));
    free(t);
    t = view_render(v, &s, 40, 20, CHARSET_UNICODE, COLORS_256);
    CHECK(text_has(t, "\n100 classes in 10 tasks; on VALIDATION\n"));
    free(t);
    r.eval_split = split;
    v->free(v);
    run_record_free(&r);
}

/* A phase that has not had a step yet shows no throughput or ETA: they were the previous
 * phase's ("train step 0/48 | 243 img/s | phase ETA 0:03", the anchors phase's numbers), or,
 * after a resume, those of the attempt the stopped process left. The run ETA of the task
 * training counts what a mean task has left when that is more than its phase's ETA: it was the
 * phase ETA alone, so the last task's run ETA read the anchors' 0:03, then 0:00 at "train". */
TEST(view_overview_new_phase_shows_no_stale_eta) {
    run_record r;
    CHECK(run_record_open(RUN, &r) == 0);
    if (!r.num_tasks) return;
    r.run_done = 0;
    r.tasks_done = 9;
    double mean = 0;
    for (int k = 0; k < 9; k++) mean += r.task_wall_s[k] / 9;
    const char *ev[] = {
        "{\"event\":\"task_start\",\"time\":1796102190,\"task\":10,\"num_tasks\":10}",
        "{\"event\":\"phase\",\"time\":1796102200,\"task\":10,\"phase\":\"anchors\","
        "\"steps\":1500}",
        "{\"event\":\"step\",\"time\":1796102201,\"task\":10,\"phase\":\"anchors\",\"epoch\":1,"
        "\"epochs\":1,\"step\":1000,\"steps\":1500,\"images_per_s\":243,\"eta_s\":3}",
        "{\"event\":\"phase\",\"time\":1796102202,\"task\":10,\"phase\":\"train\",\"steps\":48}"};
    wb_state s = {.rec = &r, .task = 8};
    s.live.running = 1;
    view *v = view_overview_new();
    for (int k = 0; k < 3; k++) CHECK(run_record_add_event(&r, ev[k]) == 0);
    char *t = view_render(v, &s, 120, 30, CHARSET_UNICODE, COLORS_256);
    char want[160];
    int left = (int)(mean - 11 > 3 ? mean - 11 + 0.5 : 3);
    snprintf(want, sizeof want, "\ntraining: task 10/10, anchors step 1000/1500 | 243 img/s | "
             "phase ETA 0:03 | run ETA ~%d:%02d\n", left / 60, left % 60);
    CHECK(left > 0 && text_has(t, want));
    free(t);
    CHECK(run_record_add_event(&r, ev[3]) == 0);
    t = view_render(v, &s, 120, 30, CHARSET_UNICODE, COLORS_256);
    left = (int)(mean - 12 + 0.5);
    snprintf(want, sizeof want, "\ntraining: task 10/10, train step 0/48 | - img/s | phase ETA - "
             "| run ETA ~%d:%02d\n", left / 60, left % 60);
    CHECK(left > 0 && text_has(t, want));
    CHECK(text_lacks(t, "243 img/s"));
    free(t);
    v->free(v);
    r.run_done = 1;
    run_record_free(&r);
}

/* The task training before its first step (a SeGP task builds its anchors first): its loss
 * panel said "no training steps for this task", as of a task that has none. */
TEST(view_overview_task_before_its_first_step) {
    run_record r;
    CHECK(run_record_open(RUN, &r) == 0);
    if (!r.num_tasks) return;
    r.run_done = 0;
    r.tasks_done = 9;
    CHECK(run_record_add_event(&r, "{\"event\":\"task_start\",\"time\":1796102190,\"task\":10,"
                                   "\"num_tasks\":10}") == 0);
    CHECK(run_record_add_event(&r, "{\"event\":\"phase\",\"time\":1796102191,\"task\":10,"
                                   "\"phase\":\"anchors\",\"steps\":1500}") == 0);
    wb_state s = {.rec = &r, .task = 8};
    s.live.running = 1;
    view *v = view_overview_new();
    char *t = view_render(v, &s, 120, 40, CHARSET_UNICODE, COLORS_256);
    CHECK(text_has(t, "loss terms, task 10 "));
    CHECK(text_has(t, "no training steps yet"));
    CHECK(text_lacks(t, "for this task"));
    free(t);
    v->free(v);
    r.run_done = 1;
    run_record_free(&r);
}

/* A run whose first event has not come yet named a task 0 ("training: task 0/3 starting"). */
TEST(view_overview_run_before_its_first_event) {
    run_record r;
    CHECK(run_record_open(RUN, &r) == 0);
    if (!r.num_tasks) return;
    r.run_done = 0;
    r.tasks_done = 0;
    r.cur_task = -1;
    r.phase[0] = 0;
    r.phase_steps = 0;
    wb_state s = {.rec = &r, .task = -1};
    s.live.running = 1;
    view *v = view_overview_new();
    char *t = view_render(v, &s, 120, 30, CHARSET_UNICODE, COLORS_256);
    CHECK(text_has(t, "\ntraining: starting\n"));
    CHECK(text_lacks(t, "task 0/"));
    free(t);
    v->free(v);
    r.run_done = 1;
    run_record_free(&r);
}

/* The run ETA of a task training counts what a mean task has left after the task's own time so
 * far, which held the time it stood paused in the workbench (space): ten minutes away from the
 * keyboard and the run ETA fell to the phase ETA. The "resumed" event's seconds paused are left
 * out of the task's time. */
TEST(view_overview_run_eta_leaves_out_a_pause) {
    run_record r;
    CHECK(run_record_open(RUN, &r) == 0);
    if (!r.num_tasks) return;
    r.run_done = 0;
    r.tasks_done = 9;
    double mean = 0;
    for (int k = 0; k < 9; k++) mean += r.task_wall_s[k] / 9;
    const char *ev[] = {
        "{\"event\":\"task_start\",\"time\":1796102190,\"task\":10,\"num_tasks\":10}",
        "{\"event\":\"phase\",\"time\":1796102200,\"task\":10,\"phase\":\"train\",\"steps\":48}",
        "{\"event\":\"step\",\"time\":1796102201,\"task\":10,\"phase\":\"train\",\"epoch\":1,"
        "\"epochs\":1,\"step\":1,\"steps\":48,\"images_per_s\":243,\"eta_s\":3}",
        "{\"event\":\"paused\",\"time\":1796102201,\"task\":10,\"phase\":\"train\"}",
        "{\"event\":\"resumed\",\"time\":1796102801,\"task\":10,\"phase\":\"train\","
        "\"paused_s\":600}",
        "{\"event\":\"step\",\"time\":1796102803,\"task\":10,\"phase\":\"train\",\"epoch\":1,"
        "\"epochs\":1,\"step\":2,\"steps\":48,\"images_per_s\":243,\"eta_s\":3}"};
    for (size_t k = 0; k < sizeof ev / sizeof ev[0]; k++)
        CHECK(run_record_add_event(&r, ev[k]) == 0);
    wb_state s = {.rec = &r, .task = 8};
    s.live.running = 1;
    view *v = view_overview_new();
    char *t = view_render(v, &s, 120, 30, CHARSET_UNICODE, COLORS_256);
    /* 613 s since the task started, 13 s of them training */
    int left = (int)(mean - 13 + 0.5);
    char want[160];
    snprintf(want, sizeof want, "\ntraining: task 10/10, train step 2/48 | 243 img/s | phase ETA "
             "0:03 | run ETA ~%d:%02d\n", left / 60, left % 60);
    CHECK_MSG(left > 3 && text_has(t, want), "'%s' not in:\n%s", want, t);
    free(t);
    v->free(v);
    r.run_done = 1;
    run_record_free(&r);
}
