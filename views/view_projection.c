/* view_projection.c: the projection view. The 2-D PCA or t-SNE of one joint point set saved in
 * geometry.safetensors (student image embeddings, class texts, prototypes, anchors; see
 * metrics/analytics.h), as a scatter: the kind of a point by its glyph, old vs new classes by
 * glyph and colour (never colour alone), filtered by task, by class name and by kind, one
 * class highlighted on demand. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/common.h"
#include "views/viewkit.h"

enum { PK_IMAGE = 0, PK_TEXT = 1, PK_PROTO = 2, PK_ANCHOR = 3, PKINDS = 4 };
static const char *const kind_names[PKINDS] = {"image", "text", "prototype", "anchor"};
static const char *const kind_plural[PKINDS] = {"images", "texts", "prototypes", "anchors"};
static const int kind_keys[PKINDS] = {'I', 'T', 'P', 'A'};

typedef struct {
    int task;
    int tsne;                /* 1: t-SNE, 0: PCA */
    int hide_kind[PKINDS];
    int task_filter;         /* -1: every task, else that task (0-based) */
    int hl;                  /* highlighted seen position, -1: none */
    int scroll;              /* the numbers table */
    int page;
} proj_priv;

/* Glyph and colour of a point: the kind by shape, old/new by shape and colour. */
static uint32_t glyph_of(const tcanvas *c, int kind, int old) {
    int ascii = c->cs == CHARSET_ASCII;
    switch (kind) {
    case PK_IMAGE: return old ? (ascii ? 'o' : 0x2022) : '+';
    case PK_TEXT: return old ? 'T' : 't';
    case PK_PROTO: return ascii ? (old ? 'P' : 'p') : (old ? 0x25C6 : 0x25C7);
    default: return old ? '*' : 'x';
    }
}

static int color_of(int kind, int old) {
    if (kind == PK_ANCHOR) return palette_color(2);
    return palette_color(old ? 0 : 1);
}

static int point_label(const run_task_data *td, int i) {
    int pos = td->proj_class[i];
    return pos >= 0 && pos < td->n_seen ? td->labels[pos] : -1;
}

/* Hidden by a filter (kind toggles, task, class name)? */
static int hidden(const wb_state *s, const proj_priv *p, int i) {
    const run_task_data *td = s->td;
    int kind = td->proj_kind[i];
    if (kind < 0 || kind >= PKINDS || p->hide_kind[kind]) return 1;
    int label = point_label(td, i);
    if (p->task_filter >= 0 && vk_class_task(s, label) != p->task_filter) return 1;
    return !vk_match(vk_class(s, label), s->filter);
}

static const float *coords(const run_task_data *td, const proj_priv *p) {
    return p->tsne && td->proj_tsne ? td->proj_tsne : td->proj_pca;
}

