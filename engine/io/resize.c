/* resize.c: PIL-exact resampling of 8-bit interleaved images (bicubic with antialiasing, nearest,
 * premultiplied alpha) and CLIP's evaluation transform (clip._transform(n_px)).
 *
 * Bicubic follows Pillow's libImaging/Resample.c (ImagingResample with box (0, 0, w, h)):
 * - per axis, scale = in / out, filterscale = max(scale, 1), support = 2 * filterscale; output
 *   pixel i takes input pixels [xmin, xmin + n) with center = (i + 0.5) * scale,
 *   xmin = max(0, (int)(center - support + 0.5)), xmax = min(in, (int)(center + support + 0.5));
 *   weights cubic((x + xmin - center + 0.5) / filterscale) with a = -0.5, divided by their sum,
 *   then rounded (half away from zero) to fixed point with 22 fractional bits;
 * - the horizontal pass runs first (only when the width changes), its result is rounded to
 *   8 bits; then the vertical pass (only when the height changes) on that 8-bit intermediate;
 * - accumulators start at 1 << 21 (rounding), the result is ss >> 22 clipped to [0, 255].
 * Exactness needs the same double arithmetic as Pillow's C build, which has no fused multiply-add:
 * contraction is switched off for this file. */
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/common.h"
#include "image.h"

#define PRECISION_BITS (32 - 8 - 2)

/* torchvision's Normalize converts these Python floats to float32 tensors: double -> float. */
const float clip_image_mean[3] = {(float)0.48145466, (float)0.4578275, (float)0.40821073};
const float clip_image_std[3] = {(float)0.26862954, (float)0.26130258, (float)0.27577711};

static double bicubic_filter(double x) {
    const double a = -0.5;
    if (x < 0.0) x = -x;
    if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
    if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
    return 0.0;
}

typedef struct {
    int ksize;      /* coefficients per output pixel */
    int *bounds;    /* 2 per output pixel: first input index, count */
    int32_t *k;     /* out_size * ksize fixed-point weights */
} axis_coeffs;

/* Coefficients for output pixels [o0, o0 + n) of an in_size -> out_size axis. */
static void axis_coeffs_init(axis_coeffs *c, int in_size, int out_size, int o0, int n) {
    /* Pillow: scale = (double)(in1 - in0) / outSize with float box coordinates in0 = 0,
     * in1 = in_size (exact: in_size <= 65535). */
    double scale = (double)(float)in_size / out_size;
    double filterscale = scale < 1.0 ? 1.0 : scale;
    double support = 2.0 * filterscale;
    int ksize = (int)ceil(support) * 2 + 1;
    double *w = segp_malloc((size_t)ksize * sizeof(double));
    c->ksize = ksize;
    c->bounds = segp_malloc((size_t)n * 2 * sizeof(int));
    c->k = segp_calloc((size_t)n * (size_t)ksize, sizeof(int32_t));
    for (int i = 0; i < n; i++) {
        int xx = o0 + i;
        double center = 0.0 + (xx + 0.5) * scale;
        double ww = 0.0, ss = 1.0 / filterscale;
        int xmin = (int)(center - support + 0.5);
        if (xmin < 0) xmin = 0;
        int xmax = (int)(center + support + 0.5);
        if (xmax > in_size) xmax = in_size;
        xmax -= xmin;
        for (int x = 0; x < xmax; x++) {
            w[x] = bicubic_filter((x + xmin - center + 0.5) * ss);
            ww += w[x];
        }
        int32_t *k = c->k + (size_t)i * (size_t)ksize;
        for (int x = 0; x < xmax; x++) {
            double v = ww != 0.0 ? w[x] / ww : w[x];
            k[x] = v < 0 ? (int32_t)(-0.5 + v * (1 << PRECISION_BITS))
                         : (int32_t)(0.5 + v * (1 << PRECISION_BITS));
        }
        c->bounds[2 * i] = xmin;
        c->bounds[2 * i + 1] = xmax;
    }
    free(w);
}

static void axis_coeffs_free(axis_coeffs *c) {
    free(c->bounds);
    free(c->k);
}

static inline uint8_t clip8(int32_t ss) {
    int32_t v = ss >> PRECISION_BITS; /* arithmetic shift, as Pillow relies on */
    return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
}

