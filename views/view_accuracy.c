/* view_accuracy.c: the task x task accuracy matrix R (row i: after task i; column j: task j's
 * test images) as a heatmap with its values, the CLIP branch's matrix of a dual-path run
 * (`c`), the A_t / Avg / old / new curves, and the summary (Last, Avg, FWT, BWT, Forgetting,
 * held-out retention, drift ratio). A cursor on the matrix explains the entry under it. Exports
 * the matrix shown and the curves as CSV. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/common.h"
#include "views/view.h"

typedef struct {
    int clip;        /* show the CLIP branch's matrix */
    int ci, cj;      /* cursor: row (after task), column (task) */
    int cursor_set;
    int ax, ay;      /* the view's area origin (mouse cells are relative to it) */
    int mx, my, cell_w, rows_per_line, n_rows, n_cols;
} accuracy;

static const view_help accuracy_help[] = {
    {"arrows  hjkl", "move the cursor over the matrix (the line below explains the entry)"},
    {"Enter", "select the cursor's row task (its saved state in every view)"},
    {"c", "dual-path runs: the CLIP branch's matrix (inference.beta 0) / the full prediction"},
    {"v", "the numbers per task (A_t, Avg, old, new; the CLIP branch's A_t in a dual-path "
          "run) instead of the curves; with no room for them the status line says how many "
          "more rows they need"},
    {"mouse", "click a matrix cell to put the cursor there"},
    {"e", "export: accuracy-matrix[-clip].png and accuracy_matrix[_clip].csv (the matrix "
          "shown), accuracy_curves.csv"},
};

static const double *matrix_of(const accuracy *a, const run_record *r) {
    return a->clip && r->R_clip ? r->R_clip : r->R;
}

static void fmt2(double v, char *b, size_t n) {
    if (isfinite(v)) snprintf(b, n, "%.2f", v);
    else snprintf(b, n, "-");
}

/* The rows the matrix takes in BOX (HAVE_R: there is one, else its notice's): its header,
 * a line per task with values, else half-block pairs (cells too narrow, or too few lines), and
 * under them the colour bar where it fits (*BAR). */
static int matrix_used(const tcanvas *c, trect box, int T, int have_R, int *bar) {
    *bar = 0;
    if (!have_R) return 4;
    int cell_w = (box.w - 4) / (T > 0 ? T : 1);
    if (cell_w > 7) cell_w = 7;
    int rpl = cell_w >= 6 && T + 1 <= box.h ? 1 : heatmap_rows_per_line(c);
    int used = 1 + (T + rpl - 1) / rpl;
    if (used > box.h) used = box.h;
    *bar = used + 2 <= box.h;
    return used + (*bar ? 2 : 0);
}

/* The heatmap with a value in each cell (or half blocks when the cells are too narrow for
 * numbers). Returns the rows it used (matrix_used). */
