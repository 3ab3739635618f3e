/* test_dataset.c: the dataset readers (engine/data/dataset.h) on small files generated here in
 * each format (exact pixels and labels), their errors on truncated, corrupt and missing data, the
 * shipped ImageNet-R / ImageNet-100 lists, and real Fashion-MNIST images from Debian's
 * dataset-fashion-mnist package. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "core/common.h"
#include "data/benchmark.h"
#include "data/dataset.h"
#include "test.h"

/* ---- helpers ---- */

static int image_matches_synth(const image_rgb *im, int idx, int w, int h) {
    if (im->width != w || im->height != h || !im->rgb) return 0;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            for (int c = 0; c < 3; c++)
                if (im->rgb[(y * w + x) * 3 + c] != synth_pixel(idx, x, y, c)) return 0;
    return 1;
}

static dataset_options lenient(void) {
    dataset_options o = {0};
    o.any_count = 1;
    return o;
}

/* ---- CIFAR ---- */

TEST(dataset_cifar10_binary) {
    const char *dir = tpath("c10/cifar-10-batches-bin", "");
    mkdirs(dir);
    char name[64];
    for (int b = 1; b <= 5; b++) {
        snprintf(name, sizeof name, "data_batch_%d.bin", b);
        write_cifar(tpath("c10/cifar-10-batches-bin/%s", name), 1, 3, (b - 1) * 3, 10);
    }
    write_cifar(tpath("c10/cifar-10-batches-bin/%s", "test_batch.bin"), 1, 2, 100, 10);
    write_text(tpath("c10/cifar-10-batches-bin/%s", "batches.meta.txt"),
               "airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n\n");
    dataset_options o = lenient();
    dataset *ds = dataset_open_ex("cifar10", tpath("c10", ""), "train", &o);
    CHECK_MSG(ds != NULL, "%s", segp_last_error());
    if (!ds) return;
    CHECK_EQ_INT(dataset_count(ds), 15);
    CHECK_EQ_INT(dataset_num_classes(ds), 10);
    CHECK(!strcmp(dataset_class_name(ds, 9), "truck"));
    CHECK(dataset_path(ds, 0) == NULL);
    for (int i = 0; i < 15; i++) {
        CHECK_EQ_INT(dataset_label(ds, i), (i * 7) % 10);
        image_rgb im;
        CHECK(dataset_image(ds, i, &im) == 0);
        CHECK_MSG(image_matches_synth(&im, i, 32, 32), "cifar10 item %d pixels", i);
        image_free(&im);
    }
    CHECK_EQ_INT(dataset_label(ds, 15), -1);
    image_rgb im;
    CHECK(dataset_image(ds, 15, &im) == -1);
    dataset_free(ds);

    ds = dataset_open_ex("cifar10", tpath("c10", ""), "test", &o);
    CHECK(ds && dataset_count(ds) == 2 && dataset_label(ds, 1) == (101 * 7) % 10);
    dataset_free(ds);

    /* Official sizes are the default: 3 records is a truncated download. */
    CHECK(dataset_open("cifar10", tpath("c10", ""), "train") == NULL);
    CHECK(err_has("data_batch_1.bin: 9219 bytes (expected 30730000"));
}

TEST(dataset_cifar100_binary) {
    mkdirs(tpath("c100/cifar-100-binary", ""));
    write_cifar(tpath("c100/cifar-100-binary/%s", "train.bin"), 2, 4, 0, 100);
    write_cifar(tpath("c100/cifar-100-binary/%s", "test.bin"), 2, 3, 50, 100);
    dataset_options o = lenient();
    dataset *ds = dataset_open_ex("cifar100", tpath("c100", ""), "train", &o);
    CHECK_MSG(ds != NULL, "%s", segp_last_error());
    if (!ds) return;
    CHECK_EQ_INT(dataset_count(ds), 4);
    CHECK_EQ_INT(dataset_num_classes(ds), 100);
    /* No fine_label_names.txt: the built-in names, which must equal the shipped list. */
    FILE *f = fopen("data/benchmarks/cifar100_classes.txt", "r");
    CHECK_MSG(f != NULL, "data/benchmarks/cifar100_classes.txt missing (run from the repo root)");
    char line[128];
    for (int c = 0; f && c < 100 && fgets(line, sizeof line, f); c++) {
        line[strcspn(line, "\n")] = 0;
        CHECK_MSG(!strcmp(dataset_class_name(ds, c), line), "class %d: %s vs %s", c,
                  dataset_class_name(ds, c), line);
    }
    if (f) fclose(f);
    for (int i = 0; i < 4; i++) {
        CHECK_EQ_INT(dataset_label(ds, i), (i * 7) % 100); /* the fine label, not the coarse */
        image_rgb im;
        CHECK(dataset_image(ds, i, &im) == 0);
        CHECK(image_matches_synth(&im, i, 32, 32));
        image_free(&im);
    }
    dataset_free(ds);

    /* The name file of the download wins (underscores become spaces); files directly in ROOT. */
    mkdirs(tpath("c100b", ""));
    write_cifar(tpath("c100b/%s", "test.bin"), 2, 3, 50, 100);
    FILE *nf = fopen(tpath("c100b/%s", "fine_label_names.txt"), "w");
    for (int c = 0; c < 100; c++) fprintf(nf, "name_%d_x\n", c);
    fclose(nf);
    ds = dataset_open_ex("cifar100", tpath("c100b", ""), "test", &o);
    CHECK_MSG(ds != NULL, "%s", segp_last_error());
    if (ds) {
        CHECK(!strcmp(dataset_class_name(ds, 7), "name 7 x"));
        CHECK_EQ_INT(dataset_label(ds, 2), (52 * 7) % 100);
        image_rgb im;
        CHECK(dataset_image(ds, 2, &im) == 0 && image_matches_synth(&im, 52, 32, 32));
        image_free(&im);
    }
    dataset_free(ds);
}

