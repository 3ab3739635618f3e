"""PyTorch reference of the CLIP towers (following openai/CLIP clip/model.py) with LoRA, used to
make the golden values the C engine is tested against. Computes in float64.

Two implementations: `openai_encode_*` mirrors model.py (nn.MultiheadAttention with packed
in_proj, LND layout, F.conv2d patch embedding, class token concat, argmax end-of-text pooling);
`Ref` is an explicit version with LoRA branches on q/k/v/out/c_fc/c_proj. The fixture script
asserts that both agree when LoRA B = 0, then uses `Ref` for outputs and gradients."""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

TARGETS = ["q", "k", "v", "out", "fc", "proj"]


def act_fn(kind):
    if kind == "quick_gelu":
        return lambda x: x * torch.sigmoid(1.702 * x)
    return lambda x: F.gelu(x)  # exact erf GELU, as HF "gelu"


class Ref:
    def __init__(self, sd, cfg, lora=None, lora_scale=1.0, requires_grad=False):
        """sd: OpenAI-named float arrays; cfg: dict with heads, act, eps; lora: dict
        'lora.{visual,text}.L.T.{A,B}' -> arrays."""
        self.cfg = cfg
        self.p = {k: torch.tensor(v, dtype=torch.float64, requires_grad=requires_grad) for k, v in sd.items()}
        self.lora = {k: torch.tensor(v, dtype=torch.float64, requires_grad=k.endswith(".B")) for k, v in (lora or {}).items()}
        self.scale = lora_scale
        self.act = act_fn(cfg["act"])

    def _lora(self, tower, layer, target, x):
        key = "lora.%s.%d.%s" % (tower, layer, target)
        if key + ".A" not in self.lora:
            return None
        A, B = self.lora[key + ".A"], self.lora[key + ".B"]
        return self.scale * (x @ A.T) @ B.T

    def _linear(self, x, w, b, tower, layer, target):
        y = x @ w.T + (b if b is not None else 0)
        d = self._lora(tower, layer, target, x)
        return y if d is None else y + d

    def _block(self, x, pre, tower, layer, heads, causal):
        P, eps = self.p, self.cfg["eps"]
        n, l, w = x.shape
        hd = w // heads
        h = F.layer_norm(x, (w,), P[pre + "ln_1.weight"], P[pre + "ln_1.bias"], eps)
        W, b = P[pre + "attn.in_proj_weight"], P[pre + "attn.in_proj_bias"]
        q = self._linear(h, W[:w], b[:w], tower, layer, "q")
        k = self._linear(h, W[w:2 * w], b[w:2 * w], tower, layer, "k")
        v = self._linear(h, W[2 * w:], b[2 * w:], tower, layer, "v")
        q, k, v = (t.reshape(n, l, heads, hd).transpose(1, 2) for t in (q, k, v))
        s = q @ k.transpose(-1, -2) / math.sqrt(hd)
        if causal:
            mask = torch.full((l, l), float("-inf"), dtype=s.dtype).triu(1)
            s = s + mask
        o = (s.softmax(-1) @ v).transpose(1, 2).reshape(n, l, w)
        x = x + self._linear(o, P[pre + "attn.out_proj.weight"], P[pre + "attn.out_proj.bias"], tower, layer, "out")
        h = F.layer_norm(x, (w,), P[pre + "ln_2.weight"], P[pre + "ln_2.bias"], eps)
        h = self.act(self._linear(h, P[pre + "mlp.c_fc.weight"], P[pre + "mlp.c_fc.bias"], tower, layer, "fc"))
        return x + self._linear(h, P[pre + "mlp.c_proj.weight"], P[pre + "mlp.c_proj.bias"], tower, layer, "proj")

    def encode_image(self, pixels):
        P, c, eps = self.p, self.cfg, self.cfg["eps"]
        x = F.conv2d(pixels, P["visual.conv1.weight"], stride=c["patch"])
        x = x.reshape(x.shape[0], x.shape[1], -1).permute(0, 2, 1)
        cls = P["visual.class_embedding"].expand(x.shape[0], 1, -1)
        x = torch.cat([cls, x], dim=1) + P["visual.positional_embedding"]
        x = F.layer_norm(x, (x.shape[-1],), P["visual.ln_pre.weight"], P["visual.ln_pre.bias"], eps)
        for i in range(c["v_layers"]):
            x = self._block(x, "visual.transformer.resblocks.%d." % i, "visual", i, c["v_heads"], False)
        x = F.layer_norm(x[:, 0], (x.shape[-1],), P["visual.ln_post.weight"], P["visual.ln_post.bias"], eps)
        return x @ P["visual.proj"]

    def encode_text(self, ids):
        P, c, eps = self.p, self.cfg, self.cfg["eps"]
        x = P["token_embedding.weight"][ids] + P["positional_embedding"]
        for i in range(c["t_layers"]):
            x = self._block(x, "transformer.resblocks.%d." % i, "text", i, c["t_heads"], True)
        x = F.layer_norm(x, (x.shape[-1],), P["ln_final.weight"], P["ln_final.bias"], eps)
        x = x[torch.arange(x.shape[0]), ids.argmax(dim=-1)]
        return x @ P["text_projection"]


