/* pretrain.c: contrastive pretraining of a CLIP on the shapes world (see pretrain.h). */
#include "pretrain.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <omp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "model/clip.h"
#include "core/blas_setup.h"
#include "core/common.h"
#include "data/shapes.h"
#include "optim.h"
#include "step.h"
#include "step_memory.h"
#include "io/safetensors.h"
#include "text/tokenizer.h"
#include "model/zeroshot.h"
#include "data/benchmark.h"
#include "run/rundir.h"

#define F(key, type, field, lo, hi, doc)                                                        \
    {key, type, offsetof(pretrain_config, field), lo, hi, 0, doc}
#define S(key, field, doc)                                                                      \
    {key, CFG_STRING, offsetof(pretrain_config, field), 0, 0,                                   \
     sizeof(((pretrain_config *)0)->field), doc}
static const cfg_field fields[] = {
    S("out_dir", out_dir, "run directory (checkpoints, log, final model)"),
    F("seed", CFG_U64, seed, 0, CFG_MAX_EXACT_INT, "initialisation seed"),
    F("world.seed", CFG_U64, world_seed, 0, CFG_MAX_EXACT_INT,
      "shapes world seed (images, captions)"),
    F("world.image_size", CFG_INT, image_size, 8, 256, "rendered image size, pixels"),
    F("world.hard_rate", CFG_FLOAT, hard_rate, 0, 1,
      "share of hard renditions in the pretraining stream"),
    F("world.two_object_rate", CFG_FLOAT, two_object_rate, 0, 1, "share of two-object scenes"),
    F("world.shape_group", CFG_INT, shape_group, 1, 12,
      "consecutive scenes that differ only in shape (1 = independent scenes)"),
    F("world.test_per_class", CFG_INT, test_per_class, 1, 10000,
      "test images per class for zero-shot evaluation"),
    F("model.vision_width", CFG_INT, v_width, 8, 4096, "vision transformer width"),
    F("model.vision_layers", CFG_INT, v_layers, 1, 64, "vision transformer blocks"),
    F("model.vision_heads", CFG_INT, v_heads, 1, 64,
      "vision attention heads (must divide the width)"),
    F("model.vision_mlp", CFG_INT, v_mlp, 8, 16384, "vision MLP hidden size"),
    F("model.patch", CFG_INT, patch, 1, 64, "patch size (must divide world.image_size)"),
    F("model.text_width", CFG_INT, t_width, 8, 4096, "text transformer width"),
    F("model.text_layers", CFG_INT, t_layers, 1, 64, "text transformer blocks"),
    F("model.text_heads", CFG_INT, t_heads, 1, 64, "text attention heads (must divide the width)"),
    F("model.text_mlp", CFG_INT, t_mlp, 8, 16384, "text MLP hidden size"),
    F("model.context", CFG_INT, context, 8, 77, "text context length, tokens"),
    F("model.embed_dim", CFG_INT, embed_dim, 8, 4096, "joint embedding size"),
    S("model.activation", activation, "\"quick_gelu\" or \"gelu\""),
    F("train.steps", CFG_INT, steps, 1, 100000000, "optimisation steps"),
    F("train.batch_size", CFG_INT, batch_size, 2, 65536, "image-caption pairs per step"),
    F("train.warmup_steps", CFG_INT, warmup_steps, 0, 100000000, "linear learning-rate warm-up"),
    F("train.lr", CFG_FLOAT, lr, 0, 10, "peak learning rate (cosine decay to 0)"),
    F("train.weight_decay", CFG_FLOAT, weight_decay, 0, 10,
      "AdamW decay of matrices (not norms, biases, logit scale)"),
    F("train.beta1", CFG_FLOAT, beta1, 0, 0.999999, "AdamW beta1"),
    F("train.beta2", CFG_FLOAT, beta2, 0, 0.999999, "AdamW beta2"),
    F("train.eps", CFG_FLOAT, eps, 0, 1, "AdamW epsilon"),
    F("train.max_logit_scale", CFG_FLOAT, max_logit_scale, 1, 1000,
      "clamp of exp(logit_scale), as CLIP's 100"),
    F("train.log_every", CFG_INT, log_every, 1, 1000000, "steps between log lines"),
    F("train.checkpoint_every", CFG_INT, checkpoint_every, 1, 100000000,
      "steps between checkpoints"),
    F("train.eval_every", CFG_INT, eval_every, 0, 100000000,
      "steps between zero-shot evaluations (0: only at the end)"),
    S("train.prompt_template", template_, "prompt for zero-shot evaluation, {} = class name"),
    S("save_dtype", save_dtype, "storage of the final model: \"F32\", \"F16\" or \"BF16\""),
};
#undef F
#undef S

