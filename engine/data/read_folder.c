/* read_folder.c: datasets whose images are PNG/JPEG files, decoded lazily by dataset_image:
 * generic image folders (one folder per class, or a "path label" list), ImageNet-R with its
 * train/test split file, ImageNet-100 with its lists, and CUB-200-2011's own layout. The layouts
 * are described in dataset.h. Opening checks the lists and that the data directory is there;
 * an unreadable image is reported (naming the file) when it is accessed. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/common.h"
#include "dataset_impl.h"

/* ---- small parsing helpers ---- */

static char *trim(char *s) {
    while (*s == ' ' || *s == '\t') s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t')) s[--n] = 0;
    return s;
}

/* Strict decimal integer (the whole string). */
static int parse_int(const char *s, long *v) {
    if (!*s) return -1;
    char *end;
    long x = strtol(s, &end, 10);
    if (*end || x < -2147483647L || x > 2147483647L) return -1;
    *v = x;
    return 0;
}

/* Split "path label" at the last run of blanks (paths may contain spaces). */
static int split_path_label(char *line, char **path, long *label) {
    char *s = trim(line);
    char *sp = strrchr(s, ' '), *tab = strrchr(s, '\t');
    if (!sp || (tab && tab > sp)) sp = tab;
    if (!sp) return -1;
    *sp = 0;
    if (parse_int(sp + 1, label)) return -1;
    *path = trim(s);
    return **path ? 0 : -1;
}

static int has_image_ext(const char *name) {
    const char *dot = strrchr(name, '.');
    return dot && (!strcasecmp(dot, ".png") || !strcasecmp(dot, ".jpg") ||
                   !strcasecmp(dot, ".jpeg"));
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Entries of DIR (no hidden ones), sorted; dirs selects directories (1) or files (0). */
static int list_dir(const char *dir, int dirs, char ***out, int *n_out) {
    DIR *d = opendir(dir);
    if (!d) return SEGP_FAIL("%s: cannot open directory", dir);
    int n = 0, cap = 16;
    char **v = segp_malloc((size_t)cap * sizeof *v);
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char *p = ds_join(dir, e->d_name);
        int ok = dirs ? ds_is_dir(p) : ds_is_file(p);
        free(p);
        if (!ok) continue;
        if (n == cap) v = segp_realloc(v, (size_t)(cap *= 2) * sizeof *v);
        v[n++] = segp_strdup(e->d_name);
    }
    closedir(d);
    qsort(v, (size_t)n, sizeof *v, cmp_str);
    *out = v;
    *n_out = n;
    return 0;
}

/* Add the images under BASE/REL (files first, then subfolders, each sorted) with LABEL. */
static int add_tree(dataset *ds, const char *base, const char *rel, int label, int depth) {
    if (depth > 16) return SEGP_FAIL("%s/%s: folders nested too deep (expected at most 16)",
                                     base, rel);
    char *dir = ds_join(base, rel);
    char **files, **dirs;
    int nf, nd, rc = 0;
    if (list_dir(dir, 0, &files, &nf)) {
        free(dir);
        return -1;
    }
    for (int i = 0; i < nf; i++)
        if (has_image_ext(files[i])) {
            char *p = ds_join(rel, files[i]);
            ds_add_file(ds, p, label);
            free(p);
        }
    ds_free_strings(files, nf);
    if (list_dir(dir, 1, &dirs, &nd)) {
        free(dir);
        return -1;
    }
    for (int i = 0; i < nd && !rc; i++) {
        char *p = ds_join(rel, dirs[i]);
        rc = add_tree(ds, base, p, label, depth + 1);
        free(p);
    }
    ds_free_strings(dirs, nd);
    free(dir);
    return rc;
}

