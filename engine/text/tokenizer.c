/* tokenizer.c: CLIP's byte-level BPE (openai/CLIP simple_tokenizer.py, clip.tokenize): loading
 * the gzip'd merge list (embedded or from a file), the split pattern, the byte encoder, BPE with
 * a cache, and the context-length framing. Text clean-up lives in text_clean.c.
 *
 * Symbols are vocabulary ids throughout: a word starts as the ids of its bytes (the last one the
 * '</w>' variant) and a merge of the adjacent pair (a, b) gives the id of the string a+b, exactly
 * as the Python works on strings. A tokenizer is not thread-safe (the cache is shared). */
#include "tokenizer.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>
#include <zlib.h>

#include "core/common.h"
#include "text_clean.h"

#define N_MERGES (49152 - 256 - 2) /* merges = lines[1:49152-256-2+1] */
#define MAX_VOCAB_GUNZIP ((size_t)256 << 20)
#define CACHE_LIMIT (1u << 16) /* cached words before the cache is emptied */

/* engine/text/vocab_data.S */
extern const unsigned char segp_clip_vocab_gz[];
extern const uint64_t segp_clip_vocab_gz_size;

typedef struct {
    char *key; /* word bytes (NULL: empty slot) */
    size_t len;
    uint64_t hash;
    int32_t *ids;
    int n;
} cache_slot;

struct clip_tokenizer {
    int32_t n_vocab, sot, eot;
    char **tokens;          /* id -> token string (UTF-8), into `strings` */
    char *strings;
    int32_t byte_id[2][256]; /* [ends word][byte] -> id */
    uint64_t *pair_key;     /* (a << 32 | b) + 1; 0 = empty */
    int32_t *pair_rank, *pair_id;
    size_t pair_mask;
    int ordered;            /* every merge's symbols are older tokens (bpe_merge_heap is exact) */
    cache_slot *cache;
    size_t cache_cap, cache_n;
};

static uint64_t hash_bytes(const void *p, size_t n) {
    const uint8_t *s = p;
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (size_t i = 0; i < n; i++) h = (h ^ s[i]) * 1099511628211ull;
    return h ^ (h >> 29);
}

static uint64_t hash_pair(uint64_t key) {
    key *= 0x9E3779B97F4A7C15ull;
    return key ^ (key >> 31);
}

/* ------------------------------------------------------------------ loading */

/* gzip.open(path).read(): every member, to the end; errors name NAME. */
static int gunzip(const uint8_t *gz, size_t n, const char *name, char **out, size_t *out_len) {
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) return SEGP_FAIL("%s: zlib init failed", name);
    if (n == 0) {
        inflateEnd(&zs);
        return SEGP_FAIL("%s: empty file (expected the gzip-compressed BPE merges, "
                         "bpe_simple_vocab_16e6.txt.gz)", name);
    }
    size_t cap = n * 3 + 1024, len = 0;
    char *buf = segp_malloc(cap);
    zs.next_in = (Bytef *)gz;
    zs.avail_in = (uInt)n;
    int first = 1, rc = Z_OK;
    for (;;) {
        if (cap - len < 65536) {
            if (cap >= MAX_VOCAB_GUNZIP) {
                rc = SEGP_FAIL("%s: decompresses to more than %zu MiB (expected ~3 MiB of BPE "
                               "merges)", name, MAX_VOCAB_GUNZIP >> 20);
                break;
            }
            cap *= 2;
            buf = segp_realloc(buf, cap);
        }
        zs.next_out = (Bytef *)buf + len;
        zs.avail_out = (uInt)(cap - len - 1);
        int z = inflate(&zs, Z_NO_FLUSH);
        len = (size_t)((char *)zs.next_out - buf);
        if (z == Z_STREAM_END) {
            first = 0;
            if (zs.avail_in == 0) break;
            inflateReset(&zs); /* another gzip member follows, as gzip.open reads it */
            continue;
        }
        if (z == Z_OK) continue;
        if (z == Z_BUF_ERROR && zs.avail_in == 0) {
            rc = SEGP_FAIL("%s: truncated gzip file (the compressed data ends before its end "
                           "marker)", name);
            break;
        }
        if (z == Z_DATA_ERROR && first && zs.total_out == 0)
            rc = SEGP_FAIL("%s: not a gzip file (%s; expected the gzip-compressed BPE merges, "
                           "bpe_simple_vocab_16e6.txt.gz)", name, zs.msg ? zs.msg : "bad header");
        else
            rc = SEGP_FAIL("%s: corrupt gzip data (%s)", name, zs.msg ? zs.msg : "zlib error");
        break;
    }
    inflateEnd(&zs);
    if (rc != Z_OK) {
        free(buf);
        return -1;
    }
    buf[len] = 0;
    *out = buf;
    *out_len = len;
    return 0;
}

