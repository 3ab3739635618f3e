/* fig_curves.c: the curve figures: accuracy per task (A_t, average, old and new classes; or A_t
 * of several runs overlaid), drift per interface-distance bin for old and new samples, and the
 * two PGD objectives of the anchors per step. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/common.h"
#include "export/figure_impl.h"
#include "export/legend_names.h"
#include "export/plot.h"

/* ---- accuracy-curve ---- */

static int tasks_with_metrics(const run_record *r) {
    int n = 0;
    for (int t = 0; t < r->num_tasks; t++)
        if (r->task && r->task[t].valid) n = t + 1;
    return n;
}

int fig_accuracy_curve_check(const fig_ctx *c) {
    for (int i = 0; i < (c->n_runs ? c->n_runs : 1); i++) {
        const run_record *r = c->n_runs ? c->runs[i] : c->r;
        if (!tasks_with_metrics(r))
            return SEGP_FAIL("%s: metrics.jsonl has no finished task yet", r->dir);
    }
    return 0;
}

/* y range of accuracy curves: the data padded, within 0..100 (a little over, so that a marker
 * at 100 is whole) */
static void acc_range(const double *v, int n, double *lo, double *hi) {
    if (!fig_range(v, n, 0.08, lo, hi)) {
        *lo = 0;
        *hi = 100;
    }
    if (*lo < 0) *lo = 0;
    if (*hi > 102) *hi = 102;
    if (*hi - *lo < 5) *lo = fmax(0, *hi - 5);
}

typedef struct {
    const char *label;
    int pal;
    fig_marker mark;
    int dashed;
} series_style;

/* The legend of N items below the plot where inside it would take more than half the
 * figure's width: at one column (3.3 in) the accuracy curve's legend took 60% of the plot and
 * hid the running average's points in every corner. Below, it keeps FIG_FS_LEGEND in two
 * columns, with short labels or in one column where it needs them (fig_legend_fit): shrunk to
 * two columns, it came out at 6.9 pt. Returns the columns (0: inside), LH its height. */
static int legend_below(cairo_t *cr, fig_legend_item *it, int n, double w, double *lh) {
    double lw;
    fig_legend_at(cr, it, n, 1, 0, 0, 0, 0, &lw, lh);
    if (lw <= w / 2) {
        *lh = 0;
        return 0;
    }
    int cols = fig_legend_fit(cr, it, n, 2, w - 8);
    fig_legend_at(cr, it, n, cols, w - 8, 0, 0, 0, &lw, lh);
    return cols;
}

/* Draw the legend of N items: below the plot in COLS columns (height LH) centred, else (COLS
 * 0) inside A in the corner that hides the fewest of the NP points. */
static void place_legend(cairo_t *cr, const fig_axes *a, const fig_legend_item *it, int n,
                         int cols, double w, double h, double lh, const double *px,
                         const double *py, int np) {
    if (cols) { /* its frame's line (0.5 pt) within the margin too */
        double lw;
        fig_legend_at(cr, it, n, cols, w - 8, 0, 0, 0, &lw, NULL);
        fig_legend_at(cr, it, n, cols, w - 8, (w - lw) / 2, h - lh - FIG_MARGIN - 0.5, 1, NULL,
                      NULL);
    } else {
        fig_legend(cr, a, it, n, px, py, np, NULL);
    }
}

