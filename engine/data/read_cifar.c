/* read_cifar.c: CIFAR-10 and CIFAR-100 in their binary distributions.
 *
 * CIFAR-10 record: 1 label byte + 3072 pixel bytes (32x32 R plane, G plane, B plane); files
 * data_batch_1..5.bin (train) and test_batch.bin, class names in batches.meta.txt.
 * CIFAR-100 record: coarse label byte + fine label byte + 3072 pixel bytes; train.bin / test.bin,
 * fine class names in fine_label_names.txt. Official files hold 10000 records per batch
 * (CIFAR-100: 50000 in train.bin). Images stay planar in memory; dataset_image interleaves. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "core/common.h"
#include "dataset_impl.h"

#define CIFAR_PIXELS 3072

/* Used when the name file of the download is absent (labels are what matter). Same order as
 * batches.meta.txt / fine_label_names.txt. */
static const char *const cifar10_names[10] = {
    "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck",
};
static const char *const cifar100_names[100] = {
    "apple", "aquarium fish", "baby", "bear", "beaver", "bed", "bee", "beetle", "bicycle",
    "bottle", "bowl", "boy", "bridge", "bus", "butterfly", "camel", "can", "castle", "caterpillar",
    "cattle", "chair", "chimpanzee", "clock", "cloud", "cockroach", "couch", "crab", "crocodile",
    "cup", "dinosaur", "dolphin", "elephant", "flatfish", "forest", "fox", "girl", "hamster",
    "house", "kangaroo", "keyboard", "lamp", "lawn mower", "leopard", "lion", "lizard", "lobster",
    "man", "maple tree", "motorcycle", "mountain", "mouse", "mushroom", "oak tree", "orange",
    "orchid", "otter", "palm tree", "pear", "pickup truck", "pine tree", "plain", "plate", "poppy",
    "porcupine", "possum", "rabbit", "raccoon", "ray", "road", "rocket", "rose", "sea", "seal",
    "shark", "shrew", "skunk", "skyscraper", "snail", "snake", "spider", "squirrel", "streetcar",
    "sunflower", "sweet pepper", "table", "tank", "telephone", "television", "tiger", "tractor",
    "train", "trout", "tulip", "turtle", "wardrobe", "whale", "willow tree", "wolf", "woman",
    "worm",
};

typedef struct {
    const char *kind, *subdir, *python_dir, *tarball, *names_file;
    int label_bytes;
} cifar_layout;

static const cifar_layout layouts[2] = {
    {"cifar10", "cifar-10-batches-bin", "cifar-10-batches-py", "cifar-10-binary.tar.gz",
     "batches.meta.txt", 1},
    {"cifar100", "cifar-100-binary", "cifar-100-python", "cifar-100-binary.tar.gz",
     "fine_label_names.txt", 2},
};

static int missing(const cifar_layout *L, const char *root, const char *file) {
    char *py = ds_join(root, L->python_dir);
    const char *note = ds_is_dir(py) ? " (the Python version found there is not read; segp "
                                       "needs the binary version)" : "";
    SEGP_FAIL("%s: %s/%s/%s not found%s; download %s from https://www.cs.toronto.edu/~kriz/"
              "cifar.html and extract it in %s so that %s/%s/%s exists (or point SEGP_DATA_ROOT at "
              "the data)",
              L->kind, root, L->subdir, file, note, L->tarball, root, root, L->subdir, file);
    free(py);
    return -1;
}

