/* image.h: decoding PNG (libpng) and JPEG (libjpeg-turbo) into 8-bit RGB, writing PNG, and CLIP's
 * evaluation transform.
 *
 * The transform reproduces clip._transform(n_px) exactly: PIL bicubic (a = -0.5) resize of the
 * short side to n_px with antialiasing (support widened by the downscale factor, PIL's
 * fixed-point coefficient path and rounding back to 8 bits), long side int(n_px * long / short),
 * centre crop with offsets round((size - n_px) / 2) (Python's round: halves to even), ToTensor
 * (/255), Normalize with CLIP's mean/std.
 *
 * clip._transform resizes the image in the mode PIL opened it in and converts to RGB only after
 * the crop, and PIL's resize depends on that mode: palette and 1-bit images are resized with
 * NEAREST, RGBA/LA images are resized premultiplied by alpha. image_load_clip (and
 * image_decoded_clip_transform) follow that; image_clip_transform takes plain RGB, which is exact
 * for files PIL opens as RGB or L (8-bit grey, colour and grey JPEG, 8/16-bit RGB PNG). */
#ifndef SEGP_IMAGE_H
#define SEGP_IMAGE_H

#include <stddef.h>
#include <stdint.h>

/* Largest accepted image: each side at most 65535 pixels (the resampler's exact-arithmetic bound)
 * and at most 178,956,970 pixels in all, the count above which PIL's Image.open raises
 * DecompressionBombError (2 x its default Image.MAX_IMAGE_PIXELS, 89,478,485): CLIP's Python code
 * refuses those files too. */
#define IMAGE_MAX_SIDE 65535
#define IMAGE_MAX_PIXELS 178956970LL

/* Most scans accepted in a progressive JPEG. Each scan is a pass over the whole coefficient
 * buffer, so a small file of many nearly empty scans costs seconds per image (libjpeg-turbo's
 * advisory LJT-01-004); a well-formed progression can reach 2,688 scans (3 components x 64
 * coefficients x 14 bit planes), while libjpeg's own progression writes 10 for colour. */
#define IMAGE_MAX_JPEG_SCANS 500

typedef struct {
    int width, height; /* pixels */
    uint8_t *rgb;      /* height * width * 3, row-major, owned */
} image_rgb;

/* Decode a PNG or JPEG file (detected by its signature, not its name). Grey, grey+alpha,
 * palette, 16-bit and RGBA inputs become 8-bit RGB (alpha dropped, as PIL's convert("RGB")).
 * 16-bit samples keep their high byte (as PIL does for 16-bit RGB/RGBA/LA; PIL opens 16-bit grey
 * as mode I and saturates it to 255 in convert("RGB"): segp deliberately takes the high byte).
 * -1 + error naming the file on failure (unreadable, not an image, truncated, corrupt). */
int image_load(const char *path, image_rgb *out);
/* The same for a file already in memory; NAME stands for the file in messages. */
int image_load_memory(const char *name, const void *data, size_t size, image_rgb *out);
void image_free(image_rgb *img);

/* What the first bytes of a file say it is: the decoders go by this, not by the name. */
typedef enum { IMAGE_NOT_IMAGE, IMAGE_PNG, IMAGE_JPEG } image_format;
#define IMAGE_SIGNATURE_BYTES 8 /* enough of a file's head for image_sniff */
image_format image_sniff(const void *head, size_t n);
/* 0 when the N bytes at HEAD (a file's first bytes, or all of it when shorter) begin a PNG or
 * JPEG; else -1 + the error decoding NAME gives ("empty file", "not a PNG or JPEG image"), so
 * that a list of files can be checked without decoding them. */
int image_check_head(const char *name, const void *head, size_t n);

/* Write 8-bit RGB as PNG, atomically. */
int image_write_png(const char *path, const image_rgb *img);

/* PIL-exact bicubic antialiased resize of an 8-bit RGB image to (out_w, out_h) (both >= 1).
 * Allocates out->rgb (free with image_free). */
