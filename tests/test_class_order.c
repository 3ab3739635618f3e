/* test_class_order.c: class-order files (the shipped benchmarks and small YAML / plain lists),
 * permutation errors, the NumPy-compatible seeded shuffle, and B0-IncN / Bm-IncN task splits. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/common.h"
#include "data/class_order.h"
#include "test.h"

static int parse_ok(const char *text, const int *want, int n) {
    int *o, cnt;
    if (class_order_parse(text, "t", &o, &cnt)) {
        printf("  (parse failed: %s)\n", segp_last_error());
        return 0;
    }
    int ok = cnt == n && !memcmp(o, want, (size_t)n * sizeof *o);
    free(o);
    return ok;
}

static int parse_fails(const char *text) {
    int *o = NULL, cnt;
    int rc = class_order_parse(text, "t", &o, &cnt);
    free(o);
    return rc == -1;
}

TEST(class_order_shipped_files) {
    int *a = NULL, *b = NULL, *c = NULL, na, nb, nc;
    CHECK_MSG(class_order_load("data/benchmarks/cifar100_order.yaml", 100, &a, &na) == 0, "%s",
              segp_last_error());
    CHECK_MSG(class_order_load("data/benchmarks/cifar100_order_pycil_seed1993.txt", 100, &b,
                               &nb) == 0, "%s", segp_last_error());
    CHECK_MSG(class_order_load("data/benchmarks/imagenet100.yaml", 100, &c, &nc) == 0, "%s",
              segp_last_error());
    if (!a || !b || !c) return;
    /* Continual-CLIP/RAPF order and the PyCIL/PROOF order (seed 1993). */
    CHECK(a[0] == 87 && a[1] == 0 && a[2] == 52 && a[3] == 58 && a[99] == 39);
    CHECK(b[0] == 68 && b[1] == 56 && b[2] == 78 && b[3] == 8 && b[99] == 33);
    /* imagenet100.yaml is the multi-line flow form of the same PyCIL order. */
    CHECK(!memcmp(b, c, 100 * sizeof *b));
    /* The seeded shuffle reproduces it: np.random.seed(1993); np.random.permutation(100). */
    int s[100];
    class_order_shuffle(100, 1993, s);
    CHECK(!memcmp(s, b, sizeof s));
    free(a);
    free(b);
    free(c);

    CHECK_MSG(class_order_load("data/benchmarks/imagenet_R_order.yaml", 200, &a, &na) == 0,
              "%s", segp_last_error());
    CHECK(a && a[0] == 29 && a[1] == 75 && a[2] == 18 && a[199] == 197);
    free(a);
    /* Indented key. */
    CHECK_MSG(class_order_load("data/benchmarks/cub200_order.yaml", 200, &a, &na) == 0, "%s",
              segp_last_error());
    CHECK(a && a[0] == 110 && a[1] == 54 && a[2] == 8 && a[199] == 165);
    free(a);
}

TEST(class_order_formats) {
    const int w[4] = {2, 0, 3, 1};
    CHECK(parse_ok("class_order: [2, 0, 3, 1]\n", w, 4));
    CHECK(parse_ok("dataset: x\nclass_order: [2, 0,\n   3, 1]  # comment\nother: 1\n", w, 4));
    CHECK(parse_ok("class_order:\n  - 2\n  - 0 # c\n\n  - 3\n  - 1\nnext_key: 5\n", w, 4));
    CHECK(parse_ok("class_order :\n- 2\n- 0\n- 3\n- 1", w, 4));
    CHECK(parse_ok("2 0 3 1\n", w, 4));
    CHECK(parse_ok("2,0,3,1", w, 4));
    CHECK(parse_ok("# order\n[2, 0,\n 3, 1]\n", w, 4));
    CHECK(parse_ok("\t2\n0\r\n3\r\n1\r\n", w, 4));
    CHECK(parse_ok("- 2\n- 0\n- 3\n- 1\n", w, 4));

    CHECK(parse_fails("class_order: [2, 0, x, 1]"));
    CHECK(err_has("t:1: \"x\" is not a class index"));
    CHECK(parse_fails("class_order: [2, 0, 3"));
    CHECK(err_has("not closed"));
    CHECK(parse_fails("classes: [2, 0, 3, 1]"));
    CHECK(err_has("no class_order key"));
    CHECK(parse_fails("class_order: 5"));
    CHECK(parse_fails("class_order: []"));
    CHECK(parse_fails("class_order:\nnext: 1\n"));
    CHECK(parse_fails("class_order:\n  - 1\n  - 2 3\n"));
    CHECK(parse_fails("[1, 2] 3"));
    CHECK(parse_fails(""));
    CHECK(parse_fails("1.5 2"));
    CHECK(parse_fails("12345678901"));
}

