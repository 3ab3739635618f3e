/* cmd_finetune.c: `segp finetune`: joint LoRA-B fine-tuning on all classes of a benchmark (the
 * upper bound of continual learning on it); the shapes world by default. */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/common.h"
#include "train/finetune.h"
#include "cli_util.h"
#include "commands.h"

static void usage(void) {
    finetune_config d = finetune_default_config();
    int n;
    const cfg_field *f = finetune_config_fields(&n);
    char *doc = cfg_doc(f, n, &d);
    printf("usage: segp finetune --model M.safetensors [--config C.json] "
           "[--out LORA.safetensors]\n\n"
           "Joint fine-tuning of LoRA-B (both towers; q, v, c_fc, c_proj of every block) on all\n"
           "classes of a benchmark at once (benchmark.* keys; default the 100 classes of the\n"
           "shapes world): the upper bound that continual runs are compared with. Cross-entropy\n"
           "of CLIP logits over all class prompts. Prints the test accuracy at the end with\n"
           "every class as a candidate: overall and per task of the benchmark's class order;\n"
           "for shapes also per rendition, per object size, and the share of images given the\n"
           "wrong colour or shape. The training images are made once at the model's resolution\n"
           "(CLIP's eval geometry, 8-bit: memory grows with the training set); with\n"
           "augment.enabled every epoch sees a new seeded random resized crop (bicubic, back to\n"
           "the model's resolution) and left-right flip of each.\n\n"
           "  --config C   JSON config (keys below); defaults otherwise\n"
           "  --device D   cpu (default), cuda or cuda:N (a `make CUDA=1` build)\n"
           "  --precision P  auto (default), fp32, tf32 or bf16 (README \"GPU\")\n"
           "  --out L      save the trained LoRA state\n\n"
           "config keys (JSON; nested objects or dotted keys; an unknown key or one given twice "
           "is an error):\n%s",
           doc);
    free(doc);
}

static void on_event(const finetune_event *ev, void *user) {
    int tty = *(int *)user;
    fprintf(tty ? stderr : stdout,
            "%sepoch %d/%d  step %d/%d  loss %.4f  %.1f img/s  ETA %.0fs%s", tty ? "\r\033[K" : "",
            ev->epoch, ev->epochs, ev->step, ev->steps, (double)ev->loss, ev->images_per_s,
            ev->eta_s, tty ? "" : "\n");
    fflush(stdout);
    fflush(stderr);
}

/* The test accuracy: the shapes table as before, or overall and per task. */
static int print_result(const benchmark *b, const bench_eval_result *r, int tty) {
    if (tty) fprintf(stderr, "\r\033[K");
    const char *split = benchmark_is_val(b) ? benchmark_eval_desc(b) : "test split";
    if (!strcmp(benchmark_name(b), "shapes")) {
        shapes_zeroshot_result sr;
        if (shapes_zeroshot_breakdown(b, r, &sr) != 0) return -1;
        printf("%s: %d image%s, %d classes\n", split, r->n, segp_s(r->n),
               benchmark_num_classes(b));
        cli_print_shapes_result(&sr);
        return 0;
    }
    printf("benchmark %s, %s: %d image%s, %d classes, order %s, %d task%s (%s)\n",
           benchmark_name(b), split, r->n, segp_s(r->n), benchmark_num_classes(b),
           benchmark_order_desc(b), r->num_tasks, segp_s(r->num_tasks), benchmark_tasks_desc(b));
    for (int t = 0; t < r->num_tasks; t++)
        printf("  task %2d  %6.2f%%   (%d image%s)\n", t + 1, r->per_task[t], r->n_task[t],
               segp_s(r->n_task[t]));
    printf("  overall  %6.2f%%\n", r->overall);
    return 0;
}

int cmd_finetune(int argc, char **argv) {
    const char *model = NULL, *config = NULL, *out = NULL;
    clip_load_params mp = clip_default_load_params();
    for (int i = 1; i < argc; i++) {
        if (app_is_help(argv[i])) {
            usage();
            return 0;
        } else if (!strcmp(argv[i], "--model")) {
            if (!(model = cli_value(argc, argv, &i))) return 2;
        } else if (!strcmp(argv[i], "--config")) {
            if (!(config = cli_value(argc, argv, &i))) return 2;
        } else if (!strcmp(argv[i], "--out")) {
            if (!(out = cli_value(argc, argv, &i))) return 2;
        } else if (!strcmp(argv[i], "--device")) {
            if (!(mp.device = cli_value(argc, argv, &i))) return 2;
        } else if (!strcmp(argv[i], "--precision")) {
            if (!(mp.precision = cli_value(argc, argv, &i))) return 2;
        } else {
            return cli_unknown("finetune", argv[i]);
        }
    }
    if (!model) return cli_usage_error("finetune", "--model is required");
    finetune_config c = finetune_default_config();
    int n;
    const cfg_field *f = finetune_config_fields(&n);
    if (config && cfg_parse_file(config, f, n, &c) != 0) return app_report_error();
    /* what can be refused before the model loads and the images are made, is */
    if (train_options_check(&c.train) != 0) {
        if (config) segp_fail_prefix("%s: ", config);
        return app_report_error();
    }
    if (out && (cli_check_out_file(out) != 0 || cli_check_out_not_input(out, model, "--model") ||
                cli_check_out_not_input(out, config, "--config")))
        return app_report_error();
    clip_model *m = clip_model_load(model, &mp);
    if (!m) return app_report_error();
    if (!clip_model_config(m)->has_vision || !clip_model_config(m)->has_text) {
        SEGP_FAIL("%s: holds only the %s tower (fine-tuning needs both)", model,
                  clip_model_config(m)->has_vision ? "vision" : "text");
        clip_model_free(m);
        return app_report_error();
    }
    int rc = 1;
    benchmark *bench = finetune_open_benchmark(&c, m);
    clip_tokenizer *tok = bench ? clip_tokenizer_init(NULL) : NULL;
    clip_lora_params lp = clip_lora_default_params();
    lp.rank = c.train.rank;
    lp.alpha = c.train.alpha;
    lp.seed = c.seed;
    clip_lora *lora = tok ? clip_lora_new(m, &lp) : NULL;
    if (lora) {
        int tty = isatty(fileno(stderr));
        char cpu[256];
        segp_cpu_name(cpu, sizeof cpu);
        int threads = omp_get_max_threads();
        printf("%s: %zu trainable LoRA-B numbers (rank %d); segp build %s, CPU %s, %d thread%s\n",
               model, clip_lora_trainable(lora), c.train.rank, segp_build_id(), cpu, threads,
               segp_s(threads));
        bench_eval_result res = {0};
        double t0 = segp_now();
        if (joint_finetune(m, lora, tok, bench, &c, on_event, &tty, &res) == 0 &&
            print_result(bench, &res, tty) == 0 && (!out || clip_lora_save(lora, out) == 0)) {
            int s = (int)(segp_now() - t0 + 0.5);
            printf("wall time %d:%02d (images, training and evaluation)\n", s / 60, s % 60);
            rc = 0;
        }
        bench_eval_free(&res);
    }
    if (rc) app_report_error();
    benchmark_free(bench);
    clip_lora_free(lora);
    clip_tokenizer_free(tok);
    clip_model_free(m);
    return rc;
}
