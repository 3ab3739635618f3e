/* cl_config.c: the continual-learning run config table, defaults and checks (cl_config.h). */
#include "cl_config.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cl/methods.h"
#include "core/common.h"
#include "train/optim.h"

#define BIG 9007199254740992.0
#define F(key, type, field, lo, hi, doc) {key, type, offsetof(cl_config, field), lo, hi, 0, doc}
#define S(key, field, doc) \
    {key, CFG_STRING, offsetof(cl_config, field), 0, 0, sizeof(((cl_config *)0)->field), doc}
static const cfg_field own[] = {
    S("model", model, "CLIP weights (safetensors: OpenAI, open_clip or Hugging Face names)"),
    S("method", method, "\"zeroshot\" (no training), \"finetune\" (sequential LoRA-B), \"joint\" (all classes at once: the matched upper bound)"),
    F("seed", CFG_U64, seed, 0, BIG, "data order, augmentation and LoRA A"),
    F("train.epochs", CFG_INT, epochs, 1, 100000, "passes over each task's training images"),
    F("train.batch_size", CFG_INT, batch_size, 1, 65536, "images per step"),
    S("train.optimizer", optimizer, "\"sgd\" (momentum) or \"adamw\""),
    F("train.lr", CFG_FLOAT, lr, 0, 100, "peak learning rate (cosine decay to 0 within each task)"),
    F("train.momentum", CFG_FLOAT, momentum, 0, 0.999999, "SGD momentum"),
    F("train.weight_decay", CFG_FLOAT, weight_decay, 0, 10, "weight decay of B"),
    F("train.warmup_steps", CFG_INT, warmup_steps, 0, 100000000, "linear warm-up steps at the start of each task"),
    F("lora.rank", CFG_INT, rank, 1, 4096, "LoRA rank r (q, v, c_fc, c_proj of every block, both towers)"),
    F("lora.alpha", CFG_FLOAT, alpha, 0, 100000, "LoRA alpha (scale alpha / r)"),
    S("loss.cls_classes", cls_classes, "L_cls candidates: \"task\" (current task's classes) or \"seen\""),
    S("prompt_template", template_, "class prompt; {} is replaced by the class name"),
    F("augment.enabled", CFG_BOOL, augment, 0, 1, "random resized crop + flip of training images (seeded)"),
    F("augment.scale_min", CFG_FLOAT, aug_scale_min, 0.01, 1, "smallest crop, as a fraction of the image area"),
    F("augment.scale_max", CFG_FLOAT, aug_scale_max, 0.01, 1, "largest crop, as a fraction of the image area"),
    F("augment.flip", CFG_FLOAT, aug_flip, 0, 1, "probability of a left-right flip"),
    F("eval.batch_size", CFG_INT, eval_batch, 1, 65536, "images per evaluation batch"),
    F("run.max_tasks", CFG_INT, max_tasks, 0, 1000000, "run only the first N tasks (0: all)"),
};
#undef F
#undef S

/* The run's own keys with the benchmark's ("benchmark.*", benchmark_config_fields) after
 * model, method and seed; offsets moved to cl_config.bench. */
#define N_OWN (int)(sizeof own / sizeof own[0])
#define MAX_BENCH 48
static cfg_field fields[N_OWN + MAX_BENCH];
static int n_fields;

const cfg_field *cl_config_fields(int *n) {
    if (!n_fields) {
        int nb;
        const cfg_field *bf = benchmark_config_fields(&nb);
        SEGP_CHECK(nb <= MAX_BENCH, "MAX_BENCH holds every benchmark key");
        memcpy(fields, own, sizeof own);
        /* model, method, seed first; the benchmark keys after them, as a config lists them */
        int k = 3;
        memmove(fields + k + nb, fields + k, (size_t)(N_OWN - k) * sizeof *fields);
        for (int i = 0; i < nb; i++) {
            fields[k + i] = bf[i];
            fields[k + i].offset += offsetof(cl_config, bench);
        }
        n_fields = N_OWN + nb;
    }
    *n = n_fields;
    return fields;
}

cl_config cl_config_default(void) {
    cl_config c;
    memset(&c, 0, sizeof c);
    snprintf(c.model, sizeof c.model, "sample_runs/models/shapes-clip.safetensors");
    snprintf(c.method, sizeof c.method, "finetune");
    c.seed = 1;
    c.bench = benchmark_default_params();
    c.epochs = 3;
    c.batch_size = 64;
    c.warmup_steps = 0;
    snprintf(c.optimizer, sizeof c.optimizer, "adamw");
    c.lr = 1e-3f;
    c.momentum = 0.9f;
    c.weight_decay = 0.0f;
    c.rank = 32;
    c.alpha = 32.0f;
    snprintf(c.cls_classes, sizeof c.cls_classes, "task");
    snprintf(c.template_, sizeof c.template_, "a photo of a {}.");
    c.augment = 0;
    c.aug_scale_min = 0.08f; /* torchvision's RandomResizedCrop defaults */
    c.aug_scale_max = 1.0f;
    c.aug_flip = 0.5f;
    c.eval_batch = 256;
    c.max_tasks = 0;
    return c;
}

int cl_config_parse_file(const char *path, cl_config *c) {
    int n;
    const cfg_field *f = cl_config_fields(&n);
    return cfg_parse_file(path, f, n, c);
}

int cl_config_check(const cl_config *c) {
    if (!cl_method_find(c->method)) {
        char list[256] = "";
        for (int i = 0; i < cl_method_count(); i++) {
            size_t k = strlen(list);
            snprintf(list + k, sizeof list - k, "%s\"%s\"", i ? ", " : "", cl_method_at(i)->name);
        }
        return SEGP_FAIL("key 'method': unknown method \"%s\" (expected one of %s)", c->method,
                         list);
    }
    if (strcmp(c->cls_classes, "task") && strcmp(c->cls_classes, "seen"))
        return SEGP_FAIL("key 'loss.cls_classes': \"%s\" (expected \"task\" or \"seen\")",
                         c->cls_classes);
    optim_kind k;
    if (optim_kind_parse(c->optimizer, "train.optimizer", &k) != 0) return -1;
    if (c->aug_scale_min > c->aug_scale_max)
        return SEGP_FAIL("key 'augment.scale_min' = %g is larger than augment.scale_max = %g",
                         (double)c->aug_scale_min, (double)c->aug_scale_max);
    if (!c->model[0]) return SEGP_FAIL("key 'model' is empty (expected a safetensors file)");
    struct stat st;
    if (stat(c->model, &st) != 0)
        return SEGP_FAIL("key 'model': %s: %s", c->model, strerror(errno));
    if (!S_ISREG(st.st_mode)) return SEGP_FAIL("key 'model': %s is not a file", c->model);
    return 0;
}
