"""Makes the CLIP fixtures in tests/fixtures/: small random checkpoints in the three layouts the
engine reads, inputs, and golden outputs/gradients from the PyTorch reference (clip_ref.py).

Run from the repository root: python3 tests/ref/make_fixtures.py  (or `make refs`).
Deterministic (seeded)."""
import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(__file__))
import clip_ref  # noqa: E402
import st_io  # noqa: E402

OUT = "tests/fixtures"

SPECS = [
    # full CLIP-shaped checkpoint, both towers, real vocabulary size, OpenAI names, F16 storage,
    # head counts from segp.* metadata (width 64 would give 1 head by OpenAI's rule)
    dict(name="clip_tiny", naming="openai", dtype="F16", act="quick_gelu", meta_heads=True,
         v_width=64, v_layers=2, v_heads=4, v_mlp=256, patch=8, grid=4,
         t_width=32, t_layers=2, t_heads=2, t_mlp=128, context=77, vocab=49408, embed=24,
         lora_targets=["q", "v", "fc", "proj"], weight_grads=False),
    # Hugging Face CLIPModel names, BF16, GELU and head counts from config.json
    dict(name="clip_hf", naming="hf", dtype="BF16", act="gelu", meta_heads=False,
         v_width=48, v_layers=2, v_heads=3, v_mlp=96, patch=4, grid=4,
         t_width=40, t_layers=2, t_heads=5, t_mlp=80, context=16, vocab=1000, embed=20,
         lora_targets=["q", "k", "v", "out", "fc", "proj"], weight_grads=True),
    # vision tower only, F32, OpenAI rule for heads (width 128 -> 2 heads)
    dict(name="clip_vision", naming="openai", dtype="F32", act="quick_gelu", meta_heads=False,
         v_width=128, v_layers=1, v_heads=2, v_mlp=256, patch=16, grid=2,
         embed=32, lora_targets=["q", "v", "fc", "proj"], weight_grads=False),
]

LORA_RANK, LORA_ALPHA = 4, 8.0


def quantize(a, dtype):
    a = np.asarray(a, dtype=np.float32)
    if dtype == "F16":
        return a.astype(np.float16).astype(np.float32)
    if dtype == "BF16":
        return st_io.from_bf16_bits(st_io.to_bf16_bits(a)).reshape(a.shape)
    return a


def make_state(s, rng):
    sd = {}
    nrm = lambda *shape, std=0.08: (rng.standard_normal(shape) * std).astype(np.float32)

    def blocks(pre, layers, w, mlp):
        for i in range(layers):
            p = "%s%d." % (pre, i)
            sd[p + "ln_1.weight"] = 1 + nrm(w, std=0.1)
            sd[p + "ln_1.bias"] = nrm(w, std=0.05)
            sd[p + "attn.in_proj_weight"] = nrm(3 * w, w, std=1.0 / math.sqrt(w))
            sd[p + "attn.in_proj_bias"] = nrm(3 * w, std=0.05)
            sd[p + "attn.out_proj.weight"] = nrm(w, w, std=1.0 / math.sqrt(w))
            sd[p + "attn.out_proj.bias"] = nrm(w, std=0.05)
            sd[p + "ln_2.weight"] = 1 + nrm(w, std=0.1)
            sd[p + "ln_2.bias"] = nrm(w, std=0.05)
            sd[p + "mlp.c_fc.weight"] = nrm(mlp, w, std=1.0 / math.sqrt(w))
            sd[p + "mlp.c_fc.bias"] = nrm(mlp, std=0.05)
            sd[p + "mlp.c_proj.weight"] = nrm(w, mlp, std=1.0 / math.sqrt(mlp))
            sd[p + "mlp.c_proj.bias"] = nrm(w, std=0.05)

    w = s["v_width"]
    sd["visual.conv1.weight"] = nrm(w, 3, s["patch"], s["patch"], std=1.0 / math.sqrt(3 * s["patch"] ** 2))
    sd["visual.class_embedding"] = nrm(w, std=0.5)
    sd["visual.positional_embedding"] = nrm(s["grid"] ** 2 + 1, w, std=0.2)
    sd["visual.ln_pre.weight"] = 1 + nrm(w, std=0.1)
    sd["visual.ln_pre.bias"] = nrm(w, std=0.05)
    blocks("visual.transformer.resblocks.", s["v_layers"], w, s["v_mlp"])
    sd["visual.ln_post.weight"] = 1 + nrm(w, std=0.1)
    sd["visual.ln_post.bias"] = nrm(w, std=0.05)
    sd["visual.proj"] = nrm(w, s["embed"], std=1.0 / math.sqrt(w))
    if "t_width" in s:
        tw = s["t_width"]
        sd["token_embedding.weight"] = nrm(s["vocab"], tw, std=0.5)
        sd["positional_embedding"] = nrm(s["context"], tw, std=0.2)
        blocks("transformer.resblocks.", s["t_layers"], tw, s["t_mlp"])
        sd["ln_final.weight"] = 1 + nrm(tw, std=0.1)
        sd["ln_final.bias"] = nrm(tw, std=0.05)
        sd["text_projection"] = nrm(tw, s["embed"], std=1.0 / math.sqrt(tw))
        sd["logit_scale"] = np.array(math.log(10.0), dtype=np.float32)
    return {k: quantize(v, s["dtype"]) for k, v in sd.items()}


