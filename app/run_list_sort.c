/* run_list_sort.c: a list of runs in the order of one of its columns (the workbench's `s` and
 * `S` in segp tui FOLDER), and the column heads that say which column sorts and which way. */
#include "run_list.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/common.h"
#include "views/canvas.h"

/* The columns of run_summary_line, in its order: head, width (0: the name's, or the rest),
 * left-aligned, spaces before it. */
static const struct {
    const char *head;
    int w, left, gap;
} cols[RUN_SORT_COLUMNS] = {
    {"run", 0, 1, 0},  {"method", 9, 1, 2}, {"split", 5, 1, 1},  {"tasks", 6, 0, 1},
    {"Last", 7, 0, 1}, {"Avg", 7, 0, 1},    {"Forget", 7, 0, 1}, {"wall", 7, 0, 1},
    {"state", 0, 1, 2},
};

const char *run_sort_name(int col) {
    return col >= 0 && col < RUN_SORT_COLUMNS ? cols[col].head : "?";
}

int run_sort_numeric(int col) { return col >= RUN_SORT_TASKS && col <= RUN_SORT_WALL; }

static double number_of(const run_summary *s, int col) {
    switch (col) {
    case RUN_SORT_TASKS: return s->tasks_done + s->num_tasks * 1e-6; /* "9/10" before "9/9" */
    case RUN_SORT_LAST: return s->last;
    case RUN_SORT_AVG: return s->avg;
    case RUN_SORT_FORGET: return s->forgetting;
    default: return s->wall_s;
    }
}

static const char *text_of(const run_summary *s, int col) {
    switch (col) {
    case RUN_SORT_METHOD: return s->method;
    case RUN_SORT_SPLIT: return s->val ? "val" : "test";
    case RUN_SORT_STATE: return s->state;
    default: return s->dir;
    }
}

typedef struct {
    const run_summary *runs;
    int col, desc;
} sort_ctx;

/* A run that cannot be read, and a missing number ("-"), go last whichever the direction:
 * they have nothing to compare. Equal keys keep the order the runs came in. */
static int compare(const void *pa, const void *pb, void *pc) {
    const sort_ctx *x = pc;
    int ia = *(const int *)pa, ib = *(const int *)pb;
    const run_summary *a = &x->runs[ia], *b = &x->runs[ib];
    int c = 0;
    if (a->ok != b->ok) return a->ok ? -1 : 1;
    if (a->ok && run_sort_numeric(x->col)) {
        double u = number_of(a, x->col), v = number_of(b, x->col);
        if (isnan(u) != isnan(v)) return isnan(u) ? 1 : -1;
        if (!isnan(u)) c = (u > v) - (u < v);
    } else if (a->ok || x->col == RUN_SORT_NAME) {
        c = strcmp(text_of(a, x->col), text_of(b, x->col));
    }
    if (x->desc) c = -c;
    return c ? c : (ia > ib) - (ia < ib);
}

void run_list_sort(run_summary *runs, int n, int col, int desc) {
    if (n < 2) return;
    int *idx = segp_malloc(sizeof(int) * (size_t)n);
    for (int i = 0; i < n; i++) idx[i] = i;
    sort_ctx x = {runs, col, desc};
    qsort_r(idx, (size_t)n, sizeof *idx, compare, &x);
    run_summary *sorted = segp_malloc(sizeof *sorted * (size_t)n);
    for (int i = 0; i < n; i++) sorted[i] = runs[idx[i]];
    memcpy(runs, sorted, sizeof *sorted * (size_t)n);
    free(sorted);
    free(idx);
}

void run_sort_head(int name_w, int col, const char *mark, char *out, size_t n) {
    size_t k = 0;
    int x = 0, start = 0; /* cells written; where the column starts in run_summary_line */
    out[0] = 0;
    for (int i = 0; i < RUN_SORT_COLUMNS && k + 1 < n; i++) {
        start += cols[i].gap;
        int w = i == RUN_SORT_NAME ? name_w : cols[i].w;
        char label[64];
        if (i != col) snprintf(label, sizeof label, "%s", cols[i].head);
        else if (cols[i].left) snprintf(label, sizeof label, "%s%s", cols[i].head, mark);
        else snprintf(label, sizeof label, "%s%s", mark, cols[i].head);
        int len = utf8_cells(label);
        int pos = cols[i].left ? start : start + w - len;
        if (i && pos < x + 1) pos = x + 1; /* a marked head pushes the next one along */
        int r = snprintf(out + k, n - k, "%*s%s", pos - x, "", label);
        if (r < 0 || (size_t)r >= n - k) break;
        k += (size_t)r;
        x = pos + len;
        start += w;
    }
}
