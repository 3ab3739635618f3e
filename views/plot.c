/* plot.c: the plot primitives of canvas.h (axes with nice ticks, curves, scatter, heatmap,
 * colour bar, histogram, horizontal bars, legend, image): pure functions of arrays into a
 * rectangle of a canvas. Resolution follows the charset: braille 2x4 dots per cell, half
 * blocks 1x2, ASCII one mark per cell. */
#include "views/canvas.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define BRAILLE_BASE 0x2800u
#define HALF_UPPER 0x2580u
#define HALF_LOWER 0x2584u
#define FULL_BLOCK 0x2588u

static int is_braille(uint32_t ch) { return ch >= BRAILLE_BASE && ch <= BRAILLE_BASE + 0xff; }

static tcell *cell_at(tcanvas *c, int x, int y) {
    if (x < 0 || y < 0 || x >= c->w || y >= c->h) return NULL;
    return &c->cells[(size_t)y * c->w + x];
}

/* ---- axes ---- */

typedef struct {
    trect p;               /* the cells data is drawn in */
    double x0, x1, y0, y1; /* the value ranges they span */
} frame;

#define MAX_TICKS 32

/* A step of 1, 2 or 5 x 10^k giving about N ticks over SPAN. */
static double nice_step(double span, int n) {
    if (n < 1) n = 1;
    double raw = span / n;
    if (!(raw > 0) || !isfinite(raw)) return 1;
    double mag = pow(10, floor(log10(raw)));
    double f = raw / mag;
    return (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * mag;
}

/* The ticks of about N steps over LO..HI, and those up to SLACK outside it: a value that lands
 * on the first or last row or column belongs to the axis (a loss from 1e-7 to 0.48 had no 0
 * on its axis, which began at 0.05 two rows above the bottom). */
static int ticks(double lo, double hi, int n, int integer, double slack, double *out,
                 int *decimals, double *step_out) {
    double step = nice_step(hi - lo, n);
    if (integer && step < 1) step = 1;
    *step_out = step;
    *decimals = step >= 1 ? 0 : (int)ceil(-log10(step) - 1e-9);
    if (*decimals > 6) *decimals = 6;
    if (!(slack >= 0)) slack = 0;
    if (slack > 0.499 * step) slack = 0.499 * step; /* never two ticks for one edge */
    int k = 0;
    for (double v = ceil((lo - slack) / step - 1e-9) * step;
         v <= hi + slack + step * 1e-9 && k < MAX_TICKS; v += step)
        out[k++] = fabs(v) < step * 1e-9 ? 0 : v;
    return k;
}

/* The value range of a little under half a cell of N cells over LO..HI: a tick that far
 * outside still rounds onto the edge cell. */
static double half_cell(double lo, double hi, int n) {
    return n > 1 ? 0.499 * (hi - lo) / (n - 1) : 0;
}

/* A tick's label: fixed-point, or (a step below 1e-4 or a value from 1e6 on) in exponent form
 * with the digits the step needs, as 6 decimals made 8e-07 and 1e-06 both "0.000001". */
static void tick_label(char *s, size_t n, double v, double step, int decimals) {
    double a = fabs(v);
    if (step >= 1e-4 && a < 1e6) {
        snprintf(s, n, "%.*f", decimals, v);
        return;
    }
    if (v == 0) {
        snprintf(s, n, "0");
        return;
    }
    int p = (int)floor(log10(a) + 1e-9) - (int)floor(log10(step) + 1e-9);
    snprintf(s, n, "%.*e", p < 0 ? 0 : p > 6 ? 6 : p, v);
    char *e = strchr(s, 'e'); /* e-07 -> e-7 */
    if (!e) return;
    char *d = e + 1 + (e[1] == '-' || e[1] == '+'), *z = d;
    while (z[0] == '0' && z[1]) z++;
    memmove(d, z, strlen(z) + 1);
    if (e[1] == '+') memmove(e + 1, e + 2, strlen(e + 2) + 1);
}

static void fit_range(double *lo, double *hi, double dlo, double dhi) {
    if (*lo == *hi || !isfinite(*lo) || !isfinite(*hi)) {
        *lo = dlo;
        *hi = dhi;
    }
    if (!isfinite(*lo) || !isfinite(*hi)) *lo = 0, *hi = 1;
    if (*lo == *hi) {
        double d = fabs(*lo) > 0 ? fabs(*lo) * 0.5 : 0.5;
        *lo -= d;
        *hi += d;
    }
    if (*lo > *hi) {
        double t = *lo;
        *lo = *hi;
        *hi = t;
    }
}

/* Draws the axes of AX into R for data spanning DX0..DX1 x DY0..DY1 and returns where the data
 * goes. Too small a rectangle for axes plots bare. */
static frame axes_frame(tcanvas *c, trect r, const plot_axes *ax, double dx0, double dx1,
                        double dy0, double dy1) {
    plot_axes a = {0};
    if (ax) a = *ax;
    frame f = {r, a.x0, a.x1, a.y0, a.y1};
    fit_range(&f.x0, &f.x1, dx0, dx1);
    fit_range(&f.y0, &f.y1, dy0, dy1);
    if (a.bare) return f;

    int top = r.y + (a.ylabel ? 1 : 0);
    int axis_row = r.y + r.h - 2 - (a.xlabel ? 1 : 0);
    int ah = axis_row - top;
    if (ah < 1) return f;

    double yt[MAX_TICKS], xt[MAX_TICKS];
    int ydec, xdec;
    double ystep, xstep;
    int ny = ticks(f.y0, f.y1, a.y_ticks > 0 ? a.y_ticks : (ah >= 6 ? ah / 3 : 2), 0,
                   half_cell(f.y0, f.y1, ah), yt, &ydec, &ystep);
    char lab[MAX_TICKS][24];
    int lw = 1;
    for (int i = 0; i < ny; i++) {
        tick_label(lab[i], sizeof lab[i], yt[i], ystep, ydec);
        int l = (int)strlen(lab[i]);
        if (l > lw) lw = l;
    }
    int left = r.x + lw + 1;
    int aw = r.x + r.w - left;
    if (aw < 2) return f;

    int ascii = c->cs == CHARSET_ASCII, dim = color_dim(c);
    if (a.ylabel) canvas_text(c, r.x, r.y, r.w, a.ylabel, dim, COL_DEFAULT, 0);
    for (int y = top; y < axis_row; y++)
        canvas_put(c, left - 1, y, ascii ? '|' : 0x2502, dim, COL_DEFAULT, 0);
    canvas_put(c, left - 1, axis_row, ascii ? '+' : 0x2514, dim, COL_DEFAULT, 0);
    for (int x = left; x < r.x + r.w; x++)
        canvas_put(c, x, axis_row, ascii ? '-' : 0x2500, dim, COL_DEFAULT, 0);

    int last_row = -1;
    for (int i = 0; i < ny; i++) {
        int row = top + (int)lround((f.y1 - yt[i]) / (f.y1 - f.y0) * (ah - 1));
        if (row == last_row || row < top || row >= axis_row) continue;
        last_row = row;
        int l = (int)strlen(lab[i]);
        canvas_text(c, left - 1 - l, row, l, lab[i], dim, COL_DEFAULT, 0);
        canvas_put(c, left - 1, row, ascii ? '+' : 0x2524, dim, COL_DEFAULT, 0);
    }

    int want = a.x_ticks > 0 ? a.x_ticks : (aw >= 18 ? aw / 9 : 2);
    if (a.x_ticks <= 0 && a.integer_x && (f.x1 - f.x0) * 3 <= aw) want = (int)(f.x1 - f.x0);
    int nx =
        ticks(f.x0, f.x1, want, a.integer_x, half_cell(f.x0, f.x1, aw), xt, &xdec, &xstep);
    int free_from = r.x;
    for (int i = 0; i < nx; i++) {
        int col = left + (int)lround((xt[i] - f.x0) / (f.x1 - f.x0) * (aw - 1));
        if (col < left || col >= left + aw) continue;
        char s[24];
        tick_label(s, sizeof s, xt[i], xstep, xdec);
        int l = (int)strlen(s);
        int x = col - l / 2;
        if (x + l > r.x + r.w) x = r.x + r.w - l;
        if (x < free_from) continue;
        canvas_put(c, col, axis_row, ascii ? '+' : 0x252c, dim, COL_DEFAULT, 0);
        canvas_text(c, x, axis_row + 1, l, s, dim, COL_DEFAULT, 0);
        free_from = x + l + 1;
    }
    if (a.xlabel) {
        int l = utf8_cells(a.xlabel);
        if (l > r.w) l = r.w;
        canvas_text(c, r.x + r.w - l, axis_row + 2, l, a.xlabel, dim, COL_DEFAULT, 0);
    }
    f.p = (trect){left, top, aw, ah};
    return f;
}

/* ---- dots at sub-cell resolution ---- */

typedef struct {
    tcanvas *c;
    trect p;
    int sx, sy;  /* dots per cell */
    int pw, ph;  /* dots in the plot */
} dots;

static dots dots_for(tcanvas *c, trect p, int cell_res) {
    dots d = {c, p, 1, 1, 0, 0};
    if (!cell_res && c->cs == CHARSET_UNICODE) d.sx = 2, d.sy = 4;
    else if (!cell_res && c->cs == CHARSET_BLOCK) d.sy = 2;
    d.pw = p.w * d.sx;
    d.ph = p.h * d.sy;
    return d;
}

static const uint8_t braille_bit[4][2] = {{0x01, 0x08}, {0x02, 0x10}, {0x04, 0x20}, {0x40, 0x80}};

/* Sets dot (PX, PY) (0, 0 top left) in COLOR; MARK is the cell glyph at cell resolution. */
static void dot(dots *d, int px, int py, int color, uint32_t mark) {
    if (px < 0 || py < 0 || px >= d->pw || py >= d->ph) return;
    int x = d->p.x + px / d->sx, y = d->p.y + py / d->sy;
    tcell *t = cell_at(d->c, x, y);
    if (!t) return;
    if (d->sx == 2) {
        uint32_t bits = is_braille(t->ch) ? t->ch - BRAILLE_BASE : 0;
        bits |= braille_bit[py % 4][px % 2];
        t->ch = BRAILLE_BASE + bits;
    } else if (d->sy == 2) {
        int top = t->ch == HALF_UPPER || t->ch == FULL_BLOCK;
        int bot = t->ch == HALF_LOWER || t->ch == FULL_BLOCK;
        if (py % 2) bot = 1;
        else top = 1;
        t->ch = top && bot ? FULL_BLOCK : top ? HALF_UPPER : HALF_LOWER;
    } else {
        t->ch = mark;
    }
    t->fg = (int16_t)color;
    t->bg = COL_DEFAULT;
    t->attr = 0;
}

static void line(dots *d, int x0, int y0, int x1, int y1, int color, uint32_t mark) {
    int dx = x1 > x0 ? x1 - x0 : x0 - x1, sx = x0 < x1 ? 1 : -1;
    int dy = y1 > y0 ? y0 - y1 : y1 - y0, sy = y0 < y1 ? 1 : -1;
    int err = dx + dy;
    for (;;) {
        dot(d, x0, y0, color, mark);
        if (x0 == x1 && y0 == y1) break;
        int e2 = 2 * err;
        if (e2 >= dy) err += dy, x0 += sx;
        if (e2 <= dx) err += dx, y0 += sy;
    }
}

/* Dot coordinate of value V over LO..HI in N dots (FLIP: high values at the top), clamped far
 * outside so that lines to outliers stay cheap. */
static int to_dot(double v, double lo, double hi, int n, int flip) {
    double t = (v - lo) / (hi - lo);
    if (flip) t = 1 - t;
    double p = t * (n - 1);
    if (p < -2.0 * n) p = -2.0 * n;
    if (p > 3.0 * n) p = 3.0 * n;
    return (int)lround(p);
}

/* Widens LO..HI to the finite values of V [n] (V NULL: the indices 1..n). */
static void widen(const float *v, int n, double *lo, double *hi) {
    for (int i = 0; i < n; i++) {
        double a = v ? v[i] : i + 1;
        if (!isfinite(a)) continue;
        if (a < *lo) *lo = a;
        if (a > *hi) *hi = a;
    }
}

/* ---- curves ---- */

void plot_curves(tcanvas *c, trect r, const plot_series *s, int n_series, const plot_axes *ax) {
    double xlo = INFINITY, xhi = -INFINITY, ylo = INFINITY, yhi = -INFINITY;
    for (int k = 0; k < n_series; k++) {
        widen(s[k].x, s[k].n, &xlo, &xhi);
        widen(s[k].y, s[k].n, &ylo, &yhi);
    }
    frame f = axes_frame(c, r, ax, xlo, xhi, ylo, yhi);
    if (f.p.w < 1 || f.p.h < 1) return;
    int ascii = c->cs == CHARSET_ASCII;
    /* In ASCII a cell holds one series' glyph, so a series drawn later hides the ones under
     * it: the series go in reverse, the first (the legend's first, the main one) on top */
    for (int kk = 0; kk < n_series; kk++) {
        int k = ascii ? n_series - 1 - kk : kk;
        dots d = dots_for(c, f.p, 0);
        uint32_t mark = s[k].mark ? s[k].mark : '*';
        int px_prev = 0, py_prev = 0, have_prev = 0;
        for (int i = 0; i < s[k].n; i++) {
            double xv = s[k].x ? s[k].x[i] : i + 1, yv = s[k].y[i];
            if (!isfinite(xv) || !isfinite(yv)) {
                have_prev = 0;
                continue;
            }
            int px = to_dot(xv, f.x0, f.x1, d.pw, 0), py = to_dot(yv, f.y0, f.y1, d.ph, 1);
            if (have_prev) line(&d, px_prev, py_prev, px, py, s[k].color, mark);
            else dot(&d, px, py, s[k].color, mark);
            px_prev = px, py_prev = py, have_prev = 1;
        }
        if (ascii) continue;
        /* marks: at every point of a sparse series, or spaced along any series without colour */
        int every = 0;
        if (s[k].mark && s[k].n <= f.p.w / 2) every = 1;
        else if (c->colors == COLORS_NONE && n_series > 1 && f.p.w >= 8)
            every = s[k].n / (f.p.w / 8) + 1;
        if (!every) continue;
        dots cd = dots_for(c, f.p, 1);
        for (int i = every > 1 ? every / 2 : 0; i < s[k].n; i += every) {
            double xv = s[k].x ? s[k].x[i] : i + 1, yv = s[k].y[i];
            if (!isfinite(xv) || !isfinite(yv)) continue;
            dot(&cd, to_dot(xv, f.x0, f.x1, cd.pw, 0), to_dot(yv, f.y0, f.y1, cd.ph, 1),
                s[k].color, mark);
        }
    }
    if (!ascii) return;
    /* then every series' own points over all the lines (again the first on top): a curve
     * hidden under another's line still shows where its values are */
    for (int k = n_series - 1; k >= 0; k--) {
        dots d = dots_for(c, f.p, 1);
        for (int i = 0; i < s[k].n; i++) {
            double xv = s[k].x ? s[k].x[i] : i + 1, yv = s[k].y[i];
            if (!isfinite(xv) || !isfinite(yv)) continue;
            dot(&d, to_dot(xv, f.x0, f.x1, d.pw, 0), to_dot(yv, f.y0, f.y1, d.ph, 1),
                s[k].color, s[k].mark ? s[k].mark : '*');
        }
    }
}

/* ---- scatter ---- */

void plot_scatter(tcanvas *c, trect r, const float *xy, int n, const int *color,
                  const uint32_t *glyph, const uint8_t *hide, const plot_axes *ax) {
    double xlo = INFINITY, xhi = -INFINITY, ylo = INFINITY, yhi = -INFINITY;
    for (int i = 0; i < n; i++) {
        if (hide && hide[i]) continue;
        double x = xy[2 * i], y = xy[2 * i + 1];
        if (!isfinite(x) || !isfinite(y)) continue;
        if (x < xlo) xlo = x;
        if (x > xhi) xhi = x;
        if (y < ylo) ylo = y;
        if (y > yhi) yhi = y;
    }
    frame f = axes_frame(c, r, ax, xlo, xhi, ylo, yhi);
    if (f.p.w < 1 || f.p.h < 1) return;
    dots d = dots_for(c, f.p, c->cs != CHARSET_UNICODE);
    dots cd = dots_for(c, f.p, 1);
    /* dots first, glyphs over them */
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < n; i++) {
            if (hide && hide[i]) continue;
            uint32_t g = glyph ? glyph[i] : 0;
            if ((pass == 0) != (g == 0)) continue;
            double x = xy[2 * i], y = xy[2 * i + 1];
            if (!isfinite(x) || !isfinite(y)) continue;
            if (x < f.x0 || x > f.x1 || y < f.y0 || y > f.y1) continue;
            int col = color ? color[i] : color_fg(c);
            dots *u = g ? &cd : &d;
            dot(u, to_dot(x, f.x0, f.x1, u->pw, 0), to_dot(y, f.y0, f.y1, u->ph, 1), col,
                g ? g : '.');
        }
}