static int utf8_valid(const char *s, size_t n) {
    const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
    utf8proc_int32_t c;
    while (n > 0) {
        utf8proc_ssize_t k = utf8proc_iterate(p, (utf8proc_ssize_t)n, &c);
        if (k <= 0) return 0;
        p += k;
        n -= (size_t)k;
    }
    return 1;
}

/* GPT-2's bytes_to_unicode(): printable bytes map to themselves, the rest to 256 + n, in the
 * order that also numbers the first 256 vocabulary entries. */
static void bytes_to_unicode(int32_t byte_of_id[256], int32_t char_of_byte[256]) {
    int k = 0;
    for (int b = 0; b < 256; b++)
        if ((b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF))
            byte_of_id[k++] = b, char_of_byte[b] = b;
    int extra = 0;
    for (int b = 0; b < 256; b++)
        if (!((b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF)))
            byte_of_id[k++] = b, char_of_byte[b] = 256 + extra++;
}

/* String -> id map used while building (the last id wins, as dict(zip(vocab, ids)) does). */
typedef struct {
    int32_t *slot;
    size_t mask;
    char **tokens;
} encoder;

static size_t enc_find(const encoder *e, const char *s, size_t n) {
    size_t i = hash_bytes(s, n) & e->mask;
    while (e->slot[i] >= 0) {
        const char *t = e->tokens[e->slot[i]];
        if (strlen(t) == n && !memcmp(t, s, n)) return i;
        i = (i + 1) & e->mask;
    }
    return i;
}

static void pair_put(clip_tokenizer *t, int32_t a, int32_t b, int32_t rank, int32_t id) {
    uint64_t key = ((uint64_t)(uint32_t)a << 32 | (uint32_t)b) + 1;
    size_t i = hash_pair(key) & t->pair_mask;
    while (t->pair_key[i] && t->pair_key[i] != key) i = (i + 1) & t->pair_mask;
    t->pair_key[i] = key;
    t->pair_rank[i] = rank;
    t->pair_id[i] = id;
}

/* Rank of merging (a, b) (INT_MAX when it is not a merge); *id gets the result. */
static int32_t pair_get(const clip_tokenizer *t, int32_t a, int32_t b, int32_t *id) {
    uint64_t key = ((uint64_t)(uint32_t)a << 32 | (uint32_t)b) + 1;
    size_t i = hash_pair(key) & t->pair_mask;
    while (t->pair_key[i]) {
        if (t->pair_key[i] == key) {
            *id = t->pair_id[i];
            return t->pair_rank[i];
        }
        i = (i + 1) & t->pair_mask;
    }
    return INT_MAX;
}

/* str.split()'s separators among single bytes (the byte encoder never yields other spaces). */
static int is_split_space(char c) {
    return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1C && c <= 0x1F);
}

/* Build the vocabulary and merge table from the decompressed text (modified in place and
 * kept as the home of the merge strings). */