const cfg_field *pretrain_config_fields(int *n) {
    *n = (int)(sizeof fields / sizeof fields[0]);
    return fields;
}

pretrain_config pretrain_default_config(void) {
    pretrain_config c;
    memset(&c, 0, sizeof c);
    snprintf(c.out_dir, sizeof c.out_dir, "runs/pretrain-shapes");
    c.seed = 1;
    c.world_seed = 1;
    c.image_size = 32;
    c.hard_rate = 0.04f;
    c.two_object_rate = 0.3f;
    c.shape_group = 1;
    c.test_per_class = 20;
    c.v_width = 128, c.v_layers = 4, c.v_heads = 4, c.v_mlp = 512, c.patch = 4;
    c.t_width = 96, c.t_layers = 4, c.t_heads = 4, c.t_mlp = 384, c.context = 32;
    c.embed_dim = 128;
    snprintf(c.activation, sizeof c.activation, "quick_gelu");
    c.steps = 2500, c.batch_size = 128, c.warmup_steps = 150;
    c.lr = 1e-3f, c.weight_decay = 0.1f, c.beta1 = 0.9f, c.beta2 = 0.98f, c.eps = 1e-6f;
    c.max_logit_scale = 100.0f;
    c.log_every = 10, c.checkpoint_every = 250, c.eval_every = 500;
    snprintf(c.save_dtype, sizeof c.save_dtype, "F16");
    snprintf(c.template_, sizeof c.template_, "a photo of a {}.");
    return c;
}

/* The shapes world of the pretraining stream and its zero-shot evaluation. */
static shapes_world_params pretrain_world(const pretrain_config *cfg) {
    shapes_world_params wp = shapes_default_params();
    wp.seed = cfg->world_seed;
    wp.image_size = cfg->image_size;
    wp.pretrain_hard_rate = cfg->hard_rate;
    wp.two_object_rate = cfg->two_object_rate;
    wp.shape_group = cfg->shape_group;
    wp.test_per_class = cfg->test_per_class;
    return wp;
}

/* The training step (step_memory.h: the base weights with their gradients and AdamW state,
 * train.batch_size images and captions) must fit in the machine's memory; refused before
 * out_dir is made: it failed at the first step, leaving a run folder behind (image_size 256
 * with patch 1: 35 TB of attention maps alone). So must the zero-shot evaluation, made between
 * steps (every train.eval_every, and after the last) while the step's state stays: the step's
 * arenas, gradients, moments and batch beside benchmark_eval of the test split. */
