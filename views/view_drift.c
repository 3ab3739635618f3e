/* view_drift.c: the drift view. Drift of a test image = JSD of the teacher's and the student's
 * old-class distributions (metrics/drift.h); this view shows its mean per bin of the interface
 * distance m for old-class and new-task images (the signature curve), how many images fall in
 * each bin, the boundary/core ratio of the task's analytics, and the classes whose images
 * drifted most (mean drift per class from the per-image arrays of drift.safetensors). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/common.h"
#include "views/viewkit.h"

enum { WHICH_OLD = 0, WHICH_NEW = 1, WHICH_ALL = 2 };
static const char *const which_names[3] = {"old classes", "new classes", "all classes"};

typedef struct {
    int task;       /* the task the scroll belongs to (reset when another is selected) */
    int scroll;     /* first ranked class shown */
    int which;      /* WHICH_*: the classes ranked */
    int ascending;  /* least drift first */
    int page;       /* ranked rows shown by the last draw */
} drift_priv;

/* The ranking: seen positions with their mean drift and image count, most drift first. */
typedef struct {
    int pos, n;
    float mean;
} ranked;

static int cmp_desc(const void *a, const void *b) {
    const ranked *x = a, *y = b;
    if (x->mean != y->mean) return x->mean < y->mean ? 1 : -1;
    return x->pos - y->pos;
}

static int cmp_asc(const void *a, const void *b) {
    const ranked *x = a, *y = b;
    if (x->mean != y->mean) return x->mean < y->mean ? -1 : 1;
    return x->pos - y->pos;
}

/* Rank the seen classes of WHICH that pass the filter; OUT [n_seen]; returns the count. */
static int rank_classes(const wb_state *s, int which, int ascending, ranked *out) {
    const run_task_data *td = s->td;
    int n_seen = td->n_seen;
    double *sum = segp_calloc((size_t)n_seen + 1, sizeof *sum);
    int *cnt = segp_calloc((size_t)n_seen + 1, sizeof *cnt);
    for (int i = 0; i < td->n_drift; i++) {
        int p = td->drift_class[i];
        if (p < 0 || p >= n_seen || isnan(td->drift[i])) continue;
        sum[p] += td->drift[i];
        cnt[p]++;
    }
    int k = 0;
    for (int p = 0; p < n_seen; p++) {
        int old = p < td->n_old;
        if ((which == WHICH_OLD && !old) || (which == WHICH_NEW && old) || cnt[p] == 0) continue;
        if (!vk_match(vk_class(s, td->labels[p]), s->filter)) continue;
        out[k].pos = p;
        out[k].n = cnt[p];
        out[k].mean = (float)(sum[p] / cnt[p]);
        k++;
    }
    qsort(out, (size_t)k, sizeof *out, ascending ? cmp_asc : cmp_desc);
    free(sum);
    free(cnt);
    return k;
}

/* The summary numbers: from analytics.json, else the ratio of metrics.jsonl. */
static void summary_numbers(const wb_state *s, double *ratio, double *bnd, double *core,
                            double *mean, double *old, double *nw) {
    const run_task_data *td = s->td;
    *ratio = *bnd = *core = *mean = *old = *nw = NAN;
    if (td->has_summary) {
        *ratio = td->summary.boundary_core_ratio;
        *bnd = td->summary.drift_boundary;
        *core = td->summary.drift_core;
        *mean = td->summary.drift_mean;
        *old = td->summary.drift_old;
        *nw = td->summary.drift_new;
    } else if (s->rec && s->rec->task && s->task >= 0 && s->task < s->rec->num_tasks) {
        *ratio = s->rec->task[s->task].bc_ratio;
    }
}