static int draw_matrix(accuracy *a, tcanvas *c, trect box, const wb_state *s) {
    const run_record *r = s->rec;
    const double *R = matrix_of(a, r);
    int T = r->num_tasks, lw = 4;
    int fg = color_fg(c), dim = color_dim(c);
    double lo = INFINITY, hi = -INFINITY;
    for (int i = 0; R && i < T * T; i++)
        if (isfinite(R[i])) lo = fmin(lo, R[i]), hi = fmax(hi, R[i]);
    if (!(lo < hi)) lo = 0, hi = 100;
    lo = floor(lo / 10) * 10;
    hi = ceil(hi / 10) * 10;
    int cell_w = (box.w - lw) / (T > 0 ? T : 1);
    if (cell_w > 7) cell_w = 7;
    /* values need a line per task: in fewer lines the half blocks show every row (clipped
     * values hid the last tasks) */
    int values = cell_w >= 6 && T + 1 <= box.h;
    a->mx = box.x + lw;
    a->my = box.y + 1;
    a->n_cols = T;
    canvas_text(c, box.x, box.y, lw, "R %", dim, COL_DEFAULT, 0);
    if (!R) {
        view_notice(c, (trect){box.x, box.y + 1, box.w, 3}, "no accuracy matrix yet");
        return 4;
    }
    if (values) {
        a->cell_w = cell_w;
        a->rows_per_line = 1;
        a->n_rows = T;
        for (int j = 0; j < T; j++)
            canvas_printf(c, box.x + lw + j * cell_w, box.y, cell_w, dim, COL_DEFAULT, 0, "%*d",
                          cell_w - 1, j + 1);
        for (int i = 0; i < T && i + 1 < box.h; i++) {
            int y = box.y + 1 + i;
            canvas_printf(c, box.x, y, lw, i == s->task ? color_accent(c) : dim, COL_DEFAULT,
                          i == s->task ? ATTR_BOLD : 0, "%c%2d", i == s->task ? '>' : ' ', i + 1);
            for (int j = 0; j < T; j++) {
                double v = R[i * T + j];
                int x = box.x + lw + j * cell_w;
                int cur = a->cursor_set && i == a->ci && j == a->cj;
                if (!isfinite(v)) {
                    canvas_text(c, x, y, cell_w, cur ? "  [ ] " : "", fg, COL_DEFAULT, 0);
                    continue;
                }
                double t = (v - lo) / (hi - lo);
                char val[16], num[16];
                snprintf(val, sizeof val, cell_w >= 7 ? "%s%.2f" : "%s%.1f", j > i ? "~" : "", v);
                snprintf(num, sizeof num, "%*s", cell_w, val);
                if (c->colors == COLORS_NONE || j > i) { /* zero-shot entries: no colour */
                    canvas_text(c, x, y, cell_w, num, j > i ? dim : fg, COL_DEFAULT,
                                cur ? ATTR_REVERSE : 0);
                } else {
                    int bg = cmap_color(CMAP_VIRIDIS, t), tfg = t > 0.55 ? 16 : 231;
                    canvas_text(c, x, y, cell_w, num, tfg, bg, cur ? ATTR_REVERSE | ATTR_BOLD : 0);
                }
            }
        }
    } else {
        /* too many tasks for numbers: half blocks, v shows the numbers per task */
        float *m = segp_malloc(sizeof(float) * (size_t)T * T);
        for (int i = 0; i < T * T; i++) m[i] = (float)R[i];
        int cw = cell_w >= 1 ? cell_w : 1;
        a->cell_w = cw;
        a->rows_per_line = heatmap_rows_per_line(c);
        a->n_rows = plot_heatmap(c, (trect){box.x + lw, box.y + 1, box.w - lw, box.h - 1}, m, T,
                                 T, 0, 0, cw, lo, hi, CMAP_VIRIDIS);
        free(m);
        int lines = (T + a->rows_per_line - 1) / a->rows_per_line;
        for (int l = 0; l < lines && l + 1 < box.h; l++)
            canvas_printf(c, box.x, box.y + 1 + l, lw, dim, COL_DEFAULT, 0, "%3d",
                          l * a->rows_per_line + 1);
    }
    int bar, used = matrix_used(c, box, T, 1, &bar);
    if (bar) {
        int bw = box.w - lw < 40 ? box.w - lw : 40;
        plot_colorbar(c, (trect){box.x + lw, box.y + used - 2, bw, 2}, lo, hi, CMAP_VIRIDIS);
    }
    return used;
}

/* Two lines under the matrix: what an entry means, or the entry under the cursor. Where they
 * do not fit the width (the matrix of a few tasks beside the curves: 25 columns at 80) their
 * parts are wrapped over LINE's rows, else they were cut ("row i: after task i; colu"). */
