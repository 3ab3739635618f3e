/* test_views_content.c: what the drift, geometry and projection views show of the
 * shipped run (sample_runs/default-run), drawn into text canvases: titles and numbers of the
 * run directory's files, and the keys of each (zoom, filter, toggles, cursors, rankings).
 * The anchors view: test_view_anchors.c; what the views do alike: test_views.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/common.h"
#include "metrics/analytics.h"
#include "run/run_record.h"
#include "test.h"
#include "view_render.h"
#include "views/canvas.h"
#include "views/view.h"

#define RUN "sample_runs/default-run"

/* The most drifting old class of the task, from the per-image arrays. */
/* The old class (whose name holds SUBSTR, NULL: any) of the most mean drift, or with LEAST of
 * the least. */
static int drift_class_at_end(const run_task_data *td, const char *substr, const run_record *r,
                              int least) {
    int best = -1;
    double best_v = 0;
    for (int p = 0; p < td->n_old; p++) {
        if (substr && !strstr(run_class_name(r, td->labels[p]), substr)) continue;
        double sum = 0;
        int n = 0;
        for (int i = 0; i < td->n_drift; i++)
            if (td->drift_class[i] == p) sum += td->drift[i], n++;
        if (n && (best < 0 || (least ? sum / n < best_v : sum / n > best_v)))
            best_v = sum / n, best = p;
    }
    return best;
}

static int top_drift_class(const run_task_data *td, const char *substr, const run_record *r) {
    return drift_class_at_end(td, substr, r, 0);
}

TEST(views_drift_task5) {
    view_fixture f;
    if (!view_fixture_open(&f, 4)) return;
    analytics_summary sum;
    CHECK(analytics_read_summary(RUN "/tasks/05", &sum) == 0);
    CHECK_NEAR(sum.boundary_core_ratio, 2.5979, 1e-4);
    char want[96];
    snprintf(want, sizeof want, "boundary/core ratio %.2f", sum.boundary_core_ratio);
    view *v = view_drift_new();
    int top = top_drift_class(&f.td, NULL, &f.rec);
    CHECK(top >= 0);
    const char *top_name = run_class_name(&f.rec, f.td.labels[top]);
    char first_top[96];
    snprintf(first_top, sizeof first_top, " 1 %.10s", top_name);
    for (int cs = 0; cs < 3; cs += 2) {
        char *t = view_render(v, &f.s, 120, 40, (charset)cs, COLORS_NONE);
        CHECK(text_has(t, "Drift"));
        CHECK(text_has(t, want));
        CHECK(text_has(t, "boundary/core ratio 2.60"));
        CHECK(text_has(t, "mean drift per interface-distance bin"));
        CHECK(text_has(t, "old-class images"));
        CHECK(text_has(t, "new-task images"));
        CHECK(text_has(t, "old classes drifting most"));
        char first[96];
        snprintf(first, sizeof first, " 1 %.10s", top_name);
        CHECK(text_has(t, first));
        /* names whole where the row has room (cut to 12 cells, "green cresce", beside a bar of
         * 21) */
        int whole = 0;
        for (int k = 0; k < f.td.n_seen; k++) {
            const char *name = run_class_name(&f.rec, f.td.labels[k]);
            char prefix[16];
            snprintf(prefix, sizeof prefix, "%.12s", name);
            if (strlen(name) <= 12 || !text_has(t, prefix)) continue;
            CHECK_MSG(text_has(t, name), "'%s' cut at 120 columns", name);
            whole++;
        }
        CHECK(whole > 0);
        free(t);
    }
    /* the filter hides classes; s puts the least drift first, and s again the most */
    snprintf(f.s.filter, sizeof f.s.filter, "square");
    char *t = view_render(v, &f.s, 120, 40, CHARSET_ASCII, COLORS_NONE);
    int topsq = top_drift_class(&f.td, "square", &f.rec);
    int lastsq = drift_class_at_end(&f.td, "square", &f.rec, 1);
    CHECK(topsq >= 0 && lastsq >= 0 && topsq != lastsq);
    char first[96], least[96];
    snprintf(first, sizeof first, " 1 %.10s", run_class_name(&f.rec, f.td.labels[topsq]));
    snprintf(least, sizeof least, " 1 %.10s", run_class_name(&f.rec, f.td.labels[lastsq]));
    CHECK(text_has(t, first));
    CHECK(text_lacks(t, "hexagon"));
    CHECK(text_lacks(t, "triangle"));
    free(t);
    CHECK_EQ_INT(v->key(v, 's', &f.s), VIEW_REDRAW);
    t = view_render(v, &f.s, 120, 40, CHARSET_ASCII, COLORS_NONE);
    CHECK_MSG(text_has(t, least) && text_lacks(t, first), "s: '%s' not first", least);
    free(t);
    CHECK_EQ_INT(v->key(v, 's', &f.s), VIEW_REDRAW);
    t = view_render(v, &f.s, 120, 40, CHARSET_ASCII, COLORS_NONE);
    CHECK(text_has(t, first));
    free(t);
    f.s.filter[0] = 0;
    /* the wheel scrolls the ranking */
    CHECK_EQ_INT(v->mouse(v, WM_WHEEL_DOWN, 100, 20, &f.s), VIEW_REDRAW);
    t = view_render(v, &f.s, 120, 40, CHARSET_ASCII, COLORS_NONE);
    CHECK(text_lacks(t, first_top));
    CHECK(text_has(t, " 2 "));
    free(t);
    CHECK_EQ_INT(v->mouse(v, WM_WHEEL_UP, 100, 20, &f.s), VIEW_REDRAW);
    t = view_render(v, &f.s, 120, 40, CHARSET_ASCII, COLORS_NONE);
    CHECK(text_has(t, first_top));
    free(t);
    view_press(v, &f.s, "o");
    t = view_render(v, &f.s, 120, 40, CHARSET_ASCII, COLORS_NONE);
    CHECK(text_has(t, "new classes drifting most"));
    free(t);
    view_press(v, &f.s, "oos");
    t = view_render(v, &f.s, 120, 40, CHARSET_ASCII, COLORS_NONE);
    CHECK(text_has(t, "old classes drifting least"));
    free(t);
    view_press(v, &f.s, "s");
    /* v: the bins and the ranking as tables, with the counts of drift.safetensors */
    view_press(v, &f.s, "v");
    t = view_render(v, &f.s, 120, 40, CHARSET_ASCII, COLORS_NONE);
    CHECK(text_has(t, "mean old"));
    snprintf(want, sizeof want, "%.2f %7.2f", f.td.edges[0], f.td.edges[1]);
    CHECK(text_has(t, want));
    snprintf(want, sizeof want, "%.3e", f.td.mean_new[0]);
    CHECK(text_has(t, want));
    CHECK(text_has(t, top_name));
    free(t);
    v->free(v);
    view_fixture_close(&f);
}

