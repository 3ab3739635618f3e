/* test_ablate_cmd.c: the `segp ablate` command (app/cmd_ablate.c): --list, bad arguments, real
 * cells of a tiny config (the "zeroshot" and "finetune" variants) run, skipped, stopped and
 * resumed, and seeds paired only between runs of one config. The variants and the table are in
 * test_ablate.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "../app/ablate.h"
#include "test.h"

/* ---- the command: --list, bad arguments, real cells ---- */

/* seed (1) and train.optimizer ("adamw") are the defaults, left out so that EXTRA may set
 * them (a key given twice is refused) */
static const char *TINY =
    "{\"model\": \"sample_runs/models/shapes-clip.safetensors\", \"method\": \"finetune\","
    " \"benchmark\": {\"name\": \"shapes\", \"order\": \"latin\","
    " \"tasks\": \"B0-Inc10\", \"train_per_class\": 4, \"test_per_class\": 2},"
    " \"train\": {\"epochs\": 1, \"batch_size\": 32, \"lr\": %s},"
    " \"eval\": {\"batch_size\": 64}, \"run\": {\"max_tasks\": 2},"
    " \"analytics\": {\"enabled\": false}%s}";

static const char *tiny_config(const char *name, const char *lr, const char *extra) {
    static char paths[4][600];
    static int slot;
    char *p = paths[slot++ % 4];
    snprintf(p, 600, "%s/%s.json", test_tmpdir(), name);
    char json[2048];
    snprintf(json, sizeof json, TINY, lr, extra);
    write_text(p, json);
    return p;
}

static int count_lines(const char *s) {
    int n = 0;
    for (; s && *s; s++) n += *s == '\n';
    return n;
}

TEST(ablate_list_prints_one_command_per_cell) {
    const char *cfg = tiny_config("abl-base", "0.002", "");
    char args[1400], o[600], e[600];
    snprintf(o, sizeof o, "%s/list-out.txt", test_tmpdir());
    snprintf(e, sizeof e, "%s/list-err.txt", test_tmpdir());
    snprintf(args, sizeof args, "ablate %s --list", cfg);
    CHECK_EQ_INT(test_run_segp_split(args, o, e), 0);
    char *out = read_text(o);
    CHECK_EQ_INT(count_lines(out), 21);
    char want[1400];
    for (int k = 0; k < 21 && out; k++) {
        snprintf(want, sizeof want,
                 "%s%s ablate %s --seeds 3 --out runs/ablate-abl-base --cell %d\n",
                 k ? "\n" : "", test_segp_bin(), cfg, k);
        const char *line = k ? strstr(out, want) : (strncmp(out, want, strlen(want)) ? NULL : out);
        CHECK_MSG(line != NULL, "no line '%s' in:\n%s", want, out);
    }
    free(out);
    /* --seeds, --out (quoted for the shell) and a subset of variants travel with each line */
    snprintf(args, sizeof args, "ablate %s --seeds 2 --variants finetune,zeroshot --out '%s/a b' "
             "--list", cfg, test_tmpdir());
    CHECK_EQ_INT(test_run_segp_split(args, o, e), 0);
    out = read_text(o);
    CHECK_EQ_INT(count_lines(out), 4);
    snprintf(want, sizeof want, "%s ablate %s --seeds 2 --out '%s/a b' --variants "
             "zeroshot,finetune --cell 3\n", test_segp_bin(), cfg, test_tmpdir());
    CHECK_MSG(out && strstr(out, want) && !strncmp(out + strlen(out) - strlen(want), want,
                                                   strlen(want)), "%s", out ? out : "");
    free(out);
    /* --set travels too (quoted), and names the default folder */
    snprintf(args, sizeof args, "ablate %s --seeds 1 --variants acgd --set acgd.lambda=50 "
             "--set 'benchmark.eval_split=val' --set 'prompt_template=a {} here.' --list", cfg);
    CHECK_EQ_INT(test_run_segp_split(args, o, e), 0);
    out = read_text(o);
    snprintf(want, sizeof want, "%s ablate %s --seeds 1 --out 'runs/ablate-abl-base+acgd.lambda=50"
             "+benchmark.eval_split=val+prompt_template=a_{}_here.' --variants acgd --set "
             "acgd.lambda=50 --set benchmark.eval_split=val --set 'prompt_template=a {} here.' "
             "--cell 0\n", test_segp_bin(), cfg);
    CHECK_MSG(out && !strcmp(out, want), "%s\nwanted\n%s", out ? out : "", want);
    free(out);
    /* a bad --set is refused before any cell, naming it */
    snprintf(args, sizeof args, "ablate %s --set acgd.lambda=-2 --list", cfg);
    CHECK_EQ_INT(test_run_segp_split(args, o, e), 1);
    char *err = read_text(e);
    CHECK_MSG(err && strstr(err, "acgd.lambda") && strstr(err, "-2"), "%s", err ? err : "");
    free(err);
    snprintf(args, sizeof args, "ablate --collect %s --set acgd.lambda=5", test_tmpdir());
    CHECK_EQ_INT(test_run_segp_split(args, o, e), 2);
    err = read_text(e);
    CHECK_MSG(err && strstr(err, "--set do not apply"), "%s", err ? err : "");
    free(err);
}

