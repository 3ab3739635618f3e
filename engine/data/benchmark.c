/* benchmark.c: the benchmark interface (benchmark.h): opening a shapes world or a dataset reader
 * with a class order and a task split, the per-class item lists of each split, and item images
 * at CLIP's eval geometry. */
#include "benchmark.h"

#include <ctype.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "class_order.h"
#include "core/common.h"
#include "io/image.h"
#include "dataset_impl.h"

#include "benchmark_internal.h"

/* ---- parameters ---- */

benchmark_params benchmark_default_params(void) {
    benchmark_params p;
    memset(&p, 0, sizeof p);
    snprintf(p.name, sizeof p.name, "shapes");
    snprintf(p.eval_split, sizeof p.eval_split, "test");
    p.order_seed = 1993;
    p.world_seed = 1;
    p.train_hard_rate = shapes_default_params().train_hard_rate;
    return p;
}

#define F(key, type, field, lo, hi, doc) \
    {"benchmark." key, type, offsetof(benchmark_params, field), lo, hi, 0, doc}
#define S(key, field, doc)                                                                      \
    {"benchmark." key, CFG_STRING, offsetof(benchmark_params, field), 0, 0,                     \
     sizeof(((benchmark_params *)0)->field), doc}
static const cfg_field fields[] = {
    S("name", name, "shapes, cifar100, cifar10, fashion-mnist, mnist, folder, imagenet-r, "
                    "imagenet100, cub200"),
    S("root", root, "data root (\"\" = the kind's default: $SEGP_DATA_ROOT or datasets)"),
    S("order", order, "class order: latin (shapes), random, identity or a class-order file "
                      "(\"\" = latin for shapes, identity otherwise)"),
    F("order_seed", CFG_U64, order_seed, 0, 4294967295.0,
      "seed of the random order (NumPy legacy)"),
    S("tasks", tasks, "task split B0-IncN / Bm-IncN, or a task count (\"\" = 10 equal tasks)"),
    F("train_per_class", CFG_INT, train_per_class, 0, 100000000,
      "first N training items of each class (0 = all; shapes: 500)"),
    F("test_per_class", CFG_INT, test_per_class, 0, 100000000,
      "first N test items of each class (0 = all; shapes: 20)"),
    F("world_seed", CFG_U64, world_seed, 0, CFG_MAX_EXACT_INT,
      "shapes world seed (other benchmarks: only the default)"),
    F("image_size", CFG_INT, image_size, 0, SHAPES_MAX_SIZE,
      "shapes render size (0 = render at the model's resolution; other benchmarks: only 0)"),
    F("train_hard_rate", CFG_FLOAT, train_hard_rate, 0, 1,
      "shapes: share of hard renditions among training images (other benchmarks: only the "
      "default)"),
    S("eval_split", eval_split, "what tasks are evaluated on: test, or val (training items "
                                "held out, for choosing settings without the test split)"),
    F("val_per_class", CFG_INT, val_per_class, 0, 100000000,
      "val: training items per class held out (0 = as many as the test split has; with "
      "eval_split test: only 0)"),
    S("split_file", split_file, "list file override ({} = the split name; \"\" = default): folder, "
                                "imagenet-r, imagenet100"),
    S("classes_file", classes_file, "class-name list override (\"\" = default): folder, "
                                    "imagenet-r, imagenet100, cub200"),
};
#undef F
#undef S

const cfg_field *benchmark_config_fields(int *n) {
    *n = (int)(sizeof fields / sizeof fields[0]);
    return fields;
}

/* ---- helpers ---- */

static const char *bench_dir(const benchmark_params *p) {
    if (p->benchmarks_dir[0]) return p->benchmarks_dir;
    const char *d = getenv("SEGP_BENCHMARKS_DIR");
    return d && *d ? d : "data/benchmarks";
}

static char **strings_dup(const char *const *s, int n) {
    char **out = segp_malloc((size_t)(n > 0 ? n : 1) * sizeof *out);
    for (int i = 0; i < n; i++) out[i] = segp_strdup(s[i]);
    return out;
}

