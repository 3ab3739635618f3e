/* benchmark_internal.h: the benchmark's own state, shared by benchmark.c (opening, class
 * order, task split, item lists) and benchmark_images.c (an item's image). Not for callers:
 * they use benchmark.h. */
#ifndef SEGP_BENCHMARK_INTERNAL_H
#define SEGP_BENCHMARK_INTERNAL_H

#include <pthread.h>
#include <stdint.h>

#include "benchmark.h"
#include "class_order.h"
#include "dataset_impl.h"

typedef struct {
    int n;
    int32_t *label; /* n labels */
    int32_t *src;   /* n: dataset index, or (shapes) the index within the class */
    int from_train; /* the items come from the training split (BENCH_TRAIN; validation) */
} item_list;

/* Rendered shapes images of one split at one size, kept after their first drawing: a task's
 * training images are drawn for every epoch, the anchors' seeds and the prototypes, and the
 * test images after every task. Rendering is deterministic, so a kept image is the image. */
typedef struct {
    int n_px;               /* size kept (0: nothing yet; -1: too large to keep) */
    uint8_t *rgb;           /* items x n_px x n_px x 3 */
    _Atomic uint8_t *state; /* per item: 0 not kept, 1 being kept, 2 kept */
} render_cache;

/* The most one split's kept renders may take. */
#define RENDER_CACHE_MAX_BYTES ((size_t)512 << 20)

struct benchmark {
    benchmark_params p;
    int is_shapes;
    shapes_world_params wp; /* shapes: world parameters (image_size as p.image_size, or 32) */
    dataset *ds[2];         /* datasets: train (NULL when eval_only, unless val), test */
    int num_classes;
    char **names;           /* num_classes, owned */
    int num_heldout;
    char **heldout_names;   /* num_heldout, owned */
    int *order, *pos;       /* class order and its inverse */
    task_split split;
    int *task_of;           /* label -> task */
    char order_desc[600], tasks_desc[32], eval_desc[96];
    item_list items[3];
    pthread_mutex_t cache_lock; /* guards the first setting of cache[s] */
    render_cache cache[3];
};

/* The item list of split S (NULL for an unknown split). */
static inline const item_list *items_of(const benchmark *b, bench_split s) {
    return s >= BENCH_TRAIN && s <= BENCH_HELDOUT ? &b->items[s] : NULL;
}

#endif
