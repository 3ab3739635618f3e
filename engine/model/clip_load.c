/* clip_load.c: building a clip_model from a safetensors checkpoint. Recognises the OpenAI /
 * open_clip names and Hugging Face CLIPModel names, infers the architecture from tensor shapes
 * (as openai/CLIP's build_model), and takes what shapes cannot tell (heads, activation) from
 * segp.* metadata, else a config.json beside the file, else OpenAI's rule. */
#include <cjson/cJSON.h>
#include <ctype.h>
#include <libgen.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clip_internal.h"
#include "core/common.h"
#include "core/config.h"
#include "io/safetensors.h"

/* The block count of a tower: N such that PREFIX n SUFFIX exists for n = 0..N-1. A tensor of a
 * later block (PREFIX m. with m >= N) means block N lost its SUFFIX tensor: -1 + an error
 * naming it, since counting up to the gap alone loaded a shallower model without a word. */
static int count_layers(const st_file *f, const char *prefix, const char *suffix) {
    int n = 0;
    char nm[256];
    for (;;) {
        snprintf(nm, sizeof nm, "%s%d%s", prefix, n, suffix);
        if (!st_find(f, nm)) break;
        n++;
    }
    size_t k = strlen(prefix);
    for (int i = 0; i < st_count(f); i++) {
        const char *name = st_at(f, i)->name, *p = name + k;
        if (strncmp(name, prefix, k) || !isdigit((unsigned char)*p)) continue;
        char *end;
        unsigned long layer = strtoul(p, &end, 10);
        if (*end == '.' && layer >= (unsigned long)n) {
            snprintf(nm, sizeof nm, "%s%d%s", prefix, n, suffix);
            return SEGP_FAIL("%s: missing tensor '%s' (the file holds '%s': the tower has "
                             "at least %lu blocks)", st_path(f), nm, name, layer + 1);
        }
    }
    return n;
}

static const st_tensor *need(const st_file *f, const char *name, int ndim) {
    const st_tensor *t = st_find(f, name);
    if (!t) {
        SEGP_FAIL("%s: missing tensor '%s'", st_path(f), name);
        return NULL;
    }
    if (t->ndim != ndim) {
        SEGP_FAIL("%s: tensor '%s' has %d dimensions, expected %d", st_path(f), name, t->ndim,
                  ndim);
        return NULL;
    }
    return t;
}

/* Dimension D of 2-D tensor T must be WANT (a width the architecture already has): the other
 * dimension then counts real parameters, and cannot claim sizes with no data behind them (a
 * [1000000000, 0] tensor holds no bytes). */
static int need_dim(const st_file *f, const st_tensor *t, int d, int64_t want, const char *what) {
    if (t->shape[d] == want) return 0;
    return SEGP_FAIL("%s: tensor '%s' has shape [%lld, %lld], expected %s %lld in dimension %d",
                     st_path(f), t->name, (long long)t->shape[0], (long long)t->shape[1], what,
                     (long long)want, d);
}

typedef struct {
    int v_heads, t_heads; /* 0 = unknown */
    int act;              /* -1 unknown */
    float eps;            /* 0 unknown */
} arch_hints;

static int parse_act(const char *s, const char *where, int *act) {
    if (!strcmp(s, "quick_gelu")) *act = ACT_QUICK_GELU;
    else if (!strcmp(s, "gelu")) *act = ACT_GELU;
    else
        return SEGP_FAIL("%s: activation '%s' is not supported (expected \"quick_gelu\" or "
                         "\"gelu\")",
                         where, s);
    return 0;
}

static int parse_pos_int(const char *s, const char *where, const char *key, int *out) {
    char *end;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v <= 0 || v > 65536)
        return SEGP_FAIL("%s: metadata %s = \"%s\" is not a positive integer", where, key, s);
    *out = (int)v;
    return 0;
}

static int hints_from_metadata(const st_file *f, arch_hints *h) {
    const char *s;
    if ((s = st_metadata(f, "segp.vision_heads")) &&
        parse_pos_int(s, st_path(f), "segp.vision_heads", &h->v_heads))
        return -1;
    if ((s = st_metadata(f, "segp.text_heads")) &&
        parse_pos_int(s, st_path(f), "segp.text_heads", &h->t_heads))
        return -1;
    if ((s = st_metadata(f, "segp.activation")) && parse_act(s, st_path(f), &h->act)) return -1;
    return 0;
}

