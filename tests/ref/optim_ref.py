"""Makes tests/fixtures/optim_ref.safetensors: five training steps of SGD with momentum and five
of AdamW on the tiny CLIP of the fixtures (clip_tiny.safetensors with the LoRA state
clip_tiny_lora.safetensors), each step the CLIP-logit cross-entropy of the 3 fixture images
against the 4 fixture prompts (image i -> prompt i % 4) through both towers, backward to LoRA B
only, one optimiser step at the warm-up + cosine learning rate of the step (warm-up 2, total 5).
PyTorch's torch.optim.SGD / torch.optim.AdamW in float64 are the reference for segp's
train_step + optim objects (tests/test_optim.c), as llm.c's test_gpt2.c checks its steps.

Stores per optimiser: `NAME.losses` [5] (the loss of each step, before its update), `NAME.lr` [5]
and, after each step S (1..5), every B matrix as `NAME.S.lora.TOWER.L.T.B`. The hyperparameters
are in the metadata, which the C test reads.

Run from the repository root: python3 tests/ref/optim_ref.py  (or `make refs`). Deterministic."""
import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(__file__))
import clip_ref  # noqa: E402
import st_io  # noqa: E402

FIX = "tests/fixtures"
STEPS, WARMUP = 5, 2
OPTIMS = [
    dict(name="sgd", lr=0.5, momentum=0.9, weight_decay=0.01),
    dict(name="adamw", lr=0.01, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.1),
]


def lr_at(base, step):
    """segp's lr_warmup_cosine in float32 (the value the C step receives)."""
    if step < WARMUP:
        v = np.float32(base) * np.float32(step + 1) / np.float32(WARMUP)
    else:
        prog = (step - WARMUP) / (STEPS - WARMUP)
        v = 0.5 * float(np.float32(base)) * (1.0 + math.cos(math.pi * prog))
    return float(np.float32(v))


def main():
    sd, cfg, lora0, scale_lora = clip_ref.load_tiny(FIX)
    pixels = torch.tensor(np.load(os.path.join(FIX, "clip_tiny_pixels.npy")), dtype=torch.float64)
    ids = torch.tensor(np.load(os.path.join(FIX, "clip_tiny_ids.npy")).astype(np.int64))
    labels = torch.arange(pixels.shape[0]) % ids.shape[0]
    logit_scale = math.exp(float(sd["logit_scale"]))
    out, md = [], {"segp.steps": str(STEPS), "segp.warmup": str(WARMUP)}
    for o in OPTIMS:
        ref = clip_ref.Ref(sd, cfg, lora0, scale_lora)
        bnames = sorted(k for k in ref.lora if k.endswith(".B"))
        params = [ref.lora[k] for k in bnames]
        if o["name"] == "sgd":
            opt = torch.optim.SGD(params, lr=o["lr"], momentum=o["momentum"],
                                  weight_decay=o["weight_decay"])
        else:
            opt = torch.optim.AdamW(params, lr=o["lr"], betas=(o["beta1"], o["beta2"]),
                                    eps=o["eps"], weight_decay=o["weight_decay"])
        for k, v in o.items():
            if k != "name":
                md["segp.%s.%s" % (o["name"], k)] = repr(v)
        losses, lrs = [], []
        for s in range(STEPS):
            lr = lr_at(o["lr"], s)
            for g in opt.param_groups:
                g["lr"] = lr
            img, txt = ref.encode_image(pixels), ref.encode_text(ids)
            logits = logit_scale * F.normalize(img, dim=-1) @ F.normalize(txt, dim=-1).T
            loss = F.cross_entropy(logits, labels)
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
            lrs.append(lr)
            for k in bnames:
                out.append(("%s.%d.%s" % (o["name"], s + 1, k), ref.lora[k].detach().numpy().copy()))
        out.append((o["name"] + ".losses", np.array(losses)))
        out.append((o["name"] + ".lr", np.array(lrs)))
        print("%s: losses %s" % (o["name"], " ".join("%.6f" % v for v in losses)))
    st_io.write(os.path.join(FIX, "optim_ref.safetensors"), out, "F32", md)


if __name__ == "__main__":
    main()
