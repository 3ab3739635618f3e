/* clip_forward.c: forward and backward passes of the CLIP towers, llm.c style: one function
 * pair per layer, activations carved from one arena sized per batch shape. LoRA branches are
 * added to the q/k/v slices of the packed in-projection, the out-projection and the MLP linears.
 * Backward only does the work that was requested in clip_grads. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "clip_internal.h"
#include "core/common.h"

/* ---------------------------------------------------------------- activations arena */

typedef struct {
    float *x_in, *ln1, *ln1_mean, *ln1_rstd, *qkv, *probs, *attn_o, *x_mid, *ln2, *ln2_mean,
        *ln2_rstd, *fc_pre, *fc_act;
    float *lt[LORA_N_TARGETS]; /* x A^T of each adapter (n x r) */
} layer_acts;

struct clip_acts {
    int tower, b, l, keep, valid;
    const segp_backend *be; /* owner of buf */
    size_t cap;
    float *buf;
    int n_layers;
    layer_acts *layers;
    float *x_out;                  /* output of the last block */
    float *x_emb, *emb_mean, *emb_rstd; /* vision: pre-ln_pre tokens and ln_pre stats */
    float *patches, *patch_out;    /* vision */
    float *pooled, *pool_ln, *pool_mean, *pool_rstd;
    int32_t *pool_idx;             /* host: rows pooled (class / end-of-text token) */
    int32_t *pool_idx_dev;         /* the same in backend memory (arena) */
    int32_t *ids_dev;              /* text [b, ctx] token ids in backend memory (arena) */
    int ctx;
    /* backward scratch */
    float *dx, *dln, *dattn, *dqkv, *dbig, *dlt, *dpool, *dpool2, *dpatches;
};

clip_acts *clip_acts_new(void) { return segp_calloc(1, sizeof(clip_acts)); }

void clip_acts_free(clip_acts *a) {
    if (!a) return;
    if (a->buf) a->be->free(a->buf);
    free(a->layers);
    free(a->pool_idx);
    free(a);
}

typedef struct {
    float *base;
    size_t off;
} cursor;

static float *take(cursor *c, size_t n) {
    float *p = c->base ? c->base + c->off : NULL;
    c->off += (n + 15) & ~(size_t)15;
    return p;
}

/* The adapters the layout makes room for: LoRA rank R (0: none) and, per tower, the bit mask
 * of adapted targets of every layer (clip_lora_new adapts every layer of an adapted tower). */
typedef struct {
    int r;
    uint32_t targets[2];
} lora_shape;

static lora_shape lora_shape_of(const clip_lora *lora) {
    lora_shape s = {0, {0, 0}};
    if (!lora) return s;
    s.r = lora->p.rank;
    s.targets[0] = lora->v_layers && lora->p.vision ? lora->p.targets : 0;
    s.targets[1] = lora->t_layers && lora->p.text ? lora->p.targets : 0;
    return s;
}

