/* test_safetensors.c: safetensors reading, validation and writing (engine/io/safetensors.c).
 * Every file is built here, in C, under test_tmpdir(): round trips through st_write, a file laid
 * out byte by byte the way the reference (Python/Rust safetensors) writes one, one file per
 * corruption case, and a deterministic fuzz loop over mutated files. */
#include <dirent.h>
#include <float.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/common.h"
#include "io/safetensors.h"
#include "test.h"

static void tmp_path(char *buf, size_t n, const char *name) {
    snprintf(buf, n, "%s/%s", test_tmpdir(), name);
}

/* A safetensors file: u64 header length, JSON, optional space padding, then DATA_LEN bytes
 * (DATA if given, else a ramp). */
static void write_st(const char *path, const char *json, size_t pad, const void *data,
                     size_t data_len) {
    size_t jl = strlen(json), n = 8 + jl + pad + data_len;
    uint8_t *buf = malloc(n);
    uint64_t hl = jl + pad;
    memcpy(buf, &hl, 8);
    memcpy(buf + 8, json, jl);
    memset(buf + 8 + jl, ' ', pad);
    for (size_t i = 0; i < data_len; i++)
        buf[8 + jl + pad + i] = data ? ((const uint8_t *)data)[i] : (uint8_t)i;
    write_bytes(path, buf, n);
    free(buf);
}

static float bits_f(uint32_t u) {
    float f;
    memcpy(&f, &u, 4);
    return f;
}

/* Independent decoding of an f16 value, through double arithmetic. */
static double ref_f16(uint16_t h) {
    int e = (h >> 10) & 31, m = h & 1023;
    double v = e == 31 ? (m ? NAN : INFINITY) : e == 0 ? ldexp(m, -24) : ldexp(m + 1024, e - 25);
    return (h & 0x8000) ? -v : v;
}

TEST(st_f16_exhaustive) {
    int bad = 0;
    for (uint32_t h = 0; h < 65536; h++) {
        float f = st_f16_to_f32((uint16_t)h);
        double r = ref_f16((uint16_t)h);
        uint16_t back = st_f32_to_f16(f);
        if (isnan(r)) {
            bad += !isnan(f) || (back & 0x7c00) != 0x7c00 || !(back & 0x3ff);
            bad += ((back ^ h) & 0x8000) != 0;
        } else {
            bad += (double)f != r || !signbit(f) != !signbit(r) || back != h;
        }
        if (bad == 1) CHECK_MSG(0, "f16 0x%04x: got %.9g, back 0x%04x", h, (double)f, back);
    }
    CHECK_EQ_INT(bad, 0);
}

TEST(st_f16_special_values) {
    CHECK_EQ_INT(st_f32_to_f16(0.0f), 0x0000);
    CHECK_EQ_INT(st_f32_to_f16(-0.0f), 0x8000);
    CHECK_EQ_INT(st_f32_to_f16(0x1p-24f), 0x0001);  /* smallest subnormal */
    CHECK_EQ_INT(st_f32_to_f16(-0x1p-24f), 0x8001);
    CHECK_EQ_INT(st_f32_to_f16(0x1p-25f), 0x0000);  /* tie between 0 and 2^-24: even is 0 */
    CHECK_EQ_INT(st_f32_to_f16(0x1.000002p-25f), 0x0001); /* just above the tie */
    CHECK_EQ_INT(st_f32_to_f16(0x3p-25f), 0x0002);  /* tie between 1 and 2 units: even is 2 */
    CHECK_EQ_INT(st_f32_to_f16(0x5p-25f), 0x0002);  /* tie between 2 and 3 units: even is 2 */
    CHECK_EQ_INT(st_f32_to_f16(0x1p-14f), 0x0400);  /* smallest normal */
    CHECK_EQ_INT(st_f32_to_f16(0x7ffp-25f), 0x0400); /* tie 0x3ff/0x400 rounds up to even */
    CHECK_EQ_INT(st_f32_to_f16(1e-8f), 0x0000);
    CHECK_EQ_INT(st_f32_to_f16(bits_f(0x00000001)), 0x0000); /* f32 subnormal */
    CHECK_EQ_INT(st_f32_to_f16(1.0f), 0x3c00);
    CHECK_EQ_INT(st_f32_to_f16(1.0f + 0x1p-11f), 0x3c00);     /* tie: stays even */
    CHECK_EQ_INT(st_f32_to_f16(1.0f + 0x3p-11f), 0x3c02);     /* tie: up to even */
    CHECK_EQ_INT(st_f32_to_f16(1.0f + 0x1.2p-11f), 0x3c01);   /* above the tie */
    CHECK_EQ_INT(st_f32_to_f16(65504.0f), 0x7bff);            /* max finite */
    CHECK_EQ_INT(st_f32_to_f16(65519.996f), 0x7bff);
    CHECK_EQ_INT(st_f32_to_f16(65520.0f), 0x7c00);            /* halfway past max: inf */
    CHECK_EQ_INT(st_f32_to_f16(-65520.0f), 0xfc00);
    CHECK_EQ_INT(st_f32_to_f16(1e10f), 0x7c00);
    CHECK_EQ_INT(st_f32_to_f16(INFINITY), 0x7c00);
    CHECK_EQ_INT(st_f32_to_f16(-INFINITY), 0xfc00);
    uint16_t qn = st_f32_to_f16(NAN);
    CHECK((qn & 0x7c00) == 0x7c00 && (qn & 0x3ff) != 0);
    uint16_t sn = st_f32_to_f16(bits_f(0x7f800001)); /* payload only in low bits */
    CHECK((sn & 0x7c00) == 0x7c00 && (sn & 0x3ff) != 0);
    CHECK(isnan(st_f16_to_f32(0x7e00)) && isnan(st_f16_to_f32(0xfc01)));
    CHECK(st_f16_to_f32(0x7c00) == INFINITY && st_f16_to_f32(0xfc00) == -INFINITY);
    CHECK(st_f16_to_f32(0x0001) == 0x1p-24f && st_f16_to_f32(0x03ff) == 0x3ffp-24f);
    CHECK(st_f16_to_f32(0x7bff) == 65504.0f);
    CHECK(signbit(st_f16_to_f32(0x8000)) && st_f16_to_f32(0x8000) == 0.0f);
}

