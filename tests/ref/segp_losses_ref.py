"""Makes tests/fixtures/segp_losses_ref.safetensors: SeGP-CL's losses (METHOD.md sections 3-6) on
the tiny CLIP of the fixtures, in float64, as the reference for engine/cl/cl_losses.c
(tests/test_segp_losses.c).

The batch is laid out as the continual-learning runner lays it out: image rows 0..2 are data
images (clip_tiny_pixels.npy), rows 3..4 anchors (seeded perturbations of them); text rows 0..2
are the current task's prompts, rows 3..5 the old classes' prompts (clip_tiny_ids.npy plus two
edited copies). The student is clip_tiny_lora.safetensors, the teacher the same A with -B,
the pretrained reference B = 0. For each loss the value, its gradient w.r.t. every LoRA B
matrix (NAME.grad.lora.TOWER.L.T.B) and, for the image-side losses, w.r.t. the pixels
(NAME.grad_pixels) of all five images:
  cls   cross-entropy of logit_scale * cos(data image, current prompt), labels LABELS;
  acgd  tau^2 * mean over the anchors of KL(p_T || p_S) over the old classes, p_T from the
        teacher (stored, float32, as both sides use it);
  tsgr  mean over the current classes of KL(p_ref || p_S) over their k nearest classes among
        all six prompts in the B = 0 space (nbr, p_ref stored);
  dpgd  the sum over all five images of CE(logit_scale * cos(f_T, g), target) +
        lambda_p (1 - cos(f_T, mu)) under the TEACHER state, with g the teacher's normalised
        old-class text embeddings and mu normalised teacher image embeddings (stored, float32);
        per image ce and vis too.

Run from the repository root: python3 tests/ref/segp_losses_ref.py  (or `make refs`).
Deterministic."""
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
LABELS = [2, 0, 1]           # data image i -> current class (text row)
N_DATA, N_CUR = 3, 3         # data image rows, current-class text rows
TAU_ACGD, TAU_TSGR, K_TSGR = 4.0, 0.05, 3
LAMBDA_P = 0.7
DPGD_TARGETS = [0, 1, 2, 1, 0]  # old class (0..2) of each image for the DPGD objective
TEACHER_SCALE = -1.0


def f32(t):
    """A float64 tensor rounded to float32 and back (what the C side reads)."""
    return torch.tensor(np.asarray(t.detach().numpy(), dtype=np.float32), dtype=torch.float64)