void image_resize_bicubic(const image_rgb *in, int out_w, int out_h, image_rgb *out);

/* CLIP mean/std. */
extern const float clip_image_mean[3];
extern const float clip_image_std[3];

/* ToTensor + Normalize of an n_px x n_px 8-bit RGB image (row-major HWC) into 3 * n_px * n_px
 * floats, CHW, in torchvision's float32 order: (v / 255 - mean) / std. */
void image_clip_normalize(const uint8_t *rgb, int n_px, float *out);

/* Full CLIP eval transform of an RGB image: out is 3 * n_px * n_px floats, CHW order. */
void image_clip_transform(const image_rgb *in, int n_px, float *out);
/* Its geometry alone (bicubic resize of the short side to n_px, centre crop): out is the
 * n_px * n_px * 3 bytes ToTensor would read. */
void image_clip_crop(const image_rgb *in, int n_px, uint8_t *out);

/* Load + transform in one step (mode-exact, see image_decoded below). */
int image_load_clip(const char *path, int n_px, float *out);

/* ---- Lower-level pieces (used by the functions above and by the tests) ---- */

/* How PIL's Image.resize treats the file inside clip._transform, from the mode PIL opens it in. */
typedef enum {
    IMAGE_RESAMPLE_PLAIN = 0,   /* L, RGB (and 16-bit grey): bicubic on each channel */
    IMAGE_RESAMPLE_ALPHA = 1,   /* LA, RGBA: bicubic on alpha-premultiplied RGBA ("RGBa") */
    IMAGE_RESAMPLE_NEAREST = 2, /* P (palette) and 1-bit grey: PIL forces NEAREST */
} image_resample_kind;

typedef struct {
    int width, height;
    int channels;               /* 3 (RGB) or 4 (RGBA, only for IMAGE_RESAMPLE_ALPHA) */
    uint8_t *px;                /* height * width * channels, owned */
    image_resample_kind resample;
} image_decoded;

/* Decode keeping what the exact transform needs (alpha for RGBA/LA files, the resample kind). */
int image_decode(const char *path, image_decoded *out);
/* The same for a file already in memory (image_decode reads the file and calls this). */
int image_decode_memory(const char *name, const void *data, size_t size, image_decoded *out);
void image_decoded_free(image_decoded *img);

/* clip._transform(n_px) of a decoded file: out is 3 * n_px * n_px floats, CHW. */
void image_decoded_clip_transform(const image_decoded *img, int n_px, float *out);
/* ... and its bytes before ToTensor: out is n_px * n_px * 3 bytes, RGB. */
void image_decoded_clip_crop(const image_decoded *img, int n_px, uint8_t *out);

/* Resize as PIL's Image.resize(size, BICUBIC) followed by convert("RGB") would for this file's
 * mode: out is out_h * out_w * 3 bytes (caller-allocated). */
void image_decoded_resize_rgb(const image_decoded *img, int out_w, int out_h, uint8_t *out);

/* Interleaved 8-bit resamplers on a window of the output (ox, oy, ow, oh inside out_w x out_h):
 * out receives oh rows of ow pixels of `channels` bytes. Bicubic is PIL's ImagingResample with
 * box (0, 0, in_w, in_h) (horizontal pass first, each pass rounded to 8 bits); nearest is PIL's
 * NEAREST resize. Every output pixel only depends on its own coordinates, so a window gives the
 * same bytes as cropping the full result. */
void image_resample_bicubic_u8(const uint8_t *in, int in_w, int in_h, int channels, int out_w,
                               int out_h, int ox, int oy, int ow, int oh, uint8_t *out);
void image_resample_nearest_u8(const uint8_t *in, int in_w, int in_h, int channels, int out_w,
                               int out_h, int ox, int oy, int ow, int oh, uint8_t *out);

/* torchvision Resize(n_px) size (short side n_px, long side int(n_px * long / short)) and
 * CenterCrop(n_px) offsets of that resized image. */
void image_clip_geometry(int w, int h, int n_px, int *rw, int *rh, int *crop_x, int *crop_y);

#endif