/* Random f32 values: the f16 result must be the nearest one, ties to even. */
TEST(st_f16_rounding_property) {
    uint64_t s = 0x9e3779b97f4a7c15ull;
    int bad = 0;
    for (int it = 0; it < 200000; it++) {
        s ^= s << 13, s ^= s >> 7, s ^= s << 17;
        /* Mostly values within f16 range (exponents 100..145), some anywhere. */
        uint32_t u = (uint32_t)s;
        if (it % 4) u = (u & 0x807fffffu) | ((100u + (uint32_t)(s >> 40) % 46u) << 23);
        float f = bits_f(u);
        if (isnan(f)) continue;
        uint16_t h = st_f32_to_f16(f);
        double a = fabs((double)f);
        if ((h & 0x8000) != ((u >> 16) & 0x8000)) bad++;
        uint16_t m = h & 0x7fff;
        if (a >= 65520.0) {
            bad += m != 0x7c00;
            continue;
        }
        if (m >= 0x7c00) {
            bad++;
            continue;
        }
        double d0 = fabs(a - ref_f16(m));
        double up = m == 0x7bff ? 65536.0 : ref_f16(m + 1);
        double du = fabs(a - up), dd = m ? fabs(a - ref_f16(m - 1)) : INFINITY;
        if (d0 > du || d0 > dd || ((d0 == du || d0 == dd) && (m & 1))) {
            if (!bad) CHECK_MSG(0, "f32 %a -> f16 0x%04x not nearest-even", (double)f, h);
            bad++;
        }
    }
    CHECK_EQ_INT(bad, 0);
}

TEST(st_bf16_conversions) {
    int bad = 0;
    for (uint32_t h = 0; h < 65536; h++) {
        float f = st_bf16_to_f32((uint16_t)h);
        uint32_t u;
        memcpy(&u, &f, 4);
        bad += u != h << 16;
        if (!isnan(f)) bad += st_f32_to_bf16(f) != h; /* exact values round trip */
    }
    CHECK_EQ_INT(bad, 0);
    CHECK_EQ_INT(st_f32_to_bf16(1.0f), 0x3f80);
    CHECK_EQ_INT(st_f32_to_bf16(1.0f + 0x1p-8f), 0x3f80);          /* tie: stays even */
    CHECK_EQ_INT(st_f32_to_bf16(1.0f + 0x3p-8f), 0x3f82);          /* tie: up to even */
    CHECK_EQ_INT(st_f32_to_bf16(1.0f + 0x1p-8f + 0x1p-20f), 0x3f81); /* above the tie */
    CHECK_EQ_INT(st_f32_to_bf16(-0.0f), 0x8000);
    CHECK_EQ_INT(st_f32_to_bf16(bits_f(0x00000001)), 0x0000);
    CHECK_EQ_INT(st_f32_to_bf16(bits_f(0x00008000)), 0x0000); /* subnormal tie to even */
    CHECK_EQ_INT(st_f32_to_bf16(bits_f(0x00018000)), 0x0002);
    CHECK_EQ_INT(st_f32_to_bf16(INFINITY), 0x7f80);
    CHECK_EQ_INT(st_f32_to_bf16(-INFINITY), 0xff80);
    CHECK_EQ_INT(st_f32_to_bf16(FLT_MAX), 0x7f80); /* past the largest bf16: inf */
    CHECK_EQ_INT(st_f32_to_bf16(bits_f(0x7f7f7fff)), 0x7f7f);
    uint16_t n1 = st_f32_to_bf16(bits_f(0x7f800001)); /* truncation would give inf */
    CHECK((n1 & 0x7f80) == 0x7f80 && (n1 & 0x7f) != 0);
    uint16_t n2 = st_f32_to_bf16(bits_f(0xffffffff));
    CHECK((n2 & 0x7f80) == 0x7f80 && (n2 & 0x7f) != 0 && (n2 & 0x8000));
}

static int no_tmp_files_left(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return 0;
    int ok = 1;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strstr(e->d_name, ".tmp.")) ok = 0;
    closedir(d);
    return ok;
}

