/* test_shapes.c: the procedural shapes world (engine/data/shapes.h) and `segp shapes`. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "core/common.h"
#include "data/shapes.h"
#include "io/image.h"
#include "test.h"

static uint64_t fnv1a(uint64_t h, const void *data, size_t n) {
    const uint8_t *p = data;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 0x100000001B3ull;
    return h;
}

/* Hash of one sample's pixels (and caption for the pretraining stream). */
static uint64_t sample_hash(const shapes_world_params *p, int split, int cls, uint64_t index) {
    shapes_sample_desc d;
    char caption[SHAPES_CAPTION_MAX] = "";
    if (split == SHAPES_SPLIT_PRETRAIN)
        shapes_pretrain_sample(p, index, &d, caption, sizeof caption);
    else
        CHECK(shapes_cl_sample(p, split, cls, index, &d) == 0);
    image_rgb img;
    CHECK(shapes_render(p, &d, &img) == 0);
    uint64_t h = fnv1a(0xCBF29CE484222325ull, img.rgb, (size_t)img.width * (size_t)img.height * 3);
    h = fnv1a(h, caption, strlen(caption));
    image_free(&img);
    return h;
}

static uint64_t set_hash(const shapes_world_params *p) {
    uint64_t h = 0;
    for (int i = 0; i < 12; i++)
        h = h * 31 + sample_hash(p, SHAPES_SPLIT_PRETRAIN, -1, (uint64_t)i);
    for (int i = 0; i < 8; i++)
        h = h * 31 + sample_hash(p, SHAPES_SPLIT_TEST, i * 13, (uint64_t)i);
    for (int i = 0; i < 4; i++)
        h = h * 31 + sample_hash(p, SHAPES_SPLIT_TRAIN, 100 + i, (uint64_t)i);
    return h;
}

TEST(shapes_determinism) {
    shapes_world_params p = shapes_default_params();
    uint64_t a = set_hash(&p), b = set_hash(&p);
    CHECK(a == b);
    p.seed = 2;
    CHECK(set_hash(&p) != a);
    /* Train and test streams of one class differ. */
    p = shapes_default_params();
    CHECK(sample_hash(&p, SHAPES_SPLIT_TRAIN, 5, 0) != sample_hash(&p, SHAPES_SPLIT_TEST, 5, 0));
}

/* The scene descriptions and captions of the streams the shipped model was pretrained on
 * (shape_group 8) and evaluated on must never change: they are integer draws, so the hash is
 * the same on every machine (pixels may differ by one level where builds contract FMAs). */
static uint64_t stream_fingerprint(const shapes_world_params *p) {
    uint64_t h = 0xCBF29CE484222325ull;
    for (int i = 0; i < 512; i++) {
        shapes_sample_desc d;
        char caption[SHAPES_CAPTION_MAX];
        shapes_pretrain_sample(p, (uint64_t)i, &d, caption, sizeof caption);
        int v[6] = {d.n_objects, d.obj[0].shape, d.obj[0].colour, d.obj[0].size, d.rendition,
                    d.background};
        h = fnv1a(fnv1a(h, caption, strlen(caption)), v, sizeof v);
    }
    for (int c = 0; c < SHAPES_N_CLASSES; c++)
        for (int i = 0; i < 20; i++) {
            shapes_sample_desc d;
            CHECK(shapes_cl_sample(p, SHAPES_SPLIT_TEST, c, (uint64_t)i, &d) == 0);
            int v[5] = {d.obj[0].shape, d.obj[0].colour, d.obj[0].size, d.obj[0].position,
                        d.rendition};
            h = fnv1a(h, v, sizeof v);
        }
    return h;
}

TEST(shapes_stream_fingerprint) {
    shapes_world_params p = shapes_default_params();
    uint64_t h1 = stream_fingerprint(&p);
    p.shape_group = 8;
    uint64_t h8 = stream_fingerprint(&p);
    if (test_verbose()) printf("fingerprints 0x%016llx 0x%016llx\n", (unsigned long long)h1,
                               (unsigned long long)h8);
    CHECK_MSG(h1 == 0xa803a5f21cd5a0c0ull, "independent stream changed: 0x%016llx",
              (unsigned long long)h1);
    CHECK_MSG(h8 == 0x4235da03655af6f2ull, "grouped stream changed: 0x%016llx",
              (unsigned long long)h8);
}

