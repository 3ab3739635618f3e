"""Makes the zero-shot fixture of the shipped model (tests/test_shipped_model.c): 200 images of
the shapes benchmark's test split as segp renders them, and PyTorch's zero-shot logits for them
over the 100 class prompts; and PyTorch's zero-shot figures on the whole test split (20 images
per class), which `segp zeroshot --world shapes` reports (the pinned 69.00%).

The images come from `segp shapes --grid` (the test split at the model's 48 pixels, zoom 1:
cells are the rendered bytes, which the C test checks against the renderer). The reference
(clip_ref.py, float64) tokenizes "a photo of a {name}." with tokenizer_ref.py (clip.tokenize,
context 32, truncated as segp does), normalises the pixels with CLIP's mean and std, and computes
exp(logit_scale) * cos(image, text).

Run from the repository root after `make`: python3 tests/ref/shapes_zeroshot_ref.py [SEGP]
(or `make refs`). Writes tests/fixtures/shapes_zeroshot.{png,txt} and shapes_zeroshot_logits.npy.
Deterministic."""
import os
import re
import subprocess
import sys
import tempfile

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

sys.path.insert(0, os.path.dirname(__file__))
import clip_ref  # noqa: E402
import st_io  # noqa: E402
import tokenizer_ref  # noqa: E402

MODEL = "sample_runs/models/shapes-clip.safetensors"
OUT = "tests/fixtures"
TEMPLATE = "a photo of a {}."
SIZE, ROWS, COLS, SEED = 48, 20, 10, 1  # 200 cells: every class at sample indices 0 and 1
PER_CLASS = 20  # test images per class of the whole split (segp's default)
MEAN = (0.48145466, 0.4578275, 0.40821073)  # CLIP's normalisation
STD = (0.26862954, 0.26130258, 0.27577711)
CELL = re.compile(r"^(\d+) (\d+)\s+class (\d+) \(([a-z ]+)\) index (\d+) ([a-z-]+)$")


def render(segp, start):
    """Cells of sample indices start, start + 1 of every class (in class-order walk):
    -> uint8 [ROWS*COLS, SIZE, SIZE, 3], [(class, index, rendition)], {class: name}"""
    with tempfile.TemporaryDirectory() as tmp:
        png = os.path.join(tmp, "grid.png")
        out = subprocess.run([segp, "shapes", "--grid", png, "--split", "test", "--size", str(SIZE),
                              "--scale", "1", "--rows", str(ROWS), "--cols", str(COLS), "--seed", str(SEED),
                              "--start", str(start)],
                             check=True, capture_output=True, text=True).stdout
        grid = np.asarray(Image.open(png).convert("RGB"))
    assert grid.shape == (ROWS * (SIZE + 2) + 2, COLS * (SIZE + 2) + 2, 3), grid.shape
    imgs, meta, names = [], [], {}
    for line in out.splitlines():
        m = CELL.match(line)
        assert m, "unexpected line from segp shapes: %r" % line
        r, c, cls, name, idx, rend = m.groups()
        y, x = 2 + int(r) * (SIZE + 2), 2 + int(c) * (SIZE + 2)
        imgs.append(grid[y:y + SIZE, x:x + SIZE])
        meta.append((int(cls), int(idx), rend))
        names[int(cls)] = name
    assert len(imgs) == ROWS * COLS and sorted(names) == list(range(100))
    return np.stack(imgs), meta, names


def model_cfg(sd, meta):
    layers = lambda pre: len({k.split(".")[len(pre.split(".")) - 1] for k in sd if k.startswith(pre)})
    return dict(act=meta.get("segp.activation", "quick_gelu"), eps=1e-5,
                patch=sd["visual.conv1.weight"].shape[-1],
                v_layers=layers("visual.transformer.resblocks."), v_heads=int(meta["segp.vision_heads"]),
                t_layers=layers("transformer.resblocks."), t_heads=int(meta["segp.text_heads"]))


def normalise(imgs):
    px = torch.tensor(imgs, dtype=torch.float64).permute(0, 3, 1, 2) / 255.0
    return (px - torch.tensor(MEAN, dtype=torch.float64).view(1, 3, 1, 1)) / \
        torch.tensor(STD, dtype=torch.float64).view(1, 3, 1, 1)


