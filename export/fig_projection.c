/* fig_projection.c: the 2-D projection (PCA or t-SNE) of one joint point set of a task: test
 * images, class texts, prototypes and anchors, old classes against the current task's by colour
 * and by marker shape (images: circle / triangle, texts: square / diamond, prototypes: hollow
 * circle / hollow triangle; anchors, all old: x). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/common.h"
#include "export/figure_impl.h"
#include "export/plot.h"

enum { K_IMAGE = 0, K_TEXT = 1, K_PROTO = 2, K_ANCHOR = 3, K_N = 4 };
static const char *const kind_names[K_N] = {"image", "text", "prototype", "anchor"};

int fig_projection_check(const fig_ctx *c) {
    const run_task_data *td = c->td;
    if (!td->has_geometry)
        return SEGP_FAIL("%s: tasks/%02d has no geometry.safetensors (with the projection): %s",
                         c->r->dir, c->task + 1, fig_analytics_absent(c->r));
    if (td->n_proj < 1 || !td->proj_pca)
        return SEGP_FAIL("%s: tasks/%02d/geometry.safetensors has no projection (proj.pca; "
                         "analytics.projection_points was 0?)", c->r->dir, c->task + 1);
    if (c->o->space == FIG_SPACE_TSNE && !td->proj_tsne)
        return SEGP_FAIL("%s: tasks/%02d/geometry.safetensors has no t-SNE (proj.tsne; "
                         "analytics.projection_points was 0?); use --space pca", c->r->dir,
                         c->task + 1);
    return 0;
}

static fig_mark_style style_of(int kind, int old) {
    fig_rgb col = fig_palette(old ? FIG_C_OLD : FIG_C_NEW);
    fig_mark_style s = {FIG_M_NONE, 3, col, 1, 0, 0};
    switch (kind) {
    case K_IMAGE:
        s.shape = old ? FIG_M_CIRCLE : FIG_M_TRIANGLE;
        s.size = 2.6;
        s.alpha = 0.45;
        break;
    case K_TEXT:
        s.shape = old ? FIG_M_SQUARE : FIG_M_DIAMOND;
        s.size = 5.5;
        s.edge = 1;
        break;
    case K_PROTO:
        s.shape = old ? FIG_M_CIRCLE : FIG_M_TRIANGLE;
        s.size = 6;
        s.hollow = 1;
        break;
    default:
        s.shape = FIG_M_CROSS;
        s.size = 3.6;
        s.alpha = 0.8;
        break;
    }
    return s;
}

void fig_projection_draw(const fig_ctx *c, cairo_t *cr, double w, double h) {
    const run_task_data *td = c->td;
    const int n = td->n_proj, tsne = c->o->space == FIG_SPACE_TSNE;
    const float *xy = tsne ? td->proj_tsne : td->proj_pca;
    double *x = segp_malloc(sizeof(double) * n), *y = segp_malloc(sizeof(double) * n);
    for (int i = 0; i < n; i++) {
        x[i] = xy[2 * i];
        y[i] = xy[2 * i + 1];
    }
    double x0, x1, y0, y1;
    if (!fig_range(x, n, 0.04, &x0, &x1)) x0 = -1, x1 = 1;
    if (!fig_range(y, n, 0.04, &y0, &y1)) y0 = -1, y1 = 1;

    /* which (kind, old/new) groups are present: the legend lists only those */
    int present[K_N][2] = {{0}};
    for (int i = 0; i < n; i++) {
        int k = td->proj_kind[i];
        if (k < 0 || k >= K_N) continue;
        present[k][td->proj_class[i] < td->n_old]++;
    }
    static const char *const group_words[K_N][2] = {
        {"Test image, new class", "Test image, old class"},
        {"Class text, new", "Class text, old"},
        {"Prototype, new", "Prototype, old"},
        {"Anchor (old-class target)", "Anchor (old-class target)"},
    };
    fig_legend_item it[K_N * 2];
    int nit = 0;
    for (int k = 0; k < K_N; k++)
        for (int old = 1; old >= 0; old--)
            if (present[k][old]) {
                fig_mark_style s = style_of(k, old);
                it[nit++] = (fig_legend_item){group_words[k][old], s.color, 0, 0, 0, s,
                                              k == K_ANCHOR ? "Anchor (old class)" : NULL};
            }

    /* the legend sits outside the plot, where points fill the whole plane: right of it, or
     * below it where beside it would take more than a third of the width (a one-column
     * figure), at full size in two columns, the anchors' label shortened where it needs
     * (fig_legend_fit): shrunk to fit, it came out at 7.35 pt */
    double lw, lh;
    fig_legend_at(cr, it, nit, 1, 0, 0, 0, 0, &lw, &lh);
    const int below = lw > w / 3;
    const int cols = below ? fig_legend_fit(cr, it, nit, 2, w - 8) : 1;
    if (below) fig_legend_at(cr, it, nit, cols, w - 8, 0, 0, 0, &lw, &lh);
    char title[256], xl[64], yl[64], xs[32] = "", ys[32] = "";
    if (tsne) {
        double kl = td->has_summary ? td->summary.tsne_kl : NAN;
        if (isfinite(kl))
            snprintf(title, sizeof title, "t-SNE of the student embeddings, task %d (KL %.2f)",
                     c->task + 1, kl);
        else
            snprintf(title, sizeof title, "t-SNE of the student embeddings, task %d",
                     c->task + 1);
        snprintf(xl, sizeof xl, "t-SNE 1");
        snprintf(yl, sizeof yl, "t-SNE 2");
    } else {
        snprintf(title, sizeof title, "PCA of the student embeddings, task %d", c->task + 1);
        double e0 = td->has_summary ? td->summary.pca_explained[0] : NAN;
        double e1 = td->has_summary ? td->summary.pca_explained[1] : NAN;
        if (isfinite(e0) && isfinite(e1)) {
            snprintf(xl, sizeof xl, "Principal component 1 (%.1f%% of variance)", 100 * e0);
            snprintf(yl, sizeof yl, "Principal component 2 (%.1f%% of variance)", 100 * e1);
            snprintf(xs, sizeof xs, "PC 1 (%.1f%%)", 100 * e0);
            snprintf(ys, sizeof ys, "PC 2 (%.1f%%)", 100 * e1);
        } else {
            snprintf(xl, sizeof xl, "Principal component 1");
            snprintf(yl, sizeof yl, "Principal component 2");
            snprintf(xs, sizeof xs, "PC 1");
            snprintf(ys, sizeof ys, "PC 2");
        }
    }
    fig_axes a = {.x0 = x0, .x1 = x1, .y0 = y0, .y1 = y1, .xlabel = xl, .ylabel = yl,
                  .xlabel_short = *xs ? xs : NULL, .ylabel_short = *ys ? ys : NULL,
                  .title = title, .grid = 0};
    if (below) {
        fig_axes_draw(cr, &a, 0, 0, w, h - lh - 6);
    } else {
        /* the title row and, below a legend shorter than the plot, the x label's row are free
         * across the whole width: a narrow figure needs it */
        if (lh + 60 < h) a.text_w = w;
        fig_axes_draw(cr, &a, 0, 0, w - lw - 8, h);
    }
    /* draw order: images under anchors under prototypes under texts */
    static const int order[K_N] = {K_IMAGE, K_ANCHOR, K_PROTO, K_TEXT};
    cairo_save(cr);
    fig_axes_clip(cr, &a);
    for (int q = 0; q < K_N; q++)
        for (int i = 0; i < n; i++) {
            if (td->proj_kind[i] != order[q] || !isfinite(x[i]) || !isfinite(y[i])) continue;
            fig_mark_style s = style_of(order[q], td->proj_class[i] < td->n_old);
            fig_mark(cr, &s, fig_ax_x(&a, x[i]), fig_ax_y(&a, y[i]));
        }
    cairo_restore(cr);
    if (below) /* its frame's line (0.5 pt) within the margin too */
        fig_legend_at(cr, it, nit, cols, w - 8, (w - lw) / 2, h - lh - FIG_MARGIN - 0.5, 1,
                      NULL, NULL);
    else
        fig_legend_at(cr, it, nit, 1, 0, w - lw - FIG_MARGIN - 0.5, a.py, 1, NULL, NULL);

    fig_bytes *b = c->csv;
    fig_bytes_printf(b, "kind,class_position,label,class_name,old,row,%s\n",
                     tsne ? "tsne_1,tsne_2" : "pc_1,pc_2");
    for (int i = 0; i < n; i++) {
        int k = td->proj_kind[i], pos = td->proj_class[i];
        int lab = pos >= 0 && pos < td->n_seen ? td->labels[pos] : -1;
        fig_bytes_printf(b, "%s,%d,%d,", k >= 0 && k < K_N ? kind_names[k] : "?", pos, lab);
        fig_csv_str(b, run_class_name(c->r, lab));
        fig_bytes_printf(b, ",%d,%d,", pos < td->n_old, td->proj_row[i]);
        fig_csv_num(b, x[i]);
        fig_csv_sep(b);
        fig_csv_num(b, y[i]);
        fig_csv_end(b);
    }
    free(x);
    free(y);
}
