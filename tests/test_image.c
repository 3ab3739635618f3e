/* test_image.c: PNG/JPEG decoding, PIL-exact resize and CLIP transform against the references of
 * tests/ref/image_ref.py (tests/fixtures/image_*), error paths, and `segp preprocess`. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/common.h"
#include "io/image.h"
#include "io/npy.h"
#include "test.h"

#define FIX "tests/fixtures/"

/* ---- helpers ---- */

static uint64_t fnv64(const void *data, size_t n) {
    const uint8_t *p = data;
    uint64_t h = 0xCBF29CE484222325ull;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001B3ull;
    }
    return h;
}

/* Same picture as synth() in tests/ref/image_ref.py. */
static void synth_image(int w, int h, uint32_t seed, image_rgb *img) {
    img->width = w;
    img->height = h;
    img->rgb = segp_malloc((size_t)w * (size_t)h * 3);
    uint32_t wd = (uint32_t)(w > 1 ? w - 1 : 1), hd = (uint32_t)(h > 1 ? h - 1 : 1);
    for (uint32_t y = 0; y < (uint32_t)h; y++)
        for (uint32_t x = 0; x < (uint32_t)w; x++)
            for (uint32_t c = 0; c < 3; c++) {
                uint32_t hs = (x * 73856093u) ^ (y * 19349663u) ^ (c * 83492791u) ^
                              (seed * 2654435761u);
                hs ^= hs >> 13;
                hs *= 0x5BD1E995u;
                hs ^= hs >> 15;
                uint32_t region = ((x * 4) / (uint32_t)w + (y * 3) / (uint32_t)h) % 4, v;
                if (region == 0)
                    v = hs & 255;
                else if (region == 1)
                    v = (x * 255 / wd + c * 60) & 255;
                else if (region == 2)
                    v = ((x / 3 + y / 2 + c) % 2 == 1) ? 255 : 0;
                else
                    v = (y * 255 / hd) ^ (hs & 15);
                img->rgb[((size_t)y * (size_t)w + x) * 3 + c] = (uint8_t)v;
            }
}

typedef struct {
    char kind[32], name[128];
    long a[6];
    uint64_t h1, h2;
} ref_line;

/* Parse tests/fixtures/image_refs.txt lines of one kind. Returns count (<= cap). */
static int load_refs(const char *kind, ref_line *out, int cap) {
    FILE *f = fopen(FIX "image_refs.txt", "r");
    CHECK_MSG(f != NULL, "cannot open " FIX "image_refs.txt (run tests/ref/image_ref.py)");
    if (!f) return 0;
    char line[512];
    int n = 0;
    while (fgets(line, sizeof line, f) && n < cap) {
        ref_line r;
        memset(&r, 0, sizeof r);
        if (sscanf(line, "%31s", r.kind) != 1 || strcmp(r.kind, kind)) continue;
        int ok = 0;
        if (!strcmp(kind, "resize_synth"))
            ok = sscanf(line, "%*s %ld %ld %ld %ld %ld %" SCNx64, &r.a[0], &r.a[1], &r.a[2],
                        &r.a[3], &r.a[4], &r.h1) == 6;
        else if (!strcmp(kind, "clip_synth"))
            ok = sscanf(line, "%*s %ld %ld %ld %ld %" SCNx64 " %" SCNx64, &r.a[0], &r.a[1],
                        &r.a[2], &r.a[3], &r.h1, &r.h2) == 6;
        else if (!strcmp(kind, "resize_file"))
            ok = sscanf(line, "%*s %127s %ld %ld %" SCNx64, r.name, &r.a[0], &r.a[1], &r.h1) == 4;
        else if (!strcmp(kind, "clip_file"))
            ok = sscanf(line, "%*s %127s %ld %" SCNx64, r.name, &r.a[0], &r.h1) == 3;
        CHECK_MSG(ok, "bad line in image_refs.txt: %s", line);
        if (ok) out[n++] = r;
    }
    fclose(f);
    return n;
}

static int max_abs_diff_u8(const uint8_t *a, const uint8_t *b, size_t n) {
    int m = 0;
    for (size_t i = 0; i < n; i++) {
        int d = abs((int)a[i] - (int)b[i]);
        if (d > m) m = d;
    }
    return m;
}

