/* test_benchmark.c: the benchmark interface (engine/data/benchmark.h): CIFAR, image-folder and
 * Fashion-MNIST readers behind the same calls on data generated here, held-out items; every bad
 * parameter named by its key. (The shapes world behind it: test_benchmark_shapes.c; the
 * evaluation core: test_benchmark_eval.c.) */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/common.h"
#include "data/benchmark.h"
#include "data/class_order.h"
#include "data/dataset.h"
#include "data/shapes.h"
#include "model/clip.h"
#include "model/zeroshot.h"
#include "text/tokenizer.h"
#include "test.h"

#define SHIPPED "sample_runs/models/shapes-clip.safetensors"
#define FASHION "/usr/share/datasets/fashion-mnist" /* Debian's dataset-fashion-mnist */

/* ---- helpers ---- */

/* Open P expecting failure with an error holding both KEY and DETAIL. */
static void check_refused(const benchmark_params *p, const char *key, const char *detail) {
    benchmark *b = benchmark_open(p);
    CHECK_MSG(b == NULL, "benchmark_open should refuse (%s)", key);
    benchmark_free(b);
    CHECK_MSG(err_has(key), "error should name %s", key);
    if (detail) CHECK_MSG(err_has(detail), "error should say %s", detail);
}

/* CIFAR-100 file of N records: record i has fine label LABELS[i] and pixels
 * synth_pixel(first + i). */
static void write_cifar100(const char *path, int n, int first, const int *labels) {
    size_t rec = 2 + 3072;
    uint8_t *buf = malloc(rec * (size_t)n);
    for (int i = 0; i < n; i++)
        synth_cifar_record(buf + rec * (size_t)i, 2, labels[i] % 20, labels[i], first + i);
    write_bytes(path, buf, rec * (size_t)n);
    free(buf);
}

TEST(benchmark_bad_params) {
    benchmark_params p = benchmark_default_params();
    snprintf(p.name, sizeof p.name, "cifar1000");
    check_refused(&p, "benchmark.name", "cifar1000");
    p = benchmark_default_params();
    snprintf(p.order, sizeof p.order, "sorted");
    check_refused(&p, "benchmark.order", "sorted");
    /* an order file that is not a permutation */
    char *bad = tpath("bench_order_dup.txt", "");
    char text[600] = "[";
    for (int k = 0; k < 100; k++) {
        char num[16];
        snprintf(num, sizeof num, "%d%s", k == 50 ? 7 : k, k < 99 ? ", " : "]");
        strcat(text, num);
    }
    write_text(bad, text);
    snprintf(p.order, sizeof p.order, "%s", bad);
    check_refused(&p, "benchmark.order", "class 7 appears twice");
    write_text(bad, "[0, 1, 2]");
    check_refused(&p, "benchmark.order", "(expected 100)");
    p = benchmark_default_params();
    p.order_seed = 1ull << 32;
    snprintf(p.order, sizeof p.order, "random");
    check_refused(&p, "benchmark.order_seed", "4294967295");
    p = benchmark_default_params();
    snprintf(p.tasks, sizeof p.tasks, "200");
    check_refused(&p, "benchmark.tasks", "at most 100");
    snprintf(p.tasks, sizeof p.tasks, "0");
    check_refused(&p, "benchmark.tasks", "0 tasks");
    snprintf(p.tasks, sizeof p.tasks, "B0-Inc0");
    check_refused(&p, "benchmark.tasks", "increment must be > 0");
    snprintf(p.tasks, sizeof p.tasks, "B0-Inc7");
    check_refused(&p, "benchmark.tasks", "do not divide");
    snprintf(p.tasks, sizeof p.tasks, "B100-Inc10");
    check_refused(&p, "benchmark.tasks", "base must be");
    snprintf(p.tasks, sizeof p.tasks, "ten");
    check_refused(&p, "benchmark.tasks", "ten");
    snprintf(p.tasks, sizeof p.tasks, "30");
    check_refused(&p, "benchmark.tasks", "equal tasks");
    p = benchmark_default_params();
    p.test_per_class = -1;
    check_refused(&p, "benchmark.test_per_class", NULL);
    p = benchmark_default_params();
    p.image_size = 4;
    check_refused(&p, "benchmark.image_size", NULL);
    /* Regression (fuzz/corpus/config/regress-shapes-huge-per-class): 10^8 items per class made
     * 10^10 list entries (int overflow, out of memory); the world's items per class are bounded */
    p = benchmark_default_params();
    p.train_per_class = 100000000;
    check_refused(&p, "benchmark.train_per_class", "at most 100000");
    p = benchmark_default_params();
    p.test_per_class = 100001;
    check_refused(&p, "benchmark.test_per_class", "100001");
    /* the Latin square is the shapes world's alone */
    p = benchmark_default_params();
    snprintf(p.name, sizeof p.name, "fashion-mnist");
    snprintf(p.order, sizeof p.order, "latin");
    p.eval_only = 1;
    check_refused(&p, "benchmark.order", "latin");
    /* missing data names the key and the file */
    p = benchmark_default_params();
    snprintf(p.name, sizeof p.name, "cifar100");
    snprintf(p.root, sizeof p.root, "%s", tpath("bench_no_such_dir", ""));
    check_refused(&p, "benchmark.root", "bench_no_such_dir");
}

