/* view_overview.c: the run at a glance: the task timeline (done / training / pending, A_t and
 * wall time per task), the phase and its progress, throughput and ETA, the loss terms of the
 * task in focus (the training task while live, else the selected one) and A_t so far. `v`
 * shows the numbers per task instead of the curves. Exports the step history and the per-task
 * numbers as CSV. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/common.h"
#include "views/view.h"

typedef struct {
    int all_steps;       /* loss curves of every task instead of the task in focus */
    /* the timeline as last drawn, for clicks */
    int ax, ay;          /* the view's area origin */
    int tl_y, tl_x0, tl_cw, tl_first, tl_n;
} overview;

static const view_help overview_help[] = {
    {"left/right  h/l", "select the previous / next finished task (also a click on the timeline)"},
    {"s", "loss curves: the task in focus / every task's steps in a row"},
    {"v",
     "the numbers per task (A_t, Avg, old, new, held-out, CLIP branch, wall) instead of curves"},
    {"e", "export: overview_steps.csv (every step's loss terms) and overview_tasks.csv"},
};

static void fmt_time(double s, char *b, size_t n) {
    if (!isfinite(s) || s < 0) {
        snprintf(b, n, "-");
        return;
    }
    int k = (int)(s + 0.5);
    if (k >= 3600) snprintf(b, n, "%d:%02d:%02d", k / 3600, k / 60 % 60, k % 60);
    else snprintf(b, n, "%d:%02d", k / 60, k % 60);
}

static void fmt_pct(double v, char *b, size_t n) {
    if (isfinite(v)) snprintf(b, n, "%.2f", v);
    else snprintf(b, n, "-");
}

/* The task whose steps the curves show: the training task while the selection follows the
 * newest finished one, else the selected task. */
static int focus_task(const wb_state *s) {
    const run_record *r = s->rec;
    if (s->live.running && r->cur_task >= 0 && s->task == r->tasks_done - 1) return r->cur_task;
    if (s->task >= 0) return s->task;
    return r->cur_task;
}

/* The newest step of TASK (-1: any), or NULL. */
static const run_step *last_step(const run_record *r, int task) {
    for (int i = r->n_steps - 1; i >= 0; i--)
        if (task < 0 || r->steps[i].task == task) return &r->steps[i];
    return NULL;
}

static void draw_timeline(overview *o, tcanvas *c, trect a, const wb_state *s) {
    const run_record *r = s->rec;
    int T = r->num_tasks, lw = 6, cw = 8;
    int fit = (a.w - lw) / cw;
    if (fit < 1) fit = 1;
    int first = 0;
    if (T > fit) {
        int centre = s->task >= 0 ? s->task : r->tasks_done;
        first = centre - fit / 2;
        if (first > T - fit) first = T - fit;
        if (first < 0) first = 0;
    }
    int n = T - first < fit ? T - first : fit;
    o->tl_y = a.y;
    o->tl_x0 = a.x + lw;
    o->tl_cw = cw;
    o->tl_first = first;
    o->tl_n = n;
    int fg = color_fg(c), dim = color_dim(c);
    canvas_text(c, a.x, a.y, lw, "task", dim, COL_DEFAULT, 0);
    canvas_text(c, a.x, a.y + 1, lw, "A_t", dim, COL_DEFAULT, 0);
    canvas_text(c, a.x, a.y + 2, lw, "wall", dim, COL_DEFAULT, 0);
    int ascii = c->cs == CHARSET_ASCII;
    for (int k = 0; k < n; k++) {
        int t = first + k, x = a.x + lw + k * cw;
        int done = t < r->tasks_done, cur = !done && s->live.running && t == r->cur_task;
        uint32_t g = done ? (ascii ? '+' : 0x2713) : cur ? (ascii ? '>' : 0x25b6) : '.';
        int col = done ? palette_color(2) : cur ? palette_color(1) : dim;
        int attr = t == s->task ? ATTR_REVERSE | ATTR_BOLD : 0;
        char num[16];
        snprintf(num, sizeof num, "%3d ", t + 1);
        int l = canvas_text(c, x, a.y, cw - 1, num, fg, COL_DEFAULT, attr);
        canvas_put(c, x + l, a.y, g, col, COL_DEFAULT, attr);
        canvas_put(c, x + l + 1, a.y, ' ', fg, COL_DEFAULT, attr);
        char v[32];
        fmt_pct(done && r->task[t].valid ? r->task[t].acc : NAN, v, sizeof v);
        canvas_printf(c, x, a.y + 1, cw - 1, fg, COL_DEFAULT, 0, "%6s", v);
        fmt_time(r->task_wall_s ? r->task_wall_s[t] : NAN, v, sizeof v);
        if (!done) snprintf(v, sizeof v, "%s", cur ? "now" : "-");
        canvas_printf(c, x, a.y + 2, cw - 1, dim, COL_DEFAULT, 0, "%6s", v);
    }
    if (first > 0) canvas_text(c, a.x + lw - 2, a.y, 1, "<", dim, COL_DEFAULT, 0);
    if (first + n < T) canvas_text(c, a.x + lw + n * cw, a.y, 1, ">", dim, COL_DEFAULT, 0);
}