/* Hugging Face config.json beside the weights (optional). */
static int hints_from_config_json(const char *weights_path, arch_hints *h, int *found) {
    char dir[1024], cfg_path[1100];
    snprintf(dir, sizeof dir, "%s", weights_path);
    snprintf(cfg_path, sizeof cfg_path, "%s/config.json", dirname(dir));
    *found = 0;
    uint8_t *data;
    size_t size;
    if (access(cfg_path, F_OK) != 0) return 0;
    if (cfg_read_file(cfg_path, &data, &size) != 0) return -1;
    cJSON *root = cJSON_ParseWithLength((const char *)data, size);
    free(data);
    if (!root || !cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return SEGP_FAIL("%s: not valid JSON", cfg_path);
    }
    *found = 1;
    int rc = 0, acts[2] = {-1, -1};
    double epss[2] = {0, 0};
    const char *towers[2] = {"vision_config", "text_config"};
    for (int t = 0; t < 2 && rc == 0; t++) {
        cJSON *tc = cJSON_GetObjectItemCaseSensitive(root, towers[t]);
        if (!cJSON_IsObject(tc)) continue;
        cJSON *heads = cJSON_GetObjectItemCaseSensitive(tc, "num_attention_heads");
        if (heads) {
            /* a whole number in the range the metadata key takes (2.5 was read as 2) */
            if (!cJSON_IsNumber(heads) || heads->valuedouble < 1 ||
                heads->valuedouble > 65536 || heads->valuedouble != floor(heads->valuedouble))
                rc = SEGP_FAIL("%s: %s.num_attention_heads is not a positive integer (at most "
                               "65536)", cfg_path, towers[t]);
            else if (t == 0 && !h->v_heads)
                h->v_heads = heads->valueint;
            else if (t == 1 && !h->t_heads)
                h->t_heads = heads->valueint;
        }
        cJSON *act = cJSON_GetObjectItemCaseSensitive(tc, "hidden_act");
        if (rc == 0 && cJSON_IsString(act)) rc = parse_act(act->valuestring, cfg_path, &acts[t]);
        cJSON *eps = cJSON_GetObjectItemCaseSensitive(tc, "layer_norm_eps");
        if (rc == 0 && eps && (!cJSON_IsNumber(eps) || !(eps->valuedouble > 0)))
            rc = SEGP_FAIL("%s: %s.layer_norm_eps is not a positive number", cfg_path,
                           towers[t]);
        else if (eps) epss[t] = eps->valuedouble;
    }
    /* segp runs both towers with one activation and one epsilon: towers that differ were run
     * with the vision tower's, without a word */
    static const char *act_names[2] = {"quick_gelu", "gelu"};
    if (rc == 0 && acts[0] >= 0 && acts[1] >= 0 && acts[0] != acts[1])
        rc = SEGP_FAIL("%s: vision_config.hidden_act \"%s\" and text_config.hidden_act \"%s\" "
                       "differ (segp runs both towers with one activation)", cfg_path,
                       act_names[acts[0] == ACT_GELU], act_names[acts[1] == ACT_GELU]);
    if (rc == 0 && epss[0] > 0 && epss[1] > 0 && (float)epss[0] != (float)epss[1])
        rc = SEGP_FAIL("%s: vision_config.layer_norm_eps %g and text_config.layer_norm_eps %g "
                       "differ (segp runs both towers with one epsilon)", cfg_path, epss[0],
                       epss[1]);
    if (rc == 0 && h->act < 0) h->act = acts[0] >= 0 ? acts[0] : acts[1];
    if (rc == 0 && h->eps == 0.0f) h->eps = (float)(epss[0] > 0 ? epss[0] : epss[1]);
    cJSON_Delete(root);
    return rc;
}

/* Names in the two schemes; HF names are built on the fly from the OpenAI one. */
typedef struct {
    int hf;
} naming;

/* Map an OpenAI tensor name to the HF one. qkv_part: -1 not a split tensor, else which chunk of
 * in_proj (0 q, 1 k, 2 v) the HF tensor provides. */