static void draw_cursor_line(accuracy *a, tcanvas *c, trect line, const wb_state *s) {
    const run_record *r = s->rec;
    const double *R = matrix_of(a, r);
    int dim = color_dim(c), fg = color_fg(c);
    if (line.h < 1) return;
    char l1[160], l2[160], parts[400];
    int col = dim, attr = 0;
    if (!R || !a->cursor_set) {
        snprintf(l1, sizeof l1, "row i: after task i; column j: task j's test images");
        snprintf(l2, sizeof l2, "~: zero-shot on a future task (for FWT); arrows: a cursor");
        snprintf(parts, sizeof parts, "row i: after task i;   column j: task j's test images"
                 "   ~: zero-shot on a future task (for FWT);   arrows: a cursor");
    } else {
        int T = r->num_tasks, i = a->ci, j = a->cj;
        double v = R[i * T + j];
        char num[32];
        fmt2(v, num, sizeof num);
        const char *what = !isfinite(v) ? "not measured"
                           : j < i      ? "an old task: what remains of it"
                           : j == i     ? "the task just learned"
                                        : "a future task, zero-shot: forward transfer";
        snprintf(l1, sizeof l1, "R[%d][%d] = %s: after task %d, on task %d's test images",
                 i + 1, j + 1, num, i + 1, j + 1);
        snprintf(l2, sizeof l2, "(%s)", what);
        snprintf(parts, sizeof parts, "R[%d][%d] = %s:   after task %d,   on task %d's test "
                 "images   (%s)", i + 1, j + 1, num, i + 1, j + 1, what);
        col = fg;
        attr = ATTR_BOLD;
    }
    if (line.h < 2 || (utf8_cells(l1) <= line.w && utf8_cells(l2) <= line.w)) {
        canvas_text(c, line.x, line.y, line.w, l1, col, COL_DEFAULT, attr);
        if (line.h > 1) canvas_text(c, line.x, line.y + 1, line.w, l2, col, COL_DEFAULT, 0);
        return;
    }
    view_fields(c, line.x, line.y, line.w, line.h, parts, col, attr);
}

static void draw_curves(tcanvas *c, trect box, const wb_state *s) {
    const run_record *r = s->rec;
    canvas_box(c, box, "A_t, Avg, old, new after each task (%)", color_dim(c));
    trect in = {box.x + 1, box.y + 1, box.w - 2, box.h - 2};
    int T = r->num_tasks;
    float *v = segp_malloc(sizeof(float) * (size_t)T * 4);
    for (int t = 0; t < T; t++) {
        const run_task_metrics *m = &r->task[t];
        int ok = t < r->tasks_done && m->valid;
        v[t] = ok ? (float)m->acc : NAN;
        v[T + t] = ok ? (float)m->avg_acc : NAN;
        v[2 * T + t] = ok ? (float)m->old_acc : NAN;
        v[3 * T + t] = ok ? (float)m->new_acc : NAN;
    }
    plot_series ser[4] = {
        {.y = v, .n = T, .color = palette_color(0), .mark = 'o',
         .label = "A_t: all seen classes (Last at the end)"},
        {.y = v + T, .n = T, .color = palette_color(1), .mark = '*',
         .label = "Avg: mean of A_1..A_t"},
        {.y = v + 2 * T, .n = T, .color = palette_color(3), .mark = '+', .label = "old classes"},
        {.y = v + 3 * T, .n = T, .color = palette_color(2), .mark = 'x', .label = "new classes"},
    };
    static const char *const short_names[4] = {"A_t", "Avg", "old", "new"};
    /* a legend of a line each, or in a short box one line of short names */
    int lh = in.h > 10 ? 4 : in.h >= 5 ? 1 : 0;
    plot_axes ax = {.x0 = 1, .x1 = T > 1 ? T : 2, .xlabel = "task", .integer_x = 1};
    /* the y range from the data, with room: forgetting shows in the spread */
    double lo = INFINITY, hi = -INFINITY;
    for (int i = 0; i < 4 * T; i++)
        if (isfinite(v[i])) lo = fmin(lo, v[i]), hi = fmax(hi, v[i]);
    if (lo < hi) {
        ax.y0 = fmax(0, floor(lo / 10) * 10);
        ax.y1 = fmin(100, ceil(hi / 10) * 10);
        if (ax.y1 <= ax.y0) ax.y1 = ax.y0 + 10;
    } else {
        ax.y0 = 0, ax.y1 = 100;
    }
    plot_curves(c, (trect){in.x, in.y + lh, in.w, in.h - lh}, ser, 4, &ax);
    if (lh == 4) plot_legend(c, in.x + 1, in.y, ser, 4);
    else if (lh) plot_legend_line(c, in.x + 1, in.y, in.w - 1, ser, 4, short_names);
    free(v);
}