/* "now: task 7/10 train, step 23/48 (48%) | 145 img/s | task ETA 0:12 | run ETA ~5:00" */
static void draw_progress(tcanvas *c, trect a, const wb_state *s) {
    const run_record *r = s->rec;
    int fg = color_fg(c);
    char line[512], w[32];
    double total = 0;
    int n = 0;
    for (int t = 0; t < r->tasks_done; t++)
        if (r->task_wall_s && isfinite(r->task_wall_s[t])) total += r->task_wall_s[t], n++;
    fmt_time(total, w, sizeof w);
    if (r->run_done && !s->live.running) {
        snprintf(line, sizeof line, "finished: %d/%d tasks, wall time %s", r->tasks_done,
                 r->num_tasks, w);
        if (r->final.valid)
            snprintf(line + strlen(line), sizeof line - strlen(line),
                     "   Last %.2f   Avg %.2f   BWT %.2f   Forgetting %.2f", r->final.last,
                     r->final.avg, r->final.bwt, r->final.forgetting);
        view_fields(c, a.x, a.y, a.w, a.h, line, fg, ATTR_BOLD);
        return;
    }
    if (!s->live.running) {
        if (r->tasks_done == 0)
            snprintf(line, sizeof line, "stopped before task 1 of %d finished (wall time so far "
                     "%s); not training: r resumes", r->num_tasks, w);
        else
            snprintf(line, sizeof line, "stopped after task %d of %d (wall time so far %s); not "
                     "training: r resumes", r->tasks_done, r->num_tasks, w);
        view_fields(c, a.x, a.y, a.w, a.h, line, fg, ATTR_BOLD);
        return;
    }
    if (s->live.at_boundary) {
        snprintf(line, sizeof line, "PAUSED after task %d of %d (wall time so far %s): n trains "
                 "task %d, a: auto-advance", r->tasks_done, r->num_tasks, w, r->tasks_done + 1);
        view_fields(c, a.x, a.y, a.w, a.h, line, fg, ATTR_BOLD);
        return;
    }
    /* the throughput and ETA of this phase's newest step: before its first step, the last
     * phase's (or an abandoned attempt's) were shown as this one's ("train step 0/48 | 243
     * img/s | phase ETA 0:00": the anchors phase's) */
    const run_step *st = r->phase_step > 0 ? last_step(r, r->cur_task) : NULL;
    char eta[32] = "-", ips[32] = "-", run_eta[32] = "-";
    if (st && isfinite(st->eta_s)) fmt_time(st->eta_s, eta, sizeof eta);
    if (st && isfinite(st->images_per_s)) snprintf(ips, sizeof ips, "%.0f", st->images_per_s);
    if (n > 0) {
        int cur = r->cur_task >= r->tasks_done, left = r->num_tasks - r->tasks_done - cur;
        /* the task training: its phase's ETA, or what a mean task has left when that is more
         * (the phases after this one; before a phase's first step, the whole rest): with the
         * phase ETA alone, the run's last task read ~0:00 as a phase began */
        double mean = total / n, now = st && isfinite(st->eta_s) ? st->eta_s : 0;
        if (cur) {
            double el = run_task_elapsed(r, r->cur_task);
            double rest_of_mean = mean - (isfinite(el) ? el : 0);
            if (rest_of_mean > now) now = rest_of_mean;
        }
        fmt_time((left > 0 ? left : 0) * mean + now, run_eta, sizeof run_eta);
    }
    char elsewhere[256];
    snprintf(elsewhere, sizeof elsewhere, "training in another process (%s)", s->live.elsewhere);
    const char *state = s->live.at_boundary  ? "PAUSED at the task boundary (n: next task)"
                        : s->live.paused     ? "PAUSED (space resumes)"
                        : s->live.elsewhere[0] ? elsewhere
                                             : "training";
    if (r->cur_task >= 0 && r->phase_steps > 0) {
        /* the parts after the first whole or not at all (at 60 columns "phase ETA 0:0" ended
         * the line); an unknown run ETA (no task finished yet) is "-", not "~-" */
        char part[3][64];
        snprintf(line, sizeof line, "%s: task %d/%d, %s step %lld/%lld", state, r->cur_task + 1,
                 r->num_tasks, r->phase, (long long)r->phase_step, (long long)r->phase_steps);
        snprintf(part[0], sizeof part[0], "%s img/s", ips);
        snprintf(part[1], sizeof part[1], "phase ETA %s", eta);
        snprintf(part[2], sizeof part[2], "run ETA %s%s", n > 0 ? "~" : "", run_eta);
        size_t len = strlen(line);
        for (int i = 0; i < 3; i++) {
            if (utf8_cells(line) + 3 + utf8_cells(part[i]) > a.w) break;
            len += (size_t)snprintf(line + len, sizeof line - len, " | %s", part[i]);
        }
    } else if (r->cur_task < 0) { /* no event yet: no task to name ("task 0/3 starting") */
        snprintf(line, sizeof line, "%s: starting", state);
    } else {
        snprintf(line, sizeof line, "%s: task %d/%d %s", state, r->cur_task + 1, r->num_tasks,
                 r->phase[0] ? r->phase : "starting");
    }
    canvas_text(c, a.x, a.y, a.w, line, fg, COL_DEFAULT, ATTR_BOLD);
    /* a bar of the phase's progress */
    if (r->phase_steps > 0 && a.h > 1) {
        double f = (double)r->phase_step / (double)r->phase_steps;
        int bw = a.w - 8, full = (int)(f * bw + 0.5);
        for (int x = 0; x < bw; x++)
            canvas_put(c, a.x + x, a.y + 1,
                       x < full ? (c->cs == CHARSET_ASCII ? '#' : 0x2588)
                                : (c->cs == CHARSET_ASCII ? '.' : 0x2591),
                       x < full ? palette_color(0) : color_dim(c), COL_DEFAULT, 0);
        canvas_printf(c, a.x + bw + 1, a.y + 1, 7, fg, COL_DEFAULT, 0, "%3d%%", (int)(100 * f));
    }
}

