/* test_figure_readable.c: the type of every figure as drawn (the text log), at the shipped run's
 * first, a middle and the last task, at the default size and at one column (3.3 x 2.6 in):
 * legends at FIG_FS_LEGEND, in fewer columns or with shorter labels where they need room,
 * never shrunk; the accuracy matrix's values at FIG_FS_CELL_MIN or more, with fewer digits
 * where they need them, else none; every other string at 8 pt or more at one column, the
 * similarity matrices' class labels too, or left to the tasks' names. And a comparison's
 * legend with runs named by long folders: at 8 pt, each run's name in a shorter form where it
 * needs one, no two alike. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export/draw.h"
#include "export/heatmap.h"
#include "export/legend_names.h"
#include "export/output.h"
#include "figure_cases.h"
#include "test.h"

/* Whether box B lies inside legend frame G. */
static int in_legend(const fig_text_box *b, const fig_box *g) {
    return b->x0 >= g->x0 && b->x1 <= g->x1 && b->y0 >= g->y0 && b->y1 <= g->y1;
}

/* Every string inside a legend's frame at FIG_FS_LEGEND (8 pt), the frames inside the page. */
static void legend_full_size(const run_record *r, const run_task_data *td, const fig_variant *v,
                             int task, int one_col) {
    const char *name = case_name(v, task, one_col);
    fig_text_log log = {0};
    double w = 0, h = 0;
    text_layout(r, td, v, task, one_col, &log, &w, &h);
    CHECK_MSG(log.n_legend >= 1, "%s: no legend", name);
    int labels = 0;
    for (int l = 0; l < log.n_legend; l++) {
        const fig_box *g = &log.legend[l];
        CHECK_MSG(g->x0 >= 0 && g->y0 >= 0 && g->x1 <= w && g->y1 <= h,
                  "%s: legend (%.1f, %.1f)-(%.1f, %.1f) outside the page %.1f x %.1f", name,
                  g->x0, g->y0, g->x1, g->y1, w, h);
        for (int i = 0; i < log.n; i++) {
            const fig_text_box *b = &log.box[i];
            if (!in_legend(b, g)) continue;
            labels++;
            CHECK_MSG(fabs(b->size - FIG_FS_LEGEND) < 0.01, "%s: legend label '%s' at %.2f pt (%g)",
                      name, b->text, b->size, FIG_FS_LEGEND);
        }
    }
    CHECK_MSG(labels >= 2, "%s: %d legend labels", name, labels);
    /* the anchor losses at one column: one legend, under both panels */
    if (one_col && !strcmp(v->fig, "anchor-losses"))
        CHECK_MSG(log.n_legend == 1 && log.legend[0].x0 < w / 4 && log.legend[0].x1 > w * 3 / 4,
                  "%s: %d legends, the first from %.1f to %.1f pt of %.1f", name, log.n_legend,
                  log.legend[0].x0, log.legend[0].x1, w);
    fig_text_log_free(&log);
}

/* Legends keep their 8 pt: at one column they were shrunk to fit two columns below the plot
 * (the projection's to 7.35 pt, the accuracy curve's to 6.9) or half a panel (the anchor
 * losses' to 6.4); they take shorter labels ("New classes", "Anchor (old class)"), the anchor
 * losses' one legend under both panels. And no string over another with them. */
TEST(figure_legends_keep_their_size) {
    static const char *const figs[] = {"projection", "accuracy-curve", "drift-interface",
                                       "anchor-losses"};
    every_figure(figs, 4, legend_full_size);
    every_figure(figs, 4, text_apart);
}

/* The accuracy matrix's cell values in LOG: its first strings (the values are drawn before any
 * other text), each the next measured entry of R's matrix, row by row, as "%.1f" (FULL 1) or
 * "%.0f"; returns how many (0: none drawn), *FULL whether in the full form, *MIN_FS the
 * smallest size among them. */
