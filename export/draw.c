/* draw.c: text, numbers and markers (see draw.h). */
#include "export/draw.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/common.h"

void fig_font(cairo_t *cr, double size_pt, int bold) {
    cairo_select_font_face(cr, FIG_FONT, CAIRO_FONT_SLANT_NORMAL,
                           bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, size_pt);
}

void fig_rgb_set(cairo_t *cr, fig_rgb c, double alpha) {
    if (alpha >= 1)
        cairo_set_source_rgb(cr, c.r, c.g, c.b);
    else
        cairo_set_source_rgba(cr, c.r, c.g, c.b, alpha);
}

static double font_size(cairo_t *cr) {
    cairo_matrix_t m;
    cairo_get_font_matrix(cr, &m);
    return m.yy;
}

double fig_text_width(cairo_t *cr, const char *s) {
    if (!s || !*s) return 0;
    cairo_text_extents_t e;
    cairo_text_extents(cr, s, &e);
    return e.x_advance;
}

void fig_font_fit(cairo_t *cr, const char *s, double size_pt, int bold, double max_w) {
    fig_font(cr, size_pt, bold);
    double w = fig_text_width(cr, s);
    if (w > max_w && w > 0) fig_font(cr, fmax(size_pt * 0.6, size_pt * max_w / w), bold);
}

/* Line breaks of fig_text_wrap: the spaces of a string that may end a line. */
#define WRAP_MAX_BREAKS 62

typedef struct {
    cairo_t *cr;
    const char *s;
    size_t n;                         /* strlen(s) */
    int nb;                           /* breaks: 0 the start, 1..nb-2 spaces, nb-1 the end */
    size_t at[WRAP_MAX_BREAKS + 2];
    double w[WRAP_MAX_BREAKS + 2][WRAP_MAX_BREAKS + 2]; /* line widths, < 0: not measured */
} wrap_ctx;

/* Where the line from break A to break B starts and how long it is. */
static void wrap_line(const wrap_ctx *c, int a, int b, size_t *start, size_t *len) {
    *start = a == 0 ? 0 : c->at[a] + 1;
    size_t end = b == c->nb - 1 ? c->n : c->at[b];
    *len = end > *start ? end - *start : 0;
}

static double wrap_width(wrap_ctx *c, int a, int b) {
    if (c->w[a][b] < 0) {
        size_t st, len;
        char line[512];
        wrap_line(c, a, b, &st, &len);
        snprintf(line, sizeof line, "%.*s", (int)len, c->s + st);
        c->w[a][b] = fig_text_width(c->cr, line);
    }
    return c->w[a][b];
}

/* The breaks (USE[k]: break k allowed) that split the string into K lines with the longest
 * shortest; its width, and the lines into START, LEN (INFINITY: no K lines). */
static double wrap_lines(wrap_ctx *c, const int *use, int k, size_t *start, size_t *len) {
    const int nb = c->nb;
    double best[9][WRAP_MAX_BREAKS + 2];
    int from[9][WRAP_MAX_BREAKS + 2] = {{0}};
    for (int l = 0; l <= k; l++)
        for (int b = 0; b < nb; b++) best[l][b] = INFINITY;
    best[0][0] = 0;
    for (int l = 1; l <= k; l++)
        for (int b = 1; b < nb; b++) {
            if (!use[b]) continue;
            for (int a = 0; a < b; a++) {
                if (!isfinite(best[l - 1][a])) continue;
                double v = fmax(best[l - 1][a], wrap_width(c, a, b));
                if (v < best[l][b]) {
                    best[l][b] = v;
                    from[l][b] = a;
                }
            }
        }
    if (!isfinite(best[k][nb - 1])) return INFINITY;
    for (int l = k, b = nb - 1; l > 0; l--) {
        int a = from[l][b];
        wrap_line(c, a, b, &start[l - 1], &len[l - 1]);
        b = a;
    }
    return best[k][nb - 1];
}

