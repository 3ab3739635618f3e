/* cmd_shapes.c: `segp shapes`, a look at the procedural shapes world: a PNG grid of samples with
 * their captions / class names, pretraining captions, and the CL class list per task. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/common.h"
#include "data/shapes.h"
#include "io/image.h"
#include "cli_util.h"
#include "commands.h"

#define GRID_GAP 2         /* output pixels between cells */
#define GRID_MIN_WIDTH 512 /* default scale makes the grid at least this wide */
#define GRID_MAX_SIDE 16384

static void usage(FILE *f) {
    fprintf(f,
            "usage: segp shapes [--grid OUT.png] [--captions N] [--classes] [options]\n\n"
            "The built-in procedural world: images of coloured shapes with captions, and the\n"
            "100-class continual-learning benchmark made from it (10 tasks of 10 classes).\n\n"
            "actions (at least one):\n"
            "  --grid PATH        write a PNG grid of samples and print what each cell shows\n"
            "                     (row col, then the caption, or class id, name and rendition)\n"
            "  --captions N       print the captions of N pretraining samples, one per line\n"
            "  --classes          print the class order: the 10 tasks and their classes\n"
            "                     (with --task T, task T's only)\n\n"
            "options:\n"
            "  --seed S           world seed (default 1)\n"
            "  --size N           image side in pixels, %d..%d (default 32)\n"
            "  --split NAME       pretrain (image-caption stream, default), train or test (the\n"
            "                     CL benchmark; test has many hard renditions); --captions is\n"
            "                     pretrain only\n"
            "  --task T           --classes, or --grid with train/test: the classes of task T\n"
            "                     (1..10); without it cells walk all 100 classes in class order\n"
            "  --rows R, --cols C grid shape, 1..64 (default 8 x 8 for pretrain; 10 x 10 for\n"
            "                     train/test, where column c shows class c of the list)\n"
            "  --scale K          integer nearest-neighbour zoom, 1..32 (default: the smallest\n"
            "                     making the grid at least %d pixels wide)\n"
            "  --start I          first sample index (default 0)\n"
            "  --shape-group G    pretrain only: G consecutive scenes share colour, size and\n"
            "                     position and differ in shape, 1..12 (default 1)\n"
            "  --rendition NAME   force a rendition on every shown sample: standard, outline,\n"
            "                     striped, checkered, dotted, blur, noise, low-contrast\n\n"
            "The grid is cols * (size * K + %d) + %d pixels wide (rows likewise), cells separated\n"
            "by dark lines. For the CL splits, cell k shows class list[k %% n] at sample index\n"
            "start + k / n (n = 10 with --task, else 100).\n",
            SHAPES_MIN_SIZE, SHAPES_MAX_SIZE, GRID_MIN_WIDTH, GRID_GAP, GRID_GAP);
}

static int bad_value(const char *opt, const char *val, const char *expected) {
    fprintf(stderr, "segp: error: %s '%s': expected %s\n", opt, val, expected);
    return 2;
}

/* Parse a decimal integer in [lo, hi]; 0 on success. */
static int parse_int(const char *s, long long lo, long long hi, long long *out) {
    if (!s || !*s) return -1;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end || v < lo || v > hi) return -1;
    *out = v;
    return 0;
}

static int parse_u64(const char *s, uint64_t *out) {
    if (!s || !*s || *s == '-' || *s == '+') return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end) return -1;
    *out = (uint64_t)v;
    return 0;
}

typedef struct {
    shapes_world_params p;
    int split, task, rows, cols, scale, rendition;
    uint64_t start;
} grid_opts;

/* Describe cell k and build its sample. */
static int cell_sample(const grid_opts *o, const int *order, int k, shapes_sample_desc *d,
                       char *text, size_t n) {
    char caption[SHAPES_CAPTION_MAX];
    if (o->split == SHAPES_SPLIT_PRETRAIN) {
        uint64_t index = o->start + (uint64_t)k;
        shapes_pretrain_sample(&o->p, index, d, caption, sizeof caption);
        if (o->rendition >= 0) shapes_desc_set_rendition(d, o->rendition);
        snprintf(text, n, "%s", caption);
        return 0;
    }
    int n_list = o->task > 0 ? SHAPES_CLASSES_PER_TASK : SHAPES_N_CLASSES;
    const int *list = o->task > 0 ? order + (o->task - 1) * SHAPES_CLASSES_PER_TASK : order;
    int cls = list[k % n_list];
    uint64_t index = o->start + (uint64_t)(k / n_list);
    if (shapes_cl_sample(&o->p, o->split, cls, index, d) != 0) return -1;
    if (o->rendition >= 0) shapes_desc_set_rendition(d, o->rendition);
    char name[64];
    shapes_class_name(cls, name, sizeof name);
    snprintf(text, n, "class %d (%s) index %llu %s", cls, name, (unsigned long long)index,
             shapes_rendition_name(d->rendition));
    return 0;
}