/* ---- heatmap ---- */

int heatmap_rows_per_line(const tcanvas *c) {
    return c->cs != CHARSET_ASCII && c->colors != COLORS_NONE ? 2 : 1;
}

static double unit(double v, double lo, double hi) {
    if (isnan(v)) return NAN;
    if (hi == lo) return 0.5;
    double t = (v - lo) / (hi - lo);
    return t < 0 ? 0 : t > 1 ? 1 : t;
}

int plot_heatmap(tcanvas *c, trect r, const float *m, int rows, int cols, int row0, int col0,
                 int cell_w, double lo, double hi, colormap cm) {
    if (cell_w < 1) cell_w = 1;
    if (row0 < 0) row0 = 0;
    if (col0 < 0) col0 = 0;
    int per = heatmap_rows_per_line(c);
    int shown = 0;
    for (int ty = 0; ty < r.h; ty++) {
        int i0 = row0 + ty * per;
        if (i0 >= rows) break;
        shown = i0 + per <= rows ? i0 + per - row0 : rows - row0;
        for (int tx = 0; tx < r.w; tx++) {
            int j = col0 + tx / cell_w;
            if (j >= cols) break;
            double top = unit(m[(size_t)i0 * cols + j], lo, hi);
            if (per == 1) {
                uint32_t ch = shade_char(c, top);
                int fg = c->colors == COLORS_NONE ? COL_DEFAULT : cmap_color(cm, top);
                canvas_put(c, r.x + tx, r.y + ty, ch, fg, COL_DEFAULT, 0);
                continue;
            }
            double bot = i0 + 1 < rows ? unit(m[(size_t)(i0 + 1) * cols + j], lo, hi) : NAN;
            if (isnan(top) && isnan(bot))
                canvas_put(c, r.x + tx, r.y + ty, ' ', COL_DEFAULT, COL_DEFAULT, 0);
            else if (isnan(top))
                canvas_put(c, r.x + tx, r.y + ty, HALF_LOWER, cmap_color(cm, bot), COL_DEFAULT, 0);
            else
                canvas_put(c, r.x + tx, r.y + ty, HALF_UPPER, cmap_color(cm, top),
                           cmap_color(cm, bot), 0);
        }
    }
    return shown;
}

