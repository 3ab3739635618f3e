/* figure.c: the figure catalogue and its entry points (figure.h): finding a figure, checking that
 * a run holds its data, drawing it into PNG/SVG/PDF with provenance, writing figure and data
 * atomically, comparisons of several runs, and every figure of a run at once. */
#include "export/figure.h"

#include <errno.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/common.h"
#include "export/draw.h"
#include "export/figure_impl.h"

/* name, what, per task, comparable, default width x height (inches), check, draw */
#define FIGURES(X)                                                                          \
    X("simmat-text", "text x text cosine similarities of the seen classes (--state)", 1, 0,  \
      7.2, 6.4, fig_simmat_check, fig_simmat_text_draw)                                     \
    X("simmat-cross", "image class means x text cosine similarities, 'pt' (--state)", 1, 0,  \
      7.2, 6.4, fig_simmat_check, fig_simmat_cross_draw)                                    \
    X("simmat-proto", "image class means x class means cosine similarities, 'pp' (--state)", \
      1, 0, 7.2, 6.4, fig_simmat_check, fig_simmat_proto_draw)                              \
    X("simmat-diff", "student - teacher or - pretrained similarities (--against, --matrix)", \
      1, 0, 7.2, 6.4, fig_simmat_diff_check, fig_simmat_diff_draw)                          \
    X("projection", "PCA or t-SNE (--space) of test images, texts, prototypes and anchors",  \
      1, 0, 7.0, 5.0, fig_projection_check, fig_projection_draw)                            \
    X("accuracy-matrix", "accuracy (%) on task j after training task i, values in the cells", \
      0, 0, 6.0, 5.2, fig_accuracy_matrix_check, fig_accuracy_matrix_draw)                  \
    X("accuracy-curve", "A_t, average, old- and new-class accuracy per task (--compare: A_t)", \
      0, 1, 6.0, 4.0, fig_accuracy_curve_check, fig_accuracy_curve_draw)                    \
    X("drift-interface", "mean drift per interface-distance bin, old and new, boundary/core " \
      "ratio", 1, 0, 6.0, 4.6, fig_drift_check, fig_drift_draw)                             \
    X("anchor-losses", "the two PGD objectives per step, mean and 10th-90th percentiles over " \
      "anchors", 1, 0, 7.5, 3.4, fig_anchor_losses_check, fig_anchor_losses_draw)

#define AS_INFO(name, what, per_task, comparable, w, h, check, draw) \
    {name, what, per_task, comparable, w, h},
#define AS_DEF(name, what, per_task, comparable, w, h, check, draw) \
    {{name, what, per_task, comparable, w, h}, check, draw},
static const figure_info infos[] = {FIGURES(AS_INFO)};
static const fig_def defs[] = {FIGURES(AS_DEF)};
#define N_DEFS (int)(sizeof defs / sizeof defs[0])

const figure_info *figure_list(int *n) {
    *n = N_DEFS;
    return infos;
}

static const fig_def *def_find(const char *name) {
    for (int i = 0; name && i < N_DEFS; i++)
        if (!strcmp(defs[i].info.name, name)) return &defs[i];
    return NULL;
}

const figure_info *figure_find(const char *name) {
    int n;
    const figure_info *l = figure_list(&n);
    for (int i = 0; name && i < n; i++)
        if (!strcmp(l[i].name, name)) return &l[i];
    return NULL;
}

static int fail_unknown(const char *name) {
    char list[512] = "";
    for (int i = 0; i < N_DEFS; i++) {
        if (i) strncat(list, ", ", sizeof list - strlen(list) - 1);
        strncat(list, defs[i].info.name, sizeof list - strlen(list) - 1);
    }
    return SEGP_FAIL("unknown figure '%s' (figures: %s)", name ? name : "", list);
}

void figure_options_default(figure_options *o) {
    memset(o, 0, sizeof *o);
    o->format = FIG_PNG;
    o->dpi = 300;
    o->state = RUN_STATE_STUDENT;
    o->against = RUN_STATE_TEACHER;
    o->matrix = FIG_MATRIX_TEXT;
    o->space = FIG_SPACE_PCA;
    o->write_data = 1;
}