/* One folder per class under DIR (labels = sorted folder names). */
static int read_class_folders(dataset *ds, const char *dir) {
    char **classes;
    int nc;
    if (list_dir(dir, 1, &classes, &nc)) return -1;
    if (nc == 0) {
        ds_free_strings(classes, nc);
        return SEGP_FAIL("%s: no class folders (expected one folder of images per class)", dir);
    }
    for (int c = 0; c < nc; c++) {
        int before = ds->count;
        if (add_tree(ds, dir, classes[c], c, 0)) {
            ds_free_strings(classes, nc);
            return -1;
        }
        if (ds->count == before) {
            SEGP_FAIL("%s/%s: class folder holds no .png/.jpg/.jpeg files", dir, classes[c]);
            ds_free_strings(classes, nc);
            return -1;
        }
    }
    ds->base_dir = segp_strdup(dir);
    ds_set_class_names(ds, classes, nc);
    return 0;
}

/* "relative/path label" lines. WNIDS (optional, num_classes entries): a path component that is
 * a wnid must be the wnid of its label (catches a list paired with the wrong class file). */
static int path_label_lines(dataset *ds, const char *list, char *text, char **lines, int nl,
                            int num_classes, char *const *wnids) {
    int rc = 0;
    for (int li = 0; li < nl && !rc; li++) {
        char *s = trim(lines[li]);
        if (!*s || *s == '#') continue;
        char *path;
        long label;
        if (split_path_label(s, &path, &label)) {
            rc = SEGP_FAIL("%s:%d: \"%s\" is not \"path label\" (expected a relative path, a "
                           "space and an integer class)", list, li + 1, s);
            break;
        }
        if (label < 0 || (num_classes > 0 && label >= num_classes)) {
            rc = SEGP_FAIL("%s:%d: label %ld (expected 0..%d)", list, li + 1, label,
                           num_classes - 1);
            break;
        }
        /* without a class list the classes are numbered up to the largest label */
        if (num_classes <= 0 && label >= DS_MAX_CLASSES) {
            rc = SEGP_FAIL("%s:%d: label %ld (expected 0..%d without a class-name list; "
                           "larger class counts need one)", list, li + 1, label,
                           DS_MAX_CLASSES - 1);
            break;
        }
        if (wnids) {
            for (const char *c = path; *c; c = strchr(c, '/') ? strchr(c, '/') + 1 : "") {
                size_t len = strcspn(c, "/");
                if (len == 9 && c[0] == 'n' && strspn(c + 1, "0123456789") >= 8 &&
                    strncmp(c, wnids[label], 9) != 0) {
                    rc = SEGP_FAIL("%s:%d: %s has label %ld, whose wnid is %s (class list and "
                                   "split list disagree)", list, li + 1, path, label,
                                   wnids[label]);
                    break;
                }
            }
        }
        if (!rc) ds_add_file(ds, path, (int)label);
    }
    free(text);
    free(lines);
    if (!rc && ds->count == 0) rc = SEGP_FAIL("%s: no \"path label\" lines", list);
    return rc;
}

static int read_path_label_list(dataset *ds, const char *list, int num_classes,
                                char *const *wnids) {
    char *text, **lines;
    int nl;
    if (ds_read_lines(list, &text, &lines, &nl)) return -1;
    return path_label_lines(ds, list, text, lines, nl, num_classes, wnids);
}

int ds_path_label_parse(dataset *ds, const void *data, size_t size, const char *what,
                        int num_classes, char *const *wnids) {
    char *text, **lines;
    int nl;
    if (ds_lines_parse(data, size, what, &text, &lines, &nl)) return -1;
    return path_label_lines(ds, what, text, lines, nl, num_classes, wnids);
}

static int max_label(const dataset *ds) {
    int m = -1;
    for (int i = 0; i < ds->count; i++)
        if (ds->labels[i] > m) m = ds->labels[i];
    return m;
}

/* Class names from PATH (count must be EXPECT when > 0), into ds. */
static int load_names(dataset *ds, const char *path, int expect, char ***wnids) {
    char **names, **w;
    int n;
    if (ds_read_class_list(path, expect, &names, &w, &n)) return -1;
    if (wnids) *wnids = w;
    else ds_free_strings(w, n);
    ds_set_class_names(ds, names, n);
    return 0;
}

/* ---- generic folders ---- */