static int cell_strings(const run_record *r, const fig_text_log *log, int *full, double *min_fs) {
    const int T = r->num_tasks;
    int k = 0;
    *full = -1;
    *min_fs = INFINITY;
    for (int i = 0; i < T * T; i++) {
        if (!isfinite(r->R[i])) continue;
        if (k >= log->n) return k;
        char a[32], b[32];
        snprintf(a, sizeof a, "%.1f", (float)r->R[i]);
        snprintf(b, sizeof b, "%.0f", (float)r->R[i]);
        const fig_text_box *t = &log->box[k];
        int f = !strcmp(t->text, a) ? 1 : !strcmp(t->text, b) ? 0 : -1;
        if (f < 0 || (*full >= 0 && f != *full)) return k;
        *full = f;
        *min_fs = fmin(*min_fs, t->size);
        k++;
    }
    return k;
}

/* The shipped run's accuracy matrix: every measured cell's value, at the default size with
 * one decimal at 8 pt, at one column whole numbers ("98") at FIG_FS_CELL_MIN or more. */
static void cells_readable(const run_record *r, const run_task_data *td, const fig_variant *v,
                           int task, int one_col) {
    const char *name = case_name(v, task, one_col);
    fig_text_log log = {0};
    double w = 0, h = 0;
    text_layout(r, td, v, task, one_col, &log, &w, &h);
    int measured = 0;
    for (int i = 0; i < r->num_tasks * r->num_tasks; i++) measured += isfinite(r->R[i]);
    int full = -1;
    double fs = 0;
    const int n = cell_strings(r, &log, &full, &fs);
    CHECK_MSG(n == measured, "%s: %d of %d cell values drawn", name, n, measured);
    CHECK_MSG(full == !one_col, "%s: values %s", name, full ? "with a decimal" : "whole");
    CHECK_MSG(fs >= FIG_FS_CELL_MIN - 1e-9 && fs <= FIG_FS_TICK + 1e-9,
              "%s: values at %.2f pt (%g at least)", name, fs, FIG_FS_CELL_MIN);
    if (!one_col) CHECK_NEAR(fs, FIG_FS_TICK, 1e-9);
    fig_text_log_free(&log);
}

/* The accuracy matrix's values stay readable at one column, as whole numbers: fitted to the
 * cells with their decimal, they came out at 3.6 pt; the default size keeps "98.0" at 8 */
TEST(figure_accuracy_matrix_values_readable) {
    static const char *const figs[] = {"accuracy-matrix"};
    every_figure(figs, 1, cells_readable);
}

/* A matrix of N x N values 0..100 laid out in a one-column figure (3.3 x 2.6 in), or at
 * 6 x 5.2 in (BIG), as the accuracy matrix is: *L. */
static void value_layout(int n, int big, fig_heatmap_layout *L) {
    float *m = malloc(sizeof(float) * (size_t)(n * n));
    const char **names = malloc(sizeof(char *) * (size_t)n);
    char(*buf)[16] = malloc(sizeof(*buf) * (size_t)n);
    for (int i = 0; i < n * n; i++) m[i] = 100.0f * (float)i / (float)(n * n - 1);
    for (int i = 0; i < n; i++) {
        snprintf(buf[i], sizeof buf[i], "%d", i + 1);
        names[i] = buf[i];
    }
    fig_heatmap h = {.m = m, .rows = n, .cols = n, .lo = 0, .hi = 100, .row_labels = names,
                     .col_labels = names, .xlabel = "Evaluated on task j",
                     .ylabel = "After training task i", .title = "Accuracy (%)",
                     .cbar_label = "Accuracy (%)", .cell_fmt = "%.1f", .cell_fmt_short = "%.0f",
                     .square = 1};
    fig_canvas cv;
    CHECK(fig_canvas_begin(&cv, FIG_PDF, big ? 6 : 3.3, big ? 5.2 : 2.6, 72) == 0);
    if (cv.cr) {
        fig_heatmap_layout_compute(cv.cr, &h, 0, 0, cv.w_pt, cv.h_pt, L);
        fig_canvas_discard(&cv);
    }
    free(m);
    free(names);
    free(buf);
}

/* The values' form follows the cells: one decimal where that reaches FIG_FS_CELL_MIN, whole
 * numbers ("100" the widest) where those do, else none (the colours carry the values): 10 tasks
 * at one column take whole numbers, 20 none; at 6 x 5.2 in 10 tasks keep the decimal */
