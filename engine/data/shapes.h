/* shapes.h: the `shapes` world, a procedural image-caption generator and the continual-learning
 * benchmark built on it. Everything is computed from a seed; no files are read.
 *
 * Scene: one or two objects on a nuisance background. An object has a shape (12: the 10 class
 * shapes plus "arrow" and "pentagon"), one of 10 named colours (with small per-sample jitter), a
 * size (small/medium/large), a position (centre/left/right/top/bottom, with jitter), a small
 * rotation and a style (filled, outline, striped, checkered, dotted). Backgrounds are plain
 * colours, gradients, blocky noise or stripes, always muted and kept away from the object colour.
 * Post-effects (blur, pixel noise, low contrast) act on the whole image.
 *
 * Renditions: a sample is "standard" (filled object, no post-effect) or one of 7 "hard"
 * renditions (outline, striped, checkered, dotted, blur, noise, low contrast), in the spirit of
 * ImageNet-R. They are rare in the pretraining stream (pretrain_hard_rate, default 4%) and as
 * common in the CL train and test splits (train_hard_rate, test_hard_rate, 50%), as ImageNet-R
 * trains and tests on renditions.
 * Which indices are hard follows a golden-ratio sequence per (split, class), so the share in
 * any run of n consecutive indices stays within about two of rate * n; the kind is random.
 *
 * CL benchmark: 100 classes, class c = (colour c / 10, shape c % 10), named "COLOUR SHAPE"
 * ("red star"). No colour name starts with a vowel, so "a photo of a {}." stays grammatical.
 * Classes 100..119 are 20 held-out concepts (10 colours x {arrow, pentagon}) that appear in
 * pretraining but never in the CL stream (for zero-shot retention). The default class order
 * puts every colour and every shape once into each of the 10 tasks (a scrambled Latin square),
 * so each new class shares its colour and its shape with classes of every earlier task.
 *
 * Determinism: sample (split, class, index) depends only on (seed, split, class, index) through
 * a counter-based RNG (splitmix64 keys a xoshiro256** stream per sample), so samples can be made
 * in any order or in parallel. The render of a description depends only on the description and
 * the image size. The same build gives identical bytes; builds that contract floating-point
 * expressions differently (FMA) may differ by one level in rare anti-aliased pixels.
 *
 * Thread safety: all functions are reentrant (no global state). */
#ifndef SEGP_SHAPES_H
#define SEGP_SHAPES_H

#include <stddef.h>
#include <stdint.h>

#include "io/image.h"

#define SHAPES_N_COLOURS 10
#define SHAPES_N_CLASS_SHAPES 10 /* shapes used by the 100 CL classes */
#define SHAPES_N_SHAPES 12       /* + arrow, pentagon (pretraining and held-out classes) */
#define SHAPES_N_CLASSES 100
#define SHAPES_N_HELDOUT 20 /* class ids 100..119 */
#define SHAPES_N_TASKS 10
#define SHAPES_CLASSES_PER_TASK 10
#define SHAPES_MAX_OBJECTS 2
#define SHAPES_CAPTION_MAX 160 /* enough for every caption the generator writes */
#define SHAPES_MIN_SIZE 8
#define SHAPES_MAX_SIZE 1024
/* Most train / test images per class: the benchmark lists its items (100 classes each). */
#define SHAPES_MAX_PER_CLASS 100000

typedef enum {
    SHAPES_CIRCLE,
    SHAPES_SQUARE,
    SHAPES_TRIANGLE,
    SHAPES_STAR,
    SHAPES_HEART,
    SHAPES_CROSS,
    SHAPES_DIAMOND,
    SHAPES_HEXAGON,
    SHAPES_RING,
    SHAPES_CRESCENT,
    SHAPES_ARROW,
    SHAPES_PENTAGON
} shapes_shape;

typedef enum {
    SHAPES_RED,
    SHAPES_GREEN,
    SHAPES_BLUE,
    SHAPES_YELLOW,
    SHAPES_PURPLE,
    SHAPES_PINK,
    SHAPES_BROWN,
    SHAPES_WHITE,
    SHAPES_BLACK,
    SHAPES_CYAN
} shapes_colour;

typedef enum { SHAPES_SMALL, SHAPES_MEDIUM, SHAPES_LARGE, SHAPES_N_SIZES } shapes_size;

typedef enum {
    SHAPES_CENTRE,
    SHAPES_LEFT,
    SHAPES_RIGHT,
    SHAPES_TOP,
    SHAPES_BOTTOM,
    SHAPES_N_POSITIONS
} shapes_position;

typedef enum {
    SHAPES_FILLED,
    SHAPES_OUTLINE,
    SHAPES_STRIPED,
    SHAPES_CHECKERED,
    SHAPES_DOTTED,
    SHAPES_N_STYLES
} shapes_style;

typedef enum {
    SHAPES_BG_PLAIN,
    SHAPES_BG_GRADIENT,
    SHAPES_BG_NOISE,
    SHAPES_BG_STRIPES,
    SHAPES_N_BACKGROUNDS
} shapes_background;

typedef enum {
    SHAPES_REND_STANDARD,
    SHAPES_REND_OUTLINE,
    SHAPES_REND_STRIPED,
    SHAPES_REND_CHECKERED,
    SHAPES_REND_DOTTED,
    SHAPES_REND_BLUR,
    SHAPES_REND_NOISE,
    SHAPES_REND_LOW_CONTRAST,
    SHAPES_N_RENDITIONS
} shapes_rendition;

typedef enum { SHAPES_SPLIT_PRETRAIN, SHAPES_SPLIT_TRAIN, SHAPES_SPLIT_TEST } shapes_split;