/* Horizontal pass: rows [0, rows) of src (width sw) into dst (width n = window), ch channels. */
static void pass_horizontal(const uint8_t *src, int sw, int rows, int ch, const axis_coeffs *c,
                            int n, uint8_t *dst) {
    const size_t work = (size_t)rows * (size_t)n * (size_t)c->ksize;
#pragma omp parallel for schedule(static) if (work > (1u << 18))
    for (int y = 0; y < rows; y++) {
        const uint8_t *row = src + (size_t)y * (size_t)sw * (size_t)ch;
        uint8_t *out = dst + (size_t)y * (size_t)n * (size_t)ch;
        for (int i = 0; i < n; i++) {
            int xmin = c->bounds[2 * i], cnt = c->bounds[2 * i + 1];
            const int32_t *k = c->k + (size_t)i * (size_t)c->ksize;
            const uint8_t *p = row + (size_t)xmin * (size_t)ch;
            for (int b = 0; b < ch; b++) {
                int32_t ss = 1 << (PRECISION_BITS - 1);
                for (int x = 0; x < cnt; x++) ss += (int32_t)p[x * ch + b] * k[x];
                out[i * ch + b] = clip8(ss);
            }
        }
    }
}

/* Vertical pass: src rows start at input row `row0`; dst has n rows of width w. */
static void pass_vertical(const uint8_t *src, int w, int row0, int ch, const axis_coeffs *c, int n,
                          uint8_t *dst) {
    const size_t stride = (size_t)w * (size_t)ch;
    const size_t work = (size_t)w * (size_t)n * (size_t)c->ksize;
#pragma omp parallel for schedule(static) if (work > (1u << 18))
    for (int j = 0; j < n; j++) {
        int ymin = c->bounds[2 * j] - row0, cnt = c->bounds[2 * j + 1];
        const int32_t *k = c->k + (size_t)j * (size_t)c->ksize;
        const uint8_t *base = src + (size_t)ymin * stride;
        uint8_t *out = dst + (size_t)j * stride;
        for (size_t e = 0; e < stride; e++) {
            int32_t ss = 1 << (PRECISION_BITS - 1);
            for (int y = 0; y < cnt; y++) ss += (int32_t)base[(size_t)y * stride + e] * k[y];
            out[e] = clip8(ss);
        }
    }
}

void image_resample_bicubic_u8(const uint8_t *in, int in_w, int in_h, int channels, int out_w,
                               int out_h, int ox, int oy, int ow, int oh, uint8_t *out) {
    SEGP_CHECK(in_w > 0 && in_h > 0 && out_w > 0 && out_h > 0 && channels > 0, "sizes");
    SEGP_CHECK(ox >= 0 && oy >= 0 && ow > 0 && oh > 0 && ox + ow <= out_w && oy + oh <= out_h,
               "window inside the output");
    int need_h = out_w != in_w, need_v = out_h != in_h;
    const size_t ch = (size_t)channels;

    /* Rows of the input the window needs (all of the window's rows when no vertical pass). */
    axis_coeffs cv = {0};
    int row0 = oy, row1 = oy + oh;
    if (need_v) {
        axis_coeffs_init(&cv, in_h, out_h, oy, oh);
        row0 = cv.bounds[0];
        row1 = cv.bounds[2 * (oh - 1)] + cv.bounds[2 * (oh - 1) + 1];
    }

    /* Horizontal pass (or a copy of the window's columns). */
    const uint8_t *mid = NULL;
    uint8_t *tmp = NULL;
    int mid_w;
    if (need_h) {
        axis_coeffs chz;
        axis_coeffs_init(&chz, in_w, out_w, ox, ow);
        tmp = segp_malloc((size_t)(row1 - row0) * (size_t)ow * ch);
        pass_horizontal(in + (size_t)row0 * (size_t)in_w * ch, in_w, row1 - row0, channels, &chz,
                        ow, tmp);
        axis_coeffs_free(&chz);
        mid = tmp;
        mid_w = ow;
    } else if (ox == 0 && ow == in_w) {
        mid = in + (size_t)row0 * (size_t)in_w * ch;
        mid_w = in_w;
    } else {
        tmp = segp_malloc((size_t)(row1 - row0) * (size_t)ow * ch);
        for (int y = row0; y < row1; y++)
            memcpy(tmp + (size_t)(y - row0) * (size_t)ow * ch,
                   in + ((size_t)y * (size_t)in_w + (size_t)ox) * ch, (size_t)ow * ch);
        mid = tmp;
        mid_w = ow;
    }

    if (need_v) {
        pass_vertical(mid, mid_w, row0, channels, &cv, oh, out);
        axis_coeffs_free(&cv);
    } else {
        memcpy(out, mid, (size_t)oh * (size_t)mid_w * ch);
    }
    free(tmp);
}