TEST(shapes_random_access) {
    shapes_world_params p = shapes_default_params();
    p.image_size = 24;
    enum { N = 16 };
    uint64_t seq_pre[N], seq_cl[N];
    for (int i = 0; i < N; i++) {
        seq_pre[i] = sample_hash(&p, SHAPES_SPLIT_PRETRAIN, -1, (uint64_t)i);
        seq_cl[i] = sample_hash(&p, SHAPES_SPLIT_TEST, 42, (uint64_t)i);
    }
    /* Backwards and alone, interleaved with other work: same samples. */
    for (int i = N - 1; i >= 0; i -= 3) {
        (void)sample_hash(&p, SHAPES_SPLIT_TRAIN, 7, 1000 + (uint64_t)i);
        CHECK_MSG(sample_hash(&p, SHAPES_SPLIT_PRETRAIN, -1, (uint64_t)i) == seq_pre[i],
                  "pretrain sample %d differs when generated alone", i);
        CHECK_MSG(sample_hash(&p, SHAPES_SPLIT_TEST, 42, (uint64_t)i) == seq_cl[i],
                  "test sample %d differs when generated alone", i);
    }
    /* Different indices give different samples. */
    int distinct = 0;
    for (int i = 1; i < N; i++)
        distinct += seq_pre[i] != seq_pre[i - 1];
    CHECK_EQ_INT(distinct, N - 1);
}

static int has_word(const char *text, const char *word) {
    size_t n = strlen(word);
    for (const char *s = strstr(text, word); s; s = strstr(s + 1, word))
        if ((s == text || s[-1] == ' ') && (s[n] == 0 || s[n] == ' ' || s[n] == '.')) return 1;
    return 0;
}

TEST(shapes_names_unique) {
    CHECK_EQ_INT(shapes_num_classes(), 100);
    enum { N = SHAPES_N_CLASSES + SHAPES_N_HELDOUT };
    static char names[N][64];
    for (int c = 0; c < N; c++) {
        CHECK(shapes_class_name(c, names[c], sizeof names[c]) == 0);
        const char *colour = shapes_colour_name(shapes_class_colour(c));
        const char *shape = shapes_shape_name(shapes_class_shape(c));
        CHECK(colour && shape);
        if (!colour || !shape) continue;
        CHECK_MSG(has_word(names[c], colour) && has_word(names[c], shape),
                  "class %d '%s' lacks '%s' or '%s'", c, names[c], colour, shape);
        CHECK_MSG(!strchr("aeiou", names[c][0]), "class %d '%s' starts with a vowel", c, names[c]);
        for (const char *s = names[c]; *s; s++)
            CHECK(islower((unsigned char)*s) || *s == ' ');
        if (c < SHAPES_N_CLASSES)
            CHECK(shapes_class_shape(c) < SHAPES_N_CLASS_SHAPES);
        else
            CHECK(shapes_class_shape(c) >= SHAPES_N_CLASS_SHAPES);
    }
    for (int a = 0; a < N; a++)
        for (int b = a + 1; b < N; b++)
            CHECK_MSG(strcmp(names[a], names[b]) != 0, "classes %d and %d share '%s'", a, b,
                      names[a]);
    CHECK(!strcmp(names[0], "red circle"));
    CHECK(!strcmp(names[23], "blue star"));
    char buf[64];
    CHECK(shapes_class_name(N, buf, sizeof buf) == -1);
    CHECK(strstr(segp_last_error(), "class 120") != NULL);
    CHECK(shapes_class_name(-1, buf, sizeof buf) == -1);
}