static void draw_numbers(accuracy *a, tcanvas *c, trect box, const wb_state *s) {
    const run_record *r = s->rec;
    int fg = color_fg(c), dim = color_dim(c), T = r->num_tasks;
    canvas_printf(c, box.x, box.y, box.w, dim, COL_DEFAULT, ATTR_BOLD, "%4s %6s %6s %6s %6s %6s",
                  "task", "A_t", "Avg", "old", "new", r->R_clip ? "CLIP" : "");
    /* in too few lines the selected and the newest finished task stay, and a line says what
     * is left out */
    int pin[2] = {s->task, r->tasks_done - 1};
    int *row = segp_malloc(sizeof(int) * (size_t)(T > 0 ? T : 1));
    int lines = view_table_rows(T, box.h - 1, pin, 2, row);
    for (int k = 0; k < lines; k++) {
        int t = row[k], y = box.y + 1 + k;
        if (t < 0) {
            view_rows_hidden(c, box.x, y, box.w, 4, row, k, lines, T);
            continue;
        }
        const run_task_metrics *m = &r->task[t];
        char v[5][32];
        double x[5] = {m->acc, m->avg_acc, m->old_acc, m->new_acc, m->clip_acc};
        for (int i = 0; i < 5; i++) fmt2(t < r->tasks_done && m->valid ? x[i] : NAN, v[i], 32);
        canvas_printf(c, box.x, y, box.w, fg, COL_DEFAULT, t == s->task ? ATTR_REVERSE : 0,
                      "%4d %6s %6s %6s %6s %6s", t + 1, v[0], v[1], v[2], v[3],
                      r->R_clip ? v[4] : "");
    }
    free(row);
}

/* The summary lines: final metrics (or so far), the CLIP branch, retention and drift. The
 * metrics lines wrap at a field into as many rows as they need (a metric is never dropped:
 * Forgetting went at 60 columns); the held-out and drift lines take a row each when the
 * matrix leaves one, and leave out their trailing fields whole ("(+1.50" was cut mid-value). */
enum { SUMMARY_LINES = 5 };
typedef struct {
    char line[SUMMARY_LINES][512];
    int attr[SUMMARY_LINES], must[SUMMARY_LINES], rows[SUMMARY_LINES], n;
} summary;

static void summary_add(summary *m, int must, int attr, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void summary_add(summary *m, int must, int attr, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m->line[m->n], sizeof m->line[0], fmt, ap);
    va_end(ap);
    m->must[m->n] = must;
    m->attr[m->n++] = attr;
}

/* The rows LINE needs in W cells. */
static int line_rows(const char *line, int w) {
    return view_fields(NULL, 0, 0, w, SUMMARY_LINES * 4, line, 0, 0);
}

static void summary_build(summary *m, const wb_state *s, int w) {
    const run_record *r = s->rec;
    const run_final_metrics *f = &r->final;
    m->n = 0;
    if (f->valid) {
        summary_add(m, 1, ATTR_BOLD, "Last %.2f   Avg %.2f   FWT %.2f   BWT %.2f   "
                    "Forgetting %.2f", f->last, f->avg, f->fwt, f->bwt, f->forgetting);
        if (f->has_clip) {
            /* the short name when it saves a row (80 columns: one row instead of two) */
            for (int longer = 1; longer >= 0; longer--) {
                m->n -= longer == 0;
                summary_add(m, 1, 0, "%s Last %.2f   Avg %.2f   FWT %.2f   BWT %.2f   "
                            "Forgetting %.2f", longer ? "CLIP branch alone:" : "CLIP alone:",
                            f->clip_last, f->clip_avg, f->clip_fwt, f->clip_bwt,
                            f->clip_forgetting);
                if (line_rows(m->line[m->n - 1], w) == 1) break;
            }
        }
    } else if (r->tasks_done > 0) {
        const run_task_metrics *t = &r->task[r->tasks_done - 1];
        char o[32], nw[32];
        fmt2(t->old_acc, o, sizeof o);
        fmt2(t->new_acc, nw, sizeof nw);
        summary_add(m, 1, ATTR_BOLD, "so far (after task %d of %d): A_t %.2f   Avg %.2f   "
                    "old %s   new %s   BWT %.2f   Forgetting %.2f", r->tasks_done, r->num_tasks,
                    t->acc, t->avg_acc, o, nw, t->bwt, t->forgetting);
    } else {
        summary_add(m, 1, 0, "no task is finished yet");
    }
    /* the others whole in one row, else without their explanation */
    if (isfinite(f->heldout_pre) && isfinite(f->heldout_final)) {
        summary_add(m, 0, 0, "held-out zero-shot: pretrained %.2f -> final %.2f (%+.2f points)",
                    f->heldout_pre, f->heldout_final, f->heldout_final - f->heldout_pre);
        if (line_rows(m->line[m->n - 1], w) > 1) {
            m->n--;
            summary_add(m, 0, 0, "held-out zero-shot: pretrained %.2f -> final %.2f",
                        f->heldout_pre, f->heldout_final);
        }
    }
    if (isfinite(f->bc_ratio)) {
        summary_add(m, 0, 0, "drift boundary/core ratio %.3f (mean over tasks; > 1: old classes "
                    "drift most near the old-new interface)", f->bc_ratio);
        if (line_rows(m->line[m->n - 1], w) > 1) {
            m->n--;
            summary_add(m, 0, 0, "drift boundary/core ratio %.3f (mean over tasks)",
                        f->bc_ratio);
        }
    }
    for (int i = 0; i < m->n; i++) m->rows[i] = m->must[i] ? line_rows(m->line[i], w) : 1;
}

