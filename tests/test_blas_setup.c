/* test_blas_setup.c: the OpenBLAS kernel choice. A user's OPENBLAS_CORETYPE always wins, and the
 * kernel set does not change results (beyond float rounding). */
#include <stdlib.h>
#include <string.h>

#include "io/npy.h"
#include "test.h"

/* The runner's own OPENBLAS_CORETYPE (a user may have set one) is put back after each test. */
static char saved[64];
static int had_saved;
static void save_coretype(void) {
    const char *v = getenv("OPENBLAS_CORETYPE");
    had_saved = v != NULL;
    snprintf(saved, sizeof saved, "%s", v ? v : "");
    unsetenv("OPENBLAS_CORETYPE");
}
static void restore_coretype(void) {
    if (had_saved)
        setenv("OPENBLAS_CORETYPE", saved, 1);
    else
        unsetenv("OPENBLAS_CORETYPE");
}

TEST(blas_user_coretype_wins) {
    char out[2048], again[2048];
    save_coretype();
    int rc = test_run_segp("--version", out, sizeof out);
    CHECK_EQ_INT(rc, 0);
    CHECK_MSG(strstr(out, "OpenBLAS kernels") != NULL, "%s", out);
    CHECK_MSG(strstr(out, "set by the user") == NULL, "no OPENBLAS_CORETYPE, yet: %s", out);
    rc = test_run_segp("--version", again, sizeof again); /* the choice is stable */
    CHECK_EQ_INT(rc, 0);
    CHECK_MSG(!strcmp(out, again), "two runs differ:\n%s\n%s", out, again);
    setenv("OPENBLAS_CORETYPE", "Haswell", 1);
    rc = test_run_segp("--version", out, sizeof out);
    unsetenv("OPENBLAS_CORETYPE");
    CHECK_EQ_INT(rc, 0);
    CHECK_MSG(strstr(out, "'Haswell'") && strstr(out, "set by the user"), "%s", out);
    setenv("OPENBLAS_CORETYPE", "Prescott", 1);
    rc = test_run_segp("--version", out, sizeof out);
    unsetenv("OPENBLAS_CORETYPE");
    CHECK_EQ_INT(rc, 0);
    CHECK_MSG(strstr(out, "'Prescott'") && strstr(out, "set by the user"), "%s", out);
    restore_coretype();
}

static int encode_with(const char *coretype, const char *out_path) {
    char args[1024], out[4096];
    snprintf(args, sizeof args,
             "encode --model tests/fixtures/clip_tiny.safetensors --tensor "
             "tests/fixtures/clip_tiny_pixels.npy --out %s",
             out_path);
    if (coretype) setenv("OPENBLAS_CORETYPE", coretype, 1);
    int rc = test_run_segp(args, out, sizeof out);
    unsetenv("OPENBLAS_CORETYPE");
    return rc;
}

TEST(blas_kernels_same_results) {
    char a[512], b[512], c[512];
    snprintf(a, sizeof a, "%s/blas_auto.npy", test_tmpdir());
    snprintf(b, sizeof b, "%s/blas_prescott.npy", test_tmpdir());
    snprintf(c, sizeof c, "%s/blas_haswell.npy", test_tmpdir());
    save_coretype();
    CHECK_EQ_INT(encode_with(NULL, a), 0); /* segp's own choice */
    CHECK_EQ_INT(encode_with("Prescott", b), 0); /* the generic fallback */
    CHECK_EQ_INT(encode_with("Haswell", c), 0);
    npy_array x = {0}, y = {0}, z = {0};
    CHECK(npy_read(a, &x) == 0 && npy_read(b, &y) == 0 && npy_read(c, &z) == 0);
    npy_array r = {0}; /* and each matches the PyTorch reference as tightly as test_clip.c */
    CHECK(npy_read("tests/fixtures/clip_tiny_img.npy", &r) == 0);
    if (x.data && y.data && z.data && r.data) {
        CHECK_EQ_INT(x.numel, r.numel);
        CHECK_EQ_INT(y.numel, r.numel);
        CHECK_EQ_INT(z.numel, r.numel);
        if (x.numel == r.numel && y.numel == r.numel && z.numel == r.numel) {
            CHECK(test_rel_err(y.data, x.data, (size_t)x.numel) <= 1e-5);
            CHECK(test_rel_err(z.data, x.data, (size_t)x.numel) <= 1e-5);
            CHECK(test_rel_err(x.data, r.data, (size_t)r.numel) <= 5e-6);
            CHECK(test_rel_err(y.data, r.data, (size_t)r.numel) <= 5e-6);
            CHECK(test_rel_err(z.data, r.data, (size_t)r.numel) <= 5e-6);
        }
    }
    npy_free(&r);
    restore_coretype();
    npy_free(&x);
    npy_free(&y);
    npy_free(&z);
}
