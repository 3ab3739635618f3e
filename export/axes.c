/* axes.c: ranges, ticks, the frame of a plot and its legend (see axes.h). */
#include "export/axes.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/common.h"

#define TICK_LEN 3.0
#define GAP 3.0

int fig_range(const double *v, int n, double frac, double *lo, double *hi) {
    double a = INFINITY, b = -INFINITY;
    for (int i = 0; i < n; i++)
        if (isfinite(v[i])) {
            if (v[i] < a) a = v[i];
            if (v[i] > b) b = v[i];
        }
    if (!(a <= b)) return 0;
    if (a == b) {
        double d = a == 0 ? 1 : fabs(a) * 0.1;
        a -= d;
        b += d;
    } else {
        double d = (b - a) * frac;
        a -= d;
        b += d;
    }
    *lo = a;
    *hi = b;
    return 1;
}

void fig_range_union(double *lo, double *hi, double lo2, double hi2) {
    if (lo2 < *lo) *lo = lo2;
    if (hi2 > *hi) *hi = hi2;
}

/* Ticks at multiples of STEP within [LO, HI]. */
static double tick_count(double lo, double hi, double step) {
    return floor(hi / step + 1e-9) - ceil(lo / step - 1e-9) + 1;
}

/* The next round step below STEP in 1, 2, 2.5, 5 x 10^k. */
static double smaller_step(double step) {
    double p = pow(10, floor(log10(step) + 1e-9)), m = step / p;
    if (m > 5 + 1e-9) return 5 * p;
    if (m > 2.5 + 1e-9) return 2.5 * p;
    if (m > 2 + 1e-9) return 2 * p;
    if (m > 1 + 1e-9) return p;
    return 0.5 * p;
}

int fig_ticks(double lo, double hi, int max_n, int integer, double *ticks, int *decimals) {
    if (max_n < 2) max_n = 2;
    double span = hi - lo;
    if (!(span > 0)) {
        ticks[0] = lo;
        *decimals = 0;
        return 1;
    }
    double raw = span / (max_n - 1);
    double p = pow(10, floor(log10(raw)));
    double step = p;
    const double mult[] = {1, 2, 2.5, 5, 10};
    for (int i = 0; i < 5; i++) {
        step = mult[i] * p;
        if (span / step <= max_n - 1 + 1e-9) break;
    }
    /* at least two ticks where a smaller round step gives them: one value alone gives no scale
     * (a one-column PCA's y axis over [-0.85, 0.89] with room for 3 ticks showed only "0") */
    for (int guard = 0; guard < 8 && tick_count(lo, hi, step) < 2; guard++) {
        double s = smaller_step(step);
        if (integer && s < 1) break;
        step = s;
    }
    if (integer && step < 1) step = 1;
    if (integer) step = ceil(step);
    int dec = step >= 1 ? 0 : (int)ceil(-log10(step) - 1e-9);
    if (fabs(step / pow(10, -dec) - round(step / pow(10, -dec))) > 1e-6) dec++; /* 2.5 steps */
    *decimals = dec;
    int n = 0;
    double first = ceil(lo / step - 1e-9) * step;
    for (double t = first; t <= hi + step * 1e-9 && n < 64; t = first + n * step) {
        ticks[n++] = fabs(t) < step * 1e-9 ? 0 : t;
    }
    return n;
}

double fig_ax_x(const fig_axes *a, double v) {
    return a->px + (v - a->x0) / (a->x1 - a->x0) * a->pw;
}

double fig_ax_y(const fig_axes *a, double v) {
    return a->py + a->ph - (v - a->y0) / (a->y1 - a->y0) * a->ph;
}

void fig_axes_clip(cairo_t *cr, const fig_axes *a) {
    cairo_rectangle(cr, a->px, a->py, a->pw, a->ph);
    cairo_clip(cr);
}

/* The centre of a text TW long near C, moved so that it lies within [LO, HI] (centred when it
 * is longer). */
static double keep_inside(double c, double tw, double lo, double hi) {
    if (tw >= hi - lo) return (lo + hi) / 2;
    if (c - tw / 2 < lo) return lo + tw / 2;
    if (c + tw / 2 > hi) return hi - tw / 2;
    return c;
}

/* What fig_axes_draw lays out before it draws: the title's lines, the ticks. */
typedef struct {
    double tw_room, t_rows;   /* t_rows: the height of the title's lines after the first */
    fig_title t;
    double yt[64], xt[64];
    int ny, nx, ydec, xdec;
} axes_plan;

