/* common.c: error state (thread-local), checked allocation, whole-file and atomic I/O. */
#include "common.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static _Thread_local char err_msg[1024];
static _Thread_local char err_where[256];

int segp_fail_at(const char *file, int line, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err_msg, sizeof err_msg, fmt, ap);
    va_end(ap);
    snprintf(err_where, sizeof err_where, "%s:%d", file, line);
    return -1;
}

int segp_fail_prefix(const char *fmt, ...) {
    char old[sizeof err_msg];
    memcpy(old, err_msg, sizeof old);
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(err_msg, sizeof err_msg, fmt, ap);
    va_end(ap);
    if (k >= 0 && (size_t)k < sizeof err_msg)
        memcpy(err_msg + k, old, sizeof err_msg - (size_t)k - 1);
    err_msg[sizeof err_msg - 1] = 0;
    return -1;
}

int segp_fail_suffix(const char *fmt, ...) {
    size_t k = strlen(err_msg);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err_msg + k, sizeof err_msg - k, fmt, ap);
    va_end(ap);
    return -1;
}

const char *segp_last_error(void) { return err_msg; }
const char *segp_last_error_where(void) { return err_where; }
void segp_clear_error(void) { err_msg[0] = 0; err_where[0] = 0; }

void segp_panic(const char *file, int line, const char *cond, const char *hint) {
    fprintf(stderr, "segp: internal error at %s:%d: check '%s' failed (%s)\n", file, line, cond,
            hint);
    abort();
}

static void oom(size_t n) {
    fprintf(stderr, "segp: out of memory allocating %zu bytes (try a smaller batch size)\n", n);
    exit(3);
}

void *segp_malloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (!p) oom(n);
    return p;
}
void *segp_calloc(size_t n, size_t size) {
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) oom(n * size);
    return p;
}
void *segp_realloc(void *q, size_t n) {
    void *p = realloc(q, n ? n : 1);
    if (!p) oom(n);
    return p;
}
char *segp_strdup(const char *s) {
    size_t n = strlen(s) + 1;
    char *p = segp_malloc(n);
    memcpy(p, s, n);
    return p;
}

int segp_check_path_length(const char *path, size_t max) {
    size_t n = strlen(path);
    if (n <= max) return 0;
    return SEGP_FAIL("%.48s...: path too long (%zu bytes; expected at most %zu, so that the "
                     "paths segp makes from it fit the system's limit of 4096)",
                     path, n, max);
}

const char *segp_file_kind(unsigned mode) {
    switch (mode & S_IFMT) {
    case S_IFREG: return "a regular file";
    case S_IFDIR: return "a directory";
    case S_IFIFO: return "a FIFO";
    case S_IFCHR: return "a character device";
    case S_IFBLK: return "a block device";
    case S_IFSOCK: return "a socket";
    default: return "not a file";
    }
}

int segp_open_regular_fd(const char *path, size_t *size) {
    /* O_NONBLOCK: opening a FIFO to read waits for a writer, forever if none comes; a FIFO is
     * refused below instead. On a regular file the flag does nothing, and it is cleared. */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return SEGP_FAIL("%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        SEGP_FAIL("%s: cannot stat: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return SEGP_FAIL("%s: not a regular file (%s)", path, segp_file_kind(st.st_mode));
    }
    int fl = fcntl(fd, F_GETFL);
    if (fl != -1) fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    *size = (size_t)st.st_size;
    return fd;
}

FILE *segp_open_regular(const char *path, size_t *size) {
    int fd = segp_open_regular_fd(path, size);
    if (fd < 0) return NULL;
    FILE *f = fdopen(fd, "rb");
    if (!f) {
        SEGP_FAIL("%s: cannot open: %s", path, strerror(errno));
        close(fd);
    }
    return f;
}

int segp_read_file(const char *path, uint8_t **data, size_t *size) {
    *data = NULL;
    *size = 0;
    size_t n;
    FILE *f = segp_open_regular(path, &n);
    if (!f) return -1;
    uint8_t *buf = segp_malloc(n + 1);
    if (n && fread(buf, 1, n, f) != n) {
        fclose(f);
        free(buf);
        return SEGP_FAIL("%s: read error", path);
    }
    fclose(f);
    buf[n] = 0;
    *data = buf;
    *size = n;
    return 0;
}

int segp_write_file_atomic(const char *path, const void *data, size_t size) {
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp.%d", path, (int)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return SEGP_FAIL("%s: cannot create: %s", path, strerror(errno));
    const uint8_t *p = data;
    size_t left = size;
    while (left) {
        ssize_t w = write(fd, p, left);
        if (w < 0) {
            if (errno == EINTR) continue;
            int e = errno;
            close(fd);
            unlink(tmp);
            return SEGP_FAIL("%s: write failed: %s", path, strerror(e));
        }
        p += w;
        left -= (size_t)w;
    }
    if (fsync(fd) != 0 || close(fd) != 0) {
        unlink(tmp);
        return SEGP_FAIL("%s: cannot flush to disk", path);
    }
    if (rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        return SEGP_FAIL("%s: cannot rename into place: %s", path, strerror(e));
    }
    return 0;
}

double segp_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

const char *segp_float_text(float v, char *buf, size_t n) {
    /* 9 significant digits always read back; the first precision that does is the shortest */
    for (int prec = 1; prec <= 9; prec++) {
        snprintf(buf, n, "%.*g", prec, (double)v);
        if (strtof(buf, NULL) == v) break;
    }
    return buf;
}