TEST(st_roundtrip_with_metadata) {
    char path[512];
    tmp_path(path, sizeof path, "rt.safetensors");
    float a[6], b[5], c[8], sc[1] = {-3.25f};
    for (int i = 0; i < 6; i++) a[i] = 0.1f * (float)i - 0.2f;
    for (int i = 0; i < 5; i++) b[i] = 1.0f / (float)(i + 3) - 1e-5f * (float)i;
    for (int i = 0; i < 8; i++) c[i] = 1000.0f * sinf((float)i);
    st_write_tensor ts[] = {
        {"layer.bf16", ST_BF16, 3, {2, 2, 2}, c},
        {"w", ST_F32, 2, {2, 3}, a},
        {"half", ST_F16, 1, {5}, b},
        {"scalar", ST_F32, 0, {0}, sc},
        {"empty", ST_F16, 2, {0, 4}, NULL},
    };
    const char *mk[] = {"format", "note"}, *mv[] = {"pt", "h\xc3\xa9llo \"q\"\n"};
    CHECK_EQ_INT(st_write(path, ts, 5, mk, mv, 2), 0);
    CHECK(no_tmp_files_left(test_tmpdir()));

    st_file *f = st_open(path);
    CHECK_MSG(f != NULL, "st_open: %s", segp_last_error());
    if (!f) return;
    CHECK(!strcmp(st_path(f), path));
    CHECK_EQ_INT(st_count(f), 5);
    CHECK(st_metadata(f, "format") && !strcmp(st_metadata(f, "format"), "pt"));
    CHECK(st_metadata(f, "note") && !strcmp(st_metadata(f, "note"), mv[1]));
    CHECK(st_metadata(f, "missing") == NULL);
    CHECK_EQ_INT(st_metadata_count(f), 2); /* entries in the order written */
    CHECK(st_metadata_key(f, 0) && !strcmp(st_metadata_key(f, 0), "format"));
    CHECK(st_metadata_key(f, 1) && !strcmp(st_metadata_key(f, 1), "note"));
    CHECK(st_metadata_key(f, 2) == NULL && st_metadata_key(f, -1) == NULL);
    CHECK(st_find(f, "nope") == NULL && st_find(f, "__metadata__") == NULL);
    CHECK(st_at(f, 5) == NULL && st_at(f, -1) == NULL);
    for (int i = 0; i < 5; i++) {
        const st_tensor *t = st_at(f, i);
        CHECK(t && !strcmp(t->name, ts[i].name)); /* header order = given order */
        if (!t) continue;
        CHECK(st_find(f, ts[i].name) == t);
        CHECK_EQ_INT(t->dtype, ts[i].dtype);
        CHECK_EQ_INT(t->ndim, ts[i].ndim);
        int64_t n = 1;
        for (int d = 0; d < t->ndim; d++) {
            CHECK_EQ_INT(t->shape[d], ts[i].shape[d]);
            n *= t->shape[d];
        }
        CHECK_EQ_INT(t->numel, n);
        int isz = t->dtype == ST_F32 ? 4 : 2;
        CHECK_EQ_INT(t->begin % (uint64_t)isz, 0); /* naturally aligned */
        float out[8] = {0};
        CHECK_EQ_INT(st_read_f32(f, t, out), 0);
        for (int64_t k = 0; k < n; k++) {
            float x = ((const float *)ts[i].data)[k];
            float want = t->dtype == ST_F32   ? x
                         : t->dtype == ST_F16 ? st_f16_to_f32(st_f32_to_f16(x))
                                              : st_bf16_to_f32(st_f32_to_bf16(x));
            CHECK_MSG(out[k] == want, "%s[%lld]: %g != %g", t->name, (long long)k,
                      (double)out[k], (double)want);
        }
    }
    /* F16 and BF16 lose precision, but not more than their mantissas allow. */
    float hb[5], bb[8];
    CHECK_EQ_INT(st_read_f32(f, st_find(f, "half"), hb), 0);
    CHECK_EQ_INT(st_read_f32(f, st_find(f, "layer.bf16"), bb), 0);
    CHECK(test_rel_err(hb, b, 5) < 1e-3 && test_rel_err(bb, c, 8) < 4e-3);
    st_close(f);

    /* Header length a multiple of 8 and data exactly filling the rest of the file (the
     * reference reader rejects holes and trailing bytes). */
    uint8_t *raw;
    size_t size;
    CHECK_EQ_INT(segp_read_file(path, &raw, &size), 0);
    uint64_t hl;
    memcpy(&hl, raw, 8);
    CHECK_EQ_INT(hl % 8, 0);
    CHECK_EQ_INT(size - 8 - hl, 6 * 4 + 1 * 4 + 5 * 2 + 8 * 2);
    CHECK(raw[8] == '{' && (raw[8 + hl - 1] == ' ' || raw[8 + hl - 1] == '}'));
    CHECK(memmem(raw + 8, hl, "\"__metadata__\":{\"format\":\"pt\"", 29) != NULL);
    free(raw);
}

/* I32 and U8 tensors are stored as given, after the 4- and 2-byte ones (so each starts at a
 * multiple of its element size), and read back as they are by st_read_raw, which checks the
 * dtype; st_read_f32 refuses them. */