static int build(clip_tokenizer *t, char *text, size_t len, const char *name) {
    if (!utf8_valid(text, len)) return SEGP_FAIL("%s: merge list is not valid UTF-8", name);
    /* Line starts of lines 1..N_MERGES. */
    char **line = segp_malloc(2 * N_MERGES * sizeof *line), **second = line + N_MERGES;
    size_t n_lines = 0;
    int rc = -1;
    char *p = memchr(text, '\n', len);
    while (p && n_lines < N_MERGES) {
        char *start = p + 1;
        char *next = memchr(start, '\n', len - (size_t)(start - text));
        if (!next && start == text + len) break; /* empty last line after the final '\n' */
        line[n_lines++] = start;
        if (next) *next = 0;
        p = next;
    }
    if (n_lines < N_MERGES) {
        SEGP_FAIL("%s: has %zu merge lines after the header (expected at least %d, as in "
                  "bpe_simple_vocab_16e6.txt.gz)", name, n_lines, N_MERGES);
        goto done;
    }
    /* Split "a b" in place; keep where b starts. */
    size_t bytes = 0;
    for (size_t r = 0; r < N_MERGES; r++) {
        char *s = line[r], *parts[3];
        int np = 0;
        while (*s) {
            while (*s && is_split_space(*s)) *s++ = 0;
            if (!*s) break;
            if (np < 3) parts[np] = s;
            np++;
            while (*s && !is_split_space(*s)) s++;
        }
        if (np != 2) {
            SEGP_FAIL("%s: line %zu: %d symbols (expected a merge of two symbols, \"a b\")",
                      name, r + 2, np);
            goto done;
        }
        line[r] = parts[0];
        second[r] = parts[1];
        bytes += strlen(parts[0]) + strlen(parts[1]) + 1;
    }
    int32_t byte_of_id[256], char_of_byte[256];
    bytes_to_unicode(byte_of_id, char_of_byte);
    t->n_vocab = 512 + N_MERGES + 2;
    t->tokens = segp_calloc((size_t)t->n_vocab, sizeof *t->tokens);
    t->strings = segp_malloc(bytes + 512 * 8 + 64);
    char *w = t->strings;
    for (int i = 0; i < 512; i++) {
        t->tokens[i] = w;
        w += clip_utf8_put(char_of_byte[byte_of_id[i % 256]], w);
        if (i >= 256) memcpy(w, "</w>", 4), w += 4;
        *w++ = 0;
    }
    for (size_t r = 0; r < N_MERGES; r++) {
        t->tokens[512 + r] = w;
        w = stpcpy(stpcpy(w, line[r]), second[r]) + 1;
    }
    t->tokens[t->n_vocab - 2] = strcpy(w, "<|startoftext|>");
    w += 16;
    t->tokens[t->n_vocab - 1] = strcpy(w, "<|endoftext|>");

    encoder e = {segp_malloc(sizeof(int32_t) << 17), (1u << 17) - 1, t->tokens};
    memset(e.slot, 0xFF, sizeof(int32_t) << 17);
    for (int32_t id = 0; id < t->n_vocab; id++)
        e.slot[enc_find(&e, t->tokens[id], strlen(t->tokens[id]))] = id;
#define ID_OF(s) (e.slot[enc_find(&e, (s), strlen(s))])
    for (int i = 0; i < 256; i++) {
        t->byte_id[0][byte_of_id[i]] = ID_OF(t->tokens[i]);
        t->byte_id[1][byte_of_id[i]] = ID_OF(t->tokens[i + 256]);
    }
    t->sot = ID_OF("<|startoftext|>");
    t->eot = ID_OF("<|endoftext|>");
    t->pair_mask = (1u << 17) - 1;
    t->ordered = 1;
    t->pair_key = segp_calloc(t->pair_mask + 1, sizeof *t->pair_key);
    t->pair_rank = segp_malloc((t->pair_mask + 1) * sizeof *t->pair_rank);
    t->pair_id = segp_malloc((t->pair_mask + 1) * sizeof *t->pair_id);
    for (int32_t r = 0; r < N_MERGES; r++) {
        int32_t a = ID_OF(line[r]), b = ID_OF(second[r]);
        /* A symbol outside the vocabulary can never occur in a word: the merge never applies. */
        int32_t ab = ID_OF(t->tokens[512 + r]);
        if (a >= 0 && b >= 0) pair_put(t, a, b, r, ab);
        t->ordered &= a < ab && b < ab && ab == 512 + r;
    }
#undef ID_OF
    free(e.slot);
    rc = 0;
done:
    free(line);
    return rc;
}

clip_tokenizer *clip_tokenizer_init_memory(const void *gz, size_t size, const char *name) {
    char *text = NULL;
    size_t len = 0;
    if (gunzip(gz, size, name, &text, &len) != 0) return NULL;
    clip_tokenizer *t = segp_calloc(1, sizeof *t);
    int rc = build(t, text, len, name);
    free(text);
    if (rc != 0) {
        clip_tokenizer_free(t);
        return NULL;
    }
    t->cache_cap = 1024;
    t->cache = segp_calloc(t->cache_cap, sizeof *t->cache);
    return t;
}