static void list_add(item_list *l, int *cap, int label, int src) {
    if (l->n == *cap) {
        *cap = *cap ? 2 * *cap : 1024;
        l->label = segp_realloc(l->label, (size_t)*cap * sizeof *l->label);
        l->src = segp_realloc(l->src, (size_t)*cap * sizeof *l->src);
    }
    l->label[l->n] = label;
    l->src[l->n++] = src;
}

/* The first LIMIT items (0 = all) of each class of DS, in dataset order. */
static void list_from_dataset(item_list *l, const dataset *ds, int limit) {
    int nc = dataset_num_classes(ds), cap = 0;
    int *seen = segp_calloc((size_t)nc, sizeof *seen);
    for (int i = 0; i < dataset_count(ds); i++) {
        int y = dataset_label(ds, i);
        if (limit > 0 && seen[y] >= limit) continue;
        seen[y]++;
        list_add(l, &cap, y, i);
    }
    free(seen);
}

/* Labels 0..n_cls-1, PER items each (src = the index within the class: FIRST, FIRST+1, ...). */
static void list_shapes(item_list *l, int n_cls, int per, int first) {
    int cap = 0;
    for (int c = 0; c < n_cls; c++)
        for (int k = 0; k < per; k++) list_add(l, &cap, c, first + k);
}

/* Validation out of a dataset's training split: the last VAL[y] items of each class y go to
 * VAL_OUT, the first LIMIT (0 = all) of the rest to TRAIN_OUT (NULL: not listed). */
static int list_split_val(item_list *train_out, item_list *val_out, const dataset *ds, int limit,
                          const int *val, const char *const *names) {
    int nc = dataset_num_classes(ds), cap_t = 0, cap_v = 0;
    int *total = segp_calloc((size_t)nc, sizeof *total);
    int *seen = segp_calloc((size_t)nc, sizeof *seen);
    for (int i = 0; i < dataset_count(ds); i++) total[dataset_label(ds, i)]++;
    int rc = 0;
    for (int y = 0; y < nc && !rc; y++)
        if (val[y] >= total[y])
            rc = SEGP_FAIL("benchmark.val_per_class: %d held out of class %d (\"%s\"), which has "
                           "%d training items (expected fewer, so that training keeps some)",
                           val[y], y, names[y], total[y]);
    for (int i = 0; i < dataset_count(ds) && !rc; i++) {
        int y = dataset_label(ds, i), k = seen[y]++;
        if (k >= total[y] - val[y]) list_add(val_out, &cap_v, y, i);
        else if (train_out && (limit <= 0 || k < limit)) list_add(train_out, &cap_t, y, i);
    }
    val_out->from_train = 1;
    free(total);
    free(seen);
    return rc;
}

static int is_val(const benchmark_params *p) { return !strcmp(p->eval_split, "val"); }

/* split_file for SPLIT: "{}" replaced by the split name. */
static void split_file_for(const benchmark_params *p, const char *split, char *out, size_t n) {
    const char *at = strstr(p->split_file, "{}");
    if (!at) snprintf(out, n, "%s", p->split_file);
    else snprintf(out, n, "%.*s%s%s", (int)(at - p->split_file), p->split_file, split, at + 2);
}

static dataset *open_split(const benchmark_params *p, const char *split) {
    char sf[600];
    split_file_for(p, split, sf, sizeof sf);
    dataset_options o = {0};
    o.benchmarks_dir = p->benchmarks_dir[0] ? p->benchmarks_dir : NULL;
    o.split_file = sf[0] ? sf : NULL;
    o.classes_file = p->classes_file[0] ? p->classes_file : NULL;
    o.any_count = p->any_count;
    dataset *ds = dataset_open_ex(p->name, p->root[0] ? p->root : NULL, split, &o);
    if (!ds) segp_fail_prefix("benchmark.root (%s, %s split): ", p->name, split);
    return ds;
}

static int is_known_name(const char *name) {
    static const char *const kinds[] = {"shapes", "cifar10", "cifar100", "fashion-mnist",
                                        "mnist", "folder", "imagenet-r", "imagenet100",
                                        "cub200"};
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++)
        if (!strcmp(name, kinds[k])) return 1;
    return 0;
}