TEST(st_roundtrip_integer_tensors) {
    char path[512];
    tmp_path(path, sizeof path, "ints.safetensors");
    uint8_t img[2 * 3 * 2];
    int32_t rows[3] = {7, -1, 2147483647};
    float w[3] = {0.5f, -2.0f, 3.25f}, h[3] = {1.0f, 2.0f, -0.5f};
    for (int i = 0; i < 12; i++) img[i] = (uint8_t)(i * 23 + 1);
    st_write_tensor ts[] = {
        {"images", ST_U8, 3, {2, 3, 2}, img},  {"half", ST_F16, 1, {3}, h},
        {"rows", ST_I32, 1, {3}, rows},        {"w", ST_F32, 1, {3}, w},
        {"none", ST_U8, 2, {0, 4}, NULL},
    };
    CHECK_EQ_INT(st_write(path, ts, 5, NULL, NULL, 0), 0);
    st_file *f = st_open(path);
    CHECK_MSG(f != NULL, "st_open: %s", segp_last_error());
    if (!f) return;
    const st_tensor *ti = st_find(f, "images"), *tr = st_find(f, "rows"), *tw = st_find(f, "w");
    const st_tensor *th = st_find(f, "half"), *tn = st_find(f, "none");
    CHECK(ti && tr && tw && th && tn);
    if (ti && tr && tw && th && tn) {
        CHECK_EQ_INT(ti->dtype, ST_U8);
        CHECK_EQ_INT(tr->dtype, ST_I32);
        CHECK_EQ_INT(ti->numel, 12);
        CHECK_EQ_INT(ti->shape[1], 3);
        CHECK_EQ_INT(tn->numel, 0);
        /* layout: 4-byte (rows, w), then 2-byte (half), then 1-byte (images) */
        CHECK_EQ_INT(tr->begin, 0);
        CHECK_EQ_INT(tw->begin, 12);
        CHECK_EQ_INT(th->begin, 24);
        CHECK_EQ_INT(ti->begin, 30);
        CHECK_EQ_INT(ti->end, 42);
        uint8_t gi[12] = {0};
        int32_t gr[3] = {0};
        float gw[3] = {0};
        CHECK_EQ_INT(st_read_raw(f, ti, ST_U8, gi), 0);
        CHECK_EQ_INT(st_read_raw(f, tr, ST_I32, gr), 0);
        CHECK_EQ_INT(st_read_raw(f, tn, ST_U8, gi + 12), 0); /* nothing to copy */
        CHECK(!memcmp(gi, img, 12) && !memcmp(gr, rows, sizeof rows));
        CHECK_EQ_INT(st_read_raw(f, tw, ST_F32, gw), 0); /* raw float32 bytes */
        CHECK(!memcmp(gw, w, sizeof w));
        /* wrong dtype: an error naming the file, the tensor and both dtypes */
        CHECK_EQ_INT(st_read_raw(f, tr, ST_U8, gi), -1);
        CHECK_MSG(strstr(segp_last_error(), path) && strstr(segp_last_error(), "'rows'") &&
                      strstr(segp_last_error(), "I32") && strstr(segp_last_error(), "U8"),
                  "%s", segp_last_error());
        CHECK_EQ_INT(st_read_f32(f, ti, gw), -1);
        CHECK_MSG(strstr(segp_last_error(), "U8"), "%s", segp_last_error());
    }
    st_close(f);
    uint8_t *raw;
    size_t size;
    CHECK_EQ_INT(segp_read_file(path, &raw, &size), 0);
    uint64_t hl;
    memcpy(&hl, raw, 8);
    CHECK_EQ_INT(size - 8 - hl, 12 + 12 + 6 + 12); /* no holes, nothing after */
    free(raw);
}

TEST(st_write_rejects_bad_input) {
    char path[512], msg[1100];
    float x[2] = {1, 2};
    tmp_path(path, sizeof path, "no/such/dir/out.safetensors");
    st_write_tensor t1[] = {{"a", ST_F32, 1, {2}, x}};
    CHECK_EQ_INT(st_write(path, t1, 1, NULL, NULL, 0), -1);
    snprintf(msg, sizeof msg, "%s", segp_last_error());
    CHECK_MSG(strstr(msg, path) && strstr(msg, "cannot create"), "%s", msg);

    tmp_path(path, sizeof path, "bad_write.safetensors");
    st_write_tensor dup[] = {{"a", ST_F32, 1, {2}, x}, {"a", ST_F16, 1, {1}, x}};
    CHECK_EQ_INT(st_write(path, dup, 2, NULL, NULL, 0), -1);
    CHECK_MSG(strstr(segp_last_error(), "duplicate tensor name 'a'"), "%s", segp_last_error());
    st_write_tensor i64[] = {{"a", ST_I64, 1, {1}, x}};
    CHECK_EQ_INT(st_write(path, i64, 1, NULL, NULL, 0), -1);
    CHECK_MSG(strstr(segp_last_error(), "I64"), "%s", segp_last_error());
    st_write_tensor meta[] = {{"__metadata__", ST_F32, 1, {1}, x}};
    CHECK_EQ_INT(st_write(path, meta, 1, NULL, NULL, 0), -1);
    st_write_tensor neg[] = {{"a", ST_F32, 1, {-2}, x}};
    CHECK_EQ_INT(st_write(path, neg, 1, NULL, NULL, 0), -1);
    CHECK_MSG(strstr(segp_last_error(), "negative"), "%s", segp_last_error());
    const char *mk[] = {"k", "k"}, *mv[] = {"1", "2"};
    CHECK_EQ_INT(st_write(path, t1, 1, mk, mv, 2), -1);
    CHECK_MSG(strstr(segp_last_error(), "duplicate metadata key 'k'"), "%s", segp_last_error());
    CHECK(access(path, F_OK) != 0); /* nothing half-written */
    CHECK(no_tmp_files_left(test_tmpdir()));

    /* No tensors at all is a valid file. */
    CHECK_EQ_INT(st_write(path, NULL, 0, NULL, NULL, 0), 0);
    st_file *f = st_open(path);
    CHECK(f && st_count(f) == 0 && st_metadata(f, "format") == NULL);
    CHECK(f && st_metadata_count(f) == 0 && st_metadata_key(f, 0) == NULL);
    st_close(f);
}

/* The layout the reference implementation writes for
 *   save_file({"a": f32 [[1,2],[3,4]], "b": f16 [1,-2,0.5], "c": bf16 [3], "pos": i64 [0,1,2],
 *              "z": f32 shape [0]}, metadata={"format": "pt"})
 * data sorted by dtype (widest first) then name, compact JSON in that order, spaces to 8. */