def to_hf(sd, s):
    out = []
    for k, v in sd.items():
        if k.startswith("visual.transformer.resblocks.") or k.startswith("transformer.resblocks."):
            vis = k.startswith("visual.")
            rest = k.split("resblocks.")[1]
            i, sub = rest.split(".", 1)
            pre = "%s.encoder.layers.%s." % ("vision_model" if vis else "text_model", i)
            w = v.shape[0] // 3
            if sub == "attn.in_proj_weight" or sub == "attn.in_proj_bias":
                kind = "weight" if sub.endswith("weight") else "bias"
                for j, qkv in enumerate(["q_proj", "k_proj", "v_proj"]):
                    out.append((pre + "self_attn.%s.%s" % (qkv, kind), v[j * w:(j + 1) * w]))
                continue
            m = {"ln_1.weight": "layer_norm1.weight", "ln_1.bias": "layer_norm1.bias",
                 "ln_2.weight": "layer_norm2.weight", "ln_2.bias": "layer_norm2.bias",
                 "attn.out_proj.weight": "self_attn.out_proj.weight", "attn.out_proj.bias": "self_attn.out_proj.bias",
                 "mlp.c_fc.weight": "mlp.fc1.weight", "mlp.c_fc.bias": "mlp.fc1.bias",
                 "mlp.c_proj.weight": "mlp.fc2.weight", "mlp.c_proj.bias": "mlp.fc2.bias"}[sub]
            out.append((pre + m, v))
            continue
        m = {"visual.conv1.weight": "vision_model.embeddings.patch_embedding.weight",
             "visual.class_embedding": "vision_model.embeddings.class_embedding",
             "visual.positional_embedding": "vision_model.embeddings.position_embedding.weight",
             "visual.ln_pre.weight": "vision_model.pre_layrnorm.weight",
             "visual.ln_pre.bias": "vision_model.pre_layrnorm.bias",
             "visual.ln_post.weight": "vision_model.post_layernorm.weight",
             "visual.ln_post.bias": "vision_model.post_layernorm.bias",
             "token_embedding.weight": "text_model.embeddings.token_embedding.weight",
             "positional_embedding": "text_model.embeddings.position_embedding.weight",
             "ln_final.weight": "text_model.final_layer_norm.weight",
             "ln_final.bias": "text_model.final_layer_norm.bias",
             "logit_scale": "logit_scale"}
        if k == "visual.proj":
            out.append(("visual_projection.weight", v.T.copy()))
        elif k == "text_projection":
            out.append(("text_projection.weight", v.T.copy()))
        else:
            out.append((m[k], v))
    return out


def save_npy(name, arr):
    np.save(os.path.join(OUT, name), np.ascontiguousarray(arr, dtype=np.float32))