static const uint32_t marks[] = {'*', 'o', '+', 'x', '#', '@', '%', '&', '='};

static void draw_loss(overview *o, tcanvas *c, trect box, const wb_state *s) {
    const run_record *r = s->rec;
    int task = focus_task(s);
    char title[96];
    if (o->all_steps) snprintf(title, sizeof title, "loss terms, every task (s: this task)");
    else snprintf(title, sizeof title, "loss terms, task %d (s: every task)", task + 1);
    canvas_box(c, box, title, color_dim(c));
    trect in = {box.x + 1, box.y + 1, box.w - 2, box.h - 2};
    int n = 0;
    for (int i = 0; i < r->n_steps; i++)
        if ((o->all_steps || r->steps[i].task == task) && isfinite(r->steps[i].loss)) n++;
    if (n == 0) {
        /* the task training has none yet (its anchors come first): not "none at all" */
        int training = s->live.running && task == r->cur_task && task >= r->tasks_done;
        view_notice(c, in, task < 0 || training ? "no training steps yet"
                                                : "no training steps for this task");
        return;
    }
    int ns = 1 + r->n_terms;
    float *buf = segp_malloc(sizeof(float) * (size_t)n * (size_t)(ns + 1));
    float *x = buf + (size_t)n * ns;
    plot_series ser[1 + RUN_MAX_TERMS];
    for (int k = 0; k < ns; k++) {
        ser[k] = (plot_series){.y = buf + (size_t)k * n, .x = x, .n = n,
                               .color = palette_color(k), .mark = marks[k],
                               .label = k ? r->term_names[k - 1] : "loss (weighted total)"};
    }
    int j = 0;
    for (int i = 0; i < r->n_steps; i++) {
        const run_step *st = &r->steps[i];
        if (!(o->all_steps || st->task == task) || !isfinite(st->loss)) continue;
        x[j] = o->all_steps ? (float)(j + 1) : (float)st->step;
        buf[j] = st->loss;
        for (int k = 1; k < ns; k++) buf[(size_t)k * n + j] = st->term[k - 1];
        j++;
    }
    /* a legend line per series with its newest value, or all in one line when short */
    int lh = ns < in.h - 4 ? ns : in.h >= 6 ? 1 : 0, one_line = lh == 1 && ns > 1;
    plot_axes ax = {.xlabel = o->all_steps ? "step (all tasks)" : "step", .integer_x = 1};
    plot_curves(c, (trect){in.x, in.y + lh, in.w, in.h - lh}, ser, ns, &ax);
    if (one_line) {
        const char *names[1 + RUN_MAX_TERMS];
        for (int k = 0; k < ns; k++) names[k] = k ? ser[k].label : "loss";
        plot_legend_line(c, in.x + 1, in.y, in.w - 1, ser, ns, names);
    }
    else if (lh) plot_legend(c, in.x + 1, in.y, ser, ns);
    /* the newest values beside the legend */
    for (int k = 0; lh && !one_line && k < ns; k++) {
        float v = ser[k].y[n - 1];
        int lx = in.x + 3 + utf8_cells(ser[k].label) + 1;
        canvas_printf(c, lx, in.y + k, in.w - (lx - in.x), color_dim(c), COL_DEFAULT, 0,
                      isfinite(v) ? "%.4g" : "-", v);
    }
    free(buf);
}

