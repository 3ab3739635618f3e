/* view_geometry.c: the geometry view. The cosine similarity matrices of the seen classes saved
 * in geometry.safetensors (text-text, image means x text, means x means) under the pretrained,
 * teacher and student states, and the student's differences from the teacher and from the
 * pretrained model, as a heatmap with class labels, a cursor cell, zoom and scroll (100+
 * classes do not fit a terminal), a colour bar, and the analytics' comparisons of the states. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/common.h"
#include "views/viewkit.h"

enum { KIND_TT = 0, KIND_PT = 1, KIND_PP = 2, KINDS = 3 };
enum { ST_PRE = 0, ST_TEACHER, ST_STUDENT, ST_DIFF_T, ST_DIFF_P, STATES };

static const char *const kind_short[KINDS] = {"tt", "pt", "pp"};
static const char *const kind_long[KINDS] = {"text x text", "image means x text",
                                             "image means x image means"};
static const char *const kind_figure[KINDS] = {"simmat-text", "simmat-cross", "simmat-proto"};
static const char *const state_short[STATES] = {"pre", "teacher", "student", "student-teacher",
                                                "student-pre"};
static const char *const state_long[STATES] = {"pretrained", "teacher", "student",
                                               "student - teacher", "student - pretrained"};

#define ZOOM_MAX 8
#define NUM_W 7 /* a number column of the table: "%6.2f " */

typedef struct {
    int task;
    char filter[128];     /* the filter the cursor belongs to */
    int kind, state;
    int zoom;             /* text columns per matrix column; 0: the canvas's default */
    int cr, cc;           /* cursor, in the filtered class list */
    int row0, col0;       /* first row / column shown */
    /* layout of the last draw (canvas cells), for the mouse */
    int drawn;
    trect area;
    int hx, hy, hw, hh;   /* the matrix cells */
    int cell_w, rpl;      /* text columns per matrix column, matrix rows per text row */
    int page;             /* matrix rows shown */
    int heat_w;           /* the heatmap's columns per matrix column last drawn (zoom from auto) */
} geo_priv;

static const float *matrix(const run_task_data *td, int kind, int st) {
    float *const *a = kind == KIND_TT ? td->tt : kind == KIND_PT ? td->pt : td->pp;
    return a[st];
}

/* Value at seen positions (i, j) under state ST (differences computed). */
static float value(const run_task_data *td, int kind, int st, int i, int j) {
    size_t at = (size_t)i * td->n_seen + j;
    if (st <= ST_STUDENT) {
        const float *m = matrix(td, kind, st);
        return m ? m[at] : NAN;
    }
    const float *a = matrix(td, kind, ST_STUDENT);
    const float *b = matrix(td, kind, st == ST_DIFF_T ? ST_TEACHER : ST_PRE);
    return a && b ? a[at] - b[at] : NAN;
}

/* Colour limits: similarities share the range of the three states of the kind (so states
 * compare by colour); a difference is symmetric about 0. Over all seen classes. */
static void limits(const run_task_data *td, int kind, int st, double *lo, double *hi) {
    int n = td->n_seen;
    if (st >= ST_DIFF_T) {
        double m = 0;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) {
                float v = value(td, kind, st, i, j);
                if (!isnan(v) && fabs(v) > m) m = fabs(v);
            }
        if (m <= 0) m = 1e-6;
        *lo = -m;
        *hi = m;
        return;
    }
    double a = INFINITY, b = -INFINITY;
    for (int s = ST_PRE; s <= ST_STUDENT; s++) {
        const float *m = matrix(td, kind, s);
        if (!m) continue;
        for (size_t i = 0; i < (size_t)n * n; i++)
            if (!isnan(m[i])) {
                if (m[i] < a) a = m[i];
                if (m[i] > b) b = m[i];
            }
    }
    if (!(a < b)) {
        a = -1;
        b = 1;
    }
    *lo = a;
    *hi = b;
}

/* Seen positions whose class name passes the filter: IDX [n_seen]; the count. */
static int filtered(const wb_state *s, int *idx) {
    int k = 0;
    for (int i = 0; i < s->td->n_seen; i++)
        if (vk_match(vk_class(s, s->td->labels[i]), s->filter)) idx[k++] = i;
    return k;
}

