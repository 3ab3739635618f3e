/* run_record.c: a run directory read back (run_record.h): config.json's resolved part, the
 * metrics files, the DONE markers and the events. The per-task files are run_task_data.c's. */
#include "run/run_record.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/common.h"
#include "core/config.h"
#include "io/npy.h"
#include "run/rundir.h"
#include "run/sha256.h"

const char *const run_state_names[RUN_STATES] = {"pre", "teacher", "student"};

/* ---- small JSON helpers (errors name the file and the key) ---- */

static const cJSON *get(const cJSON *o, const char *key) {
    return cJSON_GetObjectItemCaseSensitive(o, key);
}

static char *dup_string(const cJSON *o, const char *key, const char *dflt) {
    const cJSON *it = get(o, key);
    return segp_strdup(cJSON_IsString(it) ? it->valuestring : dflt);
}

/* The record's host, CPU, threads, kernels, OS and compiler as one line ("" without any). */
static char *machine_line(const cJSON *res) {
    static const char *const keys[] = {"host", "cpu", "threads", "blas", "device", "openblas",
                                       "os", "compiler"};
    char line[2048] = "";
    size_t n = 0;
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
        const cJSON *v = get(res, keys[k]);
        char part[600];
        if (cJSON_IsNumber(v) && v->valuedouble >= 1 && v->valuedouble <= 1e6 &&
            !strcmp(keys[k], "threads"))
            snprintf(part, sizeof part, "%d thread%s", (int)v->valuedouble,
                     segp_s((int)v->valuedouble));
        else if (cJSON_IsString(v) && v->valuestring[0] && !strcmp(keys[k], "blas"))
            snprintf(part, sizeof part, "OpenBLAS kernels %.80s", v->valuestring);
        else if (cJSON_IsString(v) && v->valuestring[0])
            snprintf(part, sizeof part, "%.500s", v->valuestring);
        else
            continue;
        n += (size_t)snprintf(line + n, sizeof line - n, "%s%s", n ? "; " : "", part);
        if (n >= sizeof line) break;
    }
    return segp_strdup(line);
}

/* a number, or NAN for null / absent */
static double num_or_nan(const cJSON *o, const char *key) {
    const cJSON *it = get(o, key);
    return cJSON_IsNumber(it) ? it->valuedouble : NAN;
}

/* An integer at KEY within [LO, HI] (truncated), else DFLT: absent, null, NaN and values out of
 * range (which a conversion to an integer type may not see) give DFLT. */
static int64_t int_or(const cJSON *o, const char *key, double lo, double hi, int64_t dflt) {
    double v = num_or_nan(o, key);
    return v >= lo && v <= hi ? (int64_t)v : dflt;
}

#define MAX_EXACT 9007199254740992.0 /* 2^53: larger JSON numbers are not exact integers */

/* An array of N ints in [0, LIMIT) at KEY of O into OUT; -1 + error naming PATH and KEY. */
static int read_int_array(const cJSON *o, const char *key, int n, int limit, int32_t *out,
                          const char *path) {
    const cJSON *a = get(o, key);
    if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) != n)
        return SEGP_FAIL("%s: key 'resolved.%s' is not an array of %d integers", path, key, n);
    int i = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, a) {
        if (!cJSON_IsNumber(it) || it->valuedouble != floor(it->valuedouble) ||
            it->valuedouble < 0 || it->valuedouble >= limit)
            return SEGP_FAIL("%s: key 'resolved.%s' entry %d is not an integer in [0, %d)", path,
                             key, i, limit);
        out[i++] = (int32_t)it->valuedouble;
    }
    return 0;
}

/* ---- config.json ---- */

static int parse_config(run_record *r, const char *data, size_t size, const char *path);