static double max_abs_diff_f(const float *a, const float *b, size_t n) {
    double m = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - (double)b[i]);
        if (!(d <= m)) m = d; /* NaN propagates */
    }
    return m;
}

/* The error recorded must name the file and be one line. */
static void check_error_names(const char *path) {
    const char *e = segp_last_error();
    CHECK_MSG(strstr(e, path) != NULL, "error '%s' does not name %s", e, path);
    CHECK_MSG(strchr(e, '\n') == NULL, "error is not one line: '%s'", e);
}

/* ---- resize and transform against PIL ---- */

TEST(image_resize_synth_matches_pil) {
    ref_line refs[32];
    int n = load_refs("resize_synth", refs, 32);
    CHECK(n >= 10);
    for (int i = 0; i < n; i++) {
        image_rgb in, out;
        synth_image((int)refs[i].a[0], (int)refs[i].a[1], (uint32_t)refs[i].a[2], &in);
        image_resize_bicubic(&in, (int)refs[i].a[3], (int)refs[i].a[4], &out);
        uint64_t h = fnv64(out.rgb, (size_t)out.width * (size_t)out.height * 3);
        CHECK_MSG(h == refs[i].h1, "resize %ldx%ld -> %ldx%ld differs from PIL", refs[i].a[0],
                  refs[i].a[1], refs[i].a[3], refs[i].a[4]);
        image_free(&in);
        image_free(&out);
    }
}

TEST(image_resize_window_equals_full) {
    /* A window of the output must be the same bytes as the full resize, cropped. */
    image_rgb in, full;
    synth_image(97, 61, 7, &in);
    const int ow = 150, oh = 41;
    image_resize_bicubic(&in, ow, oh, &full);
    const int wx = 13, wy = 5, ww = 77, wh = 30;
    uint8_t *win = segp_malloc((size_t)ww * wh * 3);
    image_resample_bicubic_u8(in.rgb, in.width, in.height, 3, ow, oh, wx, wy, ww, wh, win);
    int bad = 0;
    for (int y = 0; y < wh; y++)
        bad += memcmp(win + (size_t)y * ww * 3, full.rgb + ((size_t)(wy + y) * ow + wx) * 3,
                      (size_t)ww * 3) != 0;
    CHECK_EQ_INT(bad, 0);
    free(win);
    image_free(&in);
    image_free(&full);
}

TEST(image_clip_geometry_as_torchvision) {
    int rw, rh, cx, cy;
    image_clip_geometry(640, 480, 224, &rw, &rh, &cx, &cy);
    CHECK(rw == 298 && rh == 224 && cx == 37 && cy == 0);
    image_clip_geometry(37, 53, 224, &rw, &rh, &cx, &cy); /* 224 * 53 / 37 = 320.86 */
    CHECK(rw == 224 && rh == 320 && cx == 0 && cy == 48);
    image_clip_geometry(225, 224, 224, &rw, &rh, &cx, &cy); /* round(0.5) = 0 */
    CHECK(rw == 225 && rh == 224 && cx == 0);
    image_clip_geometry(227, 224, 224, &rw, &rh, &cx, &cy); /* round(1.5) = 2 */
    CHECK(rw == 227 && cx == 2);
    image_clip_geometry(229, 224, 224, &rw, &rh, &cx, &cy); /* round(2.5) = 2 */
    CHECK(rw == 229 && cx == 2);
    image_clip_geometry(20, 20, 224, &rw, &rh, &cx, &cy);
    CHECK(rw == 224 && rh == 224 && cx == 0 && cy == 0);
}

