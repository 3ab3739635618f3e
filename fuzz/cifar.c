/* cifar.c: fuzz target for CIFAR-10 / CIFAR-100 binary batches (engine/data/read_cifar.c,
 * ds_cifar_append): record counts, label bytes, appending a second batch, then every image read
 * back as RGB. First byte: bit 0 picks CIFAR-100; the rest is one or two batch files separated
 * by the FUZZ_SEP line. */
#include "data/dataset_impl.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size > (1 << 20)) return -1;
    int nc = fuzz_take_byte(&data, &size) & 1 ? 100 : 10;
    fuzz_part p[2];
    int parts = fuzz_split(data, size, p, 2);
    dataset *ds = ds_new(nc == 100 ? "cifar100" : "cifar10");
    int rc = 0;
    for (int k = 0; k < parts && rc == 0; k++) {
        uint8_t *b = fuzz_copy(p[k].p, p[k].n);
        int before = ds->count;
        rc = ds_cifar_append(ds, nc, k ? "test_batch.bin" : "data_batch_1.bin", b, p[k].n, 0);
        if (rc != 0 && ds->count != before) abort(); /* a refused batch adds nothing */
        free(b);
    }
    if (ds->count > 0) {
        ds_numbered_class_names(ds, nc);
        if (ds_check_labels(ds, "fuzz") != 0) abort(); /* labels were checked on reading */
        int *counts = segp_malloc((size_t)nc * sizeof *counts);
        dataset_class_counts(ds, counts);
        free(counts);
        for (int i = 0; i < ds->count; i += 1 + ds->count / 8) {
            image_rgb im;
            if (dataset_image(ds, i, &im) != 0 || im.width != 32 || im.height != 32) abort();
            image_free(&im);
        }
    }
    dataset_free(ds);
    return 0;
}
