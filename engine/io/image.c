/* image.c: PNG (libpng) and JPEG (libjpeg-turbo) decoding to the bytes PIL would hold, PNG writing,
 * and the load + CLIP transform entry point.
 *
 * What PIL (Pillow 9.x, PngImagePlugin / JpegImagePlugin) opens each kind of file as, and what we
 * produce (tests/test_image.c compares both against PIL for every row of this table):
 *   PNG grey 1-bit         mode "1" (0/255)          RGB, resampled NEAREST (PIL forces it for "1")
 *   PNG grey 2/4/8-bit     mode "L" (v * 255/(2^d-1)) RGB replicated, bicubic
 *   PNG grey 16-bit        mode "I"; convert("RGB") clips to 255, so clip._transform sees an
 *                          almost white image. We take the high byte instead (deliberate).
 *   PNG grey+alpha 8-bit   mode "LA"                 RGBA, bicubic premultiplied
 *   PNG grey+alpha 16-bit  mode "RGBA" (high bytes)  RGBA, bicubic premultiplied
 *   PNG RGB 8/16-bit       mode "RGB" (high byte)    RGB, bicubic
 *   PNG RGBA 8/16-bit      mode "RGBA" (high byte)   RGBA, bicubic premultiplied
 *   PNG palette 1..8-bit   mode "P"                  palette looked up to RGB, NEAREST
 *   tRNS chunks (grey, RGB, palette) only set PIL's info["transparency"]: ignored, as there.
 *   Gamma/ICC chunks: ignored by PIL's open and here. EXIF orientation: not applied, as in PIL.
 *   JPEG grey              mode "L"                  RGB replicated, bicubic
 *   JPEG YCbCr/RGB         mode "RGB"                libjpeg's default decode (ISLOW IDCT, fancy
 *                          upsampling), which is what PIL asks for
 *   JPEG CMYK/YCCK         mode "CMYK": rejected with a message.
 * PIL's convert("RGB") of RGBA/LA simply drops alpha; the alpha only matters for the resize. */
#include <setjmp.h>
#include <stddef.h>
#include <stdio.h> /* before jpeglib.h, which needs FILE and size_t */
#include <stdlib.h>
#include <string.h>

#include <jerror.h>
#include <jpeglib.h>
#include <png.h>

#include "core/common.h"
#include "image.h"

/* ---- shared checks ---- */

static int check_size(const char *path, const char *kind, uint32_t w, uint32_t h) {
    if (w == 0 || h == 0)
        return SEGP_FAIL("%s: %s image has zero size (%ux%u)", path, kind, w, h);
    if (w > IMAGE_MAX_SIDE || h > IMAGE_MAX_SIDE ||
        (int64_t)w * (int64_t)h > IMAGE_MAX_PIXELS)
        return SEGP_FAIL("%s: %s image is %ux%u pixels, too large (expected at most %d per side "
                         "and %lld pixels)",
                         path, kind, w, h, IMAGE_MAX_SIDE, (long long)IMAGE_MAX_PIXELS);
    return 0;
}

/* ---- PNG ---- */

typedef struct {
    const uint8_t *data;
    size_t size, pos;
    char msg[200];
    jmp_buf jb;
} png_reader;

static void png_on_error(png_structp png, png_const_charp msg) {
    png_reader *r = png_get_error_ptr(png);
    snprintf(r->msg, sizeof r->msg, "%s", msg);
    longjmp(r->jb, 1);
}

static void png_on_warning(png_structp png, png_const_charp msg) {
    (void)png;
    (void)msg; /* benign (e.g. bad CRC in an ancillary chunk): PIL loads these files too */
}

static void png_read_mem(png_structp png, png_bytep out, png_size_t n) {
    png_reader *r = png_get_io_ptr(png);
    if (n > r->size - r->pos) png_error(png, "file is truncated (image data ends early)");
    memcpy(out, r->data + r->pos, n);
    r->pos += n;
}

/* Convert one raw libpng row (after png_set_packing: one byte per sample below 8 bits; 16-bit
 * samples big-endian) to our layout. */
