/* cmd_zeroshot.c: `segp zeroshot`: CLIP zero-shot class probabilities of images. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/clip.h"
#include "data/benchmark.h"
#include "data/dataset.h"
#include "core/common.h"
#include "io/image.h"
#include "model/lora.h"
#include "io/npy.h"
#include "text/tokenizer.h"
#include "model/zeroshot.h"
#include "cli_util.h"
#include "commands.h"

static void usage(void) {
    printf("usage: segp zeroshot --model M.safetensors --classes NAMES.txt [options] IMAGE...\n"
           "       segp zeroshot --model M.safetensors --benchmark NAME [benchmark options]\n"
           "       segp zeroshot --model M.safetensors --world shapes [--test-per-class N]\n\n"
           "Zero-shot classification as CLIP does it: each class name is put in the template,\n"
           "encoded by the text tower, and each image gets softmax(logit_scale * cos) over the\n"
           "classes.\n\n"
           "  --classes F      class names, one per line (blank lines and '#' lines skipped)\n"
           "  --template T     prompt template with {} for the name "
           "(default \"a photo of a {}.\")\n"
           "  --top K          print the K most likely classes per image (default 5; 0 = all)\n"
           "  --out P.npy      also write the N x C probability matrix (images in the order\n"
           "                   given, or the benchmark's test items in order)\n"
           "  --lora L         apply a LoRA state (segp lora.safetensors)\n"
           "  --vocab V        BPE vocabulary file (default: the embedded one)\n"
           "  --device D       cpu (default), cuda or cuda:N (a `make CUDA=1` build)\n"
           "  --precision P    auto (default), fp32, tf32 or bf16 (README \"GPU\")\n\n"
           "Benchmarks: accuracy on the test split over all classes, overall and per task of\n"
           "the class order (and, where the benchmark has them, on its held-out classes).\n"
           "  --benchmark NAME shapes, %s\n"
           "  --root DIR       data root (default: the kind's, see README)\n"
           "  --order O        latin (shapes' default: each task holds every colour and shape\n"
           "                   once), random (NumPy's seeded permutation), identity (the others'\n"
           "                   default) or a class-order file "
           "(path, or a name in data/benchmarks)\n"
           "  --order-seed S   seed of the random order (default 1993)\n"
           "  --tasks SPLIT    B0-Inc10, B50-Inc10, or a task count (default 10 equal tasks)\n"
           "  --test-per-class N  first N test images of each class (default: all; shapes 20)\n"
           "  --split-file F   list file override ({} = the split name)\n"
           "  --classes-file F class-name list override\n"
           "  --world-seed S   shapes world seed (default 1)\n"
           "  --world shapes   the shapes benchmark with its breakdown as before: per task, per\n"
           "                   rendition and object size, and the share of images given the\n"
           "                   wrong colour or the wrong shape\n",
           dataset_kinds());
}

static int read_classes(const char *path, char ***names, int *n) {
    uint8_t *data;
    size_t size;
    if (segp_read_file(path, &data, &size) != 0) return -1;
    if (cli_check_text(path, data, size) != 0) {
        free(data);
        return -1;
    }
    int cap = 16, k = 0;
    char **out = segp_malloc((size_t)cap * sizeof *out);
    char *save = NULL;
    for (char *line = strtok_r((char *)data, "\r\n", &save); line;
         line = strtok_r(NULL, "\r\n", &save)) {
        while (*line == ' ' || *line == '\t') line++;
        size_t len = strlen(line);
        while (len && (line[len - 1] == ' ' || line[len - 1] == '\t')) line[--len] = 0;
        if (!len || line[0] == '#') continue;
        for (int j = 0; j < k; j++)
            if (!strcmp(out[j], line)) { /* two columns would split one class's probability */
                SEGP_FAIL("%s: class \"%s\" is named twice (names %d and %d; expected each "
                          "class once)", path, line, j + 1, k + 1);
                for (int i = 0; i < k; i++) free(out[i]);
                free(out);
                free(data);
                return -1;
            }
        if (k == cap) out = segp_realloc(out, (size_t)(cap *= 2) * sizeof *out);
        out[k++] = segp_strdup(line);
    }
    free(data);
    if (k == 0) {
        free(out);
        return SEGP_FAIL("%s: no class names found (expected one name per line)", path);
    }
    *names = out;
    *n = k;
    return 0;
}


/* Softmax of each row of logits (n x c) into probs. */
static void softmax_rows(const float *logits, int n, int c, float *probs) {
    for (int i = 0; i < n; i++) {
        const float *l = logits + (size_t)i * c;
        float *p = probs + (size_t)i * c, mx = l[0];
        for (int k = 1; k < c; k++) mx = l[k] > mx ? l[k] : mx;
        double sum = 0;
        for (int k = 0; k < c; k++) sum += p[k] = expf(l[k] - mx);
        for (int k = 0; k < c; k++) p[k] = (float)(p[k] / sum);
    }
}