static int read_config(run_record *r) {
    char path[4200];
    rundir_path(r->dir, "config.json", path, sizeof path);
    uint8_t *data = NULL;
    size_t size = 0;
    if (cfg_read_file(path, &data, &size) != 0)
        return rundir_exists(path) ? -1 : rundir_fail_not_a_run(r->dir);
    int rc = parse_config(r, (const char *)data, size, path);
    /* an edited config.json (or a damaged record): resume and eval refuse the run; reading it
     * goes on, saying so (info, the workbench and figures showed it without a word) */
    if (rc == 0 && rundir_check_config_sha(r->dir, data, size) < 0) {
        r->config_note = segp_strdup(segp_last_error());
        segp_clear_error();
    }
    free(data);
    return rc;
}

static int parse_config(run_record *r, const char *data, size_t size, const char *path) {
    char hex[65];
    sha256_hex(data, size, hex);
    r->config_sha256 = segp_strdup(hex);
    cJSON *root = cJSON_ParseWithLength(data, size);
    int rc = 0;
    if (!cJSON_IsObject(root)) {
        rc = SEGP_FAIL("%s: not a JSON object (expected a segp run's config)", path);
        goto done;
    }
    const cJSON *res = get(root, "resolved");
    if (!cJSON_IsObject(res)) {
        rc = SEGP_FAIL("%s: has no 'resolved' object; not a segp run directory's config", path);
        goto done;
    }
    r->method = dup_string(root, "method", "?");
    const cJSON *an = get(root, "analytics"), *en = cJSON_IsObject(an) ? get(an, "enabled") : NULL;
    r->analytics_off = cJSON_IsFalse(en);
    const cJSON *seed = get(root, "seed");
    r->seed = cJSON_IsNumber(seed) && seed->valuedouble >= 0 && seed->valuedouble < 0x1p64
                  ? (uint64_t)seed->valuedouble
                  : 0;
    r->benchmark = dup_string(res, "benchmark", "?");
    r->order_desc = dup_string(res, "class_order_desc", "");
    r->task_split = dup_string(res, "task_split", "");
    r->eval_split = dup_string(res, "eval_split", "test");
    r->build = dup_string(res, "build", "");
    r->machine = machine_line(res);
    const cJSON *nc = get(res, "num_classes"), *nt = get(res, "num_tasks");
    if (!cJSON_IsNumber(nc) || nc->valuedouble < 1 || nc->valuedouble > 1e6 ||
        !cJSON_IsNumber(nt) || nt->valuedouble < 1 || nt->valuedouble > nc->valuedouble) {
        rc = SEGP_FAIL("%s: keys 'resolved.num_classes' and 'resolved.num_tasks' must be "
                       "counts with 1 <= num_tasks <= num_classes", path);
        goto done;
    }
    int C = (int)nc->valuedouble, T = (int)nt->valuedouble;
    r->num_classes = C;
    r->num_tasks = T;
    r->class_order = segp_malloc(sizeof(int32_t) * (size_t)C);
    if ((rc = read_int_array(res, "class_order", C, C, r->class_order, path)) != 0) goto done;
    r->class_names = segp_calloc((size_t)C, sizeof(char *));
    const cJSON *names = get(res, "class_names");
    if (!cJSON_IsArray(names) || cJSON_GetArraySize(names) != C) {
        rc = SEGP_FAIL("%s: key 'resolved.class_names' is not an array of %d strings", path, C);
        goto done;
    }
    for (int k = 0; k < C; k++) {
        const cJSON *it = cJSON_GetArrayItem(names, k);
        if (!cJSON_IsString(it)) {
            rc = SEGP_FAIL("%s: key 'resolved.class_names' entry %d is not a string", path, k);
            goto done;
        }
        r->class_names[k] = segp_strdup(it->valuestring);
    }
    /* tasks: contiguous runs of the class order */
    r->task_first = segp_calloc((size_t)T + 1, sizeof(int));
    r->task_size = segp_calloc((size_t)T, sizeof(int));
    r->class_task = segp_malloc(sizeof(int) * (size_t)C);
    for (int k = 0; k < C; k++) r->class_task[k] = -1;
    const cJSON *tc = get(res, "task_classes");
    if (!cJSON_IsArray(tc) || cJSON_GetArraySize(tc) != T) {
        rc = SEGP_FAIL("%s: key 'resolved.task_classes' is not an array of %d tasks", path, T);
        goto done;
    }
    int pos = 0;
    for (int t = 0; t < T; t++) {
        const cJSON *a = cJSON_GetArrayItem(tc, t);
        int n = cJSON_IsArray(a) ? cJSON_GetArraySize(a) : -1;
        if (n < 1 || pos + n > C) {
            rc = SEGP_FAIL("%s: key 'resolved.task_classes' entry %d is not a non-empty array "
                           "within the %d classes", path, t, C);
            goto done;
        }
        r->task_first[t] = pos;
        r->task_size[t] = n;
        int j = 0;
        const cJSON *it;
        cJSON_ArrayForEach(it, a) {
            if (!cJSON_IsNumber(it) || it->valuedouble != r->class_order[pos + j]) {
                rc = SEGP_FAIL("%s: key 'resolved.task_classes' entry %d does not follow "
                               "'resolved.class_order'", path, t);
                goto done;
            }
            r->class_task[r->class_order[pos + j]] = t;
            j++;
        }
        pos += n;
    }
    r->task_first[T] = pos;
done:
    cJSON_Delete(root);
    return rc;
}

