/* safetensors.c: the safetensors format. Owns validated, memory-mapped reading (st_open and the
 * accessors), conversion of F32/F16/BF16 tensors to float32, raw reads of any dtype, the
 * half-precision conversions, and atomic streaming writes (st_write).
 *
 * Layout: u64 little-endian N, N bytes of UTF-8 JSON (padded with spaces), then the data area.
 * Every number in the header is validated before any tensor is touched, so readers can trust
 * st_tensor.begin/end/numel afterwards. */
#include "safetensors.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/common.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "safetensors.c assumes a little-endian host (the format is little-endian)"
#endif

/* Same cap as the reference implementation: a larger header means a corrupt file, and we do not
 * want cJSON to chew through gigabytes of garbage. */
#define ST_MAX_HEADER ((uint64_t)100000000)
/* Largest integer a JSON number (parsed by cJSON as double) can carry exactly. */
#define ST_MAX_JSON_INT 9007199254740992.0
/* Tensors at least this large are converted with OpenMP threads. */
#define ST_PAR_MIN ((int64_t)1 << 16)

struct st_file {
    char *path;
    uint8_t *map;          /* the file's bytes: mapped (mapped = 1) or borrowed (st_open_memory) */
    size_t map_size;
    int mapped;
    const uint8_t *data; /* start of the data area inside map */
    uint64_t data_size;
    cJSON *json;           /* kept alive: tensor names and metadata point into it */
    const cJSON *meta;     /* the __metadata__ object or NULL */
    int n;
    st_tensor *tensors;    /* header order */
    const st_tensor **by_name; /* sorted by name, for st_find */
};

static const struct {
    const char *name;
    int size;
} dtype_info[] = {
    [ST_F32] = {"F32", 4},   [ST_F16] = {"F16", 2},         [ST_BF16] = {"BF16", 2},
    [ST_F64] = {"F64", 8},   [ST_I64] = {"I64", 8},         [ST_I32] = {"I32", 4},
    [ST_I16] = {"I16", 2},   [ST_I8] = {"I8", 1},           [ST_U8] = {"U8", 1},
    [ST_BOOL] = {"BOOL", 1}, [ST_U16] = {"U16", 2},         [ST_U32] = {"U32", 4},
    [ST_U64] = {"U64", 8},   [ST_F8_E4M3] = {"F8_E4M3", 1}, [ST_F8_E5M2] = {"F8_E5M2", 1},
};
#define N_DTYPES (int)(sizeof dtype_info / sizeof dtype_info[0])

const char *st_dtype_name(st_dtype d) {
    return (int)d >= 0 && (int)d < N_DTYPES ? dtype_info[d].name : "?";
}

/* ---- half precision ---------------------------------------------------------------------- */

static inline uint32_t f32_bits(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}
static inline float bits_f32(uint32_t u) {
    float f;
    memcpy(&f, &u, 4);
    return f;
}

/* Branch-free so the conversion loop vectorises: moving the f16 exponent/mantissa into the f32
 * field gives 2^-112 times the value (an f32 denormal for f16 subnormals), and multiplying by
 * 2^112 is exact. Inf/NaN then get the all-ones exponent with their payload kept. */
static inline float f16_to_f32_inline(uint16_t h) {
    uint32_t em = (uint32_t)(h & 0x7fff) << 13;
    uint32_t o = f32_bits(bits_f32(em) * 0x1p112f);
    if (em >= (0x7c00u << 13)) o |= 0x7f800000u;
    return bits_f32(o | ((uint32_t)(h & 0x8000) << 16));
}

float st_f16_to_f32(uint16_t h) { return f16_to_f32_inline(h); }

uint16_t st_f32_to_f16(float f) {
    uint32_t x = f32_bits(f);
    uint16_t sign = (uint16_t)((x >> 16) & 0x8000);
    x &= 0x7fffffffu;
    if (x > 0x7f800000u) /* NaN: keep the top payload bits, force quiet so it stays NaN */
        return (uint16_t)(sign | 0x7e00 | ((x >> 13) & 0x3ff));
    if (x >= 0x477ff000u) /* >= 65520 (halfway past the max 65504, ties to even = up) or inf */
        return (uint16_t)(sign | 0x7c00);
    if (x < 0x38800000u) { /* below 2^-14: f16 subnormal (or zero); units of 2^-24 */
        uint32_t e = x >> 23;
        if (e < 102) return sign; /* below 2^-25: rounds to zero */
        uint32_t m = (x & 0x7fffffu) | 0x800000u;
        uint32_t s = 126 - e; /* value / 2^-24 = m >> s; s in [14, 24] */
        uint32_t q = m >> s, rem = m & ((1u << s) - 1), half = 1u << (s - 1);
        if (rem > half || (rem == half && (q & 1))) q++;
        return (uint16_t)(sign | q); /* q == 0x400 is exactly the smallest normal */
    }
    uint32_t h = (x >> 13) - (112u << 10); /* rebias exponent 127 -> 15 */
    uint32_t rem = x & 0x1fff;
    if (rem > 0x1000 || (rem == 0x1000 && (h & 1))) h++; /* carry into exponent is correct */
    return (uint16_t)(sign | h);
}

