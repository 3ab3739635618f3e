/* test_image_corrupt.c: decoding damaged PNG and JPEG files frees everything it allocated: the
 * interlaced-PNG leak the first fuzzing found (the row pointers when libpng aborts), and a folder
 * of 1,000 mixed corrupt images read as a dataset in one process (no leak under glibc's count
 * in the normal build, none reported by LeakSanitizer under `make check-asan`). Hostile but
 * well-formed files are refused at the limits image.h names: PIL's pixel count, and a cap on a
 * progressive JPEG's scans. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include <jpeglib.h> /* after stdio.h: it uses FILE and size_t */

#include "core/common.h"
#include "data/dataset.h"
#include "io/image.h"
#include "test.h"

#define FIX "tests/fixtures/"

static uint8_t *fixture(const char *name, size_t *n) {
    char path[256];
    snprintf(path, sizeof path, FIX "%s", name);
    uint8_t *d = NULL;
    if (segp_read_file(path, &d, n) != 0) {
        CHECK_MSG(0, "%s: %s", path, segp_last_error());
        return NULL;
    }
    return d;
}

/* Offset of the first byte of the first IDAT chunk's data, or 0. */
static size_t png_idat_offset(const uint8_t *p, size_t n) {
    size_t at = 8;
    while (at + 8 <= n) {
        uint32_t len = (uint32_t)p[at] << 24 | (uint32_t)p[at + 1] << 16 |
                       (uint32_t)p[at + 2] << 8 | p[at + 3];
        if (!memcmp(p + at + 4, "IDAT", 4)) return at + 8;
        at += 12 + (size_t)len;
    }
    return 0;
}

/* Regression (issue 16): png_decode did not free its row pointers when libpng aborted inside
 * png_read_rows of an interlaced image, height * 8 bytes per bad file. Every cut inside the image
 * data makes libpng abort there. */
TEST(image_truncated_interlaced_png_frees_rows) {
    size_t n;
    uint8_t *png = fixture("image_interlaced_26x21.png", &n);
    if (!png) return;
    size_t idat = png_idat_offset(png, n);
    CHECK(idat > 0);
    image_decoded d;
    CHECK_EQ_INT(image_decode_memory("whole.png", png, n, &d), 0);
    image_decoded_free(&d);
    /* warm up (libpng and libc may allocate once), then count */
    CHECK_EQ_INT(image_decode_memory("cut.png", png, idat + 20, &d), -1);
    size_t before = test_heap_in_use();
    int failed = 0, tries = 0;
    for (int round = 0; round < 20; round++)
        for (size_t cut = idat + 4; cut + 12 < n; cut += 3) {
            tries++;
            failed += image_decode_memory("cut.png", png, cut, &d) != 0;
            image_decoded_free(&d);
        }
    size_t after = test_heap_in_use();
    CHECK_EQ_INT(failed, tries);
    CHECK(strstr(segp_last_error(), "cut.png: truncated or corrupt PNG") != NULL);
    /* the leak was 21 rows * 8 bytes per failure: thousands of failures would leave > 100 KB */
    CHECK_MSG(after <= before + TEST_HEAP_SLACK, "heap grew by %zu bytes over %d failed decodes",
              after - before, failed);
    CHECK(!test_lsan_leaks());
    free(png);
}

/* ---- 1,000 corrupt images read as a dataset ---- */

static uint32_t rng_next(uint64_t *s) {
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(*s >> 33);
}

/* Recompute the CRC of every complete chunk, so that damage inside a chunk reaches libpng's
 * decompression and filters instead of stopping at the CRC check. */
static void png_fix_crcs(uint8_t *p, size_t n) {
    size_t at = 8;
    while (at + 12 <= n) {
        uint32_t len = (uint32_t)p[at] << 24 | (uint32_t)p[at + 1] << 16 |
                       (uint32_t)p[at + 2] << 8 | p[at + 3];
        if (len > n - at - 12) break;
        uint32_t c = (uint32_t)crc32(0, p + at + 4, len + 4);
        uint8_t *q = p + at + 8 + len;
        q[0] = (uint8_t)(c >> 24), q[1] = (uint8_t)(c >> 16), q[2] = (uint8_t)(c >> 8),
        q[3] = (uint8_t)c;
        at += 12 + (size_t)len;
    }
}

