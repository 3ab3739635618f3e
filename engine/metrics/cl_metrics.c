/* cl_metrics.c: the accuracy matrix and its summaries (see cl_metrics.h). */
#include "cl_metrics.h"

#include <math.h>
#include <stdlib.h>

#include "core/common.h"

cl_matrix *cl_matrix_new(int num_tasks) {
    if (num_tasks < 1) {
        SEGP_FAIL("accuracy matrix: %d tasks (expected at least 1)", num_tasks);
        return NULL;
    }
    cl_matrix *m = segp_calloc(1, sizeof *m);
    m->num_tasks = num_tasks;
    m->count = segp_calloc((size_t)num_tasks, sizeof(int64_t));
    m->hits = segp_malloc((size_t)num_tasks * num_tasks * sizeof(int64_t));
    for (int i = 0; i < num_tasks * num_tasks; i++) m->hits[i] = -1;
    return m;
}

void cl_matrix_free(cl_matrix *m) {
    if (!m) return;
    free(m->count);
    free(m->hits);
    free(m);
}

void cl_matrix_set(cl_matrix *m, int i, int j, int64_t hits, int64_t count) {
    SEGP_CHECK(i >= 0 && j >= 0 && i < m->num_tasks && j < m->num_tasks, "task out of range");
    SEGP_CHECK(hits >= 0 && hits <= count, "hits within the item count");
    m->hits[(size_t)i * m->num_tasks + j] = hits;
    m->count[j] = count;
}

int cl_matrix_has(const cl_matrix *m, int i, int j) {
    if (i < 0 || j < 0 || i >= m->num_tasks || j >= m->num_tasks) return 0;
    return m->hits[(size_t)i * m->num_tasks + j] >= 0 && m->count[j] > 0;
}

double cl_matrix_R(const cl_matrix *m, int i, int j) {
    if (!cl_matrix_has(m, i, j)) return NAN;
    return 100.0 * (double)m->hits[(size_t)i * m->num_tasks + j] / (double)m->count[j];
}

/* Pooled accuracy of row i over columns j0..j1. */
static double pooled(const cl_matrix *m, int i, int j0, int j1) {
    int64_t h = 0, n = 0;
    for (int j = j0; j <= j1; j++) {
        h += m->hits[(size_t)i * m->num_tasks + j];
        n += m->count[j];
    }
    return n ? 100.0 * (double)h / (double)n : NAN;
}

int cl_summary_after(const cl_matrix *m, int t, cl_summary *s) {
    if (t < 0 || t >= m->num_tasks)
        return SEGP_FAIL("accuracy matrix: task %d out of range (0..%d)", t, m->num_tasks - 1);
    for (int i = 0; i <= t; i++) {
        for (int j = 0; j <= i; j++)
            if (!cl_matrix_has(m, i, j))
                return SEGP_FAIL("accuracy matrix: R[%d][%d] was not measured", i + 1, j + 1);
        if (i < t && !cl_matrix_has(m, i, i + 1))
            return SEGP_FAIL("accuracy matrix: R[%d][%d] (zero-shot on the incoming task) was "
                             "not measured", i + 1, i + 2);
    }
    s->task = t;
    s->acc = pooled(m, t, 0, t);
    double sum = 0;
    for (int i = 0; i <= t; i++) sum += pooled(m, i, 0, i);
    s->avg_acc = sum / (t + 1);
    s->old_acc = t > 0 ? pooled(m, t, 0, t - 1) : NAN;
    s->new_acc = pooled(m, t, t, t);
    s->fwt = s->bwt = s->forgetting = 0.0;
    if (t > 0) {
        double fw = 0, bw = 0, fg = 0;
        for (int i = 1; i <= t; i++) fw += cl_matrix_R(m, i - 1, i);
        for (int i = 0; i < t; i++) {
            bw += cl_matrix_R(m, t, i) - cl_matrix_R(m, i, i);
            double best = cl_matrix_R(m, i, i);
            for (int l = i + 1; l < t; l++) best = fmax(best, cl_matrix_R(m, l, i));
            fg += best - cl_matrix_R(m, t, i);
        }
        s->fwt = fw / t;
        s->bwt = bw / t;
        s->forgetting = fg / t;
    }
    return 0;
}

double cl_retention_delta(double pretrained, double final_acc) { return final_acc - pretrained; }

double cl_retention_ratio(double pretrained, double final_acc) {
    return pretrained > 0 ? 100.0 * final_acc / pretrained : NAN;
}
