/* test_run_pause.c: a pause is the user's time, not the run's. A tiny run driven through the
 * event callback as the workbench drives it (tui_worker.c): paused on space within task 1's
 * training and at the boundary after it; neither pause counts in the images/s, the task's wall
 * time (tasks/01/DONE, task_end, the run record's) or the run's. The bounds come from the
 * callback's own clock around the runner's measurements, so they hold on a machine of any
 * speed: a measure that counts a pause exceeds them by the pause. Each pause's end is a
 * "resumed" event with its length (the running task's time in the record leaves it out:
 * run_record_running_task_leaves_out_pauses in test_run_record.c). */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cl/cl_config.h"
#include "cl/runner.h"
#include "core/common.h"
#include "run/run_record.h"
#include "test.h"
#include "tiny_run.h"

#define PAUSE_S 0.5 /* each pause, far longer than the slack of the bounds (SLACK) */
#define SLACK 0.05  /* the runner's clock read a line's write before or after the callback's */

typedef struct {
    double pause_from, paused[2]; /* the pause under way (0: none); each one's length */
    int n_pauses;
    double t_phase, t_step2;      /* task 1: its train phase; its second step */
    double ips_step2;             /* the images/s of task 1's step 2 */
    int64_t done_step2;           /* the images trained by then (3 steps of 32, 32, 6) */
    double t_task_start[2], t_task_end[2], t_run_end;
    double task_end_elapsed[2], run_end_elapsed;
    double resumed_s[2];          /* each "resumed" event's paused_s */
    int n_resumed;
} pause_log;

/* Pauses on task 1's first training step (space) and at its end (the task boundary), each for
 * PAUSE_S as measured here; the sink polls with EV_PAUSED meanwhile. */
static event_reply pause_cb(const segp_event *ev, void *user) {
    pause_log *l = user;
    double now = segp_now();
    if (ev->kind == EV_PAUSED) {
        if (now - l->pause_from < PAUSE_S) return EVENT_PAUSE;
        l->paused[l->n_pauses++] = now - l->pause_from;
        l->pause_from = 0;
        return EVENT_CONTINUE;
    }
    if (ev->kind == EV_RESUMED) {
        if (l->n_resumed < 2) l->resumed_s[l->n_resumed] = ev->paused_s;
        l->n_resumed++;
        return EVENT_CONTINUE;
    }
    int t = ev->task;
    if (ev->kind == EV_PHASE && t == 0 && !strcmp(ev->phase, "train")) l->t_phase = now;
    if (ev->kind == EV_TASK_START && t >= 0 && t < 2) l->t_task_start[t] = now;
    if (ev->kind == EV_TASK_END && t >= 0 && t < 2) {
        l->t_task_end[t] = now;
        l->task_end_elapsed[t] = ev->elapsed_s;
    }
    if (ev->kind == EV_RUN_END) l->t_run_end = now, l->run_end_elapsed = ev->elapsed_s;
    if (ev->kind == EV_STEP && t == 0 && !strcmp(ev->phase, "train") && ev->step == 2) {
        l->t_step2 = now;
        l->ips_step2 = ev->images_per_s;
        l->done_step2 = 2 * 32; /* two whole batches of the config's 32 */
    }
    int pause = (ev->kind == EV_STEP && t == 0 && !strcmp(ev->phase, "train") && ev->step == 1) ||
                (ev->kind == EV_TASK_END && t == 0);
    if (!pause || l->n_pauses >= 2) return EVENT_CONTINUE;
    l->pause_from = now;
    return EVENT_PAUSE;
}

static double done_wall_s(const char *dir, int task) {
    char p[700];
    snprintf(p, sizeof p, "%s/tasks/%02d/DONE", dir, task);
    char *text = read_text(p);
    cJSON *o = text ? cJSON_Parse(text) : NULL;
    const cJSON *w = cJSON_GetObjectItemCaseSensitive(o, "wall_s");
    double v = cJSON_IsNumber(w) ? w->valuedouble : NAN;
    cJSON_Delete(o);
    free(text);
    return v;
}