/* Lay out (base == NULL: measure) the arena for this tower and batch shape. */
static size_t acts_layout(clip_acts *a, const clip_config *c, const lora_shape *ls, int tower,
                          float *base) {
    int w = tower ? c->t_width : c->v_width, mlp = tower ? c->t_mlp : c->v_mlp;
    int h = tower ? c->t_heads : c->v_heads, layers = tower ? c->t_layers : c->v_layers;
    size_t n = (size_t)a->b * a->l, r = (size_t)ls->r;
    cursor cur = {base, 0};
    float *xs_shared[2] = {NULL, NULL};
    layer_acts shared;
    memset(&shared, 0, sizeof shared);
    if (!a->keep) { /* one set reused by every layer; x ping-pongs */
        xs_shared[0] = take(&cur, n * w);
        xs_shared[1] = take(&cur, n * w);
        shared.ln1 = take(&cur, n * w);
        shared.ln1_mean = take(&cur, n);
        shared.ln1_rstd = take(&cur, n);
        shared.qkv = take(&cur, n * 3 * w);
        shared.probs = take(&cur, (size_t)a->b * h * a->l * a->l);
        shared.attn_o = take(&cur, n * w);
        shared.ln2 = take(&cur, n * w);
        shared.ln2_mean = take(&cur, n);
        shared.ln2_rstd = take(&cur, n);
        shared.fc_pre = take(&cur, n * mlp);
        shared.fc_act = take(&cur, n * mlp);
        for (int t = 0; t < LORA_N_TARGETS; t++) shared.lt[t] = r ? take(&cur, n * r) : NULL;
    }
    float *prev_out = NULL;
    for (int i = 0; i < layers; i++) {
        layer_acts *la = &a->layers[i];
        if (!a->keep) {
            *la = shared;
            la->x_in = xs_shared[i & 1];
            la->x_mid = xs_shared[(i + 1) & 1]; /* x_out written in place of x_mid */
            continue;
        }
        la->x_in = i == 0 ? take(&cur, n * w) : prev_out;
        la->ln1 = take(&cur, n * w);
        la->ln1_mean = take(&cur, n);
        la->ln1_rstd = take(&cur, n);
        la->qkv = take(&cur, n * 3 * w);
        la->probs = take(&cur, (size_t)a->b * h * a->l * a->l);
        la->attn_o = take(&cur, n * w);
        la->x_mid = take(&cur, n * w);
        la->ln2 = take(&cur, n * w);
        la->ln2_mean = take(&cur, n);
        la->ln2_rstd = take(&cur, n);
        la->fc_pre = take(&cur, n * mlp);
        la->fc_act = take(&cur, n * mlp);
        for (int t = 0; t < LORA_N_TARGETS; t++)
            la->lt[t] = ls->targets[tower] >> t & 1 ? take(&cur, n * r) : NULL;
        prev_out = take(&cur, n * w);
    }
    a->x_out = a->keep ? prev_out : a->layers[layers - 1].x_mid;
    if (!a->keep && layers == 0) a->x_out = xs_shared[0];
    a->x_emb = take(&cur, n * w);
    a->emb_mean = take(&cur, n);
    a->emb_rstd = take(&cur, n);
    if (tower == 0) {
        size_t np = (size_t)a->b * c->grid * c->grid;
        a->patches = take(&cur, np * 3 * c->patch * c->patch);
        a->patch_out = take(&cur, np * w);
        a->dpatches = a->keep ? take(&cur, np * 3 * c->patch * c->patch) : NULL;
    }
    /* index arrays (int32, the size of a float) */
    a->pool_idx_dev = (int32_t *)take(&cur, (size_t)a->b);
    a->ids_dev = tower == 1 ? (int32_t *)take(&cur, (size_t)a->b * c->context) : NULL;
    a->pooled = take(&cur, (size_t)a->b * w);
    a->pool_ln = take(&cur, (size_t)a->b * w);
    a->pool_mean = take(&cur, (size_t)a->b);
    a->pool_rstd = take(&cur, (size_t)a->b);
    if (a->keep) {
        a->dx = take(&cur, n * w);
        a->dln = take(&cur, n * w);
        a->dattn = take(&cur, n * w);
        a->dqkv = take(&cur, n * 3 * w);
        a->dbig = take(&cur, n * mlp);
        a->dlt = r ? take(&cur, n * r) : NULL;
        a->dpool = take(&cur, (size_t)a->b * w);
        a->dpool2 = take(&cur, (size_t)a->b * w);
    }
    return cur.off;
}

static void acts_prepare(clip_acts *a, const clip_model *m, const clip_lora *lora, int tower,
                         int b, int l, int keep) {
    const clip_config *c = &m->cfg;
    int layers = tower ? c->t_layers : c->v_layers;
    if (a->n_layers < layers) {
        a->layers = segp_realloc(a->layers, (size_t)layers * sizeof(layer_acts));
        a->n_layers = layers;
    }
    a->tower = tower;
    a->b = b;
    a->l = l;
    a->keep = keep;
    lora_shape ls = lora_shape_of(lora);
    size_t need = acts_layout(a, c, &ls, tower, NULL);
    if (need > a->cap) {
        if (a->buf) a->be->free(a->buf);
        a->be = m->be;
        a->buf = m->be->alloc(need * sizeof(float));
        a->cap = need;
    }
    acts_layout(a, c, &ls, tower, a->buf);
    a->pool_idx = segp_realloc(a->pool_idx, (size_t)b * sizeof(int32_t));
    a->valid = 0;
}