/* GIVEN (may be NULL): a whole world to use, whose fields replace the world keys of b->p. */
static int open_shapes(benchmark *b, const shapes_world_params *given) {
    benchmark_params *p = &b->p;
    shapes_world_params wp = shapes_default_params();
    if (given) {
        wp = *given;
        p->world_seed = wp.seed;
        p->image_size = wp.image_size;
        p->train_per_class = wp.train_per_class;
        p->test_per_class = wp.test_per_class;
        p->train_hard_rate = wp.train_hard_rate;
    }
    wp.seed = p->world_seed;
    if (p->image_size) wp.image_size = p->image_size;
    if (p->train_per_class) wp.train_per_class = p->train_per_class;
    if (p->test_per_class) wp.test_per_class = p->test_per_class;
    wp.train_hard_rate = p->train_hard_rate;
    if (p->image_size && (p->image_size < SHAPES_MIN_SIZE || p->image_size > SHAPES_MAX_SIZE))
        return SEGP_FAIL("benchmark.image_size: %d (expected 0 or %d..%d)", p->image_size,
                         SHAPES_MIN_SIZE, SHAPES_MAX_SIZE);
    if (!(p->train_hard_rate >= 0.0f && p->train_hard_rate <= 1.0f))
        return SEGP_FAIL("benchmark.train_hard_rate: %g (expected 0..1)",
                         (double)p->train_hard_rate);
    if (wp.train_per_class > SHAPES_MAX_PER_CLASS || wp.test_per_class > SHAPES_MAX_PER_CLASS) {
        int train = wp.train_per_class > SHAPES_MAX_PER_CLASS;
        return SEGP_FAIL("benchmark.%s_per_class: %d (expected at most %d for the shapes world, "
                         "whose items are listed: 100 classes of each)", train ? "train" : "test",
                         train ? wp.train_per_class : wp.test_per_class, SHAPES_MAX_PER_CLASS);
    }
    if (shapes_check_params(&wp)) return segp_fail_prefix("benchmark (shapes world): ");
    b->wp = wp;
    b->num_classes = SHAPES_N_CLASSES;
    b->names = segp_malloc((size_t)SHAPES_N_CLASSES * sizeof *b->names);
    b->num_heldout = SHAPES_N_HELDOUT;
    b->heldout_names = segp_malloc((size_t)SHAPES_N_HELDOUT * sizeof *b->heldout_names);
    char buf[64];
    for (int c = 0; c < SHAPES_N_CLASSES + SHAPES_N_HELDOUT; c++) {
        shapes_class_name(c, buf, sizeof buf);
        if (c < SHAPES_N_CLASSES) b->names[c] = segp_strdup(buf);
        else b->heldout_names[c - SHAPES_N_CLASSES] = segp_strdup(buf);
    }
    if (!p->eval_only)
        list_shapes(&b->items[BENCH_TRAIN], SHAPES_N_CLASSES, wp.train_per_class, 0);
    if (is_val(p)) {
        /* The renders after the training ones: the training distribution, never trained on. */
        int v = p->val_per_class ? p->val_per_class : wp.test_per_class;
        if ((int64_t)wp.train_per_class + v > SHAPES_MAX_PER_CLASS)
            return SEGP_FAIL("benchmark.val_per_class: %d after %d training items per class "
                             "(expected at most %d in all for the shapes world)", v,
                             wp.train_per_class, SHAPES_MAX_PER_CLASS);
        list_shapes(&b->items[BENCH_TEST], SHAPES_N_CLASSES, v, wp.train_per_class);
        list_shapes(&b->items[BENCH_HELDOUT], SHAPES_N_HELDOUT, v, 0);
        b->items[BENCH_TEST].from_train = b->items[BENCH_HELDOUT].from_train = 1;
        snprintf(b->eval_desc, sizeof b->eval_desc,
                 "val (%d training renders per class after the %d trained on)", v,
                 wp.train_per_class);
        return 0;
    }
    list_shapes(&b->items[BENCH_TEST], SHAPES_N_CLASSES, wp.test_per_class, 0);
    list_shapes(&b->items[BENCH_HELDOUT], SHAPES_N_HELDOUT, wp.test_per_class, 0);
    return 0;
}

