/* cli_util.c: option parsing helpers, the shapes table, and continual runs' progress output
 * and Ctrl-C handling. */
#include "cli_util.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cl/cl_config.h"
#include "core/common.h"
#include "model/zeroshot.h"

const char *cli_value(int argc, char **argv, int *i) {
    if (*i + 1 >= argc) {
        fprintf(stderr, "segp: error: option %s needs a value\n", argv[*i]);
        return NULL;
    }
    return argv[++*i];
}

int cli_int(const char *opt, const char *s, long lo, long hi, int *out) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (!*s || *end || errno || v < lo || v > hi) {
        fprintf(stderr, "segp: error: %s '%s' is not an integer in [%ld, %ld]\n", opt, s, lo, hi);
        return -1;
    }
    *out = (int)v;
    return 0;
}

int cli_unknown(const char *cmd, const char *opt) {
    fprintf(stderr, "segp: error: unknown option '%s' (see 'segp %s --help')\n", opt, cmd);
    return 2;
}

int cli_usage_error(const char *cmd, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "segp: error: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, " (see 'segp %s --help')\n", cmd);
    va_end(ap);
    return 2;
}

void cli_print_shapes_result(const shapes_zeroshot_result *r) {
    for (int t = 0; t < SHAPES_N_TASKS; t++) printf("  task %2d  %6.2f%%\n", t + 1, r->per_task[t]);
    printf("  overall  %6.2f%%   (standard renditions %.2f%%, hard renditions %.2f%%)\n",
           r->overall, r->standard, r->hard);
    cli_print_shapes_extras(r);
}

void cli_print_shapes_extras(const shapes_zeroshot_result *r) {
    printf("  by rendition:");
    for (int k = 0; k < SHAPES_N_RENDITIONS; k++)
        if (r->n_rendition[k]) printf(" %s %.1f", shapes_rendition_name(k), r->per_rendition[k]);
    printf("\n  by size:");
    for (int k = 0; k < SHAPES_N_SIZES; k++)
        printf(" %s %.1f", shapes_size_name(k), r->per_size[k]);
    printf("\n  errors: wrong colour on %.2f%% of images, wrong shape on %.2f%%\n", r->colour_wrong,
           r->shape_wrong);
}

/* ---- continual runs: progress output and Ctrl-C ---- */

static volatile sig_atomic_t stop_requested;
static void on_signal(int sig) {
    (void)sig;
    stop_requested = 1; /* the engine stops after the current step */
}

void cli_fmt_time(double s, char *buf, size_t n) {
    int k = (int)(s + 0.5);
    if (k >= 3600) snprintf(buf, n, "%d:%02d:%02d", k / 3600, k / 60 % 60, k % 60);
    else snprintf(buf, n, "%d:%02d", k / 60, k % 60);
}

/* "task 3/10 done: A_t 82.67  Avg 87.89  old 81.00  new 86.00  ..." from the metrics event. */
static void print_metrics_line(FILE *out, const char *pre, const segp_event *ev) {
    cJSON *m = cJSON_Parse(ev->json);
    fprintf(out, "%stask %d/%d done: ", pre, ev->task + 1, ev->num_tasks);
    static const char *keys[][2] = {{"acc", "A_t"}, {"avg_acc", "Avg"}, {"old_acc", "old"},
                                    {"new_acc", "new"}, {"zeroshot_next", "next zero-shot"},
                                    {"bwt", "BWT"}, {"forgetting", "Forgetting"},
                                    {"heldout_acc", "held-out"}};
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(m, keys[k][0]);
        if (cJSON_IsNumber(v)) fprintf(out, "%s%s %.2f", k ? "  " : "", keys[k][1], v->valuedouble);
    }
    fprintf(out, "\n");
    cJSON_Delete(m);
}

event_reply cli_progress_event(const segp_event *ev, void *user) {
    if (ev->kind == EV_POLL) return stop_requested ? EVENT_ABORT : EVENT_CONTINUE;
    const cli_progress *u = user;
    const char *pre = u->prefix ? u->prefix : "";
    if (u->jsonl) {
        char *s = event_to_json(ev);
        printf("%s\n", s);
        fflush(stdout);
        free(s);
    }
    FILE *out = u->jsonl ? stderr : (u->tty ? stderr : stdout);
    char eta[32];
    switch (ev->kind) {
    case EV_STEP: {
        cli_fmt_time(ev->eta_s, eta, sizeof eta);
        char loss[160] = "";
        if (!strcmp(ev->phase, "train")) {
            int k = snprintf(loss, sizeof loss, "  loss %.4f", (double)ev->loss);
            for (int q = 0; ev->n_terms > 1 && q < ev->n_terms && k < (int)sizeof loss; q++)
                k += snprintf(loss + k, sizeof loss - (size_t)k, " %s %.4f", ev->term_names[q],
                              (double)ev->term_values[q]);
        }
        if (u->tty) {
            int w = 20, fill = ev->steps ? (int)(w * ev->step / ev->steps) : 0;
            char bar[32];
            for (int i = 0; i < w; i++) bar[i] = i < fill ? '#' : '.';
            bar[w] = 0;
            fprintf(stderr, "\r\033[K%stask %d/%d %-5s [%s] %lld/%lld%s  %.0f img/s  ETA %s",
                    pre, ev->task + 1, ev->num_tasks, ev->phase, bar, (long long)ev->step,
                    (long long)ev->steps, loss, ev->images_per_s, eta);
        } else if (!u->jsonl && !strcmp(ev->phase, "train") &&
                   (ev->step % 10 == 0 || ev->step == ev->steps)) {
            fprintf(out,
                    "%stask %d/%d train step %lld/%lld epoch %d/%d%s lr %.3g %.0f img/s ETA %s\n",
                    pre, ev->task + 1, ev->num_tasks, (long long)ev->step, (long long)ev->steps,
                    ev->epoch, ev->epochs, loss, (double)ev->lr, ev->images_per_s, eta);
        }
        break;
    }
    case EV_TASK_END:
        if (u->tty) fprintf(stderr, "\r\033[K");
        break;
    case EV_METRICS:
        if (!u->jsonl) {
            if (u->tty) fprintf(stderr, "\r\033[K");
            print_metrics_line(out, pre, ev);
        }
        break;
    case EV_INFO:
        if (!u->jsonl) {
            if (u->tty) fprintf(stderr, "\r\033[K");
            fprintf(out, "%s%s\n", pre, ev->text);
        }
        break;
    case EV_ERROR:
        if (u->tty) fprintf(stderr, "\r\033[K");
        break;
    default:
        break;
    }
    fflush(out);
    return stop_requested ? EVENT_ABORT : EVENT_CONTINUE;
}

