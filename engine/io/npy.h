/* npy.h: NumPy .npy arrays (format versions 1.0, 2.0 and 3.0 headers), float32 little-endian.
 * Reading also accepts '<f8' and '<f2' (converted to float32) and rejects anything else (big
 * endian, Fortran order, object arrays) with a message naming the file and the header field. */
#ifndef SEGP_NPY_H
#define SEGP_NPY_H

#include <stddef.h>
#include <stdint.h>

#define NPY_MAX_DIMS 8

typedef struct {
    int ndim;
    int64_t shape[NPY_MAX_DIMS];
    int64_t numel;
    float *data; /* owned; free with npy_free */
} npy_array;

int npy_read(const char *path, npy_array *out); /* -1 + error on failure */
/* The same over SIZE bytes of a .npy file in memory; NAME stands for the file in messages
 * (npy_read maps the file and calls this). */
int npy_read_memory(const char *name, const void *data, size_t size, npy_array *out);
void npy_free(npy_array *a);
/* A's shape as NumPy prints it: "(2, 3, 48, 48)", "(5,)", "()". */
void npy_shape_text(const npy_array *a, char *buf, size_t n);

/* Write float32 array atomically (version 1.0 header unless it would not fit). */
int npy_write_f32(const char *path, const float *data, int ndim, const int64_t *shape);

/* Write int32/int64 arrays (e.g. token ids, labels). */
int npy_write_i64(const char *path, const int64_t *data, int ndim, const int64_t *shape);

#endif
