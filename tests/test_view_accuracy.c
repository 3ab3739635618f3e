/* test_view_accuracy.c: the accuracy view drawn from the shipped finished run
 * (sample_runs/default-run): the matrix with its values, the CLIP branch's matrix, the cursor,
 * the summary lines, and its CSV export. */
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "view_render.h"
#include "views/view.h"

#define RUN "sample_runs/default-run"

TEST(view_accuracy_shipped_run) {
    run_record r;
    CHECK(run_record_open(RUN, &r) == 0);
    if (!r.num_tasks) return;
    wb_state s = {.rec = &r, .task = 9};
    view *v = view_accuracy_new();
    char *t = view_render(v, &s, 120, 40, CHARSET_UNICODE, COLORS_256);
    CHECK(text_has(t, "Accuracy (c: the CLIP branch alone)"));
    /* rows of R: the first (with the zero-shot entry of task 2) and the last */
    CHECK(text_has(t, "  1   98.00 ~88.00"));
    CHECK(text_has(t, ">10   70.00  67.50  63.00  67.00  65.50"
                         "  66.50  66.00  67.00  66.50  69.00"));
    CHECK(text_has(t, "Last 66.80   Avg 77.40   FWT 71.94   BWT -11.67   Forgetting 11.72"));
    CHECK(text_has(t, "CLIP branch alone: Last 63.80   Avg 76.01"));
    CHECK(text_has(t, "held-out zero-shot: pretrained 70.00 -> final 71.50 (+1.50 points)"));
    CHECK(text_has(t, "drift boundary/core ratio 1.692"));
    CHECK(text_has(t, "A_t, Avg, old, new after each task"));
    CHECK(text_has(t, "o A_t: all seen classes (Last at the end)"));
    free(t);
    /* 100x32 (a 100x34 terminal): too short for a legend line per curve, one line names them */
    t = view_render(v, &s, 100, 32, CHARSET_UNICODE, COLORS_256);
    CHECK(text_has(t, "\u2502 o A_t  * Avg  + old  x new "));
    free(t);

    /* the CLIP branch's matrix */
    CHECK_EQ_INT(v->key(v, 'c', &s), VIEW_REDRAW);
    t = view_render(v, &s, 120, 40, CHARSET_UNICODE, COLORS_256);
    CHECK(text_has(t, "Accuracy: the CLIP branch alone"));
    CHECK(text_has(t, ">10   70.50  65.00  61.00  66.00  64.00"
                         "  62.50  61.50  62.00  61.50  64.00"));
    free(t);
    /* `e` then draws that matrix, not the full prediction's */
    view_figure f = {v->figure, 0, 0, 0, 0, 0};
    CHECK(v->figure_of != NULL);
    if (v->figure_of) v->figure_of(v, &f);
    CHECK(f.figure && !strcmp(f.figure, "accuracy-matrix") && f.clip == 1);
    v->key(v, 'c', &s);
    f.clip = 1;
    if (v->figure_of) v->figure_of(v, &f);
    CHECK_EQ_INT(f.clip, 0);

    /* the cursor: starts on the selected task's diagonal, then up to a zero-shot entry */
    CHECK_EQ_INT(v->key(v, WK_UP, &s), VIEW_REDRAW);
    t = view_render(v, &s, 120, 40, CHARSET_UNICODE, COLORS_256);
    CHECK(text_has(t, "R[10][10] = 69.00: after task 10, on task 10's test images"));
    free(t);
    v->key(v, 'k', &s);
    t = view_render(v, &s, 120, 40, CHARSET_ASCII, COLORS_NONE);
    CHECK(text_has(t, "R[9][10] = 65.50"));
    CHECK(text_has(t, "(a future task, zero-shot"));
    free(t);
    CHECK_EQ_INT(v->key(v, WK_ENTER, &s), VIEW_REDRAW);
    CHECK_EQ_INT(s.task, 8);

    /* numbers instead of curves; narrow and tiny canvases */
    s.show_numbers = 1;
    t = view_render(v, &s, 120, 40, CHARSET_UNICODE, COLORS_256);
    CHECK(text_has(t, "  10  66.80  77.40  66.56  69.00  63.80"));
    free(t);
    t = view_render(v, &s, 80, 30, CHARSET_BLOCK, COLORS_16);
    CHECK(text_has(t, "Last 66.80"));
    free(t);
    free(view_render(v, &s, 40, 12, CHARSET_UNICODE, COLORS_256));
    free(view_render(v, &s, 5, 2, CHARSET_UNICODE, COLORS_256));
    v->free(v);
    run_record_free(&r);
}

