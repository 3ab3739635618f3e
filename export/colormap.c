/* colormap.c: viridis and RdBu as piecewise-linear interpolation of published control points
 * (viridis at t = 0, 0.1, ..., 1; ColorBrewer RdBu's 11 classes), and the Okabe-Ito palette.
 * Eleven stops keep both maps within a few 8-bit levels of the full tables. */
#include "export/colormap.h"

#include <math.h>

static const uint32_t viridis_stops[11] = {
    0x440154, 0x482475, 0x414487, 0x355f8d, 0x2a788e, 0x21918c,
    0x22a884, 0x44bf70, 0x7ad151, 0xbddf26, 0xfde725,
};

/* low (t = 0) to high (t = 1): dark blue, white at 0.5 (ColorBrewer's f7f7f7 made white, so
 * that zero difference reads as nothing), dark red */
static const uint32_t rdbu_stops[11] = {
    0x053061, 0x2166ac, 0x4393c3, 0x92c5de, 0xd1e5f0, 0xffffff,
    0xfddbc7, 0xf4a582, 0xd6604d, 0xb2182b, 0x67001f,
};

static fig_rgb hex(uint32_t c) {
    fig_rgb r = {((c >> 16) & 255) / 255.0, ((c >> 8) & 255) / 255.0, (c & 255) / 255.0};
    return r;
}

static fig_rgb interp(const uint32_t *stops, int n, double t) {
    if (t <= 0) return hex(stops[0]);
    if (t >= 1) return hex(stops[n - 1]);
    double p = t * (n - 1);
    int i = (int)p;
    if (i >= n - 1) i = n - 2;
    double f = p - i;
    fig_rgb a = hex(stops[i]), b = hex(stops[i + 1]);
    fig_rgb r = {a.r + f * (b.r - a.r), a.g + f * (b.g - a.g), a.b + f * (b.b - a.b)};
    return r;
}

fig_rgb fig_cmap_rgb(fig_cmap m, double t) {
    if (isnan(t)) return hex(0xdddddd);
    if (m == FIG_CMAP_DIVERGING) return interp(rdbu_stops, 11, t);
    return interp(viridis_stops, 11, t);
}

static int to8(double v) {
    int x = (int)lround(v * 255.0);
    return x < 0 ? 0 : x > 255 ? 255 : x;
}

uint32_t fig_cmap_rgb8(fig_cmap m, double t) {
    fig_rgb c = fig_cmap_rgb(m, t);
    return (uint32_t)to8(c.r) << 16 | (uint32_t)to8(c.g) << 8 | (uint32_t)to8(c.b);
}

static const uint32_t okabe_ito[8] = {
    0x0072b2, 0xd55e00, 0x009e73, 0xe69f00, 0xcc79a7, 0x56b4e9, 0x000000, 0xf0e442,
};

fig_rgb fig_palette(int i) {
    if (i < 0) i = -i;
    return hex(okabe_ito[i % 8]);
}

double fig_luminance(fig_rgb c) {
    return 0.2126 * c.r + 0.7152 * c.g + 0.0722 * c.b;
}