size_t clip_acts_bytes(const clip_config *c, int tower, int b, int l, int keep, int lora_rank,
                       uint32_t lora_targets) {
    /* the layout itself, measuring (base NULL): what acts_prepare would allocate */
    int layers = tower ? c->t_layers : c->v_layers;
    clip_acts a = {.tower = tower, .b = b, .l = l, .keep = keep, .n_layers = layers};
    layer_acts one;
    a.layers = layers > 1 ? segp_malloc((size_t)layers * sizeof(layer_acts)) : &one;
    lora_shape ls = {lora_rank > 0 ? lora_rank : 0, {0, 0}};
    if (ls.r) ls.targets[tower] = lora_targets & ((1u << LORA_N_TARGETS) - 1);
    size_t floats = acts_layout(&a, c, &ls, tower, NULL);
    if (a.layers != &one) free(a.layers);
    return floats * sizeof(float);
}

size_t clip_acts_allocated(const clip_acts *a) { return a->cap * sizeof(float); }

/* ---------------------------------------------------------------- linear with LoRA */

typedef struct {
    const clip_lora_slot *slot;
    int col; /* first output column of the adapter's slice */
    float *lt;
} lora_branch;

/* y[n, ldy] (+)= x[n,in] W^T + bias, plus LoRA branches on column slices. beta 0 or 1. */
static void linear_fwd(const segp_backend *be, float *y, int ldy, const float *x, int n, int in,
                       int out, const float *w, const float *bias, float beta,
                       const clip_lora *lora, const lora_branch *br, int nbr) {
    be->gemm(0, 1, n, out, in, 1.0f, x, in, w, in, beta, y, ldy);
    if (bias) be->add_bias(y, bias, n, out); /* callers pass ldy == out when bias != NULL */
    for (int i = 0; i < nbr; i++) {
        const clip_lora_slot *s = br[i].slot;
        int r = lora->p.rank;
        be->gemm(0, 1, n, r, in, 1.0f, x, in, lora->a + s->a_off, in, 0.0f, br[i].lt, r);
        be->gemm(0, 1, n, s->out, r, lora->scale, br[i].lt, r, lora->b + s->b_off, r, 1.0f,
                 y + br[i].col, ldy);
    }
}

/* Backward of linear_fwd. dx (n x in) overwritten (dx_acc 0) or added to (1); NULL: not needed.
 * dw/db (weight grads) and lora_db (B grads, same layout as lora->b) added to when not NULL. */
static void linear_bwd(const segp_backend *be, float *dx, int dx_acc, const float *dy, int ldy,
                       const float *x, int n, int in, int out, const float *w, float *dw,
                       float *db, const clip_lora *lora, const lora_branch *br, int nbr,
                       float *lora_db, float *dlt) {
    if (dx) be->gemm(0, 0, n, in, out, 1.0f, dy, ldy, w, in, dx_acc ? 1.0f : 0.0f, dx, in);
    if (dw) be->gemm(1, 0, out, in, n, 1.0f, dy, ldy, x, in, 1.0f, dw, in);
    if (db) be->bias_grad(db, dy, n, out);
    for (int i = 0; i < nbr; i++) {
        const clip_lora_slot *s = br[i].slot;
        int r = lora->p.rank;
        const float *dys = dy + br[i].col;
        if (lora_db)
            be->gemm(1, 0, s->out, r, n, lora->scale, dys, ldy, br[i].lt, r, 1.0f,
                     lora_db + s->b_off, r);
        if (dx) {
            be->gemm(0, 0, n, r, s->out, lora->scale, dys, ldy, lora->b + s->b_off, r, 0.0f, dlt,
                     r);
            be->gemm(0, 0, n, in, r, 1.0f, dlt, r, lora->a + s->a_off, in, 1.0f, dx, in);
        }
    }
}

