/* tiny_run.c: the tiny continual-run config of tiny_run.h. */
#include "tiny_run.h"

#include <stdio.h>

#include "test.h"

const char TINY_RUN[] =
    "{\"model\": \"sample_runs/models/shapes-clip.safetensors\", \"method\": \"%s\", \"seed\": 1,"
    " \"benchmark\": {\"name\": \"shapes\", \"order\": \"latin\", \"tasks\": \"B0-Inc10\","
    " \"train_per_class\": 10, \"test_per_class\": 5},"
    " \"train\": {\"epochs\": 1, \"batch_size\": 32, \"optimizer\": \"adamw\", \"lr\": 0.002},"
    " \"eval\": {\"batch_size\": 64}, \"run\": {\"max_tasks\": 3}%s}";

const char *write_config(const char *name, const char *json) {
    static char paths[8][512];
    static int slot;
    char *p = paths[slot++ % 8];
    snprintf(p, 512, "%s/%s.json", test_tmpdir(), name);
    write_text(p, json);
    return p;
}

const char *tiny_config(const char *name, const char *method, const char *extra) {
    char json[2048];
    snprintf(json, sizeof json, TINY_RUN, method, extra);
    return write_config(name, json);
}
