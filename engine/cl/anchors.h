/* anchors.h: DPGD anchors (METHOD.md §3): built once before a task t > 1 from the new task's
 * clean training images, each pushed toward an old class by signed-gradient steps of the
 * teacher's dual objective (cl_losses.h dpgd_objective) in [0,1] pixel space under an l-inf
 * ball; and the anchor set's file, tasks/NN/anchors.safetensors.
 *
 * Sources (the comparisons of the ablation):
 *   ANCHORS_PGD       seeds by teacher score, then K_adv PGD steps (SeGP-CL)
 *   ANCHORS_SEEDS     the same seeds, no PGD steps (the anchors without the attack)
 *   ANCHORS_NEW_TASK  the same number of new-task images drawn at random (seeded) with their
 *                     targets assigned in turn: distillation on new-task data (the paper's
 *                     comparison); their "target" is the old class they were drawn for.
 * Every source yields the same number of anchors, k_seed * n_old, in the order
 * (old class 0: its k_seed anchors by decreasing score), (old class 1: ...), ...
 *
 * Determinism: the result does not depend on the number of threads (chunks of images are
 * independent; each image's PGD is a function of that image alone). */
#ifndef SEGP_ANCHORS_H
#define SEGP_ANCHORS_H

#include <stdint.h>

#include "model/clip.h"
#include "model/lora.h"

enum { ANCHORS_PGD = 0, ANCHORS_SEEDS = 1, ANCHORS_NEW_TASK = 2 };

typedef struct {
    int source;      /* ANCHORS_* */
    int k_seed;      /* seeds per old class (5) */
    int k_adv;       /* PGD steps (10); ignored unless ANCHORS_PGD */
    float step;      /* gamma (1.5e-3), in [0,1] pixel units */
    float eps;       /* l-inf radius (4/255) */
    float lambda_p;  /* weight of the visual-prototype term (1) */
    uint64_t seed;   /* ANCHORS_NEW_TASK's draw */
    int batch;       /* at most this many images per forward/backward chunk (64) */
} dpgd_params;
dpgd_params dpgd_default_params(void);

typedef struct {
    int n;            /* anchors = k_seed * n_old */
    int res;          /* image side */
    int source;       /* ANCHORS_* */
    int k_adv;        /* steps recorded (0 for SEEDS / NEW_TASK) */
    float *pixels;    /* [n, 3, res, res] the anchor images, CHW, in [0,1] (NOT normalised) */
    int32_t *target;  /* [n] the old class (benchmark label) each anchor is pushed toward */
    int32_t *seed;    /* [n] the seed image: its benchmark item index (training split) */
    float *score;     /* [n] Q(seed, target) = f^T(seed).g^T(target) (cosine) */
    float *loss_text; /* [n, k_adv + 1] CE term at delta_0 and after each step */
    float *loss_vis;  /* [n, k_adv + 1] 1 - f^T.mu term (unweighted), same steps */
    float *linf;      /* [n] final ||delta||_inf */
    float *emb_teacher; /* [n, e] normalised teacher embeddings of the final anchors */
    float *emb_seed;    /* [n, e] normalised teacher embeddings of the seeds */
    int e;
} anchor_set;

/* Progress: DONE of TOTAL image-steps; a nonzero return stops the build (returns 1). */
typedef int (*dpgd_progress)(void *user, int64_t done, int64_t total);

/* Build the anchors of a task.
 * POOL: n_pool clean new-task training images, 8-bit RGB HWC at RES (as benchmark_images),
 * with their benchmark item indices POOL_ITEMS. Old classes: OLD_LABELS[n_old], their
 * NORMALISED teacher text embeddings G_OLD [n_old, e] and prototypes MU [n_old, e] (NULL: no
 * visual term). Seeds: for each old class the k_seed pool images of largest f^T(x).g^T(c)
 * (one image may seed several classes; ties: lower pool index).
 * Returns 0, 1 (stopped by PROGRESS), -1 + error (k_seed > n_pool, k_adv < 1 with PGD, eps < 0).
 * OUT is filled (free with anchor_set_free; zeroed on failure). */
int dpgd_build(clip_model *m, const clip_lora *teacher, const uint8_t *pool,
               const int32_t *pool_items, int n_pool, int res, const int32_t *old_labels,
               const float *g_old, const float *mu, int n_old, const dpgd_params *p,
               dpgd_progress progress, void *user, anchor_set *out);
void anchor_set_free(anchor_set *a);
/* Bytes dpgd_build holds at its peak on the CPU for N_POOL pool images at the model's resolution
 * (the pool counted), N_OLD old classes and P, the teacher a LoRA state of rank LORA_RANK on
 * vision targets LORA_TARGETS: a lower bound, for the memory check before a run. Of the
 * per-thread arenas and chunk buffers one is counted whatever the thread count: the chunks are
 * dealt dynamically, so one thread may run them all while the others take none. */
double dpgd_build_bytes(const clip_config *mc, int n_pool, int n_old, const dpgd_params *p,
                        int lora_rank, uint32_t lora_targets);

/* Normalise anchors I0..I0+n-1 for the model (CLIP mean/std), into OUT [n, 3, res, res]. */
void anchor_set_normalised(const anchor_set *a, int i0, int n, float *out);

/* tasks/NN/anchors.safetensors (atomic): target, seed, score, loss_text, loss_vis, linf,
 * emb_teacher, emb_seed by those names; DRIFT [n, e] (f^S(a) - f^T(a) after training; may be
 * NULL) as "drift"; and the anchor images for display as "images" U8 [m, res, res, 3] (HWC,
 * round(255 * pixel)) with "image_rows" I32 [m] (which anchors they are): the first
 * IMAGES_PER_CLASS anchors of each target class (-1: all; 0: none); "dist_seed" [n] the
 * anchor -> seed cosine distance 1 - emb_teacher.emb_seed (anchor -> prototype is loss_vis's
 * last column). Metadata: k_adv, res, source ("pgd", "seeds", "new_task"). */
int anchor_set_save(const anchor_set *a, const float *drift, int images_per_class,
                    const char *path);

/* Read a saved file back (views, figures, tests): every array above except pixels (NULL);
 * *drift (may be NULL) malloc'd or NULL when absent; the images into *images (malloc'd,
 * m x res x res x 3) and *image_rows / *n_images (may be NULL to skip). -1 + error naming the
 * file and tensor (checked shapes). */
int anchor_set_load(const char *path, anchor_set *a, float **drift, uint8_t **images,
                    int32_t **image_rows, int *n_images);

#endif