static int check_memory(const pretrain_config *c, const clip_config *mc) {
    step_memory s = {.mc = mc, .lora = NULL, .optim_slots = 2, .n_img = c->batch_size,
                     .n_txt = c->batch_size, .txt_tokens = 2};
    char what[300];
    snprintf(what, sizeof what, "train.batch_size %d with %d image tokens (world.image_size / "
             "model.patch, squared, + 1)", c->batch_size, mc->grid * mc->grid + 1);
    if (step_memory_check(&s, what, "a smaller train.batch_size or world.image_size, a "
                          "larger model.patch, or a smaller model: fewer or narrower "
                          "layers, fewer heads") != 0)
        return -1;
    shapes_world_params wp = pretrain_world(c);
    benchmark_params bp = benchmark_default_params();
    bp.eval_only = 1;
    benchmark *b = benchmark_open_shapes(&bp, &wp);
    if (!b) { /* a world the stream refuses later, by key (shapes_check_params) */
        segp_clear_error();
        return 0;
    }
    int n = benchmark_count(b, BENCH_TEST), nc = benchmark_split_classes(b, BENCH_TEST);
    double step = step_memory_bytes(&s),
           need = step + benchmark_eval_bytes(mc, n, nc, 0, 0,
                                              benchmark_kept_bytes(b, BENCH_TEST, mc->resolution,
                                                                   n));
    benchmark_free(b);
    snprintf(what, sizeof what, "key 'world.test_per_class' = %d (a zero-shot evaluation of %d "
             "test images against %d classes, beside the training step's %.1f GiB)",
             c->test_per_class, n, nc, step / 1073741824.0);
    return phase_memory_check(need, what, "the zero-shot evaluation",
                              "a smaller world.test_per_class, a smaller train.batch_size or a "
                              "smaller model");
}

/* The zero-shot evaluation's prompts, every class's, at model.context: refused before any work
 * when cutting them to the context leaves two classes one prompt, not at the first evaluation.
 * (In pretrain_run, with its tokenizer: the config check stays free of the vocabulary.) */
static int check_eval_prompts(const pretrain_config *c, clip_tokenizer *tok) {
    enum { N = SHAPES_N_CLASSES + SHAPES_N_HELDOUT };
    char buf[N][64];
    const char *names[N];
    for (int k = 0; k < N; k++) {
        shapes_class_name(k, buf[k], sizeof buf[k]);
        names[k] = buf[k];
    }
    int32_t *ids = segp_malloc((size_t)N * c->context * sizeof *ids);
    int rc = zeroshot_tokenize_prompts(tok, c->template_, names, N, c->context, ids);
    free(ids);
    return rc ? segp_fail_prefix("key 'train.prompt_template': ") : 0;
}

int pretrain_config_check(const pretrain_config *c, clip_config *mc) {
    if (strcmp(c->activation, "quick_gelu") && strcmp(c->activation, "gelu"))
        return SEGP_FAIL("model.activation '%s' (expected \"quick_gelu\" or \"gelu\")",
                         c->activation);
    if (strcmp(c->save_dtype, "F32") && strcmp(c->save_dtype, "F16") &&
        strcmp(c->save_dtype, "BF16"))
        return SEGP_FAIL("save_dtype '%s' (expected \"F32\", \"F16\" or \"BF16\")", c->save_dtype);
    if (c->image_size % c->patch)
        return SEGP_FAIL("model.patch %d does not divide world.image_size %d", c->patch,
                         c->image_size);
    /* by key: clip_config_check's advice (a safetensors metadata key) is for checkpoints */
    if (c->v_width % c->v_heads)
        return SEGP_FAIL("model.vision_heads %d does not divide model.vision_width %d",
                         c->v_heads, c->v_width);
    if (c->t_width % c->t_heads)
        return SEGP_FAIL("model.text_heads %d does not divide model.text_width %d", c->t_heads,
                         c->t_width);
    if (c->batch_size % c->shape_group)
        return SEGP_FAIL("train.batch_size %d is not a multiple of world.shape_group %d (a group "
                         "would be split across two batches)",
                         c->batch_size, c->shape_group);
    if (!c->out_dir[0]) return SEGP_FAIL("out_dir is empty");
    if (zeroshot_check_template(c->template_, "key 'train.prompt_template'") != 0) return -1;
    memset(mc, 0, sizeof *mc);
    mc->has_vision = mc->has_text = 1;
    mc->v_width = c->v_width, mc->v_layers = c->v_layers, mc->v_heads = c->v_heads;
    mc->v_mlp = c->v_mlp, mc->patch = c->patch, mc->grid = c->image_size / c->patch;
    mc->resolution = c->image_size;
    mc->t_width = c->t_width, mc->t_layers = c->t_layers, mc->t_heads = c->t_heads;
    mc->t_mlp = c->t_mlp, mc->context = c->context, mc->vocab = 49408;
    mc->embed_dim = c->embed_dim;
    mc->act = strcmp(c->activation, "gelu") ? ACT_QUICK_GELU : ACT_GELU;
    mc->ln_eps = 1e-5f;
    return clip_config_check(mc, "pretrain config");
}

