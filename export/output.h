/* output.h: one figure's drawing surface and its file. A fig_canvas is a cairo context in points
 * (1/72 inch) whatever the format: PNG draws into an image surface scaled by dpi / 72 and is
 * encoded through libpng (fig_png_encode: pHYs and tEXt chunks); SVG and PDF stream into memory.
 * The finished bytes go to disk atomically (temporary name, fsync, rename), so a failure never
 * leaves a partial file. Also the byte buffer the data files (.csv) are built in. */
#ifndef SEGP_FIG_OUTPUT_H
#define SEGP_FIG_OUTPUT_H

#include <cairo.h>
#include <stddef.h>
#include <stdint.h>

#include "export/figure.h"

/* A growable byte buffer (SVG/PDF streams, PNG bytes, CSV text). */
typedef struct {
    uint8_t *p;
    size_t n, cap;
} fig_bytes;

void fig_bytes_put(fig_bytes *b, const void *data, size_t n);
void fig_bytes_printf(fig_bytes *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void fig_bytes_free(fig_bytes *b);

/* CSV: a field (quoted when it holds a comma, quote or newline), a number ("" for NAN: an empty
 * cell), the end of a row. Fields after the first of a row get their comma from fig_csv_sep. */
void fig_csv_str(fig_bytes *b, const char *s);
void fig_csv_num(fig_bytes *b, double v);
void fig_csv_sep(fig_bytes *b);
void fig_csv_end(fig_bytes *b);

/* Provenance: key/value text of a figure file (PNG tEXt chunks; PDF metadata; an SVG comment). */
typedef struct {
    const char *key, *value;
} fig_meta;

typedef struct {
    fig_format format;
    double w_pt, h_pt;      /* the drawing's size in points */
    double dpi;             /* PNG */
    int px_w, px_h;         /* PNG pixels: round(inches * dpi) */
    cairo_surface_t *surface;
    cairo_t *cr;            /* in points, white background drawn */
    fig_bytes stream;       /* SVG / PDF bytes */
} fig_canvas;

/* Limits on a request (fig_canvas_begin rejects the rest with a message). */
#define FIG_DPI_MIN 20.0
#define FIG_DPI_MAX 2400.0
#define FIG_INCH_MIN 1.0
#define FIG_INCH_MAX 40.0
#define FIG_PX_MAX 30000
/* The smallest size every figure's layout holds its text at (one column of a two-column
 * paper); smaller figures are drawn at it and scaled down whole. */
#define FIG_LAYOUT_MIN_W_IN 3.3
#define FIG_LAYOUT_MIN_H_IN 2.6
/* A figure at most this wide sits in one column of a page, printed at its size beside text:
 * its type keeps 8 pt, the heatmaps' class labels too. */
#define FIG_ONE_COLUMN_W_IN 3.5

/* W_IN x H_IN inches in FORMAT (DPI for PNG). -1 + error for sizes out of range. */
int fig_canvas_begin(fig_canvas *c, fig_format format, double w_in, double h_in, double dpi);
/* Finish the drawing and write it atomically to PATH with META. Frees the canvas. -1 + error
 * naming PATH (nothing is left at PATH then). */
int fig_canvas_finish(fig_canvas *c, const fig_meta *meta, int n_meta, const char *path);
/* Encode without writing (tests, callers that write themselves). Frees the canvas. */
int fig_canvas_encode(fig_canvas *c, const fig_meta *meta, int n_meta, fig_bytes *out);
void fig_canvas_discard(fig_canvas *c);

/* PNG of a cairo ARGB32/RGB24 image surface (premultiplied alpha undone; RGB when every pixel
 * is opaque, RGBA otherwise), pHYs = DPI, one tEXt chunk per META entry. -1 + error. */
int fig_png_encode(cairo_surface_t *img, double dpi, const fig_meta *meta, int n_meta,
                   fig_bytes *out);

#endif
