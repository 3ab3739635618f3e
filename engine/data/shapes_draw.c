/* shapes_draw.c: rendering of a `shapes` scene description (shapes.h) into 8-bit RGB.
 *
 * Shapes are geometric (polygons and circle combinations) in an object-local frame where the
 * shape fits a radius-1 disc. Every pixel is supersampled 4x4: each subsample takes the
 * background colour, then the colour of every object whose style paints that point; the pixel
 * is their mean, which anti-aliases edges, stripes and strokes alike. Outlines are strokes just
 * inside the boundary (signed distance in (-w, 0]), so they never grow the shape. Post-effects
 * (blur, contrast, noise) act on the float image before rounding to 8 bits. */
#include "shapes.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/common.h"

#define SS 4 /* supersampling per axis */
#define MAX_VERTS 72

enum { GEO_POLY, GEO_CIRCLE, GEO_RING, GEO_CRESCENT };

typedef struct {
    int kind, nv;
    float vx[MAX_VERTS], vy[MAX_VERTS]; /* polygon, local frame, y down */
    float r_out, r_in, ox;              /* circles: outer radius, inner radius, crescent offset */
    float shift;                        /* crescent: x shift that centres its bounding box */
    float cx, cy, rad;                  /* pixels */
    float ca, sa;                       /* rotation cos/sin */
    int x0, x1, y0, y1;                 /* pixel bounding box (inclusive) */
    int style;
    float col[3], shade[3];
    float stroke, period; /* local units */
} geo;

/* ---- polygons in the local frame ---------------------------------------------------------- */

static void poly_regular(geo *g, int n, float r, float start) {
    g->nv = n;
    for (int i = 0; i < n; i++) {
        float a = start + 6.2831853f * (float)i / (float)n;
        g->vx[i] = r * cosf(a);
        g->vy[i] = r * sinf(a);
    }
}

static void poly_set(geo *g, const float *xy, int n) {
    g->nv = n;
    for (int i = 0; i < n; i++) {
        g->vx[i] = xy[2 * i];
        g->vy[i] = xy[2 * i + 1];
    }
}

/* Centre the bounding box at the origin and scale so the larger half-extent is `half`. */
static void poly_normalise(geo *g, float half) {
    float x0 = 1e9f, x1 = -1e9f, y0 = 1e9f, y1 = -1e9f;
    for (int i = 0; i < g->nv; i++) {
        x0 = fminf(x0, g->vx[i]), x1 = fmaxf(x1, g->vx[i]);
        y0 = fminf(y0, g->vy[i]), y1 = fmaxf(y1, g->vy[i]);
    }
    float mx = 0.5f * (x0 + x1), my = 0.5f * (y0 + y1);
    float s = half / fmaxf(0.5f * (x1 - x0), 0.5f * (y1 - y0));
    for (int i = 0; i < g->nv; i++) {
        g->vx[i] = (g->vx[i] - mx) * s;
        g->vy[i] = (g->vy[i] - my) * s;
    }
}