const char *fig_format_ext(fig_format f) {
    return f == FIG_SVG ? "svg" : f == FIG_PDF ? "pdf" : "png";
}

int fig_format_parse(const char *s) {
    if (!s) return -1;
    /* any case: "fig.PNG" is a PNG (it was refused, and with --format svg written as SVG) */
    if (!strcasecmp(s, "png")) return FIG_PNG;
    if (!strcasecmp(s, "svg")) return FIG_SVG;
    if (!strcasecmp(s, "pdf")) return FIG_PDF;
    return -1;
}

static const char *const state_tags[RUN_STATES] = {"pretrained", "teacher", "student"};
static const char *const matrix_tags[3] = {"text", "cross", "proto"};

void figure_default_name(const char *figure, int task, const figure_options *o, char *buf,
                         size_t n) {
    figure_options def;
    if (!o) {
        figure_options_default(&def);
        o = &def;
    }
    const char *ext = fig_format_ext(o->format);
    const fig_def *d = def_find(figure);
    if (d && !d->info.per_task) {
        int clip = o->clip_branch && !strcmp(figure, "accuracy-matrix");
        snprintf(buf, n, "%s%s.%s", figure, clip ? "-clip" : "", ext);
        return;
    }
    char variant[64] = "";
    if (d && !strcmp(figure, "simmat-diff"))
        snprintf(variant, sizeof variant, "-%s-%s",
                 state_tags[o->against == RUN_STATE_PRE ? RUN_STATE_PRE : RUN_STATE_TEACHER],
                 matrix_tags[o->matrix >= 0 && o->matrix <= 2 ? o->matrix : 0]);
    else if (d && !strcmp(figure, "projection"))
        snprintf(variant, sizeof variant, "-%s", o->space == FIG_SPACE_TSNE ? "tsne" : "pca");
    else if (d && !strncmp(figure, "simmat-", 7) && o->state != RUN_STATE_STUDENT &&
             o->state >= 0 && o->state < RUN_STATES)
        snprintf(variant, sizeof variant, "-%s", state_tags[o->state]);
    snprintf(buf, n, "%s%s-t%02d.%s", figure, variant, task + 1, ext);
}

const char *fig_method_name(const char *m) {
    if (!m) return "?";
    if (!strcmp(m, "segp")) return "SeGP-CL";
    if (!strcmp(m, "finetune")) return "Fine-tune";
    if (!strcmp(m, "zeroshot")) return "Zero-shot";
    if (!strcmp(m, "joint")) return "Joint";
    return m;
}

const char *fig_run_id(const run_record *r) {
    static _Thread_local char buf[256];
    const char *d = r->dir ? r->dir : "";
    size_t n = strlen(d);
    while (n > 1 && d[n - 1] == '/') n--;
    size_t s = n;
    while (s > 0 && d[s - 1] != '/') s--;
    snprintf(buf, sizeof buf, "%.*s", (int)(n - s), d + s);
    return buf;
}

const char *fig_analytics_absent(const run_record *r) {
    return r->analytics_off ? "the run was made with analytics.enabled false (its config.json); "
                              "a run with analytics on saves it"
                            : "the file is missing, though the run's config.json has analytics "
                              "on";
}

void fig_run_desc(const run_record *r, char *buf, size_t n) {
    int val = r->eval_split && strcmp(r->eval_split, "test");
    snprintf(buf, n, "%s, %s %s%s", fig_method_name(r->method), r->benchmark ? r->benchmark : "?",
             r->task_split ? r->task_split : "", val ? " (validation split)" : "");
}

/* ---- checks ---- */

static int check_task(const run_record *r, int task) {
    if (r->tasks_done < 1)
        return SEGP_FAIL("%s: no task has finished yet (no tasks/NN/DONE)", r->dir);
    if (task < 0 || task >= r->tasks_done)
        return SEGP_FAIL("task %d out of range: %s has finished tasks 1..%d (of %d)", task + 1,
                         r->dir, r->tasks_done, r->num_tasks);
    return 0;
}

