/* cli_util.h: small helpers shared by the subcommands: option parsing, the shapes table, and
 * the progress output and Ctrl-C handling of continual runs (segp run, resume, eval, ablate). */
#ifndef SEGP_CLI_UTIL_H
#define SEGP_CLI_UTIL_H

#include <stddef.h>

/* Option value after argv[*i] (advances *i); prints a usage error and returns NULL if absent. */
const char *cli_value(int argc, char **argv, int *i);

/* Parse an integer option value in [lo, hi]; prints "segp: error: OPT ..." and returns -1. */
int cli_int(const char *opt, const char *s, long lo, long hi, int *out);


/* Before long work that ends by writing PATH: -1 + error when its folder is missing, is not a
 * folder or is not writable, or when PATH is a folder, so that the failure comes first. */
int cli_check_out_file(const char *path);

/* -1 + error when the output OUT already exists and is the file IN (an input of the command,
 * named WHAT in the message, e.g. "--model"): writing OUT would replace that input, which the
 * command still reads or the user still needs. 0 when IN is NULL or another file. */
int cli_check_out_not_input(const char *out, const char *in, const char *what);

/* 0 when the N bytes of DATA (read from PATH) hold no NUL byte; else -1 + an error naming the
 * file and the byte: a UTF-16 text file would otherwise read as cut-off lines. */
int cli_check_text(const char *path, const void *data, size_t n);

/* Print "segp: error: unknown option 'X' (see 'segp CMD --help')" and return 2. */
int cli_unknown(const char *cmd, const char *opt);

/* Print "segp: error: MSG (see 'segp CMD --help')" and return 2. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The shapes benchmark accuracy table (per task, renditions, sizes, colour/shape errors). */
struct shapes_zeroshot_result;
void cli_print_shapes_result(const struct shapes_zeroshot_result *r);
/* Its last lines alone: per rendition, per size, colour/shape errors. */
void cli_print_shapes_extras(const struct shapes_zeroshot_result *r);

/* ---- continual runs: progress output and Ctrl-C ---- */

#include <stddef.h>

/* The shipped file REL (a path in the source tree, e.g. "sample_runs/default.json"): REL when
 * it is under the current directory, else the same path in the folder of the segp executable
 * when it is there (segp lives in its source tree: `segp run` works from anywhere), else REL,
 * so that messages name the path the user would expect. BUF holds the result. */
const char *cli_shipped_path(const char *rel, char *buf, size_t n);

/* The folder of the segp executable ("" when unknown), in BUF. */
const char *cli_exe_dir(char *buf, size_t n);

/* A config read from a shipped file found beside the executable names its files relative to
 * the source tree: its relative model path, when not under the current directory, is taken
 * from there. CONFIG_PATH is the file the config came from. */
#include "cl/cl_config.h"
void cli_shipped_config_paths(const char *config_path, cl_config *c);

/* A new run's directory: runs/NAME-YYYYmmdd-HHMMSS for CONFIG's file NAME (a -N suffix if taken:
 * never an existing directory); creates runs/. */
void cli_default_run_dir(const char *config, char *out, size_t n);
/* runs/ under the current directory, made when absent: -1 + error naming why it cannot be. */
int cli_runs_folder(void);

#include "run/events.h"

/* The event callback's state: a progress bar on stderr when TTY, plain lines otherwise (stdout),
 * JSON lines on stdout with JSONL (progress then on stderr). PREFIX (may be NULL) starts every
 * progress line, e.g. "[cell 3/21 acgd s1] ". */
typedef struct {
    int tty, jsonl;
    const char *prefix;
} cli_progress;

/* The runner's event callback (USER: a cli_progress); replies abort once Ctrl-C was pressed. */
event_reply cli_progress_event(const segp_event *ev, void *user);

/* SIGINT and SIGTERM set a flag instead of ending the process: the engine stops after the
 * current step (cli_progress_event replies abort). */
void cli_stop_on_signals(void);
int cli_stop_requested(void);

/* Seconds as m:ss or h:mm:ss. */
void cli_fmt_time(double s, char *buf, size_t n);

#endif
