#!/usr/bin/env python3
"""make_corpus.py: writes the seed corpora (fuzz/corpus/TARGET/seed-*) and the dictionaries
(fuzz/dict/TARGET.dict) of the fuzz targets, from small hand-made files, the small test fixtures
and the shipped lists and run. Python's standard library only; deterministic. The seeds of the
targets that need segp's own writers (clip_checkpoint, lora) come from
fuzz/tools/make_model_seeds.c (`make fuzz-corpus` runs both). Regression inputs
(fuzz/corpus/TARGET/regress-*) are kept: they are added by hand with each fix.

Run from the repository root: python3 fuzz/tools/make_corpus.py"""
import glob
import gzip
import io
import json
import os
import re
import struct
import zlib

SEP = b"\n=====\n"  # fuzz.h FUZZ_SEP
CORPUS = "fuzz/corpus"
DICT = "fuzz/dict"


def clear_seeds(target):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    for f in glob.glob(os.path.join(d, "seed-*")):
        os.remove(f)
    return d


def seeds(target, items, clear=True):
    d = clear_seeds(target) if clear else os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    for name, data in items:
        with open(os.path.join(d, "seed-" + name), "wb") as f:
            f.write(data)


def dictionary(target, words):
    os.makedirs(DICT, exist_ok=True)
    out = ["# %s.dict: libFuzzer dictionary (written by fuzz/tools/make_corpus.py)" % target]
    seen = set()
    for w in words:
        if isinstance(w, str):
            w = w.encode()
        if w in seen or not w:
            continue
        seen.add(w)
        esc = "".join(chr(c) if 32 <= c < 127 and c not in (34, 92) else "\\x%02x" % c for c in w)
        out.append('"%s"' % esc)
    with open(os.path.join(DICT, target + ".dict"), "w") as f:
        f.write("\n".join(out) + "\n")


def read(path):
    with open(path, "rb") as f:
        return f.read()


def gz(data):
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0) as g:
        g.write(data)
    return buf.getvalue()


# ---- safetensors ----

DTYPES = {"F32": ("<f", 4), "F16": ("<e", 2), "BF16": (None, 2), "F64": ("<d", 8),
          "I64": ("<q", 8), "I32": ("<i", 4), "I16": ("<h", 2), "I8": ("<b", 1), "U8": ("<B", 1),
          "BOOL": ("<B", 1), "U16": ("<H", 2), "U32": ("<I", 4), "U64": ("<Q", 8),
          "F8_E4M3": ("<B", 1), "F8_E5M2": ("<B", 1)}


def st_bytes(tensors, meta=None, gap=0, pad_to=8):
    """tensors: [(name, dtype, shape, list of values)] -> safetensors bytes."""
    header, data = {}, b""
    if meta is not None:
        header["__metadata__"] = meta
    for name, dt, shape, vals in tensors:
        fmt, size = DTYPES[dt]
        if dt == "BF16":
            raw = b"".join(struct.pack("<f", v)[2:] for v in vals)
        elif dt.startswith("F") and dt not in ("F8_E4M3", "F8_E5M2"):
            raw = b"".join(struct.pack(fmt, v) for v in vals)
        else:
            raw = b"".join(struct.pack(fmt, int(v)) for v in vals)
        data += b"\0" * gap
        header[name] = {"dtype": dt, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % pad_to)
    return struct.pack("<Q", len(h)) + h + data


def f32s(n, scale=1.0):
    return [scale * ((i * 37 % 11) - 5) / 7.0 for i in range(n)]


def safetensors_seeds():
    items = [
        ("mixed", st_bytes([("a", "F32", [2, 3], f32s(6)), ("b", "F16", [3], f32s(3)),
                            ("c", "BF16", [2], f32s(2)), ("d", "I32", [2], [1, -7]),
                            ("e", "U8", [4], [0, 1, 254, 255]), ("f", "BOOL", [1], [1])],
                           {"format": "pt", "segp.lora_rank": "2"})),
        ("empty", st_bytes([])),
        ("dtypes", st_bytes([(dt.lower(), dt, [2], [1, 2]) for dt in DTYPES if dt != "BF16"])),
        ("zero_size", st_bytes([("z", "F32", [0, 5], []), ("s", "F32", [], [3.5])])),
        ("gaps", st_bytes([("x", "F32", [1, 1, 1, 2], [1, 2]), ("y", "I64", [1], [9])], gap=3)),
        ("meta_only", st_bytes([], {"k": "v"})),
    ]
    seeds("safetensors", items)
    dictionary("safetensors", ['"dtype"', '"shape"', '"data_offsets"', '"__metadata__"', "{}",
                               '":{"', "[0,", "]", "1e3", "-1", "9007199254740993"] +
               ['"%s"' % d for d in DTYPES] + [b"\x00" * 7])


