/* figure_cases.h: the figures of the shipped run as the layout tests draw them (every variant,
 * at the run's first, a middle and the last task, at the default size and at one column) and
 * the checks that more than one test file runs on them (defined in test_figure_layout.c). */
#ifndef SEGP_TEST_FIGURE_CASES_H
#define SEGP_TEST_FIGURE_CASES_H

#include "export/draw.h"
#include "export/figure.h"
#include "run/run_record.h"

#define FIG_CASES_RUN "sample_runs/default-run"

/* The margin (points) the ink of every figure keeps from its edges, text and marks alike. */
#define EDGE_PT 3.0

/* One figure to check: its name and the options that pick its variant. */
typedef struct {
    const char *fig;
    int against, matrix, space;
} fig_variant;

typedef void (*layout_check)(const run_record *r, const run_task_data *td, const fig_variant *v,
                             int task, int one_col);

/* V's options at one column (3.3 x 2.6 in) or at the default size, no data file. */
void variant_options(const fig_variant *v, int one_col, figure_options *o);
/* "simmat-diff-pretrained-proto, task 5, 3.3 x 2.6 in", "accuracy-curve, the run, default
 * size" (one of 4 rotating buffers) */
const char *case_name(const fig_variant *v, int task, int one_col);
/* CHECK on every variant of the figures whose names start with one of PREFIXES (N) that has
 * data at the shipped run's first, a middle and the last task (a run-wide figure once), at its
 * default size and at one column (3.3 x 2.6 in). */
void every_figure(const char *const *prefixes, int n, layout_check check);
/* The strings of variant V's figure at TASK as drawn (one column or default size) into LOG, the
 * page's size in points into *W, *H. */
void text_layout(const run_record *r, const run_task_data *td, const fig_variant *v, int task,
                 int one_col, fig_text_log *log, double *w, double *h);
/* Checks for every_figure: the ink (pixels at 200 dpi, and each string's box) EDGE_PT inside the
 * page; no string's ink box over another's. */
void clear_of_edges(const run_record *r, const run_task_data *td, const fig_variant *v, int task,
                    int one_col);
void text_apart(const run_record *r, const run_task_data *td, const fig_variant *v, int task,
                int one_col);

#endif