static const char *old_new(const run_task_data *td, int pos) {
    return pos < td->n_old ? "old" : "new";
}

/* Text columns per matrix column: a cell about square, one column under half blocks (two
 * rows per line), two when a line holds one row */
static int default_zoom(int rpl) { return rpl == 2 ? 1 : 2; }

static const geom_compare *compare_of(const analytics_summary *sm, int kind, int vs_pre) {
    switch (kind) {
    case KIND_TT: return vs_pre ? &sm->tt_pre : &sm->tt_teacher;
    case KIND_PT: return vs_pre ? &sm->pt_pre : &sm->pt_teacher;
    default: return vs_pre ? &sm->pp_pre : &sm->pp_teacher;
    }
}

/* The side panel: the cursor's classes and values in every state, and the comparisons; RPL
 * the matrix rows per text line of the heatmap beside it. */
static void draw_side(tcanvas *c, trect r, const wb_state *s, const geo_priv *p, int i, int j,
                      int rpl) {
    const run_task_data *td = s->td;
    int fg = color_fg(c), dim = color_dim(c);
    int y = r.y, bottom = r.y + r.h;
    int li = td->labels[i], lj = td->labels[j];
    const char *rowk = p->kind == KIND_TT ? "text" : "image mean";
    const char *colk = p->kind == KIND_PP ? "image mean" : "text";
    if (y < bottom)
        canvas_text(c, r.x, y++, r.w, "cursor", fg, COL_DEFAULT, ATTR_BOLD);
    if (y < bottom)
        canvas_printf(c, r.x, y++, r.w, fg, COL_DEFAULT, 0, "row %d %s", i + 1, vk_class(s, li));
    if (y < bottom)
        canvas_printf(c, r.x + 2, y++, r.w - 2, dim, COL_DEFAULT, 0, "%s, %s, task %d", rowk,
                      old_new(td, i), vk_class_task(s, li) + 1);
    if (y < bottom)
        canvas_printf(c, r.x, y++, r.w, fg, COL_DEFAULT, 0, "col %d %s", j + 1, vk_class(s, lj));
    if (y < bottom)
        canvas_printf(c, r.x + 2, y++, r.w - 2, dim, COL_DEFAULT, 0, "%s, %s, task %d", colk,
                      old_new(td, j), vk_class_task(s, lj) + 1);
    for (int st = 0; st < STATES && y < bottom; st++, y++)
        canvas_printf(c, r.x, y, r.w, fg, COL_DEFAULT, st == p->state ? ATTR_BOLD : 0,
                      "%c %-21s %+.4f", st == p->state ? '>' : ' ', state_long[st],
                      value(td, p->kind, st, i, j));
    if (td->has_summary) {
        y++;
        for (int vs = 0; vs < 2 && y < bottom; vs++) {
            const geom_compare *g = compare_of(&td->summary, p->kind, vs);
            canvas_printf(c, r.x, y++, r.w, fg, COL_DEFAULT, ATTR_BOLD, "student vs %s (%s)",
                          vs ? "pretrained" : "teacher", kind_short[p->kind]);
            if (y < bottom)
                canvas_printf(c, r.x + 2, y++, r.w - 2, fg, COL_DEFAULT, 0,
                              "mean |d| %.4f  r %.4f", g->mean_abs_diff, g->pearson);
            if (y < bottom)
                canvas_printf(c, r.x + 2, y++, r.w - 2, fg, COL_DEFAULT, 0, "CKA %.4f", g->cka);
        }
    }
    y++;
    if (y < bottom)
        canvas_printf(c, r.x, y++, r.w, dim, COL_DEFAULT, 0, "rows: %ss, cols: %ss", rowk, colk);
    if (y < bottom && rpl == 2)
        canvas_text(c, r.x, y++, r.w, "a cell: upper half row r, lower r+1", dim, COL_DEFAULT, 0);
    if (y < bottom)
        canvas_text(c, r.x, y++, r.w, "m kind  s state  +/- zoom  ? keys", dim, COL_DEFAULT, 0);
}