static void draw_info(tcanvas *c, trect r, const wb_state *s) {
    double ratio, bnd, core, mean, old, nw;
    summary_numbers(s, &ratio, &bnd, &core, &mean, &old, &nw);
    char a[32], b[32], d[32], e[32], f[32];
    int x = r.x;
    x += canvas_text(c, x, r.y, r.w, "boundary/core ratio ", color_fg(c), COL_DEFAULT, 0);
    if (isnan(ratio)) x += canvas_text(c, x, r.y, r.x + r.w - x, "-", color_fg(c), COL_DEFAULT, 0);
    else
        x += canvas_printf(c, x, r.y, r.x + r.w - x, color_accent(c), COL_DEFAULT, ATTR_BOLD,
                           "%.2f", ratio);
    char split[96];
    snprintf(split, sizeof split, "boundary %s / core %s", vk_num(a, sizeof a, bnd),
             vk_num(b, sizeof b, core));
    int narrow = r.x + r.w - x < utf8_cells(split) + 4;
    if (!narrow)
        canvas_printf(c, x, r.y, r.x + r.w - x, color_fg(c), COL_DEFAULT, 0, "  (%s)", split);
    else if (r.h > 1)
        canvas_text(c, r.x, r.y + 1, r.w, split, color_dim(c), COL_DEFAULT, 0);
    if (r.h > 1 && !narrow) {
        /* the sentence where it fits, else its fields, the last ones left out whole ("(2000 i"
         * ended the line at 80 columns) */
        char line[256];
        snprintf(line, sizeof line, "mean drift %s: old-class images %s, new-task images %s  "
                 "(%d image%s)", vk_num(d, sizeof d, mean), vk_num(e, sizeof e, old),
                 vk_num(f, sizeof f, nw), s->td->n_drift, segp_s(s->td->n_drift));
        if (utf8_cells(line) > r.w)
            snprintf(line, sizeof line, "mean drift %s   old-class images %s   new-task images "
                     "%s   (%d image%s)", d, e, f, s->td->n_drift, segp_s(s->td->n_drift));
        view_fields(c, r.x, r.y + 1, r.w, 1, line, color_dim(c), 0);
    }
}

static void draw_curve(tcanvas *c, trect r, const run_task_data *td) {
    trect in = vk_panel(c, r, "mean drift per interface-distance bin");
    if (in.w < 8 || in.h < 3) return;
    int bins = td->bins;
    float *x = segp_malloc((size_t)bins * sizeof *x);
    for (int i = 0; i < bins; i++) x[i] = 0.5f * (td->edges[i] + td->edges[i + 1]);
    plot_series sr[2] = {
        {td->mean_old, x, bins, palette_color(0), 'o', "old-class images"},
        {td->mean_new, x, bins, palette_color(1), '+', "new-task images"},
    };
    plot_axes ax = {0};
    ax.xlabel = "m = max old score - max new score";
    ax.ylabel = "JSD";
    int leg = in.h >= 8 ? 2 : in.h >= 5 ? 1 : 0;
    trect pr = {in.x, in.y + leg, in.w, in.h - leg};
    plot_curves(c, pr, sr, 2, &ax);
    static const char *const names[2] = {"old", "new"};
    if (leg == 2) plot_legend(c, in.x + 1, in.y, sr, 2);
    else if (leg) plot_legend_line(c, in.x + 1, in.y, in.w - 1, sr, 2, names);
    free(x);
}

static void draw_counts(tcanvas *c, trect r, const run_task_data *td, int old) {
    trect in = vk_panel(c, r, old ? "old-class images per bin" : "new-task images per bin");
    if (in.w < 8 || in.h < 3) return;
    plot_axes ax = {0};
    ax.xlabel = "m";
    ax.y0 = 0;
    plot_histogram(c, in, old ? td->count_old : td->count_new, td->bins, td->edges[0],
                   td->edges[td->bins], palette_color(old ? 0 : 1), &ax);
}

