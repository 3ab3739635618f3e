#!/usr/bin/env python3
"""tokenizer_ref.py: reference ids for segp's CLIP tokenizer (tests/test_tokenizer.c).

A re-implementation of openai/CLIP's clip/simple_tokenizer.py and clip.tokenize, line for line
where it matters (bytes_to_unicode, bpe(), the split pattern through the `regex` module with
IGNORECASE, html.unescape twice, whitespace_clean, str.lower), run on the repository's
data/bpe_simple_vocab_16e6.txt.gz.

ftfy is not packaged in Debian, so `ftfy_fix_text` below is a port of ftfy 6.3.1's fix_text with
its default TextFixerConfig, *minus* the mojibake repair (`fix_encoding`: re-decoding text that
looks like UTF-8 read as Latin-1/Windows-125x, with its badness heuristics). What it keeps, in
ftfy's order, applied to each line until nothing changes:
  unescape_html (disabled from the first line containing '<' on; ftfy's entity table: the HTML5
  names ending in ';' plus upper-cased variants, and numeric references), fix_c1_controls,
  fix_latin_ligatures, fix_character_width, uncurl_quotes, fix_line_breaks, fix_surrogates,
  remove_terminal_escapes, remove_control_chars, NFC.
The C side implements the same steps; its named-entity table is a documented subset (see
SUBSET_NAMES and engine/text/text_clean.c), so the cases below only use entity names from it.

Usage:
  python3 tests/ref/tokenizer_ref.py            # writes tests/fixtures/tokenizer_cases.jsonl
  python3 tests/ref/tokenizer_ref.py --entities # prints the C entity table for text_clean.c
  python3 tests/ref/tokenizer_ref.py TEXT...    # prints clip.tokenize(TEXT) like `segp tokenize`
"""

import gzip
import html
import html.entities
import json
import os
import re as stdlib_re
import sys
import unicodedata

import regex as re  # simple_tokenizer.py does `import regex as re`

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VOCAB = os.path.join(ROOT, "data", "bpe_simple_vocab_16e6.txt.gz")
FIXTURE = os.path.join(ROOT, "tests", "fixtures", "tokenizer_cases.jsonl")

# ---------------------------------------------------------------- ftfy 6.3.1 minus fix_encoding

SINGLE_QUOTE_RE = stdlib_re.compile("[\u02bc\u2018-\u201b]")
DOUBLE_QUOTE_RE = stdlib_re.compile("[\u201c-\u201f]")
HTML_ENTITY_RE = stdlib_re.compile(r"&#?[0-9A-Za-z]{1,24};")
ANSI_RE = stdlib_re.compile("\033\\[((?:\\d|;)*)([a-zA-Z])")
C1_CONTROL_RE = stdlib_re.compile(r"[\x80-\x9f]")
SURROGATE_RE = stdlib_re.compile("[\ud800-\udfff]")
SURROGATE_PAIR_RE = stdlib_re.compile("[\ud800-\udbff][\udc00-\udfff]")


def _build_html_entities():
    entities = {}
    for name, char in html.entities.html5.items():
        if name.endswith(";"):
            entities["&" + name] = char
            if name == name.lower():
                name_upper = name.upper()
                entity_upper = "&" + name_upper
                if html.unescape(entity_upper) == entity_upper:
                    entities[entity_upper] = char.upper()
    return entities


HTML_ENTITIES = _build_html_entities()

CONTROL_CHARS = {i: None for r in (range(0x00, 0x09), [0x0B], range(0x0E, 0x20), [0x7F],
                                   range(0x206A, 0x2070), [0xFEFF], range(0xFFF9, 0xFFFD))
                 for i in r}

LIGATURES = {
    ord("Ĳ"): "IJ", ord("ĳ"): "ij", ord("ŉ"): "ʼn", ord("Ǳ"): "DZ", ord("ǲ"): "Dz",
    ord("ǳ"): "dz", ord("Ǆ"): "DŽ", ord("ǅ"): "Dž", ord("ǆ"): "dž", ord("Ǉ"): "LJ",
    ord("ǈ"): "Lj", ord("ǉ"): "lj", ord("Ǌ"): "NJ", ord("ǋ"): "Nj", ord("ǌ"): "nj",
    ord("ﬀ"): "ff", ord("ﬁ"): "fi", ord("ﬂ"): "fl", ord("ﬃ"): "ffi", ord("ﬄ"): "ffl",
    ord("ﬅ"): "ſt", ord("ﬆ"): "st",
}


def _build_width_map():
    width_map = {0x3000: " "}
    for i in range(0xFF01, 0xFFF0):
        char = chr(i)
        alternate = unicodedata.normalize("NFKC", char)
        if alternate != char:
            width_map[i] = alternate
    return width_map