TEST(shapes_order_latin_square) {
    uint64_t seeds[3] = {0, 1, 12345};
    for (int s = 0; s < 3; s++) {
        int order[SHAPES_N_CLASSES], seen[SHAPES_N_CLASSES] = {0};
        shapes_class_order(seeds[s], order);
        for (int k = 0; k < SHAPES_N_CLASSES; k++) {
            CHECK(order[k] >= 0 && order[k] < SHAPES_N_CLASSES);
            if (order[k] >= 0 && order[k] < SHAPES_N_CLASSES) seen[order[k]]++;
        }
        for (int c = 0; c < SHAPES_N_CLASSES; c++)
            CHECK_MSG(seen[c] == 1, "class %d seen %d times", c, seen[c]);
        /* The old-new interface: every task holds each colour and each shape once. */
        for (int t = 0; t < SHAPES_N_TASKS; t++) {
            int colours = 0, shapes = 0;
            for (int k = 0; k < SHAPES_CLASSES_PER_TASK; k++) {
                int c = order[t * SHAPES_CLASSES_PER_TASK + k];
                if (c < 0 || c >= SHAPES_N_CLASSES) continue;
                colours |= 1 << shapes_class_colour(c);
                shapes |= 1 << shapes_class_shape(c);
            }
            CHECK_EQ_INT(colours, 1023);
            CHECK_EQ_INT(shapes, 1023);
        }
    }
    /* The default order is stable (benchmarks must not change silently) and differs by seed. */
    int a[SHAPES_N_CLASSES], b[SHAPES_N_CLASSES], c[SHAPES_N_CLASSES];
    shapes_class_order(0, a);
    shapes_class_order(0, b);
    shapes_class_order(7, c);
    CHECK(memcmp(a, b, sizeof a) == 0);
    CHECK(memcmp(a, c, sizeof a) != 0);
    static const int first_task[10] = {42, 74, 39, 90, 57, 18, 6, 85, 61, 23};
    CHECK_MSG(memcmp(a, first_task, sizeof first_task) == 0,
              "default task 1 is %d %d %d %d %d %d %d %d %d %d", a[0], a[1], a[2], a[3], a[4], a[5],
              a[6], a[7], a[8], a[9]);
}

TEST(shapes_hard_share) {
    shapes_world_params p = shapes_default_params();
    int kinds[SHAPES_N_RENDITIONS] = {0}, hard = 0, n = 0;
    for (int c = 0; c < SHAPES_N_CLASSES; c++) {
        int hard_c = 0;
        for (int i = 0; i < p.test_per_class; i++) {
            shapes_sample_desc d;
            CHECK(shapes_cl_sample(&p, SHAPES_SPLIT_TEST, c, (uint64_t)i, &d) == 0);
            CHECK(d.cls == c && d.obj[0].colour == shapes_class_colour(c) &&
                  d.obj[0].shape == shapes_class_shape(c));
            kinds[d.rendition]++;
            hard_c += d.rendition != SHAPES_REND_STANDARD;
            n++;
        }
        hard += hard_c;
        CHECK_MSG(fabs(hard_c - p.test_hard_rate * p.test_per_class) <= 2.0,
                  "class %d: %d hard of %d", c, hard_c, p.test_per_class);
    }
    double share = (double)hard / n;
    CHECK_MSG(fabs(share - p.test_hard_rate) <= 0.02, "test hard share %.3f", share);
    for (int r = 1; r < SHAPES_N_RENDITIONS; r++)
        CHECK_MSG(kinds[r] > 60, "rendition %s: %d samples", shapes_rendition_name(r), kinds[r]);

    /* Pretraining and train: hard renditions are rare. */
    int hard_pre = 0, hard_train = 0;
    for (int i = 0; i < 2000; i++) {
        shapes_sample_desc d;
        shapes_pretrain_sample(&p, (uint64_t)i, &d, NULL, 0);
        hard_pre += d.rendition != SHAPES_REND_STANDARD;
        CHECK(shapes_cl_sample(&p, SHAPES_SPLIT_TRAIN, i % 100, (uint64_t)(i / 100), &d) == 0);
        hard_train += d.rendition != SHAPES_REND_STANDARD;
    }
    CHECK_MSG(fabs(hard_pre / 2000.0 - p.pretrain_hard_rate) <= 0.01, "pretrain hard %d", hard_pre);
    CHECK_MSG(fabs(hard_train / 2000.0 - p.train_hard_rate) <= 0.01, "train hard %d", hard_train);

    /* The band follows the parameter. */
    p.test_hard_rate = 0.2f;
    hard = 0;
    for (int c = 0; c < SHAPES_N_CLASSES; c++)
        for (int i = 0; i < 20; i++) {
            shapes_sample_desc d;
            CHECK(shapes_cl_sample(&p, SHAPES_SPLIT_TEST, c, (uint64_t)i, &d) == 0);
            hard += d.rendition != SHAPES_REND_STANDARD;
        }
    CHECK_MSG(fabs(hard / 2000.0 - 0.2) <= 0.02, "test hard share %.3f at rate 0.2", hard / 2000.0);
}