int ds_cifar_append(dataset *ds, int num_classes, const char *path, const uint8_t *data,
                    size_t size_bytes, int expect) {
    const cifar_layout *L = &layouts[num_classes == 100];
    size_t rec = (size_t)L->label_bytes + CIFAR_PIXELS;
    int64_t size = (int64_t)size_bytes;
    if (expect > 0 && size != (int64_t)rec * expect)
        return SEGP_FAIL("%s: %lld bytes (expected %lld = %d records of %zu bytes; truncated or "
                         "not %s binary?)", path, (long long)size, (long long)rec * expect,
                         expect, rec, L->kind);
    if (size == 0 || size % (int64_t)rec != 0)
        return SEGP_FAIL("%s: %lld bytes is not a whole number of %zu-byte records (expected a "
                         "multiple of %zu; truncated or not %s binary?)", path, (long long)size,
                         rec, rec, L->kind);
    if (size / (int64_t)rec > 1000000 || ds->count + size / (int64_t)rec > 10000000)
        return SEGP_FAIL("%s: %lld records (expected at most 1000000 per file)", path,
                         (long long)(size / (int64_t)rec));
    int n = (int)(size / (int64_t)rec), first = ds->count;
    /* the images are copied into memory and stay there as long as the dataset: refused before
     * the copy (and before the labels are read) when they cannot fit, instead of the OOM
     * killer finding it out; the file's size gives their count */
    double have, need = (double)(first + n) * CIFAR_PIXELS;
    char has[96], before[64] = "";
    if (segp_memory_limit(&have, has, sizeof has) != 0) return -1;
    if (first) snprintf(before, sizeof before, ", with the %d read before,", first);
    if (have > 0 && need > have)
        return SEGP_FAIL("%s: %d records of 32x32 RGB images%s hold %.1f GiB in memory and %s "
                         "(expected a dataset that fits in memory)", path, n, before,
                         need / 1073741824.0, has);
    /* check every label before anything is kept */
    for (int i = 0; i < n; i++) {
        const uint8_t *r = data + (size_t)i * rec;
        int label = r[L->label_bytes - 1]; /* CIFAR-100: the fine label is the second byte */
        if (L->label_bytes == 2 && r[0] >= 20)
            return SEGP_FAIL("%s: record %d has coarse label %d (expected 0..19; corrupt or not "
                             "%s binary?)", path, i, r[0], L->kind);
        if (label >= num_classes)
            return SEGP_FAIL("%s: record %d has label %d (expected 0..%d; corrupt or not %s "
                             "binary?)", path, i, label, num_classes - 1, L->kind);
    }
    ds_reserve(ds, first + n);
    ds->pixels = segp_realloc(ds->pixels, (size_t)(first + n) * CIFAR_PIXELS);
    ds->width = ds->height = 32;
    ds->channels = 3;
    ds->planar = 1;
    for (int i = 0; i < n; i++) {
        const uint8_t *r = data + (size_t)i * rec;
        ds->labels[first + i] = r[L->label_bytes - 1];
        memcpy(ds->pixels + (size_t)(first + i) * CIFAR_PIXELS, r + L->label_bytes, CIFAR_PIXELS);
    }
    return 0;
}

/* Append the records of PATH (mapped, so that a batch costs one copy). */
static int read_batch(dataset *ds, const char *path, int expect, int num_classes) {
    size_t size;
    FILE *f = segp_open_regular(path, &size);
    if (!f) return -1;
    void *map = size ? mmap(NULL, size, PROT_READ, MAP_PRIVATE, fileno(f), 0) : (void *)"";
    int map_err = errno;
    fclose(f);
    if (map == MAP_FAILED) return SEGP_FAIL("%s: cannot memory-map: %s", path, strerror(map_err));
    int rc = ds_cifar_append(ds, num_classes, path, map, size, expect);
    if (size) munmap(map, size);
    return rc;
}

int ds_read_cifar(dataset *ds, int num_classes, const char *root, int is_train,
                  const dataset_options *opt) {
    const cifar_layout *L = &layouts[num_classes == 100];
    const char *files10[5] = {"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin",
                              "data_batch_4.bin", "data_batch_5.bin"};
    const char *test10[1] = {"test_batch.bin"};
    const char *train100[1] = {"train.bin"}, *test100[1] = {"test.bin"};
    const char **files;
    int nfiles, per_file;
    if (num_classes == 10) {
        files = is_train ? files10 : test10;
        nfiles = is_train ? 5 : 1;
        per_file = 10000;
    } else {
        files = is_train ? train100 : test100;
        nfiles = 1;
        per_file = is_train ? 50000 : 10000;
    }
    char *dir;
    char *first = ds_find_in(root, L->subdir, files[0], &dir);
    if (!first) return missing(L, root, files[0]);
    free(first);

    int rc = 0;
    for (int k = 0; k < nfiles && !rc; k++) {
        char *p = ds_join(dir, files[k]);
        if (!ds_is_file(p)) rc = missing(L, root, files[k]);
        else rc = read_batch(ds, p, opt->any_count ? 0 : per_file, num_classes);
        free(p);
    }

    if (!rc) {
        char *np = ds_join(dir, L->names_file);
        if (ds_is_file(np)) {
            char **names, **wnids;
            int n;
            rc = ds_read_class_list(np, num_classes, &names, &wnids, &n);
            if (!rc) {
                ds_free_strings(wnids, n);
                ds_set_class_names(ds, names, n);
            }
        } else {
            const char *const *src = num_classes == 10 ? cifar10_names : cifar100_names;
            char **names = segp_malloc((size_t)num_classes * sizeof *names);
            for (int c = 0; c < num_classes; c++) names[c] = segp_strdup(src[c]);
            ds_set_class_names(ds, names, num_classes);
        }
        free(np);
    }
    free(dir);
    return rc;
}
