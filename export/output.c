/* output.c: a figure's cairo surface in points for PNG, SVG or PDF, finished into bytes and
 * written atomically; the byte buffer and CSV helpers of the data files. */
#include "export/output.h"

#include <cairo-pdf.h>
#include <cairo-svg.h>
#include <fontconfig/fontconfig.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "core/common.h"

void fig_bytes_put(fig_bytes *b, const void *data, size_t n) {
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->n + n + 1) cap *= 2;
        b->p = segp_realloc(b->p, cap);
        b->cap = cap;
    }
    memcpy(b->p + b->n, data, n);
    b->n += n;
    b->p[b->n] = 0; /* text stays NUL-terminated */
}

void fig_bytes_printf(fig_bytes *b, const char *fmt, ...) {
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (k < 0) return;
    if ((size_t)k < sizeof buf) {
        fig_bytes_put(b, buf, (size_t)k);
        return;
    }
    char *big = segp_malloc((size_t)k + 1);
    va_start(ap, fmt);
    vsnprintf(big, (size_t)k + 1, fmt, ap);
    va_end(ap);
    fig_bytes_put(b, big, (size_t)k);
    free(big);
}

void fig_bytes_free(fig_bytes *b) {
    free(b->p);
    memset(b, 0, sizeof *b);
}

void fig_csv_str(fig_bytes *b, const char *s) {
    if (!s) s = "";
    if (!strpbrk(s, ",\"\n\r")) {
        fig_bytes_put(b, s, strlen(s));
        return;
    }
    fig_bytes_put(b, "\"", 1);
    for (const char *p = s; *p; p++) {
        if (*p == '"') fig_bytes_put(b, "\"", 1);
        fig_bytes_put(b, p, 1);
    }
    fig_bytes_put(b, "\"", 1);
}

void fig_csv_num(fig_bytes *b, double v) {
    if (isnan(v)) return;
    fig_bytes_printf(b, "%.9g", v);
}

void fig_csv_sep(fig_bytes *b) {
    fig_bytes_put(b, ",", 1);
}

void fig_csv_end(fig_bytes *b) {
    fig_bytes_put(b, "\n", 1);
}

static cairo_status_t stream_write(void *closure, const unsigned char *data, unsigned int n) {
    fig_bytes_put(closure, data, n);
    return CAIRO_STATUS_SUCCESS;
}

/* cairo's font-face cache and fontconfig's configuration live until exit; releasing them then
 * leaves leak checkers (make check-asan) a clean heap. Nothing draws after exit begins. */
static void release_font_caches(void) {
    cairo_debug_reset_static_data();
    FcFini();
}

static void register_release(void) {
    atexit(release_font_caches);
}

int fig_canvas_begin(fig_canvas *c, fig_format format, double w_in, double h_in, double dpi) {
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, register_release);
    memset(c, 0, sizeof *c);
    if (!(w_in >= FIG_INCH_MIN && w_in <= FIG_INCH_MAX && h_in >= FIG_INCH_MIN &&
          h_in <= FIG_INCH_MAX))
        return SEGP_FAIL("figure size %gx%g inches (expected %g..%g inches each side)", w_in,
                         h_in, FIG_INCH_MIN, FIG_INCH_MAX);
    c->format = format;
    c->w_pt = w_in * 72.0;
    c->h_pt = h_in * 72.0;
    c->dpi = dpi;
    if (format == FIG_PNG) {
        if (!(dpi >= FIG_DPI_MIN && dpi <= FIG_DPI_MAX))
            return SEGP_FAIL("dpi %g (expected %g..%g)", dpi, FIG_DPI_MIN, FIG_DPI_MAX);
        c->px_w = (int)lround(w_in * dpi);
        c->px_h = (int)lround(h_in * dpi);
        if (c->px_w > FIG_PX_MAX || c->px_h > FIG_PX_MAX)
            return SEGP_FAIL("figure of %dx%d pixels (%gx%g inches at %g dpi; at most %d a side)",
                             c->px_w, c->px_h, w_in, h_in, dpi, FIG_PX_MAX);
        c->surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, c->px_w, c->px_h);
    } else if (format == FIG_SVG) {
        c->surface = cairo_svg_surface_create_for_stream(stream_write, &c->stream, c->w_pt,
                                                         c->h_pt);
        if (cairo_surface_status(c->surface) == CAIRO_STATUS_SUCCESS)
            cairo_svg_surface_set_document_unit(c->surface, CAIRO_SVG_UNIT_PT);
    } else if (format == FIG_PDF) {
        c->surface = cairo_pdf_surface_create_for_stream(stream_write, &c->stream, c->w_pt,
                                                         c->h_pt);
    } else {
        return SEGP_FAIL("figure format %d unknown (expected png, svg or pdf)", (int)format);
    }
    if (cairo_surface_status(c->surface) != CAIRO_STATUS_SUCCESS) {
        const char *why = cairo_status_to_string(cairo_surface_status(c->surface));
        fig_canvas_discard(c);
        return SEGP_FAIL("figure surface (%s): cairo: %s", fig_format_ext(format), why);
    }
    c->cr = cairo_create(c->surface);
    if (format == FIG_PNG) cairo_scale(c->cr, dpi / 72.0, dpi / 72.0);
    /* unhinted metrics: text takes the same room in every format and at every dpi */
    cairo_font_options_t *fo = cairo_font_options_create();
    cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_OFF);
    cairo_font_options_set_hint_style(fo, CAIRO_HINT_STYLE_NONE);
    cairo_font_options_set_antialias(fo, CAIRO_ANTIALIAS_GRAY);
    cairo_set_font_options(c->cr, fo);
    cairo_font_options_destroy(fo);
    cairo_set_source_rgb(c->cr, 1, 1, 1);
    cairo_paint(c->cr);
    return 0;
}

