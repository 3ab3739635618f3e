/* safetensors.h: reading and writing the safetensors format (8-byte little-endian header length,
 * JSON header parsed with cJSON, then raw little-endian data).
 *
 * Reading validates everything before any tensor is used: header length within the file, valid
 * JSON object, each entry with a known dtype string, a shape, data_offsets [begin, end) inside the
 * data area, end - begin == numel * dtype size, and no two tensors overlapping. Errors name the
 * file and the problem, e.g. "m.safetensors: tensor 'x': data_offsets [0, 10] extend past the
 * end of the data (8 bytes)". */
#ifndef SEGP_SAFETENSORS_H
#define SEGP_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
    ST_F32, ST_F16, ST_BF16, ST_F64, ST_I64, ST_I32, ST_I16, ST_I8, ST_U8, ST_BOOL,
    ST_U16, ST_U32, ST_U64, ST_F8_E4M3, ST_F8_E5M2,
} st_dtype;

#define ST_MAX_DIMS 8

typedef struct {
    const char *name;
    st_dtype dtype;
    int ndim;
    int64_t shape[ST_MAX_DIMS];
    int64_t numel;
    uint64_t begin, end; /* byte offsets relative to the data area */
} st_tensor;

typedef struct st_file st_file; /* opaque */

/* Open and validate. NULL + segp error on failure. The file is memory-mapped (read-only) until
 * st_close; tensor names and metadata strings stay valid until then. Gaps between tensors and
 * bytes after the last one are tolerated; overlaps are not. */
st_file *st_open(const char *path);
/* The same over SIZE bytes already in memory, borrowed (they must outlive the st_file); NAME
 * stands for the file in messages. st_open maps the file and validates it the same way. */
st_file *st_open_memory(const char *name, const void *data, size_t size);
void st_close(st_file *f);

const char *st_path(const st_file *f);
int st_count(const st_file *f);
const st_tensor *st_at(const st_file *f, int i);           /* in header order */
const st_tensor *st_find(const st_file *f, const char *name); /* NULL when absent */
const char *st_metadata(const st_file *f, const char *key);   /* __metadata__ value or NULL */
/* The __metadata__ entries in header order: their count, and the key of entry I (0..count-1;
 * its value is st_metadata(f, key)). */
int st_metadata_count(const st_file *f);
const char *st_metadata_key(const st_file *f, int i);
const char *st_dtype_name(st_dtype d);

/* Convert a F32/F16/BF16 tensor to float32 into dst (numel floats). -1 + error for other dtypes. */
int st_read_f32(const st_file *f, const st_tensor *t, float *dst);

/* Copy a tensor's bytes as stored (numel * element size) into dst, when its dtype is WANT
 * (e.g. ST_U8, ST_I32). -1 + error naming the file, the tensor and both dtypes otherwise. */
int st_read_raw(const st_file *f, const st_tensor *t, st_dtype want, void *dst);

/* Writing: a list of tensors, optional metadata pairs; written atomically (temp file + fsync +
 * rename). Float tensors come as float32 data in memory and are stored as F32, F16 or BF16;
 * I32 and U8 tensors come as int32_t / uint8_t data and are stored as they are. Header keys
 * keep the given order; the data area holds the 4-byte tensors first, then the 2-byte ones,
 * then the 1-byte ones, without gaps (as the reference reader requires), so each tensor starts
 * at a multiple of its element size. */
typedef struct {
    const char *name;
    st_dtype dtype; /* storage dtype: ST_F32, ST_F16, ST_BF16 (float data), ST_I32, ST_U8 */
    int ndim;
    int64_t shape[ST_MAX_DIMS];
    const void *data; /* float32 for the float dtypes, else the dtype's own element type */
} st_write_tensor;

int st_write(const char *path, const st_write_tensor *tensors, int n_tensors,
             const char *const *meta_keys, const char *const *meta_values, int n_meta);

/* Half-precision conversions (round to nearest even). */
float st_f16_to_f32(uint16_t h);
uint16_t st_f32_to_f16(float f);
float st_bf16_to_f32(uint16_t h);
uint16_t st_f32_to_bf16(float f);

#endif
