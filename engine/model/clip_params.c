/* clip_params.c: the flat parameter buffer of a CLIP model: its tensor table (OpenAI names,
 * shapes, offsets), random initialisation, saving, parameter counts and FLOP counts. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clip_internal.h"
#include "core/common.h"
#include "core/rng.h"
#include "io/safetensors.h"

clip_load_params clip_default_load_params(void) {
    return (clip_load_params){.device = "cpu", .precision = "auto"};
}

int clip_config_check(const clip_config *c, const char *what) {
    if (!c->has_vision && !c->has_text)
        return SEGP_FAIL("%s: holds neither a vision nor a text tower", what);
    if (c->has_vision) {
        if (c->v_width <= 0 || c->v_layers <= 0 || c->v_heads <= 0 || c->v_mlp <= 0 ||
            c->patch <= 0 || c->grid <= 0)
            return SEGP_FAIL("%s: vision tower has a non-positive size (width %d, layers %d, "
                             "heads %d, mlp %d, patch %d, grid %d)",
                             what, c->v_width, c->v_layers, c->v_heads, c->v_mlp, c->patch,
                             c->grid);
        if (c->v_width % c->v_heads)
            return SEGP_FAIL("%s: vision width %d is not divisible by %d heads (set the "
                             "safetensors metadata key segp.vision_heads)",
                             what, c->v_width, c->v_heads);
    }
    if (c->has_text) {
        if (c->t_width <= 0 || c->t_layers <= 0 || c->t_heads <= 0 || c->t_mlp <= 0 ||
            c->context <= 0 || c->vocab <= 0)
            return SEGP_FAIL("%s: text tower has a non-positive size (width %d, layers %d, "
                             "heads %d, mlp %d, context %d, vocab %d)",
                             what, c->t_width, c->t_layers, c->t_heads, c->t_mlp, c->context,
                             c->vocab);
        if (c->t_width % c->t_heads)
            return SEGP_FAIL("%s: text width %d is not divisible by %d heads (set the "
                             "safetensors metadata key segp.text_heads)",
                             what, c->t_width, c->t_heads);
    }
    if (c->embed_dim <= 0) return SEGP_FAIL("%s: embedding dimension %d", what, c->embed_dim);
    return 0;
}

typedef struct {
    clip_model *m;
    size_t off;
    int cap;
} layout_builder;

static size_t add_tensor(layout_builder *lb, const char *name, int tower, int transposed,
                         int ndim, int64_t d0, int64_t d1, int64_t d2, int64_t d3) {
    clip_model *m = lb->m;
    if (m->n_tensors == lb->cap) {
        lb->cap = lb->cap ? 2 * lb->cap : 64;
        m->tensors = segp_realloc(m->tensors, (size_t)lb->cap * sizeof *m->tensors);
    }
    clip_tensor_info *t = &m->tensors[m->n_tensors++];
    memset(t, 0, sizeof *t);
    snprintf(t->name, sizeof t->name, "%s", name);
    t->ndim = ndim;
    int64_t d[4] = {d0, d1, d2, d3};
    size_t n = 1;
    for (int i = 0; i < ndim; i++) {
        t->shape[i] = d[i];
        n *= (size_t)d[i];
    }
    t->numel = n;
    t->offset = lb->off;
    t->tower = tower;
    t->transposed = transposed;
    lb->off += (n + 15) & ~(size_t)15; /* 64-byte aligned tensors */
    return t->offset;
}

static void add_blocks(layout_builder *lb, const char *prefix, int tower, int layers, int w,
                       int mlp, block_off *bo) {
    char nm[128];
#define T(field, suffix, nd, a, b)                                                          \
    snprintf(nm, sizeof nm, "%s%d.%s", prefix, i, suffix);                                 \
    bo[i].field = add_tensor(lb, nm, tower, 0, nd, a, b, 0, 0)
    for (int i = 0; i < layers; i++) {
        T(ln1_w, "ln_1.weight", 1, w, 0);
        T(ln1_b, "ln_1.bias", 1, w, 0);
        T(in_w, "attn.in_proj_weight", 2, 3 * w, w);
        T(in_b, "attn.in_proj_bias", 1, 3 * w, 0);
        T(out_w, "attn.out_proj.weight", 2, w, w);
        T(out_b, "attn.out_proj.bias", 1, w, 0);
        T(ln2_w, "ln_2.weight", 1, w, 0);
        T(ln2_b, "ln_2.bias", 1, w, 0);
        T(fc_w, "mlp.c_fc.weight", 2, mlp, w);
        T(fc_b, "mlp.c_fc.bias", 1, mlp, 0);
        T(proj_w, "mlp.c_proj.weight", 2, w, mlp);
        T(proj_b, "mlp.c_proj.bias", 1, w, 0);
    }
#undef T
}