WIDTH_MAP = _build_width_map()


def _unescape_fixup(match):
    text = match.group(0)
    if text in HTML_ENTITIES:
        return HTML_ENTITIES[text]
    elif text.startswith("&#"):
        unescaped = html.unescape(text)
        if ";" in unescaped:
            return text
        return unescaped
    return text


def _c1_fixer(match):
    # ftfy's "sloppy-windows-1252": the five bytes Windows-1252 leaves undefined map to themselves.
    b = match.group(0).encode("latin-1")
    return "".join(chr(c) if c in (0x81, 0x8D, 0x8F, 0x90, 0x9D) else bytes([c]).decode("cp1252")
                   for c in b)


def _convert_surrogate_pair(match):
    pair = match.group(0)
    return chr(0x10000 + (ord(pair[0]) - 0xD800) * 0x400 + (ord(pair[1]) - 0xDC00))


def _fix_segment(text, unescape):
    while True:
        origtext = text
        if unescape:
            text = HTML_ENTITY_RE.sub(_unescape_fixup, text)
        # (ftfy's fix_encoding would run here: not part of the subset)
        text = C1_CONTROL_RE.sub(_c1_fixer, text)
        text = text.translate(LIGATURES)
        text = text.translate(WIDTH_MAP)
        text = SINGLE_QUOTE_RE.sub("'", DOUBLE_QUOTE_RE.sub('"', text))
        text = (text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n")
                .replace("\u2029", "\n").replace("\u0085", "\n"))
        if SURROGATE_RE.search(text):
            text = SURROGATE_PAIR_RE.sub(_convert_surrogate_pair, text)
            text = SURROGATE_RE.sub("\ufffd", text)
        text = ANSI_RE.sub("", text)
        text = text.translate(CONTROL_CHARS)
        text = unicodedata.normalize("NFC", text)
        if text == origtext:
            return text


def ftfy_fix_text(text, max_decode_length=1000000):
    unescape = True  # "auto": off from the first segment that contains '<'
    out = []
    pos = 0
    while pos < len(text):
        textbreak = text.find("\n", pos) + 1
        if textbreak == 0:
            textbreak = len(text)
        if textbreak - pos > max_decode_length:
            textbreak = pos + max_decode_length
        segment = text[pos:textbreak]
        if unescape and "<" in segment:
            unescape = False
        out.append(_fix_segment(segment, unescape))
        pos = textbreak
    return "".join(out)


# ---------------------------------------------------------------- simple_tokenizer.py

def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + \
        list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(2 ** 8):
        if b not in bs:
            bs.append(b)
            cs.append(2 ** 8 + n)
            n += 1
    cs = [chr(n) for n in cs]
    return dict(zip(bs, cs))


def get_pairs(word):
    pairs = set()
    prev_char = word[0]
    for char in word[1:]:
        pairs.add((prev_char, char))
        prev_char = char
    return pairs


def basic_clean(text):
    text = ftfy_fix_text(text)
    text = html.unescape(html.unescape(text))
    return text.strip()


def whitespace_clean(text):
    text = re.sub(r"\s+", " ", text)
    text = text.strip()
    return text


class SimpleTokenizer:
    def __init__(self, bpe_path=VOCAB):
        self.byte_encoder = bytes_to_unicode()
        merges = gzip.open(bpe_path).read().decode("utf-8").split("\n")
        merges = merges[1:49152 - 256 - 2 + 1]
        merges = [tuple(merge.split()) for merge in merges]
        vocab = list(bytes_to_unicode().values())
        vocab = vocab + [v + "</w>" for v in vocab]
        for merge in merges:
            vocab.append("".join(merge))
        vocab.extend(["<|startoftext|>", "<|endoftext|>"])
        self.encoder = dict(zip(vocab, range(len(vocab))))
        self.bpe_ranks = dict(zip(merges, range(len(merges))))
        self.cache = {"<|startoftext|>": "<|startoftext|>", "<|endoftext|>": "<|endoftext|>"}
        self.pat = re.compile(r"""<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+""", re.IGNORECASE)

    def bpe(self, token):
        if token in self.cache:
            return self.cache[token]
        word = tuple(token[:-1]) + (token[-1] + "</w>",)
        pairs = get_pairs(word)
        if not pairs:
            return token + "</w>"
        while True:
            bigram = min(pairs, key=lambda pair: self.bpe_ranks.get(pair, float("inf")))
            if bigram not in self.bpe_ranks:
                break
            first, second = bigram
            new_word = []
            i = 0
            while i < len(word):
                try:
                    j = word.index(first, i)
                    new_word.extend(word[i:j])
                    i = j
                except ValueError:
                    new_word.extend(word[i:])
                    break
                if word[i] == first and i < len(word) - 1 and word[i + 1] == second:
                    new_word.append(first + second)
                    i += 2
                else:
                    new_word.append(word[i])
                    i += 1
            word = tuple(new_word)
            if len(word) == 1:
                break
            pairs = get_pairs(word)
        word = " ".join(word)
        self.cache[token] = word
        return word

    def clean(self, text):
        return whitespace_clean(basic_clean(text)).lower()

    def encode(self, text):
        bpe_tokens = []
        text = self.clean(text)
        for token in re.findall(self.pat, text):
            token = "".join(self.byte_encoder[b] for b in token.encode("utf-8"))
            bpe_tokens.extend(self.encoder[t] for t in self.bpe(token).split(" "))
        return bpe_tokens