void plot_colorbar(tcanvas *c, trect r, double lo, double hi, colormap cm) {
    if (r.w < 1 || r.h < 1) return;
    for (int x = 0; x < r.w; x++) {
        double t = r.w > 1 ? (double)x / (r.w - 1) : 0.5;
        if (c->colors == COLORS_NONE || c->cs == CHARSET_ASCII)
            canvas_put(c, r.x + x, r.y, shade_char(c, t),
                       c->colors == COLORS_NONE ? COL_DEFAULT : cmap_color(cm, t), COL_DEFAULT, 0);
        else
            canvas_put(c, r.x + x, r.y, FULL_BLOCK, cmap_color(cm, t), COL_DEFAULT, 0);
    }
    if (r.h < 2) return;
    char a[32], b[32], m[32];
    snprintf(a, sizeof a, "%.3g", lo);
    snprintf(b, sizeof b, "%.3g", hi);
    snprintf(m, sizeof m, "%.3g", (lo + hi) / 2);
    int dim = color_fg(c);
    int la = (int)strlen(a), lb = (int)strlen(b), lm = (int)strlen(m);
    canvas_text(c, r.x, r.y + 1, r.w, a, dim, COL_DEFAULT, 0);
    int mx = r.x + (r.w - lm) / 2;
    if (mx > r.x + la && mx + lm < r.x + r.w - lb) canvas_text(c, mx, r.y + 1, lm, m, dim,
                                                               COL_DEFAULT, 0);
    if (la + lb + 1 <= r.w) canvas_text(c, r.x + r.w - lb, r.y + 1, lb, b, dim, COL_DEFAULT, 0);
}

