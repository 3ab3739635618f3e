/* tui_worker.c: the training thread of the workbench. The runner (engine/cl/runner.h) runs on
 * its own thread; its event callback copies each event (as its events.jsonl line) into a
 * mutex-protected queue that the UI thread drains into the run record, and answers from the
 * controls the UI sets: pause at a task boundary until `n` (unless auto-advance), pause on
 * space, abort on quit. The UI thread never waits on training: it only takes the lock to swap
 * the queue or read a few flags. */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "cl/cl_config.h"
#include "cl/runner.h"
#include "cli_util.h"
#include "core/common.h"
#include "tui.h"

struct tui_worker {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    char *config_path, *dir;
    char **sets; /* the --set overrides of a new run */
    int n_sets;
    int free_dir; /* a new run's DIR is a default name (cl_runner_params) */

    /* under mu */
    char **queue;
    int n_queue, cap_queue;
    int started;      /* the thread exists */
    int num_tasks;
    int ready;        /* 1 runner made, -1 failed */
    int go;
    int running;
    int paused, at_boundary, waiting, auto_advance, next, abort;
    int rc;
    char error[1024];
};

static void push(tui_worker *w, char *line) {
    if (w->n_queue == w->cap_queue) {
        w->cap_queue = w->cap_queue ? 2 * w->cap_queue : 256;
        w->queue = segp_realloc(w->queue, sizeof(char *) * (size_t)w->cap_queue);
    }
    w->queue[w->n_queue++] = line;
}

/* The runner's callback, on the worker thread. EV_PAUSED comes back every 100 ms while the
 * engine waits (events.h) and is not queued; EV_RESUMED, which ends the wait, is (the record
 * leaves its seconds paused out of the running task's time), and may be answered with a pause
 * again. */
static event_reply on_event(const segp_event *ev, void *user) {
    tui_worker *w = user;
    pthread_mutex_lock(&w->mu);
    if (ev->kind == EV_POLL) { /* nothing to show; a pause waits for the next step */
        event_reply r = w->abort ? EVENT_ABORT : EVENT_CONTINUE;
        pthread_mutex_unlock(&w->mu);
        return r;
    }
    if (ev->kind != EV_PAUSED || !w->waiting) push(w, event_to_json(ev));
    event_reply r = EVENT_CONTINUE;
    if (w->abort) {
        r = EVENT_ABORT;
    } else if (ev->kind == EV_TASK_END && ev->task + 1 < w->num_tasks && !w->auto_advance &&
               !w->next) {
        w->at_boundary = 1;
        r = EVENT_PAUSE;
    } else if (ev->kind == EV_PAUSED && w->at_boundary) {
        if (w->next || w->auto_advance) w->at_boundary = 0, w->next = 0;
        else r = EVENT_PAUSE;
    } else if (w->paused) {
        r = EVENT_PAUSE;
    }
    if (ev->kind == EV_TASK_END && r == EVENT_CONTINUE) w->next = 0;
    w->waiting = r == EVENT_PAUSE;
    pthread_mutex_unlock(&w->mu);
    return r;
}

