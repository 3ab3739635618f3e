/* view.h: one workbench view behind one small interface (htop's Panel, nvtop's plot.c): a view
 * draws the workbench state into a canvas, answers keys and mouse events, lists its keys for
 * the help screen, and exports what it shows. Views read the state, never change the run;
 * they know nothing of ncurses (the shell, app/tui*.c, translates keys and copies the canvas
 * to the screen), so tests draw them into a text canvas and compare.
 *
 * Views: overview, accuracy, anchors, drift, geometry, projection (views/view_NAME.c, each
 * with a constructor in the table below). */
#ifndef SEGP_VIEW_H
#define SEGP_VIEW_H

#include <stddef.h>

#include "run/run_record.h"
#include "views/canvas.h"

/* Keys as the shell passes them: printable ASCII as itself, the rest as these codes. */
enum {
    WK_ESC = 27,
    WK_UP = 0x1000, WK_DOWN, WK_LEFT, WK_RIGHT, WK_PGUP, WK_PGDN, WK_HOME, WK_END,
    WK_TAB, WK_BTAB, WK_ENTER, WK_F1, WK_BACKSPACE,
};

/* Mouse events (cells relative to the view's area). */
typedef enum { WM_CLICK = 1, WM_WHEEL_UP = 2, WM_WHEEL_DOWN = 3 } wb_mouse;

typedef enum {
    VIEW_IGNORED = 0, /* not this view's key: the shell may use it */
    VIEW_HANDLED,     /* used; nothing changed on screen */
    VIEW_REDRAW,      /* used; draw again */
    VIEW_QUIT,
} view_reply;

/* Live state of a run being trained (the shell fills it from the engine's events). */
typedef struct {
    int running;        /* a worker thread is training */
    int paused;         /* paused by space, or at a task boundary */
    int at_boundary;    /* waiting for `n` before the next task */
    int auto_advance;   /* `a`: do not stop at task boundaries */
    int read_only;      /* opened RUN_DIR without training */
    char elsewhere[200]; /* another process writes the run ("pid 12 on host, since ..."):
                          * running is set, and the views follow its files */
} wb_live;

/* What every view reads. The shell owns it; views get it const in draw and export. */
typedef struct {
    const run_record *rec;
    int task;                  /* selected finished task (0-based), -1 when none is finished */
    const run_task_data *td;   /* that task's saved state, or NULL (then td_error says why) */
    const char *td_error;
    wb_live live;
    char filter[128];          /* `/`: class-name substring (views that list classes use it) */
    int show_numbers;          /* `v`: the numbers behind the picture */
} wb_state;

typedef struct {
    const char *key, *what;    /* "+/-", "zoom in / out" */
} view_help;

/* The figure (export/figure.h's catalogue) that `e` draws of what a view shows now. */
typedef struct {
    const char *figure;  /* NULL: none */
    int state;           /* simmat-text/-cross/-proto: RUN_STATE_* shown */
    int against;         /* simmat-diff: RUN_STATE_TEACHER or RUN_STATE_PRE */
    int matrix;          /* simmat-diff: 0 text x text, 1 image means x text, 2 means x means */
    int tsne;            /* projection: 1 t-SNE, 0 PCA */
    int clip;            /* accuracy-matrix: the CLIP branch's matrix */
} view_figure;

typedef struct view view;
struct view {
    const char *name;          /* tab name, e.g. "accuracy" */
    const char *figure;        /* the figure `e` exports (issue 14's names), or NULL */
    void (*draw)(view *v, tcanvas *c, trect area, const wb_state *s);
    view_reply (*key)(view *v, int key, wb_state *s);
    view_reply (*mouse)(view *v, wb_mouse ev, int x, int y, wb_state *s); /* may be NULL */
    const view_help *help;     /* this view's own keys */
    int n_help;
    /* Write what the view shows as data files into DIR (.csv / .npy); the names written go
     * into WRITTEN (comma-separated). 0, or -1 + error naming the file. */
    int (*export_data)(view *v, const wb_state *s, const char *dir, char *written, size_t n);
    /* The figure of the current display (may be NULL: `figure` with the student state, against
     * the teacher, text x text, PCA, the full prediction). */
    void (*figure_of)(view *v, view_figure *f);
    void (*free)(view *v);
    void *priv;
    /* Set by draw: why the mode `v` asks for (wb_state.show_numbers) does not show in the area
     * drawn, "" when it does (or the view has no such case). The shell says it when `v` is
     * pressed: the key would seem to do nothing. */
    char unshown[160];
};

view *view_overview_new(void);
view *view_accuracy_new(void);
view *view_anchors_new(void);
view *view_drift_new(void);
view *view_geometry_new(void);
view *view_projection_new(void);

/* The views in tab order (1..6), freshly made; n receives the count. */
typedef view *(*view_ctor)(void);
extern const view_ctor view_table[];
extern const int view_count;

/* Helpers shared by views: a "no data" notice centred in AREA naming why (word-wrapped, first
 * line bold); a title line: TITLE on the left, the selected task and method on the right.
 * view_title returns the rows it used (1). */
void view_notice(tcanvas *c, trect area, const char *msg);
int view_title(tcanvas *c, trect area, const char *title, const wb_state *s);

/* LINE's fields (parts separated by three spaces: "Last 66.80   Avg 77.40") from X, Y in W
 * cells: a field that does not fit whole goes to the next of ROWS rows, or on the last row is
 * left out; a field wider than a row breaks at a space. A value is never cut ("Avg 77." for
 * 77.40). The rows used. With C NULL nothing is drawn: the rows LINE needs. */
int view_fields(tcanvas *c, int x, int y, int w, int rows, const char *line, int fg, int attr);

/* A table of N rows (one per task) in LINES lines. When they do not all fit, the PIN rows
 * (N_PIN of them; -1 entries ignored) stay, then the first row, then the rows nearest a pinned
 * one; each run of rows left out takes one line, so that the table says what it hides. In
 * fewer lines than the pins and their marks need, marks go before pins (those at the ends
 * first). Fills LINE_ROW[LINES] with the row of each line, -1 for a line standing for hidden
 * rows; returns the lines used. */
int view_table_rows(int n, int lines, const int *pin, int n_pin, int *line_row);
/* Line K of such a table (LINE_ROW[K] = -1, of LINES lines over N rows) standing for the rows
 * between its neighbours: "... tasks 4-6 hidden", its ellipsis in the last cell of the task
 * column (LABEL_W cells wide). */
void view_rows_hidden(tcanvas *c, int x, int y, int w, int label_w, const int *line_row, int k,
                      int lines, int n);

/* An export file built in memory (CSV text), then written atomically: DIR/NAME is written via
 * a temporary name and renamed, NAME is appended to WRITTEN (comma-separated, as export_data
 * reports it), and T is freed either way. 0, or -1 + error naming the file. */
typedef struct {
    char *s;
    size_t n, cap;
} view_text;
void view_text_printf(view_text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int view_text_write(view_text *t, const char *dir, const char *name, char *written, size_t n);

#endif