TEST(dataset_cifar_errors) {
    dataset_options o = lenient();
    /* Missing: says what to download and where to put it. */
    CHECK(dataset_open("cifar100", tpath("nothing", ""), "train") == NULL);
    CHECK(err_has("cifar-100-binary/train.bin not found"));
    CHECK(err_has("cifar-100-binary.tar.gz"));
    CHECK(err_has("https://www.cs.toronto.edu/~kriz/cifar.html"));
    mkdirs(tpath("c10py/cifar-10-batches-py", ""));
    CHECK(dataset_open("cifar10", tpath("c10py", ""), "test") == NULL);
    CHECK(err_has("Python version"));

    /* Truncated mid-record. */
    mkdirs(tpath("c100t", ""));
    write_cifar(tpath("c100t/%s", "train.bin"), 2, 3, 0, 100);
    truncate(tpath("c100t/%s", "train.bin"), 3 * 3074 - 100);
    CHECK(dataset_open_ex("cifar100", tpath("c100t", ""), "train", &o) == NULL);
    CHECK(err_has("train.bin: 9122 bytes is not a whole number of 3074-byte records"));
    /* Empty file. */
    write_bytes(tpath("c100t/%s", "test.bin"), "", 0);
    CHECK(dataset_open_ex("cifar100", tpath("c100t", ""), "test", &o) == NULL);
    CHECK(err_has("test.bin: 0 bytes"));

    /* Labels out of range: fine label 100, coarse 20. */
    uint8_t rec[3074];
    synth_cifar_record(rec, 2, 3, 100, 0);
    write_bytes(tpath("c100t/%s", "test.bin"), rec, sizeof rec);
    CHECK(dataset_open_ex("cifar100", tpath("c100t", ""), "test", &o) == NULL);
    CHECK(err_has("record 0 has label 100 (expected 0..99"));
    synth_cifar_record(rec, 2, 20, 5, 0);
    write_bytes(tpath("c100t/%s", "test.bin"), rec, sizeof rec);
    CHECK(dataset_open_ex("cifar100", tpath("c100t", ""), "test", &o) == NULL);
    CHECK(err_has("coarse label 20"));
    /* A name file with the wrong count. */
    synth_cifar_record(rec, 2, 2, 5, 0);
    write_bytes(tpath("c100t/%s", "test.bin"), rec, sizeof rec);
    write_text(tpath("c100t/%s", "fine_label_names.txt"), "a\nb\n");
    CHECK(dataset_open_ex("cifar100", tpath("c100t", ""), "test", &o) == NULL);
    CHECK(err_has("fine_label_names.txt: 2 class names (expected 100)"));
    /* A CIFAR-10 file with label 10. */
    mkdirs(tpath("c10t", ""));
    synth_cifar_record(rec, 1, 0, 10, 0);
    write_bytes(tpath("c10t/%s", "test_batch.bin"), rec, 3073);
    CHECK(dataset_open_ex("cifar10", tpath("c10t", ""), "test", &o) == NULL);
    CHECK(err_has("label 10 (expected 0..9"));

    CHECK(dataset_open("cifar100", tpath("c100t", ""), "validation") == NULL);
    CHECK(err_has("split \"validation\" unknown"));
    CHECK(dataset_open("svhn", tpath("c100t", ""), "train") == NULL);
    CHECK(err_has("unknown kind \"svhn\""));
}

/* ---- IDX ---- */

static size_t idx_images(uint8_t *buf, int n, int rows, int cols) {
    uint8_t h[16] = {
        0, 0, 8, 3, 0, 0, 0, (uint8_t)n, 0, 0, 0, (uint8_t)rows, 0, 0, 0, (uint8_t)cols};
    memcpy(buf, h, 16);
    size_t k = 16;
    for (int i = 0; i < n; i++)
        for (int y = 0; y < rows; y++)
            for (int x = 0; x < cols; x++) buf[k++] = synth_pixel(i, x, y, 0);
    return k;
}

static size_t idx_labels(uint8_t *buf, int n, const uint8_t *labels) {
    uint8_t h[8] = {0, 0, 8, 1, 0, 0, 0, (uint8_t)n};
    memcpy(buf, h, 8);
    memcpy(buf + 8, labels, (size_t)n);
    return 8 + (size_t)n;
}

static void write_gz(const char *path, const void *data, size_t n) {
    gzFile g = gzopen(path, "wb");
    CHECK(g != NULL);
    if (!g) return;
    CHECK(gzwrite(g, data, (unsigned)n) == (int)n);
    gzclose(g);
}