static void build_shape(geo *g, int shape) {
    const float up = -1.5707963f; /* y grows downwards: -90 degrees points up */
    g->kind = GEO_POLY;
    switch (shape) {
    case SHAPES_CIRCLE:
        g->kind = GEO_CIRCLE, g->r_out = 0.88f;
        break;
    case SHAPES_RING:
        g->kind = GEO_RING, g->r_out = 0.92f, g->r_in = 0.5f;
        break;
    case SHAPES_CRESCENT:
        /* Disc minus an offset disc; the horns open to the right. */
        g->kind = GEO_CRESCENT, g->r_out = 0.92f, g->r_in = 0.74f, g->ox = 0.43f;
        g->shift = 0.17f;
        break;
    case SHAPES_SQUARE: {
        const float xy[] = {-1, -1, 1, -1, 1, 1, -1, 1};
        poly_set(g, xy, 4);
        poly_normalise(g, 0.78f);
        break;
    }
    case SHAPES_TRIANGLE:
        poly_regular(g, 3, 1.0f, up);
        poly_normalise(g, 0.98f);
        break;
    case SHAPES_STAR:
        /* Inner radius 0.45 (fatter than the classic 0.38) keeps the arms visible when small. */
        g->nv = 10;
        for (int i = 0; i < 10; i++) {
            float a = up + 3.14159265f * (float)i / 5.0f, r = (i & 1) ? 0.45f : 1.0f;
            g->vx[i] = r * cosf(a);
            g->vy[i] = r * sinf(a);
        }
        poly_normalise(g, 1.0f);
        break;
    case SHAPES_HEART:
        /* The classic parametric heart, sampled. */
        g->nv = 64;
        for (int i = 0; i < 64; i++) {
            float t = 6.2831853f * (float)i / 64.0f, s = sinf(t);
            g->vx[i] = 16.0f * s * s * s;
            g->vy[i] = -(13.0f * cosf(t) - 5.0f * cosf(2 * t) - 2.0f * cosf(3 * t) - cosf(4 * t));
        }
        poly_normalise(g, 0.95f);
        break;
    case SHAPES_CROSS: {
        const float a = 0.34f, b = 1.0f;
        const float xy[] = {-a, -b, a,  -b, a,  -a, b,  -a, b,  a,  a,  a,
                            a,  b,  -a, b,  -a, a,  -b, a,  -b, -a, -a, -a};
        poly_set(g, xy, 12);
        poly_normalise(g, 0.95f);
        break;
    }
    case SHAPES_DIAMOND: {
        const float xy[] = {0, -1, 0.68f, 0, 0, 1, -0.68f, 0};
        poly_set(g, xy, 4);
        break;
    }
    case SHAPES_HEXAGON:
        poly_regular(g, 6, 1.0f, up);
        poly_normalise(g, 0.95f);
        break;
    case SHAPES_PENTAGON:
        poly_regular(g, 5, 1.0f, up);
        poly_normalise(g, 0.95f);
        break;
    case SHAPES_ARROW:
    default: {
        /* Pointing along +x; the object's angle turns it. */
        const float xy[] = {-1, -0.27f, 0.05f, -0.27f, 0.05f, -0.7f, 1,
                            0,  0.05f,  0.7f,  0.05f,  0.27f, -1,    0.27f};
        poly_set(g, xy, 7);
        poly_normalise(g, 0.95f);
        break;
    }
    }
}

/* Signed distance (negative inside) in the local frame. Inside distances are exact for the
 * polygons; outside ones are only used through their sign. */
static float sdf(const geo *g, float x, float y) {
    switch (g->kind) {
    case GEO_CIRCLE:
        return sqrtf(x * x + y * y) - g->r_out;
    case GEO_RING: {
        float r = sqrtf(x * x + y * y);
        return fmaxf(r - g->r_out, g->r_in - r);
    }
    case GEO_CRESCENT: {
        float xs = x + g->shift, d1 = sqrtf(xs * xs + y * y) - g->r_out;
        float xo = xs - g->ox, d2 = g->r_in - sqrtf(xo * xo + y * y);
        return fmaxf(d1, d2);
    }
    default: {
        float best = 1e30f;
        int inside = 0;
        for (int i = 0, j = g->nv - 1; i < g->nv; j = i++) {
            float ex = g->vx[j] - g->vx[i], ey = g->vy[j] - g->vy[i];
            float wx = x - g->vx[i], wy = y - g->vy[i];
            float t = (wx * ex + wy * ey) / (ex * ex + ey * ey);
            t = t < 0 ? 0 : t > 1 ? 1 : t;
            float dx = wx - ex * t, dy = wy - ey * t, d = dx * dx + dy * dy;
            if (d < best) best = d;
            if ((g->vy[i] > y) != (g->vy[j] > y) && x < ex * (y - g->vy[i]) / ey + g->vx[i])
                inside = !inside;
        }
        return inside ? -sqrtf(best) : sqrtf(best);
    }
    }
}

/* ---- per-object paint --------------------------------------------------------------------- */

static float luminance(const float *c) { return 0.299f * c[0] + 0.587f * c[1] + 0.114f * c[2]; }

static void geo_setup(geo *g, const shapes_object *o, int size) {
    memset(g, 0, sizeof *g);
    build_shape(g, o->shape);
    g->cx = o->cx * (float)size;
    g->cy = o->cy * (float)size;
    g->rad = fmaxf(o->radius * (float)size, 0.5f);
    g->ca = cosf(o->angle);
    g->sa = sinf(o->angle);
    /* Every shape lies within radius ~1.42 of its centre (square corners); one pixel margin. */
    float ext = 1.45f * g->rad + 1.0f;
    g->x0 = (int)floorf(g->cx - ext), g->x1 = (int)ceilf(g->cx + ext);
    g->y0 = (int)floorf(g->cy - ext), g->y1 = (int)ceilf(g->cy + ext);
    g->style = o->style;
    for (int c = 0; c < 3; c++)
        g->col[c] = o->rgb[c];
    /* Texture partner colour: a darker shade of light colours, a lighter one of dark colours. */
    int dark = luminance(o->rgb) < 0.45f;
    for (int c = 0; c < 3; c++)
        g->shade[c] = dark ? o->rgb[c] + (1.0f - o->rgb[c]) * 0.55f : o->rgb[c] * 0.45f;
    /* Strokes and texture periods have pixel minima so they survive small renders. */
    g->stroke = fmaxf(0.16f, 1.25f / g->rad);
    g->period = fmaxf(0.5f, 3.2f / g->rad);
    if (g->style == SHAPES_DOTTED) g->period = fmaxf(0.55f, 3.6f / g->rad);
}

