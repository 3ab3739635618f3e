/* test_figure_layout.c: figures at sizes their default layouts were not drawn for: no title,
 * label or legend runs off the edge from the 1-inch minimum up (read back through libpng), a
 * figure below one column is that figure scaled down whole, the projection's and the accuracy
 * curve's legends go below the plot where beside or inside it they would squeeze the plot or
 * hide its points; what the axes show: two ticks at least, a curve's range that holds its
 * line, labels short enough to fit; and every figure as drawn at its default size and at one
 * column, at the shipped run's first, a middle and the last task: its ink (pixels, and each
 * string's box from the text log) 3 pt inside its edges, no two strings over each other, no
 * legend over a data point (the titles' sizes and lines: test_figure_titles.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export/axes.h"
#include "export/draw.h"
#include "export/figure.h"
#include "export/output.h"
#include "export/plot.h"
#include "figure_cases.h"
#include "png_read.h"
#include "run/run_record.h"
#include "test.h"

#define RUN FIG_CASES_RUN

/* Pixels of the outermost BORDER rows and columns of P that are not white: text or lines cut
 * off at the figure's edge. */
static int ink_on_edge(const png_read *p, int border) {
    int n = 0;
    for (int y = 0; y < p->h; y++)
        for (int x = 0; x < p->w; x++) {
            if (x >= border && x < p->w - border && y >= border && y < p->h - border) continue;
            if (!near_rgb(png_px(p, x, y), 0xffffff, 60)) n++;
        }
    return n;
}

/* A one-column figure of a two-column paper (3.3 x 2.6 in), the default sizes and smaller
 * ones down to the 1-inch minimum: titles, axis labels and legends stay inside the figure
 * (they ran off its edges at 3.3 in, and at every size below it: the type does not shrink
 * with the figure; simmat-cross's y label at 3.3 x 2.6 in) */
TEST(figure_small_sizes_keep_text_inside) {
    run_record r;
    CHECK(run_record_open(RUN, &r) == 0);
    if (!r.dir) return;
    run_task_data td;
    CHECK(run_task_load(&r, 9, &td) == 0);
    static const char *const figs[] = {"simmat-text",     "simmat-cross",   "simmat-proto",
                                       "simmat-diff",     "projection",     "accuracy-matrix",
                                       "accuracy-curve",  "drift-interface", "anchor-losses"};
    /* width, height (in), dpi: below 3.3 x 2.6 in the 1-pixel border is a fraction of a point,
     * so a finer grid */
    static const double sizes[][3] = {{0, 0, 100},   {3.3, 2.6, 100}, {3.3, 3.3, 100},
                                      {2, 1.5, 300}, {1, 1, 300},     {4, 1, 300}};
    for (int f = 0; f < 9; f++)
        for (int s = 0; s < 6; s++)
            for (int space = 0; space < (!strcmp(figs[f], "projection") ? 2 : 1); space++) {
                figure_options o;
                figure_options_default(&o);
                o.dpi = sizes[s][2];
                o.write_data = 0;
                o.width_in = sizes[s][0];
                o.height_in = sizes[s][1];
                o.space = space ? FIG_SPACE_TSNE : FIG_SPACE_PCA;
                const char *path = tpath("edge-%s.png", figs[f]);
                CHECK(figure_export(&r, &td, figs[f], 9, &o, path) == 0);
                png_read p;
                if (png_load(path, &p) != 0) continue;
                int ink = ink_on_edge(&p, 1);
                CHECK_MSG(ink == 0, "%s (%s) at %gx%g in: %d pixels of ink on the edge", figs[f],
                          space ? "tsne" : "pca", sizes[s][0], sizes[s][1], ink);
                png_read_free(&p);
            }
    run_task_data_free(&td);
    run_record_free(&r);
}

/* The most near-black pixels in one row of P: a plot frame's top and bottom edges. */
static int longest_dark_row(const png_read *p) {
    int best = 0;
    for (int y = 0; y < p->h; y++) {
        int n = 0;
        for (int x = 0; x < p->w; x++) n += near_rgb(png_px(p, x, y), 0x000000, 80);
        if (n > best) best = n;
    }
    return best;
}

/* Below the smallest size the layouts hold their text at (3.3 x 2.6 in), a figure is that
 * figure scaled down whole: half the size at twice the dpi is the same pixels. And at one
 * column the projection's legend goes below the plot, which keeps the width (beside it, the
 * legend took 53% of the width and left the plot a strip). */