/* The shapes world's keys on a dataset were silently unused (a run with benchmark.world_seed 5
 * on CIFAR-10 ran and recorded 5): refused by key before any data is read, while the defaults,
 * as a run's written-back config holds them, still open. */
TEST(benchmark_dataset_refuses_world_keys) {
    mkdirs(tpath("bench_c10_world/cifar-10-batches-bin", ""));
    uint8_t rec[10][1 + 3072];
    for (int i = 0; i < 10; i++) synth_cifar_record(rec[i], 1, 0, i, i);
    for (int k = 1; k <= 6; k++) {
        char name[64];
        snprintf(name, sizeof name, k < 6 ? "data_batch_%d.bin" : "test_batch.bin", k);
        write_bytes(tpath("bench_c10_world/cifar-10-batches-bin/%s", name), rec, sizeof rec);
    }
    benchmark_params p = benchmark_default_params();
    snprintf(p.name, sizeof p.name, "cifar10");
    snprintf(p.root, sizeof p.root, "%s", tpath("bench_no_such_dir", ""));
    p.world_seed = 5;
    check_refused(&p, "benchmark.world_seed: 5", "expected 1, the default");
    p = benchmark_default_params();
    snprintf(p.name, sizeof p.name, "fashion-mnist");
    p.image_size = 64;
    check_refused(&p, "benchmark.image_size: 64", "fashion-mnist does not use");
    p.image_size = 0;
    p.train_hard_rate = 0.25f;
    check_refused(&p, "benchmark.train_hard_rate: 0.25", "expected 0.5");

    /* a config written back and read again over the defaults opens */
    p = benchmark_default_params();
    snprintf(p.name, sizeof p.name, "cifar10");
    snprintf(p.root, sizeof p.root, "%s", tpath("bench_c10_world", ""));
    snprintf(p.tasks, sizeof p.tasks, "2");
    p.any_count = 1;
    int nf;
    const cfg_field *fl = benchmark_config_fields(&nf);
    char *json = cfg_to_json(fl, nf, &p, NULL);
    benchmark_params back = benchmark_default_params();
    back.any_count = 1;
    CHECK(json && cfg_parse_string(json, "written", fl, nf, &back) == 0);
    free(json);
    benchmark *b = benchmark_open(&back);
    CHECK_MSG(b != NULL, "%s", segp_last_error());
    if (b) CHECK_EQ_INT(benchmark_count(b, BENCH_TRAIN), 50);
    benchmark_free(b);
}

/* split_file / classes_file on a dataset that reads no such list (CIFAR, the IDX sets; CUB's
 * split) were silently unused: a CIFAR-100 run with its own class names file prompted with the
 * built-in names. Refused by key before any data is read. */
