/* test_cli_model.c: the model commands end to end (info, encode, zeroshot) and their answers
 * to bad checkpoints: one line naming the file and the problem, exit status 1, no crash. */
#include <stdlib.h>
#include <string.h>

#include "core/common.h"
#include "io/npy.h"
#include "test.h"

#define FIX "tests/fixtures/"

static int count_lines(const char *s) {
    int n = 0;
    for (; *s; s++) n += *s == '\n';
    return n;
}

TEST(cli_info_reports_architecture) {
    char out[16384];
    int rc = test_run_segp("info " FIX "clip_tiny.safetensors", out, sizeof out);
    CHECK_EQ_INT(rc, 0);
    CHECK(strstr(out, "width 64, layers 2, heads 4, mlp 256, patch 8") != NULL);
    CHECK(strstr(out, "vocabulary 49408") != NULL);
    CHECK(strstr(out, "visual.transformer.resblocks.1.mlp.c_proj.weight") != NULL);
    /* parameter counts computed from the layout: vision 64*3*8*8 + ... (checked via total) */
    CHECK(strstr(out, "total") != NULL);
    rc = test_run_segp("info " FIX "clip_vision.safetensors --no-tensors", out, sizeof out);
    CHECK_EQ_INT(rc, 0);
    CHECK(strstr(out, "holds only the vision tower") != NULL);
}

/* `segp encode --tensor` on the fixtures matches the PyTorch reference. */
TEST(cli_encode_matches_reference) {
    const char *names[3] = {"clip_tiny", "clip_hf", "clip_vision"};
    const char *models[3] = {FIX "clip_tiny.safetensors", FIX "clip_hf/model.safetensors",
                             FIX "clip_vision.safetensors"};
    for (int i = 0; i < 3; i++) {
        char args[2048], out[4096], path[512];
        snprintf(path, sizeof path, "%s/enc_%s.npy", test_tmpdir(), names[i]);
        snprintf(args, sizeof args, "encode --model %s --tensor " FIX "%s_pixels.npy --out %s",
                 models[i], names[i], path);
        int rc = test_run_segp(args, out, sizeof out);
        CHECK_MSG(rc == 0, "%s: %s", names[i], out);
        npy_array a = {0}, r = {0};
        char ref[512];
        snprintf(ref, sizeof ref, FIX "%s_img.npy", names[i]);
        if (rc == 0 && npy_read(path, &a) == 0 && npy_read(ref, &r) == 0) {
            CHECK_EQ_INT(a.numel, r.numel);
            CHECK(a.numel == r.numel && test_rel_err(a.data, r.data, (size_t)a.numel) <= 1e-5);
        } else {
            CHECK(0);
        }
        npy_free(&a);
        npy_free(&r);
    }
}

TEST(cli_encode_text_and_zeroshot) {
    char out[8192], path[512], args[2048];
    snprintf(path, sizeof path, "%s/text.npy", test_tmpdir());
    snprintf(args, sizeof args,
             "encode --model " FIX "clip_tiny.safetensors --text 'a red star' --text 'a dog' "
             "--out %s",
             path);
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 0);
    npy_array a = {0};
    CHECK(npy_read(path, &a) == 0);
    CHECK_EQ_INT(a.ndim, 2);
    CHECK_EQ_INT(a.shape[0], 2);
    CHECK_EQ_INT(a.shape[1], 24);
    npy_free(&a);
    /* text on a vision-only checkpoint: a clear refusal */
    snprintf(args, sizeof args,
             "encode --model " FIX "clip_vision.safetensors --text 'a dog' --out %s", path);
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 1);
    CHECK(strstr(out, "only the vision tower") != NULL);
    /* zero-shot over three classes: probabilities sum to 1 */
    char cls[512], probs[512];
    snprintf(cls, sizeof cls, "%s/classes.txt", test_tmpdir());
    FILE *f = fopen(cls, "w");
    fputs("red star\nblue circle\n# comment\n\ngreen square\n", f);
    fclose(f);
    snprintf(probs, sizeof probs, "%s/probs.npy", test_tmpdir());
    snprintf(args, sizeof args,
             "zeroshot --model " FIX "clip_tiny.safetensors --classes %s --out %s "
             FIX "image_rgb_64x48.png " FIX "image_l_31x23.png",
             cls, probs);
    int rc = test_run_segp(args, out, sizeof out);
    CHECK_MSG(rc == 0, "%s", out);
    npy_array p = {0};
    if (rc == 0 && npy_read(probs, &p) == 0) {
        CHECK_EQ_INT(p.shape[0], 2);
        CHECK_EQ_INT(p.shape[1], 3);
        for (int i = 0; i < 2; i++)
            CHECK_NEAR(p.data[3 * i] + p.data[3 * i + 1] + p.data[3 * i + 2], 1.0, 1e-5);
    }
    npy_free(&p);
}

