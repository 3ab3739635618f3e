/* events.c: event JSON lines and the sink (see events.h). */
#include "events.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/common.h"
#include "fault.h"

struct event_sink {
    int fd;       /* O_APPEND, -1: no file */
    off_t size;   /* the file's length: what a failed write is cut back to */
    long lost;    /* lines not written since event_sink_take_lost */
    int lost_err;
    char *path;
    event_callback cb;
    void *user;
    int aborted;
    double paused_s; /* seconds blocked in pauses (event_sink_paused_s) */
};

static const char *kind_names[] = {"run_start", "run_end", "task_start", "task_end",
                                   "phase",     "step",    "metrics",    "error",
                                   "paused",    "resumed", "info",       "poll"};

const char *event_kind_name(event_kind k) {
    return (unsigned)k < sizeof kind_names / sizeof kind_names[0] ? kind_names[k] : "unknown";
}

/* Numbers with a fixed, short text (cJSON would print 17 digits of a float's double). */
static void add_num(cJSON *o, const char *key, double v, const char *fmt) {
    if (!isfinite(v)) {
        cJSON_AddNullToObject(o, key);
        return;
    }
    char buf[48];
    snprintf(buf, sizeof buf, fmt, v);
    cJSON_AddRawToObject(o, key, buf);
}

char *event_to_json(const segp_event *ev) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "event", event_kind_name(ev->kind));
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    add_num(o, "time", (double)ts.tv_sec + 1e-3 * (double)(ts.tv_nsec / 1000000), "%.3f");
    if (ev->task >= 0) cJSON_AddNumberToObject(o, "task", ev->task + 1);
    if (ev->num_tasks > 0) cJSON_AddNumberToObject(o, "num_tasks", ev->num_tasks);
    if (ev->phase) cJSON_AddStringToObject(o, "phase", ev->phase);
    if (ev->kind == EV_STEP) {
        cJSON_AddNumberToObject(o, "epoch", ev->epoch);
        cJSON_AddNumberToObject(o, "epochs", ev->epochs);
        cJSON_AddNumberToObject(o, "step", (double)ev->step);
        cJSON_AddNumberToObject(o, "steps", (double)ev->steps);
        add_num(o, "loss", ev->loss, "%.6g");
        cJSON *terms = cJSON_AddObjectToObject(o, "terms");
        for (int k = 0; k < ev->n_terms && k < EVENT_MAX_TERMS; k++)
            add_num(terms, ev->term_names[k], ev->term_values[k], "%.6g");
        add_num(o, "lr", ev->lr, "%.6g");
        add_num(o, "images_per_s", ev->images_per_s, "%.1f");
        add_num(o, "eta_s", ev->eta_s, "%.1f");
    }
    if (ev->kind == EV_PHASE && ev->steps > 0)
        cJSON_AddNumberToObject(o, "steps", (double)ev->steps);
    if (ev->elapsed_s > 0) add_num(o, "elapsed_s", ev->elapsed_s, "%.3f");
    if (ev->kind == EV_RESUMED) add_num(o, "paused_s", ev->paused_s, "%.3f");
    if (ev->text) cJSON_AddStringToObject(o, ev->kind == EV_ERROR ? "error" : "text", ev->text);
    if (ev->json) {
        cJSON *m = cJSON_Parse(ev->json);
        if (m) cJSON_AddItemToObject(o, "metrics", m);
    }
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return s;
}

event_sink *event_sink_open(const char *path, event_callback cb, void *user) {
    event_sink *s = segp_calloc(1, sizeof *s);
    s->cb = cb;
    s->user = user;
    s->fd = -1;
    if (path) {
        struct stat st;
        s->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
        if (s->fd < 0 || fstat(s->fd, &st) != 0) {
            SEGP_FAIL("%s: cannot open for appending: %s", path, strerror(errno));
            if (s->fd >= 0) close(s->fd);
            free(s);
            return NULL;
        }
        s->size = st.st_size;
        s->path = segp_strdup(path);
    }
    return s;
}

void event_sink_close(event_sink *s) {
    if (!s) return;
    if (s->fd >= 0) {
        fsync(s->fd);
        close(s->fd);
    }
    free(s->path);
    free(s);
}

