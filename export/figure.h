/* figure.h: the figure catalogue: publication figures of a run directory (or of several runs,
 * overlaid) as PNG, SVG or PDF, each with its data beside it (same stem, .csv). One drawing code
 * for the three formats (cairo; text in DejaVu Sans, embedded in PDF as TrueType subsets, as glyph
 * outlines in SVG); PNG through libpng with pHYs (DPI) and tEXt provenance (run id,
 * config hash, task, program version, figure name). `segp export` (app/cmd_export.c) and the
 * workbench's `e` key both call figure_export.
 *
 * Figures (figure_list; `segp export --list`):
 *   simmat-text       text x text cosine similarities of the seen classes (viridis)
 *   simmat-cross      image class means x text (pt) cosine similarities (viridis)
 *   simmat-proto      class means x class means (pp) cosine similarities (viridis)
 *   simmat-diff       student - teacher (default) or student - pretrained of one of the three
 *                     matrices (options.against, options.matrix), diverging map centred on 0
 *   projection        2-D PCA (default) or t-SNE (options.space) of images, texts, prototypes,
 *                     anchors; old vs new classes by marker shape and colour
 *   accuracy-matrix   R[i][j]: accuracy on task j after task i, values in the cells (the
 *                     CLIP branch's matrix with options.clip_branch)
 *   accuracy-curve    A_t, average accuracy, old- and new-class accuracy per task
 *                     (figure_export_compare: A_t of several runs overlaid)
 *   drift-interface   mean drift per interface-distance bin, old and new samples, with the
 *                     boundary/core ratio
 *   anchor-losses     the two PGD objectives per step, mean and 10th-90th percentile band over
 *                     anchors
 *
 * Tasks are 0-based here (as run_record and the workbench); `segp export --task N` is 1-based.
 * Run-wide figures (accuracy-*) ignore the task. Every file is written atomically: on any
 * failure no file of the request is left (a figure whose data file was written is removed
 * again). */
#ifndef SEGP_FIGURE_H
#define SEGP_FIGURE_H

#include <stddef.h>

#include "run/run_record.h"

typedef enum { FIG_PNG = 0, FIG_SVG = 1, FIG_PDF = 2 } fig_format;

typedef enum { FIG_MATRIX_TEXT = 0, FIG_MATRIX_CROSS = 1, FIG_MATRIX_PROTO = 2 } fig_matrix;
typedef enum { FIG_SPACE_PCA = 0, FIG_SPACE_TSNE = 1 } fig_space;

typedef struct {
    fig_format format;      /* FIG_PNG */
    double dpi;             /* PNG pixels per inch (300); recorded in pHYs. SVG/PDF: unused */
    double width_in, height_in; /* figure size in inches (<= 0: the figure's own default);
                                 * PNG pixels = round(inches * dpi) */
    int state;              /* simmat-text/-cross/-proto: RUN_STATE_* shown (RUN_STATE_STUDENT) */
    int against;            /* simmat-diff: student - RUN_STATE_TEACHER (default) or
                             * RUN_STATE_PRE */
    fig_matrix matrix;      /* simmat-diff: which matrix (FIG_MATRIX_TEXT) */
    fig_space space;        /* projection: FIG_SPACE_PCA */
    int clip_branch;        /* accuracy-matrix: the CLIP branch's matrix of a dual-path run (0:
                             * the full prediction's) */
    int write_data;         /* also write the data file (STEM.csv) beside (1) */
    const char *label;      /* legend name of this run in comparisons (NULL: method / folder) */
} figure_options;

void figure_options_default(figure_options *o);

typedef struct {
    const char *name;       /* "simmat-text" */
    const char *what;       /* one line for --list */
    int per_task;           /* needs a task's saved state (tasks/NN/) */
    int comparable;         /* figure_export_compare draws it */
    double w_in, h_in;      /* default size, inches (figure_options.width_in/height_in <= 0) */
} figure_info;

/* The catalogue, in --list order; N receives the count. */
const figure_info *figure_list(int *n);
/* NULL when NAME is no figure. */
const figure_info *figure_find(const char *name);

