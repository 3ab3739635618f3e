/* cmd_ablate.c: `segp ablate CONFIG`: the SeGP-CL ablation (METHOD.md section 11, issue 12):
 * variants x seeds cells, each a continual run (engine/cl/runner.h) into its own run directory,
 * run one after another, or one with --cell, or listed as commands with --list so that a Slurm
 * job array or GNU parallel spreads them; then the table (--collect builds it from any finished
 * run directories). Variants, cells, classification and the table are in ablate.c. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ablate.h"
#include "cl/runner.h"
#include "core/common.h"
#include "run/rundir.h"
#include "cli_util.h"
#include "commands.h"

#define DEFAULT_SEEDS 3

typedef struct {
    const char *config; /* CONFIG's path */
    cl_config base;
    ablate_plan plan;
    const char *variants; /* --variants as given (NULL: every variant) */
    const char *sets[64]; /* --set KEY=VALUE, applied to CONFIG before the variants' keys */
    int n_sets;
    char out[4096];
} ablation;

/* TEXT (a list: "a, b; c") from column INDENT (the cursor is there), broken after commas and
 * semicolons to stay within WIDTH. */
static void print_wrapped(const char *text, int indent, int width) {
    int col = indent;
    for (const char *w = text; *w;) {
        int len = (int)strcspn(w, ",;");
        if (w[len]) len++; /* the comma stays with its item */
        if (col > indent && col + len > width) {
            printf("\n%*s", indent, "");
            col = indent;
            while (*w == ' ') w++, len--;
        }
        printf("%.*s", len, w);
        col += len;
        w += len;
    }
    printf("\n");
}

static void usage(void) {
    printf("usage: segp ablate CONFIG [--set KEY=VALUE]... [--seeds N] [--out DIR]\n"
           "                   [--variants LIST] [--list | --cell I]\n"
           "       segp ablate --collect DIR... [--out DIR]\n\n"
           "The SeGP-CL ablation (METHOD.md section 11): every variant below, each a continual\n"
           "run of CONFIG with a few keys overridden (its method is the variant's), over N\n"
           "seeds (CONFIG's seed + 0..N-1), then one table: Avg, Last, Forgetting, BWT and\n"
           "the boundary/core drift ratio as mean +- sample std over the seeds (-- for one\n"
           "seed), and the seeds found. Each cell (variant, seed) is a run directory\n"
           "OUT/<variant>-s<seed>/ whose config.json holds its full resolved config, so a\n"
           "cell is reproducible from its folder.\n\n"
           "  CONFIG           a continual-run config (segp run --help lists its keys)\n"
           "  --set KEY=VALUE  override a key of CONFIG (repeatable; as segp run --set), e.g.\n"
           "                   --set benchmark.eval_split=val to choose settings on the\n"
           "                   validation split; --list repeats it in every cell's command\n"
           "  --seeds N        seeds per variant (default %d)\n"
           "  --out DIR        output folder (default runs/ablate-<CONFIG's name>); with\n"
           "                   --collect, where the tables go (default: the first DIR when\n"
           "                   it is a folder of run directories, else the current directory)\n"
           "  --variants LIST  only these variants, comma-separated (default: all)\n"
           "  --list           print one command per cell ('... --cell I', I = 0..cells-1) and\n"
           "                   nothing else, for GNU parallel or a Slurm job array\n"
           "  --cell I         run (or resume) cell I only\n"
           "  --collect DIR... the table from finished run directories (no training): each DIR\n"
           "                   is a run directory or a folder of them (an ablation's OUT);\n"
           "                   runs are placed by their config.json values, never by folder\n"
           "                   name; unfinished (no DONE) and unplaceable runs are left out\n"
           "                   with a note on stderr\n\n"
           "Without --list, --cell or --collect, every cell runs in seed-major order (cells\n"
           "0..V-1: every variant with the first seed, so a sweep stopped half-way already has\n"
           "every row); finished cells (DONE) are skipped and an unfinished one resumes, so\n"
           "rerunning the command continues it. Ctrl-C stops after the current step (exit 130).\n"
           "At the end: the table on stdout, OUT/ablation.csv and OUT/ablation.md, then the\n"
           "paired comparisons (the claims, row A - row B seed by seed: SeGP-CL vs fine-tune\n"
           "and zero-shot, +ACGD vs fine-tune, the three distillation sources), also in\n"
           "ablation.md and as OUT/ablation_paired.csv.\n\n"
           "variants (--variants name: the keys it sets; what CONFIG must have on):\n",
           DEFAULT_SEEDS);
    for (int v = 0; v < ABL_VARIANTS; v++) {
        const ablate_variant *d = ablate_variant_at(v);
        char text[512];
        snprintf(text, sizeof text, "%s%s%s", d->switches, d->needs[0] ? "; needs " : "",
                 d->needs);
        printf("  %-9s ", d->name);
        print_wrapped(text, 12, 92);
    }
    printf("\nrows of the table (from the variants):\n"
           "  Zero-shot, Fine-tune, +ACGD, +TSGR: zeroshot, finetune, acgd, tsgr\n"
           "  +prototype transfer: the segp runs' CLIP branch alone (metrics.jsonl's\n"
           "    \"clip_branch\": inference.beta changes inference only, so the same run gives it)\n"
           "  +visual branch (SeGP-CL): the segp runs' numbers\n"
           "  ACGD on new-task images, ACGD on seeds, no PGD: new_task, seeds\n\n"
           "spreading the cells over machines (a job uses every core unless OMP_NUM_THREADS\n"
           "says otherwise, so one thread a job; xargs where GNU parallel is missing):\n"
           "  segp ablate CONFIG --list | OMP_NUM_THREADS=1 parallel -j2\n"
           "  segp ablate CONFIG --list | OMP_NUM_THREADS=1 xargs -P 2 -d '\\n' -I{} sh -c '{}'\n"
           "  #SBATCH --array=0-20   (7 variants x 3 seeds = 21 cells)\n"
           "  segp ablate CONFIG --cell $SLURM_ARRAY_TASK_ID\n"
           "then: segp ablate --collect runs/ablate-NAME\n");
}

