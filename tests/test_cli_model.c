/* test_cli_model.c: the model commands end to end (info, encode, zeroshot) and their answers
 * to bad checkpoints: one line naming the file and the problem, exit status 1, no crash. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/common.h"
#include "model/clip.h"
#include "io/npy.h"
#include "io/safetensors.h"
#include "test.h"
#include "tiny_run.h"

#define FIX "tests/fixtures/"

static int count_lines(const char *s) {
    int n = 0;
    for (; *s; s++) n += *s == '\n';
    return n;
}

/* The count `segp info` prints on the line starting with LABEL (digits with ',' separators);
 * -1 when the line is missing. */
static long long info_count(const char *out, const char *label) {
    char key[64];
    snprintf(key, sizeof key, "\n  %s ", label);
    const char *at = strstr(out, key);
    if (!at) return -1;
    at += strlen(key);
    while (*at == ' ') at++;
    long long v = -1;
    for (; (*at >= '0' && *at <= '9') || *at == ','; at++)
        if (*at != ',') v = (v < 0 ? 0 : v * 10) + (*at - '0');
    return v;
}

/* Parameters of a CLIP tower by formula: embeddings, blocks (ln_1, in_proj, out_proj, ln_2,
 * c_fc, c_proj), final norm and projection. The vision stem is conv1 + class token +
 * positions (grid^2 + 1) + ln_pre; the text stem is the token table + positions. */
static long long block_params(long long w, long long mlp) {
    return 2 * w + (3 * w * w + 3 * w) + (w * w + w) + 2 * w + (mlp * w + mlp) + (w * mlp + w);
}
static long long vision_params(long long w, int layers, long long mlp, int patch, int grid,
                               long long embed) {
    return 3LL * patch * patch * w + w + (grid * grid + 1LL) * w + 2 * w +
           layers * block_params(w, mlp) + 2 * w + w * embed;
}
static long long text_params(long long w, int layers, long long mlp, int ctx, long long vocab,
                             long long embed) {
    return vocab * w + ctx * w + layers * block_params(w, mlp) + 2 * w + w * embed;
}

/* Sum of the element counts of the checkpoint's tensors, split by tower from the names alone
 * (both OpenAI and Hugging Face layouts), independently of the model loader. */
static void checkpoint_counts(const char *path, long long *vision, long long *text,
                              long long *other) {
    *vision = *text = *other = 0;
    st_file *f = st_open(path);
    CHECK_MSG(f != NULL, "%s: %s", path, segp_last_error());
    for (int i = 0; f && i < st_count(f); i++) {
        const st_tensor *t = st_at(f, i);
        if (!strncmp(t->name, "visual", 6) || !strncmp(t->name, "vision_model.", 13))
            *vision += t->numel; /* "visual." and HF "visual_projection.weight" */
        else if (!strcmp(t->name, "logit_scale"))
            *other += t->numel;
        else
            *text += t->numel;
    }
    st_close(f);
}

static void check_info_counts(const char *model, long long vision, long long text,
                              long long lora_b) {
    char args[512], out[16384];
    snprintf(args, sizeof args, "info %s --no-tensors", model);
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 0);
    long long cv, ct, co;
    checkpoint_counts(model, &cv, &ct, &co);
    /* the formula and the checkpoint agree, so the expectation is right */
    CHECK_EQ_INT(cv, vision);
    CHECK_EQ_INT(ct, text);
    CHECK_EQ_INT(info_count(out, "vision tower"), vision);
    CHECK_EQ_INT(info_count(out, "text tower"), text);
    /* the logit scale: stored, or the CLIP default added for a vision-only file */
    CHECK_EQ_INT(info_count(out, "other (logit scale)"), 1);
    CHECK_EQ_INT(info_count(out, "total"), vision + text + 1);
    CHECK_EQ_INT(info_count(out, "LoRA-B trainable (r=32)"), lora_b);
}

/* LoRA-B entries at the default targets (q, v, c_fc, c_proj), rank 32: each B is out x r. */
static long long lora_b_default(long long w, int layers, long long mlp) {
    return 32LL * layers * (w + w + mlp + w);
}