/* Mean colour of pixels within frac * radius of the object centre. */
static void centre_mean(const image_rgb *img, float radius_px, float frac, double *mean) {
    double acc[3] = {0, 0, 0};
    int n = 0;
    float c = 0.5f * (float)img->width;
    for (int y = 0; y < img->height; y++)
        for (int x = 0; x < img->width; x++) {
            float dx = (float)x + 0.5f - c, dy = (float)y + 0.5f - c;
            if (dx * dx + dy * dy > frac * frac * radius_px * radius_px) continue;
            for (int k = 0; k < 3; k++)
                acc[k] += img->rgb[((size_t)y * (size_t)img->width + (size_t)x) * 3 + (size_t)k];
            n++;
        }
    for (int k = 0; k < 3; k++)
        mean[k] = n ? acc[k] / n : -1;
}

/* Shape groups: members share colour, size, position and layout, all shapes differ, and the
 * caption names the shape. Samples stay random-access and a group does not leak into the next. */
TEST(shapes_shape_groups) {
    shapes_world_params p = shapes_default_params();
    p.shape_group = 8;
    int two_groups = 0, colours[SHAPES_N_COLOURS] = {0}, n_colours = 0;
    for (int g = 0; g < 50; g++) {
        shapes_sample_desc d0, d;
        char cap[SHAPES_CAPTION_MAX];
        int seen[SHAPES_N_SHAPES] = {0};
        for (int k = 0; k < 8; k++) {
            shapes_pretrain_sample(&p, (uint64_t)(g * 8 + k), &d, cap, sizeof cap);
            if (k == 0) d0 = d;
            CHECK_MSG(!seen[d.obj[0].shape], "group %d: shape %d repeated", g, d.obj[0].shape);
            seen[d.obj[0].shape] = 1;
            CHECK(d.n_objects == d0.n_objects);
            CHECK(d.obj[0].colour == d0.obj[0].colour && d.obj[0].size == d0.obj[0].size &&
                  d.obj[0].position == d0.obj[0].position);
            CHECK_MSG(strstr(cap, shapes_shape_name(d.obj[0].shape)) != NULL, "caption '%s'", cap);
            if (d.n_objects == 2) {
                CHECK(d.obj[1].shape == d0.obj[1].shape && d.obj[1].colour == d0.obj[1].colour);
                CHECK(d.obj[1].colour != d.obj[0].colour);
            }
        }
        two_groups += d0.n_objects == 2;
        n_colours += !colours[d0.obj[0].colour];
        colours[d0.obj[0].colour] = 1;
    }
    /* each group is drawn anew */
    CHECK_MSG(n_colours >= 8, "%d colours over 50 groups", n_colours);
    CHECK_MSG(two_groups > 5 && two_groups < 30, "%d two-object groups of 50", two_groups);
    /* group size 1 is the independent stream; out-of-range sizes are refused */
    shapes_world_params q = shapes_default_params();
    CHECK(q.shape_group == 1 && shapes_check_params(&q) == 0);
    q.shape_group = 13;
    CHECK(shapes_check_params(&q) != 0);
    q.shape_group = 0;
    CHECK(shapes_check_params(&q) != 0);
}

