/* cli_util.c: option parsing helpers. */
#include "cli_util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

const char *cli_value(int argc, char **argv, int *i) {
    if (*i + 1 >= argc) {
        fprintf(stderr, "segp: error: option %s needs a value\n", argv[*i]);
        return NULL;
    }
    return argv[++*i];
}

int cli_int(const char *opt, const char *s, long lo, long hi, int *out) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (!*s || *end || errno || v < lo || v > hi) {
        fprintf(stderr, "segp: error: %s '%s' is not an integer in [%ld, %ld]\n", opt, s, lo, hi);
        return -1;
    }
    *out = (int)v;
    return 0;
}

int cli_unknown(const char *cmd, const char *opt) {
    fprintf(stderr, "segp: error: unknown option '%s' (see 'segp %s --help')\n", opt, cmd);
    return 2;
}

int cli_usage_error(const char *cmd, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "segp: error: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, " (see 'segp %s --help')\n", cmd);
    va_end(ap);
    return 2;
}