/* Colour the object paints at pixel-space point (px, py), or NULL where it paints nothing. */
static const float *geo_paint(const geo *g, float px, float py) {
    float u = (px - g->cx) / g->rad, v = (py - g->cy) / g->rad;
    float x = g->ca * u + g->sa * v, y = -g->sa * u + g->ca * v;
    if (x * x + y * y > 2.1f) return NULL; /* outside every shape: skip the distance */
    float d = sdf(g, x, y);
    if (d > 0) return NULL;
    switch (g->style) {
    case SHAPES_OUTLINE:
        return d > -g->stroke ? g->col : NULL;
    case SHAPES_STRIPED: {
        float s = (x + y) * 0.70710678f / g->period;
        return ((int)floorf(2.0f * s) & 1) ? g->shade : g->col;
    }
    case SHAPES_CHECKERED: {
        int k = (int)floorf(2.0f * x / g->period) + (int)floorf(2.0f * y / g->period);
        return (k & 1) ? g->shade : g->col;
    }
    case SHAPES_DOTTED: {
        /* A thin outline plus polka dots; the background shows between the dots. */
        if (d > -0.7f * g->stroke) return g->col;
        float fx = x / g->period - floorf(x / g->period) - 0.5f;
        float fy = y / g->period - floorf(y / g->period) - 0.5f;
        return fx * fx + fy * fy < 0.09f ? g->col : NULL;
    }
    default:
        return g->col;
    }
}

/* Coverage of the whole pixel centred at (px, py): 0 = the object paints none of it, 1 = it
 * paints all of it in its flat colour, -1 = mixed (supersample). The signed distance is exact
 * inside and a lower bound outside, so both verdicts are safe. */
static int geo_pixel(const geo *g, float px, float py) {
    float u = (px - g->cx) / g->rad, v = (py - g->cy) / g->rad;
    float x = g->ca * u + g->sa * v, y = -g->sa * u + g->ca * v;
    float half = 0.75f / g->rad; /* > half a pixel diagonal, in local units */
    float r2 = x * x + y * y, reach = 1.45f + half;
    if (r2 > reach * reach) return 0;
    float d = sdf(g, x, y);
    if (d > half) return 0;
    if (d < -half && g->style == SHAPES_FILLED) return 1;
    return -1;
}

/* ---- background --------------------------------------------------------------------------- */

