/* tui_draw.c: the workbench's frame: the tab bar, the status bar (what the run is doing, or
 * the message / question of the moment) and the current view between them. */
#define _XOPEN_SOURCE_EXTENDED 1
#include <curses.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/common.h"
#include "tui.h"
#include "tui_shell.h"

const char *tui_base_name(const char *dir) {
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/') n--;
    static char b[256];
    const char *s = dir + n;
    while (s > dir && s[-1] != '/') s--;
    snprintf(b, sizeof b, "%.*s", (int)(dir + n - s), s);
    return b;
}

static void draw_tabs(tui *t) {
    tcanvas *c = t->canvas;
    canvas_fill(c, (trect){0, 0, c->w, 1}, ' ', COL_DEFAULT, COL_DEFAULT);
    /* every tab's name where " N name " and the cell between tabs all fit (without that cell
     * in the sum, 70-74 columns cut the last name: "6 projecti") */
    int full = -1;
    for (int i = 0; i < t->n_views; i++) full += (int)strlen(t->views[i]->name) + 5;
    int x = 0;
    for (int i = 0; i < t->n_views; i++) {
        char s[64];
        if (full <= c->w || i == t->cur) snprintf(s, sizeof s, " %d %s ", i + 1, t->views[i]->name);
        else snprintf(s, sizeof s, " %d ", i + 1);
        int cur = i == t->cur;
        t->tab_x0[i] = x;
        x += canvas_text(c, x, 0, 0, s, cur ? color_accent(c) : color_fg(c), COL_DEFAULT,
                         cur ? ATTR_REVERSE | ATTR_BOLD : 0);
        t->tab_x1[i] = x;
        x++;
    }
    /* "segp NAME" at the right end; in less room NAME alone, then its tail after an ellipsis
     * (run names differ at the end: runs/CONFIG-DATE-TIME), else nothing */
    const char *name = t->dir[0] ? tui_base_name(t->dir) : "";
    int room = c->w - x - 1;
    char right[300];
    snprintf(right, sizeof right, "segp %s", name);
    if (utf8_cells(right) > room) snprintf(right, sizeof right, "%s", name);
    if (utf8_cells(right) > room && room >= 6) {
        const char *ell = c->cs == CHARSET_ASCII ? "..." : "\xe2\x80\xa6"; /* U+2026 */
        const char *tail = name;
        while (*tail && utf8_cells(tail) > room - utf8_cells(ell)) {
            tail++;
            while ((*tail & 0xc0) == 0x80) tail++; /* a code point at a time */
        }
        snprintf(right, sizeof right, "%s%s", ell, tail);
    }
    int l = utf8_cells(right);
    if (l > 0 && l <= room) canvas_text(c, c->w - l, 0, l, right, color_dim(c), COL_DEFAULT, 0);
}

static void join_parts(char *s, size_t n, int room, const char *const *parts, size_t np);

/* The status line's parts, "|"-separated, in ROOM cells: a part that does not fit is left out
 * whole (cut, "viewing task 10/10" read "viewing task 10", which looks complete). */
