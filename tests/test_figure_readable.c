/* test_figure_readable.c: the type of every figure as drawn (the text log), at the shipped run's
 * first, a middle and the last task, at the default size and at one column (3.3 x 2.6 in):
 * legends at FIG_FS_LEGEND, in fewer columns or with shorter labels where they need room,
 * never shrunk. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "export/draw.h"
#include "figure_cases.h"
#include "test.h"

/* Whether box B lies inside legend frame G. */
static int in_legend(const fig_text_box *b, const fig_box *g) {
    return b->x0 >= g->x0 && b->x1 <= g->x1 && b->y0 >= g->y0 && b->y1 <= g->y1;
}

/* Every string inside a legend's frame at FIG_FS_LEGEND (8 pt), the frames inside the page. */
static void legend_full_size(const run_record *r, const run_task_data *td, const fig_variant *v,
                             int task, int one_col) {
    const char *name = case_name(v, task, one_col);
    fig_text_log log = {0};
    double w = 0, h = 0;
    text_layout(r, td, v, task, one_col, &log, &w, &h);
    CHECK_MSG(log.n_legend >= 1, "%s: no legend", name);
    int labels = 0;
    for (int l = 0; l < log.n_legend; l++) {
        const fig_box *g = &log.legend[l];
        CHECK_MSG(g->x0 >= 0 && g->y0 >= 0 && g->x1 <= w && g->y1 <= h,
                  "%s: legend (%.1f, %.1f)-(%.1f, %.1f) outside the page %.1f x %.1f", name,
                  g->x0, g->y0, g->x1, g->y1, w, h);
        for (int i = 0; i < log.n; i++) {
            const fig_text_box *b = &log.box[i];
            if (!in_legend(b, g)) continue;
            labels++;
            CHECK_MSG(fabs(b->size - FIG_FS_LEGEND) < 0.01, "%s: legend label '%s' at %.2f pt (%g)",
                      name, b->text, b->size, FIG_FS_LEGEND);
        }
    }
    CHECK_MSG(labels >= 2, "%s: %d legend labels", name, labels);
    /* the anchor losses at one column: one legend, under both panels */
    if (one_col && !strcmp(v->fig, "anchor-losses"))
        CHECK_MSG(log.n_legend == 1 && log.legend[0].x0 < w / 4 && log.legend[0].x1 > w * 3 / 4,
                  "%s: %d legends, the first from %.1f to %.1f pt of %.1f", name, log.n_legend,
                  log.legend[0].x0, log.legend[0].x1, w);
    fig_text_log_free(&log);
}

/* Legends keep their 8 pt: at one column they were shrunk to fit two columns below the plot
 * (the projection's to 7.35 pt, the accuracy curve's to 6.9) or half a panel (the anchor
 * losses' to 6.4); they take shorter labels ("New classes", "Anchor (old class)"), the anchor
 * losses' one legend under both panels. And no string over another with them. */
TEST(figure_legends_keep_their_size) {
    static const char *const figs[] = {"projection", "accuracy-curve", "drift-interface",
                                       "anchor-losses"};
    every_figure(figs, 4, legend_full_size);
    every_figure(figs, 4, text_apart);
}