void clip_layout_tensors(clip_model *m) {
    const clip_config *c = &m->cfg;
    layout_builder lb = {m, 0, 0};
    m->n_tensors = 0;
    if (c->has_vision) {
        int w = c->v_width, g2 = c->grid * c->grid;
        m->v_conv = add_tensor(&lb, "visual.conv1.weight", 0, 0, 4, w, 3, c->patch, c->patch);
        m->v_cls = add_tensor(&lb, "visual.class_embedding", 0, 0, 1, w, 0, 0, 0);
        m->v_pos = add_tensor(&lb, "visual.positional_embedding", 0, 0, 2, g2 + 1, w, 0, 0);
        m->v_ln_pre_w = add_tensor(&lb, "visual.ln_pre.weight", 0, 0, 1, w, 0, 0, 0);
        m->v_ln_pre_b = add_tensor(&lb, "visual.ln_pre.bias", 0, 0, 1, w, 0, 0, 0);
        m->v_blocks = segp_calloc((size_t)c->v_layers, sizeof(block_off));
        add_blocks(&lb, "visual.transformer.resblocks.", 0, c->v_layers, w, c->v_mlp,
                   m->v_blocks);
        m->v_ln_post_w = add_tensor(&lb, "visual.ln_post.weight", 0, 0, 1, w, 0, 0, 0);
        m->v_ln_post_b = add_tensor(&lb, "visual.ln_post.bias", 0, 0, 1, w, 0, 0, 0);
        /* stored [embed, width]: the transpose of OpenAI's visual.proj */
        m->v_proj = add_tensor(&lb, "visual.proj", 0, 1, 2, c->embed_dim, w, 0, 0);
    }
    if (c->has_text) {
        int w = c->t_width;
        m->t_tok = add_tensor(&lb, "token_embedding.weight", 1, 0, 2, c->vocab, w, 0, 0);
        m->t_pos = add_tensor(&lb, "positional_embedding", 1, 0, 2, c->context, w, 0, 0);
        m->t_blocks = segp_calloc((size_t)c->t_layers, sizeof(block_off));
        add_blocks(&lb, "transformer.resblocks.", 1, c->t_layers, w, c->t_mlp, m->t_blocks);
        m->t_ln_w = add_tensor(&lb, "ln_final.weight", 1, 0, 1, w, 0, 0, 0);
        m->t_ln_b = add_tensor(&lb, "ln_final.bias", 1, 0, 1, w, 0, 0, 0);
        m->t_proj = add_tensor(&lb, "text_projection", 1, 1, 2, c->embed_dim, w, 0, 0);
    }
    m->logit_scale = add_tensor(&lb, "logit_scale", 2, 0, 0, 0, 0, 0, 0);
    m->n_params = lb.off;
}

void clip_layout_alloc(clip_model *m, const segp_backend *be) {
    m->be = be;
    m->params = be->alloc(m->n_params * sizeof(float));
    be->zero(m->params, m->n_params * sizeof(float));
}

void clip_layout_build(clip_model *m, const segp_backend *be) {
    clip_layout_tensors(m);
    clip_layout_alloc(m, be);
}

size_t clip_config_num_params(const clip_config *c) {
    clip_model m; /* the tensor table only: no weights */
    memset(&m, 0, sizeof m);
    m.cfg = *c;
    clip_layout_tensors(&m);
    free(m.tensors), free(m.v_blocks), free(m.t_blocks);
    return m.n_params;
}

static int ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && !strcmp(s + n - k, suffix);
}

clip_model *clip_model_random(const clip_config *cfg, uint64_t seed, const char *device) {
    const segp_backend *be = segp_backend_get(device);
    if (!be) return NULL;
    if (clip_config_check(cfg, "random model") != 0) return NULL;
    clip_model *m = segp_calloc(1, sizeof *m);
    m->cfg = *cfg;
    snprintf(m->naming, sizeof m->naming, "openai");
    snprintf(m->path, sizeof m->path, "(random, seed %llu)", (unsigned long long)seed);
    clip_layout_build(m, be);
    float *host = segp_malloc(m->n_params * sizeof(float));
    memset(host, 0, m->n_params * sizeof(float));
    for (int i = 0; i < m->n_tensors; i++) {
        const clip_tensor_info *t = &m->tensors[i];
        float *p = host + t->offset;
        rng_state r = rng_seed(seed, (uint64_t)i);
        if (!strcmp(t->name, "logit_scale")) {
            p[0] = logf(1.0f / 0.07f);
        } else if (strstr(t->name, "ln_") && ends_with(t->name, ".weight")) {
            for (size_t j = 0; j < t->numel; j++) p[j] = 1.0f;
        } else if (ends_with(t->name, "bias") || strstr(t->name, ".bias")) {
            /* zero biases, as CLIP's initialisation */
        } else {
            float std = 0.02f;
            if (strstr(t->name, "positional_embedding")) std = 0.01f;
            for (size_t j = 0; j < t->numel; j++) p[j] = std * rng_normal(&r);
        }
    }
    be->to_device(m->params, host, m->n_params * sizeof(float));
    free(host);
    return m;
}