/* The xargs line of --help (for a machine without GNU parallel) runs every cell that --list
 * prints, quoted --out and --set values included (README said "--list | xargs -P 2", which
 * only echoes the words); it and the parallel line give each job one thread, as README's do
 * (without OMP_NUM_THREADS=1 two jobs each took every core). */
TEST(ablate_help_xargs_line_runs_the_cells) {
    char o[600], e[600], cmd[3000], out_dir[600];
    snprintf(o, sizeof o, "%s/help-out.txt", test_tmpdir());
    snprintf(e, sizeof e, "%s/help-err.txt", test_tmpdir());
    CHECK_EQ_INT(test_run_segp_split("ablate --help", o, e), 0);
    char *help = read_text(o);
    CHECK_MSG(help && strstr(help, "--list | OMP_NUM_THREADS=1 parallel -j2\n"), "%s",
              help ? help : "");
    const char *x = help ? strstr(help, "--list | OMP_NUM_THREADS=1 xargs ") : NULL;
    CHECK_MSG(x != NULL, "no xargs line in:\n%s", help ? help : "");
    if (!x) {
        free(help);
        return;
    }
    x += strlen("--list | ");
    int len = (int)strcspn(x, "\n");
    const char *end = strstr(x, "  (");
    if (end && end - x < len) len = (int)(end - x);
    const char *cfg = tiny_config("abl-xargs", "0.002", "");
    snprintf(out_dir, sizeof out_dir, "%s/abl xargs", test_tmpdir());
    snprintf(cmd, sizeof cmd, "OMP_NUM_THREADS=1 %s ablate %s --variants zeroshot --seeds 2 "
             "--out '%s' --set 'prompt_template=a {} here.' --list | %.*s > %s 2> %s",
             test_segp_bin(), cfg, out_dir, len, x, o, e);
    free(help);
    int st = system(cmd);
    CHECK_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %d: %s", st, cmd);
    for (int s = 1; s <= 2; s++) {
        char p[800];
        snprintf(p, sizeof p, "%s/zeroshot-s%d/DONE", out_dir, s);
        CHECK_MSG(path_exists(p), "%s missing after: %s", p, cmd);
    }
}

/* ARGS fail with status RC and a message holding WANT, printing nothing on stdout. */
static void bad_args(const char *args, int rc, const char *want) {
    char o[600], e[600];
    snprintf(o, sizeof o, "%s/bad-out.txt", test_tmpdir());
    snprintf(e, sizeof e, "%s/bad-err.txt", test_tmpdir());
    CHECK_MSG(test_run_segp_split(args, o, e) == rc, "%s: not status %d", args, rc);
    char *out = read_text(o), *err = read_text(e);
    CHECK_MSG(out && !out[0], "%s: stdout: %s", args, out ? out : "");
    CHECK_MSG(err && strstr(err, want), "%s: '%s' not in: %s", args, want, err ? err : "");
    free(out);
    free(err);
}