# ---- .npy ----

def npy(descr, shape, payload, fortran=False, version=1):
    d = "{'descr': '%s', 'fortran_order': %s, 'shape': %s, }" % (
        descr, "True" if fortran else "False",
        "(%s)" % "".join("%d, " % s for s in shape) if len(shape) != 1 else "(%d,)" % shape[0])
    pre = 10 if version == 1 else 12
    h = d.encode()
    h += b" " * (-(pre + len(h) + 1) % 64) + b"\n"
    if version == 1:
        return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(h)) + h + payload
    return b"\x93NUMPY" + bytes([version, 0]) + struct.pack("<I", len(h)) + h + payload


def npy_seeds():
    items = [(os.path.basename(f)[:-4], read(f)) for f in sorted(glob.glob("tests/fixtures/npy_*.npy"))]
    items += [
        ("f4_3d", npy("<f4", (2, 1, 2), struct.pack("<4f", 1, 2, 3, 4))),
        ("f2_v3", npy("<f2", (3,), struct.pack("<3e", 1, -2, 65504), version=3)),
        ("f8_v2", npy("<f8", (1, 1), struct.pack("<d", 1e300), version=2)),
        ("bool", npy("|b1", (2,), b"\x01\x00")),
    ]
    seeds("npy", items)
    dictionary("npy", [b"\x93NUMPY\x01\x00", b"\x93NUMPY\x02\x00", b"\x93NUMPY\x03\x00", "'descr'",
                       "'fortran_order'", "'shape'", "'<f4'", "'<f8'", "'<f2'", "'>f4'", "'|u1'",
                       "True", "False", "(1, 2, 3)", "()", "(0,)", "L,", "{", "}", "\n"])


# ---- images ----

def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png(w, h, depth, ctype, rows, interlace=0, plte=None, extra=b""):
    ihdr = struct.pack(">IIBBBBB", w, h, depth, ctype, 0, 0, interlace)
    out = b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr)
    if plte:
        out += png_chunk(b"PLTE", plte)
    out += extra + png_chunk(b"IDAT", zlib.compress(rows)) + png_chunk(b"IEND", b"")
    return out


def image_seeds():
    items = [(os.path.basename(f), read(f)) for f in sorted(glob.glob("tests/fixtures/image_*.png") +
                                                            glob.glob("tests/fixtures/image_*.jpg"))]
    # 3x2 RGB, filter type per row varied; 2x2 palette with a tRNS chunk; 1x1 16-bit grey+alpha
    items += [
        ("rgb3x2.png", png(3, 2, 8, 2, b"\x00" + bytes(range(9)) + b"\x04" + bytes(range(9, 18)))),
        ("pal2x2.png", png(2, 2, 8, 3, b"\x00\x00\x01\x00\x02\x03", plte=bytes(range(12)),
                           extra=png_chunk(b"tRNS", b"\x00\x80"))),
        ("ga16.png", png(1, 1, 16, 4, b"\x00\x12\x34\x56\x78")),
    ]
    seeds("image", items)
    dictionary("image", [b"\x89PNG\r\n\x1a\n", b"IHDR", b"IDAT", b"IEND", b"PLTE", b"tRNS", b"gAMA",
                         b"iCCP", b"tEXt", b"zTXt", b"sBIT", b"\x00\x00\x00\x0dIHDR",
                         b"\xff\xd8\xff", b"\xff\xd9", b"\xff\xc0", b"\xff\xc2", b"\xff\xc4",
                         b"\xff\xda", b"\xff\xdb", b"\xff\xdd", b"\xff\xe0JFIF\x00",
                         b"\xff\xe1Exif\x00\x00", b"\xff\xee\x00\x0eAdobe", b"\xff\xd0", b"\xff\x00"])


