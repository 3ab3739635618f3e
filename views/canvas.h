/* canvas.h: the character-cell canvas every view draws into, and the plot primitives: pure
 * functions of arrays into a rectangle of the canvas (nvtop's plot.c, without the terminal).
 * The workbench copies a canvas to the screen (app/tui_screen.c, the one place that knows
 * ncurses); tests render it to text (canvas_to_text) and compare. No ncurses here.
 *
 * Glyph sets (--charset):
 *   CHARSET_UNICODE  half blocks (two colours per cell) for heatmaps and images, braille
 *                    (2x4 dots per cell) for curves and scatter, eighth blocks for bars
 *   CHARSET_BLOCK    half and full blocks only (curves and scatter at cell resolution with
 *                    quadrant-free block marks), for fonts without braille
 *   CHARSET_ASCII    plain ASCII: '#', '*', '+', shade ramp " .:-=+*#%@" for heatmaps
 * Colour modes (--colors, NO_COLOR): COLORS_256 (xterm-256 indices), COLORS_16 (mapped to the
 * nearest of the 16 ANSI colours by the screen), COLORS_NONE (no colour: heatmaps switch to the
 * shade ramp so that colour is never the only signal). `light` picks the light theme's greys. */
#ifndef SEGP_CANVAS_H
#define SEGP_CANVAS_H

#include <stdint.h>

typedef enum { CHARSET_UNICODE = 0, CHARSET_BLOCK = 1, CHARSET_ASCII = 2 } charset;
typedef enum { COLORS_256 = 0, COLORS_16 = 1, COLORS_NONE = 2 } color_mode;

#define COL_DEFAULT (-1) /* the terminal's own foreground / background */

enum { ATTR_BOLD = 1, ATTR_REVERSE = 2, ATTR_UNDERLINE = 4, ATTR_DIM = 8 };

typedef struct {
    uint32_t ch;    /* Unicode code point (' ' when empty) */
    int16_t fg, bg; /* xterm-256 colour index, or COL_DEFAULT */
    uint8_t attr;   /* ATTR_* */
} tcell;

typedef struct {
    int w, h;
    tcell *cells;   /* [h * w] */
    charset cs;
    color_mode colors;
    int light;      /* light theme */
} tcanvas;

typedef struct {
    int x, y, w, h;
} trect;

tcanvas *canvas_new(int w, int h, charset cs, color_mode colors, int light);
void canvas_free(tcanvas *c);
void canvas_resize(tcanvas *c, int w, int h); /* contents cleared */
void canvas_clear(tcanvas *c);

/* Cells outside the canvas are ignored (clipping), so primitives never check bounds. */
void canvas_put(tcanvas *c, int x, int y, uint32_t ch, int fg, int bg, int attr);
/* UTF-8 text from (x, y), at most MAX_W cells (<= 0: to the canvas edge); returns the cells
 * written. Invalid UTF-8 is shown as '?'. */
int canvas_text(tcanvas *c, int x, int y, int max_w, const char *utf8, int fg, int bg, int attr);
int canvas_printf(tcanvas *c, int x, int y, int max_w, int fg, int bg, int attr,
                  const char *fmt, ...) __attribute__((format(printf, 8, 9)));
/* UTF8 in at most MAX_W cells (<= 0: nothing), never cut inside a word: whole when it fits,
 * else its words up to a space and an ellipsis ("…", "..." in ASCII), the space chosen
 * outside brackets where one fits ("loss terms, task 10…", not "(s:…"), punctuation
 * before it dropped; the ellipsis alone when not even the first word fits. The cells written. */
int canvas_text_words(tcanvas *c, int x, int y, int max_w, const char *utf8, int fg, int bg,
                      int attr);
/* A frame with a title on its top edge (line drawing in UNICODE/BLOCK, +-| in ASCII), one
 * space each side of it (the title's own spaces at its ends are dropped); a title longer than
 * the edge (R.w - 5 cells) is shortened at a word (canvas_text_words). */
void canvas_box(tcanvas *c, trect r, const char *title, int fg);
void canvas_fill(tcanvas *c, trect r, uint32_t ch, int fg, int bg);

/* The canvas as UTF-8 text: H lines, each ended by '\n', trailing spaces cut; no colours.
 * Caller frees. */
char *canvas_to_text(const tcanvas *c);
/* Display width of a UTF-8 string in cells (one per code point; wide glyphs are not used). */
int utf8_cells(const char *s);

/* ---- colours ---- */

/* The nearest xterm-256 colour of an RGB triple (the 6x6x6 cube or the grey ramp). */
int color_rgb(int r, int g, int b);
/* Theme greys: text, dim text (axes, grid), accent (selection), of the canvas's theme. */
int color_fg(const tcanvas *c);
int color_dim(const tcanvas *c);
int color_accent(const tcanvas *c);