static void hf_name(const char *oa, int part, char *out, size_t n) {
    int layer;
    char rest[128];
    if (sscanf(oa, "visual.transformer.resblocks.%d.%127s", &layer, rest) == 2 ||
        sscanf(oa, "transformer.resblocks.%d.%127s", &layer, rest) == 2) {
        const char *tw = oa[0] == 'v' ? "vision_model" : "text_model";
        const char *qkv[3] = {"q_proj", "k_proj", "v_proj"};
        char sub[128] = "";
        if (!strcmp(rest, "ln_1.weight")) snprintf(sub, sizeof sub, "layer_norm1.weight");
        else if (!strcmp(rest, "ln_1.bias")) snprintf(sub, sizeof sub, "layer_norm1.bias");
        else if (!strcmp(rest, "ln_2.weight")) snprintf(sub, sizeof sub, "layer_norm2.weight");
        else if (!strcmp(rest, "ln_2.bias")) snprintf(sub, sizeof sub, "layer_norm2.bias");
        else if (!strcmp(rest, "attn.in_proj_weight"))
            snprintf(sub, sizeof sub, "self_attn.%s.weight", qkv[part]);
        else if (!strcmp(rest, "attn.in_proj_bias"))
            snprintf(sub, sizeof sub, "self_attn.%s.bias", qkv[part]);
        else if (!strcmp(rest, "attn.out_proj.weight"))
            snprintf(sub, sizeof sub, "self_attn.out_proj.weight");
        else if (!strcmp(rest, "attn.out_proj.bias"))
            snprintf(sub, sizeof sub, "self_attn.out_proj.bias");
        else if (!strcmp(rest, "mlp.c_fc.weight")) snprintf(sub, sizeof sub, "mlp.fc1.weight");
        else if (!strcmp(rest, "mlp.c_fc.bias")) snprintf(sub, sizeof sub, "mlp.fc1.bias");
        else if (!strcmp(rest, "mlp.c_proj.weight")) snprintf(sub, sizeof sub, "mlp.fc2.weight");
        else if (!strcmp(rest, "mlp.c_proj.bias")) snprintf(sub, sizeof sub, "mlp.fc2.bias");
        snprintf(out, n, "%s.encoder.layers.%d.%s", tw, layer, sub);
        return;
    }
    static const char *map[][2] = {
        {"visual.conv1.weight", "vision_model.embeddings.patch_embedding.weight"},
        {"visual.class_embedding", "vision_model.embeddings.class_embedding"},
        {"visual.positional_embedding", "vision_model.embeddings.position_embedding.weight"},
        {"visual.ln_pre.weight", "vision_model.pre_layrnorm.weight"},
        {"visual.ln_pre.bias", "vision_model.pre_layrnorm.bias"},
        {"visual.ln_post.weight", "vision_model.post_layernorm.weight"},
        {"visual.ln_post.bias", "vision_model.post_layernorm.bias"},
        {"visual.proj", "visual_projection.weight"},
        {"token_embedding.weight", "text_model.embeddings.token_embedding.weight"},
        {"positional_embedding", "text_model.embeddings.position_embedding.weight"},
        {"ln_final.weight", "text_model.final_layer_norm.weight"},
        {"ln_final.bias", "text_model.final_layer_norm.bias"},
        {"text_projection", "text_projection.weight"},
        {"logit_scale", "logit_scale"},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (!strcmp(oa, map[i][0])) {
            snprintf(out, n, "%s", map[i][1]);
            return;
        }
    snprintf(out, n, "%s", oa);
}

static int infer_config(const st_file *f, int hf, clip_config *c) {
    memset(c, 0, sizeof *c);
    const char *path = st_path(f);
    const char *conv =
        hf ? "vision_model.embeddings.patch_embedding.weight" : "visual.conv1.weight";
    const char *tok =
        hf ? "text_model.embeddings.token_embedding.weight" : "token_embedding.weight";
    c->has_vision = st_find(f, conv) != NULL;
    c->has_text = st_find(f, tok) != NULL;
    /* a tower in a layout segp does not read must not pass for an absent one (a timm vision
     * tower made a text-only model) or for a broken ViT (RN50 was 'missing tensor
     * visual.positional_embedding') */
    for (int i = 0; i < st_count(f); i++) {
        const char *nm = st_at(f, i)->name;
        if (c->has_vision && !hf && (!strncmp(nm, "visual.attnpool.", 16) ||
                                     !strncmp(nm, "visual.layer1.", 14)))
            return SEGP_FAIL("%s: holds a ModifiedResNet vision tower ('%s', as OpenAI's RN50 "
                             "family); segp reads ViT vision towers only", path, nm);
        int v = !strncmp(nm, hf ? "vision_model." : "visual.", hf ? 13 : 7);
        int t = hf ? !strncmp(nm, "text_model.", 11)
                   : !strncmp(nm, "transformer.", 12) || !strncmp(nm, "text.", 5);
        if ((v && !c->has_vision) || (t && !c->has_text))
            return SEGP_FAIL("%s: holds a %s tower segp cannot read ('%s' but no '%s'; segp "
                             "reads ViT towers with OpenAI/open_clip or Hugging Face CLIPModel "
                             "names)", path, v ? "vision" : "text", nm, v ? conv : tok);
    }
    if (!c->has_vision && !c->has_text)
        return SEGP_FAIL("%s: not a CLIP checkpoint (found neither '%s' nor '%s')", path, conv,
                         tok);
    const st_tensor *t;
    if (c->has_vision) {
        if (!(t = need(f, conv, 4))) return -1;
        if (t->shape[1] != 3 || t->shape[2] != t->shape[3])
            return SEGP_FAIL("%s: '%s' has shape [%lld, %lld, %lld, %lld], expected "
                             "[width, 3, patch, patch]",
                             path, conv, (long long)t->shape[0], (long long)t->shape[1],
                             (long long)t->shape[2], (long long)t->shape[3]);
        if (t->shape[0] > INT_MAX || t->shape[3] > INT_MAX)
            return SEGP_FAIL("%s: '%s' has shape [%lld, 3, %lld, %lld], too large", path, conv,
                             (long long)t->shape[0], (long long)t->shape[2],
                             (long long)t->shape[3]);
        c->v_width = (int)t->shape[0];
        c->patch = (int)t->shape[3];
        const char *pos = hf ? "vision_model.embeddings.position_embedding.weight"
                             : "visual.positional_embedding";
        if (!(t = need(f, pos, 2)) || need_dim(f, t, 1, c->v_width, "the width")) return -1;
        int g = (int)lround(sqrt((double)(t->shape[0] - 1)));
        if (g <= 0 || (int64_t)g * g + 1 != t->shape[0])
            return SEGP_FAIL("%s: '%s' has %lld positions, expected grid*grid + 1", path, pos,
                             (long long)t->shape[0]);
        c->grid = g;
        c->resolution = g * c->patch;
        c->v_layers =
            hf ? count_layers(f, "vision_model.encoder.layers.", ".self_attn.q_proj.weight")
               : count_layers(f, "visual.transformer.resblocks.", ".attn.in_proj_weight");
        if (c->v_layers < 0) return -1;
        if (c->v_layers == 0)
            return SEGP_FAIL("%s: vision tower has no transformer blocks (no '%s')", path,
                             hf ? "vision_model.encoder.layers.0.self_attn.q_proj.weight"
                                : "visual.transformer.resblocks.0.attn.in_proj_weight");
        const char *fc = hf ? "vision_model.encoder.layers.0.mlp.fc1.weight"
                            : "visual.transformer.resblocks.0.mlp.c_fc.weight";
        if (!(t = need(f, fc, 2)) || need_dim(f, t, 1, c->v_width, "the width")) return -1;
        c->v_mlp = (int)t->shape[0];
        const char *proj = hf ? "visual_projection.weight" : "visual.proj";
        if (!(t = need(f, proj, 2)) || need_dim(f, t, hf ? 1 : 0, c->v_width, "the width"))
            return -1;
        c->embed_dim = (int)(hf ? t->shape[0] : t->shape[1]);
    }
    if (c->has_text) {
        const char *lnf = hf ? "text_model.final_layer_norm.weight" : "ln_final.weight";
        if (!(t = need(f, lnf, 1))) return -1;
        if (t->shape[0] > INT_MAX)
            return SEGP_FAIL("%s: '%s' has %lld entries, too many", path, lnf,
                             (long long)t->shape[0]);
        c->t_width = (int)t->shape[0];
        if (!(t = need(f, tok, 2)) || need_dim(f, t, 1, c->t_width, "the width")) return -1;
        c->vocab = (int)t->shape[0];
        const char *pos = hf ? "text_model.embeddings.position_embedding.weight"
                             : "positional_embedding";
        if (!(t = need(f, pos, 2)) || need_dim(f, t, 1, c->t_width, "the width")) return -1;
        c->context = (int)t->shape[0];
        c->t_layers = hf ? count_layers(f, "text_model.encoder.layers.", ".self_attn.q_proj.weight")
                         : count_layers(f, "transformer.resblocks.", ".attn.in_proj_weight");
        if (c->t_layers < 0) return -1;
        if (c->t_layers == 0)
            return SEGP_FAIL("%s: text tower has no transformer blocks", path);
        const char *fc = hf ? "text_model.encoder.layers.0.mlp.fc1.weight"
                            : "transformer.resblocks.0.mlp.c_fc.weight";
        if (!(t = need(f, fc, 2)) || need_dim(f, t, 1, c->t_width, "the width")) return -1;
        c->t_mlp = (int)t->shape[0];
        const char *proj = hf ? "text_projection.weight" : "text_projection";
        if (!(t = need(f, proj, 2)) || need_dim(f, t, hf ? 1 : 0, c->t_width, "the width"))
            return -1;
        int e = (int)(hf ? t->shape[0] : t->shape[1]);
        if (c->has_vision && e != c->embed_dim)
            return SEGP_FAIL("%s: text embedding dimension %d differs from the vision one %d",
                             path, e, c->embed_dim);
        c->embed_dim = e;
    }
    return 0;
}

/* Read tensor NAME (OpenAI scheme) of the layout into host memory at dst. */
static int load_tensor(const st_file *f, int hf, const clip_tensor_info *ti, float *dst) {
    const char *path = st_path(f);
    char nm[256];
    int parts = hf && strstr(ti->name, "attn.in_proj_") ? 3 : 1;
    size_t chunk = ti->numel / (size_t)parts;
    for (int p = 0; p < parts; p++) {
        if (hf) hf_name(ti->name, p, nm, sizeof nm);
        else snprintf(nm, sizeof nm, "%s", ti->name);
        const st_tensor *t = st_find(f, nm);
        if (!t) return SEGP_FAIL("%s: missing tensor '%s'", path, nm);
        /* expected shape in the file's own layout */
        int64_t exp[4];
        int nd = ti->ndim;
        for (int d = 0; d < nd; d++) exp[d] = ti->shape[d];
        if (parts == 3) exp[0] /= 3;
        if (ti->transposed && !hf) { /* OpenAI stores [width, embed] */
            exp[0] = ti->shape[1];
            exp[1] = ti->shape[0];
        }
        int ok = 1;
        if (nd == 0) ok = t->numel == 1 && t->ndim <= 1;
        else if (t->ndim != nd) ok = 0;
        else
            for (int d = 0; d < nd; d++) ok &= t->shape[d] == exp[d];
        if (!ok) {
            char got[128] = "", want[128] = "";
            size_t k = 0;
            for (int d = 0; d < t->ndim; d++)
                k += (size_t)snprintf(got + k, sizeof got - k, "%s%lld", d ? ", " : "",
                                      (long long)t->shape[d]);
            k = 0;
            for (int d = 0; d < nd; d++)
                k += (size_t)snprintf(want + k, sizeof want - k, "%s%lld", d ? ", " : "",
                                      (long long)exp[d]);
            return SEGP_FAIL("%s: tensor '%s' has shape [%s], expected [%s]", path, nm, got,
                             want);
        }
        float *out = dst + p * chunk;
        if (ti->transposed && !hf) {
            float *tmp = segp_malloc(t->numel * sizeof(float));
            if (st_read_f32(f, t, tmp) != 0) {
                free(tmp);
                return -1;
            }
            int64_t r = exp[0], cc = exp[1]; /* file [r, cc] -> ours [cc, r] */
            for (int64_t a = 0; a < r; a++)
                for (int64_t b = 0; b < cc; b++) out[b * r + a] = tmp[a * cc + b];
            free(tmp);
        } else if (st_read_f32(f, t, out) != 0) {
            return -1;
        }
    }
    return 0;
}

/* The model of the open checkpoint F (closed here); CONFIG_JSON_BESIDE: look for a Hugging
 * Face config.json in the file's directory. */
/* The architecture of F's weights (shapes, then heads and activation from the metadata or a
 * config.json beside the file). F stays open. 0, or -1 + error naming the file. */
static int read_config(st_file *f, int config_json_beside, clip_config *out) {
    const char *path = st_path(f);
    int hf = st_find(f, "vision_model.embeddings.patch_embedding.weight") ||
             st_find(f, "text_model.embeddings.token_embedding.weight");
    clip_config cfg;
    if (infer_config(f, hf, &cfg) != 0) return -1;
    arch_hints h = {0, 0, -1, 0.0f};
    int from_json = 0;
    if (hints_from_metadata(f, &h) != 0) return -1;
    int meta_heads = h.v_heads || h.t_heads, meta_act = h.act >= 0;
    int h_meta_v = h.v_heads != 0, h_meta_t = h.t_heads != 0;
    if (config_json_beside && hints_from_config_json(path, &h, &from_json) != 0) return -1;
    snprintf(cfg.heads_source, sizeof cfg.heads_source, "%s",
             meta_heads ? "metadata" : (h.v_heads || h.t_heads) ? "config.json" : "openai rule");
    snprintf(cfg.act_source, sizeof cfg.act_source, "%s",
             meta_act ? "metadata" : h.act >= 0 ? "config.json" : "openai rule");
    cfg.act = h.act >= 0 ? (act_kind)h.act : ACT_QUICK_GELU;
    cfg.ln_eps = h.eps > 0.0f ? h.eps : 1e-5f;
    if (cfg.has_vision) {
        cfg.v_heads = h.v_heads ? h.v_heads : cfg.v_width / 64;
        if (!h.v_heads && (cfg.v_width % 64 || cfg.v_heads == 0)) {
            return SEGP_FAIL("%s: cannot infer the vision head count: width %d is not a multiple "
                             "of 64 (add the metadata key segp.vision_heads or a config.json)",
                             path, cfg.v_width);
        }
    }
    if (cfg.has_text) {
        cfg.t_heads = h.t_heads ? h.t_heads : cfg.t_width / 64;
        if (!h.t_heads && (cfg.t_width % 64 || cfg.t_heads == 0)) {
            return SEGP_FAIL("%s: cannot infer the text head count: width %d is not a multiple "
                             "of 64 (add the metadata key segp.text_heads or a config.json)",
                             path, cfg.t_width);
        }
    }
    /* a head count that does not divide the width came from metadata or config.json: name
     * which (clip_config_check's advice is the metadata key) */
    const char *bad = cfg.has_vision && cfg.v_width % cfg.v_heads ? "vision"
                      : cfg.has_text && cfg.t_width % cfg.t_heads ? "text" : NULL;
    if (bad) {
        int v = bad[0] == 'v';
        return SEGP_FAIL("%s: %s width %d is not divisible by %d heads (from %s%s)", path, bad,
                         v ? cfg.v_width : cfg.t_width, v ? cfg.v_heads : cfg.t_heads,
                         (v ? h_meta_v : h_meta_t) ? "the metadata key segp." : "config.json's ",
                         (v ? h_meta_v : h_meta_t) ? (v ? "vision_heads" : "text_heads")
                                                   : (v ? "vision_config.num_attention_heads"
                                                        : "text_config.num_attention_heads"));
    }
    if (clip_config_check(&cfg, path) != 0) return -1;
    *out = cfg;
    return 0;
}

/* The model of the open checkpoint F (closed here); CONFIG_JSON_BESIDE: look for a Hugging
 * Face config.json in the file's directory. */
static clip_model *load_from(st_file *f, int config_json_beside, const clip_load_params *params) {
    clip_load_params defaults = clip_default_load_params();
    if (!params) params = &defaults;
    char path[1024]; /* for messages after st_close(f) (clip_model.path is as long) */
    snprintf(path, sizeof path, "%s", st_path(f));
    const segp_backend *be = segp_backend_get(params->device);
    if (!be ||
        (params->precision && segp_backend_set_precision(be, params->precision, "--precision"))) {
        st_close(f);
        return NULL;
    }
    int hf = st_find(f, "vision_model.embeddings.patch_embedding.weight") ||
             st_find(f, "text_model.embeddings.token_embedding.weight");
    clip_config cfg;
    if (read_config(f, config_json_beside, &cfg) != 0) {
        st_close(f);
        return NULL;
    }
    clip_model *m = segp_calloc(1, sizeof *m);
    m->cfg = cfg;
    snprintf(m->naming, sizeof m->naming, "%s", hf ? "huggingface" : "openai");
    snprintf(m->path, sizeof m->path, "%s", path);
    /* Before any weight is allocated: the architecture must fit in the file's data, at 2 bytes
     * (F16/BF16) or more a weight, so that shapes claiming more than the file holds cannot
     * make a giant allocation. */
    clip_layout_tensors(m);
    uint64_t have = 0, need_w = 0;
    for (int i = 0; i < st_count(f); i++) have += st_at(f, i)->end - st_at(f, i)->begin;
    for (int i = 0; i < m->n_tensors; i++)
        if (strcmp(m->tensors[i].name, "logit_scale")) need_w += m->tensors[i].numel;
    if (need_w > have / 2) {
        st_close(f);
        SEGP_FAIL("%s: its tensor shapes describe %llu weights, but the file holds %llu bytes of "
                  "tensor data (truncated, or shapes that do not fit together)", path,
                  (unsigned long long)need_w, (unsigned long long)have);
        clip_model_free(m);
        return NULL;
    }
    clip_layout_alloc(m, be);
    float *host = segp_calloc(m->n_params, sizeof(float));
    int rc = 0;
    for (int i = 0; i < m->n_tensors && rc == 0; i++) {
        const clip_tensor_info *ti = &m->tensors[i];
        if (!strcmp(ti->name, "logit_scale") && !st_find(f, "logit_scale")) {
            host[ti->offset] = logf(1.0f / 0.07f); /* absent in vision-only files */
            continue;
        }
        rc = load_tensor(f, hf, ti, host + ti->offset);
    }
    st_close(f);
    if (rc != 0) {
        free(host);
        clip_model_free(m);
        return NULL;
    }
    for (size_t i = 0; i < m->n_params; i++)
        if (!isfinite(host[i])) {
            for (int k = 0; k < m->n_tensors; k++) {
                const clip_tensor_info *ti = &m->tensors[k];
                if (i >= ti->offset && i < ti->offset + ti->numel) {
                    SEGP_FAIL("%s: tensor '%s' holds a non-finite value (NaN or inf)", path,
                              ti->name);
                    break;
                }
            }
            free(host);
            clip_model_free(m);
            return NULL;
        }
    /* logits are exp(logit_scale) * cos: past ~88.7 that is inf, and inf * cos gave NaN
     * probabilities and losses with exit 0 (trained CLIPs hold ln 100 = 4.6052) */
    float ls = host[m->logit_scale];
    if (!isfinite(expf(ls))) {
        SEGP_FAIL("%s: tensor 'logit_scale' is %g: exp(%g) is too large for float32 (CLIP's "
                  "models hold at most ln 100 = 4.6052)", path, ls, ls);
        free(host);
        clip_model_free(m);
        return NULL;
    }
    be->to_device(m->params, host, m->n_params * sizeof(float));
    free(host);
    return m;
}

clip_model *clip_model_load(const char *path, const clip_load_params *params) {
    st_file *f = st_open(path);
    return f ? load_from(f, 1, params) : NULL;
}

int clip_config_read(const char *path, clip_config *out) {
    st_file *f = st_open(path);
    if (!f) return -1;
    int rc = read_config(f, 1, out);
    st_close(f);
    return rc;
}

clip_model *clip_model_load_memory(const char *name, const void *data, size_t size,
                                   const clip_load_params *params) {
    st_file *f = st_open_memory(name, data, size);
    return f ? load_from(f, 0, params) : NULL;
}
