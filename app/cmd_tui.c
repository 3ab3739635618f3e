/* cmd_tui.c: `segp tui [CONFIG|RUN_DIR]` and `segp` alone on a terminal: the workbench
 * (app/tui.c). A RUN_DIR opens read-only (an interrupted run offers to resume); a CONFIG starts
 * a new run into runs/NAME-DATE-TIME; nothing opens the shipped finished run
 * sample_runs/default-run, with `N` to start a new run of sample_runs/default.json. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cl/cl_config.h"
#include "cli_util.h"
#include "commands.h"
#include "core/common.h"
#include "run/rundir.h"
#include "run_list.h"
#include "tui.h"

#define DEFAULT_RUN "sample_runs/default-run"
#define DEFAULT_CONFIG "sample_runs/default.json"

static void tui_usage(void) {
    printf("usage: segp tui [CONFIG.json [--set KEY=VALUE]... | RUN_DIR | FOLDER] [--out DIR]\n"
           "                [--charset unicode|block|ascii] [--colors 256|16|none] [--light] "
           "[--auto]\n\n"
           "The workbench: a terminal view of a continual-learning run, task by task.\n"
           "  RUN_DIR     open a run directory read-only (finished or interrupted; an interrupted\n"
           "              run offers to resume with r; one another process is writing is\n"
           "              followed live)\n"
           "  FOLDER      a folder of runs (runs/, an ablation's OUT): their list, with state and\n"
           "              numbers, live; Enter opens one, Backspace comes back\n"
           "  CONFIG      start a new run of CONFIG into --out DIR "
           "(default runs/CONFIG-DATE-TIME);\n"
           "              it pauses after every task until n\n"
           "  --set KEY=VALUE  override one key of CONFIG (repeatable), as segp run --set\n"
           "  (nothing)   open the shipped finished run " DEFAULT_RUN " read-only; N starts a\n"
           "              new run of " DEFAULT_CONFIG
           " (also: segp with no arguments on a terminal)\n"
           "  --charset   glyphs: unicode (braille curves, half-block heatmaps; the default in a\n"
           "              UTF-8 locale), block (no braille), ascii\n"
           "  --colors    256, 16 or none (default: from the terminal; NO_COLOR set means none)\n"
           "  --light     greys for a light terminal background\n"
           "  --auto      do not pause at task boundaries\n\n"
           "Views (keys 1-6): overview, accuracy, anchors, drift, geometry, projection.\n"
           "Keys: q/Esc quit, ?/F1 help (every key of the current view), n next task, space\n"
           "pause, a auto-advance, [ ] select a finished task, e export the view's figure (PNG)\n"
           "and data into RUN_DIR/exports/, / filter, : commands (:task N, :export DIR, :charset\n"
           "ascii, :theme light, :quit). Quitting while a task trains stops it; finished tasks\n"
           "stay saved and segp tui RUN_DIR (r) or segp resume RUN_DIR continues.\n");
}

static int is_dir(const char *p) {
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The shipped run and config: under the current directory, else beside the executable. */
static char shipped_run[4096], shipped_config[4096];
static void find_shipped(void) {
    cli_shipped_path(DEFAULT_RUN, shipped_run, sizeof shipped_run);
    cli_shipped_path(DEFAULT_CONFIG, shipped_config, sizeof shipped_config);
}

/* The default workbench: the shipped run (read-only) with N for a new run. 1 when it can
 * open (the files are under the current directory or beside the executable), else 0. */
int tui_default_available(void) {
    find_shipped();
    char p[4200];
    snprintf(p, sizeof p, "%s/config.json", shipped_run);
    return access(p, R_OK) == 0;
}

int tui_default(void) {
    find_shipped();
    tui_options o = {.run_dir = shipped_run, .charset = -1, .colors = -1};
    if (access(shipped_config, R_OK) == 0) o.new_config = shipped_config;
    return tui_main(&o);
}

