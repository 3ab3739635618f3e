"""PyTorch baseline for `segp bench`: the work of segp's bench cases on random CLIP weights.

(a) image-tower forward (inference, no autograd state); (b) one LoRA-B training step through
both CLIP towers: image batch through the vision tower, class prompts through the text tower,
CLIP logits, cross-entropy, backward to the LoRA B matrices only (base weights frozen), SGD
update; (c) an input-gradient step: image-tower forward, CLIP logits against fixed text
embeddings, cross-entropy, backward to the pixels only (what DPGD runs). The architecture comes
from the command line (segp passes the checkpoint's); weights are random (the time does not
depend on their values).

--device cpu (default): float32 on the CPU with --threads threads, attention written out
(softmax(q k^T) v), as segp's CPU comparison always ran. --device cuda: on the GPU; --precision
fp32 (TF32 off for matmul and cuDNN), tf32 (TF32 on: fp32_precision "tf32" for
torch.backends.cuda.matmul and cudnn.conv, or allow_tf32 before torch 2.9) or bf16
(torch.autocast to bfloat16 around the forward, TF32 off); attention through
F.scaled_dot_product_attention (--attention math writes it out); the clock is read after
torch.cuda.synchronize(). In (b) the batch's pixels are uploaded from host memory every step,
as segp's training step does.

--text-len L runs the text tower over the first L positions: segp passes the prompt length
(segp stops at the end-of-text token: causal attention means later positions cannot change
the pooled output) and, for the openai/CLIP comparison, the full context (as openai/CLIP's
encode_text does).

Each case is timed for at least --min-time seconds (and 2 steps) after one warm-up step. Prints
`images_per_s <value>` for (b) when --cases is not given (segp's CPU comparison), else one line
`images_per_s_<case> <value>` per case of --cases (e.g. abc); errors go to stderr, which segp
shows.

usage: python3 bench/torch_lora_step.py --batch 32 --threads 2 --min-time 2 [--patch 16 ...]
       python3 bench/torch_lora_step.py --device cuda --precision tf32 --cases abc --batch 128"""
import argparse
import math
import time

import torch
import torch.nn.functional as F

TARGETS = ["q", "k", "v", "out", "fc", "proj"]  # bit order of segp's LORA_* mask


def make_tower(width, layers, mlp, rank, targets, gen, dev):
    def w(*shape, std=0.02):
        return (torch.randn(*shape, generator=gen) * std).to(dev)
    blocks = []
    for _ in range(layers):
        b = dict(ln1_w=torch.ones(width, device=dev), ln1_b=torch.zeros(width, device=dev),
                 in_w=w(3 * width, width), in_b=torch.zeros(3 * width, device=dev),
                 out_w=w(width, width), out_b=torch.zeros(width, device=dev),
                 ln2_w=torch.ones(width, device=dev), ln2_b=torch.zeros(width, device=dev),
                 fc_w=w(mlp, width), fc_b=torch.zeros(mlp, device=dev), pr_w=w(width, mlp),
                 pr_b=torch.zeros(width, device=dev))
        shapes = dict(q=(width, width), k=(width, width), v=(width, width), out=(width, width),
                      fc=(width, mlp), proj=(mlp, width))
        lora = {}
        for t in targets:
            fin, fout = shapes[t]
            a = torch.rand(rank, fin, generator=gen) * 2 / math.sqrt(fin) - 1 / math.sqrt(fin)
            lora[t + "_A"] = a.to(dev)
            bm = torch.randn(fout, rank, generator=gen) * 1e-3
            lora[t + "_B"] = bm.to(dev).requires_grad_()
        b["lora"] = lora
        blocks.append(b)
    return blocks


def set_tf32(on):
    """TF32 for matrix products and convolutions, on or off, through the API this torch has
    (fp32_precision since 2.9, which warns about the older allow_tf32 flags)."""
    mm, conv = torch.backends.cuda.matmul, getattr(torch.backends.cudnn, "conv", None)
    if hasattr(mm, "fp32_precision") and hasattr(conv, "fp32_precision"):
        mm.fp32_precision = conv.fp32_precision = "tf32" if on else "ieee"
    else:
        mm.allow_tf32 = on
        torch.backends.cudnn.allow_tf32 = on