static int open_dataset(benchmark *b) {
    benchmark_params *p = &b->p;
    if (p->split_file[0] && !strstr(p->split_file, "{}") &&
        (!strcmp(p->name, "folder") || !strcmp(p->name, "imagenet100")))
        return SEGP_FAIL("benchmark.split_file: \"%s\" would be the list of both splits of %s "
                         "(expected a name with {} for the split, e.g. \"lists/{}.txt\")",
                         p->split_file, p->name);
    if (!(b->ds[BENCH_TEST] = open_split(p, "test"))) return -1;
    if ((!p->eval_only || is_val(p)) && !(b->ds[BENCH_TRAIN] = open_split(p, "train"))) return -1;
    const dataset *te = b->ds[BENCH_TEST], *tr = b->ds[BENCH_TRAIN];
    b->num_classes = dataset_num_classes(te);
    if (tr) {
        /* Folder trees name classes by their folders: both splits must agree. */
        if (dataset_num_classes(tr) != b->num_classes)
            return SEGP_FAIL("benchmark.root (%s): the train split has %d classes, the test "
                             "split %d (expected the same classes in both%s)", p->name,
                             dataset_num_classes(tr), b->num_classes,
                             /* lists without a class list: each split counts to its top label */
                             !strcmp(p->name, "folder") && !p->classes_file[0]
                                 ? "; a \"path label\" list without classes.txt has as many "
                                   "classes as its highest label + 1: put the class names in "
                                   "ROOT/classes.txt or give benchmark.classes_file"
                                 : "");
        for (int c = 0; c < b->num_classes; c++)
            if (strcmp(dataset_class_name(tr, c), dataset_class_name(te, c)))
                return SEGP_FAIL("benchmark.root (%s): class %d is \"%s\" in the train split "
                                 "and \"%s\" in the test split (expected the same classes)",
                                 p->name, c, dataset_class_name(tr, c),
                                 dataset_class_name(te, c));
    }
    const char **nm = segp_malloc((size_t)b->num_classes * sizeof *nm);
    for (int c = 0; c < b->num_classes; c++) nm[c] = dataset_class_name(te, c);
    b->names = strings_dup(nm, b->num_classes);
    free(nm);
    if (is_val(p)) {
        /* As many per class as the test split would give, unless val_per_class says. */
        int *v = segp_calloc((size_t)b->num_classes, sizeof *v);
        for (int i = 0; i < dataset_count(te); i++) v[dataset_label(te, i)]++;
        int lo = -1, hi = 0;
        for (int c = 0; c < b->num_classes; c++) {
            if (p->val_per_class) v[c] = p->val_per_class;
            else if (p->test_per_class && v[c] > p->test_per_class) v[c] = p->test_per_class;
            lo = lo < 0 || v[c] < lo ? v[c] : lo;
            hi = v[c] > hi ? v[c] : hi;
        }
        int rc = list_split_val(p->eval_only ? NULL : &b->items[BENCH_TRAIN],
                                &b->items[BENCH_TEST], tr, p->train_per_class, v,
                                (const char *const *)b->names);
        free(v);
        if (rc) return -1;
        if (lo == hi)
            snprintf(b->eval_desc, sizeof b->eval_desc,
                     "val (the last %d training item%s of each class, never trained on)", lo,
                     lo == 1 ? "" : "s");
        else
            snprintf(b->eval_desc, sizeof b->eval_desc,
                     "val (the last %d-%d training items of each class, never trained on)", lo, hi);
        return 0;
    }
    if (tr) list_from_dataset(&b->items[BENCH_TRAIN], tr, p->train_per_class);
    list_from_dataset(&b->items[BENCH_TEST], te, p->test_per_class);
    return 0;
}

/* A class-order file named by ORDER: the path itself, or a bare name in the benchmarks
 * directory; NULL + error naming benchmark.order when neither exists. */
static char *order_file(const benchmark_params *p, const char *o) {
    char *path = segp_strdup(o);
    if (!ds_is_file(path) && !strchr(o, '/')) {
        char *alt = ds_join(bench_dir(p), o);
        if (ds_is_file(alt)) free(path), path = alt;
        else free(alt);
    }
    if (!ds_is_file(path)) {
        SEGP_FAIL("benchmark.order: \"%s\" is not latin, random, identity or an existing "
                  "class-order file (looked in the working directory and %s)", o, bench_dir(p));
        free(path);
        return NULL;
    }
    return path;
}

static const char *order_of(const benchmark_params *p, int is_shapes) {
    return p->order[0] ? p->order : is_shapes ? "latin" : "identity";
}