static void draw_acc(tcanvas *c, trect box, const wb_state *s) {
    const run_record *r = s->rec;
    canvas_box(c, box, "accuracy after each task (%)", color_dim(c));
    trect in = {box.x + 1, box.y + 1, box.w - 2, box.h - 2};
    int T = r->num_tasks;
    float *acc = segp_malloc(sizeof(float) * (size_t)T * 2), *ho = acc + T;
    int any_ho = 0;
    for (int t = 0; t < T; t++) {
        int ok = t < r->tasks_done && r->task[t].valid;
        acc[t] = ok ? (float)r->task[t].acc : NAN;
        ho[t] = ok ? (float)r->task[t].heldout_acc : NAN;
        if (isfinite(ho[t])) any_ho = 1;
    }
    plot_series ser[2] = {
        {.y = acc, .n = T, .color = palette_color(0), .mark = 'o',
         .label = "A_t (all seen classes)"},
        {.y = ho, .n = T, .color = palette_color(1), .mark = '+', .label = "held-out zero-shot"},
    };
    int ns = any_ho ? 2 : 1, lh = in.h > 8 ? ns : in.h >= 5 ? 1 : 0;
    static const char *const short_names[2] = {"A_t", "held-out"};
    plot_axes ax = {.x0 = 1, .x1 = T > 1 ? T : 2, .y0 = 0, .y1 = 100, .xlabel = "task",
                    .integer_x = 1};
    plot_curves(c, (trect){in.x, in.y + lh, in.w, in.h - lh}, ser, ns, &ax);
    if (lh == ns) plot_legend(c, in.x + 1, in.y, ser, ns);
    else if (lh) plot_legend_line(c, in.x + 1, in.y, in.w - 1, ser, ns, short_names);
    free(acc);
}

