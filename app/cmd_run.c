/* cmd_run.c: `segp run [CONFIG]`, `segp resume DIR`, `segp eval DIR`: continual-learning runs
 * (engine/cl/runner.h) with a progress bar on a terminal, plain lines when piped, JSON event
 * lines with --jsonl, Ctrl-C stopping after the current step or chunk, and the final table. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend/backend.h"
#include "cl/methods.h"
#include "cl/runner.h"
#include "core/common.h"
#include "run/rundir.h"
#include "cli_util.h"
#include "commands.h"

#define DEFAULT_CONFIG "sample_runs/default.json"

static void print_table(FILE *o, const cl_run_result *r) {
    int T = r->num_tasks, n = r->tasks_done;
    /* a method that never trains (zeroshot) has LoRA-B numbers, but none of them trained */
    const cl_method *m = cl_method_find(r->method);
    int trains = !m || m->trains;
    char what[96] = "no training: the pretrained model as it is";
    if (trains) snprintf(what, sizeof what, "%zu trainable LoRA-B numbers", r->trainable);
    fprintf(o, "\n%s: method %s on %s (order: %s), %d/%d tasks, %s\n", r->dir, r->method,
            r->benchmark, r->order, n, T, what);
    if (n == 0) return;
    int val = strcmp(r->eval_split, "test") != 0;
    if (val)
        fprintf(o, "evaluated on the validation split, not the test split: %s\n", r->eval_split);
    fprintf(o, "accuracy matrix R (%%): row i = after task i, column j = task j's %s images "
               "among the classes of tasks 1..max(i,j)\n      ", val ? "validation" : "test");
    for (int j = 0; j < T; j++) fprintf(o, " %6d", j + 1);
    fprintf(o, "\n");
    for (int i = 0; i < n; i++) {
        fprintf(o, "  %3d ", i + 1);
        for (int j = 0; j < T; j++) {
            double v = cl_matrix_R(r->matrix, i, j);
            if (isnan(v)) fprintf(o, "       ");
            else fprintf(o, " %6.2f", v);
        }
        fprintf(o, "\n");
    }
    int clip = r->clip_matrix != NULL;
    fprintf(o, "\n  task     A_t     old     new  held-out%s  drift b/c  wall\n",
            clip ? "  CLIP only" : "");
    cl_summary s = {0}, cs = {0};
    double wall = 0;
    for (int t = 0; t < n; t++) {
        if (cl_summary_after(r->matrix, t, &s) != 0) return;
        if (clip && cl_summary_after(r->clip_matrix, t, &cs) != 0) return;
        char w[32], old[16] = "      -", ho[16] = "       -", ca[24] = "", bc[16] = "        -";
        cli_fmt_time(r->wall_s[t], w, sizeof w);
        wall += r->wall_s[t];
        if (!isnan(s.old_acc)) snprintf(old, sizeof old, "%7.2f", s.old_acc);
        if (!isnan(r->heldout[t])) snprintf(ho, sizeof ho, "%8.2f", r->heldout[t]);
        if (clip) snprintf(ca, sizeof ca, "  %9.2f", cs.acc);
        if (r->bc_ratio && isfinite(r->bc_ratio[t]))
            snprintf(bc, sizeof bc, "%9.3f", r->bc_ratio[t]);
        fprintf(o, "  %4d  %6.2f %s %7.2f  %s%s  %s  %s\n", t + 1, s.acc, old, s.new_acc, ho, ca,
                bc, w);
    }
    char w[32];
    cli_fmt_time(wall, w, sizeof w);
    fprintf(o, "\n  %s %.2f   Last %.2f   FWT %.2f   BWT %.2f   Forgetting %.2f%s\n",
           n == T ? "Avg" : "Avg so far", s.avg_acc, s.acc, s.fwt, s.bwt, s.forgetting,
           n == T ? "" : "   (run not finished)");
    if (clip)
        fprintf(o, "  CLIP branch only (inference.beta 0): Avg %.2f   Last %.2f   FWT %.2f   "
                   "BWT %.2f   Forgetting %.2f\n", cs.avg_acc, cs.acc, cs.fwt, cs.bwt,
                cs.forgetting);
    double bsum = 0;
    int bn = 0;
    for (int t = 0; r->bc_ratio && t < n; t++)
        if (isfinite(r->bc_ratio[t])) bsum += r->bc_ratio[t], bn++;
    if (bn)
        fprintf(o, "  drift boundary/core ratio: %.3f (mean over %d task%s; > 1: old-class "
                   "predictions drift most near the old-new interface)\n", bsum / bn, bn,
                bn == 1 ? "" : "s");
    if (r->num_heldout > 0 && !isnan(r->heldout_pre) && !isnan(r->heldout[n - 1]))
        fprintf(o, "  held-out zero-shot (%d class%s): pretrained %.2f -> after task %d %.2f "
               "(%+.2f points, %.1f%% retained)\n", r->num_heldout,
                r->num_heldout == 1 ? "" : "es", r->heldout_pre, n,
               r->heldout[n - 1], cl_retention_delta(r->heldout_pre, r->heldout[n - 1]),
               cl_retention_ratio(r->heldout_pre, r->heldout[n - 1]));
    fprintf(o, "  wall time of the tasks: %s (%s, measured)\n", w,
            trains ? "training and evaluation" : "evaluation");
}


