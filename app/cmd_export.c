/* cmd_export.c: `segp export`, the command line of the figure catalogue (export/figure.h): one
 * figure of a run, every figure of a run (--all), several runs overlaid (--compare), the list. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/common.h"
#include "export/figure.h"
#include "run/run_record.h"
#include "cli_util.h"
#include "commands.h"

#define MAX_COMPARE 32

static void usage(FILE *f) {
    fprintf(f,
            "usage: segp export RUN_DIR --figure NAME [--task N] [options]\n"
            "       segp export RUN_DIR --all [--out DIR] [options]\n"
            "       segp export --compare RUN_DIR... [--figure accuracy-curve] [--out FILE]\n"
            "       segp export --list\n\n"
            "Publication figures of a run directory as PNG, SVG or PDF, drawn by one code for\n"
            "the three formats (cairo; DejaVu Sans, embedded as TrueType in PDF). Each\n"
            "figure's data is written beside it (same name, .csv) to re-plot it. PNG files carry\n"
            "pHYs (their dpi) and tEXt provenance: Run (folder name), Config SHA-256, Task,\n"
            "Version, Figure, Software; PDF the same in its metadata, SVG in a comment. Every\n"
            "file is written atomically: a failed export leaves no file.\n\n"
            "actions:\n"
            "  --figure NAME      one figure (see --list)\n"
            "  --all              every figure of every finished task into RUN_DIR/figures/ (or\n"
            "                     --out DIR); figures a task lacks the data for are skipped and\n"
            "                     named; prints the count and the time it took\n"
            "  --compare DIR...   overlay the runs DIR... (and RUN_DIR if given) in one curve\n"
            "                     figure (default accuracy-curve: A_t per task of each run)\n"
            "  --list             the figures with a line each\n\n"
            "options:\n"
            "  --task N           task of a per-task figure, 1-based as in eval.json (default:\n"
            "                     the last finished task)\n"
            "  --format F         png (default), svg or pdf; default from --out's extension\n"
            "  --dpi D            PNG pixels per inch, 20..2400 (default 300; stored in pHYs)\n"
            "  --size WxH         figure size in INCHES, e.g. 7x5 (default: the figure's own;\n"
            "                     --list shows it). A PNG has round(W*D) x round(H*D) pixels, so\n"
            "                     --dpi changes the pixels and never the layout; SVG and PDF are\n"
            "                     W*72 x H*72 points. Below 3.3x2.6 (one column) the layout is\n"
            "                     drawn at that size and scaled down whole, type included\n"
            "  --out PATH         the figure file (default RUN_DIR/figures/<name>-tNN.<ext>; see\n"
            "                     --all for the names); with --all the folder\n"
            "  --state S          simmat-text/-cross/-proto: pre, teacher or student (default)\n"
            "  --against R        simmat-diff: student - teacher (default) or - pretrained\n"
            "  --matrix M         simmat-diff: text (text x text, default), cross (image class\n"
            "                     means x text) or proto (means x means)\n"
            "  --space S          projection: pca (default) or tsne\n"
            "  --branch B         accuracy-matrix: full (the prediction, default) or clip (the\n"
            "                     CLIP branch alone of a dual-path run; -clip in the name)\n"
            "  --labels A,B,...   --compare: legend names in the order of the runs (default: the\n"
            "                     method, or the folder name where two runs share a method;\n"
            "                     names too long for the legend lose the start and end all\n"
            "                     share, else are cut in the middle; the .csv has them whole)\n"
            "  --threads N        --all: tasks drawn at once (default: OMP_NUM_THREADS or all\n"
            "                     cores)\n"
            "  --no-data          no .csv beside the figure\n\n"
            "--all writes: accuracy-matrix, accuracy-curve; per task NN: simmat-text-tNN,\n"
            "simmat-cross-tNN, simmat-proto-tNN, simmat-diff-pretrained-{text,cross,proto}-tNN,\n"
            "simmat-diff-teacher-{text,cross,proto}-tNN (from task 2), projection-{pca,tsne}-tNN,\n"
            "drift-interface-tNN (from task 2), anchor-losses-tNN (methods with anchors, from\n"
            "task 2). A figure skipped at several tasks for want of data is one line.\n\n"
            "examples:\n"
            "  segp export runs/r1 --figure simmat-diff --task 10 --against pretrained \\\n"
            "      --format pdf\n"
            "  segp export runs/r1 --all --dpi 150\n"
            "  segp export --compare runs/segp runs/finetune --out acc.pdf\n");
}

static void list_figures(void) {
    int n;
    const figure_info *l = figure_list(&n);
    for (int i = 0; i < n; i++)
        printf("%-16s %s%s [%gx%g in]\n", l[i].name, l[i].what,
               l[i].per_task ? "" : " (whole run)", l[i].w_in, l[i].h_in);
}

static int parse_size(const char *s, double *w, double *h) {
    char *end;
    errno = 0;
    *w = strtod(s, &end);
    if (errno || end == s || (*end != 'x' && *end != 'X')) return -1;
    const char *p = end + 1;
    *h = strtod(p, &end);
    if (errno || end == p || *end) return -1;
    /* "nan" parses and fails every range check, which then let it through as the default */
    return isfinite(*w) && isfinite(*h) ? 0 : -1;
}