static void draw_ranking(tcanvas *c, trect r, const wb_state *s, drift_priv *p) {
    char title[96];
    snprintf(title, sizeof title, "%s drifting %s", which_names[p->which],
             p->ascending ? "least" : "most");
    trect in = vk_panel(c, r, title);
    if (in.w < 8 || in.h < 1) return;
    ranked *rk = segp_malloc(((size_t)s->td->n_seen + 1) * sizeof *rk);
    int n = rank_classes(s, p->which, p->ascending, rk);
    p->page = in.h;
    p->scroll = vk_clamp(p->scroll, 0, n - in.h);
    if (n == 0) {
        canvas_text(c, in.x, in.y, in.w,
                    s->filter[0] ? "no class matches the filter" : "no classes", color_dim(c),
                    COL_DEFAULT, 0);
    } else {
        int m = n - p->scroll < in.h ? n - p->scroll : in.h;
        const char **labels = segp_malloc((size_t)m * sizeof *labels);
        char(*text)[48] = segp_malloc((size_t)m * sizeof *text);
        float *v = segp_malloc((size_t)m * sizeof *v);
        float vmax = 0;
        for (int i = 0; i < n; i++)
            if (rk[i].mean > vmax) vmax = rk[i].mean;
        /* ranks as wide as the last one, so that 100 does not push its name out of line */
        int rw = snprintf(NULL, 0, "%d", n);
        if (rw < 2) rw = 2;
        for (int i = 0; i < m; i++) {
            const ranked *q = &rk[p->scroll + i];
            snprintf(text[i], sizeof text[i], "%*d %s", rw, p->scroll + i + 1,
                     vk_class(s, s->td->labels[q->pos]));
            labels[i] = text[i];
            v[i] = q->mean;
        }
        plot_hbars(c, in, labels, v, m, vmax > 0 ? vmax : 1, palette_color(p->which == WHICH_NEW),
                   "%.2e");
        free(labels);
        free(text);
        free(v);
    }
    free(rk);
}

/* `v`: the numbers: the curve's bins, then the ranking. */
static void draw_numbers(tcanvas *c, trect r, const wb_state *s, drift_priv *p) {
    const run_task_data *td = s->td;
    int fg = color_fg(c), dim = color_dim(c);
    int y = r.y, bottom = r.y + r.h;
    int wide = r.w >= 110;
    trect left = wide ? (trect){r.x, r.y, 62, r.h} : r;
    canvas_text(c, left.x, y++, left.w, "bin  m from    m to   mean old  n old   mean new  n new",
                fg, COL_DEFAULT, ATTR_BOLD);
    for (int i = 0; i < td->bins && y < bottom; i++, y++) {
        char a[32], b[32];
        snprintf(a, sizeof a, isnan(td->mean_old[i]) ? "-" : "%.3e", td->mean_old[i]);
        snprintf(b, sizeof b, isnan(td->mean_new[i]) ? "-" : "%.3e", td->mean_new[i]);
        canvas_printf(c, left.x, y, left.w, fg, COL_DEFAULT, 0,
                      "%3d %7.2f %7.2f %10s %6.0f %10s %6.0f", i + 1, td->edges[i],
                      td->edges[i + 1], a, td->count_old[i], b, td->count_new[i]);
    }
    trect right;
    if (wide) {
        right = (trect){r.x + 64, r.y, r.w - 64, r.h};
    } else {
        if (y + 2 >= bottom) return;
        y++;
        right = (trect){r.x, y, r.w, bottom - y};
    }
    ranked *rk = segp_malloc(((size_t)td->n_seen + 1) * sizeof *rk);
    int n = rank_classes(s, p->which, p->ascending, rk);
    int yy = right.y;
    canvas_printf(c, right.x, yy++, right.w, fg, COL_DEFAULT, ATTR_BOLD,
                  "rank  label  task  images  mean drift  class (%s)", which_names[p->which]);
    p->page = right.h - 1;
    p->scroll = vk_clamp(p->scroll, 0, n - p->page);
    for (int i = p->scroll; i < n && yy < right.y + right.h; i++, yy++) {
        int label = td->labels[rk[i].pos];
        canvas_printf(c, right.x, yy, right.w, fg, COL_DEFAULT, 0, "%4d %6d %5d %7d  %10.3e  %s",
                      i + 1, label, vk_class_task(s, label) + 1, rk[i].n, rk[i].mean,
                      vk_class(s, label));
    }
    if (n == 0) canvas_text(c, right.x, yy, right.w, "no class matches", dim, COL_DEFAULT, 0);
    free(rk);
}