typedef enum { CMAP_VIRIDIS = 0, CMAP_DIVERGING = 1 } colormap;
/* Colour of t in [0,1] (NAN: COL_DEFAULT). Viridis for similarities; a blue-white-red
 * diverging map for signed differences, centred on t = 0.5. Both read in grey-scale order. */
int cmap_color(colormap m, double t);
/* The I-th categorical colour (Okabe-Ito, safe for colour-blind readers), cycling. */
int palette_color(int i);
/* The shade ramp character of t in [0,1] for COLORS_NONE / CHARSET_ASCII heatmaps. */
uint32_t shade_char(const tcanvas *c, double t);

/* ---- plot primitives ---- */

/* Axes: ranges (x0 == x1 or y0 == y1: fit the data), labels in words (may be NULL), tick
 * count. The primitives draw the axis, tick values and labels inside the rectangle and plot
 * in what is left. */
typedef struct {
    double x0, x1, y0, y1;
    const char *xlabel, *ylabel;
    int x_ticks, y_ticks;  /* <= 0: chosen from the size */
    int integer_x;         /* x ticks at integers only (task numbers) */
    int bare;              /* no axes, ticks or labels: plot in the whole rectangle */
} plot_axes;

typedef struct {
    const float *y;        /* [n]; NAN: a gap */
    const float *x;        /* [n] or NULL: 1..n */
    int n;
    int color;             /* xterm-256 index */
    uint32_t mark;         /* ASCII/BLOCK mark and legend glyph ('*', 'o', '+', ...) */
    const char *label;     /* legend text */
} plot_series;

/* Line curves (braille: 2x4 dots per cell; lines joined between points; BLOCK: half blocks,
 * 1x2 per cell; ASCII: the series' mark per cell). A series with a mark and few points (at most
 * one per two columns) also gets its mark at each point, and under COLORS_NONE every series
 * gets marks along it, so that colour is never the only way to tell curves apart. AX may be
 * NULL (fit the data, default ticks). */
void plot_curves(tcanvas *c, trect r, const plot_series *s, int n_series, const plot_axes *ax);

/* Scatter of N points XY [n, 2]; per point a colour (NULL: color_fg) and a glyph (NULL or 0:
 * a braille dot in UNICODE, '.' otherwise; a nonzero glyph is drawn as that character at
 * cell resolution, over the dots, so old and new differ by shape as well as colour). HIDE
 * (may be NULL) skips points with a nonzero entry (filters). */
void plot_scatter(tcanvas *c, trect r, const float *xy, int n, const int *color,
                  const uint32_t *glyph, const uint8_t *hide, const plot_axes *ax);

/* Heatmap of M [rows, cols] (row-major; NAN cells blank) from (ROW0, COL0), CELL_W columns of
 * text per matrix column (zoom), in UNICODE/BLOCK two matrix rows per text row (upper half
 * block: fg = top, bg = bottom), in ASCII or COLORS_NONE one matrix row per text row with the
 * shade ramp. Values map LO..HI to the colour map. Returns the matrix rows shown. */
int plot_heatmap(tcanvas *c, trect r, const float *m, int rows, int cols, int row0, int col0,
                 int cell_w, double lo, double hi, colormap cm);
/* Rows of matrix per text row for this canvas (2 or 1), for views that place labels. */
int heatmap_rows_per_line(const tcanvas *c);

/* A horizontal colour bar with LO and HI (and the midpoint) written under it. */
void plot_colorbar(tcanvas *c, trect r, double lo, double hi, colormap cm);

/* Vertical bars of COUNTS [bins] over X0..X1 (eighth blocks in UNICODE, half blocks in BLOCK,
 * '#' in ASCII), with axes (the y range 0..max count unless AX gives one). */
void plot_histogram(tcanvas *c, trect r, const float *counts, int bins, double x0, double x1,
                    int color, const plot_axes *ax);

/* Horizontal bars, one per line: LABELS[i] then a bar of V[i] over 0..VMAX and its value
 * (FMT, e.g. "%.3f"). */
void plot_hbars(tcanvas *c, trect r, const char *const *labels, const float *v, int n,
                double vmax, int color, const char *fmt);

/* A legend: one line per series (mark in its colour, then the label). */
void plot_legend(tcanvas *c, int x, int y, const plot_series *s, int n_series);
/* The same in one line of W cells, for plots too short for plot_legend: mark and NAMES[k]
 * (NULL: the series' labels) per series, as many whole entries as fit. Returns them. */
int plot_legend_line(tcanvas *c, int x, int y, int w, const plot_series *s, int n_series,
                     const char *const *names);

/* An RGB image (HWC, 8-bit) scaled into R with half blocks (two pixels per cell vertically);
 * nothing in ASCII or COLORS_NONE (returns 0 then, 1 when drawn). */
int plot_image(tcanvas *c, trect r, const uint8_t *rgb, int w, int h);

#endif