TEST(figure_below_one_column_scales_down) {
    run_record r;
    CHECK(run_record_open(RUN, &r) == 0);
    if (!r.dir) return;
    run_task_data td;
    CHECK(run_task_load(&r, 9, &td) == 0);
    static const char *const figs[] = {"simmat-text", "projection", "accuracy-curve"};
    for (int f = 0; f < 3; f++) {
        png_read p[2];
        for (int k = 0; k < 2; k++) {
            figure_options o;
            figure_options_default(&o);
            o.write_data = 0;
            o.width_in = k ? 1.65 : 3.3;
            o.height_in = k ? 1.3 : 2.6;
            o.dpi = k ? 200 : 100;
            const char *path = tpath(k ? "scaled-half-%s.png" : "scaled-%s.png", figs[f]);
            CHECK(figure_export(&r, &td, figs[f], 9, &o, path) == 0);
            CHECK(png_load(path, &p[k]) == 0);
        }
        CHECK_EQ_INT(p[1].w, p[0].w);
        CHECK_EQ_INT(p[1].h, p[0].h);
        long far = 0, inked = 0;
        for (int y = 0; y < p[0].h && p[1].h == p[0].h; y++)
            for (int x = 0; x < p[0].w && p[1].w == p[0].w; x++) {
                far += !near_rgb(png_px(&p[0], x, y), png_px(&p[1], x, y), 24);
                inked += !near_rgb(png_px(&p[0], x, y), 0xffffff, 24);
            }
        /* rounding of the two transforms moves a few edges by a pixel, no more */
        CHECK_MSG(far * 100 < inked, "%s: %ld of %ld inked pixels differ", figs[f], far, inked);
        if (!strcmp(figs[f], "projection"))
            CHECK_MSG(longest_dark_row(&p[0]) > p[0].w * 3 / 4,
                      "projection at 3.3 in: the plot frame spans %d of %d pixels",
                      longest_dark_row(&p[0]), p[0].w);
        png_read_free(&p[0]);
        png_read_free(&p[1]);
    }
    run_task_data_free(&td);
    run_record_free(&r);
}

/* ---- what the axes show ---- */

/* Every non-integer axis gets two ticks at least: with room for three, [-0.85, 0.89] took the
 * step 1 and showed "0" alone (the one-column PCA's y axis), which gives no scale */
TEST(figure_ticks_never_one_alone) {
    double t[64];
    int dec;
    int n = fig_ticks(-0.85, 0.89, 3, 0, t, &dec);
    CHECK_EQ_INT(n, 3);
    CHECK_NEAR(t[0], -0.5, 1e-12);
    CHECK_NEAR(t[1], 0, 1e-12);
    CHECK_NEAR(t[2], 0.5, 1e-12);
    CHECK_EQ_INT(dec, 1);
    for (int k = 0; k < 400; k++) {
        double lo = -3 + 0.0137 * k * k / 40, hi = lo + 0.05 + 0.031 * (k % 37);
        for (int m = 3; m <= 9; m++) {
            n = fig_ticks(lo, hi, m, 0, t, &dec);
            CHECK_MSG(n >= 2 && n <= m + 1, "[%g, %g] at most %d ticks: %d", lo, hi, m, n);
            if (n >= 1) CHECK(t[0] >= lo - 1e-12 && t[n - 1] <= hi + 1e-12);
        }
    }
}

/* Rows of P from Y0 down: the first whose near-black pixels within columns [X0, X1) exceed half
 * of them (a plot frame's top edge); -1 if none. */
static int frame_top(const png_read *p, int x0, int x1, int y0) {
    for (int y = y0; y < p->h; y++) {
        int n = 0;
        for (int x = x0; x < x1; x++) n += near_rgb(png_px(p, x, y), 0x000000, 120);
        if (n * 2 > x1 - x0) return y;
    }
    return -1;
}

/* The first row at or below Y0 with a pixel of colour C (+-TOL) within columns [X0, X1). */
static int first_row_of(const png_read *p, uint32_t c, int tol, int x0, int x1, int y0) {
    for (int y = y0; y < p->h; y++)
        for (int x = x0; x < x1; x++)
            if (near_rgb(png_px(p, x, y), c, tol)) return y;
    return -1;
}

/* The text objective's axis holds its mean: at task 2 of the shipped run the step-0 mean
 * (2.6e-3) lies above the 90th percentile (1.6e-3), and a y range of the band alone drew the
 * mean's first point and line off the top of the panel */