TEST(st_reads_reference_layout) {
    char path[512];
    tmp_path(path, sizeof path, "reference.safetensors");
    const char *json =
        "{\"__metadata__\":{\"format\":\"pt\"},"
        "\"pos\":{\"dtype\":\"I64\",\"shape\":[3],\"data_offsets\":[0,24]},"
        "\"a\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[24,40]},"
        "\"z\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[40,40]},"
        "\"b\":{\"dtype\":\"F16\",\"shape\":[3],\"data_offsets\":[40,46]},"
        "\"c\":{\"dtype\":\"BF16\",\"shape\":[1],\"data_offsets\":[46,48]}}";
    uint8_t data[48] = {0};
    for (int i = 0; i < 3; i++) data[8 * i] = (uint8_t)i; /* int64 0, 1, 2 */
    const float av[4] = {1, 2, 3, 4};
    memcpy(data + 24, av, 16);
    const uint8_t bv[6] = {0x00, 0x3c, 0x00, 0xc0, 0x00, 0x38}; /* 1, -2, 0.5 */
    memcpy(data + 40, bv, 6);
    data[46] = 0x40, data[47] = 0x40; /* bf16 3.0 = 0x4040 */
    size_t jl = strlen(json);
    write_st(path, json, (8 - jl % 8) % 8, data, sizeof data);

    st_file *f = st_open(path);
    CHECK_MSG(f != NULL, "st_open: %s", segp_last_error());
    if (!f) return;
    CHECK_EQ_INT(st_count(f), 5);
    CHECK(!strcmp(st_metadata(f, "format"), "pt"));
    CHECK(!strcmp(st_at(f, 0)->name, "pos") && !strcmp(st_at(f, 4)->name, "c"));
    const st_tensor *pos = st_find(f, "pos");
    CHECK(pos && pos->dtype == ST_I64 && pos->numel == 3 && pos->begin == 0 && pos->end == 24);
    CHECK(!strcmp(st_dtype_name(pos->dtype), "I64"));
    float out[4] = {0};
    CHECK_EQ_INT(st_read_f32(f, pos, out), -1);
    CHECK_MSG(strstr(segp_last_error(), path) && strstr(segp_last_error(), "'pos'") &&
                  strstr(segp_last_error(), "I64"),
              "%s", segp_last_error());
    const st_tensor *a = st_find(f, "a");
    CHECK(a && a->ndim == 2 && a->shape[0] == 2 && a->shape[1] == 2);
    CHECK_EQ_INT(st_read_f32(f, a, out), 0);
    CHECK(out[0] == 1 && out[1] == 2 && out[2] == 3 && out[3] == 4);
    CHECK_EQ_INT(st_read_f32(f, st_find(f, "b"), out), 0);
    CHECK(out[0] == 1 && out[1] == -2 && out[2] == 0.5f);
    CHECK_EQ_INT(st_read_f32(f, st_find(f, "c"), out), 0);
    CHECK(out[0] == 3);
    const st_tensor *z = st_find(f, "z");
    CHECK(z && z->numel == 0 && z->ndim == 1);
    CHECK_EQ_INT(st_read_f32(f, z, out), 0);
    st_close(f);

    /* Pretty-printed JSON (json.dumps style, newlines) and a scalar are fine too. */
    write_st(path,
             "{\n  \"s\": {\"dtype\": \"F32\", \"shape\": [], \"data_offsets\": [0, 4]},\n"
             "  \"__metadata__\": {}\n}\n",
             3, "\x00\x00\x80\x3f", 4);
    f = st_open(path);
    CHECK_MSG(f != NULL, "st_open: %s", segp_last_error());
    if (f) {
        const st_tensor *s = st_at(f, 0);
        CHECK(s && s->ndim == 0 && s->numel == 1);
        CHECK(s && st_read_f32(f, s, out) == 0 && out[0] == 1.0f);
        st_close(f);
    }
}

/* Big tensors take the OpenMP path; results must match element-wise conversion. */
TEST(st_read_large_tensors) {
    char path[512];
    tmp_path(path, sizeof path, "large.safetensors");
    const int64_t n = 300006; /* 7 * 42858 */
    float *src = malloc((size_t)n * 4), *out = malloc((size_t)n * 4);
    uint32_t s = 12345;
    for (int64_t i = 0; i < n; i++) {
        s = s * 1664525u + 1013904223u;
        src[i] = ((float)(s >> 8) / 16777216.0f - 0.5f) * 8.0f;
    }
    st_write_tensor ts[] = {
        {"f16", ST_F16, 2, {7, n / 7}, src}, {"bf16", ST_BF16, 1, {n}, src},
        {"f32", ST_F32, 1, {n}, src}};
    CHECK_EQ_INT(n % 7, 0);
    CHECK_EQ_INT(st_write(path, ts, 3, NULL, NULL, 0), 0);
    st_file *f = st_open(path);
    CHECK(f != NULL);
    if (f) {
        int bad = 0;
        CHECK_EQ_INT(st_read_f32(f, st_find(f, "f16"), out), 0);
        for (int64_t i = 0; i < n; i++) bad += out[i] != st_f16_to_f32(st_f32_to_f16(src[i]));
        CHECK_EQ_INT(st_read_f32(f, st_find(f, "bf16"), out), 0);
        for (int64_t i = 0; i < n; i++) bad += out[i] != st_bf16_to_f32(st_f32_to_bf16(src[i]));
        CHECK_EQ_INT(st_read_f32(f, st_find(f, "f32"), out), 0);
        bad += memcmp(out, src, (size_t)n * 4) != 0;
        CHECK_EQ_INT(bad, 0);
        st_close(f);
    }
    free(src);
    free(out);
}