TEST(cli_info_reports_architecture) {
    char out[16384];
    int rc = test_run_segp("info " FIX "clip_tiny.safetensors", out, sizeof out);
    CHECK_EQ_INT(rc, 0);
    CHECK(strstr(out, "width 64, layers 2, heads 4, mlp 256, patch 8") != NULL);
    CHECK(strstr(out, "vocabulary 49408") != NULL);
    CHECK(strstr(out, "visual.transformer.resblocks.1.mlp.c_proj.weight") != NULL);
    rc = test_run_segp("info " FIX "clip_vision.safetensors --no-tensors", out, sizeof out);
    CHECK_EQ_INT(rc, 0);
    CHECK(strstr(out, "holds only the vision tower") != NULL);
    CHECK(strstr(out, "visual.conv1.weight") == NULL); /* --no-tensors */
    /* parameter counts against the layouts of tests/ref/make_fixtures.py */
    check_info_counts(FIX "clip_tiny.safetensors", vision_params(64, 2, 256, 8, 4, 24),
                      text_params(32, 2, 128, 77, 49408, 24),
                      lora_b_default(64, 2, 256) + lora_b_default(32, 2, 128));
    check_info_counts(FIX "clip_hf/model.safetensors", vision_params(48, 2, 96, 4, 4, 20),
                      text_params(40, 2, 80, 16, 1000, 20),
                      lora_b_default(48, 2, 96) + lora_b_default(40, 2, 80));
    check_info_counts(FIX "clip_vision.safetensors", vision_params(128, 1, 256, 16, 2, 32), 0,
                      lora_b_default(128, 1, 256));
}

/* `segp info` on a safetensors file that is no CLIP checkpoint (a run's anchors, LoRA state,
 * ...) lists its metadata in order, escaped onto one line each, the count of numbers and every
 * tensor, and exits 0. */
