/* ablate_table.c: `segp ablate`'s table (mean and sample std of each row over its seeds) and the
 * paired comparisons (row A - row B seed by seed), as text, Markdown and CSV (ablate.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ablate.h"
#include "core/common.h"

/* ---- the table ---- */

static const struct {
    const char *label, *source;
    int variant, clip;
} row_def[ABL_ROWS] = {
    {"Zero-shot", "zeroshot", ABL_ZEROSHOT, 0},
    {"Fine-tune", "finetune", ABL_FINETUNE, 0},
    {"+ACGD", "acgd", ABL_ACGD, 0},
    {"+TSGR", "tsgr", ABL_TSGR, 0},
    {"+prototype transfer", "segp:clip_branch", ABL_SEGP, 1},
    {"+visual branch (SeGP-CL)", "segp", ABL_SEGP, 0},
    {"ACGD on new-task images", "new_task", ABL_NEW_TASK, 0},
    {"ACGD on seeds, no PGD", "seeds", ABL_SEEDS, 0},
};

static void stat_of(const double *x, int n, ablate_stat *s) {
    double sum = 0;
    int k = 0;
    for (int i = 0; i < n; i++)
        if (!isnan(x[i])) sum += x[i], k++;
    s->n = k;
    s->mean = k ? sum / k : NAN;
    double ss = 0;
    for (int i = 0; i < n; i++)
        if (!isnan(x[i])) ss += (x[i] - s->mean) * (x[i] - s->mean);
    s->std = k > 1 ? sqrt(ss / (k - 1)) : NAN;
}

const ablate_numbers *ablate_run_row(const ablate_run *run, int row) {
    if (row < 0 || row >= ABL_ROWS || run->variant != row_def[row].variant ||
        (row_def[row].clip && !run->has_clip))
        return NULL;
    return row_def[row].clip ? &run->clip : &run->main;
}

/* LIST ("1 2") += " SEED" (nothing once it is full). */
static void add_seed(char *list, size_t n, uint64_t seed) {
    size_t m = strlen(list);
    if (m + 24 < n) snprintf(list + m, n - m, "%s%llu", m ? " " : "", (unsigned long long)seed);
}

void ablate_table(const ablate_runs *r, ablate_row rows[ABL_ROWS]) {
    double *x[5];
    for (int q = 0; q < 5; q++) x[q] = segp_malloc((size_t)(r->n + 1) * sizeof(double));
    for (int k = 0; k < ABL_ROWS; k++) {
        ablate_row *row = &rows[k];
        memset(row, 0, sizeof *row);
        row->label = row_def[k].label;
        row->source = row_def[k].source;
        row->variant = row_def[k].variant;
        int n = 0;
        for (int i = 0; i < r->n; i++) {
            const ablate_run *run = &r->run[i];
            const ablate_numbers *v = ablate_run_row(run, k);
            if (!v) continue;
            x[0][n] = v->avg, x[1][n] = v->last, x[2][n] = v->forgetting, x[3][n] = v->bwt;
            x[4][n] = v->ratio;
            n++;
            add_seed(row->seed_list, sizeof row->seed_list, run->seed);
        }
        row->seeds = n;
        stat_of(x[0], n, &row->avg);
        stat_of(x[1], n, &row->last);
        stat_of(x[2], n, &row->forgetting);
        stat_of(x[3], n, &row->bwt);
        stat_of(x[4], n, &row->ratio);
    }
    for (int q = 0; q < 5; q++) free(x[q]);
}

unsigned ablate_row_mask(const ablate_plan *p) {
    unsigned mask = 0;
    for (int k = 0; k < ABL_ROWS; k++) {
        int on = !p;
        for (int i = 0; p && i < p->n_variants; i++) on |= p->variant[i] == row_def[k].variant;
        if (on) mask |= 1u << k;
    }
    return mask;
}

#define DASH "\xe2\x80\x94" /* U+2014, for an undefined value */

/* "82.67 ± 1.20", "82.67 ± —" (one seed), "—" (none). */
static void fmt_stat(const ablate_stat *s, char *buf, size_t n) {
    if (!s->n) snprintf(buf, n, DASH);
    else if (s->n == 1) snprintf(buf, n, "%.2f \xc2\xb1 " DASH, s->mean);
    else snprintf(buf, n, "%.2f \xc2\xb1 %.2f", s->mean, s->std);
}