static int write_grid(const grid_opts *o, const char *path) {
    int size = o->p.image_size, cell = size * o->scale + GRID_GAP;
    image_rgb grid = {o->cols * cell + GRID_GAP, o->rows * cell + GRID_GAP, NULL};
    grid.rgb = segp_malloc((size_t)grid.width * (size_t)grid.height * 3);
    memset(grid.rgb, 32, (size_t)grid.width * (size_t)grid.height * 3);
    uint8_t *tile = segp_malloc((size_t)size * (size_t)size * 3);
    int order[SHAPES_N_CLASSES];
    shapes_class_order(o->p.order_seed, order);
    int rc = 0;
    for (int k = 0; k < o->rows * o->cols && rc == 0; k++) {
        shapes_sample_desc d;
        char text[256];
        if (cell_sample(o, order, k, &d, text, sizeof text) != 0 ||
            shapes_render_into(&d, size, tile) != 0) {
            rc = -1;
            break;
        }
        int r = k / o->cols, c = k % o->cols;
        printf("%d %d  %s\n", r, c, text);
        int x0 = GRID_GAP + c * cell, y0 = GRID_GAP + r * cell;
        for (int y = 0; y < size * o->scale; y++)
            for (int x = 0; x < size * o->scale; x++) {
                const uint8_t *s =
                    tile + ((size_t)(y / o->scale) * (size_t)size + (size_t)(x / o->scale)) * 3;
                uint8_t *t =
                    grid.rgb + ((size_t)(y0 + y) * (size_t)grid.width + (size_t)(x0 + x)) * 3;
                t[0] = s[0], t[1] = s[1], t[2] = s[2];
            }
    }
    if (rc == 0) rc = image_write_png(path, &grid);
    free(tile);
    free(grid.rgb);
    return rc;
}

/* The tasks' classes in order (only task o->task's with --task), then the held-out ones. */
static void print_classes(const grid_opts *o) {
    int order[SHAPES_N_CLASSES];
    shapes_class_order(o->p.order_seed, order);
    char name[64];
    for (int t = 0; t < SHAPES_N_TASKS; t++) {
        if (o->task && t != o->task - 1) continue;
        printf("task %d:", t + 1);
        for (int k = 0; k < SHAPES_CLASSES_PER_TASK; k++) {
            int cls = order[t * SHAPES_CLASSES_PER_TASK + k];
            shapes_class_name(cls, name, sizeof name);
            printf("%s %d %s", k ? "," : "", cls, name);
        }
        printf("\n");
    }
    if (o->task) return;
    printf("held-out:");
    for (int cls = SHAPES_N_CLASSES; cls < SHAPES_N_CLASSES + SHAPES_N_HELDOUT; cls++) {
        shapes_class_name(cls, name, sizeof name);
        printf("%s %d %s", cls > SHAPES_N_CLASSES ? "," : "", cls, name);
    }
    printf("\n");
}

