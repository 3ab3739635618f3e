/* methods.c: the method table; SeGP-CL (segp.c) and the baselines (zeroshot, finetune, joint),
 * which need no hooks. */
#include "methods.h"

#include <stdlib.h>
#include <string.h>

#include "core/common.h"

static const cl_method zeroshot = {.name = "zeroshot", .doc = "the pretrained model, no training"};
static const cl_method finetune = {.name = "finetune",
                                   .doc = "sequential LoRA-B fine-tuning with L_cls", .trains = 1};
static const cl_method joint = {
    .name = "joint", .doc = "one LoRA-B fine-tune on every class: the matched upper bound",
    .trains = 1, .joint = 1};
extern const cl_method cl_method_segp; /* segp.c */

static const cl_method *const methods[] = {&cl_method_segp, &zeroshot, &finetune, &joint};
#define N_METHODS (int)(sizeof methods / sizeof methods[0])

const cl_method *cl_method_find(const char *name) {
    for (int i = 0; i < N_METHODS; i++)
        if (!strcmp(methods[i]->name, name)) return methods[i];
    return NULL;
}

int cl_method_count(void) { return N_METHODS; }
const cl_method *cl_method_at(int i) { return i >= 0 && i < N_METHODS ? methods[i] : NULL; }

void cl_batch_reserve(cl_batch *b, int n_img, int n_txt) {
    if (n_img > b->cap_img) {
        b->pixels = segp_realloc(b->pixels, (size_t)n_img * b->img_numel * sizeof(float));
        b->cap_img = n_img;
    }
    if (n_txt > b->cap_txt) {
        b->ids = segp_realloc(b->ids, (size_t)n_txt * b->context * sizeof(int32_t));
        b->cap_txt = n_txt;
    }
}
