/* version.c: what produced a run. The build id is the git description of the source tree at
 * build time (generated into BUILD/build_id.h by the Makefile; "-dirty" when it had uncommitted
 * changes); the CPU name says which machine a wall time was measured on; the thread count
 * recorded beside them, whether a resumed run's last bits can match. */
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "build_id.h"
#include "common.h"

const char *segp_build_id(void) { return SEGP_BUILD_ID; }

void segp_cpu_name(char *buf, size_t n) {
    if (n == 0) return;
    snprintf(buf, n, "unknown");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f) return;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "model name", 10) != 0) continue;
        const char *v = strchr(line, ':');
        if (!v) break;
        v++;
        while (*v == ' ' || *v == '\t') v++;
        snprintf(buf, n, "%s", v);
        /* one line, no quotes or backslashes: it goes into JSON as is */
        for (char *p = buf; *p; p++)
            if (*p == '\n' || *p == '\r') *p = '\0';
            else if (*p == '"' || *p == '\\' || (unsigned char)*p < 0x20) *p = ' ';
        break;
    }
    fclose(f);
}

/* quotes, backslashes and control characters as spaces: the string goes into JSON as is */
static void json_safe(char *s) {
    for (char *p = s; *p; p++)
        if (*p == '"' || *p == '\\' || (unsigned char)*p < 0x20) *p = ' ';
}

void segp_host_name(char *buf, size_t n) {
    if (n == 0) return;
    char h[256];
    if (gethostname(h, sizeof h) != 0) snprintf(h, sizeof h, "unknown");
    h[sizeof h - 1] = 0;
    snprintf(buf, n, "%s", h);
    json_safe(buf);
}

void segp_os_name(char *buf, size_t n) {
    if (n == 0) return;
    struct utsname u;
    if (uname(&u) != 0) snprintf(buf, n, "unknown");
    else snprintf(buf, n, "%s %s %s", u.sysname, u.release, u.machine);
    json_safe(buf);
}

const char *segp_compiler(void) {
#if defined(__clang__)
    return "clang " __clang_version__;
#elif defined(__GNUC__)
    return "gcc " __VERSION__;
#else
    return "unknown";
#endif
}

int segp_threads_note(const char *path, int recorded, int have, const char *what, char *out,
                      size_t n) {
    if (n) out[0] = 0;
    if (recorded <= 0 || recorded == have) return 0;
    snprintf(out, n, "%s records %d thread%s and this process has %d: %s may differ from the "
             "original in the last bits (set OMP_NUM_THREADS=%d to match)", path, recorded,
             segp_s(recorded), have, what, recorded);
    return 1;
}
