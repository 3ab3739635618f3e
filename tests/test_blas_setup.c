/* test_blas_setup.c: the OpenBLAS kernel choice. A user's OPENBLAS_CORETYPE always wins, and the
 * kernel set does not change results (beyond float rounding). */
#include <stdlib.h>
#include <string.h>

#include "io/npy.h"
#include "test.h"

TEST(blas_user_coretype_wins) {
    char out[2048];
    int rc = test_run_segp("--version", out, sizeof out);
    CHECK_EQ_INT(rc, 0);
    CHECK(strstr(out, "OpenBLAS kernels") != NULL);
    rc = test_run_segp("--version", out, sizeof out); /* sanity: same answer twice */
    char args[256];
    snprintf(args, sizeof args, "--version");
    setenv("OPENBLAS_CORETYPE", "Haswell", 1);
    rc = test_run_segp(args, out, sizeof out);
    unsetenv("OPENBLAS_CORETYPE");
    CHECK_EQ_INT(rc, 0);
    CHECK_MSG(strstr(out, "'Haswell'") && strstr(out, "set by the user"), "%s", out);
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
    CHECK_EQ_INT(encode_with(NULL, a), 0);
    CHECK_EQ_INT(encode_with("Prescott", b), 0); /* the generic fallback */
    CHECK_EQ_INT(encode_with("Haswell", c), 0);
    npy_array x = {0}, y = {0}, z = {0};
    CHECK(npy_read(a, &x) == 0 && npy_read(b, &y) == 0 && npy_read(c, &z) == 0);
    if (x.data && y.data && z.data) {
        CHECK_EQ_INT(x.numel, y.numel);
        CHECK(test_rel_err(y.data, x.data, (size_t)x.numel) <= 1e-5);
        CHECK(test_rel_err(z.data, x.data, (size_t)x.numel) <= 1e-5);
    }
    npy_free(&x);
    npy_free(&y);
    npy_free(&z);
}