/* runs/ablate-<CONFIG's file name without extension>[+KEY=VALUE per --set], so that ablations
 * of one config with other overrides get folders of their own ('/' and blanks become '_'). */
static void default_out(const ablation *a, char *out, size_t n) {
    const char *base = strrchr(a->config, '/');
    base = base ? base + 1 : a->config;
    char name[256];
    snprintf(name, sizeof name, "%s", base);
    char *dot = strrchr(name, '.');
    if (dot && dot != name) *dot = 0;
    int k = snprintf(out, n, "runs/ablate-%s", name);
    for (int s = 0; s < a->n_sets && k > 0 && (size_t)k + 1 < n; s++) {
        out[k++] = '+';
        for (const char *c = a->sets[s]; *c && (size_t)k + 1 < n; c++)
            out[k++] = *c == '/' || *c == ' ' || *c == '\t' ? '_' : *c;
        out[k] = 0;
    }
}

/* The command that runs cell CELL (-1: every cell) of this ablation. */
static void command_line(const ablation *a, int cell, char *buf, size_t n) {
    char prog[1024], cfg[4200], out[8300];
    segp_shell_quote(app_program, prog, sizeof prog);
    segp_shell_quote(a->config, cfg, sizeof cfg);
    segp_shell_quote(a->out, out, sizeof out);
    int k = snprintf(buf, n, "%s ablate %s --seeds %d --out %s", prog, cfg, a->plan.seeds, out);
    if (a->variants && k > 0 && (size_t)k < n) {
        char v[256];
        ablate_plan_variants(&a->plan, v, sizeof v);
        k += snprintf(buf + k, n - (size_t)k, " --variants %s", v);
    }
    for (int s = 0; s < a->n_sets && k > 0 && (size_t)k < n; s++) {
        char q[2048];
        segp_shell_quote(a->sets[s], q, sizeof q);
        k += snprintf(buf + k, n - (size_t)k, " --set %s", q);
    }
    if (cell >= 0 && k > 0 && (size_t)k < n) snprintf(buf + k, n - (size_t)k, " --cell %d", cell);
}

/* mkdir -p. */
static int make_dirs(const char *path) {
    char p[4096];
    snprintf(p, sizeof p, "%s", path);
    for (char *s = p + 1;; s++) {
        if (*s && *s != '/') continue;
        char c = *s;
        *s = 0;
        if (mkdir(p, 0755) != 0 && errno != EEXIST)
            return SEGP_FAIL("%s: cannot create: %s", p, strerror(errno));
        *s = c;
        if (!c) break;
    }
    return 0;
}

/* OUT (or a folder on its path) that exists but is no folder is refused before any work: it
 * was found only when the first cell failed to create its folder, with a "continue with" the
 * same command. WHAT: what goes into OUT. */
