/* heatmap.c: layout and drawing of a labelled heatmap with its colour bar (see heatmap.h).
 * Cells: an image pattern with nearest-neighbour sampling on raster surfaces (exact cell colours,
 * no seams, fast); on vector surfaces one rectangle per cell, each overlapping its right and lower
 * neighbours slightly (the later cell covers it), so no viewer shows hairline seams. */
#include "export/heatmap.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/common.h"
#include "export/axes.h"
#include "export/draw.h"

#define CB_W 11.0
#define CB_GAP 10.0
#define GAP 3.0
#define GROUP_FS 8.0
#define LABEL_FS_MIN 5.0
#define LABEL_FS_MAX 8.0

int fig_matrix_limits(const float *m, long n, int symmetric, double *lo, double *hi) {
    double a = INFINITY, b = -INFINITY;
    for (long i = 0; i < n; i++)
        if (isfinite(m[i])) {
            if (m[i] < a) a = m[i];
            if (m[i] > b) b = m[i];
        }
    if (!(a <= b)) return 0;
    if (symmetric) {
        double s = fmax(fabs(a), fabs(b));
        if (s == 0) s = 1e-12;
        a = -s;
        b = s;
    } else if (a == b) {
        a -= 0.5;
        b += 0.5;
    }
    *lo = a;
    *hi = b;
    return 1;
}

static int has_groups(const int *g, int n) {
    return g && n > 0 && g[0] != g[n - 1];
}

/* Colour-bar tick values and their widest text. */
static int cbar_ticks(cairo_t *cr, const fig_heatmap *h, double *t, int *dec, double *wmax) {
    int n = fig_ticks(h->lo, h->hi, 6, 0, t, dec);
    fig_font(cr, FIG_FS_TICK, 0);
    char buf[64];
    *wmax = 0;
    for (int i = 0; i < n; i++) {
        fig_format_num(buf, sizeof buf, t[i], *dec);
        *wmax = fmax(*wmax, fig_text_width(cr, buf));
    }
    return n;
}

static int step_for(double cell, double fs) {
    int s = (int)ceil(fs * 1.15 / cell - 1e-9);
    return s < 1 ? 1 : s;
}

static void group_name(const fig_heatmap *h, int id, char *buf, size_t n) {
    snprintf(buf, n, "%s%d", h->group_prefix ? h->group_prefix : "", id + 1);
}

/* The class labels at a size: their font, every k-th shown, and the room they take beside and
 * below the matrix (with the gap to it). */
typedef struct {
    double fs, row_w, col_h;
    int row_step, col_step, col_horizontal;
} class_labels;

/* The labels for cells CW x CH (the font follows the cells, from H's label_fs_min or 5 to
 * 8 pt; below label_fs_min, where groups name the rows and columns, none); INFINITY: the most
 * room they can ever take (8 pt, every label). */
static void labels_for(cairo_t *cr, const fig_heatmap *h, double cw, double ch,
                       class_labels *c) {
    memset(c, 0, sizeof *c);
    if (!h->row_labels && !h->col_labels) return;
    const double fs = fmin(LABEL_FS_MAX, fmin(cw, ch) * 0.9);
    if (h->label_fs_min > 0 && fs < h->label_fs_min && has_groups(h->row_group, h->rows) &&
        has_groups(h->col_group, h->cols))
        return;
    c->fs = fmax(h->label_fs_min > 0 ? h->label_fs_min : LABEL_FS_MIN, fs);
    c->row_step = step_for(ch, c->fs);
    c->col_step = step_for(cw, c->fs);
    fig_font(cr, c->fs, 0);
    if (h->row_labels)
        c->row_w = fig_text_width_max(cr, h->row_labels, h->rows, c->row_step) + GAP;
    if (h->col_labels) {
        double along = fig_text_width_max(cr, h->col_labels, h->cols, c->col_step);
        c->col_horizontal = fig_text_width_max(cr, h->col_labels, h->cols, 1) < cw * 0.9;
        if (!isfinite(cw)) /* the most room: upright or turned, whichever is taller */
            c->col_h = fmax(along, c->fs * FIG_EM_LINE) + GAP;
        else if (c->col_horizontal)
            c->col_h = c->fs * FIG_EM_LINE + GAP;
        else
            c->col_h = along + GAP;
        if (c->col_horizontal) c->col_step = 1;
    }
}