def main():
    segp = sys.argv[1] if len(sys.argv) > 1 else "./segp"
    sd, smeta = st_io.read(MODEL)
    cfg = model_cfg(sd, smeta)
    ctx = sd["positional_embedding"].shape[0]
    ref = clip_ref.Ref(sd, cfg)
    scale = np.exp(float(sd["logit_scale"]))
    imgs0, meta, names = None, [], None
    logits = []
    for start in range(0, PER_CLASS, ROWS * COLS // 100):
        imgs, m, nm = render(segp, start)
        if start == 0:
            imgs0, names = imgs, nm
            ids = torch.tensor([tokenizer_ref.tokenize(TEMPLATE.format(names[k]), ctx, truncate=True)
                                for k in range(100)])
            with torch.no_grad():
                txt = F.normalize(ref.encode_text(ids), dim=-1)
        with torch.no_grad():
            logits.append((scale * F.normalize(ref.encode_image(normalise(imgs)), dim=-1) @ txt.T).numpy())
        meta += m
    logits = np.concatenate(logits)
    labels = np.array([c for c, _, _ in meta])
    pred = logits.argmax(1)
    top2 = np.sort(logits, axis=1)[:, -2:]
    margin = top2[:, 1] - top2[:, 0]
    n0 = ROWS * COLS
    ok = pred == labels

    # the fixture images, in cell order, as a COLS x ROWS grid without separators (lossless PNG)
    sheet = imgs0.reshape(ROWS, COLS, SIZE, SIZE, 3).transpose(0, 2, 1, 3, 4).reshape(ROWS * SIZE, COLS * SIZE, 3)
    Image.fromarray(sheet).save(os.path.join(OUT, "shapes_zeroshot.png"), optimize=False, compress_level=9)
    np.save(os.path.join(OUT, "shapes_zeroshot_logits.npy"), logits[:n0].astype(np.float32))
    # the whole split: what shapes_zeroshot_eval reports (tasks of the default class order: the
    # walk of the grid's first 100 cells)
    order = [c for c, _, _ in meta[:100]]
    task = {c: i // 10 for i, c in enumerate(order)}
    rends = ["standard", "outline", "striped", "checkered", "dotted", "blur", "noise", "low-contrast"]
    colour = lambda k: names[k].split(" ")[0]
    shape = lambda k: names[k].split(" ", 1)[1]
    with open(os.path.join(OUT, "shapes_zeroshot.txt"), "w") as f:
        f.write("# tests/ref/shapes_zeroshot_ref.py: %s, shapes test split (world seed %d, %d px),\n"
                "# template \"%s\"; PyTorch (float64) zero-shot over the 100 classes.\n"
                "# Image i is cell i of shapes_zeroshot.png (%d per row), its logits row i of\n"
                "# shapes_zeroshot_logits.npy: class index rendition reference_prediction top2_margin\n"
                % (MODEL, SEED, SIZE, TEMPLATE, COLS))
        f.write("images %d\n" % n0)
        for (cls, idx, rend), p, mg in zip(meta[:n0], pred[:n0], margin[:n0]):
            f.write("%d %d %s %d %.6f\n" % (cls, idx, rend, p, mg))
        f.write("# The whole test split (%d per class): images, correct, smallest top-2 margin;\n"
                "# then images and correct per rendition and per task, and the images given\n"
                "# the wrong colour / the wrong shape.\n" % PER_CLASS)
        f.write("split %d %d %.6f\n" % (len(meta), ok.sum(), margin.min()))
        for r in rends:
            sel = np.array([m[2] == r for m in meta])
            f.write("rendition %s %d %d\n" % (r, sel.sum(), ok[sel].sum()))
        for t in range(10):
            sel = np.array([task[c] == t for c in labels])
            f.write("task %d %d %d\n" % (t + 1, sel.sum(), ok[sel].sum()))
        f.write("colour_wrong %d\n" % sum(colour(p) != colour(y) for p, y in zip(pred, labels)))
        f.write("shape_wrong %d\n" % sum(shape(p) != shape(y) for p, y in zip(pred, labels)))
    print("shapes_zeroshot: PyTorch accuracy %.2f%% on the %d fixture images, %.2f%% on the %d of "
          "the split; smallest top-2 margin %.4f"
          % (100.0 * ok[:n0].mean(), n0, 100.0 * ok.mean(), len(meta), margin.min()))


if __name__ == "__main__":
    main()
