/* test_ablate.c: `segp ablate`'s parts (app/ablate.c, app/ablate_table.c): the variants derived
 * from a base config, their requirements, the cells, classification of run directories by
 * config.json, and the table from synthetic run directories (means, sample std, the clip_branch
 * row, the ratio, missing seeds, unfinished and unplaceable runs), the check before any work
 * (image files read once per benchmark). The command itself is in test_ablate_cmd.c. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "../app/ablate.h"
#include "core/common.h"
#include "test.h"

/* ---- variants and cells ---- */

static cl_config base_config(void) {
    cl_config b = cl_config_default();
    b.seed = 7;
    b.train.lr = 0.004f;
    b.segp.lambda_acgd = 3;
    b.segp.lambda_gr = 2;
    b.segp.beta = 0.7f;
    b.segp.transfer = 1;
    snprintf(b.segp.anchors, sizeof b.segp.anchors, "seeds");
    return b;
}

TEST(ablate_variants_override_their_keys_only) {
    cl_config b = base_config();
    struct {
        int v;
        const char *method, *source;
        float tsgr, beta;
        int transfer;
    } want[] = {
        {ABL_ZEROSHOT, "zeroshot", "seeds", 2, 0.7f, 1}, /* SeGP-CL keys kept (ignored) */
        {ABL_FINETUNE, "finetune", "seeds", 2, 0.7f, 1},
        {ABL_ACGD, "segp", "pgd", 0, 0, 0},
        {ABL_TSGR, "segp", "pgd", 2, 0, 0},
        {ABL_SEGP, "segp", "pgd", 2, 0.7f, 1},
        {ABL_NEW_TASK, "segp", "new_task", 0, 0, 0},
        {ABL_SEEDS, "segp", "seeds", 0, 0, 0},
    };
    for (int i = 0; i < ABL_VARIANTS; i++) {
        cl_config c;
        ablate_derive(&b, want[i].v, 2, &c);
        const char *name = ablate_variant_at(want[i].v)->name;
        CHECK_MSG(!strcmp(c.method, want[i].method), "%s: method %s", name, c.method);
        CHECK_MSG(!strcmp(c.segp.anchors, want[i].source), "%s: source %s", name, c.segp.anchors);
        CHECK_MSG(c.segp.lambda_gr == want[i].tsgr, "%s: tsgr.lambda %g", name,
                  (double)c.segp.lambda_gr);
        CHECK_MSG(c.segp.beta == want[i].beta, "%s: beta %g", name, (double)c.segp.beta);
        CHECK_MSG(c.segp.transfer == want[i].transfer, "%s: transfer", name);
        CHECK_EQ_INT(c.seed, 9);
        /* every other field is the base's: put the switched ones back and compare bytes */
        memcpy(c.method, b.method, sizeof c.method);
        memcpy(c.segp.anchors, b.segp.anchors, sizeof c.segp.anchors);
        c.segp.lambda_gr = b.segp.lambda_gr, c.segp.beta = b.segp.beta;
        c.segp.transfer = b.segp.transfer, c.seed = b.seed;
        CHECK_MSG(!memcmp(&c, &b, sizeof c), "%s: another field changed", name);
        CHECK_EQ_INT(ablate_variant_find(name), want[i].v);
    }
    CHECK_EQ_INT(ablate_variant_find("joint"), -1);
}

TEST(ablate_variant_requirements_named) {
    cl_config b = base_config();
    for (int v = 0; v < ABL_VARIANTS; v++) CHECK_EQ_INT(ablate_variant_check(&b, v), 0);
    b.segp.beta = 0;
    CHECK(ablate_variant_check(&b, ABL_SEGP) == -1 && err_has("'inference.beta'"));
    CHECK(ablate_variant_check(&b, ABL_TSGR) == 0 && ablate_variant_check(&b, ABL_ACGD) == 0);
    b = base_config();
    b.segp.transfer = 0;
    CHECK(ablate_variant_check(&b, ABL_SEGP) == -1 && err_has("'prototypes.transfer'"));
    b = base_config();
    b.segp.lambda_gr = 0;
    CHECK(ablate_variant_check(&b, ABL_TSGR) == -1 && err_has("'tsgr.lambda'"));
    CHECK(ablate_variant_check(&b, ABL_SEGP) == -1 && err_has("'tsgr.lambda'"));
    CHECK(ablate_variant_check(&b, ABL_ACGD) == 0 && ablate_variant_check(&b, ABL_SEEDS) == 0);
    b = base_config();
    b.segp.lambda_acgd = 0;
    for (int v = ABL_ACGD; v <= ABL_SEEDS; v++)
        CHECK(ablate_variant_check(&b, v) == -1 && err_has("'acgd.lambda'"));
    CHECK(ablate_variant_check(&b, ABL_ZEROSHOT) == 0);
    CHECK(ablate_variant_check(&b, ABL_FINETUNE) == 0);
}

/* The check before any work reads the image files once per benchmark: each of the seven
 * variants read every file again (7 opens of each for one CONFIG). The variant whose check
 * reads them trains (the training split besides the test split). */
TEST(ablate_file_checks_once_per_benchmark) {
    cl_config b = base_config();
    const struct { const char *list; unsigned want; } cases[] = {
        {NULL, 1u << ABL_FINETUNE},
        {"zeroshot", 1u << ABL_ZEROSHOT},
        {"zeroshot,seeds", 1u << ABL_SEEDS},
        {"segp,new_task,tsgr", 1u << ABL_TSGR},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        ablate_plan p;
        CHECK(ablate_plan_init(&p, cases[k].list, 2) == 0);
        unsigned got = ablate_file_checks(&p, &b);
        CHECK_MSG(got == cases[k].want, "%s: mask %#x, expected %#x",
                  cases[k].list ? cases[k].list : "(all)", got, cases[k].want);
    }
}