clip_tokenizer *clip_tokenizer_init(const char *vocab_path) {
    if (!vocab_path)
        return clip_tokenizer_init_memory(segp_clip_vocab_gz, (size_t)segp_clip_vocab_gz_size,
                                          "embedded bpe_simple_vocab_16e6.txt.gz");
    uint8_t *file;
    size_t size;
    if (segp_read_file(vocab_path, &file, &size) != 0) return NULL;
    clip_tokenizer *t = clip_tokenizer_init_memory(file, size, vocab_path);
    free(file);
    return t;
}

static void cache_clear(clip_tokenizer *t) {
    for (size_t i = 0; i < t->cache_cap; i++) {
        free(t->cache[i].key);
        free(t->cache[i].ids);
    }
    memset(t->cache, 0, t->cache_cap * sizeof *t->cache);
    t->cache_n = 0;
}

void clip_tokenizer_free(clip_tokenizer *t) {
    if (!t) return;
    if (t->cache) cache_clear(t);
    free(t->cache);
    free(t->tokens);
    free(t->strings);
    free(t->pair_key);
    free(t->pair_rank);
    free(t->pair_id);
    free(t);
}

const char *clip_tokenizer_token(const clip_tokenizer *t, int32_t id) {
    if (!t || id < 0 || id >= t->n_vocab) return NULL;
    return t->tokens[id];
}

/* ------------------------------------------------------------------ BPE */

/* bpe(): merge the lowest-ranked adjacent pair, every occurrence left to right, until none is
 * a merge. WORD holds n ids and is rewritten; returns the new count. Quadratic in the word
 * length; bpe_merge_heap gives the same result faster for the usual merge lists. */
static int bpe_merge(const clip_tokenizer *t, int32_t *word, int n) {
    while (n > 1) {
        int32_t best = INT_MAX, a = 0, b = 0, merged = 0, id;
        for (int i = 0; i + 1 < n; i++) {
            int32_t r = pair_get(t, word[i], word[i + 1], &id);
            if (r < best) best = r, a = word[i], b = word[i + 1], merged = id;
        }
        if (best == INT_MAX) break;
        int j = 0;
        for (int i = 0; i < n;) {
            if (i + 1 < n && word[i] == a && word[i + 1] == b) {
                word[j++] = merged;
                i += 2;
            } else {
                word[j++] = word[i++];
            }
        }
        n = j;
    }
    return n;
}

/* Min-heap of (rank << 32 | position) of candidate pairs. */
static void heap_push(int64_t *h, int *n, int64_t v) {
    int i = (*n)++;
    while (i > 0 && h[(i - 1) / 2] > v) h[i] = h[(i - 1) / 2], i = (i - 1) / 2;
    h[i] = v;
}

static int64_t heap_pop(int64_t *h, int *n) {
    int64_t top = h[0], v = h[--*n];
    int i = 0;
    for (;;) {
        int c = 2 * i + 1;
        if (c >= *n) break;
        if (c + 1 < *n && h[c + 1] < h[c]) c++;
        if (h[c] >= v) break;
        h[i] = h[c], i = c;
    }
    h[i] = v;
    return top;
}

/* bpe_merge in O(n log n), for merge lists where both symbols of a merge are older tokens (the
 * order BPE training writes them in, true of bpe_simple_vocab_16e6.txt). Then a merge of rank r
 * only creates pairs of rank > r, so taking candidates by (rank, position) from a heap visits the
 * occurrences of the lowest-ranked pair left to right, as one pass of bpe() does. */
static int bpe_merge_heap(const clip_tokenizer *t, int32_t *word, int n) {
    int *next = segp_malloc(2 * (size_t)n * sizeof *next), *prev = next + n;
    int64_t *heap = segp_malloc(3 * (size_t)n * sizeof *heap);
    int nh = 0;
    int32_t id;
    for (int i = 0; i < n; i++) next[i] = i + 1 < n ? i + 1 : -1, prev[i] = i - 1;
    for (int i = 0; i + 1 < n; i++) {
        int32_t r = pair_get(t, word[i], word[i + 1], &id);
        if (r != INT_MAX) heap_push(heap, &nh, (int64_t)r << 32 | i);
    }
    while (nh > 0) {
        int64_t top = heap_pop(heap, &nh);
        int32_t r = (int32_t)(top >> 32);
        int i = (int)(top & 0xFFFFFFFF), j = next[i];
        /* Stale when a neighbour merged since: the pair at i is then another one
         * (ids only grow). */
        if (word[i] < 0 || j < 0 || pair_get(t, word[i], word[j], &id) != r) continue;
        word[i] = id;
        word[j] = -1;
        next[i] = next[j];
        if (next[j] >= 0) prev[next[j]] = i;
        if (prev[i] >= 0 && (r = pair_get(t, word[prev[i]], word[i], &id)) != INT_MAX)
            heap_push(heap, &nh, (int64_t)r << 32 | prev[i]);
        if (next[i] >= 0 && (r = pair_get(t, word[i], word[next[i]], &id)) != INT_MAX)
            heap_push(heap, &nh, (int64_t)r << 32 | i);
    }
    int m = 0;
    for (int i = 0; i < n; i++)
        if (word[i] >= 0) word[m++] = word[i];
    free(next);
    free(heap);
    return m;
}

