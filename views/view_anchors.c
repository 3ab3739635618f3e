/* view_anchors.c: the anchors view. The anchor set of a task (anchors.safetensors, cl/anchors.h):
 * how many anchors each old class got, how far the anchors ended from their class's prototype
 * and from their seed image, the two PGD objectives per step (mean over the anchors with their
 * min-max band, and the selected anchor's own curve), the l-inf size of the perturbations, the
 * source (pgd / seeds / new_task), and the saved anchor images as thumbnails where the canvas
 * can show them (a list of classes and distances otherwise). Arrows select an anchor. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/common.h"
#include "views/anchor_stats.h"
#include "views/viewkit.h"

enum { PANELS_LOSSES = 0, PANELS_DISTANCES = 1, PANELS_CLASSES = 2, PANEL_MODES = 3 };
/* The layout of the last draw: what i and p change depends on it. */
enum { LAYOUT_SMALL, LAYOUT_MID, LAYOUT_LARGE };

typedef struct {
    int task;
    char filter[128];   /* the filter SEL belongs to */
    int sel;            /* selected anchor, in the filtered list */
    int top;            /* first row of the anchor list */
    int gallery;        /* thumbnails instead of the list where the canvas shows images */
    int panels;         /* PANELS_*: what the top band shows when only part fits */
    int small_panels;   /* the small layout: 0 the list (or images), 1 + PANELS_*: those panels
                         * in its place */
    int layout;         /* LAYOUT_* of the last draw */
    int page;           /* rows of the list drawn last */
    /* the list's rows of the last draw (canvas cells), for clicks */
    int list_x, list_y, list_w, list_h;
    trect area;
} anc_priv;

/* Anchors whose target class passes the filter: IDX [n_anchors]; the count. */
static int filtered(const wb_state *s, int *idx) {
    int k = 0;
    for (int i = 0; i < s->td->n_anchors; i++)
        if (vk_match(vk_class(s, s->td->anchor_target[i]), s->filter)) idx[k++] = i;
    return k;
}

static const char *linf_name(const tcanvas *c) {
    return c->cs == CHARSET_ASCII ? "|delta|inf" : "\u2016\u03b4\u2016\u221e";
}

/* The saved image of anchor A (NULL when none was saved). */
static const uint8_t *image_of(const run_task_data *td, int a) {
    for (int m = 0; m < td->n_anchor_images; m++)
        if (td->anchor_image_rows[m] == a)
            return td->anchor_images + (size_t)m * td->anchor_res * td->anchor_res * 3;
    return NULL;
}

static int can_show_images(const tcanvas *c) {
    return c->cs != CHARSET_ASCII && c->colors != COLORS_NONE;
}

/* " | TEXT" at *X on row Y (TEXT alone at R's left edge) when it fits whole in R; 0 when not:
 * the info lines leave a part out rather than cut its value ("to prototype 0.050"). */
static int put_part(tcanvas *c, trect r, int y, int *x, const char *text, int fg, int attr) {
    int sep = *x > r.x ? 3 : 0, w = utf8_cells(text);
    if (*x + sep + w > r.x + r.w) return 0;
    if (sep) *x += canvas_text(c, *x, y, sep, " | ", fg, COL_DEFAULT, 0);
    *x += canvas_text(c, *x, y, w, text, fg, COL_DEFAULT, attr);
    return 1;
}

/* The first info line in 70+ columns: the source, the anchors and classes, the PGD steps and
 * the l-inf range, each part whole or left out. */
static void draw_info_wide(tcanvas *c, trect r, const wb_state *s, const int *idx, int k,
                           float lmin, float lmax) {
    const run_task_data *td = s->td;
    int fg = color_fg(c), acc = color_accent(c), dim = color_dim(c);
    char part[160];
    int x = r.x;
    x += canvas_text(c, x, r.y, r.w, "source ", fg, COL_DEFAULT, 0);
    x += canvas_text(c, x, r.y, r.x + r.w - x, td->anchor_source, acc, COL_DEFAULT, ATTR_BOLD);
    if (k != td->n_anchors)
        snprintf(part, sizeof part, "%d anchor%s of %d (filter) for %d old class%s", k,
                 segp_s(k), td->n_anchors, td->n_old, td->n_old == 1 ? "" : "es");
    else
        snprintf(part, sizeof part, "%d anchor%s for %d old class%s", k, segp_s(k), td->n_old,
                 td->n_old == 1 ? "" : "es");
    if (!put_part(c, r, r.y, &x, part, k != td->n_anchors ? dim : fg, 0)) return;
    snprintf(part, sizeof part, "%d PGD step%s", td->k_adv, segp_s(td->k_adv));
    if (!put_part(c, r, r.y, &x, part, fg, 0)) return;
    if (k) { /* the range, else its mean alone */
        snprintf(part, sizeof part, "%s %.4f..%.4f (mean %.4f)", linf_name(c), lmin, lmax,
                 anchor_mean_of(td->anchor_linf, idx, k));
        if (!put_part(c, r, r.y, &x, part, fg, 0)) {
            snprintf(part, sizeof part, "%s mean %.4f", linf_name(c),
                     anchor_mean_of(td->anchor_linf, idx, k));
            put_part(c, r, r.y, &x, part, fg, 0);
        }
    }
}