static int finish(cl_runner *r, int rc, const cli_progress *u) {
    cl_run_result res;
    cl_runner_result(r, &res);
    if (rc < 0) {
        app_report_error();
        char q[8200];
        segp_shell_quote(res.dir, q, sizeof q);
        fprintf(stderr, "segp: the finished tasks are saved; after fixing the cause, continue "
                        "with: segp resume %s\n", q);
        cl_runner_free(r);
        return 1;
    }
    FILE *o = u->jsonl ? stderr : stdout; /* --jsonl keeps stdout for events */
    print_table(o, &res);
    fflush(o);
    if (rc == 1) {
        char saved[64] = "no task is finished yet";
        if (res.tasks_done == 1) snprintf(saved, sizeof saved, "task 1 is saved");
        else if (res.tasks_done > 1)
            snprintf(saved, sizeof saved, "tasks 1-%d are saved", res.tasks_done);
        char when[64];
        if (res.stopped_task >= 0)
            snprintf(when, sizeof when, "during task %d", res.stopped_task + 1);
        else if (res.tasks_done == 0) /* in the pretrained model's held-out evaluation */
            snprintf(when, sizeof when, "before task 1");
        else snprintf(when, sizeof when, "after task %d", res.tasks_done);
        char q[8200];
        segp_shell_quote(res.dir, q, sizeof q);
        fprintf(stderr, "\nsegp: stopped %s; %s in %s.\ncontinue with: segp resume %s\n", when,
                saved, res.dir, q);
    } else {
        fprintf(o, "run directory: %s (metrics.jsonl, accuracy_matrix.csv, tasks/NN/)\n",
                res.dir);
    }
    cl_runner_free(r);
    return rc == 1 ? 130 : 0;
}