TEST(dataset_idx_gzip_and_raw) {
    uint8_t img[16 + 4 * 2 * 3], lab[8 + 4], lv[4] = {3, 0, 9, 1};
    size_t ni = idx_images(img, 4, 2, 3), nl = idx_labels(lab, 4, lv);
    mkdirs(tpath("idx", ""));
    write_gz(tpath("idx/%s", "t10k-images-idx3-ubyte.gz"), img, ni);
    write_gz(tpath("idx/%s", "t10k-labels-idx1-ubyte.gz"), lab, nl);
    write_bytes(tpath("idx/%s", "train-images-idx3-ubyte"), img, ni); /* uncompressed works too */
    write_bytes(tpath("idx/%s", "train-labels-idx1-ubyte"), lab, nl);
    for (int split = 0; split < 2; split++) {
        dataset *ds = dataset_open("fashion-mnist", tpath("idx", ""), split ? "train" : "test");
        CHECK_MSG(ds != NULL, "%s", segp_last_error());
        if (!ds) continue;
        CHECK_EQ_INT(dataset_count(ds), 4);
        CHECK_EQ_INT(dataset_num_classes(ds), 10);
        CHECK(!strcmp(dataset_class_name(ds, 9), "Ankle boot"));
        for (int i = 0; i < 4; i++) {
            CHECK_EQ_INT(dataset_label(ds, i), lv[i]);
            image_rgb im;
            CHECK(dataset_image(ds, i, &im) == 0);
            CHECK(im.width == 3 && im.height == 2);
            int ok = 1;
            for (int y = 0; y < 2; y++)
                for (int x = 0; x < 3; x++)
                    for (int c = 0; c < 3; c++)
                        ok &= im.rgb[(y * 3 + x) * 3 + c] == synth_pixel(i, x, y, 0);
            CHECK_MSG(ok, "idx item %d: grey must become R = G = B = the stored byte", i);
            image_free(&im);
        }
        dataset_free(ds);
    }
}

TEST(dataset_idx_errors) {
    uint8_t img[16 + 4 * 2 * 3 + 1], lab[8 + 4], lv[4] = {3, 0, 9, 1};
    size_t ni = idx_images(img, 4, 2, 3), nl = idx_labels(lab, 4, lv);
    mkdirs(tpath("idxe", ""));
    const char *ip = tpath("idxe/%s", "t10k-images-idx3-ubyte.gz");
    const char *lp = tpath("idxe/%s", "t10k-labels-idx1-ubyte.gz");
    const char *root = tpath("idxe", "");

    CHECK(dataset_open("fashion-mnist", root, "test") == NULL);
    CHECK(err_has("t10k-images-idx3-ubyte.gz not found"));
    CHECK(err_has("dataset-fashion-mnist"));
    /* it said "or point SEGP_DATA_ROOT at the data", which Fashion-MNIST never reads */
    CHECK(err_has("(or give their folder as benchmark.root, --root; $SEGP_DATA_ROOT is not "
                  "read for Fashion-MNIST)"));

    write_gz(lp, lab, nl);
    write_gz(ip, img, ni - 5); /* truncated payload */
    CHECK(dataset_open("fashion-mnist", root, "test") == NULL);
    CHECK(err_has("t10k-images-idx3-ubyte.gz: truncated: expected 24 bytes of the images after "
                  "the header, found 19"));

    write_gz(ip, img, 10); /* truncated header */
    CHECK(dataset_open("fashion-mnist", root, "test") == NULL);
    CHECK(err_has("truncated: expected 12 bytes of the IDX dimensions, found 6"));

    img[ni] = 7; /* one byte more than the header says */
    write_gz(ip, img, ni + 1);
    CHECK(dataset_open("fashion-mnist", root, "test") == NULL);
    CHECK(err_has("longer than its header says"));

    write_gz(ip, lab, nl); /* a labels file where images belong */
    CHECK(dataset_open("fashion-mnist", root, "test") == NULL);
    CHECK(err_has("IDX magic 0x00000801 (expected 0x00000803"));

    /* Corrupt deflate stream: a valid gzip header followed by garbage. */
    uint8_t bad[64] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3};
    for (int i = 10; i < 64; i++) bad[i] = (uint8_t)(i * 53 + 7);
    write_bytes(ip, bad, sizeof bad);
    CHECK(dataset_open("fashion-mnist", root, "test") == NULL);
    CHECK(err_has("t10k-images-idx3-ubyte.gz"));
    CHECK(err_has("corrupt gzip") || err_has("truncated"));

    /* Gzip whose tail is cut off (compressed stream truncated). */
    write_gz(ip, img, ni);
    struct stat st;
    stat(ip, &st);
    truncate(ip, st.st_size - 12);
    CHECK(dataset_open("fashion-mnist", root, "test") == NULL);
    CHECK(err_has("t10k-images-idx3-ubyte.gz"));

    /* Counts disagree; a label out of range. */
    write_gz(ip, img, ni);
    uint8_t lab3[8 + 3];
    write_gz(lp, lab3, idx_labels(lab3, 3, lv));
    CHECK(dataset_open("fashion-mnist", root, "test") == NULL);
    CHECK(err_has("4 images but"));
    uint8_t lv_bad[4] = {3, 10, 0, 0};
    write_gz(lp, lab, idx_labels(lab, 4, lv_bad));
    CHECK(dataset_open("fashion-mnist", root, "test") == NULL);
    CHECK(err_has("label 10 of item 1 (expected 0..9)"));
    /* A header claiming a huge count fails on the truncation, not on memory. */
    uint8_t huge[16 + 8] = {0, 0, 8, 3, 0x05, 0xf5, 0xe1, 0x00, 0, 0, 0x10, 0, 0, 0, 0x10, 0};
    write_gz(lp, (uint8_t[8]){0, 0, 8, 1, 0x05, 0xf5, 0xe1, 0x00}, 8);
    write_gz(ip, huge, sizeof huge);
    CHECK(dataset_open("fashion-mnist", root, "test") == NULL);
    CHECK(err_has("truncated"));
}