static void draw_info(tcanvas *c, trect r, const wb_state *s, const int *idx, int k) {
    const run_task_data *td = s->td;
    int fg = color_fg(c), acc = color_accent(c), dim = color_dim(c);
    float lmin = INFINITY, lmax = -INFINITY;
    for (int q = 0; q < k; q++) {
        float v = td->anchor_linf[idx[q]];
        if (v < lmin) lmin = v;
        if (v > lmax) lmax = v;
    }
    int x = r.x;
    char part[160];
    if (r.w < 70) { /* narrow: the source, the count, the steps */
        put_part(c, r, r.y, &x, td->anchor_source, acc, ATTR_BOLD);
        snprintf(part, sizeof part, "%d anchor%s", k, segp_s(k));
        if (put_part(c, r, r.y, &x, part, fg, 0)) {
            snprintf(part, sizeof part, "%d step%s", td->k_adv, segp_s(td->k_adv));
            put_part(c, r, r.y, &x, part, fg, 0);
        }
    } else {
        draw_info_wide(c, r, s, idx, k, lmin, lmax);
    }
    /* the second line (its parts whole or not at all; at 60 columns it was left blank) */
    if (r.h < 2 || k == 0) return;
    int k1 = td->k_adv + 1;
    float *m = segp_malloc((size_t)k1 * 3 * sizeof *m);
    anchor_loss_stats(td, td->loss_text, idx, k, m, m + k1, m + 2 * k1);
    double t0 = m[0], t1 = m[k1 - 1];
    anchor_loss_stats(td, td->loss_vis, idx, k, m, m + k1, m + 2 * k1);
    double v0 = m[0], v1 = m[k1 - 1];
    free(m);
    char parts[4][96];
    snprintf(parts[0], sizeof parts[0], "mean loss_text %.4g -> %.4g", t0, t1);
    snprintf(parts[1], sizeof parts[1], "loss_vis %.4g -> %.4g", v0, v1);
    snprintf(parts[2], sizeof parts[2], "to prototype %.4f",
             anchor_mean_of(td->anchor_dist_proto, idx, k));
    snprintf(parts[3], sizeof parts[3], "to seed %.4f", anchor_mean_of(td->anchor_dist_seed, idx, k));
    x = r.x;
    for (int i = 0; i < 4 && put_part(c, r, r.y + 1, &x, parts[i], dim, 0); i++) {}
}

/* FULL where a frame of R's width shows it whole (canvas_box: R.w - 5 cells), else SHORT: a
 * title cut mid-word ("loss_vis (1-cos to ") says less than a short one. */
static const char *fit_title(trect r, const char *full, const char *short_title) {
    return utf8_cells(full) <= r.w - 5 ? full : short_title;
}

static void draw_loss(tcanvas *c, trect r, const wb_state *s, const int *idx, int k, int sel,
                      int vis) {
    const run_task_data *td = s->td;
    trect in = vk_panel(c, r, vis ? fit_title(r, "loss_vis (1-cos to mu)", "loss_vis")
                                  : fit_title(r, "loss_text (CE)", "loss_text"));
    if (in.w < 8 || in.h < 3) return;
    if (td->k_adv < 1) {
        char msg[96];
        snprintf(msg, sizeof msg, "no PGD steps (source %s)", td->anchor_source);
        view_notice(c, in, msg);
        return;
    }
    int k1 = td->k_adv + 1;
    const float *loss = vis ? td->loss_vis : td->loss_text;
    float *buf = segp_malloc((size_t)k1 * 5 * sizeof *buf);
    float *mean = buf, *lo = buf + k1, *hi = buf + 2 * k1, *x = buf + 3 * k1, *one = buf + 4 * k1;
    anchor_loss_stats(td, loss, idx, k, mean, lo, hi);
    anchor_loss_band(td, loss, idx, k, lo, hi);
    for (int j = 0; j < k1; j++) {
        x[j] = (float)j;
        one[j] = sel >= 0 ? loss[(size_t)sel * k1 + j] : NAN;
    }
    plot_series sr[4] = {
        {hi, x, k1, color_dim(c), '.', "90th pct"},
        {lo, x, k1, color_dim(c), '.', "10th-90th pct"},
        {mean, x, k1, palette_color(vis ? 2 : 0), '*', "mean"},
        {one, x, k1, color_accent(c), 'o', "selected"},
    };
    plot_series leg3[3] = {sr[2], sr[1], sr[3]};
    plot_axes ax = {0};
    ax.xlabel = in.h >= 8 ? "PGD step" : NULL;
    ax.integer_x = 1;
    ax.y0 = 0;
    float top = 0;
    for (int j = 0; j < k1; j++) {
        if (hi[j] > top) top = hi[j];
        if (one[j] > top) top = one[j];
    }
    ax.y1 = top > 0 ? top : 1;
    int leg = in.h >= 12 ? (sel >= 0 ? 3 : 2) : 0;
    int leg1 = !leg && in.h >= 6; /* too short for lines: one line, as many as fit */
    trect pr = {in.x, in.y + leg + leg1, in.w, in.h - leg - leg1};
    plot_curves(c, pr, sr, sel >= 0 ? 4 : 3, &ax);
    if (leg) plot_legend(c, in.x + 1, in.y, leg3, leg);
    if (leg1) {
        plot_series line[3] = {sr[2], sr[3], sr[1]};
        const char *names[3] = {"mean", "selected", "p10-p90"};
        if (sel < 0) line[1] = line[2], names[1] = names[2];
        plot_legend_line(c, in.x + 1, in.y, in.w - 1, line, sel >= 0 ? 3 : 2, names);
    }
    free(buf);
}

