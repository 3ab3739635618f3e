/* run_resume.c: fuzz target for the files `segp resume` reads back from a run directory before
 * it continues (engine/cl/cl_config.c, engine/run/rundir.c, engine/metrics/analytics.c): the
 * run's config.json (every config key again, plus resolved.model_sha256, threads, blas and
 * model_path), a finished task's eval.json (counts and hits into the accuracy matrices) and its
 * analytics.json. First byte: the run's task count (1..16) and the task; then the three files
 * separated by FUZZ_SEP lines. */
#include <math.h>

#include "cl/cl_config.h"
#include "fuzz.h"
#include "metrics/analytics.h"
#include "metrics/cl_metrics.h"
#include "run/rundir.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size > 65536) return -1;
    unsigned sel = fuzz_take_byte(&data, &size);
    int T = 1 + (int)(sel & 15), t = (int)(sel >> 4) % T;
    fuzz_part p[3];
    fuzz_split(data, size, p, 3);

    cl_config c = cl_config_default();
    cl_run_provenance prov;
    if (cl_config_parse_run((const char *)p[0].p, p[0].n, "run/config.json", &c, &prov) == 0) {
        if (strlen(prov.model_sha256) > 64 || prov.threads < 0 || strlen(prov.blas) > 31 ||
            strlen(prov.model_path) > 1023)
            abort();
        (void)cl_config_check_segp(&c.segp);
    }

    cl_matrix *m = cl_matrix_new(T), *clip = cl_matrix_new(T);
    double heldout = NAN;
    for (int with_clip = 0; with_clip < 2; with_clip++)
        if (rundir_parse_task_eval((const char *)p[1].p, p[1].n, t, m, with_clip ? clip : NULL,
                                   &heldout) == 0) {
            for (int j = 0; j < T; j++)
                if (cl_matrix_has(m, t, j)) {
                    double r = cl_matrix_R(m, t, j);
                    if (!(r >= 0 && r <= 100)) abort(); /* hits within the counts */
                }
            cl_summary s;
            (void)cl_summary_after(m, t, &s);
        }
    cl_matrix_free(m);
    cl_matrix_free(clip);

    analytics_summary a;
    (void)analytics_parse_summary((const char *)p[2].p, p[2].n, "run/tasks/01/analytics.json",
                                  &a);
    return 0;
}