TEST(image_clip_transform_synth_matches_pil) {
    ref_line refs[16];
    int n = load_refs("clip_synth", refs, 16);
    CHECK(n >= 5);
    npy_array slices;
    CHECK_EQ_INT(npy_read(FIX "image_synth_t224_slices.npy", &slices), 0);
    int n224 = 0;
    for (int i = 0; i < n; i++) {
        image_rgb in;
        int w = (int)refs[i].a[0], h = (int)refs[i].a[1], np_ = (int)refs[i].a[3];
        synth_image(w, h, (uint32_t)refs[i].a[2], &in);
        /* 8-bit crop, exact */
        int rw, rh, cx, cy;
        image_clip_geometry(w, h, np_, &rw, &rh, &cx, &cy);
        uint8_t *crop = segp_malloc((size_t)np_ * np_ * 3);
        image_resample_bicubic_u8(in.rgb, w, h, 3, rw, rh, cx, cy, np_, np_, crop);
        CHECK_MSG(fnv64(crop, (size_t)np_ * np_ * 3) == refs[i].h1,
                  "clip crop of %dx%d at %d differs from PIL", w, h, np_);
        /* float transform: bitwise equal to numpy/torch, and the 224 slices within 1e-6 */
        size_t plane = (size_t)np_ * np_;
        float *t = segp_malloc(plane * 3 * sizeof(float));
        image_clip_transform(&in, np_, t);
        CHECK_MSG(fnv64(t, plane * 3 * sizeof(float)) == refs[i].h2,
                  "clip transform of %dx%d at %d differs from the reference", w, h, np_);
        if (np_ == 224 && slices.data && slices.ndim == 4 && n224 < slices.shape[0]) {
            double worst = 0;
            for (int c = 0; c < 3; c++)
                for (int r = 0; r < 2; r++) {
                    const float *ref = slices.data + (((size_t)n224 * 3 + c) * 2 + r) * 224;
                    const float *got = t + c * plane + (size_t)(r ? 111 : 0) * 224;
                    double d = max_abs_diff_f(got, ref, 224);
                    if (d > worst) worst = d;
                }
            CHECK_MSG(worst <= 1e-6, "224 transform of %dx%d: max abs diff %g", w, h, worst);
            n224++;
        }
        free(t);
        free(crop);
        image_free(&in);
    }
    CHECK_EQ_INT(n224, slices.ndim == 4 ? slices.shape[0] : -1);
    npy_free(&slices);
}

/* ---- decoding against PIL ---- */

TEST(image_decode_matches_pil) {
    ref_line refs[32];
    int n = load_refs("clip_file", refs, 32);
    CHECK(n >= 16);
    for (int i = 0; i < n; i++) {
        char path[256], ref_path[256];
        snprintf(path, sizeof path, FIX "%s", refs[i].name);
        snprintf(ref_path, sizeof ref_path, FIX "%.*s.decoded.npy",
                 (int)(strrchr(refs[i].name, '.') - refs[i].name), refs[i].name);
        image_rgb img;
        npy_array ref;
        int rc = image_load(path, &img);
        CHECK_MSG(rc == 0, "%s: %s", path, segp_last_error());
        CHECK_MSG(npy_read(ref_path, &ref) == 0, "%s", segp_last_error());
        if (rc == 0 && ref.data) {
            CHECK_MSG(ref.ndim == 3 && ref.shape[0] == img.height && ref.shape[1] == img.width &&
                          ref.shape[2] == 3,
                      "%s: size %dx%d differs from PIL's", path, img.width, img.height);
            if (ref.numel == (int64_t)img.width * img.height * 3) {
                int diff = 0;
                for (int64_t k = 0; k < ref.numel; k++)
                    diff += (float)img.rgb[k] != ref.data[k];
                CHECK_MSG(diff == 0, "%s: %d decoded bytes differ from PIL", path, diff);
            }
        }
        image_free(&img);
        npy_free(&ref);
    }
}

TEST(image_decode_resample_kind_follows_pil_mode) {
    static const struct {
        const char *name;
        image_resample_kind kind;
        int channels;
    } cases[] = {
        {"image_rgb_37x29.png", IMAGE_RESAMPLE_PLAIN, 3},
        {"image_l_31x23.png", IMAGE_RESAMPLE_PLAIN, 3},
        {"image_g16_17x13.png", IMAGE_RESAMPLE_PLAIN, 3},
        {"image_rgb16_23x17.png", IMAGE_RESAMPLE_PLAIN, 3},
        {"image_1bit_21x17.png", IMAGE_RESAMPLE_NEAREST, 3},
        {"image_p_33x25.png", IMAGE_RESAMPLE_NEAREST, 3},
        {"image_p4_22x18.png", IMAGE_RESAMPLE_NEAREST, 3},
        {"image_rgba_40x30.png", IMAGE_RESAMPLE_ALPHA, 4},
        {"image_rgba16_15x11.png", IMAGE_RESAMPLE_ALPHA, 4},
        {"image_la_27x19.png", IMAGE_RESAMPLE_ALPHA, 4},
        {"image_rgb420_48x40.jpg", IMAGE_RESAMPLE_PLAIN, 3},
        {"image_grey_31x27.jpg", IMAGE_RESAMPLE_PLAIN, 3},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char path[256];
        snprintf(path, sizeof path, FIX "%s", cases[i].name);
        image_decoded d;
        CHECK_MSG(image_decode(path, &d) == 0, "%s", segp_last_error());
        CHECK_MSG(d.resample == cases[i].kind && d.channels == cases[i].channels,
                  "%s: kind %d channels %d", path, (int)d.resample, d.channels);
        image_decoded_free(&d);
    }
}