TEST(cli_info_other_safetensors) {
    char path[512], args[1024], out[8192];
    snprintf(path, sizeof path, "%s/plain.safetensors", test_tmpdir());
    int32_t target[3] = {4, 0, 7};
    float emb[10] = {0};
    st_write_tensor ts[] = {{"target", ST_I32, 1, {3}, target}, {"emb", ST_F32, 2, {2, 5}, emb}};
    const char *mk[] = {"k_adv", "note"}, *mv[] = {"10", "a\nb\tc"};
    CHECK_EQ_INT(st_write(path, ts, 2, mk, mv, 2), 0);
    snprintf(args, sizeof args, "info %s", path);
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 0);
    CHECK_MSG(strstr(out, "kind       safetensors, not a CLIP checkpoint") != NULL, "%s", out);
    CHECK_MSG(strstr(out, "\nmetadata   k_adv = 10\n           note = a\\nb\\tc\n") != NULL,
              "%s", out);
    CHECK_MSG(strstr(out, "\nnumbers    13 in 2 tensors\n") != NULL, "%s", out);
    CHECK(strstr(out, "\ntensors (2)\n") != NULL);
    const char *t = strstr(out, "\n  target "), *e = strstr(out, "\n  emb ");
    CHECK(t && e && t < e); /* header order */
    CHECK(t && !strncmp(strchr(t + 1, '\n') - 10, " I32   [3]", 10));
    CHECK(e && !strncmp(strchr(e + 1, '\n') - 13, " F32   [2, 5]", 13));
    snprintf(args, sizeof args, "info %s --no-tensors", path);
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 0);
    CHECK(strstr(out, "tensors (") == NULL && strstr(out, "  target") == NULL);
    CHECK(strstr(out, "numbers    13 in 2 tensors") != NULL);
    /* no metadata, and more than a thousand numbers */
    float big[1234] = {0};
    st_write_tensor one[] = {{"x", ST_F16, 1, {1234}, big}};
    CHECK_EQ_INT(st_write(path, one, 1, NULL, NULL, 0), 0);
    snprintf(args, sizeof args, "info %s", path);
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 0);
    CHECK_MSG(strstr(out, "\nmetadata   (none)\nnumbers    1,234 in 1 tensor\n") != NULL, "%s",
              out);
    /* the shipped run's LoRA state: its metadata, and A and B, each as many numbers as the
     * LoRA-B count `segp info` gives for the shipped model */
    CHECK_EQ_INT(test_run_segp("info sample_runs/models/shapes-clip.safetensors --no-tensors", out,
                               sizeof out),
                 0);
    long long b = info_count(out, "LoRA-B trainable (r=32)");
    CHECK(b > 0);
    CHECK_EQ_INT(
        test_run_segp("info sample_runs/default-run/tasks/10/lora.safetensors --no-tensors", out,
                      sizeof out),
        0);
    CHECK_MSG(strstr(out, "metadata   segp.lora_rank = 32\n") != NULL, "%s", out);
    char want[96], grouped[40];
    long long ab = 2 * b;
    snprintf(grouped, sizeof grouped, "%lld,%03lld", ab / 1000, ab % 1000);
    snprintf(want, sizeof want, "\nnumbers    %s in ", grouped);
    CHECK_MSG(ab >= 1000 && ab < 1000000 && strstr(out, want) != NULL, "want '%s' in %s", want,
              out);
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
    /* pixels of another size: refused with the shape found and the one the model takes */
    char bad[512], args[2048], out[4096], path[512];
    snprintf(bad, sizeof bad, "%s/pix_5x5.npy", test_tmpdir());
    snprintf(path, sizeof path, "%s/enc_bad.npy", test_tmpdir());
    float z[2 * 3 * 5 * 5] = {0};
    CHECK_EQ_INT(npy_write_f32(bad, z, 4, (int64_t[]){2, 3, 5, 5}), 0);
    snprintf(args, sizeof args, "encode --model " FIX "clip_tiny.safetensors --tensor %s --out %s",
             bad, path);
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 1);
    CHECK_MSG(strstr(out, "pix_5x5.npy: shape (2, 3, 5, 5); this model takes (N, 3, ") != NULL,
              "%s", out);
    CHECK(access(path, F_OK) != 0);
    /* a NaN among the pixels: refused, naming the element and its image (it gave NaNs) */
    npy_array px = {0};
    CHECK(npy_read(FIX "clip_tiny_pixels.npy", &px) == 0);
    if (px.numel > 7) {
        px.data[px.numel - 7] = NAN;
        snprintf(bad, sizeof bad, "%s/pix_nan.npy", test_tmpdir());
        CHECK_EQ_INT(npy_write_f32(bad, px.data, px.ndim, px.shape), 0);
        snprintf(args, sizeof args, "encode --model " FIX "clip_tiny.safetensors --tensor %s "
                 "--out %s", bad, path);
        CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 1);
        char want[200];
        snprintf(want, sizeof want, "pix_nan.npy: element %lld (image %lld) is NaN",
                 (long long)(px.numel - 7), (long long)(px.shape[0] - 1));
        CHECK_MSG(strstr(out, want) != NULL, "'%s' not in: %s", want, out);
        CHECK(access(path, F_OK) != 0);
    }
    npy_free(&px);
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
    int read = rc == 0 ? npy_read(probs, &p) : -1;
    CHECK_MSG(read == 0, "%s: %s", probs, segp_last_error());
    if (read == 0) {
        CHECK_EQ_INT(p.ndim, 2);
        CHECK_EQ_INT(p.shape[0], 2);
        CHECK_EQ_INT(p.shape[1], 3);
        for (int i = 0; i < 2; i++)
            CHECK_NEAR(p.data[3 * i] + p.data[3 * i + 1] + p.data[3 * i + 2], 1.0, 1e-5);
    }
    /* the same probabilities from `segp encode` of the images and of the filled-in template
     * (comment and blank lines are no classes), as softmax(logit_scale * cos) */
    char ip[512], tp[512];
    snprintf(ip, sizeof ip, "%s/zs_img.npy", test_tmpdir());
    snprintf(tp, sizeof tp, "%s/zs_txt.npy", test_tmpdir());
    snprintf(args, sizeof args,
             "encode --model " FIX "clip_tiny.safetensors --normalize --out %s --images "
             FIX "image_rgb_64x48.png " FIX "image_l_31x23.png", ip);
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 0);
    snprintf(args, sizeof args,
             "encode --model " FIX "clip_tiny.safetensors --normalize --out %s "
             "--text 'a photo of a red star.' --text 'a photo of a blue circle.' "
             "--text 'a photo of a green square.'", tp);
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 0);
    clip_model *m = clip_model_load(FIX "clip_tiny.safetensors", NULL);
    npy_array ie = {0}, te = {0};
    int ok = m && read == 0 && npy_read(ip, &ie) == 0 && npy_read(tp, &te) == 0 &&
             ie.numel == 2 * 24 && te.numel == 3 * 24 && p.numel == 6;
    CHECK_MSG(ok, "zero-shot cross-check: %s", segp_last_error());
    for (int i = 0; ok && i < 2; i++) {
        double lg[3], mx = -1e300, z = 0;
        for (int j = 0; j < 3; j++) {
            lg[j] = 0;
            for (int k = 0; k < 24; k++) lg[j] += (double)ie.data[i * 24 + k] * te.data[j * 24 + k];
            lg[j] *= clip_model_logit_scale(m);
            mx = fmax(mx, lg[j]);
        }
        for (int j = 0; j < 3; j++) z += exp(lg[j] - mx);
        for (int j = 0; j < 3; j++) CHECK_NEAR(p.data[3 * i + j], exp(lg[j] - mx) / z, 1e-6);
    }
    clip_model_free(m);
    npy_free(&ie);
    npy_free(&te);
    npy_free(&p);
    /* an image outside --images, and --images with none: usage errors that say so (the first
     * was "unknown option 'x.png'", the second "give exactly one of ...") */
    snprintf(args, sizeof args, "encode --model " FIX "clip_tiny.safetensors --out %s "
             FIX "image_rgb_64x48.png", ip);
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 2);
    CHECK_MSG(strstr(out, "unexpected argument '" FIX "image_rgb_64x48.png' (images go right "
                          "after --images)"), "%s", out);
    snprintf(args, sizeof args, "encode --model " FIX "clip_tiny.safetensors --images --out %s",
             ip);
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 2);
    CHECK_MSG(strstr(out, "--images needs at least one image file"), "%s", out);
    /* a class named twice: refused, naming it (its probability was split in two columns) */
    snprintf(cls, sizeof cls, "%s/classes_twice.txt", test_tmpdir());
    write_text(cls, "red star\n# comment\nblue circle\n  red star \n");
    snprintf(args, sizeof args, "zeroshot --model " FIX "clip_tiny.safetensors --classes %s "
             FIX "image_rgb_64x48.png", cls);
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 1);
    CHECK_MSG(strstr(out, "classes_twice.txt: class \"red star\" is named twice (names 1 and 3"),
              "%s", out);
    /* a UTF-16 names file: refused (it read as one class cut at the first NUL: 100%) */
    snprintf(cls, sizeof cls, "%s/classes_utf16.txt", test_tmpdir());
    write_bytes(cls, "\xff\xfer\0e\0d\0\n\0b\0l\0u\0e\0\n\0", 20);
    snprintf(args, sizeof args, "zeroshot --model " FIX "clip_tiny.safetensors --classes %s "
             FIX "image_rgb_64x48.png", cls);
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 1);
    CHECK_MSG(strstr(out, "classes_utf16.txt: byte 3 is a NUL: not UTF-8 text"), "%s", out);
}

