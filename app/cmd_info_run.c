/* cmd_info_run.c: `segp info RUN_DIR...`: what state runs are in (finished, interrupted, being
 * written by another process) and their numbers, from their files alone: one run in detail, or
 * a line per run for several (a folder of runs, such as runs/ or an ablation's OUT, stands for
 * the runs in it). */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli_util.h"
#include "commands.h"
#include "core/common.h"
#include "run/rundir.h"
#include "run/run_record.h"

int info_is_run_path(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int has_config(const char *dir) {
    char p[4200];
    rundir_path(dir, "config.json", p, sizeof p);
    return rundir_exists(p);
}

static int by_name(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* DIR itself when it is a run, else the runs directly inside it (sorted), appended to LIST. */
static void gather(const char *dir, char ***list, int *n, int *cap) {
    if (has_config(dir)) {
        if (*n == *cap) *list = segp_realloc(*list, sizeof **list * (size_t)(*cap = *cap * 2 + 8));
        (*list)[(*n)++] = segp_strdup(dir);
        return;
    }
    DIR *d = opendir(dir);
    if (!d) return;
    int first = *n;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char p[4400];
        snprintf(p, sizeof p, "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/", e->d_name);
        if (!info_is_run_path(p) || !has_config(p)) continue;
        if (*n == *cap) *list = segp_realloc(*list, sizeof **list * (size_t)(*cap = *cap * 2 + 8));
        (*list)[(*n)++] = segp_strdup(p);
    }
    closedir(d);
    qsort(*list + first, (size_t)(*n - first), sizeof **list, by_name);
}

/* "finished", "interrupted after task 3/10", "running in pid 12 on host: task 4/10 train 40%" */
static void state_text(const run_record *r, const rundir_holder *h, int held, char *out,
                       size_t n) {
    if (held) {
        char who[300];
        rundir_holder_text(h, 0, who, sizeof who);
        int k = snprintf(out, n, "running (%s)", who);
        if (r->cur_task >= 0 && r->phase[0] && k > 0 && (size_t)k < n) {
            if (r->phase_steps > 0)
                snprintf(out + k, n - (size_t)k, ": task %d/%d %s %d%%", r->cur_task + 1,
                         r->num_tasks, r->phase, (int)(100 * r->phase_step / r->phase_steps));
            else
                snprintf(out + k, n - (size_t)k, ": task %d/%d %s", r->cur_task + 1, r->num_tasks,
                         r->phase);
        }
    } else if (r->run_done) {
        snprintf(out, n, "finished");
    } else if (r->tasks_done == 0) {
        snprintf(out, n, "interrupted in task 1/%d", r->num_tasks);
    } else {
        snprintf(out, n, "interrupted after task %d/%d", r->tasks_done, r->num_tasks);
    }
}

static double wall_of(const run_record *r) {
    double s = 0;
    for (int t = 0; t < r->tasks_done; t++)
        if (r->task_wall_s && isfinite(r->task_wall_s[t])) s += r->task_wall_s[t];
    return s;
}

static void num(double v, char *out, size_t n) {
    if (isfinite(v)) snprintf(out, n, "%.2f", v);
    else snprintf(out, n, "-");
}

/* The latest finished task's summary: the final line when the run is done, else its
 * metrics.jsonl line (Forgetting and BWT so far). */
static void numbers(const run_record *r, double *last, double *avg, double *forg, double *bwt) {
    *last = *avg = *forg = *bwt = NAN;
    if (r->run_done && r->final.valid) { /* (a copy without DONE may keep the final line) */
        *last = r->final.last, *avg = r->final.avg, *forg = r->final.forgetting;
        *bwt = r->final.bwt;
    } else if (r->tasks_done > 0 && r->task[r->tasks_done - 1].valid) {
        const run_task_metrics *m = &r->task[r->tasks_done - 1];
        *last = m->acc, *avg = m->avg_acc, *forg = m->forgetting, *bwt = m->bwt;
    }
}

/* config.json's model path and its SHA-256 (resolved), for the detailed view. */
static void model_of(const char *dir, char *model, size_t nm, char *sha, size_t ns) {
    model[0] = sha[0] = 0;
    char p[4200];
    rundir_path(dir, "config.json", p, sizeof p);
    uint8_t *data;
    size_t size;
    if (segp_read_file(p, &data, &size) != 0) {
        segp_clear_error();
        return;
    }
    cJSON *o = cJSON_ParseWithLength((const char *)data, size);
    free(data);
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(o, "model");
    const cJSON *res = cJSON_GetObjectItemCaseSensitive(o, "resolved");
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(res, "model_sha256");
    if (cJSON_IsString(m)) snprintf(model, nm, "%s", m->valuestring);
    if (cJSON_IsString(s)) snprintf(sha, ns, "%.12s...", s->valuestring);
    cJSON_Delete(o);
}

static void when(double t, char *out, size_t n) {
    if (!(t > 0)) {
        snprintf(out, n, "-");
        return;
    }
    time_t s = (time_t)t;
    struct tm tm;
    localtime_r(&s, &tm);
    strftime(out, n, "%Y-%m-%d %H:%M:%S", &tm);
}

static void detail(const run_record *r, const rundir_holder *h, int held) {
    char state[512], w[32], a[4][16], model[600], sha[32], t0[32], t1[32];
    state_text(r, h, held, state, sizeof state);
    cli_fmt_time(wall_of(r), w, sizeof w);
    double v[4];
    numbers(r, &v[0], &v[1], &v[2], &v[3]);
    for (int k = 0; k < 4; k++) num(v[k], a[k], sizeof a[k]);
    model_of(r->dir, model, sizeof model, sha, sizeof sha);
    when(r->run_start_time, t0, sizeof t0);
    when(r->last_time, t1, sizeof t1);
    printf("run        %s\n", r->dir);
    printf("state      %s\n", state);
    if (!held && !r->run_done) printf("           continue with: segp resume %s\n", r->dir);
    if (held) {
        char since[32];
        when(h->since, since, sizeof since);
        printf("           since %s; segp tui %s follows it live\n", since, r->dir);
    }
    printf("method     %s on %s (order %s, %s, seed %llu), evaluated on the %s split\n",
           r->method, r->benchmark, r->order_desc, r->task_split, (unsigned long long)r->seed,
           r->eval_split);
    printf("tasks      %d of %d finished, wall time %s\n", r->tasks_done, r->num_tasks, w);
    int final = r->run_done && r->final.valid;
    printf("%s Last %s  Avg %s  Forgetting %s  BWT %s\n", final ? "final     " : "so far    ",
           a[0], a[1], a[2], a[3]);
    if (final && r->final.has_clip)
        printf("CLIP only  Last %.2f  Avg %.2f  Forgetting %.2f  BWT %.2f  (the dual-path "
               "method's CLIP branch alone)\n", r->final.clip_last, r->final.clip_avg,
               r->final.clip_forgetting, r->final.clip_bwt);
    if (model[0]) printf("model      %s (SHA-256 %s)\n", model, sha);
    printf("build      %s; config.json SHA-256 %.12s...\n", r->build[0] ? r->build : "-",
           r->config_sha256);
    printf("events     %d, from %s to %s\n", r->n_events, t0, t1);
    if (r->last_error) printf("last error %s\n", r->last_error);
}

int info_runs(int n_args, char **args) {
    char **dirs = NULL;
    int n = 0, cap = 0, rc = 0;
    for (int i = 0; i < n_args; i++) {
        int before = n;
        gather(args[i], &dirs, &n, &cap);
        if (n == before) {
            fprintf(stderr, "segp: error: %s: not a run directory (no config.json) and holds "
                            "none\n", args[i]);
            rc = 1;
        }
    }
    if (n == 1 && n_args == 1 && has_config(args[0])) {
        run_record r;
        if (run_record_open(dirs[0], &r) != 0) {
            rc = app_report_error();
        } else {
            rundir_holder h;
            int held = !r.run_done && rundir_locked(dirs[0], &h);
            detail(&r, &h, held);
            run_record_free(&r);
        }
    } else if (n > 0) {
        int wd = 3;
        for (int i = 0; i < n; i++)
            if ((int)strlen(dirs[i]) > wd) wd = (int)strlen(dirs[i]);
        printf("%-*s  %-9s %-8s %6s %7s %7s %7s %7s  %s\n", wd, "run", "method", "split", "tasks",
               "Last", "Avg", "Forget", "wall", "state");
        for (int i = 0; i < n; i++) {
            run_record r;
            if (run_record_open(dirs[i], &r) != 0) {
                printf("%-*s  %s\n", wd, dirs[i], segp_last_error());
                segp_clear_error();
                rc = 1;
                continue;
            }
            rundir_holder h;
            int held = !r.run_done && rundir_locked(dirs[i], &h);
            char state[512], w[32], tasks[32], a[3][16];
            double v[4];
            state_text(&r, &h, held, state, sizeof state);
            numbers(&r, &v[0], &v[1], &v[2], &v[3]);
            for (int k = 0; k < 3; k++) num(v[k], a[k], sizeof a[k]);
            cli_fmt_time(wall_of(&r), w, sizeof w);
            snprintf(tasks, sizeof tasks, "%d/%d", r.tasks_done, r.num_tasks);
            printf("%-*s  %-9s %-8s %6s %7s %7s %7s %7s  %s\n", wd, dirs[i], r.method,
                   strncmp(r.eval_split, "val", 3) ? "test" : "val", tasks, a[0], a[1], a[2], w,
                   state);
            run_record_free(&r);
        }
    }
    for (int i = 0; i < n; i++) free(dirs[i]);
    free(dirs);
    return rc;
}
