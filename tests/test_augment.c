/* test_augment.c: the counter-based RNG (determinism, independence of keys, bounds), the
 * RandomResizedCrop box (torchvision's sampling rules and fallback), crop + bicubic resize + flip
 * + normalisation against PIL (tests/ref/augment_ref.py fixtures), and reproducibility of the
 * training transform across threads. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/common.h"
#include "data/augment.h"
#include "io/npy.h"
#include "test.h"

TEST(augment_rng_counter_based) {
    aug_rng a = aug_rng_make(7, 2, 1000, 0), b = aug_rng_make(7, 2, 1000, 0);
    uint64_t first[8];
    for (int i = 0; i < 8; i++) {
        first[i] = aug_rng_u64(&a);
        CHECK(first[i] == aug_rng_u64(&b));
    }
    /* Any field changing gives another stream; (epoch+1, index-1) must not collide. */
    aug_rng v[5] = {aug_rng_make(8, 2, 1000, 0), aug_rng_make(7, 3, 1000, 0),
                    aug_rng_make(7, 2, 1001, 0), aug_rng_make(7, 2, 1000, 1),
                    aug_rng_make(7, 3, 999, 0)};
    for (int k = 0; k < 5; k++) CHECK_MSG(aug_rng_u64(&v[k]) != first[0], "variant %d", k);

    aug_rng r = aug_rng_make(1, 0, 0, 0);
    int hist[7] = {0};
    double lo = 1, hi = 0, mean = 0;
    for (int i = 0; i < 70000; i++) {
        int x = aug_rng_int(&r, -3, 3);
        CHECK(x >= -3 && x <= 3);
        if (x >= -3 && x <= 3) hist[x + 3]++;
        double u = aug_rng_uniform(&r);
        CHECK(u >= 0 && u < 1);
        lo = fmin(lo, u);
        hi = fmax(hi, u);
        mean += u / 70000;
    }
    for (int k = 0; k < 7; k++)
        CHECK_MSG(hist[k] > 9400 && hist[k] < 10600, "bin %d: %d", k, hist[k]);
    CHECK(lo < 1e-3 && hi > 1 - 1e-3);
    CHECK_NEAR(mean, 0.5, 0.01);
    CHECK_EQ_INT(aug_rng_int(&r, 5, 5), 5);
    double x = aug_rng_range(&r, 2.0, 3.0);
    CHECK(x >= 2.0 && x < 3.0);
}

/* torchvision.transforms.RandomResizedCrop.get_params written out again, step by step, drawing
 * from the same RNG: the engine's box must be identical. */
static void ref_get_params(int W, int H, aug_rng *r, int *x, int *y, int *w, int *h) {
    double area = (double)W * H, lr0 = log(3.0 / 4.0), lr1 = log(4.0 / 3.0);
    for (int a = 0; a < 10; a++) {
        double target = area * (0.08 + (1.0 - 0.08) * aug_rng_uniform(r));
        double ratio = exp(lr0 + (lr1 - lr0) * aug_rng_uniform(r));
        int ww = (int)nearbyint(sqrt(target * ratio)), hh = (int)nearbyint(sqrt(target / ratio));
        if (0 < ww && ww <= W && 0 < hh && hh <= H) {
            *y = aug_rng_int(r, 0, H - hh);
            *x = aug_rng_int(r, 0, W - ww);
            *w = ww;
            *h = hh;
            return;
        }
    }
    double in_ratio = (double)W / H;
    if (in_ratio < 3.0 / 4.0) {
        *w = W;
        *h = (int)nearbyint(*w / (3.0 / 4.0));
    } else if (in_ratio > 4.0 / 3.0) {
        *h = H;
        *w = (int)nearbyint(*h * (4.0 / 3.0));
    } else {
        *w = W;
        *h = H;
    }
    *y = (H - *h) / 2;
    *x = (W - *w) / 2;
}

