/* cmd_finetune.c: `segp finetune`: joint LoRA-B fine-tuning on all shapes classes (the upper
 * bound of continual learning on the benchmark). */
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
    printf("usage: segp finetune --model M.safetensors [--config C.json] [--out LORA.safetensors]\n\n"
           "Joint fine-tuning of LoRA-B (both towers; q, v, c_fc, c_proj of every block) on all\n"
           "100 classes of the shapes benchmark at once: the upper bound that continual runs\n"
           "are compared with. Cross-entropy of CLIP logits over all class prompts. Prints the\n"
           "test accuracy at the end: overall, per task of the default order, per rendition,\n"
           "per object size, and the share of images given the wrong colour or shape.\n"
           "The training images are rendered once; with augment.enabled every epoch sees a\n"
           "new seeded random resized crop (bicubic, back to the model's resolution) and\n"
           "left-right flip of each.\n\n"
           "  --config C   JSON config (keys below); defaults otherwise\n"
           "  --out L      save the trained LoRA state\n\n"
           "config keys:\n%s",
           doc);
    free(doc);
}

static void on_event(const finetune_event *ev, void *user) {
    int tty = *(int *)user;
    if (ev->is_eval) {
        const shapes_zeroshot_result *r = &ev->eval;
        if (tty) fprintf(stderr, "\r\033[K");
        printf("test split: %d images, 100 classes\n", r->n);
        cli_print_shapes_result(r);
    } else {
        fprintf(tty ? stderr : stdout,
                "%sepoch %d/%d  step %d/%d  loss %.4f  %.1f img/s  ETA %.0fs%s", tty ? "\r\033[K" : "",
                ev->epoch, ev->epochs, ev->step, ev->steps, (double)ev->loss, ev->images_per_s,
                ev->eta_s, tty ? "" : "\n");
    }
    fflush(stdout);
    fflush(stderr);
}

int cmd_finetune(int argc, char **argv) {
    const char *model = NULL, *config = NULL, *out = NULL;
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
        } else {
            return cli_unknown("finetune", argv[i]);
        }
    }
    if (!model) return cli_usage_error("finetune", "--model is required");
    finetune_config c = finetune_default_config();
    int n;
    const cfg_field *f = finetune_config_fields(&n);
    if (config && cfg_parse_file(config, f, n, &c) != 0) return app_report_error();
    clip_model *m = clip_model_load(model, NULL);
    if (!m) return app_report_error();
    int rc = 1;
    clip_tokenizer *tok = clip_tokenizer_init(NULL);
    clip_lora_params lp = clip_lora_default_params();
    lp.rank = c.rank;
    lp.alpha = c.alpha;
    lp.seed = c.seed;
    clip_lora *lora = tok ? clip_lora_new(m, &lp) : NULL;
    if (lora) {
        int tty = isatty(fileno(stderr));
        char cpu[256];
        segp_cpu_name(cpu, sizeof cpu);
        printf("%s: %zu trainable LoRA-B numbers (rank %d); segp build %s, CPU %s, %d threads\n",
               model, clip_lora_trainable(lora), c.rank, segp_build_id(), cpu,
               omp_get_max_threads());
        shapes_zeroshot_result res;
        double t0 = segp_now();
        if (shapes_joint_finetune(m, lora, tok, &c, on_event, &tty, &res) == 0 &&
            (!out || clip_lora_save(lora, out) == 0)) {
            int s = (int)(segp_now() - t0 + 0.5);
            printf("wall time %d:%02d (rendering, training and evaluation)\n", s / 60, s % 60);
            rc = 0;
        }
    }
    if (rc) app_report_error();
    clip_lora_free(lora);
    clip_tokenizer_free(tok);
    clip_model_free(m);
    return rc;
}