static int check_out_dir(const char *out, const char *what) {
    char p[4096];
    snprintf(p, sizeof p, "%s", out);
    for (char *s = p + 1;; s++) {
        if (*s && *s != '/') continue;
        char c = *s;
        *s = 0;
        struct stat st;
        if (stat(p, &st) == 0 && !S_ISDIR(st.st_mode))
            return SEGP_FAIL("--out %s: %s is a file, not a folder (expected a folder for %s; "
                             "choose another --out)", out, p, what);
        *s = c;
        if (!c) break;
    }
    return 0;
}

/* 1 (+ error naming the process) when another process holds the lock of the cell in DIR,
 * looking again for up to TENTHS tenths of a second (the other takes it just after creating
 * DIR), else 0. */
static int cell_busy(const char *dir, int tenths) {
    if (!rundir_exists(dir)) return 0;
    rundir_holder h;
    for (int k = 0; k <= tenths; k++) {
        if (k) nanosleep(&(struct timespec){0, 100 * 1000 * 1000}, NULL);
        if (rundir_locked(dir, &h)) {
            char who[400];
            rundir_holder_text(&h, 1, who, sizeof who);
            segp_clear_error();
            SEGP_FAIL("%s: another segp process is running this cell (%s)", dir, who);
            return 1;
        }
    }
    return 0;
}

/* Run or resume cell CELL: 0 finished (now or before), 1 stopped by Ctrl-C, 2 + error when
 * another process runs it now (its writer lock is held), -1 + error, -2 + error when the
 * cell's folder is not this cell's (the same command cannot continue: another --out can). */
static int run_cell(const ablation *a, int cell, cli_progress *ui, FILE *o) {
    int v, si;
    ablate_cell_at(&a->plan, cell, &v, &si);
    const char *name = ablate_variant_at(v)->name;
    cl_config c;
    ablate_derive(&a->base, v, si, &c);
    char dir[4400], prefix[64];
    ablate_cell_dir(a->out, v, c.seed, dir, sizeof dir);
    snprintf(prefix, sizeof prefix, "[%s s%llu] ", name, (unsigned long long)c.seed);
    fprintf(o, "cell %d of %d (%s, seed %llu): %s\n", cell, ablate_num_cells(&a->plan), name,
            (unsigned long long)c.seed, dir);
    fflush(o);
    char exe[4096];
    cl_runner_params p = {.cb = cli_progress_event, .user = ui, .overrides = a->sets,
                          .n_overrides = a->n_sets, .model_dir = cli_exe_dir(exe, sizeof exe)};
    cl_runner *r = NULL;
    char path[4500];
    snprintf(path, sizeof path, "%s/config.json", dir);
    if (cell_busy(dir, 0)) return 2; /* a job array's twin, another ablate */
    /* a folder left by a cell killed before its config.json was written: started again */
    if (rundir_exists(dir) && !rundir_exists(path) && !rundir_remove_unstarted(dir)) {
        SEGP_FAIL("%s: exists but holds no config.json (not a run directory); move it away, or "
                  "choose another --out", dir);
        return -2;
    }
    if (rundir_exists(dir)) {
        /* the folder must hold this very cell, not one of an ablation of another config */
        char why[2400];
        int d = ablate_config_differs(dir, &c, why, sizeof why);
        if (d < 0) return -1;
        if (d) {
            SEGP_FAIL("%s: %s (the \"%s\" variant of %s): the folder holds a cell of another "
                      "ablation; choose another --out, or move it away", path, why, name,
                      a->config);
            return -2;
        }
        snprintf(path, sizeof path, "%s/DONE", dir);
        if (rundir_exists(path)) {
            fprintf(o, "%sfinished earlier, skipped\n", prefix);
            return 0;
        }
        ui->prefix = prefix; /* the progress lines of this cell */
        r = cl_runner_open(dir, &p);
    } else {
        if (make_dirs(a->out) != 0) return -1;
        ui->prefix = prefix;
        r = cl_runner_new(&c, a->config, dir, &p);
        if (!r && cell_busy(dir, 20)) { /* another ablate started it while this one loaded */
            ui->prefix = NULL;
            return 2;
        }
    }
    int rc = r ? cl_runner_run(r) : -1;
    ui->prefix = NULL;
    if (!r) return -1;
    if (rc == 0) {
        cl_run_result res;
        cl_runner_result(r, &res);
        cl_summary s;
        if (res.tasks_done > 0 && cl_summary_after(res.matrix, res.tasks_done - 1, &s) == 0)
            fprintf(o, "%sdone: Avg %.2f  Last %.2f  Forgetting %.2f  BWT %.2f\n", prefix,
                    s.avg_acc, s.acc, s.forgetting, s.bwt);
    }
    cl_runner_free(r);
    return rc;
}

