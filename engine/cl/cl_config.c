/* cl_config.c: the continual-learning run config table, defaults and checks (cl_config.h). */
#include "cl_config.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend/backend.h"
#include "cl/methods.h"
#include "core/common.h"

#define F(key, type, field, lo, hi, doc) {key, type, offsetof(cl_config, field), lo, hi, 0, doc}
#define S(key, field, doc) \
    {key, CFG_STRING, offsetof(cl_config, field), 0, 0, sizeof(((cl_config *)0)->field), doc}
static const cfg_field head[] = {
    S("model", model, "CLIP weights (safetensors: OpenAI, open_clip or Hugging Face names; "
                      "a relative path is taken from the current directory)"),
    S("method", method, "\"segp\" (SeGP-CL), \"zeroshot\" (no training), \"finetune\" "
                        "(sequential LoRA-B), \"joint\" (all classes at once: the matched upper "
                        "bound)"),
    F("seed", CFG_U64, seed, 0, CFG_MAX_EXACT_INT, "data order, augmentation and LoRA A"),
};
static const cfg_field tail[] = {
    F("train.warmup_steps", CFG_INT, warmup_steps, 0, 100000000,
      "linear warm-up steps at the start of each task"),
    S("loss.cls_classes", cls_classes,
      "L_cls candidates: \"task\" (the current task's classes) or \"seen\" (every class "
      "seen so far: the old classes' prompts become negatives of the new images)"),
    F("eval.batch_size", CFG_INT, eval_batch, 1, 65536,
      "images per evaluation chunk (chunks run side by side on the threads); another size can "
      "move the embeddings' last bits (BLAS kernels round by block), so keep it when comparing "
      "runs"),
    F("run.max_tasks", CFG_INT, max_tasks, 0, 1000000, "run only the first N tasks (0: all)"),
    S("run.keep_checkpoints", keep_checkpoints,
      "\"all\": every task's tasks/NN/lora.safetensors; \"last\": only the latest finished "
      "task's (smaller run directories; resume needs only that one, `segp eval` re-evaluates the "
      "tasks whose checkpoint is kept)"),
    S("run.device", device,
      "where the model runs: \"cpu\" (OpenBLAS), \"cuda\" or \"cuda:N\" (a `make CUDA=1` "
      "build; `segp run --device` overrides it)"),
    S("run.precision", precision,
      "matrix products: \"auto\" (fp32 on the CPU, tf32 on CUDA), \"fp32\", \"tf32\" or "
      "\"bf16\" (CUDA: TF32 tensor cores / BF16 autocast; README \"GPU\")"),
    /* SeGP-CL (method "segp") */
    S("anchors.source", segp.anchors,
      "ACGD's distillation images (METHOD.md §3): \"pgd\" (DPGD anchors), \"seeds\" (the same "
      "seeds "
      "without PGD steps), \"new_task\" (as many new-task images drawn at random)"),
    F("anchors.per_class", CFG_INT, segp.k_seed, 1, 100000,
      "K_seed: seeds per old class (METHOD.md §3)"),
    F("anchors.steps", CFG_INT, segp.k_adv, 0, 100000,
      "K_adv: signed-gradient steps per anchor (METHOD.md §3; >= 1 with source \"pgd\")"),
    F("anchors.step_size", CFG_FLOAT, segp.gamma, 0, 1,
      "gamma: PGD step in [0,1] pixel units (METHOD.md §3)"),
    F("anchors.epsilon", CFG_FLOAT, segp.epsilon, -1e30, 1,
      "l-inf radius of the perturbation, >= 0 (METHOD.md §3); it binds only when "
      "steps x step_size exceeds it (the defaults reach 3.83/255 < 4/255)"),
    F("anchors.lambda_p", CFG_FLOAT, segp.lambda_p, -1e30, 1e30,
      "weight of the visual-prototype term of the DPGD objective, >= 0 (METHOD.md §3)"),
    F("acgd.lambda", CFG_FLOAT, segp.lambda_acgd, -1e30, 1e30,
      "lambda_ACGD, >= 0 (0: ACGD off) (METHOD.md §5)"),
    F("acgd.tau", CFG_FLOAT, segp.tau_acgd, -1e30, 1e30,
      "tau_A: ACGD temperature, > 0 (METHOD.md §5)"),
    F("acgd.batch", CFG_INT, segp.acgd_batch, 1, 65536,
      "anchors per training step (METHOD.md §5)"),
    F("tsgr.lambda", CFG_FLOAT, segp.lambda_gr, -1e30, 1e30,
      "lambda_GR, >= 0 (0: TSGR off) (METHOD.md §6)"),
    F("tsgr.k", CFG_INT, segp.tsgr_k, 1, 1000000,
      "neighbours per class in the pretrained text space (min(k, pool) at each task; larger "
      "than the run's classes - 1 is refused) (METHOD.md §6)"),
    F("tsgr.tau", CFG_FLOAT, segp.tau_gr, -1e30, 1e30,
      "tau_T: TSGR temperature, > 0 (METHOD.md §6)"),
    {"prototypes.transfer", CFG_BOOL, offsetof(cl_config, segp.transfer), 0, 1, 0,
     "anchor-induced drift transfer for old-class prototypes (METHOD.md §7)"},
    F("prototypes.tau", CFG_FLOAT, segp.tau_p, -1e30, 1e30,
      "tau_p: temperature of the transfer weights, > 0 (METHOD.md §7)"),
    F("inference.beta", CFG_FLOAT, segp.beta, -1e30, 1e30,
      "beta: weight of the visual (prototype) branch, >= 0; 0: CLIP branch only (METHOD.md §8)"),
    /* analytics (every trained method) */
    {"analytics.enabled", CFG_BOOL, offsetof(cl_config, analytics.enabled), 0, 1, 0,
     "save drift, geometry and projections in tasks/NN after each task (METHOD.md §10)"},
    F("analytics.drift_bins", CFG_INT, analytics.bins, 1, 10000,
      "bins of the drift vs interface-distance curve (METHOD.md §10)"),
    F("analytics.boundary_fraction", CFG_FLOAT, analytics.boundary_frac, 1e-6, 0.999999,
      "share of samples with the smallest |m| that make the boundary set (METHOD.md §10)"),
    F("analytics.projection_points", CFG_INT, analytics.tsne_points, 0, 20000,
      "most points in the PCA / t-SNE projections (0: none) (METHOD.md §10)"),
    F("analytics.tsne_iterations", CFG_INT, analytics.tsne_iters, 10, 100000,
      "t-SNE iterations (METHOD.md §10)"),
    F("analytics.tsne_perplexity", CFG_FLOAT, analytics.perplexity, 1, 1000,
      "t-SNE perplexity (METHOD.md §10)"),
    F("analytics.anchor_images_per_class", CFG_INT, analytics.anchor_images, -1, 1000000,
      "anchor images kept in anchors.safetensors per old class, for display (-1: all)"),
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
    snprintf(c.keep_checkpoints, sizeof c.keep_checkpoints, "all");
    snprintf(c.device, sizeof c.device, "cpu");
    snprintf(c.precision, sizeof c.precision, "auto");
    snprintf(c.segp.anchors, sizeof c.segp.anchors, "pgd");
    c.segp.k_seed = 5;
    c.segp.k_adv = 10;
    c.segp.gamma = 1.5e-3f;
    c.segp.epsilon = 4.0f / 255.0f;
    c.segp.lambda_p = 1.0f;
    c.segp.lambda_acgd = 5.0f;
    c.segp.tau_acgd = 20.0f;
    c.segp.acgd_batch = 64;
    c.segp.lambda_gr = 1.0f;
    c.segp.tsgr_k = 10;
    c.segp.tau_gr = 0.05f;
    c.segp.transfer = 1;
    c.segp.tau_p = 0.1f;
    c.segp.beta = 0.5f;
    c.analytics.enabled = 1;
    c.analytics.bins = 20;
    c.analytics.boundary_frac = 0.2f;
    c.analytics.tsne_points = 600;
    c.analytics.tsne_iters = 500;
    c.analytics.perplexity = 30.0f;
    c.analytics.anchor_images = -1;
    return c;
}