static void draw_hist(tcanvas *c, trect r, const wb_state *s, const int *idx, int k, int seed) {
    const run_task_data *td = s->td;
    trect in = vk_panel(c, r, seed ? fit_title(r, "to seed (1-cos)", "to seed")
                                   : fit_title(r, "to prototype (1-cos)", "to prototype"));
    if (in.w < 8 || in.h < 3) return;
    const float *v = seed ? td->anchor_dist_seed : td->anchor_dist_proto;
    /* the range over every anchor, so that the filter shows where its anchors fall */
    float a = INFINITY, b = -INFINITY;
    for (int i = 0; i < td->n_anchors; i++) {
        if (v[i] < a) a = v[i];
        if (v[i] > b) b = v[i];
    }
    if (!(a < b)) {
        a = a == a ? a - 0.5f : 0;
        b = a + 1;
    }
    int bins = in.w / 3;
    if (bins > 20) bins = 20;
    if (bins < 4) bins = 4;
    float *cnt = segp_calloc((size_t)bins, sizeof *cnt);
    for (int q = 0; q < k; q++) {
        int bi = (int)((v[idx[q]] - a) / (b - a) * bins);
        cnt[bi < 0 ? 0 : bi >= bins ? bins - 1 : bi] += 1;
    }
    plot_axes ax = {0};
    const char *xl = seed ? "anchor vs seed image" : "anchor vs class prototype";
    if (utf8_cells(xl) > in.w) xl = seed ? "vs seed image" : "vs prototype";
    ax.xlabel = in.h >= 8 ? xl : NULL;
    ax.y0 = 0;
    plot_histogram(c, in, cnt, bins, a, b, palette_color(seed ? 4 : 3), &ax);
    free(cnt);
}

/* Anchors per old class (target), in learning order, with the selected anchor's class marked. */
static void draw_classes(tcanvas *c, trect r, const wb_state *s, const int *idx, int k, int sel) {
    const run_task_data *td = s->td;
    trect in = vk_panel(c, r, "anchors per old class");
    if (in.w < 8 || in.h < 1) return;
    int *lab = segp_malloc(((size_t)k + 1) * sizeof *lab);
    float *cnt = segp_malloc(((size_t)k + 1) * sizeof *cnt);
    int nc = 0, at = 0;
    for (int q = 0; q < k; q++) {
        int t = td->anchor_target[idx[q]], j = 0;
        while (j < nc && lab[j] != t) j++;
        if (j == nc) {
            lab[nc] = t;
            cnt[nc++] = 0;
        }
        cnt[j] += 1;
        if (idx[q] == sel) at = j;
    }
    int first = vk_clamp(at - in.h / 2, 0, nc - in.h);
    int m = nc - first < in.h ? nc - first : in.h;
    if (m > 0) {
        char(*text)[40] = segp_malloc((size_t)m * sizeof *text);
        const char **labels = segp_malloc((size_t)m * sizeof *labels);
        float vmax = 0;
        for (int j = 0; j < nc; j++)
            if (cnt[j] > vmax) vmax = cnt[j];
        for (int j = 0; j < m; j++) {
            snprintf(text[j], sizeof text[j], "%c%s", first + j == at ? '>' : ' ',
                     vk_class(s, lab[first + j]));
            labels[j] = text[j];
        }
        plot_hbars(c, in, labels, cnt + first, m, vmax > 0 ? vmax : 1, palette_color(0), "%.0f");
        free(text);
        free(labels);
    } else {
        canvas_text(c, in.x, in.y, in.w, "no anchor", color_dim(c), COL_DEFAULT, 0);
    }
    free(lab);
    free(cnt);
}