/* The table of the finished runs among DIRS (rows MASK): printed, and written as OUTDIR's
 * ablation.csv, ablation.md and ablation_paired.csv. Exit status. */
static int table(const char *const *dirs, int n, unsigned mask, const char *outdir) {
    ablate_runs runs;
    if (ablate_collect(dirs, n, stderr, &runs) != 0) return app_report_error();
    if (!runs.n) {
        ablate_runs_free(&runs);
        fprintf(stderr, "segp: error: no finished run directory of the ablation among the %d "
                        "given (see the notes above)\n", n);
        return 1;
    }
    ablate_row rows[ABL_ROWS];
    ablate_table(&runs, rows);
    ablate_pair pairs[ABL_PAIRS];
    ablate_pairs(&runs, pairs);
    char *text = ablate_format_text(rows, mask), *md = ablate_format_md(rows, mask),
         *csv = ablate_format_csv(rows, mask), *p_text = ablate_format_pairs_text(pairs, mask),
         *p_md = ablate_format_pairs_md(pairs, mask), *p_csv = ablate_format_pairs_csv(pairs, mask);
    if (*p_md) { /* the paired table follows the table in ablation.md */
        char *both = segp_malloc(strlen(md) + strlen(p_md) + 2);
        sprintf(both, "%s\n%s", md, p_md);
        free(md);
        md = both;
    }
    /* a table mixing configs is no matched ablation: said beside it, not only in the notes on
     * stderr, so that ablation.md carries it where the table is pasted */
    char mixed[600] = "";
    if (runs.mixed)
        snprintf(mixed, sizeof mixed, "Mixed configs: %d of the %d runs differ%s from the "
                 "others beyond the variants' keys and the seed (segp ablate --collect's notes "
                 "name the keys), so the rows are not matched.\n", runs.mixed, runs.n,
                 runs.mixed == 1 ? "s" : "");
    if (runs.mixed) {
        char *md2 = segp_malloc(strlen(mixed) + strlen(md) + 2);
        sprintf(md2, "%s\n%s", mixed, md);
        free(md);
        md = md2;
    }
    int n_val = 0;
    for (int i = 0; i < runs.n; i++)
        n_val += runs.run[i].shared && strstr(runs.run[i].shared, "benchmark.eval_split=\"val\"");
    int val = n_val == runs.n;
    printf("\nablation table (%d run%s, evaluated on the %s):\n%s", runs.n, runs.n == 1 ? "" : "s",
           val ? "validation split" : n_val ? "test AND the validation split: mixed" : "test split",
           text);
    if (runs.mixed) printf("%s", mixed);
    if (*p_text) printf("\n%s", p_text);
    if (val) {
        const char *head = "Evaluated on the validation split (benchmark.eval_split \"val\"), "
                           "not the test split.\n\n";
        char *md2 = segp_malloc(strlen(head) + strlen(md) + 1);
        strcpy(md2, head);
        strcat(md2, md);
        free(md);
        md = md2;
    }
    char f_csv[4200], f_md[4200], f_pairs[4200];
    snprintf(f_csv, sizeof f_csv, "%s/ablation.csv", outdir);
    snprintf(f_md, sizeof f_md, "%s/ablation.md", outdir);
    snprintf(f_pairs, sizeof f_pairs, "%s/ablation_paired.csv", outdir);
    int rc = make_dirs(outdir) != 0 || rundir_write_text(f_csv, csv) != 0 ||
             rundir_write_text(f_md, md) != 0 || rundir_write_text(f_pairs, p_csv) != 0;
    if (!rc) printf("wrote %s, %s and %s\n", f_csv, f_md, f_pairs);
    free(text), free(md), free(csv), free(p_text), free(p_md), free(p_csv);
    ablate_runs_free(&runs);
    return rc ? app_report_error() : 0;
}