def clip_transform_seeds():
    def head(w, h, kind, n_px, win):
        return struct.pack("<HHBBB", w, h, kind, n_px - 1, win)
    items = [
        ("rgb_4x3", head(4, 3, 0, 3, 0) + bytes(range(36))),
        ("alpha_5x7", head(5, 7, 1, 4, 0x9a) + bytes(range(0, 250, 2))),
        ("nearest_9x2", head(9, 2, 2, 5, 0x31) + b"\x10\xf0\x80"),
        ("sliver_1x65535", head(1, 65535, 0, 7, 0x44) + b"\x00\xff"),
        ("sliver_4096x1", head(4096, 1, 1, 2, 0x05) + b"\x7f"),
        ("same_size_8x8", head(8, 8, 0, 8, 0x77) + bytes(range(192))),
        ("upscale_2x2", head(2, 2, 0, 200, 0x11) + b"\x00\x40\x80\xc0"),
    ]
    seeds("clip_transform", items)


# ---- text ----

TEXTS = [
    "a photo of a dog", "A  CAT ", "a diagram", "naïve café", "It's 2 o'clock, isn't it?",
    "&amp;lt;b&amp;gt; &nbsp; &#x27;quoted&#39; &copy;", "ﬁne ＦＵＬＬ　ＷＩＤＴＨ “curly” ‘quotes’",
    "ΣΑΣ İstanbul ß", "<|startoftext|>hello<|endoftext|>", "emoji 🐕‍🦺 and 漢字 and हिन्दी",
    "\x1b[31mred\x1b[0m text\r\nnew line\u2028sep", "x" * 300, "1234567890 3.14 -2", "a\tb\u00a0c",
]


def tokenizer_seeds():
    items = [("text%02d" % i, t.encode()) for i, t in enumerate(TEXTS)]
    items += [("invalid_utf8", b"x\xff y \xe2\x82 \xed\xa0\x80 \xf0\x9f\x98"),
              ("many_words", " ".join("w%dq" % i for i in range(200)).encode())]
    seeds("tokenizer", items)
    dictionary("tokenizer", ["&amp;", "&lt;", "&gt;", "&quot;", "&#39;", "&#x27;", "&nbsp;", "&AMP;",
                             "&ntilde", "<|startoftext|>", "<|endoftext|>", "'s", "'t", "'re", "'ve",
                             "'m", "'ll", "'d", "\x1b[", "\r\n", "\u2028", "\u00a0", "\u3000", "İ",
                             "Σ", "ﬁ", "＂", "“", "”", "‘", "’", b"\xef\xbf\xbd", "</w>"])


def vocab_seeds():
    real = gzip.open("data/bpe_simple_vocab_16e6.txt.gz").read()
    lines = real.split(b"\n")

    def edit(line, k, text, cut=0, mode=1):
        return bytes([mode]) + struct.pack("<HBH", line, k, cut) + text
    items = [
        ("gz_short", b"\x00" + gz(b"#version: 0.2\ni n\nt h\n")),
        ("gz_two_members", b"\x00" + gz(b"#version: 0.2\n") + gz(b"i n\n")),
        ("gz_head_cut", b"\x00" + gz(b"\n".join(lines[:400]))[:900]),
        ("not_gzip", b"\x00" + b"\n".join(lines[:20])),
        ("edit_none", edit(0, 0, b"", 1000)),
        ("edit_line", edit(5, 1, b"x y\n")),
        ("edit_three_symbols", edit(7, 1, b"a b c\n", 17)),
        ("edit_one_symbol", edit(100, 1, b"ab\n")),
        ("edit_bad_utf8", edit(3000, 2, b"\xc3 \xa9\n", 5)),
        ("edit_drop_lines", edit(48000, 255, b"")),
        ("edit_unknown_symbol", edit(20, 1, "q€ z</w>\n".encode())),
        ("edit_reorder", edit(1, 2, lines[3] + b"\n" + lines[2] + b"\n")),
        ("edit_blank_lines", edit(60, 0, b"\n\n \t\n")),
    ]
    seeds("vocab", items)
    dictionary("vocab", [b"\x1f\x8b\x08\x00", b"</w>", b"\n", b" ", b"#version: 0.2\n", b"\x00\x00\xff\xff"])


# ---- configs ----

