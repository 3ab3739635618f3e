/* shapes_world.c: the `shapes` world's vocabulary, its counter-based RNG, the pretraining
 * stream (scene + caption), the CL benchmark samples and the class order (see shapes.h). */
#include "shapes.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/common.h"

/* ---- vocabulary --------------------------------------------------------------------------- */

static const char *const shape_names[SHAPES_N_SHAPES] = {
    "circle",  "square",  "triangle", "star",     "heart", "cross",
    "diamond", "hexagon", "ring",     "crescent", "arrow", "pentagon"};

/* No colour name starts with a vowel: "a photo of a {}." stays grammatical for every class. */
static const char *const colour_names[SHAPES_N_COLOURS] = {
    "red", "green", "blue", "yellow", "purple", "pink", "brown", "white", "black", "cyan"};

static const float colour_rgb[SHAPES_N_COLOURS][3] = {
    {0.85f, 0.13f, 0.13f}, {0.15f, 0.63f, 0.22f}, {0.14f, 0.30f, 0.84f}, {0.96f, 0.85f, 0.13f},
    {0.52f, 0.18f, 0.70f}, {0.97f, 0.55f, 0.74f}, {0.50f, 0.30f, 0.13f}, {0.96f, 0.96f, 0.96f},
    {0.07f, 0.07f, 0.07f}, {0.15f, 0.81f, 0.86f}};

static const char *const size_names[SHAPES_N_SIZES] = {"small", "medium", "large"};
static const char *const position_names[SHAPES_N_POSITIONS] = {"center", "left", "right", "top",
                                                               "bottom"};
static const char *const position_phrases[SHAPES_N_POSITIONS] = {
    "in the center", "on the left", "on the right", "at the top", "at the bottom"};
static const char *const rendition_names[SHAPES_N_RENDITIONS] = {
    "standard", "outline", "striped", "checkered", "dotted", "blur", "noise", "low-contrast"};
/* Words a caption uses for a rendition: object adjectives, then photo adjectives. */
static const char *const style_adjectives[SHAPES_N_STYLES] = {"", "outlined", "striped",
                                                              "checkered", "dotted"};

/* Half-extent of an object by size word, as a fraction of the image. */
static const float size_radius[SHAPES_N_SIZES] = {0.17f, 0.24f, 0.31f};
static const float position_xy[SHAPES_N_POSITIONS][2] = {
    {0.5f, 0.5f}, {0.27f, 0.5f}, {0.73f, 0.5f}, {0.5f, 0.27f}, {0.5f, 0.73f}};

const char *shapes_shape_name(int s) {
    return s >= 0 && s < SHAPES_N_SHAPES ? shape_names[s] : NULL;
}
const char *shapes_colour_name(int c) {
    return c >= 0 && c < SHAPES_N_COLOURS ? colour_names[c] : NULL;
}
const char *shapes_size_name(int s) { return s >= 0 && s < SHAPES_N_SIZES ? size_names[s] : NULL; }
const char *shapes_position_name(int p) {
    return p >= 0 && p < SHAPES_N_POSITIONS ? position_names[p] : NULL;
}
const char *shapes_rendition_name(int r) {
    return r >= 0 && r < SHAPES_N_RENDITIONS ? rendition_names[r] : NULL;
}
const float *shapes_colour_rgb(int c) {
    return c >= 0 && c < SHAPES_N_COLOURS ? colour_rgb[c] : NULL;
}
int shapes_rendition_from_name(const char *name) {
    for (int r = 0; r < SHAPES_N_RENDITIONS; r++)
        if (!strcmp(name, rendition_names[r])) return r;
    return -1;
}

/* ---- classes ------------------------------------------------------------------------------ */

int shapes_num_classes(void) { return SHAPES_N_CLASSES; }

static int class_valid(int cls) { return cls >= 0 && cls < SHAPES_N_CLASSES + SHAPES_N_HELDOUT; }

int shapes_class_colour(int cls) {
    if (!class_valid(cls)) return -1;
    return cls < SHAPES_N_CLASSES ? cls / SHAPES_N_CLASS_SHAPES : (cls - SHAPES_N_CLASSES) / 2;
}