int event_sink_aborted(const event_sink *s) { return s->aborted; }

double event_sink_paused_s(const event_sink *s) { return s ? s->paused_s : 0; }

double event_sink_clock(const event_sink *s) { return segp_now() - event_sink_paused_s(s); }

long event_sink_take_lost(event_sink *s, int *err) {
    long n = s ? s->lost : 0;
    if (err) *err = s ? s->lost_err : 0;
    if (s) s->lost = 0, s->lost_err = 0;
    return n;
}

/* One line in one piece: on a short write (the disk filled part-way) the part is cut off again
 * (one process writes a run at a time, so SIZE is the file's length). */
static void write_line(event_sink *s, const segp_event *ev) {
    if (s->fd < 0) return;
    char *json = event_to_json(ev);
    size_t n = strlen(json);
    char *line = segp_malloc(n + 1);
    memcpy(line, json, n);
    line[n++] = '\n';
    free(json);
    if (fault_hit("event")) { /* a crash in the middle of the line */
        ssize_t w = write(s->fd, line, (n - 1) / 2);
        (void)w;
        fault_kill_now();
    }
    size_t done = 0;
    while (done < n) {
        ssize_t w = write(s->fd, line + done, n - done);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) break;
        done += (size_t)w;
    }
    if (done == n) {
        s->size += (off_t)n;
    } else {
        if (!s->lost) s->lost_err = errno ? errno : EIO;
        s->lost++;
        if (done && ftruncate(s->fd, s->size) != 0) { /* nothing better to do: repair cuts it */
        }
    }
    free(line);
}

event_reply event_emit(event_sink *s, const segp_event *ev) {
    if (!s) return EVENT_CONTINUE;
    if (ev->kind != EV_POLL) write_line(s, ev);
    if (s->aborted) return EVENT_ABORT;
    event_reply r = s->cb ? s->cb(ev, s->user) : EVENT_CONTINUE;
    while (r == EVENT_PAUSE) {
        double t0 = segp_now();
        segp_event p = *ev;
        p.kind = EV_PAUSED;
        p.json = NULL;
        p.text = NULL;
        write_line(s, &p);
        while ((r = s->cb(&p, s->user)) == EVENT_PAUSE) {
            struct timespec ts = {0, 100 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
        double dt = segp_now() - t0;
        s->paused_s += dt;
        if (r == EVENT_ABORT) break; /* stopped while paused: "paused" stays the last word */
        /* the end of the pause, for readers of the file (the record's task times) and the
         * front end; it may pause again (space pressed while waiting at a task boundary) */
        segp_event q = {.kind = EV_RESUMED, .task = ev->task, .num_tasks = ev->num_tasks,
                        .phase = ev->phase, .paused_s = dt};
        write_line(s, &q);
        r = s->cb(&q, s->user);
    }
    if (r == EVENT_ABORT) s->aborted = 1;
    return s->aborted ? EVENT_ABORT : EVENT_CONTINUE;
}

size_t events_intact_length(const char *data, size_t n) {
    /* keep everything up to the last newline whose line parses */
    size_t keep = n;
    while (keep > 0) {
        if (data[keep - 1] != '\n') {
            while (keep > 0 && data[keep - 1] != '\n') keep--;
            continue;
        }
        size_t b = keep - 1;
        while (b > 0 && data[b - 1] != '\n') b--;
        cJSON *j = cJSON_ParseWithLength(data + b, keep - 1 - b);
        if (j) {
            cJSON_Delete(j);
            break;
        }
        keep = b;
    }
    return keep;
}

long events_repair(const char *path) {
    struct stat st;
    if (stat(path, &st) != 0) return 0;
    uint8_t *data;
    size_t n;
    if (segp_read_file(path, &data, &n) != 0) return -1;
    size_t keep = events_intact_length((const char *)data, n);
    free(data);
    if (keep == n) return 0;
    if (truncate(path, (off_t)keep) != 0)
        return SEGP_FAIL("%s: cannot cut the torn last line: %s", path, strerror(errno));
    return (long)(n - keep);
}