static int collect(const char *const *dirs, int n, const char *out) {
    char outdir[4096] = ".";
    if (out) snprintf(outdir, sizeof outdir, "%s", out);
    else {
        char p[4200];
        snprintf(p, sizeof p, "%s/config.json", dirs[0]);
        struct stat st;
        if (stat(dirs[0], &st) == 0 && S_ISDIR(st.st_mode) && !rundir_exists(p))
            snprintf(outdir, sizeof outdir, "%s", dirs[0]);
    }
    if (check_out_dir(outdir, "the tables") != 0) return app_report_error();
    return table(dirs, n, ablate_row_mask(NULL), outdir);
}

static int run_all(const ablation *a, cli_progress *ui) {
    FILE *o = ui->tty ? stderr : stdout;
    int cells = ablate_num_cells(&a->plan);
    char cmd[16384];
    command_line(a, -1, cmd, sizeof cmd);
    fprintf(o, "ablation of %s: %d variant%s x %d seed%s = %d cell%s (numbered as --cell, "
               "seed-major) into %s\n", a->config, a->plan.n_variants, segp_s(a->plan.n_variants),
            a->plan.seeds, segp_s(a->plan.seeds), cells, segp_s(cells), a->out);
    int busy = 0;
    char *skipped = segp_calloc((size_t)cells, 1);
    for (int cell = 0; cell < cells; cell++) {
        int rc = cli_stop_requested() ? 1 : run_cell(a, cell, ui, o);
        if (rc == 2) { /* the other process finishes it; the rest goes on here */
            fprintf(o, "skipped: %s\n", segp_last_error());
            segp_clear_error();
            skipped[cell] = 1;
            busy++;
            continue;
        }
        if (rc < 0) {
            app_report_error();
            if (rc == -1)
                fprintf(stderr, "segp: cell %d failed; the finished cells are kept; after fixing "
                                "the cause, continue with: %s\n", cell, cmd);
            free(skipped);
            return 1;
        }
        if (rc == 1) {
            fprintf(stderr, "\nsegp: stopped at cell %d; the finished cells and tasks are kept.\n"
                            "continue with: %s\n", cell, cmd);
            free(skipped);
            return 130;
        }
    }
    char **dirs = segp_malloc((size_t)cells * sizeof *dirs);
    for (int cell = 0; cell < cells; cell++) {
        int v, si;
        ablate_cell_at(&a->plan, cell, &v, &si);
        dirs[cell] = segp_malloc(4400);
        ablate_cell_dir(a->out, v, a->base.seed + (uint64_t)si, dirs[cell], 4400);
    }
    for (int cell = 0; cell < cells && busy; cell++) { /* busy: those still unfinished */
        char done[4500];
        snprintf(done, sizeof done, "%s/DONE", dirs[cell]);
        if (skipped[cell] && rundir_exists(done)) busy--;
    }
    free(skipped);
    if (busy) {
        char q[8300];
        segp_shell_quote(a->out, q, sizeof q);
        fprintf(o, "%d cell%s still running in other processes: left out of this table until "
                   "they finish; then: %s ablate --collect %s\n", busy,
                busy == 1 ? " is" : "s are", app_program, q);
    }
    fflush(o);
    int rc = table((const char *const *)dirs, cells, ablate_row_mask(&a->plan), a->out);
    for (int cell = 0; cell < cells; cell++) free(dirs[cell]);
    free(dirs);
    return rc;
}