def config_keys():
    keys = set()
    for f in glob.glob("engine/*/*.c"):
        src = open(f, encoding="utf-8").read()
        for m in re.finditer(r'\b[FS]\(\s*"([a-z_.]+)"', src):
            keys.add(m.group(1))
        for m in re.finditer(r'\{"([a-z_]+\.[a-z_.]+)", CFG_', src):
            keys.add(m.group(1))
    return sorted(keys)


def config_seeds():
    items = []
    for f in sorted(glob.glob("sample_runs/*.json")):
        items.append(("run_" + os.path.basename(f), b"\x00" + read(f)))
    items.append(("pretrain", b"\x01" + read("sample_runs/models/shapes-clip.pretrain.json")))
    items.append(("finetune", b"\x02" + read("sample_runs/models/shapes-clip.finetune.json")))
    items.append(("bench", b"\x03" + json.dumps({"benchmark": {
        "name": "shapes", "order": "random", "order_seed": 7, "tasks": "B20-Inc40",
        "train_per_class": 3, "test_per_class": 2}}).encode()))
    items.append(("bench_dotted", b"\x03" + b'{"benchmark.name": "shapes", "benchmark.tasks": "5"}'))
    items.append(("train", b"\x04" + json.dumps({"train": {"epochs": 2, "optimizer": "sgd",
                                                           "momentum": 0.9}}).encode()))
    items.append(("run_segp_all", b"\x00" + json.dumps({
        "method": "segp", "seed": 3, "benchmark": {"name": "shapes", "tasks": "B0-Inc50",
                                                   "train_per_class": 1, "test_per_class": 1},
        "anchors": {"source": "seeds", "steps": 0}, "tsgr": {"k": 3, "lambda": 0},
        "inference": {"beta": 0}, "analytics": {"enabled": False},
        "run": {"keep_checkpoints": "last"}}).encode()))
    seeds("config", items)
    words = ['"%s"' % k for k in config_keys()]
    words += ['"%s"' % k.split(".")[-1] for k in config_keys()]
    words += ['"%s": {' % k.split(".")[0] for k in config_keys()]
    words += ["true", "false", "null", "1e30", "-1", "0.5", "100000000", "4294967296",
              '"shapes"', '"latin"', '"random"', '"identity"', '"B0-Inc10"', '"segp"',
              '"finetune"', '"zeroshot"', '"joint"', '"adamw"', '"sgd"', '"pgd"', '"seeds"',
              '"new_task"', '"task"', '"seen"', '"all"', '"last"', '"F16"', '"gelu"']
    dictionary("config", words)


def class_order_seeds():
    items = [(os.path.basename(f), read(f) + SEP + b"B0-Inc10")
             for f in sorted(glob.glob("data/benchmarks/*order*"))]
    items += [
        ("block", b"# order\nname: x\nclass_order:\n  - 2\n  - 0\n  - 1\n" + SEP + b"B1-Inc1"),
        ("plain", b"[3, 1, 0, 2]" + SEP + b"b0_inc2"),
        ("flow_lines", b"class_order: [1,\n 0,\n 2] # three\nother: [9]" + SEP + b"B0-Inc3"),
        ("bad", b"class_order: [1, x]" + SEP + b"B0-Inc1"),
    ]
    seeds("class_order", items)
    dictionary("class_order", ["class_order:", "[", "]", ",", "- ", "#", "\n", "  ", "-1",
                               "2147483648", "B0-Inc", "B50-Inc5", "inc", "_", SEP])


# ---- datasets ----

def cifar_record(label_bytes, labels, idx):
    return bytes(labels[:label_bytes]) + bytes((idx * 37 + i * 3) & 255 for i in range(3072))


def cifar_seeds():
    c10 = b"".join(cifar_record(1, [k % 10], k) for k in range(2))
    c100 = cifar_record(2, [3, 57], 1)
    items = [("cifar10_two", b"\x00" + c10), ("cifar100_one", b"\x01" + c100),
             ("cifar10_two_batches", b"\x00" + c10 + SEP + cifar_record(1, [9], 5)),
             ("cifar100_bad_coarse", b"\x01" + cifar_record(2, [20, 1], 2))]
    seeds("cifar", items)
    dictionary("cifar", [SEP, b"\x09", b"\x63", b"\x13", b"\x64"])