TEST(figure_heatmap_values_fewer_digits_or_none) {
    fig_heatmap_layout L;
    value_layout(10, 1, &L);
    CHECK(L.cell_fmt && !strcmp(L.cell_fmt, "%.1f") && fabs(L.cell_fs - FIG_FS_TICK) < 1e-9);
    value_layout(10, 0, &L);
    CHECK_MSG(L.cell_fmt && !strcmp(L.cell_fmt, "%.0f"), "10 tasks: %s",
              L.cell_fmt ? L.cell_fmt : "no values");
    CHECK_MSG(L.cell_fs >= FIG_FS_CELL_MIN && L.cell_fs <= FIG_FS_TICK, "10 tasks: %.2f pt",
              L.cell_fs);
    /* "100" within the cell, with room to spare */
    fig_canvas cv;
    CHECK(fig_canvas_begin(&cv, FIG_PDF, 1, 1, 72) == 0);
    if (cv.cr) {
        fig_font(cv.cr, L.cell_fs, 0);
        CHECK_MSG(fig_text_width(cv.cr, "100") <= 0.8 * L.cw + 1e-9, "'100' %.2f pt, cells %.2f",
                  fig_text_width(cv.cr, "100"), L.cw);
        fig_canvas_discard(&cv);
    }
    value_layout(20, 0, &L);
    CHECK_MSG(!L.cell_fmt && L.cell_fs == 0, "20 tasks: %s at %.2f pt",
              L.cell_fmt ? L.cell_fmt : "none", L.cell_fs);
}

/* Whether S is one of R's class names (a heatmap's class label). */
static int class_name(const run_record *r, const char *s) {
    for (int k = 0; k < r->num_classes; k++)
        if (!strcmp(s, run_class_name(r, k))) return 1;
    return 0;
}

/* Every string of the figure at 8 pt or more, the accuracy matrix's values at FIG_FS_CELL_MIN
 * or more; at the default size the similarity matrices' class labels follow their cells
 * (5-8 pt). */
static void type_readable(const run_record *r, const run_task_data *td, const fig_variant *v,
                          int task, int one_col) {
    const char *name = case_name(v, task, one_col);
    fig_text_log log = {0};
    double w = 0, h = 0;
    text_layout(r, td, v, task, one_col, &log, &w, &h);
    int full = 0, cells = 0;
    double fs = 0;
    if (!strcmp(v->fig, "accuracy-matrix")) cells = cell_strings(r, &log, &full, &fs);
    for (int i = 0; i < log.n; i++) {
        const fig_text_box *b = &log.box[i];
        const double least = i < cells ? FIG_FS_CELL_MIN : 8;
        if (!one_col && !strncmp(v->fig, "simmat", 6) && !b->bold && class_name(r, b->text))
            continue;
        CHECK_MSG(b->size >= least - 1e-9, "%s: '%s' at %.2f pt (%g at least)", name, b->text,
                  b->size, least);
    }
    fig_text_log_free(&log);
}

/* Every figure's type readable in print at one column (and at its default size): 8 pt or
 * more, the accuracy matrix's values 5.5; at one column the legends came out at 6.4-7.35 pt,
 * simmat-diff's colour-bar label at 7.45, the accuracy matrix's values at 3.6, the similarity
 * matrices' class labels at 5-7 (every fourth of 50 and 100 classes). And no string over
 * another. */
TEST(figure_type_readable_at_one_column) {
    static const char *const figs[] = {""};
    every_figure(figs, 1, type_readable);
    every_figure(figs, 1, text_apart);
}

/* The class labels of a one-column similarity matrix: where the tasks' names group the
 * classes (from task 2), none, the matrix taller than half the figure; at task 1 (10 classes,
 * one task) at 8 pt, every other class named. */
static void class_labels_at_one_column(const run_record *r, const run_task_data *td,
                                       const fig_variant *v, int task, int one_col) {
    if (!one_col) return;
    const char *name = case_name(v, task, one_col);
    fig_text_log log = {0};
    double w = 0, h = 0;
    text_layout(r, td, v, task, one_col, &log, &w, &h);
    int named = 0, groups = 0;
    double top = h, bottom = 0;
    for (int i = 0; i < log.n; i++) {
        const fig_text_box *b = &log.box[i];
        if (b->bold) continue;
        named += class_name(r, b->text);
        if (b->text[0] == 'T' && b->text[1] >= '1' && b->text[1] <= '9') {
            groups++;
            top = fmin(top, b->y0);
            bottom = fmax(bottom, b->y1);
        }
    }
    if (task == 0) {
        CHECK_MSG(named == 10, "%s: %d class labels (5 rows, 5 columns)", name, named);
    } else {
        CHECK_MSG(named == 0, "%s: %d class labels", name, named);
        /* the row groups' names span the matrix's height */
        CHECK_MSG(groups >= task + 1 && bottom - top > h / 2,
                  "%s: %d group names from %.1f to %.1f pt of %.1f", name, groups, top, bottom,
                  h);
    }
    fig_text_log_free(&log);
}