typedef struct {
    uint64_t seed;            /* world seed: every sample derives from it */
    int image_size;           /* pixels per side, SHAPES_MIN_SIZE..SHAPES_MAX_SIZE (default 32) */
    int train_per_class;      /* CL train images per class (default 500, as CIFAR-100) */
    int test_per_class;       /* CL test images per class (default 20) */
    float pretrain_hard_rate; /* share of hard renditions in the pretraining stream (0.04) */
    float train_hard_rate;    /* ... in the CL train split (0.5) */
    float test_hard_rate;     /* ... in the CL test split (0.5) */
    float two_object_rate;    /* pretraining samples with a second object (0.3) */
    float cl_distractor_rate; /* CL samples with a small arrow/pentagon distractor (0) */
    int shape_group;          /* pretraining: G consecutive indices share colour, size and
                               * position and differ in shape (1..12; 1 = independent, default) */
    uint64_t order_seed;      /* class order; 0 = the default order */
} shapes_world_params;

typedef struct {
    int shape, colour;  /* shapes_shape, shapes_colour */
    int size, position; /* shapes_size, shapes_position: the words a caption may use */
    int style;          /* shapes_style */
    float cx, cy;       /* centre as a fraction of the image width / height */
    float radius;       /* half-extent as a fraction of the image size */
    float angle;        /* rotation in radians (arrows: direction + jitter) */
    float rgb[3];       /* drawn colour, 0..1 (named colour + jitter) */
} shapes_object;

typedef struct {
    int cls;       /* CL class id (0..119), -1 for pretraining samples */
    int rendition; /* shapes_rendition: the label of what makes the sample hard */
    int n_objects; /* 1 or 2; obj[0] is the main object */
    shapes_object obj[SHAPES_MAX_OBJECTS];
    int background;      /* shapes_background */
    float bg[2][3];      /* background colours, 0..1 */
    float bg_angle;      /* gradient / stripe direction, radians */
    float bg_period;     /* stripe period, fraction of the image size */
    uint64_t bg_seed;    /* blocky-noise background */
    float blur;          /* Gaussian sigma as a fraction of the image size; 0 = none */
    float noise;         /* pixel-noise standard deviation (0..1 units); 0 = none */
    float contrast;      /* 1 = unchanged; c < 1 scales deviations from the image mean by c */
    uint64_t noise_seed; /* pixel noise */
} shapes_sample_desc;

shapes_world_params shapes_default_params(void);
/* 0, or -1 + error naming the field and its allowed range. */
int shapes_check_params(const shapes_world_params *p);

/* Names (lower-case English words). Out-of-range ids give NULL. */
const char *shapes_shape_name(int shape);
const char *shapes_colour_name(int colour);
const char *shapes_size_name(int size);
const char *shapes_position_name(int position); /* "centre" is written "center" (CLIP's US text) */
const char *shapes_rendition_name(int rendition);
const float *shapes_colour_rgb(int colour);       /* the named colour, 3 floats in 0..1 */
int shapes_rendition_from_name(const char *name); /* -1 when unknown */

/* Classes: 0..99 the CL benchmark, 100..119 held-out. */
int shapes_num_classes(void); /* 100 */
int shapes_class_colour(int cls);
int shapes_class_shape(int cls);
/* "red star"; writes at most n bytes (NUL-terminated). -1 + error when cls is out of range. */
int shapes_class_name(int cls, char *buf, size_t n);

/* Class order: order[k] is the k-th class seen, task t (0-based) holds order[10t .. 10t+9].
 * order_seed 0 gives the default order. Every class appears once; each task holds every colour
 * and every shape once. */
void shapes_class_order(uint64_t order_seed, int order[SHAPES_N_CLASSES]);

/* Pretraining stream: random image + caption pairs. caption may be NULL (cap then ignored).
 * With shape_group G > 1, indices gG .. gG+G-1 form a group: the main objects share colour,
 * size, position (two-object scenes: the layout and the second object) and have G different
 * shapes, so a contrastive batch holding whole groups cannot match captions on colour, size and
 * position alone: in a batch of random scenes those nearly identify a caption and shape would
 * get almost no gradient. Everything else (jitter, background, rendition) stays per sample. */
void shapes_pretrain_sample(const shapes_world_params *p, uint64_t index, shapes_sample_desc *desc,
                            char *caption, size_t cap);

/* CL sample `index` of class `cls` (0..119) in split SHAPES_SPLIT_TRAIN or SHAPES_SPLIT_TEST.
 * index may exceed the per-class counts (the stream is unbounded); loaders stop at the counts.
 * -1 + error on a bad split or class. */
int shapes_cl_sample(const shapes_world_params *p, int split, int cls, uint64_t index,
                     shapes_sample_desc *desc);

/* A plain scene for tests and demos: one filled object of (shape, colour), medium size, centred,
 * no rotation, exact named colour, on a plain mid-grey background, no effects. */
void shapes_desc_init(shapes_sample_desc *desc, int shape, int colour);
/* Turn DESC into rendition REND with mid-range effect strengths (no randomness); the object
 * styles and effects of any earlier rendition are removed first. */
void shapes_desc_set_rendition(shapes_sample_desc *desc, int rend);

/* Render DESC at p->image_size into out (allocated here; free with image_free). Returns 0, or
 * -1 + error when the image size is out of range. */
int shapes_render(const shapes_world_params *p, const shapes_sample_desc *desc, image_rgb *out);
/* Same into a caller buffer of size * size * 3 bytes (row-major RGB). */
int shapes_render_into(const shapes_sample_desc *desc, int size, uint8_t *rgb);

#endif