# ---- openai/CLIP model.py style (no LoRA), for the cross-check ----

def _openai_block(x, P, pre, heads, act, eps, mask):
    w = x.shape[-1]
    mha = nn.MultiheadAttention(w, heads).double()
    with torch.no_grad():
        mha.in_proj_weight.copy_(P[pre + "attn.in_proj_weight"])
        mha.in_proj_bias.copy_(P[pre + "attn.in_proj_bias"])
        mha.out_proj.weight.copy_(P[pre + "attn.out_proj.weight"])
        mha.out_proj.bias.copy_(P[pre + "attn.out_proj.bias"])
    ln = lambda t, n: F.layer_norm(t, (w,), P[pre + n + ".weight"], P[pre + n + ".bias"], eps)
    x = x + mha(ln(x, "ln_1"), ln(x, "ln_1"), ln(x, "ln_1"), need_weights=False, attn_mask=mask)[0]
    h = act(F.linear(ln(x, "ln_2"), P[pre + "mlp.c_fc.weight"], P[pre + "mlp.c_fc.bias"]))
    return x + F.linear(h, P[pre + "mlp.c_proj.weight"], P[pre + "mlp.c_proj.bias"])


@torch.no_grad()
def openai_encode_image(sd, cfg, pixels):
    P = {k: torch.tensor(v, dtype=torch.float64) for k, v in sd.items()}
    act, eps = act_fn(cfg["act"]), cfg["eps"]
    x = F.conv2d(pixels, P["visual.conv1.weight"], stride=cfg["patch"])
    x = x.reshape(x.shape[0], x.shape[1], -1).permute(0, 2, 1)
    z = torch.zeros(x.shape[0], 1, x.shape[-1], dtype=x.dtype)
    x = torch.cat([P["visual.class_embedding"] + z, x], dim=1) + P["visual.positional_embedding"]
    w = x.shape[-1]
    x = F.layer_norm(x, (w,), P["visual.ln_pre.weight"], P["visual.ln_pre.bias"], eps)
    x = x.permute(1, 0, 2)  # NLD -> LND
    for i in range(cfg["v_layers"]):
        x = _openai_block(x, P, "visual.transformer.resblocks.%d." % i, cfg["v_heads"], act, eps, None)
    x = x.permute(1, 0, 2)
    x = F.layer_norm(x[:, 0, :], (w,), P["visual.ln_post.weight"], P["visual.ln_post.bias"], eps)
    return x @ P["visual.proj"]


@torch.no_grad()
def openai_encode_text(sd, cfg, ids):
    P = {k: torch.tensor(v, dtype=torch.float64) for k, v in sd.items()}
    act, eps = act_fn(cfg["act"]), cfg["eps"]
    ctx = P["positional_embedding"].shape[0]
    mask = torch.empty(ctx, ctx, dtype=torch.float64).fill_(float("-inf")).triu_(1)
    x = P["token_embedding.weight"][ids] + P["positional_embedding"]
    w = x.shape[-1]
    x = x.permute(1, 0, 2)
    for i in range(cfg["t_layers"]):
        x = _openai_block(x, P, "transformer.resblocks.%d." % i, cfg["t_heads"], act, eps, mask)
    x = x.permute(1, 0, 2)
    x = F.layer_norm(x, (w,), P["ln_final.weight"], P["ln_final.bias"], eps)
    return x[torch.arange(x.shape[0]), ids.argmax(dim=-1)] @ P["text_projection"]


def load_tiny(fix):
    """The tiny fixture CLIP and its LoRA state: (sd, cfg, lora0, lora scale)."""
    import os
    import st_io
    sd, meta = st_io.read(os.path.join(fix, "clip_tiny.safetensors"))
    lora0, lmeta = st_io.read(os.path.join(fix, "clip_tiny_lora.safetensors"))
    n_vl = len({k.split(".")[3] for k in sd if k.startswith("visual.transformer.resblocks.")})
    n_tl = len({k.split(".")[2] for k in sd if k.startswith("transformer.resblocks.")})
    cfg = dict(act=meta["segp.activation"], eps=1e-5, patch=sd["visual.conv1.weight"].shape[-1],
               v_layers=n_vl, v_heads=int(meta["segp.vision_heads"]), t_layers=n_tl,
               t_heads=int(meta["segp.text_heads"]))
    return sd, cfg, lora0, float(lmeta["segp.lora_alpha"]) / float(lmeta["segp.lora_rank"])
