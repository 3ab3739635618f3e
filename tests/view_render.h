/* view_render.h: what the view tests share: a view drawn into a text canvas, and substring
 * checks that print the whole text when they fail (tests/view_render.c). */
#ifndef SEGP_TEST_VIEW_RENDER_H
#define SEGP_TEST_VIEW_RENDER_H

#include "views/view.h"

/* VIEW drawn into a fresh W x H canvas: its text (caller frees); printed under
 * SEGP_TEST_VERBOSE. */
char *view_render(view *v, const wb_state *s, int w, int h, charset cs, color_mode cm);
/* 1 when TEXT holds S, else 0 after printing S and TEXT. */
int text_has(const char *text, const char *s);
/* 1 when TEXT does not hold S, else 0 after printing S and TEXT. */
int text_lacks(const char *text, const char *s);

#endif