TEST(augment_crop_box_rules) {
    augment_config c;
    augment_config_default(&c, 224, 1234);
    const int sizes[4][2] = {{500, 375}, {32, 32}, {28, 28}, {60, 200}};
    double min_frac = 1, max_frac = 0, min_ratio = 10, max_ratio = 0;
    int flips = 0, total = 0;
    for (int s = 0; s < 4; s++) {
        int W = sizes[s][0], H = sizes[s][1];
        for (int i = 0; i < 2000; i++) {
            augment_params p;
            augment_sample_params(&c, 3, i, W, H, &p);
            aug_rng r = aug_rng_make(1234, 3, (uint64_t)i, 0);
            int x, y, w, h;
            ref_get_params(W, H, &r, &x, &y, &w, &h);
            if (p.x != x || p.y != y || p.w != w || p.h != h) {
                CHECK_MSG(0,
                          "%dx%d sample %d: box (%d,%d,%d,%d) vs torchvision rules (%d,%d,%d,%d)",
                          W, H, i, p.x, p.y, p.w, p.h, x, y, w, h);
                return;
            }
            CHECK(p.x >= 0 && p.y >= 0 && p.x + p.w <= W && p.y + p.h <= H && p.w > 0 && p.h > 0);
            if (p.attempt > 0) {
                /* Area fraction and aspect ratio within the ranges, up to rounding to pixels. */
                CHECK((p.w + 0.5) * (p.h + 0.5) >= 0.08 * W * H);
                CHECK((p.w - 0.5) * (p.h - 0.5) <= (double)W * H);
                CHECK((p.w + 0.5) / (p.h - 0.5) >= 0.75 && (p.w - 0.5) / (p.h + 0.5) <= 4.0 / 3);
                if (s == 0) {
                    min_frac = fmin(min_frac, (double)p.w * p.h / (W * H));
                    max_frac = fmax(max_frac, (double)p.w * p.h / (W * H));
                    min_ratio = fmin(min_ratio, (double)p.w / p.h);
                    max_ratio = fmax(max_ratio, (double)p.w / p.h);
                }
            }
            flips += p.flip;
            total++;
        }
    }
    /* The samples cover the ranges. */
    CHECK(min_frac < 0.09 && max_frac > 0.9);
    CHECK(min_ratio < 0.77 && max_ratio > 1.3);
    CHECK_MSG(fabs((double)flips / total - 0.5) < 0.02, "flip rate %d/%d", flips, total);
}

TEST(augment_crop_fallback) {
    /* No 3/4..4/3 box of >= 8% area fits: the centre crop with the ratio clamped. */
    aug_rng r = aug_rng_make(0, 0, 0, 0);
    augment_params p;
    augment_crop_box(1000, 10, 0.08, 1, 3.0 / 4, 4.0 / 3, &r, &p);
    CHECK(p.attempt == 0 && p.w == 13 && p.h == 10 && p.x == 493 && p.y == 0);
    augment_crop_box(10, 1000, 0.08, 1, 3.0 / 4, 4.0 / 3, &r, &p);
    CHECK(p.attempt == 0 && p.w == 10 && p.h == 13 && p.x == 0 && p.y == 493);
    /* A ratio inside the range but an impossible scale: the whole image. */
    augment_crop_box(50, 40, 1.5, 2.0, 3.0 / 4, 4.0 / 3, &r, &p);
    CHECK(p.attempt == 0 && p.w == 50 && p.h == 40 && p.x == 0 && p.y == 0);
    /* Python's round() sends halves to even: 9 * 1.5 = 13.5 -> 14, 11 * 1.5 = 16.5 -> 16. */
    augment_crop_box(1000, 9, 0.9, 1, 1.0, 1.5, &r, &p);
    CHECK(p.attempt == 0 && p.w == 14 && p.h == 9);
    augment_crop_box(1000, 11, 0.9, 1, 1.0, 1.5, &r, &p);
    CHECK(p.attempt == 0 && p.w == 16 && p.h == 11);
}

