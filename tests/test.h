/* test.h: the tiny test framework. TEST(name) registers a test; CHECK* record failures without
 * stopping the test; TEST_SKIP / TEST_NEEDS end it as skipped. The runner (tests/test_main.c)
 * prints one line per failure, "skipped (reason)" for a skipped test, and ends with
 * "N passed, N failed, N skipped". */
#ifndef SEGP_TEST_H
#define SEGP_TEST_H

#include <math.h>
#include <stddef.h>
#include <stdio.h>

void test_register(const char *name, void (*fn)(void), const char *file);
void test_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define TEST(name)                                                                          \
    static void name(void);                                                                 \
    __attribute__((constructor)) static void register_##name(void) {                        \
        test_register(#name, name, __FILE__);                                               \
    }                                                                                       \
    static void name(void)

#define CHECK(cond)                                                                         \
    do {                                                                                    \
        if (!(cond)) test_fail(__FILE__, __LINE__, "CHECK(%s)", #cond);                     \
    } while (0)

#define CHECK_MSG(cond, ...)                                                                \
    do {                                                                                    \
        if (!(cond)) test_fail(__FILE__, __LINE__, __VA_ARGS__);                            \
    } while (0)

#define CHECK_EQ_INT(a, b)                                                                  \
    do {                                                                                    \
        long long va_ = (long long)(a), vb_ = (long long)(b);                               \
        if (va_ != vb_)                                                                     \
            test_fail(__FILE__, __LINE__, "%s == %s: %lld != %lld", #a, #b, va_, vb_);      \
    } while (0)

#define CHECK_NEAR(a, b, tol)                                                               \
    do {                                                                                    \
        double va_ = (double)(a), vb_ = (double)(b);                                        \
        if (!(fabs(va_ - vb_) <= (tol)))                                                    \
            test_fail(__FILE__, __LINE__, "%s ~ %s: %.9g vs %.9g (tol %g)", #a, #b, va_, vb_, \
                      (double)(tol));                                                       \
    } while (0)

/* Marks the running test skipped (the runner prints the reason); a test that also recorded a
 * failure still counts as failed. Prefer TEST_SKIP / TEST_NEEDS, which also return. */
void test_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* True under CI (the environment variable CI is set): there, whatever a test needs is installed
 * (.ci/packages), so its absence is a failure rather than a skip. */
int test_in_ci(void);

/* End the running test as skipped, saying why. */
#define TEST_SKIP(...)                                                                      \
    do {                                                                                    \
        test_skip(__VA_ARGS__);                                                             \
        return;                                                                             \
    } while (0)

/* The test needs COND (an installed package, a data set); without it the test ends: skipped
 * with the reason, or failed under CI. */
#define TEST_NEEDS(cond, ...)                                                               \
    do {                                                                                    \
        if (!(cond)) {                                                                      \
            if (test_in_ci())                                                               \
                test_fail(__FILE__, __LINE__, __VA_ARGS__);                                 \
            else                                                                            \
                test_skip(__VA_ARGS__);                                                     \
            return;                                                                         \
        }                                                                                   \
    } while (0)

/* Relative error ||a-b|| / max(||b||, tiny) of two float arrays. */
double test_rel_err(const float *a, const float *b, size_t n);

/* Run the built segp binary with ARGS through the shell (stdout+stderr captured into OUT).
 * Returns the exit status (or -1 if it did not exit normally, e.g. crashed). */
int test_run_segp(const char *args, char *out, size_t out_size);
/* The segp binary the tests run: $SEGP_BIN, else ./segp. */
const char *test_segp_bin(void);
/* The segp binary with ARGS, stdout into OUT_FILE and stderr into ERR_FILE; the exit status. */
int test_run_segp_split(const char *args, const char *out_file, const char *err_file);

/* True when SEGP_TEST_VERBOSE is set (and not "0"): tests then print the errors they measure. */
int test_verbose(void);

/* Directory for scratch files of this test run (created once, under /tmp). */
const char *test_tmpdir(void);

/* ---- scratch files (tests/test_files.c) ---- */

#include <stdint.h>

/* test_tmpdir()/FMT with %s replaced by A; one of 8 rotating buffers, so a call may take
 * several. */
char *tpath(const char *fmt, const char *a);
/* 1 when A[0..n-1] and B[0..n-1] are equal. */
static inline int same_ints(const int *a, const int *b, int n) {
    for (int i = 0; i < n; i++)
        if (a[i] != b[i]) return 0;
    return 1;
}
/* mkdir -p PATH. */
void mkdirs(const char *path);
/* 1 when PATH exists (a file of any kind); dir_has: when DIR/NAME does. */
int path_exists(const char *path);
int dir_has(const char *dir, const char *name);
/* OMP_NUM_THREADS and OPENBLAS_NUM_THREADS set to 1 for the segp processes a test starts: the
 * machine may be shared (OpenMP threads waiting on a busy core cost seconds), and fixed
 * expected numbers then do not depend on the core count. test_all_threads puts back what the
 * two variables were. */
void test_one_thread(void);
void test_all_threads(void);
/* Write N bytes (or TEXT) to PATH, recording a failure if that fails. */
void write_bytes(const char *path, const void *data, size_t n);
void write_text(const char *path, const char *text);
/* The segp binary with ARGS under SEGP_FAULT_KILL=FAULT (run/fault.h), output discarded; the
 * exit status. */
int run_segp_fault(const char *fault, const char *args);
/* 1 when A_DIR/NAME and B_DIR/NAME hold the same bytes (else prints which differ). */
int same_run_file(const char *a_dir, const char *b_dir, const char *name);
/* PATH's bytes as a NUL-terminated string (malloc'd), NULL when unreadable. */
char *read_text(const char *path);
/* True when the last recorded error contains S; otherwise prints the error and returns 0. */
int err_has(const char *s);
/* A child process that takes DIR's writer lock (rundir_lock) and waits, as a segp run in
 * another process would: its pid once it holds the lock, -1 on failure. test_lock_release
 * kills it with SIGKILL (the lock goes with it) and reaps it. */
int test_lock_hold(const char *dir);
void test_lock_release(int pid);

/* Pixel value of synthetic image IDX at (x, y, channel c): distinct and reproducible. */
uint8_t synth_pixel(int idx, int x, int y, int c);
/* A CIFAR record at R: the label byte(s) (coarse first when LABEL_BYTES is 2), then the R, G, B
 * planes of 32x32 from synth_pixel(IDX). */
void synth_cifar_record(uint8_t *r, int label_bytes, int coarse, int label, int idx);
/* A CIFAR file of N such records at PATH (1 label byte: CIFAR-10, 2: CIFAR-100): record i is
 * image FIRST_IDX + i, of class (FIRST_IDX + i) * 7 % NCLASSES (each class once in any
 * NCLASSES running images when NCLASSES is prime to 7), coarse class (FIRST_IDX + i) % 20. */
void write_cifar(const char *path, int label_bytes, int n, int first_idx, int nclasses);
/* A W x H PNG of synth_pixel(IDX) at PATH. */
void write_synth_png(const char *path, int idx, int w, int h);
/* PX (W x H, COMPS 1 (grey) or 3 (RGB) bytes a pixel) as a JPEG written by libjpeg at QUALITY,
 * in memory (free() it; *N its size): sequential when N_SCANS is 0, else with the scan script
 * SCANS (a jpeg_scan_info array of N_SCANS entries). */
uint8_t *test_jpeg_encode(const uint8_t *px, int w, int h, int comps, int quality,
                          const void *scans, int n_scans, size_t *n);

/* ---- leaks (tests/test_files.c) ---- */

/* Bytes glibc's heap holds now (arena + mmapped chunks). Under AddressSanitizer glibc's heap is
 * not used and this stays 0: there, test_lsan_leaks is the check. */
size_t test_heap_in_use(void);
/* What test_heap_in_use may grow by with nothing leaked: freed chunks that glibc keeps in its
 * per-thread cache (tcache) still count as in use, and which ones it keeps depends on the order
 * of earlier frees (a pass over the corrupt images of test_image_corrupt.c can end 336 bytes above
 * the one before; none with GLIBC_TUNABLES=glibc.malloc.tcache_count=0, and mtrace finds every
 * allocation freed). A leak of 16 bytes for one decode in ten over 1,000 decodes is 1.6 KB. */
#define TEST_HEAP_SLACK 1024
/* Under AddressSanitizer: runs LeakSanitizer now and returns 1 when it reports a leak (it prints
 * the report); elsewhere 0. */
int test_lsan_leaks(void);
/* Under AddressSanitizer: starts recording the largest single allocation (returns 1), read by
 * test_largest_alloc; elsewhere returns 0 (glibc has no malloc hook) and records nothing. */
int test_largest_alloc_reset(void);
size_t test_largest_alloc(void);

#endif