TEST(figure_anchor_losses_axis_holds_the_mean) {
    double mean[2] = {2.6e-3, 2.2e-4}, lo[2] = {1e-6, 8e-7}, hi[2] = {1.6e-3, 7e-4}, y0, y1;
    CHECK(fig_band_range(mean, lo, hi, 2, 0.05, &y0, &y1));
    CHECK_NEAR(y1, 2.6e-3 + 0.05 * (2.6e-3 - 8e-7), 1e-12);
    CHECK_NEAR(y0, 8e-7 - 0.05 * (2.6e-3 - 8e-7), 1e-12);

    run_record r;
    CHECK(run_record_open(RUN, &r) == 0);
    if (!r.dir) return;
    run_task_data td;
    CHECK(run_task_load(&r, 1, &td) == 0);
    figure_options o;
    figure_options_default(&o);
    o.dpi = 200;
    const char *path = tpath("al-mean.png", NULL);
    CHECK(figure_export(&r, &td, "anchor-losses", 1, &o, path) == 0);
    char *csv = read_text(tpath("al-mean.csv", NULL));
    double m0 = 0, p10 = 0, p90 = 0;
    const char *row0 = csv ? strstr(csv, "\n0,") : NULL;
    CHECK(row0 && sscanf(row0 + 3, "%lf,%lf,%lf", &m0, &p10, &p90) == 3);
    CHECK_MSG(m0 > p90 * 1.5, "step 0: mean %g, p90 %g (the case this test is about)", m0, p90);
    free(csv);
    png_read p;
    CHECK(png_load(path, &p) == 0);
    /* the left panel: its frame's top row, then the first row of the mean's opaque blue (the
     * Okabe-Ito 0072b2 of its line, markers and legend sample; the band is far lighter) */
    int top = frame_top(&p, p.w / 8, p.w * 3 / 8, p.h / 20);
    int blue = top < 0 ? -1 : first_row_of(&p, 0x0072b2, 40, 0, p.w / 2, top + 1);
    CHECK(top > 0 && blue > 0);
    CHECK_MSG(blue - top >= 4, "the mean's line touches the top of its panel: frame at row %d, "
              "first blue row %d", top, blue);
    png_read_free(&p);
    run_task_data_free(&td);
    run_record_free(&r);
}

/* The top and bottom (points) of the first word W in pdftotext -bbox's XML for PDF at PATH;
 * 0 when found. */
static int pdf_word_y(const char *path, const char *w, double *ymin, double *ymax) {
    char cmd[1200], line[512], tail[128];
    snprintf(cmd, sizeof cmd, "pdftotext -bbox '%s' - 2>/dev/null", path);
    snprintf(tail, sizeof tail, ">%s</word>", w);
    FILE *f = popen(cmd, "r");
    int found = -1;
    while (f && found != 0 && fgets(line, sizeof line, f)) {
        const char *y0 = strstr(line, "yMin=\""), *y1 = strstr(line, "yMax=\"");
        if (strstr(line, tail) && y0 && y1) {
            *ymin = atof(y0 + 6);
            *ymax = atof(y1 + 6);
            found = 0;
        }
    }
    if (f) pclose(f);
    return found;
}

/* A check of one PDF of a figure: ONE_COL at 3.3 x 2.6 in, else at its default size. */
typedef void (*pdf_check)(const char *path, int one_col, const void *arg);

/* The shipped run's FIG (of task TASK + 1; -1: the run's) as PDF at its default size and at one
 * column, each given to CHECK. */
static void both_sizes(const char *fig, int task, pdf_check check, const void *arg) {
    TEST_NEEDS(system("command -v pdftotext >/dev/null 2>&1") == 0,
               "pdftotext (poppler-utils) is not installed");
    run_record r;
    CHECK(run_record_open(RUN, &r) == 0);
    if (!r.dir) return;
    run_task_data td;
    CHECK(task < 0 || run_task_load(&r, task, &td) == 0);
    for (int k = 0; k < 2; k++) {
        figure_options o;
        figure_options_default(&o);
        o.write_data = 0;
        o.format = FIG_PDF;
        o.width_in = k ? 3.3 : 0;
        o.height_in = k ? 2.6 : 0;
        char path[1024], name[128];
        snprintf(name, sizeof name, "%s-%s.pdf", fig, k ? "small" : "default");
        snprintf(path, sizeof path, "%s", tpath(name, NULL));
        CHECK(figure_export(&r, task < 0 ? NULL : &td, fig, task, &o, path) == 0);
        check(path, k, arg);
    }
    if (task >= 0) run_task_data_free(&td);
    run_record_free(&r);
}

static void projection_labels(const char *path, int one_col, const void *arg) {
    (void)arg;
    char cmd[1200], text[8192], *q = text;
    snprintf(cmd, sizeof cmd, "pdftotext -raw '%s' - 2>&1", path);
    FILE *f = popen(cmd, "r");
    size_t got = f ? fread(text, 1, sizeof text - 1, f) : 0;
    if (f) pclose(f);
    for (size_t i = 0; i < got; i++) /* rotated words come a line each: no blanks */
        if (text[i] != ' ' && text[i] != '\n') *q++ = text[i];
    *q = 0;
    if (one_col) {
        CHECK_MSG(strstr(text, "PC2(17.1%)") && strstr(text, "PC1(23.9%)") &&
                  !strstr(text, "ofvariance"), "3.3 x 2.6 in: %s", text);
    } else {
        CHECK_MSG(strstr(text, "Principalcomponent2(17.1%ofvariance)") &&
                  strstr(text, "Principalcomponent1(23.9%ofvariance)") && !strstr(text, "PC2"),
                  "default size: %s", text);
    }
}