static int parse_double(const char *s, double *v) {
    char *end;
    errno = 0;
    *v = strtod(s, &end);
    return errno || end == s || *end || !isfinite(*v) ? -1 : 0;
}

static const char *ext_of(const char *path) {
    const char *slash = strrchr(path, '/'), *dot = strrchr(path, '.');
    return dot && (!slash || dot > slash) ? dot + 1 : NULL;
}

/* --all's skipped figures, one line per figure: a run without anchors skips anchor-losses at
 * every task, and ten lines saying so are noise. A group is a file name less its "-tNN". */
typedef struct {
    char stem[128], ext[16], why[512];
    int tasks[64], n;
} skip_group;

typedef struct {
    skip_group *g;
    int n, cap;
} skip_list;

/* FILE = STEM-tNN.EXT: 0 and the parts, else -1 (a figure of the whole run) */
static int split_task_name(const char *file, char *stem, size_t n, int *task, const char **ext) {
    const char *dot = strrchr(file, '.');
    if (!dot || dot - file < 4 || dot[-4] != '-' || dot[-3] != 't') return -1;
    if (dot[-2] < '0' || dot[-2] > '9' || dot[-1] < '0' || dot[-1] > '9') return -1;
    snprintf(stem, n, "%.*s", (int)(dot - 4 - file), file);
    *task = (dot[-2] - '0') * 10 + (dot[-1] - '0');
    *ext = dot + 1;
    return 0;
}

static void on_skip(void *user, const char *file, const char *why) {
    skip_list *l = user;
    char stem[128];
    const char *ext;
    int task;
    if (split_task_name(file, stem, sizeof stem, &task, &ext) != 0) {
        printf("  skipped %s: %s\n", file, why);
        return;
    }
    skip_group *g = NULL;
    for (int i = 0; i < l->n && !g; i++)
        if (!strcmp(l->g[i].stem, stem) && l->g[i].n < (int)(sizeof g->tasks / sizeof g->tasks[0]))
            g = &l->g[i];
    if (!g) {
        if (l->n == l->cap) {
            l->cap = l->cap ? 2 * l->cap : 8;
            l->g = segp_realloc(l->g, sizeof *l->g * (size_t)l->cap);
        }
        g = &l->g[l->n++];
        memset(g, 0, sizeof *g);
        snprintf(g->stem, sizeof g->stem, "%s", stem);
        snprintf(g->ext, sizeof g->ext, "%s", ext);
        snprintf(g->why, sizeof g->why, "%s", why);
    }
    g->tasks[g->n++] = task;
}