/* A's plotting rectangle inside (X, Y, W, H) and the plan that gives it; draws nothing. */
static void axes_plan_make(cairo_t *cr, fig_axes *a, double x, double y, double w, double h,
                           axes_plan *p) {
    if (!(a->x1 > a->x0)) a->x1 = a->x0 + 1;
    if (!(a->y1 > a->y0)) a->y1 = a->y0 + 1;
    /* every part keeps FIG_MARGIN inside the box: the y label's ascenders, the x label's
     * descenders and the last x tick's value reached within 1.4-2 pt of the figure's edge */
    const double m = FIG_MARGIN;
    double top = y + 4, left = x + m, bottom = y + h - m, right = x + w - 8;
    /* the title: its lines first, at the title's size (shrunk to fit a one-column figure,
     * the drift figure's came out at 7 pt); each line after the first takes a row more */
    p->tw_room = a->text_w > w ? a->text_w : w;
    p->t_rows = 0;
    if (fig_title_wrap(cr, a->title, p->tw_room - 2 * m, &p->t)) {
        int rows = p->t.n > a->title_lines ? p->t.n : a->title_lines;
        if (rows > FIG_TITLE_MAX_LINES) rows = FIG_TITLE_MAX_LINES;
        p->t_rows = (rows - 1) * FIG_TITLE_LEAD;
        top += FIG_FS_TITLE * 1.6 + p->t_rows;
    }
    if (a->xlabel && *a->xlabel) bottom -= FIG_FS_LABEL * 1.4;
    if (a->ylabel && *a->ylabel) left += FIG_FS_LABEL * (1.4 + FIG_EM_OVER);
    bottom -= TICK_LEN + GAP + FIG_FS_TICK;

    /* y ticks first: their widest value sets the left margin */
    double *yt = p->yt, *xt = p->xt;
    int max_y = (int)fmax(3, fmin(9, (bottom - top) / (FIG_FS_TICK * 3.2)));
    const int ny = p->ny = fig_ticks(a->y0, a->y1, max_y, 0, yt, &p->ydec);
    fig_font(cr, FIG_FS_TICK, 0);
    char buf[64];
    double wmax = 0;
    for (int i = 0; i < ny; i++) {
        fig_format_num(buf, sizeof buf, yt[i], p->ydec);
        double tw = fig_text_width(cr, buf);
        if (tw > wmax) wmax = tw;
    }
    left += fmax(wmax, a->tick_w_min) + GAP + TICK_LEN;
    a->px = left;
    a->py = top;
    a->ph = fmax(10, bottom - top);

    /* x ticks: the plot narrows where the last value, centred on its tick, would reach into
     * the margin (it moves left by less than the plot narrows: a few rounds) */
    int nx = 0, xdec = 0;
    for (int round = 0;; round++) {
        a->pw = fmax(10, right - left);
        int max_x = (int)fmax(3, fmin(11, a->pw / (FIG_FS_TICK * 4.5)));
        nx = fig_ticks(a->x0, a->x1, max_x, a->integer_x, xt, &xdec);
        /* task axes: every integer when few enough */
        if (a->integer_x && a->x1 - a->x0 <= 20 &&
            a->pw / (a->x1 - a->x0 + 1) > FIG_FS_TICK * 1.6) {
            nx = 0;
            for (double t = ceil(a->x0); t <= a->x1 && nx < 64; t += 1) xt[nx++] = t;
            xdec = 0;
        }
        double over = 0;
        for (int i = 0; i < nx; i++) {
            fig_format_num(buf, sizeof buf, xt[i], xdec);
            over = fmax(over, fig_ax_x(a, xt[i]) + fig_text_width(cr, buf) / 2 - (x + w - m));
        }
        if (over <= 1e-9 || a->pw <= 10 || round == 5) break;
        right -= over;
    }
    p->nx = nx;
    p->xdec = xdec;
}

void fig_axes_layout(cairo_t *cr, fig_axes *a, double x, double y, double w, double h) {
    axes_plan p;
    axes_plan_make(cr, a, x, y, w, h, &p);
}