/* Whether FIGURE can be drawn for task TASK of R with options O (the data it needs is there).
 * 0, or -1 + error saying what is missing ("simmat-diff: tasks/01 has no teacher (the first
 * task)", "anchor-losses: method finetune keeps no anchors", unknown figure listing the valid
 * names, task out of range). TD may be NULL (then the task's files are loaded to look). */
int figure_check(const run_record *r, const run_task_data *td, const char *figure, int task,
                 const figure_options *o);

/* Draw FIGURE of task TASK (0-based; ignored by run-wide figures) of R into OUT_PATH in
 * O->format (O NULL: defaults); with O->write_data, also OUT_PATH's stem + ".csv". TD is that
 * task's loaded state, or NULL (then it is loaded here and freed). 0, or -1 + error naming the
 * figure, the missing data or the file; on failure no file of this call is left behind. */
int figure_export(const run_record *r, const run_task_data *td, const char *figure, int task,
                  const figure_options *o, const char *out_path);

/* The strings FIGURE draws, as figure_export would draw them at O's size (its format and dpi do
 * not matter): the ink box of each, in points on the page, into LOG (export/draw.h; free it with
 * fig_text_log_free) and the page's size (points) into *W_PT, *H_PT. For checks of a layout:
 * text inside the page, no two strings over each other. 0, or -1 + error as figure_export. */
struct fig_text_log;
int figure_text_layout(const run_record *r, const run_task_data *td, const char *figure,
                       int task, const figure_options *o, struct fig_text_log *log, double *w_pt,
                       double *h_pt);

/* One curve figure with the runs RUNS[0..n-1] overlaid (legend: LABELS[i], or NULL for the
 * method name, with the run folder when two runs share a method; names too long for the
 * legend at its 8 pt shown without the start and end all share, else cut in the middle with
 * "…", the data file's header keeping them whole). Only figures with `comparable`. Same files
 * and errors as figure_export. */
int figure_export_compare(const run_record *const *runs, const char *const *labels, int n,
                          const char *figure, const figure_options *o, const char *out_path);
/* The strings of figure_export_compare's figure as drawn, as figure_text_layout's. */
int figure_compare_text_layout(const run_record *const *runs, const char *const *labels, int n,
                               const char *figure, const figure_options *o,
                               struct fig_text_log *log, double *w_pt, double *h_pt);

/* Every figure of every finished task of R into DIR (created if missing), in O's format, each
 * with its data beside it, named by figure_default_name: the run-wide figures, then per task
 * simmat-text/-cross/-proto (O->state), simmat-diff of the three matrices against the teacher and
 * the pretrained model, projection in PCA and t-SNE, drift-interface and anchor-losses. A
 * figure whose data the run lacks (the first task's drift, a method without anchors) is skipped:
 * ON_SKIP (may be NULL) gets its file name and why. *WRITTEN / *SKIPPED get the counts.
 * Tasks are drawn on up to THREADS threads (<= 0: the OpenMP default). 0, or -1 + error at
 * the first figure that failed to write (the files written before it stay, each complete). */
typedef void (*figure_skip_fn)(void *user, const char *file, const char *why);
int figure_export_all(const run_record *r, const char *dir, const figure_options *o, int threads,
                      figure_skip_fn on_skip, void *user, int *written, int *skipped);

/* A default file name for FIGURE (and task, variant options) in format O->format, e.g.
 * "simmat-diff-pretrained-text-t03.png", "projection-tsne-t10.png", "accuracy-curve.png",
 * "accuracy-matrix-clip.png" (task 1-based in names); written into BUF. */
void figure_default_name(const char *figure, int task, const figure_options *o, char *buf,
                         size_t n);

/* Extension of a format ("png", "svg", "pdf"); format of a name in any case ("png", "PNG" ->
 * FIG_PNG), -1 when unknown. */
const char *fig_format_ext(fig_format f);
int fig_format_parse(const char *s);

#endif