/* Ids of one piece of text (its UTF-8 bytes), through the cache. *ids points into the cache. */
static int bpe_piece(clip_tokenizer *t, const char *s, size_t len, const int32_t **ids) {
    static const int32_t none = 0;
    if (len == 0) {
        *ids = &none;
        return 0;
    }
    uint64_t h = hash_bytes(s, len);
    size_t mask = t->cache_cap - 1, i = h & mask;
    for (; t->cache[i].key; i = (i + 1) & mask) {
        cache_slot *c = &t->cache[i];
        if (c->hash == h && c->len == len && !memcmp(c->key, s, len)) {
            *ids = c->ids;
            return c->n;
        }
    }
    int32_t *word = segp_malloc(len * sizeof *word);
    for (size_t k = 0; k < len; k++) word[k] = t->byte_id[k + 1 == len][(uint8_t)s[k]];
    int n = (int)len;
    if (len == 15 && !memcmp(s, "<|startoftext|>", 15)) word[0] = t->sot, n = 1;
    else if (len == 13 && !memcmp(s, "<|endoftext|>", 13)) word[0] = t->eot, n = 1;
    else n = t->ordered ? bpe_merge_heap(t, word, n) : bpe_merge(t, word, n);
    /* Insert (grow at half load; empty the cache past its limit). */
    if (t->cache_n + 1 > CACHE_LIMIT) cache_clear(t);
    if (2 * (t->cache_n + 1) > t->cache_cap) {
        cache_slot *old = t->cache;
        size_t old_cap = t->cache_cap;
        t->cache_cap *= 2;
        t->cache = segp_calloc(t->cache_cap, sizeof *t->cache);
        for (size_t k = 0; k < old_cap; k++)
            if (old[k].key) {
                size_t q = old[k].hash & (t->cache_cap - 1);
                while (t->cache[q].key) q = (q + 1) & (t->cache_cap - 1);
                t->cache[q] = old[k];
            }
        free(old);
    }
    mask = t->cache_cap - 1;
    for (i = h & mask; t->cache[i].key; i = (i + 1) & mask) {
    }
    cache_slot *c = &t->cache[i];
    c->key = segp_malloc(len);
    memcpy(c->key, s, len);
    c->len = len;
    c->hash = h;
    c->ids = segp_realloc(word, (size_t)n * sizeof *word);
    c->n = n;
    t->cache_n++;
    *ids = c->ids;
    return n;
}

/* ------------------------------------------------------------------ splitting */

static int is_letter(int32_t c) {
    switch (utf8proc_category(c)) {
    case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO: return 1;
    default: return 0;
    }
}

static int is_number(int32_t c) {
    int cat = utf8proc_category(c);
    return cat == UTF8PROC_CATEGORY_ND || cat == UTF8PROC_CATEGORY_NL ||
           cat == UTF8PROC_CATEGORY_NO;
}