void fig_axes_draw(cairo_t *cr, fig_axes *a, double x, double y, double w, double h) {
    axes_plan p;
    axes_plan_make(cr, a, x, y, w, h, &p);
    const double m = FIG_MARGIN, tw_room = p.tw_room, t_rows = p.t_rows;
    const double *yt = p.yt, *xt = p.xt;
    const int ny = p.ny, nx = p.nx, ydec = p.ydec, xdec = p.xdec;
    char buf[64];

    if (a->grid) {
        cairo_set_line_width(cr, 0.4);
        cairo_set_source_rgb(cr, 0.88, 0.88, 0.88);
        for (int i = 0; i < ny; i++) {
            double py = fig_ax_y(a, yt[i]);
            cairo_move_to(cr, a->px, py);
            cairo_line_to(cr, a->px + a->pw, py);
        }
        for (int i = 0; i < nx; i++) {
            double px = fig_ax_x(a, xt[i]);
            cairo_move_to(cr, px, a->py);
            cairo_line_to(cr, px, a->py + a->ph);
        }
        cairo_stroke(cr);
    }

    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_set_line_width(cr, 0.7);
    cairo_rectangle(cr, a->px, a->py, a->pw, a->ph);
    cairo_stroke(cr);
    cairo_set_line_width(cr, 0.6);
    for (int i = 0; i < ny; i++) {
        double py = fig_ax_y(a, yt[i]);
        cairo_move_to(cr, a->px, py);
        cairo_line_to(cr, a->px - TICK_LEN, py);
        cairo_stroke(cr);
        fig_format_num(buf, sizeof buf, yt[i], ydec);
        fig_text(cr, a->px - TICK_LEN - GAP, py, 1, 0.5, 0, buf);
    }
    for (int i = 0; i < nx; i++) {
        double px = fig_ax_x(a, xt[i]);
        cairo_move_to(cr, px, a->py + a->ph);
        cairo_line_to(cr, px, a->py + a->ph + TICK_LEN);
        cairo_stroke(cr);
        fig_format_num(buf, sizeof buf, xt[i], xdec);
        fig_text(cr, px, a->py + a->ph + TICK_LEN + GAP, 0.5, 0, 0, buf);
    }
    /* labels shrink (to 60%) and move to stay inside the figure: a small figure cut them at
     * its edges */
    /* the y label lies between the title's rows and the x label's */
    double ylo = p.t.n ? y + 4 + FIG_FS_TITLE * 1.3 + t_rows : y + m;
    double yhi = a->py + a->ph + TICK_LEN + GAP + FIG_FS_TICK;
    const char *xl = a->xlabel, *yl = a->ylabel;
    fig_font(cr, FIG_FS_LABEL, 0);
    if ((xl && *xl && fig_text_width(cr, xl) > tw_room - 2 * m && a->xlabel_short) ||
        (yl && *yl && fig_text_width(cr, yl) > yhi - ylo && a->ylabel_short)) {
        if (a->xlabel_short) xl = a->xlabel_short;
        if (a->ylabel_short) yl = a->ylabel_short;
    }
    if (xl && *xl) {
        fig_font_fit(cr, xl, FIG_FS_LABEL, 0, tw_room - 2 * m);
        double cx = keep_inside(a->px + a->pw / 2, fig_text_width(cr, xl), x + m,
                                x + tw_room - m);
        fig_text(cr, cx, y + h - m, 0.5, 1, 0, xl);
    }
    if (yl && *yl) {
        fig_font_fit(cr, yl, FIG_FS_LABEL, 0, yhi - ylo);
        double cy = keep_inside(a->py + a->ph / 2, fig_text_width(cr, yl), ylo, yhi);
        /* the capitals' side outwards: the ascenders' ink at the margin */
        fig_text(cr, x + m + FIG_FS_LABEL * FIG_EM_OVER, cy, 0.5, 0, -M_PI / 2, yl);
    }
    if (p.t.n) {
        /* centred over the plot, or over the whole width where a line is wider than the plot */
        double cx = p.t.width > a->pw || p.t.n > 1 ? x + tw_room / 2 : a->px + a->pw / 2;
        fig_title_draw(cr, &p.t, cx, x + m, x + tw_room - m, y + 4);
    }
}

void fig_axes_vline(cairo_t *cr, const fig_axes *a, double x) {
    if (x < a->x0 || x > a->x1) return;
    double px = fig_ax_x(a, x);
    const double dash[] = {3, 2};
    cairo_save(cr);
    cairo_set_dash(cr, dash, 2, 0);
    cairo_set_line_width(cr, 0.7);
    cairo_set_source_rgb(cr, 0.45, 0.45, 0.45);
    cairo_move_to(cr, px, a->py);
    cairo_line_to(cr, px, a->py + a->ph);
    cairo_stroke(cr);
    cairo_restore(cr);
}