/* The table's columns: right-aligned in these widths, a space before each but the first. */
enum { NUM_COLS = 11 };
static const int num_w[NUM_COLS] = {5, 8, 8, 8, 8, 9, 9, 9, 8, 9, 7};

/* CELLS as the columns SHOWN (a mask) lay them out, in W cells. */
static void draw_cols(tcanvas *c, int x, int y, int w, char cells[NUM_COLS][32], unsigned shown,
                      int fg, int attr) {
    char line[256];
    size_t k = 0;
    line[0] = 0;
    for (int i = 0; i < NUM_COLS && k + 1 < sizeof line; i++)
        if (shown & (1u << i))
            k += (size_t)snprintf(line + k, sizeof line - k, "%s%*s", k ? " " : "", num_w[i],
                                  cells[i]);
    canvas_text(c, x, y, w, line, fg, COL_DEFAULT, attr);
}

static void draw_numbers(tcanvas *c, trect a, const wb_state *s) {
    const run_record *r = s->rec;
    int fg = color_fg(c), dim = color_dim(c);
    int has_clip = r->R_clip != NULL;
    /* the columns that fit whole, "classes" given up first (at 60 columns the held-out column
     * read "71.2" for 71.25) */
    unsigned shown = 0;
    int total = NUM_COLS - 1;
    for (int i = 0; i < NUM_COLS; i++) total += num_w[i];
    for (int i = 0, u = 0; i < NUM_COLS; i++) {
        if (i == 1 && a.w < total) continue;
        int need = (u ? 1 : 0) + num_w[i];
        if (u + need > a.w) break;
        u += need;
        shown |= 1u << i;
    }
    char cells[NUM_COLS][32];
    static const char *const head[NUM_COLS] = {"task", "classes", "A_t", "Avg", "old", "new",
                                               "held-out", "CLIP A_t", "b/c", "wall", "steps"};
    for (int i = 0; i < NUM_COLS; i++)
        snprintf(cells[i], sizeof cells[i], "%s", i == 7 && !has_clip ? "" : head[i]);
    draw_cols(c, a.x, a.y, a.w, cells, shown, dim, ATTR_BOLD);
    /* in too few lines the selected and the newest finished task stay, and a line says what
     * is left out */
    int T = r->num_tasks, pin[2] = {s->task, r->tasks_done - 1};
    int *row = segp_malloc(sizeof(int) * (size_t)(T > 0 ? T : 1));
    int lines = view_table_rows(T, a.h - 1, pin, 2, row);
    for (int k = 0; k < lines; k++) {
        int t = row[k];
        if (t < 0) {
            view_rows_hidden(c, a.x, a.y + 1 + k, a.w, 5, row, k, lines, T);
            continue;
        }
        const run_task_metrics *m = &r->task[t];
        double vals[7] = {m->acc, m->avg_acc, m->old_acc, m->new_acc, m->heldout_acc,
                          has_clip ? m->clip_acc : NAN, m->bc_ratio};
        snprintf(cells[0], sizeof cells[0], "%d", t + 1);
        snprintf(cells[1], sizeof cells[1], "%d", r->task_size[t]);
        for (int i = 0; i < 7; i++) {
            if (t < r->tasks_done && m->valid && isfinite(vals[i]))
                snprintf(cells[2 + i], sizeof cells[0], i == 6 ? "%.3f" : "%.2f", vals[i]);
            else snprintf(cells[2 + i], sizeof cells[0], i == 5 && !has_clip ? "" : "-");
        }
        fmt_time(t < r->tasks_done && r->task_wall_s ? r->task_wall_s[t] : NAN, cells[9],
                 sizeof cells[9]);
        int steps = 0;
        for (int i = 0; i < r->n_steps; i++) steps += r->steps[i].task == t;
        snprintf(cells[10], sizeof cells[10], "%d", steps);
        draw_cols(c, a.x, a.y + 1 + k, a.w, cells, shown, fg, t == s->task ? ATTR_REVERSE : 0);
    }
    free(row);
}