/* Real data: the first test images of Fashion-MNIST as Debian installs them. */
TEST(dataset_fashion_mnist_real) {
    const char *root = "/usr/share/datasets/fashion-mnist";
    struct stat st;
    /* CI installs the package (a failure there if missing); elsewhere the test is skipped. */
    TEST_NEEDS(stat(root, &st) == 0, "%s missing: apt install dataset-fashion-mnist", root);
    dataset *ds = dataset_open("fashion-mnist", NULL, "test"); /* NULL root = the Debian path */
    CHECK_MSG(ds != NULL, "%s", segp_last_error());
    if (!ds) return;
    CHECK_EQ_INT(dataset_count(ds), 10000);
    const int first[10] = {9, 2, 1, 1, 6, 1, 4, 6, 5, 7}; /* Ankle boot, Pullover, Trouser, ... */
    for (int i = 0; i < 10; i++) CHECK_EQ_INT(dataset_label(ds, i), first[i]);
    CHECK(!strcmp(dataset_class_name(ds, dataset_label(ds, 0)), "Ankle boot"));
    const long sums[3] = {33456, 100994, 51520};          /* sum of the grey bytes */
    const uint8_t row14[3][8] = {{0, 0, 98, 136, 110, 109, 110, 162},
                                 {233, 233, 235, 236, 234, 234, 234, 232},
                                 {228, 243, 172, 0, 0, 57, 249, 222}}; /* row 14, x = 10..17 */
    for (int i = 0; i < 3; i++) {
        image_rgb im;
        CHECK(dataset_image(ds, i, &im) == 0);
        CHECK(im.width == 28 && im.height == 28);
        long sum = 0;
        int grey = 1;
        for (int p = 0; p < 28 * 28; p++) {
            sum += im.rgb[3 * p];
            grey &= im.rgb[3 * p] == im.rgb[3 * p + 1] && im.rgb[3 * p] == im.rgb[3 * p + 2];
        }
        CHECK_EQ_INT(sum, sums[i]);
        CHECK_MSG(grey, "image %d: R == G == B", i);
        for (int x = 10; x < 18; x++) CHECK_EQ_INT(im.rgb[(14 * 28 + x) * 3], row14[i][x - 10]);
        image_free(&im);
    }
    dataset_free(ds);
}

/* ---- image folders ---- */

/* A flat grey JPEG (quality 100): decodes to exactly VALUE everywhere. */
static void write_grey_jpeg(const char *path, int w, int h, uint8_t value) {
    uint8_t *px = malloc((size_t)w * (size_t)h);
    memset(px, value, (size_t)w * (size_t)h);
    size_t n;
    uint8_t *jpg = test_jpeg_encode(px, w, h, 1, 100, NULL, 0, &n);
    write_bytes(path, jpg, n);
    free(jpg);
    free(px);
}

static void make_folder_tree(void) {
    mkdirs(tpath("fold/train/cat/sub", ""));
    mkdirs(tpath("fold/train/dog_big", ""));
    write_synth_png(tpath("fold/train/cat/%s", "b.png"), 1, 5, 4);
    write_synth_png(tpath("fold/train/cat/%s", "a.PNG"), 0, 3, 2);
    write_synth_png(tpath("fold/train/cat/sub/%s", "c.png"), 2, 4, 4);
    write_text(tpath("fold/train/cat/%s", "notes.txt"), "not an image");
    write_grey_jpeg(tpath("fold/train/dog_big/%s", "d.jpg"), 8, 8, 120);
}

TEST(dataset_folder_classes) {
    make_folder_tree();
    dataset *ds = dataset_open("folder", tpath("fold", ""), "train");
    CHECK_MSG(ds != NULL, "%s", segp_last_error());
    if (!ds) return;
    CHECK_EQ_INT(dataset_num_classes(ds), 2);
    CHECK(!strcmp(dataset_class_name(ds, 0), "cat"));
    CHECK(!strcmp(dataset_class_name(ds, 1), "dog big"));
    CHECK_EQ_INT(dataset_count(ds), 4);
    /* Files sorted within a folder, then subfolders: a.PNG, b.png, sub/c.png, then dog. */
    const char *paths[4] = {"cat/a.PNG", "cat/b.png", "cat/sub/c.png", "dog_big/d.jpg"};
    const int labels[4] = {0, 0, 0, 1}, idx[3] = {0, 1, 2}, w[3] = {3, 5, 4}, h[3] = {2, 4, 4};
    for (int i = 0; i < 4; i++) {
        CHECK_MSG(dataset_path(ds, i) && !strcmp(dataset_path(ds, i), paths[i]), "path %d: %s", i,
                  dataset_path(ds, i));
        CHECK_EQ_INT(dataset_label(ds, i), labels[i]);
        image_rgb im;
        CHECK_MSG(dataset_image(ds, i, &im) == 0, "%s", segp_last_error());
        if (i < 3) CHECK_MSG(image_matches_synth(&im, idx[i], w[i], h[i]), "png item %d", i);
        else {
            CHECK(im.width == 8 && im.height == 8);
            int ok = 1;
            for (int p = 0; p < 64 * 3; p++) ok &= im.rgb[p] == 120;
            CHECK_MSG(ok, "grey JPEG must decode to RGB 120,120,120");
        }
        image_free(&im);
    }
    int counts[2];
    dataset_class_counts(ds, counts);
    CHECK(counts[0] == 3 && counts[1] == 1);
    uint8_t mask[2] = {0, 1};
    int *sel;
    CHECK_EQ_INT(dataset_select(ds, mask, &sel), 1);
    CHECK_EQ_INT(sel[0], 3);
    free(sel);
    dataset_free(ds);

    /* ROOT/<class> directly when no split is named. */
    ds = dataset_open("folder", tpath("fold/train", ""), NULL);
    CHECK(ds && dataset_count(ds) == 4);
    dataset_free(ds);
}

