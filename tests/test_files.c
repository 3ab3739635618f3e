/* test_files.c: scratch-file helpers shared by the tests (paths under test_tmpdir(), directories,
 * writing bytes and text, checking the recorded error) and the synthetic pixels the dataset and
 * benchmark tests write as CIFAR records and PNGs and then read back. */
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jpeglib.h> /* after stdio.h: it uses FILE and size_t */

#include "core/common.h"
#include "io/image.h"
#include "run/rundir.h"
#include "test.h"

char *tpath(const char *fmt, const char *a) {
    /* a ring of buffers, so a call can take several paths at once */
    static char buf[8][1024];
    static int k;
    char rel[512];
    snprintf(rel, sizeof rel, fmt, a);
    char *b = buf[k++ % 8];
    snprintf(b, sizeof buf[0], "%s/%s", test_tmpdir(), rel);
    return b;
}

void mkdirs(const char *path) {
    char tmp[8192];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1; *p; p++)
        if (*p == '/') {
            *p = 0;
            mkdir(tmp, 0755);
            *p = '/';
        }
    mkdir(tmp, 0755);
}

int path_exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

int dir_has(const char *dir, const char *name) {
    char p[8192];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return path_exists(p);
}

static const char *thread_vars[2] = {"OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS"};
static char saved_threads[2][64];
static int saved_threads_set[2];

void test_one_thread(void) {
    for (int i = 0; i < 2; i++) {
        const char *v = getenv(thread_vars[i]);
        saved_threads_set[i] = v != NULL;
        if (v) snprintf(saved_threads[i], sizeof saved_threads[i], "%s", v);
        setenv(thread_vars[i], "1", 1);
    }
}

void test_all_threads(void) {
    for (int i = 0; i < 2; i++) {
        if (saved_threads_set[i])
            setenv(thread_vars[i], saved_threads[i], 1);
        else
            unsetenv(thread_vars[i]);
    }
}

void write_bytes(const char *path, const void *data, size_t n) {
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    if (!f) return;
    if (n) CHECK(fwrite(data, 1, n, f) == n);
    fclose(f);
}

void write_text(const char *path, const char *text) { write_bytes(path, text, strlen(text)); }

int err_has(const char *s) {
    const char *e = segp_last_error();
    if (strstr(e, s)) return 1;
    printf("  (error was: %s)\n", e);
    return 0;
}

uint8_t synth_pixel(int idx, int x, int y, int c) {
    return (uint8_t)(idx * 37 + x * 3 + y * 11 + c * 101);
}

void synth_cifar_record(uint8_t *r, int label_bytes, int coarse, int label, int idx) {
    if (label_bytes == 2) *r++ = (uint8_t)coarse;
    *r++ = (uint8_t)label;
    for (int c = 0; c < 3; c++)
        for (int y = 0; y < 32; y++)
            for (int x = 0; x < 32; x++) *r++ = synth_pixel(idx, x, y, c);
}

void write_cifar(const char *path, int label_bytes, int n, int first_idx, int nclasses) {
    size_t rec = (size_t)label_bytes + 3072;
    uint8_t *buf = malloc(rec * (size_t)n);
    for (int i = 0; i < n; i++) {
        int idx = first_idx + i;
        synth_cifar_record(buf + rec * (size_t)i, label_bytes, idx % 20, (idx * 7) % nclasses, idx);
    }
    write_bytes(path, buf, rec * (size_t)n);
    free(buf);
}

void write_synth_png(const char *path, int idx, int w, int h) {
    image_rgb im = {w, h, malloc((size_t)w * h * 3)};
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            for (int c = 0; c < 3; c++) im.rgb[(y * w + x) * 3 + c] = synth_pixel(idx, x, y, c);
    CHECK_MSG(image_write_png(path, &im) == 0, "%s", segp_last_error());
    free(im.rgb);
}

