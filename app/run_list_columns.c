/* run_list_columns.c: the columns of the workbench's list of runs (segp tui FOLDER): the list
 * in the order of one of them (`s`, `S`), its rows and heads (the sorting column's marked),
 * and which columns give way on a narrow screen, so that no value is cut. */
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

/* Column I's text in row S ("66.80", "2:52"), or its head with MARK when COL is I. */
static void cell_of(const run_summary *s, const char *name, int i, int col, const char *mark,
                    char *out, size_t n) {
    if (!s) {
        if (i != col) snprintf(out, n, "%s", cols[i].head);
        else if (cols[i].left) snprintf(out, n, "%s%s", cols[i].head, mark);
        else snprintf(out, n, "%s%s", mark, cols[i].head);
        return;
    }
    double v = i == RUN_SORT_LAST ? s->last : i == RUN_SORT_AVG ? s->avg : s->forgetting;
    int k = (int)(s->wall_s + 0.5);
    switch (i) {
    case RUN_SORT_NAME: snprintf(out, n, "%s", name); break;
    case RUN_SORT_TASKS: snprintf(out, n, "%d/%d", s->tasks_done, s->num_tasks); break;
    case RUN_SORT_LAST: case RUN_SORT_AVG: case RUN_SORT_FORGET:
        if (isfinite(v)) snprintf(out, n, "%.2f", v);
        else snprintf(out, n, "-");
        break;
    case RUN_SORT_WALL: /* as cli_fmt_time */
        if (k >= 3600) snprintf(out, n, "%d:%02d:%02d", k / 3600, k / 60 % 60, k % 60);
        else snprintf(out, n, "%d:%02d", k / 60, k % 60);
        break;
    default: snprintf(out, n, "%s", text_of(s, i));
    }
}

/* The row (see run_list_row); SPAN, when not NULL, receives each column's first cell and the
 * cell after it (-1 for a column left out). */
static void layout(const run_summary *s, const char *name, int name_w, int col,
                   const char *mark, unsigned hide, int width, char *out, size_t n,
                   int span[RUN_SORT_COLUMNS][2]) {
    size_t k = 0;
    int x = 0, start = 0; /* cells written; where the column starts */
    out[0] = 0;
    if (span)
        for (int i = 0; i < RUN_SORT_COLUMNS; i++) span[i][0] = span[i][1] = -1;
    for (int i = 0; i < RUN_SORT_COLUMNS && k + 1 < n; i++) {
        if (hide & (1u << i)) continue;
        start += i ? cols[i].gap : 0;
        int w = i == RUN_SORT_NAME ? name_w : cols[i].w;
        char label[4200];
        cell_of(s, name, i, col, mark, label, sizeof label);
        int len = utf8_cells(label);
        int pos = cols[i].left ? start : start + w - len;
        if (i && pos < x + 1) pos = x + 1; /* a marked head pushes the next one along */
        if (i == RUN_SORT_STATE && width > 0 && pos + len > width) {
            /* the state to its last word that fits ("interrupted", not "interrupted a") */
            int cut = 0;
            for (int b = 0, cells = 0; label[b] && pos + cells <= width; b++) {
                if (label[b] == ' ') cut = b;
                cells += ((unsigned char)label[b] & 0xc0) != 0x80;
                if (!label[b + 1] && pos + cells <= width) cut = b + 1;
            }
            if (cut > 0) label[cut] = 0;
            len = utf8_cells(label);
        }
        int r = snprintf(out + k, n - k, "%*s%s", pos - x, "", label);
        if (r < 0 || (size_t)r >= n - k) break;
        k += (size_t)r;
        if (span) span[i][0] = pos, span[i][1] = pos + len;
        x = pos + len;
        start += w;
    }
    /* the last column's padding ("finished  ") is not kept */
    while (k > 0 && out[k - 1] == ' ') out[--k] = 0;
}

void run_list_row(const run_summary *s, const char *name, int name_w, int col,
                  const char *mark, unsigned hide, int width, char *out, size_t n) {
    layout(s, name, name_w, col, mark, hide, width, out, n, NULL);
}

int run_list_head_at(int name_w, int col, const char *mark, unsigned hide, int x) {
    char line[512];
    int span[RUN_SORT_COLUMNS][2];
    layout(NULL, NULL, name_w, col, mark, hide, 0, line, sizeof line, span);
    for (int i = 0; i < RUN_SORT_COLUMNS; i++)
        if (x >= span[i][0] && x < span[i][1]) return i;
    return -1;
}

unsigned run_list_hide(int name_w, int width, int col) {
    /* left out first: the split, the method, the wall time; the sorting column stays */
    static const int order[] = {RUN_SORT_SPLIT, RUN_SORT_METHOD, RUN_SORT_WALL};
    int need = name_w + 12; /* the state: "finished" and some */
    for (int i = 1; i < RUN_SORT_STATE; i++) need += cols[i].gap + cols[i].w;
    unsigned hide = 0;
    for (int k = 0; k < 3 && need > width; k++) {
        if (order[k] == col) continue;
        hide |= 1u << order[k];
        need -= cols[order[k]].gap + cols[order[k]].w;
    }
    return hide;
}