/* Pillow's NEAREST resize: an affine scale with a = in/out per axis, sampling input
 * COORD(0 + a * 0.5 + i * a), the position accumulated by repeated addition exactly as
 * ImagingScaleAffine does. tab receives the n entries from output index o0 on. */
static void nearest_table(int in_size, int out_size, int o0, int n, int *tab) {
    double a = (double)(float)in_size / out_size;
    double xo = 0.0 + a * 0.5;
    for (int x = 0; x < o0 + n; x++) {
        if (x >= o0) {
            int xin = xo < 0.0 ? -1 : (int)xo;
            tab[x - o0] = xin < in_size ? xin : -1; /* outside: Pillow leaves zeros */
        }
        xo += a;
    }
}

void image_resample_nearest_u8(const uint8_t *in, int in_w, int in_h, int channels, int out_w,
                               int out_h, int ox, int oy, int ow, int oh, uint8_t *out) {
    SEGP_CHECK(in_w > 0 && in_h > 0 && out_w > 0 && out_h > 0 && channels > 0, "sizes");
    SEGP_CHECK(ox >= 0 && oy >= 0 && ow > 0 && oh > 0 && ox + ow <= out_w && oy + oh <= out_h,
               "window inside the output");
    const size_t ch = (size_t)channels;
    if (out_w == in_w && out_h == in_h) { /* Pillow returns a copy */
        for (int y = 0; y < oh; y++)
            memcpy(out + (size_t)y * (size_t)ow * ch,
                   in + ((size_t)(oy + y) * (size_t)in_w + (size_t)ox) * ch, (size_t)ow * ch);
        return;
    }
    int *xt = segp_malloc((size_t)ow * sizeof(int));
    int *yt = segp_malloc((size_t)oh * sizeof(int));
    nearest_table(in_w, out_w, ox, ow, xt);
    nearest_table(in_h, out_h, oy, oh, yt);
    for (int y = 0; y < oh; y++) {
        uint8_t *o = out + (size_t)y * (size_t)ow * ch;
        int yi = yt[y];
        for (int x = 0; x < ow; x++) {
            int xi = xt[x];
            if (yi < 0 || xi < 0)
                memset(o + (size_t)x * ch, 0, ch);
            else
                memcpy(o + (size_t)x * ch, in + ((size_t)yi * (size_t)in_w + (size_t)xi) * ch, ch);
        }
    }
    free(xt);
    free(yt);
}

void image_resize_bicubic(const image_rgb *in, int out_w, int out_h, image_rgb *out) {
    out->width = out_w;
    out->height = out_h;
    out->rgb = segp_malloc((size_t)out_w * (size_t)out_h * 3);
    image_resample_bicubic_u8(in->rgb, in->width, in->height, 3, out_w, out_h, 0, 0, out_w, out_h,
                              out->rgb);
}

/* Python's int(round(v / 2.0)) for an integer v >= 0: halves go to the even neighbour. */
static int round_half_even_div2(int v) {
    int q = v / 2;
    if (v % 2 == 0) return q;
    return (q % 2 == 0) ? q : q + 1;
}

void image_clip_geometry(int w, int h, int n_px, int *rw, int *rh, int *crop_x, int *crop_y) {
    /* torchvision _compute_resized_output_size: short side = n_px, long side =
     * int(n_px * long / short) with Python's correctly rounded true division (same as IEEE
     * double division of the exact integers). */
    int sw, sh;
    if (w <= h) {
        sw = n_px;
        sh = (int)((double)((int64_t)n_px * h) / (double)w);
    } else {
        sh = n_px;
        sw = (int)((double)((int64_t)n_px * w) / (double)h);
    }
    *rw = sw;
    *rh = sh;
    /* CenterCrop: the resized image is never smaller than n_px, so no padding case. */
    *crop_x = round_half_even_div2(sw - n_px);
    *crop_y = round_half_even_div2(sh - n_px);
}

/* ToTensor + Normalize in float32, in torchvision's order: (v / 255 - mean) / std. */
void image_clip_normalize(const uint8_t *rgb, int n_px, float *out) {
    float table[3][256];
    for (int c = 0; c < 3; c++)
        for (int v = 0; v < 256; v++)
            table[c][v] = ((float)v / 255.0f - clip_image_mean[c]) / clip_image_std[c];
    const size_t plane = (size_t)n_px * (size_t)n_px;
    for (size_t i = 0; i < plane; i++)
        for (int c = 0; c < 3; c++) out[(size_t)c * plane + i] = table[c][rgb[i * 3 + (size_t)c]];
}

