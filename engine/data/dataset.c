/* dataset.c: the dataset interface (dataset.h): opening by kind, item access, and the helpers the
 * readers share (item storage, paths, text lists, class-name lists). The format readers live in
 * read_cifar.c, read_idx.c and read_folder.c. */
#include "dataset_impl.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/common.h"

static const char *const fashion_names[10] = {
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot",
};
static const char *const digit_names[10] = {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"};

#define FASHION_DEFAULT_ROOT "/usr/share/datasets/fashion-mnist"

/* ---- item storage ---- */

dataset *ds_new(const char *kind) {
    dataset *ds = segp_calloc(1, sizeof *ds);
    snprintf(ds->kind, sizeof ds->kind, "%s", kind);
    return ds;
}

static void grow_items(dataset *ds, int need) {
    if (need <= ds->cap) return;
    int cap = ds->cap ? ds->cap : 256;
    while (cap < need) cap *= 2;
    ds->labels = segp_realloc(ds->labels, (size_t)cap * sizeof *ds->labels);
    ds->cap = cap;
}

void ds_reserve(dataset *ds, int n) {
    grow_items(ds, n);
    ds->count = n;
}

void ds_add_file(dataset *ds, const char *path, int label) {
    int had = ds->cap;
    grow_items(ds, ds->count + 1);
    if (ds->cap != had || !ds->path_off)
        ds->path_off = segp_realloc(ds->path_off, (size_t)ds->cap * sizeof *ds->path_off);
    size_t len = strlen(path) + 1;
    if (ds->paths_len + len > ds->paths_cap) {
        size_t cap = ds->paths_cap ? ds->paths_cap : 4096;
        while (cap < ds->paths_len + len) cap *= 2;
        ds->paths = segp_realloc(ds->paths, cap);
        ds->paths_cap = cap;
    }
    memcpy(ds->paths + ds->paths_len, path, len);
    ds->path_off[ds->count] = (int64_t)ds->paths_len;
    ds->paths_len += len;
    ds->labels[ds->count++] = label;
}

void ds_set_class_names(dataset *ds, char **names, int n) {
    ds_free_strings(ds->class_names, ds->num_classes);
    for (int c = 0; c < n; c++)
        for (char *p = names[c]; *p; p++)
            if (*p == '_') *p = ' ';
    ds->class_names = names;
    ds->num_classes = n;
}

void ds_numbered_class_names(dataset *ds, int n) {
    char **names = segp_malloc((size_t)(n > 0 ? n : 1) * sizeof *names);
    for (int c = 0; c < n; c++) {
        char buf[16];
        snprintf(buf, sizeof buf, "%d", c);
        names[c] = segp_strdup(buf);
    }
    ds_set_class_names(ds, names, n);
}

int ds_check_labels(const dataset *ds, const char *what) {
    for (int i = 0; i < ds->count; i++)
        if (ds->labels[i] < 0 || ds->labels[i] >= ds->num_classes)
            return SEGP_FAIL("%s: item %d has label %d (expected 0..%d)", what, i,
                             (int)ds->labels[i], ds->num_classes - 1);
    return 0;
}

void ds_free_strings(char **s, int n) {
    if (!s) return;
    for (int i = 0; i < n; i++) free(s[i]);
    free(s);
}

/* ---- paths ---- */

char *ds_join(const char *a, const char *b) {
    size_t la = strlen(a), lb = strlen(b);
    char *p = segp_malloc(la + lb + 2);
    memcpy(p, a, la);
    size_t k = la;
    if (la && a[la - 1] != '/') p[k++] = '/';
    memcpy(p + k, b, lb + 1);
    return p;
}

int ds_is_file(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

int ds_is_dir(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

char *ds_bench_file(const dataset_options *opt, const char *name) {
    const char *dir =
        opt && opt->benchmarks_dir ? opt->benchmarks_dir : getenv("SEGP_BENCHMARKS_DIR");
    if (!dir || !*dir) dir = "data/benchmarks";
    return ds_join(dir, name);
}

char *ds_find_in(const char *root, const char *sub, const char *name, char **dir) {
    for (int k = 0; k < 2; k++) {
        char *d = k == 0 ? ds_join(root, sub) : segp_strdup(root);
        char *p = ds_join(d, name);
        if (ds_is_file(p)) {
            if (dir) *dir = d;
            else free(d);
            return p;
        }
        free(p);
        free(d);
    }
    if (dir) *dir = NULL;
    return NULL;
}

/* ---- text lists ---- */

/* Split DATA (SIZE bytes, NUL at DATA[SIZE], owned: kept as *text or freed) into lines. */
static int split_lines(uint8_t *data, size_t size, const char *path, char **text, char ***lines,
                       int *n) {
    *text = NULL;
    *lines = NULL;
    *n = 0;
    if (memchr(data, 0, size))
        return free(data), SEGP_FAIL("%s: contains NUL bytes (expected a text file)", path);
    if (size > (size_t)1 << 30)
        return free(data), SEGP_FAIL("%s: %zu bytes (expected a list file under 1 GiB)", path,
                                     size);
    int cap = 64, cnt = 0;
    char **ls = segp_malloc((size_t)cap * sizeof *ls);
    char *s = (char *)data, *end = s + size;
    while (s < end) {
        char *nl = memchr(s, '\n', (size_t)(end - s));
        char *e = nl ? nl : end;
        *e = 0;
        if (e > s && e[-1] == '\r') e[-1] = 0;
        if (cnt == cap) ls = segp_realloc(ls, (size_t)(cap *= 2) * sizeof *ls);
        ls[cnt++] = s;
        s = e + 1;
    }
    *text = (char *)data;
    *lines = ls;
    *n = cnt;
    return 0;
}

int ds_read_lines(const char *path, char **text, char ***lines, int *n) {
    uint8_t *data;
    size_t size;
    *text = NULL;
    *lines = NULL;
    *n = 0;
    if (segp_read_file(path, &data, &size)) return -1;
    return split_lines(data, size, path, text, lines, n);
}

int ds_lines_parse(const void *data, size_t size, const char *what, char **text, char ***lines,
                   int *n) {
    uint8_t *copy = segp_malloc(size + 1);
    if (size) memcpy(copy, data, size);
    copy[size] = 0;
    return split_lines(copy, size, what, text, lines, n);
}

static char *trim(char *s) {
    while (*s == ' ' || *s == '\t') s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t')) s[--n] = 0;
    return s;
}

static int all_digits(const char *s, size_t n) {
    if (!n) return 0;
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i])) return 0;
    return 1;
}

