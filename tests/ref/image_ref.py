#!/usr/bin/env python3
"""image_ref.py: reference data for tests/test_image.c and tests/test_npy.c.

Writes into tests/fixtures/:
  image_*.png / image_*.jpg    small test images in every PNG/JPEG mode PIL distinguishes
  image_*.decoded.npy          PIL's decoded pixels after convert("RGB") (float16, exact for 0..255)
  image_*.clip32.npy           clip._transform(32) output (float32, CHW), a few files
  image_synth_t224_slices.npy  rows 0 and 111 of the 224 transform of the synthetic cases
  image_refs.txt               FNV-1a 64 hashes of PIL's resized bytes / transform outputs
  npy_*.npy                    arrays written by numpy in several header versions and dtypes

Needs numpy and Pillow (Debian's python3-pil and python3-numpy: run it with /usr/bin/python3 on
this machine). torch is optional: when importable, the numpy transform is checked against torch's
ToTensor/Normalize arithmetic. Deterministic: rerunning rewrites identical files.

clip._transform(n) = Resize(n, BICUBIC) -> CenterCrop(n) -> convert("RGB") -> ToTensor ->
Normalize(mean, std), done here with PIL + numpy exactly as torchvision 0.14 does it on a PIL image.
"""
import io
import os
import struct
import sys
import warnings
import zlib

import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
FIX = os.path.join(HERE, "..", "fixtures")

MEAN = np.array([0.48145466, 0.4578275, 0.40821073], dtype=np.float32)
STD = np.array([0.26862954, 0.26130258, 0.27577711], dtype=np.float32)


# ---------------------------------------------------------------- helpers

