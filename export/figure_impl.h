/* figure_impl.h: what the figure catalogue (figure.c) and the figure families (fig_matrix.c,
 * fig_curves.c, fig_projection.c) share: the context a figure is drawn in and one entry of the
 * catalogue. Internal to export/. */
#ifndef SEGP_FIGURE_IMPL_H
#define SEGP_FIGURE_IMPL_H

#include <cairo.h>

#include "export/figure.h"
#include "export/output.h"

typedef struct {
    const run_record *r;          /* the run (comparisons: runs[0]) */
    const run_task_data *td;      /* the task's saved state (per-task figures), else NULL */
    int task;                     /* 0-based */
    const figure_options *o;
    const run_record *const *runs; /* comparisons: the runs and their legend names */
    const char *const *labels;
    int n_runs;
    fig_bytes *csv;               /* the data file, filled while drawing */
} fig_ctx;

typedef struct {
    figure_info info;             /* with the default size */
    /* 0 when the data is there, else -1 + error saying what is missing */
    int (*check)(const fig_ctx *c);
    /* draw into W x H points and fill c->csv */
    void (*draw)(const fig_ctx *c, cairo_t *cr, double w, double h);
} fig_def;

/* The families' checks and drawings. */
int fig_simmat_check(const fig_ctx *c);
void fig_simmat_text_draw(const fig_ctx *c, cairo_t *cr, double w, double h);
void fig_simmat_cross_draw(const fig_ctx *c, cairo_t *cr, double w, double h);
void fig_simmat_proto_draw(const fig_ctx *c, cairo_t *cr, double w, double h);
int fig_simmat_diff_check(const fig_ctx *c);
void fig_simmat_diff_draw(const fig_ctx *c, cairo_t *cr, double w, double h);
int fig_accuracy_matrix_check(const fig_ctx *c);
void fig_accuracy_matrix_draw(const fig_ctx *c, cairo_t *cr, double w, double h);

int fig_accuracy_curve_check(const fig_ctx *c);
void fig_accuracy_curve_draw(const fig_ctx *c, cairo_t *cr, double w, double h);
int fig_drift_check(const fig_ctx *c);
void fig_drift_draw(const fig_ctx *c, cairo_t *cr, double w, double h);
int fig_anchor_losses_check(const fig_ctx *c);
void fig_anchor_losses_draw(const fig_ctx *c, cairo_t *cr, double w, double h);

int fig_projection_check(const fig_ctx *c);
void fig_projection_draw(const fig_ctx *c, cairo_t *cr, double w, double h);

/* Shared wording. */
const char *fig_method_name(const char *method);   /* "segp" -> "SeGP-CL" */
const char *fig_run_id(const run_record *r);        /* the run folder's name */
/* Why tasks/NN/FILE (an analytics file) is absent, as the tail of an error: the run's
 * analytics.enabled false, else a file missing from a run that saved it. */
const char *fig_analytics_absent(const run_record *r);
/* A title's run part: "SeGP-CL, shapes B0-Inc10" */
void fig_run_desc(const run_record *r, char *buf, size_t n);

#endif