/* ---- corruption: each case must fail with the path and a word naming the problem ---------- */

static void expect_open_fail(const char *path, const char *word, const char *word2) {
    st_file *f = st_open(path);
    CHECK_MSG(f == NULL, "%s: opened but should fail (%s)", path, word);
    st_close(f);
    const char *msg = segp_last_error();
    CHECK_MSG(strstr(msg, path) != NULL, "message lacks the path: %s", msg);
    CHECK_MSG(strstr(msg, word) != NULL, "message lacks '%s': %s", word, msg);
    if (word2) CHECK_MSG(strstr(msg, word2) != NULL, "message lacks '%s': %s", word2, msg);
    CHECK_MSG(strchr(msg, '\n') == NULL, "message is not one line: %s", msg);
}

/* Header JSON + DATA_LEN bytes of data, expected to fail with WORD (and WORD2). */
static void bad_json_case(const char *name, const char *json, size_t data_len, const char *word,
                          const char *word2) {
    char path[512];
    tmp_path(path, sizeof path, name);
    write_st(path, json, 0, NULL, data_len);
    expect_open_fail(path, word, word2);
}

#define ENTRY(dt, shape, off) "{\"dtype\":\"" dt "\",\"shape\":" shape ",\"data_offsets\":" off "}"

TEST(st_corrupt_file_level) {
    char path[512];
    tmp_path(path, sizeof path, "short.safetensors");
    write_bytes(path, "\x02\x00\x00\x00\x00", 5);
    expect_open_fail(path, "too short", "5 bytes");
    write_bytes(path, "", 0);
    expect_open_fail(path, "too short", NULL);

    tmp_path(path, sizeof path, "hdr_past_end.safetensors");
    uint8_t b[18] = {0xe8, 0x03}; /* header length 1000 in an 18-byte file */
    memcpy(b + 8, "{}        ", 10);
    write_bytes(path, b, sizeof b);
    expect_open_fail(path, "past the end of the file", "1000");
    expect_open_fail(path, "18 bytes", NULL);
    uint8_t huge[16] = {0, 0, 0, 0, 0, 0, 0, 0x80, '{', '}'}; /* 2^63 */
    write_bytes(path, huge, sizeof huge);
    expect_open_fail(path, "past the end of the file", "9223372036854775808");

    /* A header over the 100 MB cap inside a (sparse) file big enough to hold it. */
    tmp_path(path, sizeof path, "hdr_cap.safetensors");
    FILE *fp = fopen(path, "wb");
    CHECK(fp != NULL);
    if (fp) {
        uint64_t hl = 100000001;
        fwrite(&hl, 8, 1, fp);
        fclose(fp);
        CHECK_EQ_INT(truncate(path, 8 + 100000001 + 16), 0);
        expect_open_fail(path, "too large", "100000001");
        unlink(path);
    }

    /* other formats are named, PyTorch's with how to convert */
    static const struct {
        const char *bytes;
        size_t n;
        const char *says, *also;
    } other[] = {
        {"PK\x03\x04\x14\x00\x00\x00\x08\x00archive/data.pkl", 26, "a zip archive",
         "safetensors.torch.save_file"},
        {"\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8", 12, "a Python pickle",
         "safetensors.torch.save_file"},
        {"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR", 16, "a PNG image", NULL},
        {"\xff\xd8\xff\xe0\x00\x10JFIF\0", 11, "a JPEG image", NULL},
        {"\x93NUMPY\x01\x00v\x00{'descr'", 18, "a NumPy .npy array", NULL},
        {"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03", 10, "gzip-compressed", NULL},
        {"\x89HDF\r\n\x1a\n\0\0", 10, "an HDF5 file", NULL},
        {"GGUF\x03\0\0\0\0\0\0\0", 12, "a GGUF file", NULL},
        {"\n  {\"model\": \"x\"}\n", 18, "JSON text", NULL},
        {"{}", 2, "JSON text", NULL},
    };
    tmp_path(path, sizeof path, "other.safetensors");
    for (size_t k = 0; k < sizeof other / sizeof other[0]; k++) {
        write_bytes(path, other[k].bytes, other[k].n);
        expect_open_fail(path, "not a safetensors file: this is", other[k].says);
        if (other[k].also) expect_open_fail(path, other[k].also, NULL);
    }

    tmp_path(path, sizeof path, "missing.safetensors");
    expect_open_fail(path, "cannot open", NULL);
    expect_open_fail(test_tmpdir(), "not a regular file", NULL);
}