def main():
    os.makedirs(OUT, exist_ok=True)
    for si, s in enumerate(SPECS):
        rng = np.random.default_rng(1000 + si)
        name = s["name"]
        sd = make_state(s, rng)
        cfg = dict(act=s["act"], eps=1e-5, patch=s["patch"], v_layers=s["v_layers"], v_heads=s["v_heads"],
                   t_layers=s.get("t_layers", 0), t_heads=s.get("t_heads", 1))
        has_text = "t_width" in s
        path = os.path.join(OUT, name + ".safetensors")
        if s["naming"] == "hf":
            os.makedirs(os.path.join(OUT, name), exist_ok=True)
            path = os.path.join(OUT, name, "model.safetensors")
            st_io.write(path, to_hf(sd, s), s["dtype"])
            conf = {"architectures": ["CLIPModel"], "projection_dim": s["embed"],
                    "text_config": {"hidden_size": s["t_width"], "num_attention_heads": s["t_heads"],
                                    "num_hidden_layers": s["t_layers"], "intermediate_size": s["t_mlp"],
                                    "hidden_act": s["act"], "layer_norm_eps": 1e-5,
                                    "max_position_embeddings": s["context"], "vocab_size": s["vocab"]},
                    "vision_config": {"hidden_size": s["v_width"], "num_attention_heads": s["v_heads"],
                                      "num_hidden_layers": s["v_layers"], "intermediate_size": s["v_mlp"],
                                      "hidden_act": s["act"], "layer_norm_eps": 1e-5,
                                      "image_size": s["patch"] * s["grid"], "patch_size": s["patch"]}}
            with open(os.path.join(OUT, name, "config.json"), "w") as f:
                json.dump(conf, f, indent=2)
        else:
            meta = {"segp.vision_heads": str(s["v_heads"]), "segp.text_heads": str(s.get("t_heads", 1)),
                    "segp.activation": s["act"]} if s["meta_heads"] else None
            st_io.write(path, list(sd.items()), s["dtype"], meta)

        res = s["patch"] * s["grid"]
        pixels = rng.standard_normal((3, 3, res, res)).astype(np.float32)
        save_npy(name + "_pixels.npy", pixels)
        ids = None
        if has_text:
            ctx, vocab = s["context"], s["vocab"]
            sot, eot = vocab - 2, vocab - 1
            ends = [5, ctx - 1, 1, 9 % ctx]
            ids = np.zeros((len(ends), ctx), dtype=np.int64)
            for r, e in enumerate(ends):
                ids[r, 0] = sot
                ids[r, 1:e] = rng.integers(1, vocab - 3, size=e - 1)
                ids[r, e] = eot
            save_npy(name + "_ids.npy", ids.astype(np.float32))

        # cross-check the explicit reference against the model.py-style one (LoRA = 0)
        ref0 = clip_ref.Ref(sd, cfg)
        px = torch.tensor(pixels, dtype=torch.float64)
        img0 = ref0.encode_image(px)
        oa = clip_ref.openai_encode_image(sd, cfg, px)
        assert torch.allclose(img0, oa, rtol=1e-9, atol=1e-10), "reference mismatch (image)"
        save_npy(name + "_img.npy", img0.detach().numpy())
        if has_text:
            it = torch.tensor(ids)
            txt0 = ref0.encode_text(it)
            assert torch.allclose(txt0, clip_ref.openai_encode_text(sd, cfg, it), rtol=1e-9, atol=1e-10)
            save_npy(name + "_txt.npy", txt0.detach().numpy())

        # LoRA state with non-zero B, then outputs and gradients of a contrastive loss
        lora = {}
        meta_targets = 0
        for tower, layers, w, mlp in [("visual", s["v_layers"], s["v_width"], s["v_mlp"])] + \
                ([("text", s["t_layers"], s["t_width"], s["t_mlp"])] if has_text else []):
            for i in range(layers):
                for t in s["lora_targets"]:
                    fin = mlp if t == "proj" else w
                    fout = mlp if t == "fc" else w
                    bound = 1.0 / math.sqrt(fin)
                    lora["lora.%s.%d.%s.A" % (tower, i, t)] = rng.uniform(-bound, bound, (LORA_RANK, fin)).astype(np.float32)
                    lora["lora.%s.%d.%s.B" % (tower, i, t)] = (rng.standard_normal((fout, LORA_RANK)) * 0.05).astype(np.float32)
        for t in s["lora_targets"]:
            meta_targets |= 1 << clip_ref.TARGETS.index(t)
        st_io.write(os.path.join(OUT, name + "_lora.safetensors"), sorted(lora.items()), "F32",
                    {"segp.lora_rank": str(LORA_RANK), "segp.lora_alpha": "8", "segp.lora_targets": str(meta_targets)})
        ref = clip_ref.Ref(sd, cfg, lora, LORA_ALPHA / LORA_RANK, requires_grad=s["weight_grads"])
        px = torch.tensor(pixels, dtype=torch.float64, requires_grad=True)
        img = ref.encode_image(px)
        save_npy(name + "_img_lora.npy", img.detach().numpy())
        if has_text:
            txt = ref.encode_text(torch.tensor(ids))
            save_npy(name + "_txt_lora.npy", txt.detach().numpy())
            scale = math.exp(float(sd["logit_scale"]))
            logits = scale * F.normalize(img, dim=-1) @ F.normalize(txt, dim=-1).T
            labels = torch.arange(img.shape[0]) % txt.shape[0]
            loss = F.cross_entropy(logits, labels)
        else:
            wts_np = np.random.default_rng(7).standard_normal(img.shape).astype(np.float32)
            save_npy(name + "_wts.npy", wts_np)
            wts = torch.tensor(wts_np, dtype=torch.float64)
            loss = (F.normalize(img, dim=-1) * wts).sum()
        loss.backward()
        with open(os.path.join(OUT, name + "_loss.txt"), "w") as f:
            f.write("%.17g\n" % loss.item())
        save_npy(name + "_grad_pixels.npy", px.grad.numpy())
        grads = [(k, ref.lora[k].grad.numpy()) for k in sorted(lora) if k.endswith(".B")]
        st_io.write(os.path.join(OUT, name + "_grad_lora.safetensors"), grads, "F32")
        if s["weight_grads"]:
            wg = [(k, ref.p[k].grad.numpy()) for k in sd if ref.p[k].grad is not None]
            st_io.write(os.path.join(OUT, name + "_grad_weights.safetensors"), wg, "F32")
        print("%s: loss %.6f, %d LoRA tensors" % (name, loss.item(), len(lora)))
        if has_text:
            make_short(s, si, sd, cfg, lora, pixels)