/* ---- bars ---- */

void plot_histogram(tcanvas *c, trect r, const float *counts, int bins, double x0, double x1,
                    int color, const plot_axes *ax) {
    plot_axes a = {0};
    if (ax) a = *ax;
    a.x0 = x0, a.x1 = x1;
    double ymax = 0;
    for (int i = 0; i < bins; i++)
        if (isfinite(counts[i]) && counts[i] > ymax) ymax = counts[i];
    if (a.y0 == a.y1) a.y0 = 0, a.y1 = ymax > 0 ? ymax : 1;
    frame f = axes_frame(c, r, &a, x0, x1, a.y0, a.y1);
    if (f.p.w < 1 || f.p.h < 1 || bins < 1) return;
    int per_bin = f.p.w / bins; /* cells per bin when bins are wide: leave a gap between them */
    for (int cx = 0; cx < f.p.w; cx++) {
        int b0 = (int)((long)cx * bins / f.p.w), b1 = (int)((long)(cx + 1) * bins / f.p.w);
        if (b1 <= b0) b1 = b0 + 1;
        if (per_bin >= 3 && (long)(cx + 1) * bins / f.p.w != (long)cx * bins / f.p.w) continue;
        double v = 0;
        for (int b = b0; b < b1 && b < bins; b++)
            if (isfinite(counts[b]) && counts[b] > v) v = counts[b];
        double t = (v - f.y0) / (f.y1 - f.y0);
        if (t <= 0) continue;
        if (t > 1) t = 1;
        int sub = c->cs == CHARSET_UNICODE ? 8 : c->cs == CHARSET_BLOCK ? 2 : 1;
        int h = (int)lround(t * f.p.h * sub);
        if (h == 0) h = 1; /* a nonzero count is never invisible */
        int x = f.p.x + cx;
        for (int y = f.p.y + f.p.h - 1; h > 0 && y >= f.p.y; y--, h -= sub) {
            uint32_t ch;
            if (c->cs == CHARSET_ASCII) ch = '#';
            else if (h >= sub) ch = FULL_BLOCK;
            else if (c->cs == CHARSET_BLOCK) ch = HALF_LOWER;
            else ch = 0x2580u + (uint32_t)h; /* lower eighth blocks U+2581..U+2587 */
            canvas_put(c, x, y, ch, color, COL_DEFAULT, 0);
        }
    }
}

