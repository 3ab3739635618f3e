/* tokenizer.h: CLIP's byte-level BPE tokenizer (openai/CLIP simple_tokenizer.py + clip.tokenize).
 *
 * The vocabulary (bpe_simple_vocab_16e6.txt.gz) is embedded in the binary; a different file can
 * be given. Text clean-up follows ftfy.fix_text's defaults as far as CLIP text needs (NFC
 * normalisation via utf8proc, curly quotes straightened, ligatures and full-width forms folded,
 * control characters removed), HTML entities unescaped twice, whitespace collapsed, stripped,
 * lower-cased; then CLIP's split pattern, GPT-2 byte encoder, BPE with '</w>' end markers.
 * engine/text/text_clean.c lists exactly which parts of ftfy and of the HTML entity table are done
 * (not done: ftfy's mojibake repair, HTML5-only entity names such as &check;).
 *
 * A tokenizer caches BPE results and is not thread-safe: use one per thread. */
#ifndef SEGP_TOKENIZER_H
#define SEGP_TOKENIZER_H

#include <stddef.h>
#include <stdint.h>

#define CLIP_SOT 49406
#define CLIP_EOT 49407
#define CLIP_CONTEXT 77

typedef struct clip_tokenizer clip_tokenizer; /* opaque */

/* vocab_path NULL: the embedded vocabulary. NULL + error (naming the file) on failure:
 * missing file, not gzip, truncated, wrong number of merges. */
clip_tokenizer *clip_tokenizer_init(const char *vocab_path);
/* The same from a gzip file in memory (SIZE bytes); NAME stands for the file in messages. */
clip_tokenizer *clip_tokenizer_init_memory(const void *gz, size_t size, const char *name);
void clip_tokenizer_free(clip_tokenizer *tok);

/* BPE ids of TEXT (UTF-8; ill-formed bytes read as U+FFFD) without start/end tokens. Returns
 * the count written (at most max_ids; the true count is returned in *n_total when not NULL),
 * or -1 on bad arguments. ids may be NULL when max_ids is 0 (to count only). */
int clip_tokenizer_encode(clip_tokenizer *tok, const char *text, int32_t *ids, int max_ids,
                          int *n_total);

/* clip.tokenize for one text: SOT, ids, EOT, zero padding to context_length (>= 1). When the
 * text is too long: truncate != 0 keeps context_length tokens with EOT last; truncate == 0 fails
 * with an error naming the text (its start) and its token count. Returns 0 / -1. */
int clip_tokenize(clip_tokenizer *tok, const char *text, int context_length, int truncate,
                  int32_t *out);

/* Token string of an id (for debugging; NULL when out of range). */
const char *clip_tokenizer_token(const clip_tokenizer *tok, int32_t id);

#endif