int fig_text_wrap(cairo_t *cr, const char *s, double max_w, int max_lines, size_t *start,
                  size_t *len) {
    wrap_ctx c; /* 34 KB on the stack: --all draws tasks on several threads */
    start[0] = 0;
    len[0] = s ? strlen(s) : 0;
    if (!s || max_lines <= 1 || fig_text_width(cr, s) <= max_w) return 1;
    if (max_lines > 8) max_lines = 8;
    c.cr = cr;
    c.s = s;
    c.n = strlen(s);
    c.nb = 1;
    c.at[0] = 0;
    int comma[WRAP_MAX_BREAKS + 2], any[WRAP_MAX_BREAKS + 2];
    comma[0] = any[0] = 0;
    for (size_t i = 1; i + 1 < c.n && c.nb <= WRAP_MAX_BREAKS; i++)
        if (s[i] == ' ' && s[i + 1] != ' ') {
            comma[c.nb] = s[i - 1] == ',' || s[i - 1] == ':';
            any[c.nb] = 1;
            c.at[c.nb++] = i;
        }
    c.at[c.nb] = c.n;
    comma[c.nb] = any[c.nb] = 1;
    c.nb++;
    for (int a = 0; a < c.nb; a++)
        for (int b = 0; b < c.nb; b++) c.w[a][b] = -1;
    for (int k = 2; k <= max_lines; k++)
        for (int pass = 0; pass < 2; pass++)
            if (wrap_lines(&c, pass ? any : comma, k, start, len) <= max_w) return k;
    /* nothing fits: as many lines as allowed (or spaces give), the longest shortest */
    for (int k = max_lines < c.nb - 1 ? max_lines : c.nb - 1; k > 1; k--)
        if (isfinite(wrap_lines(&c, any, k, start, len))) return k;
    start[0] = 0;
    len[0] = c.n;
    return 1;
}

int fig_title_wrap(cairo_t *cr, const char *s, double max_w, fig_title *t) {
    t->n = 0;
    t->width = 0;
    if (!s || !*s) return 0;
    size_t st[FIG_TITLE_MAX_LINES], len[FIG_TITLE_MAX_LINES];
    fig_font(cr, FIG_FS_TITLE, 1);
    t->n = fig_text_wrap(cr, s, max_w, FIG_TITLE_MAX_LINES, st, len);
    for (int k = 0; k < t->n; k++) {
        snprintf(t->line[k], sizeof t->line[k], "%.*s", (int)len[k], s + st[k]);
        fig_font_fit(cr, t->line[k], FIG_FS_TITLE, 1, max_w);
        t->width = fmax(t->width, fig_text_width(cr, t->line[k]));
    }
    return t->n;
}

void fig_title_draw(cairo_t *cr, const fig_title *t, double cx, double x0, double x1, double y) {
    cairo_set_source_rgb(cr, 0, 0, 0);
    for (int k = 0; k < t->n; k++) {
        fig_font_fit(cr, t->line[k], FIG_FS_TITLE, 1, x1 - x0);
        double lw = fig_text_width(cr, t->line[k]), c = cx;
        if (lw >= x1 - x0)
            c = (x0 + x1) / 2;
        else if (c - lw / 2 < x0)
            c = x0 + lw / 2;
        else if (c + lw / 2 > x1)
            c = x1 - lw / 2;
        fig_text(cr, c, y + k * FIG_TITLE_LEAD, 0.5, 0, 0, t->line[k]);
    }
}

double fig_text_width_max(cairo_t *cr, const char *const *s, int n, int step) {
    double w = 0;
    if (step < 1) step = 1;
    for (int i = 0; i < n; i += step) {
        double t = fig_text_width(cr, s[i]);
        if (t > w) w = t;
    }
    return w;
}

static const cairo_user_data_key_t text_log_key;

void fig_text_log_attach(cairo_t *cr, fig_text_log *log) {
    cairo_set_user_data(cr, &text_log_key, log, NULL);
}

void fig_text_log_free(fig_text_log *log) {
    free(log->box);
    free(log->mark);
    free(log->legend);
    memset(log, 0, sizeof *log);
}

