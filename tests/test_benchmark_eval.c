/* test_benchmark_eval.c: the evaluation core of zeroshot.h against an independent path
 * (zeroshot_predict on the same pixels) on shapes and Fashion-MNIST, and `segp zeroshot` on an
 * image folder of the shapes world against the world itself. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/common.h"
#include "data/benchmark.h"
#include "data/class_order.h"
#include "data/dataset.h"
#include "data/shapes.h"
#include "model/clip.h"
#include "model/zeroshot.h"
#include "text/tokenizer.h"
#include "test.h"

#define SHIPPED "sample_runs/models/shapes-clip.safetensors"
#define FASHION "/usr/share/datasets/fashion-mnist" /* Debian's dataset-fashion-mnist */

/* benchmark_eval on N items against zeroshot_predict on PIX (the same items' pixels, made by
 * another path): same predictions; and re-scoring among a candidate mask is the masked argmax of
 * zeroshot_predict's probabilities. */
static void check_eval_against_predict(clip_model *m, clip_tokenizer *tok, const benchmark *b,
                                       const float *pix, const bench_eval_result *r) {
    int nc = benchmark_num_classes(b);
    const char **names = malloc((size_t)nc * sizeof *names);
    for (int k = 0; k < nc; k++) names[k] = benchmark_class_name(b, k);
    int e = clip_model_config(m)->embed_dim;
    float *te = malloc((size_t)nc * e * sizeof(float)),
          *probs = malloc((size_t)r->n * nc * sizeof(float));
    int32_t *pred = malloc((size_t)r->n * sizeof(int32_t)),
            *pred2 = malloc((size_t)r->n * sizeof(int32_t));
    CHECK(zeroshot_class_embeddings(m, NULL, tok, names, nc, "a photo of a {}.", te) == 0);
    CHECK(zeroshot_predict(m, NULL, pix, r->n, te, nc, pred, probs) == 0);
    int same = 0;
    long ok = 0;
    for (int i = 0; i < r->n; i++) {
        same += pred[i] == r->pred[i];
        ok += pred[i] == r->label[i];
    }
    CHECK_EQ_INT(same, r->n);
    CHECK_NEAR(r->overall, 100.0 * ok / r->n, 1e-9);
    /* candidates: the classes of the first two tasks; items of task 1 */
    uint8_t cand[1000] = {0};
    for (int t = 0; t < 2; t++) {
        const int *cls;
        int k = benchmark_task_classes(b, t, &cls);
        for (int j = 0; j < k; j++) cand[cls[j]] = 1;
    }
    int n1 = 0;
    double acc = bench_eval_accuracy(r, cand, 1, &n1, pred2);
    long ok1 = 0, cnt = 0, inside = 1;
    for (int i = 0; i < r->n; i++) {
        if (benchmark_task_of(b, r->label[i]) != 1) continue;
        const float *p = probs + (size_t)i * nc;
        int best = -1;
        for (int k = 0; k < nc; k++)
            if (cand[k] && (best < 0 || p[k] > p[best])) best = k;
        CHECK_EQ_INT(pred2[i], best);
        inside &= cand[pred2[i]];
        ok1 += best == r->label[i];
        cnt++;
    }
    CHECK(inside);
    CHECK_EQ_INT(n1, cnt);
    CHECK(cnt > 0);
    if (cnt) CHECK_NEAR(acc, 100.0 * ok1 / cnt, 1e-9);
    /* a task with no evaluated items is NAN, not 0 */
    CHECK(isnan(bench_eval_accuracy(r, NULL, 1000, &n1, NULL)) && n1 == 0);
    free(names);
    free(te);
    free(probs);
    free(pred);
    free(pred2);
}

/* The shipped model, or NULL with the error recorded as a failure. */
static clip_model *shipped_model(void) {
    clip_model *m = clip_model_load(SHIPPED, NULL);
    CHECK_MSG(m != NULL, "%s", segp_last_error());
    return m;
}