def idx_files(n, rows, cols, labels):
    img = struct.pack(">IIII", 0x803, n, rows, cols) + bytes((i * 7) & 255 for i in range(n * rows * cols))
    lab = struct.pack(">II", 0x801, n) + bytes(labels)
    return img, lab


def idx_seeds():
    img, lab = idx_files(3, 2, 3, [1, 0, 9])
    items = [("gz", gz(img) + SEP + gz(lab)), ("raw", img + SEP + lab),
             ("mixed", img + SEP + gz(lab)),
             ("two_members", gz(img[:10]) + gz(img[10:]) + SEP + gz(lab))]
    seeds("idx", items)
    dictionary("idx", [b"\x00\x00\x08\x03", b"\x00\x00\x08\x01", b"\x1f\x8b\x08\x00", SEP,
                       b"\x00\x00\x10\x00", b"\xff\xff\xff\xff"])


def head_lines(path, n):
    return b"\n".join(read(path).split(b"\n")[:n]) + b"\n"


def dataset_lists_seeds():
    bench = "data/benchmarks/"
    items = [
        ("classes_plain", b"\x00" + head_lines(bench + "cifar10_classes.txt", 10)),
        ("classes_index_wnid", b"\x00" + head_lines(bench + "imagenet_R_classes.txt", 6)),
        ("classes_cub", b"\x00" + head_lines(bench + "cub200_classes.txt", 5)),
        ("classes_expect3", b"\x30" + b"0 a\n1 b\n2 c\n"),
        ("folder_list", b"\x01" + b"cat\ndog\n" + SEP + b"# list\ncat/1.png 0\ndog/a b.jpg 1\n\n"),
        ("imagenet100", b"\x02" + b"0 n01440764 tench\n1 n01443537 goldfish\n" + SEP +
         b"val/n01443537/x.JPEG 1\nval/n01440764/y.JPEG 0\n"),
        ("folder_numbered", b"\x03" + b"a.png 2\nb.png 0\n"),
        ("imagenet_r", b"\x0c" + head_lines(bench + "imagenet_R_classes.txt", 3) + SEP +
         b"train\nn01443537/a.jpg\ntest\nn01484850/b.jpg\nn01443537/c.jpg\n"),
        ("cub", b"\x0e" + b"1 001.Black_footed_Albatross\n2 002.Laysan_Albatross\n" + SEP +
         b"1 001.Black/a.jpg\n2 002.Laysan/b.jpg\n" + SEP + b"1 1\n2 2\n" + SEP + b"1 1\n2 0\n"),
    ]
    seeds("dataset_lists", items)
    dictionary("dataset_lists", [SEP, "\n", "\t", " 0\n", "n01443537", "001.", "train\n", "test\n",
                                 "/", "\r\n", "#", "2147483648", "-1"])


# ---- run directories ----

RUN = "sample_runs/default-run/"


def small_config(C=4, T=2):
    order = [(3 * k + 2) % C for k in range(C)]
    per = C // T
    return json.dumps({"model": "m.safetensors", "method": "segp", "seed": 1, "resolved": {
        "benchmark": "shapes", "class_order_desc": "latin", "task_split": "B0-Inc%d" % per,
        "num_classes": C, "num_tasks": T, "class_order": order,
        "class_names": ["class %d" % k for k in range(C)],
        "task_classes": [order[t * per:(t + 1) * per] for t in range(T)],
        "model_sha256": "ab" * 32, "threads": 2, "build": "x"}}).encode()