int ds_read_folder(dataset *ds, const char *root, const char *split,
                   const dataset_options *opt) {
    if (!ds_is_dir(root))
        return SEGP_FAIL("folder: %s is not a directory (expected ROOT/SPLIT/<class>/<images>, "
                         "ROOT/SPLIT.txt or ROOT/<class>/<images>)", root);
    int all = !split || !*split || !strcmp(split, "all");
    char *list = NULL;
    if (opt->split_file) list = segp_strdup(opt->split_file);
    else if (!all) {
        char name[256];
        snprintf(name, sizeof name, "%s.txt", split);
        list = ds_join(root, name);
        if (!ds_is_file(list)) {
            free(list);
            list = NULL;
        }
    }
    if (!list) {
        if (all) return read_class_folders(ds, root);
        char *dir = ds_join(root, split);
        int rc;
        if (ds_is_dir(dir)) rc = read_class_folders(ds, dir);
        else
            rc = SEGP_FAIL("folder: neither %s/ nor %s.txt exists (expected one folder of "
                           "images per class under %s/, or a \"path label\" list %s.txt)",
                           dir, dir, dir, dir);
        free(dir);
        return rc;
    }
    /* List mode: class names first, so labels can be checked against them. */
    char *names = opt->classes_file ? segp_strdup(opt->classes_file) : ds_join(root, "classes.txt");
    int have_names = opt->classes_file || ds_is_file(names);
    int rc = have_names ? load_names(ds, names, 0, NULL) : 0;
    if (!rc) rc = read_path_label_list(ds, list, have_names ? ds->num_classes : 0, NULL);
    if (!rc && !have_names) ds_numbered_class_names(ds, max_label(ds) + 1);
    if (!rc) ds->base_dir = segp_strdup(root);
    free(names);
    free(list);
    return rc;
}

/* ---- ImageNet-R ---- */

typedef struct {
    const char *wnid;
    int label;
} wnid_entry;

static int cmp_wnid(const void *a, const void *b) {
    return strcmp(((const wnid_entry *)a)->wnid, ((const wnid_entry *)b)->wnid);
}

/* The split file's LINES: sections "train" / "test", each a "wnid/file" per line; the items of
 * the wanted section are added with the label of their wnid (TAB: NC wnids sorted). */
static int imagenet_r_split_lines(dataset *ds, const char *split, char **lines, int nl,
                                  const char *classes, const wnid_entry *tab, int nc,
                                  int is_train) {
    int rc = 0;
    const char *want = is_train ? "train" : "test";
    int section = -1, seen = 0; /* section: 1 = the wanted one, 0 = another */
    for (int li = 0; li < nl && !rc; li++) {
        char *s = trim(lines[li]);
        if (!*s) continue;
        if (!strchr(s, '/')) {
            if (strcmp(s, "train") && strcmp(s, "test")) {
                rc = SEGP_FAIL("%s:%d: \"%s\" (expected a section line train or test, or a "
                               "wnid/file path)", split, li + 1, s);
                break;
            }
            section = !strcmp(s, want);
            seen |= section;
            continue;
        }
        if (section < 0) {
            rc = SEGP_FAIL("%s:%d: path before any section line (expected \"train\" or "
                           "\"test\" first)", split, li + 1);
            break;
        }
        if (!section) continue;
        char key[16];
        size_t len = strcspn(s, "/");
        snprintf(key, sizeof key, "%.*s", (int)(len < 15 ? len : 15), s);
        wnid_entry probe = {key, 0};
        const wnid_entry *e = bsearch(&probe, tab, (size_t)nc, sizeof *tab, cmp_wnid);
        if (!e) {
            rc = SEGP_FAIL("%s:%d: %s: folder %s is not a class of %s", split, li + 1, s, key,
                           classes);
            break;
        }
        ds_add_file(ds, s, e->label);
    }
    if (!rc && !seen) rc = SEGP_FAIL("%s: no \"%s\" section", split, want);
    return rc;
}

static wnid_entry *wnid_table(char *const *wnids, int nc) {
    wnid_entry *tab = segp_malloc((size_t)(nc > 0 ? nc : 1) * sizeof *tab);
    for (int c = 0; c < nc; c++) tab[c] = (wnid_entry){wnids[c], c};
    qsort(tab, (size_t)nc, sizeof *tab, cmp_wnid);
    return tab;
}