static void run_usage(void) {
    cl_config d = cl_config_default();
    int n;
    const cfg_field *f = cl_config_fields(&n);
    char *doc = cfg_doc(f, n, &d);
    printf("usage: segp run [CONFIG.json] [--set KEY=VALUE]... [--out DIR] [--jsonl] [--device D]\n"
           "                [--precision P]\n\n"
           "A continual-learning run: the benchmark's tasks in order, training (per the method)\n"
           "and evaluating on every seen class after each task. Writes a run directory (default\n"
           "runs/CONFIG-DATE-TIME, or -2, -3, ... after it when another run started the same\n"
           "second; never an existing one): config.json (resolved, with the\n"
           "model's SHA-256, class order, build, CPU, threads, OpenBLAS kernels), events.jsonl,\n"
           "config.json.sha256, metrics.jsonl (Continual-CLIP schema), accuracy_matrix.npy/.csv\n"
           "(SeGP-CL also accuracy_matrix_clip.npy/.csv: the CLIP branch alone),\n"
           "tasks/NN/{lora.safetensors,eval.json,DONE} and the analytics' files (README lists\n"
           "them). Prints the accuracy matrix, A_t, Avg, Last, FWT, BWT, Forgetting, old/new\n"
           "accuracy, held-out zero-shot retention and wall times at the end.\n"
           "Ctrl-C (or SIGTERM) stops after the current step, or the current chunk of an\n"
           "evaluation, anchor build or prototype pass (exit 130); 'segp resume DIR' continues.\n\n"
           "  CONFIG      JSON config (keys below; default " DEFAULT_CONFIG ", taken from\n"
           "              segp's own folder, its source tree, when not under the current one)\n"
           "  --set KEY=VALUE  override one key of CONFIG (repeatable), checked as in the\n"
           "              file, e.g. --set acgd.lambda=50 --set benchmark.eval_split=val;\n"
           "              config.json records the values and resolved.overrides the --set list\n"
           "  --out DIR   run directory\n"
           "  --jsonl     events as JSON lines on stdout (progress then goes to stderr)\n"
           "  --device D  cpu, cuda or cuda:N (sets run.device; CUDA needs a `make CUDA=1`\n"
           "              build and a GPU)\n"
           "  --precision P  auto, fp32, tf32 or bf16 (sets run.precision)\n\n"
           "methods:");
    for (int i = 0; i < cl_method_count(); i++)
        printf("\n  %-10s %s", cl_method_at(i)->name, cl_method_at(i)->doc);
    printf("\n\nconfig keys (JSON; nested objects or dotted keys; an unknown key or one given "
           "twice is an error):\n%s",
           doc);
    free(doc);
}

/* --device D and --precision P checked on their own, before the config's checks, so that an
 * error names the flag the user typed, not the config key it sets (run.device / run.precision
 * keep their key where the value came from the config). P is tried on D, or on ON_DEVICE (the
 * config's device; NULL: unknown, P's name alone is checked). 0, or -1 + error. */
static int check_device_flags(const char *device, const char *precision, const char *on_device) {
    if (device) {
        if (segp_device_check_name(device, "--device") != 0) return -1;
        if (!segp_backend_get(device)) return segp_fail_prefix("--device: ");
        on_device = device;
    }
    if (!precision) return 0;
    segp_math math;
    if (strcmp(precision, "auto") && segp_math_parse(precision, "--precision", &math) != 0)
        return -1;
    if (!on_device) return 0;
    const segp_backend *be = segp_backend_get(on_device);
    if (!be) { /* the config's own device is reported by the config's checks, with its key */
        segp_clear_error();
        return 0;
    }
    return segp_backend_set_precision(be, precision, "--precision");
}

