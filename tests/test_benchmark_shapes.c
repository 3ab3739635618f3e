/* test_benchmark_shapes.c: the shapes world behind the benchmark interface
 * (engine/data/benchmark.h): its class orders (Latin square, NumPy-seeded random = the PyCIL
 * file), tasks, per-class counts, items and images, and the renders it keeps. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/common.h"
#include "data/benchmark.h"
#include "data/class_order.h"
#include "data/dataset.h"
#include "data/shapes.h"
#include "test.h"

/* ---- shapes ---- */

TEST(benchmark_shapes_latin_default) {
    benchmark_params p = benchmark_default_params();
    p.train_per_class = 3;
    benchmark *b = benchmark_open(&p);
    CHECK_MSG(b != NULL, "%s", segp_last_error());
    if (!b) return;
    CHECK(!strcmp(benchmark_name(b), "shapes"));
    CHECK_EQ_INT(benchmark_num_classes(b), 100);
    CHECK(!strcmp(benchmark_class_name(b, 3), "red star"));
    CHECK(benchmark_class_name(b, 100) == NULL && benchmark_class_name(b, -1) == NULL);
    /* the default order is today's Latin square */
    int latin[SHAPES_N_CLASSES];
    shapes_class_order(0, latin);
    CHECK(same_ints(benchmark_order(b), latin, 100));
    CHECK(!strcmp(benchmark_order_desc(b), "latin"));
    CHECK(!strcmp(benchmark_tasks_desc(b), "B0-Inc10"));
    CHECK_EQ_INT(benchmark_num_tasks(b), 10);
    for (int t = 0; t < 10; t++) {
        const int *cls;
        CHECK_EQ_INT(benchmark_task_classes(b, t, &cls), 10);
        CHECK(same_ints(cls, latin + 10 * t, 10));
        int colours = 0, shapes = 0;
        for (int k = 0; k < 10; k++) {
            CHECK_EQ_INT(benchmark_task_of(b, cls[k]), t);
            colours |= 1 << shapes_class_colour(cls[k]);
            shapes |= 1 << shapes_class_shape(cls[k]);
        }
        CHECK_MSG(colours == 0x3ff && shapes == 0x3ff, "task %d: every colour and shape once", t);
    }
    const int *cls;
    CHECK_EQ_INT(benchmark_task_classes(b, 10, &cls), -1);
    CHECK_EQ_INT(benchmark_task_of(b, 100), -1);
    /* counts: train_per_class 3, test 0 = the world's 20, held-out 20 classes x 20 */
    CHECK_EQ_INT(benchmark_count(b, BENCH_TRAIN), 300);
    CHECK_EQ_INT(benchmark_count(b, BENCH_TEST), 2000);
    CHECK_EQ_INT(benchmark_count(b, BENCH_HELDOUT), 400);
    CHECK_EQ_INT(benchmark_label(b, BENCH_TRAIN, 7), 2);
    CHECK_EQ_INT(benchmark_label(b, BENCH_TEST, 1999), 99);
    CHECK_EQ_INT(benchmark_label(b, BENCH_TEST, 2000), -1);
    CHECK_EQ_INT(benchmark_num_heldout(b), 20);
    CHECK_EQ_INT(benchmark_split_classes(b, BENCH_HELDOUT), 20);
    char name[64];
    for (int k = 0; k < 20; k++) {
        shapes_class_name(100 + k, name, sizeof name);
        CHECK(benchmark_heldout_name(b, k) && !strcmp(benchmark_heldout_name(b, k), name));
    }
    CHECK(strstr(benchmark_heldout_name(b, 0), "arrow") ||
          strstr(benchmark_heldout_name(b, 0), "pentagon"));
    CHECK(benchmark_heldout_name(b, 20) == NULL);
    /* held-out items are the test split of classes 100..119 */
    shapes_sample_desc d;
    CHECK(benchmark_shapes_sample(b, BENCH_HELDOUT, 45, &d) == 0);
    CHECK_EQ_INT(d.cls, 102);
    CHECK_EQ_INT(benchmark_label(b, BENCH_HELDOUT, 45), 2);
    benchmark_free(b);
}

