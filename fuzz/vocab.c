/* vocab.c: fuzz target for the BPE vocabulary loader (engine/text/tokenizer.c,
 * clip_tokenizer_init_memory): gzip members in memory, the merge-list checks and the building of
 * the vocabulary and merge table.
 *
 * First byte even: the rest is the .gz file itself (damaged gzip, wrong contents).
 * First byte odd: an edit of the real vocabulary, so that the build sees nearly valid merge
 * lists: u16 line L, byte K, then text that replaces lines L .. L+K-1 of the merge list (cut
 * after the lines CLIP uses); the result is gzipped (stored, split into two members at a point
 * the next u16 chooses) and loaded, then used on a few texts. */
#include <zlib.h>

#include "fuzz.h"
#include "text/tokenizer.h"

extern const unsigned char segp_clip_vocab_gz[];
extern const uint64_t segp_clip_vocab_gz_size;

#define N_LINES (49152 - 256 - 2 + 1) /* the header line and the merges CLIP reads */

static char *vocab;      /* the decompressed merge list, cut after N_LINES + 8 lines */
static size_t vocab_len;
static size_t *line_at;  /* start offset of each line, and the end */
static int n_lines;

static void load_vocab(void) {
    size_t n = (size_t)segp_clip_vocab_gz_size, cap = 4u << 20;
    vocab = segp_malloc(cap);
    z_stream zs = {0};
    if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) abort();
    zs.next_in = (Bytef *)segp_clip_vocab_gz;
    zs.avail_in = (uInt)n;
    zs.next_out = (Bytef *)vocab;
    zs.avail_out = (uInt)cap;
    if (inflate(&zs, Z_FINISH) != Z_STREAM_END) abort();
    size_t len = zs.total_out;
    inflateEnd(&zs);
    line_at = segp_malloc((N_LINES + 10) * sizeof *line_at);
    size_t at = 0;
    while (n_lines < N_LINES + 8 && at < len) {
        line_at[n_lines++] = at;
        const char *nl = memchr(vocab + at, '\n', len - at);
        at = nl ? (size_t)(nl - vocab) + 1 : len;
    }
    line_at[n_lines] = at;
    vocab_len = at;
}

/* DATA as gzip with stored blocks, in two members split at CUT. */
static uint8_t *gzip_stored(const uint8_t *d, size_t n, size_t cut, size_t *out_n) {
    if (cut > n) cut = n;
    size_t cap = n + 1024 + n / 1000 * 8, len = 0;
    uint8_t *out = segp_malloc(cap);
    for (int m = 0; m < 2; m++) {
        z_stream zs = {0};
        if (deflateInit2(&zs, 0, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
            abort();
        zs.next_in = (Bytef *)(m ? d + cut : d);
        zs.avail_in = (uInt)(m ? n - cut : cut);
        zs.next_out = out + len;
        zs.avail_out = (uInt)(cap - len);
        if (deflate(&zs, Z_FINISH) != Z_STREAM_END) abort();
        len += zs.total_out;
        deflateEnd(&zs);
    }
    *out_n = len;
    return out;
}

static void use(clip_tokenizer *t) {
    static const char *const texts[] = {"a photo of a dog", "naïve café ♥ <|endoftext|>", ""};
    int32_t ids[CLIP_CONTEXT];
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        if (clip_tokenize(t, texts[i], CLIP_CONTEXT, 1, ids) != 0) abort();
        for (int k = 0; k < CLIP_CONTEXT; k++)
            if (ids[k] && !clip_tokenizer_token(t, ids[k])) abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    unsigned mode = fuzz_take_byte(&data, &size);
    clip_tokenizer *t;
    if (!(mode & 1)) {
        t = clip_tokenizer_init_memory(data, size, "fuzz.txt.gz");
    } else {
        if (size < 5) return -1;
        if (!vocab) load_vocab();
        int l = (data[0] | data[1] << 8) % (n_lines + 1), k = data[2];
        size_t cut = (size_t)(data[3] | data[4] << 8) * 64;
        data += 5;
        size -= 5;
        int l_end = l + k < n_lines ? l + k : n_lines;
        size_t head = line_at[l], tail = vocab_len - line_at[l_end];
        size_t n = head + size + tail;
        uint8_t *text = segp_malloc(n + 1);
        memcpy(text, vocab, head);
        if (size) memcpy(text + head, data, size);
        memcpy(text + head + size, vocab + line_at[l_end], tail);
        size_t gz_n;
        uint8_t *gz = gzip_stored(text, n, cut, &gz_n);
        free(text);
        t = clip_tokenizer_init_memory(gz, gz_n, "fuzz.txt.gz");
        free(gz);
    }
    if (t) {
        use(t);
        clip_tokenizer_free(t);
    }
    return 0;
}
