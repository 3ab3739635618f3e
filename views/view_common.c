/* view_common.c: what every view draws the same way: a notice when there is nothing to show
 * (naming why), the title line, and lines of "name value" fields that never cut a value. */
#include "views/view.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/common.h"

/* Word-wraps MSG into lines of at most W cells; fills START/LEN, returns the line count. */
static int wrap(const char *msg, int w, int *start, int *len, int max_lines) {
    int n = 0, total = (int)strlen(msg), i = 0;
    while (i < total && n < max_lines) {
        while (msg[i] == ' ') i++;
        if (i >= total) break;
        int end = i, last_space = -1, cells = 0;
        while (end < total && msg[end] != '\n' && cells < w) {
            if (msg[end] == ' ') last_space = end;
            /* count a code point once: skip UTF-8 continuation bytes */
            if (((unsigned char)msg[end] & 0xc0) != 0x80) cells++;
            end++;
        }
        while (end < total && ((unsigned char)msg[end] & 0xc0) == 0x80) end++;
        if (end < total && msg[end] != '\n' && msg[end] != ' ' && last_space > i)
            end = last_space;
        start[n] = i;
        len[n] = end - i;
        n++;
        i = end;
        if (i < total && msg[i] == '\n') i++;
    }
    return n;
}

void view_notice(tcanvas *c, trect area, const char *msg) {
    if (!msg || area.w < 1 || area.h < 1) return;
    int w = area.w > 8 ? area.w - 4 : area.w;
    int start[64], len[64];
    int n = wrap(msg, w, start, len, area.h < 64 ? area.h : 64);
    int y = area.y + (area.h - n) / 2;
    for (int k = 0; k < n; k++) {
        char line[1024];
        int l = len[k] < (int)sizeof line - 1 ? len[k] : (int)sizeof line - 1;
        memcpy(line, msg + start[k], (size_t)l);
        line[l] = 0;
        int cells = utf8_cells(line);
        canvas_text(c, area.x + (area.w - cells) / 2, y + k, w, line, color_fg(c), COL_DEFAULT,
                    k == 0 ? ATTR_BOLD : 0);
    }
}

/* Cells of the first N bytes of S */
static int cells_of(const char *s, int n) {
    int k = 0;
    for (int i = 0; i < n; i++) k += ((unsigned char)s[i] & 0xc0) != 0x80;
    return k;
}

int view_fields(tcanvas *c, int x, int y, int w, int rows, const char *line, int fg, int attr) {
    const char *p = line;
    int row = 0, col = 0;
    while (*p && row < rows && w > 0) {
        const char *e = strstr(p, "   ");
        int len = e ? (int)(e - p) : (int)strlen(p), cells = cells_of(p, len);
        int sep = col ? 3 : 0;
        char f[1024];
        if (col + sep + cells <= w) {
            snprintf(f, sizeof f, "%.*s", len, p);
            if (c) canvas_text(c, x + col + sep, y + row, cells, f, fg, COL_DEFAULT, attr);
            col += sep + cells;
            p += len;
            while (*p == ' ') p++;
            continue;
        }
        if (col) { /* the field on the next row, else left out whole */
            row++;
            col = 0;
            continue;
        }
        /* a field wider than a row: up to its last space that fits (a word longer than the
         * row is cut), the rest on the next row */
        int cut = 0;
        for (int i = 0; i < len && cells_of(p, i) <= w; i++)
            if (p[i] == ' ') cut = i;
        if (!cut) cut = len;
        snprintf(f, sizeof f, "%.*s", cut, p);
        if (c) canvas_text(c, x, y + row, w, f, fg, COL_DEFAULT, attr);
        p += cut;
        while (*p == ' ') p++;
        row++;
    }
    return row + (col > 0);
}

int view_title(tcanvas *c, trect area, const char *title, const wb_state *s) {
    if (area.h < 1) return 0;
    int n = canvas_text(c, area.x, area.y, area.w, title, color_accent(c), COL_DEFAULT,
                        ATTR_BOLD);
    if (s && s->rec) {
        char right[160];
        if (s->task >= 0)
            snprintf(right, sizeof right, "task %d/%d  %s", s->task + 1, s->rec->num_tasks,
                     s->rec->method ? s->rec->method : "");
        else
            snprintf(right, sizeof right, "no finished task  %s",
                     s->rec->method ? s->rec->method : "");
        int l = utf8_cells(right);
        if (area.w - n - 2 >= l)
            canvas_text(c, area.x + area.w - l, area.y, l, right, color_dim(c), COL_DEFAULT, 0);
    }
    return 1;
}