/* The one-column projection names its axes "PC 1 (x%)" and "PC 2 (y%)": the full "Principal
 * component 2 (17.1% of variance)" did not fit beside a plot 1.3 in tall even at 60% type and
 * ran over the title; the default size keeps the full words */
TEST(figure_one_column_projection_labels_fit) {
    both_sizes("projection", 9, projection_labels, NULL);
}

/* ARG: two words, of the x label and of the legend. The legend lies under the x label at one
 * column, above it at the default size. */
static void legend_below(const char *path, int one_col, const void *arg) {
    const char *const *w = arg;
    double t0 = 0, t1 = 0, l0 = 0, l1 = 0;
    CHECK(pdf_word_y(path, w[0], &t0, &t1) == 0);
    CHECK(pdf_word_y(path, w[1], &l0, &l1) == 0);
    if (one_col)
        CHECK_MSG(l0 > t1, "%s: legend at y %g..%g, x label at %g..%g", path, l0, l1, t0, t1);
    else
        CHECK_MSG(l1 < t0, "%s: legend at y %g..%g, x label at %g..%g", path, l0, l1, t0, t1);
}

/* At one column the accuracy curve's legend goes below the plot, under the x label: inside it
 * took 60% of the plot's width and hid the running average's points in every corner; at the
 * default size it stays inside, above the x axis */
TEST(figure_one_column_accuracy_curve_legend_below) {
    static const char *const words[2] = {"Task", "Old"}; /* "Old classes" */
    both_sizes("accuracy-curve", -1, legend_below, words);
}

/* At one column each anchor-loss panel's legend goes below it (inside it covered the band in
 * every corner), under the x label; at the default size it stays inside, above it */
TEST(figure_one_column_anchor_losses_legend_below) {
    static const char *const words[2] = {"step", "Mean"}; /* "PGD step", "Mean over .." */
    both_sizes("anchor-losses", 9, legend_below, words);
}

static void titles_match(const char *path, int one_col, const void *arg) {
    (void)arg;
    double a0 = 0, a1 = 0, b0 = 0, b1 = 0;
    CHECK(pdf_word_y(path, "Text", &a0, &a1) == 0);
    CHECK(pdf_word_y(path, "Visual-prototype", &b0, &b1) == 0);
    CHECK_MSG(fabs((a1 - a0) - (b1 - b0)) < 0.05 && fabs(a0 - b0) < 0.05,
              "%s: 'Text' %g..%g, 'Visual-prototype' %g..%g", one_col ? "3.3 x 2.6 in" : "default",
              a0, a1, b0, b1);
}

/* The two anchor-loss panels' titles share one type size: fitted each to its half, a
 * one-column figure set "Text objective" at 10 pt beside "Visual-prototype objective" at 7 */
TEST(figure_anchor_losses_panel_titles_match) {
    both_sizes("anchor-losses", 9, titles_match, NULL);
}

static void interface_named(const char *path, int one_col, const void *arg) {
    (void)arg;
    /* "(m" is the long name's alone (the title says "interface" too, the x label "(max") */
    double y0 = 0, y1 = 0;
    int long_name = pdf_word_y(path, "(m", &y0, &y1) == 0;
    CHECK_MSG(long_name == !one_col, "%s: 'interface (m = 0)' %s", path,
              long_name ? "drawn" : "missing");
    CHECK_MSG(pdf_word_y(path, "=", &y0, &y1) == 0, "%s: no '='", path);
}

/* The drift figure names the interface line "interface (m = 0)" where that crosses no curve
 * (the default size), and "m = 0" where it would: at one column the long name ran over the
 * old-class curve of the shipped run's task 10 */
TEST(figure_drift_interface_label_off_the_curves) {
    both_sizes("drift-interface", 9, interface_named, NULL);
}

/* ---- the strings a figure draws, as drawn ---- */

/* The text log holds each string's ink box where it landed on the page: rotated text stands
 * upright in it, a scaled context (a figure below one column) scales it, and a detached log
 * takes no more */