/* The rows the summary takes: every metrics line, then the others in order while ROOM (rows
 * the matrix leaves) holds them; the ones left out get 0 rows. */
static int summary_fit(summary *m, int room) {
    int h = 0;
    for (int i = 0; i < m->n; i++) h += m->must[i] ? m->rows[i] : 0;
    for (int i = 0; i < m->n; i++)
        if (!m->must[i]) {
            if (h + m->rows[i] <= (room > h ? room : h)) h += m->rows[i];
            else m->rows[i] = 0;
        }
    return h;
}

static void draw_summary(tcanvas *c, trect box, const summary *m) {
    int y = box.y, end = box.y + box.h;
    for (int i = 0; i < m->n && y < end; i++) {
        if (!m->rows[i]) continue;
        int rows = m->rows[i] < end - y ? m->rows[i] : end - y;
        y += view_fields(c, box.x, y, box.w, rows, m->line[i], color_fg(c), m->attr[i]);
    }
}

/* The rows the matrix takes in W cells: its header, its rows (half-block pairs when the
 * cells are too narrow for values), the colour bar. */
static int matrix_rows(const tcanvas *c, int w, int T) {
    int cell_w = (w - 4) / (T > 0 ? T : 1), rpl = heatmap_rows_per_line(c);
    return 1 + (cell_w >= 6 ? T : (T + rpl - 1) / rpl) + 2;
}

/* Where the parts go in A: the summary's rows (SM fitted), the matrix's box and the rows it
 * takes, and the box under or beside it for the curves or (v) the table of numbers. */
typedef struct {
    int side, sum_h, used;
    trect mbox, cbox;
} acc_layout;

enum { CURVES_MIN_H = 8, NUMBERS_MIN_H = 2 }; /* the curves' box; the table's header and a row */

static int lower_fits(const acc_layout *L, int numbers) {
    return L->cbox.w >= 20 && L->cbox.h >= (numbers ? NUMBERS_MIN_H : CURVES_MIN_H);
}

/* The layout with TABLE rows kept from the summary's optional lines for the table. */
static void layout_keeping(const tcanvas *c, trect a, const wb_state *s, int have_R, int table,
                           summary *sm, acc_layout *L) {
    int T = s->rec->num_tasks;
    int mw = 4 + 7 * T; /* the matrix with values */
    int top = a.y + 2;
    L->side = a.w - mw - 2 >= 36;
    if (L->side) table = 0; /* beside the matrix: the summary's rows are not its */
    summary_build(sm, s, a.w);
    L->sum_h = summary_fit(sm, a.h - 2 - matrix_rows(c, L->side ? mw : a.w, T) - 2 - table);
    int avail = a.h - 2 - L->sum_h; /* rows between the title and the summary */
    L->mbox = (trect){a.x, top, L->side ? mw : a.w, avail - 2};
    int bar;
    L->used = L->mbox.h >= 2 ? matrix_used(c, L->mbox, T, have_R, &bar) : 0;
    int used = L->used + 2;
    if (L->side) {
        L->cbox = (trect){a.x + mw + 2, top, a.w - mw - 2, a.h - 2 - L->sum_h};
    } else {
        L->cbox = (trect){a.x, top + used + 1, a.w, a.h - L->sum_h - (top + used + 1 - a.y)};
        /* the table of numbers has no frame: it takes the blank line above it when that
         * saves a row from being hidden */
        if (s->show_numbers && L->cbox.h < T + 1) L->cbox.y--, L->cbox.h++;
    }
}

