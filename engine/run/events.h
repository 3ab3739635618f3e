/* events.h: the one event type of a run and the one sink (DESIGN.md "Seams").
 *
 * The engine emits events (run start/end, task start/end, phase, step, metrics, errors). The
 * sink appends each as one JSON line to events.jsonl (when it has a file) and calls the front
 * end's callback, whose reply says continue, pause or abort (as whisper.cpp's abort callback).
 * Pause: the sink emits one "paused" event and then polls the callback every 100 ms, blocking
 * the engine at that point, until it says continue or abort; on continue it emits "resumed" with
 * the seconds paused (paused_s), so that a reader of events.jsonl can leave the pause out of the
 * spans between lines (a "paused" without its "resumed" is a run stopped while paused). The
 * seconds spent so are the user's, not the run's: the sink counts them, and the run measures its
 * wall time, throughput and ETA on event_sink_clock, which leaves them out. Errors travel as
 * events, since the engine's error state is per thread. */
#ifndef SEGP_EVENTS_H
#define SEGP_EVENTS_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
    EV_RUN_START = 0,
    EV_RUN_END,
    EV_TASK_START,
    EV_TASK_END,
    EV_PHASE,   /* phase: "anchors", "train", "transfer", "eval", "analytics" */
    EV_STEP,
    EV_METRICS, /* json: the metrics object of the task */
    EV_ERROR,   /* text: the error message */
    EV_PAUSED,  /* the engine waits from here (a copy of the event answered with pause) */
    EV_RESUMED, /* paused_s: the pause just ended lasted so long; the callback may pause again */
    EV_INFO,    /* text: a note (resume, interruption) */
    EV_POLL,    /* only asks the callback whether to go on (long work between events): never
                 * written, and a callback shows nothing for it */
} event_kind;

#define EVENT_MAX_TERMS 8

typedef struct {
    event_kind kind;
    int task, num_tasks;   /* 0-based task (-1: run level) */
    const char *phase;
    int epoch, epochs;     /* 1-based epoch */
    int64_t step, steps;   /* 1-based step within the phase */
    int n_terms;           /* loss terms by name (unweighted values) and the weighted total */
    const char *term_names[EVENT_MAX_TERMS];
    float term_values[EVENT_MAX_TERMS];
    float loss, lr;
    double images_per_s, eta_s, elapsed_s;
    double paused_s;       /* EV_RESUMED */
    const char *text;      /* EV_ERROR / EV_INFO / EV_RUN_START (run directory) */
    const char *json;      /* EV_METRICS: a JSON object, copied verbatim */
} segp_event;

typedef enum { EVENT_CONTINUE = 0, EVENT_PAUSE = 1, EVENT_ABORT = 2 } event_reply;

typedef event_reply (*event_callback)(const segp_event *ev, void *user);

typedef struct event_sink event_sink;

/* A sink appending to PATH (NULL: no file) and calling CB (may be NULL). NULL + error when the
 * file cannot be opened. */
event_sink *event_sink_open(const char *path, event_callback cb, void *user);
void event_sink_close(event_sink *s);

/* Emit: write the line, call the callback; a pause blocks here (see above). Returns
 * EVENT_CONTINUE or EVENT_ABORT (also once an earlier event was answered with abort).
 * A line goes to the file whole or not at all: a write that fails part-way (a full disk) is
 * cut back off, so a later line never follows half a line (which would make the file
 * unreadable); the events lost so are counted. */
event_reply event_emit(event_sink *s, const segp_event *ev);
int event_sink_aborted(const event_sink *s);
/* Seconds event_emit has spent blocked in pauses since the sink was opened (0 for NULL). */
double event_sink_paused_s(const event_sink *s);
/* segp_now() less the paused seconds: a clock that stands still while the sink is paused, for
 * the run's wall times, images/s and ETAs (a pause at a task boundary or on space counted in
 * all of them). S may be NULL (then segp_now()). */
double event_sink_clock(const event_sink *s);
/* Events that could not be written since the last call (and the first failure's errno in
 * *ERR, may be NULL); the count restarts at 0. */
long event_sink_take_lost(event_sink *s, int *err);

/* The event as one JSON object (no newline); caller frees. */
char *event_to_json(const segp_event *ev);
const char *event_kind_name(event_kind k);

/* Cut a torn last line (no trailing newline, or not JSON) off an events file before appending;
 * returns the number of bytes removed (0 when intact, or when the file does not exist), -1 +
 * error naming the file. */
long events_repair(const char *path);
/* What events_repair keeps of an events file in memory: the length of DATA up to the end of its
 * last line that is complete (newline-terminated) and parses as JSON (0 when none does). */
size_t events_intact_length(const char *data, size_t n);

#endif