int cmd_tui(int argc, char **argv) {
    tui_options o = {.charset = -1, .colors = -1};
    const char *target = NULL, *sets[64];
    int auto_advance = 0, n_sets = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (app_is_help(a)) {
            tui_usage();
            return 0;
        } else if (!strcmp(a, "--set")) {
            if (n_sets == (int)(sizeof sets / sizeof sets[0]))
                return cli_usage_error("tui", "more than %d --set", n_sets);
            if (!(sets[n_sets++] = cli_value(argc, argv, &i))) return 2;
        } else if (!strcmp(a, "--out")) {
            if (!(o.out = cli_value(argc, argv, &i))) return 2;
            if (segp_check_path_length(o.out, RUNDIR_MAX_PATH) != 0) return app_report_error();
        } else if (!strcmp(a, "--charset")) {
            const char *v = cli_value(argc, argv, &i);
            if (!v) return 2;
            o.charset = !strcmp(v, "unicode") ? CHARSET_UNICODE
                        : !strcmp(v, "block") ? CHARSET_BLOCK
                        : !strcmp(v, "ascii") ? CHARSET_ASCII
                                              : -2;
            if (o.charset == -2)
                return cli_usage_error("tui", "--charset '%s': expected unicode, block or ascii",
                                       v);
        } else if (!strcmp(a, "--colors") || !strcmp(a, "--colours")) {
            const char *v = cli_value(argc, argv, &i);
            if (!v) return 2;
            o.colors = !strcmp(v, "256") ? COLORS_256 : !strcmp(v, "16") ? COLORS_16
                       : !strcmp(v, "none") ? COLORS_NONE : -2;
            if (o.colors == -2)
                return cli_usage_error("tui", "--colors '%s': expected 256, 16 or none", v);
        } else if (!strcmp(a, "--light")) {
            o.light = 1;
        } else if (!strcmp(a, "--auto")) {
            auto_advance = 1;
        } else if (a[0] == '-') {
            return cli_unknown("tui", a);
        } else if (!target) {
            target = a;
        } else {
            return cli_usage_error("tui", "one CONFIG or RUN_DIR only ('%s' and '%s')", target, a);
        }
    }
    if (n_sets && (!target || is_dir(target)))
        return cli_usage_error("tui", "--set is for a new run of a CONFIG (a run directory "
                               "keeps the config it was made with)");
    if (!target) {
        if (!tui_default_available())
            return cli_usage_error("tui", "no CONFIG or RUN_DIR, and %s is not here (run segp "
                                   "from the source tree, or name a run)", DEFAULT_RUN);
        o.run_dir = shipped_run;
        if (access(shipped_config, R_OK) == 0) o.new_config = shipped_config;
    } else if (is_dir(target)) {
        if (o.out)
            return cli_usage_error("tui", "--out is for a new run of a CONFIG, not a RUN_DIR");
        char **runs = NULL;
        int n = 0, cap = 0;
        if (!run_list_is_run(target) && run_list_gather(target, &runs, &n, &cap) > 0)
            o.runs_dir = target; /* a folder of runs: their list */
        else
            o.run_dir = target;
        for (int i = 0; i < n; i++) free(runs[i]);
        free(runs);
    } else {
        /* a config: checked here, before the screen changes, so errors print plainly */
        cl_config c = cl_config_default();
        if (cl_config_parse_file(target, &c) != 0) return app_report_error();
        if (cl_config_set_all(&c, sets, n_sets) != 0) return app_report_error();
        if (cl_config_check(&c) != 0) {
            segp_fail_prefix("%s%s: ", target, n_sets ? " with its --set overrides" : "");
            return app_report_error();
        }
        if (o.out && access(o.out, F_OK) == 0) {
            fprintf(stderr, "segp: error: %s: already exists; a run never overwrites another "
                            "(choose another --out)\n", o.out);
            return 1;
        }
        o.config = target;
        o.sets = sets;
        o.n_sets = n_sets;
    }
    o.auto_advance = auto_advance;
    return tui_main(&o);
}
