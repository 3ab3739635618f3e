/* lora.c: LoRA states (A frozen and seeded, B trained) over a frozen CLIP model. */
#include "lora.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clip_internal.h"
#include "core/common.h"
#include "core/rng.h"
#include "io/safetensors.h"

static const char *target_names[LORA_N_TARGETS] = {"q", "k", "v", "out", "fc", "proj"};

const char *clip_lora_target_name(int target) {
    return target >= 0 && target < LORA_N_TARGETS ? target_names[target] : "?";
}

clip_lora_params clip_lora_default_params(void) {
    return (clip_lora_params){.rank = 32,
                              .alpha = 32.0f,
                              .targets = LORA_Q | LORA_V | LORA_FC | LORA_PROJ,
                              .vision = 1,
                              .text = 1,
                              .seed = 0};
}

static void dims_of(const clip_config *c, int tower, int target, int *in, int *out) {
    int w = tower ? c->t_width : c->v_width, mlp = tower ? c->t_mlp : c->v_mlp;
    *in = w;
    *out = w;
    if (target == 4) *out = mlp;      /* c_fc */
    else if (target == 5) *in = mlp;  /* c_proj */
}

void clip_lora_sizes(const clip_config *c, const clip_lora_params *p, size_t *a_size,
                     size_t *b_size) {
    size_t a = 0, b = 0;
    for (int tower = 0; tower < 2; tower++) {
        int on = tower ? p->text && c->has_text : p->vision && c->has_vision;
        int layers = !on ? 0 : tower ? c->t_layers : c->v_layers;
        for (int t = 0; t < LORA_N_TARGETS; t++) {
            if (!(p->targets & (1u << t))) continue;
            int in, out;
            dims_of(c, tower, t, &in, &out);
            a += (size_t)layers * p->rank * in;
            b += (size_t)layers * out * p->rank;
        }
    }
    *a_size = a;
    *b_size = b;
}

clip_lora *clip_lora_new(const clip_model *m, const clip_lora_params *p) {
    const clip_config *c = clip_model_config(m);
    if (p->rank <= 0 || p->rank > 4096)
        return SEGP_FAIL("lora rank %d is out of range (expected 1..4096)", p->rank), NULL;
    if (!(p->targets & ((1u << LORA_N_TARGETS) - 1)))
        return SEGP_FAIL("lora targets: none selected (expected some of q,k,v,out,fc,proj)"),
               NULL;
    clip_lora *l = segp_calloc(1, sizeof *l);
    l->p = *p;
    l->scale = p->alpha / (float)p->rank;
    l->be = clip_model_backend(m);
    l->v_layers = c->has_vision ? c->v_layers : 0;
    l->t_layers = c->has_text ? c->t_layers : 0;
    int layers_max = l->v_layers > l->t_layers ? l->v_layers : l->t_layers;
    l->index =
        segp_malloc((size_t)2 * (layers_max ? layers_max : 1) * LORA_N_TARGETS * sizeof(int));
    for (int i = 0; i < 2 * (layers_max ? layers_max : 1) * LORA_N_TARGETS; i++) l->index[i] = -1;
    l->slots = segp_calloc((size_t)2 * (layers_max ? layers_max : 1) * LORA_N_TARGETS,
                           sizeof(clip_lora_slot));
    size_t a_off = 0, b_off = 0;
    for (int tower = 0; tower < 2; tower++) {
        if ((tower == 0 && !p->vision) || (tower == 1 && !p->text)) continue;
        int layers = tower ? l->t_layers : l->v_layers;
        for (int layer = 0; layer < layers; layer++)
            for (int t = 0; t < LORA_N_TARGETS; t++) {
                if (!(p->targets & (1u << t))) continue;
                clip_lora_slot *s = &l->slots[l->n_slots];
                s->tower = tower;
                s->layer = layer;
                s->target = t;
                dims_of(c, tower, t, &s->in, &s->out);
                s->a_off = a_off;
                s->b_off = b_off;
                a_off += (size_t)p->rank * s->in;
                b_off += (size_t)s->out * p->rank;
                l->index[(tower * layers_max + layer) * LORA_N_TARGETS + t] = l->n_slots++;
            }
    }
    l->a_size = a_off;
    l->b_size = b_off;
    /* keep the index stride: layers_max is recomputed in clip_lora_find from the counts */
    float *ha = segp_malloc((a_off ? a_off : 1) * sizeof(float));
    for (int i = 0; i < l->n_slots; i++) {
        const clip_lora_slot *s = &l->slots[i];
        /* kaiming_uniform_(a=sqrt(5)) as nn.Linear: bound = 1/sqrt(fan_in) */
        float bound = 1.0f / sqrtf((float)s->in);
        rng_state r = rng_seed(p->seed, 0x4C6F5241ull + (uint64_t)i);
        for (size_t j = 0; j < (size_t)p->rank * s->in; j++)
            ha[s->a_off + j] = (2.0f * rng_uniform(&r) - 1.0f) * bound;
    }
    l->a = l->be->alloc((a_off ? a_off : 1) * sizeof(float));
    l->b = l->be->alloc((b_off ? b_off : 1) * sizeof(float));
    l->be->to_device(l->a, ha, a_off * sizeof(float));
    l->be->zero(l->b, b_off * sizeof(float));
    free(ha);
    return l;
}