TEST(benchmark_eval_shapes_matches_predict) {
    clip_model *m = shipped_model();
    if (!m) return;
    clip_tokenizer *tok = clip_tokenizer_init(NULL);
    int res = clip_model_config(m)->resolution;
    benchmark_params p = benchmark_default_params();
    p.test_per_class = 2;
    p.eval_only = 1;
    snprintf(p.order, sizeof p.order, "random");
    benchmark *b = benchmark_open(&p);
    CHECK(b != NULL);
    bench_eval_result r;
    CHECK(benchmark_eval(m, NULL, tok, b, "a photo of a {}.", BENCH_TEST, NULL, NULL, &r) == 0);
    CHECK_EQ_INT(r.n, 200);
    CHECK_EQ_INT(r.num_tasks, 10);
    /* the same samples through the old path: shapes_sample_pixels renders and normalises */
    size_t img = (size_t)3 * res * res;
    float *pix = malloc((size_t)r.n * img * sizeof(float));
    shapes_world_params wp = shapes_default_params();
    wp.image_size = res;
    for (int i = 0; i < r.n; i++) {
        shapes_sample_desc d;
        CHECK(shapes_cl_sample(&wp, SHAPES_SPLIT_TEST, i / 2, (uint64_t)(i % 2), &d) == 0);
        CHECK(shapes_sample_pixels(&wp, &d, res, pix + (size_t)i * img) == 0);
    }
    check_eval_against_predict(m, tok, b, pix, &r);
    /* per task: in the random order's tasks, each the mean over its 20 items */
    for (int t = 0; t < 10; t++) {
        long ok = 0, n = 0;
        for (int i = 0; i < r.n; i++)
            if (benchmark_task_of(b, r.label[i]) == t) ok += r.pred[i] == r.label[i], n++;
        CHECK_EQ_INT(r.n_task[t], 20);
        CHECK_NEAR(r.per_task[t], 100.0 * ok / n, 1e-9);
    }
    bench_eval_free(&r);
    /* items of some classes, among some candidates: predictions stay inside the candidates */
    uint8_t items[100] = {0}, cand[100] = {0};
    items[5] = items[17] = 1;
    cand[5] = cand[17] = cand[60] = 1;
    CHECK(benchmark_eval(m, NULL, tok, b, "a photo of a {}.", BENCH_TEST, items, cand, &r) == 0);
    CHECK_EQ_INT(r.n, 4);
    for (int i = 0; i < r.n; i++) CHECK(cand[r.pred[i]] && items[r.label[i]]);
    bench_eval_free(&r);
    /* held-out: labels and candidates are the 20 held-out classes */
    CHECK(benchmark_eval(m, NULL, tok, b, "a photo of a {}.", BENCH_HELDOUT, NULL, NULL, &r) == 0);
    CHECK_EQ_INT(r.n, 40);
    CHECK_EQ_INT(r.n_classes, 20);
    CHECK_EQ_INT(r.num_tasks, 0);
    CHECK(r.overall > 5.0); /* far above chance (5%): the concepts were pretrained */
    bench_eval_free(&r);
    memset(cand, 0, sizeof cand);
    CHECK(benchmark_eval(m, NULL, tok, b, "a photo of a {}.", BENCH_TEST, NULL, cand, &r) == -1);
    CHECK(err_has("no candidate classes"));
    free(pix);
    benchmark_free(b);
    clip_tokenizer_free(tok);
    clip_model_free(m);
}

