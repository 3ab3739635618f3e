/* backend.c: choosing a backend by name (--device), and the precision names. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "core/common.h"

/* "cuda" -> 0, "cuda:N" -> N; -1 when NAME is not a CUDA device name; -2 when malformed. */
static int cuda_index(const char *name) {
    if (strncmp(name, "cuda", 4) != 0) return -1;
    if (name[4] == '\0') return 0;
    if (name[4] != ':' || name[5] < '0' || name[5] > '9') return -2;
    char *end;
    errno = 0;
    long v = strtol(name + 5, &end, 10);
    if (*end || errno || v > 1024) return -2;
    return (int)v;
}

int segp_device_check_name(const char *name, const char *what) {
    if (!name || !strcmp(name, "cpu")) return 0;
    int k = cuda_index(name);
    if (k >= 0) return 0;
    return SEGP_FAIL("%s: unknown device '%s' (expected cpu, cuda or cuda:N, N the device "
                     "number)",
                     what, name);
}

#ifndef SEGP_CUDA
const segp_backend *segp_backend_cuda(int device) {
    (void)device;
    SEGP_FAIL("this segp was built without CUDA (rebuild with 'make CUDA=1' where the CUDA "
              "toolkit is installed)");
    return NULL;
}
#endif

const segp_backend *segp_backend_get(const char *name) {
    if (!name || !strcmp(name, "cpu")) return segp_backend_cpu();
    if (segp_device_check_name(name, "--device") != 0) return NULL;
    const segp_backend *be = segp_backend_cuda(cuda_index(name));
    if (!be) segp_fail_prefix("device '%s': ", name);
    return be;
}

static const char *const math_names[] = {"fp32", "tf32", "bf16"};

int segp_math_parse(const char *s, const char *what, segp_math *out) {
    for (int i = 0; i < 3; i++)
        if (s && !strcmp(s, math_names[i])) {
            *out = (segp_math)i;
            return 0;
        }
    return SEGP_FAIL("%s: '%s' (expected fp32, tf32 or bf16)", what, s ? s : "");
}

const char *segp_math_name(segp_math m) {
    return (unsigned)m < 3 ? math_names[m] : "?";
}

int segp_backend_set_precision(const segp_backend *be, const char *name, const char *what) {
    segp_math math = be->host_memory ? SEGP_MATH_FP32 : SEGP_MATH_TF32;
    if (name && strcmp(name, "auto") && segp_math_parse(name, what, &math) != 0) return -1;
    if (be->set_math(math) != 0) return segp_fail_prefix("%s: ", what);
    return 0;
}
