/* npy.c: fuzz target for the .npy reader (engine/io/npy.c, npy_read_memory): header dict
 * parsing, versions 1.0 to 3.0, dtype and shape checks, and the conversion of the data. */
#include <math.h>

#include "fuzz.h"
#include "io/npy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    npy_array a;
    if (npy_read_memory("fuzz.npy", data, size, &a) == 0) {
        /* the shape accounts for every element, and every element was written */
        int64_t n = 1;
        for (int d = 0; d < a.ndim; d++) n = a.shape[d] == 0 ? 0 : n;
        for (int d = 0; d < a.ndim && n; d++) n *= a.shape[d];
        if (n != a.numel || a.ndim > NPY_MAX_DIMS) abort();
        volatile float s = 0;
        for (int64_t i = 0; i < a.numel; i++) s += a.data[i];
        (void)s;
    } else if (a.ndim != 0 || a.numel != 0 || a.data != NULL) {
        abort(); /* a failed read leaves nothing behind */
    }
    npy_free(&a);
    return 0;
}