/* The anchor list's title: when images were asked for (i) but cannot show, it says why, so
 * that i never seems to do nothing. */
static const char *list_title(const tcanvas *c, trect r, const run_task_data *td, int gallery) {
    if (!gallery) return "anchors";
    if (td->n_anchor_images == 0)
        return utf8_cells("anchors (no image saved)") <= r.w - 5 ? "anchors (no image saved)"
                                                                 : "anchors";
    if (can_show_images(c)) return "anchors";
    const char *why = c->colors == COLORS_NONE ? "anchors (images need colour)"
                                               : "anchors (images need Unicode)";
    return utf8_cells(why) <= r.w - 5                     ? why
           : utf8_cells("anchors (no images)") <= r.w - 5 ? "anchors (no images)"
                                                          : "anchors";
}

/* The anchor list: class, distances, score; the selection in reverse. */
static void draw_list(tcanvas *c, trect r, const wb_state *s, anc_priv *p, const int *idx, int k) {
    const run_task_data *td = s->td;
    trect in = vk_panel(c, r, list_title(c, r, td, p->gallery));
    if (in.w < 8 || in.h < 2) return;
    int fg = color_fg(c), acc = color_accent(c);
    /* the wide form's rows are 48 cells: at 44 the edge cut the score to "0." */
    int wide = in.w >= 48;
    /* the narrow form gives the class name what the two distances leave, so that a cut
     * never takes a digit off a distance (0.0969 would read as 0.096) */
    int nw = vk_clamp(in.w - 19, 5, 16), score = in.w >= 19 + nw + 7; /* room for "-0.123" */
    if (wide)
        canvas_text(c, in.x, in.y, in.w, "   #  target class      to proto  to seed  score",
                    color_dim(c), COL_DEFAULT, ATTR_BOLD);
    else
        canvas_printf(c, in.x, in.y, in.w, color_dim(c), COL_DEFAULT, ATTR_BOLD,
                      "   # %-*s  proto   seed%s", nw, "class", score ? " score" : "");
    int rows = in.h - 1;
    p->page = rows;
    if (p->sel < p->top) p->top = p->sel;
    if (p->sel >= p->top + rows) p->top = p->sel - rows + 1;
    p->top = vk_clamp(p->top, 0, k - rows);
    for (int i = 0; i < rows && p->top + i < k; i++) {
        int q = p->top + i, a = idx[q];
        int on = q == p->sel;
        if (wide)
            canvas_printf(c, in.x, in.y + 1 + i, in.w, on ? acc : fg, COL_DEFAULT,
                          on ? ATTR_REVERSE | ATTR_BOLD : 0, "%c%3d  %-16.16s  %7.4f  %7.4f  %.3f",
                          on ? '>' : ' ', a, vk_class(s, td->anchor_target[a]),
                          td->anchor_dist_proto[a], td->anchor_dist_seed[a], td->anchor_score[a]);
        else
            canvas_printf(c, in.x, in.y + 1 + i, in.w, on ? acc : fg, COL_DEFAULT,
                          on ? ATTR_REVERSE | ATTR_BOLD : 0, score ? "%c%3d %-*.*s %.4f %.4f %.3f"
                                                                   : "%c%3d %-*.*s %.4f %.4f",
                          on ? '>' : ' ', a, nw, nw, vk_class(s, td->anchor_target[a]),
                          td->anchor_dist_proto[a], td->anchor_dist_seed[a], td->anchor_score[a]);
    }
    p->list_x = in.x;
    p->list_y = in.y + 1;
    p->list_w = in.w;
    p->list_h = rows;
}

/* Thumbnails of the saved anchor images (of the filtered classes), the selected class framed. */
static void draw_gallery(tcanvas *c, trect r, const wb_state *s, anc_priv *p, int sel) {
    const run_task_data *td = s->td;
    trect in = vk_panel(c, r, "anchor images");
    p->list_h = 0;
    if (in.w < 8 || in.h < 3) return;
    int tw = 10, th = 5; /* a 48x48 image in 10x5 cells (two pixel rows per cell) */
    int cols = in.w / (tw + 1), rows = in.h / (th + 1);
    if (cols < 1 || rows < 1) return;
    int *show = segp_malloc(((size_t)td->n_anchor_images + 1) * sizeof *show);
    int n = 0, at = 0;
    int sel_target = sel >= 0 ? td->anchor_target[sel] : -1;
    for (int m = 0; m < td->n_anchor_images; m++) {
        int a = td->anchor_image_rows[m];
        if (!vk_match(vk_class(s, td->anchor_target[a]), s->filter)) continue;
        if (td->anchor_target[a] == sel_target) at = n;
        show[n++] = m;
    }
    if (n == 0) {
        view_notice(c, in, "no anchor image saved for these classes");
        free(show);
        return;
    }
    int first_row = vk_clamp(at / cols - rows / 2, 0, (n + cols - 1) / cols - rows);
    for (int i = 0; i < rows * cols; i++) {
        int q = first_row * cols + i;
        if (q >= n) break;
        int m = show[q], a = td->anchor_image_rows[m];
        int x = in.x + (i % cols) * (tw + 1), y = in.y + (i / cols) * (th + 1);
        const uint8_t *img = td->anchor_images + (size_t)m * td->anchor_res * td->anchor_res * 3;
        plot_image(c, (trect){x, y, tw, th}, img, td->anchor_res, td->anchor_res);
        int on = td->anchor_target[a] == sel_target;
        canvas_text(c, x, y + th, tw, vk_class(s, td->anchor_target[a]),
                    on ? color_accent(c) : color_dim(c), COL_DEFAULT,
                    on ? ATTR_REVERSE | ATTR_BOLD : 0);
    }
    free(show);
}

