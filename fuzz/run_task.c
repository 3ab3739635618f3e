/* run_task.c: fuzz target for a finished task's saved state read back (engine/run/
 * run_task_data.c, run_task_load_memory): geometry.safetensors (text and image geometry, the
 * projections), drift.safetensors, anchors.safetensors (with anchor images), prototypes.
 * safetensors and analytics.json, each checked against the run's config. First byte: the task;
 * then config.json and the five files, separated by FUZZ_SEP lines (an empty part: the file is
 * absent). */
#include "fuzz.h"
#include "run/run_record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size > 262144) return -1;
    unsigned sel = fuzz_take_byte(&data, &size);
    fuzz_part p[1 + RUN_TASK_FILES];
    fuzz_split(data, size, p, 1 + RUN_TASK_FILES);
    run_text cfg = {(const char *)p[0].p, p[0].n};
    run_record r;
    if (run_record_open_memory("run", &cfg, NULL, NULL, &r) != 0) return 0;
    run_task_files files;
    uint8_t *copies[RUN_TASK_FILES];
    for (int k = 0; k < RUN_TASK_FILES; k++) { /* exact-size buffers: reads past them are seen */
        copies[k] = p[1 + k].n ? fuzz_copy(p[1 + k].p, p[1 + k].n) : NULL;
        files.data[k] = copies[k];
        files.size[k] = p[1 + k].n;
    }
    int t = (int)(sel % (unsigned)r.num_tasks);
    run_task_data d;
    if (run_task_load_memory(&r, t, &files, &d) == 0) {
        /* what views index without checking */
        if (d.n_seen != run_seen_classes(&r, t) || !d.labels) abort();
        for (int i = 0; i < d.n_drift; i++)
            if (d.drift_class[i] < 0 || d.drift_class[i] >= d.n_seen) abort();
        for (int i = 0; i < d.n_proj; i++)
            if (d.proj_class[i] < 0 || d.proj_class[i] >= d.n_seen || d.proj_kind[i] < 0 ||
                d.proj_kind[i] > 3)
                abort();
        for (int i = 0; i < d.n_anchors; i++)
            if (d.anchor_target[i] < 0 || d.anchor_target[i] >= r.num_classes) abort();
        for (int i = 0; i < d.n_anchor_images; i++)
            if (d.anchor_image_rows[i] < 0 || d.anchor_image_rows[i] >= d.n_anchors) abort();
        run_task_data_free(&d);
    }
    for (int k = 0; k < RUN_TASK_FILES; k++) free(copies[k]);
    run_record_free(&r);
    return 0;
}
