/* blas_setup.h: which OpenBLAS kernels run, and getting the right ones.
 *
 * Debian's OpenBLAS 0.3.21 does not recognise some recent CPUs (e.g. Sapphire Rapids) and falls
 * back to the generic "Prescott" kernels, about 5x slower. OpenBLAS reads OPENBLAS_CORETYPE
 * when the library is loaded, before main(), so the only fix from inside the program is to set
 * it and re-exec once. A user's own OPENBLAS_CORETYPE is never touched. */
#ifndef SEGP_BLAS_SETUP_H
#define SEGP_BLAS_SETUP_H

/* If OPENBLAS_CORETYPE is unset and OpenBLAS picked a kernel set weaker than the CPU supports,
 * set OPENBLAS_CORETYPE to the best supported one and execv() this program again. Returns
 * normally when nothing needs doing (or the re-exec failed). SEGP_NO_BLAS_FIX=1 disables it. */
void blas_setup_reexec_if_needed(char **argv);

/* Kernel set OpenBLAS is using now (openblas_get_corename). */
const char *blas_corename(void);
/* OpenBLAS's version and build options ("OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY Haswell
 * MAX_THREADS=64", openblas_get_config). */
const char *blas_config(void);

/* Best OpenBLAS 0.3.21 kernel set this CPU supports ("SkylakeX", "Haswell", ... or NULL). */
const char *blas_best_coretype(void);

/* One line describing how the kernel set was chosen (user's, segp's fix, or OpenBLAS's own). */
const char *blas_selection_note(void);

/* Number of threads OpenBLAS/OpenMP use. */
int blas_num_threads(void);

#endif