/* The cells of a table's shown lines, for the text and Markdown writers below. */
#define MAX_COLS 7
#define MAX_LINES 8
#define CELL 256
_Static_assert((int)ABL_ROWS <= MAX_LINES && (int)ABL_PAIRS <= MAX_LINES, "grid too small");
typedef struct {
    int ncol, nrow;
    char cell[MAX_LINES][MAX_COLS][CELL];
} grid;

/* Terminal columns of a UTF-8 string (every code point one column). */
static int text_width(const char *s) {
    int w = 0;
    for (; *s; s++) w += ((unsigned char)*s & 0xC0) != 0x80;
    return w;
}

static void pad(FILE *f, const char *s, int width, int right) {
    int k = width - text_width(s);
    if (right)
        for (; k > 0; k--) fputc(' ', f);
    fputs(s, f);
    if (!right)
        for (; k > 0; k--) fputc(' ', f);
}

/* HEADER and G's lines in aligned columns, two spaces apart; bit c of RIGHT: column c is
 * right-aligned. A left-aligned last column gets no trailing blanks. */
static void write_aligned(FILE *f, const char *const *header, const grid *g, unsigned right) {
    int width[MAX_COLS];
    for (int c = 0; c < g->ncol; c++) {
        width[c] = text_width(header[c]);
        for (int k = 0; k < g->nrow; k++)
            if (text_width(g->cell[k][c]) > width[c]) width[c] = text_width(g->cell[k][c]);
    }
    for (int k = -1; k < g->nrow; k++) {
        for (int c = 0; c < g->ncol; c++) {
            int r = right >> c & 1, last = c == g->ncol - 1;
            fputs(c ? "  " : "", f);
            pad(f, k < 0 ? header[c] : g->cell[k][c], last && !r ? 0 : width[c], r);
        }
        fputc('\n', f);
    }
}

static void write_md_lines(FILE *f, const grid *g) {
    for (int k = 0; k < g->nrow; k++) {
        for (int c = 0; c < g->ncol; c++) fprintf(f, "| %s ", g->cell[k][c]);
        fprintf(f, "|\n");
    }
}

static const char *header[7] = {"", "Avg", "Last", "Forgetting", "BWT", "boundary/core", "seeds"};

/* The lines of the rows in MASK. */
static void row_grid(const ablate_row rows[ABL_ROWS], unsigned mask, grid *g) {
    g->ncol = 7;
    g->nrow = 0;
    for (int k = 0; k < ABL_ROWS; k++) {
        if (!(mask >> k & 1)) continue;
        const ablate_row *row = &rows[k];
        char(*cell)[CELL] = g->cell[g->nrow++];
        snprintf(cell[0], CELL, "%s", row->label);
        const ablate_stat *s[5] = {&row->avg, &row->last, &row->forgetting, &row->bwt,
                                   &row->ratio};
        for (int q = 0; q < 5; q++) fmt_stat(s[q], cell[q + 1], CELL);
        snprintf(cell[6], CELL, "%d", row->seeds);
    }
}

#define LEGEND                                                                                \
    "mean \xc2\xb1 sample std over seeds (" DASH ": undefined); Avg, Last, Forgetting, BWT in "  \
    "%; boundary/core: the drift of the samples nearest the old-new interface over the "       \
    "others' (METHOD.md \xc2\xa7" "10)"

char *ablate_format_text(const ablate_row rows[ABL_ROWS], unsigned mask) {
    grid *g = segp_malloc(sizeof *g);
    row_grid(rows, mask, g);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    fprintf(f, "%s\n", LEGEND);
    write_aligned(f, header, g, 0x7Eu); /* every column but the label */
    fclose(f);
    free(g);
    return buf;
}

char *ablate_format_md(const ablate_row rows[ABL_ROWS], unsigned mask) {
    grid *g = segp_malloc(sizeof *g);
    row_grid(rows, mask, g);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    fprintf(f, "%s.\n\n| | Avg | Last | Forgetting | BWT | boundary/core drift | seeds |\n"
               "|---|---:|---:|---:|---:|---:|---:|\n", LEGEND);
    write_md_lines(f, g);
    fclose(f);
    free(g);
    return buf;
}

static void csv_num(FILE *f, double v) {
    if (isnan(v)) fputs(",", f);
    else fprintf(f, ",%.4f", v);
}