const clip_lora_slot *clip_lora_find(const clip_lora *l, int tower, int layer, int target) {
    int layers_max = l->v_layers > l->t_layers ? l->v_layers : l->t_layers;
    int layers = tower ? l->t_layers : l->v_layers;
    if (layer < 0 || layer >= layers || target < 0 || target >= LORA_N_TARGETS) return NULL;
    int k = l->index[(tower * layers_max + layer) * LORA_N_TARGETS + target];
    return k >= 0 ? &l->slots[k] : NULL;
}

clip_lora *clip_lora_clone(const clip_lora *src) {
    clip_lora *l = segp_calloc(1, sizeof *l);
    *l = *src;
    int layers_max = src->v_layers > src->t_layers ? src->v_layers : src->t_layers;
    size_t ni = (size_t)2 * (layers_max ? layers_max : 1) * LORA_N_TARGETS;
    l->index = segp_malloc(ni * sizeof(int));
    memcpy(l->index, src->index, ni * sizeof(int));
    l->slots = segp_malloc(ni * sizeof(clip_lora_slot));
    memcpy(l->slots, src->slots, ni * sizeof(clip_lora_slot));
    l->a = l->be->alloc((l->a_size ? l->a_size : 1) * sizeof(float));
    l->b = l->be->alloc((l->b_size ? l->b_size : 1) * sizeof(float));
    l->be->copy(l->a, src->a, l->a_size * sizeof(float));
    l->be->copy(l->b, src->b, l->b_size * sizeof(float));
    return l;
}

void clip_lora_copy_b(clip_lora *dst, const clip_lora *src) {
    SEGP_CHECK(dst->b_size == src->b_size, "LoRA states of different layouts");
    dst->be->copy(dst->b, src->b, src->b_size * sizeof(float));
}

int clip_lora_same_b(const clip_lora *a, const clip_lora *b) {
    if (a->b_size != b->b_size) return 0;
    size_t n = (a->b_size + 1) * sizeof(float);
    float *ha = segp_malloc(n), *hb = segp_malloc(n);
    a->be->to_host(ha, a->b, a->b_size * sizeof(float));
    b->be->to_host(hb, b->b, b->b_size * sizeof(float));
    int same = !memcmp(ha, hb, a->b_size * sizeof(float));
    free(ha), free(hb);
    return same;
}

void clip_lora_free(clip_lora *l) {
    if (!l) return;
    l->be->free(l->a);
    l->be->free(l->b);
    free(l->slots);
    free(l->index);
    free(l);
}

size_t clip_lora_trainable(const clip_lora *l) { return l->b_size; }

static void slot_name(const clip_lora_slot *s, const char *which, char *out, size_t n) {
    snprintf(out, n, "lora.%s.%d.%s.%s", s->tower ? "text" : "visual", s->layer,
             target_names[s->target], which);
}

