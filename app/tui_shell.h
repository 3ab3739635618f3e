/* tui_shell.h: the workbench shell's state, shared by its main loop (tui.c) and its frame
 * (tui_draw.c). Internal to app/. */
#ifndef SEGP_TUI_SHELL_H
#define SEGP_TUI_SHELL_H

#include "run_list.h"
#include "tui.h"

#define MIN_W 40
#define MIN_H 12
#define MAX_VIEWS 8

typedef struct {
    tui_options opt;
    tcanvas *canvas;
    view *views[MAX_VIEWS];
    int n_views, cur;
    int tab_x0[MAX_VIEWS], tab_x1[MAX_VIEWS];

    char dir[4096];
    run_record rec;
    int have_rec;
    tui_worker *worker;
    int worker_started;  /* tui_worker_go was called */
    int follow;          /* the selection follows the newest finished task */
    int loaded;          /* the task whose saved state td holds (-1: none) */
    run_task_data td;
    int have_td;
    char td_err[1024];
    wb_state st;
    int auto_advance;
    int stopped;         /* a run this session trained was stopped (for the last words) */
    int external;        /* another process writes the run (its lock is held): followed */
    char holder[200];    /* who, as rundir_holder_text says */
    double ext_poll;     /* when the lock was last looked at */

    int help, help_scroll;
    tui_prompt prompt;
    char confirm;        /* pending y/n: 'q' stop and quit, 'N' new run */
    char new_note[96];   /* what N's question says of the run it starts (from the shipped one) */
    char msg[1024];
    char fatal[1024];    /* why no run could be opened (stays on screen) */
    char run_error[1024]; /* why this session's training failed (said again after the screen) */
    double msg_time;     /* messages give the status bar back after a while */
    int say_unshown;     /* v was pressed: the next draw says why the view shows no change */
    int boundary_seen;   /* the worker's at_boundary last time, to notice arrivals */
    int dirty;
    int quitting;
    char export_dir[4096];

    /* a folder of runs (segp tui FOLDER, tui_runs.c): its list is on screen until Enter opens
     * a run, and again after Backspace */
    char list_dir[4096];
    int listing;
    run_summary *runs;   /* [n_runs] */
    int n_runs, list_sel, list_top;
    int list_sort, list_desc; /* `s` / `S`: the column it sorts by (RUN_SORT_*), reversed */
    int list_name_w, list_rows; /* as last drawn, for the mouse: the name column's width, */
    unsigned list_hide;         /* the rows of runs shown, the columns left out, */
    const char *list_mark;      /* the sorting head's arrow */
    run_record *open_recs; /* [n_open] records of its unfinished runs, kept open and followed
                            * (a long run's events are read once, then only what it adds) */
    int n_open;
    double list_poll;    /* when the list was last read */
} tui;

/* The last part of a run directory's path ("default-run"). */
const char *tui_base_name(const char *dir);
/* Where the current view draws: between the tab bar and the status bar. */
trect tui_view_area(const tui *t);
/* The whole screen, sent to the terminal. */
void tui_draw(tui *t);

/* Open the run in DIR (read-only; followed when another process writes it), leaving the list
 * of runs when it is on screen. An error is said, and the list stays. */
void tui_open_run(tui *t, const char *dir);

/* The list of runs (tui_runs.c): read (again), read again every second while a run of it is
 * unfinished, drawn over the whole screen but the status bar, and its keys (1: used). */
void tui_runs_refresh(tui *t);
void tui_runs_free(tui *t);
void tui_runs_poll(tui *t);
void tui_runs_draw(tui *t);
int tui_runs_key(tui *t, int ch);
/* A click at X, Y (WHEEL 0) or a wheel step (-1 up, 1 down) on the list: 1 when used. */
int tui_runs_mouse(tui *t, int x, int y, int wheel);
/* "Last, largest first": how the list is sorted now. */
void tui_runs_sort_text(const tui *t, char *out, size_t n);

#endif