static uint64_t hash64(uint64_t x) {
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

static float hash_unit(uint64_t seed, uint64_t a, uint64_t b) {
    uint64_t h = hash64(seed ^ hash64(a * 0x100000001B3ull + b));
    return (float)(h >> 40) * (1.0f / 16777216.0f);
}

typedef struct {
    const shapes_sample_desc *d;
    float ca, sa; /* gradient / stripe direction */
    float period; /* stripe period */
    float inv;    /* 1 / image size */
} bg_ctx;

static void bg_setup(bg_ctx *b, const shapes_sample_desc *d, int size) {
    b->d = d;
    b->ca = cosf(d->bg_angle);
    b->sa = sinf(d->bg_angle);
    b->period = d->bg_period > 0.02f ? d->bg_period : 0.02f;
    b->inv = 1.0f / (float)size;
}

static int stripe_band(const bg_ctx *b, float u, float v) {
    return (int)floorf(2.0f * (u * b->ca + v * b->sa) / b->period) & 1;
}

/* Background colour at (u, v), fractions of the image. */
static void background(const bg_ctx *b, float u, float v, float *out) {
    const shapes_sample_desc *d = b->d;
    float t = 0;
    switch (d->background) {
    case SHAPES_BG_GRADIENT:
        t = 0.5f + (u - 0.5f) * b->ca + (v - 0.5f) * b->sa;
        t = t < 0 ? 0 : t > 1 ? 1 : t;
        break;
    case SHAPES_BG_NOISE: {
        /* Blocky value noise on a 16 x 16 grid: the same pattern at every image size. */
        int64_t i = (int64_t)floorf(u * 16.0f), j = (int64_t)floorf(v * 16.0f);
        t = hash_unit(d->bg_seed, (uint64_t)(i + 64), (uint64_t)(j + 64));
        break;
    }
    case SHAPES_BG_STRIPES:
        t = (float)stripe_band(b, u, v);
        break;
    default:
        break;
    }
    for (int c = 0; c < 3; c++)
        out[c] = d->bg[0][c] + (d->bg[1][c] - d->bg[0][c]) * t;
}

/* Is the background free of edges over pixel (x, y)? Then its centre value stands for the
 * pixel (exact for plain; for gradients the mean of a linear ramp is its centre value). */
static int bg_uniform(const bg_ctx *b, int x, int y) {
    float u0 = (float)x * b->inv, u1 = (float)(x + 1) * b->inv;
    float v0 = (float)y * b->inv, v1 = (float)(y + 1) * b->inv;
    switch (b->d->background) {
    case SHAPES_BG_NOISE:
        return floorf(u0 * 16.0f) == floorf((u1 - 1e-6f) * 16.0f) &&
               floorf(v0 * 16.0f) == floorf((v1 - 1e-6f) * 16.0f);
    case SHAPES_BG_STRIPES: {
        int s = stripe_band(b, u0, v0);
        return s == stripe_band(b, u1, v0) && s == stripe_band(b, u0, v1) &&
               s == stripe_band(b, u1, v1);
    }
    default:
        return 1;
    }
}

/* ---- post-effects ------------------------------------------------------------------------- */

static void blur(float *img, int size, float sigma) {
    int rad = (int)ceilf(3.0f * sigma);
    if (rad < 1) return;
    if (rad > size) rad = size;
    float *k = segp_malloc(sizeof(float) * (size_t)(2 * rad + 1));
    float sum = 0;
    for (int i = -rad; i <= rad; i++)
        sum += k[i + rad] = expf(-0.5f * (float)(i * i) / (sigma * sigma));
    for (int i = 0; i <= 2 * rad; i++)
        k[i] /= sum;
    float *tmp = segp_malloc(sizeof(float) * (size_t)size * (size_t)size * 3);
    /* Horizontal then vertical, edges clamped. */
    for (int pass = 0; pass < 2; pass++) {
        const float *src = pass ? tmp : img;
        float *dst = pass ? img : tmp;
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++)
                for (int c = 0; c < 3; c++) {
                    float acc = 0;
                    for (int i = -rad; i <= rad; i++) {
                        int xx = pass ? x : x + i, yy = pass ? y + i : y;
                        xx = xx < 0 ? 0 : xx >= size ? size - 1 : xx;
                        yy = yy < 0 ? 0 : yy >= size ? size - 1 : yy;
                        acc += k[i + rad] *
                               src[((size_t)yy * (size_t)size + (size_t)xx) * 3 + (size_t)c];
                    }
                    dst[((size_t)y * (size_t)size + (size_t)x) * 3 + (size_t)c] = acc;
                }
    }
    free(tmp);
    free(k);
}

static void contrast(float *img, size_t n_px, float c) {
    double mean[3] = {0, 0, 0};
    for (size_t i = 0; i < n_px; i++)
        for (int ch = 0; ch < 3; ch++)
            mean[ch] += img[i * 3 + (size_t)ch];
    for (int ch = 0; ch < 3; ch++)
        mean[ch] /= (double)n_px;
    for (size_t i = 0; i < n_px; i++)
        for (int ch = 0; ch < 3; ch++) {
            float m = (float)mean[ch];
            img[i * 3 + (size_t)ch] = m + (img[i * 3 + (size_t)ch] - m) * c;
        }
}

/* Gaussian noise from a counter-based hash: value i depends only on (seed, i). */
static void add_noise(float *img, size_t n, float std, uint64_t seed) {
    for (size_t i = 0; i < n; i++) {
        float u1 = hash_unit(seed, i, 1), u2 = hash_unit(seed, i, 2);
        float z = sqrtf(-2.0f * logf(u1 + 1e-7f)) * cosf(6.2831853f * u2);
        img[i] += std * z;
    }
}

/* ---- entry points ------------------------------------------------------------------------- */