static int check_with(const fig_def *d, const run_record *r, const run_task_data *td, int task,
                      const figure_options *o) {
    fig_ctx c = {.r = r, .td = td, .task = task, .o = o};
    if (d->info.per_task && td->task != task)
        return SEGP_FAIL("figure %s: the loaded state is task %d's, not task %d's", d->info.name,
                         td->task + 1, task + 1);
    if (d->check(&c) != 0) return segp_fail_prefix("%s: ", d->info.name);
    return 0;
}

int figure_check(const run_record *r, const run_task_data *td, const char *figure, int task,
                 const figure_options *o) {
    figure_options def;
    if (!o) {
        figure_options_default(&def);
        o = &def;
    }
    const fig_def *d = def_find(figure);
    if (!d) return fail_unknown(figure);
    if (!d->info.per_task) return check_with(d, r, NULL, -1, o);
    if (check_task(r, task) != 0) return -1;
    if (td) return check_with(d, r, td, task, o);
    run_task_data own;
    if (run_task_load(r, task, &own) != 0) return -1;
    int rc = check_with(d, r, &own, task, o);
    run_task_data_free(&own);
    return rc;
}

/* ---- drawing and writing ---- */

/* OUT_PATH's data file: its stem + ".csv". */
static int data_path(const char *out, char *buf, size_t n) {
    const char *slash = strrchr(out, '/');
    const char *dot = strrchr(out, '.');
    size_t stem = dot && (!slash || dot > slash + 1) ? (size_t)(dot - out) : strlen(out);
    if (dot && (!slash || dot > slash) && !strcmp(dot, ".csv"))
        return SEGP_FAIL("%s: a figure cannot be named .csv (its data goes there)", out);
    if (stem + 5 > n) return SEGP_FAIL("%s: path too long", out);
    snprintf(buf, n, "%.*s.csv", (int)stem, out);
    return 0;
}

/* D drawn for C on a canvas CV of C's size in FORMAT (C->csv filled), each string's box into
 * LOG (may be NULL). */
static int draw_canvas(const fig_def *d, const fig_ctx *c, fig_format format, fig_text_log *log,
                       fig_canvas *cv) {
    const figure_options *o = c->o;
    double w = o->width_in > 0 ? o->width_in : d->info.w_in;
    double h = o->height_in > 0 ? o->height_in : d->info.h_in;
    if (fig_canvas_begin(cv, format, w, h, o->dpi) != 0) return -1;
    /* below the smallest size the layouts hold their text at (a one-column figure), the
     * figure is drawn at that size and scaled down whole: text, marks and lines shrink
     * together, as when a document scales a larger figure, instead of running off the edges */
    double s = fmin(1.0, fmin(w / FIG_LAYOUT_MIN_W_IN, h / FIG_LAYOUT_MIN_H_IN));
    if (s < 1) cairo_scale(cv->cr, s, s);
    if (log) fig_text_log_attach(cv->cr, log);
    d->draw(c, cv->cr, cv->w_pt / s, cv->h_pt / s);
    if (log) fig_text_log_attach(cv->cr, NULL);
    return 0;
}

/* D laid out for C (its CSV made and dropped), each string's box into LOG and the page's size
 * into *W_PT x *H_PT: what the layout tests read, without a file. */
static int layout_only(const fig_def *d, const fig_ctx *c, fig_text_log *log, double *w_pt,
                       double *h_pt) {
    fig_bytes csv = {0};
    fig_ctx cc = *c;
    cc.csv = &csv;
    fig_canvas cv;
    int rc = draw_canvas(d, &cc, FIG_PDF, log, &cv);
    if (rc == 0) {
        *w_pt = cv.w_pt;
        *h_pt = cv.h_pt;
        fig_canvas_discard(&cv);
    }
    fig_bytes_free(&csv);
    return rc;
}