/* What can be checked before any data is read: the order's kind and seed, a task count. */
static int precheck(const benchmark_params *p, int is_shapes) {
    if (p->eval_split[0] && strcmp(p->eval_split, "test") && strcmp(p->eval_split, "val"))
        return SEGP_FAIL("benchmark.eval_split: \"%s\" (expected test or val)", p->eval_split);
    if (p->val_per_class < 0)
        return SEGP_FAIL("benchmark.val_per_class: %d (expected 0 = as many as the test split "
                         "has, or a count)", p->val_per_class);
    if (p->val_per_class && !is_val(p))
        return SEGP_FAIL("benchmark.val_per_class: %d holds training items out only for "
                         "benchmark.eval_split \"val\", and eval_split is \"%s\" (expected 0, or "
                         "eval_split \"val\")", p->val_per_class,
                         p->eval_split[0] ? p->eval_split : "test");
    /* the shapes world reads no files: a data key given for it would be silently unused */
    const char *unused = !is_shapes ? NULL : p->root[0] ? "root" : p->split_file[0] ? "split_file"
                         : p->classes_file[0] ? "classes_file" : NULL;
    if (unused)
        return SEGP_FAIL("benchmark.%s: \"%s\" means nothing for the shapes world, which draws its "
                         "images and names its classes itself (expected \"\", or another "
                         "benchmark.name)", unused, !strcmp(unused, "root") ? p->root
                         : !strcmp(unused, "split_file") ? p->split_file : p->classes_file);
    /* nor do CIFAR and the IDX sets read a list (CUB: a class list only); dataset.h */
    int lists = !strcmp(p->name, "folder") || !strcmp(p->name, "imagenet-r") ||
                !strcmp(p->name, "imagenet100");
    unused = is_shapes || lists ? NULL : p->split_file[0] ? "split_file"
             : p->classes_file[0] && strcmp(p->name, "cub200") ? "classes_file" : NULL;
    if (unused)
        return SEGP_FAIL("benchmark.%s: \"%s\" means nothing for %s, which reads no such list "
                         "(expected \"\"; %s)", unused, unused[0] == 's' ? p->split_file
                         : p->classes_file, p->name, unused[0] == 's'
                         ? "folder, imagenet-r and imagenet100 read a split list"
                         : "folder, imagenet-r, imagenet100 and cub200 read a class list");
    /* and a dataset draws nothing: the world's keys away from their defaults would be unused
     * (a run's written-back config holds the defaults, so it still loads) */
    benchmark_params d = benchmark_default_params();
    const char *world = is_shapes ? NULL
                        : p->world_seed != d.world_seed ? "world_seed"
                        : p->image_size != d.image_size ? "image_size"
                        : !(p->train_hard_rate == d.train_hard_rate) ? "train_hard_rate" : NULL;
    if (world) {
        char got[32], want[32];
        if (!strcmp(world, "world_seed")) {
            snprintf(got, sizeof got, "%llu", (unsigned long long)p->world_seed);
            snprintf(want, sizeof want, "%llu", (unsigned long long)d.world_seed);
        } else if (!strcmp(world, "image_size")) {
            snprintf(got, sizeof got, "%d", p->image_size);
            snprintf(want, sizeof want, "%d", d.image_size);
        } else {
            snprintf(got, sizeof got, "%g", (double)p->train_hard_rate);
            snprintf(want, sizeof want, "%g", (double)d.train_hard_rate);
        }
        return SEGP_FAIL("benchmark.%s: %s is a setting of the shapes world, which %s does not "
                         "use: its images are read from files (expected %s, the default, or "
                         "benchmark.name \"shapes\")", world, got, p->name, want);
    }
    const char *o = order_of(p, is_shapes);
    if (!strcmp(o, "latin") && !is_shapes)
        return SEGP_FAIL("benchmark.order: \"latin\" is the shapes world's order (expected "
                         "random, identity or a class-order file for %s)", p->name);
    if (!strcmp(o, "random") && p->order_seed > 0xffffffffull)
        return SEGP_FAIL("benchmark.order_seed: %llu (expected 0..4294967295, NumPy's seed "
                         "range)", (unsigned long long)p->order_seed);
    if (strcmp(o, "latin") && strcmp(o, "random") && strcmp(o, "identity")) {
        char *path = order_file(p, o);
        if (!path) return -1;
        free(path);
    }
    const char *t = p->tasks;
    while (isspace((unsigned char)*t)) t++;
    if (*t == '-' || isdigit((unsigned char)*t)) {
        char *end;
        long k = strtol(t, &end, 10);
        if (*end)
            return SEGP_FAIL("benchmark.tasks: \"%s\" (expected B0-IncN, Bm-IncN or a task "
                             "count)", p->tasks);
        if (k <= 0) return SEGP_FAIL("benchmark.tasks: %ld tasks (expected at least 1)", k);
    }
    return 0;
}