TEST(dataset_folder_list) {
    make_folder_tree();
    write_text(tpath("fold/%s", "test.txt"),
               "# path label\ntrain/dog_big/d.jpg 1\n\ntrain/cat/b.png 0\r\ntrain/cat/a.PNG  2\n");
    dataset *ds = dataset_open("folder", tpath("fold", ""), "test");
    CHECK_MSG(ds != NULL, "%s", segp_last_error());
    if (ds) {
        CHECK_EQ_INT(dataset_count(ds), 3);
        CHECK_EQ_INT(dataset_num_classes(ds), 3); /* no classes.txt: 0..max label */
        CHECK(!strcmp(dataset_class_name(ds, 2), "2"));
        CHECK_EQ_INT(dataset_label(ds, 2), 2);
        image_rgb im;
        CHECK(dataset_image(ds, 1, &im) == 0 && image_matches_synth(&im, 1, 5, 4));
        image_free(&im);
    }
    dataset_free(ds);

    write_text(tpath("fold/%s", "classes.txt"), "0 tabby_cat\n1 dog\n2 bird\n");
    ds = dataset_open("folder", tpath("fold", ""), "test");
    CHECK(ds && !strcmp(dataset_class_name(ds, 0), "tabby cat"));
    dataset_free(ds);

    /* Errors: a label beyond the class list; a line without a label; nothing there at all. */
    write_text(tpath("fold/%s", "classes.txt"), "cat\ndog\n");
    CHECK(dataset_open("folder", tpath("fold", ""), "test") == NULL);
    CHECK(err_has("test.txt:5: label 2 (expected 0..1)"));
    write_text(tpath("fold/%s", "test.txt"), "train/cat/b.png 0\ntrain/cat/a.PNG\n");
    CHECK(dataset_open("folder", tpath("fold", ""), "test") == NULL);
    CHECK(err_has("test.txt:2:"));
    CHECK(dataset_open("folder", tpath("fold", ""), "val") == NULL);
    CHECK(err_has("neither"));

    /* An empty class folder. */
    mkdirs(tpath("fold2/train/empty", ""));
    CHECK(dataset_open("folder", tpath("fold2", ""), "train") == NULL);
    CHECK(err_has("empty: class folder holds no .png/.jpg/.jpeg files"));
}

/* Regression (fuzz/corpus/dataset_lists/regress-folder-huge-label): a "path label" list without
 * classes.txt numbers its classes up to the largest label; label 743310173 made 743 million
 * class names (out of memory). Such labels need a class-name list now. */
TEST(dataset_folder_list_huge_label_without_names) {
    mkdirs(tpath("foldbig", ""));
    write_text(tpath("foldbig/%s", "test.txt"), "a.png 0\nb.png 743310173\n");
    CHECK(dataset_open("folder", tpath("foldbig", ""), "test") == NULL);
    CHECK(err_has("test.txt:2: label 743310173 (expected 0..99999 without a class-name list"));
    write_text(tpath("foldbig/%s", "test.txt"), "a.png 0\nb.png 99999\n");
    dataset *ds = dataset_open("folder", tpath("foldbig", ""), "test");
    CHECK_MSG(ds != NULL, "%s", segp_last_error());
    if (ds) CHECK_EQ_INT(dataset_num_classes(ds), 100000);
    dataset_free(ds);
}

TEST(dataset_folder_corrupt_image) {
    mkdirs(tpath("foldc/x", ""));
    write_synth_png(tpath("foldc/x/%s", "ok.png"), 3, 6, 6);
    write_synth_png(tpath("foldc/x/%s", "trunc.png"), 4, 16, 16);
    truncate(tpath("foldc/x/%s", "trunc.png"), 60);
    write_text(tpath("foldc/x/%s", "zz.jpg"), "this is not a JPEG");
    dataset *ds = dataset_open("folder", tpath("foldc", ""), "all");
    CHECK_MSG(ds != NULL, "%s", segp_last_error());
    if (!ds) return;
    CHECK_EQ_INT(dataset_count(ds), 3);
    image_rgb im;
    CHECK(dataset_image(ds, 0, &im) == 0);
    image_free(&im);
    CHECK(dataset_image(ds, 1, &im) == -1 && im.rgb == NULL);
    CHECK(err_has("trunc.png"));
    CHECK(dataset_image(ds, 2, &im) == -1 && im.rgb == NULL);
    CHECK(err_has("zz.jpg"));
    dataset_free(ds);
}

/* Concurrent dataset_image calls give the same images as sequential ones. */
TEST(dataset_image_threads) {
    make_folder_tree();
    dataset *ds = dataset_open("folder", tpath("fold", ""), "train");
    CHECK(ds != NULL);
    if (!ds) return;
    int bad = 0;
#pragma omp parallel for reduction(+ : bad) num_threads(4)
    for (int k = 0; k < 64; k++) {
        int i = k % 3;
        const int w[3] = {3, 5, 4}, h[3] = {2, 4, 4};
        image_rgb im;
        if (dataset_image(ds, i, &im) != 0 || !image_matches_synth(&im, i, w[i], h[i])) bad++;
        image_free(&im);
    }
    CHECK_EQ_INT(bad, 0);
    dataset_free(ds);
}