int cl_config_parse_file(const char *path, cl_config *c) {
    int n;
    const cfg_field *f = cl_config_fields(&n);
    /* a run's config.json: its "resolved" block is what that run found (the model's SHA-256,
     * the class order, the build), a record and no setting, so the rest starts a new run */
    static const char *const record[] = {"resolved"};
    return cfg_parse_file_record(path, "resolved", record, 1, f, n, c);
}

int cl_config_set(cl_config *c, const char *assignment) {
    const char *eq = strchr(assignment, '=');
    if (!eq || eq == assignment)
        return SEGP_FAIL("--set %s: expected KEY=VALUE (e.g. --set acgd.lambda=50)", assignment);
    int nf;
    const cfg_field *f = cl_config_fields(&nf), *fd = NULL;
    size_t kl = (size_t)(eq - assignment);
    for (int i = 0; i < nf && !fd; i++)
        if (strlen(f[i].key) == kl && !strncmp(f[i].key, assignment, kl)) fd = &f[i];
    if (!fd) {
        char key[128], hint[200] = "";
        if (kl < sizeof key) {
            snprintf(key, sizeof key, "%.*s", (int)kl, assignment);
            cfg_suggest(f, nf, key, hint, sizeof hint);
        }
        return SEGP_FAIL("--set %s: unknown key '%.*s'%s (segp run --help lists every key)",
                         assignment, (int)kl, assignment, hint);
    }
    const char *v = eq + 1;
    cJSON *item = NULL;
    if (fd->type == CFG_STRING) {
        size_t vl = strlen(v);
        if (vl >= 2 && v[0] == '"' && v[vl - 1] == '"') {
            char what[160];
            snprintf(what, sizeof what, "--set %.*s", (int)(kl < 100 ? kl : 100), assignment);
            if (cfg_json_strict(v, vl, what) != 0) return -1;
            item = cJSON_Parse(v);
        }
        if (!item) item = cJSON_CreateString(v);
    } else if (fd->type == CFG_BOOL) {
        if (!strcmp(v, "true")) item = cJSON_CreateTrue();
        else if (!strcmp(v, "false")) item = cJSON_CreateFalse();
    } else {
        char *end;
        errno = 0;
        double x = strtod(v, &end);
        /* the text itself goes into the JSON that cfg_parse_string reads: cJSON prints a
         * number it made with 15 digits when that reads back within its tolerance, which from
         * 2^52 up is another integer (--set seed=9007199254740991 ran with seed ...990); strtod
         * alone also takes hex, leading blanks, "+1", "1." and "infinity" */
        if (cfg_is_json_number(v, strlen(v)) && !*end && errno != ERANGE && isfinite(x))
            item = cJSON_CreateRaw(v);
    }
    if (!item)
        return SEGP_FAIL("--set %s: key '%s' expects %s, not \"%s\"", assignment, fd->key,
                         fd->type == CFG_BOOL ? "true or false" : "a number", v);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, fd->key, item);
    char *json = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    char what[600];
    snprintf(what, sizeof what, "--set %s", assignment);
    int rc = cfg_parse_string(json, what, f, nf, c);
    free(json);
    return rc;
}