static int branches(const clip_lora *lora, int tower, int layer, const int *targets, int nt,
                    const int *cols, const layer_acts *la, lora_branch *out) {
    int k = 0;
    if (!lora) return 0;
    for (int i = 0; i < nt; i++) {
        const clip_lora_slot *s = clip_lora_find(lora, tower, layer, targets[i]);
        if (s) out[k++] = (lora_branch){s, cols[i], la->lt[targets[i]]};
    }
    return k;
}

/* target bit indices */
enum { TQ = 0, TK = 1, TV = 2, TOUT = 3, TFC = 4, TPROJ = 5 };

/* ---------------------------------------------------------------- residual block */

typedef struct {
    int tower, w, h, mlp, causal;
    act_kind act;
    float eps;
} tower_shape;

static void block_fwd(const clip_model *m, const clip_lora *lora, const tower_shape *ts,
                      int layer, const block_off *bo, layer_acts *la, float *x_out, int b,
                      int l) {
    const segp_backend *be = m->be;
    const float *P = m->params;
    int n = b * l, w = ts->w, mlp = ts->mlp;
    lora_branch br[3];
    int nb;

    be->layernorm_fwd(la->ln1, la->ln1_mean, la->ln1_rstd, la->x_in, P + bo->ln1_w,
                      P + bo->ln1_b, n, w, ts->eps);
    static const int qkv_t[3] = {TQ, TK, TV};
    int qkv_c[3] = {0, w, 2 * w};
    nb = branches(lora, ts->tower, layer, qkv_t, 3, qkv_c, la, br);
    linear_fwd(be, la->qkv, 3 * w, la->ln1, n, w, 3 * w, P + bo->in_w, P + bo->in_b, 0.0f, lora,
               br, nb);
    be->attention_fwd(la->attn_o, la->probs, la->qkv, b, l, ts->h, w / ts->h, ts->causal);
    /* x_mid = x_in + out_proj(attn_o) */
    float *x_mid = la->x_mid;
    if (x_mid != la->x_in) be->copy(x_mid, la->x_in, (size_t)n * w * sizeof(float));
    static const int out_t[1] = {TOUT};
    static const int zero_c[1] = {0};
    nb = branches(lora, ts->tower, layer, out_t, 1, zero_c, la, br);
    linear_fwd(be, x_mid, w, la->attn_o, n, w, w, P + bo->out_w, P + bo->out_b, 1.0f, lora, br,
               nb);
    be->layernorm_fwd(la->ln2, la->ln2_mean, la->ln2_rstd, x_mid, P + bo->ln2_w, P + bo->ln2_b,
                      n, w, ts->eps);
    static const int fc_t[1] = {TFC};
    nb = branches(lora, ts->tower, layer, fc_t, 1, zero_c, la, br);
    linear_fwd(be, la->fc_pre, mlp, la->ln2, n, w, mlp, P + bo->fc_w, P + bo->fc_b, 0.0f, lora,
               br, nb);
    be->act_fwd(la->fc_act, la->fc_pre, (size_t)n * mlp, ts->act);
    if (x_out != x_mid) be->copy(x_out, x_mid, (size_t)n * w * sizeof(float));
    static const int proj_t[1] = {TPROJ};
    nb = branches(lora, ts->tower, layer, proj_t, 1, zero_c, la, br);
    linear_fwd(be, x_out, w, la->fc_act, n, mlp, w, P + bo->proj_w, P + bo->proj_b, 1.0f, lora,
               br, nb);
}

