/* fault.c: SEGP_FAULT_KILL fault injection (see fault.h). */
#include "fault.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static long counter;

int fault_hit(const char *point) {
    const char *spec = getenv("SEGP_FAULT_KILL");
    if (!spec || !*spec) return 0;
    const char *colon = strchr(spec, ':');
    size_t len = colon ? (size_t)(colon - spec) : strlen(spec);
    if (len != strlen(point) || strncmp(spec, point, len)) return 0;
    long n = colon ? atol(colon + 1) : 1;
    const char *sig = colon ? strchr(colon + 1, ':') : NULL;
    if (sig && !strcmp(sig + 1, "INT")) { /* Ctrl-C instead of a crash */
        long k;
#pragma omp atomic capture
        k = ++counter;
        if (k == n) raise(SIGINT);
        return 0;
    }
    long k;
#pragma omp atomic capture
    k = ++counter;
    return k == n;
}

void fault_kill_now(void) {
    raise(SIGKILL);
    _exit(137); /* not reached */
}

void fault_point(const char *point) {
    if (fault_hit(point)) fault_kill_now();
}
