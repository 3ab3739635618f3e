/* pretrain.h: contrastive CLIP pretraining from scratch on the `shapes` world: both towers, all
 * weights, symmetric InfoNCE with a learnable logit scale, AdamW, warm-up + cosine, atomic
 * checkpoints and exact resume (the data stream is indexed by step). */
#ifndef SEGP_PRETRAIN_H
#define SEGP_PRETRAIN_H

#include <stdint.h>

#include "core/config.h"
#include "model/clip.h"

typedef struct {
    char out_dir[512];
    uint64_t seed;
    /* world */
    uint64_t world_seed;
    int image_size;
    float hard_rate, two_object_rate;
    int shape_group; /* world.shape_group: scenes per shape-contrast group */
    int test_per_class;
    /* model */
    int v_width, v_layers, v_heads, v_mlp, patch;
    int t_width, t_layers, t_heads, t_mlp, context;
    int embed_dim;
    char activation[16];
    /* training */
    int steps, batch_size, warmup_steps;
    float lr, weight_decay, beta1, beta2, eps, max_logit_scale;
    int log_every, checkpoint_every, eval_every;
    char save_dtype[8];
    char template_[128];
} pretrain_config;

pretrain_config pretrain_default_config(void);
const cfg_field *pretrain_config_fields(int *n);
/* PATH's config over C (the defaults on entry). A run's own DIR/config.json is a config too:
 * the record it adds (segp_version, segp_build, cpu, threads, parameters) is passed over.
 * -1 + error naming the file and key. */
int pretrain_config_parse_file(const char *path, pretrain_config *c);
/* What pretrain_run checks before it starts (activation, dtype, sizes that must divide, the
 * architecture), filling the model's architecture MC. -1 + error naming the key. */
int pretrain_config_check(const pretrain_config *c, clip_config *mc);

typedef enum {
    PRETRAIN_STEP,
    PRETRAIN_EVAL,
    PRETRAIN_CHECKPOINT,
    PRETRAIN_STOPPED,
    PRETRAIN_DONE,
    PRETRAIN_WARNING /* text: the run goes on (e.g. out_dir's file system has no locks) */
} pretrain_event_kind;

typedef struct {
    pretrain_event_kind kind;
    int step, steps;
    float loss, lr, logit_scale;
    double images_per_s, eta_s, elapsed_s;
    double zs_overall, zs_standard, zs_hard; /* PRETRAIN_EVAL */
    const char *path;                        /* PRETRAIN_CHECKPOINT / DONE */
    const char *text;                        /* PRETRAIN_WARNING */
    int64_t params;
} pretrain_event;

typedef void (*pretrain_callback)(const pretrain_event *ev, void *user);

/* Train. resume != 0 continues from OUT/checkpoint.safetensors; without it an existing run
 * directory is refused (nothing is ever overwritten silently). stop_after > 0 stops after that
 * many steps with a checkpoint (as if interrupted; resume later), 0 trains to the end. One
 * process trains an out_dir at a time: OUT/.lock is the writer lock of run directories
 * (run/rundir.h), refused with the holder named while another process holds it, removed when
 * the model is written. */
int pretrain_run(const pretrain_config *cfg, int resume, int stop_after, pretrain_callback cb,
                 void *user);

#endif