/* Accuracy on benchmark B's test split (and its held-out classes), printed; LEGACY: the
 * `--world shapes` table exactly as before. */
static int eval_benchmark(clip_model *m, const clip_lora *lora, clip_tokenizer *tok,
                          const benchmark *b, const char *tmpl, int legacy, const char *out) {
    bench_eval_result r, h = {0};
    if (benchmark_eval(m, lora, tok, b, tmpl, BENCH_TEST, NULL, NULL, &r) != 0) return -1;
    int rc = 0, shapes = !strcmp(benchmark_name(b), "shapes");
    shapes_zeroshot_result sr;
    if (shapes) rc = shapes_zeroshot_breakdown(b, &r, &sr);
    if (rc == 0 && legacy) {
        printf("shapes benchmark, test split: %d image%s, 100 classes, prompt \"%s\"\n", r.n,
               segp_s(r.n), tmpl);
        cli_print_shapes_result(&sr);
    } else if (rc == 0) {
        printf("benchmark %s, test split: %d image%s, %d classes, order %s, %d task%s (%s), "
               "prompt \"%s\"\n", benchmark_name(b), r.n, segp_s(r.n), benchmark_num_classes(b),
               benchmark_order_desc(b), r.num_tasks, segp_s(r.num_tasks), benchmark_tasks_desc(b),
               tmpl);
        for (int t = 0; t < r.num_tasks; t++) /* a task without test images has no accuracy */
            if (r.n_task[t] > 0)
                printf("  task %2d  %6.2f%%   (%d image%s)\n", t + 1, r.per_task[t], r.n_task[t],
                       segp_s(r.n_task[t]));
            else
                printf("  task %2d       -    (0 images)\n", t + 1);
        printf("  overall  %6.2f%%\n", r.overall);
        if (benchmark_num_heldout(b) > 0) {
            rc = benchmark_eval(m, lora, tok, b, tmpl, BENCH_HELDOUT, NULL, NULL, &h);
            if (rc == 0)
                printf("  held-out %6.2f%%   (%d image%s of the %d held-out class%s, among "
                       "themselves)\n", h.overall, h.n, segp_s(h.n), benchmark_num_heldout(b),
                       benchmark_num_heldout(b) == 1 ? "" : "es");
        }
        if (rc == 0 && shapes) {
            printf("  standard renditions %.2f%%, hard renditions %.2f%%\n", sr.standard, sr.hard);
            cli_print_shapes_extras(&sr);
        }
    }
    if (rc == 0 && out) {
        float *probs = segp_malloc((size_t)(r.n ? r.n : 1) * r.n_classes * sizeof(float));
        softmax_rows(r.logits, r.n, r.n_classes, probs);
        int64_t shape[2] = {r.n, r.n_classes};
        rc = npy_write_f32(out, probs, 2, shape);
        free(probs);
    }
    bench_eval_free(&r);
    bench_eval_free(&h);
    return rc;
}

/* String option into a benchmark_params field; -1 when too long (message printed). */
static int set_str(char *dst, size_t n, const char *opt, const char *v) {
    if (strlen(v) >= n) {
        fprintf(stderr, "segp: error: %s '%s' is longer than %zu characters\n", opt, v, n - 1);
        return -1;
    }
    snprintf(dst, n, "%s", v);
    return 0;
}