def fnv64(data: bytes) -> str:
    h = 0xCBF29CE484222325
    for b in data:
        h ^= b
        h = (h * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return "%016x" % h


def fnv64_np(a: np.ndarray) -> str:
    # Vectorised enough for a few hundred KB: plain loop over bytes is fine at this size.
    return fnv64(np.ascontiguousarray(a).tobytes())


def synth(w, h, seed):
    """Deterministic test picture, reproduced bit for bit by synth_image() in test_image.c:
    noise, gradients, hard 0/255 stripes (bicubic overshoot and clipping) in four regions."""
    y, x, c = np.meshgrid(np.arange(h, dtype=np.uint64), np.arange(w, dtype=np.uint64),
                          np.arange(3, dtype=np.uint64), indexing="ij")
    m = np.uint64(0xFFFFFFFF)
    hs = ((x * np.uint64(73856093)) & m) ^ ((y * np.uint64(19349663)) & m) \
        ^ ((c * np.uint64(83492791)) & m) ^ np.uint64((seed * 2654435761) & 0xFFFFFFFF)
    hs ^= hs >> np.uint64(13)
    hs = (hs * np.uint64(0x5BD1E995)) & m
    hs ^= hs >> np.uint64(15)
    region = ((x * np.uint64(4)) // np.uint64(w) + (y * np.uint64(3)) // np.uint64(h)) % np.uint64(4)
    noise = hs & np.uint64(255)
    grad = (x * np.uint64(255) // np.uint64(max(w - 1, 1)) + c * np.uint64(60)) & np.uint64(255)
    stripes = np.where(((x // np.uint64(3)) + (y // np.uint64(2)) + c) % np.uint64(2) == 1,
                       np.uint64(255), np.uint64(0))
    vgrad = (y * np.uint64(255) // np.uint64(max(h - 1, 1))) ^ (hs & np.uint64(15))
    v = np.select([region == 0, region == 1, region == 2], [noise, grad, stripes], vgrad)
    return v.astype(np.uint8)


def clip_geometry(w, h, n):
    """torchvision _compute_resized_output_size + center_crop offsets."""
    short, long = (w, h) if w <= h else (h, w)
    new_short, new_long = n, int(n * long / short)
    new_w, new_h = (new_short, new_long) if w <= h else (new_long, new_short)
    top = int(round((new_h - n) / 2.0))
    left = int(round((new_w - n) / 2.0))
    return new_w, new_h, left, top


def clip_crop_u8(im, n):
    new_w, new_h, left, top = clip_geometry(im.size[0], im.size[1], n)
    im = im.resize((new_w, new_h), Image.BICUBIC)
    im = im.crop((left, top, left + n, top + n))
    im = im.convert("RGB")  # clip's _convert_image_to_rgb, after the crop
    return np.asarray(im, dtype=np.uint8)


def to_tensor_normalize(a):
    t = a.transpose(2, 0, 1).astype(np.float32) / np.float32(255)
    return ((t - MEAN[:, None, None]) / STD[:, None, None]).astype(np.float32)


def clip_transform(im, n):
    return to_tensor_normalize(clip_crop_u8(im, n))


def check_against_torch():
    """The numpy arithmetic above must equal torch's ToTensor().div(255) / Normalize bit for bit."""
    try:
        import torch
    except Exception:
        print("torch not importable: skipping the torch cross-check")
        return
    v = np.arange(256, dtype=np.uint8).reshape(16, 16)
    a = np.stack([v, v[::-1], v.T], axis=2)  # every value in every channel
    t = torch.from_numpy(a.copy()).permute(2, 0, 1).contiguous().to(torch.float32).div(255)
    mean = torch.as_tensor([0.48145466, 0.4578275, 0.40821073], dtype=torch.float32).view(-1, 1, 1)
    std = torch.as_tensor([0.26862954, 0.26130258, 0.27577711], dtype=torch.float32).view(-1, 1, 1)
    t = t.sub_(mean).div_(std)
    ref = to_tensor_normalize(a)
    assert np.array_equal(t.numpy().view(np.uint32), ref.view(np.uint32)), "torch != numpy"
    print("torch ToTensor/Normalize == numpy arithmetic (bitwise)")


# ---------------------------------------------------------------- PNG writer (modes PIL can't save)

def _chunk(t, d):
    return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)


def png_bytes(w, h, depth, ctype, rows, extra=b"", interlace=False, row_bytes=None):
    """rows: list of per-row byte strings (already packed); interlace: Adam7 from the full rows
    (only for depth 8, samples of `row_bytes // w` bytes)."""
    ihdr = struct.pack(">IIBBBBB", w, h, depth, ctype, 0, 0, 1 if interlace else 0)
    if not interlace:
        data = b"".join(b"\x00" + r for r in rows)
    else:
        bpp = len(rows[0]) // w
        data = b""
        for x0, y0, dx, dy in [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4),
                               (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]:
            xs = list(range(x0, w, dx))
            if not xs:
                continue
            for y in range(y0, h, dy):
                data += b"\x00" + b"".join(rows[y][x * bpp:(x + 1) * bpp] for x in xs)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + extra +
            _chunk(b"IDAT", zlib.compress(data, 9)) + _chunk(b"IEND", b""))


def pack_bits(vals, depth):
    out, acc, n = bytearray(), 0, 0
    for v in vals:
        acc = (acc << depth) | int(v)
        n += depth
        if n == 8:
            out.append(acc)
            acc, n = 0, 0
    if n:
        out.append(acc << (8 - n))
    return bytes(out)


# ---------------------------------------------------------------- fixture images

def make_images(rng):
    """name -> (bytes, note). Each decodes in PIL to the mode named in its file name."""
    files = {}

    def save(im, name, **kw):
        buf = io.BytesIO()
        im.save(buf, format="PNG" if name.endswith(".png") else "JPEG", **kw)
        files[name] = buf.getvalue()

    rgb = synth(37, 29, 1)
    save(Image.fromarray(rgb, "RGB"), "image_rgb_37x29.png")
    save(Image.fromarray(synth(64, 48, 2), "RGB"), "image_rgb_64x48.png")
    save(Image.fromarray(synth(31, 23, 3)[:, :, 0], "L"), "image_l_31x23.png")
    # 1-bit grey: PIL opens it as mode "1" and resizes it with NEAREST.
    save(Image.fromarray(synth(21, 17, 4)[:, :, 0] > 127).convert("1"), "image_1bit_21x17.png")
    # 2-bit grey (PIL "L;2", values * 85).
    g2 = rng.integers(0, 4, (13, 19))
    files["image_l2_19x13.png"] = png_bytes(19, 13, 2, 0, [pack_bits(r, 2) for r in g2])
    # 16-bit grey (PIL mode "I": convert("RGB") saturates; segp takes the high byte).
    g16 = (synth(17, 13, 5)[:, :, 0].astype(np.uint16) * 257 + rng.integers(0, 256, (13, 17))
           ).astype(">u2")
    files["image_g16_17x13.png"] = png_bytes(17, 13, 16, 0, [r.tobytes() for r in g16])
    # 16-bit RGB and RGBA: PIL keeps the high byte.
    c16 = rng.integers(0, 65536, (17, 23, 3)).astype(">u2")
    files["image_rgb16_23x17.png"] = png_bytes(23, 17, 16, 2, [r.tobytes() for r in c16])
    a16 = rng.integers(0, 65536, (11, 15, 4)).astype(">u2")
    a16[:3, :, 3] = 65535
    a16[3:5, :, 3] = 0
    files["image_rgba16_15x11.png"] = png_bytes(15, 11, 16, 6, [r.tobytes() for r in a16])
    # RGBA 8-bit: alpha with 0, 255 and everything between (premultiplied resize in PIL).
    rgba = np.concatenate([synth(40, 30, 6), rng.integers(0, 256, (30, 40, 1)).astype(np.uint8)], 2)
    rgba[:4, :, 3] = 255
    rgba[4:8, :, 3] = 0
    rgba[8:10, :, 3] = 1
    save(Image.fromarray(rgba, "RGBA"), "image_rgba_40x30.png")
    # LA.
    la = np.stack([synth(27, 19, 7)[:, :, 1], rng.integers(0, 256, (19, 27)).astype(np.uint8)], 2)
    la[:2, :, 1] = 0
    la[2:4, :, 1] = 255
    save(Image.fromarray(la, "LA"), "image_la_27x19.png")
    # Palette, 8-bit with a tRNS chunk (PIL keeps mode "P", NEAREST resize).
    idx = rng.integers(0, 200, (25, 33)).astype(np.uint8)
    p = Image.fromarray(idx, "P")
    p.putpalette(rng.integers(0, 256, 200 * 3).astype(np.uint8).tobytes())
    save(p, "image_p_33x25.png", transparency=bytes(range(0, 200, 3)))
    # Palette with 16 colours: PIL writes it 4-bit.
    idx4 = rng.integers(0, 16, (18, 22)).astype(np.uint8)
    p4 = Image.fromarray(idx4, "P")
    p4.putpalette(rng.integers(0, 256, 16 * 3).astype(np.uint8).tobytes())
    save(p4, "image_p4_22x18.png")
    # Adam7-interlaced RGB.
    il = synth(26, 21, 8)
    files["image_interlaced_26x21.png"] = png_bytes(26, 21, 8, 2, [r.tobytes() for r in il],
                                                    interlace=True)
    # JPEG: 4:2:0 (PIL's default), 4:4:4, progressive, grey; quality 90.
    save(Image.fromarray(synth(48, 40, 9), "RGB"), "image_rgb420_48x40.jpg", quality=90)
    save(Image.fromarray(synth(30, 22, 10), "RGB"), "image_rgb444_30x22.jpg", quality=90,
         subsampling=0)
    save(Image.fromarray(synth(35, 26, 11), "RGB"), "image_prog_35x26.jpg", quality=90,
         progressive=True)
    save(Image.fromarray(synth(31, 27, 12)[:, :, 2], "L"), "image_grey_31x27.jpg", quality=90)
    # CMYK JPEG: segp rejects it.
    save(Image.fromarray(synth(8, 8, 13), "RGB").convert("CMYK"), "image_cmyk_8x8.jpg",
         quality=90)
    return files


def decoded_reference(name, im):
    """What segp's image_load must return for the file (RGB bytes)."""
    if name.startswith("image_g16"):
        hb = (np.asarray(im).astype(np.int64) >> 8).astype(np.uint8)
        return np.repeat(hb[:, :, None], 3, axis=2)
    return np.asarray(im.convert("RGB"), dtype=np.uint8)


def as_pil_for_resize(name, im):
    """The PIL image whose resize segp reproduces (16-bit grey: the high-byte L image)."""
    if name.startswith("image_g16"):
        return Image.fromarray(decoded_reference(name, im)[:, :, 0], "L")
    return im


# ---------------------------------------------------------------- npy fixtures

def npy_fixtures():
    out = {}

    def save(name, arr, version=None, fortran=False):
        buf = io.BytesIO()
        if version is None:
            np.save(buf, arr)
        else:
            np.lib.format.write_array(buf, np.asfortranarray(arr) if fortran else arr,
                                      version=version)
        out[name] = buf.getvalue()

    a23 = (np.arange(6, dtype=np.float32).reshape(2, 3) - 2.5) / 3
    save("npy_f4_2x3.npy", a23)
    save("npy_f4_2x3_v2.npy", a23, version=(2, 0))
    save("npy_f4_2x3_v3.npy", a23, version=(3, 0))
    save("npy_f8_4.npy", np.array([1.5, -2.25, 1e-3, 3.0e38], dtype="<f8"))
    save("npy_f2_3x2.npy", np.array([[1.0, -2.5], [6.0e-8, 65504.0], [np.inf, -0.0]],
                                    dtype="<f2"))
    save("npy_f4_scalar.npy", np.array(7.25, dtype="<f4"))
    save("npy_f4_0x5.npy", np.zeros((0, 5), dtype="<f4"))
    save("npy_be_f4.npy", np.arange(4, dtype=">f4"))
    save("npy_fortran_2x3.npy", a23, version=(1, 0), fortran=True)
    save("npy_i8_5.npy", np.arange(5, dtype="<i8") - 2)
    # Keys in another order, double quotes, no trailing comma: still a valid dict literal.
    hdr = b"{\"shape\": (3,), \"fortran_order\": False, \"descr\": \"<f4\"}"
    hdr = hdr + b" " * (64 - (10 + len(hdr) + 1) % 64) + b"\n"
    out["npy_keys_reordered.npy"] = (b"\x93NUMPY\x01\x00" + struct.pack("<H", len(hdr)) + hdr +
                                     np.array([1, 2, 3], dtype="<f4").tobytes())
    return out


# ---------------------------------------------------------------- main

SYNTH_RESIZE = [  # w, h, seed, out_w, out_h
    (37, 53, 21, 224, 320),     # upscale to 224 short side
    (640, 480, 22, 298, 224),   # downscale 2.14x
    (300, 200, 23, 48, 32),     # downscale 6.25x
    (20, 20, 24, 224, 224),     # 11.2x upscale
    (53, 37, 25, 45, 32),       # non-integer downscale
    (1000, 800, 26, 31, 25),    # large support (32x)
    (40, 30, 27, 40, 45),       # vertical pass only
    (40, 30, 28, 17, 30),       # horizontal pass only
    (1, 1, 29, 5, 3),
    (7, 300, 30, 3, 129),
    (5, 4, 31, 5, 4),           # same size: copy
]
SYNTH_CLIP = [  # w, h, seed, n_px
    (640, 480, 41, 224),
    (37, 53, 42, 224),
    (20, 20, 43, 224),
    (300, 200, 44, 32),
    (225, 224, 45, 224),        # crop offset round(0.5) = 0 (half to even)
    (227, 224, 46, 224),        # crop offset round(1.5) = 2
]
FILE_RESIZE_SIZES = lambda w, h: [(max(1, w * 2 // 3), max(1, h * 5 // 7)), (w * 3 + 1, h * 2 + 3)]
FILE_CLIP_N = 32
FILE_CLIP_FULL = ["image_rgb_64x48.png", "image_rgba_40x30.png", "image_p_33x25.png",
                  "image_rgb420_48x40.jpg", "image_la_27x19.png"]


def main():
    # PIL warns that palette + tRNS images "should be converted to RGBA": that is the point.
    warnings.simplefilter("ignore", UserWarning)
    os.makedirs(FIX, exist_ok=True)
    check_against_torch()
    rng = np.random.default_rng(1234)
    refs = ["# image_ref.py output: kind, parameters, FNV-1a 64 of the bytes (see test_image.c)"]

    for w, h, seed, ow, oh in SYNTH_RESIZE:
        im = Image.fromarray(synth(w, h, seed), "RGB")
        r = np.asarray(im.resize((ow, oh), Image.BICUBIC), dtype=np.uint8)
        refs.append("resize_synth %d %d %d %d %d %s" % (w, h, seed, ow, oh, fnv64_np(r)))

    slices = []
    for w, h, seed, n in SYNTH_CLIP:
        im = Image.fromarray(synth(w, h, seed), "RGB")
        crop = clip_crop_u8(im, n)
        t = to_tensor_normalize(crop)
        refs.append("clip_synth %d %d %d %d %s %s" % (w, h, seed, n, fnv64_np(crop), fnv64_np(t)))
        if n == 224:
            slices.append(t[:, [0, 111], :])
    np.save(os.path.join(FIX, "image_synth_t224_slices.npy"), np.stack(slices).astype("<f4"))

    files = make_images(rng)
    for name, data in sorted(files.items()):
        with open(os.path.join(FIX, name), "wb") as f:
            f.write(data)
        if "cmyk" in name:
            continue
        im = Image.open(io.BytesIO(data))
        im.load()
        base = name.rsplit(".", 1)[0]
        dec = decoded_reference(name, im)
        np.save(os.path.join(FIX, base + ".decoded.npy"), dec.astype("<f2"))
        src = as_pil_for_resize(name, im)
        w, h = im.size
        for ow, oh in FILE_RESIZE_SIZES(w, h):
            r = np.asarray(src.resize((ow, oh), Image.BICUBIC).convert("RGB"), dtype=np.uint8)
            refs.append("resize_file %s %d %d %s" % (name, ow, oh, fnv64_np(r)))
        t = clip_transform(src, FILE_CLIP_N)
        refs.append("clip_file %s %d %s" % (name, FILE_CLIP_N, fnv64_np(t)))
        if name in FILE_CLIP_FULL:
            np.save(os.path.join(FIX, base + ".clip32.npy"), t.astype("<f4"))
        print("%-28s PIL mode %-5s %dx%d" % (name, im.mode, w, h))

    for name, data in npy_fixtures().items():
        with open(os.path.join(FIX, name), "wb") as f:
            f.write(data)

    with open(os.path.join(FIX, "image_refs.txt"), "w") as f:
        f.write("\n".join(refs) + "\n")
    total = sum(os.path.getsize(os.path.join(FIX, n)) for n in os.listdir(FIX)
                if n.startswith(("image_", "npy_")))
    print("fixtures written to %s (%d bytes for image_* and npy_*)" % (os.path.normpath(FIX), total))


if __name__ == "__main__":
    sys.exit(main())