static int make_order(benchmark *b) {
    const benchmark_params *p = &b->p;
    int n = b->num_classes;
    const char *o = order_of(p, b->is_shapes);
    b->order = segp_malloc((size_t)n * sizeof *b->order);
    if (!strcmp(o, "latin")) {
        shapes_class_order(0, b->order);
        snprintf(b->order_desc, sizeof b->order_desc, "latin");
    } else if (!strcmp(o, "random")) {
        class_order_shuffle(n, (uint32_t)p->order_seed, b->order);
        snprintf(b->order_desc, sizeof b->order_desc, "random seed %llu",
                 (unsigned long long)p->order_seed);
    } else if (!strcmp(o, "identity")) {
        class_order_identity(n, b->order);
        snprintf(b->order_desc, sizeof b->order_desc, "identity");
    } else {
        char *path = order_file(p, o);
        if (!path) return -1;
        int *ord = NULL, cnt = 0;
        int rc = class_order_load(path, n, &ord, &cnt);
        if (rc == 0) memcpy(b->order, ord, (size_t)n * sizeof *ord);
        free(ord);
        snprintf(b->order_desc, sizeof b->order_desc, "file %s", path);
        free(path);
        if (rc) return segp_fail_prefix("benchmark.order: ");
    }
    b->pos = segp_malloc((size_t)n * sizeof *b->pos);
    class_order_inverse(b->order, n, b->pos);
    return 0;
}

static int make_tasks(benchmark *b) {
    const char *t = b->p.tasks;
    int n = b->num_classes, rc;
    const char *s = t;
    while (isspace((unsigned char)*s)) s++;
    if (!*s || isdigit((unsigned char)*s) || *s == '-') {
        long k = 10;
        if (*s) {
            char *end;
            k = strtol(s, &end, 10);
            if (*end)
                return SEGP_FAIL("benchmark.tasks: \"%s\" (expected B0-IncN, Bm-IncN or a task "
                                 "count)", t);
        }
        if (k <= 0)
            return SEGP_FAIL("benchmark.tasks: %ld tasks (expected at least 1)", k);
        if (k > n)
            return SEGP_FAIL("benchmark.tasks: %ld tasks for %d classes (expected at most %d, "
                             "one class per task)", k, n, n);
        if (n % k)
            return SEGP_FAIL("benchmark.tasks: %d classes do not divide into %ld equal tasks "
                             "(expected a count that divides %d, or Bm-IncN)", n, k, n);
        rc = task_split_make(n, 0, (int)(n / k), &b->split);
    } else {
        rc = task_split_parse(s, n, &b->split);
    }
    if (rc) return segp_fail_prefix("benchmark.tasks: ");
    if (b->split.base > 0)
        snprintf(b->tasks_desc, sizeof b->tasks_desc, "B%d-Inc%d", b->split.base, b->split.inc);
    else snprintf(b->tasks_desc, sizeof b->tasks_desc, "B0-Inc%d", b->split.inc);
    b->task_of = segp_malloc((size_t)n * sizeof *b->task_of);
    for (int c = 0; c < n; c++) b->task_of[c] = task_split_task_of(&b->split, b->pos[c]);
    return 0;
}