TEST(benchmark_eval_fashion_mnist) {
    TEST_NEEDS(path_exists(FASHION), "%s missing: apt install dataset-fashion-mnist", FASHION);
    clip_model *m = shipped_model();
    if (!m) return;
    clip_tokenizer *tok = clip_tokenizer_init(NULL);
    int res = clip_model_config(m)->resolution;
    benchmark_params p = benchmark_default_params();
    snprintf(p.name, sizeof p.name, "fashion-mnist");
    snprintf(p.tasks, sizeof p.tasks, "B0-Inc2");
    p.test_per_class = 6;
    p.eval_only = 1;
    benchmark *b = benchmark_open(&p);
    CHECK_MSG(b != NULL, "%s", segp_last_error());
    if (b) {
        bench_eval_result r;
        CHECK(benchmark_eval(m, NULL, tok, b, "a photo of a {}.", BENCH_TEST, NULL, NULL, &r) == 0);
        CHECK_EQ_INT(r.n, 60);
        /* the same items straight from the reader, through image_clip_transform */
        dataset *ds = dataset_open("fashion-mnist", NULL, "test");
        CHECK(ds != NULL);
        size_t img = (size_t)3 * res * res;
        float *pix = malloc((size_t)r.n * img * sizeof(float));
        int seen[10] = {0}, k = 0;
        for (int i = 0; ds && i < dataset_count(ds) && k < r.n; i++) {
            int y = dataset_label(ds, i);
            if (seen[y]++ >= 6) continue;
            CHECK_EQ_INT(r.label[k], y);
            image_rgb im;
            CHECK(dataset_image(ds, i, &im) == 0);
            image_clip_transform(&im, res, pix + (size_t)k++ * img);
            image_free(&im);
        }
        CHECK_EQ_INT(k, r.n);
        check_eval_against_predict(m, tok, b, pix, &r);
        free(pix);
        dataset_free(ds);
        bench_eval_free(&r);
    }
    benchmark_free(b);
    clip_tokenizer_free(tok);
    clip_model_free(m);
}

/* Lines "  task  N   xx.xx%..." and "  overall  xx.xx%..." of a zeroshot table. */
static int parse_table(const char *out, double *task, int max_tasks, double *overall) {
    int n = 0;
    *overall = -1;
    for (const char *l = out; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        int t;
        double v;
        if (sscanf(l, "  task %d %lf%%", &t, &v) == 2 && t == n + 1 && n < max_tasks) task[n++] = v;
        else if (sscanf(l, "  overall %lf%%", &v) == 1) *overall = v;
    }
    return n;
}

/* `segp zeroshot` on a second benchmark: a folder of PNGs segp rendered from the shapes test
 * split. With the Latin order carried over to the folder's labels, every figure must equal the
 * `--world shapes` table on the same items. */