int ds_imagenet_r_parse(dataset *ds, const void *classes_data, size_t classes_size,
                        const char *classes, const void *split_data, size_t split_size,
                        const char *split, int is_train) {
    char **names, **wnids, *text, **lines;
    int n, nl;
    if (ds_class_list_parse(classes_data, classes_size, classes, 0, &names, &wnids, &n))
        return -1;
    ds_set_class_names(ds, names, n);
    if (!wnids) return SEGP_FAIL("%s: no wnids (expected lines \"index wnid name\")", classes);
    wnid_entry *tab = wnid_table(wnids, n);
    int rc = ds_lines_parse(split_data, split_size, split, &text, &lines, &nl);
    if (!rc) rc = imagenet_r_split_lines(ds, split, lines, nl, classes, tab, n, is_train);
    free(text);
    free(lines);
    free(tab);
    ds_free_strings(wnids, n);
    return rc;
}

int ds_read_imagenet_r(dataset *ds, const char *root, int is_train, const dataset_options *opt) {
    char *split = opt->split_file ? segp_strdup(opt->split_file)
                                  : ds_bench_file(opt, "imgr_train_test_split.txt");
    char *classes = opt->classes_file ? segp_strdup(opt->classes_file)
                                      : ds_bench_file(opt, "imagenet_R_classes.txt");
    char **wnids = NULL, *text = NULL, **lines = NULL, *dir = NULL;
    wnid_entry *tab = NULL;
    int nl = 0, rc = load_names(ds, classes, 0, &wnids);
    if (!rc && !wnids)
        rc = SEGP_FAIL("%s: no wnids (expected lines \"index wnid name\")", classes);
    if (rc) goto done;
    int nc = ds->num_classes;

    /* Data directory: ROOT/imagenet-r (as the tarball extracts), or ROOT itself. */
    dir = ds_join(root, "imagenet-r");
    if (!ds_is_dir(dir)) {
        char *probe = ds_join(root, wnids[0]);
        if (ds_is_dir(probe)) {
            free(dir);
            dir = segp_strdup(root);
        }
        free(probe);
    }
    for (int c = 0; c < nc && !rc; c++) {
        char *p = ds_join(dir, wnids[c]);
        if (!ds_is_dir(p))
            rc = SEGP_FAIL("imagenet-r: %s/ not found; download imagenet-r.tar from "
                           "https://people.eecs.berkeley.edu/~hendrycks/imagenet-r.tar and "
                           "extract it in %s so that %s/imagenet-r/%s/ exists (or point "
                           "SEGP_DATA_ROOT at the data)", p, root, root, wnids[c]);
        free(p);
    }
    if (rc) goto done;

    tab = wnid_table(wnids, nc);
    if ((rc = ds_read_lines(split, &text, &lines, &nl))) goto done;
    rc = imagenet_r_split_lines(ds, split, lines, nl, classes, tab, nc, is_train);
    if (!rc) {
        ds->base_dir = dir;
        dir = NULL;
    }
done:
    ds_free_strings(wnids, ds->num_classes);
    free(tab);
    free(text);
    free(lines);
    free(dir);
    free(split);
    free(classes);
    return rc;
}

/* ---- ImageNet-100 ---- */

static int imagenet_missing(const char *root, const char *what) {
    return SEGP_FAIL("imagenet100: %s not found; ImageNet-100 is a 100-class subset of ImageNet "
                     "ILSVRC-2012: get ILSVRC2012_img_train.tar and ILSVRC2012_img_val.tar from "
                     "https://image-net.org/download.php and arrange them as "
                     "%s/train/<wnid>/*.JPEG and %s/val/<wnid>/*.JPEG (validation images "
                     "sorted into class folders) (or point SEGP_DATA_ROOT at the data)",
                     what, root, root);
}