/* The selected anchor's numbers, and its image when the canvas shows images. */
static void draw_detail(tcanvas *c, trect r, const wb_state *s, int a) {
    const run_task_data *td = s->td;
    trect in = vk_panel(c, r, "selected anchor");
    if (in.w < 8 || in.h < 1 || a < 0) return;
    int fg = color_fg(c), dim = color_dim(c), acc = color_accent(c);
    int k1 = td->k_adv + 1, t = td->anchor_target[a];
    int y = in.y, bottom = in.y + in.h;
    char line[10][96];
    int nl = 0;
    snprintf(line[nl++], sizeof line[0], "task %d class, label %d", vk_class_task(s, t) + 1, t);
    snprintf(line[nl++], sizeof line[0], "seed item %d  score %.4f", td->anchor_seed[a],
             td->anchor_score[a]);
    snprintf(line[nl++], sizeof line[0], "%s %.5f", linf_name(c), td->anchor_linf[a]);
    snprintf(line[nl++], sizeof line[0], "to prototype %.4f", td->anchor_dist_proto[a]);
    snprintf(line[nl++], sizeof line[0], "to seed      %.4f", td->anchor_dist_seed[a]);
    snprintf(line[nl++], sizeof line[0], "loss_text %.4g -> %.4g", td->loss_text[(size_t)a * k1],
             td->loss_text[(size_t)a * k1 + k1 - 1]);
    snprintf(line[nl++], sizeof line[0], "loss_vis  %.4g -> %.4g", td->loss_vis[(size_t)a * k1],
             td->loss_vis[(size_t)a * k1 + k1 - 1]);
    double dr = anchor_drift_norm(td, a);
    if (!isnan(dr)) snprintf(line[nl++], sizeof line[0], "drift after training %.4f", dr);
    if (y < bottom)
        canvas_printf(c, in.x, y++, in.w, acc, COL_DEFAULT, ATTR_BOLD, "#%d -> %s", a,
                      vk_class(s, t));
    for (int i = 0; i < nl && y < bottom; i++)
        canvas_text(c, in.x, y++, in.w, line[i], fg, COL_DEFAULT, 0);
    const uint8_t *img = image_of(td, a);
    if (y + 3 <= bottom) {
        y++;
        int ih = bottom - y, iw = ih * 2;
        if (iw > in.w) {
            iw = in.w;
            ih = iw / 2;
        }
        if (!img || !plot_image(c, (trect){in.x, y, iw, ih}, img, td->anchor_res, td->anchor_res))
            canvas_text(c, in.x, y, in.w,
                        img ? "(image: needs colour and blocks)"
                            : "(no image saved of this anchor)",
                        dim, COL_DEFAULT, 0);
    }
}