/* The run in one line of at most W cells: "segp on shapes (order latin, B0-Inc10, seed 1): 100
 * classes in 10 tasks". Where it does not fit, parts go in this order, so that the classes,
 * the task count and a validation split stay to the last (at 60 columns the edge cut off
 * "in 10 tasks"): the split's name (the counts say it), the seed, the order, then the
 * shorter notes of a validation split and of a benchmark the run learns part of, then
 * "METHOD on BENCHMARK" (the title line names the method), then the shortest note. */
static void run_line(const run_record *r, int w, char *line, size_t n) {
    int val = r->eval_split && strcmp(r->eval_split, "test");
    /* a run of the first tasks only (run.max_tasks) learns fewer classes than the benchmark has */
    int learned = r->task_first[r->num_tasks];
    for (int level = 0; level <= 7; level++) {
        char det[160] = "", of[48] = "", head[240] = "";
        size_t k = 0;
        if (level < 3 && r->order_desc)
            k += (size_t)snprintf(det + k, sizeof det - k, "%sorder %s", k ? ", " : "",
                                  r->order_desc);
        if (k >= sizeof det) k = sizeof det - 1; /* a long order's name: cut, not overrun */
        if (level < 1 && r->task_split)
            k += (size_t)snprintf(det + k, sizeof det - k, "%s%s", k ? ", " : "", r->task_split);
        if (k >= sizeof det) k = sizeof det - 1;
        if (level < 2)
            snprintf(det + k, sizeof det - k, "%sseed %llu", k ? ", " : "",
                     (unsigned long long)r->seed);
        if (learned < r->num_classes)
            snprintf(of, sizeof of, level < 5 ? " (of the benchmark's %d)" : " (of %d)",
                     r->num_classes);
        if (level < 6)
            snprintf(head, sizeof head, "%s on %s%s%s%s: ", r->method, r->benchmark,
                     det[0] ? " (" : "", det, det[0] ? ")" : "");
        snprintf(line, n, "%s%d class%s%s in %d task%s%s", head, learned,
                 learned == 1 ? "" : "es", of, r->num_tasks, segp_s(r->num_tasks),
                 !val        ? ""
                 : level < 4 ? "; evaluated on the VALIDATION split"
                 : level < 7 ? "; VALIDATION split"
                             : "; on VALIDATION");
        if (utf8_cells(line) <= w) return;
    }
}

static void overview_draw(view *v, tcanvas *c, trect a, const wb_state *s) {
    overview *o = v->priv;
    const run_record *r = s->rec;
    o->tl_n = 0;
    o->ax = a.x;
    o->ay = a.y;
    view_title(c, a, "Run overview", s);
    if (!r) return view_notice(c, (trect){a.x, a.y + 1, a.w, a.h - 1}, "no run is open");
    char line[512];
    run_line(r, a.w, line, sizeof line);
    canvas_text(c, a.x, a.y + 1, a.w, line, color_fg(c), COL_DEFAULT, 0);
    if (r->last_error)
        canvas_printf(c, a.x, a.y + 2, a.w, palette_color(3), COL_DEFAULT, ATTR_BOLD, "error: %s",
                      r->last_error);
    draw_timeline(o, c, (trect){a.x, a.y + 3, a.w, 3}, s);
    draw_progress(c, (trect){a.x, a.y + 7, a.w, 2}, s);
    trect rest = {a.x, a.y + 10, a.w, a.h - 10};
    if (rest.h < 4) return;
    if (s->show_numbers) return draw_numbers(c, rest, s);
    int lw = rest.w * 3 / 5;
    if (rest.w < 70) { /* narrow: the loss curves only */
        draw_loss(o, c, rest, s);
        return;
    }
    draw_loss(o, c, (trect){rest.x, rest.y, lw, rest.h}, s);
    draw_acc(c, (trect){rest.x + lw, rest.y, rest.w - lw, rest.h}, s);
}

static view_reply select_rel(wb_state *s, int d) {
    if (!s->rec || s->rec->tasks_done == 0) return VIEW_HANDLED;
    int t = s->task + d;
    if (t < 0 || t >= s->rec->tasks_done) return VIEW_HANDLED;
    s->task = t;
    return VIEW_REDRAW;
}

