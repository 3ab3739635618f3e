/* runner.c: the continual-learning runner's set-up, task loop, resume and re-evaluation (see
 * runner.h). Training is in cl_train.c, evaluation in cl_eval.c, the finished tasks' files in
 * runner_progress.c. */
#include "cl/runner.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <omp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/blas_setup.h"
#include "core/common.h"
#include "metrics/analytics.h"
#include "model/lora.h"
#include "model/zeroshot.h"
#include "run/rundir.h"
#include "run/sha256.h"
#include "runner_internal.h"

cl_runner_params cl_runner_default_params(void) {
    cl_runner_params p = {0};
    return p;
}

event_reply cl_emit(cl_runner *r, segp_event *ev) {
    ev->num_tasks = r->T;
    return event_emit(r->events, ev);
}

static void info(cl_runner *r, int t, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void info(cl_runner *r, int t, const char *fmt, ...) {
    char text[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    segp_event ev = {.kind = EV_INFO, .task = t, .text = text};
    cl_emit(r, &ev);
}

void cl_runner_task_ctx(cl_runner *r, int t, const char *task_dir, cl_task_ctx *ctx) {
    memset(ctx, 0, sizeof *ctx);
    ctx->model = r->model;
    ctx->tok = r->tok;
    ctx->bench = r->bench;
    ctx->cfg = &r->cfg;
    ctx->student = r->student;
    ctx->teacher = r->teacher;
    ctx->task = t;
    ctx->num_tasks = r->T;
    ctx->seen = r->order;
    ctx->n_seen = r->task_start[t + 1];
    ctx->current = r->order + r->task_start[t];
    ctx->n_current = r->task_start[t + 1] - r->task_start[t];
    ctx->task_dir = task_dir;
    ctx->events = r->events;
}

/* The config, benchmark and tasks: the checks that need no model (cl_runner_check); the image
 * files' heads too when FILES. */
static int setup_plan(cl_runner *r, int files) {
    cl_config *c = &r->cfg;
    if (cl_config_check(c) != 0) return -1;
    r->method = cl_method_find(c->method);
    /* the device first: a missing CUDA build is the first thing to know */
    const segp_backend *be = segp_backend_get(c->device);
    /* resume's --device D replaces the recorded key: the message names what the user gave */
    if (!be) return segp_fail_prefix("%s: ", r->params.device ? "--device" : "key 'run.device'");
    r->bench = benchmark_open(&c->bench);
    if (!r->bench) return -1;
    int nc = benchmark_num_classes(r->bench);
    int T = benchmark_num_tasks(r->bench);
    if (T < 1) return SEGP_FAIL("key 'benchmark.tasks': \"%s\" gives no task", c->bench.tasks);
    if (c->max_tasks > T)
        return SEGP_FAIL("key 'run.max_tasks' = %d but the benchmark has %d task%s", c->max_tasks,
                         T, segp_s(T));
    r->T = c->max_tasks ? c->max_tasks : T;
    if (!strcmp(c->method, "segp") && c->segp.lambda_gr > 0) {
        int classes = 0;
        const int *lab;
        for (int t = 0; t < r->T; t++) classes += benchmark_task_classes(r->bench, t, &lab);
        if (c->segp.tsgr_k > classes - 1)
            return SEGP_FAIL("key 'tsgr.k' = %d but the run has %d class%s, so a class has at "
                             "most %d neighbour%s (expected 1..%d)", c->segp.tsgr_k, classes,
                             classes == 1 ? "" : "es", classes - 1, segp_s(classes - 1),
                             classes - 1);
    }
    r->order = benchmark_order(r->bench);
    r->pos = segp_malloc((size_t)nc * sizeof(int));
    for (int k = 0; k < nc; k++) r->pos[r->order[k]] = k;
    r->task_start = segp_malloc((size_t)(r->T + 1) * sizeof(int));
    r->task_start[0] = 0;
    for (int t = 0; t < r->T; t++) {
        const int *lab;
        int k = benchmark_task_classes(r->bench, t, &lab);
        if (k <= 0) return SEGP_FAIL("key 'benchmark.tasks': task %d has no classes", t + 1);
        r->task_start[t + 1] = r->task_start[t] + k;
    }
    /* a class without training images (a list file that leaves it out) would never be learned,
     * and a task of only such classes failed after the tasks before it had trained */
    if (r->method->trains) {
        int *count = segp_calloc((size_t)nc, sizeof *count), rc = 0;
        for (int i = 0; i < benchmark_count(r->bench, BENCH_TRAIN); i++)
            count[benchmark_label(r->bench, BENCH_TRAIN, i)]++;
        for (int t = 0; t < r->T && !rc; t++)
            for (int k = r->task_start[t]; k < r->task_start[t + 1] && !rc; k++)
                if (!count[r->order[k]])
                    rc = SEGP_FAIL("key 'benchmark.root' (%s): class %d (\"%s\", task %d) has no "
                                   "training images (expected at least one for every class the "
                                   "run trains)", benchmark_name(r->bench), r->order[k],
                                   benchmark_class_name(r->bench, r->order[k]), t + 1);
        free(count);
        if (rc) return -1;
    }
    /* a step, an anchor build, an evaluation or an analytics phase that cannot fit in memory
     * was found out by the OOM killer, after the run directory was made: refused here, from the
     * checkpoint's shapes and the tasks' sizes (a batch is never larger than its task), before
     * the images are read */
    if (be->host_memory) {
        clip_config mc;
        if (clip_config_read(c->model, &mc) != 0) return segp_fail_prefix("key 'model': ");
        if (cl_run_check_memory(r, &mc) != 0) return -1;
    }
    /* images are decoded when a task needs them: a file the lists name but the disk lacks
     * (a partial download), or one that is no image, stopped the run at its task, after the
     * tasks before it had trained */
    if (files) {
        uint8_t *mask = segp_calloc((size_t)nc, 1);
        for (int k = 0; k < r->task_start[r->T]; k++) mask[r->order[k]] = 1;
        int rc = 0;
        for (int s = r->method->trains ? BENCH_TRAIN : BENCH_TEST; s <= BENCH_TEST && !rc; s++) {
            int *idx = NULL, n = benchmark_select(r->bench, (bench_split)s, mask, &idx);
            rc = benchmark_check_files(r->bench, (bench_split)s, idx, n);
            free(idx);
        }
        free(mask);
        if (rc) return segp_fail_prefix("key 'benchmark.root' (%s): ", benchmark_name(r->bench));
    }
    /* SeGP-CL's anchors take anchors.per_class seeds from each later task's training images:
     * too many for one of them is a config error, named now rather than after task 1 */
    if (!strcmp(c->method, "segp") && (c->segp.lambda_acgd > 0 || c->segp.transfer)) {
        uint8_t *in_task = segp_malloc((size_t)nc);
        int rc = 0;
        for (int t = 1; t < r->T && rc == 0; t++) {
            memset(in_task, 0, (size_t)nc);
            for (int k = r->task_start[t]; k < r->task_start[t + 1]; k++)
                in_task[r->order[k]] = 1;
            int *idx = NULL;
            int n = benchmark_select(r->bench, BENCH_TRAIN, in_task, &idx);
            free(idx);
            if (n >= 0 && c->segp.k_seed > n)
                rc = SEGP_FAIL("key 'anchors.per_class' = %d but task %d has %d training image%s "
                               "to draw the seeds from (expected 1..%d)", c->segp.k_seed, t + 1,
                               n, segp_s(n), n);
        }
        free(in_task);
        if (rc != 0) return -1;
    }
    return 0;
}

/* Model, tokenizer, benchmark, tasks, LoRA states, test items: everything a run needs, checked
 * before any file is written. */
static int setup(cl_runner *r) {
    if (setup_plan(r, 1) != 0) return -1;
    cl_config *c = &r->cfg;
    const segp_backend *be = segp_backend_get(c->device);
    int nc = benchmark_num_classes(r->bench);
    if (segp_backend_set_precision(be, c->precision,
                                   r->params.precision ? "--precision" : "key 'run.precision'"))
        return -1;
    clip_load_params mp = clip_default_load_params();
    mp.device = c->device;
    mp.precision = NULL; /* set above, with the key or flag in its message */
    r->model = clip_model_load(c->model, &mp);
    if (!r->model) return segp_fail_prefix("key 'model': ");
    const clip_config *mc = clip_model_config(r->model);
    if (!mc->has_vision || !mc->has_text)
        return SEGP_FAIL("key 'model': %s holds only the %s tower (a continual-learning run "
                         "needs both)", c->model, mc->has_vision ? "vision" : "text");
    r->tok = clip_tokenizer_init(NULL);
    if (!r->tok) return -1;
    /* every class's prompt once, before any work: a template that crowds the class names out
     * of the model's context is named now, not when task 1 starts training */
    int context = mc->context;
    if (context > 0) {
        int32_t *ids = segp_malloc((size_t)nc * context * sizeof *ids);
        int rc = benchmark_class_prompts(r->tok, r->bench, NULL, nc, c->train.template_, context,
                                         ids);
        free(ids);
        if (rc != 0) return segp_fail_prefix("key 'prompt_template': ");
    }
    clip_lora_params lp = clip_lora_default_params();
    lp.rank = c->train.rank;
    lp.alpha = c->train.alpha;
    lp.seed = c->seed;
    r->student = clip_lora_new(r->model, &lp);
    if (!r->student) return -1;
    r->teacher = clip_lora_clone(r->student);
    /* test items of every task of the run */
    r->test_idx = segp_calloc((size_t)r->T, sizeof(int *));
    r->n_test = segp_calloc((size_t)r->T, sizeof(int));
    uint8_t *mask = segp_malloc((size_t)nc);
    for (int t = 0; t < r->T; t++) {
        memset(mask, 0, (size_t)nc);
        for (int k = r->task_start[t]; k < r->task_start[t + 1]; k++) mask[r->order[k]] = 1;
        r->n_test[t] = benchmark_select(r->bench, BENCH_TEST, mask, &r->test_idx[t]);
        if (r->n_test[t] <= 0) {
            free(mask);
            return SEGP_FAIL("task %d has no test images (benchmark.test_per_class?)", t + 1);
        }
    }
    free(mask);
    r->matrix = cl_matrix_new(r->T);
    if (r->method->eval_logits) r->clip_matrix = cl_matrix_new(r->T);
    r->bc_ratio = segp_malloc((size_t)r->T * sizeof(double));
    for (int t = 0; t < r->T; t++) r->bc_ratio[t] = NAN;
    r->eval_task = r->teach_task = -1;
    r->heldout = segp_malloc((size_t)r->T * sizeof(double));
    r->wall_s = segp_calloc((size_t)r->T, sizeof(double));
    for (int t = 0; t < r->T; t++) r->heldout[t] = NAN;
    r->heldout_pre = NAN;
    r->stopped_task = -1;
    if (r->method->init && r->method->init(&r->mstate, c) != 0) return -1;
    return 0;
}

/* The resolved part of config.json: what the config alone does not pin down. */
static char *resolved_json(cl_runner *r, const char *config_path, const char *sha) {
    cJSON *o = cJSON_CreateObject(), *res = cJSON_AddObjectToObject(o, "resolved");
    cJSON_AddStringToObject(res, "model_sha256", sha);
    /* where the model was, absolute: resume and eval from another directory find it there */
    char *abs = realpath(r->cfg.model, NULL);
    if (abs) cJSON_AddStringToObject(res, "model_path", abs);
    free(abs);
    cJSON_AddStringToObject(res, "config_file", config_path ? config_path : "");
    if (r->params.n_overrides > 0)
        cJSON_AddItemToObject(res, "overrides", cJSON_CreateStringArray(r->params.overrides,
                                                                         r->params.n_overrides));
    cJSON_AddStringToObject(res, "benchmark", benchmark_name(r->bench));
    cJSON_AddStringToObject(res, "class_order_desc", benchmark_order_desc(r->bench));
    int nc = benchmark_num_classes(r->bench);
    cJSON_AddNumberToObject(res, "num_classes", nc);
    cJSON_AddStringToObject(res, "task_split", benchmark_tasks_desc(r->bench));
    cJSON_AddStringToObject(res, "eval_split", benchmark_eval_desc(r->bench));
    cJSON_AddNumberToObject(res, "num_tasks", r->T);
    cJSON_AddItemToObject(res, "class_order", cJSON_CreateIntArray(r->order, nc));
    cJSON *names = cJSON_AddArrayToObject(res, "class_names");
    for (int k = 0; k < nc; k++)
        cJSON_AddItemToArray(names, cJSON_CreateString(benchmark_class_name(r->bench, k)));
    cJSON *tasks = cJSON_AddArrayToObject(res, "task_classes");
    for (int t = 0; t < r->T; t++)
        cJSON_AddItemToArray(tasks, cJSON_CreateIntArray(r->order + r->task_start[t],
                                                         r->task_start[t + 1] - r->task_start[t]));
    cJSON_AddNumberToObject(res, "trainable", (double)clip_lora_trainable(r->student));
    char cpu[256];
    segp_cpu_name(cpu, sizeof cpu);
    cJSON_AddStringToObject(res, "segp_version", SEGP_VERSION_STRING);
    cJSON_AddStringToObject(res, "build", segp_build_id());
    cJSON_AddStringToObject(res, "cpu", cpu);
    cJSON_AddNumberToObject(res, "threads", omp_get_max_threads());
    /* where and with what: a number is reproduced, or explained, on the same system */
    char host[256], os[320];
    segp_host_name(host, sizeof host);
    segp_os_name(os, sizeof os);
    cJSON_AddStringToObject(res, "host", host);
    cJSON_AddStringToObject(res, "os", os);
    cJSON_AddStringToObject(res, "compiler", segp_compiler());
    cJSON_AddStringToObject(res, "openblas", blas_config());
    const segp_backend *be = clip_model_backend(r->model);
    /* the kernel set decides the last bits of every product, as the thread count does */
    if (be->host_memory) cJSON_AddStringToObject(res, "blas", blas_corename());
    else cJSON_AddStringToObject(res, "device", be->describe());
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return s;
}

static void runner_init(cl_runner *r, const cl_runner_params *p) {
    r->params = p ? *p : cl_runner_default_params();
    r->run_t0 = segp_now();
    r->lock_fd = -1;
}

/* The writer lock (rundir.h), before anything in DIR is read for writing or written. */
static int take_lock(cl_runner *r, char *warn, size_t nwarn) {
    return rundir_lock(r->dir, &r->lock_fd, warn, nwarn);
}

static int open_events(cl_runner *r) {
    if (r->params.read_only) {
        r->events = event_sink_open(NULL, r->params.cb, r->params.user);
        return 0;
    }
    char p[4200];
    rundir_path(r->dir, "events.jsonl", p, sizeof p);
    long cut = events_repair(p);
    if (cut < 0) return -1;
    r->events = event_sink_open(p, r->params.cb, r->params.user);
    if (!r->events) return -1;
    if (cut > 0)
        info(r, -1, "%s: cut a torn last line (%ld byte%s) left by a crash", p, cut, segp_s(cut));
    return 0;
}

int cl_runner_check(const cl_config *c, int files) {
    cl_runner *r = segp_calloc(1, sizeof *r);
    runner_init(r, NULL);
    r->cfg = *c;
    int rc = setup_plan(r, files);
    cl_runner_free(r);
    return rc;
}

cl_runner *cl_runner_new(const cl_config *c, const char *config_path, const char *dir,
                         const cl_runner_params *p) {
    cl_runner *r = segp_calloc(1, sizeof *r);
    runner_init(r, p);
    r->cfg = *c;
    snprintf(r->dir, sizeof r->dir, "%s", dir);
    char sha[65];
    int made = 0; /* the folder is ours, and not yet a run (no config.json) */
    int again = 0; /* DIR was left by this run's own start, killed before config.json */
    if (segp_check_path_length(dir, RUNDIR_MAX_PATH) != 0) goto fail;
    if (!r->params.free_dir && rundir_exists(dir)) {
        /* resume is the way on only for a run directory: not for a file or any other folder */
        char cj[4200];
        struct stat st;
        rundir_path(dir, "config.json", cj, sizeof cj);
        if (stat(dir, &st) == 0 && !S_ISDIR(st.st_mode))
            SEGP_FAIL("%s: already exists and is not a folder (choose another --out)", dir);
        else if (!rundir_exists(cj) && rundir_remove_unstarted(dir))
            again = 1; /* nothing was trained there: the same command starts again */
        else if (!rundir_exists(cj))
            SEGP_FAIL("%s: already exists; a run is written into a new folder only (choose "
                      "another --out)", dir);
        else
            rundir_fail_taken(dir);
        if (!again) goto fail;
    }
    if (setup(r) != 0 || sha256_file_hex(c->model, sha) != 0) goto fail;
    char warn[600];
    if ((r->params.free_dir ? rundir_create_free(r->dir, sizeof r->dir) : rundir_create(dir)) != 0)
        goto fail;
    made = 1;
    if (take_lock(r, warn, sizeof warn) != 0) goto fail;
    dir = r->dir;
    int n;
    const cfg_field *f = cl_config_fields(&n);
    char *extra = resolved_json(r, config_path, sha);
    char *text = cfg_to_json(f, n, &r->cfg, extra);
    free(extra);
    char path[4200];
    rundir_path(dir, "config.json", path, sizeof path);
    /* the record first: a crash between the two writes must not leave a config.json without
     * its SHA-256, which resume would take for an older segp's run and never check */
    int rc = rundir_write_config_sha(dir, text);
    if (rc == 0 && rundir_write_text(path, text) != 0) {
        char sha_path[4200]; /* no config, no run: the folder goes, so the command runs again */
        rundir_path(dir, "config.json.sha256", sha_path, sizeof sha_path);
        unlink(sha_path);
        rc = -1;
    }
    free(text);
    if (rc != 0) goto fail;
    made = 0; /* from here on a failure leaves a run that `segp resume` continues */
    if (open_events(r) != 0) goto fail;
    if (warn[0]) info(r, -1, "%s", warn);
    if (again)
        info(r, -1, "%s: a run was killed there before it wrote config.json (nothing trained); "
             "starting it again", dir);
    return r;
fail:
    if (made) rundir_unmake(r->dir);
    cl_runner_free(r);
    return NULL;
}

cl_runner *cl_runner_open(const char *dir, const cl_runner_params *p) {
    int had_lock_file = 1; /* unless known absent, a lock file found stays */
    cl_runner *r = segp_calloc(1, sizeof *r);
    runner_init(r, p);
    if (segp_check_path_length(dir, RUNDIR_MAX_PATH) != 0) goto fail;
    snprintf(r->dir, sizeof r->dir, "%s", dir);
    r->cfg = cl_config_default();
    char path[4200];
    rundir_path(dir, "config.json", path, sizeof path);
    uint8_t *data;
    size_t size;
    char warn[600] = "";
    /* locked before anything is read for writing: another writer could be mid-task (only a
     * folder with a config.json gets a lock file) */
    char lock_path[4200];
    rundir_path(dir, ".lock", lock_path, sizeof lock_path);
    had_lock_file = rundir_exists(lock_path);
    if (!r->params.read_only && rundir_exists(path) && take_lock(r, warn, sizeof warn) != 0)
        goto fail;
    if (cfg_read_file(path, &data, &size) != 0) {
        char q[16000]; /* the folder as one shell word: it is for copying */
        segp_shell_quote(dir, q, sizeof q);
        if (!rundir_exists(path) && rundir_unstarted(dir))
            SEGP_FAIL("%s: a run was killed there before it wrote config.json, so nothing was "
                      "trained and there is nothing to resume: run the same segp run command "
                      "again (with --out %s it starts in this folder)", dir, q);
        else if (!rundir_exists(path))
            rundir_fail_not_a_run(dir);
        goto fail;
    }
    /* the config the finished tasks were made with, or none recorded (an older segp's run) */
    int recorded = rundir_check_config_sha(dir, data, size);
    if (recorded < 0) {
        free(data);
        goto fail;
    }
    cl_run_provenance prov;
    int rc = cl_config_parse_run((const char *)data, size, path, &r->cfg, &prov);
    const char *want = prov.model_sha256;
    int threads = prov.threads;
    free(data);
    if (rc != 0) goto fail;
    /* a relative model path is taken from the current directory; from elsewhere, the path
     * the run recorded (its SHA-256 is checked below either way) */
    int model_moved = r->cfg.model[0] != '/' && access(r->cfg.model, R_OK) != 0 &&
                      prov.model_path[0] == '/' && access(prov.model_path, R_OK) == 0 &&
                      strlen(prov.model_path) < sizeof r->cfg.model;
    char model_given[sizeof r->cfg.model], beside[sizeof r->cfg.model + 4200] = "";
    snprintf(model_given, sizeof model_given, "%s", r->cfg.model);
    if (model_moved) {
        snprintf(r->cfg.model, sizeof r->cfg.model, "%s", prov.model_path);
    } else if (r->cfg.model[0] != '/' && access(r->cfg.model, R_OK) != 0 && p && p->model_dir &&
               p->model_dir[0]) {
        snprintf(beside, sizeof beside, "%s/%s", p->model_dir, r->cfg.model);
        size_t len = strlen(beside); /* checked, so a copy (snprintf here warns at -O1) */
        if (access(beside, R_OK) == 0 && len < sizeof r->cfg.model) {
            memcpy(r->cfg.model, beside, len + 1);
            model_moved = 2;
        }
    }
    if (p && p->device) snprintf(r->cfg.device, sizeof r->cfg.device, "%s", p->device);
    if (p && p->precision) snprintf(r->cfg.precision, sizeof r->cfg.precision, "%s", p->precision);
    if (cl_config_check(&r->cfg) != 0) {
        segp_fail_prefix("%s: ", path);
        goto fail;
    }
    if (!want[0]) {
        SEGP_FAIL("%s: has no resolved.model_sha256; cannot check the model", path);
        goto fail;
    }
    char have[65];
    if (setup(r) != 0 || sha256_file_hex(r->cfg.model, have) != 0) goto fail;
    if (strcmp(have, want)) {
        SEGP_FAIL("%s: SHA-256 %.12s... differs from the %.12s... this run started with (%s); "
                  "refusing to continue with another model", r->cfg.model, have, want, path);
        goto fail;
    }
    if (open_events(r) != 0) goto fail;
    if (warn[0]) info(r, -1, "%s", warn);
    if (!recorded && !r->params.read_only)
        info(r, -1, "%s/config.json.sha256 is absent (a run of an older segp): config.json "
             "cannot be checked against the one the run started with", dir);
    if (model_moved)
        info(r, -1, "model %s is not under the current directory; using %s, %s (same SHA-256)",
             model_given, r->cfg.model,
             model_moved == 2 ? "in segp's own folder" : "where the run found it");
    char note[4600];
    if (segp_threads_note(path, threads, omp_get_max_threads(), "a re-run task", note,
                          sizeof note))
        info(r, -1, "%s", note);
    /* config.json names one build: a task re-run by another is said in events.jsonl */
    if (prov.build[0] && strcmp(prov.build, segp_build_id()))
        info(r, -1, "%s records segp build %s and this process is build %s: a re-run task "
             "may differ from the original", path, prov.build, segp_build_id());
    const segp_backend *be = clip_model_backend(r->model);
    if (be->host_memory && prov.blas[0] && strcasecmp(prov.blas, blas_corename()))
        info(r, -1, "%s records OpenBLAS kernels '%s' and this process has '%s': a re-run task "
             "may differ from the original in the last bits (set OPENBLAS_CORETYPE=%s to "
             "match)", path, prov.blas, blas_corename(), prov.blas);
    return r;
fail:
    /* refused before it ran (another program's folder, a corrupt config, another model): the
     * folder is left as it was found, without a lock file of its own */
    if (r->lock_fd >= 0 && !had_lock_file) rundir_lock_remove(r->dir, r->lock_fd);
    cl_runner_free(r);
    return NULL;
}

void cl_runner_free(cl_runner *r) {
    if (!r) return;
    if (r->method && r->method->free && r->mstate) r->method->free(r->mstate);
    event_sink_close(r->events);
    for (int t = 0; t < r->T && r->test_idx; t++) free(r->test_idx[t]);
    free(r->test_idx), free(r->n_test);
    free(r->pos), free(r->task_start), free(r->heldout), free(r->wall_s);
    cl_matrix_free(r->matrix);
    cl_matrix_free(r->clip_matrix);
    free(r->bc_ratio), free(r->eval_img), free(r->teach_img), free(r->pre_img);
    free(r->eval_txt), free(r->teach_txt), free(r->pre_txt);
    clip_lora_free(r->student);
    clip_lora_free(r->teacher);
    clip_tokenizer_free(r->tok);
    if (r->model) clip_model_free(r->model);
    if (r->bench) benchmark_free(r->bench);
    if (r->lock_fd >= 0) close(r->lock_fd); /* releases the lock */
    free(r);
}

static int run_task(cl_runner *r, int t) {
    double t0 = event_sink_clock(r->events); /* a pause is the user's time (events.h) */
    char tdir[4200];
    rundir_task_path(r->dir, t, "", tdir, sizeof tdir);
    if (rundir_task_mkdir(r->dir, t) != 0) return -1;
    segp_event ev = {.kind = EV_TASK_START, .task = t};
    if (cl_emit(r, &ev) == EVENT_ABORT) return 1;
    clip_lora_copy_b(r->teacher, r->student); /* the teacher: B at the start of the task */
    cl_task_ctx ctx;
    cl_runner_task_ctx(r, t, tdir, &ctx);
    /* the evaluation just before was the teacher's (B copied above) */
    if (t > 0 && r->eval_task == t - 1) ctx.teacher_text = r->eval_txt;
    int rc = 0;
    if (r->method->before_task) rc = r->method->before_task(r->mstate, &ctx);
    if (rc == 0 && r->method->trains && (!r->method->joint || t == 0))
        rc = cl_train_task(r, t, &ctx);
    if (rc == 0 && r->method->after_task) rc = r->method->after_task(r->mstate, &ctx);
    if (rc == 0) rc = cl_eval_task(r, t, &ctx, &r->heldout[t]);
    if (rc == 0 && r->cfg.analytics.enabled) rc = cl_analytics_task(r, t, &ctx);
    if (rc != 0) return rc;
    double wall = event_sink_clock(r->events) - t0;
    r->wall_s[t] = wall;
    if (runner_finish_task(r, t, wall) != 0) return -1;
    r->tasks_done = t + 1;
    int err;
    long lost = event_sink_take_lost(r->events, &err);
    if (lost) /* the task's files are whole; only its log has a gap */
        info(r, t, "%s/events.jsonl: %ld event%s of this task could not be written (%s); the "
             "workbench's step history has a gap there", r->dir, lost, lost == 1 ? "" : "s",
             strerror(err));
    char *m = runner_metrics_json(r, t);
    segp_event me = {.kind = EV_METRICS, .task = t, .json = m};
    cl_emit(r, &me);
    free(m);
    segp_event te = {.kind = EV_TASK_END, .task = t, .elapsed_s = wall};
    return cl_emit(r, &te) == EVENT_ABORT && t + 1 < r->T ? 1 : 0;
}

int cl_runner_run(cl_runner *r) {
    if (r->params.read_only)
        return SEGP_FAIL("%s: opened read-only; a run needs a writable runner", r->dir);
    char done_path[4200];
    rundir_path(r->dir, "DONE", done_path, sizeof done_path);
    int start = 0;
    if (runner_load_progress(r, &start) != 0) {
        segp_event ev = {.kind = EV_ERROR, .task = -1, .text = segp_last_error()};
        cl_emit(r, &ev);
        return -1;
    }
    rundir_clean_tmp(r->dir, r->T);
    segp_event ev = {.kind = EV_RUN_START, .task = -1, .text = r->dir};
    if (cl_emit(r, &ev) == EVENT_ABORT) return 1;
    if (start == 1 && start < r->T)
        info(r, -1, "resuming: task 1 is done (tasks/01/DONE); task 2 starts from its beginning");
    else if (start > 1 && start < r->T)
        info(r, -1, "resuming: tasks 1-%d are done (tasks/%02d/DONE); task %d starts from its "
             "beginning", start, start, start + 1);
    for (int u = 0; u < start; u++) {
        if (!r->method->load_task) continue;
        char tdir[4200];
        rundir_task_path(r->dir, u, "", tdir, sizeof tdir);
        cl_task_ctx ctx;
        cl_runner_task_ctx(r, u, tdir, &ctx);
        if (r->method->load_task(r->mstate, &ctx) != 0) return -1;
    }
    int rc = cl_eval_heldout(r, NULL, &r->heldout_pre);
    for (int t = start; t < r->T && rc == 0; t++) {
        rc = run_task(r, t);
        if (rc == 1) r->stopped_task = t < r->tasks_done ? -1 : t;
    }
    if (rc < 0) {
        segp_event e = {.kind = EV_ERROR, .task = -1, .text = segp_last_error()};
        char keep[1024];
        snprintf(keep, sizeof keep, "%s", segp_last_error());
        cl_emit(r, &e);
        SEGP_FAIL("%s", keep);
        return -1;
    }
    if (rc == 1) {
        info(r, r->stopped_task, "stopped; finished tasks are saved");
        return 1;
    }
    /* the last task's metrics carry the final line; rewrite in case of a finished resume */
    if (runner_write_metrics(r, r->T) != 0) return -1;
    if (!rundir_exists(done_path)) {
        char text[128];
        snprintf(text, sizeof text, "{\"tasks\": %d}\n", r->T);
        if (rundir_write_text(done_path, text) != 0) return -1;
    }
    rundir_lock_remove(r->dir, r->lock_fd); /* a finished run: resume leaves it as it is */
    /* the pauses (task boundaries, space) left out, as in each task's wall time */
    double elapsed = segp_now() - r->run_t0 - event_sink_paused_s(r->events);
    segp_event end = {.kind = EV_RUN_END, .task = -1, .elapsed_s = elapsed};
    cl_emit(r, &end);
    return 0;
}

int cl_runner_reevaluate(cl_runner *r, int *n_differ, int *n_skipped) {
    int done = 0;
    while (done < r->T && rundir_task_done(r->dir, done)) done++;
    /* the saved counts, to compare with */
    size_t nh = (size_t)r->T * r->T;
    for (int t = 0; t < done; t++)
        if (runner_read_task_eval(r, t) != 0 || runner_read_task_done(r, t) != 0 ||
            runner_read_task_ratio(r, t) != 0)
            return -1;
    int64_t *saved = segp_malloc(nh * sizeof(int64_t) * 2), *saved_clip = saved + nh;
    memcpy(saved, r->matrix->hits, nh * sizeof(int64_t));
    for (size_t i = 0; i < nh; i++) r->matrix->hits[i] = -1;
    if (r->clip_matrix) {
        memcpy(saved_clip, r->clip_matrix->hits, nh * sizeof(int64_t));
        for (size_t i = 0; i < nh; i++) r->clip_matrix->hits[i] = -1;
    }
    int rc = cl_eval_heldout(r, NULL, &r->heldout_pre);
    int skipped = 0;
    for (int t = 0; t < done && rc == 0; t++) {
        char p[4200];
        rundir_task_path(r->dir, t, "lora.safetensors", p, sizeof p);
        if (strcmp(r->cfg.keep_checkpoints, "last") == 0 && !rundir_exists(p)) {
            /* not kept: the saved row stands */
            for (int j = 0; j < r->T; j++) {
                size_t q = (size_t)t * r->T + j;
                r->matrix->hits[q] = saved[q];
                if (r->clip_matrix) r->clip_matrix->hits[q] = saved_clip[q];
            }
            skipped++;
            continue;
        }
        if (clip_lora_load(r->student, p) != 0) {
            char q[16000]; /* the command is for copying: the folder quoted for the shell */
            segp_shell_quote(r->dir, q, sizeof q);
            rc = segp_fail_suffix(". Task %d's checkpoint cannot be read, so it was not "
                                  "re-evaluated (the run directory is unchanged); to train the "
                                  "task again, delete %s/tasks/%02d/DONE and every later task's, "
                                  "then run: segp resume %s",
                                  t + 1, r->dir, t + 1, q);
            break;
        }
        runner_read_task_done(r, t);
        cl_task_ctx ctx;
        char tdir[4200];
        rundir_task_path(r->dir, t, "", tdir, sizeof tdir);
        cl_runner_task_ctx(r, t, tdir, &ctx);
        if (r->method->load_task && r->method->load_task(r->mstate, &ctx) != 0) {
            rc = -1;
            break;
        }
        rc = cl_eval_task(r, t, &ctx, &r->heldout[t]);
    }
    *n_differ = 0;
    for (size_t i = 0; rc == 0 && i < nh; i++)
        *n_differ += (saved[i] != r->matrix->hits[i]) +
                     (r->clip_matrix && saved_clip[i] != r->clip_matrix->hits[i]);
    if (n_skipped) *n_skipped = skipped;
    free(saved);
    if (rc != 0) return rc < 0 ? -1 : 1;
    r->tasks_done = done;
    return 0;
}

void cl_runner_result(const cl_runner *r, cl_run_result *o) {
    memset(o, 0, sizeof *o);
    o->dir = r->dir;
    o->method = r->cfg.method;
    o->benchmark = r->bench ? benchmark_name(r->bench) : "";
    o->order = r->bench ? benchmark_order_desc(r->bench) : "";
    o->eval_split = r->bench ? benchmark_eval_desc(r->bench) : "test";
    o->num_tasks = r->T;
    o->tasks_done = r->tasks_done;
    o->stopped_task = r->stopped_task;
    o->matrix = r->matrix;
    o->clip_matrix = r->clip_matrix;
    o->bc_ratio = r->bc_ratio;
    o->heldout = r->heldout;
    o->heldout_pre = r->heldout_pre;
    o->num_heldout = r->bench ? benchmark_num_heldout(r->bench) : 0;
    o->wall_s = r->wall_s;
    o->trainable = r->student ? clip_lora_trainable(r->student) : 0;
    char p[4200];
    rundir_path(r->dir, "DONE", p, sizeof p);
    o->run_done = rundir_exists(p);
}