/* `v`: the loss per step, then every (filtered) anchor, as tables. */
static void draw_numbers(tcanvas *c, trect r, const wb_state *s, anc_priv *p, const int *idx,
                         int k) {
    const run_task_data *td = s->td;
    int fg = color_fg(c);
    int k1 = td->k_adv + 1;
    int wide = r.w >= 120;
    trect lt = wide ? (trect){r.x, r.y, 57, r.h}
                    : (trect){r.x, r.y, r.w, k1 + 2 < r.h / 2 ? k1 + 2 : r.h / 2};
    int y = lt.y;
    float *st = segp_malloc((size_t)k1 * 6 * sizeof *st);
    anchor_loss_stats(td, td->loss_text, idx, k, st, st + k1, st + 2 * k1);
    anchor_loss_stats(td, td->loss_vis, idx, k, st + 3 * k1, st + 4 * k1, st + 5 * k1);
    canvas_text(c, lt.x, y++, lt.w, "step  text mean   min      max    vis mean  min     max",
                fg, COL_DEFAULT, ATTR_BOLD);
    /* in too few rows the last step stays, and a line says which steps are left out (at
     * 60x20 the table ended at step 6 of 10 without a word) */
    int room = lt.y + lt.h - y, cut = k1 > room && room >= 3 ? k1 - room + 1 : 0;
    for (int j = 0; j < k1 && y < lt.y + lt.h; j++, y++) {
        if (cut && j == room - 2) {
            canvas_printf(c, lt.x, y, lt.w, color_dim(c), COL_DEFAULT, 0, "%4s steps %d-%d hidden",
                          c->cs == CHARSET_ASCII ? "..." : "\u2026", j, j + cut - 1);
            j += cut - 1;
            continue;
        }
        canvas_printf(c, lt.x, y, lt.w, fg, COL_DEFAULT, 0,
                      "%4d %8.4f %8.4f %8.4f %8.4f %7.4f %7.4f", j, st[j], st[k1 + j],
                      st[2 * k1 + j], st[3 * k1 + j], st[4 * k1 + j], st[5 * k1 + j]);
    }
    free(st);
    trect at =
        wide ? (trect){r.x + 58, r.y, r.w - 58, r.h} : (trect){r.x, lt.y + lt.h, r.w, r.h - lt.h};
    if (at.h < 2) return;
    y = at.y;
    canvas_printf(c, at.x, y++, at.w, fg, COL_DEFAULT, ATTR_BOLD,
                  "%4s  %-16s %6s  %-6s %-7s %-6s %-6s", "#", "target class", "seed", "score",
                  "l-inf", "proto", "seed");
    int rows = at.h - 1;
    p->page = rows;
    if (p->sel < p->top) p->top = p->sel;
    if (p->sel >= p->top + rows) p->top = p->sel - rows + 1;
    p->top = vk_clamp(p->top, 0, k - rows);
    for (int i = 0; i < rows && p->top + i < k; i++, y++) {
        int q = p->top + i, a = idx[q], on = q == p->sel;
        canvas_printf(c, at.x, y, at.w, on ? color_accent(c) : fg, COL_DEFAULT,
                      on ? ATTR_REVERSE : 0, "%4d  %-16.16s %6d  %.4f %.5f %.4f %.4f", a,
                      vk_class(s, td->anchor_target[a]), td->anchor_seed[a],
                      td->anchor_score[a], td->anchor_linf[a], td->anchor_dist_proto[a],
                      td->anchor_dist_seed[a]);
    }
    p->list_x = at.x;
    p->list_y = at.y + 1;
    p->list_w = at.w;
    p->list_h = rows;
}