static int is_wnid(const char *s, size_t n) {
    return n == 9 && s[0] == 'n' && all_digits(s + 1, 8);
}

/* The class list in LINES (NL of them, pointing into TEXT; both freed here). */
static int class_list_lines(const char *path, char *text, char **lines, int nl, int expect,
                            char ***names_out, char ***wnids_out, int *n_out) {
    char **names = segp_calloc((size_t)nl + 1, sizeof *names);
    char **wnids = segp_calloc((size_t)nl + 1, sizeof *wnids);
    int n = 0, base = -1, with_wnid = -1, rc = 0;
    for (int li = 0; li < nl && !rc; li++) {
        char *s = trim(lines[li]);
        if (!*s) continue;
        size_t t1 = strcspn(s, " \t");
        if (s[t1] && all_digits(s, t1)) { /* "index rest" */
            long idx = strtol(s, NULL, 10);
            if (base < 0) base = idx == 0 ? 0 : 1;
            if (idx != base + n) {
                rc = SEGP_FAIL("%s:%d: class index %ld out of sequence (expected %d)", path,
                               li + 1, idx, base + n);
                break;
            }
            s = trim(s + t1);
            t1 = strcspn(s, " \t");
        } else if (base >= 0) {
            rc = SEGP_FAIL("%s:%d: missing class index (expected \"%d name\" like the lines "
                           "before)", path, li + 1, base + n);
            break;
        }
        int has_wnid = is_wnid(s, t1);
        char *name = s;
        if (has_wnid) {
            wnids[n] = segp_malloc(10);
            memcpy(wnids[n], s, 9);
            wnids[n][9] = 0;
            if (s[t1]) name = trim(s + t1);
        }
        if (with_wnid < 0) with_wnid = has_wnid;
        if (with_wnid != has_wnid) {
            rc = SEGP_FAIL("%s:%d: %s a wnid where the first line %s (expected the same "
                           "columns on every line)", path, li + 1, has_wnid ? "has" : "lacks",
                           with_wnid ? "has one" : "does not");
            break;
        }
        size_t d = strspn(name, "0123456789");
        if (d && name[d] == '.' && name[d + 1]) name += d + 1; /* CUB's "001.Black_footed..." */
        names[n++] = segp_strdup(name);
    }
    free(text);
    free(lines);
    if (!rc && n == 0) rc = SEGP_FAIL("%s: no class names (expected one per line)", path);
    if (!rc && expect > 0 && n != expect)
        rc = SEGP_FAIL("%s: %d class names (expected %d)", path, n, expect);
    if (rc || with_wnid != 1) {
        ds_free_strings(wnids, nl + 1);
        wnids = NULL;
    }
    if (rc) {
        ds_free_strings(names, nl + 1);
        return -1;
    }
    *names_out = names;
    *wnids_out = wnids;
    *n_out = n;
    return 0;
}