static void accuracy_single(const fig_ctx *c, cairo_t *cr, double w, double h) {
    const run_record *r = c->r;
    const int T = tasks_with_metrics(r);
    double *x = segp_malloc(sizeof(double) * T), *v[4];
    for (int k = 0; k < 4; k++) v[k] = segp_malloc(sizeof(double) * T);
    for (int t = 0; t < T; t++) {
        const run_task_metrics *m = &r->task[t];
        x[t] = t + 1;
        v[0][t] = m->valid ? m->acc : NAN;
        v[1][t] = m->valid ? m->avg_acc : NAN;
        v[2][t] = m->valid ? m->old_acc : NAN;
        v[3][t] = m->valid ? m->new_acc : NAN;
    }
    const series_style st[4] = {
        {"A\u209c: all seen classes", FIG_C_BLACK, FIG_M_SQUARE, 0},
        {"Average of A\u2081..A\u209c", FIG_C_PURPLE, FIG_M_DIAMOND, 1},
        {"Old classes", FIG_C_OLD, FIG_M_CIRCLE, 0},
        {"New classes (current task)", FIG_C_NEW, FIG_M_TRIANGLE, 0},
    };
    /* below a one-column plot: the old classes' line says which the new ones are */
    static const char *const shrt[4] = {NULL, NULL, NULL, "New classes"};
    double lo = 100, hi = 0;
    for (int k = 0; k < 4; k++) {
        double a, b;
        acc_range(v[k], T, &a, &b);
        if (k == 0 || a < lo) lo = a;
        if (k == 0 || b > hi) hi = b;
    }
    char title[256], desc[160];
    fig_run_desc(r, desc, sizeof desc);
    if (r->final.valid)
        snprintf(title, sizeof title, "Accuracy per task, %s: Last %.1f%%, Avg %.1f%%", desc,
                 r->final.last, r->final.avg);
    else if (T < r->num_tasks) /* an unfinished run: its axis stops short, the title says so */
        snprintf(title, sizeof title, "Accuracy per task, %s: %d of %d tasks so far", desc, T,
                 r->num_tasks);
    else
        snprintf(title, sizeof title, "Accuracy per task, %s", desc);
    fig_axes a = {.x0 = 0.6, .x1 = fmax(T, 1) + 0.4, .y0 = lo, .y1 = hi, .xlabel = "Task",
                  .ylabel = "Accuracy (%)", .title = title, .integer_x = 1, .grid = 1};
    fig_legend_item it[4];
    for (int k = 0; k < 4; k++) {
        fig_rgb col = fig_palette(st[k].pal);
        fig_mark_style ms = {st[k].mark, 5, col, 1, 0, 0};
        it[k] = (fig_legend_item){st[k].label, col, 1, st[k].dashed, 0, ms, shrt[k]};
    }
    double lh;
    int cols = legend_below(cr, it, 4, w, &lh);
    fig_axes_draw(cr, &a, 0, 0, w, cols ? h - lh - 6 : h);
    double *px = segp_malloc(sizeof(double) * 4 * T), *py = segp_malloc(sizeof(double) * 4 * T);
    int np = 0;
    for (int k = 0; k < 4; k++) {
        fig_line(cr, &a, x, v[k], T, it[k].color, 1.3, st[k].dashed);
        fig_points(cr, &a, x, v[k], T, &it[k].mark);
        for (int t = 0; t < T; t++)
            if (isfinite(v[k][t])) {
                px[np] = fig_ax_x(&a, x[t]);
                py[np++] = fig_ax_y(&a, v[k][t]);
            }
    }
    place_legend(cr, &a, it, 4, cols, w, h, lh, px, py, np);

    fig_bytes *b = c->csv;
    fig_bytes_printf(b, "task,classes_seen,acc,avg_acc,old_acc,new_acc,forgetting\n");
    for (int t = 0; t < T; t++) {
        fig_bytes_printf(b, "%d,%d", t + 1, run_seen_classes(r, t));
        for (int k = 0; k < 4; k++) {
            fig_csv_sep(b);
            fig_csv_num(b, v[k][t]);
        }
        fig_csv_sep(b);
        fig_csv_num(b, r->task[t].valid ? r->task[t].forgetting : NAN);
        fig_csv_end(b);
    }
    free(px);
    free(py);
    free(x);
    for (int k = 0; k < 4; k++) free(v[k]);
}

/* The runs' names in a legend below the plot, W wide: IT's short labels their part that differs
 * (fig_names_drop_common), and where one column of those is wider than the room, each cut in
 * the middle to fit (returned, with the shared parts, for fig_names_free; NULL for no cut).
 * Four long folder names ("shapes-random-segp-lr3e-4-seed1-20261201-052900") were shrunk to
 * 4.8 pt at one column, the least fig_legend_at goes to, and still ran off both sides. */