/* Room (points) from the matrix to the figure's edges, for labels of room LAB: left (class
 * labels, group names with their brackets, the y label), below (class labels, group names,
 * the x label) and right (colour bar, its values and label); each ends in the margin. */
static double room_left(const fig_heatmap *h, const class_labels *lab, double group_w) {
    return lab->row_w + (group_w > 0 ? 2 * GAP + group_w : 0) +
           (h->ylabel ? GAP + FIG_FS_LABEL * FIG_EM_LINE : 0) + FIG_MARGIN;
}

static double room_below(const fig_heatmap *h, const class_labels *lab) {
    return lab->col_h +
           (has_groups(h->col_group, h->cols) ? 2 * GAP + GROUP_FS * FIG_EM_LINE : 0) +
           (h->xlabel ? GAP + FIG_FS_LABEL * FIG_EM_LINE : 0) + FIG_MARGIN;
}

static double room_right(const fig_heatmap *h, double tick_w) {
    return CB_GAP + CB_W + 3 + GAP + tick_w +
           (h->cbar_label ? GAP + FIG_FS_LABEL * FIG_EM_LINE : 0) + FIG_MARGIN;
}

/* The values' format and size in cells of L: with all their digits where those reach
 * FIG_FS_CELL_MIN (4 characters, "98.0", in 0.28 of the cell's width), else with fewer ("98"),
 * the widest within CELL_FILL of the width, where those reach it, else none. */
#define CELL_FILL 0.8
static void cell_values(cairo_t *cr, const fig_heatmap *h, fig_heatmap_layout *L) {
    if (!h->cell_fmt) return;
    double fs = fmin(FIG_FS_TICK, fmin(L->ch * 0.45, L->cw * 0.28));
    if (fs >= FIG_FS_CELL_MIN) {
        L->cell_fmt = h->cell_fmt;
        L->cell_fs = fs;
        return;
    }
    if (!h->cell_fmt_short) return;
    fig_font(cr, 1, 0);
    double widest = 0;
    char buf[64];
    for (long i = 0; i < (long)h->rows * h->cols; i++)
        if (isfinite(h->m[i])) {
            snprintf(buf, sizeof buf, h->cell_fmt_short, h->m[i]);
            widest = fmax(widest, fig_text_width(cr, buf));
        }
    fs = fmin(FIG_FS_TICK, L->ch * 0.45);
    if (widest > 0) fs = fmin(fs, L->cw * CELL_FILL / widest);
    if (fs >= FIG_FS_CELL_MIN) {
        L->cell_fmt = h->cell_fmt_short;
        L->cell_fs = fs;
    }
}

void fig_heatmap_layout_compute(cairo_t *cr, const fig_heatmap *h, double x, double y, double w,
                                double ht, fig_heatmap_layout *L) {
    memset(L, 0, sizeof *L);
    L->area_x0 = x;
    L->area_x1 = x + w;
    L->area_y0 = y;
    L->area_y1 = y + ht;
    double ticks[64], twmax;
    int dec;
    cbar_ticks(cr, h, ticks, &dec, &twmax);
    double group_w = 0;
    if (has_groups(h->row_group, h->rows)) {
        char buf[32];
        fig_font(cr, GROUP_FS, 0);
        for (int i = 0; i < h->rows; i++) {
            group_name(h, h->row_group[i], buf, sizeof buf);
            group_w = fmax(group_w, fig_text_width(cr, buf));
        }
    }
    /* the title keeps its size and takes more lines where one is too wide: shrunk to fit a
     * one-column figure, it came out at 6 pt */
    if (h->title) {
        size_t ts[FIG_TITLE_MAX_LINES], tl[FIG_TITLE_MAX_LINES];
        fig_font(cr, FIG_FS_TITLE, 1);
        L->title_lines =
            fig_text_wrap(cr, h->title, w - 2 * FIG_MARGIN, FIG_TITLE_MAX_LINES, ts, tl);
    }
    double top =
        y + 4 + (h->title ? FIG_FS_TITLE * 1.6 + (L->title_lines - 1) * FIG_TITLE_LEAD : 0);
    const double right = x + w - room_right(h, twmax);

    /* The labels' font follows the cell size, the cell size the labels' room: the room kept
     * for them starts at the most they can take, then at what the cells it gave need, then
     * grows until what the cells need fits (labels measured at one size and drawn at
     * another ran into the y label and off the figure). */
    class_labels room, need;
    labels_for(cr, h, INFINITY, INFINITY, &room);
    const class_labels most = room;
    double cw = 1, ch = 1, l = x, b = y;
    for (int pass = 0;; pass++) {
        if (pass == 8) room = most; /* not settled: the most room always fits */
        l = x + room_left(h, &room, group_w);
        b = y + ht - room_below(h, &room);
        cw = (right - l) / h->cols;
        ch = (b - top) / h->rows;
        if (h->square) cw = ch = fmin(cw, ch);
        labels_for(cr, h, cw, ch, &need);
        if (pass == 8 || (pass > 0 && need.row_w <= room.row_w && need.col_h <= room.col_h))
            break;
        if (pass == 0) {
            room = need;
        } else {
            room.row_w = fmax(room.row_w, need.row_w);
            room.col_h = fmax(room.col_h, need.col_h);
        }
    }
    L->cw = cw;
    L->ch = ch;
    /* centre the matrix in its room (square cells leave some) */
    double mw = cw * h->cols, mh = ch * h->rows;
    L->x = l + fmax(0, (right - l - mw) / 2);
    L->y = top + fmax(0, (b - top - mh) / 2);
    L->label_fs = need.fs;
    L->row_step = need.row_step;
    L->col_step = need.col_step;
    L->col_horizontal = need.col_horizontal;
    L->row_lab_w = need.row_w;
    L->col_lab_h = need.col_h;
    L->group_w = group_w;
    L->cb_x = L->x + mw + CB_GAP;
    L->cb_w = CB_W;
    L->cb_top = L->y;
    L->cb_bottom = L->y + mh;
    cell_values(cr, h, L);
}

