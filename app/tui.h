/* tui.h: the workbench shell (segp tui), split by concept:
 *   app/tui.c         the main loop: the run (its own worker's, or another process's,
 *                     followed), the selected task, the views, stepping, actions
 *   app/tui_draw.c    the frame: tab bar, status bar, the current view between them
 *   app/tui_runs.c    the list of runs of a folder (segp tui FOLDER)
 *   app/tui_shell.h   the shell's state, shared by the two
 *   app/tui_screen.c  ncursesw: start and restore the terminal, colour pairs, canvas to screen
 *   app/tui_worker.c  the training thread and its event queue
 *   app/tui_keys.c    keys and mouse to view codes, the help screen, `:` commands, prompts
 *   app/tui_export_msg.c  the status bar's "exported to" message, fitted to its width
 * Only these files know the terminal; the views (views/) draw into a canvas. */
#ifndef SEGP_TUI_H
#define SEGP_TUI_H

#include <stddef.h>

#include "run/run_record.h"
#include "views/canvas.h"
#include "views/view.h"

/* ---- options (segp tui, segp with no arguments) ---- */

typedef struct {
    const char *config;   /* start a new run of this config ... */
    const char *out;      /* ... into this directory (NULL: runs/NAME-DATE-TIME) */
    const char *const *sets; /* ... with these overrides "KEY=VALUE" (--set) */
    int n_sets;
    const char *run_dir;  /* or open this run directory */
    const char *runs_dir; /* or list the runs in this folder (Enter opens one) */
    const char *new_config; /* the config `N` starts a new run of (NULL: none offered) */
    int charset;          /* -1: from the locale */
    int colors;           /* -1: from the terminal and NO_COLOR */
    int light;
    int auto_advance;     /* do not pause at task boundaries */
} tui_options;

/* Runs the workbench until the user quits; the exit status. */
int tui_main(const tui_options *o);

/* segp with no arguments: the shipped finished run (cmd_tui.c); available when its files are
 * where segp runs from. */
int tui_default_available(void);
int tui_default(void);


/* ---- screen (tui_screen.c) ---- */

/* Starts curses (keys answered every 100 ms, mouse, colours as asked: CHARSET/COLORS -1 pick
 * from the locale, the terminal and NO_COLOR); fills the chosen modes. Restores the terminal
 * at exit and on fatal signals. 0, or -1 with a message on stderr (no terminal). */
int tui_screen_start(int *charset_io, int *colors_io);
void tui_screen_stop(void);
/* The canvas to the screen (only what changed is sent) */
void tui_screen_show(const tcanvas *c);
void tui_screen_size(int *w, int *h);
/* SIGINT/SIGTERM seen since the last call */
int tui_screen_signalled(void);
/* Colour pairs are allocated for the colour mode in use; a change of mode drops them. */
void tui_screen_set_colors(int colors);

/* ---- worker (tui_worker.c) ---- */

typedef struct tui_worker tui_worker;

/* A new run of CONFIG_PATH (with the N_SETS overrides SETS, "KEY=VALUE", as segp run --set)
 * into DIR, or (CONFIG_PATH NULL) the run in DIR resumed. The thread makes the runner, then
 * waits for tui_worker_go. FREE_DIR: DIR is a default name, and DIR-2, ... is taken when
 * another run has it (tui_worker_dir says which, once ready). */
tui_worker *tui_worker_start(const char *config_path, const char *const *sets, int n_sets,
                             const char *dir, int free_dir, int auto_advance);
/* The run directory (final once tui_worker_ready returns 1). */
const char *tui_worker_dir(tui_worker *w);
/* 1 when the runner is made (DIR/config.json exists), -1 when making it failed (the error in
 * tui_worker_error), 0 while it is being made. */
int tui_worker_ready(tui_worker *w);
/* Lets the runner train; events queued before (already in events.jsonl) are dropped. */
void tui_worker_go(tui_worker *w);
/* Takes the queued event lines (JSON); the caller frees each and the array. */
int tui_worker_take(tui_worker *w, char ***out);

void tui_worker_pause(tui_worker *w, int paused); /* space */
void tui_worker_set_auto(tui_worker *w, int on);  /* a */
void tui_worker_next(tui_worker *w);              /* n: leave the task boundary */
void tui_worker_abort(tui_worker *w);             /* stop at the next event */

typedef struct {
    int running;     /* the thread has not ended */
    int paused;      /* space pause in effect (at the next event) */
    int at_boundary; /* waiting for n after a task */
    int waiting;     /* the engine is blocked in a pause now */
    int auto_advance;
    int aborting;
    int rc;          /* when ended: 0 complete, 1 stopped, -1 error */
} tui_worker_state;
void tui_worker_get(tui_worker *w, tui_worker_state *s);
const char *tui_worker_error(tui_worker *w); /* the error text when rc == -1 */
/* Joins the thread (call after abort or when it ended) and frees. */
void tui_worker_free(tui_worker *w);

/* ---- keys (tui_keys.c) ---- */

/* A curses key to a view code (printable ASCII as itself); -1 when it is none. */
int tui_key_code(int ch);

typedef struct {
    const char *key, *what;
} tui_key_help;
extern const tui_key_help tui_global_keys[];
extern const int tui_n_global_keys;
extern const tui_key_help tui_commands[];
extern const int tui_n_commands;

/* The help screen of view V into C (scrolled by SCROLL lines; clamps *scroll). */
void tui_draw_help(tcanvas *c, const view *v, int *scroll);
/* What the status bar says after an export into DIR (tui_export_msg.c): FIGURE (a PNG, with its
 * .csv; NULL: none), the data files WRITTEN (", "-separated), then NOTE, in at most WIDTH cells
 * when it can: the folder elided to its last part, then fewer files named ("+2 more"), a file's
 * name never cut. ASCII: "..." for the ellipsis. */
void tui_export_message(char *out, size_t n, int width, int ascii, const char *dir,
                        const char *figure, const char *written, const char *note);
/* PATH shown in at most ROOM cells (tui_path.c), into OUT: relative when under CWD (may be
 * NULL), then with an ellipsis for its middle parts ("/home/…/sample_runs/default.json", else
 * "…/sample_runs/default.json"), the file's name cut only when it alone is longer. ASCII: "..."
 * for the ellipsis. */
void tui_fit_path(const char *path, const char *cwd, int room, int ascii, char *out, size_t n);
/* The help screen of the list of runs (segp tui FOLDER): its own keys, and SORTED, how the
 * list is sorted now ("Last, largest first"). */
void tui_draw_list_help(tcanvas *c, int *scroll, const char *sorted);

/* A one-line editor for `:` and `/` prompts. */
typedef struct {
    int active;
    char kind;          /* ':' or '/' */
    char buf[256];
    int len;
} tui_prompt;
/* Feeds key CH to the prompt: 0 still editing, 1 entered (buf holds the line), -1 cancelled. */
int tui_prompt_key(tui_prompt *p, int ch);

#endif
