/* test_npy.c: .npy reading (numpy-written fixtures in format 1.0/2.0/3.0, f4/f8/f2, 0-d/1-d/empty,
 * reordered keys), writing (byte-identical to numpy's np.save), and every malformed case. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/common.h"
#include "io/npy.h"
#include "test.h"

#define FIX "tests/fixtures/"

static int files_equal(const char *a, const char *b) {
    uint8_t *da, *db;
    size_t na, nb;
    if (segp_read_file(a, &da, &na)) return 0;
    if (segp_read_file(b, &db, &nb)) {
        free(da);
        return 0;
    }
    int eq = na == nb && memcmp(da, db, na) == 0;
    free(da);
    free(db);
    return eq;
}

static void expect_fail(const char *path, const char *needle) {
    npy_array a;
    segp_clear_error();
    CHECK_MSG(npy_read(path, &a) == -1, "%s was accepted", path);
    CHECK(a.data == NULL);
    const char *e = segp_last_error();
    CHECK_MSG(strstr(e, path) != NULL, "error '%s' does not name %s", e, path);
    CHECK_MSG(strchr(e, '\n') == NULL, "error is not one line: '%s'", e);
    if (needle) CHECK_MSG(strstr(e, needle) != NULL, "error '%s' lacks '%s'", e, needle);
}

TEST(npy_reads_numpy_versions) {
    static const char *files[] = {FIX "npy_f4_2x3.npy", FIX "npy_f4_2x3_v2.npy",
                                  FIX "npy_f4_2x3_v3.npy"};
    for (int f = 0; f < 3; f++) {
        npy_array a;
        CHECK_MSG(npy_read(files[f], &a) == 0, "%s", segp_last_error());
        CHECK(a.ndim == 2 && a.shape[0] == 2 && a.shape[1] == 3 && a.numel == 6);
        for (int i = 0; i < 6 && a.data; i++)
            CHECK_NEAR(a.data[i], ((float)i - 2.5f) / 3.0f, 0);
        npy_free(&a);
    }
}

TEST(npy_converts_f8_and_f2) {
    npy_array a;
    CHECK_EQ_INT(npy_read(FIX "npy_f8_4.npy", &a), 0);
    CHECK(a.ndim == 1 && a.shape[0] == 4);
    if (a.data) {
        CHECK_NEAR(a.data[0], 1.5, 0);
        CHECK_NEAR(a.data[1], -2.25, 0);
        CHECK_NEAR(a.data[2], (float)1e-3, 0);
        CHECK_NEAR(a.data[3], (float)3.0e38, 0);
    }
    npy_free(&a);
    CHECK_EQ_INT(npy_read(FIX "npy_f2_3x2.npy", &a), 0);
    CHECK(a.ndim == 2 && a.shape[0] == 3 && a.shape[1] == 2);
    if (a.data) {
        CHECK_NEAR(a.data[0], 1.0, 0);
        CHECK_NEAR(a.data[1], -2.5, 0);
        CHECK_NEAR(a.data[2], 5.9604644775390625e-08, 0); /* smallest subnormal half */
        CHECK_NEAR(a.data[3], 65504.0, 0);
        CHECK(isinf(a.data[4]) && a.data[4] > 0);
        CHECK(a.data[5] == 0 && signbit(a.data[5]));
    }
    npy_free(&a);
}

TEST(npy_scalar_empty_and_reordered_keys) {
    npy_array a;
    CHECK_EQ_INT(npy_read(FIX "npy_f4_scalar.npy", &a), 0);
    CHECK(a.ndim == 0 && a.numel == 1 && a.data && a.data[0] == 7.25f);
    npy_free(&a);
    CHECK_EQ_INT(npy_read(FIX "npy_f4_0x5.npy", &a), 0);
    CHECK(a.ndim == 2 && a.shape[0] == 0 && a.shape[1] == 5 && a.numel == 0);
    npy_free(&a);
    CHECK_EQ_INT(npy_read(FIX "npy_keys_reordered.npy", &a), 0);
    CHECK(a.ndim == 1 && a.shape[0] == 3 && a.data && a.data[2] == 3.0f);
    npy_free(&a);
}