TEST(shapes_render_values) {
    shapes_world_params p = shapes_default_params();
    int sizes[3] = {16, 32, 64};
    for (int s = 0; s < 3; s++) {
        p.image_size = sizes[s];
        for (int colour = 0; colour < SHAPES_N_COLOURS; colour++) {
            shapes_sample_desc d;
            shapes_desc_init(&d, colour % 2 ? SHAPES_SQUARE : SHAPES_CIRCLE, colour);
            image_rgb img;
            CHECK(shapes_render(&p, &d, &img) == 0);
            CHECK_EQ_INT(img.width, sizes[s]);
            CHECK_EQ_INT(img.height, sizes[s]);
            double mean[3];
            centre_mean(&img, d.obj[0].radius * (float)sizes[s], 0.6f, mean);
            const float *want = shapes_colour_rgb(colour);
            for (int k = 0; k < 3; k++)
                CHECK_MSG(fabs(mean[k] - want[k] * 255.0) <= 1.0,
                          "size %d %s channel %d: %.1f vs %.1f", sizes[s],
                          shapes_colour_name(colour), k, mean[k], want[k] * 255.0);
            /* Plain mid-grey background in the corners. */
            for (int k = 0; k < 3; k++)
                CHECK_EQ_INT(img.rgb[k], 128);
            image_free(&img);
        }
    }
    /* Every shape covers a plausible share of a 64 x 64 image, and shapes differ. */
    p.image_size = 64;
    uint64_t hashes[SHAPES_N_SHAPES];
    for (int sh = 0; sh < SHAPES_N_SHAPES; sh++) {
        shapes_sample_desc d;
        shapes_desc_init(&d, sh, SHAPES_RED);
        image_rgb img;
        CHECK(shapes_render(&p, &d, &img) == 0);
        int red = 0;
        for (int i = 0; i < 64 * 64; i++)
            red += img.rgb[i * 3] > 180 && img.rgb[i * 3 + 1] < 80;
        CHECK_MSG(red > 64 * 64 / 20 && red < 64 * 64 / 3, "%s covers %d pixels",
                  shapes_shape_name(sh), red);
        hashes[sh] = fnv1a(0xCBF29CE484222325ull, img.rgb, 64 * 64 * 3);
        for (int o = 0; o < sh; o++)
            CHECK(hashes[o] != hashes[sh]);
        image_free(&img);
    }
    /* Hard renditions change the image but keep the object's hue dominant near its centre. */
    shapes_sample_desc d;
    shapes_desc_init(&d, SHAPES_CIRCLE, SHAPES_BLUE);
    image_rgb base;
    CHECK(shapes_render(&p, &d, &base) == 0);
    for (int r = 1; r < SHAPES_N_RENDITIONS; r++) {
        shapes_desc_set_rendition(&d, r);
        CHECK_EQ_INT(d.rendition, r);
        image_rgb img;
        CHECK(shapes_render(&p, &d, &img) == 0);
        CHECK_MSG(memcmp(img.rgb, base.rgb, 64 * 64 * 3) != 0, "%s changes nothing",
                  shapes_rendition_name(r));
        double mean[3];
        centre_mean(&img, d.obj[0].radius * 64, 1.0f, mean);
        CHECK_MSG(mean[2] > mean[0] + 8 && mean[2] > mean[1] + 8, "%s: centre %.0f %.0f %.0f",
                  shapes_rendition_name(r), mean[0], mean[1], mean[2]);
        image_free(&img);
    }
    image_free(&base);
    /* Bad sizes fail with a message. */
    p.image_size = 7;
    image_rgb img;
    CHECK(shapes_render(&p, &d, &img) == -1);
    CHECK(strstr(segp_last_error(), "image_size 7") != NULL);
    CHECK(shapes_check_params(&p) == -1);
    p = shapes_default_params();
    CHECK(shapes_check_params(&p) == 0);
    p.test_hard_rate = 1.5f;
    CHECK(shapes_check_params(&p) == -1);
    CHECK(strstr(segp_last_error(), "test_hard_rate") != NULL);
    CHECK(shapes_cl_sample(&p, SHAPES_SPLIT_PRETRAIN, 0, 0, &d) == -1);
    CHECK(shapes_cl_sample(&p, SHAPES_SPLIT_TEST, 120, 0, &d) == -1);
}