int cmd_run(int argc, char **argv) {
    const char *config = NULL, *out = NULL, *device = NULL, *precision = NULL;
    const char *sets[64];
    int n_sets = 0;
    cli_progress u = {isatty(fileno(stderr)), 0, NULL};
    for (int i = 1; i < argc; i++) {
        if (app_is_help(argv[i])) {
            run_usage();
            return 0;
        } else if (!strcmp(argv[i], "--set")) {
            if (n_sets == (int)(sizeof sets / sizeof sets[0]))
                return cli_usage_error("run", "more than %d --set", n_sets);
            if (!(sets[n_sets++] = cli_value(argc, argv, &i))) return 2;
        } else if (!strcmp(argv[i], "--out")) {
            if (!(out = cli_value(argc, argv, &i))) return 2;
            if (segp_check_path_length(out, RUNDIR_MAX_PATH) != 0) return app_report_error();
        } else if (!strcmp(argv[i], "--jsonl")) {
            u.jsonl = 1;
        } else if (!strcmp(argv[i], "--device")) {
            if (!(device = cli_value(argc, argv, &i))) return 2;
        } else if (!strcmp(argv[i], "--precision")) {
            if (!(precision = cli_value(argc, argv, &i))) return 2;
        } else if (argv[i][0] == '-') {
            return cli_unknown("run", argv[i]);
        } else if (!config) {
            config = argv[i];
        } else {
            return cli_usage_error("run", "one CONFIG only ('%s' and '%s')", config, argv[i]);
        }
    }
    char shipped[4096];
    if (!config) config = cli_shipped_path(DEFAULT_CONFIG, shipped, sizeof shipped);
    struct stat st;
    if (stat(config, &st) == 0 && S_ISDIR(st.st_mode)) { /* a run directory, likely */
        char cj[4200];
        snprintf(cj, sizeof cj, "%s/config.json", config);
        char q[16000], qc[17000]; /* the commands are for copying: quoted for the shell */
        segp_shell_quote(config, q, sizeof q);
        segp_shell_quote(cj, qc, sizeof qc);
        if (access(cj, F_OK) == 0)
            fprintf(stderr, "segp: error: %s is a run directory, not a config: segp resume %s "
                            "continues it; segp tui %s opens it; segp run %s runs its config "
                            "again\n", config, q, q, qc);
        else
            fprintf(stderr, "segp: error: %s is a folder, not a config (a JSON file)\n", config);
        return 1;
    }
    cl_config c = cl_config_default();
    if (cl_config_parse_file(config, &c) != 0) return app_report_error();
    cli_shipped_config_paths(config, &c);
    if (cl_config_set_all(&c, sets, n_sets) != 0) return app_report_error();
    if (check_device_flags(device, precision, c.device) != 0) return app_report_error();
    if (device) snprintf(c.device, sizeof c.device, "%s", device);
    if (precision) snprintf(c.precision, sizeof c.precision, "%s", precision);
    if (cl_config_check(&c) != 0) {
        segp_fail_prefix("%s%s: ", config, n_sets ? " with its --set overrides" : "");
        return app_report_error();
    }
    char dir[4096];
    if (out) snprintf(dir, sizeof dir, "%s", out);
    else if (cli_runs_folder() != 0) return app_report_error();
    else cli_default_run_dir(config, dir, sizeof dir);
    cli_stop_on_signals();
    cl_runner_params p = {.cb = cli_progress_event, .user = &u, .overrides = sets,
                          .n_overrides = n_sets, .free_dir = !out};
    cl_runner *r = cl_runner_new(&c, config, dir, &p);
    if (!r) {
        segp_fail_prefix("%s%s: ", config, n_sets ? " with its --set overrides" : "");
        return app_report_error();
    }
    cl_run_result res;
    cl_runner_result(r, &res);
    if (!u.jsonl) printf("run directory: %s\n", res.dir);
    fflush(stdout);
    return finish(r, cl_runner_run(r), &u);
}