int shapes_class_shape(int cls) {
    if (!class_valid(cls)) return -1;
    return cls < SHAPES_N_CLASSES ? cls % SHAPES_N_CLASS_SHAPES
                                  : SHAPES_N_CLASS_SHAPES + (cls - SHAPES_N_CLASSES) % 2;
}

static int class_of(int colour, int shape) {
    return shape < SHAPES_N_CLASS_SHAPES
               ? colour * SHAPES_N_CLASS_SHAPES + shape
               : SHAPES_N_CLASSES + colour * 2 + (shape - SHAPES_N_CLASS_SHAPES);
}

int shapes_class_name(int cls, char *buf, size_t n) {
    if (!class_valid(cls))
        return SEGP_FAIL("shapes: class %d out of range (expected 0..%d)", cls,
                         SHAPES_N_CLASSES + SHAPES_N_HELDOUT - 1);
    snprintf(buf, n, "%s %s", colour_names[shapes_class_colour(cls)],
             shape_names[shapes_class_shape(cls)]);
    return 0;
}

/* ---- RNG: splitmix64 keys, xoshiro256** streams ------------------------------------------- */

typedef struct {
    uint64_t s[4];
} rng;

static uint64_t splitmix64(uint64_t *x) {
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static uint64_t key_mix(uint64_t h, uint64_t v) {
    uint64_t x = h ^ (v * 0xD6E8FEB86659FD93ull);
    return splitmix64(&x);
}

/* Stream for (seed, a, b, c): no state is shared between samples. */
static uint64_t make_key(uint64_t seed, uint64_t a, uint64_t b, uint64_t c) {
    return key_mix(key_mix(key_mix(key_mix(0x5348415045530001ull, seed), a), b), c);
}

static void rng_init(rng *r, uint64_t key) {
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&key);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static uint64_t rng_next(rng *r) {
    uint64_t *s = r->s, out = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0], s[3] ^= s[1], s[1] ^= s[2], s[0] ^= s[3], s[2] ^= t, s[3] = rotl(s[3], 45);
    return out;
}

static float rng_unit(rng *r) { return (float)(rng_next(r) >> 40) * (1.0f / 16777216.0f); }
static float rng_range(rng *r, float a, float b) { return a + (b - a) * rng_unit(r); }
static int rng_int(rng *r, int n) { return (int)(((rng_next(r) >> 32) * (uint64_t)n) >> 32); }

static void shuffle(rng *r, int *a, int n) {
    for (int i = n - 1; i > 0; i--) {
        int j = rng_int(r, i + 1), t = a[i];
        a[i] = a[j], a[j] = t;
    }
}

/* Is sample `index` of (split, class) hard? A golden-ratio Weyl sequence in 64-bit fixed point
 * with a random phase: the share of hard samples in any run of consecutive indices stays within
 * a couple of samples of rate * n, yet which indices are hard looks irregular. */
static int is_hard(uint64_t seed, int split, int cls, uint64_t index, float rate) {
    if (rate <= 0) return 0;
    if (rate >= 1) return 1;
    uint64_t phase = make_key(seed, (uint64_t)split + 100, (uint64_t)(cls + 1), 0x48415244ull);
    uint64_t x = phase + index * 0x9E3779B97F4A7C15ull;
    return (double)x < (double)rate * 18446744073709551616.0;
}

/* ---- params ------------------------------------------------------------------------------- */

shapes_world_params shapes_default_params(void) {
    shapes_world_params p = {
        .seed = 1,
        .image_size = 32,
        .train_per_class = 500,
        .test_per_class = 20,
        .pretrain_hard_rate = 0.04f,
        .train_hard_rate = 0.5f,
        .test_hard_rate = 0.5f,
        .two_object_rate = 0.3f,
        .shape_group = 1,
        .cl_distractor_rate = 0.0f,
        .order_seed = 0,
    };
    return p;
}

static int check_rate(const char *name, float v) {
    if (!(v >= 0.0f && v <= 1.0f))
        return SEGP_FAIL("shapes: %s %g out of range (expected 0..1)", name, (double)v);
    return 0;
}