/* dx holds d(x_out) on entry and d(x_in) on exit (when need_dx). */
static void block_bwd(const clip_model *m, const clip_lora *lora, const tower_shape *ts,
                      int layer, const block_off *bo, const layer_acts *la, clip_acts *a,
                      const clip_grads *g, int need_dx, int b, int l) {
    const segp_backend *be = m->be;
    const float *P = m->params;
    float *G = g->weights;
    float *ldb = g->lora_b;
    int n = b * l, w = ts->w, mlp = ts->mlp;
    lora_branch br[3];
    int nb;
    static const int zero_c[1] = {0};
#define GW(field) (G ? G + bo->field : NULL)

    /* MLP branch: x_out = x_mid + c_proj(act(c_fc(ln_2(x_mid)))) */
    static const int proj_t[1] = {TPROJ};
    nb = branches(lora, ts->tower, layer, proj_t, 1, zero_c, la, br);
    linear_bwd(be, a->dbig, 0, a->dx, w, la->fc_act, n, mlp, w, P + bo->proj_w, GW(proj_w),
               GW(proj_b), lora, br, nb, ldb, a->dlt);
    be->act_bwd(a->dbig, a->dbig, la->fc_pre, (size_t)n * mlp, ts->act);
    static const int fc_t[1] = {TFC};
    nb = branches(lora, ts->tower, layer, fc_t, 1, zero_c, la, br);
    linear_bwd(be, a->dln, 0, a->dbig, mlp, la->ln2, n, w, mlp, P + bo->fc_w, GW(fc_w), GW(fc_b),
               lora, br, nb, ldb, a->dlt);
    be->layernorm_bwd(a->dx, GW(ln2_w), GW(ln2_b), a->dln, la->x_mid, P + bo->ln2_w,
                      la->ln2_mean, la->ln2_rstd, n, w, 1);
    /* attention branch: x_mid = x_in + out_proj(attn(ln_1(x_in))) */
    static const int out_t[1] = {TOUT};
    nb = branches(lora, ts->tower, layer, out_t, 1, zero_c, la, br);
    linear_bwd(be, a->dattn, 0, a->dx, w, la->attn_o, n, w, w, P + bo->out_w, GW(out_w),
               GW(out_b), lora, br, nb, ldb, a->dlt);
    be->attention_bwd(a->dqkv, a->dattn, la->qkv, la->probs, b, l, ts->h, w / ts->h);
    static const int qkv_t[3] = {TQ, TK, TV};
    int qkv_c[3] = {0, w, 2 * w};
    nb = branches(lora, ts->tower, layer, qkv_t, 3, qkv_c, la, br);
    int ln1_needed = need_dx || G;
    linear_bwd(be, ln1_needed ? a->dln : NULL, 0, a->dqkv, 3 * w, la->ln1, n, w, 3 * w,
               P + bo->in_w, GW(in_w), GW(in_b), lora, br, nb, ldb, a->dlt);
    if (ln1_needed)
        be->layernorm_bwd(need_dx ? a->dx : NULL, GW(ln1_w), GW(ln1_b), a->dln, la->x_in,
                          P + bo->ln1_w, la->ln1_mean, la->ln1_rstd, n, w, 1);
#undef GW
}

/* Lowest layer whose input gradient matters: a LoRA slot below it or weight/pixel grads. */
static int lowest_lora_layer(const clip_lora *lora, int tower, int layers) {
    if (!lora) return layers;
    for (int i = 0; i < layers; i++)
        for (int t = 0; t < LORA_N_TARGETS; t++)
            if (clip_lora_find(lora, tower, i, t)) return i;
    return layers;
}

static tower_shape shape_of(const clip_model *m, int tower) {
    const clip_config *c = &m->cfg;
    tower_shape s;
    s.tower = tower;
    s.w = tower ? c->t_width : c->v_width;
    s.h = tower ? c->t_heads : c->v_heads;
    s.mlp = tower ? c->t_mlp : c->v_mlp;
    s.causal = tower == 1;
    s.act = c->act;
    s.eps = c->ln_eps;
    return s;
}