void fig_heatmap_cell_center(const fig_heatmap_layout *L, int i, int j, double *x, double *y) {
    *x = L->x + (j + 0.5) * L->cw;
    *y = L->y + (i + 0.5) * L->ch;
}

void fig_heatmap_cbar_point(const fig_heatmap_layout *L, double t, double *x, double *y) {
    *x = L->cb_x + L->cb_w / 2;
    *y = L->cb_bottom - t * (L->cb_bottom - L->cb_top);
}

static double cell_t(const fig_heatmap *h, float v) {
    if (!isfinite(v)) return NAN;
    return h->hi > h->lo ? (v - h->lo) / (h->hi - h->lo) : 0.5;
}

static void draw_cells(cairo_t *cr, const fig_heatmap *h, const fig_heatmap_layout *L) {
    cairo_surface_t *target = cairo_get_target(cr);
    if (cairo_surface_get_type(target) == CAIRO_SURFACE_TYPE_IMAGE) {
        cairo_surface_t *img = cairo_image_surface_create(CAIRO_FORMAT_RGB24, h->cols, h->rows);
        uint8_t *d = cairo_image_surface_get_data(img);
        int stride = cairo_image_surface_get_stride(img);
        for (int i = 0; i < h->rows; i++) {
            uint32_t *row = (uint32_t *)(d + (size_t)i * stride);
            for (int j = 0; j < h->cols; j++) {
                float v = h->m[(size_t)i * h->cols + j];
                if (isfinite(v)) {
                    row[j] = fig_cmap_rgb8(h->cmap, cell_t(h, v));
                } else {
                    fig_rgb c = h->nan_color;
                    row[j] = (uint32_t)lround(c.r * 255) << 16 | (uint32_t)lround(c.g * 255) << 8 |
                             (uint32_t)lround(c.b * 255);
                }
            }
        }
        cairo_surface_mark_dirty(img);
        cairo_save(cr);
        cairo_rectangle(cr, L->x, L->y, L->cw * h->cols, L->ch * h->rows);
        cairo_clip(cr);
        cairo_translate(cr, L->x, L->y);
        cairo_scale(cr, L->cw, L->ch);
        cairo_set_source_surface(cr, img, 0, 0);
        cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_NEAREST);
        cairo_paint(cr);
        cairo_restore(cr);
        cairo_surface_destroy(img);
        return;
    }
    cairo_save(cr);
    cairo_rectangle(cr, L->x, L->y, L->cw * h->cols, L->ch * h->rows);
    cairo_clip(cr);
    const double ox = L->cw * 0.08, oy = L->ch * 0.08;
    for (int i = 0; i < h->rows; i++)
        for (int j = 0; j < h->cols; j++) {
            float v = h->m[(size_t)i * h->cols + j];
            fig_rgb c = isfinite(v) ? fig_cmap_rgb(h->cmap, cell_t(h, v)) : h->nan_color;
            /* 8-bit colours, as the PNG holds them: the formats agree */
            c.r = round(c.r * 255) / 255;
            c.g = round(c.g * 255) / 255;
            c.b = round(c.b * 255) / 255;
            cairo_set_source_rgb(cr, c.r, c.g, c.b);
            cairo_rectangle(cr, L->x + j * L->cw, L->y + i * L->ch, L->cw + ox, L->ch + oy);
            cairo_fill(cr);
        }
    cairo_restore(cr);
}