int cmd_zeroshot(int argc, char **argv) {
    const char *model = NULL, *classes = NULL, *tmpl = "a photo of a {}.", *out = NULL;
    const char *vocab = NULL, *lora_path = NULL, *world = NULL, *bench_name = NULL;
    int top = 5, n_img = 0, rc = 2, n_cls = 0, test_per_class = 0, world_seed = 1;
    int world_seed_given = 0;
    const char **imgs = segp_calloc((size_t)argc, sizeof *imgs);
    char **names = NULL;
    clip_model *m = NULL;
    clip_lora *lora = NULL;
    clip_tokenizer *tok = NULL;
    benchmark *bench = NULL;
    float *pix = NULL, *te = NULL, *probs = NULL;
    benchmark_params bp = benchmark_default_params();
    clip_load_params lp = clip_default_load_params();
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        if (app_is_help(a)) {
            usage();
            rc = 0;
            goto done;
        } else if (!strcmp(a, "--model")) {
            if (!(model = cli_value(argc, argv, &i))) goto done;
        } else if (!strcmp(a, "--device")) {
            if (!(lp.device = cli_value(argc, argv, &i))) goto done;
        } else if (!strcmp(a, "--precision")) {
            if (!(lp.precision = cli_value(argc, argv, &i))) goto done;
        } else if (!strcmp(a, "--classes")) {
            if (!(classes = cli_value(argc, argv, &i))) goto done;
        } else if (!strcmp(a, "--template")) {
            if (!(tmpl = cli_value(argc, argv, &i))) goto done;
        } else if (!strcmp(a, "--out")) {
            if (!(out = cli_value(argc, argv, &i))) goto done;
        } else if (!strcmp(a, "--vocab")) {
            if (!(vocab = cli_value(argc, argv, &i))) goto done;
        } else if (!strcmp(a, "--lora")) {
            if (!(lora_path = cli_value(argc, argv, &i))) goto done;
        } else if (!strcmp(a, "--world")) {
            if (!(world = cli_value(argc, argv, &i))) goto done;
            if (strcmp(world, "shapes")) {
                rc = cli_usage_error("zeroshot", "--world '%s' (the built-in world is 'shapes')",
                                     world);
                goto done;
            }
        } else if (!strcmp(a, "--benchmark")) {
            if (!(bench_name = cli_value(argc, argv, &i)) ||
                set_str(bp.name, sizeof bp.name, a, bench_name))
                goto done;
        } else if (!strcmp(a, "--root")) {
            if (!(v = cli_value(argc, argv, &i)) || set_str(bp.root, sizeof bp.root, a, v))
                goto done;
        } else if (!strcmp(a, "--order")) {
            if (!(v = cli_value(argc, argv, &i)) || set_str(bp.order, sizeof bp.order, a, v))
                goto done;
        } else if (!strcmp(a, "--tasks")) {
            if (!(v = cli_value(argc, argv, &i)) || set_str(bp.tasks, sizeof bp.tasks, a, v))
                goto done;
        } else if (!strcmp(a, "--split-file")) {
            if (!(v = cli_value(argc, argv, &i)) ||
                set_str(bp.split_file, sizeof bp.split_file, a, v))
                goto done;
        } else if (!strcmp(a, "--classes-file")) {
            if (!(v = cli_value(argc, argv, &i)) ||
                set_str(bp.classes_file, sizeof bp.classes_file, a, v))
                goto done;
        } else if (!strcmp(a, "--order-seed")) {
            int seed;
            if (!(v = cli_value(argc, argv, &i)) || cli_int(a, v, 0, 2147483647, &seed)) goto done;
            bp.order_seed = (uint64_t)seed;
        } else if (!strcmp(a, "--test-per-class")) {
            v = cli_value(argc, argv, &i);
            if (!v || cli_int("--test-per-class", v, 0, 100000000, &test_per_class)) goto done;
        } else if (!strcmp(a, "--world-seed")) {
            v = cli_value(argc, argv, &i);
            if (!v || cli_int("--world-seed", v, 0, 2147483647, &world_seed)) goto done;
            world_seed_given = 1;
        } else if (!strcmp(a, "--top")) {
            v = cli_value(argc, argv, &i);
            if (!v || cli_int("--top", v, 0, 1000000, &top)) goto done;
        } else if (a[0] == '-') {
            rc = cli_unknown("zeroshot", a);
            goto done;
        } else {
            imgs[n_img++] = a;
        }
    }
    if (zeroshot_check_template(tmpl, "--template") != 0 || (out && cli_check_out_file(out))) {
        rc = app_report_error();
        goto done;
    }
    /* --out never replaces an input: the probabilities would overwrite the model or an image */
    int same = 0;
    if (out) {
        same = cli_check_out_not_input(out, model, "--model") ||
               cli_check_out_not_input(out, classes, "--classes") ||
               cli_check_out_not_input(out, lora_path, "--lora") ||
               cli_check_out_not_input(out, vocab, "--vocab");
        for (int i = 0; i < n_img && !same; i++)
            same = cli_check_out_not_input(out, imgs[i], "image");
        if (!same && bp.classes_file[0])
            same = cli_check_out_not_input(out, bp.classes_file, "--classes-file");
        /* the split list of each split: {} stands for its name */
        static const char *const splits[] = {"train", "test"};
        for (int k = 0; k < 2 && !same && bp.split_file[0]; k++) {
            char list[sizeof bp.split_file + 8];
            const char *br = strstr(bp.split_file, "{}");
            if (br)
                snprintf(list, sizeof list, "%.*s%s%s", (int)(br - bp.split_file), bp.split_file,
                         splits[k], br + 2);
            else
                snprintf(list, sizeof list, "%s", bp.split_file);
            same = cli_check_out_not_input(out, list, "--split-file");
        }
    }
    if (same) {
        rc = app_report_error();
        goto done;
    }
    if (world && bench_name && strcmp(bench_name, "shapes")) {
        rc = cli_usage_error("zeroshot", "--world shapes and --benchmark %s: give one of them",
                             bench_name);
        goto done;
    }
    if (world_seed_given && bench_name && strcmp(bench_name, "shapes")) {
        rc = cli_usage_error("zeroshot", "--world-seed is a setting of the shapes world, which "
                             "--benchmark %s does not use", bench_name);
        goto done;
    }
    if ((world || bench_name) && (classes || n_img)) {
        rc = cli_usage_error("zeroshot", "--%s evaluates a benchmark: no --classes or IMAGE "
                             "arguments with it", world ? "world" : "benchmark");
        goto done;
    }
    if (model && (world || bench_name)) {
        rc = 1;
        bp.test_per_class = test_per_class;
        bp.world_seed = (uint64_t)world_seed;
        bp.eval_only = 1;
        if (world) snprintf(bp.name, sizeof bp.name, "shapes");
        if (!(bench = benchmark_open(&bp))) goto fail;
        if (!(m = clip_model_load(model, &lp))) goto fail;
        if (lora_path) {
            clip_lora_params p = clip_lora_default_params();
            if (!(lora = clip_lora_new(m, &p)) || clip_lora_load(lora, lora_path) != 0) goto fail;
        }
        if (!(tok = clip_tokenizer_init(vocab))) goto fail;
        if (eval_benchmark(m, lora, tok, bench, tmpl, world != NULL, out) != 0) goto fail;
        rc = 0;
        goto done;
    }
    if (!model || !classes || !n_img) {
        rc = cli_usage_error("zeroshot", "--model, and --benchmark, or --classes and at least "
                             "one IMAGE are required");
        goto done;
    }
    rc = 1;
    if (read_classes(classes, &names, &n_cls) != 0) goto fail;
    if (!(m = clip_model_load(model, &lp))) goto fail;
    const clip_config *c = clip_model_config(m);
    if (!c->has_text || !c->has_vision) {
        SEGP_FAIL("%s: zero-shot classification needs both towers; this checkpoint holds only "
                  "the %s tower",
                  model, c->has_text ? "text" : "vision");
        goto fail;
    }
    if (lora_path) {
        clip_lora_params p = clip_lora_default_params();
        if (!(lora = clip_lora_new(m, &p)) || clip_lora_load(lora, lora_path) != 0) goto fail;
    }
    if (!(tok = clip_tokenizer_init(vocab))) goto fail;
    int e = c->embed_dim;
    size_t img = (size_t)3 * c->resolution * c->resolution;
    te = segp_malloc((size_t)n_cls * e * sizeof(float));
    pix = segp_malloc((size_t)n_img * img * sizeof(float));
    probs = segp_malloc((size_t)n_img * n_cls * sizeof(float));
    if (zeroshot_class_embeddings(m, lora, tok, (const char *const *)names, n_cls, tmpl, te))
        goto fail;
    for (int i = 0; i < n_img; i++)
        if (image_load_clip(imgs[i], c->resolution, pix + (size_t)i * img) != 0) goto fail;
    if (zeroshot_predict(m, lora, pix, n_img, te, n_cls, NULL, probs) != 0) goto fail;
    int k_show = top == 0 || top > n_cls ? n_cls : top;
    int *order = segp_malloc((size_t)n_cls * sizeof(int));
    for (int i = 0; i < n_img; i++) {
        const float *p = probs + (size_t)i * n_cls;
        for (int k = 0; k < n_cls; k++) order[k] = k;
        for (int a = 0; a < k_show; a++) /* partial selection sort: k_show is small */
            for (int b = a + 1; b < n_cls; b++)
                if (p[order[b]] > p[order[a]]) {
                    int t = order[a];
                    order[a] = order[b];
                    order[b] = t;
                }
        printf("%s\n", imgs[i]);
        for (int a = 0; a < k_show; a++)
            printf("  %7.3f%%  %s\n", 100.0 * p[order[a]], names[order[a]]);
    }
    free(order);
    if (out) {
        int64_t shape[2] = {n_img, n_cls};
        if (npy_write_f32(out, probs, 2, shape) != 0) goto fail;
    }
    rc = 0;
    goto done;
fail:
    rc = app_report_error();
done:
    for (int k = 0; k < n_cls; k++) free(names[k]);
    free(names);
    free(imgs);
    free(pix);
    free(te);
    free(probs);
    clip_tokenizer_free(tok);
    clip_lora_free(lora);
    clip_model_free(m);
    benchmark_free(bench);
    return rc;
}
