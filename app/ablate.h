/* ablate.h: the parts of `segp ablate` that do not train, apart from the command
 * (app/cmd_ablate.c) so that the tests call them. app/ablate.c: the variants (each one config
 * derived from CONFIG by overriding cl_config fields), the cells (variants x seeds) and their
 * folders, the classification of finished run directories by their config.json.
 * app/ablate_table.c: the table (mean and sample std over seeds) and the paired comparisons,
 * as text, Markdown and CSV. */
#ifndef SEGP_ABLATE_H
#define SEGP_ABLATE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cl/cl_config.h"

/* ---- variants and cells ---- */

enum {
    ABL_ZEROSHOT, ABL_FINETUNE, ABL_ACGD, ABL_TSGR, ABL_SEGP, ABL_NEW_TASK, ABL_SEEDS,
    ABL_VARIANTS
};

typedef struct {
    const char *name;     /* the cells' folder prefix and the --variants name: "acgd" */
    const char *switches; /* the keys it sets, for --help */
    const char *needs;    /* the keys of CONFIG it needs on, for --help ("" if none) */
} ablate_variant;

const ablate_variant *ablate_variant_at(int v);
int ablate_variant_find(const char *name); /* -1 when unknown */

/* Whether CONFIG can give variant V: the keys it keeps from CONFIG must switch its parts on
 * (acgd.lambda > 0 for every SeGP-CL variant; tsgr.lambda > 0 for "tsgr" and "segp";
 * prototypes.transfer and inference.beta > 0 for "segp"). -1 + error naming the key. */
int ablate_variant_check(const cl_config *base, int v);

/* Variant V's config for seed BASE.seed + SEED_INDEX: BASE with the variant's keys set. */
void ablate_derive(const cl_config *base, int v, int seed_index, cl_config *out);

/* The variants to run (in the table's order) and the seeds per variant. */
typedef struct {
    int variant[ABL_VARIANTS];
    int n_variants;
    int seeds;
} ablate_plan;

/* The variants of P whose check before any work reads the image files' heads (bit 1 << v):
 * one per distinct benchmark among the variants' configs (derived from BASE; the benchmark.*
 * keys and run.max_tasks), a variant that trains where one does (it reads the training split
 * besides the test split a zero-shot variant reads). The others share that check: the seven
 * variants of one CONFIG read each file once, not seven times. */
unsigned ablate_file_checks(const ablate_plan *p, const cl_config *base);

/* Before any work: every variant of P can come from BASE (read from CONFIG, which errors name),
 * and its config passes the run's checks. FULL: those a run makes before it loads the model,
 * the benchmark's among them (a tsgr.k above the run's classes failed at the first "tsgr" cell,
 * after the cells before it had trained, and the fixed config was then refused by those cells'
 * folders), the image files once per benchmark (ablate_file_checks); else the values of the
 * training and SeGP-CL keys only, for --list, which may run where the model file or the data
 * is not, or in a build without a variant's method. -1 + error naming CONFIG, the variant and
 * the key. */
int ablate_check(const ablate_plan *p, const cl_config *base, const char *config, int full);

/* Every variant (LIST NULL) or those of LIST ("zeroshot,finetune"), SEEDS seeds. -1 + error
 * naming an unknown or repeated name. */
int ablate_plan_init(ablate_plan *p, const char *list, int seeds);
/* "zeroshot,finetune" (the plan's variants, for the commands --list prints). */
void ablate_plan_variants(const ablate_plan *p, char *buf, size_t n);
int ablate_num_cells(const ablate_plan *p);
/* Cell I (0-based) in seed-major order: cells 0..V-1 are every variant with the first seed,
 * so a sweep stopped half-way has every row. */
void ablate_cell_at(const ablate_plan *p, int cell, int *variant, int *seed_index);
/* OUT/<variant>-s<seed>. */
void ablate_cell_dir(const char *out, int variant, uint64_t seed, char *buf, size_t n);

/* DIR/config.json (without "resolved") against C: 0 when every key is equal; 1 when not, with
 * the first key that differs and both values in WHY ("key 'train.lr' is 0.001 there, 0.002
 * here"); -1 + error when it cannot be read or parsed. */
int ablate_config_differs(const char *dir, const cl_config *c, char *why, size_t n);

/* ---- finished runs and the table ---- */

/* A finished run's final metrics (percent; NAN where null or absent) and its boundary/core
 * drift ratio. */
typedef struct {
    double avg, last, forgetting, bwt, ratio;
} ablate_numbers;

typedef struct {
    char *dir;
    int variant;
    uint64_t seed;
    ablate_numbers main;
    ablate_numbers clip; /* metrics.jsonl's "clip_branch" (has_clip) */
    int has_clip;
    char *shared;        /* config keys that every run of one ablation shares, "key=value\n" */
    char *segp_keys;     /* the SeGP-CL keys that every "segp" run shares */
    char *training;      /* the training keys (train., lora., loss., augment.) that every run
                          * but zero-shot shares: a zero-shot run trains nothing */
} ablate_run;

