/* fig_matrix.c: the heatmap figures: the similarity matrices of a task's geometry (text x text,
 * class means x text, means x means) under one state, their differences student - teacher and
 * student - pretrained, and the run's accuracy matrix. Rows and columns are the seen classes in
 * learning order, grouped by task. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/common.h"
#include "export/figure_impl.h"
#include "export/draw.h"
#include "export/heatmap.h"

static const char *const state_words[RUN_STATES] = {"pretrained", "teacher", "student"};

/* the matrix of a state, its axis names and its words */
static const float *matrix_of(const run_task_data *td, fig_matrix m, int state) {
    return m == FIG_MATRIX_TEXT ? td->tt[state] : m == FIG_MATRIX_CROSS ? td->pt[state]
                                                                        : td->pp[state];
}

static const char *matrix_words(fig_matrix m) {
    return m == FIG_MATRIX_TEXT ? "text \u00d7 text" : m == FIG_MATRIX_CROSS ? "image \u00d7 text"
                                                                             : "image \u00d7 image";
}

static const char *row_axis(fig_matrix m) {
    return m == FIG_MATRIX_TEXT ? "Class text embedding" : "Class mean of test-image embeddings";
}

static const char *col_axis(fig_matrix m) {
    return m == FIG_MATRIX_PROTO ? "Class mean of test-image embeddings" : "Class text embedding";
}

static int check_geometry(const fig_ctx *c, const float *need, const char *what) {
    if (!c->td->has_geometry)
        return SEGP_FAIL("%s: tasks/%02d has no geometry.safetensors: %s", c->r->dir,
                         c->task + 1, fig_analytics_absent(c->r));
    if (!need)
        return SEGP_FAIL("%s: tasks/%02d/geometry.safetensors has no %s", c->r->dir, c->task + 1,
                         what);
    return 0;
}

int fig_simmat_check(const fig_ctx *c) {
    if (!c->td->has_geometry) return check_geometry(c, NULL, "");
    int s = c->o->state;
    if (s < 0 || s >= RUN_STATES) return SEGP_FAIL("state %d unknown (pre, teacher, student)", s);
    return check_geometry(c, c->td->tt[s] && c->td->pt[s] && c->td->pp[s] ? c->td->tt[s] : NULL,
                          "matrices of that state");
}

int fig_simmat_diff_check(const fig_ctx *c) {
    if (!c->td->has_geometry) return check_geometry(c, NULL, "");
    if (c->o->against != RUN_STATE_TEACHER && c->o->against != RUN_STATE_PRE)
        return SEGP_FAIL("against %d (expected teacher or pretrained)",
                         c->o->against);
    if (c->task == 0 && c->o->against == RUN_STATE_TEACHER)
        return SEGP_FAIL("task 1 has no teacher (before the first task the model is "
                         "the pretrained one; use --against pretrained)");
    fig_matrix m = c->o->matrix;
    if (!matrix_of(c->td, m, RUN_STATE_STUDENT) || !matrix_of(c->td, m, c->o->against))
        return check_geometry(c, NULL, "matrices for that difference");
    return 0;
}

/* The class labels' smallest type in a figure W points wide: 8 pt in one column (at 5, a
 * one-column similarity matrix named every fourth of 50 or 100 classes unreadably; there the
 * tasks' names "T1".. label the matrix alone), else 0, as small as the cells need (5). */
static double label_fs_min(double w) {
    return w <= FIG_ONE_COLUMN_W_IN * 72 + 1e-6 ? FIG_FS_TICK : 0;
}

/* labels and task groups of the seen classes */
typedef struct {
    const char **names;
    int *group;
} class_axis;

static void class_axis_make(const fig_ctx *c, class_axis *a) {
    int n = c->td->n_seen;
    a->names = segp_malloc(sizeof(char *) * (size_t)(n > 0 ? n : 1));
    a->group = segp_malloc(sizeof(int) * (size_t)(n > 0 ? n : 1));
    for (int i = 0; i < n; i++) {
        int lab = c->td->labels[i];
        a->names[i] = run_class_name(c->r, lab);
        a->group[i] = lab >= 0 && lab < c->r->num_classes ? c->r->class_task[lab] : 0;
    }
}

static void class_axis_free(class_axis *a) {
    free(a->names);
    free(a->group);
}

