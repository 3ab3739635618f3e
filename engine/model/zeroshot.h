/* zeroshot.h: CLIP zero-shot classification, its evaluation on any benchmark (benchmark.h), and
 * the shapes world's breakdown on top of it.
 *
 * The evaluation core, for commands and the continual runner alike:
 *   benchmark_eval        class prompts + images of a split -> logits for every class, the
 *                         prediction among a candidate class set, accuracy overall and per task;
 *   bench_eval_accuracy   the same logits re-scored among another candidate set, on the items of
 *                         one task: R[i][j] (accuracy on task j among the classes seen by
 *                         max(i, j)) for every j comes from one benchmark_eval after task i;
 *   benchmark_eval_embeddings  the scoring step alone, for methods that bring their own class
 *                         or image embeddings.
 * Predictions are the first highest logit among the candidates (label order), as argmax. */
#ifndef SEGP_ZEROSHOT_H
#define SEGP_ZEROSHOT_H

#include <stddef.h>
#include <stdint.h>

#include "clip.h"
#include "data/benchmark.h"
#include "data/shapes.h"
#include "text/tokenizer.h"

/* TEMPLATE with its first "{}" replaced by NAME (the template alone when it has none). */
void zeroshot_fill_template(const char *tmpl, const char *name, char *out, size_t n);

/* 0 when TEMPLATE holds "{}"; else -1 + an error naming WHAT (a key or an option): without it
 * every class gets the same prompt, and the run or the probabilities mean nothing. */
int zeroshot_check_template(const char *tmpl, const char *what);

/* Token ids (n x context) of TEMPLATE filled with each of the n class NAMES. -1 + error. */
int zeroshot_tokenize_prompts(clip_tokenizer *tok, const char *tmpl, const char *const *names,
                              int n, int context, int32_t *ids);

/* Normalised text embeddings of TEMPLATE filled with each class name ({} marks the spot):
 * out is n_cls x embed_dim. -1 + error. */
int zeroshot_class_embeddings(clip_model *m, const clip_lora *lora, clip_tokenizer *tok,
                              const char *const *names, int n_cls, const char *tmpl, float *out);

/* Predicted class of each image (pixels: n x 3 x r x r, normalised) against normalised class
 * embeddings; probs (n x n_cls) optional. */
int zeroshot_predict(clip_model *m, const clip_lora *lora, const float *pixels, int n,
                     const float *class_emb, int n_cls, int32_t *pred, float *probs);

/* ---- benchmark evaluation ---- */

/* Normalised text embeddings of every class of split S (benchmark_split_classes of them: the
 * classes, or the held-out classes), in label order: out is that many x embed_dim. */
int benchmark_class_embeddings(clip_model *m, const clip_lora *lora, clip_tokenizer *tok,
                               const benchmark *b, bench_split s, const char *tmpl, float *out);

/* zeroshot_tokenize_prompts of the names of classes LABELS[0..n-1] (NULL: 0..n-1): the
 * class prompts a training step's text batch starts with. */
int benchmark_class_prompts(clip_tokenizer *tok, const benchmark *b, const int *labels, int n,
                            const char *tmpl, int context, int32_t *ids);

/* Normalised image embeddings of items ITEMS[0..n-1] of split S at the model's resolution
 * (benchmark_image, then ToTensor + Normalize): out is n x embed_dim. Images are made in parallel
 * and encoded in batches, so memory stays bounded for any n. -1 + error naming the item's file. */
int benchmark_image_embeddings(clip_model *m, const clip_lora *lora, const benchmark *b,
                               bench_split s, const int *items, int n, float *out);
/* Bytes one call of it for N items holds besides OUT (its pixel batch, 8-bit and float, and
 * clip_encode_images_bytes): for memory checks before a run. */
size_t benchmark_image_embeddings_bytes(const clip_config *c, int n, int lora_rank,
                                        uint32_t lora_targets);

/* The same, cut into chunks of CHUNK images side by side on the OpenMP threads, each chunk
 * single-threaded inside: one fork per call instead of one per op (small models' ops are too
 * small to share, and stall whenever another process holds a core). The numbers depend on
 * CHUNK, not on the thread count. */
int benchmark_image_embeddings_chunked(clip_model *m, const clip_lora *lora, const benchmark *b,
                                       bench_split s, const int *items, int n, int chunk,
                                       float *out);
/* Normalised embeddings of N normalised images PIXELS [n, 3, r, r] in chunks, as above. */
int clip_encode_images_chunked(clip_model *m, const clip_lora *lora, const float *pixels, int n,
                               int chunk, float *out);