/* ---- ImageNet-R, ImageNet-100, CUB-200 ---- */

TEST(dataset_imagenet_r_small) {
    mkdirs(tpath("inr/bench", ""));
    mkdirs(tpath("inr/imagenet-r/n00000001", ""));
    mkdirs(tpath("inr/imagenet-r/n00000002", ""));
    write_text(tpath("inr/bench/%s", "imagenet_R_classes.txt"),
               "0\tn00000001\tgreat_white_shark\n1\tn00000002\tgoldfish\n");
    write_text(tpath("inr/bench/%s", "imgr_train_test_split.txt"),
               "train\nn00000002/art_1.png\nn00000001/x.png\ntest\nn00000001/y.png\n");
    write_synth_png(tpath("inr/imagenet-r/n00000002/%s", "art_1.png"), 5, 7, 3);
    dataset_options o = {0};
    o.benchmarks_dir = tpath("inr/bench", "");
    dataset *ds = dataset_open_ex("imagenet-r", tpath("inr", ""), "train", &o);
    CHECK_MSG(ds != NULL, "%s", segp_last_error());
    if (ds) {
        CHECK_EQ_INT(dataset_count(ds), 2);
        CHECK(dataset_label(ds, 0) == 1 && dataset_label(ds, 1) == 0);
        CHECK(!strcmp(dataset_class_name(ds, 0), "great white shark"));
        image_rgb im;
        CHECK(dataset_image(ds, 0, &im) == 0 && image_matches_synth(&im, 5, 7, 3));
        image_free(&im);
        CHECK(dataset_image(ds, 1, &im) == -1 && err_has("x.png"));
    }
    dataset_free(ds);
    ds = dataset_open_ex("imagenet-r", tpath("inr", ""), "test", &o);
    CHECK(ds && dataset_count(ds) == 1 && dataset_label(ds, 0) == 0);
    dataset_free(ds);

    write_text(tpath("inr/bench/%s", "imgr_train_test_split.txt"),
               "train\nn00000003/a.png\ntest\n");
    CHECK(dataset_open_ex("imagenet-r", tpath("inr", ""), "train", &o) == NULL);
    CHECK(err_has("imgr_train_test_split.txt:2:") && err_has("n00000003 is not a class"));
    CHECK(dataset_open_ex("imagenet-r", tpath("nothing", ""), "train", &o) == NULL);
    CHECK(err_has("imagenet-r.tar"));
}

/* The shipped split: 24000 train / 6001 test paths over the 200 classes. */
TEST(dataset_imagenet_r_shipped_split) {
    FILE *f = fopen("data/benchmarks/imagenet_R_classes.txt", "r");
    CHECK_MSG(f != NULL, "data/benchmarks/imagenet_R_classes.txt missing (run from the repo root)");
    if (!f) return;
    char line[256], wnid[32];
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "%*d %31s", wnid) == 1) mkdirs(tpath("inr_all/imagenet-r/%s", wnid));
    fclose(f);
    dataset *ds = dataset_open("imagenet-r", tpath("inr_all", ""), "train");
    CHECK_MSG(ds != NULL, "%s", segp_last_error());
    if (ds) {
        CHECK_EQ_INT(dataset_count(ds), 24000);
        CHECK_EQ_INT(dataset_num_classes(ds), 200);
        CHECK(!strcmp(dataset_path(ds, 0), "n02051845/art_0.jpg"));
        CHECK(!strcmp(dataset_class_name(ds, dataset_label(ds, 0)), "pelican"));
        CHECK(!strcmp(dataset_class_name(ds, 0), "goldfish"));
    }
    dataset_free(ds);
    ds = dataset_open("imagenet-r", tpath("inr_all", ""), "test");
    CHECK(ds && dataset_count(ds) == 6001);
    dataset_free(ds);
}

TEST(dataset_imagenet100) {
    /* The shipped val list with a skeleton root (only the first file needs to exist to open). */
    mkdirs(tpath("in100/val/n01440764", ""));
    write_text(tpath("in100/val/n01440764/%s", "ILSVRC2012_val_00000293.JPEG"), "");
    dataset *ds = dataset_open("imagenet100", tpath("in100", ""), "test");
    CHECK_MSG(ds != NULL, "%s", segp_last_error());
    if (ds) {
        CHECK_EQ_INT(dataset_count(ds), 5000);
        CHECK_EQ_INT(dataset_num_classes(ds), 100);
        CHECK_EQ_INT(dataset_label(ds, 0), 0);
        CHECK_EQ_INT(dataset_label(ds, 4999), 99);
        CHECK(!strcmp(dataset_class_name(ds, 2), "great white shark"));
        image_rgb im;
        CHECK(dataset_image(ds, 0, &im) == -1 && err_has("ILSVRC2012_val_00000293.JPEG"));
    }
    dataset_free(ds);

    /* Train split without a list: the class folders of the 100 wnids. */
    mkdirs(tpath("in100s/bench", ""));
    write_text(tpath("in100s/bench/%s", "imagenet100_classes.txt"),
               "0 n00000001 tench\n1 n00000002 goldfish\n");
    mkdirs(tpath("in100s/train/n00000001", ""));
    mkdirs(tpath("in100s/train/n00000002", ""));
    mkdirs(tpath("in100s/train/n00000003", "")); /* not one of the classes */
    write_synth_png(tpath("in100s/train/n00000001/%s", "a.png"), 1, 2, 2);
    write_synth_png(tpath("in100s/train/n00000002/%s", "b.png"), 2, 2, 2);
    write_synth_png(tpath("in100s/train/n00000003/%s", "c.png"), 3, 2, 2);
    dataset_options o = {0};
    o.benchmarks_dir = tpath("in100s/bench", "");
    ds = dataset_open_ex("imagenet100", tpath("in100s", ""), "train", &o);
    CHECK_MSG(ds != NULL, "%s", segp_last_error());
    if (ds) {
        CHECK_EQ_INT(dataset_count(ds), 2);
        CHECK(!strcmp(dataset_path(ds, 1), "train/n00000002/b.png"));
        image_rgb im;
        CHECK(dataset_image(ds, 1, &im) == 0 && image_matches_synth(&im, 2, 2, 2));
        image_free(&im);
    }
    dataset_free(ds);

    /* A list whose path wnid disagrees with its label. */
    write_text(tpath("in100s/%s", "train_100.txt"), "train/n00000001/a.png 1\n");
    CHECK(dataset_open_ex("imagenet100", tpath("in100s", ""), "train", &o) == NULL);
    CHECK(err_has("train_100.txt:1:") && err_has("n00000002"));
    CHECK(dataset_open("imagenet100", tpath("nothing", ""), "test") == NULL);
    CHECK(err_has("image-net.org"));
}