/* Cells of the curves' plot (inside the box, right of the y axis, above the x axis) that
 * hold GLYPH, in a text drawn with --charset ascii. */
static int plot_cells_with(const char *text, char glyph) {
    const char *p = strstr(text, "A_t, Avg, old, new after each task");
    int n = 0;
    for (p = p ? strchr(p, '\n') : NULL; p && *p; p = strchr(p, '\n')) {
        const char *row = ++p, *end = strchr(row, '\n');
        const char *dash = strstr(row, "--"), *legend = strstr(row, "A_t ");
        if (!end || (dash && dash < end)) break; /* the x axis: the plot ends */
        if (legend && legend < end) continue;
        /* rows of the plot start "|100+" or "|   |": the body is right of the axis */
        const char *ax = row + 1;
        while (ax < end && *ax != '|' && *ax != '+') ax++;
        for (const char *q = ax + 1; q < end - 1; q++) n += *q == glyph;
    }
    return n;
}

/* With --charset ascii a cell holds one glyph: every curve (A_t first, the legend's o) must
 * keep cells of its own, in short and tall boxes, with and without colour */
TEST(view_accuracy_ascii_curves_all_visible) {
    run_record r;
    CHECK(run_record_open(RUN, &r) == 0);
    if (!r.num_tasks) return;
    wb_state s = {.rec = &r, .task = 9};
    view *v = view_accuracy_new();
    const int size[2][2] = {{100, 32}, {120, 40}};
    for (int k = 0; k < 4; k++) {
        int w = size[k / 2][0], h = size[k / 2][1];
        char *t = view_render(v, &s, w, h, CHARSET_ASCII, k % 2 ? COLORS_NONE : COLORS_256);
        const char glyphs[] = "o*+x";
        for (int g = 0; g < 4; g++)
            CHECK_MSG(plot_cells_with(t, glyphs[g]) > 0, "%dx%d: no '%c' in the curves", w, h,
                      glyphs[g]);
        free(t);
    }
    v->free(v);
    run_record_free(&r);
}

TEST(view_accuracy_export_csv) {
    run_record r;
    CHECK(run_record_open(RUN, &r) == 0);
    if (!r.num_tasks) return;
    wb_state s = {.rec = &r, .task = 9};
    view *v = view_accuracy_new();
    const char *dir = tpath("accuracy-export", "");
    mkdirs(dir);
    char written[256] = "";
    CHECK(v->export_data(v, &s, dir, written, sizeof written) == 0);
    CHECK(!strcmp(written, "accuracy_matrix.csv, accuracy_curves.csv"));
    char *m = read_text(tpath("accuracy-export/accuracy_matrix.csv", ""));
    /* the same matrix as the run directory's own CSV */
    char *ref = read_text(RUN "/accuracy_matrix.csv");
    CHECK(m && ref && !strcmp(m, ref));
    char *cu = read_text(tpath("accuracy-export/accuracy_curves.csv", ""));
    CHECK(cu && text_has(cu, "\n10,66.8000,77.4047,66.5556,69.0000,63.8000,"
                             "-11.6667,11.7222,71.9444,71.5000\n"));
    free(m);
    free(ref);
    free(cu);
    /* the CLIP branch's matrix under its own name */
    v->key(v, 'c', &s);
    written[0] = 0;
    CHECK(v->export_data(v, &s, dir, written, sizeof written) == 0);
    CHECK(!strcmp(written, "accuracy_matrix_clip.csv, accuracy_curves.csv"));
    m = read_text(tpath("accuracy-export/accuracy_matrix_clip.csv", ""));
    ref = read_text(RUN "/accuracy_matrix_clip.csv");
    CHECK(m && ref && !strcmp(m, ref));
    free(m);
    free(ref);
    /* a directory that does not exist: an error naming the file, no crash */
    CHECK(v->export_data(v, &s, "/nonexistent/dir", written, sizeof written) == -1);
    CHECK(err_has("/nonexistent/dir/accuracy_matrix_clip.csv"));
    v->free(v);
    run_record_free(&r);
}

/* An interrupted run (after task 7 of 10, no final metrics line): the summary says "so far"
 * and shows no held-out or drift numbers it does not have (they read as 0.00 once) */