static void blocks_fwd(const clip_model *m, const clip_lora *lora, clip_acts *a) {
    tower_shape ts = shape_of(m, a->tower);
    int layers = a->tower ? m->cfg.t_layers : m->cfg.v_layers;
    const block_off *bo = a->tower ? m->t_blocks : m->v_blocks;
    for (int i = 0; i < layers; i++) {
        layer_acts *la = &a->layers[i];
        float *x_out = a->keep ? (i + 1 < layers ? a->layers[i + 1].x_in : a->x_out) : la->x_mid;
        block_fwd(m, lora, &ts, i, &bo[i], la, x_out, a->b, a->l);
    }
}

/* Head: gather pooled rows, layer norm, projection. */
static void head_fwd(const clip_model *m, clip_acts *a, size_t ln_w, size_t ln_b, size_t proj,
                     int w, float *out) {
    const segp_backend *be = m->be;
    be->to_device(a->pool_idx_dev, a->pool_idx, (size_t)a->b * sizeof(int32_t));
    be->gather_rows(a->pooled, a->x_out, a->pool_idx_dev, a->b, w);
    be->layernorm_fwd(a->pool_ln, a->pool_mean, a->pool_rstd, a->pooled, m->params + ln_w,
                      m->params + ln_b, a->b, w, m->cfg.ln_eps);
    be->gemm(0, 1, a->b, m->cfg.embed_dim, w, 1.0f, a->pool_ln, w, m->params + proj, w, 0.0f, out,
             m->cfg.embed_dim);
}

static void head_bwd(const clip_model *m, clip_acts *a, size_t ln_w, size_t ln_b, size_t proj,
                     int w, const float *d_out, const clip_grads *g) {
    const segp_backend *be = m->be;
    int e = m->cfg.embed_dim;
    float *G = g->weights;
    be->gemm(0, 0, a->b, w, e, 1.0f, d_out, e, m->params + proj, w, 0.0f, a->dpool, w);
    if (G) be->gemm(1, 0, e, w, a->b, 1.0f, d_out, e, a->pool_ln, w, 1.0f, G + proj, w);
    be->layernorm_bwd(a->dpool2, G ? G + ln_w : NULL, G ? G + ln_b : NULL, a->dpool, a->pooled,
                      m->params + ln_w, a->pool_mean, a->pool_rstd, a->b, w, 0);
    be->zero(a->dx, (size_t)a->b * a->l * w * sizeof(float));
    be->scatter_add_rows(a->dx, a->dpool2, a->pool_idx_dev, a->b, w);
}

/* ---------------------------------------------------------------- vision tower */

int clip_vision_forward(clip_model *m, const clip_lora *lora, const float *pixels, int b,
                        clip_acts *a, int keep, float *out) {
    const clip_config *c = &m->cfg;
    if (!c->has_vision)
        return SEGP_FAIL("%s: this checkpoint holds no vision tower (text only)", m->path);
    if (b <= 0) return SEGP_FAIL("vision forward: batch size %d", b);
    const segp_backend *be = m->be;
    int g2 = c->grid * c->grid, l = g2 + 1, w = c->v_width, pp3 = 3 * c->patch * c->patch;
    acts_prepare(a, m, lora, 0, b, l, keep);
    be->im2patch(a->patches, pixels, b, c->resolution, c->patch);
    be->gemm(0, 1, b * g2, w, pp3, 1.0f, a->patches, pp3, m->params + m->v_conv, pp3, 0.0f,
             a->patch_out, w);
    be->vision_embed(a->x_emb, a->patch_out, m->params + m->v_cls, m->params + m->v_pos, b, g2,
                     w);
    be->layernorm_fwd(a->layers[0].x_in, a->emb_mean, a->emb_rstd, a->x_emb,
                      m->params + m->v_ln_pre_w, m->params + m->v_ln_pre_b, b * l, w,
                      c->ln_eps);
    blocks_fwd(m, lora, a);
    for (int i = 0; i < b; i++) a->pool_idx[i] = i * l; /* class token */
    head_fwd(m, a, m->v_ln_post_w, m->v_ln_post_b, m->v_proj, w, out);
    a->valid = keep;
    return 0;
}