def main():
    sd, cfg, lora0, lscale = clip_ref.load_tiny(FIX)
    ls = math.exp(float(sd["logit_scale"]))

    px = np.load(os.path.join(FIX, "clip_tiny_pixels.npy")).astype(np.float32)
    rng = np.random.default_rng(20260312)
    anchors = (0.7 * px[:2] + 0.5 * rng.standard_normal(px[:2].shape)).astype(np.float32)
    pixels_np = np.concatenate([px, anchors], 0)
    ids_np = np.load(os.path.join(FIX, "clip_tiny_ids.npy")).astype(np.int64)
    extra = np.zeros((2, ids_np.shape[1]), dtype=np.int64)
    extra[0, :6] = [49406, 1234, 32326, 39686, 34905, 49407]
    extra[1, :4] = [49406, 500, 600, 49407]
    ids_np = np.concatenate([ids_np, extra], 0)
    ids = torch.tensor(ids_np)

    def state(scale):
        return {k: (v * scale if k.endswith(".B") else v) for k, v in lora0.items()}

    teacher_lora = state(TEACHER_SCALE)
    out = [("pixels", pixels_np), ("ids", ids_np.astype(np.float32)),
           ("labels", np.array(LABELS, dtype=np.float32))]

    def run(name, lora, loss_fn, want_pixels):
        """loss_fn(img, txt) -> scalar; stores value and gradients."""
        ref = clip_ref.Ref(sd, cfg, lora, lscale)
        bnames = sorted(k for k in ref.lora if k.endswith(".B"))
        pix = torch.tensor(pixels_np, dtype=torch.float64, requires_grad=True)
        loss = loss_fn(ref.encode_image(pix), ref.encode_text(ids))
        params = [ref.lora[k] for k in bnames] + [pix]
        grads = torch.autograd.grad(loss, params, allow_unused=True)
        out.append((name + ".value", np.array([loss.item()])))
        for k, g in zip(bnames, grads[:-1]):
            g = torch.zeros_like(ref.lora[k]) if g is None else g
            out.append(("%s.grad.%s" % (name, k), g.numpy()))
        if want_pixels:
            out.append((name + ".grad_pixels", grads[-1].numpy()))
        print("%s: %.9f" % (name, loss.item()))

    # L_cls over the current classes
    labels = torch.tensor(LABELS)

    def cls_loss(img, txt):
        lg = ls * F.normalize(img[:N_DATA], dim=-1) @ F.normalize(txt[:N_CUR], dim=-1).T
        return F.cross_entropy(lg, labels)

    run("cls", lora0, cls_loss, True)

    # ACGD: the teacher's probabilities over the old classes, float32 as the C side holds them
    with torch.no_grad():
        tref = clip_ref.Ref(sd, cfg, teacher_lora, lscale)
        timg = F.normalize(tref.encode_image(torch.tensor(pixels_np, dtype=torch.float64)), dim=-1)
        ttxt = F.normalize(tref.encode_text(ids), dim=-1)
    p_t = f32(torch.softmax(ls * timg[N_DATA:] @ ttxt[N_CUR:].T / TAU_ACGD, dim=-1))
    out.append(("acgd.p_teacher", p_t.numpy()))

    def acgd_loss(img, txt):
        lg = ls * F.normalize(img[N_DATA:], dim=-1) @ F.normalize(txt[N_CUR:], dim=-1).T / TAU_ACGD
        logp = F.log_softmax(lg, dim=-1)
        kl = (p_t * (torch.log(p_t) - logp)).sum(-1)
        return TAU_ACGD ** 2 * kl.mean()

    run("acgd", lora0, acgd_loss, True)

    # TSGR: neighbours and reference probabilities in the B = 0 space
    with torch.no_grad():
        g0 = f32(F.normalize(clip_ref.Ref(sd, cfg, state(0.0), lscale).encode_text(ids), dim=-1))
    sim = g0 @ g0.T
    nbr, p_ref = [], []
    for i in range(N_CUR):
        cand = [r for r in range(ids.shape[0]) if r != i]
        cand.sort(key=lambda r: (-sim[i, r].item(), r))
        nb = cand[:K_TSGR]
        nbr.append(nb)
        p_ref.append(torch.softmax(sim[i, nb] / TAU_TSGR, dim=-1))
    p_ref = f32(torch.stack(p_ref))
    out.append(("tsgr.nbr", np.array(nbr, dtype=np.float32)))
    out.append(("tsgr.p_ref", p_ref.numpy()))

    def tsgr_loss(img, txt):
        g = F.normalize(txt, dim=-1)
        total = 0
        for i in range(N_CUR):
            z = g[i] @ g[nbr[i]].T / TAU_TSGR
            total = total + (p_ref[i] * (torch.log(p_ref[i]) - F.log_softmax(z, dim=-1))).sum()
        return total / N_CUR

    run("tsgr", lora0, tsgr_loss, False)

    # the DPGD objective under the teacher, per image, summed
    g_old = f32(ttxt[N_CUR:])
    mu = f32(timg[[4, 0, 3]])  # "prototypes" of the three old classes
    out.append(("dpgd.g", g_old.numpy()))
    out.append(("dpgd.mu", mu.numpy()))
    out.append(("dpgd.targets", np.array(DPGD_TARGETS, dtype=np.float32)))
    tg = torch.tensor(DPGD_TARGETS)
    parts = {}

    def dpgd_loss(img, txt):
        f = F.normalize(img, dim=-1)
        ce = F.cross_entropy(ls * f @ g_old.T, tg, reduction="none")
        vis = 1 - (f * mu[tg]).sum(-1)
        parts["ce"], parts["vis"] = ce.detach().numpy(), vis.detach().numpy()
        return (ce + LAMBDA_P * vis).sum()

    run("dpgd", teacher_lora, dpgd_loss, True)
    out.append(("dpgd.ce", parts["ce"]))
    out.append(("dpgd.vis", parts["vis"]))

    md = {"segp.tau_acgd": repr(TAU_ACGD), "segp.tau_tsgr": repr(TAU_TSGR),
          "segp.k_tsgr": str(K_TSGR), "segp.lambda_p": repr(LAMBDA_P),
          "segp.teacher_scale": repr(TEACHER_SCALE), "segp.n_data": str(N_DATA),
          "segp.n_cur": str(N_CUR)}
    st_io.write(os.path.join(FIX, "segp_losses_ref.safetensors"), out, "F32", md)


if __name__ == "__main__":
    main()