static int render(const fig_def *d, const fig_ctx *c, const char *runs_desc, const char *hashes,
                  const char *task_desc, const char *out_path) {
    const figure_options *o = c->o;
    char csv_path[4096];
    if (o->write_data && data_path(out_path, csv_path, sizeof csv_path) != 0) return -1;
    fig_canvas cv;
    fig_bytes csv = {0};
    fig_ctx cc = *c;
    cc.csv = &csv;
    if (draw_canvas(d, &cc, o->format, NULL, &cv) != 0) return segp_fail_prefix("%s: ", out_path);

    char software[128], title[160], desc[1024];
    snprintf(software, sizeof software, "segp %s (build %s)", SEGP_VERSION_STRING,
             segp_build_id());
    snprintf(title, sizeof title, "segp figure %s", d->info.name);
    snprintf(desc, sizeof desc, "%s of run %s, task %s, config sha256 %s", d->info.name,
             runs_desc, task_desc, hashes);
    const fig_meta meta[] = {
        {"Title", title},           {"Figure", d->info.name}, {"Run", runs_desc},
        {"Config SHA-256", hashes}, {"Task", task_desc},      {"Version", software + 5},
        {"Software", software},     {"Description", desc},
    };
    fig_bytes img = {0};
    if (fig_canvas_encode(&cv, meta, (int)(sizeof meta / sizeof meta[0]), &img) != 0) {
        fig_bytes_free(&csv);
        return segp_fail_prefix("%s: ", out_path);
    }
    int rc = 0;
    if (o->write_data) rc = segp_write_file_atomic(csv_path, csv.p ? csv.p : (uint8_t *)"", csv.n);
    if (rc == 0 && segp_write_file_atomic(out_path, img.p, img.n) != 0) {
        if (o->write_data) unlink(csv_path); /* the pair, or nothing */
        rc = -1;
    }
    fig_bytes_free(&csv);
    fig_bytes_free(&img);
    return rc;
}

/* FIGURE of task TASK of R with options O, as figure_export: written to OUT_PATH, or with LOG
 * only drawn, its strings' boxes into LOG and the page's size into *W_PT, *H_PT. */
static int export_or_log(const run_record *r, const run_task_data *td, const char *figure,
                         int task, const figure_options *o, const char *out_path,
                         fig_text_log *log, double *w_pt, double *h_pt) {
    figure_options def;
    if (!o) {
        figure_options_default(&def);
        o = &def;
    }
    const fig_def *d = def_find(figure);
    if (!d) return fail_unknown(figure);
    if (!log && (!out_path || !*out_path))
        return SEGP_FAIL("figure %s: no output file given", figure);
    run_task_data own;
    int loaded = 0;
    if (d->info.per_task) {
        if (check_task(r, task) != 0) return -1;
        if (!td) {
            if (run_task_load(r, task, &own) != 0) return -1;
            td = &own;
            loaded = 1;
        }
    } else {
        td = NULL;
        task = -1;
    }
    int rc = check_with(d, r, td, task, o);
    if (rc == 0 && log) {
        fig_ctx c = {.r = r, .td = td, .task = task, .o = o};
        rc = layout_only(d, &c, log, w_pt, h_pt);
    } else if (rc == 0) {
        fig_ctx c = {.r = r, .td = td, .task = task, .o = o};
        char task_desc[32];
        if (task >= 0)
            snprintf(task_desc, sizeof task_desc, "%d", task + 1);
        else
            snprintf(task_desc, sizeof task_desc, "all (1-%d)", r->tasks_done);
        rc = render(d, &c, fig_run_id(r), r->config_sha256 ? r->config_sha256 : "", task_desc,
                    out_path);
    }
    if (loaded) run_task_data_free(&own);
    return rc;
}

int figure_export(const run_record *r, const run_task_data *td, const char *figure, int task,
                  const figure_options *o, const char *out_path) {
    return export_or_log(r, td, figure, task, o, out_path, NULL, NULL, NULL);
}

int figure_text_layout(const run_record *r, const run_task_data *td, const char *figure,
                       int task, const figure_options *o, fig_text_log *log, double *w_pt,
                       double *h_pt) {
    return export_or_log(r, td, figure, task, o, NULL, log, w_pt, h_pt);
}

/* The runs RUNS[0..N-1] overlaid in FIGURE, as figure_export_compare: written to OUT_PATH, or
 * with LOG only drawn, as export_or_log. */
