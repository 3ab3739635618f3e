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
static const cfg_field fields[] = {
    S("model", model, "CLIP weights (safetensors: OpenAI, open_clip or Hugging Face names)"),
    S("method", method, "\"zeroshot\" (no training), \"finetune\" (sequential LoRA-B), \"joint\" (all classes at once: the matched upper bound)"),
    F("seed", CFG_U64, seed, 0, BIG, "data order, augmentation and LoRA A"),
    S("benchmark.name", bench.name, "shapes, cifar100, cifar10, imagenet-r, imagenet100, cub200, folder, fashion-mnist, mnist"),
    S("benchmark.root", bench.root, "data root (\"\": the benchmark's default under SEGP_DATA_ROOT)"),
    S("benchmark.order", bench.order, "class order: \"latin\" (shapes), \"random\", \"identity\" or a class-order file (\"\": the default)"),
    F("benchmark.order_seed", CFG_U64, bench.order_seed, 0, 4294967295.0, "seed of the \"random\" order (NumPy's permutation, as PyCIL)"),
    S("benchmark.tasks", bench.tasks, "task split, e.g. \"B0-Inc10\" (\"\": benchmark.num_tasks equal tasks)"),
    F("benchmark.num_tasks", CFG_INT, num_tasks, 0, 1000000, "number of equal tasks when benchmark.tasks is \"\""),
    F("benchmark.train_per_class", CFG_INT, bench.train_per_class, 0, 10000000, "training images per class (0: all)"),
    F("benchmark.test_per_class", CFG_INT, bench.test_per_class, 0, 10000000, "test images per class (0: all; shapes: 20)"),
    F("benchmark.world_seed", CFG_U64, bench.world_seed, 0, BIG, "shapes world seed"),
    F("benchmark.train_hard_rate", CFG_FLOAT, bench.train_hard_rate, 0, 1, "shapes: share of hard renditions among training images"),
    S("benchmark.split_file", bench.split_file, "train/test list file override (\"\": the benchmark's default)"),
    S("benchmark.classes_file", bench.classes_file, "class-name list file override (\"\": the benchmark's default)"),
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

const cfg_field *cl_config_fields(int *n) {
    *n = (int)(sizeof fields / sizeof fields[0]);
    return fields;
}

cl_config cl_config_default(void) {
    cl_config c;
    memset(&c, 0, sizeof c);
    snprintf(c.model, sizeof c.model, "sample_runs/models/shapes-clip.safetensors");
    snprintf(c.method, sizeof c.method, "finetune");
    c.seed = 1;
    c.bench = benchmark_default_params();
    c.num_tasks = 10;
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
    if (!c->bench.tasks[0] && c->num_tasks == 0)
        return SEGP_FAIL("key 'benchmark.num_tasks' is 0: a run needs at least one task");
    if (!c->model[0]) return SEGP_FAIL("key 'model' is empty (expected a safetensors file)");
    struct stat st;
    if (stat(c->model, &st) != 0)
        return SEGP_FAIL("key 'model': %s: %s", c->model, strerror(errno));
    if (!S_ISREG(st.st_mode)) return SEGP_FAIL("key 'model': %s is not a file", c->model);
    return 0;
}

int cl_config_task_spec(const cl_config *c, int num_classes, char *spec, int n) {
    if (c->bench.tasks[0]) {
        snprintf(spec, (size_t)n, "%s", c->bench.tasks);
        return 0;
    }
    if (c->num_tasks > num_classes)
        return SEGP_FAIL("key 'benchmark.num_tasks' = %d is more tasks than the benchmark's %d "
                         "classes", c->num_tasks, num_classes);
    if (num_classes % c->num_tasks)
        return SEGP_FAIL("key 'benchmark.num_tasks' = %d does not divide the benchmark's %d "
                         "classes (use benchmark.tasks, e.g. \"B%d-Inc%d\")", c->num_tasks,
                         num_classes, num_classes % c->num_tasks + num_classes / c->num_tasks,
                         num_classes / c->num_tasks);
    snprintf(spec, (size_t)n, "B0-Inc%d", num_classes / c->num_tasks);
    return 0;
}