static int mkdir_p(const char *path) {
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++)
        if (*p == '/') {
            *p = 0;
            if (mkdir(buf, 0755) != 0 && errno != EEXIST)
                return SEGP_FAIL("%s: cannot create directory: %s", buf, strerror(errno));
            *p = '/';
        }
    if (mkdir(buf, 0755) != 0 && errno != EEXIST)
        return SEGP_FAIL("%s: cannot create directory: %s", buf, strerror(errno));
    return 0;
}

static int file_exists(const char *p) {
    struct stat st;
    return stat(p, &st) == 0;
}

/* The checkpoint: the flat parameters, AdamW's moments and the step count. */
static int save_checkpoint(const char *path, float *params, optim *o, int step) {
    int64_t n = (int64_t)optim_size(o);
    st_write_tensor t[3] = {
        {"params", ST_F32, 1, {n}, params},
        {"adam_m", ST_F32, 1, {n}, optim_state(o, 0)},
        {"adam_v", ST_F32, 1, {n}, optim_state(o, 1)},
    };
    char s[32];
    snprintf(s, sizeof s, "%d", step);
    const char *k[1] = {"segp.step"}, *v[1] = {s};
    return st_write(path, t, 3, k, v, 1);
}

static int load_checkpoint(const char *path, float *params, optim *o, int *step) {
    st_file *f = st_open(path);
    if (!f) return -1;
    const char *names[3] = {"params", "adam_m", "adam_v"};
    float *dst[3] = {params, optim_state(o, 0), optim_state(o, 1)};
    size_t n = optim_size(o);
    int rc = 0;
    const char *s = st_metadata(f, "segp.step");
    if (!s || atoi(s) <= 0) rc = SEGP_FAIL("%s: no segp.step in the metadata", path);
    for (int i = 0; i < 3 && rc == 0; i++) {
        const st_tensor *t = st_find(f, names[i]);
        if (!t || t->numel != (int64_t)n)
            rc = SEGP_FAIL("%s: tensor '%s' is missing or does not match the configured model "
                           "(%zu parameters)",
                           path, names[i], n);
        else rc = st_read_f32(f, t, dst[i]);
    }
    if (rc == 0) {
        *step = atoi(s);
        optim_set_step_count(o, *step);
    }
    st_close(f);
    return rc;
}

/* Keep only log lines of steps <= last (a crash may have left lines past the checkpoint). */
static void trim_log(const char *path, int last) {
    uint8_t *d;
    size_t n;
    if (segp_read_file(path, &d, &n) != 0) return;
    char *out = segp_malloc(n + 1);
    size_t k = 0;
    char *save = NULL;
    for (char *line = strtok_r((char *)d, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        const char *st = strstr(line, "\"step\":");
        if (st && atoi(st + 7) > last) continue;
        size_t l = strlen(line);
        memcpy(out + k, line, l);
        k += l;
        out[k++] = '\n';
    }
    segp_write_file_atomic(path, out, k);
    free(out);
    free(d);
}

int pretrain_config_parse_file(const char *path, pretrain_config *c) {
    /* a resolved config.json beside a model: what its pretraining found, after the settings */
    static const char *const record[] = {"segp_version", "segp_build", "cpu", "threads",
                                         "parameters", "host", "os", "compiler", "openblas"};
    return cfg_parse_file_record(path, "segp_version", record,
                                 (int)(sizeof record / sizeof record[0]), fields,
                                 (int)(sizeof fields / sizeof fields[0]), c);
}

/* The item at dotted KEY of O (NULL when absent). */
static const cJSON *item_at(const cJSON *o, const char *key) {
    char buf[128];
    snprintf(buf, sizeof buf, "%s", key);
    for (char *s = buf, *dot; o; s = dot + 1) {
        dot = strchr(s, '.');
        if (dot) *dot = 0;
        o = cJSON_GetObjectItemCaseSensitive(o, s);
        if (!dot) return o;
    }
    return NULL;
}

/* Remove the temporary files (NAME.tmp.PID) of this run's own files in DIR that a killed
 * process left behind: each is as large as what it was writing (a checkpoint holds the
 * weights and both AdamW moments), and they stayed after the resume. Only under the run's
 * lock, so that no other writer owns one. */
static void clean_own_tmp(const char *dir) {
    static const char *own[] = {"checkpoint.safetensors.tmp.", "model.safetensors.tmp.",
                                "config.json.tmp.", "log.jsonl.tmp."};
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d)))
        for (size_t k = 0; k < sizeof own / sizeof own[0]; k++)
            if (!strncmp(e->d_name, own[k], strlen(own[k]))) {
                char p[1400];
                snprintf(p, sizeof p, "%.1000s/%.255s", dir, e->d_name);
                unlink(p);
            }
    closedir(d);
}

