/* dataset_lists.c: fuzz target for the list files of the image-folder datasets
 * (engine/data/dataset.c, read_folder.c): class-name lists ("name", "index name",
 * "index wnid name", CUB's "001.name"), "path label" lists (folder, ImageNet-100 with the wnid
 * check), ImageNet-R's class list and train/test split file, and CUB-200-2011's four tables.
 * First byte: the layout (and the split); the rest: its files separated by FUZZ_SEP lines. */
#include "data/dataset_impl.h"
#include "fuzz.h"

/* What every opened dataset must give: labels in range, paths for every item. */
static void check(dataset *ds) {
    if (ds->count == 0) return;
    if (ds->num_classes < 1 || ds_check_labels(ds, "fuzz") != 0) abort();
    for (int i = 0; i < ds->count; i++)
        if (!dataset_path(ds, i)) abort();
    for (int c = 0; c < ds->num_classes; c++)
        if (!dataset_class_name(ds, c)) abort();
    int *counts = segp_malloc((size_t)ds->num_classes * sizeof *counts);
    dataset_class_counts(ds, counts);
    uint8_t *mask = segp_calloc((size_t)ds->num_classes, 1);
    mask[0] = 1;
    int *idx;
    if (dataset_select(ds, mask, &idx) != counts[0]) abort();
    free(idx);
    free(mask);
    free(counts);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size > 65536) return -1;
    unsigned sel = fuzz_take_byte(&data, &size);
    int is_train = (sel >> 3) & 1;
    fuzz_part p[4];
    fuzz_split(data, size, p, 4);
    dataset *ds = ds_new("fuzz");
    switch (sel & 7) {
    case 0: { /* a class list, with or without an expected count */
        char **names, **wnids;
        int n;
        if (ds_class_list_parse(p[0].p, p[0].n, "classes.txt", (int)(sel >> 4), &names, &wnids,
                                &n) == 0) {
            if (n < 1) abort();
            ds_free_strings(wnids, n);
            ds_set_class_names(ds, names, n);
        }
        break;
    }
    case 1: /* folder: classes.txt and the split list */
    case 2: { /* imagenet100: the class list with wnids, and a list checked against them */
        char **names, **wnids = NULL;
        int n = 0;
        if (ds_class_list_parse(p[0].p, p[0].n, "classes.txt", 0, &names, &wnids, &n) == 0) {
            ds_set_class_names(ds, names, n);
            if ((sel & 7) == 1) {
                ds_free_strings(wnids, n);
                wnids = NULL;
            }
            if (ds_path_label_parse(ds, p[1].p, p[1].n, "test.txt", n, wnids) != 0) ds->count = 0;
            ds_free_strings(wnids, n);
        }
        break;
    }
    case 3: { /* folder without classes.txt: names numbered after the largest label */
        if (ds_path_label_parse(ds, p[0].p, p[0].n, "train.txt", 0, NULL) == 0) {
            int m = -1;
            for (int i = 0; i < ds->count; i++)
                if (ds->labels[i] > m) m = ds->labels[i];
            ds_numbered_class_names(ds, m + 1);
        } else {
            ds->count = 0;
        }
        break;
    }
    case 4:
    case 5:
        if (ds_imagenet_r_parse(ds, p[0].p, p[0].n, "imagenet_R_classes.txt", p[1].p, p[1].n,
                                "imgr_train_test_split.txt", is_train) != 0)
            ds->count = 0;
        break;
    default: {
        ds_text cls = {p[0].p, p[0].n, "classes.txt"}, img = {p[1].p, p[1].n, "images.txt"},
                lab = {p[2].p, p[2].n, "image_class_labels.txt"},
                tts = {p[3].p, p[3].n, "train_test_split.txt"};
        if (ds_cub_parse(ds, &cls, &img, &lab, &tts, is_train) != 0) ds->count = 0;
        break;
    }
    }
    check(ds);
    dataset_free(ds);
    return 0;
}