static void drift_draw_in(view *v, tcanvas *c, trect area, const wb_state *s) {
    drift_priv *p = v->priv;
    trect r = vk_title(c, area, "Drift: teacher vs student near the old-new interface",
                       "Drift", s);
    if (vk_no_task(c, r, s)) return;
    const run_task_data *td = s->td;
    if (p->task != s->task) {
        p->task = s->task;
        p->scroll = 0;
    }
    char msg[160];
    if (!td->has_drift) {
        if (td->n_old == 0)
            snprintf(msg, sizeof msg, "task %d has no drift: it is the first task, there are no "
                     "old classes yet", td->task + 1);
        else
            snprintf(msg, sizeof msg, "task %d: no drift saved (tasks/%02d/drift.safetensors "
                     "absent: analytics off)", td->task + 1, td->task + 1);
        view_notice(c, r, msg);
        return;
    }
    int info_h = r.h >= 8 ? 2 : 1;
    draw_info(c, (trect){r.x, r.y, r.w, info_h}, s);
    trect body = {r.x, r.y + info_h, r.w, r.h - info_h};
    if (body.h < 1) return;
    if (s->show_numbers) {
        draw_numbers(c, body, s, p);
        return;
    }
    if (body.w >= 80 && body.h >= 26) {
        int lw = body.w * 3 / 5;
        int ch = body.h * 3 / 5;
        draw_curve(c, (trect){body.x, body.y, lw, ch}, td);
        int hw = lw / 2;
        draw_counts(c, (trect){body.x, body.y + ch, hw, body.h - ch}, td, 1);
        draw_counts(c, (trect){body.x + hw, body.y + ch, lw - hw, body.h - ch}, td, 0);
        draw_ranking(c, (trect){body.x + lw, body.y, body.w - lw, body.h}, s, p);
    } else if (body.w >= 80 && body.h >= 10) {
        int lw = body.w * 3 / 5;
        draw_curve(c, (trect){body.x, body.y, lw, body.h}, td);
        draw_ranking(c, (trect){body.x + lw, body.y, body.w - lw, body.h}, s, p);
    } else if (body.h >= 16) {
        int ch = body.h / 2;
        draw_curve(c, (trect){body.x, body.y, body.w, ch}, td);
        draw_ranking(c, (trect){body.x, body.y + ch, body.w, body.h - ch}, s, p);
    } else {
        draw_ranking(c, body, s, p);
    }
}

static void drift_draw(view *v, tcanvas *c, trect area, const wb_state *s) {
    tcanvas *sub = vk_begin(c, area);
    if (!sub) return;
    drift_draw_in(v, sub, (trect){0, 0, area.w, area.h}, s);
    vk_end(c, area, sub);
}

static view_reply drift_key(view *v, int key, wb_state *s) {
    drift_priv *p = v->priv;
    int page = p->page > 1 ? p->page : 1;
    switch (key) {
    case WK_DOWN: case 'j': p->scroll++; return VIEW_REDRAW;
    case WK_UP: case 'k': p->scroll = p->scroll > 0 ? p->scroll - 1 : 0; return VIEW_REDRAW;
    case WK_PGDN: p->scroll += page; return VIEW_REDRAW;
    case WK_PGUP: p->scroll = p->scroll > page ? p->scroll - page : 0; return VIEW_REDRAW;
    case WK_HOME: case 'g': p->scroll = 0; return VIEW_REDRAW;
    case WK_END: case 'G': p->scroll = 1 << 28; return VIEW_REDRAW; /* clamped when drawn */
    case 'o':
        p->which = (p->which + 1) % 3;
        p->scroll = 0;
        return VIEW_REDRAW;
    case 's': /* not r: the shell's resume */
        p->ascending = !p->ascending;
        p->scroll = 0;
        return VIEW_REDRAW;
    case 'v': s->show_numbers = !s->show_numbers; return VIEW_REDRAW;
    default: return VIEW_IGNORED;
    }
}