TEST(st_corrupt_header_json) {
    bad_json_case("json_trunc.safetensors", "{\"a\": {\"dtype\": \"F3", 0, "not valid JSON",
                  NULL);
    bad_json_case("json_empty.safetensors", "", 0, "not valid JSON", NULL);
    bad_json_case("json_trailing.safetensors", "{} {}", 0, "not valid JSON", "after");
    bad_json_case("json_array.safetensors", "[1, 2]", 0, "not a JSON object", NULL);
    bad_json_case("json_utf8.safetensors", "{\"\xff\xfe\": 1}", 0, "UTF-8", NULL);
    bad_json_case("json_overlong.safetensors", "{\"\xc0\xaf\": 1}", 0, "UTF-8", NULL);
    bad_json_case("entry_not_object.safetensors", "{\"w\": [1]}", 0, "not an object", "'w'");
    bad_json_case("no_dtype.safetensors", "{\"w\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4,
                  "missing \"dtype\"", "'w'");
    bad_json_case("no_shape.safetensors", "{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", 4,
                  "missing \"shape\"", "'w'");
    bad_json_case("no_offsets.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4,
                  "missing \"data_offsets\"", "'w'");
    bad_json_case("dtype_unknown.safetensors", "{\"w\":" ENTRY("F31", "[1]", "[0,4]") "}", 4,
                  "unknown dtype", "F31");
    bad_json_case("dtype_number.safetensors",
                  "{\"w\":{\"dtype\":4,\"shape\":[1],\"data_offsets\":[0,4]}}", 4,
                  "dtype is not a string", NULL);
    bad_json_case("meta_value.safetensors", "{\"__metadata__\":{\"ok\":\"x\",\"k\":1}}", 0,
                  "not a string", "'k'");
    bad_json_case("meta_array.safetensors", "{\"__metadata__\":[\"x\"]}", 0,
                  "__metadata__ is not an object", NULL);
}

TEST(st_corrupt_shapes_and_offsets) {
    bad_json_case("shape_neg.safetensors", "{\"w\":" ENTRY("F32", "[-1]", "[0,4]") "}", 4,
                  "shape entry 0", "non-negative integer");
    bad_json_case("shape_frac.safetensors", "{\"w\":" ENTRY("F32", "[2, 1.5]", "[0,12]") "}", 12,
                  "shape entry 1", "non-negative integer");
    bad_json_case("shape_str.safetensors", "{\"w\":" ENTRY("F32", "[\"2\"]", "[0,8]") "}", 8,
                  "shape entry 0", NULL);
    bad_json_case("shape_huge.safetensors", "{\"w\":" ENTRY("F32", "[1e300]", "[0,4]") "}", 4,
                  "shape entry 0", NULL);
    bad_json_case("shape_obj.safetensors", "{\"w\":" ENTRY("F32", "{}", "[0,4]") "}", 4,
                  "shape is not an array", NULL);
    bad_json_case("shape_dims.safetensors",
                  "{\"w\":" ENTRY("F32", "[1,1,1,1,1,1,1,1,1]", "[0,4]") "}", 4,
                  "too many dims", "'w'");
    bad_json_case("shape_overflow.safetensors",
                  "{\"w\":" ENTRY("F32", "[4294967296,4294967296,4294967296]", "[0,4]") "}", 4,
                  "too large", NULL);
    bad_json_case("off_one.safetensors", "{\"w\":" ENTRY("F32", "[1]", "[4]") "}", 4,
                  "data_offsets is not two non-negative integers", NULL);
    bad_json_case("off_three.safetensors", "{\"w\":" ENTRY("F32", "[1]", "[0,4,8]") "}", 8,
                  "data_offsets is not two", NULL);
    bad_json_case("off_neg.safetensors", "{\"w\":" ENTRY("F32", "[1]", "[-4,0]") "}", 4,
                  "data_offsets is not two", NULL);
    bad_json_case("off_frac.safetensors", "{\"w\":" ENTRY("F32", "[1]", "[0,4.5]") "}", 8,
                  "data_offsets is not two", NULL);
    bad_json_case("off_obj.safetensors", "{\"w\":" ENTRY("F32", "[1]", "{\"a\":0}") "}", 4,
                  "data_offsets is not two", NULL);
    bad_json_case("off_order.safetensors", "{\"w\":" ENTRY("F32", "[1]", "[8,4]") "}", 8,
                  "begin > end", "[8, 4]");
    bad_json_case("off_past.safetensors", "{\"w\":" ENTRY("F32", "[4]", "[0,16]") "}", 8,
                  "past the end of the data", "(8 bytes)");
    bad_json_case("off_size.safetensors", "{\"w\":" ENTRY("F32", "[3]", "[0,8]") "}", 8,
                  "size mismatch", "needs 12 bytes");
    bad_json_case("off_size16.safetensors", "{\"h\":" ENTRY("BF16", "[2,2]", "[0,4]") "}", 8,
                  "size mismatch", "'h'");
    bad_json_case("overlap.safetensors",
                  "{\"first\":" ENTRY("F32", "[2]", "[4,12]") ",\"second\":" ENTRY(
                      "F32", "[2]", "[0,8]") "}",
                  12, "overlap", "'first'");
    bad_json_case("overlap.safetensors",
                  "{\"first\":" ENTRY("F32", "[2]", "[4,12]") ",\"second\":" ENTRY(
                      "F32", "[2]", "[0,8]") "}",
                  12, "'second'", NULL);
    bad_json_case("overlap_same.safetensors",
                  "{\"p\":" ENTRY("U8", "[4]", "[0,4]") ",\"q\":" ENTRY("I32", "[1]", "[0,4]") "}",
                  4, "overlap", NULL);
    bad_json_case("dup.safetensors",
                  "{\"x\":" ENTRY("F32", "[1]", "[0,4]") ",\"x\":" ENTRY("F32", "[1]", "[4,8]") "}",
                  8, "duplicate tensor name", "'x'");
    bad_json_case("dup_meta.safetensors", "{\"__metadata__\":{},\"__metadata__\":{}}", 0,
                  "duplicate", "__metadata__");
}

/* Empty tensors may sit anywhere in range (they hold no bytes); gaps between tensors and
 * trailing bytes are tolerated. */