/* The opens of the image files by the full check of every variant (ablate_check), counted by
 * inotify on their folder: 4 training and 8 test images, so 12, not 6 x 12 + 8 = 80. */
TEST(ablate_check_reads_each_image_once) {
    mkdirs(tpath("abl-files/img", ""));
    char list[512] = "", name[64], line[96];
    for (int i = 0; i < 12; i++) {
        snprintf(name, sizeof name, "img/%s%d.png", i < 4 ? "t" : "e", i);
        write_synth_png(tpath("abl-files/%s", name), i, 8, 8);
        snprintf(line, sizeof line, "%s %d\n", name, i % 4);
        strcat(list, line);
        if (i == 3) {
            write_text(tpath("abl-files/%s", "train.txt"), list);
            list[0] = 0;
        }
    }
    write_text(tpath("abl-files/%s", "test.txt"), list);
    char json[1600];
    snprintf(json, sizeof json,
             "{\"model\": \"sample_runs/models/shapes-clip.safetensors\", \"benchmark\": "
             "{\"name\": \"folder\", \"root\": \"%s\", \"order\": \"identity\", "
             "\"tasks\": \"2\"}, \"train\": {\"batch_size\": 4}, \"tsgr\": {\"k\": 1}, "
             "\"anchors\": {\"per_class\": 1}}", tpath("abl-files", ""));
    int nf;
    const cfg_field *f = cl_config_fields(&nf);
    cl_config b = cl_config_default();
    CHECK_MSG(cfg_parse_string(json, "abl.json", f, nf, &b) == 0, "%s", segp_last_error());
    ablate_plan p;
    CHECK(ablate_plan_init(&p, NULL, 1) == 0);
    int fd = inotify_init1(IN_NONBLOCK);
    if (fd < 0) TEST_SKIP("no inotify here");
    CHECK(inotify_add_watch(fd, tpath("abl-files/img", ""), IN_OPEN) >= 0);
    CHECK_MSG(ablate_check(&p, &b, "abl.json", 1) == 0, "%s", segp_last_error());
    /* consecutive events differ (each file once per split), so none are merged */
    int opens = 0;
    char buf[65536] __attribute__((aligned(__alignof__(struct inotify_event))));
    for (ssize_t got; (got = read(fd, buf, sizeof buf)) > 0;)
        for (char *e = buf; e < buf + got; e += sizeof(struct inotify_event) +
                                                  ((struct inotify_event *)e)->len)
            opens++;
    close(fd);
    CHECK_EQ_INT(opens, 12);
    /* a missing file is still found, naming the variant that read it */
    unlink(tpath("abl-files/%s", "img/t1.png"));
    CHECK(ablate_check(&p, &b, "abl.json", 1) != 0);
    CHECK_MSG(strstr(segp_last_error(), "abl.json, variant \"finetune\": key 'benchmark.root'") &&
              strstr(segp_last_error(), "img/t1.png: No such file"), "%s", segp_last_error());
}

TEST(ablate_cells_seed_major) {
    ablate_plan p;
    CHECK_EQ_INT(ablate_plan_init(&p, NULL, 3), 0);
    CHECK_EQ_INT(ablate_num_cells(&p), 21);
    int v, s;
    ablate_cell_at(&p, 0, &v, &s);
    CHECK(v == ABL_ZEROSHOT && s == 0);
    ablate_cell_at(&p, 8, &v, &s);
    CHECK(v == ABL_FINETUNE && s == 1);
    ablate_cell_at(&p, 20, &v, &s);
    CHECK(v == ABL_SEEDS && s == 2);
    /* a subset keeps the table's order, whatever order it was named in */
    CHECK_EQ_INT(ablate_plan_init(&p, "seeds,finetune", 2), 0);
    char names[64];
    ablate_plan_variants(&p, names, sizeof names);
    CHECK(!strcmp(names, "finetune,seeds"));
    ablate_cell_at(&p, 3, &v, &s);
    CHECK(v == ABL_SEEDS && s == 1);
    CHECK(ablate_plan_init(&p, "finetune,bogus", 2) == -1 && err_has("'bogus'"));
    CHECK(ablate_plan_init(&p, "acgd,acgd", 2) == -1 && err_has("twice"));
    char dir[128];
    ablate_cell_dir("runs/x", ABL_NEW_TASK, 12, dir, sizeof dir);
    CHECK(!strcmp(dir, "runs/x/new_task-s12"));
    /* the rows shown for a subset: its variants' rows (segp gives two) */
    CHECK_EQ_INT(ablate_plan_init(&p, "zeroshot,segp", 1), 0);
    CHECK_EQ_INT(ablate_row_mask(&p),
                 (1u << ROW_ZEROSHOT) | (1u << ROW_TRANSFER) | (1u << ROW_SEGP));
    CHECK_EQ_INT(ablate_row_mask(NULL), (1u << ABL_ROWS) - 1);
}

