/* augment.c: counter-based RNG, RandomResizedCrop + horizontal flip, and the CLIP training
 * transform built from them (see augment.h). */
#include "augment.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/common.h"

/* ---- RNG: SplitMix64's finaliser over a keyed counter ---- */

static uint64_t mix64(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

aug_rng aug_rng_make(uint64_t seed, uint64_t epoch, uint64_t index, uint64_t stream) {
    /* Chained hashing so that (seed, epoch, index, stream) tuples that differ in any field give
     * unrelated keys (a plain sum or xor would collide, e.g. (epoch+1, index-1)). */
    uint64_t k = mix64(seed ^ 0x6a09e667f3bcc909ull);
    k = mix64(k ^ (epoch + 0x3c6ef372fe94f82bull));
    k = mix64(k ^ (index + 0xa54ff53a5f1d36f1ull));
    k = mix64(k ^ (stream + 0x510e527fade682d1ull));
    return (aug_rng){k, 0};
}

uint64_t aug_rng_u64(aug_rng *r) {
    r->ctr++;
    return mix64(r->key + r->ctr * 0x9e3779b97f4a7c15ull);
}

double aug_rng_uniform(aug_rng *r) { return (double)(aug_rng_u64(r) >> 11) * 0x1.0p-53; }

double aug_rng_range(aug_rng *r, double lo, double hi) {
    return lo + (hi - lo) * aug_rng_uniform(r);
}

int aug_rng_int(aug_rng *r, int lo, int hi) {
    if (hi <= lo) return lo;
    uint64_t range = (uint64_t)((int64_t)hi - lo) + 1;
    uint64_t limit = UINT64_MAX - UINT64_MAX % range; /* reject the biased tail */
    uint64_t v;
    do v = aug_rng_u64(r);
    while (v >= limit);
    return lo + (int)(v % range);
}

/* ---- crop parameters ---- */

void augment_config_default(augment_config *c, int size, uint64_t seed) {
    c->size = size;
    c->scale_lo = 0.08;
    c->scale_hi = 1.0;
    c->ratio_lo = 3.0 / 4.0;
    c->ratio_hi = 4.0 / 3.0;
    c->flip_p = 0.5;
    c->seed = seed;
}

void augment_crop_box(int width, int height, double scale_lo, double scale_hi, double ratio_lo,
                      double ratio_hi, aug_rng *r, augment_params *out) {
    double area = (double)width * (double)height;
    double log_lo = log(ratio_lo), log_hi = log(ratio_hi);
    for (int attempt = 1; attempt <= 10; attempt++) {
        double target = area * aug_rng_range(r, scale_lo, scale_hi);
        double aspect = exp(aug_rng_range(r, log_lo, log_hi));
        /* rint rounds half to even in the default rounding mode, as Python's round(). */
        int w = (int)rint(sqrt(target * aspect));
        int h = (int)rint(sqrt(target / aspect));
        if (w > 0 && w <= width && h > 0 && h <= height) {
            out->y = aug_rng_int(r, 0, height - h);
            out->x = aug_rng_int(r, 0, width - w);
            out->w = w;
            out->h = h;
            out->attempt = attempt;
            return;
        }
    }
    /* Fallback: centre crop, aspect ratio clamped into [ratio_lo, ratio_hi]. */
    double in_ratio = (double)width / (double)height;
    int w, h;
    if (in_ratio < ratio_lo) {
        w = width;
        h = (int)rint(w / ratio_lo);
    } else if (in_ratio > ratio_hi) {
        h = height;
        w = (int)rint(h * ratio_hi);
    } else {
        w = width;
        h = height;
    }
    out->w = w;
    out->h = h;
    out->y = (height - h) / 2;
    out->x = (width - w) / 2;
    out->attempt = 0;
}

void augment_sample_params(const augment_config *c, int epoch, int64_t index, int width,
                           int height, augment_params *out) {
    aug_rng rc = aug_rng_make(c->seed, (uint64_t)epoch, (uint64_t)index, 0);
    augment_crop_box(width, height, c->scale_lo, c->scale_hi, c->ratio_lo, c->ratio_hi, &rc, out);
    aug_rng rf = aug_rng_make(c->seed, (uint64_t)epoch, (uint64_t)index, 1);
    out->flip = aug_rng_uniform(&rf) < c->flip_p; /* torch: flip when rand(1) < p */
}

/* ---- applying ---- */

void augment_apply(const image_rgb *in, const augment_params *p, int size, image_rgb *out) {
    SEGP_CHECK(p->x >= 0 && p->y >= 0 && p->w > 0 && p->h > 0 && p->x + p->w <= in->width &&
                   p->y + p->h <= in->height,
               "crop box inside the image");
    image_rgb crop = {p->w, p->h, segp_malloc((size_t)p->w * (size_t)p->h * 3)};
    for (int y = 0; y < p->h; y++)
        memcpy(crop.rgb + (size_t)y * p->w * 3,
               in->rgb + ((size_t)(p->y + y) * in->width + (size_t)p->x) * 3, (size_t)p->w * 3);
    image_resize_bicubic(&crop, size, size, out);
    image_free(&crop);
    if (p->flip)
        for (int y = 0; y < out->height; y++) {
            uint8_t *row = out->rgb + (size_t)y * out->width * 3;
            for (int a = 0, b = out->width - 1; a < b; a++, b--)
                for (int k = 0; k < 3; k++) {
                    uint8_t t = row[3 * a + k];
                    row[3 * a + k] = row[3 * b + k];
                    row[3 * b + k] = t;
                }
        }
}

void augment_train_clip(const augment_config *c, const image_rgb *in, int epoch, int64_t index,
                        float *out) {
    augment_params p;
    augment_sample_params(c, epoch, index, in->width, in->height, &p);
    image_rgb img;
    augment_apply(in, &p, c->size, &img);
    image_clip_normalize(img.rgb, c->size, out);
    image_free(&img);
}