static void mark_reverse(tcanvas *c, int x, int y, int w) {
    for (int i = 0; i < w; i++)
        if (x + i >= 0 && x + i < c->w && y >= 0 && y < c->h)
            c->cells[(size_t)y * c->w + x + i].attr ^= ATTR_REVERSE;
}

static void geo_draw_in(view *v, tcanvas *c, trect area, const wb_state *s) {
    geo_priv *p = v->priv;
    p->drawn = 0;
    p->area = area;
    trect r = vk_title(c, area, "Geometry: similarity matrices of the seen classes",
                       "Geometry", s);
    if (vk_no_task(c, r, s)) return;
    const run_task_data *td = s->td;
    char msg[200];
    if (!td->has_geometry || td->n_seen < 1) {
        snprintf(msg, sizeof msg, "task %d: no geometry saved (tasks/%02d/geometry.safetensors "
                 "absent: analytics off)", s->task + 1, s->task + 1);
        view_notice(c, r, msg);
        return;
    }
    if (p->task != s->task || strcmp(p->filter, s->filter) != 0) {
        p->task = s->task;
        snprintf(p->filter, sizeof p->filter, "%s", s->filter);
        p->cr = p->cc = p->row0 = p->col0 = 0;
    }
    if (p->state <= ST_STUDENT && !matrix(td, p->kind, p->state)) {
        view_notice(c, r, "this matrix was not saved");
        return;
    }
    int *idx = segp_malloc((size_t)td->n_seen * sizeof *idx);
    int k = filtered(s, idx);
    if (k == 0) {
        snprintf(msg, sizeof msg, "no class name contains \"%s\" (/ to change the filter)",
                 s->filter);
        view_notice(c, r, msg);
        free(idx);
        return;
    }
    p->cr = vk_clamp(p->cr, 0, k - 1);
    p->cc = vk_clamp(p->cc, 0, k - 1);
    float *sub = segp_malloc((size_t)k * k * sizeof *sub);
    for (int a = 0; a < k; a++)
        for (int b = 0; b < k; b++)
            sub[(size_t)a * k + b] = value(td, p->kind, p->state, idx[a], idx[b]);
    double lo, hi;
    limits(td, p->kind, p->state, &lo, &hi);
    colormap cm = p->state >= ST_DIFF_T ? CMAP_DIVERGING : CMAP_VIRIDIS;
    int fg = color_fg(c), dim = color_dim(c), acc = color_accent(c);
    int ci = idx[p->cr], cj = idx[p->cc];

    /* info lines: what is shown; the cursor */
    int y = r.y, bottom = r.y + r.h;
    int info_y = y; /* drawn once the zoom is known */
    if (y < bottom) y++;
    if (y < bottom) {
        int x = r.x;
        x += canvas_printf(c, x, y, r.w, fg, COL_DEFAULT, ATTR_BOLD, "[%d,%d] %+.3f", ci + 1,
                           cj + 1, sub[(size_t)p->cr * k + p->cc]);
        canvas_printf(c, x, y, r.x + r.w - x, dim, COL_DEFAULT, 0, "  %s x %s",
                      vk_class(s, td->labels[ci]), vk_class(s, td->labels[cj]));
        y++;
    }
    int side_w = r.w >= 100 ? 36 : 0;
    trect m = {r.x, y, r.w - side_w - (side_w ? 1 : 0), bottom - y};
    int cbar_h = m.h >= 10 ? 2 : 0;

    /* row labels: "NNN name" when there is room, the index alone otherwise */
    int name_w = 0;
    if (m.w >= 60) {
        for (int a = 0; a < k; a++) {
            int l = utf8_cells(vk_class(s, td->labels[idx[a]]));
            if (l > name_w) name_w = l;
        }
        if (name_w > 16) name_w = 16;
    }
    int gutter = 4 + (name_w ? name_w + 1 : 0);
    int numbers = s->show_numbers;
    int hx = m.x + gutter, hy = m.y + 1;
    int hw = m.w - gutter, hh = m.h - 1 - cbar_h;
    /* half blocks hold two matrix rows per line, and a line has one label: the lower row went
     * unnamed (a filter of 3 classes named 2). When every row fits a line of its own, each
     * gets one (both halves of its cells in its colour) */
    int rpl = numbers || k <= hh ? 1 : heatmap_rows_per_line(c);
    if (side_w)
        draw_side(c, (trect){r.x + r.w - side_w, y, side_w, bottom - y}, s, p, ci, cj, rpl);
    int cell_w = numbers ? NUM_W : p->zoom ? p->zoom : default_zoom(rpl);
    if (!numbers && !p->zoom && k * 2 * cell_w <= hw) cell_w *= 2; /* few classes: wider cells */
    if (!numbers) p->heat_w = cell_w;
    if (info_y < bottom) {
        int x = r.x;
        x += canvas_printf(c, x, info_y, r.w, acc, COL_DEFAULT, ATTR_BOLD, "%s",
                           kind_short[p->kind]);
        x += canvas_printf(c, x, info_y, r.x + r.w - x, fg, COL_DEFAULT, 0, " %s | ",
                           kind_long[p->kind]);
        x += canvas_printf(c, x, info_y, r.x + r.w - x, acc, COL_DEFAULT, ATTR_BOLD, "%s",
                           state_long[p->state]);
        /* the parts after the state whole or not at all ("zoom 1 (auto" at 60 columns) */
        char part[3][64];
        snprintf(part[0], sizeof part[0], " | %d of %d classes", k, td->n_seen);
        snprintf(part[1], sizeof part[1], " | zoom %d%s", cell_w, p->zoom ? "" : " (auto)");
        snprintf(part[2], sizeof part[2], " | zoom %d", cell_w);
        for (int i = 0; i < (numbers ? 1 : 3); i++) {
            int w = utf8_cells(part[i]);
            if (x + w > r.x + r.w) continue;
            x += canvas_text(c, x, info_y, w, part[i], fg, COL_DEFAULT, 0);
            if (i == 1) break; /* the zoom said with (auto): not again without */
        }
    }
    if (hw < cell_w || hh < 1) {
        view_notice(c, m, "too small for the matrix");
        free(sub);
        free(idx);
        return;
    }
    int vis_cols = hw / cell_w, vis_rows = hh * rpl;
    /* scroll so that the cursor shows; with two rows per line the first row stays even, so
     * row pairs do not change while scrolling */
    if (p->cr < p->row0) p->row0 = p->cr;
    if (p->cr >= p->row0 + vis_rows) p->row0 = p->cr - vis_rows + 1;
    if (p->cc < p->col0) p->col0 = p->cc;
    if (p->cc >= p->col0 + vis_cols) p->col0 = p->cc - vis_cols + 1;
    p->row0 = vk_clamp(p->row0, 0, k - vis_rows);
    if (rpl == 2) p->row0 = (p->row0 + 1) & ~1;
    if (p->row0 > p->cr) p->row0 = rpl == 2 ? p->cr & ~1 : p->cr;
    p->col0 = vk_clamp(p->col0, 0, k - vis_cols);
    int ncols = k - p->col0 < vis_cols ? k - p->col0 : vis_cols;
    int nrows = k - p->row0 < vis_rows ? k - p->row0 : vis_rows;
    int lines = (nrows + rpl - 1) / rpl;

    /* column header: indices where they fit, the cursor column marked. Over the table the
     * index is right-aligned, its last digit over the numbers' ("%6.2f"); over the heatmap it
     * starts at its cell */
    {
        int label_w = 4;
        int step = 1;
        while (step * cell_w < label_w) step++;
        for (int b = 0; b < ncols; b++) {
            int col = p->col0 + b;
            if (col % step) continue;
            if (numbers)
                canvas_printf(c, hx + b * cell_w, m.y, NUM_W - 1, dim, COL_DEFAULT, 0, "%*d",
                              NUM_W - 1, idx[col] + 1);
            else
                canvas_printf(c, hx + b * cell_w, m.y,
                              step * cell_w - 1 > 0 ? step * cell_w - 1 : 1, dim, COL_DEFAULT, 0,
                              "%d", idx[col] + 1);
        }
        int xc = hx + (p->cc - p->col0) * cell_w;
        uint32_t mark = c->cs == CHARSET_ASCII ? 'v' : 0x25BC;
        canvas_fill(c, (trect){xc, m.y, cell_w, 1}, ' ', COL_DEFAULT, COL_DEFAULT);
        if (numbers) { /* "    ▼1": the mark just left of the right-aligned index */
            char num[16];
            int len = snprintf(num, sizeof num, "%d", idx[p->cc] + 1);
            int x0 = xc + NUM_W - 1 - len;
            canvas_put(c, x0 - 1, m.y, mark, acc, COL_DEFAULT, ATTR_BOLD);
            canvas_text(c, x0, m.y, len, num, acc, COL_DEFAULT, ATTR_BOLD);
        } else {
            canvas_put(c, xc, m.y, mark, acc, COL_DEFAULT, ATTR_BOLD);
            if (cell_w >= 4)
                canvas_printf(c, xc + 1, m.y, cell_w - 1, acc, COL_DEFAULT, ATTR_BOLD, "%d",
                              idx[p->cc] + 1);
        }
    }
    /* row labels; the line holding the cursor row names the cursor row */
    for (int l = 0; l < lines; l++) {
        int row = p->row0 + l * rpl;
        int has_cursor = p->cr >= row && p->cr < row + rpl;
        int show = has_cursor ? p->cr : row;
        int pos = idx[show];
        char lab[64];
        if (name_w)
            snprintf(lab, sizeof lab, "%3d %s", pos + 1, vk_class(s, td->labels[pos]));
        else
            snprintf(lab, sizeof lab, "%3d", pos + 1);
        canvas_text(c, m.x, hy + l, gutter - 1, lab, has_cursor ? acc : fg, COL_DEFAULT,
                    has_cursor ? ATTR_BOLD : 0);
        if (has_cursor)
            canvas_put(c, hx - 1, hy + l, c->cs == CHARSET_ASCII ? '>' : 0x25B6, acc,
                       COL_DEFAULT, ATTR_BOLD);
    }
    if (numbers) {
        for (int l = 0; l < lines; l++)
            for (int b = 0; b < ncols; b++) {
                int row = p->row0 + l, col = p->col0 + b;
                int cur = row == p->cr && col == p->cc;
                float val = sub[(size_t)row * k + col];
                canvas_printf(c, hx + b * cell_w, hy + l, cell_w, cur ? acc : fg, COL_DEFAULT,
                              cur ? ATTR_REVERSE | ATTR_BOLD : 0, "%6.2f", val);
            }
    } else {
        /* a row a line under half blocks: each row twice, so that a cell's halves agree */
        int twice = rpl == 1 && heatmap_rows_per_line(c) == 2;
        float *rows = sub;
        if (twice) {
            rows = segp_malloc((size_t)2 * k * k * sizeof *rows);
            for (int a = 0; a < 2 * k; a++)
                memcpy(rows + (size_t)a * k, sub + (size_t)(a / 2) * k, (size_t)k * sizeof *rows);
        }
        plot_heatmap(c, (trect){hx, hy, ncols * cell_w, lines}, rows, twice ? 2 * k : k, k,
                     twice ? 2 * p->row0 : p->row0, p->col0, cell_w, lo, hi, cm);
        if (twice) free(rows);
        mark_reverse(c, hx + (p->cc - p->col0) * cell_w, hy + (p->cr - p->row0) / rpl, cell_w);
    }
    if (cbar_h) {
        int bw = hw < 48 ? hw : 48;
        plot_colorbar(c, (trect){hx, m.y + m.h - cbar_h, bw, cbar_h}, lo, hi, cm);
        if (hw - bw > 12)
            canvas_printf(c, hx + bw + 2, m.y + m.h - cbar_h, hw - bw - 2, dim, COL_DEFAULT, 0,
                          "%s", p->state >= ST_DIFF_T ? "difference" : "cosine");
    }

    p->drawn = 1;
    p->hx = hx;
    p->hy = hy;
    p->hw = ncols * cell_w;
    p->hh = lines;
    p->cell_w = cell_w;
    p->rpl = rpl;
    p->page = vis_rows;
    free(sub);
    free(idx);
}