/* A one-column similarity matrix names its classes at 8 pt or leaves them to the tasks'
 * names: following the cells, its labels named every fourth of 50 or 100 classes at 5 pt,
 * unreadable in print, and took a third of the figure's width and height */
TEST(figure_one_column_heatmap_class_labels) {
    static const char *const figs[] = {"simmat-"};
    every_figure(figs, 1, class_labels_at_one_column);
}

/* ---- a comparison's legend: the runs named by their folders ---- */

/* Whether SHOWN is a form of NAME: its parts between ellipses found in NAME in that order. */
static int form_of(const char *shown, const char *name) {
    const char *at = name;
    char part[256];
    for (const char *p = shown;;) {
        const char *e = strstr(p, "\u2026");
        size_t len = e ? (size_t)(e - p) : strlen(p);
        snprintf(part, sizeof part, "%.*s", (int)len, p);
        const char *f = strstr(at, part);
        if (!f) return 0;
        at = f + len;
        if (!e) return 1;
        p = e + 3;
    }
}

/* The accuracy curve of the N runs RUNS, their folders named NAMES, at one column (3.3 x 2.6
 * in) or the default size: one legend inside the page, its N names at FIG_FS_LEGEND, each a
 * form of its run's name (SHOWN[i] where given, else any), no two alike, no string over
 * another. Returns how many names it shows cut ("…" in them). */
static int compare_legend(const run_record *const *runs, const char *const *names, int n,
                          int one_col, const char *const *shown) {
    const char *size = one_col ? "3.3 x 2.6 in" : "default size";
    figure_options o;
    figure_options_default(&o);
    o.write_data = 0;
    if (one_col) o.width_in = 3.3, o.height_in = 2.6;
    fig_text_log log = {0};
    double w = 0, h = 0;
    CHECK(figure_compare_text_layout(runs, NULL, n, "accuracy-curve", &o, &log, &w, &h) == 0);
    CHECK_MSG(log.n_legend == 1, "%s: %d legends", size, log.n_legend);
    const fig_box *g = log.n_legend ? &log.legend[0] : &(fig_box){0, 0, 0, 0};
    CHECK_MSG(g->x0 >= 0 && g->y0 >= 0 && g->x1 <= w && g->y1 <= h,
              "%s: legend (%.1f, %.1f)-(%.1f, %.1f) outside the page %.1f x %.1f", size, g->x0,
              g->y0, g->x1, g->y1, w, h);
    const fig_text_box *lab[8];
    int k = 0, cut = 0;
    for (int i = 0; i < log.n; i++)
        if (in_legend(&log.box[i], g) && k < 8) lab[k++] = &log.box[i];
    CHECK_MSG(k == n, "%s: %d names in the legend, %d runs", size, k, n);
    for (int i = 0; i < k && i < n; i++) {
        const char *s = lab[i]->text;
        CHECK_MSG(fabs(lab[i]->size - FIG_FS_LEGEND) < 0.01, "%s: '%s' at %.2f pt (%g)", size, s,
                  lab[i]->size, FIG_FS_LEGEND);
        if (shown && shown[i])
            CHECK_MSG(!strcmp(s, shown[i]), "%s: run %d shown as '%s', not '%s'", size, i + 1, s,
                      shown[i]);
        CHECK_MSG(form_of(s, names[i]), "%s: '%s' is no form of '%s'", size, s, names[i]);
        cut += strstr(s, "\u2026") != NULL;
        if (test_verbose()) printf("  %s: '%s' as '%s'\n", size, names[i], s);
        for (int j = 0; j < i; j++)
            CHECK_MSG(strcmp(s, lab[j]->text), "%s: runs %d and %d both shown as '%s'", size,
                      j + 1, i + 1, s);
    }
    for (int i = 0; i < log.n; i++)
        for (int j = 0; j < i; j++) {
            const fig_text_box *a = &log.box[i], *b = &log.box[j];
            double ox = fmin(a->x1, b->x1) - fmax(a->x0, b->x0);
            double oy = fmin(a->y1, b->y1) - fmax(a->y0, b->y0);
            CHECK_MSG(ox <= 0 || oy <= 0, "%s: '%s' over '%s' (%.2f x %.2f pt)", size, a->text,
                      b->text, ox, oy);
        }
    fig_text_log_free(&log);
    return cut;
}