TEST(npy_write_matches_numpy_bytes) {
    char path[512];
    snprintf(path, sizeof path, "%s/w.npy", test_tmpdir());
    float v[6];
    for (int i = 0; i < 6; i++) v[i] = ((float)i - 2.5f) / 3.0f;
    int64_t s23[2] = {2, 3};
    CHECK_EQ_INT(npy_write_f32(path, v, 2, s23), 0);
    CHECK_MSG(files_equal(path, FIX "npy_f4_2x3.npy"), "f4 file differs from np.save's");
    float sc = 7.25f;
    CHECK_EQ_INT(npy_write_f32(path, &sc, 0, NULL), 0);
    CHECK_MSG(files_equal(path, FIX "npy_f4_scalar.npy"), "0-d file differs from np.save's");
    int64_t s05[2] = {0, 5};
    CHECK_EQ_INT(npy_write_f32(path, NULL, 2, s05), 0);
    CHECK_MSG(files_equal(path, FIX "npy_f4_0x5.npy"), "empty file differs from np.save's");
    int64_t iv[5] = {-2, -1, 0, 1, 2}, s5[1] = {5};
    CHECK_EQ_INT(npy_write_i64(path, iv, 1, s5), 0);
    CHECK_MSG(files_equal(path, FIX "npy_i8_5.npy"), "i8 file differs from np.save's");
    char tmp[600];
    snprintf(tmp, sizeof tmp, "%s.tmp.%d", path, (int)getpid());
    CHECK(access(tmp, F_OK) != 0);
}

TEST(npy_round_trip_shapes) {
    char path[512];
    snprintf(path, sizeof path, "%s/rt.npy", test_tmpdir());
    int64_t shapes[][4] = {{1, 3, 224, 224}, {17, 0, 0, 0}, {2, 3, 4, 5}};
    int ndims[] = {4, 1, 4};
    for (int s = 0; s < 3; s++) {
        int64_t n = 1;
        for (int d = 0; d < ndims[s]; d++) n *= shapes[s][d];
        float *v = segp_malloc((size_t)n * sizeof(float));
        for (int64_t i = 0; i < n; i++) v[i] = (float)i * 0.37f - 11.0f;
        CHECK_EQ_INT(npy_write_f32(path, v, ndims[s], shapes[s]), 0);
        npy_array a;
        CHECK_EQ_INT(npy_read(path, &a), 0);
        CHECK_EQ_INT(a.ndim, ndims[s]);
        for (int d = 0; d < ndims[s]; d++) CHECK_EQ_INT(a.shape[d], shapes[s][d]);
        CHECK(a.numel == n && a.data && memcmp(a.data, v, (size_t)n * sizeof(float)) == 0);
        /* data starts on a 64-byte boundary, as numpy aligns it */
        uint8_t *raw;
        size_t sz;
        CHECK_EQ_INT(segp_read_file(path, &raw, &sz), 0);
        CHECK_EQ_INT((sz - (size_t)n * 4) % 64, 0);
        free(raw);
        npy_free(&a);
        free(v);
    }
}

TEST(npy_shape_text_as_numpy) {
    npy_array a = {.ndim = 4, .shape = {1, 3, 224, 224}};
    char b[64];
    npy_shape_text(&a, b, sizeof b);
    CHECK(!strcmp(b, "(1, 3, 224, 224)"));
    a.ndim = 1;
    npy_shape_text(&a, b, sizeof b);
    CHECK(!strcmp(b, "(1,)"));
    a.ndim = 0;
    npy_shape_text(&a, b, sizeof b);
    CHECK(!strcmp(b, "()"));
    a = (npy_array){.ndim = 2, .shape = {123456, 7}};
    npy_shape_text(&a, b, 8); /* cut to the buffer, still terminated */
    CHECK(!strcmp(b, "(123456"));
}

