/* common.h: error reporting, checked allocation and small helpers shared by the engine.
 *
 * Engine functions never print. A function that fails records one line (what went wrong, naming
 * the file/key/value and what was expected) with SEGP_FAIL and returns -1 (or NULL); the caller
 * (usually app/) prints segp_last_error(). SEGP_CHECK is for internal invariants (bugs): it prints
 * file:line and aborts. */
#ifndef SEGP_COMMON_H
#define SEGP_COMMON_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#define SEGP_VERSION_STRING "0.1.0"

/* The git description of the source this binary was built from ("unknown" outside git). */
const char *segp_build_id(void);
/* The CPU's model name from /proc/cpuinfo ("unknown" if unreadable), safe to put in JSON. */
void segp_cpu_name(char *buf, size_t n);
/* The host name, the operating system as uname gives it ("Linux 6.1.0-18-amd64 x86_64") and the
 * compiler this binary was built with ("gcc 12.2.0"): "unknown" where not known; JSON-safe. */
void segp_host_name(char *buf, size_t n);
void segp_os_name(char *buf, size_t n);
const char *segp_compiler(void);

/* S as one POSIX shell word into BUF (N bytes; 4 * strlen + 3 hold any S): as it is when it holds
 * only safe characters, else in single quotes, so that a command segp prints for copying works
 * with any path (spaces, quotes). */
void segp_shell_quote(const char *s, char *buf, size_t n);

/* "s" unless N is 1, for a count's noun: "%d task%s", n, segp_s(n) ("1 tasks" otherwise). */
static inline const char *segp_s(long long n) { return n == 1 ? "" : "s"; }

/* V as the shortest decimal (%g style) that reads back (strtof) as the same float, into BUF (N
 * bytes, 16 hold any): 0.05f is "0.05", where %.9g gives "0.0500000007". BUF is returned. */
const char *segp_float_text(float v, char *buf, size_t n);

/* The notice for work continued (resume) with HAVE threads where PATH records RECORDED (0:
 * not recorded): OpenMP's reductions, and so the last bits of the numbers, follow the thread
 * count. Into OUT with WHAT (e.g. "a re-run task") as what may differ; 1 when they differ,
 * else 0 and OUT "". */
int segp_threads_note(const char *path, int recorded, int have, const char *what, char *out,
                      size_t n);

/* Record an error message (printf-style) and return -1. Keeps file:line for SEGP_DEBUG=1. */
int segp_fail_at(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
#define SEGP_FAIL(...) segp_fail_at(__FILE__, __LINE__, __VA_ARGS__)

/* Same, but adds a prefix to an already recorded error ("FILE: " + previous message), or a
 * suffix (previous message + what to do about it); both return -1. */
int segp_fail_prefix(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int segp_fail_suffix(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

const char *segp_last_error(void);       /* "" when none */
const char *segp_last_error_where(void); /* "engine/x.c:12" of the first SEGP_FAIL */
void segp_clear_error(void);

/* Internal invariant: a failure is a bug in segp, not bad input. */
#define SEGP_CHECK(cond, hint)                                                              \
    do {                                                                                    \
        if (!(cond)) segp_panic(__FILE__, __LINE__, #cond, hint);                           \
    } while (0)
void segp_panic(const char *file, int line, const char *cond, const char *hint)
    __attribute__((noreturn));

/* Allocation that aborts with a clear message when memory is exhausted. */
void *segp_malloc(size_t n);
void *segp_calloc(size_t n, size_t size);
void *segp_realloc(void *p, size_t n);
char *segp_strdup(const char *s);

/* PATH opened for reading ("rb") when it is a regular file, its size in *size. NULL + error
 * naming the file and, when it is not a regular file, what it is. A FIFO is refused at once
 * (never waited on). */
FILE *segp_open_regular(const char *path, size_t *size);
/* The same as a file descriptor (O_CLOEXEC); -1 + error. */
int segp_open_regular_fd(const char *path, size_t *size);
/* 0 when PATH is at most MAX bytes long, else -1 + an error naming its start and length.
 * Callers that build file paths inside PATH pick MAX so that those stay within PATH_MAX. */
int segp_check_path_length(const char *path, size_t max);
/* What a stat mode is, for messages: "a directory", "a FIFO", ... */
const char *segp_file_kind(unsigned mode);

/* Read a whole file into memory (NUL-terminated for convenience). -1 + error on failure. */
int segp_read_file(const char *path, uint8_t **data, size_t *size);

/* Write a file atomically: write to PATH.tmp.PID, fsync, rename. -1 + error on failure. */
int segp_write_file_atomic(const char *path, const void *data, size_t size);

/* Bytes of memory the memory checks count on (train/step_memory.h, the dataset readers) into
 * *BYTES: the machine's physical memory, or less where the process's control group has a memory
 * limit (a Slurm job's --mem, a container's limit) or $SEGP_MEMORY_GIB (a number of GiB > 0)
 * says so, e.g. one's share of a shared machine; 0 when unknown. DESC (optional) gets the
 * phrase for messages: "this machine has 23.2 GiB of memory", "this process's control group
 * allows 16.0 GiB of memory" or "SEGP_MEMORY_GIB allows 2.0 GiB of memory". -1 + error naming
 * the variable when it is set but not a number > 0. (memory_limit.c) */
int segp_memory_limit(double *bytes, char *desc, size_t desc_size);
/* The tightest cgroup memory limit in bytes for a process whose /proc/self/cgroup reads
 * PROC_CGROUP, with the cgroup file systems under ROOT ("/sys/fs/cgroup"): v2's memory.max
 * (at ROOT or ROOT/unified) and v1's memory/memory.limit_in_bytes, of the process's group and
 * every group above it. 0 when none is set. WHERE (optional) gets the file that set it. */
double segp_cgroup_memory_limit(const char *proc_cgroup, const char *root, char *where,
                                size_t where_size);

/* Monotonic wall clock in seconds. */
double segp_now(void);

#endif