static int compare_or_log(const run_record *const *runs, const char *const *labels, int n,
                          const char *figure, const figure_options *o, const char *out_path,
                          fig_text_log *log, double *w_pt, double *h_pt) {
    figure_options def;
    if (!o) {
        figure_options_default(&def);
        o = &def;
    }
    const fig_def *d = def_find(figure);
    if (!d) return fail_unknown(figure);
    if (!d->info.comparable) {
        char list[256] = "";
        for (int i = 0; i < N_DEFS; i++)
            if (defs[i].info.comparable) {
                if (list[0]) strncat(list, ", ", sizeof list - strlen(list) - 1);
                strncat(list, defs[i].info.name, sizeof list - strlen(list) - 1);
            }
        return SEGP_FAIL("figure %s cannot overlay runs (comparable figures: %s)", figure, list);
    }
    if (n < 1) return SEGP_FAIL("figure %s: no runs to compare", figure);
    if (!log && (!out_path || !*out_path))
        return SEGP_FAIL("figure %s: no output file given", figure);

    /* legend names: the given ones; else the method, or the folder where methods repeat */
    const char **names = segp_calloc((size_t)n, sizeof *names);
    for (int i = 0; i < n; i++) {
        if (labels && labels[i] && *labels[i]) {
            names[i] = segp_strdup(labels[i]);
            continue;
        }
        int dup = 0;
        for (int j = 0; j < n; j++)
            if (j != i && runs[i]->method && runs[j]->method &&
                !strcmp(runs[i]->method, runs[j]->method))
                dup = 1;
        names[i] = segp_strdup(dup ? fig_run_id(runs[i]) : fig_method_name(runs[i]->method));
    }
    fig_ctx c = {.r = runs[0], .task = -1, .o = o, .runs = runs, .labels = names, .n_runs = n};
    int rc = d->check(&c);
    if (rc != 0) segp_fail_prefix("%s: ", figure);
    if (rc == 0 && log) {
        rc = layout_only(d, &c, log, w_pt, h_pt);
    } else if (rc == 0) {
        fig_bytes ids = {0}, hashes = {0};
        for (int i = 0; i < n; i++) {
            fig_bytes_printf(&ids, "%s%s", i ? ", " : "", fig_run_id(runs[i]));
            fig_bytes_printf(&hashes, "%s%s", i ? ", " : "",
                             runs[i]->config_sha256 ? runs[i]->config_sha256 : "");
        }
        rc = render(d, &c, (char *)ids.p, (char *)hashes.p, "all", out_path);
        fig_bytes_free(&ids);
        fig_bytes_free(&hashes);
    }
    for (int i = 0; i < n; i++) free((char *)names[i]);
    free(names);
    return rc;
}

int figure_export_compare(const run_record *const *runs, const char *const *labels, int n,
                          const char *figure, const figure_options *o, const char *out_path) {
    return compare_or_log(runs, labels, n, figure, o, out_path, NULL, NULL, NULL);
}

int figure_compare_text_layout(const run_record *const *runs, const char *const *labels, int n,
                               const char *figure, const figure_options *o,
                               fig_text_log *log, double *w_pt, double *h_pt) {
    return compare_or_log(runs, labels, n, figure, o, NULL, log, w_pt, h_pt);
}

/* ---- every figure of a run ---- */

typedef struct {
    const fig_def *d;
    int task;
    figure_options o;
    char file[128];
    int status;           /* 0 written, 1 skipped, -1 failed */
    char msg[512];
} all_job;

static void add_job(all_job **jobs, int *n, int *cap, const fig_def *d, int task,
                    const figure_options *o) {
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 64;
        *jobs = segp_realloc(*jobs, sizeof **jobs * (size_t)*cap);
    }
    all_job *j = &(*jobs)[(*n)++];
    memset(j, 0, sizeof *j);
    j->d = d;
    j->task = task;
    j->o = *o;
    figure_default_name(d->info.name, task, o, j->file, sizeof j->file);
}

