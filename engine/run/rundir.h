/* rundir.h: the run directory (DESIGN.md "Formats"): its paths, atomic writes, task DONE
 * markers, and the metrics files derived from the accuracy matrix.
 *
 *   DIR/config.json              the fully resolved config (+ model hash, class order, build...)
 *   DIR/config.json.sha256       config.json's SHA-256 as the run wrote it (sha256sum's format)
 *   DIR/events.jsonl             every event, appended (a torn last line is cut on resume)
 *   DIR/metrics.jsonl            Continual-CLIP schema: one line per finished task, then
 *                                {"last":..,"avg":..} once the run is complete
 *   DIR/accuracy_matrix.npy/.csv R in percent (NaN / empty where not measured)
 *   DIR/tasks/NN/                NN = task number from 01: lora.safetensors, eval.json (the
 *                                counts behind R's row), and DONE, written last
 *   DIR/DONE                     the run finished
 *   DIR/.lock                    the writer's lock: pid, host and start time of the process
 *                                that writes the run (run, resume), locked while it does;
 *                                removed once DONE is written
 * Every file but events.jsonl is written to a temporary name, flushed and renamed. An existing
 * directory is never reused by a new run, but for one its own start left when it was killed
 * before config.json was in place (rundir_remove_unstarted). */
#ifndef SEGP_RUNDIR_H
#define SEGP_RUNDIR_H

#include <stddef.h>

#include "metrics/cl_metrics.h"

/* Longest run directory path accepted: its files (DIR/tasks/NN/NAME.tmp.PID) stay within
 * PATH_MAX. */
#define RUNDIR_MAX_PATH 3900

/* The error of a new run's DIR that holds a run already (it names `segp resume DIR`, the
 * folder quoted for the shell). Returns -1. */
int rundir_fail_taken(const char *dir);

/* Create DIR and DIR/tasks; -1 + error when DIR exists (runs are never overwritten). */
int rundir_create(const char *dir);
/* The same for a default name: when DIR (N bytes) is taken, DIR-2, DIR-3, ... (two runs
 * started in the same second); DIR becomes the one created. */
int rundir_create_free(char *dir, size_t n);
/* Undoes rundir_create when the run could not be started (its config.json never written, so
 * there is nothing to resume and the folder would only block its own name): removes DIR/.lock,
 * DIR/tasks and DIR. The caller made DIR (mkdir is exclusive), so the lock file is its own; only
 * empty folders are removed, so nothing else that is there is touched. */
void rundir_unmake(const char *dir);

/* A folder left by a run killed while it started, before its config.json was in place: it
 * holds an empty tasks/ and at most the unheld lock file, config.json.sha256 and temporary
 * files of config.json and its record. Nothing was trained there, so the same `segp run` may
 * start in it again. rundir_unstarted: 1 when DIR is such a folder, else 0.
 * rundir_remove_unstarted: removes such a folder (1), else leaves DIR as it is (0). */
int rundir_unstarted(const char *dir);
int rundir_remove_unstarted(const char *dir);

/* The writer lock. One process writes a run at a time: a second `segp resume` (or an ablation
 * cell started twice by a job array) would cut the first one's events line as torn, delete its
 * temporary files and write the same files. The lock is an open-file-description lock on
 * DIR/.lock, so the kernel drops it when its process ends, kill -9 included (no stale locks).
 *
 * rundir_lock: 0 with *FD open (close it to release), or -1 + error naming the holder (pid,
 * host, since when). Where the file system refuses locks (some network file systems), 0 with
 * *FD = -1 and why in WARN: the run goes on unguarded. */
int rundir_lock(const char *dir, int *fd, char *warn, size_t nwarn);
/* Deletes DIR/.lock while FD (from rundir_lock, -1: none) still holds it: a finished run needs
 * no lock, and none is left behind. The caller closes FD later (or now), which releases it. */
void rundir_lock_remove(const char *dir, int fd);

typedef struct {
    int pid;         /* 0: unknown (the file held nothing readable yet) */
    char host[256];
    double since;    /* Unix time the holder took the lock (0: unknown) */
} rundir_holder;