/* The legend box at font size FS (its padding, samples and rows scale with it), its items in
 * COLS columns filled row by row. */
static void legend_box(cairo_t *cr, const fig_legend_item *it, int n, int cols, double x,
                       double y, int draw, double fs, double *w_out, double *h_out) {
    const double k = fs / FIG_FS_LEGEND, pad = 4.0 * k, sample = 16.0 * k, row = fs * 1.45;
    if (cols < 1) cols = 1;
    const int rows = (n + cols - 1) / cols;
    fig_font(cr, fs, 0);
    double tw = 0;
    for (int i = 0; i < n; i++) tw = fmax(tw, fig_text_width(cr, it[i].label));
    const double col_w = pad * 2 + sample + tw;
    double w = pad + cols * col_w, h = pad * 2 + rows * row;
    if (w_out) *w_out = w;
    if (h_out) *h_out = h;
    if (!draw) return;
    fig_text_log_legend(cr, x, y, w, h);
    cairo_rectangle(cr, x, y, w, h);
    cairo_set_source_rgba(cr, 1, 1, 1, 0.88);
    cairo_fill_preserve(cr);
    cairo_set_source_rgb(cr, 0.7, 0.7, 0.7);
    cairo_set_line_width(cr, 0.5);
    cairo_stroke(cr);
    for (int i = 0; i < n; i++) {
        double cy = y + pad + (i / cols + 0.5) * row, sx = x + pad + (i % cols) * col_w;
        if (it[i].band) {
            fig_rgb_set(cr, it[i].color, 0.25);
            cairo_rectangle(cr, sx, cy - fs * 0.45, sample, fs * 0.9);
            cairo_fill(cr);
        }
        if (it[i].line) {
            const double dash[] = {3.5, 2};
            cairo_save(cr);
            if (it[i].dashed) cairo_set_dash(cr, dash, 2, 0);
            cairo_set_line_width(cr, 1.4);
            fig_rgb_set(cr, it[i].color, 1);
            cairo_move_to(cr, sx, cy);
            cairo_line_to(cr, sx + sample, cy);
            cairo_stroke(cr);
            cairo_restore(cr);
        }
        if (it[i].mark.shape != FIG_M_NONE) {
            fig_mark_style m = it[i].mark;
            if (m.alpha < 0.6) m.alpha = 0.8; /* a faint point in the plot, readable here */
            if (m.size < 4) m.size = 4;
            fig_mark_sample(cr, &m, sx + sample / 2, cy);
        }
        cairo_set_source_rgb(cr, 0, 0, 0);
        fig_font(cr, fs, 0);
        fig_text(cr, sx + sample + pad, cy, 0, 0.5, 0, it[i].label);
    }
}

void fig_legend_at(cairo_t *cr, const fig_legend_item *it, int n, int cols, double max_w,
                   double x, double y, int draw, double *w_out, double *h_out) {
    double fs = FIG_FS_LEGEND, w;
    legend_box(cr, it, n, cols, x, y, 0, fs, &w, NULL);
    if (max_w > 0 && w > max_w) fs = fmax(FIG_FS_LEGEND * 0.6, FIG_FS_LEGEND * max_w / w);
    legend_box(cr, it, n, cols, x, y, draw, fs, w_out, h_out);
}

/* IT's labels, or their short forms (where set) when SHRT; into OUT. */
static void legend_labels(const fig_legend_item *it, int n, int shrt, fig_legend_item *out) {
    for (int i = 0; i < n; i++) {
        out[i] = it[i];
        if (shrt && it[i].label_short) out[i].label = it[i].label_short;
    }
}

int fig_legend_fit(cairo_t *cr, fig_legend_item *it, int n, int max_cols, double max_w) {
    if (n <= 0) return 1;
    fig_legend_item *t = segp_malloc(sizeof *t * (size_t)n);
    int cols = max_cols < 1 ? 1 : max_cols, fit = 0;
    /* fewer columns before smaller type: shrunk to fit two columns, a one-column figure's
     * legends came out at 6.4-7.4 pt, unreadable in print */
    for (int c = cols; c >= 1 && !fit; c--)
        for (int shrt = 0; shrt < 2 && !fit; shrt++) {
            legend_labels(it, n, shrt, t);
            double w;
            legend_box(cr, t, n, c, 0, 0, 0, FIG_FS_LEGEND, &w, NULL);
            if (w <= max_w) {
                fit = 1;
                cols = c;
                legend_labels(it, n, shrt, it);
            }
        }
    if (!fit) legend_labels(it, n, 1, it);
    free(t);
    return cols;
}