int ds_read_class_list(const char *path, int expect, char ***names_out, char ***wnids_out,
                       int *n_out) {
    char *text, **lines;
    int nl;
    *names_out = NULL;
    *wnids_out = NULL;
    *n_out = 0;
    if (ds_read_lines(path, &text, &lines, &nl)) return -1;
    return class_list_lines(path, text, lines, nl, expect, names_out, wnids_out, n_out);
}

int ds_class_list_parse(const void *data, size_t size, const char *what, int expect,
                        char ***names_out, char ***wnids_out, int *n_out) {
    char *text, **lines;
    int nl;
    *names_out = NULL;
    *wnids_out = NULL;
    *n_out = 0;
    if (ds_lines_parse(data, size, what, &text, &lines, &nl)) return -1;
    return class_list_lines(what, text, lines, nl, expect, names_out, wnids_out, n_out);
}

/* ---- opening ---- */

const char *dataset_kinds(void) {
    return "cifar10, cifar100, fashion-mnist, mnist, folder, imagenet-r, imagenet100, cub200";
}

static const char *default_root(const char *kind) {
    if (!strcmp(kind, "fashion-mnist")) return FASHION_DEFAULT_ROOT;
    const char *r = getenv("SEGP_DATA_ROOT");
    return r && *r ? r : "datasets";
}

static int read_mnist_like(dataset *ds, const char *kind, const char *root, int is_train) {
    if (!strcmp(kind, "fashion-mnist"))
        return ds_read_idx(ds, root, is_train, fashion_names, 10,
                           "install Debian's dataset-fashion-mnist (apt install "
                           "dataset-fashion-mnist puts the files in " FASHION_DEFAULT_ROOT
                           ") or download the four *-ubyte.gz files from "
                           "https://github.com/zalandoresearch/fashion-mnist into that "
                           "directory (or give their folder as benchmark.root, --root; "
                           "$SEGP_DATA_ROOT is not read for Fashion-MNIST)");
    return ds_read_idx(ds, root, is_train, digit_names, 10,
                       "download the four MNIST *-ubyte.gz files (train/t10k images and "
                       "labels) into that directory (or point SEGP_DATA_ROOT at the data)");
}

dataset *dataset_open_ex(const char *kind, const char *root, const char *split,
                         const dataset_options *opt) {
    static const dataset_options no_opt;
    if (!opt) opt = &no_opt;
    if (!kind || !*kind) {
        SEGP_FAIL("dataset: no kind given (expected one of: %s)", dataset_kinds());
        return NULL;
    }
    int is_train = -1;
    if (split && !strcmp(split, "train")) is_train = 1;
    else if (split && (!strcmp(split, "test") || !strcmp(split, "val"))) is_train = 0;
    int is_folder = !strcmp(kind, "folder");
    if (!is_folder && is_train < 0) {
        SEGP_FAIL("%s: split \"%s\" unknown (expected train or test)", kind,
                  split ? split : "(none)");
        return NULL;
    }
    if (!root || !*root) root = default_root(kind);

    dataset *ds = ds_new(kind);
    int rc;
    if (!strcmp(kind, "cifar10")) rc = ds_read_cifar(ds, 10, root, is_train, opt);
    else if (!strcmp(kind, "cifar100")) rc = ds_read_cifar(ds, 100, root, is_train, opt);
    else if (!strcmp(kind, "fashion-mnist") || !strcmp(kind, "mnist"))
        rc = read_mnist_like(ds, kind, root, is_train);
    else if (is_folder) rc = ds_read_folder(ds, root, split, opt);
    else if (!strcmp(kind, "imagenet-r")) rc = ds_read_imagenet_r(ds, root, is_train, opt);
    else if (!strcmp(kind, "imagenet100")) rc = ds_read_imagenet100(ds, root, is_train, opt);
    else if (!strcmp(kind, "cub200")) rc = ds_read_cub200(ds, root, is_train, opt);
    else rc = SEGP_FAIL("dataset: unknown kind \"%s\" (expected one of: %s)", kind,
                        dataset_kinds());
    if (!rc && ds->count == 0)
        rc = SEGP_FAIL("%s: %s holds no %s items", kind, root, split ? split : "");
    if (!rc) rc = ds_check_labels(ds, kind);
    if (rc) {
        dataset_free(ds);
        return NULL;
    }
    return ds;
}

