/* viewkit.h: small helpers the analysis views (anchors, drift, geometry, projection) share:
 * a text buffer written atomically as one export file, the class filter, class names and
 * layout bits. Views only; no ncurses, no engine state. */
#ifndef SEGP_VIEWKIT_H
#define SEGP_VIEWKIT_H

#include <stddef.h>
#include <stdint.h>

#include "views/view.h"

/* Export text is view.h's view_text (view_text_printf, view_text_write). */
/* A CSV field: quoted when it holds a comma, quote or newline. */
void vk_csv_str(view_text *b, const char *s);
/* A number for CSV: %.9g, or an empty field for NAN. */
void vk_csv_num(view_text *b, double v);
/* Write a float32 array DIR/NAME (.npy) atomically and append NAME to WRITTEN. */
int vk_write_npy(const char *dir, const char *name, const float *data, int ndim,
                 const int64_t *shape, char *written, size_t n);

/* FILTER (may be empty) is a case-insensitive substring of NAME. */
int vk_match(const char *name, const char *filter);
/* Name of benchmark label LABEL ("?" when out of range or no record). */
const char *vk_class(const wb_state *s, int label);
/* The task (0-based) of benchmark label LABEL, -1 when unknown. */
int vk_class_task(const wb_state *s, int label);

/* A view draws into a canvas of its area's size (at 0, 0), then copies it into place, so that
 * nothing it computes can reach outside the area (canvas_text's max_w <= 0 runs to the canvas
 * edge). vk_begin: NULL when AREA is empty; vk_end copies and frees. */
tcanvas *vk_begin(const tcanvas *c, trect area);
void vk_end(tcanvas *c, trect area, tcanvas *sub);

/* The title line of the view (SHORT when the area is narrow); returns the area below it. */
trect vk_title(tcanvas *c, trect area, const char *title, const char *short_title,
               const wb_state *s);
/* When S has no task data: a notice in AREA saying why, and 1. */
int vk_no_task(tcanvas *c, trect area, const wb_state *s);
/* The inside of a frame (1 cell margin) titled TITLE; in a small R (under 24x10) no frame, the
 * title on the first line when R has more than 2 lines. A title too long is shortened at a
 * word (canvas_text_words). */
trect vk_panel(tcanvas *c, trect r, const char *title);
/* A rectangle clipped to stay inside AREA (w/h never negative). */
trect vk_clip(trect r, trect area);

/* Clamp V into LO..HI (HI < LO: LO). */
int vk_clamp(int v, int lo, int hi);
/* Compact number for narrow columns: %.3g, "-" for NAN. */
const char *vk_num(char *buf, size_t n, double v);

#endif
