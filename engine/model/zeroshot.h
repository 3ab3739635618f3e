/* zeroshot.h: CLIP zero-shot classification, and its evaluation on the `shapes` benchmark. */
#ifndef SEGP_ZEROSHOT_H
#define SEGP_ZEROSHOT_H

#include <stddef.h>
#include <stdint.h>

#include "clip.h"
#include "data/shapes.h"
#include "text/tokenizer.h"

/* TEMPLATE with its first "{}" replaced by NAME (the template alone when it has none). */
void zeroshot_fill_template(const char *tmpl, const char *name, char *out, size_t n);

/* Normalised text embeddings of TEMPLATE filled with each class name ({} marks the spot):
 * out is n_cls x embed_dim. -1 + error. */
int zeroshot_class_embeddings(clip_model *m, const clip_lora *lora, clip_tokenizer *tok,
                              const char *const *names, int n_cls, const char *tmpl, float *out);

/* Predicted class of each image (pixels: n x 3 x r x r, normalised) against normalised class
 * embeddings; probs (n x n_cls) optional. */
int zeroshot_predict(clip_model *m, const clip_lora *lora, const float *pixels, int n,
                     const float *class_emb, int n_cls, int32_t *pred, float *probs);

typedef struct shapes_zeroshot_result {
    int n;                              /* test images */
    double overall;                     /* accuracy over all 100 classes, % */
    double per_task[SHAPES_N_TASKS];    /* accuracy of each task's classes (default order), % */
    double standard, hard;              /* accuracy on standard / hard renditions, % */
    double per_rendition[SHAPES_N_RENDITIONS]; /* accuracy per rendition (shapes_rendition), % */
    int n_rendition[SHAPES_N_RENDITIONS];      /* test images per rendition */
    double per_size[SHAPES_N_SIZES];    /* accuracy per object size (small, medium, large), % */
    double colour_wrong, shape_wrong;   /* share of images whose predicted class has the wrong
                                         * colour / the wrong shape, % (both can be wrong) */
} shapes_zeroshot_result;

/* Zero-shot accuracy on the shapes CL test split (all 100 classes as candidates). */
int shapes_zeroshot_eval(clip_model *m, const clip_lora *lora, clip_tokenizer *tok,
                         const shapes_world_params *wp, const char *tmpl,
                         shapes_zeroshot_result *res);

/* Render + normalise one shapes sample for a model of resolution r. */
int shapes_sample_pixels(const shapes_world_params *wp, const shapes_sample_desc *d, int r,
                         float *out);

#endif
