/* clip_transform.c: fuzz target for the resize arithmetic of CLIP's eval transform
 * (engine/io/resize.c) on synthetic images of any shape: 1 x 65535 slivers, upscaling and
 * downscaling, odd crop offsets, the three resample kinds (bicubic, premultiplied alpha,
 * nearest) and windows of the output. Input: width and height (u16 little-endian each), a kind
 * byte, the output size byte, a window byte, then pixel bytes (repeated to fill the image).
 * Images up to 65535 pixels (any aspect ratio up to 1 x 65535) keep each input fast. */
#include "fuzz.h"
#include "io/image.h"

static int u16(const uint8_t *p) { return p[0] | p[1] << 8; }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 7) return -1;
    int w = u16(data), h = u16(data + 2), kind = data[4], n_px = 1 + data[5], win = data[6];
    data += 7;
    size -= 7;
    if (w < 1 || h < 1 || (int64_t)w * h > 65535) return -1;
    image_decoded d = {w, h, (kind & 3) == 1 ? 4 : 3, NULL, (image_resample_kind)((kind & 3) % 3)};
    size_t n = (size_t)w * (size_t)h * (size_t)d.channels;
    d.px = segp_malloc(n);
    for (size_t i = 0; i < n; i++) d.px[i] = size ? data[i % size] : (uint8_t)(i * 37);

    /* the transform (window = the centre crop of the resized image) */
    int rw, rh, cx, cy;
    image_clip_geometry(w, h, n_px, &rw, &rh, &cx, &cy);
    if (rw < n_px || rh < n_px || cx < 0 || cy < 0 || cx + n_px > rw || cy + n_px > rh) abort();
    float *t = segp_malloc((size_t)n_px * n_px * 3 * sizeof(float));
    image_decoded_clip_transform(&d, n_px, t);
    free(t);

    /* a plain resize to a small size, and a window of it equals the same part of the whole
     * (only for small images: a resize to a fixed size reads every input pixel) */
    if ((int64_t)w * h > 4096) {
        free(d.px);
        return 0;
    }
    int ow = 1 + (kind >> 2) % 40, oh = 1 + win % 40;
    uint8_t *full = segp_malloc((size_t)ow * oh * 3);
    image_decoded_resize_rgb(&d, ow, oh, full);
    int ox = (win >> 3) % ow, oy = (kind >> 5) % oh, ww = ow - ox, wh = oh - oy;
    uint8_t *part = segp_malloc((size_t)ww * wh * d.channels);
    uint8_t *whole = segp_malloc((size_t)ow * oh * d.channels);
    if (d.resample == IMAGE_RESAMPLE_NEAREST) {
        image_resample_nearest_u8(d.px, w, h, d.channels, ow, oh, 0, 0, ow, oh, whole);
        image_resample_nearest_u8(d.px, w, h, d.channels, ow, oh, ox, oy, ww, wh, part);
    } else {
        image_resample_bicubic_u8(d.px, w, h, d.channels, ow, oh, 0, 0, ow, oh, whole);
        image_resample_bicubic_u8(d.px, w, h, d.channels, ow, oh, ox, oy, ww, wh, part);
    }
    for (int y = 0; y < wh; y++)
        if (memcmp(part + (size_t)y * ww * d.channels,
                   whole + ((size_t)(oy + y) * ow + ox) * d.channels, (size_t)ww * d.channels))
            abort(); /* image.h: a window gives the same bytes as cropping the full result */
    free(part);
    free(whole);
    free(full);
    free(d.px);
    return 0;
}