int shapes_render_into(const shapes_sample_desc *d, int size, uint8_t *rgb) {
    if (size < SHAPES_MIN_SIZE || size > SHAPES_MAX_SIZE)
        return SEGP_FAIL("shapes: image size %d out of range (expected %d..%d)", size,
                         SHAPES_MIN_SIZE, SHAPES_MAX_SIZE);
    if (d->n_objects < 0 || d->n_objects > SHAPES_MAX_OBJECTS)
        return SEGP_FAIL("shapes: n_objects %d out of range (expected 0..%d)", d->n_objects,
                         SHAPES_MAX_OBJECTS);
    for (int k = 0; k < d->n_objects; k++)
        if (d->obj[k].shape < 0 || d->obj[k].shape >= SHAPES_N_SHAPES || d->obj[k].style < 0 ||
            d->obj[k].style >= SHAPES_N_STYLES)
            return SEGP_FAIL("shapes: object %d has shape %d / style %d (expected 0..%d / 0..%d)",
                             k, d->obj[k].shape, d->obj[k].style, SHAPES_N_SHAPES - 1,
                             SHAPES_N_STYLES - 1);
    geo g[SHAPES_MAX_OBJECTS];
    for (int k = 0; k < d->n_objects; k++)
        geo_setup(&g[k], &d->obj[k], size);

    bg_ctx bgc;
    bg_setup(&bgc, d, size);
    size_t n_px = (size_t)size * (size_t)size;
    float *img = segp_malloc(sizeof(float) * n_px * 3);
    const float inv = bgc.inv, w = 1.0f / (SS * SS);
    for (int y = 0; y < size; y++)
        for (int x = 0; x < size; x++) {
            float *o = img + ((size_t)y * (size_t)size + (size_t)x) * 3;
            int n_near = 0, near[SHAPES_MAX_OBJECTS];
            for (int k = 0; k < d->n_objects; k++)
                if (x >= g[k].x0 && x <= g[k].x1 && y >= g[k].y0 && y <= g[k].y1)
                    near[n_near++] = k;
            /* Flat pixels (no edge of the background or of any object crosses them) take one
             * sample; the rest are supersampled. */
            float pcx = (float)x + 0.5f, pcy = (float)y + 0.5f;
            int flat = bg_uniform(&bgc, x, y);
            const float *top = NULL;
            for (int k = 0; k < n_near && flat; k++) {
                int cov = geo_pixel(&g[near[k]], pcx, pcy);
                if (cov < 0)
                    flat = 0;
                else if (cov == 1)
                    top = g[near[k]].col;
            }
            if (flat) {
                if (top)
                    o[0] = top[0], o[1] = top[1], o[2] = top[2];
                else
                    background(&bgc, pcx * inv, pcy * inv, o);
                continue;
            }
            float acc[3] = {0, 0, 0};
            for (int sy = 0; sy < SS; sy++)
                for (int sx = 0; sx < SS; sx++) {
                    float px = (float)x + ((float)sx + 0.5f) / SS;
                    float py = (float)y + ((float)sy + 0.5f) / SS;
                    float col[3];
                    background(&bgc, px * inv, py * inv, col);
                    for (int k = 0; k < n_near; k++) {
                        const float *c = geo_paint(&g[near[k]], px, py);
                        if (c) col[0] = c[0], col[1] = c[1], col[2] = c[2];
                    }
                    for (int c = 0; c < 3; c++)
                        acc[c] += col[c];
                }
            for (int c = 0; c < 3; c++)
                o[c] = acc[c] * w;
        }
    if (d->blur > 0) blur(img, size, d->blur * (float)size);
    if (d->contrast > 0 && d->contrast != 1.0f) contrast(img, n_px, d->contrast);
    if (d->noise > 0) add_noise(img, n_px * 3, d->noise, d->noise_seed);
    for (size_t i = 0; i < n_px * 3; i++) {
        float v = img[i] * 255.0f + 0.5f;
        rgb[i] = (uint8_t)(v <= 0 ? 0 : v >= 255 ? 255 : (int)v);
    }
    free(img);
    return 0;
}

int shapes_render(const shapes_world_params *p, const shapes_sample_desc *d, image_rgb *out) {
    out->width = out->height = 0;
    out->rgb = NULL;
    int size = p->image_size;
    if (size < SHAPES_MIN_SIZE || size > SHAPES_MAX_SIZE)
        return SEGP_FAIL("shapes: image_size %d out of range (expected %d..%d)", size,
                         SHAPES_MIN_SIZE, SHAPES_MAX_SIZE);
    uint8_t *rgb = segp_malloc((size_t)size * (size_t)size * 3);
    if (shapes_render_into(d, size, rgb) != 0) {
        free(rgb);
        return -1;
    }
    out->width = out->height = size;
    out->rgb = rgb;
    return 0;
}