TEST(figure_text_log_boxes_as_drawn) {
    fig_canvas cv;
    CHECK(fig_canvas_begin(&cv, FIG_PDF, 3, 2, 72) == 0);
    if (!cv.cr) return;
    fig_text_log log = {0};
    fig_text_log_attach(cv.cr, &log);
    cairo_set_source_rgb(cv.cr, 0, 0, 0);
    fig_font(cv.cr, 10, 0);
    /* "HH": no ascender or descender, so its ink is the capitals: 0.73 em tall from the
     * anchor's top (AY 0) down to the baseline */
    fig_text(cv.cr, 50, 40, 0, 0, 0, "HH");
    fig_text(cv.cr, 120, 80, 0.5, 0.5, -M_PI / 2, "HH");
    cairo_save(cv.cr);
    cairo_scale(cv.cr, 0.5, 0.5);
    fig_text(cv.cr, 50, 40, 0, 0, 0, "HH");
    cairo_restore(cv.cr);
    fig_text(cv.cr, 10, 10, 0, 0, 0, " "); /* no ink, no box */
    fig_text_log_attach(cv.cr, NULL);
    fig_text(cv.cr, 10, 10, 0, 0, 0, "HH");
    CHECK_EQ_INT(log.n, 3);
    if (log.n == 3) {
        const fig_text_box *a = &log.box[0], *r = &log.box[1], *s = &log.box[2];
        CHECK(!strcmp(a->text, "HH"));
        CHECK_NEAR(a->y0, 40, 0.05);
        CHECK_NEAR(a->y1, 47.3, 0.05);
        double w = a->x1 - a->x0, ht = a->y1 - a->y0;
        CHECK(a->x0 > 50 && a->x0 < 51.5 && w > 12 && w < 15);
        /* turned a quarter: as tall as the upright one is wide, centred on the anchor */
        CHECK_NEAR(r->x1 - r->x0, ht, 0.01);
        CHECK_NEAR(r->y1 - r->y0, w, 0.01);
        CHECK_NEAR((r->x0 + r->x1) / 2, 120, 0.05);
        CHECK_NEAR((r->y0 + r->y1) / 2, 80, 0.5);
        CHECK_NEAR(s->x0, a->x0 / 2, 0.01);
        CHECK_NEAR(s->y1, a->y1 / 2, 0.01);
        CHECK_NEAR(s->x1 - s->x0, w / 2, 0.01);
    }
    fig_text_log_free(&log);
    CHECK(log.n == 0 && !log.box);
    fig_canvas_discard(&cv);
}

/* ---- every figure's edges and text, as drawn ---- */

#define TEACHER RUN_STATE_TEACHER
static const fig_variant variants[] = {
    {"simmat-text", TEACHER, 0, 0},
    {"simmat-cross", TEACHER, 0, 0},
    {"simmat-proto", TEACHER, 0, 0},
    {"simmat-diff", TEACHER, FIG_MATRIX_TEXT, 0},
    {"simmat-diff", TEACHER, FIG_MATRIX_CROSS, 0},
    {"simmat-diff", RUN_STATE_PRE, FIG_MATRIX_TEXT, 0},
    {"simmat-diff", RUN_STATE_PRE, FIG_MATRIX_PROTO, 0},
    {"projection", TEACHER, 0, FIG_SPACE_PCA},
    {"projection", TEACHER, 0, FIG_SPACE_TSNE},
    {"accuracy-matrix", TEACHER, 0, 0},
    {"accuracy-curve", TEACHER, 0, 0},
    {"drift-interface", TEACHER, 0, 0},
    {"anchor-losses", TEACHER, 0, 0},
};
#define N_VARIANTS (int)(sizeof variants / sizeof variants[0])

void variant_options(const fig_variant *v, int one_col, figure_options *o) {
    figure_options_default(o);
    o->write_data = 0;
    o->against = v->against;
    o->matrix = v->matrix;
    o->space = v->space;
    o->width_in = one_col ? 3.3 : 0;
    o->height_in = one_col ? 2.6 : 0;
}

const char *case_name(const fig_variant *v, int task, int one_col) {
    static char buf[4][160];
    static int k;
    char *b = buf[k++ % 4], variant[48] = "";
    if (!strcmp(v->fig, "simmat-diff"))
        snprintf(variant, sizeof variant, "-%s-%s",
                 v->against == RUN_STATE_PRE ? "pretrained" : "teacher",
                 v->matrix == FIG_MATRIX_CROSS   ? "cross"
                 : v->matrix == FIG_MATRIX_PROTO ? "proto"
                                                 : "text");
    else if (!strcmp(v->fig, "projection"))
        snprintf(variant, sizeof variant, "-%s", v->space == FIG_SPACE_TSNE ? "tsne" : "pca");
    char when[32] = "the run";
    if (figure_find(v->fig)->per_task) snprintf(when, sizeof when, "task %d", task + 1);
    snprintf(b, 160, "%s%s, %s, %s", v->fig, variant, when,
             one_col ? "3.3 x 2.6 in" : "default size");
    return b;
}