static char **compare_names(cairo_t *cr, fig_legend_item *it, int n, double w, char ***shared) {
    const char **full = segp_malloc(sizeof *full * (size_t)n);
    for (int i = 0; i < n; i++) full[i] = it[i].label;
    *shared = fig_names_drop_common(full, n);
    free(full);
    fig_legend_item *t = segp_malloc(sizeof *t * (size_t)n);
    for (int i = 0; i < n; i++) {
        it[i].label_short = (*shared)[i];
        t[i] = it[i];
        t[i].label = it[i].label_short;
    }
    double lw, widest = 0;
    fig_legend_at(cr, t, n, 1, 0, 0, 0, 0, &lw, NULL);
    free(t);
    const double room = w - 8; /* as legend_below */
    if (lw <= room) return NULL;
    fig_font(cr, FIG_FS_LEGEND, 0);
    for (int i = 0; i < n; i++) widest = fmax(widest, fig_text_width(cr, it[i].label_short));
    /* the legend's width less its widest label: its frame, padding and samples */
    char **cut = fig_names_cut(cr, (const char *const *)*shared, n,
                               room - (lw - widest) - 0.01);
    for (int i = 0; i < n; i++) it[i].label_short = cut[i];
    return cut;
}

static void accuracy_compare(const fig_ctx *c, cairo_t *cr, double w, double h) {
    const int n = c->n_runs;
    int T = 0;
    for (int i = 0; i < n; i++) T = fmax(T, tasks_with_metrics(c->runs[i]));
    double *x = segp_malloc(sizeof(double) * T), *v = segp_malloc(sizeof(double) * T * n);
    for (int t = 0; t < T; t++) x[t] = t + 1;
    double lo = 100, hi = 0;
    for (int i = 0; i < n; i++) {
        const run_record *r = c->runs[i];
        for (int t = 0; t < T; t++)
            v[i * T + t] = t < r->num_tasks && r->task[t].valid ? r->task[t].acc : NAN;
        double a, b;
        acc_range(v + i * T, T, &a, &b);
        if (i == 0 || a < lo) lo = a;
        if (i == 0 || b > hi) hi = b;
    }
    fig_axes a = {.x0 = 0.6, .x1 = fmax(T, 1) + 0.4, .y0 = lo, .y1 = hi, .xlabel = "Task",
                  .ylabel = "Accuracy A\u209c (%)",
                  .title = "Accuracy on all seen classes per task",
                  .integer_x = 1, .grid = 1};
    static const fig_marker marks[] = {FIG_M_CIRCLE, FIG_M_SQUARE, FIG_M_TRIANGLE, FIG_M_DIAMOND,
                                       FIG_M_TRIANGLE_DOWN, FIG_M_CROSS, FIG_M_PLUS};
    fig_legend_item *it = segp_calloc((size_t)n, sizeof *it);
    for (int i = 0; i < n; i++) {
        /* black is the 7th colour: keep it, skip yellow (faint on white) */
        fig_rgb col = fig_palette(i % 7);
        fig_mark_style ms = {marks[i % 7], 5, col, 1, 0, 0};
        it[i] = (fig_legend_item){c->labels[i], col, 1, (i / 7) % 2, 0, ms, NULL};
    }
    char **shared, **cut = compare_names(cr, it, n, w, &shared);
    double lh;
    int cols = legend_below(cr, it, n, w, &lh);
    fig_axes_draw(cr, &a, 0, 0, w, cols ? h - lh - 6 : h);
    double *px = segp_malloc(sizeof(double) * (size_t)(T * n + 1));
    double *py = segp_malloc(sizeof(double) * (size_t)(T * n + 1));
    int np = 0;
    for (int i = 0; i < n; i++) {
        fig_line(cr, &a, x, v + i * T, T, it[i].color, 1.3, it[i].dashed);
        fig_points(cr, &a, x, v + i * T, T, &it[i].mark);
        for (int t = 0; t < T; t++)
            if (isfinite(v[i * T + t])) {
                px[np] = fig_ax_x(&a, x[t]);
                py[np++] = fig_ax_y(&a, v[i * T + t]);
            }
    }
    place_legend(cr, &a, it, n, cols, w, h, lh, px, py, np);
    fig_names_free(cut, n);
    fig_names_free(shared, n);

    /* the full names, whatever the legend shows */
    fig_bytes *b = c->csv;
    fig_csv_str(b, "task");
    for (int i = 0; i < n; i++) {
        fig_csv_sep(b);
        fig_csv_str(b, c->labels[i]);
    }
    fig_csv_end(b);
    for (int t = 0; t < T; t++) {
        fig_bytes_printf(b, "%d", t + 1);
        for (int i = 0; i < n; i++) {
            fig_csv_sep(b);
            fig_csv_num(b, v[i * T + t]);
        }
        fig_csv_end(b);
    }
    free(it);
    free(px);
    free(py);
    free(x);
    free(v);
}

