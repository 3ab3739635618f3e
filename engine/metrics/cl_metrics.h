/* cl_metrics.h: the accuracy matrix of a class-incremental run and its summaries (METHOD.md §9).
 *
 * The matrix is kept as counts, so every pooled accuracy is computed from the test items, never
 * as a mean of percentages: hits[i][j] = correct predictions on task j's test items after
 * training task i, predicting among the classes of tasks 0..max(i,j) (so row i-1, column i is
 * zero-shot on the incoming task). R[i][j] = 100 * hits[i][j] / count[j].
 *
 * Summaries after task t (0-based; rows 0..t measured):
 *   A_t (acc)       pooled accuracy on all test items of tasks 0..t after task t
 *   avg_acc         mean of A_0..A_t                       (Avg at the end)
 *   old / new       pooled accuracy on tasks 0..t-1 / on task t, after task t
 *   fwt             mean_{1<=i<=t} R[i-1][i]               (0 when t = 0)
 *   bwt             mean_{i<t} (R[t][i] - R[i][i])          (0 when t = 0)
 *   forgetting      mean_{i<t} (max_{i<=l<t} R[l][i] - R[t][i])   (0 when t = 0)
 * Forgetting's max runs over the rows after task i was learned (l >= i), as the Continual-CLIP
 * family fills its matrix; the zero-shot entry R[i-1][i] is FWT's, not a "best" accuracy.
 * Percentages throughout. */
#ifndef SEGP_CL_METRICS_H
#define SEGP_CL_METRICS_H

#include <stdint.h>

typedef struct {
    int num_tasks;
    int64_t *count; /* [T] test items of task j */
    int64_t *hits;  /* [T*T] row-major; -1 = not measured */
} cl_matrix;

/* A matrix for T tasks with nothing measured. NULL + error when T < 1. */
cl_matrix *cl_matrix_new(int num_tasks);
void cl_matrix_free(cl_matrix *m);

/* Record a measurement (hits of task j's items after task i). */
void cl_matrix_set(cl_matrix *m, int i, int j, int64_t hits, int64_t count);
int cl_matrix_has(const cl_matrix *m, int i, int j);
/* R[i][j] in percent; NAN when not measured. */
double cl_matrix_R(const cl_matrix *m, int i, int j);

typedef struct {
    int task;                 /* t, 0-based */
    double acc;               /* A_t */
    double avg_acc;           /* mean A_0..A_t */
    double old_acc, new_acc;  /* old: NAN when t = 0 */
    double fwt, bwt, forgetting;
} cl_summary;

/* Summaries after task t; -1 + error when a needed entry (rows 0..t, columns 0..t, and
 * R[i-1][i]) is missing. */
int cl_summary_after(const cl_matrix *m, int t, cl_summary *out);

/* Zero-shot retention on held-out classes: final accuracy minus the pretrained model's, and
 * final as a share of pretrained (percent; NAN when pretrained is 0). */
double cl_retention_delta(double pretrained, double final_acc);
double cl_retention_ratio(double pretrained, double final_acc);

#endif