float st_bf16_to_f32(uint16_t h) { return bits_f32((uint32_t)h << 16); }

uint16_t st_f32_to_bf16(float f) {
    uint32_t x = f32_bits(f);
    if ((x & 0x7fffffffu) > 0x7f800000u) /* NaN: truncating could leave only zero mantissa */
        return (uint16_t)((x >> 16) | 0x0040);
    x += 0x7fffu + ((x >> 16) & 1); /* round to nearest even; overflow to inf is correct */
    return (uint16_t)(x >> 16);
}

/* ---- helpers ----------------------------------------------------------------------------- */

/* Strict UTF-8 (no overlongs, surrogates or code points past U+10FFFF). */
static int utf8_valid(const uint8_t *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        uint8_t c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        int len;
        uint32_t cp, min;
        if ((c & 0xe0) == 0xc0) len = 2, cp = c & 0x1f, min = 0x80;
        else if ((c & 0xf0) == 0xe0) len = 3, cp = c & 0x0f, min = 0x800;
        else if ((c & 0xf8) == 0xf0) len = 4, cp = c & 0x07, min = 0x10000;
        else return 0;
        if (n - i < (size_t)len) return 0;
        for (int k = 1; k < len; k++) {
            if ((s[i + k] & 0xc0) != 0x80) return 0;
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
        i += (size_t)len;
    }
    return 1;
}

/* A name fit for a one-line message: control characters become '?', long names are cut. */
static const char *shown(const char *name, char *buf, size_t size) {
    size_t i = 0;
    if (!name) name = "(null)";
    for (; name[i] && i + 4 < size; i++)
        buf[i] = (unsigned char)name[i] < 0x20 || name[i] == 0x7f ? '?' : name[i];
    if (name[i]) memcpy(buf + i, "...", 3), i += 3; /* cut (may split a UTF-8 sequence) */
    buf[i] = 0;
    return buf;
}

static void fmt_shape(char *buf, size_t size, int ndim, const int64_t *shape) {
    size_t k = (size_t)snprintf(buf, size, "[");
    for (int d = 0; d < ndim && k < size; d++)
        k += (size_t)snprintf(buf + k, size - k, "%s%lld", d ? ", " : "", (long long)shape[d]);
    if (k < size) snprintf(buf + k, size - k, "]");
}

/* A JSON number that is an exact non-negative integer representable without loss. */
static int json_uint(const cJSON *v, uint64_t *out) {
    if (!cJSON_IsNumber(v)) return 0;
    double d = v->valuedouble;
    if (!(d >= 0 && d <= ST_MAX_JSON_INT) || (double)(uint64_t)d != d) return 0;
    *out = (uint64_t)d;
    return 1;
}

static int cmp_tensor_name(const void *a, const void *b) {
    return strcmp((*(const st_tensor *const *)a)->name, (*(const st_tensor *const *)b)->name);
}

static int cmp_tensor_begin(const void *a, const void *b) {
    const st_tensor *x = *(const st_tensor *const *)a, *y = *(const st_tensor *const *)b;
    if (x->begin != y->begin) return x->begin < y->begin ? -1 : 1;
    return x->end < y->end ? -1 : x->end > y->end;
}

/* ---- reading ----------------------------------------------------------------------------- */

static int parse_metadata(const char *path, const cJSON *m) {
    if (!cJSON_IsObject(m))
        return SEGP_FAIL("%s: __metadata__ is not an object (expected {\"key\": \"value\", ...})",
                         path);
    char b1[160];
    for (const cJSON *c = m->child; c; c = c->next)
        if (!cJSON_IsString(c) || !c->valuestring)
            return SEGP_FAIL("%s: __metadata__ value of '%s' is not a string (expected string "
                             "values only)",
                             path, shown(c->string, b1, sizeof b1));
    return 0;
}