/* The user-space box X0..X1, Y0..Y1 of CR in device units, appended to *V (N, CAP). */
static void box_log_add(cairo_t *cr, double x0, double y0, double x1, double y1, fig_box **v,
                        int *n, int *cap) {
    fig_box b = {INFINITY, INFINITY, -INFINITY, -INFINITY};
    for (int k = 0; k < 4; k++) {
        double x = k & 1 ? x1 : x0, y = k >> 1 ? y1 : y0;
        cairo_user_to_device(cr, &x, &y);
        b.x0 = fmin(b.x0, x);
        b.x1 = fmax(b.x1, x);
        b.y0 = fmin(b.y0, y);
        b.y1 = fmax(b.y1, y);
    }
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 64;
        *v = segp_realloc(*v, sizeof **v * (size_t)*cap);
    }
    (*v)[(*n)++] = b;
}

void fig_text_log_legend(cairo_t *cr, double x, double y, double w, double h) {
    fig_text_log *log = cairo_get_user_data(cr, &text_log_key);
    if (log) box_log_add(cr, x, y, x + w, y + h, &log->legend, &log->n_legend, &log->cap_legend);
}

/* S's ink box about the current point of CR's current transform, added to LOG in device
 * units. */
static void text_log_add(cairo_t *cr, fig_text_log *log, const char *s) {
    cairo_text_extents_t e;
    cairo_text_extents(cr, s, &e);
    if (e.width <= 0 || e.height <= 0) return; /* blanks: no ink */
    double ox, oy;
    cairo_get_current_point(cr, &ox, &oy);
    fig_text_box b = {INFINITY, INFINITY, -INFINITY, -INFINITY, 0, 0, ""};
    for (int k = 0; k < 4; k++) {
        double x = ox + e.x_bearing + (k & 1) * e.width;
        double y = oy + e.y_bearing + (k >> 1) * e.height;
        cairo_user_to_device(cr, &x, &y);
        b.x0 = fmin(b.x0, x);
        b.x1 = fmax(b.x1, x);
        b.y0 = fmin(b.y0, y);
        b.y1 = fmax(b.y1, y);
    }
    double dx = 0, dy = font_size(cr);
    cairo_user_to_device_distance(cr, &dx, &dy);
    b.size = hypot(dx, dy);
    cairo_font_face_t *face = cairo_get_font_face(cr);
    b.bold = cairo_font_face_get_type(face) == CAIRO_FONT_TYPE_TOY &&
             cairo_toy_font_face_get_weight(face) == CAIRO_FONT_WEIGHT_BOLD;
    snprintf(b.text, sizeof b.text, "%s", s);
    if (log->n == log->cap) {
        log->cap = log->cap ? log->cap * 2 : 64;
        log->box = segp_realloc(log->box, sizeof *log->box * (size_t)log->cap);
    }
    log->box[log->n++] = b;
}

void fig_text(cairo_t *cr, double x, double y, double ax, double ay, double angle, const char *s) {
    if (!s || !*s) return;
    /* DejaVu Sans: capitals 0.73 em, descenders 0.24 em; anchoring by these fixed proportions
     * (not by each string's ink) keeps a row of labels on one baseline */
    const double fs = font_size(cr), cap = 0.73 * fs, desc = 0.24 * fs;
    double w = fig_text_width(cr, s);
    /* baseline below the anchor: cap at AY 0, half the capitals at 0.5, -descent at 1 */
    double by = ay <= 0.5 ? cap * (1 - ay) : cap * 0.5 - (ay - 0.5) * 2 * (cap * 0.5 + desc);
    cairo_save(cr);
    cairo_translate(cr, x, y);
    if (angle != 0) cairo_rotate(cr, angle);
    cairo_move_to(cr, -ax * w, by);
    fig_text_log *log = cairo_get_user_data(cr, &text_log_key);
    if (log) text_log_add(cr, log, s);
    cairo_show_text(cr, s);
    cairo_new_path(cr);
    cairo_restore(cr);
}

void fig_format_num(char *buf, size_t n, double v, int decimals) {
    if (isnan(v)) {
        snprintf(buf, n, "n/a");
        return;
    }
    if (decimals < 0) decimals = 0;
    if (decimals > 8) decimals = 8;
    char tmp[64];
    snprintf(tmp, sizeof tmp, "%.*f", decimals, fabs(v));
    /* "-0.00" reads as noise: a value that rounds to zero has no sign */
    int zero = 1;
    for (const char *p = tmp; *p; p++)
        if (*p >= '1' && *p <= '9') zero = 0;
    snprintf(buf, n, "%s%s", v < 0 && !zero ? "\u2212" : "", tmp);
}