static image_rgb synth_image(int w, int h) {
    image_rgb im = {w, h, malloc((size_t)w * h * 3)};
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            for (int c = 0; c < 3; c++)
                im.rgb[(y * w + x) * 3 + c] =
                    (uint8_t)((x * 7 + y * 13 + c * 50 + (x * y) % 17) % 256);
    return im;
}

TEST(augment_matches_pil) {
    const int cases[3][6] = {{5, 3, 20, 17, 1, 16}, {0, 0, 40, 30, 0, 24}, {31, 20, 9, 10, 1, 20}};
    image_rgb src = synth_image(40, 30);
    for (int k = 0; k < 3; k++) {
        char path[256];
        snprintf(path, sizeof path, "tests/fixtures/augment_case%d.npy", k);
        npy_array ref;
        if (npy_read(path, &ref) != 0) {
            CHECK_MSG(0, "%s", segp_last_error());
            continue;
        }
        int size = cases[k][5];
        CHECK(ref.ndim == 4 && ref.shape[0] == 2 && ref.shape[2] == size);
        augment_params p = {cases[k][0], cases[k][1], cases[k][2], cases[k][3], 1, cases[k][4]};
        image_rgb out;
        augment_apply(&src, &p, size, &out);
        CHECK(out.width == size && out.height == size);
        size_t hw = (size_t)size * size;
        int bad = 0;
        float *norm = malloc(3 * hw * sizeof *norm);
        for (int c = 0; c < 3; c++)
            for (size_t i = 0; i < hw; i++) {
                bad += (float)out.rgb[3 * i + c] != ref.data[c * hw + i];
                norm[c * hw + i] =
                    ((float)out.rgb[3 * i + c] / 255.0f - clip_image_mean[c]) / clip_image_std[c];
            }
        CHECK_MSG(bad == 0, "case %d: %d pixels differ from PIL", k, bad);
        CHECK_MSG(test_rel_err(norm, ref.data + 3 * hw, 3 * hw) < 1e-7, "case %d normalisation", k);
        free(norm);
        image_free(&out);
        npy_free(&ref);
    }
    free(src.rgb);
}

TEST(augment_train_deterministic) {
    augment_config c;
    augment_config_default(&c, 24, 99);
    image_rgb src = synth_image(40, 30);
    const int n = 12;
    size_t per = 3 * 24 * 24;
    float *seq = malloc(n * per * sizeof *seq), *par = malloc(n * per * sizeof *par);
    for (int i = 0; i < n; i++) augment_train_clip(&c, &src, 1, i, seq + i * per);
    /* Threads, reverse order: same numbers (they depend on (seed, epoch, index) only). */
#pragma omp parallel for num_threads(4) schedule(dynamic, 1)
    for (int k = 0; k < n; k++) {
        int i = n - 1 - k;
        augment_train_clip(&c, &src, 1, i, par + i * per);
    }
    CHECK(!memcmp(seq, par, n * per * sizeof *seq));
    /* Consistent with augment_sample_params + augment_apply + Normalize. */
    augment_params p;
    augment_sample_params(&c, 1, 5, 40, 30, &p);
    image_rgb out;
    augment_apply(&src, &p, 24, &out);
    int bad = 0;
    for (int ch = 0; ch < 3; ch++)
        for (int i = 0; i < 24 * 24; i++)
            bad += seq[5 * per + ch * 576 + i] !=
                   ((float)out.rgb[3 * i + ch] / 255.0f - clip_image_mean[ch]) / clip_image_std[ch];
    CHECK_EQ_INT(bad, 0);
    image_free(&out);
    /* Another epoch or sample gives another view. */
    float *other = malloc(per * sizeof *other);
    augment_train_clip(&c, &src, 2, 0, other);
    CHECK(memcmp(other, seq, per * sizeof *other) != 0);
    CHECK(memcmp(seq, seq + per, per * sizeof *seq) != 0);
    free(other);
    free(seq);
    free(par);
    free(src.rgb);
}
