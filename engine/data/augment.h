/* augment.h: seeded training augmentation and the counter-based RNG behind it.
 *
 * The training transform is torchvision's
 *   RandomResizedCrop(size, scale=(0.08, 1), ratio=(3/4, 4/3), interpolation=BICUBIC),
 *   RandomHorizontalFlip(p=0.5), ToTensor(), Normalize(CLIP mean, CLIP std)
 * with RandomResizedCrop's sampling rules kept exactly: up to 10 attempts of (area fraction
 * uniform in scale, log aspect ratio uniform in log(ratio)), w = round(sqrt(area * ratio)),
 * h = round(sqrt(area / ratio)) (Python's round: ties to even), accepted when 0 < w <= W and
 * 0 < h <= H, offsets uniform over the valid range; after 10 failures a centre crop whose aspect
 * ratio is clamped to the ratio range. The crop is resized with image_resize_bicubic (PIL's
 * bicubic, as CLIP's transforms use). The evaluation transform is image_clip_transform
 * (engine/io/image.h).
 *
 * Randomness is counter-based: every draw for a sample is a function of (seed, epoch, sample
 * index, stream, draw number) alone, so results do not depend on thread scheduling, batch
 * composition or how many samples were augmented before. The crop uses stream 0 and the flip
 * stream 1. The numbers differ from torch's generator (same distributions, other values). */
#ifndef SEGP_AUGMENT_H
#define SEGP_AUGMENT_H

#include <stdint.h>

#include "io/image.h"

/* ---- counter-based RNG ---- */

typedef struct {
    uint64_t key; /* hash of (seed, epoch, index, stream) */
    uint64_t ctr; /* draws taken */
} aug_rng;

aug_rng aug_rng_make(uint64_t seed, uint64_t epoch, uint64_t index, uint64_t stream);
uint64_t aug_rng_u64(aug_rng *r);
double aug_rng_uniform(aug_rng *r);                  /* [0, 1), 53 bits */
double aug_rng_range(aug_rng *r, double lo, double hi); /* [lo, hi) */
int aug_rng_int(aug_rng *r, int lo, int hi);         /* lo..hi inclusive, unbiased */

/* (The order training visits its samples in is train_epoch_order, engine/train/step.h.) */

/* ---- RandomResizedCrop + flip ---- */

typedef struct {
    int size;                  /* output side in pixels (224 for ViT-B/16) */
    double scale_lo, scale_hi; /* fraction of the image area: 0.08, 1 */
    double ratio_lo, ratio_hi; /* aspect ratio w/h: 3/4, 4/3 */
    double flip_p;             /* 0.5 */
    uint64_t seed;
} augment_config;

typedef struct {
    int x, y, w, h; /* crop box in the source image */
    int attempt;    /* 1..10: the attempt that was accepted; 0: the fallback centre crop */
    int flip;       /* 1: mirror left-right after resizing */
} augment_params;

/* torchvision's defaults for a SIZE x SIZE output. */
void augment_config_default(augment_config *c, int size, uint64_t seed);

/* The crop box of RandomResizedCrop.get_params for a WIDTH x HEIGHT image, drawing from R. */
void augment_crop_box(int width, int height, double scale_lo, double scale_hi, double ratio_lo,
                      double ratio_hi, aug_rng *r, augment_params *out);

/* Crop box and flip of sample INDEX in EPOCH for a WIDTH x HEIGHT image. */
void augment_sample_params(const augment_config *c, int epoch, int64_t index, int width,
                           int height, augment_params *out);

/* Crop + bicubic resize to size x size + flip, with the given parameters. OUT is allocated
 * (image_free). */
void augment_apply(const image_rgb *in, const augment_params *p, int size, image_rgb *out);

/* The full training transform of sample INDEX in EPOCH: OUT is 3 * size * size floats, CHW,
 * ToTensor + CLIP Normalize. Thread-safe. */
void augment_train_clip(const augment_config *c, const image_rgb *in, int epoch, int64_t index,
                        float *out);

#endif