void fig_heatmap_draw(cairo_t *cr, const fig_heatmap *h, const fig_heatmap_layout *L) {
    const double mw = L->cw * h->cols, mh = L->ch * h->rows;
    draw_cells(cr, h, L);

    /* values in the cells, black or white by the cell's luminance */
    if (L->cell_fmt) {
        fig_font(cr, L->cell_fs, 0);
        char buf[64];
        for (int i = 0; i < h->rows; i++)
            for (int j = 0; j < h->cols; j++) {
                float v = h->m[(size_t)i * h->cols + j];
                if (!isfinite(v)) continue;
                fig_rgb c = fig_cmap_rgb(h->cmap, cell_t(h, v));
                double k = fig_luminance(c) > 0.45 ? 0 : 1;
                cairo_set_source_rgb(cr, k, k, k);
                snprintf(buf, sizeof buf, L->cell_fmt, v);
                double cx, cy;
                fig_heatmap_cell_center(L, i, j, &cx, &cy);
                fig_text(cr, cx, cy, 0.5, 0.5, 0, buf);
            }
    }

    /* group separators across the matrix: white over viridis, dark grey over the diverging
     * map (whose centre is white) */
    if (h->cmap == FIG_CMAP_DIVERGING)
        cairo_set_source_rgb(cr, 0.3, 0.3, 0.3);
    else
        cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_set_line_width(cr, fmin(0.8, fmin(L->cw, L->ch) * 0.3));
    for (int i = 1; has_groups(h->row_group, h->rows) && i < h->rows; i++)
        if (h->row_group[i] != h->row_group[i - 1]) {
            cairo_move_to(cr, L->x, L->y + i * L->ch);
            cairo_line_to(cr, L->x + mw, L->y + i * L->ch);
        }
    for (int j = 1; has_groups(h->col_group, h->cols) && j < h->cols; j++)
        if (h->col_group[j] != h->col_group[j - 1]) {
            cairo_move_to(cr, L->x + j * L->cw, L->y);
            cairo_line_to(cr, L->x + j * L->cw, L->y + mh);
        }
    cairo_stroke(cr);
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_set_line_width(cr, 0.6);
    cairo_rectangle(cr, L->x, L->y, mw, mh);
    cairo_stroke(cr);

    /* class labels: every row_step-th row left of the matrix, columns below it rotated */
    if (L->label_fs > 0) {
        fig_font(cr, L->label_fs, 0);
        cairo_set_source_rgb(cr, 0, 0, 0);
        if (h->row_labels)
            for (int i = 0; i < h->rows; i += L->row_step)
                fig_text(cr, L->x - GAP, L->y + (i + 0.5) * L->ch, 1, 0.5, 0, h->row_labels[i]);
        if (h->col_labels && L->col_horizontal) {
            for (int j = 0; j < h->cols; j++)
                fig_text(cr, L->x + (j + 0.5) * L->cw, L->y + mh + GAP, 0.5, 0, 0,
                         h->col_labels[j]);
        } else if (h->col_labels) {
            for (int j = 0; j < h->cols; j += L->col_step)
                fig_text(cr, L->x + (j + 0.5) * L->cw, L->y + mh + GAP, 1, 0.5, -M_PI / 2,
                         h->col_labels[j]);
        }
    }

    /* group names with a bracket along each group's extent */
    fig_font(cr, GROUP_FS, 0);
    char buf[32];
    const int rg = has_groups(h->row_group, h->rows), cg = has_groups(h->col_group, h->cols);
    if (rg) {
        double gx = L->x - L->row_lab_w - GAP;
        for (int i0 = 0; i0 < h->rows;) {
            int i1 = i0;
            while (i1 < h->rows && h->row_group[i1] == h->row_group[i0]) i1++;
            double y0 = L->y + i0 * L->ch + 1, y1 = L->y + i1 * L->ch - 1;
            cairo_set_source_rgb(cr, 0.35, 0.35, 0.35);
            cairo_set_line_width(cr, 0.6);
            cairo_move_to(cr, gx, y0);
            cairo_line_to(cr, gx, y1);
            cairo_stroke(cr);
            cairo_set_source_rgb(cr, 0, 0, 0);
            group_name(h, h->row_group[i0], buf, sizeof buf);
            fig_text(cr, gx - GAP, (y0 + y1) / 2, 1, 0.5, 0, buf);
            i0 = i1;
        }
    }
    if (cg) {
        double gy = L->y + mh + L->col_lab_h + GAP, free_x = -INFINITY;
        for (int j0 = 0; j0 < h->cols;) {
            int j1 = j0;
            while (j1 < h->cols && h->col_group[j1] == h->col_group[j0]) j1++;
            double x0 = L->x + j0 * L->cw + 1, x1 = L->x + j1 * L->cw - 1;
            cairo_set_source_rgb(cr, 0.35, 0.35, 0.35);
            cairo_set_line_width(cr, 0.6);
            cairo_move_to(cr, x0, gy);
            cairo_line_to(cr, x1, gy);
            cairo_stroke(cr);
            cairo_set_source_rgb(cr, 0, 0, 0);
            group_name(h, h->col_group[j0], buf, sizeof buf);
            /* in narrow groups a name that would run into the previous one is left out (its
             * bracket stays): "T1T2T3" reads as nothing */
            double tw = fig_text_width(cr, buf), cx = (x0 + x1) / 2;
            if (cx - tw / 2 >= free_x) {
                fig_text(cr, cx, gy + GAP, 0.5, 0, 0, buf);
                free_x = cx + tw / 2 + GAP;
            }
            j0 = j1;
        }
    }

    /* axis labels outside everything, where the layout kept their room (room_left,
     * room_below): they ran into the margin where the two disagreed */
    const double left_edge = L->x - L->row_lab_w - (rg ? 2 * GAP + L->group_w : 0);
    const double bottom_edge =
        L->y + mh + L->col_lab_h + (cg ? 2 * GAP + GROUP_FS * FIG_EM_LINE : 0);
    /* the labels beside the matrix and the colour bar keep below the title's row: a long
     * colour-bar label beside a one-column matrix ran up through the title into the corner */
    const double m = FIG_MARGIN, yhi = L->area_y1 - m;
    const double ylo = h->title ? L->y - FIG_FS_TITLE * 0.6 + GAP : L->area_y0 + m;
    cairo_set_source_rgb(cr, 0, 0, 0);
    double ylab_end = -INFINITY; /* the y label's lowest point */
    if (h->ylabel) {
        fig_font_fit(cr, h->ylabel, FIG_FS_LABEL, 0, yhi - ylo);
        /* centred on the matrix unless that runs it off the figure (a long label, a short
         * figure) */
        double tl = fig_text_width(cr, h->ylabel), cy = L->y + mh / 2;
        if (cy - tl / 2 < ylo) cy = ylo + tl / 2;
        if (cy + tl / 2 > yhi) cy = yhi - tl / 2;
        fig_text(cr, left_edge - GAP, cy, 0.5, 1, -M_PI / 2, h->ylabel);
        ylab_end = cy + tl / 2;
    }
    if (h->xlabel) {
        double x0 = L->area_x0 + m;
        const double x1 = L->area_x1 - m, top = bottom_edge + GAP;
        /* the short form where the full one would need smaller type: at one column the
         * accuracy matrix's came out at 6.8 pt */
        const char *xl = h->xlabel;
        fig_font(cr, FIG_FS_LABEL, 0);
        if (h->xlabel_short && fig_text_width(cr, xl) > x1 - x0) xl = h->xlabel_short;
        /* right of the y label where that reaches down into this row and it fits there: a
         * one-column matrix without class labels ran both "Class mean of test-image
         * embeddings" into each other at the bottom left */
        if (ylab_end > top && fig_text_width(cr, xl) <= x1 - left_edge) x0 = left_edge;
        fig_font_fit(cr, xl, FIG_FS_LABEL, 0, x1 - x0);
        double tl = fig_text_width(cr, xl), cx = L->x + mw / 2;
        if (cx - tl / 2 < x0) cx = x0 + tl / 2;
        if (cx + tl / 2 > x1) cx = x1 - tl / 2;
        /* the ink's top (ascenders) at the gap's end */
        fig_text(cr, cx, top + FIG_FS_LABEL * FIG_EM_OVER, 0.5, 0, 0, xl);
    }
    if (h->title) {
        /* over the matrix, within the figure's margins, in the lines the layout made room for;
         * the last line where a one-line title sits */
        const double x0 = L->area_x0 + m, x1 = L->area_x1 - m;
        size_t ts[FIG_TITLE_MAX_LINES], tl[FIG_TITLE_MAX_LINES];
        fig_font(cr, FIG_FS_TITLE, 1);
        int nl = fig_text_wrap(cr, h->title, x1 - x0, FIG_TITLE_MAX_LINES, ts, tl);
        for (int k = 0; k < nl; k++) {
            char line[512];
            snprintf(line, sizeof line, "%.*s", (int)tl[k], h->title + ts[k]);
            /* smaller only for a word wider than the figure, which no break helps */
            fig_font_fit(cr, line, FIG_FS_TITLE, 1, x1 - x0);
            double lw = fig_text_width(cr, line), cx = L->x + mw / 2;
            if (cx - lw / 2 < x0) cx = x0 + lw / 2;
            if (cx + lw / 2 > x1) cx = x1 - lw / 2;
            fig_text(cr, cx, L->y - FIG_FS_TITLE * 0.6 - (nl - 1 - k) * FIG_TITLE_LEAD, 0.5, 1, 0,
                     line);
        }
    }

    /* colour bar: the map's own stops as a linear gradient (the map is piecewise linear in RGB,
     * so this is the map itself, in every format) */
    cairo_pattern_t *g = cairo_pattern_create_linear(0, L->cb_bottom, 0, L->cb_top);
    for (int k = 0; k <= 20; k++) {
        fig_rgb c = fig_cmap_rgb(h->cmap, k / 20.0);
        cairo_pattern_add_color_stop_rgb(g, k / 20.0, c.r, c.g, c.b);
    }
    cairo_rectangle(cr, L->cb_x, L->cb_top, L->cb_w, L->cb_bottom - L->cb_top);
    cairo_set_source(cr, g);
    cairo_fill(cr);
    cairo_pattern_destroy(g);
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_set_line_width(cr, 0.5);
    cairo_rectangle(cr, L->cb_x, L->cb_top, L->cb_w, L->cb_bottom - L->cb_top);
    cairo_stroke(cr);
    double ticks[64], twmax;
    int dec;
    int nt = cbar_ticks(cr, h, ticks, &dec, &twmax);
    for (int k = 0; k < nt; k++) {
        double t = h->hi > h->lo ? (ticks[k] - h->lo) / (h->hi - h->lo) : 0.5;
        double cx, cy;
        fig_heatmap_cbar_point(L, t, &cx, &cy);
        cairo_move_to(cr, L->cb_x + L->cb_w, cy);
        cairo_line_to(cr, L->cb_x + L->cb_w + 3, cy);
        cairo_stroke(cr);
        fig_format_num(buf, sizeof buf, ticks[k], dec);
        fig_text(cr, L->cb_x + L->cb_w + 3 + GAP, cy, 0, 0.5, 0, buf);
    }
    if (h->cbar_label) {
        /* a long label beside a short bar ran off the figure's top and bottom; the short form
         * where the full one would need smaller type: at one column simmat-diff's came out at
         * 7.45 pt */
        const char *cl = h->cbar_label;
        fig_font(cr, FIG_FS_LABEL, 0);
        if (h->cbar_label_short && fig_text_width(cr, cl) > yhi - ylo) cl = h->cbar_label_short;
        fig_font_fit(cr, cl, FIG_FS_LABEL, 0, yhi - ylo);
        double tl = fig_text_width(cr, cl), cy = (L->cb_top + L->cb_bottom) / 2;
        if (cy - tl / 2 < ylo) cy = ylo + tl / 2;
        if (cy + tl / 2 > yhi) cy = yhi - tl / 2;
        fig_text(cr, L->cb_x + L->cb_w + 3 + GAP * 2 + twmax, cy, 0.5, 1, M_PI / 2, cl);
    }
}