static view_reply overview_key(view *v, int key, wb_state *s) {
    overview *o = v->priv;
    switch (key) {
    case WK_LEFT: case 'h': return select_rel(s, -1);
    case WK_RIGHT: case 'l': return select_rel(s, +1);
    case 's': o->all_steps = !o->all_steps; return VIEW_REDRAW;
    default: return VIEW_IGNORED;
    }
}

static view_reply overview_mouse(view *v, wb_mouse ev, int x, int y, wb_state *s) {
    overview *o = v->priv;
    if (ev != WM_CLICK || !s->rec || o->tl_n == 0) return VIEW_IGNORED;
    x += o->ax; /* relative to the area: back to the canvas */
    y += o->ay;
    if (y < o->tl_y || y > o->tl_y + 2) return VIEW_IGNORED;
    int k = (x - o->tl_x0) / o->tl_cw;
    if (x < o->tl_x0 || k >= o->tl_n) return VIEW_IGNORED;
    int t = o->tl_first + k;
    if (t >= s->rec->tasks_done) return VIEW_HANDLED;
    s->task = t;
    return VIEW_REDRAW;
}

static int overview_export(view *v, const wb_state *s, const char *dir, char *written,
                           size_t n) {
    const run_record *r = s->rec;
    if (!r) return SEGP_FAIL("overview: no run is open");
    view_text t = {0};
    view_text_printf(&t, "task,epoch,epochs,step,steps,loss,lr");
    for (int k = 0; k < r->n_terms; k++) view_text_printf(&t, ",%s", r->term_names[k]);
    view_text_printf(&t, ",images_per_s,eta_s,time\n");
    for (int i = 0; i < r->n_steps; i++) {
        const run_step *st = &r->steps[i];
        view_text_printf(&t, "%d,%d,%d,%lld,%lld,%.9g,%.9g", st->task + 1, st->epoch, st->epochs,
                         (long long)st->step, (long long)st->steps, st->loss, st->lr);
        for (int k = 0; k < r->n_terms; k++)
            if (isfinite(st->term[k])) view_text_printf(&t, ",%.9g", st->term[k]);
            else view_text_printf(&t, ",");
        view_text_printf(&t, ",%.6g,%.6g,%.3f\n", st->images_per_s, st->eta_s, st->time);
    }
    if (view_text_write(&t, dir, "overview_steps.csv", written, n) != 0) return -1;
    view_text_printf(&t, "task,classes,done,acc,avg_acc,old_acc,new_acc,heldout_acc,clip_acc,"
                         "boundary_core_ratio,wall_s\n");
    for (int k = 0; k < r->num_tasks; k++) {
        const run_task_metrics *m = &r->task[k];
        int ok = k < r->tasks_done && m->valid;
        double vals[8] = {m->acc, m->avg_acc, m->old_acc, m->new_acc, m->heldout_acc,
                          m->clip_acc, m->bc_ratio, r->task_wall_s ? r->task_wall_s[k] : NAN};
        view_text_printf(&t, "%d,%d,%d", k + 1, r->task_size[k], k < r->tasks_done);
        for (int i = 0; i < 8; i++)
            if ((ok || i == 7) && isfinite(vals[i])) view_text_printf(&t, ",%.6g", vals[i]);
            else view_text_printf(&t, ",");
        view_text_printf(&t, "\n");
    }
    return view_text_write(&t, dir, "overview_tasks.csv", written, n);
}

static void overview_free(view *v) {
    free(v->priv);
    free(v);
}

view *view_overview_new(void) {
    view *v = segp_calloc(1, sizeof *v);
    v->name = "overview";
    v->figure = "accuracy-curve";
    v->draw = overview_draw;
    v->key = overview_key;
    v->mouse = overview_mouse;
    v->help = overview_help;
    v->n_help = (int)(sizeof overview_help / sizeof overview_help[0]);
    v->export_data = overview_export;
    v->free = overview_free;
    v->priv = segp_calloc(1, sizeof(overview));
    return v;
}