def run_seeds():
    cfg = read(RUN + "config.json")
    eval2 = read(RUN + "tasks/02/eval.json")
    ana = read(RUN + "tasks/02/analytics.json")
    items = [
        ("default_task2", b"\x1a" + cfg + SEP + eval2 + SEP + ana),
        ("small", b"\x11" + small_config() + SEP +
         b'{"task": 2, "count": [5, 5], "hits": [4, 3], "clip_hits": [5, null]}' + SEP + ana),
        ("heldout", b"\x00" + small_config(2, 1) + SEP +
         b'{"count": [9], "hits": [9], "heldout_acc": 0.5}'),
    ]
    seeds("run_resume", items)
    dictionary("run_resume", [SEP, '"resolved"', '"model_sha256"', '"threads"', '"count"', '"hits"',
                              '"clip_hits"', '"heldout_acc"', "null", '"drift"', '"geometry"',
                              '"projection"', '"pca_explained"', '"tsne_kl"', '"n_points"',
                              '"mean_abs_diff"', '"pearson"', '"cka"', "9007199254740993", "1e300"])
    events = read(RUN + "events.jsonl").split(b"\n")
    head = b"\n".join(events[:12] + events[-6:])
    items = [
        ("default", cfg + SEP + read(RUN + "metrics.jsonl") + SEP + head),
        ("small", small_config() + SEP +
         b'{"task": 1, "acc": 50, "old_acc": null}\n{"task": 2, "acc": 40}\n{"last": 40, "avg": 45, '
         b'"clip_branch": {"last": 1}}\n{"tor' + SEP +
         b'{"event":"task_start","time":1,"task":1}\n{"event":"step","task":1,"epoch":1,"step":1,'
         b'"steps":2,"loss":0.5,"terms":{"cls":0.5,"tsgr":null}}\n{"event":"task_end","time":5,'
         b'"task":1}\n{"event":"phase","task":2,"phase":"anchors","steps":3}\n{"event":"error",'
         b'"error":"x"}\n{"event":"run_end"}\n{"event":"st'),
    ]
    seeds("run_record", items)
    run_words = ['"event"', '"step"', '"task_start"', '"task_end"', '"phase"', '"run_start"',
                 '"run_end"', '"error"', '"terms"', '"time"', '"task"', '"epoch"', '"epochs"',
                 '"steps"', '"loss"', '"lr"', '"images_per_s"', '"eta_s"', '"last"', '"avg"',
                 '"clip_branch"', '"acc"', '"num_classes"', '"num_tasks"', '"class_order"',
                 '"class_names"', '"task_classes"', "1e300", "-1e300", "NaN", "null", SEP]
    dictionary("run_record", run_words)
    items = [("default", b"\n".join(events[:40]) + b"\n"),
             ("torn", b"\n".join(events[:5]) + b"\n" + events[5][:30]),
             ("garbage_tail", b"\n".join(events[:3]) + b"\n{]\n\n")]
    seeds("events", items)
    dictionary("events", run_words)
    run_task_seeds(ana)


def run_task_seeds(ana):
    C, T, e = 4, 2, 3
    order = [(3 * k + 2) % C for k in range(C)]
    n = C  # seen classes at task 2

    def geometry(n_seen, with_proj=True):
        ts = [("labels", "I32", [n_seen], order[:n_seen])]
        for s in ("pre", "teacher", "student"):
            ts += [("text." + s, "F32", [n_seen, e], f32s(n_seen * e)),
                   ("means." + s, "F32", [n_seen, e], f32s(n_seen * e, 0.5))]
            ts += [(k + "." + s, "F32", [n_seen, n_seen], f32s(n_seen * n_seen)) for k in ("tt", "pt", "pp")]
        ts.append(("protos", "F32", [n_seen, e], f32s(n_seen * e)))
        if with_proj:
            m = 5
            ts += [("proj.kind", "F32", [m], [0, 1, 2, 3, 0]), ("proj.class", "I32", [m], [0, 1, 2, 3, 1]),
                   ("proj.row", "F32", [m], [0, 1, 2, 3, 4]), ("proj.pca", "F32", [m, 2], f32s(2 * m)),
                   ("proj.tsne", "F32", [m, 2], f32s(2 * m))]
        return st_bytes(ts)
    k1, na = 3, 2  # k_adv + 1, anchors
    drift = st_bytes([("drift", "F32", [3], [0.1, 0.2, 0.3]), ("interface", "F32", [3], [1, 2, 3]),
                      ("class", "I32", [3], [0, 3, 1]), ("is_old", "F32", [3], [1, 0, 1]),
                      ("curve.edges", "F32", [3], [0, 1, 2]), ("curve.mean_old", "F32", [2], [1, 2]),
                      ("curve.mean_new", "F32", [2], [1, 2]), ("curve.count_old", "F32", [2], [3, 4]),
                      ("curve.count_new", "F32", [2], [0, 1])])
    anchors = st_bytes([("target", "I32", [na], [order[0], order[1]]), ("seed", "F32", [na], [5, 9]),
                        ("score", "F32", [na], [0.5, 0.25]), ("linf", "F32", [na], [0.01, 0.02]),
                        ("dist_seed", "F32", [na], [1, 2]), ("loss_text", "F32", [na, k1], f32s(na * k1)),
                        ("loss_vis", "F32", [na, k1], f32s(na * k1)),
                        ("emb_teacher", "F32", [na, e], f32s(na * e)), ("drift", "F32", [na, e], f32s(na * e)),
                        ("images", "U8", [1, 2, 2, 3], list(range(12))), ("image_rows", "I32", [1], [1])],
                       {"k_adv": "2", "res": "2", "source": "pgd"})
    protos = st_bytes([("labels", "I32", [n], order[:n]), ("mu", "F32", [n, e], f32s(n * e)),
                       ("rho", "F32", [2], [0.5, 1])])
    cfg = small_config(C, T)
    items = [
        ("task2_all", b"\x01" + SEP.join([cfg, geometry(n), drift, anchors, protos, ana])),
        ("task1_geometry", b"\x00" + SEP.join([cfg, geometry(2, False), b"", b"",
                                                st_bytes([("labels", "I32", [2], order[:2]),
                                                          ("mu", "F32", [2, e], f32s(2 * e))]), b""])),
        ("task2_f32_labels", b"\x01" + SEP.join([cfg, b"", b"", b"",
                                                  st_bytes([("labels", "F32", [n], order[:n]),
                                                            ("mu", "F32", [n, e], f32s(n * e))]), b""])),
    ]
    seeds("run_task", items)
    dictionary("run_task", [SEP, '"dtype"', '"shape"', '"data_offsets"', '"F32"', '"I32"', '"U8"',
                            '"labels"', '"text.pre"', '"means.student"', '"tt.teacher"', '"protos"',
                            '"proj.kind"', '"proj.class"', '"proj.row"', '"proj.pca"', '"proj.tsne"',
                            '"drift"', '"interface"', '"class"', '"is_old"', '"curve.edges"',
                            '"target"', '"seed"', '"images"', '"image_rows"', '"mu"', '"rho"',
                            '"k_adv"', '"res"', '"source"', '"num_tasks"', '"task_classes"'])