void plot_hbars(tcanvas *c, trect r, const char *const *labels, const float *v, int n,
                double vmax, int color, const char *fmt) {
    if (!fmt) fmt = "%.3g";
    int lw = 0, vw = 0;
    char val[64];
    for (int i = 0; i < n && i < r.h; i++) {
        int l = labels && labels[i] ? utf8_cells(labels[i]) : 0;
        if (l > lw) lw = l;
        snprintf(val, sizeof val, fmt, (double)v[i]);
        l = (int)strlen(val);
        if (l > vw) vw = l;
    }
    /* labels whole while the bars keep a quarter of the width (4 to 10 cells: a name cut to
     * "white c" could be three classes, the value beside the bar says the rest); a third of the
     * width at least */
    int keep = r.w / 4 < 4 ? 4 : r.w / 4 > 10 ? 10 : r.w / 4;
    int lmax = r.w - vw - 2 - keep;
    if (lmax < r.w / 3) lmax = r.w / 3;
    if (lw > lmax) lw = lmax;
    int bw = r.w - lw - vw - 2;
    if (!(vmax > 0)) {
        vmax = 0;
        for (int i = 0; i < n; i++)
            if (isfinite(v[i]) && v[i] > vmax) vmax = v[i];
        if (!(vmax > 0)) vmax = 1;
    }
    for (int i = 0; i < n && i < r.h; i++) {
        int y = r.y + i;
        if (labels && labels[i]) canvas_text(c, r.x, y, lw, labels[i], color_fg(c), COL_DEFAULT, 0);
        int x = r.x + lw + 1;
        if (bw > 0 && isfinite(v[i]) && v[i] > 0) {
            double t = v[i] / vmax;
            if (t > 1) t = 1;
            int sub = c->cs == CHARSET_UNICODE ? 8 : 1;
            int e = (int)lround(t * bw * sub);
            for (int k = 0; e > 0; k++, e -= sub) {
                uint32_t ch = c->cs == CHARSET_ASCII ? '#'
                              : e >= sub             ? FULL_BLOCK
                                                     : 0x2590u - (uint32_t)e; /* U+258F 1/8 .. */
                canvas_put(c, x + k, y, ch, color, COL_DEFAULT, 0);
            }
        }
        snprintf(val, sizeof val, fmt, (double)v[i]);
        canvas_text(c, x + (bw > 0 ? bw : 0) + (bw > 0 ? 1 : 0), y, vw, val, color_fg(c),
                    COL_DEFAULT, 0);
    }
}