/* ---- metrics.jsonl and the matrices ---- */

static void read_task_line(run_record *r, const cJSON *o) {
    const cJSON *t = get(o, "task");
    /* a task number of the run (checked before the conversion: 5e12 is no int) */
    if (!cJSON_IsNumber(t) || !(t->valuedouble >= 1 && t->valuedouble <= r->num_tasks) ||
        t->valuedouble != floor(t->valuedouble))
        return;
    int k = (int)t->valuedouble - 1;
    run_task_metrics *m = &r->task[k];
    m->valid = 1;
    m->acc = num_or_nan(o, "acc");
    m->avg_acc = num_or_nan(o, "avg_acc");
    m->old_acc = num_or_nan(o, "old_acc");
    m->new_acc = num_or_nan(o, "new_acc");
    m->forgetting = num_or_nan(o, "forgetting");
    m->bwt = num_or_nan(o, "bwt");
    m->fwt = num_or_nan(o, "fwt");
    m->clip_acc = num_or_nan(o, "clip_acc");
    m->heldout_acc = num_or_nan(o, "heldout_acc");
    m->bc_ratio = num_or_nan(o, "boundary_core_ratio");
}

static void read_final_line(run_record *r, const cJSON *o) {
    run_final_metrics *f = &r->final;
    f->valid = 1;
    f->last = num_or_nan(o, "last");
    f->avg = num_or_nan(o, "avg");
    f->forgetting = num_or_nan(o, "forgetting");
    f->bwt = num_or_nan(o, "bwt");
    f->fwt = num_or_nan(o, "fwt");
    const cJSON *c = get(o, "clip_branch");
    f->has_clip = cJSON_IsObject(c);
    f->clip_last = f->has_clip ? num_or_nan(c, "last") : NAN;
    f->clip_avg = f->has_clip ? num_or_nan(c, "avg") : NAN;
    f->clip_forgetting = f->has_clip ? num_or_nan(c, "forgetting") : NAN;
    f->clip_bwt = f->has_clip ? num_or_nan(c, "bwt") : NAN;
    f->clip_fwt = f->has_clip ? num_or_nan(c, "fwt") : NAN;
    f->bc_ratio = num_or_nan(o, "boundary_core_ratio");
    f->heldout_pre = num_or_nan(o, "heldout_pretrained");
    f->heldout_final = num_or_nan(o, "heldout_final");
}