void every_figure(const char *const *prefixes, int n, layout_check check) {
    run_record r;
    CHECK(run_record_open(RUN, &r) == 0);
    if (!r.dir) return;
    const int tasks[3] = {0, r.tasks_done / 2 - 1, r.tasks_done - 1};
    for (int t = 0; t < 3; t++) {
        run_task_data td;
        CHECK(run_task_load(&r, tasks[t], &td) == 0);
        for (int i = 0; i < N_VARIANTS; i++) {
            const fig_variant *v = &variants[i];
            int wanted = 0;
            for (int k = 0; k < n; k++)
                wanted |= !strncmp(v->fig, prefixes[k], strlen(prefixes[k]));
            const figure_info *info = figure_find(v->fig);
            if (!wanted || (!info->per_task && t > 0)) continue;
            for (int one_col = 0; one_col < 2; one_col++) {
                figure_options o;
                variant_options(v, one_col, &o);
                if (info->per_task && figure_check(&r, &td, v->fig, tasks[t], &o) != 0)
                    continue; /* task 1 has no teacher, drift or anchors */
                check(&r, &td, v, tasks[t], one_col);
            }
        }
        run_task_data_free(&td);
    }
    run_record_free(&r);
}

void text_layout(const run_record *r, const run_task_data *td, const fig_variant *v, int task,
                 int one_col, fig_text_log *log, double *w, double *h) {
    figure_options o;
    variant_options(v, one_col, &o);
    CHECK(figure_text_layout(r, td, v->fig, task, &o, log, w, h) == 0);
}

/* The figure's PNG at 200 dpi: no pixel within EDGE_PT of an edge darker than the white
 * background by more than 24 levels in any channel; and the ink box of every string EDGE_PT
 * inside the page. */
void clear_of_edges(const run_record *r, const run_task_data *td, const fig_variant *v, int task,
                    int one_col) {
    figure_options o;
    variant_options(v, one_col, &o);
    o.dpi = 200;
    const char *path = tpath("margin-%s.png", v->fig);
    CHECK(figure_export(r, td, v->fig, task, &o, path) == 0);
    png_read p;
    if (png_load(path, &p) == 0) {
        const int b = (int)(EDGE_PT * o.dpi / 72); /* the whole pixels within the margin */
        int x0 = p.w, x1 = -1, y0 = p.h, y1 = -1;
        for (int y = 0; y < p.h; y++)
            for (int x = 0; x < p.w; x++)
                if (!near_rgb(png_px(&p, x, y), 0xffffff, 24)) {
                    x0 = x < x0 ? x : x0;
                    x1 = x > x1 ? x : x1;
                    y0 = y < y0 ? y : y0;
                    y1 = y > y1 ? y : y1;
                }
        const double k = 72 / o.dpi;
        CHECK_MSG(x0 >= b && y0 >= b && x1 < p.w - b && y1 < p.h - b,
                  "%s: ink %.2f pt from the left edge, %.2f from the right, %.2f from the top, "
                  "%.2f from the bottom (%g at least)", case_name(v, task, one_col), x0 * k,
                  (p.w - 1 - x1) * k, y0 * k, (p.h - 1 - y1) * k, EDGE_PT);
        png_read_free(&p);
    }
    fig_text_log log = {0};
    double w = 0, h = 0;
    CHECK(figure_text_layout(r, td, v->fig, task, &o, &log, &w, &h) == 0);
    CHECK(log.n > 0);
    for (int i = 0; i < log.n; i++) {
        const fig_text_box *a = &log.box[i];
        double m = fmin(fmin(a->x0, a->y0), fmin(w - a->x1, h - a->y1));
        CHECK_MSG(m >= EDGE_PT, "%s: '%s' %.2f pt from the edge (%g at least)",
                  case_name(v, task, one_col), a->text, m, EDGE_PT);
    }
    fig_text_log_free(&log);
}

/* The heatmaps keep a 3 pt margin at their default sizes and at one column: their y and x
 * labels came within 0-1 pt of the left and bottom edges, where the drawing put them further
 * out than the layout had kept room for (the task names' column, the gaps below the matrix,
 * class labels measured at one font size and drawn at another) */
TEST(figure_heatmaps_keep_a_margin) {
    static const char *const figs[] = {"simmat-", "accuracy-matrix"};
    every_figure(figs, 2, clear_of_edges);
}

/* The ink boxes of the strings the figure draws: none over another. */
void text_apart(const run_record *r, const run_task_data *td, const fig_variant *v, int task,
                int one_col) {
    fig_text_log log = {0};
    double w = 0, h = 0;
    text_layout(r, td, v, task, one_col, &log, &w, &h);
    CHECK(log.n > 0);
    for (int i = 0; i < log.n; i++)
        for (int j = 0; j < i; j++) {
            const fig_text_box *a = &log.box[i], *b = &log.box[j];
            double ox = fmin(a->x1, b->x1) - fmax(a->x0, b->x0);
            double oy = fmin(a->y1, b->y1) - fmax(a->y0, b->y0);
            CHECK_MSG(ox <= 0 || oy <= 0, "%s: '%s' over '%s' (%.2f x %.2f pt)",
                      case_name(v, task, one_col), a->text, b->text, ox, oy);
        }
    fig_text_log_free(&log);
}