/* Inside a plot: the legend's distance from the frame, and how far beyond the legend's box a
 * point counts as hidden (the 5 pt markers reach 3.3 pt from their centre: triangles' tips). */
#define LEGEND_INSET 5.0
#define LEGEND_REACH 3.5

/* The legend inside A: its type size and box (smaller type where it is wider than the plot),
 * its four corner positions (top left, top right, bottom left, bottom right) and how many of
 * the NP points (page coordinates; NULL: none) each hides. */
typedef struct {
    double fs, w, h, cx[4], cy[4];
    long hidden[4];
} legend_spots;

static void legend_spots_make(cairo_t *cr, const fig_axes *a, const fig_legend_item *it, int n,
                              const double *px, const double *py, int np, legend_spots *L) {
    const double m = LEGEND_INSET, r = LEGEND_REACH;
    L->fs = FIG_FS_LEGEND;
    legend_box(cr, it, n, 1, 0, 0, 0, L->fs, &L->w, &L->h);
    /* a legend wider than a small plot ran out of it (and out of the figure): smaller type */
    if (L->w > a->pw - 2 * m) {
        L->fs = fmax(FIG_FS_LEGEND * 0.6, FIG_FS_LEGEND * (a->pw - 2 * m) / L->w);
        legend_box(cr, it, n, 1, 0, 0, 0, L->fs, &L->w, &L->h);
    }
    for (int c = 0; c < 4; c++) {
        L->cx[c] = c & 1 ? a->px + a->pw - m - L->w : a->px + m;
        L->cy[c] = c & 2 ? a->py + a->ph - m - L->h : a->py + m;
        L->hidden[c] = 0;
        for (int i = 0; px && py && i < np; i++)
            L->hidden[c] += px[i] >= L->cx[c] - r && px[i] <= L->cx[c] + L->w + r &&
                            py[i] >= L->cy[c] - r && py[i] <= L->cy[c] + L->h + r;
    }
}

void fig_legend(cairo_t *cr, const fig_axes *a, const fig_legend_item *it, int n,
                const double *px, const double *py, int n_pts, double box[4]) {
    if (box) box[0] = box[1] = box[2] = box[3] = 0;
    if (n <= 0) return;
    legend_spots L;
    legend_spots_make(cr, a, it, n, px, py, n_pts, &L);
    int best = 0;
    for (int c = 1; c < 4; c++)
        if (L.hidden[c] < L.hidden[best]) best = c;
    legend_box(cr, it, n, 1, L.cx[best], L.cy[best], 1, L.fs, NULL, NULL);
    if (box) {
        box[0] = L.cx[best];
        box[1] = L.cy[best];
        box[2] = L.w;
        box[3] = L.h;
    }
}

double fig_legend_headroom(cairo_t *cr, const fig_axes *a, const fig_legend_item *it, int n,
                           const double *x, const double *y, int np) {
    if (n <= 0 || np <= 0) return a->y1;
    double *px = segp_malloc(sizeof(double) * (size_t)np);
    double *py = segp_malloc(sizeof(double) * (size_t)np);
    for (int i = 0; i < np; i++) {
        px[i] = fig_ax_x(a, x[i]);
        py[i] = fig_ax_y(a, y[i]);
    }
    legend_spots L;
    legend_spots_make(cr, a, it, n, px, py, np, &L);
    double need = a->y1;
    if (L.hidden[0] && L.hidden[1] && L.hidden[2] && L.hidden[3]) {
        /* a value V lies below the legend when (Y1 - V) / (Y1 - Y0) of the plot's height is
         * more than the legend's bottom: Y1 >= (V - F Y0) / (1 - F), F that fraction (a
         * little more, so that no point sits on the edge) */
        const double f = (LEGEND_INSET + L.h + LEGEND_REACH + 0.5) / a->ph;
        need = INFINITY;
        for (int c = 0; c < 2 && f < 0.9; c++) {
            double y1 = a->y1;
            for (int i = 0; i < np; i++)
                if (isfinite(y[i]) && px[i] >= L.cx[c] - LEGEND_REACH &&
                    px[i] <= L.cx[c] + L.w + LEGEND_REACH)
                    y1 = fmax(y1, (y[i] - f * a->y0) / (1 - f));
            need = fmin(need, y1);
        }
        if (!isfinite(need)) need = a->y1; /* a legend taller than the plot: as it is */
    }
    free(px);
    free(py);
    return need;
}