int clip_vision_backward(clip_model *m, const clip_lora *lora, clip_acts *a, const float *d_out,
                         const clip_grads *g) {
    if (!a->valid || a->tower != 0)
        return SEGP_FAIL("vision backward: no stored forward (call forward with keep=1)");
    const clip_config *c = &m->cfg;
    const segp_backend *be = m->be;
    int b = a->b, l = a->l, w = c->v_width, g2 = c->grid * c->grid;
    int pp3 = 3 * c->patch * c->patch;
    float *G = g->weights;
    head_bwd(m, a, m->v_ln_post_w, m->v_ln_post_b, m->v_proj, w, d_out, g);
    tower_shape ts = shape_of(m, 0);
    int below = (G || g->d_pixels) ? 0 : lowest_lora_layer(g->lora_b ? lora : NULL, 0, c->v_layers);
    for (int i = c->v_layers - 1; i >= 0 && i >= below; i--)
        block_bwd(m, lora, &ts, i, &m->v_blocks[i], &a->layers[i], a, g,
                  i > below || G || g->d_pixels, b, l);
    if (!G && !g->d_pixels) return 0;
    /* ln_pre: gradient w.r.t. the embedded tokens (into dln) */
    be->layernorm_bwd(a->dln, G ? G + m->v_ln_pre_w : NULL, G ? G + m->v_ln_pre_b : NULL, a->dx,
                      a->x_emb, m->params + m->v_ln_pre_w, a->emb_mean, a->emb_rstd, b * l, w, 0);
    float *dpatch_out = a->dattn; /* b*g2*w fits in an n*w buffer */
    be->vision_embed_bwd(dpatch_out, G ? G + m->v_cls : NULL, G ? G + m->v_pos : NULL, a->dln, b,
                         g2, w);
    if (G)
        be->gemm(1, 0, w, pp3, b * g2, 1.0f, dpatch_out, w, a->patches, pp3, 1.0f, G + m->v_conv,
                 pp3);
    if (g->d_pixels) {
        be->gemm(0, 0, b * g2, pp3, w, 1.0f, dpatch_out, w, m->params + m->v_conv, pp3, 0.0f,
                 a->dpatches, pp3);
        be->patch2im(g->d_pixels, a->dpatches, b, c->resolution, c->patch);
    }
    return 0;
}

/* ---------------------------------------------------------------- text tower */

int clip_text_forward(clip_model *m, const clip_lora *lora, const int32_t *ids, int b,
                      clip_acts *a, int keep, float *out) {
    const clip_config *c = &m->cfg;
    if (!c->has_text)
        return SEGP_FAIL("%s: this checkpoint holds no text tower (vision only); text "
                         "commands need a full CLIP checkpoint",
                         m->path);
    if (b <= 0) return SEGP_FAIL("text forward: batch size %d", b);
    int l = 0;
    int32_t *eot = segp_malloc((size_t)b * sizeof(int32_t));
    for (int i = 0; i < b; i++) {
        const int32_t *row = ids + (size_t)i * c->context;
        int best = 0;
        for (int t = 0; t < c->context; t++) {
            if (row[t] < 0 || row[t] >= c->vocab) {
                free(eot);
                return SEGP_FAIL("text %d: token id %d at position %d is outside the model's "
                                 "vocabulary of %d",
                                 i, row[t], t, c->vocab);
            }
            if (row[t] > row[best]) best = t; /* first maximum, as torch.argmax */
        }
        eot[i] = best;
        if (best + 1 > l) l = best + 1;
    }
    acts_prepare(a, m, lora, 1, b, l, keep);
    a->ctx = c->context;
    const segp_backend *be = m->be;
    be->to_device(a->ids_dev, ids, (size_t)b * c->context * sizeof(int32_t));
    int w = c->t_width;
    be->text_embed(a->layers[0].x_in, a->ids_dev, m->params + m->t_tok, m->params + m->t_pos, b, l,
                   c->context, w);
    blocks_fwd(m, lora, a);
    for (int i = 0; i < b; i++) a->pool_idx[i] = i * l + eot[i];
    free(eot);
    head_fwd(m, a, m->t_ln_w, m->t_ln_b, m->t_proj, w, out);
    a->valid = keep;
    return 0;
}

