/* lora.h: LoRA states over a frozen CLIP. A state holds the A (frozen, seeded Kaiming-uniform)
 * and B (trained, starts at 0) matrices of every adapted linear; student, teacher and the
 * pretrained reference are three states over one model. y = W x + b + (alpha/r) B A x. */
#ifndef SEGP_LORA_H
#define SEGP_LORA_H

#include <stddef.h>
#include <stdint.h>

#include "clip.h"

/* Which linears of a block get an adapter (bit mask). */
enum {
    LORA_Q = 1 << 0,
    LORA_K = 1 << 1,
    LORA_V = 1 << 2,
    LORA_OUT = 1 << 3,
    LORA_FC = 1 << 4,   /* mlp.c_fc */
    LORA_PROJ = 1 << 5, /* mlp.c_proj */
};
#define LORA_N_TARGETS 6

typedef struct {
    int rank;         /* r, default 32 */
    float alpha;      /* default = rank */
    uint32_t targets; /* default LORA_Q | LORA_V | LORA_FC | LORA_PROJ */
    int vision, text; /* towers adapted, default both */
    uint64_t seed;    /* for A */
} clip_lora_params;
clip_lora_params clip_lora_default_params(void);

/* Where one adapter lives. */
typedef struct {
    int tower, layer, target; /* target: index of the bit in LORA_* */
    int in, out;              /* A is [r, in], B is [out, r] */
    size_t a_off, b_off;      /* offsets into the A and B buffers */
} clip_lora_slot;

struct clip_lora {
    clip_lora_params p;
    float scale; /* alpha / rank */
    int n_slots;
    clip_lora_slot *slots;
    /* slot index per (tower, layer, target) or -1 */
    int *index;
    int v_layers, t_layers;
    size_t a_size, b_size; /* floats */
    float *a, *b;          /* backend memory */
    const segp_backend *be;
};

/* A new state for model M: A drawn from the seed, B = 0. NULL + error on bad params. */
clip_lora *clip_lora_new(const clip_model *m, const clip_lora_params *p);
/* Same layout, A shared by value (copied), B copied: for teacher snapshots. */
clip_lora *clip_lora_clone(const clip_lora *src);
/* Floats of the A and B buffers a state of params P over architecture C holds (clip_lora_new's
 * a_size and b_size), without making one: for memory checks before a run. */
void clip_lora_sizes(const clip_config *c, const clip_lora_params *p, size_t *a_size,
                     size_t *b_size);
void clip_lora_copy_b(clip_lora *dst, const clip_lora *src);
/* 1 when both states hold the same B bit for bit (the same layout assumed from b_size). */
int clip_lora_same_b(const clip_lora *a, const clip_lora *b);
void clip_lora_free(clip_lora *l);

/* Slot of (tower, layer, target bit index) or NULL. */
const clip_lora_slot *clip_lora_find(const clip_lora *l, int tower, int layer, int target);

/* Number of trainable numbers (size of B). */
size_t clip_lora_trainable(const clip_lora *l);

/* Save/load both A and B with names "lora.{visual,text}.L.{q,k,v,out,fc,proj}.{A,B}". */
int clip_lora_save(const clip_lora *l, const char *path);
int clip_lora_load(clip_lora *l, const char *path); /* layout must match */
/* The same from a safetensors file in memory; NAME stands for the file in messages. */
int clip_lora_load_memory(clip_lora *l, const char *name, const void *data, size_t size);

const char *clip_lora_target_name(int target);

#endif
