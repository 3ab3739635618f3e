/* anchor_stats.h: numbers of a task's anchor set shared by the anchors view's panels and its
 * data export (views/view_anchors.c). Pure functions of the run record's arrays. */
#ifndef SEGP_ANCHOR_STATS_H
#define SEGP_ANCHOR_STATS_H

#include <stddef.h>

#include "views/view.h"

/* Per step of LOSS [n, k_adv + 1] over the anchors IDX [K]: mean, min, max [k_adv + 1]
 * (NAN when K is 0). */
void anchor_loss_stats(const run_task_data *td, const float *loss, const int *idx, int k,
                       float *mean, float *lo, float *hi);
/* Per step of LOSS over the anchors IDX: the 10th and 90th percentiles [k_adv + 1]. */
void anchor_loss_band(const run_task_data *td, const float *loss, const int *idx, int k,
                      float *lo, float *hi);
/* Mean of V over IDX [K] (NAN when K is 0). */
double anchor_mean_of(const float *v, const int *idx, int k);
/* |f_student - f_teacher| of anchor A after training (NAN when the drift was not saved). */
double anchor_drift_norm(const run_task_data *td, int a);
/* The anchors view's `e`: anchors.csv, anchors_loss.csv, anchors_per_class.csv and the two
 * loss .npy files of the current task into DIR; WRITTEN [N] names what was written. 0 or -1
 * (segp_error set). */
int anchor_export_data(const wb_state *s, const char *dir, char *written, size_t n);

#endif