static void draw_legend(tcanvas *c, trect r, const wb_state *s, const proj_priv *p,
                        const int *count, const int *shown) {
    const run_task_data *td = s->td;
    int fg = color_fg(c), dim = color_dim(c);
    int y = r.y, bottom = r.y + r.h;
    char text[PKINDS * 2][64];
    plot_series sr[PKINDS * 2];
    int ns = 0;
    for (int k = 0; k < PKINDS; k++)
        for (int old = 1; old >= 0; old--) {
            int n = count[k * 2 + old];
            if (n == 0) continue;
            snprintf(text[ns], sizeof text[ns], "%s %s %d/%d%s", old ? "old" : "new",
                     kind_plural[k], shown[k * 2 + old], n, p->hide_kind[k] ? " (off)" : "");
            sr[ns] = (plot_series){0};
            sr[ns].color = color_of(k, old);
            sr[ns].mark = glyph_of(c, k, old);
            sr[ns].label = text[ns];
            ns++;
        }
    if (y < bottom) canvas_text(c, r.x, y++, r.w, "legend", fg, COL_DEFAULT, ATTR_BOLD);
    if (ns > bottom - y) ns = bottom - y;
    if (ns > 0) plot_legend(c, r.x, y, sr, ns);
    y += ns + 1;
    if (y < bottom)
        canvas_printf(c, r.x, y++, r.w, fg, COL_DEFAULT, 0, "tasks: %s",
                      p->task_filter < 0 ? "all" : "");
    if (p->task_filter >= 0)
        canvas_printf(c, r.x + 7, y - 1, r.w - 7, color_accent(c), COL_DEFAULT, ATTR_BOLD,
                      "task %d", p->task_filter + 1);
    if (y < bottom && s->filter[0])
        canvas_printf(c, r.x, y++, r.w, fg, COL_DEFAULT, 0, "classes: \"%s\"", s->filter);
    if (y < bottom && p->hl >= 0 && p->hl < td->n_seen) {
        int label = td->labels[p->hl];
        canvas_printf(c, r.x, y++, r.w, color_accent(c), COL_DEFAULT, ATTR_BOLD, "@ %s",
                      vk_class(s, label));
        if (y < bottom)
            canvas_printf(c, r.x + 2, y++, r.w - 2, dim, COL_DEFAULT, 0, "%s, task %d",
                          p->hl < td->n_old ? "old" : "new", vk_class_task(s, label) + 1);
    }
    y++;
    if (td->has_summary && y < bottom) {
        if (p->tsne && td->proj_tsne)
            canvas_printf(c, r.x, y++, r.w, dim, COL_DEFAULT, 0, "t-SNE KL %.3f",
                          td->summary.tsne_kl);
        else
            canvas_printf(c, r.x, y++, r.w, dim, COL_DEFAULT, 0, "PCA explains %.1f%% + %.1f%%",
                          100 * td->summary.pca_explained[0], 100 * td->summary.pca_explained[1]);
    }
    y++;
    if (y < bottom)
        canvas_text(c, r.x, y++, r.w, "m PCA/t-SNE  f task  I T P A", dim, COL_DEFAULT, 0);
    if (y < bottom)
        canvas_text(c, r.x, y++, r.w, "j/k highlight a class", dim, COL_DEFAULT, 0);
}

static void draw_numbers(tcanvas *c, trect r, const wb_state *s, proj_priv *p) {
    const run_task_data *td = s->td;
    const float *xy = coords(td, p);
    int fg = color_fg(c);
    int y = r.y;
    int *vis = segp_malloc((size_t)td->n_proj * sizeof *vis);
    int n = 0, name_w = 5;
    for (int i = 0; i < td->n_proj; i++)
        if (!hidden(s, p, i)) {
            vis[n++] = i;
            int l = utf8_cells(vk_class(s, point_label(td, i)));
            if (l > name_w) name_w = l;
        }
    /* the class names whole where the columns can make room (at 60 columns the edge cut them
     * to "yellow cres"): single spaces between columns, then without old/new and the task */
    int tight = 49 + name_w > r.w, bare = 45 + name_w > r.w;
    const char *sep = tight ? " " : "  ";
    const char *xs = p->tsne && td->proj_tsne ? "tsne x" : "pca x";
    const char *ys = p->tsne && td->proj_tsne ? "tsne y" : "pca y";
    if (bare)
        canvas_printf(c, r.x, y++, r.w, fg, COL_DEFAULT, ATTR_BOLD,
                      "point kind      %-9s %-9s class", xs, ys);
    else
        canvas_printf(c, r.x, y++, r.w, fg, COL_DEFAULT, ATTR_BOLD,
                      "point%skind     %sold%stask%s%-9s %-9s class", sep, sep, sep, sep, xs, ys);
    p->page = r.h - 1;
    p->scroll = vk_clamp(p->scroll, 0, n - p->page);
    for (int q = p->scroll; q < n && y < r.y + r.h; q++, y++) {
        int i = vis[q];
        int label = point_label(td, i);
        int kind = td->proj_kind[i];
        const char *kn = kind >= 0 && kind < PKINDS ? kind_names[kind] : "?";
        if (bare)
            canvas_printf(c, r.x, y, r.w, fg, COL_DEFAULT, 0, "%5d %-9s %9.3f %9.3f %s", i, kn,
                          xy[2 * i], xy[2 * i + 1], vk_class(s, label));
        else
            canvas_printf(c, r.x, y, r.w, fg, COL_DEFAULT, 0, "%5d%s%-9s%s%3s%s%4d%s%9.3f %9.3f %s",
                          i, sep, kn, sep, td->proj_class[i] < td->n_old ? "old" : "new", sep,
                          vk_class_task(s, label) + 1, sep, xy[2 * i], xy[2 * i + 1],
                          vk_class(s, label));
    }
    if (n == 0)
        canvas_text(c, r.x, y, r.w, "no point passes the filters", color_dim(c), COL_DEFAULT, 0);
    free(vis);
}