/* Field FD's value in the JSON item IT (NULL: none), as text to compare and to show (malloc'd):
 * a float as the shortest text that reads back as that float, since the config.json of an
 * earlier build holds %.9g (0.0399999991 for 0.04), which the message showed. */
static char *value_text(const cfg_field *fd, const cJSON *it) {
    if (!it) return NULL;
    if (fd->type != CFG_FLOAT || !cJSON_IsNumber(it)) return cJSON_PrintUnformatted(it);
    char buf[32];
    return segp_strdup(segp_float_text((float)it->valuedouble, buf, sizeof buf));
}

/* --resume continues the run in out_dir exactly only with the settings it started with (its
 * config.json): another learning rate, step count or model would silently mix two runs under
 * the first one's record. Where it goes and how often it logs, checkpoints and evaluates may
 * change; they leave the weights as they are. */
static int check_resume_config(const char *p_cfg, const pretrain_config *cfg, int *threads) {
    static const char *free_keys[] = {"out_dir", "train.log_every", "train.checkpoint_every",
                                      "train.eval_every"};
    uint8_t *data;
    size_t size;
    if (cfg_read_file(p_cfg, &data, &size) != 0)
        return segp_fail_prefix("cannot resume: the run's resolved config is unreadable: ");
    cJSON *saved = cJSON_ParseWithLength((const char *)data, size);
    free(data);
    const int n = (int)(sizeof fields / sizeof fields[0]);
    char *js = cfg_to_json(fields, n, cfg, NULL);
    cJSON *now = cJSON_Parse(js);
    free(js);
    int rc = saved ? 0 : SEGP_FAIL("%s: not valid JSON; cannot resume this run", p_cfg);
    const cJSON *th = cJSON_GetObjectItemCaseSensitive(saved, "threads");
    *threads = cJSON_IsNumber(th) && th->valuedouble >= 1 && th->valuedouble <= 1e6
                   ? (int)th->valuedouble : 0; /* recorded by the run's start */
    for (int i = 0; i < n && rc == 0; i++) {
        int free_key = 0;
        for (size_t k = 0; k < sizeof free_keys / sizeof free_keys[0]; k++)
            free_key |= !strcmp(fields[i].key, free_keys[k]);
        if (free_key) continue;
        const cJSON *a = item_at(saved, fields[i].key), *b = item_at(now, fields[i].key);
        char *ta = value_text(&fields[i], a), *tb = value_text(&fields[i], b);
        if (!ta || !tb || strcmp(ta, tb))
            rc = SEGP_FAIL("key '%s' is %s here but %s in the run to resume (%s); --resume "
                           "continues a run with its own settings (give its config, or start "
                           "in another out_dir)", fields[i].key, tb ? tb : "?",
                           ta ? ta : "absent", p_cfg);
        free(ta), free(tb);
    }
    cJSON_Delete(saved);
    cJSON_Delete(now);
    return rc;
}

