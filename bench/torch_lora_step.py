"""PyTorch baseline for `segp bench`: one LoRA-B training step through both CLIP towers, the
same work segp's step (b) does: image batch through the vision tower, class prompts through the
text tower, CLIP logits, cross-entropy, backward to the LoRA B matrices only (base weights
frozen), SGD update. float32, CPU, openai/CLIP layout (text runs the full 77-token context, as
openai/CLIP does). Prints one line: `images_per_s <value>`.

usage: /usr/bin/python3 bench/torch_lora_step.py --patch 16 --batch 32 --threads 2 --iters 3"""
import argparse
import math
import time

import torch
import torch.nn.functional as F


def make_tower(width, layers, mlp, rank, gen):
    def w(*shape, std=0.02):
        return torch.randn(*shape, generator=gen) * std
    blocks = []
    for _ in range(layers):
        b = dict(ln1_w=torch.ones(width), ln1_b=torch.zeros(width), in_w=w(3 * width, width),
                 in_b=torch.zeros(3 * width), out_w=w(width, width), out_b=torch.zeros(width),
                 ln2_w=torch.ones(width), ln2_b=torch.zeros(width), fc_w=w(mlp, width),
                 fc_b=torch.zeros(mlp), pr_w=w(width, mlp), pr_b=torch.zeros(width))
        lora = {}
        for t, (fin, fout) in dict(q=(width, width), v=(width, width), fc=(width, mlp), proj=(mlp, width)).items():
            lora[t + "_A"] = torch.rand(rank, fin, generator=gen) * 2 / math.sqrt(fin) - 1 / math.sqrt(fin)
            lora[t + "_B"] = torch.zeros(fout, rank, requires_grad=True)
        b["lora"] = lora
        blocks.append(b)
    return blocks


def block(x, b, heads, causal, scale):
    n, l, w = x.shape
    hd = w // heads
    L = b["lora"]
    h = F.layer_norm(x, (w,), b["ln1_w"], b["ln1_b"])
    qkv = F.linear(h, b["in_w"], b["in_b"])
    q, k, v = qkv.split(w, dim=-1)
    q = q + scale * F.linear(F.linear(h, L["q_A"]), L["q_B"])
    v = v + scale * F.linear(F.linear(h, L["v_A"]), L["v_B"])
    q, k, v = (t.reshape(n, l, heads, hd).transpose(1, 2) for t in (q, k, v))
    s = q @ k.transpose(-1, -2) / math.sqrt(hd)
    if causal:
        s = s + torch.full((l, l), float("-inf")).triu(1)
    o = (s.softmax(-1) @ v).transpose(1, 2).reshape(n, l, w)
    x = x + F.linear(o, b["out_w"], b["out_b"])
    h = F.layer_norm(x, (w,), b["ln2_w"], b["ln2_b"])
    f = F.linear(h, b["fc_w"], b["fc_b"]) + scale * F.linear(F.linear(h, L["fc_A"]), L["fc_B"])
    f = f * torch.sigmoid(1.702 * f)
    return x + F.linear(f, b["pr_w"], b["pr_b"]) + scale * F.linear(F.linear(f, L["proj_A"]), L["proj_B"])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--patch", type=int, default=16)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--iters", type=int, default=3)
    ap.add_argument("--classes", type=int, default=10)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    gen = torch.Generator().manual_seed(0)
    vw, tw, emb, res, rank = 768, 512, 512, 224, 32
    grid = res // a.patch
    vis = make_tower(vw, 12, 4 * vw, rank, gen)
    txt = make_tower(tw, 12, 4 * tw, rank, gen)
    conv = torch.randn(vw, 3, a.patch, a.patch, generator=gen) * 0.02
    cls = torch.randn(vw, generator=gen) * 0.02
    vpos = torch.randn(grid * grid + 1, vw, generator=gen) * 0.01
    vproj = torch.randn(vw, emb, generator=gen) * 0.02
    tok = torch.randn(49408, tw, generator=gen) * 0.02
    tpos = torch.randn(77, tw, generator=gen) * 0.01
    tproj = torch.randn(tw, emb, generator=gen) * 0.02
    ones_v, zeros_v, ones_t, zeros_t = torch.ones(vw), torch.zeros(vw), torch.ones(tw), torch.zeros(tw)
    pixels = torch.randn(a.batch, 3, res, res, generator=gen)
    ids = torch.zeros(a.classes, 77, dtype=torch.long)
    for c in range(a.classes):
        ids[c, 0], ids[c, 1:7], ids[c, 7] = 49406, torch.randint(1, 49000, (6,), generator=gen), 49407
    labels = torch.arange(a.batch) % a.classes
    params = [b["lora"][k] for tower in (vis, txt) for b in tower for k in b["lora"] if k.endswith("_B")]
    opt = torch.optim.SGD(params, lr=1e-3, momentum=0.9)
    scale = 1.0

    def step():
        x = F.conv2d(pixels, conv, stride=a.patch).flatten(2).transpose(1, 2)
        x = torch.cat([cls.expand(a.batch, 1, vw), x], 1) + vpos
        x = F.layer_norm(x, (vw,), ones_v, zeros_v)
        for b in vis:
            x = block(x, b, 12, False, scale)
        img = F.layer_norm(x[:, 0], (vw,), ones_v, zeros_v) @ vproj
        t = tok[ids] + tpos
        for b in txt:
            t = block(t, b, 8, True, scale)
        t = F.layer_norm(t, (tw,), ones_t, zeros_t)[torch.arange(a.classes), ids.argmax(-1)] @ tproj
        logits = 100.0 * F.normalize(img, dim=-1) @ F.normalize(t, dim=-1).T
        loss = F.cross_entropy(logits, labels)
        opt.zero_grad()
        loss.backward()
        opt.step()

    step()  # warm-up
    t0 = time.perf_counter()
    for _ in range(a.iters):
        step()
    dt = (time.perf_counter() - t0) / a.iters
    print("images_per_s %.6f" % (a.batch / dt))


if __name__ == "__main__":
    main()
