/* colormap.h: the colours of the figures: viridis for similarities (perceptually uniform, reads
 * in grey-scale order, colour-blind safe), a blue-white-red diverging map for signed
 * differences (ColorBrewer RdBu: blue negative, white at the centre, red positive), and the
 * Okabe-Ito categorical palette (distinct for the common colour-vision deficiencies). */
#ifndef SEGP_FIG_COLORMAP_H
#define SEGP_FIG_COLORMAP_H

#include <stdint.h>

typedef struct {
    double r, g, b; /* 0..1 */
} fig_rgb;

typedef enum { FIG_CMAP_VIRIDIS = 0, FIG_CMAP_DIVERGING = 1 } fig_cmap;

/* Colour of T in [0,1] (clamped; NAN: light grey). DIVERGING: T = 0.5 is white. */
fig_rgb fig_cmap_rgb(fig_cmap m, double t);
/* The same colour as it lands in an 8-bit pixel (what a PNG holds), 0xRRGGBB. */
uint32_t fig_cmap_rgb8(fig_cmap m, double t);

/* Okabe-Ito, in the order lines and groups take them (blue, vermillion, bluish green,
 * orange, reddish purple, sky blue, black, yellow), cycling. */
fig_rgb fig_palette(int i);
enum { FIG_C_BLUE = 0, FIG_C_VERMILLION, FIG_C_GREEN, FIG_C_ORANGE, FIG_C_PURPLE, FIG_C_SKY,
       FIG_C_BLACK, FIG_C_YELLOW };

/* Old classes and new (current-task) classes in every figure. */
#define FIG_C_OLD FIG_C_BLUE
#define FIG_C_NEW FIG_C_VERMILLION

/* Relative luminance (for picking black or white text over a colour). */
double fig_luminance(fig_rgb c);

#endif