/* a matrix of the seen classes as CSV: header of column names, then one row per class */
static void csv_matrix(fig_bytes *b, const char *corner, const char *const *rows,
                       const char *const *cols, const float *m, int nr, int nc) {
    fig_csv_str(b, corner);
    for (int j = 0; j < nc; j++) {
        fig_csv_sep(b);
        fig_csv_str(b, cols[j]);
    }
    fig_csv_end(b);
    for (int i = 0; i < nr; i++) {
        fig_csv_str(b, rows[i]);
        for (int j = 0; j < nc; j++) {
            fig_csv_sep(b);
            fig_csv_num(b, m[(size_t)i * nc + j]);
        }
        fig_csv_end(b);
    }
}

static void draw_matrix(const fig_ctx *c, cairo_t *cr, double w, double h, const float *m,
                        fig_matrix which, int diverging, const char *title, const char *cbar,
                        const char *cbar_short) {
    const int n = c->td->n_seen;
    class_axis ax;
    class_axis_make(c, &ax);
    fig_heatmap hm = {0};
    hm.m = m;
    hm.rows = hm.cols = n;
    fig_matrix_limits(m, (long)n * n, diverging, &hm.lo, &hm.hi);
    hm.cmap = diverging ? FIG_CMAP_DIVERGING : FIG_CMAP_VIRIDIS;
    hm.row_labels = hm.col_labels = (const char *const *)ax.names;
    hm.row_group = hm.col_group = ax.group;
    hm.group_prefix = "T";
    hm.ylabel = row_axis(which);
    hm.xlabel = col_axis(which);
    hm.title = title;
    hm.cbar_label = cbar;
    hm.cbar_label_short = cbar_short;
    hm.square = 1;
    hm.label_fs_min = label_fs_min(w);
    hm.nan_color = (fig_rgb){0.85, 0.85, 0.85};
    fig_heatmap_layout L;
    fig_heatmap_layout_compute(cr, &hm, 0, 0, w, h, &L);
    fig_heatmap_draw(cr, &hm, &L);
    csv_matrix(c->csv, which == FIG_MATRIX_TEXT ? "text \\ text" : which == FIG_MATRIX_CROSS
                                                                      ? "image mean \\ text"
                                                                      : "image mean \\ image mean",
               (const char *const *)ax.names, (const char *const *)ax.names, m, n, n);
    class_axis_free(&ax);
}

static void simmat(const fig_ctx *c, cairo_t *cr, double w, double h, fig_matrix which) {
    char title[256];
    snprintf(title, sizeof title, "Cosine similarity, %s (%s), task %d", matrix_words(which),
             state_words[c->o->state], c->task + 1);
    draw_matrix(c, cr, w, h, matrix_of(c->td, which, c->o->state), which, 0, title,
                "Cosine similarity", NULL);
}

void fig_simmat_text_draw(const fig_ctx *c, cairo_t *cr, double w, double h) {
    simmat(c, cr, w, h, FIG_MATRIX_TEXT);
}

void fig_simmat_cross_draw(const fig_ctx *c, cairo_t *cr, double w, double h) {
    simmat(c, cr, w, h, FIG_MATRIX_CROSS);
}

void fig_simmat_proto_draw(const fig_ctx *c, cairo_t *cr, double w, double h) {
    simmat(c, cr, w, h, FIG_MATRIX_PROTO);
}

void fig_simmat_diff_draw(const fig_ctx *c, cairo_t *cr, double w, double h) {
    const int n = c->td->n_seen;
    fig_matrix which = c->o->matrix;
    const float *s = matrix_of(c->td, which, RUN_STATE_STUDENT);
    const float *t = matrix_of(c->td, which, c->o->against);
    float *d = segp_malloc(sizeof(float) * (size_t)n * n);
    for (long i = 0; i < (long)n * n; i++) d[i] = s[i] - t[i];
    char title[256], cbar[64];
    snprintf(title, sizeof title, "Student \u2212 %s, cosine similarity %s, task %d",
             state_words[c->o->against], matrix_words(which), c->task + 1);
    snprintf(cbar, sizeof cbar, "\u0394 cosine similarity (student \u2212 %s)",
             state_words[c->o->against]);
    /* at one column without the states, which the title names */
    draw_matrix(c, cr, w, h, d, which, 1, title, cbar, "\u0394 cosine similarity");
    free(d);
}

