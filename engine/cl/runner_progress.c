/* runner_progress.c: what a run directory records of its finished tasks, written as each task
 * ends (tasks/NN/eval.json, the checkpoint, metrics.jsonl, then DONE) and read back on resume
 * and re-evaluation (runner_internal.h). */
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/common.h"
#include "metrics/analytics.h"
#include "model/lora.h"
#include "run/rundir.h"
#include "runner_internal.h"

/* tasks/NN/eval.json: the counts behind row t of the matrix and the held-out accuracy. */
static int write_task_eval(cl_runner *r, int t) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "task", t + 1);
    cJSON *cnt = cJSON_AddArrayToObject(o, "count"), *hits = cJSON_AddArrayToObject(o, "hits");
    for (int j = 0; j < r->T; j++) {
        cJSON_AddItemToArray(cnt, cJSON_CreateNumber((double)r->matrix->count[j]));
        int64_t h = r->matrix->hits[(size_t)t * r->T + j];
        cJSON_AddItemToArray(hits, h >= 0 ? cJSON_CreateNumber((double)h) : cJSON_CreateNull());
    }
    if (r->clip_matrix) {
        cJSON *ch = cJSON_AddArrayToObject(o, "clip_hits");
        for (int j = 0; j < r->T; j++) {
            int64_t h = r->clip_matrix->hits[(size_t)t * r->T + j];
            cJSON_AddItemToArray(ch, h >= 0 ? cJSON_CreateNumber((double)h) : cJSON_CreateNull());
        }
    }
    if (isfinite(r->heldout[t])) {
        char num[32];
        snprintf(num, sizeof num, "%.17g", r->heldout[t]);
        cJSON_AddRawToObject(o, "heldout_acc", num);
    }
    char *s = cJSON_Print(o);
    cJSON_Delete(o);
    char p[4200];
    rundir_task_path(r->dir, t, "eval.json", p, sizeof p);
    int rc = rundir_write_text(p, s);
    free(s);
    return rc;
}

/* Task t's file NAME (its path into p) parsed; *o NULL when it is not JSON. -1 + error when it
 * cannot be read. */
static int read_task_json(const cl_runner *r, int t, const char *name, char *p, size_t np,
                          cJSON **o) {
    rundir_task_path(r->dir, t, name, p, np);
    uint8_t *data;
    size_t size;
    if (segp_read_file(p, &data, &size) != 0) return -1;
    *o = cJSON_Parse((const char *)data);
    free(data);
    return 0;
}

int runner_read_task_eval(cl_runner *r, int t) {
    char p[4200];
    rundir_task_path(r->dir, t, "eval.json", p, sizeof p);
    uint8_t *data;
    size_t size;
    if (segp_read_file(p, &data, &size) != 0) return -1;
    int rc = rundir_parse_task_eval((const char *)data, size, t, r->matrix, r->clip_matrix,
                                    &r->heldout[t]);
    free(data);
    if (rc != 0)
        return SEGP_FAIL("%s: corrupt or from another run (expected counts and hits of %d tasks); "
                         "delete %s/tasks/%02d/DONE (and every later task's) to re-run task %d", p,
                         r->T, r->dir, t + 1, t + 1);
    return 0;
}

int runner_read_task_done(cl_runner *r, int t) {
    char p[4200];
    cJSON *o;
    if (read_task_json(r, t, "DONE", p, sizeof p, &o) != 0) return -1;
    const cJSON *w = cJSON_GetObjectItemCaseSensitive(o, "wall_s");
    /* the marker is written whole (temporary file, then rename): anything else is damage, which
     * was taken as a task of 0:00 */
    int ok = cJSON_IsNumber(w) && isfinite(w->valuedouble) && w->valuedouble >= 0;
    if (ok) r->wall_s[t] = w->valuedouble;
    cJSON_Delete(o);
    if (!ok)
        return SEGP_FAIL("%s: corrupt (expected {\"task\": %d, \"wall_s\": SECONDS}); delete it "
                         "(and every later task's DONE) to re-run task %d", p, t + 1, t + 1);
    return 0;
}

/* The drift ratio of a finished task from its analytics.json (absent: analytics off). */
int runner_read_task_ratio(cl_runner *r, int t) {
    char p[4200];
    rundir_task_path(r->dir, t, "analytics.json", p, sizeof p);
    if (!rundir_exists(p)) return 0;
    rundir_task_path(r->dir, t, "", p, sizeof p);
    analytics_summary s;
    if (analytics_read_summary(p, &s) != 0)
        return segp_fail_prefix("delete %s/tasks/%02d/DONE (and every later task's) to re-run "
                                "task %d: ", r->dir, t + 1, t + 1);
    r->bc_ratio[t] = s.boundary_core_ratio;
    return 0;
}

