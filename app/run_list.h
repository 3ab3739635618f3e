/* run_list.h: runs found in folders and their one-line summaries, read from their files alone:
 * what `segp info` prints for several runs and the workbench's list of runs shows. */
#ifndef SEGP_RUN_LIST_H
#define SEGP_RUN_LIST_H

#include "run/run_record.h"
#include "run/rundir.h"

/* 1 when DIR holds a config.json (a run directory). */
int run_list_is_run(const char *dir);

/* DIR itself when it is a run, else the runs directly inside it (sorted by name; a pretraining
 * directory among them is left out), appended to *LIST (*N entries, *CAP allocated; the caller
 * frees each and the array). Returns how many were added. */
int run_list_gather(const char *dir, char ***list, int *n, int *cap);

typedef struct {
    char dir[4096];
    int ok;                /* the record opened (else ERROR says why) */
    char error[512];
    char method[32];
    int val;               /* evaluated on the validation split */
    int tasks_done, num_tasks, run_done;
    int held;              /* another process writes it (HOLDER) */
    rundir_holder holder;
    double last, avg, forgetting, bwt; /* final, or after the latest finished task (NAN: none) */
    double wall_s;         /* the finished tasks' wall time */
    char state[400];       /* "finished", "interrupted after task 3/10", "running (pid ...): task
                            * 4/10 train 40%" */
} run_summary;

/* The summary of the run in DIR; the record it read in R when R is not NULL (the caller frees
 * it when S->ok). */
void run_summary_read(const char *dir, run_summary *s, run_record *r);
/* A percentage as the lists print it: "66.80", "-" for NAN. */
void run_summary_num(double v, char *out, size_t n);

/* One line of a list of runs: NAME (NAME_W cells), method, split, tasks, Last, Avg,
 * Forgetting, wall time and state, or the error of a run that could not be read; with S NULL,
 * the column heads. */
void run_summary_line(const run_summary *s, const char *name, int name_w, char *out, size_t n);

/* The summary of R, a record of the run in R->dir that is open already (its writer lock is
 * looked at again). */
void run_summary_of(const run_record *r, run_summary *s);

/* The latest finished task's numbers of R: the final line when the run is done, else its
 * metrics.jsonl line (Forgetting and BWT so far); NAN where none. */
void run_summary_numbers(const run_record *r, double *last, double *avg, double *forg,
                         double *bwt);

/* The columns a list of runs sorts by (run_summary_line's, in its order). */
enum {
    RUN_SORT_NAME, RUN_SORT_METHOD, RUN_SORT_SPLIT, RUN_SORT_TASKS, RUN_SORT_LAST, RUN_SORT_AVG,
    RUN_SORT_FORGET, RUN_SORT_WALL, RUN_SORT_STATE, RUN_SORT_COLUMNS
};
/* Column COL's head ("Last"); 1 when it holds numbers (tasks, Last, Avg, Forget, wall). */
const char *run_sort_name(int col);
int run_sort_numeric(int col);
/* RUNS in COL's order, descending when DESC; runs that cannot be read and missing numbers
 * last either way, equal keys in the order they came (stable). */
void run_list_sort(run_summary *runs, int n, int col, int desc);
/* A row of the list as run_summary_line lays it out, but for the columns in HIDE (bits of
 * RUN_SORT_*); with S NULL the heads, COL's with MARK (an arrow) on its inner side. A state
 * longer than WIDTH allows (0: no limit) ends at its last word that fits. A run that cannot
 * be read: run_summary_line. */
void run_list_row(const run_summary *s, const char *name, int name_w, int col,
                  const char *mark, unsigned hide, int width, char *out, size_t n);
/* The column whose head (as run_list_row writes the heads) covers cell X, or -1. */
int run_list_head_at(int name_w, int col, const char *mark, unsigned hide, int x);
/* The columns to leave out so that a row fits WIDTH cells (the split, then the method, then the
 * wall time; never COL, the sorting one). */
unsigned run_list_hide(int name_w, int width, int col);

#endif