/* regex's \s (Unicode White_Space). */
static int is_space(int32_t c) {
    return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
           (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F ||
           c == 0x205F || c == 0x3000;
}

/* [^\s\p{L}\p{N}] under IGNORECASE: U+0345 is excluded too, because its case-fold partner ι is a
 * letter (checked against the regex module for every code point); it matches no alternative. */
static int is_other(int32_t c) {
    return !is_space(c) && !is_letter(c) && !is_number(c) && c != 0x345;
}

/* Case-insensitive match of a pattern letter as the regex module does it (ſ folds to s). */
static int ci_eq(int32_t c, char p) {
    if (c == p) return 1;
    if (p >= 'a' && p <= 'z' && c == p - 'a' + 'A') return 1;
    return p == 's' && c == 0x17F;
}

static size_t match_ci(const int32_t *v, size_t n, const char *pat) {
    size_t k = strlen(pat);
    if (k > n) return 0;
    for (size_t i = 0; i < k; i++)
        if (!ci_eq(v[i], pat[i])) return 0;
    return k;
}

/* Length of the piece the CLIP pattern matches at V (0: no match, skip one character). */
static size_t match_piece(const int32_t *v, size_t n) {
    static const char *const specials[] = {"<|startoftext|>", "<|endoftext|>"};
    static const char *const contractions[] = {"'s", "'t", "'re", "'ve", "'m", "'ll", "'d"};
    size_t k;
    for (int i = 0; i < 2; i++)
        if ((k = match_ci(v, n, specials[i]))) return k;
    for (int i = 0; i < 7; i++)
        if ((k = match_ci(v, n, contractions[i]))) return k;
    if (is_letter(v[0])) {
        for (k = 1; k < n && is_letter(v[k]); k++) {
        }
        return k;
    }
    if (is_number(v[0])) return 1;
    if (is_other(v[0])) {
        for (k = 1; k < n && is_other(v[k]); k++) {
        }
        return k;
    }
    return 0;
}

/* ------------------------------------------------------------------ public API */

int clip_tokenizer_encode(clip_tokenizer *t, const char *text, int32_t *ids, int max_ids,
                          int *n_total) {
    if (!t || !text || max_ids < 0 || (max_ids > 0 && !ids))
        return SEGP_FAIL("clip_tokenizer_encode: bad arguments (expected a tokenizer, a text and "
                         "room for max_ids >= 0 ids)");
    size_t n;
    int32_t *v = clip_clean_text_cp(text, &n);
    char *piece = segp_malloc(4 * n + 1);
    long total = 0;
    int written = 0;
    for (size_t pos = 0; pos < n;) {
        size_t k = match_piece(v + pos, n - pos);
        if (k == 0) {
            pos++;
            continue;
        }
        size_t len = 0;
        for (size_t i = 0; i < k; i++) len += (size_t)clip_utf8_put(v[pos + i], piece + len);
        const int32_t *pid;
        int m = bpe_piece(t, piece, len, &pid);
        for (int i = 0; i < m; i++, total++)
            if (written < max_ids) ids[written++] = pid[i];
        pos += k;
    }
    free(piece);
    free(v);
    if (n_total) *n_total = total > INT_MAX ? INT_MAX : (int)total;
    return written;
}

/* The text for an error message: its first ~60 bytes, not cutting a character, control
 * characters shown as spaces. */
static void shorten(const char *text, char *out) {
    size_t n = strlen(text), k = n < 60 ? n : 60;
    while (k > 0 && k < n && ((unsigned char)text[k] & 0xC0) == 0x80) k--;
    for (size_t i = 0; i < k; i++) {
        unsigned char c = (unsigned char)text[i];
        out[i] = c < 0x20 || c == 0x7F ? ' ' : (char)c;
    }
    strcpy(out + k, k < n ? "..." : "");
}

int clip_tokenize(clip_tokenizer *t, const char *text, int context_length, int truncate,
                  int32_t *out) {
    if (!t || !text || !out || context_length < 1)
        return SEGP_FAIL("clip_tokenize: bad arguments (context_length %d; expected >= 1)",
                         context_length);
    int32_t *ids = segp_malloc((size_t)context_length * sizeof *ids);
    int total;
    int got = clip_tokenizer_encode(t, text, ids, context_length, &total);
    if (got < 0) {
        free(ids);
        return -1;
    }
    long n_tokens = (long)total + 2;
    if (n_tokens > context_length && !truncate) {
        char shown[80];
        shorten(text, shown);
        free(ids);
        return SEGP_FAIL("text \"%s\" is too long: %ld tokens with start and end (context "
                         "length %d; truncate to keep the first %d)", shown, n_tokens,
                         context_length, context_length);
    }
    memset(out, 0, (size_t)context_length * sizeof *out);
    long n = n_tokens < context_length ? n_tokens : context_length;
    out[0] = t->sot;
    for (long i = 1; i + 1 < n; i++) out[i] = ids[i - 1];
    out[n - 1] = t->eot; /* also the truncated case: tokens[-1] = eot */
    free(ids);
    return 0;
}
