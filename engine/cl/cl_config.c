/* cl_config.c: the continual-learning run config table, defaults and checks (cl_config.h). */
#include "cl_config.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cl/methods.h"
#include "core/common.h"

#define BIG 9007199254740992.0
#define F(key, type, field, lo, hi, doc) {key, type, offsetof(cl_config, field), lo, hi, 0, doc}
#define S(key, field, doc) \
    {key, CFG_STRING, offsetof(cl_config, field), 0, 0, sizeof(((cl_config *)0)->field), doc}
static const cfg_field head[] = {
    S("model", model, "CLIP weights (safetensors: OpenAI, open_clip or Hugging Face names)"),
    S("method", method, "\"zeroshot\" (no training), \"finetune\" (sequential LoRA-B), "
                        "\"joint\" (all classes at once: the matched upper bound)"),
    F("seed", CFG_U64, seed, 0, BIG, "data order, augmentation and LoRA A"),
};
static const cfg_field tail[] = {
    F("train.warmup_steps", CFG_INT, warmup_steps, 0, 100000000,
      "linear warm-up steps at the start of each task"),
    S("loss.cls_classes", cls_classes,
      "L_cls candidates: \"task\" (current task's classes) or \"seen\""),
    F("eval.batch_size", CFG_INT, eval_batch, 1, 65536, "images per evaluation batch"),
    F("run.max_tasks", CFG_INT, max_tasks, 0, 1000000, "run only the first N tasks (0: all)"),
};
#undef F
#undef S

/* model, method and seed; the benchmark's keys ("benchmark.*", benchmark_config_fields, moved
 * to cl_config.bench); the shared training keys (train_options_fields, moved to .train); then
 * the run's own. */
#define N_OWN (int)(sizeof head / sizeof head[0] + sizeof tail / sizeof tail[0])
#define MAX_INCLUDED 80
static cfg_field fields[N_OWN + MAX_INCLUDED];
static int n_fields;

const cfg_field *cl_config_fields(int *n) {
    if (!n_fields) {
        int nb, nt, k = 0;
        const cfg_field *bf = benchmark_config_fields(&nb), *tf = train_options_fields(&nt);
        SEGP_CHECK(nb + nt <= MAX_INCLUDED, "MAX_INCLUDED holds every benchmark and training key");
        k = cfg_fields_append(fields, k, head, (int)(sizeof head / sizeof head[0]), 0);
        k = cfg_fields_append(fields, k, bf, nb, offsetof(cl_config, bench));
        k = cfg_fields_append(fields, k, tf, nt, offsetof(cl_config, train));
        k = cfg_fields_append(fields, k, tail, (int)(sizeof tail / sizeof tail[0]), 0);
        n_fields = k;
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
    c.train = train_options_default();
    c.train.epochs = 3;
    c.train.batch_size = 64;
    snprintf(c.train.optimizer, sizeof c.train.optimizer, "adamw");
    c.warmup_steps = 0;
    snprintf(c.cls_classes, sizeof c.cls_classes, "task");
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
    if (train_options_check(&c->train) != 0) return -1;
    if (!c->model[0]) return SEGP_FAIL("key 'model' is empty (expected a safetensors file)");
    struct stat st;
    if (stat(c->model, &st) != 0)
        return SEGP_FAIL("key 'model': %s: %s", c->model, strerror(errno));
    if (!S_ISREG(st.st_mode)) return SEGP_FAIL("key 'model': %s is not a file", c->model);
    return 0;
}