/* No two strings of a heatmap over each other: at one column simmat-diff's colour-bar label
 * ("Δ cosine similarity (student − pretrained)"), longer than the bar, ran up into the title's
 * row, over the title's end, and to 4 pt of the top right corner */
TEST(figure_heatmap_text_apart) {
    static const char *const figs[] = {"simmat-", "accuracy-matrix"};
    every_figure(figs, 2, text_apart);
}

/* The plots keep a 3 pt margin at their default sizes and at one column: the y labels'
 * ascenders came within 1.7 pt of the left edge, the x labels' descenders and the legends
 * below the plot within 2-2.8 pt of the bottom, the last x tick's value and the right
 * anchor-loss panel's title within 2-2.5 pt of the right edge */
TEST(figure_plots_keep_a_margin) {
    static const char *const figs[] = {"projection", "drift-interface", "anchor-losses"};
    every_figure(figs, 3, clear_of_edges);
}

/* No two strings of a plot over each other: at one column the drift figure's "m = 0" (task 5)
 * ran along the interface line under the legend's words, which its placement did not know */
TEST(figure_plot_text_apart) {
    static const char *const figs[] = {"projection", "accuracy-curve", "drift-interface",
                                       "anchor-losses"};
    every_figure(figs, 4, text_apart);
}

/* No data marker's ink under a legend's frame: the log's marker boxes (within the plot's
 * clip) against its legend frames, in points. */
static void legend_off_points(const run_record *r, const run_task_data *td, const fig_variant *v,
                              int task, int one_col) {
    fig_text_log log = {0};
    double w = 0, h = 0;
    text_layout(r, td, v, task, one_col, &log, &w, &h);
    CHECK_MSG(log.n_legend >= 1 && log.n_mark >= 1, "%s: %d legends, %d markers",
              case_name(v, task, one_col), log.n_legend, log.n_mark);
    for (int l = 0; l < log.n_legend; l++) {
        const fig_box *g = &log.legend[l];
        int hidden = 0;
        const fig_box *first = NULL;
        for (int i = 0; i < log.n_mark; i++) {
            const fig_box *m = &log.mark[i];
            if (fmin(g->x1, m->x1) > fmax(g->x0, m->x0) &&
                fmin(g->y1, m->y1) > fmax(g->y0, m->y0)) {
                hidden++;
                if (!first) first = m;
            }
        }
        CHECK_MSG(hidden == 0, "%s: the legend (%.1f, %.1f)-(%.1f, %.1f) pt covers %d of %d "
                  "markers, the first at (%.1f, %.1f)-(%.1f, %.1f)", case_name(v, task, one_col),
                  g->x0, g->y0, g->x1, g->y1, hidden, log.n_mark, first ? first->x0 : 0,
                  first ? first->y0 : 0, first ? first->x1 : 0, first ? first->y1 : 0);
    }
    fig_text_log_free(&log);
}

/* The drift figure's legend covers none of its points, at every task of the shipped run, at
 * the default size and at one column: at one column every corner of the plot held points
 * (task 5: the legend over the old-class peak of 3.4e-3 and the new-task point of 4.4e-3),
 * and the corner hiding the fewest still hid some; now the y axis grows at the top to give the
 * legend a corner of its own. And the accuracy curve's and the anchor losses' legends, which
 * a corner always held, still do. */
TEST(figure_legends_cover_no_points) {
    run_record r;
    CHECK(run_record_open(RUN, &r) == 0);
    if (!r.dir) return;
    static const fig_variant drift = {"drift-interface", TEACHER, 0, 0};
    for (int t = 1; t < r.tasks_done; t++) {
        run_task_data td;
        CHECK(run_task_load(&r, t, &td) == 0);
        for (int one_col = 0; one_col < 2; one_col++)
            legend_off_points(&r, &td, &drift, t, one_col);
        run_task_data_free(&td);
    }
    run_record_free(&r);
    static const char *const figs[] = {"accuracy-curve", "anchor-losses"};
    every_figure(figs, 2, legend_off_points);
}

/* The room fig_legend_headroom makes: points in every corner of a plot (a peak at each end
 * and the middle, a floor), the top of the y range raised until a top corner's legend clears
 * them all by fig_legend's own count, and the legend drawn there hides none of them */