static void status_text(tui *t, char *s, size_t n, int room) {
    const run_record *r = t->have_rec ? &t->rec : NULL;
    if (t->listing) {
        char sorted[96], runs[160];
        tui_runs_sort_text(t, sorted, sizeof sorted);
        snprintf(runs, sizeof runs, "%d run%s, sorted by %s", t->n_runs,
                 t->n_runs == 1 ? "" : "s", sorted);
        const char *parts[] = {runs, "Enter: open", "s, S: sort", "arrows, j/k: select",
                               "q: quit"};
        join_parts(s, n, room, parts, sizeof parts / sizeof parts[0]);
        return;
    }
    char state[300] = "", prog[160] = "";
    if (t->worker || t->external) {
        tui_worker_state ws = {0};
        if (t->worker) tui_worker_get(t->worker, &ws);
        if (t->external)
            snprintf(state, sizeof state, "training in another process (%s): following",
                     t->holder);
        else if (ws.aborting) snprintf(state, sizeof state, "stopping...");
        else if (!r)
            snprintf(state, sizeof state, "starting: checking the config, loading the model");
        else if (ws.at_boundary)
            snprintf(state, sizeof state, "PAUSED after task %d: n trains task %d", r->tasks_done,
                     r->tasks_done + 1);
        else if (ws.paused && ws.waiting) snprintf(state, sizeof state, "PAUSED: space resumes");
        else if (ws.paused) snprintf(state, sizeof state, "pausing...");
        else snprintf(state, sizeof state, "training");
        if (ws.auto_advance) strncat(state, " [auto]", sizeof state - strlen(state) - 1);
        if (r && r->cur_task >= 0 && r->phase[0] && !ws.at_boundary) {
            if (r->phase_steps > 0)
                snprintf(prog, sizeof prog, "task %d/%d %s %d%%", r->cur_task + 1, r->num_tasks,
                         r->phase, (int)(100 * r->phase_step / r->phase_steps));
            else
                snprintf(prog, sizeof prog, "task %d/%d %s", r->cur_task + 1, r->num_tasks,
                         r->phase);
        }
    } else if (r) {
        if (r->run_done) snprintf(state, sizeof state, "finished, read-only%s",
                                  t->opt.new_config ? "; N: new run" : "");
        else if (r->tasks_done == 0)
            snprintf(state, sizeof state, "interrupted in task 1/%d: r resumes", r->num_tasks);
        else snprintf(state, sizeof state, "interrupted after task %d/%d: r resumes",
                      r->tasks_done, r->num_tasks);
    }
    char sel[64] = "", filt[160] = "";
    if (r && t->st.task >= 0) snprintf(sel, sizeof sel, "viewing task %d/%d", t->st.task + 1,
                                       r->num_tasks);
    if (t->st.filter[0]) snprintf(filt, sizeof filt, "filter '%s'", t->st.filter);
    const char *parts[] = {t->dir[0] ? tui_base_name(t->dir) : "-", r && r->method ? r->method : "",
                           state, prog, sel, filt};
    join_parts(s, n, room, parts, sizeof parts / sizeof parts[0]);
}

/* PARTS (NP of them, empty ones skipped) " | "-separated into S, those that do not fit in
 * ROOM cells left out whole. */
static void join_parts(char *s, size_t n, int room, const char *const *parts, size_t np) {
    size_t used = 0;
    s[0] = 0;
    for (size_t i = 0; i < np; i++) {
        if (!parts[i][0]) continue;
        const char *sep = used ? " | " : " ";
        /* the first part always: the canvas cuts it where nothing else would fit */
        if (used && utf8_cells(s) + utf8_cells(sep) + utf8_cells(parts[i]) > room) continue;
        used += (size_t)snprintf(s + used, used < n ? n - used : 0, "%s%s", sep, parts[i]);
        if (used >= n) break;
    }
}