TEST(shapes_captions) {
    shapes_world_params p = shapes_default_params();
    int with_pos = 0, with_size = 0, with_two = 0, with_style = 0;
    /* Templates, recognised by their frame words; "bare" is a caption that is just a phrase. */
    static const char *const frames[] = {
        "a photo of ",    "there is ",        "an image of ", "a picture of ",
        "an image with ", " to the left of ", " above ",      "bare"};
    enum { N_FRAMES = sizeof frames / sizeof frames[0] };
    int frame_seen[N_FRAMES] = {0};
    for (int i = 0; i < 400; i++) {
        shapes_sample_desc d;
        char cap[SHAPES_CAPTION_MAX];
        shapes_pretrain_sample(&p, (uint64_t)i, &d, cap, sizeof cap);
        size_t n = strlen(cap);
        CHECK(n > 5 && cap[n - 1] == '.');
        for (size_t k = 0; k < n; k++)
            CHECK_MSG(islower((unsigned char)cap[k]) || cap[k] == ' ' || cap[k] == '.',
                      "caption %d '%s'", i, cap);
        for (int o = 0; o < d.n_objects; o++)
            CHECK_MSG(has_word(cap, shapes_colour_name(d.obj[o].colour)) &&
                          has_word(cap, shapes_shape_name(d.obj[o].shape)),
                      "caption %d '%s' misses object %d", i, cap, o);
        with_pos +=
            strstr(cap, " on the ") || strstr(cap, " at the ") || strstr(cap, " in the center");
        with_size += has_word(cap, "small") || has_word(cap, "medium") || has_word(cap, "large");
        with_two += d.n_objects == 2;
        with_style += strstr(cap, "outline") || has_word(cap, "striped") ||
                      has_word(cap, "dotted") || has_word(cap, "checkered") ||
                      has_word(cap, "blurry") || has_word(cap, "noisy") || has_word(cap, "faded");
        int framed = 0;
        for (int k = 0; k < N_FRAMES - 1; k++)
            if (strstr(cap, frames[k])) frame_seen[k] = framed = 1;
        if (!framed && d.n_objects == 1 && !strstr(cap, " photo of ")) frame_seen[N_FRAMES - 1] = 1;
        /* Truncation is safe. */
        char small[8];
        shapes_pretrain_sample(&p, (uint64_t)i, &d, small, sizeof small);
        CHECK(strlen(small) == 7 && !strncmp(small, cap, 7));
    }
    CHECK_MSG(with_pos > 40 && with_size > 80 && with_two > 80 && with_style > 3,
              "pos %d size %d two %d style %d", with_pos, with_size, with_two, with_style);
    for (int k = 0; k < N_FRAMES; k++)
        CHECK_MSG(frame_seen[k], "no caption uses '%s'", frames[k]);
}

