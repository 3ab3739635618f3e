/* test_metrics.c: the accuracy-matrix summaries of engine/metrics/cl_metrics.c on a hand-made
 * 3-task matrix, every number computed by hand below. */
#include <math.h>
#include <string.h>

#include "core/common.h"
#include "metrics/cl_metrics.h"
#include "test.h"

/* Items per task: 10, 20, 10. Hits (R in %):
 *   after task 1:  8/10 (80)   10/20 (50, zero-shot on task 2)     -
 *   after task 2:  9/10 (90)   16/20 (80)     4/10 (40, zero-shot on task 3)
 *   after task 3:  5/10 (50)   12/20 (60)     9/10 (90)
 * A_1 = 8/10 = 80;  A_2 = (9+16)/30 = 83.333..;  A_3 = (5+12+9)/40 = 65
 *   (the mean of row 3 would be 66.67: A_t pools the items)
 * Avg after 3 = (80 + 83.333.. + 65)/3 = 76.111..;  after 2 = (80 + 83.333..)/2 = 81.666..
 * old/new after 3 = (5+12)/30 = 56.666.. / 90;  after 2 = 9/10 = 90 / 16/20 = 80
 * FWT after 3 = (R12 + R23)/2 = (50 + 40)/2 = 45;  after 2 = 50
 * BWT after 3 = ((50-80) + (60-80))/2 = -25;  after 2 = 90 - 80 = 10
 * Forgetting after 3 = ((max(80,90) - 50) + (80 - 60))/2 = (40 + 20)/2 = 30
 *   (differs from -BWT: task 1's best row is after task 2); after 2 = 80 - 90 = -10 */
static cl_matrix *hand_matrix(void) {
    cl_matrix *m = cl_matrix_new(3);
    cl_matrix_set(m, 0, 0, 8, 10);
    cl_matrix_set(m, 0, 1, 10, 20);
    cl_matrix_set(m, 1, 0, 9, 10);
    cl_matrix_set(m, 1, 1, 16, 20);
    cl_matrix_set(m, 1, 2, 4, 10);
    cl_matrix_set(m, 2, 0, 5, 10);
    cl_matrix_set(m, 2, 1, 12, 20);
    cl_matrix_set(m, 2, 2, 9, 10);
    return m;
}

TEST(metrics_hand_matrix_final) {
    cl_matrix *m = hand_matrix();
    cl_summary s;
    CHECK(cl_summary_after(m, 2, &s) == 0);
    CHECK_NEAR(s.acc, 65.0, 1e-12);
    CHECK_NEAR(s.avg_acc, (80.0 + 250.0 / 3.0 + 65.0) / 3.0, 1e-12);
    CHECK_NEAR(s.old_acc, 1700.0 / 30.0, 1e-12);
    CHECK_NEAR(s.new_acc, 90.0, 1e-12);
    CHECK_NEAR(s.fwt, 45.0, 1e-12);
    CHECK_NEAR(s.bwt, -25.0, 1e-12);
    CHECK_NEAR(s.forgetting, 30.0, 1e-12);
    CHECK_NEAR(cl_matrix_R(m, 1, 2), 40.0, 1e-12);
    CHECK(isnan(cl_matrix_R(m, 0, 2)));
    cl_matrix_free(m);
}

TEST(metrics_hand_matrix_prefix) {
    cl_matrix *m = hand_matrix();
    cl_summary s;
    CHECK(cl_summary_after(m, 1, &s) == 0);
    CHECK_NEAR(s.acc, 250.0 / 3.0, 1e-12);
    CHECK_NEAR(s.avg_acc, (80.0 + 250.0 / 3.0) / 2.0, 1e-12);
    CHECK_NEAR(s.old_acc, 90.0, 1e-12);
    CHECK_NEAR(s.new_acc, 80.0, 1e-12);
    CHECK_NEAR(s.fwt, 50.0, 1e-12);
    CHECK_NEAR(s.bwt, 10.0, 1e-12);
    CHECK_NEAR(s.forgetting, -10.0, 1e-12);
    CHECK(cl_summary_after(m, 0, &s) == 0);
    CHECK_NEAR(s.acc, 80.0, 1e-12);
    CHECK_NEAR(s.avg_acc, 80.0, 1e-12);
    CHECK(isnan(s.old_acc));
    CHECK_NEAR(s.fwt, 0.0, 0);
    CHECK_NEAR(s.bwt, 0.0, 0);
    CHECK_NEAR(s.forgetting, 0.0, 0);
    cl_matrix_free(m);
}

TEST(metrics_missing_entry_named) {
    cl_matrix *m = cl_matrix_new(3);
    cl_matrix_set(m, 0, 0, 8, 10);
    cl_summary s;
    CHECK(cl_summary_after(m, 0, &s) == 0);
    /* R[1][2] (1-based) missing: the zero-shot column FWT needs */
    cl_matrix_set(m, 1, 0, 9, 10);
    cl_matrix_set(m, 1, 1, 16, 20);
    CHECK(cl_summary_after(m, 1, &s) == -1);
    CHECK(strstr(segp_last_error(), "R[1][2]") != NULL);
    CHECK(cl_matrix_new(0) == NULL);
    cl_matrix_free(m);
}

TEST(metrics_retention) {
    CHECK_NEAR(cl_retention_delta(60.0, 45.0), -15.0, 1e-12);
    CHECK_NEAR(cl_retention_ratio(60.0, 45.0), 75.0, 1e-12);
    CHECK(isnan(cl_retention_ratio(0.0, 45.0)));
}
