/* tui_runs.c: the workbench's list of runs (segp tui FOLDER: runs/, an ablation's OUT): a line
 * per run with its method, tasks, Last, Avg, Forgetting, wall time and state (finished,
 * interrupted, or running in another process, with its task and phase), read again every
 * second while any run is unfinished. Enter opens the selected run; Backspace in a run comes
 * back here; `s` / `S` sort it by a column. */
#define _XOPEN_SOURCE_EXTENDED 1
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/common.h"
#include "tui.h"
#include "tui_shell.h"

/* The summary of the unfinished run in DIR from its record, kept open in NEXT_OPEN (grown by
 * what the run has written since: run_record_follow), or opened now. */
static void live_summary(tui *t, const char *dir, run_summary *s, run_record *next_open,
                         int *n_next) {
    run_record *r = NULL;
    for (int j = 0; j < t->n_open && !r; j++)
        if (t->open_recs[j].dir && !strcmp(t->open_recs[j].dir, dir)) r = &t->open_recs[j];
    if (r) {
        int n = 0;
        segp_clear_error();
        if (run_record_follow(r, &n) != 0 || run_record_refresh(r) != 0) {
            run_record_free(r); /* replaced or cut: read it whole again */
            r = NULL;
        }
    }
    if (r) {
        run_summary_of(r, s);
        next_open[(*n_next)++] = *r;
        memset(r, 0, sizeof *r); /* moved */
        return;
    }
    run_record fresh;
    run_summary_read(dir, s, &fresh);
    if (s->ok) next_open[(*n_next)++] = fresh;
}

/* The folder's runs again: a finished run's summary is kept (it does not change); the others'
 * records stay open and grow by what their runs write. */
void tui_runs_refresh(tui *t) {
    char **dirs = NULL;
    int n = 0, cap = 0, n_next = 0;
    run_list_gather(t->list_dir, &dirs, &n, &cap);
    run_summary *next = segp_calloc((size_t)(n ? n : 1), sizeof *next);
    run_record *next_open = segp_calloc((size_t)(n ? n : 1), sizeof *next_open);
    for (int i = 0; i < n; i++) {
        int kept = 0;
        for (int j = 0; j < t->n_runs && !kept; j++)
            if (t->runs[j].ok && t->runs[j].run_done && !strcmp(t->runs[j].dir, dirs[i])) {
                next[i] = t->runs[j];
                kept = 1;
            }
        if (!kept) live_summary(t, dirs[i], &next[i], next_open, &n_next);
        free(dirs[i]);
    }
    free(dirs);
    for (int j = 0; j < t->n_open; j++) run_record_free(&t->open_recs[j]); /* gone, or moved */
    free(t->open_recs);
    for (int j = 0; j < n_next; j++) /* a finished run's record is not needed again */
        if (next_open[j].run_done) {
            run_record_free(&next_open[j]);
            next_open[j--] = next_open[--n_next];
        }
    t->open_recs = next_open;
    t->n_open = n_next;
    run_list_sort(next, n, t->list_sort, t->list_desc);
    /* the selection stays on its run when runs come or go */
    const char *sel = t->list_sel < t->n_runs ? t->runs[t->list_sel].dir : NULL;
    int at = 0;
    for (int i = 0; sel && i < n; i++)
        if (!strcmp(next[i].dir, sel)) at = i;
    free(t->runs);
    t->runs = next;
    t->n_runs = n;
    t->list_sel = n ? at : 0;
    t->list_poll = segp_now();
    t->dirty = 1;
}

/* The list's records, when the workbench quits. */
void tui_runs_free(tui *t) {
    for (int j = 0; j < t->n_open; j++) run_record_free(&t->open_recs[j]);
    free(t->open_recs);
    free(t->runs);
    t->open_recs = NULL;
    t->runs = NULL;
    t->n_open = t->n_runs = 0;
}

/* Every second while a run of the list is unfinished. */
void tui_runs_poll(tui *t) {
    if (!t->listing || segp_now() - t->list_poll < 1.0) return;
    int live = 0;
    for (int i = 0; i < t->n_runs; i++) live |= !t->runs[i].ok || !t->runs[i].run_done;
    if (live) tui_runs_refresh(t);
}