TEST(dataset_cub200) {
    const char *d = tpath("cub/CUB_200_2011", "");
    mkdirs(tpath("cub/CUB_200_2011/images/001.Black_footed_Albatross", ""));
    mkdirs(tpath("cub/CUB_200_2011/images/002.Laysan_Albatross", ""));
    (void)d;
    write_text(tpath("cub/CUB_200_2011/%s", "classes.txt"),
               "1 001.Black_footed_Albatross\n2 002.Laysan_Albatross\n");
    write_text(tpath("cub/CUB_200_2011/%s", "images.txt"),
               "1 001.Black_footed_Albatross/a.png\n2 002.Laysan_Albatross/b.png\n"
               "3 001.Black_footed_Albatross/c.png\n");
    write_text(tpath("cub/CUB_200_2011/%s", "image_class_labels.txt"), "1 1\n2 2\n3 1\n");
    write_text(tpath("cub/CUB_200_2011/%s", "train_test_split.txt"), "1 1\n2 1\n3 0\n");
    write_synth_png(tpath("cub/CUB_200_2011/images/002.Laysan_Albatross/%s", "b.png"), 9, 4, 5);
    dataset *ds = dataset_open("cub200", tpath("cub", ""), "train");
    CHECK_MSG(ds != NULL, "%s", segp_last_error());
    if (ds) {
        CHECK_EQ_INT(dataset_count(ds), 2);
        CHECK_EQ_INT(dataset_num_classes(ds), 2);
        CHECK(!strcmp(dataset_class_name(ds, 0), "Black footed Albatross"));
        CHECK(dataset_label(ds, 0) == 0 && dataset_label(ds, 1) == 1);
        image_rgb im;
        CHECK(dataset_image(ds, 1, &im) == 0 && image_matches_synth(&im, 9, 4, 5));
        image_free(&im);
    }
    dataset_free(ds);
    ds = dataset_open("cub200", tpath("cub", ""), "test");
    CHECK(ds && dataset_count(ds) == 1 && !strcmp(dataset_path(ds, 0),
                                                  "001.Black_footed_Albatross/c.png"));
    dataset_free(ds);

    write_text(tpath("cub/CUB_200_2011/%s", "image_class_labels.txt"), "1 1\n2 3\n3 1\n");
    CHECK(dataset_open("cub200", tpath("cub", ""), "train") == NULL);
    CHECK(err_has("image 2 has class \"3\" (expected 1..2)"));
    write_text(tpath("cub/CUB_200_2011/%s", "image_class_labels.txt"), "1 1\n3 1\n");
    CHECK(dataset_open("cub200", tpath("cub", ""), "train") == NULL);
    CHECK(err_has("image_class_labels.txt:2: expected \"2 value\""));
    CHECK(dataset_open("cub200", tpath("nothing", ""), "train") == NULL);
    CHECK(err_has("CUB_200_2011.tgz"));
}

/* The shipped CUB class list reads as 200 prompt-ready names. */
TEST(dataset_cub200_shipped_classes) {
    mkdirs(tpath("cub2/images", ""));
    write_text(tpath("cub2/%s", "images.txt"), "1 x/a.png\n");
    write_text(tpath("cub2/%s", "image_class_labels.txt"), "1 200\n");
    write_text(tpath("cub2/%s", "train_test_split.txt"), "1 0\n");
    dataset *ds = dataset_open("cub200", tpath("cub2", ""), "test"); /* no classes.txt there */
    CHECK_MSG(ds != NULL, "%s", segp_last_error());
    if (ds) {
        CHECK_EQ_INT(dataset_num_classes(ds), 200);
        CHECK(!strcmp(dataset_class_name(ds, 0), "Black footed Albatross"));
        CHECK_EQ_INT(dataset_label(ds, 0), 199);
    }
    dataset_free(ds);
}

/* ---- the load and the memory ---- */

/* CIFAR and IDX images are read into memory before a run's memory check, and stay: a dataset
 * larger than the memory was found out by the OOM killer while it was copied. Refused before
 * the copy, from the file's size (CIFAR) or the header's count (IDX), naming the file; a plain
 * IDX file shorter than its header says is still reported as truncated. SEGP_MEMORY_GIB sets
 * the memory; the datasets' bytes are what benchmark_data_bytes counts for the run's phases. */