static void accuracy_layout(const tcanvas *c, trect a, const wb_state *s, int have_R,
                            summary *sm, acc_layout *L) {
    /* the matrix and the two lines under it first; then the table of numbers when v asked for
     * it, at least its header and a row (at 60x20 the optional lines took its last rows, and v
     * showed nothing); the summary's optional lines in what is left, all of it where even
     * then the table does not fit */
    layout_keeping(c, a, s, have_R, s->show_numbers ? NUMBERS_MIN_H : 0, sm, L);
    if (s->show_numbers && !lower_fits(L, 1))
        layout_keeping(c, a, s, have_R, 0, sm, L);
}

/* Why v shows nothing in A (the shell says it when v is pressed, in a line at 60 columns):
 * how many more rows would show the mode asked for. */
static void note_unshown(view *v, const tcanvas *c, trect a, const wb_state *s, int have_R) {
    const char *what = s->show_numbers ? "the numbers per task" : "the curves";
    for (int more = 1; more <= 200; more++) {
        summary sm;
        acc_layout L;
        accuracy_layout(c, (trect){a.x, a.y, a.w, a.h + more}, s, have_R, &sm, &L);
        if (lower_fits(&L, s->show_numbers)) {
            snprintf(v->unshown, sizeof v->unshown, "v: %s need %d more row%s", what, more,
                     more == 1 ? "" : "s");
            return;
        }
    }
    snprintf(v->unshown, sizeof v->unshown, "v: %s need a wider terminal", what);
}

static void accuracy_draw(view *v, tcanvas *c, trect a, const wb_state *s) {
    accuracy *ac = v->priv;
    const run_record *r = s->rec;
    ac->n_rows = 0;
    ac->ax = a.x;
    ac->ay = a.y;
    v->unshown[0] = 0;
    if (ac->clip && (!r || !r->R_clip)) ac->clip = 0;
    view_title(c, a, ac->clip ? "Accuracy: the CLIP branch alone (c: full prediction)"
                   : r && r->R_clip ? "Accuracy (c: the CLIP branch alone)"
                                    : "Accuracy",
               s);
    if (!r) return view_notice(c, (trect){a.x, a.y + 1, a.w, a.h - 1}, "no run is open");
    int have_R = matrix_of(ac, r) != NULL;
    summary sm;
    acc_layout L;
    accuracy_layout(c, a, s, have_R, &sm, &L);
    int top = a.y + 2;
    int used = L.mbox.h >= 2 ? draw_matrix(ac, c, L.mbox, s) : 0;
    /* beside the curves the rows under the matrix are free: room to wrap its notes */
    int want = L.side ? 6 : 2, lines = L.mbox.h + 2 - used < want ? L.mbox.h + 2 - used : want;
    draw_cursor_line(ac, c, (trect){a.x, top + used, L.mbox.w, lines}, s);
    draw_summary(c, (trect){a.x, a.y + a.h - L.sum_h, a.w, L.sum_h}, &sm);
    trect cbox = L.cbox;
    if (!lower_fits(&L, s->show_numbers)) return note_unshown(v, c, a, s, have_R);
    /* the table needs only its header and a row (it says what it leaves out where it can) */
    if (s->show_numbers)
        draw_numbers(ac, c, (trect){cbox.x + 1, cbox.y, cbox.w - 1, cbox.h}, s);
    else
        draw_curves(c, cbox, s);
}