/* Copies of the shipped run in folders named NAMES (N, from the folders FROM had, or made
 * when FROM is NULL), compared: the legend at both sizes (SHOWN: compare_legend's, at one
 * column and at the default size), the data file's header with the full names. Returns the
 * names cut at one column. */
static int compare_named(const char *const *from, const char *const *names, int n,
                         const char *const *shown_one, const char *const *shown_def) {
    char cmd[2048], dir[8][512];
    run_record r[8];
    const run_record *rp[8];
    int opened = 0;
    for (int i = 0; i < n; i++) {
        snprintf(dir[i], sizeof dir[i], "%s", tpath("compare-names/%s", names[i]));
        if (from)
            snprintf(cmd, sizeof cmd, "mv '%s' '%s'", tpath("compare-names/%s", from[i]), dir[i]);
        else
            snprintf(cmd, sizeof cmd, "mkdir -p '%s' && rm -rf '%s' && cp -r " FIG_CASES_RUN
                     " '%s'", tpath("compare-names", NULL), dir[i], dir[i]);
        CHECK(system(cmd) == 0);
        if (run_record_open(dir[i], &r[i]) != 0) break;
        rp[opened++] = &r[i];
    }
    CHECK_EQ_INT(opened, n);
    int cut = 0;
    if (opened == n) {
        cut = compare_legend(rp, names, n, 1, shown_one);
        compare_legend(rp, names, n, 0, shown_def);
        /* the data file names the runs in full */
        figure_options o;
        figure_options_default(&o);
        o.width_in = 3.3, o.height_in = 2.6;
        const char *png = tpath("compare-names.png", NULL);
        CHECK(figure_export_compare(rp, NULL, n, "accuracy-curve", &o, png) == 0);
        char *csv = read_text(tpath("compare-names.csv", NULL)), head[1024] = "task";
        for (int i = 0; i < n; i++)
            snprintf(head + strlen(head), sizeof head - strlen(head), ",%s", names[i]);
        CHECK_MSG(csv && !strncmp(csv, head, strlen(head)) && csv[strlen(head)] == '\n',
                  "the data file's header: %.*s", csv ? (int)strcspn(csv, "\n") : 0,
                  csv ? csv : "");
        free(csv);
    }
    for (int i = 0; i < opened; i++) run_record_free(&r[i]);
    return cut;
}

/* A comparison's legend keeps its 8 pt with runs named by long folders: four such names were
 * shrunk to fit below a one-column plot, to 4.8 pt, and still ran off both sides of the page.
 * Now each shows the part that tells it from the others (without the config and date all
 * share), else is cut in the middle, the names told apart; the data file keeps them whole.
 * Short names stay as they were. */
TEST(figure_compare_legend_keeps_its_size) {
    /* an ablation's runs, one config, one date: the parts that differ */
    static const char *const shared[4] = {
        "shapes-random-segp-lr1e-3-seed1-20261201-052900",
        "shapes-random-segp-lr3e-4-seed1-20261201-052900",
        "shapes-random-segp-lr1e-3-seed2-20261201-052900",
        "shapes-random-segp-lr3e-4-seed2-20261201-052900"};
    static const char *const parts[4] = {"lr1e-3-seed1", "lr3e-4-seed1", "lr1e-3-seed2",
                                         "lr3e-4-seed2"};
    CHECK_EQ_INT(compare_named(NULL, shared, 4, parts, parts), 0);
    /* only "shapes-" shared: the longest cut in the middle at one column; at the default size
     * one column of the full names fits */
    static const char *const apart[4] = {
        "shapes-random-segp-lr3e-4-seed1-20261205-091500",
        "shapes-random-segp-lr1e-3-seed2-20261202-061544",
        "shapes-class-inc-finetune-lr3e-4-seed1-20261203-101010",
        "shapes-random-segp-no-anchors-lr3e-4-seed3-20261204-235959"};
    CHECK(compare_named(shared, apart, 4, NULL, apart) >= 1);
    /* short names: as they are */
    static const char *const plain[3] = {"segp-a", "segp-b", "finetune"};
    CHECK_EQ_INT(compare_named(apart, plain, 3, plain, plain), 0);
}