TEST(dataset_load_memory_refused) {
    const double gib = 1073741824.0;
    char limit[64];
    /* CIFAR-10: 3 records a file (9216 bytes of images); 4 files fit in 13 records' bytes */
    const char *names[6] = {"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin",
                            "data_batch_4.bin", "data_batch_5.bin", "test_batch.bin"};
    mkdirs(tpath("cmem/cifar-10-batches-bin", ""));
    for (int b = 0; b < 6; b++)
        write_cifar(tpath("cmem/cifar-10-batches-bin/%s", names[b]), 1, 3, 3 * b, 10);
    dataset_options o = lenient();
    snprintf(limit, sizeof limit, "%.15f", 13 * 3072 / gib);
    setenv("SEGP_MEMORY_GIB", limit, 1);
    CHECK(dataset_open_ex("cifar10", tpath("cmem", ""), "train", &o) == NULL);
    CHECK_MSG(err_has("data_batch_5.bin: 3 records of 32x32 RGB images, with the 12 read before, "
                      "hold 0.0 GiB in memory and SEGP_MEMORY_GIB allows 0.0 GiB of memory "
                      "(expected a dataset that fits in memory)"), "%s", segp_last_error());
    dataset *ds = dataset_open_ex("cifar10", tpath("cmem", ""), "test", &o);
    CHECK_MSG(ds != NULL, "%s", segp_last_error());
    CHECK_NEAR(dataset_memory_bytes(ds), 3.0 * 3072, 0);
    dataset_free(ds);
    snprintf(limit, sizeof limit, "%.15f", (15 * 3072 + 100) / gib);
    setenv("SEGP_MEMORY_GIB", limit, 1);
    ds = dataset_open_ex("cifar10", tpath("cmem", ""), "train", &o);
    CHECK_MSG(ds != NULL, "%s", segp_last_error());
    if (ds) CHECK_NEAR(dataset_memory_bytes(ds), 15.0 * 3072, 0);
    dataset_free(ds);
    /* a benchmark holds both splits' images all along: what the run's phases count */
    unsetenv("SEGP_MEMORY_GIB");
    benchmark_params bp = benchmark_default_params();
    snprintf(bp.name, sizeof bp.name, "cifar10");
    snprintf(bp.root, sizeof bp.root, "%s", tpath("cmem", ""));
    bp.any_count = 1;
    benchmark *b = benchmark_open(&bp);
    CHECK_MSG(b != NULL, "%s", segp_last_error());
    if (b) CHECK_NEAR(benchmark_data_bytes(b), 18.0 * 3072, 0);
    benchmark_free(b);
    setenv("SEGP_MEMORY_GIB", limit, 1);
    /* IDX, plain: 4 images of 2x3 (24 bytes), with 20 bytes of memory */
    uint8_t img[16 + 4 * 2 * 3], lab[8 + 4], lv[4] = {3, 0, 9, 1};
    size_t ni = idx_images(img, 4, 2, 3), nl = idx_labels(lab, 4, lv);
    const char *root = tpath("imem", "");
    mkdirs(root);
    write_bytes(tpath("imem/%s", "t10k-images-idx3-ubyte"), img, ni);
    write_bytes(tpath("imem/%s", "t10k-labels-idx1-ubyte"), lab, nl);
    snprintf(limit, sizeof limit, "%.15f", 20 / gib);
    setenv("SEGP_MEMORY_GIB", limit, 1);
    CHECK(dataset_open("fashion-mnist", root, "test") == NULL);
    CHECK_MSG(err_has("t10k-images-idx3-ubyte: its header gives 4 images of 3x2 pixels, 0.0 GiB "
                      "once read into memory, and SEGP_MEMORY_GIB allows 0.0 GiB of memory "
                      "(expected a dataset that fits in memory)"), "%s", segp_last_error());
    /* shorter than its header says: truncated, whatever the memory */
    write_bytes(tpath("imem/%s", "t10k-images-idx3-ubyte"), img, ni - 5);
    CHECK(dataset_open("fashion-mnist", root, "test") == NULL);
    CHECK_MSG(err_has("truncated: expected 24 bytes of the images after the header, found 19"),
              "%s", segp_last_error());
    /* compressed: its length is unknown before it is inflated; the header decides */
    unlink(tpath("imem/%s", "t10k-images-idx3-ubyte"));
    write_gz(tpath("imem/%s", "t10k-images-idx3-ubyte.gz"), img, ni - 5);
    CHECK(dataset_open("fashion-mnist", root, "test") == NULL);
    CHECK_MSG(err_has("t10k-images-idx3-ubyte.gz: its header gives 4 images of 3x2 pixels, 0.0 "
                      "GiB once read into memory, and SEGP_MEMORY_GIB allows 0.0 GiB of memory "
                      "(expected a dataset that fits in memory, or a header that is not "
                      "corrupt)"), "%s", segp_last_error());
    write_gz(tpath("imem/%s", "t10k-images-idx3-ubyte.gz"), img, ni);
    snprintf(limit, sizeof limit, "%.15f", 30 / gib);
    setenv("SEGP_MEMORY_GIB", limit, 1);
    ds = dataset_open("fashion-mnist", root, "test");
    CHECK_MSG(ds != NULL, "%s", segp_last_error());
    if (ds) CHECK_NEAR(dataset_memory_bytes(ds), 24, 0);
    dataset_free(ds);
    unsetenv("SEGP_MEMORY_GIB");
}
