/* png_read.h: a PNG read back through libpng, for the figure tests: its size, colour type,
 * pHYs and tEXt chunks, and its pixels as RGBA. */
#ifndef SEGP_TEST_PNG_READ_H
#define SEGP_TEST_PNG_READ_H

#include <png.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    int ok;
    int w, h, color_type, bit_depth;
    png_uint_32 ppm_x, ppm_y;
    int phys_unit, has_phys;
    int n_text;
    char key[16][80];
    char *value[16];
    uint8_t *rgba; /* [h, w, 4] */
} png_read;

/* DATA (SIZE bytes) decoded into R; R->ok says whether it was a readable PNG. */
void png_decode(const uint8_t *data, size_t size, png_read *r);
/* PATH decoded into R: 0, or -1 when it cannot be read or is no PNG. */
int png_load(const char *path, png_read *r);
void png_read_free(png_read *r);
/* the tEXt value of KEY, or NULL */
const char *chunk_text(const png_read *r, const char *key);
/* 0xRRGGBB of pixel (x, y) */
uint32_t png_px(const png_read *r, int x, int y);
/* every channel of A and B within TOL */
int near_rgb(uint32_t a, uint32_t b, int tol);

#define CHECK_RGB(got, want, tol)                                                           \
    CHECK_MSG(near_rgb((got), (want), (tol)), "%s: #%06x, expected #%06x (+-%d)", #got,      \
              (unsigned)(got), (unsigned)(want), (tol))

#endif