TEST(ablate_bad_arguments_named) {
    const char *cfg = tiny_config("abl-base2", "0.002", "");
    const char *beta0 = tiny_config("abl-beta0", "0.002", ", \"inference\": {\"beta\": 0}");
    const char *acgd0 = tiny_config("abl-acgd0", "0.002", ", \"acgd\": {\"lambda\": 0}");
    char args[1400];
    snprintf(args, sizeof args, "ablate %s --list", beta0);
    bad_args(args, 1, "key 'inference.beta' is 0");
    snprintf(args, sizeof args, "ablate %s --list", acgd0);
    bad_args(args, 1, "key 'acgd.lambda' is 0");
    /* --list checks the values of the training and SeGP-CL keys too */
    const char *opt = tiny_config("abl-opt", "0.002", ", \"train.optimizer\": \"bogus\"");
    snprintf(args, sizeof args, "ablate %s --list", opt);
    bad_args(args, 1, "train.optimizer");
    const char *eps = tiny_config("abl-eps", "0.002", ", \"anchors\": {\"epsilon\": -1}");
    snprintf(args, sizeof args, "ablate %s --list", eps);
    bad_args(args, 1, "anchors.epsilon");
    /* the limits that need the benchmark too, before any cell trains (they stopped the sweep
     * at the first cell of a variant that uses the key): 2 tasks of 10 classes, 4 training
     * images per class */
    char none[700];
    snprintf(none, sizeof none, "%s/abl-limits-out", test_tmpdir());
    const char *k25 = tiny_config("abl-k25", "0.002", ", \"tsgr\": {\"k\": 25}");
    snprintf(args, sizeof args, "ablate %s --seeds 1 --out %s", k25, none);
    bad_args(args, 1, "variant \"tsgr\": key 'tsgr.k' = 25 but the run has 20 classes");
    CHECK(!path_exists(none));
    const char *k41 = tiny_config("abl-k41", "0.002", ", \"anchors\": {\"per_class\": 41}");
    snprintf(args, sizeof args, "ablate %s --seeds 1 --out %s --cell 0", k41, none);
    bad_args(args, 1, "variant \"acgd\": key 'anchors.per_class' = 41 but task 2 has 40");
    CHECK(!path_exists(none));
    /* an OUT that is a file (or under one): refused before any cell, in every mode */
    char file[700];
    snprintf(file, sizeof file, "%s/abl-out-file", test_tmpdir());
    write_text(file, "x");
    snprintf(args, sizeof args, "ablate %s --seeds 1 --out %s", cfg, file);
    bad_args(args, 1, "is a file, not a folder (expected a folder for the cells");
    snprintf(args, sizeof args, "ablate %s --list --out %s/sub", cfg, file);
    bad_args(args, 1, "abl-out-file is a file, not a folder");
    snprintf(args, sizeof args, "ablate --collect %s --out %s", test_tmpdir(), file);
    bad_args(args, 1, "is a file, not a folder (expected a folder for the tables");
    char *kept = read_text(file);
    CHECK(kept && !strcmp(kept, "x"));
    free(kept);
    /* without the segp variant, inference.beta 0 is fine */
    char o[600], e[600];
    snprintf(o, sizeof o, "%s/ok-out.txt", test_tmpdir());
    snprintf(e, sizeof e, "%s/ok-err.txt", test_tmpdir());
    snprintf(args, sizeof args, "ablate %s --list --variants zeroshot,acgd,tsgr", beta0);
    CHECK_EQ_INT(test_run_segp_split(args, o, e), 0);
    snprintf(args, sizeof args, "ablate %s --cell 21", cfg);
    bad_args(args, 2, "--cell 21 is out of range: this ablation has 21 cells, 0-20");
    snprintf(args, sizeof args, "ablate %s --cell -1 --seeds 2 --variants zeroshot,finetune", cfg);
    bad_args(args, 2, "4 cells, 0-3");
    /* one of each: "1 cells, 0-0 (1 variants x 1 seeds" */
    snprintf(args, sizeof args, "ablate %s --cell 1 --seeds 1 --variants zeroshot", cfg);
    bad_args(args, 2, "--cell 1 is out of range: this ablation has 1 cell, 0-0 (1 variant x 1 "
             "seed; --list prints them)");
    snprintf(args, sizeof args, "ablate %s --cell x", cfg);
    bad_args(args, 2, "--cell 'x'");
    snprintf(args, sizeof args, "ablate %s --seeds 0", cfg);
    bad_args(args, 2, "--seeds '0'");
    snprintf(args, sizeof args, "ablate %s --variants finetune,segpcl --list", cfg);
    bad_args(args, 1, "unknown variant 'segpcl'");
    /* an empty name is a typo (strtok passed over it: "segp,,acgd" ran segp and acgd) */
    snprintf(args, sizeof args, "ablate %s --variants segp,,acgd --list", cfg);
    bad_args(args, 1, "--variants 'segp,,acgd': an empty name");
    snprintf(args, sizeof args, "ablate %s --variants segp, --list", cfg);
    bad_args(args, 1, "--variants 'segp,': an empty name");
    snprintf(args, sizeof args, "ablate %s --list --cell 1", cfg);
    bad_args(args, 2, "exclude each other");
    snprintf(args, sizeof args, "ablate %s --bogus", cfg);
    bad_args(args, 2, "'--bogus'");
    snprintf(args, sizeof args, "ablate %s %s", cfg, cfg);
    bad_args(args, 2, "one CONFIG only");
    bad_args("ablate --seeds 2", 2, "CONFIG is required");
    bad_args("ablate --collect", 2, "at least one DIR");
    snprintf(args, sizeof args, "ablate %s --collect %s", cfg, test_tmpdir());
    bad_args(args, 2, "before --collect is not used");
    snprintf(args, sizeof args, "ablate --collect %s --seeds 2", test_tmpdir());
    bad_args(args, 2, "--seeds, --variants and --set do not apply");
    snprintf(args, sizeof args, "ablate %s/no-such.json --list", test_tmpdir());
    bad_args(args, 1, "no-such.json");
}