dataset *dataset_open(const char *kind, const char *root, const char *split) {
    return dataset_open_ex(kind, root, split, NULL);
}

void dataset_free(dataset *ds) {
    if (!ds) return;
    ds_free_strings(ds->class_names, ds->num_classes);
    free(ds->labels);
    free(ds->pixels);
    free(ds->base_dir);
    free(ds->path_off);
    free(ds->paths);
    free(ds);
}

/* ---- access ---- */

const char *dataset_kind(const dataset *ds) { return ds->kind; }
int dataset_count(const dataset *ds) { return ds->count; }

double dataset_memory_bytes(const dataset *ds) {
    if (!ds || !ds->pixels) return 0;
    return (double)ds->count * ds->width * ds->height * ds->channels;
}
int dataset_num_classes(const dataset *ds) { return ds->num_classes; }

const char *dataset_class_name(const dataset *ds, int c) {
    return c >= 0 && c < ds->num_classes ? ds->class_names[c] : NULL;
}

int dataset_label(const dataset *ds, int i) {
    return i >= 0 && i < ds->count ? ds->labels[i] : -1;
}

const char *dataset_path(const dataset *ds, int i) {
    if (i < 0 || i >= ds->count || !ds->path_off) return NULL;
    return ds->paths + ds->path_off[i];
}

int dataset_image(const dataset *ds, int i, image_rgb *out) {
    out->width = out->height = 0;
    out->rgb = NULL;
    if (i < 0 || i >= ds->count)
        return SEGP_FAIL("%s: item %d out of range (expected 0..%d)", ds->kind, i, ds->count - 1);
    if (ds->path_off) {
        const char *rel = ds->paths + ds->path_off[i];
        char *full = ds->base_dir && rel[0] != '/' ? ds_join(ds->base_dir, rel) : segp_strdup(rel);
        int rc = image_load(full, out);
        free(full);
        return rc;
    }
    size_t hw = (size_t)ds->width * (size_t)ds->height;
    const uint8_t *src = ds->pixels + (size_t)i * hw * (size_t)ds->channels;
    uint8_t *dst = segp_malloc(hw * 3);
    if (ds->channels == 1) {
        for (size_t p = 0; p < hw; p++) dst[3 * p] = dst[3 * p + 1] = dst[3 * p + 2] = src[p];
    } else if (ds->planar) {
        for (size_t p = 0; p < hw; p++) {
            dst[3 * p] = src[p];
            dst[3 * p + 1] = src[hw + p];
            dst[3 * p + 2] = src[2 * hw + p];
        }
    } else {
        memcpy(dst, src, hw * 3);
    }
    out->width = ds->width;
    out->height = ds->height;
    out->rgb = dst;
    return 0;
}

void dataset_class_counts(const dataset *ds, int *counts) {
    memset(counts, 0, (size_t)ds->num_classes * sizeof *counts);
    for (int i = 0; i < ds->count; i++) counts[ds->labels[i]]++;
}

int dataset_select(const dataset *ds, const uint8_t *class_mask, int **idx) {
    int n = 0;
    for (int i = 0; i < ds->count; i++) n += class_mask[ds->labels[i]] != 0;
    int *out = segp_malloc((size_t)(n ? n : 1) * sizeof *out);
    n = 0;
    for (int i = 0; i < ds->count; i++)
        if (class_mask[ds->labels[i]]) out[n++] = i;
    *idx = out;
    return n;
}