TEST(image_corrupt_folder_reads_without_leaks) {
    static const char *const sources[] = {
        "image_interlaced_26x21.png", "image_rgb_64x48.png",       "image_p_33x25.png",
        "image_rgba16_15x11.png",     "image_l2_19x13.png",        "image_la_27x19.png",
        "image_rgb420_48x40.jpg",     "image_prog_35x26.jpg",      "image_grey_31x27.jpg",
        "image_rgb444_30x22.jpg",
    };
    enum { N_SRC = sizeof sources / sizeof sources[0], N_FILES = 1000 };
    uint8_t *src[N_SRC];
    size_t src_n[N_SRC];
    for (int k = 0; k < N_SRC; k++)
        if (!(src[k] = fixture(sources[k], &src_n[k]))) return;

    char root[1024];
    snprintf(root, sizeof root, "%s", tpath("corrupt_images", ""));
    mkdirs(tpath("corrupt_images/png", ""));
    mkdirs(tpath("corrupt_images/jpeg", ""));
    uint64_t seed = 16;
    uint8_t *buf = segp_malloc(1 << 16);
    for (int i = 0; i < N_FILES; i++) {
        int k = i % N_SRC;
        int is_png = strstr(sources[k], ".png") != NULL;
        size_t n = src_n[k];
        memcpy(buf, src[k], n);
        /* kinds of damage: 0 cut, 1 bit flips, 2 both, 3 flips with PNG CRCs repaired */
        int kind = (i / N_SRC) % 4;
        size_t head = is_png ? 33 : 2;
        if (kind == 0 || kind == 2) n = head + rng_next(&seed) % (n - head);
        if (kind >= 1) {
            int flips = 1 + (int)(rng_next(&seed) % 8);
            for (int f = 0; f < flips; f++) {
                size_t at = head + rng_next(&seed) % (n - head);
                buf[at] ^= (uint8_t)(1u << (rng_next(&seed) % 8));
            }
        }
        if (kind == 3 && is_png) png_fix_crcs(buf, n);
        char name[64];
        snprintf(name, sizeof name, "%s/%04d.%s", is_png ? "png" : "jpeg", i,
                 is_png ? "png" : "jpg");
        char *path = tpath("corrupt_images/%s", name);
        write_bytes(path, buf, n);
    }
    free(buf);
    for (int k = 0; k < N_SRC; k++) free(src[k]);

    dataset *ds = dataset_open("folder", root, "all");
    CHECK(ds != NULL);
    if (!ds) return;
    CHECK_EQ_INT(dataset_count(ds), N_FILES);
    /* one pass to warm up libpng/libjpeg/libc, one counted */
    size_t before = 0;
    int failed = 0, named = 0;
    float *px = segp_malloc(3 * 16 * 16 * sizeof(float));
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1) before = test_heap_in_use();
        failed = named = 0;
        for (int i = 0; i < N_FILES; i++) {
            image_rgb img;
            if (dataset_image(ds, i, &img) != 0) {
                failed++;
                named += strstr(segp_last_error(), dataset_path(ds, i)) != NULL;
            }
            image_free(&img);
            char full[1200];
            snprintf(full, sizeof full, "%s/%s", root, dataset_path(ds, i));
            (void)image_load_clip(full, 16, px); /* the decode + transform path */
        }
    }
    size_t after = test_heap_in_use();
    free(px);
    dataset_free(ds);
    if (test_verbose())
        printf("  %d of %d corrupt images refused, heap %zu -> %zu bytes\n", failed, N_FILES,
               before, after);
    /* most damage is detected (a flipped bit in pixel data can still decode) */
    CHECK_MSG(failed >= N_FILES / 2, "only %d of %d corrupt images refused", failed, N_FILES);
    CHECK_EQ_INT(named, failed);
    CHECK_MSG(after <= before + TEST_HEAP_SLACK, "heap grew by %zu bytes over %d images",
              after - before, N_FILES);
    CHECK(!test_lsan_leaks());
}