void fig_accuracy_curve_draw(const fig_ctx *c, cairo_t *cr, double w, double h) {
    if (c->n_runs)
        accuracy_compare(c, cr, w, h);
    else
        accuracy_single(c, cr, w, h);
}

/* ---- drift-interface ---- */

int fig_drift_check(const fig_ctx *c) {
    if (!c->td->has_drift) {
        if (c->task == 0)
            return SEGP_FAIL("task 1 has no drift (no old classes before the "
                             "first task); pick --task 2 or later");
        return SEGP_FAIL("%s: tasks/%02d has no drift.safetensors: %s", c->r->dir,
                         c->task + 1, fig_analytics_absent(c->r));
    }
    if (c->td->bins < 1) return SEGP_FAIL("%s: tasks/%02d/drift.safetensors has no curve",
                                          c->r->dir, c->task + 1);
    return 0;
}

/* How much of the two curves (XC, SO and SN, B bins; markers 2.5 pt) lies in the box X0..X1,
 * Y0..Y1 (page coordinates): samples along each segment between finite bins. */
static int curves_in_box(const fig_axes *a, const double *xc, const double *so, const double *sn,
                         int B, double x0, double y0, double x1, double y1) {
    const double r = 2.5;
    int hits = 0;
    for (int c = 0; c < 2; c++) {
        const double *v = c ? sn : so;
        for (int i = 0; i < B; i++) {
            if (!isfinite(v[i])) continue;
            int j = i + 1 < B && isfinite(v[i + 1]) ? i + 1 : i;
            for (int q = 0; q <= 16; q++) {
                double t = q / 16.0;
                double px = fig_ax_x(a, xc[i] + t * (xc[j] - xc[i]));
                double py = fig_ax_y(a, v[i] + t * (v[j] - v[i]));
                hits += px >= x0 - r && px <= x1 + r && py >= y0 - r && py <= y1 + r;
            }
        }
    }
    return hits;
}

/* The interface's name along its line, on the side where it crosses no curve and not the
 * legend (LEGEND: x, y, width, height): "interface (m = 0)" left of the line, else right of it,
 * else the short "m = 0"; from the top of the plot, else from under the legend; else the short
 * name where it crosses the curves least (at one column the long name ran over the old-class
 * curve, the short one under the legend's words). */
static void interface_label(cairo_t *cr, const fig_axes *a, const double *xc, const double *so,
                            const double *sn, int B, const double legend[4]) {
    static const char *const names[2] = {"interface (m = 0)", "m = 0"};
    fig_font(cr, FIG_FS_TICK, 0);
    cairo_set_source_rgb(cr, 0.35, 0.35, 0.35);
    const double x = fig_ax_x(a, 0), fh = FIG_FS_TICK * 1.2;
    const double starts[2] = {a->py + 3, legend[1] + legend[3] + 3};
    int best_side = -1, best_hits = -1;
    double best_y = 0;
    for (int k = 0; k < 2; k++)
        for (int st = 0; st < (legend[3] > 0 ? 2 : 1); st++)
            for (int side = 0; side < 2; side++) {
                double y0 = starts[st], y1 = y0 + fig_text_width(cr, names[k]);
                double bx0 = side ? x + 2 : x - 2 - fh;
                if (y1 > a->py + a->ph - 3) continue; /* longer than the room left */
                if (legend[3] > 0 && bx0 < legend[0] + legend[2] + 1 &&
                    bx0 + fh > legend[0] - 1 && y0 < legend[1] + legend[3] + 1 &&
                    y1 > legend[1] - 1)
                    continue;
                int hits = curves_in_box(a, xc, so, sn, B, bx0, y0, bx0 + fh, y1);
                if (hits == 0) {
                    fig_text(cr, side ? x + 2 : x - 2, y0, 1, side ? 0 : 1, -M_PI / 2,
                             names[k]);
                    return;
                }
                if (k == 1 && (best_hits < 0 || hits < best_hits)) {
                    best_hits = hits;
                    best_side = side;
                    best_y = y0;
                }
            }
    if (best_side < 0) { /* beside the legend nowhere: from the top, as before */
        best_side = 0;
        best_y = starts[0];
    }
    fig_text(cr, best_side ? x + 2 : x - 2, best_y, 1, best_side ? 0 : 1, -M_PI / 2, names[1]);
}