uint8_t *test_jpeg_encode(const uint8_t *px, int w, int h, int comps, int quality,
                          const void *scans, int n_scans, size_t *n) {
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr jerr;
    c.err = jpeg_std_error(&jerr);
    jpeg_create_compress(&c);
    unsigned char *buf = NULL;
    unsigned long len = 0;
    jpeg_mem_dest(&c, &buf, &len);
    c.image_width = (JDIMENSION)w;
    c.image_height = (JDIMENSION)h;
    c.input_components = comps;
    c.in_color_space = comps == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_set_defaults(&c);
    jpeg_set_quality(&c, quality, TRUE);
    if (n_scans) {
        c.scan_info = scans;
        c.num_scans = n_scans;
    }
    jpeg_start_compress(&c, TRUE);
    while (c.next_scanline < c.image_height) {
        JSAMPROW row = (JSAMPROW)px + (size_t)c.next_scanline * (size_t)w * (size_t)comps;
        jpeg_write_scanlines(&c, &row, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    *n = len;
    return buf;
}

char *read_text(const char *path) {
    uint8_t *d;
    size_t n;
    if (segp_read_file(path, &d, &n) != 0) return NULL;
    return (char *)d;
}

int run_segp_fault(const char *fault, const char *args) {
    char cmd[2000];
    snprintf(cmd, sizeof cmd, "SEGP_FAULT_KILL=%s %s %s >/dev/null 2>&1", fault,
             test_segp_bin(), args);
    return system(cmd);
}

int same_run_file(const char *a_dir, const char *b_dir, const char *name) {
    char pa[600], pb[600];
    snprintf(pa, sizeof pa, "%s/%s", a_dir, name);
    snprintf(pb, sizeof pb, "%s/%s", b_dir, name);
    uint8_t *a = NULL, *b = NULL;
    size_t na = 0, nb = 0;
    int same = segp_read_file(pa, &a, &na) == 0 && segp_read_file(pb, &b, &nb) == 0 && na == nb &&
               !memcmp(a, b, na);
    if (!same) printf("  (%s differs from %s)\n", pb, pa);
    free(a);
    free(b);
    return same;
}

int test_lock_hold(const char *dir) {
    int fds[2];
    if (pipe(fds) != 0) return -1;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) { /* the other process: lock, say so, wait to be killed */
        close(fds[0]);
        int fd;
        char ok = rundir_lock(dir, &fd, NULL, 0) == 0 && fd >= 0 ? 'y' : 'n';
        if (write(fds[1], &ok, 1) != 1) _exit(1);
        while (1) pause();
    }
    close(fds[1]);
    char ok = 0;
    ssize_t n = read(fds[0], &ok, 1);
    close(fds[0]);
    if (n != 1 || ok != 'y') {
        test_lock_release(pid);
        return -1;
    }
    return (int)pid;
}

void test_lock_release(int pid) {
    if (pid <= 0) return;
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

size_t test_heap_in_use(void) {
    struct mallinfo2 mi = mallinfo2();
    return mi.uordblks + mi.hblkhd;
}

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
int test_lsan_leaks(void) { return __lsan_do_recoverable_leak_check() != 0; }
/* fontconfig's cache (the figure tests load fonts through cairo) is reachable at exit but not
 * always seen as such by a check in the middle of the run: not ours, not reported. */
const char *__lsan_default_suppressions(void) { return "leak:libfontconfig.so\n"; }

/* The largest single allocation since test_largest_alloc_reset, through the sanitizer's malloc
 * hook (it sees libpng's and libjpeg's allocations too). */
/* sanitizer/allocator_interface.h comes with clang, not gcc; libasan exports the function. */
int __sanitizer_install_malloc_and_free_hooks(void (*m)(const volatile void *, size_t),
                                              void (*f)(const volatile void *));
static size_t largest_alloc;
static void on_malloc(const volatile void *p, size_t n) {
    (void)p;
    size_t seen = __atomic_load_n(&largest_alloc, __ATOMIC_RELAXED);
    while (n > seen && !__atomic_compare_exchange_n(&largest_alloc, &seen, n, 0, __ATOMIC_RELAXED,
                                                    __ATOMIC_RELAXED)) {
    }
}
static void on_free(const volatile void *p) { (void)p; }
int test_largest_alloc_reset(void) {
    static int installed;
    if (!installed) installed = __sanitizer_install_malloc_and_free_hooks(on_malloc, on_free);
    __atomic_store_n(&largest_alloc, 0, __ATOMIC_RELAXED);
    return installed != 0;
}
size_t test_largest_alloc(void) { return __atomic_load_n(&largest_alloc, __ATOMIC_RELAXED); }
#else
int test_lsan_leaks(void) { return 0; }
int test_largest_alloc_reset(void) { return 0; }
size_t test_largest_alloc(void) { return 0; }
#endif
