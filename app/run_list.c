/* run_list.c: runs in folders and their summaries (see run_list.h). */
#include "run_list.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli_util.h"
#include "core/common.h"

int run_list_is_run(const char *dir) {
    char p[4200];
    rundir_path(dir, "config.json", p, sizeof p);
    return rundir_exists(p);
}

static int by_name(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void push(char ***list, int *n, int *cap, const char *s) {
    if (*n == *cap) *list = segp_realloc(*list, sizeof **list * (size_t)(*cap = *cap * 2 + 8));
    (*list)[(*n)++] = segp_strdup(s);
}

int run_list_gather(const char *dir, char ***list, int *n, int *cap) {
    int first = *n;
    if (run_list_is_run(dir)) {
        push(list, n, cap, dir);
        return 1;
    }
    DIR *d = opendir(dir);
    if (!d) return 0;
    size_t len = strlen(dir);
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char p[4400];
        snprintf(p, sizeof p, "%s%s%s", dir, len && dir[len - 1] == '/' ? "" : "/", e->d_name);
        struct stat st;
        if (stat(p, &st) == 0 && S_ISDIR(st.st_mode) && run_list_is_run(p) &&
            !rundir_is_pretrain(p))
            push(list, n, cap, p);
    }
    closedir(d);
    if (*n > first) qsort(*list + first, (size_t)(*n - first), sizeof **list, by_name);
    return *n - first;
}

void run_summary_numbers(const run_record *r, double *last, double *avg, double *forg,
                         double *bwt) {
    *last = *avg = *forg = *bwt = NAN;
    if (r->run_done && r->final.valid) { /* (a copy without DONE may keep the final line) */
        *last = r->final.last, *avg = r->final.avg, *forg = r->final.forgetting;
        *bwt = r->final.bwt;
    } else if (r->tasks_done > 0 && r->task[r->tasks_done - 1].valid) {
        const run_task_metrics *m = &r->task[r->tasks_done - 1];
        *last = m->acc, *avg = m->avg_acc, *forg = m->forgetting, *bwt = m->bwt;
    }
}

static void state_text(const run_record *r, const run_summary *s, char *out, size_t n) {
    if (s->held) {
        char who[300];
        rundir_holder_text(&s->holder, 0, who, sizeof who);
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

void run_summary_of(const run_record *r, run_summary *s) {
    memset(s, 0, sizeof *s);
    snprintf(s->dir, sizeof s->dir, "%s", r->dir);
    s->ok = 1;
    snprintf(s->method, sizeof s->method, "%s", r->method);
    s->val = strncmp(r->eval_split, "val", 3) == 0;
    s->tasks_done = r->tasks_done;
    s->num_tasks = r->num_tasks;
    s->run_done = r->run_done;
    s->held = !r->run_done && rundir_locked(r->dir, &s->holder);
    run_summary_numbers(r, &s->last, &s->avg, &s->forgetting, &s->bwt);
    for (int t = 0; t < r->tasks_done; t++)
        if (r->task_wall_s && isfinite(r->task_wall_s[t])) s->wall_s += r->task_wall_s[t];
    state_text(r, s, s->state, sizeof s->state);
}

void run_summary_read(const char *dir, run_summary *s, run_record *out) {
    run_record r;
    segp_clear_error();
    if (run_record_open(dir, &r) != 0) {
        memset(s, 0, sizeof *s);
        snprintf(s->dir, sizeof s->dir, "%s", dir);
        s->last = s->avg = s->forgetting = s->bwt = NAN;
        snprintf(s->error, sizeof s->error, "%s", segp_last_error());
        segp_clear_error();
        return;
    }
    run_summary_of(&r, s);
    if (out) *out = r;
    else run_record_free(&r);
}

void run_summary_num(double v, char *out, size_t n) {
    if (isfinite(v)) snprintf(out, n, "%.2f", v);
    else snprintf(out, n, "-");
}

void run_summary_line(const run_summary *s, const char *name, int name_w, char *out, size_t n) {
    if (!s) {
        snprintf(out, n, "%-*s  %-9s %-5s %6s %7s %7s %7s %7s  %s", name_w, "run", "method",
                 "split", "tasks", "Last", "Avg", "Forget", "wall", "state");
        return;
    }
    if (!s->ok) {
        snprintf(out, n, "%-*s  %s", name_w, name, s->error);
        return;
    }
    char w[32], tasks[32], a[3][16];
    double v[3] = {s->last, s->avg, s->forgetting};
    for (int k = 0; k < 3; k++) run_summary_num(v[k], a[k], sizeof a[k]);
    cli_fmt_time(s->wall_s, w, sizeof w);
    snprintf(tasks, sizeof tasks, "%d/%d", s->tasks_done, s->num_tasks);
    snprintf(out, n, "%-*s  %-9s %-5s %6s %7s %7s %7s %7s  %s", name_w, name, s->method,
             s->val ? "val" : "test", tasks, a[0], a[1], a[2], w, s->state);
}