/* Panel titles read "┌ title ─" in every view, as the overview's do: no double spaces */
TEST(views_panel_titles_like_the_overviews) {
    view_fixture f;
    if (!view_fixture_open(&f, 4)) return;
    view *vs[2] = {view_anchors_new(), view_drift_new()};
    for (int i = 0; i < 2; i++) {
        char *t = view_render(vs[i], &f.s, 100, 30, CHARSET_UNICODE, COLORS_NONE);
        CHECK(text_lacks(t, "┌  "));
        CHECK(text_lacks(t, "  ─"));
        if (i == 0) {
            CHECK(text_has(t, "┌ loss_text (CE) ─"));
            CHECK(text_has(t, "┌ anchors per old class ─"));
        } else {
            CHECK(text_has(t, "┌ mean drift per interface-distance bin ─"));
            CHECK(text_has(t, "┌ old-class images per bin ──┐"));
        }
        free(t);
        vs[i]->free(vs[i]);
    }
    view_fixture_close(&f);
}

/* At 80 columns (an 80x24 terminal: the views' 80x22) panel titles were cut mid-word:
 * "accuracy after each task (%" in the overview, "old-class images pe" in the drift view.
 * A title that does not fit ends at a word, with an ellipsis. */
TEST(views_panel_titles_end_at_a_word_at_80_columns) {
    view_fixture f;
    if (!view_fixture_open(&f, 9)) return;
    view *ov = view_overview_new(), *dr = view_drift_new();
    char *t = view_render(ov, &f.s, 80, 22, CHARSET_UNICODE, COLORS_256);
    CHECK(text_has(t, "┐┌ accuracy after each task… ───┐\n"));
    CHECK(text_lacks(t, "(% ─"));
    free(t);
    t = view_render(ov, &f.s, 80, 22, CHARSET_ASCII, COLORS_NONE);
    CHECK(text_has(t, "++ accuracy after each task... -+\n"));
    free(t);
    t = view_render(dr, &f.s, 80, 30, CHARSET_UNICODE, COLORS_256);
    CHECK(text_has(t, "┌ old-class images… ───┐┌ new-task images… ────┐"));
    CHECK(text_lacks(t, "images pe"));
    free(t);
    ov->free(ov);
    dr->free(dr);
    view_fixture_close(&f);
}