static void png_convert_row(const uint8_t *src, int w, int color_type, int depth,
                            const png_color *pal, int npal, uint8_t *dst) {
    int bps = depth == 16 ? 2 : 1; /* bytes per sample; 16-bit keeps the high (first) byte */
    switch (color_type) {
    case PNG_COLOR_TYPE_GRAY: {
        int mul = depth >= 8 ? 1 : 255 / ((1 << depth) - 1);
        for (int x = 0; x < w; x++) {
            uint8_t v = (uint8_t)(src[x * bps] * mul);
            dst[3 * x] = dst[3 * x + 1] = dst[3 * x + 2] = v;
        }
        break;
    }
    case PNG_COLOR_TYPE_GRAY_ALPHA:
        for (int x = 0; x < w; x++) {
            uint8_t v = src[2 * x * bps], a = src[(2 * x + 1) * bps];
            dst[4 * x] = dst[4 * x + 1] = dst[4 * x + 2] = v;
            dst[4 * x + 3] = a;
        }
        break;
    case PNG_COLOR_TYPE_RGB:
        for (int x = 0; x < 3 * w; x++) dst[x] = src[x * bps];
        break;
    case PNG_COLOR_TYPE_RGB_ALPHA:
        for (int x = 0; x < 4 * w; x++) dst[x] = src[x * bps];
        break;
    case PNG_COLOR_TYPE_PALETTE:
        for (int x = 0; x < w; x++) {
            int i = src[x];
            /* PIL's palette starts as a grey ramp: indices beyond PLTE give (i, i, i). */
            png_color c = i < npal ? pal[i] : (png_color){(png_byte)i, (png_byte)i, (png_byte)i};
            dst[3 * x] = c.red;
            dst[3 * x + 1] = c.green;
            dst[3 * x + 2] = c.blue;
        }
        break;
    }
}

static int png_decode(const char *path, const uint8_t *data, size_t size, image_decoded *out) {
    /* Size check from IHDR before libpng allocates anything. */
    if (size < 33 || memcmp(data + 12, "IHDR", 4) != 0)
        return SEGP_FAIL("%s: truncated or corrupt PNG (no IHDR chunk)", path);
    uint32_t w = (uint32_t)data[16] << 24 | (uint32_t)data[17] << 16 | (uint32_t)data[18] << 8 |
                 data[19];
    uint32_t h = (uint32_t)data[20] << 24 | (uint32_t)data[21] << 16 | (uint32_t)data[22] << 8 |
                 data[23];
    if (check_size(path, "PNG", w, h)) return -1;

    png_reader rd = {.data = data, .size = size, .pos = 0};
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &rd, png_on_error,
                                             png_on_warning);
    if (!png) return SEGP_FAIL("%s: cannot initialise libpng", path);
    png_infop info = png_create_info_struct(png);
    /* Everything that must be freed after a longjmp lives in volatile locals. */
    uint8_t *volatile raw = NULL;
    uint8_t *volatile px = NULL;
    png_bytep *volatile rows = NULL; /* interlaced images: row pointers into raw */
    if (!info) {
        png_destroy_read_struct(&png, NULL, NULL);
        return SEGP_FAIL("%s: cannot initialise libpng", path);
    }
    if (setjmp(rd.jb)) {
        png_destroy_read_struct(&png, &info, NULL);
        free(raw);
        free(px);
        free(rows);
        return SEGP_FAIL("%s: truncated or corrupt PNG (libpng: %s)", path, rd.msg);
    }
    png_set_user_limits(png, IMAGE_MAX_SIDE, IMAGE_MAX_SIDE);
    /* Only the pixels matter (PIL's convert("RGB") applies no ancillary chunk), so libpng skips
     * every ancillary chunk in small reads. Otherwise it allocates whatever length a text chunk
     * declares before reading it: 2 GiB for a 1 KiB file (found by fuzzing). */
    png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_NEVER, NULL, -1);
    png_set_chunk_malloc_max(png, 1u << 20);
    png_set_read_fn(png, &rd, png_read_mem);
    png_read_info(png, info);
    int depth = png_get_bit_depth(png, info);
    int ctype = png_get_color_type(png, info);
    int interlace = png_get_interlace_type(png, info);
    png_colorp pal = NULL;
    int npal = 0;
    if (ctype == PNG_COLOR_TYPE_PALETTE && !png_get_PLTE(png, info, &pal, &npal))
        png_error(png, "palette image without a PLTE chunk");
    if (depth < 8) png_set_packing(png);
    int passes = png_set_interlace_handling(png);
    png_read_update_info(png, info);
    size_t rowbytes = png_get_rowbytes(png, info);

    int ch = (ctype == PNG_COLOR_TYPE_GRAY_ALPHA || ctype == PNG_COLOR_TYPE_RGB_ALPHA) ? 4 : 3;
    const size_t out_row = (size_t)w * (size_t)ch;
    px = segp_malloc(out_row * h);
    if (interlace == PNG_INTERLACE_NONE) {
        raw = segp_malloc(rowbytes);
        for (uint32_t y = 0; y < h; y++) {
            png_read_row(png, raw, NULL);
            png_convert_row(raw, (int)w, ctype, depth, pal, npal, px + y * out_row);
        }
    } else {
        /* Adam7 needs the whole raw image across its passes. */
        raw = segp_malloc(rowbytes * h);
        rows = segp_malloc(h * sizeof(png_bytep));
        for (uint32_t y = 0; y < h; y++) rows[y] = raw + y * rowbytes;
        for (int p = 0; p < passes; p++) png_read_rows(png, rows, NULL, h);
        free(rows);
        rows = NULL;
        for (uint32_t y = 0; y < h; y++)
            png_convert_row(raw + y * rowbytes, (int)w, ctype, depth, pal, npal, px + y * out_row);
    }
    /* Like PIL, nothing after the image data (text chunks, IEND) is required. */
    png_destroy_read_struct(&png, &info, NULL);
    free(raw);

    out->width = (int)w;
    out->height = (int)h;
    out->channels = ch;
    out->px = px;
    if (ctype == PNG_COLOR_TYPE_PALETTE || (ctype == PNG_COLOR_TYPE_GRAY && depth == 1))
        out->resample = IMAGE_RESAMPLE_NEAREST;
    else if (ch == 4)
        out->resample = IMAGE_RESAMPLE_ALPHA;
    else
        out->resample = IMAGE_RESAMPLE_PLAIN;
    return 0;
}

