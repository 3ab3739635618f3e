/* cmd_info_run.c: `segp info RUN_DIR...`: what state runs are in (finished, interrupted, being
 * written by another process) and their numbers, from their files alone: one run in detail, or
 * a line per run for several (a folder of runs, such as runs/ or an ablation's OUT, stands for
 * the runs in it). */
#include <cjson/cJSON.h>
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
#include "run_list.h"

int info_is_run_path(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
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

static void detail(const run_record *r, const run_summary *rs) {
    char w[32], a[4][16], model[600], sha[32], t0[32], t1[32];
    cli_fmt_time(rs->wall_s, w, sizeof w);
    double v[4] = {rs->last, rs->avg, rs->forgetting, rs->bwt};
    for (int k = 0; k < 4; k++) run_summary_num(v[k], a[k], sizeof a[k]);
    model_of(r->dir, model, sizeof model, sha, sizeof sha);
    when(r->run_start_time, t0, sizeof t0);
    when(r->last_time, t1, sizeof t1);
    printf("run        %s\n", r->dir);
    printf("state      %s\n", rs->state);
    char q[8200]; /* the commands are for copying: the folder quoted for the shell */
    segp_shell_quote(r->dir, q, sizeof q);
    if (!rs->held && !r->run_done) printf("           continue with: segp resume %s\n", q);
    if (rs->held) {
        char since[32];
        when(rs->holder.since, since, sizeof since);
        printf("           since %s; segp tui %s follows it live\n", since, q);
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
    if (r->machine && r->machine[0]) printf("machine    %s\n", r->machine);
    printf("events     %d, from %s to %s\n", r->n_events, t0, t1);
    if (r->last_error) printf("last error %s\n", r->last_error);
    if (r->config_note) printf("warning    %s\n", r->config_note);
}

int info_runs(int n_args, char **args) {
    char **dirs = NULL;
    int n = 0, cap = 0, rc = 0;
    for (int i = 0; i < n_args; i++)
        if (!run_list_gather(args[i], &dirs, &n, &cap)) {
            fprintf(stderr, "segp: error: %s: not a run directory (no config.json) and holds "
                            "none\n", args[i]);
            rc = 1;
        }
    run_summary *rs = segp_malloc(sizeof *rs);
    if (n == 1 && n_args == 1 && run_list_is_run(args[0])) {
        run_record r;
        run_summary_read(dirs[0], rs, &r);
        if (!rs->ok) {
            fprintf(stderr, "segp: error: %s\n", rs->error);
            rc = 1;
        } else {
            detail(&r, rs);
            run_record_free(&r);
        }
    } else if (n > 0) {
        int wd = 3;
        for (int i = 0; i < n; i++)
            if ((int)strlen(dirs[i]) > wd) wd = (int)strlen(dirs[i]);
        char line[1600];
        run_summary_line(NULL, NULL, wd, line, sizeof line);
        printf("%s\n", line);
        for (int i = 0; i < n; i++) {
            run_summary_read(dirs[i], rs, NULL);
            run_summary_line(rs, dirs[i], wd, line, sizeof line);
            printf("%s\n", line);
            if (!rs->ok) rc = 1;
        }
    }
    free(rs);
    for (int i = 0; i < n; i++) free(dirs[i]);
    free(dirs);
    return rc;
}