/* ---- ancillary chunks ---- */

typedef struct {
    uint8_t *p;
    size_t n;
} png_buf;

static void png_put(png_buf *b, const void *src, size_t n) {
    b->p = realloc(b->p, b->n + n);
    memcpy(b->p + b->n, src, n);
    b->n += n;
}

/* A chunk whose length field says `declared` (the data given is `n` bytes; declared != n makes
 * a chunk cut short). */
static void png_chunk(png_buf *b, const char *type, const void *data, size_t n, uint32_t declared) {
    uint8_t head[8] = {(uint8_t)(declared >> 24), (uint8_t)(declared >> 16),
                       (uint8_t)(declared >> 8), (uint8_t)declared};
    memcpy(head + 4, type, 4);
    png_put(b, head, 8);
    if (n) png_put(b, data, n);
    if (declared != n) return;
    uint32_t c = (uint32_t)crc32(0, head + 4, 4);
    c = (uint32_t)crc32(c, data, (uInt)n);
    uint8_t tail[4] = {(uint8_t)(c >> 24), (uint8_t)(c >> 16), (uint8_t)(c >> 8), (uint8_t)c};
    png_put(b, tail, 4);
}

/* A 5 x 3 RGB PNG; `extras` adds ancillary chunks between IHDR and IDAT. */
static png_buf png_with(int extras) {
    png_buf b = {0};
    png_put(&b, "\x89PNG\r\n\x1a\n", 8);
    const uint8_t ihdr[13] = {0, 0, 0, 5, 0, 0, 0, 3, 8, 2, 0, 0, 0};
    png_chunk(&b, "IHDR", ihdr, 13, 13);
    if (extras) {
        /* a 3 MB comment (above the 1 MiB a chunk may allocate: skipped, not refused), a
         * compressed one, an international one, a bogus ICC profile, gamma, an unknown chunk */
        size_t big = 3u << 20;
        uint8_t *t = malloc(big);
        memcpy(t, "Comment", 8);
        for (size_t i = 8; i < big; i++) t[i] = (uint8_t)('a' + i % 26);
        png_chunk(&b, "tEXt", t, big, (uint32_t)big);
        free(t);
        const char z[] = "Title\0\0x\x9c\x01\x00\x00\xff\xff\x00\x00\x00\x01";
        png_chunk(&b, "zTXt", z, sizeof z - 1, sizeof z - 1);
        const char it[] = "Author\0\0\0en\0Autor\0someone";
        png_chunk(&b, "iTXt", it, sizeof it - 1, sizeof it - 1);
        const char icc[] = "icc\0\0garbage-not-zlib";
        png_chunk(&b, "iCCP", icc, sizeof icc - 1, sizeof icc - 1);
        const uint8_t gama[4] = {0, 0, 0xb1, 0x8f};
        png_chunk(&b, "gAMA", gama, 4, 4);
        png_chunk(&b, "prVt", "private", 7, 7);
    }
    uint8_t raw[3 * 16], z[128];
    for (int y = 0; y < 3; y++) {
        raw[y * 16] = 0; /* filter: none */
        for (int i = 0; i < 15; i++) raw[y * 16 + 1 + i] = (uint8_t)(17 * y + 5 * i);
    }
    uLongf zn = sizeof z;
    compress(z, &zn, raw, sizeof raw);
    png_chunk(&b, "IDAT", z, zn, (uint32_t)zn);
    png_chunk(&b, "IEND", NULL, 0, 0);
    return b;
}