static void clear_metrics(run_record *r) {
    for (int t = 0; t < r->num_tasks; t++) {
        run_task_metrics *m = &r->task[t];
        m->valid = 0;
        m->acc = m->avg_acc = m->old_acc = m->new_acc = m->forgetting = m->bwt = m->fwt = NAN;
        m->clip_acc = m->heldout_acc = m->bc_ratio = NAN;
    }
    memset(&r->final, 0, sizeof r->final);
    /* NAN where absent, as run_record.h says: a 0 would read as a measured 0% (an unfinished
     * run's summary showed "held-out zero-shot: pretrained 0.00 -> final 0.00") */
    run_final_metrics *f = &r->final;
    f->last = f->avg = f->forgetting = f->bwt = f->fwt = NAN;
    f->clip_last = f->clip_avg = f->clip_forgetting = f->clip_bwt = f->clip_fwt = NAN;
    f->bc_ratio = f->heldout_pre = f->heldout_final = NAN;
}

static int metrics_lines(run_record *r, char *data, const char *path);

/* The run writes metrics.jsonl whole before each tasks/NN/DONE and before its own DONE (read
 * first, in read_done), so a finished task without its line, or a finished run without the
 * final one, means a damaged file: every table and figure would lack those numbers unsaid. */
static int check_metrics_complete(const run_record *r, const char *path) {
    int t = 0;
    while (t < r->tasks_done && r->task[t].valid) t++;
    if (t == r->tasks_done && (!r->run_done || r->final.valid)) return 0;
    char q[16000]; /* the folder as one shell word: the commands are for copying */
    segp_shell_quote(r->dir, q, sizeof q);
    char what[160];
    if (!rundir_exists(path))
        snprintf(what, sizeof what, "absent, but task 1 is finished (tasks/01/DONE)");
    else if (t < r->tasks_done)
        snprintf(what, sizeof what, "no line for task %d, which is finished (tasks/%02d/DONE)",
                 t + 1, t + 1);
    else snprintf(what, sizeof what, "no final line, and the run is finished (DONE)");
    return SEGP_FAIL("%s: %s: the file is damaged; it is written again from tasks/NN/eval.json "
                     "by %ssegp resume %s", path, what,
                     r->run_done ? "deleting the run's DONE, then " : "", q);
}

/* metrics.jsonl: absent is fine (no task finished yet); a line that is not JSON is skipped only
 * when it is the last one (a torn write), else it is an error. */
static int read_metrics(run_record *r) {
    char path[4200];
    rundir_path(r->dir, "metrics.jsonl", path, sizeof path);
    clear_metrics(r);
    if (!rundir_exists(path)) return r->tasks_done ? check_metrics_complete(r, path) : 0;
    uint8_t *data = NULL;
    size_t size = 0;
    if (segp_read_file(path, &data, &size) != 0) return -1;
    int rc = metrics_lines(r, (char *)data, path);
    free(data);
    return rc == 0 ? check_metrics_complete(r, path) : rc;
}

/* The lines of metrics.jsonl in DATA (NUL-terminated, modified). */
static int metrics_lines(run_record *r, char *data, const char *path) {
    int rc = 0, line_no = 0;
    char *p = (char *)data;
    while (*p) {
        char *nl = strchr(p, '\n');
        int last = nl == NULL || nl[1] == '\0';
        if (nl) *nl = '\0';
        line_no++;
        if (*p) {
            cJSON *o = cJSON_Parse(p);
            if (!cJSON_IsObject(o)) {
                cJSON_Delete(o);
                if (!last || nl) {
                    rc = SEGP_FAIL("%s: line %d is not a JSON object", path, line_no);
                    break;
                }
            } else {
                if (get(o, "last")) read_final_line(r, o);
                else read_task_line(r, o);
                cJSON_Delete(o);
            }
        }
        if (!nl) break;
        p = nl + 1;
    }
    return rc;
}