static void anc_draw_in(view *v, tcanvas *c, trect area, const wb_state *s) {
    anc_priv *p = v->priv;
    p->area = area;
    p->list_h = 0;
    trect r = vk_title(c, area, "Anchors: old classes' stand-ins built from new-task images",
                       "Anchors", s);
    if (vk_no_task(c, r, s)) return;
    const run_task_data *td = s->td;
    char msg[200];
    if (!td->has_anchors) {
        if (td->n_old == 0)
            snprintf(msg, sizeof msg, "task %d has no anchors: anchors are built from the second "
                     "task on, for the old classes", td->task + 1);
        else if (s->rec && s->rec->method && strcmp(s->rec->method, "segp") != 0)
            snprintf(msg, sizeof msg, "no anchors: method '%s' builds none", s->rec->method);
        else
            snprintf(msg, sizeof msg, "task %d: no anchors saved (tasks/%02d/anchors.safetensors "
                     "absent)", td->task + 1, td->task + 1);
        view_notice(c, r, msg);
        return;
    }
    if (p->task != s->task || strcmp(p->filter, s->filter) != 0) {
        p->task = s->task;
        snprintf(p->filter, sizeof p->filter, "%s", s->filter);
        p->sel = p->top = 0;
    }
    int *idx = segp_malloc(((size_t)td->n_anchors + 1) * sizeof *idx);
    int k = filtered(s, idx);
    p->sel = vk_clamp(p->sel, 0, k - 1);
    int sel = k > 0 ? idx[p->sel] : -1;
    int info_h = r.h >= 16 && r.w >= 60 ? 2 : 1;
    draw_info(c, (trect){r.x, r.y, r.w, info_h}, s, idx, k);
    trect b = {r.x, r.y + info_h, r.w, r.h - info_h};
    if (k == 0) {
        snprintf(msg, sizeof msg, "no anchor's class contains \"%s\" (/ to change the filter)",
                 s->filter);
        view_notice(c, b, msg);
        free(idx);
        return;
    }
    if (s->show_numbers) {
        draw_numbers(c, b, s, p, idx, k);
        free(idx);
        return;
    }
    int gallery = p->gallery && can_show_images(c) && td->n_anchor_images > 0;
    if (b.w >= 100 && b.h >= 24) {
        p->layout = LAYOUT_LARGE;
        int th = b.h * 9 / 20, qw = b.w / 4;
        draw_loss(c, (trect){b.x, b.y, qw, th}, s, idx, k, sel, 0);
        draw_loss(c, (trect){b.x + qw, b.y, qw, th}, s, idx, k, sel, 1);
        draw_hist(c, (trect){b.x + 2 * qw, b.y, qw, th}, s, idx, k, 0);
        draw_hist(c, (trect){b.x + 3 * qw, b.y, b.w - 3 * qw, th}, s, idx, k, 1);
        int bh = b.h - th, cw = 32, dw = 34, y = b.y + th;
        draw_classes(c, (trect){b.x, y, cw, bh}, s, idx, k, sel);
        trect mid = {b.x + cw, y, b.w - cw - dw, bh};
        if (gallery) draw_gallery(c, mid, s, p, sel);
        else draw_list(c, mid, s, p, idx, k);
        draw_detail(c, (trect){b.x + b.w - dw, y, dw, bh}, s, sel);
    } else if (b.w >= 60 && b.h >= 18) {
        /* the top band shows one of the pairs (p cycles them) */
        p->layout = LAYOUT_MID;
        int th = b.h / 2, hw = b.w / 2;
        trect left = {b.x, b.y, hw, th}, right = {b.x + hw, b.y, b.w - hw, th};
        if (p->panels == PANELS_LOSSES) {
            draw_loss(c, left, s, idx, k, sel, 0);
            draw_loss(c, right, s, idx, k, sel, 1);
        } else if (p->panels == PANELS_DISTANCES) {
            draw_hist(c, left, s, idx, k, 0);
            draw_hist(c, right, s, idx, k, 1);
        } else {
            draw_classes(c, (trect){b.x, b.y, b.w, th}, s, idx, k, sel);
        }
        int dw = b.w >= 80 ? 34 : 0, y = b.y + th;
        trect mid = {b.x, y, b.w - dw, b.h - th};
        if (gallery) draw_gallery(c, mid, s, p, sel);
        else draw_list(c, mid, s, p, idx, k);
        if (dw) draw_detail(c, (trect){b.x + b.w - dw, y, dw, b.h - th}, s, sel);
    } else {
        /* small: the list (or the images, i), or in its place the panels p cycles, and the
         * selection's numbers on the last line */
        p->layout = LAYOUT_SMALL;
        trect list = {b.x, b.y, b.w, b.h - (b.h >= 4 ? 1 : 0)};
        int hw = list.w / 2;
        trect left = {list.x, list.y, hw, list.h};
        trect right = {list.x + hw, list.y, list.w - hw, list.h};
        if (p->small_panels == 1 + PANELS_LOSSES) {
            draw_loss(c, left, s, idx, k, sel, 0);
            draw_loss(c, right, s, idx, k, sel, 1);
        } else if (p->small_panels == 1 + PANELS_DISTANCES) {
            draw_hist(c, left, s, idx, k, 0);
            draw_hist(c, right, s, idx, k, 1);
        } else if (p->small_panels == 1 + PANELS_CLASSES) {
            draw_classes(c, list, s, idx, k, sel);
        } else if (gallery && list.h >= 7 && list.w >= 12) { /* a row of thumbnails fits */
            draw_gallery(c, list, s, p, sel);
        } else {
            draw_list(c, list, s, p, idx, k);
        }
        if (b.h >= 4 && sel >= 0) {
            /* the class name gives way, so that the line's edge never cuts a distance */
            char nums[64];
            int nl = snprintf(nums, sizeof nums, " proto %.4f seed %.4f",
                              td->anchor_dist_proto[sel], td->anchor_dist_seed[sel]);
            int y = b.y + b.h - 1, acc = color_accent(c);
            int x = b.x + canvas_printf(c, b.x, y, b.w, acc, COL_DEFAULT, 0, "#%d ", sel);
            const char *name = vk_class(s, td->anchor_target[sel]);
            int room = b.x + b.w - x - nl;
            x += canvas_text(c, x, y, room > 1 ? room : 1, name, acc, COL_DEFAULT, 0);
            if (x < b.x + b.w) canvas_text(c, x, y, b.x + b.w - x, nums, acc, COL_DEFAULT, 0);
        }
    }
    free(idx);
}

static void anc_draw(view *v, tcanvas *c, trect area, const wb_state *s) {
    tcanvas *sub = vk_begin(c, area);
    if (!sub) return;
    anc_draw_in(v, sub, (trect){0, 0, area.w, area.h}, s);
    vk_end(c, area, sub);
}

