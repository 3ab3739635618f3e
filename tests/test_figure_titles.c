/* test_figure_titles.c: every figure's titles as drawn, at the shipped run's first, a middle and
 * the last task, at the default size and at one column (3.3 x 2.6 in): at the title's size
 * (10 pt), a title too wide taking more lines instead of smaller type, in reading order, inside
 * the page and above the plot or matrix; fig_text_wrap's lines; and the axis and colour-bar
 * labels at 8 pt or more at one column, in short forms where the full ones do not fit. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export/draw.h"
#include "export/output.h"
#include "figure_cases.h"
#include "png_read.h"
#include "test.h"

/* The heatmap's title: its strings (the only bold ones) all at the figure's title size, in one
 * to three lines, the second under the first; at one column the long titles take two. */
static void title_full_size(const run_record *r, const run_task_data *td, const fig_variant *v,
                            int task, int one_col) {
    fig_text_log log = {0};
    double w = 0, h = 0;
    text_layout(r, td, v, task, one_col, &log, &w, &h);
    const fig_text_box *prev = NULL;
    int lines = 0;
    for (int i = 0; i < log.n; i++) {
        const fig_text_box *b = &log.box[i];
        if (!b->bold) continue;
        lines++;
        CHECK_MSG(fabs(b->size - FIG_FS_TITLE) < 0.01, "%s: title line '%s' at %.2f pt (%g)",
                  case_name(v, task, one_col), b->text, b->size, FIG_FS_TITLE);
        if (prev)
            CHECK_MSG(b->y0 > prev->y1, "%s: title line '%s' not under '%s'",
                      case_name(v, task, one_col), b->text, prev->text);
        prev = b;
    }
    CHECK_MSG(lines >= 1 && lines <= 3, "%s: %d title lines", case_name(v, task, one_col),
              lines);
    /* "Accuracy (%) on task j after task i, SeGP-CL, shapes B0-Inc10" and "Student −
     * pretrained, cosine similarity image × text, task 10" are wider than 3.3 in at 10 pt */
    if (one_col && (!strcmp(v->fig, "accuracy-matrix") ||
                    (!strcmp(v->fig, "simmat-diff") && v->against == RUN_STATE_PRE)))
        CHECK_MSG(lines == 2, "%s: %d title lines", case_name(v, task, one_col), lines);
    fig_text_log_free(&log);
}

/* The heatmaps' titles keep the title size and wrap: at one column they were fitted to the
 * width by shrinking, the accuracy matrix's and the differences' to 6 pt, unreadable in
 * print */
TEST(figure_heatmap_titles_keep_their_size) {
    static const char *const figs[] = {"simmat-", "accuracy-matrix"};
    every_figure(figs, 2, title_full_size);
}

/* fig_text_wrap: one line where the text fits; else the fewest lines, broken after a comma
 * where that gives them (the longest line shortest), else at spaces; no break, one line */
TEST(figure_text_wrap_lines) {
    fig_canvas cv;
    CHECK(fig_canvas_begin(&cv, FIG_PDF, 3, 2, 72) == 0);
    if (!cv.cr) return;
    fig_font(cv.cr, 10, 1);
    const char *t = "Student \u2212 pretrained, cosine similarity image \u00d7 text, task 10";
    const double full = fig_text_width(cv.cr, t);
    size_t st[3], len[3];
    CHECK_EQ_INT(fig_text_wrap(cv.cr, t, full + 0.01, 3, st, len), 1);
    CHECK(st[0] == 0 && len[0] == strlen(t));
    /* "Student − pretrained," | "cosine similarity image × text, task 10" */
    const char *second = strstr(t, "cosine");
    const double w2 = fig_text_width(cv.cr, second);
    CHECK_EQ_INT(fig_text_wrap(cv.cr, t, w2 + 0.01, 3, st, len), 2);
    CHECK(st[0] == 0 && len[0] == (size_t)(second - 1 - t));
    CHECK(st[1] == (size_t)(second - t) && len[1] == strlen(second));
    /* narrower than both ways of two lines at a comma: two lines at a space, before more
     * lines ("Student − pretrained, cosine" | "similarity image × text, task 10") */
    CHECK_EQ_INT(fig_text_wrap(cv.cr, t, w2 - 1, 3, st, len), 2);
    CHECK(t[len[0]] == ' ' && t[len[0] - 1] != ',' && st[1] == len[0] + 1);
    CHECK(st[1] + len[1] == strlen(t));
    /* narrower still: three lines, each within the width, nothing left out */
    int n = fig_text_wrap(cv.cr, t, 160, 3, st, len);
    CHECK_EQ_INT(n, 3);
    for (int k = 0; k < n && n == 3; k++) {
        char line[128];
        snprintf(line, sizeof line, "%.*s", (int)len[k], t + st[k]);
        CHECK_MSG(fig_text_width(cv.cr, line) <= 160, "'%s' wider than 160 pt", line);
        if (k) CHECK(st[k] == st[k - 1] + len[k - 1] + 1);
    }
    if (n == 3) CHECK(st[2] + len[2] == strlen(t));
    /* no comma: at a space */
    const char *u = "Class mean of test-image embeddings";
    CHECK_EQ_INT(fig_text_wrap(cv.cr, u, fig_text_width(cv.cr, u) * 0.7, 3, st, len), 2);
    CHECK(st[1] == len[0] + 1 && u[len[0]] == ' ');
    CHECK_EQ_INT(fig_text_wrap(cv.cr, "Unbreakable", 5, 3, st, len), 1);
    fig_canvas_discard(&cv);
}

