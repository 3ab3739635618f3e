/* viewkit.c: helpers shared by the analysis views (see viewkit.h). */
#include "views/viewkit.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/common.h"
#include "io/npy.h"

void vk_csv_str(view_text *b, const char *s) {
    if (!strpbrk(s, ",\"\n\r")) {
        view_text_printf(b, "%s", s);
        return;
    }
    view_text_printf(b, "\"");
    for (const char *p = s; *p; p++) view_text_printf(b, *p == '"' ? "\"\"" : "%c", *p);
    view_text_printf(b, "\"");
}

void vk_csv_num(view_text *b, double v) {
    if (!isnan(v)) view_text_printf(b, "%.9g", v);
}

static void add_written(char *written, size_t n, const char *name) {
    if (!written || n == 0) return;
    size_t len = strlen(written);
    snprintf(written + len, n - len, "%s%s", len ? ", " : "", name);
}

int vk_write_npy(const char *dir, const char *name, const float *data, int ndim,
                 const int64_t *shape, char *written, size_t n) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (npy_write_f32(path, data, ndim, shape) != 0) return -1;
    add_written(written, n, name);
    return 0;
}

int vk_match(const char *name, const char *filter) {
    if (!filter || !filter[0]) return 1;
    if (!name) return 0;
    size_t fl = strlen(filter);
    for (const char *p = name; *p; p++) {
        size_t i = 0;
        while (i < fl && p[i] && tolower((unsigned char)p[i]) == tolower((unsigned char)filter[i]))
            i++;
        if (i == fl) return 1;
    }
    return 0;
}

const char *vk_class(const wb_state *s, int label) {
    if (!s || !s->rec) return "?";
    return run_class_name(s->rec, label);
}

int vk_class_task(const wb_state *s, int label) {
    if (!s || !s->rec || !s->rec->class_task || label < 0 || label >= s->rec->num_classes)
        return -1;
    return s->rec->class_task[label];
}

tcanvas *vk_begin(const tcanvas *c, trect area) {
    if (area.w < 1 || area.h < 1) return NULL;
    return canvas_new(area.w, area.h, c->cs, c->colors, c->light);
}

void vk_end(tcanvas *c, trect area, tcanvas *sub) {
    if (!sub) return;
    for (int y = 0; y < sub->h; y++)
        for (int x = 0; x < sub->w; x++) {
            int cx = area.x + x, cy = area.y + y;
            if (cx >= 0 && cx < c->w && cy >= 0 && cy < c->h)
                c->cells[(size_t)cy * c->w + cx] = sub->cells[(size_t)y * sub->w + x];
        }
    canvas_free(sub);
}

trect vk_title(tcanvas *c, trect area, const char *title, const char *short_title,
               const wb_state *s) {
    int used = view_title(c, area, utf8_cells(title) + 20 > area.w ? short_title : title, s);
    if (used < 0) used = 0;
    if (used > area.h) used = area.h;
    area.y += used;
    area.h -= used;
    return area;
}

int vk_no_task(tcanvas *c, trect area, const wb_state *s) {
    if (s->td) return 0;
    view_notice(c, area,
                s->td_error && s->td_error[0] ? s->td_error
                                              : "no finished task yet: nothing saved to show");
    return 1;
}

trect vk_panel(tcanvas *c, trect r, const char *title) {
    if (r.w >= 24 && r.h >= 10) {
        canvas_box(c, r, title, color_dim(c));
        return (trect){r.x + 1, r.y + 1, r.w - 2, r.h - 2};
    }
    if (title && r.h > 2) {
        while (*title == ' ') title++;
        canvas_text_words(c, r.x, r.y, r.w > 1 ? r.w - 1 : 1, title, color_fg(c), COL_DEFAULT,
                          ATTR_BOLD);
        return (trect){r.x, r.y + 1, r.w, r.h - 1};
    }
    return r;
}

trect vk_clip(trect r, trect a) {
    int x0 = r.x < a.x ? a.x : r.x, y0 = r.y < a.y ? a.y : r.y;
    int x1 = r.x + r.w, y1 = r.y + r.h;
    if (x1 > a.x + a.w) x1 = a.x + a.w;
    if (y1 > a.y + a.h) y1 = a.y + a.h;
    trect o = {x0, y0, x1 - x0, y1 - y0};
    if (o.w < 0) o.w = 0;
    if (o.h < 0) o.h = 0;
    return o;
}

int vk_clamp(int v, int lo, int hi) {
    if (hi < lo) return lo;
    return v < lo ? lo : v > hi ? hi : v;
}

const char *vk_num(char *buf, size_t n, double v) {
    if (isnan(v)) snprintf(buf, n, "-");
    else snprintf(buf, n, "%.3g", v);
    return buf;
}