/* accuracy_matrix[_clip].npy: [T, T] percent; absent: all NAN (or no clip matrix). */
static int read_matrix(run_record *r, const char *name, double **out, int required) {
    char path[4200];
    rundir_path(r->dir, name, path, sizeof path);
    int T = r->num_tasks;
    if (!rundir_exists(path)) {
        if (!required) return 0;
        if (!*out) *out = segp_malloc(sizeof(double) * (size_t)T * (size_t)T);
        for (int i = 0; i < T * T; i++) (*out)[i] = NAN;
        return 0;
    }
    npy_array a;
    if (npy_read(path, &a) != 0) return -1;
    if (a.ndim != 2 || a.shape[0] != T || a.shape[1] != T) {
        npy_free(&a);
        return SEGP_FAIL("%s: expected a %d x %d matrix (config.json's num_tasks)", path, T, T);
    }
    if (!*out) *out = segp_malloc(sizeof(double) * (size_t)T * (size_t)T);
    for (int i = 0; i < T * T; i++) (*out)[i] = a.data[i];
    npy_free(&a);
    return 0;
}

static void read_done(run_record *r) {
    int n = 0;
    while (n < r->num_tasks && rundir_task_done(r->dir, n)) n++;
    r->tasks_done = n;
    char path[4200];
    rundir_path(r->dir, "DONE", path, sizeof path);
    r->run_done = rundir_exists(path);
}

int run_record_refresh(run_record *r) {
    read_done(r);
    if (read_metrics(r) != 0) return -1;
    if (read_matrix(r, "accuracy_matrix.npy", &r->R, 1) != 0) return -1;
    if (read_matrix(r, "accuracy_matrix_clip.npy", &r->R_clip, 0) != 0) return -1;
    return 0;
}

/* ---- events ---- */

int run_term_index(const run_record *r, const char *name) {
    for (int k = 0; k < r->n_terms; k++)
        if (strcmp(r->term_names[k], name) == 0) return k;
    return -1;
}

static void add_step(run_record *r, const cJSON *o, int task) {
    if (r->n_steps == r->cap_steps) {
        r->cap_steps = r->cap_steps ? 2 * r->cap_steps : 1024;
        r->steps = segp_realloc(r->steps, sizeof(run_step) * (size_t)r->cap_steps);
    }
    run_step *s = &r->steps[r->n_steps++];
    s->task = task;
    s->epoch = (int)int_or(o, "epoch", 0, INT_MAX, 0); /* 0: a phase without epochs */
    s->epochs = (int)int_or(o, "epochs", 0, INT_MAX, 0);
    s->step = int_or(o, "step", -MAX_EXACT, MAX_EXACT, 0);
    s->steps = int_or(o, "steps", -MAX_EXACT, MAX_EXACT, 0);
    s->loss = (float)num_or_nan(o, "loss");
    s->lr = (float)num_or_nan(o, "lr");
    s->images_per_s = num_or_nan(o, "images_per_s");
    s->eta_s = num_or_nan(o, "eta_s");
    s->time = num_or_nan(o, "time");
    for (int k = 0; k < RUN_MAX_TERMS; k++) s->term[k] = NAN;
    const cJSON *terms = get(o, "terms"), *it;
    cJSON_ArrayForEach(it, terms) {
        if (!it->string) continue;
        int k = run_term_index(r, it->string);
        if (k < 0 && r->n_terms < RUN_MAX_TERMS) {
            k = r->n_terms++;
            r->term_names[k] = segp_strdup(it->string);
        }
        if (k >= 0) s->term[k] = cJSON_IsNumber(it) ? (float)it->valuedouble : NAN;
    }
    r->phase_step = s->step;
    r->phase_steps = s->steps;
}