char *ablate_format_csv(const ablate_row rows[ABL_ROWS], unsigned mask) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    fprintf(f, "row,source,seeds,avg_mean,avg_std,last_mean,last_std,forgetting_mean,"
               "forgetting_std,bwt_mean,bwt_std,boundary_core_ratio_mean,"
               "boundary_core_ratio_std,seed_list\n");
    for (int k = 0; k < ABL_ROWS; k++) {
        if (!(mask >> k & 1)) continue;
        const ablate_row *r = &rows[k];
        /* labels hold a comma ("ACGD on seeds, no PGD"): quoted */
        fprintf(f, "\"%s\",%s,%d", r->label, r->source, r->seeds);
        const ablate_stat *s[5] = {&r->avg, &r->last, &r->forgetting, &r->bwt, &r->ratio};
        for (int q = 0; q < 5; q++) {
            csv_num(f, s[q]->mean);
            csv_num(f, s[q]->std);
        }
        fprintf(f, ",%s\n", r->seed_list);
    }
    fclose(f);
    return buf;
}

/* ---- paired comparisons ---- */

#define MINUS " \xe2\x80\x93 " /* " – " between the two rows of a pair */

static const struct {
    const char *label, *id;
    int a, b;
} pair_def[ABL_PAIRS] = {
    {"SeGP-CL" MINUS "Fine-tune", "segp-finetune", ROW_SEGP, ROW_FINETUNE},
    {"SeGP-CL" MINUS "Zero-shot", "segp-zeroshot", ROW_SEGP, ROW_ZEROSHOT},
    {"+ACGD" MINUS "Fine-tune", "acgd-finetune", ROW_ACGD, ROW_FINETUNE},
    {"+ACGD" MINUS "ACGD on new-task images", "acgd-new_task", ROW_ACGD, ROW_NEW_TASK},
    {"+ACGD" MINUS "ACGD on seeds, no PGD", "acgd-seeds", ROW_ACGD, ROW_SEEDS},
    {"ACGD on seeds, no PGD" MINUS "ACGD on new-task images", "seeds-new_task", ROW_SEEDS,
     ROW_NEW_TASK},
};

/* The numbers of row ROW's run with seed SEED (that run in *RUN); NULL when there is none
 * (ablate_collect keeps one run per variant and seed). */
static const ablate_numbers *numbers_of(const ablate_runs *r, int row, uint64_t seed,
                                        const ablate_run **run) {
    for (int i = 0; i < r->n; i++) {
        const ablate_numbers *v = ablate_run_row(&r->run[i], row);
        if (v && r->run[i].seed == seed) {
            *run = &r->run[i];
            return v;
        }
    }
    return NULL;
}

void ablate_pairs(const ablate_runs *r, ablate_pair pairs[ABL_PAIRS]) {
    double *dl = segp_malloc((size_t)(r->n + 1) * sizeof(double));
    double *df = segp_malloc((size_t)(r->n + 1) * sizeof(double));
    for (int k = 0; k < ABL_PAIRS; k++) {
        ablate_pair *p = &pairs[k];
        memset(p, 0, sizeof *p);
        p->label = pair_def[k].label;
        p->id = pair_def[k].id;
        p->row_a = pair_def[k].a;
        p->row_b = pair_def[k].b;
        int n = 0;
        /* runs are sorted by variant and seed, so the seeds come in order */
        for (int i = 0; i < r->n; i++) {
            const ablate_run *run_b = NULL;
            const ablate_numbers *a = ablate_run_row(&r->run[i], p->row_a);
            const ablate_numbers *b = a ? numbers_of(r, p->row_b, r->run[i].seed, &run_b) : NULL;
            if (!b) continue;
            if (!ablate_runs_matched(&r->run[i], run_b)) { /* no paired comparison */
                p->unmatched++;
                continue;
            }
            dl[n] = a->last - b->last;
            df[n] = a->forgetting - b->forgetting;
            p->last_higher += dl[n] > 0;
            p->forgetting_lower += df[n] < 0;
            n++;
            add_seed(p->seed_list, sizeof p->seed_list, r->run[i].seed);
        }
        p->n = n;
        stat_of(dl, n, &p->last);
        stat_of(df, n, &p->forgetting);
    }
    free(dl);
    free(df);
}

static int pair_shown(const ablate_pair *p, unsigned mask) {
    return p->n > 0 && (mask >> p->row_a & 1) && (mask >> p->row_b & 1);
}

/* Seed pairs left out of the rows shown because their configs differ; 0 when none. */
static int pairs_unmatched(const ablate_pair pairs[ABL_PAIRS], unsigned mask) {
    int n = 0;
    for (int k = 0; k < ABL_PAIRS; k++)
        if ((mask >> pairs[k].row_a & 1) && (mask >> pairs[k].row_b & 1)) n += pairs[k].unmatched;
    return n;
}