def make_short(s, si, sd, cfg, lora, pixels):
    """The shortened text path: every prompt ends before the last context position, as real
    prompts do, so the engine runs the text tower only up to the longest end-of-text. Texts,
    their outputs (without and with LoRA) and the gradients of the same contrastive loss with
    these texts: pixels, LoRA B, and (weight_grads specs) the text tower's weights. Its own rng,
    so the fixtures above stay as they were."""
    name, ctx, vocab = s["name"] + "_short", s["context"], s["vocab"]
    rng = np.random.default_rng(3000 + si)
    sot, eot = vocab - 2, vocab - 1
    ends = [3, 10, 1, 6]  # longest 10 < ctx - 1 for every spec
    assert max(ends) < ctx - 1
    ids = np.zeros((len(ends), ctx), dtype=np.int64)
    for r, e in enumerate(ends):
        ids[r, 0] = sot
        ids[r, 1:e] = rng.integers(1, vocab - 3, size=e - 1)
        ids[r, e] = eot
        if r >= 2:  # ordinary tokens after the end-of-text instead of padding: ignored too
            ids[r, e + 1:] = rng.integers(1, vocab - 3, size=ctx - e - 1)
    save_npy(name + "_ids.npy", ids.astype(np.float32))
    it = torch.tensor(ids)
    txt0 = clip_ref.Ref(sd, cfg).encode_text(it)
    assert torch.allclose(txt0, clip_ref.openai_encode_text(sd, cfg, it), rtol=1e-9, atol=1e-10)
    save_npy(name + "_txt.npy", txt0.detach().numpy())
    ref = clip_ref.Ref(sd, cfg, lora, LORA_ALPHA / LORA_RANK, requires_grad=s["weight_grads"])
    px = torch.tensor(pixels, dtype=torch.float64, requires_grad=True)
    img = ref.encode_image(px)
    txt = ref.encode_text(it)
    save_npy(name + "_txt_lora.npy", txt.detach().numpy())
    scale = math.exp(float(sd["logit_scale"]))
    logits = scale * F.normalize(img, dim=-1) @ F.normalize(txt, dim=-1).T
    loss = F.cross_entropy(logits, torch.arange(img.shape[0]) % txt.shape[0])
    loss.backward()
    with open(os.path.join(OUT, name + "_loss.txt"), "w") as f:
        f.write("%.17g\n" % loss.item())
    save_npy(name + "_grad_pixels.npy", px.grad.numpy())
    grads = [(k, ref.lora[k].grad.numpy()) for k in sorted(lora) if k.endswith(".B")]
    st_io.write(os.path.join(OUT, name + "_grad_lora.safetensors"), grads, "F32")
    if s["weight_grads"]:
        wg = [(k, ref.p[k].grad.numpy()) for k in sd
              if ref.p[k].grad is not None and not k.startswith("visual.") and k != "logit_scale"]
        st_io.write(os.path.join(OUT, name + "_grad_weights.safetensors"), wg, "F32")
    print("%s: ends %s, loss %.6f" % (name, ends, loss.item()))


if __name__ == "__main__":
    main()