void cli_stop_on_signals(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

int cli_stop_requested(void) { return stop_requested != 0; }

/* The folder of the running executable ("" when unknown). */
static void exe_dir(char *dir, size_t n) {
    char p[4096];
    ssize_t k = readlink("/proc/self/exe", p, sizeof p - 1);
    dir[0] = 0;
    if (k <= 0) return;
    p[k] = 0;
    char *slash = strrchr(p, '/');
    if (!slash || (size_t)(slash - p) >= n) return;
    *slash = 0;
    snprintf(dir, n, "%s", p[0] ? p : "/");
}

const char *cli_exe_dir(char *buf, size_t n) {
    exe_dir(buf, n);
    return buf;
}

const char *cli_shipped_path(const char *rel, char *buf, size_t n) {
    snprintf(buf, n, "%s", rel);
    if (rel[0] == '/' || access(rel, F_OK) == 0) return buf;
    char dir[4096];
    exe_dir(dir, sizeof dir);
    if (!dir[0]) return buf;
    char p[8200];
    snprintf(p, sizeof p, "%s/%s", dir, rel);
    if (access(p, F_OK) == 0 && strlen(p) < n) snprintf(buf, n, "%s", p);
    return buf;
}

void cli_shipped_config_paths(const char *config_path, cl_config *c) {
    char dir[4096];
    exe_dir(dir, sizeof dir);
    size_t dl = strlen(dir);
    if (!dl || strncmp(config_path, dir, dl) || config_path[dl] != '/') return;
    if (c->model[0] == '/' || access(c->model, F_OK) == 0) return;
    char p[8200];
    snprintf(p, sizeof p, "%s/%s", dir, c->model);
    size_t len = strlen(p); /* checked, so a copy (snprintf here warns at -O1) */
    if (access(p, F_OK) == 0 && len < sizeof c->model) memcpy(c->model, p, len + 1);
}

void cli_default_run_dir(const char *config, char *out, size_t n) {
    const char *base = strrchr(config, '/');
    base = base ? base + 1 : config;
    char name[128];
    snprintf(name, sizeof name, "%s", base);
    char *dot = strrchr(name, '.');
    if (dot) *dot = 0;
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    char stamp[32];
    strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
    mkdir("runs", 0755);
    snprintf(out, n, "runs/%s-%s", name, stamp);
    struct stat st;
    for (int k = 2; stat(out, &st) == 0 && k < 1000; k++)
        snprintf(out, n, "runs/%s-%s-%d", name, stamp, k);
}

int cli_runs_folder(void) {
    struct stat st;
    if (mkdir("runs", 0755) != 0 && errno != EEXIST)
        return SEGP_FAIL("runs: cannot create the folder for new run directories here: %s "
                         "(choose the run directory with --out)", strerror(errno));
    if (stat("runs", &st) != 0 || !S_ISDIR(st.st_mode))
        return SEGP_FAIL("runs: not a folder, so no run directory can go under it (choose the "
                         "run directory with --out)");
    return 0;
}

int cli_check_out_file(const char *path) {
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return SEGP_FAIL("%s: is a folder (expected a file name to write)", path);
    char dir[4096];
    const char *slash = strrchr(path, '/');
    if (!slash) snprintf(dir, sizeof dir, ".");
    else if (slash == path) snprintf(dir, sizeof dir, "/");
    else snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    if (stat(dir, &st) != 0)
        return SEGP_FAIL("%s: cannot write there: %s: %s", path, dir, strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return SEGP_FAIL("%s: cannot write there: %s is not a folder", path, dir);
    if (access(dir, W_OK) != 0)
        return SEGP_FAIL("%s: cannot write there: %s: %s", path, dir, strerror(errno));
    return 0;
}

int cli_check_out_not_input(const char *out, const char *in, const char *what) {
    struct stat so, si;
    if (!in || stat(out, &so) != 0 || stat(in, &si) != 0) return 0;
    if (so.st_dev != si.st_dev || so.st_ino != si.st_ino) return 0;
    return SEGP_FAIL("%s: is the input %s %s; writing the output there would replace it "
                     "(choose another output file)", out, what, in);
}

int cli_check_text(const char *path, const void *data, size_t n) {
    const char *nul = memchr(data, 0, n);
    if (!nul) return 0;
    return SEGP_FAIL("%s: byte %zu is a NUL: not UTF-8 text (UTF-16? 'iconv -f UTF-16 -t UTF-8' "
                     "converts it)", path, (size_t)(nul - (const char *)data));
}