void fig_canvas_discard(fig_canvas *c) {
    if (c->cr) cairo_destroy(c->cr);
    if (c->surface) {
        if (c->format != FIG_PNG) cairo_surface_finish(c->surface);
        cairo_surface_destroy(c->surface);
    }
    fig_bytes_free(&c->stream);
    memset(c, 0, sizeof *c);
}

static const char *meta_get(const fig_meta *meta, int n, const char *key) {
    for (int i = 0; i < n; i++)
        if (meta[i].key && !strcmp(meta[i].key, key)) return meta[i].value;
    return NULL;
}

/* SVG: the provenance as a comment after the XML declaration ("--" cannot occur in one). */
static void svg_with_comment(const fig_bytes *svg, const fig_meta *meta, int n, fig_bytes *out) {
    const uint8_t *nl = memchr(svg->p, '\n', svg->n);
    size_t head = nl && svg->n > 5 && !memcmp(svg->p, "<?xml", 5) ? (size_t)(nl - svg->p) + 1 : 0;
    fig_bytes_put(out, svg->p, head);
    fig_bytes_put(out, "<!--", 4);
    for (int i = 0; i < n; i++) {
        if (!meta[i].key || !meta[i].value) continue;
        fig_bytes_printf(out, "\n  %s: ", meta[i].key);
        for (const char *p = meta[i].value; *p; p++)
            if (!(p[0] == '-' && (p[1] == '-' || p[1] == 0))) fig_bytes_put(out, p, 1);
    }
    fig_bytes_put(out, "\n-->\n", 5);
    fig_bytes_put(out, svg->p + head, svg->n - head);
}

int fig_canvas_encode(fig_canvas *c, const fig_meta *meta, int n_meta, fig_bytes *out) {
    cairo_status_t st = cairo_status(c->cr);
    if (st != CAIRO_STATUS_SUCCESS) {
        fig_canvas_discard(c);
        return SEGP_FAIL("figure drawing: cairo: %s", cairo_status_to_string(st));
    }
    cairo_destroy(c->cr);
    c->cr = NULL;
    int rc = 0;
    if (c->format == FIG_PNG) {
        rc = fig_png_encode(c->surface, c->dpi, meta, n_meta, out);
    } else {
        if (c->format == FIG_PDF) {
            const char *v;
            if ((v = meta_get(meta, n_meta, "Title")))
                cairo_pdf_surface_set_metadata(c->surface, CAIRO_PDF_METADATA_TITLE, v);
            if ((v = meta_get(meta, n_meta, "Software")))
                cairo_pdf_surface_set_metadata(c->surface, CAIRO_PDF_METADATA_CREATOR, v);
            if ((v = meta_get(meta, n_meta, "Description")))
                cairo_pdf_surface_set_metadata(c->surface, CAIRO_PDF_METADATA_SUBJECT, v);
        }
        cairo_surface_finish(c->surface);
        st = cairo_surface_status(c->surface);
        if (st != CAIRO_STATUS_SUCCESS)
            rc = SEGP_FAIL("figure (%s): cairo: %s", fig_format_ext(c->format),
                           cairo_status_to_string(st));
        else if (c->format == FIG_SVG)
            svg_with_comment(&c->stream, meta, n_meta, out);
        else
            fig_bytes_put(out, c->stream.p, c->stream.n);
    }
    fig_canvas_discard(c);
    return rc;
}

int fig_canvas_finish(fig_canvas *c, const fig_meta *meta, int n_meta, const char *path) {
    fig_bytes b = {0};
    if (fig_canvas_encode(c, meta, n_meta, &b) != 0) return segp_fail_prefix("%s: ", path);
    int rc = segp_write_file_atomic(path, b.p, b.n);
    fig_bytes_free(&b);
    return rc;
}