static void draw_status(tui *t) {
    tcanvas *c = t->canvas;
    int y = c->h - 1, inv = ATTR_REVERSE;
    canvas_fill(c, (trect){0, y, c->w, 1}, ' ', COL_DEFAULT, COL_DEFAULT);
    for (int x = 0; x < c->w; x++) canvas_put(c, x, y, ' ', color_fg(c), COL_DEFAULT, inv);
    if (t->prompt.active) {
        int n = canvas_printf(c, 0, y, c->w - 1, color_fg(c), COL_DEFAULT, inv, "%c%s",
                              t->prompt.kind, t->prompt.buf);
        canvas_put(c, n, y, ' ', color_fg(c), COL_DEFAULT, 0); /* the cursor */
        return;
    }
    /* while a y/n question waits every other key answers no: ? opens no help then */
    const char *help = t->confirm ? "" : " ?:help ";
    int hl = (int)strlen(help);
    int room = c->w - hl;
    if (room < 10) room = c->w, hl = 0;
    char s[1200];
    if (t->confirm == 'q')
        snprintf(s, sizeof s, " Stop training and quit? The current task restarts on resume; "
                              "finished tasks are saved. y/n");
    else if (t->confirm == 'N') { /* y/n before the note: a narrow line cuts the note only */
        /* the config's path in what the question's words leave (a long absolute one cut off
         * "into runs/? y/n" at 100 columns) */
        char cwd[4096], path[1000];
        const char *q0 = " Start a new run of ", *q1 = " into runs/? y/n";
        tui_fit_path(t->opt.new_config, getcwd(cwd, sizeof cwd), room - utf8_cells(q0) -
                     utf8_cells(q1), c->cs == CHARSET_ASCII, path, sizeof path);
        snprintf(s, sizeof s, "%s%s%s%s", q0, path, q1, t->new_note);
    }
    else if (t->msg[0])
        snprintf(s, sizeof s, " %s", t->msg);
    else
        status_text(t, s, sizeof s, room);
    int attr = inv | (t->msg[0] || t->confirm ? ATTR_BOLD : 0);
    /* a message or the quit question wider than the line takes the rows above it, wrapped at
     * words: cut, the question lost its "y/n" below 92 columns and messages their ends */
    int rows = 1;
    if ((t->msg[0] || t->confirm == 'q') && utf8_cells(s) > room) {
        rows = view_fields(NULL, 1, 0, room - 1, (c->h - 2) / 2, s + 1, 0, 0);
        if (rows < 1) rows = 1;
    }
    if (rows > 1) {
        for (int r = y - rows + 1; r < y; r++)
            for (int x = 0; x < c->w; x++) canvas_put(c, x, r, ' ', color_fg(c), COL_DEFAULT, inv);
        view_fields(c, 1, y - rows + 1, room - 1, rows, s + 1, color_fg(c), attr);
    } else {
        canvas_text(c, 0, y, room, s, color_fg(c), COL_DEFAULT, attr);
    }
    if (hl) canvas_text(c, c->w - hl, y, hl, help, color_fg(c), COL_DEFAULT, inv | ATTR_BOLD);
}

trect tui_view_area(const tui *t) { return (trect){0, 1, t->canvas->w, t->canvas->h - 2}; }

void tui_draw(tui *t) {
    int w, h;
    tui_screen_size(&w, &h);
    if (w != t->canvas->w || h != t->canvas->h) canvas_resize(t->canvas, w, h);
    else canvas_clear(t->canvas);
    tcanvas *c = t->canvas;
    if (w < MIN_W || h < MIN_H) {
        char m[200];
        /* q while a task trains asks first: the question, which the status line cannot show
         * here (q seemed to do nothing, and the next key answered a question never seen) */
        if (t->confirm == 'q')
            snprintf(m, sizeof m, "terminal too small: %dx%d. Stop training and quit? The "
                     "current task restarts on resume. y/n", w, h);
        else
            snprintf(m, sizeof m, "terminal too small: %dx%d, the workbench needs %dx%d. "
                     "Enlarge it, or q to quit.", w, h, MIN_W, MIN_H);
        view_notice(c, (trect){0, 0, w, h}, m);
    } else if (t->listing) {
        tui_runs_draw(t);
        draw_status(t);
        if (t->help) {
            char sorted[96];
            tui_runs_sort_text(t, sorted, sizeof sorted);
            tui_draw_list_help(c, &t->help_scroll, sorted);
        }
    } else {
        view *v = t->views[t->cur];
        draw_tabs(t);
        trect a = tui_view_area(t);
        if (t->have_rec) {
            v->draw(v, c, a, &t->st);
            /* v toggled a mode this size has no room for: say so, or the key seems dead */
            if (t->say_unshown && v->unshown[0]) {
                snprintf(t->msg, sizeof t->msg, "%s", v->unshown);
                t->msg_time = segp_now();
            }
        } else if (t->worker) {
            view_notice(c, a, "Starting the run: checking the config, loading the model and the "
                              "benchmark...");
        } else {
            view_notice(c, a, t->fatal[0] ? t->fatal : "No run is open.");
        }
        draw_status(t);
        if (t->help) tui_draw_help(c, v, &t->help_scroll);
    }
    tui_screen_show(c);
    t->say_unshown = 0;
    t->dirty = 0;
}