TEST(shapes_cli_grid) {
    char out[16384], cmd[512], path[300];
    snprintf(path, sizeof path, "%s/shapes_grid.png", test_tmpdir());
    snprintf(cmd, sizeof cmd, "shapes --grid %s --rows 2 --cols 3 --size 16 --scale 2", path);
    int rc = test_run_segp(cmd, out, sizeof out);
    CHECK_MSG(rc == 0, "exit %d: %s", rc, out);
    image_rgb img;
    CHECK(image_load(path, &img) == 0);
    CHECK_EQ_INT(img.width, 3 * (16 * 2 + 2) + 2);
    CHECK_EQ_INT(img.height, 2 * (16 * 2 + 2) + 2);
    image_free(&img);
    /* One line per cell; the first is pretraining sample 0's caption. */
    int lines = 0;
    for (char *s = out; *s; s++)
        lines += *s == '\n';
    CHECK_EQ_INT(lines, 6);
    shapes_world_params p = shapes_default_params();
    shapes_sample_desc d;
    char cap[SHAPES_CAPTION_MAX], want[256];
    shapes_pretrain_sample(&p, 0, &d, cap, sizeof cap);
    snprintf(want, sizeof want, "0 0  %s\n", cap);
    CHECK_MSG(!strncmp(out, want, strlen(want)), "first line: %.80s", out);

    /* CL split, default layout: 10 x 10 cells at 32 px, scale 2 (>= 512 px wide). */
    snprintf(cmd, sizeof cmd, "shapes --grid %s --split test --task 2 --seed 3", path);
    rc = test_run_segp(cmd, out, sizeof out);
    CHECK_MSG(rc == 0, "exit %d: %.200s", rc, out);
    CHECK(image_load(path, &img) == 0);
    CHECK_EQ_INT(img.width, 10 * (32 * 2 + 2) + 2);
    CHECK_EQ_INT(img.height, 10 * (32 * 2 + 2) + 2);
    image_free(&img);
    CHECK(strstr(out, "0 0  class ") == out);

    /* Captions and classes. */
    rc = test_run_segp("shapes --captions 3", out, sizeof out);
    CHECK_EQ_INT(rc, 0);
    snprintf(want, sizeof want, "%s\n", cap);
    CHECK(!strncmp(out, want, strlen(want)));
    rc = test_run_segp("shapes --classes", out, sizeof out);
    CHECK_EQ_INT(rc, 0);
    CHECK(strstr(out, "task 1: 42 ") == out && strstr(out, "task 10:") && strstr(out, "held-out:"));
    /* --task T: that task's line alone (it was ignored: all ten and the held-out classes) */
    char *task3 = strstr(out, "task 3:"), line[1024] = "";
    CHECK(task3 != NULL);
    if (task3) snprintf(line, sizeof line, "%.*s", (int)(strchr(task3, '\n') - task3 + 1), task3);
    rc = test_run_segp("shapes --classes --task 3", out, sizeof out);
    CHECK_EQ_INT(rc, 0);
    CHECK_MSG(line[0] && !strcmp(out, line), "'%s' vs '%s'", out, line);
    rc = test_run_segp("shapes --help", out, sizeof out);
    CHECK_EQ_INT(rc, 0);
    CHECK(strstr(out, "--grid") && strstr(out, "--rendition"));
}

TEST(shapes_cli_errors) {
    static const char *const bad[][2] = {
        {"shapes", "nothing to do"},
        {"shapes --grid x.png --size 7", "--size '7'"},
        {"shapes --grid x.png --split valid", "--split 'valid'"},
        {"shapes --grid x.png --rows 0", "--rows '0'"},
        {"shapes --grid x.png --scale 2x", "--scale '2x'"},
        {"shapes --grid x.png --seed -1", "--seed '-1'"},
        {"shapes --grid x.png --task 3", "--task needs"},
        {"shapes --grid x.png --split train --task 11", "--task '11'"},
        {"shapes --grid x.png --rendition sepia", "--rendition 'sepia'"},
        {"shapes --captions", "needs a value"},
        /* passed over before: pretraining captions whatever the split or task */
        {"shapes --captions 3 --split train", "--captions prints pretraining captions and takes "
                                              "no --split train|test"},
        {"shapes --captions 3 --split test --task 2", "takes no --task"},
        {"shapes --classes --captions 2 --task 2", "takes no --task"},
        {"shapes --bogus 1", "unknown option '--bogus'"},
        {"shapes extra", "unexpected argument 'extra'"},
        {"shapes --grid x.png --rows 64 --cols 64 --size 1024", "pixels on a side"},
    };
    char out[4096];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = test_run_segp(bad[i][0], out, sizeof out);
        CHECK_MSG(rc == 2, "'%s' exit %d", bad[i][0], rc);
        CHECK_MSG(strstr(out, "segp: error:") && strstr(out, bad[i][1]), "'%s' said: %s", bad[i][0],
                  out);
    }
    /* An unwritable path is a runtime error (1), and leaves nothing behind. */
    int rc =
        test_run_segp("shapes --grid /nonexistent-dir/g.png --rows 1 --cols 1", out, sizeof out);
    CHECK_MSG(rc == 1 && strstr(out, "segp: error:") && strstr(out, "/nonexistent-dir/g.png"),
              "exit %d: %s", rc, out);
    /* ... found before the cells are listed: the error is all it prints */
    CHECK_MSG(strstr(out, "segp: error: /nonexistent-dir/g.png: cannot write there") == out,
              "%s", out);
}