static int parse_entry(const char *path, const uint64_t data_size, const cJSON *e, st_tensor *t) {
    char nb[160];
    const char *name = shown(t->name, nb, sizeof nb);
    if (!cJSON_IsObject(e))
        return SEGP_FAIL("%s: tensor '%s': entry is not an object (expected {\"dtype\", "
                         "\"shape\", \"data_offsets\"})",
                         path, name);
    const cJSON *dt = cJSON_GetObjectItemCaseSensitive(e, "dtype");
    const cJSON *sh = cJSON_GetObjectItemCaseSensitive(e, "shape");
    const cJSON *off = cJSON_GetObjectItemCaseSensitive(e, "data_offsets");
    const char *missing = !dt ? "dtype" : !sh ? "shape" : !off ? "data_offsets" : NULL;
    if (missing) return SEGP_FAIL("%s: tensor '%s': missing \"%s\"", path, name, missing);

    if (!cJSON_IsString(dt) || !dt->valuestring)
        return SEGP_FAIL("%s: tensor '%s': dtype is not a string (expected e.g. \"F32\")", path,
                         name);
    int found = -1;
    for (int i = 0; i < N_DTYPES; i++)
        if (!strcmp(dt->valuestring, dtype_info[i].name)) found = i;
    if (found < 0) {
        char db[64];
        return SEGP_FAIL("%s: tensor '%s': unknown dtype \"%s\" (expected F32, F16, BF16, F64, "
                         "I64, I32, I16, I8, U8, BOOL, U16, U32, U64, F8_E4M3 or F8_E5M2)",
                         path, name, shown(dt->valuestring, db, sizeof db));
    }
    t->dtype = (st_dtype)found;

    if (!cJSON_IsArray(sh))
        return SEGP_FAIL("%s: tensor '%s': shape is not an array (expected a list of "
                         "non-negative integers)",
                         path, name);
    int nd = cJSON_GetArraySize(sh);
    if (nd > ST_MAX_DIMS)
        return SEGP_FAIL("%s: tensor '%s': shape has too many dims (%d; at most %d supported)",
                         path, name, nd, ST_MAX_DIMS);
    t->ndim = nd;
    uint64_t numel = 1;
    int overflow = 0;
    int d = 0;
    for (const cJSON *c = sh->child; c; c = c->next, d++) {
        uint64_t v;
        if (!json_uint(c, &v))
            return SEGP_FAIL("%s: tensor '%s': shape entry %d is not a non-negative integer "
                             "(negative, fractional, too large or not a number)",
                             path, name, d);
        t->shape[d] = (int64_t)v;
        overflow |= __builtin_mul_overflow(numel, v, &numel);
    }
    uint64_t bytes = 0;
    overflow |= numel > (uint64_t)INT64_MAX;
    overflow |= __builtin_mul_overflow(numel, (uint64_t)dtype_info[found].size, &bytes);
    char sb[200];
    fmt_shape(sb, sizeof sb, t->ndim, t->shape);
    if (overflow)
        return SEGP_FAIL("%s: tensor '%s': shape %s is too large", path, name, sb);
    t->numel = (int64_t)numel;

    if (!cJSON_IsArray(off) || cJSON_GetArraySize(off) != 2 || !json_uint(off->child, &t->begin) ||
        !json_uint(off->child->next, &t->end))
        return SEGP_FAIL("%s: tensor '%s': data_offsets is not two non-negative integers "
                         "(expected [begin, end])",
                         path, name);
    unsigned long long b = t->begin, en = t->end;
    if (b > en)
        return SEGP_FAIL("%s: tensor '%s': data_offsets [%llu, %llu] have begin > end", path,
                         name, b, en);
    if (en > data_size)
        return SEGP_FAIL("%s: tensor '%s': data_offsets [%llu, %llu] extend past the end of the "
                         "data (%llu bytes)",
                         path, name, b, en, (unsigned long long)data_size);
    if (en - b != bytes)
        return SEGP_FAIL("%s: tensor '%s': data_offsets [%llu, %llu] span %llu bytes but dtype "
                         "%s with shape %s needs %llu bytes (size mismatch)",
                         path, name, b, en, en - b, dtype_info[found].name, sb,
                         (unsigned long long)bytes);
    return 0;
}

