/* cmd_pretrain.c: `segp pretrain CONFIG`: contrastive CLIP pretraining on the shapes world. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/common.h"
#include "train/pretrain.h"
#include "cli_util.h"
#include "commands.h"

static void usage(void) {
    pretrain_config d = pretrain_default_config();
    int n;
    const cfg_field *f = pretrain_config_fields(&n);
    char *doc = cfg_doc(f, n, &d);
    printf("usage: segp pretrain CONFIG.json [--resume] [--out DIR] [--stop-after N]\n\n"
           "Contrastive CLIP pretraining from scratch on the built-in shapes world: both\n"
           "towers, all weights, symmetric InfoNCE with a learnable logit scale, AdamW,\n"
           "warm-up + cosine. Writes DIR/config.json (resolved), DIR/log.jsonl,\n"
           "DIR/checkpoint.safetensors (every train.checkpoint_every steps; --resume continues\n"
           "from it exactly) and DIR/model.safetensors at the end. Zero-shot accuracy on the\n"
           "shapes CL test split is logged every train.eval_every steps. One process trains\n"
           "a DIR at a time (DIR/.lock, removed at the end). DIR/config.json is a config\n"
           "itself: 'segp pretrain DIR/config.json --out NEW' runs the same training again\n"
           "(without --out or --resume it is refused: its out_dir is the run it records).\n\n"
           "  --resume   continue the run in out_dir from its last checkpoint (from step 0\n"
           "             when it stopped before its first one), with the\n"
           "             settings it started with (DIR/config.json; a key with another value\n"
           "             is refused, except out_dir and train.{log,checkpoint,eval}_every;\n"
           "             another OMP_NUM_THREADS than it recorded is noted: the last bits\n"
           "             may then differ)\n"
           "  --out DIR  override out_dir\n"
           "  --stop-after N  stop after step N with a checkpoint (continue with --resume)\n\n"
           "config keys (JSON; nested objects or dotted keys; an unknown key or one given twice "
           "is an error):\n%s",
           doc);
    free(doc);
}

/* Whether the config at PATH (already parsed) is a run's config.json, with its record. */
static int is_run_record(const char *path) {
    uint8_t *data;
    size_t size;
    if (cfg_read_file(path, &data, &size) != 0) return 0;
    cJSON *root = cJSON_ParseWithLength((const char *)data, size);
    int rec = cJSON_IsObject(root) && cJSON_GetObjectItemCaseSensitive(root, "segp_version");
    cJSON_Delete(root);
    free(data);
    return rec;
}

static void fmt_time(double s, char *buf, size_t n) {
    int t = (int)(s + 0.5);
    if (t >= 3600) snprintf(buf, n, "%d:%02d:%02d", t / 3600, t / 60 % 60, t % 60);
    else snprintf(buf, n, "%d:%02d", t / 60, t % 60);
}

static void on_event(const pretrain_event *ev, void *user) {
    int tty = *(int *)user;
    char eta[32], el[32];
    switch (ev->kind) {
    case PRETRAIN_STEP: {
        /* a session's first step sizes the arenas and is not timed: no rate yet */
        char rate[32] = "-";
        snprintf(eta, sizeof eta, "-");
        if (ev->images_per_s > 0) {
            snprintf(rate, sizeof rate, "%.1f", ev->images_per_s);
            fmt_time(ev->eta_s, eta, sizeof eta);
        }
        fmt_time(ev->elapsed_s, el, sizeof el);
        fprintf(tty ? stderr : stdout,
                "%sstep %d/%d  loss %.4f  lr %.2e  scale %.1f  %s img/s  elapsed %s  ETA %s%s",
                tty ? "\r\033[K" : "", ev->step, ev->steps, (double)ev->loss, (double)ev->lr,
                (double)ev->logit_scale, rate, el, eta, tty ? "" : "\n");
        break;
    }
    case PRETRAIN_EVAL:
        printf("%sstep %d: zero-shot accuracy on the shapes test split %.2f%% (standard %.2f%%, "
               "hard renditions %.2f%%)\n",
               tty ? "\r\033[K" : "", ev->step, ev->zs_overall, ev->zs_standard, ev->zs_hard);
        break;
    case PRETRAIN_CHECKPOINT:
        break;
    case PRETRAIN_STOPPED:
        printf("%sstopped after step %d of %d; checkpoint %s (continue with --resume)\n",
               tty ? "\r\033[K" : "", ev->step, ev->steps, ev->path);
        break;
    case PRETRAIN_WARNING:
        fprintf(stderr, "%swarning: %s\n", tty ? "\r\033[K" : "", ev->text);
        break;
    case PRETRAIN_DONE:
        fmt_time(ev->elapsed_s, el, sizeof el);
        printf("%sdone: %s (%lld parameters, %s)\n", tty ? "\r\033[K" : "", ev->path,
               (long long)ev->params, el);
        break;
    }
    fflush(stdout);
    fflush(stderr);
}

int cmd_pretrain(int argc, char **argv) {
    const char *path = NULL, *out = NULL;
    int resume = 0, stop_after = 0;
    for (int i = 1; i < argc; i++) {
        if (app_is_help(argv[i]) || !strcmp(argv[i], "--help-config")) {
            usage();
            return 0;
        } else if (!strcmp(argv[i], "--resume")) {
            resume = 1;
        } else if (!strcmp(argv[i], "--stop-after")) {
            const char *v = cli_value(argc, argv, &i);
            if (!v || cli_int("--stop-after", v, 1, 100000000, &stop_after)) return 2;
        } else if (!strcmp(argv[i], "--out")) {
            if (!(out = cli_value(argc, argv, &i))) return 2;
        } else if (argv[i][0] == '-') {
            return cli_unknown("pretrain", argv[i]);
        } else if (!path) {
            path = argv[i];
        } else {
            return cli_usage_error("pretrain", "only one CONFIG expected");
        }
    }
    if (!path) return cli_usage_error("pretrain", "CONFIG.json is required");
    pretrain_config cfg = pretrain_default_config();
    if (pretrain_config_parse_file(path, &cfg) != 0) return app_report_error();
    if (!out && !resume && is_run_record(path))
        return cli_usage_error("pretrain", "%s is a run's resolved config (it records "
                               "segp_version): its out_dir \"%s\" is where that run wrote; give "
                               "--out DIR for a new run of the same training (or --resume to "
                               "continue that run)", path, cfg.out_dir);
    if (out) snprintf(cfg.out_dir, sizeof cfg.out_dir, "%s", out);
    int tty = isatty(fileno(stderr));
    if (pretrain_run(&cfg, resume, stop_after, on_event, &tty) != 0) {
        if (tty) fprintf(stderr, "\n");
        return app_report_error();
    }
    return 0;
}