int shapes_check_params(const shapes_world_params *p) {
    if (p->image_size < SHAPES_MIN_SIZE || p->image_size > SHAPES_MAX_SIZE)
        return SEGP_FAIL("shapes: image_size %d out of range (expected %d..%d)", p->image_size,
                         SHAPES_MIN_SIZE, SHAPES_MAX_SIZE);
    if (p->train_per_class < 1 || p->test_per_class < 1 ||
        p->train_per_class > SHAPES_MAX_PER_CLASS || p->test_per_class > SHAPES_MAX_PER_CLASS)
        return SEGP_FAIL("shapes: train_per_class %d / test_per_class %d (expected 1..%d)",
                         p->train_per_class, p->test_per_class, SHAPES_MAX_PER_CLASS);
    if (check_rate("pretrain_hard_rate", p->pretrain_hard_rate) ||
        check_rate("train_hard_rate", p->train_hard_rate) ||
        check_rate("test_hard_rate", p->test_hard_rate) ||
        check_rate("two_object_rate", p->two_object_rate) ||
        check_rate("cl_distractor_rate", p->cl_distractor_rate))
        return -1;
    if (p->shape_group < 1 || p->shape_group > SHAPES_N_SHAPES)
        return SEGP_FAIL("shapes: shape_group %d out of range (expected 1..%d)", p->shape_group,
                         SHAPES_N_SHAPES);
    return 0;
}

/* ---- scene construction ------------------------------------------------------------------- */

static float clampf(float v, float lo, float hi) { return v < lo ? lo : v > hi ? hi : v; }

static float colour_dist(const float *a, const float *b) {
    float d0 = a[0] - b[0], d1 = a[1] - b[1], d2 = a[2] - b[2];
    return sqrtf(d0 * d0 + d1 * d1 + d2 * d2);
}

static void place_object(rng *r, shapes_object *o, int shape, int colour, int size, int pos,
                         float scale) {
    memset(o, 0, sizeof *o);
    o->shape = shape, o->colour = colour, o->size = size, o->position = pos;
    o->style = SHAPES_FILLED;
    o->radius = size_radius[size] * scale * rng_range(r, 0.92f, 1.08f);
    /* Jitter more along the axis the position word does not constrain. */
    float jx = pos == SHAPES_TOP || pos == SHAPES_BOTTOM ? 0.08f : 0.04f;
    float jy = pos == SHAPES_LEFT || pos == SHAPES_RIGHT ? 0.08f : 0.04f;
    float lo = o->radius + 0.01f, hi = 1.0f - o->radius - 0.01f;
    o->cx = clampf(position_xy[pos][0] + rng_range(r, -jx, jx), lo, hi);
    o->cy = clampf(position_xy[pos][1] + rng_range(r, -jy, jy), lo, hi);
    o->angle = rng_range(r, -0.2f, 0.2f);
    if (shape == SHAPES_ARROW) o->angle += 1.5707963f * (float)rng_int(r, 4);
    float gain = rng_range(r, 0.92f, 1.08f);
    for (int c = 0; c < 3; c++)
        o->rgb[c] = clampf(colour_rgb[colour][c] * gain + rng_range(r, -0.04f, 0.04f), 0, 1);
}

/* A muted colour at least 0.38 (RGB distance) from every object colour. */
static void muted_colour(rng *r, const shapes_sample_desc *d, float *out) {
    for (int attempt = 0; attempt < 32; attempt++) {
        float g = rng_range(r, 0.28f, 0.78f);
        for (int c = 0; c < 3; c++)
            out[c] = clampf(g + rng_range(r, -0.12f, 0.12f), 0, 1);
        int ok = 1;
        for (int k = 0; k < d->n_objects; k++)
            if (colour_dist(out, d->obj[k].rgb) < 0.38f) ok = 0;
        if (ok) return;
    }
    /* Fall back to the grey level farthest from the objects. */
    float best = -1;
    for (int i = 0; i < 6; i++) {
        float g = 0.25f + 0.1f * (float)i, grey[3] = {g, g, g}, worst = 9;
        for (int k = 0; k < d->n_objects; k++)
            worst = fminf(worst, colour_dist(grey, d->obj[k].rgb));
        if (worst > best) best = worst, out[0] = out[1] = out[2] = g;
    }
}

