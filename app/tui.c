/* tui.c: the workbench's main loop. It owns the run record (a run directory read back, grown by
 * the worker's events, or by the events file of a run another process writes), the selected
 * task and its saved state, the views and the stepping controls; it has the frame drawn
 * (tui_draw.c) only when something changed, so an idle workbench sleeps in getch's 100 ms
 * timeout. */
#define _XOPEN_SOURCE_EXTENDED 1
#include <curses.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli_util.h"
#include "commands.h"
#include "core/common.h"
#include "export/figure.h"
#include "run/rundir.h"
#include "tui.h"
#include "tui_shell.h"


static void say(tui *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(tui *t, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(t->msg, sizeof t->msg, fmt, ap);
    va_end(ap);
    t->msg_time = segp_now();
    t->dirty = 1;
}


/* ---- the selected task ---- */

static void drop_task(tui *t) {
    if (t->have_td) run_task_data_free(&t->td);
    t->have_td = 0;
    t->loaded = -1;
    t->st.td = NULL;
    t->st.td_error = NULL;
}

static void select_task(tui *t, int task) {
    if (!t->have_rec || t->rec.tasks_done == 0) {
        drop_task(t);
        t->st.task = -1;
        return;
    }
    if (task < 0) task = 0;
    if (task > t->rec.tasks_done - 1) task = t->rec.tasks_done - 1;
    t->st.task = task;
    if (t->loaded == task) return;
    drop_task(t);
    segp_clear_error();
    if (run_task_load(&t->rec, task, &t->td) == 0) {
        t->have_td = 1;
        t->st.td = &t->td;
    } else {
        snprintf(t->td_err, sizeof t->td_err, "%s", segp_last_error());
        t->st.td_error = t->td_err;
    }
    t->loaded = task;
    t->dirty = 1;
}

static void close_record(tui *t) {
    drop_task(t);
    if (t->have_rec) run_record_free(&t->rec);
    t->have_rec = 0;
    t->st.rec = NULL;
    t->st.task = -1;
}

/* ---- the worker ---- */

/* FREE_DIR: DIR is a default name (the worker takes DIR-2, ... when it is taken) */
static void start_worker(tui *t, const char *config, const char *const *sets, int n_sets,
                         const char *dir, int free_dir) {
    if (dir != t->dir) snprintf(t->dir, sizeof t->dir, "%s", dir);
    t->worker = tui_worker_start(config, sets, n_sets, dir, free_dir, t->auto_advance);
    t->worker_started = 0;
    t->follow = 1;
    t->stopped = 0;
    t->run_error[0] = 0;
}

/* Events in, record refreshed, the worker's end noticed. */
static void poll_worker(tui *t) {
    if (!t->worker) return;
    if (!t->worker_started && tui_worker_ready(t->worker) == 1) {
        /* a new run: its directory exists now; a resumed run's record is open already */
        segp_clear_error();
        if (!t->have_rec) snprintf(t->dir, sizeof t->dir, "%s", tui_worker_dir(t->worker));
        if (!t->have_rec && run_record_open(t->dir, &t->rec) != 0) {
            snprintf(t->fatal, sizeof t->fatal, "%s", segp_last_error());
            say(t, "%s", t->fatal);
            tui_worker_abort(t->worker);
        } else if (!t->have_rec) {
            t->have_rec = 1;
            t->st.rec = &t->rec;
        }
        t->dirty = 1;
        t->worker_started = 1;
        tui_worker_go(t->worker);
    }
    char **lines;
    int n = tui_worker_take(t->worker, &lines);
    int refresh = 0;
    for (int i = 0; i < n; i++) {
        if (t->have_rec) {
            run_record_add_event(&t->rec, lines[i]);
            if (strstr(lines[i], "\"event\":\"metrics\"") ||
                strstr(lines[i], "\"event\":\"task_end\"") ||
                strstr(lines[i], "\"event\":\"run_end\""))
                refresh = 1;
        }
        free(lines[i]);
    }
    free(lines);
    if (n) t->dirty = 1;
    if (refresh && t->have_rec && run_record_refresh(&t->rec) != 0) say(t, "%s", segp_last_error());

    tui_worker_state ws;
    tui_worker_get(t->worker, &ws);
    t->st.live.running = ws.running;
    t->st.live.paused = ws.paused;
    t->st.live.at_boundary = ws.at_boundary;
    t->st.live.auto_advance = ws.auto_advance;
    t->st.live.read_only = 0;
    if (ws.at_boundary && !t->boundary_seen) t->msg[0] = 0; /* the status says what to do */
    t->boundary_seen = ws.at_boundary;
    if (ws.running) return;
    /* the thread ended */
    char err[1024];
    snprintf(err, sizeof err, "%s", tui_worker_error(t->worker));
    tui_worker_free(t->worker);
    t->worker = NULL;
    t->st.live.running = t->st.live.paused = t->st.live.at_boundary = 0;
    t->st.live.read_only = 1;
    if (t->have_rec) run_record_refresh(&t->rec);
    if (ws.rc < 0) {
        say(t, "error: %s", err);
        snprintf(t->run_error, sizeof t->run_error, "%s", err);
        if (!t->have_rec)
            snprintf(t->fatal, sizeof t->fatal, "The run could not start: %.990s", err);
    }
    else if (ws.rc == 1) {
        t->stopped = 1;
        say(t, "stopped: finished tasks are saved; r resumes");
    } else
        say(t, "the run is finished");
    t->dirty = 1;
}

static int interrupted(const tui *t) {
    return !t->worker && !t->external && t->have_rec && !t->rec.run_done;
}

/* ---- a run another process writes ---- */

static void reopen_record(tui *t) {
    close_record(t);
    segp_clear_error();
    if (run_record_open(t->dir, &t->rec) != 0) {
        snprintf(t->fatal, sizeof t->fatal, "%s", segp_last_error());
        say(t, "%s", t->fatal);
        return;
    }
    t->have_rec = 1;
    t->st.rec = &t->rec;
    select_task(t, t->rec.tasks_done - 1);
}

/* Without a worker of its own, an unfinished run whose writer lock is held (segp run or resume
 * in another process or on another machine) is followed: its new events and files are read
 * twice a second. When the writer ends, the run is finished or interrupted as usual. */
static void poll_external(tui *t) {
    if (t->worker || !t->have_rec || (t->rec.run_done && !t->external)) return;
    double now = segp_now();
    if (now - t->ext_poll < 0.5) return;
    t->ext_poll = now;
    rundir_holder h;
    int held = rundir_locked(t->dir, &h), n = 0;
    if (held || t->external) { /* after the writer ends too: its last events */
        segp_clear_error();
        if (run_record_follow(&t->rec, &n) != 0) {
            reopen_record(t);
            if (!t->have_rec) {
                t->external = 0;
                t->st.live.running = 0;
                t->st.live.elsewhere[0] = 0;
                return;
            }
            n = 1;
        }
        if (n && run_record_refresh(&t->rec) != 0) say(t, "%s", segp_last_error());
        if (n) t->dirty = 1;
    }
    if (held) rundir_holder_text(&h, 0, t->holder, sizeof t->holder);
    if (held && !t->external)
        say(t, "another segp process (%s) is writing this run: the workbench follows it",
            t->holder);
    else if (!held && t->external) {
        run_record_refresh(&t->rec);
        if (t->rec.run_done) say(t, "the run is finished (written by %s)", t->holder);
        else say(t, "the process writing this run (%s) has stopped: r resumes it here",
                 t->holder);
    }
    if (held != t->external) t->dirty = 1;
    t->external = held;
    t->st.live.running = held;
    t->st.live.read_only = !held;
    snprintf(t->st.live.elsewhere, sizeof t->st.live.elsewhere, "%s", held ? t->holder : "");
}


/* ---- actions ---- */

static int mkdirs(const char *path) {
    char p[4096];
    snprintf(p, sizeof p, "%s", path);
    for (char *s = p + 1; *s; s++)
        if (*s == '/') {
            *s = 0;
            if (mkdir(p, 0755) != 0 && errno != EEXIST) return -1;
            *s = '/';
        }
    return mkdir(p, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

/* `e`: the view's data (.csv/.npy) and its figure (export/figure.h, PNG at 300 dpi), by the
 * same code as `segp export`. A figure the task lacks data for is named, not an error.
 * -1 when nothing could be written (no folder, the data failed), else 0. */
static int export_view(tui *t) {
    view *v = t->views[t->cur];
    if (!t->have_rec) {
        say(t, "no run is open");
        return -1;
    }
    if (!v->export_data && !v->figure) {
        say(t, "the %s view has nothing to export", v->name);
        return -1;
    }
    char dir[4096];
    if (t->export_dir[0]) snprintf(dir, sizeof dir, "%s", t->export_dir);
    else snprintf(dir, sizeof dir, "%.4000s/exports", t->dir);
    if (mkdirs(dir) != 0) {
        say(t, "export: cannot create %s: %s", dir, strerror(errno));
        return -1;
    }
    char written[1024] = "";
    segp_clear_error();
    if (v->export_data && v->export_data(v, &t->st, dir, written, sizeof written) != 0) {
        say(t, "export failed: %s", segp_last_error());
        return -1;
    }
    view_figure vf = {v->figure, RUN_STATE_STUDENT, RUN_STATE_TEACHER, 0, 0, 0};
    if (v->figure_of) v->figure_of(v, &vf);
    char fig_note[512] = "";
    if (vf.figure) {
        figure_options o;
        figure_options_default(&o);
        o.state = vf.state;
        o.against = vf.against;
        o.matrix = (fig_matrix)vf.matrix;
        o.space = vf.tsne ? FIG_SPACE_TSNE : FIG_SPACE_PCA;
        o.clip_branch = vf.clip;
        int task = t->st.task;
        const figure_info *fi = figure_find(vf.figure);
        char name[256], path[4400];
        figure_default_name(vf.figure, task, &o, name, sizeof name);
        snprintf(path, sizeof path, "%s/%s", dir, name);
        segp_clear_error();
        if (fi && fi->per_task && task < 0)
            snprintf(fig_note, sizeof fig_note, "; no figure: no finished task");
        else if (figure_check(&t->rec, t->st.td, vf.figure, task, &o) != 0 ||
                 figure_export(&t->rec, t->st.td, vf.figure, task, &o, path) != 0)
            snprintf(fig_note, sizeof fig_note, "; no figure: %.400s", segp_last_error());
        else
            snprintf(fig_note, sizeof fig_note, "%s", name);
        if (fig_note[0] == ';' && !written[0]) snprintf(written, sizeof written, "(nothing)");
    }
    /* the figure first, then the data, then why there is no figure; shortened to the status
     * bar (less its leading space and " ?:help ") so that no file name is cut */
    char msg[sizeof t->msg];
    int fig = fig_note[0] && fig_note[0] != ';';
    tui_export_message(msg, sizeof msg, t->canvas->w - 9, t->canvas->cs == CHARSET_ASCII, dir,
                       fig ? fig_note : NULL, written, fig ? "" : fig_note);
    say(t, "%s", msg);
    return 0;
}

/* What the status bar says of a run just opened read-only. */
static void announce_opened(tui *t) {
    poll_external(t);
    if (t->external) {
        /* poll_external said so */
    } else if (interrupted(t) && t->rec.tasks_done == 0) {
        say(t, "this run was interrupted before its first task finished: r resumes it, "
               "n/space then step");
    } else if (interrupted(t)) {
        say(t, "this run was interrupted after task %d of %d: r resumes it, n/space then "
               "step", t->rec.tasks_done, t->rec.num_tasks);
    } else if (t->opt.new_config) {
        char cwd[4096], path[1000];
        tui_fit_path(t->opt.new_config, getcwd(cwd, sizeof cwd), 40,
                     t->canvas && t->canvas->cs == CHARSET_ASCII, path, sizeof path);
        say(t, "the shipped finished run, read-only. N starts a new run of %s; ? lists "
               "every key", path);
    } else if (t->list_dir[0]) {
        say(t, "%s, finished: Backspace returns to the list of runs", tui_base_name(t->dir));
    }
}

void tui_open_run(tui *t, const char *dir) {
    run_record r;
    segp_clear_error();
    if (run_record_open(dir, &r) != 0) return say(t, "%s", segp_last_error());
    close_record(t);
    snprintf(t->dir, sizeof t->dir, "%s", dir);
    t->rec = r;
    t->have_rec = 1;
    t->st.rec = &t->rec;
    memset(&t->st.live, 0, sizeof t->st.live);
    t->st.live.read_only = 1;
    t->external = 0;
    t->ext_poll = 0;
    t->follow = 1;
    t->listing = 0;
    t->fatal[0] = 0;
    select_task(t, t->rec.tasks_done - 1);
    announce_opened(t);
    t->dirty = 1;
}

/* Backspace: from a run opened from the list, back to the list. */
static void back_to_list(tui *t) {
    if (!t->list_dir[0]) return;
    if (t->worker) return say(t, "this run trains here: q stops it (finished tasks stay saved)");
    close_record(t);
    t->dir[0] = 0;
    t->external = 0;
    memset(&t->st.live, 0, sizeof t->st.live);
    t->listing = 1;
    t->msg[0] = 0;
    tui_runs_refresh(t);
}

static void step_next(tui *t) {
    if (t->worker) {
        tui_worker_state ws;
        tui_worker_get(t->worker, &ws);
        if (ws.at_boundary) {
            tui_worker_pause(t->worker, 0);
            tui_worker_next(t->worker);
            t->follow = 1;
            say(t, "training task %d", t->rec.tasks_done + 1);
        } else {
            say(t, "task %d is training; n steps on at the next boundary",
                t->have_rec ? t->rec.cur_task + 1 : 1);
        }
    } else if (t->external) {
        say(t, "the run trains in another process (%s); the workbench follows it", t->holder);
    } else if (interrupted(t)) {
        say(t, "read-only: r resumes this run (task %d next)", t->rec.tasks_done + 1);
    } else if (t->have_rec) {
        say(t, "the run is finished%s", t->opt.new_config ? "; N starts a new one" : "");
    }
}

static void toggle_pause(tui *t) {
    if (t->external)
        return say(t, "the run trains in another process (%s); it cannot be paused from here",
                   t->holder);
    if (!t->worker) return say(t, "nothing is training");
    tui_worker_state ws;
    tui_worker_get(t->worker, &ws);
    tui_worker_pause(t->worker, !ws.paused);
    /* the status line's state says it ("pausing...", then "PAUSED: space resumes", or
     * "training"), as it happens: a message here stayed up to 10 s after the pause took hold */
    t->msg[0] = 0;
    t->dirty = 1;
}

/* `a`: what it changes is said; where nothing would train it changes nothing ("auto-advance
 * on: tasks follow each other" on a finished run read as if something would run) */
static void toggle_auto(tui *t) {
    if (t->external)
        return say(t, "the run trains in another process (%s), which does not pause at task "
                      "boundaries", t->holder);
    int finished = !t->worker && t->have_rec && t->rec.run_done;
    if (finished && !t->opt.new_config)
        return say(t, "the run is finished: auto-advance is for a run that trains");
    t->auto_advance = !t->auto_advance;
    if (t->worker) tui_worker_set_auto(t->worker, t->auto_advance);
    const char *when = t->worker ? "" : finished ? " (for the run N starts)"
                                      : interrupted(t) ? " (once r resumes the run)" : "";
    say(t, "auto-advance %s%s", t->auto_advance ? "on: tasks follow each other" :
                                                  "off: pause at every task boundary", when);
}

static void resume_run(tui *t) {
    if (t->worker) return say(t, "the run is already training");
    if (t->external)
        return say(t, "another process (%s) is writing this run; r resumes it once that one has "
                      "stopped", t->holder);
    if (!interrupted(t)) return say(t, t->have_rec ? "the run is finished" : "no run is open");
    /* the record stays open: the new events extend it */
    start_worker(t, NULL, NULL, 0, t->dir, 0);
    say(t, "resuming %s at task %d", tui_base_name(t->dir), t->rec.tasks_done + 1);
}

/* N's note on the run it starts, from the run open at start (the shipped run of the same
 * config): its task count and, when every task's wall time is recorded, the whole run's. */
static void note_new_run(tui *t) {
    const run_record *r = &t->rec;
    t->new_note[0] = 0;
    if (!t->have_rec || r->num_tasks <= 0) return;
    double total = 0;
    int walls = r->run_done && r->task_wall_s && r->tasks_done == r->num_tasks;
    for (int k = 0; walls && k < r->num_tasks; k++) {
        if (!isfinite(r->task_wall_s[k])) walls = 0;
        else total += r->task_wall_s[k];
    }
    char took[32];
    cli_fmt_time(total, took, sizeof took);
    if (!walls)
        snprintf(t->new_note, sizeof t->new_note, "  (%d task%s)", r->num_tasks,
                 segp_s(r->num_tasks));
    else
        snprintf(t->new_note, sizeof t->new_note, "  (%d task%s; the shipped run took %s)",
                 r->num_tasks, segp_s(r->num_tasks), took);
}

static void new_run(tui *t) {
    if (t->worker) return say(t, "a run is training; quit it first");
    char dir[4096];
    cli_default_run_dir(t->opt.new_config, dir, sizeof dir);
    close_record(t);
    start_worker(t, t->opt.new_config, NULL, 0, dir, 1);
    say(t, "new run %s", dir);
}

static void request_quit(tui *t, int ask) {
    if (!t->worker) {
        t->quitting = 1;
        return;
    }
    tui_worker_state ws;
    tui_worker_get(t->worker, &ws);
    if (ask && !ws.at_boundary && t->have_rec) {
        t->confirm = 'q';
        t->dirty = 1;
        return;
    }
    tui_worker_abort(t->worker);
    t->quitting = 1;
    t->dirty = 1;
}

static void switch_view(tui *t, int i) {
    if (i < 0 || i >= t->n_views) return;
    t->cur = i;
    t->dirty = 1;
}

static int view_by_name(tui *t, const char *s) {
    char *end;
    long k = strtol(s, &end, 10);
    if (*s && !*end) return k >= 1 && k <= t->n_views ? (int)k - 1 : -1;
    for (int i = 0; i < t->n_views; i++)
        if (!strncmp(t->views[i]->name, s, strlen(s)) && *s) return i;
    return -1;
}

static void set_charset(tui *t, const char *s) {
    int cs = !strcmp(s, "unicode") ? CHARSET_UNICODE : !strcmp(s, "block") ? CHARSET_BLOCK
             : !strcmp(s, "ascii") ? CHARSET_ASCII : -1;
    if (cs < 0) return say(t, "charset: unicode, block or ascii (not '%s')", s);
    t->canvas->cs = (charset)cs;
    say(t, "charset %s", s);
}

static void set_colors(tui *t, const char *s) {
    int m = !strcmp(s, "256") ? COLORS_256 : !strcmp(s, "16") ? COLORS_16
            : !strcmp(s, "none") ? COLORS_NONE : -1;
    if (m < 0) return say(t, "colors: 256, 16 or none (not '%s')", s);
    t->canvas->colors = (color_mode)m;
    tui_screen_set_colors(m);
    say(t, "colors %s", s);
}

static void command(tui *t, char *line) {
    char *cmd = strtok(line, " \t"), *arg = strtok(NULL, " \t");
    if (!cmd) return;
    if (!strcmp(cmd, "q") || !strcmp(cmd, "quit")) {
        request_quit(t, 1);
    } else if (!strcmp(cmd, "task")) {
        if (!t->have_rec || !t->rec.tasks_done) return say(t, "no task is finished yet");
        /* the whole argument is the number: atoi took "3x" for 3 */
        char *end = NULL;
        long k = arg ? strtol(arg, &end, 10) : 0;
        int done = t->rec.tasks_done;
        if (!arg) return say(t, "task: which one? 1..%d (the finished tasks)", done);
        char *rest = strtok(NULL, ""); /* ":task 3 4" is junk too */
        if (end == arg || *end || rest || k < 1 || k > done)
            return say(t, "task: '%s%s%s' is not a number in 1..%d (the finished tasks)", arg,
                       rest ? " " : "", rest ? rest : "", done);
        t->follow = k == done;
        select_task(t, (int)k - 1);
    } else if (!strcmp(cmd, "view")) {
        int i = arg ? view_by_name(t, arg) : -1;
        if (i < 0) return say(t, "view: a name (overview, accuracy, ...) or 1..%d", t->n_views);
        switch_view(t, i);
    } else if (!strcmp(cmd, "export")) {
        /* a folder is remembered once an export went there: a failed one would make every
         * later `e` fail too */
        char prev[sizeof t->export_dir];
        memcpy(prev, t->export_dir, sizeof prev);
        if (arg) snprintf(t->export_dir, sizeof t->export_dir, "%s", arg);
        if (export_view(t) != 0) memcpy(t->export_dir, prev, sizeof prev);
    } else if (!strcmp(cmd, "charset")) {
        set_charset(t, arg ? arg : "");
    } else if (!strcmp(cmd, "colors") || !strcmp(cmd, "colours")) {
        set_colors(t, arg ? arg : "");
    } else if (!strcmp(cmd, "theme")) {
        if (!arg || (strcmp(arg, "dark") && strcmp(arg, "light")))
            return say(t, "theme: dark or light");
        t->canvas->light = !strcmp(arg, "light");
        say(t, "theme %s", arg);
    } else if (!strcmp(cmd, "auto")) {
        if (!arg || (strcmp(arg, "on") && strcmp(arg, "off")))
            return say(t, "auto: on or off (auto-advance is %s)", t->auto_advance ? "on" : "off");
        int on = !strcmp(arg, "on");
        if (on != t->auto_advance) toggle_auto(t);
        else say(t, "auto-advance is %s", on ? "on" : "off");
    } else if (!strcmp(cmd, "next")) {
        step_next(t);
    } else if (!strcmp(cmd, "resume")) {
        resume_run(t);
    } else if (!strcmp(cmd, "new")) {
        if (!t->opt.new_config) return say(t, "no default config to start (segp tui CONFIG)");
        t->confirm = 'N';
    } else if (!strcmp(cmd, "help")) {
        t->help = 1;
        t->help_scroll = 0;
    } else {
        say(t, "unknown command '%s' (? lists the commands)", cmd);
    }
    t->dirty = 1;
}

static void after_view_key(tui *t, view_reply r) {
    if (r == VIEW_REDRAW) t->dirty = 1;
    if (r == VIEW_QUIT) request_quit(t, 1);
    if (t->have_rec && t->st.task != t->loaded && t->st.task >= 0) {
        t->follow = t->st.task == t->rec.tasks_done - 1;
        select_task(t, t->st.task);
    }
}

static void on_mouse(tui *t) {
    MEVENT me;
    if (getmouse(&me) != OK) return;
    if (t->canvas->w < MIN_W || t->canvas->h < MIN_H || t->help) return;
    if (t->listing) { /* the list of runs: no tabs (a click on row 0 opened a hidden view) */
        int wheel = me.bstate & BUTTON4_PRESSED ? -1 : me.bstate & BUTTON5_PRESSED ? 1 : 0;
        if (wheel || (me.bstate & (BUTTON1_PRESSED | BUTTON1_CLICKED)))
            tui_runs_mouse(t, me.x, me.y, wheel);
        return;
    }
    if (me.y == 0 && (me.bstate & (BUTTON1_PRESSED | BUTTON1_CLICKED))) {
        for (int i = 0; i < t->n_views; i++)
            if (me.x >= t->tab_x0[i] && me.x < t->tab_x1[i]) switch_view(t, i);
        return;
    }
    trect a = tui_view_area(t);
    if (me.y < a.y || me.y >= a.y + a.h || !t->have_rec) return;
    view *v = t->views[t->cur];
    if (!v->mouse) return;
    wb_mouse ev = me.bstate & BUTTON4_PRESSED   ? WM_WHEEL_UP
                  : me.bstate & BUTTON5_PRESSED ? WM_WHEEL_DOWN
                                                : WM_CLICK;
    after_view_key(t, v->mouse(v, ev, me.x - a.x, me.y - a.y, &t->st));
}

static void on_key(tui *t, int ch) {
    if (ch == KEY_RESIZE) {
        t->dirty = 1;
        return;
    }
    if (t->prompt.active) {
        int r = tui_prompt_key(&t->prompt, ch);
        if (r == 1 && t->prompt.kind == ':') {
            t->msg[0] = 0;
            command(t, t->prompt.buf);
        } else if (r == 1) {
            /* a filter longer than the state holds is cut (the prompt allows commands) */
            snprintf(t->st.filter, sizeof t->st.filter, "%.*s", (int)sizeof t->st.filter - 1,
                     t->prompt.buf);
            say(t, t->st.filter[0] ? "filter '%s'" : "filter cleared%s", t->st.filter);
        }
        t->dirty = 1;
        return;
    }
    if (t->confirm) {
        char c = t->confirm;
        t->confirm = 0;
        t->dirty = 1;
        if (ch == 'y' || ch == 'Y') {
            if (c == 'q') request_quit(t, 0);
            else if (c == 'N') new_run(t);
        } else {
            say(t, "cancelled");
        }
        return;
    }
    if (t->help) {
        /* a page is the help box's rows (tui_draw_help: the screen less 4), one kept */
        int page = t->canvas->h - 5 > 1 ? t->canvas->h - 5 : 1;
        switch (ch) {
        case KEY_UP: case 'k': t->help_scroll--; break;
        case KEY_DOWN: case 'j': t->help_scroll++; break;
        case KEY_PPAGE: t->help_scroll -= page; break;
        case KEY_NPAGE: case ' ': t->help_scroll += page; break;
        case KEY_HOME: t->help_scroll = 0; break;
        case KEY_END: t->help_scroll = 1 << 20; break; /* the drawing clamps it */
        default: t->help = 0;
        }
        t->dirty = 1;
        return;
    }
    if (ch == KEY_MOUSE) return on_mouse(t);
    t->msg[0] = 0;
    t->dirty = 1;
    if (t->listing) { /* the list of runs: its keys, quit and help */
        if (ch == 'q' || ch == 27) return request_quit(t, 1);
        if (ch == '?' || ch == KEY_F(1)) {
            t->help = 1;
            t->help_scroll = 0;
            return;
        }
        if (tui_runs_key(t, ch)) return;
        return say(t, "Enter opens the selected run; s, S sort it; ? lists the keys; q quits");
    }
    if (ch == KEY_BACKSPACE || ch == 127 || ch == 8) {
        if (t->list_dir[0]) return back_to_list(t);
    }
    int small = t->canvas->w < MIN_W || t->canvas->h < MIN_H;
    switch (ch) {
    case 'q': case 27: return request_quit(t, 1);
    case '?': case KEY_F(1): t->help = 1; t->help_scroll = 0; return;
    case '\t': return switch_view(t, (t->cur + 1) % t->n_views);
    case KEY_BTAB: return switch_view(t, (t->cur + t->n_views - 1) % t->n_views);
    case '[':
        t->follow = 0;
        return select_task(t, t->st.task - 1);
    case ']':
        if (t->have_rec) t->follow = t->st.task + 1 >= t->rec.tasks_done - 1;
        return select_task(t, t->st.task + 1);
    case '{': t->follow = 0; return select_task(t, 0);
    case '}': t->follow = 1; return select_task(t, t->have_rec ? t->rec.tasks_done - 1 : 0);
    case 'n': return step_next(t);
    case ' ': return toggle_pause(t);
    case 'a': return toggle_auto(t);
    case 'r': return resume_run(t);
    case 'N':
        /* short enough for the status bar at 80 columns (it was cut at 100) */
        if (!t->opt.new_config)
            return say(t, "N works in segp's default workbench; here: segp tui CONFIG");
        t->confirm = 'N';
        return;
    case 'e': export_view(t); return;
    case 'v':
        t->st.show_numbers = !t->st.show_numbers;
        t->say_unshown = 1;
        return;
    case ':': case '/':
        memset(&t->prompt, 0, sizeof t->prompt);
        t->prompt.active = 1;
        t->prompt.kind = (char)ch;
        if (ch == '/') {
            snprintf(t->prompt.buf, sizeof t->prompt.buf, "%s", t->st.filter);
            t->prompt.len = (int)strlen(t->prompt.buf);
        }
        return;
    default: break;
    }
    if (ch >= '1' && ch <= '0' + t->n_views) return switch_view(t, ch - '1');
    if (small || !t->have_rec) return;
    int code = tui_key_code(ch);
    if (code < 0) return;
    view *v = t->views[t->cur];
    view_reply r = v->key(v, code, &t->st);
    if (r == VIEW_IGNORED) t->dirty = 0;
    after_view_key(t, r);
}

/* ---- main ---- */

int tui_main(const tui_options *o) {
    static tui tt; /* large; one per process */
    tui *t = &tt;
    memset(t, 0, sizeof *t);
    t->opt = *o;
    t->loaded = -1;
    t->st.task = -1;
    t->follow = 1;
    t->auto_advance = o->auto_advance;

    if (o->run_dir) {
        snprintf(t->dir, sizeof t->dir, "%s", o->run_dir);
        if (run_record_open(o->run_dir, &t->rec) != 0) return app_report_error();
        t->have_rec = 1;
        t->st.rec = &t->rec;
        t->st.live.read_only = 1;
    }
    int cs = o->charset, colors = o->colors;
    if (tui_screen_start(&cs, &colors) != 0) {
        close_record(t);
        return 1;
    }
    t->canvas = canvas_new(COLS, LINES, (charset)cs, (color_mode)colors, o->light);
    t->n_views = view_count < MAX_VIEWS ? view_count : MAX_VIEWS;
    for (int i = 0; i < t->n_views; i++) t->views[i] = view_table[i]();
    if (o->config) {
        char dir[4096];
        if (o->out) snprintf(dir, sizeof dir, "%s", o->out);
        else cli_default_run_dir(o->config, dir, sizeof dir);
        start_worker(t, o->config, o->sets, o->n_sets, dir, !o->out);
    } else if (t->have_rec) {
        select_task(t, t->rec.tasks_done - 1);
        announce_opened(t);
        if (o->new_config) note_new_run(t);
    } else if (o->runs_dir) {
        snprintf(t->list_dir, sizeof t->list_dir, "%s", o->runs_dir);
        t->listing = 1;
        tui_runs_refresh(t);
    }
    t->dirty = 1;
    int signalled = 0;
    while (1) {
        if (tui_screen_signalled()) {
            signalled = 1;
            request_quit(t, 0);
        }
        poll_worker(t);
        poll_external(t);
        tui_runs_poll(t);
        if (t->msg[0] && segp_now() - t->msg_time > 10) {
            t->msg[0] = 0;
            t->dirty = 1;
        }
        if (t->quitting && !t->worker) break;
        if (t->have_rec && t->follow && t->rec.tasks_done > 0 &&
            t->st.task != t->rec.tasks_done - 1)
            select_task(t, t->rec.tasks_done - 1);
        if (t->dirty) tui_draw(t);
        int ch = getch();
        if (ch != ERR) on_key(t, ch);
    }
    int stopped = t->stopped;
    for (int i = 0; i < t->n_views; i++) t->views[i]->free(t->views[i]);
    canvas_free(t->canvas);
    tui_screen_stop();
    int done = t->have_rec ? t->rec.run_done : 1;
    close_record(t);
    tui_runs_free(t);
    /* a failed run's error outlives the screen, as segp run prints it */
    if (t->run_error[0]) fprintf(stderr, "segp: error: %s\n", t->run_error);
    if (stopped || (!done && t->dir[0] && o->config)) {
        char q[16000]; /* the commands are for copying: the folder quoted for the shell */
        segp_shell_quote(t->dir, q, sizeof q);
        printf("segp: the run in %s is saved up to its last finished task; continue with: "
               "segp tui %s (r), or segp resume %s\n", t->dir, q, q);
    }
    /* as segp run: stopped by a signal 130, a failed run 1 */
    return signalled ? 130 : t->run_error[0] ? 1 : 0;
}