TEST(benchmark_shapes_random_order_is_pycil) {
    /* "random" with seed 1993 is NumPy's legacy permutation: on 100 classes it must be the
     * PyCIL order file's (independently made by NumPy) */
    int *file = NULL, n = 0;
    CHECK(class_order_load("data/benchmarks/cifar100_order_pycil_seed1993.txt", 100, &file,
                           &n) == 0);
    benchmark_params p = benchmark_default_params();
    p.eval_only = 1;
    snprintf(p.order, sizeof p.order, "random");
    benchmark *b = benchmark_open(&p);
    CHECK_MSG(b != NULL, "%s", segp_last_error());
    if (b && file) {
        CHECK(same_ints(benchmark_order(b), file, 100));
        CHECK(!strcmp(benchmark_order_desc(b), "random seed 1993"));
        const int *cls;
        CHECK_EQ_INT(benchmark_task_classes(b, 9, &cls), 10);
        CHECK(same_ints(cls, file + 90, 10));
        CHECK_EQ_INT(benchmark_task_of(b, file[0]), 0);
        CHECK_EQ_INT(benchmark_task_of(b, file[99]), 9);
        CHECK_EQ_INT(benchmark_count(b, BENCH_TRAIN), 0); /* eval_only */
    }
    benchmark_free(b);
    /* another seed gives another permutation */
    p.order_seed = 7;
    b = benchmark_open(&p);
    CHECK(b && file && !same_ints(benchmark_order(b), file, 100));
    benchmark_free(b);
    /* an order file by its bare name in the benchmarks directory, and identity */
    snprintf(p.order, sizeof p.order, "cifar100_order.yaml");
    b = benchmark_open(&p);
    CHECK_MSG(b != NULL, "%s", segp_last_error());
    int *yaml = NULL, ny = 0;
    CHECK(class_order_load("data/benchmarks/cifar100_order.yaml", 100, &yaml, &ny) == 0);
    if (b && yaml) {
        CHECK(same_ints(benchmark_order(b), yaml, 100));
        CHECK(strstr(benchmark_order_desc(b), "cifar100_order.yaml") != NULL);
    }
    benchmark_free(b);
    snprintf(p.order, sizeof p.order, "identity");
    snprintf(p.tasks, sizeof p.tasks, "B50-Inc10");
    b = benchmark_open(&p);
    CHECK(b != NULL);
    if (b) {
        CHECK_EQ_INT(benchmark_num_tasks(b), 6);
        const int *cls;
        CHECK_EQ_INT(benchmark_task_classes(b, 0, &cls), 50);
        CHECK_EQ_INT(cls[49], 49);
        CHECK_EQ_INT(benchmark_task_classes(b, 5, &cls), 10);
        CHECK_EQ_INT(cls[0], 90);
        CHECK_EQ_INT(benchmark_task_of(b, 55), 1);
    }
    benchmark_free(b);
    snprintf(p.tasks, sizeof p.tasks, "5");
    b = benchmark_open(&p);
    CHECK(b && benchmark_num_tasks(b) == 5 && !strcmp(benchmark_tasks_desc(b), "B0-Inc20"));
    benchmark_free(b);
    free(file);
    free(yaml);
}

TEST(benchmark_shapes_items_and_images) {
    benchmark_params p = benchmark_default_params();
    p.train_per_class = 4;
    p.test_per_class = 2;
    benchmark *b = benchmark_open(&p);
    CHECK_MSG(b != NULL, "%s", segp_last_error());
    if (!b) return;
    CHECK_EQ_INT(benchmark_count(b, BENCH_TRAIN), 400);
    CHECK_EQ_INT(benchmark_count(b, BENCH_TEST), 200);
    CHECK_EQ_INT(benchmark_count(b, BENCH_HELDOUT), 40);
    /* the items of task 3's classes, in dataset order */
    uint8_t mask[100] = {0};
    const int *cls;
    benchmark_task_classes(b, 3, &cls);
    for (int k = 0; k < 10; k++) mask[cls[k]] = 1;
    int *idx;
    int n = benchmark_select(b, BENCH_TEST, mask, &idx);
    CHECK_EQ_INT(n, 20);
    for (int i = 0; i < n; i++) {
        CHECK(mask[benchmark_label(b, BENCH_TEST, idx[i])]);
        if (i) CHECK(idx[i] > idx[i - 1]);
    }
    free(idx);
    CHECK_EQ_INT(benchmark_select(b, BENCH_TRAIN, NULL, &idx), 400);
    free(idx);
    /* images: the world's samples rendered at the asked size (image_size 0) */
    shapes_world_params wp = shapes_default_params();
    uint8_t want[24 * 24 * 3], got[24 * 24 * 3];
    const struct { bench_split s; int i, split, cls, index; } cases[] = {
        {BENCH_TRAIN, 4 * 37 + 3, SHAPES_SPLIT_TRAIN, 37, 3},
        {BENCH_TEST, 2 * 99 + 1, SHAPES_SPLIT_TEST, 99, 1},
        {BENCH_HELDOUT, 2 * 19, SHAPES_SPLIT_TEST, 119, 0},
    };
    for (int k = 0; k < 3; k++) {
        shapes_sample_desc d;
        CHECK(shapes_cl_sample(&wp, cases[k].split, cases[k].cls, (uint64_t)cases[k].index,
                               &d) == 0);
        CHECK(shapes_render_into(&d, 24, want) == 0);
        CHECK(benchmark_image(b, cases[k].s, cases[k].i, 24, got) == 0);
        CHECK_MSG(!memcmp(want, got, sizeof want), "shapes item %d/%d bytes", (int)cases[k].s,
                  cases[k].i);
    }
    image_rgb im;
    CHECK(benchmark_image_native(b, BENCH_TEST, 0, &im) == -1);
    CHECK(err_has("benchmark.image_size"));
    CHECK(benchmark_image(b, BENCH_TEST, 200, 24, got) == -1);
    benchmark_free(b);

    /* image_size 32: native renders at 32, benchmark_image takes CLIP's geometry to 24 */
    p.image_size = 32;
    b = benchmark_open(&p);
    CHECK(b != NULL);
    if (!b) return;
    shapes_sample_desc d;
    CHECK(shapes_cl_sample(&wp, SHAPES_SPLIT_TEST, 5, 1, &d) == 0);
    image_rgb ref;
    wp.image_size = 32;
    CHECK(shapes_render(&wp, &d, &ref) == 0);
    CHECK(benchmark_image_native(b, BENCH_TEST, 11, &im) == 0);
    CHECK(im.width == 32 && im.height == 32 && !memcmp(im.rgb, ref.rgb, 32 * 32 * 3));
    image_clip_crop(&ref, 24, want);
    CHECK(benchmark_image(b, BENCH_TEST, 11, 24, got) == 0);
    CHECK(!memcmp(want, got, sizeof want));
    /* and the geometry is a real resize, not a copy of the corner */
    int differ = 0;
    for (int y = 0; y < 24 && !differ; y++)
        differ = memcmp(got + y * 72, ref.rgb + y * 96, 72) != 0;
    CHECK(differ);
    image_free(&im);
    image_free(&ref);
    benchmark_free(b);
}