void plot_legend(tcanvas *c, int x, int y, const plot_series *s, int n_series) {
    for (int k = 0; k < n_series; k++) {
        uint32_t g = s[k].mark ? s[k].mark : c->cs == CHARSET_ASCII ? '*' : 0x2501;
        canvas_put(c, x, y + k, g, s[k].color, COL_DEFAULT, ATTR_BOLD);
        if (s[k].label) canvas_text(c, x + 2, y + k, 0, s[k].label, color_fg(c), COL_DEFAULT, 0);
    }
}

int plot_legend_line(tcanvas *c, int x, int y, int w, const plot_series *s, int n_series,
                     const char *const *names) {
    int at = 0, k;
    for (k = 0; k < n_series; k++) {
        const char *l = names && names[k] ? names[k] : s[k].label ? s[k].label : "";
        int need = 2 + utf8_cells(l);
        if (at + need > w) break; /* a cut entry would name no series */
        uint32_t g = s[k].mark ? s[k].mark : c->cs == CHARSET_ASCII ? '*' : 0x2501;
        canvas_put(c, x + at, y, g, s[k].color, COL_DEFAULT, ATTR_BOLD);
        canvas_text(c, x + at + 2, y, need - 2, l, color_fg(c), COL_DEFAULT, 0);
        at += need + 2;
    }
    return k;
}