/* 1 when a process holds DIR's writer lock (H, may be NULL, says which), 0 when none holds it
 * or the file system has no locks. Never takes the lock nor creates the file. Another open of
 * the calling process counts too (its own runner). */
int rundir_locked(const char *dir, rundir_holder *h);

/* "pid 1234 on host, since 2026-12-01 07:41:02" (WHEN 0: without the time), or as much of it
 * as is known, into OUT. */
void rundir_holder_text(const rundir_holder *h, int when, char *out, size_t n);

/* DIR/NAME and DIR/tasks/NN/NAME (t 0-based; NAME "" gives the folder). */
void rundir_path(const char *dir, const char *name, char *out, size_t n);
void rundir_task_path(const char *dir, int t, const char *name, char *out, size_t n);
int rundir_task_mkdir(const char *dir, int t);

/* Atomic write (temporary name, fsync, rename); SEGP_FAULT_KILL=file:N tears the N-th. */
int rundir_write(const char *path, const void *data, size_t n);
int rundir_write_text(const char *path, const char *text);

/* The error of a DIR without a config.json (the last error says why it could not be read):
 * "not a run directory: ...", and when DIR holds runs (runs/, an ablation's OUT), how many
 * and which, so that one can be given instead. Returns -1. */
int rundir_fail_not_a_run(const char *dir);

/* DIR/config.json.sha256: the SHA-256 of CONFIG_TEXT (the config.json just written) as
 * `sha256sum config.json` prints it, so that a config.json edited later is noticed. */
int rundir_write_config_sha(const char *dir, const char *config_text);
/* DATA (N bytes: DIR/config.json as read now) against DIR/config.json.sha256: 1 when it
 * matches, 0 when nothing is recorded (a run of a segp before the record), -1 + error naming
 * both files and what to do when config.json changed since or the record is unreadable. */
int rundir_check_config_sha(const char *dir, const void *data, size_t n);

/* 1 when tasks/NN/DONE exists, 0 otherwise. */
int rundir_task_done(const char *dir, int t);
int rundir_exists(const char *path);
/* 1 when DIR is a pretraining directory (segp pretrain's config.json beside its log.jsonl, and
 * no events.jsonl): no run, though runs/ holds one by default (out_dir runs/pretrain-shapes). */
int rundir_is_pretrain(const char *dir);

/* Remove temporary files left by a crash (NAME.tmp.PID) in DIR and its task folders. */
void rundir_clean_tmp(const char *dir, int num_tasks);

/* tasks/NN/eval.json of task T (N bytes of TEXT): its counts and hits (and clip_hits when CLIP
 * is not NULL) into row T of M (and CLIP), its heldout_acc into *HELDOUT when present. 0, or -1
 * (nothing recorded, no message: the caller names the file) when it is not an eval.json of a
 * run with M's task count: counts must be whole numbers, hits within them, null only after T. */
int rundir_parse_task_eval(const char *text, size_t n, int t, cl_matrix *m, cl_matrix *clip,
                           double *heldout);

/* What metrics.jsonl carries beside the accuracy matrix (every member may be NULL / NAN). */
typedef struct {
    const double *heldout;       /* held-out zero-shot accuracy after each task (NAN: none) */
    double heldout_pre;          /* the pretrained model's */
    const cl_matrix *clip;       /* the CLIP branch alone (dual-path methods): "clip_acc" per
                                  * task, "clip_branch" {last, avg, forgetting, bwt, fwt} at the
                                  * end, and accuracy_matrix_clip.npy/.csv */
    const double *boundary_core; /* drift boundary/core ratio after each task (NAN: undefined);
                                  * the final line's "boundary_core_ratio" is the mean of the
                                  * defined ones */
} rundir_metrics_extra;

/* metrics.jsonl, accuracy_matrix.npy and .csv for the first N_DONE tasks (X may be NULL).
 * The final {"last","avg",...} line is written when n_done == m->num_tasks. */
int rundir_write_metrics(const char *dir, const cl_matrix *m, int n_done,
                         const rundir_metrics_extra *x);

#endif