TEST(ablate_classify_by_values) {
    char why[512];
    CHECK_EQ_INT(ablate_classify("{\"method\": \"zeroshot\"}", why, sizeof why), ABL_ZEROSHOT);
    CHECK_EQ_INT(ablate_classify("{\"method\": \"finetune\"}", why, sizeof why), ABL_FINETUNE);
    const char *fmt = "{\"method\": \"segp\", \"acgd\": {\"lambda\": %g},"
                      " \"tsgr\": {\"lambda\": %g},"
                      " \"prototypes\": {\"transfer\": %s}, \"inference\": {\"beta\": %g},"
                      " \"anchors\": {\"source\": \"%s\"}}";
    struct {
        double acgd, tsgr;
        const char *transfer;
        double beta;
        const char *source;
        int want;
    } cases[] = {
        {5, 0, "false", 0, "pgd", ABL_ACGD},
        {5, 1, "false", 0, "pgd", ABL_TSGR},
        {5, 1, "true", 0.5, "pgd", ABL_SEGP},
        {5, 0, "false", 0, "new_task", ABL_NEW_TASK},
        {5, 0, "false", 0, "seeds", ABL_SEEDS},
        {0, 0, "false", 0, "pgd", -1},      /* ACGD off: no row */
        {5, 1, "true", 0, "pgd", -1},       /* transfer without the visual branch */
        {5, 1, "false", 0, "seeds", -1},    /* source comparisons run without TSGR */
        {5, 1, "true", 0.5, "new_task", -1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char json[512];
        snprintf(json, sizeof json, fmt, cases[i].acgd, cases[i].tsgr, cases[i].transfer,
                 cases[i].beta, cases[i].source);
        CHECK_MSG(ablate_classify(json, why, sizeof why) == cases[i].want, "case %zu: %s", i,
                  json);
    }
    /* dotted top-level keys, as a hand-written config may have them */
    CHECK_EQ_INT(ablate_classify("{\"method\": \"segp\", \"acgd.lambda\": 1, \"tsgr.lambda\": 0, "
                                 "\"prototypes.transfer\": false, \"inference.beta\": 0, "
                                 "\"anchors.source\": \"seeds\"}", why, sizeof why),
                 ABL_SEEDS);
    CHECK(ablate_classify("{\"method\": \"joint\"}", why, sizeof why) == -1 &&
          strstr(why, "joint"));
    CHECK(ablate_classify("{\"method\": \"segp\", \"acgd\": {\"lambda\": 5}}", why, sizeof why) ==
              -1 && strstr(why, "tsgr.lambda"));
    CHECK(ablate_classify("[1]", why, sizeof why) == -1);
}

/* ---- the table from synthetic run directories ---- */

/* A run directory: config.json with the given values, metrics.jsonl with one task line and
 * FINAL (NULL: none), DONE when DONE. */
static void synth_run(const char *dir, const char *method, int seed, double tsgr, int transfer,
                      double beta, const char *source, const char *lr, const char *final,
                      int done) {
    mkdirs(dir);
    char p[1200], text[2048];
    snprintf(text, sizeof text,
             "{\n  \"model\": \"m.safetensors\", \"method\": \"%s\", \"seed\": %d,\n"
             "  \"train\": {\"lr\": %s, \"epochs\": 3},\n"
             "  \"anchors\": {\"source\": \"%s\", \"steps\": 10}, \"acgd\": {\"lambda\": 5},\n"
             "  \"tsgr\": {\"lambda\": %g}, \"prototypes\": {\"transfer\": %s},\n"
             "  \"inference\": {\"beta\": %g},\n"
             "  \"resolved\": {\"model_sha256\": \"ab12\", \"build\": \"b%d\","
             " \"threads\": %d}\n}\n",
             method, seed, lr, source, tsgr, transfer ? "true" : "false", beta, seed, seed);
    snprintf(p, sizeof p, "%s/config.json", dir);
    write_text(p, text);
    snprintf(text, sizeof text, "{\"task\": 1, \"acc\": 90.0000}\n%s%s", final ? final : "",
             final ? "\n" : "");
    snprintf(p, sizeof p, "%s/metrics.jsonl", dir);
    write_text(p, text);
    if (done) {
        snprintf(p, sizeof p, "%s/DONE", dir);
        write_text(p, "");
    }
}

static void final_line(char *buf, size_t n, double avg, double last, double forg, double bwt,
                       const char *more) {
    snprintf(buf, n, "{\"last\": %.4f, \"avg\": %.4f, \"forgetting\": %.4f, \"bwt\": %.4f, "
             "\"fwt\": 70.0000%s}", last, avg, forg, bwt, more);
}

/* An ablation folder and two run directories given on their own (see the test below). */
static const char *synth_ablation(void) {
    static char root[600];
    if (root[0]) return root;
    snprintf(root, sizeof root, "%s/synth-abl", test_tmpdir());
    char d[800], fin[600], more[300];
    /* zeroshot, 3 seeds: ratio null; seed 3 made with another learning rate, which a run
     * that trains nothing ignores */
    double zs_avg[3] = {76, 77, 78}, zs_forg[3] = {8, 9, 10};
    for (int s = 1; s <= 3; s++) {
        snprintf(d, sizeof d, "%s/zeroshot-s%d", root, s);
        final_line(fin, sizeof fin, zs_avg[s - 1], 69, zs_forg[s - 1], -zs_forg[s - 1],
                   ", \"boundary_core_ratio\": null");
        synth_run(d, "zeroshot", s, 1, 1, 0.5, "pgd", s == 3 ? "0.0003" : "0.001", fin, 1);
    }
    /* finetune, seeds 1 and 2 (3 missing); seed 2 sits in a folder named like an acgd cell */
    snprintf(d, sizeof d, "%s/finetune-s1", root);
    final_line(fin, sizeof fin, 75, 62, 14, -14, ", \"boundary_core_ratio\": 1.5");
    synth_run(d, "finetune", 1, 1, 1, 0.5, "pgd", "0.001", fin, 1);
    snprintf(d, sizeof d, "%s/acgd-s2", root);
    final_line(fin, sizeof fin, 77, 64, 12, -12, ", \"boundary_core_ratio\": 2.5");
    synth_run(d, "finetune", 2, 1, 1, 0.5, "pgd", "0.001", fin, 1);
    /* acgd, one seed */
    snprintf(d, sizeof d, "%s/x1", root);
    final_line(fin, sizeof fin, 80, 70, 6, -6, ", \"boundary_core_ratio\": 1.2");
    synth_run(d, "segp", 1, 0, 0, 0, "pgd", "0.001", fin, 1);
    /* tsgr: unfinished (no DONE, no final line) */
    snprintf(d, sizeof d, "%s/tsgr-s1", root);
    synth_run(d, "segp", 1, 1, 0, 0, "pgd", "0.001", NULL, 0);
    /* segp, 2 seeds, with the CLIP branch; seed 2's clip_branch has its own ratio */
    snprintf(d, sizeof d, "%s/segp-s1", root);
    snprintf(more, sizeof more, ", \"clip_branch\": {\"last\": 79.0000, \"avg\": 84.0000, "
             "\"forgetting\": 5.0000, \"bwt\": -5.0000, \"fwt\": 70.0000}, "
             "\"boundary_core_ratio\": 1.1");
    final_line(fin, sizeof fin, 85, 80, 4, -4, more);
    synth_run(d, "segp", 1, 1, 1, 0.5, "pgd", "0.001", fin, 1);
    snprintf(d, sizeof d, "%s/segp-s2", root);
    snprintf(more, sizeof more, ", \"clip_branch\": {\"last\": 81.0000, \"avg\": 84.0000, "
             "\"forgetting\": 7.0000, \"bwt\": -7.0000, \"fwt\": 70.0000, "
             "\"boundary_core_ratio\": 0.9}, \"boundary_core_ratio\": 1.3");
    final_line(fin, sizeof fin, 87, 82, 6, -6, more);
    synth_run(d, "segp", 2, 1, 1, 0.5, "pgd", "0.001", fin, 1);
    /* left out: method joint; segp with transfer but beta 0; a copy of zeroshot seed 1 */
    snprintf(d, sizeof d, "%s/joint-s1", root);
    synth_run(d, "joint", 1, 1, 1, 0.5, "pgd", "0.001", fin, 1);
    snprintf(d, sizeof d, "%s/odd-s1", root);
    synth_run(d, "segp", 1, 1, 1, 0, "pgd", "0.001", fin, 1);
    snprintf(d, sizeof d, "%s/zz-copy", root);
    final_line(fin, sizeof fin, 76, 69, 8, -8, "");
    synth_run(d, "zeroshot", 1, 1, 1, 0.5, "pgd", "0.001", fin, 1);
    /* and a second fine-tune of seed 1 made with another learning rate (finetune-s1 stays) */
    snprintf(d, sizeof d, "%s/zz-other", root);
    final_line(fin, sizeof fin, 70, 60, 15, -15, ", \"boundary_core_ratio\": 1.5");
    synth_run(d, "finetune", 1, 1, 1, 0.5, "pgd", "0.0005", fin, 1);
    /* a folder that is no run directory */
    snprintf(d, sizeof d, "%s/logs", root);
    mkdirs(d);
    /* new_task, 2 seeds, outside the folder; seed 2 with another learning rate */
    snprintf(d, sizeof d, "%s/nt-a", test_tmpdir());
    final_line(fin, sizeof fin, 79, 66, 9, -9, ", \"boundary_core_ratio\": 1.4");
    synth_run(d, "segp", 1, 0, 0, 0, "new_task", "0.001", fin, 1);
    snprintf(d, sizeof d, "%s/nt-b", test_tmpdir());
    final_line(fin, sizeof fin, 81, 68, 11, -11, ", \"boundary_core_ratio\": 1.6");
    synth_run(d, "segp", 2, 0, 0, 0, "new_task", "0.002", fin, 1);
    return root;
}

#define SQRT2 1.4142135623730951

TEST(ablate_collect_table_values) {
    const char *root = synth_ablation();
    char nt_a[600], nt_b[600], notes_path[600];
    snprintf(nt_a, sizeof nt_a, "%s/nt-a", test_tmpdir());
    snprintf(nt_b, sizeof nt_b, "%s/nt-b", test_tmpdir());
    snprintf(notes_path, sizeof notes_path, "%s/abl-notes.txt", test_tmpdir());
    const char *dirs[] = {root, nt_a, nt_b};
    FILE *notes = fopen(notes_path, "w");
    ablate_runs runs;
    CHECK_EQ_INT(ablate_collect(dirs, 3, notes, &runs), 0);
    fclose(notes);
    CHECK_EQ_INT(runs.n, 3 + 2 + 1 + 2 + 2);
    /* placed by config, not by name: the folder acgd-s2 holds a finetune run */
    int found = 0;
    for (int i = 0; i < runs.n; i++)
        if (strstr(runs.run[i].dir, "/acgd-s2")) found = runs.run[i].variant == ABL_FINETUNE;
    CHECK(found);
    ablate_row rows[ABL_ROWS];
    ablate_table(&runs, rows);
    const ablate_row *z = &rows[ROW_ZEROSHOT];
    CHECK(!strcmp(z->label, "Zero-shot") && z->seeds == 3 && !strcmp(z->seed_list, "1 2 3"));
    CHECK_NEAR(z->avg.mean, 77, 1e-12);
    CHECK_NEAR(z->avg.std, 1, 1e-12);
    CHECK_NEAR(z->last.mean, 69, 1e-12);
    CHECK_NEAR(z->last.std, 0, 1e-12);
    CHECK_NEAR(z->forgetting.mean, 9, 1e-12);
    CHECK_NEAR(z->bwt.mean, -9, 1e-12);
    CHECK_NEAR(z->bwt.std, 1, 1e-12);
    CHECK(z->ratio.n == 0 && isnan(z->ratio.mean));
    const ablate_row *f = &rows[ROW_FINETUNE];
    CHECK(f->seeds == 2 && !strcmp(f->seed_list, "1 2"));
    CHECK_NEAR(f->avg.mean, 76, 1e-12);
    CHECK_NEAR(f->avg.std, SQRT2, 1e-12);
    CHECK_NEAR(f->last.mean, 63, 1e-12);
    CHECK_NEAR(f->forgetting.mean, 13, 1e-12);
    CHECK_NEAR(f->ratio.mean, 2, 1e-12);
    CHECK_NEAR(f->ratio.std, SQRT2 / 2, 1e-12);
    const ablate_row *a = &rows[ROW_ACGD];
    CHECK(a->seeds == 1 && a->last.n == 1 && isnan(a->last.std));
    CHECK_NEAR(a->last.mean, 70, 1e-12);
    CHECK_NEAR(a->ratio.mean, 1.2, 1e-12);
    CHECK(rows[ROW_TSGR].seeds == 0 && isnan(rows[ROW_TSGR].avg.mean));
    const ablate_row *t = &rows[ROW_TRANSFER], *s = &rows[ROW_SEGP];
    CHECK(!strcmp(t->label, "+prototype transfer") && t->seeds == 2);
    CHECK_NEAR(t->avg.mean, 84, 1e-12);
    CHECK_NEAR(t->avg.std, 0, 1e-12);
    CHECK_NEAR(t->last.mean, 80, 1e-12);
    CHECK_NEAR(t->last.std, SQRT2, 1e-12);
    CHECK_NEAR(t->forgetting.mean, 6, 1e-12);
    CHECK_NEAR(t->ratio.mean, 1.0, 1e-12); /* 1.1 (the run's) and 0.9 (its own) */
    CHECK_NEAR(t->ratio.std, 0.1 * SQRT2, 1e-12);
    CHECK(!strcmp(s->label, "+visual branch (SeGP-CL)") && s->seeds == 2);
    CHECK_NEAR(s->avg.mean, 86, 1e-12);
    CHECK_NEAR(s->last.mean, 81, 1e-12);
    CHECK_NEAR(s->bwt.mean, -5, 1e-12);
    CHECK_NEAR(s->ratio.mean, 1.2, 1e-12);
    const ablate_row *n = &rows[ROW_NEW_TASK];
    CHECK(n->seeds == 2);
    CHECK_NEAR(n->last.mean, 67, 1e-12);
    CHECK_NEAR(n->ratio.mean, 1.5, 1e-12);
    CHECK(rows[ROW_SEEDS].seeds == 0);
    /* paired by seed: only the seeds both rows have */
    ablate_pair pairs[ABL_PAIRS];
    ablate_pairs(&runs, pairs);
    const ablate_pair *sf = &pairs[PAIR_SEGP_FINETUNE], *sz = &pairs[PAIR_SEGP_ZEROSHOT];
    CHECK(sf->row_a == ROW_SEGP && sf->row_b == ROW_FINETUNE && sf->n == 2 &&
          !strcmp(sf->seed_list, "1 2") && sf->last_higher == 2 && sf->forgetting_lower == 2);
    CHECK_NEAR(sf->last.mean, 18, 1e-12); /* 80 - 62, 82 - 64 */
    CHECK_NEAR(sf->last.std, 0, 1e-12);
    CHECK_NEAR(sf->forgetting.mean, -8, 1e-12); /* 4 - 14, 6 - 12 */
    CHECK_NEAR(sf->forgetting.std, 2 * SQRT2, 1e-12);
    CHECK(sz->n == 2 && sz->last_higher == 2 && sz->forgetting_lower == 2);
    CHECK_NEAR(sz->last.mean, 12, 1e-12); /* 80 - 69, 82 - 69 */
    CHECK_NEAR(sz->last.std, SQRT2, 1e-12);
    CHECK_NEAR(sz->forgetting.mean, -3.5, 1e-12); /* 4 - 8, 6 - 9 */
    const ablate_pair *an = &pairs[PAIR_ANCHORS_NEW_TASK];
    CHECK(an->n == 1 && !strcmp(an->seed_list, "1") && isnan(an->last.std));
    CHECK_NEAR(an->last.mean, 4, 1e-12); /* 70 - 66 */
    CHECK_NEAR(an->forgetting.mean, -3, 1e-12);
    CHECK(pairs[PAIR_ANCHORS_SEEDS].n == 0 && pairs[PAIR_SEEDS_NEW_TASK].n == 0 &&
          isnan(pairs[PAIR_ANCHORS_SEEDS].last.mean));
    /* a pair is shown only when both of its rows are */
    ablate_plan plan;
    CHECK_EQ_INT(ablate_plan_init(&plan, "zeroshot,finetune,segp", 2), 0);
    char *ptext = ablate_format_pairs_text(pairs, ablate_row_mask(&plan));
    CHECK_MSG(strstr(ptext, "SeGP-CL – Fine-tune") && strstr(ptext, "+18.00 ± 0.00") &&
                  strstr(ptext, "-8.00 ± 2.83") && strstr(ptext, "SeGP-CL – Zero-shot") &&
                  !strstr(ptext, "+ACGD"), "%s", ptext);
    free(ptext);
    CHECK_EQ_INT(ablate_plan_init(&plan, "zeroshot,acgd", 2), 0);
    ptext = ablate_format_pairs_text(pairs, ablate_row_mask(&plan));
    CHECK_MSG(!strcmp(ptext, ""), "%s", ptext);
    free(ptext);
    ablate_runs_free(&runs);
    char *text = read_text(notes_path);
    CHECK_MSG(text && strstr(text, "tsgr-s1: unfinished (no DONE)") &&
                  strstr(text, "joint-s1: method \"joint\" is no row") &&
                  strstr(text, "odd-s1: method \"segp\" with") &&
                  strstr(text, "zz-copy: the same variant (zeroshot) and seed (1)") &&
                  strstr(text, "zz-other: the same variant (finetune) and seed (1) as ") &&
                  strstr(text, "left out; its config differs (key 'train.lr' is 0.0005, but "
                               "0.001 in ") &&
                  strstr(text, "logs: no config.json") &&
                  strstr(text, "nt-b: key 'train.lr' is 0.002, but 0.001 in"),
              "%s", text ? text : "");
    /* the copy's config is the kept run's: its note says nothing of a difference */
    const char *cp = text ? strstr(text, "zz-copy:") : NULL;
    const char *eol = cp ? strchr(cp, '\n') : NULL;
    const char *dif = cp ? strstr(cp, "differs") : NULL;
    CHECK(cp && eol && (!dif || dif > eol));
    CHECK_MSG(text && !strstr(text, "segp-s"), "%s", text ? text : ""); /* the segp runs agree */
    CHECK_MSG(text && !strstr(text, "zeroshot-s3"), "%s", text ? text : ""); /* trains nothing */
    free(text);
}

TEST(ablate_collect_command_writes_csv_md) {
    const char *root = synth_ablation();
    char args[2000], o[600], e[600], p[700];
    snprintf(o, sizeof o, "%s/collect-out.txt", test_tmpdir());
    snprintf(e, sizeof e, "%s/collect-err.txt", test_tmpdir());
    /* the output folder defaults to the first DIR when it is an ablation folder */
    snprintf(args, sizeof args, "ablate --collect %s %s/nt-a %s/nt-b", root, test_tmpdir(),
             test_tmpdir());
    CHECK_EQ_INT(test_run_segp_split(args, o, e), 0);
    snprintf(p, sizeof p, "%s/ablation.csv", root);
    char *csv = read_text(p);
    CHECK_MSG(csv && !strcmp(csv,
        "row,source,seeds,avg_mean,avg_std,last_mean,last_std,forgetting_mean,forgetting_std,"
        "bwt_mean,bwt_std,boundary_core_ratio_mean,boundary_core_ratio_std,seed_list\n"
        "\"Zero-shot\",zeroshot,3,77.0000,1.0000,69.0000,0.0000,9.0000,1.0000,-9.0000,1.0000,,,"
        "1 2 3\n"
        "\"Fine-tune\",finetune,2,76.0000,1.4142,63.0000,1.4142,13.0000,1.4142,-13.0000,1.4142,"
        "2.0000,0.7071,1 2\n"
        "\"+ACGD\",acgd,1,80.0000,,70.0000,,6.0000,,-6.0000,,1.2000,,1\n"
        "\"+TSGR\",tsgr,0,,,,,,,,,,,\n"
        "\"+prototype transfer\",segp:clip_branch,2,84.0000,0.0000,80.0000,1.4142,6.0000,"
        "1.4142,-6.0000,1.4142,1.0000,0.1414,1 2\n"
        "\"+visual branch (SeGP-CL)\",segp,2,86.0000,1.4142,81.0000,1.4142,5.0000,1.4142,"
        "-5.0000,1.4142,1.2000,0.1414,1 2\n"
        "\"ACGD on new-task images\",new_task,2,80.0000,1.4142,67.0000,1.4142,10.0000,1.4142,"
        "-10.0000,1.4142,1.5000,0.1414,1 2\n"
        "\"ACGD on seeds, no PGD\",seeds,0,,,,,,,,,,,\n"),
        "%s", csv ? csv : "(no csv)");
    free(csv);
    snprintf(p, sizeof p, "%s/ablation_paired.csv", root);
    csv = read_text(p);
    CHECK_MSG(csv && !strcmp(csv,
        "pair,a,b,seeds,last_diff_mean,last_diff_std,a_last_higher,forgetting_diff_mean,"
        "forgetting_diff_std,a_forgetting_lower,seed_list\n"
        "segp-finetune,segp,finetune,2,18.0000,0.0000,2,-8.0000,2.8284,2,1 2\n"
        "segp-zeroshot,segp,zeroshot,2,12.0000,1.4142,2,-3.5000,0.7071,2,1 2\n"
        "acgd-finetune,acgd,finetune,1,8.0000,,1,-8.0000,,1,1\n"
        "acgd-new_task,acgd,new_task,1,4.0000,,1,-3.0000,,1,1\n"),
        "%s", csv ? csv : "(no paired csv)");
    free(csv);
    snprintf(p, sizeof p, "%s/ablation.md", root);
    char *md = read_text(p);
    CHECK_MSG(md && strstr(md, "| A – B | Δ Last | A higher | Δ Forgetting | A lower | seeds |\n"
                               "|---|---:|---:|---:|---:|---|\n"
                               "| SeGP-CL – Fine-tune | +18.00 ± 0.00 | 2/2 | -8.00 ± 2.83 | "
                               "2/2 | 1 2 |\n"),
              "%s", md ? md : "");
    CHECK(md && strstr(md, "| +ACGD – ACGD on new-task images | +4.00 ± — | 1/1 | -3.00 ± — | "
                           "1/1 | 1 |\n"));
    CHECK(md && strstr(md, "| | Avg | Last | Forgetting | BWT | boundary/core drift | seeds |\n"
                           "|---|---:|---:|---:|---:|---:|---:|\n"
                           "| Zero-shot | 77.00 ± 1.00 | 69.00 ± 0.00 | 9.00 ± 1.00 | "
                           "-9.00 ± 1.00 | — | 3 |\n"));
    CHECK(md && strstr(md, "| +ACGD | 80.00 ± — | 70.00 ± — | 6.00 ± — | -6.00 ± — | "
                           "1.20 ± — | 1 |\n"));
    CHECK(md && strstr(md, "| +TSGR | — | — | — | — | — | 0 |\n"));
    CHECK(md && strstr(md, "| +prototype transfer | 84.00 ± 0.00 | 80.00 ± 1.41 | 6.00 ± 1.41 | "
                           "-6.00 ± 1.41 | 1.00 ± 0.14 | 2 |\n"));
    free(md);
    char *out = read_text(o), *err = read_text(e);
    CHECK_MSG(out && strstr(out, "ablation table (10 runs, evaluated on the test split)") &&
                  strstr(out, "+visual branch (SeGP-CL)  86.00 ± 1.41") &&
                  strstr(out, "paired by seed") && strstr(out, "+ACGD – Fine-tune") &&
                  strstr(out, "ablation_paired.csv"),
              "%s", out ? out : "");
    CHECK_MSG(err && strstr(err, "segp: note: ") && strstr(err, "unfinished"), "%s",
              err ? err : "");
    free(out);
    free(err);
    /* an explicit --out; a run directory given alone */
    snprintf(args, sizeof args, "ablate --collect %s/segp-s1 --out %s/collect-x", root,
             test_tmpdir());
    CHECK_EQ_INT(test_run_segp_split(args, o, e), 0);
    snprintf(p, sizeof p, "%s/collect-x/ablation.md", test_tmpdir());
    md = read_text(p);
    CHECK(md && strstr(md, "| +visual branch (SeGP-CL) | 85.00 ± — | 80.00 ± — |"));
    free(md);
    /* nothing finished among the DIRs; a DIR that does not exist */
    snprintf(args, sizeof args, "ablate --collect %s/tsgr-s1 --out %s/collect-y", root,
             test_tmpdir());
    CHECK_EQ_INT(test_run_segp_split(args, o, e), 1);
    err = read_text(e);
    CHECK(err && strstr(err, "no finished run directory"));
    free(err);
    snprintf(args, sizeof args, "ablate --collect %s/nowhere", test_tmpdir());
    CHECK_EQ_INT(test_run_segp_split(args, o, e), 1);
    err = read_text(e);
    CHECK(err && strstr(err, "nowhere"));
    free(err);
}

/* A finished finetune run for seed SEED in DIR whose config.json has BENCH (a JSON member such
 * as "\"benchmark\": {...}, ", or "" for a run older than those keys). */
static void synth_bench_run(const char *dir, int seed, const char *bench) {
    char fin[300], p[1200];
    final_line(fin, sizeof fin, 75 + seed, 62 + seed, 14, -14, ", \"boundary_core_ratio\": 1.5");
    synth_run(dir, "finetune", seed, 1, 1, 0.5, "pgd", "0.001", fin, 1);
    snprintf(p, sizeof p, "%s/config.json", dir);
    char *t = read_text(p), text[4096];
    snprintf(text, sizeof text, "{%s%s", bench, t + 1);
    write_text(p, text);
    free(t);
}

/* The table says which split its runs were evaluated on; a key absent from an older run's
 * config.json counts as its default, any other difference leaves the run out. */
TEST(ablate_collect_eval_split) {
    char root[600], d[800], args[1800], o[700], e[700], p[800];
    snprintf(root, sizeof root, "%s/abl-val", test_tmpdir());
    snprintf(o, sizeof o, "%s/abl-val-out.txt", test_tmpdir());
    snprintf(e, sizeof e, "%s/abl-val-err.txt", test_tmpdir());
    /* validation runs */
    for (int s = 1; s <= 2; s++) {
        snprintf(d, sizeof d, "%s/val/finetune-s%d", root, s);
        synth_bench_run(d, s, "\"benchmark\": {\"eval_split\": \"val\", \"val_per_class\": 0}, ");
    }
    snprintf(args, sizeof args, "ablate --collect %s/val", root);
    CHECK_EQ_INT(test_run_segp_split(args, o, e), 0);
    char *out = read_text(o), *md;
    CHECK_MSG(out && strstr(out, "ablation table (2 runs, evaluated on the validation split)"),
              "%s", out ? out : "");
    free(out);
    snprintf(p, sizeof p, "%s/val/ablation.md", root);
    md = read_text(p);
    CHECK(md && !strncmp(md, "Evaluated on the validation split (benchmark.eval_split \"val\"), "
                             "not the test split.\n\n| |", 80));
    free(md);
    /* an older run (no benchmark keys) beside a new one at the defaults: one table */
    snprintf(d, sizeof d, "%s/mixed/finetune-s1", root);
    synth_bench_run(d, 1, "");
    snprintf(d, sizeof d, "%s/mixed/finetune-s2", root);
    /* (a float key at its default, as config.json writes it: %.9g of the float) */
    char bench2[300];
    snprintf(bench2, sizeof bench2, "\"benchmark\": {\"eval_split\": \"test\", \"val_per_class\": "
             "0}, \"analytics\": {\"boundary_fraction\": %.9g}, ",
             (double)cl_config_default().analytics.boundary_frac);
    synth_bench_run(d, 2, bench2);
    snprintf(args, sizeof args, "ablate --collect %s/mixed", root);
    CHECK_EQ_INT(test_run_segp_split(args, o, e), 0);
    out = read_text(o);
    char *err = read_text(e);
    CHECK_MSG(out && strstr(out, "ablation table (2 runs, evaluated on the test split)"), "%s",
              out ? out : "");
    CHECK_MSG(err && !strstr(err, "mixes configs"), "%s", err ? err : "");
    CHECK_MSG(out && !strstr(out, "Mixed configs"), "%s", out ? out : "");
    free(out);
    free(err);
    /* an older run beside a validation run: kept, with a note naming the key, and a line beside
     * the table, in ablation.md too (only stderr said so) */
    snprintf(d, sizeof d, "%s/mixed/finetune-s3", root);
    synth_bench_run(d, 3, "\"benchmark\": {\"eval_split\": \"val\"}, ");
    CHECK_EQ_INT(test_run_segp_split(args, o, e), 0);
    err = read_text(e);
    CHECK_MSG(err && strstr(err, "benchmark.eval_split") && strstr(err, "\"val\"") &&
              strstr(err, "the table mixes configs"), "%s", err ? err : "");
    free(err);
    out = read_text(o);
    CHECK_MSG(out && strstr(out, "(3 runs, evaluated on the test AND the validation split: mixed)"),
              "%s", out ? out : "");
    const char *want = "Mixed configs: 1 of the 3 runs differs from the others beyond the "
                       "variants' keys and the seed";
    CHECK_MSG(out && strstr(out, want), "%s", out ? out : "");
    free(out);
    snprintf(p, sizeof p, "%s/mixed/ablation.md", root);
    md = read_text(p);
    CHECK_MSG(md && !strncmp(md, want, strlen(want)), "%s", md ? md : "");
    free(md);
}

/* A run of SEED in DIR with benchmark.order ORDER whose record resolved it to DESC. */
static void synth_order_run(const char *dir, int seed, const char *order, const char *desc) {
    char bench[200], p[1200];
    snprintf(bench, sizeof bench, "\"benchmark\": {\"order\": \"%s\"}, ", order);
    synth_bench_run(dir, seed, bench);
    snprintf(p, sizeof p, "%s/config.json", dir);
    char *t = read_text(p), text[4096];
    const char *r = t ? strstr(t, "\"resolved\": {") : NULL;
    CHECK(r != NULL);
    if (!r) {
        free(t);
        return;
    }
    snprintf(text, sizeof text, "%.*s\"resolved\": {\"class_order_desc\": \"%s\", %s",
             (int)(r - t), t, desc, r + strlen("\"resolved\": {"));
    write_text(p, text);
    free(t);
}

/* benchmark.order "" (the benchmark's default) and "latin" (named) are one order for shapes:
 * the runs' resolved orders are compared (the table said it mixed configs, "key
 * 'benchmark.order' is \"latin\", but \"\" in ..."); another order is still noted. */
TEST(ablate_collect_compares_resolved_orders) {
    char root[600], d[800], args[1800], o[700], e[700];
    snprintf(root, sizeof root, "%s/abl-order", test_tmpdir());
    snprintf(o, sizeof o, "%s/abl-order-out.txt", test_tmpdir());
    snprintf(e, sizeof e, "%s/abl-order-err.txt", test_tmpdir());
    snprintf(d, sizeof d, "%s/finetune-s1", root);
    synth_order_run(d, 1, "", "latin");
    snprintf(d, sizeof d, "%s/finetune-s2", root);
    synth_order_run(d, 2, "latin", "latin");
    snprintf(args, sizeof args, "ablate --collect %s", root);
    CHECK_EQ_INT(test_run_segp_split(args, o, e), 0);
    char *err = read_text(e), *out = read_text(o);
    CHECK_MSG(err && !strstr(err, "mixes configs"), "%s", err ? err : "");
    CHECK_MSG(out && strstr(out, "ablation table (2 runs"), "%s", out ? out : "");
    free(err);
    free(out);
    snprintf(d, sizeof d, "%s/finetune-s3", root);
    synth_order_run(d, 3, "random", "random seed 1993");
    CHECK_EQ_INT(test_run_segp_split(args, o, e), 0);
    err = read_text(e);
    CHECK_MSG(err && strstr(err, "benchmark.order") && strstr(err, "random seed 1993") &&
              strstr(err, "the table mixes configs"), "%s", err ? err : "");
    free(err);
}

/* config.json held %.9g floats (0.00100000005 for 0.001) and now holds the shortest text that
 * reads back as the float: runs of both writers read the same float and are one config, while
 * another float (0.00100001) still differs. */
TEST(ablate_collect_floats_by_value) {
    char root[600], d[800], args[1800], o[700], e[700], fin[600];
    snprintf(root, sizeof root, "%s/abl-floats", test_tmpdir());
    snprintf(o, sizeof o, "%s/abl-floats-out.txt", test_tmpdir());
    snprintf(e, sizeof e, "%s/abl-floats-err.txt", test_tmpdir());
    final_line(fin, sizeof fin, 76, 62, 14, -14, ", \"boundary_core_ratio\": 1");
    snprintf(d, sizeof d, "%s/finetune-s1", root);
    synth_run(d, "finetune", 1, 1, 1, 0.5, "pgd", "0.00100000005", fin, 1);
    snprintf(d, sizeof d, "%s/finetune-s2", root);
    synth_run(d, "finetune", 2, 1, 1, 0.5, "pgd", "0.001", fin, 1);
    snprintf(args, sizeof args, "ablate --collect %s", root);
    CHECK_EQ_INT(test_run_segp_split(args, o, e), 0);
    char *err = read_text(e);
    CHECK_MSG(err && !strstr(err, "mixes configs") && !strstr(err, "train.lr"), "%s",
              err ? err : "");
    free(err);
    snprintf(d, sizeof d, "%s/finetune-s3", root);
    synth_run(d, "finetune", 3, 1, 1, 0.5, "pgd", "0.00100001", fin, 1);
    CHECK_EQ_INT(test_run_segp_split(args, o, e), 0);
    err = read_text(e);
    CHECK_MSG(err && strstr(err, "key 'train.lr' is 0.00100001, but 0.001 in") &&
                  strstr(err, "the table mixes configs"), "%s", err ? err : "");
    free(err);
}