/* ---- JPEG ---- */

typedef struct {
    struct jpeg_error_mgr mgr;
    struct jpeg_progress_mgr progress;
    jmp_buf jb;
    int too_many_scans;
    char msg[JMSG_LENGTH_MAX];
} jpeg_err;

static void jpeg_on_error(j_common_ptr cinfo) {
    jpeg_err *e = (jpeg_err *)cinfo->err;
    e->mgr.format_message(cinfo, e->msg);
    longjmp(e->jb, 1);
}

/* libjpeg reports damaged data (truncation, bad Huffman codes) as warnings and goes on with gray
 * filler; we make those errors (PIL also refuses truncated files). Harmless warnings (extra bytes
 * before a marker, unknown JFIF revision, bad ICC marker) are ignored, as PIL loads those files. */
static void jpeg_on_message(j_common_ptr cinfo, int level) {
    if (level >= 0) return; /* trace messages */
    jpeg_err *e = (jpeg_err *)cinfo->err;
    switch (e->mgr.msg_code) {
    case JWRN_JPEG_EOF:
    case JWRN_HIT_MARKER:
    case JWRN_HUFF_BAD_CODE:
    case JWRN_MUST_RESYNC:
    case JWRN_BOGUS_PROGRESSION:
    case JWRN_NOT_SEQUENTIAL:
        e->mgr.format_message(cinfo, e->msg);
        longjmp(e->jb, 1);
    default:
        e->mgr.num_warnings++;
    }
}

/* libjpeg calls this between units of input while jpeg_start_decompress absorbs a progressive
 * file's scans, which is where their cost lies; it stops the decode once the scan count passes
 * IMAGE_MAX_JPEG_SCANS. */
static void jpeg_on_progress(j_common_ptr cinfo) {
    j_decompress_ptr d = (j_decompress_ptr)cinfo;
    if (d->progressive_mode && d->input_scan_number > IMAGE_MAX_JPEG_SCANS) {
        jpeg_err *e = (jpeg_err *)cinfo->err;
        e->too_many_scans = 1;
        longjmp(e->jb, 1);
    }
}

