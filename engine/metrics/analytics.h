/* analytics.h: the per-task analytics of a continual run (METHOD.md §10), computed once after
 * a task's evaluation from embeddings the runner already holds, and saved in tasks/NN/ so that
 * views and figures never recompute:
 *
 *   drift.safetensors     per test image of the seen classes: "drift" (JSD over the old
 *                         classes, teacher vs student), "interface" (m), "class" (position in
 *                         the seen list), "is_old" (0/1); the curve: "curve.edges",
 *                         "curve.mean_old", "curve.mean_new", "curve.count_old",
 *                         "curve.count_new". Absent at the first task (no old classes).
 *   geometry.safetensors  "labels" (benchmark labels of the seen classes, learning order);
 *                         for S in pre, teacher, student: "text.S" [n, e] text embeddings,
 *                         "means.S" [n, e] class means of the test-image embeddings (normalised;
 *                         a zero row for a class without images), "tt.S" text-text, "pt.S"
 *                         means x text, "pp.S" means x means [n, n] cosine matrices;
 *                         "protos" [n, e] the method's prototypes when it keeps them;
 *                         projections of one joint point set: "proj.kind" (0 image, 1 text,
 *                         2 prototype, 3 anchor), "proj.class" (seen position), "proj.row"
 *                         (row in its source array), "proj.pca" [N, 2], "proj.tsne" [N, 2]
 *                         (absent when tsne_points <= 0, N < 4 or e < 2).
 *   analytics.json        the scalar summaries (analytics_summary, below), for tables:
 *                         {"task", "n_old", "n_new", "drift": {"mean", "boundary", "core",
 *                         "boundary_core_ratio", "old", "new"}, "geometry": {"tt_teacher",
 *                         "tt_pre", "pt_teacher", "pt_pre", "pp_teacher", "pp_pre": {
 *                         "mean_abs_diff", "pearson", "cka"}}, "projection": {"pca_explained":
 *                         [2], "tsne_kl", "n_points"}}; NaN as null, numbers to 17 digits.
 * Every tensor is F32: the integer arrays (class, is_old, labels, proj.kind/class/row, the
 * curve counts) hold exact integers. Both .safetensors carry the metadata task (1-based, as
 * eval.json), n_old, n_new.
 * All written atomically.
 *
 * The projected point set: the student text embeddings and the prototypes of the seen classes,
 * then for every class the same number k of student test-image embeddings and of anchors (the
 * first rows of the class in their arrays; fewer where a class has fewer), k the largest that
 * keeps N <= tsne_points. PCA and t-SNE (perplexity and tsne_iters, or projection.h's defaults
 * when <= 0; early exaggeration for min(250, iters / 2) iterations; seed) of that set. */
#ifndef SEGP_ANALYTICS_H
#define SEGP_ANALYTICS_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    int task;                /* 0-based */
    int e;
    float logit_scale;       /* exp(s) */
    int n_old, n_new;        /* seen classes = n_old old then n_new current, learning order */
    const int32_t *labels;   /* [n_old + n_new] benchmark labels */
    /* NORMALISED text embeddings of the seen classes under the three states [n_seen, e] */
    const float *text_pre, *text_teacher, *text_student;
    /* test images of the seen classes: class position, NORMALISED embeddings [n_img, e] */
    int n_img;
    const int32_t *img_class;
    const float *img_pre, *img_teacher, *img_student;
    const float *protos;     /* [n_seen, e] the method's prototypes, or NULL */
    int n_anchor;            /* anchors (0: none): student embeddings and class positions */
    const float *anchor_student;
    const int32_t *anchor_class;
    /* settings */
    int bins;                /* drift curve bins (20) */
    double boundary_frac;    /* 0.2 */
    int tsne_points;         /* cap on the projected points (<= 0: no projections) */
    int tsne_iters;
    double perplexity;
    uint64_t seed;
} analytics_input;

/* One geometry compared between two states. */
typedef struct {
    double mean_abs_diff, pearson, cka;
} geom_compare;

typedef struct {
    /* drift (NAN at the first task) */
    double drift_mean, drift_boundary, drift_core, boundary_core_ratio;
    double drift_old, drift_new; /* mean drift of old-class / new-task test images */
    /* text-text, means x text and means x means: student vs teacher and student vs pretrained
     * (mean |dG| and Pearson r of the strict upper triangles of the matrices and CKA of the
     * text embeddings / class means; for pt the mean |dG| and Pearson over the full matrix and
     * CKA of the means, so pt's cka equals pp's) */
    geom_compare tt_teacher, tt_pre, pt_teacher, pt_pre, pp_teacher, pp_pre;
    double pca_explained[2];
    double tsne_kl;
    int n_points;
} analytics_summary;

/* Compute and write the three files into TASK_DIR; SUM (may be NULL) receives the summaries.
 * -1 + error naming the file. */
int analytics_write(const analytics_input *in, const char *task_dir, analytics_summary *sum);

/* The points the projections (PCA, t-SNE) of analytics_write take for NS seen classes under
 * analytics.projection_points CAP, with the seen classes' prototypes (HAS_PROTOS), test images
 * and anchors per class (IMG_PER_CLASS, ANCHORS_PER_CLASS: NS counts each); *PER_CLASS (may be
 * NULL) receives the images and anchors taken per class. For the memory check before a run. */
int analytics_projection_points(int ns, int cap, int has_protos, const int *img_per_class,
                                const int *anchors_per_class, int *per_class);

/* Read tasks/NN/analytics.json back (ablation tables): -1 + error naming the file. */
int analytics_read_summary(const char *task_dir, analytics_summary *sum);
/* The same over N bytes of an analytics.json in memory; PATH names it in messages. */
int analytics_parse_summary(const char *text, size_t n, const char *path,
                            analytics_summary *sum);

#endif
