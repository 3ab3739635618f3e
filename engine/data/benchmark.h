/* benchmark.h: one interface over every class-incremental benchmark: the built-in `shapes`
 * world and every dataset reader of dataset.h, with a class order and a task split. Commands and
 * the continual-learning runner never special-case a benchmark: they ask for class names, the
 * classes of task t and the train/test items (decoded 8-bit RGB + label).
 *
 * Labels are the dataset's labels 0..C-1; the class order is a permutation of them (order[k] is
 * the k-th class learned) and task t holds order[start[t] .. start[t+1]-1] (class_order.h).
 * Orders: "latin" (shapes only: its Latin square shapes_class_order(0), each task holds every
 * colour and every shape once), "random" (NumPy's legacy permutation seeded by order_seed, as the
 * PyCIL family makes them; seed 1993 on CIFAR-100 gives cifar100_order_pycil_seed1993.txt),
 * "identity", or a class-order file (class_order.h formats): a path, or a bare file name found in
 * the benchmarks directory (dataset_options.benchmarks_dir: $SEGP_BENCHMARKS_DIR, else
 * data/benchmarks), e.g. "cifar100_order.yaml" (the Continual-CLIP / RAPF order).
 * Task splits: "B0-Inc10", "B50-Inc10" (class_order.h), or a plain count "10" (that many equal
 * tasks); "" = 10 equal tasks.
 * Held-out classes (shapes: the 20 arrow/pentagon concepts 100..119) are never trained and
 * measure zero-shot retention: BENCH_HELDOUT holds their test items.
 *
 * Items of a split are listed in dataset order (shapes: class by class, index 0, 1, ... within a
 * class), keeping the first train_per_class / test_per_class items of each class when those are
 * > 0.
 *
 * Validation (eval_split "val"), for choosing settings without looking at the test split:
 * BENCH_TEST then holds val_per_class training items of each class that training never sees,
 * and no test item is used (a dataset's test list still gives the default count). Datasets:
 * the last val_per_class training items of each class (training keeps the first
 * train_per_class of the rest). Shapes: the val_per_class renders of
 * the training distribution that follow the train_per_class training ones (training is
 * unchanged), and the held-out classes' items are training-distribution renders too.
 *
 * Every error of benchmark_open names the parameter as a config key ("benchmark.order: ...").
 * After a successful open every accessor is safe to call from several threads at once. */
#ifndef SEGP_BENCHMARK_H
#define SEGP_BENCHMARK_H

#include <stdint.h>

#include "core/config.h"
#include "data/shapes.h"
#include "io/image.h"

typedef struct {
    char name[32];          /* "shapes", "cifar100", "cifar10", "fashion-mnist", "mnist",
                             * "folder", "imagenet-r", "imagenet100", "cub200" */
    char root[512];         /* data root; "" = the kind's default (dataset.h) */
    char order[512];        /* "" = the default ("latin" for shapes, else "identity"), "latin",
                             * "random", "identity" or a class-order file */
    uint64_t order_seed;    /* seed of the "random" order (1993); < 2^32 as NumPy's */
    char tasks[32];         /* task split "B0-Inc10", or a task count "10" ("" = 10 tasks) */
    int train_per_class;    /* 0 = all (shapes: its default, 500) */
    int test_per_class;     /* 0 = all (shapes: its default, 20) */
    int eval_only;          /* 1: open only the evaluation split (BENCH_TRAIN has no items) */
    char eval_split[8];     /* what BENCH_TEST holds: "test" ("" = test) or "val", a validation
                             * split held out of the training split (see below) */
    int val_per_class;      /* "val": items per class held out (0 = as many as the test split
                             * has of that class: test_per_class, else all its test items) */
    /* shapes world */
    uint64_t world_seed;    /* 1 */
    int image_size;         /* rendered size; 0 = render at the size benchmark_image asks for */
    float train_hard_rate;  /* share of hard renditions in the train split (0.5) */
    /* dataset_options: "" = the kind's default. A "{}" in split_file is replaced by the split
     * name ("train", "test"); "folder" and "imagenet100" need it (a list per split), while
     * imagenet-r's one file holds both lists. */
    char split_file[512], classes_file[512];
    char benchmarks_dir[512]; /* shipped lists; "" = $SEGP_BENCHMARKS_DIR or data/benchmarks */
    int any_count;          /* CIFAR: accept batch files of any whole record count (tests) */
} benchmark_params;

benchmark_params benchmark_default_params(void);

/* The parameters as config keys "benchmark.name", "benchmark.order", ...; offsets are into
 * benchmark_params (a config embedding it adds the offset of its member). */
const cfg_field *benchmark_config_fields(int *n);

typedef struct benchmark benchmark;

typedef enum { BENCH_TRAIN = 0, BENCH_TEST = 1, BENCH_HELDOUT = 2 } bench_split;