int ds_read_imagenet100(dataset *ds, const char *root, int is_train,
                        const dataset_options *opt) {
    char *classes = opt->classes_file ? segp_strdup(opt->classes_file)
                                      : ds_bench_file(opt, "imagenet100_classes.txt");
    char **wnids = NULL, *list = NULL;
    int rc = load_names(ds, classes, 0, &wnids);
    if (!rc && !wnids)
        rc = SEGP_FAIL("%s: no wnids (expected lines \"index wnid name\")", classes);
    if (rc) goto done;
    const char *sub = is_train ? "train" : "val";
    const char *lname = is_train ? "train_100.txt" : "val_100.txt";
    if (opt->split_file) list = segp_strdup(opt->split_file);
    else {
        list = ds_join(root, lname);
        if (!ds_is_file(list)) {
            free(list);
            list = ds_bench_file(opt, lname);
            if (!ds_is_file(list)) {
                free(list);
                list = NULL;
            }
        }
    }
    char *subdir = ds_join(root, sub);
    if (!ds_is_dir(subdir)) rc = imagenet_missing(root, subdir);
    free(subdir);
    if (rc) goto done;
    if (list) {
        rc = read_path_label_list(ds, list, ds->num_classes, wnids);
        if (!rc) {
            char *first = ds_join(root, ds->paths);
            if (!ds_is_file(first)) rc = imagenet_missing(root, first);
            free(first);
        }
    } else if (!is_train) {
        char *b = ds_bench_file(opt, lname);
        rc = SEGP_FAIL("imagenet100: no test list (expected %s/%s or %s)", root, lname, b);
        free(b);
    } else {
        /* No train list: every image of the 100 classes' training folders. */
        for (int c = 0; c < ds->num_classes && !rc; c++) {
            char *rel = ds_join(sub, wnids[c]), *full = ds_join(root, rel);
            int before = ds->count;
            if (!ds_is_dir(full)) rc = imagenet_missing(root, full);
            else rc = add_tree(ds, root, rel, c, 0);
            if (!rc && ds->count == before)
                rc = SEGP_FAIL("imagenet100: %s holds no .JPEG/.png files", full);
            free(rel);
            free(full);
        }
    }
    if (!rc) ds->base_dir = segp_strdup(root);
done:
    ds_free_strings(wnids, ds->num_classes);
    free(list);
    free(classes);
    return rc;
}

/* ---- CUB-200-2011 ---- */

/* "id value" lines with ids 1..n in order (LINES into TEXT, NL of them): *vals (the LINES
 * array, reused) gets the values; on failure TEXT and LINES are freed and *text cleared. */
static int id_table_lines(const char *path, char **text, char **lines, int nl, char ***vals,
                          int *n) {
    int cnt = 0;
    for (int li = 0; li < nl; li++) {
        char *s = trim(lines[li]);
        if (!*s) continue;
        size_t t = strcspn(s, " \t");
        long id;
        char save = s[t];
        s[t] = 0;
        int bad = parse_int(s, &id) || id != cnt + 1 || !save;
        if (bad) {
            free(lines);
            free(*text);
            *text = NULL;
            return SEGP_FAIL("%s:%d: expected \"%d value\" (ids counting from 1 in order)", path,
                             li + 1, cnt + 1);
        }
        lines[cnt++] = trim(s + t + 1);
    }
    *vals = lines;
    *n = cnt;
    return 0;
}

static int read_id_table(const char *path, char **text, char ***vals, int *n) {
    char **lines;
    int nl;
    if (ds_read_lines(path, text, &lines, &nl)) return -1;
    return id_table_lines(path, text, lines, nl, vals, n);
}

static int parse_id_table(const ds_text *t, char **text, char ***vals, int *n) {
    char **lines;
    int nl;
    if (ds_lines_parse(t->data, t->size, t->name, text, &lines, &nl)) return -1;
    return id_table_lines(t->name, text, lines, nl, vals, n);
}