/* Write a copy of the vision fixture with its JSON header edited: FROM replaced by TO. */
static void corrupt_copy(const char *dst, const char *from, const char *to) {
    uint8_t *d;
    size_t n;
    if (segp_read_file(FIX "clip_vision.safetensors", &d, &n) != 0) return;
    uint64_t hl;
    memcpy(&hl, d, 8);
    char *hdr = malloc(hl + 1);
    memcpy(hdr, d + 8, hl);
    hdr[hl] = 0;
    char *at = strstr(hdr, from);
    size_t fl = strlen(from), tl = strlen(to);
    char *nh = malloc(hl + tl + 16);
    size_t k = 0;
    if (at) {
        memcpy(nh, hdr, (size_t)(at - hdr));
        k = (size_t)(at - hdr);
        memcpy(nh + k, to, tl);
        k += tl;
        memcpy(nh + k, at + fl, hl - (size_t)(at - hdr) - fl);
        k += hl - (size_t)(at - hdr) - fl;
    } else {
        memcpy(nh, hdr, hl);
        k = hl;
    }
    while (k % 8) nh[k++] = ' ';
    FILE *f = fopen(dst, "wb");
    uint64_t nl = k;
    fwrite(&nl, 8, 1, f);
    fwrite(nh, 1, k, f);
    fwrite(d + 8 + hl, 1, n - 8 - hl, f);
    fclose(f);
    free(hdr);
    free(nh);
    free(d);
}

static void expect_error(const char *file, const char *word) {
    char args[1024], out[4096];
    snprintf(args, sizeof args, "info %s", file);
    int rc = test_run_segp(args, out, sizeof out);
    CHECK_MSG(rc == 1, "%s: exit %d, output: %s", file, rc, out);
    CHECK_MSG(count_lines(out) == 1, "%s: expected one line, got: %s", file, out);
    CHECK_MSG(strstr(out, file) != NULL, "message does not name %s: %s", file, out);
    CHECK_MSG(strstr(out, word) != NULL, "message lacks '%s': %s", word, out);
}

TEST(cli_bad_checkpoints) {
    char p[512];
    const char *t = test_tmpdir();
    snprintf(p, sizeof p, "%s/missing_tensor.safetensors", t);
    corrupt_copy(p, "\"visual.ln_post.bias\"", "\"visual.ln_post.bias_renamed\"");
    expect_error(p, "visual.ln_post.bias");
    snprintf(p, sizeof p, "%s/unknown_dtype.safetensors", t);
    corrupt_copy(p, "\"F32\"", "\"Q4\"");
    expect_error(p, "Q4");
    snprintf(p, sizeof p, "%s/bad_json.safetensors", t);
    corrupt_copy(p, "{", "[");
    expect_error(p, "JSON");
    snprintf(p, sizeof p, "%s/wrong_shape.safetensors", t);
    /* c_fc weight [256, 128] claimed as [128, 256]: same byte count, wrong shape */
    corrupt_copy(p, "mlp.c_fc.weight\":{\"dtype\":\"F32\",\"shape\":[256,128]",
                 "mlp.c_fc.weight\":{\"dtype\":\"F32\",\"shape\":[128,256]");
    expect_error(p, "shape");
    /* truncated file: header length past the end */
    snprintf(p, sizeof p, "%s/truncated.safetensors", t);
    FILE *f = fopen(p, "wb");
    uint64_t big = 1u << 20;
    fwrite(&big, 8, 1, f);
    fputs("{\"a\":", f);
    fclose(f);
    expect_error(p, "header");
    /* data cut short: offsets out of range */
    uint8_t *d;
    size_t n;
    if (segp_read_file(FIX "clip_vision.safetensors", &d, &n) == 0) {
        snprintf(p, sizeof p, "%s/short.safetensors", t);
        f = fopen(p, "wb");
        fwrite(d, 1, n - 100, f);
        fclose(f);
        free(d);
        expect_error(p, "past the end");
    }
    char out[2048];
    CHECK_EQ_INT(test_run_segp("info /nonexistent/model.safetensors", out, sizeof out), 1);
    CHECK(strstr(out, "/nonexistent/model.safetensors") != NULL);
    CHECK_EQ_INT(test_run_segp("info", out, sizeof out), 2);
    CHECK_EQ_INT(test_run_segp("info --bogus x", out, sizeof out), 2);
    CHECK(strstr(out, "--bogus") != NULL);
    CHECK_EQ_INT(test_run_segp("nosuchcommand", out, sizeof out), 2);
}