TEST(view_accuracy_interrupted_run_has_no_final_numbers) {
    char dir[1024], cmd[4096];
    snprintf(dir, sizeof dir, "%s", tpath("acc-interrupted", NULL));
    snprintf(cmd, sizeof cmd,
             "rm -rf '%s' && cp -r " RUN " '%s' && cd '%s' && rm DONE && rm -r tasks/08 tasks/09 "
             "tasks/10 && head -7 metrics.jsonl > m && mv m metrics.jsonl", dir, dir, dir);
    CHECK(system(cmd) == 0);
    run_record r;
    CHECK(run_record_open(dir, &r) == 0);
    if (!r.num_tasks) return;
    CHECK_EQ_INT(r.tasks_done, 7);
    CHECK(!r.final.valid && isnan(r.final.heldout_pre) && isnan(r.final.heldout_final) &&
          isnan(r.final.bc_ratio) && isnan(r.final.last));
    wb_state s = {.rec = &r, .task = 6};
    view *v = view_accuracy_new();
    char *t = view_render(v, &s, 120, 40, CHARSET_UNICODE, COLORS_256);
    CHECK(text_has(t, "so far (after task 7 of 10): A_t 71.14"));
    CHECK(text_lacks(t, "held-out zero-shot"));
    CHECK(text_lacks(t, "boundary/core ratio"));
    free(t);
    v->free(v);
    run_record_free(&r);
}

/* `v` at 100x34 (a view area of 100x32): the table of numbers per task sits below the matrix
 * and its two explanation lines; task 10's row, the one that matters most, must be there. In
 * less room rows are left out, but never the selected or the last finished task's, and a line
 * says which are hidden. */
TEST(view_accuracy_numbers_keep_the_last_task) {
    run_record r;
    CHECK(run_record_open(RUN, &r) == 0);
    if (!r.num_tasks) return;
    wb_state s = {.rec = &r, .task = 9, .show_numbers = 1};
    view *v = view_accuracy_new();
    char *t = view_render(v, &s, 100, 32, CHARSET_UNICODE, COLORS_256);
    CHECK(text_has(t, "  10  66.80  77.40  66.56  69.00  63.80"));
    CHECK(text_has(t, "   1  98.00  98.00      -  98.00  97.50"));
    CHECK(text_has(t, "Last 66.80"));
    CHECK(!strstr(t, "hidden"));
    free(t);
    /* two lines less: rows go, with a mark; the last task and the first stay */
    t = view_render(v, &s, 100, 30, CHARSET_UNICODE, COLORS_256);
    CHECK(text_has(t, "  10  66.80  77.40"));
    CHECK(text_has(t, "   1  98.00  98.00"));
    CHECK(text_has(t, "    … tasks 2-4 hidden\n    5  77.50"));
    free(t);
    /* task 5 selected: its row stays as well as the last finished task's */
    s.task = 4;
    t = view_render(v, &s, 100, 30, CHARSET_ASCII, COLORS_NONE);
    CHECK(text_has(t, "   5  77.50  85.07"));
    CHECK(text_has(t, "  10  66.80  77.40"));
    CHECK(text_has(t, "  ... tasks 2-3 hidden\n    4  79.50"));
    CHECK(text_has(t, "  ... tasks 7-8 hidden\n    9  68.33"));
    free(t);
    v->free(v);
    run_record_free(&r);
}

/* A 60x20 terminal (the view's 60x18): `v` showed nothing, the summary's optional lines
 * (held-out, drift) taking the rows the table needed, and the curves do not fit either. The
 * table now takes its header and a row (the selected task's) from those lines; where even that
 * does not fit, and where the curves do not, the view says how many more rows would show them
 * (the shell puts it in the status line when v is pressed). */
