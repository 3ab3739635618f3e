/* figure.c: the figure catalogue (placeholder until the drawing lands: every export fails with
 * a message, so that callers of figure.h link today). */
#include <string.h>

#include "core/common.h"
#include "export/figure.h"

static const figure_info figures[] = {
    {"simmat-text", "text x text cosine similarities of the seen classes", 1, 0},
    {"simmat-cross", "image class means x text cosine similarities (pt)", 1, 0},
    {"simmat-proto", "class means x class means cosine similarities (pp)", 1, 0},
    {"simmat-diff", "student - teacher (or - pretrained) similarity difference", 1, 0},
    {"projection", "2-D PCA or t-SNE of images, texts, prototypes, anchors", 1, 0},
    {"accuracy-matrix", "accuracy on task j after task i", 0, 0},
    {"accuracy-curve", "A_t, average, old- and new-class accuracy per task", 0, 1},
    {"drift-interface", "mean drift per interface-distance bin, old and new samples", 1, 0},
    {"anchor-losses", "the two PGD objectives per step over anchors", 1, 0},
};
#define N_FIGURES (int)(sizeof figures / sizeof figures[0])

void figure_options_default(figure_options *o) {
    memset(o, 0, sizeof *o);
    o->format = FIG_PNG;
    o->dpi = 300;
    o->state = RUN_STATE_STUDENT;
    o->against = RUN_STATE_TEACHER;
    o->write_data = 1;
}

const figure_info *figure_list(int *n) {
    *n = N_FIGURES;
    return figures;
}

const figure_info *figure_find(const char *name) {
    for (int i = 0; i < N_FIGURES; i++)
        if (!strcmp(figures[i].name, name)) return &figures[i];
    return NULL;
}

int figure_check(const run_record *r, const run_task_data *td, const char *figure, int task,
                 const figure_options *o) {
    return SEGP_FAIL("figure %s: figures are not built yet", figure);
}

int figure_export(const run_record *r, const run_task_data *td, const char *figure, int task,
                  const figure_options *o, const char *out_path) {
    return SEGP_FAIL("figure %s: figures are not built yet", figure);
}

int figure_export_compare(const run_record *const *runs, const char *const *labels, int n,
                          const char *figure, const figure_options *o, const char *out_path) {
    return SEGP_FAIL("figure %s: figures are not built yet", figure);
}

void figure_default_name(const char *figure, int task, const figure_options *o, char *buf,
                         size_t n) {
    snprintf(buf, n, "%s-t%02d.%s", figure, task + 1, fig_format_ext(o ? o->format : FIG_PNG));
}

const char *fig_format_ext(fig_format f) {
    return f == FIG_SVG ? "svg" : f == FIG_PDF ? "pdf" : "png";
}

int fig_format_parse(const char *s) {
    if (!strcmp(s, "png")) return FIG_PNG;
    if (!strcmp(s, "svg")) return FIG_SVG;
    if (!strcmp(s, "pdf")) return FIG_PDF;
    return -1;
}