/* Real cells: the "zeroshot" and "finetune" variants of a tiny config (2 tasks, 4 training and
 * 2 test images per class), one seed (the config's: 5); one thread, as test_run.c's runs. The
 * seeds' offsets and the table's statistics are tested above. */
TEST(ablate_runs_cells_skips_and_resumes) {
    char saved[64] = "";
    if (getenv("OMP_NUM_THREADS")) snprintf(saved, sizeof saved, "%s", getenv("OMP_NUM_THREADS"));
    setenv("OMP_NUM_THREADS", "1", 1);
    const char *cfg = tiny_config("abl-run", "0.002", ", \"seed\": 5");
    char out_dir[600], args[1600], o[600], e[600], p[800];
    snprintf(out_dir, sizeof out_dir, "%s/abl-run-out", test_tmpdir());
    snprintf(o, sizeof o, "%s/run-out.txt", test_tmpdir());
    snprintf(e, sizeof e, "%s/run-err.txt", test_tmpdir());
    snprintf(args, sizeof args, "ablate %s --variants zeroshot,finetune --seeds 1 --out %s", cfg,
             out_dir);
    CHECK_EQ_INT(test_run_segp_split(args, o, e), 0);
    const char *cells[] = {"zeroshot-s5", "finetune-s5"};
    for (int k = 0; k < 2; k++) {
        snprintf(p, sizeof p, "%s/%s/DONE", out_dir, cells[k]);
        CHECK_MSG(path_exists(p), "%s missing", p);
    }
    /* each cell's config.json is its full resolved config: method and seed of its variant */
    snprintf(p, sizeof p, "%s/finetune-s5/config.json", out_dir);
    char *c = read_text(p), why[256];
    CHECK(c && ablate_classify(c, why, sizeof why) == ABL_FINETUNE && strstr(c, "\"seed\":\t5") &&
          strstr(c, "\"max_tasks\":\t2") && strstr(c, "\"model_sha256\""));
    free(c);
    snprintf(p, sizeof p, "%s/ablation.csv", out_dir);
    char *csv = read_text(p);
    CHECK(csv && count_lines(csv) == 3 && strstr(csv, "\"Zero-shot\",zeroshot,1,") &&
          strstr(csv, "\"Fine-tune\",finetune,1,"));
    free(csv);
    snprintf(p, sizeof p, "%s/ablation.md", out_dir);
    CHECK(path_exists(p));
    char *out = read_text(o);
    CHECK_MSG(out && strstr(out, "cell 1 of 2 (finetune, seed 5)") &&
                  strstr(out, "ablation table (2 runs, evaluated on the test split)") &&
                  !strstr(out, "+ACGD"),
              "%s", out ? out : "");
    free(out);
    /* rerun: every cell finished, skipped; the same table */
    CHECK_EQ_INT(test_run_segp_split(args, o, e), 0);
    out = read_text(o);
    int skipped = 0;
    for (const char *q = out; q && (q = strstr(q, "finished earlier, skipped")); q++) skipped++;
    CHECK_EQ_INT(skipped, 2);
    free(out);
    /* another config into the same folder: refused, naming the key that differs */
    const char *other = tiny_config("abl-run-other", "0.003", ", \"seed\": 5");
    snprintf(args, sizeof args, "ablate %s --variants zeroshot,finetune --seeds 1 --out %s",
             other, out_dir);
    CHECK_EQ_INT(test_run_segp_split(args, o, e), 1);
    char *err = read_text(e);
    CHECK_MSG(err && strstr(err, "key 'train.lr' is 0.002 there, 0.003 here"), "%s",
              err ? err : "");
    /* the same command would be refused again: no "continue with" it, but another --out */
    CHECK_MSG(err && !strstr(err, "continue with") && strstr(err, "choose another --out"), "%s",
              err ? err : "");
    free(err);
    snprintf(args, sizeof args,
             "ablate %s --variants zeroshot,finetune --seeds 1 --out %s --cell 0", other, out_dir);
    CHECK_EQ_INT(test_run_segp_split(args, o, e), 1);
    err = read_text(e);
    CHECK_MSG(err && strstr(err, "train.lr") && !strstr(err, "continue with"), "%s",
              err ? err : "");
    free(err);
    /* --cell: a folder left by a cell killed before its config.json was in place (an empty
     * tasks/, the lock file, the record and a torn temporary config.json) is started afresh;
     * Ctrl-C stops a cell (130) and rerunning the cell resumes it to the metrics of the
     * uninterrupted one */
    char out2[600];
    snprintf(out2, sizeof out2, "%s/abl-cell-out", test_tmpdir());
    snprintf(p, sizeof p, "%s/finetune-s5/tasks", out2);
    mkdirs(p);
    const char *left[] = {".lock", "config.json.sha256", "config.json.tmp.99"};
    for (int k = 0; k < 3; k++) {
        snprintf(p, sizeof p, "%s/finetune-s5/%s", out2, left[k]);
        write_text(p, "{\"mod");
    }
    char cmd[2400];
    snprintf(cmd, sizeof cmd, "SEGP_FAULT_KILL=step:3:INT %s ablate %s --variants "
             "zeroshot,finetune --seeds 1 --out %s --cell 1 > %s 2> %s", test_segp_bin(), cfg, out2,
             o, e);
    int st = system(cmd);
    CHECK_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 130, "status %d", st);
    err = read_text(e);
    CHECK_MSG(err && strstr(err, "--cell 1") && strstr(err, "continue with"), "%s",
              err ? err : "");
    free(err);
    snprintf(p, sizeof p, "%s/finetune-s5/DONE", out2);
    CHECK(!path_exists(p));
    /* while another process runs the cell (a job array's twin): --cell refuses, naming it; the
     * whole ablation runs the other cells and leaves that one out of its table, saying so */
    char cell_dir[800], want[64];
    snprintf(cell_dir, sizeof cell_dir, "%s/finetune-s5", out2);
    int holder = test_lock_hold(cell_dir);
    CHECK(holder > 0);
    snprintf(want, sizeof want, "(pid %d on ", holder);
    snprintf(args, sizeof args, "ablate %s --variants zeroshot,finetune --seeds 1 --out %s "
             "--cell 1", cfg, out2);
    CHECK_EQ_INT(test_run_segp_split(args, o, e), 1);
    err = read_text(e);
    CHECK_MSG(err && strstr(err, "another segp process is running this cell") &&
                  strstr(err, want) && !strstr(err, "continue with"), "%s", err ? err : "");
    free(err);
    snprintf(args, sizeof args, "ablate %s --variants zeroshot,finetune --seeds 1 --out %s", cfg,
             out2);
    CHECK_EQ_INT(test_run_segp_split(args, o, e), 0);
    out = read_text(o);
    CHECK_MSG(out && strstr(out, "skipped: ") && strstr(out, want) &&
                  strstr(out, "1 cell is still running in other processes") &&
                  strstr(out, "ablation table (1 run, "), "%s", out ? out : "");
    free(out);
    test_lock_release(holder);
    CHECK(!path_exists(p));
    snprintf(args, sizeof args, "ablate %s --variants zeroshot,finetune --seeds 1 --out %s "
             "--cell 1", cfg, out2);
    CHECK_EQ_INT(test_run_segp_split(args, o, e), 0);
    CHECK(path_exists(p));
    char pa[800], pb[800];
    snprintf(pa, sizeof pa, "%s/finetune-s5/metrics.jsonl", out_dir);
    snprintf(pb, sizeof pb, "%s/finetune-s5/metrics.jsonl", out2);
    char *ma = read_text(pa), *mb = read_text(pb);
    CHECK(ma && mb && !strcmp(ma, mb));
    free(ma);
    free(mb);
    out = read_text(o);
    CHECK(out && strstr(out, "when every cell is finished:") && strstr(out, "--collect"));
    free(out);
    if (saved[0]) setenv("OMP_NUM_THREADS", saved, 1);
    else unsetenv("OMP_NUM_THREADS");
}