/* All 100 classes of task 10 ranked: rank 100 keeps its name in the column of the others */
TEST(views_drift_ranks_of_100_classes) {
    view_fixture f;
    if (!view_fixture_open(&f, 9)) return;
    view *v = view_drift_new();
    view_press(v, &f.s, "oo"); /* old -> new -> all classes */
    free(view_render(v, &f.s, 120, 40, CHARSET_ASCII, COLORS_NONE));
    view_press(v, &f.s, "G"); /* the bottom of the ranking */
    char *t = view_render(v, &f.s, 120, 40, CHARSET_ASCII, COLORS_NONE);
    CHECK(text_has(t, "all classes drifting most"));
    const char *r99 = strstr(t, "| 99 "), *r100 = strstr(t, "|100 ");
    CHECK_MSG(r99 && r100, "%s", t);
    if (r99 && r100) {
        /* the bars start in the same column: the names are cut alike */
        const char *b99 = strchr(r99, '#'), *b100 = strchr(r100, '#');
        CHECK(b99 && b100 && b99 - r99 == b100 - r100);
    }
    free(t);
    v->free(v);
    view_fixture_close(&f);
}

/* The value of tt.student at (I, J) as the cursor line prints it. */
static void cursor_text(char *buf, size_t n, const run_task_data *td, int i, int j) {
    snprintf(buf, n, "[%d,%d] %+.3f", i + 1, j + 1, td->tt[RUN_STATE_STUDENT][i * td->n_seen + j]);
}