#define UNMATCHED_NOTE                                                                         \
    "left out: %d seed pair%s whose two runs' configs differ beyond the variants' keys (segp "  \
    "ablate --collect's notes name the keys)\n"

/* "+0.58 ± 0.30", "+0.58 ± —" (one seed). */
static void fmt_diff(const ablate_stat *s, char *buf, size_t n) {
    if (!s->n) snprintf(buf, n, DASH);
    else if (s->n == 1) snprintf(buf, n, "%+.2f \xc2\xb1 " DASH, s->mean);
    else snprintf(buf, n, "%+.2f \xc2\xb1 %.2f", s->mean, s->std);
}

static const char *pair_header[6] = {"A" MINUS "B", "\xce\x94 Last", "A higher",
                                     "\xce\x94 Forgetting", "A lower", "seeds"};

/* The lines of the pairs shown (pair_shown); how many. */
static int pair_grid(const ablate_pair pairs[ABL_PAIRS], unsigned mask, grid *g) {
    g->ncol = 6;
    g->nrow = 0;
    for (int k = 0; k < ABL_PAIRS; k++) {
        const ablate_pair *p = &pairs[k];
        if (!pair_shown(p, mask)) continue;
        char(*cell)[CELL] = g->cell[g->nrow++];
        snprintf(cell[0], CELL, "%s", p->label);
        fmt_diff(&p->last, cell[1], CELL);
        snprintf(cell[2], CELL, "%d/%d", p->last_higher, p->n);
        fmt_diff(&p->forgetting, cell[3], CELL);
        snprintf(cell[4], CELL, "%d/%d", p->forgetting_lower, p->n);
        snprintf(cell[5], CELL, "%s", p->seed_list);
    }
    return g->nrow;
}

#define PAIR_LEGEND                                                                            \
    "paired by seed (the cells of one seed share LoRA A and the data order): A" MINUS "B over " \
    "the seeds both rows have, mean \xc2\xb1 sample std of the differences; \"A higher\" / "   \
    "\"A lower\": the seeds where A's Last is higher / its Forgetting lower"

char *ablate_format_pairs_text(const ablate_pair pairs[ABL_PAIRS], unsigned mask) {
    grid *g = segp_malloc(sizeof *g);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (pair_grid(pairs, mask, g)) {
        fprintf(f, "%s\n", PAIR_LEGEND);
        write_aligned(f, pair_header, g, 0x1Eu); /* the numbers */
    }
    int um = pairs_unmatched(pairs, mask);
    if (um) fprintf(f, UNMATCHED_NOTE, um, um == 1 ? "" : "s");
    fclose(f);
    free(g);
    return buf;
}

char *ablate_format_pairs_md(const ablate_pair pairs[ABL_PAIRS], unsigned mask) {
    grid *g = segp_malloc(sizeof *g);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (pair_grid(pairs, mask, g)) {
        fprintf(f, "%s.\n\n| A" MINUS "B | \xce\x94 Last | A higher | \xce\x94 Forgetting | "
                   "A lower | seeds |\n|---|---:|---:|---:|---:|---|\n", PAIR_LEGEND);
        write_md_lines(f, g);
    }
    int um = pairs_unmatched(pairs, mask);
    if (um) fprintf(f, "\n" UNMATCHED_NOTE, um, um == 1 ? "" : "s");
    fclose(f);
    free(g);
    return buf;
}

char *ablate_format_pairs_csv(const ablate_pair pairs[ABL_PAIRS], unsigned mask) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    fprintf(f, "pair,a,b,seeds,last_diff_mean,last_diff_std,a_last_higher,forgetting_diff_mean,"
               "forgetting_diff_std,a_forgetting_lower,seed_list\n");
    for (int k = 0; k < ABL_PAIRS; k++) {
        const ablate_pair *p = &pairs[k];
        if (!pair_shown(p, mask)) continue;
        fprintf(f, "%s,%s,%s,%d", p->id, row_def[p->row_a].source, row_def[p->row_b].source,
                p->n);
        csv_num(f, p->last.mean);
        csv_num(f, p->last.std);
        fprintf(f, ",%d", p->last_higher);
        csv_num(f, p->forgetting.mean);
        csv_num(f, p->forgetting.std);
        fprintf(f, ",%d,%s\n", p->forgetting_lower, p->seed_list);
    }
    fclose(f);
    return buf;
}