typedef struct {
    ablate_run *run;
    int n, cap;
    int mixed; /* runs noted as differing from the others beyond the variants' keys and seed */
} ablate_runs;

/* The variant of a config.json text, classified by its values (method; for "segp":
 * acgd.lambda, tsgr.lambda, prototypes.transfer, inference.beta, anchors.source), never by a
 * name; -1 with the reason in WHY when it is none of them. */
int ablate_classify(const char *config_json, char *why, size_t n);

/* The finished runs among DIRS: each DIR is a run directory (it holds config.json) or a folder
 * whose subdirectories are (an ablation's output folder). Unfinished (no DONE), unclassifiable
 * and repeated (same variant and seed) runs are left out with a note to NOTES (may be NULL); a
 * run whose config differs from the first run's beyond the variants' keys, seed and model path
 * is kept with a note naming the key (a table mixing configs is no ablation). -1 + error when
 * a DIR cannot be read. Runs are sorted by variant, seed and folder. */
int ablate_collect(const char *const *dirs, int n_dirs, FILE *notes, ablate_runs *out);
void ablate_runs_free(ablate_runs *r);

/* Whether A and B ran the same config beyond the variants' keys and the seed (as
 * ablate_collect compares them): only such runs are compared seed by seed. */
int ablate_runs_matched(const ablate_run *a, const ablate_run *b);

enum {
    ROW_ZEROSHOT, ROW_FINETUNE, ROW_ACGD, ROW_TSGR, ROW_TRANSFER, ROW_SEGP, ROW_NEW_TASK,
    ROW_SEEDS, ABL_ROWS
};

typedef struct {
    double mean, std; /* std: sample (n-1); NAN when n < 2; mean NAN when n == 0 */
    int n;            /* seeds with a value */
} ablate_stat;

typedef struct {
    const char *label;  /* "+ACGD" */
    const char *source; /* where its numbers come from: "acgd", "segp:clip_branch" */
    int variant;
    int seeds;          /* runs found for this row */
    char seed_list[256];/* "1 2 3" */
    ablate_stat avg, last, forgetting, bwt, ratio;
} ablate_row;

/* The rows from the runs: "+prototype transfer" is the "segp" runs' clip_branch numbers (its
 * boundary_core_ratio, else the run's), "+visual branch (SeGP-CL)" their main numbers. */
void ablate_table(const ablate_runs *r, ablate_row rows[ABL_ROWS]);

/* Run RUN's numbers as row ROW counts them (the "+prototype transfer" row: its clip_branch);
 * NULL when RUN is no run of that row. */
const ablate_numbers *ablate_run_row(const ablate_run *run, int row);

/* Bit k: row k is shown. Rows of the plan's variants (every row with P NULL). */
unsigned ablate_row_mask(const ablate_plan *p);

/* The table as aligned text (a terminal), Markdown and CSV; malloc'd. */
char *ablate_format_text(const ablate_row rows[ABL_ROWS], unsigned mask);
char *ablate_format_md(const ablate_row rows[ABL_ROWS], unsigned mask);
char *ablate_format_csv(const ablate_row rows[ABL_ROWS], unsigned mask);

/* ---- paired comparisons ---- */

/* Cells of one seed share LoRA A and the data order, so the claims compare rows seed by seed:
 * A - B over the seeds both rows have, when the two runs' configs match
 * (ablate_runs_matched). */
enum {
    PAIR_SEGP_FINETUNE, PAIR_SEGP_ZEROSHOT, PAIR_ACGD_FINETUNE, PAIR_ANCHORS_NEW_TASK,
    PAIR_ANCHORS_SEEDS, PAIR_SEEDS_NEW_TASK, ABL_PAIRS
};

typedef struct {
    const char *label;      /* "+ACGD - ACGD on new-task images" (an en dash) */
    const char *id;         /* the CSV's name of the pair: "acgd-new_task" */
    int row_a, row_b;
    int n;                  /* seeds both rows have */
    char seed_list[256];
    ablate_stat last, forgetting; /* of the differences A - B */
    int last_higher;        /* seeds where A's Last is above B's */
    int forgetting_lower;   /* seeds where A's Forgetting is below B's */
    int unmatched;          /* seeds left out: A's and B's configs differ beyond the variants */
} ablate_pair;

void ablate_pairs(const ablate_runs *r, ablate_pair pairs[ABL_PAIRS]);

/* The pairs whose two rows are both in MASK (ablate_row_mask) and share a seed, as aligned
 * text, a Markdown table and CSV; malloc'd ("" when no pair is shown, the CSV header then). */
char *ablate_format_pairs_text(const ablate_pair pairs[ABL_PAIRS], unsigned mask);
char *ablate_format_pairs_md(const ablate_pair pairs[ABL_PAIRS], unsigned mask);
char *ablate_format_pairs_csv(const ablate_pair pairs[ABL_PAIRS], unsigned mask);

#endif