def checkpoint_seeds():
    """The Hugging Face fixture with head counts in its metadata (in memory no config.json is
    read); the tiny OpenAI-named models come from make_model_seeds.c."""
    d = read("tests/fixtures/clip_hf/model.safetensors")
    n = struct.unpack("<Q", d[:8])[0]
    h = json.loads(d[8:8 + n])
    h["__metadata__"] = {"segp.vision_heads": "2", "segp.text_heads": "2",
                         "segp.activation": "quick_gelu"}
    hb = json.dumps(h, separators=(",", ":")).encode()
    hb += b" " * (-len(hb) % 8)
    seeds("clip_checkpoint", [("hf_names", struct.pack("<Q", len(hb)) + hb + d[8 + n:])], clear=False)
    names = [k for k in h if k != "__metadata__"]
    openai = ["visual.conv1.weight", "visual.positional_embedding", "visual.class_embedding",
              "visual.proj", "visual.transformer.resblocks.0.attn.in_proj_weight", "logit_scale",
              "token_embedding.weight", "positional_embedding", "ln_final.weight", "text_projection",
              "transformer.resblocks.0.mlp.c_fc.weight", "transformer.resblocks.1.",
              "segp.vision_heads", "segp.text_heads", "segp.activation", "quick_gelu", "gelu"]
    dictionary("clip_checkpoint", ['"%s"' % k for k in names[:60] + openai] +
               ['"dtype"', '"shape"', '"data_offsets"', '"F16"', '"BF16"', '"F32"', "[0,"])
    dictionary("lora", ['"segp.lora_rank"', '"segp.lora_alpha"', '"segp.lora_targets"', '"2"',
                        '"nan"', '"1e40"', '"-1"', '"dtype"', '"shape"', '"data_offsets"',
                        '"lora.visual.0.q.A"', '"lora.text.0.fc.B"', '"lora.visual.0.proj.B"',
                        '"F32"', '"F16"', '"BF16"'])


def main():
    checkpoint_seeds()
    safetensors_seeds()
    npy_seeds()
    image_seeds()
    clip_transform_seeds()
    tokenizer_seeds()
    vocab_seeds()
    config_seeds()
    class_order_seeds()
    cifar_seeds()
    idx_seeds()
    dataset_lists_seeds()
    run_seeds()


if __name__ == "__main__":
    main()