TEST(run_pause_not_counted_in_times) {
    test_one_thread();
    const char *cfg = write_config("pause",
        "{\"model\": \"sample_runs/models/shapes-clip.safetensors\", \"method\": \"finetune\","
        " \"seed\": 1, \"benchmark\": {\"name\": \"shapes\", \"order\": \"latin\", \"tasks\":"
        " \"B0-Inc10\", \"train_per_class\": 7, \"test_per_class\": 2}, \"train\": {\"epochs\":"
        " 1, \"batch_size\": 32, \"optimizer\": \"adamw\", \"lr\": 0.002}, \"analytics\":"
        " {\"enabled\": false}, \"eval\": {\"batch_size\": 64}, \"run\": {\"max_tasks\": 2}}");
    const char *dir = tpath("pause-run", "");
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK(system(cmd) == 0);
    cl_config c = cl_config_default();
    CHECK(cl_config_parse_file(cfg, &c) == 0 && cl_config_check(&c) == 0);
    pause_log l = {0};
    cl_runner_params p = cl_runner_default_params();
    p.cb = pause_cb;
    p.user = &l;
    double t_new = segp_now(); /* before the runner starts its run clock */
    cl_runner *r = cl_runner_new(&c, cfg, dir, &p);
    CHECK_MSG(r != NULL, "%s", segp_last_error());
    if (!r) return;
    CHECK_EQ_INT(cl_runner_run(r), 0);
    cl_runner_free(r);
    test_all_threads();
    CHECK_EQ_INT(l.n_pauses, 2);
    if (l.n_pauses != 2) return;
    double p_in = l.paused[0], p_all = l.paused[0] + l.paused[1];
    CHECK(p_in >= PAUSE_S && l.paused[1] >= PAUSE_S);

    /* images/s at step 2: its clock started after the train phase's event and read before
     * step 2's, with the pause (within step 1's event) between */
    double active = l.t_step2 - l.t_phase - p_in;
    CHECK_MSG(l.ips_step2 >= l.done_step2 / (active + SLACK),
              "step 2: %.1f img/s; without the pause at most %.3f s passed (%.1f img/s or more)",
              l.ips_step2, active, l.done_step2 / (active + SLACK));
    /* task 1's wall time: within its task_start and task_end events, less the pause on space
     * (the boundary pause comes after its end) */
    double span0 = l.t_task_end[0] - l.t_task_start[0] - p_in;
    double wall0 = done_wall_s(dir, 1);
    CHECK_MSG(wall0 <= span0 + SLACK, "task 1 DONE wall_s %.3f, at most %.3f without the pause",
              wall0, span0);
    CHECK_NEAR(l.task_end_elapsed[0], wall0, 0.002);
    /* the run's: from the runner's making to its end, less both pauses */
    double span_run = l.t_run_end - t_new - p_all;
    CHECK_MSG(l.run_end_elapsed <= span_run + SLACK,
              "run_end elapsed_s %.3f, at most %.3f without the pauses", l.run_end_elapsed,
              span_run);
    /* task 2 was never paused: its wall time is its span */
    CHECK(done_wall_s(dir, 2) <= l.t_task_end[1] - l.t_task_start[1] + SLACK);

    /* each pause's end is an event, to the callback and in events.jsonl, with its length */
    CHECK_EQ_INT(l.n_resumed, 2);
    char ep[700];
    snprintf(ep, sizeof ep, "%s/events.jsonl", dir);
    char *events = read_text(ep);
    int n_lines = 0;
    for (const char *q = events; q && (q = strstr(q, "{\"event\":\"resumed\"")); q++) {
        const char *v = strstr(q, "\"paused_s\":");
        double s = v ? atof(v + 11) : NAN;
        if (n_lines < 2) {
            CHECK_NEAR(s, l.paused[n_lines], SLACK);
            CHECK_NEAR(s, l.resumed_s[n_lines], 0.0006); /* the line's 3 decimals */
        }
        n_lines++;
    }
    CHECK_EQ_INT(n_lines, 2);
    free(events);

    /* the record the workbench, `segp list` and `segp info` read takes the task's own measure,
     * not the span between its lines in events.jsonl (which holds the pause) */
    run_record rec;
    CHECK(run_record_open(dir, &rec) == 0);
    CHECK_NEAR(rec.task_wall_s[0], wall0, 0.002);
    run_record_free(&rec);
}
