/* dataset_impl.h: the dataset struct and the helpers the readers (read_cifar.c, read_idx.c,
 * read_folder.c) share with dataset.c. Internal to engine/data/. */
#ifndef SEGP_DATASET_IMPL_H
#define SEGP_DATASET_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "dataset.h"

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