/* The first row at or below Y0 whose pixels within columns [X0, X1) are near-black but for a
 * tenth (a plot frame's top edge; a line of text leaves more gaps); -1 if none. */
static int frame_row(const png_read *p, int x0, int x1, int y0) {
    for (int y = y0; y < p->h; y++) {
        int n = 0;
        for (int x = x0; x < x1; x++) n += near_rgb(png_px(p, x, y), 0x000000, 120);
        if (n * 10 > (x1 - x0) * 9) return y;
    }
    return -1;
}

/* The title lines each plot draws at one column, where a title wider than the room takes more
 * (at the default size every title has one): "Drift by interface distance, task N
 * (boundary/core ratio R)", "t-SNE of the student embeddings, task N (KL K)" and the accuracy
 * curve's are wider than 3.3 in at 10 pt; the anchor losses' title takes two, its right
 * panel's "Visual-prototype objective" two, "Text objective" one. */
static int one_col_lines(const fig_variant *v) {
    if (!strcmp(v->fig, "anchor-losses")) return 5;
    if (!strcmp(v->fig, "projection") && v->space == FIG_SPACE_PCA) return 1;
    return 2;
}

/* A plot's titles: every bold string at the title's size, the expected count, each line under
 * the one before or right of it (the anchor losses' panels), inside the page; and the plot's
 * frame (at 200 dpi) below all of them, the two anchor-loss panels' frames in one row. */
static void plot_title_size(const run_record *r, const run_task_data *td, const fig_variant *v,
                            int task, int one_col) {
    const char *name = case_name(v, task, one_col);
    fig_text_log log = {0};
    double w = 0, h = 0;
    text_layout(r, td, v, task, one_col, &log, &w, &h);
    const fig_text_box *prev = NULL;
    int lines = 0;
    double bottom = 0;
    for (int i = 0; i < log.n; i++) {
        const fig_text_box *b = &log.box[i];
        if (!b->bold) continue;
        lines++;
        bottom = fmax(bottom, b->y1);
        CHECK_MSG(fabs(b->size - FIG_FS_TITLE) < 0.01, "%s: title line '%s' at %.2f pt (%g)",
                  name, b->text, b->size, FIG_FS_TITLE);
        if (prev)
            CHECK_MSG(b->y0 > prev->y1 || b->x0 > prev->x1,
                      "%s: title line '%s' neither under nor right of '%s'", name, b->text,
                      prev->text);
        CHECK_MSG(fmin(fmin(b->x0, b->y0), fmin(w - b->x1, h - b->y1)) >= EDGE_PT,
                  "%s: title line '%s' within %g pt of an edge", name, b->text, EDGE_PT);
        prev = b;
    }
    const int anchors = !strcmp(v->fig, "anchor-losses");
    CHECK_MSG(lines == (one_col ? one_col_lines(v) : anchors ? 3 : 1), "%s: %d title lines",
              name, lines);
    fig_text_log_free(&log);

    figure_options o;
    variant_options(v, one_col, &o);
    o.dpi = 200;
    const char *path = tpath("titles-%s.png", v->fig);
    CHECK(figure_export(r, td, v->fig, task, &o, path) == 0);
    png_read p;
    if (png_load(path, &p) != 0) return;
    /* columns the plot (the left panel) spans at every size, the title's rows above it */
    const double k = o.dpi / 72;
    int top = anchors ? frame_row(&p, p.w * 15 / 100, p.w * 35 / 100, 0)
                      : frame_row(&p, p.w * 40 / 100, p.w * 60 / 100, 0);
    CHECK_MSG(top > (bottom + 2) * k, "%s: the plot's frame at %.1f pt, the title down to %.1f",
              name, top / k, bottom);
    if (anchors) {
        int right = frame_row(&p, p.w * 65 / 100, p.w * 85 / 100, 0);
        CHECK_MSG(abs(right - top) <= 1, "%s: the panels' frames at %.1f and %.1f pt", name,
                  top / k, right / k);
    }
    png_read_free(&p);
}

/* The plots' titles keep the title size and wrap as the heatmaps' do: at one column they were
 * fitted to the width by shrinking, the drift figure's to 6.8 pt, the anchor losses' to 7.3
 * and its panels' to 7.5, the t-SNE's to 8.1; the plot gives up the rows they take. And no
 * string over another with them. */