TEST(benchmark_dataset_refuses_unread_lists) {
    static const struct {
        const char *name, *key, *want;
    } cases[] = {
        {"cifar100", "classes_file", "benchmark.classes_file: \"names.txt\" means nothing for "
                                     "cifar100"},
        {"cifar10", "split_file", "benchmark.split_file: \"{}.txt\" means nothing for cifar10"},
        {"mnist", "classes_file", "means nothing for mnist"},
        {"fashion-mnist", "split_file", "means nothing for fashion-mnist"},
        {"cub200", "split_file", "benchmark.split_file: \"{}.txt\" means nothing for cub200"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        benchmark_params p = benchmark_default_params();
        snprintf(p.name, sizeof p.name, "%s", cases[k].name);
        snprintf(p.root, sizeof p.root, "%s", tpath("bench_no_such_dir", ""));
        if (!strcmp(cases[k].key, "split_file"))
            snprintf(p.split_file, sizeof p.split_file, "{}.txt");
        else
            snprintf(p.classes_file, sizeof p.classes_file, "names.txt");
        check_refused(&p, cases[k].want, "which reads no such list (expected \"\"");
    }
    /* the kinds that read them go on to their data (here: none, named by benchmark.root) */
    benchmark_params p = benchmark_default_params();
    snprintf(p.name, sizeof p.name, "cub200");
    snprintf(p.root, sizeof p.root, "%s", tpath("bench_no_such_dir", ""));
    snprintf(p.classes_file, sizeof p.classes_file, "names.txt");
    check_refused(&p, "benchmark.root (cub200", "CUB_200_2011.tgz");
}

/* ---- dataset readers behind the interface ---- */

TEST(benchmark_cifar100_small) {
    mkdirs(tpath("bench_c100/cifar-100-binary", ""));
    /* train: 3 items of each of the 100 classes, interleaved; test: class c has c % 3 + 1 items */
    int tr[300], te[200], n_te = 0;
    for (int i = 0; i < 300; i++) tr[i] = (i * 37) % 100;
    for (int c = 0; c < 100; c++)
        for (int k = 0; k <= c % 3; k++) te[n_te++] = c;
    write_cifar100(tpath("bench_c100/cifar-100-binary/%s", "train.bin"), 300, 0, tr);
    write_cifar100(tpath("bench_c100/cifar-100-binary/%s", "test.bin"), n_te, 1000, te);
    benchmark_params p = benchmark_default_params();
    snprintf(p.name, sizeof p.name, "cifar100");
    snprintf(p.root, sizeof p.root, "%s", tpath("bench_c100", ""));
    p.any_count = 1;
    benchmark *b = benchmark_open(&p);
    CHECK_MSG(b != NULL, "%s", segp_last_error());
    if (!b) return;
    CHECK_EQ_INT(benchmark_num_classes(b), 100);
    CHECK(!strcmp(benchmark_class_name(b, 0), "apple"));
    CHECK(!strcmp(benchmark_order_desc(b), "identity"));
    CHECK_EQ_INT(benchmark_order(b)[42], 42);
    CHECK_EQ_INT(benchmark_num_tasks(b), 10);
    CHECK_EQ_INT(benchmark_count(b, BENCH_TRAIN), 300);
    CHECK_EQ_INT(benchmark_count(b, BENCH_TEST), n_te);
    CHECK_EQ_INT(benchmark_count(b, BENCH_HELDOUT), 0);
    CHECK_EQ_INT(benchmark_num_heldout(b), 0);
    CHECK_EQ_INT(benchmark_label(b, BENCH_TRAIN, 5), tr[5]);
    /* images: 32x32 at 32 is the record's own pixels */
    uint8_t got[32 * 32 * 3];
    CHECK(benchmark_image(b, BENCH_TEST, 7, 32, got) == 0);
    int ok = 1;
    for (int y = 0; y < 32; y++)
        for (int x = 0; x < 32; x++)
            for (int c = 0; c < 3; c++)
                ok &= got[(y * 32 + x) * 3 + c] == synth_pixel(1007, x, y, c);
    CHECK_MSG(ok, "cifar test item 7 pixels");
    image_rgb im;
    CHECK(benchmark_image_native(b, BENCH_TRAIN, 9, &im) == 0);
    CHECK(im.width == 32 && im.rgb[5] == synth_pixel(9, 1, 0, 2));
    uint8_t want[16 * 16 * 3], got16[16 * 16 * 3];
    image_clip_crop(&im, 16, want);
    CHECK(benchmark_image(b, BENCH_TRAIN, 9, 16, got16) == 0);
    CHECK(!memcmp(want, got16, sizeof want));
    image_free(&im);
    benchmark_free(b);

    /* per-class limits keep the first items of each class, in file order; the PyCIL order */
    p.train_per_class = 2;
    p.test_per_class = 1;
    snprintf(p.order, sizeof p.order, "random");
    b = benchmark_open(&p);
    CHECK(b != NULL);
    if (!b) return;
    CHECK_EQ_INT(benchmark_count(b, BENCH_TRAIN), 200);
    CHECK_EQ_INT(benchmark_count(b, BENCH_TEST), 100);
    int seen[100] = {0}, fine = 1;
    for (int i = 0, k = 0; i < 300; i++)
        if (seen[tr[i]]++ < 2) fine &= benchmark_label(b, BENCH_TRAIN, k++) == tr[i];
    CHECK_MSG(fine, "train items: the first 2 of each class, in file order");
    int first_of[100];
    for (int i = n_te - 1; i >= 0; i--) first_of[te[i]] = i;
    CHECK(benchmark_image(b, BENCH_TEST, 50, 32, got) == 0); /* class 50's first item */
    CHECK_EQ_INT(got[0], synth_pixel(1000 + first_of[50], 0, 0, 0));
    int *pycil = NULL, n = 0;
    CHECK(class_order_load("data/benchmarks/cifar100_order_pycil_seed1993.txt", 100, &pycil,
                           &n) == 0);
    CHECK(pycil && same_ints(benchmark_order(b), pycil, 100));
    free(pycil);
    benchmark_free(b);
    /* the Continual-CLIP order file */
    snprintf(p.order, sizeof p.order, "data/benchmarks/cifar100_order.yaml");
    b = benchmark_open(&p);
    CHECK_MSG(b != NULL, "%s", segp_last_error());
    CHECK(b && benchmark_order(b)[0] == 87); /* its first class */
    benchmark_free(b);
}

/* Validation (eval_split "val"): BENCH_TEST holds training items that training never sees. */
TEST(benchmark_val_split_shapes) {
    benchmark_params p = benchmark_default_params();
    p.train_per_class = 4;
    p.test_per_class = 2;
    snprintf(p.eval_split, sizeof p.eval_split, "val");
    benchmark *b = benchmark_open(&p);
    CHECK_MSG(b != NULL, "%s", segp_last_error());
    if (!b) return;
    CHECK(benchmark_is_val(b));
    CHECK_MSG(!strcmp(benchmark_eval_desc(b),
                      "val (2 training renders per class after the 4 trained on)"),
              "%s", benchmark_eval_desc(b));
    CHECK_EQ_INT(benchmark_count(b, BENCH_TRAIN), 400); /* training unchanged */
    CHECK_EQ_INT(benchmark_count(b, BENCH_TEST), 200);  /* as many as the test split */
    CHECK_EQ_INT(benchmark_count(b, BENCH_HELDOUT), 40);
    CHECK_EQ_INT(benchmark_label(b, BENCH_TEST, 2 * 37 + 1), 37);
    /* items: the training distribution's renders 4, 5 of each class; held-out classes' renders
     * 0, 1 of the training distribution; nothing of the test split */
    shapes_world_params wp = shapes_default_params();
    uint8_t want[24 * 24 * 3], got[24 * 24 * 3], test_img[24 * 24 * 3];
    const struct { bench_split s; int i, split, cls, index; } cases[] = {
        {BENCH_TRAIN, 4 * 37 + 3, SHAPES_SPLIT_TRAIN, 37, 3},
        {BENCH_TEST, 2 * 37, SHAPES_SPLIT_TRAIN, 37, 4},
        {BENCH_TEST, 2 * 99 + 1, SHAPES_SPLIT_TRAIN, 99, 5},
        {BENCH_HELDOUT, 2 * 19 + 1, SHAPES_SPLIT_TRAIN, 119, 1},
    };
    for (int k = 0; k < 4; k++) {
        shapes_sample_desc d;
        uint64_t index = (uint64_t)cases[k].index;
        CHECK(shapes_cl_sample(&wp, cases[k].split, cases[k].cls, index, &d) == 0);
        CHECK(shapes_render_into(&d, 24, want) == 0);
        CHECK(benchmark_image(b, cases[k].s, cases[k].i, 24, got) == 0);
        CHECK_MSG(!memcmp(want, got, sizeof want), "val shapes item %d/%d bytes",
                  (int)cases[k].s, cases[k].i);
        /* and not the test split's item at that place */
        index = (uint64_t)(cases[k].i % 2);
        CHECK(shapes_cl_sample(&wp, SHAPES_SPLIT_TEST, cases[k].cls, index, &d) == 0);
        CHECK(shapes_render_into(&d, 24, test_img) == 0);
        if (cases[k].s != BENCH_TRAIN) CHECK(memcmp(test_img, got, sizeof got) != 0);
    }
    shapes_sample_desc d0, d1;
    CHECK(benchmark_shapes_sample(b, BENCH_TEST, 0, &d0) == 0);
    CHECK(shapes_cl_sample(&wp, SHAPES_SPLIT_TRAIN, 0, 4, &d1) == 0);
    CHECK(d0.noise_seed == d1.noise_seed && d0.cls == 0);
    benchmark_free(b);
    /* val_per_class sets the count; the world's item bound holds for training + validation */
    p.val_per_class = 3;
    b = benchmark_open(&p);
    CHECK(b && benchmark_count(b, BENCH_TEST) == 300 && benchmark_count(b, BENCH_HELDOUT) == 60);
    benchmark_free(b);
    p.train_per_class = SHAPES_MAX_PER_CLASS - 2;
    check_refused(&p, "benchmark.val_per_class", "at most 100000");
    /* bad values are named by key */
    p = benchmark_default_params();
    snprintf(p.eval_split, sizeof p.eval_split, "dev");
    check_refused(&p, "benchmark.eval_split", "expected test or val");
    p = benchmark_default_params();
    p.val_per_class = -1;
    check_refused(&p, "benchmark.val_per_class", NULL);
    /* it was silently unused on the test split (a run recorded val_per_class 3 and held nothing
     * out) */
    p.val_per_class = 3;
    snprintf(p.eval_split, sizeof p.eval_split, "test");
    check_refused(&p, "benchmark.val_per_class: 3", "eval_split is \"test\" (expected 0");
    p.eval_split[0] = 0;
    check_refused(&p, "benchmark.val_per_class: 3", "eval_split is \"test\"");
    p.val_per_class = 0;
    benchmark *t = benchmark_open(&p);
    CHECK_MSG(t != NULL, "%s", segp_last_error());
    benchmark_free(t);
    /* the default is the test split, described as such */
    p = benchmark_default_params();
    p.train_per_class = p.test_per_class = 1;
    b = benchmark_open(&p);
    CHECK(b && !benchmark_is_val(b) && !strcmp(benchmark_eval_desc(b), "test"));
    benchmark_free(b);
}

TEST(benchmark_val_split_dataset) {
    mkdirs(tpath("bench_c100v/cifar-100-binary", ""));
    /* train: 4 items of each class, interleaved; test: 1 item of each class */
    int tr[400], te[100];
    for (int i = 0; i < 400; i++) tr[i] = (i * 37) % 100;
    for (int c = 0; c < 100; c++) te[c] = c;
    write_cifar100(tpath("bench_c100v/cifar-100-binary/%s", "train.bin"), 400, 0, tr);
    write_cifar100(tpath("bench_c100v/cifar-100-binary/%s", "test.bin"), 100, 1000, te);
    benchmark_params p = benchmark_default_params();
    snprintf(p.name, sizeof p.name, "cifar100");
    snprintf(p.root, sizeof p.root, "%s", tpath("bench_c100v", ""));
    snprintf(p.eval_split, sizeof p.eval_split, "val");
    p.any_count = 1;
    benchmark *b = benchmark_open(&p);
    CHECK_MSG(b != NULL, "%s", segp_last_error());
    if (!b) return;
    /* default: as many per class as the test split (1): the last training item of each class */
    CHECK_EQ_INT(benchmark_count(b, BENCH_TEST), 100);
    CHECK_EQ_INT(benchmark_count(b, BENCH_TRAIN), 300);
    CHECK_MSG(!strcmp(benchmark_eval_desc(b),
                      "val (the last 1 training item of each class, never trained on)"),
              "%s", benchmark_eval_desc(b));
    int last_of[100], seen[100] = {0};
    for (int i = 0; i < 400; i++) last_of[tr[i]] = i;
    uint8_t got[32 * 32 * 3];
    int fine = 1;
    for (int i = 0; i < 100; i++) {
        int y = benchmark_label(b, BENCH_TEST, i);
        CHECK(benchmark_image(b, BENCH_TEST, i, 32, got) == 0);
        /* byte 100 is pixel 33 (x 1, y 1), channel 1 */
        fine &= got[0] == synth_pixel(last_of[y], 0, 0, 0) &&
                got[100] == synth_pixel(last_of[y], 1, 1, 1);
        seen[y]++;
    }
    CHECK_MSG(fine, "val items: the last training item of each class");
    for (int c = 0; c < 100; c++) CHECK_EQ_INT(seen[c], 1);
    /* training: the first three of each class, in file order, none of them a val item */
    int k = 0, cnt[100] = {0};
    fine = 1;
    for (int i = 0; i < 400; i++)
        if (cnt[tr[i]]++ < 3) {
            image_rgb im;
            fine &= benchmark_label(b, BENCH_TRAIN, k) == tr[i] && i != last_of[tr[i]];
            fine &= benchmark_image_native(b, BENCH_TRAIN, k++, &im) == 0 &&
                    im.rgb[0] == synth_pixel(i, 0, 0, 0);
            image_free(&im);
        }
    CHECK_MSG(fine, "train items: the first 3 of each class");
    benchmark_free(b);
    /* train_per_class keeps the first of the rest; val_per_class counts */
    p.train_per_class = 1;
    p.val_per_class = 2;
    b = benchmark_open(&p);
    CHECK(b && benchmark_count(b, BENCH_TRAIN) == 100 && benchmark_count(b, BENCH_TEST) == 200);
    CHECK(b && !strcmp(benchmark_eval_desc(b),
                       "val (the last 2 training items of each class, never trained on)"));
    benchmark_free(b);
    /* evaluation only (zero-shot): the validation items without training items */
    p.eval_only = 1;
    b = benchmark_open(&p);
    CHECK(b && benchmark_count(b, BENCH_TRAIN) == 0 && benchmark_count(b, BENCH_TEST) == 200);
    benchmark_free(b);
    p.eval_only = 0;
    /* holding out every training item of a class is refused, naming the class */
    p.val_per_class = 4;
    check_refused(&p, "benchmark.val_per_class", "\"apple\"), which has 4 training items");
}

/* benchmark_images: a list of items made in parallel equals benchmark_image of each; a bad
 * item fails the call with that item's error (made on the calling thread). */
TEST(benchmark_images_equal_one_by_one) {
    benchmark_params p = benchmark_default_params();
    p.train_per_class = 2;
    p.test_per_class = 1;
    benchmark *b = benchmark_open(&p);
    CHECK_MSG(b != NULL, "%s", segp_last_error());
    if (!b) return;
    enum { PX = 16, SZ = PX * PX * 3 };
    int items[5] = {7, 0, 199, 42, 7};
    uint8_t many[5 * SZ], one[SZ];
    CHECK_MSG(benchmark_images(b, BENCH_TRAIN, items, 5, PX, many) == 0, "%s", segp_last_error());
    for (int i = 0; i < 5; i++) {
        CHECK(benchmark_image(b, BENCH_TRAIN, items[i], PX, one) == 0);
        CHECK_MSG(!memcmp(one, many + i * SZ, SZ), "item %d", items[i]);
    }
    /* NULL items: 0..n-1 */
    CHECK(benchmark_images(b, BENCH_TRAIN, NULL, 2, PX, many) == 0);
    CHECK(benchmark_image(b, BENCH_TRAIN, 1, PX, one) == 0 && !memcmp(one, many + SZ, SZ));
    items[3] = 200; /* one past the 100 x 2 training items */
    CHECK(benchmark_images(b, BENCH_TRAIN, items, 5, PX, many) == -1);
    CHECK(err_has("item 200 of split"));
    benchmark_free(b);
}

TEST(benchmark_image_folder) {
    /* train/ and test/ trees of 4 classes; "b_cat" sorts before "dog" */
    const char *cls[4] = {"ant", "b_cat", "dog", "eel"};
    char rel[128];
    for (int c = 0; c < 4; c++)
        for (int s = 0; s < 2; s++) {
            snprintf(rel, sizeof rel, "bench_fold/%s/%s", s ? "test" : "train", cls[c]);
            mkdirs(tpath("%s", rel));
            for (int k = 0; k < 3 - s; k++) {
                char f[160];
                snprintf(f, sizeof f, "%s/%d.png", rel, k);
                write_synth_png(tpath("%s", f), 10 * c + k + 100 * s, 6 + k, 4);
            }
        }
    benchmark_params p = benchmark_default_params();
    snprintf(p.name, sizeof p.name, "folder");
    snprintf(p.root, sizeof p.root, "%s", tpath("bench_fold", ""));
    snprintf(p.tasks, sizeof p.tasks, "B0-Inc2");
    benchmark *b = benchmark_open(&p);
    CHECK_MSG(b != NULL, "%s", segp_last_error());
    if (!b) return;
    CHECK_EQ_INT(benchmark_num_classes(b), 4);
    CHECK(!strcmp(benchmark_class_name(b, 1), "b cat"));
    CHECK_EQ_INT(benchmark_num_tasks(b), 2);
    CHECK_EQ_INT(benchmark_count(b, BENCH_TRAIN), 12);
    CHECK_EQ_INT(benchmark_count(b, BENCH_TEST), 8);
    CHECK_EQ_INT(benchmark_label(b, BENCH_TEST, 5), 2);
    /* test item 5 = dog/1.png (6+1 x 4, synth 121): CLIP geometry at 4 = the centre crop */
    uint8_t got[4 * 4 * 3];
    CHECK_MSG(benchmark_image(b, BENCH_TEST, 5, 4, got) == 0, "%s", segp_last_error());
    int ok = 1;
    for (int y = 0; y < 4; y++)
        for (int x = 0; x < 4; x++)
            for (int c = 0; c < 3; c++)
                ok &= got[(y * 4 + x) * 3 + c] == synth_pixel(121, x + 2, y, c);
    CHECK_MSG(ok, "folder test item 5: the centre crop of its pixels");
    image_rgb im;
    CHECK(benchmark_image_native(b, BENCH_TRAIN, 4, &im) == 0);
    CHECK(im.width == 7 && im.height == 4 && im.rgb[0] == synth_pixel(11, 0, 0, 0));
    image_free(&im);
    benchmark_free(b);

    /* a class missing from one split is refused; eval_only reads only test/ */
    mkdirs(tpath("bench_fold/train/%s", "fox"));
    write_synth_png(tpath("bench_fold/train/fox/%s", "0.png"), 1, 4, 4);
    check_refused(&p, "benchmark.root", "train split has 5 classes");
    p.eval_only = 1;
    b = benchmark_open(&p);
    CHECK(b && benchmark_count(b, BENCH_TRAIN) == 0 && benchmark_count(b, BENCH_TEST) == 8);
    benchmark_free(b);
    /* list files per split through {} */
    p.eval_only = 0;
    write_text(tpath("bench_fold/%s", "l_train.txt"), "train/ant/0.png 0\ntrain/dog/0.png 1\n");
    write_text(tpath("bench_fold/%s", "l_test.txt"), "test/eel/0.png 1\n");
    snprintf(p.split_file, sizeof p.split_file, "%s", tpath("bench_fold/l_{}.txt", ""));
    snprintf(p.tasks, sizeof p.tasks, "2");
    b = benchmark_open(&p);
    CHECK_MSG(b != NULL, "%s", segp_last_error());
    CHECK(b && benchmark_count(b, BENCH_TRAIN) == 2 && benchmark_count(b, BENCH_TEST) == 1 &&
          benchmark_label(b, BENCH_TEST, 0) == 1);
    benchmark_free(b);
    /* without classes.txt a list has its top label + 1 classes: a test list lacking the top
     * label is refused, saying why (it said only that the counts differ) */
    write_text(tpath("bench_fold/%s", "l2_train.txt"), "train/ant/0.png 0\ntrain/dog/0.png 1\n");
    write_text(tpath("bench_fold/%s", "l2_test.txt"), "test/ant/0.png 0\n");
    snprintf(p.split_file, sizeof p.split_file, "%s", tpath("bench_fold/l2_{}.txt", ""));
    check_refused(&p, "the train split has 2 classes, the test split 1",
                  "without classes.txt has as many classes as its highest label + 1: put the "
                  "class names in ROOT/classes.txt or give benchmark.classes_file");
    snprintf(p.split_file, sizeof p.split_file, "%s", tpath("bench_fold/l_train.txt", ""));
    check_refused(&p, "benchmark.split_file", "{}");
}

TEST(benchmark_fashion_mnist) {
    TEST_NEEDS(path_exists(FASHION), "%s missing: apt install dataset-fashion-mnist", FASHION);
    benchmark_params p = benchmark_default_params();
    snprintf(p.name, sizeof p.name, "fashion-mnist");
    snprintf(p.tasks, sizeof p.tasks, "B0-Inc2");
    p.test_per_class = 5;
    p.train_per_class = 1;
    benchmark *b = benchmark_open(&p);
    CHECK_MSG(b != NULL, "%s", segp_last_error());
    if (!b) return;
    CHECK_EQ_INT(benchmark_num_classes(b), 10);
    CHECK(!strcmp(benchmark_class_name(b, 9), "Ankle boot"));
    CHECK_EQ_INT(benchmark_num_tasks(b), 5);
    CHECK_EQ_INT(benchmark_count(b, BENCH_TEST), 50);
    CHECK_EQ_INT(benchmark_count(b, BENCH_TRAIN), 10);
    /* t10k starts 9, 2, 1, 1, 6: the first item is an ankle boot */
    CHECK_EQ_INT(benchmark_label(b, BENCH_TEST, 0), 9);
    image_rgb im;
    CHECK(benchmark_image_native(b, BENCH_TEST, 0, &im) == 0);
    CHECK(im.width == 28 && im.height == 28);
    int grey = 1;
    for (int i = 0; i < 28 * 28; i++) grey &= im.rgb[3 * i] == im.rgb[3 * i + 1];
    CHECK(grey);
    uint8_t want[48 * 48 * 3], got[48 * 48 * 3];
    image_clip_crop(&im, 48, want);
    CHECK(benchmark_image(b, BENCH_TEST, 0, 48, got) == 0);
    CHECK(!memcmp(want, got, sizeof want));
    image_free(&im);
    benchmark_free(b);
}

/* ImageNet-R B0-Inc20 with its shipped split (one file, both splits) and order file: the lists
 * alone (empty class folders), so the items are named but their files are absent. */
TEST(benchmark_imagenet_r_shipped) {
    FILE *f = fopen("data/benchmarks/imagenet_R_classes.txt", "r");
    CHECK_MSG(f != NULL, "data/benchmarks/imagenet_R_classes.txt missing (run from the repo root)");
    if (!f) return;
    char line[256], wnid[32];
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "%*d %31s", wnid) == 1) mkdirs(tpath("bench_inr/imagenet-r/%s", wnid));
    fclose(f);
    benchmark_params p = benchmark_default_params();
    snprintf(p.name, sizeof p.name, "imagenet-r");
    snprintf(p.root, sizeof p.root, "%s", tpath("bench_inr", ""));
    snprintf(p.order, sizeof p.order, "imagenet_R_order.yaml");
    p.test_per_class = 3;
    benchmark *b = benchmark_open(&p);
    CHECK_MSG(b != NULL, "%s", segp_last_error());
    if (!b) return;
    CHECK_EQ_INT(benchmark_num_classes(b), 200);
    CHECK(!strcmp(benchmark_tasks_desc(b), "B0-Inc20"));
    CHECK_EQ_INT(benchmark_num_tasks(b), 10);
    CHECK_EQ_INT(benchmark_count(b, BENCH_TRAIN), 24000);
    CHECK_EQ_INT(benchmark_count(b, BENCH_TEST), 600); /* every class has >= 3 test images */
    int *yaml = NULL, n = 0;
    CHECK(class_order_load("data/benchmarks/imagenet_R_order.yaml", 200, &yaml, &n) == 0);
    CHECK(yaml && same_ints(benchmark_order(b), yaml, 200));
    free(yaml);
    uint8_t px[16 * 16 * 3];
    CHECK(benchmark_image(b, BENCH_TRAIN, 0, 16, px) == -1);
    CHECK(err_has("n02051845/art_0.jpg")); /* the first train item, named in the message */
    benchmark_free(b);
}