/* Seeds are paired only between runs of one config: a SeGP-CL run made at another learning
 * rate than its seed's fine-tune is left out of the pair (and counted in a note), not compared
 * with it. */
TEST(ablate_pairs_only_matched_configs) {
    ablate_runs runs = {0};
    runs.n = runs.cap = 4;
    runs.run = calloc(4, sizeof *runs.run);
    const struct {
        int variant, seed;
        const char *lr;
        double last, forg;
    } def[4] = {{ABL_FINETUNE, 1, "0.001", 60, 10}, {ABL_FINETUNE, 2, "0.001", 62, 12},
                {ABL_SEGP, 1, "0.001", 65, 8}, {ABL_SEGP, 2, "0.0003", 70, 5}};
    for (int i = 0; i < 4; i++) {
        ablate_run *r = &runs.run[i];
        char t[64];
        r->dir = strdup(def[i].variant == ABL_SEGP ? "segp" : "finetune");
        r->variant = def[i].variant;
        r->seed = (uint64_t)def[i].seed;
        r->main = r->clip = (ablate_numbers){80, def[i].last, def[i].forg, -def[i].forg, 1.5};
        r->has_clip = 1;
        r->shared = strdup("model=m\n");
        snprintf(t, sizeof t, "train.lr=%s\n", def[i].lr);
        r->training = strdup(t);
        r->segp_keys = strdup("acgd.tau=20\n");
    }
    CHECK(ablate_runs_matched(&runs.run[0], &runs.run[2]));
    CHECK(!ablate_runs_matched(&runs.run[1], &runs.run[3]));
    CHECK(!ablate_runs_matched(&runs.run[3], &runs.run[1]));
    ablate_pair pairs[ABL_PAIRS];
    ablate_pairs(&runs, pairs);
    const ablate_pair *sf = &pairs[PAIR_SEGP_FINETUNE];
    CHECK(sf->n == 1 && sf->unmatched == 1 && !strcmp(sf->seed_list, "1"));
    CHECK_NEAR(sf->last.mean, 5, 1e-12); /* seed 1 only: 65 - 60 */
    char *text = ablate_format_pairs_text(pairs, ablate_row_mask(NULL));
    CHECK_MSG(text && strstr(text, "+5.00 ± —") &&
                  strstr(text, "left out: 1 seed pair whose two runs' configs differ"),
              "%s", text ? text : "");
    free(text);
    ablate_runs_free(&runs);
}
