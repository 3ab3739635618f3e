/* class_order.c: fuzz target for class-order files and task splits (engine/data/class_order.c):
 * the YAML (flow and block lists) and plain forms, the permutation check, the inverse, task
 * split specs ("B0-Inc10", "b50_inc5") and the classes of each task. Input: the order file, the
 * FUZZ_SEP line, the split spec; the seeded shuffle runs on the order's length. */
#include "data/class_order.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size > 65536) return -1;
    fuzz_part p[2];
    fuzz_split(data, size, p, 2);
    char *text = fuzz_cstr(p[0].p, p[0].n), *spec = fuzz_cstr(p[1].p, p[1].n);
    int *order = NULL, n = 0;
    if (class_order_parse(text, "fuzz_order.txt", &order, &n) == 0) {
        if (n < 0 || (n > 0 && !order)) abort();
        if (class_order_check(order, n, "fuzz_order.txt") == 0) {
            int *pos = segp_malloc((size_t)(n + 1) * sizeof *pos);
            class_order_inverse(order, n, pos);
            for (int k = 0; k < n; k++)
                if (pos[order[k]] != k) abort();
            task_split s;
            if (task_split_parse(spec, n, &s) == 0) {
                int total = 0;
                for (int t = 0; t < s.num_tasks; t++) {
                    const int *cls;
                    int m = task_split_classes(&s, order, t, &cls);
                    if (m < 1) abort();
                    for (int k = 0; k < m; k++)
                        if (task_split_task_of(&s, pos[cls[k]]) != t) abort();
                    total += m;
                }
                if (total != n) abort();
                task_split_free(&s);
            }
            if (n <= 4096) {
                class_order_shuffle(n, (uint32_t)size, pos);
                if (class_order_check(pos, n, "shuffle") != 0) abort();
            }
            free(pos);
        }
    }
    free(order);
    free(text);
    free(spec);
    return 0;
}