static void proj_draw_in(view *v, tcanvas *c, trect area, const wb_state *s) {
    proj_priv *p = v->priv;
    trect r = vk_title(c, area, "Projection: images, texts, prototypes and anchors in 2-D",
                       "Projection", s);
    if (vk_no_task(c, r, s)) return;
    const run_task_data *td = s->td;
    char msg[200];
    if (!td->has_geometry || td->n_proj < 1) {
        snprintf(msg, sizeof msg, "task %d: no projection saved (analytics off or "
                 "analytics.projection_points 0)", s->task + 1);
        view_notice(c, r, msg);
        return;
    }
    if (p->task != s->task) {
        p->task = s->task;
        p->hl = -1;
        p->scroll = 0;
        if (p->task_filter > s->task) p->task_filter = -1;
    }
    const float *xy = coords(td, p);
    int n = td->n_proj;
    int count[PKINDS * 2] = {0}, shown[PKINDS * 2] = {0};
    /* draw order: images, anchors, texts, prototypes (the few on top), the highlight last */
    static const int order[PKINDS] = {PK_IMAGE, PK_ANCHOR, PK_TEXT, PK_PROTO};
    float *pxy = segp_malloc((size_t)n * 2 * sizeof *pxy);
    int *col = segp_malloc((size_t)n * sizeof *col);
    uint32_t *gl = segp_malloc((size_t)n * sizeof *gl);
    uint8_t *hide = segp_malloc((size_t)n);
    double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
    for (int i = 0; i < n; i++) {
        int kind = td->proj_kind[i];
        if (kind < 0 || kind >= PKINDS) continue;
        int old = td->proj_class[i] < td->n_old;
        count[kind * 2 + old]++;
        shown[kind * 2 + old] += !hidden(s, p, i);
        /* axes over every point, so that filters do not move the picture */
        if (xy[2 * i] < x0) x0 = xy[2 * i];
        if (xy[2 * i] > x1) x1 = xy[2 * i];
        if (xy[2 * i + 1] < y0) y0 = xy[2 * i + 1];
        if (xy[2 * i + 1] > y1) y1 = xy[2 * i + 1];
    }
    int m = 0;
    for (int pass = 0; pass < 2; pass++)
        for (int o = 0; o < PKINDS; o++)
            for (int i = 0; i < n; i++) {
                int kind = td->proj_kind[i];
                int is_hl = td->proj_class[i] == p->hl;
                /* the highlighted class's images ('@') last: its text and prototype, often in
                 * the same cell, covered them, and without colour nothing showed the class */
                if (kind != order[pass ? PKINDS - 1 - o : o] || is_hl != pass) continue;
                int old = td->proj_class[i] < td->n_old;
                pxy[2 * m] = xy[2 * i];
                pxy[2 * m + 1] = xy[2 * i + 1];
                col[m] = is_hl ? color_accent(c) : color_of(kind, old);
                gl[m] = is_hl && kind == PK_IMAGE ? '@' : glyph_of(c, kind, old);
                hide[m] = (uint8_t)hidden(s, p, i);
                m++;
            }
    int fg = color_fg(c), dim = color_dim(c), acc = color_accent(c);
    int y = r.y, bottom = r.y + r.h;
    int total_shown = 0;
    for (int i = 0; i < PKINDS * 2; i++) total_shown += shown[i];
    if (y < bottom) {
        int x = r.x;
        const char *method = p->tsne && td->proj_tsne ? "t-SNE" : "PCA";
        x += canvas_text(c, x, y, r.w, method, acc, COL_DEFAULT, ATTR_BOLD);
        if (p->tsne && !td->proj_tsne)
            x += canvas_text(c, x, y, r.x + r.w - x, " (no t-SNE saved)", dim, COL_DEFAULT, 0);
        x += canvas_printf(c, x, y, r.x + r.w - x, fg, COL_DEFAULT, 0, " | %d of %d points",
                           total_shown, n);
        if (p->task_filter < 0) snprintf(msg, sizeof msg, "all");
        else snprintf(msg, sizeof msg, "task %d only", p->task_filter + 1);
        canvas_printf(c, x, y, r.x + r.w - x, fg, COL_DEFAULT, 0, " | tasks: %s", msg);
        y++;
    }
    trect body = {r.x, y, r.w, bottom - y};
    if (s->show_numbers) {
        draw_numbers(c, body, s, p);
    } else if (body.h >= 3) {
        int side_w = body.w >= 90 ? 30 : 0;
        int leg_h = side_w ? 0 : 1;
        trect pr = {body.x, body.y, body.w - side_w - (side_w ? 1 : 0), body.h - leg_h};
        if (x0 > x1) x0 = x1 = 0;
        double mx = (x1 - x0) * 0.03 + 1e-6, my = (y1 - y0) * 0.03 + 1e-6;
        plot_axes ax = {0};
        ax.x0 = x0 - mx;
        ax.x1 = x1 + mx;
        ax.y0 = y0 - my;
        ax.y1 = y1 + my;
        ax.xlabel = body.h >= 12 ? (p->tsne && td->proj_tsne ? "t-SNE 1" : "PC 1") : NULL;
        ax.ylabel = body.h >= 12 ? (p->tsne && td->proj_tsne ? "t-SNE 2" : "PC 2") : NULL;
        if (total_shown == 0)
            view_notice(c, pr, "no point passes the filters (/ class, f task, I T P A kinds)");
        else
            plot_scatter(c, pr, pxy, m, col, gl, hide, &ax);
        if (side_w) {
            draw_legend(c, (trect){body.x + body.w - side_w, body.y, side_w, body.h}, s, p, count,
                        shown);
        } else {
            /* one line: each kind's glyphs */
            int x = body.x, ly = body.y + body.h - 1;
            for (int k = 0; k < PKINDS && x < body.x + body.w; k++) {
                if (count[k * 2] + count[k * 2 + 1] == 0) continue;
                for (int old = 1; old >= 0; old--)
                    if (count[k * 2 + old])
                        canvas_put(c, x++, ly, glyph_of(c, k, old), color_of(k, old), COL_DEFAULT,
                                   0);
                static const char *const brief[PKINDS] = {"img", "text", "proto", "anchor"};
                x += canvas_printf(c, x, ly, body.x + body.w - x, p->hide_kind[k] ? dim : fg,
                                   COL_DEFAULT, 0, " %s%s  ",
                                   body.w >= 60 ? kind_plural[k] : brief[k],
                                   p->hide_kind[k] ? " off" : "");
            }
        }
    }
    free(pxy);
    free(col);
    free(gl);
    free(hide);
}