/* Regression (fuzzing, fuzz/corpus/image/regress-huge-text-chunk.png): libpng allocated the
 * length a text chunk declares before reading it, 2 GiB for a 53-byte file. Ancillary chunks are
 * now skipped in small reads: an image with large and damaged ones decodes to the same pixels as
 * without them, and one declaring 2 GiB of text in a short file is refused as truncated. The
 * allocations themselves are seen under `make check-asan` (the sanitizer's malloc hook): none
 * reaches 1 MiB while decoding either file (before: 3 MiB and 2 GiB). */
TEST(image_png_ancillary_chunks_skipped) {
    png_buf plain = png_with(0), extra = png_with(1);
    image_decoded a, b;
    CHECK_EQ_INT(image_decode_memory("plain.png", plain.p, plain.n, &a), 0);
    int hooked = test_largest_alloc_reset();
    int rc = image_decode_memory("extra.png", extra.p, extra.n, &b);
    if (hooked)
        CHECK_MSG(test_largest_alloc() < (1u << 20), "an allocation of %zu bytes",
                  test_largest_alloc());
    CHECK_MSG(rc == 0, "%s", segp_last_error());
    if (rc == 0) {
        CHECK_EQ_INT(b.width, 5);
        CHECK_EQ_INT(b.height, 3);
        CHECK_EQ_INT(b.channels, 3);
        CHECK(memcmp(a.px, b.px, 5 * 3 * 3) == 0);
        CHECK_EQ_INT(a.px[3 * 14 + 2], 17 * 2 + 5 * 14);
        image_decoded_free(&b);
    }
    image_decoded_free(&a);
    free(plain.p);
    free(extra.p);

    size_t n;
    uint8_t *cut = fixture("../../fuzz/corpus/image/regress-huge-text-chunk.png", &n);
    if (!cut) return;
    CHECK(n < 100);
    hooked = test_largest_alloc_reset();
    CHECK_EQ_INT(image_decode_memory("cut.png", cut, n, &a), -1);
    if (hooked)
        CHECK_MSG(test_largest_alloc() < (1u << 20), "an allocation of %zu bytes",
                  test_largest_alloc());
    CHECK_MSG(strstr(segp_last_error(), "cut.png: truncated or corrupt PNG") &&
                  strstr(segp_last_error(), "truncated"),
              "%s", segp_last_error());
    free(cut);
}

/* A JPEG of a w x h colour gradient at quality 90, written by libjpeg: sequential when scans is 0,
 * else progressive with exactly `scans` scans (scans >= 190): one DC scan of all components,
 * then for each component and AC coefficient a first scan and 1 or more refinement scans, one
 * bit each, spread so that the total comes out right. Every script codes the same coefficients,
 * so every file decodes to the same pixels. */
static uint8_t *jpeg_scripted(int w, int h, int scans, size_t *n) {
    enum { PAIRS = 3 * 63 };
    jpeg_scan_info *script = scans ? calloc((size_t)scans, sizeof *script) : NULL;
    int k = 0;
    if (scans) {
        int extra = scans - 1 - 2 * PAIRS; /* refinements beyond one per (component, coefficient) */
        script[k].comps_in_scan = 3;
        for (int ci = 0; ci < 3; ci++) script[k].component_index[ci] = ci;
        k++;
        for (int p = 0; p < PAIRS; p++) {
            int refine = 1 + extra / PAIRS + (p < extra % PAIRS);
            for (int r = 0; r <= refine; r++, k++) {
                script[k].comps_in_scan = 1;
                script[k].component_index[0] = p / 63;
                script[k].Ss = script[k].Se = 1 + p % 63;
                script[k].Ah = r ? refine - r + 1 : 0;
                script[k].Al = refine - r;
            }
        }
    }
    uint8_t *px = malloc((size_t)w * (size_t)h * 3);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            uint8_t *p = px + ((size_t)y * (size_t)w + (size_t)x) * 3;
            p[0] = (uint8_t)(x * 255 / w);
            p[1] = (uint8_t)(y * 255 / h);
            p[2] = (uint8_t)((x * y) & 255);
        }
    uint8_t *jpg = test_jpeg_encode(px, w, h, 3, 90, script, k, n);
    free(px);
    free(script);
    return jpg;
}