int clip_text_backward(clip_model *m, const clip_lora *lora, clip_acts *a, const float *d_out,
                       const clip_grads *g) {
    if (!a->valid || a->tower != 1)
        return SEGP_FAIL("text backward: no stored forward (call forward with keep=1)");
    const clip_config *c = &m->cfg;
    int b = a->b, l = a->l, w = c->t_width;
    float *G = g->weights;
    head_bwd(m, a, m->t_ln_w, m->t_ln_b, m->t_proj, w, d_out, g);
    tower_shape ts = shape_of(m, 1);
    int below = G ? 0 : lowest_lora_layer(g->lora_b ? lora : NULL, 1, c->t_layers);
    for (int i = c->t_layers - 1; i >= 0 && i >= below; i--)
        block_bwd(m, lora, &ts, i, &m->t_blocks[i], &a->layers[i], a, g, i > below || G, b, l);
    if (G)
        m->be->text_embed_bwd(G + m->t_tok, G + m->t_pos, a->dx, a->ids_dev, b, l, a->ctx, w);
    return 0;
}

/* ---------------------------------------------------------------- convenience */

#define ENCODE_CHUNK 32

size_t clip_encode_images_bytes(const clip_config *c, int n, int lora_rank,
                                uint32_t lora_targets) {
    int k = n < ENCODE_CHUNK ? n : ENCODE_CHUNK;
    if (k <= 0) return 0;
    /* the chunk's arena, pixels and embeddings (the buffers hold ENCODE_CHUNK rows; the rows a
     * chunk of K touches are what counts) */
    return clip_acts_bytes(c, 0, k, c->grid * c->grid + 1, 0, lora_rank, lora_targets) +
           (size_t)k * (3 * (size_t)c->resolution * c->resolution + c->embed_dim) * sizeof(float);
}

int clip_encode_images(clip_model *m, const clip_lora *lora, const float *pixels, int n,
                       float *out) {
    const clip_config *c = &m->cfg;
    const segp_backend *be = m->be;
    size_t img = (size_t)3 * c->resolution * c->resolution;
    clip_acts *a = clip_acts_new();
    float *dpix = be->alloc((size_t)ENCODE_CHUNK * img * sizeof(float));
    float *dout = be->alloc((size_t)ENCODE_CHUNK * c->embed_dim * sizeof(float));
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i += ENCODE_CHUNK) {
        int k = n - i < ENCODE_CHUNK ? n - i : ENCODE_CHUNK;
        be->to_device(dpix, pixels + (size_t)i * img, (size_t)k * img * sizeof(float));
        rc = clip_vision_forward(m, lora, dpix, k, a, 0, dout);
        if (rc == 0)
            be->to_host(out + (size_t)i * c->embed_dim, dout,
                        (size_t)k * c->embed_dim * sizeof(float));
    }
    be->free(dpix);
    be->free(dout);
    clip_acts_free(a);
    return rc;
}

int clip_encode_texts(clip_model *m, const clip_lora *lora, const int32_t *ids, int n,
                      float *out) {
    const clip_config *c = &m->cfg;
    const segp_backend *be = m->be;
    clip_acts *a = clip_acts_new();
    float *dout = be->alloc((size_t)ENCODE_CHUNK * c->embed_dim * sizeof(float));
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i += ENCODE_CHUNK) {
        int k = n - i < ENCODE_CHUNK ? n - i : ENCODE_CHUNK;
        rc = clip_text_forward(m, lora, ids + (size_t)i * c->context, k, a, 0, dout);
        if (rc == 0)
            be->to_host(out + (size_t)i * c->embed_dim, dout,
                        (size_t)k * c->embed_dim * sizeof(float));
    }
    be->free(dout);
    clip_acts_free(a);
    return rc;
}