/* The next seen class (DIR +1/-1) that has a shown point, from the highlight. */
static int next_class(const wb_state *s, const proj_priv *p, int dir) {
    const run_task_data *td = s->td;
    if (!td || !td->has_geometry || td->n_seen < 1) return -1;
    int ns = td->n_seen;
    uint8_t *has = segp_calloc((size_t)ns, 1);
    for (int i = 0; i < td->n_proj; i++)
        if (!hidden(s, p, i) && td->proj_class[i] >= 0 && td->proj_class[i] < ns)
            has[td->proj_class[i]] = 1;
    int at = p->hl < 0 ? (dir > 0 ? -1 : ns) : p->hl, found = -1;
    for (int step = 0; step < ns; step++) {
        at += dir;
        if (at < 0 || at >= ns) break;
        if (has[at]) {
            found = at;
            break;
        }
    }
    free(has);
    return found;
}

static void proj_draw(view *v, tcanvas *c, trect area, const wb_state *s) {
    tcanvas *sub = vk_begin(c, area);
    if (!sub) return;
    proj_draw_in(v, sub, (trect){0, 0, area.w, area.h}, s);
    vk_end(c, area, sub);
}

static view_reply proj_key(view *v, int key, wb_state *s) {
    proj_priv *p = v->priv;
    int page = p->page > 1 ? p->page : 10;
    for (int k = 0; k < PKINDS; k++)
        if (key == kind_keys[k] || (key == kind_keys[k] + 32 && key != 'a' && key != 't')) {
            p->hide_kind[k] = !p->hide_kind[k];
            return VIEW_REDRAW;
        }
    switch (key) {
    case 'm': p->tsne = !p->tsne; return VIEW_REDRAW;
    case 'f': case 'F': {
        int last = s->task >= 0 ? s->task : 0;
        int dir = key == 'f' ? 1 : -1;
        p->task_filter += dir;
        if (p->task_filter > last) p->task_filter = -1;
        if (p->task_filter < -1) p->task_filter = last;
        return VIEW_REDRAW;
    }
    case WK_DOWN: case 'j':
        if (s->show_numbers) p->scroll++;
        else p->hl = next_class(s, p, 1);
        return VIEW_REDRAW;
    case WK_UP: case 'k':
        if (s->show_numbers) p->scroll = p->scroll > 0 ? p->scroll - 1 : 0;
        else p->hl = next_class(s, p, -1);
        return VIEW_REDRAW;
    case WK_PGDN: p->scroll += page; return VIEW_REDRAW;
    case WK_PGUP: p->scroll = p->scroll > page ? p->scroll - page : 0; return VIEW_REDRAW;
    case 'c': p->hl = -1; return VIEW_REDRAW;
    case 'v': s->show_numbers = !s->show_numbers; return VIEW_REDRAW;
    default: return VIEW_IGNORED;
    }
}

