/* idx.c: fuzz target for the IDX format of MNIST / Fashion-MNIST (engine/data/read_idx.c,
 * ds_idx_parse): gzip members inflated in memory or plain files, magic numbers, dimensions,
 * truncated and over-long payloads, labels against the class count; then the images read back.
 * Input: the image file, the FUZZ_SEP line, the label file. */
#include "data/dataset_impl.h"
#include "fuzz.h"

static const char *const names[10] = {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size > (1 << 20)) return -1;
    fuzz_part p[2];
    fuzz_split(data, size, p, 2);
    uint8_t *img = fuzz_copy(p[0].p, p[0].n), *lab = fuzz_copy(p[1].p, p[1].n);
    dataset *ds = ds_new("mnist");
    if (ds_idx_parse(ds, "t10k-images-idx3-ubyte.gz", img, p[0].n, "t10k-labels-idx1-ubyte.gz",
                     lab, p[1].n, names, 10) == 0) {
        if (ds->count < 1 || ds_check_labels(ds, "fuzz") != 0) abort();
        for (int i = 0; i < ds->count; i += 1 + ds->count / 8) {
            image_rgb im;
            if (dataset_image(ds, i, &im) != 0 || im.width < 1 || im.height < 1) abort();
            image_free(&im);
        }
    } else if (ds->count != 0) {
        abort();
    }
    dataset_free(ds);
    free(img);
    free(lab);
    return 0;
}