/* NULL + error naming the key (benchmark.name, benchmark.order, ...) and what was expected. */
benchmark *benchmark_open(const benchmark_params *p);
/* The shapes benchmark on the world WORLD (all of its fields, e.g. a pretraining config's): the
 * world keys of P (world_seed, image_size, *_per_class, train_hard_rate) are replaced by its. */
benchmark *benchmark_open_shapes(const benchmark_params *p, const shapes_world_params *world);
void benchmark_free(benchmark *b);

const char *benchmark_name(const benchmark *b);
const benchmark_params *benchmark_params_of(const benchmark *b); /* as resolved at open */
int benchmark_num_classes(const benchmark *b);
const char *benchmark_class_name(const benchmark *b, int label); /* NULL when out of range */
const int *benchmark_order(const benchmark *b);                   /* num_classes labels */
const char *benchmark_order_desc(const benchmark *b); /* "latin", "random seed 1993", ... */
const char *benchmark_tasks_desc(const benchmark *b); /* "B0-Inc10" */
/* What BENCH_TEST holds: "test", or "val (N training items per class held out)". */
const char *benchmark_eval_desc(const benchmark *b);
int benchmark_is_val(const benchmark *b); /* 1 when BENCH_TEST is the validation split */
int benchmark_num_tasks(const benchmark *b);
/* Labels of task t in learning order; returns their count (-1 when t is out of range). */
int benchmark_task_classes(const benchmark *b, int t, const int **labels);
int benchmark_task_of(const benchmark *b, int label); /* -1 when out of range */

/* Held-out classes (zero-shot retention): names and test items; 0 when the benchmark has none.
 * Items of BENCH_HELDOUT carry labels 0..num_heldout-1. */
int benchmark_num_heldout(const benchmark *b);
const char *benchmark_heldout_name(const benchmark *b, int k);
/* Labels of split S: num_classes, or num_heldout for BENCH_HELDOUT. */
int benchmark_split_classes(const benchmark *b, bench_split s);

int benchmark_count(const benchmark *b, bench_split s);
int benchmark_label(const benchmark *b, bench_split s, int i); /* -1 when out of range */
/* Indices of the items of split S whose label has a nonzero entry in MASK (NULL: every item;
 * else benchmark_split_classes entries), in order; *idx malloc'd; returns the count. */
int benchmark_select(const benchmark *b, bench_split s, const uint8_t *mask, int **idx);

/* Item i as CLIP's eval geometry at n_px: bicubic resize of the shorter side to n_px and a
 * centre crop, 8-bit RGB into rgb (n_px * n_px * 3 bytes). Exactly the bytes PIL would hand to
 * ToTensor, so caching them loses nothing. Shapes with image_size 0 renders at n_px directly.
 * Thread-safe. -1 + error naming the file. */
int benchmark_image(const benchmark *b, bench_split s, int i, int n_px, uint8_t *rgb);
/* Items ITEMS[0..n-1] of split S (NULL: items 0..n-1) as benchmark_image at n_px, made in
 * parallel into rgb (n x n_px x n_px x 3 bytes). -1 + the error of a failing item. */
int benchmark_images(const benchmark *b, bench_split s, const int *items, int n, int n_px,
                     uint8_t *rgb);
/* Bytes the shapes renders split S keeps at N_PX once N_DRAWN of its items have been drawn
 * (each drawn image stays, when the whole split fits in 512 MB); 0 when the split keeps none
 * (another benchmark, another size, too many items). For memory checks before a run. */
double benchmark_kept_bytes(const benchmark *b, bench_split s, int n_px, int64_t n_drawn);
/* Bytes of the images the benchmark's datasets hold in memory from its open to its free (CIFAR,
 * IDX: every image of the splits read; 0 for image files and the shapes world). */
double benchmark_data_bytes(const benchmark *b);
/* Items ITEMS[0..n-1] of split S (NULL: every item) whose images are files (image folders,
 * ImageNet-R, ImageNet-100, CUB-200): each must be a readable regular file that begins as a PNG
 * or JPEG does. Its first bytes are read, nothing is decoded: for checking the lists against
 * the disk before long work (a missing file, an empty one, an HTML page saved as .jpg by a
 * failed download). -1 + error naming the first bad file, why, its class and how many are bad. */
int benchmark_check_files(const benchmark *b, bench_split s, const int *items, int n);
/* Item i at its own size (for training augmentation): OUT allocated (image_free). Shapes
 * renders at image_size, which must then be set (-1 + error naming benchmark.image_size). */
int benchmark_image_native(const benchmark *b, bench_split s, int i, image_rgb *out);

/* Shapes only: the scene of item i (rendition, size, ...), for breakdowns. -1 + error for other
 * benchmarks. */
int benchmark_shapes_sample(const benchmark *b, bench_split s, int i, shapes_sample_desc *d);

#endif