/* The parameters as config keys: parsed, unknown keys refused by name. */
TEST(benchmark_config_keys) {
    int nf;
    const cfg_field *fl = benchmark_config_fields(&nf);
    benchmark_params p = benchmark_default_params();
    CHECK(cfg_parse_string("{\"benchmark\": {\"name\": \"cifar100\", \"order\": \"random\", "
                           "\"order_seed\": 7, \"tasks\": \"B50-Inc5\", \"test_per_class\": 3}}",
                           "cfg", fl, nf, &p) == 0);
    CHECK(!strcmp(p.name, "cifar100") && !strcmp(p.order, "random") && p.order_seed == 7 &&
          !strcmp(p.tasks, "B50-Inc5") && p.test_per_class == 3);
    CHECK(cfg_parse_string("{\"benchmark\": {\"ordr\": \"random\"}}", "cfg", fl, nf, &p) == -1);
    CHECK(err_has("benchmark.ordr"));
    CHECK(cfg_parse_string("{\"benchmark\": {\"order_seed\": 4294967296}}", "cfg", fl, nf,
                           &p) == -1);
    CHECK(err_has("benchmark.order_seed"));
    char *doc = cfg_doc(fl, nf, &p);
    CHECK(doc && strstr(doc, "benchmark.tasks") && strstr(doc, "benchmark.root"));
    free(doc);
}