/* The finished tasks of the run directory: the first task without DONE is where to continue. */
int runner_load_progress(cl_runner *r, int *start) {
    int t = 0;
    while (t < r->T && rundir_task_done(r->dir, t)) t++;
    for (int u = t + 1; u < r->T; u++)
        if (rundir_task_done(r->dir, u))
            return SEGP_FAIL("%s/tasks/%02d/DONE exists but tasks/%02d/DONE does not: the run "
                             "directory is inconsistent", r->dir, u + 1, t + 1);
    for (int u = 0; u < t; u++)
        if (runner_read_task_eval(r, u) != 0 || runner_read_task_done(r, u) != 0 || runner_read_task_ratio(r, u) != 0)
            return -1;
    /* Every finished task's checkpoint is read (the last one stays in the student), so a run
     * directory never ends with a corrupt checkpoint of a task it calls finished. */
    int keep_all = strcmp(r->cfg.keep_checkpoints, "last") != 0;
    for (int u = keep_all || t == 0 ? 0 : t - 1; u < t; u++) {
        char p[4200];
        rundir_task_path(r->dir, u, "lora.safetensors", p, sizeof p);
        if (clip_lora_load(r->student, p) != 0)
            return segp_fail_prefix("task %d's checkpoint is unreadable (re-run it: delete "
                                    "%s/tasks/%02d/DONE and the DONE of every later task, then "
                                    "resume; the runs are deterministic): ",
                                    u + 1, r->dir, u + 1);
    }
    *start = t;
    r->tasks_done = t;
    return 0;
}

int runner_write_metrics(cl_runner *r, int n_done) {
    rundir_metrics_extra x = {r->heldout, r->heldout_pre, r->clip_matrix, r->bc_ratio};
    return rundir_write_metrics(r->dir, r->matrix, n_done, &x);
}

int runner_finish_task(cl_runner *r, int t, double wall) {
    char p[4200];
    rundir_task_path(r->dir, t, "lora.safetensors", p, sizeof p);
    if (write_task_eval(r, t) != 0 || clip_lora_save(r->student, p) != 0) return -1;
    if (runner_write_metrics(r, t + 1) != 0) return -1;
    char done[128];
    snprintf(done, sizeof done, "{\"task\": %d, \"wall_s\": %.3f}\n", t + 1, wall);
    rundir_task_path(r->dir, t, "DONE", p, sizeof p);
    if (rundir_write_text(p, done) != 0) return -1;
    if (t > 0 && !strcmp(r->cfg.keep_checkpoints, "last")) {
        /* only now: a crash before this task's DONE still resumes from the previous one */
        rundir_task_path(r->dir, t - 1, "lora.safetensors", p, sizeof p);
        if (unlink(p) != 0 && errno != ENOENT)
            return SEGP_FAIL("%s: cannot remove (run.keep_checkpoints \"last\"): %s", p,
                             strerror(errno));
    }
    return 0;
}

/* The metrics object of task t for its event. */
char *runner_metrics_json(cl_runner *r, int t) {
    cl_summary s;
    if (cl_summary_after(r->matrix, t, &s) != 0) return NULL;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "acc", s.acc);
    cJSON_AddNumberToObject(o, "avg_acc", s.avg_acc);
    if (isfinite(s.old_acc)) cJSON_AddNumberToObject(o, "old_acc", s.old_acc);
    cJSON_AddNumberToObject(o, "new_acc", s.new_acc);
    cJSON_AddNumberToObject(o, "fwt", s.fwt);
    cJSON_AddNumberToObject(o, "bwt", s.bwt);
    cJSON_AddNumberToObject(o, "forgetting", s.forgetting);
    double *row = segp_malloc((size_t)(t + 1) * sizeof(double));
    for (int j = 0; j <= t; j++) row[j] = cl_matrix_R(r->matrix, t, j);
    cJSON_AddItemToObject(o, "acc_per_task", cJSON_CreateDoubleArray(row, t + 1));
    free(row);
    if (t + 1 < r->T) cJSON_AddNumberToObject(o, "zeroshot_next", cl_matrix_R(r->matrix, t, t + 1));
    if (isfinite(r->heldout[t])) cJSON_AddNumberToObject(o, "heldout_acc", r->heldout[t]);
    cl_summary cs;
    if (r->clip_matrix && cl_summary_after(r->clip_matrix, t, &cs) == 0)
        cJSON_AddNumberToObject(o, "clip_acc", cs.acc);
    if (isfinite(r->bc_ratio[t]))
        cJSON_AddNumberToObject(o, "boundary_core_ratio", r->bc_ratio[t]);
    char *str = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return str;
}