static void set_figure(view *v) {
    geo_priv *p = v->priv;
    v->figure = p->state >= ST_DIFF_T ? "simmat-diff" : kind_figure[p->kind];
}

static void geo_figure_of(view *v, view_figure *f) {
    const geo_priv *p = v->priv;
    static const int state_of[3] = {RUN_STATE_PRE, RUN_STATE_TEACHER, RUN_STATE_STUDENT};
    f->figure = p->state >= ST_DIFF_T ? "simmat-diff" : kind_figure[p->kind];
    f->state = p->state < ST_DIFF_T ? state_of[p->state] : RUN_STATE_STUDENT;
    f->against = p->state == ST_DIFF_P ? RUN_STATE_PRE : RUN_STATE_TEACHER;
    f->matrix = p->kind;
    f->tsne = 0;
}

static void geo_draw(view *v, tcanvas *c, trect area, const wb_state *s) {
    tcanvas *sub = vk_begin(c, area);
    if (!sub) return;
    geo_draw_in(v, sub, (trect){0, 0, area.w, area.h}, s);
    vk_end(c, area, sub);
}

static view_reply geo_key(view *v, int key, wb_state *s) {
    geo_priv *p = v->priv;
    int page = p->page > 1 ? p->page : 10;
    switch (key) {
    case WK_UP: case 'k': p->cr--; break;
    case WK_DOWN: case 'j': p->cr++; break;
    case WK_LEFT: case 'h': p->cc--; break;
    case WK_RIGHT: case 'l': p->cc++; break;
    case WK_PGUP: p->cr -= page; break;
    case WK_PGDN: p->cr += page; break;
    case WK_HOME: p->cr = p->cc = 0; break;
    case WK_END: p->cr = p->cc = 1 << 28; break;
    case '+': case '=':
        if (!p->zoom) p->zoom = p->heat_w > 0 ? p->heat_w : 1;
        if (p->zoom < ZOOM_MAX) p->zoom++;
        break;
    case '-': case '_':
        if (!p->zoom) p->zoom = p->heat_w > 0 ? p->heat_w : 2;
        if (p->zoom > 1) p->zoom--;
        break;
    case 'm': p->kind = (p->kind + 1) % KINDS; break;
    case 'M': p->kind = (p->kind + KINDS - 1) % KINDS; break;
    case 's': p->state = (p->state + 1) % STATES; break;
    case 'S': p->state = (p->state + STATES - 1) % STATES; break;
    case 'v': s->show_numbers = !s->show_numbers; break;
    default: return VIEW_IGNORED;
    }
    if (p->cr < 0) p->cr = 0;
    if (p->cc < 0) p->cc = 0; /* the upper bound is the class count, clamped when drawn */
    if (s->td && s->td->n_seen > 0) {
        p->cr = vk_clamp(p->cr, 0, s->td->n_seen - 1);
        p->cc = vk_clamp(p->cc, 0, s->td->n_seen - 1);
    }
    set_figure(v);
    return VIEW_REDRAW;
}

