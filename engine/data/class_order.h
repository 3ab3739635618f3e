/* class_order.h: class orders and task splits for class-incremental learning.
 *
 * A class order is a permutation of the dataset's labels 0..C-1: order[k] is the label of the
 * k-th class in learning order, so task t learns the labels order[start[t] .. start[t+1]-1].
 * Orders come from a file or a seeded shuffle. Files are either
 *   YAML:  class_order: [87, 0, 52, ...]      (a flow list, may span lines), or
 *          class_order:                       (a block list)
 *            - 87
 *            - 0
 *          (only the class_order key is read; other top-level keys are ignored), or
 *   plain: integers separated by whitespace and/or commas, optionally inside one [ ] pair
 *          (cifar100_order_pycil_seed1993.txt is this form).
 * '#' starts a comment to the end of the line in both.
 *
 * The seeded shuffle is NumPy's legacy np.random.seed(seed); np.random.permutation(C) (MT19937,
 * bounded draws by masked rejection), which is how PyCIL-family code makes its class orders:
 * seed 1993 on 100 classes gives cifar100_order_pycil_seed1993.txt.
 *
 * Task splits: "B0-IncN" = C/N tasks of N classes; "Bm-IncN" = a first task of m classes, then
 * tasks of N. Both fail when the counts do not divide. */
#ifndef SEGP_CLASS_ORDER_H
#define SEGP_CLASS_ORDER_H

#include <stdint.h>

/* Parse TEXT (either format); WHAT names the source in messages. *order malloc'ed (free()).
 * Does not check that it is a permutation (class_order_check does). */
int class_order_parse(const char *text, const char *what, int **order, int *n);

/* Read PATH and check the result is a permutation of 0..n-1; NUM_CLASSES > 0: n must equal it. */
int class_order_load(const char *path, int num_classes, int **order, int *n);

/* -1 + error (naming WHAT and the missing, duplicated or out-of-range class) unless ORDER is a
 * permutation of 0..n-1. */
int class_order_check(const int *order, int n, const char *what);

void class_order_identity(int n, int *order);
/* NumPy legacy permutation: np.random.seed(seed); np.random.permutation(n). */
void class_order_shuffle(int n, uint32_t seed, int *order);
/* pos[order[k]] = k: the position of each label in the order. */
void class_order_inverse(const int *order, int n, int *pos);

typedef struct {
    int num_classes, num_tasks, base, inc;
    int *start; /* num_tasks + 1 entries: task t = positions start[t] .. start[t+1]-1 */
} task_split;

/* BASE = 0: C/INC tasks of INC classes; BASE > 0: a task of BASE classes, then tasks of INC. */
int task_split_make(int num_classes, int base, int inc, task_split *out);
/* SPEC "B0-Inc10", "B50-Inc5" (case-insensitive, the '-' optional). */
int task_split_parse(const char *spec, int num_classes, task_split *out);
void task_split_free(task_split *s);
/* Task holding order position POS (0..num_classes-1), or -1. */
int task_split_task_of(const task_split *s, int pos);
/* Classes of task T: *classes = order + start[t]; returns their count (-1 if t is out of range). */
int task_split_classes(const task_split *s, const int *order, int t, const int **classes);

#endif