TEST(figure_legend_headroom_clears_a_corner) {
    fig_canvas cv;
    CHECK(fig_canvas_begin(&cv, FIG_PDF, 3.3, 1.8, 72) == 0);
    if (!cv.cr) return;
    fig_mark_style ms = {FIG_M_CIRCLE, 5, {0, 0, 0}, 1, 0, 0};
    fig_legend_item it[2] = {{"Old-class test images", {0, 0, 0}, 1, 0, 0, ms, NULL},
                             {"New-task test images", {1, 0, 0}, 1, 1, 0, ms, NULL}};
    double x[21], y[21];
    for (int i = 0; i < 21; i++) {
        x[i] = i;
        y[i] = i == 0 || i == 10 || i == 20 ? 4.0 : 0.1;
    }
    /* room for the y tick values kept, as the drift figure keeps it */
    fig_font(cv.cr, FIG_FS_TICK, 0);
    fig_axes a = {.x0 = -0.5, .x1 = 20.5, .y0 = 0, .y1 = 4.2,
                  .tick_w_min = fig_text_width(cv.cr, "00000")};
    fig_axes_layout(cv.cr, &a, 0, 0, cv.w_pt, cv.h_pt);
    const double ph = a.ph, pw = a.pw;
    double y1 = fig_legend_headroom(cv.cr, &a, it, 2, x, y, 21);
    CHECK_MSG(y1 > 4.2 * 1.2, "every corner hides a point, yet y1 %.3f", y1);
    a.y1 = y1;
    fig_axes_layout(cv.cr, &a, 0, 0, cv.w_pt, cv.h_pt);
    CHECK_NEAR(a.ph, ph, 1e-9); /* the rectangle holds: the y range moves nothing else */
    CHECK_NEAR(a.pw, pw, 1e-9);
    CHECK_NEAR(fig_legend_headroom(cv.cr, &a, it, 2, x, y, 21), y1, 1e-12);
    double px[21], py[21], box[4];
    for (int i = 0; i < 21; i++) {
        px[i] = fig_ax_x(&a, x[i]);
        py[i] = fig_ax_y(&a, y[i]);
    }
    fig_legend(cv.cr, &a, it, 2, px, py, 21, box);
    CHECK(box[2] > 0 && box[3] > 0);
    CHECK_NEAR(box[1], a.py + 5, 1e-9); /* a top corner */
    for (int i = 0; i < 21; i++) /* a marker (2.5 pt) clear of the box */
        CHECK_MSG(px[i] + 2.5 < box[0] || px[i] - 2.5 > box[0] + box[2] ||
                      py[i] - 2.5 > box[1] + box[3],
                  "point %d at (%.1f, %.1f) under the legend (%.1f, %.1f) %.1f x %.1f", i,
                  px[i], py[i], box[0], box[1], box[2], box[3]);
    /* a corner already clear (the right one, without the peaks in the middle and at the
     * end): the range stays */
    y[10] = y[20] = 0.1;
    a.y1 = 4.2;
    fig_axes_layout(cv.cr, &a, 0, 0, cv.w_pt, cv.h_pt);
    CHECK_NEAR(fig_legend_headroom(cv.cr, &a, it, 2, x, y, 21), 4.2, 0);
    fig_canvas_discard(&cv);
}

/* The anchor-loss panels' y labels: the strings starting "Cross-entropy" and "1 \u2212 cos";
 * their widths across the text (rotated: along x) agree within 1 pt, so both are at one size */
static void y_labels_match(const run_record *r, const run_task_data *td, const fig_variant *v,
                           int task, int one_col) {
    fig_text_log log = {0};
    double w = 0, h = 0;
    text_layout(r, td, v, task, one_col, &log, &w, &h);
    const fig_text_box *a = NULL, *b = NULL;
    for (int i = 0; i < log.n; i++) {
        if (!strncmp(log.box[i].text, "Cross-entropy", 13)) a = &log.box[i];
        if (!strncmp(log.box[i].text, "1 \u2212 cos", strlen("1 \u2212 cos"))) b = &log.box[i];
    }
    CHECK_MSG(a && b, "%s: a y label is missing", case_name(v, task, one_col));
    if (a && b)
        CHECK_MSG(fabs((a->x1 - a->x0) - (b->x1 - b->x0)) < 1.0,
                  "%s: '%s' %.2f pt across, '%s' %.2f pt", case_name(v, task, one_col), a->text,
                  a->x1 - a->x0, b->text, b->x1 - b->x0);
    fig_text_log_free(&log);
}

/* Both anchor-loss panels' y labels at one type size: at one column the left one, the longer,
 * shrank to 6 pt beside the right one's 9; where either needs smaller type both take their
 * short forms ("Cross-entropy", "1 - cos(f, mu)") */
TEST(figure_anchor_losses_y_labels_match) {
    static const char *const figs[] = {"anchor-losses"};
    every_figure(figs, 1, y_labels_match);
}
