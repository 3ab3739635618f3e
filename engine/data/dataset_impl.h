/* dataset_impl.h: the dataset struct and the helpers the readers (read_cifar.c, read_idx.c,
 * read_folder.c) share with dataset.c. Internal to engine/data/. */
#ifndef SEGP_DATASET_IMPL_H
#define SEGP_DATASET_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "dataset.h"

/* Most classes numbered "0".."C-1" for a "path label" list without class names (ImageNet-21k
 * has 21841 classes). */
#define DS_MAX_CLASSES 100000

struct dataset {
    char kind[32];
    int count, num_classes;
    char **class_names; /* num_classes, owned */
    int32_t *labels;    /* count */
    int cap;            /* allocated entries of labels / path_off */

    /* In-memory images: count * width * height * channels bytes. channels is 1 (grey) or 3;
     * planar 1 means each image is stored as its R plane, G plane, B plane (CIFAR's layout). */
    uint8_t *pixels;
    int width, height, channels, planar;

    /* File images: item i is base_dir + "/" + paths + path_off[i]. */
    char *base_dir;
    int64_t *path_off;
    char *paths;
    size_t paths_len, paths_cap;
};

/* A new empty dataset of KIND. */
dataset *ds_new(const char *kind);
/* Append a file item (PATH relative to base_dir). */
void ds_add_file(dataset *ds, const char *path, int label);
/* Reserve labels for N in-memory items (labels filled by the reader, count set to n). */
void ds_reserve(dataset *ds, int n);
/* Take ownership of NAMES (n strings, each malloc'ed, and the array), making them prompt-ready:
 * underscores become spaces. */
void ds_set_class_names(dataset *ds, char **names, int n);
/* Class names "0".."n-1". */
void ds_numbered_class_names(dataset *ds, int n);
/* Check every label is in [0, num_classes). WHAT names the source for the message. */
int ds_check_labels(const dataset *ds, const char *what);

/* Path helpers (results malloc'ed). */
char *ds_join(const char *a, const char *b);
int ds_is_file(const char *path);
int ds_is_dir(const char *path);
/* The shipped list NAME in the benchmarks directory. */
char *ds_bench_file(const dataset_options *opt, const char *name);
/* The first of ROOT/SUB/NAME, ROOT/NAME that exists as a file, else NULL. With *dir set to the
 * directory it was found in (malloc'ed). */
char *ds_find_in(const char *root, const char *sub, const char *name, char **dir);

/* Read a text file as lines: *text owns the storage, lines[i] point into it (CR/LF stripped,
 * empty lines kept). -1 + error naming the file. */
int ds_read_lines(const char *path, char **text, char ***lines, int *n);

/* Read a class-name list: one class per non-empty line, either "name", "index name",
 * "index wnid name" or "NNN.name" (CUB). The index, when present, must count 0.. or 1.. in order.
 * wnids (n + 8 digits), when present, are returned in *wnids (else *wnids = NULL). EXPECT > 0:
 * the count must match. */
int ds_read_class_list(const char *path, int expect, char ***names, char ***wnids, int *n);
void ds_free_strings(char **s, int n);

/* ---- in-memory twins of the list and file parsers (the readers below read the files and call
 * these; the fuzz targets call them directly). WHAT / NAME stand for the file in messages. ---- */

/* ds_read_lines over SIZE bytes (copied). */
int ds_lines_parse(const void *data, size_t size, const char *what, char **text, char ***lines,
                   int *n);
/* ds_read_class_list over SIZE bytes. */
int ds_class_list_parse(const void *data, size_t size, const char *what, int expect,
                        char ***names, char ***wnids, int *n);
/* "relative/path label" lines into DS (labels below NUM_CLASSES when > 0; WNIDS optional: a
 * wnid path component must be its label's). */
int ds_path_label_parse(dataset *ds, const void *data, size_t size, const char *what,
                        int num_classes, char *const *wnids);
/* ImageNet-R: the class list ("index wnid name") and the train/test split file. */
int ds_imagenet_r_parse(dataset *ds, const void *classes_data, size_t classes_size,
                        const char *classes, const void *split_data, size_t split_size,
                        const char *split, int is_train);
/* CUB-200-2011: classes.txt, images.txt, image_class_labels.txt, train_test_split.txt. */
typedef struct {
    const void *data;
    size_t size;
    const char *name;
} ds_text;
int ds_cub_parse(dataset *ds, const ds_text *classes, const ds_text *images,
                 const ds_text *labels, const ds_text *tts, int is_train);
/* One CIFAR batch file (NUM_CLASSES 10 or 100) appended to DS; EXPECT > 0: its record count. */
int ds_cifar_append(dataset *ds, int num_classes, const char *name, const uint8_t *data,
                    size_t size, int expect);
/* An IDX image file and its label file (each gzip-compressed or not). */
int ds_idx_parse(dataset *ds, const char *iname, const uint8_t *idata, size_t isize,
                 const char *lname, const uint8_t *ldata, size_t lsize,
                 const char *const *class_names, int num_classes);

/* Readers: fill DS from ROOT for SPLIT (is_train 1/0). -1 + error. */
int ds_read_cifar(dataset *ds, int num_classes, const char *root, int is_train,
                  const dataset_options *opt);
/* HINT: where to get the files, for the missing-file message. */
int ds_read_idx(dataset *ds, const char *root, int is_train, const char *const *class_names,
                int num_classes, const char *hint);
int ds_read_folder(dataset *ds, const char *root, const char *split, const dataset_options *opt);
int ds_read_imagenet_r(dataset *ds, const char *root, int is_train, const dataset_options *opt);
int ds_read_imagenet100(dataset *ds, const char *root, int is_train,
                        const dataset_options *opt);
int ds_read_cub200(dataset *ds, const char *root, int is_train, const dataset_options *opt);

#endif