static view_reply anc_key(view *v, int key, wb_state *s) {
    anc_priv *p = v->priv;
    int page = p->page > 1 ? p->page : 10;
    const run_task_data *td = s->td;
    switch (key) {
    case WK_DOWN: case 'j': p->sel++; break;
    case WK_UP: case 'k': p->sel--; break;
    case WK_PGDN: p->sel += page; break;
    case WK_PGUP: p->sel -= page; break;
    case WK_HOME: case 'g': p->sel = 0; break;
    case WK_END: case 'G': p->sel = 1 << 28; break;
    case WK_RIGHT: case 'l': case WK_LEFT: case 'h': {
        /* the first anchor of the next / previous target class */
        if (!td || !td->has_anchors) return VIEW_HANDLED;
        int *idx = segp_malloc(((size_t)td->n_anchors + 1) * sizeof *idx);
        int k = filtered(s, idx);
        int q = vk_clamp(p->sel, 0, k - 1);
        if (k > 0) {
            int t = td->anchor_target[idx[q]];
            if (key == WK_RIGHT || key == 'l') {
                while (q < k - 1 && td->anchor_target[idx[q]] == t) q++;
            } else {
                while (q > 0 && td->anchor_target[idx[q]] == t) q--;
                int t2 = td->anchor_target[idx[q]];
                while (q > 0 && td->anchor_target[idx[q - 1]] == t2) q--;
            }
        }
        p->sel = q;
        free(idx);
        break;
    }
    case 'i':
        /* in the small layout the list's place shows the images (or the list) again first */
        if (p->layout == LAYOUT_SMALL && p->small_panels) p->small_panels = 0, p->gallery = 1;
        else p->gallery = !p->gallery;
        break;
    case 'p':
        if (p->layout == LAYOUT_LARGE) return VIEW_HANDLED; /* every panel shows */
        if (p->layout == LAYOUT_SMALL) {
            /* the list's place: the list, then each pair in turn (kept for a larger window) */
            p->small_panels = (p->small_panels + 1) % (PANEL_MODES + 1);
            if (p->small_panels) p->panels = p->small_panels - 1;
        } else {
            p->panels = (p->panels + 1) % PANEL_MODES;
        }
        break;
    case 'v': s->show_numbers = !s->show_numbers; break;
    default: return VIEW_IGNORED;
    }
    if (p->sel < 0) p->sel = 0;
    if (td && td->has_anchors) p->sel = vk_clamp(p->sel, 0, td->n_anchors - 1);
    return VIEW_REDRAW;
}

static view_reply anc_mouse(view *v, wb_mouse ev, int x, int y, wb_state *s) {
    anc_priv *p = v->priv;
    if (ev == WM_WHEEL_DOWN) return anc_key(v, WK_DOWN, s);
    if (ev == WM_WHEEL_UP) return anc_key(v, WK_UP, s);
    int cx = p->area.x + x, cy = p->area.y + y;
    if (ev == WM_CLICK && p->list_h > 0 && cx >= p->list_x && cx < p->list_x + p->list_w &&
        cy >= p->list_y && cy < p->list_y + p->list_h) {
        p->sel = p->top + (cy - p->list_y); /* clamped to the filtered list when drawn */
        return VIEW_REDRAW;
    }
    return VIEW_IGNORED;
}

static const view_help anc_help[] = {
    {"j/k, arrows up/down", "select an anchor"},
    {"h/l, arrows left/right", "first anchor of the previous / next class"},
    {"PgUp/PgDn, g/G", "select by a page, the first / last anchor"},
    {"i", "anchor images (thumbnails) / the anchor list (images need colour and Unicode; the "
          "list's title says when they cannot show)"},
    {"p", "the panels: losses / distances / per class, in the top band where two fit (60+ "
          "columns, 23+ rows; from 100x29 all show), else in turn in the list's place"},
    {"/", "show only anchors whose target class contains the text"},
    {"v", "the numbers: loss per step and every anchor as tables"},
    {"click, wheel", "select an anchor in the list, move the selection"},
    {"e", "export anchors.csv, anchors_loss.csv, anchors_per_class.csv, loss .npy"},
};

static int anc_export(view *v, const wb_state *s, const char *dir, char *written, size_t n) {
    (void)v;
    return anchor_export_data(s, dir, written, n);
}

static void anc_free(view *v) {
    if (!v) return;
    free(v->priv);
    free(v);
}

view *view_anchors_new(void) {
    view *v = segp_calloc(1, sizeof *v);
    anc_priv *p = segp_calloc(1, sizeof *p);
    p->task = -2;
    p->gallery = 1;
    p->layout = LAYOUT_MID;
    v->name = "anchors";
    v->figure = "anchor-losses";
    v->draw = anc_draw;
    v->key = anc_key;
    v->mouse = anc_mouse;
    v->help = anc_help;
    v->n_help = (int)(sizeof anc_help / sizeof anc_help[0]);
    v->export_data = anc_export;
    v->free = anc_free;
    v->priv = p;
    return v;
}