static void fail(tui_worker *w) {
    pthread_mutex_lock(&w->mu);
    snprintf(w->error, sizeof w->error, "%s", segp_last_error());
    w->ready = w->ready ? w->ready : -1;
    w->rc = -1;
    w->running = 0;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

static void *thread_main(void *arg) {
    tui_worker *w = arg;
    /* signals belong to the UI thread (they set its flags) */
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);

    char exe[4096];
    const char *const *sets = (const char *const *)w->sets;
    cl_runner_params p = {.cb = on_event, .user = w, .model_dir = cli_exe_dir(exe, sizeof exe),
                          .free_dir = w->free_dir, .overrides = sets, .n_overrides = w->n_sets};
    cl_runner *r = NULL;
    if (w->config_path) {
        cl_config c = cl_config_default();
        if (cl_config_parse_file(w->config_path, &c) == 0) {
            cli_shipped_config_paths(w->config_path, &c);
            if (cl_config_set_all(&c, sets, w->n_sets) == 0 && cl_config_check(&c) == 0)
                r = cl_runner_new(&c, w->config_path, w->dir, &p);
            if (!r) segp_fail_prefix("%s%s: ", w->config_path,
                                     w->n_sets ? " with its --set overrides" : "");
        }
    } else {
        r = cl_runner_open(w->dir, &p);
    }
    if (!r) {
        fail(w);
        return NULL;
    }
    cl_run_result res;
    cl_runner_result(r, &res);
    pthread_mutex_lock(&w->mu);
    w->num_tasks = res.num_tasks;
    if (strcmp(res.dir, w->dir)) { /* a default name taken meanwhile: the one created */
        free(w->dir);
        w->dir = segp_strdup(res.dir);
    }
    w->ready = 1;
    pthread_cond_broadcast(&w->cv);
    while (!w->go && !w->abort) pthread_cond_wait(&w->cv, &w->mu);
    int go = w->go && !w->abort;
    pthread_mutex_unlock(&w->mu);

    int rc = go ? cl_runner_run(r) : 1;
    char err[1024] = "";
    if (rc < 0) snprintf(err, sizeof err, "%s", segp_last_error());
    cl_runner_free(r);
    pthread_mutex_lock(&w->mu);
    w->rc = rc;
    if (rc < 0) snprintf(w->error, sizeof w->error, "%s", err);
    w->running = 0;
    w->waiting = w->at_boundary = 0;
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

tui_worker *tui_worker_start(const char *config_path, const char *const *sets, int n_sets,
                             const char *dir, int free_dir, int auto_advance) {
    tui_worker *w = segp_calloc(1, sizeof *w);
    w->free_dir = free_dir;
    w->sets = segp_calloc((size_t)(n_sets > 0 ? n_sets : 1), sizeof *w->sets);
    for (int i = 0; i < n_sets; i++) w->sets[i] = segp_strdup(sets[i]);
    w->n_sets = n_sets;
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    w->config_path = config_path ? segp_strdup(config_path) : NULL;
    w->dir = segp_strdup(dir);
    w->auto_advance = auto_advance;
    w->running = 1;
    w->started = pthread_create(&w->thread, NULL, thread_main, w) == 0;
    if (!w->started) {
        w->running = 0;
        w->ready = -1;
        w->rc = -1;
        snprintf(w->error, sizeof w->error, "cannot start the training thread");
    }
    return w;
}

const char *tui_worker_dir(tui_worker *w) {
    pthread_mutex_lock(&w->mu);
    const char *d = w->dir;
    pthread_mutex_unlock(&w->mu);
    return d;
}

int tui_worker_ready(tui_worker *w) {
    pthread_mutex_lock(&w->mu);
    int r = w->ready;
    pthread_mutex_unlock(&w->mu);
    return r;
}

void tui_worker_go(tui_worker *w) {
    pthread_mutex_lock(&w->mu);
    for (int i = 0; i < w->n_queue; i++) free(w->queue[i]);
    w->n_queue = 0;
    w->go = 1;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

int tui_worker_take(tui_worker *w, char ***out) {
    pthread_mutex_lock(&w->mu);
    int n = w->n_queue;
    *out = w->queue;
    w->queue = NULL;
    w->n_queue = w->cap_queue = 0;
    pthread_mutex_unlock(&w->mu);
    return n;
}

#define SETTER(name, field, value)                                                          \
    void name {                                                                             \
        pthread_mutex_lock(&w->mu);                                                         \
        w->field = value;                                                                   \
        pthread_mutex_unlock(&w->mu);                                                       \
    }
SETTER(tui_worker_pause(tui_worker *w, int paused), paused, paused)
SETTER(tui_worker_set_auto(tui_worker *w, int on), auto_advance, on)
SETTER(tui_worker_next(tui_worker *w), next, 1)

void tui_worker_abort(tui_worker *w) {
    pthread_mutex_lock(&w->mu);
    w->abort = 1;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

void tui_worker_get(tui_worker *w, tui_worker_state *s) {
    pthread_mutex_lock(&w->mu);
    s->running = w->running;
    s->paused = w->paused;
    s->at_boundary = w->at_boundary;
    s->waiting = w->waiting;
    s->auto_advance = w->auto_advance;
    s->aborting = w->abort;
    s->rc = w->rc;
    pthread_mutex_unlock(&w->mu);
}

const char *tui_worker_error(tui_worker *w) { return w->error; }

void tui_worker_free(tui_worker *w) {
    if (!w) return;
    tui_worker_abort(w);
    if (w->started) pthread_join(w->thread, NULL);
    for (int i = 0; i < w->n_queue; i++) free(w->queue[i]);
    free(w->queue);
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cv);
    free(w->config_path);
    for (int i = 0; i < w->n_sets; i++) free(w->sets[i]);
    free(w->sets);
    free(w->dir);
    free(w);
}