static void make_background(rng *r, shapes_sample_desc *d) {
    d->background = rng_int(r, SHAPES_N_BACKGROUNDS);
    muted_colour(r, d, d->bg[0]);
    d->bg_angle = rng_range(r, 0, 6.2831853f);
    d->bg_period = rng_range(r, 0.12f, 0.22f);
    d->bg_seed = rng_next(r);
    if (d->background == SHAPES_BG_GRADIENT) {
        muted_colour(r, d, d->bg[1]);
    } else {
        /* Noise and stripes: a second tone close to the first, so the pattern stays a nuisance. */
        float delta = rng_range(r, 0.07f, 0.14f) * (rng_int(r, 2) ? 1.0f : -1.0f);
        for (int c = 0; c < 3; c++)
            d->bg[1][c] = clampf(d->bg[0][c] + delta, 0, 1);
        if (d->background == SHAPES_BG_PLAIN) memcpy(d->bg[1], d->bg[0], sizeof d->bg[0]);
    }
}

/* Apply rendition REND; strength t in [0,1] picks within each effect's range. */
static void apply_rendition(shapes_sample_desc *d, int rend, float t) {
    d->rendition = rend;
    for (int k = 0; k < d->n_objects; k++)
        d->obj[k].style = SHAPES_FILLED;
    d->blur = 0, d->noise = 0, d->contrast = 1;
    switch (rend) {
    case SHAPES_REND_OUTLINE:
    case SHAPES_REND_STRIPED:
    case SHAPES_REND_CHECKERED:
    case SHAPES_REND_DOTTED:
        /* Renditions and styles are listed in the same order. */
        for (int k = 0; k < d->n_objects; k++)
            d->obj[k].style = rend - SHAPES_REND_OUTLINE + SHAPES_OUTLINE;
        break;
    case SHAPES_REND_BLUR:
        /* Relative to the main object, so small objects stay identifiable. */
        d->blur = d->n_objects ? d->obj[0].radius * (0.12f + 0.08f * t) : 0.03f;
        break;
    case SHAPES_REND_NOISE:
        d->noise = 0.12f + 0.08f * t;
        break;
    case SHAPES_REND_LOW_CONTRAST:
        d->contrast = 0.4f - 0.15f * t;
        break;
    default:
        break;
    }
}

void shapes_desc_set_rendition(shapes_sample_desc *d, int rend) {
    if (rend < 0 || rend >= SHAPES_N_RENDITIONS) rend = SHAPES_REND_STANDARD;
    apply_rendition(d, rend, 0.5f);
}

void shapes_desc_init(shapes_sample_desc *d, int shape, int colour) {
    memset(d, 0, sizeof *d);
    d->cls = class_of(colour, shape);
    d->n_objects = 1;
    shapes_object *o = &d->obj[0];
    o->shape = shape, o->colour = colour, o->size = SHAPES_MEDIUM, o->position = SHAPES_CENTRE;
    o->style = SHAPES_FILLED;
    o->cx = o->cy = 0.5f;
    o->radius = size_radius[SHAPES_MEDIUM];
    memcpy(o->rgb, colour_rgb[colour], sizeof o->rgb);
    d->background = SHAPES_BG_PLAIN;
    for (int i = 0; i < 2; i++)
        d->bg[i][0] = d->bg[i][1] = d->bg[i][2] = 0.5f;
    d->contrast = 1;
    d->rendition = SHAPES_REND_STANDARD;
}

/* ---- captions ----------------------------------------------------------------------------- */

typedef struct {
    char *buf;
    size_t n, len;
} sbuf;

static void put(sbuf *s, const char *text) {
    size_t k = strlen(text);
    if (s->len + k >= s->n) k = s->n - 1 - s->len;
    memcpy(s->buf + s->len, text, k);
    s->len += k;
    s->buf[s->len] = 0;
}

static int starts_with_vowel(const char *w) { return w[0] && strchr("aeiou", w[0]) != NULL; }

