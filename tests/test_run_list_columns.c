/* test_run_list_columns.c: the order of the workbench's list of runs (segp tui FOLDER) by each
 * column, either way: runs that cannot be read and missing numbers last, equal keys in the
 * order they came; and the column heads marking the sorting column. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "app/run_list.h"
#include "test.h"

/* Four runs in name order: their names, in the list's order now, into OUT ("a b c d"). */
static const char *order(const run_summary *r, int n) {
    static char out[256];
    out[0] = 0;
    for (int i = 0; i < n; i++) {
        const char *base = strrchr(r[i].dir, '/');
        snprintf(out + strlen(out), sizeof out - strlen(out), "%s%s", i ? " " : "", base + 1);
    }
    return out;
}

static void runs_of(run_summary *r) {
    memset(r, 0, sizeof(run_summary) * 5);
    const char *names[5] = {"runs/a", "runs/b", "runs/c", "runs/d", "runs/e"};
    const char *methods[5] = {"segp", "finetune", "segp", "ewc", ""};
    double last[5] = {66.8, 70.1, 66.8, NAN, NAN}, forg[5] = {11.7, 3.2, 9.0, NAN, NAN};
    int done[5] = {10, 10, 10, 0, 0};
    for (int i = 0; i < 5; i++) {
        snprintf(r[i].dir, sizeof r[i].dir, "%s", names[i]);
        snprintf(r[i].method, sizeof r[i].method, "%s", methods[i]);
        r[i].ok = i < 4; /* e: cannot be read */
        r[i].last = r[i].avg = last[i];
        r[i].forgetting = forg[i];
        r[i].tasks_done = done[i];
        r[i].num_tasks = 10;
        r[i].wall_s = 100 - 10 * i;
        snprintf(r[i].state, sizeof r[i].state, "%s", i == 3 ? "interrupted" : "finished");
    }
}

TEST(run_list_sort_by_each_column_either_way) {
    run_summary r[5];
    static const struct {
        int col, desc;
        const char *want;
    } cases[] = {
        {RUN_SORT_NAME, 0, "a b c d e"},    {RUN_SORT_NAME, 1, "d c b a e"},
        /* a and c tie on Last: they stay in the order they came, either way */
        {RUN_SORT_LAST, 1, "b a c d e"},    {RUN_SORT_LAST, 0, "a c b d e"},
        {RUN_SORT_FORGET, 0, "b c a d e"},  {RUN_SORT_FORGET, 1, "a c b d e"},
        {RUN_SORT_METHOD, 0, "d b a c e"},  {RUN_SORT_WALL, 0, "d c b a e"},
        {RUN_SORT_TASKS, 1, "a b c d e"},   {RUN_SORT_STATE, 0, "a b c d e"},
        {RUN_SORT_STATE, 1, "d a b c e"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        runs_of(r);
        run_list_sort(r, 5, cases[k].col, cases[k].desc);
        const char *got = order(r, 5);
        CHECK_MSG(!strcmp(got, cases[k].want), "by %s%s: '%s', not '%s'",
                  run_sort_name(cases[k].col), cases[k].desc ? " desc" : "", got,
                  cases[k].want);
    }
    /* sorted again from a sorted list: the same order (ties do not swap back and forth) */
    runs_of(r);
    run_list_sort(r, 5, RUN_SORT_LAST, 1);
    run_list_sort(r, 5, RUN_SORT_LAST, 1);
    CHECK(!strcmp(order(r, 5), "b a c d e"));
    CHECK(!strcmp(run_sort_name(RUN_SORT_FORGET), "Forget"));
    CHECK(run_sort_numeric(RUN_SORT_LAST) && run_sort_numeric(RUN_SORT_WALL));
    CHECK(!run_sort_numeric(RUN_SORT_NAME) && !run_sort_numeric(RUN_SORT_STATE));
}

TEST(run_list_sort_head_marks_the_column) {
    char h[256];
    /* the heads of run_summary_line, the marked one on its inner side */
    run_list_row(NULL, NULL, 6, RUN_SORT_NAME, "^", 0, 0, h, sizeof h);
    CHECK_MSG(!strcmp(h, "run^    method    split  tasks    Last     Avg  Forget    wall  state"),
              "'%s'", h);
    run_list_row(NULL, NULL, 6, RUN_SORT_LAST, "▼", 0, 0, h, sizeof h);
    CHECK_MSG(!strcmp(h, "run     method    split  tasks   ▼Last     Avg  Forget    wall  state"),
              "'%s'", h);
    /* a head as wide as its column: the next head moves one cell on, none is cut */
    run_list_row(NULL, NULL, 3, RUN_SORT_SPLIT, "v", 0, 0, h, sizeof h);
    CHECK_MSG(!strcmp(h, "run  method    splitv tasks    Last     Avg  Forget    wall  state"),
              "'%s'", h);
    run_list_row(NULL, NULL, 3, RUN_SORT_NAME, "v", 0, 0, h, sizeof h);
    CHECK_MSG(!strcmp(h, "runv method    split  tasks    Last     Avg  Forget    wall  state"),
              "'%s'", h);
}

/* At 60 columns the list's rows were cut at the edge, mid-value ("2:52" read "2"): the split,
 * the method, then the wall time give way whole (never the sorting column), and the state ends
 * at a word. */
TEST(run_list_row_leaves_columns_out_whole) {
    run_summary r[5];
    runs_of(r);
    snprintf(r[3].state, sizeof r[3].state, "interrupted after task 9/10");
    char h[512];
    CHECK_EQ_INT(run_list_hide(6, 120, RUN_SORT_NAME), 0);
    unsigned hide = run_list_hide(6, 59, RUN_SORT_NAME);
    CHECK_EQ_INT(hide, (1u << RUN_SORT_SPLIT) | (1u << RUN_SORT_METHOD));
    run_list_row(NULL, NULL, 6, RUN_SORT_NAME, "^", hide, 0, h, sizeof h);
    CHECK_MSG(!strcmp(h, "run^    tasks    Last     Avg  Forget    wall  state"), "'%s'", h);
    run_list_row(&r[0], "a-done", 6, -1, "", hide, 59, h, sizeof h);
    CHECK_MSG(!strcmp(h, "a-done  10/10   66.80   66.80   11.70    1:40  finished"), "'%s'", h);
    run_list_row(&r[3], "d-cut", 6, -1, "", hide, 59, h, sizeof h);
    CHECK_MSG(!strcmp(h, "d-cut    0/10       -       -       -    1:10  interrupted"), "'%s'",
              h);
    /* sorted by method: the method stays, the wall time goes instead */
    hide = run_list_hide(6, 59, RUN_SORT_METHOD);
    CHECK_EQ_INT(hide, (1u << RUN_SORT_SPLIT) | (1u << RUN_SORT_WALL));
    run_list_row(&r[1], "b", 6, -1, "", hide, 0, h, sizeof h);
    CHECK_MSG(!strcmp(h, "b       finetune   10/10   70.10   70.10    3.20  finished"), "'%s'",
              h);
}