/* ---- image ---- */

/* The mean colour of source pixels [x0, x1) x [y0, y1) (at least one pixel). */
static int box_color(const uint8_t *rgb, int w, int h, double x0, double x1, double y0,
                     double y1) {
    int ax = (int)x0, bx = (int)ceil(x1), ay = (int)y0, by = (int)ceil(y1);
    if (bx <= ax) bx = ax + 1;
    if (by <= ay) by = ay + 1;
    if (bx > w) bx = w;
    if (by > h) by = h;
    long s[3] = {0, 0, 0}, n = 0;
    for (int y = ay; y < by; y++)
        for (int x = ax; x < bx; x++, n++)
            for (int k = 0; k < 3; k++) s[k] += rgb[((size_t)y * w + x) * 3 + k];
    if (!n) return COL_DEFAULT;
    return color_rgb((int)(s[0] / n), (int)(s[1] / n), (int)(s[2] / n));
}

int plot_image(tcanvas *c, trect r, const uint8_t *rgb, int w, int h) {
    if (c->cs == CHARSET_ASCII || c->colors == COLORS_NONE) return 0;
    if (w < 1 || h < 1 || r.w < 1 || r.h < 1) return 0;
    /* keep the aspect ratio: a cell is one pixel wide and two tall */
    double scale = fmin((double)r.w / w, 2.0 * r.h / h);
    int ow = (int)(w * scale), oh = (int)(h * scale);
    if (ow < 1) ow = 1;
    if (oh < 1) oh = 1;
    double fx = (double)w / ow, fy = (double)h / oh;
    for (int ty = 0; ty * 2 < oh; ty++)
        for (int tx = 0; tx < ow; tx++) {
            int top = box_color(rgb, w, h, tx * fx, (tx + 1) * fx, 2 * ty * fy, (2 * ty + 1) * fy);
            int bot = 2 * ty + 1 < oh ? box_color(rgb, w, h, tx * fx, (tx + 1) * fx,
                                                   (2 * ty + 1) * fy, (2 * ty + 2) * fy)
                                      : COL_DEFAULT;
            canvas_put(c, r.x + tx, r.y + ty, HALF_UPPER, top, bot, 0);
        }
    return 1;
}