int cmd_resume(int argc, char **argv) {
    const char *dir = NULL, *device = NULL, *precision = NULL;
    cli_progress u = {isatty(fileno(stderr)), 0, NULL};
    for (int i = 1; i < argc; i++) {
        if (app_is_help(argv[i])) {
            printf("usage: segp resume DIR [--jsonl] [--device D] [--precision P]\n\n"
                   "Continue the run in DIR after its last task with a DONE marker (a half-done\n"
                   "task restarts from its beginning; the numbers are those of an uninterrupted\n"
                   "run). A torn last line of events.jsonl is cut; a corrupt checkpoint or\n"
                   "eval.json of a finished task is refused with the file named. The model file\n"
                   "must have the SHA-256 recorded in DIR/config.json, and config.json the\n"
                   "SHA-256 recorded in DIR/config.json.sha256 (an edited config.json would mix\n"
                   "settings; eval refuses it too). A finished run (DIR/DONE)\n"
                   "is left as it is: nothing is run or written. One process writes a run at a\n"
                   "time: while another holds DIR/.lock, resume is refused, naming it.\n"
                   "--device/--precision run the rest elsewhere than the recorded run.device /\n"
                   "run.precision (the numbers then differ by that device's rounding).\n");
            return 0;
        } else if (!strcmp(argv[i], "--jsonl")) {
            u.jsonl = 1;
        } else if (!strcmp(argv[i], "--device")) {
            if (!(device = cli_value(argc, argv, &i))) return 2;
        } else if (!strcmp(argv[i], "--precision")) {
            if (!(precision = cli_value(argc, argv, &i))) return 2;
        } else if (argv[i][0] == '-') {
            return cli_unknown("resume", argv[i]);
        } else if (!dir) {
            dir = argv[i];
        } else {
            return cli_usage_error("resume", "one DIR only");
        }
    }
    if (!dir) return cli_usage_error("resume", "DIR is required");
    if (check_device_flags(device, precision, NULL) != 0) return app_report_error();
    /* a finished run is left as it is: resuming it would only append events */
    char done[4200];
    snprintf(done, sizeof done, "%s/DONE", dir);
    if (access(done, F_OK) == 0) {
        char q[4 * 4096 + 3]; /* the commands are for copying: DIR as one shell word */
        segp_shell_quote(dir, q, sizeof q);
        fprintf(u.jsonl ? stderr : stdout,
                "%s: the run has finished (%s exists); nothing to resume, nothing written.\n"
                "Its numbers are in %s/metrics.jsonl; segp eval %s re-evaluates its\n"
                "checkpoints, segp tui %s opens it.\n", dir, done, dir, q, q);
        return 0;
    }
    cli_stop_on_signals();
    char exe[4096];
    cl_runner_params p = {.cb = cli_progress_event, .user = &u, .device = device,
                          .precision = precision, .model_dir = cli_exe_dir(exe, sizeof exe)};
    cl_runner *r = cl_runner_open(dir, &p);
    if (!r) return app_report_error();
    return finish(r, cl_runner_run(r), &u);
}

int cmd_eval(int argc, char **argv) {
    const char *dir = NULL;
    cli_progress u = {isatty(fileno(stderr)), 0, NULL};
    for (int i = 1; i < argc; i++) {
        if (app_is_help(argv[i])) {
            printf("usage: segp eval DIR\n\n"
                   "Re-evaluate the saved checkpoint (tasks/NN/lora.safetensors) of every\n"
                   "finished task of the run in DIR, print the table, and say whether every\n"
                   "entry equals the saved counts (tasks/NN/eval.json). Nothing in DIR is\n"
                   "written, events.jsonl included. A config.json edited since the run\n"
                   "started (DIR/config.json.sha256 differs) is refused.\n");
            return 0;
        } else if (argv[i][0] == '-') {
            return cli_unknown("eval", argv[i]);
        } else if (!dir) {
            dir = argv[i];
        } else {
            return cli_usage_error("eval", "one DIR only");
        }
    }
    if (!dir) return cli_usage_error("eval", "DIR is required");
    cli_stop_on_signals();
    char exe[4096];
    cl_runner_params p = {.cb = cli_progress_event, .user = &u, .read_only = 1,
                          .model_dir = cli_exe_dir(exe, sizeof exe)};
    cl_runner *r = cl_runner_open(dir, &p);
    if (!r) return app_report_error();
    int differ = 0;
    int skipped = 0;
    int rc = cl_runner_reevaluate(r, &differ, &skipped);
    if (rc < 0) {
        cl_runner_free(r);
        return app_report_error();
    }
    cl_run_result res;
    cl_runner_result(r, &res);
    print_table(stdout, &res);
    if (rc == 0 && skipped)
        printf("re-evaluation: %d finished task%s kept no checkpoint (run.keep_checkpoints "
               "\"last\"); %s saved row%s stand%s\n", skipped, skipped == 1 ? "" : "s",
               skipped == 1 ? "its" : "their", skipped == 1 ? "" : "s", skipped == 1 ? "s" : "");
    if (rc == 0 && !differ)
        printf("re-evaluation: every entry equals the saved counts (tasks/NN/eval.json)\n");
    else if (rc == 0)
        printf("re-evaluation: %d %s from the saved counts (tasks/NN/eval.json): "
               "another build, thread count, OpenBLAS kernel set or model?\n", differ,
               differ == 1 ? "entry differs" : "entries differ");
    cl_runner_free(r);
    return rc == 1 ? 130 : 0;
}