static int parse_header(st_file *f, const char *hdr, size_t n) {
    const char *path = f->path;
    if (!utf8_valid((const uint8_t *)hdr, n))
        return SEGP_FAIL("%s: header is not valid UTF-8 JSON", path);
    const char *end = NULL;
    f->json = cJSON_ParseWithLengthOpts(hdr, n, &end, 0);
    if (!f->json) {
        size_t at = end && end >= hdr && end <= hdr + n ? (size_t)(end - hdr) : 0;
        return SEGP_FAIL("%s: header is not valid JSON (error near byte %zu of %zu)", path, at,
                         n);
    }
    for (const char *p = end; p && p < hdr + n; p++)
        if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
            return SEGP_FAIL("%s: header is not valid JSON (unexpected data after the object at "
                             "byte %zu of %zu)",
                             path, (size_t)(p - hdr), n);
    if (!cJSON_IsObject(f->json))
        return SEGP_FAIL("%s: header is not a JSON object (expected {\"name\": {...}, ...})",
                         path);

    int count = 0;
    for (const cJSON *c = f->json->child; c; c = c->next)
        if (!c->string || strcmp(c->string, "__metadata__")) count++;
    f->tensors = segp_calloc((size_t)count + 1, sizeof *f->tensors);
    f->by_name = segp_calloc((size_t)count + 1, sizeof *f->by_name);

    char b1[160], b2[160];
    for (const cJSON *c = f->json->child; c; c = c->next) {
        if (!c->string) return SEGP_FAIL("%s: header entry without a name", path);
        if (!strcmp(c->string, "__metadata__")) {
            if (f->meta)
                return SEGP_FAIL("%s: duplicate \"__metadata__\" entry in the header", path);
            if (parse_metadata(path, c) != 0) return -1;
            f->meta = c;
            continue;
        }
        st_tensor *t = &f->tensors[f->n];
        t->name = c->string;
        if (parse_entry(path, f->data_size, c, t) != 0) return -1;
        f->by_name[f->n] = t;
        f->n++;
    }

    qsort(f->by_name, (size_t)f->n, sizeof *f->by_name, cmp_tensor_name);
    for (int i = 1; i < f->n; i++)
        if (!strcmp(f->by_name[i - 1]->name, f->by_name[i]->name))
            return SEGP_FAIL("%s: duplicate tensor name '%s'", path,
                             shown(f->by_name[i]->name, b1, sizeof b1));

    /* Overlap: sort the non-empty byte ranges by start; each must begin at or after the end of
     * the one before. Empty tensors occupy no bytes and cannot overlap anything. */
    const st_tensor **ord = segp_malloc(((size_t)f->n + 1) * sizeof *ord);
    int m = 0;
    for (int i = 0; i < f->n; i++)
        if (f->tensors[i].end > f->tensors[i].begin) ord[m++] = &f->tensors[i];
    qsort(ord, (size_t)m, sizeof *ord, cmp_tensor_begin);
    int rc = 0;
    for (int i = 1; i < m && rc == 0; i++)
        if (ord[i]->begin < ord[i - 1]->end)
            rc = SEGP_FAIL("%s: tensors '%s' [%llu, %llu] and '%s' [%llu, %llu] overlap in the "
                           "data area",
                           path, shown(ord[i - 1]->name, b1, sizeof b1),
                           (unsigned long long)ord[i - 1]->begin,
                           (unsigned long long)ord[i - 1]->end, shown(ord[i]->name, b2, sizeof b2),
                           (unsigned long long)ord[i]->begin, (unsigned long long)ord[i]->end);
    free(ord);
    return rc;
}

/* What a file that is not safetensors is, from its first bytes, with what to do about it; NULL
 * when unknown. Users of CLIP mostly hold PyTorch checkpoints (torch.save's zip archive, or a
 * pickle in older ones), so those say how to convert. */
#define ST_CONVERT                                                                                 \
    "; segp reads safetensors: in Python, safetensors.torch.save_file(state_dict, "              \
    "\"model.safetensors\") converts it (README, \"Checkpoints\")"
