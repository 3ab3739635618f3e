/* dataset.h: one interface over the real image datasets segp trains and evaluates on.
 *
 * A dataset is a list of class names plus a list of items; an item is a label and an image that
 * is either held in memory (CIFAR, IDX: small 8-bit images, converted to RGB on access) or a file
 * path decoded on access with image_load (PNG/JPEG folders, ImageNet-R, ImageNet-100, CUB-200).
 * Every image comes out as 8-bit RGB (grey becomes R = G = B).
 *
 * Kinds, the layout each expects under ROOT, and where its files come from:
 *   "cifar10"        ROOT/cifar-10-batches-bin/{data_batch_1..5,test_batch}.bin, batches.meta.txt
 *                    (or those files directly in ROOT). cifar-10-binary.tar.gz.
 *   "cifar100"       ROOT/cifar-100-binary/{train,test}.bin, fine_label_names.txt (or in ROOT).
 *                    cifar-100-binary.tar.gz. Labels are the fine labels.
 *   "fashion-mnist"  ROOT/{train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]; default ROOT is
 *                    where Debian's dataset-fashion-mnist installs it
 *                    (/usr/share/datasets/fashion-mnist). "mnist" reads the same layout.
 *   "folder"         one of: the list file options.split_file, or ROOT/SPLIT.txt, with lines
 *                    "relative/path label" (class names from options.classes_file or
 *                    ROOT/classes.txt, else "0".."C-1"); or ROOT/SPLIT/<class>/... (one folder per
 *                    class, class names = folder names sorted by strcmp, files found recursively
 *                    and sorted, as torchvision's ImageFolder); or ROOT/<class>/... when SPLIT is
 *                    NULL or "all". Files ending .png/.jpg/.jpeg (any case) are images.
 *   "imagenet-r"     ROOT/imagenet-r/<wnid>/<file> (or ROOT/<wnid>/...), the train/test lists of
 *                    imgr_train_test_split.txt and the labels of imagenet_R_classes.txt (both from
 *                    the benchmarks directory unless options override them).
 *   "imagenet100"    ImageNet ILSVRC-2012 arranged as ROOT/{train,val}/<wnid>/<file>; the test
 *                    split is val_100.txt ("val/<wnid>/<file> label"), the train split is
 *                    train_100.txt if ROOT or the benchmarks directory has one, else every image
 *                    under ROOT/train/<wnid>/ for the 100 wnids of imagenet100_classes.txt.
 *   "cub200"         ROOT/CUB_200_2011/{images.txt,image_class_labels.txt,train_test_split.txt,
 *                    classes.txt,images/} (or those directly in ROOT). CUB_200_2011.tgz.
 * SPLIT is "train" or "test" ("val" is accepted for "test").
 *
 * Class names are for prompts: underscores become spaces, numeric prefixes of the form "001."
 * (CUB) are dropped. Missing data fails with a message naming the missing file, where to download
 * it and where to put it. All functions except dataset_image are for one thread at a time;
 * dataset_image may be called concurrently (with any indices) once the dataset is open. */
#ifndef SEGP_DATASET_H
#define SEGP_DATASET_H

#include <stdint.h>

#include "io/image.h"

typedef struct dataset dataset;

typedef struct {
    /* Directory holding the shipped lists (class orders, class names, split files). NULL:
     * $SEGP_BENCHMARKS_DIR if set, else "data/benchmarks" (relative to the working directory). */
    const char *benchmarks_dir;
    /* Overrides of the list files a kind uses ("folder": "path label" list and class names;
     * "imagenet-r": the train/test split file and the class list; "imagenet100": the list of
     * SPLIT and the class list; "cub200": classes.txt). NULL: the kind's default. */
    const char *split_file;
    const char *classes_file;
    /* CIFAR: accept batch files with any whole number of records instead of exactly the official
     * 10000 per file (subsets, tests). The default catches a download truncated between records. */
    int any_count;
} dataset_options;

/* Open a dataset. ROOT NULL: the kind's default (fashion-mnist: the Debian location; others:
 * $SEGP_DATA_ROOT if set, else "datasets"). NULL + error on missing or malformed data. */
dataset *dataset_open(const char *kind, const char *root, const char *split);
dataset *dataset_open_ex(const char *kind, const char *root, const char *split,
                         const dataset_options *opt);
void dataset_free(dataset *ds);

/* The kinds dataset_open accepts, comma separated (for usage messages). */
const char *dataset_kinds(void);

const char *dataset_kind(const dataset *ds);
int dataset_count(const dataset *ds);
/* Bytes of the images DS holds in memory (CIFAR, IDX; 0 for file items and NULL): held as long
 * as the dataset is open, for memory checks before a run. */
double dataset_memory_bytes(const dataset *ds);
int dataset_num_classes(const dataset *ds);
const char *dataset_class_name(const dataset *ds, int c); /* NULL when c is out of range */
int dataset_label(const dataset *ds, int i);              /* -1 when i is out of range */
/* File of item i, or NULL for in-memory items (and out-of-range i). */
const char *dataset_path(const dataset *ds, int i);
/* Image of item i (8-bit RGB, owned by OUT: free with image_free). In-memory items always
 * succeed; file items fail (-1 + error naming the file) when the file is unreadable or corrupt.
 * Thread-safe for concurrent calls. */
int dataset_image(const dataset *ds, int i, image_rgb *out);

/* Number of items with each label: counts has num_classes entries. */
void dataset_class_counts(const dataset *ds, int *counts);

/* Indices of the items whose label has a nonzero entry in class_mask (num_classes entries), in
 * dataset order. *idx is allocated (free()), the return value is the count. */
int dataset_select(const dataset *ds, const uint8_t *class_mask, int **idx);

#endif
