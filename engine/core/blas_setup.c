/* blas_setup.c: detect a weak OpenBLAS kernel choice and re-exec with a better one. */
#include "blas_setup.h"

#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

char *openblas_get_corename(void);
char *openblas_get_config(void);
int openblas_get_num_threads(void);

/* Set by segp itself in the environment of the re-exec'ed process, so we know it was ours. */
#define MARK "SEGP_BLAS_CORETYPE_SET"

const char *blas_corename(void) { return openblas_get_corename(); }
const char *blas_config(void) { return openblas_get_config(); }

const char *blas_best_coretype(void) {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq"))
        return "SkylakeX";
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return "Haswell";
    if (__builtin_cpu_supports("avx")) return "Sandybridge";
    return NULL;
}

/* Kernel sets that are fine as they are: anything OpenBLAS picked that uses AVX2 or better. */
static int is_weak(const char *core) {
    static const char *weak[] = {"Prescott", "Core2",   "Penryn",  "Dunnington", "Nehalem",
                                 "Atom",     "Katmai",  "Coppermine", "Northwood", "Banias",
                                 "Sandybridge", "generic", "Generic", NULL};
    for (int i = 0; weak[i]; i++)
        if (!strcasecmp(core, weak[i])) return 1;
    return 0;
}

void blas_setup_reexec_if_needed(char **argv) {
    if (getenv("OPENBLAS_CORETYPE") || getenv("SEGP_NO_BLAS_FIX")) return;
    const char *core = openblas_get_corename();
    const char *best = blas_best_coretype();
    if (!core || !best || !is_weak(core) || !strcasecmp(core, best)) return;
    setenv("OPENBLAS_CORETYPE", best, 1);
    setenv(MARK, core, 1);
    execv("/proc/self/exe", argv);
    /* exec failed: carry on with the slow kernels; blas_selection_note() says so. */
    unsetenv("OPENBLAS_CORETYPE");
    unsetenv(MARK);
}

const char *blas_selection_note(void) {
    static char note[256];
    const char *user = getenv("OPENBLAS_CORETYPE");
    const char *mark = getenv(MARK);
    const char *best = blas_best_coretype();
    /* the mark is inherited by child processes: OPENBLAS_CORETYPE is segp's own only while it
     * still holds the value segp set */
    if (user && mark && best && !strcasecmp(user, best))
        snprintf(note, sizeof note,
                 "OpenBLAS picked '%s' for this CPU; segp set OPENBLAS_CORETYPE=%s "
                 "(set it yourself to choose another)",
                 mark, user);
    else if (user)
        snprintf(note, sizeof note, "OPENBLAS_CORETYPE=%s set by the user", user);
    else if (best && is_weak(openblas_get_corename()))
        snprintf(note, sizeof note,
                 "slow generic kernels in use; run with OPENBLAS_CORETYPE=%s for the fast ones",
                 best);
    else
        snprintf(note, sizeof note, "chosen by OpenBLAS for this CPU");
    return note;
}

int blas_num_threads(void) { return omp_get_max_threads(); }