int cl_config_set_all(cl_config *c, const char *const *assignments, int n) {
    for (int k = 0; k < n; k++) {
        if (cl_config_set(c, assignments[k]) != 0) return -1;
        size_t kl = (size_t)(strchr(assignments[k], '=') - assignments[k]);
        for (int j = 0; j < k; j++)
            if (!strncmp(assignments[j], assignments[k], kl) && assignments[j][kl] == '=')
                return SEGP_FAIL("--set %s: key '%.*s' is set twice (also --set %s)",
                                 assignments[k], (int)kl, assignments[k], assignments[j]);
    }
    return 0;
}

int cl_config_parse_run(const char *text, size_t n, const char *path, cl_config *c,
                        cl_run_provenance *prov) {
    memset(prov, 0, sizeof *prov);
    cJSON *root = cJSON_ParseWithLength(text, n);
    if (!root || !cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return SEGP_FAIL("%s: corrupt (not a JSON object); cannot resume this run", path);
    }
    cJSON *res = cJSON_DetachItemFromObjectCaseSensitive(root, "resolved");
    if (!cJSON_IsObject(res)) { /* every run writes one: another program's config.json */
        int pretrain = cJSON_GetObjectItemCaseSensitive(root, "out_dir") &&
                       cJSON_GetObjectItemCaseSensitive(root, "segp_version");
        cJSON_Delete(root);
        cJSON_Delete(res);
        return SEGP_FAIL("%s: has no 'resolved' record: not a continual-learning run's config%s",
                         path, pretrain ? " but segp pretrain's (continue that run with 'segp "
                                          "pretrain CONFIG --resume --out DIR')" : "");
    }
    cJSON_Delete(root);
    int nf;
    const cfg_field *f = cl_config_fields(&nf);
    /* the file's own text, "resolved" passed over: its numbers are read as written */
    static const char *const record[] = {"resolved"};
    int rc = cfg_parse_text(text, n, path, record, 1, f, nf, c);
    const cJSON *thr = cJSON_GetObjectItemCaseSensitive(res, "threads");
    if (cJSON_IsNumber(thr) && thr->valuedouble >= 1 && thr->valuedouble <= 1e6)
        prov->threads = (int)thr->valuedouble;
    const cJSON *sha = cJSON_GetObjectItemCaseSensitive(res, "model_sha256");
    if (cJSON_IsString(sha))
        snprintf(prov->model_sha256, sizeof prov->model_sha256, "%s", sha->valuestring);
    const cJSON *blas = cJSON_GetObjectItemCaseSensitive(res, "blas");
    if (cJSON_IsString(blas)) snprintf(prov->blas, sizeof prov->blas, "%s", blas->valuestring);
    const cJSON *bu = cJSON_GetObjectItemCaseSensitive(res, "build");
    if (cJSON_IsString(bu)) snprintf(prov->build, sizeof prov->build, "%s", bu->valuestring);
    const cJSON *mp = cJSON_GetObjectItemCaseSensitive(res, "model_path");
    if (cJSON_IsString(mp) && strlen(mp->valuestring) < sizeof prov->model_path)
        snprintf(prov->model_path, sizeof prov->model_path, "%s", mp->valuestring);
    cJSON_Delete(res);
    return rc;
}

