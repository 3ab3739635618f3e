/* backend.c: choosing a backend by name. */
#include <string.h>

#include "backend.h"
#include "core/common.h"

const segp_backend *segp_backend_get(const char *name) {
    if (!name || !strcmp(name, "cpu")) return segp_backend_cpu();
    if (!strcmp(name, "cuda"))
        return SEGP_FAIL("--device cuda: this segp was built without CUDA (rebuild with "
                         "'make CUDA=1' on a machine with the CUDA toolkit)"),
               NULL;
    SEGP_FAIL("unknown device '%s' (expected 'cpu' or 'cuda')", name);
    return NULL;
}