_tokenizer = None


def tokenizer():
    global _tokenizer
    if _tokenizer is None:
        _tokenizer = SimpleTokenizer()
    return _tokenizer


def tokenize(text, context_length=77, truncate=False):
    """clip.tokenize for one text; returns a list of context_length ids."""
    tok = tokenizer()
    sot, eot = tok.encoder["<|startoftext|>"], tok.encoder["<|endoftext|>"]
    tokens = [sot] + tok.encode(text) + [eot]
    if len(tokens) > context_length:
        if truncate:
            tokens = tokens[:context_length]
            tokens[-1] = eot
        else:
            raise RuntimeError(f"Input {text} is too long for context length {context_length}")
    return tokens + [0] * (context_length - len(tokens))


# ---------------------------------------------------------------- the C entity table

# HTML 4 names (html.entities.name2codepoint) plus 'apos', and every name html.unescape accepts
# without a semicolon (its longest-prefix rule only ever finds those).
SUBSET_NAMES = set(html.entities.name2codepoint) | {"apos"} | \
    {k for k in html.entities.html5 if not k.endswith(";")}


def c_string(s):
    out = []
    for b in s.encode("utf-8"):
        out.append(chr(b) if 0x20 <= b < 0x7F and chr(b) not in '"\\?' else "\\%03o" % b)
    return '"' + "".join(out) + '"'


def print_entity_table():
    h5 = html.entities.html5
    rows = {}
    for name in SUBSET_NAMES:
        if name + ";" in h5:
            rows.setdefault(name, [h5[name + ";"], set()])[1].add("E_SEMI")
        if name in h5:
            rows.setdefault(name, [h5[name], set()])[1].add("E_BARE")
            assert h5[name] == h5.get(name + ";", h5[name])
    for name in list(rows):
        key = "&" + name + ";"
        if name + ";" in h5 and name == name.lower():
            upper = name.upper()
            if html.unescape("&" + upper + ";") == "&" + upper + ";":
                assert upper not in rows
                rows[upper] = [HTML_ENTITIES["&" + upper + ";"], {"E_FTFY"}]
        assert key not in HTML_ENTITIES or HTML_ENTITIES[key] == rows[name][0]
    items = sorted(rows.items(), key=lambda kv: kv[0].encode())
    cells = ["{%s, %s, %s}" % (c_string(k), c_string(v), " | ".join(sorted(f)))
             for k, (v, f) in items]
    line = "   "
    for c in cells:
        if len(line) + len(c) + 2 > 99:
            print(line)
            line = "   "
        line += " " + c + ","
    print(line)
    print("/* %d entries */" % len(cells))


# ---------------------------------------------------------------- cases

LONG = "a photo of a dog playing in the park on a sunny day, " * 12


