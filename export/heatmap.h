/* heatmap.h: a matrix as coloured cells with class labels, group separators and a colour bar
 * with values. Layout and drawing are apart, so that a caller (and a test) can ask where cell
 * (i, j) and the ends of the colour bar landed.
 *
 * Labels stay readable for 100 classes: the label font follows the cell size (5..8 pt, or from
 * label_fs_min) and, where cells are smaller than the font, only every k-th class is named;
 * groups (the tasks) get separator lines across the matrix and their own names ("T1", ...)
 * outside the labels. A title too wide for the figure keeps its size and takes two or three
 * lines. */
#ifndef SEGP_FIG_HEATMAP_H
#define SEGP_FIG_HEATMAP_H

#include <cairo.h>

#include "export/colormap.h"

/* The smallest type of the values in the cells (points): below it they are unreadable in
 * print (a one-column accuracy matrix's came out at 3.6 pt); the colours and the colour bar
 * carry the values. */
#define FIG_FS_CELL_MIN 5.5

typedef struct {
    const float *m;           /* [rows, cols] row-major; NAN cells drawn as NAN_COLOR */
    int rows, cols;
    double lo, hi;            /* colour limits: LO -> cmap(0), HI -> cmap(1) */
    fig_cmap cmap;
    const char *const *row_labels, *const *col_labels; /* [rows] / [cols], or NULL */
    const int *row_group, *col_group; /* group id per row / column (e.g. task, 0-based), or
                                       * NULL; separators where it changes */
    const char *group_prefix; /* group names: PREFIX + (id + 1) ("T") */
    const char *xlabel, *ylabel, *title, *cbar_label;
    const char *xlabel_short; /* drawn where XLABEL would need smaller type (NULL: none) */
    const char *cbar_label_short; /* drawn where CBAR_LABEL would (NULL: none) */
    const char *cell_fmt;     /* write each value in its cell with this format ("%.1f"), or NULL */
    const char *cell_fmt_short; /* fewer digits ("%.0f"), where CELL_FMT's values would be under
                                 * FIG_FS_CELL_MIN; where these would too, no values (NULL:
                                 * none) */
    double label_fs_min;      /* the class labels' smallest type (0: 5 pt); where they would
                               * need smaller, every k-th at it, or none where groups name the
                               * rows and columns */
    int square;               /* square cells */
    fig_rgb nan_color;
} fig_heatmap;

typedef struct {
    double x, y;              /* top-left corner of cell (0, 0), points */
    double cw, ch;            /* cell width and height */
    double cb_x, cb_w;        /* colour bar: left edge, width */
    double cb_top, cb_bottom; /* its ends: HI at the top, LO at the bottom */
    double label_fs;          /* class-label font size (0: no class labels) */
    int row_step, col_step;   /* every k-th label shown */
    int col_horizontal;       /* column labels fit their cells unrotated (task numbers) */
    double row_lab_w;         /* the row labels shown, with their gap to the matrix (0: none) */
    double col_lab_h;         /* the column labels' height, with their gap (0: none) */
    double group_w;           /* the widest row group name (0: no row groups) */
    double area_x0, area_x1;  /* the rectangle's left and right edges */
    double area_y0, area_y1;  /* its top and bottom edges */
    int title_lines;          /* the title's lines at FIG_FS_TITLE (0: no title) */
    const char *cell_fmt;     /* the values in the cells: H's cell_fmt or cell_fmt_short (NULL:
                               * none, too small to read), at CELL_FS */
    double cell_fs;
} fig_heatmap_layout;

/* Lay H out in the rectangle (X, Y, W, HT) of CR (font metrics): everything drawn keeps
 * FIG_MARGIN inside it; the labels beside the matrix and the colour bar stay below the title's
 * row. */
void fig_heatmap_layout_compute(cairo_t *cr, const fig_heatmap *h, double x, double y, double w,
                                double ht, fig_heatmap_layout *L);
void fig_heatmap_draw(cairo_t *cr, const fig_heatmap *h, const fig_heatmap_layout *L);

/* Where things landed (points): the centre of cell (I, J); the colour bar's centre line at
 * T in [0, 1] along it (0: the LO end, 1: the HI end). */
void fig_heatmap_cell_center(const fig_heatmap_layout *L, int i, int j, double *x, double *y);
void fig_heatmap_cbar_point(const fig_heatmap_layout *L, double t, double *x, double *y);

/* Limits of a matrix: its min and max (NANs skipped); SYMMETRIC: +-max |v| (a diverging map
 * centred on 0; +-1e-12 for an all-zero matrix). 0 when every value is NAN. */
int fig_matrix_limits(const float *m, long n, int symmetric, double *lo, double *hi);

#endif