int run_record_add_event(run_record *r, const char *line) {
    cJSON *o = cJSON_Parse(line);
    if (!cJSON_IsObject(o)) {
        cJSON_Delete(o);
        return SEGP_FAIL("%s/events.jsonl: an event is not a JSON object", r->dir);
    }
    const cJSON *ev = get(o, "event");
    const char *kind = cJSON_IsString(ev) ? ev->valuestring : "";
    double tn = num_or_nan(o, "task"), time = num_or_nan(o, "time");
    int task = isfinite(tn) && tn >= 1 && tn <= r->num_tasks ? (int)tn - 1 : -1;
    if (isfinite(time)) r->last_time = time;
    r->n_events++;
    if (task >= 0) r->cur_task = task;
    /* a pause ends with its "resumed"; any other event after a "paused" follows a run stopped
     * while paused (segp resume appends after it), or a writer older than "resumed" */
    double paused_at = r->pause_time_;
    r->pause_time_ = NAN;
    if (strcmp(kind, "run_start") == 0) {
        if (isfinite(time) && !(r->run_start_time > 0)) r->run_start_time = time;
    } else if (strcmp(kind, "task_start") == 0 && task >= 0) {
        /* a task starting again (a resume restarts the task that was stopped): the steps of
         * the attempt left are dropped, else its loss curve drew both attempts over each other */
        int keep = 0;
        for (int i = 0; i < r->n_steps; i++)
            if (r->steps[i].task < task) r->steps[keep++] = r->steps[i];
        r->n_steps = keep;
        r->task_wall_s[task] = NAN;
        r->task_start_time_[task] = time;
        r->task_paused_s_[task] = 0;
        snprintf(r->phase, sizeof r->phase, "start");
        r->phase_step = r->phase_steps = 0;
    } else if (strcmp(kind, "task_end") == 0 && task >= 0) {
        /* the runner's own measure, which leaves out the time paused (events.h); the span
         * between the lines, less its pauses, only where a line has none */
        double t0 = r->task_start_time_[task], el = num_or_nan(o, "elapsed_s");
        r->task_wall_s[task] = isfinite(el) && el >= 0 ? el
                               : isfinite(t0) && isfinite(time)
                                   ? time - t0 - r->task_paused_s_[task]
                                   : NAN;
        snprintf(r->phase, sizeof r->phase, "done");
    } else if (strcmp(kind, "phase") == 0) {
        const cJSON *ph = get(o, "phase");
        snprintf(r->phase, sizeof r->phase, "%s", cJSON_IsString(ph) ? ph->valuestring : "?");
        r->phase_step = 0;
        r->phase_steps = int_or(o, "steps", -MAX_EXACT, MAX_EXACT, 0);
    } else if (strcmp(kind, "step") == 0 && task >= 0) {
        add_step(r, o, task);
    } else if (strcmp(kind, "error") == 0) {
        free(r->last_error);
        r->last_error = dup_string(o, "error", "error");
    } else if (strcmp(kind, "paused") == 0) {
        r->pause_time_ = time;
    } else if (strcmp(kind, "resumed") == 0) {
        /* the engine's measure; the span from the "paused" line where the line has none */
        double p = num_or_nan(o, "paused_s");
        if (!(isfinite(p) && p >= 0)) p = time - paused_at;
        if (r->cur_task >= 0 && isfinite(p) && p >= 0) r->task_paused_s_[r->cur_task] += p;
    } else if (strcmp(kind, "run_end") == 0) {
        snprintf(r->phase, sizeof r->phase, "finished");
    }
    cJSON_Delete(o);
    return 0;
}

/* The lines of events.jsonl in DATA (NUL-terminated, modified): a torn last line is skipped;
 * any other bad line is an error. *COMPLETE = bytes through the last newline; *TAIL_READ = 1
 * when a last line without a newline was read as an event. */
static int events_lines(run_record *r, char *data, const char *path, size_t *complete,
                        int *tail_read) {
    int rc = 0, line_no = 0;
    char *p = data;
    *complete = 0;
    *tail_read = 0;
    while (*p) {
        char *nl = strchr(p, '\n');
        if (nl) *nl = '\0';
        line_no++;
        if (*p && run_record_add_event(r, p) != 0) {
            if (nl) { /* not the torn tail */
                segp_clear_error();
                rc = SEGP_FAIL("%s: line %d is not a JSON object", path, line_no);
                break;
            }
            segp_clear_error();
        } else if (!nl && *p) {
            *tail_read = 1;
        }
        if (!nl) break;
        p = nl + 1;
        *complete = (size_t)(p - data);
    }
    return rc;
}

