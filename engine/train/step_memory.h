/* step_memory.h: what one training step holds at once, in bytes, from the architecture and the
 * batch alone (no model loaded), and the refusal of a run whose step cannot fit in the
 * machine's memory, made before the run directory exists: such a run was found out by the
 * kernel's OOM killer at its first step (segp run, finetune, ablate) or at its first checkpoint.
 *
 * The activations are measured by the forward's own layout code (clip_acts_bytes); to them come
 * the weights, the LoRA states, the gradients, the optimiser state, the embeddings and their
 * gradients, the batch's pixels and token ids, and what the phase keeps beside the step (the
 * 8-bit image cache). Every part is a lower bound of what the process holds (no allocator
 * overhead, no loss-term scratch, one arena for a batch the threads split), so a refusal is
 * certain: the step alone exceeds the machine's total memory. */
#ifndef SEGP_STEP_MEMORY_H
#define SEGP_STEP_MEMORY_H

#include "model/clip.h"
#include "model/lora.h"

typedef struct {
    const clip_config *mc;
    const clip_lora_params *lora; /* the trained LoRA state; NULL: the base weights (pretrain) */
    int lora_copies;  /* more LoRA states of the same layout held (the CL teacher) */
    int optim_slots;  /* optimiser floats per trained number: SGD 1, AdamW 2 */
    int n_img;        /* image rows of the step (data images + anchors) */
    int n_txt;        /* text rows (class prompts + appended old-class prompts, or captions) */
    int txt_tokens;   /* tokens the text tower runs: the longest prompt's end + 1 (>= 2) */
    double cache;     /* bytes of the training images the phase caches beside the step (8-bit) */
    double data;      /* bytes of the dataset's images held in memory all along (CIFAR, IDX) */
} step_memory;

/* Bytes of the weights at C and 1 + COPIES LoRA states of LORA (NULL: none): what every phase of
 * a run holds. */
double step_memory_model_bytes(const clip_config *c, const clip_lora_params *lora, int copies);

/* Bytes of one step as described. */
double step_memory_bytes(const step_memory *s);

/* Bytes of memory the checks count on (segp_memory_limit: the machine's, or $SEGP_MEMORY_GIB's
 * less), 0 when unknown or the variable is malformed (the checks then fail, naming it). */
double step_memory_physical(void);

/* 0 when S fits (or the machine's memory is unknown), else -1 + error: "WHAT: a training step
 * needs at least N GiB ... and this machine has M GiB of memory (expected ADVICE)" (or
 * "SEGP_MEMORY_GIB allows M GiB of memory"); -1 + error when SEGP_MEMORY_GIB is malformed. */
int step_memory_check(const step_memory *s, const char *what, const char *advice);

/* The same refusal for another phase of a run (anchors, evaluation, analytics) whose lower
 * bound is NEED bytes: "WHAT: PHASE needs at least N GiB and this machine has M GiB of memory
 * (expected ADVICE)"; 0 when it fits or the machine's memory is unknown. */
int phase_memory_check(double need, const char *what, const char *phase, const char *advice);

#endif