TEST(views_geometry_task5) {
    view_fixture f;
    if (!view_fixture_open(&f, 4)) return;
    const run_task_data *td = &f.td;
    view *v = view_geometry_new();
    char want[96];
    for (int cs = 0; cs < 3; cs += 2) {
        char *t = view_render(v, &f.s, 120, 40, (charset)cs, COLORS_NONE);
        CHECK(text_has(t, "Geometry"));
        CHECK(text_has(t, "text x text | student | 50 of 50 classes"));
        CHECK(text_has(t, run_class_name(&f.rec, td->labels[0])));
        cursor_text(want, sizeof want, td, 0, 0);
        CHECK(text_has(t, want));
        /* the analytics' comparison of the states */
        snprintf(want, sizeof want, "CKA %.4f", td->summary.tt_teacher.cka);
        CHECK(text_has(t, want));
        free(t);
    }
    /* the cursor moves with l and j, and the view names both classes */
    view_press(v, &f.s, "lj");
    char *t = view_render(v, &f.s, 120, 40, CHARSET_ASCII, COLORS_NONE);
    cursor_text(want, sizeof want, td, 1, 1);
    CHECK(text_has(t, want));
    view_press(v, &f.s, "l");
    free(t);
    t = view_render(v, &f.s, 120, 40, CHARSET_ASCII, COLORS_NONE);
    snprintf(want, sizeof want, "%s x %s", run_class_name(&f.rec, td->labels[1]),
             run_class_name(&f.rec, td->labels[2]));
    CHECK(text_has(t, want));
    free(t);
    /* zoom: wider cells show fewer columns */
    t = view_render(v, &f.s, 120, 40, CHARSET_ASCII, COLORS_NONE);
    CHECK(text_has(t, "zoom 2"));
    CHECK(text_has(render_line(t, 3), " 31 "));
    free(t);
    view_press(v, &f.s, "++");
    t = view_render(v, &f.s, 120, 40, CHARSET_ASCII, COLORS_NONE);
    CHECK(text_has(t, "zoom 4"));
    CHECK(text_lacks(render_line(t, 3), " 31 "));
    free(t);
    view_press(v, &f.s, "---");
    t = view_render(v, &f.s, 120, 40, CHARSET_ASCII, COLORS_NONE);
    CHECK(text_has(t, "zoom 1"));
    CHECK(text_has(render_line(t, 3), " 49 "));
    free(t);
    /* scrolling: the cursor to the last row brings the last class in */
    CHECK_EQ_INT(v->key(v, WK_END, &f.s), VIEW_REDRAW);
    t = view_render(v, &f.s, 120, 40, CHARSET_ASCII, COLORS_NONE);
    CHECK(text_has(t, run_class_name(&f.rec, td->labels[49])));
    cursor_text(want, sizeof want, td, 49, 49);
    CHECK(text_has(t, want));
    free(t);
    CHECK_EQ_INT(v->key(v, WK_HOME, &f.s), VIEW_REDRAW);
    /* a click on a cell moves the cursor there (row of the line clicked) */
    t = view_render(v, &f.s, 120, 40, CHARSET_ASCII, COLORS_NONE);
    char *line5 = strstr(t, "\n  5 ");
    CHECK(line5 != NULL);
    if (line5) {
        int y = 0;
        for (char *q = t; q <= line5; q++) y += *q == '\n';
        CHECK_EQ_INT(v->mouse(v, WM_CLICK, 60, y, &f.s), VIEW_REDRAW);
        free(t);
        t = view_render(v, &f.s, 120, 40, CHARSET_ASCII, COLORS_NONE);
        CHECK(text_has(t, "[5,"));
    }
    free(t);
    CHECK_EQ_INT(v->mouse(v, WM_WHEEL_DOWN, 60, 10, &f.s), VIEW_REDRAW);
    t = view_render(v, &f.s, 120, 40, CHARSET_ASCII, COLORS_NONE);
    CHECK(text_has(t, "[8,"));
    free(t);
    CHECK_EQ_INT(v->mouse(v, WM_CLICK, 0, 0, &f.s), VIEW_IGNORED);
    /* two matrix rows per text line (half blocks): a second click picks the lower row */
    CHECK_EQ_INT(v->key(v, WK_HOME, &f.s), VIEW_REDRAW);
    t = view_render(v, &f.s, 120, 40, CHARSET_UNICODE, COLORS_256);
    line5 = strstr(t, "\n  5 ");
    CHECK(line5 != NULL);
    if (line5) {
        int y = 0;
        for (char *q = t; q <= line5; q++) y += *q == '\n';
        CHECK_EQ_INT(v->mouse(v, WM_CLICK, 30, y, &f.s), VIEW_REDRAW);
        free(t);
        t = view_render(v, &f.s, 120, 40, CHARSET_UNICODE, COLORS_256);
        CHECK(text_has(t, "[5,"));
        CHECK_EQ_INT(v->mouse(v, WM_CLICK, 30, y, &f.s), VIEW_REDRAW);
        free(t);
        t = view_render(v, &f.s, 120, 40, CHARSET_UNICODE, COLORS_256);
        CHECK(text_has(t, "[6,"));
    }
    free(t);
    /* m: the kinds; s: the states, differences with a symmetric colour bar */
    view_press(v, &f.s, "m");
    t = view_render(v, &f.s, 120, 40, CHARSET_UNICODE, COLORS_NONE);
    CHECK(text_has(t, "pt image means x text | student"));
    CHECK(strcmp(v->figure, "simmat-cross") == 0);
    free(t);
    view_press(v, &f.s, "ms");
    t = view_render(v, &f.s, 120, 40, CHARSET_UNICODE, COLORS_NONE);
    CHECK(text_has(t, "pp image means x image means | student - teacher"));
    CHECK(strcmp(v->figure, "simmat-diff") == 0);
    CHECK(text_has(t, "difference"));
    free(t);
    view_press(v, &f.s, "sss");
    CHECK(strcmp(v->figure, "simmat-proto") == 0);
    view_press(v, &f.s, "m");
    /* the filter: only classes whose name contains it */
    snprintf(f.s.filter, sizeof f.s.filter, "circle");
    int n_circle = 0;
    for (int i = 0; i < td->n_seen; i++)
        n_circle += strstr(run_class_name(&f.rec, td->labels[i]), "circle") != NULL;
    snprintf(want, sizeof want, "| %d of 50 classes", n_circle);
    t = view_render(v, &f.s, 120, 40, CHARSET_ASCII, COLORS_NONE);
    CHECK(text_has(t, want));
    CHECK(text_lacks(t, "triangle"));
    free(t);
    f.s.filter[0] = 0;
    /* v: the numbers */
    view_press(v, &f.s, "v");
    t = view_render(v, &f.s, 120, 40, CHARSET_ASCII, COLORS_NONE);
    snprintf(want, sizeof want, "%6.2f", td->tt[RUN_STATE_PRE][1]);
    CHECK(text_has(t, want));
    CHECK(text_has(t, "  1.00"));
    /* the header's indices end over the numbers' last digits ("    v1" over "  1.00"; the
     * cursor is at [1,1]) */
    {
        char h[1024] = "", r1[1024] = "";
        for (int i = 0; i < 39 && !h[0]; i++)
            if (strstr(render_line(t, i), "v1 ")) {
                snprintf(h, sizeof h, "%s", render_line(t, i));
                snprintf(r1, sizeof r1, "%s", render_line(t, i + 1));
            }
        const char *mv = strstr(h, "v1 "), *one = strstr(r1, "1.00");
        CHECK_MSG(mv && one, "header '%s', row '%s'", h, r1);
        if (mv && one) {
            int last = (int)(one - r1) + 3; /* the column of 1.00's last digit */
            CHECK_MSG((int)(mv - h) + 1 == last && h[last + 7] == '2' && h[last + 6] == ' ',
                      "header '%s'\n   over '%s'", h, r1);
        }
    }
    free(t);
    v->free(v);
    view_fixture_close(&f);
}

