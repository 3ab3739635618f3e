/* view_render.h: what the view tests share: the shipped run opened at a task, a view drawn into
 * a text canvas, and substring checks that print the whole text when they fail
 * (tests/view_render.c). */
#ifndef SEGP_TEST_VIEW_RENDER_H
#define SEGP_TEST_VIEW_RENDER_H

#include "run/run_record.h"
#include "views/view.h"

/* The shipped run (sample_runs/default-run) with task T (0-based) loaded, as the workbench
 * gives it to the views (read-only). */
typedef struct {
    run_record rec;
    run_task_data td;
    wb_state s;
} view_fixture;
/* 1 when it opened; 0 when it failed (the failure is recorded). */
int view_fixture_open(view_fixture *f, int t);
void view_fixture_close(view_fixture *f);

/* VIEW drawn into a fresh W x H canvas: its text (caller frees); printed under
 * SEGP_TEST_VERBOSE. */
char *view_render(view *v, const wb_state *s, int w, int h, charset cs, color_mode cm);
/* 1 when TEXT holds S, else 0 after printing S and TEXT. */
int text_has(const char *text, const char *s);
/* 1 when TEXT does not hold S, else 0 after printing S and TEXT. */
int text_lacks(const char *text, const char *s);
/* Line N (0-based) of TEXT (one of 4 rotating buffers). */
const char *render_line(const char *text, int n);
/* Press KEYS (a NUL-terminated string of single-byte keys) on V. */
void view_press(view *v, wb_state *s, const char *keys);

#endif