/* "2-4, 7": the tasks of G (in the order they came: ascending) */
static void print_task_ranges(const skip_group *g) {
    for (int i = 0; i < g->n;) {
        int j = i;
        while (j + 1 < g->n && g->tasks[j + 1] == g->tasks[j] + 1) j++;
        printf("%s%d", i ? ", " : "", g->tasks[i]);
        if (j > i) printf("-%d", g->tasks[j]);
        i = j + 1;
    }
}

static void print_skips(skip_list *l) {
    for (int i = 0; i < l->n; i++) {
        const skip_group *g = &l->g[i];
        if (g->n == 1) {
            printf("  skipped %s-t%02d.%s: %s\n", g->stem, g->tasks[0], g->ext, g->why);
            continue;
        }
        printf("  skipped %s-tNN.%s for tasks ", g->stem, g->ext);
        print_task_ranges(g);
        printf(" (task %d: %s)\n", g->tasks[0], g->why);
    }
    free(l->g);
}

/* Options of one figure that were given (GIVEN_*), to say which the figure does not use */
enum { GIVEN_TASK = 1, GIVEN_STATE = 2, GIVEN_AGAINST = 4, GIVEN_MATRIX = 8, GIVEN_SPACE = 16,
       GIVEN_BRANCH = 32 };

/* A note on stderr for each given option FIGURE does not use: drawn without it, silently, a
 * `--figure simmat-text --against pretrained` looked like the difference it asked for. */
static void note_unused(const figure_info *fi, int given) {
    static const struct {
        int bit;
        const char *opt, *used_by;
    } opts[] = {
        {GIVEN_STATE, "--state", "simmat-text, simmat-cross and simmat-proto"},
        {GIVEN_AGAINST, "--against", "simmat-diff"},
        {GIVEN_MATRIX, "--matrix", "simmat-diff"},
        {GIVEN_SPACE, "--space", "projection"},
        {GIVEN_BRANCH, "--branch", "accuracy-matrix"},
    };
    const char *f = fi->name;
    int simmat = !strcmp(f, "simmat-text") || !strcmp(f, "simmat-cross") ||
                 !strcmp(f, "simmat-proto");
    int uses[] = {simmat, !strcmp(f, "simmat-diff"), !strcmp(f, "simmat-diff"),
                  !strcmp(f, "projection"), !strcmp(f, "accuracy-matrix")};
    for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++)
        if ((given & opts[i].bit) && !uses[i])
            fprintf(stderr, "segp: note: %s is for %s; %s does not use it\n", opts[i].opt,
                    opts[i].used_by, f);
    if ((given & GIVEN_TASK) && !fi->per_task)
        fprintf(stderr, "segp: note: %s shows the whole run; --task is not used\n", f);
}

static int make_dir(const char *dir) {
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "segp: error: %s: cannot create: %s\n", dir, strerror(errno));
        return -1;
    }
    return 0;
}