/* Write a copy of the fixture SRC with its JSON header edited: FROM replaced by TO. */
static void corrupt_copy_of(const char *src, const char *dst, const char *from, const char *to) {
    uint8_t *d;
    size_t n;
    int rc = segp_read_file(src, &d, &n);
    CHECK_MSG(rc == 0, "%s", segp_last_error());
    if (rc != 0) return;
    uint64_t hl;
    memcpy(&hl, d, 8);
    char *hdr = malloc(hl + 1);
    memcpy(hdr, d + 8, hl);
    hdr[hl] = 0;
    char *at = strstr(hdr, from);
    CHECK_MSG(at != NULL, "corrupt_copy: '%s' not in the header", from); /* else no corruption */
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

static void corrupt_copy(const char *dst, const char *from, const char *to) {
    corrupt_copy_of(FIX "clip_vision.safetensors", dst, from, to);
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
    /* a block without its attention weights, in each tower and naming: refused by name (the
     * layers were counted up to the gap, and the model loaded with fewer blocks) */
    static const char *gaps[][2] = {
        {FIX "clip_tiny.safetensors", "transformer.resblocks.1.attn.in_proj_weight"},
        {FIX "clip_tiny.safetensors", "visual.transformer.resblocks.1.attn.in_proj_weight"},
        {FIX "clip_hf/model.safetensors", "vision_model.encoder.layers.1.self_attn.q_proj.weight"},
        {FIX "clip_hf/model.safetensors", "text_model.encoder.layers.1.self_attn.q_proj.weight"},
    };
    for (size_t g = 0; g < sizeof gaps / sizeof gaps[0]; g++) {
        char from[160], to[160], want[400];
        snprintf(p, sizeof p, "%s/gap%zu.safetensors", t, g);
        snprintf(from, sizeof from, "\"%s\"", gaps[g][1]);
        snprintf(to, sizeof to, "\"%s_gone\"", gaps[g][1]);
        corrupt_copy_of(gaps[g][0], p, from, to);
        snprintf(want, sizeof want, "missing tensor '%s' (the file holds '", gaps[g][1]);
        expect_error(p, want);
        expect_error(p, "the tower has at least 2 blocks)");
    }
    /* towers in layouts segp does not read: named as such (an RN50 tower was "missing tensor
     * 'visual.positional_embedding'", and a timm vision tower made a text-only model, exit 0) */
    snprintf(p, sizeof p, "%s/resnet.safetensors", t);
    corrupt_copy(p, "\"visual.positional_embedding\"", "\"visual.attnpool.positional_embedding\"");
    expect_error(p, "holds a ModifiedResNet vision tower ('visual.attnpool.positional_embedding'"
                    ", as OpenAI's RN50 family); segp reads ViT vision towers only");
    snprintf(p, sizeof p, "%s/timm.safetensors", t);
    corrupt_copy_of(FIX "clip_tiny.safetensors", p, "\"visual.conv1.weight\"",
                    "\"visual.trunk.patch_embed.proj.weight\"");
    expect_error(p, "holds a vision tower segp cannot read ('visual.trunk.patch_embed.proj."
                    "weight' but no 'visual.conv1.weight'; ");
    /* a logit scale whose exp overflows float32: refused (zeroshot printed "-nan%" for every
     * class, exit 0); 88 still loads (exp(88) = 1.65e38) */
    const float scales[2] = {100.0f, 88.0f};
    for (int k = 0; k < 2; k++) {
        uint8_t *d;
        size_t n;
        st_file *sf = st_open(FIX "clip_tiny.safetensors");
        const st_tensor *ls = sf ? st_find(sf, "logit_scale") : NULL;
        CHECK(ls && ls->dtype == ST_F16 && segp_read_file(FIX "clip_tiny.safetensors", &d,
                                                          &n) == 0);
        if (!ls) {
            st_close(sf);
            break;
        }
        uint64_t hl;
        memcpy(&hl, d, 8);
        uint16_t h = st_f32_to_f16(scales[k]);
        memcpy(d + 8 + hl + ls->begin, &h, 2);
        st_close(sf);
        snprintf(p, sizeof p, "%s/scale%d.safetensors", t, k);
        CHECK(segp_write_file_atomic(p, d, n) == 0);
        free(d);
        if (k == 0) {
            expect_error(p, "tensor 'logit_scale' is 100: exp(100) is too large for float32");
        } else {
            char args[600], o[8192];
            snprintf(args, sizeof args, "info %s --no-tensors", p);
            CHECK_EQ_INT(test_run_segp(args, o, sizeof o), 0);
            /* in exponent form (it printed all 39 digits and 4 decimals) */
            CHECK_MSG(strstr(o, "logit scale exp(s) = 1.6516e+38\n"), "%s", o);
        }
    }
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

/* `segp info` of a copy of the Hugging Face fixture beside config.json CFG (case K's folder):
 * exit status RC and WANT in its output. */
static void hf_config_case(int k, const char *cfg, int rc, const char *want) {
    char dir[400], cmd[1400], args[700], out[8192];
    snprintf(dir, sizeof dir, "%s/hf_config%d", test_tmpdir(), k);
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s' && cp " FIX
             "clip_hf/model.safetensors '%s/'", dir, dir, dir);
    CHECK(system(cmd) == 0);
    snprintf(cmd, sizeof cmd, "%s/config.json", dir);
    write_text(cmd, cfg);
    snprintf(args, sizeof args, "info '%s/model.safetensors' --no-tensors", dir);
    int got = test_run_segp(args, out, sizeof out);
    CHECK_MSG(got == rc && strstr(out, want), "case %d: exit %d: %s", k, got, out);
}

/* A Hugging Face config.json whose towers differ in activation or layer-norm epsilon, or with
 * an epsilon that is no positive number: refused, naming the keys (the vision tower's values
 * were used for both, and a bad epsilon replaced by 1e-5, without a word). */
TEST(cli_hf_config_towers_differ) {
    static const char *cases[][2] = {
        {"\"hidden_act\": \"quick_gelu\"", "\"hidden_act\": \"gelu\""},
        {"\"layer_norm_eps\": 1e-5", "\"layer_norm_eps\": 1e-6"},
        {"\"layer_norm_eps\": -1", "\"layer_norm_eps\": -1"},
        {"\"hidden_act\": \"gelu\"", "\"hidden_act\": \"gelu\""},
    };
    static const char *want[] = {
        "config.json: vision_config.hidden_act \"quick_gelu\" and text_config.hidden_act "
        "\"gelu\" differ (segp runs both towers with one activation)",
        "config.json: vision_config.layer_norm_eps 1e-05 and text_config.layer_norm_eps 1e-06 "
        "differ (segp runs both towers with one epsilon)",
        "config.json: vision_config.layer_norm_eps is not a positive number",
        "activation gelu (from config.json); heads from config.json; layer-norm eps 1e-05",
    };
    for (int k = 0; k < 4; k++) {
        char cfg[1200];
        snprintf(cfg, sizeof cfg, "{\"vision_config\": {\"num_attention_heads\": 3, %s},\n"
                 " \"text_config\": {\"num_attention_heads\": 5, %s}}\n", cases[k][0],
                 cases[k][1]);
        hf_config_case(k, cfg, k == 3 ? 0 : 1, want[k]);
    }
}

/* Head counts from config.json: a fraction is refused (2.5 was read as 2), and a count that does
 * not divide the width is named with where it came from (the advice was to set the safetensors
 * metadata key, which the file did not have). */
TEST(cli_hf_config_heads) {
    hf_config_case(10, "{\"vision_config\": {\"num_attention_heads\": 3}, "
                   "\"text_config\": {\"num_attention_heads\": 2.5}}", 1,
                   "config.json: text_config.num_attention_heads is not a positive integer");
    hf_config_case(11, "{\"vision_config\": {\"num_attention_heads\": 5}, "
                   "\"text_config\": {\"num_attention_heads\": 5}}", 1,
                   "model.safetensors: vision width 48 is not divisible by 5 heads (from "
                   "config.json's vision_config.num_attention_heads)");
}

/* A one-tower checkpoint where both towers are needed: segp run refuses it by key before any
 * run directory (it made one, then failed in the tokenizer: "context_length 0"), and segp
 * finetune names it before its header. */
TEST(cli_one_tower_checkpoint_refused) {
    char dir[512], args[1600], out[4096];
    snprintf(dir, sizeof dir, "%s/vision-only-run", test_tmpdir());
    snprintf(args, sizeof args, "run %s --set model=" FIX "clip_vision.safetensors --out %s",
             tiny_config("vision-only", "finetune", ""), dir);
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 1);
    CHECK_MSG(strstr(out, "key 'model': " FIX "clip_vision.safetensors holds only the vision "
                          "tower") && !dir_has(dir, ""),
              "%s", out);
    snprintf(args, sizeof args, "finetune --model " FIX "clip_vision.safetensors");
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 1);
    CHECK_MSG(strstr(out, "segp: error: " FIX "clip_vision.safetensors: holds only the vision "
                          "tower") == out, "%s", out);
    /* segp bench: before it measures sgemm (it said so after) */
    snprintf(args, sizeof args, "bench --model " FIX "clip_vision.safetensors --no-torch");
    CHECK_EQ_INT(test_run_segp(args, out, sizeof out), 1);
    CHECK_MSG(strstr(out, "segp: error: " FIX "clip_vision.safetensors: bench needs both towers")
                  == out, "%s", out);
}