TEST(benchmark_cli_zeroshot_folder_equals_world) {
    const char *root = tpath("bench_zs_folder", "");
    int res = 48, per = 2;
    shapes_world_params wp = shapes_default_params();
    wp.image_size = res;
    char names[100][64], path[8192];
    for (int c = 0; c < 100; c++) {
        shapes_class_name(c, names[c], sizeof names[c]);
        for (char *q = names[c]; *q; q++)
            if (*q == ' ') *q = '_';
        snprintf(path, sizeof path, "%s/test/%s", root, names[c]);
        mkdirs(path);
        for (int k = 0; k < per; k++) {
            shapes_sample_desc d;
            image_rgb im;
            CHECK(shapes_cl_sample(&wp, SHAPES_SPLIT_TEST, c, (uint64_t)k, &d) == 0);
            CHECK(shapes_render(&wp, &d, &im) == 0);
            snprintf(path, sizeof path, "%s/test/%s/%d.png", root, names[c], k);
            CHECK(image_write_png(path, &im) == 0);
            image_free(&im);
        }
    }
    /* folder labels: names sorted by strcmp; the Latin order in those labels */
    int flabel[100], latin[100];
    for (int c = 0; c < 100; c++) {
        flabel[c] = 0;
        for (int o = 0; o < 100; o++) flabel[c] += strcmp(names[o], names[c]) < 0;
    }
    shapes_class_order(0, latin);
    char order[1024] = "[", num[16];
    for (int k = 0; k < 100; k++) {
        snprintf(num, sizeof num, "%d%s", flabel[latin[k]], k < 99 ? "," : "]\n");
        strcat(order, num);
    }
    char order_path[1024];
    snprintf(order_path, sizeof order_path, "%s/latin.txt", root);
    write_text(order_path, order);

    char args[4096], out_w[8192], out_f[8192];
    snprintf(args, sizeof args, "zeroshot --model " SHIPPED " --world shapes --test-per-class %d",
             per);
    CHECK_EQ_INT(test_run_segp(args, out_w, sizeof out_w), 0);
    snprintf(args, sizeof args, "zeroshot --model " SHIPPED " --benchmark folder --root %s "
             "--order %s", root, order_path);
    CHECK_EQ_INT(test_run_segp(args, out_f, sizeof out_f), 0);
    CHECK_MSG(strstr(out_f, "benchmark folder, test split: 200 images, 100 classes") != NULL,
              "%s", out_f);
    double tw[10], tf[10], ow, of;
    CHECK_EQ_INT(parse_table(out_w, tw, 10, &ow), 10);
    CHECK_EQ_INT(parse_table(out_f, tf, 10, &of), 10);
    for (int t = 0; t < 10; t++) CHECK_NEAR(tf[t], tw[t], 1e-9);
    CHECK_NEAR(of, ow, 1e-9);
    /* the figure itself (shipped model, 2 test images per class), as segp printed it */
    CHECK_NEAR(ow, 70.50, 1e-9);
    if (test_verbose()) printf("%s%s", out_w, out_f);
    /* the identity order over the folder's labels: other tasks, same overall */
    snprintf(args, sizeof args, "zeroshot --model " SHIPPED " --benchmark folder --root %s "
             "--tasks 4", root);
    CHECK_EQ_INT(test_run_segp(args, out_f, sizeof out_f), 0);
    CHECK_EQ_INT(parse_table(out_f, tf, 10, &of), 4);
    CHECK_NEAR(of, ow, 1e-9);
    CHECK(strstr(out_f, "order identity, 4 tasks (B0-Inc25)") != NULL);
    /* bad parameters: one line naming the key, exit status 1 */
    snprintf(args, sizeof args, "zeroshot --model " SHIPPED " --benchmark folder --root %s "
             "--order latin", root);
    CHECK_EQ_INT(test_run_segp(args, out_f, sizeof out_f), 1);
    CHECK_MSG(strstr(out_f, "benchmark.order") != NULL, "%s", out_f);
    snprintf(args, sizeof args, "zeroshot --model " SHIPPED " --benchmark folder --root %s "
             "--tasks 101", root);
    CHECK_EQ_INT(test_run_segp(args, out_f, sizeof out_f), 1);
    CHECK_MSG(strstr(out_f, "benchmark.tasks: 101 tasks for 100 classes") != NULL, "%s", out_f);
    CHECK_EQ_INT(test_run_segp("zeroshot --model " SHIPPED " --benchmark mnist1", out_f,
                               sizeof out_f), 1);
    CHECK_MSG(strstr(out_f, "benchmark.name") != NULL, "%s", out_f);
    /* a task whose classes have no test images printed "nan%" */
    mkdirs(tpath("zs_empty_task/img", ""));
    write_synth_png(tpath("zs_empty_task/%s", "img/0.png"), 0, 8, 8);
    write_synth_png(tpath("zs_empty_task/%s", "img/1.png"), 1, 8, 8);
    write_text(tpath("zs_empty_task/%s", "test.txt"), "img/0.png 0\nimg/1.png 1\n");
    write_text(tpath("zs_empty_task/%s", "classes.txt"), "a\nb\nc\nd\n");
    snprintf(args, sizeof args, "zeroshot --model " SHIPPED " --benchmark folder --root %s "
             "--tasks 2", tpath("zs_empty_task", ""));
    CHECK_EQ_INT(test_run_segp(args, out_f, sizeof out_f), 0);
    CHECK_MSG(strstr(out_f, "  task  2       -    (0 images)\n") && !strstr(out_f, "nan"), "%s",
              out_f);
    /* the shapes world's seed on a folder was silently unused: a usage error naming it */
    snprintf(args, sizeof args, "zeroshot --model " SHIPPED " --benchmark folder --root %s "
             "--world-seed 5", root);
    CHECK_EQ_INT(test_run_segp(args, out_f, sizeof out_f), 2);
    CHECK_MSG(strstr(out_f, "--world-seed is a setting of the shapes world, which --benchmark "
                     "folder does not use") != NULL, "%s", out_f);
}