int cmd_ablate(int argc, char **argv) {
    ablation a;
    memset(&a, 0, sizeof a);
    const char *out = NULL, *seeds_arg = NULL, *cell_arg = NULL;
    int seeds = DEFAULT_SEEDS, list = 0, cell = -1, collecting = 0, n_dirs = 0;
    const char **dirs = segp_calloc((size_t)argc, sizeof *dirs);
    int rc = 2;
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
        if (app_is_help(s)) {
            usage();
            rc = 0;
            goto done;
        } else if (!strcmp(s, "--seeds")) {
            if (!(seeds_arg = cli_value(argc, argv, &i)) ||
                cli_int("--seeds", seeds_arg, 1, 100000, &seeds) != 0)
                goto done;
        } else if (!strcmp(s, "--set")) {
            if (a.n_sets == (int)(sizeof a.sets / sizeof a.sets[0])) {
                rc = cli_usage_error("ablate", "more than %d --set", a.n_sets);
                goto done;
            }
            if (!(a.sets[a.n_sets++] = cli_value(argc, argv, &i))) goto done;
        } else if (!strcmp(s, "--out")) {
            if (!(out = cli_value(argc, argv, &i))) goto done;
        } else if (!strcmp(s, "--variants")) {
            if (!(a.variants = cli_value(argc, argv, &i))) goto done;
        } else if (!strcmp(s, "--list")) {
            list = 1;
        } else if (!strcmp(s, "--cell")) {
            if (!(cell_arg = cli_value(argc, argv, &i)) ||
                cli_int("--cell", cell_arg, INT_MIN, INT_MAX, &cell) != 0)
                goto done;
        } else if (!strcmp(s, "--collect")) {
            collecting = 1;
        } else if (s[0] == '-' && s[1]) {
            rc = cli_unknown("ablate", s);
            goto done;
        } else if (collecting) {
            dirs[n_dirs++] = s;
        } else if (!a.config) {
            a.config = s;
        } else {
            rc = cli_usage_error("ablate", "one CONFIG only ('%s' and '%s')", a.config, s);
            goto done;
        }
    }
    if (list + (cell_arg != NULL) + collecting > 1) {
        rc = cli_usage_error("ablate", "--list, --cell and --collect exclude each other");
        goto done;
    }
    if (collecting) {
        if (a.config)
            rc = cli_usage_error("ablate", "--collect reads the run directories' own "
                                 "config.json; '%s' before --collect is not used (drop it, or "
                                 "put it after --collect if it is a run directory)", a.config);
        else if (seeds_arg || a.variants || a.n_sets)
            rc = cli_usage_error("ablate", "--collect counts the seeds and variants it finds "
                                 "and reads each run's own config; --seeds, --variants and "
                                 "--set do not apply");
        else if (!n_dirs)
            rc = cli_usage_error("ablate", "--collect needs at least one DIR");
        else
            rc = collect(dirs, n_dirs, out);
        goto done;
    }
    if (!a.config) {
        rc = cli_usage_error("ablate", "CONFIG is required");
        goto done;
    }
    if (ablate_plan_init(&a.plan, a.variants, seeds) != 0) {
        rc = app_report_error();
        goto done;
    }
    if (cell_arg && (cell < 0 || cell >= ablate_num_cells(&a.plan))) {
        int cells = ablate_num_cells(&a.plan);
        rc = cli_usage_error("ablate", "--cell %d is out of range: this ablation has %d cell%s, "
                             "0-%d (%d variant%s x %d seed%s; --list prints them)", cell, cells,
                             segp_s(cells), cells - 1, a.plan.n_variants,
                             segp_s(a.plan.n_variants), seeds, segp_s(seeds));
        goto done;
    }
    if (out) snprintf(a.out, sizeof a.out, "%s", out);
    else default_out(&a, a.out, sizeof a.out);
    a.base = cl_config_default();
    int bad = cl_config_parse_file(a.config, &a.base) != 0;
    if (!bad) bad = cl_config_set_all(&a.base, a.sets, a.n_sets) != 0;
    if (!bad) bad = check_out_dir(a.out, "the cells and the tables") != 0;
    if (bad || ablate_check(&a.plan, &a.base, a.config, !list) != 0) {
        rc = app_report_error();
        goto done;
    }
    if (list) {
        char cmd[16384];
        for (int k = 0; k < ablate_num_cells(&a.plan); k++) {
            command_line(&a, k, cmd, sizeof cmd);
            printf("%s\n", cmd);
        }
        rc = 0;
        goto done;
    }
    cli_progress ui = {isatty(fileno(stderr)), 0, NULL};
    cli_stop_on_signals();
    if (!cell_arg) {
        rc = run_all(&a, &ui);
        goto done;
    }
    FILE *o = ui.tty ? stderr : stdout;
    int r = run_cell(&a, cell, &ui, o);
    char cmd[16384];
    command_line(&a, cell, cmd, sizeof cmd);
    if (r == 2) {
        rc = app_report_error(); /* the other process finishes it */
    } else if (r < 0) {
        rc = app_report_error();
        if (r == -1) fprintf(stderr, "segp: after fixing the cause, continue with: %s\n", cmd);
    } else if (r == 1) {
        fprintf(stderr, "\nsegp: stopped; the finished tasks are kept.\ncontinue with: %s\n", cmd);
        rc = 130;
    } else {
        char q[8300];
        segp_shell_quote(a.out, q, sizeof q);
        fprintf(o, "when every cell is finished: %s ablate --collect %s\n", app_program, q);
        rc = 0;
    }
done:
    free(dirs);
    return rc;
}