static view_reply geo_mouse(view *v, wb_mouse ev, int x, int y, wb_state *s) {
    geo_priv *p = v->priv;
    if (ev == WM_WHEEL_UP) {
        p->cr = p->cr > 3 ? p->cr - 3 : 0;
        return VIEW_REDRAW;
    }
    if (ev == WM_WHEEL_DOWN) {
        p->cr += 3;
        if (s->td && s->td->n_seen > 0) p->cr = vk_clamp(p->cr, 0, s->td->n_seen - 1);
        return VIEW_REDRAW;
    }
    if (ev != WM_CLICK || !p->drawn) return VIEW_IGNORED;
    int cx = p->area.x + x, cy = p->area.y + y;
    if (cx < p->hx || cx >= p->hx + p->hw || cy < p->hy || cy >= p->hy + p->hh)
        return VIEW_IGNORED;
    int row = p->row0 + (cy - p->hy) * p->rpl;
    int col = p->col0 + (cx - p->hx) / p->cell_w;
    /* a text row holds two matrix rows: a second click on it picks the lower one */
    if (p->rpl == 2 && p->cr == row && p->cc == col) row++;
    p->cr = row;
    p->cc = col;
    if (s->td && s->td->n_seen > 0) {
        p->cr = vk_clamp(p->cr, 0, s->td->n_seen - 1);
        p->cc = vk_clamp(p->cc, 0, s->td->n_seen - 1);
    }
    return VIEW_REDRAW;
}

