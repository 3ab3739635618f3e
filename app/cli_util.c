/* cli_util.c: option parsing helpers. */
#include "cli_util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "model/zeroshot.h"

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

void cli_print_shapes_result(const shapes_zeroshot_result *r) {
    for (int t = 0; t < SHAPES_N_TASKS; t++) printf("  task %2d  %6.2f%%\n", t + 1, r->per_task[t]);
    printf("  overall  %6.2f%%   (standard renditions %.2f%%, hard renditions %.2f%%)\n",
           r->overall, r->standard, r->hard);
    cli_print_shapes_extras(r);
}

void cli_print_shapes_extras(const shapes_zeroshot_result *r) {
    printf("  by rendition:");
    for (int k = 0; k < SHAPES_N_RENDITIONS; k++)
        if (r->n_rendition[k]) printf(" %s %.1f", shapes_rendition_name(k), r->per_rendition[k]);
    printf("\n  by size:");
    for (int k = 0; k < SHAPES_N_SIZES; k++) printf(" %s %.1f", shapes_size_name(k), r->per_size[k]);
    printf("\n  errors: wrong colour on %.2f%% of images, wrong shape on %.2f%%\n", r->colour_wrong,
           r->shape_wrong);
}
