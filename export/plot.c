/* plot.c: lines, bands, markers and bars inside an axes (see plot.h). */
#include "export/plot.h"

#include <math.h>
#include <stdlib.h>

#include "core/common.h"

void fig_line(cairo_t *cr, const fig_axes *a, const double *x, const double *y, int n, fig_rgb c,
              double width, int dashed) {
    cairo_save(cr);
    fig_axes_clip(cr, a);
    const double dash[] = {4, 2.5};
    if (dashed) cairo_set_dash(cr, dash, 2, 0);
    cairo_set_line_width(cr, width);
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
    cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
    fig_rgb_set(cr, c, 1);
    int pen = 0;
    for (int i = 0; i < n; i++) {
        if (!isfinite(x[i]) || !isfinite(y[i])) {
            pen = 0;
            continue;
        }
        double px = fig_ax_x(a, x[i]), py = fig_ax_y(a, y[i]);
        if (pen)
            cairo_line_to(cr, px, py);
        else
            cairo_move_to(cr, px, py);
        pen = 1;
    }
    cairo_stroke(cr);
    cairo_restore(cr);
}

void fig_points(cairo_t *cr, const fig_axes *a, const double *x, const double *y, int n,
                const fig_mark_style *m) {
    cairo_save(cr);
    fig_axes_clip(cr, a);
    for (int i = 0; i < n; i++)
        if (isfinite(x[i]) && isfinite(y[i])) fig_mark(cr, m, fig_ax_x(a, x[i]), fig_ax_y(a, y[i]));
    cairo_restore(cr);
}

void fig_band(cairo_t *cr, const fig_axes *a, const double *x, const double *lo,
              const double *hi, int n, fig_rgb c, double alpha) {
    cairo_save(cr);
    fig_axes_clip(cr, a);
    fig_rgb_set(cr, c, alpha);
    int i = 0;
    while (i < n) {
        while (i < n && !(isfinite(x[i]) && isfinite(lo[i]) && isfinite(hi[i]))) i++;
        int j = i;
        while (j < n && isfinite(x[j]) && isfinite(lo[j]) && isfinite(hi[j])) j++;
        if (j - i >= 2) {
            cairo_move_to(cr, fig_ax_x(a, x[i]), fig_ax_y(a, hi[i]));
            for (int k = i + 1; k < j; k++)
                cairo_line_to(cr, fig_ax_x(a, x[k]), fig_ax_y(a, hi[k]));
            for (int k = j - 1; k >= i; k--)
                cairo_line_to(cr, fig_ax_x(a, x[k]), fig_ax_y(a, lo[k]));
            cairo_close_path(cr);
            cairo_fill(cr);
        }
        i = j;
    }
    cairo_restore(cr);
}

void fig_bars(cairo_t *cr, const fig_axes *a, const double *edges, const double *v, int n,
              double f0, double f1, fig_rgb c, double alpha) {
    cairo_save(cr);
    fig_axes_clip(cr, a);
    double base = a->y0 > 0 ? a->y0 : a->y1 < 0 ? a->y1 : 0;
    for (int i = 0; i < n; i++) {
        if (!isfinite(v[i]) || v[i] == base) continue;
        double w = edges[i + 1] - edges[i];
        double x0 = fig_ax_x(a, edges[i] + f0 * w), x1 = fig_ax_x(a, edges[i] + f1 * w);
        double y0 = fig_ax_y(a, base), y1 = fig_ax_y(a, v[i]);
        cairo_rectangle(cr, x0, fmin(y0, y1), x1 - x0, fabs(y1 - y0));
    }
    fig_rgb_set(cr, c, alpha);
    cairo_fill_preserve(cr);
    cairo_set_line_width(cr, 0.4);
    fig_rgb_set(cr, c, 1);
    cairo_stroke(cr);
    cairo_restore(cr);
}

int fig_band_range(const double *y, const double *lo, const double *hi, int n, double frac,
                   double *y0, double *y1) {
    double *all = segp_malloc(sizeof(double) * 3 * (size_t)(n > 0 ? n : 1));
    for (int i = 0; i < n; i++) {
        all[3 * i] = y[i];
        all[3 * i + 1] = lo[i];
        all[3 * i + 2] = hi[i];
    }
    int ok = fig_range(all, 3 * n, frac, y0, y1);
    free(all);
    return ok;
}