int clip_lora_save(const clip_lora *l, const char *path) {
    int n = 2 * l->n_slots;
    st_write_tensor *wt = segp_calloc((size_t)(n ? n : 1), sizeof *wt);
    char (*names)[96] = segp_calloc((size_t)(n ? n : 1), sizeof *names);
    float *ha = segp_malloc((l->a_size + 1) * sizeof(float));
    float *hb = segp_malloc((l->b_size + 1) * sizeof(float));
    l->be->to_host(ha, l->a, l->a_size * sizeof(float));
    l->be->to_host(hb, l->b, l->b_size * sizeof(float));
    for (int i = 0; i < l->n_slots; i++) {
        const clip_lora_slot *s = &l->slots[i];
        slot_name(s, "A", names[2 * i], sizeof names[0]);
        slot_name(s, "B", names[2 * i + 1], sizeof names[0]);
        wt[2 * i] = (st_write_tensor){names[2 * i], ST_F32, 2, {l->p.rank, s->in}, ha + s->a_off};
        wt[2 * i + 1] =
            (st_write_tensor){names[2 * i + 1], ST_F32, 2, {s->out, l->p.rank}, hb + s->b_off};
    }
    char rank[32], alpha[32], targets[32];
    snprintf(rank, sizeof rank, "%d", l->p.rank);
    snprintf(alpha, sizeof alpha, "%.9g", (double)l->p.alpha);
    snprintf(targets, sizeof targets, "%u", (unsigned)l->p.targets);
    const char *keys[3] = {"segp.lora_rank", "segp.lora_alpha", "segp.lora_targets"};
    const char *vals[3] = {rank, alpha, targets};
    int rc = st_write(path, wt, n, keys, vals, 3);
    free(ha);
    free(hb);
    free(names);
    free(wt);
    return rc;
}

/* Load from the open file F (closed here). */
static int load_from(clip_lora *l, st_file *f) {
    const char *path = st_path(f);
    int rc = 0;
    const char *rank = st_metadata(f, "segp.lora_rank");
    char *end;
    if (rank) {
        long r = strtol(rank, &end, 10);
        if (!*rank || *end || r != l->p.rank) {
            rc = SEGP_FAIL("%s: LoRA rank \"%.20s\" does not match the configured rank %d", path,
                           rank, l->p.rank);
            goto done;
        }
    }
    const char *alpha_s = st_metadata(f, "segp.lora_alpha");
    float alpha = l->p.alpha;
    if (alpha_s) {
        double a = strtod(alpha_s, &end);
        /* 0 is lora.alpha's lowest value: a run that chose it reads its checkpoints back */
        if (!*alpha_s || *end || !(a >= 0 && a <= 1e30)) {
            rc = SEGP_FAIL("%s: metadata segp.lora_alpha = \"%.20s\" is not a number >= 0",
                           path, alpha_s);
            goto done;
        }
        alpha = (float)a;
    }
    float *ha = segp_malloc((l->a_size + 1) * sizeof(float));
    float *hb = segp_malloc((l->b_size + 1) * sizeof(float));
    for (int i = 0; i < l->n_slots && rc == 0; i++) {
        const clip_lora_slot *s = &l->slots[i];
        for (int k = 0; k < 2 && rc == 0; k++) {
            char nm[96];
            slot_name(s, k ? "B" : "A", nm, sizeof nm);
            const st_tensor *t = st_find(f, nm);
            int64_t r0 = k ? s->out : l->p.rank, r1 = k ? l->p.rank : s->in;
            if (!t)
                rc = SEGP_FAIL("%s: missing tensor '%s'", path, nm);
            else if (t->ndim != 2 || t->shape[0] != r0 || t->shape[1] != r1)
                rc = SEGP_FAIL("%s: tensor '%s' has the wrong shape (expected [%lld, %lld])",
                               path, nm, (long long)r0, (long long)r1);
            else if ((rc = st_read_f32(f, t, k ? hb + s->b_off : ha + s->a_off)) == 0) {
                const float *v = k ? hb + s->b_off : ha + s->a_off;
                for (int64_t j = 0; j < t->numel && rc == 0; j++)
                    if (!isfinite(v[j]))
                        rc = SEGP_FAIL("%s: tensor '%s' holds a non-finite value (NaN or inf) "
                                       "at element %lld", path, nm, (long long)j);
            }
        }
    }
    if (rc == 0) { /* the state changes only when everything was read */
        l->p.alpha = alpha;
        l->scale = alpha / (float)l->p.rank;
        l->be->to_device(l->a, ha, l->a_size * sizeof(float));
        l->be->to_device(l->b, hb, l->b_size * sizeof(float));
    }
    free(ha);
    free(hb);
done:
    st_close(f);
    return rc;
}

int clip_lora_load(clip_lora *l, const char *path) {
    st_file *f = st_open(path);
    return f ? load_from(l, f) : -1;
}

int clip_lora_load_memory(clip_lora *l, const char *name, const void *data, size_t size) {
    st_file *f = st_open_memory(name, data, size);
    return f ? load_from(l, f) : -1;
}