static view_reply drift_mouse(view *v, wb_mouse ev, int x, int y, wb_state *s) {
    if (ev == WM_WHEEL_DOWN) return drift_key(v, WK_DOWN, s);
    if (ev == WM_WHEEL_UP) return drift_key(v, WK_UP, s);
    return VIEW_IGNORED;
}

static const view_help drift_help[] = {
    {"j/k, arrows", "scroll the class ranking"},
    {"PgUp/PgDn, g/G", "scroll by a page, to the top / bottom"},
    {"o", "rank old classes / new classes / all"},
    {"s", "sort: most drift first / least drift first"},
    {"/", "show only classes whose name contains the text"},
    {"v", "the numbers: bins of the curve and the ranking as tables"},
    {"wheel", "scroll the ranking"},
    {"e", "export drift_curve.csv, drift_classes.csv, drift_samples.csv"},
};

static int drift_export(view *v, const wb_state *s, const char *dir, char *written, size_t n) {
    if (!s->td || !s->td->has_drift)
        return SEGP_FAIL("drift view: task %d has no drift to export", s->task + 1);
    const run_task_data *td = s->td;
    view_text b = {0};
    view_text_printf(&b, "bin,m_from,m_to,mean_old,count_old,mean_new,count_new\n");
    for (int i = 0; i < td->bins; i++) {
        view_text_printf(&b, "%d,%.9g,%.9g,", i, td->edges[i], td->edges[i + 1]);
        vk_csv_num(&b, td->mean_old[i]);
        view_text_printf(&b, ",%.0f,", td->count_old[i]);
        vk_csv_num(&b, td->mean_new[i]);
        view_text_printf(&b, ",%.0f\n", td->count_new[i]);
    }
    if (view_text_write(&b, dir, "drift_curve.csv", written, n)) return -1;

    /* every seen class, unfiltered, most drift first */
    wb_state all = *s;
    all.filter[0] = 0;
    ranked *rk = segp_malloc(((size_t)td->n_seen + 1) * sizeof *rk);
    int k = rank_classes(&all, WHICH_ALL, 0, rk);
    view_text_printf(&b, "rank,label,class,task,old,images,mean_drift\n");
    for (int i = 0; i < k; i++) {
        int label = td->labels[rk[i].pos];
        view_text_printf(&b, "%d,%d,", i + 1, label);
        vk_csv_str(&b, vk_class(s, label));
        view_text_printf(&b, ",%d,%d,%d,%.9g\n", vk_class_task(s, label) + 1, rk[i].pos < td->n_old,
                  rk[i].n, rk[i].mean);
    }
    free(rk);
    if (view_text_write(&b, dir, "drift_classes.csv", written, n)) return -1;

    view_text_printf(&b, "image,label,class,old,interface,drift\n");
    for (int i = 0; i < td->n_drift; i++) {
        int pos = td->drift_class[i];
        int label = pos >= 0 && pos < td->n_seen ? td->labels[pos] : -1;
        view_text_printf(&b, "%d,%d,", i, label);
        vk_csv_str(&b, vk_class(s, label));
        view_text_printf(&b, ",%d,%.9g,%.9g\n", td->drift_is_old[i] ? 1 : 0, td->interface[i],
                  td->drift[i]);
    }
    return view_text_write(&b, dir, "drift_samples.csv", written, n);
}

static void drift_free(view *v) {
    if (!v) return;
    free(v->priv);
    free(v);
}

view *view_drift_new(void) {
    view *v = segp_calloc(1, sizeof *v);
    drift_priv *p = segp_calloc(1, sizeof *p);
    p->task = -2;
    v->name = "drift";
    v->figure = "drift-interface";
    v->draw = drift_draw;
    v->key = drift_key;
    v->mouse = drift_mouse;
    v->help = drift_help;
    v->n_help = (int)(sizeof drift_help / sizeof drift_help[0]);
    v->export_data = drift_export;
    v->free = drift_free;
    v->priv = p;
    return v;
}