static int jpeg_decode(const char *path, const uint8_t *data, size_t size, image_decoded *out) {
    struct jpeg_decompress_struct cinfo;
    jpeg_err err;
    uint8_t *volatile px = NULL;
    memset(&cinfo, 0, sizeof cinfo);
    cinfo.err = jpeg_std_error(&err.mgr);
    err.mgr.error_exit = jpeg_on_error;
    err.mgr.emit_message = jpeg_on_message;
    err.msg[0] = 0;
    err.too_many_scans = 0;
    memset(&err.progress, 0, sizeof err.progress);
    err.progress.progress_monitor = jpeg_on_progress;
    if (setjmp(err.jb)) {
        jpeg_destroy_decompress(&cinfo);
        free(px);
        if (err.too_many_scans)
            return SEGP_FAIL("%s: progressive JPEG with more than %d scans (expected at most %d: "
                             "each scan is a pass over the whole image; jpegtran rewrites it "
                             "losslessly as a sequential JPEG)",
                             path, IMAGE_MAX_JPEG_SCANS, IMAGE_MAX_JPEG_SCANS);
        return SEGP_FAIL("%s: truncated or corrupt JPEG (libjpeg: %s)", path, err.msg);
    }
    jpeg_create_decompress(&cinfo);
    cinfo.progress = &err.progress;
    jpeg_mem_src(&cinfo, data, (unsigned long)size);
    jpeg_read_header(&cinfo, TRUE);
    if (check_size(path, "JPEG", cinfo.image_width, cinfo.image_height)) {
        jpeg_destroy_decompress(&cinfo);
        return -1;
    }
    if (cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK) {
        jpeg_destroy_decompress(&cinfo);
        return SEGP_FAIL("%s: CMYK JPEG is not supported (expected a grey or colour (YCbCr/RGB) "
                         "JPEG; convert it to RGB first)",
                         path);
    }
    int grey = cinfo.jpeg_color_space == JCS_GRAYSCALE;
    if (!grey && cinfo.num_components != 3) {
        int nc = cinfo.num_components;
        jpeg_destroy_decompress(&cinfo);
        return SEGP_FAIL("%s: JPEG with %d colour components is not supported (expected 1 or 3)",
                         path, nc);
    }
    /* Only the output colour space is set, as PIL does; DCT method and upsampling stay at
     * libjpeg's defaults (JDCT_ISLOW, fancy upsampling). */
    cinfo.out_color_space = grey ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_start_decompress(&cinfo);
    const int w = (int)cinfo.output_width, h = (int)cinfo.output_height;
    px = segp_malloc((size_t)w * (size_t)h * 3);
    while (cinfo.output_scanline < cinfo.output_height) {
        uint8_t *row = px + (size_t)cinfo.output_scanline * (size_t)w * 3;
        JSAMPROW rp = row;
        if (jpeg_read_scanlines(&cinfo, &rp, 1) != 1) {
            snprintf(err.msg, sizeof err.msg, "no scanline returned");
            longjmp(err.jb, 1);
        }
        if (grey) /* expand in place, from the right */
            for (int x = w - 1; x >= 0; x--) row[3 * x] = row[3 * x + 1] = row[3 * x + 2] = row[x];
    }
    /* PIL stops after the last scanline as well; trailing garbage is not an error. */
    jpeg_abort_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    out->width = w;
    out->height = h;
    out->channels = 3;
    out->px = px;
    out->resample = IMAGE_RESAMPLE_PLAIN;
    return 0;
}

/* ---- public ---- */

image_format image_sniff(const void *head, size_t n) {
    static const uint8_t png_sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    const uint8_t *d = head;
    if (n >= 8 && memcmp(d, png_sig, 8) == 0) return IMAGE_PNG;
    if (n >= 3 && d[0] == 0xFF && d[1] == 0xD8 && d[2] == 0xFF) return IMAGE_JPEG;
    return IMAGE_NOT_IMAGE;
}

int image_check_head(const char *name, const void *head, size_t n) {
    if (n == 0) return SEGP_FAIL("%s: empty file (expected a PNG or JPEG image)", name);
    if (image_sniff(head, n) == IMAGE_NOT_IMAGE)
        return SEGP_FAIL("%s: not a PNG or JPEG image (unrecognised file signature)", name);
    return 0;
}

int image_decode_memory(const char *name, const void *data, size_t size, image_decoded *out) {
    memset(out, 0, sizeof *out);
    if (image_check_head(name, data, size) != 0) return -1;
    return image_sniff(data, size) == IMAGE_PNG ? png_decode(name, data, size, out)
                                                : jpeg_decode(name, data, size, out);
}