TEST(view_accuracy_v_at_60x20) {
    run_record r;
    CHECK(run_record_open(RUN, &r) == 0);
    if (!r.num_tasks) return;
    wb_state s = {.rec = &r, .task = 9, .show_numbers = 1};
    view *v = view_accuracy_new();
    char *t = view_render(v, &s, 60, 18, CHARSET_UNICODE, COLORS_256);
    CHECK(text_has(t, "\n task    A_t    Avg    old    new   CLIP\n"
                      "   10  66.80  77.40  66.56  69.00  63.80\n"
                      "Last 66.80   Avg 77.40   FWT 71.94   BWT -11.67\n"));
    CHECK(text_lacks(t, "held-out"));
    CHECK_MSG(!v->unshown[0], "unshown '%s'", v->unshown);
    free(t);
    /* [ selects task 9: its row */
    s.task = 8;
    t = view_render(v, &s, 60, 18, CHARSET_UNICODE, COLORS_256);
    char want[64];
    snprintf(want, sizeof want, "\n    9  %.2f  %.2f  %.2f", r.task[8].acc, r.task[8].avg_acc,
             r.task[8].old_acc);
    CHECK(text_has(t, want));
    free(t);
    s.task = 9;
    /* a row less: no table, and why; a row more (the number said) brings it */
    t = view_render(v, &s, 60, 17, CHARSET_UNICODE, COLORS_256);
    CHECK(text_lacks(t, " A_t "));
    CHECK(text_has(t, "\nheld-out zero-shot: pretrained 70.00 -> final 71.50\n"));
    CHECK_MSG(!strcmp(v->unshown, "v: the numbers per task need 1 more row"), "'%s'",
              v->unshown);
    free(t);
    /* v again: the curves, which need 9 more rows here; at 60x27 they show */
    s.show_numbers = 0;
    t = view_render(v, &s, 60, 18, CHARSET_UNICODE, COLORS_256);
    CHECK(text_lacks(t, "after each task"));
    CHECK_MSG(!strcmp(v->unshown, "v: the curves need 9 more rows"), "'%s'", v->unshown);
    free(t);
    t = view_render(v, &s, 60, 26, CHARSET_UNICODE, COLORS_256);
    CHECK(text_lacks(t, "after each task"));
    free(t);
    t = view_render(v, &s, 60, 27, CHARSET_UNICODE, COLORS_256);
    CHECK(text_has(t, "┌ A_t, Avg, old, new after each task (%) "));
    CHECK_MSG(!v->unshown[0], "unshown '%s'", v->unshown);
    free(t);
    /* without colour the matrix takes a line per task: the count follows */
    s.show_numbers = 1;
    t = view_render(v, &s, 60, 18, CHARSET_ASCII, COLORS_NONE);
    CHECK(text_lacks(t, " A_t "));
    CHECK_MSG(!strcmp(v->unshown, "v: the numbers per task need 5 more rows"), "'%s'",
              v->unshown);
    free(t);
    t = view_render(v, &s, 60, 23, CHARSET_ASCII, COLORS_NONE);
    CHECK(text_has(t, "\n   10  66.80  77.40  66.56  69.00  63.80\n"));
    free(t);
    v->free(v);
    run_record_free(&r);
}

/* A 60-column terminal: the summary lines were cut at the width, mid-value
 * ("... BWT -11.67   Forgetting", "... FWT 71.94   BWT"), then dropped Forgetting whole; at
 * every width from 60 the metrics lines wrap at a field so that Last, Avg, FWT, BWT and
 * Forgetting all show, the CLIP branch's too. The overview's "finished" line wraps its fields
 * into the row below it ("Avg 77." for 77.40 before). */
TEST(view_summaries_keep_values_whole_when_narrow) {
    run_record r;
    CHECK(run_record_open(RUN, &r) == 0);
    if (!r.num_tasks) return;
    wb_state s = {.rec = &r, .task = 9};
    view *v = view_accuracy_new();
    static const char *const metrics[] = {
        "Last 66.80", "Avg 77.40", "FWT 71.94", "BWT -11.67", "Forgetting 11.72",
        "Last 63.80", "Avg 76.01", "BWT -12.00", "Forgetting 12.06",
    };
    static const int widths[] = {60, 72, 80, 100};
    for (int k = 0; k < 4; k++)
        for (int h = 18; h <= 28; h += 10) {
            char *t = view_render(v, &s, widths[k], h, CHARSET_UNICODE, COLORS_256);
            for (int i = 0; i < (int)(sizeof metrics / sizeof *metrics); i++)
                CHECK_MSG(text_has(t, metrics[i]), "%dx%d: %s", widths[k], h, metrics[i]);
            free(t);
        }
    char *t = view_render(v, &s, 60, 18, CHARSET_UNICODE, COLORS_256);
    CHECK(text_has(t, "\nLast 66.80   Avg 77.40   FWT 71.94   BWT -11.67\nForgetting 11.72\n"
                      "CLIP alone: Last 63.80   Avg 76.01   FWT 71.94   BWT -12.00\n"
                      "Forgetting 12.06\n"));
    /* the other lines keep their values, without the explanation that no longer fits */
    CHECK(text_has(t, "\nheld-out zero-shot: pretrained 70.00 -> final 71.50\n"));
    CHECK(text_has(t, "\ndrift boundary/core ratio 1.692 (mean over tasks)\n"));
    free(t);
    /* 80 columns: the CLIP branch's line in one row by its short name */
    t = view_render(v, &s, 80, 28, CHARSET_UNICODE, COLORS_256);
    CHECK(text_has(t, "\nCLIP alone: Last 63.80   Avg 76.01   FWT 71.94   BWT -12.00   "
                      "Forgetting 12.06\nheld-out zero-shot: pretrained 70.00 -> final 71.50 "
                      "(+1.50 points)\n"));
    free(t);
    /* 100x18: the matrix's lines under it wrote over the summary ("Last 66.80ot Avg"); the
     * matrix keeps its rows, the summary its metrics, and the other lines give way */
    t = view_render(v, &s, 100, 18, CHARSET_UNICODE, COLORS_256);
    CHECK(text_has(t, "\n>10   70.00  67.50"));
    CHECK(text_has(t, "\nLast 66.80   Avg 77.40   FWT 71.94   BWT -11.67   Forgetting 11.72\n"
                      "CLIP branch alone: Last 63.80"));
    CHECK(text_lacks(t, "held-out"));
    free(t);
    v->free(v);
    v = view_overview_new();
    t = view_render(v, &s, 60, 18, CHARSET_UNICODE, COLORS_256);
    CHECK(text_has(t, "\nfinished: 10/10 tasks, wall time 2:52   Last 66.80\n"
                      "Avg 77.40   BWT -11.67   Forgetting 11.72\n"));
    free(t);
    v->free(v);
    run_record_free(&r);
}