/* Noun phrase with its article: "a small striped red star", "an arrow pointing left". */
static void noun_phrase(sbuf *s, const shapes_object *o, int with_size, int with_style) {
    const char *words[5];
    int n = 0;
    if (with_size) words[n++] = size_names[o->size];
    if (with_style && o->style != SHAPES_FILLED) words[n++] = style_adjectives[o->style];
    words[n++] = colour_names[o->colour];
    words[n++] = shape_names[o->shape];
    put(s, starts_with_vowel(words[0]) ? "an" : "a");
    for (int i = 0; i < n; i++)
        put(s, " "), put(s, words[i]);
    if (o->shape == SHAPES_ARROW) {
        /* Local +x turned by angle, y down: 0 right, 1 down, 2 left, 3 up. */
        static const char *const dirs[4] = {"right", "down", "left", "up"};
        int q = (int)lroundf(o->angle / 1.5707963f);
        put(s, " pointing "), put(s, dirs[((q % 4) + 4) % 4]);
    }
}

static void write_caption(rng *r, const shapes_sample_desc *d, char *caption, size_t cap) {
    char tmp[2 * SHAPES_CAPTION_MAX];
    sbuf s = {tmp, sizeof tmp, 0};
    tmp[0] = 0;
    int rend = d->rendition;
    int style_rend = rend >= SHAPES_REND_OUTLINE && rend <= SHAPES_REND_DOTTED;
    int photo_rend = rend >= SHAPES_REND_BLUR;
    /* Hard renditions are named most of the time, so the words carry the concept. */
    int say_style = style_rend && rng_unit(r) < 0.8f;
    int say_photo = photo_rend && rng_unit(r) < 0.7f;
    int with_size = rng_unit(r) < 0.4f;
    int tpl = rng_int(r, 7);
    static const char *const photo_adj[3] = {"blurry", "noisy", "faded"};
    const char *photo = say_photo ? photo_adj[rend - SHAPES_REND_BLUR] : NULL;
    const shapes_object *a = &d->obj[0], *b = &d->obj[1];

    if (d->n_objects == 1) {
        int outline_of = say_style && rend == SHAPES_REND_OUTLINE && rng_unit(r) < 0.5f;
        int with_pos = tpl == 2 || tpl == 3 || tpl == 5;
        if (photo) {
            put(&s, "a "), put(&s, photo), put(&s, " photo of ");
        } else if (outline_of) {
            put(&s, "an outline of ");
        } else {
            static const char *const prefix[7] = {
                "a photo of ", "", "", "a photo of ", "there is ", "an image of ", "a picture of "};
            put(&s, prefix[tpl]);
        }
        noun_phrase(&s, a, with_size, say_style && !outline_of);
        if (with_pos) put(&s, " "), put(&s, position_phrases[a->position]);
        if (tpl == 4 && !photo && !outline_of) put(&s, " in the image");
        put(&s, ".");
    } else {
        tpl = tpl % 5;
        if (photo)
            put(&s, "a "), put(&s, photo), put(&s, " photo of ");
        else if (tpl == 0)
            put(&s, "a photo of ");
        else if (tpl == 4)
            put(&s, "an image with ");
        noun_phrase(&s, a, with_size, say_style);
        if (tpl == 2) {
            put(&s, " "), put(&s, position_phrases[a->position]), put(&s, " and ");
            noun_phrase(&s, b, with_size, say_style);
            put(&s, " "), put(&s, position_phrases[b->position]);
        } else if (tpl == 3) {
            static const char *const rel[SHAPES_N_POSITIONS] = {
                " next to ", " to the left of ", " to the right of ", " above ", " below "};
            put(&s, rel[a->position]);
            noun_phrase(&s, b, with_size, say_style);
        } else {
            put(&s, " and ");
            noun_phrase(&s, b, with_size, say_style);
        }
        put(&s, ".");
    }
    if (caption && cap) snprintf(caption, cap, "%s", tmp);
}

/* ---- samples ------------------------------------------------------------------------------ */

/* What a pretraining scene shows, before jitter: drawn per sample, or per group of samples. */
typedef struct {
    int two, shape, colour, size, pos;               /* single object */
    int shape2, colour2, vertical, flip, sz_a, sz_b; /* two objects; sz -1: draw at placement */
} scene_plan;