static void run_job(const run_record *r, const run_task_data *td, const char *dir, all_job *j) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, j->file);
    const run_task_data *use = j->d->info.per_task ? td : NULL;
    if (check_with(j->d, r, use, j->d->info.per_task ? j->task : -1, &j->o) != 0) {
        j->status = 1;
        snprintf(j->msg, sizeof j->msg, "%s", segp_last_error());
        return;
    }
    if (figure_export(r, use, j->d->info.name, j->task, &j->o, path) != 0) {
        j->status = -1;
        snprintf(j->msg, sizeof j->msg, "%s", segp_last_error());
    }
}

/* Figures that compare with the teacher (the state at the start of a task) or show old
 * classes have nothing to draw at task 1, in every run: --all does not try them there. */
static int needs_old_classes(const fig_def *d, const figure_options *o) {
    if (!strcmp(d->info.name, "simmat-diff")) return o->against == RUN_STATE_TEACHER;
    return !strcmp(d->info.name, "drift-interface") || !strcmp(d->info.name, "anchor-losses");
}

int figure_export_all(const run_record *r, const char *dir, const figure_options *o, int threads,
                      figure_skip_fn on_skip, void *user, int *written, int *skipped) {
    figure_options base;
    if (!o) figure_options_default(&base);
    else base = *o;
    if (written) *written = 0;
    if (skipped) *skipped = 0;
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return SEGP_FAIL("%s: cannot create the figure folder: %s", dir, strerror(errno));
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return SEGP_FAIL("%s: not a folder", dir);

    all_job *jobs = NULL;
    int nj = 0, cap = 0;
    for (int i = 0; i < N_DEFS; i++)
        if (!defs[i].info.per_task) add_job(&jobs, &nj, &cap, &defs[i], -1, &base);
    const int first_task_job = nj;
    for (int t = 0; t < r->tasks_done; t++)
        for (int i = 0; i < N_DEFS; i++) {
            const fig_def *d = &defs[i];
            if (!d->info.per_task) continue;
            figure_options v = base;
            if (!strcmp(d->info.name, "simmat-diff")) {
                for (int m = 0; m < 3; m++)
                    for (int a = 0; a < 2; a++) {
                        v.matrix = (fig_matrix)m;
                        v.against = a ? RUN_STATE_PRE : RUN_STATE_TEACHER;
                        if (t > 0 || !needs_old_classes(d, &v)) add_job(&jobs, &nj, &cap, d, t, &v);
                    }
            } else if (!strcmp(d->info.name, "projection")) {
                for (int s = 0; s < 2; s++) {
                    v.space = (fig_space)s;
                    add_job(&jobs, &nj, &cap, d, t, &v);
                }
            } else if (t > 0 || !needs_old_classes(d, &v)) {
                add_job(&jobs, &nj, &cap, d, t, &v);
            }
        }

    for (int j = 0; j < first_task_job; j++) run_job(r, NULL, dir, &jobs[j]);
    /* tasks in parallel, the largest (last) first; each thread loads its task's state once */
    const int T = r->tasks_done;
    int nthreads = threads > 0 ? threads : omp_get_max_threads();
    if (nthreads > T) nthreads = T > 0 ? T : 1;
#pragma omp parallel for schedule(dynamic, 1) num_threads(nthreads)
    for (int k = 0; k < T; k++) {
        int t = T - 1 - k;
        run_task_data td;
        int loaded = run_task_load(r, t, &td) == 0;
        char err[512];
        if (!loaded) snprintf(err, sizeof err, "%s", segp_last_error());
        for (int j = first_task_job; j < nj; j++) {
            if (jobs[j].task != t) continue;
            if (!loaded) {
                jobs[j].status = -1;
                snprintf(jobs[j].msg, sizeof jobs[j].msg, "%s", err);
                continue;
            }
            run_job(r, &td, dir, &jobs[j]);
        }
        if (loaded) run_task_data_free(&td);
    }

    int rc = 0;
    for (int j = 0; j < nj; j++) {
        if (jobs[j].status == 0) {
            if (written) (*written)++;
        } else if (jobs[j].status == 1) {
            if (skipped) (*skipped)++;
            if (on_skip) on_skip(user, jobs[j].file, jobs[j].msg);
        } else if (rc == 0) {
            rc = SEGP_FAIL("%s", jobs[j].msg);
        }
    }
    free(jobs);
    return rc;
}