/* What was read of DATA (SIZE bytes, after events_lines), for run_record_follow. */
static void events_mark(run_record *r, const char *data, size_t size, size_t complete,
                        int tail_read) {
    r->events_read_ += complete;
    free(r->events_tail_);
    r->events_tail_ = NULL;
    if (tail_read && complete < size) {
        r->events_tail_ = segp_malloc(size - complete + 1);
        memcpy(r->events_tail_, data + complete, size - complete);
        r->events_tail_[size - complete] = 0;
    }
}

/* events.jsonl: absent is fine. */
static int read_events(run_record *r) {
    char path[4200];
    rundir_path(r->dir, "events.jsonl", path, sizeof path);
    if (!rundir_exists(path)) return 0;
    uint8_t *data = NULL;
    size_t size = 0, complete;
    int tail;
    if (segp_read_file(path, &data, &size) != 0) return -1;
    char *copy = segp_malloc(size + 1);
    memcpy(copy, data, size);
    copy[size] = 0;
    int rc = events_lines(r, (char *)data, path, &complete, &tail);
    if (rc == 0) events_mark(r, copy, strlen(copy), complete, tail);
    free(copy);
    free(data);
    return rc;
}

int run_record_follow(run_record *r, int *n_new) {
    if (n_new) *n_new = 0;
    char path[4200];
    rundir_path(r->dir, "events.jsonl", path, sizeof path);
    if (r->events_read_ == 0 && access(path, F_OK) != 0 && errno == ENOENT)
        return 0; /* not written yet */
    size_t size;
    int fd = segp_open_regular_fd(path, &size);
    if (fd < 0) return -1;
    if (size < r->events_read_) {
        close(fd);
        return SEGP_FAIL("%s: shorter than what was read of it (replaced or cut)", path);
    }
    size_t n = size - r->events_read_;
    char *buf = segp_malloc(n + 1);
    ssize_t got = n ? pread(fd, buf, n, (off_t)r->events_read_) : 0;
    close(fd);
    if (got < 0) {
        free(buf);
        return SEGP_FAIL("%s: cannot read: %s", path, strerror(errno));
    }
    buf[got] = 0;
    int rc = 0, count = 0;
    size_t used = 0;
    char *p = buf;
    for (char *nl; rc == 0 && (nl = memchr(p, '\n', (size_t)(buf + got - p))); p = nl + 1) {
        *nl = 0;
        int again = r->events_tail_ && p == buf && strcmp(p, r->events_tail_) == 0;
        free(r->events_tail_); /* the line it was is complete now, or was cut and replaced */
        r->events_tail_ = NULL;
        if (*p && !again) {
            if (run_record_add_event(r, p) != 0) {
                segp_clear_error();
                rc = SEGP_FAIL("%s: a line at byte %zu is not a JSON object", path,
                               r->events_read_ + (size_t)(p - buf));
                break;
            }
            count++;
        }
        used = (size_t)(nl + 1 - buf);
    }
    r->events_read_ += used;
    free(buf);
    if (n_new) *n_new = count;
    return rc;
}

/* ---- open / free ---- */

/* The per-task arrays, once the config gave the task count. */
static void alloc_tasks(run_record *r) {
    int T = r->num_tasks;
    r->task = segp_calloc((size_t)T, sizeof(run_task_metrics));
    r->task_wall_s = segp_malloc(sizeof(double) * (size_t)T);
    r->task_start_time_ = segp_malloc(sizeof(double) * (size_t)T);
    r->task_paused_s_ = segp_calloc((size_t)T, sizeof(double));
    for (int t = 0; t < T; t++) r->task_wall_s[t] = r->task_start_time_[t] = NAN;
    r->pause_time_ = NAN;
}

