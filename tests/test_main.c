/* test_main.c: runs every registered test (or those whose name or file contains argv[1]) and
 * reports each as ok, FAILED or skipped; exits 1 if any failed or if argv[1] matches nothing. */
#include "test.h"

#include "core/blas_setup.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct {
    const char *name;
    const char *file;
    void (*fn)(void);
} test_entry;

static test_entry *tests; /* grows: registration never drops a test */
static int n_tests, cap_tests;
static int cur_failures;
static char cur_skip[512]; /* the reason, when the running test skipped */

void test_register(const char *name, void (*fn)(void), const char *file) {
    if (n_tests == cap_tests) {
        int cap = cap_tests ? 2 * cap_tests : 256;
        test_entry *t = realloc(tests, (size_t)cap * sizeof *t);
        if (!t) {
            fprintf(stderr, "test runner: out of memory registering test %s (%s)\n", name, file);
            exit(2);
        }
        tests = t, cap_tests = cap;
    }
    tests[n_tests++] = (test_entry){name, file, fn};
}

void test_skip(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cur_skip, sizeof cur_skip, fmt, ap);
    va_end(ap);
    if (!cur_skip[0]) snprintf(cur_skip, sizeof cur_skip, "no reason given");
}

int test_in_ci(void) { return getenv("CI") != NULL; }

void test_fail(const char *file, int line, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stdout, "  FAIL %s:%d: ", file, line);
    vfprintf(stdout, fmt, ap);
    fprintf(stdout, "\n");
    va_end(ap);
    fflush(stdout);
    cur_failures++;
}

double test_rel_err(const float *a, const float *b, size_t n) {
    double num = 0, den = 0;
    for (size_t i = 0; i < n; i++) {
        double d = (double)a[i] - (double)b[i];
        num += d * d;
        den += (double)b[i] * (double)b[i];
    }
    if (num != num) return INFINITY;
    return sqrt(num) / (den > 1e-30 ? sqrt(den) : 1e-15);
}

static char segp_bin[4096] = "./segp";

const char *test_segp_bin(void) { return segp_bin; }

int test_run_segp_split(const char *args, const char *out_file, const char *err_file) {
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "%s %s > '%s' 2> '%s'", segp_bin, args, out_file, err_file);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int test_run_segp(const char *args, char *out, size_t out_size) {
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "%s %s 2>&1", segp_bin, args);
    FILE *p = popen(cmd, "r");
    if (!p) return -1;
    size_t n = 0;
    if (out && out_size) {
        n = fread(out, 1, out_size - 1, p);
        out[n] = 0;
    }
    char sink[4096];
    while (fread(sink, 1, sizeof sink, p) > 0) {
    }
    int st = pclose(p);
    if (!WIFEXITED(st)) return -1;
    return WEXITSTATUS(st);
}

int test_verbose(void) {
    static int v = -1;
    if (v < 0) {
        const char *e = getenv("SEGP_TEST_VERBOSE");
        v = e && *e && *e != '0';
    }
    return v;
}

static char tmpdir[256];
const char *test_tmpdir(void) {
    if (!tmpdir[0]) {
        snprintf(tmpdir, sizeof tmpdir, "/tmp/segp-test-XXXXXX");
        if (!mkdtemp(tmpdir)) {
            perror("mkdtemp");
            exit(2);
        }
    }
    return tmpdir;
}

static int cmp_entry(const void *a, const void *b) {
    const test_entry *x = a, *y = b;
    int c = strcmp(x->file, y->file);
    return c ? c : strcmp(x->name, y->name);
}

int main(int argc, char **argv) {
    /* The kernels segp runs with (its main() does the same), so that the runner's own BLAS work
     * is not on OpenBLAS's slow fallback for a CPU it does not know, and a run's recorded
     * kernels are the runner's too; the segp processes the tests start inherit the choice. */
    blas_setup_reexec_if_needed(argv);
    const char *filter = argc > 1 ? argv[1] : NULL;
    const char *bin = getenv("SEGP_BIN");
    if (bin) snprintf(segp_bin, sizeof segp_bin, "%s", bin);
    qsort(tests, (size_t)n_tests, sizeof tests[0], cmp_entry);
    int passed = 0, failed = 0, skipped = 0;
    for (int i = 0; i < n_tests; i++) {
        if (filter && !strstr(tests[i].name, filter) && !strstr(tests[i].file, filter)) continue;
        cur_failures = 0;
        cur_skip[0] = 0;
        fprintf(stdout, "%-48s ", tests[i].name);
        fflush(stdout);
        tests[i].fn();
        if (cur_failures) {
            fprintf(stdout, "%s FAILED\n", tests[i].name);
            failed++;
        } else if (cur_skip[0]) {
            fprintf(stdout, "skipped (%s)\n", cur_skip);
            skipped++;
        } else {
            fprintf(stdout, "ok\n");
            passed++;
        }
        fflush(stdout);
    }
    if (tmpdir[0]) {
        char cmd[512];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
        if (system(cmd) != 0) fprintf(stderr, "warning: could not remove %s\n", tmpdir);
    }
    printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
    if (filter && passed + failed + skipped == 0) {
        fprintf(stderr, "no test name or file contains '%s'\n", filter);
        return 1;
    }
    free(tests);
    return failed ? 1 : 0;
}