/* The forms of names: what all share dropped at a separator, every name keeping a part; cut
 * in the middle to a width, names alike at both ends told apart where they differ. */
TEST(figure_legend_name_forms) {
    static const struct {
        const char *in[3], *out[3];
    } drop[] = {
        {{"cfg-a-20261201", "cfg-b-20261201", "cfg-c-20261201"}, {"a", "b", "c"}},
        {{"run", "run-2", NULL}, {"run", "run-2", NULL}},        /* "run-" not in both */
        {{"a-x", "a-x-x", NULL}, {"x", "x-x", NULL}},            /* "-x" would leave nothing */
        {{"lr0.1", "lr0.2", NULL}, {"lr0.1", "lr0.2", NULL}},    /* no separator */
        {{"x_y z", "x_y w", NULL}, {"z", "w", NULL}},
        {{"only-one", NULL, NULL}, {"only-one", NULL, NULL}},
    };
    for (size_t c = 0; c < sizeof drop / sizeof drop[0]; c++) {
        int n = 0;
        while (n < 3 && drop[c].in[n]) n++;
        char **f = fig_names_drop_common(drop[c].in, n);
        for (int i = 0; i < n; i++)
            CHECK_MSG(!strcmp(f[i], drop[c].out[i]), "'%s' -> '%s', not '%s'", drop[c].in[i],
                      f[i], drop[c].out[i]);
        fig_names_free(f, n);
    }
    fig_canvas cv;
    CHECK(fig_canvas_begin(&cv, FIG_PDF, 1, 1, 72) == 0);
    if (!cv.cr) return;
    fig_font(cv.cr, FIG_FS_LEGEND, 0);
    /* alike for 20 characters at both ends, different in the middle */
    static const char *const names[4] = {
        "aaaaaaaaaaaaaaaaaaaa-one-bbbbbbbbbbbbbbbbbbbb",
        "aaaaaaaaaaaaaaaaaaaa-two-bbbbbbbbbbbbbbbbbbbb",
        "aaaaaaaaaaaaaaaaaaaa-six-bbbbbbbbbbbbbbbbbbbb", "short"};
    const double max_w = fig_text_width(cv.cr, "aaaaaaaaaaaaaaaaaaaa");
    char **f = fig_names_cut(cv.cr, names, 4, max_w);
    CHECK(!strcmp(f[3], "short"));
    for (int i = 0; i < 4; i++) {
        CHECK_MSG(fig_text_width(cv.cr, f[i]) <= max_w, "'%s' %.1f pt wide (%.1f)", f[i],
                  fig_text_width(cv.cr, f[i]), max_w);
        CHECK_MSG(form_of(f[i], names[i]), "'%s' is no form of '%s'", f[i], names[i]);
        if (test_verbose()) printf("  '%s' -> '%s'\n", names[i], f[i]);
        /* each tells which name it is: a form of no other */
        for (int j = 0; j < 4; j++)
            CHECK_MSG(j == i || !form_of(f[i], names[j]), "'%s' fits '%s' too", f[i],
                      names[j]);
    }
    CHECK_MSG(strstr(f[1], "two") && strstr(f[2], "six"), "'%s', '%s', '%s'", f[0], f[1], f[2]);
    fig_names_free(f, 4);
    /* the same name twice: the same form */
    static const char *const twice[2] = {"aaaaaaaaaaaaaaaaaaaa-one-bbbbbbbbbbbbbbbbbbbb",
                                         "aaaaaaaaaaaaaaaaaaaa-one-bbbbbbbbbbbbbbbbbbbb"};
    f = fig_names_cut(cv.cr, twice, 2, max_w);
    CHECK(!strcmp(f[0], f[1]) && strstr(f[0], "\u2026"));
    fig_names_free(f, 2);
    fig_canvas_discard(&cv);
}