static const view_help geo_help[] = {
    {"arrows, hjkl", "move the cursor cell (the view scrolls with it)"},
    {"PgUp/PgDn", "move the cursor by a page of rows"},
    {"Home/End", "first / last cell"},
    {"+/-", "zoom in / out (text columns per matrix column)"},
    {"m/M", "matrix: text x text, image means x text, means x means"},
    {"s/S", "state: pretrained, teacher, student, student-teacher, student-pretrained"},
    {"/", "show only classes whose name contains the text"},
    {"v", "the numbers: the matrix as a table"},
    {"click, wheel", "move the cursor to a cell, scroll"},
    {"e", "export the shown kind's matrices (.npy, .csv) and the class list"},
};

static int geo_export(view *v, const wb_state *s, const char *dir, char *written, size_t n) {
    geo_priv *p = v->priv;
    const run_task_data *td = s->td;
    if (!td || !td->has_geometry)
        return SEGP_FAIL("geometry view: task %d has no geometry to export", s->task + 1);
    int ns = td->n_seen;
    view_text b = {0};
    view_text_printf(&b, "position,label,class,task,old\n");
    for (int i = 0; i < ns; i++) {
        view_text_printf(&b, "%d,%d,", i + 1, td->labels[i]);
        vk_csv_str(&b, vk_class(s, td->labels[i]));
        view_text_printf(&b, ",%d,%d\n", vk_class_task(s, td->labels[i]) + 1, i < td->n_old);
    }
    if (view_text_write(&b, dir, "sim_classes.csv", written, n)) return -1;
    float *m = segp_malloc((size_t)ns * ns * sizeof *m);
    int rc = 0;
    for (int st = 0; st < STATES && rc == 0; st++) {
        if (st <= ST_STUDENT && !matrix(td, p->kind, st)) continue;
        for (int i = 0; i < ns; i++)
            for (int j = 0; j < ns; j++) m[(size_t)i * ns + j] = value(td, p->kind, st, i, j);
        char name[64];
        snprintf(name, sizeof name, "sim_%s_%s.npy", kind_short[p->kind], state_short[st]);
        int64_t shape[2] = {ns, ns};
        rc = vk_write_npy(dir, name, m, 2, shape, written, n);
        if (rc == 0 && st == p->state) {
            /* the shown matrix also as CSV, classes in the header and first column */
            view_text_printf(&b, "class");
            for (int j = 0; j < ns; j++) {
                view_text_printf(&b, ",");
                vk_csv_str(&b, vk_class(s, td->labels[j]));
            }
            view_text_printf(&b, "\n");
            for (int i = 0; i < ns; i++) {
                vk_csv_str(&b, vk_class(s, td->labels[i]));
                for (int j = 0; j < ns; j++) {
                    view_text_printf(&b, ",");
                    vk_csv_num(&b, m[(size_t)i * ns + j]);
                }
                view_text_printf(&b, "\n");
            }
            snprintf(name, sizeof name, "sim_%s_%s.csv", kind_short[p->kind], state_short[st]);
            rc = view_text_write(&b, dir, name, written, n);
        }
    }
    free(m);
    return rc;
}

static void geo_free(view *v) {
    if (!v) return;
    free(v->priv);
    free(v);
}

view *view_geometry_new(void) {
    view *v = segp_calloc(1, sizeof *v);
    geo_priv *p = segp_calloc(1, sizeof *p);
    p->task = -2;
    p->state = ST_STUDENT;
    v->name = "geometry";
    v->draw = geo_draw;
    v->key = geo_key;
    v->mouse = geo_mouse;
    v->help = geo_help;
    v->n_help = (int)(sizeof geo_help / sizeof geo_help[0]);
    v->export_data = geo_export;
    v->free = geo_free;
    v->figure_of = geo_figure_of;
    v->priv = p;
    set_figure(v);
    return v;
}