int run_record_open(const char *dir, run_record *out) {
    memset(out, 0, sizeof *out);
    if (!dir || !*dir) return SEGP_FAIL("run directory: empty path");
    if (segp_check_path_length(dir, RUNDIR_MAX_PATH) != 0) return -1;
    run_record *r = out;
    r->dir = segp_strdup(dir);
    r->cur_task = -1;
    int rc = read_config(r);
    if (rc == 0) {
        alloc_tasks(r);
        rc = run_record_refresh(r);
    }
    if (rc == 0) rc = read_events(r);
    if (rc != 0) {
        run_record_free(r);
        memset(out, 0, sizeof *out);
        return -1;
    }
    return 0;
}

/* A NUL-terminated copy of T (empty when T is NULL). */
static char *text_copy(const run_text *t) {
    size_t n = t && t->data ? t->size : 0;
    char *s = segp_malloc(n + 1);
    if (n) memcpy(s, t->data, n);
    s[n] = 0;
    return s;
}

int run_record_open_memory(const char *dir, const run_text *config, const run_text *metrics,
                           const run_text *events, run_record *out) {
    memset(out, 0, sizeof *out);
    run_record *r = out;
    r->dir = segp_strdup(dir);
    r->cur_task = -1;
    char path[4200];
    rundir_path(dir, "config.json", path, sizeof path);
    int rc = parse_config(r, config->data, config->size, path);
    if (rc == 0) {
        alloc_tasks(r);
        clear_metrics(r);
        r->R = segp_malloc(sizeof(double) * (size_t)r->num_tasks * (size_t)r->num_tasks);
        for (int i = 0; i < r->num_tasks * r->num_tasks; i++) r->R[i] = NAN;
        if (metrics && metrics->data) {
            rundir_path(dir, "metrics.jsonl", path, sizeof path);
            char *m = text_copy(metrics);
            rc = metrics_lines(r, m, path);
            free(m);
        }
    }
    if (rc == 0 && events && events->data) {
        rundir_path(dir, "events.jsonl", path, sizeof path);
        char *e = text_copy(events), *copy = text_copy(events);
        size_t complete;
        int tail;
        rc = events_lines(r, e, path, &complete, &tail);
        if (rc == 0) events_mark(r, copy, strlen(copy), complete, tail);
        free(e);
        free(copy);
    }
    if (rc != 0) {
        run_record_free(r);
        memset(out, 0, sizeof *out);
        return -1;
    }
    return 0;
}

void run_record_free(run_record *r) {
    if (!r) return;
    free(r->dir);
    free(r->method);
    free(r->benchmark);
    free(r->order_desc);
    free(r->task_split);
    free(r->eval_split);
    free(r->config_sha256);
    free(r->build);
    free(r->machine);
    free(r->config_note);
    if (r->class_names)
        for (int k = 0; k < r->num_classes; k++) free(r->class_names[k]);
    free(r->class_names);
    free(r->class_order);
    free(r->task_first);
    free(r->task_size);
    free(r->class_task);
    free(r->R);
    free(r->R_clip);
    free(r->task);
    for (int k = 0; k < r->n_terms; k++) free(r->term_names[k]);
    free(r->steps);
    free(r->task_wall_s);
    free(r->task_start_time_);
    free(r->task_paused_s_);
    free(r->events_tail_);
    free(r->last_error);
    memset(r, 0, sizeof *r);
}

const char *run_class_name(const run_record *r, int label) {
    return label >= 0 && label < r->num_classes && r->class_names ? r->class_names[label] : "?";
}

double run_task_elapsed(const run_record *r, int t) {
    if (t < 0 || t >= r->num_tasks || !r->task_start_time_) return NAN;
    double span = r->last_time - r->task_start_time_[t];
    if (!(isfinite(span) && span >= 0)) return NAN;
    /* the lines' times and paused_s are rounded to the millisecond: never below 0 */
    double el = span - r->task_paused_s_[t];
    return el > 0 ? el : 0;
}

int run_seen_classes(const run_record *r, int t) {
    if (t < 0) return 0;
    if (t >= r->num_tasks) t = r->num_tasks - 1;
    return r->task_first[t] + r->task_size[t];
}