int image_decode(const char *path, image_decoded *out) {
    memset(out, 0, sizeof *out);
    uint8_t *data;
    size_t size;
    if (segp_read_file(path, &data, &size)) return -1;
    int rc = image_decode_memory(path, data, size, out);
    free(data);
    return rc;
}

void image_decoded_free(image_decoded *img) {
    if (!img) return;
    free(img->px);
    img->px = NULL;
}

/* The RGB bytes of a decoded image (alpha dropped), taking over its buffer. */
static void decoded_to_rgb(image_decoded *d, image_rgb *out) {
    out->width = d->width;
    out->height = d->height;
    if (d->channels == 3) {
        out->rgb = d->px;
    } else {
        size_t n = (size_t)d->width * (size_t)d->height;
        out->rgb = segp_malloc(n * 3);
        for (size_t i = 0; i < n; i++) memcpy(out->rgb + 3 * i, d->px + 4 * i, 3);
        free(d->px);
    }
    d->px = NULL;
}

int image_load(const char *path, image_rgb *out) {
    memset(out, 0, sizeof *out);
    image_decoded d;
    if (image_decode(path, &d)) return -1;
    decoded_to_rgb(&d, out);
    return 0;
}

int image_load_memory(const char *name, const void *data, size_t size, image_rgb *out) {
    memset(out, 0, sizeof *out);
    image_decoded d;
    if (image_decode_memory(name, data, size, &d)) return -1;
    decoded_to_rgb(&d, out);
    return 0;
}

void image_free(image_rgb *img) {
    if (!img) return;
    free(img->rgb);
    img->rgb = NULL;
}

int image_load_clip(const char *path, int n_px, float *out) {
    if (n_px < 1) return SEGP_FAIL("%s: resolution %d is invalid (expected >= 1)", path, n_px);
    image_decoded d;
    if (image_decode(path, &d)) return -1;
    image_decoded_clip_transform(&d, n_px, out);
    image_decoded_free(&d);
    return 0;
}

/* ---- PNG writing ---- */

typedef struct {
    uint8_t *buf;
    size_t len, cap;
    char msg[200];
    jmp_buf jb;
} png_writer;

static void png_write_mem(png_structp png, png_bytep data, png_size_t n) {
    png_writer *w = png_get_io_ptr(png);
    if (w->len + n > w->cap) {
        size_t cap = w->cap ? w->cap : 4096;
        while (cap < w->len + n) cap *= 2;
        w->buf = segp_realloc(w->buf, cap);
        w->cap = cap;
    }
    memcpy(w->buf + w->len, data, n);
    w->len += n;
}

static void png_flush_mem(png_structp png) { (void)png; }

static void png_write_on_error(png_structp png, png_const_charp msg) {
    png_writer *w = png_get_error_ptr(png);
    snprintf(w->msg, sizeof w->msg, "%s", msg);
    longjmp(w->jb, 1);
}

int image_write_png(const char *path, const image_rgb *img) {
    if (img->width < 1 || img->height < 1 || !img->rgb)
        return SEGP_FAIL("%s: cannot write an empty image (%dx%d)", path, img->width,
                         img->height);
    png_writer wr = {0};
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &wr, png_write_on_error,
                                              png_on_warning);
    if (!png) return SEGP_FAIL("%s: cannot initialise libpng", path);
    png_infop info = png_create_info_struct(png);
    if (!info) {
        png_destroy_write_struct(&png, NULL);
        return SEGP_FAIL("%s: cannot initialise libpng", path);
    }
    if (setjmp(wr.jb)) {
        png_destroy_write_struct(&png, &info);
        free(wr.buf);
        return SEGP_FAIL("%s: cannot encode PNG (libpng: %s)", path, wr.msg);
    }
    png_set_write_fn(png, &wr, png_write_mem, png_flush_mem);
    png_set_IHDR(png, info, (png_uint_32)img->width, (png_uint_32)img->height, 8,
                 PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (int y = 0; y < img->height; y++)
        png_write_row(png, img->rgb + (size_t)y * (size_t)img->width * 3);
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
    int rc = segp_write_file_atomic(path, wr.buf, wr.len);
    free(wr.buf);
    return rc;
}