TEST(views_projection_task5) {
    view_fixture f;
    if (!view_fixture_open(&f, 4)) return;
    const run_task_data *td = &f.td;
    int n_img = 0, n_task1 = 0;
    for (int i = 0; i < td->n_proj; i++) {
        n_img += td->proj_kind[i] == 0;
        n_task1 += f.rec.class_task[td->labels[td->proj_class[i]]] == 0;
    }
    view *v = view_projection_new();
    char want[96];
    snprintf(want, sizeof want, "%d of %d points", td->n_proj, td->n_proj);
    for (int cs = 0; cs < 3; cs += 2) {
        char *t = view_render(v, &f.s, 120, 40, (charset)cs, COLORS_NONE);
        CHECK(text_has(t, "Projection"));
        CHECK(text_has(t, "t-SNE"));
        CHECK(text_has(t, want));
        CHECK(text_has(t, "legend"));
        CHECK(text_has(t, "old images"));
        CHECK(text_has(t, "new images"));
        CHECK(text_has(t, "prototypes"));
        CHECK(text_has(t, "old anchors"));
        CHECK(text_has(t, cs == CHARSET_ASCII ? "o old images" : "\u2022 old images"));
        CHECK(text_has(t, "+ new images"));
        snprintf(want, sizeof want, "t-SNE KL %.3f", td->summary.tsne_kl);
        CHECK(text_has(t, want));
        free(t);
        snprintf(want, sizeof want, "%d of %d points", td->n_proj, td->n_proj);
    }
    view_press(v, &f.s, "m");
    char *t = view_render(v, &f.s, 120, 40, CHARSET_ASCII, COLORS_NONE);
    snprintf(want, sizeof want, "PCA explains %.1f%% + %.1f%%", 100 * td->summary.pca_explained[0],
             100 * td->summary.pca_explained[1]);
    CHECK(text_has(t, want));
    CHECK(text_has(t, "PC 1"));
    free(t);
    /* kind toggles, task filter, class filter */
    view_press(v, &f.s, "I");
    t = view_render(v, &f.s, 120, 40, CHARSET_ASCII, COLORS_NONE);
    snprintf(want, sizeof want, "%d of %d points", td->n_proj - n_img, td->n_proj);
    CHECK(text_has(t, want));
    CHECK(text_has(t, "(off)"));
    free(t);
    view_press(v, &f.s, "If");
    t = view_render(v, &f.s, 120, 40, CHARSET_ASCII, COLORS_NONE);
    snprintf(want, sizeof want, "%d of %d points | tasks: task 1 only", n_task1, td->n_proj);
    CHECK(text_has(t, want));
    free(t);
    view_press(v, &f.s, "F");
    snprintf(f.s.filter, sizeof f.s.filter, "no such class");
    t = view_render(v, &f.s, 120, 40, CHARSET_ASCII, COLORS_NONE);
    CHECK(text_has(t, "0 of"));
    CHECK(text_has(t, "no point passes the filters"));
    free(t);
    f.s.filter[0] = 0;
    /* j highlights the first class */
    view_press(v, &f.s, "j");
    t = view_render(v, &f.s, 120, 40, CHARSET_ASCII, COLORS_NONE);
    snprintf(want, sizeof want, "@ %s", run_class_name(&f.rec, td->labels[0]));
    CHECK(text_has(t, want));
    free(t);
    view_press(v, &f.s, "v");
    t = view_render(v, &f.s, 120, 40, CHARSET_ASCII, COLORS_NONE);
    CHECK(text_has(t, "pca x"));
    snprintf(want, sizeof want, "%9.3f %9.3f", td->proj_pca[0], td->proj_pca[1]);
    CHECK(text_has(t, want));
    free(t);
    v->free(v);
    view_fixture_close(&f);
}

