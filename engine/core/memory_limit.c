/* memory_limit.c: how much memory this process may count on, for the checks that refuse a run
 * before any work: the machine's physical memory, the memory limit of the process's control
 * group where one is set (a Slurm job's --mem, a container's), and $SEGP_MEMORY_GIB. A run
 * that needs more than a cgroup allows is killed by the OOM killer as surely as one that needs
 * more than the machine has, so the tightest of the three counts. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"

/* A limit file's value in bytes: 0 for "max", v1's "no limit" (a page-rounded 2^63 - 1), an
 * absent or unreadable file. */
static double limit_file(const char *path) {
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    char buf[64] = {0};
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    if (!strncmp(buf, "max", 3)) return 0;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(buf, &end, 10);
    if (errno || end == buf || v == 0 || v >= (1ull << 62)) return 0;
    return (double)v;
}

/* The smallest limit in FILE of DIR = ROOT/PATH and each folder above it up to ROOT; *WHERE
 * gets the file that set it. The process's own path may not exist under ROOT (a container
 * without a cgroup namespace sees its own group as ROOT), so missing folders are passed over. */
static double walk_up(const char *root, const char *path, const char *file, double best,
                      char *where, size_t where_size) {
    char dir[4096];
    if (snprintf(dir, sizeof dir, "%s%s%s", root, *path == '/' ? "" : "/", path) >=
        (int)sizeof dir)
        return best;
    size_t root_len = strlen(root);
    for (;;) {
        size_t len = strlen(dir);
        while (len > root_len && dir[len - 1] == '/') dir[--len] = 0;
        char f[4200];
        snprintf(f, sizeof f, "%s/%s", dir, file);
        double v = limit_file(f);
        if (v > 0 && (best <= 0 || v < best)) {
            best = v;
            if (where && where_size) snprintf(where, where_size, "%s", f);
        }
        if (len <= root_len) break;
        char *slash = strrchr(dir, '/');
        if (!slash || (size_t)(slash - dir) < root_len) break;
        *slash = 0;
    }
    return best;
}

double segp_cgroup_memory_limit(const char *proc_cgroup, const char *root, char *where,
                                size_t where_size) {
    if (where && where_size) where[0] = 0;
    double best = 0;
    char sub[4200];
    for (const char *line = proc_cgroup; line && *line;) {
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        char buf[4096];
        if (len < sizeof buf) {
            memcpy(buf, line, len);
            buf[len] = 0;
            /* "ID:CONTROLLERS:PATH"; the path may itself hold ':' */
            char *c1 = strchr(buf, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
            if (c1 && c2) {
                *c1 = *c2 = 0;
                char *ctl = c1 + 1;
                const char *path = c2 + 1;
                if (!strcmp(buf, "0") && !*ctl) {
                    /* cgroup v2: mounted at ROOT, or at ROOT/unified beside v1 (hybrid) */
                    best = walk_up(root, path, "memory.max", best, where, where_size);
                    snprintf(sub, sizeof sub, "%s/unified", root);
                    best = walk_up(sub, path, "memory.max", best, where, where_size);
                } else {
                    int memory = 0;
                    char *save = NULL;
                    for (char *t = strtok_r(ctl, ",", &save); t; t = strtok_r(NULL, ",", &save))
                        memory |= !strcmp(t, "memory");
                    if (memory) {
                        snprintf(sub, sizeof sub, "%s/memory", root);
                        best = walk_up(sub, path, "memory.limit_in_bytes", best, where,
                                       where_size);
                    }
                }
            }
        }
        line = nl ? nl + 1 : NULL;
    }
    return best;
}

int segp_memory_limit(double *bytes, char *desc, size_t desc_size) {
    const double gib = 1073741824.0;
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    double have = pages > 0 && page > 0 ? (double)pages * page : 0;
    *bytes = 0;
    enum { MACHINE, CGROUP, ENV } by = MACHINE;
    char text[8192] = {0};
    FILE *f = fopen("/proc/self/cgroup", "r");
    if (f) {
        size_t n = fread(text, 1, sizeof text - 1, f);
        text[n] = 0;
        fclose(f);
        double cg = segp_cgroup_memory_limit(text, "/sys/fs/cgroup", NULL, 0);
        if (cg > 0 && (have <= 0 || cg < have)) have = cg, by = CGROUP;
    }
    const char *env = getenv("SEGP_MEMORY_GIB");
    if (env && *env) {
        char *end;
        errno = 0;
        double g = strtod(env, &end);
        if (errno || end == env || *end || !(g > 0) || g > 1e9)
            return SEGP_FAIL("SEGP_MEMORY_GIB is \"%s\" (expected a number of GiB > 0 that the "
                             "memory checks count on, or unset for the machine's memory)", env);
        /* a limit above the machine's memory is no memory the machine has */
        if (have <= 0 || g * gib < have) have = g * gib, by = ENV;
    }
    *bytes = have;
    if (desc && desc_size)
        snprintf(desc, desc_size,
                 by == ENV      ? "SEGP_MEMORY_GIB allows %.1f GiB of memory"
                 : by == CGROUP ? "this process's control group allows %.1f GiB of memory"
                                : "this machine has %.1f GiB of memory",
                 have / gib);
    return 0;
}
