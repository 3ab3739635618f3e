/* plot.h: data drawn inside fig_axes: lines (NAN breaks a line), shaded bands (mean +- spread),
 * markers, bars and histograms, and a scatter of points with a style per group. All clip to the
 * plotting rectangle. */
#ifndef SEGP_FIG_PLOT_H
#define SEGP_FIG_PLOT_H

#include "export/axes.h"

/* A line through (X[i], Y[i]); a NAN breaks it. */
void fig_line(cairo_t *cr, const fig_axes *a, const double *x, const double *y, int n, fig_rgb c,
              double width, int dashed);
/* Markers at the finite points. */
void fig_points(cairo_t *cr, const fig_axes *a, const double *x, const double *y, int n,
                const fig_mark_style *m);
/* The band between LO and HI over X (segments where both are finite), at ALPHA. */
void fig_band(cairo_t *cr, const fig_axes *a, const double *x, const double *lo,
              const double *hi, int n, fig_rgb c, double alpha);
/* The y range of a line Y drawn over its band [LO, HI] (N points; NANs ignored), padded by
 * FRAC: the line counts too, since a mean can lie outside its percentile band (skewed data).
 * Returns 0 when every value was NAN. */
int fig_band_range(const double *y, const double *lo, const double *hi, int n, double frac,
                   double *y0, double *y1);
/* Bars of V[i] over [EDGES[i], EDGES[i+1]], narrowed to the part [F0, F1] (0..1) of each bin
 * so that groups sit side by side; from 0 (or the axis bottom if above 0). */
void fig_bars(cairo_t *cr, const fig_axes *a, const double *edges, const double *v, int n,
              double f0, double f1, fig_rgb c, double alpha);

#endif
