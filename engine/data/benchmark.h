/* benchmark.h: one interface over every class-incremental benchmark: the built-in `shapes`
 * world and every dataset reader of dataset.h, with a class order and a task split. Commands and
 * the continual-learning runner never special-case a benchmark: they ask for class names, the
 * classes of task t and the train/test items (decoded 8-bit RGB + label).
 *
 * Labels are the dataset's labels 0..C-1; the class order is a permutation of them (order[k] is
 * the k-th class learned) and task t holds order[start[t] .. start[t+1]-1] (class_order.h).
 * Orders: "latin" (shapes only: its Latin square, each task holds every colour and every shape
 * once), "random" (NumPy's legacy permutation seeded by order_seed, as the PyCIL family makes
 * them; seed 1993 on CIFAR-100 gives cifar100_order_pycil_seed1993.txt), "identity", or the
 * path of a class-order file. Held-out classes (shapes: the 20 arrow/pentagon concepts) are
 * never trained and measure zero-shot retention.
 *
 * Items of a split are listed in dataset order, keeping the first train_per_class /
 * test_per_class items of each class when those are > 0. */
#ifndef SEGP_BENCHMARK_H
#define SEGP_BENCHMARK_H

#include <stdint.h>

#include "io/image.h"

typedef struct {
    char name[32];          /* "shapes", "cifar100", "cifar10", "fashion-mnist", "mnist",
                             * "folder", "imagenet-r", "imagenet100", "cub200" */
    char root[512];         /* data root; "" = the kind's default (dataset.h) */
    char order[512];        /* "" = the default ("latin" for shapes, else "identity"), "latin",
                             * "random", "identity" or a class-order file */
    uint64_t order_seed;    /* seed of the "random" order (1993) */
    char tasks[32];         /* task split "B0-Inc10" ("" = 10 equal tasks) */
    int train_per_class;    /* 0 = all */
    int test_per_class;     /* 0 = all (shapes: 0 means its default, 20) */
    /* shapes world */
    uint64_t world_seed;    /* 1 */
    int image_size;         /* rendered size; 0 = as asked by benchmark_image */
    float train_hard_rate;  /* share of hard renditions in the train split (0.5) */
    /* list-file overrides (dataset_options): "" = the kind's default */
    char split_file[512], classes_file[512];
} benchmark_params;

benchmark_params benchmark_default_params(void);

typedef struct benchmark benchmark;

typedef enum { BENCH_TRAIN = 0, BENCH_TEST = 1, BENCH_HELDOUT = 2 } bench_split;

/* NULL + error naming the key (benchmark.name, benchmark.order, ...) and what was expected. */
benchmark *benchmark_open(const benchmark_params *p);
void benchmark_free(benchmark *b);

const char *benchmark_name(const benchmark *b);
int benchmark_num_classes(const benchmark *b);
const char *benchmark_class_name(const benchmark *b, int label); /* NULL when out of range */
const int *benchmark_order(const benchmark *b);                   /* num_classes labels */
const char *benchmark_order_desc(const benchmark *b);            /* "latin", "random seed 1993" */
int benchmark_num_tasks(const benchmark *b);
/* Labels of task t in learning order; returns their count (-1 when t is out of range). */
int benchmark_task_classes(const benchmark *b, int t, const int **labels);
int benchmark_task_of(const benchmark *b, int label); /* -1 when out of range */

/* Held-out classes (zero-shot retention): names and test items; 0 when the benchmark has none.
 * Items of BENCH_HELDOUT carry labels 0..num_heldout-1. */
int benchmark_num_heldout(const benchmark *b);
const char *benchmark_heldout_name(const benchmark *b, int k);

int benchmark_count(const benchmark *b, bench_split s);
int benchmark_label(const benchmark *b, bench_split s, int i);
/* Indices of the items of split S whose label has a nonzero entry in MASK (num_classes
 * entries; ignored for BENCH_HELDOUT: all items), in order; *idx malloc'd; returns the count. */
int benchmark_select(const benchmark *b, bench_split s, const uint8_t *mask, int **idx);

/* Item i as CLIP's eval geometry at n_px: bicubic resize of the shorter side to n_px and a
 * centre crop, 8-bit RGB into rgb (n_px * n_px * 3 bytes). Exactly the bytes PIL would hand to
 * ToTensor, so caching them loses nothing. Thread-safe. -1 + error naming the file. */
int benchmark_image(const benchmark *b, bench_split s, int i, int n_px, uint8_t *rgb);
/* Item i at its own size (for training augmentation): OUT allocated (image_free). */
int benchmark_image_native(const benchmark *b, bench_split s, int i, image_rgb *out);

#endif