def cases():
    c = []

    def add(name, text, **kw):
        c.append(dict(name=name, text=text, **kw))

    add("diagram", "a diagram")
    add("dog", "a dog")
    add("cat", "a cat")
    add("punctuation", "Hello, world! (test) -- ok?... #hashtag @user $5.00 100% a+b=c [x]{y}")
    add("punct_runs", "wow!!! ?!?! ... --- ~~ ^_^ :-) <3 ->")
    add("contractions", "don't I'LL we've she's they're I'm he'd it's")
    add("contraction_edges", "'s 'S ''s rock 'n' roll o'clock y'all '''ll 'ſ")
    add("numbers", "1234567 3.14 2nd 10,000 -42 1e9")
    add("digits_other", "\u0663\u0664 x\u00b2 \u00bd \u216b h2o covid-19")
    add("accents", "café naïve Crème Brûlée ÅNGSTRÖM")
    add("decomposed", "cafe\u0301 nai\u0308ve")
    add("combining_alone", "\u0301 a\u0301\u0301 x\u0345y \u03b1\u0345")
    add("chinese", "我爱北京天安门")
    add("cyrillic", "Привет, мир! ЁЖИК")
    add("arabic", "مرحبا بالعالم")
    add("greek_sigma", "ΟΔΥΣΣΕΥΣ Σ ΑΣ. ΣΑΣ'Σ")
    add("japanese", "カタカナ ひらがな 漢字")
    add("hindi", "नमस्ते दुनिया")
    add("korean", "한국어 텍스트")
    add("emoji", "😀 🐶🐱 ❤️")
    add("emoji_skin", "👍🏽 👋🏿")
    add("emoji_zwj", "👨\u200d👩\u200d👧\u200d👦 🏳️\u200d🌈")
    add("emoji_flags", "🇫🇷🇯🇵 1️⃣ 🏴\U000e0067\U000e0062\U000e0077\U000e006c\U000e0073\U000e007f")
    add("math_alnum", "𝐇𝐞𝐥𝐥𝐨 𝟏𝟐")
    add("html_amp", "&amp;amp;")
    add("html_deep", "&amp;amp;amp;amp; &amp;lt;b&amp;gt;")
    add("html_entities", "caf&eacute; &EACUTE; &SZLIG; &copy; &hellip; &nbsp;x&mdash;y")
    add("html_numeric", "&#8220;quoted&#8221; &#x27;s &#39;t &#128512; &#0; &#59; &#1;a &#X41;")
    add("html_bare", "AT&T R&D & &copy2020 &ampfoo &lt3 &notit; &amp")
    # With a '<', ftfy leaves entities alone from that line on: only html.unescape's two rounds.
    add("html_tags", "<b>Tom &amp;amp;amp; Jerry</b> &eacute;")
    add("html_tags_later_line",
        "&amp;amp;amp; first\nsecond <i>x</i> &amp;amp;amp;\nthird &amp;amp;amp;")
    add("html_escaped_tags", "&lt;b&gt;bold&lt;/b&gt;")
    add("curly_quotes", "‘single’ “double” ‚low‛ „low‟ donʼt don’t")
    add("fullwidth", "ＨＥＬＬＯ　ＷＯＲＬＤ！１２３ ｶﾞｷﾞ ￠￣")
    add("ligatures", "ﬁnancial ﬂow ﬀ ﬃ ﬄ ﬅ ﬆ Ĳ ǆ ŉ")
    add("whitespace", "  a\tb\nc  \r\n d\u00a0e\u2003f\u3000g\u2028h\u0085i\x0cj\x0bk  ")
    add("controls", "a\x01b\x7fc\u200bd\ufeffe\x1b[31mred\x1b[0m \x1b[1;2x \u206ax\ufffcy")
    add("c1_controls", "\x93quoted\x94 \x85 \x80 \x81")
    add("empty", "")
    add("only_space", "   \t\n  ")
    add("special_tokens", "<|startoftext|>hello<|endoftext|> <|STARTOFTEXT|> <|ſtartoftext|> <|endoftext")
    add("uppercase", "A PHOTO OF A DOG. İstanbul DŽ ǅ")
    add("long_word", "supercalifragilisticexpialidocious" * 3)
    add("mixed", "abc123def ab_cd foo.bar@example.com https://x.org/a?b=c")
    add("soft_hyphen", "co\u00adoperate zero\u200dwidth")
    add("long_text", LONG)
    add("exactly_77", " ".join(["dog"] * 75))
    add("exactly_78", " ".join(["dog"] * 76))
    return c


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--entities":
        print_entity_table()
        return
    if len(sys.argv) > 1:
        for t in sys.argv[1:]:
            print(" ".join(map(str, tokenize(t))))
        return
    # Known values from openai/CLIP's README (clip.tokenize(["a diagram", "a dog", "a cat"])).
    assert tokenize("a diagram")[:4] == [49406, 320, 22697, 49407], tokenize("a diagram")[:4]
    assert tokenize("a dog")[:4] == [49406, 320, 1929, 49407]
    assert tokenize("a cat")[:4] == [49406, 320, 2368, 49407]
    tok = tokenizer()
    with open(FIXTURE, "w", encoding="utf-8") as f:
        for case in cases():
            text = case["text"]
            ids = tok.encode(text)
            case["clean"] = tok.clean(text)
            case["ids"] = ids
            if len(ids) + 2 > 77:
                case["truncated"] = tokenize(text, truncate=True)
            f.write(json.dumps(case, ensure_ascii=False) + "\n")
    print("wrote", FIXTURE)


if __name__ == "__main__":
    main()