void clip_model_free(clip_model *m) {
    if (!m) return;
    if (m->params) m->be->free(m->params);
    free(m->tensors);
    free(m->v_blocks);
    free(m->t_blocks);
    free(m);
}

const clip_config *clip_model_config(const clip_model *m) { return &m->cfg; }
const segp_backend *clip_model_backend(const clip_model *m) { return m->be; }
const char *clip_model_naming(const clip_model *m) { return m->naming; }
const char *clip_model_path(const clip_model *m) { return m->path; }
float *clip_model_params(clip_model *m) { return m->params; }
size_t clip_model_num_params(const clip_model *m) { return m->n_params; }
int clip_model_tensor_count(const clip_model *m) { return m->n_tensors; }
const clip_tensor_info *clip_model_tensor(const clip_model *m, int i) {
    return i >= 0 && i < m->n_tensors ? &m->tensors[i] : NULL;
}

float clip_model_logit_scale(const clip_model *m) {
    float v;
    m->be->to_host(&v, m->params + m->logit_scale, sizeof v);
    return expf(v);
}

int64_t clip_model_param_count(const clip_model *m, int tower) {
    int64_t n = 0;
    for (int i = 0; i < m->n_tensors; i++)
        if (m->tensors[i].tower == tower) n += (int64_t)m->tensors[i].numel;
    return n;
}

int clip_model_save(const clip_model *m, const char *path, int dtype) {
    int n = m->n_tensors;
    float *host = segp_malloc(m->n_params * sizeof(float));
    m->be->to_host(host, m->params, m->n_params * sizeof(float));
    st_write_tensor *wt = segp_calloc((size_t)n, sizeof *wt);
    float **tmp = segp_calloc((size_t)n, sizeof *tmp);
    for (int i = 0; i < n; i++) {
        const clip_tensor_info *t = &m->tensors[i];
        wt[i].name = t->name;
        wt[i].dtype = (st_dtype)dtype;
        wt[i].ndim = t->ndim;
        for (int d = 0; d < t->ndim; d++) wt[i].shape[d] = t->shape[d];
        wt[i].data = host + t->offset;
        if (t->transposed) { /* back to OpenAI's [width, embed] */
            int64_t r = t->shape[0], c = t->shape[1];
            tmp[i] = segp_malloc(t->numel * sizeof(float));
            for (int64_t a = 0; a < r; a++)
                for (int64_t b = 0; b < c; b++) tmp[i][b * r + a] = host[t->offset + a * c + b];
            wt[i].shape[0] = c;
            wt[i].shape[1] = r;
            wt[i].data = tmp[i];
        }
    }
    const clip_config *c = &m->cfg;
    char vh[32], th[32];
    snprintf(vh, sizeof vh, "%d", c->v_heads);
    snprintf(th, sizeof th, "%d", c->t_heads);
    const char *keys[4], *vals[4];
    int nm = 0;
    keys[nm] = "segp.activation";
    vals[nm++] = c->act == ACT_GELU ? "gelu" : "quick_gelu";
    if (c->has_vision) {
        keys[nm] = "segp.vision_heads";
        vals[nm++] = vh;
    }
    if (c->has_text) {
        keys[nm] = "segp.text_heads";
        vals[nm++] = th;
    }
    int rc = st_write(path, wt, n, keys, vals, nm);
    for (int i = 0; i < n; i++) free(tmp[i]);
    free(tmp);
    free(wt);
    free(host);
    return rc;
}

static double blocks_flops(int b, int l, int w, int mlp, int layers) {
    double n = (double)b * l;
    double lin = 2.0 * n * ((double)w * 3 * w + (double)w * w + 2.0 * w * mlp);
    double att = 4.0 * b * (double)l * l * w;
    return layers * (lin + att);
}

double clip_vision_flops(const clip_config *c, int b) {
    int g2 = c->grid * c->grid, l = g2 + 1;
    double patch = 2.0 * b * g2 * (3.0 * c->patch * c->patch) * c->v_width;
    double head = 2.0 * b * (double)c->v_width * c->embed_dim;
    return patch + blocks_flops(b, l, c->v_width, c->v_mlp, c->v_layers) + head;
}

double clip_text_flops(const clip_config *c, int b, int l) {
    return blocks_flops(b, l, c->t_width, c->t_mlp, c->t_layers) +
           2.0 * b * (double)c->t_width * c->embed_dim;
}