static const char *rel_name(const tui *t, const char *dir) {
    size_t n = strlen(t->list_dir);
    if (!strncmp(dir, t->list_dir, n)) {
        dir += n;
        while (*dir == '/') dir++;
    }
    return dir;
}

void tui_runs_draw(tui *t) {
    tcanvas *c = t->canvas;
    int fg = color_fg(c), dim = color_dim(c);
    int finished = 0, running = 0;
    for (int i = 0; i < t->n_runs; i++) {
        finished += t->runs[i].ok && t->runs[i].run_done;
        running += t->runs[i].ok && t->runs[i].held;
    }
    canvas_printf(c, 0, 0, c->w, color_accent(c), COL_DEFAULT, ATTR_BOLD,
                  " Runs in %s: %d (%d finished, %d running elsewhere)", t->list_dir, t->n_runs,
                  finished, running);
    int wd = 3;
    for (int i = 0; i < t->n_runs; i++) {
        int l = utf8_cells(rel_name(t, t->runs[i].dir));
        if (l > wd) wd = l;
    }
    if (wd > c->w / 3) wd = c->w / 3 > 8 ? c->w / 3 : 8;
    char line[1600];
    const char *mark = c->cs == CHARSET_ASCII ? (t->list_desc ? "v" : "^")
                       : t->list_desc            ? "▼"
                                                 : "▲";
    /* columns give way whole on a narrow screen ("2:52" read "2" at 60 columns) */
    unsigned hide = run_list_hide(wd, c->w - 1, t->list_sort);
    run_list_row(NULL, NULL, wd, t->list_sort, mark, hide, 0, line, sizeof line);
    t->list_name_w = wd;
    t->list_hide = hide;
    t->list_mark = mark;
    canvas_text(c, 1, 2, c->w - 1, line, dim, COL_DEFAULT, ATTR_BOLD);
    int rows = c->h - 5; /* title, blank, header, ..., blank, status */
    if (rows < 1) rows = 1;
    /* a run that cannot be read: its whole error (the list's line cuts it, and it says how to
     * repair the run) under the list, in up to 4 rows taken from the list when it is long */
    const run_summary *bad = t->list_sel < t->n_runs && !t->runs[t->list_sel].ok
                                 ? &t->runs[t->list_sel] : NULL;
    int err_rows = 0;
    if (bad) {
        int len = utf8_cells(bad->error) + 8, w = c->w - 2 > 10 ? c->w - 2 : 10;
        err_rows = (len + w - 1) / w + 1; /* about; the words decide */
        if (err_rows > 4) err_rows = 4;
        int below = rows - t->n_runs;
        if (below < err_rows + 1) rows -= err_rows + 1 - (below > 0 ? below : 0);
        if (rows < 3) rows = 3, err_rows = 0;
    }
    t->list_rows = rows;
    if (t->list_sel < t->list_top) t->list_top = t->list_sel;
    if (t->list_sel >= t->list_top + rows) t->list_top = t->list_sel - rows + 1;
    if (t->list_top < 0) t->list_top = 0;
    for (int k = 0; k < rows && t->list_top + k < t->n_runs; k++) {
        int i = t->list_top + k, y = 3 + k, sel = i == t->list_sel;
        const run_summary *s = &t->runs[i];
        char name[512];
        snprintf(name, sizeof name, "%.511s", rel_name(t, s->dir));
        if (utf8_cells(name) > wd) snprintf(name + wd - 1, sizeof name - (size_t)(wd - 1), "~");
        if (s->ok) run_list_row(s, name, wd, -1, "", hide, c->w - 1, line, sizeof line);
        else run_summary_line(s, name, wd, line, sizeof line);
        int col = !s->ok ? dim : s->held ? color_accent(c) : fg;
        canvas_text(c, 0, y, 1, sel ? ">" : " ", fg, COL_DEFAULT, ATTR_BOLD);
        canvas_text(c, 1, y, c->w - 1, line, col, COL_DEFAULT, sel ? ATTR_REVERSE : 0);
    }
    if (t->list_top > 0) canvas_text(c, c->w - 2, 3, 1, "^", dim, COL_DEFAULT, 0);
    if (t->list_top + rows < t->n_runs)
        canvas_text(c, c->w - 2, 2 + rows, 1, "v", dim, COL_DEFAULT, 0);
    if (!t->n_runs)
        canvas_text(c, 1, 3, c->w - 1, "(no runs: the folder holds no run directory now)", dim,
                    COL_DEFAULT, 0);
    if (bad && err_rows) {
        int shown = t->n_runs - t->list_top < rows ? t->n_runs - t->list_top : rows;
        int y = 3 + shown + 1, room = c->h - 1 - y;
        char msg[600];
        snprintf(msg, sizeof msg, "cannot be read: %s", bad->error);
        view_fields(c, 1, y, c->w - 2, room < err_rows ? room : err_rows, msg, fg, 0);
    }
}

