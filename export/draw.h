/* draw.h: the small drawing vocabulary every figure shares, in points on a cairo context: text in
 * DejaVu Sans (cairo's font API, fontconfig picks the file; PDF embeds it as TrueType subsets, SVG
 * as glyph outlines)
 * anchored and rotated, colours, and point markers whose shapes tell groups apart without
 * colour. */
#ifndef SEGP_FIG_DRAW_H
#define SEGP_FIG_DRAW_H

#include <cairo.h>
#include <stddef.h>

#include "export/colormap.h"

#define FIG_FONT "DejaVu Sans"

/* Font sizes (points) of a figure's parts. */
#define FIG_FS_TITLE 10.0
#define FIG_FS_LABEL 9.0
#define FIG_FS_TICK 8.0
#define FIG_FS_LEGEND 8.0
/* A title too wide for its room keeps FIG_FS_TITLE and takes more lines, this far apart: shrunk
 * to fit a one-column figure, titles came out at 6-7 pt, unreadable in print. */
#define FIG_TITLE_LEAD (FIG_FS_TITLE * 1.25)
#define FIG_TITLE_MAX_LINES 3

/* The margin (points) a figure's ink keeps from its edges, text and marks alike. */
#define FIG_MARGIN 3.0
/* DejaVu Sans's ink about fig_text's anchors, in em: ascenders and brackets reach FIG_EM_OVER
 * above the capitals' top (AY 0), nothing goes below the descenders (AY 1); a line of text is
 * FIG_EM_LINE from its tallest ink to its lowest. */
#define FIG_EM_OVER 0.04
#define FIG_EM_LINE (0.73 + FIG_EM_OVER + 0.24)

void fig_font(cairo_t *cr, double size_pt, int bold);
void fig_rgb_set(cairo_t *cr, fig_rgb c, double alpha);

/* Text S at (X, Y), rotated by ANGLE radians (counter-clockwise on the page is negative), with
 * (X, Y) at horizontal anchor AX (0 left, 0.5 centre, 1 right) and vertical anchor AY (0 top,
 * 0.5 middle of the capitals, 1 bottom of descenders) of the unrotated text box. */
void fig_text(cairo_t *cr, double x, double y, double ax, double ay, double angle, const char *s);
double fig_text_width(cairo_t *cr, const char *s);
/* The ink box of a string fig_text drew, in device units (points on SVG and PDF surfaces), its
 * type size in the same units (a scaled context scales it), whether bold, and its text (cut at
 * 63 bytes). */
typedef struct {
    double x0, y0, x1, y1;
    double size;
    int bold;
    char text[64];
} fig_text_box;

/* A rectangle in device units. */
typedef struct {
    double x0, y0, x1, y1;
} fig_box;

typedef struct fig_text_log {
    fig_text_box *box;
    int n, cap;
    fig_box *mark;            /* the data markers fig_mark drew, their ink within the clip */
    int n_mark, cap_mark;
    fig_box *legend;          /* the legends' frames */
    int n_legend, cap_legend;
} fig_text_log;

/* From now on every string fig_text draws on CR adds its box to LOG (NULL: no longer), and so
 * do markers and legend frames, so that a layout can be checked as drawn: text inside the
 * page, no two strings over each other, no legend over a data point. */
void fig_text_log_attach(cairo_t *cr, fig_text_log *log);
void fig_text_log_free(fig_text_log *log);
/* The frame of a legend drawn at (X, Y), W x H (user units), into CR's log if it has one. */
void fig_text_log_legend(cairo_t *cr, double x, double y, double w, double h);
/* Select the font at SIZE, smaller (down to 60%) where S would be wider than MAX_W. */
void fig_font_fit(cairo_t *cr, const char *s, double size_pt, int bold, double max_w);
/* S broken into lines no wider than MAX_W in the current font, at most MAX_LINES (<= 8): the
 * fewest lines that fit, broken after a ", " or ": " where those give them, else at any space,
 * the longest line as short as it can be; the space at a break is dropped. START and LEN get
 * each line's offset and length in bytes; returns the count. Where no breaking fits (a word
 * wider than MAX_W), MAX_LINES lines with the longest shortest. */
int fig_text_wrap(cairo_t *cr, const char *s, double max_w, int max_lines, size_t *start,
                  size_t *len);
/* A title in lines: fig_title_wrap's result. */
typedef struct {
    int n;                                   /* 0: no title */
    char line[FIG_TITLE_MAX_LINES][256];
    double width;                            /* the widest line's, as drawn */
} fig_title;
/* S (NULL or "": none) in bold at FIG_FS_TITLE broken into lines no wider than MAX_W by
 * fig_text_wrap, at most FIG_TITLE_MAX_LINES; returns their count. */
int fig_title_wrap(cairo_t *cr, const char *s, double max_w, fig_title *t);
/* T's lines in black, the first's capitals' top at Y, the next FIG_TITLE_LEAD below, each
 * centred at CX moved to lie within [X0, X1]; at FIG_FS_TITLE, smaller only for a line wider
 * than X1 - X0 (a single word no break helps). */
void fig_title_draw(cairo_t *cr, const fig_title *t, double cx, double x0, double x1, double y);
/* Width of the widest of N strings (NULL entries skipped). */
double fig_text_width_max(cairo_t *cr, const char *const *s, int n, int step);

/* A number for a tick or a cell: DECIMALS digits, a typographic minus. */
void fig_format_num(char *buf, size_t n, double v, int decimals);

typedef enum {
    FIG_M_NONE = 0,
    FIG_M_CIRCLE,
    FIG_M_SQUARE,
    FIG_M_TRIANGLE,
    FIG_M_DIAMOND,
    FIG_M_TRIANGLE_DOWN,
    FIG_M_CROSS,   /* x (stroked) */
    FIG_M_PLUS,    /* + (stroked) */
} fig_marker;

typedef struct {
    fig_marker shape;
    double size;     /* points across */
    fig_rgb color;
    double alpha;    /* fill opacity (1) */
    int hollow;      /* outline only, in COLOR */
    int edge;        /* a thin dark outline around the fill (points over busy backgrounds) */
} fig_mark_style;

/* One marker centred on (X, Y): a data point (in the log, if CR has one). */
void fig_mark(cairo_t *cr, const fig_mark_style *s, double x, double y);
/* The same marker as a legend's sample (not a data point: not in the log). */
void fig_mark_sample(cairo_t *cr, const fig_mark_style *s, double x, double y);

#endif
