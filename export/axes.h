/* axes.h: a plot's frame in points: data ranges mapped to a rectangle, "nice" ticks (1, 2, 5 x
 * 10^k) with their values, axis labels in words, a title, light grid lines; the legend, placed
 * in the corner of the plot that hides the fewest data points (and the y range's top that
 * gives it a corner hiding none). */
#ifndef SEGP_FIG_AXES_H
#define SEGP_FIG_AXES_H

#include <cairo.h>

#include "export/draw.h"

typedef struct {
    double x0, x1, y0, y1;    /* data ranges (x0 < x1, y0 < y1) */
    const char *xlabel, *ylabel, *title; /* may be NULL */
    /* shorter labels (may be NULL), both used where either full one would need smaller type
     * to fit beside the plot: a one-column projection's "Principal component 2 (17.1% of
     * variance)" ran over the title at 5 pt */
    const char *xlabel_short, *ylabel_short;
    int title_lines;          /* room for this many title lines at least (the title keeps
                               * FIG_FS_TITLE and takes up to FIG_TITLE_MAX_LINES where it is
                               * too wide): panels side by side set one count, so that their
                               * plots line up */
    int integer_x;            /* x ticks on integers only (tasks, steps) */
    int grid;                 /* light grid lines at the ticks */
    double tick_w_min;        /* room kept for y tick values at least (points; panels that
                               * share an x axis set the same) */
    double text_w;            /* width from the left edge the title and x label may use (a
                               * legend beside the plot that leaves them room; <= the
                               * rectangle's width: that width) */
    /* set by fig_axes_draw: the plotting rectangle (points) */
    double px, py, pw, ph;
} fig_axes;

/* Pad a data range [LO, HI] by FRAC of its width on both sides (a flat range gets +-1 or +-10%
 * of its value); NANs ignored. Returns 0 when every value was NAN. */
int fig_range(const double *v, int n, double frac, double *lo, double *hi);
/* Grow [*LO, *HI] to include [LO2, HI2]. */
void fig_range_union(double *lo, double *hi, double lo2, double hi2);

/* Ticks inside [LO, HI]: at most MAX_N of them, a step of 1, 2 or 5 x 10^k (integers when
 * INTEGER); returns the count, writes TICKS and the decimals the values need. */
int fig_ticks(double lo, double hi, int max_n, int integer, double *ticks, int *decimals);

/* Lay out and draw the axes inside (X, Y, W, H): title, tick values, labels, frame and grid;
 * A's plotting rectangle is set. */
void fig_axes_draw(cairo_t *cr, fig_axes *a, double x, double y, double w, double h);
/* Only the layout: A's plotting rectangle as fig_axes_draw would set it; draws nothing. */
void fig_axes_layout(cairo_t *cr, fig_axes *a, double x, double y, double w, double h);
double fig_ax_x(const fig_axes *a, double v);
double fig_ax_y(const fig_axes *a, double v);
/* Clip to the plotting rectangle (cairo_save first; cairo_restore undoes it). */
void fig_axes_clip(cairo_t *cr, const fig_axes *a);

/* A vertical or horizontal reference line across the plot (dashed, grey). */
void fig_axes_vline(cairo_t *cr, const fig_axes *a, double x);

typedef struct {
    const char *label;
    fig_rgb color;
    int line;                 /* a line sample */
    int dashed;
    int band;                 /* a shaded band sample behind */
    fig_mark_style mark;      /* marker (shape FIG_M_NONE: none) */
    const char *label_short;  /* for a legend outside a narrow plot, where LABEL would need
                               * smaller type (NULL: none) */
} fig_legend_item;

/* The legend inside A's plot, in the corner hiding the fewest of the N points (PX, PY: points
 * in page coordinates; NULL: top left; a point within 3.5 pt of the legend's box counts, as
 * its marker reaches under it). BOX (may be NULL) gets where it went: x, y, width, height (all
 * 0 for no items), for whatever else the plot labels to keep off it. */
void fig_legend(cairo_t *cr, const fig_axes *a, const fig_legend_item *it, int n,
                const double *px, const double *py, int n_pts, double box[4]);
/* Where every corner of A's plot (laid out: fig_axes_layout) would hide some of the NP points
 * (X, Y: data coordinates) under the legend, the top of the y range that clears a top corner
 * for it, the lower of the two; else A->y1. With that y1 the legend hides none of them (after
 * a new layout: the rectangle holds where the y tick values fit the room kept for them). */
double fig_legend_headroom(cairo_t *cr, const fig_axes *a, const fig_legend_item *it, int n,
                           const double *x, const double *y, int np);
/* The legend in COLS columns with its top-left corner at (X, Y) (outside a plot), in smaller
 * type where it is wider than MAX_W (<= 0: any width). W, H (may be NULL) get its size; DRAW 0
 * only measures. */
void fig_legend_at(cairo_t *cr, const fig_legend_item *it, int n, int cols, double max_w,
                   double x, double y, int draw, double *w, double *h);
/* A legend outside a plot, MAX_W wide at most, at FIG_FS_LEGEND: the most columns (up to
 * MAX_COLS) in which its full labels fit, else the short ones (IT's labels become their
 * label_short); where none fits, MAX_COLS columns of the short labels (fig_legend_at shrinks
 * them). Returns the columns. */
int fig_legend_fit(cairo_t *cr, fig_legend_item *it, int n, int max_cols, double max_w);

#endif