void tui_runs_sort_text(const tui *t, char *out, size_t n) {
    int num = run_sort_numeric(t->list_sort);
    snprintf(out, n, "%s, %s", run_sort_name(t->list_sort),
             num ? (t->list_desc ? "largest first" : "smallest first")
                 : (t->list_desc ? "Z-A" : "A-Z"));
}

/* The list in its order again, the selection on the run it was on. */
static void sort_again(tui *t) {
    char sel[sizeof t->runs[0].dir] = "";
    if (t->list_sel < t->n_runs) snprintf(sel, sizeof sel, "%s", t->runs[t->list_sel].dir);
    run_list_sort(t->runs, t->n_runs, t->list_sort, t->list_desc);
    for (int i = 0; i < t->n_runs; i++)
        if (!strcmp(t->runs[i].dir, sel)) t->list_sel = i;
    t->dirty = 1;
}

int tui_runs_mouse(tui *t, int x, int y, int wheel) {
    if (wheel) return tui_runs_key(t, wheel < 0 ? KEY_UP : KEY_DOWN);
    if (y == 2 && t->list_mark) { /* a head: sort by its column; the sorting one: reverse */
        int col = run_list_head_at(t->list_name_w, t->list_sort, t->list_mark, t->list_hide,
                                   x - 1);
        if (col < 0) return 0;
        if (col == t->list_sort) t->list_desc = !t->list_desc;
        else t->list_sort = col, t->list_desc = run_sort_numeric(col);
        sort_again(t);
        return 1;
    }
    int i = t->list_top + y - 3;
    if (y < 3 || y - 3 >= t->list_rows || i >= t->n_runs) return 0;
    t->list_sel = i;
    t->dirty = 1;
    return 1;
}

/* List keys: 1 when used. */
int tui_runs_key(tui *t, int ch) {
    int rows = t->canvas->h - 5 > 1 ? t->canvas->h - 5 : 1, sel = t->list_sel;
    switch (ch) {
    case 's': /* names A-Z, numbers largest first: the best Last and Avg on top */
        t->list_sort = (t->list_sort + 1) % RUN_SORT_COLUMNS;
        t->list_desc = run_sort_numeric(t->list_sort);
        sort_again(t);
        return 1;
    case 'S':
        t->list_desc = !t->list_desc;
        sort_again(t);
        return 1;
    case KEY_UP: case 'k': sel--; break;
    case KEY_DOWN: case 'j': sel++; break;
    case KEY_PPAGE: sel -= rows; break;
    case KEY_NPAGE: sel += rows; break;
    case KEY_HOME: case 'g': sel = 0; break;
    case KEY_END: case 'G': sel = t->n_runs - 1; break;
    case '\r': case '\n': case KEY_ENTER:
        if (t->n_runs) tui_open_run(t, t->runs[t->list_sel].dir);
        return 1;
    default: return 0;
    }
    if (sel >= t->n_runs) sel = t->n_runs - 1;
    if (sel < 0) sel = 0;
    t->list_sel = sel;
    t->dirty = 1;
    return 1;
}
