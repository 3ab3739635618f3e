#!/usr/bin/env python3
"""augment_ref.py: reference data for tests/test_augment.c.

torchvision's training transform on a PIL image is
  F.resized_crop(img, i, j, h, w, size, BICUBIC) = img.crop((j, i, j + w, i + h)).resize(size, BICUBIC)
  F.hflip(img) = img.transpose(FLIP_LEFT_RIGHT)
  ToTensor (float32 / 255), Normalize(CLIP mean, std) in float32.
This script applies exactly those PIL/numpy steps (torchvision itself is not needed) to a
synthetic 40x30 image for a few fixed crop boxes and writes, per case,
  tests/fixtures/augment_case{K}.npy   float32 [2, 3, size, size]: [0] = the uint8 pixels of the
                                       crop+resize+flip (CHW), [1] = the normalised tensor.
Run with /usr/bin/python3 (numpy + Pillow). Deterministic.
"""
import os

import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "fixtures")

MEAN = np.array([0.48145466, 0.4578275, 0.40821073], dtype=np.float32)
STD = np.array([0.26862954, 0.26130258, 0.27577711], dtype=np.float32)

# (x, y, w, h, flip, size): crop box in the source, flip flag, output side.
CASES = [
    (5, 3, 20, 17, 1, 16),   # downscale, flipped
    (0, 0, 40, 30, 0, 24),   # whole image, non-square box
    (31, 20, 9, 10, 1, 20),  # upscale from the bottom-right corner
]


def synth(w, h):
    x = np.arange(w)[None, :, None]
    y = np.arange(h)[:, None, None]
    c = np.arange(3)[None, None, :]
    return ((x * 7 + y * 13 + c * 50 + (x * y) % 17) % 256).astype(np.uint8)


def main():
    img = Image.fromarray(synth(40, 30), "RGB")
    for k, (x, y, w, h, flip, size) in enumerate(CASES):
        out = img.crop((x, y, x + w, y + h)).resize((size, size), Image.BICUBIC)
        if flip:
            out = out.transpose(Image.FLIP_LEFT_RIGHT)
        px = np.asarray(out, dtype=np.uint8).transpose(2, 0, 1)  # CHW
        t = px.astype(np.float32) / np.float32(255)
        t = (t - MEAN[:, None, None]) / STD[:, None, None]
        arr = np.stack([px.astype(np.float32), t.astype(np.float32)])
        np.save(os.path.join(OUT, "augment_case%d.npy" % k), arr)
        print("augment_case%d.npy" % k, arr.shape)


if __name__ == "__main__":
    main()