TEST(image_resize_files_match_pil) {
    ref_line refs[64];
    int n = load_refs("resize_file", refs, 64);
    CHECK(n >= 32);
    for (int i = 0; i < n; i++) {
        char path[256];
        snprintf(path, sizeof path, FIX "%s", refs[i].name);
        image_decoded d;
        if (image_decode(path, &d)) {
            CHECK_MSG(0, "%s", segp_last_error());
            continue;
        }
        int ow = (int)refs[i].a[0], oh = (int)refs[i].a[1];
        uint8_t *out = segp_malloc((size_t)ow * oh * 3);
        image_decoded_resize_rgb(&d, ow, oh, out);
        CHECK_MSG(fnv64(out, (size_t)ow * oh * 3) == refs[i].h1,
                  "%s resized to %dx%d differs from PIL", path, ow, oh);
        free(out);
        image_decoded_free(&d);
    }
}

TEST(image_clip_transform_files_match_pil) {
    ref_line refs[32];
    int n = load_refs("clip_file", refs, 32);
    CHECK(n >= 16);
    int full = 0;
    for (int i = 0; i < n; i++) {
        char path[256], ref_path[256];
        snprintf(path, sizeof path, FIX "%s", refs[i].name);
        int np_ = (int)refs[i].a[0];
        size_t total = (size_t)3 * np_ * np_;
        float *t = segp_malloc(total * sizeof(float));
        if (image_load_clip(path, np_, t)) {
            CHECK_MSG(0, "%s", segp_last_error());
            free(t);
            continue;
        }
        CHECK_MSG(fnv64(t, total * sizeof(float)) == refs[i].h1,
                  "%s: clip transform at %d differs from the reference", path, np_);
        snprintf(ref_path, sizeof ref_path, FIX "%.*s.clip32.npy",
                 (int)(strrchr(refs[i].name, '.') - refs[i].name), refs[i].name);
        if (access(ref_path, R_OK) == 0) {
            npy_array ref;
            CHECK_EQ_INT(npy_read(ref_path, &ref), 0);
            CHECK(ref.ndim == 3 && ref.numel == (int64_t)total);
            if (ref.numel == (int64_t)total) {
                double d = max_abs_diff_f(t, ref.data, total);
                CHECK_MSG(d <= 1e-6, "%s: transform max abs diff %g", path, d);
            }
            npy_free(&ref);
            full++;
        }
        free(t);
    }
    CHECK(full >= 4);
}

/* ---- writing ---- */

TEST(image_write_png_round_trip) {
    image_rgb in, back;
    synth_image(45, 31, 99, &in);
    char path[512];
    snprintf(path, sizeof path, "%s/img_rt.png", test_tmpdir());
    CHECK_EQ_INT(image_write_png(path, &in), 0);
    CHECK_EQ_INT(image_load(path, &back), 0);
    CHECK(back.width == 45 && back.height == 31);
    if (back.rgb) CHECK_EQ_INT(max_abs_diff_u8(in.rgb, back.rgb, 45 * 31 * 3), 0);
    char tmp[600];
    snprintf(tmp, sizeof tmp, "%s.tmp.%d", path, (int)getpid());
    CHECK(access(tmp, F_OK) != 0); /* no leftover temp file */
    image_rgb empty = {0, 0, NULL};
    CHECK_EQ_INT(image_write_png(path, &empty), -1);
    check_error_names(path);
    image_free(&in);
    image_free(&back);
}

/* ---- malformed input ---- */

static uint8_t *read_fixture(const char *name, size_t *n) {
    uint8_t *d = NULL;
    char path[256];
    snprintf(path, sizeof path, FIX "%s", name);
    CHECK_EQ_INT(segp_read_file(path, &d, n), 0);
    return d;
}