/* Regression (libjpeg-turbo's advisory LJT-01-004): each scan of a progressive JPEG is a pass
 * over the whole image, so a file of many scans decodes slowly. 500 scans (IMAGE_MAX_JPEG_SCANS)
 * decode to the sequential file's pixels; 501 are refused, with the limit named (and, under
 * `make check-asan`, nothing leaked). */
TEST(image_jpeg_scan_limit) {
    CHECK_EQ_INT(IMAGE_MAX_JPEG_SCANS, 500);
    size_t ns, n500, n501;
    uint8_t *seq = jpeg_scripted(37, 21, 0, &ns);
    uint8_t *p500 = jpeg_scripted(37, 21, 500, &n500);
    uint8_t *p501 = jpeg_scripted(37, 21, 501, &n501);
    image_decoded a, b;
    CHECK_MSG(image_decode_memory("seq.jpg", seq, ns, &a) == 0, "%s", segp_last_error());
    int rc = image_decode_memory("p500.jpg", p500, n500, &b);
    CHECK_MSG(rc == 0, "%s", segp_last_error());
    if (rc == 0) {
        CHECK_EQ_INT(b.width, 37);
        CHECK_EQ_INT(b.height, 21);
        CHECK(memcmp(a.px, b.px, 37 * 21 * 3) == 0);
        image_decoded_free(&b);
    }
    /* the gradient survives coding: red rises across the image, green down it */
    CHECK(a.px[3 * 36] > 200 && a.px[0] < 40);
    CHECK(a.px[3 * 37 * 20 + 1] > 200 && a.px[1] < 40);
    image_decoded_free(&a);

    CHECK_EQ_INT(image_decode_memory("p501.jpg", p501, n501, &b), -1);
    CHECK_MSG(strstr(segp_last_error(), "p501.jpg: progressive JPEG with more than 500 scans") &&
                  strstr(segp_last_error(), "expected at most 500"),
              "%s", segp_last_error());
    CHECK(!test_lsan_leaks());
    free(seq);
    free(p500);
    free(p501);
}

/* The pixel limit is PIL's: Image.open raises DecompressionBombError above 2 x 89,478,485
 * pixels. A PNG header of 13377 x 13377 (178,944,129 pixels) passes the size check and the cut
 * file fails as truncated; 13378 x 13377 (178,957,506) is refused as too large, naming the limit,
 * before anything is allocated for it. */
TEST(image_pixel_limit_is_pil) {
    CHECK_EQ_INT(IMAGE_MAX_PIXELS, 2 * 89478485LL);
    for (int over = 0; over < 2; over++) {
        uint32_t w = 13377 + (uint32_t)over, h = 13377;
        png_buf b = {0};
        png_put(&b, "\x89PNG\r\n\x1a\n", 8);
        const uint8_t ihdr[13] = {(uint8_t)(w >> 24), (uint8_t)(w >> 16), (uint8_t)(w >> 8),
                                  (uint8_t)w, (uint8_t)(h >> 24), (uint8_t)(h >> 16),
                                  (uint8_t)(h >> 8), (uint8_t)h, 8, 0, 0, 0, 0};
        png_chunk(&b, "IHDR", ihdr, 13, 13);
        png_chunk(&b, "IDAT", "\x78\x9c", 2, 1000); /* cut short */
        image_decoded d;
        CHECK_EQ_INT(image_decode_memory("big.png", b.p, b.n, &d), -1);
        const char *e = segp_last_error();
        if (over)
            CHECK_MSG(strstr(e, "big.png: PNG image is 13378x13377 pixels, too large") &&
                          strstr(e, "178956970 pixels"),
                      "%s", e);
        else
            CHECK_MSG(strstr(e, "big.png: truncated or corrupt PNG") && !strstr(e, "too large"),
                      "%s", e);
        free(b.p);
    }
}