TEST(class_order_permutation_errors) {
    const int dup[4] = {2, 0, 2, 1}, range[4] = {2, 0, 4, 1}, neg[3] = {0, -1, 1},
              ok[3] = {1, 2, 0};
    CHECK(class_order_check(ok, 3, "o") == 0);
    CHECK(class_order_check(dup, 4, "o") == -1);
    CHECK(err_has("class 2 appears twice (positions 0 and 2) and class 3 is missing"));
    CHECK(class_order_check(range, 4, "o") == -1);
    CHECK(err_has("class 4 at position 2 is out of range (expected 0..3"));
    CHECK(class_order_check(neg, 3, "o") == -1);
    CHECK(err_has("class -1"));

    char path[512];
    snprintf(path, sizeof path, "%s/order.txt", test_tmpdir());
    CHECK(segp_write_file_atomic(path, "0 1 3 4", 7) == 0);
    int *o, n;
    CHECK(class_order_load(path, 5, &o, &n) == -1);
    CHECK(err_has("4 classes listed (expected 5); class 2 is missing"));
    CHECK(err_has("order.txt"));
    CHECK(class_order_load(path, 3, &o, &n) == -1);
    CHECK(err_has("4 classes listed (expected 3)"));
    CHECK(class_order_load(path, 0, &o, &n) == -1); /* 0 1 3 4 is no permutation of 0..3 */
    CHECK(err_has("class 4 at position 3 is out of range"));
    CHECK(class_order_load("/nonexistent/order.yaml", 100, &o, &n) == -1);
    CHECK(err_has("/nonexistent/order.yaml"));
}

TEST(class_order_shuffle_numpy) {
    /* Values from NumPy 1.24: np.random.seed(s); np.random.permutation(n). */
    int a[7], b[7];
    class_order_shuffle(7, 0, a);
    const int w0[7] = {6, 2, 1, 3, 0, 5, 4};
    CHECK(!memcmp(a, w0, sizeof a));
    class_order_shuffle(7, 0, b);
    CHECK(!memcmp(a, b, sizeof a));
    int p[1000];
    class_order_shuffle(1000, 42, p);
    const int w42[10] = {521, 737, 740, 660, 411, 678, 626, 513, 859, 136};
    CHECK(!memcmp(p, w42, sizeof w42));
    CHECK(class_order_check(p, 1000, "shuffle") == 0);
    int one[1];
    class_order_shuffle(1, 5, one);
    CHECK(one[0] == 0);

    int pos[7];
    class_order_inverse(w0, 7, pos);
    for (int k = 0; k < 7; k++) CHECK_EQ_INT(pos[w0[k]], k);
}

TEST(class_order_task_splits) {
    task_split s;
    CHECK(task_split_parse("B0-Inc10", 100, &s) == 0);
    CHECK_EQ_INT(s.num_tasks, 10);
    for (int t = 0; t <= 10; t++) CHECK_EQ_INT(s.start[t], 10 * t);
    CHECK_EQ_INT(task_split_task_of(&s, 0), 0);
    CHECK_EQ_INT(task_split_task_of(&s, 19), 1);
    CHECK_EQ_INT(task_split_task_of(&s, 99), 9);
    CHECK_EQ_INT(task_split_task_of(&s, 100), -1);
    int order[100];
    class_order_shuffle(100, 1993, order);
    const int *cls;
    CHECK_EQ_INT(task_split_classes(&s, order, 1, &cls), 10);
    CHECK(cls[0] == 40 && cls[9] == 38); /* PyCIL's second task starts with class 40 */
    CHECK_EQ_INT(task_split_classes(&s, order, 10, &cls), -1);
    task_split_free(&s);

    CHECK(task_split_parse("B50-Inc10", 100, &s) == 0);
    CHECK_EQ_INT(s.num_tasks, 6);
    const int st[7] = {0, 50, 60, 70, 80, 90, 100};
    for (int t = 0; t <= 6; t++) CHECK_EQ_INT(s.start[t], st[t]);
    CHECK_EQ_INT(task_split_task_of(&s, 49), 0);
    CHECK_EQ_INT(task_split_task_of(&s, 50), 1);
    task_split_free(&s);

    CHECK(task_split_parse("b100inc20", 200, &s) == 0 && s.num_tasks == 6);
    task_split_free(&s);
    CHECK(task_split_parse("B0-Inc20", 200, &s) == 0 && s.num_tasks == 10);
    task_split_free(&s);

    CHECK(task_split_parse("B0-Inc7", 100, &s) == -1);
    CHECK(err_has("100 classes do not divide into tasks of 7"));
    CHECK(task_split_parse("B50-Inc15", 100, &s) == -1);
    CHECK(err_has("the 50 classes after the first task do not divide into tasks of 15"));
    CHECK(task_split_parse("B100-Inc10", 100, &s) == -1);
    CHECK(task_split_parse("B0-Inc0", 100, &s) == -1);
    CHECK(task_split_parse("Inc10", 100, &s) == -1);
    CHECK(err_has("expected B0-IncN or Bm-IncN"));
    CHECK(task_split_parse("B0-Inc10x", 100, &s) == -1);
    CHECK(task_split_parse("B-1-Inc10", 100, &s) == -1);
    CHECK(task_split_parse(NULL, 100, &s) == -1);
    CHECK(s.start == NULL);
}