/* A PNG made of the signature and an IHDR with the given size (and nothing else). */
static size_t png_header_only(uint8_t *buf, uint32_t w, uint32_t h) {
    static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    memcpy(buf, sig, 8);
    const uint8_t ihdr[25] = {0, 0, 0, 13, 'I', 'H', 'D', 'R',
                              (uint8_t)(w >> 24), (uint8_t)(w >> 16), (uint8_t)(w >> 8),
                              (uint8_t)w, (uint8_t)(h >> 24), (uint8_t)(h >> 16),
                              (uint8_t)(h >> 8), (uint8_t)h, 8, 2, 0, 0, 0, 0, 0, 0, 0};
    memcpy(buf + 8, ihdr, sizeof ihdr);
    return 8 + sizeof ihdr;
}

static void expect_load_fails(const char *path, const char *what) {
    image_rgb img;
    segp_clear_error();
    CHECK_MSG(image_load(path, &img) == -1, "%s: %s loaded", what, path);
    CHECK(img.rgb == NULL);
    check_error_names(path);
    float t[3 * 8 * 8];
    CHECK_MSG(image_load_clip(path, 8, t) == -1, "%s: transformed", what);
}

TEST(image_rejects_malformed_files) {
    char path[512];
    const char *dir = test_tmpdir();
    size_t n;

    snprintf(path, sizeof path, "%s/does_not_exist.png", dir);
    expect_load_fails(path, "missing file");

    snprintf(path, sizeof path, "%s/text.png", dir);
    write_bytes(path, "this is a text file\n", 20);
    expect_load_fails(path, "text renamed .png");
    CHECK(strstr(segp_last_error(), "not a PNG or JPEG") != NULL);

    snprintf(path, sizeof path, "%s/empty.jpg", dir);
    write_bytes(path, "", 0);
    expect_load_fails(path, "empty file");

    uint8_t *png = read_fixture("image_rgb_64x48.png", &n);
    if (png) {
        snprintf(path, sizeof path, "%s/trunc.png", dir);
        write_bytes(path, png, n / 2);
        expect_load_fails(path, "truncated PNG");
        CHECK(strstr(segp_last_error(), "truncated or corrupt PNG") != NULL);
        snprintf(path, sizeof path, "%s/trunc_sig.png", dir);
        write_bytes(path, png, 20);
        expect_load_fails(path, "PNG cut inside IHDR");
        /* flip a byte inside the compressed data: CRC or zlib error */
        png[n / 2] ^= 0x5A;
        snprintf(path, sizeof path, "%s/corrupt.png", dir);
        write_bytes(path, png, n);
        expect_load_fails(path, "corrupt PNG");
        free(png);
    }

    uint8_t hdr[64];
    size_t hn = png_header_only(hdr, 0, 10);
    snprintf(path, sizeof path, "%s/zero.png", dir);
    write_bytes(path, hdr, hn);
    expect_load_fails(path, "zero-width PNG");
    CHECK(strstr(segp_last_error(), "zero size") != NULL);
    hn = png_header_only(hdr, 70000, 10);
    snprintf(path, sizeof path, "%s/wide.png", dir);
    write_bytes(path, hdr, hn);
    expect_load_fails(path, "70000-wide PNG");
    CHECK(strstr(segp_last_error(), "too large") != NULL);
    hn = png_header_only(hdr, 60000, 60000);
    snprintf(path, sizeof path, "%s/huge.png", dir);
    write_bytes(path, hdr, hn);
    expect_load_fails(path, "3.6 gigapixel PNG");
    CHECK(strstr(segp_last_error(), "too large") != NULL);

    uint8_t *jpg = read_fixture("image_rgb420_48x40.jpg", &n);
    if (jpg) {
        snprintf(path, sizeof path, "%s/trunc.jpg", dir);
        write_bytes(path, jpg, n * 2 / 3);
        expect_load_fails(path, "truncated JPEG");
        CHECK(strstr(segp_last_error(), "truncated or corrupt JPEG") != NULL);
        snprintf(path, sizeof path, "%s/trunc_hdr.jpg", dir);
        write_bytes(path, jpg, 40);
        expect_load_fails(path, "JPEG cut in its header");
        /* an unexpected marker inside the entropy-coded data */
        size_t sos = 0;
        for (size_t i = 2; i + 1 < n; i++)
            if (jpg[i] == 0xFF && jpg[i + 1] == 0xDA) {
                sos = i;
                break;
            }
        CHECK(sos > 0);
        if (sos) {
            size_t mid = sos + (n - sos) / 2;
            jpg[mid] = 0xFF;
            jpg[mid + 1] = 0xD5;
            snprintf(path, sizeof path, "%s/corrupt.jpg", dir);
            write_bytes(path, jpg, n);
            expect_load_fails(path, "corrupt JPEG");
        }
        free(jpg);
    }
    snprintf(path, sizeof path, FIX "image_cmyk_8x8.jpg");
    expect_load_fails(path, "CMYK JPEG");
    CHECK(strstr(segp_last_error(), "CMYK") != NULL);
}