/* The marker's ink box within the clip into LOG (the path is built, the line width set):
 * nothing where the clip hides it. */
static void mark_log_add(cairo_t *cr, fig_text_log *log, int stroked) {
    double x0, y0, x1, y1, c0, d0, c1, d1;
    if (stroked)
        cairo_stroke_extents(cr, &x0, &y0, &x1, &y1);
    else
        cairo_fill_extents(cr, &x0, &y0, &x1, &y1);
    cairo_clip_extents(cr, &c0, &d0, &c1, &d1);
    x0 = fmax(x0, c0);
    y0 = fmax(y0, d0);
    x1 = fmin(x1, c1);
    y1 = fmin(y1, d1);
    if (x1 > x0 && y1 > y0) box_log_add(cr, x0, y0, x1, y1, &log->mark, &log->n_mark,
                                        &log->cap_mark);
}

static void mark_draw(cairo_t *cr, const fig_mark_style *s, double x, double y, int logged) {
    if (s->shape == FIG_M_NONE) return;
    const double r = s->size / 2;
    cairo_new_path(cr);
    int stroked = s->hollow || s->shape == FIG_M_CROSS || s->shape == FIG_M_PLUS;
    switch (s->shape) {
    case FIG_M_CIRCLE:
        cairo_arc(cr, x, y, r, 0, 2 * M_PI);
        break;
    case FIG_M_SQUARE: {
        double h = r * 0.886; /* same area as the circle */
        cairo_rectangle(cr, x - h, y - h, 2 * h, 2 * h);
        break;
    }
    case FIG_M_TRIANGLE:
    case FIG_M_TRIANGLE_DOWN: {
        double k = r * 1.3, sgn = s->shape == FIG_M_TRIANGLE ? 1 : -1;
        cairo_move_to(cr, x, y - sgn * k);
        cairo_line_to(cr, x + k * 0.866, y + sgn * k * 0.5);
        cairo_line_to(cr, x - k * 0.866, y + sgn * k * 0.5);
        cairo_close_path(cr);
        break;
    }
    case FIG_M_DIAMOND: {
        double k = r * 1.2;
        cairo_move_to(cr, x, y - k);
        cairo_line_to(cr, x + k * 0.8, y);
        cairo_line_to(cr, x, y + k);
        cairo_line_to(cr, x - k * 0.8, y);
        cairo_close_path(cr);
        break;
    }
    case FIG_M_CROSS: {
        double k = r * 0.8;
        cairo_move_to(cr, x - k, y - k);
        cairo_line_to(cr, x + k, y + k);
        cairo_move_to(cr, x - k, y + k);
        cairo_line_to(cr, x + k, y - k);
        break;
    }
    case FIG_M_PLUS:
        cairo_move_to(cr, x - r, y);
        cairo_line_to(cr, x + r, y);
        cairo_move_to(cr, x, y - r);
        cairo_line_to(cr, x, y + r);
        break;
    default:
        return;
    }
    fig_text_log *log = logged ? cairo_get_user_data(cr, &text_log_key) : NULL;
    if (stroked) {
        cairo_set_line_width(cr, fmax(0.6, s->size * 0.16));
        if (log) mark_log_add(cr, log, 1);
        fig_rgb_set(cr, s->color, s->hollow ? 1 : s->alpha);
        cairo_stroke(cr);
        return;
    }
    fig_rgb_set(cr, s->color, s->alpha);
    if (s->edge) {
        cairo_set_line_width(cr, fmax(0.4, s->size * 0.08));
        if (log) mark_log_add(cr, log, 1);
        cairo_fill_preserve(cr);
        cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
        cairo_stroke(cr);
    } else {
        if (log) mark_log_add(cr, log, 0);
        cairo_fill(cr);
    }
}

void fig_mark(cairo_t *cr, const fig_mark_style *s, double x, double y) {
    mark_draw(cr, s, x, y, 1);
}

void fig_mark_sample(cairo_t *cr, const fig_mark_style *s, double x, double y) {
    mark_draw(cr, s, x, y, 0);
}