int pretrain_run(const pretrain_config *cfg, int resume, int stop_after, pretrain_callback cb,
                 void *user) {
    clip_config mc;
    if (pretrain_config_check(cfg, &mc) != 0) return -1;
    char p_cfg[1100], p_ckpt[1100], p_log[1100], p_model[1100];
    snprintf(p_cfg, sizeof p_cfg, "%s/config.json", cfg->out_dir);
    snprintf(p_ckpt, sizeof p_ckpt, "%s/checkpoint.safetensors", cfg->out_dir);
    snprintf(p_log, sizeof p_log, "%s/log.jsonl", cfg->out_dir);
    snprintf(p_model, sizeof p_model, "%s/model.safetensors", cfg->out_dir);
    clip_tokenizer *tok = clip_tokenizer_init(NULL);
    if (!tok) return -1;
    /* everything that refuses the run comes before out_dir is made or locked */
    int threads = 0, lock_fd = -1, rc0 = check_eval_prompts(cfg, tok);
    if (rc0 == 0) rc0 = check_memory(cfg, &mc);
    /* a run killed before its first checkpoint has its config.json, which refuses a fresh
     * start; resuming it starts again from step 0, where it stood (it was a dead end) */
    int from_scratch = resume && !file_exists(p_ckpt) && file_exists(p_cfg);
    if (rc0 == 0 && resume && !from_scratch && !file_exists(p_ckpt))
        rc0 = SEGP_FAIL("%s: no checkpoint to resume from (check out_dir or --out, or run "
                        "without --resume to start)", p_ckpt);
    if (rc0 == 0 && resume) rc0 = check_resume_config(p_cfg, cfg, &threads);
    if (rc0 == 0 && !resume && file_exists(p_cfg))
        rc0 = SEGP_FAIL("%s already holds a run (resume it with --resume, or choose another "
                        "out_dir)", cfg->out_dir);
    if (rc0 == 0) rc0 = mkdir_p(cfg->out_dir);
    /* before anything in out_dir is read for writing: a second `segp pretrain --resume` would
     * append to the same log and overwrite the same checkpoint */
    char warn[600] = "";
    if (rc0 == 0) rc0 = rundir_lock(cfg->out_dir, &lock_fd, warn, sizeof warn);
    if (rc0 != 0) {
        clip_tokenizer_free(tok);
        return -1;
    }
    clean_own_tmp(cfg->out_dir);
    if (warn[0] && cb) {
        pretrain_event w = {.kind = PRETRAIN_WARNING, .text = warn};
        cb(&w, user);
    }
    char note[1400]; /* as `segp resume` says it: the steps to come follow the thread count */
    if (segp_threads_note(p_cfg, threads, omp_get_max_threads(), "the steps after the checkpoint",
                          note, sizeof note) && cb) {
        pretrain_event w = {.kind = PRETRAIN_WARNING, .text = note};
        cb(&w, user);
    }

    clip_model *m = clip_model_random(&mc, cfg->seed, "cpu");
    if (!m) {
        clip_tokenizer_free(tok);
        if (lock_fd >= 0) close(lock_fd);
        return -1;
    }
    size_t np = clip_model_num_params(m); /* flat buffer, with alignment padding */
    int64_t n_true = clip_model_param_count(m, 0) + clip_model_param_count(m, 1) +
                     clip_model_param_count(m, 2);
    float *params = clip_model_params(m);
    /* weight decay on tensors of 2+ dimensions: not on norms, biases or the logit scale */
    uint8_t *decay = segp_calloc(np, 1);
    size_t ls_off = 0;
    for (int i = 0; i < clip_model_tensor_count(m); i++) {
        const clip_tensor_info *t = clip_model_tensor(m, i);
        if (!strcmp(t->name, "logit_scale")) ls_off = t->offset;
        if (t->ndim >= 2) memset(decay + t->offset, 1, t->numel);
    }
    optim_params op = {OPTIM_ADAMW, 0, cfg->beta1, cfg->beta2, cfg->eps, cfg->weight_decay};
    optim *opt = optim_new(clip_model_backend(m), &op, np, decay);
    train_step_params sp = {.lora = NULL, .opt = opt, .train_vision = 1, .train_text = 1};
    train_step *trainer = opt ? train_step_new(m, &sp) : NULL;
    int start = 0, rc = trainer ? 0 : -1, stopped = 0;
    if (rc == 0 && resume) {
        if (!from_scratch && load_checkpoint(p_ckpt, params, opt, &start) != 0) rc = -1;
        else trim_log(p_log, start);
    } else if (rc == 0) {
        char extra[2048], cpu[256], host[256], os[320];
        segp_cpu_name(cpu, sizeof cpu);
        segp_host_name(host, sizeof host);
        segp_os_name(os, sizeof os);
        snprintf(extra, sizeof extra,
                 "{\"segp_version\": \"%s\", \"segp_build\": \"%s\", \"cpu\": \"%s\", "
                 "\"threads\": %d, \"parameters\": %lld, \"host\": \"%s\", \"os\": \"%s\", "
                 "\"compiler\": \"%s\", \"openblas\": \"%s\"}",
                 SEGP_VERSION_STRING, segp_build_id(), cpu, omp_get_max_threads(),
                 (long long)n_true, host, os, segp_compiler(), blas_config());
        char *js = cfg_to_json(fields, (int)(sizeof fields / sizeof fields[0]), cfg, extra);
        rc = segp_write_file_atomic(p_cfg, js, strlen(js));
        free(js);
    }
    FILE *log = rc == 0 ? fopen(p_log, resume ? "a" : "w") : NULL;
    if (rc == 0 && !log) rc = SEGP_FAIL("%s: cannot open for writing: %s", p_log, strerror(errno));

    shapes_world_params wp = pretrain_world(cfg);
    if (rc == 0 && shapes_check_params(&wp) != 0) rc = -1;

    int b = cfg->batch_size, r = mc.resolution, ctx = mc.context;
    size_t img = (size_t)3 * r * r;
    float *pix = segp_malloc((size_t)b * img * sizeof(float));
    int32_t *ids = segp_malloc((size_t)b * ctx * sizeof(int32_t));
    char (*caps)[SHAPES_CAPTION_MAX] = segp_malloc((size_t)b * SHAPES_CAPTION_MAX);
    int32_t *labels = segp_malloc((size_t)b * sizeof(int32_t));
    for (int i = 0; i < b; i++) labels[i] = i;
    clip_ce_term ce = {labels, b, 1};
    loss_term term = {"clip", 1.0f, loss_term_clip_ce, &ce};
    float max_ls = logf(cfg->max_logit_scale), lr = cfg->lr;
    double t0 = segp_now(), rate = 0;
    int timed_steps = 0;
    for (int step = start; step < cfg->steps && rc == 0; step++) {
        double ts = segp_now();
        int fail = 0;
#pragma omp parallel for schedule(dynamic, 4)
        for (int i = 0; i < b; i++) {
            shapes_sample_desc d;
            shapes_pretrain_sample(&wp, (uint64_t)step * b + i, &d, caps[i], SHAPES_CAPTION_MAX);
            if (shapes_sample_pixels(&wp, &d, r, pix + (size_t)i * img) != 0) {
#pragma omp atomic write
                fail = 1;
            }
        }
        if (fail) {
            rc = SEGP_FAIL("shapes: rendering failed at step %d", step);
            break;
        }
        for (int i = 0; i < b && rc == 0; i++)
            rc = clip_tokenize(tok, caps[i], ctx, 1, ids + (size_t)i * ctx);
        if (rc) break;
        lr = lr_warmup_cosine(cfg->lr, step, cfg->warmup_steps, cfg->steps);
        float loss;
        if (train_step_run(trainer, pix, b, ids, b, &term, 1, lr, &loss, NULL) != 0) {
            rc = -1;
            break;
        }
        /* CLIP clamps the learned temperature: exp(logit_scale) in [1, max_logit_scale] */
        if (params[ls_off] > max_ls) params[ls_off] = max_ls;
        if (params[ls_off] < 0) params[ls_off] = 0;

        double dt_step = segp_now() - ts;
        if (step > start) { /* the first step sizes the arenas */
            rate = (rate * timed_steps + b / dt_step) / (timed_steps + 1);
            if (timed_steps < 50) timed_steps++;
        }
        int done_steps = step + 1;
        if (done_steps % cfg->log_every == 0 || done_steps == cfg->steps) {
            pretrain_event ev = {.kind = PRETRAIN_STEP, .step = done_steps, .steps = cfg->steps,
                                 .loss = loss, .lr = lr, .logit_scale = expf(params[ls_off]),
                                 .images_per_s = rate, .elapsed_s = segp_now() - t0,
                                 .params = n_true};
            ev.eta_s = rate > 0 ? (double)(cfg->steps - done_steps) * b / rate : 0;
            fprintf(log, "{\"step\":%d,\"loss\":%.6f,\"lr\":%.6g,\"logit_scale\":%.4f,"
                         "\"images_per_s\":%.2f,\"elapsed_s\":%.1f}\n",
                    done_steps, loss, lr, ev.logit_scale, rate, ev.elapsed_s);
            fflush(log);
            if (cb) cb(&ev, user);
        }
        int last = done_steps == cfg->steps;
        if ((cfg->eval_every && done_steps % cfg->eval_every == 0) || last) {
            shapes_zeroshot_result zr;
            if (shapes_zeroshot_eval(m, NULL, tok, &wp, cfg->template_, &zr) != 0) {
                rc = -1;
                break;
            }
            fprintf(log, "{\"step\":%d,\"zeroshot\":%.2f,\"standard\":%.2f,\"hard\":%.2f}\n",
                    done_steps, zr.overall, zr.standard, zr.hard);
            fflush(log);
            pretrain_event ev = {.kind = PRETRAIN_EVAL, .step = done_steps, .steps = cfg->steps,
                                 .zs_overall = zr.overall, .zs_standard = zr.standard,
                                 .zs_hard = zr.hard};
            if (cb) cb(&ev, user);
        }
        int stop = stop_after > 0 && done_steps == stop_after && !last;
        if (done_steps % cfg->checkpoint_every == 0 || last || stop) {
            if (save_checkpoint(p_ckpt, params, opt, done_steps) != 0) {
                rc = -1;
                break;
            }
            pretrain_event ev = {.kind = PRETRAIN_CHECKPOINT, .step = done_steps,
                                 .steps = cfg->steps, .path = p_ckpt};
            if (cb) cb(&ev, user);
        }
        if (stop) {
            pretrain_event ev = {.kind = PRETRAIN_STOPPED, .step = done_steps,
                                 .steps = cfg->steps, .path = p_ckpt};
            if (cb) cb(&ev, user);
            stopped = 1;
            break;
        }
    }
    if (rc == 0 && !stopped) {
        st_dtype sd = !strcmp(cfg->save_dtype, "F32") ? ST_F32
                      : !strcmp(cfg->save_dtype, "BF16") ? ST_BF16 : ST_F16;
        rc = clip_model_save(m, p_model, sd);
        if (rc == 0 && cb) {
            pretrain_event ev = {.kind = PRETRAIN_DONE, .step = cfg->steps, .steps = cfg->steps,
                                 .path = p_model, .elapsed_s = segp_now() - t0,
                                 .params = n_true};
            cb(&ev, user);
        }
    }
    if (log) fclose(log);
    train_step_free(trainer);
    optim_free(opt);
    free(pix), free(ids), free(caps), free(labels), free(decay);
    clip_tokenizer_free(tok);
    clip_model_free(m);
    if (rc == 0 && !stopped) rundir_lock_remove(cfg->out_dir, lock_fd);
    if (lock_fd >= 0) close(lock_fd);
    return rc;
}