/* The drift ranking cut names to 7-9 cells beside bars of 10-16 ("white c" at 80 columns: white
 * crescent, circle or cross); bars now give way to a quarter of the panel, and the mean-drift
 * line left "(2000 i" at the edge: its fields now go whole or not at all. */
TEST(views_drift_names_and_means_whole) {
    view_fixture f;
    if (!view_fixture_open(&f, 4)) return;
    view *v = view_drift_new();
    char *t = view_render(v, &f.s, 100, 30, CHARSET_UNICODE, COLORS_NONE);
    CHECK(text_has(t, "│ 1 brown square    ██████████ 1.08e-03│"));
    CHECK(text_has(t, "│ 7 white crescent  █████▏     5.53e-04│"));
    CHECK(text_has(t, "  (1000 images)\n"));
    free(t);
    view_fixture_close(&f);
    if (!view_fixture_open(&f, 9)) return;
    t = view_render(v, &f.s, 80, 22, CHARSET_UNICODE, COLORS_NONE);
    CHECK(text_has(t, "\nmean drift 0.00022   old-class images 0.000208   new-task images "
                      "0.000324\n"));
    CHECK(text_has(t, "│ 5 white cres ████▎   4.44e-04│"));
    CHECK(text_has(t, "│ 9 white circ"));
    free(t);
    v->free(v);
    view_fixture_close(&f);
}

/* Under half blocks a text line holds two matrix rows and one label: filtered to 3 classes
 * (an 80x24 terminal) the view named rows 1 and 78 and left 29 unnamed. Rows that all fit get a
 * line each, so every row drawn has its label; 100 rows keep the half blocks. */
TEST(views_geometry_labels_every_row_that_fits) {
    view_fixture f;
    if (!view_fixture_open(&f, 9)) return;
    view *v = view_geometry_new();
    snprintf(f.s.filter, sizeof f.s.filter, "e tri"); /* purple, blue and white triangles */
    char *t = view_render(v, &f.s, 80, 22, CHARSET_UNICODE, COLORS_256);
    CHECK(text_has(t, "| 3 of 100 classes |"));
    CHECK(text_has(t, "\n  1 purple triangle▶▀▀▀▀"));
    CHECK(text_has(t, "\n 29 blue triangle   ▀▀▀▀"));
    CHECK(text_has(t, "\n 78 white triangle  ▀▀▀▀"));
    free(t);
    /* a click on the second line is the second row (not the pair's lower row on a second one) */
    CHECK_EQ_INT(v->mouse(v, WM_CLICK, 22, 5, &f.s), VIEW_REDRAW);
    t = view_render(v, &f.s, 80, 22, CHARSET_UNICODE, COLORS_256);
    char want[96];
    cursor_text(want, sizeof want, &f.td, 28, 0);
    CHECK(text_has(t, want) && text_has(t, "\n[29,1] "));
    free(t);
    /* the side panel no longer says a cell holds two rows */
    t = view_render(v, &f.s, 120, 40, CHARSET_UNICODE, COLORS_256);
    CHECK(text_lacks(t, "a cell: upper half row r, lower r+1"));
    free(t);
    /* 100 classes in 18 lines: two rows a line, as the side panel says */
    f.s.filter[0] = 0;
    t = view_render(v, &f.s, 120, 40, CHARSET_UNICODE, COLORS_256);
    CHECK(text_has(t, "a cell: upper half row r, lower r+1"));
    CHECK(text_has(t, "\n  3 yellow crescent "));
    CHECK(text_lacks(t, "\n  2 "));
    free(t);
    v->free(v);
    view_fixture_close(&f);
}