static view_reply accuracy_key(view *v, int key, wb_state *s) {
    accuracy *a = v->priv;
    if (!s->rec) return VIEW_IGNORED;
    int T = s->rec->num_tasks;
    if (!a->cursor_set && (key == WK_UP || key == WK_DOWN || key == WK_LEFT || key == WK_RIGHT ||
                           key == 'h' || key == 'j' || key == 'k' || key == 'l')) {
        a->cursor_set = 1;
        a->ci = s->task >= 0 ? s->task : 0;
        a->cj = a->ci;
        return VIEW_REDRAW;
    }
    switch (key) {
    case WK_UP: case 'k': if (a->ci > 0) a->ci--; return VIEW_REDRAW;
    case WK_DOWN: case 'j': if (a->ci < T - 1) a->ci++; return VIEW_REDRAW;
    case WK_LEFT: case 'h': if (a->cj > 0) a->cj--; return VIEW_REDRAW;
    case WK_RIGHT: case 'l': if (a->cj < T - 1) a->cj++; return VIEW_REDRAW;
    case WK_ENTER:
        if (a->cursor_set && a->ci < s->rec->tasks_done) s->task = a->ci;
        return VIEW_REDRAW;
    case 'c':
        a->clip = s->rec->R_clip ? !a->clip : 0;
        return VIEW_REDRAW;
    default: return VIEW_IGNORED;
    }
}

static view_reply accuracy_mouse(view *v, wb_mouse ev, int x, int y, wb_state *s) {
    accuracy *a = v->priv;
    if (ev != WM_CLICK || !s->rec || a->n_rows == 0 || a->rows_per_line != 1) return VIEW_IGNORED;
    int i = y + a->ay - a->my, j = (x + a->ax - a->mx) / a->cell_w;
    if (x + a->ax < a->mx || i < 0 || i >= a->n_rows || j >= a->n_cols) return VIEW_IGNORED;
    a->cursor_set = 1;
    a->ci = i;
    a->cj = j;
    return VIEW_REDRAW;
}

static int accuracy_export(view *v, const wb_state *s, const char *dir, char *written, size_t n) {
    accuracy *a = v->priv;
    const run_record *r = s->rec;
    if (!r) return SEGP_FAIL("accuracy: no run is open");
    const double *R = matrix_of(a, r);
    int T = r->num_tasks;
    view_text t = {0};
    if (R) {
        view_text_printf(&t, "after_task");
        for (int j = 0; j < T; j++) view_text_printf(&t, ",task_%d", j + 1);
        view_text_printf(&t, "\n");
        for (int i = 0; i < T; i++) {
            view_text_printf(&t, "%d", i + 1);
            for (int j = 0; j < T; j++)
                if (isfinite(R[i * T + j])) view_text_printf(&t, ",%.4f", R[i * T + j]);
                else view_text_printf(&t, ",");
            view_text_printf(&t, "\n");
        }
        if (view_text_write(&t, dir, a->clip ? "accuracy_matrix_clip.csv" : "accuracy_matrix.csv",
                            written, n) != 0)
            return -1;
    }
    view_text_printf(&t, "task,acc,avg_acc,old_acc,new_acc,clip_acc,bwt,forgetting,fwt,"
                         "heldout_acc\n");
    for (int k = 0; k < r->tasks_done; k++) {
        const run_task_metrics *m = &r->task[k];
        double x[9] = {m->acc, m->avg_acc, m->old_acc, m->new_acc, m->clip_acc, m->bwt,
                       m->forgetting, m->fwt, m->heldout_acc};
        view_text_printf(&t, "%d", k + 1);
        for (int i = 0; i < 9; i++)
            if (m->valid && isfinite(x[i])) view_text_printf(&t, ",%.4f", x[i]);
            else view_text_printf(&t, ",");
        view_text_printf(&t, "\n");
    }
    return view_text_write(&t, dir, "accuracy_curves.csv", written, n);
}

/* `e` draws the matrix shown: the CLIP branch's after `c` */
static void accuracy_figure_of(view *v, view_figure *f) {
    const accuracy *a = v->priv;
    f->clip = a->clip;
}

static void accuracy_free(view *v) {
    free(v->priv);
    free(v);
}

view *view_accuracy_new(void) {
    view *v = segp_calloc(1, sizeof *v);
    v->name = "accuracy";
    v->figure = "accuracy-matrix";
    v->draw = accuracy_draw;
    v->key = accuracy_key;
    v->mouse = accuracy_mouse;
    v->help = accuracy_help;
    v->n_help = (int)(sizeof accuracy_help / sizeof accuracy_help[0]);
    v->export_data = accuracy_export;
    v->figure_of = accuracy_figure_of;
    v->free = accuracy_free;
    v->priv = segp_calloc(1, sizeof(accuracy));
    return v;
}