/* The matrix the figure shows: the CLIP branch's with options.clip_branch. */
static const double *accuracy_of(const fig_ctx *c) {
    return c->o->clip_branch ? c->r->R_clip : c->r->R;
}

int fig_accuracy_matrix_check(const fig_ctx *c) {
    const run_record *r = c->r;
    if (c->o->clip_branch && !r->R_clip)
        return SEGP_FAIL("%s: no CLIP-branch accuracy matrix (accuracy_matrix_clip.npy: the "
                         "method %s is not dual-path)", r->dir, r->method ? r->method : "?");
    const double *R = accuracy_of(c);
    if (!R || r->num_tasks < 1) return SEGP_FAIL("%s: no accuracy matrix", r->dir);
    for (int i = 0; i < r->num_tasks * r->num_tasks; i++)
        if (isfinite(R[i])) return 0;
    return SEGP_FAIL("%s: accuracy_matrix.npy has no measured entry yet (no task finished)",
                     r->dir);
}

void fig_accuracy_matrix_draw(const fig_ctx *c, cairo_t *cr, double w, double h) {
    const run_record *r = c->r;
    const double *R = accuracy_of(c);
    const int T = r->num_tasks;
    /* rows up to the last one with a measurement (a live run's matrix fills row by row) */
    int rows = 0;
    for (int i = 0; i < T; i++)
        for (int j = 0; j < T; j++)
            if (isfinite(R[i * T + j])) rows = i + 1;
    float *m = segp_malloc(sizeof(float) * (size_t)rows * T);
    for (int i = 0; i < rows * T; i++) m[i] = (float)R[i];
    char **names = segp_malloc(sizeof(char *) * (size_t)T);
    for (int i = 0; i < T; i++) {
        names[i] = segp_malloc(16);
        snprintf(names[i], 16, "%d", i + 1);
    }
    char title[256], desc[160];
    fig_run_desc(r, desc, sizeof desc);
    snprintf(title, sizeof title, "%s (%%) on task j after task i, %s",
             c->o->clip_branch ? "CLIP-branch accuracy" : "Accuracy", desc);
    fig_heatmap hm = {0};
    hm.m = m;
    hm.rows = rows;
    hm.cols = T;
    fig_matrix_limits(m, (long)rows * T, 0, &hm.lo, &hm.hi);
    hm.cmap = FIG_CMAP_VIRIDIS;
    hm.row_labels = (const char *const *)names;
    hm.col_labels = (const char *const *)names;
    hm.ylabel = "After training task i";
    /* the cells right of the diagonal are zero-shot (the FWT entries): said, as the workbench
     * marks them with ~, or they read as accuracy after training */
    int zero_shot = 0;
    for (int i = 0; i < rows; i++)
        for (int j = i + 1; j < T; j++) zero_shot |= isfinite(R[i * T + j]);
    hm.xlabel = zero_shot ? "Evaluated on task j (right of the diagonal: zero-shot, not yet "
                            "trained)"
                          : "Evaluated on task j";
    if (zero_shot) hm.xlabel_short = "On task j (right of the diagonal: zero-shot)";
    hm.title = title;
    hm.cbar_label = "Accuracy (%)";
    /* at one column "98" for "98.0": at 3.6 pt, the digits fitted to the cells were
     * unreadable; with many tasks the colours alone carry the values (the CSV has them) */
    hm.cell_fmt = "%.1f";
    hm.cell_fmt_short = "%.0f";
    hm.square = 1;
    hm.label_fs_min = label_fs_min(w);
    hm.nan_color = (fig_rgb){1, 1, 1};
    fig_heatmap_layout L;
    fig_heatmap_layout_compute(cr, &hm, 0, 0, w, h, &L);
    fig_heatmap_draw(cr, &hm, &L);

    fig_bytes *b = c->csv;
    fig_csv_str(b, "after task \\ on task");
    for (int j = 0; j < T; j++) {
        fig_csv_sep(b);
        fig_csv_str(b, names[j]);
    }
    fig_csv_end(b);
    for (int i = 0; i < rows; i++) {
        fig_csv_str(b, names[i]);
        for (int j = 0; j < T; j++) {
            fig_csv_sep(b);
            fig_csv_num(b, R[i * T + j]);
        }
        fig_csv_end(b);
    }
    for (int i = 0; i < T; i++) free(names[i]);
    free(names);
    free(m);
}