/* The geometry view's info line ended "zoom 1 (auto" at 60 columns: its parts go whole, the
 * zoom without "(auto)" before it goes. */
TEST(views_geometry_info_keeps_parts_whole) {
    view_fixture f;
    if (!view_fixture_open(&f, 9)) return;
    view *v = view_geometry_new();
    static const struct {
        int w;
        const char *want;
    } cases[] = {
        {100, "\ntt text x text | student | 100 of 100 classes | zoom 1 (auto)\n"},
        {60, "\ntt text x text | student | 100 of 100 classes | zoom 1\n"},
        {50, "\ntt text x text | student | 100 of 100 classes\n"},
    };
    for (int i = 0; i < 3; i++) {
        char *t = view_render(v, &f.s, cases[i].w, 18, CHARSET_UNICODE, COLORS_256);
        CHECK_MSG(text_has(t, cases[i].want), "%d columns", cases[i].w);
        free(t);
    }
    v->free(v);
    view_fixture_close(&f);
}

/* j highlights a class: its images are drawn '@', but its text and prototype, drawn after them
 * and often in the same cell, covered them, so that without colour the plot showed no '@' at
 * 100 columns; the images now go last. */
TEST(views_projection_highlight_shows_without_colour) {
    view_fixture f;
    if (!view_fixture_open(&f, 9)) return;
    view *v = view_projection_new();
    free(view_render(v, &f.s, 100, 28, CHARSET_UNICODE, COLORS_NONE)); /* as the shell: drawn */
    view_press(v, &f.s, "j");
    char *t = view_render(v, &f.s, 100, 28, CHARSET_UNICODE, COLORS_NONE);
    CHECK(text_has(t, "@ purple triangle"));
    int ats = 0;
    for (const char *p = t; (p = strchr(p, '@')); p++) ats++;
    CHECK_MSG(ats >= 2, "%d '@' (the legend's and the class's images)", ats);
    free(t);
    v->free(v);
    view_fixture_close(&f);
}

/* v in the projection at 60 columns: the class column, last, was cut by the edge mid-word
 * ("yellow cres", "purple tria"). The columns close up (single spaces), then give up old/new
 * and the task, so that the names show whole; the coordinates keep all their digits. */
TEST(views_projection_numbers_keep_class_names_whole) {
    view_fixture f;
    if (!view_fixture_open(&f, 9)) return;
    const run_task_data *td = &f.td;
    view *v = view_projection_new();
    f.s.show_numbers = 1;
    char want[128];
    char *t = view_render(v, &f.s, 120, 20, CHARSET_ASCII, COLORS_NONE);
    CHECK(text_has(t, "\npoint  kind       old  task  tsne x    tsne y    class\n"));
    free(t);
    /* point 6 is a yellow crescent image, 8 a purple triangle one */
    CHECK(!strcmp(run_class_name(&f.rec, td->labels[td->proj_class[6]]), "yellow crescent"));
    t = view_render(v, &f.s, 60, 20, CHARSET_ASCII, COLORS_NONE);
    CHECK(text_has(t, "\npoint kind      old task tsne x    tsne y    class\n"));
    snprintf(want, sizeof want, "\n    6 image     old    1 %9.3f %9.3f yellow crescent\n",
             td->proj_tsne[12], td->proj_tsne[13]);
    CHECK(text_has(t, want));
    CHECK(text_has(t, " purple triangle\n"));
    free(t);
    t = view_render(v, &f.s, 52, 20, CHARSET_ASCII, COLORS_NONE);
    CHECK(text_has(t, "\npoint kind      tsne x    tsne y    class\n"));
    snprintf(want, sizeof want, "\n    6 image     %9.3f %9.3f yellow crescent\n",
             td->proj_tsne[12], td->proj_tsne[13]);
    CHECK(text_has(t, want));
    free(t);
    v->free(v);
    view_fixture_close(&f);
}