/* ---- segp preprocess ---- */

TEST(image_preprocess_cli_writes_clip_tensor) {
    char args[1024], out[4096], npy_path[512];
    snprintf(npy_path, sizeof npy_path, "%s/pre.npy", test_tmpdir());
    snprintf(args, sizeof args, "preprocess " FIX "image_rgb_64x48.png --resolution 32 --out %s",
             npy_path);
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 0);
    npy_array a, ref;
    CHECK_MSG(npy_read(npy_path, &a) == 0, "%s", segp_last_error());
    CHECK_EQ_INT(npy_read(FIX "image_rgb_64x48.clip32.npy", &ref), 0);
    CHECK(a.ndim == 4 && a.shape[0] == 1 && a.shape[1] == 3 && a.shape[2] == 32 &&
          a.shape[3] == 32);
    if (a.data && ref.data && a.numel == ref.numel)
        CHECK_NEAR(max_abs_diff_f(a.data, ref.data, (size_t)a.numel), 0, 1e-6);
    npy_free(&a);

    /* two images -> a batch, in order */
    snprintf(args, sizeof args,
             "preprocess " FIX "image_rgba_40x30.png " FIX "image_rgb_64x48.png -r 32 -o %s",
             npy_path);
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 0);
    CHECK_EQ_INT(npy_read(npy_path, &a), 0);
    CHECK(a.ndim == 4 && a.shape[0] == 2 && a.shape[2] == 32);
    if (a.data && ref.data && a.numel == 2 * ref.numel)
        CHECK_NEAR(max_abs_diff_f(a.data + ref.numel, ref.data, (size_t)ref.numel), 0, 1e-6);
    npy_free(&a);
    npy_free(&ref);

    /* default resolution 224 */
    snprintf(args, sizeof args, "preprocess " FIX "image_grey_31x27.jpg --out=%s", npy_path);
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 0);
    CHECK_EQ_INT(npy_read(npy_path, &a), 0);
    CHECK(a.ndim == 4 && a.shape[0] == 1 && a.shape[2] == 224 && a.shape[3] == 224);
    npy_free(&a);
}

TEST(image_preprocess_cli_errors) {
    char args[2048], out[4096], bad[512], npy_path[512];
    snprintf(npy_path, sizeof npy_path, "%s/pre_err.npy", test_tmpdir());
    snprintf(bad, sizeof bad, "%s/notimage.png", test_tmpdir());
    write_bytes(bad, "hello\n", 6);
    snprintf(args, sizeof args, "preprocess %s --out %s", bad, npy_path);
    int rc = test_run_segp(args, out, sizeof out);
    CHECK(rc != 0 && rc != -1);
    CHECK_MSG(strstr(out, bad) != NULL, "message does not name the file: %s", out);
    CHECK_MSG(strchr(out, '\n') == out + strlen(out) - 1, "not one line: %s", out);
    CHECK(access(npy_path, F_OK) != 0); /* nothing written */

    CHECK_EQ_INT(test_run_segp("preprocess --help", out, sizeof out), 0);
    CHECK(strstr(out, "--resolution") != NULL);
    CHECK_EQ_INT(test_run_segp("preprocess " FIX "image_rgb_37x29.png", out, sizeof out), 2);
    snprintf(args, sizeof args, "preprocess " FIX "image_rgb_37x29.png -r 0 -o %s", npy_path);
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 2);
    snprintf(args, sizeof args, "preprocess " FIX "image_rgb_37x29.png --bogus -o %s", npy_path);
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 2);
}