def block(x, b, heads, causal, scale, act, sdpa):
    n, l, w = x.shape
    hd = w // heads
    L = b["lora"]

    def lin(h, wt, bias, t):
        y = F.linear(h, wt, bias)
        if t + "_A" in L:
            y = y + scale * F.linear(F.linear(h, L[t + "_A"]), L[t + "_B"])
        return y

    h = F.layer_norm(x, (w,), b["ln1_w"], b["ln1_b"])
    q = lin(h, b["in_w"][:w], b["in_b"][:w], "q")
    k = lin(h, b["in_w"][w:2 * w], b["in_b"][w:2 * w], "k")
    v = lin(h, b["in_w"][2 * w:], b["in_b"][2 * w:], "v")
    q, k, v = (t.reshape(n, l, heads, hd).transpose(1, 2) for t in (q, k, v))
    if sdpa:
        o = F.scaled_dot_product_attention(q, k, v, is_causal=causal)
    else:
        s = q @ k.transpose(-1, -2) / math.sqrt(hd)
        if causal:
            s = s + torch.full((l, l), float("-inf"), device=x.device).triu(1)
        o = s.softmax(-1) @ v
    o = o.transpose(1, 2).reshape(n, l, w)
    x = x + lin(o, b["out_w"], b["out_b"], "out")
    h = F.layer_norm(x, (w,), b["ln2_w"], b["ln2_b"])
    f = act(lin(h, b["fc_w"], b["fc_b"], "fc"))
    return x + lin(f, b["pr_w"], b["pr_b"], "proj")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--min-time", type=float, default=2.0)
    ap.add_argument("--classes", type=int, default=10)
    ap.add_argument("--prompt-len", type=int, default=8, help="tokens per prompt incl. start/end")
    ap.add_argument("--text-len", type=int, default=0, help="text positions run (0: context)")
    ap.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    ap.add_argument("--precision", choices=["fp32", "tf32", "bf16"], default="fp32")
    ap.add_argument("--cases", default="", help="letters of the cases to time (a, b, c)")
    ap.add_argument("--attention", choices=["auto", "math", "sdpa"], default="auto",
                    help="auto: scaled_dot_product_attention on CUDA, written out on the CPU")
    # architecture (defaults: ViT-B/16)
    ap.add_argument("--v-width", type=int, default=768)
    ap.add_argument("--v-layers", type=int, default=12)
    ap.add_argument("--v-heads", type=int, default=12)
    ap.add_argument("--v-mlp", type=int, default=3072)
    ap.add_argument("--patch", type=int, default=16)
    ap.add_argument("--resolution", type=int, default=224)
    ap.add_argument("--t-width", type=int, default=512)
    ap.add_argument("--t-layers", type=int, default=12)
    ap.add_argument("--t-heads", type=int, default=8)
    ap.add_argument("--t-mlp", type=int, default=2048)
    ap.add_argument("--context", type=int, default=77)
    ap.add_argument("--vocab", type=int, default=49408)
    ap.add_argument("--embed", type=int, default=512)
    ap.add_argument("--act", choices=["quick_gelu", "gelu"], default="quick_gelu")
    ap.add_argument("--rank", type=int, default=32)
    ap.add_argument("--alpha", type=float, default=32.0)
    ap.add_argument("--targets", type=int, default=1 | 4 | 16 | 32, help="segp's LORA_* bit mask")
    a = ap.parse_args()
    if a.resolution % a.patch or a.v_width % a.v_heads or a.t_width % a.t_heads:
        raise SystemExit("torch_lora_step.py: patch must divide resolution, heads the widths")
    text_len = a.text_len or a.context
    if not a.prompt_len <= text_len <= a.context:
        raise SystemExit("torch_lora_step.py: need prompt-len <= text-len <= context "
                         "(%d, %d, %d)" % (a.prompt_len, text_len, a.context))
    cases = a.cases or "b"
    if not cases or any(c not in "abc" for c in cases):
        raise SystemExit("torch_lora_step.py: --cases '%s' (letters a, b, c)" % a.cases)
    cuda = a.device == "cuda"
    if cuda and not torch.cuda.is_available():
        raise SystemExit("torch_lora_step.py: --device cuda, but torch sees no GPU (torch %s)"
                         % torch.__version__)
    if not cuda and a.precision == "tf32":
        raise SystemExit("torch_lora_step.py: --precision tf32 needs --device cuda")
    dev = torch.device(a.device)
    sdpa = (a.attention == "sdpa" or (a.attention == "auto" and cuda))
    if sdpa and not hasattr(F, "scaled_dot_product_attention"):
        raise SystemExit("torch_lora_step.py: this torch (%s) has no scaled_dot_product_attention"
                         % torch.__version__)
    torch.set_num_threads(a.threads)
    if cuda:
        set_tf32(a.precision == "tf32")
    autocast = (torch.autocast(device_type=a.device, dtype=torch.bfloat16)
                if a.precision == "bf16" else None)

    def sync():
        if cuda:
            torch.cuda.synchronize()

    gen = torch.Generator().manual_seed(0)
    targets = [t for i, t in enumerate(TARGETS) if a.targets >> i & 1]
    act = (lambda x: x * torch.sigmoid(1.702 * x)) if a.act == "quick_gelu" else F.gelu
    vw, tw, emb, res = a.v_width, a.t_width, a.embed, a.resolution
    grid = res // a.patch
    scale = a.alpha / a.rank
    vis = make_tower(vw, a.v_layers, a.v_mlp, a.rank, targets, gen, dev)
    txt = make_tower(tw, a.t_layers, a.t_mlp, a.rank, targets, gen, dev)
    conv = (torch.randn(vw, 3, a.patch, a.patch, generator=gen) * 0.02).to(dev)
    cls = (torch.randn(vw, generator=gen) * 0.02).to(dev)
    vpos = (torch.randn(grid * grid + 1, vw, generator=gen) * 0.01).to(dev)
    vproj = (torch.randn(vw, emb, generator=gen) * 0.02).to(dev)
    tok = (torch.randn(a.vocab, tw, generator=gen) * 0.02).to(dev)
    tpos = (torch.randn(a.context, tw, generator=gen) * 0.01).to(dev)
    tproj = (torch.randn(tw, emb, generator=gen) * 0.02).to(dev)
    ones_v, zeros_v = torch.ones(vw, device=dev), torch.zeros(vw, device=dev)
    ones_t, zeros_t = torch.ones(tw, device=dev), torch.zeros(tw, device=dev)
    pixels = torch.randn(a.batch, 3, res, res, generator=gen)  # host memory
    pixels_dev = pixels.to(dev)
    ids = torch.zeros(a.classes, a.context, dtype=torch.long)
    for c in range(a.classes):  # start, words, end of text (the largest id: argmax pooling)
        ids[c, 0], ids[c, a.prompt_len - 1] = a.vocab - 2, a.vocab - 1
        ids[c, 1:a.prompt_len - 1] = torch.randint(1, a.vocab - 3, (a.prompt_len - 2,),
                                                   generator=gen)
    ids = ids[:, :text_len].to(dev)
    eot = ids.argmax(-1)
    labels = (torch.arange(a.batch) % a.classes).to(dev)
    text_fixed = (torch.randn(a.classes, emb, generator=gen) / math.sqrt(emb)).to(dev)
    params = [b["lora"][k] for tower in (vis, txt) for b in tower for k in b["lora"]
              if k.endswith("_B")]
    opt = torch.optim.SGD(params, lr=1e-3, momentum=0.9)
    rows = torch.arange(a.classes, device=dev)

    def vision(px):
        x = F.conv2d(px, conv, stride=a.patch).flatten(2).transpose(1, 2)
        x = torch.cat([cls.expand(px.shape[0], 1, vw), x], 1) + vpos
        x = F.layer_norm(x, (vw,), ones_v, zeros_v)
        for b in vis:
            x = block(x, b, a.v_heads, False, scale, act, sdpa)
        return F.layer_norm(x[:, 0], (vw,), ones_v, zeros_v) @ vproj

    def text():
        t = tok[ids] + tpos[:text_len]
        for b in txt:
            t = block(t, b, a.t_heads, True, scale, act, sdpa)
        return F.layer_norm(t, (tw,), ones_t, zeros_t)[rows, eot] @ tproj

    def forward_loss(img, t):
        logits = 100.0 * F.normalize(img.float(), dim=-1) @ F.normalize(t.float(), dim=-1).T
        return F.cross_entropy(logits, labels)

    def in_precision(fn):
        if autocast is None:
            return fn()
        with autocast:
            return fn()

    def case_a():
        with torch.no_grad():
            in_precision(lambda: vision(pixels_dev))

    def case_b():
        px = pixels.to(dev)  # the batch comes from host memory, as in segp's step
        loss = in_precision(lambda: forward_loss(vision(px), text()))
        opt.zero_grad()
        loss.backward()
        opt.step()

    px_c = pixels_dev.clone().requires_grad_()

    def case_c():
        px_c.grad = None
        loss = in_precision(lambda: forward_loss(vision(px_c), text_fixed))
        loss.backward()

    def timed(fn):
        fn()  # warm-up
        sync()
        n, t0 = 0, time.perf_counter()
        while True:
            fn()
            sync()
            n += 1
            dt = time.perf_counter() - t0
            if n >= 2 and dt >= a.min_time:
                return a.batch * n / dt

    for c in cases:
        if c == "c":  # gradients to the pixels only, as segp's (c)
            for p in params:
                p.requires_grad_(False)
        ips = timed({"a": case_a, "b": case_b, "c": case_c}[c])
        for p in params:
            p.requires_grad_(True)
        if a.cases:
            print("images_per_s_%s %.6f" % (c, ips), flush=True)
        else:
            print("images_per_s %.6f" % ips, flush=True)


if __name__ == "__main__":
    main()
