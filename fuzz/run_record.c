/* run_record.c: fuzz target for a run directory read back by the workbench and the figures
 * (engine/run/run_record.c, run_record_open_memory): config.json's resolved part (class order,
 * names, task split), metrics.jsonl (per task and final lines, a torn last line) and
 * events.jsonl through run_record_add_event (steps, loss terms, phases, task times). Input:
 * the three files separated by FUZZ_SEP lines. */
#include <math.h>

#include "fuzz.h"
#include "run/run_record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size > 262144) return -1;
    fuzz_part p[3];
    fuzz_split(data, size, p, 3);
    run_text cfg = {(const char *)p[0].p, p[0].n}, met = {(const char *)p[1].p, p[1].n},
             ev = {(const char *)p[2].p, p[2].n};
    run_record r;
    if (run_record_open_memory("run", &cfg, &met, &ev, &r) != 0) {
        if (r.dir || r.task) abort(); /* zeroed on failure */
        return 0;
    }
    int C = r.num_classes, T = r.num_tasks;
    if (C < 1 || T < 1 || T > C || r.task_first[T] > C) abort();
    for (int t = 0; t < T; t++) {
        if (r.task_size[t] < 1 || run_seen_classes(&r, t) > C) abort();
        for (int k = 0; k < r.task_size[t]; k++) {
            int label = r.class_order[r.task_first[t] + k];
            if (label < 0 || label >= C || !run_class_name(&r, label)) abort();
        }
    }
    for (int i = 0; i < r.n_steps; i++)
        if (r.steps[i].task < 0 || r.steps[i].task >= T) abort();
    if (r.n_terms > RUN_MAX_TERMS || r.cur_task >= T) abort();
    for (int k = 0; k < r.n_terms; k++)
        if (run_term_index(&r, r.term_names[k]) != k) abort();
    /* the live path: one more event of each kind */
    static const char *const more[] = {
        "{\"event\": \"step\", \"task\": 1, \"step\": 2, \"terms\": {\"cls\": 1.5, \"new\": 2}}",
        "{\"event\": \"task_end\", \"task\": 1, \"time\": 3}", "{\"event\": \"error\"}", "[]",
    };
    for (size_t k = 0; k < sizeof more / sizeof more[0]; k++)
        (void)run_record_add_event(&r, more[k]);
    run_record_free(&r);
    return 0;
}