static const char *foreign_format(const uint8_t *p, uint64_t n) {
    if (n >= 4 && !memcmp(p, "PK\x03\x04", 4))
        return "a zip archive, as torch.save and torch.jit.save write (a PyTorch .pt/.pth/.bin "
               "checkpoint?)" ST_CONVERT;
    if (n >= 2 && p[0] == 0x80 && p[1] >= 2 && p[1] <= 5)
        return "a Python pickle (an old-style PyTorch checkpoint?)" ST_CONVERT;
    if (n >= 8 && !memcmp(p, "\x89PNG\r\n\x1a\n", 8)) return "a PNG image";
    if (n >= 3 && p[0] == 0xFF && p[1] == 0xD8 && p[2] == 0xFF) return "a JPEG image";
    if (n >= 6 && !memcmp(p, "\x93NUMPY", 6)) return "a NumPy .npy array";
    if (n >= 2 && p[0] == 0x1f && p[1] == 0x8b) return "gzip-compressed (unpack it first)";
    if (n >= 8 && !memcmp(p, "\x89HDF\r\n\x1a\n", 8)) return "an HDF5 file (a Keras .h5 model?)";
    if (n >= 4 && !memcmp(p, "GGUF", 4)) return "a GGUF file (llama.cpp's format)";
    uint64_t i = 0;
    while (i < n && i < 64 && (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r')) i++;
    if (i < n && (p[i] == '{' || p[i] == '[')) return "JSON text (a configuration file?)";
    return NULL;
}

/* Validate the bytes at f->map (f->map_size of them) and set up f; -1 + error naming f->path. */
static int open_bytes(st_file *f) {
    const char *path = f->path;
    uint64_t size = (uint64_t)f->map_size;
    const char *other = foreign_format(f->map, size);
    if (size < 8 && other) return SEGP_FAIL("%s: not a safetensors file: this is %s", path, other);
    if (size < 8)
        return SEGP_FAIL("%s: file is too short (%llu bytes; a safetensors file starts with an "
                         "8-byte header length)",
                         path, (unsigned long long)size);
    uint64_t hlen;
    memcpy(&hlen, f->map, 8);
    if (hlen > size - 8 && other)
        return SEGP_FAIL("%s: not a safetensors file: this is %s", path, other);
    if (hlen > size - 8)
        return SEGP_FAIL("%s: header length %llu extends past the end of the file (%llu bytes; "
                         "not a safetensors file or truncated)",
                         path, (unsigned long long)hlen, (unsigned long long)size);
    if (hlen > ST_MAX_HEADER)
        return SEGP_FAIL("%s: header length %llu is too large (limit %llu bytes; corrupt file?)",
                         path, (unsigned long long)hlen, (unsigned long long)ST_MAX_HEADER);
    f->data = f->map + 8 + hlen;
    f->data_size = size - 8 - hlen;
    return parse_header(f, (const char *)f->map + 8, (size_t)hlen);
}

st_file *st_open_memory(const char *name, const void *data, size_t size) {
    st_file *f = segp_calloc(1, sizeof *f);
    f->path = segp_strdup(name);
    f->map = (uint8_t *)data; /* borrowed: not unmapped by st_close */
    f->map_size = size;
    if (open_bytes(f) != 0) {
        st_close(f);
        return NULL;
    }
    return f;
}

st_file *st_open(const char *path) {
    st_file *f = segp_calloc(1, sizeof *f);
    f->path = segp_strdup(path);
    size_t file_size;
    int fd = segp_open_regular_fd(path, &file_size);
    if (fd < 0) goto fail;
    uint64_t size = (uint64_t)file_size;
    if (size == 0) { /* mmap cannot map it; open_bytes names the problem */
        close(fd);
        f->map = (uint8_t *)"";
    } else {
        void *map = mmap(NULL, (size_t)size, PROT_READ, MAP_PRIVATE, fd, 0);
        int map_err = errno;
        close(fd); /* the mapping stays valid */
        if (map == MAP_FAILED) {
            SEGP_FAIL("%s: cannot memory-map: %s", path, strerror(map_err));
            goto fail;
        }
        f->map = map;
        f->mapped = 1;
    }
    f->map_size = (size_t)size;
    if (open_bytes(f) != 0) goto fail;
    return f;
fail:
    st_close(f);
    return NULL;
}

void st_close(st_file *f) {
    if (!f) return;
    if (f->mapped) munmap(f->map, f->map_size);
    cJSON_Delete(f->json);
    free(f->tensors);
    free(f->by_name);
    free(f->path);
    free(f);
}

const char *st_path(const st_file *f) { return f->path; }
int st_count(const st_file *f) { return f->n; }

const st_tensor *st_at(const st_file *f, int i) {
    return i >= 0 && i < f->n ? &f->tensors[i] : NULL;
}

const st_tensor *st_find(const st_file *f, const char *name) {
    int lo = 0, hi = f->n - 1;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2;
        int c = strcmp(f->by_name[mid]->name, name);
        if (c == 0) return f->by_name[mid];
        if (c < 0) lo = mid + 1;
        else hi = mid - 1;
    }
    return NULL;
}

const char *st_metadata(const st_file *f, const char *key) {
    if (!f->meta) return NULL;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(f->meta, key);
    return v ? v->valuestring : NULL;
}

int st_metadata_count(const st_file *f) {
    return f->meta ? cJSON_GetArraySize(f->meta) : 0;
}

const char *st_metadata_key(const st_file *f, int i) {
    const cJSON *e = f->meta ? cJSON_GetArrayItem(f->meta, i) : NULL;
    return e ? e->string : NULL;
}

int st_read_f32(const st_file *f, const st_tensor *t, float *dst) {
    SEGP_CHECK(t >= f->tensors && t < f->tensors + f->n, "tensor does not belong to this file");
    const uint8_t *src = f->data + t->begin;
    const int64_t n = t->numel;
    switch (t->dtype) {
    case ST_F32: {
        /* Chunked so that page faults on the mapping are taken by several threads at once. */
        const int64_t chunk = (int64_t)1 << 16, nchunks = (n + chunk - 1) / chunk;
#pragma omp parallel for if (n >= 4 * ST_PAR_MIN) schedule(static)
        for (int64_t c = 0; c < nchunks; c++) {
            int64_t lo = c * chunk, len = n - lo < chunk ? n - lo : chunk;
            memcpy(dst + lo, src + 4 * lo, (size_t)len * 4);
        }
        return 0;
    }
    case ST_F16:
#pragma omp parallel for if (n >= ST_PAR_MIN) schedule(static)
        for (int64_t i = 0; i < n; i++) {
            uint16_t h;
            memcpy(&h, src + 2 * i, 2); /* the data need not be 2-byte aligned */
            dst[i] = f16_to_f32_inline(h);
        }
        return 0;
    case ST_BF16:
#pragma omp parallel for if (n >= ST_PAR_MIN) schedule(static)
        for (int64_t i = 0; i < n; i++) {
            uint16_t h;
            memcpy(&h, src + 2 * i, 2);
            dst[i] = bits_f32((uint32_t)h << 16);
        }
        return 0;
    default: {
        char nb[160];
        return SEGP_FAIL("%s: tensor '%s' has dtype %s; only F32, F16 and BF16 tensors can be "
                         "read as float32",
                         f->path, shown(t->name, nb, sizeof nb), st_dtype_name(t->dtype));
    }
    }
}

int st_read_raw(const st_file *f, const st_tensor *t, st_dtype want, void *dst) {
    SEGP_CHECK(t >= f->tensors && t < f->tensors + f->n, "tensor does not belong to this file");
    if (t->dtype != want) {
        char nb[160];
        return SEGP_FAIL("%s: tensor '%s' has dtype %s (expected %s)", f->path,
                         shown(t->name, nb, sizeof nb), st_dtype_name(t->dtype),
                         st_dtype_name(want));
    }
    if (t->end > t->begin) memcpy(dst, f->data + t->begin, (size_t)(t->end - t->begin));
    return 0;
}

/* ---- writing ----------------------------------------------------------------------------- */

static int write_all(int fd, const void *buf, size_t n) {
    const uint8_t *p = buf;
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* The dtypes st_write accepts; F16 and BF16 are converted from float32, the others stored as
 * given. */
static int writable(st_dtype d) {
    return d == ST_F32 || d == ST_F16 || d == ST_BF16 || d == ST_I32 || d == ST_U8;
}

static int write_tensor_data(int fd, const st_write_tensor *t, int64_t numel) {
    if (t->dtype != ST_F16 && t->dtype != ST_BF16)
        return write_all(fd, t->data, (size_t)numel * (size_t)dtype_info[t->dtype].size);
    enum { CHUNK = 1 << 16 };
    uint16_t *buf = segp_malloc(CHUNK * sizeof *buf);
    int rc = 0;
    for (int64_t lo = 0; lo < numel && rc == 0; lo += CHUNK) {
        int64_t len = numel - lo < CHUNK ? numel - lo : CHUNK;
        const float *s = (const float *)t->data + lo;
        if (t->dtype == ST_F16)
            for (int64_t i = 0; i < len; i++) buf[i] = st_f32_to_f16(s[i]);
        else
            for (int64_t i = 0; i < len; i++) buf[i] = st_f32_to_bf16(s[i]);
        rc = write_all(fd, buf, (size_t)len * 2);
    }
    free(buf);
    return rc;
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Names must be unique; returns the first duplicate or NULL. */
static const char *find_duplicate(const char **names, int n) {
    qsort(names, (size_t)n, sizeof *names, cmp_str);
    for (int i = 1; i < n; i++)
        if (!strcmp(names[i - 1], names[i])) return names[i];
    return NULL;
}

static cJSON *raw_u64(uint64_t v) {
    char b[32];
    snprintf(b, sizeof b, "%llu", (unsigned long long)v); /* exact, never exponent notation */
    return cJSON_CreateRaw(b);
}

/* Checks the arguments and builds the padded header. Data is laid out 4-byte dtypes first, then
 * 2-byte ones, then 1-byte ones, with no holes (the reference reader rejects holes), so every
 * tensor starts at a multiple of its element size; the header is padded with spaces to a
 * multiple of 8. */
static char *build_header(const char *path, const st_write_tensor *ts, int n,
                          const char *const *mk, const char *const *mv, int n_meta,
                          size_t *out_len) {
    char nb[160];
    uint64_t *begin = segp_calloc((size_t)n + 1, sizeof *begin);
    int64_t *numel = segp_calloc((size_t)n + 1, sizeof *numel);
    const char **names = segp_calloc((size_t)n + (size_t)n_meta + 1, sizeof *names);
    cJSON *root = NULL;
    char *json = NULL, *out = NULL;
    for (int i = 0; i < n; i++) {
        const st_write_tensor *t = &ts[i];
        if (!t->name || !utf8_valid((const uint8_t *)t->name, strlen(t->name)) ||
            !strcmp(t->name, "__metadata__")) {
            SEGP_FAIL("%s: tensor %d: name %s (expected a UTF-8 name other than __metadata__)",
                      path, i, t->name ? "is not allowed" : "is missing");
            goto done;
        }
        const char *nm = shown(t->name, nb, sizeof nb);
        if (!writable(t->dtype)) {
            SEGP_FAIL("%s: tensor '%s': cannot write dtype %s (expected F32, F16, BF16, I32 or "
                      "U8)",
                      path, nm, st_dtype_name(t->dtype));
            goto done;
        }
        if (t->ndim < 0 || t->ndim > ST_MAX_DIMS) {
            SEGP_FAIL("%s: tensor '%s': %d dims (expected 0..%d)", path, nm, t->ndim, ST_MAX_DIMS);
            goto done;
        }
        int64_t ne = 1;
        for (int d = 0; d < t->ndim; d++)
            if (t->shape[d] < 0 || __builtin_mul_overflow(ne, t->shape[d], &ne) ||
                ne > INT64_MAX / 8) {
                SEGP_FAIL("%s: tensor '%s': shape entry %d (%lld) is negative or too large", path,
                          nm, d, (long long)t->shape[d]);
                goto done;
            }
        if (ne > 0 && !t->data) {
            SEGP_FAIL("%s: tensor '%s': no data", path, nm);
            goto done;
        }
        numel[i] = ne;
        names[i] = t->name;
    }
    for (int i = 0; i < n_meta; i++) {
        if (!mk[i] || !mv[i] || !utf8_valid((const uint8_t *)mk[i], strlen(mk[i])) ||
            !utf8_valid((const uint8_t *)mv[i], strlen(mv[i]))) {
            SEGP_FAIL("%s: metadata entry %d is missing or not UTF-8", path, i);
            goto done;
        }
        names[n + i] = mk[i];
    }
    const char *dup = find_duplicate(names, n);
    if (dup) {
        SEGP_FAIL("%s: duplicate tensor name '%s'", path, shown(dup, nb, sizeof nb));
        goto done;
    }
    if ((dup = find_duplicate(names + n, n_meta))) {
        SEGP_FAIL("%s: duplicate metadata key '%s'", path, shown(dup, nb, sizeof nb));
        goto done;
    }
    uint64_t off = 0;
    for (int pass = 0; pass < 3; pass++)
        for (int i = 0; i < n; i++)
            if (dtype_info[ts[i].dtype].size == 4 >> pass) {
                begin[i] = off;
                off += (uint64_t)numel[i] * (uint64_t)dtype_info[ts[i].dtype].size;
            }

    root = cJSON_CreateObject();
    int ok = root != NULL;
    if (ok && n_meta > 0) {
        cJSON *m = cJSON_AddObjectToObject(root, "__metadata__");
        ok = m != NULL;
        for (int i = 0; ok && i < n_meta; i++)
            ok = cJSON_AddStringToObject(m, mk[i], mv[i]) != NULL;
    }
    for (int i = 0; ok && i < n; i++) {
        const st_write_tensor *t = &ts[i];
        cJSON *e = cJSON_AddObjectToObject(root, t->name);
        cJSON *sh = e ? cJSON_CreateArray() : NULL, *of = sh ? cJSON_CreateArray() : NULL;
        ok = e && sh && of && cJSON_AddStringToObject(e, "dtype", st_dtype_name(t->dtype)) &&
             cJSON_AddItemToObject(e, "shape", sh);
        if (!ok) {
            cJSON_Delete(sh);
            cJSON_Delete(of);
            break;
        }
        ok = cJSON_AddItemToObject(e, "data_offsets", of);
        if (!ok) {
            cJSON_Delete(of);
            break;
        }
        for (int d = 0; ok && d < t->ndim; d++)
            ok = cJSON_AddItemToArray(sh, raw_u64((uint64_t)t->shape[d]));
        uint64_t end = begin[i] + (uint64_t)numel[i] * (uint64_t)dtype_info[t->dtype].size;
        ok = ok && cJSON_AddItemToArray(of, raw_u64(begin[i])) &&
             cJSON_AddItemToArray(of, raw_u64(end));
    }
    json = ok ? cJSON_PrintUnformatted(root) : NULL;
    if (!json) {
        SEGP_FAIL("%s: out of memory building the safetensors header", path);
        goto done;
    }
    size_t len = strlen(json), padded = (len + 7) / 8 * 8;
    out = segp_malloc(8 + padded);
    uint64_t le = padded;
    memcpy(out, &le, 8);
    memcpy(out + 8, json, len);
    memset(out + 8 + len, ' ', padded - len);
    *out_len = 8 + padded;
done:
    cJSON_Delete(root);
    free(json);
    free(begin);
    free(numel);
    free(names);
    return out;
}

/* fsync the directory holding PATH so the rename itself is durable (best effort). */
static void sync_parent_dir(const char *path) {
    char *copy = segp_strdup(path);
    int dfd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        (void)fsync(dfd);
        close(dfd);
    }
    free(copy);
}

int st_write(const char *path, const st_write_tensor *tensors, int n_tensors,
             const char *const *meta_keys, const char *const *meta_values, int n_meta) {
    if (n_tensors < 0 || n_meta < 0 || (n_tensors && !tensors) ||
        (n_meta && (!meta_keys || !meta_values)))
        return SEGP_FAIL("%s: invalid tensor or metadata list", path);
    size_t hlen = 0;
    char *hdr = build_header(path, tensors, n_tensors, meta_keys, meta_values, n_meta, &hlen);
    if (!hdr) return -1;

    size_t tl = strlen(path) + 32;
    char *tmp = segp_malloc(tl);
    snprintf(tmp, tl, "%s.tmp.%d", path, (int)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        SEGP_FAIL("%s: cannot create: %s", path, strerror(errno));
        free(hdr);
        free(tmp);
        return -1;
    }
    int rc = write_all(fd, hdr, hlen);
    /* Same order as build_header's offsets: 4-byte dtypes first, then 2-byte, then 1-byte. */
    for (int pass = 0; pass < 3 && rc == 0; pass++)
        for (int i = 0; i < n_tensors && rc == 0; i++) {
            const st_write_tensor *t = &tensors[i];
            if (dtype_info[t->dtype].size != 4 >> pass) continue;
            int64_t ne = 1;
            for (int d = 0; d < t->ndim; d++) ne *= t->shape[d];
            rc = write_tensor_data(fd, t, ne);
        }
    free(hdr);
    if (rc != 0) {
        int e = errno;
        close(fd);
        unlink(tmp);
        free(tmp);
        return SEGP_FAIL("%s: write failed: %s", path, strerror(e));
    }
    int bad = fsync(fd) != 0;
    int e = errno;
    if (close(fd) != 0 && !bad) bad = 1, e = errno;
    if (bad) {
        unlink(tmp);
        free(tmp);
        return SEGP_FAIL("%s: cannot flush to disk: %s", path, strerror(e));
    }
    if (rename(tmp, path) != 0) {
        e = errno;
        unlink(tmp);
        free(tmp);
        return SEGP_FAIL("%s: cannot rename into place: %s", path, strerror(e));
    }
    free(tmp);
    sync_parent_dir(path);
    return 0;
}