TEST(st_accepts_edge_layouts) {
    char path[512];
    tmp_path(path, sizeof path, "edges.safetensors");
    write_st(path,
             "{\"a\":" ENTRY("F32", "[2]", "[0,8]") ",\"e\":" ENTRY("F16", "[3,0]", "[4,4]")
             ",\"g\":" ENTRY("U8", "[2]", "[12,14]") ",\"__metadata__\":{\"k\":\"v\"}}",
             5, NULL, 20);
    st_file *f = st_open(path);
    CHECK_MSG(f != NULL, "%s", segp_last_error());
    if (f) {
        CHECK_EQ_INT(st_count(f), 3);
        CHECK(st_find(f, "e") && st_find(f, "e")->numel == 0);
        CHECK(!strcmp(st_metadata(f, "k"), "v"));
        float out[2];
        CHECK_EQ_INT(st_read_f32(f, st_find(f, "g"), out), -1);
        CHECK_MSG(strstr(segp_last_error(), "U8"), "%s", segp_last_error());
        st_close(f);
    }
}

/* ---- fuzz ---------------------------------------------------------------------------------- */

static uint64_t fz_state;
static uint32_t fz_next(void) {
    fz_state ^= fz_state << 13, fz_state ^= fz_state >> 7, fz_state ^= fz_state << 17;
    return (uint32_t)(fz_state >> 16);
}

/* Opens PATH; a success must give usable tensors, a failure a message naming the file. */
static int fuzz_one(const char *path, int *failures_without_path) {
    st_file *f = st_open(path);
    if (!f) {
        if (!strstr(segp_last_error(), path)) (*failures_without_path)++;
        return 0;
    }
    for (int i = 0; i < st_count(f); i++) {
        const st_tensor *t = st_at(f, i);
        if (st_find(f, t->name) != t) (*failures_without_path)++;
        if (t->dtype != ST_F32 && t->dtype != ST_F16 && t->dtype != ST_BF16) continue;
        float *out = malloc((size_t)t->numel * 4 + 4);
        st_read_f32(f, t, out);
        free(out);
    }
    st_close(f);
    return 1;
}

TEST(st_fuzz_mutations) {
    char path[512], base_path[512];
    tmp_path(path, sizeof path, "fuzz.safetensors");
    tmp_path(base_path, sizeof base_path, "fuzz_base.safetensors");
    float v[12];
    for (int i = 0; i < 12; i++) v[i] = (float)i * 0.5f - 2.0f;
    st_write_tensor ts[] = {{"enc.w", ST_F32, 2, {3, 2}, v},
                            {"enc.b", ST_F16, 1, {4}, v},
                            {"x", ST_BF16, 3, {1, 2, 1}, v + 3},
                            {"none", ST_F32, 1, {0}, NULL}};
    const char *mk[] = {"format"}, *mv[] = {"pt"};
    CHECK_EQ_INT(st_write(base_path, ts, 4, mk, mv, 1), 0);
    uint8_t *base;
    size_t n;
    CHECK_EQ_INT(segp_read_file(base_path, &base, &n), 0);
    if (!base) return;
    uint64_t hl;
    memcpy(&hl, base, 8);
    uint8_t *buf = malloc(n + 64);
    static const char interesting[] = "{}[],:\"\\0123456789-.eE \x00\xff\x80";
    fz_state = 0x243f6a8885a308d3ull;
    int opened = 0, failed = 0, no_path = 0;
    for (int it = 0; it < 2000; it++) {
        memcpy(buf, base, n);
        size_t len = n;
        int mode = (int)(fz_next() % 6);
        int k = 1 + (int)(fz_next() % 4);
        for (int j = 0; j < k; j++) {
            size_t at = 8 + fz_next() % (size_t)hl; /* mostly the header */
            if (mode == 0) buf[at] ^= (uint8_t)(1u << (fz_next() % 8));
            else if (mode == 1)
                buf[at] = (uint8_t)interesting[fz_next() % (sizeof interesting - 1)];
            else if (mode == 2) buf[fz_next() % n] = (uint8_t)fz_next();
            else if (mode == 5) { /* another digit: shapes and offsets stay valid JSON */
                while (at < 8 + hl && (buf[at] < '0' || buf[at] > '9')) at++;
                if (at < 8 + hl) buf[at] = (uint8_t)('0' + fz_next() % 10);
            }
        }
        if (mode == 3) len = fz_next() % (n + 1); /* truncation */
        if (mode == 4) { /* header length off by a little, or random */
            uint64_t h2 = fz_next() % 2 ? hl + (uint64_t)(fz_next() % 33) - 16 : fz_next();
            memcpy(buf, &h2, 8);
        }
        write_bytes(path, buf, len);
        if (fuzz_one(path, &no_path)) opened++;
        else failed++;
    }
    /* Pure garbage of various lengths, some with a plausible header length. */
    for (int it = 0; it < 300; it++) {
        size_t len = fz_next() % 200;
        for (size_t i = 0; i < len; i++) buf[i] = (uint8_t)fz_next();
        if (len >= 8 && it % 2) {
            uint64_t h2 = fz_next() % (len - 7);
            memcpy(buf, &h2, 8);
        }
        write_bytes(path, buf, len);
        if (fuzz_one(path, &no_path)) opened++;
        else failed++;
    }
    CHECK_EQ_INT(no_path, 0);
    CHECK_MSG(opened > 20 && failed > 500, "opened %d, failed %d", opened, failed);
    free(buf);
    free(base);
}
