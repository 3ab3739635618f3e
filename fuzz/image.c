/* image.c: fuzz target for image decoding (engine/io/image.c: PNG through libpng, JPEG through
 * libjpeg-turbo, from memory) and what every decoded image goes through next: CLIP's eval
 * transform (resize of the short side, centre crop, normalisation) and the RGB conversion.
 * Images above 2^18 pixels are skipped after the header check: the engine accepts up to
 * PIL's 178,956,970 (IMAGE_MAX_PIXELS), but each input must stay well inside the 10 s timeout (a
 * million-pixel 16-bit interlaced PNG took 7.5 s under the sanitizers); the resize arithmetic at
 * extreme sizes is clip_transform's target. */
#include "fuzz.h"
#include "io/image.h"

/* Width and height from a PNG IHDR or a JPEG SOFn, or 0 when they cannot be found. */
static uint64_t declared_pixels(const uint8_t *d, size_t n) {
    if (n >= 24 && d[0] == 0x89 && !memcmp(d + 12, "IHDR", 4)) {
        uint64_t w = (uint64_t)d[16] << 24 | (uint64_t)d[17] << 16 | (uint64_t)d[18] << 8 | d[19];
        uint64_t h = (uint64_t)d[20] << 24 | (uint64_t)d[21] << 16 | (uint64_t)d[22] << 8 | d[23];
        return w * h;
    }
    uint64_t most = 0; /* every SOFn marker: libjpeg uses the first, be safe */
    for (size_t i = 2; i + 9 <= n; i++)
        if (d[i] == 0xFF && d[i + 1] >= 0xC0 && d[i + 1] <= 0xCF && d[i + 1] != 0xC4 &&
            d[i + 1] != 0xC8 && d[i + 1] != 0xCC) {
            uint64_t h = (uint64_t)d[i + 5] << 8 | d[i + 6], w = (uint64_t)d[i + 7] << 8 | d[i + 8];
            if (w * h > most) most = w * h;
        }
    return most;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (declared_pixels(data, size) > (1u << 18)) return -1; /* not added to the corpus */
    image_decoded d;
    if (image_decode_memory("fuzz.img", data, size, &d) != 0) {
        if (d.px) abort(); /* a failed decode leaves nothing behind */
        return 0;
    }
    if (d.width < 1 || d.height < 1 || (d.channels != 3 && d.channels != 4)) abort();
    /* an odd and a CLIP-like size, through both the float and the byte path */
    static const int sizes[2] = {7, 32};
    float *t = segp_malloc(3 * 32 * 32 * sizeof(float));
    uint8_t *c = segp_malloc(32 * 32 * 3);
    for (int k = 0; k < 2; k++) {
        image_decoded_clip_transform(&d, sizes[k], t);
        image_decoded_clip_crop(&d, sizes[k], c);
    }
    free(t);
    free(c);
    image_decoded_free(&d);
    image_rgb rgb;
    if (image_load_memory("fuzz.img", data, size, &rgb) != 0) abort(); /* decoded once: again */
    float *t2 = segp_malloc(3 * 5 * 5 * sizeof(float));
    image_clip_transform(&rgb, 5, t2);
    free(t2);
    image_free(&rgb);
    return 0;
}