/* A grouped scene: the group's RNG draws everything but the shape; member k of the group takes
 * element k of a shuffled list of all shapes, so the G members have G different shapes. */
static void group_plan(const shapes_world_params *p, uint64_t index, scene_plan *s) {
    uint64_t g = index / (uint64_t)p->shape_group;
    rng r;
    rng_init(&r, make_key(p->seed, SHAPES_SPLIT_PRETRAIN, 0x47524F5550ull, g));
    int shapes[SHAPES_N_SHAPES];
    for (int i = 0; i < SHAPES_N_SHAPES; i++) shapes[i] = i;
    shuffle(&r, shapes, SHAPES_N_SHAPES);
    s->shape = shapes[index % (uint64_t)p->shape_group];
    s->two = rng_unit(&r) < p->two_object_rate;
    s->colour = rng_int(&r, SHAPES_N_COLOURS);
    s->size = rng_int(&r, SHAPES_N_SIZES), s->pos = rng_int(&r, SHAPES_N_POSITIONS);
    /* The second object never has the main colour, so it can't repeat a member's main object. */
    s->shape2 = rng_int(&r, SHAPES_N_SHAPES);
    s->colour2 = rng_int(&r, SHAPES_N_COLOURS - 1);
    if (s->colour2 >= s->colour) s->colour2++;
    s->vertical = rng_int(&r, 2), s->flip = rng_int(&r, 2);
    s->sz_a = rng_int(&r, 2), s->sz_b = rng_int(&r, 2);
}

static void place_two(rng *r, shapes_sample_desc *d, const scene_plan *s) {
    d->n_objects = 2;
    /* Side by side or one above the other; which object gets which side is random. */
    int pa = s->vertical ? SHAPES_TOP : SHAPES_LEFT,
        pb = s->vertical ? SHAPES_BOTTOM : SHAPES_RIGHT;
    if (s->flip) {
        int t = pa;
        pa = pb, pb = t;
    }
    int sz_a = s->sz_a >= 0 ? s->sz_a : rng_int(r, 2);
    place_object(r, &d->obj[0], s->shape, s->colour, sz_a, pa, 0.85f);
    int sz_b = s->sz_b >= 0 ? s->sz_b : rng_int(r, 2);
    place_object(r, &d->obj[1], s->shape2, s->colour2, sz_b, pb, 0.85f);
}

void shapes_pretrain_sample(const shapes_world_params *p, uint64_t index, shapes_sample_desc *d,
                            char *caption, size_t cap) {
    rng r;
    rng_init(&r, make_key(p->seed, SHAPES_SPLIT_PRETRAIN, 0, index));
    memset(d, 0, sizeof *d);
    d->cls = -1;
    if (p->shape_group > 1) {
        scene_plan s;
        group_plan(p, index, &s);
        if (s.two) {
            place_two(&r, d, &s);
        } else {
            d->n_objects = 1;
            place_object(&r, &d->obj[0], s.shape, s.colour, s.size, s.pos, 1.0f);
        }
    } else {
        /* Independent scenes, drawn in the order first written (the stream must not change). */
        int two = rng_unit(&r) < p->two_object_rate;
        int shape = rng_int(&r, SHAPES_N_SHAPES), colour = rng_int(&r, SHAPES_N_COLOURS);
        if (!two) {
            d->n_objects = 1;
            int size = rng_int(&r, SHAPES_N_SIZES), pos = rng_int(&r, SHAPES_N_POSITIONS);
            place_object(&r, &d->obj[0], shape, colour, size, pos, 1.0f);
        } else {
            scene_plan s = {.shape = shape, .colour = colour};
            do {
                s.shape2 = rng_int(&r, SHAPES_N_SHAPES), s.colour2 = rng_int(&r, SHAPES_N_COLOURS);
            } while (s.shape2 == shape && s.colour2 == colour);
            s.vertical = rng_int(&r, 2), s.flip = rng_int(&r, 2);
            s.sz_a = -1, s.sz_b = -1; /* drawn by place_two, one before each placement */
            place_two(&r, d, &s);
        }
    }
    make_background(&r, d);
    int rend = is_hard(p->seed, SHAPES_SPLIT_PRETRAIN, -1, index, p->pretrain_hard_rate)
                   ? 1 + rng_int(&r, SHAPES_N_RENDITIONS - 1)
                   : SHAPES_REND_STANDARD;
    apply_rendition(d, rend, rng_unit(&r));
    d->noise_seed = rng_next(&r);
    write_caption(&r, d, caption, cap);
}

