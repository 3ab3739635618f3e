/* events.c: fuzz target for events.jsonl as `segp resume` repairs it and the workbench reads it
 * (engine/run/events.c events_intact_length: the torn-tail cut; engine/run/run_record.c
 * run_record_add_event: every line of the file, and event_to_json's own lines fed back). The
 * input is the file; the record it is read into is a small fixed run. */
#include <math.h>

#include "fuzz.h"
#include "run/events.h"
#include "run/run_record.h"

static const char config[] =
    "{\"method\": \"segp\", \"resolved\": {\"benchmark\": \"shapes\", \"num_classes\": 4, "
    "\"num_tasks\": 2, \"class_order\": [2, 0, 3, 1], \"class_names\": [\"a\", \"b\", \"c\", "
    "\"d\"], \"task_classes\": [[2, 0], [3, 1]]}}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size > 262144) return -1;
    size_t keep = events_intact_length((const char *)data, size);
    if (keep > size || (keep > 0 && data[keep - 1] != '\n')) abort();
    if (events_intact_length((const char *)data, keep) != keep) abort(); /* a cut file is whole */

    run_text cfg = {config, sizeof config - 1}, ev = {(const char *)data, size};
    run_record r;
    if (run_record_open_memory("run", &cfg, NULL, &ev, &r) == 0) {
        for (int i = 0; i < r.n_steps; i++)
            if (r.steps[i].task < 0 || r.steps[i].task >= 2) abort();
        run_record_free(&r);
    }
    /* an event the engine writes, with a phase and terms taken from the input */
    char *text = fuzz_cstr(data, size < 64 ? size : 64);
    segp_event e = {.kind = (event_kind)(size % (EV_INFO + 1)), .task = (int)(size % 3) - 1,
                    .num_tasks = 2, .phase = text, .epoch = 1, .epochs = 2, .step = 3, .steps = 4,
                    .n_terms = 2, .term_names = {"cls", text}, .term_values = {1.0f, NAN},
                    .loss = INFINITY, .lr = 1e-3f, .images_per_s = NAN, .text = text,
                    .json = NULL};
    char *line = event_to_json(&e);
    run_text cfg2 = {config, sizeof config - 1};
    if (run_record_open_memory("run", &cfg2, NULL, NULL, &r) != 0) abort();
    if (run_record_add_event(&r, line) != 0) abort(); /* the engine's lines are always read */
    run_record_free(&r);
    free(line);
    free(text);
    return 0;
}