int cmd_export(int argc, char **argv) {
    const char *run_dir = NULL, *figure = NULL, *out = NULL, *format_s = NULL, *labels_s = NULL;
    const char *compare[MAX_COMPARE];
    int n_compare = 0, all = 0, list = 0, comparing = 0, task1 = 0, threads = 0, given = 0;
    figure_options o;
    figure_options_default(&o);

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        if (app_is_help(a)) {
            usage(stdout);
            return 0;
        }
        if (a[0] != '-' || !a[1]) {
            if (comparing) {
                if (n_compare >= MAX_COMPARE)
                    return cli_usage_error("export", "at most %d runs to compare", MAX_COMPARE);
                compare[n_compare++] = a;
            } else if (!run_dir) {
                run_dir = a;
            } else {
                return cli_usage_error("export", "one RUN_DIR expected, got '%s' as well "
                                       "(several runs: --compare)", a);
            }
            continue;
        }
        comparing = 0;
        if (!strcmp(a, "--all")) {
            all = 1;
        } else if (!strcmp(a, "--list")) {
            list = 1;
        } else if (!strcmp(a, "--compare")) {
            comparing = 1;
        } else if (!strcmp(a, "--no-data")) {
            o.write_data = 0;
        } else if (!(v = cli_value(argc, argv, &i))) {
            return 2;
        } else if (!strcmp(a, "--figure")) {
            figure = v;
        } else if (!strcmp(a, "--task")) {
            if (cli_int("--task", v, 1, 100000, &task1) != 0) return 2;
            given |= GIVEN_TASK;
        } else if (!strcmp(a, "--format")) {
            format_s = v;
        } else if (!strcmp(a, "--dpi")) {
            if (parse_double(v, &o.dpi) != 0 || o.dpi < 20 || o.dpi > 2400)
                return cli_usage_error("export", "--dpi '%s': expected a number in 20..2400", v);
        } else if (!strcmp(a, "--size")) {
            if (parse_size(v, &o.width_in, &o.height_in) != 0 || o.width_in < 1 ||
                o.height_in < 1 || o.width_in > 40 || o.height_in > 40)
                return cli_usage_error("export", "--size '%s': expected WxH in inches, each "
                                       "1..40 (e.g. 7x5)", v);
        } else if (!strcmp(a, "--out")) {
            if (segp_check_path_length(v, 4000) != 0) return app_report_error();
            out = v;
        } else if (!strcmp(a, "--state")) {
            given |= GIVEN_STATE;
            if (!strcmp(v, "pre") || !strcmp(v, "pretrained")) o.state = RUN_STATE_PRE;
            else if (!strcmp(v, "teacher")) o.state = RUN_STATE_TEACHER;
            else if (!strcmp(v, "student")) o.state = RUN_STATE_STUDENT;
            else return cli_usage_error("export", "--state '%s': expected pre, teacher or "
                                        "student", v);
        } else if (!strcmp(a, "--against")) {
            given |= GIVEN_AGAINST;
            if (!strcmp(v, "teacher")) o.against = RUN_STATE_TEACHER;
            else if (!strcmp(v, "pretrained") || !strcmp(v, "pre")) o.against = RUN_STATE_PRE;
            else return cli_usage_error("export", "--against '%s': expected teacher or "
                                        "pretrained", v);
        } else if (!strcmp(a, "--matrix")) {
            given |= GIVEN_MATRIX;
            if (!strcmp(v, "text")) o.matrix = FIG_MATRIX_TEXT;
            else if (!strcmp(v, "cross")) o.matrix = FIG_MATRIX_CROSS;
            else if (!strcmp(v, "proto")) o.matrix = FIG_MATRIX_PROTO;
            else return cli_usage_error("export", "--matrix '%s': expected text, cross or "
                                        "proto", v);
        } else if (!strcmp(a, "--space")) {
            given |= GIVEN_SPACE;
            if (!strcmp(v, "pca")) o.space = FIG_SPACE_PCA;
            else if (!strcmp(v, "tsne") || !strcmp(v, "t-sne")) o.space = FIG_SPACE_TSNE;
            else return cli_usage_error("export", "--space '%s': expected pca or tsne", v);
        } else if (!strcmp(a, "--branch")) {
            given |= GIVEN_BRANCH;
            if (!strcmp(v, "full")) o.clip_branch = 0;
            else if (!strcmp(v, "clip")) o.clip_branch = 1;
            else return cli_usage_error("export", "--branch '%s': expected full or clip", v);
        } else if (!strcmp(a, "--labels")) {
            labels_s = v;
        } else if (!strcmp(a, "--threads")) {
            if (cli_int("--threads", v, 1, 256, &threads) != 0) return 2;
        } else {
            return cli_unknown("export", a);
        }
    }
    if (list) {
        list_figures();
        return 0;
    }

    /* one figure's --out is its file: a folder there was found only at the final rename ('cannot
     * rename into place: Is a directory'), or taken for a name without an extension */
    struct stat out_st;
    if (out && !all && stat(out, &out_st) == 0 && S_ISDIR(out_st.st_mode)) {
        size_t n = strlen(out);
        while (n > 1 && out[n - 1] == '/') n--;
        fprintf(stderr, "segp: error: --out %s is a folder; name the figure's file (e.g. "
                "%.*s/%s.png)%s%s\n", out, (int)n, out,
                n_compare ? "compare-accuracy-curve" : figure ? figure : "figure",
                n_compare ? "" : ", or use --all --out ", n_compare ? "" : out);
        return 1;
    }
    /* the format: --format, else --out's extension (not with --all: there --out is a folder) */
    if (format_s) {
        int f = fig_format_parse(format_s);
        if (f < 0) return cli_usage_error("export", "--format '%s': expected png, svg or pdf",
                                          format_s);
        o.format = (fig_format)f;
        const char *e = out && !all ? ext_of(out) : NULL;
        if (e && fig_format_parse(e) >= 0 && fig_format_parse(e) != f)
            return cli_usage_error("export", "--out '%s' ends in .%s but --format is %s", out, e,
                                   format_s);
    } else if (out && !all) {
        const char *e = ext_of(out);
        if (!e || fig_format_parse(e) < 0)
            return cli_usage_error("export", "--out '%s': name it .png, .svg or .pdf, or give "
                                   "--format", out);
        o.format = (fig_format)fig_format_parse(e);
    }
    /* a figure file's folder must be there (--all makes its folder): said before any work,
     * naming the folder, not the first file that could not be made */
    if (out && !all) {
        char parent[4096];
        snprintf(parent, sizeof parent, "%s", out);
        char *slash = strrchr(parent, '/');
        struct stat st;
        if (slash && slash != parent) {
            *slash = 0;
            if (stat(parent, &st) != 0) {
                fprintf(stderr, "segp: error: --out %s: there is no folder %s\n", out, parent);
                return 1;
            }
            if (!S_ISDIR(st.st_mode)) {
                fprintf(stderr, "segp: error: --out %s: %s is not a folder\n", out, parent);
                return 1;
            }
        }
    }

    if (n_compare) {
        if (all) return cli_usage_error("export", "--compare and --all do not go together");
        const char *dirs[MAX_COMPARE + 1];
        int n = 0;
        if (run_dir) dirs[n++] = run_dir;
        for (int i = 0; i < n_compare && n < MAX_COMPARE; i++) dirs[n++] = compare[i];
        if (!figure) figure = "accuracy-curve";
        char *labels_buf = labels_s ? segp_strdup(labels_s) : NULL;
        const char *labels[MAX_COMPARE + 1] = {0};
        int nl = 0;
        for (char *p = labels_buf, *tok; p && (tok = strsep(&p, ","));)
            if (nl < MAX_COMPARE + 1) labels[nl++] = tok;
        if (labels_buf && nl != n) {
            free(labels_buf);
            return cli_usage_error("export", "--labels has %d names for %d runs", nl, n);
        }
        run_record recs[MAX_COMPARE + 1];
        const run_record *ptrs[MAX_COMPARE + 1];
        int opened = 0, rc = 0;
        for (int i = 0; i < n; i++) {
            if (run_record_open(dirs[i], &recs[i]) != 0) {
                rc = app_report_error();
                break;
            }
            ptrs[i] = &recs[i];
            opened++;
            if (recs[i].config_note) fprintf(stderr, "segp: note: %s\n", recs[i].config_note);
        }
        char def_out[256];
        if (!rc && !out) {
            snprintf(def_out, sizeof def_out, "compare-%s.%s", figure, fig_format_ext(o.format));
            out = def_out;
        }
        if (!rc) {
            if (figure_export_compare(ptrs, labels_buf ? labels : NULL, n, figure, &o, out) != 0)
                rc = app_report_error();
            else
                printf("wrote %s%s\n", out, o.write_data ? " (and its .csv)" : "");
        }
        for (int i = 0; i < opened; i++) run_record_free(&recs[i]);
        free(labels_buf);
        return rc;
    }

    if (!run_dir) return cli_usage_error("export", "RUN_DIR missing");
    if (!all && !figure)
        return cli_usage_error("export", "say what to export: --figure NAME, --all or --list");
    if (all && figure)
        return cli_usage_error("export", "--all exports every figure; drop --figure");
    if (figure && !figure_find(figure)) {
        fprintf(stderr, "segp: error: unknown figure '%s'; the figures are:\n", figure);
        int n;
        const figure_info *l = figure_list(&n);
        for (int i = 0; i < n; i++) fprintf(stderr, "  %-16s %s\n", l[i].name, l[i].what);
        return 2;
    }

    run_record r;
    if (run_record_open(run_dir, &r) != 0) return app_report_error();
    /* the figures' provenance names config.json's SHA-256: say when it is not the run's own */
    if (r.config_note) fprintf(stderr, "segp: note: %s\n", r.config_note);
    int rc = 0;
    if (all) {
        /* --all draws every finished task and every variant of simmat-diff and projection:
         * dropped without a word, '--all --task 3' looked like task 3's figures */
        if (given & GIVEN_TASK)
            fprintf(stderr, "segp: note: --all draws every finished task; --task is not used "
                    "(one task's figure: --figure NAME --task N)\n");
        const char *dropped[3];
        int nd = 0;
        if (given & GIVEN_AGAINST) dropped[nd++] = "--against";
        if (given & GIVEN_MATRIX) dropped[nd++] = "--matrix";
        if (given & GIVEN_SPACE) dropped[nd++] = "--space";
        if (nd)
            fprintf(stderr, "segp: note: --all draws simmat-diff against both states for the "
                    "three matrices and projection in both spaces; %s%s%s%s%s %s not used\n",
                    dropped[0], nd > 2 ? ", " : nd > 1 ? " and " : "", nd > 1 ? dropped[1] : "",
                    nd > 2 ? " and " : "", nd > 2 ? dropped[2] : "", nd > 1 ? "are" : "is");
        char dir[4096];
        if (out)
            snprintf(dir, sizeof dir, "%s", out);
        else
            snprintf(dir, sizeof dir, "%s/figures", run_dir);
        int written = 0, skipped = 0;
        double t0 = segp_now();
        skip_list skips = {0};
        int st = figure_export_all(&r, dir, &o, threads, on_skip, &skips, &written, &skipped);
        double dt = segp_now() - t0;
        print_skips(&skips);
        if (st != 0) {
            rc = app_report_error();
        } else {
            printf("exported %d figure%s (%s%s) into %s in %.2f s", written, segp_s(written),
                   fig_format_ext(o.format), o.write_data ? ", each with its .csv" : "", dir, dt);
            if (skipped) printf("; %d skipped (above)", skipped);
            printf("\n");
        }
        run_record_free(&r);
        return rc;
    }

    const figure_info *fi = figure_find(figure);
    note_unused(fi, given);
    int task = fi->per_task ? (task1 ? task1 - 1 : r.tasks_done - 1) : -1;
    if (fi->per_task && !task1 && r.tasks_done < 1) {
        fprintf(stderr, "segp: error: %s: no task has finished yet\n", run_dir);
        run_record_free(&r);
        return 1;
    }
    char def_out[4300];
    if (!out) {
        /* the default folder only for a request that will be drawn */
        if (figure_check(&r, NULL, figure, task, &o) != 0) {
            rc = app_report_error();
            run_record_free(&r);
            return rc;
        }
        char dir[4000], name[128];
        snprintf(dir, sizeof dir, "%s/figures", run_dir);
        if (make_dir(dir) != 0) {
            run_record_free(&r);
            return 1;
        }
        figure_default_name(figure, task, &o, name, sizeof name);
        snprintf(def_out, sizeof def_out, "%s/%s", dir, name);
        out = def_out;
    }
    if (figure_export(&r, NULL, figure, task, &o, out) != 0)
        rc = app_report_error();
    else
        printf("wrote %s%s\n", out, o.write_data ? " (and its .csv)" : "");
    run_record_free(&r);
    return rc;
}