typedef struct {
    bench_split split;
    int n;             /* items evaluated */
    int n_classes;     /* label space of the split (benchmark_split_classes) */
    int *item;         /* n item indices into the split */
    int32_t *label;    /* n true labels */
    int32_t *task;     /* n: task of each item's class (-1 for BENCH_HELDOUT) */
    float *logits;     /* n x n_classes: logit_scale * cosine, for every class whatever the mask */
    int32_t *pred;     /* n: prediction among the candidate classes */
    double overall;    /* % of the n items predicted right (NAN when n == 0) */
    int num_tasks;     /* the benchmark's tasks (0 for BENCH_HELDOUT) */
    double *per_task;  /* num_tasks: % right on the items of each task (NAN when none) */
    int *n_task;       /* num_tasks: items evaluated per task */
} bench_eval_result;

/* Evaluate the items of split S whose class has a nonzero entry in ITEM_CLASSES (NULL: all),
 * predicting among the classes with a nonzero entry in CANDIDATES (NULL: all; both masks have
 * benchmark_split_classes entries). RES is filled (bench_eval_free). -1 + error. */
int benchmark_eval(clip_model *m, const clip_lora *lora, clip_tokenizer *tok, const benchmark *b,
                   const char *tmpl, bench_split s, const uint8_t *item_classes,
                   const uint8_t *candidates, bench_eval_result *res);

/* Bytes benchmark_eval holds at its peak for N items of N_CLASSES classes, the model aside: the
 * items' indices, the classes' text embeddings and the images' embeddings throughout; then the
 * larger of one benchmark_image_embeddings call (N items; LORA_RANK, LORA_TARGETS as there) and
 * the scoring's logits and per-item arrays with KEPT, the bytes the split keeps of its N
 * images once drawn (benchmark_kept_bytes). A lower bound, for memory checks before a run. */
double benchmark_eval_bytes(const clip_config *c, int n, int n_classes, int lora_rank,
                            uint32_t lora_targets, double kept);

/* The scoring step of benchmark_eval from embeddings: IMG_EMB (n x e, for ITEMS) and CLASS_EMB
 * (benchmark_split_classes x e), both normalised, scaled by LOGIT_SCALE. */
int benchmark_eval_embeddings(const benchmark *b, bench_split s, const int *items, int n,
                              const float *img_emb, const float *class_emb, int e,
                              float logit_scale, const uint8_t *candidates,
                              bench_eval_result *res);

/* % right among CANDIDATES (NULL: all) on the evaluated items of task TASK (-1: all items);
 * *n_items (optional) gets their count; NAN when there are none. pred (optional, r->n entries)
 * receives the predictions of those items (others untouched). */
double bench_eval_accuracy(const bench_eval_result *r, const uint8_t *candidates, int task,
                           int *n_items, int32_t *pred);

void bench_eval_free(bench_eval_result *r);

/* ---- the shapes world's breakdown ---- */

typedef struct shapes_zeroshot_result {
    int n;                              /* test images */
    double overall;                     /* accuracy over all 100 classes, % */
    double per_task[SHAPES_N_TASKS];    /* accuracy of each task's classes (the class order's), % */
    double standard, hard;              /* accuracy on standard / hard renditions, % */
    double per_rendition[SHAPES_N_RENDITIONS]; /* accuracy per rendition (shapes_rendition), % */
    int n_rendition[SHAPES_N_RENDITIONS];      /* test images per rendition */
    double per_size[SHAPES_N_SIZES];    /* accuracy per object size (small, medium, large), % */
    double colour_wrong, shape_wrong;   /* share of images whose predicted class has the wrong
                                         * colour / the wrong shape, % (both can be wrong) */
} shapes_zeroshot_result;

/* The breakdown of an evaluation R of a shapes benchmark's train or test split: renditions,
 * sizes, colour/shape errors; per_task from R when the benchmark has SHAPES_N_TASKS tasks (else
 * 0). -1 + error when B is not the shapes world. */
int shapes_zeroshot_breakdown(const benchmark *b, const bench_eval_result *r,
                              shapes_zeroshot_result *res);

/* Zero-shot accuracy on the shapes CL test split of world WP (all 100 classes as candidates),
 * per task of shapes_class_order(wp->order_seed): benchmark_eval on benchmark_open_shapes. */
int shapes_zeroshot_eval(clip_model *m, const clip_lora *lora, clip_tokenizer *tok,
                         const shapes_world_params *wp, const char *tmpl,
                         shapes_zeroshot_result *res);

/* Render + normalise one shapes sample for a model of resolution r. */
int shapes_sample_pixels(const shapes_world_params *wp, const shapes_sample_desc *d, int r,
                         float *out);

#endif
