/* config.c: fuzz target for the JSON configs of every command (engine/core/config.c's table
 * parsing against each command's table): `segp run` (cl_config: benchmark, training, SeGP-CL and
 * analytics keys), `segp pretrain`, `segp finetune`, and the benchmark and training tables alone.
 * The first byte picks the table, the rest is the config. Each accepted config also goes
 * through its command's checks, the resolved-config writer and the documentation, and must read
 * back to the same values (a run's config.json is read again by `segp resume`); a shapes
 * benchmark with a built-in order is opened (nothing is read from disk for it). */
#include <stdio.h>

#include "cl/cl_config.h"
#include "core/config.h"
#include "data/benchmark.h"
#include "fuzz.h"
#include "train/finetune.h"
#include "train/pretrain.h"
#include "train/train_options.h"

typedef union {
    cl_config cl;
    pretrain_config pre;
    finetune_config ft;
    benchmark_params bench;
    train_options train;
} any_config;

static void defaults(int table, any_config *c) {
    memset(c, 0, sizeof *c);
    switch (table) {
    case 0: c->cl = cl_config_default(); break;
    case 1: c->pre = pretrain_default_config(); break;
    case 2: c->ft = finetune_default_config(); break;
    case 3: c->bench = benchmark_default_params(); break;
    default: /* as a command completes them (cl_config_default) */
        c->train = train_options_default();
        c->train.epochs = 3;
        c->train.batch_size = 64;
        snprintf(c->train.optimizer, sizeof c->train.optimizer, "adamw");
        break;
    }
}

static const cfg_field *fields(int table, int *n) {
    switch (table) {
    case 0: return cl_config_fields(n);
    case 1: return pretrain_config_fields(n);
    case 2: return finetune_config_fields(n);
    case 3: return benchmark_config_fields(n);
    default: return train_options_fields(n);
    }
}

static int builtin_order(const char *o) {
    return !*o || !strcmp(o, "latin") || !strcmp(o, "random") || !strcmp(o, "identity");
}

static void open_bench(const benchmark_params *p) {
    if (strcmp(p->name, "shapes") || !builtin_order(p->order)) return;
    /* listing up to SHAPES_MAX_PER_CLASS items per class is allowed but slow here; above it
     * (refused before anything is listed) and below 1000 the opening is fast */
    int most = p->train_per_class > p->test_per_class ? p->train_per_class : p->test_per_class;
    if (most > 1000 && most <= SHAPES_MAX_PER_CLASS) return;
    benchmark *b = benchmark_open(p);
    if (!b) return;
    int T = benchmark_num_tasks(b), C = benchmark_num_classes(b), seen = 0;
    for (int t = 0; t < T; t++) {
        const int *labels;
        int n = benchmark_task_classes(b, t, &labels);
        if (n < 1) abort();
        for (int k = 0; k < n; k++)
            if (labels[k] < 0 || labels[k] >= C || benchmark_task_of(b, labels[k]) != t) abort();
        seen += n;
    }
    if (seen != C) abort(); /* the tasks partition the classes */
    benchmark_free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size > 8192) return -1;
    int table = (int)(fuzz_take_byte(&data, &size) % 5);
    char *json = fuzz_cstr(data, size);
    any_config c, back;
    defaults(table, &c);
    int nf;
    const cfg_field *f = fields(table, &nf);
    if (cfg_parse_string(json, "fuzz.json", f, nf, &c) != 0) {
        free(json);
        return 0;
    }
    free(json);
    switch (table) {
    case 0:
        (void)cl_config_check(&c.cl);
        (void)cl_config_check_segp(&c.cl.segp);
        open_bench(&c.cl.bench);
        break;
    case 1: {
        clip_config mc;
        (void)pretrain_config_check(&c.pre, &mc);
        break;
    }
    case 2:
        (void)train_options_check(&c.ft.train);
        open_bench(&c.ft.bench);
        break;
    case 3: open_bench(&c.bench); break;
    default: (void)train_options_check(&c.train); break;
    }
    free(cfg_doc(f, nf, &c));
    /* written, then read back over the defaults: the same value in every field */
    char *out = cfg_to_json(f, nf, &c, "{\"resolved\": {\"build\": \"x\"}}");
    if (!out) abort();
    char *cut = strstr(out, "\"resolved\""); /* not a key of the table: drop it again */
    if (!cut) abort();
    defaults(table, &back);
    char *plain = cfg_to_json(f, nf, &c, NULL);
    if (cfg_parse_string(plain, "fuzz.json (written)", f, nf, &back) != 0) abort();
    for (int i = 0; i < nf; i++) {
        const char *a = (const char *)&c + f[i].offset, *b = (const char *)&back + f[i].offset;
        size_t k = f[i].type == CFG_STRING ? f[i].str_size
                   : f[i].type == CFG_U64  ? sizeof(uint64_t)
                   : f[i].type == CFG_FLOAT ? sizeof(float)
                                            : sizeof(int);
        if (f[i].type == CFG_STRING ? strcmp(a, b) != 0 : memcmp(a, b, k) != 0) abort();
    }
    free(plain);
    free(out);
    return 0;
}