/* Shapes images are kept after their first drawing: a second drawing, in parallel or one by
 * one, and a drawing at another size (not kept) are each the world's render. */
TEST(benchmark_shapes_kept_renders_are_the_renders) {
    benchmark_params p = benchmark_default_params();
    p.train_per_class = 3;
    p.test_per_class = 1;
    benchmark *b = benchmark_open(&p);
    CHECK_MSG(b != NULL, "%s", segp_last_error());
    if (!b) return;
    shapes_world_params wp = shapes_default_params();
    enum { N = 300 };
    const int sizes[3] = {20, 20, 16}; /* first drawing, kept drawing, another size */
    for (int r = 0; r < 3; r++) {
        int px = sizes[r];
        size_t sz = (size_t)px * px * 3;
        uint8_t *many = malloc(N * sz), *want = malloc(sz), *one = malloc(sz);
        CHECK(benchmark_images(b, BENCH_TRAIN, NULL, N, px, many) == 0);
        int bad = 0;
        for (int i = 0; i < N; i++) {
            shapes_sample_desc d;
            CHECK(shapes_cl_sample(&wp, SHAPES_SPLIT_TRAIN, i / 3, (uint64_t)(i % 3), &d) == 0);
            CHECK(shapes_render_into(&d, px, want) == 0);
            CHECK(benchmark_image(b, BENCH_TRAIN, i, px, one) == 0);
            bad += memcmp(want, many + (size_t)i * sz, sz) != 0 || memcmp(want, one, sz) != 0;
        }
        CHECK_MSG(bad == 0, "drawing %d (%d px): %d of %d images differ from the render", r, px,
                  bad, N);
        free(many), free(want), free(one);
    }
    benchmark_free(b);
}

/* What the kept renders hold, for the memory check before a run: every drawn image of a split
 * that fits in 512 MB whole, at the size it is drawn at; nothing for a split too large, or
 * shapes drawn at another size (benchmark.image_size) and resized. */
TEST(benchmark_shapes_kept_bytes) {
    benchmark_params p = benchmark_default_params();
    p.train_per_class = 5000; /* 500,000 items: 384 MB at 16 px, 600 MB at 20 px */
    p.test_per_class = 1;
    benchmark *b = benchmark_open(&p);
    CHECK_MSG(b != NULL, "%s", segp_last_error());
    if (!b) return;
    CHECK_NEAR(benchmark_kept_bytes(b, BENCH_TRAIN, 16, 1000), 1000.0 * 768, 0);
    CHECK_NEAR(benchmark_kept_bytes(b, BENCH_TRAIN, 20, 1000), 0, 0);
    CHECK_NEAR(benchmark_kept_bytes(b, BENCH_TEST, 20, 100), 100.0 * 1200, 0);
    benchmark_free(b);
    p.image_size = 32; /* drawn at 32 px, then cropped to the model's size: not kept */
    b = benchmark_open(&p);
    CHECK_MSG(b != NULL, "%s", segp_last_error());
    if (!b) return;
    CHECK_NEAR(benchmark_kept_bytes(b, BENCH_TEST, 20, 100), 0, 0);
    CHECK_NEAR(benchmark_kept_bytes(b, BENCH_TEST, 32, 100), 100.0 * 3072, 0);
    benchmark_free(b);
}
