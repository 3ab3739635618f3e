/* anchor_stats.c: numbers of a task's anchor set (anchors.safetensors as run_record reads it)
 * that the anchors view draws and exports: per-step loss statistics over a set of anchors,
 * means, drift norms, and the view's data export. Apart from the drawing so that both use one
 * computation. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/common.h"
#include "views/anchor_stats.h"
#include "views/viewkit.h"

void anchor_loss_stats(const run_task_data *td, const float *loss, const int *idx, int k,
                       float *mean, float *lo, float *hi) {
    int k1 = td->k_adv + 1;
    for (int j = 0; j < k1; j++) {
        double sum = 0;
        float a = INFINITY, b = -INFINITY;
        for (int q = 0; q < k; q++) {
            float v = loss[(size_t)idx[q] * k1 + j];
            sum += v;
            if (v < a) a = v;
            if (v > b) b = v;
        }
        mean[j] = k ? (float)(sum / k) : NAN;
        lo[j] = k ? a : NAN;
        hi[j] = k ? b : NAN;
    }
}

static int cmp_float(const void *a, const void *b) {
    float x = *(const float *)a, y = *(const float *)b;
    return x < y ? -1 : x > y;
}

/* Per step of LOSS over the anchors IDX: the 10th and 90th percentiles [k_adv + 1] (the band
 * of the curves; min and max would be set by a few outliers, the CE reaching 12). */
void anchor_loss_band(const run_task_data *td, const float *loss, const int *idx, int k,
                      float *lo, float *hi) {
    int k1 = td->k_adv + 1;
    float *v = segp_malloc(((size_t)k + 1) * sizeof *v);
    for (int j = 0; j < k1; j++) {
        for (int q = 0; q < k; q++) v[q] = loss[(size_t)idx[q] * k1 + j];
        qsort(v, (size_t)k, sizeof *v, cmp_float);
        lo[j] = k ? v[(int)(0.1 * (k - 1) + 0.5)] : NAN;
        hi[j] = k ? v[(int)(0.9 * (k - 1) + 0.5)] : NAN;
    }
    free(v);
}

double anchor_mean_of(const float *v, const int *idx, int k) {
    double s = 0;
    for (int q = 0; q < k; q++) s += v[idx[q]];
    return k ? s / k : NAN;
}

double anchor_drift_norm(const run_task_data *td, int a) {
    if (!td->anchor_drift || td->e_anchor < 1) return NAN;
    double s = 0;
    const float *d = td->anchor_drift + (size_t)a * td->e_anchor;
    for (int j = 0; j < td->e_anchor; j++) s += (double)d[j] * d[j];
    return sqrt(s);
}

int anchor_export_data(const wb_state *s, const char *dir, char *written, size_t n) {
    const run_task_data *td = s->td;
    if (!td || !td->has_anchors)
        return SEGP_FAIL("anchors view: task %d has no anchors to export", s->task + 1);
    int na = td->n_anchors, k1 = td->k_adv + 1;
    view_text b = {0};
    view_text_printf(&b, "anchor,target,class,seed,score,linf,dist_proto,dist_seed,loss_text_first,"
                  "loss_text_last,loss_vis_first,loss_vis_last,source\n");
    for (int a = 0; a < na; a++) {
        view_text_printf(&b, "%d,%d,", a, td->anchor_target[a]);
        vk_csv_str(&b, vk_class(s, td->anchor_target[a]));
        view_text_printf(&b, ",%d,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,%s\n", td->anchor_seed[a],
                  td->anchor_score[a], td->anchor_linf[a], td->anchor_dist_proto[a],
                  td->anchor_dist_seed[a], td->loss_text[(size_t)a * k1],
                  td->loss_text[(size_t)a * k1 + k1 - 1], td->loss_vis[(size_t)a * k1],
                  td->loss_vis[(size_t)a * k1 + k1 - 1], td->anchor_source);
    }
    if (view_text_write(&b, dir, "anchors.csv", written, n)) return -1;

    int *idx = segp_malloc(((size_t)na + 1) * sizeof *idx);
    for (int a = 0; a < na; a++) idx[a] = a;
    float *st = segp_malloc((size_t)k1 * 6 * sizeof *st);
    anchor_loss_stats(td, td->loss_text, idx, na, st, st + k1, st + 2 * k1);
    anchor_loss_stats(td, td->loss_vis, idx, na, st + 3 * k1, st + 4 * k1, st + 5 * k1);
    view_text_printf(&b, "step,text_mean,text_min,text_max,vis_mean,vis_min,vis_max\n");
    for (int j = 0; j < k1; j++)
        view_text_printf(&b, "%d,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g\n", j, st[j], st[k1 + j],
                         st[2 * k1 + j], st[3 * k1 + j], st[4 * k1 + j], st[5 * k1 + j]);
    free(st);
    int rc = view_text_write(&b, dir, "anchors_loss.csv", written, n);

    /* per target class, in the order of the anchors (learning order) */
    if (rc == 0) {
        view_text_printf(&b, "target,class,task,anchors,mean_dist_proto,mean_dist_seed\n");
        for (int a = 0; a < na; a++) {
            int t = td->anchor_target[a], seen = 0;
            for (int q = 0; q < a && !seen; q++) seen = td->anchor_target[q] == t;
            if (seen) continue;
            int m = 0;
            for (int q = a; q < na; q++)
                if (td->anchor_target[q] == t) idx[m++] = q;
            view_text_printf(&b, "%d,", t);
            vk_csv_str(&b, vk_class(s, t));
            view_text_printf(&b, ",%d,%d,%.9g,%.9g\n", vk_class_task(s, t) + 1, m,
                             anchor_mean_of(td->anchor_dist_proto, idx, m),
                             anchor_mean_of(td->anchor_dist_seed, idx, m));
        }
        rc = view_text_write(&b, dir, "anchors_per_class.csv", written, n);
    }
    free(idx);
    int64_t shape[2] = {na, k1};
    if (rc == 0)
        rc = vk_write_npy(dir, "anchors_loss_text.npy", td->loss_text, 2, shape, written, n);
    if (rc == 0) rc = vk_write_npy(dir, "anchors_loss_vis.npy", td->loss_vis, 2, shape, written, n);
    return rc;
}