int cmd_shapes(int argc, char **argv) {
    grid_opts o = {.p = shapes_default_params(), .split = SHAPES_SPLIT_PRETRAIN, .rendition = -1};
    const char *grid_path = NULL;
    long long n_captions = -1;
    int classes = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (app_is_help(a)) {
            usage(stdout);
            return 0;
        }
        if (!strcmp(a, "--classes")) {
            classes = 1;
            continue;
        }
        if (strncmp(a, "--", 2) != 0) {
            fprintf(stderr, "segp: error: unexpected argument '%s' (see segp shapes --help)\n", a);
            return 2;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "segp: error: %s needs a value (see segp shapes --help)\n", a);
            return 2;
        }
        const char *v = argv[++i];
        long long x;
        if (!strcmp(a, "--grid")) {
            if (!*v) return bad_value(a, v, "a file path");
            grid_path = v;
        } else if (!strcmp(a, "--captions")) {
            if (parse_int(v, 0, 10000000, &n_captions))
                return bad_value(a, v, "a count 0..10000000");
        } else if (!strcmp(a, "--shape-group")) {
            if (parse_int(v, 1, SHAPES_N_SHAPES, &x)) return bad_value(a, v, "a group size 1..12");
            o.p.shape_group = (int)x;
        } else if (!strcmp(a, "--seed")) {
            if (parse_u64(v, &o.p.seed)) return bad_value(a, v, "an unsigned 64-bit integer");
        } else if (!strcmp(a, "--size")) {
            if (parse_int(v, SHAPES_MIN_SIZE, SHAPES_MAX_SIZE, &x))
                return bad_value(a, v, "an image side in pixels, 8..1024");
            o.p.image_size = (int)x;
        } else if (!strcmp(a, "--split")) {
            if (!strcmp(v, "pretrain"))
                o.split = SHAPES_SPLIT_PRETRAIN;
            else if (!strcmp(v, "train"))
                o.split = SHAPES_SPLIT_TRAIN;
            else if (!strcmp(v, "test"))
                o.split = SHAPES_SPLIT_TEST;
            else
                return bad_value(a, v, "pretrain, train or test");
        } else if (!strcmp(a, "--task")) {
            if (parse_int(v, 1, SHAPES_N_TASKS, &x)) return bad_value(a, v, "a task number 1..10");
            o.task = (int)x;
        } else if (!strcmp(a, "--rows") || !strcmp(a, "--cols")) {
            if (parse_int(v, 1, 64, &x)) return bad_value(a, v, "an integer 1..64");
            if (a[2] == 'r')
                o.rows = (int)x;
            else
                o.cols = (int)x;
        } else if (!strcmp(a, "--scale")) {
            if (parse_int(v, 1, 32, &x)) return bad_value(a, v, "an integer 1..32");
            o.scale = (int)x;
        } else if (!strcmp(a, "--start")) {
            if (parse_u64(v, &o.start)) return bad_value(a, v, "a sample index >= 0");
        } else if (!strcmp(a, "--rendition")) {
            o.rendition = shapes_rendition_from_name(v);
            if (o.rendition < 0)
                return bad_value(a, v,
                                 "standard, outline, striped, checkered, dotted, blur, "
                                 "noise or low-contrast");
        } else {
            fprintf(stderr, "segp: error: unknown option '%s' (see segp shapes --help)\n", a);
            return 2;
        }
    }
    if (!grid_path && n_captions < 0 && !classes) {
        fprintf(stderr, "segp: error: nothing to do: give --grid PATH, --captions N or --classes "
                        "(see segp shapes --help)\n");
        return 2;
    }
    /* an option that an action would pass over is refused, not ignored */
    if (n_captions >= 0 && (o.split != SHAPES_SPLIT_PRETRAIN || o.task)) {
        fprintf(stderr, "segp: error: --captions prints pretraining captions and takes no %s "
                        "(the CL splits have class names: --classes, or --grid with --split "
                        "train|test; see segp shapes --help)\n",
                o.task ? "--task" : "--split train|test");
        return 2;
    }
    if (o.task && o.split == SHAPES_SPLIT_PRETRAIN && grid_path) {
        fprintf(stderr, "segp: error: --task needs --split train or --split test\n");
        return 2;
    }
    int cl = o.split != SHAPES_SPLIT_PRETRAIN;
    if (!o.rows) o.rows = cl ? 10 : 8;
    if (!o.cols) o.cols = cl ? 10 : 8;
    if (!o.scale) {
        int w = o.cols * o.p.image_size;
        o.scale = (GRID_MIN_WIDTH + w - 1) / w;
        if (o.scale < 1) o.scale = 1;
        if (o.scale > 32) o.scale = 32;
    }
    long long side = (long long)(o.rows > o.cols ? o.rows : o.cols) *
                         ((long long)o.p.image_size * o.scale + GRID_GAP) +
                     GRID_GAP;
    if (grid_path && side > GRID_MAX_SIDE) {
        fprintf(stderr,
                "segp: error: grid would be %lld pixels on a side (at most %d): use "
                "fewer rows/cols or a smaller --scale/--size\n",
                side, GRID_MAX_SIDE);
        return 2;
    }
    /* before anything is printed: a grid that cannot be written leaves no listing of it */
    if (grid_path && cli_check_out_file(grid_path) != 0) return app_report_error();

    if (classes) print_classes(&o);
    for (long long i = 0; i < n_captions; i++) {
        shapes_sample_desc d;
        char caption[SHAPES_CAPTION_MAX];
        shapes_pretrain_sample(&o.p, o.start + (uint64_t)i, &d, caption, sizeof caption);
        printf("%s\n", caption);
    }
    if (grid_path && write_grid(&o, grid_path) != 0) return app_report_error();
    return 0;
}