/* The items of the three tables (values V_*, N_* of them) for the wanted split. */
static int cub_items(dataset *ds, const char *images, char **v_img, int n_img,
                     const char *labels, char **v_lab, int n_lab, const char *tts, char **v_tts,
                     int n_tts, int is_train) {
    if (n_lab != n_img || n_tts != n_img)
        return SEGP_FAIL("cub200: %s has %d images, %s %d labels, %s %d entries (expected the "
                         "same count)", images, n_img, labels, n_lab, tts, n_tts);
    for (int i = 0; i < n_img; i++) {
        long lab, tr;
        if (parse_int(v_lab[i], &lab) || lab < 1 || lab > ds->num_classes)
            return SEGP_FAIL("%s: image %d has class \"%s\" (expected 1..%d)", labels, i + 1,
                             v_lab[i], ds->num_classes);
        if (parse_int(v_tts[i], &tr) || (tr != 0 && tr != 1))
            return SEGP_FAIL("%s: image %d has \"%s\" (expected 1 = train or 0 = test)", tts,
                             i + 1, v_tts[i]);
        if (tr == is_train) ds_add_file(ds, v_img[i], (int)lab - 1);
    }
    return 0;
}

int ds_cub_parse(dataset *ds, const ds_text *classes, const ds_text *images,
                 const ds_text *labels, const ds_text *tts, int is_train) {
    char **names, **wnids;
    int n;
    if (ds_class_list_parse(classes->data, classes->size, classes->name, 0, &names, &wnids, &n))
        return -1;
    ds_free_strings(wnids, n);
    ds_set_class_names(ds, names, n);
    char *t_img = NULL, *t_lab = NULL, *t_tts = NULL, **v_img = NULL, **v_lab = NULL,
         **v_tts = NULL;
    int n_img = 0, n_lab = 0, n_tts = 0;
    int rc = parse_id_table(images, &t_img, &v_img, &n_img);
    if (!rc) rc = parse_id_table(labels, &t_lab, &v_lab, &n_lab);
    if (!rc) rc = parse_id_table(tts, &t_tts, &v_tts, &n_tts);
    if (!rc)
        rc = cub_items(ds, images->name, v_img, n_img, labels->name, v_lab, n_lab, tts->name,
                       v_tts, n_tts, is_train);
    free(t_img), free(t_lab), free(t_tts);
    free(v_img), free(v_lab), free(v_tts);
    return rc;
}

int ds_read_cub200(dataset *ds, const char *root, int is_train, const dataset_options *opt) {
    char *dir = NULL;
    char *images = ds_find_in(root, "CUB_200_2011", "images.txt", &dir);
    if (!images)
        return SEGP_FAIL("cub200: %s/CUB_200_2011/images.txt not found; download "
                         "CUB_200_2011.tgz from https://data.caltech.edu/records/65de6-vjr04 "
                         "and extract it in %s so that %s/CUB_200_2011/images.txt exists (or "
                         "point SEGP_DATA_ROOT at the data)", root, root, root);
    char *labels = ds_join(dir, "image_class_labels.txt");
    char *tts = ds_join(dir, "train_test_split.txt");
    char *classes =
        opt->classes_file ? segp_strdup(opt->classes_file) : ds_join(dir, "classes.txt");
    if (!opt->classes_file && !ds_is_file(classes)) {
        free(classes);
        classes = ds_bench_file(opt, "cub200_classes.txt");
    }
    char *t_img = NULL, *t_lab = NULL, *t_tts = NULL, **v_img = NULL, **v_lab = NULL,
         **v_tts = NULL;
    int n_img = 0, n_lab = 0, n_tts = 0;
    int rc = load_names(ds, classes, 0, NULL);
    if (!rc) rc = read_id_table(images, &t_img, &v_img, &n_img);
    if (!rc) rc = read_id_table(labels, &t_lab, &v_lab, &n_lab);
    if (!rc) rc = read_id_table(tts, &t_tts, &v_tts, &n_tts);
    if (!rc)
        rc = cub_items(ds, images, v_img, n_img, labels, v_lab, n_lab, tts, v_tts, n_tts,
                       is_train);
    if (!rc) {
        ds->base_dir = ds_join(dir, "images");
        if (!ds_is_dir(ds->base_dir))
            rc = SEGP_FAIL("cub200: %s/ not found (expected the images/ folder of "
                           "CUB_200_2011.tgz next to images.txt)", ds->base_dir);
    }
    free(t_img), free(t_lab), free(t_tts);
    free(v_img), free(v_lab), free(v_tts);
    free(images);
    free(labels);
    free(tts);
    free(classes);
    free(dir);
    return rc;
}