void fig_drift_draw(const fig_ctx *c, cairo_t *cr, double w, double h) {
    const run_task_data *td = c->td;
    const int B = td->bins;
    double *xc = segp_malloc(sizeof(double) * B), *mo = segp_malloc(sizeof(double) * B);
    double *mn = segp_malloc(sizeof(double) * B), *co = segp_malloc(sizeof(double) * B);
    double *cn = segp_malloc(sizeof(double) * B), *edges = segp_malloc(sizeof(double) * (B + 1));
    double vmax = 0;
    for (int i = 0; i <= B; i++) edges[i] = td->edges[i];
    for (int i = 0; i < B; i++) {
        xc[i] = 0.5 * (td->edges[i] + td->edges[i + 1]);
        mo[i] = td->mean_old[i];
        mn[i] = td->mean_new[i];
        co[i] = td->count_old[i];
        cn[i] = td->count_new[i];
        if (isfinite(mo[i])) vmax = fmax(vmax, mo[i]);
        if (isfinite(mn[i])) vmax = fmax(vmax, mn[i]);
    }
    /* small JSDs read better in thousandths */
    double scale = 1;
    const char *ylabel = "Mean drift (JSD, nats)", *ylabel_short = "JSD (nats)";
    if (vmax > 0 && vmax < 0.01) {
        scale = 1000;
        ylabel = "Mean drift (JSD, 10\u207b\u00b3 nats)";
        ylabel_short = "JSD (10\u207b\u00b3 nats)";
    }
    double *so = segp_malloc(sizeof(double) * B), *sn = segp_malloc(sizeof(double) * B);
    for (int i = 0; i < B; i++) {
        so[i] = mo[i] * scale;
        sn[i] = mn[i] * scale;
    }
    double ratio = td->has_summary ? td->summary.boundary_core_ratio : NAN;
    if (!isfinite(ratio) && c->r->task && c->r->task[c->task].valid)
        ratio = c->r->task[c->task].bc_ratio;
    char title[256], rtxt[48];
    if (isfinite(ratio))
        snprintf(rtxt, sizeof rtxt, "boundary/core ratio %.2f", ratio);
    else
        snprintf(rtxt, sizeof rtxt, "boundary/core ratio undefined");
    snprintf(title, sizeof title, "Drift by interface distance, task %d (%s)", c->task + 1, rtxt);

    const double lo = edges[0], hi = edges[B];
    double ylo = 0, yhi = 0; /* drift is >= 0: from the zero line up */
    for (int i = 0; i < B; i++) {
        if (isfinite(so[i])) yhi = fmax(yhi, so[i]);
        if (isfinite(sn[i])) yhi = fmax(yhi, sn[i]);
    }
    yhi = yhi > 0 ? yhi * 1.08 : 1;

    const double top_h = h * 0.68;
    /* both panels reserve the same room for tick values, so that their x axes line up */
    fig_font(cr, FIG_FS_TICK, 0);
    const double tick_w = fig_text_width(cr, "00000");
    /* short y labels where the full ones need smaller type: at one column the top panel's
     * came out at 7.2 pt under a two-line title, the counts' at 6.8 */
    fig_axes a = {.x0 = lo, .x1 = hi, .y0 = ylo, .y1 = yhi, .ylabel = ylabel,
                  .ylabel_short = ylabel_short, .title = title, .grid = 1, .tick_w_min = tick_w};
    fig_rgb co_c = fig_palette(FIG_C_OLD), cn_c = fig_palette(FIG_C_NEW);
    fig_mark_style mso = {FIG_M_CIRCLE, 5, co_c, 1, 0, 0}, msn = {FIG_M_TRIANGLE, 5, cn_c, 1, 0, 0};
    fig_legend_item it[2] = {{"Old-class test images", co_c, 1, 0, 0, mso, NULL},
                             {"New-task test images", cn_c, 1, 1, 0, msn, NULL}};
    /* what the legend keeps off: the points and their lines (samples along each segment) */
    const int per_seg = 16;
    double *dx = segp_malloc(sizeof(double) * (size_t)(2 * B * per_seg + 1));
    double *dy = segp_malloc(sizeof(double) * (size_t)(2 * B * per_seg + 1));
    int np = 0;
    for (int k = 0; k < 2; k++) {
        const double *v = k ? sn : so;
        for (int i = 0; i < B; i++) {
            if (!isfinite(v[i])) continue;
            const int seg = i + 1 < B && isfinite(v[i + 1]);
            for (int q = 0; q < (seg ? per_seg : 1); q++) {
                double t = (double)q / per_seg;
                dx[np] = xc[i] + (seg ? t * (xc[i + 1] - xc[i]) : 0);
                dy[np++] = v[i] + (seg ? t * (v[i + 1] - v[i]) : 0);
            }
        }
    }
    /* where every corner of the plot hides some of them, the y axis grows at the top to give
     * the legend a corner of its own: at one column the legend covered points of task 5 in
     * every corner */
    fig_axes_layout(cr, &a, 0, 0, w, top_h);
    for (int round = 0; round < 3; round++) {
        double y1 = fig_legend_headroom(cr, &a, it, 2, dx, dy, np);
        if (!(y1 > a.y1)) break;
        a.y1 = y1;
        fig_axes_layout(cr, &a, 0, 0, w, top_h);
    }
    fig_axes_draw(cr, &a, 0, 0, w, top_h);
    fig_axes_vline(cr, &a, 0);
    fig_line(cr, &a, xc, so, B, co_c, 1.3, 0);
    fig_line(cr, &a, xc, sn, B, cn_c, 1.3, 1);
    fig_points(cr, &a, xc, so, B, &mso);
    fig_points(cr, &a, xc, sn, B, &msn);
    for (int i = 0; i < np; i++) { /* to page coordinates */
        dx[i] = fig_ax_x(&a, dx[i]);
        dy[i] = fig_ax_y(&a, dy[i]);
    }
    double legend[4];
    fig_legend(cr, &a, it, 2, dx, dy, np, legend);
    free(dx);
    free(dy);
    if (0 >= lo && 0 <= hi) interface_label(cr, &a, xc, so, sn, B, legend);

    /* counts per bin below, on the same x range, and aligned with the plot above */
    double cmax = 0;
    for (int i = 0; i < B; i++) cmax = fmax(cmax, fmax(co[i], cn[i]));
    fig_axes b = {.x0 = lo, .x1 = hi, .y0 = 0, .y1 = cmax > 0 ? cmax * 1.1 : 1,
                  .xlabel = "Interface distance m (max old \u2212 max new teacher logit)",
                  .ylabel = "Test images", .ylabel_short = "Images", .grid = 1,
                  .tick_w_min = tick_w};
    fig_axes_draw(cr, &b, 0, top_h, w, h - top_h);
    fig_bars(cr, &b, edges, co, B, 0.06, 0.5, co_c, 0.55);
    fig_bars(cr, &b, edges, cn, B, 0.5, 0.94, cn_c, 0.55);
    fig_axes_vline(cr, &b, 0);

    fig_bytes *d = c->csv;
    fig_bytes_printf(d, "bin_lo,bin_hi,mean_drift_old,mean_drift_new,count_old,count_new\n");
    for (int i = 0; i < B; i++) {
        fig_csv_num(d, edges[i]);
        fig_csv_sep(d);
        fig_csv_num(d, edges[i + 1]);
        fig_csv_sep(d);
        fig_csv_num(d, mo[i]);
        fig_csv_sep(d);
        fig_csv_num(d, mn[i]);
        fig_csv_sep(d);
        fig_csv_num(d, co[i]);
        fig_csv_sep(d);
        fig_csv_num(d, cn[i]);
        fig_csv_end(d);
    }
    free(xc);
    free(mo);
    free(mn);
    free(co);
    free(cn);
    free(so);
    free(sn);
    free(edges);
}