static view_reply proj_mouse(view *v, wb_mouse ev, int x, int y, wb_state *s) {
    if (ev == WM_WHEEL_DOWN) return proj_key(v, WK_DOWN, s);
    if (ev == WM_WHEEL_UP) return proj_key(v, WK_UP, s);
    return VIEW_IGNORED;
}

static const view_help proj_help[] = {
    {"m", "PCA / t-SNE"},
    {"I T P A", "show / hide images, texts, prototypes, anchors (i, p too)"},
    {"f/F", "tasks: all, task 1, task 2, ... (forward / back)"},
    {"/", "show only classes whose name contains the text"},
    {"j/k, arrows", "highlight the next / previous class (@); scroll the table with v"},
    {"c", "clear the highlight"},
    {"v", "the numbers: the shown points' coordinates as a table"},
    {"wheel", "highlight the next / previous class"},
    {"e", "export projection.csv (every point, both projections)"},
};

static int proj_export(view *v, const wb_state *s, const char *dir, char *written, size_t n) {
    proj_priv *p = v->priv;
    const run_task_data *td = s->td;
    if (!td || !td->has_geometry || td->n_proj < 1)
        return SEGP_FAIL("projection view: task %d has no projection to export", s->task + 1);
    view_text b = {0};
    view_text_printf(&b, "point,kind,label,class,task,old,row,pca_x,pca_y,tsne_x,tsne_y,shown\n");
    for (int i = 0; i < td->n_proj; i++) {
        int kind = td->proj_kind[i];
        int label = point_label(td, i);
        view_text_printf(&b, "%d,%s,%d,", i, kind >= 0 && kind < PKINDS ? kind_names[kind] : "?",
                         label);
        vk_csv_str(&b, vk_class(s, label));
        view_text_printf(&b, ",%d,%d,%d,%.9g,%.9g,", vk_class_task(s, label) + 1,
                  td->proj_class[i] < td->n_old, td->proj_row[i], td->proj_pca[2 * i],
                  td->proj_pca[2 * i + 1]);
        if (td->proj_tsne)
            view_text_printf(&b, "%.9g,%.9g", td->proj_tsne[2 * i], td->proj_tsne[2 * i + 1]);
        else view_text_printf(&b, ",");
        view_text_printf(&b, ",%d\n", !hidden(s, p, i));
    }
    return view_text_write(&b, dir, "projection.csv", written, n);
}

static void proj_free(view *v) {
    if (!v) return;
    free(v->priv);
    free(v);
}

static void proj_figure_of(view *v, view_figure *f) {
    const proj_priv *p = v->priv;
    f->figure = "projection";
    f->tsne = p->tsne;
}

view *view_projection_new(void) {
    view *v = segp_calloc(1, sizeof *v);
    proj_priv *p = segp_calloc(1, sizeof *p);
    p->task = -2;
    p->tsne = 1;
    p->task_filter = -1;
    p->hl = -1;
    v->name = "projection";
    v->figure = "projection";
    v->draw = proj_draw;
    v->key = proj_key;
    v->mouse = proj_mouse;
    v->help = proj_help;
    v->n_help = (int)(sizeof proj_help / sizeof proj_help[0]);
    v->export_data = proj_export;
    v->figure_of = proj_figure_of;
    v->free = proj_free;
    v->priv = p;
    return v;
}