int shapes_cl_sample(const shapes_world_params *p, int split, int cls, uint64_t index,
                     shapes_sample_desc *d) {
    if (split != SHAPES_SPLIT_TRAIN && split != SHAPES_SPLIT_TEST)
        return SEGP_FAIL("shapes: split %d is not a CL split (expected train or test)", split);
    if (!class_valid(cls))
        return SEGP_FAIL("shapes: class %d out of range (expected 0..%d)", cls,
                         SHAPES_N_CLASSES + SHAPES_N_HELDOUT - 1);
    rng r;
    rng_init(&r, make_key(p->seed, (uint64_t)split, (uint64_t)cls + 1, index));
    memset(d, 0, sizeof *d);
    d->cls = cls;
    int shape = shapes_class_shape(cls), colour = shapes_class_colour(cls);
    int size = rng_int(&r, SHAPES_N_SIZES), pos = rng_int(&r, SHAPES_N_POSITIONS);
    int distract = rng_unit(&r) < p->cl_distractor_rate;
    /* Draw the distractor's attributes always, so the rate does not reshuffle other samples. */
    int dshape = SHAPES_ARROW + rng_int(&r, 2), dcolour = rng_int(&r, SHAPES_N_COLOURS - 1);
    int dpos = 1 + rng_int(&r, 4);
    if (dshape == shape) dshape = dshape == SHAPES_ARROW ? SHAPES_PENTAGON : SHAPES_ARROW;
    if (dcolour >= colour) dcolour++;
    if (!distract) {
        d->n_objects = 1;
        place_object(&r, &d->obj[0], shape, colour, size, pos, 1.0f);
    } else {
        /* Main object on one side (at most medium), a small distractor on the opposite side. */
        static const int opposite[SHAPES_N_POSITIONS] = {0, SHAPES_RIGHT, SHAPES_LEFT,
                                                         SHAPES_BOTTOM, SHAPES_TOP};
        d->n_objects = 2;
        place_object(&r, &d->obj[0], shape, colour, size < 2 ? size : 1, dpos, 0.85f);
        place_object(&r, &d->obj[1], dshape, dcolour, SHAPES_SMALL, opposite[dpos], 0.85f);
    }
    make_background(&r, d);
    float rate = split == SHAPES_SPLIT_TRAIN ? p->train_hard_rate : p->test_hard_rate;
    int rend = is_hard(p->seed, split, cls, index, rate) ? 1 + rng_int(&r, SHAPES_N_RENDITIONS - 1)
                                                         : SHAPES_REND_STANDARD;
    apply_rendition(d, rend, rng_unit(&r));
    d->noise_seed = rng_next(&r);
    return 0;
}

/* ---- class order -------------------------------------------------------------------------- */

void shapes_class_order(uint64_t order_seed, int order[SHAPES_N_CLASSES]) {
    /* A scrambled Latin square: task t, slot k holds colour pc[k] with shape ps[(k + pt[t]) % 10].
     * Each task has every colour and every shape once; over the tasks each colour meets every
     * shape once because pt is a permutation. */
    rng r;
    rng_init(&r, make_key(order_seed ? order_seed : 0x4F52444552ull, 7, 7, 7));
    int pc[10], ps[10], pt[10];
    for (int i = 0; i < 10; i++)
        pc[i] = ps[i] = pt[i] = i;
    shuffle(&r, pc, 10), shuffle(&r, ps, 10), shuffle(&r, pt, 10);
    for (int t = 0; t < SHAPES_N_TASKS; t++) {
        int *task = order + t * SHAPES_CLASSES_PER_TASK;
        for (int k = 0; k < 10; k++)
            task[k] = pc[k] * SHAPES_N_CLASS_SHAPES + ps[(k + pt[t]) % 10];
        shuffle(&r, task, SHAPES_CLASSES_PER_TASK);
    }
}