/* ---- anchor-losses ---- */

int fig_anchor_losses_check(const fig_ctx *c) {
    const run_task_data *td = c->td;
    if (!td->has_anchors) {
        if (c->task == 0)
            return SEGP_FAIL("task 1 has no anchors (they are built for old "
                             "classes, from task 2 on); pick --task 2 or later");
        return SEGP_FAIL("%s (method %s) keeps no anchors at task %d "
                         "(tasks/%02d/anchors.safetensors is absent)",
                         c->r->dir, c->r->method ? c->r->method : "?", c->task + 1, c->task + 1);
    }
    if (td->n_anchors < 1 || td->k_adv < 1 || !td->loss_text || !td->loss_vis)
        return SEGP_FAIL("the anchors of task %d took no PGD steps (source '%s')",
                         c->task + 1, td->anchor_source);
    return 0;
}

static int cmp_float(const void *a, const void *b) {
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* Per step of L [n, k]: the mean and the 10th and 90th percentiles (linear interpolation).
 * Percentiles rather than mean +- s.d.: the losses are skewed (a few anchors start far from
 * their target) and never negative, which a symmetric band would suggest. */
static void col_stats(const float *L, int n, int k, double *mean, double *p10, double *p90) {
    float *col = segp_malloc(sizeof(float) * (size_t)n);
    for (int j = 0; j < k; j++) {
        double s = 0;
        for (int i = 0; i < n; i++) {
            col[i] = L[(size_t)i * k + j];
            s += col[i];
        }
        qsort(col, (size_t)n, sizeof(float), cmp_float);
        mean[j] = s / n;
        for (int q = 0; q < 2; q++) {
            double pos = (q == 0 ? 0.1 : 0.9) * (n - 1);
            int i0 = (int)floor(pos), i1 = i0 + 1 < n ? i0 + 1 : i0;
            double v = col[i0] + (pos - i0) * (col[i1] - col[i0]);
            (q == 0 ? p10 : p90)[j] = v;
        }
    }
    free(col);
}

/* The legend of a panel in colour COL with markers MS (the mean's). */
static void loss_legend(fig_rgb col, fig_mark_style ms, fig_legend_item it[2]) {
    it[0] = (fig_legend_item){"Mean over anchors", col, 1, 0, 0, ms, "Mean"};
    it[1] = (fig_legend_item){"10th\u201390th percentile", col, 0, 0, 1, {0},
                              "10th\u201390th pct."};
}

/* One panel in (X, Y, W, H); its legend inside it, or where LEGEND_H > 0 none: the room the
 * figure's legend takes below the panels. */
static void loss_panel(cairo_t *cr, double x, double y, double w, double h, const double *steps,
                       const double *mean, const double *p10, const double *p90, int k,
                       fig_rgb col, fig_marker mk,
                       const char *title, int title_lines, const char *ylabel,
                       const char *ylabel_short, double legend_h) {
    double *lo = segp_malloc(sizeof(double) * k), *hi = segp_malloc(sizeof(double) * k);
    for (int j = 0; j < k; j++) {
        lo[j] = p10[j];
        hi[j] = p90[j];
    }
    /* the mean too: at task 2 of the shipped run the text loss's step-0 mean (2.6e-3) lies
     * above its 90th percentile (1.6e-3), and a range of the band alone drew it off the top */
    double ylo, yhi;
    if (!fig_band_range(mean, lo, hi, k, 0.05, &ylo, &yhi)) {
        ylo = 0;
        yhi = 1;
    }
    fig_axes a = {.x0 = -0.3, .x1 = (k - 1) + 0.3, .y0 = ylo, .y1 = yhi, .xlabel = "PGD step",
                  .ylabel = ylabel, .ylabel_short = ylabel_short, .title = title,
                  .title_lines = title_lines, .integer_x = 1, .grid = 1};
    fig_mark_style ms = {mk, 4.5, col, 1, 0, 0};
    fig_axes_draw(cr, &a, x, y, w, legend_h > 0 ? h - legend_h - 4 : h);
    fig_band(cr, &a, steps, lo, hi, k, col, 0.22);
    fig_line(cr, &a, steps, mean, k, col, 1.4, 0);
    fig_points(cr, &a, steps, mean, k, &ms);
    if (legend_h > 0) {
        free(lo);
        free(hi);
        return;
    }
    fig_legend_item it[2];
    loss_legend(col, ms, it);
    double px[512], py[512];
    int np = 0;
    for (int j = 0; j < k && np < 510; j++) {
        px[np] = fig_ax_x(&a, steps[j]);
        py[np++] = fig_ax_y(&a, mean[j]);
        px[np] = fig_ax_x(&a, steps[j]);
        py[np++] = fig_ax_y(&a, hi[j]);
    }
    fig_legend(cr, &a, it, 2, px, py, np, NULL);
    free(lo);
    free(hi);
}

void fig_anchor_losses_draw(const fig_ctx *c, cairo_t *cr, double w, double h) {
    const run_task_data *td = c->td;
    const int n = td->n_anchors, k = td->k_adv + 1;
    double *steps = segp_malloc(sizeof(double) * k);
    double *st = segp_malloc(sizeof(double) * 6 * k);
    double *tm = st, *t10 = st + k, *t90 = st + 2 * k, *vm = st + 3 * k, *v10 = st + 4 * k,
           *v90 = st + 5 * k;
    for (int j = 0; j < k; j++) steps[j] = j;
    col_stats(td->loss_text, n, k, tm, t10, t90);
    col_stats(td->loss_vis, n, k, vm, v10, v90);

    char sup[256];
    snprintf(sup, sizeof sup, "DPGD anchor objectives, task %d (%d anchor%s, %d step%s)",
             c->task + 1, n, segp_s(n), td->k_adv, segp_s(td->k_adv));
    /* the title and the panels' titles keep their size and take more lines: shrunk to fit, a
     * one-column figure had them at 7-7.5 pt */
    fig_title sup_t;
    fig_title_wrap(cr, sup, w - 2 * FIG_MARGIN, &sup_t);
    fig_title_draw(cr, &sup_t, w / 2, FIG_MARGIN, w - FIG_MARGIN, 4);
    const double top = FIG_FS_TITLE * 1.9 + (sup_t.n - 1) * FIG_TITLE_LEAD;
    /* both panels keep rows for the longer title, so that their plots line up: "Visual-prototype
     * objective" takes two lines at one column, "Text objective" one */
    static const char *const titles[2] = {"Text objective", "Visual-prototype objective"};
    const double room = w / 2 - 2 * FIG_MARGIN; /* as fig_axes_draw keeps it */
    fig_title pt;
    int tl = fig_title_wrap(cr, titles[0], room, &pt);
    if (fig_title_wrap(cr, titles[1], room, &pt) > tl) tl = pt.n;
    /* a legend wider than half a panel goes below the panels: at one column (3.3 in) it
     * covered the band in every corner. One legend for both, in grey (the panels differ in
     * colour, not in what line and band mean), at full size across the width: a legend
     * below each panel was shrunk to 6.4 pt to fit its half */
    fig_legend_item it[2];
    const fig_mark_style grey_ms = {FIG_M_NONE, 0, {0.3, 0.3, 0.3}, 1, 0, 0};
    loss_legend(grey_ms.color, grey_ms, it);
    double lw, lh = 0;
    fig_legend_at(cr, it, 2, 1, 0, 0, 0, 0, &lw, NULL);
    int cols = 0;
    if (lw > w / 4) {
        cols = fig_legend_fit(cr, it, 2, 2, w - 8);
        fig_legend_at(cr, it, 2, cols, w - 8, 0, 0, 0, &lw, &lh);
    }
    /* short y labels where the long ones need smaller type: at one column the left label
     * shrank to 6 pt beside the right one's 9 */
    loss_panel(cr, 0, top, w / 2, h - top, steps, tm, t10, t90, k, fig_palette(FIG_C_BLUE),
               FIG_M_CIRCLE, titles[0], tl, "Cross-entropy to the target class",
               "Cross-entropy", lh);
    loss_panel(cr, w / 2, top, w / 2, h - top, steps, vm, v10, v90, k,
               fig_palette(FIG_C_VERMILLION), FIG_M_SQUARE, titles[1], tl,
               "1 \u2212 cos(f, \u03bc) of the target", "1 \u2212 cos(f, \u03bc)", lh);
    if (cols) /* its frame's line (0.5 pt) within the margin too */
        fig_legend_at(cr, it, 2, cols, w - 8, (w - lw) / 2, h - lh - FIG_MARGIN - 0.5, 1, NULL,
                      NULL);

    fig_bytes *b = c->csv;
    fig_bytes_printf(b, "step,text_mean,text_p10,text_p90,visual_mean,visual_p10,visual_p90\n");
    for (int j = 0; j < k; j++) {
        fig_bytes_printf(b, "%d", j);
        double v[6] = {tm[j], t10[j], t90[j], vm[j], v10[j], v90[j]};
        for (int q = 0; q < 6; q++) {
            fig_csv_sep(b);
            fig_csv_num(b, v[q]);
        }
        fig_csv_end(b);
    }
    free(steps);
    free(st);
}