int cl_config_check_segp(const segp_options *s) {
    if (strcmp(s->anchors, "pgd") && strcmp(s->anchors, "seeds") && strcmp(s->anchors, "new_task"))
        return SEGP_FAIL("key 'anchors.source': \"%s\" (expected \"pgd\", \"seeds\" or "
                         "\"new_task\")", s->anchors);
    if (!(s->epsilon >= 0))
        return SEGP_FAIL("key 'anchors.epsilon': %g (expected >= 0: the l-inf radius)",
                         (double)s->epsilon);
    if (!strcmp(s->anchors, "pgd") && s->k_adv < 1)
        return SEGP_FAIL("key 'anchors.steps': %d with anchors.source \"pgd\" (expected >= 1; "
                         "use anchors.source \"seeds\" for anchors without PGD steps)", s->k_adv);
    if (!(s->lambda_p >= 0))
        return SEGP_FAIL("key 'anchors.lambda_p': %g (expected >= 0)", (double)s->lambda_p);
    if (!(s->lambda_acgd >= 0))
        return SEGP_FAIL("key 'acgd.lambda': %g (expected >= 0; 0 turns ACGD off)",
                         (double)s->lambda_acgd);
    if (!(s->tau_acgd > 0))
        return SEGP_FAIL("key 'acgd.tau': %g (expected > 0)", (double)s->tau_acgd);
    if (!(s->lambda_gr >= 0))
        return SEGP_FAIL("key 'tsgr.lambda': %g (expected >= 0; 0 turns TSGR off)",
                         (double)s->lambda_gr);
    if (!(s->tau_gr > 0)) return SEGP_FAIL("key 'tsgr.tau': %g (expected > 0)", (double)s->tau_gr);
    if (!(s->tau_p > 0))
        return SEGP_FAIL("key 'prototypes.tau': %g (expected > 0)", (double)s->tau_p);
    if (!(s->beta >= 0))
        return SEGP_FAIL("key 'inference.beta': %g (expected >= 0; 0 is the CLIP branch only)",
                         (double)s->beta);
    return 0;
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
    if (segp_device_check_name(c->device, "key 'run.device'") != 0) return -1;
    if (strcmp(c->precision, "auto") != 0) {
        segp_math math;
        if (segp_math_parse(c->precision, "key 'run.precision'", &math) != 0) return -1;
    }
    if (strcmp(c->keep_checkpoints, "all") && strcmp(c->keep_checkpoints, "last"))
        return SEGP_FAIL("key 'run.keep_checkpoints': \"%s\" (expected \"all\" or \"last\")",
                         c->keep_checkpoints);
    if (train_options_check(&c->train) != 0) return -1;
    if (cl_config_check_segp(&c->segp) != 0) return -1;
    if (!c->model[0]) return SEGP_FAIL("key 'model' is empty (expected a safetensors file)");
    struct stat st;
    if (stat(c->model, &st) != 0) {
        int e = errno;
        char cwd[1024];
        /* config paths are the shell's, not the config file's: say so when one is relative */
        if (c->model[0] != '/' && getcwd(cwd, sizeof cwd))
            return SEGP_FAIL("key 'model': %s: %s (a relative path is taken from the current "
                             "directory, %s)", c->model, strerror(e), cwd);
        return SEGP_FAIL("key 'model': %s: %s", c->model, strerror(e));
    }
    if (!S_ISREG(st.st_mode)) return SEGP_FAIL("key 'model': %s is not a file", c->model);
    return 0;
}
