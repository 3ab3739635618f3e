/* safetensors.c: fuzz target for the safetensors reader (engine/io/safetensors.c): header
 * validation by st_open_memory, then every accessor on every tensor: lookup by name, float32
 * conversion, raw reads in the stored and in a wrong dtype, metadata. */
#include "fuzz.h"
#include "io/safetensors.h"

static const size_t elem_size[] = {
    [ST_F32] = 4, [ST_F16] = 2,  [ST_BF16] = 2, [ST_F64] = 8, [ST_I64] = 8,
    [ST_I32] = 4, [ST_I16] = 2,  [ST_I8] = 1,   [ST_U8] = 1,  [ST_BOOL] = 1,
    [ST_U16] = 2, [ST_U32] = 4,  [ST_U64] = 8,  [ST_F8_E4M3] = 1, [ST_F8_E5M2] = 1,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    st_file *f = st_open_memory("fuzz.safetensors", data, size);
    if (!f) return 0;
    static const char *const keys[] = {"format", "segp.vision_heads", "segp.lora_rank", ""};
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
        const char *v = st_metadata(f, keys[k]);
        if (v) (void)strlen(v);
    }
    for (int i = 0; i < st_count(f); i++) {
        const st_tensor *t = st_at(f, i);
        if (st_find(f, t->name) == NULL) abort(); /* every tensor is found by its name */
        /* offsets were validated: the bytes are inside the input */
        if (t->end - t->begin != (uint64_t)t->numel * elem_size[t->dtype]) abort();
        size_t bytes = (size_t)(t->end - t->begin);
        void *buf = segp_malloc(bytes + 4 * (size_t)t->numel + 1);
        (void)st_read_raw(f, t, t->dtype, buf);
        (void)st_read_raw(f, t, t->dtype == ST_U8 ? ST_I32 : ST_U8, buf);
        (void)st_read_f32(f, t, buf);
        free(buf);
        (void)st_dtype_name(t->dtype);
    }
    (void)st_at(f, -1);
    (void)st_at(f, st_count(f));
    (void)st_find(f, "");
    st_close(f);
    return 0;
}