/* A run of 3 tasks at 80 columns: the matrix (25 columns) stands beside the curves, and the
 * two lines under it were cut there ("row i: after task i; colu", "~: zero-shot on a future",
 * the cursor's "R[3][3] = 83.50: after task 3, on t"); their parts now wrap under the matrix. */
TEST(view_accuracy_notes_wrap_beside_the_curves) {
    static const char config[] =
        "{\"method\": \"segp\", \"seed\": 1, \"resolved\": {\"benchmark\": \"shapes\", "
        "\"num_classes\": 3, \"num_tasks\": 3, \"class_order\": [0, 1, 2], \"class_names\": "
        "[\"a\", \"b\", \"c\"], \"task_classes\": [[0], [1], [2]]}}";
    static const char metrics[] =
        "{\"task\": 1, \"acc\": 98, \"avg_acc\": 98, \"old_acc\": null, \"new_acc\": 98}\n"
        "{\"task\": 2, \"acc\": 87.5, \"avg_acc\": 92.75, \"old_acc\": 86, \"new_acc\": 89}\n"
        "{\"task\": 3, \"acc\": 82.8, \"avg_acc\": 89.4, \"old_acc\": 82.5, \"new_acc\": 83.5, "
        "\"bwt\": -11, \"forgetting\": 11}\n";
    run_text cfg = {config, sizeof config - 1}, met = {metrics, sizeof metrics - 1};
    run_record r;
    CHECK(run_record_open_memory("mem", &cfg, &met, NULL, &r) == 0);
    if (!r.dir) return;
    double R[9] = {98, 88, NAN, 86, 89, 80.5, 84.5, 80.5, 83.5};
    for (int k = 0; k < 9; k++) r.R[k] = R[k];
    r.tasks_done = 3;
    wb_state s = {.rec = &r, .task = 2};
    s.live.read_only = 1;
    view *v = view_accuracy_new();
    char *t = view_render(v, &s, 80, 22, CHARSET_UNICODE, COLORS_256);
    CHECK(text_has(t, "│ o A_t: all seen")); /* the curves beside the matrix */
    CHECK(text_has(t, "\nrow i: after task i;       │"));
    CHECK(text_has(t, "\ncolumn j: task j's test    │"));
    CHECK(text_has(t, "\nimages                     │"));
    CHECK(text_has(t, "\n~: zero-shot on a future   │"));
    CHECK(text_has(t, "\ntask (for FWT);            │"));
    CHECK(text_has(t, "\narrows: a cursor           │"));
    free(t);
    view_press(v, &s, "k"); /* the cursor: on the selected task's diagonal entry */
    t = view_render(v, &s, 80, 22, CHARSET_UNICODE, COLORS_256);
    CHECK(text_has(t, "\nR[3][3] = 83.50:           │"));
    CHECK(text_has(t, "\nafter task 3,              │"));
    CHECK(text_has(t, "\non task 3's test images    │"));
    CHECK(text_has(t, "\n(the task just learned)    │"));
    free(t);
    v->free(v);
    run_record_free(&r);
}