/* Pillow's RGBA -> RGBa (MULDIV255) and RGBa -> RGBA (255 * v / a, clipped; a in {0, 255} kept). */
static void premultiply(uint8_t *px, size_t n) {
    for (size_t i = 0; i < n; i++) {
        uint32_t a = px[4 * i + 3];
        for (int c = 0; c < 3; c++) {
            uint32_t t = px[4 * i + (size_t)c] * a + 128;
            px[4 * i + (size_t)c] = (uint8_t)(((t >> 8) + t) >> 8);
        }
    }
}

static void unpremultiply_to_rgb(const uint8_t *rgba, size_t n, uint8_t *rgb) {
    for (size_t i = 0; i < n; i++) {
        uint32_t a = rgba[4 * i + 3];
        for (int c = 0; c < 3; c++) {
            uint32_t v = rgba[4 * i + (size_t)c];
            if (a != 255 && a != 0) {
                v = 255 * v / a;
                if (v > 255) v = 255;
            }
            rgb[3 * i + (size_t)c] = (uint8_t)v;
        }
    }
}

/* The window (ox, oy, ow, oh) of the file resized to (out_w, out_h) the way PIL's resize does for
 * its mode, converted to RGB: out is oh * ow * 3 bytes. */
static void decoded_resize_window(const image_decoded *img, int out_w, int out_h, int ox, int oy,
                                  int ow, int oh, uint8_t *out) {
    const size_t n = (size_t)ow * (size_t)oh;
    switch (img->resample) {
    case IMAGE_RESAMPLE_NEAREST:
        SEGP_CHECK(img->channels == 3, "palette images decode to RGB");
        image_resample_nearest_u8(img->px, img->width, img->height, 3, out_w, out_h, ox, oy, ow,
                                  oh, out);
        break;
    case IMAGE_RESAMPLE_ALPHA:
        if (img->channels == 4 && !(out_w == img->width && out_h == img->height)) {
            /* Image.resize converts RGBA -> RGBa, resizes, converts back to RGBA. */
            size_t npx = (size_t)img->width * (size_t)img->height;
            uint8_t *pm = segp_malloc(npx * 4), *r = segp_malloc(n * 4);
            memcpy(pm, img->px, npx * 4);
            premultiply(pm, npx);
            image_resample_bicubic_u8(pm, img->width, img->height, 4, out_w, out_h, ox, oy, ow, oh,
                                      r);
            unpremultiply_to_rgb(r, n, out);
            free(pm);
            free(r);
            break;
        }
        /* same size (PIL copies): plain path */
        __attribute__((fallthrough));
    case IMAGE_RESAMPLE_PLAIN:
    default:
        if (img->channels == 3) {
            image_resample_bicubic_u8(img->px, img->width, img->height, 3, out_w, out_h, ox, oy,
                                      ow, oh, out);
        } else {
            uint8_t *r = segp_malloc(n * 4);
            image_resample_bicubic_u8(img->px, img->width, img->height, 4, out_w, out_h, ox, oy,
                                      ow, oh, r);
            for (size_t i = 0; i < n; i++) memcpy(out + 3 * i, r + 4 * i, 3);
            free(r);
        }
        break;
    }
}

void image_decoded_resize_rgb(const image_decoded *img, int out_w, int out_h, uint8_t *out) {
    decoded_resize_window(img, out_w, out_h, 0, 0, out_w, out_h, out);
}

void image_decoded_clip_crop(const image_decoded *img, int n_px, uint8_t *out) {
    SEGP_CHECK(n_px >= 1, "resolution >= 1 (image_load_clip checks it)");
    int rw, rh, cx, cy;
    image_clip_geometry(img->width, img->height, n_px, &rw, &rh, &cx, &cy);
    decoded_resize_window(img, rw, rh, cx, cy, n_px, n_px, out);
}

void image_decoded_clip_transform(const image_decoded *img, int n_px, float *out) {
    uint8_t *crop = segp_malloc((size_t)n_px * (size_t)n_px * 3);
    image_decoded_clip_crop(img, n_px, crop);
    image_clip_normalize(crop, n_px, out);
    free(crop);
}

void image_clip_crop(const image_rgb *in, int n_px, uint8_t *out) {
    image_decoded d = {in->width, in->height, 3, in->rgb, IMAGE_RESAMPLE_PLAIN};
    image_decoded_clip_crop(&d, n_px, out);
}

void image_clip_transform(const image_rgb *in, int n_px, float *out) {
    image_decoded d = {in->width, in->height, 3, in->rgb, IMAGE_RESAMPLE_PLAIN};
    image_decoded_clip_transform(&d, n_px, out);
}