TEST(figure_plot_titles_keep_their_size) {
    static const char *const figs[] = {"projection", "accuracy-curve", "drift-interface",
                                       "anchor-losses"};
    every_figure(figs, 4, plot_title_size);
    every_figure(figs, 4, text_apart);
}

/* The accuracy curve's title: the strings from "Accuracy per task" to the one with "Avg", in
 * drawing order; their lines and where they lie. */
static void title_lines(const run_record *r, const run_task_data *td, const fig_variant *v,
                        int task, int one_col) {
    fig_text_log log = {0};
    double w = 0, h = 0;
    text_layout(r, td, v, task, one_col, &log, &w, &h);
    int first = -1, last = -1;
    for (int i = 0; i < log.n; i++) {
        if (!strncmp(log.box[i].text, "Accuracy per task", 17)) first = i;
        if (first >= 0 && last < 0 && strstr(log.box[i].text, "Avg ")) last = i;
    }
    CHECK_MSG(first >= 0 && last >= first, "%s: no title", case_name(v, task, one_col));
    if (first >= 0 && last >= first) {
        const fig_text_box *a = &log.box[first], *b = &log.box[last];
        /* one line at the default size, two at one column: the second under the first */
        const int lines = last - first + 1;
        CHECK_EQ_INT(lines, one_col ? 2 : 1);
        if (last > first) CHECK(b->y0 > a->y1 && b->y1 - b->y0 > 6);
        CHECK_MSG(a->x0 >= EDGE_PT && w - fmax(a->x1, b->x1) >= EDGE_PT,
                  "%s: title from %.2f to %.2f pt of %.2f", case_name(v, task, one_col),
                  a->x0, fmax(a->x1, b->x1), w);
    }
    fig_text_log_free(&log);
}

/* A title too long for one line goes on two, broken after a comma or colon: at one column the
 * accuracy curve's "Accuracy per task, SeGP-CL, shapes B0-Inc10: Last 66.8%, Avg 77.4%" at
 * its smallest type ran 1.1-1.4 pt from both edges; and with it the accuracy curve keeps the
 * 3 pt margin everywhere */
TEST(figure_long_title_takes_two_lines) {
    static const char *const figs[] = {"accuracy-curve"};
    every_figure(figs, 1, title_lines);
    every_figure(figs, 1, clear_of_edges);
}


/* An axis or colour-bar label: the string it is drawn as (not bold: no title) starts with FULL
 * or with SHORT (the form a figure takes where the full one would need smaller type; NULL:
 * none). */
typedef struct {
    const char *fig, *full, *shrt;
} fig_label;

static const fig_label labels[] = {
    {"drift-interface", "Mean drift (JSD, ", "JSD ("},
    {"drift-interface", "Test images", "Images"},
    {"drift-interface", "Interface distance m", NULL},
    {"accuracy-matrix", "Evaluated on task j", "On task j ("},
    {"accuracy-matrix", "After training task i", NULL},
    {"accuracy-matrix", "Accuracy (%)", NULL},
    {"simmat-diff", "\u0394 cosine similarity (student", "\u0394 cosine similarity"},
    {"simmat-text", "Cosine similarity", NULL},
};

/* Each of the figure's labels in LABELS drawn, at 8 pt or more. */
static void labels_readable(const run_record *r, const run_task_data *td, const fig_variant *v,
                            int task, int one_col) {
    fig_text_log log = {0};
    double w = 0, h = 0;
    text_layout(r, td, v, task, one_col, &log, &w, &h);
    for (size_t l = 0; l < sizeof labels / sizeof labels[0]; l++) {
        const fig_label *b = &labels[l];
        if (strcmp(b->fig, v->fig)) continue;
        const fig_text_box *got = NULL;
        for (int i = 0; i < log.n && !got; i++) {
            const char *t = log.box[i].text;
            if (!log.box[i].bold && (!strncmp(t, b->full, strlen(b->full)) ||
                                     (b->shrt && !strncmp(t, b->shrt, strlen(b->shrt)))))
                got = &log.box[i];
        }
        CHECK_MSG(got, "%s: no label '%s'", case_name(v, task, one_col), b->full);
        if (got)
            CHECK_MSG(got->size >= 8 - 1e-9, "%s: '%s' at %.2f pt (8 at least)",
                      case_name(v, task, one_col), got->text, got->size);
    }
    fig_text_log_free(&log);
}

/* Labels stay readable (8 pt or more) at one column, in their short forms where the full ones
 * do not fit: the drift figure's y labels came out at 7.2 pt (under a two-line title) and 6.8,
 * the accuracy matrix's x label ("Evaluated on task j (right of the diagonal: zero-shot, not
 * yet trained)") at 6.8, simmat-diff's colour-bar label ("\u0394 cosine similarity (student
 * \u2212 pretrained)") at 7.45 and 7.99 against the teacher */
TEST(figure_labels_readable_at_one_column) {
    static const char *const figs[] = {"drift-interface", "accuracy-matrix", "simmat-diff",
                                       "simmat-text"};
    every_figure(figs, 4, labels_readable);
}
