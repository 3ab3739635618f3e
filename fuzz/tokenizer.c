/* tokenizer.c: fuzz target for CLIP's text path (engine/text/): the ftfy / HTML / whitespace
 * clean-up on any bytes (ill-formed UTF-8 included), the split pattern, byte-level BPE with the
 * embedded vocabulary, and clip.tokenize with and without truncation. */
#include "fuzz.h"
#include "text/text_clean.h"
#include "text/tokenizer.h"

static clip_tokenizer *tok;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size > 4096) return -1;
    if (!tok && !(tok = clip_tokenizer_init(NULL))) abort();
    char *text = fuzz_cstr(data, size);

    size_t n;
    int32_t *cp = clip_clean_text_cp(text, &n);
    if (!cp) abort(); /* never NULL, even when nothing is left */
    free(cp);
    free(clip_clean_text(text));

    int total = -1;
    if (clip_tokenizer_encode(tok, text, NULL, 0, &total) != 0 || total < 0) abort();
    int32_t *ids = segp_malloc((size_t)(total + 1) * sizeof *ids);
    int got = clip_tokenizer_encode(tok, text, ids, total + 1, NULL);
    if (got != total) abort(); /* counting and encoding agree */
    for (int i = 0; i < got; i++)
        if (ids[i] < 0 || ids[i] > CLIP_EOT || !clip_tokenizer_token(tok, ids[i])) abort();
    free(ids);

    int32_t out[CLIP_CONTEXT];
    int ctx = size ? 1 + data[0] % CLIP_CONTEXT : CLIP_CONTEXT;
    if (clip_tokenize(tok, text, ctx, 1, out) != 0 || out[0] != (ctx > 1 ? CLIP_SOT : CLIP_EOT))
        abort();
    int fits = clip_tokenize(tok, text, CLIP_CONTEXT, 0, out) == 0;
    if (fits != (total + 2 <= CLIP_CONTEXT)) abort();
    free(text);
    return 0;
}