TEST(npy_rejects_malformed) {
    const char *dir = test_tmpdir();
    char path[512];
    expect_fail(FIX "npy_be_f4.npy", "big-endian");
    expect_fail(FIX "npy_fortran_2x3.npy", "Fortran");
    expect_fail(FIX "npy_i8_5.npy", "'<i8'");

    snprintf(path, sizeof path, "%s/missing.npy", dir);
    expect_fail(path, "cannot open");

    snprintf(path, sizeof path, "%s/magic.npy", dir);
    write_bytes(path, "\x93NUMPZ\x01\x00\x10\x00{}              ", 26);
    expect_fail(path, "bad magic");
    snprintf(path, sizeof path, "%s/text.npy", dir);
    write_bytes(path, "just some text, not an array\n", 29);
    expect_fail(path, "bad magic");
    snprintf(path, sizeof path, "%s/short.npy", dir);
    write_bytes(path, "\x93NUM", 4);
    expect_fail(path, "bad magic");

    uint8_t *good;
    size_t n;
    CHECK_EQ_INT(segp_read_file(FIX "npy_f4_2x3.npy", &good, &n), 0);
    if (!good) return;
    snprintf(path, sizeof path, "%s/trunc_data.npy", dir);
    write_bytes(path, good, n - 3);
    expect_fail(path, "truncated");
    snprintf(path, sizeof path, "%s/trunc_hdr.npy", dir);
    write_bytes(path, good, 40);
    expect_fail(path, "truncated");
    uint8_t bad[256];
    memcpy(bad, good, n);
    bad[6] = 4; /* version 4.0 */
    snprintf(path, sizeof path, "%s/version.npy", dir);
    write_bytes(path, bad, n);
    expect_fail(path, "version 4.0");

    /* header variants, same length as the good one (patched in place) */
    static const struct {
        const char *from, *to, *needle;
    } patches[] = {
        {"'<f4'", "'<i4'", "'<i4'"},
        {"'<f4'", "'|O8'", "'|O8'"},
        {"'shape': (2, 3)", "'shape': (2, x)", "shape"},
        {"'shape': (2, 3)", "'shape': (2,-3)", "shape"},
        {"'shape'", "'shope'", "shope"},
        {"False", "Frue ", "fortran_order"},
        {"{'descr'", "['descr'", "dict"},
    };
    for (size_t p = 0; p < sizeof patches / sizeof patches[0]; p++) {
        memcpy(bad, good, n);
        char *at = memmem(bad, n, patches[p].from, strlen(patches[p].from));
        CHECK(at != NULL && strlen(patches[p].from) == strlen(patches[p].to));
        if (!at) continue;
        memcpy(at, patches[p].to, strlen(patches[p].to));
        snprintf(path, sizeof path, "%s/patched%zu.npy", dir, p);
        write_bytes(path, bad, n);
        expect_fail(path, patches[p].needle);
    }

    /* absurd shape: product far beyond the file */
    {
        const char *h = "{'descr': '<f4', 'fortran_order': False, "
                        "'shape': (4294967296, 4294967296, 4294967296), }";
        char buf[256];
        size_t hl = strlen(h), pad = 64 - (10 + hl + 1) % 64;
        memcpy(buf, "\x93NUMPY\x01\x00", 8);
        buf[8] = (char)((hl + pad + 1) & 0xff);
        buf[9] = (char)((hl + pad + 1) >> 8);
        memcpy(buf + 10, h, hl);
        memset(buf + 10 + hl, ' ', pad);
        buf[10 + hl + pad] = '\n';
        snprintf(path, sizeof path, "%s/absurd.npy", dir);
        write_bytes(path, buf, 10 + hl + pad + 1);
        expect_fail(path, "absurd");
    }
    free(good);
}