/* Lines the rows marked in VIS take, a line for each run of hidden ones. */
static int table_lines(const unsigned char *vis, int n) {
    int lines = 0;
    for (int i = 0; i < n; i++)
        if (vis[i] || i == 0 || vis[i - 1]) lines++;
    return lines;
}

/* The rows marked in VIS into LINE_ROW, -1 for each run of hidden ones; the count. */
static int table_emit(const unsigned char *vis, int n, int *line_row) {
    int used = 0;
    for (int i = 0; i < n; i++)
        if (vis[i]) line_row[used++] = i;
        else if (i == 0 || vis[i - 1]) line_row[used++] = -1;
    return used;
}

int view_table_rows(int n, int lines, const int *pin, int n_pin, int *line_row) {
    if (n <= 0 || lines <= 0) return 0;
    if (n <= lines) {
        for (int i = 0; i < n; i++) line_row[i] = i;
        return n;
    }
    unsigned char *vis = segp_calloc((size_t)n, 1);
    int *near = segp_malloc(sizeof(int) * (size_t)n);
    int n_pins = 0;
    for (int k = 0; k < n_pin; k++)
        if (pin[k] >= 0 && pin[k] < n && !vis[pin[k]]) {
            vis[pin[k]] = 1;
            n_pins++;
        }
    int used;
    if (table_lines(vis, n) > lines) {
        /* the pins and their marks do not fit: the marks at the ends go first, then those
         * between pins (at most two pins: a table this small shows little anyway) */
        int *all = segp_malloc(sizeof(int) * (size_t)(2 * n_pins + 1));
        int m = table_emit(vis, n, all), lo = 0, hi = m;
        if (hi - lo > lines && all[lo] < 0) lo++;
        if (hi - lo > lines && all[hi - 1] < 0) hi--;
        used = 0;
        for (int k = lo; k < hi && used < lines; k++)
            if (all[k] >= 0 || hi - lo <= lines) line_row[used++] = all[k];
        free(all);
    } else {
        /* then the first row (where the run started), then outwards from the pins (without
         * pins: down from the first row); a row is taken while the table still fits (one
         * that fills a single-row gap costs nothing) */
        for (int i = 0; i < n; i++) {
            near[i] = n_pins ? n : i;
            for (int k = 0; k < n; k++)
                if (vis[k] && abs(i - k) < near[i]) near[i] = abs(i - k);
        }
        near[0] = 0;
        for (int d = 0; d < n; d++)
            for (int i = 0; i < n; i++) {
                if (vis[i] || near[i] != d) continue;
                vis[i] = 1;
                if (table_lines(vis, n) > lines) vis[i] = 0;
            }
        used = table_emit(vis, n, line_row);
    }
    free(near);
    free(vis);
    return used;
}

void view_rows_hidden(tcanvas *c, int x, int y, int w, int label_w, const int *line_row, int k,
                      int lines, int n) {
    if (w <= 0) return;
    int first = k > 0 ? line_row[k - 1] + 1 : 0;
    int last = k + 1 < lines ? line_row[k + 1] - 1 : n - 1;
    int ascii = c->cs == CHARSET_ASCII, dim = color_dim(c);
    const char *ell = ascii ? "..." : "\xe2\x80\xa6"; /* U+2026 */
    int ex = x + label_w - utf8_cells(ell);
    if (ex < x) ex = x;
    int used = canvas_text(c, ex, y, w - (ex - x), ell, dim, COL_DEFAULT, 0);
    int tx = ex + used + 1, tw = w - (tx - x);
    if (tw <= 0) return; /* canvas_text would run to the canvas edge */
    if (first == last)
        canvas_printf(c, tx, y, tw, dim, COL_DEFAULT, 0, "task %d hidden", first + 1);
    else
        canvas_printf(c, tx, y, tw, dim, COL_DEFAULT, 0, "tasks %d-%d hidden", first + 1,
                      last + 1);
}

void view_text_printf(view_text *t, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int need = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (need < 0) return;
    if (t->n + (size_t)need + 1 > t->cap) {
        t->cap = (t->n + (size_t)need + 1) * 2;
        t->s = segp_realloc(t->s, t->cap);
    }
    va_start(ap, fmt);
    vsnprintf(t->s + t->n, t->cap - t->n, fmt, ap);
    va_end(ap);
    t->n += (size_t)need;
}

int view_text_write(view_text *t, const char *dir, const char *name, char *written, size_t n) {
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int rc = segp_write_file_atomic(path, t->s ? t->s : "", t->n);
    free(t->s);
    memset(t, 0, sizeof *t);
    if (rc != 0) return -1;
    size_t used = strlen(written);
    snprintf(written + used, n > used ? n - used : 0, "%s%s", used ? ", " : "", name);
    return 0;
}