static benchmark *open_any(const benchmark_params *p, const shapes_world_params *world) {
    if (!is_known_name(p->name)) {
        SEGP_FAIL("benchmark.name: \"%s\" unknown (expected shapes, %s)", p->name,
                  dataset_kinds());
        return NULL;
    }
    if (p->train_per_class < 0 || p->test_per_class < 0) {
        SEGP_FAIL("benchmark.%s_per_class: %d (expected 0 = all, or a count)",
                  p->train_per_class < 0 ? "train" : "test",
                  p->train_per_class < 0 ? p->train_per_class : p->test_per_class);
        return NULL;
    }
    if (precheck(p, !strcmp(p->name, "shapes"))) return NULL;
    benchmark *b = segp_calloc(1, sizeof *b);
    pthread_mutex_init(&b->cache_lock, NULL);
    b->p = *p;
    b->is_shapes = !strcmp(p->name, "shapes");
    snprintf(b->eval_desc, sizeof b->eval_desc, "test");
    int rc = b->is_shapes ? open_shapes(b, world) : open_dataset(b);
    if (!rc) rc = make_order(b);
    if (!rc) rc = make_tasks(b);
    if (rc) {
        benchmark_free(b);
        return NULL;
    }
    return b;
}

benchmark *benchmark_open(const benchmark_params *p) { return open_any(p, NULL); }

benchmark *benchmark_open_shapes(const benchmark_params *p, const shapes_world_params *world) {
    benchmark_params q = *p;
    snprintf(q.name, sizeof q.name, "shapes");
    return open_any(&q, world);
}

void benchmark_free(benchmark *b) {
    if (!b) return;
    for (int s = 0; s < 2; s++) dataset_free(b->ds[s]);
    ds_free_strings(b->names, b->names ? b->num_classes : 0);
    ds_free_strings(b->heldout_names, b->heldout_names ? b->num_heldout : 0);
    free(b->order);
    free(b->pos);
    free(b->task_of);
    task_split_free(&b->split);
    for (int s = 0; s < 3; s++) {
        free(b->items[s].label);
        free(b->items[s].src);
        free(b->cache[s].rgb);
        free((void *)b->cache[s].state);
    }
    pthread_mutex_destroy(&b->cache_lock);
    free(b);
}

/* ---- access ---- */

const char *benchmark_name(const benchmark *b) { return b->p.name; }
const benchmark_params *benchmark_params_of(const benchmark *b) { return &b->p; }
int benchmark_num_classes(const benchmark *b) { return b->num_classes; }

const char *benchmark_class_name(const benchmark *b, int label) {
    return label >= 0 && label < b->num_classes ? b->names[label] : NULL;
}

const int *benchmark_order(const benchmark *b) { return b->order; }
const char *benchmark_order_desc(const benchmark *b) { return b->order_desc; }
const char *benchmark_tasks_desc(const benchmark *b) { return b->tasks_desc; }
const char *benchmark_eval_desc(const benchmark *b) { return b->eval_desc; }
int benchmark_is_val(const benchmark *b) { return is_val(&b->p); }
int benchmark_num_tasks(const benchmark *b) { return b->split.num_tasks; }

int benchmark_task_classes(const benchmark *b, int t, const int **labels) {
    return task_split_classes(&b->split, b->order, t, labels);
}

int benchmark_task_of(const benchmark *b, int label) {
    return label >= 0 && label < b->num_classes ? b->task_of[label] : -1;
}

int benchmark_num_heldout(const benchmark *b) { return b->num_heldout; }

const char *benchmark_heldout_name(const benchmark *b, int k) {
    return k >= 0 && k < b->num_heldout ? b->heldout_names[k] : NULL;
}

int benchmark_split_classes(const benchmark *b, bench_split s) {
    return s == BENCH_HELDOUT ? b->num_heldout : b->num_classes;
}

int benchmark_count(const benchmark *b, bench_split s) {
    const item_list *l = items_of(b, s);
    return l ? l->n : 0;
}

int benchmark_label(const benchmark *b, bench_split s, int i) {
    const item_list *l = items_of(b, s);
    return l && i >= 0 && i < l->n ? l->label[i] : -1;
}

int benchmark_select(const benchmark *b, bench_split s, const uint8_t *mask, int **idx) {
    const item_list *l = items_of(b, s);
    int n = 0, total = l ? l->n : 0;
    for (int i = 0; i < total; i++) n += !mask || mask[l->label[i]];
    int *out = segp_malloc((size_t)(n ? n : 1) * sizeof *out);
    n = 0;
    for (int i = 0; i < total; i++)
        if (!mask || mask[l->label[i]]) out[n++] = i;
    *idx = out;
    return n;
}
